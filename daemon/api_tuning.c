/*
 * api_tuning.c - the tuning operations: CreateHyperParameterTuningJob,
 * DescribeHyperParameterTuningJob, ListHyperParameterTuningJobs,
 * ListTrainingJobsForHyperParameterTuningJob, StopHyperParameterTuningJob,
 * and tunerd's AskTuningJob / TellTuningJob.
 *
 * Answers are shaped here; the running of tuning jobs is tuning.c's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "buf.h"
#include "daemon.h"
#include "err.h"
#include "list.h"
#include "log.h"
#include "store.h"
#include "proto/tuning.h"
#include "tuning.h"
#include "tuning_int.h"
#include "util.h"

static void
add_time(cJSON *o, const char *k, double t)
{
	if (t > 0)
		cJSON_AddNumberToObject(o, k, t);
}

void
api_create_tuning_job(struct api_ctx *c, const cJSON *req)
{
	struct td_tuning_spec *spec = NULL;
	char *json, *arn;
	int64_t id;
	int rc;

	if (tuning_spec_decode(req, &spec, &c->err) != 0)
		return;
	if (spec->strategy == TD_STRATEGY_HYPERBAND) {
		apierr_set(&c->err, APIERR_VALIDATION, "Value 'Hyperband' at "
		    "'HyperParameterTuningJobConfig.Strategy' is not supported "
		    "by tunerd yet; use Bayesian, Random or Grid");
		tuning_spec_free(spec);
		return;
	}
	if ((json = cJSON_PrintUnformatted(req)) == NULL)
		fatalx("api: out of memory");
	rc = store_tu_insert(c->d->store, spec->name, json, td_now(), &id);
	free(json);
	if (rc != 0) {
		api_store_error(c, rc, "hyperparameter tuning job", spec->name);
		tuning_spec_free(spec);
		return;
	}
	c->out = cJSON_CreateObject();
	arn = api_arn("hyper-parameter-tuning-job", spec->name);
	cJSON_AddStringToObject(c->out, "HyperParameterTuningJobArn", arn);
	free(arn);
	tuning_spec_free(spec);
	tuning_job_created(c->d->tuning, id);
}

/* TunedHyperParameters, status, times and objective of one trial. */
cJSON *
tuning_trial_summary(struct tuning *t, const struct store_trial *tr,
    const struct td_tuning_spec *spec, const char *tuning_name)
{
	cJSON *o = cJSON_CreateObject(), *hp;
	struct store_tj tj;
	const char *status = tr->status;
	double start = tr->start_time, end = tr->end_time;
	char *arn = api_arn("training-job", tr->name);
	int have_tj = 0;

	if (tr->training_job_id > 0 && strcmp(tr->status, "InProgress") == 0 &&
	    store_tj_get_id(t->d->store, tr->training_job_id, &tj) == 0) {
		/* A running trial's live state is its training job's. */
		have_tj = 1;
		status = tj.status;
		start = tj.training_start;
	}
	cJSON_AddStringToObject(o, "TrainingJobName", tr->name);
	cJSON_AddStringToObject(o, "TrainingJobArn", arn);
	free(arn);
	cJSON_AddStringToObject(o, "TuningJobName", tuning_name);
	add_time(o, "CreationTime", tr->creation_time);
	add_time(o, "TrainingStartTime", start);
	add_time(o, "TrainingEndTime", end);
	cJSON_AddStringToObject(o, "TrainingJobStatus", status);
	if ((hp = cJSON_Parse(tr->params)) != NULL)
		cJSON_AddItemToObject(o, "TunedHyperParameters", hp);
	if (tr->failure_reason != NULL)
		cJSON_AddStringToObject(o, "FailureReason", tr->failure_reason);
	if (isfinite(tr->objective) && spec != NULL) {
		cJSON *m = cJSON_AddObjectToObject(o,
		    "FinalHyperParameterTuningJobObjectiveMetric");

		cJSON_AddStringToObject(m, "Type", spec->maximize ? "Maximize" :
		    "Minimize");
		cJSON_AddStringToObject(m, "MetricName", spec->objective_metric ?
		    spec->objective_metric : "objective");
		cJSON_AddNumberToObject(m, "Value", tr->objective);
	}
	cJSON_AddStringToObject(o, "ObjectiveStatus", tr->objective_status);
	if (have_tj)
		store_tj_clear(&tj);
	return o;
}

/*
 * A tuning job's trial counters: an active job's from its history (O(1)),
 * any other's from the store.
 */
static void
trial_counts(struct tuning *t, const struct store_tu *row,
    struct store_trial_counts *n)
{
	struct tjob *tj = tuning__find(t, row->name);

	if (tj != NULL && tj->id == row->id)
		*n = tj->hist.counts;
	else if (store_trial_counts(t->d->store, row->id, n) != 0)
		memset(n, 0, sizeof(*n));
}

static void
copy_member(cJSON *out, const cJSON *req, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(req, k);

	if (v != NULL)
		cJSON_AddItemToObject(out, k, cJSON_Duplicate(v, 1));
}

cJSON *
tuning_describe(struct tuning *t, struct api_ctx *c, const char *name)
{
	struct store *st = t->d->store;
	struct store_tu row;
	struct store_trial_counts n;
	struct store_trial best;
	struct td_tuning_spec *spec = NULL;
	cJSON *out, *req, *o;
	char *arn;
	double end;
	int rc;

	if ((rc = store_tu_get(st, name, &row)) != 0) {
		api_store_error(c, rc, "hyperparameter tuning job", name);
		return NULL;
	}
	tuning__decode(row.request, &spec);
	trial_counts(t, &row, &n);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "HyperParameterTuningJobName", row.name);
	arn = api_arn("hyper-parameter-tuning-job", row.name);
	cJSON_AddStringToObject(out, "HyperParameterTuningJobArn", arn);
	free(arn);
	if ((req = cJSON_Parse(row.request)) != NULL) {
		copy_member(out, req, "HyperParameterTuningJobConfig");
		copy_member(out, req, "TrainingJobDefinition");
		copy_member(out, req, "WarmStartConfig");
		copy_member(out, req, "Autotune");
		cJSON_Delete(req);
	}
	cJSON_AddStringToObject(out, "HyperParameterTuningJobStatus", row.status);
	add_time(out, "CreationTime", row.creation_time);
	add_time(out, "HyperParameterTuningEndTime", row.end_time);
	add_time(out, "LastModifiedTime", row.last_modified);
	o = cJSON_AddObjectToObject(out, "TrainingJobStatusCounters");
	cJSON_AddNumberToObject(o, "Completed", (double)n.completed);
	cJSON_AddNumberToObject(o, "InProgress", (double)n.in_progress);
	cJSON_AddNumberToObject(o, "RetryableError", 0);
	cJSON_AddNumberToObject(o, "NonRetryableError", (double)n.failed);
	cJSON_AddNumberToObject(o, "Stopped", (double)n.stopped);
	o = cJSON_AddObjectToObject(out, "ObjectiveStatusCounters");
	cJSON_AddNumberToObject(o, "Succeeded", (double)n.obj_succeeded);
	cJSON_AddNumberToObject(o, "Pending", (double)n.obj_pending);
	cJSON_AddNumberToObject(o, "Failed", (double)n.obj_failed);
	if (row.best_trial_id > 0 &&
	    store_trial_by_id(st, row.best_trial_id, &best) == 0) {
		cJSON_AddItemToObject(out, "BestTrainingJob",
		    tuning_trial_summary(t, &best, spec, row.name));
		store_trial_clear(&best);
	}
	if (row.failure_reason != NULL)
		cJSON_AddStringToObject(out, "FailureReason", row.failure_reason);
	o = cJSON_AddObjectToObject(out, "TuningJobCompletionDetails");
	if (row.completion_reason != NULL) {
		cJSON_AddStringToObject(o, "CompletionReason",
		    row.completion_reason);
		if (strcmp(row.completion_reason, "ConvergenceDetected") == 0)
			add_time(o, "ConvergenceDetectedTime", row.last_modified);
	}
	end = row.end_time > 0 ? row.end_time : td_now();
	o = cJSON_AddObjectToObject(out, "ConsumedResources");
	cJSON_AddNumberToObject(o, "RuntimeInSeconds",
	    floor(end - row.creation_time));
	tuning_spec_free(spec);
	store_tu_clear(&row);
	return out;
}

void
api_describe_tuning_job(struct api_ctx *c, const cJSON *req)
{
	char *name = NULL;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	c->out = tuning_describe(c->d->tuning, c, name);
	free(name);
}

static int
tu_list_row(struct store_tu *tu, void *arg)
{
	struct api_ctx *c = arg;
	cJSON *arr = cJSON_GetObjectItem(c->out,
	    "HyperParameterTuningJobSummaries");
	cJSON *o = cJSON_CreateObject(), *rl, *cfg, *req;
	struct store_trial_counts n;
	char *arn = api_arn("hyper-parameter-tuning-job", tu->name);

	cJSON_AddStringToObject(o, "HyperParameterTuningJobName", tu->name);
	cJSON_AddStringToObject(o, "HyperParameterTuningJobArn", arn);
	free(arn);
	cJSON_AddStringToObject(o, "HyperParameterTuningJobStatus", tu->status);
	if ((req = cJSON_Parse(tu->request)) != NULL) {
		cfg = cJSON_GetObjectItem(req, "HyperParameterTuningJobConfig");
		copy_member(o, cfg, "Strategy");
		if ((rl = cJSON_GetObjectItem(cfg, "ResourceLimits")) != NULL)
			cJSON_AddItemToObject(o, "ResourceLimits",
			    cJSON_Duplicate(rl, 1));
		copy_member(o, cfg, "TrainingJobEarlyStoppingType");
		cJSON_Delete(req);
	}
	if (cJSON_GetObjectItem(o, "Strategy") == NULL)
		cJSON_AddStringToObject(o, "Strategy", "Bayesian");
	add_time(o, "CreationTime", tu->creation_time);
	add_time(o, "HyperParameterTuningEndTime", tu->end_time);
	add_time(o, "LastModifiedTime", tu->last_modified);
	trial_counts(c->d->tuning, tu, &n);
	rl = cJSON_AddObjectToObject(o, "TrainingJobStatusCounters");
	cJSON_AddNumberToObject(rl, "Completed", (double)n.completed);
	cJSON_AddNumberToObject(rl, "InProgress", (double)n.in_progress);
	cJSON_AddNumberToObject(rl, "RetryableError", 0);
	cJSON_AddNumberToObject(rl, "NonRetryableError", (double)n.failed);
	cJSON_AddNumberToObject(rl, "Stopped", (double)n.stopped);
	rl = cJSON_AddObjectToObject(o, "ObjectiveStatusCounters");
	cJSON_AddNumberToObject(rl, "Succeeded", (double)n.obj_succeeded);
	cJSON_AddNumberToObject(rl, "Pending", (double)n.obj_pending);
	cJSON_AddNumberToObject(rl, "Failed", (double)n.obj_failed);
	cJSON_AddItemToArray(arr, o);
	store_tu_clear(tu);
	return 0;
}

static int
tu_list_run(struct api_ctx *c, const struct store_list_q *q, cJSON *arr,
    void *arg, char **next)
{
	return store_tu_list(c->d->store, q, tu_list_row, c, next);
}

void
api_list_tuning_jobs(struct api_ctx *c, const cJSON *req)
{
	api_list_page(c, req, "HyperParameterTuningJobSummaries", tu_list_run,
	    NULL);
}

struct trials_page {
	struct tuning			*t;
	const struct td_tuning_spec	*spec;
	const char			*tuning_name;
	cJSON				*arr;
};

static int
trial_list_row(struct store_trial *tr, void *arg)
{
	struct trials_page *p = arg;

	cJSON_AddItemToArray(p->arr, tuning_trial_summary(p->t, tr, p->spec,
	    p->tuning_name));
	store_trial_clear(tr);
	return 0;
}

void
api_list_training_jobs_for_tuning_job(struct api_ctx *c, const cJSON *req)
{
	struct td_list_req lr;
	struct store_trial_q q = { 0 };
	struct store_tu row;
	struct td_tuning_spec *spec = NULL;
	struct trials_page page = { c->d->tuning, NULL, NULL, NULL };
	char tok[32], *end;
	int rc, more = 0;

	if (list_req_decode(c->op, req, &lr, &c->err) != 0)
		return;
	if ((rc = store_tu_get(c->d->store, lr.parent, &row)) != 0) {
		api_store_error(c, rc, "hyperparameter tuning job", lr.parent);
		list_req_clear(&lr);
		return;
	}
	tuning__decode(row.request, &spec);
	q.tuning_id = row.id;
	q.status = lr.status_equals;
	q.limit = (int)lr.max_results;
	q.descending = lr.descending;
	q.sort_by = lr.sort_by == TD_SORT_OBJECTIVE ? "Objective" :
	    lr.sort_by == TD_SORT_NAME ? "Name" :
	    lr.sort_by == TD_SORT_STATUS ? "Status" : "CreationTime";
	if (lr.sort_by == TD_SORT_OBJECTIVE && spec != NULL &&
	    cJSON_GetObjectItem(req, "SortOrder") == NULL)
		/* Best first, whichever the direction. */
		q.descending = spec->maximize;
	if (lr.next_token != NULL) {
		q.offset = strtol(lr.next_token, &end, 10);
		if (*end != '\0' || q.offset < 0) {
			apierr_set(&c->err, APIERR_VALIDATION, "Invalid NextToken");
			goto out;
		}
	}
	c->out = cJSON_CreateObject();
	page.spec = spec;
	page.tuning_name = row.name;
	page.arr = cJSON_AddArrayToObject(c->out, "TrainingJobSummaries");
	if ((rc = store_trials_list(c->d->store, &q, trial_list_row, &page,
	    &more)) != 0)
		api_store_error(c, rc, "trials of", row.name);
	else if (more) {
		snprintf(tok, sizeof(tok), "%ld", q.offset + q.limit);
		cJSON_AddStringToObject(c->out, "NextToken", tok);
	}
out:
	tuning_spec_free(spec);
	store_tu_clear(&row);
	list_req_clear(&lr);
}

void
api_stop_tuning_job(struct api_ctx *c, const cJSON *req)
{
	struct store_tu row;
	char *name = NULL;
	int rc;

	if (proto_req_name(c->op, req, &name, &c->err) != 0)
		return;
	if ((rc = store_tu_get(c->d->store, name, &row)) != 0) {
		api_store_error(c, rc, "hyperparameter tuning job", name);
		free(name);
		return;
	}
	if (tuning_job_stop(c->d->tuning, name) != 0)
		apierr_set(&c->err, APIERR_VALIDATION, "The hyperparameter tuning "
		    "job '%s' has status %s and cannot be stopped", name,
		    row.status);
	store_tu_clear(&row);
	free(name);
}

/* Checks that name is an active ask/tell job; fills c->err if not. */
static struct tjob *
ask_tell_job(struct api_ctx *c, const char *name)
{
	struct tjob *tj = tuning__find(c->d->tuning, name);
	struct store_tu row;
	int rc;

	if (tj != NULL) {
		if (tj->spec->definition != NULL) {
			apierr_set(&c->err, APIERR_VALIDATION, "The tuning job "
			    "'%s' has a TrainingJobDefinition: tunerd runs its "
			    "trials itself. Ask/tell needs a job created without "
			    "one", name);
			return NULL;
		}
		return tj;
	}
	if ((rc = store_tu_get(c->d->store, name, &row)) != 0) {
		api_store_error(c, rc, "hyperparameter tuning job", name);
		return NULL;
	}
	apierr_set(&c->err, APIERR_VALIDATION, "The hyperparameter tuning job "
	    "'%s' has status %s; it hands out and takes no more trials", name,
	    row.status);
	store_tu_clear(&row);
	return NULL;
}

void
api_ask_tuning_job(struct api_ctx *c, const cJSON *req)
{
	struct td_ask_req *ar = NULL;

	if (ask_req_decode(req, &ar, &c->err) != 0)
		return;
	if (ask_tell_job(c, ar->tuning_job_name) != NULL)
		tuning_ask(c->d->tuning, c, ar->tuning_job_name, ar->count);
	ask_req_free(ar);
}

void
api_tell_tuning_job(struct api_ctx *c, const cJSON *req)
{
	struct td_tell_req *tr = NULL;

	if (tell_req_decode(req, &tr, &c->err) != 0)
		return;
	if (ask_tell_job(c, tr->tuning_job_name) != NULL)
		tuning_tell(c->d->tuning, c, tr->tuning_job_name, tr->trial_name,
		    tr->failed, tr->objective, tr->failure_reason);
	tell_req_free(tr);
}

void
tuning_ask(struct tuning *t, struct api_ctx *c, const char *name, long count)
{
	struct tjob *tj = tuning__find(t, name);
	struct ask_wait *a, **pp;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatalx("tuning: out of memory");
	a->count = count;
	a->c = api_defer(c);
	for (pp = &tj->asks; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = a;
	tuning__pump(tj);
}

void
tuning_tell(struct tuning *t, struct api_ctx *c, const char *name,
    const char *trial, int failed, double objective, const char *reason)
{
	struct tjob *tj = tuning__find(t, name);
	struct store *st = t->d->store;
	struct store_trial tr;
	struct store_tu row;
	struct store_trial best;
	int rc;

	if ((rc = store_trial_by_name(st, trial, &tr)) != 0 ||
	    tr.tuning_job_id != tj->id) {
		if (rc == 0)
			store_trial_clear(&tr);
		apierr_set(&c->err, APIERR_NOT_FOUND, "Requested resource not "
		    "found: trial '%s' of tuning job '%s' does not exist", trial,
		    name);
		return;
	}
	if (strcmp(tr.status, "InProgress") != 0) {
		apierr_set(&c->err, APIERR_VALIDATION, "Trial '%s' already has "
		    "status %s; each trial takes one result", trial, tr.status);
		store_trial_clear(&tr);
		return;
	}
	free(tr.status);
	free(tr.objective_status);
	tr.status = strdup(failed ? "Failed" : "Completed");
	tr.objective_status = strdup(failed ? "Failed" : "Succeeded");
	tr.objective = failed ? NAN : objective;
	tr.start_time = tr.creation_time;
	tr.end_time = td_now();
	if (failed)
		tr.failure_reason = strdup(reason ? reason : "reported failed "
		    "by the caller");
	if ((rc = store_begin(st)) == 0) {
		rc = store_trial_update(st, &tr);
		if (rc == 0 && !failed && store_tu_get_id(st, tj->id, &row) == 0) {
			int is_best = 1;

			if (row.best_trial_id > 0 &&
			    store_trial_by_id(st, row.best_trial_id, &best) == 0) {
				is_best = tj->spec->maximize ?
				    objective > best.objective :
				    objective < best.objective;
				store_trial_clear(&best);
			}
			if (is_best)
				row.best_trial_id = tr.id;
			row.last_modified = td_now();
			rc = store_tu_update(st, &row);
			store_tu_clear(&row);
		}
		if (rc == 0)
			rc = store_commit(st);
		if (rc != 0)
			store_rollback(st);
	}
	if (rc == 0)
		tuning__hist_set(tj, &tr);
	store_trial_clear(&tr);
	if (rc != 0) {
		c->err.status = 500;
		apierr_set(&c->err, APIERR_INTERNAL, "cannot record the result "
		    "of trial '%s': %s", trial, td_strerror(rc));
		return;
	}
	c->out = cJSON_CreateObject();
	tuning__pump(tj);
}
