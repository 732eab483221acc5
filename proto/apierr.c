/*
 * apierr.c - filling an API error.
 */
#include <stdio.h>

#include "apierr.h"
#include "err.h"

int
apierr_set(struct apierr *e, const char *type, const char *fmt, ...)
{
	va_list ap;

	e->type = type;
	if (e->status == 0)
		e->status = 400;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return TD_EINVAL;
}
