/*
 * pyjson.c - Python-compatible JSON values (see pyjson.h).
 *
 * Owns nothing global. The parser is recursive descent with a depth limit
 * (PYJ_MAX_DEPTH); the printers never fail. Invariants: a PYJ_STR or
 * PYJ_INT always has text != NULL; a PYJ_DICT has keys[i] for every
 * items[i] and no duplicate key.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pyjson.h"

#define PYJ_MAX_DEPTH	64

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		abort();	/* OOM is fatal, as in buf.c */
	return p;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = xcalloc(1, n + 1);

	memcpy(p, s, n);
	return p;
}

static struct pyj *
pyj_alloc(enum pyj_type type)
{
	struct pyj *v = xcalloc(1, sizeof(*v));

	v->type = type;
	return v;
}

struct pyj *
pyj_new_null(void)
{
	return pyj_alloc(PYJ_NULL);
}

struct pyj *
pyj_new_bool(int b)
{
	struct pyj *v = pyj_alloc(PYJ_BOOL);

	v->b = b != 0;
	return v;
}

struct pyj *
pyj_new_int(long long i)
{
	struct pyj *v = pyj_alloc(PYJ_INT);
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", i);

	v->text = xstrndup(tmp, (size_t)n);
	v->len = (size_t)n;
	return v;
}

struct pyj *
pyj_new_float(double f)
{
	struct pyj *v = pyj_alloc(PYJ_FLOAT);

	v->f = f;
	return v;
}

struct pyj *
pyj_new_str(const char *s)
{
	struct pyj *v = pyj_alloc(PYJ_STR);

	v->len = strlen(s);
	v->text = xstrndup(s, v->len);
	return v;
}

struct pyj *
pyj_new_list(void)
{
	return pyj_alloc(PYJ_LIST);
}

struct pyj *
pyj_new_dict(void)
{
	return pyj_alloc(PYJ_DICT);
}

static void
grow(struct pyj *c)
{
	size_t cap = c->cap ? c->cap * 2 : 8;
	struct pyj **items = realloc(c->items, cap * sizeof(*items));

	if (items == NULL)
		abort();
	c->items = items;
	if (c->type == PYJ_DICT) {
		char **keys = realloc(c->keys, cap * sizeof(*keys));

		if (keys == NULL)
			abort();
		c->keys = keys;
	}
	c->cap = cap;
}

void
pyj_append(struct pyj *list, struct pyj *v)
{
	if (list->n == list->cap)
		grow(list);
	list->items[list->n++] = v;
}

void
pyj_set(struct pyj *dict, const char *key, struct pyj *v)
{
	size_t i;

	for (i = 0; i < dict->n; i++) {
		if (strcmp(dict->keys[i], key) == 0) {
			pyj_free(dict->items[i]);
			dict->items[i] = v;
			return;
		}
	}
	if (dict->n == dict->cap)
		grow(dict);
	dict->keys[dict->n] = xstrndup(key, strlen(key));
	dict->items[dict->n++] = v;
}

struct pyj *
pyj_get(const struct pyj *dict, const char *key)
{
	size_t i;

	if (dict == NULL || dict->type != PYJ_DICT)
		return NULL;
	for (i = 0; i < dict->n; i++)
		if (strcmp(dict->keys[i], key) == 0)
			return dict->items[i];
	return NULL;
}

void
pyj_free(struct pyj *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		pyj_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
	free(v);
}

/* ---- parsing ---- */

struct pyj_parser {
	const char	*p;
	const char	*end;
	int		 depth;
};

static void
skip_ws(struct pyj_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
literal(struct pyj_parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return 0;
	ps->p += n;
	return 1;
}

static void
put_utf8(struct buf *b, unsigned int cp)
{
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xC0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xE0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(b, (char)(0xF0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

static int
hex4(struct pyj_parser *ps, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	if (ps->end - ps->p < 4)
		return TD_EINVAL;
	for (i = 0; i < 4; i++) {
		char c = *ps->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return TD_EINVAL;
	}
	*out = v;
	return 0;
}

/* A \u escape; surrogate pairs combine, a lone surrogate becomes U+FFFD. */
static int
unicode_escape(struct pyj_parser *ps, struct buf *b)
{
	unsigned int cp, lo;

	if (hex4(ps, &cp) != 0)
		return TD_EINVAL;
	if (cp >= 0xD800 && cp <= 0xDBFF && ps->end - ps->p >= 6 &&
	    ps->p[0] == '\\' && ps->p[1] == 'u') {
		const char *save = ps->p;

		ps->p += 2;
		if (hex4(ps, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
			put_utf8(b, 0x10000 + ((cp - 0xD800) << 10) +
			    (lo - 0xDC00));
			return 0;
		}
		ps->p = save;
	}
	put_utf8(b, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
	return 0;
}

static int
parse_string(struct pyj_parser *ps, struct buf *b)
{
	ps->p++;	/* the opening quote */
	while (ps->p < ps->end) {
		unsigned char c = (unsigned char)*ps->p++;

		if (c == '"')
			return 0;
		if (c < 0x20)
			return TD_EINVAL;	/* json.loads is strict */
		if (c != '\\') {
			buf_putc(b, (char)c);
			continue;
		}
		if (ps->p >= ps->end)
			return TD_EINVAL;
		switch (*ps->p++) {
		case '"':	buf_putc(b, '"'); break;
		case '\\':	buf_putc(b, '\\'); break;
		case '/':	buf_putc(b, '/'); break;
		case 'b':	buf_putc(b, '\b'); break;
		case 'f':	buf_putc(b, '\f'); break;
		case 'n':	buf_putc(b, '\n'); break;
		case 'r':	buf_putc(b, '\r'); break;
		case 't':	buf_putc(b, '\t'); break;
		case 'u':
			if (unicode_escape(ps, b) != 0)
				return TD_EINVAL;
			break;
		default:
			return TD_EINVAL;
		}
	}
	return TD_EINVAL;
}

static int
digits(struct pyj_parser *ps)
{
	const char *start = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	return ps->p > start;
}

static int
parse_number(struct pyj_parser *ps, struct pyj **out)
{
	const char *start = ps->p;
	int is_float = 0;
	char *tmp, *end;
	struct pyj *v;

	if (*ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (!digits(ps))
		return TD_EINVAL;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!digits(ps))
			return TD_EINVAL;
		is_float = 1;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!digits(ps))
			return TD_EINVAL;
		is_float = 1;
	}
	tmp = xstrndup(start, (size_t)(ps->p - start));
	if (is_float) {
		v = pyj_alloc(PYJ_FLOAT);
		v->f = strtod(tmp, &end);	/* overflow gives inf, as Python */
		free(tmp);
	} else {
		v = pyj_alloc(PYJ_INT);
		/* Python's int("-0") is 0. */
		if (strcmp(tmp, "-0") == 0)
			memmove(tmp, tmp + 1, 2);
		v->text = tmp;
		v->len = strlen(tmp);
	}
	*out = v;
	return 0;
}

static int parse_value(struct pyj_parser *ps, struct pyj **out);

static int
parse_list(struct pyj_parser *ps, struct pyj **out)
{
	struct pyj *list = pyj_new_list(), *item;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		*out = list;
		return 0;
	}
	for (;;) {
		if (parse_value(ps, &item) != 0)
			break;
		pyj_append(list, item);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			*out = list;
			return 0;
		}
		break;
	}
	pyj_free(list);
	return TD_EINVAL;
}

static int
parse_member(struct pyj_parser *ps, struct pyj *dict)
{
	struct buf key = { 0 };
	struct pyj *item;

	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '"' || parse_string(ps, &key) != 0)
		goto fail;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p++ != ':')
		goto fail;
	if (parse_value(ps, &item) != 0)
		goto fail;
	pyj_set(dict, key.data != NULL ? key.data : "", item);
	buf_free(&key);
	return 0;
fail:
	buf_free(&key);
	return TD_EINVAL;
}

static int
parse_dict(struct pyj_parser *ps, struct pyj **out)
{
	struct pyj *dict = pyj_new_dict();

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		*out = dict;
		return 0;
	}
	for (;;) {
		if (parse_member(ps, dict) != 0)
			break;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			*out = dict;
			return 0;
		}
		break;
	}
	pyj_free(dict);
	return TD_EINVAL;
}

static int
parse_value(struct pyj_parser *ps, struct pyj **out)
{
	struct buf s = { 0 };
	int rc = TD_EINVAL;

	skip_ws(ps);
	if (ps->p >= ps->end || ++ps->depth > PYJ_MAX_DEPTH)
		return TD_EINVAL;
	switch (*ps->p) {
	case '{':
		rc = parse_dict(ps, out);
		break;
	case '[':
		rc = parse_list(ps, out);
		break;
	case '"':
		if ((rc = parse_string(ps, &s)) == 0) {
			*out = pyj_alloc(PYJ_STR);
			(*out)->len = s.len;
			(*out)->text = s.data != NULL ? buf_steal(&s) :
			    xstrndup("", 0);
		}
		buf_free(&s);
		break;
	default:
		if (literal(ps, "true"))
			*out = pyj_new_bool(1), rc = 0;
		else if (literal(ps, "false"))
			*out = pyj_new_bool(0), rc = 0;
		else if (literal(ps, "null"))
			*out = pyj_new_null(), rc = 0;
		else if (literal(ps, "NaN"))
			*out = pyj_new_float(NAN), rc = 0;
		else if (literal(ps, "Infinity"))
			*out = pyj_new_float(INFINITY), rc = 0;
		else if (literal(ps, "-Infinity"))
			*out = pyj_new_float(-INFINITY), rc = 0;
		else if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			rc = parse_number(ps, out);
		break;
	}
	ps->depth--;
	return rc;
}

int
pyj_parse(const char *text, size_t len, struct pyj **out)
{
	struct pyj_parser ps = { text, text + len, 0 };
	struct pyj *v;

	if (parse_value(&ps, &v) != 0)
		return TD_EINVAL;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		pyj_free(v);
		return TD_EINVAL;
	}
	*out = v;
	return 0;
}

/* ---- printing ---- */

void
pyj_fmt_double(double f, char *out, size_t outlen)
{
	char tmp[40], digs[20], *p;
	int prec, exp10, nd = 0, decpt, i;
	size_t o = 0;

	if (isnan(f)) {
		snprintf(out, outlen, "nan");
		return;
	}
	if (isinf(f)) {
		snprintf(out, outlen, f < 0 ? "-inf" : "inf");
		return;
	}
	if (f == 0) {
		snprintf(out, outlen, signbit(f) ? "-0.0" : "0.0");
		return;
	}
	/* The shortest %e precision that reads back as the same double. */
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	for (p = tmp; *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digs[nd++] = *p;
	exp10 = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digs[nd - 1] == '0')
		nd--;
	decpt = exp10 + 1;	/* digits d1.d2... times 10^exp10 */
	if (f < 0 && o + 1 < outlen)
		out[o++] = '-';
	if (decpt <= -4 || decpt > 16) {
		/* Python's repr: 1e-05, 1.5e+16 */
		o += (size_t)snprintf(out + o, outlen - o, "%c", digs[0]);
		if (nd > 1)
			o += (size_t)snprintf(out + o, outlen - o, ".%.*s",
			    nd - 1, digs + 1);
		snprintf(out + o, outlen - o, "e%c%02d", exp10 < 0 ? '-' : '+',
		    exp10 < 0 ? -exp10 : exp10);
		return;
	}
	if (decpt <= 0) {
		o += (size_t)snprintf(out + o, outlen - o, "0.");
		for (i = decpt; i < 0 && o + 1 < outlen; i++)
			out[o++] = '0';
		snprintf(out + o, outlen - o, "%.*s", nd, digs);
		return;
	}
	for (i = 0; i < decpt && o + 1 < outlen; i++)
		out[o++] = i < nd ? digs[i] : '0';
	if (nd > decpt)
		snprintf(out + o, outlen - o, ".%.*s", nd - decpt, digs + decpt);
	else
		snprintf(out + o, outlen - o, ".0");
}

/* Decodes one UTF-8 character at s; invalid bytes decode as themselves. */
static size_t
utf8_next(const unsigned char *s, size_t n, unsigned int *cp)
{
	size_t len, i;

	if (s[0] < 0x80 || s[0] < 0xC2 || s[0] > 0xF4)
		len = 1;
	else if (s[0] < 0xE0)
		len = 2;
	else if (s[0] < 0xF0)
		len = 3;
	else
		len = 4;
	if (len == 1 || len > n) {
		*cp = s[0];
		return 1;
	}
	*cp = s[0] & (0x7F >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = s[0];
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	return len;
}

static void
dumps_str(const char *s, size_t n, struct buf *b)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int cp;
	size_t i = 0;

	buf_putc(b, '"');
	while (i < n) {
		i += utf8_next(p + i, n - i, &cp);
		switch (cp) {
		case '"':	buf_puts(b, "\\\""); continue;
		case '\\':	buf_puts(b, "\\\\"); continue;
		case '\n':	buf_puts(b, "\\n"); continue;
		case '\r':	buf_puts(b, "\\r"); continue;
		case '\t':	buf_puts(b, "\\t"); continue;
		case '\b':	buf_puts(b, "\\b"); continue;
		case '\f':	buf_puts(b, "\\f"); continue;
		}
		if (cp >= 0x20 && cp < 0x7F) {
			buf_putc(b, (char)cp);
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			buf_printf(b, "\\u%04x\\u%04x", 0xD800 + (cp >> 10),
			    0xDC00 + (cp & 0x3FF));
		} else {
			buf_printf(b, "\\u%04x", cp);
		}
	}
	buf_putc(b, '"');
}

static int
cmp_keys(const void *a, const void *b)
{
	const char *const *ka = a, *const *kb = b;

	return strcmp(*ka, *kb);
}

static void
dumps_dict(const struct pyj *v, struct buf *b)
{
	const char **keys = xcalloc(v->n ? v->n : 1, sizeof(*keys));
	size_t i;

	for (i = 0; i < v->n; i++)
		keys[i] = v->keys[i];
	qsort(keys, v->n, sizeof(*keys), cmp_keys);
	buf_putc(b, '{');
	for (i = 0; i < v->n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		dumps_str(keys[i], strlen(keys[i]), b);
		buf_putc(b, ':');
		pyj_dumps(pyj_get(v, keys[i]), b);
	}
	buf_putc(b, '}');
	free(keys);
}

void
pyj_dumps(const struct pyj *v, struct buf *b)
{
	char num[40];
	size_t i;

	switch (v->type) {
	case PYJ_NULL:
		buf_puts(b, "null");
		break;
	case PYJ_BOOL:
		buf_puts(b, v->b ? "true" : "false");
		break;
	case PYJ_INT:
		buf_append(b, v->text, v->len);
		break;
	case PYJ_FLOAT:
		if (isnan(v->f))
			buf_puts(b, "NaN");
		else if (isinf(v->f))
			buf_puts(b, v->f < 0 ? "-Infinity" : "Infinity");
		else {
			pyj_fmt_double(v->f, num, sizeof(num));
			buf_puts(b, num);
		}
		break;
	case PYJ_STR:
		dumps_str(v->text, v->len, b);
		break;
	case PYJ_LIST:
		buf_putc(b, '[');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_putc(b, ',');
			pyj_dumps(v->items[i], b);
		}
		buf_putc(b, ']');
		break;
	case PYJ_DICT:
		dumps_dict(v, b);
		break;
	}
}

/* Python's str.isprintable() for the characters JSON values carry, roughly. */
static int
py_printable(unsigned int cp)
{
	if (cp < 0x20 || cp == 0x7F)
		return 0;
	if (cp >= 0x80 && cp <= 0xA0)
		return 0;
	if (cp == 0xAD || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFEFF ||
	    (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x200B && cp <= 0x200F))
		return 0;
	return 1;
}

/* repr(str): single quotes unless the text has ' and no ". */
static void
repr_str(const char *s, size_t n, struct buf *b)
{
	const unsigned char *p = (const unsigned char *)s;
	char q = (memchr(s, '\'', n) != NULL && memchr(s, '"', n) == NULL) ?
	    '"' : '\'';
	unsigned int cp;
	size_t i = 0, k;

	buf_putc(b, q);
	while (i < n) {
		k = utf8_next(p + i, n - i, &cp);
		if (cp == (unsigned char)q || cp == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)cp);
		} else if (cp == '\n') {
			buf_puts(b, "\\n");
		} else if (cp == '\r') {
			buf_puts(b, "\\r");
		} else if (cp == '\t') {
			buf_puts(b, "\\t");
		} else if (!py_printable(cp)) {
			if (cp < 0x100)
				buf_printf(b, "\\x%02x", cp);
			else if (cp < 0x10000)
				buf_printf(b, "\\u%04x", cp);
			else
				buf_printf(b, "\\U%08x", cp);
		} else {
			buf_append(b, s + i, k);
		}
		i += k;
	}
	buf_putc(b, q);
}

static void
repr(const struct pyj *v, struct buf *b)
{
	size_t i;

	switch (v->type) {
	case PYJ_STR:
		repr_str(v->text, v->len, b);
		break;
	case PYJ_LIST:
		buf_putc(b, '[');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_puts(b, ", ");
			repr(v->items[i], b);
		}
		buf_putc(b, ']');
		break;
	case PYJ_DICT:
		buf_putc(b, '{');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_puts(b, ", ");
			repr_str(v->keys[i], strlen(v->keys[i]), b);
			buf_puts(b, ": ");
			repr(v->items[i], b);
		}
		buf_putc(b, '}');
		break;
	default:
		pyj_str(v, b);
		break;
	}
}

void
pyj_str(const struct pyj *v, struct buf *b)
{
	char num[40];

	switch (v->type) {
	case PYJ_NULL:
		buf_puts(b, "None");
		break;
	case PYJ_BOOL:
		buf_puts(b, v->b ? "True" : "False");
		break;
	case PYJ_INT:
	case PYJ_STR:
		buf_append(b, v->text, v->len);
		break;
	case PYJ_FLOAT:
		pyj_fmt_double(v->f, num, sizeof(num));
		buf_puts(b, num);
		break;
	case PYJ_LIST:
	case PYJ_DICT:
		repr(v, b);
		break;
	}
}

void
pyj_arg(const struct pyj *v, struct buf *b)
{
	const char **keys;
	size_t i;

	if (v->type == PYJ_NULL)
		return;
	if (v->type != PYJ_DICT) {
		pyj_str(v, b);
		return;
	}
	keys = xcalloc(v->n ? v->n : 1, sizeof(*keys));
	for (i = 0; i < v->n; i++)
		keys[i] = v->keys[i];
	qsort(keys, v->n, sizeof(*keys), cmp_keys);
	for (i = 0; i < v->n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_printf(b, "%s=", keys[i]);
		pyj_str(pyj_get(v, keys[i]), b);
	}
	free(keys);
}
