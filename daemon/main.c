/*
 * main.c - tunerd: flags, start-up, signals and shutdown.
 *
 * Owns the one struct daemon and the order things start and stop in:
 * state dir -> store (migrations) -> scheduler (re-adopting workers) ->
 * listeners. SIGTERM/SIGINT stop listening and leave training jobs
 * running; the next tunerd re-attaches to them.
 *
 * Without -d, tunerd starts itself again in the background (posix_spawn,
 * new session, logging to <state>/tunerd.log) and returns once that copy
 * is serving, or fails with its error, so scripts can rely on it.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "api.h"
#include "daemon.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "paths.h"
#include "sched.h"
#include "serving.h"
#include "sigv4.h"
#include "store.h"
#include "tuning.h"
#include "util.h"

extern char **environ;
void openblas_set_num_threads(int);

/* The options, once: --help and the man page (--help-man) are built from this. */
static const struct opt_doc {
	const char	*flags;
	const char	*help;
} opt_docs[] = {
	{ "-d, --foreground", "Stay in the foreground and log to stderr. "
	    "Without -d, tunerd starts itself in the background, logging to "
	    "DIR/tunerd.log, and returns once it serves (or fails)." },
	{ "-n, --check", "Check the configuration and the database "
	    "(migrations, integrity), print a summary and exit." },
	{ "-v, --verbose", "More logging; repeatable." },
	{ "--state-dir DIR", "State directory: the database tunerd.db and "
	    "jobs/<name>/ for every training job. Default $TUNERD_STATE_DIR, "
	    "else $XDG_STATE_HOME/tunerd, else ~/.local/state/tunerd." },
	{ "--socket PATH", "The unix socket (mode 0600; only this user and "
	    "root may connect). Default $TUNERD_SOCKET, else "
	    "$XDG_RUNTIME_DIR/tunerd/tunerd.sock, else DIR/tunerd.sock." },
	{ "--listen HOST:PORT", "Also serve HTTP on TCP, for boto3 and the "
	    "AWS CLI; port 0 picks a free port (logged). A loopback address "
	    "unless --credentials is given." },
	{ "--credentials FILE", "Require an AWS SigV4 signature (service "
	    "sagemaker) on every TCP request, checked against the keys in FILE: "
	    "lines 'ACCESS_KEY_ID SECRET_ACCESS_KEY', mode 0600. Needed for a "
	    "non-loopback --listen. See docs/SECURITY.md." },
	{ "--slots N", "Training jobs that run at once; the rest wait in "
	    "creation order. Default: the number of CPUs." },
	{ "--grace SECONDS", "Time between SIGTERM and SIGKILL when a job is "
	    "stopped. Default 10." },
	{ "--log-limit BYTES", "Cap of each job's log file; past it output is "
	    "still scraped for metrics but not stored. Default 67108864." },
	{ "--worker PATH", "The tunerd-worker binary. Default: beside tunerd "
	    "(or ../worker/ in the build tree). Built-in algorithms and "
	    "endpoints of built-in models also need tunerd-builtin beside it "
	    "(or on PATH)." },
	{ "--idle-timeout SECONDS", "Close a keep-alive connection that sends "
	    "nothing for this long (1 to 86400). Default 60." },
	{ "--request-timeout SECONDS", "Answer 408 and close when a request's "
	    "headers and body do not arrive completely within this time from "
	    "its first byte; also bounds writing one answer to a client that "
	    "does not read (1 to 3600). Default 30." },
	{ "--max-connections N", "Connections served at once, unix socket and "
	    "TCP together; one more gets 503 and is closed (1 to 1000000; each "
	    "takes a file descriptor, see ulimit -n). Default 1024." },
	{ "-h, --help", "Print this help." },
	{ "-V, --version", "Print the version." },
};

static const char synopsis[] =
    "tunerd [-dnv] [--state-dir DIR] [--socket PATH] [--listen HOST:PORT] "
    "[--credentials FILE] [--slots N] [--grace SECONDS] [--log-limit BYTES] "
    "[--worker PATH] [--idle-timeout SECONDS] [--request-timeout SECONDS] "
    "[--max-connections N]";

static const char description[] =
    "tunerd keeps training jobs, tuning jobs, models and endpoints in "
    "SQLite, runs each training job in its own tunerd-worker process and "
    "serves the SageMaker API (AWS JSON 1.1, X-Amz-Target: SageMaker.<Op>) "
    "on a unix socket and optionally on loopback TCP.";

static void
print_wrapped(const char *text, int indent, int width)
{
	const char *p = text;
	int col = indent;

	printf("%*s", indent, "");
	while (*p != '\0') {
		const char *w = p;
		int len;

		while (*w != '\0' && *w != ' ')
			w++;
		len = (int)(w - p);
		if (col > indent && col + 1 + len > width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", len, p);
		col += len;
		p = *w == ' ' ? w + 1 : w;
	}
	putchar('\n');
}

static void
usage(void)
{
	size_t i;

	printf("usage: %s\n\n", synopsis);
	print_wrapped(description, 0, 78);
	putchar('\n');
	for (i = 0; i < sizeof(opt_docs) / sizeof(opt_docs[0]); i++) {
		printf("  %s\n", opt_docs[i].flags);
		print_wrapped(opt_docs[i].help, 6, 78);
	}
	printf("\nSignals: SIGTERM and SIGINT stop tunerd; training jobs keep "
	    "running and the next\ntunerd re-attaches to them. See tunerd(8).\n");
}

/* roff, escaping what roff would take as commands. */
static void
roff(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

static void
usage_man(void)
{
	size_t i;

	printf(".TH TUNERD 8 \"\" \"tunerd %s\" \"System Manager's Manual\"\n",
	    TUNERD_VERSION);
	printf(".SH NAME\ntunerd \\- local SageMaker-compatible training, tuning "
	    "and serving daemon\n.SH SYNOPSIS\n");
	roff(synopsis);
	printf("\n.SH DESCRIPTION\n");
	roff(description);
	printf("\n.SH OPTIONS\n");
	for (i = 0; i < sizeof(opt_docs) / sizeof(opt_docs[0]); i++) {
		printf(".TP\n.B ");
		roff(opt_docs[i].flags);
		putchar('\n');
		roff(opt_docs[i].help);
		putchar('\n');
	}
	printf(".SH SIGNALS\nSIGTERM and SIGINT stop listening and exit; "
	    "training jobs keep running in their own sessions and the next "
	    "tunerd re\\-attaches to them and replays what it missed.\n"
	    ".SH FILES\n.TP\nDIR/tunerd.db\nThe database (SQLite, WAL).\n"
	    ".TP\nDIR/jobs/NAME/\nA training job's directory, in the /opt/ml "
	    "layout, with logs/output.log and events.jsonl.\n"
	    ".SH SEE ALSO\ntuner(1)\n");
}

enum {
	OPT_STATE_DIR = 256, OPT_SOCKET, OPT_LISTEN, OPT_SLOTS, OPT_GRACE,
	OPT_LOG_LIMIT, OPT_WORKER, OPT_READY_FD, OPT_HELP_MAN, OPT_CREDENTIALS,
	OPT_IDLE_TIMEOUT, OPT_REQUEST_TIMEOUT, OPT_MAX_CONNECTIONS,
};

static const struct option long_opts[] = {
	{ "foreground", no_argument, NULL, 'd' },
	{ "check", no_argument, NULL, 'n' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "credentials", required_argument, NULL, OPT_CREDENTIALS },
	{ "slots", required_argument, NULL, OPT_SLOTS },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "log-limit", required_argument, NULL, OPT_LOG_LIMIT },
	{ "worker", required_argument, NULL, OPT_WORKER },
	{ "ready-fd", required_argument, NULL, OPT_READY_FD },
	{ "help-man", no_argument, NULL, OPT_HELP_MAN },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ NULL, 0, NULL, 0 },
};

static struct daemon the_daemon;
/* The HTTP server's limits: defaults, then --idle-timeout and friends. */
static struct http_limits http_lim;
static uv_signal_t sig_term, sig_int;

static void
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "tunerd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'tunerd --help'.\n");
	exit(2);
}

static long
parse_num(const char *s, long min, long max, const char *flag)
{
	long v;

	if (td_parse_long(s, min, max, &v) != 0) {
		fprintf(stderr, "tunerd: %s takes a whole number from %ld to "
		    "%ld, not '%s'\n", flag, min, max, s);
		exit(2);
	}
	return v;
}

static void
parse_listen(struct daemon_config *cfg, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	size_t hl;

	if (colon == NULL || colon == arg)
		usage_error("--listen takes HOST:PORT (e.g. 127.0.0.1:8080), "
		    "not '%s'", arg);
	cfg->listen_port = (int)parse_num(colon + 1, 0, 65535, "--listen PORT");
	hl = (size_t)(colon - arg);
	if (arg[0] == '[' && hl > 2 && arg[hl - 1] == ']')
		cfg->listen_host = strndup(arg + 1, hl - 2);
	else
		cfg->listen_host = strndup(arg, hl);
}

/* A non-loopback listener would run anyone's code: only with SigV4. */
static int
is_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "localhost") == 0;
}

static char *
find_worker(void)
{
	char *p = td_sibling_path("tunerd-worker");

	if (p != NULL && access(p, X_OK) == 0)
		return p;
	free(p);
	/* Running from the build tree: daemon/tunerd, worker/tunerd-worker. */
	p = td_sibling_path("../worker/tunerd-worker");
	if (p != NULL && access(p, X_OK) == 0)
		return p;
	free(p);
	return strdup("tunerd-worker");
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (d->shutting_down)
		return;
	log_info("signal %d: shutting down; training jobs keep running", signum);
	d->shutting_down = 1;
	http_server_close(d->http);
	sched_close(d->sched);
	tuning_close(d->tuning);
	serving_close(d->serving);
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&sig_int, NULL);
}

/* Starts tunerd -d in the background and waits until it serves. */
static int
background(int argc, char **argv, const char *state_dir)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char **nargv, fdarg[32], logp[PATH_MAX], buf[512];
	int pfd[2], i, rc;
	pid_t pid;
	ssize_t n;

	if (td_mkdir_p(state_dir, 0700) != 0 || pipe(pfd) == -1) {
		fprintf(stderr, "tunerd: cannot prepare %s: %s\n", state_dir,
		    strerror(errno));
		return 1;
	}
	fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
	snprintf(logp, sizeof(logp), "%s/tunerd.log", state_dir);
	snprintf(fdarg, sizeof(fdarg), "--ready-fd=3");
	if ((nargv = calloc((size_t)argc + 3, sizeof(*nargv))) == NULL)
		return 1;
	nargv[0] = argv[0];
	nargv[1] = "-d";
	nargv[2] = fdarg;
	for (i = 1; i < argc; i++)
		nargv[i + 2] = argv[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, logp,
	    O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	/* Keep only the readiness pipe: close whatever else we inherited. */
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 3);
	posix_spawn_file_actions_addclosefrom_np(&fa, 4);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	rc = posix_spawn(&pid, "/proc/self/exe", &fa, &attr, nargv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(nargv);
	close(pfd[1]);
	if (rc != 0) {
		fprintf(stderr, "tunerd: cannot start: %s\n", strerror(rc));
		return 1;
	}
	n = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	if (n > 0 && strncmp(buf, "ok", 2) == 0)
		return 0;
	fprintf(stderr, "tunerd: the daemon did not start; see %s\n", logp);
	return 1;
}

static void
config_defaults(struct daemon_config *cfg)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	cfg->slots = n > 0 ? (int)n : 1;
	cfg->grace_s = 10;
	cfg->log_limit = 64L << 20;
}

static int
start(struct daemon *d, int check_only, int ready_fd)
{
	char err[512] = "", dbpath[PATH_MAX], *sockdir, *slash;
	int rc;

	if ((rc = td_mkdir_p(d->jobs_dir, 0700)) != 0) {
		log_warnx("cannot create %s: %s", d->jobs_dir, td_strerror(rc));
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/tunerd.db", d->cfg.state_dir);
	if ((rc = store_open(dbpath, &d->store, err, sizeof(err))) != 0) {
		log_warnx("database %s: %s", dbpath, err);
		return 1;
	}
	if (check_only) {
		if (store_integrity(d->store, err, sizeof(err)) != 0) {
			log_warnx("database %s: %s", dbpath, err);
			return 1;
		}
		printf("tunerd: configuration OK; database %s at schema version "
		    "%d; worker %s\n", dbpath, store_schema_version(d->store),
		    d->cfg.worker_path);
		return 0;
	}
	if (access(d->cfg.worker_path, X_OK) != 0)
		log_warnx("worker %s is not executable: training jobs will fail",
		    d->cfg.worker_path);
	d->loop = uv_default_loop();
	d->http = http_server_new(d->loop, &http_lim, api_http_handler, d);
	if ((sockdir = strdup(d->cfg.socket_path)) != NULL &&
	    (slash = strrchr(sockdir, '/')) != NULL && slash != sockdir) {
		*slash = '\0';
		td_mkdir_p(sockdir, 0700);
	}
	free(sockdir);
	if ((rc = http_listen_unix(d->http, d->cfg.socket_path)) != 0) {
		log_warnx("cannot listen on %s: %s%s", d->cfg.socket_path,
		    td_strerror(rc), rc == -EADDRINUSE ?
		    " (another tunerd serves it)" : "");
		return 1;
	}
	if (d->cfg.listen_host != NULL) {
		if ((rc = http_listen_tcp(d->http, d->cfg.listen_host,
		    d->cfg.listen_port, &d->tcp_port)) != 0) {
			log_warnx("cannot listen on %s:%d: %s",
			    d->cfg.listen_host, d->cfg.listen_port,
			    td_strerror(rc));
			return 1;
		}
		log_info("listening on %s:%d", d->cfg.listen_host, d->tcp_port);
	}
	if (sched_new(d, &d->sched) != 0 || tuning_new(d, &d->tuning) != 0 ||
	    sched_start(d->sched) != 0 || tuning_start(d->tuning) != 0) {
		log_warnx("cannot start the scheduler");
		return 1;
	}
	if (serving_new(d, &d->serving) != 0 || serving_start(d->serving) != 0) {
		log_warnx("cannot start the endpoints");
		return 1;
	}
	uv_signal_init(d->loop, &sig_term);
	uv_signal_init(d->loop, &sig_int);
	sig_term.data = sig_int.data = d;
	uv_signal_start(&sig_term, on_signal, SIGTERM);
	uv_signal_start(&sig_int, on_signal, SIGINT);
	log_info("tunerd %s serving on %s (state %s, %d slots)", TUNERD_VERSION,
	    d->cfg.socket_path, d->cfg.state_dir, d->cfg.slots);
	if (ready_fd >= 0) {
		if (write(ready_fd, "ok\n", 3) != 3)
			log_warn("ready-fd");
		close(ready_fd);
	}
	uv_run(d->loop, UV_RUN_DEFAULT);
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon *d = &the_daemon;
	int ch, foreground = 0, check = 0, verbose = 0, ready_fd = -1, rc;
	const char *credentials = NULL;
	char err[512];
	size_t n;

	config_defaults(&d->cfg);
	http_limits_default(&http_lim);
	while ((ch = getopt_long(argc, argv, "dnvhV", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'd': foreground = 1; break;
		case 'n': check = 1; break;
		case 'v': verbose++; break;
		case 'h': usage(); return 0;
		case OPT_HELP_MAN: usage_man(); return 0;
		case 'V': printf("tunerd %s\n", TUNERD_VERSION); return 0;
		case OPT_STATE_DIR: d->cfg.state_dir = strdup(optarg); break;
		case OPT_SOCKET: d->cfg.socket_path = strdup(optarg); break;
		case OPT_LISTEN: parse_listen(&d->cfg, optarg); break;
		case OPT_SLOTS:
			d->cfg.slots = (int)parse_num(optarg, 1, 4096, "--slots");
			break;
		case OPT_GRACE:
			d->cfg.grace_s = (int)parse_num(optarg, 0, 3600, "--grace");
			break;
		case OPT_LOG_LIMIT:
			d->cfg.log_limit = parse_num(optarg, 4096, LONG_MAX,
			    "--log-limit");
			break;
		case OPT_WORKER: d->cfg.worker_path = strdup(optarg); break;
		case OPT_CREDENTIALS: credentials = optarg; break;
		case OPT_IDLE_TIMEOUT:
			http_lim.idle_timeout_ms = 1000 * (unsigned int)parse_num(
			    optarg, 1, 86400, "--idle-timeout (seconds)");
			break;
		case OPT_REQUEST_TIMEOUT:
			http_lim.request_timeout_ms = 1000 * (unsigned int)parse_num(
			    optarg, 1, 3600, "--request-timeout (seconds)");
			break;
		case OPT_MAX_CONNECTIONS:
			http_lim.max_connections = (unsigned int)parse_num(optarg,
			    1, 1000000, "--max-connections");
			break;
		case OPT_READY_FD:
			ready_fd = (int)parse_num(optarg, 0, 65535, "--ready-fd");
			break;
		default:
			fprintf(stderr, "Try 'tunerd --help'.\n");
			return 2;
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (d->cfg.state_dir == NULL &&
	    (d->cfg.state_dir = td_default_state_dir()) == NULL)
		usage_error("%s", "cannot find a state directory: set --state-dir "
		    "or HOME");
	if (d->cfg.socket_path == NULL)
		d->cfg.socket_path = td_default_socket(d->cfg.state_dir);
	if (d->cfg.worker_path == NULL)
		d->cfg.worker_path = find_worker();
	if (credentials != NULL && sigv4_configure(credentials, err,
	    sizeof(err)) != 0)
		usage_error("--credentials %s", err);
	if (d->cfg.listen_host != NULL && !is_loopback(d->cfg.listen_host) &&
	    !sigv4_enabled())
		usage_error("--listen %s is not a loopback address; tunerd runs "
		    "submitted code, so a non-loopback listener requires "
		    "--credentials FILE (AWS SigV4)", d->cfg.listen_host);
	if (!foreground && !check)
		return background(argc, argv, d->cfg.state_dir);
	log_init("tunerd", verbose);
	signal(SIGPIPE, SIG_IGN);
	/* The database, logs and job directories are the user's alone. */
	umask(077);
	openblas_set_num_threads(1);
	n = strlen(d->cfg.state_dir) + sizeof("/jobs");
	if ((d->jobs_dir = malloc(n)) == NULL)
		fatalx("out of memory");
	snprintf(d->jobs_dir, n, "%s/jobs", d->cfg.state_dir);
	rc = start(d, check, ready_fd);
	if (d->loop != NULL) {
		/* Drain close callbacks so every handle is released. */
		uv_run(d->loop, UV_RUN_DEFAULT);
		if (uv_loop_close(d->loop) != 0)
			log_debug("loop closed with handles still open");
	}
	tuning_free(d->tuning);
	serving_free(d->serving);
	free(d->sched);
	store_close(d->store);
	return rc;
}
