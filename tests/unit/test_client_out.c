/*
 * test_client_out.c - client/out.c: numbers, durations, tables in the
 * three formats, sorting, sparklines.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "t.h"

/* What out_table_print writes, as a malloc'd string. */
static char *
printed(const struct out_table *t, enum out_fmt fmt)
{
	FILE *f = tmpfile();
	char *s;
	long n;

	T_ASSERT(f != NULL);
	out_table_print(t, fmt, f);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	T_ASSERT(fread(s, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	return s;
}

static void
t_num(void)
{
	char b[64];
	double third = 1.0 / 3.0;

	out_num(12.3, b, sizeof(b));
	T_EQ_STR(b, "12.3");
	out_num(100, b, sizeof(b));
	T_EQ_STR(b, "100");
	out_num(1e-5, b, sizeof(b));
	T_EQ_STR(b, "1e-05");
	out_num(-0.5, b, sizeof(b));
	T_EQ_STR(b, "-0.5");
	/* Whatever the digits, the text must read back as the same double. */
	out_num(third, b, sizeof(b));
	T_ASSERT(strtod(b, NULL) == third);
	out_num(0.1 + 0.2, b, sizeof(b));
	T_ASSERT(strtod(b, NULL) == 0.1 + 0.2);
	out_num(NAN, b, sizeof(b));
	T_EQ_STR(b, "NaN");
}

static void
t_duration(void)
{
	char b[32];

	out_duration(4.2, b, sizeof(b));
	T_EQ_STR(b, "4.2s");
	out_duration(192, b, sizeof(b));
	T_EQ_STR(b, "3m12s");
	out_duration(7500, b, sizeof(b));
	T_EQ_STR(b, "2h05m");
	out_duration(NAN, b, sizeof(b));
	T_EQ_STR(b, "-");
	out_duration(-1, b, sizeof(b));
	T_EQ_STR(b, "-");
}

static struct out_table *
sample(void)
{
	static const char *const cols[] = { "name", "value", "note" };
	struct out_table *t = out_table_new(cols, 3);
	size_t r;

	r = out_table_add_row(t);
	out_set_str(t, r, 0, "a");
	out_set_num(t, r, 1, 1.5, CELL_NUM);
	out_set_str(t, r, 2, "has, comma");
	r = out_table_add_row(t);
	out_set_str(t, r, 0, "bbbb");
	out_set_num(t, r, 1, NAN, CELL_NUM);
	out_set_str(t, r, 2, "say \"hi\"");
	return t;
}

static void
t_text(void)
{
	struct out_table *t = sample();
	char *s = printed(t, OUT_TABLE);

	/* Columns padded to the widest cell; numbers right-aligned; null as "-". */
	T_EQ_STR(s, "name  value  note\n"
	    "a       1.5  has, comma\n"
	    "bbbb  -      say \"hi\"\n");
	free(s);
	out_table_free(t);
}

static void
t_csv(void)
{
	struct out_table *t = sample();
	char *s = printed(t, OUT_CSV);

	T_EQ_STR(s, "name,value,note\r\n"
	    "a,1.5,\"has, comma\"\r\n"
	    "bbbb,,\"say \"\"hi\"\"\"\r\n");
	free(s);
	out_table_free(t);
}

static void
t_json(void)
{
	struct out_table *t = sample();
	char *s = printed(t, OUT_JSON);
	cJSON *j = cJSON_Parse(s), *r0, *r1;

	T_ASSERT(cJSON_IsArray(j));
	T_EQ_INT(cJSON_GetArraySize(j), 2);
	r0 = cJSON_GetArrayItem(j, 0);
	r1 = cJSON_GetArrayItem(j, 1);
	T_ASSERT(cJSON_IsNumber(cJSON_GetObjectItem(r0, "value")));
	T_NEAR(cJSON_GetObjectItem(r0, "value")->valuedouble, 1.5, 0);
	T_ASSERT(cJSON_IsNull(cJSON_GetObjectItem(r1, "value")));
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "note")),
	    "say \"hi\"");
	/* Two-space indentation, no tabs. */
	T_ASSERT(strchr(s, '\t') == NULL);
	cJSON_Delete(j);
	free(s);
	out_table_free(t);
}

static void
t_time_cells(void)
{
	static const char *const cols[] = { "t" };
	struct out_table *t = out_table_new(cols, 1);
	char *s;

	out_set_num(t, out_table_add_row(t), 0, 1700000000.0, CELL_TIME);
	s = printed(t, OUT_CSV);
	T_EQ_STR(s, "t\r\n2023-11-14T22:13:20Z\r\n");
	free(s);
	s = printed(t, OUT_JSON);
	T_ASSERT(strstr(s, "1700000000") != NULL);
	free(s);
	out_table_free(t);
}

static void
t_sort(void)
{
	static const char *const cols[] = { "id", "v", "s" };
	static const double v[] = { 3, NAN, 1, 2, 1 };
	static const char *const s[] = { "10", "9", "x", "100", NULL };
	struct out_table *t = out_table_new(cols, 3);
	char id[8];
	size_t i, r;

	for (i = 0; i < 5; i++) {
		r = out_table_add_row(t);
		snprintf(id, sizeof(id), "r%zu", i);
		out_set_str(t, r, 0, id);
		out_set_num(t, r, 1, v[i], CELL_NUM);
		out_set_str(t, r, 2, s[i]);
	}
	out_table_sort(t, 1, 0);
	/* Ascending, stable among equals (r2 before r4), null last. */
	T_EQ_STR(out_cell_at(t, 0, 0)->s, "r2");
	T_EQ_STR(out_cell_at(t, 1, 0)->s, "r4");
	T_EQ_STR(out_cell_at(t, 2, 0)->s, "r3");
	T_EQ_STR(out_cell_at(t, 3, 0)->s, "r0");
	T_EQ_STR(out_cell_at(t, 4, 0)->s, "r1");
	out_table_sort(t, 1, 1);
	/* Descending keeps null last too. */
	T_EQ_STR(out_cell_at(t, 0, 0)->s, "r0");
	T_EQ_STR(out_cell_at(t, 4, 0)->s, "r1");
	/* Text that holds numbers sorts as numbers: 9 < 10 < 100, then text. */
	out_table_sort(t, 2, 0);
	T_EQ_STR(out_cell_at(t, 0, 2)->s, "9");
	T_EQ_STR(out_cell_at(t, 1, 2)->s, "10");
	T_EQ_STR(out_cell_at(t, 2, 2)->s, "100");
	T_EQ_STR(out_cell_at(t, 3, 2)->s, "x");
	T_ASSERT(out_cell_at(t, 4, 2)->kind == CELL_NULL);
	out_table_free(t);
}

static void
t_add_col(void)
{
	static const char *const cols[] = { "a" };
	struct out_table *t = out_table_new(cols, 1);
	size_t r, k, i;

	for (i = 0; i < 40; i++) {
		r = out_table_add_row(t);
		out_set_num(t, r, 0, (double)i, CELL_NUM);
	}
	k = out_table_add_col(t, "b");
	T_EQ_INT(k, 1);
	T_EQ_INT(out_table_col(t, "b"), 1);
	T_EQ_INT(out_table_col(t, "zzz"), -1);
	for (i = 0; i < 40; i++) {
		T_NEAR(out_cell_at(t, i, 0)->num, (double)i, 0);
		T_ASSERT(out_cell_at(t, i, 1)->kind == CELL_NULL);
	}
	r = out_table_add_row(t);
	out_set_str(t, r, 1, "new");
	T_EQ_STR(out_cell_at(t, 40, 1)->s, "new");
	out_table_free(t);
	out_table_free(NULL);
}

static void
t_sparkline(void)
{
	static const double up[] = { 1, 2, 3, 4 }, flat[] = { 5, 5 };
	static const double holes[] = { 1, NAN, 3 };
	struct buf b = {0};

	out_sparkline(up, 4, 40, 0, &b);
	T_EQ_STR(b.data, "\u2581\u2583\u2586\u2588");
	buf_reset(&b);
	/* For a minimised objective, lower is drawn taller. */
	out_sparkline(up, 4, 40, 1, &b);
	T_EQ_STR(b.data, "\u2588\u2586\u2583\u2581");
	buf_reset(&b);
	/* Only the last width values are drawn. */
	out_sparkline(up, 4, 2, 0, &b);
	T_EQ_STR(b.data, "\u2581\u2588");
	buf_reset(&b);
	out_sparkline(flat, 2, 40, 0, &b);
	T_EQ_STR(b.data, "\u2585\u2585");
	buf_reset(&b);
	out_sparkline(holes, 3, 40, 0, &b);
	T_EQ_STR(b.data, "\u2581 \u2588");
	buf_free(&b);
}

/* out_json: every number reads back as the same double. */
static void
t_json_doc(void)
{
	static const double v[] = { 0.1234567890123456789, 1.0 / 3.0,
	    1700000000.0, -0.5, 1e300, 2.5e-20, 123456789012345678.0 };
	cJSON *arr = cJSON_CreateArray(), *back;
	FILE *f = tmpfile();
	char s[1024];
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber(v[i]));
	T_ASSERT(f != NULL);
	out_json(arr, f);
	n = (size_t)ftell(f);
	rewind(f);
	T_ASSERT(n < sizeof(s) && fread(s, 1, n, f) == n);
	s[n] = '\0';
	fclose(f);
	T_ASSERT(strstr(s, "1700000000") != NULL);	/* no exponent */
	back = cJSON_Parse(s);
	T_ASSERT(cJSON_GetArraySize(back) == (int)(sizeof(v) / sizeof(v[0])));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		T_ASSERT(cJSON_GetArrayItem(back, (int)i)->valuedouble == v[i]);
	cJSON_Delete(back);
	cJSON_Delete(arr);
}

T_MAIN(T_CASE(t_num), T_CASE(t_duration), T_CASE(t_text), T_CASE(t_csv),
    T_CASE(t_json), T_CASE(t_time_cells), T_CASE(t_sort), T_CASE(t_add_col),
    T_CASE(t_sparkline), T_CASE(t_json_doc))
