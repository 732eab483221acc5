/*
 * raw1.c - td-bench-raw1: one DescribeTrainingJob over the unix socket
 * without libcurl (bench/api/uhttp.c, a few syscalls), the answer to
 * stdout: what a CLI process costs when it loads no HTTP library.
 *
 *   td-bench-raw1 SOCKET NAME
 *
 * Exit 0 on HTTP 200, 1 otherwise. Owns nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "uhttp.h"

int
main(int argc, char **argv)
{
	const char *resp;
	char body[512];
	struct uhttp h;
	size_t rlen;
	int n, status = 0;

	if (argc != 3 || strlen(argv[2]) > 200) {
		fprintf(stderr, "usage: td-bench-raw1 SOCKET NAME\n");
		return 2;
	}
	n = snprintf(body, sizeof(body), "{\"TrainingJobName\":\"%s\"}", argv[2]);
	if (uhttp_connect(&h, argv[1]) < 0 ||
	    uhttp_call(&h, "SageMaker.DescribeTrainingJob", "/", body, (size_t)n,
	    &status, &resp, &rlen) < 0) {
		fprintf(stderr, "td-bench-raw1: cannot reach %s\n", argv[1]);
		return 1;
	}
	fwrite(resp, 1, rlen, stdout);
	putchar('\n');
	uhttp_close(&h);
	return status == 200 ? 0 : 1;
}
