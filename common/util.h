/*
 * util.h - small file, time and string helpers shared by every program.
 *
 * All return 0 or a negative code (err.h) unless stated. Strings returned
 * are owned by the caller (free()).
 */
#ifndef TD_UTIL_H
#define TD_UTIL_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

/* Wall clock as epoch seconds with sub-second precision. */
double td_now(void);
/* Monotonic clock in nanoseconds. */
uint64_t td_mono_ns(void);

/* mkdir -p with the given mode for every created component. */
int td_mkdir_p(const char *path, unsigned int mode);
/* Reads a whole file (at most max bytes, else TD_ETOOBIG) into *out (NUL-terminated). */
int td_read_file(const char *path, size_t max, char **out, size_t *len);
/* Writes path atomically: path.tmp, fsync, rename, fsync of the directory. */
int td_write_file_atomic(const char *path, const void *data, size_t len);
/* rm -rf; a missing path is not an error. */
int td_rm_rf(const char *path);

/* Strict number parsing: the whole string must be consumed. */
int td_parse_long(const char *s, long min, long max, long *out);
int td_parse_double(const char *s, double *out);

/* Formats epoch seconds as an ISO-8601 UTC string into out (>= 32 bytes). */
void td_fmt_time(double t, char *out, size_t outlen);

/* Path of a program installed beside the running executable (caller frees). */
char *td_sibling_path(const char *name);

/*
 * When process pid started (field 22 of /proc/<pid>/stat, clock ticks
 * since boot), or -1 if there is no such process or it is a zombie. With
 * the pid it names one process for good: pids are reused, this pair not.
 */
long long td_proc_start_ticks(pid_t pid);

#endif
