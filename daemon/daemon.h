/*
 * daemon.h - the state every part of tunerd shares: configuration, the
 * loop, the store, the HTTP server and the subsystems. One instance,
 * owned by main.c, lives for the whole run.
 */
#ifndef TD_DAEMON_H
#define TD_DAEMON_H

#include <stdint.h>

#include <uv.h>

struct store;
struct http_server;
struct sched;
struct tuning;
struct serving;
struct store_tj;

struct daemon_config {
	char		*state_dir;
	char		*socket_path;
	char		*listen_host;		/* NULL: no TCP listener */
	int		 listen_port;
	char		*worker_path;		/* tunerd-worker */
	int		 slots;			/* concurrent training jobs */
	int		 grace_s;		/* SIGTERM -> SIGKILL */
	long		 log_limit;		/* per-job log cap in bytes */
	int		 verbose;
};

struct daemon {
	struct daemon_config	 cfg;
	char			*jobs_dir;	/* <state>/jobs */
	uv_loop_t		*loop;
	struct store		*store;
	struct http_server	*http;
	struct sched		*sched;
	struct tuning		*tuning;
	struct serving		*serving;
	int			 tcp_port;	/* bound TCP port, 0 if none */
	int			 shutting_down;
};

/* Called by the scheduler when a training job reached a terminal status. */
void tuning_on_job_done(struct daemon *d, const struct store_tj *tj);

#endif
