/*
 * curl1.c - td-bench-curl1: the floor of the CLI-latency benchmark, the
 * least a libcurl program does to ask tunerd one thing: one
 * DescribeTrainingJob over the unix socket, the answer to stdout.
 *
 *   td-bench-curl1 SOCKET NAME
 *
 * Exit 0 on HTTP 200, 1 otherwise. Owns nothing else.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

int
main(int argc, char **argv)
{
	struct curl_slist *hdrs = NULL;
	char body[512];
	long code = 0;
	CURL *c;
	CURLcode rc;

	if (argc != 3 || strlen(argv[2]) > 200) {
		fprintf(stderr, "usage: td-bench-curl1 SOCKET NAME\n");
		return 2;
	}
	snprintf(body, sizeof(body), "{\"TrainingJobName\":\"%s\"}", argv[2]);
	if ((c = curl_easy_init()) == NULL)
		return 1;
	hdrs = curl_slist_append(hdrs, "Content-Type: application/x-amz-json-1.1");
	hdrs = curl_slist_append(hdrs, "X-Amz-Target: SageMaker.DescribeTrainingJob");
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, argv[1]);
	curl_easy_setopt(c, CURLOPT_URL, "http://localhost/");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	else
		fprintf(stderr, "td-bench-curl1: %s\n", curl_easy_strerror(rc));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return code == 200 ? 0 : 1;
}
