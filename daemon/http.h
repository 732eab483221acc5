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

/* Returns a server the caller owns (http_server_close); NULL on OOM. */
struct http_server *http_server_new(uv_loop_t *loop,
    const struct http_limits *limits, http_handler_fn fn, void *arg);

/* Listens on a unix socket at path (an existing stale socket is replaced). */
int http_listen_unix(struct http_server *s, const char *path);
/* Listens on host:port (IPv4 or IPv6 literal). port 0 picks one; *bound gets it. */
int http_listen_tcp(struct http_server *s, const char *host, int port, int *bound);

/*
 * Answers the request in flight on c. extra_headers is NULL or a block of
 * "Name: value\r\n" lines. The body is copied. Keep-alive is honoured
 * unless the request asked to close.
 */
void http_respond(struct http_conn *c, int status, const char *content_type,
    const char *body, size_t len, const char *extra_headers);

/* Header value of the request in flight (case-insensitive name) or NULL. */
const char *http_req_header(const struct http_request *req, const char *name);

/* Stops listening, closes every connection; frees s from the close callbacks. */
void http_server_close(struct http_server *s);

/* Counters for /metrics and tests. */
struct http_stats {
	unsigned long	 connections_open;
	unsigned long	 connections_total;
	unsigned long	 requests_total;
	unsigned long	 rejected_total;	/* 4xx/5xx produced by the server itself */
};
void http_server_stats(const struct http_server *s, struct http_stats *out);

#endif
