/*
 * apierr.h - an API error as SageMaker shapes it: HTTP 400 with
 * {"__type": "<type>", "message": "<message>"}.
 *
 * Decoders and handlers fill one of these at the edge where a person reads
 * the message; everything below them returns plain negative codes (err.h).
 */
#ifndef TD_APIERR_H
#define TD_APIERR_H

#include <stdarg.h>

#define APIERR_VALIDATION	"ValidationException"
#define APIERR_NOT_FOUND	"ResourceNotFound"
#define APIERR_IN_USE		"ResourceInUse"
#define APIERR_LIMIT		"ResourceLimitExceeded"
#define APIERR_UNKNOWN_OP	"UnknownOperationException"
#define APIERR_SERIALIZATION	"SerializationException"
#define APIERR_INTERNAL		"InternalFailure"

struct apierr {
	const char	*type;		/* one of APIERR_*; NULL when no error */
	int		 status;	/* HTTP status, 400 unless set */
	char		 message[1024];
};

/* Sets type and a printf-style message; returns TD_EINVAL for convenience. */
int apierr_set(struct apierr *e, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
