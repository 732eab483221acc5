/* test_common_buf.c - common/buf.c: decimal and JSON string writers. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "t.h"

static void
t_put_u64(void)
{
	struct buf b = {0};

	buf_put_u64(&b, 0);
	buf_putc(&b, ' ');
	buf_put_u64(&b, 7);
	buf_putc(&b, ' ');
	buf_put_u64(&b, 1000000);
	buf_putc(&b, ' ');
	buf_put_u64(&b, UINT64_MAX);
	T_EQ_STR(b.data, "0 7 1000000 18446744073709551615");
	buf_free(&b);
}

static size_t
seq(const char *s, size_t n)
{
	return buf_utf8_seq((const unsigned char *)s, n);
}

static void
t_utf8_seq(void)
{
	T_ASSERT(seq("a", 1) == 1);
	T_ASSERT(seq("\xc3\xa9", 2) == 2);		/* é */
	T_ASSERT(seq("\xe2\x82\xac", 3) == 3);		/* € */
	T_ASSERT(seq("\xf0\x9f\x98\x80", 4) == 4);	/* U+1F600 */
	T_ASSERT(seq("\xc3\xa9", 1) == 0);		/* truncated */
	T_ASSERT(seq("\xc0\x80", 2) == 0);		/* overlong NUL */
	T_ASSERT(seq("\xe0\x80\xaf", 3) == 0);		/* overlong '/' */
	T_ASSERT(seq("\xed\xa0\x80", 3) == 0);		/* surrogate */
	T_ASSERT(seq("\xf4\x90\x80\x80", 4) == 0);	/* > U+10FFFF */
	T_ASSERT(seq("\x80", 1) == 0);			/* continuation */
	T_ASSERT(seq("\xc3\x28", 2) == 0);		/* bad continuation */
}

static void
t_json_str(void)
{
	static const char in[] = "q\"b\\n\n\x01\xc3\xa9\xff!";
	struct buf b = {0};

	buf_json_str(&b, in, sizeof(in) - 1);
	T_EQ_STR(b.data, "\"q\\\"b\\\\n\\n\\u0001\xc3\xa9\\ufffd!\"");
	buf_free(&b);
}

T_MAIN(T_CASE(t_put_u64), T_CASE(t_utf8_seq), T_CASE(t_json_str))
