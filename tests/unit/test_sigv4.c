/*
 * test_sigv4.c - daemon/sigv4.c against signatures made by botocore
 * (SigV4Auth, service sagemaker, region us-east-1, 2026-11-26T17:11:10Z),
 * and against every way a request can be wrong: another body, another
 * secret, an unknown key, a stale date, a scope for another service,
 * unsigned Host, malformed headers, bad credential files.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/http.h"
#include "daemon/sigv4.h"
#include "err.h"
#include "t.h"

#define NOW	1795713070	/* 20261126T171110Z */
#define ID	"AKIDEXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define DATE	"20261126T171110Z"
#define CRED	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/sagemaker/aws4_request, "

/* botocore's signatures of three requests. */
#define SIG_LIST	"3a846ae1cef40bd0fecaa56be4b14e9302e67806ce6dd16d15c05e7a204d1239"
#define SIG_INVOKE	"9e9b67060cf956cf403c5d95300461a6700184a3a297aaac9eb3554ef8de4d60"
#define SIG_PING	"1412bbbaf501a9005ff1f6206fab0fb1684ff16b8a5b57361a9f07b56999abec"

struct req {
	struct http_header	 h[16];
	struct http_request	 r;
};

static void
list_req(struct req *q, const char *auth)
{
	memset(q, 0, sizeof(*q));
	q->h[0] = (struct http_header){ "host", "127.0.0.1:8080" };
	q->h[1] = (struct http_header){ "x-amz-target", "SageMaker.ListTrainingJobs" };
	q->h[2] = (struct http_header){ "content-type", "application/x-amz-json-1.1" };
	q->h[3] = (struct http_header){ "x-amz-date", DATE };
	q->h[4] = (struct http_header){ "authorization", auth };
	q->h[5] = (struct http_header){ "content-length", "2" };
	q->r = (struct http_request){ .method = "POST", .path = "/", .query = "",
	    .headers = q->h, .n_headers = 6, .body = "{}", .body_len = 2,
	    .peer = "127.0.0.1:1" };
}

static struct sigv4_keys *
keys(const char *text)
{
	char path[] = "/tmp/test_sigv4.XXXXXX", err[256] = "";
	struct sigv4_keys *k = NULL;
	int fd = mkstemp(path);

	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	if (sigv4_keys_load(path, &k, err, sizeof(err)) != 0)
		T_FAIL("load: %s", err);
	unlink(path);
	return k;
}

static int
verify(struct sigv4_keys *k, const struct req *q, time_t now, const char *type)
{
	struct apierr e = { 0 };
	int rc = sigv4_verify(k, &q->r, now, &e);

	if (type == NULL) {
		if (rc != 0)
			T_FAIL("refused: %s: %s", e.type, e.message);
		return 0;
	}
	if (rc != -EACCES)
		T_FAIL("accepted, expected %s", type);
	T_EQ_STR(e.type, type);
	T_ASSERT(e.message[0] != '\0');
	return rc;
}

static void
t_botocore_signatures_verify(void)
{
	struct sigv4_keys *k = keys("# one key\n\n" ID " " SECRET "\n");
	struct req q;

	list_req(&q, CRED "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
	    "Signature=" SIG_LIST);
	verify(k, &q, NOW, NULL);
	verify(k, &q, NOW + 14 * 60, NULL);

	/* The data plane: another path, another set of signed headers. */
	memset(&q, 0, sizeof(q));
	q.h[0] = (struct http_header){ "content-type", "text/csv" };
	q.h[1] = (struct http_header){ "host", "127.0.0.1:8080" };
	q.h[2] = (struct http_header){ "x-amz-date", DATE };
	q.h[3] = (struct http_header){ "authorization", CRED
	    "SignedHeaders=content-type;host;x-amz-date, Signature=" SIG_INVOKE };
	q.r = (struct http_request){ .method = "POST",
	    .path = "/endpoints/my-ep/invocations", .query = "", .headers = q.h,
	    .n_headers = 4, .body = "1,2,3\n", .body_len = 6 };
	verify(k, &q, NOW, NULL);
	q.r.path = "/endpoints/my-ep2/invocations";
	verify(k, &q, NOW, "InvalidSignatureException");

	/* A query string: decoded, re-encoded and sorted. */
	memset(&q, 0, sizeof(q));
	q.h[0] = (struct http_header){ "host", "localhost" };
	q.h[1] = (struct http_header){ "x-amz-date", DATE };
	q.h[2] = (struct http_header){ "authorization", CRED
	    "SignedHeaders=host;x-amz-date, Signature=" SIG_PING };
	q.r = (struct http_request){ .method = "GET", .path = "/ping",
	    .query = "b=2&a=1&a=0&c=%2F%20x", .headers = q.h, .n_headers = 3,
	    .body = "", .body_len = 0 };
	verify(k, &q, NOW, NULL);
	q.r.query = "b=2&a=1&a=0&c=%2F%20y";
	verify(k, &q, NOW, "InvalidSignatureException");
	sigv4_keys_free(k);
}

static void
t_tampering_is_refused(void)
{
	struct sigv4_keys *k = keys(ID " " SECRET "\n");
	struct sigv4_keys *other = keys(ID " wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ\n");
	struct sigv4_keys *nokey = keys("AKIDOTHER " SECRET "\n");
	const char *good = CRED "SignedHeaders=content-type;host;x-amz-date;"
	    "x-amz-target, Signature=" SIG_LIST;
	struct req q;

	list_req(&q, good);
	verify(other, &q, NOW, "InvalidSignatureException");
	verify(nokey, &q, NOW, "UnrecognizedClientException");
	/* Another body, another target, another host. */
	q.r.body = "[]";
	verify(k, &q, NOW, "InvalidSignatureException");
	list_req(&q, good);
	q.h[1].value = "SageMaker.DeleteEndpoint";
	verify(k, &q, NOW, "InvalidSignatureException");
	list_req(&q, good);
	q.h[0].value = "127.0.0.1:8081";
	verify(k, &q, NOW, "InvalidSignatureException");
	/* A signature one digit off. */
	list_req(&q, CRED "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
	    "Signature=3a846ae1cef40bd0fecaa56be4b14e9302e67806ce6dd16d15c05e7a204d1238");
	verify(k, &q, NOW, "InvalidSignatureException");
	/* The body hash a client claims must be the body's. */
	list_req(&q, good);
	q.h[6] = (struct http_header){ "x-amz-content-sha256", "UNSIGNED-PAYLOAD" };
	q.r.n_headers = 7;
	verify(k, &q, NOW, "InvalidSignatureException");
	/* Stale or future dates: replayed after 15 minutes, or a bad clock. */
	list_req(&q, good);
	verify(k, &q, NOW + 15 * 60 + 1, "InvalidSignatureException");
	verify(k, &q, NOW - 15 * 60 - 1, "InvalidSignatureException");
	sigv4_keys_free(k);
	sigv4_keys_free(other);
	sigv4_keys_free(nokey);
}

static void
t_malformed_authorization(void)
{
	struct sigv4_keys *k = keys(ID " " SECRET "\n");
	static const struct {
		const char *auth, *type;
	} cases[] = {
		{ "", "IncompleteSignatureException" },
		{ "Basic QUtJRDpzZWNyZXQ=", "IncompleteSignatureException" },
		{ "AWS4-HMAC-SHA256", "IncompleteSignatureException" },
		{ "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/"
		    "sagemaker/aws4_request, Signature=" SIG_LIST,
		    "IncompleteSignatureException" },
		{ "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host;"
		    "x-amz-date, Signature=" SIG_LIST, "IncompleteSignatureException" },
		{ "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2026112/us-east-1/"
		    "sagemaker/aws4_request, SignedHeaders=host;x-amz-date, "
		    "Signature=" SIG_LIST, "IncompleteSignatureException" },
		{ CRED "SignedHeaders=host;x-amz-date, Signature=abc",
		    "IncompleteSignatureException" },
		/* Scoped to another service or another day. */
		{ "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/"
		    "s3/aws4_request, SignedHeaders=host;x-amz-date, Signature="
		    SIG_LIST, "InvalidSignatureException" },
		{ "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/"
		    "sagemaker/aws4_request, SignedHeaders=host;x-amz-date, "
		    "Signature=" SIG_LIST, "InvalidSignatureException" },
		/* Host and the date must be signed; names sorted, lower case. */
		{ CRED "SignedHeaders=content-type;x-amz-date, Signature=" SIG_LIST,
		    "InvalidSignatureException" },
		{ CRED "SignedHeaders=content-type;host, Signature=" SIG_LIST,
		    "IncompleteSignatureException" },
		{ CRED "SignedHeaders=host;content-type;x-amz-date, Signature="
		    SIG_LIST, "InvalidSignatureException" },
		{ CRED "SignedHeaders=Host;x-amz-date, Signature=" SIG_LIST,
		    "InvalidSignatureException" },
		{ CRED "SignedHeaders=host;host;x-amz-date, Signature=" SIG_LIST,
		    "InvalidSignatureException" },
		{ CRED "SignedHeaders=host;x-amz-date;x-missing, Signature=" SIG_LIST,
		    "InvalidSignatureException" },
	};
	struct req q;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		list_req(&q, cases[i].auth);
		verify(k, &q, NOW, cases[i].type);
	}
	/* No Authorization at all. */
	list_req(&q, "x");
	q.r.n_headers = 4;
	verify(k, &q, NOW, "MissingAuthenticationTokenException");
	/* A bad X-Amz-Date. */
	list_req(&q, CRED "SignedHeaders=content-type;host;x-amz-date;"
	    "x-amz-target, Signature=" SIG_LIST);
	q.h[3].value = "2026-11-26T17:11:10Z";
	verify(k, &q, NOW, "IncompleteSignatureException");
	q.h[3].value = "20261399T171110Z";
	verify(k, &q, NOW, "IncompleteSignatureException");
	sigv4_keys_free(k);
}

static int
load_file(const char *text, mode_t mode, char *err, size_t errlen)
{
	char path[] = "/tmp/test_sigv4.XXXXXX";
	struct sigv4_keys *k = NULL;
	int fd = mkstemp(path), rc;

	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
	rc = sigv4_keys_load(path, &k, err, errlen);
	T_ASSERT((rc == 0) == (k != NULL));
	sigv4_keys_free(k);
	unlink(path);
	return rc;
}

static void
t_credential_files(void)
{
	char err[256];

	T_EQ_INT(load_file("a b\n# c\n  d e  \n", 0600, err, sizeof(err)), 0);
	T_EQ_INT(load_file("a b\n", 0640, err, sizeof(err)), -EACCES);
	T_ASSERT(strstr(err, "chmod 600") != NULL);
	T_EQ_INT(load_file("a b\n", 0604, err, sizeof(err)), -EACCES);
	T_EQ_INT(load_file("", 0600, err, sizeof(err)), TD_EFORMAT);
	T_EQ_INT(load_file("# only a comment\n", 0600, err, sizeof(err)), TD_EFORMAT);
	T_EQ_INT(load_file("a b\nonlyone\n", 0600, err, sizeof(err)), TD_EFORMAT);
	T_ASSERT(strstr(err, "line 2") != NULL);
	T_EQ_INT(load_file("a b c\n", 0600, err, sizeof(err)), TD_EFORMAT);
	T_EQ_INT(load_file("a b\xff\n", 0600, err, sizeof(err)), TD_EFORMAT);
	T_ASSERT(sigv4_keys_load("/nonexistent/creds", &(struct sigv4_keys *){ 0 },
	    err, sizeof(err)) == -ENOENT);
	T_ASSERT(sigv4_keys_load("/tmp", &(struct sigv4_keys *){ 0 }, err,
	    sizeof(err)) != 0);
}

static void
t_check_skips_unix_and_ping(void)
{
	struct apierr e = { 0 };
	struct req q;
	char err[256], path[] = "/tmp/test_sigv4.XXXXXX";
	int fd;

	list_req(&q, "x");
	q.r.n_headers = 4;		/* no Authorization */
	T_EQ_INT(sigv4_enabled(), 0);
	T_EQ_INT(sigv4_check(&q.r, &e), 0);
	fd = mkstemp(path);
	T_ASSERT(write(fd, ID " " SECRET "\n", strlen(ID " " SECRET "\n")) > 0);
	close(fd);
	T_EQ_INT(sigv4_configure(path, err, sizeof(err)), 0);
	unlink(path);
	T_EQ_INT(sigv4_enabled(), 1);
	T_EQ_INT(sigv4_check(&q.r, &e), -EACCES);
	T_EQ_STR(e.type, "MissingAuthenticationTokenException");
	T_EQ_INT(e.status, 400);
	q.r.is_unix = 1;
	T_EQ_INT(sigv4_check(&q.r, &e), 0);
	q.r.is_unix = 0;
	q.r.method = "GET";
	q.r.path = "/ping";
	T_EQ_INT(sigv4_check(&q.r, &e), 0);
	q.r.path = "/endpoints/e/invocations";
	q.r.method = "POST";
	memset(&e, 0, sizeof(e));
	T_EQ_INT(sigv4_check(&q.r, &e), -EACCES);
	T_EQ_INT(e.status, 403);
}

T_MAIN(T_CASE(t_botocore_signatures_verify), T_CASE(t_tampering_is_refused),
    T_CASE(t_malformed_authorization), T_CASE(t_credential_files),
    T_CASE(t_check_skips_unix_and_ping))
