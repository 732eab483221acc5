/*
 * t.h - the unit-test harness: each test file is one program; each case a
 * function run in its own forked process with a timeout, so a crash or hang
 * fails only that case. Output is TAP; the exit code is the failure count.
 *
 *   static void t_name(void) { T_ASSERT(x == 1); T_EQ_STR(a, "b"); }
 *   T_MAIN(T_CASE(t_name), ...)
 */
#ifndef TD_T_H
#define TD_T_H

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct t_case {
	const char *name;
	void (*fn)(void);
};

#define T_CASE(f) { #f, f }

#define T_FAIL(...) do {                                                   \
	fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                  \
	fprintf(stderr, __VA_ARGS__);                                      \
	fprintf(stderr, "\n");                                             \
	exit(1);                                                           \
} while (0)

#define T_ASSERT(c) do { if (!(c)) T_FAIL("assertion failed: %s", #c); } while (0)
#define T_EQ_INT(a, b) do { long long _a = (a), _b = (b);                 \
	if (_a != _b) T_FAIL("%s == %lld, expected %lld", #a, _a, _b); } while (0)
#define T_EQ_STR(a, b) do { const char *_a = (a), *_b = (b);              \
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0)               \
		T_FAIL("%s == \"%s\", expected \"%s\"", #a,                \
		    _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
#define T_NEAR(a, b, tol) do { double _a = (a), _b = (b);                 \
	if (!(fabs(_a - _b) <= (tol)))                                     \
		T_FAIL("%s == %.17g, expected %.17g (tol %g)", #a, _a, _b,  \
		    (double)(tol)); } while (0)

static inline int
t_run(const struct t_case *cases, size_t n, unsigned int timeout_s)
{
	size_t i;
	int failed = 0;

	printf("1..%zu\n", n);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		int status = 0;
		pid_t pid = fork();

		if (pid == 0) {
			alarm(timeout_s);
			cases[i].fn();
			exit(0);
		}
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %zu - %s\n", i + 1, cases[i].name);
		} else {
			failed++;
			if (WIFSIGNALED(status))
				printf("not ok %zu - %s (signal %d)\n", i + 1,
				    cases[i].name, WTERMSIG(status));
			else
				printf("not ok %zu - %s\n", i + 1, cases[i].name);
		}
		fflush(stdout);
	}
	return failed;
}

#define T_MAIN(...)                                                        \
int main(void) {                                                           \
	static const struct t_case cases[] = { __VA_ARGS__ };               \
	const char *to = getenv("T_TIMEOUT");                              \
	return t_run(cases, sizeof(cases) / sizeof(cases[0]),              \
	    to ? (unsigned)strtoul(to, NULL, 10) : 60);                    \
}

#endif
