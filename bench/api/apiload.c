/*
 * apiload.c - td-bench-apiload: a closed-loop HTTP/1.1 load generator for
 * tunerd's API over its unix socket (or loopback TCP), with latencies.
 *
 *   td-bench-apiload -s ADDR [-c CONNS] [-d SECONDS] [-w SECONDS]
 *                    [-n COUNT [-i]] (-t TARGET | -g PATH)
 *                    (-B BODY | -f FILE)
 *
 * ADDR: a unix socket path or HOST:PORT. Each of CONNS keep-alive
 * connections sends the next request as soon as the previous answer is
 * complete (one in flight per connection), on one thread with epoll.
 * Requests are POST / with X-Amz-Target: TARGET and a body from -B, or
 * from FILE (one body per line, taken round robin), or GET PATH.
 * Duration mode (default): a warm-up of -w seconds (default 1), then -d
 * seconds (default 5) measured. Count mode (-n): exactly COUNT requests,
 * all measured; with -i, "{i}" in the body becomes the request's index.
 *
 * Prints one JSON object: requests, errors (non-2xx or broken
 * connections), seconds, rps and latency percentiles in microseconds.
 * Owns nothing else; never passes or fails on time.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uhttp.h"

struct lconn {
	struct uhttp	 h;
	const char	*req;		/* the request being sent (borrowed) */
	size_t		 rlen, sent;
	uint64_t	 t0;
	int		 busy;
	int		 want_out;
	long		 idx;
};

struct reqs {
	char	**r;
	size_t	 *len;
	size_t	  n;
};

static struct reqs	 reqs;
static uint64_t		*lat;
static size_t		 n_lat, cap_lat;
static unsigned long	 errors;
static char		 first_error[256];

static void
usage(void)
{
	fprintf(stderr, "usage: td-bench-apiload -s ADDR [-c CONNS] "
	    "[-d SECONDS] [-w SECONDS] [-n COUNT [-i]] (-t TARGET | -g PATH) "
	    "(-B BODY | -f FILE)\n");
	exit(2);
}

static void
die(const char *what, int e)
{
	fprintf(stderr, "td-bench-apiload: %s: %s\n", what, strerror(e));
	exit(1);
}

static void
add_req(const char *target, const char *path, const char *body, size_t blen)
{
	char *out = NULL;
	size_t olen = 0, ocap = 0;

	reqs.r = realloc(reqs.r, (reqs.n + 1) * sizeof(*reqs.r));
	reqs.len = realloc(reqs.len, (reqs.n + 1) * sizeof(*reqs.len));
	if (reqs.r == NULL || reqs.len == NULL)
		die("realloc", ENOMEM);
	uhttp_build(&out, &olen, &ocap, target, path, body, blen);
	reqs.r[reqs.n] = out;
	reqs.len[reqs.n++] = olen;
}

/* body with every "{i}" replaced by i. */
static void
add_templated(const char *target, const char *body, long i)
{
	char num[32], *out = NULL;
	const char *p = body, *q;
	size_t len = 0, nl = (size_t)snprintf(num, sizeof(num), "%ld", i);

	out = malloc(strlen(body) * 7 + 64);
	if (out == NULL)
		die("malloc", ENOMEM);
	while ((q = strstr(p, "{i}")) != NULL) {
		memcpy(out + len, p, (size_t)(q - p));
		len += (size_t)(q - p);
		memcpy(out + len, num, nl);
		len += nl;
		p = q + 3;
	}
	memcpy(out + len, p, strlen(p));
	len += strlen(p);
	add_req(target, NULL, out, len);
	free(out);
}

static void
load_file(const char *target, const char *file)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		die(file, errno);
	while ((n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n > 0)
			add_req(target, NULL, line, (size_t)n);
	}
	free(line);
	fclose(f);
	if (reqs.n == 0) {
		fprintf(stderr, "td-bench-apiload: %s has no request\n", file);
		exit(2);
	}
}

static void
record(uint64_t ns)
{
	if (n_lat == cap_lat) {
		cap_lat = cap_lat ? cap_lat * 2 : 65536;
		if ((lat = realloc(lat, cap_lat * sizeof(*lat))) == NULL)
			die("realloc", ENOMEM);
	}
	lat[n_lat++] = ns;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	size_t i;

	if (n_lat == 0)
		return 0;
	i = (size_t)(p * (double)(n_lat - 1) + 0.5);
	return (double)lat[i] / 1e3;
}

static void
watch(int ep, struct lconn *c, int out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0),
	    .data.ptr = c };

	if (out == c->want_out)
		return;
	c->want_out = out;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->h.fd, &ev) < 0)
		die("epoll_ctl", errno);
}

static void
conn_send(int ep, struct lconn *c)
{
	ssize_t w;

	while (c->sent < c->rlen) {
		w = send(c->h.fd, c->req + c->sent, c->rlen - c->sent,
		    MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			watch(ep, c, 1);
			return;
		}
		if (w < 0)
			die("send", errno);
		c->sent += (size_t)w;
	}
	watch(ep, c, 0);
}

static void
conn_start(int ep, struct lconn *c, long idx)
{
	size_t k = (size_t)idx % reqs.n;

	c->req = reqs.r[k];
	c->rlen = reqs.len[k];
	c->sent = 0;
	c->idx = idx;
	c->busy = 1;
	c->h.ilen = 0;
	c->t0 = uhttp_now_ns();
	conn_send(ep, c);
}

/* Reads what is there; 1 when the response is complete. */
static int
conn_recv(struct lconn *c)
{
	size_t clen;
	ssize_t r;
	long hl;
	int status;

	for (;;) {
		if (c->h.icap - c->h.ilen < 4096) {
			c->h.icap = c->h.icap ? c->h.icap * 2 : 65536;
			if ((c->h.in = realloc(c->h.in, c->h.icap)) == NULL)
				die("realloc", ENOMEM);
		}
		r = recv(c->h.fd, c->h.in + c->h.ilen, c->h.icap - c->h.ilen, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 0;
		if (r <= 0)
			die("the server closed a connection", r == 0 ?
			    ECONNRESET : errno);
		c->h.ilen += (size_t)r;
		hl = uhttp_parse_head(c->h.in, c->h.ilen, &status, &clen);
		if (hl < 0)
			die("malformed response", EPROTO);
		if (hl == 0 || c->h.ilen < (size_t)hl + clen)
			continue;
		if (status < 200 || status > 299) {
			errors++;
			if (first_error[0] == '\0')
				snprintf(first_error, sizeof(first_error),
				    "%d %.*s", status, (int)(clen < 200 ?
				    clen : 200), c->h.in + hl);
		}
		return 1;
	}
}

int
main(int argc, char **argv)
{
	const char *addr = NULL, *target = NULL, *path = NULL, *body = NULL;
	const char *file = NULL;
	double dur = 5, warm = 1;
	long conns = 1, count = 0, issued = 0, done = 0, i;
	int templ = 0, ch, ep;
	struct lconn *cs;
	struct epoll_event evs[64];
	uint64_t t_begin, t_meas, t_end, t_last = 0;

	while ((ch = getopt(argc, argv, "s:c:d:w:n:it:g:B:f:")) != -1) {
		switch (ch) {
		case 's': addr = optarg; break;
		case 'c': conns = strtol(optarg, NULL, 10); break;
		case 'd': dur = strtod(optarg, NULL); break;
		case 'w': warm = strtod(optarg, NULL); break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'i': templ = 1; break;
		case 't': target = optarg; break;
		case 'g': path = optarg; break;
		case 'B': body = optarg; break;
		case 'f': file = optarg; break;
		default: usage();
		}
	}
	if (addr == NULL || conns < 1 || conns > 4096 ||
	    (target == NULL) == (path == NULL) ||
	    (target != NULL && (body == NULL) == (file == NULL)) ||
	    (templ && (count <= 0 || body == NULL)))
		usage();
	if (path != NULL)
		add_req(NULL, path, NULL, 0);
	else if (templ)
		for (i = 0; i < count; i++)
			add_templated(target, body, i);
	else if (body != NULL)
		add_req(target, NULL, body, strlen(body));
	else
		load_file(target, file);
	if (count > 0) {
		warm = 0;
		if (conns > count)
			conns = count;
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1", errno);
	if ((cs = calloc((size_t)conns, sizeof(*cs))) == NULL)
		die("calloc", ENOMEM);
	for (i = 0; i < conns; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cs[i] };
		int r = uhttp_connect(&cs[i].h, addr);

		if (r < 0)
			die(addr, -r);
		fcntl(cs[i].h.fd, F_SETFL, fcntl(cs[i].h.fd, F_GETFL) | O_NONBLOCK);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].h.fd, &ev) < 0)
			die("epoll_ctl", errno);
	}
	t_begin = uhttp_now_ns();
	t_meas = t_begin + (uint64_t)(warm * 1e9);
	t_end = count > 0 ? UINT64_MAX : t_meas + (uint64_t)(dur * 1e9);
	for (i = 0; i < conns; i++)
		conn_start(ep, &cs[i], issued++);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, 100), k;
		uint64_t now = uhttp_now_ns();

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait", errno);
		if (count == 0 && now >= t_end)
			break;
		for (k = 0; k < n; k++) {
			struct lconn *c = evs[k].data.ptr;

			if ((evs[k].events & EPOLLOUT) && c->busy)
				conn_send(ep, c);
			if (!(evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				continue;
			if (!conn_recv(c))
				continue;
			now = uhttp_now_ns();
			c->busy = 0;
			done++;
			t_last = now;
			if (c->t0 >= t_meas && now <= t_end)
				record(now - c->t0);
			if (count == 0 ? now < t_end : issued < count)
				conn_start(ep, c, issued++);
		}
		if (count > 0 && done == count)
			break;
	}
	qsort(lat, n_lat, sizeof(*lat), cmp_u64);
	{
		double secs = count > 0 ? (double)(t_last - t_begin) / 1e9 : dur;

		printf("{\"requests\": %zu, \"errors\": %lu, \"seconds\": %.6f, "
		    "\"rps\": %.1f, \"p50_us\": %.1f, \"p90_us\": %.1f, "
		    "\"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, "
		    "\"connections\": %ld", n_lat, errors, secs,
		    secs > 0 ? (double)n_lat / secs : 0, pct(0.5), pct(0.9),
		    pct(0.99), pct(0.999), pct(1.0), conns);
		if (first_error[0] != '\0') {
			char *p;

			for (p = first_error; *p; p++)
				if (*p == '"' || *p == '\\' || *p < 0x20)
					*p = ' ';
			printf(", \"first_error\": \"%s\"", first_error);
		}
		printf("}\n");
	}
	for (i = 0; i < conns; i++)
		uhttp_close(&cs[i].h);
	for (i = 0; i < (long)reqs.n; i++)
		free(reqs.r[i]);
	free(reqs.r);
	free(reqs.len);
	free(cs);
	free(lat);
	close(ep);
	return 0;
}
