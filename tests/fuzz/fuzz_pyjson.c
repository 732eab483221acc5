/*
 * fuzz_pyjson.c - the worker's Python-compatible JSON reader and writers
 * (worker/pyjson.h), which render every hyperparameter of a job onto the
 * program's command line and into SM_* variables.
 *
 * Input: a JSON text as a hyperparameter value would carry it. Checks
 * (abort on failure): what pyj_parse() accepts, pyj_dumps() writes as
 * ASCII-only text that pyj_parse() reads back; for valid UTF-8 input (all
 * the worker ever gets: proto_parse() refuses anything else) the second
 * dump equals the first (a round trip); pyj_str() and pyj_arg() of it do
 * not crash. Invalid UTF-8 is accepted by pyj_parse() where Python's
 * json.loads() refuses it, and lone surrogates then make the round trip
 * unstable (reported; only crash-freedom is checked for it).
 *
 * Built with -DTD_LIBFUZZER -fsanitize=fuzzer it is a libFuzzer target;
 * otherwise tests/fuzz/replay.c supplies main().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pyjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_pyjson: %s\n", what);
		abort();
	}
}

/* Strict UTF-8: no overlong forms, no surrogates, at most U+10FFFF. */
static int
utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4;
			cp = s[i] & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pyj *v = NULL, *w = NULL;
	struct buf a = { 0 }, b = { 0 }, s = { 0 };
	char *text;
	size_t i;

	if (size > 256 * 1024)
		return 0;
	if ((text = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(text, data, size);
	if (pyj_parse(text, size, &v) == 0) {
		check(v != NULL, "parse without a value");
		pyj_dumps(v, &a);
		for (i = 0; i < a.len; i++)
			check((unsigned char)a.data[i] < 0x80,
			    "dumps wrote non-ASCII");
		check(pyj_parse(a.data ? a.data : "", a.len, &w) == 0,
		    "dumps output does not parse");
		pyj_dumps(w, &b);
		if (utf8_valid(data, size))
			check(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
			    "dumps is not stable over a round trip");
		pyj_str(v, &s);
		buf_reset(&s);
		pyj_arg(v, &s);
	}
	pyj_free(v);
	pyj_free(w);
	buf_free(&a);
	buf_free(&b);
	buf_free(&s);
	free(text);
	return 0;
}
