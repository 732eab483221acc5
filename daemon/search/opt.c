/*
 * opt.c - a small bounded quasi-Newton minimiser (L-BFGS with projection
 * onto a box and an Armijo backtracking line search).
 *
 * Owns nothing: the caller passes the workspace. Used to fit the GP's
 * hyperparameters and to polish acquisition maxima. Variables at a bound
 * whose gradient points outward are frozen for the step (a simple active
 * set), which is enough for the smooth, low-dimensional problems here.
 */
#include <math.h>
#include <string.h>

#include "search_impl.h"

size_t
search__lbfgs_work(size_t n, size_t m)
{
	return 5 * n + 2 * m * n + 2 * m;
}

static double
dot(const double *a, const double *b, size_t n)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/* Zeroes the components of v that would leave the box at x. */
static void
mask_active(double *v, const double *x, const double *g, const double *lo,
    const double *hi, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((x[i] <= lo[i] && g[i] > 0) || (x[i] >= hi[i] && g[i] < 0))
			v[i] = 0;
}

static void
project(double *x, const double *lo, const double *hi, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (x[i] < lo[i])
			x[i] = lo[i];
		else if (x[i] > hi[i])
			x[i] = hi[i];
	}
}

/* p = -H g by the two-loop recursion over the k stored pairs, newest at
 * index (head - 1) mod m. */
static void
two_loop(double *p, const double *g, size_t n, const double *S,
    const double *Y, const double *rho, double *al, size_t m, size_t k,
    size_t head)
{
	size_t i, j, idx;
	double b, gamma = 1.0;

	for (i = 0; i < n; i++)
		p[i] = -g[i];
	for (j = 0; j < k; j++) {
		idx = (head + m - 1 - j) % m;
		al[idx] = rho[idx] * dot(S + idx * n, p, n);
		for (i = 0; i < n; i++)
			p[i] -= al[idx] * Y[idx * n + i];
	}
	if (k > 0) {
		idx = (head + m - 1) % m;
		gamma = 1.0 / (rho[idx] * dot(Y + idx * n, Y + idx * n, n));
	}
	for (i = 0; i < n; i++)
		p[i] *= gamma;
	for (j = k; j-- > 0;) {
		idx = (head + m - 1 - j) % m;
		b = rho[idx] * dot(Y + idx * n, p, n);
		for (i = 0; i < n; i++)
			p[i] += (al[idx] - b) * S[idx * n + i];
	}
}

double
search__lbfgs(search__fn f, void *ctx, size_t n, double *x,
    const double *lo, const double *hi, size_t m, size_t max_eval,
    double *work)
{
	double *g = work, *xn = g + n, *gn = xn + n, *p = gn + n;
	double *pg = p + n, *S = pg + n, *Y = S + m * n, *rho = Y + m * n;
	double *al = rho + m;
	double fx, fn, gp, t, sy, step0;
	size_t neval = 0, k = 0, head = 0, i, stall = 0;

	project(x, lo, hi, n);
	fx = f(ctx, x, g);
	neval++;
	if (!isfinite(fx))
		return fx;
	step0 = 1.0 / fmax(1.0, sqrt(dot(g, g, n)));
	while (neval < max_eval) {
		memcpy(pg, g, n * sizeof(*g));
		mask_active(pg, x, g, lo, hi, n);
		if (sqrt(dot(pg, pg, n)) < 1e-8)
			break;
		two_loop(p, pg, n, S, Y, rho, al, m, k, head);
		mask_active(p, x, g, lo, hi, n);
		gp = dot(p, g, n);
		if (!(gp < 0)) {
			k = 0;
			for (i = 0; i < n; i++)
				p[i] = -pg[i];
			gp = dot(p, g, n);
		}
		t = k == 0 ? step0 : 1.0;
		for (;;) {
			for (i = 0; i < n; i++)
				xn[i] = x[i] + t * p[i];
			project(xn, lo, hi, n);
			fn = f(ctx, xn, gn);
			neval++;
			gp = 0;
			for (i = 0; i < n; i++)
				gp += g[i] * (xn[i] - x[i]);
			if (isfinite(fn) && fn <= fx + 1e-4 * fmin(gp, 0))
				break;
			if (neval >= max_eval || t < 1e-12)
				return fx;	/* x still holds the best point */
			t *= isfinite(fn) ? 0.5 : 0.1;
		}
		sy = 0;
		for (i = 0; i < n; i++) {
			S[head * n + i] = xn[i] - x[i];
			Y[head * n + i] = gn[i] - g[i];
			sy += S[head * n + i] * Y[head * n + i];
		}
		if (sy > 1e-12 * sqrt(dot(Y + head * n, Y + head * n, n) *
		    dot(S + head * n, S + head * n, n)) && sy > 0) {
			rho[head] = 1.0 / sy;
			head = (head + 1) % m;
			if (k < m)
				k++;
		}
		stall = fx - fn < 1e-10 * (1.0 + fabs(fx)) ? stall + 1 : 0;
		memcpy(x, xn, n * sizeof(*x));
		memcpy(g, gn, n * sizeof(*g));
		fx = fn;
		if (stall >= 3)
			break;
	}
	return fx;
}
