/*
 * tuning_int.h - shared inside the tuning module only (tuning*.c).
 */
#ifndef TD_TUNING_INT_H
#define TD_TUNING_INT_H

#include <stdint.h>

#include <uv.h>

#include "search.h"
#include "tuning.h"

struct api_ctx;

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
};

struct tuning {
	struct daemon	*d;
	struct tjob	*jobs;
	uv_timer_t	 tick;
	int		 closing;
};

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
