/*
 * test_proto.c - the shape language, body parsing, the operation table,
 * List* requests, name requests and Tunerd.GetTrainingJobLogs.
 */
#include <math.h>

#include "list.h"
#include "proto.h"
#include "shapes.h"
#include "test_proto_util.h"
#include "training.h"

/* --- parsing ---------------------------------------------------------- */

static void
t_parse_object(void)
{
	struct apierr e = { 0 };
	cJSON *v = NULL;
	const char *body = " {\"a\": [1, 2]}\r\n ";

	TP_OK(proto_parse(body, strlen(body), &v, &e), e);
	T_ASSERT(cJSON_IsObject(v));
	T_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(v, "a")), 2);
	cJSON_Delete(v);
}

static void
t_parse_empty_is_object(void)
{
	struct apierr e = { 0 };
	cJSON *v = NULL;

	TP_OK(proto_parse("", 0, &v, &e), e);
	T_ASSERT(cJSON_IsObject(v) && v->child == NULL);
	cJSON_Delete(v);
}

static void
t_parse_trailing_bytes(void)
{
	struct apierr e = { 0 };
	cJSON *v = NULL;
	const char *body = "{\"a\": 1} x";

	TP_FAILS(proto_parse(body, strlen(body), &v, &e), e, "after the JSON");
	T_EQ_STR(e.type, APIERR_SERIALIZATION);
	T_ASSERT(v == NULL);
}

static void
t_parse_two_objects(void)
{
	struct apierr e = { 0 };
	cJSON *v = NULL;
	const char *body = "{}{}";

	TP_FAILS(proto_parse(body, strlen(body), &v, &e), e, "byte 2");
	T_EQ_STR(e.type, APIERR_SERIALIZATION);
}

static void
t_parse_not_object(void)
{
	struct apierr e = { 0 };
	cJSON *v = NULL;

	TP_FAILS(proto_parse("[1]", 3, &v, &e), e, "JSON object");
	T_EQ_STR(e.type, APIERR_SERIALIZATION);
	memset(&e, 0, sizeof(e));
	TP_FAILS(proto_parse("{\"a\": ", 6, &v, &e), e, "not valid JSON");
	T_EQ_STR(e.type, APIERR_SERIALIZATION);
}

static void
t_parse_length_bounds_body(void)
{
	struct apierr e = { 0 };
	cJSON *v = NULL;
	/* Only the first 8 bytes are the body: the rest must not be read. */
	const char *buf = "{\"a\": 1}garbage";

	TP_OK(proto_parse(buf, 8, &v, &e), e);
	cJSON_Delete(v);
}

/* --- patterns and the shape language ------------------------------------ */

static void
t_every_pattern_compiles(void)
{
	size_t i, n = 0;

	for (i = 0; i < proto_shapes_count; i++) {
		const struct proto_shape *s = proto_shapes_all[i];

		if (s->pattern == NULL)
			continue;
		n++;
		if (proto_match(s->pattern, "x") < 0)
			T_FAIL("pattern of %s does not compile: %s", s->name,
			    s->pattern);
	}
	T_ASSERT(n > 50);
}

static void
t_match_is_full(void)
{
	const char *p = proto_shape_TrainingJobName.pattern;

	T_EQ_INT(proto_match(p, "my-job-1"), 1);
	T_EQ_INT(proto_match(p, "my-job!"), 0);	/* a prefix matches, not all */
	T_EQ_INT(proto_match(p, "-job"), 0);
	T_EQ_INT(proto_match(p, "job-"), 0);
	T_EQ_INT(proto_match(p, "a\n"), 0);
	T_EQ_INT(proto_match("(https?|s3)://x|/.*", "/data"), 1);
	T_EQ_INT(proto_match("(https?|s3)://x|/.*", "s3://x"), 1);
	T_EQ_INT(proto_match("(https?|s3)://x|/.*", "s3://xy"), 0);
	T_EQ_INT(proto_match("[", "x"), TD_EINVAL);
}

static void
t_pattern_error_names_field(void)
{
	struct apierr e = { 0 };
	cJSON *v = tp_parse("{\"TrainingJobName\": \"abc!\"}");

	TP_FAILS(proto_validate(&proto_shape_DescribeTrainingJobRequest, v, &e),
	    e, "1 validation error detected: Value 'abc!' at "
	    "'TrainingJobName' failed to satisfy constraint: Member must "
	    "satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
	T_EQ_STR(e.type, APIERR_VALIDATION);
	T_EQ_INT(e.status, 400);
	cJSON_Delete(v);
}

static void
t_unknown_member(void)
{
	struct apierr e = { 0 };
	cJSON *v = tp_parse("{\"TrainingJobName\": \"a\", \"Foo\": 1}");

	TP_FAILS(proto_validate(&proto_shape_DescribeTrainingJobRequest, v, &e),
	    e, "at 'Foo'", "not part of DescribeTrainingJobRequest");
	cJSON_Delete(v);
}

static void
t_missing_required(void)
{
	struct apierr e = { 0 };
	cJSON *v = tp_parse("{}");

	TP_FAILS(proto_validate(&proto_shape_DescribeTrainingJobRequest, v, &e),
	    e, "Value null at 'TrainingJobName'", "must not be null");
	cJSON_Delete(v);
}

static void
t_null_is_absent(void)
{
	struct apierr e = { 0 };
	cJSON *v = tp_parse("{\"MaxResults\": null}");

	TP_OK(proto_validate(&proto_shape_ListTrainingJobsRequest, v, &e), e);
	cJSON_Delete(v);
}

static void
t_duplicate_member(void)
{
	struct apierr e = { 0 };
	cJSON *v = tp_parse("{\"TrainingJobName\": \"a\", "
	    "\"TrainingJobName\": \"b\"}");

	TP_FAILS(proto_validate(&proto_shape_DescribeTrainingJobRequest, v, &e),
	    e, "at 'TrainingJobName'", "only once");
	cJSON_Delete(v);
}

static void
t_wrong_types(void)
{
	static const struct { const char *body, *want; } cases[] = {
		{ "{\"MaxResults\": \"10\"}", "must be an integer, not a string" },
		{ "{\"MaxResults\": 1.5}", "32-bit integer" },
		{ "{\"MaxResults\": 1e12}", "32-bit integer" },
		{ "{\"NameContains\": 5}", "must be a string, not a number" },
		{ "{\"CreationTimeAfter\": true}", "timestamp" },
		{ "{\"CreationTimeAfter\": \"yesterday\"}", "timestamp" },
		{ "{\"SortOrder\": \"Up\"}", "enum value set: [Ascending, Descending]" },
		{ "{\"StatusEquals\": [\"Completed\"]}", "not a list" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct apierr e = { 0 };
		cJSON *v = tp_parse(cases[i].body);

		TP_FAILS(proto_validate(&proto_shape_ListTrainingJobsRequest, v,
		    &e), e, cases[i].want);
		cJSON_Delete(v);
	}
}

static void
t_number_limits(void)
{
	struct apierr e = { 0 };
	cJSON *v = tp_parse("{\"MaxResults\": 0}");

	TP_FAILS(proto_validate(&proto_shape_ListTrainingJobsRequest, v, &e), e,
	    "at 'MaxResults'", "greater than or equal to 1");
	cJSON_Delete(v);
	memset(&e, 0, sizeof(e));
	v = tp_parse("{\"MaxResults\": 101}");
	TP_FAILS(proto_validate(&proto_shape_ListTrainingJobsRequest, v, &e), e,
	    "less than or equal to 100");
	cJSON_Delete(v);
}

static void
t_several_errors_counted(void)
{
	struct apierr e = { 0 };
	cJSON *v = tp_parse("{\"MaxResults\": 0, \"SortOrder\": \"x\", "
	    "\"NameContains\": \"a b\"}");

	TP_FAILS(proto_validate(&proto_shape_ListTrainingJobsRequest, v, &e), e,
	    "3 validation errors detected", "'MaxResults'", "'SortOrder'",
	    "'NameContains'");
	cJSON_Delete(v);
}

static void
t_string_length_in_characters(void)
{
	struct apierr e = { 0 };
	/* 63 two-byte characters: 126 bytes but 63 characters. */
	char name[256] = "{\"NameContains\": \"";
	size_t i, n = strlen(name);
	cJSON *v;

	for (i = 0; i < 63; i++) {
		name[n++] = (char)0xc3;
		name[n++] = (char)0xa9;
	}
	memcpy(name + n, "\"}", 3);
	v = tp_parse(name);
	/* Length is fine (63), the pattern [a-zA-Z0-9\-]+ is not. */
	TP_FAILS(proto_validate(&proto_shape_ListTrainingJobsRequest, v, &e), e,
	    "regular expression");
	cJSON_Delete(v);
}

static void
t_invalid_utf8(void)
{
	struct apierr e = { 0 };
	cJSON *v = tp_parse("{\"NameContains\": \"a\xff\"}");

	TP_FAILS(proto_validate(&proto_shape_ListTrainingJobsRequest, v, &e), e,
	    "valid UTF-8");
	cJSON_Delete(v);
}

static void
t_timestamps(void)
{
	double t;
	cJSON *v;

	v = tp_value("\"2024-05-01T12:00:00Z\"");
	T_EQ_INT(proto_timestamp(v, &t), 0);
	T_NEAR(t, 1714564800.0, 1e-6);
	cJSON_Delete(v);
	v = tp_value("\"2024-05-01T14:00:00.5+02:00\"");
	T_EQ_INT(proto_timestamp(v, &t), 0);
	T_NEAR(t, 1714564800.5, 1e-6);
	cJSON_Delete(v);
	v = tp_value("1714564800.25");
	T_EQ_INT(proto_timestamp(v, &t), 0);
	T_NEAR(t, 1714564800.25, 1e-9);
	cJSON_Delete(v);
	v = tp_value("\"2024-13-01T00:00:00Z\"");
	T_EQ_INT(proto_timestamp(v, &t), TD_EINVAL);
	cJSON_Delete(v);
	v = tp_value("\"2024-05-01T12:00:00\"");	/* no zone */
	T_EQ_INT(proto_timestamp(v, &t), TD_EINVAL);
	cJSON_Delete(v);
}

static void
t_map_key_constraint(void)
{
	struct apierr e = { 0 };
	cJSON *v = tp_load("training_sdk.json");

	tp_set(v, "Environment.1BAD", "\"x\"");
	TP_FAILS(proto_validate(&proto_shape_CreateTrainingJobRequest, v, &e), e,
	    "Value '1BAD'", "Map keys must satisfy regular expression");
	cJSON_Delete(v);
}

/* --- the operation table ------------------------------------------------- */

static void
t_ops_table_in_enum_order(void)
{
	size_t i;

	for (i = 0; i < OP__COUNT; i++) {
		const struct proto_op *op = &proto_ops[i];

		T_EQ_INT(op->id, i);
		T_ASSERT(op->input != NULL && op->input->kind == PROTO_STRUCTURE);
		T_ASSERT(op->summary != NULL && op->summary[0] != '\0');
		T_ASSERT(proto_op_find(op->service, op->name) == op);
		if (op->name_field != NULL) {
			const struct proto_member *m = proto_member_find(
			    op->input, op->name_field);

			T_ASSERT(m != NULL && (m->flags & PROTO_REQUIRED));
		}
		if (strncmp(op->name, "List", 4) == 0 &&
		    strcmp(op->service, PROTO_SVC_SAGEMAKER) == 0)
			T_ASSERT(op->list != NULL);
	}
}

static void
t_ops_lookup(void)
{
	T_ASSERT(proto_op_by_target("SageMaker.CreateTrainingJob") ==
	    &proto_ops[OP_CREATE_TRAINING_JOB]);
	T_ASSERT(proto_op_by_target("Tunerd.AskTuningJob") ==
	    &proto_ops[OP_ASK_TUNING_JOB]);
	T_ASSERT(proto_op_by_target("Tunerd.CreateTrainingJob") == NULL);
	T_ASSERT(proto_op_by_target("SageMaker.AskTuningJob") == NULL);
	T_ASSERT(proto_op_by_target("SageMaker.") == NULL);
	T_ASSERT(proto_op_by_target("CreateTrainingJob") == NULL);
	T_ASSERT(proto_op_by_target(".CreateTrainingJob") == NULL);
	T_ASSERT(proto_op_by_target(NULL) == NULL);
	T_ASSERT(proto_op_find("SageMaker", "DeleteTrainingJob") == NULL);
}

static void
t_req_name(void)
{
	struct apierr e = { 0 };
	cJSON *v = tp_parse("{\"EndpointName\": \"boston-ep\"}");
	char *name = NULL;

	TP_OK(proto_req_name(&proto_ops[OP_DELETE_ENDPOINT], v, &name, &e), e);
	T_EQ_STR(name, "boston-ep");
	free(name);
	TP_FAILS(proto_req_name(&proto_ops[OP_DELETE_MODEL], v, &name, &e), e,
	    "'ModelName'", "'EndpointName'");
	T_ASSERT(name == NULL);
	cJSON_Delete(v);
}

/* --- List* --------------------------------------------------------------- */

static void
t_list_defaults(void)
{
	struct apierr e = { 0 };
	struct td_list_req r;
	cJSON *v = tp_parse("{}");

	TP_OK(list_req_decode(&proto_ops[OP_LIST_TRAINING_JOBS], v, &r, &e), e);
	T_EQ_INT(r.op, OP_LIST_TRAINING_JOBS);
	T_EQ_INT(r.max_results, 10);
	T_EQ_INT(r.sort_by, TD_SORT_CREATION_TIME);
	T_EQ_INT(r.descending, 0);
	T_ASSERT(isinf(r.created_after) && r.created_after < 0);
	T_ASSERT(isinf(r.created_before) && r.created_before > 0);
	T_ASSERT(r.name_contains == NULL && r.next_token == NULL);
	list_req_clear(&r);
	TP_OK(list_req_decode(&proto_ops[OP_LIST_MODELS], v, &r, &e), e);
	T_EQ_INT(r.descending, 1);
	list_req_clear(&r);
	TP_OK(list_req_decode(&proto_ops[OP_LIST_TUNING_JOBS], v, &r, &e), e);
	T_EQ_INT(r.sort_by, TD_SORT_NAME);
	list_req_clear(&r);
	list_req_clear(&r);	/* twice is harmless */
	cJSON_Delete(v);
}

static void
t_list_values(void)
{
	struct apierr e = { 0 };
	struct td_list_req r;
	cJSON *v = tp_parse("{\"NameContains\": \"boston\", "
	    "\"StatusEquals\": \"Completed\", \"SortBy\": \"Name\", "
	    "\"SortOrder\": \"Descending\", \"MaxResults\": 100, "
	    "\"NextToken\": \"abc\", \"CreationTimeAfter\": 1714564800, "
	    "\"LastModifiedTimeBefore\": \"2024-05-01T12:00:00Z\"}");

	TP_OK(list_req_decode(&proto_ops[OP_LIST_TRAINING_JOBS], v, &r, &e), e);
	T_EQ_STR(r.name_contains, "boston");
	T_EQ_STR(r.status_equals, "Completed");
	T_EQ_INT(r.sort_by, TD_SORT_NAME);
	T_EQ_INT(r.descending, 1);
	T_EQ_INT(r.max_results, 100);
	T_EQ_STR(r.next_token, "abc");
	T_NEAR(r.created_after, 1714564800.0, 0);
	T_NEAR(r.modified_before, 1714564800.0, 0);
	list_req_clear(&r);
	T_ASSERT(r.name_contains == NULL);
	cJSON_Delete(v);
}

static void
t_list_status_enum_per_op(void)
{
	struct apierr e = { 0 };
	struct td_list_req r;
	cJSON *v = tp_parse("{\"StatusEquals\": \"InService\"}");

	TP_OK(list_req_decode(&proto_ops[OP_LIST_ENDPOINTS], v, &r, &e), e);
	list_req_clear(&r);
	TP_FAILS(list_req_decode(&proto_ops[OP_LIST_TRAINING_JOBS], v, &r, &e),
	    e, "'StatusEquals'", "InProgress, Completed");
	cJSON_Delete(v);
	memset(&e, 0, sizeof(e));
	v = tp_parse("{\"StatusEquals\": \"InService\"}");
	/* ListModels has no status at all. */
	TP_FAILS(list_req_decode(&proto_ops[OP_LIST_MODELS], v, &r, &e), e,
	    "'StatusEquals'", "not part of ListModelsInput");
	cJSON_Delete(v);
}

static void
t_list_objective_sort_only_for_tuning(void)
{
	struct apierr e = { 0 };
	struct td_list_req r;
	cJSON *v = tp_parse("{\"HyperParameterTuningJobName\": \"tj\", "
	    "\"SortBy\": \"FinalObjectiveMetricValue\"}");

	TP_OK(list_req_decode(&proto_ops[OP_LIST_TRAINING_JOBS_FOR_TUNING_JOB],
	    v, &r, &e), e);
	T_EQ_INT(r.sort_by, TD_SORT_OBJECTIVE);
	T_EQ_STR(r.parent, "tj");
	T_EQ_INT(r.descending, 0);
	list_req_clear(&r);
	cJSON_DeleteItemFromObject(v, "HyperParameterTuningJobName");
	TP_FAILS(list_req_decode(&proto_ops[OP_LIST_TRAINING_JOBS_FOR_TUNING_JOB],
	    v, &r, &e), e, "'HyperParameterTuningJobName'", "must not be null");
	memset(&e, 0, sizeof(e));
	TP_FAILS(list_req_decode(&proto_ops[OP_LIST_TRAINING_JOBS], v, &r, &e),
	    e, "'SortBy'", "[Name, CreationTime, Status]");
	cJSON_Delete(v);
}

static void
t_list_rejects_non_list_op(void)
{
	struct apierr e = { 0 };
	struct td_list_req r;
	cJSON *v = tp_parse("{}");

	T_EQ_INT(list_req_decode(&proto_ops[OP_CREATE_MODEL], v, &r, &e),
	    TD_EINVAL);
	cJSON_Delete(v);
}

/* --- Tunerd.GetTrainingJobLogs ------------------------------------------- */

static void
t_logs_req(void)
{
	struct apierr e = { 0 };
	struct td_logs_req *r;
	cJSON *v = tp_parse("{\"TrainingJobName\": \"j1\"}");

	TP_OK(logs_req_decode(v, &r, &e), e);
	T_EQ_STR(r->name, "j1");
	T_EQ_INT(r->start_offset, 0);
	T_EQ_INT(r->max_bytes, 1048576);
	logs_req_free(r);
	logs_req_free(NULL);
	tp_set(v, "StartOffset", "5000000000");
	tp_set(v, "MaxBytes", "8388608");
	TP_OK(logs_req_decode(v, &r, &e), e);
	T_EQ_INT(r->start_offset, 5000000000L);
	T_EQ_INT(r->max_bytes, 8388608);
	logs_req_free(r);
	tp_set(v, "MaxBytes", "8388609");
	TP_FAILS(logs_req_decode(v, &r, &e), e, "'MaxBytes'",
	    "less than or equal to 8388608");
	T_ASSERT(r == NULL);
	memset(&e, 0, sizeof(e));
	tp_set(v, "MaxBytes", NULL);
	tp_set(v, "StartOffset", "-1");
	TP_FAILS(logs_req_decode(v, &r, &e), e, "'StartOffset'",
	    "greater than or equal to 0");
	cJSON_Delete(v);
}

T_MAIN(
	T_CASE(t_parse_object),
	T_CASE(t_parse_empty_is_object),
	T_CASE(t_parse_trailing_bytes),
	T_CASE(t_parse_two_objects),
	T_CASE(t_parse_not_object),
	T_CASE(t_parse_length_bounds_body),
	T_CASE(t_every_pattern_compiles),
	T_CASE(t_match_is_full),
	T_CASE(t_pattern_error_names_field),
	T_CASE(t_unknown_member),
	T_CASE(t_missing_required),
	T_CASE(t_null_is_absent),
	T_CASE(t_duplicate_member),
	T_CASE(t_wrong_types),
	T_CASE(t_number_limits),
	T_CASE(t_several_errors_counted),
	T_CASE(t_string_length_in_characters),
	T_CASE(t_invalid_utf8),
	T_CASE(t_timestamps),
	T_CASE(t_map_key_constraint),
	T_CASE(t_ops_table_in_enum_order),
	T_CASE(t_ops_lookup),
	T_CASE(t_req_name),
	T_CASE(t_list_defaults),
	T_CASE(t_list_values),
	T_CASE(t_list_status_enum_per_op),
	T_CASE(t_list_objective_sort_only_for_tuning),
	T_CASE(t_list_rejects_non_list_op),
	T_CASE(t_logs_req)
)
