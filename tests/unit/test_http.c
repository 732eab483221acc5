/*
 * test_http.c - daemon/http.c against real sockets: a server on a libuv
 * loop in the main thread, a blocking-socket client in a second thread.
 * The client ends a case with fx_done(); the loop thread then closes the
 * server and the loop must drain and close (uv_loop_close() == 0).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "buf.h"
#include "daemon/http.h"
#include "t.h"

struct fx {
	uv_loop_t		 loop;
	struct http_server	*srv;
	uv_async_t		 done;
	struct http_limits	 lim;
	int			 port;
	int			 use_unix;
	char			 dir[64];
	char			 sock[128];
	void			(*client)(struct fx *);
	pthread_t		 th;
	int			 done_sent;	/* the client signalled early */
	int			 n;		/* a count for the client, per case */
};

/* --- the server side (loop thread) --------------------------------------- */

struct later {
	uv_timer_t			 t;
	struct http_conn		*c;
	const struct http_request	*req;
	struct fx			*f;
};

/* Echoes what the server parsed, so the client can check it. */
static void
respond_echo(struct http_conn *c, const struct http_request *req)
{
	struct buf b = { 0 };
	const char *xt = http_req_header(req, "X-Test");

	buf_printf(&b, "%s %s ? %s unix=%d peer=%s x-test=%s n=%zu len=%zu\n",
	    req->method, req->path, req->query, req->is_unix, req->peer,
	    xt ? xt : "-", req->n_headers, req->body_len);
	T_ASSERT(req->body[req->body_len] == '\0');
	buf_append(&b, req->body, req->body_len);
	http_respond(c, 200, "text/plain", b.data, b.len, "X-Echo: 1\r\n");
	buf_free(&b);
}

static void
later_free(uv_handle_t *h)
{
	free(h->data);
}

static void
later_fire(uv_timer_t *t)
{
	struct later *l = t->data;

	/* req must still be intact here (ASan watches). */
	respond_echo(l->c, l->req);
	uv_close((uv_handle_t *)&l->t, later_free);
}

static void
handler(struct http_conn *c, const struct http_request *req, void *arg)
{
	struct fx *f = arg;
	struct http_stats st;
	char body[256];
	long v;

	if (strncmp(req->path, "/defer/", 7) == 0) {
		struct later *l = calloc(1, sizeof(*l));

		T_ASSERT(l != NULL);
		v = strtol(req->path + 7, NULL, 10);
		l->c = c;
		l->req = req;
		l->f = f;
		l->t.data = l;
		uv_timer_init(&f->loop, &l->t);
		uv_timer_start(&l->t, later_fire, (uint64_t)v, 0);
		return;
	}
	if (strcmp(req->path, "/stats") == 0) {
		http_server_stats(f->srv, &st);
		snprintf(body, sizeof(body), "open=%lu total=%lu requests=%lu "
		    "rejected=%lu", st.connections_open, st.connections_total,
		    st.requests_total, st.rejected_total);
		http_respond(c, 200, "text/plain", body, strlen(body), NULL);
		return;
	}
	if (strncmp(req->path, "/status/", 8) == 0) {
		v = strtol(req->path + 8, NULL, 10);
		http_respond(c, (int)v, "text/plain", "x", 1, NULL);
		return;
	}
	respond_echo(c, req);
}

static void
on_done(uv_async_t *a)
{
	struct fx *f = a->data;

	http_server_close(f->srv);
	uv_close((uv_handle_t *)&f->done, NULL);
}

static void *
client_main(void *arg)
{
	struct fx *f = arg;

	f->client(f);
	if (!f->done_sent)
		uv_async_send(&f->done);
	return NULL;
}

static void
fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	http_limits_default(&f->lim);
}

/* Runs the server until the client thread is done; checks a clean close. */
static void
fx_run(struct fx *f, void (*client)(struct fx *))
{
	signal(SIGPIPE, SIG_IGN);
	T_EQ_INT(uv_loop_init(&f->loop), 0);
	f->srv = http_server_new(&f->loop, &f->lim, handler, f);
	T_ASSERT(f->srv != NULL);
	if (f->use_unix) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/td-http-XXXXXX");
		T_ASSERT(mkdtemp(f->dir) != NULL);
		snprintf(f->sock, sizeof(f->sock), "%s/s", f->dir);
		T_EQ_INT(http_listen_unix(f->srv, f->sock), 0);
	}
	T_EQ_INT(http_listen_tcp(f->srv, "127.0.0.1", 0, &f->port), 0);
	T_ASSERT(f->port > 0);
	T_EQ_INT(uv_async_init(&f->loop, &f->done, on_done), 0);
	f->done.data = f;
	f->client = client;
	T_EQ_INT(pthread_create(&f->th, NULL, client_main, f), 0);
	T_EQ_INT(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	pthread_join(f->th, NULL);
	T_EQ_INT(uv_loop_close(&f->loop), 0);
	if (f->use_unix) {
		/* The server removes its socket file on close. */
		T_ASSERT(access(f->sock, F_OK) < 0 && errno == ENOENT);
		rmdir(f->dir);
	}
}

/* --- the client side (client thread, blocking sockets) ------------------- */

struct cli {
	int		 fd;
	struct buf	 in;
};

struct resp {
	int		 status;
	long		 clen;
	int		 close;
	char		 ctype[64];
	char		 rid[64];
	char		 conn_hdr[32];
	int		 echo_hdr;
	struct buf	 body;
};

static void
cli_timeouts(int fd)
{
	struct timeval tv = { 5, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void
cli_tcp(struct fx *f, struct cli *c)
{
	struct sockaddr_in sin;

	memset(c, 0, sizeof(*c));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)f->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	T_ASSERT(c->fd >= 0);
	cli_timeouts(c->fd);
	T_EQ_INT(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
}

static int
cli_unix_path(const char *path, struct cli *c)
{
	struct sockaddr_un sun;

	memset(c, 0, sizeof(*c));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -errno;
	cli_timeouts(c->fd);
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -errno;
	return 0;
}

static void
cli_close(struct cli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
}

static void
cli_sendn(struct cli *c, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(c->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		T_ASSERT(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

static void
cli_send(struct cli *c, const char *s)
{
	cli_sendn(c, s, strlen(s));
}

/* Reads more bytes: >0 got some, 0 EOF, <0 error or timeout. */
static ssize_t
cli_fill(struct cli *c)
{
	char tmp[65536];
	ssize_t n;

	do
		n = recv(c->fd, tmp, sizeof(tmp), 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		buf_append(&c->in, tmp, (size_t)n);
	return n < 0 ? -errno : n;
}

static void
hdr_copy(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* Reads one response; 0, or -1 if the connection ended first. */
static int
cli_resp(struct cli *c, struct resp *r)
{
	char *end, *line, *eol, *colon;
	size_t hlen;

	buf_free(&r->body);
	memset(r, 0, sizeof(*r));
	while (c->in.data == NULL || (end = strstr(c->in.data, "\r\n\r\n")) == NULL)
		if (cli_fill(c) <= 0)
			return -1;
	hlen = (size_t)(end - c->in.data) + 4;
	T_ASSERT(strncmp(c->in.data, "HTTP/1.1 ", 9) == 0);
	r->status = (int)strtol(c->in.data + 9, NULL, 10);
	for (line = strstr(c->in.data, "\r\n") + 2; line < end; line = eol + 2) {
		eol = strstr(line, "\r\n");
		colon = memchr(line, ':', (size_t)(eol - line));
		T_ASSERT(colon != NULL);
		const char *v = colon + 1;
		while (*v == ' ')
			v++;
		size_t nl = (size_t)(colon - line), vl = (size_t)(eol - v);
		if (nl == 14 && strncasecmp(line, "content-length", nl) == 0)
			r->clen = strtol(v, NULL, 10);
		else if (nl == 10 && strncasecmp(line, "connection", nl) == 0) {
			hdr_copy(r->conn_hdr, sizeof(r->conn_hdr), v, vl);
			r->close = strcasecmp(r->conn_hdr, "close") == 0;
		} else if (nl == 12 && strncasecmp(line, "content-type", nl) == 0)
			hdr_copy(r->ctype, sizeof(r->ctype), v, vl);
		else if (nl == 16 && strncasecmp(line, "x-amzn-requestid", nl) == 0)
			hdr_copy(r->rid, sizeof(r->rid), v, vl);
		else if (nl == 6 && strncasecmp(line, "x-echo", nl) == 0)
			r->echo_hdr = 1;
	}
	while (c->in.len < hlen + (size_t)r->clen)
		if (cli_fill(c) <= 0)
			return -1;
	buf_append(&r->body, c->in.data + hlen, (size_t)r->clen);
	buf_consume(&c->in, hlen + (size_t)r->clen);
	return 0;
}

/* 1 if the server closed the connection with nothing more to read. */
static int
cli_eof(struct cli *c)
{
	return c->in.len == 0 && cli_fill(c) == 0;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One request on a fresh TCP connection. */
static void
one_shot(struct fx *f, const char *req, struct resp *r)
{
	struct cli c;

	cli_tcp(f, &c);
	cli_send(&c, req);
	T_EQ_INT(cli_resp(&c, r), 0);
	cli_close(&c);
}

/* Polls /stats until it contains want (the server updates after close). */
static void
wait_stats(struct fx *f, const char *want)
{
	struct resp r = { 0 };
	double t0 = now_ms();

	for (;;) {
		one_shot(f, "GET /stats HTTP/1.1\r\n\r\n", &r);
		if (strstr(r.body.data, want) != NULL)
			break;
		if (now_ms() - t0 > 3000)
			T_FAIL("stats \"%s\" never showed \"%s\"", r.body.data, want);
		msleep(10);
	}
	buf_free(&r.body);
}

static void
expect_error(struct resp *r, int status, const char *type)
{
	char want[96];

	T_EQ_INT(r->status, status);
	T_ASSERT(r->close);
	T_EQ_STR(r->ctype, "application/x-amz-json-1.1");
	snprintf(want, sizeof(want), "{\"__type\":\"%s\",\"message\":\"", type);
	if (strncmp(r->body.data, want, strlen(want)) != 0)
		T_FAIL("error body %s, expected it to start with %s",
		    r->body.data, want);
	T_ASSERT(r->body.data[r->body.len - 1] == '}');
}

/* --- cases --------------------------------------------------------------- */

static void
c_get_post(struct fx *f)
{
	struct resp r = { 0 };
	char rid[64];

	one_shot(f, "GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: h\r\nX-Test: Hello\r\n\r\n",
	    &r);
	T_EQ_INT(r.status, 200);
	T_EQ_STR(r.ctype, "text/plain");
	T_ASSERT(r.echo_hdr);
	T_ASSERT(!r.close);
	T_EQ_INT(strlen(r.rid), 36);
	T_ASSERT(r.rid[8] == '-' && r.rid[13] == '-' && r.rid[14] == '4');
	T_ASSERT(strstr(r.body.data, "GET /a/b ? x=1&y=2 unix=0 peer=127.0.0.1:") ==
	    r.body.data);
	T_ASSERT(strstr(r.body.data, " x-test=Hello n=2 len=0\n") != NULL);
	snprintf(rid, sizeof(rid), "%s", r.rid);

	one_shot(f, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", &r);
	T_EQ_INT(r.status, 200);
	T_ASSERT(strstr(r.body.data, "POST / ?  unix=0") == r.body.data);
	T_ASSERT(strstr(r.body.data, "n=1 len=5\nhello") != NULL);
	T_ASSERT(strcmp(rid, r.rid) != 0);
	buf_free(&r.body);
}

static void
t_get_post(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_get_post);
}

static void
c_keepalive(struct fx *f)
{
	struct resp r = { 0 };
	struct cli c;
	int i;

	cli_tcp(f, &c);
	for (i = 0; i < 3; i++) {
		char req[128];

		snprintf(req, sizeof(req), "GET /k%d HTTP/1.1\r\n\r\n", i);
		cli_send(&c, req);
		T_EQ_INT(cli_resp(&c, &r), 0);
		T_EQ_INT(r.status, 200);
		T_ASSERT(!r.close);
		snprintf(req, sizeof(req), "GET /k%d ?", i);
		T_ASSERT(strncmp(r.body.data, req, strlen(req)) == 0);
	}
	cli_send(&c, "GET /stats HTTP/1.1\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_STR(r.body.data, "open=1 total=1 requests=4 rejected=0");
	/* Connection: close is honoured. */
	cli_send(&c, "GET /last HTTP/1.1\r\nConnection: close\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, 200);
	T_ASSERT(r.close);
	T_ASSERT(cli_eof(&c));
	cli_close(&c);
	buf_free(&r.body);
}

static void
t_keepalive(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_keepalive);
}

static void
c_http10(struct fx *f)
{
	struct resp r = { 0 };
	struct cli c;

	/* 1.0 without keep-alive: answered, then closed. */
	cli_tcp(f, &c);
	cli_send(&c, "GET /old HTTP/1.0\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, 200);
	T_ASSERT(r.close);
	T_ASSERT(cli_eof(&c));
	cli_close(&c);

	/* 1.0 with keep-alive: told so, and the connection stays. */
	cli_tcp(f, &c);
	cli_send(&c, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_STR(r.conn_hdr, "keep-alive");
	cli_send(&c, "GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_ASSERT(strncmp(r.body.data, "GET /b ?", 8) == 0);
	cli_close(&c);
	buf_free(&r.body);
}

static void
t_http10(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_http10);
}

static void
c_pipelined(struct fx *f)
{
	struct resp r = { 0 };
	struct cli c;

	cli_tcp(f, &c);
	cli_send(&c, "GET /one HTTP/1.1\r\n\r\n"
	    "POST /two HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
	    "HEAD /three HTTP/1.1\r\n\r\n"
	    "GET /four HTTP/1.1\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_ASSERT(strncmp(r.body.data, "GET /one ?", 10) == 0);
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_ASSERT(strncmp(r.body.data, "POST /two ?", 11) == 0);
	T_ASSERT(strstr(r.body.data, "len=3\nabc") != NULL);
	/* HEAD: a Content-Length but no body bytes (or /four would break). */
	while (c.in.data == NULL || strstr(c.in.data, "\r\n\r\n") == NULL)
		T_ASSERT(cli_fill(&c) > 0);
	{
		char *e = strstr(c.in.data, "\r\n\r\n") + 4;

		T_ASSERT(strncmp(c.in.data, "HTTP/1.1 200 OK\r\n", 17) == 0);
		T_ASSERT(strstr(c.in.data, "Content-Length: ") < e);
		buf_consume(&c.in, (size_t)(e - c.in.data));
	}
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_ASSERT(strncmp(r.body.data, "GET /four ?", 11) == 0);
	cli_close(&c);
	buf_free(&r.body);
}

static void
t_pipelined(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_pipelined);
}

static void
c_pipelined_many(struct fx *f)
{
	struct resp r = { 0 };
	struct buf req = { 0 };
	struct cli c;
	int i;

	/* Enough to go past the read-ahead cap while one is deferred. */
	buf_puts(&req, "GET /defer/50 HTTP/1.1\r\n\r\n");
	for (i = 0; i < 8000; i++)
		buf_printf(&req, "GET /p%d HTTP/1.1\r\nX-Test: %d\r\n\r\n", i, i);
	cli_tcp(f, &c);
	cli_sendn(&c, req.data, req.len);
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_ASSERT(strncmp(r.body.data, "GET /defer/50 ?", 15) == 0);
	for (i = 0; i < 8000; i++) {
		char want[64];

		T_EQ_INT(cli_resp(&c, &r), 0);
		snprintf(want, sizeof(want), "GET /p%d ?", i);
		if (strncmp(r.body.data, want, strlen(want)) != 0)
			T_FAIL("response %d is %.40s", i, r.body.data);
	}
	cli_close(&c);
	buf_free(&r.body);
	buf_free(&req);
}

static void
t_pipelined_many(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_pipelined_many);
}

/*
 * A body that arrives whole is borrowed from the input buffer, not copied:
 * it must survive the reads that follow while its request is in flight,
 * both those that fit after it and those that need a new buffer.
 */
static void
c_borrowed_body(struct fx *f)
{
	struct resp r = { 0 };
	struct buf req = { 0 }, body = { 0 };
	struct cli c;
	char want[64];
	int i, n = f->n;

	for (i = 0; i < 1000; i++)
		buf_putc(&body, (char)('a' + i % 26));
	buf_printf(&req, "POST /defer/60 HTTP/1.1\r\nContent-Length: %zu\r\n"
	    "\r\n", body.len);
	buf_append(&req, body.data, body.len);
	cli_tcp(f, &c);
	cli_sendn(&c, req.data, req.len);
	usleep(20 * 1000);		/* dispatched and deferred by now */
	req.len = 0;
	for (i = 0; i < n; i++)
		buf_printf(&req, "POST /p%d HTTP/1.1\r\nContent-Length: 6\r\n"
		    "\r\nb%05d", i, i);
	cli_sendn(&c, req.data, req.len);
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_ASSERT(strncmp(r.body.data, "POST /defer/60 ?", 16) == 0);
	T_ASSERT(strstr(r.body.data, "len=1000\n") != NULL);
	T_ASSERT(r.body.len >= body.len && memcmp(r.body.data + r.body.len -
	    body.len, body.data, body.len) == 0);
	for (i = 0; i < n; i++) {
		T_EQ_INT(cli_resp(&c, &r), 0);
		snprintf(want, sizeof(want), "POST /p%d ?", i);
		if (strncmp(r.body.data, want, strlen(want)) != 0)
			T_FAIL("response %d is %.40s", i, r.body.data);
		snprintf(want, sizeof(want), "len=6\nb%05d", i);
		if (strstr(r.body.data, want) == NULL)
			T_FAIL("response %d is %.80s", i, r.body.data);
	}
	cli_close(&c);
	buf_free(&r.body);
	buf_free(&req);
	buf_free(&body);
}

static void
t_borrowed_body(void)
{
	struct fx f;

	/* 3000 requests outgrow the buffer the body is in; 40 fit after it. */
	fx_init(&f);
	f.n = 3000;
	fx_run(&f, c_borrowed_body);
	fx_init(&f);
	f.n = 40;
	fx_run(&f, c_borrowed_body);
}

static void
c_chunked(struct fx *f)
{
	struct resp r = { 0 };
	struct cli c;

	cli_tcp(f, &c);
	cli_send(&c, "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n");
	msleep(20);
	/* A trailer big enough that storing it would move the headers. */
	cli_send(&c, "4\r\ndefg\r\n0\r\nX-Trailer: ");
	for (int i = 0; i < 50; i++)
		cli_send(&c, "tttttttttt");
	cli_send(&c, "\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, 200);
	T_ASSERT(strstr(r.body.data, "x-test=- n=1 len=7\nabcdefg") != NULL);
	/* The connection is still usable after trailers. */
	cli_send(&c, "GET /after HTTP/1.1\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_ASSERT(strncmp(r.body.data, "GET /after ?", 12) == 0);
	cli_close(&c);
	buf_free(&r.body);
}

static void
t_chunked(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_chunked);
}

/*
 * Shapes http-parser's lenient build takes and we refuse: a blank in a
 * header name, and chunk data not followed by CRLF, whole or with the
 * bytes after the data arriving in later reads.
 */
static void
c_strict_one(struct fx *f, const char *const *parts, int want)
{
	struct resp r = { 0 };
	struct cli c;

	cli_tcp(f, &c);
	for (; *parts != NULL; parts++) {
		cli_send(&c, *parts);
		msleep(10);
	}
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, want);
	if (want == 400) {
		T_ASSERT(strstr(r.body.data, "\"__type\":\"BadRequest\"") != NULL);
		T_EQ_INT(cli_eof(&c), 1);
	}
	cli_close(&c);
	buf_free(&r.body);
}

static void
c_strict(struct fx *f)
{
#define TE "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	static const char *const space[] = { "GET / HTTP/1.1\r\n"
	    "Content-Length : 0\r\n\r\n", NULL };
	static const char *const tab[] = { "GET / HTTP/1.1\r\nX\tY: 1\r\n\r\n",
	    NULL };
	static const char *const split_name[] = { "GET / HTTP/1.1\r\nX-A",
	    "b c: 1\r\n\r\n", NULL };
	static const char *const trailer[] = { TE "1\r\na\r\n0\r\nX Y: z\r\n\r\n",
	    NULL };
	static const char *const junk[] = { TE "2\r\nabXX0\r\n\r\n", NULL };
	static const char *const junk_next[] = { TE "2\r\nab", "XX0\r\n\r\n",
	    NULL };
	static const char *const cr_junk[] = { TE "2\r\nab\r", "X0\r\n\r\n",
	    NULL };
	static const char *const cr_lf_split[] = { TE "2\r\nab\r", "\n0\r\n\r\n",
	    NULL };
	static const char *const ok_bytes[] = { TE "2\r\nab", "\r", "\n", "1\r\n",
	    "c", "\r\n0\r\n\r\n", NULL };

	c_strict_one(f, space, 400);
	c_strict_one(f, tab, 400);
	c_strict_one(f, split_name, 400);
	c_strict_one(f, trailer, 400);
	c_strict_one(f, junk, 400);
	c_strict_one(f, junk_next, 400);
	c_strict_one(f, cr_junk, 400);
	c_strict_one(f, cr_lf_split, 200);
	c_strict_one(f, ok_bytes, 200);
#undef TE
}

static void
t_strict(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_strict);
}

static void
c_large_body(struct fx *f)
{
	struct resp r = { 0 };
	struct buf req = { 0 };
	size_t i, n = 3 * 1024 * 1024;
	struct cli c;
	char *p;

	buf_printf(&req, "POST /big HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", n);
	buf_reserve(&req, n);
	p = req.data + req.len;
	for (i = 0; i < n; i++)
		p[i] = (char)('a' + i % 26);
	req.len += n;
	cli_tcp(f, &c);
	cli_sendn(&c, req.data, req.len);
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, 200);
	p = strchr(r.body.data, '\n');
	T_ASSERT(p != NULL);
	T_EQ_INT(r.body.len - (size_t)(p + 1 - r.body.data), n);
	T_ASSERT(memcmp(p + 1, req.data + req.len - n, n) == 0);
	/* And the connection goes on. */
	cli_send(&c, "GET /after HTTP/1.1\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, 200);
	cli_close(&c);
	buf_free(&r.body);
	buf_free(&req);
}

static void
t_large_body(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_large_body);
}

static void
c_expect(struct fx *f)
{
	struct resp r = { 0 };
	struct cli c;

	cli_tcp(f, &c);
	cli_send(&c, "POST /e HTTP/1.1\r\nContent-Length: 5\r\n"
	    "Expect: 100-continue\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, 100);
	T_EQ_INT(r.body.len, 0);
	cli_send(&c, "hello");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, 200);
	T_ASSERT(strstr(r.body.data, "len=5\nhello") != NULL);
	cli_close(&c);

	/* Over the limit: the final 413 instead of 100. */
	cli_tcp(f, &c);
	cli_send(&c, "POST /e HTTP/1.1\r\nContent-Length: 5000\r\n"
	    "Expect: 100-continue\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	expect_error(&r, 413, "RequestEntityTooLarge");
	T_ASSERT(cli_eof(&c));
	cli_close(&c);

	/* An expectation we do not know. */
	one_shot(f, "POST /e HTTP/1.1\r\nContent-Length: 1\r\n"
	    "Expect: teapot\r\n\r\nx", &r);
	expect_error(&r, 417, "ExpectationFailed");
	buf_free(&r.body);
}

static void
t_expect_continue(void)
{
	struct fx f;

	fx_init(&f);
	f.lim.max_body_bytes = 1024;
	fx_run(&f, c_expect);
}

static void
c_body_limit(struct fx *f)
{
	struct resp r = { 0 };
	struct buf req = { 0 };
	struct cli c;
	int i;

	/* Content-Length over the limit is refused before any body. */
	cli_tcp(f, &c);
	cli_send(&c, "POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	expect_error(&r, 413, "RequestEntityTooLarge");
	T_ASSERT(strstr(r.body.data, "1024") != NULL);
	T_ASSERT(cli_eof(&c));
	cli_close(&c);

	/* Chunks that add up past it. */
	cli_tcp(f, &c);
	cli_send(&c, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
	buf_puts(&req, "258\r\n");	/* 600 bytes */
	while (req.len < 5 + 600)
		buf_putc(&req, 'z');
	buf_puts(&req, "\r\n");
	cli_sendn(&c, req.data, req.len);
	cli_sendn(&c, req.data, req.len);
	T_EQ_INT(cli_resp(&c, &r), 0);
	expect_error(&r, 413, "RequestEntityTooLarge");
	cli_close(&c);

	/* Exactly at the limit is fine. */
	buf_reset(&req);
	buf_puts(&req, "POST / HTTP/1.1\r\nContent-Length: 1024\r\n\r\n");
	for (i = 0; i < 1024; i++)
		buf_putc(&req, 'q');
	one_shot(f, req.data, &r);
	T_EQ_INT(r.status, 200);
	T_ASSERT(strstr(r.body.data, "len=1024\n") != NULL);
	wait_stats(f, "rejected=2");
	buf_free(&r.body);
	buf_free(&req);
}

static void
t_body_limit(void)
{
	struct fx f;

	fx_init(&f);
	f.lim.max_body_bytes = 1024;
	fx_run(&f, c_body_limit);
}

static void
c_header_limit(struct fx *f)
{
	struct resp r = { 0 };
	struct buf req = { 0 };
	struct cli c;
	int i;

	buf_puts(&req, "GET / HTTP/1.1\r\nX-Big: ");
	for (i = 0; i < 3000; i++)
		buf_putc(&req, 'h');
	buf_puts(&req, "\r\n\r\n");
	one_shot(f, req.data, &r);
	expect_error(&r, 431, "RequestHeaderFieldsTooLarge");

	/* Many small headers count too; sent slowly, in pieces. */
	cli_tcp(f, &c);
	cli_send(&c, "GET / HTTP/1.1\r\n");
	for (i = 0; i < 400; i++) {
		if (send(c.fd, "A: b\r\n", 6, MSG_NOSIGNAL) != 6)
			break;
	}
	T_EQ_INT(cli_resp(&c, &r), 0);
	expect_error(&r, 431, "RequestHeaderFieldsTooLarge");
	cli_close(&c);

	/* A long URL is header bytes. */
	buf_reset(&req);
	buf_puts(&req, "GET /");
	for (i = 0; i < 2100; i++)
		buf_putc(&req, 'u');
	buf_puts(&req, " HTTP/1.1\r\n\r\n");
	one_shot(f, req.data, &r);
	expect_error(&r, 431, "RequestHeaderFieldsTooLarge");

	/* Under the limit is fine. */
	one_shot(f, "GET / HTTP/1.1\r\nX-Test: small\r\n\r\n", &r);
	T_EQ_INT(r.status, 200);
	buf_free(&r.body);
	buf_free(&req);
}

static void
t_header_limit(void)
{
	struct fx f;

	fx_init(&f);
	f.lim.max_header_bytes = 2048;
	fx_run(&f, c_header_limit);
}

static void
c_malformed(struct fx *f)
{
#define B(s) { s, sizeof(s) - 1 }
	static const struct { const char *s; size_t n; } bad[] = {
		B("GARBAGE\r\n\r\n"),
		B("GET\r\n\r\n"),
		B("GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
		B("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
		B("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
		B("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
		    "Content-Length: 3\r\n\r\n"),
		B("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
		B("GET /\x01 HTTP/1.1\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"),
		B("GET / XTTP/1.1\r\n\r\n"),
		B("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),	/* TLS */
	};
#undef B
	struct resp r = { 0 };
	struct cli c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cli_tcp(f, &c);
		cli_sendn(&c, bad[i].s, bad[i].n);
		if (cli_resp(&c, &r) < 0)
			T_FAIL("case %zu: no response", i);
		if (r.status != 400)
			T_FAIL("case %zu: status %d", i, r.status);
		expect_error(&r, 400, "BadRequest");
		T_ASSERT(cli_eof(&c));
		cli_close(&c);
	}
	/* A valid request before the bad one is still answered. */
	cli_tcp(f, &c);
	cli_send(&c, "GET /ok HTTP/1.1\r\n\r\nBROKEN\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, 200);
	T_EQ_INT(cli_resp(&c, &r), 0);
	expect_error(&r, 400, "BadRequest");
	cli_close(&c);

	one_shot(f, "CONNECT a:443 HTTP/1.1\r\n\r\n", &r);
	expect_error(&r, 405, "MethodNotAllowed");
	one_shot(f, "GET / HTTP/2.0\r\n\r\n", &r);
	expect_error(&r, 505, "HTTPVersionNotSupported");
	buf_free(&r.body);
}

static void
t_malformed(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_malformed);
}

static void
c_conn_cap(struct fx *f)
{
	struct resp r = { 0 };
	struct cli a, b, d;
	double t0;

	cli_tcp(f, &a);
	cli_send(&a, "GET /a HTTP/1.1\r\n\r\n");
	T_EQ_INT(cli_resp(&a, &r), 0);
	cli_tcp(f, &b);
	cli_send(&b, "GET /b HTTP/1.1\r\n\r\n");
	T_EQ_INT(cli_resp(&b, &r), 0);
	/* The third is refused, even before it says anything. */
	cli_tcp(f, &d);
	T_EQ_INT(cli_resp(&d, &r), 0);
	expect_error(&r, 503, "ServiceUnavailable");
	T_ASSERT(cli_eof(&d));
	cli_close(&d);
	/* A slot frees up when one leaves. */
	cli_close(&a);
	t0 = now_ms();
	for (;;) {
		cli_tcp(f, &d);
		cli_send(&d, "GET /d HTTP/1.1\r\n\r\n");
		T_EQ_INT(cli_resp(&d, &r), 0);
		cli_close(&d);
		if (r.status == 200)
			break;
		T_EQ_INT(r.status, 503);
		T_ASSERT(now_ms() - t0 < 3000);
		msleep(10);
	}
	cli_close(&b);
	buf_free(&r.body);
}

static void
t_conn_cap(void)
{
	struct fx f;

	fx_init(&f);
	f.lim.max_connections = 2;
	fx_run(&f, c_conn_cap);
}

static void
c_idle(struct fx *f)
{
	struct resp r = { 0 };
	struct cli c;
	double t0;

	cli_tcp(f, &c);
	cli_send(&c, "GET / HTTP/1.1\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	t0 = now_ms();
	T_ASSERT(cli_eof(&c));			/* silently, no bytes */
	T_ASSERT(now_ms() - t0 >= 150);
	T_ASSERT(now_ms() - t0 < 3000);
	cli_close(&c);

	/* A connection that never says anything is idle too. */
	cli_tcp(f, &c);
	T_ASSERT(cli_eof(&c));
	cli_close(&c);
	buf_free(&r.body);
}

static void
t_idle_timeout(void)
{
	struct fx f;

	fx_init(&f);
	f.lim.idle_timeout_ms = 200;
	fx_run(&f, c_idle);
}

static void
c_slow(struct fx *f)
{
	struct resp r = { 0 };
	struct cli c;
	double t0 = now_ms();

	cli_tcp(f, &c);
	cli_send(&c, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
	/* Trickling keeps it alive no longer than the request timeout. */
	msleep(100);
	cli_send(&c, "d");
	T_EQ_INT(cli_resp(&c, &r), 0);
	expect_error(&r, 408, "RequestTimeout");
	T_ASSERT(now_ms() - t0 >= 250);
	T_ASSERT(cli_eof(&c));
	cli_close(&c);

	/* Headers that never end, too. */
	cli_tcp(f, &c);
	cli_send(&c, "GET / HTTP/1.1\r\nX-A: b\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	expect_error(&r, 408, "RequestTimeout");
	cli_close(&c);
	buf_free(&r.body);
}

static void
t_request_timeout(void)
{
	struct fx f;

	fx_init(&f);
	f.lim.request_timeout_ms = 300;
	f.lim.idle_timeout_ms = 5000;
	fx_run(&f, c_slow);
}

static void
c_unix(struct fx *f)
{
	struct resp r = { 0 };
	struct stat st;
	struct cli c;

	T_EQ_INT(lstat(f->sock, &st), 0);
	T_ASSERT(S_ISSOCK(st.st_mode));
	T_EQ_INT(st.st_mode & 0777, 0600);
	T_EQ_INT(cli_unix_path(f->sock, &c), 0);
	cli_send(&c, "GET /u HTTP/1.1\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, 200);
	T_ASSERT(strstr(r.body.data, "GET /u ?  unix=1 peer=unix ") != NULL);
	cli_close(&c);
	buf_free(&r.body);
}

static void
t_unix_socket(void)
{
	struct fx f;

	fx_init(&f);
	f.use_unix = 1;
	fx_run(&f, c_unix);
}

static void
c_peercred(struct fx *f)
{
	int status = 0;
	pid_t pid;

	/* Let another user reach the socket, so the credential check decides. */
	T_EQ_INT(chmod(f->dir, 0755), 0);
	T_EQ_INT(chmod(f->sock, 0666), 0);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		struct resp r = { 0 };
		struct cli c;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		if (cli_unix_path(f->sock, &c) < 0)
			_exit(3);
		cli_send(&c, "GET / HTTP/1.1\r\n\r\n");
		if (cli_resp(&c, &r) < 0)
			_exit(4);
		expect_error(&r, 403, "AccessDenied");
		_exit(0);
	}
	waitpid(pid, &status, 0);
	T_ASSERT(WIFEXITED(status));
	T_EQ_INT(WEXITSTATUS(status), 0);
	wait_stats(f, "rejected=1");
}

static void
t_unix_peercred(void)
{
	struct fx f;

	if (geteuid() != 0) {
		printf("# skipped: needs root to connect as another uid\n");
		return;
	}
	fx_init(&f);
	f.use_unix = 1;
	fx_run(&f, c_peercred);
}

static void
t_unix_listen_rules(void)
{
	char dir[64], p1[128], p2[128], p3[128], long_path[200];
	struct sockaddr_un sun;
	struct http_server *a, *b;
	struct stat st;
	uv_loop_t loop;
	struct cli c;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/td-http-XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(p1, sizeof(p1), "%s/live", dir);
	snprintf(p2, sizeof(p2), "%s/file", dir);
	snprintf(p3, sizeof(p3), "%s/stale", dir);
	T_EQ_INT(uv_loop_init(&loop), 0);
	a = http_server_new(&loop, NULL, handler, NULL);
	b = http_server_new(&loop, NULL, handler, NULL);
	T_ASSERT(a != NULL && b != NULL);

	/* A live daemon's socket is never taken over. */
	T_EQ_INT(http_listen_unix(a, p1), 0);
	T_EQ_INT(http_listen_unix(b, p1), -EADDRINUSE);
	T_EQ_INT(cli_unix_path(p1, &c), 0);	/* a still owns it */
	cli_close(&c);

	/* Something that is not a socket is left alone. */
	fd = open(p2, O_CREAT | O_WRONLY, 0644);
	T_ASSERT(fd >= 0);
	T_EQ_INT(write(fd, "keep", 4), 4);
	close(fd);
	T_EQ_INT(http_listen_unix(b, p2), -EEXIST);
	T_EQ_INT(stat(p2, &st), 0);
	T_EQ_INT(st.st_size, 4);

	/* A stale socket (nobody listening) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	T_ASSERT(strlen(p3) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, p3, strlen(p3) + 1);
	T_EQ_INT(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	T_EQ_INT(http_listen_unix(b, p3), 0);
	T_EQ_INT(lstat(p3, &st), 0);
	T_EQ_INT(st.st_mode & 0777, 0600);

	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	T_EQ_INT(http_listen_unix(b, long_path), -ENAMETOOLONG);

	/* TCP: bad hosts and ports; a port in use; IPv6 when available. */
	int port = 0, port2 = 0, r;

	T_EQ_INT(http_listen_tcp(b, "localhost", 0, &port), -EINVAL);
	T_EQ_INT(http_listen_tcp(b, "127.0.0.1", 70000, &port), -EINVAL);
	T_EQ_INT(http_listen_tcp(b, "", 0, &port), -EINVAL);
	T_EQ_INT(http_listen_tcp(a, "127.0.0.1", 0, &port), 0);
	T_ASSERT(port > 0);
	T_EQ_INT(http_listen_tcp(b, "127.0.0.1", port, &port2), -EADDRINUSE);
	r = http_listen_tcp(b, "[::1]", 0, &port2);
	T_ASSERT(r == 0 || r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT);
	if (r == 0)
		T_ASSERT(port2 > 0);

	http_server_close(a);
	http_server_close(b);
	T_EQ_INT(uv_run(&loop, UV_RUN_DEFAULT), 0);
	T_EQ_INT(uv_loop_close(&loop), 0);
	/* Closing removed our sockets and nothing else. */
	T_ASSERT(access(p1, F_OK) < 0);
	T_ASSERT(access(p3, F_OK) < 0);
	T_EQ_INT(access(p2, F_OK), 0);
	unlink(p2);
	rmdir(dir);
}

static void
c_deferred(struct fx *f)
{
	struct resp r = { 0 };
	struct cli c;
	double t0 = now_ms();

	cli_tcp(f, &c);
	/* The second waits for the first, answered 100 ms later. */
	cli_send(&c, "POST /defer/100 HTTP/1.1\r\nX-Test: d\r\n"
	    "Content-Length: 4\r\n\r\nbody"
	    "GET /now HTTP/1.1\r\n\r\n");
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_EQ_INT(r.status, 200);
	T_ASSERT(now_ms() - t0 >= 90);
	T_ASSERT(strncmp(r.body.data, "POST /defer/100 ?", 17) == 0);
	T_ASSERT(strstr(r.body.data, "x-test=d n=2 len=4\nbody") != NULL);
	T_EQ_INT(cli_resp(&c, &r), 0);
	T_ASSERT(strncmp(r.body.data, "GET /now ?", 10) == 0);
	cli_close(&c);
	buf_free(&r.body);
}

static void
t_deferred(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_deferred);
}

static void
c_peer_gone(struct fx *f)
{
	struct linger lg = { 1, 0 };
	struct cli c;

	/* Half-close: the answer is still written, then the connection closes. */
	cli_tcp(f, &c);
	cli_send(&c, "GET /defer/150 HTTP/1.1\r\n\r\n");
	shutdown(c.fd, SHUT_WR);
	{
		struct resp r = { 0 };

		T_EQ_INT(cli_resp(&c, &r), 0);
		T_EQ_INT(r.status, 200);
		buf_free(&r.body);
	}
	T_ASSERT(cli_eof(&c));
	cli_close(&c);

	/* Gone for good (FIN), then (RST), while the answer is pending. */
	cli_tcp(f, &c);
	cli_send(&c, "GET /defer/150 HTTP/1.1\r\n\r\n");
	cli_close(&c);
	cli_tcp(f, &c);
	cli_send(&c, "GET /defer/150 HTTP/1.1\r\n\r\n");
	msleep(30);
	setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	cli_close(&c);
	msleep(300);
	/* Everything but the stats connection itself is gone. */
	wait_stats(f, "open=1 total=");
}

static void
t_peer_gone_deferred(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_peer_gone);
}

static void
c_close_busy(struct fx *f)
{
	struct resp r = { 0 };
	struct cli idle, busy, half;

	/* An idle connection, one mid-request and one in flight at close. */
	cli_tcp(f, &idle);
	cli_tcp(f, &half);
	cli_send(&half, "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nab");
	cli_tcp(f, &busy);
	cli_send(&busy, "GET /defer/200 HTTP/1.1\r\n\r\n");
	msleep(50);
	/* fx_run's on_done closes the server now; the loop must still drain. */
	f->done_sent = 1;
	uv_async_send(&f->done);
	T_ASSERT(cli_eof(&idle));
	T_ASSERT(cli_eof(&half));
	/* The request in flight still gets its answer, then the close. */
	T_EQ_INT(cli_resp(&busy, &r), 0);
	T_EQ_INT(r.status, 200);
	T_ASSERT(r.close);
	T_ASSERT(strncmp(r.body.data, "GET /defer/200 ?", 16) == 0);
	T_ASSERT(cli_eof(&busy));
	buf_free(&r.body);
	cli_close(&idle);
	cli_close(&half);
	cli_close(&busy);
}

static void
t_server_close(void)
{
	struct fx f;

	fx_init(&f);
	fx_run(&f, c_close_busy);
}

static void
t_limits_default(void)
{
	struct http_limits l;

	memset(&l, 0xff, sizeof(l));
	http_limits_default(&l);
	T_EQ_INT(l.max_header_bytes, 64 * 1024);
	T_EQ_INT(l.max_body_bytes, 8 * 1024 * 1024);
	T_EQ_INT(l.max_connections, 1024);
	T_EQ_INT(l.idle_timeout_ms, 60000);
	T_EQ_INT(l.request_timeout_ms, 30000);
}

static void
t_req_header(void)
{
	struct http_header h[] = { { "content-type", "a/b" }, { "x-y", "" } };
	struct http_request req;

	memset(&req, 0, sizeof(req));
	req.headers = h;
	req.n_headers = 2;
	T_EQ_STR(http_req_header(&req, "Content-Type"), "a/b");
	T_EQ_STR(http_req_header(&req, "X-Y"), "");
	T_ASSERT(http_req_header(&req, "content") == NULL);
	T_ASSERT(http_req_header(&req, "content-type-x") == NULL);
	req.n_headers = 0;
	T_ASSERT(http_req_header(&req, "content-type") == NULL);
}

static void
t_server_close_unused(void)
{
	uv_loop_t loop;
	struct http_server *s;

	T_EQ_INT(uv_loop_init(&loop), 0);
	s = http_server_new(&loop, NULL, handler, NULL);
	T_ASSERT(s != NULL);
	http_server_close(s);
	http_server_close(NULL);
	T_EQ_INT(uv_run(&loop, UV_RUN_DEFAULT), 0);
	T_EQ_INT(uv_loop_close(&loop), 0);
}

T_MAIN(
	T_CASE(t_limits_default),
	T_CASE(t_req_header),
	T_CASE(t_server_close_unused),
	T_CASE(t_get_post),
	T_CASE(t_keepalive),
	T_CASE(t_http10),
	T_CASE(t_pipelined),
	T_CASE(t_pipelined_many),
	T_CASE(t_borrowed_body),
	T_CASE(t_chunked),
	T_CASE(t_strict),
	T_CASE(t_large_body),
	T_CASE(t_expect_continue),
	T_CASE(t_body_limit),
	T_CASE(t_header_limit),
	T_CASE(t_malformed),
	T_CASE(t_conn_cap),
	T_CASE(t_idle_timeout),
	T_CASE(t_request_timeout),
	T_CASE(t_unix_socket),
	T_CASE(t_unix_peercred),
	T_CASE(t_unix_listen_rules),
	T_CASE(t_deferred),
	T_CASE(t_peer_gone_deferred),
	T_CASE(t_server_close))
