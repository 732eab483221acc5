/*
 * training.h - CreateTrainingJob as a validated C struct.
 *
 * The daemon decodes requests with training_spec_decode() and stores the
 * request JSON as it came (after validation); the worker decodes the same
 * JSON from its job directory (request.json) with the same function, so both
 * sides read one definition. Ownership: training_spec_decode() returns a
 * spec the caller owns and frees with training_spec_free(); every string in
 * it is owned by the spec. training_spec_free(NULL) is a no-op.
 *
 * Fields of SageMaker's shape that mean nothing on one machine (VpcConfig,
 * KmsKeyId, Tags, ...) are validated and then ignored; they are not kept here.
 */
#ifndef TD_PROTO_TRAINING_H
#define TD_PROTO_TRAINING_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "apierr.h"

struct td_kv {
	char	*key;
	char	*value;
};

struct td_channel {
	char	*name;		/* ChannelName, [A-Za-z0-9\.\-_]+, max 64 */
	char	*uri;		/* DataSource.S3DataSource.S3Uri or FileSystemDataSource path */
	char	*content_type;	/* ContentType or NULL */
	char	*compression;	/* CompressionType: "None" or "Gzip"; NULL = None */
	char	*input_mode;	/* InputMode or NULL (then the job's TrainingInputMode) */
};

struct td_metric_def {
	char	*name;		/* Name, .+ max 255 */
	char	*regex;		/* Regex, .+ max 500 */
};

struct td_training_spec {
	char	*name;			/* TrainingJobName */
	char	*training_image;	/* AlgorithmSpecification.TrainingImage or NULL */
	char	*algorithm_name;	/* AlgorithmSpecification.AlgorithmName or NULL */
	char	*input_mode;		/* AlgorithmSpecification.TrainingInputMode */
	char	**entrypoint;		/* ContainerEntrypoint, n_entrypoint items */
	size_t	 n_entrypoint;
	char	**arguments;		/* ContainerArguments */
	size_t	 n_arguments;
	struct td_metric_def *metrics;	/* AlgorithmSpecification.MetricDefinitions */
	size_t	 n_metrics;
	struct td_kv *hyperparameters;	/* HyperParameters, in request order */
	size_t	 n_hyperparameters;
	struct td_kv *environment;	/* Environment */
	size_t	 n_environment;
	struct td_channel *channels;	/* InputDataConfig */
	size_t	 n_channels;
	char	*output_path;		/* OutputDataConfig.S3OutputPath or NULL */
	char	*role_arn;		/* RoleArn or NULL (accepted, unused locally) */
	char	*instance_type;		/* ResourceConfig.InstanceType or NULL */
	long	 instance_count;	/* ResourceConfig.InstanceCount, default 1 */
	long	 volume_size_gb;	/* ResourceConfig.VolumeSizeInGB, 0 if unset */
	long	 max_runtime_s;		/* StoppingCondition.MaxRuntimeInSeconds, default 86400 */
	long	 max_wait_s;		/* StoppingCondition.MaxWaitTimeInSeconds, 0 if unset */
	long	 max_retry_attempts;	/* RetryStrategy.MaximumRetryAttempts, 0 if unset */
};

/*
 * Validates a CreateTrainingJob request strictly (unknown fields, wrong
 * types, out-of-range values, bad names and patterns are errors naming the
 * field path, e.g. "AlgorithmSpecification.MetricDefinitions[2].Regex") and
 * decodes it. Returns 0 and sets *out, or TD_EINVAL with e filled.
 */
int training_spec_decode(const cJSON *req, struct td_training_spec **out,
    struct apierr *e);
void training_spec_free(struct td_training_spec *s);

/* Value of a hyperparameter or NULL (borrowed). */
const char *training_spec_hp(const struct td_training_spec *s, const char *key);

/*
 * Tunerd.GetTrainingJobLogs: a byte range of a job's log. Decoded like the
 * rest (strict, field paths in errors); the caller owns the result and
 * frees it with logs_req_free() (NULL is a no-op).
 */
struct td_logs_req {
	char	*name;		/* TrainingJobName */
	long	 start_offset;	/* StartOffset >= 0, default 0 */
	long	 max_bytes;	/* MaxBytes 1..8388608, default 1048576 */
};

#define LOGS_DEFAULT_MAX_BYTES	1048576L
#define LOGS_MAX_MAX_BYTES	8388608L

int logs_req_decode(const cJSON *req, struct td_logs_req **out,
    struct apierr *e);
void logs_req_free(struct td_logs_req *r);

#endif
