/*
 * taken.c - the set of points a suggestion must not repeat: observed,
 * failed, pending and already-suggested ones.
 *
 * Owns its copies of the points. Points are compared bit for bit, so the
 * callers store canonical points only (search__canon: integers rounded,
 * no negative zero). Open addressing with linear probing; the table is
 * kept at most half full.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "search_impl.h"

static uint64_t
hash_point(const double *x, size_t dim)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL, w;
	size_t i;

	for (i = 0; i < dim; i++) {
		memcpy(&w, &x[i], sizeof(w));
		h ^= w + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	return h;
}

static int
grow(struct search__taken *t, size_t cap)
{
	uint32_t *slot = calloc(cap, sizeof(*slot));
	double *pts = realloc(t->pts, (cap / 2) * t->dim * sizeof(*pts));
	size_t i, h;

	if (slot == NULL || pts == NULL) {
		free(slot);
		if (pts != NULL)
			t->pts = pts;
		return TD_ENOMEM;
	}
	t->pts = pts;
	for (i = 0; i < t->n; i++) {
		h = hash_point(pts + i * t->dim, t->dim) & (cap - 1);
		while (slot[h] != 0)
			h = (h + 1) & (cap - 1);
		slot[h] = (uint32_t)(i + 1);
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

int
search__taken_init(struct search__taken *t, size_t dim, size_t hint)
{
	size_t cap = 16;

	memset(t, 0, sizeof(*t));
	t->dim = dim;
	while (cap < 2 * hint + 2)
		cap *= 2;
	return grow(t, cap);
}

void
search__taken_free(struct search__taken *t)
{
	if (t == NULL)
		return;
	free(t->pts);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

int
search__taken_has(const struct search__taken *t, const double *x)
{
	size_t h = hash_point(x, t->dim) & (t->cap - 1);

	while (t->slot[h] != 0) {
		const double *p = t->pts + (t->slot[h] - 1) * t->dim;

		if (memcmp(p, x, t->dim * sizeof(*x)) == 0)
			return 1;
		h = (h + 1) & (t->cap - 1);
	}
	return 0;
}

int
search__taken_add(struct search__taken *t, const double *x)
{
	size_t h;
	int rc;

	if (search__taken_has(t, x))
		return 0;
	if (t->n + 1 > t->cap / 2 && (rc = grow(t, t->cap * 2)) != 0)
		return rc;
	if (t->n >= UINT32_MAX - 1)
		return TD_ENOMEM;
	memcpy(t->pts + t->n * t->dim, x, t->dim * sizeof(*x));
	h = hash_point(x, t->dim) & (t->cap - 1);
	while (t->slot[h] != 0)
		h = (h + 1) & (t->cap - 1);
	t->slot[h] = (uint32_t)(t->n + 1);
	t->n++;
	return 0;
}
