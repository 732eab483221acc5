/*
 * loadgen.c - td-loadgen: a small closed-loop HTTP/1.1 load generator for
 * the serving benchmark (bench/serving/bench.py drives it).
 *
 *   td-loadgen -a 127.0.0.1:PORT[,127.0.0.1:PORT...] -p PATH -b BODYFILE
 *              [-t CONTENT-TYPE] [-c CONNECTIONS] [-d SECONDS] [-w SECONDS]
 *
 * Opens CONNECTIONS keep-alive connections spread round robin over the
 * addresses, each sending the same POST again as soon as the previous
 * answer is complete (one request in flight per connection), for a warm-up
 * then SECONDS of measurement, on one thread with epoll. Prints one JSON
 * object: requests, errors (non-2xx or broken connections), rps, and the
 * latency percentiles in microseconds. Owns nothing else; never pass/fail.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ADDRS	16
#define RBUF		(256 * 1024)

struct lconn {
	int		 fd;
	struct sockaddr_in addr;
	size_t		 sent;		/* bytes of the request written */
	char		*in;
	size_t		 ilen;
	uint64_t	 t0;
	int		 busy;
	int		 want_out;	/* registered for EPOLLOUT */
};

static char	*req;
static size_t	 req_len;
static uint64_t	*lat;
static size_t	 n_lat, cap_lat;
static unsigned long errors;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static int
conn_open(struct lconn *c, int ep)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	int one = 1;

	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&c->addr, sizeof(c->addr)) == -1 &&
	    errno != EINPROGRESS)
		die("connect");
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		die("epoll_ctl");
	c->sent = 0;
	c->ilen = 0;
	c->busy = 1;
	c->want_out = 1;
	c->t0 = now_ns();
	return 0;
}

static void
conn_reset(struct lconn *c, int ep)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	errors++;
	conn_open(c, ep);
}

static void
record(uint64_t ns, int measuring)
{
	if (!measuring)
		return;
	if (n_lat == cap_lat) {
		cap_lat = cap_lat ? cap_lat * 2 : 1 << 16;
		if ((lat = realloc(lat, cap_lat * sizeof(*lat))) == NULL)
			die("realloc");
	}
	lat[n_lat++] = ns;
}

/* 1 when a complete response is in c->in (its length in *used). */
static int
response_done(struct lconn *c, size_t *used, int *status)
{
	char *end, *cl;
	size_t hlen, blen;

	c->in[c->ilen] = '\0';
	if ((end = strstr(c->in, "\r\n\r\n")) == NULL)
		return 0;
	hlen = (size_t)(end - c->in) + 4;
	*status = (int)strtol(c->in + 9, NULL, 10);
	if ((cl = strcasestr(c->in, "\r\ncontent-length:")) == NULL || cl > end)
		blen = 0;
	else
		blen = (size_t)strtoull(cl + 17, NULL, 10);
	if (c->ilen < hlen + blen)
		return 0;
	*used = hlen + blen;
	return 1;
}

static void
on_writable(struct lconn *c, int ep)
{
	ssize_t n;

	struct epoll_event ev;

	while (c->sent < req_len) {
		n = write(c->fd, req + c->sent, req_len - c->sent);
		if (n < 0) {
			if (errno != EAGAIN) {
				conn_reset(c, ep);
				return;
			}
			if (!c->want_out) {
				ev.events = EPOLLIN | EPOLLOUT;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				c->want_out = 1;
			}
			return;
		}
		c->sent += (size_t)n;
	}
	/* All sent: only the answer matters now (no busy EPOLLOUT loop). */
	if (c->want_out) {
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = 0;
	}
}

static void
on_readable(struct lconn *c, int ep, int measuring, unsigned long *done)
{
	size_t used;
	ssize_t n;
	int status;

	for (;;) {
		n = read(c->fd, c->in + c->ilen, RBUF - 1 - c->ilen);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			conn_reset(c, ep);
			return;
		}
		if (n < 0)
			break;
		c->ilen += (size_t)n;
		if (c->ilen >= RBUF - 1) {
			fprintf(stderr, "td-loadgen: response larger than %d "
			    "bytes\n", RBUF);
			exit(1);
		}
	}
	if (!response_done(c, &used, &status))
		return;
	if (status < 200 || status > 299)
		errors++;
	else if (measuring)
		(*done)++;
	record(now_ns() - c->t0, measuring && status >= 200 && status < 300);
	memmove(c->in, c->in + used, c->ilen - used);
	c->ilen -= used;
	/* The next request right away: a closed loop. */
	c->sent = 0;
	c->t0 = now_ns();
	on_writable(c, ep);
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
	return (double)lat[i] / 1000.0;
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		die(path);
	rewind(f);
	if ((data = malloc((size_t)n + 1)) == NULL ||
	    fread(data, 1, (size_t)n, f) != (size_t)n)
		die(path);
	fclose(f);
	*len = (size_t)n;
	return data;
}

static int
parse_addrs(char *arg, struct sockaddr_in *out)
{
	char *save = NULL, *tok, *colon;
	int n = 0;

	for (tok = strtok_r(arg, ",", &save); tok != NULL && n < MAX_ADDRS;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((colon = strrchr(tok, ':')) == NULL)
			return -1;
		*colon = '\0';
		memset(&out[n], 0, sizeof(out[n]));
		out[n].sin_family = AF_INET;
		out[n].sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
		if (inet_pton(AF_INET, tok, &out[n].sin_addr) != 1)
			return -1;
		n++;
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in addrs[MAX_ADDRS];
	struct epoll_event evs[256];
	const char *path = "/invocations", *ctype = "application/json";
	char *body = NULL, *addr_arg = NULL, hdr[512];
	struct lconn *conns;
	size_t body_len = 0;
	double dur = 5, warm = 1;
	unsigned long done = 0;
	uint64_t t_start, t_measure, t_end, now;
	int ch, n_addrs, n_conns = 16, ep, i, n, measuring = 0, hl;

	while ((ch = getopt(argc, argv, "a:p:b:t:c:d:w:")) != -1) {
		switch (ch) {
		case 'a': addr_arg = optarg; break;
		case 'p': path = optarg; break;
		case 'b': body = read_all(optarg, &body_len); break;
		case 't': ctype = optarg; break;
		case 'c': n_conns = (int)strtol(optarg, NULL, 10); break;
		case 'd': dur = strtod(optarg, NULL); break;
		case 'w': warm = strtod(optarg, NULL); break;
		default:
			fprintf(stderr, "usage: td-loadgen -a HOST:PORT[,...] "
			    "-p PATH -b BODYFILE [-t TYPE] [-c CONNS] [-d SECONDS] "
			    "[-w WARMUP]\n");
			return 2;
		}
	}
	if (addr_arg == NULL || body == NULL || n_conns < 1 ||
	    (n_addrs = parse_addrs(addr_arg, addrs)) <= 0) {
		fprintf(stderr, "td-loadgen: need -a HOST:PORT[,...] and -b FILE\n");
		return 2;
	}
	hl = snprintf(hdr, sizeof(hdr), "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", path, ctype,
	    body_len);
	req_len = (size_t)hl + body_len;
	if ((req = malloc(req_len)) == NULL)
		die("malloc");
	memcpy(req, hdr, (size_t)hl);
	memcpy(req + hl, body, body_len);
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1");
	if ((conns = calloc((size_t)n_conns, sizeof(*conns))) == NULL)
		die("calloc");
	for (i = 0; i < n_conns; i++) {
		conns[i].addr = addrs[i % n_addrs];
		if ((conns[i].in = malloc(RBUF)) == NULL)
			die("malloc");
		conn_open(&conns[i], ep);
	}
	t_start = now_ns();
	t_measure = t_start + (uint64_t)(warm * 1e9);
	t_end = t_measure + (uint64_t)(dur * 1e9);
	for (;;) {
		now = now_ns();
		if (!measuring && now >= t_measure) {
			measuring = 1;
			errors = 0;
		}
		if (now >= t_end)
			break;
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			struct lconn *c = evs[i].data.ptr;

			if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				conn_reset(c, ep);
				continue;
			}
			if (evs[i].events & EPOLLOUT)
				on_writable(c, ep);
			if (evs[i].events & EPOLLIN)
				on_readable(c, ep, measuring, &done);
		}
	}
	qsort(lat, n_lat, sizeof(*lat), cmp_u64);
	printf("{\"requests\": %lu, \"errors\": %lu, \"seconds\": %.3f, "
	    "\"rps\": %.1f, \"p50_us\": %.1f, \"p90_us\": %.1f, "
	    "\"p99_us\": %.1f, \"max_us\": %.1f}\n", done, errors, dur,
	    (double)done / dur, pct(0.50), pct(0.90), pct(0.99),
	    n_lat ? (double)lat[n_lat - 1] / 1000.0 : 0.0);
	return 0;
}
