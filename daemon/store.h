/*
 * store.h - tunerd's SQLite store: the only code that holds SQL.
 *
 * One connection, owned by the loop thread, and one more that only the
 * store's checkpointer thread uses; tunerd is the only writer (WAL,
 * synchronous=NORMAL). Rows come back as plain structs whose
 * strings the caller owns and releases with the matching *_clear().
 * Every function returns 0 or a negative code (err.h): TD_ENOTFOUND,
 * TD_EEXIST for a duplicate name, TD_EDB for anything SQLite refused
 * (logged with SQLite's message).
 */
#ifndef TD_STORE_H
#define TD_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* Opens (creating) the database, applies migrations; a newer schema is refused (TD_ESCHEMA, err says so). */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);
/* PRAGMA integrity_check; 0 if "ok". */
int store_integrity(struct store *st, char *err, size_t errlen);
int store_schema_version(struct store *st);

/*
 * WAL checkpoints run on the store's own thread (see store.c); the number
 * it has run so far, or -1 when it could not start (SQLite then
 * checkpoints on the committing thread, as it does by default).
 */
long store_checkpoints(struct store *st);

int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* A training job row. */
struct store_tj {
	int64_t	 id;
	char	*name;
	char	*request;
	char	*status;
	char	*secondary;
	char	*transitions;
	char	*failure_reason;
	double	 creation_time;
	double	 last_modified;
	double	 training_start;	/* 0 = unset */
	double	 training_end;		/* 0 = unset */
	char	*final_metrics;
	char	*model_artifact;
	char	*launch_state;		/* queued|launching|running|done */
	long	 worker_pid;
	long	 events_seq;
	long	 attempt;
	int	 stop_requested;
	int64_t	 tuning_job_id;		/* 0 = none */
};

void store_tj_clear(struct store_tj *tj);
/* Inserts a queued InProgress job; *id gets its id. TD_EEXIST if the name is taken. */
int store_tj_insert(struct store *st, const char *name, const char *request,
    double now, int64_t tuning_job_id, int64_t *id);
int store_tj_get(struct store *st, const char *name, struct store_tj *out);
int store_tj_get_id(struct store *st, int64_t id, struct store_tj *out);
/* Writes every mutable column of tj (by id). */
int store_tj_update(struct store *st, const struct store_tj *tj);

/*
 * Row callbacks own the row: fn must store_tj_clear(tj) (or keep its
 * strings). A non-zero return stops the iteration and is returned.
 */
typedef int (*store_tj_fn)(struct store_tj *tj, void *arg);
/* Jobs whose launch_state is not 'done', in id order. */
int store_tj_unfinished(struct store *st, store_tj_fn fn, void *arg);

/* Up to limit queued jobs, oldest first. */
int store_tj_queued(struct store *st, int limit, store_tj_fn fn, void *arg);

/* A list query, shared by every List* operation. */
struct store_list_q {
	const char	*name_contains;
	const char	*status;
	double		 created_after, created_before;		/* 0 = unset */
	double		 modified_after, modified_before;	/* 0 = unset */
	/* "Name", "CreationTime" (the default) or "Status" (then creation time) */
	const char	*sort_by;
	int		 descending;
	int		 limit;
	const char	*token;		/* NextToken from an earlier page or NULL */
};
/* Calls fn for each row of the page; *next gets the next page's token (caller frees) or NULL. */
int store_tj_list(struct store *st, const struct store_list_q *q,
    store_tj_fn fn, void *arg, char **next);

/*
 * A training job's summary (ListTrainingJobs' columns), borrowed: the
 * strings are SQLite's and valid only during the callback.
 */
struct store_tj_sum {
	int64_t		 id;
	const char	*name;
	const char	*status;
	const char	*secondary;
	double		 creation_time;
	double		 last_modified;
	double		 training_end;		/* 0 = unset */
};
typedef int (*store_tj_sum_fn)(const struct store_tj_sum *s, void *arg);
/* store_tj_list() reading only the summary columns (no copies). */
int store_tj_list_sum(struct store *st, const struct store_list_q *q,
    store_tj_sum_fn fn, void *arg, char **next);

/*
 * A bounded cache of rendered answers per training job (the body of
 * DescribeTrainingJob), kept here so that every write of the row drops
 * the job's entry: store_tj_update() and store_tj_insert() invalidate,
 * and nothing else writes training_jobs. The caller must only put a body
 * that is a pure function of the row (not of the clock). A put while a
 * transaction is open is ignored (a rollback would leave a body of rows
 * that never were). Bounds: STORE_TJC_SLOTS entries (two-way by hash;
 * a put into a full pair replaces one), STORE_TJC_MAX_BODY bytes per body and
 * STORE_TJC_MAX_BYTES in all (a put past it is ignored).
 */
#define STORE_TJC_SLOTS		4096
#define STORE_TJC_MAX_BODY	(64 * 1024)
#define STORE_TJC_MAX_BYTES	(16 * 1024 * 1024)
/* 0 and *body (borrowed until the next store call) or TD_ENOTFOUND. */
int store_tj_cache_get(struct store *st, const char *name, const char **body,
    size_t *len);
/* Copies body as the answer for job id named name. */
void store_tj_cache_put(struct store *st, int64_t id, const char *name,
    const char *body, size_t len);
/* Drops every entry (e.g. after an out-of-band change of the table). */
void store_tj_cache_clear(struct store *st);

int store_metric_add(struct store *st, int64_t job_id, const char *name,
    double t, double v);
typedef int (*store_metric_fn)(const char *name, double t, double v, void *arg);
int store_metrics_get(struct store *st, int64_t job_id, store_metric_fn fn, void *arg);

#endif

/* ---- tuning jobs and trials (store_tuning.c) ------------------------ */

struct store_tu {
	int64_t	 id;
	char	*name;
	char	*request;
	char	*status;		/* InProgress|Completed|Failed|Stopping|Stopped */
	char	*failure_reason;
	double	 creation_time;
	double	 last_modified;
	double	 end_time;		/* 0 = unset */
	char	*completion_reason;	/* which criterion ended it, or NULL */
	long	 next_trial_no;
	long	 suggestions_issued;
	int64_t	 best_trial_id;		/* 0 = none */
};

void store_tu_clear(struct store_tu *tu);
int store_tu_insert(struct store *st, const char *name, const char *request,
    double now, int64_t *id);
int store_tu_get(struct store *st, const char *name, struct store_tu *out);
int store_tu_get_id(struct store *st, int64_t id, struct store_tu *out);
int store_tu_update(struct store *st, const struct store_tu *tu);
/* Row callbacks own the row (store_tu_clear). */
typedef int (*store_tu_fn)(struct store_tu *tu, void *arg);
/* Tuning jobs in InProgress or Stopping, by id. */
int store_tu_active(struct store *st, store_tu_fn fn, void *arg);
int store_tu_list(struct store *st, const struct store_list_q *q,
    store_tu_fn fn, void *arg, char **next);

struct store_trial {
	int64_t	 id;
	int64_t	 tuning_job_id;
	long	 trial_no;
	char	*name;
	char	*params;		/* JSON {name: "value"} */
	char	*status;		/* InProgress|Completed|Failed|Stopped */
	char	*objective_status;	/* Pending|Succeeded|Failed */
	double	 objective;		/* NAN when none */
	char	*failure_reason;
	int64_t	 training_job_id;	/* 0 = ask/tell trial */
	double	 creation_time;
	double	 start_time;		/* 0 = unset */
	double	 end_time;		/* 0 = unset */
};

void store_trial_clear(struct store_trial *t);
/* Inserts an InProgress, Pending trial; *id gets its id. */
int store_trial_insert(struct store *st, const struct store_trial *t, int64_t *id);
int store_trial_update(struct store *st, const struct store_trial *t);
int store_trial_by_name(struct store *st, const char *name, struct store_trial *out);
int store_trial_by_id(struct store *st, int64_t id, struct store_trial *out);
int store_trial_by_training_job(struct store *st, int64_t tj_id,
    struct store_trial *out);
typedef int (*store_trial_fn)(struct store_trial *t, void *arg);
/* Every trial of a tuning job in trial_no order (callbacks own the row). */
int store_trials_each(struct store *st, int64_t tuning_id, store_trial_fn fn,
    void *arg);

/* A page of a tuning job's trials; sort_by adds "Objective" to the usual keys. */
struct store_trial_q {
	int64_t		 tuning_id;
	const char	*status;	/* NULL = all */
	const char	*sort_by;	/* "Name"|"CreationTime"|"Status"|"Objective" */
	int		 descending;
	int		 limit;
	long		 offset;	/* from the NextToken */
};
int store_trials_list(struct store *st, const struct store_trial_q *q,
    store_trial_fn fn, void *arg, int *more);

struct store_trial_counts {
	long	completed, in_progress, failed, stopped;
	long	obj_succeeded, obj_pending, obj_failed;
	long	total;
};
int store_trial_counts(struct store *st, int64_t tuning_id,
    struct store_trial_counts *out);
