/*
 * serving.c - CreateModel, CreateEndpointConfig, CreateEndpoint and
 * UpdateEndpoint decoding.
 *
 * Owns the local rules of serving requests (serving.h lists them): one
 * container per model, one source of model data, a ModelName per variant,
 * unique variant names. Never looks at the store: whether a named model or
 * configuration exists is the daemon's question.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "err.h"
#include "serving.h"
#include "shapes.h"

/* --- models -------------------------------------------------------------- */

/* The one container definition, with its path for messages. */
static int
pick_container(const cJSON *req, const cJSON **c, const char **path,
    struct apierr *e)
{
	const cJSON *primary = proto__get(req, "PrimaryContainer");
	const cJSON *list = proto__get(req, "Containers");

	*c = primary;
	*path = "PrimaryContainer";
	if (list != NULL && primary != NULL)
		return proto__invalid(e, list, "Containers", "Member must not be "
		    "set together with PrimaryContainer");
	if (list != NULL && cJSON_GetArraySize(list) != 1)
		return proto__invalid(e, list, "Containers", "Member must have "
		    "exactly one container: inference pipelines are not "
		    "supported locally");
	if (list != NULL) {
		*c = list->child;
		*path = "Containers[0]";
	}
	if (*c == NULL)
		return proto__invalid(e, NULL, "PrimaryContainer", "Member must "
		    "not be null (or give Containers with one entry)");
	return 0;
}

static int
check_container(const cJSON *c, const char *path, struct apierr *e)
{
	const cJSON *url = proto__get(c, "ModelDataUrl");
	const cJSON *src = proto__get(c, "ModelDataSource");
	char p[128];

	if (proto__get(c, "ModelPackageName") != NULL) {
		proto__pathf(p, sizeof(p), "%s.ModelPackageName", path);
		return proto__invalid(e, proto__get(c, "ModelPackageName"), p,
		    "Model packages are not supported locally; give Image and "
		    "ModelDataUrl");
	}
	if (url != NULL && src != NULL) {
		proto__pathf(p, sizeof(p), "%s.ModelDataSource", path);
		return proto__invalid(e, src, p, "Member must not be set "
		    "together with ModelDataUrl");
	}
	return 0;
}

static struct td_model_spec *
model_decode(const cJSON *req, const cJSON *c)
{
	struct td_model_spec *m = proto__xcalloc(1, sizeof(*m));

	m->name = proto__str(req, "ModelName");
	m->image = proto__str(c, "Image");
	m->model_data_url = proto__str(c, "ModelDataUrl");
	if (m->model_data_url == NULL)
		m->model_data_url = proto__str(proto__path(c, "ModelDataSource",
		    "S3DataSource", NULL), "S3Uri");
	m->mode = proto__str(c, "Mode");
	if (m->mode == NULL)
		m->mode = proto__xstrdup("SingleModel");
	m->container_hostname = proto__str(c, "ContainerHostname");
	proto__kv_map(proto__get(c, "Environment"), &m->environment,
	    &m->n_environment);
	m->execution_role_arn = proto__str(req, "ExecutionRoleArn");
	proto__kv_tags(proto__get(req, "Tags"), &m->tags, &m->n_tags);
	return m;
}

int
model_spec_decode(const cJSON *req, struct td_model_spec **out,
    struct apierr *e)
{
	const cJSON *c;
	const char *path;
	int rc;

	*out = NULL;
	if ((rc = proto_validate(&proto_shape_CreateModelInput, req, e)) != 0 ||
	    (rc = pick_container(req, &c, &path, e)) != 0 ||
	    (rc = check_container(c, path, e)) != 0)
		return rc;
	*out = model_decode(req, c);
	return 0;
}

void
model_spec_free(struct td_model_spec *m)
{
	if (m == NULL)
		return;
	free(m->name);
	free(m->image);
	free(m->model_data_url);
	free(m->mode);
	free(m->container_hostname);
	proto__kv_free(m->environment, m->n_environment);
	free(m->execution_role_arn);
	proto__kv_free(m->tags, m->n_tags);
	free(m);
}

/* --- endpoint configurations --------------------------------------------- */

static int
check_variants(const cJSON *list, struct apierr *e)
{
	const cJSON *v, *w;
	char p[64];
	size_t i = 0;

	for (v = list->child; v != NULL; v = v->next, i++) {
		const char *name = cJSON_GetStringValue(proto__get(v,
		    "VariantName"));

		if (proto__get(v, "ModelName") == NULL) {
			proto__pathf(p, sizeof(p), "ProductionVariants[%zu].ModelName",
			    i);
			return proto__invalid(e, NULL, p, "Member must not be "
			    "null: every variant serves a model locally");
		}
		for (w = list->child; w != v; w = w->next) {
			const char *other = cJSON_GetStringValue(proto__get(w,
			    "VariantName"));

			if (other == NULL || strcmp(name, other) != 0)
				continue;
			proto__pathf(p, sizeof(p),
			    "ProductionVariants[%zu].VariantName", i);
			return proto__invalid(e, proto__get(v, "VariantName"), p,
			    "Member must be unique among the variants");
		}
	}
	return 0;
}

int
endpoint_config_spec_decode(const cJSON *req,
    struct td_endpoint_config_spec **out, struct apierr *e)
{
	const cJSON *list = proto__get(req, "ProductionVariants"), *v;
	struct td_endpoint_config_spec *c;
	size_t i = 0;
	int rc;

	*out = NULL;
	if ((rc = proto_validate(&proto_shape_CreateEndpointConfigInput, req,
	    e)) != 0 || (rc = check_variants(list, e)) != 0)
		return rc;
	c = proto__xcalloc(1, sizeof(*c));
	c->name = proto__str(req, "EndpointConfigName");
	c->variants = proto__xcalloc((size_t)cJSON_GetArraySize(list),
	    sizeof(*c->variants));
	for (v = list->child; v != NULL; v = v->next, i++) {
		struct td_variant *x = &c->variants[i];

		x->variant_name = proto__str(v, "VariantName");
		x->model_name = proto__str(v, "ModelName");
		x->initial_instance_count = proto__long(v,
		    "InitialInstanceCount", 1);
		x->instance_type = proto__str(v, "InstanceType");
		x->initial_weight = proto__double(v, "InitialVariantWeight", 1.0);
	}
	c->n_variants = i;
	proto__kv_tags(proto__get(req, "Tags"), &c->tags, &c->n_tags);
	*out = c;
	return 0;
}

void
endpoint_config_spec_free(struct td_endpoint_config_spec *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_variants; i++) {
		free(c->variants[i].variant_name);
		free(c->variants[i].model_name);
		free(c->variants[i].instance_type);
	}
	free(c->variants);
	free(c->name);
	proto__kv_free(c->tags, c->n_tags);
	free(c);
}

/* --- endpoints ----------------------------------------------------------- */

static int
endpoint_decode(const struct proto_shape *shape, const cJSON *req,
    struct td_endpoint_spec **out, struct apierr *e)
{
	struct td_endpoint_spec *s;
	int rc;

	*out = NULL;
	if ((rc = proto_validate(shape, req, e)) != 0)
		return rc;
	s = proto__xcalloc(1, sizeof(*s));
	s->name = proto__str(req, "EndpointName");
	s->config_name = proto__str(req, "EndpointConfigName");
	proto__kv_tags(proto__get(req, "Tags"), &s->tags, &s->n_tags);
	s->retain_all_variant_properties = proto__bool(req,
	    "RetainAllVariantProperties", 0);
	*out = s;
	return 0;
}

int
endpoint_spec_decode(const cJSON *req, struct td_endpoint_spec **out,
    struct apierr *e)
{
	return endpoint_decode(&proto_shape_CreateEndpointInput, req, out, e);
}

int
endpoint_update_decode(const cJSON *req, struct td_endpoint_spec **out,
    struct apierr *e)
{
	return endpoint_decode(&proto_shape_UpdateEndpointInput, req, out, e);
}

void
endpoint_spec_free(struct td_endpoint_spec *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->config_name);
	proto__kv_free(s->tags, s->n_tags);
	free(s);
}
