/*
 * test_proto_training.c - CreateTrainingJob decoding: the request the
 * SageMaker Python SDK sends, local variants, and one bad input per rule.
 */
#include "test_proto_util.h"
#include "training.h"

static struct td_training_spec *
decode_ok(cJSON *v)
{
	struct apierr e = { 0 };
	struct td_training_spec *s = NULL;

	TP_OK(training_spec_decode(v, &s, &e), e);
	T_ASSERT(s != NULL);
	return s;
}

/* Decodes v expecting failure; checks the message names want. */
static void
decode_fails(cJSON *v, const char *want1, const char *want2)
{
	struct apierr e = { 0 };
	struct td_training_spec *s = (void *)1;

	TP_FAILS(training_spec_decode(v, &s, &e), e, want1, want2);
	T_EQ_STR(e.type, APIERR_VALIDATION);
	T_ASSERT(s == NULL);
}

static void
t_sdk_request(void)
{
	cJSON *v = tp_load("training_sdk.json");
	struct td_training_spec *s = decode_ok(v);

	T_EQ_STR(s->name, "pytorch-training-2024-05-01-12-00-00-000");
	T_EQ_STR(s->training_image, "763104351884.dkr.ecr.us-east-1.amazonaws.com/"
	    "pytorch-training:1.13.1-cpu-py39");
	T_ASSERT(s->algorithm_name == NULL);
	T_EQ_STR(s->input_mode, "File");
	T_EQ_INT(s->n_metrics, 3);
	T_EQ_STR(s->metrics[1].name, "val_loss");
	T_EQ_STR(s->metrics[1].regex, " val_loss: ([0-9\\.]+)");
	T_EQ_INT(s->n_hyperparameters, 8);
	T_EQ_STR(s->hyperparameters[0].key, "epochs");	/* request order */
	T_EQ_STR(training_spec_hp(s, "sagemaker_program"), "\"train.py\"");
	T_ASSERT(training_spec_hp(s, "nope") == NULL);
	T_EQ_INT(s->n_environment, 2);
	T_EQ_INT(s->n_channels, 2);
	T_EQ_STR(s->channels[0].name, "train");
	T_EQ_STR(s->channels[0].uri,
	    "s3://sagemaker-us-east-1-123456789012/boston-housing/train");
	T_ASSERT(s->channels[0].content_type == NULL);
	T_EQ_STR(s->channels[1].content_type, "text/csv");
	T_EQ_STR(s->channels[1].compression, "None");
	T_EQ_STR(s->output_path, "s3://sagemaker-us-east-1-123456789012/");
	T_ASSERT(strncmp(s->role_arn, "arn:aws:iam::123456789012:role/", 31) == 0);
	T_EQ_STR(s->instance_type, "ml.m5.large");
	T_EQ_INT(s->instance_count, 1);
	T_EQ_INT(s->volume_size_gb, 30);
	T_EQ_INT(s->max_runtime_s, 86400);
	T_EQ_INT(s->max_wait_s, 0);
	T_EQ_INT(s->max_retry_attempts, 2);
	training_spec_free(s);
	training_spec_free(NULL);
	cJSON_Delete(v);
}

static void
t_local_minimal(void)
{
	cJSON *v = tp_parse("{\"TrainingJobName\": \"local-1\", "
	    "\"AlgorithmSpecification\": {\"TrainingImage\": \"/usr/bin/python3\"}, "
	    "\"InputDataConfig\": ["
	    "{\"ChannelName\": \"train\", \"DataSource\": {\"S3DataSource\": "
	    "{\"S3Uri\": \"file:///data/train\"}}}, "
	    "{\"ChannelName\": \"validation\", \"DataSource\": {\"S3DataSource\": "
	    "{\"S3DataType\": \"S3Prefix\", \"S3Uri\": \"/data/validation\"}}}, "
	    "{\"ChannelName\": \"extra\", \"DataSource\": {\"S3DataSource\": "
	    "{\"S3Uri\": \"https://example.com/x.csv\"}}}, "
	    "{\"ChannelName\": \"fs\", \"DataSource\": {\"FileSystemDataSource\": "
	    "{\"DirectoryPath\": \"/srv/data\"}}}]}");
	struct td_training_spec *s = decode_ok(v);

	T_EQ_STR(s->input_mode, "File");	/* default */
	T_EQ_INT(s->instance_count, 1);
	T_EQ_INT(s->max_runtime_s, 86400);
	T_ASSERT(s->role_arn == NULL && s->output_path == NULL);
	T_EQ_INT(s->n_channels, 4);
	T_EQ_STR(s->channels[0].uri, "file:///data/train");
	T_EQ_STR(s->channels[1].uri, "/data/validation");
	T_EQ_STR(s->channels[2].uri, "https://example.com/x.csv");
	T_EQ_STR(s->channels[3].uri, "/srv/data");
	T_EQ_INT(s->n_hyperparameters, 0);
	training_spec_free(s);
	cJSON_Delete(v);
}

static void
t_algorithm_name_and_entrypoint(void)
{
	cJSON *v = tp_parse("{\"TrainingJobName\": \"b\", "
	    "\"AlgorithmSpecification\": {\"AlgorithmName\": \"tunerd-mlp\", "
	    "\"TrainingInputMode\": \"File\", "
	    "\"ContainerEntrypoint\": [\"python3\", \"train.py\"], "
	    "\"ContainerArguments\": [\"--x\", \"1\"]}}");
	struct td_training_spec *s = decode_ok(v);

	T_EQ_STR(s->algorithm_name, "tunerd-mlp");
	T_EQ_INT(s->n_entrypoint, 2);
	T_EQ_STR(s->entrypoint[1], "train.py");
	T_EQ_INT(s->n_arguments, 2);
	T_EQ_STR(s->arguments[0], "--x");
	training_spec_free(s);
	cJSON_Delete(v);
}

/* One bad input per rule, each a change of the SDK's request. */
static const struct {
	const char *path, *value, *want1, *want2;
} bad[] = {
	{ "TrainingJobName", "\"abc!\"", "at 'TrainingJobName'",
	  "regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}" },
	{ "TrainingJobName", NULL, "Value null at 'TrainingJobName'",
	  "must not be null" },
	{ "AlgorithmSpecification.MetricDefinitions[2].Regex", "\"\"",
	  "at 'AlgorithmSpecification.MetricDefinitions[2].Regex'",
	  "length greater than or equal to 1" },
	{ "AlgorithmSpecification.MetricDefinitions[1].Regex", "\"val_loss: ([0-9\"",
	  "at 'AlgorithmSpecification.MetricDefinitions[1].Regex'",
	  "valid regular expression (missing terminating ]" },
	{ "AlgorithmSpecification.MetricDefinitions[1].Name", "\"train_loss\"",
	  "at 'AlgorithmSpecification.MetricDefinitions[1].Name'", "unique" },
	{ "AlgorithmSpecification.TrainingInputMode", "\"Stream\"",
	  "at 'AlgorithmSpecification.TrainingInputMode'",
	  "[Pipe, File, FastFile]" },
	{ "AlgorithmSpecification.Foo", "1",
	  "at 'AlgorithmSpecification.Foo'", "not part of AlgorithmSpecification" },
	{ "AlgorithmSpecification.AlgorithmName", "\"xgboost\"",
	  "at 'AlgorithmSpecification.TrainingImage'", "not both" },
	{ "AlgorithmSpecification.TrainingImage", NULL,
	  "at 'AlgorithmSpecification.TrainingImage'", "AlgorithmName" },
	{ "AlgorithmSpecification", NULL, "at 'AlgorithmSpecification'",
	  "must not be null" },
	{ "HyperParameters.epochs", "20", "at 'HyperParameters.epochs'",
	  "must be a string, not a number" },
	{ "InputDataConfig[1].ChannelName", "\"train\"",
	  "at 'InputDataConfig[1].ChannelName'", "unique" },
	{ "InputDataConfig[0].ChannelName", "\"tr ain\"",
	  "at 'InputDataConfig[0].ChannelName'", "regular expression" },
	{ "InputDataConfig[0].ChannelName", "\"..\"",
	  "at 'InputDataConfig[0].ChannelName'", "must not be" },
	{ "InputDataConfig[1].ChannelName", "\".\"",
	  "at 'InputDataConfig[1].ChannelName'", "must not be" },
	{ "InputDataConfig[0].DataSource.S3DataSource.S3Uri", "\"ftp://x/y\"",
	  "at 'InputDataConfig[0].DataSource.S3DataSource.S3Uri'",
	  "regular expression" },
	{ "InputDataConfig[0].DataSource.S3DataSource.S3Uri", "\"data/train\"",
	  "at 'InputDataConfig[0].DataSource.S3DataSource.S3Uri'",
	  "regular expression" },
	{ "InputDataConfig[0].DataSource.S3DataSource", NULL,
	  "at 'InputDataConfig[0].DataSource'", "exactly one" },
	{ "InputDataConfig[0].DataSource.FileSystemDataSource",
	  "{\"DirectoryPath\": \"/d\"}", "at 'InputDataConfig[0].DataSource'",
	  "exactly one" },
	{ "InputDataConfig[0].DataSource.DatasetSource",
	  "{\"DatasetArn\": \"arn:aws:sagemaker:us-east-1:123456789012:hub-content/h/DataSet/d\"}",
	  "at 'InputDataConfig[0].DataSource.DatasetSource'", "not supported" },
	{ "InputDataConfig", "[]", "at 'InputDataConfig'",
	  "length greater than or equal to 1" },
	{ "InputDataConfig[0].CompressionType", "\"Zip\"",
	  "at 'InputDataConfig[0].CompressionType'", "[None, Gzip]" },
	{ "ResourceConfig.InstanceType", "\"ml.m5.tiny\"",
	  "at 'ResourceConfig.InstanceType'", "enum value set" },
	{ "ResourceConfig.InstanceCount", "-1",
	  "at 'ResourceConfig.InstanceCount'", "greater than or equal to 0" },
	{ "StoppingCondition.MaxRuntimeInSeconds", "0",
	  "at 'StoppingCondition.MaxRuntimeInSeconds'",
	  "greater than or equal to 1" },
	{ "RetryStrategy.MaximumRetryAttempts", "31",
	  "at 'RetryStrategy.MaximumRetryAttempts'",
	  "less than or equal to 30" },
	{ "RoleArn", "\"role\"", "at 'RoleArn'", "length greater than or equal to 20" },
	{ "Environment.PATH", "true", "at 'Environment.PATH'", "must be a string" },
	{ "Tags[0].Key", "\"\"", "at 'Tags[0].Key'", "length greater than or equal to 1" },
	{ "EnableNetworkIsolation", "\"false\"", "at 'EnableNetworkIsolation'",
	  "must be a boolean" },
	{ "OutputDataConfig.S3OutputPath", NULL,
	  "Value null at 'OutputDataConfig.S3OutputPath'", "must not be null" },
	{ "ProfilerRuleConfigurations[0].RuleEvaluatorImage", NULL,
	  "at 'ProfilerRuleConfigurations[0].RuleEvaluatorImage'",
	  "must not be null" },
};

static void
t_bad_inputs(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *v = tp_load("training_sdk.json");

		tp_set(v, bad[i].path, bad[i].value);
		fprintf(stderr, "case %zu (%s):\n", i, bad[i].path);
		decode_fails(v, bad[i].want1, bad[i].want2);
		cJSON_Delete(v);
	}
}

static void
t_relative_directory_path(void)
{
	cJSON *v = tp_load("training_sdk.json");

	tp_set(v, "InputDataConfig[0].DataSource.S3DataSource", NULL);
	tp_set(v, "InputDataConfig[0].DataSource.FileSystemDataSource",
	    "{\"DirectoryPath\": \"data/train\"}");
	decode_fails(v,
	    "at 'InputDataConfig[0].DataSource.FileSystemDataSource.DirectoryPath'",
	    "absolute");
	cJSON_Delete(v);
}

static void
t_hyperparameter_limits(void)
{
	cJSON *v = tp_load("training_sdk.json");
	cJSON *hp = cJSON_GetObjectItem(v, "HyperParameters");
	char key[32], *long_value;
	int i;

	/* 2500 characters is the limit for a value; 2501 is too many. */
	long_value = malloc(2502);
	memset(long_value, 'x', 2501);
	long_value[2501] = '\0';
	cJSON_AddStringToObject(hp, "big", long_value);
	decode_fails(v, "at 'HyperParameters.big'",
	    "length less than or equal to 2500");
	long_value[2500] = '\0';
	cJSON_ReplaceItemInObject(hp, "big", cJSON_CreateString(long_value));
	training_spec_free(decode_ok(v));
	free(long_value);
	/* 100 hyperparameters are fine, 101 are not. */
	for (i = cJSON_GetArraySize(hp); i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		cJSON_AddStringToObject(hp, key, "1");
	}
	training_spec_free(decode_ok(v));
	cJSON_AddStringToObject(hp, "one_too_many", "1");
	decode_fails(v, "at 'HyperParameters'", "less than or equal to 100");
	cJSON_Delete(v);
}

static void
t_metric_definitions_limit(void)
{
	cJSON *v = tp_load("training_sdk.json");
	cJSON *defs = cJSON_GetObjectItem(cJSON_GetObjectItem(v,
	    "AlgorithmSpecification"), "MetricDefinitions");
	char name[32];
	int i;

	for (i = cJSON_GetArraySize(defs); i < 41; i++) {
		cJSON *d = cJSON_CreateObject();

		snprintf(name, sizeof(name), "m%d", i);
		cJSON_AddStringToObject(d, "Name", name);
		cJSON_AddStringToObject(d, "Regex", "x=(.*)");
		cJSON_AddItemToArray(defs, d);
	}
	decode_fails(v, "at 'AlgorithmSpecification.MetricDefinitions'",
	    "less than or equal to 40");
	cJSON_Delete(v);
}

T_MAIN(
	T_CASE(t_sdk_request),
	T_CASE(t_local_minimal),
	T_CASE(t_algorithm_name_and_entrypoint),
	T_CASE(t_bad_inputs),
	T_CASE(t_relative_directory_path),
	T_CASE(t_hyperparameter_limits),
	T_CASE(t_metric_definitions_limit)
)
