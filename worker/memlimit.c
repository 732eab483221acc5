/*
 * memlimit.c - instance types to memory, and recognising a program that
 * ran out of it (see memlimit.h).
 *
 * Owns the table; no state, no I/O except memlimit_exec(), which replaces
 * the process. Sizes are MiB so that 7.5 GiB (c4.xlarge) is exact.
 */
#include <sys/resource.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fmt.h"
#include "memlimit.h"
#include "util.h"

struct memlimit_type {
	const char	*name;
	uint32_t	 mib;
};

#define G(x)	((uint32_t)((x) * 1024))

/* AWS's published memory per size, by family. */
static const struct memlimit_type types[] = {
	{ "ml.t2.medium", G(4) }, { "ml.t2.large", G(8) },
	{ "ml.t2.xlarge", G(16) }, { "ml.t2.2xlarge", G(32) },
	{ "ml.t3.medium", G(4) }, { "ml.t3.large", G(8) },
	{ "ml.t3.xlarge", G(16) }, { "ml.t3.2xlarge", G(32) },
	{ "ml.m4.xlarge", G(16) }, { "ml.m4.2xlarge", G(32) },
	{ "ml.m4.4xlarge", G(64) }, { "ml.m4.10xlarge", G(160) },
	{ "ml.m4.16xlarge", G(256) },
	{ "ml.m5.large", G(8) }, { "ml.m5.xlarge", G(16) },
	{ "ml.m5.2xlarge", G(32) }, { "ml.m5.4xlarge", G(64) },
	{ "ml.m5.12xlarge", G(192) }, { "ml.m5.24xlarge", G(384) },
	{ "ml.m5d.large", G(8) }, { "ml.m5d.xlarge", G(16) },
	{ "ml.m5d.2xlarge", G(32) }, { "ml.m5d.4xlarge", G(64) },
	{ "ml.m5d.12xlarge", G(192) }, { "ml.m5d.24xlarge", G(384) },
	{ "ml.m6i.large", G(8) }, { "ml.m6i.xlarge", G(16) },
	{ "ml.m6i.2xlarge", G(32) }, { "ml.m6i.4xlarge", G(64) },
	{ "ml.m6i.8xlarge", G(128) }, { "ml.m6i.12xlarge", G(192) },
	{ "ml.m6i.16xlarge", G(256) }, { "ml.m6i.24xlarge", G(384) },
	{ "ml.m6i.32xlarge", G(512) },
	{ "ml.c4.xlarge", G(7.5) }, { "ml.c4.2xlarge", G(15) },
	{ "ml.c4.4xlarge", G(30) }, { "ml.c4.8xlarge", G(60) },
	{ "ml.c5.xlarge", G(8) }, { "ml.c5.2xlarge", G(16) },
	{ "ml.c5.4xlarge", G(32) }, { "ml.c5.9xlarge", G(72) },
	{ "ml.c5.18xlarge", G(144) },
	{ "ml.c5n.xlarge", G(10.5) }, { "ml.c5n.2xlarge", G(21) },
	{ "ml.c5n.4xlarge", G(42) }, { "ml.c5n.9xlarge", G(96) },
	{ "ml.c5n.18xlarge", G(192) },
	{ "ml.c6i.large", G(4) }, { "ml.c6i.xlarge", G(8) },
	{ "ml.c6i.2xlarge", G(16) }, { "ml.c6i.4xlarge", G(32) },
	{ "ml.c6i.8xlarge", G(64) }, { "ml.c6i.12xlarge", G(96) },
	{ "ml.c6i.16xlarge", G(128) }, { "ml.c6i.24xlarge", G(192) },
	{ "ml.c6i.32xlarge", G(256) },
	{ "ml.r5.large", G(16) }, { "ml.r5.xlarge", G(32) },
	{ "ml.r5.2xlarge", G(64) }, { "ml.r5.4xlarge", G(128) },
	{ "ml.r5.12xlarge", G(384) }, { "ml.r5.24xlarge", G(768) },
	{ "ml.p2.xlarge", G(61) }, { "ml.p2.8xlarge", G(488) },
	{ "ml.p2.16xlarge", G(732) },
	{ "ml.p3.2xlarge", G(61) }, { "ml.p3.8xlarge", G(244) },
	{ "ml.p3.16xlarge", G(488) }, { "ml.p3dn.24xlarge", G(768) },
	{ "ml.p4d.24xlarge", G(1152) },
	{ "ml.g4dn.xlarge", G(16) }, { "ml.g4dn.2xlarge", G(32) },
	{ "ml.g4dn.4xlarge", G(64) }, { "ml.g4dn.8xlarge", G(128) },
	{ "ml.g4dn.12xlarge", G(192) }, { "ml.g4dn.16xlarge", G(256) },
	{ "ml.g5.xlarge", G(16) }, { "ml.g5.2xlarge", G(32) },
	{ "ml.g5.4xlarge", G(64) }, { "ml.g5.8xlarge", G(128) },
	{ "ml.g5.12xlarge", G(192) }, { "ml.g5.16xlarge", G(256) },
	{ "ml.g5.24xlarge", G(384) }, { "ml.g5.48xlarge", G(768) },
};

int
memlimit_lookup(const char *instance_type, uint64_t *bytes)
{
	size_t i;

	if (instance_type == NULL)
		return TD_ENOTFOUND;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(types[i].name, instance_type) == 0) {
			*bytes = (uint64_t)types[i].mib << 20;
			return 0;
		}
	}
	return TD_ENOTFOUND;
}

void
memlimit_fmt(uint64_t bytes, char *out, size_t outlen)
{
	uint64_t mib = bytes >> 20;

	if (mib < 1024 || (mib * 10 % 1024) != 0)
		fmt_msg(out, outlen, "%llu MiB", (unsigned long long)mib);
	else if (mib % 1024 == 0)
		fmt_msg(out, outlen, "%llu GiB",
		    (unsigned long long)(mib / 1024));
	else
		fmt_msg(out, outlen, "%llu.%llu GiB",
		    (unsigned long long)(mib / 1024),
		    (unsigned long long)(mib % 1024 * 10 / 1024));
}

int
memlimit_oom_text(const char *text)
{
	static const char *const words[] = {
		"MemoryError", "bad_alloc", "Cannot allocate memory",
		"out of memory", "memory exhausted", "OutOfMemory",
		"failed to allocate", "ENOMEM", "allocation failed",
	};
	size_t i;

	if (text == NULL)
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(text, words[i]) != NULL)
			return 1;
	return 0;
}

int
memlimit_exec(int argc, char **argv)
{
	struct rlimit rl;
	long bytes;

	if (argc < 5 || td_parse_long(argv[2], 1, LONG_MAX, &bytes) != 0) {
		fprintf(stderr, "usage: tunerd-worker exec-limited BYTES PATH "
		    "ARGV0 [ARG...]\n");
		return 2;
	}
	if (getrlimit(RLIMIT_DATA, &rl) == 0) {
		/* Never above a lower limit we were given. */
		if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)bytes)
			rl.rlim_cur = (rlim_t)bytes;
		if (setrlimit(RLIMIT_DATA, &rl) == -1)
			fprintf(stderr, "tunerd-worker: setrlimit RLIMIT_DATA: "
			    "%s\n", strerror(errno));
	}
	execv(argv[3], argv + 4);
	fprintf(stderr, "tunerd-worker: cannot run %s: %s\n", argv[3],
	    strerror(errno));
	return 127;
}
