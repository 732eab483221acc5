/*
 * suite.c - td-search-suite: a fast in-process quality benchmark of the
 * search strategies on synthetic tasks, under optbench's batch protocols.
 *
 * Owns its task definitions only. It complements the optbench harness
 * (the reference) with tasks the harness does not ship: categoricals,
 * ReverseLogarithmic and Auto scalings, integers on a log scale, higher
 * dimensions with few active parameters, failing trials, rugged surfaces.
 * The score is Bayesmark's: 100 (1 - (min(S, clip) - opt) / (clip - opt)),
 * clip = the median loss of 4000 random points. Prints figures only.
 *   td-search-suite [--strategy S] [--budget B] [--batch Q] [--seeds N]
 *                   [--seed-start K] [--async] [--task NAME]...
 * --async runs the daemon's way: Q trials in flight, one new suggestion
 * per finished trial with the others pending.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "search.h"

#define MAXD	20

struct task {
	const char		*name;
	size_t			 d;
	struct search_param	 p[MAXD];
	double			 (*f)(const double *x);
	double			 opt;
};

static const char *const opt3[] = { "sgd", "adam", "rmsprop" };
static const char *const act3[] = { "relu", "tanh", "sigmoid" };
static const char *const names[MAXD] = { "x1", "x2", "x3", "x4", "x5", "x6",
	"x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16",
	"x17", "x18", "x19", "x20" };

static double
branin(const double *x)
{
	double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
	double a = x[1] - b * x[0] * x[0] + c * x[0] - 6;

	return a * a + 10 * (1 - t) * cos(x[0]) + 10;
}

static double
hartmann(const double *x, size_t d)
{
	static const double al[4] = { 1.0, 1.2, 3.0, 3.2 };
	static const double A6[4][6] = { { 10, 3, 17, 3.5, 1.7, 8 },
	    { 0.05, 10, 17, 0.1, 8, 14 }, { 3, 3.5, 1.7, 10, 17, 8 },
	    { 17, 8, 0.05, 10, 0.1, 14 } };
	static const double P6[4][6] = { { 1312, 1696, 5569, 124, 8283, 5886 },
	    { 2329, 4135, 8307, 3736, 1004, 9991 },
	    { 2348, 1451, 3522, 2883, 3047, 6650 },
	    { 4047, 8828, 8732, 5743, 1091, 381 } };
	static const double A3[4][3] = { { 3, 10, 30 }, { 0.1, 10, 35 },
	    { 3, 10, 30 }, { 0.1, 10, 35 } };
	static const double P3[4][3] = { { 3689, 1170, 2673 },
	    { 4699, 4387, 7470 }, { 1091, 8732, 5547 }, { 381, 5743, 8828 } };
	double s = 0, e, t;
	size_t i, j;

	for (i = 0; i < 4; i++) {
		e = 0;
		for (j = 0; j < d; j++) {
			double a = d == 6 ? A6[i][j] : A3[i][j];
			double p = 1e-4 * (d == 6 ? P6[i][j] : P3[i][j]);

			t = x[j] - p;
			e += a * t * t;
		}
		s -= al[i] * exp(-e);
	}
	return s;
}

static double h6(const double *x) { return hartmann(x, 6); }
static double h3(const double *x) { return hartmann(x, 3); }

static double
rosen4(const double *x)
{
	double s = 0;
	size_t i;

	for (i = 0; i < 3; i++)
		s += 100 * pow(x[i + 1] - x[i] * x[i], 2) + pow(1 - x[i], 2);
	return s / 100;
}

static double
ackley5(const double *x)
{
	static const double sh[5] = { 9.7, -14.2, 5.3, 21.6, -7.9 };
	double a = 0, b = 0, z;
	size_t i;

	for (i = 0; i < 5; i++) {
		z = x[i] - sh[i];
		a += z * z;
		b += cos(2 * M_PI * z);
	}
	return -20 * exp(-0.2 * sqrt(a / 5)) - exp(b / 5) + 20 + M_E;
}

static double
hpo3(const double *x)
{
	double z = log10(x[0]), e = (x[1] - 10) / 40, b = (x[2] - 64) / 192;
	double zs = -2.8 + 0.8 * b - 0.5 * e + 0.6 * (b - 0.5) * (b - 0.5);
	double d = z - zs, m = d - 0.5 > 0 ? d - 0.5 : 0;

	return 0.1 + (1 + 0.5 * e) * d * d + 2 * m * m + 0.5 * (e - 0.8) *
	    (e - 0.8) + 0.2 * (b - 0.15) * (b - 0.15);
}

/* hpo3 whose training diverges (a failed trial) when lr is too large. */
static double
hpo3_fail(const double *x)
{
	double e = (x[1] - 10) / 40;

	if (log10(x[0]) > -1.5 - 0.5 * e)
		return NAN;
	return hpo3(x);
}

/* hpo3 whose diverged runs report a huge loss instead of failing. */
static double
hpo3_div(const double *x)
{
	double e = (x[1] - 10) / 40, z = log10(x[0]);

	if (z > -1.5 - 0.5 * e)
		return 1e6 * exp(10 * (z + 1.5 + 0.5 * e));
	return hpo3(x);
}

/* Branin on infrastructure that fails 10% of the runs at random (a hash
 * of the point, so runs are reproducible). */
static double
branin_flaky(const double *x)
{
	uint64_t h;

	memcpy(&h, &x[0], sizeof(h));
	h ^= 0x9e3779b97f4a7c15ULL * (h >> 7);
	{
		uint64_t g;

		memcpy(&g, &x[1], sizeof(g));
		h = (h ^ g) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	return h % 10 == 0 ? NAN : branin(x);
}

/* A shifted, tilted quadratic bowl in 20 dimensions. */
static double
bowl20(const double *x)
{
	double s = 0, z;
	size_t i;

	for (i = 0; i < 20; i++) {
		z = x[i] - (0.3 + 0.02 * (double)i);
		s += (1 + 0.2 * (double)i) * z * z;
	}
	return s;
}

static double
styblinski8(const double *x)
{
	double s = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		s += pow(x[i], 4) - 16 * x[i] * x[i] + 5 * x[i];
	return s / 2;
}

static double
levy6(const double *x)
{
	double w[6], s;
	size_t i;

	for (i = 0; i < 6; i++)
		w[i] = 1 + (x[i] - 1) / 4;
	s = pow(sin(M_PI * w[0]), 2);
	for (i = 0; i < 5; i++)
		s += pow(w[i] - 1, 2) * (1 + 10 * pow(sin(M_PI * w[i] + 1), 2));
	return s + pow(w[5] - 1, 2) * (1 + pow(sin(2 * M_PI * w[5]), 2));
}

static double
camel(const double *x)
{
	double a = x[0], b = x[1];

	return (4 - 2.1 * a * a + pow(a, 4) / 3) * a * a + a * b +
	    (-4 + 4 * b * b) * b * b;
}

static double
rastrigin4(const double *x)
{
	static const double sh[4] = { 1.3, -2.1, 0.7, 2.9 };
	double s = 40, z;
	size_t i;

	for (i = 0; i < 4; i++) {
		z = x[i] - sh[i];
		s += z * z - 10 * cos(2 * M_PI * z);
	}
	return s;
}

/* 12 parameters, two of which matter (Branin on x3, x7). */
static double
branin12(const double *x)
{
	double y[2] = { 15 * x[2] - 5, 15 * x[6] }, s = 0;
	size_t i;

	for (i = 0; i < 12; i++)
		if (i != 2 && i != 6)
			s += 0.01 * (x[i] - 0.5) * (x[i] - 0.5);
	return branin(y) + s;
}

/* A mixed HPO-like loss (an "accuracy" 1 - loss would be maximised):
 * lr (log), momentum (revlog), layers (int), width (int, log), optimizer
 * and activation (categorical), dropout (Auto -> linear). Optimum 0. */
static double
mixed7(const double *x)
{
	static const double zopt[3] = { -1.5, -3.2, -2.8 };
	static const double off[3] = { 0.05, 0, 0.08 };
	static const double actp[3] = { 0, 0.1, 0.4 };
	int o = (int)x[4], a = (int)x[5];
	double z = log10(x[0]) - zopt[o], m = log10(1 - x[1]) + 2;
	double w = log2(x[3]) - 8;

	return off[o] + z * z + (o == 0 ? 0.3 : 0.02) * m * m +
	    0.05 * (x[2] - 4) * (x[2] - 4) + 0.08 * w * w + actp[a] +
	    2 * (x[6] - 0.2) * (x[6] - 0.2);
}

#define C(lo, hi)	{ NULL, SEARCH_CONTINUOUS, SEARCH_LINEAR, lo, hi, NULL, 0 }
#define CS(lo, hi, s)	{ NULL, SEARCH_CONTINUOUS, s, lo, hi, NULL, 0 }
#define IN(lo, hi, s)	{ NULL, SEARCH_INTEGER, s, lo, hi, NULL, 0 }
#define K(v)		{ NULL, SEARCH_CATEGORICAL, SEARCH_AUTO, 0, 0, v, 3 }

static struct task tasks[] = {
	{ "branin", 2, { C(-5, 10), C(0, 15) }, branin, 0.397887357729738 },
	{ "hartmann6", 6, { C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1),
	    C(0, 1) }, h6, -3.32236801141551 },
	{ "rosenbrock4", 4, { C(-2, 2), C(-2, 2), C(-2, 2), C(-2, 2) }, rosen4,
	    0 },
	{ "ackley5", 5, { C(-32.768, 32.768), C(-32.768, 32.768),
	    C(-32.768, 32.768), C(-32.768, 32.768), C(-32.768, 32.768) },
	    ackley5, 0 },
	{ "hpo-synth3", 3, { CS(1e-4, 1, SEARCH_LOG), IN(10, 50, SEARCH_LINEAR),
	    IN(64, 256, SEARCH_LINEAR) }, hpo3, 0.1000002 },
	{ "hartmann3", 3, { C(0, 1), C(0, 1), C(0, 1) }, h3, -3.86278214782076 },
	{ "styblinski8", 8, { C(-5, 5), C(-5, 5), C(-5, 5), C(-5, 5), C(-5, 5),
	    C(-5, 5), C(-5, 5), C(-5, 5) }, styblinski8, -39.16616570377142 * 8 },
	{ "levy6", 6, { C(-10, 10), C(-10, 10), C(-10, 10), C(-10, 10),
	    C(-10, 10), C(-10, 10) }, levy6, 0 },
	{ "camel", 2, { C(-3, 3), C(-2, 2) }, camel, -1.031628453489877 },
	{ "rastrigin4", 4, { C(-5.12, 5.12), C(-5.12, 5.12), C(-5.12, 5.12),
	    C(-5.12, 5.12) }, rastrigin4, 0 },
	{ "branin12", 12, { C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1),
	    C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1) },
	    branin12, 0.397887357729738 },
	{ "mixed7", 7, { CS(1e-5, 1, SEARCH_LOG), CS(0.5, 0.999, SEARCH_REVLOG),
	    IN(1, 8, SEARCH_LINEAR), IN(16, 1024, SEARCH_LOG), K(opt3), K(act3),
	    CS(0, 0.7, SEARCH_AUTO) }, mixed7, 0 },
	{ "hpo3-fail", 3, { CS(1e-4, 1, SEARCH_LOG), IN(10, 50, SEARCH_LINEAR),
	    IN(64, 256, SEARCH_LINEAR) }, hpo3_fail, 0.1000002 },
	{ "hpo3-linlr", 3, { CS(1e-4, 1, SEARCH_LINEAR),
	    IN(10, 50, SEARCH_LINEAR), IN(64, 256, SEARCH_LINEAR) }, hpo3,
	    0.1000002 },
	{ "bowl20", 20, { C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1),
	    C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1),
	    C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1), C(0, 1),
	    C(0, 1) }, bowl20, 0 },
	{ "branin-flaky", 2, { C(-5, 10), C(0, 15) }, branin_flaky,
	    0.397887357729738 },
	{ "hpo3-div", 3, { CS(1e-4, 1, SEARCH_LOG), IN(10, 50, SEARCH_LINEAR),
	    IN(64, 256, SEARCH_LINEAR) }, hpo3_div, 0.1000002 },
};
#define N_TASKS	(sizeof(tasks) / sizeof(tasks[0]))

static double
loss(const struct task *t, const double *x)
{
	double v = t->f(x);

	return isfinite(v) ? v : INFINITY;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median loss of 4000 random points (Random strategy, fixed seed). */
static double
clip_of(const struct task *t)
{
	struct search_space sp = { t->p, t->d };
	enum { N = 4000 };
	double *X = malloc(N * t->d * sizeof(double)), *L = malloc(N *
	    sizeof(double)), m;
	size_t i;

	if (X == NULL || L == NULL ||
	    search_suggest(SEARCH_RANDOM, &sp, 12345, 0, NULL, 0, NULL, 0, N,
	    X) < 0)
		exit(1);
	for (i = 0; i < N; i++)
		L[i] = loss(t, X + i * t->d);
	qsort(L, N, sizeof(double), cmp_double);
	m = L[N / 2];
	free(X);
	free(L);
	return m;
}

/* Synchronous rounds: ask q, evaluate all, tell all. */
static double
run(const struct task *t, enum search_strategy st, uint64_t seed,
    size_t budget, size_t q)
{
	struct search_space sp = { t->p, t->d };
	struct search_obs *obs = calloc(budget, sizeof(*obs));
	double *X = calloc(budget * t->d, sizeof(double)), best = INFINITY;
	size_t n = 0, k, m;

	if (obs == NULL || X == NULL)
		exit(1);
	while (n < budget) {
		m = budget - n < q ? budget - n : q;
		if (search_suggest(st, &sp, seed, n, obs, n, NULL, 0, m,
		    X + n * t->d) < 0) {
			fprintf(stderr, "%s: search_suggest failed\n", t->name);
			exit(1);
		}
		for (k = 0; k < m; k++, n++) {
			obs[n].x = X + n * t->d;
			obs[n].y = t->f(obs[n].x);
			if (isfinite(obs[n].y) && obs[n].y < best)
				best = obs[n].y;
			if (!isfinite(obs[n].y))
				obs[n].y = NAN;
		}
	}
	free(obs);
	free(X);
	return best;
}

/* Asynchronous, as the daemon runs a tuning job: q trials in flight; when
 * the oldest finishes, one new point is asked with the other q - 1
 * running ones as pending. */
static double
run_async(const struct task *t, enum search_strategy st, uint64_t seed,
    size_t budget, size_t q)
{
	struct search_space sp = { t->p, t->d };
	struct search_obs *obs = calloc(budget, sizeof(*obs));
	double *X = calloc(budget * t->d, sizeof(double)), best = INFINITY;
	double *Xo = calloc(budget * t->d, sizeof(double));
	size_t asked, done = 0, k, d = t->d;

	if (obs == NULL || X == NULL || Xo == NULL)
		exit(1);
	asked = q < budget ? q : budget;
	if (search_suggest(st, &sp, seed, 0, NULL, 0, NULL, 0, asked, X) < 0)
		exit(1);
	/* X holds the points in ask order; X[done..asked) are running. */
	while (done < budget) {
		memcpy(Xo + done * d, X + done * d, d * sizeof(double));
		obs[done].x = Xo + done * d;
		obs[done].y = t->f(obs[done].x);
		if (isfinite(obs[done].y) && obs[done].y < best)
			best = obs[done].y;
		if (!isfinite(obs[done].y))
			obs[done].y = NAN;
		done++;
		if (asked < budget) {
			k = asked - done;
			if (search_suggest(st, &sp, seed, asked, obs, done,
			    X + done * d, k, 1, X + asked * d) < 0)
				exit(1);
			asked++;
		}
	}
	free(obs);
	free(X);
	free(Xo);
	return best;
}

int
main(int argc, char **argv)
{
	enum search_strategy st = SEARCH_BAYESIAN;
	size_t budget = 128, q = 8, seeds = 5, seed0 = 0, i, s, nsel = 0;
	int async = 0;
	const char *sel[N_TASKS];
	double total = 0, t0, *per_seed;
	struct timespec ts;
	int ntask = 0;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--async") == 0) {
			async = 1;
			continue;
		}
		if (i + 1 >= (size_t)argc)
			goto usage;
		if (strcmp(argv[i], "--strategy") == 0) {
			if (search_strategy_parse(argv[++i], &st) != 0)
				goto usage;
		} else if (strcmp(argv[i], "--budget") == 0) {
			budget = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--batch") == 0) {
			q = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--seeds") == 0) {
			seeds = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--seed-start") == 0) {
			seed0 = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--task") == 0 && nsel < N_TASKS) {
			sel[nsel++] = argv[++i];
		} else {
			goto usage;
		}
	}
	if (budget == 0 || q == 0 || seeds == 0)
		goto usage;
	openblas_set_num_threads(1);
	if ((per_seed = calloc(seeds, sizeof(double))) == NULL)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
	for (i = 0; i < N_TASKS; i++) {
		struct task *t = &tasks[i];
		double clip, sum = 0, sc;
		size_t j, k;

		for (k = 0, j = nsel ? 0 : 1; k < nsel; k++)
			j |= strcmp(sel[k], t->name) == 0;
		if (!j)
			continue;
		for (j = 0; j < t->d; j++)
			t->p[j].name = names[j];
		clip = clip_of(t);
		printf("%-12s", t->name);
		for (s = 0; s < seeds; s++) {
			double b = (async ? run_async : run)(t, st,
			    1000003 * (seed0 + s) + i, budget, q);

			b = b < clip ? b : clip;
			sc = 100 * (1 - (b - t->opt) / (clip - t->opt));
			sum += sc;
			per_seed[s] += sc;
			printf(" %5.1f", sc);
		}
		printf("  | %5.1f\n", sum / (double)seeds);
		fflush(stdout);
		total += sum / (double)seeds;
		ntask++;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ntask > 0) {
		double m = total / ntask, v = 0;

		for (s = 0; s < seeds; s++) {
			double d = per_seed[s] / ntask - m;

			v += d * d;
		}
		printf("%s%s budget %zu batch %zu: mean %.1f +- %.1f over %d tasks "
		    "x %zu seeds (%.1f s)\n", search_strategy_name(st),
		    async ? " async" : "", budget, q,
		    m, seeds > 1 ? sqrt(v / (double)(seeds - 1) / (double)seeds) :
		    0.0, ntask, seeds, (double)ts.tv_sec + 1e-9 *
		    (double)ts.tv_nsec - t0);
	}
	free(per_seed);
	return 0;
usage:
	fprintf(stderr, "usage: td-search-suite [--strategy S] [--budget B] "
	    "[--batch Q] [--seeds N] [--seed-start K] [--async] "
	    "[--task NAME]...\n");
	return 2;
}
