/*
 * mlp_kern.h - the MLP's vector kernels, a template: mlp.c includes it
 * once per instruction set, each time with KERN_VBYTES (vector bytes) and
 * KERN_SUFFIX set and, on x86-64, under a `#pragma GCC target`, so every
 * copy uses its target's natural vector width (16 bytes baseline, 32 for
 * x86-64-v3, 64 for x86-64-v4). Measured on Zen 4 (training samples/s,
 * batch 128): one 64-byte build run everywhere was 14.1M with AVX-512 but
 * 1.2M on the baseline target, where GCC lowers 64-byte vectors through
 * memory; 16-byte vectors run 4.0M there.
 *
 * Entry points, named <name>_<suffix>: forward(), batch_grad(),
 * gather_fm(). Everything else is always_inline so it is compiled for the
 * including target. Invariant: every operation is lane-wise in a fixed
 * order (reductions across lanes happen only in gradients), so a sample's
 * forward pass does not depend on its lane or batch.
 *
 * Not a normal header: no include guard, by design.
 */
#ifndef KERN_VBYTES
#error "mlp_kern.h is included by mlp.c with KERN_VBYTES and KERN_SUFFIX"
#endif

#define KN__(x, s)	x##_##s
#define KN_(x, s)	KN__(x, s)
#define KN(x)		KN_(x, KERN_SUFFIX)

#define vsel KN(vsel)
#define v_exp_neg KN(v_exp_neg)
#define v_abs KN(v_abs)
#define v_act4 KN(v_act4)
#define v_act KN(v_act)
#define v_dact KN(v_dact)
#define v_reduce8 KN(v_reduce8)
#define hsum KN(hsum)
#define k_forward KN(k_forward)
#define k_dact KN(k_dact)
#define dot8 KN(dot8)
#define dotq KN(dotq)
#define dotq_flush KN(dotq_flush)
#define dotq_add KN(dotq_add)
#define k_grad_w KN(k_grad_w)
#define k_grad_in KN(k_grad_in)
#define st_dact KN(st_dact)
#define k_loss_grad KN(k_loss_grad)
#define forward_body KN(forward_body)
#define forward KN(forward)
#define batch_grad KN(batch_grad)
#define gather_fm KN(gather_fm)
#define vd KN(vd)
#define vi KN(vi)

#define VL		(KERN_VBYTES / 8)	/* doubles per vector */
_Static_assert(MLP_LANES % VL == 0 && (VL == 2 || VL == 4 || VL == 8),
    "batch padding must be whole vectors");

typedef double vd __attribute__((vector_size(KERN_VBYTES)));
typedef int64_t vi __attribute__((vector_size(KERN_VBYTES)));

#define VSPLAT(c)	((vd){ 0 } + (double)(c))
#define VLOAD(p)	(*(const vd *)(const void *)(p))
#define VSTORE(p, v)	(*(vd *)(void *)(p) = (v))
#define SIGN_BIT	((vi){ 0 } + INT64_MIN)
#define KERN_ENTRY	static __attribute__((noinline))
/* Two-vector shuffle with constant lane indices (GCC and clang spellings). */
#if defined(__clang__)
#define SHUF(a, b, ...)	__builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define SHUF(a, b, ...)	__builtin_shuffle(a, b, (vi){ __VA_ARGS__ })
#endif

/* ------------------------------------------------------------ vector math */

MLP_INLINE vd
vsel(vi mask, vd a, vd b)
{
	return (vd)(((vi)a & mask) | ((vi)b & ~mask));
}

/*
 * exp(x) for x <= 0, |relative error| < 2^-52 (measured against expl
 * over [-708, 0]): x = k ln2 + r with |r| <= ln2/2 (ln2 split in two for
 * an exact r), exp(r) by a degree-11 polynomial (Horner), 2^k built in the
 * exponent bits. The coefficients are the near-minimax Chebyshev fit of
 * exp on [-ln2/2, ln2/2], mpmath.chebyfit(exp, [-ln2/2, ln2/2], 12) at 50
 * digits, rounded to double; its own error is 4e-18, below the rounding.
 * Below -708 (where 2^k would leave the normal range) the result is 0;
 * NaN passes through.
 */
MLP_INLINE vd
v_exp_neg(vd x)
{
	const vd shifter = VSPLAT(0x1.8p52), lo = VSPLAT(-708.0);
	vd t, kd, r, p;
	vi ki, under = x < lo;

	x = vsel(under, lo, x);
	t = x * 0x1.71547652b82fep0 + shifter;
	kd = t - shifter;
	ki = (vi)t - (vi)shifter;
	r = x - kd * 0x1.62e42fefa3800p-1;
	r = r - kd * 0x1.ef35793c76730p-45;
	p = VSPLAT(0x1.af631d0059becp-26);
	p = p * r + 0x1.28b4057f44145p-22;
	p = p * r + 0x1.71ddf5749d126p-19;
	p = p * r + 0x1.a01991ac8730ap-16;
	p = p * r + 0x1.a01a01b14378fp-13;
	p = p * r + 0x1.6c16c187fbe02p-10;
	p = p * r + 0x1.111111110f225p-7;
	p = p * r + 0x1.555555554f0cfp-5;
	p = p * r + 0x1.555555555555ap-3;
	p = p * r + 0x1.0000000000011p-1;
	p = p * r + 1.0;
	p = p * r + 1.0;
	return vsel(under, VSPLAT(0.0), p * (vd)((ki + 1023) << 52));
}

MLP_INLINE vd
v_abs(vd x)
{
	return (vd)((vi)x & ~SIGN_BIT);
}

/*
 * Activations of four vectors at once. tanh and sigmoid are written as
 * n / d with e = exp(-c|x|) in (0, 1], so every d lies in [1, 2]: the
 * four quotients then share one division (1/(d0 d1 d2 d3), unfolded by
 * multiplications; a few ulp), which matters because vector division is
 * the slowest instruction here.
 */
MLP_INLINE void
v_act4(enum mlp_act act, vd *x0, vd *x1, vd *x2, vd *x3)
{
	vd e0, e1, e2, e3, d0, d1, d2, d3, n0, n1, n2, n3, p01, p23, r, r01,
	    r23, zero = VSPLAT(0.0);
	vi s0, s1, s2, s3, neg0, neg1, neg2, neg3;

	switch (act) {
	case MLP_ACT_TANH:
	case MLP_ACT_SIGMOID:
		break;
	case MLP_ACT_RELU:
		*x0 = vsel(*x0 > zero, *x0, zero);
		*x1 = vsel(*x1 > zero, *x1, zero);
		*x2 = vsel(*x2 > zero, *x2, zero);
		*x3 = vsel(*x3 > zero, *x3, zero);
		return;
	case MLP_ACT_LINEAR:
	default:
		return;
	}
	s0 = (vi)*x0 & SIGN_BIT, s1 = (vi)*x1 & SIGN_BIT;
	s2 = (vi)*x2 & SIGN_BIT, s3 = (vi)*x3 & SIGN_BIT;
	neg0 = *x0 < zero, neg1 = *x1 < zero;
	neg2 = *x2 < zero, neg3 = *x3 < zero;
	if (act == MLP_ACT_TANH) {
		/* tanh|x| = (1 - e) / (1 + e), e = exp(-2|x|); odd. */
		e0 = v_exp_neg(-2.0 * v_abs(*x0));
		e1 = v_exp_neg(-2.0 * v_abs(*x1));
		e2 = v_exp_neg(-2.0 * v_abs(*x2));
		e3 = v_exp_neg(-2.0 * v_abs(*x3));
		n0 = 1.0 - e0, n1 = 1.0 - e1, n2 = 1.0 - e2, n3 = 1.0 - e3;
	} else {
		/* sigmoid(x) = 1 / (1 + e) for x >= 0, e / (1 + e) below. */
		e0 = v_exp_neg(-v_abs(*x0));
		e1 = v_exp_neg(-v_abs(*x1));
		e2 = v_exp_neg(-v_abs(*x2));
		e3 = v_exp_neg(-v_abs(*x3));
		n0 = vsel(neg0, e0, VSPLAT(1.0));
		n1 = vsel(neg1, e1, VSPLAT(1.0));
		n2 = vsel(neg2, e2, VSPLAT(1.0));
		n3 = vsel(neg3, e3, VSPLAT(1.0));
	}
	d0 = 1.0 + e0, d1 = 1.0 + e1, d2 = 1.0 + e2, d3 = 1.0 + e3;
	p01 = d0 * d1;
	p23 = d2 * d3;
	r = 1.0 / (p01 * p23);
	r01 = r * p23;
	r23 = r * p01;
	*x0 = (n0 * d1) * r01;
	*x1 = (n1 * d0) * r01;
	*x2 = (n2 * d3) * r23;
	*x3 = (n3 * d2) * r23;
	if (act == MLP_ACT_TANH) {
		*x0 = (vd)((vi)*x0 | s0);
		*x1 = (vd)((vi)*x1 | s1);
		*x2 = (vd)((vi)*x2 | s2);
		*x3 = (vd)((vi)*x3 | s3);
	}
}

/* One vector, same formulas, its own division. */
MLP_INLINE vd
v_act(enum mlp_act act, vd x)
{
	vi s = (vi)x & SIGN_BIT;
	vd e;

	switch (act) {
	case MLP_ACT_TANH:
		e = v_exp_neg(-2.0 * v_abs(x));
		return (vd)((vi)((1.0 - e) / (1.0 + e)) | s);
	case MLP_ACT_SIGMOID:
		e = v_exp_neg(-v_abs(x));
		return vsel(x < VSPLAT(0.0), e, VSPLAT(1.0)) / (1.0 + e);
	case MLP_ACT_RELU:
		return vsel(x > VSPLAT(0.0), x, VSPLAT(0.0));
	case MLP_ACT_LINEAR:
	default:
		return x;
	}
}

/* Upstream gradient d times the activation's derivative at output a. */
MLP_INLINE vd
v_dact(enum mlp_act act, vd a, vd d)
{
	switch (act) {
	case MLP_ACT_TANH:
		return d * (1.0 - a * a);
	case MLP_ACT_SIGMOID:
		return d * (a * (1.0 - a));
	case MLP_ACT_RELU:
		return vsel(a > VSPLAT(0.0), d, VSPLAT(0.0));
	case MLP_ACT_LINEAR:
	default:
		return d;
	}
}

/*
 * out[k] = the sum of the lanes of v[k], k < 8, by pairwise shuffles and
 * adds (a transpose-and-add): one reduction for eight dot products.
 */
MLP_INLINE void
v_reduce8(const vd *v, double *out)
{
#if VL == 8
	vd u0, u1, u2, u3, w0, w1, z;
	int k;

	u0 = SHUF(v[0], v[1], 0, 8, 2, 10, 4, 12, 6, 14) +
	    SHUF(v[0], v[1], 1, 9, 3, 11, 5, 13, 7, 15);
	u1 = SHUF(v[2], v[3], 0, 8, 2, 10, 4, 12, 6, 14) +
	    SHUF(v[2], v[3], 1, 9, 3, 11, 5, 13, 7, 15);
	u2 = SHUF(v[4], v[5], 0, 8, 2, 10, 4, 12, 6, 14) +
	    SHUF(v[4], v[5], 1, 9, 3, 11, 5, 13, 7, 15);
	u3 = SHUF(v[6], v[7], 0, 8, 2, 10, 4, 12, 6, 14) +
	    SHUF(v[6], v[7], 1, 9, 3, 11, 5, 13, 7, 15);
	w0 = SHUF(u0, u1, 0, 1, 8, 9, 4, 5, 12, 13) +
	    SHUF(u0, u1, 2, 3, 10, 11, 6, 7, 14, 15);
	w1 = SHUF(u2, u3, 0, 1, 8, 9, 4, 5, 12, 13) +
	    SHUF(u2, u3, 2, 3, 10, 11, 6, 7, 14, 15);
	z = SHUF(w0, w1, 0, 1, 2, 3, 8, 9, 10, 11) +
	    SHUF(w0, w1, 4, 5, 6, 7, 12, 13, 14, 15);
	for (k = 0; k < 8; k++)
		out[k] = z[k];
#elif VL == 4
	vd u0, u1, z;
	int h, k;

	for (h = 0; h < 8; h += 4) {
		u0 = SHUF(v[h], v[h + 1], 0, 4, 2, 6) +
		    SHUF(v[h], v[h + 1], 1, 5, 3, 7);
		u1 = SHUF(v[h + 2], v[h + 3], 0, 4, 2, 6) +
		    SHUF(v[h + 2], v[h + 3], 1, 5, 3, 7);
		z = SHUF(u0, u1, 0, 1, 4, 5) + SHUF(u0, u1, 2, 3, 6, 7);
		for (k = 0; k < 4; k++)
			out[h + k] = z[k];
	}
#else
	vd z;
	int h;

	for (h = 0; h < 8; h += 2) {
		z = SHUF(v[h], v[h + 1], 0, 2) + SHUF(v[h], v[h + 1], 1, 3);
		out[h] = z[0];
		out[h + 1] = z[1];
	}
#endif
}

MLP_INLINE double
hsum(vd v)
{
	double s = 0.0;
	int k;

	for (k = 0; k < VL; k++)
		s += v[k];
	return s;
}

/* ---------------------------------------------------------------- kernels */

/*
 * out (m x bp) = act(W in + b), in is n x bp. Tiles of four units by two
 * lane blocks keep eight independent FMA chains; leftover units go four
 * lane blocks at a time. Each lane sees bias + w[0] x[0] + w[1] x[1] + ...
 * in that order whatever the tile.
 */
MLP_INLINE void
k_forward(const struct mlp_layer *L, const double *restrict in,
    double *restrict out, size_t bp)
{
	const size_t n = L->in, m = L->out;
	const double *w = L->w, *bias = L->b;
	const enum mlp_act act = L->act;
	size_t b, i, j;

	for (j = 0; j + 4 <= m; j += 4) {
		const double *w0 = w + j * n, *w1 = w0 + n, *w2 = w1 + n,
		    *w3 = w2 + n;
		double *o = out + j * bp;

		for (b = 0; b + 2 * VL <= bp; b += 2 * VL) {
			vd a0 = VSPLAT(bias[j]), a1 = VSPLAT(bias[j + 1]),
			    a2 = VSPLAT(bias[j + 2]), a3 = VSPLAT(bias[j + 3]);
			vd c0 = a0, c1 = a1, c2 = a2, c3 = a3;

			for (i = 0; i < n; i++) {
				vd x = VLOAD(in + i * bp + b);
				vd y = VLOAD(in + i * bp + b + VL);

				a0 += w0[i] * x, c0 += w0[i] * y;
				a1 += w1[i] * x, c1 += w1[i] * y;
				a2 += w2[i] * x, c2 += w2[i] * y;
				a3 += w3[i] * x, c3 += w3[i] * y;
			}
			v_act4(act, &a0, &a1, &a2, &a3);
			v_act4(act, &c0, &c1, &c2, &c3);
			VSTORE(o + b, a0);
			VSTORE(o + bp + b, a1);
			VSTORE(o + 2 * bp + b, a2);
			VSTORE(o + 3 * bp + b, a3);
			VSTORE(o + b + VL, c0);
			VSTORE(o + bp + b + VL, c1);
			VSTORE(o + 2 * bp + b + VL, c2);
			VSTORE(o + 3 * bp + b + VL, c3);
		}
		for (; b < bp; b += VL) {
			vd a0 = VSPLAT(bias[j]), a1 = VSPLAT(bias[j + 1]),
			    a2 = VSPLAT(bias[j + 2]), a3 = VSPLAT(bias[j + 3]);

			for (i = 0; i < n; i++) {
				vd x = VLOAD(in + i * bp + b);

				a0 += w0[i] * x;
				a1 += w1[i] * x;
				a2 += w2[i] * x;
				a3 += w3[i] * x;
			}
			v_act4(act, &a0, &a1, &a2, &a3);
			VSTORE(o + b, a0);
			VSTORE(o + bp + b, a1);
			VSTORE(o + 2 * bp + b, a2);
			VSTORE(o + 3 * bp + b, a3);
		}
	}
	for (; j < m; j++) {
		const double *w0 = w + j * n;
		double *o = out + j * bp;

		for (b = 0; b + 4 * VL <= bp; b += 4 * VL) {
			const double *x = in + b;
			vd a0 = VSPLAT(bias[j]), a1 = a0, a2 = a0, a3 = a0;

			for (i = 0; i < n; i++, x += bp) {
				a0 += w0[i] * VLOAD(x);
				a1 += w0[i] * VLOAD(x + VL);
				a2 += w0[i] * VLOAD(x + 2 * VL);
				a3 += w0[i] * VLOAD(x + 3 * VL);
			}
			/*
			 * Not v_act4(): these are four blocks of different
			 * samples, and a shared division would tie their
			 * roundings together.
			 */
			VSTORE(o + b, v_act(act, a0));
			VSTORE(o + b + VL, v_act(act, a1));
			VSTORE(o + b + 2 * VL, v_act(act, a2));
			VSTORE(o + b + 3 * VL, v_act(act, a3));
		}
		for (; b < bp; b += VL) {
			vd a0 = VSPLAT(bias[j]);

			for (i = 0; i < n; i++)
				a0 += w0[i] * VLOAD(in + i * bp + b);
			VSTORE(o + b, v_act(act, a0));
		}
	}
}

/* d (m x bp) *= act'(a), in place. */
MLP_INLINE void
k_dact(enum mlp_act act, const double *restrict a, double *restrict d,
    size_t len)
{
	size_t k;

	if (act == MLP_ACT_LINEAR)
		return;
	for (k = 0; k < len; k += VL)
		VSTORE(d + k, v_dact(act, VLOAD(a + k), VLOAD(d + k)));
}

/*
 * Up to eight dot products over bp lanes at once, pairs (p[k], q[k]),
 * results to *r[k]. Unused slots repeat slot 0 and are not stored.
 */
MLP_INLINE void
dot8(const double *const *p, const double *const *q, double *const *r,
    size_t k_used, size_t bp)
{
	const double *p0 = p[0], *p1 = p[1], *p2 = p[2], *p3 = p[3],
	    *p4 = p[4], *p5 = p[5], *p6 = p[6], *p7 = p[7];
	const double *q0 = q[0], *q1 = q[1], *q2 = q[2], *q3 = q[3],
	    *q4 = q[4], *q5 = q[5], *q6 = q[6], *q7 = q[7];
	vd s[8], z = VSPLAT(0.0), s0 = z, s1 = z, s2 = z, s3 = z, s4 = z,
	    s5 = z, s6 = z, s7 = z;
	double sum[8];
	size_t b, k;

	for (b = 0; b < bp; b += VL) {
		s0 += VLOAD(p0 + b) * VLOAD(q0 + b);
		s1 += VLOAD(p1 + b) * VLOAD(q1 + b);
		s2 += VLOAD(p2 + b) * VLOAD(q2 + b);
		s3 += VLOAD(p3 + b) * VLOAD(q3 + b);
		s4 += VLOAD(p4 + b) * VLOAD(q4 + b);
		s5 += VLOAD(p5 + b) * VLOAD(q5 + b);
		s6 += VLOAD(p6 + b) * VLOAD(q6 + b);
		s7 += VLOAD(p7 + b) * VLOAD(q7 + b);
	}
	s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
	s[4] = s4, s[5] = s5, s[6] = s6, s[7] = s7;
	v_reduce8(s, sum);
	for (k = 0; k < k_used; k++)
		*r[k] = sum[k];
}

/* Collects dot products for dot8(), flushing every eight. */
struct dotq {
	const double	*p[8];
	const double	*q[8];
	double		*r[8];
	size_t		 n;
};

MLP_INLINE void
dotq_flush(struct dotq *dq, size_t bp)
{
	size_t k;

	if (dq->n == 0)
		return;
	for (k = dq->n; k < 8; k++) {
		dq->p[k] = dq->p[0];
		dq->q[k] = dq->q[0];
	}
	dot8(dq->p, dq->q, dq->r, dq->n, bp);
	dq->n = 0;
}

MLP_INLINE void
dotq_add(struct dotq *dq, const double *p, const double *q, double *r,
    size_t bp)
{
	dq->p[dq->n] = p;
	dq->q[dq->n] = q;
	dq->r[dq->n] = r;
	if (++dq->n == 8)
		dotq_flush(dq, bp);
}

/*
 * gw (m x n) = dz in^T and gb = dz 1 (ones is a row of bp ones); dz is
 * m x bp. The bulk goes in tiles of two units by four inputs (six loads
 * per eight FMAs, one shuffle reduction per tile); the rest and the
 * biases through dot8().
 */
MLP_INLINE void
k_grad_w(const struct mlp_layer *L, const double *restrict dz,
    const double *restrict in, const double *restrict ones,
    double *restrict gw, double *restrict gb, size_t bp)
{
	const size_t n = L->in, m = L->out, n4 = n / 4 * 4, m2 = m / 2 * 2;
	struct dotq dq = { .n = 0 };
	size_t b, i, j, k;

	for (j = 0; j < m2; j += 2) {
		const double *d0 = dz + j * bp, *d1 = d0 + bp;

		for (i = 0; i < n4; i += 4) {
			const double *x0 = in + i * bp, *x1 = x0 + bp,
			    *x2 = x1 + bp, *x3 = x2 + bp;
			vd s[8], z = VSPLAT(0.0), s0 = z, s1 = z, s2 = z,
			    s3 = z, s4 = z, s5 = z, s6 = z, s7 = z;
			double r[8];

			for (b = 0; b < bp; b += VL) {
				vd e0 = VLOAD(d0 + b), e1 = VLOAD(d1 + b);
				vd y0 = VLOAD(x0 + b), y1 = VLOAD(x1 + b),
				    y2 = VLOAD(x2 + b), y3 = VLOAD(x3 + b);

				s0 += e0 * y0, s4 += e1 * y0;
				s1 += e0 * y1, s5 += e1 * y1;
				s2 += e0 * y2, s6 += e1 * y2;
				s3 += e0 * y3, s7 += e1 * y3;
			}
			s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
			s[4] = s4, s[5] = s5, s[6] = s6, s[7] = s7;
			v_reduce8(s, r);
			for (k = 0; k < 4; k++) {
				gw[j * n + i + k] = r[k];
				gw[(j + 1) * n + i + k] = r[4 + k];
			}
		}
	}
	for (j = 0; j < m; j++) {
		for (i = j < m2 ? n4 : 0; i < n; i++)
			dotq_add(&dq, dz + j * bp, in + i * bp, gw + j * n + i,
			    bp);
		dotq_add(&dq, dz + j * bp, ones, gb + j, bp);
	}
	dotq_flush(&dq, bp);
}

/* o[off..] = v * pact'(q[off..]), q holding that layer's outputs. */
MLP_INLINE void
st_dact(double *restrict o, const double *restrict q, size_t off,
    enum mlp_act pact, vd v)
{
	VSTORE(o + off, v_dact(pact, VLOAD(q + off), v));
}

/*
 * din (n x bp) = (W^T dz) * pact'(pa): the gradient at the previous
 * layer's pre-activations (pa its outputs, pact its activation), the
 * derivative applied as each value is stored. Tiles of four inputs by two
 * lane blocks, leftover inputs four lane blocks at a time.
 */
MLP_INLINE void
k_grad_in(const struct mlp_layer *L, const double *restrict dz,
    enum mlp_act pact, const double *restrict pa, double *restrict din,
    size_t bp)
{
	const size_t n = L->in, m = L->out;
	const double *w = L->w;
	size_t b, i, j;

	for (i = 0; i + 4 <= n; i += 4) {
		double *o = din + i * bp;
		const double *q = pa + i * bp;

		for (b = 0; b + 2 * VL <= bp; b += 2 * VL) {
			vd a0 = VSPLAT(0.0), a1 = a0, a2 = a0, a3 = a0;
			vd c0 = a0, c1 = a0, c2 = a0, c3 = a0;

			for (j = 0; j < m; j++) {
				const double *wj = w + j * n + i;
				vd d = VLOAD(dz + j * bp + b);
				vd e = VLOAD(dz + j * bp + b + VL);

				a0 += wj[0] * d, c0 += wj[0] * e;
				a1 += wj[1] * d, c1 += wj[1] * e;
				a2 += wj[2] * d, c2 += wj[2] * e;
				a3 += wj[3] * d, c3 += wj[3] * e;
			}
			st_dact(o, q, b, pact, a0);
			st_dact(o, q, bp + b, pact, a1);
			st_dact(o, q, 2 * bp + b, pact, a2);
			st_dact(o, q, 3 * bp + b, pact, a3);
			st_dact(o, q, b + VL, pact, c0);
			st_dact(o, q, bp + b + VL, pact, c1);
			st_dact(o, q, 2 * bp + b + VL, pact, c2);
			st_dact(o, q, 3 * bp + b + VL, pact, c3);
		}
		for (; b < bp; b += VL) {
			vd a0 = VSPLAT(0.0), a1 = a0, a2 = a0, a3 = a0;

			for (j = 0; j < m; j++) {
				const double *wj = w + j * n + i;
				vd d = VLOAD(dz + j * bp + b);

				a0 += wj[0] * d;
				a1 += wj[1] * d;
				a2 += wj[2] * d;
				a3 += wj[3] * d;
			}
			st_dact(o, q, b, pact, a0);
			st_dact(o, q, bp + b, pact, a1);
			st_dact(o, q, 2 * bp + b, pact, a2);
			st_dact(o, q, 3 * bp + b, pact, a3);
		}
	}
	for (; i < n; i++) {
		double *o = din + i * bp;
		const double *q = pa + i * bp;

		for (b = 0; b + 4 * VL <= bp; b += 4 * VL) {
			vd a0 = VSPLAT(0.0), a1 = a0, a2 = a0, a3 = a0;

			for (j = 0; j < m; j++) {
				const double *d = dz + j * bp + b;
				double wji = w[j * n + i];

				a0 += wji * VLOAD(d);
				a1 += wji * VLOAD(d + VL);
				a2 += wji * VLOAD(d + 2 * VL);
				a3 += wji * VLOAD(d + 3 * VL);
			}
			st_dact(o, q, b, pact, a0);
			st_dact(o, q, b + VL, pact, a1);
			st_dact(o, q, b + 2 * VL, pact, a2);
			st_dact(o, q, b + 3 * VL, pact, a3);
		}
		for (; b < bp; b += VL) {
			vd a0 = VSPLAT(0.0);

			for (j = 0; j < m; j++)
				a0 += w[j * n + i] * VLOAD(dz + j * bp + b);
			st_dact(o, q, b, pact, a0);
		}
	}
}

/*
 * Output gradient: d = dLoss/dp for the mean loss over nb samples and k
 * outputs, zero in padded lanes. Returns the summed per-element loss of
 * the real lanes.
 */
MLP_INLINE double
k_loss_grad(enum mlp_loss loss, const double *restrict p,
    const double *restrict y, double *restrict d, size_t k, size_t nb,
    size_t bp)
{
	const double scale = 1.0 / ((double)nb * (double)k);
	vd lane, sum = VSPLAT(0.0);
	size_t o, b;
	int q;

	for (q = 0; q < VL; q++)
		lane[q] = (double)q;
	for (o = 0; o < k; o++) {
		for (b = 0; b < bp; b += VL) {
			vi real = lane + (double)b < VSPLAT((double)nb);
			vd diff = vsel(real, VLOAD(p + o * bp + b) -
			    VLOAD(y + o * bp + b), VSPLAT(0.0));
			vd g;

			if (loss == MLP_LOSS_MSE) {
				sum += diff * diff;
				g = (2.0 * scale) * diff;
			} else {
				vd mag = v_abs(diff);
				vd one = vsel(diff > VSPLAT(0.0), VSPLAT(scale),
				    VSPLAT(0.0));

				sum += mag;
				g = vsel(diff < VSPLAT(0.0), VSPLAT(-scale), one);
			}
			VSTORE(d + o * bp + b, g);
		}
	}
	return hsum(sum);
}

/* ---------------------------------------------------------------- passes */

/* Forward over bp lanes from in (n_inputs x bp) into wk->act[]. */
MLP_INLINE void
forward_body(const struct mlp *net, struct mlp_work *wk, const double *in,
    size_t bp)
{
	size_t l;

	for (l = 0; l < net->n_layers; l++) {
		k_forward(&net->layers[l], in, wk->act[l], bp);
		in = wk->act[l];
	}
}

KERN_ENTRY void
forward(const struct mlp *net, struct mlp_work *wk, const double *in,
    size_t bp)
{
	forward_body(net, wk, in, bp);
}

/*
 * One batch: forward from wk->in, loss against wk->yb for nb real lanes,
 * backward into wk->grad. Returns the summed per-element loss.
 */
KERN_ENTRY double
batch_grad(const struct mlp *net, struct mlp_work *wk, size_t nb, size_t bp)
{
	size_t l, off = net->n_params;
	double *d = wk->d0, *dn = wk->d1, *t, loss;

	forward_body(net, wk, wk->in, bp);
	loss = k_loss_grad(net->loss, wk->act[net->n_layers - 1], wk->yb, d,
	    net->n_outputs, nb, bp);
	for (l = net->n_layers; l-- > 0;) {
		const struct mlp_layer *L = &net->layers[l];
		const double *in = l > 0 ? wk->act[l - 1] : wk->in;

		off -= (L->in + 1) * L->out;
		/* Hidden layers got theirs from k_grad_in() below. */
		if (l == net->n_layers - 1)
			k_dact(L->act, wk->act[l], d, L->out * bp);
		k_grad_w(L, d, in, wk->ones, wk->grad + off, wk->grad + off +
		    L->in * L->out, bp);
		if (l > 0) {
			k_grad_in(L, d, net->layers[l - 1].act, wk->act[l - 1],
			    dn, bp);
			t = d, d = dn, dn = t;
		}
	}
	return loss;
}

/*
 * Gathers the samples idx[0..nb) of a feature-major data set (cols x n)
 * into a block of bp lanes, padding with zeros. Hot in training, so it
 * is compiled per target too (the wider ones vectorize it with gathers).
 */
KERN_ENTRY void
gather_fm(const double *restrict xt, size_t cols, size_t n,
    const size_t *restrict idx, size_t nb, double *restrict block, size_t bp)
{
	size_t i, b;

	for (i = 0; i < cols; i++) {
		const double *row = xt + i * n;
		double *o = block + i * bp;

		for (b = 0; b < nb; b++)
			o[b] = row[idx[b]];
		for (b = nb; b < bp; b++)
			o[b] = 0.0;
	}
}

#undef vsel
#undef v_exp_neg
#undef v_abs
#undef v_act4
#undef v_act
#undef v_dact
#undef v_reduce8
#undef hsum
#undef k_forward
#undef k_dact
#undef dot8
#undef dotq
#undef dotq_flush
#undef dotq_add
#undef k_grad_w
#undef k_grad_in
#undef st_dact
#undef k_loss_grad
#undef forward_body
#undef forward
#undef batch_grad
#undef gather_fm
#undef vd
#undef vi
#undef VL
#undef VSPLAT
#undef VLOAD
#undef VSTORE
#undef SIGN_BIT
#undef KERN_ENTRY
#undef SHUF
#undef KN
#undef KN_
#undef KN__
