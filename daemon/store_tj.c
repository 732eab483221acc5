/*
 * store_tj.c - training-job rows and their metric series.
 * Part of the store module (see store.c); SQL lives in store_int.h and,
 * for the dynamic list queries, here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "store_int.h"

void
store_tj_clear(struct store_tj *tj)
{
	if (tj == NULL)
		return;
	free(tj->name);
	free(tj->request);
	free(tj->status);
	free(tj->secondary);
	free(tj->transitions);
	free(tj->failure_reason);
	free(tj->final_metrics);
	free(tj->model_artifact);
	free(tj->launch_state);
	memset(tj, 0, sizeof(*tj));
}

static void
tj_from_row(sqlite3_stmt *s, struct store_tj *tj)
{
	memset(tj, 0, sizeof(*tj));
	tj->id = sqlite3_column_int64(s, 0);
	tj->name = store__col_text(s, 1);
	tj->request = store__col_text(s, 2);
	tj->status = store__col_text(s, 3);
	tj->secondary = store__col_text(s, 4);
	tj->transitions = store__col_text(s, 5);
	tj->failure_reason = store__col_text(s, 6);
	tj->creation_time = sqlite3_column_double(s, 7);
	tj->last_modified = sqlite3_column_double(s, 8);
	tj->training_start = sqlite3_column_double(s, 9);
	tj->training_end = sqlite3_column_double(s, 10);
	tj->final_metrics = store__col_text(s, 11);
	tj->model_artifact = store__col_text(s, 12);
	tj->launch_state = store__col_text(s, 13);
	tj->worker_pid = (long)sqlite3_column_int64(s, 14);
	tj->events_seq = (long)sqlite3_column_int64(s, 15);
	tj->attempt = (long)sqlite3_column_int64(s, 16);
	tj->stop_requested = sqlite3_column_int(s, 17);
	tj->tuning_job_id = sqlite3_column_int64(s, 18);
}

int
store_tj_insert(struct store *st, const char *name, const char *request,
    double now, int64_t tuning_job_id, int64_t *id)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_INSERT);
	int rc;

	if (s == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	store__bind_text(s, 2, request);
	sqlite3_bind_double(s, 3, now);
	if (tuning_job_id > 0)
		sqlite3_bind_int64(s, 4, tuning_job_id);
	else
		sqlite3_bind_null(s, 4);
	rc = store__done(st, s, sqlite3_step(s));
	if (rc == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static void
tj_get_fill(sqlite3_stmt *s, void *out)
{
	tj_from_row(s, out);
}

static int
tj_get(struct store *st, sqlite3_stmt *s, struct store_tj *out)
{
	return store__one(st, s, tj_get_fill, out);
}

int
store_tj_get(struct store *st, const char *name, struct store_tj *out)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_GET);

	if (s == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	return tj_get(st, s, out);
}

int
store_tj_get_id(struct store *st, int64_t id, struct store_tj *out)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_GET_ID);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, id);
	return tj_get(st, s, out);
}

int
store_tj_update(struct store *st, const struct store_tj *tj)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_UPDATE);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, tj->id);
	store__bind_text(s, 2, tj->status);
	store__bind_text(s, 3, tj->secondary);
	store__bind_text(s, 4, tj->transitions ? tj->transitions : "[]");
	store__bind_text(s, 5, tj->failure_reason);
	sqlite3_bind_double(s, 6, tj->last_modified);
	store__bind_time(s, 7, tj->training_start);
	store__bind_time(s, 8, tj->training_end);
	store__bind_text(s, 9, tj->final_metrics);
	store__bind_text(s, 10, tj->model_artifact);
	store__bind_text(s, 11, tj->launch_state);
	sqlite3_bind_int64(s, 12, tj->worker_pid);
	sqlite3_bind_int64(s, 13, tj->events_seq);
	sqlite3_bind_int64(s, 14, tj->attempt);
	sqlite3_bind_int(s, 15, tj->stop_requested);
	return store__done(st, s, sqlite3_step(s));
}

static int
tj_each(struct store *st, sqlite3_stmt *s, store_tj_fn fn, void *arg)
{
	struct store_tj tj;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		tj_from_row(s, &tj);
		if ((rc = fn(&tj, arg)) != 0) {
			store__done(st, s, SQLITE_DONE);
			return rc;
		}
	}
	return store__done(st, s, rc);
}

int
store_tj_unfinished(struct store *st, store_tj_fn fn, void *arg)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_UNFINISHED);

	if (s == NULL)
		return TD_EDB;
	return tj_each(st, s, fn, arg);
}

int
store_tj_queued(struct store *st, int limit, store_tj_fn fn, void *arg)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_QUEUED);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int(s, 1, limit);
	return tj_each(st, s, fn, arg);
}

/*
 * NextToken: "<sort value>~<id>" of the last row of the page. Keyset
 * pagination keeps each page an index range scan at any table size.
 */
static const char *
list_sort_col(const char *sort_by)
{
	if (sort_by != NULL && strcmp(sort_by, "Name") == 0)
		return "name";
	if (sort_by != NULL && strcmp(sort_by, "Status") == 0)
		return "status";
	return "creation_time";
}

int
store__list_sql(const char *table, const struct store_list_q *q,
    const char *cols, const char *extra_where, struct buf *sql)
{
	const char *col = list_sort_col(q->sort_by);
	const char *op = q->descending ? "<" : ">";
	const char *dir = q->descending ? "DESC" : "ASC";

	buf_printf(sql, "SELECT %s FROM %s WHERE 1", cols, table);
	if (extra_where != NULL)
		buf_printf(sql, " AND %s", extra_where);
	if (q->name_contains != NULL)
		buf_puts(sql, " AND instr(lower(name), lower(:nc)) > 0");
	if (q->status != NULL)
		buf_puts(sql, " AND status = :st");
	if (q->created_after > 0)
		buf_puts(sql, " AND creation_time > :ca");
	if (q->created_before > 0)
		buf_puts(sql, " AND creation_time < :cb");
	if (q->modified_after > 0)
		buf_puts(sql, " AND last_modified > :ma");
	if (q->modified_before > 0)
		buf_puts(sql, " AND last_modified < :mb");
	if (q->token != NULL)
		buf_printf(sql, " AND (%s, id) %s (:tv, :ti)", col, op);
	buf_printf(sql, " ORDER BY %s %s, id %s LIMIT :lim", col, dir, dir);
	return 0;
}

static void
bind_named_text(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i > 0)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void
bind_named_double(sqlite3_stmt *s, const char *name, double v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i > 0)
		sqlite3_bind_double(s, i, v);
}

int
store__list_bind(sqlite3_stmt *s, const struct store_list_q *q)
{
	const char *col = list_sort_col(q->sort_by);
	char *tok, *sep, *end;
	long long id;
	int i;

	bind_named_text(s, ":nc", q->name_contains);
	bind_named_text(s, ":st", q->status);
	bind_named_double(s, ":ca", q->created_after);
	bind_named_double(s, ":cb", q->created_before);
	bind_named_double(s, ":ma", q->modified_after);
	bind_named_double(s, ":mb", q->modified_before);
	if ((i = sqlite3_bind_parameter_index(s, ":lim")) > 0)
		sqlite3_bind_int(s, i, q->limit + 1);
	if (q->token == NULL)
		return 0;
	if ((tok = strdup(q->token)) == NULL)
		return TD_ENOMEM;
	if ((sep = strrchr(tok, '~')) == NULL) {
		free(tok);
		return TD_EINVAL;
	}
	*sep = '\0';
	id = strtoll(sep + 1, &end, 10);
	if (*end != '\0' || id <= 0) {
		free(tok);
		return TD_EINVAL;
	}
	if (strcmp(col, "creation_time") == 0)
		bind_named_double(s, ":tv", strtod(tok, NULL));
	else
		bind_named_text(s, ":tv", tok);
	sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":ti"), id);
	free(tok);
	return 0;
}

char *
store__list_token(sqlite3_stmt *s, const struct store_list_q *q, int sort_idx)
{
	const char *col = list_sort_col(q->sort_by);
	struct buf b = { 0 };

	if (strcmp(col, "creation_time") == 0)
		buf_printf(&b, "%.17g", sqlite3_column_double(s, sort_idx));
	else
		buf_puts(&b, (const char *)sqlite3_column_text(s, sort_idx));
	buf_printf(&b, "~%lld", (long long)sqlite3_column_int64(s, 0));
	return buf_steal(&b);
}

int
store__list_run(struct store *st, const char *table, const char *cols,
    const int sort_idx[3], const struct store_list_q *q,
    int (*row)(sqlite3_stmt *s, void *arg), void *arg, char **next)
{
	struct buf sql = { 0 };
	sqlite3_stmt *s = NULL;
	int rc = 0, src, n = 0, more = 0, idx;
	const char *col = list_sort_col(q->sort_by);
	char *last = NULL;

	*next = NULL;
	idx = strcmp(col, "name") == 0 ? sort_idx[0] :
	    strcmp(col, "status") == 0 ? sort_idx[1] : sort_idx[2];
	store__list_sql(table, q, cols, NULL, &sql);
	if (sqlite3_prepare_v2(st->db, sql.data, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql.data, sqlite3_errmsg(st->db));
		buf_free(&sql);
		return TD_EDB;
	}
	buf_free(&sql);
	if ((rc = store__list_bind(s, q)) != 0) {
		sqlite3_finalize(s);
		return rc;
	}
	/* The query fetches limit + 1 rows: a row past the page means a next page. */
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == q->limit) {
			more = 1;
			break;
		}
		if (n == q->limit - 1)
			last = store__list_token(s, q, idx);
		n++;
		if ((rc = row(s, arg)) != 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE && src != SQLITE_ROW) {
		log_warnx("store: list: %s", sqlite3_errmsg(st->db));
		rc = TD_EDB;
	}
	sqlite3_finalize(s);
	if (rc == 0 && more)
		*next = last;
	else
		free(last);
	return rc;
}

struct tj_list_arg {
	store_tj_fn	 fn;
	void		*arg;
};

static int
tj_list_row(sqlite3_stmt *s, void *arg)
{
	struct tj_list_arg *a = arg;
	struct store_tj tj;

	tj_from_row(s, &tj);
	return a->fn(&tj, a->arg);
}

int
store_tj_list(struct store *st, const struct store_list_q *q,
    store_tj_fn fn, void *arg, char **next)
{
	static const int sort_idx[3] = { 1, 3, 7 };
	struct tj_list_arg a = { fn, arg };

	return store__list_run(st, "training_jobs", TJ_COLS, sort_idx, q,
	    tj_list_row, &a, next);
}

int
store_metric_add(struct store *st, int64_t job_id, const char *name,
    double t, double v)
{
	sqlite3_stmt *s = store__stmt(st, STMT_METRIC_ADD);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, job_id);
	store__bind_text(s, 2, name);
	sqlite3_bind_double(s, 3, t);
	sqlite3_bind_double(s, 4, v);
	return store__done(st, s, sqlite3_step(s));
}

int
store_metrics_get(struct store *st, int64_t job_id, store_metric_fn fn,
    void *arg)
{
	sqlite3_stmt *s = store__stmt(st, STMT_METRICS_GET);
	int rc;

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, job_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = fn((const char *)sqlite3_column_text(s, 0),
		    sqlite3_column_double(s, 1), sqlite3_column_double(s, 2),
		    arg)) != 0) {
			store__done(st, s, SQLITE_DONE);
			return rc;
		}
	}
	return store__done(st, s, rc);
}
