/*
 * tuning.h - hyperparameter tuning jobs: the loop that turns a tuning
 * job into trials (training jobs, or ask/tell suggestions), feeds their
 * results back to the search and ends the job when a completion
 * criterion holds.
 *
 * Owns the in-memory state of active tuning jobs and the searches in
 * flight on libuv's threadpool (a GP fit never runs on the loop thread).
 * Never touches SQL (store.h) or workers (sched.h).
 */
#ifndef TD_TUNING_H
#define TD_TUNING_H

#include <cjson/cJSON.h>

struct daemon;
struct tuning;
struct api_ctx;
struct td_tuning_spec;

int tuning_new(struct daemon *d, struct tuning **out);
/* Resumes every InProgress / Stopping tuning job found in the store. */
int tuning_start(struct tuning *t);
/* Called on shutdown: stops timers; searches in flight finish and are dropped. */
void tuning_close(struct tuning *t);
void tuning_free(struct tuning *t);

/* The API side (api_tuning.c calls these). */
/* Registers a tuning job just inserted (id) and starts it. */
void tuning_job_created(struct tuning *t, int64_t id);
/* StopHyperParameterTuningJob on an active job; 0 or TD_ENOTFOUND/TD_ESTATE. */
int tuning_job_stop(struct tuning *t, const char *name);
/* AskTuningJob: answers c later (deferred) with Trials. */
void tuning_ask(struct tuning *t, struct api_ctx *c, const char *name, long count);
/* TellTuningJob. */
void tuning_tell(struct tuning *t, struct api_ctx *c, const char *name,
    const char *trial, int failed, double objective, const char *reason);

/* The DescribeHyperParameterTuningJob answer for name, or an error in c. */
cJSON *tuning_describe(struct tuning *t, struct api_ctx *c, const char *name);
/* A HyperParameterTrainingJobSummary of a trial (by trial id); caller owns it. */
struct store_trial;
cJSON *tuning_trial_summary(struct tuning *t, const struct store_trial *tr,
    const struct td_tuning_spec *spec, const char *tuning_name);

#endif
