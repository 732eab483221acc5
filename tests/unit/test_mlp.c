/*
 * test_mlp.c - the built-in MLP (worker/builtin/mlp.c, model.c,
 * mlp_prog.c): gradients against finite differences, activations against
 * libm, lane independence, determinism, model.json round trips (file,
 * directory, tar.gz), the training program's hyperparameters, channels,
 * progress lines and failure reports, and a Boston run that learns.
 */
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>

#include "buf.h"
#include "err.h"
#include "ml.h"
#include "mlp.h"
#include "t.h"
#include "util.h"

static char err[1024];

/* ---------------------------------------------------------------- helpers */

static double *
rand_vec(struct mlp_rng *r, size_t n, double lo, double hi)
{
	double *v = malloc(n * sizeof(double));
	size_t k;

	T_ASSERT(v != NULL);
	for (k = 0; k < n; k++)
		v[k] = lo + (hi - lo) * mlp_rng_uniform(r);
	return v;
}

static struct mlp *
net_new(size_t nin, size_t nl, const size_t *units, const enum mlp_act *acts,
    enum mlp_loss loss, uint64_t seed)
{
	struct mlp *net;
	struct mlp_rng r;
	size_t l, j;

	T_EQ_INT(mlp_new(nin, nl, units, acts, loss, &net), 0);
	mlp_rng_seed(&r, seed);
	mlp_init_glorot(net, &r);
	/* Non-zero biases, so their gradients and the relu kinks move. */
	for (l = 0; l < nl; l++)
		for (j = 0; j < units[l]; j++)
			net->layers[l].b[j] = mlp_rng_uniform(&r) - 0.5;
	return net;
}

static double
loss_of(const struct mlp *net, const double *x, const double *y, size_t rows)
{
	double *p = malloc(rows * net->n_outputs * sizeof(double)), l;

	T_ASSERT(p != NULL);
	T_EQ_INT(mlp_predict(net, x, rows, p), 0);
	l = mlp_loss_mean(net->loss, p, y, rows, net->n_outputs);
	free(p);
	return l;
}

/*
 * Analytic gradient vs central differences for every parameter. 37 rows
 * and widths 13, 6, 5 exercise every tile and remainder of the kernels.
 */
static void
gradcheck(enum mlp_act act, enum mlp_loss loss)
{
	const size_t units[3] = { 13, 6, 2 }, nin = 5, rows = 37;
	const enum mlp_act acts[3] = { act, act, MLP_ACT_LINEAR };
	struct mlp_rng r;
	struct mlp *net = net_new(nin, 3, units, acts, loss, 7);
	double *x, *y, *g, l0, worst = 0.0;
	size_t k;

	mlp_rng_seed(&r, 99);
	x = rand_vec(&r, rows * nin, -2, 2);
	y = rand_vec(&r, rows * 2, -1, 1);
	g = malloc(net->n_params * sizeof(double));
	T_ASSERT(g != NULL);
	T_EQ_INT(mlp_gradient(net, x, y, rows, &l0, g), 0);
	T_NEAR(l0, loss_of(net, x, y, rows), 1e-12 * l0);
	for (k = 0; k < net->n_params; k++) {
		double p = net->params[k], h = 1e-6, lp, lm, fd, e;

		net->params[k] = p + h;
		lp = loss_of(net, x, y, rows);
		net->params[k] = p - h;
		lm = loss_of(net, x, y, rows);
		net->params[k] = p;
		fd = (lp - lm) / (2 * h);
		e = fabs(fd - g[k]) / fmax(1e-3, fabs(fd));
		if (e > worst)
			worst = e;
		if (e > 1e-5)
			T_FAIL("%s/%s: d loss / d param %zu: analytic %.10g, "
			    "numeric %.10g", mlp_act_name(act),
			    mlp_loss_name(loss), k, g[k], fd);
	}
	T_ASSERT(worst < 1e-5);
	free(x);
	free(y);
	free(g);
	mlp_free(net);
}

/* Every kernel set this CPU can run (the others are skipped). */
static const char *const isas[] = { "x86-64-v4", "x86-64-v3", "baseline" };

static void
gradcheck_all(enum mlp_act act, enum mlp_loss loss)
{
	size_t k, ran = 0;

	for (k = 0; k < 3; k++) {
		if (mlp_kernels_select(isas[k]) != 0)
			continue;
		gradcheck(act, loss);
		ran++;
	}
	T_ASSERT(ran >= 1);
	T_EQ_INT(mlp_kernels_select("baseline"), 0);
	T_EQ_STR(mlp_kernels_name(), "baseline");
	T_EQ_INT(mlp_kernels_select("mmx"), TD_ENOTFOUND);
}

static void t_grad_tanh_mse(void) { gradcheck_all(MLP_ACT_TANH, MLP_LOSS_MSE); }
static void t_grad_tanh_mae(void) { gradcheck_all(MLP_ACT_TANH, MLP_LOSS_MAE); }
static void t_grad_sigmoid_mse(void) { gradcheck_all(MLP_ACT_SIGMOID, MLP_LOSS_MSE); }
static void t_grad_sigmoid_mae(void) { gradcheck_all(MLP_ACT_SIGMOID, MLP_LOSS_MAE); }
static void t_grad_relu_mse(void) { gradcheck_all(MLP_ACT_RELU, MLP_LOSS_MSE); }
static void t_grad_relu_mae(void) { gradcheck_all(MLP_ACT_RELU, MLP_LOSS_MAE); }
static void t_grad_linear_mse(void) { gradcheck_all(MLP_ACT_LINEAR, MLP_LOSS_MSE); }
static void t_grad_linear_mae(void) { gradcheck_all(MLP_ACT_LINEAR, MLP_LOSS_MAE); }

/* act(x) through a 1-1-1 identity network, against libm. */
static void
activations_vs_libm(void)
{
	const size_t units[2] = { 1, 1 };
	enum mlp_act acts[2] = { MLP_ACT_TANH, MLP_ACT_LINEAR };
	double x[2003], p[2003];
	struct mlp *net;
	size_t k, n = 0;
	int a;

	for (k = 0; k < 2001; k++)
		x[n++] = -50.0 + 0.05 * (double)k;
	x[n++] = 1e-12;
	x[n++] = -745.0;
	for (a = 0; a < 3; a++) {
		acts[0] = a == 0 ? MLP_ACT_TANH : a == 1 ? MLP_ACT_SIGMOID :
		    MLP_ACT_RELU;
		T_EQ_INT(mlp_new(1, 2, units, acts, MLP_LOSS_MSE, &net), 0);
		net->layers[0].w[0] = 1.0;
		net->layers[1].w[0] = 1.0;
		T_EQ_INT(mlp_predict(net, x, n, p), 0);
		for (k = 0; k < n; k++) {
			double ref = a == 0 ? tanh(x[k]) : a == 1 ?
			    1.0 / (1.0 + exp(-x[k])) : fmax(0.0, x[k]);

			/* Absolute, and relative where the value is tiny. */
			if (fabs(p[k] - ref) > 1e-15 ||
			    (a == 1 && x[k] < 0 && fabs(p[k] - ref) >
			    1e-13 * ref) || (a == 0 && fabs(x[k]) > 1e-3 &&
			    fabs(p[k] - ref) > 1e-14 * fabs(ref)))
				T_FAIL("%s(%.17g) = %.17g, libm %.17g",
				    mlp_act_name(acts[0]), x[k], p[k], ref);
		}
		mlp_free(net);
	}
}

static void
t_activations_vs_libm(void)
{
	size_t k;

	for (k = 0; k < 3; k++)
		if (mlp_kernels_select(isas[k]) == 0)
			activations_vs_libm();
}

/* A sample's prediction is the same alone or in any batch position. */
static void
lane_independence(void)
{
	const size_t units[3] = { 13, 6, 1 }, rows = 45;
	const enum mlp_act acts[3] = { MLP_ACT_TANH, MLP_ACT_SIGMOID,
	    MLP_ACT_LINEAR };
	struct mlp *net = net_new(13, 3, units, acts, MLP_LOSS_MSE, 3);
	struct mlp_rng r;
	double *x, all[45], one;
	size_t k;

	mlp_rng_seed(&r, 5);
	x = rand_vec(&r, rows * 13, -3, 3);
	T_EQ_INT(mlp_predict(net, x, rows, all), 0);
	for (k = 0; k < rows; k++) {
		T_EQ_INT(mlp_predict(net, x + k * 13, 1, &one), 0);
		T_ASSERT(memcmp(&one, &all[k], sizeof(double)) == 0);
	}
	free(x);
	mlp_free(net);
}

static void
t_lane_independence(void)
{
	size_t k;

	for (k = 0; k < 3; k++)
		if (mlp_kernels_select(isas[k]) == 0)
			lane_independence();
}

static void
t_rng(void)
{
	struct mlp_rng a, b;
	double sum = 0.0, u;
	size_t counts[3] = { 0, 0, 0 }, k;

	mlp_rng_seed(&a, 42);
	mlp_rng_seed(&b, 42);
	for (k = 0; k < 1000; k++)
		T_ASSERT(mlp_rng_next(&a) == mlp_rng_next(&b));
	mlp_rng_seed(&b, 43);
	T_ASSERT(mlp_rng_next(&a) != mlp_rng_next(&b));
	for (k = 0; k < 300000; k++) {
		u = mlp_rng_uniform(&a);
		T_ASSERT(u >= 0.0 && u < 1.0);
		sum += u;
		counts[mlp_rng_below(&a, 3)]++;
	}
	T_NEAR(sum / 300000.0, 0.5, 0.005);
	for (k = 0; k < 3; k++)
		T_NEAR((double)counts[k] / 300000.0, 1.0 / 3.0, 0.005);
	T_ASSERT(mlp_rng_below(&a, 1) == 0);
}

/* Every permutation of 4 equally often; a big shuffle stays a permutation. */
static void
t_shuffle(void)
{
	size_t idx[4], counts[256] = { 0 }, k, code, n = 240000, *big;
	struct mlp_rng r;
	unsigned char seen[1000] = { 0 };

	mlp_rng_seed(&r, 8);
	for (k = 0; k < n; k++) {
		idx[0] = 0, idx[1] = 1, idx[2] = 2, idx[3] = 3;
		mlp_shuffle(idx, 4, &r);
		code = idx[0] << 6 | idx[1] << 4 | idx[2] << 2 | idx[3];
		counts[code]++;
	}
	for (code = 0, k = 0; code < 256; code++) {
		if (counts[code] == 0)
			continue;
		k++;
		T_NEAR((double)counts[code] / (double)n, 1.0 / 24.0, 0.002);
	}
	T_EQ_INT(k, 24);
	big = malloc(1000 * sizeof(*big));
	for (k = 0; k < 1000; k++)
		big[k] = k;
	mlp_shuffle(big, 1000, &r);
	for (k = 0; k < 1000; k++) {
		T_ASSERT(big[k] < 1000 && !seen[big[k]]);
		seen[big[k]] = 1;
	}
	free(big);
	mlp_shuffle(idx, 1, &r);
	mlp_shuffle(NULL, 0, &r);
}

static void
t_new_limits(void)
{
	size_t units[2] = { 4, 1 }, big[2] = { MLP_MAX_UNITS + 1, 1 };
	enum mlp_act acts[2] = { MLP_ACT_TANH, MLP_ACT_LINEAR };
	struct mlp *net;

	T_EQ_INT(mlp_new(0, 2, units, acts, MLP_LOSS_MSE, &net), TD_EINVAL);
	T_EQ_INT(mlp_new(3, 0, units, acts, MLP_LOSS_MSE, &net), TD_EINVAL);
	T_EQ_INT(mlp_new(3, 2, big, acts, MLP_LOSS_MSE, &net), TD_ELIMIT);
	units[0] = 0;
	T_EQ_INT(mlp_new(3, 2, units, acts, MLP_LOSS_MSE, &net), TD_EINVAL);
	mlp_free(NULL);
}

/* The BLAS route computes the same training (up to rounding). */
static void
t_blas_matches_loops(void)
{
	const size_t units[3] = { 13, 6, 1 }, rows = 100;
	const enum mlp_act acts[3] = { MLP_ACT_TANH, MLP_ACT_SIGMOID,
	    MLP_ACT_LINEAR };
	struct mlp *a = net_new(13, 3, units, acts, MLP_LOSS_MSE, 1);
	struct mlp *b = net_new(13, 3, units, acts, MLP_LOSS_MSE, 1);
	struct mlp_train_opts o = { 3, 32, 0.01, MLP_OPT_SGD, 9, 0 };
	struct mlp_rng r;
	double *x, *y;
	size_t k;

	mlp_rng_seed(&r, 2);
	x = rand_vec(&r, rows * 13, -2, 2);
	y = rand_vec(&r, rows, 0, 10);
	{
		struct mlp_data d = { x, y, rows, 13, 1 };

		T_EQ_INT(mlp_train(a, &o, &d, NULL, NULL, NULL), 0);
		o.use_blas = 1;
		T_EQ_INT(mlp_train(b, &o, &d, NULL, NULL, NULL), 0);
	}
	for (k = 0; k < a->n_params; k++)
		T_NEAR(a->params[k], b->params[k], 1e-9);
	free(x);
	free(y);
	mlp_free(a);
	mlp_free(b);
}

/*
 * Full-batch steps of a 1-1 linear model against the update rules written
 * out by hand: SGD w -= lr * g and Keras' Adam, g the gradient of the MEAN
 * batch loss.
 */
static void
t_optimizer_steps(void)
{
	static const double x[4] = { 1, 2, 3, 4 }, y[4] = { 2, 4, 5, 9 };
	const size_t units[1] = { 1 };
	const enum mlp_act acts[1] = { MLP_ACT_LINEAR };
	struct mlp_data d = { x, y, 4, 1, 1 };
	struct mlp_train_opts o = { 5, 4, 0.01, MLP_OPT_SGD, 1, 0 };
	double w, b, gw, gb, m[2], v[2], lrt;
	struct mlp *net;
	int opt, t, k;

	for (opt = 0; opt < 2; opt++) {
		T_EQ_INT(mlp_new(1, 1, units, acts, MLP_LOSS_MSE, &net), 0);
		net->params[0] = w = 0.5;
		net->params[1] = b = 0.0;
		m[0] = m[1] = v[0] = v[1] = 0.0;
		o.optimizer = opt ? MLP_OPT_ADAM : MLP_OPT_SGD;
		T_EQ_INT(mlp_train(net, &o, &d, NULL, NULL, NULL), 0);
		for (t = 1; t <= 5; t++) {
			gw = gb = 0.0;
			for (k = 0; k < 4; k++) {
				gw += 2.0 * (w * x[k] + b - y[k]) * x[k] / 4.0;
				gb += 2.0 * (w * x[k] + b - y[k]) / 4.0;
			}
			if (!opt) {
				w -= 0.01 * gw;
				b -= 0.01 * gb;
				continue;
			}
			m[0] = 0.9 * m[0] + 0.1 * gw;
			m[1] = 0.9 * m[1] + 0.1 * gb;
			v[0] = 0.999 * v[0] + 0.001 * gw * gw;
			v[1] = 0.999 * v[1] + 0.001 * gb * gb;
			lrt = 0.01 * sqrt(1 - pow(0.999, t)) / (1 - pow(0.9, t));
			w -= lrt * m[0] / (sqrt(v[0]) + 1e-7);
			b -= lrt * m[1] / (sqrt(v[1]) + 1e-7);
		}
		T_NEAR(net->params[0], w, 1e-12);
		T_NEAR(net->params[1], b, 1e-12);
		T_ASSERT(fabs(w - 0.5) > 0.01);
		mlp_free(net);
	}
}

/* ---------------------------------------------------------------- jobs */

struct job {
	char	root[64];
	char	train[128];
	char	test[128];
	char	model[128];
	char	out[128];
	char	failure[128];
	char	stdout_path[128];
	char	stderr_path[128];
};

static const char *
src(const char *rel, char *buf, size_t n)
{
	const char *root = getenv("TUNERD_SOURCE_DIR");

	snprintf(buf, n, "%s/%s", root ? root : ".", rel);
	return buf;
}

/* A private job directory; channels point at the Boston copy. */
static void
job_init(struct job *j)
{
	char p[4096];

	snprintf(j->root, sizeof(j->root), "/tmp/tdml-test-XXXXXX");
	T_ASSERT(mkdtemp(j->root) != NULL);
	snprintf(j->train, sizeof(j->train), "%s/train", j->root);
	snprintf(j->test, sizeof(j->test), "%s/test", j->root);
	snprintf(j->model, sizeof(j->model), "%s/model", j->root);
	snprintf(j->out, sizeof(j->out), "%s/output/data", j->root);
	snprintf(j->failure, sizeof(j->failure), "%s/output/failure", j->root);
	snprintf(j->stdout_path, sizeof(j->stdout_path), "%s/stdout", j->root);
	snprintf(j->stderr_path, sizeof(j->stderr_path), "%s/stderr", j->root);
	T_EQ_INT(td_mkdir_p(j->out, 0755), 0);
	setenv("SM_CHANNEL_TRAIN", src("examples/boston/data/train", p,
	    sizeof(p)), 1);
	setenv("SM_CHANNEL_TEST", src("examples/boston/data/test", p,
	    sizeof(p)), 1);
	unsetenv("SM_CHANNEL_VALIDATION");
	setenv("SM_MODEL_DIR", j->model, 1);
	setenv("SM_OUTPUT_DATA_DIR", j->out, 1);
}

static void
job_done(struct job *j)
{
	td_rm_rf(j->root);
}

/* Runs `mlp args...` in-process with stdout and stderr captured. */
static int
job_run(struct job *j, const char *const *args)
{
	char *argv[64];
	int n = 0, rc, so, se, fo, fe;

	argv[n++] = (char *)"mlp";
	while (args != NULL && args[n - 1] != NULL)
		argv[n] = (char *)args[n - 1], n++;
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	fo = open(j->stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	fe = open(j->stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	T_ASSERT(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
	dup2(fo, 1);
	dup2(fe, 2);
	unlink(j->failure);
	rc = builtin_main(n, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so), close(se), close(fo), close(fe);
	return rc;
}

static char *
slurp(const char *path)
{
	char *s = NULL;

	if (td_read_file(path, 64 << 20, &s, NULL) != 0)
		return NULL;
	return s;
}

/* Expects exit 1 and the reason, containing want, in output/failure. */
static void
job_fails(struct job *j, const char *const *args, const char *want)
{
	char *f, *e;

	if (job_run(j, args) != 1)
		T_FAIL("expected exit 1 (%s)", want);
	f = slurp(j->failure);
	e = slurp(j->stderr_path);
	if (f == NULL)
		T_FAIL("no failure file for '%s'", want);
	if (strstr(f, want) == NULL)
		T_FAIL("failure '%s' does not mention '%s'", f, want);
	T_ASSERT(e != NULL && strstr(e, want) != NULL);
	free(f);
	free(e);
}

static void
write_npy(const char *path, const double *d, size_t rows, size_t cols)
{
	char hdr[128];
	struct buf b = { NULL, 0, 0 };
	int n;

	n = cols ? snprintf(hdr, sizeof(hdr), "{'descr': '<f8', "
	    "'fortran_order': False, 'shape': (%zu, %zu), }", rows, cols) :
	    snprintf(hdr, sizeof(hdr), "{'descr': '<f8', 'fortran_order': "
	    "False, 'shape': (%zu,), }", rows);
	while ((10 + n + 1) % 64)
		hdr[n++] = ' ';
	hdr[n++] = '\n';
	buf_append(&b, "\x93NUMPY\x01\x00", 8);
	buf_putc(&b, (char)n);
	buf_putc(&b, 0);
	buf_append(&b, hdr, (size_t)n);
	buf_append(&b, d, rows * (cols ? cols : 1) * sizeof(double));
	T_EQ_INT(td_write_file_atomic(path, b.data, b.len), 0);
	buf_free(&b);
}

static void
write_text(const char *path, const char *text)
{
	T_EQ_INT(td_write_file_atomic(path, text, strlen(text)), 0);
}

static cJSON *
read_json(const char *path)
{
	char *s = slurp(path);
	cJSON *j;

	T_ASSERT(s != NULL);
	j = cJSON_Parse(s);
	free(s);
	T_ASSERT(j != NULL);
	return j;
}

static double
model_metric(const char *model_dir, const char *name)
{
	char p[256];
	cJSON *j, *m;
	double v;

	snprintf(p, sizeof(p), "%s/model.json", model_dir);
	j = read_json(p);
	m = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), name);
	T_ASSERT(cJSON_IsNumber(m));
	v = m->valuedouble;
	cJSON_Delete(j);
	return v;
}

/* ---------------------------------------------------------------- program */

/* The notebook's long run: 30 epochs, batch 128, lr 0.01. */
static void
t_boston_learns(void)
{
	static const char *const args[] = { "--epochs", "30", "--batch_size",
	    "128", "--learning_rate", "0.01", NULL };
	struct ml_matrix y;
	struct job j;
	double mean = 0, var = 0, val;
	char p[4096];
	size_t k;

	job_init(&j);
	T_EQ_INT(job_run(&j, args), 0);
	T_EQ_INT(ml_matrix_read(src("examples/boston/data/test/y_test.npy", p,
	    sizeof(p)), &y, err, sizeof(err)), 0);
	for (k = 0; k < y.rows; k++)
		mean += y.data[k] / (double)y.rows;
	for (k = 0; k < y.rows; k++)
		var += (y.data[k] - mean) * (y.data[k] - mean) / (double)y.rows;
	val = model_metric(j.model, "val_loss");
	fprintf(stderr, "  val MSE %.3f, var(y_test) %.3f\n", val, var);
	T_ASSERT(val < 0.5 * var);
	T_ASSERT(model_metric(j.model, "loss") < 0.6 * var);
	ml_matrix_free(&y);
	job_done(&j);
}

/* Keras-style lines the notebook's metric regexes read. */
static void
t_progress_lines(void)
{
	static const char *const args[] = { "--epochs", "3", NULL };
	struct job j;
	char *out, want[64], *p;
	int e;
	double v;

	job_init(&j);
	T_EQ_INT(job_run(&j, args), 0);
	out = slurp(j.stdout_path);
	T_ASSERT(out != NULL);
	for (e = 1; e <= 3; e++) {
		snprintf(want, sizeof(want), "Epoch %d/3\n404/404 [====", e);
		T_ASSERT(strstr(out, want) != NULL);
	}
	T_ASSERT(strstr(out, "Epoch 4/3") == NULL);
	/* The last val_loss printed is the one in model.json, to 4 places. */
	p = out;
	while (strstr(p, "val_loss: ") != NULL)
		p = strstr(p, "val_loss: ") + 10;
	v = strtod(p, NULL);
	T_NEAR(v, model_metric(j.model, "val_loss"), 0.00005);
	T_ASSERT(strstr(out, "] - 0s - loss: ") != NULL);
	free(out);
	job_done(&j);
}

static void
t_determinism(void)
{
	static const char *const a0[] = { "--epochs", "4", "--seed", "11",
	    NULL };
	static const char *const a1[] = { "--epochs", "4", "--seed", "12",
	    NULL };
	struct job j;
	char p[256], *m1, *m2, *m3;

	job_init(&j);
	snprintf(p, sizeof(p), "%s/model.json", j.model);
	T_EQ_INT(job_run(&j, a0), 0);
	m1 = slurp(p);
	T_EQ_INT(job_run(&j, a0), 0);
	m2 = slurp(p);
	T_EQ_INT(job_run(&j, a1), 0);
	m3 = slurp(p);
	T_ASSERT(m1 != NULL && m2 != NULL && m3 != NULL);
	T_ASSERT(strcmp(m1, m2) == 0);
	T_ASSERT(strcmp(m1, m3) != 0);
	free(m1);
	free(m2);
	free(m3);
	job_done(&j);
}

static void
tar_gz(const char *tar, const char *name, const char *file)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char *data = slurp(file);

	T_ASSERT(data != NULL);
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	T_EQ_INT(archive_write_open_filename(a, tar), ARCHIVE_OK);
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)strlen(data));
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	T_EQ_INT(archive_write_header(a, e), ARCHIVE_OK);
	T_ASSERT(archive_write_data(a, data, strlen(data)) ==
	    (la_ssize_t)strlen(data));
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	free(data);
}

static void
expect_same_predictions(const char *path, const struct ml_matrix *x,
    const cJSON *want)
{
	struct ml_model *m;
	struct ml_matrix y;
	size_t k;

	if (ml_model_load(path, &m, err, sizeof(err)) != 0)
		T_FAIL("load %s: %s", path, err);
	T_EQ_INT(ml_model_n_inputs(m), 13);
	T_EQ_INT(ml_model_n_outputs(m), 1);
	T_EQ_INT(ml_model_predict(m, x, &y, err, sizeof(err)), 0);
	T_EQ_INT(y.rows, x->rows);
	T_EQ_INT(cJSON_GetArraySize(want), (int)x->rows);
	for (k = 0; k < y.rows; k++) {
		const cJSON *row = cJSON_GetArrayItem(want, (int)k);

		T_ASSERT(y.data[k] == cJSON_GetArrayItem(row, 0)->valuedouble);
	}
	ml_matrix_free(&y);
	ml_model_free(m);
}

/* Trainer's own test predictions == predict() after a reload, three ways. */
static void
t_save_load_predict(void)
{
	static const char *const args[] = { "--epochs", "5", "--batch_size",
	    "128", "--learning_rate", "0.01", NULL };
	struct ml_matrix x;
	struct job j;
	char p[4096], tgz[256], tgz2[256];
	cJSON *pred;

	job_init(&j);
	T_EQ_INT(job_run(&j, args), 0);
	snprintf(p, sizeof(p), "%s/predictions_test.json", j.out);
	pred = read_json(p);
	T_EQ_INT(ml_matrix_read(src("examples/boston/data/test/x_test.npy", p,
	    sizeof(p)), &x, err, sizeof(err)), 0);
	expect_same_predictions(j.model, &x,
	    cJSON_GetObjectItem(pred, "predictions"));
	snprintf(p, sizeof(p), "%s/model.json", j.model);
	expect_same_predictions(p, &x, cJSON_GetObjectItem(pred, "predictions"));
	snprintf(tgz, sizeof(tgz), "%s/model.tar.gz", j.root);
	tar_gz(tgz, "model.json", p);
	expect_same_predictions(tgz, &x, cJSON_GetObjectItem(pred,
	    "predictions"));
	snprintf(tgz2, sizeof(tgz2), "%s/other.tar.gz", j.root);
	tar_gz(tgz2, "./model.json", p);
	expect_same_predictions(tgz2, &x, cJSON_GetObjectItem(pred,
	    "predictions"));
	tar_gz(tgz2, "weights.json", p);
	{
		struct ml_model *m;

		T_ASSERT(ml_model_load(tgz2, &m, err, sizeof(err)) ==
		    TD_ENOTFOUND);
		T_ASSERT(strstr(err, "no model.json") != NULL);
	}
	cJSON_Delete(pred);
	ml_matrix_free(&x);
	job_done(&j);
}

/* Serialize -> parse keeps every bit of every parameter. */
static void
t_json_roundtrip_exact(void)
{
	const size_t units[3] = { 7, 3, 2 };
	const enum mlp_act acts[3] = { MLP_ACT_RELU, MLP_ACT_TANH,
	    MLP_ACT_LINEAR };
	struct mlp *a = net_new(4, 3, units, acts, MLP_LOSS_MAE, 77), *b;
	struct buf doc = { NULL, 0, 0 };

	a->params[0] = 1e-300;
	a->params[1] = -0.1;
	a->params[2] = 123456789.123456789;
	T_EQ_INT(ml__model_to_json(a, "{\"x\": 1}", 1.5, NAN, &doc), 0);
	T_EQ_INT(ml__model_from_json(doc.data, doc.len, &b, err, sizeof(err)),
	    0);
	T_EQ_INT(b->n_params, a->n_params);
	T_EQ_INT(b->loss, MLP_LOSS_MAE);
	T_ASSERT(memcmp(a->params, b->params, a->n_params * sizeof(double))
	    == 0);
	T_ASSERT(strstr(doc.data, "\"val_loss\"") == NULL);
	a->params[3] = NAN;
	buf_reset(&doc);
	T_EQ_INT(ml__model_to_json(a, NULL, 1, 1, &doc), TD_EINVAL);
	buf_free(&doc);
	mlp_free(a);
	mlp_free(b);
}

static void
load_fail(const char *json, const char *want)
{
	struct mlp *net;

	err[0] = '\0';
	if (ml__model_from_json(json, strlen(json), &net, err, sizeof(err))
	    == 0)
		T_FAIL("model %s loaded", json);
	if (strstr(err, want) == NULL)
		T_FAIL("error '%s' does not mention '%s'", err, want);
}

#define HEAD "{\"format\": \"tunerd-mlp\", \"version\": 1, \"inputs\": 2, " \
	"\"loss\": \"mse\", "

static void
t_model_load_errors(void)
{
	struct ml_model *m;
	struct ml_matrix x = { NULL, 3, 5 };

	load_fail("[1]", "not a JSON object");
	load_fail("{\"format\": \"keras\"}", "\"format\"");
	load_fail("{\"format\": \"tunerd-mlp\", \"version\": 2}", "version");
	load_fail(HEAD "\"layers\": []}", "\"layers\"");
	load_fail(HEAD "\"layers\": [{\"units\": 1, \"activation\": \"swish\", "
	    "\"weights\": [[1], [2]], \"bias\": [0]}]}", "activation");
	load_fail(HEAD "\"layers\": [{\"units\": 1, \"activation\": \"linear\","
	    " \"weights\": [[1]], \"bias\": [0]}]}",
	    "layers[0].weights: expected 2 rows");
	load_fail(HEAD "\"layers\": [{\"units\": 2, \"activation\": \"linear\","
	    " \"weights\": [[1, 2], [3, \"4\"]], \"bias\": [0, 0]}]}",
	    "layers[0].weights[1][1]: not a finite number");
	load_fail(HEAD "\"layers\": [{\"units\": 1, \"activation\": \"linear\","
	    " \"weights\": [[1], [2]], \"bias\": [0, 1]}]}",
	    "layers[0].bias: expected a list of 1 numbers");
	load_fail(HEAD "\"layers\": [{\"units\": 1.5, \"activation\": "
	    "\"linear\", \"weights\": [[1], [2]], \"bias\": [0]}]}", "units");
	load_fail(HEAD "\"layers\": [{\"units\": 1, \"activation\": \"linear\","
	    " \"weights\": [[1], [2]], \"bias\": [0], \"dropout\": 1}]}",
	    "unexpected key \"dropout\"");
	load_fail(HEAD "\"layers\": [{\"units\": 2, \"activation\": \"tanh\", "
	    "\"weights\": [[1, 2], [3, 4]], \"bias\": [0, 0]}, {\"units\": 1, "
	    "\"activation\": \"linear\", \"weights\": [[1], [2], [3]], "
	    "\"bias\": [0]}]}", "layers[1].weights: expected 2 rows");
	load_fail(HEAD "\"layers\": [], \"extra\": 1}", "unexpected key");
	load_fail("{\"format\": \"tunerd-mlp\",", "invalid JSON");
	T_ASSERT(ml_model_load("/nonexistent/model", &m, err, sizeof(err))
	    == -ENOENT);
	T_ASSERT(strstr(err, "/nonexistent/model") != NULL);
	{
		struct job j;
		char p[256];
		struct ml_matrix y;

		job_init(&j);
		snprintf(p, sizeof(p), "%s/model.json", j.root);
		write_text(p, HEAD "\"layers\": [{\"units\": 1, \"activation\": "
		    "\"linear\", \"weights\": [[1], [2]], \"bias\": [0.5]}]}");
		T_EQ_INT(ml_model_load(j.root, &m, err, sizeof(err)), 0);
		x.data = calloc(15, sizeof(double));
		T_EQ_INT(ml_model_predict(m, &x, &y, err, sizeof(err)),
		    TD_EINVAL);
		T_ASSERT(strstr(err, "5 columns") && strstr(err, "takes 2"));
		x.cols = 2;
		x.data[0] = 1, x.data[1] = 1;
		T_EQ_INT(ml_model_predict(m, &x, &y, err, sizeof(err)), 0);
		T_ASSERT(y.rows == 3 && y.cols == 1 && y.data[0] == 3.5 &&
		    y.data[1] == 0.5);
		ml_matrix_free(&y);
		free(x.data);
		ml_model_free(m);
		ml_model_free(NULL);
		snprintf(p, sizeof(p), "%s/bad.json", j.root);
		write_text(p, "{\"format\": 1}");
		T_ASSERT(ml_model_load(p, &m, err, sizeof(err)) != 0);
		T_ASSERT(strstr(err, "bad.json") != NULL);
		job_done(&j);
	}
}

static void
t_bad_hyperparameters(void)
{
	static const struct {
		const char *args[6];
		const char *want;
	} cases[] = {
		{ { "--epochs", "0" }, "epochs: '0' is not allowed" },
		{ { "--epochs", "abc" }, "expected an integer >= 1" },
		{ { "--epochs", "2.5" }, "epochs" },
		{ { "--batch_size", "0" }, "batch_size: '0'" },
		{ { "--batch_size", "-3" }, "batch_size" },
		{ { "--learning_rate", "-1" }, "learning_rate: '-1'" },
		{ { "--learning_rate", "0" }, "finite number > 0" },
		{ { "--learning_rate", "nan" }, "learning_rate" },
		{ { "--learning_rate", "inf" }, "learning_rate" },
		{ { "--learning_rate", "1e400" }, "learning_rate" },
		{ { "--seed", "-1" }, "seed" },
		{ { "--activations", "tanh" }, "1 given ('tanh') for 2 hidden" },
		{ { "--activations", "tanh,swish" }, "tanh, sigmoid, relu or "
		    "linear" },
		{ { "--hidden_layers", "13,0" }, "hidden_layers: '13,0'" },
		{ { "--hidden_layers", "a" }, "hidden_layers" },
		{ { "--optimizer", "rmsprop" }, "expected sgd or adam" },
		{ { "--loss", "huber" }, "expected mse or mae" },
		{ { "--foo", "1" }, "unknown hyperparameter 'foo'; allowed: "
		    "epochs" },
		{ { "--epochs" }, "epochs has no value" },
		{ { "extra" }, "unexpected argument 'extra'" },
		{ { "--epochs", "2", "--epochs", "3" }, "given twice" },
	};
	struct job j;
	size_t k;

	job_init(&j);
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		job_fails(&j, cases[k].args, cases[k].want);
	job_done(&j);
}

static void
t_accepted_forms(void)
{
	static const char *const a1[] = { "--epochs=2", "--batch_size", "\"50\"",
	    "--model_dir", "s3://bucket/model", "--sagemaker_program",
	    "train.py", "--hidden_layers", "\"[8, 4, 3]\"", "--activations",
	    "relu,tanh,linear", "--optimizer", "adam", "--loss", "mae",
	    "--learning_rate=0.001", "--seed", "3.0", NULL };
	static const char *const a2[] = { "--hidden_layers", "", "--activations",
	    "", "--epochs", "2", NULL };
	char p[256];
	struct job j;
	cJSON *m, *hp;

	job_init(&j);
	T_EQ_INT(job_run(&j, a1), 0);
	snprintf(p, sizeof(p), "%s/model.json", j.model);
	m = read_json(p);
	T_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m, "layers")), 4);
	hp = cJSON_GetObjectItem(m, "hyperparameters");
	T_EQ_INT(cJSON_GetObjectItem(hp, "batch_size")->valueint, 50);
	T_EQ_INT(cJSON_GetObjectItem(hp, "seed")->valueint, 3);
	T_EQ_STR(cJSON_GetObjectItem(hp, "optimizer")->valuestring, "adam");
	T_EQ_STR(cJSON_GetObjectItem(m, "loss")->valuestring, "mae");
	cJSON_Delete(m);
	/* No hidden layers: linear regression. */
	T_EQ_INT(job_run(&j, a2), 0);
	m = read_json(p);
	T_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m, "layers")), 1);
	cJSON_Delete(m);
	job_done(&j);
}

static void
t_adam_learns(void)
{
	static const char *const args[] = { "--epochs", "30", "--batch_size",
	    "32", "--learning_rate", "0.05", "--optimizer", "adam", NULL };
	struct job j;

	job_init(&j);
	T_EQ_INT(job_run(&j, args), 0);
	T_ASSERT(model_metric(j.model, "val_loss") < 40.0);
	job_done(&j);
}

static void
t_diverges(void)
{
	static const char *const args[] = { "--epochs", "20",
	    "--learning_rate", "1e200", NULL };
	char p[256];
	struct job j;
	struct stat st;

	job_init(&j);
	job_fails(&j, args, "training diverged");
	snprintf(p, sizeof(p), "%s/model.json", j.model);
	T_ASSERT(stat(p, &st) == -1);
	job_done(&j);
}

static void
t_unknown_algorithm(void)
{
	char *argv[] = { (char *)"xgboost", NULL };
	struct job j;
	char *f;

	job_init(&j);
	T_EQ_INT(builtin_main(1, argv), 1);
	f = slurp(j.failure);
	T_ASSERT(f != NULL && strstr(f, "'xgboost'") && strstr(f, "mlp"));
	free(f);
	job_done(&j);
}

/* ---------------------------------------------------------------- channels */

static void
t_channel_errors(void)
{
	double x[12] = { 0 }, y[4] = { 1, 2, 3, 4 };
	char p[256];
	struct job j;

	job_init(&j);
	T_EQ_INT(td_mkdir_p(j.train, 0755), 0);
	setenv("SM_CHANNEL_TRAIN", j.train, 1);
	job_fails(&j, NULL, "no data: expected x_*.npy");
	snprintf(p, sizeof(p), "%s/x_a.npy", j.train);
	write_npy(p, x, 4, 3);
	job_fails(&j, NULL, "x_a.npy has no matching y_a.npy");
	snprintf(p, sizeof(p), "%s/y_a.npy", j.train);
	write_npy(p, y, 3, 0);
	job_fails(&j, NULL, "x_a.npy has 4 rows but");
	job_fails(&j, NULL, "y_a.npy has 3");
	write_npy(p, y, 4, 0);
	snprintf(p, sizeof(p), "%s/y_b.npy", j.train);
	write_npy(p, y, 4, 0);
	job_fails(&j, NULL, "y_b.npy has no matching x_b.npy");
	unlink(p);
	/* train has 3 features, the Boston test set 13. */
	job_fails(&j, NULL, "13 feature columns");
	unsetenv("SM_CHANNEL_TEST");
	setenv("SM_CHANNEL_TRAIN", "/nonexistent/train", 1);
	job_fails(&j, NULL, "SM_CHANNEL_TRAIN=/nonexistent/train");
	unsetenv("SM_CHANNEL_TRAIN");
	job_fails(&j, NULL, "SM_CHANNEL_TRAIN is not set");
	job_done(&j);
}

static void
t_csv_channels(void)
{
	static const char *const args[] = { "--epochs", "3", "--batch_size",
	    "2", NULL };
	char p[256], *out;
	struct job j;

	job_init(&j);
	T_EQ_INT(td_mkdir_p(j.train, 0755), 0);
	T_EQ_INT(td_mkdir_p(j.test, 0755), 0);
	setenv("SM_CHANNEL_TRAIN", j.train, 1);
	unsetenv("SM_CHANNEL_TEST");
	setenv("SM_CHANNEL_VALIDATION", j.test, 1);
	snprintf(p, sizeof(p), "%s/a.csv", j.train);
	write_text(p, "1,0.5,2\r\n2,1.5,0\r\n\r\n");
	snprintf(p, sizeof(p), "%s/b.csv", j.train);
	write_text(p, "3,2.5,1\n");
	snprintf(p, sizeof(p), "%s/v.csv", j.test);
	write_text(p, "1.5,1,1\n");
	T_EQ_INT(job_run(&j, args), 0);
	out = slurp(j.stdout_path);
	T_ASSERT(out && strstr(out, "Train on 3 samples, validate on 1"));
	T_ASSERT(strstr(out, "3/3 [===") && strstr(out, "val_loss: "));
	free(out);
	snprintf(p, sizeof(p), "%s/b.csv", j.train);
	write_text(p, "3,2.5,1\n4,1\n");
	job_fails(&j, args, "b.csv: line 2: 2 columns, expected 3");
	write_text(p, "3,2.5,x\n");
	job_fails(&j, args, "b.csv: line 1, column 3");
	write_text(p, "3\n");
	job_fails(&j, args, "b.csv has 1 columns");
	job_done(&j);
}

/* Without a test channel: no val_loss and no test predictions. */
static void
t_train_only_and_multi_output(void)
{
	static const char *const args[] = { "--epochs", "2", NULL };
	double x[40], y[20];
	char p[256], *out;
	struct job j;
	struct stat st;
	cJSON *m, *layers;
	size_t k;

	for (k = 0; k < 40; k++)
		x[k] = (double)k / 40.0;
	for (k = 0; k < 20; k++)
		y[k] = (double)(k % 3);
	job_init(&j);
	T_EQ_INT(td_mkdir_p(j.train, 0755), 0);
	setenv("SM_CHANNEL_TRAIN", j.train, 1);
	unsetenv("SM_CHANNEL_TEST");
	snprintf(p, sizeof(p), "%s/x_train.npy", j.train);
	write_npy(p, x, 10, 4);
	snprintf(p, sizeof(p), "%s/y_train.npy", j.train);
	write_npy(p, y, 10, 2);
	T_EQ_INT(job_run(&j, args), 0);
	out = slurp(j.stdout_path);
	T_ASSERT(out && strstr(out, "val_loss") == NULL &&
	    strstr(out, "10/10 [") != NULL);
	free(out);
	snprintf(p, sizeof(p), "%s/predictions_test.json", j.out);
	T_ASSERT(stat(p, &st) == -1);
	snprintf(p, sizeof(p), "%s/model.json", j.model);
	m = read_json(p);
	layers = cJSON_GetObjectItem(m, "layers");
	T_EQ_INT(cJSON_GetObjectItem(m, "inputs")->valueint, 4);
	T_EQ_INT(cJSON_GetObjectItem(cJSON_GetArrayItem(layers, 2),
	    "units")->valueint, 2);
	T_ASSERT(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"),
	    "val_loss") == NULL);
	cJSON_Delete(m);
	job_done(&j);
}

T_MAIN(
	T_CASE(t_grad_tanh_mse),
	T_CASE(t_grad_tanh_mae),
	T_CASE(t_grad_sigmoid_mse),
	T_CASE(t_grad_sigmoid_mae),
	T_CASE(t_grad_relu_mse),
	T_CASE(t_grad_relu_mae),
	T_CASE(t_grad_linear_mse),
	T_CASE(t_grad_linear_mae),
	T_CASE(t_activations_vs_libm),
	T_CASE(t_lane_independence),
	T_CASE(t_rng),
	T_CASE(t_shuffle),
	T_CASE(t_new_limits),
	T_CASE(t_blas_matches_loops),
	T_CASE(t_optimizer_steps),
	T_CASE(t_boston_learns),
	T_CASE(t_progress_lines),
	T_CASE(t_determinism),
	T_CASE(t_save_load_predict),
	T_CASE(t_json_roundtrip_exact),
	T_CASE(t_model_load_errors),
	T_CASE(t_bad_hyperparameters),
	T_CASE(t_accepted_forms),
	T_CASE(t_adam_learns),
	T_CASE(t_diverges),
	T_CASE(t_unknown_algorithm),
	T_CASE(t_channel_errors),
	T_CASE(t_csv_channels),
	T_CASE(t_train_only_and_multi_output)
)
