/*
 * logcap.c - the job's output log with timestamps and a size cap (see
 * logcap.h).
 *
 * Owns the log file descriptor, one partial line per stream and the
 * stderr tail. Invariants: l->size counts every byte written to the file;
 * after the marker (l->capped) nothing more is written; every feed ends in
 * at most one write(2) of whole lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "logcap.h"

#define TAIL_KEEP	(8 * 1024)

struct logcap_stream {
	struct buf	 part;		/* the current unterminated line */
	double		 t;		/* when its first byte arrived */
};

struct logcap {
	int			 fd;
	size_t			 limit;
	size_t			 size;
	int			 capped;
	int			 broken;	/* a write failed; stop trying */
	struct logcap_stream	 s[2];
	struct buf		 out;		/* lines to write now */
	struct buf		 errtail;	/* recent stderr bytes */
};

void
logcap_stamp(double t, char *out, size_t outlen)
{
	time_t sec = (time_t)t;
	long ms = (long)((t - (double)sec) * 1000.0);
	struct tm tm;
	char base[24];

	if (ms < 0)
		ms = 0;
	if (ms > 999)
		ms = 999;
	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outlen, "%s.%03ldZ", base, ms);
}

int
logcap_open(const char *path, size_t limit, struct logcap **out)
{
	struct logcap *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return TD_ENOMEM;
	l->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	    0644);
	if (l->fd == -1) {
		int rc = -errno;

		free(l);
		return rc;
	}
	l->limit = limit;
	*out = l;
	return 0;
}

static void
write_out(struct logcap *l)
{
	const char *p = l->out.data;
	size_t len = l->out.len;

	while (len > 0 && !l->broken) {
		ssize_t n = write(l->fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("output log: write");
			l->broken = 1;
			break;
		}
		p += n;
		len -= (size_t)n;
		l->size += (size_t)n;
	}
	buf_reset(&l->out);
}

/* Queues one stamped line (text without its '\n'), or the marker. */
static void
put_line(struct logcap *l, double t, const char *text, size_t len)
{
	char ts[40];
	size_t need;

	if (l->capped)
		return;
	logcap_stamp(t, ts, sizeof(ts));
	need = strlen(ts) + 1 + len + 1;
	if (l->size + l->out.len + need > l->limit) {
		buf_printf(&l->out, "%s [tunerd] log limit of %zu bytes reached; "
		    "further output is not stored (metrics are still scraped)\n",
		    ts, l->limit);
		l->capped = 1;
		return;
	}
	buf_puts(&l->out, ts);
	buf_putc(&l->out, ' ');
	buf_append(&l->out, text, len);
	buf_putc(&l->out, '\n');
}

static void
end_part(struct logcap *l, struct logcap_stream *s)
{
	put_line(l, s->t, s->part.data != NULL ? s->part.data : "", s->part.len);
	buf_reset(&s->part);
}

static void
keep_tail(struct logcap *l, const char *data, size_t len)
{
	if (len >= TAIL_KEEP) {
		buf_reset(&l->errtail);
		buf_append(&l->errtail, data + len - TAIL_KEEP, TAIL_KEEP);
		return;
	}
	buf_append(&l->errtail, data, len);
	if (l->errtail.len > 2 * TAIL_KEEP)
		buf_consume(&l->errtail, l->errtail.len - TAIL_KEEP);
}

void
logcap_feed(struct logcap *l, int stream, const char *data, size_t len,
    double now)
{
	struct logcap_stream *s = &l->s[stream == LOGCAP_STDERR];
	const char *nl;
	size_t take;

	if (stream == LOGCAP_STDERR)
		keep_tail(l, data, len);
	while (len > 0) {
		if (s->part.len == 0)
			s->t = now;
		nl = memchr(data, '\n', len);
		take = nl != NULL ? (size_t)(nl - data) : len;
		if (s->part.len + take >= LOGCAP_MAX_LINE) {
			/* An endless line is stored in LOGCAP_MAX_LINE pieces. */
			take = LOGCAP_MAX_LINE - s->part.len;
			buf_append(&s->part, data, take);
			end_part(l, s);
		} else if (nl != NULL) {
			buf_append(&s->part, data, take);
			end_part(l, s);
			take++;
		} else {
			buf_append(&s->part, data, take);
		}
		data += take;
		len -= take;
	}
	write_out(l);
}

void
logcap_note(struct logcap *l, double now, const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;

	if (l == NULL)
		return;
	buf_puts(&b, "[tunerd] ");
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	put_line(l, now, b.data, b.len);
	buf_free(&b);
	write_out(l);
}

void
logcap_flush(struct logcap *l, double now)
{
	int i;

	for (i = 0; i < 2; i++)
		if (l->s[i].part.len > 0)
			end_part(l, &l->s[i]);
	write_out(l);
}

size_t
logcap_size(const struct logcap *l)
{
	return l->size;
}

int
logcap_capped(const struct logcap *l)
{
	return l->capped;
}

void
logcap_stderr_tail(const struct logcap *l, size_t max_lines, size_t max_bytes,
    struct buf *out)
{
	const char *d = l->errtail.data;
	size_t len = l->errtail.len, start, lines = 0, i;
	struct buf clean = { 0 };

	/* Progress bars end in '\r': read them as lines, drop empty ones. */
	for (i = 0; i < len; i++) {
		char c = d[i] == '\r' ? '\n' : d[i];

		if (c == '\n' && (clean.len == 0 || clean.data[clean.len - 1] == '\n'))
			continue;
		buf_putc(&clean, c);
	}
	while (clean.len > 0 && (clean.data[clean.len - 1] == '\n' ||
	    clean.data[clean.len - 1] == ' '))
		clean.len--;
	start = clean.len;
	while (start > 0) {
		if (clean.data[start - 1] == '\n' && ++lines == max_lines)
			break;
		start--;
	}
	if (clean.len - start > max_bytes) {
		start = clean.len - max_bytes;
		while (start < clean.len &&
		    ((unsigned char)clean.data[start] & 0xC0) == 0x80)
			start++;
	}
	if (clean.len > start)
		buf_append(out, clean.data + start, clean.len - start);
	buf_free(&clean);
}

void
logcap_close(struct logcap *l)
{
	if (l == NULL)
		return;
	close(l->fd);
	buf_free(&l->s[0].part);
	buf_free(&l->s[1].part);
	buf_free(&l->out);
	buf_free(&l->errtail);
	free(l);
}
