/*
 * logcap.h - the job's output log (logs/output.log): the program's stdout
 * and stderr, line by line, each line prefixed with an ISO-8601 UTC
 * millisecond timestamp and a space, capped at a byte limit.
 *
 * Lines end at '\n'; a partial line is held per stream (so stdout and
 * stderr lines never interleave mid-line) until its '\n', until it reaches
 * LOGCAP_MAX_LINE bytes, or until logcap_flush(). Once the next line would
 * pass the limit, ONE marker line is written and everything after is
 * dropped (the caller still scrapes metrics). Also keeps the tail of
 * stderr for failure reasons. Ownership: logcap_open() returns an object
 * the caller frees with logcap_close() (NULL is a no-op).
 */
#ifndef TD_LOGCAP_H
#define TD_LOGCAP_H

#include <stddef.h>

#include "buf.h"

#define LOGCAP_MAX_LINE		(16 * 1024)
#define LOGCAP_DEFAULT_LIMIT	(64u * 1024 * 1024)
#define LOGCAP_STDOUT		0
#define LOGCAP_STDERR		1

struct logcap;

/* Creates (truncates) path; limit in bytes (0 = store nothing but the marker). */
int logcap_open(const char *path, size_t limit, struct logcap **out);
/* Stores output of a stream; now is epoch seconds, stamped on new lines. */
void logcap_feed(struct logcap *l, int stream, const char *data, size_t len,
    double now);
/* Writes "[tunerd] <text>" as its own line (counted against the limit). */
void logcap_note(struct logcap *l, double now, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends both streams' partial lines (with a '\n'). */
void logcap_flush(struct logcap *l, double now);
/* Bytes written to the file so far; whether the limit was reached. */
size_t logcap_size(const struct logcap *l);
int logcap_capped(const struct logcap *l);
/*
 * Appends to out the last lines of stderr: at most max_lines lines and
 * max_bytes bytes (cut at a character boundary), without the timestamps.
 */
void logcap_stderr_tail(const struct logcap *l, size_t max_lines,
    size_t max_bytes, struct buf *out);
void logcap_close(struct logcap *l);

/* Formats epoch seconds as 2026-11-26T15:00:00.123Z into out (>= 32 bytes). */
void logcap_stamp(double t, char *out, size_t outlen);

#endif
