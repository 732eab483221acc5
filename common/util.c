/*
 * util.c - file, time and parsing helpers. No global state.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "util.h"

double
td_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t
td_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
td_mkdir_p(const char *path, unsigned int mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);
	char *p;

	if (len == 0 || len >= sizeof(tmp))
		return TD_EINVAL;
	memcpy(tmp, path, len + 1);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) == -1 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

int
td_read_file(const char *path, size_t max, char **out, size_t *lenp)
{
	int fd, rc = 0;
	size_t len = 0, cap = 4096;
	char *data;
	ssize_t n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	if ((data = malloc(cap)) == NULL) {
		close(fd);
		return TD_ENOMEM;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *p;

			if (cap > max + 1) {
				rc = TD_ETOOBIG;
				break;
			}
			cap *= 2;
			if ((p = realloc(data, cap)) == NULL) {
				rc = TD_ENOMEM;
				break;
			}
			data = p;
		}
		n = read(fd, data + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			rc = TD_ETOOBIG;
			break;
		}
	}
	close(fd);
	if (rc != 0) {
		free(data);
		return rc;
	}
	data[len] = '\0';
	*out = data;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

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

int
td_write_file_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return TD_EINVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -errno;
	rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) == -1)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

int
td_rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char child[PATH_MAX];
	int rc = 0;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == -1 ? -errno : 0;
	if ((d = opendir(path)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", path,
		    de->d_name) >= sizeof(child)) {
			rc = TD_EINVAL;
			continue;
		}
		if (td_rm_rf(child) != 0)
			rc = TD_EIO;
	}
	closedir(d);
	if (rmdir(path) == -1 && rc == 0)
		rc = -errno;
	return rc;
}

int
td_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return TD_EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return TD_EINVAL;
	*out = v;
	return 0;
}

int
td_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return TD_EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return TD_EINVAL;
	*out = v;
	return 0;
}

void
td_fmt_time(double t, char *out, size_t outlen)
{
	time_t sec = (time_t)t;
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
td_sibling_path(const char *name)
{
	char self[PATH_MAX], *dir, *out;
	ssize_t n;
	size_t len;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	dir = dirname(self);
	len = strlen(dir) + strlen(name) + 2;
	if ((out = malloc(len)) == NULL)
		return NULL;
	snprintf(out, len, "%s/%s", dir, name);
	return out;
}

long long
td_proc_start_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	long long v = -1;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold spaces and ')': skip past the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (field = 3; field <= 22 && p != NULL; field++) {
		while (*p == ' ')
			p++;
		if (field == 3 && *p == 'Z')
			return -1;	/* a zombie is gone for our purposes */
		if (field == 22)
			v = strtoll(p, NULL, 10);
		p = strchr(p, ' ');
	}
	return v;
}
