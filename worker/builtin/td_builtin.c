/*
 * td_builtin.c - a test driver (not installed): runs a built-in algorithm
 * the way tunerd-worker does, without the worker.
 *
 *   td-builtin mlp --epochs 5 --batch_size 128 ...
 *
 * Reads the same SM_* environment; the exit code is builtin_main()'s.
 */
#include <stdio.h>

#include "ml.h"

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: td-builtin ALGO [--name value ...]\n");
		return 2;
	}
	return builtin_main(argc - 1, argv + 1);
}
