/*
 * test_proto_tuning.c - CreateHyperParameterTuningJob decoding (the
 * notebook's request as the SageMaker SDK sends it, and one bad input per
 * rule), trial requests, and AskTuningJob/TellTuningJob.
 */
#include <math.h>

#include "test_proto_util.h"
#include "tuning.h"

#define CFG "HyperParameterTuningJobConfig."
#define RANGES CFG "ParameterRanges."

static struct td_tuning_spec *
decode_ok(cJSON *v)
{
	struct apierr e = { 0 };
	struct td_tuning_spec *t = NULL;

	TP_OK(tuning_spec_decode(v, &t, &e), e);
	T_ASSERT(t != NULL);
	return t;
}

static void
decode_fails(cJSON *v, const char *want1, const char *want2)
{
	struct apierr e = { 0 };
	struct td_tuning_spec *t = (void *)1;

	TP_FAILS(tuning_spec_decode(v, &t, &e), e, want1, want2);
	T_EQ_STR(e.type, APIERR_VALIDATION);
	T_ASSERT(t == NULL);
}

static void
t_notebook_request(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	struct td_tuning_spec *t = decode_ok(v);
	const struct td_param_range *p;

	T_EQ_STR(t->name, "pytorch-training-240501-1200");
	T_EQ_INT(t->strategy, TD_STRATEGY_BAYESIAN);
	T_EQ_STR(t->objective_metric, "val_loss");
	T_EQ_INT(t->maximize, 0);
	T_EQ_INT(t->max_jobs, 15);
	T_EQ_INT(t->max_parallel, 5);
	T_EQ_INT(t->max_runtime_s, 0);
	T_EQ_INT(t->early_stopping_auto, 0);
	T_EQ_INT(t->has_seed, 0);
	T_EQ_INT(t->has_target, 0);
	T_EQ_INT(t->n_params, 3);
	/* Integer ranges first, then continuous, then categorical. */
	T_EQ_STR(t->params[0].name, "epochs");
	T_EQ_STR(t->params[1].name, "batch_size");
	T_EQ_STR(t->params[2].name, "learning_rate");
	p = tuning_spec_param(t, "learning_rate");
	T_ASSERT(p == &t->params[2]);
	T_EQ_INT(p->kind, TD_PARAM_CONTINUOUS);
	T_EQ_INT(p->scaling, TD_SCALING_LOG);
	T_NEAR(p->min, 0.001, 0);
	T_NEAR(p->max, 0.2, 0);
	p = tuning_spec_param(t, "batch_size");
	T_EQ_INT(p->kind, TD_PARAM_INTEGER);
	T_EQ_INT(p->scaling, TD_SCALING_AUTO);
	T_NEAR(p->min, 64, 0);
	T_NEAR(p->max, 256, 0);
	T_ASSERT(tuning_spec_param(t, "momentum") == NULL);
	T_ASSERT(t->definition != NULL);
	T_ASSERT(t->definition->name == NULL);
	T_EQ_STR(t->definition->metrics[0].regex, " val_loss: ([0-9\\.]+)");
	T_EQ_STR(training_spec_hp(t->definition, "sagemaker_program"),
	    "\"train.py\"");
	T_EQ_INT(t->definition->n_channels, 2);
	T_EQ_STR(t->definition->instance_type, "ml.m5.large");
	T_ASSERT(t->definition_json != NULL);
	T_EQ_STR(tuning_strategy_name(t->strategy), "Bayesian");
	T_EQ_STR(tuning_scaling_name(TD_SCALING_REVERSE_LOG), "ReverseLogarithmic");
	tuning_spec_free(t);
	tuning_spec_free(NULL);
	cJSON_Delete(v);
}

static void
t_everything_else_decoded(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	struct td_tuning_spec *t;

	tp_set(v, CFG "Strategy", "\"Hyperband\"");
	tp_set(v, CFG "StrategyConfig",
	    "{\"HyperbandStrategyConfig\": {\"MinResource\": 1, \"MaxResource\": 50}}");
	tp_set(v, CFG "ResourceLimits.MaxRuntimeInSeconds", "3600");
	tp_set(v, CFG "RandomSeed", "42");
	tp_set(v, CFG "TuningJobCompletionCriteria",
	    "{\"TargetObjectiveMetricValue\": 0.05, "
	    "\"BestObjectiveNotImproving\": {\"MaxNumberOfTrainingJobsNotImproving\": 5}, "
	    "\"ConvergenceDetected\": {\"CompleteOnConvergence\": \"Enabled\"}}");
	tp_set(v, RANGES "CategoricalParameterRanges",
	    "[{\"Name\": \"optimizer\", \"Values\": [\"sgd\", \"adam\"]}]");
	tp_set(v, RANGES "ContinuousParameterRanges[1]",
	    "{\"Name\": \"momentum\", \"MinValue\": \"0.5\", \"MaxValue\": \"0.999\", "
	    "\"ScalingType\": \"ReverseLogarithmic\"}");
	t = decode_ok(v);
	T_EQ_INT(t->strategy, TD_STRATEGY_HYPERBAND);
	T_EQ_INT(t->hb_min_resource, 1);
	T_EQ_INT(t->hb_max_resource, 50);
	T_EQ_INT(t->max_runtime_s, 3600);
	T_EQ_INT(t->has_seed, 1);
	T_EQ_INT(t->seed, 42);
	T_EQ_INT(t->has_target, 1);
	T_NEAR(t->target, 0.05, 1e-7);	/* a float in the model */
	T_EQ_INT(t->not_improving, 5);
	T_EQ_INT(t->complete_on_convergence, 1);
	T_EQ_INT(t->n_params, 5);
	T_EQ_STR(t->params[4].name, "optimizer");
	T_EQ_INT(t->params[4].kind, TD_PARAM_CATEGORICAL);
	T_EQ_INT(t->params[4].n_values, 2);
	T_EQ_STR(t->params[4].values[1], "adam");
	T_EQ_INT(tuning_spec_param(t, "momentum")->scaling, TD_SCALING_REVERSE_LOG);
	tuning_spec_free(t);
	cJSON_Delete(v);
}

static void
t_local_without_cloud_fields(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	struct td_tuning_spec *t;

	tp_set(v, "TrainingJobDefinition.RoleArn", NULL);
	tp_set(v, "TrainingJobDefinition.OutputDataConfig", NULL);
	tp_set(v, "TrainingJobDefinition.ResourceConfig", NULL);
	tp_set(v, "TrainingJobDefinition.StoppingCondition", NULL);
	tp_set(v, "TrainingJobDefinition.AlgorithmSpecification.TrainingInputMode",
	    NULL);
	tp_set(v, "TrainingJobDefinition.InputDataConfig[0].DataSource.S3DataSource",
	    "{\"S3Uri\": \"file:///home/u/boston/train\"}");
	t = decode_ok(v);
	T_EQ_STR(t->definition->channels[0].uri, "file:///home/u/boston/train");
	T_EQ_INT(t->definition->max_runtime_s, 86400);
	T_EQ_STR(t->definition->input_mode, "File");
	tuning_spec_free(t);
	cJSON_Delete(v);
}

static void
t_ask_tell_job_has_no_definition(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	struct td_tuning_spec *t;
	struct apierr e = { 0 };
	char *json = (char *)1;

	tp_set(v, "TrainingJobDefinition", NULL);
	t = decode_ok(v);
	T_ASSERT(t->definition == NULL && t->definition_json == NULL);
	T_EQ_STR(t->objective_metric, "val_loss");
	TP_FAILS(tuning_trial_request(t, "x-001", NULL, 0, &json, &e), e,
	    "no training job definition");
	T_ASSERT(json == NULL);
	tuning_spec_free(t);
	cJSON_Delete(v);
}

static void
t_single_entry_definitions_list(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	cJSON *def = cJSON_DetachItemFromObject(v, "TrainingJobDefinition");
	cJSON *list = cJSON_AddArrayToObject(v, "TrainingJobDefinitions");
	struct td_tuning_spec *t;

	cJSON_AddItemToArray(list, def);
	t = decode_ok(v);
	T_ASSERT(t->definition != NULL);
	tuning_spec_free(t);
	tp_set(v, "TrainingJobDefinitions[0].AlgorithmSpecification.AlgorithmName",
	    "\"x\"");
	decode_fails(v, "at 'TrainingJobDefinitions[0].AlgorithmSpecification."
	    "TrainingImage'", "not both");
	cJSON_Delete(v);
}

static void
t_trial_request(void)
{
	cJSON *v = tp_load("tuning_notebook.json"), *req, *hp;
	struct td_tuning_spec *t = decode_ok(v);
	struct td_training_spec *s;
	struct td_kv hps[] = {
		{ "batch_size", "128" }, { "epochs", "23" },
		{ "learning_rate", "0.0123" },
	};
	struct apierr e = { 0 };
	char *json = NULL;

	TP_OK(tuning_trial_request(t, "pytorch-training-240501-1200-001-0a1b2c3d",
	    hps, 3, &json, &e), e);
	req = tp_parse(json);
	TP_OK(training_spec_decode(req, &s, &e), e);
	T_EQ_STR(s->name, "pytorch-training-240501-1200-001-0a1b2c3d");
	T_EQ_STR(training_spec_hp(s, "epochs"), "23");
	T_EQ_STR(training_spec_hp(s, "learning_rate"), "0.0123");
	T_EQ_STR(training_spec_hp(s, "sagemaker_program"), "\"train.py\"");
	T_EQ_INT(s->n_hyperparameters, 8 + 3);
	T_EQ_STR(s->metrics[0].name, "val_loss");
	T_EQ_INT(s->n_channels, 2);
	T_EQ_STR(s->instance_type, "ml.m5.large");
	hp = cJSON_GetObjectItem(req, "HyperParameters");
	T_ASSERT(cJSON_IsObject(hp));
	T_ASSERT(cJSON_GetObjectItem(req, "StaticHyperParameters") == NULL);
	training_spec_free(s);
	cJSON_Delete(req);
	free(json);
	/* A trial name the pattern refuses is refused here, not by the worker. */
	TP_FAILS(tuning_trial_request(t, "bad name", hps, 3, &json, &e), e,
	    "'TrainingJobName'");
	tuning_spec_free(t);
	cJSON_Delete(v);
}

static void
t_tuning_resource_config_used(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	struct td_tuning_spec *t;

	tp_set(v, "TrainingJobDefinition.ResourceConfig", NULL);
	tp_set(v, "TrainingJobDefinition.HyperParameterTuningResourceConfig",
	    "{\"InstanceType\": \"ml.c5.xlarge\", \"InstanceCount\": 1, "
	    "\"VolumeSizeInGB\": 10, \"AllocationStrategy\": \"Prioritized\"}");
	t = decode_ok(v);
	T_EQ_STR(t->definition->instance_type, "ml.c5.xlarge");
	T_EQ_INT(t->definition->volume_size_gb, 10);
	tuning_spec_free(t);
	cJSON_Delete(v);
}

/* One bad input per rule, each a change of the notebook's request. */
static const struct {
	const char *path, *value, *want1, *want2;
} bad[] = {
	{ "HyperParameterTuningJobName", "\"abcdefghij-abcdefghij-abcdefghijk\"",
	  "at 'HyperParameterTuningJobName'", "less than or equal to 32" },
	{ "HyperParameterTuningJobName", "\"a_b\"",
	  "at 'HyperParameterTuningJobName'", "regular expression" },
	{ CFG "Strategy", "\"Annealing\"", "at '" CFG "Strategy'",
	  "[Bayesian, Random, Hyperband, Grid]" },
	{ CFG "ResourceLimits.MaxParallelTrainingJobs", "0",
	  "at '" CFG "ResourceLimits.MaxParallelTrainingJobs'",
	  "greater than or equal to 1" },
	{ CFG "ResourceLimits.MaxParallelTrainingJobs", NULL,
	  "at '" CFG "ResourceLimits.MaxParallelTrainingJobs'", "not be null" },
	{ CFG "ResourceLimits.MaxNumberOfTrainingJobs", "0",
	  "at '" CFG "ResourceLimits.MaxNumberOfTrainingJobs'",
	  "greater than or equal to 1" },
	{ CFG "ResourceLimits.MaxNumberOfTrainingJobs", NULL,
	  "at '" CFG "ResourceLimits.MaxNumberOfTrainingJobs'", "Bayesian" },
	{ CFG "ResourceLimits.MaxRuntimeInSeconds", "60",
	  "at '" CFG "ResourceLimits.MaxRuntimeInSeconds'",
	  "greater than or equal to 120" },
	{ CFG "HyperParameterTuningJobObjective.Type", "\"Min\"",
	  "at '" CFG "HyperParameterTuningJobObjective.Type'",
	  "[Maximize, Minimize]" },
	{ CFG "HyperParameterTuningJobObjective.MetricName", "\"loss\"",
	  "at '" CFG "HyperParameterTuningJobObjective.MetricName'",
	  "MetricDefinitions (val_loss)" },
	{ CFG "HyperParameterTuningJobObjective", NULL,
	  "at '" CFG "HyperParameterTuningJobObjective'", "objective" },
	{ RANGES "IntegerParameterRanges[0].MinValue", "\"60\"",
	  "at '" RANGES "IntegerParameterRanges[0].MaxValue'",
	  "greater than MinValue" },
	{ RANGES "IntegerParameterRanges[0].MinValue", "\"50\"",
	  "at '" RANGES "IntegerParameterRanges[0].MaxValue'",
	  "greater than MinValue" },
	{ RANGES "IntegerParameterRanges[1].MaxValue", "\"256.5\"",
	  "at '" RANGES "IntegerParameterRanges[1].MaxValue'",
	  "must be an integer" },
	{ RANGES "ContinuousParameterRanges[0].MinValue", "\"abc\"",
	  "at '" RANGES "ContinuousParameterRanges[0].MinValue'",
	  "must be a number" },
	{ RANGES "ContinuousParameterRanges[0].MinValue", "0.001",
	  "at '" RANGES "ContinuousParameterRanges[0].MinValue'",
	  "must be a string" },
	{ RANGES "ContinuousParameterRanges[0].MinValue", "\"0\"",
	  "at '" RANGES "ContinuousParameterRanges[0].ScalingType'",
	  "MinValue > 0" },
	{ RANGES "IntegerParameterRanges[0].ScalingType", "\"ReverseLogarithmic\"",
	  "at '" RANGES "IntegerParameterRanges[0].ScalingType'",
	  "only for continuous" },
	{ RANGES "ContinuousParameterRanges[1]", "{\"Name\": \"m\", "
	  "\"MinValue\": \"0.5\", \"MaxValue\": \"1\", "
	  "\"ScalingType\": \"ReverseLogarithmic\"}",
	  "at '" RANGES "ContinuousParameterRanges[1].ScalingType'",
	  "MaxValue < 1" },
	{ RANGES "ContinuousParameterRanges[1]", "{\"Name\": \"m\", "
	  "\"MinValue\": \"-0.5\", \"MaxValue\": \"0.5\", "
	  "\"ScalingType\": \"ReverseLogarithmic\"}",
	  "at '" RANGES "ContinuousParameterRanges[1].ScalingType'",
	  "0 <= MinValue" },
	{ RANGES "ContinuousParameterRanges[0].ScalingType",
	  "\"ReverseLogarithmic\"", NULL, NULL },
	{ RANGES "ContinuousParameterRanges[0].ScalingType", "\"Exponential\"",
	  "at '" RANGES "ContinuousParameterRanges[0].ScalingType'",
	  "[Auto, Linear, Logarithmic, ReverseLogarithmic]" },
	{ RANGES "IntegerParameterRanges[1].Name", "\"epochs\"",
	  "at '" RANGES "IntegerParameterRanges[1].Name'", "unique" },
	{ RANGES "ContinuousParameterRanges[0].Name", "\"batch_size\"",
	  "at '" RANGES "ContinuousParameterRanges[0].Name'", "unique" },
	{ RANGES "IntegerParameterRanges[0].Name", "\"\"",
	  "at '" RANGES "IntegerParameterRanges[0].Name'", "not be empty" },
	{ "TrainingJobDefinition.StaticHyperParameters.batch_size", "\"32\"",
	  "at '" RANGES "IntegerParameterRanges[1].Name'",
	  "static hyperparameter" },
	{ RANGES "CategoricalParameterRanges[0]",
	  "{\"Name\": \"opt\", \"Values\": []}",
	  "at '" RANGES "CategoricalParameterRanges[0].Values'",
	  "greater than or equal to 1" },
	{ RANGES "AutoParameters", "[{\"Name\": \"x\", \"ValueHint\": \"1\"}]",
	  "at '" RANGES "AutoParameters'", "not supported" },
	{ CFG "ParameterRanges", "{}", "at '" CFG "ParameterRanges'",
	  "at least one" },
	{ CFG "Strategy", "\"Grid\"",
	  "at '" RANGES "IntegerParameterRanges[0].Name'",
	  "only CategoricalParameterRanges" },
	{ CFG "StrategyConfig",
	  "{\"HyperbandStrategyConfig\": {\"MinResource\": 1}}",
	  "at '" CFG "StrategyConfig'", "only valid with the Hyperband" },
	{ CFG "TuningJobCompletionCriteria.BestObjectiveNotImproving."
	  "MaxNumberOfTrainingJobsNotImproving", "2",
	  "at '" CFG "TuningJobCompletionCriteria.BestObjectiveNotImproving."
	  "MaxNumberOfTrainingJobsNotImproving'", "greater than or equal to 3" },
	{ CFG "RandomSeed", "-1", "at '" CFG "RandomSeed'",
	  "greater than or equal to 0" },
	{ "WarmStartConfig", "{\"ParentHyperParameterTuningJobs\": "
	  "[{\"HyperParameterTuningJobName\": \"old\"}], "
	  "\"WarmStartType\": \"TransferLearning\"}",
	  "at 'WarmStartConfig'", "not supported by tunerd yet" },
	{ "WarmStartConfig", "{\"WarmStartType\": \"TransferLearning\"}",
	  "at 'WarmStartConfig.ParentHyperParameterTuningJobs'", "not be null" },
	{ "Autotune", "{\"Mode\": \"Enabled\"}", "at 'Autotune'", "not supported" },
	{ "TrainingJobDefinitions", "[{}]", "at 'TrainingJobDefinitions[0]."
	  "AlgorithmSpecification'", "not be null" },
	{ "TrainingJobDefinition.AlgorithmSpecification.ContainerEntrypoint",
	  "[\"x\"]", "at 'TrainingJobDefinition.AlgorithmSpecification."
	  "ContainerEntrypoint'", "not part of HyperParameterAlgorithmSpecification" },
	{ "TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[0].Regex",
	  "\"\"", "at 'TrainingJobDefinition.AlgorithmSpecification."
	  "MetricDefinitions[0].Regex'", "greater than or equal to 1" },
	{ "TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[0].Regex",
	  "\"val_loss: (\"", "at 'TrainingJobDefinition.AlgorithmSpecification."
	  "MetricDefinitions[0].Regex'", "valid regular expression" },
	{ "TrainingJobDefinition.InputDataConfig[1].ChannelName", "\"train\"",
	  "at 'TrainingJobDefinition.InputDataConfig[1].ChannelName'", "unique" },
	{ "TrainingJobDefinition.Environment.X", "\"1\"", NULL, NULL },
};

static void
t_bad_inputs(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *v = tp_load("tuning_notebook.json");

		tp_set(v, bad[i].path, bad[i].value);
		if (bad[i].want1 == NULL) {
			/* A control: the same mechanism on a good change. */
			tuning_spec_free(decode_ok(v));
		} else {
			fprintf(stderr, "case %zu (%s):\n", i, bad[i].path);
			decode_fails(v, bad[i].want1, bad[i].want2);
		}
		cJSON_Delete(v);
	}
}

static void
t_two_definitions_refused(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	cJSON *def = cJSON_DetachItemFromObject(v, "TrainingJobDefinition");
	cJSON *list = cJSON_AddArrayToObject(v, "TrainingJobDefinitions");

	cJSON_AddItemToArray(list, cJSON_Duplicate(def, 1));
	cJSON_AddItemToArray(list, def);
	decode_fails(v, "at 'TrainingJobDefinitions'", "not supported locally");
	cJSON_Delete(v);
}

static void
t_both_definition_forms_refused(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	cJSON *list = cJSON_AddArrayToObject(v, "TrainingJobDefinitions");

	cJSON_AddItemToArray(list, cJSON_Duplicate(cJSON_GetObjectItem(v,
	    "TrainingJobDefinition"), 1));
	decode_fails(v, "at 'TrainingJobDefinitions'", "together with");
	cJSON_Delete(v);
}

static void
t_too_many_parameters(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	cJSON *cat = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(v,
	    "HyperParameterTuningJobConfig"), "ParameterRanges"),
	    "CategoricalParameterRanges");
	struct td_tuning_spec *t;
	char name[16];
	int i;

	/* 3 + 27 = 30 parameters are fine; the 31st is one too many. */
	for (i = 0; i < 27; i++) {
		cJSON *r = cJSON_CreateObject();

		snprintf(name, sizeof(name), "c%d", i);
		cJSON_AddStringToObject(r, "Name", name);
		cJSON_AddItemToObject(r, "Values", tp_value("[\"a\", \"b\"]"));
		cJSON_AddItemToArray(cat, r);
	}
	t = decode_ok(v);
	T_EQ_INT(t->n_params, 30);
	tuning_spec_free(t);
	tp_set(v, RANGES "ContinuousParameterRanges[1]",
	    "{\"Name\": \"m\", \"MinValue\": \"0\", \"MaxValue\": \"1\"}");
	decode_fails(v, "at '" CFG "ParameterRanges'", "At most 30");
	cJSON_Delete(v);
}

static void
t_static_plus_tuned_limit(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	cJSON *hp = cJSON_GetObjectItem(cJSON_GetObjectItem(v,
	    "TrainingJobDefinition"), "StaticHyperParameters");
	struct td_tuning_spec *t;
	char key[16];
	int i;

	/* 97 static + 3 tuned = 100 hyperparameters per trial: fine. */
	for (i = cJSON_GetArraySize(hp); i < 97; i++) {
		snprintf(key, sizeof(key), "s%d", i);
		cJSON_AddStringToObject(hp, key, "1");
	}
	t = decode_ok(v);
	tuning_spec_free(t);
	cJSON_AddStringToObject(hp, "one_more", "1");
	decode_fails(v, "98 StaticHyperParameters and 3 tuned",
	    "at 'HyperParameterTuningJobConfig.ParameterRanges'");
	cJSON_Delete(v);
}

static void
t_categorical_value_limit(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	cJSON *vals = cJSON_CreateArray();
	char s[16];
	int i;

	for (i = 0; i < 31; i++) {
		snprintf(s, sizeof(s), "%d", i);
		cJSON_AddItemToArray(vals, cJSON_CreateString(s));
	}
	tp_set(v, RANGES "CategoricalParameterRanges[0]", "{\"Name\": \"c\"}");
	cJSON_AddItemToObject(cJSON_GetArrayItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(v,
	    "HyperParameterTuningJobConfig"), "ParameterRanges"),
	    "CategoricalParameterRanges"), 0), "Values", vals);
	decode_fails(v, "at '" RANGES "CategoricalParameterRanges[0].Values'",
	    "less than or equal to 30");
	cJSON_Delete(v);
}

static void
t_grid_categorical_only(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	struct td_tuning_spec *t;

	tp_set(v, CFG "Strategy", "\"Grid\"");
	tp_set(v, CFG "ResourceLimits.MaxNumberOfTrainingJobs", NULL);
	tp_set(v, CFG "ParameterRanges",
	    "{\"CategoricalParameterRanges\": [{\"Name\": \"epochs\", "
	    "\"Values\": [\"10\", \"20\", \"50\"]}]}");
	t = decode_ok(v);
	T_EQ_INT(t->strategy, TD_STRATEGY_GRID);
	T_EQ_INT(t->max_jobs, 0);
	tuning_spec_free(t);
	cJSON_Delete(v);
}

static void
t_objective_from_definition(void)
{
	cJSON *v = tp_load("tuning_notebook.json");
	struct td_tuning_spec *t;

	tp_set(v, CFG "HyperParameterTuningJobObjective", NULL);
	tp_set(v, "TrainingJobDefinition.TuningObjective",
	    "{\"Type\": \"Maximize\", \"MetricName\": \"val_loss\"}");
	t = decode_ok(v);
	T_EQ_INT(t->maximize, 1);
	T_EQ_STR(t->objective_metric, "val_loss");
	tuning_spec_free(t);
	cJSON_Delete(v);
}

/* --- ask/tell ------------------------------------------------------------ */

static void
t_ask(void)
{
	struct apierr e = { 0 };
	struct td_ask_req *r;
	cJSON *v = tp_parse("{\"HyperParameterTuningJobName\": \"tj\"}");

	TP_OK(ask_req_decode(v, &r, &e), e);
	T_EQ_STR(r->tuning_job_name, "tj");
	T_EQ_INT(r->count, 1);
	ask_req_free(r);
	ask_req_free(NULL);
	tp_set(v, "Count", "100");
	TP_OK(ask_req_decode(v, &r, &e), e);
	T_EQ_INT(r->count, 100);
	ask_req_free(r);
	tp_set(v, "Count", "101");
	TP_FAILS(ask_req_decode(v, &r, &e), e, "at 'Count'",
	    "less than or equal to 100");
	memset(&e, 0, sizeof(e));
	tp_set(v, "Count", "0");
	TP_FAILS(ask_req_decode(v, &r, &e), e, "at 'Count'",
	    "greater than or equal to 1");
	cJSON_Delete(v);
}

static void
t_tell(void)
{
	struct apierr e = { 0 };
	struct td_tell_req *r;
	cJSON *v = tp_parse("{\"HyperParameterTuningJobName\": \"tj\", "
	    "\"TrialName\": \"tj-001-abcd\", \"ObjectiveValue\": 0.25}");

	TP_OK(tell_req_decode(v, &r, &e), e);
	T_EQ_STR(r->trial_name, "tj-001-abcd");
	T_EQ_INT(r->failed, 0);
	T_NEAR(r->objective, 0.25, 0);
	T_ASSERT(r->failure_reason == NULL);
	tell_req_free(r);
	tell_req_free(NULL);
	/* Both is an error, and so is neither. */
	tp_set(v, "Failed", "true");
	TP_FAILS(tell_req_decode(v, &r, &e), e, "at 'ObjectiveValue'",
	    "not be set when Failed");
	memset(&e, 0, sizeof(e));
	tp_set(v, "ObjectiveValue", NULL);
	tp_set(v, "FailureReason", "\"diverged\"");
	TP_OK(tell_req_decode(v, &r, &e), e);
	T_EQ_INT(r->failed, 1);
	T_EQ_STR(r->failure_reason, "diverged");
	tell_req_free(r);
	tp_set(v, "Failed", "false");
	TP_FAILS(tell_req_decode(v, &r, &e), e, "at 'ObjectiveValue'",
	    "not be null unless Failed");
	memset(&e, 0, sizeof(e));
	tp_set(v, "Failed", NULL);
	TP_FAILS(tell_req_decode(v, &r, &e), e, "at 'ObjectiveValue'");
	memset(&e, 0, sizeof(e));
	tp_set(v, "ObjectiveValue", "\"0.3\"");
	TP_FAILS(tell_req_decode(v, &r, &e), e, "at 'ObjectiveValue'",
	    "must be a double");
	memset(&e, 0, sizeof(e));
	tp_set(v, "ObjectiveValue", "1");
	tp_set(v, "TrialName", NULL);
	TP_FAILS(tell_req_decode(v, &r, &e), e, "at 'TrialName'");
	cJSON_Delete(v);
}

static void
t_tell_reason_limit(void)
{
	struct apierr e = { 0 };
	struct td_tell_req *r;
	cJSON *v = tp_parse("{\"HyperParameterTuningJobName\": \"tj\", "
	    "\"TrialName\": \"t\", \"Failed\": true}");
	char reason[1026];

	memset(reason, 'r', 1025);
	reason[1025] = '\0';
	cJSON_AddStringToObject(v, "FailureReason", reason);
	TP_FAILS(tell_req_decode(v, &r, &e), e, "at 'FailureReason'",
	    "less than or equal to 1024");
	cJSON_Delete(v);
}

T_MAIN(
	T_CASE(t_notebook_request),
	T_CASE(t_everything_else_decoded),
	T_CASE(t_local_without_cloud_fields),
	T_CASE(t_ask_tell_job_has_no_definition),
	T_CASE(t_single_entry_definitions_list),
	T_CASE(t_trial_request),
	T_CASE(t_tuning_resource_config_used),
	T_CASE(t_bad_inputs),
	T_CASE(t_two_definitions_refused),
	T_CASE(t_both_definition_forms_refused),
	T_CASE(t_too_many_parameters),
	T_CASE(t_static_plus_tuned_limit),
	T_CASE(t_categorical_value_limit),
	T_CASE(t_grid_categorical_only),
	T_CASE(t_objective_from_definition),
	T_CASE(t_ask),
	T_CASE(t_tell),
	T_CASE(t_tell_reason_limit)
)
