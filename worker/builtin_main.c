/*
 * builtin_main.c - tunerd-builtin's command line: the built-in algorithms
 * and the model server, kept out of tunerd-worker.
 *
 *   tunerd-builtin builtin ALGORITHM [--name value ...]
 *   tunerd-builtin serve ...              (serve.c)
 *   tunerd-builtin --help | --version
 *
 * Owns nothing but dispatch. This binary carries the heavy libraries
 * (OpenBLAS and its thread pool, libarchive, libuv) so that tunerd-worker,
 * which supervises every training job, loads none of them: the worker runs
 * this binary as the program of a builtin:<algo> job, and `tunerd-worker
 * builtin|serve` exec it with the same arguments. Exit status: the
 * algorithm's or the server's, 2 for usage errors.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "ml.h"
#include "serve.h"

static const char usage_text[] =
"usage: tunerd-builtin builtin ALGORITHM [--name value ...]\n"
"       tunerd-builtin serve --model PATH [--port N] [--host ADDR]\n"
"       tunerd-builtin serve --exec --model-dir DIR [--model PATH] --image IMAGE\n"
"       tunerd-builtin --help | --version\n"
"\n"
"builtin  run a built-in algorithm as a training program (tunerd-worker\n"
"         runs this for TrainingImage builtin:ALGORITHM)\n"
"serve    serve a model for an endpoint instance (GET /ping, POST\n"
"         /invocations)\n"
"`tunerd-worker builtin ...` and `tunerd-worker serve ...` run this binary.\n";

int
main(int argc, char **argv)
{
	log_init("tunerd-builtin", 0);
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("tunerd-builtin %s\n", TUNERD_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "builtin") == 0) {
		if (argc < 3) {
			fprintf(stderr, "tunerd-builtin: builtin needs an "
			    "ALGORITHM\n");
			fputs(usage_text, stderr);
			return 2;
		}
		/* Metrics are scraped from a pipe: hand lines over as they come. */
		setvbuf(stdout, NULL, _IOLBF, 0);
		return builtin_main(argc - 2, argv + 2);
	}
	if (strcmp(argv[1], "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	fprintf(stderr, "tunerd-builtin: unknown command \"%s\"\n", argv[1]);
	fputs(usage_text, stderr);
	return 2;
}
