/*
 * serve.c - `tunerd-worker serve` (see serve.h): the model server of one
 * endpoint instance.
 *
 * Owns, for a built-in model: the loaded model, the HTTP listener on
 * loopback (daemon/http.c, the daemon's own server, keep-alive and
 * limits included) and the answers: GET /ping 200 once the model is
 * loaded; POST /invocations with a JSON body as TensorFlow Serving takes
 * it (a bare nested list, {"instances": ...} or {"inputs": ...}),
 * text/csv rows or application/x-npy, answered as {"predictions":
 * [[v, ...], ...]} (%.17g numbers, so they read back to the same doubles),
 * or as CSV / .npy when Accept asks; a bad body is a 400 whose message
 * names the problem (a wrong feature count names both counts).
 * For Script Mode: unpacking the model and exec'ing the user's server.
 * Never talks to the daemon: tunerd watches this process and pings it.
 *
 * Prediction runs on the loop thread: one instance is one process with
 * one thread, and tunerd runs as many instances as the variant asks for.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <uv.h>

#include "buf.h"
#include "daemon/http.h"
#include "err.h"
#include "log.h"
#include "serve.h"
#include "util.h"

#ifdef WORKER_HAVE_BUILTIN
#include "ml.h"
#endif

#define SERVE_DEFAULT_PORT	8080	/* SageMaker's, when nothing says otherwise */
#define SERVE_MAX_BODY		(64u << 20)
#define SERVE_WATCH_MS		2000	/* how often the socket file is checked */

static const char serve_usage[] =
"usage: tunerd-worker serve --model PATH [--port N] [--host ADDR] [--socket PATH]\n"
"       tunerd-worker serve --exec --model-dir DIR [--model PATH] --image IMAGE\n"
"\n"
"Serves a model under SageMaker's inference contract: GET /ping and\n"
"POST /invocations on ADDR:N (default 127.0.0.1 and $SAGEMAKER_BIND_TO_PORT,\n"
"else 8080). tunerd starts one per endpoint instance.\n"
"  --model PATH      a built-in model: model.tar.gz, its directory or the\n"
"                    model file; with --exec, the model data to unpack\n"
"  --socket PATH     also listen on this unix socket (mode 0600)\n"
"  --exec            Script Mode: unpack --model into --model-dir, set\n"
"                    SM_MODEL_DIR and exec \"<runtime> $SAGEMAKER_PROGRAM serve\"\n"
"                    (the code from $SAGEMAKER_SUBMIT_DIRECTORY, DIR/code or\n"
"                    DIR), or \"IMAGE serve\" without SAGEMAKER_PROGRAM\n";

struct serve_opts {
	const char	*model;
	const char	*socket;
	const char	*model_dir;
	const char	*image;
	const char	*host;
	long		 port;
	int		 exec;
};

static int
serve_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
serve_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("tunerd-worker serve: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int
parse_opts(int argc, char **argv, struct serve_opts *o)
{
	const char *env = getenv("SAGEMAKER_BIND_TO_PORT");
	int i;

	o->host = "127.0.0.1";
	o->port = SERVE_DEFAULT_PORT;
	if (env != NULL && td_parse_long(env, 1, 65535, &o->port) != 0)
		return serve_fail("SAGEMAKER_BIND_TO_PORT=%s is not a port", env);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--exec") == 0) {
			o->exec = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(serve_usage, stdout);
			exit(0);
		}
		if (v == NULL)
			return serve_fail("%s needs a value\n%s", a, serve_usage);
		if (strcmp(a, "--model") == 0)
			o->model = v;
		else if (strcmp(a, "--model-dir") == 0)
			o->model_dir = v;
		else if (strcmp(a, "--image") == 0)
			o->image = v;
		else if (strcmp(a, "--host") == 0)
			o->host = v;
		else if (strcmp(a, "--socket") == 0)
			o->socket = v;
		else if (strcmp(a, "--port") == 0) {
			if (td_parse_long(v, 0, 65535, &o->port) != 0)
				return serve_fail("--port %s is not a port", v);
		} else
			return serve_fail("unknown option %s\n%s", a, serve_usage);
		i++;
	}
	if (o->exec && (o->model_dir == NULL || o->image == NULL))
		return serve_fail("--exec needs --model-dir and --image");
	if (!o->exec && o->model == NULL)
		return serve_fail("--model is required\n%s", serve_usage);
	return 0;
}

/* ---- Script Mode: unpack and exec ----------------------------------------- */

/* Unpacks the archive at path into the current directory (no escapes). */
static int
unpack(const char *path, char *err, size_t errlen)
{
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	struct archive_entry *ent;
	int r, rc = 0;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		snprintf(err, errlen, "%s: %s", path, archive_error_string(a));
		rc = TD_EFORMAT;
		goto out;
	}
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		if (archive_write_header(w, ent) != ARCHIVE_OK) {
			snprintf(err, errlen, "%s: %s: %s", path,
			    archive_entry_pathname(ent), archive_error_string(w));
			rc = TD_EFORMAT;
			goto out;
		}
		for (;;) {
			const void *buf;
			size_t size;
			la_int64_t off;

			r = archive_read_data_block(a, &buf, &size, &off);
			if (r == ARCHIVE_EOF)
				break;
			if (r != ARCHIVE_OK ||
			    archive_write_data_block(w, buf, size, off) !=
			    ARCHIVE_OK) {
				snprintf(err, errlen, "%s: %s: %s", path,
				    archive_entry_pathname(ent),
				    archive_error_string(r != ARCHIVE_OK ? a : w));
				rc = TD_EFORMAT;
				goto out;
			}
		}
		if (archive_write_finish_entry(w) != ARCHIVE_OK) {
			snprintf(err, errlen, "%s: %s: %s", path,
			    archive_entry_pathname(ent), archive_error_string(w));
			rc = TD_EFORMAT;
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		snprintf(err, errlen, "%s: %s", path, archive_error_string(a));
		rc = TD_EFORMAT;
	}
out:
	archive_read_free(a);
	archive_write_free(w);
	return rc;
}

/* Unpacks path into dir (created); a directory or plain file is linked in. */
static int
place_model(const char *path, const char *dir)
{
	char err[512], cwd[PATH_MAX];
	struct buf link = { 0 };
	const char *base;
	struct stat st;
	int rc;

	if (stat(path, &st) != 0)
		return serve_fail("model data %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return serve_fail("model data %s is not a file", path);
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(dir) != 0)
		return serve_fail("%s: %s", dir, strerror(errno));
	rc = unpack(path, err, sizeof(err));
	if (chdir(cwd) != 0)
		return serve_fail("%s: %s", cwd, strerror(errno));
	if (rc == 0)
		return 0;
	/* Not an archive: the file itself is the model. */
	base = strrchr(path, '/');
	buf_puts(&link, dir);
	buf_putc(&link, '/');
	buf_puts(&link, base != NULL ? base + 1 : path);
	rc = symlink(path, link.data) != 0 ? serve_fail("%s: %s", link.data,
	    strerror(errno)) : 0;
	buf_free(&link);
	return rc;
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* An executable named like execvp() finds it; *out the caller's. */
static int
which(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *e;
	size_t n = strlen(name);

	if (strchr(name, '/') != NULL) {
		if (n >= len)
			return -1;
		memcpy(out, name, n + 1);
		return access(name, X_OK) == 0 && !is_dir(name) ? 0 : -1;
	}
	for (p = path ? path : "/usr/bin:/bin"; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		snprintf(out, len, "%.*s/%s", (int)(e - p), p, name);
		if (access(out, X_OK) == 0 && !is_dir(out))
			return 0;
	}
	return -1;
}

/* Where the program's code is (SageMaker's SAGEMAKER_SUBMIT_DIRECTORY rules). */
static int
code_dir(const char *model_dir, char *out, size_t len)
{
	const char *sub = getenv("SAGEMAKER_SUBMIT_DIRECTORY"), *p;

	if (sub == NULL || *sub == '\0' ||
	    strcmp(sub, "/opt/ml/model/code") == 0) {
		snprintf(out, len, "%s/code", model_dir);
		if (!is_dir(out))
			snprintf(out, len, "%s", model_dir);
		return 0;
	}
	p = strncmp(sub, "file://", 7) == 0 ? sub + 7 : sub;
	if (p[0] != '/')
		return serve_fail("SAGEMAKER_SUBMIT_DIRECTORY=%s is not available "
		    "locally: give a directory or a .tar.gz as a path or "
		    "file:// URI", sub);
	if (is_dir(p)) {
		snprintf(out, len, "%s", p);
		return 0;
	}
	snprintf(out, len, "%s/code", model_dir);
	if (mkdir(out, 0755) != 0 && errno != EEXIST)
		return serve_fail("%s: %s", out, strerror(errno));
	return place_model(p, out);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
serve_exec(const struct serve_opts *o)
{
	const char *prog = getenv("SAGEMAKER_PROGRAM");
	char code[PATH_MAX], entry[PATH_MAX], runtime[PATH_MAX];
	char *argv[4] = { NULL };
	int rc, n;

	if (o->model_dir == NULL || o->image == NULL)
		return serve_fail("--exec needs --model-dir and --image");
	if ((rc = td_rm_rf(o->model_dir)) != 0 ||
	    (rc = td_mkdir_p(o->model_dir, 0755)) != 0)
		return serve_fail("%s: %s", o->model_dir, td_strerror(rc));
	if (o->model != NULL && is_dir(o->model)) {
		/* A model directory is used in place. */
		setenv("SM_MODEL_DIR", o->model, 1);
	} else {
		if (o->model != NULL && place_model(o->model, o->model_dir) != 0)
			return 1;
		setenv("SM_MODEL_DIR", o->model_dir, 1);
	}
	if (code_dir(getenv("SM_MODEL_DIR"), code, sizeof(code)) != 0)
		return 1;
	if (prog != NULL && *prog != '\0') {
		n = snprintf(entry, sizeof(entry), "%s%s%s", prog[0] == '/' ?
		    "" : code, prog[0] == '/' ? "" : "/", prog);
		if (n < 0 || (size_t)n >= sizeof(entry) ||
		    access(entry, R_OK) != 0)
			return serve_fail("SAGEMAKER_PROGRAM %s: not found in %s "
			    "(SAGEMAKER_SUBMIT_DIRECTORY %s)", prog, code,
			    getenv("SAGEMAKER_SUBMIT_DIRECTORY") ?
			    getenv("SAGEMAKER_SUBMIT_DIRECTORY") : "unset");
		if (which(o->image, runtime, sizeof(runtime)) == 0) {
			argv[0] = runtime;
		} else if (strchr(o->image, '/') != NULL ||
		    strchr(o->image, ':') != NULL) {
			/* A container image reference: run the entry by its kind. */
			if (ends_with(prog, ".py"))
				argv[0] = "python3";
			else if (ends_with(prog, ".sh"))
				argv[0] = "/bin/sh";
		} else {
			return serve_fail("runtime %s (the model's Image) is not "
			    "found on PATH", o->image);
		}
		rc = 0;
		if (argv[0] != NULL)
			argv[rc++] = argv[0];
		argv[rc++] = entry;
		argv[rc++] = "serve";
		argv[rc] = NULL;
	} else {
		if (which(o->image, runtime, sizeof(runtime)) != 0)
			return serve_fail("%s (the model's Image) is no program "
			    "on PATH, and no SAGEMAKER_PROGRAM names a Script Mode "
			    "entry point", o->image);
		argv[0] = runtime;
		argv[1] = "serve";
	}
	if (chdir(code) != 0)
		return serve_fail("%s: %s", code, strerror(errno));
	setenv("PYTHONUNBUFFERED", "1", 0);
	fprintf(stderr, "tunerd-worker serve: SM_MODEL_DIR=%s; running %s %s%s%s "
	    "in %s\n", getenv("SM_MODEL_DIR"), argv[0], argv[1],
	    argv[2] ? " " : "", argv[2] ? argv[2] : "", code);
	fflush(stderr);
	execvp(argv[0], argv);
	serve_fail("cannot run %s: %s", argv[0], strerror(errno));
	return 127;
}

/* ---- the built-in model server ------------------------------------------------ */

#ifdef WORKER_HAVE_BUILTIN

struct serve_state {
	struct ml_model		*model;
	struct http_server	*srv;
	uv_signal_t		 sigterm, sigint;
	uv_timer_t		 watch;		/* is the socket file still ours? */
	const char		*socket;
	struct buf		 out;
	unsigned long		 requests;
};

enum fmt { FMT_NONE, FMT_JSON, FMT_CSV, FMT_NPY };

/* The media type of a header value's first item, without parameters. */
static enum fmt
media_type(const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
#define IS(s) (n == sizeof(s) - 1 && strncasecmp(v, s, n) == 0)
	if (IS("application/json") || IS("application/jsonlines") ||
	    IS("*/*") || IS("application/*"))
		return FMT_JSON;
	if (IS("text/csv"))
		return FMT_CSV;
	if (IS("application/x-npy"))
		return FMT_NPY;
#undef IS
	return FMT_NONE;
}

static enum fmt
content_format(const char *ctype, const char *body, size_t len)
{
	size_t i = 0;

	if (ctype != NULL && *ctype != '\0' &&
	    strncasecmp(ctype, "application/octet-stream", 24) != 0)
		return media_type(ctype, strcspn(ctype, ";"));
	/* No useful type: tell the three apart by their first bytes. */
	if (len >= 6 && memcmp(body, "\x93NUMPY", 6) == 0)
		return FMT_NPY;
	while (i < len && (body[i] == ' ' || body[i] == '\n' ||
	    body[i] == '\r' || body[i] == '\t'))
		i++;
	return i < len && (body[i] == '[' || body[i] == '{') ? FMT_JSON :
	    FMT_CSV;
}

/* The first type of an Accept list we can write; JSON when none is given. */
static enum fmt
accept_format(const char *accept)
{
	const char *p = accept;
	enum fmt f;

	if (accept == NULL || *accept == '\0')
		return FMT_JSON;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if ((f = media_type(p, strcspn(p, ";") < n ? strcspn(p, ";") :
		    n)) != FMT_NONE)
			return f;
		p += n;
		if (*p == ',')
			p++;
	}
	return FMT_NONE;
}

static void
put_num(struct buf *b, double v)
{
	char tmp[32];
	int n;

	if (!isfinite(v)) {
		buf_append(b, "null", 4);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	buf_append(b, tmp, (size_t)n);
}

static void
write_json(struct buf *b, const struct ml_matrix *y)
{
	size_t i, j;

	buf_append(b, "{\"predictions\":[", 16);
	for (i = 0; i < y->rows; i++) {
		buf_append(b, i ? ",[" : "[", i ? 2 : 1);
		for (j = 0; j < y->cols; j++) {
			if (j > 0)
				buf_putc(b, ',');
			put_num(b, y->data[i * y->cols + j]);
		}
		buf_putc(b, ']');
	}
	buf_append(b, "]}", 2);
}

static void
write_csv(struct buf *b, const struct ml_matrix *y)
{
	size_t i, j;

	for (i = 0; i < y->rows; i++) {
		for (j = 0; j < y->cols; j++) {
			if (j > 0)
				buf_putc(b, ',');
			put_num(b, y->data[i * y->cols + j]);
		}
		buf_putc(b, '\n');
	}
}

/* .npy version 1.0 of little-endian float64, C order. */
static void
write_npy(struct buf *b, const struct ml_matrix *y)
{
	char hdr[128];
	size_t i, pad;
	int n;

	n = snprintf(hdr, sizeof(hdr), "{'descr': '<f8', 'fortran_order': "
	    "False, 'shape': (%zu, %zu), }", y->rows, y->cols);
	/* Magic (6) + version (2) + length (2) + header + '\n', to 64 bytes. */
	pad = 63 - ((10 + (size_t)n) % 64);
	buf_append(b, "\x93NUMPY\x01\x00", 8);
	buf_putc(b, (char)((n + (int)pad + 1) & 0xff));
	buf_putc(b, (char)(((n + (int)pad + 1) >> 8) & 0xff));
	buf_append(b, hdr, (size_t)n);
	for (i = 0; i < pad; i++)
		buf_putc(b, ' ');
	buf_putc(b, '\n');
	/* x86-64 and aarch64 Linux are little-endian. */
	buf_append(b, y->data, y->rows * y->cols * sizeof(double));
}

static void
reply_error(struct http_conn *conn, int status, const char *msg)
{
	struct buf b = { 0 };

	buf_puts(&b, "{\"error\":");
	buf_json_str(&b, msg, strlen(msg));
	buf_putc(&b, '}');
	http_respond(conn, status, "application/json", b.data, b.len, NULL);
	buf_free(&b);
}

static void
invocations(struct serve_state *st, struct http_conn *conn,
    const struct http_request *req)
{
	const char *ctype = http_req_header(req, "content-type");
	enum fmt in = content_format(ctype, req->body, req->body_len);
	enum fmt outf = accept_format(http_req_header(req, "accept"));
	struct ml_matrix x = { 0 }, y = { 0 };
	char err[512];
	int rc = TD_EINVAL;

	if (outf == FMT_NONE) {
		snprintf(err, sizeof(err), "unsupported Accept: %s; ask for "
		    "application/json, text/csv or application/x-npy",
		    http_req_header(req, "accept"));
		reply_error(conn, 406, err);
		return;
	}
	err[0] = '\0';
	switch (in) {
	case FMT_JSON:
		rc = ml_matrix_parse_json(req->body, req->body_len, &x, err,
		    sizeof(err));
		break;
	case FMT_CSV:
		rc = ml_matrix_parse_csv(req->body, req->body_len, &x, err,
		    sizeof(err));
		break;
	case FMT_NPY:
		rc = ml_matrix_parse_npy(req->body, req->body_len, &x, err,
		    sizeof(err));
		break;
	case FMT_NONE:
		snprintf(err, sizeof(err), "unsupported Content-Type: %s; send "
		    "application/json, text/csv or application/x-npy", ctype);
		reply_error(conn, 415, err);
		return;
	}
	if (rc == 0 && (rc = ml_model_predict(st->model, &x, &y, err,
	    sizeof(err))) == 0) {
		st->out.len = 0;
		if (outf == FMT_JSON)
			write_json(&st->out, &y);
		else if (outf == FMT_CSV)
			write_csv(&st->out, &y);
		else
			write_npy(&st->out, &y);
		http_respond(conn, 200, outf == FMT_JSON ? "application/json" :
		    outf == FMT_CSV ? "text/csv" : "application/x-npy",
		    st->out.data, st->out.len, NULL);
		if (st->out.cap > (1u << 20))
			buf_free(&st->out);
	} else {
		reply_error(conn, 400, err[0] ? err : td_strerror(rc));
	}
	ml_matrix_free(&x);
	ml_matrix_free(&y);
}

static void
on_request(struct http_conn *conn, const struct http_request *req, void *arg)
{
	struct serve_state *st = arg;

	st->requests++;
	if (strcmp(req->path, "/invocations") == 0) {
		if (strcmp(req->method, "POST") != 0)
			reply_error(conn, 405, "use POST /invocations");
		else
			invocations(st, conn, req);
	} else if (strcmp(req->path, "/ping") == 0) {
		http_respond(conn, 200, "text/plain", "", 0, NULL);
	} else if (strcmp(req->path, "/execution-parameters") == 0) {
		static const char ep[] = "{\"MaxConcurrentTransforms\":1,"
		    "\"BatchStrategy\":\"MULTI_RECORD\",\"MaxPayloadInMB\":6}";

		http_respond(conn, 200, "application/json", ep, sizeof(ep) - 1,
		    NULL);
	} else {
		reply_error(conn, 404, "no such path: the model server answers "
		    "GET /ping and POST /invocations");
	}
}

static void
serve_stop(struct serve_state *st)
{
	http_server_close(st->srv);
	uv_close((uv_handle_t *)&st->sigterm, NULL);
	uv_close((uv_handle_t *)&st->sigint, NULL);
	if (st->watch.data != NULL)
		uv_close((uv_handle_t *)&st->watch, NULL);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct serve_state *st = h->data;

	fprintf(stderr, "tunerd-worker serve: signal %d after %lu requests; "
	    "stopping\n", signum, st->requests);
	serve_stop(st);
}

/*
 * The server outlives a daemon restart on purpose, but not its endpoint:
 * once the socket file tunerd reaches it through is gone (the endpoint's
 * directory or the whole state directory removed without DeleteEndpoint),
 * no tunerd will ever find this server again, so it stops.
 */
static void
on_watch(uv_timer_t *t)
{
	struct serve_state *st = t->data;

	if (!http_unix_gone(st->srv))
		return;
	fprintf(stderr, "tunerd-worker serve: %s was removed; no tunerd can "
	    "reach this server any more; stopping after %lu requests\n",
	    st->socket, st->requests);
	serve_stop(st);
}

static int
serve_builtin(const struct serve_opts *o)
{
	struct serve_state st = { 0 };
	struct http_limits lim;
	uv_loop_t *loop = uv_default_loop();
	char err[512];
	int rc, bound = 0;

	if (ml_model_load(o->model, &st.model, err, sizeof(err)) != 0)
		return serve_fail("cannot load the model %s: %s", o->model, err);
	http_limits_default(&lim);
	lim.max_body_bytes = SERVE_MAX_BODY;
	if ((st.srv = http_server_new(loop, &lim, on_request, &st)) == NULL)
		return serve_fail("out of memory");
	if ((rc = http_listen_tcp(st.srv, o->host, (int)o->port, &bound)) != 0) {
		serve_fail("cannot listen on %s:%ld: %s", o->host, o->port,
		    td_strerror(rc));
		http_server_close(st.srv);
		uv_run(loop, UV_RUN_DEFAULT);
		ml_model_free(st.model);
		return 1;
	}
	if (o->socket != NULL &&
	    (rc = http_listen_unix(st.srv, o->socket)) != 0) {
		serve_fail("cannot listen on %s: %s", o->socket,
		    td_strerror(rc));
		http_server_close(st.srv);
		uv_run(loop, UV_RUN_DEFAULT);
		ml_model_free(st.model);
		return 1;
	}
	uv_signal_init(loop, &st.sigterm);
	uv_signal_init(loop, &st.sigint);
	st.sigterm.data = st.sigint.data = &st;
	uv_signal_start(&st.sigterm, on_signal, SIGTERM);
	uv_signal_start(&st.sigint, on_signal, SIGINT);
	if (o->socket != NULL) {
		st.socket = o->socket;
		uv_timer_init(loop, &st.watch);
		st.watch.data = &st;
		uv_timer_start(&st.watch, on_watch, SERVE_WATCH_MS,
		    SERVE_WATCH_MS);
		uv_unref((uv_handle_t *)&st.watch);
	}
	printf("tunerd-worker serve: model %s (%zu inputs, %zu outputs) on "
	    "http://%s:%d\n", o->model, ml_model_n_inputs(st.model),
	    ml_model_n_outputs(st.model), o->host, bound);
	fflush(stdout);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	buf_free(&st.out);
	ml_model_free(st.model);
	return 0;
}

#else

static int
serve_builtin(const struct serve_opts *o)
{
	return serve_fail("built-in models are not part of this build; cannot "
	    "serve %s", o->model);
}

#endif

int
serve_main(int argc, char **argv)
{
	struct serve_opts o = { 0 };

	signal(SIGPIPE, SIG_IGN);
	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	return o.exec ? serve_exec(&o) : serve_builtin(&o);
}
