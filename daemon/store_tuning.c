/*
 * store_tuning.c - tuning-job and trial rows. Part of the store module
 * (see store.c); the fixed SQL is in store_int.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "store_int.h"

void
store_tu_clear(struct store_tu *tu)
{
	if (tu == NULL)
		return;
	free(tu->name);
	free(tu->request);
	free(tu->status);
	free(tu->failure_reason);
	free(tu->completion_reason);
	memset(tu, 0, sizeof(*tu));
}

static void
tu_from_row(sqlite3_stmt *s, struct store_tu *tu)
{
	memset(tu, 0, sizeof(*tu));
	tu->id = sqlite3_column_int64(s, 0);
	tu->name = store__col_text(s, 1);
	tu->request = store__col_text(s, 2);
	tu->status = store__col_text(s, 3);
	tu->failure_reason = store__col_text(s, 4);
	tu->creation_time = sqlite3_column_double(s, 5);
	tu->last_modified = sqlite3_column_double(s, 6);
	tu->end_time = sqlite3_column_double(s, 7);
	tu->completion_reason = store__col_text(s, 8);
	tu->next_trial_no = (long)sqlite3_column_int64(s, 9);
	tu->suggestions_issued = (long)sqlite3_column_int64(s, 10);
	tu->best_trial_id = sqlite3_column_int64(s, 11);
}

int
store_tu_insert(struct store *st, const char *name, const char *request,
    double now, int64_t *id)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TU_INSERT);
	int rc;

	if (s == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	store__bind_text(s, 2, request);
	sqlite3_bind_double(s, 3, now);
	rc = store__done(st, s, sqlite3_step(s));
	if (rc == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static void
tu_get_fill(sqlite3_stmt *s, void *out)
{
	tu_from_row(s, out);
}

static int
tu_get(struct store *st, sqlite3_stmt *s, struct store_tu *out)
{
	return store__one(st, s, tu_get_fill, out);
}

int
store_tu_get(struct store *st, const char *name, struct store_tu *out)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TU_GET);

	if (s == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	return tu_get(st, s, out);
}

int
store_tu_get_id(struct store *st, int64_t id, struct store_tu *out)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TU_GET_ID);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, id);
	return tu_get(st, s, out);
}

int
store_tu_update(struct store *st, const struct store_tu *tu)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TU_UPDATE);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, tu->id);
	store__bind_text(s, 2, tu->status);
	store__bind_text(s, 3, tu->failure_reason);
	sqlite3_bind_double(s, 4, tu->last_modified);
	store__bind_time(s, 5, tu->end_time);
	store__bind_text(s, 6, tu->completion_reason);
	sqlite3_bind_int64(s, 7, tu->next_trial_no);
	sqlite3_bind_int64(s, 8, tu->suggestions_issued);
	if (tu->best_trial_id > 0)
		sqlite3_bind_int64(s, 9, tu->best_trial_id);
	else
		sqlite3_bind_null(s, 9);
	return store__done(st, s, sqlite3_step(s));
}

int
store_tu_active(struct store *st, store_tu_fn fn, void *arg)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TU_ACTIVE);
	struct store_tu tu;
	int rc;

	if (s == NULL)
		return TD_EDB;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		tu_from_row(s, &tu);
		if ((rc = fn(&tu, arg)) != 0) {
			store__done(st, s, SQLITE_DONE);
			return rc;
		}
	}
	return store__done(st, s, rc);
}

struct tu_list_arg {
	store_tu_fn	 fn;
	void		*arg;
};

static int
tu_list_row(sqlite3_stmt *s, void *arg)
{
	struct tu_list_arg *a = arg;
	struct store_tu tu;

	tu_from_row(s, &tu);
	return a->fn(&tu, a->arg);
}

int
store_tu_list(struct store *st, const struct store_list_q *q,
    store_tu_fn fn, void *arg, char **next)
{
	static const int sort_idx[3] = { 1, 3, 5 };
	struct tu_list_arg a = { fn, arg };

	return store__list_run(st, "tuning_jobs", TU_COLS, sort_idx, q,
	    tu_list_row, &a, next);
}

/* ---- trials ----------------------------------------------------------- */

void
store_trial_clear(struct store_trial *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->params);
	free(t->status);
	free(t->objective_status);
	free(t->failure_reason);
	memset(t, 0, sizeof(*t));
}

static void
trial_from_row(sqlite3_stmt *s, struct store_trial *t)
{
	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, 0);
	t->tuning_job_id = sqlite3_column_int64(s, 1);
	t->trial_no = (long)sqlite3_column_int64(s, 2);
	t->name = store__col_text(s, 3);
	t->params = store__col_text(s, 4);
	t->status = store__col_text(s, 5);
	t->objective_status = store__col_text(s, 6);
	t->objective = sqlite3_column_type(s, 7) == SQLITE_NULL ? NAN :
	    sqlite3_column_double(s, 7);
	t->failure_reason = store__col_text(s, 8);
	t->training_job_id = sqlite3_column_int64(s, 9);
	t->creation_time = sqlite3_column_double(s, 10);
	t->start_time = sqlite3_column_double(s, 11);
	t->end_time = sqlite3_column_double(s, 12);
}

int
store_trial_insert(struct store *st, const struct store_trial *t, int64_t *id)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TRIAL_INSERT);
	int rc;

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, t->tuning_job_id);
	sqlite3_bind_int64(s, 2, t->trial_no);
	store__bind_text(s, 3, t->name);
	store__bind_text(s, 4, t->params);
	if (t->training_job_id > 0)
		sqlite3_bind_int64(s, 5, t->training_job_id);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_double(s, 6, t->creation_time);
	rc = store__done(st, s, sqlite3_step(s));
	if (rc == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int
store_trial_update(struct store *st, const struct store_trial *t)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TRIAL_UPDATE);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, t->id);
	store__bind_text(s, 2, t->status);
	store__bind_text(s, 3, t->objective_status);
	if (isfinite(t->objective))
		sqlite3_bind_double(s, 4, t->objective);
	else
		sqlite3_bind_null(s, 4);
	store__bind_text(s, 5, t->failure_reason);
	store__bind_time(s, 6, t->start_time);
	store__bind_time(s, 7, t->end_time);
	return store__done(st, s, sqlite3_step(s));
}

static void
trial_get_fill(sqlite3_stmt *s, void *out)
{
	trial_from_row(s, out);
}

static int
trial_get(struct store *st, sqlite3_stmt *s, struct store_trial *out)
{
	return store__one(st, s, trial_get_fill, out);
}

int
store_trial_by_name(struct store *st, const char *name, struct store_trial *out)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TRIAL_BY_NAME);

	if (s == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	return trial_get(st, s, out);
}

int
store_trial_by_id(struct store *st, int64_t id, struct store_trial *out)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TRIAL_BY_ID);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, id);
	return trial_get(st, s, out);
}

int
store_trial_by_training_job(struct store *st, int64_t tj_id,
    struct store_trial *out)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TRIAL_BY_TJ);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, tj_id);
	return trial_get(st, s, out);
}

int
store_trials_each(struct store *st, int64_t tuning_id, store_trial_fn fn,
    void *arg)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TRIALS_EACH);
	struct store_trial t;
	int rc;

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, tuning_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		trial_from_row(s, &t);
		if ((rc = fn(&t, arg)) != 0) {
			store__done(st, s, SQLITE_DONE);
			return rc;
		}
	}
	return store__done(st, s, rc);
}

int
store_trials_list(struct store *st, const struct store_trial_q *q,
    store_trial_fn fn, void *arg, int *more)
{
	struct buf sql = { 0 };
	sqlite3_stmt *s;
	struct store_trial t;
	const char *dir = q->descending ? "DESC" : "ASC";
	int rc = 0, src, n = 0;

	*more = 0;
	buf_puts(&sql, "SELECT " TRIAL_COLS " FROM trials WHERE tuning_job_id = ?1");
	if (q->status != NULL)
		buf_puts(&sql, " AND status = ?2");
	if (q->sort_by != NULL && strcmp(q->sort_by, "Objective") == 0)
		buf_printf(&sql, " ORDER BY objective IS NULL, objective %s, id",
		    dir);
	else if (q->sort_by != NULL && strcmp(q->sort_by, "Name") == 0)
		buf_printf(&sql, " ORDER BY name %s", dir);
	else if (q->sort_by != NULL && strcmp(q->sort_by, "Status") == 0)
		buf_printf(&sql, " ORDER BY status %s, id", dir);
	else
		buf_printf(&sql, " ORDER BY creation_time %s, id %s", dir, dir);
	buf_puts(&sql, " LIMIT ?3 OFFSET ?4");
	if (sqlite3_prepare_v2(st->db, sql.data, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql.data, sqlite3_errmsg(st->db));
		buf_free(&sql);
		return TD_EDB;
	}
	buf_free(&sql);
	sqlite3_bind_int64(s, 1, q->tuning_id);
	if (q->status != NULL)
		sqlite3_bind_text(s, 2, q->status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 3, q->limit + 1);
	sqlite3_bind_int64(s, 4, q->offset);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == q->limit) {
			*more = 1;
			break;
		}
		n++;
		trial_from_row(s, &t);
		if ((rc = fn(&t, arg)) != 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = TD_EDB;
	sqlite3_finalize(s);
	return rc;
}

int
store_trial_counts(struct store *st, int64_t tuning_id,
    struct store_trial_counts *out)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TRIAL_COUNTS);
	int rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, tuning_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(s, 0);
		const char *obj = (const char *)sqlite3_column_text(s, 1);
		long n = (long)sqlite3_column_int64(s, 2);

		out->total += n;
		if (strcmp(status, "Completed") == 0)
			out->completed += n;
		else if (strcmp(status, "Failed") == 0)
			out->failed += n;
		else if (strcmp(status, "Stopped") == 0)
			out->stopped += n;
		else
			out->in_progress += n;
		if (strcmp(obj, "Succeeded") == 0)
			out->obj_succeeded += n;
		else if (strcmp(obj, "Failed") == 0)
			out->obj_failed += n;
		else
			out->obj_pending += n;
	}
	return store__done(st, s, rc);
}
