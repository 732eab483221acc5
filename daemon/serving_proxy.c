/*
 * serving_proxy.c - the data plane: POST /endpoints/<name>/invocations
 * (sagemaker-runtime InvokeEndpoint) proxied to a model server.
 *
 * Owns the routing of one invocation: the variant (X-Amzn-SageMaker-
 * Target-Variant, else by weight), the instance (round robin over those in
 * service), retries on another instance when a server answered nothing,
 * and the answer's shape: the server's status, body, Content-Type and
 * custom attributes, plus X-Amzn-Invoked-Production-Variant; errors as
 * sagemaker-runtime words them (ValidationError 400, ModelNotReady-
 * Exception 429, ModelError 424 with the model's status and message,
 * ServiceUnavailable 503), with x-amzn-ErrorType for SDKs. Never touches
 * the store: an invocation reads memory only.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "serving.h"
#include "serving_int.h"

#define SV_ACCOUNT	"000000000000"

struct sv_call {
	struct serving		*s;
	struct sv_endpoint	*ep;
	struct http_conn	*conn;
	const struct http_request *req;
	const char		*ctype;
	const char		*accept;
	const char		*attrs;
	const char		*target;	/* variant asked for, or NULL */
	struct sv_inst		*in;		/* the instance trying it */
	struct sv_inst		*failed;	/* the last one that answered nothing */
	int			 attempts;
	int			 max_attempts;
};

static void
reply(struct http_conn *conn, int status, const char *type, const char *msg,
    int orig_status, const char *orig, size_t orig_len, const char *log)
{
	struct buf b = { 0 };
	char hdr[128];

	buf_puts(&b, "{\"__type\":");
	buf_json_str(&b, type, strlen(type));
	buf_puts(&b, ",\"ErrorCode\":");
	buf_json_str(&b, type, strlen(type));
	buf_puts(&b, ",\"Message\":");
	buf_json_str(&b, msg, strlen(msg));
	if (orig_status > 0) {
		buf_printf(&b, ",\"OriginalStatusCode\":%d", orig_status);
		buf_puts(&b, ",\"OriginalMessage\":");
		buf_json_str(&b, orig != NULL ? orig : "", orig_len);
	}
	if (log != NULL) {
		buf_puts(&b, ",\"LogStreamArn\":");
		buf_json_str(&b, log, strlen(log));
	}
	buf_putc(&b, '}');
	snprintf(hdr, sizeof(hdr), "x-amzn-ErrorType: %s\r\n", type);
	http_respond(conn, status, "application/json", b.data, b.len, hdr);
	buf_free(&b);
}

void
sv_reply_error(struct http_conn *conn, int status, const char *type,
    const char *msg)
{
	reply(conn, status, type, msg, 0, NULL, 0, NULL);
}

static void
replyf(struct http_conn *conn, int status, const char *type,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
replyf(struct http_conn *conn, int status, const char *type,
    const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	sv_reply_error(conn, status, type, b.data);
	buf_free(&b);
}

/* ---- choosing an instance -------------------------------------------------- */

static uint64_t
rng_next(struct serving *s)
{
	uint64_t x = s->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rng = x;
	return x;
}

static int
usable(const struct sv_inst *in)
{
	return in->state == SV_I_READY && in->ping_fails < 2 && in->pid > 0;
}

/* Round robin over the variant's usable instances, the last failed one last. */
static struct sv_inst *
pick_in_variant(struct sv_variant *v, const struct sv_inst *avoid)
{
	struct sv_inst *fallback = NULL;
	long i, k;

	for (i = 0; i < v->count; i++) {
		k = (long)(v->rr++ % (unsigned int)v->count);
		if (!usable(&v->inst[k]))
			continue;
		if (&v->inst[k] == avoid) {
			fallback = &v->inst[k];
			continue;
		}
		return &v->inst[k];
	}
	return fallback;
}

static struct sv_variant *
find_variant(struct sv_deploy *dep, const char *name)
{
	size_t i;

	for (i = 0; i < dep->n_v; i++)
		if (strcmp(dep->v[i].name, name) == 0)
			return &dep->v[i];
	return NULL;
}

static struct sv_inst *
pick(struct sv_call *c)
{
	struct sv_deploy *dep = c->ep->cur;
	struct sv_variant *v;
	struct sv_inst *in;
	double r, acc = 0;
	size_t i, first = 0;

	if (dep == NULL)
		return NULL;
	if (c->target != NULL) {
		if ((v = find_variant(dep, c->target)) == NULL)
			return NULL;
		return pick_in_variant(v, c->failed);
	}
	if (dep->n_v > 1 && dep->total_weight > 0) {
		r = (double)(rng_next(c->s) >> 11) * 0x1.0p-53 *
		    dep->total_weight;
		for (i = 0; i < dep->n_v; i++) {
			acc += dep->v[i].weight;
			if (r < acc) {
				first = i;
				break;
			}
		}
	}
	/* The weighted choice first; any variant in service after it. */
	for (i = 0; i < dep->n_v; i++) {
		v = &dep->v[(first + i) % dep->n_v];
		/* A variant weighted 0 takes only traffic aimed at it. */
		if (v->weight <= 0 && dep->total_weight > 0)
			continue;
		if ((in = pick_in_variant(v, c->failed)) != NULL)
			return in;
	}
	return NULL;
}

/* ---- one invocation ---------------------------------------------------------- */

static void dispatch(struct sv_call *c);

static void
answer_model_error(struct sv_call *c, const struct sv_resp *r)
{
	char log[4096];
	struct buf msg = { 0 };
	size_t olen = r->len > 2048 ? 2048 : r->len;

	sv_inst_log_path(c->in, log, sizeof(log));
	buf_printf(&msg, "Received %s error (%d) from model with message \"",
	    r->status < 500 ? "client" : "server", r->status);
	buf_append(&msg, r->body, olen);
	buf_printf(&msg, "\". See %s for more information.", log);
	reply(c->conn, 424, "ModelError", msg.data, r->status, r->body, olen,
	    log);
	buf_free(&msg);
}

/*
 * Appends s to the header block hdr (NUL-terminated, *n bytes so far),
 * cut at cap. The answer's headers fit in on_done's 1280 bytes: variant
 * names have at most 63 characters, custom attributes at most 1024 bytes
 * (serving_up.c drops longer ones).
 */
static void
hdr_put(char *hdr, size_t cap, size_t *n, const char *s)
{
	size_t len = strlen(s);

	if (*n + len >= cap)
		len = cap - *n - 1;
	memcpy(hdr + *n, s, len);
	*n += len;
	hdr[*n] = '\0';
}

static void
on_done(struct sv_conn *conn, void *arg, const struct sv_resp *r)
{
	struct sv_call *c = arg;
	char hdr[1280], log[4096];
	size_t n;

	if (c->s->closing) {
		sv_reply_error(c->conn, 503, "ServiceUnavailable", "tunerd is "
		    "shutting down; try again when it is back");
		free(c);
		return;
	}
	if (r->err != 0) {
		sv_inst_log_path(c->in, log, sizeof(log));
		if (r->err == UV_ETIMEDOUT) {
			replyf(c->conn, 424, "ModelError", "Your invocation timed "
			    "out while waiting for a response from the model "
			    "server of variant %s (%d s). See %s for more "
			    "information.", c->in->v->name,
			    SV_INVOKE_TIMEOUT_MS / 1000, log);
		} else if (r->got_bytes) {
			replyf(c->conn, 424, "ModelError", "The model server of "
			    "variant %s closed the connection in the middle of "
			    "its answer. See %s for more information.",
			    c->in->v->name, log);
		} else {
			/* Nothing came back: the request never ran; try another. */
			c->failed = c->in;
			c->s->retries++;
			sv_inst_suspect(c->in);
			dispatch(c);
			return;
		}
		free(c);
		return;
	}
	if (r->status < 200 || r->status > 299) {
		answer_model_error(c, r);
		free(c);
		return;
	}
	/* Per invocation: put together without printf. */
	n = 0;
	hdr_put(hdr, sizeof(hdr), &n, "X-Amzn-Invoked-Production-Variant: ");
	hdr_put(hdr, sizeof(hdr), &n, c->in->v->name);
	hdr_put(hdr, sizeof(hdr), &n, "\r\n");
	if (r->custom_attrs != NULL) {
		hdr_put(hdr, sizeof(hdr), &n,
		    "X-Amzn-SageMaker-Custom-Attributes: ");
		hdr_put(hdr, sizeof(hdr), &n, r->custom_attrs);
		hdr_put(hdr, sizeof(hdr), &n, "\r\n");
	}
	http_respond(c->conn, r->status, r->content_type, r->body, r->len, hdr);
	free(c);
}

static void
dispatch(struct sv_call *c)
{
	struct sv_inst *in;

	while (c->attempts < c->max_attempts) {
		if (c->ep->deleting || (in = pick(c)) == NULL)
			break;
		c->attempts++;
		c->in = in;
		if (sv_up_request(in, 0, c->ctype, c->accept, c->attrs,
		    c->req->body, c->req->body_len, SV_INVOKE_TIMEOUT_MS,
		    on_done, c) == 0)
			return;
		c->failed = in;
		sv_inst_suspect(in);
	}
	if (c->attempts > 0)
		replyf(c->conn, 503, "ServiceUnavailable", "No model server of "
		    "endpoint %s answered (tried %d); tunerd is checking and "
		    "restarting them. Try again.", c->ep->row.name, c->attempts);
	else
		replyf(c->conn, 503, "ServiceUnavailable", "No model server of "
		    "endpoint %s%s%s is in service right now; tunerd is "
		    "restarting it. Try again.", c->ep->row.name,
		    c->target ? " for variant " : "", c->target ? c->target : "");
	free(c);
}

static int
total_instances(const struct sv_deploy *dep)
{
	size_t i;
	int n = 0;

	for (i = 0; i < dep->n_v; i++)
		n += (int)dep->v[i].count;
	return n;
}

void
serving_invoke(struct serving *s, struct http_conn *conn,
    const struct http_request *req, const char *name)
{
	struct sv_endpoint *ep;
	struct sv_call *c;

	if (strcmp(req->method, "POST") != 0) {
		sv_reply_error(conn, 405, "MethodNotAllowed", "InvokeEndpoint "
		    "is POST /endpoints/<name>/invocations");
		return;
	}
	ep = s->closing ? NULL : sv_endpoint_find(s, name, 0);
	if (ep == NULL || ep->deleting) {
		replyf(conn, 400, "ValidationError", "Endpoint %s of account "
		    SV_ACCOUNT " not found.", name);
		return;
	}
	if (req->body_len > SV_MAX_BODY) {
		replyf(conn, 413, "ValidationError", "The request body of %zu "
		    "bytes is larger than the %d bytes InvokeEndpoint accepts.",
		    req->body_len, SV_MAX_BODY);
		return;
	}
	if (ep->cur == NULL) {
		if (ep->pending != NULL)
			replyf(conn, 429, "ModelNotReadyException", "Endpoint %s "
			    "is Creating: its model servers are starting. Invoke "
			    "it once DescribeEndpoint reports InService.", name);
		else
			replyf(conn, 400, "ValidationError", "Endpoint %s is %s "
			    "and serves no model%s%s", name, ep->row.status,
			    ep->row.failure_reason ? ": " : ".",
			    ep->row.failure_reason ? ep->row.failure_reason : "");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatalx("serving: out of memory");
	c->s = s;
	c->ep = ep;
	c->conn = conn;
	c->req = req;
	c->ctype = http_req_header(req, "content-type");
	c->accept = http_req_header(req, "accept");
	c->attrs = http_req_header(req, "x-amzn-sagemaker-custom-attributes");
	c->target = http_req_header(req, "x-amzn-sagemaker-target-variant");
	if (c->target != NULL && find_variant(ep->cur, c->target) == NULL) {
		replyf(conn, 400, "ValidationError", "The target variant %s "
		    "does not exist on endpoint %s.", c->target, name);
		free(c);
		return;
	}
	c->max_attempts = total_instances(ep->cur) + 1;
	s->invocations++;
	dispatch(c);
}
