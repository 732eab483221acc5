/*
 * api.c - request routing and answer shaping (see api.h).
 *
 * Owns the {operation, handler} table and the conversions at the edge:
 * X-Amz-Target to operation, body to cJSON, cJSON / apierr to HTTP.
 * Never touches SQL or workers: handlers do, through store.h / sched.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "buf.h"
#include "daemon.h"
#include "err.h"
#include "http.h"
#include "jsonw.h"
#include "list.h"
#include "log.h"
#include "serving.h"
#include "sigv4.h"
#include "store.h"

#define JSON_TYPE "application/x-amz-json-1.1"

static const api_handler_fn api_handlers[OP__COUNT] = {
	[OP_CREATE_TRAINING_JOB] = api_create_training_job,
	[OP_DESCRIBE_TRAINING_JOB] = api_describe_training_job,
	[OP_LIST_TRAINING_JOBS] = api_list_training_jobs,
	[OP_STOP_TRAINING_JOB] = api_stop_training_job,
	[OP_GET_TRAINING_JOB_LOGS] = api_get_training_job_logs,
	[OP_GET_TRAINING_JOB_METRICS] = api_get_training_job_metrics,
	[OP_CREATE_TUNING_JOB] = api_create_tuning_job,
	[OP_DESCRIBE_TUNING_JOB] = api_describe_tuning_job,
	[OP_LIST_TUNING_JOBS] = api_list_tuning_jobs,
	[OP_LIST_TRAINING_JOBS_FOR_TUNING_JOB] =
	    api_list_training_jobs_for_tuning_job,
	[OP_STOP_TUNING_JOB] = api_stop_tuning_job,
	[OP_ASK_TUNING_JOB] = api_ask_tuning_job,
	[OP_TELL_TUNING_JOB] = api_tell_tuning_job,
	[OP_CREATE_MODEL] = api_create_model,
	[OP_DESCRIBE_MODEL] = api_describe_model,
	[OP_LIST_MODELS] = api_list_models,
	[OP_DELETE_MODEL] = api_delete_model,
	[OP_CREATE_ENDPOINT_CONFIG] = api_create_endpoint_config,
	[OP_DESCRIBE_ENDPOINT_CONFIG] = api_describe_endpoint_config,
	[OP_LIST_ENDPOINT_CONFIGS] = api_list_endpoint_configs,
	[OP_DELETE_ENDPOINT_CONFIG] = api_delete_endpoint_config,
	[OP_CREATE_ENDPOINT] = api_create_endpoint,
	[OP_DESCRIBE_ENDPOINT] = api_describe_endpoint,
	[OP_LIST_ENDPOINTS] = api_list_endpoints,
	[OP_DELETE_ENDPOINT] = api_delete_endpoint,
	[OP_UPDATE_ENDPOINT] = api_update_endpoint,
};

static void
reply_error(struct http_conn *conn, const struct apierr *e)
{
	struct buf b = { 0 };
	char hdr[128];

	buf_puts(&b, "{\"__type\":");
	buf_json_str(&b, e->type, strlen(e->type));
	buf_puts(&b, ",\"message\":");
	buf_json_str(&b, e->message, strlen(e->message));
	buf_putc(&b, '}');
	snprintf(hdr, sizeof(hdr), "x-amzn-ErrorType: %s\r\n", e->type);
	http_respond(conn, e->status ? e->status : 400, JSON_TYPE, b.data,
	    b.len, hdr);
	buf_free(&b);
}

void
api_finish(struct api_ctx *c)
{
	char *body;

	if (c->err.type != NULL) {
		reply_error(c->conn, &c->err);
	} else if (c->has_body) {
		http_respond(c->conn, 200, JSON_TYPE, c->body.data, c->body.len,
		    NULL);
	} else {
		if (c->out == NULL)
			c->out = cJSON_CreateObject();
		body = cJSON_PrintUnformatted(c->out);
		http_respond(c->conn, 200, JSON_TYPE, body,
		    body ? strlen(body) : 0, NULL);
		cJSON_free(body);
	}
	cJSON_Delete(c->out);
	c->out = NULL;
	buf_free(&c->body);
	c->has_body = 0;
	if (c->deferred)
		free(c);
}

struct api_ctx *
api_defer(struct api_ctx *c)
{
	struct api_ctx *copy = malloc(sizeof(*copy));

	if (copy == NULL)
		fatalx("api: out of memory");
	*copy = *c;
	copy->deferred = 1;
	c->deferred = 1;	/* tells the dispatcher the answer is owed later */
	c->out = NULL;
	memset(&c->body, 0, sizeof(c->body));
	c->has_body = 0;
	return copy;
}

void
api_store_error(struct api_ctx *c, int rc, const char *kind, const char *name)
{
	if (rc == TD_ENOTFOUND)
		apierr_set(&c->err, APIERR_NOT_FOUND, "Requested resource not "
		    "found: %s '%s' does not exist", kind, name);
	else if (rc == TD_EEXIST)
		apierr_set(&c->err, APIERR_IN_USE, "Resource already exists: "
		    "%s '%s' already exists", kind, name);
	else {
		c->err.status = 500;
		apierr_set(&c->err, APIERR_INTERNAL, "internal error on %s "
		    "'%s': %s", kind, name, td_strerror(rc));
	}
}

void
api_list_query(const struct td_list_req *lr, struct store_list_q *q)
{
	memset(q, 0, sizeof(*q));
	q->name_contains = lr->name_contains;
	q->status = lr->status_equals;
	if (isfinite(lr->created_after))
		q->created_after = lr->created_after;
	if (isfinite(lr->created_before))
		q->created_before = lr->created_before;
	if (isfinite(lr->modified_after))
		q->modified_after = lr->modified_after;
	if (isfinite(lr->modified_before))
		q->modified_before = lr->modified_before;
	q->sort_by = lr->sort_by == TD_SORT_NAME ? "Name" :
	    lr->sort_by == TD_SORT_STATUS ? "Status" : "CreationTime";
	q->descending = lr->descending;
	q->limit = (int)lr->max_results;
	q->token = lr->next_token;
}

/* The error of a list run's code rc (not 0). */
static void
list_error(struct api_ctx *c, int rc)
{
	if (rc == TD_EINVAL)
		apierr_set(&c->err, APIERR_VALIDATION, "Invalid NextToken: pass "
		    "the NextToken of an earlier %s answer with the same SortBy",
		    c->op->name);
	else
		api_store_error(c, rc, c->op->name, "list");
}

void
api_list_page(struct api_ctx *c, const cJSON *req, const char *member,
    api_list_run run, void *arg)
{
	struct td_list_req lr;
	struct store_list_q q;
	char *next = NULL;
	cJSON *arr;
	int rc;

	if (list_req_decode(c->op, req, &lr, &c->err) != 0)
		return;
	api_list_query(&lr, &q);
	c->out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(c->out, member);
	rc = run(c, &q, arr, arg, &next);
	if (rc != 0)
		list_error(c, rc);
	else if (next != NULL)
		cJSON_AddStringToObject(c->out, "NextToken", next);
	free(next);
	list_req_clear(&lr);
}

void
api_list_page_w(struct api_ctx *c, const cJSON *req, const char *member,
    api_list_run_w run, void *arg)
{
	struct td_list_req lr;
	struct store_list_q q;
	struct jsonw w;
	char *next = NULL;
	int rc;

	if (list_req_decode(c->op, req, &lr, &c->err) != 0)
		return;
	api_list_query(&lr, &q);
	buf_reset(&c->body);
	/* ~300 bytes per summary: one allocation for most pages. */
	buf_reserve(&c->body, 512 + 320 * (size_t)(q.limit > 0 ? q.limit : 0));
	jsonw_init(&w, &c->body);
	jsonw_obj_open(&w, NULL);
	jsonw_arr_open(&w, member);
	if ((rc = run(c, &q, &w, arg, &next)) != 0) {
		list_error(c, rc);
		buf_free(&c->body);
	} else {
		jsonw_arr_close(&w);
		if (next != NULL)
			jsonw_str(&w, "NextToken", next);
		jsonw_obj_close(&w);
		c->has_body = 1;
	}
	free(next);
	list_req_clear(&lr);
}

static void
dispatch(struct api_ctx *c, const struct http_request *req)
{
	const char *target = http_req_header(req, "x-amz-target");
	cJSON *json = NULL;
	api_handler_fn fn;

	if (target == NULL) {
		apierr_set(&c->err, APIERR_UNKNOWN_OP, "Missing X-Amz-Target "
		    "header: send SageMaker.<Operation> (AWS JSON 1.1)");
		return;
	}
	if ((c->op = proto_op_by_target(target)) == NULL ||
	    (fn = api_handlers[c->op->id]) == NULL) {
		apierr_set(&c->err, APIERR_UNKNOWN_OP, "Unknown operation %s",
		    target);
		return;
	}
	if (proto_parse(req->body, req->body_len, &json, &c->err) != 0)
		return;
	fn(c, json);
	cJSON_Delete(json);
}

static void
reply_plain(struct http_conn *conn, int status, const char *type,
    const char *msg)
{
	struct apierr e = { .status = status };

	apierr_set(&e, type, "%s", msg);
	reply_error(conn, &e);
}

void
api_http_handler(struct http_conn *conn, const struct http_request *req,
    void *arg)
{
	struct api_ctx c = { .d = arg, .conn = conn };

	/* With --credentials, a TCP request must be SigV4-signed (sigv4.h). */
	if (sigv4_check(req, &c.err) != 0) {
		log_warnx("api: %s refused: %s: %s", req->peer, c.err.type,
		    c.err.message);
		reply_error(conn, &c.err);
		return;
	}
	if (strcmp(req->path, "/") == 0 && strcmp(req->method, "POST") == 0) {
		dispatch(&c, req);
		if (!c.deferred)
			api_finish(&c);
		return;
	}
	if (strncmp(req->path, "/endpoints/", 11) == 0) {
		const char *name = req->path + 11, *end = strchr(name, '/');
		char ep[64];

		if (end != NULL && strcmp(end, "/invocations") == 0 &&
		    end > name && (size_t)(end - name) < sizeof(ep)) {
			memcpy(ep, name, (size_t)(end - name));
			ep[end - name] = '\0';
			serving_invoke(c.d->serving, conn, req, ep);
			return;
		}
	}
	if (strcmp(req->path, "/ping") == 0 && strcmp(req->method, "GET") == 0) {
		http_respond(conn, 200, "text/plain", "ok\n", 3, NULL);
		return;
	}
	if (strcmp(req->path, "/") == 0)
		reply_plain(conn, 405, "MethodNotAllowed", "Use POST / with "
		    "X-Amz-Target: SageMaker.<Operation>");
	else
		reply_plain(conn, 404, "NotFound", "No such path; the API is "
		    "POST / (AWS JSON 1.1) and POST /endpoints/<name>/invocations");
}
