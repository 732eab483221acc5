/*
 * main.c - tunerd-worker's command line.
 *
 *   tunerd-worker train --job-dir DIR [--grace SECONDS] [--log-limit BYTES]
 *                       [--cpus N] [-v]
 *   tunerd-worker builtin ALGORITHM [--name value ...]
 *   tunerd-worker serve ...              (serve.c, the serving work)
 *   tunerd-worker --help | --version
 *
 * Owns process-wide setup only: SIGPIPE ignored, RLIMIT_CORE 0 (inherited by the
 * program: a crashing training script must not fill the disk with cores),
 * child-subreaper status (orphans of the program are ours to reap) and
 * libcurl's global state. Exit codes: 0 job finished (any outcome, see
 * status.json), 1 the job directory was unusable, 2 usage.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "logcap.h"
#include "serve.h"
#include "util.h"
#include "worker.h"

#ifdef WORKER_HAVE_BUILTIN
#include "ml.h"
#endif

static const char usage_text[] =
"usage: tunerd-worker train --job-dir DIR [--grace SECONDS] [--log-limit BYTES]\n"
"                           [--cpus N] [-v]\n"
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
"  -v                 more detail in the worker's own log (stderr)\n"
"builtin  run a built-in algorithm as a training program (the worker does\n"
"         this itself for TrainingImage builtin:ALGORITHM)\n"
"serve    serve a model for an endpoint instance (GET /ping, POST\n"
"         /invocations); see serve.h\n"
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
	    LOGCAP_DEFAULT_LIMIT, 0, 0 };
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
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		log_warnx("curl_global_init failed; http(s) channels will fail");
	rc = worker_train(&o);
	curl_global_cleanup();
	return rc;
}

static int
cmd_builtin(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "tunerd-worker: builtin needs an ALGORITHM\n");
		return usage(stderr, 2);
	}
	/* Metrics are scraped from a pipe: hand lines over as they come. */
	setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef WORKER_HAVE_BUILTIN
	return builtin_main(argc - 2, argv + 2);
#else
	fprintf(stderr, "tunerd-worker: built-in algorithms are not part of "
	    "this build\n");
	return 1;
#endif
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
	if (strcmp(argv[1], "builtin") == 0)
		return cmd_builtin(argc, argv);
	if (strcmp(argv[1], "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	fprintf(stderr, "tunerd-worker: unknown command \"%s\"\n", argv[1]);
	return usage(stderr, 2);
}
