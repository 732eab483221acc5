/*
 * search.c - the public entry point of the search library: argument
 * checks, the set of used points, and the two simple strategies (Random,
 * Grid). The Bayesian strategy lives in bayes.c.
 *
 * Owns nothing between calls (a caller's search_cache belongs to bayes.c;
 * its new/free live here with the other entry points). Invariant: every point handed back is
 * canonical (integers integral, categorical indices in range, continuous
 * values inside [lo, hi]) and, unless SEARCH_REPEATED is returned, not in
 * the taken set (observed, failed, pending or an earlier sibling).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "search_impl.h"

#define TAG_RANDOM	101
#define ENUM_LIMIT	((uint64_t)1 << 20)

/* Canonical copy of n points (n * dim); TD_EINVAL on a bad coordinate. */
static int
canon_points(const struct search_space *sp, const double *in, double *out)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		if (search__canon(&sp->params[i], in[i], &out[i]) != 0)
			return TD_EINVAL;
	return 0;
}

/* Grid point g in the fixed order: the last parameter varies fastest. */
static void
grid_point(const struct search_space *sp, uint64_t g, double *x)
{
	uint64_t k;
	size_t i;

	for (i = sp->n; i-- > 0;) {
		const struct search_param *p = &sp->params[i];

		k = p->kind == SEARCH_CATEGORICAL ? p->n_values :
		    (uint64_t)(p->hi - p->lo) + 1;
		x[i] = (p->kind == SEARCH_CATEGORICAL ? 0 : p->lo) +
		    (double)(g % k);
		g /= k;
	}
}

int
search__random_point(const struct search_space *sp, struct search__rng *rng,
    struct search__taken *taken, double *x)
{
	uint64_t size = search__is_discrete(sp) ? search_grid_size(sp) : 0;
	uint64_t g, start;
	size_t i, tries;
	int rc;

	if (size != 0 && taken->n >= size)
		goto repeat;
	for (tries = 0; tries < 64; tries++) {
		for (i = 0; i < sp->n; i++)
			x[i] = search_from_unit(&sp->params[i],
			    search__rng_unif(rng));
		if (!search__taken_has(taken, x))
			return search__taken_add(taken, x);
	}
	if (size != 0 && size <= ENUM_LIMIT) {
		/* Nearly full: walk the grid from a random start. */
		start = search__rng_below(rng, size);
		for (g = 0; g < size; g++) {
			grid_point(sp, (start + g) % size, x);
			if (!search__taken_has(taken, x))
				return search__taken_add(taken, x);
		}
	}
repeat:
	for (i = 0; i < sp->n; i++)
		x[i] = search_from_unit(&sp->params[i], search__rng_unif(rng));
	rc = search__taken_add(taken, x);
	return rc < 0 ? rc : 1;
}

static int
suggest_random(const struct search_space *sp, uint64_t seed, uint64_t seq,
    size_t n, double *out, struct search__taken *taken)
{
	struct search__rng r;
	size_t k;
	int rc, rep = 0;

	for (k = 0; k < n; k++) {
		/* One stream per suggestion number: suggestion seq + k is the
		 * same whether asked alone or in a batch. */
		search__rng_seed(&r, seed, seq + k, TAG_RANDOM);
		if ((rc = search__random_point(sp, &r, taken,
		    out + k * sp->n)) < 0)
			return rc;
		rep |= rc;
	}
	return rep;
}

static int
suggest_grid(const struct search_space *sp, uint64_t seq, size_t n,
    double *out)
{
	uint64_t size = search_grid_size(sp), g;
	size_t k;
	int rep = 0;

	if (size == 0)
		return TD_EINVAL;
	for (k = 0; k < n; k++) {
		g = seq + k;
		if (g >= size || g < seq) {
			rep = SEARCH_REPEATED;
			g %= size;
		}
		grid_point(sp, g, out + k * sp->n);
	}
	return rep;
}

struct search_cache *
search_cache_new(void)
{
	return calloc(1, sizeof(struct search_cache));
}

void
search_cache_free(struct search_cache *c)
{
	if (c == NULL)
		return;
	search__cache_reset(c);
	free(c);
}

int
search_suggest(enum search_strategy st, const struct search_space *sp,
    uint64_t seed, uint64_t seq, const struct search_obs *obs, size_t n_obs,
    const double *pending, size_t n_pending, size_t n, double *out)
{
	return search_suggest_cached(st, sp, seed, seq, obs, n_obs, pending,
	    n_pending, n, out, NULL);
}

int
search_suggest_cached(enum search_strategy st, const struct search_space *sp,
    uint64_t seed, uint64_t seq, const struct search_obs *obs, size_t n_obs,
    const double *pending, size_t n_pending, size_t n, double *out,
    struct search_cache *cache)
{
	struct search__taken taken;
	struct search_obs *cobs = NULL;
	double *cx = NULL, *cpend = NULL;
	size_t i, np;
	int rc;

	if (sp == NULL || out == NULL || n == 0 ||
	    search_space_check(sp, NULL, 0) != 0 ||
	    (n_obs > 0 && obs == NULL) || (n_pending > 0 && pending == NULL))
		return TD_EINVAL;
	if (st == SEARCH_GRID)
		return suggest_grid(sp, seq, n, out);
	if (st != SEARCH_RANDOM && st != SEARCH_BAYESIAN)
		return TD_EINVAL;
	np = sp->n;
	if (n_obs > SIZE_MAX / 16 / np || n_pending > SIZE_MAX / 16 / np)
		return TD_EINVAL;
	if ((rc = search__taken_init(&taken, np, n_obs + n_pending + n)) != 0)
		return rc;
	rc = TD_ENOMEM;
	cobs = malloc((n_obs + 1) * sizeof(*cobs));
	cx = malloc((n_obs + 1) * np * sizeof(double));
	cpend = malloc((n_pending + 1) * np * sizeof(double));
	if (cobs == NULL || cx == NULL || cpend == NULL)
		goto out;
	for (i = 0; i < n_obs; i++) {
		if (obs[i].x == NULL ||
		    (rc = canon_points(sp, obs[i].x, cx + i * np)) != 0)
			goto bad;
		cobs[i].x = cx + i * np;
		/* Any non-finite loss is a failed trial. */
		cobs[i].y = isfinite(obs[i].y) ? obs[i].y : NAN;
		if ((rc = search__taken_add(&taken, cobs[i].x)) != 0)
			goto out;
	}
	for (i = 0; i < n_pending; i++) {
		if ((rc = canon_points(sp, pending + i * np,
		    cpend + i * np)) != 0)
			goto bad;
		if ((rc = search__taken_add(&taken, cpend + i * np)) != 0)
			goto out;
	}
	if (st == SEARCH_RANDOM)
		rc = suggest_random(sp, seed, seq, n, out, &taken);
	else
		rc = search__bayes(sp, seed, seq, cobs, n_obs, cpend, n_pending,
		    n, out, &taken, cache);
	goto out;
bad:
	rc = TD_EINVAL;
out:
	search__taken_free(&taken);
	free(cobs);
	free(cx);
	free(cpend);
	return rc;
}
