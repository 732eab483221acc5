/*
 * schema.c - strict validation of JSON against the shape tables, request
 * body parsing, and the cache of compiled patterns.
 *
 * Owns: the process-wide pattern cache (a mutex-protected list of compiled
 * PCRE2 codes, keyed by the pattern string's address in the const tables,
 * never freed) and nothing else. Never allocates or changes a shape.
 * Invariants: a validation walks each JSON value once; container sizes are
 * checked before their elements, so a huge array past its limit costs one
 * count; a structure with more children than members must hold an unknown
 * or repeated member, which bounds the duplicate check.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcre2.h>

#include "buf.h"
#include "err.h"
#include "schema.h"

#define PATH_MAX_LEN	512
#define VALUE_SHOW_MAX	64
#define MATCH_LIMIT	1000000u

/* --- patterns --------------------------------------------------------- */

struct re_entry {
	const char		*pattern;
	pcre2_code		*code;		/* NULL: does not compile */
	struct re_entry		*next;
};

static pthread_mutex_t re_lock = PTHREAD_MUTEX_INITIALIZER;
static struct re_entry *re_head;
static pcre2_match_context *re_mctx;

/* Compiles "^(?:pattern)\z" so every pattern is a full match. */
static pcre2_code *
re_compile(const char *pattern)
{
	struct buf b = { 0 };
	pcre2_code *code;
	int errcode;
	PCRE2_SIZE erroff;

	buf_printf(&b, "^(?:%s)\\z", pattern);
	code = pcre2_compile((PCRE2_SPTR)b.data, b.len, PCRE2_UTF, &errcode,
	    &erroff, NULL);
	buf_free(&b);
	return code;
}

/* The cached entry for pattern, compiling it on first use. */
static struct re_entry *
re_get(const char *pattern)
{
	struct re_entry *r;

	pthread_mutex_lock(&re_lock);
	/* Patterns come from the const tables: the address is the usual key. */
	for (r = re_head; r != NULL; r = r->next)
		if (r->pattern == pattern)
			break;
	for (r = r != NULL ? r : re_head; r != NULL; r = r->next)
		if (strcmp(r->pattern, pattern) == 0)
			break;
	if (r == NULL && (r = calloc(1, sizeof(*r))) != NULL) {
		r->pattern = pattern;
		r->code = re_compile(pattern);
		r->next = re_head;
		re_head = r;
	}
	if (re_mctx == NULL && (re_mctx = pcre2_match_context_create(NULL)) != NULL)
		pcre2_set_match_limit(re_mctx, MATCH_LIMIT);
	pthread_mutex_unlock(&re_lock);
	return r;
}

int
proto_match(const char *pattern, const char *s)
{
	struct re_entry *r = re_get(pattern);
	pcre2_match_data *md;
	int rc;

	if (r == NULL || r->code == NULL)
		return TD_EINVAL;
	if ((md = pcre2_match_data_create_from_pattern(r->code, NULL)) == NULL)
		return TD_EINVAL;
	/* Invalid UTF-8 and a hit match limit both count as "no match". */
	rc = pcre2_match(r->code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, re_mctx);
	pcre2_match_data_free(md);
	return rc >= 0 ? 1 : 0;
}

/* --- UTF-8 ------------------------------------------------------------ */

/* Code points in s, or -1 when s is not valid UTF-8. */
static long
utf8_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	while (*p != '\0') {
		size_t len, i;
		unsigned int cp;

		if (p[0] < 0x80)
			len = 1, cp = p[0];
		else if (p[0] >= 0xc2 && p[0] <= 0xdf)
			len = 2, cp = p[0] & 0x1f;
		else if (p[0] >= 0xe0 && p[0] <= 0xef)
			len = 3, cp = p[0] & 0x0f;
		else if (p[0] >= 0xf0 && p[0] <= 0xf4)
			len = 4, cp = p[0] & 0x07;
		else
			return -1;
		for (i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return -1;
		p += len;
		n++;
	}
	return n;
}

/* --- validation context ----------------------------------------------- */

struct vctx {
	struct buf	 msg;		/* "; "-separated problems, the first few */
	int		 n;		/* problems found */
	char		 path[PATH_MAX_LEN];
	size_t		 plen;
};

static size_t
path_push(struct vctx *c, const char *fmt, const char *s, size_t idx)
{
	size_t old = c->plen, room = sizeof(c->path) - c->plen;
	int n;

	if (fmt == NULL)
		n = snprintf(c->path + c->plen, room, "[%zu]", idx);
	else
		n = snprintf(c->path + c->plen, room, fmt, s);
	if (n < 0 || (size_t)n >= room)
		c->plen = sizeof(c->path) - 1;
	else
		c->plen += (size_t)n;
	return old;
}

static void
path_pop(struct vctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* Appends a short rendering of v ("'abc'", "12", "null", "{...}"). */
static void
show_value(struct buf *b, const cJSON *v)
{
	if (v == NULL || cJSON_IsNull(v)) {
		buf_puts(b, "null");
	} else if (cJSON_IsString(v)) {
		size_t n = strlen(v->valuestring);

		buf_putc(b, '\'');
		if (n > VALUE_SHOW_MAX) {
			buf_append(b, v->valuestring, VALUE_SHOW_MAX);
			buf_puts(b, "...");
		} else {
			buf_append(b, v->valuestring, n);
		}
		buf_putc(b, '\'');
	} else if (cJSON_IsNumber(v)) {
		buf_printf(b, "%.17g", v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsArray(v)) {
		buf_puts(b, "[...]");
	} else {
		buf_puts(b, "{...}");
	}
}

/* Records "Value <v> at '<path>' failed to satisfy constraint: <what>". */
static void
fail(struct vctx *c, const cJSON *v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct vctx *c, const cJSON *v, const char *fmt, ...)
{
	va_list ap;

	if (++c->n > PROTO_MAX_ERRORS)
		return;
	if (c->msg.len > 0)
		buf_puts(&c->msg, "; ");
	buf_puts(&c->msg, "Value ");
	show_value(&c->msg, v);
	buf_printf(&c->msg, " at '%s' failed to satisfy constraint: ",
	    c->plen > 0 ? c->path : "(request)");
	va_start(ap, fmt);
	buf_vprintf(&c->msg, fmt, ap);
	va_end(ap);
}

/* Appends "[A, B, C]" of an enum for messages. */
static void
enum_list(struct buf *b, const char *const *en)
{
	size_t i;

	buf_putc(b, '[');
	for (i = 0; en[i] != NULL; i++)
		buf_printf(b, "%s%s", i ? ", " : "", en[i]);
	buf_putc(b, ']');
}

static void validate(struct vctx *c, const struct proto_shape *s,
    const cJSON *v);

/* --- scalars ---------------------------------------------------------- */

/* Checks a string value; who is "Member" or "Map keys". */
static void
check_string(struct vctx *c, const struct proto_shape *s, const cJSON *v,
    const char *str, const char *who)
{
	long len = utf8_len(str);
	size_t i;

	if (len < 0) {
		fail(c, v, "%s must be valid UTF-8", who);
		return;
	}
	if (s->enums != NULL) {
		for (i = 0; s->enums[i] != NULL; i++)
			if (strcmp(s->enums[i], str) == 0)
				return;
		{
			struct buf b = { 0 };

			enum_list(&b, s->enums);
			fail(c, v, "%s must satisfy enum value set: %s", who, b.data);
			buf_free(&b);
		}
		return;
	}
	if ((s->flags & PROTO_HAS_MIN) && (double)len < s->min) {
		fail(c, v, "%s must have length greater than or equal to %.0f",
		    who, s->min);
		return;
	}
	if ((s->flags & PROTO_HAS_MAX) && (double)len > s->max) {
		fail(c, v, "%s must have length less than or equal to %.0f",
		    who, s->max);
		return;
	}
	if (s->pattern != NULL && proto_match(s->pattern, str) != 1)
		fail(c, v, "%s must satisfy regular expression pattern: %s",
		    who, s->pattern);
}

static void
check_number(struct vctx *c, const struct proto_shape *s, const cJSON *v)
{
	double d = v->valuedouble;

	if (!isfinite(d)) {
		fail(c, v, "Member must be a finite number");
		return;
	}
	if (s->kind == PROTO_INTEGER &&
	    (d != floor(d) || d < -2147483648.0 || d > 2147483647.0)) {
		fail(c, v, "Member must be a 32-bit integer");
		return;
	}
	if (s->kind == PROTO_LONG &&
	    (d != floor(d) || d < -9223372036854775808.0 ||
	    d >= 9223372036854775808.0)) {
		fail(c, v, "Member must be a 64-bit integer");
		return;
	}
	if ((s->flags & PROTO_HAS_MIN) && d < s->min)
		fail(c, v, "Member must have value greater than or equal to %.17g",
		    s->min);
	else if ((s->flags & PROTO_HAS_MAX) && d > s->max)
		fail(c, v, "Member must have value less than or equal to %.17g",
		    s->max);
}

/* --- aggregates ------------------------------------------------------- */

static int
count_children(const cJSON *v)
{
	const cJSON *x;
	int n = 0;

	for (x = v->child; x != NULL; x = x->next)
		n++;
	return n;
}

static int
check_size(struct vctx *c, const struct proto_shape *s, const cJSON *v)
{
	int n = count_children(v);

	if ((s->flags & PROTO_HAS_MIN) && (double)n < s->min) {
		fail(c, v, "Member must have length greater than or equal to %.0f",
		    s->min);
		return -1;
	}
	if ((s->flags & PROTO_HAS_MAX) && (double)n > s->max) {
		fail(c, v, "Member must have length less than or equal to %.0f",
		    s->max);
		return -1;
	}
	return n;
}

/* Position of the first child whose key repeats an earlier one, or NULL. */
static const cJSON *
find_duplicate_small(const cJSON *v)
{
	const cJSON *a, *b;

	for (a = v->child; a != NULL; a = a->next)
		for (b = v->child; b != a; b = b->next)
			if (strcmp(a->string, b->string) == 0)
				return a;
	return NULL;
}

static int
cmp_key(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static const cJSON *
find_duplicate(const cJSON *v, int n)
{
	const cJSON **v_sorted, *x, *dup = NULL;
	int i = 0;

	if (n <= 32)
		return find_duplicate_small(v);
	if ((v_sorted = calloc((size_t)n, sizeof(*v_sorted))) == NULL)
		return NULL;
	for (x = v->child; x != NULL; x = x->next)
		v_sorted[i++] = x;
	qsort(v_sorted, (size_t)n, sizeof(*v_sorted), cmp_key);
	for (i = 1; i < n && dup == NULL; i++)
		if (strcmp(v_sorted[i - 1]->string, v_sorted[i]->string) == 0)
			dup = v_sorted[i];
	free(v_sorted);
	return dup;
}

static void
validate_structure(struct vctx *c, const struct proto_shape *s,
    const cJSON *v)
{
	const cJSON *x;
	size_t i, old;
	int n_set = 0, n = 0;

	for (x = v->child; x != NULL; x = x->next, n++) {
		const struct proto_member *m = proto_member_find(s, x->string);

		old = path_push(c, c->plen ? ".%s" : "%s", x->string, 0);
		if (m == NULL)
			fail(c, x, "Member is not part of %s", s->name);
		else if (!cJSON_IsNull(x))
			n_set++;
		path_pop(c, old);
	}
	if ((x = find_duplicate(v, n)) != NULL) {
		old = path_push(c, c->plen ? ".%s" : "%s", x->string, 0);
		fail(c, x, "Member must appear only once");
		path_pop(c, old);
		return;
	}
	for (i = 0; i < s->n_members; i++) {
		const struct proto_member *m = &s->members[i];

		x = cJSON_GetObjectItemCaseSensitive(v, m->name);
		old = path_push(c, c->plen ? ".%s" : "%s", m->name, 0);
		if (x == NULL || cJSON_IsNull(x)) {
			if (m->flags & PROTO_REQUIRED)
				fail(c, NULL, "Member must not be null");
		} else {
			validate(c, m->shape, x);
		}
		path_pop(c, old);
	}
	if ((s->flags & PROTO_UNION) && n_set != 1)
		fail(c, v, "Exactly one member of %s must be set", s->name);
}

static void
validate_list(struct vctx *c, const struct proto_shape *s, const cJSON *v)
{
	const cJSON *x;
	size_t i = 0, old;

	if (check_size(c, s, v) < 0)
		return;
	for (x = v->child; x != NULL; x = x->next, i++) {
		old = path_push(c, NULL, NULL, i);
		validate(c, s->item, x);
		path_pop(c, old);
	}
}

static void
validate_map(struct vctx *c, const struct proto_shape *s, const cJSON *v)
{
	const cJSON *x;
	size_t old;
	int n;

	if ((n = check_size(c, s, v)) < 0)
		return;
	if ((x = find_duplicate(v, n)) != NULL) {
		old = path_push(c, ".%s", x->string, 0);
		fail(c, x, "Map keys must be unique");
		path_pop(c, old);
		return;
	}
	for (x = v->child; x != NULL; x = x->next) {
		cJSON key = { 0 };

		key.type = cJSON_String;
		key.valuestring = x->string;
		if (s->key != NULL)
			check_string(c, s->key, &key, x->string, "Map keys");
		old = path_push(c, ".%s", x->string, 0);
		validate(c, s->item, x);
		path_pop(c, old);
	}
}

/* --- dispatch --------------------------------------------------------- */

static const char *
json_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsArray(v))
		return "a list";
	if (cJSON_IsObject(v))
		return "an object";
	return "null";
}

static void
validate(struct vctx *c, const struct proto_shape *s, const cJSON *v)
{
	double t;

	switch (s->kind) {
	case PROTO_STRING:
		if (!cJSON_IsString(v))
			break;
		check_string(c, s, v, v->valuestring, "Member");
		return;
	case PROTO_INTEGER:
	case PROTO_LONG:
	case PROTO_DOUBLE:
		if (!cJSON_IsNumber(v))
			break;
		check_number(c, s, v);
		return;
	case PROTO_BOOLEAN:
		if (!cJSON_IsBool(v))
			break;
		return;
	case PROTO_TIMESTAMP:
		if (proto_timestamp(v, &t) != 0)
			fail(c, v, "Member must be a timestamp (epoch seconds "
			    "or ISO-8601)");
		return;
	case PROTO_STRUCTURE:
		if (!cJSON_IsObject(v))
			break;
		validate_structure(c, s, v);
		return;
	case PROTO_LIST:
		if (!cJSON_IsArray(v))
			break;
		validate_list(c, s, v);
		return;
	case PROTO_MAP:
		if (!cJSON_IsObject(v))
			break;
		validate_map(c, s, v);
		return;
	}
	fail(c, v, "Member must be %s %s, not %s",
	    s->kind == PROTO_INTEGER ? "an" : "a", proto_kind_name(s->kind),
	    json_type(v));
}

int
proto_validate(const struct proto_shape *s, const cJSON *v, struct apierr *e)
{
	struct vctx c;

	memset(&c, 0, sizeof(c));
	validate(&c, s, v);
	if (c.n == 0) {
		buf_free(&c.msg);
		return 0;
	}
	apierr_set(e, APIERR_VALIDATION, "%d validation error%s detected: %s%s",
	    c.n, c.n == 1 ? "" : "s", c.msg.data,
	    c.n > PROTO_MAX_ERRORS ? "; ..." : "");
	buf_free(&c.msg);
	return TD_EINVAL;
}

/* --- parsing ---------------------------------------------------------- */

static int
all_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

/*
 * Offset of a NUL in body, raw or as the escape \u0000, or -1. cJSON would
 * cut a string there ("ok\u0000/../x" would become "ok"): a request is
 * refused rather than read as something the client did not send.
 */
static long
find_nul(const char *body, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (body[i] == '\0')
			return (long)i;
		if (body[i] != '\\' || i + 1 >= len)
			continue;
		if (body[i + 1] == 'u' && i + 5 < len &&
		    strncmp(body + i + 2, "0000", 4) == 0)
			return (long)i;
		i++;	/* skip the escaped character */
	}
	return -1;
}

int
proto_parse(const char *body, size_t len, cJSON **out, struct apierr *e)
{
	const char *end = NULL;
	cJSON *v;
	long nul;

	*out = NULL;
	if (body != NULL && (nul = find_nul(body, len)) >= 0)
		return apierr_set(e, APIERR_SERIALIZATION, "Request body holds a "
		    "NUL character (at byte %ld); strings may not contain one",
		    nul);
	if (body == NULL || all_space(body, body + len)) {
		*out = cJSON_CreateObject();
		return *out != NULL ? 0 : apierr_set(e, APIERR_INTERNAL,
		    "out of memory");
	}
	v = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (v == NULL) {
		size_t off = end != NULL && end >= body ? (size_t)(end - body) : 0;

		return apierr_set(e, APIERR_SERIALIZATION,
		    "Request body is not valid JSON (near byte %zu)", off);
	}
	if (!cJSON_IsObject(v)) {
		cJSON_Delete(v);
		return apierr_set(e, APIERR_SERIALIZATION,
		    "Request body must be a JSON object");
	}
	if (end == NULL || !all_space(end, body + len)) {
		cJSON_Delete(v);
		return apierr_set(e, APIERR_SERIALIZATION,
		    "Unexpected bytes after the JSON object (at byte %zu)",
		    end != NULL ? (size_t)(end - body) : len);
	}
	*out = v;
	return 0;
}

/* --- small public helpers --------------------------------------------- */

const struct proto_member *
proto_member_find(const struct proto_shape *s, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < s->n_members; i++)
		if (strcmp(s->members[i].name, name) == 0)
			return &s->members[i];
	return NULL;
}

/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)". */
static int
parse_iso8601(const char *s, double *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0, oh = 0, om = 0, sign = 0;
	double frac = 0.0;
	const char *p;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
	    &n) != 6 || n != 19)
		return TD_EINVAL;
	p = s + n;
	if (*p == '.') {
		double scale = 0.1;

		if (p[1] < '0' || p[1] > '9')
			return TD_EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (*p == 'Z' && p[1] == '\0') {
		sign = 0;
	} else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &oh,
	    &om, &n) == 2 && n == 5 && p[6] == '\0') {
		sign = *p == '+' ? 1 : -1;
	} else {
		return TD_EINVAL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59 || y < 1970)
		return TD_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*out = (double)t + frac - sign * (oh * 3600.0 + om * 60.0);
	return 0;
}

int
proto_timestamp(const cJSON *v, double *out)
{
	if (cJSON_IsNumber(v)) {
		if (!isfinite(v->valuedouble))
			return TD_EINVAL;
		*out = v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v))
		return parse_iso8601(v->valuestring, out);
	return TD_EINVAL;
}

const char *
proto_kind_name(enum proto_kind k)
{
	switch (k) {
	case PROTO_STRING:	return "string";
	case PROTO_INTEGER:	return "integer";
	case PROTO_LONG:	return "long";
	case PROTO_DOUBLE:	return "double";
	case PROTO_BOOLEAN:	return "boolean";
	case PROTO_TIMESTAMP:	return "timestamp";
	case PROTO_STRUCTURE:	return "structure";
	case PROTO_LIST:	return "list";
	case PROTO_MAP:		return "map";
	}
	return "?";
}
