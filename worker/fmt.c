/*
 * fmt.c - bounded formatting (see fmt.h). No state.
 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"
#include "fmt.h"

void
fmt_msg(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;

	if (outlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
}

int
fmt_path(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return TD_EINVAL;
	}
	return 0;
}
