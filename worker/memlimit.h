/*
 * memlimit.h - the memory of a SageMaker instance type, applied to the
 * training program as RLIMIT_DATA, and the words for a program that ran
 * out of it.
 *
 * The table holds the memory AWS publishes for each size of the common ml.*
 * families (the EC2 instance type pages: t2, t3, m4, m5, m5d, m6i, c4, c5,
 * c5n, c6i, r5, p2, p3, p3dn, p4d, g4dn, g5). Any other type, "local"
 * included, has no limit. RLIMIT_DATA (not RLIMIT_AS) because it counts
 * what a program allocates (brk and private writable mappings) and not
 * address space it only reserves (PROT_NONE arenas of glibc, Go and the
 * JVM, shared libraries' code), which would make a RLIMIT_AS of the
 * instance's memory fail programs that fit in it.
 */
#ifndef TD_WORKER_MEMLIMIT_H
#define TD_WORKER_MEMLIMIT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The memory of instance_type in bytes: 0, or TD_ENOTFOUND for an
 * unknown type or NULL.
 */
int memlimit_lookup(const char *instance_type, uint64_t *bytes);
/* bytes for a person: "8 GiB", "7.5 GiB", "512 MiB". */
void memlimit_fmt(uint64_t bytes, char *out, size_t outlen);
/*
 * Whether a program's last words (its stderr tail) say that an allocation
 * failed: Python's MemoryError, C++'s std::bad_alloc, "Cannot allocate
 * memory" (ENOMEM), "out of memory" and the like, in any case.
 */
int memlimit_oom_text(const char *text);
/*
 * `tunerd-worker exec-limited BYTES PATH ARGV0 [ARG...]`: sets the soft
 * RLIMIT_DATA to BYTES and execs PATH with the rest as argv and the
 * current environment. For sanitizer builds of the worker, whose own
 * reservations forbid setting the limit in the worker around posix_spawn
 * (run.c). Returns only on failure: 127 after a message on stderr, 2 for
 * bad arguments.
 */
int memlimit_exec(int argc, char **argv);

#endif
