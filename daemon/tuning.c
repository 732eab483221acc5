/*
 * tuning.c - hyperparameter tuning jobs (see tuning.h).
 *
 * Owns: the list of active tuning jobs (struct tjob) and each one's
 * history (its trials' points, statuses and outcomes in memory), the
 * searches in flight on the threadpool, deferred AskTuningJob answers and
 * the completion rules. Never touches SQL or workers directly.
 *
 * Invariants:
 * - An active job's history equals a fresh read of its trials from the
 *   store: it is read once when the job is loaded (created, or resumed at
 *   start before its trials are reconciled) and changed only after the
 *   transaction that changed the store has committed. So an ask or a tell
 *   reads and writes O(1) rows; the search's snapshot and the completion
 *   rules come from memory. TUNERD_CHECK_HISTORY=1 compares the two at
 *   every pump (tests). The history is freed with the job when it ends.
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
#include <assert.h>
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

/* ---- history (struct tuning_hist, see tuning_int.h) ------------------- */

static enum hist_status
hist_status_of(const char *s)
{
	if (strcmp(s, "InProgress") == 0)
		return HIST_INPROGRESS;
	if (strcmp(s, "Completed") == 0)
		return HIST_COMPLETED;
	if (strcmp(s, "Failed") == 0)
		return HIST_FAILED;
	if (strcmp(s, "Stopped") == 0)
		return HIST_STOPPED;
	return HIST_OTHER;
}

static enum hist_obj
hist_obj_of(const char *s)
{
	if (strcmp(s, "Succeeded") == 0)
		return HIST_OBJ_SUCCEEDED;
	if (strcmp(s, "Failed") == 0)
		return HIST_OBJ_FAILED;
	return HIST_OBJ_PENDING;
}

/* The values the store gives back for what was written (store_tuning.c). */
static double
stored_time(double t)
{
	return t > 0 ? t : 0;
}

static double
stored_objective(double v)
{
	return isfinite(v) ? v : NAN;
}

/* Parses a trial's params JSON into x (native units); -1 if it does not fit. */
static int
trial_point(const struct tjob *tj, const char *params, double *x)
{
	cJSON *o = cJSON_Parse(params);
	size_t i;
	int rc = 0;

	for (i = 0; i < tj->space.n && rc == 0; i++) {
		cJSON *v = cJSON_GetObjectItem(o, tj->space.params[i].name);

		if (!cJSON_IsString(v) ||
		    search_parse_value(&tj->space, i, v->valuestring, &x[i]) != 0)
			rc = -1;
	}
	cJSON_Delete(o);
	return rc;
}

/* Adds (d = 1) or removes (d = -1) a trial from the counters, as
 * store_trial_counts() groups the stored strings. */
static void
hist_count(struct tuning_hist *h, const struct hist_trial *e, long d)
{
	struct store_trial_counts *c = &h->counts;

	c->total += d;
	switch (e->status) {
	case HIST_COMPLETED: c->completed += d; break;
	case HIST_FAILED: c->failed += d; break;
	case HIST_STOPPED: c->stopped += d; break;
	default: c->in_progress += d; break;
	}
	if (e->status == HIST_INPROGRESS)
		h->in_progress += d;
	switch (e->obj) {
	case HIST_OBJ_SUCCEEDED: c->obj_succeeded += d; break;
	case HIST_OBJ_FAILED: c->obj_failed += d; break;
	default: c->obj_pending += d; break;
	}
}

static int
hist_is_ended(const struct hist_trial *e)
{
	return e->status != HIST_INPROGRESS && e->obj == HIST_OBJ_SUCCEEDED;
}

static int
ended_after(const struct hist_ended *a, double end, long no)
{
	return a->end > end || (a->end == end && a->no > no);
}

/*
 * Inserts a succeeded outcome in (end, trial_no) order: the order the
 * completion rules always used (a stable sort by end time of the trials
 * in trial_no order). Outcomes mostly arrive in end order: O(1).
 */
static void
hist_ended_add(struct tuning_hist *h, const struct tjob *tj,
    const struct hist_trial *e)
{
	size_t k;

	if (h->n_e == h->cap_e) {
		h->cap_e = h->cap_e ? h->cap_e * 2 : 32;
		if ((h->e = realloc(h->e, h->cap_e * sizeof(*h->e))) == NULL)
			fatalx("tuning: out of memory");
	}
	for (k = h->n_e; k > 0 && ended_after(&h->e[k - 1], e->end_time,
	    e->trial_no); k--)
		h->e[k] = h->e[k - 1];
	h->e[k].end = e->end_time;
	h->e[k].y = tj->spec->maximize ? -e->objective : e->objective;
	h->e[k].no = e->trial_no;
	h->n_e++;
}

/* Removes trial no's outcome (a trial settled twice; rare). */
static void
hist_ended_del(struct tuning_hist *h, long no)
{
	size_t k;

	for (k = 0; k < h->n_e; k++) {
		if (h->e[k].no == no) {
			memmove(&h->e[k], &h->e[k + 1],
			    (h->n_e - k - 1) * sizeof(*h->e));
			h->n_e--;
			return;
		}
	}
}

static void
hist_free(struct tuning_hist *h)
{
	free(h->v);
	free(h->x);
	free(h->e);
	memset(h, 0, sizeof(*h));
}

/* Fills e (and its point) from a stored trial row. */
static void
hist_fill(const struct tjob *tj, struct hist_trial *e, double *x,
    const struct store_trial *tr)
{
	e->id = tr->id;
	e->trial_no = tr->trial_no;
	e->status = (unsigned char)hist_status_of(tr->status);
	e->obj = (unsigned char)hist_obj_of(tr->objective_status);
	e->objective = stored_objective(tr->objective);
	e->end_time = stored_time(tr->end_time);
	e->has_point = trial_point(tj, tr->params, x) == 0;
}

static void
hist_push(struct tuning_hist *h, const struct tjob *tj,
    const struct store_trial *tr)
{
	struct hist_trial *e;

	/* A running search reads tj->hist.x (tuning_search.c, snapshot()). */
	assert(h != &tj->hist || !tj->busy);
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		if ((h->v = realloc(h->v, h->cap * sizeof(*h->v))) == NULL ||
		    (h->x = realloc(h->x, h->cap * h->dims *
		    sizeof(*h->x))) == NULL)
			fatalx("tuning: out of memory");
	}
	/* Trials come in trial_no order; the lookups depend on it. */
	assert(h->n == 0 || h->v[h->n - 1].trial_no < tr->trial_no);
	e = &h->v[h->n];
	memset(e, 0, sizeof(*e));
	hist_fill(tj, e, h->x + h->n * h->dims, tr);
	h->n++;
	hist_count(h, e, 1);
	if (hist_is_ended(e))
		hist_ended_add(h, tj, e);
}

void
tuning__hist_add(struct tjob *tj, const struct store_trial *tr)
{
	hist_push(&tj->hist, tj, tr);
}

static struct hist_trial *
hist_find(struct tuning_hist *h, long trial_no)
{
	size_t lo = 0, hi = h->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h->v[mid].trial_no < trial_no)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->n && h->v[lo].trial_no == trial_no ? &h->v[lo] : NULL;
}

void
tuning__hist_set(struct tjob *tj, const struct store_trial *tr)
{
	struct tuning_hist *h = &tj->hist;
	struct hist_trial *e = hist_find(h, tr->trial_no);

	if (e == NULL || e->id != tr->id) {
		/* Not ours: the check below (or the next load) would see it. */
		log_warnx("tuning %s: trial %ld is not in the history",
		    tj->name, tr->trial_no);
		return;
	}
	hist_count(h, e, -1);
	if (hist_is_ended(e))
		hist_ended_del(h, e->trial_no);
	e->status = (unsigned char)hist_status_of(tr->status);
	e->obj = (unsigned char)hist_obj_of(tr->objective_status);
	e->objective = stored_objective(tr->objective);
	e->end_time = stored_time(tr->end_time);
	hist_count(h, e, 1);
	if (hist_is_ended(e))
		hist_ended_add(h, tj, e);
}

struct hist_load {
	struct tjob		*tj;
	struct tuning_hist	*h;
};

static int
hist_load_row(struct store_trial *tr, void *arg)
{
	struct hist_load *l = arg;

	hist_push(l->h, l->tj, tr);
	store_trial_clear(tr);
	return 0;
}

/* Reads every trial of tj from the store into h (empty on entry). */
static int
hist_read(struct tjob *tj, struct tuning_hist *h)
{
	struct hist_load l = { tj, h };
	int rc;

	memset(h, 0, sizeof(*h));
	h->dims = tj->space.n ? tj->space.n : 1;
	if ((rc = store_trials_each(tj->t->d->store, tj->id, hist_load_row,
	    &l)) != 0)
		hist_free(h);
	return rc;
}

static int
same_double(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

static int
hist_trial_same(const struct tuning_hist *a, const struct tuning_hist *b,
    size_t i)
{
	const struct hist_trial *x = &a->v[i], *y = &b->v[i];

	if (x->id != y->id || x->trial_no != y->trial_no ||
	    x->status != y->status || x->obj != y->obj ||
	    x->has_point != y->has_point ||
	    !same_double(x->objective, y->objective) ||
	    !same_double(x->end_time, y->end_time))
		return 0;
	return !x->has_point || memcmp(a->x + i * a->dims, b->x + i * b->dims,
	    a->dims * sizeof(double)) == 0;
}

int
tuning__hist_check(struct tjob *tj, char *why, size_t len)
{
	struct tuning_hist fresh;
	struct store_trial_counts c;
	const struct tuning_hist *h = &tj->hist;
	size_t i;
	int rc;

	if ((rc = hist_read(tj, &fresh)) != 0 ||
	    (rc = store_trial_counts(tj->t->d->store, tj->id, &c)) != 0) {
		snprintf(why, len, "cannot read the store: %s", td_strerror(rc));
		hist_free(&fresh);
		return rc;
	}
	rc = TD_ESTATE;
	if (h->n != fresh.n)
		snprintf(why, len, "%zu trials, the store has %zu", h->n,
		    fresh.n);
	else if (memcmp(&h->counts, &c, sizeof(c)) != 0 ||
	    memcmp(&fresh.counts, &c, sizeof(c)) != 0)
		snprintf(why, len, "counters differ: total %ld/%ld, in "
		    "progress %ld/%ld, succeeded %ld/%ld", h->counts.total,
		    c.total, h->counts.in_progress, c.in_progress,
		    h->counts.obj_succeeded, c.obj_succeeded);
	else if (h->in_progress != fresh.in_progress || h->n_e != fresh.n_e)
		snprintf(why, len, "%ld running and %zu outcomes, the store "
		    "has %ld and %zu", h->in_progress, h->n_e,
		    fresh.in_progress, fresh.n_e);
	else
		rc = 0;
	for (i = 0; rc == 0 && i < h->n; i++) {
		if (!hist_trial_same(h, &fresh, i)) {
			snprintf(why, len, "trial %ld differs", h->v[i].trial_no);
			rc = TD_ESTATE;
		}
	}
	for (i = 0; rc == 0 && i < h->n_e; i++) {
		if (h->e[i].no != fresh.e[i].no ||
		    !same_double(h->e[i].end, fresh.e[i].end) ||
		    !same_double(h->e[i].y, fresh.e[i].y)) {
			snprintf(why, len, "outcome %zu (trial %ld) differs", i,
			    h->e[i].no);
			rc = TD_ESTATE;
		}
	}
	hist_free(&fresh);
	return rc;
}

/* ---- the active jobs --------------------------------------------------- */

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
	hist_free(&tj->hist);
	free(tj->snap);
	search_cache_free(tj->cache);
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
	if (hist_read(tj, &tj->hist) != 0) {
		tjob_fail(tj, "InternalServerError: the tuning job's trials "
		    "could not be read");
		return NULL;
	}
	/* Only saves time: NULL (out of memory) gives the same suggestions. */
	if (tj->strategy == SEARCH_BAYESIAN)
		tj->cache = search_cache_new();
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
 * the tuning job's best; one transaction. job is the active tuning job
 * whose history follows (NULL when the tuning job is not active).
 */
static void
settle_trial(struct tuning *t, struct tjob *job, const struct td_tuning_spec *sp,
    struct store_trial *tr, const struct store_tj *tj)
{
	struct store *st = t->d->store;
	struct store_tu row;
	struct buf why = { 0 };
	const char *regex = metric_regex(sp);
	double v;
	int rc;

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
	rc = store_trial_update(st, tr);
	if (rc == 0 && store_tu_get_id(st, tr->tuning_job_id, &row) == 0) {
		update_best(st, sp, &row, tr);
		row.last_modified = td_now();
		rc = store_tu_update(st, &row);
		store_tu_clear(&row);
	}
	if (rc == 0)
		rc = store_commit(st);
	if (rc != 0) {
		store_rollback(st);
		log_warnx("tuning: cannot record the outcome of %s: %s",
		    tr->name, td_strerror(rc));
	} else if (job != NULL) {
		tuning__hist_set(job, tr);
	}
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
		settle_trial(t, job, job->spec, &tr, tj);
		store_trial_clear(&tr);
		tjob_pump(job);
		return;
	}
	/* The tuning job is no longer active: still record the outcome. */
	if (store_tu_get_id(d->store, tj->tuning_job_id, &row) == 0 &&
	    tuning__decode(row.request, &sp) == 0)
		settle_trial(t, NULL, sp, &tr, tj);
	tuning_spec_free(sp);
	store_tu_clear(&row);
	store_trial_clear(&tr);
}

/* ---- completion ------------------------------------------------------- */

/* Trials since the last new best, in end-time order. */
static long
not_improving(const struct tuning_hist *h)
{
	double best = INFINITY;
	long since = 0;
	size_t i;

	for (i = 0; i < h->n_e; i++) {
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
converged(const struct tuning_hist *h, size_t dims)
{
	size_t need = 2 * dims + 2 > 10 ? 2 * dims + 2 : 10, i, half;
	double early = INFINITY, all;

	if (h->n_e < need)
		return 0;
	half = h->n_e / 2;
	for (i = 0; i < half; i++)
		if (h->e[i].y < early)
			early = h->e[i].y;
	all = early;
	for (i = half; i < h->n_e; i++)
		if (h->e[i].y < all)
			all = h->e[i].y;
	return early - all <= fmax(1e-3 * fabs(early), 1e-12);
}

/* Is the best outcome at or past TargetObjectiveMetricValue? */
static int
target_reached(const struct td_tuning_spec *sp, const struct tuning_hist *h)
{
	double best = INFINITY;
	size_t i;

	if (h->n_e == 0)
		return 0;
	for (i = 0; i < h->n_e; i++)
		if (h->e[i].y < best)
			best = h->e[i].y;
	return sp->maximize ? -best >= sp->target : best <= sp->target;
}

/*
 * Returns the reason the job should end now, or NULL. Only the criteria
 * the job has are evaluated, so a job without them costs O(1) here.
 */
static const char *
criterion(struct tjob *tj, const struct store_tu *row)
{
	const struct td_tuning_spec *sp = tj->spec;
	const struct tuning_hist *h = &tj->hist;
	long total = (long)h->n;
	uint64_t grid;

	if (sp->has_target && target_reached(sp, h))
		return "TargetObjectiveMetricValue reached";
	if (sp->not_improving > 0 && not_improving(h) >= sp->not_improving)
		return "BestObjectiveNotImproving";
	if (sp->complete_on_convergence && converged(h, sp->n_params))
		return "ConvergenceDetected";
	if (sp->max_runtime_s > 0 &&
	    td_now() - row->creation_time >= (double)sp->max_runtime_s)
		return "MaxRuntimeInSeconds reached";
	if (sp->max_jobs > 0 && total >= sp->max_jobs)
		return "MaxNumberOfTrainingJobs reached";
	if (tj->strategy == SEARCH_GRID &&
	    (grid = search_grid_size(&tj->space)) > 0 &&
	    (uint64_t)total >= grid)
		return "Every grid combination evaluated";
	return NULL;
}

/*
 * Calls fn on every InProgress trial of tj (trial_no order), each read
 * afresh from the store; fn owns the row. The ids are taken from the
 * history first: fn may settle trials (and so change the history).
 */
static void
each_running_trial(struct tjob *tj, store_trial_fn fn, void *arg)
{
	const struct tuning_hist *h = &tj->hist;
	struct store_trial tr;
	int64_t *ids;
	size_t i, n = 0;

	if (h->in_progress == 0)
		return;
	if ((ids = calloc((size_t)h->in_progress, sizeof(*ids))) == NULL)
		fatalx("tuning: out of memory");
	for (i = 0; i < h->n && n < (size_t)h->in_progress; i++)
		if (h->v[i].status == HIST_INPROGRESS)
			ids[n++] = h->v[i].id;
	for (i = 0; i < n; i++)
		if (store_trial_by_id(tj->t->d->store, ids[i], &tr) == 0)
			fn(&tr, arg);
	free(ids);
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
			if (store_trial_update(tj->t->d->store, tr) == 0)
				tuning__hist_set(tj, tr);
		}
	}
	store_trial_clear(tr);
	return 0;
}

static void
stop_running_trials(struct tjob *tj)
{
	each_running_trial(tj, stop_trial, tj);
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

/* TUNERD_CHECK_HISTORY: a history that differs from the store is a bug. */
static void
check_hist(struct tjob *tj)
{
	char why[256];

	if (tuning__hist_check(tj, why, sizeof(why)) == TD_ESTATE)
		fatalx("tuning %s: the history diverges from the store: %s",
		    tj->name, why);
}

static void
pump_once(struct tjob *tj)
{
	struct tuning *t = tj->t;
	struct store_tu row;
	const char *why;
	long want, in_progress, total;

	if (tj->gone || t->closing)
		return;
	if (t->check_hist)
		check_hist(tj);
	if (store_tu_get_id(t->d->store, tj->id, &row) != 0)
		return;
	if (strcmp(row.status, "InProgress") == 0 &&
	    row.completion_reason == NULL && (why = criterion(tj, &row))) {
		row.completion_reason = strdup(why);
		row.last_modified = td_now();
		store_tu_update(t->d->store, &row);
		log_info("tuning %s: %s", tj->name, why);
		if (strstr(why, "MaxNumberOfTrainingJobs") == NULL &&
		    strstr(why, "grid") == NULL)
			stop_running_trials(tj);
	}
	/* After the stops above: they may have settled trials. */
	in_progress = tj->hist.in_progress;
	total = (long)tj->hist.n;
	if (row.completion_reason != NULL || strcmp(row.status, "Stopping") == 0) {
		if (in_progress == 0 && !tj->busy)
			tjob_finish(tj, &row);
		else
			tuning__answer_asks(tj, APIERR_VALIDATION, "The tuning "
			    "job is ending; it hands out no more trials");
		goto out;
	}
	if (tj->busy)
		goto out;
	if (tj->spec->definition != NULL) {
		want = tj->spec->max_parallel - in_progress;
		if (tj->spec->max_jobs > 0 && tj->spec->max_jobs - total < want)
			want = tj->spec->max_jobs - total;
		if (want > 0)
			tuning__search(tj, (size_t)want, NULL);
	} else if (tj->asks != NULL) {
		tuning__serve_ask(tj, in_progress, total);
	}
out:
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
	t->check_hist = getenv("TUNERD_CHECK_HISTORY") != NULL &&
	    strcmp(getenv("TUNERD_CHECK_HISTORY"), "1") == 0;
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
			settle_trial(r->t, r->tj, r->tj->spec, tr, &job);
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
		each_running_trial(tj, reconcile_trial, &r);
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
	/*
	 * Stopping a queued trial settles it at once and pumps the job, which
	 * may end it: hold it as the pump does until the stops are done.
	 */
	tj->pumping = 1;
	stop_running_trials(tj);
	tj->pumping = 0;
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
