/*
 * serving_int.h - shared inside the serving module only: serving.c (the
 * endpoints and their model-server processes), serving_up.c (HTTP/1.1
 * connections to model servers) and serving_proxy.c (InvokeEndpoint).
 *
 * Ownership tree: struct serving -> endpoints -> deployments (one per
 * generation: serving traffic, starting, or retiring) -> variants ->
 * instances (one model-server process each) -> connections. A node is
 * freed only when everything below it is gone: an instance when its
 * process is known to be gone, its timer closed and its last connection
 * freed; a deployment when all its instances are freed; a deleted endpoint
 * when all its deployments are.
 */
#ifndef TD_SERVING_INT_H
#define TD_SERVING_INT_H

#include <sys/types.h>

#include <stdint.h>

#include <http_parser.h>
#include <uv.h>

#include "buf.h"
#include "store_serving.h"

#define SV_STARTUP_TIMEOUT_S	60	/* default /ping deadline of a new server */
#define SV_HEALTH_MS		5000	/* /ping interval while serving */
#define SV_PING_TIMEOUT_MS	2000
#define SV_PING_FAILS_MAX	3	/* failed pings in a row: restart it */
#define SV_INVOKE_TIMEOUT_MS	60000	/* SageMaker's model response limit */
#define SV_IDLE_CONN_MS		20000	/* pooled connection lifetime when idle */
#define SV_MAX_BODY		6291456	/* InvokeEndpoint Body limit (6 MiB) */
#define SV_STOP_POLL_MS		50	/* exit check of a server we did not spawn */
#define SV_BACKOFF_MAX_MS	30000

struct daemon;
struct http_conn;
struct http_request;
struct sv_conn;
struct sv_deploy;
struct sv_endpoint;

enum sv_istate {
	SV_I_STARTING,		/* process running, /ping not answered yet */
	SV_I_READY,		/* answered /ping: takes traffic */
	SV_I_BACKOFF,		/* no process; starts again when the timer fires */
	SV_I_STOPPING,		/* SIGTERM sent (or will be, when drained) */
	SV_I_GONE,		/* no process and none coming */
};

struct sv_inst {
	struct sv_variant	*v;
	long			 idx;		/* 1-based */
	enum sv_istate		 state;
	pid_t			 pid;		/* 0: no process */
	long long		 start_ticks;
	int			 our_child;	/* SIGCHLD tells its end */
	int			 port;
	char			 sock[108];	/* unix socket to use instead, or "" */
	uint64_t		 deadline;	/* uv_now() limit of STARTING */
	double			 started;	/* td_now() of spawn or adoption */
	int			 ping_fails;
	int			 restarts;	/* in a row, for the back-off */
	long			 total_restarts;
	int			 draining;	/* stop when n_busy reaches 0 */
	int			 kill_sent;	/* SIGKILL already sent */
	int			 released;	/* its deployment counted it as gone */
	int			 timer_open;
	uv_timer_t		 timer;
	struct sv_conn		*all;		/* every connection (serving_up.c) */
	int			 n_conns;	/* every connection, idle or busy */
	int			 n_busy;
	int			 pinging;	/* a health check is in flight */
	int			 restart;	/* after this stop, start again */
	int			 term_sent;	/* SIGTERM sent */
	uint64_t		 kill_at;	/* uv_now() of the SIGKILL */
	char			 last_exit[128]; /* how the last process ended */
};

struct sv_variant {
	struct sv_deploy	*dep;
	char			*name;
	char			*model_name;
	char			*image;
	char			*model_url;	/* as given (for Describe) */
	char			*model_path;	/* local path or NULL */
	char			*instance_type;
	char			**env;		/* "KEY=VALUE" of the model's Environment */
	size_t			 n_env;
	int			 builtin;
	long			 count;
	double			 weight;
	long			 startup_timeout_s;
	struct sv_inst		*inst;		/* count of them */
	unsigned int		 rr;		/* round-robin cursor */
};

enum sv_dstate {
	SV_D_STARTING,		/* waiting for every instance's first /ping */
	SV_D_ACTIVE,		/* serving traffic */
	SV_D_RETIRING,		/* stopping its servers */
};

struct sv_deploy {
	struct sv_endpoint	*ep;
	struct sv_deploy	*next;		/* in ep->retiring */
	long			 gen;
	char			*config_name;
	enum sv_dstate		 state;
	double			 start_time;
	struct sv_variant	*v;
	size_t			 n_v;
	double			 total_weight;
	int			 freed_insts;	/* instances finished and released */
	int			 n_insts;
};

struct sv_endpoint {
	struct sv_endpoint	*next;
	struct serving		*s;
	struct store_ep		 row;		/* as last saved */
	struct sv_deploy	*cur;		/* takes traffic; NULL while Creating */
	struct sv_deploy	*pending;	/* being started */
	struct sv_deploy	*retiring;	/* list of deployments being stopped */
	char			*dir;		/* <state>/endpoints/<name> */
	int			 deleting;
};

struct serving {
	struct daemon		*d;
	struct sv_endpoint	*eps;
	int			 closing;
	uint64_t		 rng;
	unsigned long		 invocations;
	unsigned long		 retries;
	/* serving_up.c: connections with requests to write this iteration. */
	struct sv_conn		*up_dirty;
	uv_check_t		 up_check;
	int			 up_check_open;
};

/* ---- serving.c ---------------------------------------------------------- */

/* An endpoint by exact name (data plane) or any case (control plane); borrowed. */
struct sv_endpoint *sv_endpoint_find(struct serving *s, const char *name,
    int any_case);
/* The instance's connection count reached zero or its busy count dropped. */
void sv_inst_conns_changed(struct sv_inst *in);
/* A request to in failed without an answer: check it soon. */
void sv_inst_suspect(struct sv_inst *in);
/* The log file of an instance: <dir>/<variant>-<idx>.log (into out). */
void sv_inst_log_path(const struct sv_inst *in, char *out, size_t len);

/* ---- serving_up.c: connections to model servers -------------------------- */

struct sv_call;

/* What a connection reports when its request is done. */
struct sv_resp {
	int		 err;		/* 0, or a negative code: no (complete) answer */
	int		 got_bytes;	/* some of the answer arrived before err */
	int		 status;
	const char	*content_type;	/* or NULL */
	const char	*custom_attrs;	/* X-Amzn-SageMaker-Custom-Attributes or NULL */
	const char	*body;
	size_t		 len;
};

typedef void (*sv_done_fn)(struct sv_conn *c, void *arg,
    const struct sv_resp *r);

/*
 * Queues one request to the instance on a kept connection (or a new one):
 * POST /invocations with the given headers and body (borrowed until done
 * is called; in practice until the end of this loop iteration, when the
 * requests queued meanwhile are written together), or, with ping set,
 * GET /ping on a fresh connection closed after it. done is called exactly
 * once, never from inside this call. Returns 0, or a negative code when
 * no connection could be started (done is then not called).
 */
int sv_up_request(struct sv_inst *in, int ping, const char *ctype,
    const char *accept, const char *attrs, const char *body, size_t len,
    unsigned int timeout_ms, sv_done_fn done, void *arg);
/* Closes the instance's idle connections (busy ones finish first). */
void sv_up_close_idle(struct sv_inst *in);
/* Ends every connection of the instance now: done gets TD_EIO for busy ones. */
void sv_up_abort_all(struct sv_inst *in);
/* Closes the batching handle (serving_close); pending writes are dropped. */
void sv_up_shutdown(struct serving *s);

/* ---- serving_proxy.c ---------------------------------------------------------- */

/* Answers an invocation error as sagemaker-runtime shapes it. */
void sv_reply_error(struct http_conn *conn, int status, const char *type,
    const char *msg);

#endif
