/*
 * search_impl.h - what the files of daemon/search/ share with each other and
 * with the unit tests; never included outside the module (except tests and
 * bench/search/). Names carry the search__ prefix.
 *
 * Pieces: rng.c (splitmix64/xoshiro256**), sobol.c + sobol_tab.c
 * (scrambled Sobol), space.c (ranges, unit cube, formatting), taken.c (the
 * set of points already used), gp.c (the Gaussian process), acq.c (log-EI),
 * opt.c (bounded L-BFGS), bayes.c (the Bayesian strategy), search.c
 * (dispatch, Random, Grid).
 */
#ifndef TD_SEARCH_IMPL_H
#define TD_SEARCH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "search.h"

/* ---- rng.c: xoshiro256** seeded through splitmix64 ---- */

struct search__rng {
	uint64_t	s[4];
};

/* Seeds a stream from three words (e.g. seed, seq, purpose tag). */
void	search__rng_seed(struct search__rng *r, uint64_t a, uint64_t b,
	    uint64_t c);
uint64_t search__rng_next(struct search__rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double	search__rng_unif(struct search__rng *r);
/* Standard normal (Box-Muller, no cached second value). */
double	search__rng_normal(struct search__rng *r);
/* Uniform integer in [0, n), n > 0 (Lemire's multiply, rejection). */
uint64_t search__rng_below(struct search__rng *r, uint64_t n);

/* ---- sobol.c ---- */

#define SEARCH__SOBOL_MAXDIM	256
#define SEARCH__SOBOL_BITS	32

struct search__sobol_init {
	unsigned char	s;		/* degree of the primitive polynomial */
	unsigned short	a;		/* its inner coefficient bits */
	unsigned short	m[12];		/* initial direction numbers m_1..m_s */
};
extern const struct search__sobol_init search__sobol_tab[SEARCH__SOBOL_MAXDIM];

struct search__sobol {
	size_t		 dim;
	uint32_t	*v;		/* dim * 32 direction numbers */
	uint32_t	*shift;		/* dim digital shifts (0 if plain) */
	uint64_t	 jitter;	/* key of the bits below 2^-32 */
	int		 scrambled;
};

/* Builds a Sobol generator of dim <= SEARCH__SOBOL_MAXDIM dimensions.
 * With rng != NULL the sequence is scrambled (random linear matrix
 * scramble + digital shift, drawn from rng); with NULL it is the plain
 * sequence. Returns 0, TD_EINVAL or TD_ENOMEM; free with sobol_free. */
int	search__sobol_init(struct search__sobol *s, size_t dim,
	    struct search__rng *rng);
void	search__sobol_free(struct search__sobol *s);
/* Point number idx (< 2^32, Gray-code order) into u (dim doubles in [0,1)). */
void	search__sobol_point(struct search__sobol *s, uint64_t idx, double *u);

/* ---- space.c ---- */

/* Clips and canonicalises native coordinate v of p (rounds integers and
 * categorical indices); returns TD_EINVAL for a non-finite value or one
 * outside the range by more than the tolerance. */
int	search__canon(const struct search_param *p, double v, double *out);
/* Converts a whole unit-cube point to native units. */
void	search__from_unit_point(const struct search_space *sp, const double *u,
	    double *x);
/* 1 if the space has no continuous parameter (it can be exhausted). */
int	search__is_discrete(const struct search_space *sp);

/* ---- taken.c: a hash set of native points (exact match) ---- */

struct search__taken {
	size_t		 dim;
	size_t		 n, cap;	/* points stored; slots (power of 2) */
	double		*pts;		/* n * dim */
	uint32_t	*slot;		/* cap entries: index + 1, 0 = empty */
};

int	search__taken_init(struct search__taken *t, size_t dim, size_t hint);
void	search__taken_free(struct search__taken *t);
/* 1 if x (already canonical) is in the set. */
int	search__taken_has(const struct search__taken *t, const double *x);
/* Adds x (copied); adding a present point is a no-op. 0 or TD_ENOMEM. */
int	search__taken_add(struct search__taken *t, const double *x);

/* ---- acq.c ---- */

/* log(z Phi(z) + phi(z)), accurate for every finite z; *dlog (if not NULL)
 * gets its derivative Phi(z) / (z Phi(z) + phi(z)). */
double	search__log_h(double z, double *dlog);
/* Standard normal cdf and log pdf. */
double	search__norm_cdf(double z);

/* ---- opt.c: bounded L-BFGS minimiser ---- */

/* f returns the objective and writes its gradient into g. */
typedef double (*search__fn)(void *ctx, const double *x, double *g);

/* Minimises f over the box [lo, hi]^n from x (updated in place) with at
 * most max_eval evaluations; returns the final value. work must hold
 * search__lbfgs_work(n, m) doubles. */
double	search__lbfgs(search__fn f, void *ctx, size_t n, double *x,
	    const double *lo, const double *hi, size_t m, size_t max_eval,
	    double *work);
size_t	search__lbfgs_work(size_t n, size_t m);

/* ---- gp.c ---- */

/*
 * A GP on feature vectors: zero mean, Matern-5/2 kernel with one length
 * scale per group of features (a categorical's one-hot block shares one),
 * Gaussian noise. Hyperparameters live in log space: theta[0] = log signal
 * variance, theta[1] = log noise variance, theta[2 + g] = log length scale
 * of group g.
 */
struct search__gp {
	size_t		 d;		/* features */
	size_t		 n_grp;		/* length-scale groups */
	const size_t	*grp;		/* d entries: feature -> group */
	size_t		 n, cap;	/* points; capacity */
	double		*X;		/* cap * d, row-major */
	double		*y;		/* cap */
	double		*L;		/* cap * cap, column-major lower Cholesky */
	double		*alpha;		/* cap: (K + sn2 I)^-1 y */
	double		*theta;		/* 2 + n_grp */
	double		 sf2, sn2;	/* exp of theta[0], theta[1] */
	double		*inv_ls2;	/* d: 1 / l^2 per feature */
	double		 jitter;	/* added to the diagonal after a failure */
	double		*wk;		/* cap + 1 doubles of scratch */
	size_t		 base;		/* gp_sync: rows factored by dpotrf */
	int		 synced;	/* L is gp_sync's canonical factor */
};

int	search__gp_init(struct search__gp *gp, size_t d, size_t n_grp,
	    const size_t *grp, size_t cap);
void	search__gp_free(struct search__gp *gp);
/* Sets the hyperparameters (copies theta). */
void	search__gp_set_theta(struct search__gp *gp, const double *theta);
/* Loads n points and targets (copied; n <= cap), factors K. 0 or TD_EINVAL
 * when K stays indefinite even with jitter. */
int	search__gp_load(struct search__gp *gp, const double *X, const double *y,
	    size_t n);
/* Appends one point (a fantasy) with target y: O(n^2). */
int	search__gp_append(struct search__gp *gp, const double *x, double y);
/* Appends a kriging-believer fantasy: target = the posterior mean at x
 * (into *mu if not NULL), so alpha just gains a 0. O(n^2). 0 or
 * TD_EINVAL when full. */
int	search__gp_append_mean(struct search__gp *gp, const double *x,
	    double *mu);
/* Resizes to cap points, keeping the first min(n, cap) with their factor.
 * 0 or TD_ENOMEM (the GP is unchanged then). */
int	search__gp_reserve(struct search__gp *gp, size_t cap);
/*
 * Makes the GP hold rows F (n x d) at theta with the canonical factor:
 * rows 0..base-1 by a Cholesky of their block (smallest jitter that
 * works), each later row by a bordered append. When the factor already
 * held was built the same way (same theta bits, same base) the rows it
 * shares with F are kept and only the rest appended: O(n^2) per new row
 * instead of O(n^3), with bit-identical results. y and alpha are NOT set:
 * call gp_set_y next. 1 <= base <= n <= cap. 0 or TD_EINVAL (indefinite
 * even with jitter) or TD_ENOMEM.
 */
int	search__gp_sync(struct search__gp *gp, const double *theta,
	    const double *F, size_t n, size_t base);
/* Replaces the targets and recomputes alpha: O(n^2). */
void	search__gp_set_y(struct search__gp *gp, const double *y);
/* Kernel value between two feature vectors (with signal variance). */
double	search__gp_kernel(const struct search__gp *gp, const double *a,
	    const double *b);
/* Posterior mean and latent variance at m points Xs (m * d). work needs
 * m * gp->n doubles. */
void	search__gp_predict(const struct search__gp *gp, const double *Xs,
	    size_t m, double *mu, double *var, double *work);
/* The kernel values between x and the n points held (k: n doubles). */
void	search__gp_kvec(const struct search__gp *gp, const double *x,
	    double *k);
/* An upper bound of the posterior (latent) variance at x: the variance
 * given only the q points nearest to x (conditioning on fewer points never
 * lowers it), O(n d + q^3). work needs q^2 + 2q doubles, idx q entries.
 * q >= 1. */
double	search__gp_var_bound(const struct search__gp *gp, const double *x,
	    size_t q, double *work, size_t *idx);
/* Posterior mean only, at m points (O(m n d), no solves). */
void	search__gp_mean(const struct search__gp *gp, const double *Xs, size_t m,
	    double *mu);
/* Posterior mean at one point and its gradient (d) w.r.t. the features. */
void	search__gp_mean_grad(const struct search__gp *gp, const double *x,
	    double *mu, double *dmu);
/* Mean and variance at one point and their gradients (d each) w.r.t. the
 * features. work needs 2 * gp->n doubles. */
void	search__gp_predict_grad(const struct search__gp *gp, const double *x,
	    double *mu, double *var, double *dmu, double *dvar, double *work);

/* Priors and bounds of the hyperparameters, for a space of d_eff effective
 * dimensions. */
struct search__gp_prior {
	double	ls_mu, ls_sd;		/* log-normal on length scales */
	double	sf_mu, sf_sd;		/* log-normal on the signal variance */
	double	sn_mu, sn_sd;		/* log-normal on the noise variance */
	double	lo[2], hi[2];		/* bounds of theta[0], theta[1] */
	double	ls_lo, ls_hi;		/* bounds of every log length scale */
};

/* The negative log posterior of theta (log marginal likelihood + log
 * prior) on the points loaded with gp_load, and its gradient. Leaves the
 * GP factored at theta. Returns +inf if K cannot be factored. work needs
 * 3 * n * n doubles. */
double	search__gp_neg_log_post(struct search__gp *gp,
	    const struct search__gp_prior *pr, const double *theta, double *grad,
	    double *work);
/* Fits theta by MAP from several starts (drawn from rng), at most
 * max_eval likelihood evaluations in all, and leaves the GP factored at
 * the best theta. 0, TD_EINVAL or TD_ENOMEM. */
int	search__gp_fit(struct search__gp *gp, const struct search__gp_prior *pr,
	    struct search__rng *rng, size_t max_eval);

/* ---- bayes.c ---- */

/*
 * What the Bayesian strategy keeps between calls of one search (see
 * search_cache_new()). Everything in it is a pure function of the inputs
 * that produced it, checked against them before use: the hyperparameter
 * fit at refit point fit_n (keyed by those rows and raw targets), and
 * the canonical factors of the main and failure GPs (keyed by their rows,
 * theta and base, see gp_sync).
 */
struct search_cache {
	int		 valid;
	uint64_t	 seed;
	size_t		 d, n_grp;
	size_t		*grp;		/* d: feature -> group */
	size_t		 fit_n;		/* 0: no fit stored */
	double		*fit_F;		/* fit_n * d features */
	double		*fit_y;		/* fit_n raw targets */
	double		*theta;		/* 2 + n_grp */
	double		 lambda;	/* Yeo-Johnson lambda; NAN: none */
	struct search__gp gp, fail;	/* cap == 0: not allocated */
};

/* Empties a cache (frees its arrays), keeping the struct. */
void	search__cache_reset(struct search_cache *c);

/* The refit point for n successful observations: the hyperparameters are
 * fit on the first search__refit_point(n) of them. n itself up to 20,
 * then a step of 10% (at least 1): 20, 22, 24, 26, 28, 30, 33, ... A
 * function of n only, so a restarted daemon refits where the old one did. */
size_t	search__refit_point(size_t n);

/* cache may be NULL (nothing kept; the result is the same bits). */
int	search__bayes(const struct search_space *sp, uint64_t seed,
	    uint64_t seq, const struct search_obs *obs, size_t n_obs,
	    const double *pending, size_t n_pending, size_t n, double *out,
	    struct search__taken *taken, struct search_cache *cache);

/* Random suggestion with deduplication against taken (added to it):
 * returns 1 if a duplicate had to be accepted. Used by Random and by the
 * Bayesian strategy's fallbacks. */
int	search__random_point(const struct search_space *sp,
	    struct search__rng *rng, struct search__taken *taken, double *x);

#endif
