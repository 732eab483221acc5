/*
 * log.c - stderr logging with a timestamp and the program name.
 * Owns nothing but two statics set once by log_init().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *log_prog = "tunerd";
static int log_verbose;

void
log_init(const char *progname, int verbose)
{
	log_prog = progname;
	log_verbose = verbose;
}

int
log_verbosity(void)
{
	return log_verbose;
}

static void
log_vemit(const char *level, const char *fmt, va_list ap, const char *cause)
{
	char msg[2048], ts[32];
	struct timespec now;
	struct tm tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	if (cause != NULL)
		fprintf(stderr, "%s.%03ldZ %s %s: %s: %s\n", ts,
		    now.tv_nsec / 1000000, log_prog, level, msg, cause);
	else
		fprintf(stderr, "%s.%03ldZ %s %s: %s\n", ts,
		    now.tv_nsec / 1000000, log_prog, level, msg);
}

#define LOG_BODY(level, cause)                  \
	va_list ap;                             \
	va_start(ap, fmt);                      \
	log_vemit(level, fmt, ap, cause);       \
	va_end(ap)

void
log_info(const char *fmt, ...)
{
	LOG_BODY("info", NULL);
}

void
log_debug(const char *fmt, ...)
{
	if (log_verbose < 1)
		return;
	LOG_BODY("debug", NULL);
}

void
log_warn(const char *fmt, ...)
{
	const char *cause = strerror(errno);

	LOG_BODY("warning", cause);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY("warning", NULL);
}

void
fatal(const char *fmt, ...)
{
	const char *cause = strerror(errno);

	LOG_BODY("fatal", cause);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY("fatal", NULL);
	exit(1);
}
