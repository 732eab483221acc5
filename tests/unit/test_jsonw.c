/*
 * test_jsonw.c - daemon/jsonw.c against cJSON itself: every number must
 * print byte-for-byte as cJSON_PrintUnformatted() prints it, strings as
 * cJSON escapes them (valid UTF-8) or with U+FFFD (invalid), and stored
 * JSON copied by jsonw_canon() must equal cJSON's parse + print.
 */
#include <float.h>
#include <limits.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "daemon/jsonw.h"
#include "t.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* cJSON's bytes for a number (the oracle). */
static void
cjson_num(double d, char *out, size_t len)
{
	cJSON *n = cJSON_CreateNumber(d);
	char *s = cJSON_PrintUnformatted(n);

	snprintf(out, len, "%s", s);
	cJSON_free(s);
	cJSON_Delete(n);
}

static void
check_num(double d)
{
	char want[64], got[JSONW_NUM_MAX];
	size_t n;

	cjson_num(d, want, sizeof(want));
	n = jsonw_fmt_num(got, d);
	if (strcmp(got, want) != 0 || n != strlen(want))
		T_FAIL("%a (%.17g): jsonw \"%s\", cJSON \"%s\"", d, d, got, want);
}

static void
t_num_special(void)
{
	static const double v[] = {
		0, -0.0, 1, -1, 0.5, 0.1, 0.2, 0.1 + 0.2, 1.0 / 3, 2.0 / 3,
		100, 86400, 1e-4, 9.99999999999999e-5, 1e-5, 1e15, 1e15 - 1,
		999999999999999.9, 1e16, 1e17, 1e21, 1e300, 5e-324, DBL_MIN,
		DBL_MAX, -DBL_MAX, INT_MAX, INT_MIN, (double)INT_MAX + 1,
		(double)INT_MIN - 1, 2147483647.5, 4294967296.0,
		1764172800.0, 1764172800.5, 1764172800.123456789,
		1764172800.1234567, 1764172800.12346, 0.30000000000000004,
		123456789012345.6, 12345678901234.56, 0.000123456789012345678,
		9.5, 0.95, 0.995, 99.995, 0.0001, 0.00010000000000000001,
		1.5e-4, 2.675, 1.005, 9007199254740993.0, 4.35, 0.07,
		123456789012345.5, 123456789012344.5, 12345678.123456785,
		0.000244140625, 1.00000000000000005, 99999999999999.99,
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		check_num(v[i]);
		check_num(-v[i]);
	}
	T_EQ_INT(jsonw_fmt_num((char[JSONW_NUM_MAX]){ 0 }, NAN), 4);
	check_num(NAN);
	check_num(INFINITY);
	check_num(-INFINITY);
}

/* Every bit pattern: all exponents, subnormals, NaNs. */
static void
t_num_random_bits(void)
{
	int i;

	for (i = 0; i < 300000; i++) {
		uint64_t u = rnd();
		double d;

		memcpy(&d, &u, sizeof(d));
		check_num(d);
	}
}

/* The values answers carry: timestamps, metric values, short decimals. */
static void
t_num_typical(void)
{
	char s[64];
	int i;

	for (i = 0; i < 300000; i++) {
		double base = 1.6e9 + (double)(rnd() % 400000000);
		double ns = (double)(rnd() % 1000000000) / 1e9;
		double us = (double)(rnd() % 1000000) / 1e6;

		check_num(base + ns);
		check_num(base + us);
		check_num((double)(rnd() % 100000) / 1000.0);
		snprintf(s, sizeof(s), "%.*g", (int)(rnd() % 17) + 1,
		    (double)(rnd() >> 11) / 9007199254740992.0 *
		    pow(10, (double)(rnd() % 24) - 6));
		check_num(strtod(s, NULL));
		/* Dyadic values: exact decimal ties at 15 or 17 digits. */
		check_num((double)(rnd() % 1000000000000ULL) /
		    (double)(1ULL << (rnd() % 40)));
		/* Next to a decimal: the ambiguous band of the 15-digit test. */
		check_num(nextafter(strtod(s, NULL), 1e300));
		check_num(nextafter(strtod(s, NULL), -1e300));
	}
}

static void
check_str(const char *s, size_t n, const char *want)
{
	struct buf b = { 0 };

	jsonw_buf_str(&b, s, n);
	if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
		T_FAIL("string: got %s, want %s", b.data, want);
	buf_free(&b);
}

/* Valid UTF-8: the very bytes cJSON prints. */
static void
t_str_like_cjson(void)
{
	static const char *const v[] = {
		"", "plain", "quote\" back\\slash /", "\b\f\n\r\t", "\x01\x1f\x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "tab\tin",
		"\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cJSON *c = cJSON_CreateString(v[i]);
		char *want = cJSON_PrintUnformatted(c);

		check_str(v[i], strlen(v[i]), want);
		cJSON_free(want);
		cJSON_Delete(c);
	}
	check_str("a\0b", 3, "\"a\\u0000b\"");
}

/* Invalid UTF-8: one U+FFFD per bad byte; the output always decodes. */
static void
t_str_invalid_utf8(void)
{
	check_str("\xff", 1, "\"\\ufffd\"");
	check_str("a\xc3", 2, "\"a\\ufffd\"");			/* truncated */
	check_str("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");		/* overlong */
	check_str("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	check_str("\xf4\x90\x80\x80", 4,
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");			/* > U+10FFFF */
	check_str("\xe2\x82x", 3, "\"\\ufffd\\ufffdx\"");
}

static void
t_writer_shapes(void)
{
	struct buf b = { 0 };
	struct jsonw w;

	jsonw_init(&w, &b);
	jsonw_obj_open(&w, NULL);
	jsonw_str(&w, "a", "x");
	jsonw_arr_open(&w, "l");
	jsonw_int(&w, NULL, -12);
	jsonw_obj_open(&w, NULL);
	jsonw_obj_close(&w);
	jsonw_arr_open(&w, NULL);
	jsonw_arr_close(&w);
	jsonw_num(&w, NULL, 0.25);
	jsonw_arr_close(&w);
	jsonw_bool(&w, "t", 1);
	jsonw_bool(&w, "f", 0);
	jsonw_raw(&w, "r", "null", 4);
	jsonw_obj_open(&w, "o");
	jsonw_num(&w, "n", NAN);
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	T_EQ_STR(b.data, "{\"a\":\"x\",\"l\":[-12,{},[],0.25],\"t\":true,"
	    "\"f\":false,\"r\":null,\"o\":{\"n\":null}}");
	T_EQ_INT(w.depth, 0);
	buf_free(&b);
}

/* jsonw_canon(text) must equal cJSON_PrintUnformatted(cJSON_Parse(text)). */
static void
check_canon(const char *text)
{
	cJSON *c = cJSON_Parse(text);
	char *want = cJSON_PrintUnformatted(c);
	struct buf b = { 0 };
	struct jsonw w;

	T_ASSERT(want != NULL);
	jsonw_init(&w, &b);
	if (jsonw_canon(&w, NULL, text, strlen(text)) != 0)
		T_FAIL("canon refused %s", text);
	if (strcmp(b.data, want) != 0)
		T_FAIL("canon %s: got %s, want %s", text, b.data, want);
	cJSON_free(want);
	cJSON_Delete(c);
	buf_free(&b);
}

static void
t_canon_like_cjson(void)
{
	check_canon("[]");
	check_canon("{}");
	check_canon(" [ 1 , 2.50 , -0 , 1e2 , 1E-2, 007 ] ");
	check_canon("[{\"Status\":\"Pending\",\"StartTime\":1764172800.0,"
	    "\"StatusMessage\":\"Waiting for a free slot\"}]");
	check_canon("[{\"Status\":\"Pending\",\"StartTime\":1764172800.1234567}]");
	check_canon("{\"a\":[true,false,null],\"b\":{\"c\":\"q\\\"\\\\\"}}");
	check_canon("{\"x\":1e400,\"y\":-1e400,\"z\":0.30000000000000004}");
	check_canon("{\"MetricName\":\"val_loss\",\"Value\":0.123456789,"
	    "\"Timestamp\":1764172801.5}");
	check_canon("\"just a string\"");
	check_canon("3.25");
	check_canon("{\"u\":\"caf\xc3\xa9\"}");
}

static void
t_canon_refuses(void)
{
	static const char *const bad[] = {
		"", "   ", "[", "]", "[1", "{\"a\":1", "[1]]", "[1] 2", "\"open",
		"tru", "nul", "[+1]", "[1-2]", "[0x10]", "[\"a\x01\"]", "@",
		"[1] x", "{\"a\":1}}",
	};
	struct buf b = { 0 };
	struct jsonw w;
	size_t i;
	char deep[200];

	buf_puts(&b, "keep");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jsonw_init(&w, &b);
		if (jsonw_canon(&w, "k", bad[i], strlen(bad[i])) != TD_EINVAL)
			T_FAIL("canon accepted \"%s\"", bad[i]);
		T_EQ_STR(b.data, "keep");
	}
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	jsonw_init(&w, &b);
	T_EQ_INT(jsonw_canon(&w, NULL, deep, sizeof(deep)), TD_EINVAL);
	T_EQ_STR(b.data, "keep");
	buf_free(&b);
}

static void
t_members(void)
{
	static const char text[] = " {\"A\":1,\"B\":{\"x\":[1,2]},\"C\":\"s,}\"} ";
	struct jsonw_member m[4];

	T_EQ_INT(jsonw_members(text, strlen(text), m, 4), 3);
	T_ASSERT(m[0].key_len == 1 && m[0].key[0] == 'A');
	T_ASSERT(m[1].val_len == 11 && memcmp(m[1].val, "{\"x\":[1,2]}", 11) == 0);
	T_ASSERT(m[2].val_len == 5 && memcmp(m[2].val, "\"s,}\"", 5) == 0);
	T_EQ_INT(jsonw_members(text, strlen(text), m, 2), TD_EINVAL);
	T_EQ_INT(jsonw_members("{}", 2, m, 4), 0);
	T_EQ_INT(jsonw_members("[]", 2, m, 4), TD_EINVAL);
	T_EQ_INT(jsonw_members("{\"a\"}", 5, m, 4), TD_EINVAL);
	T_EQ_INT(jsonw_members("{\"a\":}", 6, m, 4), TD_EINVAL);
	T_EQ_INT(jsonw_members("{\"a\":1,}", 8, m, 4), TD_EINVAL);
	T_EQ_INT(jsonw_members("{\"a\":1} x", 9, m, 4), TD_EINVAL);
	T_EQ_INT(jsonw_members("{1:2}", 5, m, 4), TD_EINVAL);
}

T_MAIN(
	T_CASE(t_num_special),
	T_CASE(t_num_random_bits),
	T_CASE(t_num_typical),
	T_CASE(t_str_like_cjson),
	T_CASE(t_str_invalid_utf8),
	T_CASE(t_writer_shapes),
	T_CASE(t_canon_like_cjson),
	T_CASE(t_canon_refuses),
	T_CASE(t_members),
)
