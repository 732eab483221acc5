/*
 * spawnfloor.c - td-bench-spawn: the floor of the dispatch benchmark,
 * COUNT posix_spawn + waitpid of a program, at most PARALLEL at once.
 *
 *   td-bench-spawn [-n COUNT] [-j PARALLEL] PROGRAM [ARG...]
 *
 * stdin/stdout/stderr of the children are /dev/null. Prints one JSON
 * object: count, seconds, per_second, and the children's CPU seconds
 * (getrusage RUSAGE_CHILDREN). Owns nothing else.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	long count = 1000, par = 1, started = 0, done = 0;
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	int ch, rc, st;

	while ((ch = getopt(argc, argv, "+n:j:")) != -1) {
		switch (ch) {
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'j': par = strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (optind >= argc || count < 1 || par < 1)
		goto usage;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	t0 = now();
	while (done < count) {
		while (started < count && started - done < par) {
			rc = posix_spawn(&pid, argv[optind], &fa, NULL,
			    argv + optind, environ);
			if (rc != 0) {
				fprintf(stderr, "td-bench-spawn: %s: %s\n",
				    argv[optind], strerror(rc));
				return 1;
			}
			started++;
		}
		if (waitpid(-1, &st, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("td-bench-spawn: waitpid");
			return 1;
		}
		done++;
	}
	t1 = now();
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("{\"count\": %ld, \"parallel\": %ld, \"seconds\": %.6f, "
	    "\"per_second\": %.1f, \"children_user_s\": %.3f, "
	    "\"children_sys_s\": %.3f}\n", count, par, t1 - t0,
	    (double)count / (t1 - t0), tv(ru.ru_utime), tv(ru.ru_stime));
	posix_spawn_file_actions_destroy(&fa);
	return 0;
usage:
	fprintf(stderr, "usage: td-bench-spawn [-n COUNT] [-j PARALLEL] "
	    "PROGRAM [ARG...]\n");
	return 2;
}
