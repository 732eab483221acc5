/*
 * main.c - tunerd-worker's command line.
 *
 *   tunerd-worker train --job-dir DIR [--grace SECONDS] [--log-limit BYTES]
 *                       [--cpus N] [-v]
 *   tunerd-worker builtin ALGORITHM [--name value ...]   (exec tunerd-builtin)
 *   tunerd-worker serve ...                              (exec tunerd-builtin)
 *   tunerd-worker exec-limited BYTES PATH ARGV0 [ARG...] (internal, memlimit.h)
 *   tunerd-worker --help | --version
 *
 * Owns process-wide setup only: SIGPIPE ignored, RLIMIT_CORE 0 (inherited by the
 * program: a crashing training script must not fill the disk with cores) and
 * child-subreaper status (orphans of the program are ours to reap). The
 * built-ins and the model server are tunerd-builtin, beside this binary:
 * keeping OpenBLAS, libuv and libarchive out of here saves every training
 * job their start-up. Exit codes: 0 job finished (any outcome, see
 * status.json), 1 the job directory was unusable, 2 usage.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "launch.h"
#include "log.h"
#include "logcap.h"
#include "memlimit.h"
#include "util.h"
#include "worker.h"

static const char usage_text[] =
"usage: tunerd-worker train --job-dir DIR [--grace SECONDS] [--log-limit BYTES]\n"
"                           [--cpus N] [--events-fd FD] [-v]\n"
"       tunerd-worker builtin ALGORITHM [--name value ...]\n"
"       tunerd-worker serve --model PATH [--port N] [--host ADDR]\n"
"       tunerd-worker serve --exec --model-dir DIR [--model PATH] --image IMAGE\n"
"       tunerd-worker --help | --version\n"
"\n"
"train    run the training job in DIR (it holds request.json): lay out the\n"
"         /opt/ml tree there, fetch channels, run the program, and report on\n"
"         DIR/worker.sock and DIR/events.jsonl until DIR/status.json is written\n"
"  --job-dir DIR      the job directory (required)\n"
"  --grace SECONDS    SIGTERM to SIGKILL delay when stopping (default 10)\n"
"  --log-limit BYTES  size cap of DIR/logs/output.log (default 67108864)\n"
"  --cpus N           SM_NUM_CPUS and thread counts (default: online CPUs)\n"
"  --events-fd FD     a connected socket (tunerd's end of a socketpair) that\n"
"                     gets the events as a client of worker.sock would\n"
"  -v                 more detail in the worker's own log (stderr)\n"
"builtin  run a built-in algorithm as a training program (the worker runs\n"
"         it for TrainingImage builtin:ALGORITHM)\n"
"serve    serve a model for an endpoint instance (GET /ping, POST\n"
"         /invocations)\n"
"builtin and serve run tunerd-builtin, installed beside tunerd-worker.\n"
"\n"
"Exit status: 0 the job finished (its outcome is in status.json), 1 the job\n"
"directory was unusable, 2 usage error.\n";

static int
usage(FILE *f, int code)
{
	fputs(usage_text, f);
	return code;
}

/* "--name value" or "--name=value"; advances *i past what it used. */
static const char *
opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int
bad_value(const char *name, const char *v)
{
	fprintf(stderr, "tunerd-worker: bad value for %s: \"%s\"\n", name, v);
	return 2;
}

static int
parse_train(int argc, char **argv, struct worker_opts *o)
{
	const char *v;
	long n;
	int i, verbose = 0;

	for (i = 2; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--job-dir")) != NULL) {
			o->job_dir = v;
		} else if ((v = opt_value(argc, argv, &i, "--grace")) != NULL) {
			if (td_parse_long(v, 0, 86400, &o->grace_s) != 0)
				return bad_value("--grace", v);
		} else if ((v = opt_value(argc, argv, &i, "--log-limit")) !=
		    NULL) {
			if (td_parse_long(v, 0, 1L << 40, &n) != 0)
				return bad_value("--log-limit", v);
			o->log_limit = (size_t)n;
		} else if ((v = opt_value(argc, argv, &i, "--cpus")) != NULL) {
			if (td_parse_long(v, 1, 65536, &o->cpus) != 0)
				return bad_value("--cpus", v);
			o->cpus_given = 1;
		} else if ((v = opt_value(argc, argv, &i, "--events-fd")) !=
		    NULL) {
			if (td_parse_long(v, 3, 65535, &n) != 0 ||
			    fcntl((int)n, F_GETFD) == -1)
				return bad_value("--events-fd", v);
			o->events_fd = (int)n;
		} else if (strcmp(argv[i], "-v") == 0) {
			verbose++;
		} else {
			fprintf(stderr, "tunerd-worker: unknown or incomplete "
			    "option \"%s\"\n", argv[i]);
			return usage(stderr, 2);
		}
	}
	if (o->job_dir == NULL) {
		fprintf(stderr, "tunerd-worker: train needs --job-dir\n");
		return usage(stderr, 2);
	}
	log_init("tunerd-worker", verbose);
	return 0;
}

static int
cmd_train(int argc, char **argv)
{
	struct worker_opts o = { NULL, WORKER_DEFAULT_GRACE,
	    LOGCAP_DEFAULT_LIMIT, 0, 0, -1 };
	struct rlimit nocore = { 0, 0 };
	int rc;

	if ((rc = parse_train(argc, argv, &o)) != 0)
		return rc;
	if (!o.cpus_given) {
		o.cpus = sysconf(_SC_NPROCESSORS_ONLN);
		if (o.cpus < 1)
			o.cpus = 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (setrlimit(RLIMIT_CORE, &nocore) == -1)
		log_warn("setrlimit RLIMIT_CORE");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("prctl PR_SET_CHILD_SUBREAPER");
	return worker_train(&o);
}

/* builtin and serve: the same arguments, to tunerd-builtin. */
static int
exec_builtin(char **argv)
{
	char *path = NULL;

	if (launch_builtin_path(&path) != 0) {
		fprintf(stderr, "tunerd-worker: %s not found beside this "
		    "program or on PATH\n", LAUNCH_BUILTIN_BIN);
		return 1;
	}
	argv[0] = (char *)LAUNCH_BUILTIN_BIN;
	execv(path, argv);
	fprintf(stderr, "tunerd-worker: cannot run %s: %s\n", path,
	    strerror(errno));
	free(path);
	return 1;
}

int
main(int argc, char **argv)
{
	log_init("tunerd-worker", 0);
	if (argc < 2)
		return usage(stderr, 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout, 0);
	if (strcmp(argv[1], "--version") == 0) {
		printf("tunerd-worker %s\n", TUNERD_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "train") == 0)
		return cmd_train(argc, argv);
	if (strcmp(argv[1], "builtin") == 0 || strcmp(argv[1], "serve") == 0)
		return exec_builtin(argv);
	if (strcmp(argv[1], "exec-limited") == 0)
		return memlimit_exec(argc, argv);
	fprintf(stderr, "tunerd-worker: unknown command \"%s\"\n", argv[1]);
	return usage(stderr, 2);
}
