/*
 * uhttp.c - the benchmarks' minimal HTTP/1.1 client (see uhttp.h).
 *
 * Owns one socket and two buffers per connection. Never retries: a
 * benchmark that loses its connection reports it.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "uhttp.h"

uint64_t
uhttp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
grow(char **p, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 4096;
	char *n;

	if (need <= *cap)
		return;
	while (ncap < need)
		ncap *= 2;
	if ((n = realloc(*p, ncap)) == NULL) {
		fprintf(stderr, "uhttp: out of memory\n");
		exit(2);
	}
	*p = n;
	*cap = ncap;
}

static void
put(char **out, size_t *olen, size_t *ocap, const char *s, size_t n)
{
	grow(out, ocap, *olen + n + 1);
	memcpy(*out + *olen, s, n);
	*olen += n;
	(*out)[*olen] = '\0';
}

void
uhttp_build(char **out, size_t *olen, size_t *ocap, const char *target,
    const char *path, const char *body, size_t blen)
{
	char hdr[512];
	int n;

	if (target == NULL && body == NULL)
		n = snprintf(hdr, sizeof(hdr), "GET %s HTTP/1.1\r\n"
		    "Host: localhost\r\n\r\n", path ? path : "/");
	else
		n = snprintf(hdr, sizeof(hdr), "POST %s HTTP/1.1\r\n"
		    "Host: localhost\r\n"
		    "Content-Type: application/x-amz-json-1.1\r\n"
		    "X-Amz-Target: %s\r\n"
		    "Content-Length: %zu\r\n\r\n", path ? path : "/",
		    target ? target : "", blen);
	if (n < 0 || (size_t)n >= sizeof(hdr)) {
		fprintf(stderr, "uhttp: request head too long\n");
		exit(2);
	}
	put(out, olen, ocap, hdr, (size_t)n);
	if (body != NULL)
		put(out, olen, ocap, body, blen);
}

long
uhttp_parse_head(const char *buf, size_t len, int *status, size_t *clen)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *p, *eol;
	char *e;
	long v;

	if (end == NULL)
		return 0;
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0)
		return -EPROTO;
	v = strtol(buf + 9, &e, 10);
	if (e != buf + 12 || v < 100 || v > 999)
		return -EPROTO;
	*status = (int)v;
	*clen = 0;
	for (p = memchr(buf, '\n', (size_t)(end - buf)); p != NULL && p < end;
	    p = eol) {
		p++;
		eol = memchr(p, '\n', (size_t)(end + 2 - p));
		if (eol == NULL)
			break;
		if ((size_t)(eol - p) > 15 &&
		    strncasecmp(p, "content-length:", 15) == 0)
			*clen = (size_t)strtoul(p + 15, NULL, 10);
	}
	return (long)(end + 4 - buf);
}

int
uhttp_connect(struct uhttp *c, const char *addr)
{
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	const char *colon = strrchr(addr, ':');
	int one = 1;

	memset(c, 0, sizeof(*c));
	if (strncmp(addr, "unix:", 5) == 0)
		addr += 5;
	else if (strchr(addr, '/') == NULL && colon != NULL) {
		char host[64];

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return -EINVAL;
		if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -errno;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			int e = errno;

			close(c->fd);
			return -e;
		}
		return 0;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(addr) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, addr, strlen(addr));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(c->fd);
		return -e;
	}
	return 0;
}

void
uhttp_close(struct uhttp *c)
{
	if (c == NULL)
		return;
	if (c->fd > 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
}

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
uhttp_call(struct uhttp *c, const char *target, const char *path,
    const char *body, size_t blen, int *status, const char **resp,
    size_t *rlen)
{
	size_t clen = 0;
	long hl = 0;
	ssize_t r;
	int rc;

	c->olen = 0;
	uhttp_build(&c->out, &c->olen, &c->ocap, target, path, body, blen);
	if ((rc = send_all(c->fd, c->out, c->olen)) != 0)
		return rc;
	c->ilen = 0;
	for (;;) {
		if (hl == 0 && c->ilen > 0 &&
		    (hl = uhttp_parse_head(c->in, c->ilen, status, &clen)) < 0)
			return (int)hl;
		if (hl > 0 && c->ilen >= (size_t)hl + clen)
			break;
		grow(&c->in, &c->icap, c->ilen + 65536);
		r = recv(c->fd, c->in + c->ilen, c->icap - c->ilen - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		c->ilen += (size_t)r;
	}
	c->in[hl + clen] = '\0';
	*resp = c->in + hl;
	*rlen = clen;
	return 0;
}
