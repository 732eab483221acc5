/*
 * test_worker_memlimit.c - instance types to memory (against AWS's
 * published sizes, typed in here from the instance pages, not from the
 * table), the person-readable size, the out-of-memory words, and the
 * exec-limited trampoline's argument checks.
 */
#include "t.h"

#include <stdint.h>

#include "err.h"
#include "memlimit.h"

static uint64_t
gib(double g)
{
	return (uint64_t)(g * 1024) << 20;
}

static void
t_lookup(void)
{
	static const struct { const char *type; double gib; } known[] = {
		{ "ml.t3.medium", 4 }, { "ml.m5.large", 8 },
		{ "ml.m5.24xlarge", 384 }, { "ml.c5.xlarge", 8 },
		{ "ml.c5.9xlarge", 72 }, { "ml.c4.xlarge", 7.5 },
		{ "ml.c5n.xlarge", 10.5 }, { "ml.r5.large", 16 },
		{ "ml.p3.2xlarge", 61 }, { "ml.g4dn.xlarge", 16 },
		{ "ml.p4d.24xlarge", 1152 }, { "ml.c6i.large", 4 },
	};
	uint64_t b;
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		b = 0;
		T_EQ_INT(memlimit_lookup(known[i].type, &b), 0);
		T_EQ_INT(b, gib(known[i].gib));
	}
}

static void
t_unknown(void)
{
	static const char *const bad[] = { "local", "", "ml.m5", "m5.large",
	    "ml.m5.large ", "ML.M5.LARGE", "ml.m5.3xlarge", "ml.m5.large.x",
	    "ml.", "ml.z9.large" };
	uint64_t b = 12345;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EQ_INT(memlimit_lookup(bad[i], &b), TD_ENOTFOUND);
	T_EQ_INT(memlimit_lookup(NULL, &b), TD_ENOTFOUND);
	T_EQ_INT(b, 12345);	/* untouched on failure */
}

static void
t_fmt(void)
{
	char s[32];

	memlimit_fmt(gib(8), s, sizeof(s));
	T_EQ_STR(s, "8 GiB");
	memlimit_fmt(gib(7.5), s, sizeof(s));
	T_EQ_STR(s, "7.5 GiB");
	memlimit_fmt(gib(10.5), s, sizeof(s));
	T_EQ_STR(s, "10.5 GiB");
	memlimit_fmt((uint64_t)512 << 20, s, sizeof(s));
	T_EQ_STR(s, "512 MiB");
	memlimit_fmt((uint64_t)1100 << 20, s, sizeof(s));
	T_EQ_STR(s, "1100 MiB");
	memlimit_fmt(gib(1152), s, 4);	/* cut, still terminated */
	T_EQ_INT(strlen(s), 3);
}

static void
t_oom_text(void)
{
	T_ASSERT(memlimit_oom_text("Traceback (most recent call last):\n"
	    "  File \"<string>\", line 1, in <module>\nMemoryError"));
	T_ASSERT(memlimit_oom_text("terminate called after throwing an "
	    "instance of 'std::bad_alloc'"));
	T_ASSERT(memlimit_oom_text("mmap: Cannot allocate memory"));
	T_ASSERT(memlimit_oom_text("RuntimeError: CUDA OUT OF MEMORY."));
	T_ASSERT(!memlimit_oom_text("ValueError: bad learning rate"));
	T_ASSERT(!memlimit_oom_text("memory use: 12 MiB; loss 0.1"));
	T_ASSERT(!memlimit_oom_text(""));
	T_ASSERT(!memlimit_oom_text(NULL));
}

static void
t_exec_bad_args(void)
{
	char *few[] = { "tunerd-worker", "exec-limited", "100", "/bin/true",
	    NULL };
	char *neg[] = { "tunerd-worker", "exec-limited", "-1", "/bin/true",
	    "true", NULL };
	char *junk[] = { "tunerd-worker", "exec-limited", "8G", "/bin/true",
	    "true", NULL };
	/* LONG_MAX bytes: no real limit on this test process. */
	char *missing[] = { "tunerd-worker", "exec-limited",
	    "9223372036854775807",
	    "/nonexistent/prog", "prog", NULL };

	T_EQ_INT(memlimit_exec(4, few), 2);
	T_EQ_INT(memlimit_exec(5, neg), 2);
	T_EQ_INT(memlimit_exec(5, junk), 2);
	/* Returns only when the exec failed, after setting the limit. */
	T_EQ_INT(memlimit_exec(5, missing), 127);
}

T_MAIN(T_CASE(t_lookup), T_CASE(t_unknown), T_CASE(t_fmt),
    T_CASE(t_oom_text), T_CASE(t_exec_bad_args))
