/*
 * sched.c - training jobs from queued to done (see sched.h).
 *
 * Owns: the in-memory list of launched jobs (struct sjob), their worker
 * sockets and timers, the SIGCHLD watcher and the one reaping site.
 * Never touches: SQL (store.h), HTTP (http.h), the search (tuning.c).
 *
 * Durable transitions, each its own short transaction (exactly-once
 * launches after any crash):
 *   queued -> launching   intent, before posix_spawn
 *   launching -> running  pid known
 *   running -> done       the worker's "exited" event applied
 * Events are applied in seq order and deduplicated by the stored
 * events_seq, so replaying a worker's events.jsonl any number of times is
 * harmless. A job is done only when its "exited" event is applied; a worker
 * that is gone without one was lost (retried under RetryStrategy, else
 * Failed with a reason saying so).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "daemon.h"
#include "err.h"
#include "event.h"
#include "log.h"
#include "sched.h"
#include "serving.h"
#include "store.h"
#include "util.h"

extern char **environ;

enum conn_state { CONN_IDLE, CONN_CONNECTING, CONN_OPEN, CONN_CLOSING };

struct sjob {
	struct sjob		*next;
	struct sched		*s;
	struct store_tj		 row;
	char			*dir;
	pid_t			 pid;
	int			 our_child;	/* spawned by this daemon process */
	int			 reaped;
	int			 failures;	/* connect failures in a row */
	int			 done;		/* exited applied or settled */
	int			 handles;	/* open libuv handles */
	enum conn_state		 conn;
	uv_pipe_t		 pipe;
	uv_connect_t		 creq;
	uv_timer_t		 timer;
	uv_write_t		 wreq;
	int			 dirfd;		/* held while connecting by /proc path */
	struct buf		 in;
};

struct sched {
	struct daemon		*d;
	struct sjob		*jobs;
	int			 running;
	int			 kick_pending;
	uv_idle_t		 kick;
	uv_signal_t		 sigchld;
};

static void sj_connect(struct sjob *sj);
static void sj_check(struct sjob *sj);
static void sj_release(struct sjob *sj);

static void
on_timer_check(uv_timer_t *t)
{
	sj_check(t->data);
}

static void
on_timer_connect(uv_timer_t *t)
{
	sj_connect(t->data);
}

/* ---- small helpers ------------------------------------------------- */

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v != NULL ? strdup(v) : NULL;
}

/*
 * Appends a SecondaryStatusTransition, closing the previous one.
 * SageMaker's shape: {Status, StartTime, EndTime, StatusMessage}.
 */
static void
transition_push(struct store_tj *row, const char *status, const char *msg,
    double t)
{
	cJSON *arr = cJSON_Parse(row->transitions ? row->transitions : "[]");
	cJSON *last, *tr;
	char *out;

	if (arr == NULL || !cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		arr = cJSON_CreateArray();
	}
	last = cJSON_GetArrayItem(arr, cJSON_GetArraySize(arr) - 1);
	if (last != NULL) {
		cJSON *st = cJSON_GetObjectItem(last, "Status");

		if (cJSON_IsString(st) && strcmp(st->valuestring, status) == 0) {
			cJSON_Delete(arr);
			return;
		}
		if (cJSON_GetObjectItem(last, "EndTime") == NULL)
			cJSON_AddNumberToObject(last, "EndTime", t);
	}
	tr = cJSON_CreateObject();
	cJSON_AddStringToObject(tr, "Status", status);
	cJSON_AddNumberToObject(tr, "StartTime", t);
	if (msg != NULL)
		cJSON_AddStringToObject(tr, "StatusMessage", msg);
	cJSON_AddItemToArray(arr, tr);
	if ((out = cJSON_PrintUnformatted(arr)) != NULL) {
		free(row->transitions);
		row->transitions = out;
	}
	cJSON_Delete(arr);
}

/* Closes the open transition of a terminal job (its EndTime). */
static void
transition_close(struct store_tj *row, double t)
{
	cJSON *arr = cJSON_Parse(row->transitions ? row->transitions : "[]");
	cJSON *last;
	char *out;

	if (arr == NULL)
		return;
	last = cJSON_GetArrayItem(arr, cJSON_GetArraySize(arr) - 1);
	if (last != NULL && cJSON_GetObjectItem(last, "EndTime") == NULL) {
		cJSON_AddNumberToObject(last, "EndTime", t);
		if ((out = cJSON_PrintUnformatted(arr)) != NULL) {
			free(row->transitions);
			row->transitions = out;
		}
	}
	cJSON_Delete(arr);
}

static const char *
secondary_message(const char *status)
{
	if (strcmp(status, "Starting") == 0)
		return "Starting the training job";
	if (strcmp(status, "Downloading") == 0)
		return "Preparing the input data";
	if (strcmp(status, "Training") == 0)
		return "Training in progress";
	if (strcmp(status, "Uploading") == 0)
		return "Packing the model artifact";
	if (strcmp(status, "Completed") == 0)
		return "Training job completed";
	if (strcmp(status, "Stopped") == 0)
		return "Training job stopped";
	if (strcmp(status, "MaxRuntimeExceeded") == 0)
		return "Training job stopped: MaxRuntimeInSeconds exceeded";
	if (strcmp(status, "Stopping") == 0)
		return "Stopping the training job";
	if (strcmp(status, "Failed") == 0)
		return "Training job failed";
	return NULL;
}

static long
request_max_retries(const char *request)
{
	cJSON *req = cJSON_Parse(request), *rs, *n;
	long v = 0;

	rs = cJSON_GetObjectItem(req, "RetryStrategy");
	n = cJSON_GetObjectItem(rs, "MaximumRetryAttempts");
	if (cJSON_IsNumber(n))
		v = (long)n->valuedouble;
	cJSON_Delete(req);
	return v;
}

static int
save(struct sched *s, struct store_tj *row)
{
	int rc;

	row->last_modified = td_now();
	if ((rc = store_tj_update(s->d->store, row)) != 0)
		log_warnx("sched: cannot save job %s: %s", row->name,
		    td_strerror(rc));
	return rc;
}

/*
 * Is a worker running in dir? It holds an OFD write lock on EV_LOCK for its
 * whole life; F_OFD_GETLK tests it without taking it (taking it, even for
 * a moment, could turn a starting worker away).
 */
static int
worker_alive(const char *dir)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[PATH_MAX];
	int fd, alive;

	snprintf(path, sizeof(path), "%s/%s", dir, EV_LOCK);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	alive = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return alive;
}

/*
 * Is the process that was started for this job still there? An adopted
 * worker may not have taken its lock yet (it is still starting): its pid
 * is alive and its command line names the job directory (so a reused pid
 * does not count).
 */
static int
pid_alive(const struct sjob *sj)
{
	char path[64], cmd[8192];
	ssize_t n, i;
	int fd;

	if (sj->pid <= 1 || kill(sj->pid, 0) == -1)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)sj->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	cmd[n] = '\0';
	return strstr(cmd, sj->dir) != NULL;
}

/* ---- finishing ------------------------------------------------------ */

static void
sj_unlink(struct sjob *sj)
{
	struct sjob **pp;

	for (pp = &sj->s->jobs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == sj) {
			*pp = sj->next;
			return;
		}
	}
}

/*
 * Marks the job done in memory, tells the tuning layer, and releases
 * the sjob once its handles are closed. The row must be saved already.
 */
static void
sj_finish(struct sjob *sj)
{
	struct sched *s = sj->s;

	if (sj->done)
		return;
	sj->done = 1;
	s->running--;
	log_info("job %s: %s%s%s", sj->row.name, sj->row.status,
	    sj->row.failure_reason ? ": " : "",
	    sj->row.failure_reason ? sj->row.failure_reason : "");
	if (sj->row.tuning_job_id > 0)
		tuning_on_job_done(s->d, &sj->row);
	sj_release(sj);
	sched_kick(s);
}

static void
settle(struct sjob *sj, const char *status, const char *secondary,
    const char *reason)
{
	double now = td_now();

	set_str(&sj->row.status, status);
	set_str(&sj->row.secondary, secondary);
	set_str(&sj->row.failure_reason, reason);
	transition_push(&sj->row, secondary, reason ? reason :
	    secondary_message(secondary), now);
	transition_close(&sj->row, now);
	if (sj->row.training_start > 0 && sj->row.training_end <= 0)
		sj->row.training_end = now;
	set_str(&sj->row.launch_state, "done");
	save(sj->s, &sj->row);
	sj_finish(sj);
}

/*
 * Kills the process group of the job's program, found in its "started"
 * event: a lost worker must not leave its program running.
 */
static void
kill_program_group(struct sjob *sj)
{
	char path[PATH_MAX], *data = NULL, *p, *e;
	long pid = 0;
	long long ticks = -1, now;

	snprintf(path, sizeof(path), "%s/%s", sj->dir, EV_FILE);
	if (td_read_file(path, (size_t)1 << 30, &data, NULL) != 0)
		return;
	for (p = data; (p = strstr(p, "\"type\":\"" EV_STARTED "\"")) != NULL;
	    p++) {
		char *q = strstr(p, "\"pid\":");

		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		if (q == NULL || q > e)
			continue;
		pid = strtol(q + 6, NULL, 10);
		q = strstr(p, "\"start_ticks\":");
		ticks = q != NULL && q < e ? strtoll(q + 14, NULL, 10) : -1;
	}
	free(data);
	if (pid <= 1)
		return;
	/*
	 * A live process with that pid is our program only if it started when
	 * the worker said; pids are reused, and a reused one may lead another
	 * group (this daemon's own, say). With no live process of that pid,
	 * what is left in the group is the program's: a pid is not reused
	 * while a process group of that id exists.
	 */
	now = td_proc_start_ticks((pid_t)pid);
	if (now >= 0 && now != ticks) {
		log_info("job %s: pid %ld of the lost worker's program names "
		    "another process now; its group is left alone",
		    sj->row.name, pid);
		return;
	}
	if (kill((pid_t)-pid, SIGKILL) == 0)
		log_info("job %s: killed the lost worker's program group %ld",
		    sj->row.name, pid);
}

/* The worker is gone without an "exited" event. */
static void
sj_lost(struct sjob *sj)
{
	char reason[512];
	long max = request_max_retries(sj->row.request);

	kill_program_group(sj);

	if (sj->row.stop_requested) {
		settle(sj, "Stopped", "Stopped", NULL);
		return;
	}
	if (sj->row.attempt <= max) {
		log_warnx("job %s: worker (pid %ld) lost; retrying (attempt "
		    "%ld of %ld)", sj->row.name, (long)sj->pid,
		    sj->row.attempt + 1, max + 1);
		set_str(&sj->row.launch_state, "queued");
		/* The next attempt writes a new events.jsonl from seq 1. */
		sj->row.events_seq = 0;
		set_str(&sj->row.secondary, "Restarting");
		transition_push(&sj->row, "Restarting",
		    "The worker process was lost; retrying under RetryStrategy",
		    td_now());
		save(sj->s, &sj->row);
		sj->done = 1;
		sj->s->running--;
		sj_release(sj);
		sched_kick(sj->s);
		return;
	}
	snprintf(reason, sizeof(reason), "InternalServerError: the worker "
	    "process of this job (pid %ld) ended without reporting an exit; "
	    "%s", (long)sj->pid, max > 0 ? "no retry attempts remain" :
	    "set RetryStrategy.MaximumRetryAttempts to retry such jobs");
	settle(sj, "Failed", "Failed", reason);
}

/* ---- events --------------------------------------------------------- */

static double
num(const cJSON *o, const char *k, double dflt)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
apply_exited(struct sjob *sj, const cJSON *ev, double t)
{
	struct store_tj *row = &sj->row;
	const char *status = str(ev, "status"), *sec = str(ev, "secondary");
	const char *art = str(ev, "model_artifact");
	const cJSON *fm = cJSON_GetObjectItem(ev, "final_metrics"), *m;
	cJSON *out = cJSON_CreateArray();
	struct buf uri = { 0 };
	char *json;

	if (status == NULL || (strcmp(status, "Completed") != 0 &&
	    strcmp(status, "Failed") != 0 && strcmp(status, "Stopped") != 0))
		status = "Failed";
	if (sec == NULL)
		sec = status;
	set_str(&row->status, status);
	set_str(&row->secondary, sec);
	set_str(&row->failure_reason, str(ev, "failure_reason"));
	if (strcmp(status, "Failed") == 0 && row->failure_reason == NULL)
		set_str(&row->failure_reason, "AlgorithmError: the job failed "
		    "without a reason");
	transition_push(row, sec, strcmp(status, "Failed") == 0 ?
	    row->failure_reason : secondary_message(sec), t);
	transition_close(row, t);
	if (num(ev, "training_start", 0) > 0)
		row->training_start = num(ev, "training_start", 0);
	row->training_end = num(ev, "training_end", t);
	cJSON_ArrayForEach(m, fm) {
		const char *name = str(m, "name");
		cJSON *o;

		if (name == NULL || !cJSON_IsNumber(cJSON_GetObjectItem(m,
		    "value")))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "MetricName", name);
		cJSON_AddNumberToObject(o, "Value", num(m, "value", 0));
		cJSON_AddNumberToObject(o, "Timestamp", num(m, "time", t));
		cJSON_AddItemToArray(out, o);
	}
	if ((json = cJSON_PrintUnformatted(out)) != NULL) {
		free(row->final_metrics);
		row->final_metrics = json;
	}
	cJSON_Delete(out);
	if (art != NULL) {
		buf_printf(&uri, "file://%s", art);
		free(row->model_artifact);
		row->model_artifact = buf_steal(&uri);
	}
	set_str(&row->launch_state, "done");
}

/* Applies one event line; returns 1 when it was the "exited" event. */
static int
apply_line(struct sjob *sj, const char *line, size_t len)
{
	struct store_tj *row = &sj->row;
	cJSON *ev = cJSON_ParseWithLength(line, len);
	const char *type;
	double seq, t;
	int exited = 0;

	if (ev == NULL) {
		log_warnx("job %s: unparsable event line ignored", row->name);
		return 0;
	}
	seq = num(ev, "seq", 0);
	type = str(ev, "type");
	t = num(ev, "time", td_now());
	if (seq <= (double)row->events_seq || type == NULL) {
		cJSON_Delete(ev);
		return 0;
	}
	row->events_seq = (long)seq;
	if (strcmp(type, EV_STATUS) == 0) {
		const char *st = str(ev, "status");

		if (st != NULL && strcmp(row->status, "Stopping") != 0) {
			set_str(&row->secondary, st);
			transition_push(row, st, str(ev, "message") ?
			    str(ev, "message") : secondary_message(st), t);
		}
	} else if (strcmp(type, EV_STARTED) == 0) {
		if (row->training_start <= 0)
			row->training_start = t;
	} else if (strcmp(type, EV_METRIC) == 0) {
		const char *name = str(ev, "name");

		if (name != NULL)
			store_metric_add(sj->s->d->store, row->id, name, t,
			    num(ev, "value", 0));
	} else if (strcmp(type, EV_EXITED) == 0) {
		apply_exited(sj, ev, t);
		exited = 1;
	}
	cJSON_Delete(ev);
	return exited;
}

/*
 * Applies every complete line in data (one transaction for the batch).
 * Returns the number of bytes consumed; sets *exited.
 */
static size_t
apply_lines(struct sjob *sj, const char *data, size_t len, int *exited)
{
	struct store *st = sj->s->d->store;
	size_t off = 0;
	long before = sj->row.events_seq;
	const char *nl;

	*exited = 0;
	if (store_begin(st) != 0)
		return 0;
	while (off < len && (nl = memchr(data + off, '\n', len - off)) != NULL) {
		size_t n = (size_t)(nl - (data + off));

		if (apply_line(sj, data + off, n))
			*exited = 1;
		off += n + 1;
	}
	if (sj->row.events_seq != before)
		save(sj->s, &sj->row);
	if (store_commit(st) != 0)
		store_rollback(st);
	return off;
}

/* Reads events.jsonl and applies what was missed; 1 if the job is now done. */
static int
sj_replay_file(struct sjob *sj)
{
	char path[PATH_MAX], *data = NULL;
	size_t len = 0;
	int exited = 0;

	snprintf(path, sizeof(path), "%s/%s", sj->dir, EV_FILE);
	if (td_read_file(path, (size_t)1 << 30, &data, &len) != 0)
		return 0;
	apply_lines(sj, data, len, &exited);
	free(data);
	if (exited)
		sj_finish(sj);
	return exited;
}

/* ---- the worker socket ---------------------------------------------- */

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct sjob *sj = h->data;

	buf_reserve(&sj->in, 64 * 1024);
	b->base = sj->in.data + sj->in.len;
	b->len = sj->in.cap - sj->in.len - 1;
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct sjob *sj = h->data;

	if (--sj->handles == 0 && sj->done) {
		buf_free(&sj->in);
		store_tj_clear(&sj->row);
		free(sj->dir);
		free(sj);
	}
}

static void
on_pipe_closed(uv_handle_t *h)
{
	struct sjob *sj = h->data;

	sj->conn = CONN_IDLE;
	on_handle_closed(h);
	/* on_handle_closed() frees a done job: only a live one goes on. */
}

static void
sj_close_pipe(struct sjob *sj)
{
	if (sj->conn == CONN_IDLE || sj->conn == CONN_CLOSING)
		return;
	sj->conn = CONN_CLOSING;
	uv_close((uv_handle_t *)&sj->pipe, on_pipe_closed);
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
	struct sjob *sj = stream->data;
	size_t used;
	int exited;

	if (nread > 0) {
		sj->in.len += (size_t)nread;
		sj->in.data[sj->in.len] = '\0';
		used = apply_lines(sj, sj->in.data, sj->in.len, &exited);
		buf_consume(&sj->in, used);
		if (exited) {
			sj_close_pipe(sj);
			sj_finish(sj);
		}
		return;
	}
	if (nread == 0)
		return;
	/* EOF or error: the worker closed its end (it exits after "exited"). */
	buf_reset(&sj->in);
	sj_close_pipe(sj);
	if (!sj->done)
		uv_timer_start(&sj->timer, on_timer_check, 0, 0);
}

static void
on_stop_written(uv_write_t *req, int status)
{
	if (status < 0)
		log_debug("sched: stop request not delivered: %s",
		    uv_strerror(status));
}

static void
sj_send_stop(struct sjob *sj)
{
	static char msg[] = "stop\n";
	uv_buf_t b = uv_buf_init(msg, sizeof(msg) - 1);

	if (sj->conn != CONN_OPEN)
		return;
	uv_write(&sj->wreq, (uv_stream_t *)&sj->pipe, &b, 1, on_stop_written);
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct sjob *sj = req->data;

	if (sj->dirfd >= 0) {
		close(sj->dirfd);
		sj->dirfd = -1;
	}
	if (status < 0) {
		sj->failures++;
		sj_close_pipe(sj);
		if (!sj->done)
			uv_timer_start(&sj->timer, on_timer_check, 0, 0);
		return;
	}
	sj->failures = 0;
	sj->conn = CONN_OPEN;
	uv_read_start((uv_stream_t *)&sj->pipe, on_alloc, on_read);
	if (sj->row.stop_requested)
		sj_send_stop(sj);
}

/*
 * The socket's path; one too long for sun_path (108 bytes) is reached
 * through /proc/self/fd/<dirfd>/ instead, with the job directory held open
 * until the connect completes.
 */
static void
socket_path(struct sjob *sj, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", sj->dir, EV_SOCKET);
	if (strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path))
		return;
	if ((sj->dirfd = open(sj->dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0)
		snprintf(path, len, "/proc/self/fd/%d/%s", sj->dirfd, EV_SOCKET);
}

static void
sj_connect(struct sjob *sj)
{
	char path[PATH_MAX];

	if (sj->done || sj->conn != CONN_IDLE)
		return;
	socket_path(sj, path, sizeof(path));
	uv_pipe_init(sj->s->d->loop, &sj->pipe, 0);
	sj->pipe.data = sj;
	sj->handles++;
	sj->conn = CONN_CONNECTING;
	sj->creq.data = sj;
	uv_pipe_connect(&sj->creq, &sj->pipe, path, on_connect);
}

/* Reads the worker's events from fd, our end of the socketpair. */
static void
sj_attach(struct sjob *sj, int fd)
{
	int rc;

	uv_pipe_init(sj->s->d->loop, &sj->pipe, 0);
	sj->pipe.data = sj;
	sj->handles++;
	if ((rc = uv_pipe_open(&sj->pipe, fd)) != 0) {
		/* Not ours then: close the handle, catch up by connecting. */
		log_warnx("job %s: %s", sj->row.name, uv_strerror(rc));
		close(fd);
		sj->conn = CONN_CONNECTING;
		sj->failures = 1;
		sj_close_pipe(sj);
		uv_timer_start(&sj->timer, on_timer_check, 0, 0);
		return;
	}
	sj->conn = CONN_OPEN;
	uv_read_start((uv_stream_t *)&sj->pipe, on_alloc, on_read);
	if (sj->row.stop_requested)
		sj_send_stop(sj);
}

/*
 * Runs when not connected: catch up from the file, then decide whether the
 * worker is starting (retry soon), alive (reconnect) or gone (lost).
 */
static void
sj_check(struct sjob *sj)
{
	unsigned int delay;

	if (sj->done || sj->conn != CONN_IDLE) {
		/* A pipe close is in flight; come back when it is done. */
		if (!sj->done)
			uv_timer_start(&sj->timer, on_timer_check, 1, 0);
		return;
	}
	if (sj_replay_file(sj))
		return;
	/*
	 * Our own child is gone once reaped. A worker adopted after a restart
	 * is gone when its lock is free: until then it may just not have
	 * bound its socket yet.
	 */
	if (sj->our_child ? sj->reaped : (sj->failures >= 3 &&
	    !worker_alive(sj->dir) && !pid_alive(sj))) {
		sj_lost(sj);
		return;
	}
	if (sj->failures == 0) {
		sj_connect(sj);
		return;
	}
	delay = sj->failures < 5 ? 2u << sj->failures : 100;
	uv_timer_start(&sj->timer, on_timer_connect, delay, 0);
}

/* ---- launching ------------------------------------------------------ */

static struct sjob *
sj_new(struct sched *s, struct store_tj *row)
{
	struct sjob *sj = calloc(1, sizeof(*sj));
	size_t n;

	if (sj == NULL)
		fatalx("sched: out of memory");
	sj->s = s;
	sj->row = *row;
	memset(row, 0, sizeof(*row));
	n = strlen(s->d->jobs_dir) + strlen(sj->row.name) + 2;
	if ((sj->dir = malloc(n)) == NULL)
		fatalx("sched: out of memory");
	snprintf(sj->dir, n, "%s/%s", s->d->jobs_dir, sj->row.name);
	sj->pid = (pid_t)sj->row.worker_pid;
	sj->dirfd = -1;
	uv_timer_init(s->d->loop, &sj->timer);
	sj->timer.data = sj;
	sj->handles = 1;
	sj->next = s->jobs;
	s->jobs = sj;
	s->running++;
	return sj;
}

static void
sj_release(struct sjob *sj)
{
	sj_unlink(sj);
	sj_close_pipe(sj);
	uv_timer_stop(&sj->timer);
	uv_close((uv_handle_t *)&sj->timer, on_handle_closed);
}

/*
 * Starts the worker with evfd, one end of a socketpair, as its fd 3: it
 * streams its events there from its first, so a new job needs no connect
 * to worker.sock (which the worker binds some milliseconds after it
 * starts: connecting then meant retrying on a timer). worker.sock stays
 * for re-attaching after a restart of ours.
 */
static int
spawn_worker(struct sjob *sj, int evfd, pid_t *pid)
{
	struct daemon *d = sj->s->d;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char grace[16], limit[32], log[PATH_MAX];
	char *argv[] = { d->cfg.worker_path, "train", "--job-dir", sj->dir,
	    "--grace", grace, "--log-limit", limit, "--events-fd", "3", NULL };
	int rc;

	snprintf(grace, sizeof(grace), "%d", d->cfg.grace_s);
	snprintf(limit, sizeof(limit), "%ld", d->cfg.log_limit);
	snprintf(log, sizeof(log), "%s/worker.log", sj->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log,
	    O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	/* dup2 clears close-on-exec on fd 3 (evfd is never 3: 0-2 are open). */
	posix_spawn_file_actions_adddup2(&fa, evfd, 3);
	/* Nothing else of the daemon's (or what it inherited) reaches it. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 4);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&dflt);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(pid, d->cfg.worker_path, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return -rc;
}

/*
 * Writes the worker's request.json: no temporary file, no fsync. Nothing
 * reads it after a crash: a job found "launching" without events is laid
 * out anew by prepare_dir(), and any other unfinished job is re-attached
 * through its events or settled, never started from this file again. The
 * two fsyncs (file and directory) cost 0.1-4 ms each here, on the loop
 * thread, for every launch.
 */
static int
write_request(const char *path, const char *data, size_t len)
{
	ssize_t w;
	int fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -errno;
	while (len > 0) {
		if ((w = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	return rc;
}

static int
prepare_dir(struct sjob *sj)
{
	char path[PATH_MAX];
	int rc;

	/* A previous attempt's directory goes (never under a live worker);
	 * names are validated, so the path is a direct child of jobs/. */
	if (worker_alive(sj->dir))
		return TD_ESTATE;
	if ((rc = td_rm_rf(sj->dir)) != 0)
		return rc;
	/* jobs/ exists (made at start): one mkdir, not one per component. */
	if (mkdir(sj->dir, 0700) == -1) {
		if (errno != ENOENT)
			return -errno;
		if ((rc = td_mkdir_p(sj->dir, 0700)) != 0)
			return rc;
	}
	snprintf(path, sizeof(path), "%s/%s", sj->dir, EV_REQUEST);
	return write_request(path, sj->row.request, strlen(sj->row.request));
}

static void
sj_launch(struct sched *s, struct store_tj *row)
{
	struct sjob *sj = sj_new(s, row);
	char reason[512];
	pid_t pid;
	int rc, sv[2];

	if (worker_alive(sj->dir)) {
		/*
		 * A worker started before a crash of ours took the directory
		 * after recover() looked: adopt it rather than start another.
		 */
		log_info("job %s: a worker is already running it; adopting it",
		    sj->row.name);
		set_str(&sj->row.launch_state, "running");
		save(s, &sj->row);
		sj_connect(sj);
		return;
	}
	sj->row.attempt++;
	set_str(&sj->row.launch_state, "launching");
	set_str(&sj->row.secondary, "Starting");
	transition_push(&sj->row, "Starting", secondary_message("Starting"),
	    td_now());
	if (save(s, &sj->row) != 0) {
		sj->done = 1;
		s->running--;
		sj_release(sj);
		return;
	}
	sv[0] = sv[1] = -1;
	if ((rc = prepare_dir(sj)) != 0 ||
	    (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 &&
	    (rc = -errno) != 0) || (rc = spawn_worker(sj, sv[1], &pid)) != 0) {
		if (sv[0] != -1) {
			close(sv[0]);
			close(sv[1]);
		}
		snprintf(reason, sizeof(reason), "InternalServerError: cannot "
		    "start %s for this job in %s: %s", s->d->cfg.worker_path,
		    sj->dir, td_strerror(rc));
		settle(sj, "Failed", "Failed", reason);
		return;
	}
	close(sv[1]);
	sj->pid = pid;
	sj->our_child = 1;
	sj->row.worker_pid = pid;
	set_str(&sj->row.launch_state, "running");
	save(s, &sj->row);
	log_debug("job %s: worker pid %ld", sj->row.name, (long)pid);
	sj_attach(sj, sv[0]);
}

struct collect {
	struct store_tj	*rows;
	size_t		 n, cap;
};

static int
collect_row(struct store_tj *tj, void *arg)
{
	struct collect *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct store_tj *p = realloc(c->rows, cap * sizeof(*p));

		if (p == NULL)
			fatalx("sched: out of memory");
		c->rows = p;
		c->cap = cap;
	}
	c->rows[c->n++] = *tj;
	return 0;
}

static void
on_kick(uv_idle_t *h)
{
	struct sched *s = h->data;
	struct collect c = { 0 };
	size_t i;
	int free_slots;

	uv_idle_stop(h);
	s->kick_pending = 0;
	if (s->d->shutting_down)
		return;
	free_slots = s->d->cfg.slots - s->running;
	if (free_slots <= 0)
		return;
	store_tj_queued(s->d->store, free_slots, collect_row, &c);
	for (i = 0; i < c.n; i++)
		sj_launch(s, &c.rows[i]);
	free(c.rows);
}

void
sched_kick(struct sched *s)
{
	if (s->kick_pending)
		return;
	s->kick_pending = 1;
	uv_idle_start(&s->kick, on_kick);
}

/* ---- reaping -------------------------------------------------------- */

static void
on_sigchld(uv_signal_t *h, int signum)
{
	struct sched *s = h->data;
	struct sjob *sj;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (sj = s->jobs; sj != NULL; sj = sj->next) {
			if (sj->pid != pid || !sj->our_child)
				continue;
			sj->reaped = 1;
			if (WIFSIGNALED(status))
				log_warnx("job %s: worker killed by signal %d",
				    sj->row.name, WTERMSIG(status));
			if (sj->conn == CONN_IDLE)
				uv_timer_start(&sj->timer,
				    on_timer_check, 0, 0);
			break;
		}
		if (sj == NULL)
			serving_child_exited(s->d->serving, pid, status);
	}
}

/* ---- public --------------------------------------------------------- */

int
sched_new(struct daemon *d, struct sched **out)
{
	struct sched *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return TD_ENOMEM;
	s->d = d;
	uv_idle_init(d->loop, &s->kick);
	s->kick.data = s;
	uv_signal_init(d->loop, &s->sigchld);
	s->sigchld.data = s;
	uv_signal_start(&s->sigchld, on_sigchld, SIGCHLD);
	*out = s;
	return 0;
}

/* A job found unfinished at start: adopt its worker or settle it. */
static void
recover(struct sched *s, struct store_tj *row)
{
	struct sjob *sj;
	char path[PATH_MAX];

	if (strcmp(row->launch_state, "queued") == 0) {
		store_tj_clear(row);
		return;
	}
	sj = sj_new(s, row);
	snprintf(path, sizeof(path), "%s/%s", sj->dir, EV_FILE);
	if (strcmp(sj->row.launch_state, "launching") == 0 &&
	    access(path, F_OK) != 0 && !worker_alive(sj->dir)) {
		/* The intent was saved but no worker ever wrote an event. */
		log_info("job %s: launch interrupted; launching again",
		    sj->row.name);
		set_str(&sj->row.launch_state, "queued");
		sj->row.events_seq = 0;
		sj->row.attempt--;
		save(s, &sj->row);
		sj->done = 1;
		s->running--;
		sj_release(sj);
		return;
	}
	log_info("job %s: re-attaching to its worker", sj->row.name);
	sj->failures = 0;
	sj_connect(sj);
}

int
sched_start(struct sched *s)
{
	struct collect c = { 0 };
	size_t i;
	int rc;

	if ((rc = store_tj_unfinished(s->d->store, collect_row, &c)) != 0)
		return rc;
	for (i = 0; i < c.n; i++)
		recover(s, &c.rows[i]);
	free(c.rows);
	sched_kick(s);
	return 0;
}

int
sched_running(const struct sched *s)
{
	return s->running;
}

static struct sjob *
find_running(struct sched *s, const char *name)
{
	struct sjob *sj;

	for (sj = s->jobs; sj != NULL; sj = sj->next)
		if (!sj->done && strcmp(sj->row.name, name) == 0)
			return sj;
	return NULL;
}

int
sched_stop_job(struct sched *s, const char *name, struct apierr *e)
{
	struct store_tj row = { 0 };
	struct sjob *sj;
	double now = td_now();
	int rc;

	if ((sj = find_running(s, name)) != NULL) {
		if (strcmp(sj->row.status, "InProgress") != 0)
			return 0;
		set_str(&sj->row.status, "Stopping");
		set_str(&sj->row.secondary, "Stopping");
		transition_push(&sj->row, "Stopping",
		    secondary_message("Stopping"), now);
		sj->row.stop_requested = 1;
		save(s, &sj->row);
		sj_send_stop(sj);
		return 0;
	}
	if ((rc = store_tj_get(s->d->store, name, &row)) != 0) {
		if (rc == TD_ENOTFOUND)
			apierr_set(e, APIERR_NOT_FOUND, "Requested resource not "
			    "found: training job '%s' does not exist", name);
		else
			apierr_set(e, APIERR_INTERNAL, "store: %s",
			    td_strerror(rc));
		return rc;
	}
	if (strcmp(row.launch_state, "queued") != 0) {
		/* Terminal already: SageMaker answers a ValidationException. */
		apierr_set(e, APIERR_VALIDATION, "The training job '%s' has "
		    "status %s and cannot be stopped", name, row.status);
		store_tj_clear(&row);
		return TD_ESTATE;
	}
	/* Queued, never launched: it stops right here. */
	sj = sj_new(s, &row);
	sj->row.stop_requested = 1;
	settle(sj, "Stopped", "Stopped", NULL);
	return 0;
}

void
sched_close(struct sched *s)
{
	struct sjob *sj;

	if (s == NULL)
		return;
	while ((sj = s->jobs) != NULL) {
		/* Workers keep running; a restarted daemon re-attaches. */
		sj->done = 1;
		sj_release(sj);
	}
	uv_close((uv_handle_t *)&s->kick, NULL);
	uv_signal_stop(&s->sigchld);
	uv_close((uv_handle_t *)&s->sigchld, NULL);
	/* s itself is freed by main after the loop has drained. */
}
