/*
 * store_int.h - shared inside the store module only (store*.c): the
 * statement table and the helpers every store file uses.
 */
#ifndef TD_STORE_INT_H
#define TD_STORE_INT_H

#include <sqlite3.h>

#define TJ_COLS "id, name, request, status, secondary_status, transitions, " \
	"failure_reason, creation_time, last_modified, training_start, "     \
	"training_end, final_metrics, model_artifact, launch_state, "        \
	"worker_pid, events_seq, attempt, stop_requested, tuning_job_id"

#define TU_COLS "id, name, request, status, failure_reason, creation_time, " \
	"last_modified, end_time, completion_reason, next_trial_no, "        \
	"suggestions_issued, best_trial_id"

#define TRIAL_COLS "id, tuning_job_id, trial_no, name, params, status, "   \
	"objective_status, objective, failure_reason, training_job_id, "     \
	"creation_time, start_time, end_time"

#define STORE_STMTS(X)                                                     \
	X(STMT_TJ_INSERT, "INSERT INTO training_jobs (name, request, status," \
	    " secondary_status, transitions, creation_time, last_modified,"  \
	    " tuning_job_id) VALUES (?1, ?2, 'InProgress', 'Pending',"       \
	    " json_array(json_object('Status', 'Pending', 'StartTime', ?3,"  \
	    " 'StatusMessage', 'Waiting for a free slot')), ?3, ?3, ?4)")     \
	X(STMT_TJ_GET, "SELECT " TJ_COLS " FROM training_jobs WHERE name = ?1") \
	X(STMT_TJ_GET_ID, "SELECT " TJ_COLS " FROM training_jobs WHERE id = ?1") \
	X(STMT_TJ_UPDATE, "UPDATE training_jobs SET status = ?2,"            \
	    " secondary_status = ?3, transitions = ?4, failure_reason = ?5," \
	    " last_modified = ?6, training_start = ?7, training_end = ?8,"   \
	    " final_metrics = ?9, model_artifact = ?10, launch_state = ?11," \
	    " worker_pid = ?12, events_seq = ?13, attempt = ?14,"            \
	    " stop_requested = ?15 WHERE id = ?1")                          \
	X(STMT_TJ_UNFINISHED, "SELECT " TJ_COLS " FROM training_jobs"        \
	    " WHERE launch_state <> 'done' ORDER BY id")                     \
	X(STMT_TJ_QUEUED, "SELECT " TJ_COLS " FROM training_jobs"            \
	    " WHERE launch_state = 'queued' ORDER BY id LIMIT ?1")           \
	X(STMT_TU_INSERT, "INSERT INTO tuning_jobs (name, request, status,"  \
	    " creation_time, last_modified) VALUES (?1, ?2, 'InProgress', ?3, ?3)") \
	X(STMT_TU_GET, "SELECT " TU_COLS " FROM tuning_jobs WHERE name = ?1") \
	X(STMT_TU_GET_ID, "SELECT " TU_COLS " FROM tuning_jobs WHERE id = ?1") \
	X(STMT_TU_UPDATE, "UPDATE tuning_jobs SET status = ?2,"              \
	    " failure_reason = ?3, last_modified = ?4, end_time = ?5,"       \
	    " completion_reason = ?6, next_trial_no = ?7,"                   \
	    " suggestions_issued = ?8, best_trial_id = ?9 WHERE id = ?1")    \
	X(STMT_TU_ACTIVE, "SELECT " TU_COLS " FROM tuning_jobs"              \
	    " WHERE status IN ('InProgress', 'Stopping') ORDER BY id")       \
	X(STMT_TRIAL_INSERT, "INSERT INTO trials (tuning_job_id, trial_no,"  \
	    " name, params, status, training_job_id, creation_time)"         \
	    " VALUES (?1, ?2, ?3, ?4, 'InProgress', ?5, ?6)")                \
	X(STMT_TRIAL_UPDATE, "UPDATE trials SET status = ?2,"                \
	    " objective_status = ?3, objective = ?4, failure_reason = ?5,"   \
	    " start_time = ?6, end_time = ?7 WHERE id = ?1")                 \
	X(STMT_TRIAL_BY_NAME, "SELECT " TRIAL_COLS " FROM trials WHERE name = ?1") \
	X(STMT_TRIAL_BY_ID, "SELECT " TRIAL_COLS " FROM trials WHERE id = ?1") \
	X(STMT_TRIAL_BY_TJ, "SELECT " TRIAL_COLS " FROM trials"              \
	    " WHERE training_job_id = ?1")                                   \
	X(STMT_TRIALS_EACH, "SELECT " TRIAL_COLS " FROM trials"              \
	    " WHERE tuning_job_id = ?1 ORDER BY trial_no")                   \
	X(STMT_TRIAL_COUNTS, "SELECT status, objective_status, count(*)"     \
	    " FROM trials WHERE tuning_job_id = ?1"                          \
	    " GROUP BY status, objective_status")                            \
	X(STMT_METRIC_ADD, "INSERT INTO metrics (job_id, name, time, value)" \
	    " VALUES (?1, ?2, ?3, ?4)")                                      \
	X(STMT_METRICS_GET, "SELECT name, time, value FROM metrics"          \
	    " WHERE job_id = ?1 ORDER BY name, time, rowid")

enum store_stmt {
#define X(id, sql) id,
	STORE_STMTS(X)
#undef X
	STMT__COUNT
};

struct store_tjc;
struct store_ckpt;
struct store_sqlc;

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmts[STMT__COUNT];
	struct store_tjc *tjc;		/* store_tj.c's answer cache, or NULL */
	struct store_ckpt *ckpt;	/* store.c's WAL checkpointer, or NULL */
	struct store_sqlc *sqlc;	/* store.c's cache of dynamic statements */
};

/*
 * Dynamic SQL (the List* queries), prepared once per distinct text: a
 * statement from store__prepare() (NULL on error, logged) is handed back
 * with store__release(), which resets it for the next caller (or
 * finalizes it when the cache was full). Never finalize one yourself.
 */
sqlite3_stmt *store__prepare(struct store *st, const char *sql);
void store__release(struct store *st, sqlite3_stmt *s);

/* Frees the answer cache (store_close). */
void store__tjc_free(struct store_tjc *c);

sqlite3_stmt *store__stmt(struct store *st, enum store_stmt id);
/* Resets s; maps rc (from sqlite3_step) to 0, TD_EEXIST or TD_EDB. */
int store__done(struct store *st, sqlite3_stmt *s, int rc);
void store__bind_text(sqlite3_stmt *s, int i, const char *v);
/* Binds t, or NULL when t <= 0. */
void store__bind_time(sqlite3_stmt *s, int i, double t);
char *store__col_text(sqlite3_stmt *s, int i);
/*
 * Steps a statement expected to return at most one row: fill(s, out) reads
 * it. Returns 0, TD_ENOTFOUND when there is no row, or TD_EDB.
 */
int store__one(struct store *st, sqlite3_stmt *s,
    void (*fill)(sqlite3_stmt *s, void *out), void *out);

struct buf;
struct store_list_q;
/* Builds a keyset-paginated SELECT of cols from table for q (named parameters). */
int store__list_sql(const char *table, const struct store_list_q *q,
    const char *cols, const char *extra_where, struct buf *sql);
/* Binds q's values (and its NextToken) to a statement built by store__list_sql. */
int store__list_bind(sqlite3_stmt *s, const struct store_list_q *q);
/*
 * Runs a keyset-paginated list over table: row() gets each row of the page
 * (sort_idx: the column index of name, status and creation_time in cols;
 * id must be column 0; a Status sort orders by status, creation_time, id);
 * *next gets the next page's token or NULL.
 */
int store__list_run(struct store *st, const char *table, const char *cols,
    const int sort_idx[3], const struct store_list_q *q,
    int (*row)(sqlite3_stmt *s, void *arg), void *arg, char **next);
/*
 * The NextToken for the current row (sort_idx as for store__list_run, id
 * at 0); caller frees.
 */
char *store__list_token(sqlite3_stmt *s, const struct store_list_q *q,
    const int sort_idx[3]);

#endif
