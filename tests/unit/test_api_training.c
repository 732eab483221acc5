/*
 * test_api_training.c - DescribeTrainingJob's jsonw body against the
 * cJSON body it replaced (kept here as ref_describe(), the code of
 * daemon/api_training.c before the writer), on rows written through the
 * real store: byte-identical for valid UTF-8, and U+FFFD where cJSON
 * passed invalid bytes. Also the answer cache's invalidation and bounds.
 */
#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "daemon/api.h"
#include "daemon/store.h"
#include "t.h"
#include "util.h"

/* ---- what api_training.c links but these tests never call ---------- */

void
api_store_error(struct api_ctx *c, int rc, const char *kind, const char *name)
{
	abort();
}

void
api_list_page_w(struct api_ctx *c, const cJSON *req, const char *member,
    api_list_run_w run, void *arg)
{
	abort();
}

struct sched;
void sched_kick(struct sched *s);
void sched_stop_job(struct sched *s, const char *name, struct apierr *err);

void
sched_kick(struct sched *s)
{
	abort();
}

void
sched_stop_job(struct sched *s, const char *name, struct apierr *err)
{
	abort();
}

/* ---- the reference: the cJSON Describe of the previous version -------- */

static void
ref_add_time(cJSON *o, const char *k, double t)
{
	if (t > 0)
		cJSON_AddNumberToObject(o, k, t);
}

static void
ref_add_raw_json(cJSON *o, const char *k, const char *json)
{
	cJSON *v;

	if (json != NULL && (v = cJSON_Parse(json)) != NULL)
		cJSON_AddItemToObject(o, k, v);
}

static void
ref_copy_request_members(cJSON *out, const cJSON *req)
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

/* Only rows whose training time does not depend on the clock. */
static char *
ref_describe(const struct store_tj *tj)
{
	cJSON *out = cJSON_CreateObject(), *req;
	char *arn = api_arn("training-job", tj->name), *s;
	double secs = 0;

	if (tj->training_start > 0 && tj->training_end > tj->training_start)
		secs = tj->training_end - tj->training_start;
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
		ref_copy_request_members(out, req);
		cJSON_Delete(req);
	}
	ref_add_time(out, "CreationTime", tj->creation_time);
	ref_add_time(out, "TrainingStartTime", tj->training_start);
	ref_add_time(out, "TrainingEndTime", tj->training_end);
	ref_add_time(out, "LastModifiedTime", tj->last_modified);
	ref_add_raw_json(out, "SecondaryStatusTransitions", tj->transitions);
	ref_add_raw_json(out, "FinalMetricDataList", tj->final_metrics);
	if (cJSON_GetObjectItem(out, "FinalMetricDataList") == NULL)
		cJSON_AddArrayToObject(out, "FinalMetricDataList");
	cJSON_AddNumberToObject(out, "TrainingTimeInSeconds", floor(secs));
	cJSON_AddNumberToObject(out, "BillableTimeInSeconds", floor(secs));
	s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	return s;
}

/* ---- rows ------------------------------------------------------------ */

static char dir[] = "/tmp/test_api_training.XXXXXX";

static struct store *
open_store(void)
{
	char db[64], err[256];
	struct store *st = NULL;

	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(db, sizeof(db), "%s/t.db", dir);
	if (store_open(db, &st, err, sizeof(err)) != 0)
		T_FAIL("store_open: %s", err);
	return st;
}

static void
close_store(struct store *st)
{
	store_close(st);
	T_EQ_INT(td_rm_rf(dir), 0);
}

/* The request as the handler stores it: cJSON's compact print of text. */
static char *
stored_request(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	char *s;

	T_ASSERT(j != NULL);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

static const char *const requests[] = {
	"{\"TrainingJobName\":\"@\",\"AlgorithmSpecification\":{"
	    "\"TrainingImage\":\"/bin/sh\",\"TrainingInputMode\":\"File\","
	    "\"MetricDefinitions\":[{\"Name\":\"val_loss\",\"Regex\":"
	    "\"val_loss: ([0-9\\\\.]+)\"}]},\"RoleArn\":\"arn:aws:iam::0:role/x\","
	    "\"HyperParameters\":{\"lr\":\"0.1\",\"caf\\u00e9\":\"\\u20ac \\ud83d\\ude00\","
	    "\"ctl\":\"a\\u0001b\\tc\\n\\\"q\\\"\\\\\"},"
	    "\"ResourceConfig\":{\"InstanceType\":\"ml.c5.xlarge\",\"InstanceCount\":1,"
	    "\"VolumeSizeInGB\":30},\"StoppingCondition\":{\"MaxRuntimeInSeconds\":3600},"
	    "\"Environment\":{\"A\":\"1\"},\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}],"
	    "\"EnableManagedSpotTraining\":false,\"RetryStrategy\":{\"MaximumRetryAttempts\":2}}",
	"{\"TrainingJobName\":\"@\",\"AlgorithmSpecification\":{\"TrainingImage\":\"x\","
	    "\"TrainingInputMode\":\"File\"},\"OutputDataConfig\":{\"S3OutputPath\":\"/tmp/o\"},"
	    "\"InputDataConfig\":[{\"ChannelName\":\"train\",\"DataSource\":{\"S3DataSource\":"
	    "{\"S3Uri\":\"file:///d\",\"S3DataType\":\"S3Prefix\"}}}],"
	    "\"StoppingCondition\":{\"MaxRuntimeInSeconds\":1.5e5},"
	    "\"VpcConfig\":null,\"CheckpointConfig\":{\"S3Uri\":\"file:///c\"},"
	    "\"ResourceConfig\":{\"VolumeSizeInGB\":0.30000000000000004,\"InstanceCount\":-0}}",
	"{\"TrainingJobName\":\"@\"}",
	"{}",
};

static const char *const transitions[] = {
	NULL,
	"[]",
	/* What the insert used to store (SQLite's json_array/json_object). */
	"[{\"Status\":\"Pending\",\"StartTime\":1764172800.0,\"StatusMessage\":"
	    "\"Waiting for a free slot\"}]",
	"[{\"Status\":\"Starting\",\"StartTime\":1764172800.1234567,\"EndTime\":"
	    "1764172801.5,\"StatusMessage\":\"Starting the training job\"},"
	    "{\"Status\":\"Failed\",\"StartTime\":1764172801.5,\"EndTime\":"
	    "1764172802.987654321,\"StatusMessage\":\"caf\xc3\xa9 \\u0007 bell\"}]",
	/* Not what we store: the fast copy must still give cJSON's answer. */
	" [ { \"Status\" : \"Pending\" , \"StartTime\" : 1.7e9 } ] ",
	"[1] trailing",
	"not json",
};

static const char *const metrics[] = {
	NULL,
	"[]",
	"[{\"MetricName\":\"val_loss\",\"Value\":0.1,\"Timestamp\":1764172801.25},"
	    "{\"MetricName\":\"loss\",\"Value\":1e-7,\"Timestamp\":1764172801.2500001},"
	    "{\"MetricName\":\"big\",\"Value\":1.7976931348623157e308,\"Timestamp\":0}]",
	"{\"odd\":true}",
};

static const char *const reasons[] = {
	NULL, "AlgorithmError: exit 1", "line\nbreak \"quoted\" \\ back\\slash",
	"ctl \x01\x02\x1f del \x7f tab\t", "unicode caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
};

/* One row per combination; every row's Describe compared with ref. */
static void
t_describe_like_cjson(void)
{
	struct store *st = open_store();
	size_t r, t, m, f, n = 0;
	char name[64];

	for (r = 0; r < sizeof(requests) / sizeof(requests[0]); r++)
	for (t = 0; t < sizeof(transitions) / sizeof(transitions[0]); t++)
	for (m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++)
	for (f = 0; f < sizeof(reasons) / sizeof(reasons[0]); f++) {
		struct store_tj tj;
		struct buf b = { 0 };
		char *req = stored_request(requests[r]), *want;
		int64_t id;

		snprintf(name, sizeof(name), "Job-%zu", n++);
		T_EQ_INT(store_tj_insert(st, name, req, 1764172800.0 + n / 7.0,
		    0, &id), 0);
		free(req);
		T_EQ_INT(store_tj_get(st, name, &tj), 0);
		free(tj.transitions);
		tj.transitions = transitions[t] ? strdup(transitions[t]) : NULL;
		free(tj.final_metrics);
		tj.final_metrics = metrics[m] ? strdup(metrics[m]) : NULL;
		tj.failure_reason = reasons[f] ? strdup(reasons[f]) : NULL;
		if (f % 2 == 0) {
			free(tj.status);
			tj.status = strdup("Completed");
			tj.training_start = 1764172800.5 + (double)n / 3;
			tj.training_end = tj.training_start + 12.345678;
			tj.model_artifact = strdup("file:///m/model.tar.gz");
		}
		tj.last_modified = 1764172800.0 + (double)n * 1.1;
		/* Through the store and back: what the daemon renders. */
		T_EQ_INT(store_tj_update(st, &tj), 0);
		store_tj_clear(&tj);
		T_EQ_INT(store_tj_get(st, name, &tj), 0);
		api_training_describe_body(&tj, &b);
		want = ref_describe(&tj);
		if (strcmp(b.data, want) != 0)
			T_FAIL("row r%zu t%zu m%zu f%zu:\n  new %s\n  old %s",
			    r, t, m, f, b.data, want);
		cJSON_free(want);
		buf_free(&b);
		store_tj_clear(&tj);
	}
	T_ASSERT(n > 500);
	close_store(st);
}

/* Invalid UTF-8: cJSON passed the bytes (no UTF-8 decoder takes that);
 * now each bad byte is U+FFFD and the rest is as before. */
static void
t_describe_invalid_utf8(void)
{
	struct store *st = open_store();
	struct store_tj tj;
	struct buf b = { 0 };
	cJSON *got, *fr;
	char *want;

	T_EQ_INT(store_tj_insert(st, "bad", "{}", 1764172800.0, 0, NULL), 0);
	T_EQ_INT(store_tj_get(st, "bad", &tj), 0);
	tj.failure_reason = strdup("x\xff y\xc3 z\xed\xa0\x80!");
	T_EQ_INT(store_tj_update(st, &tj), 0);
	store_tj_clear(&tj);
	T_EQ_INT(store_tj_get(st, "bad", &tj), 0);
	api_training_describe_body(&tj, &b);
	T_ASSERT(strstr(b.data, "\"x\\ufffd y\\ufffd z\\ufffd\\ufffd\\ufffd!\"")
	    != NULL);
	T_ASSERT((got = cJSON_Parse(b.data)) != NULL);
	fr = cJSON_GetObjectItem(got, "FailureReason");
	T_EQ_STR(fr->valuestring, "x\xef\xbf\xbd y\xef\xbf\xbd z\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd!");
	/* Everything else exactly as before. */
	cJSON_DeleteItemFromObject(got, "FailureReason");
	free(tj.failure_reason);
	tj.failure_reason = NULL;
	want = ref_describe(&tj);
	{
		char *g = cJSON_PrintUnformatted(got);

		T_EQ_STR(g, want);
		cJSON_free(g);
	}
	cJSON_free(want);
	cJSON_Delete(got);
	buf_free(&b);
	store_tj_clear(&tj);
	close_store(st);
}

/* ---- the answer cache ------------------------------------------------ */

static void
t_cache_invalidation(void)
{
	struct store *st = open_store();
	struct store_tj tj;
	const char *body;
	size_t len;
	int64_t id, id2;

	T_EQ_INT(store_tj_cache_get(st, "a", &body, &len), TD_ENOTFOUND);
	T_EQ_INT(store_tj_insert(st, "a", "{}", 1.0, 0, &id), 0);
	T_EQ_INT(store_tj_insert(st, "b", "{}", 1.0, 0, &id2), 0);
	store_tj_cache_put(st, id, "a", "{\"x\":1}", 7);
	store_tj_cache_put(st, id2, "b", "{\"y\":2}", 7);
	T_EQ_INT(store_tj_cache_get(st, "a", &body, &len), 0);
	T_ASSERT(len == 7 && memcmp(body, "{\"x\":1}", 7) == 0);
	/* A write of the row drops its entry, and only its entry. */
	T_EQ_INT(store_tj_get(st, "a", &tj), 0);
	T_EQ_INT(store_tj_update(st, &tj), 0);
	store_tj_clear(&tj);
	T_EQ_INT(store_tj_cache_get(st, "a", &body, &len), TD_ENOTFOUND);
	T_EQ_INT(store_tj_cache_get(st, "b", &body, &len), 0);
	/* A failed write drops it too (it may have half happened). */
	T_EQ_INT(store_tj_get(st, "b", &tj), 0);
	free(tj.status);
	tj.status = NULL;	/* NOT NULL column: the update fails */
	T_ASSERT(store_tj_update(st, &tj) != 0);
	store_tj_clear(&tj);
	T_EQ_INT(store_tj_cache_get(st, "b", &body, &len), TD_ENOTFOUND);
	/* No put inside a transaction (a rollback would leave it stale). */
	T_EQ_INT(store_begin(st), 0);
	store_tj_cache_put(st, id, "a", "{}", 2);
	store_rollback(st);
	T_EQ_INT(store_tj_cache_get(st, "a", &body, &len), TD_ENOTFOUND);
	/* Bounds: a body past STORE_TJC_MAX_BODY is not kept. */
	{
		size_t big = STORE_TJC_MAX_BODY + 1;
		char *p = malloc(big);

		memset(p, ' ', big);
		store_tj_cache_put(st, id, "a", p, big);
		free(p);
	}
	T_EQ_INT(store_tj_cache_get(st, "a", &body, &len), TD_ENOTFOUND);
	/* A name never put, or a bad id, is a miss. */
	store_tj_cache_put(st, 0, "a", "{}", 2);
	T_EQ_INT(store_tj_cache_get(st, "a", &body, &len), TD_ENOTFOUND);
	T_EQ_INT(store_tj_cache_get(st, "zzz", &body, &len), TD_ENOTFOUND);
	store_tj_cache_put(st, id, "a", "{}", 2);
	store_tj_cache_clear(st);
	T_EQ_INT(store_tj_cache_get(st, "a", &body, &len), TD_ENOTFOUND);
	close_store(st);
}

/* Many names: colliding slots replace, memory stays bounded, no mix-ups. */
static void
t_cache_many(void)
{
	struct store *st = open_store();
	char name[32], body[64];
	const char *got;
	size_t len, i, hits = 0;

	for (i = 1; i <= 3 * STORE_TJC_SLOTS; i++) {
		snprintf(name, sizeof(name), "job-%zu", i);
		snprintf(body, sizeof(body), "{\"n\":%zu}", i);
		store_tj_cache_put(st, (int64_t)i, name, body, strlen(body));
	}
	for (i = 1; i <= 3 * STORE_TJC_SLOTS; i++) {
		snprintf(name, sizeof(name), "job-%zu", i);
		snprintf(body, sizeof(body), "{\"n\":%zu}", i);
		if (store_tj_cache_get(st, name, &got, &len) == 0) {
			T_ASSERT(len == strlen(body) && memcmp(got, body, len) == 0);
			hits++;
		}
	}
	T_ASSERT(hits > 0 && hits <= STORE_TJC_SLOTS);
	close_store(st);	/* ASan: every entry freed */
}

T_MAIN(
	T_CASE(t_describe_like_cjson),
	T_CASE(t_describe_invalid_utf8),
	T_CASE(t_cache_invalidation),
	T_CASE(t_cache_many),
)
