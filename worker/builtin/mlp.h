/*
 * mlp.h - the built-in multilayer perceptron, inside tdml: the network,
 * its deterministic random numbers, batched forward/backward passes and the
 * training loop. No file or environment access (mlp_prog.c does that).
 *
 * Layout: every parameter of a network lives in one array (params), layer
 * by layer, weights then bias; layer l's weight w[j * in + i] connects
 * input i to unit j. The gradient has the same layout, so an optimizer
 * step is one loop over n_params values.
 *
 * Inside a pass, activations are feature-major: a (units x lanes) block per
 * layer, lanes padded to a multiple of MLP_LANES, so every sample runs in a
 * vector lane through exactly the same arithmetic. A sample's prediction
 * therefore does not depend on its batch, its position, or on whether the
 * trainer or mlp_predict() computed it.
 */
#ifndef TD_MLP_H
#define TD_MLP_H

#include <stddef.h>
#include <stdint.h>

#define MLP_LANES	8	/* batches pad to this; every vector width divides it */
#define MLP_MAX_LAYERS	64
#define MLP_MAX_UNITS	100000
#define MLP_MAX_PARAMS	(64u * 1024 * 1024)

enum mlp_act {
	MLP_ACT_TANH,
	MLP_ACT_SIGMOID,
	MLP_ACT_RELU,
	MLP_ACT_LINEAR,
};

enum mlp_loss {
	MLP_LOSS_MSE,
	MLP_LOSS_MAE,
};

enum mlp_opt {
	MLP_OPT_SGD,
	MLP_OPT_ADAM,
};

/* Names as they appear in hyperparameters and model.json; NULL if unknown. */
const char *mlp_act_name(enum mlp_act a);
const char *mlp_loss_name(enum mlp_loss l);
const char *mlp_opt_name(enum mlp_opt o);
/* Name -> value; 0 or TD_EINVAL. */
int mlp_act_parse(const char *s, enum mlp_act *out);
int mlp_loss_parse(const char *s, enum mlp_loss *out);
int mlp_opt_parse(const char *s, enum mlp_opt *out);

/* xoshiro256** seeded through splitmix64: small, fast, reproducible. */
struct mlp_rng {
	uint64_t s[4];
};

void mlp_rng_seed(struct mlp_rng *r, uint64_t seed);
uint64_t mlp_rng_next(struct mlp_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double mlp_rng_uniform(struct mlp_rng *r);
/* Uniform in [0, n), unbiased; n > 0. */
uint64_t mlp_rng_below(struct mlp_rng *r, uint64_t n);
/* Permutes idx[0..n) uniformly (Fisher-Yates), as each epoch does. */
void mlp_shuffle(size_t *idx, size_t n, struct mlp_rng *r);

struct mlp_layer {
	size_t		 in;
	size_t		 out;
	enum mlp_act	 act;
	double		*w;		/* out x in, points into params */
	double		*b;		/* out, points into params */
};

struct mlp {
	size_t		 n_inputs;
	size_t		 n_outputs;	/* units of the last layer */
	size_t		 n_layers;
	struct mlp_layer *layers;
	enum mlp_loss	 loss;
	size_t		 n_params;
	double		*params;	/* all weights and biases, zeroed */
	size_t		 max_units;	/* widest layer, inputs included */
};

/*
 * A network with n_layers layers of units[l] units and activation acts[l],
 * parameters all zero. Limits: MLP_MAX_LAYERS, MLP_MAX_UNITS, MLP_MAX_PARAMS
 * (TD_ELIMIT). The caller owns *out and frees it with mlp_free().
 */
int mlp_new(size_t n_inputs, size_t n_layers, const size_t *units,
    const enum mlp_act *acts, enum mlp_loss loss, struct mlp **out);
void mlp_free(struct mlp *net);
/* Glorot-uniform weights (limit sqrt(6 / (in + out))), zero biases. */
void mlp_init_glorot(struct mlp *net, struct mlp_rng *r);

/*
 * Predictions for rows samples: x is rows x n_inputs, y gets rows x
 * n_outputs, both row-major. Returns 0 or TD_ENOMEM.
 */
int mlp_predict(const struct mlp *net, const double *x, size_t rows, double *y);
/* Mean loss of predictions p against targets y (rows x n_outputs each). */
double mlp_loss_mean(enum mlp_loss loss, const double *p, const double *y,
    size_t rows, size_t cols);

/*
 * Mean loss over the rows and its gradient with respect to params (grad
 * has n_params doubles), as one batch of the trainer computes it. For
 * tests and tools; 0 or TD_ENOMEM.
 */
int mlp_gradient(const struct mlp *net, const double *x, const double *y,
    size_t rows, double *loss, double *grad);

/* A data set as the trainer sees it: row-major, borrowed. */
struct mlp_data {
	const double	*x;		/* rows x x_cols */
	const double	*y;		/* rows x y_cols */
	size_t		 rows;
	size_t		 x_cols;
	size_t		 y_cols;
};

struct mlp_train_opts {
	size_t		 epochs;
	size_t		 batch_size;
	double		 learning_rate;
	enum mlp_opt	 optimizer;
	uint64_t	 seed;		/* shuffling; init is the caller's */
	int		 use_blas;	/* 1: cblas_dgemm kernels (benchmarks) */
};

/*
 * Called after each epoch (1-based) with the sample-weighted mean training
 * loss of its batches and the loss on the whole test set (NaN without
 * one). A non-zero return stops training with that code.
 */
typedef int (*mlp_epoch_fn)(size_t epoch, double loss, double val_loss,
    void *arg);

/*
 * Trains net in place with mini-batch SGD or Adam on the mean batch loss,
 * reshuffling train every epoch with a generator seeded by opts->seed.
 * test may be NULL. Stops early with TD_EINVAL when the training loss
 * becomes non-finite (after reporting that epoch). Shapes must match the
 * network (TD_EINVAL). Returns 0 or a negative code.
 */
int mlp_train(struct mlp *net, const struct mlp_train_opts *opts,
    const struct mlp_data *train, const struct mlp_data *test,
    mlp_epoch_fn fn, void *arg);

/*
 * The kernels in use: "x86-64-v4", "x86-64-v3" or "baseline", the best the
 * CPU runs unless mlp_kernels_select() chose another (tests, benchmarks;
 * call it before training or predicting, from one thread): TD_ENOTFOUND
 * for an unknown name, TD_ESTATE if this CPU cannot run it.
 */
const char *mlp_kernels_name(void);
int mlp_kernels_select(const char *name);

/*
 * model.json (model.c). ml__model_to_json() appends the document for net
 * to out: hp_json is the text of a JSON object (or NULL for {}), loss and
 * val_loss the final metrics (NaN leaves one out). TD_EINVAL if a
 * parameter is not finite. ml__model_from_json() builds a network the
 * caller frees with mlp_free(); errors name the offending field.
 */
struct buf;
int ml__model_to_json(const struct mlp *net, const char *hp_json,
    double loss, double val_loss, struct buf *out);
int ml__model_from_json(const char *text, size_t len, struct mlp **out,
    char *err, size_t errlen);

#endif
