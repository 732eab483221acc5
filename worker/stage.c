/*
 * stage.c - files in and out of the job directory (see stage.h).
 *
 * Owns the /opt/ml layout under the job directory, channel data,
 * code/ and the packed model. Never touches events.jsonl, the socket or
 * the log. Invariants: nothing is written outside the job directory except
 * the published copy under a file:// OutputDataConfig path; archives are
 * extracted with libarchive's secure flags (no "..", no absolute paths, no
 * writing through symlinks); every file we create is complete or absent
 * (written as .tmp/.part, then renamed).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dynlib.h"
#include "err.h"
#include "fmt.h"
#include "stage.h"
#include "util.h"

#define STAGE_MAX_DEPTH	64

static int write_all(int fd, const char *p, size_t len);

static int
stage_fail(struct stage_ctx *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
stage_fail(struct stage_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int
pumped(struct stage_ctx *c)
{
	return c->pump != NULL && c->pump(c->arg) != 0;
}

int
stage_layout(const char *dir, char *err, size_t errlen)
{
	static const char *const dirs[] = {
		"input/config", "input/data", "code", "model", "output/data",
		"output/intermediate", "logs", NULL,
	};
	char path[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; dirs[i] != NULL; i++) {
		if ((rc = fmt_path(path, sizeof(path), "%s/%s", dir,
		    dirs[i])) != 0 || (rc = td_mkdir_p(path, 0755)) != 0) {
			fmt_msg(err, errlen, "cannot create %s: %s", path,
			    td_strerror(rc));
			return rc;
		}
	}
	return 0;
}

int
stage_write_file(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, rc;

	if (fmt_path(tmp, sizeof(tmp), "%s.tmp", path) != 0)
		return TD_EINVAL;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -errno;
	rc = write_all(fd, data, len);
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
stage_dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (d == NULL)
		return 1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* ---- URIs ------------------------------------------------------------ */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %XX-decodes s[0..n) into a new string (caller frees). */
static char *
pct_decode(const char *s, size_t n)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			buf_putc(&b, (char)(hexval(s[i + 1]) * 16 +
			    hexval(s[i + 2])));
			i += 2;
		} else {
			buf_putc(&b, s[i]);
		}
	}
	buf_puts(&b, "");
	return buf_steal(&b);
}

enum uri_kind { URI_LOCAL, URI_HTTP, URI_S3, URI_OTHER };

static int
has_prefix(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

/*
 * Classifies a URI; for a local one *path gets the absolute path (caller
 * frees): "/abs", "file:///abs" or "file://localhost/abs".
 */
static enum uri_kind
uri_classify(const char *uri, char **path)
{
	const char *p;

	*path = NULL;
	if (has_prefix(uri, "s3://"))
		return URI_S3;
	if (has_prefix(uri, "http://") || has_prefix(uri, "https://"))
		return URI_HTTP;
	if (uri[0] == '/') {
		*path = strdup(uri);
		return *path != NULL ? URI_LOCAL : URI_OTHER;
	}
	if (!has_prefix(uri, "file://"))
		return URI_OTHER;
	p = uri + 7;
	if (has_prefix(p, "localhost/"))
		p += 9;
	if (*p != '/')
		return URI_OTHER;
	*path = pct_decode(p, strlen(p));
	return URI_LOCAL;
}

/* The last path segment of a URL, decoded and safe as a file name. */
static char *
url_basename(const char *url)
{
	const char *p = strstr(url, "://"), *end, *slash;
	char *name;

	p = p != NULL ? p + 3 : url;
	end = p + strcspn(p, "?#");
	slash = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '/')
			slash = q;
	if (slash == NULL || slash + 1 >= end)
		return strdup("data");
	name = pct_decode(slash + 1, (size_t)(end - slash - 1));
	if (name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		free(name);
		return strdup("data");
	}
	return name;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* name without a trailing ".gz" (a new string). */
static char *
strip_gz(const char *name)
{
	size_t n = strlen(name);

	if (ends_with(name, ".gz") && n > 3)
		return strndup(name, n - 3);
	return strdup(name);
}

/* ---- file copies ----------------------------------------------------- */

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
copy_file(const char *src, const char *dst, mode_t mode)
{
	char chunk[65536];
	int in, out, rc = 0;
	ssize_t n;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0777);
	if (out == -1) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = -errno;
			break;
		}
		if ((rc = write_all(out, chunk, (size_t)n)) != 0)
			break;
	}
	if (rc == 0 && fchmod(out, mode & 0777) == -1)
		rc = -errno;
	if (close(out) == -1 && rc == 0)
		rc = -errno;
	close(in);
	return rc;
}

/* Decompresses a gzip file; a file that is not gzip is an error. */
static int
gunzip_file(const char *src, const char *dst, char *err, size_t errlen)
{
	const struct dyn_archive *da;
	struct archive *a;
	struct archive_entry *ent;
	char chunk[65536];
	la_ssize_t n;
	int out = -1, rc;

	if ((rc = dyn_archive_load(&da, err, errlen)) != 0)
		return rc;
	if ((a = da->read_new()) == NULL)
		return TD_ENOMEM;
	da->read_support_filter_gzip(a);
	da->read_support_format_raw(a);
	if (da->read_open_filename(a, src, 65536) != ARCHIVE_OK ||
	    da->read_next_header(a, &ent) != ARCHIVE_OK) {
		fmt_msg(err, errlen, "%s: %s", src, da->error_string(a));
		rc = TD_EFORMAT;
		goto done;
	}
	if (da->filter_code(a, 0) != ARCHIVE_FILTER_GZIP) {
		fmt_msg(err, errlen, "%s: CompressionType is Gzip but the data "
		    "is not gzip", src);
		rc = TD_EFORMAT;
		goto done;
	}
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		rc = -errno;
		fmt_msg(err, errlen, "%s: %s", dst, strerror(errno));
		goto done;
	}
	while ((n = da->read_data(a, chunk, sizeof(chunk))) > 0) {
		if ((rc = write_all(out, chunk, (size_t)n)) != 0) {
			fmt_msg(err, errlen, "%s: %s", dst, td_strerror(rc));
			goto done;
		}
	}
	if (n < 0) {
		fmt_msg(err, errlen, "%s: %s", src, da->error_string(a));
		rc = TD_EFORMAT;
	}
done:
	if (out != -1 && close(out) == -1 && rc == 0)
		rc = -errno;
	da->read_free(a);
	return rc;
}

static int copy_tree(struct stage_ctx *c, const char *src, const char *dst,
    int gunzip, int depth);

static int
copy_entry(struct stage_ctx *c, const char *src, const char *dst_dir,
    const char *name, int gunzip, int depth)
{
	char dst[PATH_MAX], target[PATH_MAX];
	struct stat st, jst;
	ssize_t n;
	char *plain;
	int rc;

	if (lstat(src, &st) == -1)
		return stage_fail(c, -errno, "%s: %s", src, strerror(errno));
	plain = gunzip && S_ISREG(st.st_mode) ? strip_gz(name) : strdup(name);
	if (plain == NULL)
		return TD_ENOMEM;
	rc = fmt_path(dst, sizeof(dst), "%s/%s", dst_dir, plain);
	free(plain);
	if (rc != 0)
		return stage_fail(c, rc, "%s/%s: path too long", dst_dir, name);
	if (S_ISDIR(st.st_mode)) {
		/* A source tree holding the job directory must not copy it in. */
		if (stat(c->dir, &jst) == 0 && jst.st_dev == st.st_dev &&
		    jst.st_ino == st.st_ino)
			return 0;
		return copy_tree(c, src, dst, gunzip, depth + 1);
	}
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlink(src, target, sizeof(target) - 1)) == -1)
			return stage_fail(c, -errno, "%s: %s", src,
			    strerror(errno));
		target[n] = '\0';
		if (symlink(target, dst) == -1)
			return stage_fail(c, -errno, "%s: %s", dst,
			    strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return 0;	/* sockets, fifos, devices: not data */
	if (gunzip)
		return gunzip_file(src, dst, c->err, c->errlen);
	if ((rc = copy_file(src, dst, st.st_mode)) != 0)
		return stage_fail(c, rc, "copying %s to %s: %s", src, dst,
		    td_strerror(rc));
	return 0;
}

/* Copies src (a directory) to dst recursively, symlinks as symlinks. */
static int
copy_tree(struct stage_ctx *c, const char *src, const char *dst, int gunzip,
    int depth)
{
	struct dirent **names = NULL;
	char child[PATH_MAX];
	int i, n, rc = 0;

	if (depth > STAGE_MAX_DEPTH)
		return stage_fail(c, TD_ELIMIT, "%s: directories nested deeper "
		    "than %d", src, STAGE_MAX_DEPTH);
	if (mkdir(dst, 0755) == -1 && errno != EEXIST)
		return stage_fail(c, -errno, "%s: %s", dst, strerror(errno));
	if ((n = scandir(src, &names, NULL, alphasort)) == -1)
		return stage_fail(c, -errno, "%s: %s", src, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (rc != 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (pumped(c)) {
			rc = TD_ESTATE;
			continue;
		}
		if (fmt_path(child, sizeof(child), "%s/%s", src, name) != 0) {
			rc = stage_fail(c, TD_EINVAL, "%s/%s: path too long",
			    src, name);
			continue;
		}
		rc = copy_entry(c, child, dst, name, gunzip, depth);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- downloads -------------------------------------------------------- */

static size_t
dl_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	int fd = *(int *)arg;

	return write_all(fd, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}

static int
dl_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	return pumped(arg);
}

/* Downloads url to path (via path.part). what names it in errors. */
static int
download(struct stage_ctx *c, const char *what, const char *url,
    const char *path)
{
	char part[PATH_MAX], cerr[CURL_ERROR_SIZE] = "";
	const struct dyn_curl *dc;
	CURL *h;
	CURLcode cc;
	long code = 0;
	int fd, rc;

	if ((rc = dyn_curl_load(&dc, c->err, c->errlen)) != 0)
		return rc;
	if (fmt_path(part, sizeof(part), "%s.part", path) != 0)
		return stage_fail(c, TD_EINVAL, "%s: path too long", path);
	if ((fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return stage_fail(c, -errno, "%s: %s", part, strerror(errno));
	if ((h = dc->easy_init()) == NULL) {
		close(fd);
		return stage_fail(c, TD_ENOMEM, "%s: cannot start libcurl", what);
	}
	dc->easy_setopt(h, CURLOPT_URL, url);
	dc->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	dc->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	dc->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	dc->easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	dc->easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	dc->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	dc->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	dc->easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	dc->easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
	dc->easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	dc->easy_setopt(h, CURLOPT_WRITEFUNCTION, dl_write);
	dc->easy_setopt(h, CURLOPT_WRITEDATA, &fd);
	dc->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	dc->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, dl_progress);
	dc->easy_setopt(h, CURLOPT_XFERINFODATA, c);
	dc->easy_setopt(h, CURLOPT_USERAGENT, "tunerd-worker/" TUNERD_VERSION);
	cc = dc->easy_perform(h);
	dc->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	dc->easy_cleanup(h);
	if (close(fd) == -1 && cc == CURLE_OK)
		cc = CURLE_WRITE_ERROR;
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		unlink(part);
		return TD_ESTATE;
	}
	if (cc != CURLE_OK) {
		unlink(part);
		if (code >= 400)
			return stage_fail(c, TD_EIO, "%s: download of %s failed: "
			    "HTTP %ld", what, url, code);
		return stage_fail(c, TD_EIO, "%s: download of %s failed: %s",
		    what, url, cerr[0] != '\0' ? cerr : dc->easy_strerror(cc));
	}
	if (rename(part, path) == -1)
		return stage_fail(c, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

/* ---- channels -------------------------------------------------------- */

static int
channel_local(struct stage_ctx *c, const struct td_channel *ch,
    const char *path, const char *chdir_path)
{
	char real[PATH_MAX], link[PATH_MAX], *plain;
	int gz = ch->compression != NULL && strcmp(ch->compression, "Gzip") == 0;
	struct stat st;
	int rc;

	if (stat(path, &st) == -1 || realpath(path, real) == NULL)
		return stage_fail(c, -errno, "channel '%s': %s: %s", ch->name,
		    ch->uri, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if (gz) {
			char msg[768];

			rc = copy_tree(c, real, chdir_path, 1, 0);
			if (rc != 0 && rc != TD_ESTATE) {
				fmt_msg(msg, sizeof(msg), "%s", c->err);
				return stage_fail(c, rc, "channel '%s': %s",
				    ch->name, msg);
			}
			return rc;
		}
		if (symlink(real, chdir_path) == -1)
			return stage_fail(c, -errno, "channel '%s': %s: %s",
			    ch->name, chdir_path, strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return stage_fail(c, TD_EINVAL, "channel '%s': %s is neither a "
		    "file nor a directory", ch->name, ch->uri);
	if (mkdir(chdir_path, 0755) == -1 && errno != EEXIST)
		return stage_fail(c, -errno, "channel '%s': %s: %s", ch->name,
		    chdir_path, strerror(errno));
	plain = gz ? strip_gz(base_name(real)) : strdup(base_name(real));
	if (plain == NULL)
		return TD_ENOMEM;
	rc = fmt_path(link, sizeof(link), "%s/%s", chdir_path, plain);
	free(plain);
	if (rc != 0)
		return stage_fail(c, rc, "channel '%s': path too long", ch->name);
	if (gz) {
		char msg[768];

		if ((rc = gunzip_file(real, link, msg, sizeof(msg))) != 0)
			return stage_fail(c, rc, "channel '%s': %s", ch->name,
			    msg);
		return 0;
	}
	if (symlink(real, link) == -1)
		return stage_fail(c, -errno, "channel '%s': %s: %s", ch->name,
		    link, strerror(errno));
	return 0;
}

static int
channel_http(struct stage_ctx *c, const struct td_channel *ch,
    const char *chdir_path)
{
	int gz = ch->compression != NULL && strcmp(ch->compression, "Gzip") == 0;
	char what[128], dst[PATH_MAX], plain_path[PATH_MAX], msg[768];
	char *name = url_basename(ch->uri), *plain;
	int rc;

	if (name == NULL)
		return TD_ENOMEM;
	fmt_msg(what, sizeof(what), "channel '%s'", ch->name);
	if (mkdir(chdir_path, 0755) == -1 && errno != EEXIST) {
		free(name);
		return stage_fail(c, -errno, "%s: %s: %s", what, chdir_path,
		    strerror(errno));
	}
	rc = fmt_path(dst, sizeof(dst), "%s/%s%s", chdir_path, name, gz ?
	    ".download" : "");
	plain = strip_gz(name);
	free(name);
	if (plain == NULL)
		return TD_ENOMEM;
	if (rc == 0)
		rc = fmt_path(plain_path, sizeof(plain_path), "%s/%s",
		    chdir_path, plain);
	free(plain);
	if (rc != 0)
		return stage_fail(c, rc, "%s: path too long", what);
	if ((rc = download(c, what, ch->uri, dst)) != 0 || !gz)
		return rc;
	rc = gunzip_file(dst, plain_path, msg, sizeof(msg));
	unlink(dst);
	if (rc != 0)
		return stage_fail(c, rc, "%s: %s", what, msg);
	return 0;
}

int
stage_channel(struct stage_ctx *c, const struct td_channel *ch)
{
	char chdir_path[PATH_MAX], *path;
	int rc;

	/* The name pattern allows "." and "..": never as a directory. */
	if (strcmp(ch->name, ".") == 0 || strcmp(ch->name, "..") == 0 ||
	    strchr(ch->name, '/') != NULL)
		return stage_fail(c, TD_EINVAL, "channel '%s': not usable as a "
		    "directory name", ch->name);
	if (ch->uri == NULL)
		return stage_fail(c, TD_EINVAL, "channel '%s': no data source",
		    ch->name);
	if (fmt_path(chdir_path, sizeof(chdir_path), "%s/input/data/%s",
	    c->dir, ch->name) != 0)
		return stage_fail(c, TD_EINVAL, "channel '%s': path too long",
		    ch->name);
	/* A retry of the step starts clean. */
	(void)td_rm_rf(chdir_path);
	switch (uri_classify(ch->uri, &path)) {
	case URI_S3:
		return stage_fail(c, TD_EINVAL, "channel '%s': %s: S3 is not "
		    "available locally; use file:// or http(s)://", ch->name,
		    ch->uri);
	case URI_HTTP:
		return channel_http(c, ch, chdir_path);
	case URI_LOCAL:
		rc = channel_local(c, ch, path, chdir_path);
		free(path);
		return rc;
	default:
		return stage_fail(c, TD_EINVAL, "channel '%s': %s: not a "
		    "file://, absolute path or http(s):// URI", ch->name,
		    ch->uri);
	}
}

/* ---- source directory ------------------------------------------------ */

/* Extracts an archive into dst with libarchive's secure flags. */
static int
extract(struct stage_ctx *c, const char *file, const char *dst)
{
	const struct dyn_archive *da;
	struct archive *a, *w;
	struct archive_entry *ent;
	int cwd, r, rc;

	if ((rc = dyn_archive_load(&da, c->err, c->errlen)) != 0)
		return rc;
	a = da->read_new();
	w = da->write_disk_new();
	if (a == NULL || w == NULL) {
		da->read_free(a);
		da->write_free(w);
		return TD_ENOMEM;
	}
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	da->read_support_filter_all(a);
	da->read_support_format_all(a);
	da->write_disk_set_options(w, ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	/* Entry paths are relative: extract from inside dst. */
	if (cwd == -1 || chdir(dst) == -1) {
		rc = stage_fail(c, -errno, "%s: %s", dst, strerror(errno));
		goto done;
	}
	if (da->read_open_filename(a, file, 65536) != ARCHIVE_OK) {
		rc = stage_fail(c, TD_EFORMAT, "%s: %s", file,
		    da->error_string(a));
		goto done;
	}
	while ((r = da->read_next_header(a, &ent)) == ARCHIVE_OK) {
		const void *blk;
		size_t len;
		la_int64_t off;

		if (pumped(c)) {
			rc = TD_ESTATE;
			goto done;
		}
		if (da->write_header(w, ent) != ARCHIVE_OK) {
			rc = stage_fail(c, TD_EFORMAT, "%s: %s: %s", file,
			    da->entry_pathname(ent), da->error_string(w));
			goto done;
		}
		while ((r = da->read_data_block(a, &blk, &len, &off)) ==
		    ARCHIVE_OK) {
			if (da->write_data_block(w, blk, len, off) !=
			    ARCHIVE_OK) {
				rc = stage_fail(c, TD_EIO, "%s: %s", file,
				    da->error_string(w));
				goto done;
			}
		}
		if (r != ARCHIVE_EOF || da->write_finish_entry(w) !=
		    ARCHIVE_OK) {
			rc = stage_fail(c, TD_EFORMAT, "%s: %s", file,
			    da->error_string(r != ARCHIVE_EOF ? a : w));
			goto done;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = stage_fail(c, TD_EFORMAT, "%s: %s", file,
		    da->error_string(a));
done:
	if (cwd != -1) {
		if (fchdir(cwd) == -1 && rc == 0)
			rc = stage_fail(c, -errno, "fchdir: %s", strerror(errno));
		close(cwd);
	}
	da->write_free(w);
	da->read_free(a);
	return rc;
}

static int
is_archive_name(const char *p)
{
	return ends_with(p, ".tar.gz") || ends_with(p, ".tgz") ||
	    ends_with(p, ".tar");
}

int
stage_source(struct stage_ctx *c, const char *submit)
{
	char code[PATH_MAX], dl[PATH_MAX], *path = NULL;
	struct stat st;
	int rc;

	if (fmt_path(code, sizeof(code), "%s/code", c->dir) != 0 ||
	    fmt_path(dl, sizeof(dl), "%s/input/sourcedir.tar.gz", c->dir) != 0)
		return stage_fail(c, TD_EINVAL, "%s: path too long", c->dir);
	switch (uri_classify(submit, &path)) {
	case URI_S3:
		return stage_fail(c, TD_EINVAL, "sagemaker_submit_directory %s: "
		    "S3 is not available locally; use a directory, file:// or "
		    "http(s)://", submit);
	case URI_HTTP:
		rc = download(c, "sagemaker_submit_directory", submit, dl);
		if (rc == 0)
			rc = extract(c, dl, code);
		unlink(dl);
		return rc;
	case URI_LOCAL:
		break;
	default:
		return stage_fail(c, TD_EINVAL, "sagemaker_submit_directory %s: "
		    "not an absolute path, file:// or http(s):// URI", submit);
	}
	if (stat(path, &st) == -1) {
		rc = stage_fail(c, -errno, "sagemaker_submit_directory %s: %s",
		    submit, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		rc = copy_tree(c, path, code, 0, 0);
	} else if (S_ISREG(st.st_mode) && is_archive_name(path)) {
		rc = extract(c, path, code);
	} else {
		rc = stage_fail(c, TD_EINVAL, "sagemaker_submit_directory %s: "
		    "neither a directory nor a .tar.gz file", submit);
	}
	free(path);
	return rc;
}

/* ---- model.tar.gz ---------------------------------------------------- */

static int
pack_file(struct archive *a, const char *path, const char *rel,
    const struct stat *st, char *err, size_t errlen)
{
	const struct dyn_archive *da = dyn_archive();	/* stage_pack loaded it */
	struct archive_entry *ent;
	char chunk[65536], target[PATH_MAX];
	ssize_t n;
	int fd = -1, rc = 0;

	if ((ent = da->entry_new()) == NULL)
		return TD_ENOMEM;
	da->entry_copy_stat(ent, st);
	da->entry_set_pathname(ent, rel);
	da->entry_set_uid(ent, 0);
	da->entry_set_gid(ent, 0);
	if (S_ISLNK(st->st_mode)) {
		if ((n = readlink(path, target, sizeof(target) - 1)) == -1)
			n = 0;
		target[n] = '\0';
		da->entry_set_symlink(ent, target);
	} else if (S_ISREG(st->st_mode) &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fmt_msg(err, errlen, "%s: %s", path, strerror(errno));
		da->entry_free(ent);
		return -errno;
	}
	if (da->write_header(a, ent) != ARCHIVE_OK) {
		fmt_msg(err, errlen, "%s: %s", rel, da->error_string(a));
		rc = TD_EIO;
	}
	while (rc == 0 && fd != -1 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || da->write_data(a, chunk, (size_t)n) != n) {
			fmt_msg(err, errlen, "%s: %s", path, n == -1 ?
			    strerror(errno) : da->error_string(a));
			rc = TD_EIO;
		}
	}
	if (fd != -1)
		close(fd);
	da->entry_free(ent);
	return rc;
}

static int
pack_dir(struct archive *a, const char *dir, const char *rel, int depth,
    char *err, size_t errlen)
{
	struct dirent **names = NULL;
	char path[PATH_MAX], child_rel[PATH_MAX];
	struct stat st;
	int i, n, rc = 0;

	if (depth > STAGE_MAX_DEPTH) {
		fmt_msg(err, errlen, "%s: nested too deep", dir);
		return TD_ELIMIT;
	}
	if ((n = scandir(dir, &names, NULL, alphasort)) == -1) {
		fmt_msg(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	for (i = 0; i < n && rc == 0; i++) {
		const char *name = names[i]->d_name;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (fmt_path(path, sizeof(path), "%s/%s", dir, name) != 0 ||
		    fmt_path(child_rel, sizeof(child_rel), "%s%s%s", rel,
		    rel[0] != '\0' ? "/" : "", name) != 0) {
			fmt_msg(err, errlen, "%s/%s: path too long", dir, name);
			rc = TD_EINVAL;
			break;
		}
		if (lstat(path, &st) == -1)
			continue;	/* vanished meanwhile */
		if (S_ISDIR(st.st_mode)) {
			if ((rc = pack_file(a, path, child_rel, &st, err,
			    errlen)) == 0)
				rc = pack_dir(a, path, child_rel, depth + 1,
				    err, errlen);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			rc = pack_file(a, path, child_rel, &st, err, errlen);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/*
 * What libarchive writes for an empty directory (a gzip'd tar of 20 zero
 * blocks), so that a job with an empty model/ needs no libarchive at all.
 */
static const unsigned char empty_tar_gz[] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xc1,
	0x01, 0x0d, 0x00, 0x00, 0x00, 0xc2, 0xa0, 0xf7, 0x4f, 0x6d, 0x0e, 0x37,
	0xa0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x37,
	0x03, 0x9a, 0xde, 0x1d, 0x27, 0x00, 0x28, 0x00, 0x00,
};

static int
pack_empty(const char *tmp, char *err, size_t errlen)
{
	int fd, rc;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		fmt_msg(err, errlen, "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	rc = write_all(fd, (const char *)empty_tar_gz, sizeof(empty_tar_gz));
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	if (rc != 0)
		fmt_msg(err, errlen, "%s: %s", tmp, td_strerror(rc));
	return rc;
}

static int
pack_tree(const char *src_dir, const char *tmp, char *err, size_t errlen)
{
	const struct dyn_archive *da;
	struct archive *a;
	int rc;

	if ((rc = dyn_archive_load(&da, err, errlen)) != 0)
		return rc;
	if ((a = da->write_new()) == NULL)
		return TD_ENOMEM;
	da->write_add_filter_gzip(a);
	da->write_set_format_pax_restricted(a);
	if (da->write_open_filename(a, tmp) != ARCHIVE_OK) {
		fmt_msg(err, errlen, "%s: %s", tmp, da->error_string(a));
		da->write_free(a);
		return TD_EIO;
	}
	rc = pack_dir(a, src_dir, "", 0, err, errlen);
	if (da->write_close(a) != ARCHIVE_OK && rc == 0) {
		fmt_msg(err, errlen, "%s: %s", tmp, da->error_string(a));
		rc = TD_EIO;
	}
	da->write_free(a);
	return rc;
}

/*
 * The archive is fsync'd before the rename: the "exited" event that names
 * it is fsync'd after this, so after a power loss a Completed job's model
 * is whole. (ext4 commits the rename with that later fsync's journal.)
 */
int
stage_pack(const char *src_dir, const char *dst, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int rc, fd;

	if (fmt_path(tmp, sizeof(tmp), "%s.tmp", dst) != 0) {
		fmt_msg(err, errlen, "%s: path too long", dst);
		return TD_EINVAL;
	}
	if (access(src_dir, F_OK) == 0 && stage_dir_empty(src_dir))
		rc = pack_empty(tmp, err, errlen);
	else
		rc = pack_tree(src_dir, tmp, err, errlen);
	if (rc == 0 && (fd = open(tmp, O_RDONLY | O_CLOEXEC)) != -1) {
		if (fsync(fd) == -1)
			rc = -errno;
		close(fd);
	}
	if (rc == 0 && rename(tmp, dst) == -1) {
		rc = -errno;
		fmt_msg(err, errlen, "%s: %s", dst, strerror(errno));
	}
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
stage_publish(const char *file, const char *output_path, const char *job,
    char **out, char *err, size_t errlen)
{
	char dir[PATH_MAX], dst[PATH_MAX], tmp[PATH_MAX + 8], *base;
	size_t len;
	int rc;

	*out = NULL;
	if (output_path == NULL || uri_classify(output_path, &base) !=
	    URI_LOCAL)
		return 0;
	len = strlen(base);
	while (len > 1 && base[len - 1] == '/')
		base[--len] = '\0';
	rc = fmt_path(dir, sizeof(dir), "%s/%s/output", base, job);
	free(base);
	if (rc != 0 || (rc = td_mkdir_p(dir, 0755)) != 0) {
		fmt_msg(err, errlen, "OutputDataConfig.S3OutputPath: cannot "
		    "create %s: %s", dir, td_strerror(rc));
		return rc;
	}
	if ((rc = fmt_path(dst, sizeof(dst), "%s/%s", dir,
	    base_name(file))) != 0 ||
	    (rc = fmt_path(tmp, sizeof(tmp), "%s.tmp", dst)) != 0 ||
	    (rc = copy_file(file, tmp, 0644)) != 0 || rename(tmp, dst) == -1) {
		if (rc == 0)
			rc = -errno;
		unlink(tmp);
		fmt_msg(err, errlen, "OutputDataConfig.S3OutputPath: writing "
		    "%s: %s", dst, td_strerror(rc));
		return rc;
	}
	if ((*out = strdup(dst)) == NULL)
		return TD_ENOMEM;
	return 0;
}
