/*
 * http.c - tunerd's HTTP/1.1 server: listeners, connections, parsing,
 * limits, timeouts and response framing, on libuv with http-parser.
 *
 * Owns: the listening handles (unix socket file included), every
 * connection and its buffers, the per-connection timer. Never touches the
 * store, the API or JSON beyond the small error bodies it generates itself.
 *
 * Invariants:
 *  - A connection has at most one request in flight (handed to the handler,
 *    not yet answered) and parses nothing while one is in flight or while
 *    its response is being written; bytes read meanwhile stay in c->in.
 *  - The request handed out points into c->hdr and c->body, or for a body
 *    that came whole in one read into c->in (no copy), and none of them is
 *    touched until http_respond() for it: while such a body is borrowed,
 *    c->in is neither compacted nor reallocated; reads that need more room
 *    move to a fresh buffer and the old one (c->in_old) lives until then.
 *  - A connection is freed only when both its handles (stream, timer) have
 *    closed AND no request is in flight; a closed connection with a request
 *    in flight is freed by http_respond().
 *  - The server is freed when it is closing, its listeners have closed and
 *    its last connection has been freed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>
#include <uv.h>

#include "buf.h"
#include "http.h"
#include "log.h"

#define HTTP_BACKLOG	511
#define HTTP_IN_INIT	16384		/* first input buffer of a connection */
#define HTTP_IN_MIN	4096		/* free space offered to each read */
#define HTTP_IN_AHEAD	(256 * 1024)	/* read-ahead cap while one is in flight */
#define HTTP_KEEP_MAX	(1024 * 1024)	/* buffers above this are released after a request */
#define HTTP_LINGER_MS	2000		/* drain time after a final response */
#define HTTP_CORK_MAX	(64 * 1024)	/* answers gathered for one write */
#define HTTP_CORK_NS	(25 * 1000)	/* the longest a corked answer waits */

enum conn_timer {
	CT_NONE,
	CT_IDLE,	/* keep-alive idle: close silently */
	CT_REQUEST,	/* first byte to full request: 408 */
	CT_WRITE,	/* a response the peer does not read: close */
	CT_LINGER,	/* draining after a final response: close */
	CT_PROCESS,	/* 0 ms: parse buffered input from the loop */
};

enum conn_hstate {
	HS_URL,
	HS_FIELD,
	HS_VALUE,
};

union http_stream {
	uv_handle_t	 handle;
	uv_stream_t	 stream;
	uv_tcp_t	 tcp;
	uv_pipe_t	 pipe;
};

struct http_listener {
	union http_stream	 h;
	struct http_server	*srv;
	struct http_listener	*next;
	int			 is_unix;
	int			 linked;	/* counted in srv->n_listeners */
	char			*path;		/* unix: the socket file we created */
	dev_t			 dev;
	ino_t			 ino;
};

struct http_server {
	uv_loop_t		*loop;
	struct http_limits	 lim;
	http_handler_fn		 fn;
	void			*arg;
	struct http_listener	*listeners;
	unsigned int		 n_listeners;	/* not yet closed */
	struct http_conn	*conns;
	unsigned int		 n_active;	/* counted against the cap */
	int			 closing;
	struct http_stats	 st;
	uint64_t		 rid_seed;
	uint64_t		 rid_ctr;
	time_t			 date_sec;
	char			 date[48];	/* "Date: ...\r\n" */
	size_t			 date_len;
};

struct http_conn {
	union http_stream	 h;
	uv_timer_t		 timer;
	uv_write_t		 wreq;
	uv_write_t		 creq;		/* 100 Continue */
	uv_shutdown_t		 sreq;
	struct http_server	*srv;
	struct http_conn	*prev, *next;
	http_parser		 parser;

	/* Bytes read; [ioff, ilen) not parsed yet. */
	char			*in;
	size_t			 ioff, ilen, icap;
	char			*in_old;	/* holds the borrowed body, see above */
	const char		*bbody;		/* the body borrowed from in or in_old */
	size_t			 bbody_len;

	/* The request being parsed or in flight. */
	struct buf		 hdr;		/* url NUL (name NUL value NUL)* */
	size_t			*hoff;		/* name/value offsets into hdr */
	size_t			 n_hoff, hoff_cap;
	struct http_header	*hv;
	size_t			 hv_cap;
	struct buf		 body;
	struct http_request	 req;
	size_t			 hdr_bytes;
	enum conn_hstate	 hstate;
	int			 err_status;
	unsigned int		 crlf_left;	/* bytes of a chunk's CRLF not yet seen */
	const char		*feed_end;	/* end of the bytes being parsed */
	const char		*err_type;
	char			 err_msg[160];

	struct buf		 out;
	uint64_t		 cork_since;	/* uv_hrtime(): oldest corked request began */
	enum conn_timer		 tkind;
	uint64_t		 tdue;		/* uv_now() when tkind is due */
	uint64_t		 tarmed;	/* when the uv timer fires; 0: stopped */
	int			 n_closing;	/* close callbacks still due */
	char			 peer[64];

	unsigned int		 is_unix : 1;
	unsigned int		 counted : 1;	/* holds a slot of the cap */
	unsigned int		 in_flight : 1;
	unsigned int		 writing : 1;
	unsigned int		 in_process : 1;
	unsigned int		 in_message : 1;
	unsigned int		 keep_alive : 1;
	unsigned int		 want_close : 1;
	unsigned int		 head : 1;
	unsigned int		 eof : 1;
	unsigned int		 hdone : 1;	/* headers complete */
	unsigned int		 reading : 1;
	unsigned int		 lingering : 1;
	unsigned int		 closing : 1;
};

static void conn_process(struct http_conn *);
static void conn_flush(struct http_conn *);
static void conn_close(struct http_conn *);
static void conn_free(struct http_conn *);
static int conn_read_start(struct http_conn *);
static void server_maybe_free(struct http_server *);
static void conn_arm(struct http_conn *);
static void conn_timer(struct http_conn *, enum conn_timer, unsigned int);
static void on_read(uv_stream_t *, ssize_t, const uv_buf_t *);
static void on_alloc(uv_handle_t *, size_t, uv_buf_t *);

static const char empty[] = "";

void
http_limits_default(struct http_limits *l)
{
	l->max_header_bytes = 64 * 1024;
	l->max_body_bytes = 8 * 1024 * 1024;
	l->max_connections = 1024;
	l->idle_timeout_ms = 60000;
	l->request_timeout_ms = 30000;
}

/* --- small helpers ------------------------------------------------------ */

static void *
xcalloc(size_t n, size_t sz)
{
	void *p;

	if ((p = calloc(n, sz)) == NULL)
		fatalx("http: out of memory");
	return p;
}

static void *
xrealloc(void *p, size_t n, size_t sz)
{
	if (sz != 0 && n > SIZE_MAX / sz)
		fatalx("http: allocation overflow");
	if ((p = realloc(p, n * sz)) == NULL)
		fatalx("http: out of memory");
	return p;
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
seed64(void)
{
	uint64_t s = 0;
	struct timespec ts;

	if (uv_random(NULL, NULL, &s, sizeof(s), 0, NULL) == 0 && s != 0)
		return s;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 32);
}

static void
put_hex(char *p, uint64_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";

	while (digits-- > 0) {
		p[digits] = hex[v & 0xf];
		v >>= 4;
	}
}

/* Appends a fresh UUID-shaped (version 4 layout) request id. */
static void
put_request_id(struct http_server *s, struct buf *b)
{
	uint64_t x = s->rid_seed + s->rid_ctr++;
	uint64_t hi = splitmix64(&x), lo = splitmix64(&x);
	char id[36];

	hi = (hi & ~0xf000ULL) | 0x4000ULL;
	lo = (lo & ~(0x3ULL << 62)) | (0x2ULL << 62);
	put_hex(id, hi >> 32, 8);
	id[8] = '-';
	put_hex(id + 9, (hi >> 16) & 0xffff, 4);
	id[13] = '-';
	put_hex(id + 14, hi & 0xffff, 4);
	id[18] = '-';
	put_hex(id + 19, lo >> 48, 4);
	id[23] = '-';
	put_hex(id + 24, lo & 0xffffffffffffULL, 12);
	buf_append(b, id, sizeof(id));
}

#define PUT_LIT(b, s) buf_append((b), (s), sizeof(s) - 1)

/* The Date header line, formatted at most once per second. */
static void
put_date(struct http_server *s, struct buf *b)
{
	time_t now = time(NULL);
	struct tm tm;
	size_t n;

	if (now != s->date_sec || s->date_len == 0) {
		gmtime_r(&now, &tm);
		n = strftime(s->date, sizeof(s->date),
		    "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		s->date_len = n;
		s->date_sec = now;
	}
	buf_append(b, s->date, s->date_len);
}

static const char *
reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Entity";
	case 424: return "Failed Dependency";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default:  return "Unknown";
	}
}

static int
ascii_casecmp(const char *a, const char *b)
{
	unsigned char x, y;

	do {
		x = (unsigned char)*a++;
		y = (unsigned char)*b++;
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
	} while (x != 0 && x == y);
	return x - y;
}

const char *
http_req_header(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++)
		if (ascii_casecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

/* --- responses ---------------------------------------------------------- */

/*
 * Frames a whole response into c->out: status line, headers, body, in one
 * buffer so it leaves in one write.
 */
static void
conn_build(struct http_conn *c, int status, const char *ctype,
    const char *body, size_t len, const char *extra, int keep)
{
	struct buf *b = &c->out;
	int nobody = status == 204 || status == 304 || status < 200;
	size_t xlen = extra != NULL ? strlen(extra) : 0;

	/* Appends: answers to pipelined requests may be gathered (corked). */
	buf_reserve(b, 256 + xlen + (ctype ? strlen(ctype) : 0) + len);
	PUT_LIT(b, "HTTP/1.1 ");
	buf_put_u64(b, (uint64_t)status);
	buf_putc(b, ' ');
	buf_puts(b, reason(status));
	PUT_LIT(b, "\r\n");
	if (ctype != NULL && !nobody) {
		PUT_LIT(b, "Content-Type: ");
		buf_puts(b, ctype);
		PUT_LIT(b, "\r\n");
	}
	if (!nobody) {
		PUT_LIT(b, "Content-Length: ");
		buf_put_u64(b, len);
		PUT_LIT(b, "\r\n");
	}
	put_date(c->srv, b);
	PUT_LIT(b, "x-amzn-RequestId: ");
	put_request_id(c->srv, b);
	PUT_LIT(b, "\r\n");
	if (xlen > 0) {
		buf_append(b, extra, xlen);
		if (xlen < 2 || extra[xlen - 2] != '\r' || extra[xlen - 1] != '\n')
			PUT_LIT(b, "\r\n");
	}
	if (!keep)
		PUT_LIT(b, "Connection: close\r\n");
	else if (c->parser.http_major == 1 && c->parser.http_minor == 0)
		PUT_LIT(b, "Connection: keep-alive\r\n");
	PUT_LIT(b, "\r\n");
	if (!nobody && !c->head && len > 0)
		buf_append(b, body, len);
}

/* The request in flight borrows its body from c->in, which must stay put. */
static int
in_pinned(const struct http_conn *c)
{
	return c->bbody != NULL && c->in_old == NULL;
}

/* Releases per-request buffers that one large request made big. */
static void
conn_trim(struct http_conn *c)
{
	if (c->body.cap > HTTP_KEEP_MAX)
		buf_free(&c->body);
	if (c->hdr.cap > HTTP_KEEP_MAX)
		buf_free(&c->hdr);
	if (c->out.cap > HTTP_KEEP_MAX && c->out.len == 0)
		buf_free(&c->out);
	if (c->icap > 4 * HTTP_IN_INIT && c->ioff == c->ilen) {
		free(c->in);
		c->in = NULL;
		c->icap = c->ilen = c->ioff = 0;
	}
	c->body.len = 0;
	c->hdr.len = 0;
	c->n_hoff = 0;
}

static void
on_linger_shutdown(uv_shutdown_t *req, int status)
{
	struct http_conn *c = req->data;

	if (status < 0)
		conn_close(c);
}

/*
 * After a final response: half-close, then read and drop what the peer
 * still sends until it closes or the linger timer fires, so a peer that
 * was still sending gets the response instead of a reset.
 */
static void
conn_linger(struct http_conn *c)
{
	if (c->closing)
		return;
	if (c->eof || c->srv->closing) {
		conn_close(c);
		return;
	}
	c->lingering = 1;
	c->ioff = c->ilen = 0;
	c->sreq.data = c;
	if (uv_shutdown(&c->sreq, &c->h.stream, on_linger_shutdown) < 0) {
		conn_close(c);
		return;
	}
	if (conn_read_start(c) < 0) {
		conn_close(c);
		return;
	}
	conn_arm(c);
}

/*
 * The answer on c has been written completely (or corked, see conn_send):
 * get ready for the next request. from_loop says whether we run from a
 * loop callback (on_write), where buffered input may be parsed at once;
 * otherwise (inside http_respond) it is parsed from a 0 ms timer, so that
 * the handler is never called from inside its own http_respond().
 */
static void
conn_response_done(struct http_conn *c, int from_loop)
{
	c->writing = 0;
	if (c->closing)
		return;
	if (c->want_close) {
		conn_linger(c);
		return;
	}
	/*
	 * A request in flight, or one partly parsed after corked answers,
	 * keeps its buffers.
	 */
	if (!c->in_flight && !c->in_message)
		conn_trim(c);
	if (conn_read_start(c) < 0) {
		conn_close(c);
		return;
	}
	if (c->in_process)
		return;
	if (from_loop)
		conn_process(c);
	else if (c->ioff < c->ilen || c->eof)
		conn_timer(c, CT_PROCESS, 0);
	else
		conn_arm(c);
}

static void
on_write(uv_write_t *req, int status)
{
	struct http_conn *c = req->data;

	c->out.len = 0;
	if (status < 0) {
		c->writing = 0;
		conn_close(c);
		return;
	}
	conn_response_done(c, 1);
}

/*
 * Writes c->out: at once with writev() when the socket takes it all (the
 * usual case: no poll registration changes), else through uv_write().
 */
static void
conn_flush(struct http_conn *c)
{
	uv_buf_t b = uv_buf_init(c->out.data, (unsigned int)c->out.len);
	int r;

	r = uv_try_write(&c->h.stream, &b, 1);
	if (r >= 0 && (size_t)r == b.len) {
		c->out.len = 0;
		conn_response_done(c, 0);
		return;
	}
	if (r < 0 && r != UV_EAGAIN) {
		c->out.len = 0;
		conn_close(c);
		return;
	}
	if (r > 0) {
		b.base += r;
		b.len -= (size_t)r;
	}
	c->writing = 1;
	c->wreq.data = c;
	if ((r = uv_write(&c->wreq, &c->h.stream, &b, 1, on_write)) < 0) {
		c->writing = 0;
		c->out.len = 0;
		conn_close(c);
		return;
	}
	conn_arm(c);
}

/*
 * Sends the answer just framed into c->out. While conn_process() still
 * has pipelined input to parse, the answer is corked: the answers leave
 * together in one write when the input runs out (or the next request is
 * answered later, or HTTP_CORK_MAX is reached, or HTTP_CORK_NS have
 * passed since the oldest corked request was handed to the handler).
 * The time bound matters to a client that pipelines (tunerd's proxy to
 * a model server): it gets answers while the rest are computed instead
 * of all at the end, which on 2 CPUs took its single-row throughput from
 * 0.69-0.77 of invoking the server directly to 0.86-0.91 (bench/README.md).
 */
static void
conn_send(struct http_conn *c)
{
	if (c->in_process && !c->want_close && c->ioff < c->ilen &&
	    c->out.len < HTTP_CORK_MAX &&
	    uv_hrtime() - c->cork_since < HTTP_CORK_NS) {
		conn_response_done(c, 0);
		return;
	}
	conn_flush(c);
}

/* A response the server makes itself: JSON error body, then close. */
static void
conn_fail(struct http_conn *c, int status, const char *type, const char *msg)
{
	struct buf body = { 0 };

	assert(!c->in_flight);
	buf_puts(&body, "{\"__type\":");
	buf_json_str(&body, type, strlen(type));
	buf_puts(&body, ",\"message\":");
	buf_json_str(&body, msg, strlen(msg));
	buf_putc(&body, '}');
	c->srv->st.rejected_total++;
	c->want_close = 1;
	c->in_message = 0;
	conn_build(c, status, "application/x-amz-json-1.1", body.data,
	    body.len, NULL, 0);
	buf_free(&body);
	conn_send(c);
}

void
http_respond(struct http_conn *c, int status, const char *content_type,
    const char *body, size_t len, const char *extra_headers)
{
	int keep;

	assert(c->in_flight);
	c->in_flight = 0;
	c->bbody = NULL;
	free(c->in_old);
	c->in_old = NULL;
	if (c->closing) {
		/* The peer (or the server) went away meanwhile. */
		if (c->n_closing == 0)
			conn_free(c);
		return;
	}
	if (status < 100 || status > 999) {
		log_warnx("http_respond: bad status %d, sending 500", status);
		status = 500;
	}
	keep = c->keep_alive && !c->srv->closing;
	if (!keep)
		c->want_close = 1;
	conn_build(c, status, content_type, body, body ? len : 0,
	    extra_headers, keep);
	conn_send(c);
}

/* --- timers ------------------------------------------------------------- */

static void
on_timer(uv_timer_t *t)
{
	struct http_conn *c = t->data;
	enum conn_timer k = c->tkind;
	uint64_t now = uv_now(t->loop);

	c->tarmed = 0;
	if (c->closing || k == CT_NONE)
		return;
	if (now < c->tdue) {
		/* Armed for an earlier state; this one is due later. */
		c->tarmed = c->tdue;
		uv_timer_start(&c->timer, on_timer, c->tdue - now, 0);
		return;
	}
	c->tkind = CT_NONE;
	switch (k) {
	case CT_REQUEST:
		if (!c->in_flight && !c->writing && !c->lingering) {
			char msg[128];

			snprintf(msg, sizeof(msg), "the request was not "
			    "received completely within %u ms",
			    c->srv->lim.request_timeout_ms);
			conn_fail(c, 408, "RequestTimeout", msg);
		}
		break;
	case CT_IDLE:
	case CT_WRITE:
	case CT_LINGER:
		conn_close(c);
		break;
	case CT_PROCESS:
		conn_process(c);
		break;
	case CT_NONE:
		break;
	}
}

/*
 * Sets what c's timer means and when. The uv timer is moved only to make
 * it fire earlier: a state with a later deadline (the next request, say)
 * is checked when it fires, so that a request and its answer cost no
 * timer heap operations in the usual case.
 */
static void
conn_timer(struct http_conn *c, enum conn_timer k, unsigned int ms)
{
	uint64_t now;

	if (k == c->tkind)
		return;
	c->tkind = k;
	if (k == CT_NONE)
		return;
	now = uv_now(c->srv->loop);
	c->tdue = now + ms;
	if (c->tarmed != 0 && c->tarmed <= c->tdue)
		return;
	c->tarmed = c->tdue;
	uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* Sets the one timer that matters in c's current state. */
static void
conn_arm(struct http_conn *c)
{
	const struct http_limits *l = &c->srv->lim;

	if (c->closing)
		return;
	/* Deferred parsing first: it arms the right timer when it runs. */
	if (c->tkind == CT_PROCESS && !c->lingering && !c->writing)
		return;
	if (c->lingering)
		conn_timer(c, CT_LINGER, HTTP_LINGER_MS);
	else if (c->writing)
		conn_timer(c, CT_WRITE, l->request_timeout_ms);
	else if (c->in_flight)
		conn_timer(c, CT_NONE, 0);
	else if (c->in_message)
		conn_timer(c, CT_REQUEST, l->request_timeout_ms);
	else
		conn_timer(c, CT_IDLE, l->idle_timeout_ms);
}

/* --- parsing ------------------------------------------------------------ */

static int
req_error(struct http_conn *c, int status, const char *type, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
req_error(struct http_conn *c, int status, const char *type, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err_msg, sizeof(c->err_msg), fmt, ap);
	va_end(ap);
	c->err_status = status;
	c->err_type = type;
	return -1;
}

static int
hdr_count(struct http_conn *c, size_t n)
{
	c->hdr_bytes += n;
	if (c->hdr_bytes > c->srv->lim.max_header_bytes)
		return req_error(c, 431, "RequestHeaderFieldsTooLarge",
		    "the request line and headers exceed %zu bytes",
		    c->srv->lim.max_header_bytes);
	return 0;
}

static int
on_message_begin(http_parser *p)
{
	struct http_conn *c = p->data;

	c->in_message = 1;
	c->hdone = 0;
	c->head = 0;
	c->hdr.len = 0;
	c->body.len = 0;
	c->bbody = NULL;		/* the last request is answered */
	c->n_hoff = 0;
	c->hdr_bytes = 0;
	c->hstate = HS_URL;
	c->err_status = 0;
	c->crlf_left = 0;
	conn_arm(c);
	return 0;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (hdr_count(c, len) < 0)
		return -1;
	buf_append(&c->hdr, at, len);
	return 0;
}

static void
append_lower(struct buf *b, const char *at, size_t len)
{
	char *d;
	size_t i;

	buf_reserve(b, len);
	d = b->data + b->len;
	for (i = 0; i < len; i++) {
		char ch = at[i];

		d[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + ('a' - 'A')) : ch;
	}
	b->len += len;
	b->data[b->len] = '\0';
}

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	/*
	 * http-parser's lenient build takes "Name : value"; a name with
	 * blanks is a smuggling shape (RFC 9112 5.1): refuse it.
	 */
	if (memchr(at, ' ', len) != NULL || memchr(at, '\t', len) != NULL)
		return req_error(c, 400, "BadRequest", "malformed HTTP request: "
		    "whitespace in a header field name");
	/* Trailers of a chunked body count against the limit, unkept. */
	if (c->hdone)
		return hdr_count(c, len + 4);
	if (c->hstate != HS_FIELD) {
		if (hdr_count(c, 4) < 0)
			return -1;
		buf_putc(&c->hdr, '\0');
		if (c->n_hoff + 2 > c->hoff_cap) {
			c->hoff_cap = c->hoff_cap ? c->hoff_cap * 2 : 32;
			c->hoff = xrealloc(c->hoff, c->hoff_cap, sizeof(*c->hoff));
		}
		c->hoff[c->n_hoff++] = c->hdr.len;
		c->hoff[c->n_hoff++] = 0;
		c->hstate = HS_FIELD;
	}
	if (hdr_count(c, len) < 0)
		return -1;
	append_lower(&c->hdr, at, len);
	return 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (c->hdone)
		return hdr_count(c, len);
	if (c->hstate != HS_VALUE) {
		buf_putc(&c->hdr, '\0');
		c->hoff[c->n_hoff - 1] = c->hdr.len;
		c->hstate = HS_VALUE;
	}
	if (hdr_count(c, len) < 0)
		return -1;
	buf_append(&c->hdr, at, len);
	return 0;
}

static void
on_continue_written(uv_write_t *req, int status)
{
	/* A failure shows up again on the response write or the read side. */
}

static void
conn_continue(struct http_conn *c)
{
	static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
	uv_buf_t b = uv_buf_init((char *)msg, sizeof(msg) - 1);
	int r;

	r = uv_try_write(&c->h.stream, &b, 1);
	if ((r >= 0 && (size_t)r == b.len) || (r < 0 && r != UV_EAGAIN))
		return;
	if (r > 0) {
		b.base += r;
		b.len -= (size_t)r;
	}
	c->creq.data = c;
	(void)uv_write(&c->creq, &c->h.stream, &b, 1, on_continue_written);
}

/* Splits the url into path and query and points req at the headers. */
static void
req_fill(struct http_conn *c)
{
	struct http_request *req = &c->req;
	size_t i, n = c->n_hoff / 2;
	char *q;

	if (n > c->hv_cap) {
		c->hv_cap = n > 2 * c->hv_cap ? n : 2 * c->hv_cap;
		c->hv = xrealloc(c->hv, c->hv_cap, sizeof(*c->hv));
	}
	for (i = 0; i < n; i++) {
		c->hv[i].name = c->hdr.data + c->hoff[2 * i];
		c->hv[i].value = c->hdr.data + c->hoff[2 * i + 1];
	}
	req->method = http_method_str((enum http_method)c->parser.method);
	req->path = c->hdr.data;
	req->query = empty;
	if ((q = strchr(c->hdr.data, '?')) != NULL) {
		*q = '\0';
		req->query = q + 1;
	}
	req->headers = c->hv;
	req->n_headers = n;
	req->body = empty;
	req->body_len = 0;
	req->is_unix = c->is_unix;
	req->peer = c->peer;
}

static int
on_headers_complete(http_parser *p)
{
	struct http_conn *c = p->data;
	const struct http_limits *l = &c->srv->lim;
	int chunked = (p->flags & F_CHUNKED) != 0;
	int sized = p->content_length != ULLONG_MAX;
	const char *expect;

	buf_putc(&c->hdr, '\0');
	c->hdone = 1;
	req_fill(c);
	/* Upgrades (h2c, websocket) are optional for a server: ignore them. */
	p->upgrade = 0;
	if (p->method == HTTP_CONNECT)
		return req_error(c, 405, "MethodNotAllowed",
		    "CONNECT is not supported");
	if (p->http_major != 1)
		return req_error(c, 505, "HTTPVersionNotSupported",
		    "only HTTP/1.0 and HTTP/1.1 are supported");
	if (!chunked && sized && p->content_length > l->max_body_bytes)
		return req_error(c, 413, "RequestEntityTooLarge",
		    "the request body (%llu bytes) exceeds the limit of %zu "
		    "bytes", (unsigned long long)p->content_length,
		    l->max_body_bytes);
	c->head = p->method == HTTP_HEAD;
	if (!chunked && sized && p->content_length > 0)
		buf_reserve(&c->body, (size_t)p->content_length);
	if ((expect = http_req_header(&c->req, "expect")) != NULL) {
		if (ascii_casecmp(expect, "100-continue") != 0)
			return req_error(c, 417, "ExpectationFailed",
			    "unsupported expectation (only 100-continue)");
		if (p->http_minor >= 1 && (chunked ||
		    (sized && p->content_length > 0)))
			conn_continue(c);
	}
	return 0;
}

/*
 * Checks the bytes in [p, end) against what is still due of the CRLF that
 * must end a chunk's data (http-parser's lenient build skips any two
 * bytes there). Returns 0, or -1 with the 400 set.
 */
static int
chunk_crlf_check(struct http_conn *c, const char *p, const char *end)
{
	while (c->crlf_left > 0 && p < end) {
		if (*p++ != (c->crlf_left == 2 ? '\r' : '\n'))
			return req_error(c, 400, "BadRequest", "malformed HTTP "
			    "request: chunk data not followed by CRLF");
		c->crlf_left--;
	}
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	size_t max = c->srv->lim.max_body_bytes;

	if (len > max || c->body.len > max - len)
		return req_error(c, 413, "RequestEntityTooLarge",
		    "the request body exceeds the limit of %zu bytes", max);
	/*
	 * A whole Content-Length body ending where the bytes read end (no
	 * request pipelined behind it, room for its NUL) is borrowed, not
	 * copied: a proxied body then crosses tunerd with no copy in user
	 * space.
	 */
	if (c->body.len == 0 && !(p->flags & F_CHUNKED) &&
	    p->content_length == 0 && at + len == c->feed_end &&
	    c->feed_end == c->in + c->ilen && c->ilen < c->icap) {
		c->bbody = at;
		c->bbody_len = len;
		return 0;
	}
	buf_append(&c->body, at, len);
	/* The last piece of a chunk's data: its CRLF comes next. */
	if ((p->flags & F_CHUNKED) && p->content_length == 0) {
		c->crlf_left = 2;
		return chunk_crlf_check(c, at + len, c->feed_end);
	}
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct http_conn *c = p->data;

	c->keep_alive = http_should_keep_alive(p) != 0;
	c->in_message = 0;
	/* Stop here: the next pipelined request waits for this answer. */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings parser_settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

static void
conn_dispatch(struct http_conn *c)
{
	struct http_server *s = c->srv;

	if (c->bbody != NULL && c->ioff == c->ilen) {
		/* Its NUL takes the next byte; later reads go after it. */
		c->in[c->ilen++] = '\0';
		c->ioff = c->ilen;
		c->req.body = c->bbody;
		c->req.body_len = c->bbody_len;
	} else {
		if (c->bbody != NULL) {
			buf_append(&c->body, c->bbody, c->bbody_len);
			c->bbody = NULL;
		}
		if (c->body.data != NULL)
			c->body.data[c->body.len] = '\0';
		c->req.body = c->body.data != NULL ? c->body.data : empty;
		c->req.body_len = c->body.len;
	}
	c->in_flight = 1;
	if (c->out.len == 0)
		c->cork_since = uv_hrtime();
	s->st.requests_total++;
	conn_arm(c);
	s->fn(c, &c->req, s->arg);
}

static void
conn_parse_error(struct http_conn *c)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
	char msg[160];

	if (c->err_status != 0) {
		conn_fail(c, c->err_status, c->err_type, c->err_msg);
		return;
	}
	if (e == HPE_HEADER_OVERFLOW) {
		snprintf(msg, sizeof(msg), "the request line and headers "
		    "exceed %zu bytes", c->srv->lim.max_header_bytes);
		conn_fail(c, 431, "RequestHeaderFieldsTooLarge", msg);
		return;
	}
	snprintf(msg, sizeof(msg), "malformed HTTP request: %s",
	    http_errno_description(e));
	conn_fail(c, 400, "BadRequest", msg);
}

/*
 * Parses buffered input and dispatches complete requests, one at a time:
 * stops while a request is in flight or its answer is being written.
 */
static void
conn_process(struct http_conn *c)
{
	size_t n;

	c->in_process = 1;
	while (!c->in_flight && !c->writing && !c->want_close &&
	    !c->closing && c->ioff < c->ilen) {
		c->feed_end = c->in + c->ilen;
		if (c->crlf_left > 0 &&
		    chunk_crlf_check(c, c->in + c->ioff, c->feed_end) < 0) {
			conn_fail(c, c->err_status, c->err_type, c->err_msg);
			break;
		}
		n = http_parser_execute(&c->parser, &parser_settings,
		    c->in + c->ioff, c->ilen - c->ioff);
		c->ioff += n;
		switch (HTTP_PARSER_ERRNO(&c->parser)) {
		case HPE_OK:
			break;
		case HPE_PAUSED:
			http_parser_pause(&c->parser, 0);
			conn_dispatch(c);
			break;
		default:
			conn_parse_error(c);
			break;
		}
	}
	/* Answers corked while pipelined input was parsed leave together. */
	if (c->out.len > 0 && !c->writing && !c->closing)
		conn_flush(c);
	if (c->ioff == c->ilen && !in_pinned(c))
		c->ioff = c->ilen = 0;
	c->in_process = 0;
	if (c->closing)
		return;
	if (c->eof && !c->in_flight && !c->writing && !c->lingering) {
		conn_close(c);
		return;
	}
	conn_arm(c);
}

/* --- connections -------------------------------------------------------- */

static int
conn_read_start(struct http_conn *c)
{
	int r;

	if (c->reading || c->eof || c->closing)
		return 0;
	if ((r = uv_read_start(&c->h.stream, on_alloc, on_read)) < 0)
		return r;
	c->reading = 1;
	return 0;
}

static void
conn_read_stop(struct http_conn *c)
{
	if (c->reading) {
		uv_read_stop(&c->h.stream);
		c->reading = 0;
	}
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct http_conn *c = h->data;
	size_t ncap, left;
	char *nin;

	if (in_pinned(c)) {
		if (c->icap - c->ilen < HTTP_IN_MIN) {
			/* No room after the borrowed body: read into a new buffer. */
			left = c->ilen - c->ioff;
			ncap = HTTP_IN_INIT;
			while (ncap < left + HTTP_IN_MIN)
				ncap *= 2;
			nin = xrealloc(NULL, ncap, 1);
			memcpy(nin, c->in + c->ioff, left);
			c->in_old = c->in;
			c->in = nin;
			c->icap = ncap;
			c->ilen = left;
			c->ioff = 0;
		}
		*b = uv_buf_init(c->in + c->ilen,
		    (unsigned int)(c->icap - c->ilen));
		return;
	}
	if (c->ioff == c->ilen)
		c->ioff = c->ilen = 0;
	if (c->icap - c->ilen < HTTP_IN_MIN && c->ioff > 0) {
		memmove(c->in, c->in + c->ioff, c->ilen - c->ioff);
		c->ilen -= c->ioff;
		c->ioff = 0;
	}
	if (c->icap - c->ilen < HTTP_IN_MIN) {
		ncap = c->icap ? c->icap * 2 : HTTP_IN_INIT;
		c->in = xrealloc(c->in, ncap, 1);
		c->icap = ncap;
	}
	*b = uv_buf_init(c->in + c->ilen, (unsigned int)(c->icap - c->ilen));
}

static void
on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct http_conn *c = st->data;

	if (nread > 0) {
		if (c->lingering) {
			c->ioff = c->ilen = 0;
			return;
		}
		c->ilen += (size_t)nread;
		if (c->in_flight || c->writing) {
			/* Read ahead a little, then let TCP push back. */
			if (c->ilen - c->ioff >= HTTP_IN_AHEAD)
				conn_read_stop(c);
			return;
		}
		conn_process(c);
		return;
	}
	if (nread == 0)
		return;
	conn_read_stop(c);
	if (nread == UV_EOF && !c->lingering) {
		/* A half-close still gets the answers to what was sent. */
		c->eof = 1;
		if (c->in_flight || c->writing)
			return;
	}
	conn_close(c);
}

static void
conn_free(struct http_conn *c)
{
	struct http_server *s = c->srv;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->st.connections_open--;
	free(c->in);
	free(c->in_old);
	free(c->hoff);
	free(c->hv);
	buf_free(&c->hdr);
	buf_free(&c->body);
	buf_free(&c->out);
	free(c);
	server_maybe_free(s);
}

static void
on_conn_close(uv_handle_t *h)
{
	struct http_conn *c = h->data;

	if (--c->n_closing == 0 && !c->in_flight)
		conn_free(c);
}

/* Closes both handles; c is freed when they are closed and nothing is in flight. */
static void
conn_close(struct http_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->reading = 0;
	if (c->counted) {
		c->counted = 0;
		c->srv->n_active--;
	}
	c->n_closing = 2;
	uv_close(&c->h.handle, on_conn_close);
	uv_close((uv_handle_t *)&c->timer, on_conn_close);
}

static struct http_conn *
conn_new(struct http_server *s, int is_unix)
{
	struct http_conn *c = xcalloc(1, sizeof(*c));

	c->srv = s;
	c->is_unix = is_unix != 0;
	if (is_unix)
		(void)uv_pipe_init(s->loop, &c->h.pipe, 0);
	else
		(void)uv_tcp_init(s->loop, &c->h.tcp);
	(void)uv_timer_init(s->loop, &c->timer);
	c->h.handle.data = c;
	c->timer.data = c;
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->st.connections_open++;
	s->st.connections_total++;
	return c;
}

static void
conn_peer_tcp(struct http_conn *c)
{
	struct sockaddr_storage ss;
	char ip[INET6_ADDRSTRLEN];
	int len = sizeof(ss);

	snprintf(c->peer, sizeof(c->peer), "tcp");
	if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		if (uv_ip4_name(in, ip, sizeof(ip)) == 0)
			snprintf(c->peer, sizeof(c->peer), "%s:%u", ip,
			    (unsigned)ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

		if (uv_ip6_name(in6, ip, sizeof(ip)) == 0)
			snprintf(c->peer, sizeof(c->peer), "[%s]:%u", ip,
			    (unsigned)ntohs(in6->sin6_port));
	}
}

/* 0 if the unix peer may talk to us, else its uid in *uid (or -1). */
static int
conn_peer_denied(struct http_conn *c, long *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uv_os_fd_t fd;

	*uid = -1;
	if (uv_fileno(&c->h.handle, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return 1;
	*uid = (long)cr.uid;
	return cr.uid != geteuid() && cr.uid != 0;
}

/* Starts a connection whose stream is open: checks, then reads. */
static void
conn_start(struct http_conn *c)
{
	struct http_server *s = c->srv;
	char msg[160];
	long uid;

	if (c->is_unix)
		snprintf(c->peer, sizeof(c->peer), "unix");
	else {
		(void)uv_tcp_nodelay(&c->h.tcp, 1);
		conn_peer_tcp(c);
	}
	if (conn_read_start(c) < 0) {
		conn_close(c);
		return;
	}
	if (c->is_unix && conn_peer_denied(c, &uid)) {
		snprintf(msg, sizeof(msg), "connections from uid %ld are "
		    "refused: only uid %ld (the daemon's) and root may use "
		    "this socket", uid,
		    (long)geteuid());
		log_warnx("http: %s", msg);
		conn_fail(c, 403, "AccessDenied", msg);
		return;
	}
	if (s->n_active >= s->lim.max_connections) {
		snprintf(msg, sizeof(msg), "too many connections (limit %u); "
		    "retry later", s->lim.max_connections);
		conn_fail(c, 503, "ServiceUnavailable", msg);
		return;
	}
	c->counted = 1;
	s->n_active++;
	conn_arm(c);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct http_listener *l = server->data;
	struct http_conn *c;
	int r;

	if (status < 0) {
		log_warnx("http: accept: %s", uv_strerror(status));
		return;
	}
	c = conn_new(l->srv, l->is_unix);
	if ((r = uv_accept(server, &c->h.stream)) < 0) {
		log_warnx("http: accept: %s", uv_strerror(r));
		conn_close(c);
		return;
	}
	conn_start(c);
}

/* --- listeners and the server ------------------------------------------- */

static void
server_maybe_free(struct http_server *s)
{
	if (s->closing && s->n_listeners == 0 && s->conns == NULL)
		free(s);
}

static void
on_listener_close(uv_handle_t *h)
{
	struct http_listener *l = h->data;
	struct http_server *s = l->srv;
	int linked = l->linked;

	free(l->path);
	free(l);
	if (linked) {
		s->n_listeners--;
		server_maybe_free(s);
	}
}

static void
listener_link(struct http_server *s, struct http_listener *l)
{
	l->linked = 1;
	l->next = s->listeners;
	s->listeners = l;
	s->n_listeners++;
}

/*
 * Removes a stale socket file at path: only a socket nobody accepts on.
 * A live one is -EADDRINUSE, anything else at path -EEXIST.
 */
static int
unix_clear_stale(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, r, e;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	e = errno;
	close(fd);
	if (r == 0 || e == EAGAIN || e == EINPROGRESS)
		return -EADDRINUSE;
	if (e == ENOENT)
		return 0;
	if (e != ECONNREFUSED)
		return -e;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	log_info("http: removed stale socket %s", path);
	return 0;
}

int
http_listen_unix(struct http_server *s, const char *path)
{
	struct sockaddr_un sun;
	struct http_listener *l;
	struct stat st;
	mode_t old;
	int r;

	if (s->closing)
		return -EINVAL;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if ((r = unix_clear_stale(path)) < 0)
		return r;
	l = xcalloc(1, sizeof(*l));
	l->srv = s;
	l->is_unix = 1;
	if ((r = uv_pipe_init(s->loop, &l->h.pipe, 0)) < 0) {
		free(l);
		return r;
	}
	l->h.handle.data = l;
	/* Born 0600: no window in which another user could connect. */
	old = umask(0177);
	r = uv_pipe_bind(&l->h.pipe, path);
	umask(old);
	if (r < 0)
		goto fail;
	if (chmod(path, 0600) < 0 || lstat(path, &st) < 0) {
		r = -errno;
		goto fail_unlink;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if ((l->path = strdup(path)) == NULL)
		fatalx("http: out of memory");
	if ((r = uv_listen(&l->h.stream, HTTP_BACKLOG, on_connection)) < 0)
		goto fail_unlink;
	listener_link(s, l);
	return 0;
fail_unlink:
	unlink(path);
fail:
	uv_close(&l->h.handle, on_listener_close);
	return r;
}

static int
tcp_addr(const char *host, int port, struct sockaddr_storage *ss)
{
	char h[INET6_ADDRSTRLEN + 16];
	size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(h))
		return -EINVAL;
	memcpy(h, host, n);
	h[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (uv_ip4_addr(h, port, (struct sockaddr_in *)ss) == 0)
		return 0;
	if (uv_ip6_addr(h, port, (struct sockaddr_in6 *)ss) == 0)
		return 0;
	return -EINVAL;
}

int
http_listen_tcp(struct http_server *s, const char *host, int port, int *bound)
{
	struct sockaddr_storage ss;
	struct http_listener *l;
	int r, len;

	if (s->closing || port < 0 || port > 65535)
		return -EINVAL;
	if ((r = tcp_addr(host, port, &ss)) < 0)
		return r;
	l = xcalloc(1, sizeof(*l));
	l->srv = s;
	if ((r = uv_tcp_init_ex(s->loop, &l->h.tcp, ss.ss_family)) < 0) {
		free(l);
		return r;
	}
	l->h.handle.data = l;
	r = uv_tcp_bind(&l->h.tcp, (struct sockaddr *)&ss,
	    ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	/* libuv reports some bind errors (EADDRINUSE) only at listen. */
	if (r == 0)
		r = uv_listen(&l->h.stream, HTTP_BACKLOG, on_connection);
	if (r == 0) {
		len = sizeof(ss);
		r = uv_tcp_getsockname(&l->h.tcp, (struct sockaddr *)&ss, &len);
	}
	if (r < 0) {
		uv_close(&l->h.handle, on_listener_close);
		return r;
	}
	if (bound != NULL)
		*bound = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	listener_link(s, l);
	return 0;
}

struct http_server *
http_server_new(uv_loop_t *loop, const struct http_limits *limits,
    http_handler_fn fn, void *arg)
{
	static uint32_t parser_max = HTTP_MAX_HEADER_SIZE;
	struct http_limits def;
	struct http_server *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	http_limits_default(&def);
	s->lim = limits != NULL ? *limits : def;
	/* A zero limit means the default. */
	if (s->lim.max_header_bytes == 0)
		s->lim.max_header_bytes = def.max_header_bytes;
	if (s->lim.max_body_bytes == 0)
		s->lim.max_body_bytes = def.max_body_bytes;
	if (s->lim.max_connections == 0)
		s->lim.max_connections = def.max_connections;
	if (s->lim.idle_timeout_ms == 0)
		s->lim.idle_timeout_ms = def.idle_timeout_ms;
	if (s->lim.request_timeout_ms == 0)
		s->lim.request_timeout_ms = def.request_timeout_ms;
	/*
	 * http-parser's own header cap is process-wide; raise it (never
	 * lower it) so that ours, counted in the callbacks, decides.
	 */
	if (s->lim.max_header_bytes < UINT32_MAX - 4096 &&
	    s->lim.max_header_bytes + 4096 > parser_max) {
		parser_max = (uint32_t)s->lim.max_header_bytes + 4096;
		http_parser_set_max_header_size(parser_max);
	}
	s->loop = loop;
	s->fn = fn;
	s->arg = arg;
	s->rid_seed = seed64();
	return s;
}

int
http_unix_gone(const struct http_server *s)
{
	const struct http_listener *l;
	struct stat st;

	for (l = s->listeners; l != NULL; l = l->next)
		if (l->path != NULL && (lstat(l->path, &st) != 0 ||
		    st.st_dev != l->dev || st.st_ino != l->ino))
			return 1;
	return 0;
}

void
http_server_close(struct http_server *s)
{
	struct http_listener *l, *ln;
	struct http_conn *c, *cn;
	struct stat st;

	if (s == NULL || s->closing)
		return;
	s->closing = 1;
	for (l = s->listeners; l != NULL; l = ln) {
		ln = l->next;
		/* Remove our socket file, not one a successor bound since. */
		if (l->path != NULL && lstat(l->path, &st) == 0 &&
		    st.st_dev == l->dev && st.st_ino == l->ino)
			unlink(l->path);
		uv_close(&l->h.handle, on_listener_close);
	}
	s->listeners = NULL;
	for (c = s->conns; c != NULL; c = cn) {
		cn = c->next;
		/* An answer due or on its way still goes out, then we close. */
		if ((c->in_flight || c->writing) && !c->closing) {
			conn_read_stop(c);
			c->want_close = 1;
		} else
			conn_close(c);
	}
	server_maybe_free(s);
}

void
http_server_stats(const struct http_server *s, struct http_stats *out)
{
	*out = s->st;
}

/* --- the fuzzing hook ---------------------------------------------------- */

struct fuzz_client {
	uv_pipe_t		 pipe;
	uv_write_t		 w;
	uv_shutdown_t		 sh;
	struct http_server	*srv;
	char			 rbuf[4096];
};

static void
fuzz_handler(struct http_conn *c, const struct http_request *req, void *arg)
{
	const char *ct = http_req_header(req, "content-type");

	http_respond(c, req->body_len > 0 ? 200 : 204, ct ? ct : "text/plain",
	    req->body, req->body_len, "X-Fuzz: 1\r\n");
}

static void
fuzz_noop_write(uv_write_t *w, int status)
{
}

static void
fuzz_noop_shutdown(uv_shutdown_t *sh, int status)
{
}

static void
fuzz_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct fuzz_client *fc = h->data;

	*b = uv_buf_init(fc->rbuf, sizeof(fc->rbuf));
}

static void
fuzz_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct fuzz_client *fc = st->data;

	if (nread >= 0)
		return;
	/* The server closed on us: done. */
	uv_close((uv_handle_t *)&fc->pipe, NULL);
	http_server_close(fc->srv);
}

int
http__feed_for_fuzz(const unsigned char *data, size_t len)
{
	struct http_limits lim = {
		.max_header_bytes = 1024,
		.max_body_bytes = 4096,
		.max_connections = 4,
		.idle_timeout_ms = 2000,
		.request_timeout_ms = 2000,
	};
	struct fuzz_client fc;
	struct http_conn *c;
	uv_loop_t loop;
	uv_buf_t b;
	int sv[2], r;

	if ((r = uv_loop_init(&loop)) < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		uv_loop_close(&loop);
		return -errno;
	}
	memset(&fc, 0, sizeof(fc));
	if ((fc.srv = http_server_new(&loop, &lim, fuzz_handler, NULL)) == NULL)
		fatalx("http: out of memory");
	c = conn_new(fc.srv, 1);
	(void)uv_pipe_open(&c->h.pipe, sv[0]);
	conn_start(c);
	(void)uv_pipe_init(&loop, &fc.pipe, 0);
	(void)uv_pipe_open(&fc.pipe, sv[1]);
	fc.pipe.data = &fc;
	b = uv_buf_init((char *)data, (unsigned int)len);
	(void)uv_write(&fc.w, (uv_stream_t *)&fc.pipe, &b, 1, fuzz_noop_write);
	(void)uv_shutdown(&fc.sh, (uv_stream_t *)&fc.pipe, fuzz_noop_shutdown);
	(void)uv_read_start((uv_stream_t *)&fc.pipe, fuzz_alloc, fuzz_read);
	uv_run(&loop, UV_RUN_DEFAULT);
	return uv_loop_close(&loop);
}
