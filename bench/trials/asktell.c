/*
 * asktell.c - td-bench-asktell: drives an ask/tell tuning job of tunerd
 * (one created without a TrainingJobDefinition) through
 * Tunerd.AskTuningJob / Tunerd.TellTuningJob on one keep-alive
 * connection, evaluating a trivial objective in-process.
 *
 *   td-bench-asktell -s ADDR -j JOB [-n TRIALS] [-T SECONDS] [-q]
 *
 * The objective is sum over the hyperparameters of (v - 0.5)^2 (the same
 * function bench/trials/bench.py gives Optuna). Stops after TRIALS
 * trials, after SECONDS, or when the job refuses to hand out more.
 * Prints one JSON object: trials, seconds, best, and per trial the ask and
 * tell latencies in microseconds (ask_us, tell_us); -q leaves the arrays
 * out. Owns nothing else.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "uhttp.h"

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "td-bench-asktell: %s: %s\n", what, detail);
	exit(1);
}

static double
objective(const cJSON *hps)
{
	const cJSON *v;
	double s = 0, x;

	cJSON_ArrayForEach(v, hps) {
		if (!cJSON_IsString(v))
			die("objective", "a hyperparameter is not a string");
		x = strtod(v->valuestring, NULL) - 0.5;
		s += x * x;
	}
	return s;
}

int
main(int argc, char **argv)
{
	const char *addr = NULL, *job = NULL, *resp;
	long n = 1000, i;
	double secs = 0, best = INFINITY;
	int ch, quiet = 0, status, rc;
	uint64_t t0, t1, t2, start, *ask_ns, *tell_ns;
	struct uhttp h;
	char body[1024];
	size_t rlen;

	while ((ch = getopt(argc, argv, "s:j:n:T:q")) != -1) {
		switch (ch) {
		case 's': addr = optarg; break;
		case 'j': job = optarg; break;
		case 'n': n = strtol(optarg, NULL, 10); break;
		case 'T': secs = strtod(optarg, NULL); break;
		case 'q': quiet = 1; break;
		default: goto usage;
		}
	}
	if (addr == NULL || job == NULL || n < 1 || strlen(job) > 200)
		goto usage;
	if ((rc = uhttp_connect(&h, addr)) < 0)
		die(addr, "cannot connect");
	ask_ns = calloc((size_t)n, sizeof(*ask_ns));
	tell_ns = calloc((size_t)n, sizeof(*tell_ns));
	if (ask_ns == NULL || tell_ns == NULL)
		die("calloc", "out of memory");
	start = uhttp_now_ns();
	for (i = 0; i < n; i++) {
		cJSON *r, *tr, *name;
		double y;
		int len;

		if (secs > 0 && (double)(uhttp_now_ns() - start) / 1e9 >= secs)
			break;
		len = snprintf(body, sizeof(body), "{\"HyperParameterTuningJobName"
		    "\":\"%s\",\"Count\":1}", job);
		t0 = uhttp_now_ns();
		if ((rc = uhttp_call(&h, "Tunerd.AskTuningJob", "/", body,
		    (size_t)len, &status, &resp, &rlen)) < 0)
			die("ask", "connection lost");
		t1 = uhttp_now_ns();
		if (status != 200) {
			if (i == 0)
				die("ask", resp);
			break;
		}
		r = cJSON_ParseWithLength(resp, rlen);
		tr = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "Trials"), 0);
		name = cJSON_GetObjectItem(tr, "TrialName");
		if (!cJSON_IsString(name))
			die("ask", resp);
		y = objective(cJSON_GetObjectItem(tr, "HyperParameters"));
		if (y < best)
			best = y;
		len = snprintf(body, sizeof(body), "{\"HyperParameterTuningJobName"
		    "\":\"%s\",\"TrialName\":\"%s\",\"ObjectiveValue\":%.17g}",
		    job, name->valuestring, y);
		cJSON_Delete(r);
		if ((rc = uhttp_call(&h, "Tunerd.TellTuningJob", "/", body,
		    (size_t)len, &status, &resp, &rlen)) < 0)
			die("tell", "connection lost");
		t2 = uhttp_now_ns();
		if (status != 200)
			die("tell", resp);
		ask_ns[i] = t1 - t0;
		tell_ns[i] = t2 - t1;
	}
	printf("{\"trials\": %ld, \"seconds\": %.6f, \"best\": %.9g", i,
	    (double)(uhttp_now_ns() - start) / 1e9, best);
	if (!quiet) {
		long k;

		printf(", \"ask_us\": [");
		for (k = 0; k < i; k++)
			printf("%s%.1f", k ? "," : "", (double)ask_ns[k] / 1e3);
		printf("], \"tell_us\": [");
		for (k = 0; k < i; k++)
			printf("%s%.1f", k ? "," : "", (double)tell_ns[k] / 1e3);
		printf("]");
	}
	printf("}\n");
	uhttp_close(&h);
	free(ask_ns);
	free(tell_ns);
	return 0;
usage:
	fprintf(stderr, "usage: td-bench-asktell -s ADDR -j JOB [-n TRIALS] "
	    "[-T SECONDS] [-q]\n");
	return 2;
}
