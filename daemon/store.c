/*
 * store.c - the SQLite store. Owns the connection and every SQL statement
 * of tunerd; nothing else in the tree speaks SQL (DESIGN.md).
 *
 * Invariants: statements are prepared once (persistent) and reset after
 * each use; the schema version is PRAGMA user_version, advanced by one
 * migration at a time, each in its own transaction; journal_mode=WAL and
 * synchronous=NORMAL (a crash may lose the last transactions of the
 * daemon's own bookkeeping, never corrupt it; job outcomes are also on
 * disk in each job's events.jsonl and are replayed at start).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "embedded.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "store_int.h"

extern const struct td_embedded td_migrations[];

static const char *stmt_sql[STMT__COUNT] = {
#define X(id, sql) [id] = sql,
	STORE_STMTS(X)
#undef X
};

static int
store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return TD_EDB;
	}
	return 0;
}

sqlite3_stmt *
store__stmt(struct store *st, enum store_stmt id)
{
	if (st->stmts[id] == NULL &&
	    sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &st->stmts[id], NULL) != SQLITE_OK) {
		log_warnx("store: prepare %d: %s", (int)id, sqlite3_errmsg(st->db));
		return NULL;
	}
	return st->stmts[id];
}

int
store__done(struct store *st, sqlite3_stmt *s, int rc)
{
	int ret = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK) {
		if (rc == SQLITE_CONSTRAINT)
			ret = TD_EEXIST;
		else {
			log_warnx("store: %s: %s", sqlite3_sql(s),
			    sqlite3_errmsg(st->db));
			ret = TD_EDB;
		}
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

void
store__bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

void
store__bind_time(sqlite3_stmt *s, int i, double t)
{
	if (t <= 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_double(s, i, t);
}

char *
store__col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *p = sqlite3_column_text(s, i);

	return p != NULL ? strdup((const char *)p) : NULL;
}

int
store__one(struct store *st, sqlite3_stmt *s,
    void (*fill)(sqlite3_stmt *s, void *out), void *out)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		fill(s, out);
		return store__done(st, s, rc);
	}
	rc = store__done(st, s, rc);
	return rc != 0 ? rc : TD_ENOTFOUND;
}

static long
migration_version(const char *name)
{
	return strtol(name, NULL, 10);
}

static int
store_migrate(struct store *st, char *err, size_t errlen)
{
	const struct td_embedded *m;
	long have = store_schema_version(st), latest = 0;
	char pragma[64];

	for (m = td_migrations; m->name != NULL; m++)
		if (migration_version(m->name) > latest)
			latest = migration_version(m->name);
	if (have > latest) {
		snprintf(err, errlen, "the database has schema version %ld but "
		    "this tunerd knows only up to %ld; use a newer tunerd or "
		    "another --state-dir", have, latest);
		return TD_ESCHEMA;
	}
	for (m = td_migrations; m->name != NULL; m++) {
		long v = migration_version(m->name);

		if (v <= have)
			continue;
		if (store_exec(st, "BEGIN IMMEDIATE") != 0)
			return TD_EDB;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %ld", v);
		if (store_exec(st, m->data) != 0 || store_exec(st, pragma) != 0) {
			store_exec(st, "ROLLBACK");
			snprintf(err, errlen, "migration %s failed", m->name);
			return TD_EDB;
		}
		if (store_exec(st, "COMMIT") != 0)
			return TD_EDB;
		log_info("store: applied migration %s", m->name);
		have = v;
	}
	return 0;
}

int
store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *st;
	int rc;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return TD_ENOMEM;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		sqlite3_close(st->db);
		free(st);
		return TD_EDB;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if ((rc = store_exec(st, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
	    "PRAGMA temp_store=MEMORY")) != 0) {
		snprintf(err, errlen, "cannot configure %s: %s", path,
		    sqlite3_errmsg(st->db));
		store_close(st);
		return rc;
	}
	if ((rc = store_migrate(st, err, errlen)) != 0) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	free(st);
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
store_integrity(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc = TD_EDB;

	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
		return TD_EDB;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(s, 0);

		if (r != NULL && strcmp(r, "ok") == 0)
			rc = 0;
		else
			snprintf(err, errlen, "integrity check: %s", r ? r : "?");
	}
	sqlite3_finalize(s);
	return rc;
}

int
store_begin(struct store *st)
{
	return store_exec(st, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *st)
{
	return store_exec(st, "COMMIT");
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		store_exec(st, "ROLLBACK");
}
