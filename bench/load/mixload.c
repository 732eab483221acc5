/*
 * mixload.c - td-mixload: the control-plane load of issue 6 from C.
 *
 *   td-mixload (-u SOCKET | -a 127.0.0.1:PORT) [-c CONNECTIONS] [-d SECONDS]
 *
 * CONNECTIONS (default 64) keep-alive connections on one epoll thread,
 * each with one request in flight, issue a mix for SECONDS (default 30):
 * 10% CreateTrainingJob (a job printing one metric), 10% StopTrainingJob
 * of one of the connection's own jobs, 40% DescribeTrainingJob of one of
 * them, 40% ListTrainingJobs (four filter/sort variants). The only
 * expected error is StopTrainingJob's ValidationException (the job had
 * ended). Any other non-200, a broken connection, or an answer mentioning
 * "locked" or "SQLITE_BUSY" is unexpected. Prints one line of figures
 * (requests, rate, latency percentiles, answers by kind) and exits 1 if
 * anything unexpected happened. Loopback and unix sockets only.
 *
 * Owns its sockets and buffers only; knows the API from its JSON text.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
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

#define MAX_CONNS	1024
#define MAX_OWN		8192
#define RBUF		(1024 * 1024)
#define NAME_LEN	24

enum op { OP_CREATE, OP_STOP, OP_DESCRIBE, OP_LIST, OP_N };

static const char *const op_names[OP_N] = {
	"CreateTrainingJob", "StopTrainingJob", "DescribeTrainingJob",
	"ListTrainingJobs",
};

struct mconn {
	int		 fd;
	int		 idx;
	enum op		 op;
	char		 req[4096];
	size_t		 req_len, sent;
	char		*in;
	size_t		 ilen;
	uint64_t	 t0;
	unsigned int	 seed;
	char		(*own)[NAME_LEN];
	size_t		 n_own;
	unsigned int	 next_job;
};

static struct {
	const char	*unix_path;
	struct sockaddr_in tcp;
	int		 is_tcp;
	uint64_t	*lat;		/* microseconds */
	size_t		 n_lat, cap_lat;
	unsigned long	 ok[OP_N], expected, unexpected, busy, broken;
} g;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
mc_connect(struct mconn *c)
{
	struct sockaddr_un un;
	int one = 1;

	if (g.is_tcp) {
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&g.tcp,
		    sizeof(g.tcp)) != 0)
			return -1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	} else {
		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", g.unix_path);
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&un,
		    sizeof(un)) != 0)
			return -1;
	}
	return fcntl(c->fd, F_SETFL, O_NONBLOCK);
}

/* Builds the next request of c into c->req. */
static void
mc_next(struct mconn *c)
{
	char body[2048];
	const char *name;
	int r = (int)(rand_r(&c->seed) % 100), n;

	if (r < 10 || c->n_own == 0) {
		c->op = OP_CREATE;
		if (c->n_own < MAX_OWN) {
			/* The pid keeps names of successive runs apart. */
			snprintf(c->own[c->n_own], NAME_LEN, "mx%d-%03d-%05u",
			    (int)(getpid() % 100000), c->idx, c->next_job++);
			name = c->own[c->n_own++];
		} else {
			name = c->own[rand_r(&c->seed) % c->n_own];
		}
		snprintf(body, sizeof(body), "{\"TrainingJobName\":\"%s\","
		    "\"AlgorithmSpecification\":{\"TrainingImage\":\"local\","
		    "\"TrainingInputMode\":\"File\",\"ContainerEntrypoint\":"
		    "[\"/bin/sh\",\"-c\",\"echo val_loss: 1\"],"
		    "\"MetricDefinitions\":[{\"Name\":\"val_loss\",\"Regex\":"
		    "\"val_loss: ([0-9.]+)\"}]},\"RoleArn\":"
		    "\"arn:aws:iam::000000000000:role/local\"}", name);
	} else if (r < 60) {
		c->op = r < 20 ? OP_STOP : OP_DESCRIBE;
		snprintf(body, sizeof(body), "{\"TrainingJobName\":\"%s\"}",
		    c->own[rand_r(&c->seed) % c->n_own]);
	} else {
		static const char *const lists[] = {
			"{}", "{\"MaxResults\":5,\"SortBy\":\"Name\"}",
			"{\"StatusEquals\":\"Stopped\",\"MaxResults\":20}",
			"{\"NameContains\":\"-00\"}",
		};

		c->op = OP_LIST;
		snprintf(body, sizeof(body), "%s", lists[rand_r(&c->seed) % 4]);
	}
	n = snprintf(c->req, sizeof(c->req), "POST / HTTP/1.1\r\nHost: x\r\n"
	    "X-Amz-Target: SageMaker.%s\r\nContent-Type: "
	    "application/x-amz-json-1.1\r\nContent-Length: %zu\r\n\r\n%s",
	    op_names[c->op], strlen(body), body);
	c->req_len = (size_t)n;
	c->sent = 0;
	c->ilen = 0;
	c->t0 = now_us();
}

static void
record_latency(uint64_t us)
{
	if (g.n_lat == g.cap_lat) {
		g.cap_lat = g.cap_lat ? g.cap_lat * 2 : 65536;
		if ((g.lat = realloc(g.lat, g.cap_lat * sizeof(*g.lat))) == NULL)
			abort();
	}
	g.lat[g.n_lat++] = us;
}

/* A complete answer in c->in? Returns its length, 0 if not yet, -1 if bad. */
static long
answer_len(const struct mconn *c, int *status)
{
	const char *end, *cl;
	long n;

	if ((end = memmem(c->in, c->ilen, "\r\n\r\n", 4)) == NULL)
		return 0;
	if (c->ilen < 12 || sscanf(c->in, "HTTP/1.1 %d", status) != 1)
		return -1;
	cl = memmem(c->in, (size_t)(end - c->in), "Content-Length: ", 16);
	if (cl == NULL)
		return -1;
	n = strtol(cl + 16, NULL, 10);
	if ((size_t)(end + 4 - c->in) + (size_t)n > c->ilen)
		return 0;
	return (long)(end + 4 - c->in) + n;
}

static void
classify(struct mconn *c, int status, const char *body, size_t len)
{
	record_latency(now_us() - c->t0);
	if (memmem(body, len, "locked", 6) != NULL ||
	    memmem(body, len, "SQLITE_BUSY", 11) != NULL)
		g.busy++;
	if (status == 200)
		g.ok[c->op]++;
	else if (c->op == OP_STOP && status == 400 &&
	    memmem(body, len, "ValidationException", 19) != NULL)
		g.expected++;
	else {
		if (g.unexpected < 5)
			fprintf(stderr, "td-mixload: %s: %d %.*s\n",
			    op_names[c->op], status, (int)(len > 300 ? 300 : len),
			    body);
		g.unexpected++;
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void
usage(void)
{
	fprintf(stderr, "usage: td-mixload (-u SOCKET | -a 127.0.0.1:PORT) "
	    "[-c CONNECTIONS] [-d SECONDS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	struct mconn *conns;
	int ch, n_conns = 64, ep, i, k;
	double seconds = 30;
	uint64_t t_start, t_end;
	unsigned long total = 0;
	char *colon;

	while ((ch = getopt(argc, argv, "u:a:c:d:")) != -1) {
		switch (ch) {
		case 'u': g.unix_path = optarg; break;
		case 'a':
			if ((colon = strrchr(optarg, ':')) == NULL)
				usage();
			*colon = '\0';
			g.tcp.sin_family = AF_INET;
			g.tcp.sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
			if (inet_pton(AF_INET, optarg, &g.tcp.sin_addr) != 1 ||
			    strncmp(optarg, "127.", 4) != 0)
				usage();	/* loopback only */
			g.is_tcp = 1;
			break;
		case 'c': n_conns = (int)strtol(optarg, NULL, 10); break;
		case 'd': seconds = strtod(optarg, NULL); break;
		default: usage();
		}
	}
	if ((g.unix_path == NULL) == !g.is_tcp || n_conns < 1 ||
	    n_conns > MAX_CONNS || seconds <= 0)
		usage();
	if ((conns = calloc((size_t)n_conns, sizeof(*conns))) == NULL ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return 2;
	for (i = 0; i < n_conns; i++) {
		struct mconn *c = &conns[i];

		c->idx = i;
		c->seed = (unsigned int)i * 2654435761u + 1;
		if ((c->in = malloc(RBUF)) == NULL ||
		    (c->own = calloc(MAX_OWN, NAME_LEN)) == NULL)
			return 2;
		if (mc_connect(c) != 0) {
			fprintf(stderr, "td-mixload: connect: %s\n", strerror(errno));
			return 2;
		}
		mc_next(c);
		ev.events = EPOLLIN | EPOLLOUT;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	}
	t_start = now_us();
	t_end = t_start + (uint64_t)(seconds * 1e6);
	while (now_us() < t_end) {
		int n = epoll_wait(ep, evs, 256, 100);

		for (k = 0; k < n; k++) {
			struct mconn *c = evs[k].data.ptr;
			ssize_t r;
			long len;
			int status = 0;

			if (c->fd < 0)
				continue;
			if (c->sent < c->req_len && (evs[k].events & EPOLLOUT)) {
				r = write(c->fd, c->req + c->sent, c->req_len - c->sent);
				if (r > 0)
					c->sent += (size_t)r;
				if (c->sent == c->req_len) {
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			}
			if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			r = read(c->fd, c->in + c->ilen, RBUF - c->ilen);
			if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
				g.broken++;
				close(c->fd);
				c->fd = -1;
				continue;
			}
			if (r > 0)
				c->ilen += (size_t)r;
			if ((len = answer_len(c, &status)) < 0) {
				g.broken++;
				close(c->fd);
				c->fd = -1;
				continue;
			}
			if (len == 0)
				continue;
			{
				const char *body = memmem(c->in, (size_t)len,
				    "\r\n\r\n", 4) + 4;

				classify(c, status, body,
				    (size_t)(c->in + len - body));
			}
			if (now_us() >= t_end)
				continue;
			mc_next(c);
			ev.events = EPOLLIN | EPOLLOUT;
			ev.data.ptr = c;
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		}
	}
	seconds = (double)(now_us() - t_start) / 1e6;
	for (i = 0; i < OP_N; i++)
		total += g.ok[i];
	total += g.expected + g.unexpected;
	qsort(g.lat, g.n_lat, sizeof(*g.lat), cmp_u64);
	printf("td-mixload: %d connections (%s), %.1f s: %lu requests, %.0f/s; "
	    "latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; ok: create %lu, "
	    "stop %lu, describe %lu, list %lu; expected errors %lu; "
	    "unexpected %lu; broken connections %lu; busy/locked %lu\n",
	    n_conns, g.is_tcp ? "tcp" : "unix", seconds, total,
	    (double)total / seconds,
	    g.n_lat ? (double)g.lat[g.n_lat / 2] / 1000 : 0,
	    g.n_lat ? (double)g.lat[(size_t)((double)g.n_lat * 0.99)] / 1000 : 0,
	    g.n_lat ? (double)g.lat[g.n_lat - 1] / 1000 : 0,
	    g.ok[OP_CREATE], g.ok[OP_STOP], g.ok[OP_DESCRIBE], g.ok[OP_LIST],
	    g.expected, g.unexpected, g.broken, g.busy);
	for (i = 0; i < n_conns; i++) {
		if (conns[i].fd >= 0)
			close(conns[i].fd);
		free(conns[i].in);
		free(conns[i].own);
	}
	free(conns);
	free(g.lat);
	close(ep);
	return g.unexpected || g.broken || g.busy ? 1 : 0;
}
