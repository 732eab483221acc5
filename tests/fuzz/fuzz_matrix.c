/*
 * fuzz_matrix.c - the built-in algorithms' matrix readers (worker/builtin:
 * ml_matrix_parse_npy, _csv, _json) under arbitrary bytes. These read
 * users' training data and every InvokeEndpoint body of a built-in model.
 *
 * Input: the first byte picks the reader (0: .npy, 1: CSV, 2: JSON, by
 * value modulo 3), the rest is the file. Checks (abort on failure): a
 * success is a non-empty rows x cols matrix of finite numbers whose size
 * does not exceed what the input could encode; a failure leaves an
 * empty matrix and a message.
 *
 * Built with -DTD_LIBFUZZER -fsanitize=fuzzer it is a libFuzzer target;
 * otherwise tests/fuzz/replay.c supplies main().
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_matrix: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_matrix m = { 0 };
	char err[512] = "";
	char *body;
	size_t i, n;
	int rc, kind;

	if (size < 1 || size > 1024 * 1024)
		return 0;
	kind = data[0] % 3;
	n = size - 1;
	/* An exact-size copy (no NUL) so ASan sees any read past the end. */
	if ((body = malloc(n ? n : 1)) == NULL)
		abort();
	memcpy(body, data + 1, n);
	rc = kind == 0 ? ml_matrix_parse_npy(body, n, &m, err, sizeof(err)) :
	    kind == 1 ? ml_matrix_parse_csv(body, n, &m, err, sizeof(err)) :
	    ml_matrix_parse_json(body, n, &m, err, sizeof(err));
	if (rc == 0) {
		check(m.rows > 0 && m.cols > 0 && m.data != NULL, "empty success");
		/* Each value takes at least one byte of input. */
		check(m.rows <= n && m.cols <= n && m.rows * m.cols <= n,
		    "more values than the input holds");
		for (i = 0; i < m.rows * m.cols; i++)
			check(isfinite(m.data[i]), "non-finite value accepted");
	} else {
		check(rc < 0, "failure code not negative");
		check(err[0] != '\0', "failure without a message");
		check(m.data == NULL, "failure left data");
	}
	ml_matrix_free(&m);
	free(body);
	return 0;
}
