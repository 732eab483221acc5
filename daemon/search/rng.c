/*
 * rng.c - the search module's pseudo-random numbers: xoshiro256** (Blackman
 * and Vigna) seeded through splitmix64.
 *
 * Owns nothing but the stream state the caller passes in. No global state:
 * every stream is derived from explicit words (seed, seq, purpose), which
 * is what makes suggestions reproducible.
 */
#include <math.h>
#include <stdint.h>

#include "search_impl.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z;

	*x += 0x9e3779b97f4a7c15ULL;
	z = *x;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
search__rng_seed(struct search__rng *r, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t x = a;
	int i;

	/* Each word is folded in through a full splitmix round, so streams
	 * of neighbouring (seed, seq) pairs are unrelated. */
	x = splitmix64(&x) ^ b;
	x = splitmix64(&x) ^ c;
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 1;
}

uint64_t
search__rng_next(struct search__rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

double
search__rng_unif(struct search__rng *r)
{
	return (double)(search__rng_next(r) >> 11) * 0x1.0p-53;
}

double
search__rng_normal(struct search__rng *r)
{
	double u1 = 1.0 - search__rng_unif(r);	/* (0, 1] */
	double u2 = search__rng_unif(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint64_t
search__rng_below(struct search__rng *r, uint64_t n)
{
	unsigned __int128 m;
	uint64_t lo, t;

	m = (unsigned __int128)search__rng_next(r) * n;
	lo = (uint64_t)m;
	if (lo < n) {
		t = -n % n;
		while (lo < t) {
			m = (unsigned __int128)search__rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}
