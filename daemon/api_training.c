/*
 * api_training.c - the training-job operations: CreateTrainingJob,
 * DescribeTrainingJob, ListTrainingJobs, StopTrainingJob, and tunerd's
 * GetTrainingJobLogs and GetTrainingJobMetrics.
 *
 * Handlers validate through proto/, run one short store call and hand
 * the rest to the scheduler. A create is one INSERT: the job exists
 * entirely or not at all. Answers other than Create's are written with
 * jsonw (daemon/jsonw.h), the same bytes cJSON printed; a Describe of a
 * finished job is kept in the store's answer cache (store.h), which
 * every write of the row drops.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api.h"
#include "buf.h"
#include "daemon.h"
#include "err.h"
#include "event.h"
#include "jsonw.h"
#include "list.h"
#include "log.h"
#include "sched.h"
#include "store.h"
#include "training.h"
#include "util.h"

static double
training_seconds(const struct store_tj *tj)
{
	double end = tj->training_end > 0 ? tj->training_end : td_now();

	if (tj->training_start <= 0)
		return 0;
	return end > tj->training_start ? end - tj->training_start : 0;
}

/*
 * Describe is written with jsonw (no cJSON tree, no printf per number),
 * in the member order the cJSON version had; the stored request and the
 * stored transitions and final metrics (JSON text cJSON or SQLite printed)
 * are copied with jsonw_canon(), which gives the values cJSON's parse and
 * print gave. Text that the fast copy refuses (not one compact JSON
 * value: only a hand-edited database has that) goes through cJSON as
 * before: tests/unit/test_api_training.c compares the two on many rows.
 */
#define REQ_MAX_MEMBERS	64

static const char *const req_keys[] = {
	"HyperParameters", "AlgorithmSpecification", "RoleArn",
	"InputDataConfig", "OutputDataConfig", "ResourceConfig",
	"StoppingCondition", "Environment", "RetryStrategy",
	"VpcConfig", "EnableNetworkIsolation",
	"EnableInterContainerTrafficEncryption",
	"EnableManagedSpotTraining", "CheckpointConfig",
	"DebugHookConfig", "ExperimentConfig", "ProfilerConfig",
	"RemoteDebugConfig", "InfraCheckConfig",
};
#define REQ_KEYS (sizeof(req_keys) / sizeof(req_keys[0]))

/* The defaults of members a request may leave out. */
static void
request_defaults(struct jsonw *w, const int have[3])
{
	if (!have[0]) {
		jsonw_obj_open(w, "HyperParameters");
		jsonw_obj_close(w);
	}
	if (!have[1]) {
		jsonw_obj_open(w, "ResourceConfig");
		jsonw_str(w, "InstanceType", "local");
		jsonw_int(w, "InstanceCount", 1);
		jsonw_int(w, "VolumeSizeInGB", 0);
		jsonw_obj_close(w);
	}
	if (!have[2]) {
		jsonw_obj_open(w, "StoppingCondition");
		jsonw_int(w, "MaxRuntimeInSeconds", 86400);
		jsonw_obj_close(w);
	}
}

/* Notes key i in have[]: HyperParameters, ResourceConfig, StoppingCondition. */
static void
request_have(int have[3], size_t i)
{
	have[0] |= i == 0;
	have[1] |= i == 5;
	have[2] |= i == 6;
}

/* The request members through cJSON (the slow path, as before). */
static void
request_members_cjson(struct jsonw *w, const char *request)
{
	cJSON *req = cJSON_Parse(request);
	int have[3] = { 0, 0, 0 };
	size_t i;

	if (req == NULL)
		return;
	for (i = 0; i < REQ_KEYS; i++) {
		const cJSON *v = cJSON_GetObjectItem(req, req_keys[i]);
		char *txt;

		if (v == NULL || (txt = cJSON_PrintUnformatted(v)) == NULL)
			continue;
		jsonw_raw(w, req_keys[i], txt, strlen(txt));
		cJSON_free(txt);
		request_have(have, i);
	}
	request_defaults(w, have);
	cJSON_Delete(req);
}

/*
 * Copies members of the stored request into the Describe answer: the
 * first member whose name matches each key, ignoring case (as
 * cJSON_GetObjectItem() did).
 */
static void
request_members(struct jsonw *w, const char *request)
{
	struct jsonw_member m[REQ_MAX_MEMBERS];
	struct jsonw save = *w;
	size_t start = w->b->len, i, klen;
	int n, k, have[3] = { 0, 0, 0 };

	if (request == NULL)
		return;
	if ((n = jsonw_members(request, strlen(request), m,
	    REQ_MAX_MEMBERS)) < 0)
		goto slow;
	for (i = 0; i < REQ_KEYS; i++) {
		klen = strlen(req_keys[i]);
		for (k = 0; k < n; k++)
			if (m[k].key_len == klen &&
			    strncasecmp(m[k].key, req_keys[i], klen) == 0)
				break;
		if (k == n)
			continue;
		if (jsonw_canon(w, req_keys[i], m[k].val, m[k].val_len) != 0)
			goto slow;
		request_have(have, i);
	}
	request_defaults(w, have);
	return;
slow:
	*w = save;
	w->b->len = start;
	if (w->b->data != NULL)
		w->b->data[start] = '\0';
	request_members_cjson(w, request);
}

/* A stored JSON column as a member; absent when NULL or not JSON. */
static int
stored_json(struct jsonw *w, const char *key, const char *json)
{
	cJSON *v;
	char *txt;

	if (json == NULL)
		return 0;
	if (jsonw_canon(w, key, json, strlen(json)) == 0)
		return 1;
	if ((v = cJSON_Parse(json)) == NULL)
		return 0;
	if ((txt = cJSON_PrintUnformatted(v)) != NULL)
		jsonw_raw(w, key, txt, strlen(txt));
	cJSON_free(txt);
	cJSON_Delete(v);
	return txt != NULL;
}

static void
put_time(struct jsonw *w, const char *k, double t)
{
	if (t > 0)
		jsonw_num(w, k, t);
}

static void
put_str(struct jsonw *w, const char *k, const char *s)
{
	if (s != NULL)
		jsonw_str(w, k, s);
}

/*
 * The ARN of a training job, written as a string member: api_arn()'s
 * text, built on the stack (a List writes one per row).
 */
static void
put_arn(struct jsonw *w, const char *k, const char *name)
{
	static const char pre[] = "arn:aws:sagemaker:local:000000000000:"
	    "training-job/";
	char arn[sizeof(pre) + 128], *arnp;
	size_t n = strlen(name), i;

	if (n >= 128) {
		arnp = api_arn("training-job", name);
		jsonw_str(w, k, arnp);
		free(arnp);
		return;
	}
	memcpy(arn, pre, sizeof(pre) - 1);
	for (i = 0; i < n; i++)
		arn[sizeof(pre) - 1 + i] = (name[i] >= 'A' && name[i] <= 'Z') ?
		    (char)(name[i] + 32) : name[i];
	jsonw_strn(w, k, arn, sizeof(pre) - 1 + n);
}

void
api_training_describe_body(const struct store_tj *tj, struct buf *b)
{
	struct jsonw w;
	double secs = training_seconds(tj);

	jsonw_init(&w, b);
	jsonw_obj_open(&w, NULL);
	put_str(&w, "TrainingJobName", tj->name);
	put_arn(&w, "TrainingJobArn", tj->name);
	put_str(&w, "TrainingJobStatus", tj->status);
	put_str(&w, "SecondaryStatus", tj->secondary);
	put_str(&w, "FailureReason", tj->failure_reason);
	if (tj->model_artifact != NULL) {
		jsonw_obj_open(&w, "ModelArtifacts");
		jsonw_str(&w, "S3ModelArtifacts", tj->model_artifact);
		jsonw_obj_close(&w);
	}
	request_members(&w, tj->request);
	put_time(&w, "CreationTime", tj->creation_time);
	put_time(&w, "TrainingStartTime", tj->training_start);
	put_time(&w, "TrainingEndTime", tj->training_end);
	put_time(&w, "LastModifiedTime", tj->last_modified);
	stored_json(&w, "SecondaryStatusTransitions", tj->transitions);
	if (!stored_json(&w, "FinalMetricDataList", tj->final_metrics)) {
		jsonw_arr_open(&w, "FinalMetricDataList");
		jsonw_arr_close(&w);
	}
	jsonw_num(&w, "TrainingTimeInSeconds", floor(secs));
	jsonw_num(&w, "BillableTimeInSeconds", floor(secs));
	jsonw_obj_close(&w);
}

/*
 * A body may be cached when it does not depend on the clock and the job
 * is done: a terminal job whose training time is fixed.
 */
static int
describe_cacheable(const struct store_tj *tj)
{
	if (tj->training_start > 0 && tj->training_end <= 0)
		return 0;
	return tj->status != NULL && (strcmp(tj->status, "Completed") == 0 ||
	    strcmp(tj->status, "Failed") == 0 ||
	    strcmp(tj->status, "Stopped") == 0);
}

void
api_create_training_job(struct api_ctx *c, const cJSON *req)
{
	struct td_training_spec *spec = NULL;
	char *json, *arn;
	int rc;

	if (training_spec_decode(req, &spec, &c->err) != 0)
		return;
	if ((json = cJSON_PrintUnformatted(req)) == NULL)
		fatalx("api: out of memory");
	rc = store_tj_insert(c->d->store, spec->name, json, td_now(), 0, NULL);
	free(json);
	if (rc != 0) {
		api_store_error(c, rc, "training job", spec->name);
		training_spec_free(spec);
		return;
	}
	c->out = cJSON_CreateObject();
	arn = api_arn("training-job", spec->name);
	cJSON_AddStringToObject(c->out, "TrainingJobArn", arn);
	free(arn);
	training_spec_free(spec);
	sched_kick(c->d->sched);
}

void
api_describe_training_job(struct api_ctx *c, const cJSON *req)
{
	struct store_tj tj;
	const char *body;
	char *name = NULL;
	size_t len;
	int rc;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	buf_reset(&c->body);
	if (store_tj_cache_get(c->d->store, name, &body, &len) == 0) {
		buf_append(&c->body, body, len);
		c->has_body = 1;
		free(name);
		return;
	}
	if ((rc = store_tj_get(c->d->store, name, &tj)) != 0) {
		api_store_error(c, rc, "training job", name);
		free(name);
		return;
	}
	buf_reserve(&c->body, 4096);
	api_training_describe_body(&tj, &c->body);
	c->has_body = 1;
	if (describe_cacheable(&tj))
		store_tj_cache_put(c->d->store, tj.id, tj.name, c->body.data,
		    c->body.len);
	store_tj_clear(&tj);
	free(name);
}

/* One TrainingJobSummary. */
static int
list_row(const struct store_tj_sum *r, void *arg)
{
	struct jsonw *w = arg;

	jsonw_obj_open(w, NULL);
	put_str(w, "TrainingJobName", r->name);
	put_arn(w, "TrainingJobArn", r->name != NULL ? r->name : "");
	put_time(w, "CreationTime", r->creation_time);
	put_time(w, "TrainingEndTime", r->training_end);
	put_time(w, "LastModifiedTime", r->last_modified);
	put_str(w, "TrainingJobStatus", r->status);
	put_str(w, "SecondaryStatus", r->secondary);
	jsonw_obj_close(w);
	return 0;
}

static int
list_run(struct api_ctx *c, const struct store_list_q *q, struct jsonw *w,
    void *arg, char **next)
{
	return store_tj_list_sum(c->d->store, q, list_row, w, next);
}

void
api_list_training_jobs(struct api_ctx *c, const cJSON *req)
{
	api_list_page_w(c, req, "TrainingJobSummaries", list_run, NULL);
}

void
api_stop_training_job(struct api_ctx *c, const cJSON *req)
{
	char *name = NULL;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	sched_stop_job(c->d->sched, name, &c->err);
	free(name);
}

static int
is_terminal(const char *status)
{
	return strcmp(status, "Completed") == 0 ||
	    strcmp(status, "Failed") == 0 || strcmp(status, "Stopped") == 0;
}

/* Backs len off so data[0..len) does not end inside a UTF-8 sequence. */
static size_t
utf8_cut(const char *data, size_t len)
{
	size_t i, back;

	for (back = 0; back < 4 && back < len; back++) {
		unsigned char ch = (unsigned char)data[len - 1 - back];

		if ((ch & 0xc0) != 0x80) {
			size_t need = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 :
			    ch >= 0xc0 ? 2 : 1;

			i = len - 1 - back;
			return (len - i < need) ? i : len;
		}
	}
	return len;
}

/* Reads up to max bytes of path from off; *data owned by the caller. */
static int
read_range(const char *path, long off, long max, char **data, size_t *n,
    long *size)
{
	struct stat st;
	ssize_t r;
	int fd;

	*data = NULL;
	*n = 0;
	*size = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -errno;
	}
	*size = (long)st.st_size;
	if (off >= *size) {
		close(fd);
		return 0;
	}
	if (max > *size - off)
		max = *size - off;
	if ((*data = malloc((size_t)max + 1)) == NULL) {
		close(fd);
		return TD_ENOMEM;
	}
	r = pread(fd, *data, (size_t)max, off);
	close(fd);
	if (r < 0) {
		free(*data);
		*data = NULL;
		return -errno;
	}
	*n = (size_t)r;
	return 0;
}

void
api_get_training_job_logs(struct api_ctx *c, const cJSON *req)
{
	const cJSON *v;
	struct store_tj tj;
	char *name = NULL, *data = NULL, path[PATH_MAX];
	long off = 0, max = 1 << 20, size = 0;
	size_t n = 0;
	struct buf b = { 0 };
	int rc;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	if (cJSON_IsNumber(v = cJSON_GetObjectItem(req, "StartOffset")))
		off = (long)v->valuedouble;
	if (cJSON_IsNumber(v = cJSON_GetObjectItem(req, "MaxBytes")))
		max = (long)v->valuedouble;
	if ((rc = store_tj_get(c->d->store, name, &tj)) != 0) {
		api_store_error(c, rc, "training job", name);
		free(name);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", c->d->jobs_dir, name, EV_LOG);
	if ((rc = read_range(path, off, max, &data, &n, &size)) != 0) {
		api_store_error(c, rc, "training job log", name);
	} else {
		/* Never split a UTF-8 character across two answers. */
		if ((long)n == max)
			n = utf8_cut(data, n);
		struct jsonw w;

		buf_json_str(&b, data ? data : "", n);
		jsonw_init(&w, &c->body);
		jsonw_obj_open(&w, NULL);
		jsonw_raw(&w, "Data", b.data, b.len);
		jsonw_num(&w, "NextOffset", (double)off + (double)n);
		jsonw_bool(&w, "Finished", is_terminal(tj.status) &&
		    off + (long)n >= size);
		jsonw_obj_close(&w);
		c->has_body = 1;
	}
	buf_free(&b);
	free(data);
	store_tj_clear(&tj);
	free(name);
}

/* GetTrainingJobMetrics' series, written as the rows come (name order). */
struct series {
	struct jsonw	*w;
	int		 open;
	char		 name[256];
};

static int
metric_row(const char *name, double t, double v, void *arg)
{
	struct series *s = arg;

	if (!s->open || strcmp(s->name, name) != 0) {
		if (s->open) {
			jsonw_arr_close(s->w);
			jsonw_obj_close(s->w);
		}
		jsonw_obj_open(s->w, NULL);
		jsonw_str(s->w, "MetricName", name);
		jsonw_arr_open(s->w, "Values");
		s->open = 1;
		snprintf(s->name, sizeof(s->name), "%s", name);
	}
	jsonw_obj_open(s->w, NULL);
	jsonw_num(s->w, "Timestamp", t);
	jsonw_num(s->w, "Value", v);
	jsonw_obj_close(s->w);
	return 0;
}

void
api_get_training_job_metrics(struct api_ctx *c, const cJSON *req)
{
	struct store_tj tj;
	struct series s = { 0 };
	struct jsonw w;
	char *name = NULL;
	int rc;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	if ((rc = store_tj_get(c->d->store, name, &tj)) != 0) {
		api_store_error(c, rc, "training job", name);
		free(name);
		return;
	}
	jsonw_init(&w, &c->body);
	jsonw_obj_open(&w, NULL);
	jsonw_str(&w, "TrainingJobName", name);
	jsonw_arr_open(&w, "Metrics");
	s.w = &w;
	store_metrics_get(c->d->store, tj.id, metric_row, &s);
	if (s.open) {
		jsonw_arr_close(&w);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	c->has_body = 1;
	store_tj_clear(&tj);
	free(name);
}
