/*
 * tuning_search.c - running the search for a tuning job off the loop
 * thread and turning its suggestions into trials.
 *
 * Owns struct search_work: a snapshot of the job's history (tuning.c)
 * taken on the loop thread, the search run on libuv's threadpool
 * (uv_queue_work), and the one transaction that stores the suggestions as
 * trials (and, for a job with a TrainingJobDefinition, as training jobs),
 * after which they are appended to the history.
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

struct search_work {
	uv_work_t		 req;
	struct tjob		*tj;
	struct ask_wait		*ask;
	uint64_t		 seed;
	uint64_t		 seq;
	size_t			 dims;
	struct search_obs	*obs;		/* borrowed: tj->snap (see snapshot()) */
	size_t			 n_obs;
	double			*pend;		/* n_pend * dims */
	size_t			 n_pend;
	size_t			 n;
	double			*out;		/* n * dims */
	int			 rc;
};

/*
 * Takes the search's view of the job's history: finished trials as
 * observations and running ones as pending points, each in trial_no order
 * (the snapshot the search has always been given), while the loop goes on
 * changing the history.
 *
 * The pending points are copied. The observations are tj->snap, reused
 * from search to search (one search per job at a time, tj->busy), and
 * their x point into the history's own points: those never change once
 * appended, and the history is appended to (and so moved by realloc) only
 * by the loop thread while no search runs (asserted in the history).
 */
static void
snapshot(struct search_work *w, struct tjob *tj)
{
	const struct tuning_hist *h = &tj->hist;
	size_t d = w->dims, n_pend = (size_t)h->in_progress, i;
	size_t n_obs = h->n - n_pend;

	if ((w->pend = calloc(n_pend + 1, d * sizeof(double))) == NULL)
		fatalx("tuning: out of memory");
	if (n_obs + 1 > tj->snap_cap) {
		free(tj->snap);
		tj->snap_cap = (n_obs + 1) * 2;
		if ((tj->snap = calloc(tj->snap_cap, sizeof(*tj->snap))) == NULL)
			fatalx("tuning: out of memory");
	}
	w->obs = tj->snap;
	for (i = 0; i < h->n; i++) {
		const struct hist_trial *e = &h->v[i];
		const double *x = h->x + i * h->dims;

		if (!e->has_point)
			continue;
		if (e->status == HIST_INPROGRESS) {
			memcpy(w->pend + w->n_pend++ * d, x, d * sizeof(double));
			continue;
		}
		w->obs[w->n_obs].x = x;
		w->obs[w->n_obs++].y = e->obj != HIST_OBJ_SUCCEEDED ? NAN :
		    tj->spec->maximize ? -e->objective : e->objective;
	}
}

static void
work_free(struct search_work *w)
{
	free(w->pend);
	free(w->out);
	free(w);
}

static void
on_work(uv_work_t *req)
{
	struct search_work *w = req->data;
	const struct tjob *tj = w->tj;

	/* tj->cache: one search per job at a time (tj->busy). */
	w->rc = search_suggest_cached(tj->strategy, &tj->space, w->seed, w->seq,
	    w->obs, w->n_obs, w->pend, w->n_pend, w->n, w->out, tj->cache);
}

/* "<tuning>-NNN-<8 hex>", the hex a hash of the job, number and seed. */
static void
trial_name(const struct tjob *tj, long no, uint64_t seed, char *out,
    size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ seed;
	const char *p;

	for (p = tj->name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ (uint64_t)no) * 1099511628211ULL;
	/* splitmix64's finaliser: every input bit reaches every output bit. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	snprintf(out, len, "%s-%03ld-%08" PRIx32, tj->name, no,
	    (uint32_t)(h ^ (h >> 32)));
}

static void
ask_reply_error(struct ask_wait *a, const char *type, const char *msg)
{
	apierr_set(&a->c->err, type, "%s", msg);
	api_finish(a->c);
	free(a);
}

void
tuning__answer_asks(struct tjob *tj, const char *type, const char *msg)
{
	struct ask_wait *a;

	while ((a = tj->asks) != NULL) {
		tj->asks = a->next;
		ask_reply_error(a, type, msg);
	}
}

/* Appends the trials store_trials() committed to the job's history. */
static void
hist_add_made(struct tjob *tj, struct store_trial *made, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		made[i].status = (char *)"InProgress";
		made[i].objective_status = (char *)"Pending";
		made[i].objective = NAN;
		tuning__hist_add(tj, &made[i]);
	}
}

/*
 * Stores the suggestions of w as trials in one transaction and, once it
 * has committed, appends them to the job's history. For ask/tell jobs,
 * also fills the deferred answer's Trials.
 */
static int
store_trials(struct search_work *w, cJSON *trials, char *err, size_t errlen)
{
	struct tjob *tj = w->tj;
	struct store *st = tj->t->d->store;
	struct store_tu row;
	struct store_trial *made;
	struct apierr e = { 0 };
	size_t i, k, n_made = 0;
	int rc;

	if ((rc = store_tu_get_id(st, tj->id, &row)) != 0)
		return rc;
	if ((rc = store_begin(st)) != 0) {
		store_tu_clear(&row);
		return rc;
	}
	if ((made = calloc(w->n, sizeof(*made))) == NULL)
		fatalx("tuning: out of memory");
	for (i = 0; i < w->n && rc == 0; i++) {
		struct store_trial tr = { 0 };
		struct td_kv hps[TUNING_MAX_PARAMS + 1];
		char name[128], vals[TUNING_MAX_PARAMS][64], *req = NULL, *pj;
		cJSON *params = cJSON_CreateObject(), *item;
		int64_t tj_id = 0;

		for (k = 0; k < tj->space.n; k++) {
			search_format_value(&tj->space, k,
			    w->out[i * w->dims + k], vals[k], sizeof(vals[k]));
			cJSON_AddStringToObject(params, tj->space.params[k].name,
			    vals[k]);
			hps[k].key = (char *)tj->space.params[k].name;
			hps[k].value = vals[k];
		}
		trial_name(tj, row.next_trial_no, w->seed, name, sizeof(name));
		pj = cJSON_PrintUnformatted(params);
		if (tj->spec->definition != NULL) {
			hps[k].key = "_tuning_objective_metric";
			hps[k].value = tj->spec->objective_metric;
			rc = tuning_trial_request(tj->spec, name, hps, k + 1,
			    &req, &e);
			if (rc == 0)
				rc = store_tj_insert(st, name, req, td_now(),
				    tj->id, &tj_id);
			if (rc != 0)
				snprintf(err, errlen, "cannot create trial %s: %.300s",
				    name, e.type ? e.message : td_strerror(rc));
		}
		if (rc == 0) {
			tr.tuning_job_id = tj->id;
			tr.trial_no = row.next_trial_no;
			tr.name = name;
			tr.params = pj;
			tr.training_job_id = tj_id;
			tr.creation_time = td_now();
			if ((rc = store_trial_insert(st, &tr, &tr.id)) != 0)
				snprintf(err, errlen, "cannot store trial %s: %s",
				    name, td_strerror(rc));
		}
		if (rc == 0) {
			/* Kept for the history; params now belongs to made. */
			tr.name = NULL;
			made[n_made++] = tr;
			pj = NULL;
		}
		if (rc == 0 && trials != NULL) {
			item = cJSON_CreateObject();
			cJSON_AddStringToObject(item, "TrialName", name);
			cJSON_AddItemToObject(item, "HyperParameters", params);
			params = NULL;
			cJSON_AddItemToArray(trials, item);
		}
		row.next_trial_no++;
		cJSON_Delete(params);
		free(pj);
		free(req);
	}
	if (rc == 0) {
		row.suggestions_issued += (long)w->n;
		row.last_modified = td_now();
		rc = store_tu_update(st, &row);
	}
	if (rc == 0)
		rc = store_commit(st);
	if (rc != 0)
		store_rollback(st);
	else
		hist_add_made(tj, made, n_made);
	for (i = 0; i < n_made; i++)
		free(made[i].params);
	free(made);
	store_tu_clear(&row);
	return rc;
}

static void
on_work_done(uv_work_t *req, int status)
{
	struct search_work *w = req->data;
	struct tjob *tj = w->tj;
	struct ask_wait *ask = w->ask;
	cJSON *trials = NULL;
	char err[512] = "";
	int rc = w->rc < 0 ? w->rc : 0;

	tj->busy = 0;
	if (tj->gone || tj->t->closing || status != 0) {
		if (ask != NULL)
			ask_reply_error(ask, APIERR_VALIDATION, "The tuning job "
			    "ended before this suggestion was made");
		if (tj->gone)
			tuning__pump(tj);	/* frees it */
		work_free(w);
		return;
	}
	if (rc != 0)
		snprintf(err, sizeof(err), "search failed: %s", td_strerror(rc));
	if (ask != NULL) {
		ask->c->out = cJSON_CreateObject();
		trials = cJSON_AddArrayToObject(ask->c->out, "Trials");
	}
	if (rc == 0)
		rc = store_trials(w, trials, err, sizeof(err));
	if (ask != NULL) {
		if (rc != 0) {
			ask->c->err.status = 500;
			apierr_set(&ask->c->err, APIERR_INTERNAL, "%s", err);
		}
		api_finish(ask->c);
		free(ask);
	} else if (rc != 0) {
		log_warnx("tuning %s: %s", tj->name, err);
	} else {
		sched_kick(tj->t->d->sched);
	}
	work_free(w);
	tuning__pump(tj);
}

void
tuning__search(struct tjob *tj, size_t n, struct ask_wait *ask)
{
	struct search_work *w = calloc(1, sizeof(*w));
	struct store_tu row;

	if (w == NULL || store_tu_get_id(tj->t->d->store, tj->id, &row) != 0)
		fatalx("tuning: cannot start a search for %s", tj->name);
	w->tj = tj;
	w->ask = ask;
	w->req.data = w;
	w->dims = tj->space.n ? tj->space.n : 1;
	w->seed = tj->spec->has_seed ? (uint64_t)tj->spec->seed :
	    (uint64_t)tj->id * 0x9e3779b97f4a7c15ULL;
	w->seq = (uint64_t)row.suggestions_issued;
	store_tu_clear(&row);
	snapshot(w, tj);
	if ((w->out = calloc(n * w->dims, sizeof(double))) == NULL)
		fatalx("tuning: out of memory");
	w->n = n;
	tj->busy = 1;
	if (uv_queue_work(tj->t->d->loop, &w->req, on_work, on_work_done) != 0) {
		tj->busy = 0;
		work_free(w);
		if (ask != NULL)
			ask_reply_error(ask, APIERR_INTERNAL, "cannot queue the "
			    "search");
	}
}

void
tuning__serve_ask(struct tjob *tj, long in_progress, long total)
{
	struct ask_wait *a = tj->asks;
	long avail = tj->spec->max_parallel - in_progress, n;
	char msg[256];

	if (tj->spec->max_jobs > 0 && tj->spec->max_jobs - total < avail)
		avail = tj->spec->max_jobs - total;
	if (avail <= 0) {
		tj->asks = a->next;
		if (tj->spec->max_jobs > 0 && total >= tj->spec->max_jobs)
			snprintf(msg, sizeof(msg), "All %ld trials of "
			    "MaxNumberOfTrainingJobs have been handed out",
			    tj->spec->max_jobs);
		else
			snprintf(msg, sizeof(msg), "%ld trials are outstanding, "
			    "the MaxParallelTrainingJobs limit; tell their "
			    "results first", in_progress);
		ask_reply_error(a, APIERR_LIMIT, msg);
		tuning__pump(tj);
		return;
	}
	n = a->count < avail ? a->count : avail;
	tj->asks = a->next;
	tuning__search(tj, (size_t)n, a);
}
