/*
 * mlp_prog.c - `builtin mlp`: the built-in MLP as a Script Mode training
 * program. Reads hyperparameters (--key value or --key=value), the train
 * and test channels (SM_CHANNEL_TRAIN, SM_CHANNEL_TEST or
 * SM_CHANNEL_VALIDATION), trains, prints Keras-style progress on stdout,
 * writes $SM_MODEL_DIR/model.json and $SM_OUTPUT_DATA_DIR/
 * predictions_test.json.
 *
 * Owns: hyperparameter validation, channel layout, progress format, the
 * program's files. Never the arithmetic (mlp.c) or the model format
 * (model.c). Every refusal goes through builtin__fail(), which names the
 * hyperparameter or file and what is allowed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "builtin.h"
#include "err.h"
#include "ml.h"
#include "mlp.h"
#include "util.h"

/* Progress reaches stdout at least this often (ns) and after the last epoch. */
#ifndef MLP_FLUSH_NS
#define MLP_FLUSH_NS	10000000
#endif

#define HP_KEYS "epochs, batch_size, learning_rate, seed, hidden_layers, " \
	"activations, optimizer, loss"

struct hp {
	long		 epochs;
	long		 batch_size;
	double		 learning_rate;
	long		 seed;
	size_t		 units[MLP_MAX_LAYERS];
	size_t		 n_hidden;
	enum mlp_act	 acts[MLP_MAX_LAYERS];
	size_t		 n_acts;
	enum mlp_opt	 optimizer;
	enum mlp_loss	 loss;
	char		 hidden_str[512];
	char		 acts_str[512];
	unsigned	 seen;		/* bit per table entry */
};

/* ---------------------------------------------------------------- values */

/* An integer >= min; "5" or an integral "5.0". */
static int
parse_int(const char *s, long min, long *out)
{
	double d;

	if (td_parse_long(s, min, LONG_MAX, out) == 0)
		return 0;
	if (td_parse_double(s, &d) != 0 || d != floor(d) || d < (double)min ||
	    d > 9.0e18)
		return -1;
	*out = (long)d;
	return 0;
}

static int
hp_epochs(struct hp *hp, const char *v)
{
	if (parse_int(v, 1, &hp->epochs) != 0)
		return builtin__fail("hyperparameter epochs: '%s' is not "
		    "allowed; expected an integer >= 1", v);
	return 0;
}

static int
hp_batch_size(struct hp *hp, const char *v)
{
	if (parse_int(v, 1, &hp->batch_size) != 0)
		return builtin__fail("hyperparameter batch_size: '%s' is not "
		    "allowed; expected an integer >= 1", v);
	return 0;
}

static int
hp_learning_rate(struct hp *hp, const char *v)
{
	if (td_parse_double(v, &hp->learning_rate) != 0 ||
	    !(hp->learning_rate > 0.0))
		return builtin__fail("hyperparameter learning_rate: '%s' is "
		    "not allowed; expected a finite number > 0", v);
	return 0;
}

static int
hp_seed(struct hp *hp, const char *v)
{
	if (parse_int(v, 0, &hp->seed) != 0)
		return builtin__fail("hyperparameter seed: '%s' is not "
		    "allowed; expected an integer >= 0", v);
	return 0;
}

/*
 * Splits a comma list ("13,6", "[13, 6]" or "" for none) into trimmed
 * items; calls fn for each. Returns the item count or -1 from fn.
 */
static long
split_list(const char *v, int (*fn)(const char *, size_t, void *), void *arg)
{
	char tmp[512];
	size_t n = strlen(v), a = 0;
	long count = 0;

	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, n + 1);
	if (n >= 2 && tmp[0] == '[' && tmp[n - 1] == ']') {
		tmp[--n] = '\0';
		memmove(tmp, tmp + 1, n--);
	}
	while (a < n && (tmp[a] == ' ' || tmp[a] == '\t'))
		a++;
	if (a == n)
		return 0;
	for (;;) {
		char *c = strchr(tmp + a, ','), *s = tmp + a, *e;

		if (c != NULL)
			*c = '\0';
		while (*s == ' ' || *s == '\t' || *s == '"' || *s == '\'')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '"' ||
		    e[-1] == '\''))
			*--e = '\0';
		if (count >= MLP_MAX_LAYERS || fn(s, (size_t)count, arg) != 0)
			return -1;
		count++;
		if (c == NULL)
			return count;
		a = (size_t)(c - tmp) + 1;
	}
}

static int
one_units(const char *s, size_t k, void *arg)
{
	struct hp *hp = arg;
	long v;

	if (td_parse_long(s, 1, MLP_MAX_UNITS, &v) != 0)
		return -1;
	hp->units[k] = (size_t)v;
	return 0;
}

static int
one_act(const char *s, size_t k, void *arg)
{
	struct hp *hp = arg;

	return mlp_act_parse(s, &hp->acts[k]) == 0 ? 0 : -1;
}

static int
hp_hidden_layers(struct hp *hp, const char *v)
{
	long n = split_list(v, one_units, hp);

	if (n < 0)
		return builtin__fail("hyperparameter hidden_layers: '%s' is "
		    "not allowed; expected a comma-separated list of unit "
		    "counts in 1..%d (at most %d layers), e.g. 13,6", v,
		    MLP_MAX_UNITS, MLP_MAX_LAYERS - 1);
	hp->n_hidden = (size_t)n;
	snprintf(hp->hidden_str, sizeof(hp->hidden_str), "%s", v);
	return 0;
}

static int
hp_activations(struct hp *hp, const char *v)
{
	long n = split_list(v, one_act, hp);

	if (n < 0)
		return builtin__fail("hyperparameter activations: '%s' is not "
		    "allowed; expected a comma-separated list of tanh, sigmoid, "
		    "relu or linear, one per hidden layer", v);
	hp->n_acts = (size_t)n;
	snprintf(hp->acts_str, sizeof(hp->acts_str), "%s", v);
	return 0;
}

static int
hp_optimizer(struct hp *hp, const char *v)
{
	if (mlp_opt_parse(v, &hp->optimizer) != 0)
		return builtin__fail("hyperparameter optimizer: '%s' is not "
		    "allowed; expected sgd or adam", v);
	return 0;
}

static int
hp_loss(struct hp *hp, const char *v)
{
	if (mlp_loss_parse(v, &hp->loss) != 0)
		return builtin__fail("hyperparameter loss: '%s' is not "
		    "allowed; expected mse or mae", v);
	return 0;
}

static const struct {
	const char	*name;
	int		(*set)(struct hp *, const char *);
} hp_table[] = {
	{ "epochs", hp_epochs },
	{ "batch_size", hp_batch_size },
	{ "learning_rate", hp_learning_rate },
	{ "seed", hp_seed },
	{ "hidden_layers", hp_hidden_layers },
	{ "activations", hp_activations },
	{ "optimizer", hp_optimizer },
	{ "loss", hp_loss },
};

#define N_HP (sizeof(hp_table) / sizeof(hp_table[0]))

static int
hp_apply(struct hp *hp, const char *key, const char *val)
{
	char tmp[512];
	size_t k, n = strlen(val);

	/* The SageMaker SDK JSON-quotes string values; take them either way. */
	if (n >= 2 && n < sizeof(tmp) && val[0] == '"' && val[n - 1] == '"') {
		memcpy(tmp, val + 1, n - 2);
		tmp[n - 2] = '\0';
		val = tmp;
	}
	if (strcmp(key, "model_dir") == 0 || strncmp(key, "sagemaker_", 10) == 0)
		return 0;
	for (k = 0; k < N_HP; k++) {
		if (strcmp(key, hp_table[k].name) != 0)
			continue;
		if (hp->seen & (1u << k))
			return builtin__fail("hyperparameter %s is given twice",
			    key);
		hp->seen |= 1u << k;
		return hp_table[k].set(hp, val);
	}
	return builtin__fail("unknown hyperparameter '%s'; allowed: " HP_KEYS,
	    key);
}

static int
hp_parse(struct hp *hp, int argc, char **argv)
{
	char key[128];
	int i, rc;

	memset(hp, 0, sizeof(*hp));
	hp->epochs = 1;
	hp->batch_size = 64;
	hp->learning_rate = 0.1;
	hp->optimizer = MLP_OPT_SGD;
	hp->loss = MLP_LOSS_MSE;
	hp_hidden_layers(hp, "13,6");
	hp_activations(hp, "tanh,sigmoid");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *val;
		size_t n;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
			return builtin__fail("unexpected argument '%s'; "
			    "hyperparameters come as --name value", a);
		a += 2;
		if ((eq = strchr(a, '=')) != NULL) {
			n = (size_t)(eq - a);
			val = eq + 1;
		} else {
			n = strlen(a);
			if (i + 1 >= argc)
				return builtin__fail("hyperparameter %s has no "
				    "value", a);
			val = argv[++i];
		}
		if (n >= sizeof(key))
			return builtin__fail("unknown hyperparameter '%.40s...'; "
			    "allowed: " HP_KEYS, a);
		memcpy(key, a, n);
		key[n] = '\0';
		if ((rc = hp_apply(hp, key, val)) != 0)
			return rc;
	}
	if (hp->n_acts != hp->n_hidden)
		return builtin__fail("hyperparameter activations: %zu given "
		    "('%s') for %zu hidden layers ('%s'); give one activation "
		    "(tanh, sigmoid, relu or linear) per hidden layer",
		    hp->n_acts, hp->acts_str, hp->n_hidden, hp->hidden_str);
	return 0;
}

/* The effective hyperparameters as a JSON object, for model.json. */
static void
hp_json(const struct hp *hp, struct buf *b)
{
	buf_printf(b, "{\"epochs\": %ld, \"batch_size\": %ld, "
	    "\"learning_rate\": %.17g, \"seed\": %ld, \"hidden_layers\": ",
	    hp->epochs, hp->batch_size, hp->learning_rate, hp->seed);
	buf_json_str(b, hp->hidden_str, strlen(hp->hidden_str));
	buf_puts(b, ", \"activations\": ");
	buf_json_str(b, hp->acts_str, strlen(hp->acts_str));
	buf_printf(b, ", \"optimizer\": \"%s\", \"loss\": \"%s\"}",
	    mlp_opt_name(hp->optimizer), mlp_loss_name(hp->loss));
}

/* ---------------------------------------------------------------- data */

struct dataset {
	struct ml_matrix x;
	struct ml_matrix y;
	char		 what[PATH_MAX + 64];	/* for messages */
};

static void
dataset_free(struct dataset *d)
{
	ml_matrix_free(&d->x);
	ml_matrix_free(&d->y);
}

/* Appends the rows of m to acc (same width, else an error naming file). */
static int
append_rows(struct ml_matrix *acc, struct ml_matrix *m, const char *file,
    const char *first)
{
	double *p;
	size_t n;

	if (acc->data == NULL) {
		*acc = *m;
		memset(m, 0, sizeof(*m));
		return 0;
	}
	if (m->cols != acc->cols)
		return builtin__fail("%s has %zu columns, %s has %zu", file,
		    m->cols, first, acc->cols);
	if (__builtin_add_overflow(acc->rows, m->rows, &n) ||
	    __builtin_mul_overflow(n, acc->cols * sizeof(double), &n) ||
	    (p = realloc(acc->data, n)) == NULL)
		return builtin__fail("out of memory reading %s", file);
	memcpy(p + acc->rows * acc->cols, m->data,
	    m->rows * m->cols * sizeof(double));
	acc->data = p;
	acc->rows += m->rows;
	ml_matrix_free(m);
	return 0;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && strcasecmp(s + n - k, suf) == 0;
}

static int
read_into(const char *dir, const char *name, struct ml_matrix *acc,
    const char *first)
{
	char path[PATH_MAX], err[1024];
	struct ml_matrix m;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return builtin__fail("%s/%s: path too long", dir, name);
	if (ml_matrix_read(path, &m, err, sizeof(err)) != 0)
		return builtin__fail("%s", err);
	if (append_rows(acc, &m, path, first) != 0) {
		ml_matrix_free(&m);
		return 1;
	}
	return 0;
}

/* x_<s>.npy with y_<s>.npy, every pair in name order. */
static int
load_npy_pairs(const char *dir, struct dirent **ents, int n,
    struct dataset *ds, int *found)
{
	char yname[NAME_MAX + 1], xfirst[PATH_MAX], yfirst[PATH_MAX];
	size_t xrows, yrows;
	int i, j;

	*found = 0;
	for (i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;

		if (strncmp(nm, "x_", 2) != 0 || !has_suffix(nm, ".npy"))
			continue;
		snprintf(yname, sizeof(yname), "y_%s", nm + 2);
		for (j = 0; j < n; j++)
			if (strcmp(ents[j]->d_name, yname) == 0)
				break;
		if (j == n)
			return builtin__fail("%s/%s has no matching %s in the "
			    "channel", dir, nm, yname);
		if (*found == 0) {
			snprintf(xfirst, sizeof(xfirst), "%s/%s", dir, nm);
			snprintf(yfirst, sizeof(yfirst), "%s/%s", dir, yname);
		}
		xrows = ds->x.rows;
		yrows = ds->y.rows;
		if (read_into(dir, nm, &ds->x, xfirst) != 0 ||
		    read_into(dir, yname, &ds->y, yfirst) != 0)
			return 1;
		if (ds->x.rows - xrows != ds->y.rows - yrows)
			return builtin__fail("%s/%s has %zu rows but %s/%s has "
			    "%zu", dir, nm, ds->x.rows - xrows, dir, yname,
			    ds->y.rows - yrows);
		(*found)++;
	}
	for (i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;

		if (strncmp(nm, "y_", 2) != 0 || !has_suffix(nm, ".npy"))
			continue;
		snprintf(yname, sizeof(yname), "x_%s", nm + 2);
		for (j = 0; j < n; j++)
			if (strcmp(ents[j]->d_name, yname) == 0)
				break;
		if (j == n)
			return builtin__fail("%s/%s has no matching %s in the "
			    "channel", dir, nm, yname);
	}
	if (*found)
		snprintf(ds->what, sizeof(ds->what), "%s", xfirst);
	return 0;
}

/* Every *.csv, label in the first column. */
static int
load_csvs(const char *dir, struct dirent **ents, int n, struct dataset *ds,
    int *found)
{
	struct ml_matrix all = { NULL, 0, 0 };
	char first[PATH_MAX];
	size_t r, c;
	int i;

	*found = 0;
	for (i = 0; i < n; i++) {
		if (!has_suffix(ents[i]->d_name, ".csv"))
			continue;
		if (*found == 0)
			snprintf(first, sizeof(first), "%s/%s", dir,
			    ents[i]->d_name);
		if (read_into(dir, ents[i]->d_name, &all, first) != 0) {
			ml_matrix_free(&all);
			return 1;
		}
		(*found)++;
	}
	if (*found == 0)
		return 0;
	if (all.cols < 2) {
		ml_matrix_free(&all);
		return builtin__fail("%s: a CSV needs the label in the first "
		    "column and at least one feature after it", first);
	}
	ds->x.rows = ds->y.rows = all.rows;
	ds->x.cols = all.cols - 1;
	ds->y.cols = 1;
	ds->x.data = malloc(all.rows * ds->x.cols * sizeof(double));
	ds->y.data = malloc(all.rows * sizeof(double));
	if (ds->x.data == NULL || ds->y.data == NULL) {
		ml_matrix_free(&all);
		return builtin__fail("out of memory reading %s", first);
	}
	for (r = 0; r < all.rows; r++) {
		ds->y.data[r] = all.data[r * all.cols];
		for (c = 1; c < all.cols; c++)
			ds->x.data[r * ds->x.cols + c - 1] =
			    all.data[r * all.cols + c];
	}
	ml_matrix_free(&all);
	snprintf(ds->what, sizeof(ds->what), "%s", first);
	return 0;
}

static int
visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int
load_channel(const char *dir, const char *env, struct dataset *ds)
{
	struct dirent **ents = NULL;
	int n, i, rc, found = 0;

	memset(ds, 0, sizeof(*ds));
	if ((n = scandir(dir, &ents, visible, alphasort)) < 0)
		return builtin__fail("%s=%s: cannot read the directory", env,
		    dir);
	rc = load_npy_pairs(dir, ents, n, ds, &found);
	if (rc == 0 && found == 0)
		rc = load_csvs(dir, ents, n, ds, &found);
	if (rc == 0 && found == 0)
		rc = builtin__fail("%s=%s: no data: expected x_*.npy with "
		    "y_*.npy, or *.csv files with the label in the first "
		    "column and no header", env, dir);
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

/* ---------------------------------------------------------------- progress */

struct progress {
	size_t		 epochs;
	size_t		 samples;
	uint64_t	 t_epoch;	/* start of the current epoch */
	uint64_t	 t_flush;	/* last flush */
	double		 loss;
	double		 val_loss;
};

/*
 * Keras prints %.4f, and %.4e below 1e-3 - which SageMaker-style metric
 * regexes like 'loss: ([0-9\.]+)' would cut at the 'e'. So small values
 * get more decimals instead, keeping four significant digits.
 */
static int
fmt_metric(char *out, size_t n, double v)
{
	int dec = 4;

	if (isnan(v))
		return snprintf(out, n, "nan");
	if (v != 0.0 && fabs(v) < 1e-3 && isfinite(v)) {
		dec = 3 - (int)floor(log10(fabs(v)));
		if (dec > 40)
			dec = 40;
	}
	return snprintf(out, n, "%.*f", dec, v);
}

static int
on_epoch(size_t epoch, double loss, double val_loss, void *arg)
{
	struct progress *pg = arg;
	/* %.4f of the largest double takes 314 characters. */
	char a[352], b[352] = "";
	uint64_t now = td_mono_ns();

	fmt_metric(a, sizeof(a), loss);
	if (!isnan(val_loss)) {
		memcpy(b, " - val_loss: ", 13);
		fmt_metric(b + 13, sizeof(b) - 13, val_loss);
	}
	/* Whole seconds by integer arithmetic: a %f per epoch shows up. */
	printf("Epoch %zu/%zu\n%zu/%zu [==============================] - "
	    "%llus - loss: %s%s\n", epoch, pg->epochs, pg->samples,
	    pg->samples, (unsigned long long)((now - pg->t_epoch +
	    500000000) / 1000000000), a, b);
	/*
	 * A flush per epoch, but at most one per 10 ms: thousands of tiny
	 * epochs a second would otherwise spend their time in write(2).
	 */
	if (epoch == pg->epochs || now - pg->t_flush >= MLP_FLUSH_NS ||
	    !isfinite(loss)) {
		fflush(stdout);
		pg->t_flush = now;
	}
	pg->loss = loss;
	pg->val_loss = val_loss;
	pg->t_epoch = td_mono_ns();
	return 0;
}

/* ---------------------------------------------------------------- outputs */

static int
write_model(const char *dir, const struct mlp *net, const struct hp *hp,
    const struct progress *pg)
{
	struct buf hpj = { NULL, 0, 0 }, doc = { NULL, 0, 0 };
	char path[PATH_MAX];
	int rc;

	hp_json(hp, &hpj);
	rc = ml__model_to_json(net, hpj.data, pg->loss, pg->val_loss, &doc);
	buf_free(&hpj);
	if (rc != 0) {
		buf_free(&doc);
		return builtin__fail("the trained model has non-finite "
		    "parameters; try a smaller learning_rate");
	}
	if ((rc = td_mkdir_p(dir, 0755)) == 0) {
		snprintf(path, sizeof(path), "%s/model.json", dir);
		rc = td_write_file_atomic(path, doc.data, doc.len);
	}
	buf_free(&doc);
	if (rc != 0)
		return builtin__fail("cannot write %s/model.json: %s", dir,
		    td_strerror(rc));
	return 0;
}

static int
write_predictions(const char *dir, const struct mlp *net,
    const struct dataset *test)
{
	struct buf doc = { NULL, 0, 0 };
	char path[PATH_MAX];
	double *p;
	size_t r, k, K = net->n_outputs;
	int rc;

	if ((p = malloc(test->x.rows * K * sizeof(double))) == NULL ||
	    mlp_predict(net, test->x.data, test->x.rows, p) != 0) {
		free(p);
		return builtin__fail("out of memory predicting the test set");
	}
	buf_puts(&doc, "{\"predictions\": [");
	for (r = 0; r < test->x.rows; r++) {
		buf_puts(&doc, r ? ",\n  [" : "\n  [");
		for (k = 0; k < K; k++)
			buf_printf(&doc, "%s%.17g", k ? ", " : "", p[r * K + k]);
		buf_putc(&doc, ']');
	}
	buf_puts(&doc, "\n]}\n");
	free(p);
	if ((rc = td_mkdir_p(dir, 0755)) == 0) {
		snprintf(path, sizeof(path), "%s/predictions_test.json", dir);
		rc = td_write_file_atomic(path, doc.data, doc.len);
	}
	buf_free(&doc);
	if (rc != 0)
		return builtin__fail("cannot write %s/predictions_test.json: %s",
		    dir, td_strerror(rc));
	return 0;
}

/* ---------------------------------------------------------------- main */

static int
check_shapes(const struct dataset *tr, const struct dataset *te)
{
	if (te->x.cols != tr->x.cols)
		return builtin__fail("test data %s has %zu feature columns, the "
		    "training data %s has %zu", te->what, te->x.cols, tr->what,
		    tr->x.cols);
	if (te->y.cols != tr->y.cols)
		return builtin__fail("test labels of %s have %zu columns, the "
		    "training labels of %s have %zu", te->what, te->y.cols,
		    tr->what, tr->y.cols);
	return 0;
}

static int
run(const struct hp *hp, const struct dataset *tr, const struct dataset *te,
    const char *model_dir, const char *out_dir)
{
	size_t units[MLP_MAX_LAYERS], k;
	enum mlp_act acts[MLP_MAX_LAYERS];
	struct mlp_data dtr, dte;
	struct mlp_train_opts o;
	struct progress pg;
	struct mlp_rng rng;
	struct mlp *net;
	const char *kern = getenv("TDML_KERNEL");
	struct timespec c0, c1;
	uint64_t t0;
	double secs, cpu;
	int rc;

	for (k = 0; k < hp->n_hidden; k++) {
		units[k] = hp->units[k];
		acts[k] = hp->acts[k];
	}
	units[k] = tr->y.cols;
	acts[k] = MLP_ACT_LINEAR;
	if ((rc = mlp_new(tr->x.cols, hp->n_hidden + 1, units, acts, hp->loss,
	    &net)) != 0)
		return builtin__fail("cannot build the network (%zu inputs, "
		    "hidden_layers '%s'): %s", tr->x.cols, hp->hidden_str,
		    td_strerror(rc));
	mlp_rng_seed(&rng, (uint64_t)hp->seed);
	mlp_init_glorot(net, &rng);
	memset(&o, 0, sizeof(o));
	o.epochs = (size_t)hp->epochs;
	o.batch_size = (size_t)hp->batch_size;
	o.learning_rate = hp->learning_rate;
	o.optimizer = hp->optimizer;
	o.seed = mlp_rng_next(&rng);
	o.use_blas = kern != NULL && strcmp(kern, "blas") == 0;
	dtr = (struct mlp_data){ tr->x.data, tr->y.data, tr->x.rows,
	    tr->x.cols, tr->y.cols };
	dte = (struct mlp_data){ te ? te->x.data : NULL, te ? te->y.data :
	    NULL, te ? te->x.rows : 0, tr->x.cols, tr->y.cols };
	memset(&pg, 0, sizeof(pg));
	pg.epochs = o.epochs;
	pg.samples = tr->x.rows;
	pg.loss = pg.val_loss = NAN;
	if (te != NULL)
		printf("Train on %zu samples, validate on %zu samples\n",
		    tr->x.rows, te->x.rows);
	else
		printf("Train on %zu samples\n", tr->x.rows);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	t0 = pg.t_epoch = pg.t_flush = td_mono_ns();
	rc = mlp_train(net, &o, &dtr, te ? &dte : NULL, on_epoch, &pg);
	secs = (double)(td_mono_ns() - t0) / 1e9;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	cpu = (double)(c1.tv_sec - c0.tv_sec) +
	    (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	fflush(stdout);
	if (rc == TD_EINVAL) {
		mlp_free(net);
		return builtin__fail("training diverged: the loss became %s; "
		    "try a smaller learning_rate (now %g)",
		    isnan(pg.loss) ? "nan" : "infinite", hp->learning_rate);
	}
	if (rc != 0) {
		mlp_free(net);
		return builtin__fail("training failed: %s", td_strerror(rc));
	}
	if (te != NULL)
		printf("\nTest %s : %.4f\n", hp->loss == MLP_LOSS_MSE ? "MSE" :
		    "MAE", pg.val_loss);
	fflush(stdout);
	fprintf(stderr, "mlp: %ld epochs of %zu samples in %.6f s, %.6f s "
	    "CPU (%.0f samples/s, %s kernels)\n", hp->epochs, tr->x.rows,
	    secs, cpu, secs > 0 ? (double)hp->epochs * (double)tr->x.rows /
	    secs : 0.0, o.use_blas ? "cblas_dgemm" : mlp_kernels_name());
	rc = write_model(model_dir, net, hp, &pg);
	if (rc == 0 && te != NULL && out_dir != NULL)
		rc = write_predictions(out_dir, net, te);
	mlp_free(net);
	return rc;
}

int
builtin__mlp_main(int argc, char **argv)
{
	const char *train = getenv("SM_CHANNEL_TRAIN"),
	    *test = getenv("SM_CHANNEL_TEST"),
	    *model_dir = getenv("SM_MODEL_DIR"),
	    *out_dir = getenv("SM_OUTPUT_DATA_DIR"), *test_env =
	    "SM_CHANNEL_TEST";
	struct dataset tr, te;
	struct hp hp;
	int rc;

	if ((rc = hp_parse(&hp, argc, argv)) != 0)
		return rc;
	if (train == NULL || *train == '\0')
		return builtin__fail("SM_CHANNEL_TRAIN is not set: the mlp "
		    "algorithm needs a 'train' channel");
	if (model_dir == NULL || *model_dir == '\0')
		return builtin__fail("SM_MODEL_DIR is not set");
	if (test == NULL || *test == '\0') {
		test = getenv("SM_CHANNEL_VALIDATION");
		test_env = "SM_CHANNEL_VALIDATION";
	}
	if (test != NULL && *test == '\0')
		test = NULL;
	if (out_dir != NULL && *out_dir == '\0')
		out_dir = NULL;
	if ((rc = load_channel(train, "SM_CHANNEL_TRAIN", &tr)) != 0) {
		dataset_free(&tr);
		return rc;
	}
	memset(&te, 0, sizeof(te));
	if (test != NULL && ((rc = load_channel(test, test_env, &te)) != 0 ||
	    (rc = check_shapes(&tr, &te)) != 0)) {
		dataset_free(&tr);
		dataset_free(&te);
		return rc;
	}
	rc = run(&hp, &tr, test ? &te : NULL, model_dir, out_dir);
	dataset_free(&tr);
	dataset_free(&te);
	return rc;
}
