/*
 * sobol.c - Sobol low-discrepancy points, plain or scrambled.
 *
 * Owns the direction numbers of one generator. Direction numbers come from
 * sobol_tab.c (Joe-Kuo primitive polynomials and initial numbers) through
 * the usual recurrence; points are produced in Gray-code order, so the
 * plain 2-D sequence starts (0,0) (.5,.5) (.75,.25) (.25,.75) ...
 * Scrambling is a random linear matrix scramble of each dimension's
 * digits followed by a random digital shift: it keeps the net structure and
 * makes every point uniformly distributed.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "search_impl.h"

static void
directions(size_t d, uint32_t *v)
{
	const struct search__sobol_init *e = &search__sobol_tab[d];
	unsigned int s = e->s, k, j;

	if (d == 0) {
		for (k = 0; k < SEARCH__SOBOL_BITS; k++)
			v[k] = (uint32_t)1 << (31 - k);
		return;
	}
	for (k = 0; k < s && k < SEARCH__SOBOL_BITS; k++)
		v[k] = (uint32_t)e->m[k] << (31 - k);
	for (k = s; k < SEARCH__SOBOL_BITS; k++) {
		v[k] = v[k - s] ^ (v[k - s] >> s);
		for (j = 1; j < s; j++)
			if ((e->a >> (s - 1 - j)) & 1)
				v[k] ^= v[k - j];
	}
}

/* Multiplies every direction number of one dimension by a random lower
 * unit-triangular matrix over GF(2) (digit 1 is bit 31). */
static void
scramble(uint32_t *v, struct search__rng *rng)
{
	uint32_t row[SEARCH__SOBOL_BITS];
	unsigned int i, k;

	for (i = 0; i < SEARCH__SOBOL_BITS; i++) {
		/* Output digit i depends on input digits 0..i: bits 31..31-i. */
		uint32_t above = i == 0 ? 0 : ~(uint32_t)0 << (32 - i);

		row[i] = ((uint32_t)search__rng_next(rng) & above) |
		    ((uint32_t)1 << (31 - i));
	}
	for (k = 0; k < SEARCH__SOBOL_BITS; k++) {
		uint32_t in = v[k], out = 0;

		for (i = 0; i < SEARCH__SOBOL_BITS; i++)
			if (__builtin_parity(row[i] & in))
				out |= (uint32_t)1 << (31 - i);
		v[k] = out;
	}
}

/* A uniform [0, 1) fraction that is a pure function of (key, idx, d), so
 * point idx does not depend on which points were drawn before it. */
static double
low_bits(uint64_t key, uint64_t idx, size_t d)
{
	struct search__rng r;

	search__rng_seed(&r, key, idx, d);
	return search__rng_unif(&r);
}

int
search__sobol_init(struct search__sobol *s, size_t dim,
    struct search__rng *rng)
{
	size_t d;

	memset(s, 0, sizeof(*s));
	if (dim == 0 || dim > SEARCH__SOBOL_MAXDIM)
		return TD_EINVAL;
	s->v = malloc(dim * SEARCH__SOBOL_BITS * sizeof(*s->v));
	s->shift = calloc(dim, sizeof(*s->shift));
	if (s->v == NULL || s->shift == NULL) {
		search__sobol_free(s);
		return TD_ENOMEM;
	}
	s->dim = dim;
	for (d = 0; d < dim; d++) {
		directions(d, s->v + d * SEARCH__SOBOL_BITS);
		if (rng != NULL) {
			scramble(s->v + d * SEARCH__SOBOL_BITS, rng);
			s->shift[d] = (uint32_t)search__rng_next(rng);
		}
	}
	if (rng != NULL) {
		s->scrambled = 1;
		s->jitter = search__rng_next(rng);
	}
	return 0;
}

void
search__sobol_free(struct search__sobol *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s->shift);
	s->v = NULL;
	s->shift = NULL;
}

void
search__sobol_point(struct search__sobol *s, uint64_t idx, double *u)
{
	uint64_t g = idx ^ (idx >> 1);
	size_t d;
	unsigned int k;

	for (d = 0; d < s->dim; d++) {
		const uint32_t *v = s->v + d * SEARCH__SOBOL_BITS;
		uint32_t x = s->shift[d];

		for (k = 0; k < SEARCH__SOBOL_BITS && (g >> k) != 0; k++)
			if ((g >> k) & 1)
				x ^= v[k];
		if (s->scrambled)
			u[d] = ((double)x + low_bits(s->jitter, idx, d)) *
			    0x1.0p-32;
		else
			u[d] = (double)x * 0x1.0p-32;
	}
}
