/*
 * fmt.h - bounded formatting for tunerd-worker: messages, where cutting a
 * long text short is fine, and paths, where it never is.
 */
#ifndef TD_WORKER_FMT_H
#define TD_WORKER_FMT_H

#include <stddef.h>

/* vsnprintf into out; a message too long for out is cut. */
void fmt_msg(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Formats a path into out; 0, or TD_EINVAL (out emptied) if it does not fit. */
int fmt_path(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
