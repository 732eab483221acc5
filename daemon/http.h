/*
 * http.h - tunerd's HTTP/1.1 server on libuv (http-parser underneath).
 *
 * Owns listeners (unix socket and TCP), connections, request parsing,
 * limits and timeouts. Never touches the store or the API: a complete
 * request is handed to the handler given to http_server_new(), which must
 * answer it exactly once with http_respond(), now or later (e.g. after a
 * proxied call to a model server). A connection whose peer has gone stays
 * allocated until that answer, which is then dropped. Requests on one
 * connection are answered in order (pipelining is parsed, one in flight).
 *
 * Limits: header bytes, body bytes (413 past either), connections (new
 * ones past the cap get 503 and are closed), an idle keep-alive timeout
 * and a whole-request timeout for slow senders (408).
 *
 * The unix listener is created mode 0600 and checks SO_PEERCRED: a peer
 * whose uid is neither the daemon's nor root gets 403 and is closed.
 *
 * Every response carries Content-Length, Date and x-amzn-RequestId; the
 * server's own errors (400, 403, 405, 408, 413, 417, 431, 503, 505) have a
 * JSON body {"__type": "...", "message": "..."} and close the connection.
 * libuv writes with write(2): the process must ignore SIGPIPE.
 */
#ifndef TD_HTTP_H
#define TD_HTTP_H

#include <stddef.h>
#include <sys/types.h>

#include <uv.h>

struct http_server;
struct http_conn;

struct http_header {
	const char	*name;		/* lower-cased */
	const char	*value;
};

struct http_request {
	const char	*method;	/* "GET", "POST", ... */
	const char	*path;		/* decoded? no: raw path, without the query */
	const char	*query;		/* raw query after '?', or "" */
	const struct http_header *headers;
	size_t		 n_headers;
	const char	*body;		/* NUL-terminated for convenience */
	size_t		 body_len;
	int		 is_unix;	/* arrived on the unix socket */
	const char	*peer;		/* "unix" or "127.0.0.1:5555" */
};

/*
 * A zero field means its default. request_timeout_ms also bounds the
 * writing of one response to a peer that does not read.
 */
struct http_limits {
	size_t		 max_header_bytes;	/* default 64 KiB */
	size_t		 max_body_bytes;	/* default 8 MiB */
	unsigned int	 max_connections;	/* default 1024 */
	unsigned int	 idle_timeout_ms;	/* keep-alive idle, default 60000 */
	unsigned int	 request_timeout_ms;	/* first byte to full body, default 30000 */
};

typedef void (*http_handler_fn)(struct http_conn *c,
    const struct http_request *req, void *arg);

/* Fills l with the defaults above. */
void http_limits_default(struct http_limits *l);

/*
 * Returns a server the caller owns (http_server_close); NULL on OOM.
 * limits is copied (NULL: defaults); fn is called on the loop thread with
 * a request that stays valid until http_respond() for it.
 */
struct http_server *http_server_new(uv_loop_t *loop,
    const struct http_limits *limits, http_handler_fn fn, void *arg);

/*
 * Listens on a unix socket at path, created 0600. A stale socket there (no
 * one accepting) is replaced; a live one is -EADDRINUSE, anything else
 * -EEXIST. The file is removed again by http_server_close().
 */
int http_listen_unix(struct http_server *s, const char *path);
/*
 * 1 if the file of one of s's unix sockets was removed or replaced (its
 * path no longer names the socket s listens on), else 0.
 */
int http_unix_gone(const struct http_server *s);
/*
 * Listens on host:port (IPv4 or IPv6 literal, "[::1]" too; names are
 * -EINVAL). port 0 picks one; *bound (if not NULL) gets the port bound.
 */
int http_listen_tcp(struct http_server *s, const char *host, int port, int *bound);

/*
 * Answers the request in flight on c. extra_headers is NULL or a block of
 * "Name: value\r\n" lines. The body is copied. Keep-alive is honoured
 * unless the request asked to close. Call it exactly once per request,
 * from the handler or any later loop callback; it never calls the handler
 * itself (the next pipelined request is dispatched from the loop). If the
 * peer has gone meanwhile, the answer is dropped and c freed.
 */
void http_respond(struct http_conn *c, int status, const char *content_type,
    const char *body, size_t len, const char *extra_headers);

/* Header value of the request in flight (case-insensitive name) or NULL. */
const char *http_req_header(const struct http_request *req, const char *name);

/*
 * Stops listening and closes every connection; s is freed from the last
 * close callback (run the loop). A request in flight still gets its
 * http_respond(), sent with Connection: close; until then s stays alive.
 */
void http_server_close(struct http_server *s);

/* Counters for /metrics and tests. */
struct http_stats {
	unsigned long	 connections_open;
	unsigned long	 connections_total;
	unsigned long	 requests_total;
	unsigned long	 rejected_total;	/* 4xx/5xx produced by the server itself */
};
void http_server_stats(const struct http_server *s, struct http_stats *out);

/*
 * Test hook for tests/fuzz/fuzz_http.c, not for the daemon: feeds data as
 * one client's byte stream (then EOF) to a fresh server with small limits
 * on a private loop, answers every request at once, and runs the loop
 * until everything is closed. Returns 0, or a negative code when the loop
 * could not be set up or did not close cleanly.
 */
int http__feed_for_fuzz(const unsigned char *data, size_t len);

#endif
