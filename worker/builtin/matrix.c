/*
 * matrix.c - matrices of doubles from CSV, JSON and files (by extension).
 *
 * Owns: ml_matrix_read(), ml_matrix_parse_csv(), ml_matrix_parse_json(),
 * ml_matrix_free(). The .npy decoder lives in npy.c. Never keeps state;
 * every result is a fresh ml_matrix the caller frees.
 *
 * Rules shared by all readers: at least one row and one column, every row
 * the same width, every value a finite number. Errors say where: CSV by
 * line and column, JSON by row and column, files by their path.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "ml.h"
#include "util.h"

#define ML_MAX_FILE	((size_t)2 << 30)
#define CSV_MAX_FIELD	64

static int
mx_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

void
ml_matrix_free(struct ml_matrix *m)
{
	if (m == NULL)
		return;
	free(m->data);
	m->data = NULL;
	m->rows = m->cols = 0;
}

/* A growable array of doubles. */
struct dvec {
	double	*v;
	size_t	 n;
	size_t	 cap;
};

static int
dvec_push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		double *p;

		if (cap > SIZE_MAX / sizeof(double) ||
		    (p = realloc(d->v, cap * sizeof(double))) == NULL)
			return TD_ENOMEM;
		d->v = p;
		d->cap = cap;
	}
	d->v[d->n++] = x;
	return 0;
}

/* Printable copy of a bad field for a message. */
static void
field_show(const char *s, size_t n, char *out, size_t outlen)
{
	size_t k, o = 0;

	for (k = 0; k < n && o + 4 < outlen; k++) {
		unsigned char c = (unsigned char)s[k];

		out[o++] = isprint(c) ? (char)c : '?';
	}
	if (k < n && o + 4 <= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* One CSV field (already trimmed) as a finite double; 0 or -1. */
static int
csv_number(const char *s, size_t n, double *out)
{
	char tmp[CSV_MAX_FIELD + 1], *end;
	size_t k;

	if (n == 0 || n > CSV_MAX_FIELD)
		return -1;
	for (k = 0; k < n; k++)
		if (strchr("0123456789+-.eE", s[k]) == NULL || s[k] == '\0')
			return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, &end);
	if (end != tmp + n || !isfinite(*out))
		return -1;
	return 0;
}

static int
is_blank(const char *s, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (s[k] != ' ' && s[k] != '\t')
			return 0;
	return 1;
}

int
ml_matrix_parse_csv(const char *body, size_t len, struct ml_matrix *out,
    char *err, size_t errlen)
{
	struct dvec d = { NULL, 0, 0 };
	size_t pos = 0, line = 0, cols = 0, first = 0, rows = 0;
	char shown[48];
	int rc;

	memset(out, 0, sizeof(*out));
	while (pos < len) {
		const char *s = body + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos, col = 0, a = 0;

		pos += n + (nl != NULL);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (is_blank(s, n))
			continue;
		for (;;) {
			const char *c = memchr(s + a, ',', n - a);
			size_t b = c ? (size_t)(c - s) : n, fa = a, fb = b;
			double v;

			while (fa < fb && (s[fa] == ' ' || s[fa] == '\t'))
				fa++;
			while (fb > fa && (s[fb - 1] == ' ' || s[fb - 1] == '\t'))
				fb--;
			col++;
			if (csv_number(s + fa, fb - fa, &v) != 0) {
				field_show(s + fa, fb - fa, shown, sizeof(shown));
				rc = mx_fail(err, errlen, TD_EFORMAT, "line %zu, "
				    "column %zu: not a number: '%s'%s", line, col,
				    shown, rows == 0 ? " (CSV files must have no "
				    "header row)" : "");
				goto fail;
			}
			if ((rc = dvec_push(&d, v)) != 0)
				goto fail;
			if (c == NULL)
				break;
			a = b + 1;
		}
		if (rows == 0) {
			cols = col;
			first = line;
		} else if (col != cols) {
			rc = mx_fail(err, errlen, TD_EFORMAT, "line %zu: %zu "
			    "columns, expected %zu as on line %zu", line, col,
			    cols, first);
			goto fail;
		}
		rows++;
	}
	if (rows == 0) {
		rc = mx_fail(err, errlen, TD_EFORMAT, "no data rows");
		goto fail;
	}
	out->data = d.v;
	out->rows = rows;
	out->cols = cols;
	return 0;
fail:
	free(d.v);
	return rc;
}

/* Appends one JSON row (a list of numbers) to d; its width to *width. */
static int
json_row(const cJSON *row, size_t r, struct dvec *d, size_t *width,
    char *err, size_t errlen)
{
	const cJSON *v;
	size_t c = 0;
	int rc;

	if (!cJSON_IsArray(row))
		return mx_fail(err, errlen, TD_EFORMAT, "row %zu: expected a "
		    "list of numbers", r);
	cJSON_ArrayForEach(v, row) {
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
			return mx_fail(err, errlen, TD_EFORMAT, "row %zu, "
			    "column %zu: not a finite number", r, c);
		if ((rc = dvec_push(d, v->valuedouble)) != 0)
			return rc;
		c++;
	}
	if (c == 0)
		return mx_fail(err, errlen, TD_EFORMAT, "row %zu is empty", r);
	*width = c;
	return 0;
}

/* A nested list (rows) or a flat list (one row) into out. */
static int
json_rows(const cJSON *list, struct ml_matrix *out, char *err, size_t errlen)
{
	struct dvec d = { NULL, 0, 0 };
	const cJSON *row;
	size_t r = 0, width = 0, cols = 0;
	int rc;

	if (!cJSON_IsArray(list))
		return mx_fail(err, errlen, TD_EFORMAT, "expected a list of "
		    "rows");
	if (cJSON_GetArraySize(list) == 0)
		return mx_fail(err, errlen, TD_EFORMAT, "no rows");
	if (!cJSON_IsArray(list->child)) {
		if ((rc = json_row(list, 0, &d, &cols, err, errlen)) != 0)
			goto fail;
		r = 1;
	} else {
		cJSON_ArrayForEach(row, list) {
			if ((rc = json_row(row, r, &d, &width, err,
			    errlen)) != 0)
				goto fail;
			if (r > 0 && width != cols) {
				rc = mx_fail(err, errlen, TD_EFORMAT, "row %zu "
				    "has %zu values, row 0 has %zu", r, width,
				    cols);
				goto fail;
			}
			cols = width;
			r++;
		}
	}
	out->data = d.v;
	out->rows = r;
	out->cols = cols;
	return 0;
fail:
	free(d.v);
	return rc;
}

int
ml_matrix_parse_json(const char *body, size_t len, struct ml_matrix *out,
    char *err, size_t errlen)
{
	const char *end = NULL;
	const cJSON *list = NULL, *it;
	cJSON *root;
	int rc;

	memset(out, 0, sizeof(*out));
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root == NULL)
		return mx_fail(err, errlen, TD_EFORMAT, "invalid JSON near "
		    "byte %zu", end ? (size_t)(end - body) : (size_t)0);
	while (end < body + len && isspace((unsigned char)*end))
		end++;
	if (end < body + len && *end != '\0') {
		rc = mx_fail(err, errlen, TD_EFORMAT, "unexpected data after "
		    "the JSON value at byte %zu", (size_t)(end - body));
		goto out;
	}
	if (cJSON_IsObject(root)) {
		cJSON_ArrayForEach(it, root) {
			if (strcmp(it->string, "instances") != 0 &&
			    strcmp(it->string, "inputs") != 0) {
				rc = mx_fail(err, errlen, TD_EFORMAT, "unexpected "
				    "key \"%s\"; expected \"instances\" or "
				    "\"inputs\"", it->string);
				goto out;
			}
			if (list != NULL) {
				rc = mx_fail(err, errlen, TD_EFORMAT, "give one "
				    "of \"instances\" or \"inputs\", not both");
				goto out;
			}
			list = it;
		}
		if (list == NULL) {
			rc = mx_fail(err, errlen, TD_EFORMAT, "object has no "
			    "\"instances\" or \"inputs\"");
			goto out;
		}
	} else {
		list = root;
	}
	rc = json_rows(list, out, err, errlen);
out:
	cJSON_Delete(root);
	return rc;
}

static int
has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext);

	return n > e && strcasecmp(path + n - e, ext) == 0;
}

int
ml_matrix_read(const char *path, struct ml_matrix *out, char *err,
    size_t errlen)
{
	char msg[512];
	char *body = NULL;
	size_t len = 0;
	int rc, kind;

	memset(out, 0, sizeof(*out));
	kind = has_ext(path, ".npy") ? 1 : has_ext(path, ".csv") ? 2 :
	    has_ext(path, ".json") ? 3 : 0;
	if (kind == 0)
		return mx_fail(err, errlen, TD_EINVAL, "%s: unknown file type; "
		    "use .npy, .csv or .json", path);
	if ((rc = td_read_file(path, ML_MAX_FILE, &body, &len)) != 0)
		return mx_fail(err, errlen, rc, "%s: %s", path,
		    td_strerror(rc));
	msg[0] = '\0';
	if (kind == 1)
		rc = ml_matrix_parse_npy(body, len, out, msg, sizeof(msg));
	else if (kind == 2)
		rc = ml_matrix_parse_csv(body, len, out, msg, sizeof(msg));
	else
		rc = ml_matrix_parse_json(body, len, out, msg, sizeof(msg));
	free(body);
	if (rc != 0)
		return mx_fail(err, errlen, rc, "%s: %s", path,
		    msg[0] ? msg : td_strerror(rc));
	return 0;
}
