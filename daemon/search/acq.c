/*
 * acq.c - the numerics of expected improvement, in log space.
 *
 * Owns nothing. With z = (best - mu) / sigma, EI = sigma h(z) where
 * h(z) = z Phi(z) + phi(z). Far into the left tail h underflows and the
 * direct formula cancels, so for z < -5 we write, with t = -z and the
 * Mills ratio R(t) = (1 - Phi(t)) / phi(t) = 1 / (t + c(t)),
 *     h(z) = phi(z) (1 - t R(t)) = phi(z) c / (t + c),
 *     c(t) = 1 / (t + 2 / (t + 3 / (t + 4 / ...))),
 * a continued fraction without cancellation; then d log h / dz = 1 / c.
 */
#include <math.h>

#include "search_impl.h"

#define LOG_SQRT_2PI	0.91893853320467274178
#define TAIL_Z		(-5.0)
#define CF_DEPTH	120

double
search__norm_cdf(double z)
{
	return 0.5 * erfc(-z * M_SQRT1_2);
}

/* c(t) by backward evaluation of the continued fraction. */
static double
tail_c(double t)
{
	double f = t;
	int k;

	for (k = CF_DEPTH; k >= 2; k--)
		f = t + k / f;
	return 1.0 / f;
}

double
search__log_h(double z, double *dlog)
{
	double cdf, pdf, h, t, c;

	if (isnan(z)) {
		if (dlog != NULL)
			*dlog = NAN;
		return NAN;
	}
	if (z >= TAIL_Z) {
		cdf = search__norm_cdf(z);
		pdf = exp(-0.5 * z * z - LOG_SQRT_2PI);
		h = z * cdf + pdf;
		if (dlog != NULL)
			*dlog = cdf / h;
		return log(h);
	}
	if (isinf(z)) {
		if (dlog != NULL)
			*dlog = INFINITY;
		return -INFINITY;
	}
	t = -z;
	c = tail_c(t);
	if (dlog != NULL)
		*dlog = 1.0 / c;
	return -0.5 * z * z - LOG_SQRT_2PI + log(c) - log(t + c);
}
