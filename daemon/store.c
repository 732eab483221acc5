/*
 * store.c - the SQLite store. Owns the connection and every SQL statement
 * of tunerd; nothing else in the tree speaks SQL (DESIGN.md).
 *
 * Invariants: statements are prepared once (persistent; the dynamic
 * List* queries once per distinct text, see store__prepare()) and reset
 * after each use; the schema version is PRAGMA user_version, advanced by one
 * migration at a time, each in its own transaction; journal_mode=WAL and
 * synchronous=NORMAL (a crash may lose the last transactions of the
 * daemon's own bookkeeping, never corrupt it; job outcomes are also on
 * disk in each job's events.jsonl and are replayed at start).
 *
 * WAL checkpoints never run on the caller's thread (the daemon's loop):
 * wal_autocheckpoint=0, and a commit that leaves CKPT_PAGES or more in
 * the WAL wakes the checkpointer, a thread of the store with its own
 * connection that runs a PASSIVE checkpoint (never waits for a lock,
 * never takes the writer's: the loop's commits go on meanwhile, and its
 * connection sees no SQLITE_BUSY from it), at most one per CKPT_GAP_MS
 * (a WAL past CKPT_HARD_PAGES, which only a burst of commits with no
 * pause makes, is checkpointed by the committing thread: see ckpt_hook).
 * The fsyncs of a checkpoint (up to 6 ms each here) used to stall every
 * request queued behind the commit that triggered it. The thread is ours
 * rather than libuv's threadpool's: the store has no loop, and
 * store_close() joins it before closing either connection (the main one
 * last, so that its close checkpoints and removes the WAL as before).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include <sqlite3.h>

#include "embedded.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

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

/* ---- dynamic statements ---------------------------------------------- */

#define SQLC_N	32

struct store_sqlc {
	struct {
		char		*sql;
		sqlite3_stmt	*s;
		int		 busy;
	} e[SQLC_N];
	unsigned int	 next;
};

sqlite3_stmt *
store__prepare(struct store *st, const char *sql)
{
	struct store_sqlc *c = st->sqlc;
	sqlite3_stmt *s = NULL;
	unsigned int i, k;
	char *copy;

	if (c == NULL && (c = st->sqlc = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	for (i = 0; i < SQLC_N; i++)
		if (c->e[i].sql != NULL && !c->e[i].busy &&
		    strcmp(c->e[i].sql, sql) == 0) {
			c->e[i].busy = 1;
			return c->e[i].s;
		}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
	    NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return NULL;
	}
	/* Round robin over the slots not in use; all in use: uncached. */
	for (i = 0; i < SQLC_N; i++) {
		k = (c->next + i) % SQLC_N;
		if (c->e[k].busy)
			continue;
		if ((copy = strdup(sql)) == NULL)
			break;
		sqlite3_finalize(c->e[k].s);
		free(c->e[k].sql);
		c->e[k].sql = copy;
		c->e[k].s = s;
		c->e[k].busy = 1;
		c->next = k + 1;
		break;
	}
	return s;
}

void
store__release(struct store *st, sqlite3_stmt *s)
{
	struct store_sqlc *c = st->sqlc;
	unsigned int i;

	if (s == NULL)
		return;
	for (i = 0; c != NULL && i < SQLC_N; i++)
		if (c->e[i].s == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			c->e[i].busy = 0;
			return;
		}
	sqlite3_finalize(s);
}

static void
sqlc_free(struct store_sqlc *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; i < SQLC_N; i++) {
		sqlite3_finalize(c->e[i].s);
		free(c->e[i].sql);
	}
	free(c);
}

/* ---- the checkpointer ------------------------------------------------ */

#define CKPT_PAGES	1000	/* SQLite's own autocheckpoint default */
#define CKPT_HARD_PAGES	4000
#define CKPT_GAP_MS	100

struct store_ckpt {
	thrd_t		 th;
	mtx_t		 mu;
	cnd_t		 cv;
	sqlite3		*db;		/* the checkpointer's connection */
	int		 want, stop;
	long		 runs;		/* checkpoints run (under mu) */
};

/* Runs a PASSIVE checkpoint when woken, no closer than CKPT_GAP_MS apart. */
static int
ckpt_main(void *arg)
{
	struct store_ckpt *c = arg;
	uint64_t last = 0, now;
	struct timespec ts;
	int nlog, nckpt, rc;

	mtx_lock(&c->mu);
	for (;;) {
		while (!c->want && !c->stop)
			cnd_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		now = td_mono_ns();
		if (last != 0 && now - last < CKPT_GAP_MS * 1000000ULL) {
			timespec_get(&ts, TIME_UTC);
			ts.tv_nsec += (long)(CKPT_GAP_MS * 1000000ULL -
			    (now - last));
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			cnd_timedwait(&c->cv, &c->mu, &ts);
			continue;
		}
		c->want = 0;
		mtx_unlock(&c->mu);
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warnx("store: checkpoint: %s", sqlite3_errmsg(c->db));
		last = td_mono_ns();
		mtx_lock(&c->mu);
		c->runs++;
	}
	mtx_unlock(&c->mu);
	return 0;
}

/*
 * sqlite3_wal_hook: after each commit of the main connection, on its
 * thread. A PASSIVE checkpoint beside a writer that never pauses never
 * catches up, and the WAL only restarts from its beginning when one did:
 * past CKPT_HARD_PAGES (a sustained burst of commits), this thread
 * checkpoints the rest itself, as SQLite's autocheckpoint always did.
 * Busy (the checkpointer is at it) is fine: the next commit retries.
 */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store_ckpt *c = arg;

	if (pages >= CKPT_HARD_PAGES) {
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	if (pages >= CKPT_PAGES) {
		mtx_lock(&c->mu);
		c->want = 1;
		cnd_signal(&c->cv);
		mtx_unlock(&c->mu);
	}
	return SQLITE_OK;
}

static void
ckpt_free(struct store_ckpt *c)
{
	if (c == NULL)
		return;
	mtx_lock(&c->mu);
	c->stop = 1;
	cnd_signal(&c->cv);
	mtx_unlock(&c->mu);
	thrd_join(c->th, NULL);
	sqlite3_close(c->db);
	mtx_destroy(&c->mu);
	cnd_destroy(&c->cv);
	free(c);
}

/*
 * Starts the checkpointer on path and hands the main connection's
 * checkpoints to it. On failure SQLite's automatic checkpoints stay (on
 * the caller's thread, as before): slower, never wrong.
 */
static void
ckpt_start(struct store *st, const char *path)
{
	struct store_ckpt *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL,
	    NULL) != SQLITE_OK) {
		log_warnx("store: checkpointer: %s", c->db ?
		    sqlite3_errmsg(c->db) : "out of memory");
		sqlite3_close(c->db);
		free(c);
		return;
	}
	if (mtx_init(&c->mu, mtx_plain) != thrd_success ||
	    cnd_init(&c->cv) != thrd_success ||
	    thrd_create(&c->th, ckpt_main, c) != thrd_success) {
		log_warnx("store: checkpointer thread: cannot start");
		sqlite3_close(c->db);
		mtx_destroy(&c->mu);
		cnd_destroy(&c->cv);
		free(c);
		return;
	}
	st->ckpt = c;
	if (store_exec(st, "PRAGMA wal_autocheckpoint=0") != 0) {
		ckpt_free(c);
		st->ckpt = NULL;
		return;
	}
	sqlite3_wal_hook(st->db, ckpt_hook, c);
}

long
store_checkpoints(struct store *st)
{
	long n;

	if (st->ckpt == NULL)
		return -1;
	mtx_lock(&st->ckpt->mu);
	n = st->ckpt->runs;
	mtx_unlock(&st->ckpt->mu);
	return n;
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
	ckpt_start(st, path);
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	/* The checkpointer first: the main connection, closed last, then
	 * checkpoints and removes the WAL itself. */
	if (st->ckpt != NULL) {
		sqlite3_wal_hook(st->db, NULL, NULL);
		ckpt_free(st->ckpt);
	}
	for (i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlc_free(st->sqlc);
	store__tjc_free(st->tjc);
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
