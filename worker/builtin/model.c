/*
 * model.c - the trained model on disk (model.json, see README.md) and the
 * public ml_model API: load from a directory, the JSON file or a
 * model.tar.gz (read in memory with libarchive), predict, free.
 *
 * Owns: the model.json format, both directions. Never trains. Invariant:
 * doubles are written with %.17g, so a reload reproduces every parameter
 * bit for bit and ml_model_predict() gives the trainer's own numbers
 * (both run mlp_predict()).
 */
#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "ml.h"
#include "mlp.h"
#include "util.h"

#define MODEL_FORMAT	"tunerd-mlp"
#define MODEL_VERSION	1
#define MODEL_FILE	"model.json"
#define MODEL_MAX_BYTES	((size_t)512 << 20)

struct ml_model {
	struct mlp	*net;
};

static int
mod_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ---------------------------------------------------------------- writing */

static void
put_num(struct buf *out, double v)
{
	buf_printf(out, "%.17g", v);
}

int
ml__model_to_json(const struct mlp *net, const char *hp_json, double loss,
    double val_loss, struct buf *out)
{
	size_t l, i, j, k;

	for (k = 0; k < net->n_params; k++)
		if (!isfinite(net->params[k]))
			return TD_EINVAL;
	buf_printf(out, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n"
	    "  \"inputs\": %zu,\n  \"loss\": \"%s\",\n  \"layers\": [",
	    MODEL_FORMAT, MODEL_VERSION, net->n_inputs,
	    mlp_loss_name(net->loss));
	for (l = 0; l < net->n_layers; l++) {
		const struct mlp_layer *L = &net->layers[l];

		buf_printf(out, "%s\n    {\"units\": %zu, \"activation\": "
		    "\"%s\",\n     \"weights\": [", l ? "," : "", L->out,
		    mlp_act_name(L->act));
		for (i = 0; i < L->in; i++) {
			buf_puts(out, i ? ",\n      [" : "\n      [");
			for (j = 0; j < L->out; j++) {
				if (j)
					buf_puts(out, ", ");
				put_num(out, L->w[j * L->in + i]);
			}
			buf_putc(out, ']');
		}
		buf_puts(out, "],\n     \"bias\": [");
		for (j = 0; j < L->out; j++) {
			if (j)
				buf_puts(out, ", ");
			put_num(out, L->b[j]);
		}
		buf_puts(out, "]}");
	}
	buf_printf(out, "\n  ],\n  \"hyperparameters\": %s,\n  \"metrics\": {",
	    hp_json ? hp_json : "{}");
	if (isfinite(loss)) {
		buf_puts(out, "\"loss\": ");
		put_num(out, loss);
	}
	if (isfinite(val_loss)) {
		buf_puts(out, isfinite(loss) ? ", \"val_loss\": " :
		    "\"val_loss\": ");
		put_num(out, val_loss);
	}
	buf_puts(out, "}\n}\n");
	return 0;
}

/* ---------------------------------------------------------------- reading */

/* An integer field in [lo, hi]; -1 if absent or not such a number. */
static int
get_size(const cJSON *obj, const char *key, size_t lo, size_t hi,
    size_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < (double)lo || v->valuedouble > (double)hi)
		return -1;
	*out = (size_t)v->valuedouble;
	return 0;
}

static const char *
get_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Rejects keys of obj not in the NULL-terminated list; names the first. */
static int
only_keys(const cJSON *obj, const char *const *keys, const char *where,
    char *err, size_t errlen)
{
	const cJSON *it;
	size_t k;

	cJSON_ArrayForEach(it, obj) {
		for (k = 0; keys[k] != NULL; k++)
			if (strcmp(it->string, keys[k]) == 0)
				break;
		if (keys[k] == NULL)
			return mod_fail(err, errlen, TD_EFORMAT, "%sunexpected "
			    "key \"%s\"", where, it->string);
	}
	return 0;
}

/* A list of exactly n finite numbers into dst[k * stride]. */
static int
get_vector(const cJSON *list, size_t n, double *dst, size_t stride,
    const char *where, char *err, size_t errlen)
{
	const cJSON *v;
	size_t k = 0;

	if (!cJSON_IsArray(list) || (size_t)cJSON_GetArraySize(list) != n)
		return mod_fail(err, errlen, TD_EFORMAT, "%s: expected a list "
		    "of %zu numbers", where, n);
	cJSON_ArrayForEach(v, list) {
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
			return mod_fail(err, errlen, TD_EFORMAT, "%s[%zu]: not "
			    "a finite number", where, k);
		dst[k++ * stride] = v->valuedouble;
	}
	return 0;
}

/* Shapes of every layer (units, activation) before allocation. */
static int
layer_shapes(const cJSON *layers, size_t *units,
    enum mlp_act *acts, char *err, size_t errlen)
{
	static const char *const keys[] = { "units", "activation", "weights",
	    "bias", NULL };
	const cJSON *L;
	char where[64];
	const char *a;
	size_t l = 0;
	int rc;

	cJSON_ArrayForEach(L, layers) {
		snprintf(where, sizeof(where), "layers[%zu]: ", l);
		if (!cJSON_IsObject(L))
			return mod_fail(err, errlen, TD_EFORMAT, "%snot an "
			    "object", where);
		if ((rc = only_keys(L, keys, where, err, errlen)) != 0)
			return rc;
		if (get_size(L, "units", 1, MLP_MAX_UNITS, &units[l]) != 0)
			return mod_fail(err, errlen, TD_EFORMAT, "%s\"units\" "
			    "must be an integer in 1..%d", where, MLP_MAX_UNITS);
		if ((a = get_str(L, "activation")) == NULL ||
		    mlp_act_parse(a, &acts[l]) != 0)
			return mod_fail(err, errlen, TD_EFORMAT, "%s\"activation"
			    "\" must be tanh, sigmoid, relu or linear", where);
		l++;
	}
	return 0;
}

static int
layer_params(const cJSON *layers, struct mlp *net, char *err, size_t errlen)
{
	const cJSON *L, *row;
	char where[64];
	size_t l = 0, i;
	int rc;

	cJSON_ArrayForEach(L, layers) {
		struct mlp_layer *ly = &net->layers[l];
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(L, "weights");

		if (!cJSON_IsArray(w) || (size_t)cJSON_GetArraySize(w) != ly->in)
			return mod_fail(err, errlen, TD_EFORMAT, "layers[%zu]."
			    "weights: expected %zu rows (one per input)", l,
			    ly->in);
		i = 0;
		cJSON_ArrayForEach(row, w) {
			snprintf(where, sizeof(where), "layers[%zu].weights[%zu]",
			    l, i);
			if ((rc = get_vector(row, ly->out, ly->w + i, ly->in,
			    where, err, errlen)) != 0)
				return rc;
			i++;
		}
		snprintf(where, sizeof(where), "layers[%zu].bias", l);
		if ((rc = get_vector(cJSON_GetObjectItemCaseSensitive(L, "bias"),
		    ly->out, ly->b, 1, where, err, errlen)) != 0)
			return rc;
		l++;
	}
	return 0;
}

static int
model_from_tree(const cJSON *root, struct mlp **out, char *err,
    size_t errlen)
{
	static const char *const keys[] = { "format", "version", "inputs",
	    "loss", "layers", "hyperparameters", "metrics", NULL };
	size_t units[MLP_MAX_LAYERS], n_inputs, n, version;
	enum mlp_act acts[MLP_MAX_LAYERS];
	enum mlp_loss loss;
	const cJSON *layers, *v;
	const char *s;
	struct mlp *net;
	int rc;

	if (!cJSON_IsObject(root))
		return mod_fail(err, errlen, TD_EFORMAT, "not a JSON object");
	if ((s = get_str(root, "format")) == NULL || strcmp(s, MODEL_FORMAT))
		return mod_fail(err, errlen, TD_EFORMAT, "\"format\" is not "
		    "\"%s\"", MODEL_FORMAT);
	if (get_size(root, "version", 0, 1000000, &version) != 0 ||
	    version != MODEL_VERSION)
		return mod_fail(err, errlen, TD_EFORMAT, "unsupported "
		    "\"version\" (this build reads version %d)", MODEL_VERSION);
	if ((rc = only_keys(root, keys, "", err, errlen)) != 0)
		return rc;
	if (get_size(root, "inputs", 1, MLP_MAX_UNITS, &n_inputs) != 0)
		return mod_fail(err, errlen, TD_EFORMAT, "\"inputs\" must be "
		    "an integer in 1..%d", MLP_MAX_UNITS);
	if ((s = get_str(root, "loss")) == NULL || mlp_loss_parse(s, &loss))
		return mod_fail(err, errlen, TD_EFORMAT, "\"loss\" must be "
		    "mse or mae");
	layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
	n = cJSON_IsArray(layers) ? (size_t)cJSON_GetArraySize(layers) : 0;
	if (n == 0 || n > MLP_MAX_LAYERS)
		return mod_fail(err, errlen, TD_EFORMAT, "\"layers\" must be a "
		    "list of 1..%d layers", MLP_MAX_LAYERS);
	if (((v = cJSON_GetObjectItemCaseSensitive(root, "hyperparameters")) &&
	    !cJSON_IsObject(v)) ||
	    ((v = cJSON_GetObjectItemCaseSensitive(root, "metrics")) &&
	    !cJSON_IsObject(v)))
		return mod_fail(err, errlen, TD_EFORMAT, "\"hyperparameters\" "
		    "and \"metrics\" must be objects");
	if ((rc = layer_shapes(layers, units, acts, err, errlen)) != 0)
		return rc;
	if ((rc = mlp_new(n_inputs, n, units, acts, loss, &net)) != 0)
		return mod_fail(err, errlen, rc, "model too large: %s",
		    td_strerror(rc));
	if ((rc = layer_params(layers, net, err, errlen)) != 0) {
		mlp_free(net);
		return rc;
	}
	*out = net;
	return 0;
}

int
ml__model_from_json(const char *text, size_t len, struct mlp **out,
    char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *root;
	int rc;

	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL)
		return mod_fail(err, errlen, TD_EFORMAT, "invalid JSON near "
		    "byte %zu", end ? (size_t)(end - text) : (size_t)0);
	rc = model_from_tree(root, out, err, errlen);
	cJSON_Delete(root);
	return rc;
}

/* model.json from a tar (optionally compressed) archive, into memory. */
static int
read_from_archive(const char *path, char **text, size_t *len, char *err,
    size_t errlen)
{
	struct archive *a;
	struct archive_entry *e;
	struct buf b = { NULL, 0, 0 };
	char chunk[65536];
	la_ssize_t n;
	int rc = TD_ENOTFOUND, r;

	if ((a = archive_read_new()) == NULL)
		return TD_ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		rc = mod_fail(err, errlen, TD_EFORMAT, "%s: %s", path,
		    archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (name == NULL || (strcmp(name, MODEL_FILE) != 0 &&
		    strcmp(name, "./" MODEL_FILE) != 0))
			continue;
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
			if (b.len + (size_t)n > MODEL_MAX_BYTES) {
				rc = mod_fail(err, errlen, TD_ETOOBIG, "%s: %s "
				    "is too large", path, MODEL_FILE);
				goto out;
			}
			buf_append(&b, chunk, (size_t)n);
		}
		if (n < 0)
			break;
		*len = b.len;
		*text = buf_steal(&b);
		rc = 0;
		goto out;
	}
	if (r == ARCHIVE_EOF)
		rc = mod_fail(err, errlen, TD_ENOTFOUND, "%s: no %s at the top "
		    "of the archive", path, MODEL_FILE);
	else
		rc = mod_fail(err, errlen, TD_EFORMAT, "%s: %s", path,
		    archive_error_string(a));
out:
	buf_free(&b);
	archive_read_free(a);
	return rc;
}

/* By name (.tar.gz, .tgz, .tar) or by the gzip magic in the first bytes. */
static int
is_archive(const char *path)
{
	size_t len = strlen(path);
	unsigned char head[2] = { 0, 0 };
	FILE *f;

	if ((len > 7 && strcmp(path + len - 7, ".tar.gz") == 0) ||
	    (len > 4 && strcmp(path + len - 4, ".tgz") == 0) ||
	    (len > 4 && strcmp(path + len - 4, ".tar") == 0))
		return 1;
	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	if (fread(head, 1, 2, f) != 2)
		head[0] = 0;
	fclose(f);
	return head[0] == 0x1f && head[1] == 0x8b;
}

int
ml_model_load(const char *path, struct ml_model **out, char *err,
    size_t errlen)
{
	char file[4096], msg[512];
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	struct mlp *net;
	int rc;

	*out = NULL;
	if (stat(path, &st) == -1) {
		rc = -errno;
		return mod_fail(err, errlen, rc, "%s: %s", path,
		    td_strerror(rc));
	}
	if (S_ISDIR(st.st_mode)) {
		if ((size_t)snprintf(file, sizeof(file), "%s/%s", path,
		    MODEL_FILE) >= sizeof(file))
			return mod_fail(err, errlen, TD_EINVAL, "%s: path too "
			    "long", path);
	} else {
		snprintf(file, sizeof(file), "%s", path);
	}
	if (!S_ISDIR(st.st_mode) && is_archive(file)) {
		if ((rc = read_from_archive(file, &text, &len, err,
		    errlen)) != 0)
			return rc;
	} else if ((rc = td_read_file(file, MODEL_MAX_BYTES, &text,
	    &len)) != 0) {
		return mod_fail(err, errlen, rc, "%s: %s", file,
		    td_strerror(rc));
	}
	rc = ml__model_from_json(text, len, &net, msg, sizeof(msg));
	free(text);
	if (rc != 0)
		return mod_fail(err, errlen, rc, "%s: %s", file, msg);
	if ((*out = calloc(1, sizeof(**out))) == NULL) {
		mlp_free(net);
		return TD_ENOMEM;
	}
	(*out)->net = net;
	return 0;
}

size_t
ml_model_n_inputs(const struct ml_model *m)
{
	return m->net->n_inputs;
}

size_t
ml_model_n_outputs(const struct ml_model *m)
{
	return m->net->n_outputs;
}

int
ml_model_predict(const struct ml_model *m, const struct ml_matrix *x,
    struct ml_matrix *y, char *err, size_t errlen)
{
	size_t n;
	int rc;

	memset(y, 0, sizeof(*y));
	if (x->cols != m->net->n_inputs)
		return mod_fail(err, errlen, TD_EINVAL, "input has %zu columns, "
		    "the model takes %zu", x->cols, m->net->n_inputs);
	if (x->rows == 0)
		return mod_fail(err, errlen, TD_EINVAL, "input has no rows");
	if (__builtin_mul_overflow(x->rows, m->net->n_outputs, &n) ||
	    n > SIZE_MAX / sizeof(double) ||
	    (y->data = malloc(n * sizeof(double))) == NULL)
		return mod_fail(err, errlen, TD_ENOMEM, "out of memory for "
		    "%zu predictions", x->rows);
	if ((rc = mlp_predict(m->net, x->data, x->rows, y->data)) != 0) {
		ml_matrix_free(y);
		return mod_fail(err, errlen, rc, "%s", td_strerror(rc));
	}
	y->rows = x->rows;
	y->cols = m->net->n_outputs;
	return 0;
}

void
ml_model_free(struct ml_model *m)
{
	if (m == NULL)
		return;
	mlp_free(m->net);
	free(m);
}
