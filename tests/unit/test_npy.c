/*
 * test_npy.c - the NumPy .npy reader (worker/builtin/npy.c): every dtype
 * and format version it promises, and the ways a file can lie.
 */
#include <errno.h>
#include <stdint.h>

#include "err.h"
#include "ml.h"
#include "t.h"

static char npy[1 << 16];

/*
 * Builds a .npy file in npy[] the way NumPy lays it out: magic, version,
 * header length (2 bytes for 1.0, 4 for 2.0/3.0), the dict padded with
 * spaces and a newline to a multiple of 64, then the data.
 */
static size_t
mk(int major, const char *dict, const void *data, size_t dlen)
{
	size_t pre = major == 1 ? 10 : 12, dl = strlen(dict), hl, n;

	hl = dl + 1;
	while ((pre + hl) % 64 != 0)
		hl++;
	memcpy(npy, "\x93NUMPY", 6);
	npy[6] = (char)major;
	npy[7] = 0;
	npy[8] = (char)(hl & 0xff);
	npy[9] = (char)(hl >> 8);
	if (major != 1) {
		npy[10] = (char)(hl >> 16);
		npy[11] = (char)(hl >> 24);
	}
	memset(npy + pre, ' ', hl);
	memcpy(npy + pre, dict, dl);
	npy[pre + hl - 1] = '\n';
	n = pre + hl;
	if (dlen > 0)
		memcpy(npy + n, data, dlen);
	return n + dlen;
}

static char err[512];

/* Parses and expects failure with a message containing want. */
static void
expect_fail(size_t len, const char *want)
{
	struct ml_matrix m;
	int rc;

	err[0] = '\0';
	rc = ml_matrix_parse_npy(npy, len, &m, err, sizeof(err));
	if (rc == 0)
		T_FAIL("parse succeeded, expected an error about '%s'", want);
	T_ASSERT(rc < 0);
	T_ASSERT(m.data == NULL);
	if (strstr(err, want) == NULL)
		T_FAIL("error '%s' does not mention '%s'", err, want);
}

static void
t_f8_2d(void)
{
	double d[6] = { 1.0, -2.5, 3.0, 4.0, 5.0, 6e10 };
	struct ml_matrix m;
	size_t n = mk(1, "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (2, 3), }", d, sizeof(d)), k;

	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_EQ_INT(m.rows, 2);
	T_EQ_INT(m.cols, 3);
	for (k = 0; k < 6; k++)
		T_ASSERT(m.data[k] == d[k]);
	ml_matrix_free(&m);
	T_ASSERT(m.data == NULL);
	ml_matrix_free(NULL);
}

static void
t_f4_1d(void)
{
	float f[3] = { 0.5f, -1.25f, 16777216.0f };
	struct ml_matrix m;
	size_t n = mk(1, "{'descr': '<f4', 'fortran_order': False, "
	    "'shape': (3,), }", f, sizeof(f));

	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_EQ_INT(m.rows, 3);
	T_EQ_INT(m.cols, 1);
	T_ASSERT(m.data[0] == 0.5 && m.data[1] == -1.25 &&
	    m.data[2] == 16777216.0);
	ml_matrix_free(&m);
}

static void
t_i8(void)
{
	int64_t v[4] = { -5, (int64_t)1 << 40, INT64_MIN, 7 };
	struct ml_matrix m;
	size_t n = mk(1, "{'descr': '<i8', 'fortran_order': False, "
	    "'shape': (2, 2), }", v, sizeof(v));

	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_ASSERT(m.data[0] == -5.0);
	T_ASSERT(m.data[1] == 1099511627776.0);
	T_ASSERT(m.data[2] == -9223372036854775808.0);
	T_ASSERT(m.data[3] == 7.0);
	ml_matrix_free(&m);
}

static void
t_u1_and_small_ints(void)
{
	unsigned char u[4] = { 0, 255, 7, 128 };
	signed char i1[3] = { -128, 127, -1 };
	int16_t i2[2] = { -300, 300 };
	uint16_t u2[2] = { 65535, 1 };
	int32_t i4[2] = { INT32_MIN, 42 };
	uint32_t u4[1] = { 4294967295u };
	uint64_t u8[1] = { UINT64_MAX };
	struct ml_matrix m;
	size_t n;

	n = mk(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }",
	    u, sizeof(u));
	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_ASSERT(m.data[0] == 0 && m.data[1] == 255 && m.data[2] == 7 &&
	    m.data[3] == 128);
	ml_matrix_free(&m);
	n = mk(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }",
	    i1, sizeof(i1));
	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_ASSERT(m.data[0] == -128 && m.data[1] == 127 && m.data[2] == -1);
	ml_matrix_free(&m);
	n = mk(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }",
	    i2, sizeof(i2));
	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_ASSERT(m.data[0] == -300 && m.data[1] == 300);
	ml_matrix_free(&m);
	n = mk(1, "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }",
	    u2, sizeof(u2));
	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_ASSERT(m.data[0] == 65535 && m.data[1] == 1);
	ml_matrix_free(&m);
	n = mk(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
	    i4, sizeof(i4));
	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_ASSERT(m.data[0] == -2147483648.0 && m.data[1] == 42);
	ml_matrix_free(&m);
	n = mk(1, "{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }",
	    u4, sizeof(u4));
	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_ASSERT(m.data[0] == 4294967295.0);
	ml_matrix_free(&m);
	n = mk(1, "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }",
	    u8, sizeof(u8));
	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_ASSERT(m.data[0] == 18446744073709551616.0);
	ml_matrix_free(&m);
}

static void
t_bool(void)
{
	unsigned char b[3] = { 1, 0, 2 };
	struct ml_matrix m;
	size_t n = mk(1, "{'descr': '|b1', 'fortran_order': False, "
	    "'shape': (3,), }", b, sizeof(b));

	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_ASSERT(m.data[0] == 1.0 && m.data[1] == 0.0 && m.data[2] == 1.0);
	ml_matrix_free(&m);
}

/* Versions 2.0 and 3.0, double quotes, keys in another order, 3L. */
static void
t_v2_v3_headers(void)
{
	double d[3] = { 1, 2, 3 };
	struct ml_matrix m;
	size_t n;

	n = mk(2, "{\"shape\": (3L,), \"descr\": \"<f8\", "
	    "\"fortran_order\": False}", d, sizeof(d));
	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_EQ_INT(m.rows, 3);
	T_ASSERT(m.data[2] == 3.0);
	ml_matrix_free(&m);
	n = mk(3, "{'fortran_order': False, 'shape': (1, 3), "
	    "'descr': '<f8'}", d, sizeof(d));
	T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
	T_EQ_INT(m.rows, 1);
	T_EQ_INT(m.cols, 3);
	ml_matrix_free(&m);
}

static void
t_truncated_data(void)
{
	double d[10] = { 0 };
	size_t n = mk(1, "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (4, 4), }", d, sizeof(d));

	expect_fail(n, "truncated");
	expect_fail(n, "128");
}

static void
t_trailing_bytes(void)
{
	double d[5] = { 0 };
	size_t n = mk(1, "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (4,), }", d, sizeof(d));

	expect_fail(n, "needs 32 data bytes, the file has 40");
}

static void
t_bad_magic_and_short(void)
{
	double d[1] = { 1 };
	size_t n = mk(1, "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (1,), }", d, sizeof(d));

	npy[5] = 'X';
	expect_fail(n, "bad magic");
	memcpy(npy, "PK\x03\x04", 4);
	expect_fail(n, "not a .npy file");
	expect_fail(3, "too short");
	mk(1, "{}", NULL, 0);
	expect_fail(9, "not a .npy file");
}

static void
t_unsupported_version(void)
{
	double d[1] = { 1 };
	size_t n = mk(1, "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (1,), }", d, sizeof(d));

	npy[6] = 4;
	expect_fail(n, "version 4.0");
}

static void
t_header_len_past_eof(void)
{
	double d[1] = { 1 };
	size_t n = mk(1, "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (1,), }", d, sizeof(d));

	npy[8] = (char)0xe8;
	npy[9] = 0x03;			/* 1000 */
	expect_fail(n, "header length 1000 runs past the end");
	n = mk(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
	    d, sizeof(d));
	npy[11] = 0x7f;
	expect_fail(n, "runs past the end");
	/* A truncated header: the file ends inside the dict. */
	n = mk(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
	    d, sizeof(d));
	expect_fail(40, "runs past the end");
}

static void
t_header_not_dict(void)
{
	double d[1] = { 1 };
	size_t n;

	n = mk(1, "[1, 2, 3]", d, sizeof(d));
	expect_fail(n, "not a Python dict");
	n = mk(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)",
	    d, sizeof(d));
	expect_fail(n, "malformed");
	n = mk(1, "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,)}",
	    d, sizeof(d));
	expect_fail(n, "fortran_order");
	n = mk(1, "{'descr': '<f8', 'fortran_order': False, 'shape': [1]}",
	    d, sizeof(d));
	expect_fail(n, "shape");
	n = mk(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} x",
	    d, sizeof(d));
	expect_fail(n, "after the header");
}

static void
t_keys(void)
{
	double d[1] = { 1 };
	size_t n;

	n = mk(1, "{'descr': '<f8', 'shape': (1,), }", d, sizeof(d));
	expect_fail(n, "lacks 'fortran_order'");
	n = mk(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), "
	    "'extra': False}", d, sizeof(d));
	expect_fail(n, "unexpected key 'extra'");
	n = mk(1, "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, "
	    "'shape': (1,)}", d, sizeof(d));
	expect_fail(n, "repeats 'descr'");
}

static void
t_big_endian(void)
{
	double d[2] = { 1, 2 };
	size_t n = mk(1, "{'descr': '>f8', 'fortran_order': False, "
	    "'shape': (2,), }", d, sizeof(d));
	unsigned char one = 1;

	expect_fail(n, "big-endian");
	/* One-byte types have no byte order: '>u1' is fine. */
	n = mk(1, "{'descr': '>u1', 'fortran_order': False, 'shape': (1,), }",
	    &one, 1);
	{
		struct ml_matrix m;

		T_EQ_INT(ml_matrix_parse_npy(npy, n, &m, err, sizeof(err)), 0);
		T_ASSERT(m.data[0] == 1.0);
		ml_matrix_free(&m);
	}
}

static void
t_fortran(void)
{
	double d[4] = { 1, 2, 3, 4 };
	size_t n = mk(1, "{'descr': '<f8', 'fortran_order': True, "
	    "'shape': (2, 2), }", d, sizeof(d));

	expect_fail(n, "Fortran");
}

static void
t_dims(void)
{
	double d[8] = { 0 };
	size_t n;

	n = mk(1, "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (2, 2, 2), }", d, sizeof(d));
	expect_fail(n, "3-D array of shape (2, 2, 2)");
	n = mk(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
	    d, 8);
	expect_fail(n, "0-D");
	n = mk(1, "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (0, 13), }", d, 0);
	expect_fail(n, "empty");
}

static void
t_dtypes_rejected(void)
{
	double d[2] = { 0 };
	size_t n;

	n = mk(1, "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
	    d, 16);
	expect_fail(n, "unsupported dtype '<c16'");
	n = mk(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }",
	    d, 2);
	expect_fail(n, "unsupported dtype");
	n = mk(1, "{'descr': '|f8', 'fortran_order': False, 'shape': (1,), }",
	    d, 8);
	expect_fail(n, "unsupported dtype");
	n = mk(1, "{'descr': [('a', '<f8')], 'fortran_order': False, "
	    "'shape': (1,), }", d, 8);
	expect_fail(n, "structured");
}

static void
t_shape_overflow(void)
{
	double d[1] = { 0 };
	size_t n = mk(1, "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (4294967296, 4294967296), }", d, 8);

	expect_fail(n, "too large");
}

static void
t_nonfinite(void)
{
	double d[3] = { 1, NAN, 3 };
	size_t n = mk(1, "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (3,), }", d, sizeof(d));

	expect_fail(n, "row 1, column 0");
}

static const char *
src(const char *rel, char *buf, size_t n)
{
	const char *root = getenv("TUNERD_SOURCE_DIR");

	snprintf(buf, n, "%s/%s", root ? root : ".", rel);
	return buf;
}

/* The Keras split's well-known first sample and test targets. */
static void
t_read_boston_files(void)
{
	static const double x0[13] = { 1.23247, 0, 8.14, 0, 0.538, 6.142,
	    91.7, 3.9769, 4, 307, 21, 396.9, 18.72 };
	static const double yt[10] = { 7.2, 18.8, 19.0, 27.0, 22.2, 24.5,
	    31.2, 22.9, 20.5, 23.2 };
	struct ml_matrix m;
	char p[4096];
	size_t k;

	T_EQ_INT(ml_matrix_read(src("examples/boston/data/raw/x_train.npy",
	    p, sizeof(p)), &m, err, sizeof(err)), 0);
	T_EQ_INT(m.rows, 404);
	T_EQ_INT(m.cols, 13);
	for (k = 0; k < 13; k++)
		T_NEAR(m.data[k], x0[k], 1e-9);
	ml_matrix_free(&m);
	T_EQ_INT(ml_matrix_read(src("examples/boston/data/raw/y_test.npy",
	    p, sizeof(p)), &m, err, sizeof(err)), 0);
	T_EQ_INT(m.rows, 102);
	T_EQ_INT(m.cols, 1);
	for (k = 0; k < 10; k++)
		T_NEAR(m.data[k], yt[k], 1e-9);
	ml_matrix_free(&m);
	T_EQ_INT(ml_matrix_read(src("examples/boston/data/train/x_train.npy",
	    p, sizeof(p)), &m, err, sizeof(err)), 0);
	T_EQ_INT(m.rows, 404);
	T_EQ_INT(m.cols, 13);
	ml_matrix_free(&m);
}

static void
t_read_errors(void)
{
	struct ml_matrix m;

	T_ASSERT(ml_matrix_read("/nonexistent/x.npy", &m, err,
	    sizeof(err)) == -ENOENT);
	T_ASSERT(strstr(err, "/nonexistent/x.npy") != NULL);
	T_ASSERT(ml_matrix_read("/etc/hostname.txt", &m, err,
	    sizeof(err)) == TD_EINVAL);
	T_ASSERT(strstr(err, ".npy, .csv or .json") != NULL);
}

T_MAIN(
	T_CASE(t_f8_2d),
	T_CASE(t_f4_1d),
	T_CASE(t_i8),
	T_CASE(t_u1_and_small_ints),
	T_CASE(t_bool),
	T_CASE(t_v2_v3_headers),
	T_CASE(t_truncated_data),
	T_CASE(t_trailing_bytes),
	T_CASE(t_bad_magic_and_short),
	T_CASE(t_unsupported_version),
	T_CASE(t_header_len_past_eof),
	T_CASE(t_header_not_dict),
	T_CASE(t_keys),
	T_CASE(t_big_endian),
	T_CASE(t_fortran),
	T_CASE(t_dims),
	T_CASE(t_dtypes_rejected),
	T_CASE(t_shape_overflow),
	T_CASE(t_nonfinite),
	T_CASE(t_read_boston_files),
	T_CASE(t_read_errors)
)
