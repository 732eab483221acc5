/*
 * serving_up.c - HTTP/1.1 client connections from tunerd to its model
 * servers ("upstream"): health checks (GET /ping) and proxied invocations
 * (POST /invocations) over keep-alive connections kept per instance.
 *
 * Owns every struct sv_conn: its stream and timer, the queue of requests
 * on it and their answers. Never decides what an answer means (serving.c
 * and serving_proxy.c do) and never touches the store.
 *
 * Batching: a request is queued on a connection and written when the
 * loop has run every I/O callback of this iteration (a uv_check handle),
 * so the invocations that arrived together leave in one writev() per
 * connection and their answers come back in one read. A built-in model
 * server (our own http.c, single-threaded: it answers in order anyway)
 * takes up to UP_PIPELINE requests in flight per connection; any other
 * server (Script Mode) one per connection, never pipelined.
 *
 * Invariants:
 *  - A connection's requests are answered in the order they were queued;
 *    the unsent ones are the tail of the queue and their heads the tail
 *    of c->head. A request's body is borrowed from the client's request
 *    until its done has run: http.c keeps a request's body until it is
 *    answered, and a request whose bytes are still in the pending write
 *    is answered only after its connection closed (libuv then drops the
 *    write without reading it).
 *  - done is called once per request, from a loop callback (never from
 *    inside sv_up_request), after its answer is complete or its
 *    connection failed; a request is popped before its done runs.
 *  - A connection is freed only after both its handles closed; the
 *    instance learns it through sv_inst_conns_changed().
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "err.h"
#include "log.h"
#include "serving_int.h"

#define UP_IDLE_MAX	512		/* pooled connections per instance */
#define UP_PIPELINE	32		/* requests in flight on one connection (built-in) */
#define UP_IOV		64		/* iovecs per writev */
#define UP_CTYPE_MAX	256
#define UP_ATTRS_MAX	1024

enum up_state {
	UP_CONNECTING,
	UP_OPEN,
	UP_CLOSING,
};

enum up_hdr {
	UH_NONE,
	UH_CTYPE,
	UH_ATTRS,
};

struct up_req {
	struct up_req		*next;
	sv_done_fn		 done;
	void			*arg;
	const char		*body;		/* borrowed until sent */
	size_t			 len;
	size_t			 hoff, hlen;	/* its head in c->head until sent */
	uint64_t		 deadline;	/* uv_now() */
	size_t			 wend;		/* its end in the pending write */
	unsigned int		 sent : 1;	/* written, or in the pending write */
	unsigned int		 inwrite : 1;	/* not all of it written yet */
};

struct sv_conn {
	union {
		uv_handle_t	 handle;
		uv_stream_t	 stream;
		uv_tcp_t	 tcp;
		uv_pipe_t	 pipe;
	}			 h;
	uv_timer_t		 timer;
	uint64_t		 due;		/* uv_now(): deadline or idle end */
	uint64_t		 armed;		/* when the timer fires; 0: stopped */
	uv_connect_t		 creq;
	uv_write_t		 wreq;
	http_parser		 parser;
	struct sv_inst		*in;
	struct sv_conn		*prev, *next;	/* in->all */
	struct sv_conn		*dirty_next;	/* s->up_dirty */
	enum up_state		 state;
	int			 handles;
	int			 depth;		/* requests in flight allowed */
	unsigned int		 ping : 1;
	unsigned int		 writing : 1;
	unsigned int		 dirty : 1;
	unsigned int		 complete : 1;
	unsigned int		 keep : 1;
	unsigned int		 got_bytes : 1;	/* of the head request's answer */
	unsigned int		 in_value : 1;
	unsigned int		 last : 1;	/* the server will close: no more */
	/* The requests, oldest first. */
	struct up_req		*q, *qtail;
	int			 n_q, n_unsent;
	struct buf		 head;		/* heads of the unsent requests */
	struct buf		 wbuf;		/* the heads an unfinished write carries */
	size_t			 wtotal;	/* bytes of the unfinished write */
	/* The answer being read. */
	struct buf		 rbody;
	char			 field[40];
	size_t			 flen;
	enum up_hdr		 cur_hdr;
	struct buf		 ctype;
	struct buf		 attrs;
};

static void conn_close(struct sv_conn *c);
static void conn_fail(struct sv_conn *c, int err);
static void conn_flush(struct sv_conn *c);

/* One read buffer for every connection: reads are consumed in on_read. */
static char up_rbuf[64 * 1024];

static struct serving *
conn_serving(const struct sv_conn *c)
{
	return c->in->v->dep->ep->s;
}

/* ---- parsing the answer ------------------------------------------------ */

static int
on_message_begin(http_parser *p)
{
	struct sv_conn *c = p->data;

	c->rbody.len = 0;
	c->ctype.len = 0;
	c->attrs.len = 0;
	c->cur_hdr = UH_NONE;
	c->flen = 0;
	c->in_value = 0;
	return 0;
}

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct sv_conn *c = p->data;
	size_t i;

	if (c->in_value) {
		c->in_value = 0;
		c->flen = 0;
	}
	for (i = 0; i < len && c->flen < sizeof(c->field) - 1; i++) {
		char ch = at[i];

		c->field[c->flen++] = (ch >= 'A' && ch <= 'Z') ?
		    (char)(ch + 32) : ch;
	}
	if (i < len)
		c->flen = sizeof(c->field) - 1;	/* too long: no header we keep */
	c->field[c->flen] = '\0';
	return 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct sv_conn *c = p->data;
	struct buf *b = NULL;
	size_t max = 0;

	if (!c->in_value) {
		c->in_value = 1;
		c->cur_hdr = strcmp(c->field, "content-type") == 0 ? UH_CTYPE :
		    strcmp(c->field, "x-amzn-sagemaker-custom-attributes") == 0 ?
		    UH_ATTRS : UH_NONE;
		if (c->cur_hdr == UH_CTYPE)
			c->ctype.len = 0;
		else if (c->cur_hdr == UH_ATTRS)
			c->attrs.len = 0;
	}
	if (c->cur_hdr == UH_CTYPE) {
		b = &c->ctype;
		max = UP_CTYPE_MAX;
	} else if (c->cur_hdr == UH_ATTRS) {
		b = &c->attrs;
		max = UP_ATTRS_MAX;
	}
	if (b != NULL && b->len + len <= max)
		buf_append(b, at, len);
	return 0;
}

static int
on_headers_complete(http_parser *p)
{
	struct sv_conn *c = p->data;

	/* The answer's size is known: take it in one allocation. */
	if (p->content_length != ULLONG_MAX && p->content_length > 0 &&
	    p->content_length <= SV_MAX_BODY * 4ULL)
		buf_reserve(&c->rbody, (size_t)p->content_length);
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct sv_conn *c = p->data;

	buf_append(&c->rbody, at, len);
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct sv_conn *c = p->data;

	c->complete = 1;
	c->keep = http_should_keep_alive(p) ? 1 : 0;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings up_settings = {
	.on_message_begin = on_message_begin,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* ---- life cycle ------------------------------------------------------------- */

static void
on_handle_closed(uv_handle_t *h)
{
	struct sv_conn *c = h->data;
	struct sv_inst *in = c->in;

	if (--c->handles > 0)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		in->all = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	in->n_conns--;
	buf_free(&c->head);
	buf_free(&c->wbuf);
	buf_free(&c->rbody);
	buf_free(&c->ctype);
	buf_free(&c->attrs);
	free(c);
	sv_inst_conns_changed(in);
}

static void
dirty_unlink(struct sv_conn *c)
{
	struct sv_conn **pp;

	if (!c->dirty)
		return;
	for (pp = &conn_serving(c)->up_dirty; *pp != NULL;
	    pp = &(*pp)->dirty_next) {
		if (*pp == c) {
			*pp = c->dirty_next;
			break;
		}
	}
	c->dirty = 0;
	c->dirty_next = NULL;
}

/* Closes both handles; queued requests must have been answered or failed. */
static void
conn_close(struct sv_conn *c)
{
	if (c->state == UP_CLOSING)
		return;
	dirty_unlink(c);
	c->state = UP_CLOSING;
	uv_timer_stop(&c->timer);
	uv_close(&c->h.handle, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static struct up_req *
req_pop(struct sv_conn *c)
{
	struct up_req *r = c->q;

	if (r == NULL)
		return NULL;
	c->q = r->next;
	if (c->q == NULL)
		c->qtail = NULL;
	c->n_q--;
	if (!r->sent)
		c->n_unsent--;
	if (c->n_unsent == 0)
		c->head.len = 0;
	c->in->n_busy--;
	return r;
}

static void on_timer(uv_timer_t *t);

/*
 * Sets c's deadline: the oldest request's, or the idle lifetime. The uv
 * timer is moved only to fire earlier; on_timer re-arms it for a deadline
 * that moved later (each answer moves it), so pipelined requests cost no
 * timer heap operations in the usual case.
 */
static void
conn_arm(struct sv_conn *c)
{
	uint64_t now;

	if (c->state == UP_CLOSING)
		return;
	now = uv_now(c->timer.loop);
	c->due = c->q != NULL ? c->q->deadline : now + SV_IDLE_CONN_MS;
	if (c->armed != 0 && c->armed <= c->due)
		return;
	c->armed = c->due > now ? c->due : now;
	uv_timer_start(&c->timer, on_timer, c->armed - now, 0);
}

/*
 * Fails every queued request: the oldest with err (or TD_EPROTO if part
 * of its answer came), the others with TD_EIO (nothing came back for
 * them). The connection closes first, so that a done that retries never
 * picks it.
 */
static void
conn_fail(struct sv_conn *c, int err)
{
	struct sv_inst *in = c->in;
	struct sv_resp resp;
	struct up_req *r;
	int first = 1;

	conn_close(c);
	while ((r = req_pop(c)) != NULL) {
		memset(&resp, 0, sizeof(resp));
		resp.err = first ? (c->got_bytes && err != UV_ETIMEDOUT ?
		    TD_EPROTO : err) : TD_EIO;
		resp.got_bytes = first && c->got_bytes;
		first = 0;
		r->done(c, r->arg, &resp);
		free(r);
	}
	sv_inst_conns_changed(in);
}

static void
on_timer(uv_timer_t *t)
{
	struct sv_conn *c = t->data;
	uint64_t now = uv_now(t->loop);

	c->armed = 0;
	if (now < c->due) {
		c->armed = c->due;
		uv_timer_start(&c->timer, on_timer, c->due - now, 0);
		return;
	}
	if (c->q == NULL)
		conn_close(c);		/* idle long enough */
	else
		conn_fail(c, UV_ETIMEDOUT);
}

/* Too many idle connections on the instance: this one goes. */
static int
idle_surplus(const struct sv_inst *in)
{
	const struct sv_conn *x;
	int n = 0;

	for (x = in->all; x != NULL; x = x->next)
		if (x->state == UP_OPEN && x->q == NULL && ++n > UP_IDLE_MAX)
			return 1;
	return 0;
}

/* The oldest request's answer is complete: hand it over. */
static void
conn_answered(struct sv_conn *c)
{
	struct sv_inst *in = c->in;
	struct sv_resp resp = { 0 };
	struct up_req *r;

	if (c->q == NULL || !c->q->sent) {
		/* An answer to nothing we sent: not HTTP as we speak it. */
		conn_fail(c, TD_EPROTO);
		return;
	}
	r = req_pop(c);
	if (r->inwrite && c->writing && r->wend > c->wtotal -
	    uv_stream_get_write_queue_size(&c->h.stream)) {
		/*
		 * Answered before all of its request left (a server may answer
		 * early): the pending write still borrows its body, which goes
		 * with done. Closing first drops that write unread.
		 */
		conn_close(c);
	}
	resp.status = (int)c->parser.status_code;
	resp.content_type = c->ctype.len ? c->ctype.data : NULL;
	resp.custom_attrs = c->attrs.len ? c->attrs.data : NULL;
	resp.body = c->rbody.data ? c->rbody.data : "";
	resp.len = c->rbody.len;
	c->complete = 0;
	c->got_bytes = 0;
	if (!c->keep || c->ping)
		c->last = 1;
	r->done(c, r->arg, &resp);
	free(r);
	if (c->state == UP_CLOSING) {
		if (c->q != NULL)
			conn_fail(c, TD_EIO);	/* the rest never ran */
		return;
	}
	if (c->rbody.cap > (1u << 20))
		buf_free(&c->rbody);
	if (c->last || in->state != SV_I_READY || in->draining) {
		if (c->q == NULL)
			conn_close(c);
		else if (c->last)
			conn_fail(c, TD_EIO);	/* the rest never ran */
		else
			conn_arm(c);
		return;
	}
	if (c->q == NULL && c->depth == 1 && idle_surplus(in)) {
		conn_close(c);
		return;
	}
	conn_arm(c);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	b->base = up_rbuf;
	b->len = sizeof(up_rbuf);
}

/* Parses what was read: any number of answers, each handed over in turn. */
static void
conn_parse(struct sv_conn *c, const char *p, size_t n)
{
	size_t used;

	while (n > 0 && c->state != UP_CLOSING) {
		c->got_bytes = 1;
		used = http_parser_execute(&c->parser, &up_settings, p, n);
		if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED) {
			http_parser_pause(&c->parser, 0);
			/* A 1xx answer is not the answer: wait for the next. */
		} else if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
			conn_fail(c, TD_EPROTO);
			return;
		}
		p += used;
		n -= used;
		if (!c->complete)
			return;
		if (c->parser.status_code >= 100 && c->parser.status_code < 200) {
			c->complete = 0;
			continue;
		}
		conn_answered(c);
	}
	sv_inst_conns_changed(c->in);
}

static void
on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct sv_conn *c = st->data;
	struct sv_inst *in = c->in;

	if (c->state == UP_CLOSING || nread == 0)
		return;
	if (nread > 0) {
		if (c->q == NULL) {
			/* Stray bytes on an idle connection: drop it. */
			conn_close(c);
			return;
		}
		conn_parse(c, b->base, (size_t)nread);
		return;
	}
	if (c->q == NULL) {
		conn_close(c);
		return;
	}
	if (nread == UV_EOF && c->got_bytes) {
		/* An answer that ends with the connection. */
		http_parser_execute(&c->parser, &up_settings, NULL, 0);
		if (c->complete) {
			c->keep = 0;
			conn_answered(c);
			if (c->state != UP_CLOSING)
				conn_fail(c, TD_EIO);
			sv_inst_conns_changed(in);
			return;
		}
	}
	conn_fail(c, TD_EIO);
}

/* ---- sending --------------------------------------------------------------- */

static void
on_written(uv_write_t *w, int status)
{
	struct sv_conn *c = w->data;
	struct up_req *r;

	c->writing = 0;
	c->wbuf.len = 0;
	if (c->state == UP_CLOSING)
		return;
	for (r = c->q; r != NULL && r->sent; r = r->next)
		r->inwrite = 0;
	if (status < 0) {
		conn_fail(c, TD_EIO);
		return;
	}
	conn_flush(c);
}

/*
 * Writes the unsent requests: writev() at once; what the socket does not
 * take leaves through uv_write(), the heads copied into c->wbuf (c->head
 * grows with every new request) and the bodies still borrowed (see the
 * invariants). Returns with the requests all marked sent, or the
 * connection failed.
 */
static void
conn_flush(struct sv_conn *c)
{
	uv_buf_t iov[UP_IOV];
	size_t hcopy[UP_IOV];
	unsigned char ishead[UP_IOV];
	struct up_req *r, *first;
	size_t total, done, k, end;
	unsigned int m;
	int n, rc;

	while (c->state == UP_OPEN && !c->writing && c->n_unsent > 0) {
		for (first = c->q; first != NULL && first->sent;
		    first = first->next)
			;
		n = 0;
		total = 0;
		for (r = first; r != NULL && n + 2 <= UP_IOV; r = r->next) {
			ishead[n] = 1;
			iov[n++] = uv_buf_init(c->head.data + r->hoff,
			    (unsigned int)r->hlen);
			total += r->hlen;
			if (r->len > 0) {
				ishead[n] = 0;
				iov[n++] = uv_buf_init((char *)r->body,
				    (unsigned int)r->len);
				total += r->len;
			}
		}
		rc = uv_try_write(&c->h.stream, iov, (unsigned int)n);
		if (rc < 0 && rc != UV_EAGAIN) {
			conn_fail(c, TD_EIO);
			return;
		}
		done = rc > 0 ? (size_t)rc : 0;
		/* Which requests are out whole, which wait on the rest. */
		end = 0;
		for (r = first, k = 0; r != NULL && k < (size_t)n; r = r->next) {
			k += r->len > 0 ? 2 : 1;
			end += r->hlen + r->len;
			r->sent = 1;
			r->inwrite = end > done;
			r->wend = end > done ? end - done : 0;
			c->n_unsent--;
		}
		if (c->n_unsent == 0 && done == total)
			c->head.len = 0;
		if (done == total)
			continue;
		/* Copy the heads that are left, then point at the copies. */
		c->wbuf.len = 0;
		for (k = 0, m = 0; k < (size_t)n; k++) {
			if (done >= iov[k].len) {
				done -= iov[k].len;
				continue;
			}
			iov[m].base = iov[k].base + done;
			iov[m].len = iov[k].len - done;
			done = 0;
			hcopy[m] = SIZE_MAX;
			if (ishead[k]) {
				hcopy[m] = c->wbuf.len;
				buf_append(&c->wbuf, iov[m].base, iov[m].len);
			}
			m++;
		}
		for (k = 0; k < m; k++)
			if (hcopy[k] != SIZE_MAX)
				iov[k].base = c->wbuf.data + hcopy[k];
		if (c->n_unsent == 0)
			c->head.len = 0;
		c->wtotal = total - (size_t)(rc > 0 ? rc : 0);
		c->wreq.data = c;
		if (uv_write(&c->wreq, &c->h.stream, iov, m, on_written) < 0) {
			c->wbuf.len = 0;
			conn_fail(c, TD_EIO);
			return;
		}
		c->writing = 1;
	}
}

static void
on_check(uv_check_t *h)
{
	struct serving *s = h->data;
	struct sv_conn *c;

	while ((c = s->up_dirty) != NULL) {
		s->up_dirty = c->dirty_next;
		c->dirty_next = NULL;
		c->dirty = 0;
		conn_flush(c);
	}
	uv_check_stop(h);
}

/* Flushes c once this loop iteration's callbacks have all run. */
static void
conn_mark_dirty(struct sv_conn *c)
{
	struct serving *s = conn_serving(c);

	if (c->dirty || c->state != UP_OPEN || c->writing)
		return;
	if (s->closing) {
		/* The batching handle is closed: write at once. */
		conn_flush(c);
		return;
	}
	if (!s->up_check_open) {
		uv_check_init(s->d->loop, &s->up_check);
		s->up_check.data = s;
		uv_unref((uv_handle_t *)&s->up_check);
		s->up_check_open = 1;
	}
	if (s->up_dirty == NULL)
		uv_check_start(&s->up_check, on_check);
	c->dirty = 1;
	c->dirty_next = s->up_dirty;
	s->up_dirty = c;
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct sv_conn *c = req->data;

	if (c->state == UP_CLOSING)
		return;
	if (status < 0) {
		conn_fail(c, TD_EIO);
		return;
	}
	c->state = UP_OPEN;
	if (c->in->sock[0] == '\0')
		uv_tcp_nodelay(&c->h.tcp, 1);
	if (uv_read_start(&c->h.stream, on_alloc, on_read) < 0) {
		conn_fail(c, TD_EIO);
		return;
	}
	conn_flush(c);
}

static struct sv_conn *
conn_new(struct sv_inst *in, int ping)
{
	uv_loop_t *loop = in->v->dep->ep->s->d->loop;
	struct sockaddr_in sa;
	struct sv_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatalx("serving: out of memory");
	c->in = in;
	c->state = UP_CONNECTING;
	c->ping = ping ? 1 : 0;
	c->depth = ping || !in->v->builtin ? 1 : UP_PIPELINE;
	if (in->sock[0] != '\0')
		uv_pipe_init(loop, &c->h.pipe, 0);
	else
		uv_tcp_init(loop, &c->h.tcp);
	uv_timer_init(loop, &c->timer);
	c->h.handle.data = c->timer.data = c;
	c->handles = 2;
	http_parser_init(&c->parser, HTTP_RESPONSE);
	c->parser.data = c;
	c->next = in->all;
	if (in->all != NULL)
		in->all->prev = c;
	in->all = c;
	in->n_conns++;
	c->creq.data = c;
	if (in->sock[0] != '\0') {
		/* Errors come through on_connect. */
		uv_pipe_connect(&c->creq, &c->h.pipe, in->sock, on_connect);
		return c;
	}
	uv_ip4_addr("127.0.0.1", in->port, &sa);
	if (uv_tcp_connect(&c->creq, &c->h.tcp, (struct sockaddr *)&sa,
	    on_connect) < 0) {
		conn_close(c);
		return NULL;
	}
	return c;
}

#define PUT_LIT(b, s) buf_append((b), (s), sizeof(s) - 1)

/* Appends the request's head to c->head (no printf: this is per request). */
static void
build_head(struct sv_conn *c, const char *ctype, const char *accept,
    const char *attrs, size_t len)
{
	struct buf *b = &c->head;

	if (c->ping) {
		PUT_LIT(b, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1:");
		buf_put_u64(b, (uint64_t)c->in->port);
		PUT_LIT(b, "\r\nConnection: close\r\n\r\n");
		return;
	}
	PUT_LIT(b, "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1:");
	buf_put_u64(b, (uint64_t)c->in->port);
	PUT_LIT(b, "\r\nContent-Length: ");
	buf_put_u64(b, (uint64_t)len);
	if (ctype != NULL) {
		PUT_LIT(b, "\r\nContent-Type: ");
		buf_puts(b, ctype);
	}
	if (accept != NULL) {
		PUT_LIT(b, "\r\nAccept: ");
		buf_puts(b, accept);
	}
	if (attrs != NULL) {
		PUT_LIT(b, "\r\nX-Amzn-SageMaker-Custom-Attributes: ");
		buf_puts(b, attrs);
	}
	PUT_LIT(b, "\r\n\r\n");
}

/* A connection with room for one more request, or NULL. */
static struct sv_conn *
conn_pick(struct sv_inst *in)
{
	struct sv_conn *c;

	for (c = in->all; c != NULL; c = c->next)
		if (c->state != UP_CLOSING && !c->ping && !c->last &&
		    c->n_q < c->depth)
			return c;
	return NULL;
}

int
sv_up_request(struct sv_inst *in, int ping, const char *ctype,
    const char *accept, const char *attrs, const char *body, size_t len,
    unsigned int timeout_ms, sv_done_fn done, void *arg)
{
	struct sv_conn *c = NULL;
	struct up_req *r;

	if (in->port <= 0)
		return TD_ESTATE;
	if (!ping)
		c = conn_pick(in);
	if (c == NULL && (c = conn_new(in, ping)) == NULL)
		return TD_EIO;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatalx("serving: out of memory");
	r->done = done;
	r->arg = arg;
	r->body = ping ? NULL : body;
	r->len = ping ? 0 : len;
	r->hoff = c->head.len;
	build_head(c, ctype, accept, attrs, r->len);
	r->hlen = c->head.len - r->hoff;
	r->deadline = uv_now(c->timer.loop) + timeout_ms;
	if (c->qtail != NULL)
		c->qtail->next = r;
	else
		c->q = r;
	c->qtail = r;
	if (c->n_q++ == 0)
		conn_arm(c);
	c->n_unsent++;
	in->n_busy++;
	conn_mark_dirty(c);
	return 0;
}

void
sv_up_close_idle(struct sv_inst *in)
{
	struct sv_conn *c, *next;

	for (c = in->all; c != NULL; c = next) {
		next = c->next;
		if (c->state == UP_OPEN && c->q == NULL)
			conn_close(c);
	}
}

void
sv_up_abort_all(struct sv_inst *in)
{
	struct sv_conn *c, *next;

	for (c = in->all; c != NULL; c = next) {
		next = c->next;
		if (c->state == UP_CLOSING)
			continue;
		if (c->q != NULL)
			conn_fail(c, TD_EIO);
		else
			conn_close(c);
	}
}

void
sv_up_shutdown(struct serving *s)
{
	struct sv_conn *c;

	while ((c = s->up_dirty) != NULL) {
		s->up_dirty = c->dirty_next;
		c->dirty_next = NULL;
		c->dirty = 0;
	}
	if (s->up_check_open) {
		s->up_check_open = 0;
		uv_close((uv_handle_t *)&s->up_check, NULL);
	}
}
