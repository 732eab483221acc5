/*
 * test_search_num.c - the numerics of daemon/search/: Matern kernel,
 * Cholesky solves, log marginal likelihood and its gradient, log-EI far
 * into the tail, Sobol points, the L-BFGS minimiser. Reference values were
 * computed offline with mpmath at 40 digits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "err.h"
#include "search_impl.h"
#include "t.h"

static const size_t grp2[2] = { 0, 1 };
static const size_t grp1[1] = { 0 };

static void
t_matern_values(void)
{
	struct search__gp gp;
	double th[4] = { log(2.0), log(1e-3), log(0.5), log(2.0) };
	double a[2] = { 0, 0 }, b[2] = { 0.3, 1.0 }, c[2] = { 0.3, 1.0 };
	double th1[3] = { 0, log(1e-3), 0 }, p = 0, q = 1;

	T_ASSERT(search__gp_init(&gp, 2, 2, grp2, 4) == 0);
	search__gp_set_theta(&gp, th);
	/* r^2 = (0.3/0.5)^2 + (1/2)^2 = 0.61 */
	T_NEAR(search__gp_kernel(&gp, a, b), 1.3125385820031529501, 1e-14);
	T_NEAR(search__gp_kernel(&gp, b, a), 1.3125385820031529501, 1e-14);
	T_NEAR(search__gp_kernel(&gp, b, c), 2.0, 1e-15);
	search__gp_free(&gp);
	T_ASSERT(search__gp_init(&gp, 1, 1, grp1, 4) == 0);
	search__gp_set_theta(&gp, th1);
	T_NEAR(search__gp_kernel(&gp, &p, &q), 0.52399410883182031059, 1e-15);
	search__gp_free(&gp);
}

static void
t_cholesky_solve(void)
{
	struct search__gp gp;
	/* sf2 = 1, l = 1, sn2 = 0.5: K = [[1.5, k], [k, 1.5]],
	 * k = k(1) = 0.52399410883182031059, y = (1, 2). */
	double th[3] = { 0, log(0.5), 0 }, X[2] = { 0, 1 }, y[2] = { 1, 2 };
	double g[3], *work = malloc(12 * sizeof(double));
	struct search__gp_prior pr;

	T_ASSERT(search__gp_init(&gp, 1, 1, grp1, 3) == 0);
	search__gp_set_theta(&gp, th);
	T_ASSERT(search__gp_load(&gp, X, y, 2) == 0);
	T_NEAR(gp.alpha[0], 0.22881688672487427443, 1e-13);
	T_NEAR(gp.alpha[1], 1.2534008662366186196, 1e-13);
	/* LML of the same system, with flat priors (huge sd). */
	memset(&pr, 0, sizeof(pr));
	pr.ls_sd = pr.sf_sd = pr.sn_sd = 1e150;
	T_NEAR(-search__gp_neg_log_post(&gp, &pr, th, g, work),
	    -3.5460794681136400081, 1e-6);
	free(work);
	search__gp_free(&gp);
}

/* Appending a point must give the same factor as loading it. */
static void
t_gp_append_matches_load(void)
{
	struct search__gp a, b;
	double th[4] = { 0.3, log(1e-4), log(0.3), log(0.7) };
	double X[10] = { .1, .2, .5, .9, .3, .3, .8, .1, .6, .6 };
	double y[5] = { 1, -1, 0.5, 2, 0 }, mu1, mu2, v1, v2, xs[2] = { .4, .5 };
	double w[8];
	size_t i;

	T_ASSERT(search__gp_init(&a, 2, 2, grp2, 5) == 0);
	T_ASSERT(search__gp_init(&b, 2, 2, grp2, 5) == 0);
	search__gp_set_theta(&a, th);
	search__gp_set_theta(&b, th);
	T_ASSERT(search__gp_load(&a, X, y, 5) == 0);
	T_ASSERT(search__gp_load(&b, X, y, 3) == 0);
	T_ASSERT(search__gp_append(&b, X + 6, y[3]) == 0);
	T_ASSERT(search__gp_append(&b, X + 8, y[4]) == 0);
	for (i = 0; i < 5; i++)
		T_NEAR(a.alpha[i], b.alpha[i], 1e-9);
	search__gp_predict(&a, xs, 1, &mu1, &v1, w);
	search__gp_predict(&b, xs, 1, &mu2, &v2, w);
	T_NEAR(mu1, mu2, 1e-10);
	T_NEAR(v1, v2, 1e-10);
	/* Interpolation: at a data point the mean is the target. */
	search__gp_predict(&a, X + 2, 1, &mu1, &v1, w);
	T_NEAR(mu1, y[1], 1e-3);
	T_ASSERT(v1 < 1e-3);
	search__gp_free(&a);
	search__gp_free(&b);
}

/* gp_sync's bordered appends against one full factorisation of all the
 * rows (an independent dpotrf on K + sn2 I): the factor, alpha and a
 * prediction must agree; and growing the factor call by call must give
 * the same bits as building it at once. */
static void
t_gp_sync_append_vs_full(void)
{
	enum { N = 60, BASE = 41 };
	struct search__gp a, b;
	struct search__rng r;
	double th[4] = { 0.2, log(1e-3), log(0.25), log(0.6) };
	double X[2 * N], y[N], K[N * N], al[N], mu1, mu2, v1, v2, w[2 * N];
	double xs[2] = { 0.37, 0.61 };
	size_t i, j, m;

	search__rng_seed(&r, 1, 2, 3);
	for (i = 0; i < 2 * N; i++)
		X[i] = search__rng_unif(&r);
	for (i = 0; i < N; i++)
		y[i] = sin(6 * X[2 * i]) + X[2 * i + 1];
	T_ASSERT(search__gp_init(&a, 2, 2, grp2, N) == 0);
	search__gp_set_theta(&a, th);
	for (j = 0; j < N; j++)
		for (i = 0; i < N; i++)
			K[j * N + i] = search__gp_kernel(&a, X + 2 * i, X + 2 * j) +
			    (i == j ? a.sn2 : 0);
	T_ASSERT(LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', N, K, N) == 0);
	memcpy(al, y, sizeof(al));
	T_ASSERT(LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', N, 1, K, N, al, N) == 0);
	T_ASSERT(search__gp_sync(&a, th, X, N, BASE) == 0);
	T_EQ_INT(a.n, N);
	T_ASSERT(a.jitter == 0);
	for (j = 0; j < N; j++)
		for (i = j; i < N; i++)
			T_NEAR(a.L[j * a.cap + i], K[j * N + i], 1e-10);
	search__gp_set_y(&a, y);
	for (i = 0; i < N; i++)
		T_NEAR(a.alpha[i], al[i], 1e-7 * (1 + fabs(al[i])));
	/* Grown one row per call from the base, in a GP of another cap. */
	T_ASSERT(search__gp_init(&b, 2, 2, grp2, BASE + 1) == 0);
	for (m = BASE; m <= N; m++) {
		if (m > b.cap)
			T_ASSERT(search__gp_reserve(&b, m + 3) == 0);
		T_ASSERT(search__gp_sync(&b, th, X, m, BASE) == 0);
	}
	for (j = 0; j < N; j++)
		for (i = j; i < N; i++)
			T_ASSERT(a.L[j * a.cap + i] == b.L[j * b.cap + i]);
	search__gp_set_y(&b, y);
	search__gp_predict(&a, xs, 1, &mu1, &v1, w);
	search__gp_predict(&b, xs, 1, &mu2, &v2, w);
	T_ASSERT(mu1 == mu2 && v1 == v2);
	/* Another theta or base, or a changed row, rebuilds. */
	X[2 * 50] += 0.01;
	T_ASSERT(search__gp_sync(&b, th, X, N, BASE) == 0);
	T_ASSERT(b.L[50 * b.cap + 50] != a.L[50 * a.cap + 50]);
	T_EQ_INT(search__gp_sync(&b, th, X, N, 0), TD_EINVAL);
	T_EQ_INT(search__gp_sync(&b, th, X, N + 100, BASE), TD_EINVAL);
	search__gp_free(&a);
	search__gp_free(&b);
}

/* A believer fantasy leaves the posterior mean unchanged and alpha gains a
 * zero; the variance at the fantasy drops to about the noise. */
static void
t_gp_append_mean(void)
{
	struct search__gp a;
	double th[4] = { 0.1, log(1e-4), log(0.3), log(0.5) };
	double X[8] = { .1, .2, .5, .9, .3, .3, .8, .1 }, y[4] = { 1, -1, .5, 2 };
	double f[2] = { .6, .6 }, xs[2] = { .55, .5 }, mu, m0, m1, v0, v1, w[8];

	T_ASSERT(search__gp_init(&a, 2, 2, grp2, 5) == 0);
	search__gp_set_theta(&a, th);
	T_ASSERT(search__gp_load(&a, X, y, 4) == 0);
	search__gp_predict(&a, xs, 1, &m0, &v0, w);
	T_ASSERT(search__gp_append_mean(&a, f, &mu) == 0);
	T_EQ_INT(a.n, 5);
	T_ASSERT(a.alpha[4] == 0);
	search__gp_predict(&a, xs, 1, &m1, &v1, w);
	T_NEAR(m1, m0, 1e-12);
	T_ASSERT(v1 < v0);
	search__gp_predict(&a, f, 1, &m1, &v1, w);
	T_NEAR(m1, mu, 1e-12);
	T_ASSERT(v1 < 1e-3);
	T_EQ_INT(search__gp_append_mean(&a, f, &mu), TD_EINVAL);	/* full */
	search__gp_free(&a);
}

/* The screening bound is never below the exact variance. */
static void
t_gp_var_bound(void)
{
	enum { N = 80 };
	struct search__gp a;
	struct search__rng r;
	double th[4] = { 0, log(1e-3), log(0.2), log(0.4) }, X[2 * N], y[N];
	double bw[6 * 6 + 12], w[N], x[2], mu, v, vb;
	size_t idx[6], i, t;

	search__rng_seed(&r, 9, 9, 9);
	for (i = 0; i < 2 * N; i++)
		X[i] = search__rng_unif(&r);
	for (i = 0; i < N; i++)
		y[i] = X[2 * i] - X[2 * i + 1];
	T_ASSERT(search__gp_init(&a, 2, 2, grp2, N) == 0);
	search__gp_set_theta(&a, th);
	T_ASSERT(search__gp_load(&a, X, y, N) == 0);
	for (t = 0; t < 200; t++) {
		x[0] = search__rng_unif(&r);
		x[1] = search__rng_unif(&r);
		search__gp_predict(&a, x, 1, &mu, &v, w);
		vb = search__gp_var_bound(&a, x, 6, bw, idx);
		T_ASSERT(vb >= v * (1 - 1e-9));
		T_ASSERT(vb <= a.sf2);
	}
	/* At a data point the nearest row is that point. */
	vb = search__gp_var_bound(&a, X + 10, 6, bw, idx);
	T_EQ_INT(idx[0], 5);
	T_ASSERT(vb < 0.01 * a.sf2);
	search__gp_free(&a);
}

/* The refit schedule: every n up to 20, then steps of 10%; monotone, never
 * above n, never more than 10% (+1) behind. */
static void
t_refit_schedule(void)
{
	static const size_t pts[] = { 20, 22, 24, 26, 28, 30, 33, 36, 39, 42,
	    46, 50 };
	size_t n, i, prev = 0, p;

	for (n = 0; n <= 20; n++)
		T_EQ_INT(search__refit_point(n), n);
	for (i = 0; i < sizeof(pts) / sizeof(pts[0]); i++)
		T_EQ_INT(search__refit_point(pts[i]), pts[i]);
	T_EQ_INT(search__refit_point(21), 20);
	T_EQ_INT(search__refit_point(32), 30);
	T_EQ_INT(search__refit_point(35), 33);
	for (n = 1; n < 20000; n++) {
		p = search__refit_point(n);
		T_ASSERT(p <= n && p >= prev);
		T_ASSERT(n - p <= p / 10 + 1);
		prev = p;
	}
}

/* The analytic gradients (LML w.r.t. theta; mean and variance w.r.t. x)
 * against central differences. */
static void
t_gp_gradients(void)
{
	struct search__gp gp;
	struct search__gp_prior pr;
	double X[14] = { .1, .2, .5, .9, .3, .3, .8, .1, .6, .6, .95, .4,
	    .2, .7 };
	double y[7] = { 1, -1, 0.5, 2, 0, -0.3, 0.8 };
	double th[4] = { 0.2, log(3e-3), log(0.3), log(0.6) }, g[4], g2[4];
	double t2[4], fp, fm, h = 1e-5, *work = malloc(3 * 49 * sizeof(double));
	double x[2] = { .45, .55 }, mu, var, dmu[2], dvar[2], m2, v2, dm2[2];
	double dv2[2], w[32];
	size_t j;

	T_ASSERT(search__gp_init(&gp, 2, 2, grp2, 7) == 0);
	search__gp_set_theta(&gp, th);
	T_ASSERT(search__gp_load(&gp, X, y, 7) == 0);
	pr.ls_mu = log(0.5); pr.ls_sd = 1; pr.sf_mu = 0; pr.sf_sd = 1;
	pr.sn_mu = log(1e-3); pr.sn_sd = 2;
	search__gp_neg_log_post(&gp, &pr, th, g, work);
	for (j = 0; j < 4; j++) {
		memcpy(t2, th, sizeof(th));
		t2[j] += h;
		fp = search__gp_neg_log_post(&gp, &pr, t2, g2, work);
		t2[j] -= 2 * h;
		fm = search__gp_neg_log_post(&gp, &pr, t2, g2, work);
		T_NEAR(g[j], (fp - fm) / (2 * h), 1e-5 * (1 + fabs(g[j])));
	}
	search__gp_set_theta(&gp, th);
	T_ASSERT(search__gp_load(&gp, X, y, 7) == 0);
	search__gp_predict_grad(&gp, x, &mu, &var, dmu, dvar, w);
	search__gp_predict(&gp, x, 1, &m2, &v2, w);
	T_NEAR(mu, m2, 1e-12);
	T_NEAR(var, v2, 1e-12);
	for (j = 0; j < 2; j++) {
		double xp[2] = { x[0], x[1] }, mp, vp, mm, vm;

		xp[j] += h;
		search__gp_predict_grad(&gp, xp, &mp, &vp, dm2, dv2, w);
		xp[j] -= 2 * h;
		search__gp_predict_grad(&gp, xp, &mm, &vm, dm2, dv2, w);
		T_NEAR(dmu[j], (mp - mm) / (2 * h), 1e-6);
		T_NEAR(dvar[j], (vp - vm) / (2 * h), 1e-6);
	}
	free(work);
	search__gp_free(&gp);
}

/* log(z Phi(z) + phi(z)) and its derivative Phi/h, mpmath at 40 digits. */
static void
t_log_ei_tail(void)
{
	static const struct { double z, lh, d; } ref[] = {
		{ 5, 1.6094379231264313851, 0.19999994053122004649 },
		{ 1, 0.080026218849306940029, 0.77663872520173925975 },
		{ 0, -0.91893853320467274178, 1.2533141373155002512 },
		{ -1, -2.4851210257126413368, 1.9042712333296918229 },
		{ -4.999, -16.738939816412740451, 5.3608762582673029914 },
		{ -5, -16.744301162660990143, 5.3618162412880885298 },
		{ -10, -55.553122036122355927, 10.194383033412553306 },
		{ -20, -206.91783850942509785, 20.099262811101281775 },
		{ -40, -808.29856835661996024, 40.049906657648518193 },
		{ -100, -5010.1295788002497923, 100.01999400419586505 },
		{ -1000, -500014.73445209115845, 1000.001999994000042 },
	};
	size_t i;
	double d, v;

	for (i = 0; i < sizeof(ref) / sizeof(ref[0]); i++) {
		v = search__log_h(ref[i].z, &d);
		T_ASSERT(isfinite(v) && isfinite(d));
		T_NEAR(v, ref[i].lh, 1e-10 * fabs(ref[i].lh) + 1e-14);
		T_NEAR(d, ref[i].d, 1e-9 * fabs(ref[i].d));
	}
	/* Asymptotics: h(-t) = phi(t) / t^2 (1 - 3/t^2 + 15/t^4 - 105/t^6
	 * + 945/t^8 ...), relative error of the truncation ~1e-11 at t = 40. */
	for (v = 20; v <= 1e4; v *= 2) {
		double t = v, s = 1 - 3 / (t * t) + 15 / pow(t, 4) -
		    105 / pow(t, 6) + 945 / pow(t, 8) - 10395 / pow(t, 10);
		double want = -0.5 * t * t - 0.91893853320467274178 -
		    2 * log(t) + log(s);

		T_NEAR(search__log_h(-t, NULL), want, 1e-8 * fabs(want));
	}
	/* Monotone increasing and continuous across the branch at -5. */
	T_ASSERT(search__log_h(-5.0000001, NULL) < search__log_h(-4.9999999,
	    NULL));
	T_NEAR(search__log_h(nextafter(-5, -10), NULL), search__log_h(-5, NULL),
	    1e-12);
	T_ASSERT(isnan(search__log_h(NAN, NULL)));
}

static void
t_sobol_plain(void)
{
	static const double want[8][2] = {
		{ 0, 0 }, { .5, .5 }, { .75, .25 }, { .25, .75 },
		{ .375, .375 }, { .875, .875 }, { .625, .125 }, { .125, .625 },
	};
	struct search__sobol s;
	double u[3];
	size_t i;

	T_ASSERT(search__sobol_init(&s, 2, NULL) == 0);
	for (i = 0; i < 8; i++) {
		search__sobol_point(&s, i, u);
		T_NEAR(u[0], want[i][0], 0);
		T_NEAR(u[1], want[i][1], 0);
	}
	search__sobol_free(&s);
	/* Third dimension (x^2 + x + 1, m = 1, 3): 0, .5, .25, .75. */
	T_ASSERT(search__sobol_init(&s, 3, NULL) == 0);
	search__sobol_point(&s, 2, u);
	T_NEAR(u[2], 0.25, 0);
	search__sobol_point(&s, 3, u);
	T_NEAR(u[2], 0.75, 0);
	search__sobol_point(&s, 7, u);
	T_NEAR(u[2], 0.375, 0);
	search__sobol_free(&s);
	T_ASSERT(search__sobol_init(&s, 0, NULL) == TD_EINVAL);
	T_ASSERT(search__sobol_init(&s, SEARCH__SOBOL_MAXDIM + 1, NULL) ==
	    TD_EINVAL);
}

/* Scrambled: the first 2^m points of every dimension still put exactly
 * one point in each interval [k/2^m, (k+1)/2^m), and every 2-D projection
 * of the first 64 points hits each cell of an 8x8 grid once. */
static void
t_sobol_scrambled_nets(void)
{
	struct search__sobol s;
	struct search__rng r;
	enum { D = 40, N = 64 };
	double u[N][D];
	int seen[N], cells[8][8];
	size_t i, d, e;

	search__rng_seed(&r, 7, 0, 0);
	T_ASSERT(search__sobol_init(&s, D, &r) == 0);
	for (i = 0; i < N; i++)
		search__sobol_point(&s, i, u[i]);
	for (d = 0; d < D; d++) {
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < N; i++) {
			T_ASSERT(u[i][d] >= 0 && u[i][d] < 1);
			seen[(int)(u[i][d] * N)]++;
		}
		for (i = 0; i < N; i++)
			T_EQ_INT(seen[i], 1);
	}
	/* Dimensions 1 and 2 form a (0,2)-sequence: 8x8 cells, one each. */
	memset(cells, 0, sizeof(cells));
	for (i = 0; i < N; i++)
		cells[(int)(u[i][0] * 8)][(int)(u[i][1] * 8)]++;
	for (d = 0; d < 8; d++)
		for (e = 0; e < 8; e++)
			T_EQ_INT(cells[d][e], 1);
	search__sobol_free(&s);
}

struct rb { int n; };

static double
rosen(void *ctx, const double *x, double *g)
{
	double a = 1 - x[0], b = x[1] - x[0] * x[0];

	((struct rb *)ctx)->n++;
	g[0] = -2 * a - 400 * x[0] * b;
	g[1] = 200 * b;
	return a * a + 100 * b * b;
}

static void
t_lbfgs(void)
{
	double x[2] = { -1.2, 1 }, lo[2] = { -2, -2 }, hi[2] = { 2, 2 };
	double w[200], f;
	struct rb c = { 0 };

	T_ASSERT(search__lbfgs_work(2, 6) <= 200);
	f = search__lbfgs(rosen, &c, 2, x, lo, hi, 6, 500, w);
	T_ASSERT(f < 1e-8);
	T_NEAR(x[0], 1, 1e-3);
	T_ASSERT(c.n <= 500);
	/* A bound that cuts the valley: the optimum moves onto it. */
	x[0] = -1.2;
	x[1] = 1;
	hi[0] = 0.5;
	search__lbfgs(rosen, &c, 2, x, lo, hi, 6, 500, w);
	T_NEAR(x[0], 0.5, 1e-9);
	T_NEAR(x[1], 0.25, 1e-2);
}

static void
t_rng(void)
{
	struct search__rng a, b;
	double m = 0, v = 0, x;
	int i, hist[7] = { 0 };

	search__rng_seed(&a, 1, 2, 3);
	search__rng_seed(&b, 1, 2, 3);
	for (i = 0; i < 100; i++)
		T_ASSERT(search__rng_next(&a) == search__rng_next(&b));
	search__rng_seed(&b, 1, 2, 4);
	T_ASSERT(search__rng_next(&a) != search__rng_next(&b));
	for (i = 0; i < 100000; i++) {
		x = search__rng_normal(&a);
		m += x;
		v += x * x;
		hist[search__rng_below(&a, 7)]++;
	}
	T_NEAR(m / 1e5, 0, 0.02);
	T_NEAR(v / 1e5, 1, 0.03);
	for (i = 0; i < 7; i++)
		T_NEAR(hist[i], 100000 / 7.0, 600);
}

int
main(void)
{
	static const struct t_case cases[] = {
		T_CASE(t_matern_values),
		T_CASE(t_cholesky_solve),
		T_CASE(t_gp_append_matches_load),
		T_CASE(t_gp_sync_append_vs_full),
		T_CASE(t_gp_append_mean),
		T_CASE(t_gp_var_bound),
		T_CASE(t_refit_schedule),
		T_CASE(t_gp_gradients),
		T_CASE(t_log_ei_tail),
		T_CASE(t_sobol_plain),
		T_CASE(t_sobol_scrambled_nets),
		T_CASE(t_lbfgs),
		T_CASE(t_rng),
	};
	const char *to = getenv("T_TIMEOUT");

	openblas_set_num_threads(1);
	return t_run(cases, sizeof(cases) / sizeof(cases[0]),
	    to ? (unsigned)strtoul(to, NULL, 10) : 60);
}
