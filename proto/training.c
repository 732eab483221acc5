/*
 * training.c - CreateTrainingJob and Tunerd.GetTrainingJobLogs decoding.
 *
 * Owns the mapping from SageMaker's CreateTrainingJobRequest to struct
 * td_training_spec and the rules the shape alone cannot state: one program
 * source (TrainingImage or AlgorithmName), one data source per channel,
 * unique channel and metric names, absolute local directories. Never does
 * I/O: whether a path exists is the worker's question.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "err.h"
#include "proto.h"
#include "shapes.h"
#include "training.h"

#define DEFAULT_MAX_RUNTIME_S	86400L

static const char *
channel_uri(const cJSON *ch, const char **which)
{
	const cJSON *ds = proto__get(ch, "DataSource");
	const cJSON *s3 = proto__get(ds, "S3DataSource");
	const cJSON *fs = proto__get(ds, "FileSystemDataSource");

	if (s3 != NULL && fs == NULL) {
		*which = "DataSource.S3DataSource.S3Uri";
		return cJSON_GetStringValue(proto__get(s3, "S3Uri"));
	}
	if (fs != NULL && s3 == NULL) {
		*which = "DataSource.FileSystemDataSource.DirectoryPath";
		return cJSON_GetStringValue(proto__get(fs, "DirectoryPath"));
	}
	*which = "DataSource";
	return NULL;
}

/* Checks one channel; i is its index for messages. */
static int
check_channel(const cJSON *ch, size_t i, struct apierr *e)
{
	const cJSON *ds = proto__get(ch, "DataSource");
	const cJSON *name = proto__get(ch, "ChannelName");
	const char *which, *uri;
	char path[128];

	/* The pattern admits "." and "..", which would name input/data itself
	 * or its parent once the channel becomes a directory. */
	if (cJSON_IsString(name) && (strcmp(name->valuestring, ".") == 0 ||
	    strcmp(name->valuestring, "..") == 0)) {
		proto__pathf(path, sizeof(path), "InputDataConfig[%zu].ChannelName",
		    i);
		return proto__invalid(e, name, path, "Member must not be \".\" or "
		    "\"..\": a channel becomes the directory input/data/<name>");
	}
	if (proto__get(ds, "DatasetSource") != NULL) {
		proto__pathf(path, sizeof(path),
		    "InputDataConfig[%zu].DataSource.DatasetSource", i);
		return proto__invalid(e, proto__get(ds, "DatasetSource"), path,
		    "DatasetSource is not supported locally; use S3DataSource "
		    "with a file:// or http(s):// S3Uri");
	}
	uri = channel_uri(ch, &which);
	proto__pathf(path, sizeof(path), "InputDataConfig[%zu].%s", i, which);
	if (uri == NULL)
		return proto__invalid(e, ds, path, "Member must have exactly one "
		    "of S3DataSource and FileSystemDataSource");
	if (strcmp(which, "DataSource.FileSystemDataSource.DirectoryPath") == 0 &&
	    uri[0] != '/')
		return proto__invalid(e, proto__path(ds, "FileSystemDataSource",
		    "DirectoryPath", NULL), path,
		    "Member must be an absolute directory path");
	return 0;
}

/* Index of the first entry of list whose member field repeats, or -1. */
static int
find_repeat(const cJSON *list, const char *field, const cJSON **dup)
{
	const cJSON *a, *b;
	int i = 0;

	for (a = list != NULL ? list->child : NULL; a != NULL; a = a->next, i++) {
		const char *x = cJSON_GetStringValue(proto__get(a, field));

		for (b = list->child; b != a && x != NULL; b = b->next) {
			const char *y = cJSON_GetStringValue(proto__get(b, field));

			if (y != NULL && strcmp(x, y) == 0) {
				*dup = proto__get(a, field);
				return i;
			}
		}
	}
	return -1;
}

static int
check_request(const cJSON *req, struct apierr *e)
{
	const cJSON *alg = proto__get(req, "AlgorithmSpecification");
	const cJSON *chs = proto__get(req, "InputDataConfig"), *ch, *dup = NULL;
	const cJSON *img, *name, *defs;
	char path[128];
	size_t i = 0;
	int k, rc;

	if (alg == NULL)
		return proto__invalid(e, NULL, "AlgorithmSpecification",
		    "Member must not be null (tunerd needs a program to run)");
	img = proto__get(alg, "TrainingImage");
	name = proto__get(alg, "AlgorithmName");
	if ((img == NULL) == (name == NULL))
		return proto__invalid(e, img != NULL ? img : name,
		    "AlgorithmSpecification.TrainingImage",
		    "Member must be set, or AlgorithmName, but not both");
	if (img != NULL && img->valuestring[0] == '\0')
		return proto__invalid(e, img,
		    "AlgorithmSpecification.TrainingImage",
		    "Member must not be empty");
	for (ch = chs != NULL ? chs->child : NULL; ch != NULL; ch = ch->next, i++)
		if ((rc = check_channel(ch, i, e)) != 0)
			return rc;
	if ((k = find_repeat(chs, "ChannelName", &dup)) >= 0) {
		proto__pathf(path, sizeof(path), "InputDataConfig[%d].ChannelName", k);
		return proto__invalid(e, dup, path,
		    "Member must be unique among the channels");
	}
	defs = proto__get(alg, "MetricDefinitions");
	for (i = 0, ch = defs != NULL ? defs->child : NULL; ch != NULL;
	    ch = ch->next, i++) {
		proto__pathf(path, sizeof(path),
		    "AlgorithmSpecification.MetricDefinitions[%zu].Regex", i);
		if ((rc = proto__check_regex(proto__get(ch, "Regex"), path,
		    e)) != 0)
			return rc;
	}
	if ((k = find_repeat(proto__get(alg, "MetricDefinitions"), "Name",
	    &dup)) >= 0) {
		proto__pathf(path, sizeof(path),
		    "AlgorithmSpecification.MetricDefinitions[%d].Name", k);
		return proto__invalid(e, dup, path,
		    "Member must be unique among the metric definitions");
	}
	return 0;
}

static void
decode_channels(const cJSON *list, struct td_training_spec *s)
{
	const cJSON *ch;
	size_t i = 0;

	s->n_channels = 0;
	if (list == NULL)
		return;
	s->channels = proto__xcalloc((size_t)cJSON_GetArraySize(list),
	    sizeof(*s->channels));
	for (ch = list->child; ch != NULL; ch = ch->next, i++) {
		struct td_channel *c = &s->channels[i];
		const char *which;

		c->name = proto__str(ch, "ChannelName");
		c->uri = proto__xstrdup(channel_uri(ch, &which));
		c->content_type = proto__str(ch, "ContentType");
		c->compression = proto__str(ch, "CompressionType");
		c->input_mode = proto__str(ch, "InputMode");
	}
	s->n_channels = i;
}

static void
decode_metrics(const cJSON *list, struct td_training_spec *s)
{
	const cJSON *m;
	size_t i = 0;

	if (list == NULL)
		return;
	s->metrics = proto__xcalloc((size_t)cJSON_GetArraySize(list),
	    sizeof(*s->metrics));
	for (m = list->child; m != NULL; m = m->next, i++) {
		s->metrics[i].name = proto__str(m, "Name");
		s->metrics[i].regex = proto__str(m, "Regex");
	}
	s->n_metrics = i;
}

static struct td_training_spec *
decode(const cJSON *req)
{
	const cJSON *alg = proto__get(req, "AlgorithmSpecification");
	const cJSON *rc = proto__get(req, "ResourceConfig");
	const cJSON *sc = proto__get(req, "StoppingCondition");
	struct td_training_spec *s;

	s = proto__xcalloc(1, sizeof(*s));
	s->name = proto__str(req, "TrainingJobName");
	s->training_image = proto__str(alg, "TrainingImage");
	s->algorithm_name = proto__str(alg, "AlgorithmName");
	s->input_mode = proto__str(alg, "TrainingInputMode");
	if (s->input_mode == NULL)
		s->input_mode = proto__xstrdup("File");
	proto__strv(proto__get(alg, "ContainerEntrypoint"), &s->entrypoint,
	    &s->n_entrypoint);
	proto__strv(proto__get(alg, "ContainerArguments"), &s->arguments,
	    &s->n_arguments);
	decode_metrics(proto__get(alg, "MetricDefinitions"), s);
	proto__kv_map(proto__get(req, "HyperParameters"), &s->hyperparameters,
	    &s->n_hyperparameters);
	proto__kv_map(proto__get(req, "Environment"), &s->environment,
	    &s->n_environment);
	decode_channels(proto__get(req, "InputDataConfig"), s);
	s->output_path = proto__str(proto__get(req, "OutputDataConfig"),
	    "S3OutputPath");
	s->role_arn = proto__str(req, "RoleArn");
	s->instance_type = proto__str(rc, "InstanceType");
	s->instance_count = proto__long(rc, "InstanceCount", 1);
	s->volume_size_gb = proto__long(rc, "VolumeSizeInGB", 0);
	s->max_runtime_s = proto__long(sc, "MaxRuntimeInSeconds",
	    DEFAULT_MAX_RUNTIME_S);
	s->max_wait_s = proto__long(sc, "MaxWaitTimeInSeconds", 0);
	s->max_retry_attempts = proto__long(proto__get(req, "RetryStrategy"),
	    "MaximumRetryAttempts", 0);
	return s;
}

int
training_spec_decode(const cJSON *req, struct td_training_spec **out,
    struct apierr *e)
{
	int rc;

	*out = NULL;
	if ((rc = proto_validate(&proto_shape_CreateTrainingJobRequest, req,
	    e)) != 0)
		return rc;
	if ((rc = check_request(req, e)) != 0)
		return rc;
	*out = decode(req);
	return 0;
}

void
training_spec_free(struct td_training_spec *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->name);
	free(s->training_image);
	free(s->algorithm_name);
	free(s->input_mode);
	proto__strv_free(s->entrypoint, s->n_entrypoint);
	proto__strv_free(s->arguments, s->n_arguments);
	for (i = 0; i < s->n_metrics; i++) {
		free(s->metrics[i].name);
		free(s->metrics[i].regex);
	}
	free(s->metrics);
	proto__kv_free(s->hyperparameters, s->n_hyperparameters);
	proto__kv_free(s->environment, s->n_environment);
	for (i = 0; i < s->n_channels; i++) {
		free(s->channels[i].name);
		free(s->channels[i].uri);
		free(s->channels[i].content_type);
		free(s->channels[i].compression);
		free(s->channels[i].input_mode);
	}
	free(s->channels);
	free(s->output_path);
	free(s->role_arn);
	free(s->instance_type);
	free(s);
}

const char *
training_spec_hp(const struct td_training_spec *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n_hyperparameters; i++)
		if (strcmp(s->hyperparameters[i].key, key) == 0)
			return s->hyperparameters[i].value;
	return NULL;
}

int
logs_req_decode(const cJSON *req, struct td_logs_req **out,
    struct apierr *e)
{
	const struct proto_op *op = &proto_ops[OP_GET_TRAINING_JOB_LOGS];
	struct td_logs_req *r;
	int rc;

	*out = NULL;
	if ((rc = proto_validate(op->input, req, e)) != 0)
		return rc;
	r = proto__xcalloc(1, sizeof(*r));
	r->name = proto__str(req, "TrainingJobName");
	r->start_offset = proto__long(req, "StartOffset", 0);
	r->max_bytes = proto__long(req, "MaxBytes", LOGS_DEFAULT_MAX_BYTES);
	*out = r;
	return 0;
}

void
logs_req_free(struct td_logs_req *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r);
}
