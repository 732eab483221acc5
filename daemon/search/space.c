/*
 * space.c - search spaces: validation, the unit-cube convention, grid
 * sizes, and the text form of hyperparameter values.
 *
 * Owns the mapping between native values and unit-cube coordinates (the
 * convention of optbench/space.py, documented in search.h) and nothing
 * else; it never allocates. Invariant: for a checked space,
 * search_from_unit(p, search_to_unit(p, v)) == v for every integer or
 * categorical value v, and is v within rounding for a continuous one.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "search_impl.h"

#define INT_LIMIT	4503599627370496.0	/* 2^52 */

static const char *const strategy_names[] = {
	[SEARCH_BAYESIAN] = "Bayesian",
	[SEARCH_RANDOM] = "Random",
	[SEARCH_GRID] = "Grid",
};

static const char *const scale_names[] = {
	[SEARCH_AUTO] = "Auto",
	[SEARCH_LINEAR] = "Linear",
	[SEARCH_LOG] = "Logarithmic",
	[SEARCH_REVLOG] = "ReverseLogarithmic",
};

int
search_strategy_parse(const char *s, enum search_strategy *out)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof(strategy_names) /
	    sizeof(strategy_names[0]); i++) {
		if (strcmp(s, strategy_names[i]) == 0) {
			*out = (enum search_strategy)i;
			return 0;
		}
	}
	return TD_EINVAL;
}

const char *
search_strategy_name(enum search_strategy st)
{
	if ((size_t)st >= sizeof(strategy_names) / sizeof(strategy_names[0]))
		return "?";
	return strategy_names[st];
}

int
search_scale_parse(const char *s, enum search_scale *out)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof(scale_names) /
	    sizeof(scale_names[0]); i++) {
		if (strcmp(s, scale_names[i]) == 0) {
			*out = (enum search_scale)i;
			return 0;
		}
	}
	return TD_EINVAL;
}

const char *
search_scale_name(enum search_scale sc)
{
	if ((size_t)sc >= sizeof(scale_names) / sizeof(scale_names[0]))
		return "?";
	return scale_names[sc];
}

static int
fail(char *err, size_t errlen, const char *name, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", name != NULL && *name ? name :
		    "(unnamed parameter)", what);
	return TD_EINVAL;
}

static int
check_param(const struct search_param *p, char *err, size_t errlen)
{
	size_t j, k;

	if (p->name == NULL || p->name[0] == '\0')
		return fail(err, errlen, NULL, "a parameter needs a name");
	if (p->kind == SEARCH_CATEGORICAL) {
		if (p->values == NULL || p->n_values == 0)
			return fail(err, errlen, p->name,
			    "a categorical range needs at least one value");
		if (p->n_values > SEARCH_MAX_VALUES)
			return fail(err, errlen, p->name,
			    "too many categorical values");
		for (j = 0; j < p->n_values; j++) {
			if (p->values[j] == NULL)
				return fail(err, errlen, p->name,
				    "a categorical value is missing");
			for (k = 0; k < j; k++)
				if (strcmp(p->values[j], p->values[k]) == 0)
					return fail(err, errlen, p->name,
					    "categorical values must be distinct");
		}
		return 0;
	}
	if (p->kind != SEARCH_CONTINUOUS && p->kind != SEARCH_INTEGER)
		return fail(err, errlen, p->name, "unknown parameter kind");
	if ((unsigned int)p->scale > SEARCH_REVLOG)
		return fail(err, errlen, p->name, "unknown ScalingType");
	if (!isfinite(p->lo) || !isfinite(p->hi))
		return fail(err, errlen, p->name,
		    "MinValue and MaxValue must be finite numbers");
	if (!(p->lo < p->hi))
		return fail(err, errlen, p->name,
		    "MinValue must be less than MaxValue");
	if (p->kind == SEARCH_INTEGER) {
		if (p->lo != floor(p->lo) || p->hi != floor(p->hi))
			return fail(err, errlen, p->name,
			    "an integer range needs integer bounds");
		if (fabs(p->lo) > INT_LIMIT || fabs(p->hi) > INT_LIMIT)
			return fail(err, errlen, p->name,
			    "integer bounds must lie within +-2^52");
		if (p->scale == SEARCH_LOG && p->lo < 1)
			return fail(err, errlen, p->name,
			    "Logarithmic scaling of an integer range needs "
			    "MinValue >= 1");
		if (p->scale == SEARCH_REVLOG)
			return fail(err, errlen, p->name,
			    "ReverseLogarithmic scaling is not valid for an "
			    "integer range");
		return 0;
	}
	if (p->scale == SEARCH_LOG && !(p->lo > 0))
		return fail(err, errlen, p->name,
		    "Logarithmic scaling needs MinValue > 0");
	if (p->scale == SEARCH_REVLOG && !(p->lo >= 0 && p->hi < 1))
		return fail(err, errlen, p->name,
		    "ReverseLogarithmic scaling needs 0 <= MinValue and "
		    "MaxValue < 1");
	return 0;
}

int
search_space_check(const struct search_space *sp, char *err, size_t errlen)
{
	size_t i, j;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (sp == NULL || sp->params == NULL || sp->n == 0)
		return fail(err, errlen, "ParameterRanges",
		    "at least one parameter range is required");
	if (sp->n > SEARCH_MAX_PARAMS)
		return fail(err, errlen, "ParameterRanges",
		    "too many parameter ranges");
	for (i = 0; i < sp->n; i++) {
		if ((rc = check_param(&sp->params[i], err, errlen)) != 0)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(sp->params[i].name, sp->params[j].name) == 0)
				return fail(err, errlen, sp->params[i].name,
				    "parameter names must be unique");
	}
	return 0;
}

enum search_scale
search_scale_resolve(const struct search_param *p)
{
	if (p->kind == SEARCH_CATEGORICAL)
		return SEARCH_LINEAR;
	if (p->scale != SEARCH_AUTO)
		return p->scale;
	if (p->lo > 0 && p->hi / p->lo >= 1000.0 &&
	    (p->kind == SEARCH_CONTINUOUS || p->lo >= 1))
		return SEARCH_LOG;
	return SEARCH_LINEAR;
}

int
search__is_discrete(const struct search_space *sp)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		if (sp->params[i].kind == SEARCH_CONTINUOUS)
			return 0;
	return 1;
}

uint64_t
search_grid_size(const struct search_space *sp)
{
	const uint64_t limit = (uint64_t)1 << 62;
	uint64_t size = 1, k;
	size_t i;

	for (i = 0; i < sp->n; i++) {
		const struct search_param *p = &sp->params[i];

		if (p->kind == SEARCH_CONTINUOUS)
			return 0;
		if (p->kind == SEARCH_CATEGORICAL)
			k = p->n_values;
		else
			k = (uint64_t)(p->hi - p->lo) + 1;
		if (k == 0 || size > limit / k)
			return 0;
		size *= k;
	}
	return size;
}

/* The interval the warp applies to: integers get half a unit each side. */
static void
warp_interval(const struct search_param *p, double *a, double *b)
{
	*a = p->lo;
	*b = p->hi;
	if (p->kind == SEARCH_INTEGER) {
		*a -= 0.5;
		*b += 0.5;
	}
}

double
search_to_unit(const struct search_param *p, double v)
{
	double a, b, u;

	if (p->kind == SEARCH_CATEGORICAL) {
		double j = floor(v);

		if (!(j >= 0))
			j = 0;
		if (j > (double)p->n_values - 1)
			j = (double)p->n_values - 1;
		return (j + 0.5) / (double)p->n_values;
	}
	warp_interval(p, &a, &b);
	switch (search_scale_resolve(p)) {
	case SEARCH_LOG:
		u = (log(v) - log(a)) / (log(b) - log(a));
		break;
	case SEARCH_REVLOG:
		u = (log1p(-v) - log1p(-a)) / (log1p(-b) - log1p(-a));
		break;
	default:
		u = (v - a) / (b - a);
		break;
	}
	if (!(u >= 0))
		u = 0;
	if (u > 1)
		u = 1;
	return u;
}

double
search_from_unit(const struct search_param *p, double u)
{
	double a, b, x;

	if (!(u >= 0))
		u = 0;
	if (u > 1)
		u = 1;
	if (p->kind == SEARCH_CATEGORICAL) {
		double j = floor(u * (double)p->n_values);

		return j > (double)p->n_values - 1 ? (double)p->n_values - 1 : j;
	}
	warp_interval(p, &a, &b);
	switch (search_scale_resolve(p)) {
	case SEARCH_LOG:
		x = exp(log(a) + u * (log(b) - log(a)));
		break;
	case SEARCH_REVLOG:
		x = -expm1(log1p(-a) + u * (log1p(-b) - log1p(-a)));
		break;
	default:
		x = a + u * (b - a);
		break;
	}
	if (p->kind == SEARCH_INTEGER)
		x = round(x);
	if (x < p->lo)
		x = p->lo;
	if (x > p->hi)
		x = p->hi;
	return x;
}

void
search__from_unit_point(const struct search_space *sp, const double *u,
    double *x)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		x[i] = search_from_unit(&sp->params[i], u[i]);
}

int
search__canon(const struct search_param *p, double v, double *out)
{
	double lo, hi, tol, r;

	if (!isfinite(v))
		return TD_EINVAL;
	if (p->kind == SEARCH_CATEGORICAL) {
		lo = 0;
		hi = (double)p->n_values - 1;
	} else {
		lo = p->lo;
		hi = p->hi;
	}
	if (p->kind == SEARCH_CONTINUOUS) {
		tol = 1e-9 * (hi - lo);
		if (v < lo - tol || v > hi + tol)
			return TD_EINVAL;
		*out = v < lo ? lo : v > hi ? hi : v;
		return 0;
	}
	r = round(v);
	if (fabs(v - r) > 1e-9 || r < lo || r > hi)
		return TD_EINVAL;
	*out = r + 0.0;		/* never -0 */
	return 0;
}

int
search_format_value(const struct search_space *sp, size_t i, double v,
    char *buf, size_t len)
{
	const struct search_param *p;
	double c;
	int prec, w;

	if (sp == NULL || i >= sp->n || buf == NULL || len == 0)
		return TD_EINVAL;
	p = &sp->params[i];
	if (search__canon(p, v, &c) != 0)
		return TD_EINVAL;
	if (p->kind == SEARCH_CATEGORICAL) {
		const char *s = p->values[(size_t)c];

		if (strlen(s) >= len)
			return TD_ETOOBIG;
		memcpy(buf, s, strlen(s) + 1);
		return 0;
	}
	if (p->kind == SEARCH_INTEGER) {
		w = snprintf(buf, len, "%lld", (long long)c);
		return w < 0 || (size_t)w >= len ? TD_ETOOBIG : 0;
	}
	if (c == 0)
		c = 0.0;	/* drop a negative zero's sign */
	for (prec = 1; prec <= 17; prec++) {
		w = snprintf(buf, len, "%.*g", prec, c);
		if (w < 0 || (size_t)w >= len)
			return TD_ETOOBIG;
		if (strtod(buf, NULL) == c)
			break;
	}
	return 0;
}

/* strtod restricted to plain decimal numbers: the whole string, no
 * blanks, no hex, no inf/nan. */
static int
parse_decimal(const char *s, double *out)
{
	const char *q;
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return TD_EINVAL;
	for (q = s; *q; q++)
		if (!isdigit((unsigned char)*q) && strchr("+-.eE", *q) == NULL)
			return TD_EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || end == s || !isfinite(v))
		return TD_EINVAL;
	*out = v;
	return 0;
}

int
search_parse_value(const struct search_space *sp, size_t i, const char *s,
    double *v)
{
	const struct search_param *p;
	double x;
	size_t j;

	if (sp == NULL || i >= sp->n || s == NULL || v == NULL)
		return TD_EINVAL;
	p = &sp->params[i];
	if (p->kind == SEARCH_CATEGORICAL) {
		for (j = 0; j < p->n_values; j++) {
			if (strcmp(s, p->values[j]) == 0) {
				*v = (double)j;
				return 0;
			}
		}
		return TD_EINVAL;
	}
	if (parse_decimal(s, &x) != 0)
		return TD_EINVAL;
	if (p->kind == SEARCH_INTEGER && x != floor(x))
		return TD_EINVAL;
	return search__canon(p, x, v);
}
