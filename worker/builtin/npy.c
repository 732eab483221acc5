/*
 * npy.c - NumPy .npy decoding into an ml_matrix of doubles.
 *
 * Owns: ml_matrix_parse_npy(). Reads only the bytes it is given (no I/O).
 * Accepts format versions 1.0, 2.0 and 3.0, dtypes f4 f8 i1-i8 u1-u8 b1,
 * little-endian (or byte-order-free) data, C order, 1-D (n -> n x 1) and
 * 2-D shapes. Everything else - big-endian, Fortran order, 0-D or 3-D
 * arrays, structured dtypes, a header or a data size that disagrees with
 * the file, non-finite values - is rejected with a message saying what was
 * found. The header is parsed as the small Python dict literal NumPy
 * writes; no Python evaluation.
 */
#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ml.h"

#define NPY_MAGIC	"\x93NUMPY"
#define NPY_MAX_DIMS	8

enum npy_kind { NPY_FLOAT, NPY_INT, NPY_UINT, NPY_BOOL };

struct npy_header {
	char		 descr[32];
	int		 have_descr, have_fortran, have_shape;
	int		 fortran;
	size_t		 shape[NPY_MAX_DIMS];
	size_t		 ndim;
	enum npy_kind	 kind;
	size_t		 itemsize;
};

struct npy_lexer {
	const char	*p;
	const char	*end;
};

static int
npy_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return TD_EFORMAT;
}

static void
lex_ws(struct npy_lexer *lx)
{
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' ||
	    *lx->p == '\n' || *lx->p == '\r'))
		lx->p++;
}

static int
lex_char(struct npy_lexer *lx, char c)
{
	lex_ws(lx);
	if (lx->p < lx->end && *lx->p == c) {
		lx->p++;
		return 1;
	}
	return 0;
}

/* A quoted Python string without escapes into out; 0 or -1. */
static int
lex_string(struct npy_lexer *lx, char *out, size_t outlen)
{
	char q;
	size_t n = 0;

	lex_ws(lx);
	if (lx->p >= lx->end || (*lx->p != '\'' && *lx->p != '"'))
		return -1;
	q = *lx->p++;
	while (lx->p < lx->end && *lx->p != q) {
		if (*lx->p == '\\' || n + 1 >= outlen)
			return -1;
		out[n++] = *lx->p++;
	}
	if (lx->p >= lx->end)
		return -1;
	lx->p++;
	out[n] = '\0';
	return 0;
}

static int
lex_word(struct npy_lexer *lx, const char *w)
{
	size_t n = strlen(w);

	lex_ws(lx);
	if ((size_t)(lx->end - lx->p) >= n && memcmp(lx->p, w, n) == 0) {
		lx->p += n;
		return 1;
	}
	return 0;
}

/* (d0, d1, ...) with decimal dims (a trailing L, as Python 2 wrote, is ok). */
static int
lex_shape(struct npy_lexer *lx, struct npy_header *h)
{
	if (!lex_char(lx, '('))
		return -1;
	h->ndim = 0;
	for (;;) {
		size_t v = 0;
		int digits = 0;

		if (lex_char(lx, ')'))
			return 0;
		lex_ws(lx);
		while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
			if (v > (SIZE_MAX - 9) / 10)
				return -1;
			v = v * 10 + (size_t)(*lx->p++ - '0');
			digits++;
		}
		if (digits == 0 || h->ndim == NPY_MAX_DIMS)
			return -1;
		if (lx->p < lx->end && *lx->p == 'L')
			lx->p++;
		h->shape[h->ndim++] = v;
		if (!lex_char(lx, ',')) {
			if (!lex_char(lx, ')'))
				return -1;
			return 0;
		}
	}
}

static int
header_value(struct npy_lexer *lx, const char *key, struct npy_header *h,
    char *err, size_t errlen)
{
	if (strcmp(key, "descr") == 0) {
		if (h->have_descr)
			return npy_fail(err, errlen, "header repeats 'descr'");
		lex_ws(lx);
		if (lx->p < lx->end && *lx->p == '[')
			return npy_fail(err, errlen, "structured dtypes are "
			    "not supported; need a plain numeric array");
		if (lex_string(lx, h->descr, sizeof(h->descr)) != 0)
			return npy_fail(err, errlen, "header 'descr' is not "
			    "a dtype string");
		h->have_descr = 1;
	} else if (strcmp(key, "fortran_order") == 0) {
		if (h->have_fortran)
			return npy_fail(err, errlen, "header repeats "
			    "'fortran_order'");
		if (lex_word(lx, "True"))
			h->fortran = 1;
		else if (lex_word(lx, "False"))
			h->fortran = 0;
		else
			return npy_fail(err, errlen, "header 'fortran_order' "
			    "is not True or False");
		h->have_fortran = 1;
	} else if (strcmp(key, "shape") == 0) {
		if (h->have_shape)
			return npy_fail(err, errlen, "header repeats 'shape'");
		if (lex_shape(lx, h) != 0)
			return npy_fail(err, errlen, "header 'shape' is not a "
			    "tuple of integers");
		h->have_shape = 1;
	} else {
		return npy_fail(err, errlen, "unexpected key '%s' in the "
		    "header", key);
	}
	return 0;
}

static int
parse_dict(const char *text, size_t len, struct npy_header *h, char *err,
    size_t errlen)
{
	struct npy_lexer lx = { text, text + len };
	char key[32];
	int rc;

	if (!lex_char(&lx, '{'))
		return npy_fail(err, errlen, "header is not a Python dict");
	while (!lex_char(&lx, '}')) {
		if (lex_string(&lx, key, sizeof(key)) != 0 ||
		    !lex_char(&lx, ':'))
			return npy_fail(err, errlen, "header dict is malformed "
			    "near offset %zu", (size_t)(lx.p - text));
		if ((rc = header_value(&lx, key, h, err, errlen)) != 0)
			return rc;
		if (!lex_char(&lx, ',')) {
			if (!lex_char(&lx, '}'))
				return npy_fail(err, errlen, "header dict is "
				    "malformed near offset %zu",
				    (size_t)(lx.p - text));
			break;
		}
	}
	lex_ws(&lx);
	if (lx.p != lx.end)
		return npy_fail(err, errlen, "unexpected text after the "
		    "header dict");
	if (!h->have_descr || !h->have_fortran || !h->have_shape)
		return npy_fail(err, errlen, "header lacks '%s'",
		    !h->have_descr ? "descr" : !h->have_fortran ?
		    "fortran_order" : "shape");
	return 0;
}

static int
parse_descr(struct npy_header *h, char *err, size_t errlen)
{
	const char *d = h->descr;
	char order = d[0];
	size_t size;

	if (strlen(d) != 3 || d[2] < '1' || d[2] > '8')
		goto bad;
	size = (size_t)(d[2] - '0');
	switch (d[1]) {
	case 'f':
		h->kind = NPY_FLOAT;
		if (size != 4 && size != 8)
			goto bad;
		break;
	case 'i':
	case 'u':
		h->kind = d[1] == 'i' ? NPY_INT : NPY_UINT;
		if (size != 1 && size != 2 && size != 4 && size != 8)
			goto bad;
		break;
	case 'b':
		h->kind = NPY_BOOL;
		if (size != 1)
			goto bad;
		break;
	default:
		goto bad;
	}
	h->itemsize = size;
	if (order == '>' && size > 1)
		return npy_fail(err, errlen, "big-endian data ('%s') is not "
		    "supported; save it little-endian (arr.astype('<%c%zu'))",
		    d, d[1], size);
	if (order == '|' && size > 1)
		goto bad;
	if (order != '<' && order != '|' && order != '=' && order != '>')
		goto bad;
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	if (order == '=' && size > 1)
		return npy_fail(err, errlen, "native-order data ('%s') from "
		    "a big-endian host is not supported", d);
#endif
	return 0;
bad:
	return npy_fail(err, errlen, "unsupported dtype '%s' (need <f4, <f8, "
	    "<i1..<i8, <u1..<u8 or |b1)", d);
}

static double
load_value(const unsigned char *p, const struct npy_header *h)
{
	uint64_t u = 0;
	size_t k;
	float f;
	double d;

	for (k = 0; k < h->itemsize; k++)
		u |= (uint64_t)p[k] << (8 * k);
	switch (h->kind) {
	case NPY_FLOAT:
		if (h->itemsize == 4) {
			uint32_t u32 = (uint32_t)u;

			memcpy(&f, &u32, sizeof(f));
			return (double)f;
		}
		memcpy(&d, &u, sizeof(d));
		return d;
	case NPY_INT:
		if (h->itemsize < 8 && (u >> (8 * h->itemsize - 1)) & 1)
			u |= ~(uint64_t)0 << (8 * h->itemsize);
		return (double)(int64_t)u;
	case NPY_UINT:
		return (double)u;
	case NPY_BOOL:
	default:
		return u != 0 ? 1.0 : 0.0;
	}
}

/* "(a, b, c)" for messages. */
static void
shape_str(const struct npy_header *h, char *out, size_t outlen)
{
	size_t k, n = 0;

	n += (size_t)snprintf(out + n, outlen - n, "(");
	for (k = 0; k < h->ndim && n < outlen; k++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%zu",
		    k ? ", " : "", h->shape[k]);
	if (n < outlen)
		snprintf(out + n, outlen - n, h->ndim == 1 ? ",)" : ")");
}

static int
check_shape(const struct npy_header *h, size_t *rows, size_t *cols,
    char *err, size_t errlen)
{
	char s[128];

	shape_str(h, s, sizeof(s));
	if (h->fortran)
		return npy_fail(err, errlen, "Fortran-order arrays are not "
		    "supported; save a C-order array (np.ascontiguousarray)");
	if (h->ndim == 0 || h->ndim > 2)
		return npy_fail(err, errlen, "%zu-D array of shape %s is not "
		    "supported; need 1-D or 2-D", h->ndim, s);
	*rows = h->shape[0];
	*cols = h->ndim == 2 ? h->shape[1] : 1;
	if (*rows == 0 || *cols == 0)
		return npy_fail(err, errlen, "array of shape %s is empty", s);
	return 0;
}

int
ml_matrix_parse_npy(const char *body, size_t len, struct ml_matrix *out,
    char *err, size_t errlen)
{
	const unsigned char *b = (const unsigned char *)body;
	struct npy_header h;
	size_t hstart, hlen, rows = 0, cols = 0, count, need, k;
	double *data;
	int rc;

	memset(&h, 0, sizeof(h));
	memset(out, 0, sizeof(*out));
	if (len < 10 || memcmp(body, NPY_MAGIC, 6) != 0)
		return npy_fail(err, errlen, len < 6 ? "too short for a .npy "
		    "file (%zu bytes)" : "not a .npy file (bad magic)", len);
	if (b[6] == 1) {
		hstart = 10;
		hlen = (size_t)b[8] | (size_t)b[9] << 8;
	} else if (b[6] == 2 || b[6] == 3) {
		if (len < 12)
			return npy_fail(err, errlen, "truncated .npy header");
		hstart = 12;
		hlen = (size_t)b[8] | (size_t)b[9] << 8 |
		    (size_t)b[10] << 16 | (size_t)b[11] << 24;
	} else {
		return npy_fail(err, errlen, "unsupported .npy format "
		    "version %u.%u", b[6], b[7]);
	}
	if (hlen > len - hstart)
		return npy_fail(err, errlen, "header length %zu runs past the "
		    "end of the file (%zu bytes)", hlen, len);
	if ((rc = parse_dict(body + hstart, hlen, &h, err, errlen)) != 0 ||
	    (rc = parse_descr(&h, err, errlen)) != 0 ||
	    (rc = check_shape(&h, &rows, &cols, err, errlen)) != 0)
		return rc;
	if (__builtin_mul_overflow(rows, cols, &count) ||
	    __builtin_mul_overflow(count, h.itemsize, &need) ||
	    count > SIZE_MAX / sizeof(double))
		return npy_fail(err, errlen, "shape %zu x %zu is too large",
		    rows, cols);
	if (len - hstart - hlen != need)
		return npy_fail(err, errlen, "shape %zu x %zu of '%s' needs "
		    "%zu data bytes, the file has %zu%s", rows, cols, h.descr,
		    need, len - hstart - hlen, len - hstart - hlen < need ?
		    " (truncated?)" : "");
	if ((data = malloc(count * sizeof(double))) == NULL)
		return TD_ENOMEM;
	b += hstart + hlen;
	for (k = 0; k < count; k++) {
		double v = load_value(b + k * h.itemsize, &h);

		if (!isfinite(v)) {
			free(data);
			return npy_fail(err, errlen, "row %zu, column %zu: "
			    "value is not finite (%g)", k / cols, k % cols, v);
		}
		data[k] = v;
	}
	out->data = data;
	out->rows = rows;
	out->cols = cols;
	return 0;
}
