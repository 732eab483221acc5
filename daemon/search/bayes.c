/*
 * bayes.c - the Bayesian strategy: a scrambled Sobol design first, then a
 * GP on the observations with log expected improvement, pending points
 * and earlier picks of the same batch as kriging-believer fantasies.
 *
 * Owns the per-call model (features, transformed targets, the GP) and frees
 * it before returning: nothing survives a call. Every random choice comes
 * from streams keyed by (seed, seq, purpose), so a call is a pure function
 * of its arguments. Features: one per continuous or integer parameter (its
 * unit-cube coordinate; integers at the centre of their bin), a one-hot
 * block per categorical with two or more values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "search_impl.h"

/* Stream tags: one per purpose, so the streams never overlap. */
enum {
	TAG_SOBOL = 1, TAG_FIT, TAG_CAND, TAG_LOCAL, TAG_FALLBACK, TAG_SUBSET,
};

#define N_INIT		2	/* successful trials before the GP is used */
#define M_FIT		200	/* at most this many points fit theta */
#define N_REFINE	5	/* candidates polished by L-BFGS */
#define REFINE_EVALS	30

struct layout {
	size_t		 d;		/* features */
	size_t		 n_grp;		/* length-scale groups */
	size_t		*grp;		/* d: feature -> group */
	size_t		*off;		/* n params: first feature, or SIZE_MAX */
};

struct model {
	const struct search_space *sp;
	struct layout	 lay;
	struct search__gp gp;
	double		 fbest;		/* best transformed target */
	int		 exploit;	/* 1: minimise the mean instead of EI */
	double		*ybase;		/* transformed targets of the data */
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

/* Standardises y, applies Yeo-Johnson with the maximum-likelihood lambda
 * in [-2, 4] (golden-section search) and standardises again. */
static void
transform_targets(double *y, size_t n, double *tmp)
{
	const double gr = 0.61803398874989484820;
	double a = -2, b = 4, c, d, fc, fd;
	size_t i, it;

	standardise(y, n);
	if (n < 3 || !search__knob("K_YJ", 1))
		return;
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
	if (!isfinite(yj_loglik(y, n, c, tmp)))
		return;
	for (i = 0; i < n; i++)
		y[i] = yeo_johnson(y[i], c);
	standardise(y, n);
}

/* ---- the GP's hyperparameter prior ---- */

static void
make_prior(struct search__gp_prior *pr, size_t d_eff)
{
	pr->ls_mu = log(search__knob("K_LS", 0.4) *
	    pow((double)d_eff, search__knob("K_LSPOW", 0.5)));
	pr->ls_sd = search__knob("K_LSSD", 1.0);
	pr->ls_lo = log(0.01);
	pr->ls_hi = log(20.0);
	pr->sf_mu = 0;
	pr->sf_sd = 1.0;
	pr->lo[0] = log(0.05);
	pr->hi[0] = log(20.0);
	pr->sn_mu = log(search__knob("K_SN", 1e-3));
	pr->sn_sd = search__knob("K_SNSD", 2.0);
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

/* Scores m candidates (unit-cube points, rounded features). */
static int
score(struct model *M, const double *U, size_t m, double *out)
{
	size_t d = M->lay.d, j, need = m * (M->gp.n + 2 + d);
	double *F, *mu, *var;

	if (need > M->work_len) {
		double *w = realloc(M->work, need * sizeof(double));

		if (w == NULL)
			return TD_ENOMEM;
		M->work = w;
		M->work_len = need;
	}
	F = M->work + m * M->gp.n;
	mu = F + m * d;
	var = mu + m;
	for (j = 0; j < m; j++)
		encode(&M->lay, M->sp, U + j * M->sp->n, 0, F + j * d);
	search__gp_predict(&M->gp, F, m, mu, var, M->work);
	for (j = 0; j < m; j++)
		out[j] = M->exploit ? -mu[j] : log_ei(M->fbest, mu[j], var[j]);
	return 0;
}

struct refine_ctx {
	struct model	*M;
	const double	*u0;		/* the candidate (categoricals) */
	const size_t	*var;		/* optimised params */
	size_t		 nv;
	double		*u, *f, *dmu, *dvar, *work;
};

static double
refine_fn(void *vc, const double *v, double *g)
{
	struct refine_ctx *c = vc;
	struct model *M = c->M;
	double mu, var, s, z, r, lh, ds;
	size_t k, fj;

	memcpy(c->u, c->u0, M->sp->n * sizeof(double));
	for (k = 0; k < c->nv; k++)
		c->u[c->var[k]] = v[k];
	encode(&M->lay, M->sp, c->u, 1, c->f);
	search__gp_predict_grad(&M->gp, c->f, &mu, &var, c->dmu, c->dvar,
	    c->work);
	if (M->exploit) {
		for (k = 0; k < c->nv; k++)
			g[k] = c->dmu[M->lay.off[c->var[k]]];
		return mu;
	}
	s = sqrt(var);
	z = (M->fbest - mu) / s;
	lh = search__log_h(z, &r);
	for (k = 0; k < c->nv; k++) {
		fj = M->lay.off[c->var[k]];
		ds = c->dvar[fj] / (2 * s);
		/* d log EI = ds/s (1 - z r) - r dmu / s */
		g[k] = -(ds / s * (1 - z * r) - r * c->dmu[fj] / s);
	}
	return -(log(s) + lh);
}

/* Polishes candidate u in place over its numeric coordinates; returns its
 * exact (rounded) score, never worse than the candidate's own. */
static int
refine(struct model *M, double *u, double *sc)
{
	const struct search_space *sp = M->sp;
	struct refine_ctx c;
	size_t nv = 0, i, d = M->lay.d, n = M->gp.n;
	double *buf, *v, *lo, *hi, *lw, s_new;
	int rc = TD_ENOMEM;

	buf = malloc((5 * sp->n + 3 * d + 3 * n + search__lbfgs_work(sp->n, 6) +
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
	c.work = c.dvar + d;
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
			ls = exp(M->gp.theta[2 + M->lay.grp[M->lay.off[i]]]);
			if (search__knob("K_LOCMODE", 0) == 1) {
				static const double sc[3] = { 0.03, 0.1, 0.3 };

				sd = sc[j % 3] * ls;
			} else {
				sd = search__knob("K_LOCSD", 0.15) * ls;
			}
			sd = sd < 0.002 ? 0.002 : sd > 0.2 ? 0.2 : sd;
			u[i] += sd * search__rng_normal(r);
			u[i] = u[i] < 0 ? 0 : u[i] > 1 ? 1 : u[i];
		}
	}
}

/* Uniform candidates in a trust region around the incumbent u0: a box of
 * side L w_i, w the length scales over their geometric mean (TuRBO's
 * shape). Categoricals flip to a random value with probability 1/n. */
static void
cand_tr(struct cand *C, struct model *M, const double *u0, double L,
    struct search__rng *r, size_t m)
{
	const struct search_space *sp = M->sp;
	double w[SEARCH_MAX_PARAMS], g = 0;
	size_t i, j, nn = 0;

	for (i = 0; i < sp->n; i++) {
		w[i] = 0;
		if (sp->params[i].kind == SEARCH_CATEGORICAL ||
		    M->lay.off[i] == SIZE_MAX)
			continue;
		w[i] = M->gp.theta[2 + M->lay.grp[M->lay.off[i]]];
		g += w[i];
		nn++;
	}
	for (i = 0; i < sp->n; i++)
		if (w[i] != 0 || (sp->params[i].kind != SEARCH_CATEGORICAL &&
		    M->lay.off[i] != SIZE_MAX))
			w[i] = exp(w[i] - g / (double)(nn ? nn : 1));
	for (j = 0; j < m && C->m < C->cap; j++) {
		double *u = C->U + (C->m++) * sp->n;

		memcpy(u, u0, sp->n * sizeof(double));
		for (i = 0; i < sp->n; i++) {
			if (sp->params[i].kind == SEARCH_CATEGORICAL) {
				if (search__rng_below(r, sp->n) == 0)
					u[i] = search__rng_unif(r);
				continue;
			}
			u[i] += L * w[i] * (search__rng_unif(r) - 0.5);
			u[i] = u[i] < 0 ? 0 : u[i] > 1 ? 1 : u[i];
		}
	}
}

/* TuRBO's trust-region length, recomputed from the history: halved for
 * every tau consecutive trials (in order) that did not improve the best,
 * cycling back to the start after 7 halvings. */
static double
tr_length(const struct search_obs *obs, size_t n_obs, size_t d)
{
	double best = INFINITY;
	size_t i, fails = 0, tau = d > 4 ? d : 4;

	for (i = 0; i < n_obs; i++) {
		if (isfinite(obs[i].y) && obs[i].y < best -
		    1e-3 * fabs(best)) {
			best = obs[i].y;
			fails = 0;
		} else {
			fails++;
		}
	}
	return 0.8 * ldexp(1.0, -(int)((fails / tau) % 8));
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

static size_t
n_candidates(size_t n_data)
{
	double m = 1.5e9 / ((double)n_data * (double)n_data + 1.0);
	double mx = search__knob("K_NCAND", 2000);

	return m > mx ? (size_t)mx : m < 300 ? 300 : (size_t)m;
}

/* Fits the hyperparameters on at most M_FIT of the points (a random
 * subset when there are more), then loads all points at that theta. */
static int
fit_model(struct model *M, const double *F, const double *y, size_t n,
    uint64_t seed, uint64_t seq)
{
	struct search__gp_prior pr;
	struct search__gp sub;
	struct search__rng r;
	size_t *idx, i, m = n > M_FIT ? M_FIT : n, d = M->lay.d, t;
	int rc;

	make_prior(&pr, M->lay.n_grp);
	search__rng_seed(&r, seed, seq, TAG_FIT);
	if (m == n) {
		if ((rc = search__gp_load(&M->gp, F, y, n)) != 0) {
			/* Fitting factors at each theta itself. */
			M->gp.n = n;
		}
		return search__gp_fit(&M->gp, &pr, &r, (size_t)search__knob("K_FITEV", 100));
	}
	if ((rc = search__gp_init(&sub, d, M->lay.n_grp, M->lay.grp, m)) != 0)
		return rc;
	if ((idx = malloc(n * sizeof(size_t))) == NULL) {
		search__gp_free(&sub);
		return TD_ENOMEM;
	}
	for (i = 0; i < n; i++)
		idx[i] = i;
	for (i = 0; i < m; i++) {
		size_t j = i + search__rng_below(&r, n - i);

		t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
		memcpy(sub.X + i * d, F + idx[i] * d, d * sizeof(double));
		sub.y[i] = y[idx[i]];
	}
	sub.n = m;
	rc = search__gp_fit(&sub, &pr, &r, 60);
	if (rc == 0) {
		search__gp_set_theta(&M->gp, sub.theta);
		rc = search__gp_load(&M->gp, F, y, n);
	}
	free(idx);
	search__gp_free(&sub);
	return rc;
}

int
search__bayes(const struct search_space *sp, uint64_t seed, uint64_t seq,
    const struct search_obs *obs, size_t n_obs, const double *pending,
    size_t n_pending, size_t n, double *out, struct search__taken *taken)
{
	struct model M;
	struct cand C;
	struct search__rng r;
	size_t i, j, k, n_ok = 0, np = sp->n, d, ncand, best, ibest;
	double trl;
	double worst = -INFINITY, *Uobs = NULL, *F = NULL, *y = NULL;
	double *tmp = NULL, *u = NULL, *f = NULL, *x = NULL, mu, var;
	int rc, rep = 0, small;

	for (i = 0; i < n_obs; i++) {
		if (isfinite(obs[i].y)) {
			n_ok++;
			worst = obs[i].y > worst ? obs[i].y : worst;
		}
	}
	if (n_ok < (size_t)search__knob("K_NINIT", N_INIT))
		return sobol_design(sp, seed, seq, n, out, taken);

	memset(&M, 0, sizeof(M));
	memset(&C, 0, sizeof(C));
	M.sp = sp;
	if ((rc = layout_init(&M.lay, sp)) != 0)
		goto out;
	d = M.lay.d;
	rc = TD_ENOMEM;
	Uobs = malloc(n_obs * np * sizeof(double));
	F = malloc((n_obs + n_pending + n) * d * sizeof(double));
	y = malloc(n_obs * sizeof(double));
	tmp = malloc((n_obs + n_pending + n) * sizeof(double));
	u = malloc(np * sizeof(double));
	f = malloc((d + 1) * sizeof(double));
	x = malloc(np * sizeof(double));
	if (Uobs == NULL || F == NULL || y == NULL || tmp == NULL ||
	    u == NULL || f == NULL || x == NULL)
		goto out;
	for (i = 0; i < n_obs; i++) {
		native_to_unit(sp, obs[i].x, Uobs + i * np);
		encode(&M.lay, sp, Uobs + i * np, 0, F + i * d);
		y[i] = isfinite(obs[i].y) ? obs[i].y : worst;
	}
	transform_targets(y, n_obs, tmp);
	M.fbest = INFINITY;
	for (i = 0; i < n_obs; i++)
		M.fbest = y[i] < M.fbest ? y[i] : M.fbest;

	if ((rc = search__gp_init(&M.gp, d, M.lay.n_grp, M.lay.grp,
	    n_obs + n_pending + n)) != 0)
		goto out;
	if ((rc = fit_model(&M, F, y, n_obs, seed, seq)) != 0) {
		/* No usable model: fall back to the design. */
		rc = sobol_design(sp, seed, seq, n, out, taken);
		goto out;
	}
	if (search__knob("K_DEBUG", 0)) {
		fprintf(stderr, "n=%zu theta:", n_obs);
		for (i = 0; i < 2 + M.lay.n_grp; i++)
			fprintf(stderr, " %.3g", exp(M.gp.theta[i]));
		fprintf(stderr, " fbest %.3g\n", M.fbest);
	}
	if (search__knob("K_INC", 0) == 1) {
		/* Incumbent: the lowest posterior mean at an observed point,
		 * mu_i = y_i - sn2 alpha_i. */
		M.fbest = INFINITY;
		for (i = 0; i < n_obs; i++) {
			mu = y[i] - (M.gp.sn2 + M.gp.jitter) * M.gp.alpha[i];
			M.fbest = mu < M.fbest ? mu : M.fbest;
		}
	}
	for (i = 0; i < n_pending; i++) {
		native_to_unit(sp, pending + i * np, u);
		encode(&M.lay, sp, u, 0, f);
		search__gp_predict(&M.gp, f, 1, &mu, &var, tmp);
		if ((rc = search__gp_append(&M.gp, f, mu)) != 0)
			goto out;
		if (search__knob("K_FBUP", 1))
			M.fbest = mu < M.fbest ? mu : M.fbest;
	}

	ncand = n_candidates(n_obs + n_pending + n);
	trl = tr_length(obs, n_obs, np);
	for (i = 1, ibest = 0; i < n_obs; i++)
		if (y[i] < y[ibest])
			ibest = i;
	small = search__is_discrete(sp) && search_grid_size(sp) <= 4 * ncand;
	if ((rc = cand_reserve(&C, np, small ? search_grid_size(sp) :
	    ncand + ncand / 2)) != 0)
		goto out;
	search__rng_seed(&r, seed, seq, TAG_LOCAL);
	for (k = 0; k < n; k++) {
		double *xo = out + k * np;

		C.m = 0;
		M.exploit = search__knob("K_EXPL", 0) > 0 &&
		    (seq + k) % (uint64_t)search__knob("K_EXPL", 0) ==
		    (uint64_t)search__knob("K_EXPL", 0) - 1;
		if (small) {
			cand_enumerate(&C, sp, taken, x);
		} else {
			size_t per = (size_t)search__knob("K_TR", 0);

			if (per > 0 && (seq + k) % per == per - 1) {
				cand_tr(&C, &M, Uobs + ibest * np, trl, &r, ncand);
				cand_local(&C, &M, Uobs, y, n_obs, &r, ncand / 2);
			} else {
				if ((rc = cand_global(&C, sp, seed, seq + k,
				    ncand)) != 0)
					goto out;
				cand_local(&C, &M, Uobs, y, n_obs, &r, ncand / 2);
			}
		}
		if (C.m == 0) {
			rep |= search__random_point(sp, &r, taken, xo) == 1;
			goto fantasy;
		}
		if ((rc = score(&M, C.U, C.m, C.sc)) != 0)
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
			if (!small && (rc = refine(&M, C.U + j * np,
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
			rep |= search__random_point(sp, &r, taken, xo) == 1;
		} else {
			search__from_unit_point(sp, C.U + best * np, xo);
			if ((rc = search__taken_add(taken, xo)) != 0)
				goto out;
		}
fantasy:
		if (k + 1 < n) {
			native_to_unit(sp, xo, u);
			encode(&M.lay, sp, u, 0, f);
			search__gp_predict(&M.gp, f, 1, &mu, &var, tmp);
			if ((rc = search__gp_append(&M.gp, f, mu)) != 0)
				goto out;
			if (search__knob("K_FBUP", 1))
				M.fbest = mu < M.fbest ? mu : M.fbest;
		}
	}
	rc = rep;
out:
	cand_free(&C);
	search__gp_free(&M.gp);
	layout_free(&M.lay);
	free(M.work);
	free(Uobs);
	free(F);
	free(y);
	free(tmp);
	free(u);
	free(f);
	free(x);
	return rc;
}
