/*
 * tuning_search.c - running the search for a tuning job off the loop
 * thread and turning its suggestions into trials.
 *
 * Owns struct search_work: a snapshot of the job's trials taken on the
 * loop thread, the search run on libuv's threadpool (uv_queue_work), and
 * the one transaction that stores the suggestions as trials (and, for a
 * job with a TrainingJobDefinition, as training jobs).
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
	double			*obs_x;		/* n_obs * dims */
	double			*obs_y;
	struct search_obs	*obs;
	size_t			 n_obs, cap_obs;
	double			*pend;		/* n_pend * dims */
	size_t			 n_pend, cap_pend;
	size_t			 n;
	double			*out;		/* n * dims */
	int			 rc;
};

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

static double *
grow(double *p, size_t *cap, size_t need, size_t dims)
{
	if (need <= *cap)
		return p;
	*cap = need * 2;
	if ((p = realloc(p, *cap * dims * sizeof(double))) == NULL)
		fatalx("tuning: out of memory");
	return p;
}

static int
snapshot_row(struct store_trial *tr, void *arg)
{
	struct search_work *w = arg;
	size_t d = w->dims;
	double *x;

	if (strcmp(tr->status, "InProgress") == 0) {
		w->pend = grow(w->pend, &w->cap_pend, w->n_pend + 1, d);
		x = w->pend + w->n_pend * d;
		if (trial_point(w->tj, tr->params, x) == 0)
			w->n_pend++;
	} else {
		size_t cap = w->cap_obs;

		w->obs_x = grow(w->obs_x, &w->cap_obs, w->n_obs + 1, d);
		if (cap != w->cap_obs &&
		    (w->obs_y = realloc(w->obs_y, w->cap_obs *
		    sizeof(double))) == NULL)
			fatalx("tuning: out of memory");
		x = w->obs_x + w->n_obs * d;
		if (trial_point(w->tj, tr->params, x) == 0) {
			double y = NAN;

			if (strcmp(tr->objective_status, "Succeeded") == 0)
				y = w->tj->spec->maximize ? -tr->objective :
				    tr->objective;
			w->obs_y[w->n_obs++] = y;
		}
	}
	store_trial_clear(tr);
	return 0;
}

static void
work_free(struct search_work *w)
{
	free(w->obs_x);
	free(w->obs_y);
	free(w->obs);
	free(w->pend);
	free(w->out);
	free(w);
}

static void
on_work(uv_work_t *req)
{
	struct search_work *w = req->data;
	const struct tjob *tj = w->tj;

	w->rc = search_suggest(tj->strategy, &tj->space, w->seed, w->seq,
	    w->obs, w->n_obs, w->pend, w->n_pend, w->n, w->out);
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

/*
 * Stores the suggestions of w as trials in one transaction. For ask/tell
 * jobs, also fills the deferred answer's Trials.
 */
static int
store_trials(struct search_work *w, cJSON *trials, char *err, size_t errlen)
{
	struct tjob *tj = w->tj;
	struct store *st = tj->t->d->store;
	struct store_tu row;
	struct apierr e = { 0 };
	size_t i, k;
	int rc;

	if ((rc = store_tu_get_id(st, tj->id, &row)) != 0)
		return rc;
	if ((rc = store_begin(st)) != 0) {
		store_tu_clear(&row);
		return rc;
	}
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
			if ((rc = store_trial_insert(st, &tr, NULL)) != 0)
				snprintf(err, errlen, "cannot store trial %s: %s",
				    name, td_strerror(rc));
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
	size_t i;

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
	store_trials_each(tj->t->d->store, tj->id, snapshot_row, w);
	if ((w->obs = calloc(w->n_obs + 1, sizeof(*w->obs))) == NULL ||
	    (w->out = calloc(n * w->dims, sizeof(double))) == NULL)
		fatalx("tuning: out of memory");
	for (i = 0; i < w->n_obs; i++) {
		w->obs[i].x = w->obs_x + i * w->dims;
		w->obs[i].y = w->obs_y[i];
	}
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
