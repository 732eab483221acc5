/*
 * fuzz_http.c - the HTTP server's parsing path under arbitrary bytes.
 *
 * Built with -DTD_LIBFUZZER and -fsanitize=fuzzer (clang) it is a
 * libFuzzer target. Built without, it is a replay program: each file named
 * on the command line is fed once; with no arguments it feeds built-in
 * seeds and a fixed-seed series of their mutations (a quick, deterministic
 * pass that runs in the unit suite under the sanitizers). Exit status 0
 * when every input ran and the loop closed cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r;

	/* Past a few socket buffers nothing new is reached. */
	if (size > 256 * 1024)
		return 0;
	if ((r = http__feed_for_fuzz(data, size)) != 0) {
		fprintf(stderr, "fuzz_http: feed: %d\n", r);
		abort();
	}
	return 0;
}

#ifndef TD_LIBFUZZER

#include <signal.h>

static const char *const seeds[] = {
	"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /a?b=c HTTP/1.1\r\n\r\nPOST /p HTTP/1.1\r\nContent-Length: 3\r\n"
	    "\r\nabcHEAD / HTTP/1.1\r\n\r\n",
	"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
	    "a;ext=1\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n",
	"POST / HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody",
	"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
	"POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n",
	"GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
	"CONNECT h:1 HTTP/1.1\r\n\r\n",
	"GET / HTTP/1.1\r\nX-Folded: a\r\n  b\r\nContent-Type: text/x\r\n\r\n",
	"\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n",
};

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static int
feed(const unsigned char *p, size_t n)
{
	int r = http__feed_for_fuzz(p, n);

	if (r != 0)
		fprintf(stderr, "fuzz_http: feed of %zu bytes: %d\n", n, r);
	return r != 0;
}

/* One random edit of b (length *n, capacity cap). */
static void
mutate(unsigned char *b, size_t *n, size_t cap)
{
	size_t i, k;

	switch (rnd(5)) {
	case 0:		/* flip a byte */
		if (*n > 0)
			b[rnd((uint32_t)*n)] ^= (unsigned char)(1u << rnd(8));
		break;
	case 1:		/* set a byte to something parsers care about */
		if (*n > 0)
			b[rnd((uint32_t)*n)] = (unsigned char)":\r\n 0\t;\0\xff"[rnd(9)];
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
	default:	/* append another seed */
		i = rnd(sizeof(seeds) / sizeof(seeds[0]));
		k = strlen(seeds[i]);
		if (*n + k <= cap) {
			memcpy(b + *n, seeds[i], k);
			*n += k;
		}
		break;
	}
}

static int
replay_file(const char *path)
{
	unsigned char *b = NULL;
	size_t n = 0, cap = 0, got;
	FILE *fp;
	int bad;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return 1;
	}
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((b = realloc(b, cap)) == NULL)
				abort();
		}
		got = fread(b + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	fclose(fp);
	bad = feed(b, n);
	free(b);
	return bad;
}

int
main(int argc, char **argv)
{
	unsigned char b[8192];
	size_t i, n, s, nseeds = sizeof(seeds) / sizeof(seeds[0]);
	int bad = 0, j, rounds = 3000;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1) {
		for (j = 1; j < argc; j++)
			bad += replay_file(argv[j]);
		return bad != 0;
	}
	for (s = 0; s < nseeds; s++)
		bad += feed((const unsigned char *)seeds[s], strlen(seeds[s]));
	for (j = 0; j < rounds; j++) {
		s = rnd((uint32_t)nseeds);
		n = strlen(seeds[s]);
		memcpy(b, seeds[s], n);
		for (i = rnd(4) + 1; i > 0; i--)
			mutate(b, &n, sizeof(b));
		bad += feed(b, n);
	}
	printf("fuzz_http: %zu seeds, %d mutations, %d failures\n", nseeds,
	    rounds, bad);
	return bad != 0;
}

#endif
