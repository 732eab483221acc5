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
 * After gp_sync, L is the canonical factor of its rows: the first `base`
 * rows by dpotrf on a contiguous copy, every later row by a bordered
 * (rank-1) append, so a factor grown call by call and one built at once
 * are the same bits. The triangular solves that must not depend on the
 * leading dimension (appends, alpha, gradients) are plain loops here.
 * Linear algebra: LAPACKE dpotrf and dpotri (only in the hyperparameter
 * fit, for the trace term of the gradient), CBLAS; never threads.
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
	gp->wk = malloc((cap + 1) * sizeof(double));
	gp->theta = calloc(2 + n_grp, sizeof(double));
	gp->inv_ls2 = malloc(d * sizeof(double));
	if (gp->X == NULL || gp->y == NULL || gp->L == NULL ||
	    gp->alpha == NULL || gp->wk == NULL || gp->theta == NULL ||
	    gp->inv_ls2 == NULL) {
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
	free(gp->wk);
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

/* a . b with four accumulators: a fixed order, and no long dependency
 * chain (the compiler may not reassociate a plain sum). */
static inline double
dot4(const double *a, const double *b, size_t n)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

/* w = L^-1 w for the leading n x n block of L (column-major, ld), by
 * columns: contiguous axpys. */
static void
fwd_solve(const double *L, size_t ld, size_t n, double *w)
{
	size_t i, j;
	double t;

	for (j = 0; j < n; j++) {
		const double *c = L + j * ld;

		t = w[j] /= c[j];
		for (i = j + 1; i < n; i++)
			w[i] -= t * c[i];
	}
}

/* w = L^-T w, by columns: contiguous dot products. */
static void
bwd_solve(const double *L, size_t ld, size_t n, double *w)
{
	size_t j;

	for (j = n; j-- > 0;) {
		const double *c = L + j * ld;

		w[j] = (w[j] - dot4(c + j + 1, w + j + 1, n - j - 1)) / c[j];
	}
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
	fwd_solve(gp->L, gp->cap, gp->n, gp->alpha);
	bwd_solve(gp->L, gp->cap, gp->n, gp->alpha);
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

/*
 * Appends point x as row n of L: l = L^-1 k by a forward solve and the
 * new diagonal, O(n^2), without touching y or alpha. With mu != NULL it
 * also gives the posterior mean at x, k . alpha (before the append).
 */
static void
append_row(struct search__gp *gp, const double *x, double *mu)
{
	size_t n = gp->n, ld = gp->cap, i;
	double *L = gp->L, *w = gp->wk, d2, floor2;

	if (x != gp->X + n * gp->d)
		memcpy(gp->X + n * gp->d, x, gp->d * sizeof(double));
	for (i = 0; i < n; i++)
		w[i] = matern(gp->sf2, dist2(gp, gp->X + i * gp->d, x), NULL);
	if (mu != NULL)
		*mu = dot4(w, gp->alpha, n);
	fwd_solve(L, ld, n, w);
	for (i = 0; i < n; i++)
		L[i * ld + n] = w[i];
	d2 = gp->sf2 + gp->sn2 + gp->jitter - dot4(w, w, n);
	/* A fantasy on top of an observed point leaves d2 ~ sn2; never let
	 * rounding make it vanish. */
	floor2 = 1e-10 * gp->sf2;
	L[n * ld + n] = sqrt(d2 > floor2 ? d2 : floor2);
	gp->n = n + 1;
}

int
search__gp_append(struct search__gp *gp, const double *x, double y)
{
	if (gp->n >= gp->cap)
		return TD_EINVAL;
	append_row(gp, x, NULL);
	gp->y[gp->n - 1] = y;
	solve_alpha(gp);
	return 0;
}

int
search__gp_append_mean(struct search__gp *gp, const double *x, double *mu)
{
	double m;

	if (gp->n >= gp->cap)
		return TD_EINVAL;
	append_row(gp, x, &m);
	/* The target equals the posterior mean, so the mean function does
	 * not change: alpha = [alpha; 0] solves the grown system exactly. */
	gp->y[gp->n - 1] = m;
	gp->alpha[gp->n - 1] = 0;
	if (mu != NULL)
		*mu = m;
	return 0;
}

int
search__gp_reserve(struct search__gp *gp, size_t cap)
{
	double *X, *y, *L, *alpha, *wk;
	size_t j, keep = gp->n < cap ? gp->n : cap;

	if (cap == gp->cap)
		return 0;
	X = malloc((cap * gp->d + 1) * sizeof(double));
	y = malloc((cap + 1) * sizeof(double));
	L = malloc((cap * cap + 1) * sizeof(double));
	alpha = malloc((cap + 1) * sizeof(double));
	wk = malloc((cap + 1) * sizeof(double));
	if (X == NULL || y == NULL || L == NULL || alpha == NULL ||
	    wk == NULL) {
		free(X);
		free(y);
		free(L);
		free(alpha);
		free(wk);
		return TD_ENOMEM;
	}
	memcpy(X, gp->X, keep * gp->d * sizeof(double));
	memcpy(y, gp->y, keep * sizeof(double));
	memcpy(alpha, gp->alpha, keep * sizeof(double));
	for (j = 0; j < keep; j++)
		memcpy(L + j * cap + j, gp->L + j * gp->cap + j,
		    (keep - j) * sizeof(double));
	free(gp->X);
	free(gp->y);
	free(gp->L);
	free(gp->alpha);
	free(gp->wk);
	gp->X = X;
	gp->y = y;
	gp->L = L;
	gp->alpha = alpha;
	gp->wk = wk;
	gp->cap = cap;
	gp->n = keep;
	return 0;
}

/* Factors the first `base` rows into a contiguous base x base copy (so
 * the result does not depend on cap) with the smallest jitter that works,
 * and moves it into L. */
static int
factor_base(struct search__gp *gp, size_t base)
{
	size_t ld = gp->cap, i, j;
	double *T, jit = 0;
	int rc = TD_EINVAL;

	if ((T = malloc((base * base + 1) * sizeof(double))) == NULL)
		return TD_ENOMEM;
	for (;;) {
		for (j = 0; j < base; j++) {
			const double *xj = gp->X + j * gp->d;

			T[j * base + j] = gp->sf2 + gp->sn2 + jit;
			for (i = j + 1; i < base; i++)
				T[j * base + i] = matern(gp->sf2,
				    dist2(gp, gp->X + i * gp->d, xj), NULL);
		}
		if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L',
		    (lapack_int)base, T, (lapack_int)base) == 0) {
			rc = 0;
			break;
		}
		jit = jit == 0 ? 1e-8 * gp->sf2 : jit * 10;
		if (jit > 1e-2 * gp->sf2)
			break;
	}
	if (rc == 0) {
		gp->jitter = jit;
		for (j = 0; j < base; j++)
			memcpy(gp->L + j * ld + j, T + j * base + j,
			    (base - j) * sizeof(double));
	}
	free(T);
	return rc;
}

int
search__gp_sync(struct search__gp *gp, const double *theta, const double *F,
    size_t n, size_t base)
{
	size_t np = 2 + gp->n_grp, d = gp->d, p = 0, m;
	int rc, reuse;

	if (n > gp->cap || base == 0 || base > n)
		return TD_EINVAL;
	reuse = gp->synced && gp->base == base &&
	    memcmp(gp->theta, theta, np * sizeof(*theta)) == 0;
	if (reuse) {
		m = gp->n < n ? gp->n : n;
		while (p < m && memcmp(gp->X + p * d, F + p * d,
		    d * sizeof(double)) == 0)
			p++;
		reuse = p >= base;
	}
	if (!reuse) {
		gp->synced = 0;
		search__gp_set_theta(gp, theta);
		memcpy(gp->X, F, base * d * sizeof(double));
		gp->n = 0;
		if ((rc = factor_base(gp, base)) != 0)
			return rc;
		gp->base = base;
		gp->synced = 1;
		p = base;
	}
	gp->n = p;
	while (gp->n < n)
		append_row(gp, F + gp->n * d, NULL);
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
search__gp_kvec(const struct search__gp *gp, const double *x, double *k)
{
	size_t i;

	for (i = 0; i < gp->n; i++)
		k[i] = matern(gp->sf2, dist2(gp, gp->X + i * gp->d, x), NULL);
}

double
search__gp_var_bound(const struct search__gp *gp, const double *x, size_t q,
    double *work, size_t *idx)
{
	double *r2 = work, *Ls = work + q, *k = Ls + q * q, r, v, floor2;
	size_t i, a, b, c, cnt = 0;

	floor2 = 1e-12 * gp->sf2;
	/* The q nearest rows, by scaled distance (insertion, sorted). */
	for (i = 0; i < gp->n; i++) {
		r = dist2(gp, gp->X + i * gp->d, x);
		if (cnt == q && r >= r2[q - 1])
			continue;
		for (a = cnt < q ? cnt++ : q - 1; a > 0 && r2[a - 1] > r; a--) {
			r2[a] = r2[a - 1];
			idx[a] = idx[a - 1];
		}
		r2[a] = r;
		idx[a] = i;
	}
	/* Cholesky of their block (q x q, column-major, lower). */
	for (b = 0; b < cnt; b++) {
		k[b] = matern(gp->sf2, r2[b], NULL);
		Ls[b * q + b] = gp->sf2 + gp->sn2 + gp->jitter;
		for (a = b + 1; a < cnt; a++)
			Ls[b * q + a] = matern(gp->sf2, dist2(gp,
			    gp->X + idx[a] * gp->d, gp->X + idx[b] * gp->d), NULL);
	}
	for (b = 0; b < cnt; b++) {
		v = Ls[b * q + b];
		for (c = 0; c < b; c++)
			v -= Ls[c * q + b] * Ls[c * q + b];
		if (!(v > 0))
			return gp->sf2;
		Ls[b * q + b] = v = sqrt(v);
		for (a = b + 1; a < cnt; a++) {
			r = Ls[b * q + a];
			for (c = 0; c < b; c++)
				r -= Ls[c * q + a] * Ls[c * q + b];
			Ls[b * q + a] = r / v;
		}
	}
	fwd_solve(Ls, q, cnt, k);
	v = gp->sf2 - dot4(k, k, cnt);
	return v > floor2 ? v : floor2;
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
	memcpy(v, k, n * sizeof(*v));
	fwd_solve(gp->L, gp->cap, n, v);
	bwd_solve(gp->L, gp->cap, n, v);
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
