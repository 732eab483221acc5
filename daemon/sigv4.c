/*
 * sigv4.c - AWS Signature Version 4 verification (see sigv4.h).
 *
 * Owns: the credential table (one per process, loaded at start, never
 * changed) and the rebuilding of a request's canonical form. Never
 * touches the store, the loop or the answer: the caller replies with the
 * apierr it gets.
 *
 * Invariants: a request passes only if the signature it carries equals,
 * in constant time, the HMAC-SHA256 we compute from its method, path,
 * query, the headers it lists as signed (host and x-amz-date or date
 * among them), the SHA-256 of the body it really has, its date within
 * SIGV4_MAX_SKEW_S of ours, and the secret of its access key id. Every
 * string taken from the request is bounded before use; nothing is
 * allocated per request beyond small growable buffers.
 *
 * The canonical form follows AWS's documentation of SigV4 for services
 * other than S3: the path as received is URI-encoded once more (each
 * byte but unreserved ones and '/'), query parameters are decoded,
 * re-encoded and sorted, header values are trimmed with inner runs of
 * blanks collapsed, and repeated headers are joined with ','.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "sigv4.h"
#include "util.h"

#define ALGORITHM	"AWS4-HMAC-SHA256"
#define MAX_KEYS	64
#define MAX_ID		128
#define MAX_SECRET	128
#define MAX_AUTH	4096
#define MAX_SIGNED	64	/* signed headers */

struct sigv4_key {
	char	id[MAX_ID + 1];
	char	secret[MAX_SECRET + 1];
};

struct sigv4_keys {
	struct sigv4_key	keys[MAX_KEYS];
	size_t			n;
};

static struct sigv4_keys *the_keys;

/* ---- credentials ------------------------------------------------------ */

static int
load_fail(char *err, size_t errlen, int rc, const char *fmt, const char *path,
    int line)
{
	char what[256];

	snprintf(what, sizeof(what), fmt, line);
	snprintf(err, errlen, "%s: %s", path, what);
	return rc;
}

/* An access key id or secret: printable ASCII without blanks. */
static int
token_ok(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

static int
parse_keys(char *text, struct sigv4_keys *k, const char *path, char *err,
    size_t errlen)
{
	char *line = text, *next, *p, *id, *secret;
	size_t idn, sn;
	int lineno = 0;

	for (; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		p = line;
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		id = p;
		idn = strcspn(id, " \t\r");
		secret = id + idn;
		secret += strspn(secret, " \t");
		sn = strcspn(secret, " \t\r");
		if (secret[sn + strspn(secret + sn, " \t\r")] != '\0' ||
		    !token_ok(id, idn, MAX_ID) || !token_ok(secret, sn, MAX_SECRET))
			return load_fail(err, errlen, TD_EFORMAT, "line %d: expected "
			    "'ACCESS_KEY_ID SECRET_ACCESS_KEY' (printable, at most "
			    "128 characters each)", path, lineno);
		if (k->n == MAX_KEYS)
			return load_fail(err, errlen, TD_ELIMIT, "line %d: more "
			    "than 64 keys", path, lineno);
		memcpy(k->keys[k->n].id, id, idn);
		k->keys[k->n].id[idn] = '\0';
		memcpy(k->keys[k->n].secret, secret, sn);
		k->keys[k->n].secret[sn] = '\0';
		k->n++;
	}
	if (k->n == 0) {
		snprintf(err, errlen, "%s: no key in the file (expected lines "
		    "'ACCESS_KEY_ID SECRET_ACCESS_KEY')", path);
		return TD_EFORMAT;
	}
	return 0;
}

int
sigv4_keys_load(const char *path, struct sigv4_keys **out, char *err,
    size_t errlen)
{
	struct sigv4_keys *k;
	struct stat st;
	char *text = NULL;
	size_t len;
	int fd, rc;

	*out = NULL;
	/* Checked on the open file, so the checked file is the one read. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &st) == -1) {
		rc = -errno;
		if (fd != -1)
			close(fd);
		snprintf(err, errlen, "%s: %s", path, td_strerror(rc));
		return rc;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return TD_EINVAL;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %03o lets other users read or "
		    "change the secrets; chmod 600 it", path,
		    (unsigned int)(st.st_mode & 0777));
		return -EACCES;
	}
	if ((rc = td_read_file(path, 64 * 1024, &text, &len)) != 0) {
		snprintf(err, errlen, "%s: %s", path, td_strerror(rc));
		return rc;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		free(text);
		return TD_ENOMEM;
	}
	if ((rc = parse_keys(text, k, path, err, errlen)) != 0) {
		OPENSSL_cleanse(k, sizeof(*k));
		free(k);
	} else {
		*out = k;
	}
	OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

void
sigv4_keys_free(struct sigv4_keys *k)
{
	if (k == NULL)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

static const struct sigv4_key *
key_find(const struct sigv4_keys *k, const char *id, size_t n)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strlen(k->keys[i].id) == n && memcmp(k->keys[i].id, id, n) == 0)
			return &k->keys[i];
	return NULL;
}

/* ---- hashing ------------------------------------------------------------ */

static void
hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return TD_EIO;
	hex(md, 32, out);
	return 0;
}

static int
hmac(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[32])
{
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n) == NULL ||
	    n != 32)
		return TD_EIO;
	return 0;
}

/* ---- the canonical request ------------------------------------------- */

static int
unreserved(unsigned char ch)
{
	return isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~';
}

static void
uri_encode(struct buf *b, const char *s, size_t n, int keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (unreserved(ch) || (keep_slash && ch == '/')) {
			buf_putc(b, (char)ch);
		} else {
			buf_putc(b, '%');
			buf_putc(b, digits[ch >> 4]);
			buf_putc(b, digits[ch & 15]);
		}
	}
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) ('+' stays '+', as AWS signs it). */
static void
uri_decode(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			buf_putc(b, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_putc(b, s[i]);
		}
	}
}

struct qparam {
	char	*key;		/* encoded */
	char	*val;		/* encoded */
};

static int
cmp_qparam(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : strcmp(x->val, y->val);
}

static char *
reencode(const char *s, size_t n)
{
	struct buf dec = { 0 }, enc = { 0 };

	uri_decode(&dec, s, n);
	uri_encode(&enc, dec.data ? dec.data : "", dec.len, 0);
	buf_free(&dec);
	if (enc.data == NULL)
		buf_puts(&enc, "");
	return buf_steal(&enc);
}

/* The canonical query string: every parameter re-encoded, sorted. */
static int
canonical_query(struct buf *b, const char *query)
{
	struct qparam *ps = NULL;
	size_t n = 0, i;
	const char *p = query;

	while (*p != '\0') {
		size_t len = strcspn(p, "&"), kl;
		const char *eq;

		if (len > 0) {
			if (n == 256) {
				for (i = 0; i < n; i++) {
					free(ps[i].key);
					free(ps[i].val);
				}
				free(ps);
				return TD_ELIMIT;
			}
			if ((ps = realloc(ps, (n + 1) * sizeof(*ps))) == NULL)
				abort();
			eq = memchr(p, '=', len);
			kl = eq != NULL ? (size_t)(eq - p) : len;
			ps[n].key = reencode(p, kl);
			ps[n].val = eq != NULL ? reencode(eq + 1, len - kl - 1) :
			    reencode("", 0);
			n++;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	if (n > 1)
		qsort(ps, n, sizeof(*ps), cmp_qparam);
	for (i = 0; i < n; i++) {
		buf_printf(b, "%s%s=%s", i ? "&" : "", ps[i].key, ps[i].val);
		free(ps[i].key);
		free(ps[i].val);
	}
	free(ps);
	return 0;
}

/* A header's values (all occurrences, joined with ','), trimmed. */
static int
canonical_header(struct buf *b, const struct http_request *req,
    const char *name, size_t nlen)
{
	size_t i, found = 0;

	for (i = 0; i < req->n_headers; i++) {
		const char *v = req->headers[i].value, *end;
		int space = 0;

		if (strlen(req->headers[i].name) != nlen ||
		    strncmp(req->headers[i].name, name, nlen) != 0)
			continue;
		if (found++)
			buf_putc(b, ',');
		while (*v == ' ' || *v == '\t')
			v++;
		end = v + strlen(v);
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		for (; v < end; v++) {
			if (*v == ' ' || *v == '\t') {
				space = 1;
				continue;
			}
			if (space)
				buf_putc(b, ' ');
			space = 0;
			buf_putc(b, *v);
		}
	}
	return found > 0 ? 0 : TD_ENOTFOUND;
}

/* ---- the Authorization header ------------------------------------------ */

struct auth {
	const char	*id;
	size_t		 id_len;
	const char	*scope;		/* date/region/service/aws4_request */
	size_t		 scope_len;
	const char	*date;		/* yyyymmdd within scope */
	const char	*region;
	size_t		 region_len;
	const char	*service;
	size_t		 service_len;
	const char	*signed_hdrs;	/* "a;b;c" */
	size_t		 signed_len;
	const char	*sig;
	size_t		 sig_len;
};

static int
deny(struct apierr *e, int status, const char *type, const char *msg)
{
	e->status = status;
	apierr_set(e, type, "%s", msg);
	return -EACCES;
}

/* Finds "name=value" among the comma-separated parts of s. */
static int
auth_part(const char *s, const char *name, const char **v, size_t *n)
{
	size_t nl = strlen(name);
	const char *p = s;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			*v = p + nl + 1;
			*n = strcspn(*v, ", ");
			return 0;
		}
		p += strcspn(p, ",");
	}
	return TD_ENOTFOUND;
}

static int
parse_auth(const char *h, struct auth *a)
{
	const char *cred, *p, *slash[4];
	size_t cl, i;

	memset(a, 0, sizeof(*a));
	if (strlen(h) > MAX_AUTH || strncmp(h, ALGORITHM " ",
	    sizeof(ALGORITHM)) != 0)
		return TD_EINVAL;
	h += sizeof(ALGORITHM);
	if (auth_part(h, "Credential", &cred, &cl) != 0 ||
	    auth_part(h, "SignedHeaders", &a->signed_hdrs, &a->signed_len) != 0 ||
	    auth_part(h, "Signature", &a->sig, &a->sig_len) != 0)
		return TD_EINVAL;
	/* Credential=<id>/<yyyymmdd>/<region>/<service>/aws4_request */
	for (i = 0, p = cred; i < 4; i++, p++) {
		const char *s = memchr(p, '/', cl - (size_t)(p - cred));

		if (s == NULL)
			return TD_EINVAL;
		slash[i] = p = s;
	}
	a->id = cred;
	a->id_len = (size_t)(slash[0] - cred);
	a->scope = slash[0] + 1;
	a->scope_len = cl - a->id_len - 1;
	a->date = a->scope;
	a->region = slash[1] + 1;
	a->region_len = (size_t)(slash[2] - a->region);
	a->service = slash[2] + 1;
	a->service_len = (size_t)(slash[3] - a->service);
	if (a->id_len == 0 || slash[1] - a->date != 8 || a->region_len == 0 ||
	    (size_t)(cred + cl - (slash[3] + 1)) != sizeof("aws4_request") - 1 ||
	    strncmp(slash[3] + 1, "aws4_request", 12) != 0 ||
	    a->signed_len == 0 || a->sig_len != 64)
		return TD_EINVAL;
	return 0;
}

static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "yyyymmddThhmmssZ" to epoch seconds. */
static int
parse_amz_date(const char *s, time_t *out)
{
	struct tm tm = { 0 };

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return TD_EINVAL;
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 4, 2) - 1;
	tm.tm_mday = digits(s + 6, 2);
	tm.tm_hour = digits(s + 9, 2);
	tm.tm_min = digits(s + 11, 2);
	tm.tm_sec = digits(s + 13, 2);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
	    tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 60)
		return TD_EINVAL;
	*out = timegm(&tm);
	return 0;
}

/* The date of an HTTP Date header (IMF-fixdate), as "yyyymmddThhmmssZ". */
static int
http_date(const char *s, char out[17], time_t *t)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);

	if (end == NULL || *end != '\0')
		return TD_EINVAL;
	*t = timegm(&tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
	return 0;
}

/* strcmp of two counted strings. */
static int
cmp_n(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c != 0 ? c : (an > bn) - (an < bn);
}

static int
signed_has(const struct auth *a, const char *name)
{
	size_t nl = strlen(name);
	const char *p = a->signed_hdrs, *end = p + a->signed_len;

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t len = semi ? (size_t)(semi - p) : (size_t)(end - p);

		if (len == nl && strncmp(p, name, nl) == 0)
			return 1;
		p += len + 1;
	}
	return 0;
}

/*
 * The canonical request of req as signed by a; -1 when a signed header
 * is missing or malformed (then *what says which).
 */
static int
canonical_request(const struct http_request *req, const struct auth *a,
    const char *payload_hash, struct buf *cr, const char **what)
{
	const char *p = a->signed_hdrs, *end = p + a->signed_len;
	const char *prev = NULL;
	size_t prevlen = 0, count = 0;

	buf_printf(cr, "%s\n", req->method);
	uri_encode(cr, req->path, strlen(req->path), 1);
	buf_putc(cr, '\n');
	if (canonical_query(cr, req->query) != 0) {
		*what = "too many query parameters";
		return -1;
	}
	buf_putc(cr, '\n');
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t len = semi ? (size_t)(semi - p) : (size_t)(end - p), i;

		/* Lower case, sorted, unique: as every signer sends them. */
		for (i = 0; i < len; i++)
			if (isupper((unsigned char)p[i]) || p[i] <= ' ')
				break;
		if (len == 0 || i < len || ++count > MAX_SIGNED ||
		    (prev != NULL && cmp_n(prev, prevlen, p, len) >= 0)) {
			*what = "SignedHeaders must be lower-case names, sorted, "
			    "each once";
			return -1;
		}
		buf_append(cr, p, len);
		buf_putc(cr, ':');
		if (canonical_header(cr, req, p, len) != 0) {
			*what = "a header listed in SignedHeaders is missing";
			return -1;
		}
		buf_putc(cr, '\n');
		prev = p;
		prevlen = len;
		p += len + 1;
	}
	buf_putc(cr, '\n');
	buf_append(cr, a->signed_hdrs, a->signed_len);
	buf_printf(cr, "\n%s", payload_hash);
	return 0;
}

static int
signing_key(const struct sigv4_key *key, const struct auth *a,
    unsigned char out[32])
{
	char k0[4 + MAX_SECRET + 1];
	unsigned char k1[32], k2[32], k3[32];
	int rc;

	snprintf(k0, sizeof(k0), "AWS4%s", key->secret);
	rc = hmac(k0, strlen(k0), a->date, 8, k1);
	if (rc == 0)
		rc = hmac(k1, 32, a->region, a->region_len, k2);
	if (rc == 0)
		rc = hmac(k2, 32, a->service, a->service_len, k3);
	if (rc == 0)
		rc = hmac(k3, 32, "aws4_request", 12, out);
	OPENSSL_cleanse(k0, sizeof(k0));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
	return rc;
}

int
sigv4_verify(const struct sigv4_keys *k, const struct http_request *req,
    time_t now, struct apierr *e)
{
	const int st = strcmp(req->path, "/") == 0 ? 400 : 403;
	const char *h = http_req_header(req, "authorization"), *what = NULL;
	const char *amz, *claimed;
	const struct sigv4_key *key;
	struct auth a;
	struct buf cr = { 0 }, sts = { 0 };
	char body_hash[65], cr_hash[65], date[17], msg[256], sig[65];
	unsigned char skey[32], mac[32];
	time_t t;
	int rc;

	if (h == NULL)
		return deny(e, st, "MissingAuthenticationTokenException",
		    "Missing Authentication Token");
	if (parse_auth(h, &a) != 0)
		return deny(e, st, "IncompleteSignatureException", "Authorization "
		    "header requires 'Credential', 'Signature' and "
		    "'SignedHeaders' parameters of the AWS4-HMAC-SHA256 "
		    "algorithm.");
	if ((key = key_find(k, a.id, a.id_len)) == NULL)
		return deny(e, st, "UnrecognizedClientException", "The security "
		    "token included in the request is invalid.");
	if (a.service_len != strlen(SIGV4_SERVICE) ||
	    strncmp(a.service, SIGV4_SERVICE, a.service_len) != 0)
		return deny(e, st, "InvalidSignatureException", "Credential "
		    "should be scoped to correct service: 'sagemaker'.");
	if (!signed_has(&a, "host"))
		return deny(e, st, "InvalidSignatureException", "'Host' must be "
		    "a 'SignedHeader' in the AWS Authorization.");
	if ((amz = http_req_header(req, "x-amz-date")) != NULL) {
		if (!signed_has(&a, "x-amz-date") || parse_amz_date(amz, &t) != 0)
			return deny(e, st, "IncompleteSignatureException",
			    "X-Amz-Date must be a signed header in the form "
			    "yyyyMMddTHHmmssZ.");
		snprintf(date, sizeof(date), "%s", amz);
	} else if ((amz = http_req_header(req, "date")) != NULL &&
	    signed_has(&a, "date") && http_date(amz, date, &t) == 0) {
		/* date filled */
	} else {
		return deny(e, st, "IncompleteSignatureException", "Authorization "
		    "requires a signed X-Amz-Date (or Date) header.");
	}
	if (t < now - SIGV4_MAX_SKEW_S || t > now + SIGV4_MAX_SKEW_S) {
		snprintf(msg, sizeof(msg), "Signature expired: %s is not within "
		    "15 minutes of the server's time; check the client's clock",
		    date);
		return deny(e, st, "InvalidSignatureException", msg);
	}
	if (strncmp(a.date, date, 8) != 0)
		return deny(e, st, "InvalidSignatureException", "Date in "
		    "Credential scope does not match YYYYMMDD from ISO-8601 "
		    "version of date from HTTP.");
	if (sha256_hex(req->body, req->body_len, body_hash) != 0)
		return deny(e, 500, "InternalFailure", "cannot hash the body");
	/* A client may send the body's hash; it must be the body's. */
	claimed = http_req_header(req, "x-amz-content-sha256");
	if (claimed != NULL && strcmp(claimed, body_hash) != 0)
		return deny(e, st, "InvalidSignatureException", "The provided "
		    "x-amz-content-sha256 header does not match what was "
		    "computed.");
	if (canonical_request(req, &a, body_hash, &cr, &what) != 0) {
		buf_free(&cr);
		return deny(e, st, "InvalidSignatureException", what);
	}
	rc = sha256_hex(cr.data, cr.len, cr_hash);
	buf_printf(&sts, ALGORITHM "\n%s\n%.*s\n%s", date, (int)a.scope_len,
	    a.scope, cr_hash);
	if (rc == 0)
		rc = signing_key(key, &a, skey);
	if (rc == 0)
		rc = hmac(skey, 32, sts.data, sts.len, mac);
	buf_free(&cr);
	buf_free(&sts);
	OPENSSL_cleanse(skey, sizeof(skey));
	if (rc != 0)
		return deny(e, 500, "InternalFailure", "cannot compute the "
		    "signature");
	hex(mac, 32, sig);
	if (CRYPTO_memcmp(sig, a.sig, 64) != 0)
		return deny(e, st, "InvalidSignatureException", "The request "
		    "signature we calculated does not match the signature you "
		    "provided. Check your AWS Secret Access Key and signing "
		    "method. Consult the service documentation for details.");
	return 0;
}

/* ---- the daemon's table ------------------------------------------------ */

int
sigv4_configure(const char *path, char *err, size_t errlen)
{
	struct sigv4_keys *k;
	int rc;

	if ((rc = sigv4_keys_load(path, &k, err, errlen)) != 0)
		return rc;
	sigv4_keys_free(the_keys);
	the_keys = k;
	return 0;
}

int
sigv4_enabled(void)
{
	return the_keys != NULL;
}

int
sigv4_check(const struct http_request *req, struct apierr *e)
{
	if (the_keys == NULL || req->is_unix)
		return 0;
	if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/ping") == 0)
		return 0;
	return sigv4_verify(the_keys, req, time(NULL), e);
}
