/*
 * out.c - every way tuner writes results: tables (aligned text, RFC 4180
 * CSV, JSON records), numbers, durations, times, JSON and sparklines.
 *
 * Owns struct out_table; never talks to tunerd. Invariants: a table has
 * rows * ncols cells; a CELL_STR cell owns its string; other kinds own
 * nothing. Times are epoch seconds; text forms are chosen at print time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util.h"

static void *
out_xalloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL) {
		fprintf(stderr, "tuner: out of memory\n");
		exit(CLI_FAIL);
	}
	return p;
}

static char *
out_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(out_xalloc(NULL, n), s, n);
}

struct out_table *
out_table_new(const char *const *cols, size_t ncols)
{
	struct out_table *t = out_xalloc(NULL, sizeof(*t));
	size_t i;

	memset(t, 0, sizeof(*t));
	t->cols = out_xalloc(NULL, (ncols + 1) * sizeof(*t->cols));
	for (i = 0; i < ncols; i++)
		t->cols[i] = out_xstrdup(cols[i]);
	t->ncols = ncols;
	return t;
}

void
out_table_free(struct out_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i].s);
	for (i = 0; i < t->ncols; i++)
		free(t->cols[i]);
	free(t->cols);
	free(t->cells);
	free(t);
}

void
out_table_kv(struct out_table *t, const char *k, const char *v)
{
	size_t r;

	if (v == NULL)
		return;
	r = out_table_add_row(t);
	out_set_str(t, r, 0, k);
	out_set_str(t, r, 1, v);
}

size_t
out_table_add_row(struct out_table *t)
{
	size_t i;

	if (t->rows + 1 > t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = out_xalloc(t->cells,
		    t->cap * (t->ncols ? t->ncols : 1) * sizeof(*t->cells));
	}
	for (i = 0; i < t->ncols; i++) {
		t->cells[t->rows * t->ncols + i].kind = CELL_NULL;
		t->cells[t->rows * t->ncols + i].s = NULL;
		t->cells[t->rows * t->ncols + i].num = 0;
	}
	return t->rows++;
}

size_t
out_table_add_col(struct out_table *t, const char *name)
{
	size_t nc = t->ncols + 1, r, i;
	struct out_cell *cells;

	cells = out_xalloc(NULL, (t->cap ? t->cap : 1) * nc * sizeof(*cells));
	for (r = 0; r < t->rows; r++) {
		for (i = 0; i < t->ncols; i++)
			cells[r * nc + i] = t->cells[r * t->ncols + i];
		memset(&cells[r * nc + t->ncols], 0, sizeof(*cells));
		cells[r * nc + t->ncols].kind = CELL_NULL;
	}
	free(t->cells);
	t->cells = cells;
	t->cols = out_xalloc(t->cols, (nc + 1) * sizeof(*t->cols));
	t->cols[t->ncols] = out_xstrdup(name);
	t->ncols = nc;
	return nc - 1;
}

long
out_table_col(const struct out_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], name) == 0)
			return (long)i;
	return -1;
}

struct out_cell *
out_cell_at(struct out_table *t, size_t row, size_t col)
{
	return &t->cells[row * t->ncols + col];
}

void
out_set_str(struct out_table *t, size_t row, size_t col, const char *s)
{
	struct out_cell *c = out_cell_at(t, row, col);

	free(c->s);
	c->s = NULL;
	c->kind = CELL_NULL;
	if (s != NULL) {
		c->kind = CELL_STR;
		c->s = out_xstrdup(s);
	}
}

void
out_set_num(struct out_table *t, size_t row, size_t col, double v,
    enum out_kind kind)
{
	struct out_cell *c = out_cell_at(t, row, col);

	free(c->s);
	c->s = NULL;
	c->kind = isnan(v) ? CELL_NULL : kind;
	c->num = v;
}

void
out_set_json(struct out_table *t, size_t row, size_t col, const cJSON *v,
    enum out_kind kind)
{
	if (cJSON_IsString(v))
		out_set_str(t, row, col, v->valuestring);
	else if (cJSON_IsNumber(v))
		out_set_num(t, row, col, v->valuedouble, kind);
	else if (cJSON_IsBool(v))
		out_set_str(t, row, col, cJSON_IsTrue(v) ? "true" : "false");
	else
		out_set_num(t, row, col, NAN, CELL_NULL);
}

void
out_num(double v, char *out, size_t len)
{
	int prec;

	if (isnan(v)) {
		snprintf(out, len, "NaN");
		return;
	}
	/* The shortest %g form that reads back as the same double. */
	for (prec = 6; prec <= 17; prec++) {
		snprintf(out, len, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

void
out_duration(double s, char *out, size_t len)
{
	long t;

	if (isnan(s) || s < 0)
		snprintf(out, len, "-");
	else if (s < 0.1)
		snprintf(out, len, "%.3fs", s);
	else if (s < 60)
		snprintf(out, len, "%.1fs", s);
	else if ((t = (long)(s + 0.5)) < 3600)
		snprintf(out, len, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(out, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

void
out_local_time(double t, char *out, size_t len)
{
	time_t sec = (time_t)t;
	struct tm tm;

	localtime_r(&sec, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

void
out_cell_text(const struct out_cell *c, enum out_fmt fmt, struct buf *b)
{
	char tmp[64];

	switch (c->kind) {
	case CELL_STR:
		buf_puts(b, c->s);
		break;
	case CELL_NUM:
		/* A person reads six digits; files get every digit. */
		if (fmt == OUT_TABLE && c->num == floor(c->num) &&
		    fabs(c->num) < 1e15)
			snprintf(tmp, sizeof(tmp), "%.0f", c->num);
		else if (fmt == OUT_TABLE)
			snprintf(tmp, sizeof(tmp), "%.6g", c->num);
		else
			out_num(c->num, tmp, sizeof(tmp));
		buf_puts(b, tmp);
		break;
	case CELL_SECS:
		if (fmt == OUT_TABLE)
			out_duration(c->num, tmp, sizeof(tmp));
		else
			out_num(c->num, tmp, sizeof(tmp));
		buf_puts(b, tmp);
		break;
	case CELL_TIME:
		if (fmt == OUT_TABLE)
			out_local_time(c->num, tmp, sizeof(tmp));
		else
			td_fmt_time(c->num, tmp, sizeof(tmp));
		buf_puts(b, tmp);
		break;
	case CELL_NULL:
		if (fmt == OUT_TABLE)
			buf_puts(b, "-");
		break;
	}
}

/* Display width of UTF-8 text: one column per code point. */
static size_t
out_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static int
out_is_numeric(const struct out_cell *c)
{
	return c->kind == CELL_NUM || c->kind == CELL_SECS;
}

static void
out_print_text(const struct out_table *t, FILE *f)
{
	size_t *w = out_xalloc(NULL, (t->ncols + 1) * sizeof(*w));
	struct buf b = {0};
	size_t r, i, cw;

	for (i = 0; i < t->ncols; i++)
		w[i] = out_width(t->cols[i]);
	for (r = 0; r < t->rows; r++) {
		for (i = 0; i < t->ncols; i++) {
			buf_reset(&b);
			out_cell_text(&t->cells[r * t->ncols + i], OUT_TABLE, &b);
			if ((cw = out_width(b.data ? b.data : "")) > w[i])
				w[i] = cw;
		}
	}
	for (i = 0; i < t->ncols; i++)
		fprintf(f, "%s%-*s", i ? "  " : "",
		    i + 1 < t->ncols ? (int)w[i] : 0, t->cols[i]);
	fputc('\n', f);
	for (r = 0; r < t->rows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const struct out_cell *c = &t->cells[r * t->ncols + i];
			const char *s;

			buf_reset(&b);
			out_cell_text(c, OUT_TABLE, &b);
			s = b.data ? b.data : "";
			cw = out_width(s);
			if (i)
				fputs("  ", f);
			/* Numbers line up right, except in a last column. */
			if (out_is_numeric(c) && i + 1 < t->ncols)
				fprintf(f, "%*s%s", (int)(w[i] - cw), "", s);
			else if (i + 1 < t->ncols)
				fprintf(f, "%s%*s", s, (int)(w[i] - cw), "");
			else
				fputs(s, f);
		}
		fputc('\n', f);
	}
	buf_free(&b);
	free(w);
}

static void
out_csv_field(const char *s, FILE *f)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
out_print_csv(const struct out_table *t, FILE *f)
{
	struct buf b = {0};
	size_t r, i;

	for (i = 0; i < t->ncols; i++) {
		if (i)
			fputc(',', f);
		out_csv_field(t->cols[i], f);
	}
	fputs("\r\n", f);
	for (r = 0; r < t->rows; r++) {
		for (i = 0; i < t->ncols; i++) {
			buf_reset(&b);
			out_cell_text(&t->cells[r * t->ncols + i], OUT_CSV, &b);
			if (i)
				fputc(',', f);
			out_csv_field(b.data ? b.data : "", f);
		}
		fputs("\r\n", f);
	}
	buf_free(&b);
}

static void
out_print_json(const struct out_table *t, FILE *f)
{
	cJSON *arr = cJSON_CreateArray(), *obj;
	size_t r, i;

	for (r = 0; r < t->rows; r++) {
		obj = cJSON_CreateObject();
		for (i = 0; i < t->ncols; i++) {
			const struct out_cell *c = &t->cells[r * t->ncols + i];

			if (c->kind == CELL_STR)
				cJSON_AddStringToObject(obj, t->cols[i], c->s);
			else if (c->kind == CELL_NULL)
				cJSON_AddNullToObject(obj, t->cols[i]);
			else
				cJSON_AddNumberToObject(obj, t->cols[i], c->num);
		}
		cJSON_AddItemToArray(arr, obj);
	}
	out_json(arr, f);
	cJSON_Delete(arr);
}

void
out_table_print(const struct out_table *t, enum out_fmt fmt, FILE *f)
{
	if (fmt == OUT_CSV)
		out_print_csv(t, f);
	else if (fmt == OUT_JSON)
		out_print_json(t, f);
	else
		out_print_text(t, f);
}

/* Sorting with qsort needs the table and column; rows are sorted as indices. */
struct out_sort_ctx {
	const struct out_table	*t;
	size_t			 col;
	int			 desc;
};

static int
out_cmp_cells(const struct out_cell *a, const struct out_cell *b, int desc)
{
	int r;

	if (a->kind == CELL_NULL || b->kind == CELL_NULL)
		return (a->kind == CELL_NULL) - (b->kind == CELL_NULL);
	if (a->kind != CELL_STR && b->kind != CELL_STR)
		r = (a->num > b->num) - (a->num < b->num);
	else if (a->kind == CELL_STR && b->kind == CELL_STR) {
		double x, y;

		/* Numbers kept as text (hyperparameters) sort as numbers. */
		if (td_parse_double(a->s, &x) == 0 &&
		    td_parse_double(b->s, &y) == 0)
			r = (x > y) - (x < y);
		else
			r = strcmp(a->s, b->s);
	} else
		r = a->kind == CELL_STR ? 1 : -1;
	return desc ? -r : r;
}

void
out_table_sort(struct out_table *t, size_t col, int descending)
{
	struct out_cell *tmp;
	size_t i, j, n = t->ncols;

	/* Insertion sort: stable, and tables here hold at most thousands of rows. */
	tmp = out_xalloc(NULL, n * sizeof(*tmp));
	for (i = 1; i < t->rows; i++) {
		memcpy(tmp, &t->cells[i * n], n * sizeof(*tmp));
		for (j = i; j > 0 && out_cmp_cells(&t->cells[(j - 1) * n + col],
		    &tmp[col], descending) > 0; j--)
			memcpy(&t->cells[j * n], &t->cells[(j - 1) * n],
			    n * sizeof(*tmp));
		memcpy(&t->cells[j * n], tmp, n * sizeof(*tmp));
	}
	free(tmp);
}

/* Pretty JSON with two-space indentation (cJSON_Print uses tabs). */
static void
out_json_value(const cJSON *v, int depth, struct buf *b)
{
	const cJSON *c;
	char *s;
	int obj = cJSON_IsObject(v);

	if ((!obj && !cJSON_IsArray(v)) || v->child == NULL) {
		if (obj || cJSON_IsArray(v)) {
			buf_puts(b, obj ? "{}" : "[]");
			return;
		}
		/*
		 * cJSON prints 15 digits; a number here reads back exactly,
		 * and a whole one (a count, a timestamp) has no exponent.
		 */
		if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
			char num[32];

			if (v->valuedouble == trunc(v->valuedouble) &&
			    fabs(v->valuedouble) < 1e17)
				snprintf(num, sizeof(num), "%.0f", v->valuedouble);
			else
				out_num(v->valuedouble, num, sizeof(num));
			buf_puts(b, num);
			return;
		}
		s = cJSON_PrintUnformatted(v);
		buf_puts(b, s != NULL ? s : "null");
		cJSON_free(s);
		return;
	}
	buf_puts(b, obj ? "{\n" : "[\n");
	for (c = v->child; c != NULL; c = c->next) {
		buf_printf(b, "%*s", (depth + 1) * 2, "");
		if (obj) {
			buf_json_str(b, c->string, strlen(c->string));
			buf_puts(b, ": ");
		}
		out_json_value(c, depth + 1, b);
		buf_puts(b, c->next != NULL ? ",\n" : "\n");
	}
	buf_printf(b, "%*s%c", depth * 2, "", obj ? '}' : ']');
}

void
out_json(const cJSON *v, FILE *f)
{
	struct buf b = {0};

	out_json_value(v, 0, &b);
	buf_putc(&b, '\n');
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
}

void
out_sparkline(const double *v, size_t n, size_t width, int lower_is_up,
    struct buf *out)
{
	static const char *const glyph[8] = {
		"\u2581", "\u2582", "\u2583", "\u2584",
		"\u2585", "\u2586", "\u2587", "\u2588",
	};
	double lo = INFINITY, hi = -INFINITY, x;
	size_t i, start;
	int g;

	start = n > width ? n - width : 0;
	for (i = start; i < n; i++) {
		if (isnan(v[i]))
			continue;
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	for (i = start; i < n; i++) {
		if (isnan(v[i])) {
			buf_putc(out, ' ');
			continue;
		}
		x = hi > lo ? (v[i] - lo) / (hi - lo) : 0.5;
		/* For a minimised objective, a better (lower) value draws taller. */
		if (lower_is_up)
			x = 1.0 - x;
		g = (int)(x * 7.0 + 0.5);
		buf_puts(out, glyph[g < 0 ? 0 : g > 7 ? 7 : g]);
	}
}
