/*
 * list.h - every List* request as one validated C struct.
 *
 * list_req_decode() validates a request against the operation's own shape
 * (its StatusEquals and SortBy enums, MaxResults 1..100, ...) and fills
 * defaults as SageMaker documents them: MaxResults 10; SortBy and SortOrder
 * per operation (proto_ops[].list). Time filters are exclusive bounds;
 * an absent bound is -INFINITY / +INFINITY, so a filter is always
 * "after < t && t < before". NextToken is opaque here: the daemon gives it
 * meaning (and rejects tokens it did not issue).
 *
 * Ownership: the caller provides *out; list_req_decode() fills it with
 * strings it then owns; list_req_clear() frees them and zeroes the struct
 * (safe on a zeroed or already-cleared struct). On failure *out is zeroed.
 */
#ifndef TD_PROTO_LIST_H
#define TD_PROTO_LIST_H

#include <cjson/cJSON.h>

#include "apierr.h"
#include "proto.h"

#define LIST_DEFAULT_MAX_RESULTS	10

enum td_sort_key {
	TD_SORT_NAME,
	TD_SORT_CREATION_TIME,
	TD_SORT_STATUS,
	TD_SORT_OBJECTIVE,	/* FinalObjectiveMetricValue (training jobs of a tuning job) */
};

struct td_list_req {
	enum proto_op_id op;
	char		*parent;	/* HyperParameterTuningJobName for
					   ListTrainingJobsForHyperParameterTuningJob, else NULL */
	char		*name_contains;	/* NameContains or NULL */
	char		*status_equals;	/* StatusEquals (one of the op's statuses) or NULL */
	double		 created_after, created_before;	/* epoch seconds */
	double		 modified_after, modified_before;
	enum td_sort_key sort_by;
	int		 descending;	/* SortOrder Descending */
	long		 max_results;	/* 1..100 */
	char		*next_token;	/* NextToken or NULL */
};

/* op must be a List* operation (op->list != NULL), else TD_EINVAL. */
int list_req_decode(const struct proto_op *op, const cJSON *req,
    struct td_list_req *out, struct apierr *e);
void list_req_clear(struct td_list_req *r);

#endif
