/*
 * api.h - the API layer: routes HTTP requests to operation handlers and
 * shapes every answer (JSON 1.1 success bodies, SageMaker-style errors).
 *
 * A handler gets a validated request (through proto/) and a context; it
 * either fills c->out (a cJSON object the context owns), or writes the
 * answer's JSON text into c->body with daemon/jsonw.h and sets
 * c->has_body (faster: no tree, no printf per number), or an error in
 * c->err and returns, or calls api_defer() and finishes later with
 * api_finish() (e.g. after a search ran on the threadpool).
 */
#ifndef TD_API_H
#define TD_API_H

#include <cjson/cJSON.h>

#include "apierr.h"
#include "buf.h"
#include "proto.h"

struct daemon;
struct http_conn;
struct http_request;

struct api_ctx {
	struct daemon		*d;
	struct http_conn	*conn;
	const struct proto_op	*op;
	cJSON			*out;		/* response body, owned */
	struct buf		 body;		/* or its text, if has_body */
	int			 has_body;
	struct apierr		 err;
	int			 deferred;
};

typedef void (*api_handler_fn)(struct api_ctx *c, const cJSON *req);

/* The HTTP handler given to http_server_new(); arg is the daemon. */
void api_http_handler(struct http_conn *conn, const struct http_request *req,
    void *arg);

/* Keeps c alive after the handler returns; answer later with api_finish(). */
struct api_ctx *api_defer(struct api_ctx *c);
/* Sends c->err, else c->body (has_body) or c->out; frees a deferred c. */
void api_finish(struct api_ctx *c);

/* Fills c->err from a store/other code for the resource kind and name. */
void api_store_error(struct api_ctx *c, int rc, const char *kind,
    const char *name);

/* Builds an ARN for a resource kind ("training-job") and name; caller frees. */
char *api_arn(const char *kind, const char *name);

/*
 * Appends the DescribeTrainingJob answer for row tj to b (api_training.c),
 * written with jsonw; the caller owns b.
 */
struct store_tj;
void api_training_describe_body(const struct store_tj *tj, struct buf *b);

/* The handlers, by operation (api_training.c, api_tuning.c, ...). */
void api_create_training_job(struct api_ctx *c, const cJSON *req);
void api_describe_training_job(struct api_ctx *c, const cJSON *req);
void api_list_training_jobs(struct api_ctx *c, const cJSON *req);
void api_stop_training_job(struct api_ctx *c, const cJSON *req);
void api_get_training_job_logs(struct api_ctx *c, const cJSON *req);
void api_get_training_job_metrics(struct api_ctx *c, const cJSON *req);

void api_create_tuning_job(struct api_ctx *c, const cJSON *req);
void api_describe_tuning_job(struct api_ctx *c, const cJSON *req);
void api_list_tuning_jobs(struct api_ctx *c, const cJSON *req);
void api_list_training_jobs_for_tuning_job(struct api_ctx *c, const cJSON *req);
void api_stop_tuning_job(struct api_ctx *c, const cJSON *req);
void api_ask_tuning_job(struct api_ctx *c, const cJSON *req);
void api_tell_tuning_job(struct api_ctx *c, const cJSON *req);

void api_create_model(struct api_ctx *c, const cJSON *req);
void api_describe_model(struct api_ctx *c, const cJSON *req);
void api_list_models(struct api_ctx *c, const cJSON *req);
void api_delete_model(struct api_ctx *c, const cJSON *req);
void api_create_endpoint_config(struct api_ctx *c, const cJSON *req);
void api_describe_endpoint_config(struct api_ctx *c, const cJSON *req);
void api_list_endpoint_configs(struct api_ctx *c, const cJSON *req);
void api_delete_endpoint_config(struct api_ctx *c, const cJSON *req);
void api_create_endpoint(struct api_ctx *c, const cJSON *req);
void api_describe_endpoint(struct api_ctx *c, const cJSON *req);
void api_list_endpoints(struct api_ctx *c, const cJSON *req);
void api_delete_endpoint(struct api_ctx *c, const cJSON *req);
void api_update_endpoint(struct api_ctx *c, const cJSON *req);

/* Shared by the List* handlers: proto's list request to the store's query. */
struct td_list_req;
struct store_list_q;
void api_list_query(const struct td_list_req *lr, struct store_list_q *q);

/*
 * One page of a keyset-paginated List* answer: run() fills arr with the
 * rows of q and sets *next (owned by the caller, NULL on the last page);
 * it returns 0, TD_EINVAL for a NextToken the store did not issue, or
 * another code.
 */
typedef int (*api_list_run)(struct api_ctx *c, const struct store_list_q *q,
    cJSON *arr, void *arg, char **next);
/* Decodes req as c->op's list request, answers {member: [...], NextToken}. */
void api_list_page(struct api_ctx *c, const cJSON *req, const char *member,
    api_list_run run, void *arg);

/*
 * The same page written with jsonw (jsonw.h) into c->body: run() writes
 * each row as an array element of w (jsonw_obj_open(w, NULL) ...); same
 * return codes as api_list_run.
 */
struct jsonw;
typedef int (*api_list_run_w)(struct api_ctx *c, const struct store_list_q *q,
    struct jsonw *w, void *arg, char **next);
void api_list_page_w(struct api_ctx *c, const cJSON *req, const char *member,
    api_list_run_w run, void *arg);

#endif
