/*
 * smenv.h - the SageMaker training contract a program sees: its
 * hyperparameter arguments, its SM_* environment and the input/config
 * files, rendered as the SageMaker training toolkit renders them.
 *
 * Pure functions of the training spec and the job directory path: no I/O,
 * so every rule here is unit-tested. Ownership: smenv_hps_decode() fills a
 * struct the caller releases with smenv_hps_free(); the struct strv and
 * struct pyj results are the caller's (strv_free(), pyj_free()).
 */
#ifndef TD_SMENV_H
#define TD_SMENV_H

#include "buf.h"
#include "pyjson.h"
#include "strv.h"
#include "training.h"

#define SMENV_HOST		"algo-1"
#define SMENV_GROUP		"homogeneousCluster"
#define SMENV_NET_IF		"lo"
#define SMENV_LOG_LEVEL		20

/* Hyperparameters split the toolkit's way; every value JSON-decoded. */
struct smenv_hps {
	struct pyj	*user;		/* dict: the program's hyperparameters */
	struct pyj	*framework;	/* dict: other sagemaker_* keys */
	char		*program;	/* sagemaker_program, or NULL */
	char		*submit_dir;	/* sagemaker_submit_directory, or NULL */
	struct pyj	*log_level;	/* sagemaker_container_log_level or 20 */
};

/*
 * Splits and decodes HyperParameters. A value that parses as JSON
 * (json.loads) is that value, anything else the raw string. Keys starting
 * "sagemaker_" and the toolkit's reserved keys (_tuning_objective_metric,
 * default_user_module_name) are not user hyperparameters.
 */
void smenv_hps_decode(const struct td_kv *kv, size_t n, struct smenv_hps *out);
void smenv_hps_free(struct smenv_hps *h);

/* Appends "--key value" pairs sorted by key ("-k" for a one-letter key). */
void smenv_args(const struct smenv_hps *h, struct strv *args);

/* Python's str.upper() for the ASCII letters of a key, into b. */
void smenv_upper(const char *s, struct buf *b);

struct smenv_ctx {
	const struct td_training_spec	*spec;
	const struct smenv_hps		*hps;
	const char			*job_dir;	/* absolute, no trailing / */
	long				 cpus;
	int				 cpus_given;	/* --cpus was set */
	char *const			*parent_env;	/* the worker's environ */
};

/*
 * Builds the program's environment, in this order, later entries winning:
 * inherited PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TZ,
 * TMPDIR, TERM and the sanitizer options; the defaults PYTHONUNBUFFERED and
 * PYTHONDONTWRITEBYTECODE (and OMP_NUM_THREADS/OPENBLAS_NUM_THREADS when
 * cpus_given); the request's Environment; then every SM_* variable and
 * TRAINING_JOB_NAME. An Environment name that starts with "SM_", is
 * TRAINING_JOB_NAME, or is not a valid name is refused and named in
 * *refused (comma-separated) so no request can override what the worker sets.
 */
void smenv_build(const struct smenv_ctx *c, struct strv *env,
    struct buf *refused);

/* The contents of input/config/hyperparameters.json (the raw strings). */
struct pyj *smenv_hyperparameters_json(const struct td_training_spec *spec);
/* The contents of input/config/inputdataconfig.json. */
struct pyj *smenv_input_data_config(const struct td_training_spec *spec);
/* The contents of input/config/resourceconfig.json. */
struct pyj *smenv_resource_config(const struct td_training_spec *spec);

#endif
