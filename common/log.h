/*
 * log.h - logging for tunerd's programs (OpenBSD log.c style).
 *
 * log_warn() appends the errno text, log_warnx() does not; fatal() and
 * fatalx() log and exit(1). Messages go to stderr, prefixed with the
 * program name given to log_init(); log_debug() only prints at verbosity
 * >= 1. Thread-safe enough for the daemon: one fprintf per message.
 */
#ifndef TD_LOG_H
#define TD_LOG_H

#include <stdarg.h>

void log_init(const char *progname, int verbose);
int log_verbosity(void);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
