/*
 * evclient.c - a tiny worker.sock client for the worker's integration
 * tests: connects (retrying until the socket exists), optionally sends
 * "stop" when an event of a given type arrives, and prints the event lines
 * it reads to stdout.
 *
 *   worker_evclient SOCKET [-n LINES] [-t SECONDS] [-s TYPE] [-c]
 *     -n  exit after LINES lines (default: read until EOF)
 *     -t  give up after SECONDS (default 30): exit 1
 *     -s  send "stop\n" once a line with "type":"TYPE" was read
 *     -c  close the connection right after connecting (exit 0)
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
connect_retry(const char *path, double deadline)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "evclient: socket path too long\n");
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	while (now() < deadline) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		usleep(20000);
	}
	fprintf(stderr, "evclient: cannot connect to %s\n", path);
	return -1;
}

int
main(int argc, char **argv)
{
	const char *sock, *stop_type = NULL;
	long max_lines = -1, lines = 0;
	double timeout = 30, deadline;
	char buf[65536], line[65536], pat[128];
	size_t ll = 0;
	int c, fd, close_now = 0, stopped = 0;

	while ((c = getopt(argc, argv, "n:t:s:c")) != -1) {
		switch (c) {
		case 'n': max_lines = strtol(optarg, NULL, 10); break;
		case 't': timeout = strtod(optarg, NULL); break;
		case 's': stop_type = optarg; break;
		case 'c': close_now = 1; break;
		default: return 2;
		}
	}
	if (optind >= argc)
		return 2;
	sock = argv[optind];
	deadline = now() + timeout;
	if ((fd = connect_retry(sock, deadline)) == -1)
		return 1;
	if (close_now) {
		close(fd);
		return 0;
	}
	if (stop_type != NULL)
		snprintf(pat, sizeof(pat), "\"type\":\"%s\"", stop_type);
	while (max_lines < 0 || lines < max_lines) {
		struct pollfd p = { fd, POLLIN, 0 };
		double left = deadline - now();
		ssize_t n, i;

		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0) {
			fprintf(stderr, "evclient: timeout\n");
			return 1;
		}
		if ((n = read(fd, buf, sizeof(buf))) <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (ll < sizeof(line) - 1)
				line[ll++] = buf[i];
			if (buf[i] != '\n')
				continue;
			line[ll] = '\0';
			fputs(line, stdout);
			fflush(stdout);
			ll = 0;
			lines++;
			if (stop_type != NULL && !stopped && strstr(line, pat)) {
				if (write(fd, "stop\n", 5) != 5)
					return 1;
				stopped = 1;
			}
			if (max_lines >= 0 && lines >= max_lines)
				break;
		}
	}
	close(fd);
	return 0;
}
