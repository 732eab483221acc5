/*
 * mlp.c - the multilayer perceptron: parameters, random numbers, scratch
 * buffers, the choice of kernels (mlp_kern.h, included here once per
 * instruction set), optimizers, prediction and the epoch loop.
 *
 * Owns: struct mlp and its scratch buffers, the kernel table. Never touches
 * files, the environment or stdio (the caller reports progress through a
 * callback).
 *
 * Invariants: activations are feature-major blocks of `bp` lanes (bp a
 * multiple of MLP_LANES, 64-byte aligned rows); lanes past the real batch
 * hold zero inputs and get zero gradient, so they never change the result.
 * Every kernel works lane-wise in fixed order, hence a sample's output is
 * bit-identical wherever it sits in a batch, and mlp_predict() equals the
 * trainer's own evaluation.
 *
 * Speed: the layers of the seed model are tiny (13x13, 13x6, 6x1), where a
 * BLAS call costs more than the arithmetic; the kernels (mlp_kern.h) are
 * explicit GCC vector code, compiled once per instruction set (baseline,
 * and on x86-64 also x86-64-v3 and -v4) and picked at first use from what
 * the CPU supports. cblas_dgemm kernels remain selectable
 * (opts->use_blas) for measurement.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "err.h"
#include "mlp.h"

/* Vector helpers are always inlined into one function; no ABI crosses. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define MLP_INLINE	static inline __attribute__((always_inline))
#define ALIGN_DOUBLES	(64 / sizeof(double))

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    __GNUC__ >= 11 && !defined(TD_MLP_BASELINE_ONLY)
#define MLP_X86_TARGETS 1
#endif

/* ---------------------------------------------------------------- names */

static const char *const act_names[] = { "tanh", "sigmoid", "relu", "linear" };
static const char *const loss_names[] = { "mse", "mae" };
static const char *const opt_names[] = { "sgd", "adam" };

static int
name_lookup(const char *const *names, size_t n, const char *s, int *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return TD_EINVAL;
}

const char *
mlp_act_name(enum mlp_act a)
{
	return (unsigned)a < 4 ? act_names[a] : NULL;
}

const char *
mlp_loss_name(enum mlp_loss l)
{
	return (unsigned)l < 2 ? loss_names[l] : NULL;
}

const char *
mlp_opt_name(enum mlp_opt o)
{
	return (unsigned)o < 2 ? opt_names[o] : NULL;
}

int
mlp_act_parse(const char *s, enum mlp_act *out)
{
	int v, rc;

	if ((rc = name_lookup(act_names, 4, s, &v)) == 0)
		*out = (enum mlp_act)v;
	return rc;
}

int
mlp_loss_parse(const char *s, enum mlp_loss *out)
{
	int v, rc;

	if ((rc = name_lookup(loss_names, 2, s, &v)) == 0)
		*out = (enum mlp_loss)v;
	return rc;
}

int
mlp_opt_parse(const char *s, enum mlp_opt *out)
{
	int v, rc;

	if ((rc = name_lookup(opt_names, 2, s, &v)) == 0)
		*out = (enum mlp_opt)v;
	return rc;
}

/* ---------------------------------------------------------------- rng */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
mlp_rng_seed(struct mlp_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
mlp_rng_next(struct mlp_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
mlp_rng_uniform(struct mlp_rng *r)
{
	return (double)(mlp_rng_next(r) >> 11) * 0x1p-53;
}

uint64_t
mlp_rng_below(struct mlp_rng *r, uint64_t n)
{
	/*
	 * Lemire's multiply-shift with rejection: the high half of x * n is
	 * uniform in [0, n) once the few biased low halves are redrawn; the
	 * division runs only when a low half falls in the biased zone.
	 */
	unsigned __int128 m = (unsigned __int128)mlp_rng_next(r) * n;
	uint64_t lo = (uint64_t)m, t;

	if (lo < n) {
		t = (0 - n) % n;
		while (lo < t) {
			m = (unsigned __int128)mlp_rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* ---------------------------------------------------------------- network */

static size_t
round_up(size_t n, size_t m)
{
	return (n + m - 1) / m * m;
}

static void *
alloc_aligned(size_t n_doubles)
{
	size_t bytes = round_up(n_doubles ? n_doubles : 1, ALIGN_DOUBLES) *
	    sizeof(double);
	void *p = aligned_alloc(64, bytes);

	if (p != NULL)
		memset(p, 0, bytes);
	return p;
}

int
mlp_new(size_t n_inputs, size_t n_layers, const size_t *units,
    const enum mlp_act *acts, enum mlp_loss loss, struct mlp **out)
{
	struct mlp *net;
	size_t l, in = n_inputs, total = 0, widest = n_inputs;
	double *p;

	if (n_inputs == 0 || n_layers == 0 || mlp_loss_name(loss) == NULL)
		return TD_EINVAL;
	if (n_inputs > MLP_MAX_UNITS || n_layers > MLP_MAX_LAYERS)
		return TD_ELIMIT;
	for (l = 0; l < n_layers; l++) {
		if (units[l] == 0 || mlp_act_name(acts[l]) == NULL)
			return TD_EINVAL;
		if (units[l] > MLP_MAX_UNITS)
			return TD_ELIMIT;
		total += (in + 1) * units[l];
		if (total > MLP_MAX_PARAMS)
			return TD_ELIMIT;
		if (units[l] > widest)
			widest = units[l];
		in = units[l];
	}
	if ((net = calloc(1, sizeof(*net))) == NULL)
		return TD_ENOMEM;
	net->layers = calloc(n_layers, sizeof(*net->layers));
	net->params = alloc_aligned(total);
	if (net->layers == NULL || net->params == NULL) {
		mlp_free(net);
		return TD_ENOMEM;
	}
	net->n_inputs = n_inputs;
	net->n_outputs = units[n_layers - 1];
	net->n_layers = n_layers;
	net->loss = loss;
	net->n_params = total;
	net->max_units = widest;
	for (l = 0, in = n_inputs, p = net->params; l < n_layers; l++) {
		struct mlp_layer *L = &net->layers[l];

		L->in = in;
		L->out = units[l];
		L->act = acts[l];
		L->w = p;
		L->b = p + in * units[l];
		p = L->b + units[l];
		in = units[l];
	}
	*out = net;
	return 0;
}

void
mlp_free(struct mlp *net)
{
	if (net == NULL)
		return;
	free(net->layers);
	free(net->params);
	free(net);
}

void
mlp_init_glorot(struct mlp *net, struct mlp_rng *r)
{
	size_t l, k;

	for (l = 0; l < net->n_layers; l++) {
		struct mlp_layer *L = &net->layers[l];
		double limit = sqrt(6.0 / (double)(L->in + L->out));

		for (k = 0; k < L->in * L->out; k++)
			L->w[k] = (2.0 * mlp_rng_uniform(r) - 1.0) * limit;
		memset(L->b, 0, L->out * sizeof(double));
	}
}

/* ---------------------------------------------------------------- scratch */

struct mlp_work {
	size_t	  cap;		/* lanes, a multiple of MLP_LANES */
	double	 *in;		/* n_inputs x cap */
	double	 *yb;		/* n_outputs x cap */
	double	**act;		/* act[l]: layers[l].out x cap */
	double	 *d0;		/* max_units x cap */
	double	 *d1;		/* max_units x cap */
	double	 *grad;		/* n_params */
	double	 *ones;		/* cap ones */
	double	 *mem;
};

static void
work_free(struct mlp_work *wk)
{
	if (wk == NULL)
		return;
	free(wk->act);
	free(wk->mem);
	free(wk);
}

static struct mlp_work *
work_new(const struct mlp *net, size_t lanes)
{
	struct mlp_work *wk;
	size_t cap = round_up(lanes ? lanes : 1, MLP_LANES), total, l;
	size_t gsz = round_up(net->n_params, ALIGN_DOUBLES);
	double *p;

	if ((wk = calloc(1, sizeof(*wk))) == NULL)
		return NULL;
	total = cap * (1 + net->n_inputs + net->n_outputs +
	    2 * net->max_units) + gsz;
	for (l = 0; l < net->n_layers; l++)
		total += cap * net->layers[l].out;
	wk->act = calloc(net->n_layers, sizeof(*wk->act));
	wk->mem = alloc_aligned(total);
	if (wk->act == NULL || wk->mem == NULL) {
		work_free(wk);
		return NULL;
	}
	wk->cap = cap;
	p = wk->mem;
	wk->in = p, p += cap * net->n_inputs;
	wk->yb = p, p += cap * net->n_outputs;
	wk->d0 = p, p += cap * net->max_units;
	wk->d1 = p, p += cap * net->max_units;
	wk->grad = p, p += gsz;
	wk->ones = p, p += cap;
	for (l = 0; l < cap; l++)
		wk->ones[l] = 1.0;
	for (l = 0; l < net->n_layers; l++)
		wk->act[l] = p, p += cap * net->layers[l].out;
	return wk;
}

/* ---------------------------------------------------------------- kernels */

#ifdef MLP_X86_TARGETS
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
#define KERN_VBYTES	64
#define KERN_SUFFIX	v4
#include "mlp_kern.h"
#undef KERN_VBYTES
#undef KERN_SUFFIX
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#define KERN_VBYTES	32
#define KERN_SUFFIX	v3
#include "mlp_kern.h"
#undef KERN_VBYTES
#undef KERN_SUFFIX
#pragma GCC pop_options
#endif

#define KERN_VBYTES	16
#define KERN_SUFFIX	base
#include "mlp_kern.h"
#undef KERN_VBYTES
#undef KERN_SUFFIX

struct mlp_kernels {
	const char	*name;
	int		 (*supported)(void);
	void		 (*forward)(const struct mlp *, struct mlp_work *,
			    const double *, size_t);
	double		 (*batch_grad)(const struct mlp *, struct mlp_work *,
			    size_t, size_t);
	void		 (*gather_fm)(const double *, size_t, size_t,
			    const size_t *, size_t, double *, size_t);
};

static int
always(void)
{
	return 1;
}

#ifdef MLP_X86_TARGETS
static int
have_v4(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("x86-64-v4") > 0;
}

static int
have_v3(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("x86-64-v3") > 0;
}
#endif

/* Best first. */
static const struct mlp_kernels mlp_kernel_table[] = {
#ifdef MLP_X86_TARGETS
	{ "x86-64-v4", have_v4, forward_v4, batch_grad_v4, gather_fm_v4 },
	{ "x86-64-v3", have_v3, forward_v3, batch_grad_v3, gather_fm_v3 },
#endif
	{ "baseline", always, forward_base, batch_grad_base, gather_fm_base },
};

#define N_KERNELS (sizeof(mlp_kernel_table) / sizeof(mlp_kernel_table[0]))

static const struct mlp_kernels *mlp_kern;
static pthread_once_t mlp_kern_once = PTHREAD_ONCE_INIT;

static void
kern_pick(void)
{
	size_t k;

	for (k = 0; k < N_KERNELS; k++) {
		if (mlp_kernel_table[k].supported()) {
			mlp_kern = &mlp_kernel_table[k];
			return;
		}
	}
}

static const struct mlp_kernels *
kern(void)
{
	pthread_once(&mlp_kern_once, kern_pick);
	return mlp_kern;
}

const char *
mlp_kernels_name(void)
{
	return kern()->name;
}

int
mlp_kernels_select(const char *name)
{
	size_t k;

	kern();
	for (k = 0; k < N_KERNELS; k++) {
		if (strcmp(mlp_kernel_table[k].name, name) == 0) {
			if (!mlp_kernel_table[k].supported())
				return TD_ESTATE;
			mlp_kern = &mlp_kernel_table[k];
			return 0;
		}
	}
	return TD_ENOTFOUND;
}

/* The same batch through cblas_dgemm, for measuring the BLAS route. */
static double
batch_grad_blas(const struct mlp *net, struct mlp_work *wk, size_t nb,
    size_t bp)
{
	size_t l, j, b, off = net->n_params;
	double *d = wk->d0, *dn = wk->d1, *t, loss;
	const double *in = wk->in;

	for (l = 0; l < net->n_layers; l++) {
		const struct mlp_layer *L = &net->layers[l];
		double *out = wk->act[l];

		for (j = 0; j < L->out; j++)
			for (b = 0; b < bp; b++)
				out[j * bp + b] = L->b[j];
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
		    (int)L->out, (int)bp, (int)L->in, 1.0, L->w, (int)L->in,
		    in, (int)bp, 1.0, out, (int)bp);
		for (b = 0; b < L->out * bp; b++) {
			switch (L->act) {
			case MLP_ACT_TANH:
				out[b] = tanh(out[b]);
				break;
			case MLP_ACT_SIGMOID:
				out[b] = 1.0 / (1.0 + exp(-out[b]));
				break;
			case MLP_ACT_RELU:
				out[b] = out[b] > 0.0 ? out[b] : 0.0;
				break;
			default:
				break;
			}
		}
		in = out;
	}
	loss = k_loss_grad_base(net->loss, wk->act[net->n_layers - 1], wk->yb, d,
	    net->n_outputs, nb, bp);
	for (l = net->n_layers; l-- > 0;) {
		const struct mlp_layer *L = &net->layers[l];
		double *gw;

		in = l > 0 ? wk->act[l - 1] : wk->in;
		off -= (L->in + 1) * L->out;
		gw = wk->grad + off;
		k_dact_base(L->act, wk->act[l], d, L->out * bp);
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
		    (int)L->out, (int)L->in, (int)bp, 1.0, d, (int)bp, in,
		    (int)bp, 0.0, gw, (int)L->in);
		for (j = 0; j < L->out; j++) {
			double s = 0.0;

			for (b = 0; b < bp; b++)
				s += d[j * bp + b];
			gw[L->in * L->out + j] = s;
		}
		if (l > 0) {
			cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
			    (int)L->in, (int)bp, (int)L->out, 1.0, L->w,
			    (int)L->in, d, (int)bp, 0.0, dn, (int)bp);
			t = d, d = dn, dn = t;
		}
	}
	return loss;
}

/* Copies rows [r0, r0 + nb) of x (or the rows listed in idx) into a block. */
static void
gather(const double *x, size_t cols, const size_t *idx, size_t r0, size_t nb,
    double *block, size_t bp)
{
	size_t b, i;

	for (b = 0; b < nb; b++) {
		const double *row = x + (idx ? idx[r0 + b] : r0 + b) * cols;

		for (i = 0; i < cols; i++)
			block[i * bp + b] = row[i];
	}
	for (i = 0; i < cols; i++)
		for (b = nb; b < bp; b++)
			block[i * bp + b] = 0.0;
}

/* A row-major matrix transposed into a new feature-major one (cols x rows). */
static double *
transpose_new(const double *x, size_t rows, size_t cols)
{
	double *t = alloc_aligned(rows * cols);
	size_t r, c;

	if (t == NULL)
		return NULL;
	for (r = 0; r < rows; r++)
		for (c = 0; c < cols; c++)
			t[c * rows + r] = x[r * cols + c];
	return t;
}

int
mlp_predict(const struct mlp *net, const double *x, size_t rows, double *y)
{
	size_t chunk = 256, r, nb, bp, o, b;
	const double *out;
	struct mlp_work *wk;

	if ((wk = work_new(net, chunk)) == NULL)
		return TD_ENOMEM;
	for (r = 0; r < rows; r += nb) {
		nb = rows - r < chunk ? rows - r : chunk;
		bp = round_up(nb, MLP_LANES);
		gather(x, net->n_inputs, NULL, r, nb, wk->in, bp);
		kern()->forward(net, wk, wk->in, bp);
		out = wk->act[net->n_layers - 1];
		for (b = 0; b < nb; b++)
			for (o = 0; o < net->n_outputs; o++)
				y[(r + b) * net->n_outputs + o] = out[o * bp + b];
	}
	work_free(wk);
	return 0;
}

double
mlp_loss_mean(enum mlp_loss loss, const double *p, const double *y,
    size_t rows, size_t cols)
{
	double sum = 0.0, d;
	size_t k, n = rows * cols;

	for (k = 0; k < n; k++) {
		d = p[k] - y[k];
		sum += loss == MLP_LOSS_MSE ? d * d : fabs(d);
	}
	return n ? sum / (double)n : 0.0;
}

int
mlp_gradient(const struct mlp *net, const double *x, const double *y,
    size_t rows, double *loss, double *grad)
{
	struct mlp_work *wk;
	size_t bp = round_up(rows, MLP_LANES);

	if (rows == 0)
		return TD_EINVAL;
	if ((wk = work_new(net, rows)) == NULL)
		return TD_ENOMEM;
	gather(x, net->n_inputs, NULL, 0, rows, wk->in, bp);
	gather(y, net->n_outputs, NULL, 0, rows, wk->yb, bp);
	*loss = kern()->batch_grad(net, wk, rows, bp) /
	    ((double)rows * (double)net->n_outputs);
	memcpy(grad, wk->grad, net->n_params * sizeof(double));
	work_free(wk);
	return 0;
}

/* ---------------------------------------------------------------- training */

struct adam {
	double	*m;
	double	*v;
	double	 b1t;		/* beta1^t */
	double	 b2t;		/* beta2^t */
};

static void
step_sgd(struct mlp *net, const double *restrict g, double lr)
{
	double *restrict p = net->params;
	size_t k;

	for (k = 0; k < net->n_params; k++)
		p[k] -= lr * g[k];
}

/* Keras' Adam: bias correction folded into the rate, epsilon unscaled. */
static void
step_adam(struct mlp *net, struct adam *a, const double *restrict g,
    double lr)
{
	const double b1 = 0.9, b2 = 0.999, eps = 1e-7;
	double *restrict p = net->params, *restrict m = a->m,
	    *restrict v = a->v, lrt;
	size_t k;

	a->b1t *= b1;
	a->b2t *= b2;
	lrt = lr * sqrt(1.0 - a->b2t) / (1.0 - a->b1t);
	for (k = 0; k < net->n_params; k++) {
		m[k] = b1 * m[k] + (1.0 - b1) * g[k];
		v[k] = b2 * v[k] + (1.0 - b2) * g[k] * g[k];
		p[k] -= lrt * m[k] / (sqrt(v[k]) + eps);
	}
}

static int
check_data(const struct mlp *net, const struct mlp_data *d)
{
	if (d->rows == 0 || d->x_cols != net->n_inputs ||
	    d->y_cols != net->n_outputs)
		return TD_EINVAL;
	return 0;
}

/* The test set, transposed once into forward-ready blocks. */
struct evalset {
	double	*blocks;
	size_t	 n_blocks;
	size_t	 lanes;		/* per block */
	size_t	 last;		/* real lanes of the last block */
};

static int
evalset_init(struct evalset *es, const struct mlp *net,
    const struct mlp_data *d, size_t lanes)
{
	size_t k, nb, stride = net->n_inputs * lanes;

	es->lanes = lanes;
	es->n_blocks = (d->rows + lanes - 1) / lanes;
	if ((es->blocks = alloc_aligned(es->n_blocks * stride)) == NULL)
		return TD_ENOMEM;
	for (k = 0; k < es->n_blocks; k++) {
		nb = d->rows - k * lanes < lanes ? d->rows - k * lanes : lanes;
		gather(d->x, d->x_cols, NULL, k * lanes, nb,
		    es->blocks + k * stride, lanes);
		es->last = nb;
	}
	return 0;
}

static double
evalset_loss(const struct mlp *net, struct mlp_work *wk,
    const struct evalset *es, const struct mlp_data *d)
{
	size_t k, b, o, nb, K = net->n_outputs;
	const double *out;
	double sum = 0.0, diff;

	for (k = 0; k < es->n_blocks; k++) {
		nb = k + 1 == es->n_blocks ? es->last : es->lanes;
		kern()->forward(net, wk, es->blocks + k * net->n_inputs *
		    es->lanes, es->lanes);
		out = wk->act[net->n_layers - 1];
		for (b = 0; b < nb; b++) {
			for (o = 0; o < K; o++) {
				diff = out[o * es->lanes + b] -
				    d->y[(k * es->lanes + b) * K + o];
				sum += net->loss == MLP_LOSS_MSE ? diff * diff :
				    fabs(diff);
			}
		}
	}
	return sum / ((double)d->rows * (double)K);
}

/* 32 random bits, two per generator step. */
struct bits32 {
	uint64_t	 word;
	int		 left;
};

static uint32_t
next32(struct mlp_rng *r, struct bits32 *b)
{
	if (b->left == 0) {
		b->word = mlp_rng_next(r);
		b->left = 2;
	}
	return (uint32_t)(b->word >> (32 * --b->left));
}

/* Uniform in [0, n), 0 < n <= 2^32: Lemire's method on 32-bit draws. */
static size_t
below32(struct mlp_rng *r, struct bits32 *b, uint64_t n)
{
	uint64_t m = (uint64_t)next32(r, b) * n;
	uint32_t t;

	if ((uint32_t)m < n) {
		t = (uint32_t)((0x100000000ULL - n) % n);
		while ((uint32_t)m < t)
			m = (uint64_t)next32(r, b) * n;
	}
	return (size_t)(m >> 32);
}

/* Fisher-Yates; half a generator step per swap while n fits 32 bits. */
void
mlp_shuffle(size_t *idx, size_t n, struct mlp_rng *r)
{
	struct bits32 b = { 0, 0 };
	size_t i, j, t;

	if (n < 2)
		return;
	for (i = n - 1; i > 0; i--) {
		j = i < UINT32_MAX ? below32(r, &b, (uint64_t)i + 1) :
		    (size_t)mlp_rng_below(r, (uint64_t)i + 1);
		t = idx[i], idx[i] = idx[j], idx[j] = t;
	}
}

/* Everything one training run holds besides the network. */
struct trainer {
	const struct mlp_kernels *k;
	struct mlp_work	*wk;
	struct evalset	 es;
	struct adam	 adam;
	struct mlp_rng	 rng;
	size_t		*idx;		/* the epoch's sample order */
	double		*xt;		/* train x, feature-major */
	double		*yt;		/* train y, feature-major */
	size_t		 batch;
};

static void
trainer_free(struct trainer *t)
{
	free(t->xt);
	free(t->yt);
	free(t->es.blocks);
	free(t->adam.m);
	free(t->adam.v);
	free(t->idx);
	work_free(t->wk);
}

static int
trainer_init(struct trainer *t, const struct mlp *net,
    const struct mlp_train_opts *o, const struct mlp_data *train,
    const struct mlp_data *test)
{
	size_t lanes, r;

	memset(t, 0, sizeof(*t));
	t->k = kern();
	t->adam.b1t = t->adam.b2t = 1.0;
	t->batch = o->batch_size < train->rows ? o->batch_size : train->rows;
	/* The test set goes through in blocks of up to 256 lanes. */
	lanes = test == NULL ? 0 :
	    round_up(test->rows < 256 ? test->rows : 256, MLP_LANES);
	t->wk = work_new(net, lanes > t->batch ? lanes : t->batch);
	t->idx = calloc(train->rows, sizeof(*t->idx));
	t->xt = transpose_new(train->x, train->rows, train->x_cols);
	t->yt = transpose_new(train->y, train->rows, train->y_cols);
	if (o->optimizer == MLP_OPT_ADAM) {
		t->adam.m = alloc_aligned(net->n_params);
		t->adam.v = alloc_aligned(net->n_params);
		if (t->adam.m == NULL || t->adam.v == NULL)
			return TD_ENOMEM;
	}
	if (t->wk == NULL || t->idx == NULL || t->xt == NULL ||
	    t->yt == NULL || (test && evalset_init(&t->es, net, test,
	    lanes) != 0))
		return TD_ENOMEM;
	for (r = 0; r < train->rows; r++)
		t->idx[r] = r;
	mlp_rng_seed(&t->rng, o->seed);
	return 0;
}

/* One pass over the shuffled training set; the mean training loss. */
static double
train_epoch(struct trainer *t, struct mlp *net,
    const struct mlp_train_opts *o, const struct mlp_data *train)
{
	struct mlp_work *wk = t->wk;
	size_t r, nb, bp;
	double sum = 0.0;

	mlp_shuffle(t->idx, train->rows, &t->rng);
	for (r = 0; r < train->rows; r += nb) {
		nb = train->rows - r < t->batch ? train->rows - r : t->batch;
		bp = round_up(nb, MLP_LANES);
		t->k->gather_fm(t->xt, train->x_cols, train->rows, t->idx + r,
		    nb, wk->in, bp);
		t->k->gather_fm(t->yt, train->y_cols, train->rows, t->idx + r,
		    nb, wk->yb, bp);
		sum += o->use_blas ? batch_grad_blas(net, wk, nb, bp) :
		    t->k->batch_grad(net, wk, nb, bp);
		if (o->optimizer == MLP_OPT_ADAM)
			step_adam(net, &t->adam, wk->grad, o->learning_rate);
		else
			step_sgd(net, wk->grad, o->learning_rate);
	}
	return sum / ((double)train->rows * (double)net->n_outputs);
}

int
mlp_train(struct mlp *net, const struct mlp_train_opts *opts,
    const struct mlp_data *train, const struct mlp_data *test,
    mlp_epoch_fn fn, void *arg)
{
	struct trainer t;
	size_t e;
	double loss, val;
	int rc;

	if (check_data(net, train) != 0 || (test && check_data(net, test)) ||
	    opts->batch_size == 0 || opts->epochs == 0 ||
	    !(opts->learning_rate > 0.0))
		return TD_EINVAL;
	if ((rc = trainer_init(&t, net, opts, train, test)) != 0) {
		trainer_free(&t);
		return rc;
	}
	for (e = 1; e <= opts->epochs && rc == 0; e++) {
		loss = train_epoch(&t, net, opts, train);
		val = test ? evalset_loss(net, t.wk, &t.es, test) : NAN;
		if (fn != NULL)
			rc = fn(e, loss, val, arg);
		if (rc == 0 && !isfinite(loss))
			rc = TD_EINVAL;
	}
	trainer_free(&t);
	return rc;
}
