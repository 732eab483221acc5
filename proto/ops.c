/*
 * ops.c - the operation table and tunerd's own input shapes (Tunerd.*).
 *
 * Owns: proto_ops[] (in enum proto_op_id order, checked by the unit tests)
 * and the shapes of the Tunerd.* operations; SageMaker's shapes come from
 * shapes.c. Never does I/O. Adding an operation means one enum value in
 * proto.h and one row here; the daemon's routing table, the client and
 * the API reference pick it up from this row.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "err.h"
#include "proto.h"
#include "shapes.h"

/* --- Tunerd.* shapes ---------------------------------------------------- */

static const struct proto_shape sh_start_offset = {
	.name = "LogOffset", .kind = PROTO_LONG,
	.flags = PROTO_HAS_MIN, .min = 0,
	.doc = "Byte offset into the job's log; 0 when absent.",
};

static const struct proto_shape sh_max_bytes = {
	.name = "LogMaxBytes", .kind = PROTO_LONG,
	.flags = PROTO_HAS_MIN | PROTO_HAS_MAX, .min = 1, .max = 8388608,
	.doc = "At most this many bytes are returned; 1048576 when absent.",
};

static const struct proto_member mb_logs[] = {
	{ "TrainingJobName", &proto_shape_TrainingJobName, PROTO_REQUIRED, NULL },
	{ "StartOffset", &sh_start_offset, 0, NULL },
	{ "MaxBytes", &sh_max_bytes, 0, NULL },
};

static const struct proto_shape sh_logs = {
	.name = "GetTrainingJobLogsRequest", .kind = PROTO_STRUCTURE,
	.members = mb_logs, .n_members = sizeof(mb_logs) / sizeof(mb_logs[0]),
	.doc = "A byte range of a training job's combined stdout/stderr log.",
};

static const struct proto_member mb_metrics[] = {
	{ "TrainingJobName", &proto_shape_TrainingJobName, PROTO_REQUIRED, NULL },
};

static const struct proto_shape sh_metrics = {
	.name = "GetTrainingJobMetricsRequest", .kind = PROTO_STRUCTURE,
	.members = mb_metrics, .n_members = 1,
	.doc = "Every scraped value of every metric of a training job.",
};

static const struct proto_shape sh_count = {
	.name = "AskCount", .kind = PROTO_INTEGER,
	.flags = PROTO_HAS_MIN | PROTO_HAS_MAX, .min = 1, .max = 100,
	.doc = "Suggestions wanted; 1 when absent.",
};

static const struct proto_member mb_ask[] = {
	{ "HyperParameterTuningJobName", &proto_shape_HyperParameterTuningJobName,
	  PROTO_REQUIRED, NULL },
	{ "Count", &sh_count, 0, NULL },
};

static const struct proto_shape sh_ask = {
	.name = "AskTuningJobRequest", .kind = PROTO_STRUCTURE,
	.members = mb_ask, .n_members = sizeof(mb_ask) / sizeof(mb_ask[0]),
	.doc = "For a tuning job created without a TrainingJobDefinition.",
};

static const struct proto_shape sh_objective = {
	.name = "ObjectiveValue", .kind = PROTO_DOUBLE,
	.doc = "The trial's final objective metric value.",
};

static const struct proto_shape sh_failed = {
	.name = "Boolean", .kind = PROTO_BOOLEAN,
};

static const struct proto_shape sh_reason = {
	.name = "FailureReason", .kind = PROTO_STRING,
	.flags = PROTO_HAS_MAX, .max = 1024,
};

static const struct proto_member mb_tell[] = {
	{ "HyperParameterTuningJobName", &proto_shape_HyperParameterTuningJobName,
	  PROTO_REQUIRED, NULL },
	{ "TrialName", &proto_shape_TrainingJobName, PROTO_REQUIRED,
	  "A TrialName returned by AskTuningJob." },
	{ "ObjectiveValue", &sh_objective, 0,
	  "Exactly one of ObjectiveValue and Failed=true." },
	{ "Failed", &sh_failed, 0, "true when the trial failed." },
	{ "FailureReason", &sh_reason, 0, NULL },
};

static const struct proto_shape sh_tell = {
	.name = "TellTuningJobRequest", .kind = PROTO_STRUCTURE,
	.members = mb_tell, .n_members = sizeof(mb_tell) / sizeof(mb_tell[0]),
	.doc = "The outcome of one trial of an ask/tell tuning job.",
};

/* --- List* behaviour ---------------------------------------------------- */

static const struct proto_list_info li_training = {
	NULL, &proto_shape_TrainingJobStatus, &proto_shape_SortBy,
	"CreationTime", 0,
};
static const struct proto_list_info li_tuning = {
	NULL, &proto_shape_HyperParameterTuningJobStatus,
	&proto_shape_HyperParameterTuningJobSortByOptions, "Name", 0,
};
static const struct proto_list_info li_tuning_training = {
	"HyperParameterTuningJobName", &proto_shape_TrainingJobStatus,
	&proto_shape_TrainingJobSortByOptions, "Name", 0,
};
static const struct proto_list_info li_models = {
	NULL, NULL, &proto_shape_ModelSortKey, "CreationTime", 1,
};
static const struct proto_list_info li_endpoint_configs = {
	NULL, NULL, &proto_shape_EndpointConfigSortKey, "CreationTime", 1,
};
static const struct proto_list_info li_endpoints = {
	NULL, &proto_shape_EndpointStatus, &proto_shape_EndpointSortKey,
	"CreationTime", 1,
};

/* --- the table ---------------------------------------------------------- */

#define SM PROTO_SVC_SAGEMAKER
#define TD PROTO_SVC_TUNERD

const struct proto_op proto_ops[OP__COUNT] = {
	{ OP_CREATE_TRAINING_JOB, SM, "CreateTrainingJob",
	  &proto_shape_CreateTrainingJobRequest,
	  "Starts a training job: runs the program in its own worker process.",
	  NULL, NULL },
	{ OP_DESCRIBE_TRAINING_JOB, SM, "DescribeTrainingJob",
	  &proto_shape_DescribeTrainingJobRequest,
	  "Status, timings, metrics and artifacts of a training job.",
	  "TrainingJobName", NULL },
	{ OP_LIST_TRAINING_JOBS, SM, "ListTrainingJobs",
	  &proto_shape_ListTrainingJobsRequest,
	  "Training jobs, filtered, sorted and paginated.", NULL, &li_training },
	{ OP_STOP_TRAINING_JOB, SM, "StopTrainingJob",
	  &proto_shape_StopTrainingJobRequest,
	  "Stops a training job (SIGTERM, then SIGKILL after a grace period).",
	  "TrainingJobName", NULL },
	{ OP_CREATE_TUNING_JOB, SM, "CreateHyperParameterTuningJob",
	  &proto_shape_CreateHyperParameterTuningJobRequest,
	  "Starts a hyperparameter tuning job (Bayesian, Random, Grid or "
	  "Hyperband search).", NULL, NULL },
	{ OP_DESCRIBE_TUNING_JOB, SM, "DescribeHyperParameterTuningJob",
	  &proto_shape_DescribeHyperParameterTuningJobRequest,
	  "Status, counters and best training job of a tuning job.",
	  "HyperParameterTuningJobName", NULL },
	{ OP_LIST_TUNING_JOBS, SM, "ListHyperParameterTuningJobs",
	  &proto_shape_ListHyperParameterTuningJobsRequest,
	  "Tuning jobs, filtered, sorted and paginated.", NULL, &li_tuning },
	{ OP_LIST_TRAINING_JOBS_FOR_TUNING_JOB, SM,
	  "ListTrainingJobsForHyperParameterTuningJob",
	  &proto_shape_ListTrainingJobsForHyperParameterTuningJobRequest,
	  "The training jobs a tuning job launched, with their objective values.",
	  NULL, &li_tuning_training },
	{ OP_STOP_TUNING_JOB, SM, "StopHyperParameterTuningJob",
	  &proto_shape_StopHyperParameterTuningJobRequest,
	  "Stops a tuning job and its running training jobs.",
	  "HyperParameterTuningJobName", NULL },
	{ OP_CREATE_MODEL, SM, "CreateModel", &proto_shape_CreateModelInput,
	  "Registers a model: an inference program and its artifacts.",
	  NULL, NULL },
	{ OP_DESCRIBE_MODEL, SM, "DescribeModel", &proto_shape_DescribeModelInput,
	  "A model's container definition.", "ModelName", NULL },
	{ OP_LIST_MODELS, SM, "ListModels", &proto_shape_ListModelsInput,
	  "Models, filtered, sorted and paginated.", NULL, &li_models },
	{ OP_DELETE_MODEL, SM, "DeleteModel", &proto_shape_DeleteModelInput,
	  "Deletes a model.", "ModelName", NULL },
	{ OP_CREATE_ENDPOINT_CONFIG, SM, "CreateEndpointConfig",
	  &proto_shape_CreateEndpointConfigInput,
	  "Describes how to serve models: production variants and weights.",
	  NULL, NULL },
	{ OP_DESCRIBE_ENDPOINT_CONFIG, SM, "DescribeEndpointConfig",
	  &proto_shape_DescribeEndpointConfigInput,
	  "An endpoint configuration's variants.", "EndpointConfigName", NULL },
	{ OP_LIST_ENDPOINT_CONFIGS, SM, "ListEndpointConfigs",
	  &proto_shape_ListEndpointConfigsInput,
	  "Endpoint configurations, filtered, sorted and paginated.",
	  NULL, &li_endpoint_configs },
	{ OP_DELETE_ENDPOINT_CONFIG, SM, "DeleteEndpointConfig",
	  &proto_shape_DeleteEndpointConfigInput,
	  "Deletes an endpoint configuration.", "EndpointConfigName", NULL },
	{ OP_CREATE_ENDPOINT, SM, "CreateEndpoint",
	  &proto_shape_CreateEndpointInput,
	  "Starts serving an endpoint configuration at "
	  "/endpoints/<name>/invocations.", NULL, NULL },
	{ OP_DESCRIBE_ENDPOINT, SM, "DescribeEndpoint",
	  &proto_shape_DescribeEndpointInput,
	  "Status and variants of an endpoint.", "EndpointName", NULL },
	{ OP_LIST_ENDPOINTS, SM, "ListEndpoints", &proto_shape_ListEndpointsInput,
	  "Endpoints, filtered, sorted and paginated.", NULL, &li_endpoints },
	{ OP_DELETE_ENDPOINT, SM, "DeleteEndpoint",
	  &proto_shape_DeleteEndpointInput,
	  "Stops serving and deletes an endpoint.", "EndpointName", NULL },
	{ OP_UPDATE_ENDPOINT, SM, "UpdateEndpoint",
	  &proto_shape_UpdateEndpointInput,
	  "Switches an endpoint to another endpoint configuration.",
	  NULL, NULL },
	{ OP_GET_TRAINING_JOB_LOGS, TD, "GetTrainingJobLogs", &sh_logs,
	  "A byte range of a training job's log (tail -f by polling).",
	  "TrainingJobName", NULL },
	{ OP_GET_TRAINING_JOB_METRICS, TD, "GetTrainingJobMetrics", &sh_metrics,
	  "Every value of every metric a training job emitted, with times.",
	  "TrainingJobName", NULL },
	{ OP_ASK_TUNING_JOB, TD, "AskTuningJob", &sh_ask,
	  "Asks an ask/tell tuning job for hyperparameter suggestions.",
	  NULL, NULL },
	{ OP_TELL_TUNING_JOB, TD, "TellTuningJob", &sh_tell,
	  "Reports a suggestion's objective value (or failure) to its tuning job.",
	  NULL, NULL },
};

const struct proto_op *
proto_op_find(const char *service, const char *name)
{
	size_t i;

	if (service == NULL || name == NULL)
		return NULL;
	for (i = 0; i < OP__COUNT; i++)
		if (strcmp(proto_ops[i].service, service) == 0 &&
		    strcmp(proto_ops[i].name, name) == 0)
			return &proto_ops[i];
	return NULL;
}

const struct proto_op *
proto_op_by_target(const char *target)
{
	const char *dot;
	char svc[16];
	size_t n;

	if (target == NULL || (dot = strchr(target, '.')) == NULL)
		return NULL;
	n = (size_t)(dot - target);
	if (n == 0 || n >= sizeof(svc))
		return NULL;
	memcpy(svc, target, n);
	svc[n] = '\0';
	return proto_op_find(svc, dot + 1);
}

int
proto_op_validate(const struct proto_op *op, const cJSON *req,
    struct apierr *e)
{
	return proto_validate(op->input, req, e);
}

int
proto_req_name(const struct proto_op *op, const cJSON *req, char **out,
    struct apierr *e)
{
	const cJSON *v;
	int rc;

	*out = NULL;
	if (op->name_field == NULL)
		return proto__internal(e, "operation has no resource name member");
	if ((rc = proto_validate(op->input, req, e)) != 0)
		return rc;
	v = cJSON_GetObjectItemCaseSensitive(req, op->name_field);
	/* The shape marks the member required, so validation found it. */
	if (!cJSON_IsString(v))
		return apierr_set(e, APIERR_VALIDATION,
		    "1 validation error detected: Value null at '%s' failed to "
		    "satisfy constraint: Member must not be null", op->name_field);
	if ((*out = strdup(v->valuestring)) == NULL)
		return proto__internal(e, "out of memory");
	return 0;
}
