/*
 * serving.c - endpoints and their model servers (see serving.h).
 *
 * Owns the in-memory endpoints (a mirror of the store's rows plus live
 * state), every model-server process: spawning (posix_spawn, own session,
 * output appended to <state>/endpoints/<endpoint>/<variant>-<i>.log),
 * health checks, restarts, stopping and re-adoption after a daemon
 * restart. Never speaks HTTP itself (serving_up.c) and never answers an
 * invocation (serving_proxy.c).
 *
 * Model servers:
 *   builtin:<algo>   tunerd-worker serve --model <model data> --port <p>
 *   anything else    tunerd-worker serve --exec ..., which unpacks the
 *                    model into SM_MODEL_DIR and execs the user's server
 *                    (Script Mode: "<runtime> <SAGEMAKER_PROGRAM> serve";
 *                    else "<image> serve"), SageMaker's inference contract.
 * Every server gets SAGEMAKER_BIND_TO_PORT, a free loopback port tunerd
 * picks (bind to port 0, read it, close); a built-in server also listens
 * on <endpoint dir>/g<gen>-<variant#>-<i>.sock, which tunerd itself uses
 * (cheaper than loopback TCP). A server must answer GET /ping with
 * 200 within the start-up timeout (ContainerStartupHealthCheckTimeout-
 * InSeconds of the variant, default 60 s). While serving, each instance is
 * pinged every 5 s; three failures in a row, or its exit, and it is
 * restarted (back-off 1 s doubling to 30 s). A server that ends before its
 * first /ping while its deployment is starting fails the deployment:
 * CreateEndpoint ends Failed, UpdateEndpoint rolls back (the endpoint stays
 * InService on its old configuration, FailureReason says why).
 *
 * UpdateEndpoint starts the new deployment beside the serving one, and
 * only when every new instance answered /ping switches traffic to it; the
 * old servers finish the requests they have (drain), then get SIGTERM.
 *
 * Stopping a server: SIGTERM to its process group, SIGKILL after the
 * daemon's --grace; a deleted endpoint's row goes only when every one of
 * its servers is known to be gone. A server's log past the daemon's
 * --log-limit keeps its last MiB.
 *
 * On daemon shutdown the servers keep running (like training workers);
 * their pid, start time and port are in the store (endpoint_instances).
 * A starting tunerd adopts every one still alive (same pid and start time)
 * and pings it; dead ones are started again; servers of deployments that
 * no longer exist get SIGKILL. An adopted server is no child of ours, so
 * its end is noticed by polling (every health check, and every 50 ms
 * while it is being stopped).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api.h"
#include "buf.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "serving.h"
#include "serving_int.h"
#include "proto/serving.h"
#include "store.h"
#include "util.h"

extern char **environ;

/* The built-in algorithms tunerd-worker serve can load. */
static const char *const sv_builtins[] = { "mlp", NULL };

static void inst_tick(uv_timer_t *t);
static void inst_stop(struct sv_inst *in, int drain);
static void dep_fail(struct sv_deploy *dep, const char *reason);
static void dep_maybe_free(struct sv_deploy *dep);
static void ep_maybe_free(struct sv_endpoint *ep);

/* ---- small helpers ------------------------------------------------------ */

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v != NULL ? strdup(v) : NULL;
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s != NULL ? s : "");

	if (p == NULL)
		fatalx("serving: out of memory");
	return p;
}

static uint64_t
now_ms(const struct serving *s)
{
	return uv_now(s->d->loop);
}

static int
proc_alive(pid_t pid, long long ticks)
{
	long long t;

	if (pid <= 0)
		return 0;
	t = td_proc_start_ticks(pid);
	return t >= 0 && t == ticks;
}

/* A free loopback TCP port, or a negative code. */
static int
pick_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1) {
		port = -errno;
		close(fd);
		return port;
	}
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
describe_status(int status, char *out, size_t len)
{
	if (WIFEXITED(status))
		snprintf(out, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, len, "was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(out, len, "ended (wait status %d)", status);
}

void
sv_inst_log_path(const struct sv_inst *in, char *out, size_t len)
{
	snprintf(out, len, "%s/%s-%ld.log", in->v->dep->ep->dir, in->v->name,
	    in->idx);
}

static void
inst_model_dir(const struct sv_inst *in, char *out, size_t len)
{
	snprintf(out, len, "%s/g%ld-%s-%ld", in->v->dep->ep->dir,
	    in->v->dep->gen, in->v->name, in->idx);
}

/* The last few non-empty lines of an instance's log, joined with " | ". */
static void
log_tail(const struct sv_inst *in, struct buf *out)
{
	char path[PATH_MAX], data[2048], *lines[3] = { 0 }, *p, *save = NULL;
	ssize_t n;
	off_t size;
	int fd, i, k = 0;

	sv_inst_log_path(in, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	size = lseek(fd, 0, SEEK_END);
	n = pread(fd, data, sizeof(data) - 1, size > (off_t)sizeof(data) - 1 ?
	    size - (off_t)sizeof(data) + 1 : 0);
	close(fd);
	if (n <= 0)
		return;
	data[n] = '\0';
	for (p = strtok_r(data, "\r\n", &save); p != NULL;
	    p = strtok_r(NULL, "\r\n", &save)) {
		if (*p == '\0' || strncmp(p, "[tunerd]", 8) == 0)
			continue;
		if (k == 3) {
			lines[0] = lines[1];
			lines[1] = lines[2];
			k = 2;
		}
		lines[k++] = p;
	}
	for (i = 0; i < k; i++) {
		if (i > 0)
			buf_puts(out, " | ");
		buf_append(out, lines[i], strlen(lines[i]) > 300 ? 300 :
		    strlen(lines[i]));
	}
}

/* Appends one "[tunerd] ..." line to an instance's log. */
static void
log_note(const struct sv_inst *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
log_note(const struct sv_inst *in, const char *fmt, ...)
{
	char path[PATH_MAX], when[40];
	struct buf b = { 0 };
	va_list ap;
	int fd;

	sv_inst_log_path(in, path, sizeof(path));
	td_fmt_time(td_now(), when, sizeof(when));
	buf_printf(&b, "[tunerd] %s ", when);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_putc(&b, '\n');
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) != -1) {
		if (write(fd, b.data, b.len) < 0)
			log_debug("serving: %s: %s", path, strerror(errno));
		close(fd);
	}
	buf_free(&b);
}

/* ---- the store mirror ---------------------------------------------------- */

static void
ep_save(struct sv_endpoint *ep)
{
	int rc;

	ep->row.last_modified = td_now();
	if ((rc = store_ep_update(ep->s->d->store, &ep->row)) != 0)
		log_warnx("serving: cannot save endpoint %s: %s", ep->row.name,
		    td_strerror(rc));
}

static void
ep_set_status(struct sv_endpoint *ep, const char *status, const char *reason)
{
	if (strcmp(ep->row.status, status) != 0)
		log_info("endpoint %s: %s%s%s", ep->row.name, status,
		    reason ? ": " : "", reason ? reason : "");
	set_str(&ep->row.status, status);
	set_str(&ep->row.failure_reason, reason);
}

static void
inst_row_save(struct sv_inst *in)
{
	struct store_inst r = { 0 };
	int rc;

	r.endpoint_id = in->v->dep->ep->row.id;
	r.generation = in->v->dep->gen;
	r.variant = in->v->name;
	r.idx = in->idx;
	r.pid = in->pid;
	r.start_ticks = in->start_ticks;
	r.port = in->port;
	if ((rc = store_inst_put(in->v->dep->ep->s->d->store, &r)) != 0)
		log_warnx("serving: cannot record server pid %ld: %s",
		    (long)in->pid, td_strerror(rc));
}

static void
inst_row_delete(struct sv_inst *in)
{
	store_inst_delete(in->v->dep->ep->s->d->store, in->v->dep->ep->row.id,
	    in->v->dep->gen, in->v->name, in->idx);
}

/* ---- deployments from their JSON snapshot ----------------------------------- */

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
jnum(const cJSON *o, const char *k, double dflt)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static int
is_builtin_image(const char *image, const char **algo)
{
	size_t i;

	if (image == NULL || strncmp(image, "builtin:", 8) != 0)
		return 0;
	for (i = 0; sv_builtins[i] != NULL; i++) {
		if (strcmp(image + 8, sv_builtins[i]) == 0) {
			if (algo != NULL)
				*algo = sv_builtins[i];
			return 1;
		}
	}
	return -1;
}

static void
variant_init(struct sv_deploy *dep, struct sv_variant *v, size_t vi,
    const cJSON *j)
{
	const cJSON *env = cJSON_GetObjectItem(j, "Environment"), *e;
	long i;

	v->dep = dep;
	v->name = xstrdup(jstr(j, "VariantName"));
	v->model_name = xstrdup(jstr(j, "ModelName"));
	v->image = xstrdup(jstr(j, "Image"));
	v->model_url = jstr(j, "ModelDataUrl") ? xstrdup(jstr(j,
	    "ModelDataUrl")) : NULL;
	v->model_path = jstr(j, "ModelPath") ? xstrdup(jstr(j, "ModelPath")) :
	    NULL;
	v->instance_type = jstr(j, "InstanceType") ? xstrdup(jstr(j,
	    "InstanceType")) : NULL;
	v->builtin = is_builtin_image(v->image, NULL) == 1;
	v->count = (long)jnum(j, "InstanceCount", 1);
	if (v->count < 1)
		v->count = 1;
	v->weight = jnum(j, "Weight", 1.0);
	v->startup_timeout_s = (long)jnum(j, "StartupTimeout",
	    SV_STARTUP_TIMEOUT_S);
	v->n_env = (size_t)cJSON_GetArraySize(env);
	if ((v->env = calloc(v->n_env + 1, sizeof(*v->env))) == NULL)
		fatalx("serving: out of memory");
	i = 0;
	cJSON_ArrayForEach(e, env) {
		struct buf b = { 0 };

		if (!cJSON_IsString(e) || e->string == NULL)
			continue;
		buf_printf(&b, "%s=%s", e->string, e->valuestring);
		v->env[i++] = buf_steal(&b);
	}
	v->n_env = (size_t)i;
	if ((v->inst = calloc((size_t)v->count, sizeof(*v->inst))) == NULL)
		fatalx("serving: out of memory");
	for (i = 0; i < v->count; i++) {
		struct sv_inst *in = &v->inst[i];

		in->v = v;
		in->idx = i + 1;
		in->state = SV_I_GONE;
		/*
		 * A built-in server also listens on a unix socket, which tunerd
		 * uses: half the kernel work of loopback TCP per request. Its
		 * TCP port stays (SageMaker's contract, direct access); a path
		 * too long for sun_path means TCP only.
		 */
		if (v->builtin) {
			int n = snprintf(in->sock, sizeof(in->sock),
			    "%s/g%ld-%zu-%ld.sock", dep->ep->dir, dep->gen, vi,
			    in->idx);

			if (n < 0 || (size_t)n >= sizeof(in->sock))
				in->sock[0] = '\0';
		}
		/* Every instance has its timer from the start: its close is
		 * what counts the instance as released (dep_maybe_free). */
		uv_timer_init(dep->ep->s->d->loop, &in->timer);
		in->timer.data = in;
		in->timer_open = 1;
	}
}

static struct sv_deploy *
dep_new(struct sv_endpoint *ep, const char *json, long gen,
    const char *config_name, enum sv_dstate state)
{
	struct sv_deploy *dep;
	cJSON *root = cJSON_Parse(json), *vs, *j;
	size_t i = 0;

	vs = cJSON_GetObjectItem(root, "Variants");
	if (!cJSON_IsArray(vs) || cJSON_GetArraySize(vs) < 1) {
		log_warnx("serving: endpoint %s: unreadable deployment %ld",
		    ep->row.name, gen);
		cJSON_Delete(root);
		return NULL;
	}
	if ((dep = calloc(1, sizeof(*dep))) == NULL)
		fatalx("serving: out of memory");
	dep->ep = ep;
	dep->gen = gen;
	dep->config_name = xstrdup(config_name);
	dep->state = state;
	dep->start_time = td_now();
	dep->n_v = (size_t)cJSON_GetArraySize(vs);
	if ((dep->v = calloc(dep->n_v, sizeof(*dep->v))) == NULL)
		fatalx("serving: out of memory");
	cJSON_ArrayForEach(j, vs) {
		variant_init(dep, &dep->v[i], i, j);
		dep->total_weight += dep->v[i].weight;
		dep->n_insts += (int)dep->v[i].count;
		i++;
	}
	cJSON_Delete(root);
	return dep;
}

static void
dep_free(struct sv_deploy *dep)
{
	size_t i, k;

	if (dep == NULL)
		return;
	for (i = 0; i < dep->n_v; i++) {
		struct sv_variant *v = &dep->v[i];

		free(v->name);
		free(v->model_name);
		free(v->image);
		free(v->model_url);
		free(v->model_path);
		free(v->instance_type);
		for (k = 0; k < v->n_env; k++)
			free(v->env[k]);
		free(v->env);
		free(v->inst);
	}
	free(dep->v);
	free(dep->config_name);
	free(dep);
}

/* ---- spawning a model server ---------------------------------------------- */

static int
env_has(char *const *env, size_t n, const char *key)
{
	size_t i, kl = strlen(key);

	for (i = 0; i < n; i++)
		if (strncmp(env[i], key, kl) == 0 && env[i][kl] == '=')
			return 1;
	return 0;
}

struct strlist {
	char	**v;
	size_t	  n, cap;
};

static void
sl_add(struct strlist *l, char *s)
{
	if (l->n + 2 > l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		if ((l->v = realloc(l->v, l->cap * sizeof(*l->v))) == NULL)
			fatalx("serving: out of memory");
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
}

static void
sl_addf(struct strlist *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sl_addf(struct strlist *l, const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	sl_add(l, buf_steal(&b));
}

static void
sl_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Keys tunerd sets for every server: never inherited from the daemon. */
static int
reserved_key(const char *kv)
{
	static const char *const keys[] = { "SAGEMAKER_BIND_TO_PORT",
	    "SM_MODEL_DIR", "TUNERD_ENDPOINT", "TUNERD_VARIANT",
	    "TUNERD_INSTANCE", NULL };
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		if (strncmp(kv, keys[i], strlen(keys[i])) == 0 &&
		    kv[strlen(keys[i])] == '=')
			return 1;
	return 0;
}

static void
build_env(const struct sv_inst *in, struct strlist *env)
{
	const struct sv_variant *v = in->v;
	char **e;
	size_t i;

	for (e = environ; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		char key[256];

		if (eq == NULL || reserved_key(*e))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - *e), *e);
		if (!env_has(v->env, v->n_env, key))
			sl_add(env, xstrdup(*e));
	}
	for (i = 0; i < v->n_env; i++)
		if (!reserved_key(v->env[i]))
			sl_add(env, xstrdup(v->env[i]));
	if (v->builtin) {
		/* One server is one loop: keep its BLAS single-threaded. */
		if (!env_has(v->env, v->n_env, "OPENBLAS_NUM_THREADS"))
			sl_add(env, xstrdup("OPENBLAS_NUM_THREADS=1"));
		if (!env_has(v->env, v->n_env, "OMP_NUM_THREADS"))
			sl_add(env, xstrdup("OMP_NUM_THREADS=1"));
	}
	sl_addf(env, "SAGEMAKER_BIND_TO_PORT=%d", in->port);
	sl_addf(env, "TUNERD_ENDPOINT=%s", v->dep->ep->row.name);
	sl_addf(env, "TUNERD_VARIANT=%s", v->name);
	sl_addf(env, "TUNERD_INSTANCE=%ld", in->idx);
}

static void
build_argv(const struct sv_inst *in, struct strlist *argv)
{
	const struct sv_variant *v = in->v;
	const char *worker = v->dep->ep->s->d->cfg.worker_path;
	char dir[PATH_MAX];

	sl_add(argv, xstrdup(worker));
	sl_add(argv, xstrdup("serve"));
	if (v->builtin) {
		sl_add(argv, xstrdup("--model"));
		sl_add(argv, xstrdup(v->model_path));
		sl_add(argv, xstrdup("--port"));
		sl_addf(argv, "%d", in->port);
		if (in->sock[0] != '\0') {
			sl_add(argv, xstrdup("--socket"));
			sl_add(argv, xstrdup(in->sock));
		}
		return;
	}
	inst_model_dir(in, dir, sizeof(dir));
	sl_add(argv, xstrdup("--exec"));
	sl_add(argv, xstrdup("--model-dir"));
	sl_add(argv, xstrdup(dir));
	if (v->model_path != NULL) {
		sl_add(argv, xstrdup("--model"));
		sl_add(argv, xstrdup(v->model_path));
	}
	sl_add(argv, xstrdup("--image"));
	sl_add(argv, xstrdup(v->image));
}

static int
do_spawn(struct sv_inst *in, pid_t *pid)
{
	struct strlist argv = { 0 }, env = { 0 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char log[PATH_MAX];
	struct buf line = { 0 };
	size_t i;
	int rc;

	build_argv(in, &argv);
	build_env(in, &env);
	for (i = 0; i < argv.n; i++)
		buf_printf(&line, "%s%s", i ? " " : "", argv.v[i]);
	log_note(in, "starting %s instance %ld of endpoint %s (port %d): %s",
	    in->v->name, in->idx, in->v->dep->ep->row.name, in->port,
	    line.data);
	buf_free(&line);
	sv_inst_log_path(in, log, sizeof(log));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log,
	    O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&dflt);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(pid, argv.v[0], &fa, &attr, argv.v, env.v);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	sl_free(&argv);
	sl_free(&env);
	return -rc;
}

static unsigned int
start_poll_ms(const struct sv_inst *in)
{
	/* Quick at first (a built-in server is up in milliseconds), then calmer. */
	return td_now() - in->started < 2.0 ? 20 : 250;
}

/* Starts the instance's process; 0, or a code (and the instance is in BACKOFF or failed). */
static int
inst_spawn(struct sv_inst *in)
{
	struct serving *s = in->v->dep->ep->s;
	pid_t pid;
	int port, rc;

	if ((port = pick_port()) < 0)
		return port;
	in->port = port;
	if ((rc = do_spawn(in, &pid)) != 0) {
		in->port = 0;
		return rc;
	}
	in->pid = pid;
	in->start_ticks = td_proc_start_ticks(pid);
	in->our_child = 1;
	in->state = SV_I_STARTING;
	in->started = td_now();
	in->deadline = now_ms(s) + (uint64_t)in->v->startup_timeout_s * 1000;
	in->ping_fails = 0;
	in->term_sent = 0;
	in->kill_sent = 0;
	in->restart = 0;
	in->draining = 0;
	inst_row_save(in);
	log_debug("endpoint %s: %s-%ld pid %ld port %d",
	    in->v->dep->ep->row.name, in->v->name, in->idx, (long)pid, port);
	uv_timer_start(&in->timer, inst_tick, start_poll_ms(in), 0);
	return 0;
}

/* ---- instance life ------------------------------------------------------- */

static void
on_inst_timer_closed(uv_handle_t *h)
{
	struct sv_inst *in = h->data;
	struct sv_deploy *dep = in->v->dep;

	in->timer_open = 0;
	if (dep->ep->s->closing)
		return;
	in->released = 1;
	dep->freed_insts++;
	dep_maybe_free(dep);
}

/* A GONE instance with nothing left in flight releases its timer. */
static void
inst_maybe_release(struct sv_inst *in)
{
	if (in->state != SV_I_GONE || in->n_conns > 0 || in->pinging ||
	    !in->timer_open || uv_is_closing((uv_handle_t *)&in->timer))
		return;
	uv_timer_stop(&in->timer);
	uv_close((uv_handle_t *)&in->timer, on_inst_timer_closed);
}

static unsigned int
backoff_ms(struct sv_inst *in)
{
	unsigned int ms = 1000;
	int i;

	for (i = 0; i < in->restarts && ms < SV_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms > SV_BACKOFF_MAX_MS ? SV_BACKOFF_MAX_MS : ms;
}

/* The process is gone (reaped, or found gone); how says how it ended. */
static void
inst_exited(struct sv_inst *in, const char *how)
{
	struct sv_deploy *dep = in->v->dep;
	struct buf reason = { 0 };
	char log[PATH_MAX];
	pid_t pid = in->pid;

	if (pid <= 0)
		return;
	snprintf(in->last_exit, sizeof(in->last_exit), "%s", how);
	in->pid = 0;
	inst_row_delete(in);
	sv_up_close_idle(in);
	/* Whatever the server left in its process group goes with it. */
	kill(-pid, SIGKILL);
	log_note(in, "server pid %ld %s", (long)pid, how);
	switch (in->state) {
	case SV_I_STOPPING:
		if (in->restart && dep->state != SV_D_RETIRING &&
		    !dep->ep->deleting) {
			in->state = SV_I_BACKOFF;
			uv_timer_start(&in->timer, inst_tick, 0, 0);
		} else {
			in->state = SV_I_GONE;
			uv_timer_stop(&in->timer);
		}
		break;
	case SV_I_STARTING:
	case SV_I_READY:
		sv_inst_log_path(in, log, sizeof(log));
		if (dep->state == SV_D_STARTING) {
			buf_printf(&reason, "The model server of production "
			    "variant %s (instance %ld) %s before answering "
			    "GET /ping", in->v->name, in->idx, how);
			if (in->state == SV_I_READY)
				buf_printf(&reason, " on every instance");
			buf_puts(&reason, ". Last output: ");
			log_tail(in, &reason);
			buf_printf(&reason, " (log: %s)", log);
			in->state = SV_I_GONE;
			dep_fail(dep, reason.data);
			buf_free(&reason);
			break;
		}
		log_warnx("endpoint %s: model server %s-%ld (pid %ld) %s; "
		    "restarting it (see %s)", dep->ep->row.name, in->v->name,
		    in->idx, (long)pid, how, log);
		in->state = SV_I_BACKOFF;
		uv_timer_start(&in->timer, inst_tick, backoff_ms(in), 0);
		in->restarts++;
		in->total_restarts++;
		break;
	default:
		break;
	}
	inst_maybe_release(in);
}

static void
send_term(struct sv_inst *in)
{
	struct serving *s = in->v->dep->ep->s;

	if (in->pid <= 0 || in->term_sent)
		return;
	if (!in->our_child && !proc_alive(in->pid, in->start_ticks)) {
		inst_exited(in, "was gone");
		return;
	}
	in->term_sent = 1;
	if (kill(-in->pid, SIGTERM) == -1)
		kill(in->pid, SIGTERM);
	in->kill_at = now_ms(s) + (uint64_t)s->d->cfg.grace_s * 1000;
	uv_timer_start(&in->timer, inst_tick, in->our_child ?
	    (uint64_t)s->d->cfg.grace_s * 1000 : SV_STOP_POLL_MS, 0);
}

/*
 * Stops an instance: with drain, after the requests it has in flight.
 * Never starts it again unless in->restart is set afterwards.
 */
static void
inst_stop(struct sv_inst *in, int drain)
{
	if (in->state == SV_I_GONE || in->state == SV_I_STOPPING) {
		if (in->state == SV_I_STOPPING && !drain && in->draining) {
			in->draining = 0;
			send_term(in);
		}
		return;
	}
	if (in->pid <= 0) {
		in->state = SV_I_GONE;
		uv_timer_stop(&in->timer);
		inst_maybe_release(in);
		return;
	}
	in->state = SV_I_STOPPING;
	in->draining = drain && in->n_busy > 0;
	sv_up_close_idle(in);
	if (!in->draining)
		send_term(in);
	else
		/* A drain never outlasts one invocation's limit. */
		uv_timer_start(&in->timer, inst_tick, SV_INVOKE_TIMEOUT_MS, 0);
}

/* Restarts a live server that stopped answering: stop, then start again. */
static void
inst_restart(struct sv_inst *in, const char *why)
{
	log_warnx("endpoint %s: model server %s-%ld (pid %ld) %s; restarting "
	    "it", in->v->dep->ep->row.name, in->v->name, in->idx,
	    (long)in->pid, why);
	log_note(in, "%s; restarting the server", why);
	in->restart = 1;
	inst_stop(in, 0);
	in->restarts++;
	in->total_restarts++;
}

void
sv_inst_conns_changed(struct sv_inst *in)
{
	if (in->v->dep->ep->s->closing)
		return;
	if (in->state == SV_I_STOPPING && in->draining && in->n_busy == 0) {
		in->draining = 0;
		send_term(in);
	}
	inst_maybe_release(in);
}

void
sv_inst_suspect(struct sv_inst *in)
{
	if (in->state == SV_I_READY && !in->pinging)
		uv_timer_start(&in->timer, inst_tick, 0, 0);
}

static void
dep_check_ready(struct sv_deploy *dep)
{
	struct sv_endpoint *ep = dep->ep;
	struct sv_deploy *old;
	size_t i;
	long k;

	if (dep->state != SV_D_STARTING || dep != ep->pending)
		return;
	for (i = 0; i < dep->n_v; i++)
		for (k = 0; k < dep->v[i].count; k++)
			if (dep->v[i].inst[k].state != SV_I_READY)
				return;
	old = ep->cur;
	ep->cur = dep;
	ep->pending = NULL;
	dep->state = SV_D_ACTIVE;
	if (old != NULL) {
		/* UpdateEndpoint: the new deployment takes the traffic now. */
		set_str(&ep->row.config_name, ep->row.pending_config_name);
		set_str(&ep->row.deployment, ep->row.pending_deployment);
		ep->row.generation = ep->row.pending_generation;
		set_str(&ep->row.pending_config_name, NULL);
		set_str(&ep->row.pending_deployment, NULL);
		ep->row.pending_generation = 0;
		ep->row.pending_start = 0;
	}
	ep_set_status(ep, "InService", NULL);
	ep_save(ep);
	if (old != NULL) {
		old->state = SV_D_RETIRING;
		old->next = ep->retiring;
		ep->retiring = old;
		for (i = 0; i < old->n_v; i++)
			for (k = 0; k < old->v[i].count; k++)
				inst_stop(&old->v[i].inst[k], 1);
		dep_maybe_free(old);
	}
}

static void
on_ping(struct sv_conn *c, void *arg, const struct sv_resp *r)
{
	struct sv_inst *in = arg;
	int ok = r->err == 0 && r->status == 200;

	in->pinging = 0;
	if (in->v->dep->ep->s->closing)
		return;
	if (in->state == SV_I_STARTING && ok) {
		in->state = SV_I_READY;
		in->ping_fails = 0;
		log_note(in, "server pid %ld answers GET /ping on port %d: "
		    "in service", (long)in->pid, in->port);
		uv_timer_start(&in->timer, inst_tick, SV_HEALTH_MS, 0);
		dep_check_ready(in->v->dep);
	} else if (in->state == SV_I_READY) {
		if (ok) {
			in->ping_fails = 0;
			in->restarts = 0;
		} else if (++in->ping_fails >= SV_PING_FAILS_MAX) {
			inst_restart(in, "did not answer GET /ping three times "
			    "in a row");
		} else {
			/* Check again soon rather than in a full interval. */
			uv_timer_start(&in->timer, inst_tick, 500, 0);
		}
	}
	inst_maybe_release(in);
}

static void
inst_ping(struct sv_inst *in)
{
	if (in->pinging)
		return;
	if (sv_up_request(in, 1, NULL, NULL, NULL, NULL, 0,
	    SV_PING_TIMEOUT_MS, on_ping, in) == 0)
		in->pinging = 1;
}

static void
inst_start_failed(struct sv_inst *in, int rc)
{
	struct sv_deploy *dep = in->v->dep;
	struct buf reason = { 0 };

	buf_printf(&reason, "Cannot start the model server of production "
	    "variant %s (instance %ld) with %s: %s", in->v->name, in->idx,
	    dep->ep->s->d->cfg.worker_path, td_strerror(rc));
	log_note(in, "%s", reason.data);
	if (dep->state == SV_D_STARTING) {
		in->state = SV_I_GONE;
		dep_fail(dep, reason.data);
	} else {
		log_warnx("endpoint %s: %s", dep->ep->row.name, reason.data);
		in->state = SV_I_BACKOFF;
		in->restarts++;
		uv_timer_start(&in->timer, inst_tick, backoff_ms(in), 0);
	}
	buf_free(&reason);
	inst_maybe_release(in);
}

/*
 * Keeps a server's log under the daemon's --log-limit: past it, the log
 * keeps its last 1 MiB (the server appends, so it writes on at the new end).
 * Checked at every health check; lines written in between may be lost.
 */
static void
log_cap(struct sv_inst *in)
{
	char path[PATH_MAX], *tail;
	long limit = in->v->dep->ep->s->d->cfg.log_limit;
	size_t keep = (size_t)1 << 20;
	struct stat st;
	ssize_t n;
	int fd;

	sv_inst_log_path(in, path, sizeof(path));
	if (stat(path, &st) != 0 || st.st_size <= limit)
		return;
	if ((size_t)limit < 2 * keep)
		keep = (size_t)limit / 2;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return;
	if ((tail = malloc(keep)) != NULL &&
	    (n = pread(fd, tail, keep, st.st_size - (off_t)keep)) > 0 &&
	    ftruncate(fd, 0) == 0 && pwrite(fd, tail, (size_t)n, 0) == n)
		log_debug("endpoint %s: %s cut to its last %zd bytes",
		    in->v->dep->ep->row.name, path, n);
	free(tail);
	close(fd);
	log_note(in, "log cut to its last %zu bytes (--log-limit %ld)", keep,
	    limit);
}

static void
inst_tick(uv_timer_t *t)
{
	struct sv_inst *in = t->data;
	struct serving *s = in->v->dep->ep->s;
	char msg[256];
	int rc;

	if (s->closing)
		return;
	if (in->pid > 0 && !in->our_child &&
	    !proc_alive(in->pid, in->start_ticks)) {
		inst_exited(in, "is gone");
		return;
	}
	switch (in->state) {
	case SV_I_STARTING:
		if (now_ms(s) >= in->deadline) {
			snprintf(msg, sizeof(msg), "did not answer GET /ping "
			    "within %ld s (the start-up health check timeout)",
			    in->v->startup_timeout_s);
			if (in->v->dep->state == SV_D_STARTING) {
				char log[PATH_MAX];
				struct buf reason = { 0 };

				sv_inst_log_path(in, log, sizeof(log));
				buf_printf(&reason, "The model server of production "
				    "variant %s (instance %ld) %s. Last output: ",
				    in->v->name, in->idx, msg);
				log_tail(in, &reason);
				buf_printf(&reason, " (log: %s)", log);
				log_note(in, "%s", msg);
				inst_stop(in, 0);
				dep_fail(in->v->dep, reason.data);
				buf_free(&reason);
			} else {
				inst_restart(in, msg);
			}
			return;
		}
		inst_ping(in);
		uv_timer_start(&in->timer, inst_tick, start_poll_ms(in), 0);
		break;
	case SV_I_READY:
		inst_ping(in);
		log_cap(in);
		uv_timer_start(&in->timer, inst_tick, SV_HEALTH_MS, 0);
		break;
	case SV_I_BACKOFF:
		if ((rc = inst_spawn(in)) != 0)
			inst_start_failed(in, rc);
		break;
	case SV_I_STOPPING:
		if (in->draining) {
			/* The drain limit passed: stop it anyway. */
			in->draining = 0;
			send_term(in);
		} else if (in->pid > 0 && now_ms(s) >= in->kill_at &&
		    !in->kill_sent) {
			in->kill_sent = 1;
			log_note(in, "server pid %ld still running %d s after "
			    "SIGTERM: SIGKILL", (long)in->pid,
			    s->d->cfg.grace_s);
			if (kill(-in->pid, SIGKILL) == -1)
				kill(in->pid, SIGKILL);
			if (!in->our_child)
				uv_timer_start(&in->timer, inst_tick,
				    SV_STOP_POLL_MS, 0);
		} else if (in->pid > 0 && !in->our_child) {
			uv_timer_start(&in->timer, inst_tick, SV_STOP_POLL_MS, 0);
		}
		break;
	case SV_I_GONE:
		break;
	}
}

/* The instance of dep that is our child pid, or NULL. */
static struct sv_inst *
dep_child(struct sv_deploy *dep, pid_t pid)
{
	size_t i;
	long k;

	for (; dep != NULL; dep = dep->state == SV_D_RETIRING ? dep->next : NULL)
		for (i = 0; i < dep->n_v; i++)
			for (k = 0; k < dep->v[i].count; k++)
				if (dep->v[i].inst[k].pid == pid &&
				    dep->v[i].inst[k].our_child)
					return &dep->v[i].inst[k];
	return NULL;
}

void
serving_child_exited(struct serving *s, pid_t pid, int status)
{
	struct sv_endpoint *ep;
	struct sv_inst *in;
	char how[128];

	if (s == NULL || s->closing || pid <= 0)
		return;
	for (ep = s->eps; ep != NULL; ep = ep->next) {
		/* The retiring list is walked through dep->next. */
		if ((in = dep_child(ep->cur, pid)) != NULL ||
		    (in = dep_child(ep->pending, pid)) != NULL ||
		    (in = dep_child(ep->retiring, pid)) != NULL) {
			describe_status(status, how, sizeof(how));
			inst_exited(in, how);
			return;
		}
	}
}

/* ---- deployments ---------------------------------------------------------- */

static void
dep_start(struct sv_deploy *dep)
{
	size_t i;
	long k;
	int rc;

	for (i = 0; i < dep->n_v; i++) {
		for (k = 0; k < dep->v[i].count; k++) {
			struct sv_inst *in = &dep->v[i].inst[k];

			if (in->pid > 0)
				continue;	/* adopted */
			if ((rc = inst_spawn(in)) != 0) {
				inst_start_failed(in, rc);
				if (dep->state != SV_D_STARTING)
					continue;
				return;
			}
		}
	}
}

static void
dep_retire(struct sv_endpoint *ep, struct sv_deploy *dep, int drain)
{
	size_t i;
	long k;

	if (dep == NULL)
		return;
	dep->state = SV_D_RETIRING;
	dep->next = ep->retiring;
	ep->retiring = dep;
	for (i = 0; i < dep->n_v; i++)
		for (k = 0; k < dep->v[i].count; k++)
			inst_stop(&dep->v[i].inst[k], drain);
	dep_maybe_free(dep);
}

static void
dep_fail(struct sv_deploy *dep, const char *reason)
{
	struct sv_endpoint *ep = dep->ep;
	struct buf msg = { 0 };

	if (dep != ep->pending)
		return;
	ep->pending = NULL;
	if (ep->cur == NULL) {
		ep_set_status(ep, "Failed", reason);
	} else {
		buf_printf(&msg, "UpdateEndpoint to endpoint configuration %s "
		    "failed and was rolled back; the endpoint still serves %s. "
		    "%s", ep->row.pending_config_name ?
		    ep->row.pending_config_name : "?", ep->row.config_name,
		    reason);
		set_str(&ep->row.pending_config_name, NULL);
		set_str(&ep->row.pending_deployment, NULL);
		ep->row.pending_generation = 0;
		ep->row.pending_start = 0;
		ep_set_status(ep, "InService", msg.data);
		buf_free(&msg);
	}
	ep_save(ep);
	dep_retire(ep, dep, 0);
}

static void
dep_maybe_free(struct sv_deploy *dep)
{
	struct sv_endpoint *ep = dep->ep;
	struct sv_deploy **pp;
	char dir[PATH_MAX];
	size_t i;
	long k;

	if (dep->state != SV_D_RETIRING || dep->freed_insts < dep->n_insts)
		return;
	for (pp = &ep->retiring; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == dep) {
			*pp = dep->next;
			break;
		}
	}
	for (i = 0; i < dep->n_v; i++) {
		for (k = 0; k < dep->v[i].count; k++) {
			struct sv_inst *in = &dep->v[i].inst[k];

			/* A killed server leaves its socket file behind. */
			if (in->sock[0] != '\0')
				unlink(in->sock);
			if (dep->v[i].builtin)
				continue;
			inst_model_dir(in, dir, sizeof(dir));
			td_rm_rf(dir);
		}
	}
	dep_free(dep);
	ep_maybe_free(ep);
}

/* ---- endpoints --------------------------------------------------------------- */

static struct sv_endpoint *
ep_new(struct serving *s, struct store_ep *row)
{
	struct sv_endpoint *ep = calloc(1, sizeof(*ep));
	struct buf dir = { 0 };
	int rc;

	if (ep == NULL)
		fatalx("serving: out of memory");
	ep->s = s;
	ep->row = *row;
	memset(row, 0, sizeof(*row));
	buf_printf(&dir, "%s/endpoints/%s", s->d->cfg.state_dir, ep->row.name);
	ep->dir = buf_steal(&dir);
	if ((rc = td_mkdir_p(ep->dir, 0700)) != 0)
		log_warnx("serving: cannot create %s: %s", ep->dir,
		    td_strerror(rc));
	ep->next = s->eps;
	s->eps = ep;
	return ep;
}

static void
ep_free(struct sv_endpoint *ep)
{
	store_ep_clear(&ep->row);
	free(ep->dir);
	free(ep);
}

static void
ep_maybe_free(struct sv_endpoint *ep)
{
	struct serving *s = ep->s;
	struct sv_endpoint **pp;
	int rc;

	if (!ep->deleting || ep->cur != NULL || ep->pending != NULL ||
	    ep->retiring != NULL)
		return;
	if ((rc = store_ep_delete(s->d->store, ep->row.id)) != 0 &&
	    rc != TD_ENOTFOUND)
		log_warnx("serving: cannot delete endpoint %s: %s",
		    ep->row.name, td_strerror(rc));
	log_info("endpoint %s: deleted; every model server has exited",
	    ep->row.name);
	for (pp = &s->eps; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == ep) {
			*pp = ep->next;
			break;
		}
	}
	ep_free(ep);
}

struct sv_endpoint *
sv_endpoint_find(struct serving *s, const char *name, int any_case)
{
	struct sv_endpoint *ep;

	for (ep = s->eps; ep != NULL; ep = ep->next) {
		if (any_case ? strcasecmp(ep->row.name, name) == 0 :
		    strcmp(ep->row.name, name) == 0)
			return ep;
	}
	return NULL;
}

/* ---- public: control plane ----------------------------------------------------- */

int
serving_create_endpoint(struct serving *s, const char *name,
    const char *request, const char *config_name, const char *deployment)
{
	struct store_ep row = { 0 };
	struct sv_endpoint *ep;
	double now = td_now();
	int64_t id;
	int rc;

	row.name = (char *)name;
	row.request = (char *)request;
	row.status = "Creating";
	row.config_name = (char *)config_name;
	row.deployment = (char *)deployment;
	row.generation = 1;
	row.last_generation = 1;
	row.creation_time = row.last_modified = now;
	if ((rc = store_ep_insert(s->d->store, &row, &id)) != 0)
		return rc;
	memset(&row, 0, sizeof(row));
	if ((rc = store_ep_get(s->d->store, name, &row)) != 0)
		return rc;
	ep = ep_new(s, &row);
	if ((ep->pending = dep_new(ep, deployment, 1, config_name,
	    SV_D_STARTING)) == NULL) {
		ep_set_status(ep, "Failed", "InternalFailure: unreadable "
		    "deployment");
		ep_save(ep);
		return 0;
	}
	log_info("endpoint %s: Creating (endpoint configuration %s)", name,
	    config_name);
	dep_start(ep->pending);
	return 0;
}

int
serving_update_endpoint(struct serving *s, const char *name,
    const char *config_name, const char *deployment, struct apierr *e)
{
	struct sv_endpoint *ep = sv_endpoint_find(s, name, 1);
	struct sv_deploy *dep;
	long gen;
	char *arn;

	if (ep == NULL || ep->deleting) {
		arn = api_arn("endpoint", name);
		apierr_set(e, APIERR_VALIDATION, "Could not find endpoint "
		    "\"%s\".", arn);
		free(arn);
		return TD_ENOTFOUND;
	}
	if (strcmp(ep->row.status, "Failed") == 0) {
		arn = api_arn("endpoint", ep->row.name);
		apierr_set(e, APIERR_VALIDATION, "Cannot update failed "
		    "endpoint \"%s\": delete it and create it again", arn);
		free(arn);
		return TD_ESTATE;
	}
	if (ep->cur == NULL || ep->pending != NULL ||
	    strcmp(ep->row.status, "InService") != 0) {
		arn = api_arn("endpoint", ep->row.name);
		apierr_set(e, APIERR_VALIDATION, "Cannot update in-progress "
		    "endpoint \"%s\": it is %s; update it once it is InService",
		    arn, ep->row.status);
		free(arn);
		return TD_ESTATE;
	}
	gen = ep->row.last_generation + 1;
	if ((dep = dep_new(ep, deployment, gen, config_name,
	    SV_D_STARTING)) == NULL) {
		apierr_set(e, APIERR_INTERNAL, "cannot read the deployment");
		e->status = 500;
		return TD_EINVAL;
	}
	ep->row.last_generation = gen;
	ep->row.pending_generation = gen;
	set_str(&ep->row.pending_config_name, config_name);
	set_str(&ep->row.pending_deployment, deployment);
	ep->row.pending_start = td_now();
	ep_set_status(ep, "Updating", NULL);
	ep_save(ep);
	ep->pending = dep;
	dep_start(dep);
	return 0;
}

int
serving_delete_endpoint(struct serving *s, const char *name,
    struct apierr *e)
{
	struct sv_endpoint *ep = sv_endpoint_find(s, name, 1);
	struct sv_deploy *cur, *pending;
	char *arn;

	if (ep == NULL) {
		arn = api_arn("endpoint", name);
		apierr_set(e, APIERR_VALIDATION, "Could not find endpoint "
		    "\"%s\".", arn);
		free(arn);
		return TD_ENOTFOUND;
	}
	if (ep->deleting)
		return 0;
	ep->deleting = 1;
	ep_set_status(ep, "Deleting", NULL);
	ep_save(ep);
	cur = ep->cur;
	pending = ep->pending;
	ep->cur = ep->pending = NULL;
	dep_retire(ep, cur, 0);
	dep_retire(ep, pending, 0);
	ep_maybe_free(ep);
	return 0;
}

static cJSON *
variant_json(const struct sv_variant *v, int pending)
{
	cJSON *o = cJSON_CreateObject(), *imgs, *img, *st;
	long k, ready = 0;

	for (k = 0; k < v->count; k++)
		if (v->inst[k].state == SV_I_READY)
			ready++;
	cJSON_AddStringToObject(o, "VariantName", v->name);
	imgs = cJSON_AddArrayToObject(o, "DeployedImages");
	img = cJSON_CreateObject();
	cJSON_AddStringToObject(img, "SpecifiedImage", v->image);
	cJSON_AddStringToObject(img, "ResolvedImage", v->image);
	cJSON_AddNumberToObject(img, "ResolutionTime", v->dep->start_time);
	cJSON_AddItemToArray(imgs, img);
	cJSON_AddNumberToObject(o, "CurrentWeight", pending ? 0 : v->weight);
	cJSON_AddNumberToObject(o, "DesiredWeight", v->weight);
	cJSON_AddNumberToObject(o, "CurrentInstanceCount", (double)ready);
	cJSON_AddNumberToObject(o, "DesiredInstanceCount", (double)v->count);
	if (pending && v->instance_type != NULL)
		cJSON_AddStringToObject(o, "InstanceType", v->instance_type);
	if (ready < v->count && v->dep->state != SV_D_RETIRING) {
		st = cJSON_AddArrayToObject(o, "VariantStatus");
		img = cJSON_CreateObject();
		cJSON_AddStringToObject(img, "Status", pending || ready == 0 ?
		    "Creating" : "Updating");
		cJSON_AddStringToObject(img, "StatusMessage", ready == 0 ?
		    "Starting the model servers" :
		    "Restarting a model server");
		cJSON_AddNumberToObject(img, "StartTime", v->dep->start_time);
		cJSON_AddItemToArray(st, img);
	}
	return o;
}

static const char *
istate_name(enum sv_istate st)
{
	switch (st) {
	case SV_I_STARTING: return "Starting";
	case SV_I_READY: return "InService";
	case SV_I_BACKOFF: return "Restarting";
	case SV_I_STOPPING: return "Stopping";
	case SV_I_GONE: return "Stopped";
	}
	return "?";
}

static void
instances_json(cJSON *arr, const struct sv_deploy *dep, const char *role)
{
	char log[PATH_MAX];
	size_t i;
	long k;

	if (dep == NULL)
		return;
	for (i = 0; i < dep->n_v; i++) {
		for (k = 0; k < dep->v[i].count; k++) {
			const struct sv_inst *in = &dep->v[i].inst[k];
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "VariantName", dep->v[i].name);
			cJSON_AddNumberToObject(o, "Instance", (double)in->idx);
			cJSON_AddStringToObject(o, "Deployment", role);
			cJSON_AddStringToObject(o, "EndpointConfigName",
			    dep->config_name);
			cJSON_AddStringToObject(o, "Status",
			    istate_name(in->state));
			if (in->pid > 0)
				cJSON_AddNumberToObject(o, "Pid", (double)in->pid);
			if (in->port > 0 && in->pid > 0)
				cJSON_AddNumberToObject(o, "Port", in->port);
			if (in->sock[0] != '\0' && in->pid > 0)
				cJSON_AddStringToObject(o, "Socket", in->sock);
			cJSON_AddNumberToObject(o, "Restarts",
			    (double)in->total_restarts);
			if (in->last_exit[0] != '\0')
				cJSON_AddStringToObject(o, "LastExit",
				    in->last_exit);
			sv_inst_log_path(in, log, sizeof(log));
			cJSON_AddStringToObject(o, "LogFile", log);
			cJSON_AddItemToArray(arr, o);
		}
	}
}

/* Variants of a stored deployment, with no live instance. */
static void
stored_variants(cJSON *arr, const char *deployment)
{
	cJSON *root = cJSON_Parse(deployment), *vs, *j;

	vs = cJSON_GetObjectItem(root, "Variants");
	cJSON_ArrayForEach(j, vs) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "VariantName", jstr(j, "VariantName") ?
		    jstr(j, "VariantName") : "");
		cJSON_AddNumberToObject(o, "CurrentWeight", jnum(j, "Weight", 1));
		cJSON_AddNumberToObject(o, "DesiredWeight", jnum(j, "Weight", 1));
		cJSON_AddNumberToObject(o, "CurrentInstanceCount", 0);
		cJSON_AddNumberToObject(o, "DesiredInstanceCount",
		    jnum(j, "InstanceCount", 1));
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_Delete(root);
}

cJSON *
serving_describe_endpoint(struct serving *s, const char *name)
{
	struct sv_endpoint *ep = sv_endpoint_find(s, name, 1);
	const struct sv_deploy *shown, *r;
	cJSON *out, *pv, *pds, *inst;
	char *arn;
	size_t i;

	if (ep == NULL)
		return NULL;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "EndpointName", ep->row.name);
	arn = api_arn("endpoint", ep->row.name);
	cJSON_AddStringToObject(out, "EndpointArn", arn);
	free(arn);
	cJSON_AddStringToObject(out, "EndpointConfigName", ep->row.config_name);
	pv = cJSON_AddArrayToObject(out, "ProductionVariants");
	/* While Creating, the variants being started are the endpoint's. */
	shown = ep->cur != NULL ? ep->cur : ep->pending;
	if (shown != NULL) {
		for (i = 0; i < shown->n_v; i++)
			cJSON_AddItemToArray(pv, variant_json(&shown->v[i],
			    shown == ep->pending));
	} else {
		stored_variants(pv, ep->row.deployment);
	}
	cJSON_AddStringToObject(out, "EndpointStatus", ep->row.status);
	if (ep->row.failure_reason != NULL)
		cJSON_AddStringToObject(out, "FailureReason",
		    ep->row.failure_reason);
	cJSON_AddNumberToObject(out, "CreationTime", ep->row.creation_time);
	cJSON_AddNumberToObject(out, "LastModifiedTime", ep->row.last_modified);
	if (ep->cur != NULL && ep->pending != NULL) {
		pds = cJSON_AddObjectToObject(out, "PendingDeploymentSummary");
		cJSON_AddStringToObject(pds, "EndpointConfigName",
		    ep->pending->config_name);
		pv = cJSON_AddArrayToObject(pds, "ProductionVariants");
		for (i = 0; i < ep->pending->n_v; i++)
			cJSON_AddItemToArray(pv, variant_json(&ep->pending->v[i],
			    1));
		cJSON_AddNumberToObject(pds, "StartTime",
		    ep->pending->start_time);
	}
	/* tunerd's own member: where each server runs and logs. */
	inst = cJSON_AddArrayToObject(out, "TunerdInstances");
	instances_json(inst, ep->cur, "Serving");
	instances_json(inst, ep->pending, "Pending");
	for (r = ep->retiring; r != NULL; r = r->next)
		instances_json(inst, r, "Retiring");
	return out;
}

/* ---- models and deployments ------------------------------------------------ */

int
serving_model_check(const struct td_model_spec *m, char **path,
    struct apierr *e)
{
	const char *url = m->model_data_url, *algo = NULL, *p = NULL;
	int builtin = is_builtin_image(m->image, &algo);
	struct stat st;
	size_t i;

	*path = NULL;
	if (m->image == NULL)
		return apierr_set(e, APIERR_VALIDATION, "PrimaryContainer.Image "
		    "is required locally: builtin:<algorithm> for a built-in "
		    "model, or the runtime of a Script Mode model (e.g. "
		    "python3) with SAGEMAKER_PROGRAM in its Environment");
	if (builtin < 0) {
		struct buf list = { 0 };

		for (i = 0; sv_builtins[i] != NULL; i++)
			buf_printf(&list, "%sbuiltin:%s", i ? ", " : "",
			    sv_builtins[i]);
		apierr_set(e, APIERR_VALIDATION, "PrimaryContainer.Image %s: "
		    "unknown built-in algorithm; tunerd serves %s", m->image,
		    list.data);
		buf_free(&list);
		return TD_EINVAL;
	}
	if (m->mode != NULL && strcmp(m->mode, "MultiModel") == 0)
		return apierr_set(e, APIERR_VALIDATION, "PrimaryContainer.Mode "
		    "MultiModel: multi-model endpoints are not supported "
		    "locally; use SingleModel");
	if (url == NULL) {
		if (builtin)
			return apierr_set(e, APIERR_VALIDATION,
			    "PrimaryContainer.ModelDataUrl is required for %s: "
			    "give the training job's ModelArtifacts."
			    "S3ModelArtifacts (file://.../model.tar.gz) or a "
			    "local path", m->image);
		return 0;
	}
	if (strncmp(url, "file://localhost/", 17) == 0)
		p = url + 16;
	else if (strncmp(url, "file://", 7) == 0)
		p = url + 7;
	else if (url[0] == '/')
		p = url;
	else if (strncmp(url, "s3://", 5) == 0 ||
	    strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
		return apierr_set(e, APIERR_VALIDATION, "ModelDataUrl %s is not "
		    "available locally: tunerd serves models from this "
		    "machine; give file:///path/to/model.tar.gz or the path",
		    url);
	if (p == NULL || p[0] != '/')
		return apierr_set(e, APIERR_VALIDATION, "ModelDataUrl %s: give "
		    "an absolute path or a file:// URI (file:///path/to/"
		    "model.tar.gz)", url);
	if (stat(p, &st) != 0)
		return apierr_set(e, APIERR_VALIDATION, "Could not find model "
		    "data at %s.", url);
	if ((*path = strdup(p)) == NULL)
		fatalx("serving: out of memory");
	return 0;
}

void
serving_deployment_add(cJSON *variants, const struct td_variant *v,
    const struct td_model_spec *m, const char *model_path,
    long startup_timeout_s)
{
	cJSON *o = cJSON_CreateObject(), *env;
	size_t i;

	cJSON_AddStringToObject(o, "VariantName", v->variant_name);
	cJSON_AddStringToObject(o, "ModelName", v->model_name);
	cJSON_AddStringToObject(o, "Image", m->image ? m->image : "");
	if (m->model_data_url != NULL)
		cJSON_AddStringToObject(o, "ModelDataUrl", m->model_data_url);
	if (model_path != NULL)
		cJSON_AddStringToObject(o, "ModelPath", model_path);
	env = cJSON_AddObjectToObject(o, "Environment");
	for (i = 0; i < m->n_environment; i++)
		cJSON_AddStringToObject(env, m->environment[i].key,
		    m->environment[i].value);
	cJSON_AddNumberToObject(o, "InstanceCount",
	    (double)v->initial_instance_count);
	if (v->instance_type != NULL)
		cJSON_AddStringToObject(o, "InstanceType", v->instance_type);
	cJSON_AddNumberToObject(o, "Weight", v->initial_weight);
	cJSON_AddNumberToObject(o, "StartupTimeout", (double)startup_timeout_s);
	cJSON_AddItemToArray(variants, o);
}

/* ---- start-up, shutdown ---------------------------------------------------------- */

int
serving_new(struct daemon *d, struct serving **out)
{
	struct serving *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return TD_ENOMEM;
	s->d = d;
	s->rng = (uint64_t)td_mono_ns() ^ ((uint64_t)getpid() << 32);
	*out = s;
	return 0;
}

static struct sv_inst *
find_inst(struct sv_deploy *dep, long gen, const char *variant, long idx)
{
	size_t i;

	if (dep == NULL || dep->gen != gen)
		return NULL;
	for (i = 0; i < dep->n_v; i++)
		if (strcmp(dep->v[i].name, variant) == 0 && idx >= 1 &&
		    idx <= dep->v[i].count)
			return &dep->v[i].inst[idx - 1];
	return NULL;
}

/* SIGKILLs a server no deployment wants and waits (briefly) for its end. */
static void
kill_orphan(const struct store_inst *r)
{
	int i;

	if (!proc_alive((pid_t)r->pid, r->start_ticks))
		return;
	log_info("serving: stopping model server pid %ld of an old "
	    "deployment", r->pid);
	kill(-(pid_t)r->pid, SIGKILL);
	kill((pid_t)r->pid, SIGKILL);
	/* Start-up only, before anything is served: at most half a second. */
	for (i = 0; i < 100 && proc_alive((pid_t)r->pid, r->start_ticks); i++)
		usleep(5000);
}

static int
adopt_row(struct store_inst *r, void *arg)
{
	struct sv_endpoint *ep = arg;
	struct sv_inst *in = NULL;

	if (!ep->deleting) {
		in = find_inst(ep->cur, r->generation, r->variant, r->idx);
		if (in == NULL)
			in = find_inst(ep->pending, r->generation, r->variant,
			    r->idx);
	}
	if (in != NULL && proc_alive((pid_t)r->pid, r->start_ticks)) {
		in->pid = (pid_t)r->pid;
		in->start_ticks = r->start_ticks;
		in->port = r->port;
		in->our_child = 0;
		in->state = SV_I_STARTING;
		in->started = td_now();
		in->deadline = now_ms(ep->s) +
		    (uint64_t)in->v->startup_timeout_s * 1000;
		log_info("endpoint %s: adopting model server %s-%ld (pid %ld, "
		    "port %d)", ep->row.name, in->v->name, in->idx,
		    (long)in->pid, in->port);
		log_note(in, "tunerd restarted: adopting server pid %ld",
		    (long)in->pid);
		uv_timer_start(&in->timer, inst_tick, 0, 0);
	} else {
		kill_orphan(r);
		store_inst_delete(ep->s->d->store, r->endpoint_id,
		    r->generation, r->variant, r->idx);
	}
	store_inst_clear(r);
	return 0;
}

static int
recover_row(struct store_ep *row, void *arg)
{
	struct serving *s = arg;
	struct sv_endpoint *ep = ep_new(s, row);
	const char *st = ep->row.status;

	if (strcmp(st, "Creating") == 0) {
		ep->pending = dep_new(ep, ep->row.deployment, ep->row.generation,
		    ep->row.config_name, SV_D_STARTING);
	} else if (strcmp(st, "InService") == 0 ||
	    strcmp(st, "Updating") == 0) {
		ep->cur = dep_new(ep, ep->row.deployment, ep->row.generation,
		    ep->row.config_name, SV_D_ACTIVE);
		if (ep->row.pending_deployment != NULL)
			ep->pending = dep_new(ep, ep->row.pending_deployment,
			    ep->row.pending_generation,
			    ep->row.pending_config_name, SV_D_STARTING);
	} else if (strcmp(st, "Deleting") == 0) {
		ep->deleting = 1;
	}
	store_inst_each(s->d->store, ep->row.id, adopt_row, ep);
	if (ep->cur != NULL)
		dep_start(ep->cur);
	if (ep->pending != NULL)
		dep_start(ep->pending);
	if (strcmp(st, "Updating") == 0 && ep->pending == NULL) {
		/* The update was asked for but never recorded: nothing to wait for. */
		ep_set_status(ep, "InService", NULL);
		ep_save(ep);
	}
	if (strcmp(st, "Creating") == 0 && ep->pending == NULL) {
		ep_set_status(ep, "Failed", "InternalFailure: the deployment "
		    "could not be read after a restart");
		ep_save(ep);
	}
	if (ep->deleting)
		ep_maybe_free(ep);
	return 0;
}

int
serving_start(struct serving *s)
{
	char dir[PATH_MAX];
	int rc;

	snprintf(dir, sizeof(dir), "%s/endpoints", s->d->cfg.state_dir);
	if ((rc = td_mkdir_p(dir, 0700)) != 0)
		log_warnx("serving: cannot create %s: %s", dir, td_strerror(rc));
	return store_ep_each(s->d->store, recover_row, s);
}

static void
close_dep(struct sv_deploy *dep)
{
	size_t i;
	long k;

	if (dep == NULL)
		return;
	for (i = 0; i < dep->n_v; i++) {
		for (k = 0; k < dep->v[i].count; k++) {
			struct sv_inst *in = &dep->v[i].inst[k];

			sv_up_abort_all(in);
			if (in->timer_open &&
			    !uv_is_closing((uv_handle_t *)&in->timer))
				uv_close((uv_handle_t *)&in->timer,
				    on_inst_timer_closed);
		}
	}
}

void
serving_close(struct serving *s)
{
	struct sv_endpoint *ep;
	struct sv_deploy *r;

	if (s == NULL || s->closing)
		return;
	/* Servers keep running; the next tunerd adopts them (see above). */
	s->closing = 1;
	for (ep = s->eps; ep != NULL; ep = ep->next) {
		close_dep(ep->cur);
		close_dep(ep->pending);
		for (r = ep->retiring; r != NULL; r = r->next)
			close_dep(r);
	}
	sv_up_shutdown(s);
}

void
serving_free(struct serving *s)
{
	struct sv_endpoint *ep;
	struct sv_deploy *r;

	if (s == NULL)
		return;
	while ((ep = s->eps) != NULL) {
		s->eps = ep->next;
		dep_free(ep->cur);
		dep_free(ep->pending);
		while ((r = ep->retiring) != NULL) {
			ep->retiring = r->next;
			dep_free(r);
		}
		ep_free(ep);
	}
	free(s);
}
