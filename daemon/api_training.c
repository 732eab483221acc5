/*
 * api_training.c - the training-job operations: CreateTrainingJob,
 * DescribeTrainingJob, ListTrainingJobs, StopTrainingJob, and tunerd's
 * GetTrainingJobLogs and GetTrainingJobMetrics.
 *
 * Handlers validate through proto/, run one short store call and hand
 * the rest to the scheduler. A create is one INSERT: the job exists
 * entirely or not at all.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "buf.h"
#include "daemon.h"
#include "err.h"
#include "event.h"
#include "list.h"
#include "log.h"
#include "sched.h"
#include "store.h"
#include "training.h"
#include "util.h"

static void
add_time(cJSON *o, const char *k, double t)
{
	if (t > 0)
		cJSON_AddNumberToObject(o, k, t);
}

static void
add_raw_json(cJSON *o, const char *k, const char *json)
{
	cJSON *v;

	if (json != NULL && (v = cJSON_Parse(json)) != NULL)
		cJSON_AddItemToObject(o, k, v);
}

/* Copies members of the stored request into the Describe answer. */
static void
copy_request_members(cJSON *out, const cJSON *req)
{
	static const char *const keys[] = {
		"HyperParameters", "AlgorithmSpecification", "RoleArn",
		"InputDataConfig", "OutputDataConfig", "ResourceConfig",
		"StoppingCondition", "Environment", "RetryStrategy",
		"VpcConfig", "EnableNetworkIsolation",
		"EnableInterContainerTrafficEncryption",
		"EnableManagedSpotTraining", "CheckpointConfig",
		"DebugHookConfig", "ExperimentConfig", "ProfilerConfig",
		"RemoteDebugConfig", "InfraCheckConfig",
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *v = cJSON_GetObjectItem(req, keys[i]);

		if (v != NULL)
			cJSON_AddItemToObject(out, keys[i],
			    cJSON_Duplicate(v, 1));
	}
	if (cJSON_GetObjectItem(out, "HyperParameters") == NULL)
		cJSON_AddObjectToObject(out, "HyperParameters");
	if (cJSON_GetObjectItem(out, "ResourceConfig") == NULL) {
		cJSON *rc = cJSON_AddObjectToObject(out, "ResourceConfig");

		cJSON_AddStringToObject(rc, "InstanceType", "local");
		cJSON_AddNumberToObject(rc, "InstanceCount", 1);
		cJSON_AddNumberToObject(rc, "VolumeSizeInGB", 0);
	}
	if (cJSON_GetObjectItem(out, "StoppingCondition") == NULL) {
		cJSON *sc = cJSON_AddObjectToObject(out, "StoppingCondition");

		cJSON_AddNumberToObject(sc, "MaxRuntimeInSeconds", 86400);
	}
}

static double
training_seconds(const struct store_tj *tj)
{
	double end = tj->training_end > 0 ? tj->training_end : td_now();

	if (tj->training_start <= 0)
		return 0;
	return end > tj->training_start ? end - tj->training_start : 0;
}

/* The DescribeTrainingJob answer for a row; the caller owns it. */
static cJSON *
api_training_job_json(const struct store_tj *tj)
{
	cJSON *out = cJSON_CreateObject(), *req;
	char *arn = api_arn("training-job", tj->name);
	double secs = training_seconds(tj);

	cJSON_AddStringToObject(out, "TrainingJobName", tj->name);
	cJSON_AddStringToObject(out, "TrainingJobArn", arn);
	free(arn);
	cJSON_AddStringToObject(out, "TrainingJobStatus", tj->status);
	cJSON_AddStringToObject(out, "SecondaryStatus", tj->secondary);
	if (tj->failure_reason != NULL)
		cJSON_AddStringToObject(out, "FailureReason", tj->failure_reason);
	if (tj->model_artifact != NULL) {
		cJSON *ma = cJSON_AddObjectToObject(out, "ModelArtifacts");

		cJSON_AddStringToObject(ma, "S3ModelArtifacts",
		    tj->model_artifact);
	}
	if ((req = cJSON_Parse(tj->request)) != NULL) {
		copy_request_members(out, req);
		cJSON_Delete(req);
	}
	add_time(out, "CreationTime", tj->creation_time);
	add_time(out, "TrainingStartTime", tj->training_start);
	add_time(out, "TrainingEndTime", tj->training_end);
	add_time(out, "LastModifiedTime", tj->last_modified);
	add_raw_json(out, "SecondaryStatusTransitions", tj->transitions);
	add_raw_json(out, "FinalMetricDataList", tj->final_metrics);
	if (cJSON_GetObjectItem(out, "FinalMetricDataList") == NULL)
		cJSON_AddArrayToObject(out, "FinalMetricDataList");
	cJSON_AddNumberToObject(out, "TrainingTimeInSeconds", floor(secs));
	cJSON_AddNumberToObject(out, "BillableTimeInSeconds", floor(secs));
	return out;
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
	char *name = NULL;
	int rc;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	if ((rc = store_tj_get(c->d->store, name, &tj)) != 0) {
		api_store_error(c, rc, "training job", name);
		free(name);
		return;
	}
	c->out = api_training_job_json(&tj);
	store_tj_clear(&tj);
	free(name);
}

static int
list_row(struct store_tj *tj, void *arg)
{
	cJSON *arr = arg, *o = cJSON_CreateObject();
	char *arn = api_arn("training-job", tj->name);

	cJSON_AddStringToObject(o, "TrainingJobName", tj->name);
	cJSON_AddStringToObject(o, "TrainingJobArn", arn);
	free(arn);
	add_time(o, "CreationTime", tj->creation_time);
	add_time(o, "TrainingEndTime", tj->training_end);
	add_time(o, "LastModifiedTime", tj->last_modified);
	cJSON_AddStringToObject(o, "TrainingJobStatus", tj->status);
	cJSON_AddStringToObject(o, "SecondaryStatus", tj->secondary);
	cJSON_AddItemToArray(arr, o);
	store_tj_clear(tj);
	return 0;
}

static int
list_run(struct api_ctx *c, const struct store_list_q *q, cJSON *arr,
    void *arg, char **next)
{
	return store_tj_list(c->d->store, q, list_row, arr, next);
}

void
api_list_training_jobs(struct api_ctx *c, const cJSON *req)
{
	api_list_page(c, req, "TrainingJobSummaries", list_run, NULL);
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
		c->out = cJSON_CreateObject();
		buf_json_str(&b, data ? data : "", n);
		cJSON_AddItemToObject(c->out, "Data", cJSON_CreateRaw(b.data));
		cJSON_AddNumberToObject(c->out, "NextOffset", (double)off +
		    (double)n);
		cJSON_AddBoolToObject(c->out, "Finished",
		    is_terminal(tj.status) && off + (long)n >= size);
	}
	buf_free(&b);
	free(data);
	store_tj_clear(&tj);
	free(name);
}

struct series {
	cJSON	*metrics;
	cJSON	*cur;
	char	 name[256];
};

static int
metric_row(const char *name, double t, double v, void *arg)
{
	struct series *s = arg;
	cJSON *o;

	if (s->cur == NULL || strcmp(s->name, name) != 0) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "MetricName", name);
		s->cur = cJSON_AddArrayToObject(o, "Values");
		cJSON_AddItemToArray(s->metrics, o);
		snprintf(s->name, sizeof(s->name), "%s", name);
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "Timestamp", t);
	cJSON_AddNumberToObject(o, "Value", v);
	cJSON_AddItemToArray(s->cur, o);
	return 0;
}

void
api_get_training_job_metrics(struct api_ctx *c, const cJSON *req)
{
	struct store_tj tj;
	struct series s = { 0 };
	char *name = NULL;
	int rc;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	if ((rc = store_tj_get(c->d->store, name, &tj)) != 0) {
		api_store_error(c, rc, "training job", name);
		free(name);
		return;
	}
	c->out = cJSON_CreateObject();
	cJSON_AddStringToObject(c->out, "TrainingJobName", name);
	s.metrics = cJSON_AddArrayToObject(c->out, "Metrics");
	store_metrics_get(c->d->store, tj.id, metric_row, &s);
	store_tj_clear(&tj);
	free(name);
}
