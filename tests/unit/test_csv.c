/*
 * test_csv.c - the text matrix readers of worker/builtin/matrix.c: CSV
 * (numbers only, equal widths, blank lines, CRLF) and the JSON shapes
 * prediction requests arrive in.
 */
#include "err.h"
#include "ml.h"
#include "t.h"

static char err[512];

static void
csv_ok(const char *text, size_t rows, size_t cols, struct ml_matrix *m)
{
	int rc = ml_matrix_parse_csv(text, strlen(text), m, err, sizeof(err));

	if (rc != 0)
		T_FAIL("parse failed: %s", err);
	T_EQ_INT(m->rows, rows);
	T_EQ_INT(m->cols, cols);
}

static void
csv_fail(const char *text, const char *want)
{
	struct ml_matrix m;
	int rc;

	err[0] = '\0';
	rc = ml_matrix_parse_csv(text, strlen(text), &m, err, sizeof(err));
	if (rc == 0)
		T_FAIL("parse of '%s' succeeded", text);
	T_ASSERT(rc == TD_EFORMAT);
	T_ASSERT(m.data == NULL);
	if (strstr(err, want) == NULL)
		T_FAIL("error '%s' does not mention '%s'", err, want);
}

static void
t_csv_good(void)
{
	struct ml_matrix m;

	csv_ok("24.0,0.00632,18\n-1.5e3, 2 ,+3.25\n", 2, 3, &m);
	T_ASSERT(m.data[0] == 24.0 && m.data[1] == 0.00632 &&
	    m.data[2] == 18.0);
	T_ASSERT(m.data[3] == -1500.0 && m.data[4] == 2.0 &&
	    m.data[5] == 3.25);
	ml_matrix_free(&m);
	/* No final newline; a single column. */
	csv_ok("1\n2\n3", 3, 1, &m);
	T_ASSERT(m.data[2] == 3.0);
	ml_matrix_free(&m);
}

static void
t_csv_crlf_and_blank_lines(void)
{
	struct ml_matrix m;

	csv_ok("\r\n1,2\r\n\r\n   \r\n3,4\r\n\n\t\n", 2, 2, &m);
	T_ASSERT(m.data[0] == 1 && m.data[1] == 2 && m.data[2] == 3 &&
	    m.data[3] == 4);
	ml_matrix_free(&m);
}

static void
t_csv_ragged(void)
{
	csv_fail("1,2,3\n4,5,6\n7,8\n", "line 3: 2 columns, expected 3 as on "
	    "line 1");
	csv_fail("\n1,2\n4,5,6\n", "line 3: 3 columns, expected 2 as on "
	    "line 2");
}

static void
t_csv_not_numbers(void)
{
	csv_fail("1,abc\n", "line 1, column 2: not a number: 'abc'");
	csv_fail("CRIM,ZN\n1,2\n", "no header");
	csv_fail("1,2\n3,nan\n", "line 2, column 2");
	csv_fail("1,2\n3,inf\n", "line 2, column 2");
	csv_fail("1,1e999\n", "column 2");
	csv_fail("1,,2\n", "column 2");
	csv_fail("1,2,\n", "column 3");
	csv_fail("1;2\n", "column 1");
	csv_fail("0x10,1\n", "column 1");
	csv_fail("1.2.3\n", "column 1");
	csv_fail("1,2\n3,\"4\"\n", "line 2, column 2");
}

static void
t_csv_empty(void)
{
	csv_fail("", "no data rows");
	csv_fail("\n\r\n  \n", "no data rows");
}

static void
t_csv_nul_byte(void)
{
	struct ml_matrix m;
	static const char text[] = "1,2\n3,4\0\n";

	T_ASSERT(ml_matrix_parse_csv(text, sizeof(text) - 1, &m, err,
	    sizeof(err)) == TD_EFORMAT);
	T_ASSERT(strstr(err, "line 2, column 2") != NULL);
}

static void
json_ok(const char *text, size_t rows, size_t cols, struct ml_matrix *m)
{
	int rc = ml_matrix_parse_json(text, strlen(text), m, err, sizeof(err));

	if (rc != 0)
		T_FAIL("parse of %s failed: %s", text, err);
	T_EQ_INT(m->rows, rows);
	T_EQ_INT(m->cols, cols);
}

static void
json_fail(const char *text, const char *want)
{
	struct ml_matrix m;
	int rc;

	err[0] = '\0';
	rc = ml_matrix_parse_json(text, strlen(text), &m, err, sizeof(err));
	if (rc == 0)
		T_FAIL("parse of %s succeeded", text);
	T_ASSERT(m.data == NULL);
	if (strstr(err, want) == NULL)
		T_FAIL("error '%s' does not mention '%s'", err, want);
}

static void
t_json_shapes(void)
{
	struct ml_matrix m;

	json_ok("[[1, 2, 3], [4, 5, 6]]", 2, 3, &m);
	T_ASSERT(m.data[5] == 6.0);
	ml_matrix_free(&m);
	json_ok(" [1.5, -2e-3]\n", 1, 2, &m);
	T_ASSERT(m.data[0] == 1.5 && m.data[1] == -0.002);
	ml_matrix_free(&m);
	json_ok("{\"instances\": [[1], [2], [3]]}", 3, 1, &m);
	T_ASSERT(m.data[2] == 3.0);
	ml_matrix_free(&m);
	json_ok("{\"inputs\": [7, 8]}", 1, 2, &m);
	T_ASSERT(m.data[1] == 8.0);
	ml_matrix_free(&m);
}

static void
t_json_errors(void)
{
	json_fail("[[1, 2], [3]]", "row 1 has 1 values, row 0 has 2");
	json_fail("[[1, 2], [3, \"x\"]]", "row 1, column 1: not a finite "
	    "number");
	json_fail("[1, true]", "row 0, column 1");
	json_fail("[[1, 2], 3]", "row 1: expected a list of numbers");
	json_fail("[[[1]]]", "row 0, column 0");
	json_fail("[]", "no rows");
	json_fail("[[]]", "row 0 is empty");
	json_fail("{\"instances\": [[1]], \"inputs\": [[1]]}", "not both");
	json_fail("{\"data\": [[1]]}", "unexpected key \"data\"");
	json_fail("{}", "no \"instances\"");
	json_fail("42", "expected a list of rows");
	json_fail("[[1, 2]] [[3]]", "unexpected data after");
	json_fail("[[1, 2]", "invalid JSON");
	json_fail("[1e999]", "not a finite number");
}

T_MAIN(
	T_CASE(t_csv_good),
	T_CASE(t_csv_crlf_and_blank_lines),
	T_CASE(t_csv_ragged),
	T_CASE(t_csv_not_numbers),
	T_CASE(t_csv_empty),
	T_CASE(t_csv_nul_byte),
	T_CASE(t_json_shapes),
	T_CASE(t_json_errors)
)
