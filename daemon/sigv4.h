/*
 * sigv4.h - AWS Signature Version 4 verification of API requests.
 *
 * With credentials configured (tunerd --credentials FILE), every request
 * that arrives over TCP must carry a valid SigV4 Authorization header
 * for the service "sagemaker" (any region), as boto3, the AWS CLI and
 * `tuner` (libcurl's CURLOPT_AWS_SIGV4) send it. The unix socket is
 * authenticated by its mode and peer credentials instead and is not
 * checked; neither is GET /ping.
 *
 * The credentials file: one key per line, "ACCESS_KEY_ID SECRET_KEY"
 * separated by blanks; blank lines and lines starting with '#' are
 * ignored. It must be a regular file not readable or writable by group
 * or others (like ssh's private keys), else it is refused.
 *
 * Failures are answered the way AWS JSON services answer them (HTTP 400
 * on POST /, 403 elsewhere): MissingAuthenticationTokenException (no
 * Authorization), IncompleteSignatureException (a malformed one),
 * UnrecognizedClientException (unknown access key id),
 * InvalidSignatureException (wrong signature, wrong body hash, a date
 * more than 15 minutes off, a wrong service or scope).
 *
 * Ownership: the credential table belongs to this module for the life of
 * the process (sigv4_configure() once at start); sigv4_keys_*() are the
 * same operations on a table the caller owns (for tests).
 */
#ifndef TD_SIGV4_H
#define TD_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "apierr.h"

struct http_request;
struct sigv4_keys;

#define SIGV4_SERVICE		"sagemaker"
#define SIGV4_MAX_SKEW_S	(15 * 60)

/*
 * Loads path into a table the caller owns (sigv4_keys_free). Returns 0,
 * or a negative code with a message for a person in err (which file,
 * which line, what is wrong).
 */
int sigv4_keys_load(const char *path, struct sigv4_keys **out, char *err,
    size_t errlen);
void sigv4_keys_free(struct sigv4_keys *k);

/*
 * Verifies req against keys at time now. Returns 0 when the signature is
 * valid; otherwise -EACCES with e filled (type, status, message).
 */
int sigv4_verify(const struct sigv4_keys *k, const struct http_request *req,
    time_t now, struct apierr *e);

/* Loads the process-wide table (see sigv4_keys_load); once, at start. */
int sigv4_configure(const char *path, char *err, size_t errlen);
/* 1 when sigv4_configure() succeeded. */
int sigv4_enabled(void);
/*
 * The daemon's check of one request: 0 when it may proceed (no
 * credentials configured, the unix socket, GET /ping, or a valid
 * signature); else -EACCES with e filled.
 */
int sigv4_check(const struct http_request *req, struct apierr *e);

#endif
