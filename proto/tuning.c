/*
 * tuning.c - CreateHyperParameterTuningJob, AskTuningJob and TellTuningJob
 * decoding, and the trial request built from a tuning job's definition.
 *
 * Owns SageMaker's semantic rules for tuning jobs (tuning.h lists them)
 * and the mapping from a HyperParameterTrainingJobDefinition to the
 * CreateTrainingJob request of a trial (decode.c's proto__trial_json), so
 * a trial's request is validated by the same code as a user's. Never does
 * I/O and never knows what a strategy does with the ranges.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decode.h"
#include "err.h"
#include "proto.h"
#include "shapes.h"
#include "tuning.h"
#include "util.h"

#define CFG	"HyperParameterTuningJobConfig"
#define PATH_LEN 256
#define MAX_TRIAL_HPS 100	/* HyperParameters of a CreateTrainingJob */

struct range_kind {
	const char		*list;
	enum td_param_kind	 kind;
};

static const struct range_kind range_kinds[] = {
	{ "IntegerParameterRanges", TD_PARAM_INTEGER },
	{ "ContinuousParameterRanges", TD_PARAM_CONTINUOUS },
	{ "CategoricalParameterRanges", TD_PARAM_CATEGORICAL },
};

static const char *const strategy_names[] = {
	[TD_STRATEGY_BAYESIAN] = "Bayesian",
	[TD_STRATEGY_RANDOM] = "Random",
	[TD_STRATEGY_GRID] = "Grid",
	[TD_STRATEGY_HYPERBAND] = "Hyperband",
};

static const char *const scaling_names[] = {
	[TD_SCALING_AUTO] = "Auto",
	[TD_SCALING_LINEAR] = "Linear",
	[TD_SCALING_LOG] = "Logarithmic",
	[TD_SCALING_REVERSE_LOG] = "ReverseLogarithmic",
};

const char *
tuning_strategy_name(enum td_strategy s)
{
	return (unsigned)s < 4 ? strategy_names[s] : "?";
}

const char *
tuning_scaling_name(enum td_scaling s)
{
	return (unsigned)s < 4 ? scaling_names[s] : "?";
}

/* Index of name in a NULL-free array of n names, or -1. */
static int
name_index(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* --- the definition ----------------------------------------------------- */

/*
 * The one training job definition, or NULL for an ask/tell job; *path
 * gets its member path for messages. Refuses what is not supported.
 */
static int
pick_definition(const cJSON *req, const cJSON **def, const char **path,
    struct apierr *e)
{
	const cJSON *one = proto__get(req, "TrainingJobDefinition");
	const cJSON *many = proto__get(req, "TrainingJobDefinitions");

	*def = one;
	*path = "TrainingJobDefinition";
	if (proto__get(req, "WarmStartConfig") != NULL)
		return proto__invalid(e, proto__get(req, "WarmStartConfig"),
		    "WarmStartConfig", "WarmStartConfig is not supported by "
		    "tunerd yet; create the tuning job without it");
	if (proto__get(req, "Autotune") != NULL)
		return proto__invalid(e, proto__get(req, "Autotune"), "Autotune",
		    "Autotune is not supported locally; give "
		    "HyperParameterTuningJobConfig.ParameterRanges instead");
	if (many == NULL)
		return 0;
	if (one != NULL)
		return proto__invalid(e, many, "TrainingJobDefinitions",
		    "Member must not be set together with TrainingJobDefinition");
	if (cJSON_GetArraySize(many) > 1)
		return proto__invalid(e, many, "TrainingJobDefinitions",
		    "Member must have length 1: tuning several training job "
		    "definitions at once is not supported locally");
	*def = many->child;
	*path = "TrainingJobDefinitions[0]";
	return 0;
}

/*
 * Decodes the definition with training_spec_decode(); its messages name
 * paths of a CreateTrainingJob request, so they are re-rooted at defpath.
 */
static int
decode_definition(const cJSON *def, const char *defpath,
    struct td_training_spec **out, struct apierr *e)
{
	cJSON *req = proto__trial_json(def, NULL, NULL, 0);
	struct apierr sub = { 0 };
	struct buf b = { 0 };
	const char *p, *at;
	int rc;

	rc = training_spec_decode(req, out, &sub);
	cJSON_Delete(req);
	if (rc == 0) {
		free((*out)->name);
		(*out)->name = NULL;
		return 0;
	}
	for (p = sub.message; (at = strstr(p, " at '")) != NULL; p = at + 5) {
		buf_append(&b, p, (size_t)(at - p) + 5);
		buf_printf(&b, "%s.", defpath);
	}
	buf_puts(&b, p);
	rc = proto__refuse(e, "%s", b.data);
	buf_free(&b);
	return rc;
}

/* --- ranges ------------------------------------------------------------- */

/* Parses MinValue/MaxValue of an integer or continuous range at path. */
static int
range_bound(const cJSON *r, const char *member, enum td_param_kind kind,
    const char *path, double *out, struct apierr *e)
{
	const cJSON *v = proto__get(r, member);
	char p[PATH_LEN];
	long l;

	proto__pathf(p, sizeof(p), "%s.%s", path, member);
	if (kind == TD_PARAM_INTEGER) {
		if (td_parse_long(v->valuestring, -(1L << 53), 1L << 53, &l) != 0)
			return proto__invalid(e, v, p, "Member must be an integer");
		*out = (double)l;
		return 0;
	}
	if (td_parse_double(v->valuestring, out) != 0)
		return proto__invalid(e, v, p, "Member must be a number");
	return 0;
}

static int
range_scaling(const cJSON *r, struct td_param_range *pr, const char *path,
    struct apierr *e)
{
	const cJSON *v = proto__get(r, "ScalingType");
	char p[PATH_LEN];
	int i;

	proto__pathf(p, sizeof(p), "%s.ScalingType", path);
	i = name_index(scaling_names, 4, cJSON_GetStringValue(v));
	pr->scaling = i < 0 ? TD_SCALING_AUTO : (enum td_scaling)i;
	if (pr->scaling == TD_SCALING_LOG && !(pr->min > 0))
		return proto__invalid(e, v, p, "Logarithmic scaling requires "
		    "MinValue > 0 (MinValue is %.17g)", pr->min);
	if (pr->scaling == TD_SCALING_REVERSE_LOG && pr->kind == TD_PARAM_INTEGER)
		return proto__invalid(e, v, p, "ReverseLogarithmic scaling is "
		    "only for continuous ranges");
	if (pr->scaling == TD_SCALING_REVERSE_LOG &&
	    !(pr->min >= 0 && pr->max < 1))
		return proto__invalid(e, v, p, "ReverseLogarithmic scaling "
		    "requires 0 <= MinValue and MaxValue < 1 (range is "
		    "[%.17g, %.17g])", pr->min, pr->max);
	return 0;
}

static int
decode_range(const cJSON *r, enum td_param_kind kind, const char *path,
    struct td_param_range *pr, struct apierr *e)
{
	char p[PATH_LEN];
	int rc;

	pr->name = proto__str(r, "Name");
	pr->kind = kind;
	if (pr->name[0] == '\0') {
		proto__pathf(p, sizeof(p), "%s.Name", path);
		return proto__invalid(e, proto__get(r, "Name"), p,
		    "Member must not be empty");
	}
	if (kind == TD_PARAM_CATEGORICAL) {
		proto__strv(proto__get(r, "Values"), &pr->values, &pr->n_values);
		return 0;
	}
	if ((rc = range_bound(r, "MinValue", kind, path, &pr->min, e)) != 0 ||
	    (rc = range_bound(r, "MaxValue", kind, path, &pr->max, e)) != 0)
		return rc;
	if (!(pr->min < pr->max)) {
		proto__pathf(p, sizeof(p), "%s.MaxValue", path);
		return proto__invalid(e, proto__get(r, "MaxValue"), p,
		    "MaxValue must be greater than MinValue (%.17g)", pr->min);
	}
	return range_scaling(r, pr, path, e);
}

/* Decodes every range of a ParameterRanges object at base. */
static int
decode_ranges(const cJSON *ranges, const char *base, struct td_tuning_spec *t,
    struct apierr *e)
{
	const cJSON *auto_p = proto__get(ranges, "AutoParameters"), *x;
	char path[PATH_LEN];
	size_t k, i, total = 0;
	int rc;

	if (auto_p != NULL && cJSON_GetArraySize(auto_p) > 0) {
		proto__pathf(path, sizeof(path), "%s.AutoParameters", base);
		return proto__invalid(e, auto_p, path,
		    "AutoParameters is not supported locally");
	}
	for (k = 0; k < 3; k++)
		total += (size_t)cJSON_GetArraySize(proto__get(ranges,
		    range_kinds[k].list));
	if (total > TUNING_MAX_PARAMS)
		return proto__invalid(e, ranges, base, "At most %d tunable "
		    "parameters in all, %zu given", TUNING_MAX_PARAMS, total);
	t->params = proto__xcalloc(total, sizeof(*t->params));
	for (k = 0; k < 3; k++) {
		x = proto__get(ranges, range_kinds[k].list);
		for (i = 0, x = x != NULL ? x->child : NULL; x != NULL;
		    x = x->next, i++) {
			proto__pathf(path, sizeof(path), "%s.%s[%zu]", base,
			    range_kinds[k].list, i);
			rc = decode_range(x, range_kinds[k].kind, path,
			    &t->params[t->n_params++], e);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* The path of the n-th decoded parameter's Name, for messages. */
static void
param_path(const struct td_tuning_spec *t, size_t n, const char *base,
    char *out, size_t len)
{
	size_t i, within = 0;

	for (i = 0; i < n; i++)
		if (t->params[i].kind == t->params[n].kind)
			within++;
	snprintf(out, len, "%s.%s[%zu].Name", base,
	    range_kinds[t->params[n].kind].list, within);
}

static int
check_param_names(const struct td_tuning_spec *t, const char *base,
    struct apierr *e)
{
	cJSON v = { 0 };
	char path[PATH_LEN];
	size_t i, j;

	if (t->definition != NULL &&
	    t->definition->n_hyperparameters + t->n_params > MAX_TRIAL_HPS)
		return proto__refuse(e, "1 validation error detected: the %zu "
		    "StaticHyperParameters and %zu tuned parameters make more "
		    "than %d hyperparameters per training job at '%s'",
		    t->definition->n_hyperparameters, t->n_params, MAX_TRIAL_HPS,
		    base);
	v.type = cJSON_String;
	for (i = 0; i < t->n_params; i++) {
		v.valuestring = t->params[i].name;
		for (j = 0; j < i; j++) {
			if (strcmp(t->params[i].name, t->params[j].name) != 0)
				continue;
			param_path(t, i, base, path, sizeof(path));
			return proto__invalid(e, &v, path, "Member must be "
			    "unique among the parameter ranges");
		}
		if (t->definition != NULL &&
		    training_spec_hp(t->definition, t->params[i].name) != NULL) {
			param_path(t, i, base, path, sizeof(path));
			return proto__invalid(e, &v, path, "Member must not also "
			    "be a static hyperparameter (StaticHyperParameters)");
		}
	}
	return 0;
}

/* --- the configuration --------------------------------------------------- */

static int
decode_strategy(const cJSON *cfg, struct td_tuning_spec *t, struct apierr *e)
{
	const cJSON *sc = proto__get(cfg, "StrategyConfig");
	const cJSON *hb = proto__get(sc, "HyperbandStrategyConfig");
	const char *es;
	int i;

	i = name_index(strategy_names, 4, cJSON_GetStringValue(
	    proto__get(cfg, "Strategy")));
	t->strategy = i < 0 ? TD_STRATEGY_BAYESIAN : (enum td_strategy)i;
	if (sc != NULL && t->strategy != TD_STRATEGY_HYPERBAND)
		return proto__invalid(e, sc, CFG ".StrategyConfig",
		    "StrategyConfig is only valid with the Hyperband strategy");
	t->hb_min_resource = proto__long(hb, "MinResource", 0);
	t->hb_max_resource = proto__long(hb, "MaxResource", 0);
	if (t->hb_min_resource > 0 && t->hb_max_resource > 0 &&
	    t->hb_min_resource > t->hb_max_resource)
		return proto__invalid(e, proto__get(hb, "MaxResource"),
		    CFG ".StrategyConfig.HyperbandStrategyConfig.MaxResource",
		    "MaxResource must be at least MinResource (%ld)",
		    t->hb_min_resource);
	es = cJSON_GetStringValue(proto__get(cfg, "TrainingJobEarlyStoppingType"));
	t->early_stopping_auto = es != NULL && strcmp(es, "Auto") == 0;
	if (t->early_stopping_auto && t->strategy == TD_STRATEGY_HYPERBAND)
		return proto__invalid(e, proto__get(cfg,
		    "TrainingJobEarlyStoppingType"),
		    CFG ".TrainingJobEarlyStoppingType", "Hyperband stops "
		    "training jobs early by itself; this must be Off");
	return 0;
}

static int
decode_limits(const cJSON *cfg, struct td_tuning_spec *t, struct apierr *e)
{
	const cJSON *rl = proto__get(cfg, "ResourceLimits");
	const cJSON *cc = proto__get(cfg, "TuningJobCompletionCriteria");
	const cJSON *v;

	t->max_jobs = proto__long(rl, "MaxNumberOfTrainingJobs", 0);
	t->max_parallel = proto__long(rl, "MaxParallelTrainingJobs", 1);
	t->max_runtime_s = proto__long(rl, "MaxRuntimeInSeconds", 0);
	if (t->max_jobs == 0 && t->strategy != TD_STRATEGY_GRID)
		return proto__invalid(e, NULL,
		    CFG ".ResourceLimits.MaxNumberOfTrainingJobs",
		    "Member must not be null for the %s strategy (only Grid "
		    "may leave it out)", tuning_strategy_name(t->strategy));
	if ((v = proto__get(cc, "TargetObjectiveMetricValue")) != NULL) {
		t->has_target = 1;
		t->target = v->valuedouble;
	}
	t->not_improving = proto__long(proto__get(cc,
	    "BestObjectiveNotImproving"), "MaxNumberOfTrainingJobsNotImproving",
	    0);
	v = proto__path(cc, "ConvergenceDetected", "CompleteOnConvergence",
	    NULL);
	t->complete_on_convergence = v != NULL &&
	    strcmp(v->valuestring, "Enabled") == 0;
	if ((v = proto__get(cfg, "RandomSeed")) != NULL) {
		t->has_seed = 1;
		t->seed = (long)v->valuedouble;
	}
	return 0;
}

/* The objective from the config, else from the definition's TuningObjective. */
static int
decode_objective(const cJSON *cfg, const cJSON *def,
    struct td_tuning_spec *t, struct apierr *e)
{
	const cJSON *obj = proto__get(cfg, "HyperParameterTuningJobObjective");

	if (obj == NULL)
		obj = proto__get(def, "TuningObjective");
	if (obj == NULL)
		return proto__invalid(e, NULL,
		    CFG ".HyperParameterTuningJobObjective",
		    "Member must not be null (the tuning job needs an "
		    "objective metric and direction)");
	t->objective_metric = proto__str(obj, "MetricName");
	t->maximize = strcmp(cJSON_GetStringValue(proto__get(obj, "Type")),
	    "Maximize") == 0;
	return 0;
}

/* The objective must be one of the definition's metrics, if it has any. */
static int
check_objective_metric(const cJSON *cfg, const struct td_tuning_spec *t,
    const char *defpath, struct apierr *e)
{
	const struct td_training_spec *d = t->definition;
	const cJSON *v;
	struct buf names = { 0 };
	size_t i;
	int rc;

	if (d == NULL || t->objective_metric == NULL ||
	    (d->n_metrics == 0 && d->algorithm_name != NULL))
		return 0;
	for (i = 0; i < d->n_metrics; i++) {
		if (strcmp(d->metrics[i].name, t->objective_metric) == 0)
			return 0;
		buf_printf(&names, "%s%s", i ? ", " : "", d->metrics[i].name);
	}
	v = proto__path(cfg, "HyperParameterTuningJobObjective", "MetricName",
	    NULL);
	rc = proto__invalid(e, v, CFG ".HyperParameterTuningJobObjective."
	    "MetricName", "Member must name one of %s.AlgorithmSpecification."
	    "MetricDefinitions (%s)", defpath,
	    names.len ? names.data : "none defined");
	buf_free(&names);
	return rc;
}

static int
check_grid(const struct td_tuning_spec *t, const char *base, struct apierr *e)
{
	char path[PATH_LEN];
	cJSON v = { 0 };
	size_t i;

	if (t->strategy != TD_STRATEGY_GRID)
		return 0;
	v.type = cJSON_String;
	for (i = 0; i < t->n_params; i++) {
		if (t->params[i].kind == TD_PARAM_CATEGORICAL)
			continue;
		param_path(t, i, base, path, sizeof(path));
		v.valuestring = t->params[i].name;
		return proto__invalid(e, &v, path, "The Grid strategy takes "
		    "only CategoricalParameterRanges; this is one of %s",
		    range_kinds[t->params[i].kind].list);
	}
	if (t->n_params == 0)
		return proto__invalid(e, NULL, CFG ".ParameterRanges."
		    "CategoricalParameterRanges", "The Grid strategy needs "
		    "at least one categorical range");
	return 0;
}

static int
decode_all(const cJSON *req, struct td_tuning_spec *t, struct apierr *e)
{
	const cJSON *cfg = proto__get(req, CFG), *def, *ranges;
	const char *defpath, *base = CFG ".ParameterRanges";
	char dbase[PATH_LEN];
	int rc;

	if ((rc = pick_definition(req, &def, &defpath, e)) != 0)
		return rc;
	t->name = proto__str(req, "HyperParameterTuningJobName");
	if (def != NULL && (rc = decode_definition(def, defpath, &t->definition,
	    e)) != 0)
		return rc;
	if ((rc = decode_strategy(cfg, t, e)) != 0 ||
	    (rc = decode_limits(cfg, t, e)) != 0 ||
	    (rc = decode_objective(cfg, def, t, e)) != 0)
		return rc;
	if ((ranges = proto__get(cfg, "ParameterRanges")) == NULL &&
	    (ranges = proto__get(def, "HyperParameterRanges")) != NULL) {
		proto__pathf(dbase, sizeof(dbase), "%s.HyperParameterRanges",
		    defpath);
		base = dbase;
	}
	if ((rc = decode_ranges(ranges, base, t, e)) != 0 ||
	    (rc = check_param_names(t, base, e)) != 0 ||
	    (rc = check_grid(t, base, e)) != 0 ||
	    (rc = check_objective_metric(cfg, t, defpath, e)) != 0)
		return rc;
	if (t->n_params == 0)
		return proto__invalid(e, NULL, base, "Member must hold at "
		    "least one parameter range to tune");
	if (def != NULL && (t->definition_json = cJSON_PrintUnformatted(def)) ==
	    NULL)
		return proto__internal(e, "out of memory");
	return 0;
}

int
tuning_spec_decode(const cJSON *req, struct td_tuning_spec **out,
    struct apierr *e)
{
	struct td_tuning_spec *t;
	int rc;

	*out = NULL;
	if ((rc = proto_validate(&proto_shape_CreateHyperParameterTuningJobRequest,
	    req, e)) != 0)
		return rc;
	t = proto__xcalloc(1, sizeof(*t));
	if ((rc = decode_all(req, t, e)) != 0) {
		tuning_spec_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void
tuning_spec_free(struct td_tuning_spec *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n_params; i++) {
		free(t->params[i].name);
		proto__strv_free(t->params[i].values, t->params[i].n_values);
	}
	free(t->params);
	free(t->name);
	free(t->objective_metric);
	training_spec_free(t->definition);
	cJSON_free(t->definition_json);
	free(t);
}

const struct td_param_range *
tuning_spec_param(const struct td_tuning_spec *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_params; i++)
		if (strcmp(t->params[i].name, name) == 0)
			return &t->params[i];
	return NULL;
}

int
tuning_trial_request(const struct td_tuning_spec *t, const char *trial_name,
    const struct td_kv *hps, size_t n_hps, char **out_json, struct apierr *e)
{
	struct td_training_spec *check;
	cJSON *def, *req;
	int rc;

	*out_json = NULL;
	if (t->definition_json == NULL)
		return proto__refuse(e, "Tuning job %s has no training job "
		    "definition (it is driven by AskTuningJob/TellTuningJob)",
		    t->name);
	if ((def = cJSON_Parse(t->definition_json)) == NULL)
		return proto__internal(e, "corrupt tuning definition");
	req = proto__trial_json(def, trial_name, hps, n_hps);
	cJSON_Delete(def);
	if ((rc = training_spec_decode(req, &check, e)) == 0) {
		training_spec_free(check);
		if ((*out_json = cJSON_PrintUnformatted(req)) == NULL)
			rc = proto__internal(e, "out of memory");
	}
	cJSON_Delete(req);
	return rc;
}

/* --- ask/tell ------------------------------------------------------------ */

int
ask_req_decode(const cJSON *req, struct td_ask_req **out, struct apierr *e)
{
	struct td_ask_req *r;
	int rc;

	*out = NULL;
	if ((rc = proto_validate(proto_ops[OP_ASK_TUNING_JOB].input, req,
	    e)) != 0)
		return rc;
	r = proto__xcalloc(1, sizeof(*r));
	r->tuning_job_name = proto__str(req, "HyperParameterTuningJobName");
	r->count = proto__long(req, "Count", 1);
	*out = r;
	return 0;
}

void
ask_req_free(struct td_ask_req *r)
{
	if (r == NULL)
		return;
	free(r->tuning_job_name);
	free(r);
}

int
tell_req_decode(const cJSON *req, struct td_tell_req **out, struct apierr *e)
{
	const cJSON *obj = proto__get(req, "ObjectiveValue");
	struct td_tell_req *r;
	int rc, failed;

	*out = NULL;
	if ((rc = proto_validate(proto_ops[OP_TELL_TUNING_JOB].input, req,
	    e)) != 0)
		return rc;
	failed = proto__bool(req, "Failed", 0);
	if (failed && obj != NULL)
		return proto__invalid(e, obj, "ObjectiveValue", "Member must "
		    "not be set when Failed is true");
	if (!failed && obj == NULL)
		return proto__invalid(e, NULL, "ObjectiveValue", "Member must "
		    "not be null unless Failed is true");
	r = proto__xcalloc(1, sizeof(*r));
	r->tuning_job_name = proto__str(req, "HyperParameterTuningJobName");
	r->trial_name = proto__str(req, "TrialName");
	r->failed = failed;
	r->objective = failed ? NAN : obj->valuedouble;
	r->failure_reason = proto__str(req, "FailureReason");
	*out = r;
	return 0;
}

void
tell_req_free(struct td_tell_req *r)
{
	if (r == NULL)
		return;
	free(r->tuning_job_name);
	free(r->trial_name);
	free(r->failure_reason);
	free(r);
}
