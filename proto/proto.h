/*
 * proto.h - the operation table: every operation tunerd serves, with its
 * input shape and a one-line summary. The daemon routes by it, the client
 * and the API reference (gen-api-doc) read it; nothing else lists
 * operations.
 *
 * Two services share one endpoint: "SageMaker" (X-Amz-Target
 * "SageMaker.<Op>", SageMaker's own operations and shapes) and "Tunerd"
 * (X-Amz-Target "Tunerd.<Op>", tunerd's additions: logs, metric series,
 * ask/tell tuning).
 *
 * Usual request path in a handler:
 *   op = proto_op_by_target(header);          unknown -> UnknownOperation
 *   proto_parse(body, len, &req, &e);         not one object -> Serialization
 *   <op's decoder>(req, &spec, &e);           -> Validation, names the field
 * The decoders (training.h, tuning.h, serving.h, list.h, and
 * proto_req_name() below) each validate against the op's shape first, so
 * a handler never reads cJSON itself.
 */
#ifndef TD_PROTO_PROTO_H
#define TD_PROTO_PROTO_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "apierr.h"
#include "schema.h"

#define PROTO_SVC_SAGEMAKER	"SageMaker"
#define PROTO_SVC_TUNERD	"Tunerd"

enum proto_op_id {
	OP_CREATE_TRAINING_JOB,
	OP_DESCRIBE_TRAINING_JOB,
	OP_LIST_TRAINING_JOBS,
	OP_STOP_TRAINING_JOB,
	OP_CREATE_TUNING_JOB,
	OP_DESCRIBE_TUNING_JOB,
	OP_LIST_TUNING_JOBS,
	OP_LIST_TRAINING_JOBS_FOR_TUNING_JOB,
	OP_STOP_TUNING_JOB,
	OP_CREATE_MODEL,
	OP_DESCRIBE_MODEL,
	OP_LIST_MODELS,
	OP_DELETE_MODEL,
	OP_CREATE_ENDPOINT_CONFIG,
	OP_DESCRIBE_ENDPOINT_CONFIG,
	OP_LIST_ENDPOINT_CONFIGS,
	OP_DELETE_ENDPOINT_CONFIG,
	OP_CREATE_ENDPOINT,
	OP_DESCRIBE_ENDPOINT,
	OP_LIST_ENDPOINTS,
	OP_DELETE_ENDPOINT,
	OP_UPDATE_ENDPOINT,
	/* Tunerd.* */
	OP_GET_TRAINING_JOB_LOGS,
	OP_GET_TRAINING_JOB_METRICS,
	OP_ASK_TUNING_JOB,
	OP_TELL_TUNING_JOB,
	OP__COUNT
};

/* What a List* operation lists and how (see list.h). */
struct proto_list_info {
	const char		*parent_field;	/* required parent name member, or NULL */
	const struct proto_shape *status;	/* StatusEquals' enum shape, or NULL if none */
	const struct proto_shape *sort;		/* SortBy's enum shape */
	const char		*default_sort;	/* SortBy when absent */
	int			 default_desc;	/* SortOrder Descending when absent */
};

struct proto_op {
	enum proto_op_id	 id;
	const char		*service;	/* PROTO_SVC_SAGEMAKER or PROTO_SVC_TUNERD */
	const char		*name;		/* "CreateTrainingJob" */
	const struct proto_shape *input;
	const char		*summary;	/* one line, for docs and --help */
	const char		*name_field;	/* the resource-name member of
						   Describe/Stop/Delete/Get*, or NULL */
	const struct proto_list_info *list;	/* List* operations, else NULL */
};

/* The table, in enum order: proto_ops[OP_x].id == OP_x. */
extern const struct proto_op proto_ops[OP__COUNT];

/* Operation by service ("SageMaker" or "Tunerd") and name, or NULL (borrowed). */
const struct proto_op *proto_op_find(const char *service, const char *name);

/* Operation by X-Amz-Target ("SageMaker.CreateTrainingJob"), or NULL. */
const struct proto_op *proto_op_by_target(const char *target);

/* Validates req against op's input shape; 0 or TD_EINVAL with e filled. */
int proto_op_validate(const struct proto_op *op, const cJSON *req,
    struct apierr *e);

/*
 * For operations whose input is (mostly) one resource name (Describe*,
 * Stop*, Delete*, GetTrainingJobMetrics): validates req against op's shape
 * and returns a copy of op->name_field's value in *out (caller frees).
 * Returns 0 or TD_EINVAL with e filled (also when op has no name_field).
 */
int proto_req_name(const struct proto_op *op, const cJSON *req, char **out,
    struct apierr *e);

#endif
