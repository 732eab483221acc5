/*
 * test_worker_logcap.c - the job's output log: timestamp prefixes, whole
 * lines per stream, the size cap with its single marker, the stderr tail.
 */
#include "t.h"

#include <regex.h>

#include "logcap.h"
#include "util.h"

static char tmpl[] = "/tmp/tdlogcap.XXXXXX";
static char path[256];

static void
setup(void)
{
	T_ASSERT(mkdtemp(tmpl) != NULL);
	snprintf(path, sizeof(path), "%s/output.log", tmpl);
}

/* Not inlined: GCC 12 then mistakes heap pointers for dangling ones. */
static __attribute__((noinline)) char *
slurp(void)
{
	char *text = NULL;

	T_ASSERT(td_read_file(path, 1 << 24, &text, NULL) == 0);
	return text;
}

static void
cleanup(void)
{
	td_rm_rf(tmpl);
}

static void
t_stamp_format(void)
{
	char out[40];

	logcap_stamp(0.123, out, sizeof(out));
	T_EQ_STR(out, "1970-01-01T00:00:00.123Z");
	logcap_stamp(1795651200.9999, out, sizeof(out));
	T_EQ_STR(out, "2026-11-26T00:00:00.999Z");
}

static void
t_lines_prefixed(void)
{
	struct logcap *l;
	char *text;
	regex_t re;

	setup();
	T_ASSERT(logcap_open(path, 1 << 20, &l) == 0);
	logcap_feed(l, LOGCAP_STDOUT, "epoch 1\nepoch 2\n", 16, 1795651200.5);
	text = slurp();
	T_EQ_STR(text, "2026-11-26T00:00:00.500Z epoch 1\n"
	    "2026-11-26T00:00:00.500Z epoch 2\n");
	free(text);
	/* A line's stamp is the time its first byte arrived. */
	logcap_feed(l, LOGCAP_STDOUT, "part", 4, 1795651201.0);
	logcap_feed(l, LOGCAP_STDOUT, "ial\n", 4, 1795651202.0);
	logcap_note(l, 1795651203.0, "stop %s", "requested");
	text = slurp();
	T_ASSERT(strstr(text, "2026-11-26T00:00:01.000Z partial\n") != NULL);
	T_ASSERT(strstr(text, "2026-11-26T00:00:03.000Z [tunerd] stop "
	    "requested\n") != NULL);
	T_ASSERT(regcomp(&re, "^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	    "[0-9]{2}\\.[0-9]{3}Z [^\n]*\n)+$", REG_EXTENDED) == 0);
	T_ASSERT(regexec(&re, text, 0, NULL, 0) == 0);
	regfree(&re);
	free(text);
	T_EQ_INT(logcap_size(l), strlen("2026-11-26T00:00:00.500Z epoch 1\n") * 2 +
	    strlen("2026-11-26T00:00:01.000Z partial\n") +
	    strlen("2026-11-26T00:00:03.000Z [tunerd] stop requested\n"));
	logcap_close(l);
	logcap_close(NULL);
	cleanup();
}

static void
t_streams_do_not_interleave(void)
{
	struct logcap *l;
	char *text;

	setup();
	T_ASSERT(logcap_open(path, 1 << 20, &l) == 0);
	logcap_feed(l, LOGCAP_STDOUT, "out-a", 5, 10.0);
	logcap_feed(l, LOGCAP_STDERR, "err-a\nerr-b", 11, 11.0);
	logcap_feed(l, LOGCAP_STDOUT, "out-b\n", 6, 12.0);
	logcap_flush(l, 13.0);
	text = slurp();
	T_EQ_STR(text, "1970-01-01T00:00:11.000Z err-a\n"
	    "1970-01-01T00:00:10.000Z out-aout-b\n"
	    "1970-01-01T00:00:11.000Z err-b\n");
	free(text);
	logcap_close(l);
	cleanup();
}

static void
t_endless_line_is_split(void)
{
	struct logcap *l;
	size_t n = LOGCAP_MAX_LINE * 2 + 10, lines = 0;
	char *big = malloc(n), *text, *p;

	setup();
	T_ASSERT(big != NULL);
	memset(big, 'x', n);
	T_ASSERT(logcap_open(path, 1 << 22, &l) == 0);
	logcap_feed(l, LOGCAP_STDOUT, big, n, 1.0);
	logcap_flush(l, 1.0);
	text = slurp();
	for (p = text; *p != '\0'; p++)
		lines += *p == '\n';
	T_EQ_INT(lines, 3);
	free(text);
	free(big);
	logcap_close(l);
	cleanup();
}

static void
t_cap_writes_one_marker(void)
{
	struct logcap *l;
	char *text, *p, line[64];
	size_t size_at_cap, markers = 0, at;
	int i;

	setup();
	T_ASSERT(logcap_open(path, 300, &l) == 0);
	for (i = 0; i < 100; i++) {
		int n = snprintf(line, sizeof(line), "line %d\n", i);

		logcap_feed(l, i % 2 ? LOGCAP_STDERR : LOGCAP_STDOUT, line,
		    (size_t)n, 5.0);
	}
	T_ASSERT(logcap_capped(l));
	size_at_cap = logcap_size(l);
	logcap_feed(l, LOGCAP_STDOUT, "more\n", 5, 6.0);
	logcap_note(l, 6.0, "a note");
	logcap_flush(l, 6.0);
	T_EQ_INT(logcap_size(l), size_at_cap);
	text = slurp();
	T_EQ_INT(strlen(text), size_at_cap);
	for (p = text; (p = strstr(p, "[tunerd] log limit of 300 bytes "
	    "reached; further output is not stored (metrics are still "
	    "scraped)\n")) != NULL; p++)
		markers++;
	T_EQ_INT(markers, 1);
	/* Everything before the marker line fits the limit. */
	p = strstr(text, "[tunerd] log limit");
	T_ASSERT(p != NULL);
	at = (size_t)(p - text) - strlen("1970-01-01T00:00:05.000Z ");
	T_ASSERT(at <= 300 && at > 300 - 20);
	T_ASSERT(text[strlen(text) - 1] == '\n');
	T_ASSERT(strstr(text, "line 0\n") != NULL);
	T_ASSERT(strstr(text, "line 99") == NULL);
	free(text);
	logcap_close(l);
	cleanup();
}

static void
t_zero_limit(void)
{
	struct logcap *l;
	char *text;

	setup();
	T_ASSERT(logcap_open(path, 0, &l) == 0);
	logcap_feed(l, LOGCAP_STDOUT, "x\n", 2, 1.0);
	text = slurp();
	T_ASSERT(strncmp(text + 25, "[tunerd] log limit of 0 bytes", 29) == 0);
	free(text);
	logcap_close(l);
	cleanup();
}

static void
t_stderr_tail(void)
{
	struct logcap *l;
	struct buf tail = { 0 };
	char line[64];
	int i;

	setup();
	T_ASSERT(logcap_open(path, 1 << 20, &l) == 0);
	for (i = 0; i < 30; i++) {
		int n = snprintf(line, sizeof(line), "err %02d\n", i);

		logcap_feed(l, LOGCAP_STDERR, line, (size_t)n, 1.0);
		logcap_feed(l, LOGCAP_STDOUT, "out\n", 4, 1.0);
	}
	/* Progress bars end in '\r' and blank lines are dropped. */
	logcap_feed(l, LOGCAP_STDERR, "10%\r20%\r\n\nValueError: bad\n\n", 26,
	    1.0);
	logcap_stderr_tail(l, 4, 1000, &tail);
	T_EQ_STR(tail.data, "err 29\n10%\n20%\nValueError: bad");
	buf_reset(&tail);
	logcap_stderr_tail(l, 10, 8, &tail);
	T_EQ_STR(tail.data, "ror: bad");
	buf_free(&tail);
	logcap_close(l);
	cleanup();
}

static void
t_stderr_tail_empty_and_utf8(void)
{
	struct logcap *l;
	struct buf tail = { 0 };

	setup();
	T_ASSERT(logcap_open(path, 1 << 20, &l) == 0);
	logcap_stderr_tail(l, 10, 100, &tail);
	T_EQ_INT(tail.len, 0);
	/* "é" is two bytes: a cut never starts inside it. */
	logcap_feed(l, LOGCAP_STDERR, "caf\xc3\xa9!\n", 7, 1.0);
	logcap_stderr_tail(l, 10, 2, &tail);
	T_EQ_STR(tail.data, "!");
	buf_free(&tail);
	logcap_close(l);
	cleanup();
}

static void
t_open_fails(void)
{
	struct logcap *l = NULL;

	T_ASSERT(logcap_open("/nonexistent/dir/output.log", 100, &l) < 0);
	T_ASSERT(l == NULL);
}

T_MAIN(T_CASE(t_stamp_format), T_CASE(t_lines_prefixed),
    T_CASE(t_streams_do_not_interleave), T_CASE(t_endless_line_is_split),
    T_CASE(t_cap_writes_one_marker), T_CASE(t_zero_limit),
    T_CASE(t_stderr_tail), T_CASE(t_stderr_tail_empty_and_utf8),
    T_CASE(t_open_fails))
