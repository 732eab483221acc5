/*
 * test_client_spec.c - client/spec.c: k=v pairs, SDK-style job names,
 * channel URIs, command words, --param ranges and --objective.
 */
#include <cjson/cJSON.h>

#include "cli.h"
#include "err.h"
#include "t.h"

static void
t_split_kv(void)
{
	char *k, *v;

	T_EQ_INT(spec_split_kv("epochs=10", &k, &v), 0);
	T_EQ_STR(k, "epochs");
	T_EQ_STR(v, "10");
	free(k);
	free(v);
	/* Only the first '=' splits: values may hold more. */
	T_EQ_INT(spec_split_kv("expr=a=b", &k, &v), 0);
	T_EQ_STR(k, "expr");
	T_EQ_STR(v, "a=b");
	free(k);
	free(v);
	T_EQ_INT(spec_split_kv("empty=", &k, &v), 0);
	T_EQ_STR(v, "");
	free(k);
	free(v);
	T_EQ_INT(spec_split_kv("=10", &k, &v), TD_EINVAL);
	T_ASSERT(k == NULL && v == NULL);
	T_EQ_INT(spec_split_kv("epochs", &k, &v), TD_EINVAL);
	T_EQ_INT(spec_split_kv("", &k, &v), TD_EINVAL);
}

static void
t_name_from_base(void)
{
	char out[128], base[80];

	/* 1700000000 is 2023-11-14T22:13:20Z. */
	spec_name_from_base("train", 1700000000.123, out, sizeof(out));
	T_EQ_STR(out, "train-2023-11-14-22-13-20-123");
	spec_name_from_base("my_train.v2", 1700000000.0, out, sizeof(out));
	T_EQ_STR(out, "my-train-v2-2023-11-14-22-13-20-000");
	spec_name_from_base("", 1700000000.5, out, sizeof(out));
	T_EQ_STR(out, "job-2023-11-14-22-13-20-500");
	/* Long bases are cut so the whole name fits SageMaker's 63. */
	memset(base, 'a', 70);
	base[70] = '\0';
	spec_name_from_base(base, 1700000000.0, out, sizeof(out));
	T_EQ_INT(strlen(out), 63);
	T_ASSERT(strstr(out, "aaaa-2023-11-14-22-13-20-000") != NULL);
	/* A cut that lands on a '-' must not leave "--". */
	memset(base, 'b', 38);
	base[38] = '-';
	base[39] = 'c';
	base[40] = 'c';
	base[41] = '\0';
	spec_name_from_base(base, 1700000000.0, out, sizeof(out));
	T_ASSERT(strstr(out, "--") == NULL);
	T_ASSERT(strlen(out) <= 63);
}

static void
t_tuning_name(void)
{
	char out[64];

	spec_tuning_name_from_base("boston", 1700000000.0, out, sizeof(out));
	T_EQ_STR(out, "boston-231114-221320");
	spec_tuning_name_from_base("a-very-long-base-name-for-tuning", 1700000000.0,
	    out, sizeof(out));
	T_ASSERT(strlen(out) <= 32);
	T_ASSERT(strstr(out, "-231114-221320") != NULL);
	T_ASSERT(strstr(out, "--") == NULL);
}

static void
t_sanitize(void)
{
	char out[64];

	spec_sanitize_base("__x__y__", out, sizeof(out));
	T_EQ_STR(out, "x-y");
	spec_sanitize_base("Train.Py", out, sizeof(out));
	T_EQ_STR(out, "Train-Py");
	spec_sanitize_base("...", out, sizeof(out));
	T_EQ_STR(out, "");
	spec_sanitize_base("abcdef", out, 4);
	T_EQ_STR(out, "abc");
}

static void
t_channel_uri(void)
{
	char *u;

	T_EQ_INT(spec_channel_uri("s3://bucket/key", "/w", &u), 0);
	T_EQ_STR(u, "s3://bucket/key");
	free(u);
	T_EQ_INT(spec_channel_uri("file:///data", "/w", &u), 0);
	T_EQ_STR(u, "file:///data");
	free(u);
	T_EQ_INT(spec_channel_uri("/abs/dir", "/w", &u), 0);
	T_EQ_STR(u, "file:///abs/dir");
	free(u);
	T_EQ_INT(spec_channel_uri("data/train", "/w", &u), 0);
	T_EQ_STR(u, "file:///w/data/train");
	free(u);
	T_EQ_INT(spec_channel_uri("./data", "/w/", &u), 0);
	T_EQ_STR(u, "file:///w/data");
	free(u);
	T_EQ_INT(spec_channel_uri(".", "/w", &u), 0);
	T_EQ_STR(u, "file:///w");
	free(u);
	/* "name:x" has no "://": a relative path, not a scheme. */
	T_EQ_INT(spec_channel_uri("c:data", "/w", &u), 0);
	T_EQ_STR(u, "file:///w/c:data");
	free(u);
	T_EQ_INT(spec_channel_uri("", "/w", &u), TD_EINVAL);
	T_EQ_INT(spec_channel_uri("rel", NULL, &u), TD_EINVAL);
	T_EQ_INT(spec_channel_uri("rel", "notabs", &u), TD_EINVAL);
}

static void
t_split_words(void)
{
	char **w;
	size_t n;

	T_EQ_INT(spec_split_words("sh -c 'echo a  b'", &w, &n), 0);
	T_EQ_INT(n, 3);
	T_EQ_STR(w[0], "sh");
	T_EQ_STR(w[1], "-c");
	T_EQ_STR(w[2], "echo a  b");
	T_ASSERT(w[3] == NULL);
	spec_words_free(w);
	T_EQ_INT(spec_split_words("  a \"b c\"  d\\ e \"x\\\"y\" ", &w, &n), 0);
	T_EQ_INT(n, 4);
	T_EQ_STR(w[1], "b c");
	T_EQ_STR(w[2], "d e");
	T_EQ_STR(w[3], "x\"y");
	spec_words_free(w);
	/* Single quotes keep backslashes. */
	T_EQ_INT(spec_split_words("'a\\b'", &w, &n), 0);
	T_EQ_STR(w[0], "a\\b");
	spec_words_free(w);
	T_EQ_INT(spec_split_words("''", &w, &n), 0);
	T_EQ_INT(n, 1);
	T_EQ_STR(w[0], "");
	spec_words_free(w);
	T_EQ_INT(spec_split_words("echo 'oops", &w, &n), TD_EINVAL);
	T_ASSERT(w == NULL);
	T_EQ_INT(spec_split_words("", &w, &n), TD_EINVAL);
	T_EQ_INT(spec_split_words("   ", &w, &n), TD_EINVAL);
}

/* The n-th range of kind in ranges, or NULL. */
static const cJSON *
range(const cJSON *ranges, const char *kind, int n)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItem(ranges, kind), n);
}

static const char *
member(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

static void
t_param_ok(void)
{
	cJSON *r = cJSON_CreateObject();
	const cJSON *x;
	char err[256];

	T_EQ_INT(spec_add_param(r, "learning_rate=0.001:0.2:log", err,
	    sizeof(err)), 0);
	T_EQ_INT(spec_add_param(r, "epochs=10:50:int", err, sizeof(err)), 0);
	T_EQ_INT(spec_add_param(r, "batch=16:128:linear:int", err, sizeof(err)), 0);
	T_EQ_INT(spec_add_param(r, "optimizer=cat:sgd,adam", err, sizeof(err)), 0);
	T_EQ_INT(spec_add_param(r, "momentum=0.1:0.99:revlog", err, sizeof(err)), 0);
	T_EQ_INT(spec_add_param(r, "shift=-1:1", err, sizeof(err)), 0);
	x = range(r, "ContinuousParameterRanges", 0);
	T_EQ_STR(member(x, "Name"), "learning_rate");
	T_EQ_STR(member(x, "MinValue"), "0.001");
	T_EQ_STR(member(x, "MaxValue"), "0.2");
	T_EQ_STR(member(x, "ScalingType"), "Logarithmic");
	x = range(r, "ContinuousParameterRanges", 1);
	T_EQ_STR(member(x, "ScalingType"), "ReverseLogarithmic");
	x = range(r, "ContinuousParameterRanges", 2);
	T_EQ_STR(member(x, "MinValue"), "-1");
	T_ASSERT(cJSON_GetObjectItem(x, "ScalingType") == NULL);
	x = range(r, "IntegerParameterRanges", 0);
	T_EQ_STR(member(x, "Name"), "epochs");
	T_EQ_STR(member(x, "MinValue"), "10");
	x = range(r, "IntegerParameterRanges", 1);
	T_EQ_STR(member(x, "ScalingType"), "Linear");
	x = range(r, "CategoricalParameterRanges", 0);
	T_EQ_STR(member(x, "Name"), "optimizer");
	T_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(x, "Values")), 2);
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(x,
	    "Values"), 1)), "adam");
	cJSON_Delete(r);
}

static void
t_param_bad(void)
{
	static const char *const bad[] = {
		"x", "x=1", "=1:2", "x=1:0", "x=a:b", "x=1.5:3:int",
		"x=0:1:log", "x=-1:1:log", "x=cat:", "x=cat:a,,b", "x=cat:a,",
		"x=1:2:bogus", "x=1:2:3:4:5", "x=0.1:1.5:revlog",
		"x=1:5:int:revlog", "x=1:2:log:log", "x=1:2:int:int",
	};
	cJSON *r = cJSON_CreateObject();
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (spec_add_param(r, bad[i], err, sizeof(err)) != TD_EINVAL)
			T_FAIL("accepted \"%s\"", bad[i]);
		if (err[0] == '\0')
			T_FAIL("no message for \"%s\"", bad[i]);
	}
	/* Nothing was added by a rejected parameter. */
	T_ASSERT(r->child == NULL);
	cJSON_Delete(r);
}

static void
t_objective(void)
{
	cJSON *o;
	char err[256];

	T_EQ_INT(spec_objective("val_loss:min", &o, err, sizeof(err)), 0);
	T_EQ_STR(member(o, "Type"), "Minimize");
	T_EQ_STR(member(o, "MetricName"), "val_loss");
	cJSON_Delete(o);
	T_EQ_INT(spec_objective("validation:accuracy:Maximize", &o, err,
	    sizeof(err)), 0);
	T_EQ_STR(member(o, "Type"), "Maximize");
	T_EQ_STR(member(o, "MetricName"), "validation:accuracy");
	cJSON_Delete(o);
	T_EQ_INT(spec_objective("val_loss", &o, err, sizeof(err)), TD_EINVAL);
	T_ASSERT(o == NULL);
	T_EQ_INT(spec_objective(":min", &o, err, sizeof(err)), TD_EINVAL);
	T_EQ_INT(spec_objective("val_loss:up", &o, err, sizeof(err)), TD_EINVAL);
	T_ASSERT(strstr(err, "up") != NULL);
}

T_MAIN(T_CASE(t_split_kv), T_CASE(t_name_from_base), T_CASE(t_tuning_name),
    T_CASE(t_sanitize), T_CASE(t_channel_uri), T_CASE(t_split_words),
    T_CASE(t_param_ok), T_CASE(t_param_bad), T_CASE(t_objective))
