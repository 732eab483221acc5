/*
 * fuzz_proto.c - every request decoder of proto/ under arbitrary bytes.
 *
 * Input: the first byte picks an operation of the table (modulo
 * OP__COUNT), the rest is the request body. The body goes through the
 * daemon's own path: proto_parse(), then the operation's decoder (the one
 * the daemon's handler calls), then, for a tuning job with a definition,
 * tuning_trial_request(). Every result is freed (leaks show under ASan).
 *
 * Checks (abort on failure): a decoder succeeds with a result or fails
 * with an error type and a non-empty message, never both or neither; a
 * parse failure is a SerializationException.
 *
 * Built with -DTD_LIBFUZZER -fsanitize=fuzzer it is a libFuzzer target;
 * otherwise tests/fuzz/replay.c supplies main().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "proto.h"
#include "serving.h"
#include "training.h"
#include "tuning.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_proto: %s\n", what);
		abort();
	}
}

/* rc and result agree, and a failure carries a message a person reads. */
static void
check_result(int rc, const void *result, const struct apierr *e)
{
	check((rc == 0) == (result != NULL), "result does not match rc");
	if (rc != 0)
		check(e->type != NULL && e->message[0] != '\0',
		    "failure without a message");
}

static void
decode(const struct proto_op *op, const cJSON *req)
{
	struct apierr e = { 0 };
	int rc;

	switch (op->id) {
	case OP_CREATE_TRAINING_JOB: {
		struct td_training_spec *s = NULL;

		rc = training_spec_decode(req, &s, &e);
		check_result(rc, s, &e);
		training_spec_free(s);
		break;
	}
	case OP_CREATE_TUNING_JOB: {
		struct td_tuning_spec *t = NULL;
		struct apierr e2 = { 0 };
		struct td_kv hp = { "learning_rate", "0.5" };
		char *json = NULL;

		rc = tuning_spec_decode(req, &t, &e);
		check_result(rc, t, &e);
		if (rc == 0 && t->definition != NULL &&
		    tuning_trial_request(t, "trial-001-0badcafe", &hp, 1, &json,
		    &e2) == 0)
			check(json != NULL, "trial request without JSON");
		free(json);
		tuning_spec_free(t);
		break;
	}
	case OP_GET_TRAINING_JOB_LOGS: {
		struct td_logs_req *r = NULL;

		rc = logs_req_decode(req, &r, &e);
		check_result(rc, r, &e);
		logs_req_free(r);
		break;
	}
	case OP_ASK_TUNING_JOB: {
		struct td_ask_req *r = NULL;

		rc = ask_req_decode(req, &r, &e);
		check_result(rc, r, &e);
		ask_req_free(r);
		break;
	}
	case OP_TELL_TUNING_JOB: {
		struct td_tell_req *r = NULL;

		rc = tell_req_decode(req, &r, &e);
		check_result(rc, r, &e);
		tell_req_free(r);
		break;
	}
	case OP_CREATE_MODEL: {
		struct td_model_spec *m = NULL;

		rc = model_spec_decode(req, &m, &e);
		check_result(rc, m, &e);
		model_spec_free(m);
		break;
	}
	case OP_CREATE_ENDPOINT_CONFIG: {
		struct td_endpoint_config_spec *c = NULL;

		rc = endpoint_config_spec_decode(req, &c, &e);
		check_result(rc, c, &e);
		endpoint_config_spec_free(c);
		break;
	}
	case OP_CREATE_ENDPOINT:
	case OP_UPDATE_ENDPOINT: {
		struct td_endpoint_spec *s = NULL;

		rc = op->id == OP_CREATE_ENDPOINT ?
		    endpoint_spec_decode(req, &s, &e) :
		    endpoint_update_decode(req, &s, &e);
		check_result(rc, s, &e);
		endpoint_spec_free(s);
		break;
	}
	default:
		if (op->list != NULL) {
			struct td_list_req lr;

			rc = list_req_decode(op, req, &lr, &e);
			check(rc == 0 || (e.type != NULL && e.message[0] != '\0'),
			    "list failure without a message");
			list_req_clear(&lr);
		} else if (op->name_field != NULL) {
			char *name = NULL;

			rc = proto_req_name(op, req, &name, &e);
			check_result(rc, name, &e);
			free(name);
		} else {
			rc = proto_op_validate(op, req, &e);
			check(rc == 0 || e.type != NULL, "validate without type");
		}
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct proto_op *op;
	struct apierr e = { 0 };
	cJSON *req = NULL;
	char *body;

	if (size < 1 || size > 1024 * 1024)
		return 0;
	op = &proto_ops[data[0] % OP__COUNT];
	/* The daemon hands proto_parse a NUL-terminated body; so do we, but
	 * from a buffer of exactly the body's size plus the NUL. */
	if ((body = malloc(size)) == NULL)
		abort();
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	if (proto_parse(body, size - 1, &req, &e) == 0) {
		check(req != NULL, "parse without a result");
		decode(op, req);
		cJSON_Delete(req);
	} else {
		check(req == NULL && e.type != NULL, "parse failure");
	}
	free(body);
	return 0;
}
