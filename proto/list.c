/*
 * list.c - one decoder for every List* request.
 *
 * Owns the mapping from each List* operation's request shape to struct
 * td_list_req, with the defaults of proto_ops[].list. Never interprets
 * NextToken and never filters anything itself.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "err.h"
#include "list.h"

static const char *const sort_names[] = {
	[TD_SORT_NAME] = "Name",
	[TD_SORT_CREATION_TIME] = "CreationTime",
	[TD_SORT_STATUS] = "Status",
	[TD_SORT_OBJECTIVE] = "FinalObjectiveMetricValue",
};

static enum td_sort_key
sort_key(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++)
		if (strcmp(sort_names[i], s) == 0)
			return (enum td_sort_key)i;
	/* The shape's enum only holds the names above. */
	return TD_SORT_CREATION_TIME;
}

static double
bound(const cJSON *req, const char *name, double dflt)
{
	const cJSON *v = proto__get(req, name);
	double t;

	return (v != NULL && proto_timestamp(v, &t) == 0) ? t : dflt;
}

int
list_req_decode(const struct proto_op *op, const cJSON *req,
    struct td_list_req *out, struct apierr *e)
{
	const struct proto_list_info *li = op->list;
	const char *sort, *order;
	int rc;

	memset(out, 0, sizeof(*out));
	if (li == NULL)
		return proto__internal(e, "not a List operation");
	if ((rc = proto_validate(op->input, req, e)) != 0)
		return rc;
	out->op = op->id;
	if (li->parent_field != NULL)
		out->parent = proto__str(req, li->parent_field);
	out->name_contains = proto__str(req, "NameContains");
	out->status_equals = proto__str(req, "StatusEquals");
	out->created_after = bound(req, "CreationTimeAfter", -INFINITY);
	out->created_before = bound(req, "CreationTimeBefore", INFINITY);
	out->modified_after = bound(req, "LastModifiedTimeAfter", -INFINITY);
	out->modified_before = bound(req, "LastModifiedTimeBefore", INFINITY);
	sort = cJSON_GetStringValue(proto__get(req, "SortBy"));
	out->sort_by = sort_key(sort != NULL ? sort : li->default_sort);
	order = cJSON_GetStringValue(proto__get(req, "SortOrder"));
	out->descending = order != NULL ? strcmp(order, "Descending") == 0 :
	    li->default_desc;
	out->max_results = proto__long(req, "MaxResults",
	    LIST_DEFAULT_MAX_RESULTS);
	out->next_token = proto__str(req, "NextToken");
	return 0;
}

void
list_req_clear(struct td_list_req *r)
{
	if (r == NULL)
		return;
	free(r->parent);
	free(r->name_contains);
	free(r->status_equals);
	free(r->next_token);
	memset(r, 0, sizeof(*r));
}
