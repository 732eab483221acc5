/*
 * tuning.h - CreateHyperParameterTuningJob and tunerd's ask/tell
 * operations as validated C structs.
 *
 * tuning_spec_decode() checks the request strictly against SageMaker's
 * shape and then as SageMaker does semantically (every failure a
 * ValidationException naming the field): name <= 32 characters; MinValue <
 * MaxValue as numbers, integers for integer ranges; Logarithmic only with
 * MinValue > 0; ReverseLogarithmic only for continuous ranges within
 * [0, 1); parameter names unique and not also static hyperparameters; at
 * most 30 tunable parameters; Grid only with categorical ranges;
 * MaxNumberOfTrainingJobs required except for Grid; the objective metric
 * among the definition's MetricDefinitions.
 *
 * Local differences, documented in the API reference: TrainingJobDefinition
 * is optional (a job without one is driven by AskTuningJob/TellTuningJob);
 * TrainingJobDefinitions with more than one entry, WarmStartConfig and
 * Autotune are refused as not supported locally; inside the definition
 * RoleArn, OutputDataConfig, ResourceConfig and StoppingCondition are
 * optional.
 *
 * Ownership: *_decode() return a struct the caller owns and frees with the
 * matching *_free(); every string in it belongs to it; *_free(NULL) is a
 * no-op.
 */
#ifndef TD_PROTO_TUNING_H
#define TD_PROTO_TUNING_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "apierr.h"
#include "training.h"

#define TUNING_MAX_PARAMS	30	/* tunable parameters, all kinds together */

enum td_strategy {
	TD_STRATEGY_BAYESIAN,
	TD_STRATEGY_RANDOM,
	TD_STRATEGY_GRID,
	TD_STRATEGY_HYPERBAND,
};

enum td_param_kind {
	TD_PARAM_INTEGER,
	TD_PARAM_CONTINUOUS,
	TD_PARAM_CATEGORICAL,
};

enum td_scaling {
	TD_SCALING_AUTO,
	TD_SCALING_LINEAR,
	TD_SCALING_LOG,		/* "Logarithmic" */
	TD_SCALING_REVERSE_LOG,	/* "ReverseLogarithmic" (continuous only) */
};

struct td_param_range {
	char			*name;
	enum td_param_kind	 kind;
	enum td_scaling		 scaling;	/* TD_SCALING_AUTO for categorical */
	double			 min, max;	/* integer/continuous; integral for integer */
	char			**values;	/* categorical: n_values strings, in order */
	size_t			 n_values;
};

struct td_tuning_spec {
	char		*name;			/* HyperParameterTuningJobName */
	enum td_strategy strategy;
	long		 hb_min_resource;	/* HyperbandStrategyConfig.MinResource, 0 if unset */
	long		 hb_max_resource;	/* HyperbandStrategyConfig.MaxResource, 0 if unset */
	char		*objective_metric;	/* objective MetricName, NULL if none given */
	int		 maximize;		/* objective Type Maximize (else Minimize) */
	long		 max_jobs;		/* MaxNumberOfTrainingJobs; 0 = unset (Grid: all) */
	long		 max_parallel;		/* MaxParallelTrainingJobs >= 1 */
	long		 max_runtime_s;		/* ResourceLimits.MaxRuntimeInSeconds, 0 if unset */
	struct td_param_range *params;		/* integer, then continuous, then categorical */
	size_t		 n_params;
	int		 early_stopping_auto;	/* TrainingJobEarlyStoppingType Auto */
	int		 has_target;		/* TargetObjectiveMetricValue given */
	double		 target;
	long		 not_improving;		/* MaxNumberOfTrainingJobsNotImproving, 0 if unset */
	int		 complete_on_convergence; /* ConvergenceDetected Enabled */
	int		 has_seed;
	long		 seed;			/* RandomSeed */
	/*
	 * The training job definition (TrainingJobDefinition, or the single
	 * entry of TrainingJobDefinitions), or NULL for an ask/tell job. Its
	 * name is NULL; its hyperparameters are the StaticHyperParameters.
	 */
	struct td_training_spec *definition;
	char		*definition_json;	/* the same definition as compact JSON, or NULL */
};

/* Validates and decodes a CreateHyperParameterTuningJob request. */
int tuning_spec_decode(const cJSON *req, struct td_tuning_spec **out,
    struct apierr *e);
void tuning_spec_free(struct td_tuning_spec *t);

/* A tuning parameter by name or NULL (borrowed). */
const struct td_param_range *tuning_spec_param(const struct td_tuning_spec *t,
    const char *name);

/*
 * Builds the CreateTrainingJob request of one trial: the definition with
 * TrainingJobName = trial_name and HyperParameters = the static ones plus
 * hps (hps win on a clash, which decode already forbids). The result is
 * validated with training_spec_decode() before it is returned. Returns 0
 * and *out_json (compact JSON, caller frees), or TD_EINVAL with e filled
 * (also when t has no definition).
 */
int tuning_trial_request(const struct td_tuning_spec *t,
    const char *trial_name, const struct td_kv *hps, size_t n_hps,
    char **out_json, struct apierr *e);

/* Tunerd.AskTuningJob: suggestions for an ask/tell tuning job. */
struct td_ask_req {
	char	*tuning_job_name;	/* HyperParameterTuningJobName */
	long	 count;			/* Count 1..100, default 1 */
};

int ask_req_decode(const cJSON *req, struct td_ask_req **out,
    struct apierr *e);
void ask_req_free(struct td_ask_req *r);

/* Tunerd.TellTuningJob: the result of one asked trial. */
struct td_tell_req {
	char	*tuning_job_name;	/* HyperParameterTuningJobName */
	char	*trial_name;		/* TrialName, as AskTuningJob returned it */
	int	 failed;		/* Failed: true; then objective is unused */
	double	 objective;		/* ObjectiveValue (finite) when !failed */
	char	*failure_reason;	/* FailureReason (<= 1024) or NULL */
};

/* Exactly one of ObjectiveValue and Failed=true must be given. */
int tell_req_decode(const cJSON *req, struct td_tell_req **out,
    struct apierr *e);
void tell_req_free(struct td_tell_req *r);

/* Names for enum values as SageMaker spells them ("Bayesian", "Logarithmic", ...). */
const char *tuning_strategy_name(enum td_strategy s);
const char *tuning_scaling_name(enum td_scaling s);

#endif
