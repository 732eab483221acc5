/*
 * fuzz_scrape.c - the metric scraper (worker/scrape.h) under arbitrary
 * program output, and under arbitrary regexes.
 *
 * Input: byte 0 picks the chunk size the output is fed in (1..256, so
 * lines split across reads are covered); if byte 1 is odd, the first
 * line of the rest is a MetricDefinitions regex (as a user could send;
 * scrape_new() must accept it or fail with a message), else fixed
 * Keras/XGBoost-style definitions are used. The rest is the program's
 * output, fed with scrape_feed() then scrape_flush().
 *
 * Checks (abort on failure): every reported metric has one of the
 * definitions' names, and a rejected regex comes with a message.
 *
 * Built with -DTD_LIBFUZZER -fsanitize=fuzzer it is a libFuzzer target;
 * otherwise tests/fuzz/replay.c supplies main().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_scrape: %s\n", what);
		abort();
	}
}

struct seen {
	const struct td_metric_def *defs;
	size_t	 n;
	size_t	 count;
};

static void
on_metric(const char *name, double value, void *arg)
{
	struct seen *s = arg;
	size_t i;

	(void)value;
	for (i = 0; i < s->n; i++)
		if (strcmp(name, s->defs[i].name) == 0)
			break;
	check(i < s->n, "metric with an unknown name");
	s->count++;
}

static char n_loss[] = "loss", n_val[] = "val_loss", n_acc[] = "accuracy",
    n_rmse[] = "validation:rmse", n_all[] = "whole", n_user[] = "user";
static char r_loss[] = " loss: ([0-9\\.]+)",
    r_val[] = " val_loss: ([0-9\\.]+)",
    r_acc[] = "acc(?:uracy)?[=:] *([-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)",
    r_rmse[] = ".*\\[[0-9]+\\].*#011validation-rmse:([-+]?[0-9]*\\.?[0-9]+)",
    r_all[] = "[0-9]+\\.[0-9]+";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_metric_def fixed[] = {
		{ n_loss, r_loss }, { n_val, r_val }, { n_acc, r_acc },
		{ n_rmse, r_rmse }, { n_all, r_all },
	};
	struct td_metric_def user[1];
	struct seen seen = { 0 };
	struct scrape *sc = NULL;
	const char *out;
	char err[512] = "", *regex = NULL;
	size_t chunk, len, off, k;
	int rc;

	if (size < 2 || size > 512 * 1024)
		return 0;
	chunk = (size_t)data[0] + 1;
	out = (const char *)data + 2;
	len = size - 2;
	if (data[1] & 1) {
		const char *nl = memchr(out, '\n', len);
		size_t rl = nl ? (size_t)(nl - out) : len;

		/* proto/ allows 1..500 characters. */
		if (rl == 0 || rl > 500)
			return 0;
		if ((regex = malloc(rl + 1)) == NULL)
			abort();
		memcpy(regex, out, rl);
		regex[rl] = '\0';
		user[0].name = n_user;
		user[0].regex = regex;
		seen.defs = user;
		seen.n = 1;
		out += nl ? rl + 1 : rl;
		len -= nl ? rl + 1 : rl;
	} else {
		seen.defs = fixed;
		seen.n = sizeof(fixed) / sizeof(fixed[0]);
	}
	rc = scrape_new(seen.defs, seen.n, &sc, err, sizeof(err));
	if (rc != 0) {
		check(sc == NULL && err[0] != '\0', "bad regex without a message");
		free(regex);
		return 0;
	}
	for (off = 0; off < len; off += k) {
		k = len - off < chunk ? len - off : chunk;
		scrape_feed(sc, out + off, k, on_metric, &seen);
	}
	scrape_flush(sc, on_metric, &seen);
	scrape_free(sc);
	free(regex);
	return 0;
}
