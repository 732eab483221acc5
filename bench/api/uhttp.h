/*
 * uhttp.h - the benchmarks' minimal HTTP/1.1 client: one blocking
 * keep-alive connection over a unix socket or loopback TCP, and the
 * response-head parser the non-blocking load generator shares.
 *
 * Owns its socket and buffers only. Speaks just what tunerd answers:
 * responses framed by Content-Length (no chunked bodies). Every function
 * returns 0 or a negative errno-style code.
 */
#ifndef TD_BENCH_UHTTP_H
#define TD_BENCH_UHTTP_H

#include <stddef.h>
#include <stdint.h>

struct uhttp {
	int	 fd;
	char	*in;		/* bytes read, the current response first */
	size_t	 ilen, icap;
	char	*out;		/* the request being built */
	size_t	 olen, ocap;
};

/*
 * Connects to addr: "unix:PATH", "PATH" (a path with a '/'), or
 * "HOST:PORT" (IPv4 literal). Fills *c; release with uhttp_close().
 */
int uhttp_connect(struct uhttp *c, const char *addr);
void uhttp_close(struct uhttp *c);

/*
 * Sends POST / with X-Amz-Target: target (or, with target NULL and body
 * NULL, GET path) and reads the whole response. *status gets the HTTP
 * status; *body points into c's buffer (NUL-terminated, valid until the
 * next call) and *len its length.
 */
int uhttp_call(struct uhttp *c, const char *target, const char *path,
    const char *body, size_t blen, int *status, const char **resp,
    size_t *rlen);

/*
 * Parses a response head in buf[0..len): returns 0 when incomplete,
 * -EPROTO when malformed, else the head's length with *status and
 * *clen (Content-Length, 0 if absent) set.
 */
long uhttp_parse_head(const char *buf, size_t len, int *status, size_t *clen);

/* Appends a whole request to out (grown with realloc). */
void uhttp_build(char **out, size_t *olen, size_t *ocap, const char *target,
    const char *path, const char *body, size_t blen);

uint64_t uhttp_now_ns(void);

#endif
