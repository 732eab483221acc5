/*
 * replay.c - the main() of every fuzz target when it is not built for
 * libFuzzer: a deterministic, bounded pass a CI test can run.
 *
 * usage: fuzz_<target>_replay [-n ROUNDS] [-s SEED] [-t SECONDS] PATH...
 *
 * Each PATH is a file or a directory of files (a committed seed corpus,
 * or crash files left by libFuzzer). Every file is fed once to
 * LLVMFuzzerTestOneInput(), then ROUNDS (default 5000) inputs made by a
 * fixed-seed series of mutations of those files: bit flips, bytes that
 * parsers care about, truncation, repeated slices, splices of two files,
 * boundary integers. A pass stops early after SECONDS (default 60) so
 * that a slow sanitizer build stays bounded. The target must abort (or
 * the sanitizers report) on a bug; this program only counts and prints
 * "<prog>: N files, M mutations, T s". Exit 0, or 2 on bad usage/IO.
 *
 * Owns nothing but its own buffers; knows nothing about the target.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT	(256 * 1024)

struct input {
	unsigned char	*data;
	size_t		 len;
};

static struct input *inputs;
static size_t n_inputs, cap_inputs;
static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static int
add_file(const char *path)
{
	struct input *in;
	FILE *fp;
	size_t cap = 4096, got;

	if (n_inputs == cap_inputs) {
		cap_inputs = cap_inputs ? cap_inputs * 2 : 64;
		if ((inputs = realloc(inputs, cap_inputs * sizeof(*inputs))) == NULL)
			abort();
	}
	in = &inputs[n_inputs];
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	in->len = 0;
	if ((in->data = malloc(cap)) == NULL)
		abort();
	while ((got = fread(in->data + in->len, 1, cap - in->len, fp)) > 0) {
		in->len += got;
		if (in->len == cap) {
			cap *= 2;
			if ((in->data = realloc(in->data, cap)) == NULL)
				abort();
		}
	}
	fclose(fp);
	n_inputs++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's regular files in name order, so a run is reproducible. */
static int
add_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((names = realloc(names, cap * sizeof(*names))) == NULL)
				abort();
		}
		if ((names[n++] = strdup(e->d_name)) == NULL)
			abort();
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    add_file(path) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

static void
put_int(unsigned char *b, size_t n, size_t at, uint64_t v, size_t width)
{
	size_t i;

	for (i = 0; i < width && at + i < n; i++)
		b[at + i] = (unsigned char)(v >> (8 * i));
}

/* One random edit of b (length *n, capacity cap). */
static void
mutate(unsigned char *b, size_t *n, size_t cap)
{
	static const char special[] = "\0\n\r\t \"\\,:;[]{}-+.0123456789eE"
	    "\x7f\x80\xbf\xc0\xff()*?|$^";
	static const uint64_t ints[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff,
	    0xffff, 0x7fffffff, 0xffffffff, 0x8000000000000000ULL,
	    0xffffffffffffffffULL };
	const struct input *o;
	size_t i, k;

	switch (rnd(8)) {
	case 0:		/* flip a bit */
		if (*n > 0)
			b[rnd((uint32_t)*n)] ^= (unsigned char)(1u << rnd(8));
		break;
	case 1:		/* a byte parsers care about */
		if (*n > 0)
			b[rnd((uint32_t)*n)] =
			    (unsigned char)special[rnd(sizeof(special) - 1)];
		break;
	case 2:		/* truncate */
		*n = rnd((uint32_t)*n + 1);
		break;
	case 3:		/* repeat a slice */
		if (*n == 0)
			break;
		i = rnd((uint32_t)*n);
		k = rnd((uint32_t)(*n - i)) + 1;
		if (*n + k <= cap) {
			memmove(b + i + k, b + i, *n - i);
			*n += k;
		}
		break;
	case 4:		/* delete a slice */
		if (*n == 0)
			break;
		i = rnd((uint32_t)*n);
		k = rnd((uint32_t)(*n - i)) + 1;
		memmove(b + i, b + i + k, *n - i - k);
		*n -= k;
		break;
	case 5:		/* splice in part of another input */
		o = &inputs[rnd((uint32_t)n_inputs)];
		if (o->len == 0)
			break;
		i = rnd((uint32_t)o->len);
		k = rnd((uint32_t)(o->len - i)) + 1;
		if (k > cap - *n)
			k = cap - *n;
		if (k > 0) {
			size_t at = rnd((uint32_t)*n + 1);

			memmove(b + at + k, b + at, *n - at);
			memcpy(b + at, o->data + i, k);
			*n += k;
		}
		break;
	case 6:		/* a boundary integer, little-endian */
		if (*n > 0)
			put_int(b, *n, rnd((uint32_t)*n), ints[rnd(sizeof(ints) /
			    sizeof(ints[0]))], 1u << rnd(4));
		break;
	default:	/* random bytes */
		for (k = rnd(8) + 1; k > 0 && *n < cap; k--)
			b[(*n)++] = (unsigned char)rnd(256);
		break;
	}
}

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n ROUNDS] [-s SEED] [-t SECONDS] PATH...\n",
	    prog);
	exit(2);
}

static long
num_arg(const char *prog, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < 0)
		usage(prog);
	return v;
}

int
main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	long rounds = 5000, seed = 1, limit_s = 60, j;
	unsigned char *b;
	size_t i, n, files;
	struct stat st;
	time_t t0 = time(NULL);
	int a;

	signal(SIGPIPE, SIG_IGN);
	for (a = 1; a < argc && argv[a][0] == '-'; a += 2) {
		if (a + 1 >= argc)
			usage(prog);
		if (strcmp(argv[a], "-n") == 0)
			rounds = num_arg(prog, argv[a + 1]);
		else if (strcmp(argv[a], "-s") == 0)
			seed = num_arg(prog, argv[a + 1]);
		else if (strcmp(argv[a], "-t") == 0)
			limit_s = num_arg(prog, argv[a + 1]);
		else
			usage(prog);
	}
	if (a >= argc)
		usage(prog);
	for (; a < argc; a++) {
		if (stat(argv[a], &st) != 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, argv[a],
			    strerror(errno));
			return 2;
		}
		if ((S_ISDIR(st.st_mode) ? add_dir(argv[a]) :
		    add_file(argv[a])) != 0)
			return 2;
	}
	if (n_inputs == 0) {
		fprintf(stderr, "%s: no input files\n", prog);
		return 2;
	}
	files = n_inputs;
	for (i = 0; i < files; i++)
		LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].len);
	rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)seed;
	if ((b = malloc(REPLAY_MAX_INPUT)) == NULL)
		abort();
	for (j = 0; j < rounds; j++) {
		const struct input *in = &inputs[rnd((uint32_t)files)];

		if ((j & 255) == 0 && time(NULL) - t0 >= limit_s)
			break;
		n = in->len < REPLAY_MAX_INPUT ? in->len : REPLAY_MAX_INPUT;
		memcpy(b, in->data, n);
		for (i = rnd(4) + 1; i > 0; i--)
			mutate(b, &n, REPLAY_MAX_INPUT);
		LLVMFuzzerTestOneInput(b, n);
	}
	printf("%s: %zu files, %ld mutations, %ld s\n", prog, files, j,
	    (long)(time(NULL) - t0));
	free(b);
	for (i = 0; i < n_inputs; i++)
		free(inputs[i].data);
	free(inputs);
	return 0;
}
