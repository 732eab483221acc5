/*
 * run.c - one training job from request.json to the "exited" event (see
 * worker.h).
 *
 * Owns the job's lifecycle: the signal pipe, the program's process (group),
 * its two output pipes, the deadlines (MaxRuntimeInSeconds, the SIGKILL
 * grace, the final pipe drain) and the job's outcome. Delegates files to
 * stage.c, the event stream to evstream.c, the log to logcap.c, metrics to
 * scrape.c, argv and environment to launch.c and smenv.c.
 *
 * Invariants: exactly one "exited" event is written, last; the program's
 * process group is SIGKILLed before its leader is reaped (so the group id
 * cannot be reused under us); a stop we asked for ends Stopped whatever the
 * exit status; the loop never blocks on anything but poll(2).
 *
 * Signals use the self-pipe trick, not a blocked mask and signalfd: a
 * library may start threads before main() (the pthread build of OpenBLAS does,
 * in a constructor) and any thread that does not block a signal can take
 * it. A handler runs in whichever thread got it and only writes the signal
 * number to sig_pipe. Reaping is also polled at least once a second, so a
 * lost SIGCHLD can only delay, never hang, the job.
 *
 * The memory of the job's instance type (memlimit.h) becomes the program's
 * soft RLIMIT_DATA. posix_spawn cannot set a limit in the child, so the
 * worker, single-threaded at that point and far below any instance's memory,
 * lowers its own soft limit around posix_spawn and restores it at once:
 * the worker itself never runs under it. Where that cannot work (a sanitizer
 * build of the worker has reserved terabytes, so no mapping may be added
 * under the limit, posix_spawn's stack included) the program is started
 * through `tunerd-worker exec-limited`, which sets the limit and execs it.
 * Our own sanitizer-built tunerd-builtin cannot run under any such limit at
 * all: it runs without one, and the log says so.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "fmt.h"
#include "event.h"
#include "evstream.h"
#include "launch.h"
#include "log.h"
#include "logcap.h"
#include "memlimit.h"
#include "pyjson.h"
#include "scrape.h"
#include "smenv.h"
#include "stage.h"
#include "training.h"
#include "util.h"
#include "worker.h"

#define DRAIN_MS	2000	/* reading pipes after the program exited */
#define CLIENT_FLUSH_MS	2000	/* sending the last events to clients */
#define REASON_MAX	1024	/* SageMaker's FailureReason length */
#define READS_PER_WAKE	16
#define REAP_POLL_MS	1000	/* reap() even without SIGCHLD this often */

/* Sanitizer builds reserve terabytes of address space at start. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RUN_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define RUN_SANITIZED	1
#endif
#endif
#ifndef RUN_SANITIZED
#define RUN_SANITIZED	0
#endif

/* The only global: the signal handler's way into the loop. */
static int sig_pipe[2] = { -1, -1 };

enum stop_kind {
	STOP_NONE,
	STOP_REQUESTED,		/* "stop" on the socket, or SIGTERM/SIGINT */
	STOP_RUNTIME,		/* MaxRuntimeInSeconds elapsed */
};

struct metric {
	const char	*name;		/* borrowed from the spec */
	double		 value;
	double		 time;
	int		 have;
};

struct job {
	const struct worker_opts *o;
	char			 dir[PATH_MAX];
	struct evs		*evs;
	struct logcap		*log;
	struct td_training_spec	*spec;
	struct smenv_hps	 hps;
	enum stop_kind		 stop;

	pid_t			 pid;		/* the program; 0 before spawn */
	int			 fds[2];	/* its stdout, stderr; -1 once closed */
	int			 reaped;
	int			 wstatus;
	uint64_t		 runtime_deadline;	/* monotonic ns, 0 = none */
	uint64_t		 kill_deadline;
	uint64_t		 drain_deadline;
	double			 training_start;
	double			 training_end;
	uint64_t		 memlimit;	/* bytes of RLIMIT_DATA, 0 = none */
	char			 memlimit_text[96];	/* "ml.m5.large (8 GiB)" */
	long			 maxrss_kib;	/* the program's peak RSS */

	struct scrape		*scr[2];
	struct metric		*metrics;
	size_t			 n_metrics;
	size_t			 metric_events;
};

struct outcome {
	const char	*status;	/* Completed, Failed, Stopped */
	const char	*secondary;
	char		 reason[REASON_MAX + 1];	/* "" = null */
	char		*artifact;
};

static const char *
stop_name(enum stop_kind k)
{
	return k == STOP_RUNTIME ? "MaxRuntimeExceeded" : "Stopped";
}

/*
 * A path in the job directory. job_open() refused directories long enough
 * for any of our suffixes not to fit, so this cannot fail.
 */
static void
job_path(const struct job *j, const char *rel, char *out, size_t outlen)
{
	if (fmt_path(out, outlen, "%s/%s", j->dir, rel) != 0)
		abort();
}

static void
emit_status(struct job *j, const char *status, const char *message)
{
	struct buf f = { 0 };

	buf_puts(&f, ",\"status\":");
	buf_json_str(&f, status, strlen(status));
	buf_puts(&f, ",\"message\":");
	buf_json_str(&f, message, strlen(message));
	(void)evs_emit(j->evs, EV_STATUS, f.data, 0, NULL);
	buf_free(&f);
	log_info("%s: %s", status, message);
}

/* ---- stopping and reaping -------------------------------------------- */

static void
request_stop(struct job *j, enum stop_kind kind)
{
	if (j->stop != STOP_NONE)
		return;
	j->stop = kind;
	log_info("stopping (%s)", stop_name(kind));
	if (j->pid > 0 && !j->reaped) {
		if (killpg(j->pid, SIGTERM) == -1 && errno != ESRCH)
			log_warn("killpg %d SIGTERM", (int)j->pid);
		j->kill_deadline = td_mono_ns() +
		    (uint64_t)j->o->grace_s * 1000000000u;
		logcap_note(j->log, td_now(), "%s: SIGTERM sent to the program; "
		    "SIGKILL in %ld s", kind == STOP_RUNTIME ?
		    "MaxRuntimeInSeconds reached" : "stop requested",
		    j->o->grace_s);
	}
}

/*
 * Reaps every exited child. The program's group gets SIGKILL while its
 * leader is still a zombie: stragglers die and the group id stays ours.
 * As a child subreaper we also reap orphans the program left behind.
 */
static void
reap(struct job *j)
{
	struct rusage ru;
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
		    si.si_pid == 0)
			return;
		if (si.si_pid != j->pid || j->reaped) {
			(void)waitpid(si.si_pid, NULL, 0);
			continue;
		}
		(void)killpg(j->pid, SIGKILL);
		memset(&ru, 0, sizeof(ru));
		if (wait4(j->pid, &j->wstatus, 0, &ru) == j->pid) {
			j->reaped = 1;
			j->maxrss_kib = ru.ru_maxrss;
			j->training_end = td_now();
			j->kill_deadline = 0;
			j->drain_deadline = td_mono_ns() +
			    (uint64_t)DRAIN_MS * 1000000u;
		}
	}
}

static void
on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	(void)!write(sig_pipe[1], &b, 1);
	errno = saved;
}

static int
signals_install(void)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	size_t i;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return -errno;
	return 0;
}

static void
handle_signals(struct job *j)
{
	unsigned char sig[64];
	ssize_t n, i;

	while ((n = read(sig_pipe[0], sig, sizeof(sig))) > 0) {
		for (i = 0; i < n; i++) {
			switch (sig[i]) {
			case SIGCHLD:
				reap(j);
				break;
			case SIGTERM:
			case SIGINT:
				request_stop(j, STOP_REQUESTED);
				break;
			default:
				break;	/* SIGHUP: no terminal here */
			}
		}
	}
}

/*
 * After the program: its group was SIGKILLed; wait (briefly) until every
 * child, including orphans handed to us as subreaper, is reaped, so none is
 * left as a zombie for an init that may never reap it.
 */
static void
reap_rest(struct job *j)
{
	uint64_t end = td_mono_ns() + (uint64_t)DRAIN_MS * 1000000u;
	pid_t pid;

	if (j->pid > 0)
		(void)killpg(j->pid, SIGKILL);
	while ((pid = waitpid(-1, NULL, WNOHANG)) != -1) {
		if (pid > 0)
			continue;
		if (td_mono_ns() >= end) {
			log_warnx("children outside the job's process group are "
			    "still running");
			return;
		}
		usleep(10000);
	}
}

/* ---- program output --------------------------------------------------- */

static void
on_metric(const char *name, double value, void *arg)
{
	struct job *j = arg;
	struct buf f = { 0 };
	char num[40];
	size_t i;

	for (i = 0; i < j->n_metrics; i++)
		if (strcmp(j->metrics[i].name, name) == 0)
			break;
	if (i == j->n_metrics)
		return;
	j->metrics[i].value = value;
	j->metrics[i].time = td_now();
	j->metrics[i].have = 1;
	if (j->metric_events >= EV_METRIC_CAP)
		return;
	j->metric_events++;
	pyj_fmt_double(value, num, sizeof(num));
	buf_puts(&f, ",\"name\":");
	buf_json_str(&f, name, strlen(name));
	buf_printf(&f, ",\"value\":%s", num);
	(void)evs_emit(j->evs, EV_METRIC, f.data, 0, NULL);
	buf_free(&f);
}

static void
close_stream(struct job *j, int s)
{
	if (j->fds[s] == -1)
		return;
	close(j->fds[s]);
	j->fds[s] = -1;
	scrape_flush(j->scr[s], on_metric, j);
	logcap_flush(j->log, td_now());
}

static void
read_stream(struct job *j, int s)
{
	char data[65536];
	ssize_t n;
	int i;

	for (i = 0; i < READS_PER_WAKE && j->fds[s] != -1; i++) {
		n = read(j->fds[s], data, sizeof(data));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_stream(j, s);
			return;
		}
		logcap_feed(j->log, s, data, (size_t)n, td_now());
		scrape_feed(j->scr[s], data, (size_t)n, on_metric, j);
	}
}

/* ---- the loop --------------------------------------------------------- */

static int
timeout_ms(const struct job *j)
{
	uint64_t now = td_mono_ns(), next = 0;
	const uint64_t d[] = { j->runtime_deadline, j->kill_deadline,
	    j->drain_deadline };
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (d[i] != 0 && (next == 0 || d[i] < next))
			next = d[i];
	if (j->pid > 0 && !j->reaped && (next == 0 ||
	    next > now + (uint64_t)REAP_POLL_MS * 1000000u))
		next = now + (uint64_t)REAP_POLL_MS * 1000000u;
	if (next == 0)
		return -1;
	if (next <= now)
		return 0;
	return (int)((next - now) / 1000000u) + 1;
}

static void
check_deadlines(struct job *j)
{
	uint64_t now = td_mono_ns();

	if (j->runtime_deadline != 0 && now >= j->runtime_deadline) {
		j->runtime_deadline = 0;
		if (!j->reaped)
			request_stop(j, STOP_RUNTIME);
	}
	if (j->kill_deadline != 0 && now >= j->kill_deadline) {
		j->kill_deadline = 0;
		if (!j->reaped) {
			log_info("grace period over: SIGKILL to group %d",
			    (int)j->pid);
			logcap_note(j->log, td_now(), "the program did not exit "
			    "within %ld s of SIGTERM: SIGKILL sent",
			    j->o->grace_s);
			(void)killpg(j->pid, SIGKILL);
		}
	}
	if (j->drain_deadline != 0 && now >= j->drain_deadline) {
		j->drain_deadline = 0;
		if (j->fds[0] != -1 || j->fds[1] != -1)
			logcap_note(j->log, td_now(), "output still held open "
			    "by a process outside the job's process group; no "
			    "longer read");
		close_stream(j, 0);
		close_stream(j, 1);
	}
}

/* One turn: waits at most timeout (ms, -1 = deadlines only) and handles all. */
static void
job_pump(struct job *j, int timeout)
{
	struct pollfd pfds[EVS_MAX_POLLFDS + 3];
	size_t n = 0, nev, ev_at;
	int t = timeout_ms(j), s;

	if (timeout >= 0 && (t < 0 || timeout < t))
		t = timeout;
	pfds[n].fd = sig_pipe[0];
	pfds[n++].events = POLLIN;
	ev_at = n;
	nev = evs_pollfds(j->evs, pfds + n);
	n += nev;
	for (s = 0; s < 2; s++) {
		if (j->fds[s] == -1)
			continue;
		pfds[n].fd = j->fds[s];
		pfds[n++].events = POLLIN;
	}
	if (poll(pfds, n, t) == -1 && errno != EINTR)
		log_warn("poll");
	if (pfds[0].revents)
		handle_signals(j);
	if (j->pid > 0 && !j->reaped)
		reap(j);
	evs_handle(j->evs, pfds + ev_at, nev);
	if (evs_take_stop(j->evs))
		request_stop(j, STOP_REQUESTED);
	for (s = 0; s < 2; s++)
		if (j->fds[s] != -1)
			read_stream(j, s);
	check_deadlines(j);
}

static int
stage_pump(void *arg)
{
	struct job *j = arg;

	job_pump(j, 0);
	return j->stop != STOP_NONE;
}

/* ---- the end ---------------------------------------------------------- */

static void
put_num_or_null(struct buf *f, const char *name, int have, double v)
{
	if (have)
		buf_printf(f, ",\"%s\":%.3f", name, v);
	else
		buf_printf(f, ",\"%s\":null", name);
}

static void
exited_fields(const struct job *j, const struct outcome *out, struct buf *f)
{
	size_t i, k = 0;
	char num[40];

	buf_printf(f, ",\"status\":\"%s\",\"secondary\":\"%s\"", out->status,
	    out->secondary);
	buf_puts(f, ",\"failure_reason\":");
	if (out->reason[0] != '\0')
		buf_json_str(f, out->reason, strlen(out->reason));
	else
		buf_puts(f, "null");
	if (j->reaped && WIFEXITED(j->wstatus))
		buf_printf(f, ",\"exit_code\":%d,\"signal\":null",
		    WEXITSTATUS(j->wstatus));
	else if (j->reaped && WIFSIGNALED(j->wstatus))
		buf_printf(f, ",\"exit_code\":null,\"signal\":%d",
		    WTERMSIG(j->wstatus));
	else
		buf_puts(f, ",\"exit_code\":null,\"signal\":null");
	buf_puts(f, ",\"model_artifact\":");
	if (out->artifact != NULL)
		buf_json_str(f, out->artifact, strlen(out->artifact));
	else
		buf_puts(f, "null");
	put_num_or_null(f, "training_start", j->pid > 0, j->training_start);
	put_num_or_null(f, "training_end", j->reaped, j->training_end);
	buf_puts(f, ",\"final_metrics\":[");
	for (i = 0; i < j->n_metrics; i++) {
		if (!j->metrics[i].have)
			continue;
		pyj_fmt_double(j->metrics[i].value, num, sizeof(num));
		buf_puts(f, k++ > 0 ? ",{\"name\":" : "{\"name\":");
		buf_json_str(f, j->metrics[i].name, strlen(j->metrics[i].name));
		buf_printf(f, ",\"value\":%s,\"time\":%.3f}", num,
		    j->metrics[i].time);
	}
	buf_puts(f, "]");
}

/* Writes the last event and status.json, lets clients catch up, closes. */
static void
finish(struct job *j, struct outcome *out)
{
	struct buf f = { 0 }, line = { 0 };
	char path[PATH_MAX];
	int rc;

	if (j->log != NULL && strcmp(out->status, out->secondary) != 0)
		logcap_note(j->log, td_now(), "training job %s (%s)",
		    out->status, out->secondary);
	else if (j->log != NULL)
		logcap_note(j->log, td_now(), "training job %s", out->status);
	exited_fields(j, out, &f);
	if ((rc = evs_emit(j->evs, EV_EXITED, f.data, 1, &line)) != 0)
		log_warnx("cannot write the exited event: %s", td_strerror(rc));
	buf_putc(&line, '\n');
	job_path(j, "status.json", path, sizeof(path));
	/* A copy of the exited event, which evs_emit() fsync'd. */
	if ((rc = stage_write_file(path, line.data, line.len)) != 0)
		log_warnx("%s: %s", path, td_strerror(rc));
	log_info("exited: %s/%s%s%s", out->status, out->secondary,
	    out->reason[0] != '\0' ? ": " : "", out->reason);
	evs_drain(j->evs, CLIENT_FLUSH_MS);
	buf_free(&f);
	buf_free(&line);
}

static void
set_reason(struct outcome *out, const char *prefix, const char *msg)
{
	fmt_msg(out->reason, sizeof(out->reason), "%s%s", prefix, msg);
}

static void
fail(struct outcome *out, const char *prefix, const char *msg)
{
	out->status = out->secondary = "Failed";
	set_reason(out, prefix, msg);
}

/* Cuts s to at most max bytes at a UTF-8 boundary, trailing space trimmed. */
static void
cut_utf8(char *s, size_t max)
{
	size_t len = strlen(s);

	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
	    s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	s[len] = '\0';
}

/*
 * The first max bytes of a file (NUL-terminated, caller frees): a failure
 * file of any size yields its head, as SageMaker reads it.
 */
static int
read_head(const char *path, size_t max, char **out, size_t *len)
{
	char *p;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	if ((p = malloc(max + 1)) == NULL) {
		close(fd);
		return TD_ENOMEM;
	}
	n = read(fd, p, max);
	close(fd);
	if (n < 0) {
		free(p);
		return -errno;
	}
	p[n] = '\0';
	*out = p;
	*len = (size_t)n;
	return 0;
}

/*
 * What a failure under a memory limit says about it: "likely exceeded" when
 * the program's last words name an allocation failure or its peak RSS came
 * within 10% of the limit; for a death by SIGKILL, SIGSEGV, SIGABRT or
 * SIGBUS (how a failed allocation often ends) only that it ran under one.
 * Nothing for other failures: they are not about memory.
 */
static void
memory_words(const struct job *j, const char *stderr_tail, struct buf *b)
{
	int sig = WIFSIGNALED(j->wstatus) ? WTERMSIG(j->wstatus) : 0;
	uint64_t rss = (uint64_t)(j->maxrss_kib > 0 ? j->maxrss_kib : 0) << 10;

	if (j->memlimit == 0)
		return;
	if (memlimit_oom_text(stderr_tail) || rss >= j->memlimit / 10 * 9)
		buf_printf(b, ": the program likely exceeded the memory limit "
		    "of %s; choose an InstanceType with more memory or use "
		    "less", j->memlimit_text);
	else if (sig == SIGKILL || sig == SIGSEGV || sig == SIGABRT ||
	    sig == SIGBUS)
		buf_printf(b, " (the program ran under the memory limit of %s; "
		    "a failed allocation can end a program this way)",
		    j->memlimit_text);
}

/* The program failed: output/failure if it wrote one, else code + stderr. */
static void
algorithm_error(struct job *j, struct outcome *out)
{
	char path[PATH_MAX], head[128], *text = NULL;
	const char *abbrev;
	struct buf b = { 0 }, tail = { 0 };
	size_t len = 0;

	out->status = out->secondary = "Failed";
	job_path(j, "output/failure", path, sizeof(path));
	if (read_head(path, REASON_MAX + 4, &text, &len) == 0 && len > 0) {
		cut_utf8(text, REASON_MAX);
		if (text[0] != '\0') {
			fmt_msg(out->reason, sizeof(out->reason), "%s", text);
			free(text);
			return;
		}
	}
	free(text);
	if (WIFSIGNALED(j->wstatus)) {
		abbrev = sigabbrev_np(WTERMSIG(j->wstatus));
		fmt_msg(head, sizeof(head), "AlgorithmError: killed by signal "
		    "SIG%s (%d)", abbrev != NULL ? abbrev : "?",
		    WTERMSIG(j->wstatus));
	} else {
		fmt_msg(head, sizeof(head), "AlgorithmError: exit code %d",
		    WEXITSTATUS(j->wstatus));
	}
	buf_puts(&b, head);
	if (j->log != NULL)
		logcap_stderr_tail(j->log, 10, REASON_MAX - 300, &tail);
	memory_words(j, tail.data, &b);
	if (tail.len > 0) {
		buf_putc(&b, '\n');
		buf_append(&b, tail.data, tail.len);
	}
	buf_free(&tail);
	fmt_msg(out->reason, sizeof(out->reason), "%s", b.data);
	cut_utf8(out->reason, REASON_MAX);
	buf_free(&b);
}

/* Packs model/ (and a non-empty output/data) and publishes the copies. */
static void
upload(struct job *j, struct outcome *out)
{
	char src[PATH_MAX], dst[PATH_MAX], err[768], *copy = NULL;
	int rc;

	emit_status(j, "Uploading", "Uploading generated training model");
	job_path(j, "model", src, sizeof(src));
	job_path(j, "output/model.tar.gz", dst, sizeof(dst));
	rc = stage_pack(src, dst, err, sizeof(err));
	if (rc == 0)
		rc = stage_publish(dst, j->spec->output_path, j->spec->name,
		    &copy, err, sizeof(err));
	if (rc != 0) {
		log_warnx("model: %s", err);
		logcap_note(j->log, td_now(), "packing the model failed: %s",
		    err);
		if (strcmp(out->status, "Completed") == 0)
			fail(out, "InternalServerError: packing the model: ",
			    err);
		return;
	}
	out->artifact = copy != NULL ? copy : strdup(dst);
	job_path(j, "output/data", src, sizeof(src));
	if (stage_dir_empty(src))
		return;
	job_path(j, "output/output.tar.gz", dst, sizeof(dst));
	copy = NULL;
	if (stage_pack(src, dst, err, sizeof(err)) != 0 ||
	    stage_publish(dst, j->spec->output_path, j->spec->name, &copy,
	    err, sizeof(err)) != 0)
		log_warnx("output data: %s", err);
	free(copy);
}

/* ---- before the program ----------------------------------------------- */

static int
load_spec(struct job *j, char *err, size_t errlen)
{
	char path[PATH_MAX], *text = NULL;
	struct apierr e = { 0 };
	cJSON *req;
	int rc;

	job_path(j, EV_REQUEST, path, sizeof(path));
	if ((rc = td_read_file(path, 16u << 20, &text, NULL)) != 0) {
		fmt_msg(err, errlen, "%s: %s", path, td_strerror(rc));
		return rc;
	}
	req = cJSON_Parse(text);
	free(text);
	if (req == NULL) {
		fmt_msg(err, errlen, "%s: not valid JSON", path);
		return TD_EINVAL;
	}
	rc = training_spec_decode(req, &j->spec, &e);
	cJSON_Delete(req);
	if (rc != 0) {
		fmt_msg(err, errlen, "%s: %s", path, e.message);
		return rc;
	}
	return 0;
}

static int
write_json(const struct job *j, const char *name, struct pyj *v)
{
	char path[PATH_MAX], rel[64];
	struct buf b = { 0 };
	int rc;

	fmt_msg(rel, sizeof(rel), "input/config/%s", name);
	job_path(j, rel, path, sizeof(path));
	pyj_dumps(v, &b);
	/* No fsync: a retried job gets a fresh directory and new copies. */
	rc = stage_write_file(path, b.data, b.len);
	buf_free(&b);
	pyj_free(v);
	return rc;
}

static int
write_configs(struct job *j, char *err, size_t errlen)
{
	int rc;

	if ((rc = write_json(j, "hyperparameters.json",
	    smenv_hyperparameters_json(j->spec))) != 0 ||
	    (rc = write_json(j, "inputdataconfig.json",
	    smenv_input_data_config(j->spec))) != 0 ||
	    (rc = write_json(j, "resourceconfig.json",
	    smenv_resource_config(j->spec))) != 0)
		fmt_msg(err, errlen, "writing %s/input/config: %s", j->dir,
		    td_strerror(rc));
	return rc;
}

static int
setup_metrics(struct job *j, char *err, size_t errlen)
{
	size_t i;
	int rc, s;

	j->n_metrics = j->spec->n_metrics;
	if ((j->metrics = calloc(j->n_metrics + 1, sizeof(*j->metrics))) ==
	    NULL)
		return TD_ENOMEM;
	for (i = 0; i < j->n_metrics; i++)
		j->metrics[i].name = j->spec->metrics[i].name;
	for (s = 0; s < 2; s++)
		if ((rc = scrape_new(j->spec->metrics, j->spec->n_metrics,
		    &j->scr[s], err, errlen)) != 0)
			return rc;
	return 0;
}

/* Channels, then code: the Downloading phase. TD_ESTATE = stopped. */
static int
download_phase(struct job *j, char *err, size_t errlen)
{
	struct stage_ctx c = { j->dir, stage_pump, j, err, errlen };
	size_t i;
	int rc;

	emit_status(j, "Downloading", "Downloading input data");
	for (i = 0; i < j->spec->n_channels; i++) {
		if (j->stop != STOP_NONE)
			return TD_ESTATE;
		if ((rc = stage_channel(&c, &j->spec->channels[i])) != 0)
			return rc;
	}
	if (j->hps.submit_dir != NULL && j->stop == STOP_NONE &&
	    (rc = stage_source(&c, j->hps.submit_dir)) != 0)
		return rc;
	return j->stop != STOP_NONE ? TD_ESTATE : 0;
}

/* ---- the program ------------------------------------------------------ */

static int
spawn_raw(struct job *j, const char *path, char *const *argv,
    const struct launch *l, const struct strv *env, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, rc, s;

	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		rc = -errno;
		fmt_msg(err, errlen, "pipe: %s", strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawn_file_actions_addchdir_np(&fa, l->cwd);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&j->pid, path, &fa, &attr, argv, env->v);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		fmt_msg(err, errlen, "cannot run %s: %s", path, strerror(rc));
		j->pid = 0;
		rc = -rc;
		goto done;
	}
	for (s = 0; s < 2; s++) {
		j->fds[s] = s == 0 ? out[0] : errp[0];
		(void)fcntl(j->fds[s], F_SETFL, O_NONBLOCK);
		/* Room for bursts while we are busy elsewhere. */
		(void)fcntl(j->fds[s], F_SETPIPE_SZ, 1 << 20);
	}
	out[0] = errp[0] = -1;
done:
	for (s = 0; s < 2; s++) {
		if (out[s] != -1)
			close(out[s]);
		if (errp[s] != -1)
			close(errp[s]);
	}
	return rc;
}

/* Through `tunerd-worker exec-limited`, which sets the limit and execs. */
static int
spawn_trampoline(struct job *j, const struct launch *l,
    const struct strv *env, char *err, size_t errlen)
{
	struct strv argv = { 0 };
	char bytes[32];
	size_t i;
	int rc;

	fmt_msg(bytes, sizeof(bytes), "%llu", (unsigned long long)j->memlimit);
	strv_push(&argv, "tunerd-worker");
	strv_push(&argv, "exec-limited");
	strv_push(&argv, bytes);
	strv_push(&argv, l->path);
	for (i = 0; i < l->argv.n; i++)
		strv_push(&argv, l->argv.v[i]);
	rc = spawn_raw(j, "/proc/self/exe", argv.v, l, env, err, errlen);
	strv_free(&argv);
	return rc;
}

/* Starts the program, under j->memlimit if there is one (see the top). */
static int
spawn(struct job *j, const struct launch *l, const struct strv *env,
    char *err, size_t errlen)
{
	struct rlimit saved, rl;
	int rc;

	if (j->memlimit == 0)
		return spawn_raw(j, l->path, l->argv.v, l, env, err, errlen);
	if (!RUN_SANITIZED && getrlimit(RLIMIT_DATA, &saved) == 0) {
		rl = saved;
		if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > j->memlimit)
			rl.rlim_cur = j->memlimit;
		if (setrlimit(RLIMIT_DATA, &rl) == 0) {
			rc = spawn_raw(j, l->path, l->argv.v, l, env, err,
			    errlen);
			if (setrlimit(RLIMIT_DATA, &saved) == -1)
				log_warn("restoring RLIMIT_DATA");
			/* ENOMEM: our own mappings already exceed the limit. */
			if (rc != -ENOMEM)
				return rc;
		}
	}
	return spawn_trampoline(j, l, env, err, errlen);
}

/* The memory limit of the job's instance type, if any, for the program. */
static void
memlimit_setup(struct job *j, const struct launch *l)
{
	const char *type = j->spec->instance_type;
	char size[32];

	if (memlimit_lookup(type, &j->memlimit) != 0)
		return;
	memlimit_fmt(j->memlimit, size, sizeof(size));
	fmt_msg(j->memlimit_text, sizeof(j->memlimit_text), "%s (%s)", type,
	    size);
	if (l->builtin && RUN_SANITIZED) {
		j->memlimit = 0;
		log_info("no memory limit for the built-in: this is a sanitizer "
		    "build, which reserves terabytes of address space");
		logcap_note(j->log, td_now(), "The memory limit of %s is not "
		    "applied: this tunerd-builtin is a sanitizer build",
		    j->memlimit_text);
		return;
	}
	logcap_note(j->log, td_now(), "Memory limit: %s, the memory of %s "
	    "(RLIMIT_DATA of the program)", size, type);
}

static void
training_phase(struct job *j, struct outcome *out)
{
	struct smenv_ctx ctx = { j->spec, &j->hps, j->dir, j->o->cpus,
	    j->o->cpus_given, environ };
	struct strv env = { 0 };
	struct buf refused = { 0 }, cmd = { 0 }, f = { 0 };
	struct launch l;
	char err[1024];

	smenv_build(&ctx, &env, &refused);
	if (refused.len > 0)
		logcap_note(j->log, td_now(), "Environment variables not set "
		    "(reserved or invalid names): %s", refused.data);
	if (launch_plan(j->spec, &j->hps, j->dir, &env, &l, err,
	    sizeof(err)) != 0) {
		fail(out, "ClientError: ", err);
		goto done;
	}
	if (l.note[0] != '\0')
		logcap_note(j->log, td_now(), "%s", l.note);
	memlimit_setup(j, &l);
	launch_display(l.argv.v, &cmd);
	logcap_note(j->log, td_now(), "Invoking: %s", cmd.data);
	job_pump(j, 0);		/* a stop that came in meanwhile */
	if (j->stop != STOP_NONE) {
		out->status = "Stopped";
		out->secondary = stop_name(j->stop);
		goto done_launch;
	}
	if (spawn(j, &l, &env, err, sizeof(err)) != 0) {
		fail(out, "ClientError: ", err);
		goto done_launch;
	}
	j->training_start = td_now();
	if (j->spec->max_runtime_s > 0)
		j->runtime_deadline = td_mono_ns() +
		    (uint64_t)j->spec->max_runtime_s * 1000000000u;
	emit_status(j, "Training", "Training image download completed. "
	    "Training in progress.");
	/* With its start time the pid names this program for good. */
	buf_printf(&f, ",\"pid\":%d,\"start_ticks\":%lld", (int)j->pid,
	    td_proc_start_ticks(j->pid));
	(void)evs_emit(j->evs, EV_STARTED, f.data, 0, NULL);
	log_info("started %s as pid %d", cmd.data, (int)j->pid);
	while (!(j->reaped && j->fds[0] == -1 && j->fds[1] == -1))
		job_pump(j, -1);
	reap_rest(j);
	if (j->stop != STOP_NONE) {
		out->status = "Stopped";
		out->secondary = stop_name(j->stop);
	} else if (WIFEXITED(j->wstatus) && WEXITSTATUS(j->wstatus) == 0) {
		out->status = out->secondary = "Completed";
	} else {
		algorithm_error(j, out);
	}
	upload(j, out);
done_launch:
	launch_free(&l);
done:
	strv_free(&env);
	buf_free(&refused);
	buf_free(&cmd);
	buf_free(&f);
}

/* ---- setup ------------------------------------------------------------ */

static int
job_open(struct job *j, const struct worker_opts *o)
{
	char err[1024];
	memset(j, 0, sizeof(*j));
	j->o = o;
	j->fds[0] = j->fds[1] = -1;
	if (realpath(o->job_dir, j->dir) == NULL) {
		log_warn("%s", o->job_dir);
		return -1;
	}
	if (strlen(j->dir) > PATH_MAX - 256) {
		log_warnx("%s: path too long for a job directory", j->dir);
		return -1;
	}
	if (evs_open(j->dir, &j->evs, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	/*
	 * tunerd lays out a fresh directory for every attempt: events here
	 * already mean another worker ran this attempt (one that started
	 * before a daemon crash and finished before us). Running again would
	 * run the program twice.
	 */
	if (evs_seq(j->evs) > 0) {
		log_warnx("%s: another worker already ran this job here; not "
		    "running it again", j->dir);
		evs_close(j->evs);
		j->evs = NULL;
		return -1;
	}
	if (signals_install() != 0) {
		log_warn("signal setup");
		return -1;
	}
	return 0;
}

static void
job_close(struct job *j, struct outcome *out)
{
	size_t s;

	for (s = 0; s < 2; s++) {
		if (j->fds[s] != -1)
			close(j->fds[s]);
		scrape_free(j->scr[s]);
	}
	evs_close(j->evs);
	logcap_close(j->log);
	smenv_hps_free(&j->hps);
	training_spec_free(j->spec);
	free(j->metrics);
	free(out->artifact);
}

/* Everything before the program runs; 0, or out says how the job ended. */
static int
prepare(struct job *j, struct outcome *out)
{
	char err[1024], path[PATH_MAX];
	int rc;

	if (evs_listen(j->evs, err, sizeof(err)) != 0) {
		fail(out, "InternalServerError: ", err);
		return -1;
	}
	/* tunerd's own end first: it needs no connect (and no retry) at all. */
	if (j->o->events_fd >= 0 && (rc = evs_adopt(j->evs, j->o->events_fd)) != 0)
		log_warnx("--events-fd %d: %s", j->o->events_fd, td_strerror(rc));
	emit_status(j, "Starting", "Preparing the instances for training");
	if (load_spec(j, err, sizeof(err)) != 0 ||
	    stage_layout(j->dir, err, sizeof(err)) != 0) {
		fail(out, "InternalServerError: ", err);
		return -1;
	}
	job_path(j, EV_LOG, path, sizeof(path));
	if ((rc = logcap_open(path, j->o->log_limit, &j->log)) != 0) {
		fmt_msg(err, sizeof(err), "%s: %s", path, td_strerror(rc));
		fail(out, "InternalServerError: ", err);
		return -1;
	}
	smenv_hps_decode(j->spec->hyperparameters, j->spec->n_hyperparameters,
	    &j->hps);
	if (write_configs(j, err, sizeof(err)) != 0) {
		fail(out, "InternalServerError: ", err);
		return -1;
	}
	if (setup_metrics(j, err, sizeof(err)) != 0) {
		fail(out, "ClientError: AlgorithmSpecification.MetricDefinitions: ",
		    err);
		return -1;
	}
	rc = download_phase(j, err, sizeof(err));
	if (rc == TD_ESTATE || (rc != 0 && j->stop != STOP_NONE)) {
		out->status = "Stopped";
		out->secondary = stop_name(j->stop);
		return -1;
	}
	if (rc != 0) {
		fail(out, "ClientError: ", err);
		return -1;
	}
	return 0;
}

int
worker_train(const struct worker_opts *o)
{
	struct job j;
	struct outcome out = { "Failed", "Failed", "", NULL };

	if (job_open(&j, o) != 0) {
		job_close(&j, &out);
		return 1;
	}
	if (prepare(&j, &out) == 0) {
		if (j.stop != STOP_NONE) {
			out.status = "Stopped";
			out.secondary = stop_name(j.stop);
		} else {
			training_phase(&j, &out);
		}
	}
	if (out.reason[0] != '\0' && j.log != NULL)
		logcap_note(j.log, td_now(), "%s", out.reason);
	finish(&j, &out);
	job_close(&j, &out);
	return 0;
}
