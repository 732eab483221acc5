/*
 * arn.c - api_arn() (see api.h): the ARNs the API answers with.
 *
 * On its own so that a handler's unit test links the real one without
 * the dispatch table of api.c. No state, no I/O.
 */
#include "api.h"
#include "buf.h"

char *
api_arn(const char *kind, const char *name)
{
	struct buf b = { 0 };
	const char *p;

	/* SageMaker's shape; names are case-insensitive, ARNs lower-case. */
	buf_printf(&b, "arn:aws:sagemaker:local:000000000000:%s/", kind);
	for (p = name; *p != '\0'; p++)
		buf_putc(&b, (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p);
	return buf_steal(&b);
}
