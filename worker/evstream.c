/*
 * evstream.c - events.jsonl and worker.sock (see evstream.h).
 *
 * Owns the events file descriptor, the listening socket and every client
 * connection. Never touches anything else in the job directory.
 * Invariants: e->size is the file's length and always ends at a line end;
 * a client's off is <= e->size and is only advanced by bytes the kernel
 * accepted; seq increases by one per line written, without gaps.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "fmt.h"
#include "event.h"
#include "evstream.h"
#include "log.h"
#include "util.h"

#define EVS_CMD_MAX	256

struct evs_client {
	int	 fd;
	off_t	 off;		/* next byte of events.jsonl to send */
	int	 rd_closed;	/* the peer will send no more commands */
	size_t	 inlen;
	char	 in[EVS_CMD_MAX];
};

struct evs {
	char			*dir;
	int			 fd;		/* events.jsonl */
	off_t			 size;
	long			 seq;
	int			 dirfd;
	int			 lfd;		/* listener, -1 before evs_listen() */
	int			 lockfd;	/* EV_LOCK, write-locked for our life */
	int			 stop;
	struct evs_client	 c[EVS_MAX_CLIENTS];
	size_t			 nc;
};

/* The seq of the last complete line; a torn last line is cut off. */
static int
recover(struct evs *e)
{
	char tail[65536];
	off_t start;
	ssize_t n;
	char *nl, *line;
	cJSON *j, *seq;

	if (e->size == 0)
		return 0;
	start = e->size > (off_t)sizeof(tail) - 1 ?
	    e->size - (off_t)sizeof(tail) + 1 : 0;
	if ((n = pread(e->fd, tail, (size_t)(e->size - start), start)) <= 0)
		return n == 0 ? TD_EIO : -errno;
	tail[n] = '\0';
	if ((nl = strrchr(tail, '\n')) == NULL)
		return TD_EFORMAT;
	if (nl != tail + n - 1) {
		e->size = start + (nl - tail) + 1;
		if (ftruncate(e->fd, e->size) == -1)
			return -errno;
	}
	*nl = '\0';
	line = strrchr(tail, '\n');
	line = line != NULL ? line + 1 : tail;
	j = cJSON_Parse(line);
	seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
	if (!cJSON_IsNumber(seq)) {
		cJSON_Delete(j);
		return TD_EFORMAT;
	}
	e->seq = (long)seq->valuedouble;
	cJSON_Delete(j);
	return 0;
}

/*
 * Takes the job directory's lock (an OFD write lock on EV_LOCK), held until
 * the worker exits: the daemon tests it with F_OFD_GETLK to tell a live
 * worker from a dead one, and a second worker for the same directory stops
 * here before it touches anything.
 */
static int
take_lock(struct evs *e, char *err, size_t errlen)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	e->lockfd = openat(e->dirfd, EV_LOCK, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600);
	if (e->lockfd == -1) {
		fmt_msg(err, errlen, "%s/%s: %s", e->dir, EV_LOCK,
		    strerror(errno));
		return -errno;
	}
	if (fcntl(e->lockfd, F_OFD_SETLK, &fl) == -1) {
		fmt_msg(err, errlen, "%s: another worker is running in this job "
		    "directory", e->dir);
		return TD_EEXIST;
	}
	return 0;
}

int
evs_open(const char *dir, struct evs **out, char *err, size_t errlen)
{
	struct evs *e;
	struct stat st;
	char path[4096];
	int rc;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return TD_ENOMEM;
	e->lfd = -1;
	if ((e->dir = strdup(dir)) == NULL) {
		free(e);
		return TD_ENOMEM;
	}
	e->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	e->fd = -1;
	e->lockfd = -1;
	if (e->dirfd != -1 && (rc = take_lock(e, err, errlen)) != 0)
		goto fail_locked;
	if (fmt_path(path, sizeof(path), "%s/%s", dir, EV_FILE) != 0) {
		errno = ENAMETOOLONG;
		path[0] = '\0';
	} else {
		e->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
		    0644);
	}
	if (e->dirfd == -1 || e->fd == -1 || fstat(e->fd, &st) == -1) {
		rc = -errno;
		fmt_msg(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	e->size = st.st_size;
	if ((rc = recover(e)) != 0) {
		fmt_msg(err, errlen, "%s: cannot continue it: %s", path,
		    td_strerror(rc));
		goto fail;
	}
	*out = e;
	return 0;
fail:
	if (e->fd != -1)
		close(e->fd);
fail_locked:
	if (e->lockfd != -1)
		close(e->lockfd);
	if (e->dirfd != -1)
		close(e->dirfd);
	free(e->dir);
	free(e);
	return rc;
}

static int
sock_addr(struct evs *e, const char *dir, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (fmt_path(sa->sun_path, sizeof(sa->sun_path), "%s/%s", dir,
	    EV_SOCKET) == 0)
		return 0;
	/* Too long for sun_path: name the directory through our own fd. */
	if (fmt_path(sa->sun_path, sizeof(sa->sun_path),
	    "/proc/self/fd/%d/%s", e->dirfd, EV_SOCKET) == 0)
		return 0;
	return TD_EINVAL;
}

/* Whether a worker already answers on the socket. */
static int
sock_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), alive;

	if (fd == -1)
		return 0;
	alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return alive;
}

int
evs_listen(struct evs *e, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	const char *dir = e->dir;
	mode_t old;
	int rc;

	if (sock_addr(e, dir, &sa) != 0) {
		fmt_msg(err, errlen, "%s/%s: path too long", dir, EV_SOCKET);
		return TD_EINVAL;
	}
	if (sock_alive(&sa)) {
		fmt_msg(err, errlen, "%s/%s: another worker is running in "
		    "this job directory", dir, EV_SOCKET);
		return TD_EEXIST;
	}
	(void)unlinkat(e->dirfd, EV_SOCKET, 0);
	e->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (e->lfd == -1)
		goto fail;
	old = umask(077);
	rc = bind(e->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc == -1 || fchmodat(e->dirfd, EV_SOCKET, 0600, 0) == -1 ||
	    listen(e->lfd, 16) == -1)
		goto fail;
	return 0;
fail:
	rc = -errno;
	fmt_msg(err, errlen, "%s/%s: %s", dir, EV_SOCKET, strerror(errno));
	if (e->lfd != -1)
		close(e->lfd);
	e->lfd = -1;
	return rc;
}

static void
client_drop(struct evs *e, size_t i)
{
	close(e->c[i].fd);
	e->c[i] = e->c[--e->nc];
}

/* Sends what the client is missing; returns -1 if it had to be dropped. */
static int
client_send(struct evs *e, size_t i)
{
	struct evs_client *c = &e->c[i];
	char chunk[65536];
	ssize_t n, sent;
	size_t want;

	while (c->off < e->size) {
		want = (size_t)(e->size - c->off);
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		if ((n = pread(e->fd, chunk, want, c->off)) <= 0) {
			log_warn("events: pread");
			client_drop(e, i);
			return -1;
		}
		sent = send(c->fd, chunk, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent == -1 && errno == EINTR)
			continue;
		if (sent == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (sent == -1) {
			client_drop(e, i);
			return -1;
		}
		c->off += sent;
	}
	return 0;
}

static void
client_command(struct evs *e, const char *line)
{
	if (strcmp(line, "stop") == 0) {
		log_info("stop requested over %s", EV_SOCKET);
		e->stop = 1;
	} else {
		log_debug("ignoring unknown command on %s", EV_SOCKET);
	}
}

/* Reads commands; returns -1 if the client was dropped. */
static int
client_read(struct evs *e, size_t i)
{
	struct evs_client *c = &e->c[i];
	char data[512], *nl;
	ssize_t n;
	size_t k;

	for (;;) {
		n = recv(c->fd, data, sizeof(data), MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1) {
			client_drop(e, i);
			return -1;
		}
		if (n == 0) {
			/* Half-closed: it may still want the events. */
			c->rd_closed = 1;
			return 0;
		}
		for (k = 0; k < (size_t)n; k++) {
			if (data[k] != '\n') {
				if (c->inlen < sizeof(c->in) - 1)
					c->in[c->inlen++] = data[k];
				continue;
			}
			c->in[c->inlen] = '\0';
			if ((nl = strchr(c->in, '\r')) != NULL)
				*nl = '\0';
			client_command(e, c->in);
			c->inlen = 0;
		}
	}
}

static int
peer_ok(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return 0;
	return cr.uid == getuid() || cr.uid == 0;
}

static void
accept_all(struct evs *e)
{
	int fd;

	while ((fd = accept4(e->lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if (e->nc == EVS_MAX_CLIENTS || !peer_ok(fd)) {
			log_warnx("refusing a connection on %s (%s)", EV_SOCKET,
			    e->nc == EVS_MAX_CLIENTS ? "too many clients" :
			    "foreign user");
			close(fd);
			continue;
		}
		memset(&e->c[e->nc], 0, sizeof(e->c[e->nc]));
		e->c[e->nc].fd = fd;
		e->nc++;
		(void)client_send(e, e->nc - 1);
	}
}

int
evs_adopt(struct evs *e, int fd)
{
	int fl;

	if (e->nc == EVS_MAX_CLIENTS || (fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		close(fd);
		return e->nc == EVS_MAX_CLIENTS ? TD_ELIMIT : -errno;
	}
	memset(&e->c[e->nc], 0, sizeof(e->c[e->nc]));
	e->c[e->nc].fd = fd;
	e->nc++;
	(void)client_send(e, e->nc - 1);
	return 0;
}

size_t
evs_pollfds(struct evs *e, struct pollfd *pfds)
{
	size_t n = 0, i;

	if (e->lfd != -1) {
		pfds[n].fd = e->lfd;
		pfds[n].events = POLLIN;
		pfds[n++].revents = 0;
	}
	for (i = 0; i < e->nc; i++) {
		pfds[n].fd = e->c[i].fd;
		pfds[n].events = (short)((e->c[i].rd_closed ? 0 : POLLIN) |
		    (e->c[i].off < e->size ? POLLOUT : 0));
		pfds[n++].revents = 0;
	}
	return n;
}

static ssize_t
client_find(const struct evs *e, int fd)
{
	size_t i;

	for (i = 0; i < e->nc; i++)
		if (e->c[i].fd == fd)
			return (ssize_t)i;
	return -1;
}

void
evs_handle(struct evs *e, const struct pollfd *pfds, size_t n)
{
	size_t k;
	ssize_t i;

	for (k = 0; k < n; k++) {
		if (pfds[k].revents == 0)
			continue;
		if (pfds[k].fd == e->lfd) {
			accept_all(e);
			continue;
		}
		if ((i = client_find(e, pfds[k].fd)) < 0)
			continue;
		if ((pfds[k].revents & POLLIN) && client_read(e, (size_t)i) < 0)
			continue;
		if ((pfds[k].revents & (POLLERR | POLLNVAL)) ||
		    ((pfds[k].revents & POLLHUP) && e->c[i].rd_closed)) {
			client_drop(e, (size_t)i);
			continue;
		}
		if (pfds[k].revents & POLLOUT)
			(void)client_send(e, (size_t)i);
	}
}

int
evs_emit(struct evs *e, const char *type, const char *fields, int sync,
    struct buf *line)
{
	struct buf b = { 0 };
	const char *p;
	size_t left, i;
	ssize_t n;
	int rc = 0;

	buf_printf(&b, "{\"seq\":%ld,\"time\":%.3f,\"type\":", e->seq + 1,
	    td_now());
	buf_json_str(&b, type, strlen(type));
	buf_puts(&b, fields != NULL ? fields : "");
	buf_puts(&b, "}\n");
	for (p = b.data, left = b.len; left > 0; ) {
		n = write(e->fd, p, left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = -errno;
			log_warn("events: write");
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	if (rc == 0) {
		e->seq++;
		e->size += (off_t)b.len;
		if (sync && fsync(e->fd) == -1)
			log_warn("events: fsync");
		if (line != NULL)
			buf_append(line, b.data, b.len - 1);
		for (i = e->nc; i > 0; i--)
			(void)client_send(e, i - 1);
	}
	buf_free(&b);
	return rc;
}

int
evs_take_stop(struct evs *e)
{
	int stop = e->stop;

	e->stop = 0;
	return stop;
}

size_t
evs_behind(const struct evs *e)
{
	size_t i, n = 0;

	for (i = 0; i < e->nc; i++)
		if (e->c[i].off < e->size)
			n++;
	return n;
}

void
evs_drain(struct evs *e, int timeout_ms)
{
	uint64_t end = td_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	struct pollfd pfds[EVS_MAX_POLLFDS];
	size_t i, n;
	uint64_t now;

	while (evs_behind(e) > 0 && (now = td_mono_ns()) < end) {
		for (i = n = 0; i < e->nc; i++) {
			pfds[n].fd = e->c[i].fd;
			pfds[n].events = (short)(e->c[i].off < e->size ?
			    POLLOUT : 0);
			pfds[n++].revents = 0;
		}
		if (poll(pfds, n, (int)((end - now) / 1000000u) + 1) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			ssize_t k = client_find(e, pfds[i].fd);

			if (k < 0 || pfds[i].revents == 0)
				continue;
			if (pfds[i].revents & (POLLERR | POLLHUP | POLLNVAL))
				client_drop(e, (size_t)k);
			else
				(void)client_send(e, (size_t)k);
		}
	}
}

long
evs_seq(const struct evs *e)
{
	return e->seq;
}

void
evs_close(struct evs *e)
{
	if (e == NULL)
		return;
	while (e->nc > 0)
		client_drop(e, e->nc - 1);
	if (e->lfd != -1) {
		close(e->lfd);
		(void)unlinkat(e->dirfd, EV_SOCKET, 0);
	}
	close(e->fd);
	close(e->dirfd);
	if (e->lockfd != -1)
		close(e->lockfd);	/* the last thing: the lock goes with it */
	free(e->dir);
	free(e);
}
