/*
 * builtin.c - entry of the built-in algorithms: builtin_main() picks the
 * program by name, and the failure report they all share.
 *
 * Owns: the table of algorithms and the output/failure file. Never reads
 * data or hyperparameters itself.
 */
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "ml.h"
#include "util.h"

/* OpenBLAS' own call; declared here since not every cblas.h has it. */
void openblas_set_num_threads(int n);

static const struct {
	const char	*name;
	int		(*main)(int, char **);
} builtin_algos[] = {
	{ "mlp", builtin__mlp_main },
};

#define N_ALGOS (sizeof(builtin_algos) / sizeof(builtin_algos[0]))

int
builtin__fail(const char *fmt, ...)
{
	char msg[2048], path[PATH_MAX], dir[PATH_MAX];
	const char *out = getenv("SM_OUTPUT_DATA_DIR"), *parent;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 2)
		n = (int)sizeof(msg) - 2;
	fflush(stdout);
	fprintf(stderr, "%s\n", msg);
	if (out == NULL || *out == '\0' ||
	    (size_t)snprintf(dir, sizeof(dir), "%s", out) >= sizeof(dir))
		return 1;
	/* output/data -> output/failure, by name: data may not exist yet. */
	parent = dirname(dir);
	if ((size_t)snprintf(path, sizeof(path), "%s/failure", parent) >=
	    sizeof(path))
		return 1;
	msg[n++] = '\n';
	(void)td_mkdir_p(parent, 0755);
	if (td_write_file_atomic(path, msg, (size_t)n) != 0)
		fprintf(stderr, "cannot write %s\n", path);
	return 1;
}

int
builtin_main(int argc, char **argv)
{
	size_t k;

	/* One trainer per core: never let BLAS start threads of its own. */
	openblas_set_num_threads(1);
	for (k = 0; argc > 0 && k < N_ALGOS; k++)
		if (strcmp(argv[0], builtin_algos[k].name) == 0)
			return builtin_algos[k].main(argc, argv);
	return builtin__fail("unknown built-in algorithm '%s'; allowed: mlp",
	    argc > 0 ? argv[0] : "");
}
