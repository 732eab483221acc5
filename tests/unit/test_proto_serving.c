/*
 * test_proto_serving.c - CreateModel, CreateEndpointConfig, CreateEndpoint
 * and UpdateEndpoint decoding, as the SageMaker SDK's deploy() sends them,
 * locally, and with one bad input per rule.
 */
#include "serving.h"
#include "test_proto_util.h"

#define SDK_MODEL "{\"ModelName\": \"pytorch-inference-2024-05-01-13-00-00-000\", " \
	"\"ExecutionRoleArn\": \"arn:aws:iam::123456789012:role/service-role/" \
	"AmazonSageMaker-ExecutionRole-20240501T120000\", " \
	"\"PrimaryContainer\": {\"Image\": \"763104351884.dkr.ecr.us-east-1." \
	"amazonaws.com/pytorch-inference:1.13.1-cpu-py39\", " \
	"\"Environment\": {\"SAGEMAKER_PROGRAM\": \"inference.py\", " \
	"\"SAGEMAKER_SUBMIT_DIRECTORY\": \"s3://sagemaker-us-east-1-123456789012/" \
	"pytorch-inference/model.tar.gz\", \"SAGEMAKER_CONTAINER_LOG_LEVEL\": \"20\", " \
	"\"SAGEMAKER_REGION\": \"us-east-1\"}, " \
	"\"ModelDataUrl\": \"s3://sagemaker-us-east-1-123456789012/pytorch-training-" \
	"2024-05-01-12-00-00-000/output/model.tar.gz\"}, \"Tags\": []}"

#define SDK_CONFIG "{\"EndpointConfigName\": \"pytorch-inference-2024-05-01-13-00-00-000\", " \
	"\"ProductionVariants\": [{\"ModelName\": \"pytorch-inference-2024-05-01-" \
	"13-00-00-000\", \"VariantName\": \"AllTraffic\", \"InitialVariantWeight\": 1, " \
	"\"InitialInstanceCount\": 1, \"InstanceType\": \"ml.m5.large\"}], \"Tags\": []}"

static void
t_model_sdk(void)
{
	struct apierr e = { 0 };
	struct td_model_spec *m;
	cJSON *v = tp_parse(SDK_MODEL);

	TP_OK(model_spec_decode(v, &m, &e), e);
	T_EQ_STR(m->name, "pytorch-inference-2024-05-01-13-00-00-000");
	T_ASSERT(strstr(m->image, "pytorch-inference") != NULL);
	T_ASSERT(strncmp(m->model_data_url, "s3://", 5) == 0);
	T_EQ_STR(m->mode, "SingleModel");
	T_EQ_INT(m->n_environment, 4);
	T_EQ_STR(m->environment[0].key, "SAGEMAKER_PROGRAM");
	T_EQ_STR(m->environment[0].value, "inference.py");
	T_ASSERT(m->execution_role_arn != NULL);
	T_EQ_INT(m->n_tags, 0);
	model_spec_free(m);
	model_spec_free(NULL);
	cJSON_Delete(v);
}

static void
t_model_local(void)
{
	struct apierr e = { 0 };
	struct td_model_spec *m;
	static const char *const urls[] = {
		"file:///home/u/jobs/j1/output/model.tar.gz",
		"/home/u/jobs/j1/output/model.tar.gz",
		"http://127.0.0.1:8000/model.tar.gz",
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		cJSON *v = tp_parse("{\"ModelName\": \"boston\", "
		    "\"Containers\": [{\"Image\": \"tunerd-mlp\", \"Mode\": "
		    "\"SingleModel\", \"Environment\": {}}], "
		    "\"Tags\": [{\"Key\": \"team\", \"Value\": \"ml\"}]}");

		tp_set(v, "Containers[0].ModelDataUrl", "\"x\"");
		cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(
		    v, "Containers"), 0), "ModelDataUrl",
		    cJSON_CreateString(urls[i]));
		TP_OK(model_spec_decode(v, &m, &e), e);
		T_EQ_STR(m->model_data_url, urls[i]);
		T_ASSERT(m->execution_role_arn == NULL);
		T_EQ_INT(m->n_tags, 1);
		T_EQ_STR(m->tags[0].key, "team");
		T_EQ_STR(m->tags[0].value, "ml");
		model_spec_free(m);
		cJSON_Delete(v);
	}
}

static void
t_model_data_source(void)
{
	struct apierr e = { 0 };
	struct td_model_spec *m;
	cJSON *v = tp_parse("{\"ModelName\": \"m\", \"PrimaryContainer\": "
	    "{\"Image\": \"x\", \"ModelDataSource\": {\"S3DataSource\": "
	    "{\"S3Uri\": \"file:///models/m/\", \"S3DataType\": \"S3Prefix\", "
	    "\"CompressionType\": \"None\"}}}}");

	TP_OK(model_spec_decode(v, &m, &e), e);
	T_EQ_STR(m->model_data_url, "file:///models/m/");
	model_spec_free(m);
	tp_set(v, "PrimaryContainer.ModelDataUrl", "\"/models/m.tar.gz\"");
	TP_FAILS(model_spec_decode(v, &m, &e), e,
	    "at 'PrimaryContainer.ModelDataSource'", "together with ModelDataUrl");
	cJSON_Delete(v);
}

static const struct {
	const char *path, *value, *want1, *want2;
} bad_model[] = {
	{ "ModelName", "\"my_model\"", "at 'ModelName'", "regular expression" },
	{ "ModelName", NULL, "Value null at 'ModelName'", "not be null" },
	{ "PrimaryContainer", NULL, "at 'PrimaryContainer'", "not be null" },
	{ "Containers", "[{\"Image\": \"a\"}]", "at 'Containers'",
	  "together with PrimaryContainer" },
	{ "PrimaryContainer.ModelDataUrl", "\"ftp://x/m.tar.gz\"",
	  "at 'PrimaryContainer.ModelDataUrl'", "regular expression" },
	{ "PrimaryContainer.Image", "\"has space\"", "at 'PrimaryContainer.Image'",
	  "regular expression" },
	{ "PrimaryContainer.Mode", "\"Many\"", "at 'PrimaryContainer.Mode'",
	  "[SingleModel, MultiModel]" },
	{ "PrimaryContainer.Environment.1X", "\"v\"",
	  "at 'PrimaryContainer.Environment'", "Map keys" },
	{ "PrimaryContainer.ModelPackageName", "\"pkg\"",
	  "at 'PrimaryContainer.ModelPackageName'", "not supported" },
	{ "ExecutionRoleArn", "\"arn:aws:iam::12:role/x\"", "at 'ExecutionRoleArn'",
	  "regular expression" },
	{ "Tags[0]", "{\"Key\": \"k\"}", "at 'Tags[0].Value'", "not be null" },
};

static void
t_model_bad_inputs(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad_model) / sizeof(bad_model[0]); i++) {
		struct apierr e = { 0 };
		struct td_model_spec *m = (void *)1;
		cJSON *v = tp_parse(SDK_MODEL);

		tp_set(v, bad_model[i].path, bad_model[i].value);
		fprintf(stderr, "case %zu (%s):\n", i, bad_model[i].path);
		TP_FAILS(model_spec_decode(v, &m, &e), e, bad_model[i].want1,
		    bad_model[i].want2);
		T_ASSERT(m == NULL);
		cJSON_Delete(v);
	}
}

static void
t_model_pipeline_refused(void)
{
	struct apierr e = { 0 };
	struct td_model_spec *m;
	cJSON *v = tp_parse("{\"ModelName\": \"m\", \"Containers\": "
	    "[{\"Image\": \"a\"}, {\"Image\": \"b\"}]}");

	TP_FAILS(model_spec_decode(v, &m, &e), e, "at 'Containers'",
	    "pipelines are not supported");
	cJSON_Delete(v);
}

static void
t_endpoint_config_sdk(void)
{
	struct apierr e = { 0 };
	struct td_endpoint_config_spec *c;
	cJSON *v = tp_parse(SDK_CONFIG);

	TP_OK(endpoint_config_spec_decode(v, &c, &e), e);
	T_EQ_STR(c->name, "pytorch-inference-2024-05-01-13-00-00-000");
	T_EQ_INT(c->n_variants, 1);
	T_EQ_STR(c->variants[0].variant_name, "AllTraffic");
	T_EQ_STR(c->variants[0].model_name,
	    "pytorch-inference-2024-05-01-13-00-00-000");
	T_EQ_INT(c->variants[0].initial_instance_count, 1);
	T_EQ_STR(c->variants[0].instance_type, "ml.m5.large");
	T_NEAR(c->variants[0].initial_weight, 1.0, 0);
	endpoint_config_spec_free(c);
	endpoint_config_spec_free(NULL);
	cJSON_Delete(v);
}

static void
t_endpoint_config_local_defaults(void)
{
	struct apierr e = { 0 };
	struct td_endpoint_config_spec *c;
	cJSON *v = tp_parse("{\"EndpointConfigName\": \"c\", \"ProductionVariants\": "
	    "[{\"VariantName\": \"a\", \"ModelName\": \"m1\"}, "
	    "{\"VariantName\": \"b\", \"ModelName\": \"m2\", "
	    "\"InitialVariantWeight\": 0.25, \"InitialInstanceCount\": 2}]}");

	TP_OK(endpoint_config_spec_decode(v, &c, &e), e);
	T_EQ_INT(c->n_variants, 2);
	T_ASSERT(c->variants[0].instance_type == NULL);
	T_EQ_INT(c->variants[0].initial_instance_count, 1);
	T_NEAR(c->variants[0].initial_weight, 1.0, 0);
	T_NEAR(c->variants[1].initial_weight, 0.25, 0);
	T_EQ_INT(c->variants[1].initial_instance_count, 2);
	endpoint_config_spec_free(c);
	cJSON_Delete(v);
}

static const struct {
	const char *path, *value, *want1, *want2;
} bad_config[] = {
	{ "ProductionVariants", "[]", "at 'ProductionVariants'",
	  "greater than or equal to 1" },
	{ "ProductionVariants[0].ModelName", NULL,
	  "at 'ProductionVariants[0].ModelName'", "every variant serves a model" },
	{ "ProductionVariants[0].VariantName", NULL,
	  "at 'ProductionVariants[0].VariantName'", "not be null" },
	{ "ProductionVariants[1]", "{\"VariantName\": \"AllTraffic\", "
	  "\"ModelName\": \"m\"}", "at 'ProductionVariants[1].VariantName'",
	  "unique" },
	{ "ProductionVariants[0].InitialInstanceCount", "0",
	  "at 'ProductionVariants[0].InitialInstanceCount'",
	  "greater than or equal to 1" },
	{ "ProductionVariants[0].InitialVariantWeight", "-1",
	  "at 'ProductionVariants[0].InitialVariantWeight'",
	  "greater than or equal to 0" },
	{ "ProductionVariants[0].InstanceType", "\"ml.huge\"",
	  "at 'ProductionVariants[0].InstanceType'", "enum value set" },
	{ "EndpointConfigName", "\"a.b\"", "at 'EndpointConfigName'",
	  "regular expression" },
	{ "DataCaptureConfig", "{}", "at 'DataCaptureConfig.", "not be null" },
};

static void
t_endpoint_config_bad_inputs(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad_config) / sizeof(bad_config[0]); i++) {
		struct apierr e = { 0 };
		struct td_endpoint_config_spec *c = (void *)1;
		cJSON *v = tp_parse(SDK_CONFIG);

		tp_set(v, bad_config[i].path, bad_config[i].value);
		fprintf(stderr, "case %zu (%s):\n", i, bad_config[i].path);
		TP_FAILS(endpoint_config_spec_decode(v, &c, &e), e,
		    bad_config[i].want1, bad_config[i].want2);
		T_ASSERT(c == NULL);
		cJSON_Delete(v);
	}
}

static void
t_endpoint(void)
{
	struct apierr e = { 0 };
	struct td_endpoint_spec *s;
	cJSON *v = tp_parse("{\"EndpointName\": \"boston-ep\", "
	    "\"EndpointConfigName\": \"boston-cfg\", \"Tags\": []}");

	TP_OK(endpoint_spec_decode(v, &s, &e), e);
	T_EQ_STR(s->name, "boston-ep");
	T_EQ_STR(s->config_name, "boston-cfg");
	endpoint_spec_free(s);
	endpoint_spec_free(NULL);
	/* UpdateEndpoint has no Tags member. */
	TP_FAILS(endpoint_update_decode(v, &s, &e), e, "at 'Tags'",
	    "not part of UpdateEndpointInput");
	memset(&e, 0, sizeof(e));
	tp_set(v, "Tags", NULL);
	tp_set(v, "RetainAllVariantProperties", "true");
	TP_OK(endpoint_update_decode(v, &s, &e), e);
	T_EQ_INT(s->retain_all_variant_properties, 1);
	endpoint_spec_free(s);
	tp_set(v, "EndpointConfigName", NULL);
	TP_FAILS(endpoint_update_decode(v, &s, &e), e,
	    "Value null at 'EndpointConfigName'");
	memset(&e, 0, sizeof(e));
	tp_set(v, "RetainAllVariantProperties", NULL);
	TP_FAILS(endpoint_spec_decode(v, &s, &e), e,
	    "Value null at 'EndpointConfigName'");
	cJSON_Delete(v);
}

T_MAIN(
	T_CASE(t_model_sdk),
	T_CASE(t_model_local),
	T_CASE(t_model_data_source),
	T_CASE(t_model_bad_inputs),
	T_CASE(t_model_pipeline_refused),
	T_CASE(t_endpoint_config_sdk),
	T_CASE(t_endpoint_config_local_defaults),
	T_CASE(t_endpoint_config_bad_inputs),
	T_CASE(t_endpoint)
)
