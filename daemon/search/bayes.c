/*
 * bayes.c - the Bayesian strategy: a scrambled Sobol design first, then a
 * GP on the observations with log expected improvement, pending points
 * and earlier picks of the same batch as kriging-believer fantasies.
 *
 * Owns the per-call model (features, transformed targets) and the
 * search_cache's contents: the hyperparameters and Yeo-Johnson lambda fit
 * at the refit point search__refit_point(n_ok) on the first rows alone, and
 * the GPs' canonical factors (gp_sync). Without a caller's cache a
 * temporary one is built and freed, with the same bits. Every random
 * choice comes from streams keyed by (seed, seq or refit point, purpose),
 * so a call is a pure function of its arguments. Past N_SCREEN model rows,
 * candidates are screened (score_bb) and not polished. Features: one per continuous or integer parameter (its
 * unit-cube coordinate; integers at the centre of their bin), a one-hot
 * block per categorical with two or more values.
 *
 * Pipeline of one call: the targets of successful trials are soft-capped
 * above the upper Tukey fence, standardised, Yeo-Johnson transformed and
 * standardised again; theta is fit by MAP on at most M_FIT points of the
 * refit point's rows; the
 * incumbent is the best posterior mean at the data; pending points become
 * fantasies; then per suggestion: Sobol candidates over the cube plus
 * Gaussian perturbations of the 5 best points at three scales (3%, 10%,
 * 30% of each length scale), scored by log-EI, the best N_REFINE polished
 * by L-BFGS on the relaxed (unrounded) model, the best untaken one kept
 * and added as a fantasy. Small discrete spaces score every untaken point.
 *
 * Failed trials stay out of the regression (imputing the worst value at a
 * random, transient failure wrecks the fit): a second GP, with the main
 * one's length scales, regresses the failure indicator, and log-EI is
 * discounted by log(1 - P(fail)), so regions where trials fail are avoided
 * while an isolated failure only repels its close neighbourhood.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "err.h"
#include "search_impl.h"

/* Stream tags: one per purpose, so the streams never overlap. */
enum {
	TAG_SOBOL = 1, TAG_FIT, TAG_CAND, TAG_LOCAL, TAG_FALLBACK, TAG_THIN,
};

#define N_INIT		2	/* successful trials before the GP is used */
#define M_FIT		200	/* at most this many points fit theta */
#define N_REFINE	5	/* candidates polished by L-BFGS */
#define REFINE_EVALS	30
#define FIT_EVALS	60	/* likelihood evaluations per fit */
#define M_MODEL		2000	/* at most this many points in the model */
#define N_CAND		1500	/* quasi-random candidates (fewer past ~200 points) */
#define N_SCREEN	200	/* model rows past which scoring is screened */
#define Q_NEAR		6	/* rows of the screening variance bound */
#define CHUNK		16	/* candidates scored exactly at a time */

struct layout {
	size_t		 d;		/* features */
	size_t		 n_grp;		/* length-scale groups */
	size_t		*grp;		/* d: feature -> group */
	size_t		*off;		/* n params: first feature, or SIZE_MAX */
};

struct model {
	const struct search_space *sp;
	struct layout	 lay;
	struct search__gp *gp;		/* the cache's */
	struct search__gp *fail;	/* the failure indicator, if any failed */
	int		 has_fail;
	double		 fbest;		/* best transformed target */
	double		*work;		/* scratch for predictions */
	size_t		 work_len;
};

/* ---- features ---- */

static int
layout_init(struct layout *lay, const struct search_space *sp)
{
	size_t i, k, d = 0;

	memset(lay, 0, sizeof(*lay));
	for (i = 0; i < sp->n; i++)
		d += sp->params[i].kind == SEARCH_CATEGORICAL ?
		    (sp->params[i].n_values > 1 ? sp->params[i].n_values : 0) : 1;
	lay->off = malloc(sp->n * sizeof(size_t));
	lay->grp = malloc((d + 1) * sizeof(size_t));
	if (lay->off == NULL || lay->grp == NULL)
		return TD_ENOMEM;
	d = 0;
	for (i = 0; i < sp->n; i++) {
		const struct search_param *p = &sp->params[i];

		k = p->kind == SEARCH_CATEGORICAL ? p->n_values : 1;
		if (k < 2 && p->kind == SEARCH_CATEGORICAL) {
			lay->off[i] = SIZE_MAX;
			continue;
		}
		lay->off[i] = d;
		while (k-- > 0)
			lay->grp[d++] = lay->n_grp;
		lay->n_grp++;
	}
	lay->d = d;
	return 0;
}

static void
layout_free(struct layout *lay)
{
	free(lay->off);
	free(lay->grp);
}

/* Features of a unit-cube point. relaxed: integers keep their continuous
 * coordinate (for gradients) instead of snapping to their bin centre. */
static void
encode(const struct layout *lay, const struct search_space *sp,
    const double *u, int relaxed, double *f)
{
	size_t i, j, k;

	for (i = 0; i < sp->n; i++) {
		const struct search_param *p = &sp->params[i];

		if (lay->off[i] == SIZE_MAX)
			continue;
		if (p->kind == SEARCH_CATEGORICAL) {
			k = p->n_values;
			j = (size_t)search_from_unit(p, u[i]);
			memset(f + lay->off[i], 0, k * sizeof(double));
			f[lay->off[i] + j] = 1.0;
		} else if (p->kind == SEARCH_INTEGER && !relaxed) {
			f[lay->off[i]] = search_to_unit(p,
			    search_from_unit(p, u[i]));
		} else {
			f[lay->off[i]] = u[i] < 0 ? 0 : u[i] > 1 ? 1 : u[i];
		}
	}
}

static void
native_to_unit(const struct search_space *sp, const double *x, double *u)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		u[i] = search_to_unit(&sp->params[i], x[i]);
}

/* ---- targets: standardise, Yeo-Johnson, standardise ---- */

static void
standardise(double *y, size_t n)
{
	double m = 0, s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		m += y[i];
	m /= (double)n;
	for (i = 0; i < n; i++)
		s += (y[i] - m) * (y[i] - m);
	s = sqrt(s / (double)n);
	for (i = 0; i < n; i++)
		y[i] = s > 1e-12 * (fabs(m) + 1e-300) && s > 0 ? (y[i] - m) / s : 0;
}

static double
yeo_johnson(double y, double lam)
{
	if (y >= 0)
		return fabs(lam) < 1e-9 ? log1p(y) : (pow(1 + y, lam) - 1) / lam;
	return fabs(lam - 2) < 1e-9 ? -log1p(-y) :
	    -(pow(1 - y, 2 - lam) - 1) / (2 - lam);
}

static double
yj_loglik(const double *y, size_t n, double lam, double *tmp)
{
	double m = 0, v = 0, jac = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		tmp[i] = yeo_johnson(y[i], lam);
		m += tmp[i];
		jac += copysign(log1p(fabs(y[i])), y[i]);
	}
	m /= (double)n;
	for (i = 0; i < n; i++)
		v += (tmp[i] - m) * (tmp[i] - m);
	v /= (double)n;
	if (!(v > 0) || !isfinite(v))
		return -INFINITY;
	return -0.5 * (double)n * log(v) + (lam - 1) * jac;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Compresses the bad tail: values above the upper Tukey fence
 * q3 + 1.5 IQR continue logarithmically, so one diverged run (a loss of
 * 1e10) cannot flatten the differences among the others. Monotone. */
static void
soft_cap(double *y, size_t n, double *tmp)
{
	double q1, q3, s, cap;
	size_t i;

	if (n < 4)
		return;
	memcpy(tmp, y, n * sizeof(double));
	qsort(tmp, n, sizeof(double), cmp_double);
	q1 = tmp[n / 4];
	q3 = tmp[(3 * n) / 4];
	s = q3 - q1;
	if (!(s > 0))
		s = tmp[n - 1] - tmp[0];
	if (!(s > 0))
		return;
	cap = q3 + 1.5 * s;
	for (i = 0; i < n; i++)
		if (y[i] > cap)
			y[i] = cap + s * log1p((y[i] - cap) / s);
}

/* The maximum-likelihood Yeo-Johnson lambda in [-2, 4] (golden-section
 * search) for soft-capped, standardised targets; NAN when there are fewer
 * than 3 or the likelihood is degenerate (no transform then). */
static double
yj_fit(const double *y, size_t n, double *tmp)
{
	const double gr = 0.61803398874989484820;
	double a = -2, b = 4, c, d, fc, fd;
	size_t it;

	if (n < 3)
		return NAN;
	c = b - gr * (b - a);
	d = a + gr * (b - a);
	fc = yj_loglik(y, n, c, tmp);
	fd = yj_loglik(y, n, d, tmp);
	for (it = 0; it < 40; it++) {
		if (fc >= fd) {
			b = d;
			d = c;
			fd = fc;
			c = b - gr * (b - a);
			fc = yj_loglik(y, n, c, tmp);
		} else {
			a = c;
			c = d;
			fc = fd;
			d = a + gr * (b - a);
			fd = yj_loglik(y, n, d, tmp);
		}
	}
	c = 0.5 * (a + b);
	return isfinite(yj_loglik(y, n, c, tmp)) ? c : NAN;
}

/* Soft-caps and standardises y, applies Yeo-Johnson with lambda (none if
 * NAN or n < 3) and standardises again. */
static void
transform_targets(double *y, size_t n, double lambda, double *tmp)
{
	size_t i;

	soft_cap(y, n, tmp);
	standardise(y, n);
	if (n < 3 || isnan(lambda))
		return;
	for (i = 0; i < n; i++)
		y[i] = yeo_johnson(y[i], lambda);
	standardise(y, n);
}

/* ---- the GP's hyperparameter prior ---- */

static void
make_prior(struct search__gp_prior *pr, size_t d_eff)
{
	pr->ls_mu = log(0.2 * sqrt((double)d_eff));
	pr->ls_sd = 1.0;
	pr->ls_lo = log(0.01);
	pr->ls_hi = log(20.0);
	pr->sf_mu = 0;
	pr->sf_sd = 1.0;
	pr->lo[0] = log(0.05);
	pr->hi[0] = log(20.0);
	pr->sn_mu = log(1e-3);
	pr->sn_sd = 2.0;
	pr->lo[1] = log(1e-6);
	pr->hi[1] = log(1.0);
}

/* ---- acquisition ---- */

static double
log_ei(double fbest, double mu, double var)
{
	double s = sqrt(var);

	return log(s) + search__log_h((fbest - mu) / s, NULL);
}

/* log(1 - p) for the failure GP's mean p, clipped to [0, 0.999]; *dp
 * (if not NULL) gets the derivative w.r.t. the mean (0 where clipped). */
static double
fail_penalty(double p, double *dp)
{
	if (dp != NULL)
		*dp = p > 0 && p < 0.999 ? -1.0 / (1.0 - p) : 0;
	p = p < 0 ? 0 : p > 0.999 ? 0.999 : p;
	return log1p(-p);
}

/* Scores m candidates (unit-cube points, rounded features). */
static int
score(struct model *M, const double *U, size_t m, double *out)
{
	size_t d = M->lay.d, j, need = m * (M->gp->n + 3 + d);
	double *F, *mu, *var, *pf;

	if (need > M->work_len) {
		double *w = realloc(M->work, need * sizeof(double));

		if (w == NULL)
			return TD_ENOMEM;
		M->work = w;
		M->work_len = need;
	}
	F = M->work + m * M->gp->n;
	mu = F + m * d;
	var = mu + m;
	pf = var + m;
	for (j = 0; j < m; j++)
		encode(&M->lay, M->sp, U + j * M->sp->n, 0, F + j * d);
	search__gp_predict(M->gp, F, m, mu, var, M->work);
	for (j = 0; j < m; j++)
		out[j] = log_ei(M->fbest, mu[j], var[j]);
	if (M->has_fail) {
		search__gp_mean(M->fail, F, m, pf);
		for (j = 0; j < m; j++)
			out[j] += fail_penalty(pf[j], NULL);
	}
	return 0;
}

/* The order of screened candidates: by upper bound, descending; ties
 * by index (a total order, whatever qsort does). */
struct bb_ent {
	double	ub;
	size_t	j;
};

static int
cmp_bb(const void *pa, const void *pb)
{
	const struct bb_ent *a = pa, *b = pb;

	if (a->ub != b->ub)
		return a->ub > b->ub ? -1 : 1;
	return a->j < b->j ? -1 : a->j > b->j;
}

/* Inserts v into top (the best ne <= k values, descending); returns the
 * new count. */
static size_t
top_insert(double *top, size_t ne, size_t k, double v)
{
	size_t i;

	if (ne < k)
		i = ne++;
	else if (v > top[k - 1])
		i = k - 1;
	else
		return ne;
	for (; i > 0 && top[i - 1] < v; i--)
		top[i] = top[i - 1];
	top[i] = v;
	return ne;
}

/*
 * Scores m candidates like score(), but only as many exactly as needed to
 * know the top k untaken ones (branch and bound): the posterior mean is
 * exact for all (O(n) each), the variance first bounded from above by the
 * Q_NEAR nearest rows; log-EI grows with the variance, so a candidate
 * whose bound is below the k-th best exact score cannot be in the top k.
 * Exact variances (O(n^2) each) go in chunks, best bound first. Taken
 * candidates and the ones never scored exactly get -inf. The top k are
 * the same as with score() up to rounding.
 */
static int
score_bb(struct model *M, const double *U, size_t m, double *out,
    const struct search__taken *taken, double *x, size_t k)
{
	struct search__gp *gp = M->gp;
	size_t n = gp->n, d = M->lay.d, np = M->sp->n, j, i, c, done = 0, nb;
	size_t idx[Q_NEAR], ne = 0;
	double *Kc, *F, *mu, *pen, *B, *top, bw[Q_NEAR * Q_NEAR + 2 * Q_NEAR];
	double v, kth;
	struct bb_ent *ord;
	int rc = TD_ENOMEM;

	Kc = malloc((m * n + 1) * sizeof(double));
	F = malloc((m * d + 1) * sizeof(double));
	mu = malloc(3 * m * sizeof(double));
	B = malloc((CHUNK * n + 1) * sizeof(double));
	top = malloc((k + 1) * sizeof(double));
	ord = malloc(m * sizeof(*ord));
	if (Kc == NULL || F == NULL || mu == NULL || B == NULL ||
	    top == NULL || ord == NULL)
		goto out;
	pen = mu + m;
	for (j = 0; j < m; j++) {
		out[j] = -INFINITY;
		ord[j].j = j;
		ord[j].ub = -INFINITY;
		search__from_unit_point(M->sp, U + j * np, x);
		if (search__taken_has(taken, x))
			continue;
		encode(&M->lay, M->sp, U + j * np, 0, F + j * d);
		search__gp_kvec(gp, F + j * d, Kc + j * n);
		mu[j] = 0;
		for (i = 0; i < n; i++)
			mu[j] += Kc[j * n + i] * gp->alpha[i];
		pen[j] = 0;
		if (M->has_fail) {
			search__gp_mean(M->fail, F + j * d, 1, &v);
			pen[j] = fail_penalty(v, NULL);
		}
		v = search__gp_var_bound(gp, F + j * d, Q_NEAR, bw, idx);
		ord[j].ub = log_ei(M->fbest, mu[j], v) + pen[j];
	}
	qsort(ord, m, sizeof(*ord), cmp_bb);
	kth = -INFINITY;
	while (done < m && ord[done].ub > -INFINITY &&
	    !(ne >= k && kth >= ord[done].ub)) {
		nb = m - done < CHUNK ? m - done : CHUNK;
		for (c = 0; c < nb; c++)
			memcpy(B + c * n, Kc + ord[done + c].j * n,
			    n * sizeof(double));
		cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans,
		    CblasNonUnit, (blasint)n, (blasint)nb, 1.0, gp->L,
		    (blasint)gp->cap, B, (blasint)n);
		for (c = 0; c < nb; c++) {
			j = ord[done + c].j;
			if (ord[done + c].ub == -INFINITY)
				continue;
			v = gp->sf2;
			for (i = 0; i < n; i++)
				v -= B[c * n + i] * B[c * n + i];
			v = v > 1e-12 * gp->sf2 ? v : 1e-12 * gp->sf2;
			out[j] = log_ei(M->fbest, mu[j], v) + pen[j];
			ne = top_insert(top, ne, k, out[j]);
			kth = ne >= k ? top[k - 1] : -INFINITY;
		}
		done += nb;
	}
	rc = 0;
out:
	free(Kc);
	free(F);
	free(mu);
	free(B);
	free(top);
	free(ord);
	return rc;
}

struct refine_ctx {
	struct model	*M;
	const double	*u0;		/* the candidate (categoricals) */
	const size_t	*var;		/* optimised params */
	size_t		 nv;
	double		*u, *f, *dmu, *dvar, *dpf, *work;
};

static double
refine_fn(void *vc, const double *v, double *g)
{
	struct refine_ctx *c = vc;
	struct model *M = c->M;
	double mu, var, s, z, r, lh, ds, pf, dp = 0, pen = 0;
	size_t k, fj;

	memcpy(c->u, c->u0, M->sp->n * sizeof(double));
	for (k = 0; k < c->nv; k++)
		c->u[c->var[k]] = v[k];
	encode(&M->lay, M->sp, c->u, 1, c->f);
	search__gp_predict_grad(M->gp, c->f, &mu, &var, c->dmu, c->dvar,
	    c->work);
	if (M->has_fail) {
		search__gp_mean_grad(M->fail, c->f, &pf, c->dpf);
		pen = fail_penalty(pf, &dp);
	}
	s = sqrt(var);
	z = (M->fbest - mu) / s;
	lh = search__log_h(z, &r);
	for (k = 0; k < c->nv; k++) {
		fj = M->lay.off[c->var[k]];
		ds = c->dvar[fj] / (2 * s);
		/* d log EI = ds/s (1 - z r) - r dmu / s */
		g[k] = -(ds / s * (1 - z * r) - r * c->dmu[fj] / s);
		if (M->has_fail)
			g[k] -= dp * c->dpf[fj];
	}
	return -(log(s) + lh + pen);
}

/* Polishes candidate u in place over its numeric coordinates; returns its
 * exact (rounded) score, never worse than the candidate's own. */
static int
refine(struct model *M, double *u, double *sc)
{
	const struct search_space *sp = M->sp;
	struct refine_ctx c;
	size_t nv = 0, i, d = M->lay.d, n = M->gp->n;
	double *buf, *v, *lo, *hi, *lw, s_new;
	int rc = TD_ENOMEM;

	buf = malloc((5 * sp->n + 4 * d + 3 * n + search__lbfgs_work(sp->n, 6) +
	    sp->n) * sizeof(double));
	c.var = malloc(sp->n * sizeof(size_t));
	if (buf == NULL || c.var == NULL)
		goto out;
	v = buf;
	lo = v + sp->n;
	hi = lo + sp->n;
	c.u = hi + sp->n;
	c.f = c.u + sp->n;
	c.dmu = c.f + d;
	c.dvar = c.dmu + d;
	c.dpf = c.dvar + d;
	c.work = c.dpf + d;
	lw = c.work + 3 * n;
	for (i = 0; i < sp->n; i++) {
		if (sp->params[i].kind == SEARCH_CATEGORICAL)
			continue;
		((size_t *)c.var)[nv] = i;
		v[nv] = u[i];
		lo[nv] = 0;
		hi[nv] = 1;
		nv++;
	}
	rc = 0;
	if (nv == 0)
		goto out;
	c.M = M;
	c.u0 = u;
	c.nv = nv;
	search__lbfgs(refine_fn, &c, nv, v, lo, hi, 6, REFINE_EVALS, lw);
	memcpy(c.u, u, sp->n * sizeof(double));
	for (i = 0; i < nv; i++)
		c.u[c.var[i]] = v[i];
	if ((rc = score(M, c.u, 1, &s_new)) != 0)
		goto out;
	if (s_new > *sc) {
		*sc = s_new;
		memcpy(u, c.u, sp->n * sizeof(double));
	}
out:
	free(buf);
	free((void *)c.var);
	return rc;
}

/* ---- candidates ---- */

struct cand {
	size_t	 m, cap;
	double	*U;		/* m * n_params */
	double	*sc;
};

static int
cand_reserve(struct cand *C, size_t np, size_t m)
{
	C->U = malloc(m * np * sizeof(double));
	C->sc = malloc(m * sizeof(double));
	C->cap = m;
	C->m = 0;
	return C->U == NULL || C->sc == NULL ? TD_ENOMEM : 0;
}

static void
cand_free(struct cand *C)
{
	free(C->U);
	free(C->sc);
}

/* Quasi-random candidates over the whole cube. */
static int
cand_global(struct cand *C, const struct search_space *sp, uint64_t seed,
    uint64_t seq, size_t m)
{
	struct search__sobol sob;
	struct search__rng r;
	size_t j;
	int rc;

	search__rng_seed(&r, seed, seq, TAG_CAND);
	if ((rc = search__sobol_init(&sob, sp->n, &r)) != 0)
		return rc;
	for (j = 0; j < m && C->m < C->cap; j++)
		search__sobol_point(&sob, j, C->U + (C->m++) * sp->n);
	search__sobol_free(&sob);
	return 0;
}

/* Gaussian perturbations of the best observed points (in the cube), with
 * a spread proportional to each parameter's length scale. */
static void
cand_local(struct cand *C, struct model *M, const double *Uobs,
    const double *y, size_t n_obs, struct search__rng *r, size_t m)
{
	static const double scale[3] = { 0.03, 0.1, 0.3 };
	const struct search_space *sp = M->sp;
	size_t top[5], nt = 0, i, j, k, t;

	for (i = 0; i < n_obs; i++) {
		/* Keep the indices of the 5 smallest targets, sorted. */
		for (k = nt; k > 0 && y[top[k - 1]] > y[i]; k--)
			if (k < 5)
				top[k] = top[k - 1];
		if (k < 5) {
			top[k] = i;
			if (nt < 5)
				nt++;
		}
	}
	if (nt == 0)
		return;
	for (j = 0; j < m && C->m < C->cap; j++) {
		double *u = C->U + (C->m++) * sp->n;
		/* Half of them around the very best point. */
		t = j % 2 == 0 ? top[0] : top[search__rng_below(r, nt)];
		memcpy(u, Uobs + t * sp->n, sp->n * sizeof(double));
		for (i = 0; i < sp->n; i++) {
			const struct search_param *p = &sp->params[i];
			double ls, sd;

			if (p->kind == SEARCH_CATEGORICAL) {
				if (search__rng_below(r, sp->n) == 0)
					u[i] = search__rng_unif(r);
				continue;
			}
			if (M->lay.off[i] == SIZE_MAX)
				continue;
			ls = exp(M->gp->theta[2 + M->lay.grp[M->lay.off[i]]]);
			sd = scale[j % 3] * ls;
			sd = sd < 0.002 ? 0.002 : sd > 0.2 ? 0.2 : sd;
			u[i] += sd * search__rng_normal(r);
			u[i] = u[i] < 0 ? 0 : u[i] > 1 ? 1 : u[i];
		}
	}
}

/* Every untaken point of a small discrete space. */
static void
cand_enumerate(struct cand *C, const struct search_space *sp,
    const struct search__taken *taken, double *x)
{
	uint64_t size = search_grid_size(sp), g, rem, k;
	size_t i;

	for (g = 0; g < size && C->m < C->cap; g++) {
		rem = g;
		for (i = sp->n; i-- > 0;) {
			const struct search_param *p = &sp->params[i];

			k = p->kind == SEARCH_CATEGORICAL ? p->n_values :
			    (uint64_t)(p->hi - p->lo) + 1;
			x[i] = p->kind == SEARCH_CATEGORICAL ? (double)(rem % k) :
			    p->lo + (double)(rem % k);
			rem /= k;
		}
		if (search__taken_has(taken, x))
			continue;
		native_to_unit(sp, x, C->U + (C->m++) * sp->n);
	}
}

/* ---- the strategy ---- */

static int
sobol_design(const struct search_space *sp, uint64_t seed, uint64_t seq,
    size_t n, double *out, struct search__taken *taken)
{
	struct search__sobol sob;
	struct search__rng r;
	double *u;
	size_t k;
	int rc, rep = 0;

	search__rng_seed(&r, seed, 0, TAG_SOBOL);
	if ((u = malloc(sp->n * sizeof(double))) == NULL)
		return TD_ENOMEM;
	if ((rc = search__sobol_init(&sob, sp->n, &r)) != 0) {
		free(u);
		return rc;
	}
	search__rng_seed(&r, seed, seq, TAG_FALLBACK);
	for (k = 0; k < n && rc >= 0; k++) {
		double *x = out + k * sp->n;

		search__sobol_point(&sob, (seq + k) & 0xffffffffu, u);
		search__from_unit_point(sp, u, x);
		if (search__taken_has(taken, x)) {
			rc = search__random_point(sp, &r, taken, x);
			rep |= rc == 1;
		} else {
			rc = search__taken_add(taken, x);
		}
	}
	search__sobol_free(&sob);
	free(u);
	return rc < 0 ? rc : rep;
}

/* Candidates per suggestion: N_CAND up to ~N_SCREEN rows, then fewer,
 * as each costs O(n) kernel values (the screened variance is cheap). */
static size_t
n_candidates(size_t n_data)
{
	double m = 3e5 / ((double)n_data + 1.0);
	return m > N_CAND ? N_CAND : m < 300 ? 300 : (size_t)m;
}

size_t
search__refit_point(size_t n)
{
	size_t m = 20, step;

	if (n <= m)
		return n;
	for (;;) {
		step = m / 10 > 0 ? m / 10 : 1;
		if (m + step > n)
			return m;
		m += step;
	}
}

void
search__cache_reset(struct search_cache *c)
{
	free(c->grp);
	free(c->fit_F);
	free(c->fit_y);
	free(c->theta);
	search__gp_free(&c->gp);
	search__gp_free(&c->fail);
	memset(c, 0, sizeof(*c));
}

/* Keys the cache to this search's layout and seed, emptying it if it was
 * built for another. */
static int
cache_key(struct search_cache *c, const struct layout *lay, uint64_t seed)
{
	if (c->valid && c->seed == seed && c->d == lay->d &&
	    c->n_grp == lay->n_grp &&
	    memcmp(c->grp, lay->grp, lay->d * sizeof(size_t)) == 0)
		return 0;
	search__cache_reset(c);
	c->grp = malloc((lay->d + 1) * sizeof(size_t));
	c->theta = calloc(2 + lay->n_grp, sizeof(double));
	if (c->grp == NULL || c->theta == NULL) {
		search__cache_reset(c);
		return TD_ENOMEM;
	}
	memcpy(c->grp, lay->grp, lay->d * sizeof(size_t));
	c->seed = seed;
	c->d = lay->d;
	c->n_grp = lay->n_grp;
	c->valid = 1;
	return 0;
}

/* Makes g (one of the cache's GPs) hold at least cap points. */
static int
cache_gp(struct search_cache *c, struct search__gp *g, size_t cap)
{
	if (g->cap == 0)
		return search__gp_init(g, c->d, c->n_grp, c->grp, cap);
	if (g->cap >= cap)
		return 0;
	return search__gp_reserve(g, cap + cap / 4);
}

/*
 * The hyperparameters and the Yeo-Johnson lambda at refit point m: fit by
 * MAP on the first m successful rows F, y (raw targets) alone, on at most
 * M_FIT of them (a random subset keyed by (seed, m)). A pure function of
 * those rows, so it is stored in the cache and reused until the next
 * refit point. 0, TD_EINVAL (no usable fit) or TD_ENOMEM.
 */
static int
fit_at(struct search_cache *c, const double *F, const double *yraw,
    size_t m, uint64_t seed)
{
	struct search__gp_prior pr;
	struct search__gp sub;
	struct search__rng r;
	size_t *idx, i, j, t, k = m > M_FIT ? M_FIT : m, d = c->d;
	double *y, *tmp, lambda;
	int rc = TD_ENOMEM;

	if (c->fit_n == m && memcmp(c->fit_F, F, m * d * sizeof(double)) == 0 &&
	    memcmp(c->fit_y, yraw, m * sizeof(double)) == 0)
		return 0;
	c->fit_n = 0;
	y = malloc(m * sizeof(double));
	tmp = malloc(m * sizeof(double));
	idx = malloc(m * sizeof(size_t));
	free(c->fit_F);
	free(c->fit_y);
	c->fit_F = malloc((m * d + 1) * sizeof(double));
	c->fit_y = malloc(m * sizeof(double));
	if (y == NULL || tmp == NULL || idx == NULL || c->fit_F == NULL ||
	    c->fit_y == NULL) {
		free(y);
		free(tmp);
		free(idx);
		return rc;
	}
	memcpy(y, yraw, m * sizeof(double));
	soft_cap(y, m, tmp);
	standardise(y, m);
	lambda = yj_fit(y, m, tmp);
	memcpy(y, yraw, m * sizeof(double));
	transform_targets(y, m, lambda, tmp);
	make_prior(&pr, c->n_grp);
	search__rng_seed(&r, seed, m, TAG_FIT);
	if ((rc = search__gp_init(&sub, d, c->n_grp, c->grp, k)) != 0)
		goto out;
	for (i = 0; i < m; i++)
		idx[i] = i;
	for (i = 0; i < k; i++) {
		if (k < m) {
			j = i + search__rng_below(&r, m - i);
			t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
		}
		memcpy(sub.X + i * d, F + idx[i] * d, d * sizeof(double));
		sub.y[i] = y[idx[i]];
	}
	sub.n = k;
	if ((rc = search__gp_fit(&sub, &pr, &r, FIT_EVALS)) == 0) {
		memcpy(c->theta, sub.theta, (2 + c->n_grp) * sizeof(double));
		c->lambda = lambda;
		memcpy(c->fit_F, F, m * d * sizeof(double));
		memcpy(c->fit_y, yraw, m * sizeof(double));
		c->fit_n = m;
	}
	search__gp_free(&sub);
out:
	free(y);
	free(tmp);
	free(idx);
	return rc;
}

static int
bayes(const struct search_space *sp, uint64_t seed, uint64_t seq,
    const struct search_obs *obs, size_t n_obs, const double *pending,
    size_t n_pending, size_t n, double *out, struct search__taken *taken,
    struct search_cache *cache)
{
	struct search_cache own;
	struct model M;
	struct cand C;
	struct search__rng r;
	size_t i, j, k, n_ok = 0, np = sp->n, d, ncand, best;
	double *Uobs = NULL, *F = NULL, *Fall = NULL, *y = NULL, *lab = NULL;
	double *tmp = NULL, *u = NULL, *f = NULL, *x = NULL, mu;
	int rc, rep = 0, small, screen;

	for (i = 0; i < n_obs; i++)
		n_ok += isfinite(obs[i].y) != 0;
	if (n_ok < N_INIT)
		return sobol_design(sp, seed, seq, n, out, taken);

	memset(&M, 0, sizeof(M));
	memset(&C, 0, sizeof(C));
	M.sp = sp;
	if ((rc = layout_init(&M.lay, sp)) != 0)
		goto out;
	d = M.lay.d;
	rc = TD_ENOMEM;
	/* Rows 0..n_ok-1: successful trials; then the failed ones. Fall:
	 * every trial in the given order (the failure GP's rows). */
	Uobs = malloc(n_obs * np * sizeof(double));
	F = malloc((n_obs * d + 1) * sizeof(double));
	Fall = malloc((n_obs * d + 1) * sizeof(double));
	y = malloc(n_obs * sizeof(double));
	lab = malloc(n_obs * sizeof(double));
	tmp = malloc((n_obs + n_pending + n) * sizeof(double));
	u = malloc(np * sizeof(double));
	f = malloc((d + 1) * sizeof(double));
	x = malloc(np * sizeof(double));
	if (Uobs == NULL || F == NULL || Fall == NULL || y == NULL ||
	    lab == NULL || tmp == NULL || u == NULL || f == NULL || x == NULL)
		goto out;
	for (i = 0, j = 0, k = n_ok; i < n_obs; i++) {
		size_t row = isfinite(obs[i].y) ? j++ : k++;

		native_to_unit(sp, obs[i].x, Uobs + row * np);
		encode(&M.lay, sp, Uobs + row * np, 0, F + row * d);
		memcpy(Fall + i * d, F + row * d, d * sizeof(double));
		y[row] = obs[i].y;
		lab[i] = isfinite(obs[i].y) ? 0.0 : 1.0;
	}
	if (cache == NULL) {
		memset(&own, 0, sizeof(own));
		cache = &own;
	}
	if ((rc = cache_key(cache, &M.lay, seed)) != 0)
		goto out;
	M.gp = &cache->gp;
	M.fail = &cache->fail;
	/* theta from the refit point (cached), then the factor of all the
	 * successful rows, grown from the cached one. */
	rc = fit_at(cache, F, y, search__refit_point(n_ok), seed);
	if (rc == 0 && (rc = cache_gp(cache, M.gp, n_ok + n_pending + n)) == 0)
		rc = search__gp_sync(M.gp, cache->theta, F, n_ok,
		    search__refit_point(n_ok));
	if (rc == TD_EINVAL) {
		/* No usable model: fall back to the design. */
		rc = sobol_design(sp, seed, seq, n, out, taken);
		goto out;
	}
	if (rc != 0)
		goto out;
	transform_targets(y, n_ok, cache->lambda, tmp);
	search__gp_set_y(M.gp, y);
	if (n_ok < n_obs) {
		/* The failure indicator: the main GP's length scales, unit
		 * signal variance, noise 0.1 (labels are 0/1 and noisy). */
		double th[2 + SEARCH_MAX_PARAMS];

		memcpy(th, M.gp->theta, (2 + M.lay.n_grp) * sizeof(double));
		th[0] = 0;
		th[1] = log(0.1);
		if ((rc = cache_gp(cache, M.fail, n_obs)) != 0)
			goto out;
		if (search__gp_sync(M.fail, th, Fall, n_obs,
		    search__refit_point(n_obs)) == 0) {
			search__gp_set_y(M.fail, lab);
			M.has_fail = 1;
		}
	}
	/* The incumbent is the lowest posterior mean at an observed point,
	 * mu_i = y_i - sn2 alpha_i: with noise, the best raw value is often
	 * a lucky draw that EI would chase forever. */
	M.fbest = INFINITY;
	for (i = 0; i < n_ok; i++) {
		mu = y[i] - (M.gp->sn2 + M.gp->jitter) * M.gp->alpha[i];
		M.fbest = mu < M.fbest ? mu : M.fbest;
	}
	/* Pending points, then each pick of this batch, become fantasies at
	 * their posterior mean (kriging believer), and the incumbent follows
	 * them: otherwise EI keeps choosing next to a fantasy. */
	for (i = 0; i < n_pending; i++) {
		native_to_unit(sp, pending + i * np, u);
		encode(&M.lay, sp, u, 0, f);
		if ((rc = search__gp_append_mean(M.gp, f, &mu)) != 0)
			goto out;
		M.fbest = mu < M.fbest ? mu : M.fbest;
	}

	ncand = n_candidates(n_ok + n_pending + n);
	small = search__is_discrete(sp) && search_grid_size(sp) <= 4 * ncand;
	if ((rc = cand_reserve(&C, np, small ? search_grid_size(sp) :
	    ncand + ncand / 2)) != 0)
		goto out;
	search__rng_seed(&r, seed, seq, TAG_LOCAL);
	for (k = 0; k < n; k++) {
		double *xo = out + k * np;

		C.m = 0;
		if (small) {
			cand_enumerate(&C, sp, taken, x);
		} else {
			if ((rc = cand_global(&C, sp, seed, seq + k, ncand)) != 0)
				goto out;
			cand_local(&C, &M, Uobs, y, n_ok, &r, ncand / 2);
		}
		if (C.m == 0) {
			if ((rc = search__random_point(sp, &r, taken, xo)) < 0)
				goto out;
			rep |= rc;
			goto fantasy;
		}
		screen = !small && M.gp->n > N_SCREEN;
		if ((rc = screen ? score_bb(&M, C.U, C.m, C.sc, taken, x,
		    N_REFINE) : score(&M, C.U, C.m, C.sc)) != 0)
			goto out;
		/* Polish the best few (selection by partial sort). */
		for (j = 0; j < N_REFINE && j < C.m; j++) {
			size_t b = j;

			for (i = j + 1; i < C.m; i++)
				if (C.sc[i] > C.sc[b])
					b = i;
			if (b != j) {
				double t = C.sc[j];

				C.sc[j] = C.sc[b];
				C.sc[b] = t;
				memcpy(u, C.U + j * np, np * sizeof(double));
				memcpy(C.U + j * np, C.U + b * np,
				    np * sizeof(double));
				memcpy(C.U + b * np, u, np * sizeof(double));
			}
			if (!small && !screen && (rc = refine(&M, C.U + j * np,
			    &C.sc[j])) != 0)
				goto out;
		}
		/* The best untaken candidate. */
		best = SIZE_MAX;
		for (j = 0; j < C.m; j++) {
			search__from_unit_point(sp, C.U + j * np, x);
			if (search__taken_has(taken, x))
				continue;
			if (best == SIZE_MAX || C.sc[j] > C.sc[best])
				best = j;
		}
		if (best == SIZE_MAX) {
			if ((rc = search__random_point(sp, &r, taken, xo)) < 0)
				goto out;
			rep |= rc;
		} else {
			search__from_unit_point(sp, C.U + best * np, xo);
			if ((rc = search__taken_add(taken, xo)) != 0)
				goto out;
		}
fantasy:
		if (k + 1 < n) {
			native_to_unit(sp, xo, u);
			encode(&M.lay, sp, u, 0, f);
			if ((rc = search__gp_append_mean(M.gp, f, &mu)) != 0)
				goto out;
			M.fbest = mu < M.fbest ? mu : M.fbest;
		}
	}
	rc = rep;
out:
	cand_free(&C);
	if (cache == &own)
		search__cache_reset(&own);
	layout_free(&M.lay);
	free(M.work);
	free(Uobs);
	free(F);
	free(Fall);
	free(y);
	free(lab);
	free(tmp);
	free(u);
	free(f);
	free(x);
	return rc;
}

struct ranked {
	double	y;
	size_t	i;
};

/* Successful trials by loss, then failed ones; ties by index, so the
 * order is total and the result does not depend on qsort's algorithm. */
static int
cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	int fa = isfinite(a->y), fb = isfinite(b->y);

	if (fa != fb)
		return fa ? -1 : 1;
	if (fa && a->y != b->y)
		return a->y < b->y ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/*
 * Past M_MODEL observations the model keeps the best quarter and a random
 * sample of the rest (memory and time stay bounded: an O(n^3) factor at
 * n = 2000 is about a second). The taken set still holds every point.
 */
int
search__bayes(const struct search_space *sp, uint64_t seed, uint64_t seq,
    const struct search_obs *obs, size_t n_obs, const double *pending,
    size_t n_pending, size_t n, double *out, struct search__taken *taken,
    struct search_cache *cache)
{
	struct search__rng r;
	struct search_obs *sub;
	struct ranked *rk, t;
	size_t i, j, keep = M_MODEL / 4;
	int rc;

	if (n_obs <= M_MODEL)
		return bayes(sp, seed, seq, obs, n_obs, pending, n_pending, n,
		    out, taken, cache);
	rk = malloc(n_obs * sizeof(*rk));
	sub = malloc(M_MODEL * sizeof(*sub));
	if (rk == NULL || sub == NULL) {
		free(rk);
		free(sub);
		return TD_ENOMEM;
	}
	for (i = 0; i < n_obs; i++) {
		rk[i].y = obs[i].y;
		rk[i].i = i;
	}
	qsort(rk, n_obs, sizeof(*rk), cmp_ranked);
	search__rng_seed(&r, seed, seq, TAG_THIN);
	for (i = keep; i < M_MODEL; i++) {
		j = i + search__rng_below(&r, n_obs - i);
		t = rk[i];
		rk[i] = rk[j];
		rk[j] = t;
	}
	for (i = 0; i < M_MODEL; i++)
		sub[i] = obs[rk[i].i];
	rc = bayes(sp, seed, seq, sub, M_MODEL, pending, n_pending, n, out,
	    taken, cache);
	free(rk);
	free(sub);
	return rc;
}
