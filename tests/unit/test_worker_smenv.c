/*
 * test_worker_smenv.c - the SageMaker contract a training program sees:
 * hyperparameter arguments, SM_* variables, what the request's Environment
 * may and may not set, and the input/config files.
 */
#include "t.h"

#include <cjson/cJSON.h>

#include "smenv.h"

static struct td_kv hps[] = {
	{ "sagemaker_program", "\"train.py\"" },
	{ "sagemaker_submit_directory", "\"file:///src/sourcedir.tar.gz\"" },
	{ "sagemaker_container_log_level", "10" },
	{ "sagemaker_region", "\"us-east-1\"" },
	{ "sagemaker_distributed_dataparallel_enabled", "false" },
	{ "_tuning_objective_metric", "\"val_loss\"" },
	{ "learning_rate", "0.01" },
	{ "epochs", "\"10\"" },		/* JSON-quoted by the SDK */
	{ "batch_size", "32" },
	{ "optimizer", "adam" },	/* not JSON: the raw string */
	{ "flag", "true" },
	{ "layers", "[64, 32]" },
	{ "k", "3" },
	{ "cfg", "{\"b\": 2, \"a\": \"x\"}" },
};

static struct td_kv envs[] = {
	{ "FOO", "bar" },
	{ "SM_MODEL_DIR", "/tmp/evil" },
	{ "SM_CHANNEL_TRAIN", "/tmp/evil" },
	{ "TRAINING_JOB_NAME", "evil" },
	{ "SM_EXTRA", "x" },
	{ "1BAD", "x" },
	{ "PYTHONUNBUFFERED", "0" },
	{ "PATH", "/opt/venv/bin:/usr/bin" },
};

static struct td_channel channels[] = {
	{ "train", "file:///data/train", "text/csv", NULL, NULL },
	{ "test", "file:///data/test", NULL, "Gzip", NULL },
};

static struct td_training_spec spec = {
	.name = "job-1",
	.training_image = "python3",
	.input_mode = "File",
	.hyperparameters = hps,
	.n_hyperparameters = sizeof(hps) / sizeof(hps[0]),
	.environment = envs,
	.n_environment = sizeof(envs) / sizeof(envs[0]),
	.channels = channels,
	.n_channels = 2,
	.instance_type = "ml.m5.large",
	.instance_count = 1,
	.max_runtime_s = 86400,
};

static char *parent_env[] = {
	"PATH=/usr/bin:/bin", "HOME=/home/u", "LANG=C.UTF-8", "LC_ALL=C",
	"SECRET_TOKEN=hunter2", "TUNERD_STATE_DIR=/var/lib/tunerd",
	"SM_MODEL_DIR=/from/daemon", NULL,
};

static void
build(struct strv *env, struct buf *refused, int cpus_given)
{
	struct smenv_hps h;
	struct smenv_ctx c = { &spec, &h, "/jobs/job-1", 4, cpus_given,
	    parent_env };

	smenv_hps_decode(spec.hyperparameters, spec.n_hyperparameters, &h);
	smenv_build(&c, env, refused);
	smenv_hps_free(&h);
}

static void
t_hps_split(void)
{
	struct smenv_hps h;

	smenv_hps_decode(spec.hyperparameters, spec.n_hyperparameters, &h);
	T_EQ_STR(h.program, "train.py");
	T_EQ_STR(h.submit_dir, "file:///src/sourcedir.tar.gz");
	T_ASSERT(h.log_level->type == PYJ_INT);
	T_EQ_STR(h.log_level->text, "10");
	T_EQ_INT(h.user->n, 8);
	T_ASSERT(pyj_get(h.user, "_tuning_objective_metric") == NULL);
	T_ASSERT(pyj_get(h.user, "sagemaker_region") == NULL);
	T_ASSERT(pyj_get(h.framework, "sagemaker_region") == NULL);
	T_ASSERT(pyj_get(h.framework,
	    "sagemaker_distributed_dataparallel_enabled") != NULL);
	T_ASSERT(pyj_get(h.user, "epochs")->type == PYJ_STR);
	T_ASSERT(pyj_get(h.user, "optimizer")->type == PYJ_STR);
	T_ASSERT(pyj_get(h.user, "learning_rate")->type == PYJ_FLOAT);
	smenv_hps_free(&h);
	smenv_hps_free(NULL);
}

static void
t_args_sorted_and_rendered(void)
{
	static const char *want[] = {
		"--batch_size", "32", "--cfg", "a=x,b=2", "--epochs", "10",
		"--flag", "True", "-k", "3", "--layers", "[64, 32]",
		"--learning_rate", "0.01", "--optimizer", "adam", NULL,
	};
	struct smenv_hps h;
	struct strv args = { 0 };
	size_t i;

	smenv_hps_decode(spec.hyperparameters, spec.n_hyperparameters, &h);
	smenv_args(&h, &args);
	for (i = 0; want[i] != NULL; i++) {
		T_ASSERT(i < args.n);
		T_EQ_STR(args.v[i], want[i]);
	}
	T_EQ_INT(args.n, i);
	T_ASSERT(args.v[args.n] == NULL);
	strv_free(&args);
	smenv_hps_free(&h);
}

static void
t_environment_cannot_override(void)
{
	struct strv env = { 0 };
	struct buf refused = { 0 };

	build(&env, &refused, 0);
	T_EQ_STR(strv_getenv(&env, "SM_MODEL_DIR"), "/jobs/job-1/model");
	T_EQ_STR(strv_getenv(&env, "SM_CHANNEL_TRAIN"),
	    "/jobs/job-1/input/data/train");
	T_EQ_STR(strv_getenv(&env, "TRAINING_JOB_NAME"), "job-1");
	T_ASSERT(strv_getenv(&env, "SM_EXTRA") == NULL);
	T_ASSERT(strv_getenv(&env, "1BAD") == NULL);
	T_EQ_STR(refused.data,
	    "SM_MODEL_DIR, SM_CHANNEL_TRAIN, TRAINING_JOB_NAME, SM_EXTRA, 1BAD");
	/* Ordinary names pass, and may replace inherited defaults. */
	T_EQ_STR(strv_getenv(&env, "FOO"), "bar");
	T_EQ_STR(strv_getenv(&env, "PYTHONUNBUFFERED"), "0");
	T_EQ_STR(strv_getenv(&env, "PATH"), "/opt/venv/bin:/usr/bin");
	strv_free(&env);
	buf_free(&refused);
}

static void
t_nothing_else_leaks(void)
{
	struct strv env = { 0 };
	struct buf refused = { 0 };
	size_t i, n_sm_model = 0;

	build(&env, &refused, 0);
	T_ASSERT(strv_getenv(&env, "SECRET_TOKEN") == NULL);
	T_ASSERT(strv_getenv(&env, "TUNERD_STATE_DIR") == NULL);
	T_EQ_STR(strv_getenv(&env, "HOME"), "/home/u");
	T_EQ_STR(strv_getenv(&env, "LANG"), "C.UTF-8");
	T_EQ_STR(strv_getenv(&env, "LC_ALL"), "C");
	T_ASSERT(strv_getenv(&env, "OMP_NUM_THREADS") == NULL);
	for (i = 0; i < env.n; i++)
		if (strncmp(env.v[i], "SM_MODEL_DIR=", 13) == 0)
			n_sm_model++;
	T_EQ_INT(n_sm_model, 1);
	strv_free(&env);
	buf_free(&refused);
	build(&env, &refused, 1);
	T_EQ_STR(strv_getenv(&env, "OMP_NUM_THREADS"), "4");
	strv_free(&env);
	buf_free(&refused);
}

static void
t_sm_variables(void)
{
	struct strv env = { 0 };
	struct buf refused = { 0 };

	build(&env, &refused, 0);
	T_EQ_STR(strv_getenv(&env, "SM_CHANNELS"), "[\"test\",\"train\"]");
	T_EQ_STR(strv_getenv(&env, "SM_CHANNEL_TEST"),
	    "/jobs/job-1/input/data/test");
	T_EQ_STR(strv_getenv(&env, "SM_HPS"),
	    "{\"batch_size\":32,\"cfg\":{\"a\":\"x\",\"b\":2},\"epochs\":\"10\","
	    "\"flag\":true,\"k\":3,\"layers\":[64,32],\"learning_rate\":0.01,"
	    "\"optimizer\":\"adam\"}");
	T_EQ_STR(strv_getenv(&env, "SM_HP_LEARNING_RATE"), "0.01");
	T_EQ_STR(strv_getenv(&env, "SM_HP_EPOCHS"), "10");
	T_EQ_STR(strv_getenv(&env, "SM_HP_FLAG"), "true");
	T_EQ_STR(strv_getenv(&env, "SM_HP_LAYERS"), "[64,32]");
	T_EQ_STR(strv_getenv(&env, "SM_HP_K"), "3");
	T_EQ_STR(strv_getenv(&env, "SM_USER_ARGS"),
	    "[\"--batch_size\",\"32\",\"--cfg\",\"a=x,b=2\",\"--epochs\",\"10\","
	    "\"--flag\",\"True\",\"-k\",\"3\",\"--layers\",\"[64, 32]\","
	    "\"--learning_rate\",\"0.01\",\"--optimizer\",\"adam\"]");
	T_EQ_STR(strv_getenv(&env, "SM_MODULE_NAME"), "train");
	T_EQ_STR(strv_getenv(&env, "SM_USER_ENTRY_POINT"), "train.py");
	T_EQ_STR(strv_getenv(&env, "SM_MODULE_DIR"),
	    "file:///src/sourcedir.tar.gz");
	T_EQ_STR(strv_getenv(&env, "SM_LOG_LEVEL"), "10");
	T_EQ_STR(strv_getenv(&env, "SM_FRAMEWORK_PARAMS"),
	    "{\"sagemaker_distributed_dataparallel_enabled\":false}");
	T_EQ_STR(strv_getenv(&env, "SM_NUM_CPUS"), "4");
	T_EQ_STR(strv_getenv(&env, "SM_NUM_GPUS"), "0");
	T_EQ_STR(strv_getenv(&env, "SM_HOSTS"), "[\"algo-1\"]");
	T_EQ_STR(strv_getenv(&env, "SM_CURRENT_HOST"), "algo-1");
	T_EQ_STR(strv_getenv(&env, "SM_CURRENT_INSTANCE_TYPE"), "ml.m5.large");
	T_EQ_STR(strv_getenv(&env, "SM_NETWORK_INTERFACE_NAME"), "lo");
	T_EQ_STR(strv_getenv(&env, "SM_IS_HETERO"), "false");
	T_EQ_STR(strv_getenv(&env, "SM_FRAMEWORK_MODULE"), "");
	T_EQ_STR(strv_getenv(&env, "SM_INPUT_DIR"), "/jobs/job-1/input");
	T_EQ_STR(strv_getenv(&env, "SM_INPUT_CONFIG_DIR"),
	    "/jobs/job-1/input/config");
	T_EQ_STR(strv_getenv(&env, "SM_OUTPUT_DIR"), "/jobs/job-1/output");
	T_EQ_STR(strv_getenv(&env, "SM_OUTPUT_DATA_DIR"),
	    "/jobs/job-1/output/data");
	T_EQ_STR(strv_getenv(&env, "SM_OUTPUT_INTERMEDIATE_DIR"),
	    "/jobs/job-1/output/intermediate");
	strv_free(&env);
	buf_free(&refused);
}

static void
t_training_env_json(void)
{
	struct strv env = { 0 };
	struct buf refused = { 0 };
	cJSON *te, *dirs;

	build(&env, &refused, 0);
	te = cJSON_Parse(strv_getenv(&env, "SM_TRAINING_ENV"));
	T_ASSERT(te != NULL);
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(te, "job_name")),
	    "job-1");
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(te, "model_dir")),
	    "/jobs/job-1/model");
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(te,
	    "master_hostname")), "algo-1");
	T_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(te, "is_master")));
	dirs = cJSON_GetObjectItem(te, "channel_input_dirs");
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(dirs, "test")),
	    "/jobs/job-1/input/data/test");
	T_EQ_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(te,
	    "hyperparameters"), "batch_size")->valueint, 32);
	T_ASSERT(cJSON_GetObjectItem(te, "additional_framework_parameters"));
	T_EQ_INT(cJSON_GetObjectItem(te, "log_level")->valueint, 10);
	/* Keys sorted, as json.dumps(sort_keys=True) writes them. */
	T_EQ_STR(te->child->string, "additional_framework_parameters");
	cJSON_Delete(te);
	strv_free(&env);
	buf_free(&refused);
}

static void
t_config_files(void)
{
	struct buf b = { 0 };
	struct pyj *v;

	v = smenv_hyperparameters_json(&spec);
	pyj_dumps(v, &b);
	pyj_free(v);
	T_ASSERT(strstr(b.data, "\"epochs\":\"\\\"10\\\"\"") != NULL);
	T_ASSERT(strstr(b.data, "\"sagemaker_program\":\"\\\"train.py\\\"\""));
	buf_reset(&b);
	v = smenv_input_data_config(&spec);
	pyj_dumps(v, &b);
	pyj_free(v);
	T_EQ_STR(b.data, "{\"test\":{\"CompressionType\":\"Gzip\","
	    "\"RecordWrapperType\":\"None\",\"S3DistributionType\":"
	    "\"FullyReplicated\",\"TrainingInputMode\":\"File\"},\"train\":"
	    "{\"ContentType\":\"text/csv\",\"RecordWrapperType\":\"None\","
	    "\"S3DistributionType\":\"FullyReplicated\",\"TrainingInputMode\":"
	    "\"File\"}}");
	buf_reset(&b);
	v = smenv_resource_config(&spec);
	pyj_dumps(v, &b);
	pyj_free(v);
	T_ASSERT(strstr(b.data, "\"current_host\":\"algo-1\""));
	T_ASSERT(strstr(b.data, "\"hosts\":[\"algo-1\"]"));
	T_ASSERT(strstr(b.data, "\"network_interface_name\":\"lo\""));
	buf_free(&b);
}

static void
t_no_program(void)
{
	struct td_kv none[] = { { "x", "1" } };
	struct td_training_spec bare = spec;
	struct smenv_hps h;
	struct smenv_ctx c = { &bare, &h, "/j", 1, 0, NULL };
	struct strv env = { 0 };
	struct buf refused = { 0 };

	bare.n_environment = 0;
	smenv_hps_decode(none, 1, &h);
	T_ASSERT(h.program == NULL && h.submit_dir == NULL);
	smenv_build(&c, &env, &refused);
	T_EQ_STR(strv_getenv(&env, "SM_MODULE_NAME"), "");
	T_EQ_STR(strv_getenv(&env, "SM_USER_ENTRY_POINT"), "");
	T_EQ_STR(strv_getenv(&env, "SM_MODULE_DIR"), "/j/code");
	T_EQ_STR(strv_getenv(&env, "SM_LOG_LEVEL"), "20");
	/* No inherited PATH: a safe default. */
	T_EQ_STR(strv_getenv(&env, "PATH"), "/usr/local/bin:/usr/bin:/bin");
	strv_free(&env);
	buf_free(&refused);
	smenv_hps_free(&h);
}

T_MAIN(T_CASE(t_hps_split), T_CASE(t_args_sorted_and_rendered),
    T_CASE(t_environment_cannot_override), T_CASE(t_nothing_else_leaks),
    T_CASE(t_sm_variables), T_CASE(t_training_env_json),
    T_CASE(t_config_files), T_CASE(t_no_program))
