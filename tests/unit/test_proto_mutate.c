/*
 * test_proto_mutate.c - every decoder against systematic damage of good
 * requests: each member of each fixture in turn deleted, or replaced by a
 * value of every JSON type. A decoder must then either succeed with a
 * result or fail with a ValidationException whose message names a path
 * (run under the sanitizers, this also catches leaks and bad reads).
 */
#include "list.h"
#include "proto.h"
#include "serving.h"
#include "test_proto_util.h"
#include "training.h"
#include "tuning.h"

typedef int (*decode_fn)(const cJSON *req, struct apierr *e);

static int
dec_training(const cJSON *req, struct apierr *e)
{
	struct td_training_spec *s;
	int rc = training_spec_decode(req, &s, e);

	T_ASSERT((rc == 0) == (s != NULL));
	training_spec_free(s);
	return rc;
}

static int
dec_tuning(const cJSON *req, struct apierr *e)
{
	struct td_tuning_spec *t;
	int rc = tuning_spec_decode(req, &t, e);
	struct apierr e2 = { 0 };
	struct td_kv hp = { "epochs", "12" };
	char *json;

	T_ASSERT((rc == 0) == (t != NULL));
	if (rc == 0 && t->definition_json != NULL &&
	    tuning_trial_request(t, "trial-1", &hp, 1, &json, &e2) == 0)
		free(json);
	tuning_spec_free(t);
	return rc;
}

static int
dec_model(const cJSON *req, struct apierr *e)
{
	struct td_model_spec *m;
	int rc = model_spec_decode(req, &m, e);

	T_ASSERT((rc == 0) == (m != NULL));
	model_spec_free(m);
	return rc;
}

static int
dec_config(const cJSON *req, struct apierr *e)
{
	struct td_endpoint_config_spec *c;
	int rc = endpoint_config_spec_decode(req, &c, e);

	T_ASSERT((rc == 0) == (c != NULL));
	endpoint_config_spec_free(c);
	return rc;
}

static int
dec_list(const cJSON *req, struct apierr *e)
{
	struct td_list_req r;
	int rc = list_req_decode(&proto_ops[OP_LIST_TRAINING_JOBS_FOR_TUNING_JOB],
	    req, &r, e);

	list_req_clear(&r);
	return rc;
}

static int
dec_tell(const cJSON *req, struct apierr *e)
{
	struct td_tell_req *r;
	int rc = tell_req_decode(req, &r, e);

	tell_req_free(r);
	return rc;
}

static const char *const replacements[] = {
	NULL, "null", "\"\"", "\"x\"", "\"-1\"", "0", "-1", "1.5", "1e300",
	"true", "[]", "[1]", "{}", "{\"Zz\": 1}",
};

/* The n-th node of v in pre-order (v itself is node 0), or NULL. */
static cJSON *
nth(cJSON *v, int *n)
{
	cJSON *c, *hit;

	if ((*n)-- == 0)
		return v;
	for (c = v->child; c != NULL; c = c->next)
		if ((hit = nth(c, n)) != NULL)
			return hit;
	return NULL;
}

static cJSON *
parent_of(cJSON *root, cJSON *node)
{
	cJSON *c, *p;

	for (c = root->child; c != NULL; c = c->next) {
		if (c == node)
			return root;
		if ((p = parent_of(c, node)) != NULL)
			return p;
	}
	return NULL;
}

/* Applies every damage to every node of the request; returns decodes run. */
static int
mutate_all(const cJSON *good, decode_fn fn)
{
	int node, k, runs = 0, failures = 0;

	for (node = 1;; node++) {
		cJSON *probe = cJSON_Duplicate(good, 1);
		int n = node;
		cJSON *target = nth(probe, &n);

		cJSON_Delete(probe);
		if (target == NULL)
			break;
		for (k = 0; k < (int)(sizeof(replacements) /
		    sizeof(replacements[0])); k++) {
			cJSON *req = cJSON_Duplicate(good, 1), *x, *parent;
			struct apierr e = { 0 };
			int rc;

			n = node;
			x = nth(req, &n);
			parent = parent_of(req, x);
			if (replacements[k] == NULL)
				cJSON_Delete(cJSON_DetachItemViaPointer(parent, x));
			else
				cJSON_ReplaceItemViaPointer(parent, x,
				    tp_value(replacements[k]));
			rc = fn(req, &e);
			if (rc != 0 && rc != TD_EINVAL)
				T_FAIL("node %d/%d: rc %d", node, k, rc);
			if (rc != 0) {
				failures++;
				T_ASSERT(e.type != NULL);
				T_ASSERT(strstr(e.message, " at '") != NULL);
			}
			cJSON_Delete(req);
			runs++;
		}
	}
	/* Most damage must be noticed (a few replacements are still valid). */
	T_ASSERT(failures > runs / 2);
	return runs;
}

static void
t_training(void)
{
	cJSON *v = tp_load("training_sdk.json");
	struct apierr e = { 0 };

	T_EQ_INT(dec_training(v, &e), 0);
	T_ASSERT(mutate_all(v, dec_training) > 1000);
	cJSON_Delete(v);
}

static void
t_tuning(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	struct apierr e = { 0 };

	T_EQ_INT(dec_tuning(v, &e), 0);
	T_ASSERT(mutate_all(v, dec_tuning) > 1000);
	cJSON_Delete(v);
}

static void
t_serving(void)
{
	cJSON *m = tp_parse("{\"ModelName\": \"m\", \"PrimaryContainer\": "
	    "{\"Image\": \"x\", \"ModelDataUrl\": \"/m.tar.gz\", "
	    "\"Environment\": {\"A\": \"1\"}}, \"Tags\": [{\"Key\": \"k\", "
	    "\"Value\": \"v\"}]}");
	cJSON *c = tp_parse("{\"EndpointConfigName\": \"c\", "
	    "\"ProductionVariants\": [{\"VariantName\": \"a\", \"ModelName\": "
	    "\"m\", \"InitialInstanceCount\": 1, \"InitialVariantWeight\": 1}]}");
	struct apierr e = { 0 };

	T_EQ_INT(dec_model(m, &e), 0);
	T_EQ_INT(dec_config(c, &e), 0);
	mutate_all(m, dec_model);
	mutate_all(c, dec_config);
	cJSON_Delete(m);
	cJSON_Delete(c);
}

static void
t_small_requests(void)
{
	cJSON *l = tp_parse("{\"HyperParameterTuningJobName\": \"t\", "
	    "\"StatusEquals\": \"Completed\", \"SortBy\": \"Name\", "
	    "\"MaxResults\": 5, \"NextToken\": \"x\"}");
	cJSON *t = tp_parse("{\"HyperParameterTuningJobName\": \"t\", "
	    "\"TrialName\": \"t-1\", \"ObjectiveValue\": 1.5}");
	struct apierr e = { 0 };

	T_EQ_INT(dec_list(l, &e), 0);
	T_EQ_INT(dec_tell(t, &e), 0);
	mutate_all(l, dec_list);
	mutate_all(t, dec_tell);
	cJSON_Delete(l);
	cJSON_Delete(t);
}

T_MAIN(
	T_CASE(t_training),
	T_CASE(t_tuning),
	T_CASE(t_serving),
	T_CASE(t_small_requests)
)
