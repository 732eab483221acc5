/*
 * scrape.c - the metric scraper: MetricDefinitions regexes (PCRE2) applied
 * to program output line by line.
 *
 * Owns the compiled patterns, one match-data block and the current partial
 * line. Never does I/O. Invariants: s->line holds at most SCRAPE_MAX_LINE
 * bytes (the rest of an over-long line is dropped until its terminator);
 * every line is matched exactly once, when its '\n' or '\r' arrives or at
 * scrape_flush().
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "buf.h"
#include "err.h"
#include "scrape.h"
#include "util.h"

struct scrape_def {
	char		*name;
	pcre2_code	*code;
	pcre2_match_data *md;		/* sized for this pattern */
	uint32_t	 ncaps;		/* capture groups in the pattern */
};

struct scrape {
	struct scrape_def	*defs;
	size_t			 n;
	struct buf		 line;
	int			 overlong;	/* dropping bytes until a terminator */
};

static int
def_compile(struct scrape_def *d, const struct td_metric_def *m, char *err,
    size_t errlen)
{
	int ec;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];

	/*
	 * Program output is arbitrary bytes: UTF mode with invalid-UTF
	 * tolerance lets "\w" and friends see characters while a stray byte
	 * never makes a match fail with an error.
	 */
	d->code = pcre2_compile((PCRE2_SPTR)m->regex, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off, NULL);
	if (d->code == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "metric \"%s\": bad regex at offset %zu: %s",
		    m->name, (size_t)off, (const char *)msg);
		return TD_EINVAL;
	}
	(void)pcre2_jit_compile(d->code, PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(d->code, PCRE2_INFO_CAPTURECOUNT, &d->ncaps);
	d->md = pcre2_match_data_create_from_pattern(d->code, NULL);
	if (d->md == NULL || (d->name = strdup(m->name)) == NULL)
		return TD_ENOMEM;
	return 0;
}

int
scrape_new(const struct td_metric_def *defs, size_t n, struct scrape **out,
    char *err, size_t errlen)
{
	struct scrape *s;
	size_t i;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return TD_ENOMEM;
	if (n > 0 && (s->defs = calloc(n, sizeof(*s->defs))) == NULL) {
		free(s);
		return TD_ENOMEM;
	}
	s->n = n;
	for (i = 0; i < n; i++) {
		if ((rc = def_compile(&s->defs[i], &defs[i], err, errlen)) != 0) {
			scrape_free(s);
			return rc;
		}
	}
	*out = s;
	return 0;
}

void
scrape_free(struct scrape *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->defs[i].name);
		pcre2_code_free(s->defs[i].code);
		pcre2_match_data_free(s->defs[i].md);
	}
	free(s->defs);
	buf_free(&s->line);
	free(s);
}

/* Parses a capture as Python's float() would, minus non-finite values. */
static int
parse_value(const char *p, size_t len, double *out)
{
	char tmp[64];

	while (len > 0 && isspace((unsigned char)*p)) {
		p++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return TD_EINVAL;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	return td_parse_double(tmp, out);
}

static void
match_def(const struct scrape_def *d, const char *line,
    size_t len, scrape_fn fn, void *arg)
{
	PCRE2_SIZE start = 0, *ov;
	double v;
	int rc;

	while (start <= len) {
		rc = pcre2_match(d->code, (PCRE2_SPTR)line, len, start, 0, d->md,
		    NULL);
		if (rc < 0)
			return;
		ov = pcre2_get_ovector_pointer(d->md);
		if (d->ncaps == 0) {
			if (parse_value(line + ov[0], ov[1] - ov[0], &v) == 0)
				fn(d->name, v, arg);
		} else if (rc >= 2 && ov[2] != PCRE2_UNSET &&
		    parse_value(line + ov[2], ov[3] - ov[2], &v) == 0) {
			fn(d->name, v, arg);
		}
		/* An empty match would loop forever; step past a character. */
		start = ov[1];
		if (ov[1] == ov[0]) {
			start++;
			while (start < len && ((unsigned char)line[start] & 0xC0) ==
			    0x80)
				start++;
		}
	}
}

static void
match_line(struct scrape *s, scrape_fn fn, void *arg)
{
	size_t i;

	if (s->line.len > 0) {
		for (i = 0; i < s->n; i++)
			match_def(&s->defs[i], s->line.data, s->line.len,
			    fn, arg);
	}
	buf_reset(&s->line);
	s->overlong = 0;
}

/* Drops the last character (a whole UTF-8 sequence) of the current line. */
static void
backspace(struct scrape *s)
{
	while (s->line.len > 0) {
		unsigned char c = (unsigned char)s->line.data[--s->line.len];

		if ((c & 0xC0) != 0x80)
			break;
	}
	if (s->line.data != NULL)
		s->line.data[s->line.len] = '\0';
}

void
scrape_feed(struct scrape *s, const char *data, size_t len, scrape_fn fn,
    void *arg)
{
	size_t i, run;

	for (i = 0; i < len; i += run) {
		char c = data[i];

		run = 1;
		if (c == '\n' || c == '\r') {
			match_line(s, fn, arg);
		} else if (c == '\b') {
			if (!s->overlong)
				backspace(s);
		} else {
			/* Append the run of ordinary bytes in one go. */
			while (i + run < len && data[i + run] != '\n' &&
			    data[i + run] != '\r' && data[i + run] != '\b')
				run++;
			if (s->overlong)
				continue;
			if (s->line.len + run > SCRAPE_MAX_LINE) {
				buf_append(&s->line, data + i,
				    SCRAPE_MAX_LINE - s->line.len);
				s->overlong = 1;
			} else {
				buf_append(&s->line, data + i, run);
			}
		}
	}
}

void
scrape_flush(struct scrape *s, scrape_fn fn, void *arg)
{
	match_line(s, fn, arg);
}
