/*
 * builtin.h - shared by the built-in algorithm programs inside tdml
 * (builtin.c dispatches; one file per algorithm implements it).
 */
#ifndef TD_BUILTIN_H
#define TD_BUILTIN_H

/* The mlp training program; argv[0] is "mlp". Returns the exit code. */
int builtin__mlp_main(int argc, char **argv);

/*
 * Reports why a built-in program fails: one line to stderr and the same
 * text to SageMaker's failure file, $SM_OUTPUT_DATA_DIR/../failure (when
 * that variable is set). Returns 1, the exit code to use.
 */
int builtin__fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
