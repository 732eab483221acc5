/*
 * store_serving.c - model, endpoint-configuration, endpoint and
 * model-server instance rows (see store_serving.h). Part of the store
 * module: the only SQL of serving is here.
 *
 * The statements are prepared per call and finalized before returning:
 * these are control-plane rows written a few times per endpoint life (the
 * data plane never touches the store), and it keeps this file independent
 * of the store's fixed statement table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "err.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "store_serving.h"

#define NAMED_COLS "id, name, request, creation_time, last_modified"

#define EP_COLS "id, name, request, status, failure_reason, config_name, " \
	"deployment, generation, pending_config_name, pending_deployment, "  \
	"pending_generation, pending_start, last_generation, creation_time, " \
	"last_modified"

#define INST_COLS "endpoint_id, generation, variant, idx, pid, start_ticks, port"

static sqlite3_stmt *
prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Steps s once (an INSERT/UPDATE/DELETE), finalizes it; 0 or a code. */
static int
run(struct store *st, sqlite3_stmt *s)
{
	int rc = store__done(st, s, sqlite3_step(s));

	sqlite3_finalize(s);
	return rc;
}

static int
run_changed(struct store *st, sqlite3_stmt *s)
{
	int rc = store__done(st, s, sqlite3_step(s));

	sqlite3_finalize(s);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		return TD_ENOTFOUND;
	return rc;
}

/* ---- models and endpoint configurations ------------------------------- */

static const char *
named_table(enum store_named_kind k)
{
	return k == STORE_MODEL ? "models" : "endpoint_configs";
}

void
store_named_clear(struct store_named *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->request);
	memset(r, 0, sizeof(*r));
}

static void
named_from_row(sqlite3_stmt *s, struct store_named *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->name = store__col_text(s, 1);
	r->request = store__col_text(s, 2);
	r->creation_time = sqlite3_column_double(s, 3);
	r->last_modified = sqlite3_column_double(s, 4);
}

int
store_named_insert(struct store *st, enum store_named_kind k,
    const char *name, const char *request, double now)
{
	char sql[256];
	sqlite3_stmt *s;

	snprintf(sql, sizeof(sql), "INSERT INTO %s (name, request, "
	    "creation_time, last_modified) VALUES (?1, ?2, ?3, ?3)",
	    named_table(k));
	if ((s = prep(st, sql)) == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	store__bind_text(s, 2, request);
	sqlite3_bind_double(s, 3, now);
	return run(st, s);
}

int
store_named_get(struct store *st, enum store_named_kind k, const char *name,
    struct store_named *out)
{
	char sql[256];
	sqlite3_stmt *s;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT " NAMED_COLS " FROM %s WHERE "
	    "name = ?1", named_table(k));
	if ((s = prep(st, sql)) == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		named_from_row(s, out);
	else if (rc == SQLITE_DONE)
		rc = TD_ENOTFOUND;
	if (rc != TD_ENOTFOUND)
		rc = store__done(st, s, rc);
	sqlite3_finalize(s);
	return rc;
}

int
store_named_delete(struct store *st, enum store_named_kind k,
    const char *name)
{
	char sql[256];
	sqlite3_stmt *s;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE name = ?1",
	    named_table(k));
	if ((s = prep(st, sql)) == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	return run_changed(st, s);
}

struct named_list_arg {
	store_named_fn	 fn;
	void		*arg;
};

static int
named_list_row(sqlite3_stmt *s, void *arg)
{
	struct named_list_arg *a = arg;
	struct store_named r;

	named_from_row(s, &r);
	return a->fn(&r, a->arg);
}

int
store_named_list(struct store *st, enum store_named_kind k,
    const struct store_list_q *q, store_named_fn fn, void *arg, char **next)
{
	/* No status column: a Status sort key is refused by proto already. */
	static const int sort_idx[3] = { 1, 1, 3 };
	struct named_list_arg a = { fn, arg };

	return store__list_run(st, named_table(k), NAMED_COLS, sort_idx, q,
	    named_list_row, &a, next);
}

/* ---- endpoints ----------------------------------------------------------- */

void
store_ep_clear(struct store_ep *e)
{
	if (e == NULL)
		return;
	free(e->name);
	free(e->request);
	free(e->status);
	free(e->failure_reason);
	free(e->config_name);
	free(e->deployment);
	free(e->pending_config_name);
	free(e->pending_deployment);
	memset(e, 0, sizeof(*e));
}

static void
ep_from_row(sqlite3_stmt *s, struct store_ep *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(s, 0);
	e->name = store__col_text(s, 1);
	e->request = store__col_text(s, 2);
	e->status = store__col_text(s, 3);
	e->failure_reason = store__col_text(s, 4);
	e->config_name = store__col_text(s, 5);
	e->deployment = store__col_text(s, 6);
	e->generation = (long)sqlite3_column_int64(s, 7);
	e->pending_config_name = store__col_text(s, 8);
	e->pending_deployment = store__col_text(s, 9);
	e->pending_generation = (long)sqlite3_column_int64(s, 10);
	e->pending_start = sqlite3_column_double(s, 11);
	e->last_generation = (long)sqlite3_column_int64(s, 12);
	e->creation_time = sqlite3_column_double(s, 13);
	e->last_modified = sqlite3_column_double(s, 14);
}

/* Binds the mutable columns at ?2.. in EP_COLS order (status onwards). */
static void
ep_bind_mutable(sqlite3_stmt *s, const struct store_ep *e)
{
	store__bind_text(s, 2, e->status);
	store__bind_text(s, 3, e->failure_reason);
	store__bind_text(s, 4, e->config_name);
	store__bind_text(s, 5, e->deployment);
	sqlite3_bind_int64(s, 6, e->generation);
	store__bind_text(s, 7, e->pending_config_name);
	store__bind_text(s, 8, e->pending_deployment);
	sqlite3_bind_int64(s, 9, e->pending_generation);
	store__bind_time(s, 10, e->pending_start);
	sqlite3_bind_int64(s, 11, e->last_generation);
	sqlite3_bind_double(s, 12, e->last_modified);
}

int
store_ep_insert(struct store *st, const struct store_ep *e, int64_t *id)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO endpoints (name, status, "
	    "failure_reason, config_name, deployment, generation, "
	    "pending_config_name, pending_deployment, pending_generation, "
	    "pending_start, last_generation, last_modified, request, "
	    "creation_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	    "?11, ?12, ?13, ?14)");
	int rc;

	if (s == NULL)
		return TD_EDB;
	store__bind_text(s, 1, e->name);
	ep_bind_mutable(s, e);
	store__bind_text(s, 13, e->request);
	sqlite3_bind_double(s, 14, e->creation_time);
	rc = run(st, s);
	if (rc == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int
store_ep_get(struct store *st, const char *name, struct store_ep *out)
{
	sqlite3_stmt *s = prep(st, "SELECT " EP_COLS " FROM endpoints "
	    "WHERE name = ?1");
	int rc;

	if (s == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		ep_from_row(s, out);
	else if (rc == SQLITE_DONE)
		rc = TD_ENOTFOUND;
	if (rc != TD_ENOTFOUND)
		rc = store__done(st, s, rc);
	sqlite3_finalize(s);
	return rc;
}

int
store_ep_update(struct store *st, const struct store_ep *e)
{
	sqlite3_stmt *s = prep(st, "UPDATE endpoints SET status = ?2, "
	    "failure_reason = ?3, config_name = ?4, deployment = ?5, "
	    "generation = ?6, pending_config_name = ?7, "
	    "pending_deployment = ?8, pending_generation = ?9, "
	    "pending_start = ?10, last_generation = ?11, last_modified = ?12 "
	    "WHERE id = ?1");

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, e->id);
	ep_bind_mutable(s, e);
	return run_changed(st, s);
}

int
store_ep_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *s;
	int rc;

	/* foreign_keys=ON cascades too; say it explicitly all the same. */
	if ((s = prep(st, "DELETE FROM endpoint_instances WHERE "
	    "endpoint_id = ?1")) == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = run(st, s)) != 0)
		return rc;
	if ((s = prep(st, "DELETE FROM endpoints WHERE id = ?1")) == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, id);
	return run_changed(st, s);
}

int
store_ep_each(struct store *st, store_ep_fn fn, void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT " EP_COLS " FROM endpoints "
	    "ORDER BY id");
	struct store_ep e;
	int rc;

	if (s == NULL)
		return TD_EDB;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ep_from_row(s, &e);
		if ((rc = fn(&e, arg)) != 0) {
			sqlite3_finalize(s);
			return rc;
		}
	}
	rc = store__done(st, s, rc);
	sqlite3_finalize(s);
	return rc;
}

struct ep_list_arg {
	store_ep_fn	 fn;
	void		*arg;
};

static int
ep_list_row(sqlite3_stmt *s, void *arg)
{
	struct ep_list_arg *a = arg;
	struct store_ep e;

	ep_from_row(s, &e);
	return a->fn(&e, a->arg);
}

int
store_ep_list(struct store *st, const struct store_list_q *q,
    store_ep_fn fn, void *arg, char **next)
{
	static const int sort_idx[3] = { 1, 3, 13 };
	struct ep_list_arg a = { fn, arg };

	return store__list_run(st, "endpoints", EP_COLS, sort_idx, q,
	    ep_list_row, &a, next);
}

/* ---- instances ------------------------------------------------------------ */

void
store_inst_clear(struct store_inst *i)
{
	if (i == NULL)
		return;
	free(i->variant);
	memset(i, 0, sizeof(*i));
}

int
store_inst_put(struct store *st, const struct store_inst *i)
{
	sqlite3_stmt *s = prep(st, "INSERT OR REPLACE INTO endpoint_instances "
	    "(" INST_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, i->endpoint_id);
	sqlite3_bind_int64(s, 2, i->generation);
	store__bind_text(s, 3, i->variant);
	sqlite3_bind_int64(s, 4, i->idx);
	sqlite3_bind_int64(s, 5, i->pid);
	sqlite3_bind_int64(s, 6, i->start_ticks);
	sqlite3_bind_int(s, 7, i->port);
	return run(st, s);
}

int
store_inst_delete(struct store *st, int64_t endpoint_id, long generation,
    const char *variant, long idx)
{
	sqlite3_stmt *s = prep(st, "DELETE FROM endpoint_instances WHERE "
	    "endpoint_id = ?1 AND generation = ?2 AND variant = ?3 AND idx = ?4");

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, endpoint_id);
	sqlite3_bind_int64(s, 2, generation);
	store__bind_text(s, 3, variant);
	sqlite3_bind_int64(s, 4, idx);
	return run(st, s);
}

int
store_inst_each(struct store *st, int64_t endpoint_id, store_inst_fn fn,
    void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT " INST_COLS " FROM "
	    "endpoint_instances WHERE endpoint_id = ?1 ORDER BY generation, "
	    "variant, idx");
	struct store_inst i;
	int rc;

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, endpoint_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&i, 0, sizeof(i));
		i.endpoint_id = sqlite3_column_int64(s, 0);
		i.generation = (long)sqlite3_column_int64(s, 1);
		i.variant = store__col_text(s, 2);
		i.idx = (long)sqlite3_column_int64(s, 3);
		i.pid = (long)sqlite3_column_int64(s, 4);
		i.start_ticks = sqlite3_column_int64(s, 5);
		i.port = sqlite3_column_int(s, 6);
		if ((rc = fn(&i, arg)) != 0) {
			sqlite3_finalize(s);
			return rc;
		}
	}
	rc = store__done(st, s, rc);
	sqlite3_finalize(s);
	return rc;
}
