/*
 * latency.c - td-search-latency: suggestion latency of the Bayesian
 * strategy, p50 and p99 of one call asking for one point, at 10, 100, 300
 * and 1000 observations x 3 and 10 dimensions x 0 and 8 pending points.
 * OpenBLAS is pinned to one thread. "cold": search_suggest() with the
 * same observations every time (no cache: a refit and a full factor per
 * call, as after a daemon restart). "warm": search_suggest_cached() as a
 * tuning job uses it, one new observation per ask, from n to n + reps - 1;
 * its mean includes the refits that fall in that window (one every ~10%
 * of n).
 *
 * Without arguments it runs the table twice, in child processes started
 * with posix_spawn: once with the environment as given and once with
 * OPENBLAS_CORETYPE=Haswell (read by OpenBLAS when it loads). Prints
 * figures only; never fails on time.
 *   td-search-latency [--table] [--reps-scale X]
 */
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "search.h"

extern char **environ;

#define WARM	40	/* warm asks per row */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A smooth, multimodal test function on the native box [0, 1]^d. */
static double
objective(const double *x, size_t d)
{
	double s = 0;
	size_t i;

	for (i = 0; i < d; i++)
		s += sin(5 * x[i] + i) + 2 * (x[i] - 0.3) * (x[i] - 0.3);
	return s;
}

static void
one(size_t d, size_t n_obs, size_t n_pend, double reps_scale)
{
	struct search_param p[10];
	struct search_space sp = { p, d };
	static char names[10][24];
	struct search_obs *obs;
	struct search_cache *cache;
	double *X, *t, out[10], *pend, tw[WARM], wsum;
	size_t i, reps, r;

	for (i = 0; i < d; i++) {
		snprintf(names[i], sizeof(names[i]), "x%zu", i);
		p[i] = (struct search_param){ names[i], SEARCH_CONTINUOUS,
		    SEARCH_LINEAR, 0, 1, NULL, 0 };
	}
	X = malloc((n_obs + WARM + n_pend) * d * sizeof(double));
	obs = malloc((n_obs + WARM) * sizeof(*obs));
	reps = n_obs <= 10 ? 50 : n_obs <= 100 ? 30 : n_obs <= 300 ? 15 : 7;
	reps = (size_t)fmax(3, (double)reps * reps_scale);
	t = malloc(reps * sizeof(double));
	if (X == NULL || obs == NULL || t == NULL)
		exit(1);
	search_suggest(SEARCH_RANDOM, &sp, 42, 0, NULL, 0, NULL, 0,
	    n_obs + WARM + n_pend, X);
	for (i = 0; i < n_obs + WARM; i++) {
		obs[i].x = X + i * d;
		obs[i].y = objective(obs[i].x, d);
	}
	pend = X + (n_obs + WARM) * d;
	for (r = 0; r < reps; r++) {
		double t0 = now();

		if (search_suggest(SEARCH_BAYESIAN, &sp, 7, n_obs + n_pend + r,
		    obs, n_obs, pend, n_pend, 1, out) < 0)
			exit(1);
		t[r] = now() - t0;
	}
	/* Warm: prime the cache at n_obs - 1, then one new trial per ask. */
	if ((cache = search_cache_new()) == NULL ||
	    search_suggest_cached(SEARCH_BAYESIAN, &sp, 7, n_obs - 1, obs,
	    n_obs - 1, pend, n_pend, 1, out, cache) < 0)
		exit(1);
	for (r = 0, wsum = 0; r < WARM; r++) {
		double t0 = now();

		if (search_suggest_cached(SEARCH_BAYESIAN, &sp, 7, n_obs + r,
		    obs, n_obs + r, pend, n_pend, 1, out, cache) < 0)
			exit(1);
		tw[r] = now() - t0;
		wsum += tw[r];
	}
	search_cache_free(cache);
	qsort(tw, WARM, sizeof(double), cmp_double);
	qsort(t, reps, sizeof(double), cmp_double);
	printf("%6zu %5zu %8zu %10.1f %10.1f %5zu %10.2f %10.2f %10.2f\n",
	    n_obs, d, n_pend, 1e3 * t[reps / 2],
	    1e3 * t[(size_t)ceil(0.99 * (double)reps) - 1], reps,
	    1e3 * tw[WARM / 2], 1e3 * tw[WARM - 1], 1e3 * wsum / WARM);
	fflush(stdout);
	free(X);
	free(obs);
	free(t);
}

static void
table(double reps_scale)
{
	static const size_t nobs[] = { 10, 100, 300, 1000 };
	static const size_t dims[] = { 3, 10 };
	static const size_t pend[] = { 0, 8 };
	const char *ct = getenv("OPENBLAS_CORETYPE");
	size_t a, b, c;

	openblas_set_num_threads(1);
	printf("OPENBLAS_CORETYPE=%s (%s), 1 thread\n", ct ? ct : "(unset)",
	    openblas_get_corename());
	printf("%6s %5s %8s %10s %10s %5s %10s %10s %10s\n", "obs", "dims",
	    "pending", "cold p50", "cold p99", "reps", "warm p50", "warm max",
	    "warm mean");
	printf("(ms; warm: %d asks, one new observation each)\n", WARM);
	for (a = 0; a < sizeof(nobs) / sizeof(nobs[0]); a++)
		for (b = 0; b < sizeof(dims) / sizeof(dims[0]); b++)
			for (c = 0; c < sizeof(pend) / sizeof(pend[0]); c++)
				one(dims[b], nobs[a], pend[c], reps_scale);
}

/* Runs this program with --table under a modified environment. */
static int
child(const char *self, const char *coretype, const char *scale)
{
	char *argv[5] = { (char *)self, "--table", "--reps-scale",
	    (char *)scale, NULL };
	char **env, buf[64];
	size_t n = 0, i, k = 0;
	pid_t pid;
	int st;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 2, sizeof(*env))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "OPENBLAS_CORETYPE=", 18) != 0)
			env[k++] = environ[i];
	if (coretype != NULL) {
		snprintf(buf, sizeof(buf), "OPENBLAS_CORETYPE=%s", coretype);
		env[k++] = buf;
	}
	fflush(stdout);
	if (posix_spawn(&pid, self, NULL, NULL, argv, env) != 0) {
		free(env);
		return -1;
	}
	free(env);
	while (waitpid(pid, &st, 0) < 0)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	double scale = 1;
	const char *scale_s = "1";
	int i, tbl = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--table") == 0) {
			tbl = 1;
		} else if (strcmp(argv[i], "--reps-scale") == 0 && i + 1 < argc) {
			scale_s = argv[++i];
			scale = strtod(scale_s, NULL);
		} else {
			fprintf(stderr, "usage: td-search-latency [--table] "
			    "[--reps-scale X]\n");
			return 2;
		}
	}
	if (tbl) {
		table(scale);
		return 0;
	}
	rc = child("/proc/self/exe", NULL, scale_s);
	printf("\n");
	rc |= child("/proc/self/exe", "Haswell", scale_s);
	return rc == 0 ? 0 : 1;
}
