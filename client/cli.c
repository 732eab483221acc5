/*
 * cli.c - helpers every command uses: messages, global options, JSON
 * member access and reading input files.
 *
 * Owns no state. Messages follow STYLE.md rule 15: errors as
 * "tuner: <what> (<where>)" on stderr; progress only on a terminal.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "util.h"

/* Largest input file tuner reads (requests, inputs for predict). */
#define CLI_MAX_INPUT	(256u * 1024 * 1024)

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("tuner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_note(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet || !c->tty_err)
		return;
	fputs("tuner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fputs("tuner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'tuner %s --help')\n",
	    c->cmd_name != NULL ? c->cmd_name : "");
	return CLI_USAGE;
}

void
cli_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
cli_apply_globals(struct cli *c, const struct cli_args *a)
{
	const char *v;

	if ((v = opt_get(a, "socket")) != NULL)
		c->socket = v;
	if ((v = opt_get(a, "endpoint-url")) != NULL)
		c->endpoint_url = v;
	if (opt_count(a, "quiet") > 0)
		c->quiet = 1;
	if ((v = opt_get(a, "output")) != NULL) {
		c->fmt_given = 1;
		if (strcmp(v, "table") == 0 || strcmp(v, "text") == 0)
			c->fmt = OUT_TABLE;
		else if (strcmp(v, "json") == 0)
			c->fmt = OUT_JSON;
		else if (strcmp(v, "csv") == 0)
			c->fmt = OUT_CSV;
		else
			return cli_usage(c, "unknown output format \"%s\" "
			    "(-o): use table, json or csv", v);
	}
	if (c->endpoint_url != NULL && strncmp(c->endpoint_url, "http://", 7)
	    != 0 && strncmp(c->endpoint_url, "https://", 8) != 0)
		return cli_usage(c, "endpoint URL \"%s\" is not http:// or "
		    "https:// (--endpoint-url)", c->endpoint_url);
	return 0;
}

const char *
cli_jstr(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return (cJSON_IsString(v) && v->valuestring[0] != '\0') ?
	    v->valuestring : NULL;
}

double
cli_jnum(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const cJSON *
cli_jpath(const cJSON *obj, const char *path)
{
	char key[128];
	const char *dot;
	size_t n;

	while (obj != NULL && *path != '\0') {
		dot = strchr(path, '.');
		n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		obj = cJSON_GetObjectItemCaseSensitive(obj, key);
		path += n + (dot != NULL);
	}
	return obj;
}

/* Reads all of stdin. */
static int
cli_read_stdin(char **data, size_t *len)
{
	struct buf b = {0};
	char tmp[65536];
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, tmp, sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			buf_free(&b);
			return -errno;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > CLI_MAX_INPUT) {
			buf_free(&b);
			return TD_ETOOBIG;
		}
		buf_append(&b, tmp, (size_t)n);
	}
	buf_reserve(&b, 0);
	*len = b.len;
	*data = buf_steal(&b);
	return 0;
}

int
cli_read_input(const char *path, const char *what, char **data, size_t *len)
{
	size_t n = 0;
	int rc;

	if (strcmp(path, "-") == 0)
		rc = cli_read_stdin(data, &n);
	else
		rc = td_read_file(path, CLI_MAX_INPUT, data, &n);
	if (rc != 0) {
		cli_err("cannot read %s (%s): %s", what,
		    strcmp(path, "-") == 0 ? "stdin" : path, td_strerror(rc));
		return CLI_USAGE;
	}
	if (len != NULL)
		*len = n;
	return 0;
}
