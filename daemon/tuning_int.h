/*
 * tuning_int.h - shared inside the tuning module only (tuning*.c).
 * Include store.h before it: the tuning half of store.h sits outside its
 * include guard, so it cannot be included twice.
 */
#ifndef TD_TUNING_INT_H
#define TD_TUNING_INT_H

#include <stdint.h>

#include <uv.h>

#include "search.h"
#include "tuning.h"

struct api_ctx;

/*
 * A tuning job's history: its trials as the search and the completion
 * rules see them, kept in memory while the job is active. Loaded once
 * from the store when the job is loaded, then changed only after the
 * transaction that changed the store has committed, so it always equals
 * what a fresh read of the store would give (tuning__hist_check()).
 * Entries are in trial_no order (trials are inserted in that order).
 */
enum hist_status {
	HIST_INPROGRESS,
	HIST_COMPLETED,
	HIST_FAILED,
	HIST_STOPPED,
	HIST_OTHER,		/* any other stored status */
};

enum hist_obj {
	HIST_OBJ_PENDING,	/* and any other stored value */
	HIST_OBJ_SUCCEEDED,
	HIST_OBJ_FAILED,
};

struct hist_trial {
	int64_t		 id;
	double		 objective;	/* as stored: NAN when none */
	double		 end_time;	/* as stored: 0 when unset */
	long		 trial_no;
	unsigned char	 status;	/* enum hist_status */
	unsigned char	 obj;		/* enum hist_obj */
	unsigned char	 has_point;	/* its params parse into the space */
};

/* A succeeded outcome for the completion rules; y is the loss (negated
 * for Maximize). Kept sorted by (end, no). */
struct hist_ended {
	double	 end;
	double	 y;
	long	 no;
};

struct tuning_hist {
	size_t			 dims;
	struct hist_trial	*v;
	size_t			 n, cap;
	double			*x;		/* cap * dims, point of v[i] at i * dims */
	struct hist_ended	*e;
	size_t			 n_e, cap_e;
	long			 in_progress;	/* status exactly InProgress */
	struct store_trial_counts counts;	/* as store_trial_counts() */
};

/* An AskTuningJob waiting for its search (FIFO per tuning job). */
struct ask_wait {
	struct ask_wait	*next;
	struct api_ctx	*c;		/* deferred; answered exactly once */
	long		 count;
};

struct tjob {
	struct tjob		*next;
	struct tuning		*t;
	int64_t			 id;
	char			*name;
	struct td_tuning_spec	*spec;
	struct search_param	*params;	/* point into spec */
	struct search_space	 space;
	enum search_strategy	 strategy;
	int			 busy;		/* a search is in flight */
	int			 gone;		/* unlinked; freed when not busy */
	int			 pumping;	/* inside tjob_pump (no re-entry) */
	int			 repump;	/* asked to pump again meanwhile */
	struct ask_wait		*asks;
	struct tuning_hist	 hist;
	struct search_obs	*snap;		/* the search's observations (tuning_search.c) */
	size_t			 snap_cap;
	struct search_cache	*cache;		/* Bayesian: the GP's state between asks, or NULL */
};

struct tuning {
	struct daemon	*d;
	struct tjob	*jobs;
	uv_timer_t	 tick;
	int		 closing;
	int		 check_hist;	/* TUNERD_CHECK_HISTORY: verify at every pump */
};

/* Appends a trial row just inserted (or read at load) to tj's history. */
void tuning__hist_add(struct tjob *tj, const struct store_trial *tr);
/* Applies tr's status and outcome (committed) to its entry in tj's history. */
void tuning__hist_set(struct tjob *tj, const struct store_trial *tr);
/*
 * Compares tj's history with a fresh read of the store; 0 when equal,
 * else TD_ESTATE with what differs in why (or TD_EDB).
 */
int tuning__hist_check(struct tjob *tj, char *why, size_t len);

/* Decodes a stored CreateHyperParameterTuningJob request. */
int tuning__decode(const char *request, struct td_tuning_spec **out);
struct tjob *tuning__find(struct tuning *t, const char *name);
/* Re-evaluates what the job does next (launch, finish, serve asks). */
void tuning__pump(struct tjob *tj);
/* Starts a search for n points on the threadpool; ask is the waiting
 * AskTuningJob it answers, or NULL for training-job trials. */
void tuning__search(struct tjob *tj, size_t n, struct ask_wait *ask);
/* Serves the first waiting ask (ask/tell jobs), given the trial counts. */
void tuning__serve_ask(struct tjob *tj, long in_progress, long total);
/* Answers every waiting ask with an error. */
void tuning__answer_asks(struct tjob *tj, const char *type, const char *msg);

#endif
