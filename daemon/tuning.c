/*
 * tuning.c - hyperparameter tuning jobs (see tuning.h).
 *
 * Owns: the list of active tuning jobs (struct tjob), the searches in
 * flight on the threadpool, deferred AskTuningJob answers and the
 * completion rules. Never touches SQL or workers directly.
 *
 * Invariants:
 * - At most one search per tuning job is in flight (tjob.busy). The
 *   search is a pure function of (RandomSeed, suggestions issued so far,
 *   trials in trial_no order), so a crash before its results are stored
 *   just repeats the same search after the restart.
 * - The trials of one search, their training jobs and the job's counters
 *   are written in one transaction: a trial number is never used twice and
 *   a tuning job never runs more trials than its limits allow.
 * - A trial's outcome is derived from its training job; at start every
 *   InProgress trial whose training job already ended is settled again,
 *   so a crash between the two updates loses nothing.
 *
 * Completion (any ends the job; running trials are stopped except for
 * the first): MaxNumberOfTrainingJobs issued and finished (Grid: every
 * combination); TargetObjectiveMetricValue reached; MaxNumberOfTraining-
 * JobsNotImproving trials in a row (by end time) without a new best;
 * ConvergenceDetected (see converged()); ResourceLimits.MaxRuntimeInSeconds.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "buf.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "proto.h"
#include "sched.h"
#include "search.h"
#include "store.h"
#include "proto/tuning.h"
#include "tuning.h"
#include "tuning_int.h"
#include "util.h"

static void tjob_pump(struct tjob *tj);

/* ---- loading ---------------------------------------------------------- */

static enum search_scale
scale_of(enum td_scaling s)
{
	switch (s) {
	case TD_SCALING_LINEAR: return SEARCH_LINEAR;
	case TD_SCALING_LOG: return SEARCH_LOG;
	case TD_SCALING_REVERSE_LOG: return SEARCH_REVLOG;
	default: return SEARCH_AUTO;
	}
}

static int
tjob_space(struct tjob *tj)
{
	const struct td_tuning_spec *sp = tj->spec;
	size_t i;
	char err[256];

	if ((tj->params = calloc(sp->n_params ? sp->n_params : 1,
	    sizeof(*tj->params))) == NULL)
		return TD_ENOMEM;
	for (i = 0; i < sp->n_params; i++) {
		const struct td_param_range *r = &sp->params[i];
		struct search_param *p = &tj->params[i];

		p->name = r->name;
		p->kind = r->kind == TD_PARAM_INTEGER ? SEARCH_INTEGER :
		    r->kind == TD_PARAM_CONTINUOUS ? SEARCH_CONTINUOUS :
		    SEARCH_CATEGORICAL;
		p->scale = scale_of(r->scaling);
		p->lo = r->min;
		p->hi = r->max;
		p->values = (const char *const *)r->values;
		p->n_values = r->n_values;
	}
	tj->space.params = tj->params;
	tj->space.n = sp->n_params;
	if (search_space_check(&tj->space, err, sizeof(err)) != 0) {
		log_warnx("tuning %s: %s", tj->name, err);
		return TD_EINVAL;
	}
	switch (sp->strategy) {
	case TD_STRATEGY_RANDOM: tj->strategy = SEARCH_RANDOM; break;
	case TD_STRATEGY_GRID: tj->strategy = SEARCH_GRID; break;
	default: tj->strategy = SEARCH_BAYESIAN; break;
	}
	return 0;
}

int
tuning__decode(const char *request, struct td_tuning_spec **out)
{
	struct apierr e = { 0 };
	cJSON *req = NULL;
	int rc;

	if ((rc = proto_parse(request, strlen(request), &req, &e)) != 0)
		return rc;
	rc = tuning_spec_decode(req, out, &e);
	cJSON_Delete(req);
	if (rc != 0)
		log_warnx("tuning: stored request no longer valid: %s", e.message);
	return rc;
}

static struct tjob *
tjob_find_id(struct tuning *t, int64_t id)
{
	struct tjob *tj;

	for (tj = t->jobs; tj != NULL; tj = tj->next)
		if (tj->id == id)
			return tj;
	return NULL;
}

static struct tjob *
tjob_find(struct tuning *t, const char *name)
{
	struct tjob *tj;

	for (tj = t->jobs; tj != NULL; tj = tj->next)
		if (strcmp(tj->name, name) == 0)
			return tj;
	return NULL;
}

static void
tjob_free(struct tjob *tj)
{
	if (tj == NULL)
		return;
	tuning_spec_free(tj->spec);
	free(tj->params);
	free(tj->name);
	free(tj);
}

static void
tjob_unlink(struct tjob *tj)
{
	struct tjob **pp;

	for (pp = &tj->t->jobs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == tj) {
			*pp = tj->next;
			break;
		}
	}
	tj->gone = 1;
	if (!tj->busy && !tj->pumping)
		tjob_free(tj);
}

/* Marks a tuning job Failed when its own state cannot go on. */
static void
tjob_fail(struct tjob *tj, const char *reason)
{
	struct store_tu row;

	if (store_tu_get_id(tj->t->d->store, tj->id, &row) == 0) {
		free(row.status);
		row.status = strdup("Failed");
		free(row.failure_reason);
		row.failure_reason = strdup(reason);
		row.end_time = row.last_modified = td_now();
		store_tu_update(tj->t->d->store, &row);
		store_tu_clear(&row);
	}
	log_warnx("tuning %s: Failed: %s", tj->name, reason);
	tuning__answer_asks(tj, APIERR_VALIDATION, reason);
	tjob_unlink(tj);
}

static struct tjob *
tjob_load(struct tuning *t, const struct store_tu *row)
{
	struct tjob *tj = calloc(1, sizeof(*tj));

	if (tj == NULL)
		fatalx("tuning: out of memory");
	tj->t = t;
	tj->id = row->id;
	tj->name = strdup(row->name);
	tj->next = t->jobs;
	t->jobs = tj;
	if (tuning__decode(row->request, &tj->spec) != 0 ||
	    tjob_space(tj) != 0) {
		tjob_fail(tj, "InternalServerError: the stored tuning request "
		    "could not be decoded");
		return NULL;
	}
	return tj;
}

/* ---- trial outcomes --------------------------------------------------- */

/* Is a better than b in the job's direction? */
static int
better(const struct td_tuning_spec *sp, double a, double b)
{
	if (!isfinite(b))
		return isfinite(a);
	return sp->maximize ? a > b : a < b;
}

/* Updates best_trial_id of row if tr beats it. */
static void
update_best(struct store *st, const struct td_tuning_spec *sp,
    struct store_tu *row, const struct store_trial *tr)
{
	struct store_trial best;

	if (strcmp(tr->objective_status, "Succeeded") != 0)
		return;
	if (row->best_trial_id > 0 &&
	    store_trial_by_id(st, row->best_trial_id, &best) == 0) {
		int b = better(sp, tr->objective, best.objective);

		store_trial_clear(&best);
		if (!b)
			return;
	}
	row->best_trial_id = tr->id;
}

static const char *
metric_regex(const struct td_tuning_spec *sp)
{
	size_t i;

	if (sp->definition == NULL || sp->objective_metric == NULL)
		return NULL;
	for (i = 0; i < sp->definition->n_metrics; i++)
		if (strcmp(sp->definition->metrics[i].name,
		    sp->objective_metric) == 0)
			return sp->definition->metrics[i].regex;
	return NULL;
}

/* The final value of the objective metric from FinalMetricDataList JSON. */
static int
final_objective(const char *final_metrics, const char *metric, double *v)
{
	cJSON *arr = cJSON_Parse(final_metrics ? final_metrics : "[]"), *m;
	int found = 0;

	cJSON_ArrayForEach(m, arr) {
		cJSON *n = cJSON_GetObjectItem(m, "MetricName");
		cJSON *val = cJSON_GetObjectItem(m, "Value");

		if (cJSON_IsString(n) && strcmp(n->valuestring, metric) == 0 &&
		    cJSON_IsNumber(val) && isfinite(val->valuedouble)) {
			*v = val->valuedouble;
			found = 1;
		}
	}
	cJSON_Delete(arr);
	return found;
}

/*
 * Settles a training-job trial from its ended training job and updates
 * the tuning job's best; one transaction.
 */
static void
settle_trial(struct tuning *t, const struct td_tuning_spec *sp,
    struct store_trial *tr, const struct store_tj *tj)
{
	struct store *st = t->d->store;
	struct store_tu row;
	struct buf why = { 0 };
	const char *regex = metric_regex(sp);
	double v;

	free(tr->status);
	tr->status = strdup(tj->status);
	tr->start_time = tj->training_start;
	tr->end_time = tj->training_end > 0 ? tj->training_end : td_now();
	free(tr->objective_status);
	free(tr->failure_reason);
	tr->failure_reason = NULL;
	if (strcmp(tj->status, "Failed") != 0 && sp->objective_metric &&
	    final_objective(tj->final_metrics, sp->objective_metric, &v)) {
		tr->objective_status = strdup("Succeeded");
		tr->objective = v;
	} else {
		tr->objective_status = strdup("Failed");
		tr->objective = NAN;
		if (tj->failure_reason != NULL)
			buf_puts(&why, tj->failure_reason);
		else
			buf_printf(&why, "The objective metric '%s' was never "
			    "emitted: no line of the job's output matched its "
			    "regex '%s'", sp->objective_metric ?
			    sp->objective_metric : "?", regex ? regex : "?");
		tr->failure_reason = buf_steal(&why);
	}
	if (store_begin(st) != 0)
		return;
	store_trial_update(st, tr);
	if (store_tu_get_id(st, tr->tuning_job_id, &row) == 0) {
		update_best(st, sp, &row, tr);
		row.last_modified = td_now();
		store_tu_update(st, &row);
		store_tu_clear(&row);
	}
	if (store_commit(st) != 0)
		store_rollback(st);
}

void
tuning_on_job_done(struct daemon *d, const struct store_tj *tj)
{
	struct tuning *t = d->tuning;
	struct store_trial tr;
	struct store_tu row;
	struct td_tuning_spec *sp = NULL;
	struct tjob *job;

	if (t == NULL || store_trial_by_training_job(d->store, tj->id, &tr) != 0)
		return;
	if ((job = tjob_find_id(t, tj->tuning_job_id)) != NULL) {
		settle_trial(t, job->spec, &tr, tj);
		store_trial_clear(&tr);
		tjob_pump(job);
		return;
	}
	/* The tuning job is no longer active: still record the outcome. */
	if (store_tu_get_id(d->store, tj->tuning_job_id, &row) == 0 &&
	    tuning__decode(row.request, &sp) == 0)
		settle_trial(t, sp, &tr, tj);
	tuning_spec_free(sp);
	store_tu_clear(&row);
	store_trial_clear(&tr);
}

/* ---- completion ------------------------------------------------------- */

struct ended {
	double	end;
	double	y;	/* loss: negated for Maximize */
};

static int
cmp_ended(const void *a, const void *b)
{
	const struct ended *x = a, *y = b;

	return (x->end > y->end) - (x->end < y->end);
}

struct history {
	const struct td_tuning_spec *sp;
	struct ended	*e;
	size_t		 n, cap;
	long		 in_progress;
	long		 total;
};

static int
history_row(struct store_trial *tr, void *arg)
{
	struct history *h = arg;

	h->total++;
	if (strcmp(tr->status, "InProgress") == 0)
		h->in_progress++;
	else if (strcmp(tr->objective_status, "Succeeded") == 0) {
		if (h->n == h->cap) {
			h->cap = h->cap ? h->cap * 2 : 32;
			h->e = realloc(h->e, h->cap * sizeof(*h->e));
			if (h->e == NULL)
				fatalx("tuning: out of memory");
		}
		h->e[h->n].end = tr->end_time;
		h->e[h->n].y = h->sp->maximize ? -tr->objective : tr->objective;
		h->n++;
	}
	store_trial_clear(tr);
	return 0;
}

/* Trials since the last new best, in end-time order. */
static long
not_improving(const struct history *h)
{
	double best = INFINITY;
	long since = 0;
	size_t i;

	for (i = 0; i < h->n; i++) {
		if (h->e[i].y < best) {
			best = h->e[i].y;
			since = 0;
		} else {
			since++;
		}
	}
	return since;
}

/*
 * ConvergenceDetected, tunerd's rule: with at least max(10, 2d + 2)
 * objectives (d = tuned parameters), the job has converged when the later
 * half of the trials (by end time) improved the best of the earlier half
 * by less than 0.1% of its magnitude (1e-12 absolute at 0).
 */
static int
converged(const struct history *h, size_t dims)
{
	size_t need = 2 * dims + 2 > 10 ? 2 * dims + 2 : 10, i, half;
	double early = INFINITY, all;

	if (h->n < need)
		return 0;
	half = h->n / 2;
	for (i = 0; i < half; i++)
		if (h->e[i].y < early)
			early = h->e[i].y;
	all = early;
	for (i = half; i < h->n; i++)
		if (h->e[i].y < all)
			all = h->e[i].y;
	return early - all <= fmax(1e-3 * fabs(early), 1e-12);
}

/* Returns the reason the job should end now, or NULL. */
static const char *
criterion(struct tjob *tj, const struct store_tu *row, const struct history *h)
{
	const struct td_tuning_spec *sp = tj->spec;
	uint64_t grid;
	double best = h->n ? INFINITY : NAN;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->e[i].y < best)
			best = h->e[i].y;
	if (sp->has_target && h->n > 0 &&
	    (sp->maximize ? -best >= sp->target : best <= sp->target))
		return "TargetObjectiveMetricValue reached";
	if (sp->not_improving > 0 && not_improving(h) >= sp->not_improving)
		return "BestObjectiveNotImproving";
	if (sp->complete_on_convergence && converged(h, sp->n_params))
		return "ConvergenceDetected";
	if (sp->max_runtime_s > 0 &&
	    td_now() - row->creation_time >= (double)sp->max_runtime_s)
		return "MaxRuntimeInSeconds reached";
	if (sp->max_jobs > 0 && h->total >= sp->max_jobs)
		return "MaxNumberOfTrainingJobs reached";
	if (tj->strategy == SEARCH_GRID &&
	    (grid = search_grid_size(&tj->space)) > 0 &&
	    (uint64_t)h->total >= grid)
		return "Every grid combination evaluated";
	return NULL;
}

struct trial_list {
	struct store_trial	*v;
	size_t			 n, cap;
};

static int
collect_trial(struct store_trial *tr, void *arg)
{
	struct trial_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		if ((l->v = realloc(l->v, l->cap * sizeof(*l->v))) == NULL)
			fatalx("tuning: out of memory");
	}
	l->v[l->n++] = *tr;
	return 0;
}

/*
 * Calls fn on every trial of a tuning job, from a copy: fn may reach the
 * store (and this module) again without disturbing the iteration.
 */
static void
each_trial(struct tuning *t, int64_t id, store_trial_fn fn, void *arg)
{
	struct trial_list l = { 0 };
	size_t i;

	store_trials_each(t->d->store, id, collect_trial, &l);
	for (i = 0; i < l.n; i++)
		fn(&l.v[i], arg);
	free(l.v);
}

/* Stops every running trial (training jobs through the scheduler). */
static int
stop_trial(struct store_trial *tr, void *arg)
{
	struct tjob *tj = arg;
	struct apierr e = { 0 };

	if (strcmp(tr->status, "InProgress") == 0) {
		if (tr->training_job_id > 0) {
			sched_stop_job(tj->t->d->sched, tr->name, &e);
		} else {
			free(tr->status);
			tr->status = strdup("Stopped");
			free(tr->objective_status);
			tr->objective_status = strdup("Failed");
			tr->end_time = td_now();
			store_trial_update(tj->t->d->store, tr);
		}
	}
	store_trial_clear(tr);
	return 0;
}

static void
stop_running_trials(struct tjob *tj)
{
	each_trial(tj->t, tj->id, stop_trial, tj);
}

/* ---- the pump: what happens next for a tuning job ---------------------- */

static void
tjob_finish(struct tjob *tj, struct store_tu *row)
{
	const char *status = strcmp(row->status, "Stopping") == 0 ?
	    "Stopped" : "Completed";

	free(row->status);
	row->status = strdup(status);
	row->end_time = row->last_modified = td_now();
	store_tu_update(tj->t->d->store, row);
	log_info("tuning %s: %s (%s)", tj->name, status,
	    row->completion_reason ? row->completion_reason : "stopped");
	tuning__answer_asks(tj, APIERR_VALIDATION, "The tuning job has ended; "
	    "it hands out no more trials");
	tjob_unlink(tj);
}

static void
pump_once(struct tjob *tj)
{
	struct tuning *t = tj->t;
	struct store_tu row;
	struct history h = { .sp = tj->spec };
	const char *why;
	long want;

	if (tj->gone || t->closing)
		return;
	if (store_tu_get_id(t->d->store, tj->id, &row) != 0)
		return;
	store_trials_each(t->d->store, tj->id, history_row, &h);
	if (h.n > 1)
		qsort(h.e, h.n, sizeof(*h.e), cmp_ended);
	if (strcmp(row.status, "InProgress") == 0 &&
	    row.completion_reason == NULL && (why = criterion(tj, &row, &h))) {
		row.completion_reason = strdup(why);
		row.last_modified = td_now();
		store_tu_update(t->d->store, &row);
		log_info("tuning %s: %s", tj->name, why);
		if (strstr(why, "MaxNumberOfTrainingJobs") == NULL &&
		    strstr(why, "grid") == NULL)
			stop_running_trials(tj);
	}
	if (row.completion_reason != NULL || strcmp(row.status, "Stopping") == 0) {
		if (h.in_progress == 0 && !tj->busy)
			tjob_finish(tj, &row);
		else
			tuning__answer_asks(tj, APIERR_VALIDATION, "The tuning "
			    "job is ending; it hands out no more trials");
		goto out;
	}
	if (tj->busy)
		goto out;
	if (tj->spec->definition != NULL) {
		want = tj->spec->max_parallel - h.in_progress;
		if (tj->spec->max_jobs > 0 && tj->spec->max_jobs - h.total < want)
			want = tj->spec->max_jobs - h.total;
		if (want > 0)
			tuning__search(tj, (size_t)want, NULL);
	} else if (tj->asks != NULL) {
		tuning__serve_ask(tj, h.in_progress, h.total);
	}
out:
	free(h.e);
	store_tu_clear(&row);
}

/*
 * Settling a trial can call back into the pump (a stopped queued job ends
 * at once); such a call only asks the running pump to go round again.
 */
static void
tjob_pump(struct tjob *tj)
{
	if (tj->pumping) {
		tj->repump = 1;
		return;
	}
	tj->pumping = 1;
	do {
		tj->repump = 0;
		pump_once(tj);
	} while (tj->repump && !tj->gone);
	tj->pumping = 0;
	if (tj->gone && !tj->busy)
		tjob_free(tj);
}

void
tuning__pump(struct tjob *tj)
{
	tjob_pump(tj);
}

/* ---- lifecycle --------------------------------------------------------- */

static void
on_tick(uv_timer_t *h)
{
	struct tuning *t = h->data;
	struct tjob *tj, *next;

	/* MaxRuntimeInSeconds is the only criterion that time alone meets. */
	for (tj = t->jobs; tj != NULL; tj = next) {
		next = tj->next;
		if (tj->spec->max_runtime_s > 0)
			tjob_pump(tj);
	}
}

int
tuning_new(struct daemon *d, struct tuning **out)
{
	struct tuning *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return TD_ENOMEM;
	t->d = d;
	uv_timer_init(d->loop, &t->tick);
	t->tick.data = t;
	uv_timer_start(&t->tick, on_tick, 1000, 1000);
	*out = t;
	return 0;
}

struct reconcile {
	struct tuning	*t;
	struct tjob	*tj;
};

/* A trial whose training job ended while its outcome was not recorded. */
static int
reconcile_trial(struct store_trial *tr, void *arg)
{
	struct reconcile *r = arg;
	struct store_tj job;

	if (strcmp(tr->status, "InProgress") == 0 && tr->training_job_id > 0 &&
	    store_tj_get_id(r->t->d->store, tr->training_job_id, &job) == 0) {
		if (strcmp(job.launch_state, "done") == 0)
			settle_trial(r->t, r->tj->spec, tr, &job);
		store_tj_clear(&job);
	}
	store_trial_clear(tr);
	return 0;
}

static int
resume_row(struct store_tu *row, void *arg)
{
	struct tuning *t = arg;
	struct tjob *tj = tjob_load(t, row);
	struct reconcile r = { t, tj };

	if (tj != NULL) {
		each_trial(t, tj->id, reconcile_trial, &r);
		log_info("tuning %s: resumed", tj->name);
	}
	store_tu_clear(row);
	return 0;
}

int
tuning_start(struct tuning *t)
{
	struct tjob *tj, *next;
	int rc;

	if ((rc = store_tu_active(t->d->store, resume_row, t)) != 0)
		return rc;
	for (tj = t->jobs; tj != NULL; tj = next) {
		next = tj->next;
		tjob_pump(tj);
	}
	return 0;
}

void
tuning_job_created(struct tuning *t, int64_t id)
{
	struct store_tu row;
	struct tjob *tj;

	if (store_tu_get_id(t->d->store, id, &row) != 0)
		return;
	tj = tjob_load(t, &row);
	store_tu_clear(&row);
	if (tj != NULL)
		tjob_pump(tj);
}

int
tuning_job_stop(struct tuning *t, const char *name)
{
	struct tjob *tj = tjob_find(t, name);
	struct store_tu row;

	if (tj == NULL)
		return TD_ESTATE;
	if (store_tu_get_id(t->d->store, tj->id, &row) != 0)
		return TD_EDB;
	if (strcmp(row.status, "InProgress") == 0) {
		free(row.status);
		row.status = strdup("Stopping");
		row.last_modified = td_now();
		store_tu_update(t->d->store, &row);
	}
	store_tu_clear(&row);
	stop_running_trials(tj);
	tjob_pump(tj);
	return 0;
}

struct tjob *
tuning__find(struct tuning *t, const char *name)
{
	return tjob_find(t, name);
}

void
tuning_close(struct tuning *t)
{
	if (t == NULL)
		return;
	t->closing = 1;
	uv_timer_stop(&t->tick);
	uv_close((uv_handle_t *)&t->tick, NULL);
}

void
tuning_free(struct tuning *t)
{
	struct tjob *tj;

	if (t == NULL)
		return;
	while ((tj = t->jobs) != NULL) {
		t->jobs = tj->next;
		tuning__answer_asks(tj, APIERR_INTERNAL, "tunerd is shutting down");
		tjob_free(tj);
	}
	free(t);
}
