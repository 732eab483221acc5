/*
 * gp.c - the Gaussian process behind the Bayesian strategy.
 *
 * Owns one GP's arrays: points, targets, the Cholesky factor of
 * K + sn2 I and alpha = (K + sn2 I)^-1 y. Zero prior mean (the caller
 * standardises the targets), Matern-5/2 kernel with one length scale per
 * feature group:
 *     k(r) = sf2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r),
 *     r^2  = sum_j (a_j - b_j)^2 / l_j^2.
 * With g(r) = sf2 5/3 (1 + sqrt5 r) exp(-sqrt5 r):
 *     dk/d log l_j = g(r) (a_j - b_j)^2 / l_j^2,
 *     dk/d a_j     = -g(r) (a_j - b_j) / l_j^2,
 * which the hyperparameter fit and the acquisition's gradient use.
 * Invariant: after gp_load / gp_append, L and alpha describe exactly the
 * n points held, at the current theta (plus jitter if it was needed).
 * Linear algebra: LAPACKE dpotrf/dpotrs/dpotri and CBLAS; never threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "err.h"
#include "search_impl.h"

#define SQRT5		2.23606797749978969641
#define LOG_2PI		1.83787706640934548356

int
search__gp_init(struct search__gp *gp, size_t d, size_t n_grp,
    const size_t *grp, size_t cap)
{
	memset(gp, 0, sizeof(*gp));
	gp->d = d;
	gp->n_grp = n_grp;
	gp->grp = grp;
	gp->cap = cap;
	gp->X = malloc(cap * d * sizeof(double));
	gp->y = malloc(cap * sizeof(double));
	gp->L = malloc(cap * cap * sizeof(double));
	gp->alpha = malloc(cap * sizeof(double));
	gp->theta = calloc(2 + n_grp, sizeof(double));
	gp->inv_ls2 = malloc(d * sizeof(double));
	if (gp->X == NULL || gp->y == NULL || gp->L == NULL ||
	    gp->alpha == NULL || gp->theta == NULL || gp->inv_ls2 == NULL) {
		search__gp_free(gp);
		return TD_ENOMEM;
	}
	search__gp_set_theta(gp, gp->theta);
	return 0;
}

void
search__gp_free(struct search__gp *gp)
{
	if (gp == NULL)
		return;
	free(gp->X);
	free(gp->y);
	free(gp->L);
	free(gp->alpha);
	free(gp->theta);
	free(gp->inv_ls2);
	memset(gp, 0, sizeof(*gp));
}

void
search__gp_set_theta(struct search__gp *gp, const double *theta)
{
	size_t j;

	if (theta != gp->theta)
		memcpy(gp->theta, theta, (2 + gp->n_grp) * sizeof(*theta));
	gp->sf2 = exp(gp->theta[0]);
	gp->sn2 = exp(gp->theta[1]);
	for (j = 0; j < gp->d; j++)
		gp->inv_ls2[j] = exp(-2.0 * gp->theta[2 + gp->grp[j]]);
}

static inline double
dist2(const struct search__gp *gp, const double *a, const double *b)
{
	double r2 = 0, t;
	size_t j;

	for (j = 0; j < gp->d; j++) {
		t = a[j] - b[j];
		r2 += t * t * gp->inv_ls2[j];
	}
	return r2;
}

static inline double
matern(double sf2, double r2, double *gfun)
{
	double r = sqrt(r2), e = exp(-SQRT5 * r);

	if (gfun != NULL)
		*gfun = sf2 * (5.0 / 3.0) * (1.0 + SQRT5 * r) * e;
	return sf2 * (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * e;
}

double
search__gp_kernel(const struct search__gp *gp, const double *a,
    const double *b)
{
	return matern(gp->sf2, dist2(gp, a, b), NULL);
}

/* Fills the lower triangle of K + (sn2 + jitter) I and factors it. */
static int
factor(struct search__gp *gp, double jitter)
{
	size_t n = gp->n, ld = gp->cap, i, j;
	double *L = gp->L;

	for (j = 0; j < n; j++) {
		const double *xj = gp->X + j * gp->d;

		L[j * ld + j] = gp->sf2 + gp->sn2 + jitter;
		for (i = j + 1; i < n; i++)
			L[j * ld + i] = matern(gp->sf2,
			    dist2(gp, gp->X + i * gp->d, xj), NULL);
	}
	return LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, L,
	    (lapack_int)ld) == 0 ? 0 : TD_EINVAL;
}

static void
solve_alpha(struct search__gp *gp)
{
	memcpy(gp->alpha, gp->y, gp->n * sizeof(double));
	if (gp->n > 0)
		LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', (lapack_int)gp->n, 1,
		    gp->L, (lapack_int)gp->cap, gp->alpha, (lapack_int)gp->n);
}

/* Factors with the smallest jitter that works: none, then 1e-8 sf2
 * growing tenfold up to 1e-2 sf2. */
static int
factor_jitter(struct search__gp *gp)
{
	double jit = 0;

	for (;;) {
		if (factor(gp, jit) == 0) {
			gp->jitter = jit;
			return 0;
		}
		jit = jit == 0 ? 1e-8 * gp->sf2 : jit * 10;
		if (jit > 1e-2 * gp->sf2)
			return TD_EINVAL;
	}
}

int
search__gp_load(struct search__gp *gp, const double *X, const double *y,
    size_t n)
{
	int rc;

	if (n > gp->cap)
		return TD_EINVAL;
	if (X != gp->X)
		memcpy(gp->X, X, n * gp->d * sizeof(double));
	if (y != gp->y)
		memcpy(gp->y, y, n * sizeof(double));
	gp->n = n;
	if ((rc = factor_jitter(gp)) != 0)
		return rc;
	solve_alpha(gp);
	return 0;
}

void
search__gp_set_y(struct search__gp *gp, const double *y)
{
	memcpy(gp->y, y, gp->n * sizeof(double));
	solve_alpha(gp);
}

int
search__gp_append(struct search__gp *gp, const double *x, double y)
{
	size_t n = gp->n, ld = gp->cap, i;
	double *L = gp->L, d2, floor2;

	if (n >= gp->cap)
		return TD_EINVAL;
	memcpy(gp->X + n * gp->d, x, gp->d * sizeof(double));
	gp->y[n] = y;
	/* Row n of L: l = L^-1 k, stored across the columns. */
	for (i = 0; i < n; i++)
		L[i * ld + n] = matern(gp->sf2, dist2(gp, gp->X + i * gp->d, x),
		    NULL);
	if (n > 0)
		cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans,
		    CblasNonUnit, (blasint)n, L, (blasint)ld, L + n, (blasint)ld);
	d2 = gp->sf2 + gp->sn2 + gp->jitter;
	for (i = 0; i < n; i++)
		d2 -= L[i * ld + n] * L[i * ld + n];
	/* A fantasy on top of an observed point leaves d2 ~ sn2; never let
	 * rounding make it vanish. */
	floor2 = 1e-10 * gp->sf2;
	L[n * ld + n] = sqrt(d2 > floor2 ? d2 : floor2);
	gp->n = n + 1;
	solve_alpha(gp);
	return 0;
}

void
search__gp_predict(const struct search__gp *gp, const double *Xs, size_t m,
    double *mu, double *var, double *work)
{
	size_t n = gp->n, i, j;
	double v, floor2 = 1e-12 * gp->sf2;

	if (n == 0) {
		for (j = 0; j < m; j++) {
			mu[j] = 0;
			var[j] = gp->sf2;
		}
		return;
	}
	for (j = 0; j < m; j++)
		for (i = 0; i < n; i++)
			work[j * n + i] = matern(gp->sf2,
			    dist2(gp, gp->X + i * gp->d, Xs + j * gp->d), NULL);
	cblas_dgemv(CblasColMajor, CblasTrans, (blasint)n, (blasint)m, 1.0,
	    work, (blasint)n, gp->alpha, 1, 0.0, mu, 1);
	cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans,
	    CblasNonUnit, (blasint)n, (blasint)m, 1.0, gp->L, (blasint)gp->cap,
	    work, (blasint)n);
	for (j = 0; j < m; j++) {
		v = gp->sf2;
		for (i = 0; i < n; i++)
			v -= work[j * n + i] * work[j * n + i];
		var[j] = v > floor2 ? v : floor2;
	}
}

void
search__gp_mean(const struct search__gp *gp, const double *Xs, size_t m,
    double *mu)
{
	size_t i, j;
	double s;

	for (j = 0; j < m; j++) {
		s = 0;
		for (i = 0; i < gp->n; i++)
			s += gp->alpha[i] * matern(gp->sf2,
			    dist2(gp, gp->X + i * gp->d, Xs + j * gp->d), NULL);
		mu[j] = s;
	}
}

void
search__gp_mean_grad(const struct search__gp *gp, const double *x,
    double *mu, double *dmu)
{
	size_t n = gp->n, d = gp->d, i, j;
	double m = 0, k, gf, t;

	memset(dmu, 0, d * sizeof(*dmu));
	for (i = 0; i < n; i++) {
		const double *xi = gp->X + i * d;

		k = matern(gp->sf2, dist2(gp, xi, x), &gf);
		m += k * gp->alpha[i];
		t = -gf * gp->alpha[i];
		for (j = 0; j < d; j++)
			dmu[j] += t * (x[j] - xi[j]) * gp->inv_ls2[j];
	}
	*mu = m;
}

void
search__gp_predict_grad(const struct search__gp *gp, const double *x,
    double *mu, double *var, double *dmu, double *dvar, double *work)
{
	size_t n = gp->n, d = gp->d, i, j;
	double *k = work, *v = work + n, *gf = work + 2 * n;
	double m = 0, s = gp->sf2, floor2 = 1e-12 * gp->sf2, t;

	memset(dmu, 0, d * sizeof(*dmu));
	memset(dvar, 0, d * sizeof(*dvar));
	for (i = 0; i < n; i++) {
		k[i] = matern(gp->sf2, dist2(gp, gp->X + i * d, x), &gf[i]);
		m += k[i] * gp->alpha[i];
	}
	if (n > 0) {
		memcpy(v, k, n * sizeof(*v));
		LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, 1, gp->L,
		    (lapack_int)gp->cap, v, (lapack_int)n);
	}
	for (i = 0; i < n; i++) {
		const double *xi = gp->X + i * d;

		s -= k[i] * v[i];
		for (j = 0; j < d; j++) {
			/* dk_i/dx_j = -g (x_j - xi_j) / l_j^2 */
			t = -gf[i] * (x[j] - xi[j]) * gp->inv_ls2[j];
			dmu[j] += gp->alpha[i] * t;
			dvar[j] -= 2.0 * v[i] * t;
		}
	}
	*mu = m;
	if (s < floor2) {
		s = floor2;
		memset(dvar, 0, d * sizeof(*dvar));
	}
	*var = s;
}

double
search__gp_neg_log_post(struct search__gp *gp,
    const struct search__gp_prior *pr, const double *theta, double *grad,
    double *work)
{
	size_t n = gp->n, d = gp->d, ng = gp->n_grp, a, b, j, ld = gp->cap;
	double lml, lp, z, w, r, e, t, tr = 0, jit, *Ki = work;
	double *R = work + n * n, *E = R + n * n, *L = gp->L;
	double c0, c1;

	search__gp_set_theta(gp, theta);
	/* K once: r and exp(-sqrt5 r) are kept for the gradient. */
	jit = 1e-8 * gp->sf2;
	for (b = 0; b < n; b++) {
		const double *xb = gp->X + b * d;

		L[b * ld + b] = gp->sf2 + gp->sn2 + jit;
		for (a = b + 1; a < n; a++) {
			r = sqrt(dist2(gp, gp->X + a * d, xb));
			e = exp(-SQRT5 * r);
			R[b * n + a] = r;
			E[b * n + a] = e;
			L[b * ld + a] = gp->sf2 * (1.0 + SQRT5 * r +
			    (5.0 / 3.0) * r * r) * e;
		}
	}
	if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, L,
	    (lapack_int)ld) != 0)
		return INFINITY;
	gp->jitter = jit;
	solve_alpha(gp);
	lml = -0.5 * n * LOG_2PI;
	for (a = 0; a < n; a++)
		lml -= 0.5 * gp->y[a] * gp->alpha[a] + log(L[a * ld + a]);

	/* Kinv (lower triangle) from the factor. */
	for (b = 0; b < n; b++)
		memcpy(Ki + b * n + b, L + b * ld + b, (n - b) * sizeof(*Ki));
	if (LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, Ki,
	    (lapack_int)n) != 0)
		return INFINITY;
	memset(grad, 0, (2 + ng) * sizeof(*grad));
	c0 = gp->sf2;
	c1 = gp->sf2 * (5.0 / 3.0);
	for (b = 0; b < n; b++) {
		const double *xb = gp->X + b * d;

		/* The diagonal: r = 0, K = sf2, dK/dl = 0. */
		w = gp->alpha[b] * gp->alpha[b] - Ki[b * n + b];
		grad[0] += 0.5 * w * gp->sf2;
		tr += w;
		for (a = b + 1; a < n; a++) {
			const double *xa = gp->X + a * d;

			/* Off-diagonal pairs count twice: 0.5 * 2 = 1. */
			w = gp->alpha[a] * gp->alpha[b] - Ki[b * n + a];
			r = R[b * n + a];
			e = E[b * n + a];
			grad[0] += w * c0 * (1.0 + SQRT5 * r +
			    (5.0 / 3.0) * r * r) * e;
			w *= c1 * (1.0 + SQRT5 * r) * e;
			for (j = 0; j < d; j++) {
				t = xa[j] - xb[j];
				grad[2 + gp->grp[j]] += w * t * t *
				    gp->inv_ls2[j];
			}
		}
	}
	grad[1] = 0.5 * gp->sn2 * tr;

	/* Log-normal priors: normal in theta. */
	z = (theta[0] - pr->sf_mu) / pr->sf_sd;
	lp = -0.5 * z * z;
	grad[0] -= z / pr->sf_sd;
	z = (theta[1] - pr->sn_mu) / pr->sn_sd;
	lp -= 0.5 * z * z;
	grad[1] -= z / pr->sn_sd;
	for (j = 0; j < ng; j++) {
		z = (theta[2 + j] - pr->ls_mu) / pr->ls_sd;
		lp -= 0.5 * z * z;
		grad[2 + j] -= z / pr->ls_sd;
	}
	for (j = 0; j < 2 + ng; j++)
		grad[j] = -grad[j];
	return -(lml + lp);
}

struct fit_ctx {
	struct search__gp		*gp;
	const struct search__gp_prior	*pr;
	double				*work;
};

static double
fit_fn(void *ctx, const double *theta, double *grad)
{
	struct fit_ctx *c = ctx;

	return search__gp_neg_log_post(c->gp, c->pr, theta, grad, c->work);
}

int
search__gp_fit(struct search__gp *gp, const struct search__gp_prior *pr,
    struct search__rng *rng, size_t max_eval)
{
	enum { N_STARTS = 5, N_OPT = 1, MEM = 8 };
	size_t np = 2 + gp->n_grp, s, j, n = gp->n, used = 0, per;
	double *lo, *hi, *th, *best, *work, *grad, f[N_STARTS], fb = INFINITY;
	size_t order[N_STARTS];
	struct fit_ctx ctx;
	int rc = TD_ENOMEM;

	lo = malloc(np * sizeof(double));
	hi = malloc(np * sizeof(double));
	th = malloc(N_STARTS * np * sizeof(double));
	best = malloc(np * sizeof(double));
	grad = malloc(np * sizeof(double));
	work = malloc((3 * n * n + search__lbfgs_work(np, MEM)) * sizeof(double));
	if (lo == NULL || hi == NULL || th == NULL || best == NULL ||
	    grad == NULL || work == NULL)
		goto out;
	lo[0] = pr->lo[0];
	hi[0] = pr->hi[0];
	lo[1] = pr->lo[1];
	hi[1] = pr->hi[1];
	for (j = 2; j < np; j++) {
		lo[j] = pr->ls_lo;
		hi[j] = pr->ls_hi;
	}
	/* Start 0: the prior's centre; the others: draws from the prior. */
	for (s = 0; s < N_STARTS; s++) {
		double *t = th + s * np;

		t[0] = pr->sf_mu + (s ? pr->sf_sd * search__rng_normal(rng) : 0);
		t[1] = pr->sn_mu + (s ? pr->sn_sd * search__rng_normal(rng) : 0);
		for (j = 2; j < np; j++)
			t[j] = pr->ls_mu +
			    (s ? pr->ls_sd * search__rng_normal(rng) : 0);
		for (j = 0; j < np; j++)
			t[j] = t[j] < lo[j] ? lo[j] : t[j] > hi[j] ? hi[j] : t[j];
		f[s] = search__gp_neg_log_post(gp, pr, t, grad, work);
		order[s] = s;
		used++;
	}
	/* Sort the starts by value (insertion sort; NaN/inf last). */
	for (s = 1; s < N_STARTS; s++) {
		size_t k = order[s], i = s;

		while (i > 0 && !(f[order[i - 1]] <= f[k])) {
			order[i] = order[i - 1];
			i--;
		}
		order[i] = k;
	}
	ctx.gp = gp;
	ctx.pr = pr;
	ctx.work = work;
	per = max_eval > used ? (max_eval - used) / N_OPT : 0;
	for (s = 0; s < N_OPT; s++) {
		double *t = th + order[s] * np, v;

		if (!isfinite(f[order[s]]))
			continue;
		v = per > 1 ? search__lbfgs(fit_fn, &ctx, np, t, lo, hi, MEM, per,
		    work + 3 * n * n) : f[order[s]];
		if (v < fb) {
			fb = v;
			memcpy(best, t, np * sizeof(double));
		}
	}
	if (!isfinite(fb)) {
		/* Nothing factored: fall back to the prior's centre with
		 * jitter, which the caller's gp_load may still rescue. */
		memcpy(best, th, np * sizeof(double));
	}
	search__gp_set_theta(gp, best);
	rc = search__gp_load(gp, gp->X, gp->y, gp->n);
out:
	free(lo);
	free(hi);
	free(th);
	free(best);
	free(grad);
	free(work);
	return rc;
}
