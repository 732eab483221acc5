/*
 * test_worker_pyjson.c - Python-compatible JSON: how the SageMaker
 * training toolkit sees a hyperparameter value (json.loads, then str() on
 * the command line and json.dumps() in SM_* variables). Expected strings
 * are what CPython 3 prints for the same input.
 */
#include "t.h"

#include "pyjson.h"

/* str(json.loads(text)), or "ERR" if it does not parse. */
static char *
py_str(const char *text, int arg)
{
	struct pyj *v;
	struct buf b = { 0 };

	if (pyj_parse(text, strlen(text), &v) != 0)
		return strdup("ERR");
	if (arg)
		pyj_arg(v, &b);
	else
		pyj_str(v, &b);
	buf_puts(&b, "");
	pyj_free(v);
	return buf_steal(&b);
}

static char *
py_dumps(const char *text)
{
	struct pyj *v;
	struct buf b = { 0 };

	if (pyj_parse(text, strlen(text), &v) != 0)
		return strdup("ERR");
	pyj_dumps(v, &b);
	pyj_free(v);
	return buf_steal(&b);
}

#define STR_IS(text, want) do { char *_s = py_str(text, 0);                \
	T_EQ_STR(_s, want); free(_s); } while (0)
#define ARG_IS(text, want) do { char *_s = py_str(text, 1);                \
	T_EQ_STR(_s, want); free(_s); } while (0)
#define DUMPS_IS(text, want) do { char *_s = py_dumps(text);               \
	T_EQ_STR(_s, want); free(_s); } while (0)

static void
t_scalars_as_str(void)
{
	STR_IS("\"abc\"", "abc");		/* the SDK's JSON-quoted strings */
	STR_IS("\"\\\"train.py\\\"\"", "\"train.py\"");
	STR_IS("0.1", "0.1");
	STR_IS("10", "10");
	STR_IS("-0", "0");
	STR_IS("12345678901234567890123", "12345678901234567890123");
	STR_IS("1.0", "1.0");
	STR_IS("1e3", "1000.0");
	STR_IS("1e-5", "1e-05");
	STR_IS("2.5E+20", "2.5e+20");
	STR_IS("true", "True");
	STR_IS("false", "False");
	STR_IS("null", "None");
	STR_IS("NaN", "nan");
	STR_IS("-Infinity", "-inf");
	STR_IS("  7  ", "7");
}

static void
t_containers_as_str(void)
{
	STR_IS("[1, \"a\", 2.50, true, null]", "[1, 'a', 2.5, True, None]");
	STR_IS("[\"it's\"]", "[\"it's\"]");
	STR_IS("[\"a\\\"b'c\"]", "['a\"b\\'c']");
	STR_IS("[\"tab\\there\\n\"]", "['tab\\there\\n']");
	STR_IS("{\"b\": 1, \"a\": [2]}", "{'b': 1, 'a': [2]}");
	STR_IS("[]", "[]");
	STR_IS("{}", "{}");
}

static void
t_command_line_rendering(void)
{
	/* mapping.to_cmd_args: None is empty, a dict is k=v sorted. */
	ARG_IS("null", "");
	ARG_IS("{\"z\": 1, \"a\": \"x\", \"m\": [1, 2]}", "a=x,m=[1, 2],z=1");
	ARG_IS("\"plain\"", "plain");
	ARG_IS("3", "3");
}

static void
t_dumps_compact_sorted_ascii(void)
{
	DUMPS_IS("{\"b\": 1, \"a\": [true, null, \"x\\u00e9\"]}",
	    "{\"a\":[true,null,\"x\\u00e9\"],\"b\":1}");
	DUMPS_IS("\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
	    "\"caf\\u00e9 \\ud83d\\ude00\"");
	DUMPS_IS("[0.1, 1e-7, 1E400, 3]", "[0.1,1e-07,Infinity,3]");
	DUMPS_IS("\"a\\/b\\u0001\"", "\"a/b\\u0001\"");
	/* Duplicate keys: first position, last value. */
	DUMPS_IS("{\"k\": 1, \"j\": 2, \"k\": 3}", "{\"j\":2,\"k\":3}");
}

static void
t_not_json(void)
{
	STR_IS("abc", "ERR");
	STR_IS("", "ERR");
	STR_IS("1 2", "ERR");
	STR_IS("01", "ERR");
	STR_IS("1.", "ERR");
	STR_IS(".5", "ERR");
	STR_IS("[1,]", "ERR");
	STR_IS("{\"a\" 1}", "ERR");
	STR_IS("{\"a\":1,}", "ERR");
	STR_IS("\"unterminated", "ERR");
	STR_IS("\"bad \\x escape\"", "ERR");
	STR_IS("\"ctl \x01 char\"", "ERR");
	STR_IS("'single'", "ERR");
	STR_IS("True", "ERR");
}

static void
t_depth_limit(void)
{
	char deep[256];

	memset(deep, '[', 200);
	deep[200] = '\0';
	STR_IS(deep, "ERR");
	memset(deep, '[', 10);
	memset(deep + 10, ']', 10);
	deep[20] = '\0';
	STR_IS(deep, "[[[[[[[[[[]]]]]]]]]]");
}

static void
t_float_repr(void)
{
	static const struct { double v; const char *want; } cases[] = {
		{ 0.1, "0.1" }, { 1.0 / 3, "0.3333333333333333" },
		{ 1e16, "1e+16" }, { 1e15, "1000000000000000.0" },
		{ 123456.789, "123456.789" }, { 0.0001, "0.0001" },
		{ 0.00001, "1e-05" }, { -2.5, "-2.5" }, { 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 0.0, "0.0" }, { -0.0, "-0.0" }, { 100.0, "100.0" },
		{ 1.5e-7, "1.5e-07" },
	};
	char out[40];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pyj_fmt_double(cases[i].v, out, sizeof(out));
		T_EQ_STR(out, cases[i].want);
	}
}

static void
t_build_and_get(void)
{
	struct pyj *d = pyj_new_dict(), *l = pyj_new_list();
	struct buf b = { 0 };

	pyj_append(l, pyj_new_int(-3));
	pyj_append(l, pyj_new_float(0.5));
	pyj_set(d, "list", l);
	pyj_set(d, "s", pyj_new_str("x"));
	pyj_set(d, "s", pyj_new_bool(1));	/* replaces */
	T_ASSERT(pyj_get(d, "s")->type == PYJ_BOOL);
	T_ASSERT(pyj_get(d, "missing") == NULL);
	T_ASSERT(pyj_get(l, "list") == NULL);	/* not a dict */
	pyj_dumps(d, &b);
	T_EQ_STR(b.data, "{\"list\":[-3,0.5],\"s\":true}");
	buf_free(&b);
	pyj_free(d);
	pyj_free(NULL);
}

T_MAIN(T_CASE(t_scalars_as_str), T_CASE(t_containers_as_str),
    T_CASE(t_command_line_rendering), T_CASE(t_dumps_compact_sorted_ascii),
    T_CASE(t_not_json), T_CASE(t_depth_limit), T_CASE(t_float_repr),
    T_CASE(t_build_and_get))
