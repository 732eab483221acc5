/*
 * search.h - tunerd's hyperparameter search strategies: a pure library.
 *
 * Owns the search-space encoding (SageMaker ParameterRanges <-> unit cube),
 * the strategies (Bayesian, Random, Grid) and their numerics (Sobol, GP,
 * log-EI). Never does I/O, never logs, never keeps global state, never
 * starts threads: the caller runs it on a worker thread and pins OpenBLAS
 * to one thread (openblas_set_num_threads(1)) if it cares.
 *
 * Invariant: search_suggest() is a pure function of its arguments. The same
 * strategy, space, seed, seq, observations (same values, same order) and
 * pending points give bit-identical output on the same build and machine.
 *
 * Points. A point is one double per parameter, in the space's parameter
 * order, in native units: the value itself for a continuous or integer
 * parameter (integers are integral doubles), the 0-based index into
 * `values` for a categorical one.
 *
 * Unit cube (the convention of optbench/space.py; one coordinate u in
 * [0, 1] per parameter):
 *   Linear              x = lo + u (hi - lo)
 *   Logarithmic         log x linear in u            (needs lo > 0)
 *   ReverseLogarithmic  log(1 - x) linear in u       (needs 0 <= lo, hi < 1)
 *   Integer             the warp above on [lo - 0.5, hi + 0.5], then rounded
 *                       and clipped to [lo, hi]: every integer gets an equal
 *                       share of u (Logarithmic integers need lo >= 1)
 *   Categorical         index floor(u k), k = n_values; inside the GP each
 *                       categorical is one-hot encoded instead.
 *   Auto                resolved once, per parameter, by search_scale_resolve():
 *                       Logarithmic when lo > 0 and hi / lo >= 1000 (the range
 *                       spans three decades or more, e.g. a learning rate in
 *                       [1e-5, 0.1]), Linear otherwise. Integer ranges use
 *                       the same rule on [lo, hi] (lo >= 1 is then implied).
 *
 * Errors: functions returning int give 0 (or a documented positive flag) on
 * success and a negative code from common/err.h on failure: TD_EINVAL for a
 * bad space or bad arguments, TD_ENOMEM when an allocation fails.
 */
#ifndef TD_SEARCH_H
#define TD_SEARCH_H

#include <stddef.h>
#include <stdint.h>

enum search_kind {
	SEARCH_CONTINUOUS,
	SEARCH_INTEGER,
	SEARCH_CATEGORICAL,
};

enum search_scale {
	SEARCH_AUTO,
	SEARCH_LINEAR,
	SEARCH_LOG,		/* SageMaker "Logarithmic" */
	SEARCH_REVLOG,		/* SageMaker "ReverseLogarithmic" */
};

enum search_strategy {
	SEARCH_BAYESIAN,	/* the default */
	SEARCH_RANDOM,
	SEARCH_GRID,
};

/* Limits checked by search_space_check(). */
#define SEARCH_MAX_PARAMS	256
#define SEARCH_MAX_VALUES	4096	/* values of one categorical */

/*
 * One parameter range. name and values are borrowed: the caller keeps them
 * alive for as long as the space is used. lo/hi are ignored for
 * categoricals; values/n_values are ignored for the others. For integers
 * lo and hi must be integral and within +-2^52.
 */
struct search_param {
	const char		 *name;
	enum search_kind	  kind;
	enum search_scale	  scale;
	double			  lo, hi;
	const char *const	 *values;
	size_t			  n_values;
};

/* A search space: n parameters, in order (SageMaker's order is continuous,
 * integer, categorical, but any order works). Borrowed, never copied. */
struct search_space {
	const struct search_param *params;
	size_t			   n;
};

/* A finished trial. x (sp->n doubles, native units) is borrowed; y is the
 * loss to MINIMISE (negate a Maximize objective); NAN (or any non-finite
 * value) marks a failed trial: its point is never suggested again, and the
 * Bayesian strategy learns where trials fail and avoids such regions. */
struct search_obs {
	const double	*x;
	double		 y;
};

/* Positive result of search_suggest(): the space had fewer unseen points
 * than requested, so some suggestions repeat an observed, pending or
 * sibling point. Only possible when every parameter is integer or
 * categorical. */
#define SEARCH_REPEATED	1

/*
 * Checks a space: n in 1..SEARCH_MAX_PARAMS, names non-empty and unique,
 * lo < hi and both finite, integral bounds for integers, lo > 0 for
 * Logarithmic (lo >= 1 for integers), 0 <= lo and hi < 1 for
 * ReverseLogarithmic, categoricals with 1..SEARCH_MAX_VALUES distinct
 * non-NULL values. Returns 0 or TD_EINVAL with a message naming the
 * parameter in err (may be NULL; always NUL-terminated when errlen > 0).
 * Every other function assumes a space that passed this check.
 */
int	search_space_check(const struct search_space *sp, char *err,
	    size_t errlen);

/* The scaling a parameter is actually searched with: never SEARCH_AUTO
 * (see "Auto" above); SEARCH_LINEAR for categoricals. */
enum search_scale search_scale_resolve(const struct search_param *p);

/*
 * Number of grid points: the product of the categorical sizes and of the
 * integer range sizes (hi - lo + 1). Grid is extended to integer ranges;
 * a SageMaker-faithful caller may still refuse integer ranges for Grid.
 * Returns 0 if the space is not a grid space (it has a continuous
 * parameter) or if the product exceeds 2^62.
 */
uint64_t search_grid_size(const struct search_space *sp);

/*
 * Suggests n new points into out (n * sp->n doubles, native units; the
 * caller owns out).
 *   st        strategy. Grid: suggestion k is grid point (seq + k) modulo
 *             the grid size, in a fixed order (the last parameter varies
 *             fastest, values in their given order, integers ascending);
 *             the observations are ignored. Random: uniform in the unit
 *             cube, from a stream derived from (seed, seq, k). Bayesian: a
 *             scrambled Sobol design (point seq + k of the job's sequence)
 *             until 2 trials have finished successfully, then a Gaussian
 *             process (Matern-5/2 ARD on the unit cube, categoricals
 *             one-hot, integers rounded; targets Yeo-Johnson transformed)
 *             maximising log expected improvement, with pending points and
 *             earlier picks of the batch as kriging-believer fantasies.
 *   seed      the tuning job's RandomSeed.
 *   seq       how many suggestions this job has received before this call.
 *   obs       n_obs finished trials (may be NULL when n_obs is 0).
 *   pending   n_pending running trials' points (n_pending * sp->n doubles).
 * Random and Bayesian never return a point equal (after rounding) to an
 * observed, pending or sibling point while unseen points remain.
 * Returns 0, SEARCH_REPEATED (see above; Random, Bayesian and Grid past
 * the end of the grid), TD_EINVAL (bad space, n == 0, out == NULL, a Grid
 * on a non-grid space, a non-finite or out-of-range coordinate in obs or
 * pending) or TD_ENOMEM. On error out is unspecified.
 */
int	search_suggest(enum search_strategy st, const struct search_space *sp,
	    uint64_t seed, uint64_t seq, const struct search_obs *obs,
	    size_t n_obs, const double *pending, size_t n_pending, size_t n,
	    double *out);

/*
 * A cache for one search (one tuning job): what the Bayesian strategy can
 * reuse from one call to the next, so that an ask costs O(n^2) instead of
 * a hyperparameter fit and an O(n^3) factorisation. The hyperparameters
 * are refit on a schedule decided by the number of successful
 * observations alone (about every 10%), and between refits new
 * observations are appended to the Cholesky factor.
 *
 * Contract: search_suggest_cached() with a cache returns bit-identical
 * output to search_suggest() with the same arguments; the cache only saves
 * time. Everything in it is checked against the arguments before it is
 * used, so passing a fresh cache, a stale one, or one last used with
 * another space or seed is always correct (it is then rebuilt). Speed-up
 * needs the observations of later calls to extend those of earlier ones
 * (same order, new trials at the end). Not thread-safe: one call at a
 * time per cache. search_cache_new() returns NULL when out of memory; the
 * caller owns the cache and frees it with search_cache_free() (NULL is a
 * no-op). A cache holds O(n^2) doubles (8 MB at 1,000 observations).
 */
struct search_cache;

struct search_cache *search_cache_new(void);
void	search_cache_free(struct search_cache *c);

/* search_suggest() with a cache (may be NULL: then exactly
 * search_suggest()). Same results and errors as search_suggest(). */
int	search_suggest_cached(enum search_strategy st,
	    const struct search_space *sp, uint64_t seed, uint64_t seq,
	    const struct search_obs *obs, size_t n_obs, const double *pending,
	    size_t n_pending, size_t n, double *out, struct search_cache *cache);

/*
 * Renders coordinate i of a point as SageMaker renders hyperparameter
 * values: continuous as the shortest decimal that reads back to the same
 * double ("0.0123", "1e-05"), integers without a fraction ("42"),
 * categoricals as their value ("adam"). Writes a NUL-terminated string
 * into buf; returns 0, or TD_EINVAL (i out of range, v out of range or not
 * finite, a non-integral integer, a bad index) or TD_ETOOBIG (buf too small).
 */
int	search_format_value(const struct search_space *sp, size_t i, double v,
	    char *buf, size_t len);

/*
 * Parses a hyperparameter string back into native units: a decimal number
 * for continuous and integer parameters (integers may be written "64" or
 * "64.0"; the value must be integral), one of the values (exact match) for
 * a categorical, which gives its index. The value must lie in [lo, hi]
 * (continuous values within 1e-9 (hi - lo) outside are clipped, as the
 * harness does). Returns 0 or TD_EINVAL.
 */
int	search_parse_value(const struct search_space *sp, size_t i,
	    const char *s, double *v);

/* Name <-> enum helpers for the API's strings ("Bayesian", "Random",
 * "Grid"; "Auto", "Linear", "Logarithmic", "ReverseLogarithmic").
 * The parsers return 0 or TD_EINVAL; the names are static strings. */
int	search_strategy_parse(const char *s, enum search_strategy *out);
const char *search_strategy_name(enum search_strategy st);
int	search_scale_parse(const char *s, enum search_scale *out);
const char *search_scale_name(enum search_scale sc);

/* Unit-cube conversions of one coordinate (exported for tests and the
 * benchmark adapter). search_to_unit() maps a native value to u in [0, 1]
 * (integers to the centre of their bin, categorical index j to
 * (j + 0.5) / k); search_from_unit() maps u back, rounding integers and
 * flooring categoricals. Both clip to the range. */
double	search_to_unit(const struct search_param *p, double v);
double	search_from_unit(const struct search_param *p, double u);

#endif
