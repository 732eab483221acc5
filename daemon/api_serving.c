/*
 * api_serving.c - the serving operations: CreateModel, DescribeModel,
 * ListModels, DeleteModel, CreateEndpointConfig, DescribeEndpointConfig,
 * ListEndpointConfigs, DeleteEndpointConfig, CreateEndpoint,
 * DescribeEndpoint, ListEndpoints, DeleteEndpoint and UpdateEndpoint.
 *
 * Handlers validate through proto/, read and write models and endpoint
 * configurations through store_serving.h, and hand endpoints to the
 * serving layer (serving.h), which owns their processes and status. Error
 * messages follow SageMaker's: a missing resource is a ValidationException
 * "Could not find model \"<arn>\"." (boto3's waiters rely on that), a taken
 * name "Cannot create already existing ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "daemon.h"
#include "err.h"
#include "list.h"
#include "log.h"
#include "proto/serving.h"
#include "serving.h"
#include "store.h"
#include "store_serving.h"
#include "util.h"

/* The resource kinds: ARN kind and the words SageMaker's messages use. */
struct kind {
	const char	*arn;
	const char	*words;
};

static const struct kind K_MODEL = { "model", "model" };
static const struct kind K_CONFIG = { "endpoint-config",
	"endpoint configuration" };
static const struct kind K_ENDPOINT = { "endpoint", "endpoint" };

static void
not_found(struct api_ctx *c, const struct kind *k, const char *name)
{
	char *arn = api_arn(k->arn, name);

	apierr_set(&c->err, APIERR_VALIDATION, "Could not find %s \"%s\".",
	    k->words, arn);
	free(arn);
}

static void
store_failed(struct api_ctx *c, int rc, const struct kind *k,
    const char *name)
{
	char *arn;

	if (rc == TD_ENOTFOUND) {
		not_found(c, k, name);
	} else if (rc == TD_EEXIST) {
		arn = api_arn(k->arn, name);
		apierr_set(&c->err, APIERR_VALIDATION, "Cannot create already "
		    "existing %s \"%s\".", k->words, arn);
		free(arn);
	} else {
		api_store_error(c, rc, k->words, name);
	}
}

static void
add_arn(cJSON *o, const char *member, const struct kind *k, const char *name)
{
	char *arn = api_arn(k->arn, name);

	cJSON_AddStringToObject(o, member, arn);
	free(arn);
}

/* Copies every member of the stored request but the ones listed. */
static void
copy_request(cJSON *out, const char *request, const char *const *skip)
{
	cJSON *req = cJSON_Parse(request), *m;
	size_t i;

	cJSON_ArrayForEach(m, req) {
		for (i = 0; skip[i] != NULL; i++)
			if (strcmp(m->string, skip[i]) == 0)
				break;
		if (skip[i] == NULL && cJSON_GetObjectItem(out, m->string) == NULL)
			cJSON_AddItemToObject(out, m->string,
			    cJSON_Duplicate(m, 1));
	}
	cJSON_Delete(req);
}

static char *
print_or_die(const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	if (s == NULL)
		fatalx("api: out of memory");
	return s;
}

/* ---- models ------------------------------------------------------------- */

void
api_create_model(struct api_ctx *c, const cJSON *req)
{
	struct td_model_spec *m = NULL;
	char *json, *path = NULL;
	int rc;

	if (model_spec_decode(req, &m, &c->err) != 0)
		return;
	if (serving_model_check(m, &path, &c->err) != 0) {
		model_spec_free(m);
		return;
	}
	json = print_or_die(req);
	rc = store_named_insert(c->d->store, STORE_MODEL, m->name, json,
	    td_now());
	if (rc != 0) {
		store_failed(c, rc, &K_MODEL, m->name);
	} else {
		c->out = cJSON_CreateObject();
		add_arn(c->out, "ModelArn", &K_MODEL, m->name);
	}
	free(json);
	free(path);
	model_spec_free(m);
}

void
api_describe_model(struct api_ctx *c, const cJSON *req)
{
	static const char *const skip[] = { "ModelName", "Tags", NULL };
	struct store_named r;
	char *name = NULL;
	int rc;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	if ((rc = store_named_get(c->d->store, STORE_MODEL, name, &r)) != 0) {
		store_failed(c, rc, &K_MODEL, name);
		free(name);
		return;
	}
	c->out = cJSON_CreateObject();
	cJSON_AddStringToObject(c->out, "ModelName", r.name);
	copy_request(c->out, r.request, skip);
	cJSON_AddNumberToObject(c->out, "CreationTime", r.creation_time);
	add_arn(c->out, "ModelArn", &K_MODEL, r.name);
	store_named_clear(&r);
	free(name);
}

struct list_arg {
	cJSON			*arr;
	const struct kind	*k;
	const char		*name_member;
	const char		*arn_member;
	enum store_named_kind	 kind;
};

static int
named_row(struct store_named *r, void *arg)
{
	struct list_arg *a = arg;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, a->name_member, r->name);
	add_arn(o, a->arn_member, a->k, r->name);
	cJSON_AddNumberToObject(o, "CreationTime", r->creation_time);
	cJSON_AddItemToArray(a->arr, o);
	store_named_clear(r);
	return 0;
}

static int
named_run(struct api_ctx *c, const struct store_list_q *q, cJSON *arr,
    void *arg, char **next)
{
	struct list_arg *a = arg;

	a->arr = arr;
	return store_named_list(c->d->store, a->kind, q, named_row, a, next);
}

static void
list_named(struct api_ctx *c, const cJSON *req, const char *member,
    struct list_arg *a)
{
	api_list_page(c, req, member, named_run, a);
}

void
api_list_models(struct api_ctx *c, const cJSON *req)
{
	struct list_arg a = { NULL, &K_MODEL, "ModelName", "ModelArn", STORE_MODEL };

	list_named(c, req, "Models", &a);
}

static void
delete_named(struct api_ctx *c, const cJSON *req, enum store_named_kind kind,
    const struct kind *k)
{
	char *name = NULL;
	int rc;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	/* In use by an endpoint is fine: endpoints run their own snapshot. */
	if ((rc = store_named_delete(c->d->store, kind, name)) != 0)
		store_failed(c, rc, k, name);
	free(name);
}

void
api_delete_model(struct api_ctx *c, const cJSON *req)
{
	delete_named(c, req, STORE_MODEL, &K_MODEL);
}

/* ---- endpoint configurations ------------------------------------------------ */

void
api_create_endpoint_config(struct api_ctx *c, const cJSON *req)
{
	struct td_endpoint_config_spec *spec = NULL;
	struct store_named m;
	char *json;
	size_t i;
	int rc;

	if (endpoint_config_spec_decode(req, &spec, &c->err) != 0)
		return;
	for (i = 0; i < spec->n_variants; i++) {
		if ((rc = store_named_get(c->d->store, STORE_MODEL,
		    spec->variants[i].model_name, &m)) != 0) {
			store_failed(c, rc, &K_MODEL,
			    spec->variants[i].model_name);
			endpoint_config_spec_free(spec);
			return;
		}
		store_named_clear(&m);
	}
	json = print_or_die(req);
	rc = store_named_insert(c->d->store, STORE_ENDPOINT_CONFIG, spec->name,
	    json, td_now());
	if (rc != 0) {
		store_failed(c, rc, &K_CONFIG, spec->name);
	} else {
		c->out = cJSON_CreateObject();
		add_arn(c->out, "EndpointConfigArn", &K_CONFIG, spec->name);
	}
	free(json);
	endpoint_config_spec_free(spec);
}

void
api_describe_endpoint_config(struct api_ctx *c, const cJSON *req)
{
	static const char *const skip[] = { "EndpointConfigName", "Tags",
	    "ProductionVariants", NULL };
	struct td_endpoint_config_spec *spec = NULL;
	struct apierr e = { 0 };
	struct store_named r;
	cJSON *stored, *pv, *v, *src;
	char *name = NULL;
	size_t i;
	int rc;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	if ((rc = store_named_get(c->d->store, STORE_ENDPOINT_CONFIG, name,
	    &r)) != 0) {
		store_failed(c, rc, &K_CONFIG, name);
		free(name);
		return;
	}
	stored = cJSON_Parse(r.request);
	c->out = cJSON_CreateObject();
	cJSON_AddStringToObject(c->out, "EndpointConfigName", r.name);
	add_arn(c->out, "EndpointConfigArn", &K_CONFIG, r.name);
	pv = cJSON_AddArrayToObject(c->out, "ProductionVariants");
	if (endpoint_config_spec_decode(stored, &spec, &e) == 0) {
		src = cJSON_GetObjectItem(stored, "ProductionVariants");
		for (i = 0; i < spec->n_variants; i++) {
			/* As given, with SageMaker's defaults filled in. */
			v = cJSON_Duplicate(cJSON_GetArrayItem(src, (int)i), 1);
			cJSON_DeleteItemFromObject(v, "InitialInstanceCount");
			cJSON_DeleteItemFromObject(v, "InitialVariantWeight");
			cJSON_AddNumberToObject(v, "InitialInstanceCount",
			    (double)spec->variants[i].initial_instance_count);
			cJSON_AddNumberToObject(v, "InitialVariantWeight",
			    spec->variants[i].initial_weight);
			cJSON_AddItemToArray(pv, v);
		}
	}
	copy_request(c->out, r.request, skip);
	cJSON_AddNumberToObject(c->out, "CreationTime", r.creation_time);
	endpoint_config_spec_free(spec);
	cJSON_Delete(stored);
	store_named_clear(&r);
	free(name);
}

void
api_list_endpoint_configs(struct api_ctx *c, const cJSON *req)
{
	struct list_arg a = { NULL, &K_CONFIG, "EndpointConfigName",
	    "EndpointConfigArn", STORE_ENDPOINT_CONFIG };

	list_named(c, req, "EndpointConfigs", &a);
}

void
api_delete_endpoint_config(struct api_ctx *c, const cJSON *req)
{
	delete_named(c, req, STORE_ENDPOINT_CONFIG, &K_CONFIG);
}

/* ---- endpoints ------------------------------------------------------------------ */

/* ContainerStartupHealthCheckTimeoutInSeconds of the i-th variant, or the default. */
static long
startup_timeout(const cJSON *config, size_t i)
{
	const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(config,
	    "ProductionVariants"), (int)i);
	const cJSON *t = cJSON_GetObjectItem(v,
	    "ContainerStartupHealthCheckTimeoutInSeconds");

	return cJSON_IsNumber(t) && t->valuedouble >= 1 ?
	    (long)t->valuedouble : 60;
}

/* Adds the i-th variant of spec to variants; 0, or an error in c->err. */
static int
deploy_variant(struct api_ctx *c, const struct td_variant *v,
    long timeout_s, cJSON *variants)
{
	struct td_model_spec *m = NULL;
	struct store_named r;
	cJSON *stored;
	char *path = NULL;
	int rc;

	if ((rc = store_named_get(c->d->store, STORE_MODEL, v->model_name,
	    &r)) != 0) {
		store_failed(c, rc, &K_MODEL, v->model_name);
		return rc;
	}
	stored = cJSON_Parse(r.request);
	store_named_clear(&r);
	if ((rc = model_spec_decode(stored, &m, &c->err)) == 0 &&
	    (rc = serving_model_check(m, &path, &c->err)) == 0)
		serving_deployment_add(variants, v, m, path, timeout_s);
	cJSON_Delete(stored);
	model_spec_free(m);
	free(path);
	return rc;
}

/*
 * The deployment snapshot of an endpoint configuration (serving.h):
 * *out gets its JSON (caller frees), or c->err is filled.
 */
static int
build_deployment(struct api_ctx *c, const char *config_name, char **out)
{
	struct td_endpoint_config_spec *spec = NULL;
	struct store_named r;
	cJSON *stored, *root, *variants;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = store_named_get(c->d->store, STORE_ENDPOINT_CONFIG,
	    config_name, &r)) != 0) {
		store_failed(c, rc, &K_CONFIG, config_name);
		return rc;
	}
	stored = cJSON_Parse(r.request);
	if ((rc = endpoint_config_spec_decode(stored, &spec, &c->err)) != 0) {
		cJSON_Delete(stored);
		store_named_clear(&r);
		return rc;
	}
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "EndpointConfigName", r.name);
	variants = cJSON_AddArrayToObject(root, "Variants");
	for (i = 0; i < spec->n_variants && rc == 0; i++)
		rc = deploy_variant(c, &spec->variants[i],
		    startup_timeout(stored, i), variants);
	if (rc == 0)
		*out = print_or_die(root);
	cJSON_Delete(root);
	cJSON_Delete(stored);
	endpoint_config_spec_free(spec);
	store_named_clear(&r);
	return rc;
}

void
api_create_endpoint(struct api_ctx *c, const cJSON *req)
{
	struct td_endpoint_spec *spec = NULL;
	char *deployment = NULL, *json;
	int rc;

	if (endpoint_spec_decode(req, &spec, &c->err) != 0)
		return;
	if (build_deployment(c, spec->config_name, &deployment) != 0) {
		endpoint_spec_free(spec);
		return;
	}
	json = print_or_die(req);
	rc = serving_create_endpoint(c->d->serving, spec->name, json,
	    spec->config_name, deployment);
	if (rc != 0) {
		store_failed(c, rc, &K_ENDPOINT, spec->name);
	} else {
		c->out = cJSON_CreateObject();
		add_arn(c->out, "EndpointArn", &K_ENDPOINT, spec->name);
	}
	free(json);
	free(deployment);
	endpoint_spec_free(spec);
}

void
api_describe_endpoint(struct api_ctx *c, const cJSON *req)
{
	char *name = NULL;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	if ((c->out = serving_describe_endpoint(c->d->serving, name)) == NULL)
		not_found(c, &K_ENDPOINT, name);
	free(name);
}

static int
endpoint_row(struct store_ep *e, void *arg)
{
	cJSON *arr = arg, *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "EndpointName", e->name);
	add_arn(o, "EndpointArn", &K_ENDPOINT, e->name);
	cJSON_AddNumberToObject(o, "CreationTime", e->creation_time);
	cJSON_AddNumberToObject(o, "LastModifiedTime", e->last_modified);
	cJSON_AddStringToObject(o, "EndpointStatus", e->status);
	cJSON_AddItemToArray(arr, o);
	store_ep_clear(e);
	return 0;
}

static int
endpoint_run(struct api_ctx *c, const struct store_list_q *q, cJSON *arr,
    void *arg, char **next)
{
	return store_ep_list(c->d->store, q, endpoint_row, arr, next);
}

void
api_list_endpoints(struct api_ctx *c, const cJSON *req)
{
	api_list_page(c, req, "Endpoints", endpoint_run, NULL);
}

void
api_delete_endpoint(struct api_ctx *c, const cJSON *req)
{
	char *name = NULL;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	serving_delete_endpoint(c->d->serving, name, &c->err);
	free(name);
}

void
api_update_endpoint(struct api_ctx *c, const cJSON *req)
{
	struct td_endpoint_spec *spec = NULL;
	char *deployment = NULL;
	cJSON *d;

	if (endpoint_update_decode(req, &spec, &c->err) != 0)
		return;
	/* A missing endpoint is the first thing to say. */
	if ((d = serving_describe_endpoint(c->d->serving, spec->name)) == NULL)
		not_found(c, &K_ENDPOINT, spec->name);
	cJSON_Delete(d);
	if (c->err.type == NULL &&
	    build_deployment(c, spec->config_name, &deployment) == 0 &&
	    serving_update_endpoint(c->d->serving, spec->name,
	    spec->config_name, deployment, &c->err) == 0) {
		c->out = cJSON_CreateObject();
		add_arn(c->out, "EndpointArn", &K_ENDPOINT, spec->name);
	}
	free(deployment);
	endpoint_spec_free(spec);
}
