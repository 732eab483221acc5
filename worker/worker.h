/*
 * worker.h - one training job, start to finish: the body of
 * `tunerd-worker train`.
 *
 * worker_train() lays out the job directory, listens on worker.sock,
 * fetches channels and code, runs the program, captures its output and
 * metrics, handles stop requests and time limits, packs the model and
 * writes the final "exited" event and status.json. The event stream is
 * described in proto/event.h.
 */
#ifndef TD_WORKER_H
#define TD_WORKER_H

#include <stddef.h>

#define WORKER_DEFAULT_GRACE	10

struct worker_opts {
	const char	*job_dir;
	long		 grace_s;	/* SIGTERM -> SIGKILL delay */
	size_t		 log_limit;	/* bytes of logs/output.log */
	long		 cpus;		/* SM_NUM_CPUS */
	int		 cpus_given;	/* --cpus was passed */
	int		 events_fd;	/* tunerd's end of a socketpair, or -1 */
};

/*
 * Runs the job in o->job_dir. Installs handlers for SIGTERM, SIGINT,
 * SIGCHLD and SIGHUP (SIGTERM/SIGINT stop the job). The caller ignores
 * SIGPIPE and has initialized libcurl. Returns the process exit status: 0 whenever an "exited" event
 * was written (whatever the job's outcome), 1 if not even events.jsonl
 * could be opened.
 */
int worker_train(const struct worker_opts *o);

#endif
