/*
 * jsonw.c - the direct JSON writer (see jsonw.h for the contract).
 *
 * Owns number and string formatting for answers written without cJSON,
 * and the light lexer that copies stored JSON text. Never allocates
 * beyond the caller's buf, never touches the store or HTTP.
 *
 * Invariants: every write leaves the buf NUL-terminated (buf.h's
 * invariant); jsonw_fmt_num() equals cJSON 1.7.15's print_number() for
 * every double (the fast path below is exact integer arithmetic and
 * leaves values outside its range to printf; tests/unit/test_jsonw.c
 * compares the two on about two million values).
 */
#include <assert.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jsonw.h"

/* ---- numbers --------------------------------------------------------- */

/* cJSON's compare_double(): equal within DBL_EPSILON of the larger. */
static int
cjson_close(double a, double b)
{
	double max = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

	return fabs(a - b) <= max * DBL_EPSILON;
}

/* cJSON's print_number() for a non-int finite value, with printf. */
static size_t
fmt_slow(char *out, double d)
{
	int n = snprintf(out, JSONW_NUM_MAX, "%1.15g", d);

	if (!cjson_close(strtod(out, NULL), d))
		n = snprintf(out, JSONW_NUM_MAX, "%1.17g", d);
	return n > 0 ? (size_t)n : 0;
}

static size_t
fmt_ll(char *out, long long v)
{
	char tmp[24];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;
	size_t n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		out[i++] = '-';
	while (n > 0)
		out[i++] = tmp[--n];
	out[i] = '\0';
	return i;
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

static const double p10d[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14,
};
static const uint64_t p10u[] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL,
};

static u128
p10w(int p)
{
	return p <= 19 ? (u128)p10u[p] : (u128)p10u[19] * p10u[p - 19];
}

/* How far the printed decimal is from d, in units of d's ulp. */
enum { DIST_NEAR, DIST_MID, DIST_FAR };	/* < 0.4, in between, > 4 */

/*
 * "%1.<prec>g" of a normal d with 1e-4 <= |d| < 1e15 (glibc's "f" style
 * there) without printf, exactly: |d| = m * 2^-k with m < 2^53, so
 * N = round(m * 10^p / 2^k) is integer arithmetic in 128 bits (m * 10^p
 * < 2^120), ties to even as glibc rounds them. Returns the length, or 0
 * when d is outside that range (the caller then uses printf); *dist gets
 * the distance class of N / 10^p from d.
 */
static size_t
fmt_fixed(char *out, double d, int prec, int *dist)
{
	uint64_t bits, m, N = 0;
	u128 t, q = 0, r = 0, half, R;
	double a = fabs(d);
	int k, X, p = 0, tries, nd, i, bexp;
	char dig[20];
	size_t o = 0;

	memcpy(&bits, &d, sizeof(bits));
	bexp = (int)((bits >> 52) & 0x7ff);
	if (bexp == 0 || bexp == 0x7ff)
		return 0;
	m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
	k = 1075 - bexp;
	if (k <= 0 || k >= 120)
		return 0;
	if (a >= 1) {
		for (X = 14; X > 0 && a < p10d[X]; X--)
			;
	} else
		X = a >= 0.1 ? -1 : a >= 0.01 ? -2 : a >= 0.001 ? -3 : -4;
	half = (u128)1 << (k - 1);
	for (tries = 0; tries < 3; tries++) {
		if (X < -4 || X > 14)
			return 0;
		p = prec - 1 - X;
		t = (u128)m * p10w(p);
		q = t >> k;
		r = t - (q << k);
		N = (uint64_t)q + (r > half || (r == half && (q & 1)));
		if (N >= p10u[prec])
			X++;
		else if (N < p10u[prec - 1])
			X--;
		else
			break;
	}
	if (tries == 3)
		return 0;
	R = (u128)N > q ? ((u128)1 << k) - r : r;
	*dist = 5 * R < 2 * p10w(p) ? DIST_NEAR : R > 4 * p10w(p) ?
	    DIST_FAR : DIST_MID;
	for (i = prec - 1; i >= 0; i--, N /= 10)
		dig[i] = (char)('0' + N % 10);
	for (nd = prec; nd > 1 && dig[nd - 1] == '0'; nd--)
		;
	if (d < 0)
		out[o++] = '-';
	if (X >= 0) {
		memcpy(out + o, dig, (size_t)X + 1);
		o += (size_t)X + 1;
		if (nd > X + 1) {
			out[o++] = '.';
			memcpy(out + o, dig + X + 1, (size_t)(nd - X - 1));
			o += (size_t)(nd - X - 1);
		}
	} else {
		out[o++] = '0';
		out[o++] = '.';
		for (i = 0; i < -X - 1; i++)
			out[o++] = '0';
		memcpy(out + o, dig, (size_t)nd);
		o += (size_t)nd;
	}
	out[o] = '\0';
	return o;
}

/*
 * cJSON keeps the 15-digit form when it reads back within its tolerance:
 * surely so when the decimal is within 0.4 ulp of d (it reads back as d or
 * a neighbour half an ulp away), surely not beyond 4 ulps; in between,
 * read it back as cJSON does.
 */
static size_t
fmt_fast(char *out, double d)
{
	int dist;
	size_t n;

	if ((n = fmt_fixed(out, d, 15, &dist)) == 0)
		return fmt_slow(out, d);
	if (dist == DIST_NEAR)
		return n;
	if (dist == DIST_MID && cjson_close(strtod(out, NULL), d))
		return n;
	if ((n = fmt_fixed(out, d, 17, &dist)) == 0)
		n = (size_t)snprintf(out, JSONW_NUM_MAX, "%1.17g", d);
	return n;
}
#else
static size_t
fmt_fast(char *out, double d)
{
	return fmt_slow(out, d);
}
#endif

size_t
jsonw_fmt_num(char out[JSONW_NUM_MAX], double d)
{
	double a = fabs(d);
	int vi;

	if (isnan(d) || isinf(d)) {
		memcpy(out, "null", 5);
		return 4;
	}
	/* An int prints as "%1.15g" prints it (-0.0 included). */
	vi = d >= INT_MAX ? INT_MAX : d <= (double)INT_MIN ? INT_MIN : (int)d;
	if (d == (double)vi && (vi != 0 || !signbit(d)))
		return fmt_ll(out, vi);
	if (a >= 1e-4 && a < 1e15)
		return fmt_fast(out, d);
	return fmt_slow(out, d);
}

/* ---- strings --------------------------------------------------------- */

void
jsonw_buf_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, k;
	char esc[8];

	buf_putc(b, '"');
	while (i < n) {
		/* The longest run that needs no escape goes in one copy. */
		for (run = i; run < n; ) {
			if (p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' &&
			    p[run] != '\\')
				run++;
			else if (p[run] >= 0x80 && (k = buf_utf8_seq(p + run,
			    n - run)) > 0)
				run += k;
			else
				break;
		}
		if (run > i)
			buf_append(b, p + i, run - i);
		if ((i = run) == n)
			break;
		esc[0] = '\\';
		esc[2] = '\0';
		switch (p[i]) {
		case '"':  esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			if (p[i] < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[p[i] >> 4];
				esc[5] = hex[p[i] & 15];
				esc[6] = '\0';
			} else
				memcpy(esc, "\\ufffd", 7);
		}
		buf_puts(b, esc);
		i++;
	}
	buf_putc(b, '"');
}

/* ---- the writer ------------------------------------------------------ */

void
jsonw_init(struct jsonw *w, struct buf *b)
{
	w->b = b;
	w->depth = 0;
	w->more = 0;
}

/* The comma and the key before a value. */
static void
member(struct jsonw *w, const char *key)
{
	uint64_t bit = (uint64_t)1 << w->depth;

	if (w->depth > 0) {
		if (w->more & bit)
			buf_putc(w->b, ',');
		w->more |= bit;
	}
	if (key != NULL) {
		size_t n = strlen(key);

		buf_reserve(w->b, n + 3);
		w->b->data[w->b->len++] = '"';
		memcpy(w->b->data + w->b->len, key, n);
		w->b->len += n;
		w->b->data[w->b->len++] = '"';
		w->b->data[w->b->len++] = ':';
		w->b->data[w->b->len] = '\0';
	}
}

static void
container_open(struct jsonw *w, const char *key, char c)
{
	member(w, key);
	buf_putc(w->b, c);
	assert(w->depth < JSONW_MAX_DEPTH);
	w->depth++;
	w->more &= ~((uint64_t)1 << w->depth);
}

static void
container_close(struct jsonw *w, char c)
{
	assert(w->depth > 0);
	w->depth--;
	buf_putc(w->b, c);
}

void
jsonw_obj_open(struct jsonw *w, const char *key)
{
	container_open(w, key, '{');
}

void
jsonw_obj_close(struct jsonw *w)
{
	container_close(w, '}');
}

void
jsonw_arr_open(struct jsonw *w, const char *key)
{
	container_open(w, key, '[');
}

void
jsonw_arr_close(struct jsonw *w)
{
	container_close(w, ']');
}

void
jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n)
{
	member(w, key);
	jsonw_buf_str(w->b, s, n);
}

void
jsonw_str(struct jsonw *w, const char *key, const char *s)
{
	jsonw_strn(w, key, s, strlen(s));
}

void
jsonw_num(struct jsonw *w, const char *key, double d)
{
	char tmp[JSONW_NUM_MAX];
	size_t n = jsonw_fmt_num(tmp, d);

	member(w, key);
	buf_append(w->b, tmp, n);
}

void
jsonw_int(struct jsonw *w, const char *key, long long v)
{
	char tmp[24];
	size_t n = fmt_ll(tmp, v);

	member(w, key);
	buf_append(w->b, tmp, n);
}

void
jsonw_bool(struct jsonw *w, const char *key, int v)
{
	member(w, key);
	buf_puts(w->b, v ? "true" : "false");
}

void
jsonw_raw(struct jsonw *w, const char *key, const char *json, size_t n)
{
	member(w, key);
	buf_append(w->b, json, n);
}

/* ---- stored JSON ----------------------------------------------------- */

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return i;
}

/* The end of the string literal starting at s[i] == '"', or 0. */
static size_t
str_end(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '"')
			return i + 1;
		if (s[i] == '\\')
			i++;
		else if ((unsigned char)s[i] < 0x20)
			return 0;
	}
	return 0;
}

static int
is_num_char(char c)
{
	return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' ||
	    c == 'e' || c == 'E';
}

/* Copies the number token s[0..n) as cJSON would print it; -1 if bad. */
static int
canon_number(struct buf *out, const char *s, size_t n)
{
	char tmp[64], num[JSONW_NUM_MAX], *end;
	size_t i, k;
	double d;

	/* A plain int of up to 9 digits is already cJSON's "%d". */
	if (n <= 9 && (s[0] != '0' || n == 1)) {
		for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == n) {
			if (out != NULL)
				buf_append(out, s, n);
			return 0;
		}
	}
	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	d = strtod(tmp, &end);
	if (end != tmp + n)
		return -1;
	if (out != NULL) {
		k = jsonw_fmt_num(num, d);
		buf_append(out, num, k);
	}
	return 0;
}

/*
 * Reads one JSON value at s[*pos] (after whitespace) and, when out is not
 * NULL, appends it compactly with canonical numbers; *pos ends after it.
 * Brackets must balance and strings end; the order of tokens inside
 * containers is not checked (stored text is ours; cJSON printed it).
 */
static int
lex_value(const char *s, size_t n, size_t *pos, struct buf *out)
{
	char stack[JSONW_MAX_DEPTH];
	int depth = 0;
	size_t i = *pos, j;

	for (;;) {
		if ((i = skip_ws(s, n, i)) >= n)
			return -1;
		switch (s[i]) {
		case '{': case '[':
			if (depth == JSONW_MAX_DEPTH)
				return -1;
			stack[depth++] = s[i] == '{' ? '}' : ']';
			j = i + 1;
			break;
		case '}': case ']':
			if (depth == 0 || stack[depth - 1] != s[i])
				return -1;
			depth--;
			j = i + 1;
			break;
		case ',': case ':':
			if (depth == 0)
				return -1;
			j = i + 1;
			break;
		case '"':
			if ((j = str_end(s, n, i)) == 0)
				return -1;
			break;
		case 't':
			j = i + 4;
			if (j > n || memcmp(s + i, "true", 4) != 0)
				return -1;
			break;
		case 'f':
			j = i + 5;
			if (j > n || memcmp(s + i, "false", 5) != 0)
				return -1;
			break;
		case 'n':
			j = i + 4;
			if (j > n || memcmp(s + i, "null", 4) != 0)
				return -1;
			break;
		default:
			if (s[i] != '-' && (s[i] < '0' || s[i] > '9'))
				return -1;
			for (j = i + 1; j < n && is_num_char(s[j]); j++)
				;
			if (canon_number(out, s + i, j - i) != 0)
				return -1;
			i = j;
			if (depth == 0)
				goto done;
			continue;
		}
		if (out != NULL)
			buf_append(out, s + i, j - i);
		i = j;
		if (depth == 0)
			break;
	}
done:
	*pos = i;
	return 0;
}

int
jsonw_canon(struct jsonw *w, const char *key, const char *json, size_t n)
{
	size_t start = w->b->len, pos = 0;
	uint64_t more = w->more;

	member(w, key);
	if (lex_value(json, n, &pos, w->b) != 0 ||
	    skip_ws(json, n, pos) != n) {
		w->more = more;
		w->b->len = start;
		if (w->b->data != NULL)
			w->b->data[start] = '\0';
		return TD_EINVAL;
	}
	return 0;
}

int
jsonw_members(const char *json, size_t n, struct jsonw_member *m, int max)
{
	size_t i = skip_ws(json, n, 0), j;
	int count = 0;

	if (i >= n || json[i] != '{')
		return TD_EINVAL;
	if ((i = skip_ws(json, n, i + 1)) < n && json[i] == '}')
		return skip_ws(json, n, i + 1) == n ? 0 : TD_EINVAL;
	for (;;) {
		if (i >= n || json[i] != '"' || (j = str_end(json, n, i)) == 0 ||
		    count == max)
			return TD_EINVAL;
		m[count].key = json + i + 1;
		m[count].key_len = j - i - 2;
		if ((i = skip_ws(json, n, j)) >= n || json[i] != ':')
			return TD_EINVAL;
		i = skip_ws(json, n, i + 1);
		j = i;
		if (lex_value(json, n, &j, NULL) != 0)
			return TD_EINVAL;
		m[count].val = json + i;
		m[count].val_len = j - i;
		count++;
		if ((i = skip_ws(json, n, j)) >= n)
			return TD_EINVAL;
		if (json[i] == '}')
			break;
		if (json[i] != ',')
			return TD_EINVAL;
		i = skip_ws(json, n, i + 1);
	}
	return skip_ws(json, n, i + 1) == n ? count : TD_EINVAL;
}
