/*
 * serving_up.c - HTTP/1.1 client connections from tunerd to its model
 * servers ("upstream"): health checks (GET /ping) and proxied invocations
 * (POST /invocations) over keep-alive connections pooled per instance.
 *
 * Owns every struct sv_conn: its TCP handle, timer, request head and
 * answer buffers. Never decides what an answer means (serving.c and
 * serving_proxy.c do) and never touches the store.
 *
 * Invariants:
 *  - A connection carries one request at a time; it is idle (in the
 *    instance's pool, reading only to notice the server closing it) or
 *    busy with exactly one request whose done callback is still owed.
 *  - done is called once per request, after both the answer is complete
 *    (or failed) AND the request has left (its write callback ran): the
 *    body we send is borrowed from the client's request, which is released
 *    as soon as done answers it.
 *  - A connection is freed only after both its handles closed; the
 *    instance learns it through sv_inst_conns_changed().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "err.h"
#include "log.h"
#include "serving_int.h"

#define UP_IDLE_MAX	512		/* pooled connections per instance */
#define UP_CTYPE_MAX	256
#define UP_ATTRS_MAX	1024

enum up_state {
	UP_CONNECTING,
	UP_BUSY,
	UP_IDLE,
	UP_CLOSING,
};

enum up_hdr {
	UH_NONE,
	UH_CTYPE,
	UH_ATTRS,
};

struct sv_conn {
	union {
		uv_handle_t	 handle;
		uv_stream_t	 stream;
		uv_tcp_t	 tcp;
		uv_pipe_t	 pipe;
	}			 h;
	uv_timer_t		 timer;
	uv_connect_t		 creq;
	uv_write_t		 wreq;
	http_parser		 parser;
	struct sv_inst		*in;
	struct sv_conn		*prev, *next;	/* in->all */
	struct sv_conn		*idle_next;	/* in->idle */
	enum up_state		 state;
	int			 handles;
	unsigned int		 ping : 1;
	unsigned int		 writing : 1;
	unsigned int		 complete : 1;
	unsigned int		 keep : 1;
	unsigned int		 got_bytes : 1;
	unsigned int		 in_value : 1;
	/* The request. */
	struct buf		 head;
	const char		*body;
	size_t			 len;
	sv_done_fn		 done;
	void			*arg;
	unsigned int		 timeout_ms;
	/* The answer. */
	struct buf		 rbody;
	char			 field[40];
	size_t			 flen;
	enum up_hdr		 cur_hdr;
	struct buf		 ctype;
	struct buf		 attrs;
	int			 fail;		/* code of a failure seen, 0 if none */
};

static void conn_close(struct sv_conn *c);
static void conn_settle(struct sv_conn *c);

/* One read buffer for every connection: reads are consumed in on_read. */
static char up_rbuf[64 * 1024];

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
	buf_free(&c->rbody);
	buf_free(&c->ctype);
	buf_free(&c->attrs);
	free(c);
	sv_inst_conns_changed(in);
}

static void
idle_unlink(struct sv_conn *c)
{
	struct sv_conn **pp;

	for (pp = &c->in->idle; *pp != NULL; pp = &(*pp)->idle_next) {
		if (*pp == c) {
			*pp = c->idle_next;
			break;
		}
	}
	c->idle_next = NULL;
}

static void
conn_close(struct sv_conn *c)
{
	if (c->state == UP_CLOSING)
		return;
	if (c->state == UP_IDLE)
		idle_unlink(c);
	c->state = UP_CLOSING;
	uv_timer_stop(&c->timer);
	uv_close(&c->h.handle, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void
on_idle_timeout(uv_timer_t *t)
{
	conn_close(t->data);
}

/* The request is over (answered or failed): tell its owner, then pool or close. */
static void
conn_finish(struct sv_conn *c, int err)
{
	struct sv_inst *in = c->in;
	struct sv_resp r = { 0 };
	sv_done_fn done = c->done;
	void *arg = c->arg;

	uv_timer_stop(&c->timer);
	r.err = err;
	r.got_bytes = c->got_bytes;
	if (err == 0) {
		r.status = (int)c->parser.status_code;
		r.content_type = c->ctype.len ? c->ctype.data : NULL;
		r.custom_attrs = c->attrs.len ? c->attrs.data : NULL;
		r.body = c->rbody.data ? c->rbody.data : "";
		r.len = c->rbody.len;
	}
	c->done = NULL;
	c->body = NULL;
	if (err != 0 || !c->keep || c->ping)
		conn_close(c);
	if (done != NULL)
		done(c, arg, &r);
	in->n_busy--;
	if (c->state == UP_BUSY) {
		if (in->state != SV_I_READY || in->draining ||
		    c->rbody.cap > (1u << 20)) {
			conn_close(c);
		} else {
			int n = 0;
			struct sv_conn *x;

			for (x = in->idle; x != NULL && n < UP_IDLE_MAX;
			    x = x->idle_next)
				n++;
			if (n >= UP_IDLE_MAX) {
				conn_close(c);
			} else {
				c->state = UP_IDLE;
				c->idle_next = in->idle;
				in->idle = c;
				c->complete = 0;
				c->got_bytes = 0;
				http_parser_init(&c->parser, HTTP_RESPONSE);
				c->parser.data = c;
				uv_timer_start(&c->timer, on_idle_timeout,
				    SV_IDLE_CONN_MS, 0);
			}
		}
	}
	sv_inst_conns_changed(in);
}

/* Finishes the request once both its write and its answer are done. */
static void
conn_settle(struct sv_conn *c)
{
	if (c->state != UP_BUSY && c->state != UP_CLOSING)
		return;
	if (c->done == NULL || c->writing)
		return;
	if (c->fail != 0)
		conn_finish(c, c->fail);
	else if (c->complete)
		conn_finish(c, 0);
}

/* A failure while busy: stop reading and finish when the write is done. */
static void
conn_fail(struct sv_conn *c, int err)
{
	if (c->fail == 0)
		c->fail = err;
	if (c->state == UP_IDLE || c->done == NULL) {
		conn_close(c);
		return;
	}
	if (c->state != UP_CLOSING) {
		uv_timer_stop(&c->timer);
		uv_read_stop(&c->h.stream);
		/* Closing the handle cancels the write: its callback then runs. */
		c->state = UP_CLOSING;
		uv_close(&c->h.handle, on_handle_closed);
		uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	}
	conn_settle(c);
}

static void
on_timeout(uv_timer_t *t)
{
	conn_fail(t->data, UV_ETIMEDOUT);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	b->base = up_rbuf;
	b->len = sizeof(up_rbuf);
}

static void
on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct sv_conn *c = st->data;
	size_t used;

	if (c->state == UP_CLOSING)
		return;
	if (nread == 0)
		return;
	if (c->state == UP_IDLE) {
		/* EOF or stray bytes on an idle connection: drop it. */
		conn_close(c);
		return;
	}
	if (nread < 0) {
		if (nread == UV_EOF) {
			http_parser_execute(&c->parser, &up_settings, NULL, 0);
			if (c->complete) {
				c->keep = 0;
				conn_settle(c);
				return;
			}
		}
		conn_fail(c, c->got_bytes ? TD_EPROTO : TD_EIO);
		return;
	}
	c->got_bytes = 1;
	used = http_parser_execute(&c->parser, &up_settings, b->base,
	    (size_t)nread);
	if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED) {
		http_parser_pause(&c->parser, 0);
		/* Bytes past the answer: the server is not speaking HTTP to us. */
		if ((size_t)nread - used > 1)
			c->keep = 0;
	} else if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
		conn_fail(c, TD_EPROTO);
		return;
	}
	if (c->complete)
		conn_settle(c);
}

static void
on_written(uv_write_t *req, int status)
{
	struct sv_conn *c = req->data;

	c->writing = 0;
	if (status < 0 && c->fail == 0 && !c->complete)
		c->fail = TD_EIO;
	conn_settle(c);
}

static int
conn_send(struct sv_conn *c)
{
	uv_buf_t bufs[2];
	int n = 1, rc;

	bufs[0] = uv_buf_init(c->head.data, (unsigned int)c->head.len);
	if (c->len > 0) {
		bufs[1] = uv_buf_init((char *)c->body, (unsigned int)c->len);
		n = 2;
	}
	c->wreq.data = c;
	if ((rc = uv_write(&c->wreq, &c->h.stream, bufs,
	    (unsigned int)n, on_written)) < 0)
		return rc;
	c->writing = 1;
	return 0;
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct sv_conn *c = req->data;
	int rc;

	if (c->state == UP_CLOSING) {
		conn_settle(c);
		return;
	}
	if (status < 0) {
		conn_fail(c, TD_EIO);
		return;
	}
	c->state = UP_BUSY;
	if (c->in->sock[0] == '\0')
		uv_tcp_nodelay(&c->h.tcp, 1);
	if ((rc = uv_read_start(&c->h.stream, on_alloc, on_read)) < 0 ||
	    (rc = conn_send(c)) < 0)
		conn_fail(c, TD_EIO);
}

static struct sv_conn *
conn_new(struct sv_inst *in)
{
	uv_loop_t *loop = in->v->dep->ep->s->d->loop;
	struct sockaddr_in sa;
	struct sv_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatalx("serving: out of memory");
	c->in = in;
	c->state = UP_CONNECTING;
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

static void
build_head(struct sv_conn *c, const char *ctype, const char *accept,
    const char *attrs)
{
	int port = c->in->port;

	c->head.len = 0;
	if (c->ping) {
		buf_printf(&c->head, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1:%d"
		    "\r\nConnection: close\r\n\r\n", port);
		return;
	}
	buf_printf(&c->head, "POST /invocations HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nContent-Length: %zu\r\n", port, c->len);
	if (ctype != NULL)
		buf_printf(&c->head, "Content-Type: %s\r\n", ctype);
	if (accept != NULL)
		buf_printf(&c->head, "Accept: %s\r\n", accept);
	if (attrs != NULL)
		buf_printf(&c->head, "X-Amzn-SageMaker-Custom-Attributes: %s\r\n",
		    attrs);
	buf_puts(&c->head, "\r\n");
}

static void
conn_setup(struct sv_conn *c, int ping, const char *body, size_t len,
    unsigned int timeout_ms, sv_done_fn done, void *arg)
{
	c->ping = ping ? 1 : 0;
	c->done = done;
	c->arg = arg;
	c->fail = 0;
	c->complete = 0;
	c->got_bytes = 0;
	c->keep = 0;
	c->timeout_ms = timeout_ms;
	c->body = ping ? NULL : body;
	c->len = ping ? 0 : len;
}

int
sv_up_request(struct sv_inst *in, int ping, const char *ctype,
    const char *accept, const char *attrs, const char *body, size_t len,
    unsigned int timeout_ms, sv_done_fn done, void *arg)
{
	struct sv_conn *c;

	if (in->port <= 0)
		return TD_ESTATE;
	/* A pooled connection first; one that cannot even queue a write goes. */
	while (!ping && (c = in->idle) != NULL) {
		in->idle = c->idle_next;
		c->idle_next = NULL;
		c->state = UP_BUSY;
		uv_timer_stop(&c->timer);
		conn_setup(c, ping, body, len, timeout_ms, done, arg);
		build_head(c, ctype, accept, attrs);
		if (conn_send(c) == 0) {
			in->n_busy++;
			uv_timer_start(&c->timer, on_timeout, timeout_ms, 0);
			return 0;
		}
		c->done = NULL;
		conn_close(c);
	}
	if ((c = conn_new(in)) == NULL)
		return TD_EIO;
	conn_setup(c, ping, body, len, timeout_ms, done, arg);
	build_head(c, ctype, accept, attrs);
	in->n_busy++;
	uv_timer_start(&c->timer, on_timeout, timeout_ms, 0);
	return 0;
}

void
sv_up_close_idle(struct sv_inst *in)
{
	while (in->idle != NULL)
		conn_close(in->idle);
}

void
sv_up_abort_all(struct sv_inst *in)
{
	struct sv_conn *c, *next;

	for (c = in->all; c != NULL; c = next) {
		next = c->next;
		if (c->state == UP_CLOSING)
			continue;
		if (c->done != NULL)
			conn_fail(c, TD_EIO);
		else
			conn_close(c);
	}
}
