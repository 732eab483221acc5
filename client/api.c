/*
 * api.c - the client's only HTTP code: one libcurl easy handle, one
 * connection to tunerd (unix socket by default, TCP with --endpoint-url),
 * AWS JSON 1.1 requests and error decoding.
 *
 * Owns struct api and libcurl's global state; never formats output except
 * the two error lines (cannot reach tunerd, API error). Created lazily on
 * the first call so commands that never talk to tunerd pay nothing, and
 * reused so a polling loop keeps one keep-alive connection.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"
#include "paths.h"

struct api {
	CURL	*easy;
	char	*base;		/* "http://localhost" or the endpoint URL, no trailing '/' */
	char	*sock;		/* unix socket path, or NULL for TCP */
	char	*sigv4;		/* "aws:amz:<region>:sagemaker" when signing */
	char	 errbuf[CURL_ERROR_SIZE];
};

/*
 * Over TCP, requests are signed with AWS SigV4 (service sagemaker) when
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set, as a tunerd started
 * with --credentials requires; the region is AWS_REGION, else
 * AWS_DEFAULT_REGION, else us-east-1. The unix socket is never signed.
 */
static void
api_sigv4(struct api *a)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *region = getenv("AWS_REGION");
	struct buf b = {0};

	if (a->sock != NULL || id == NULL || *id == '\0' || secret == NULL ||
	    *secret == '\0')
		return;
	if (region == NULL || *region == '\0')
		region = getenv("AWS_DEFAULT_REGION");
	if (region == NULL || *region == '\0')
		region = "us-east-1";
	buf_printf(&b, "aws:amz:%s:sagemaker", region);
	a->sigv4 = buf_steal(&b);
	curl_easy_setopt(a->easy, CURLOPT_AWS_SIGV4, a->sigv4);
	curl_easy_setopt(a->easy, CURLOPT_USERNAME, id);
	curl_easy_setopt(a->easy, CURLOPT_PASSWORD, secret);
}

static size_t
api_write_cb(char *p, size_t size, size_t n, void *arg)
{
	buf_append(arg, p, size * n);
	return size * n;
}

const char *
cli_socket(struct cli *c)
{
	char *state;

	if (c->socket != NULL)
		return c->socket;
	if (c->socket_buf == NULL) {
		state = td_default_state_dir();
		c->socket_buf = td_default_socket(state);
		free(state);
	}
	return c->socket_buf;
}

static struct api *
api_new(struct cli *c)
{
	struct api *a;
	const char *url = c->endpoint_url;
	size_t len;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	/* Plain HTTP needs no TLS set-up; skip its cost unless asked for. */
	if (url != NULL && strncmp(url, "https:", 6) == 0)
		curl_global_init(CURL_GLOBAL_DEFAULT);
	else
		curl_global_init(CURL_GLOBAL_NOTHING);
	if ((a->easy = curl_easy_init()) == NULL) {
		free(a);
		return NULL;
	}
	if (url != NULL) {
		a->base = strdup(url);
		len = strlen(a->base);
		while (len > 0 && a->base[len - 1] == '/')
			a->base[--len] = '\0';
	} else {
		a->base = strdup("http://localhost");
		if (cli_socket(c) != NULL)
			a->sock = strdup(cli_socket(c));
	}
	curl_easy_setopt(a->easy, CURLOPT_ERRORBUFFER, a->errbuf);
	curl_easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, api_write_cb);
	curl_easy_setopt(a->easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(a->easy, CURLOPT_NOSIGNAL, 1L);
	/* tunerd is local: never go through an http_proxy from the environment. */
	curl_easy_setopt(a->easy, CURLOPT_PROXY, "");
	curl_easy_setopt(a->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	/* No call blocks in tunerd; a stuck one should not hang a script forever. */
	curl_easy_setopt(a->easy, CURLOPT_TIMEOUT_MS, 600000L);
	curl_easy_setopt(a->easy, CURLOPT_USERAGENT, "tuner/" TUNERD_VERSION);
	if (a->sock != NULL)
		curl_easy_setopt(a->easy, CURLOPT_UNIX_SOCKET_PATH, a->sock);
	api_sigv4(a);
	return a;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	curl_easy_cleanup(a->easy);
	free(a->base);
	free(a->sock);
	free(a->sigv4);
	free(a);
	curl_global_cleanup();
}

void
api_describe_url(struct cli *c, const char *path, struct buf *out)
{
	if (c->endpoint_url != NULL) {
		size_t len = strlen(c->endpoint_url);

		while (len > 0 && c->endpoint_url[len - 1] == '/')
			len--;
		buf_printf(out, "%.*s%s", (int)len, c->endpoint_url, path);
	} else {
		buf_printf(out, "http://localhost%s (unix socket %s)", path,
		    cli_socket(c) != NULL ? cli_socket(c) : "?");
	}
}

/* Says why tunerd cannot be reached and how to fix it. */
static void
api_conn_error(struct cli *c, struct api *a, CURLcode rc)
{
	struct stat st;
	const char *why = a->errbuf[0] != '\0' ? a->errbuf :
	    curl_easy_strerror(rc);

	if (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
	    rc == CURLE_PARTIAL_FILE || rc == CURLE_OPERATION_TIMEDOUT) {
		/* Connected, but no whole answer: tunerd died or hung mid-request. */
		cli_err("tunerd gave no complete answer (%s: %s); check its log",
		    a->sock != NULL ? a->sock : c->endpoint_url, why);
	} else if (a->sock != NULL) {
		if (stat(a->sock, &st) == -1)
			why = strerror(errno);
		else if (!S_ISSOCK(st.st_mode))
			why = "not a socket";
		else if (rc == CURLE_COULDNT_CONNECT)
			why = "connection refused";
		cli_err("cannot reach tunerd (unix socket %s: %s); start it "
		    "with 'tunerd -d --socket %s' or pass --socket PATH",
		    a->sock, why, a->sock);
	} else if (c->endpoint_url != NULL) {
		cli_err("cannot reach tunerd (%s: %s); start it with "
		    "'tunerd -d --listen HOST:PORT' or check --endpoint-url",
		    c->endpoint_url, why);
	} else {
		cli_err("cannot reach tunerd (no socket path: set HOME, "
		    "TUNERD_SOCKET or pass --socket PATH)");
	}
}

int
api_request(struct cli *c, const char *path, const char *const *headers,
    const char *body, size_t len, struct buf *out, long *status)
{
	struct curl_slist *hl = NULL;
	struct buf url = {0};
	CURLcode rc;
	size_t i;

	if (c->api == NULL && (c->api = api_new(c)) == NULL) {
		cli_err("cannot initialise libcurl (out of memory)");
		return CLI_CONN;
	}
	if (c->api->sock == NULL && c->endpoint_url == NULL) {
		api_conn_error(c, c->api, CURLE_OK);
		return CLI_CONN;
	}
	buf_printf(&url, "%s%s", c->api->base, path);
	/* An empty Expect: stops libcurl waiting for 100-continue on big
	 * bodies. Not when signing: libcurl 7.88 signs it as a header it then
	 * does not send (tunerd answers 100-continue at once anyway). */
	if (c->api->sigv4 == NULL)
		hl = curl_slist_append(hl, "Expect:");
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	c->api->errbuf[0] = '\0';
	curl_easy_setopt(c->api->easy, CURLOPT_URL, url.data);
	curl_easy_setopt(c->api->easy, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c->api->easy, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	curl_easy_setopt(c->api->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)(body != NULL ? len : 0));
	curl_easy_setopt(c->api->easy, CURLOPT_WRITEDATA, out);
	rc = curl_easy_perform(c->api->easy);
	curl_easy_setopt(c->api->easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	buf_free(&url);
	if (rc != CURLE_OK) {
		api_conn_error(c, c->api, rc);
		return CLI_CONN;
	}
	curl_easy_getinfo(c->api->easy, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

void
api_error_parse(const char *body, long status, struct api_error *e)
{
	cJSON *j = body != NULL ? cJSON_Parse(body) : NULL;
	const char *type = NULL, *msg = NULL, *hash;

	memset(e, 0, sizeof(*e));
	e->status = status;
	if (cJSON_IsObject(j)) {
		type = cli_jstr(j, "__type");
		if ((msg = cli_jstr(j, "message")) == NULL)
			msg = cli_jstr(j, "Message");
	}
	/* Some services send "namespace#Type"; keep the type. */
	if (type != NULL && (hash = strrchr(type, '#')) != NULL)
		type = hash + 1;
	snprintf(e->type, sizeof(e->type), "%s",
	    type != NULL ? type : "HTTPError");
	if (msg != NULL)
		snprintf(e->message, sizeof(e->message), "%s", msg);
	else if (body != NULL && *body != '\0' && !cJSON_IsObject(j))
		snprintf(e->message, sizeof(e->message), "HTTP %ld: %.200s",
		    status, body);
	else
		snprintf(e->message, sizeof(e->message), "HTTP %ld", status);
	cJSON_Delete(j);
}

int
api_call(struct cli *c, const char *target, const cJSON *req, cJSON **resp,
    struct api_error *e)
{
	char hdr[256], *body;
	const char *headers[3];
	const char *op = strchr(target, '.') != NULL ?
	    strchr(target, '.') + 1 : target;
	struct buf out = {0};
	struct api_error local;
	long status = 0;
	int rc;

	*resp = NULL;
	snprintf(hdr, sizeof(hdr), "X-Amz-Target: %s", target);
	headers[0] = hdr;
	headers[1] = "Content-Type: application/x-amz-json-1.1";
	headers[2] = NULL;
	body = req != NULL ? cJSON_PrintUnformatted(req) : NULL;
	rc = api_request(c, "/", headers, body != NULL ? body : "{}",
	    body != NULL ? strlen(body) : 2, &out, &status);
	cJSON_free(body);
	if (rc != 0) {
		buf_free(&out);
		return rc;
	}
	if (e == NULL)
		e = &local;
	if (status >= 200 && status < 300) {
		*resp = cJSON_ParseWithLength(out.data != NULL ? out.data : "",
		    out.len);
		if (*resp != NULL) {
			buf_free(&out);
			return 0;
		}
		memset(e, 0, sizeof(*e));
		e->status = status;
		snprintf(e->type, sizeof(e->type), "InvalidResponse");
		snprintf(e->message, sizeof(e->message),
		    "the response is not JSON: %.200s",
		    out.data != NULL ? out.data : "");
	} else {
		api_error_parse(out.data, status, e);
	}
	buf_free(&out);
	if (e == &local)
		cli_err("%s: %s (%s)", e->type, e->message, op);
	return CLI_API;
}
