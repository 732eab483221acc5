/*
 * sched.h - the scheduler: training jobs from queued to done.
 *
 * Owns every worker lifecycle: launching tunerd-worker (posix_spawn, own
 * session), the connection to each worker's socket, applying its events
 * to the store, reaping, stop requests, retries of lost workers, and
 * re-adopting live workers after a daemon restart. Never runs a program
 * itself and never blocks the loop.
 */
#ifndef TD_SCHED_H
#define TD_SCHED_H

#include "apierr.h"

struct daemon;
struct sched;

int sched_new(struct daemon *d, struct sched **out);
/* Re-adopts or settles every unfinished job in the store, then schedules. */
int sched_start(struct sched *s);
/* Asks for a scheduling pass on this loop turn (cheap; coalesced). */
void sched_kick(struct sched *s);
/* StopTrainingJob: 0, or TD_ENOTFOUND / TD_ESTATE with e filled. */
int sched_stop_job(struct sched *s, const char *name, struct apierr *e);
/* Jobs launched and not yet done. */
int sched_running(const struct sched *s);
/* Detaches from workers (they keep running) and closes every handle. */
void sched_close(struct sched *s);

#endif
