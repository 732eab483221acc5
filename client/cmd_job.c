/*
 * cmd_job.c - the training-job commands: train, describe, list, logs,
 * stop, wait.
 *
 * Owns cmd_job_table and the log-follow and wait loops other command files
 * reuse. Talks to tunerd only through api_call(); never builds a job
 * definition itself (jobdef.c does). Polling backs off from 100 ms to 1 s
 * so a short job ends promptly and a long one costs little.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define LOG_CHUNK	(256 * 1024)

static int
is_terminal(const char *status)
{
	return status != NULL && (strcmp(status, "Completed") == 0 ||
	    strcmp(status, "Failed") == 0 || strcmp(status, "Stopped") == 0);
}

static int
describe_job(struct cli *c, const char *name, cJSON **out,
    struct api_error *e)
{
	cJSON *req = cJSON_CreateObject();
	int rc;

	cJSON_AddStringToObject(req, "TrainingJobName", name);
	rc = api_call(c, "SageMaker.DescribeTrainingJob", req, out, e);
	cJSON_Delete(req);
	return rc;
}

/* --- logs and waiting, shared ------------------------------------------ */

int
cmd_follow_logs(struct cli *c, const char *name, int follow, int print)
{
	cJSON *req, *resp = NULL;
	const cJSON *data;
	double offset = 0, next;
	unsigned int delay = 100;
	int rc, finished;

	for (;;) {
		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "TrainingJobName", name);
		cJSON_AddNumberToObject(req, "StartOffset", offset);
		cJSON_AddNumberToObject(req, "MaxBytes", LOG_CHUNK);
		rc = api_call(c, "Tunerd.GetTrainingJobLogs", req, &resp, NULL);
		cJSON_Delete(req);
		if (rc != 0)
			return rc;
		data = cJSON_GetObjectItemCaseSensitive(resp, "Data");
		next = cli_jnum(resp, "NextOffset");
		finished = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp,
		    "Finished"));
		if (print && cJSON_IsString(data) && data->valuestring[0] != '\0') {
			fputs(data->valuestring, stdout);
			fflush(stdout);
		}
		cJSON_Delete(resp);
		if (!isnan(next) && next > offset) {
			offset = next;
			delay = 100;
			continue;
		}
		if (finished || !follow)
			return 0;
		cli_sleep_ms(delay);
		delay = delay * 2 > 1000 ? 1000 : delay * 2;
	}
}

int
cmd_wait_job(struct cli *c, const char *name, double timeout_s, cJSON **desc)
{
	double start = td_now();
	unsigned int delay = 100;
	int rc;

	for (;;) {
		if ((rc = describe_job(c, name, desc, NULL)) != 0)
			return rc;
		if (is_terminal(cli_jstr(*desc, "TrainingJobStatus")))
			return 0;
		if (timeout_s > 0 && td_now() - start > timeout_s) {
			cli_err("timed out after %.0fs waiting for %s (status %s)",
			    timeout_s, name, cli_jstr(*desc, "TrainingJobStatus"));
			return CLI_FAIL;
		}
		cJSON_Delete(*desc);
		*desc = NULL;
		cli_sleep_ms(delay);
		delay = delay * 2 > 1000 ? 1000 : delay * 2;
	}
}

int
cmd_job_final_line(struct cli *c, const cJSON *d)
{
	const char *status = cli_jstr(d, "TrainingJobStatus");
	const char *model = cli_jstr(cli_jpath(d, "ModelArtifacts"),
	    "S3ModelArtifacts");
	double secs = cli_jnum(d, "TrainingEndTime") -
	    cli_jnum(d, "TrainingStartTime");
	const cJSON *m;
	struct buf b = {0};
	char num[64];

	/* TrainingTimeInSeconds is whole seconds; the times are finer. */
	if (isnan(secs))
		secs = cli_jnum(d, "TrainingTimeInSeconds");
	out_duration(secs, num, sizeof(num));
	buf_printf(&b, "job %s %s in %s", cli_jstr(d, "TrainingJobName"),
	    status != NULL ? status : "?", num);
	if (status != NULL && strcmp(status, "Completed") != 0 &&
	    cli_jstr(d, "FailureReason") != NULL)
		buf_printf(&b, ": %s", cli_jstr(d, "FailureReason"));
	else {
		int first = 1;

		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(d,
		    "FinalMetricDataList")) {
			out_num(cli_jnum(m, "Value"), num, sizeof(num));
			buf_printf(&b, "%s%s=%s", first ? "; " : " ",
			    cli_jstr(m, "MetricName") ?: "?", num);
			first = 0;
		}
		if (model != NULL)
			buf_printf(&b, "%smodel=%s", first ? "; " : " ", model);
	}
	if (!c->quiet || status == NULL || strcmp(status, "Completed") != 0)
		cli_err("%s", b.data);
	buf_free(&b);
	return status != NULL && strcmp(status, "Completed") == 0 ? CLI_OK :
	    CLI_FAIL;
}

int
cmd_job_artifact(struct cli *c, const char *job, char **path)
{
	cJSON *d = NULL;
	const char *url;
	int rc;

	*path = NULL;
	if ((rc = describe_job(c, job, &d, NULL)) != 0)
		return rc;
	url = cli_jstr(cli_jpath(d, "ModelArtifacts"), "S3ModelArtifacts");
	if (url == NULL) {
		cli_err("training job %s has no model artifact (status %s)", job,
		    cli_jstr(d, "TrainingJobStatus") ?: "?");
		cJSON_Delete(d);
		return CLI_FAIL;
	}
	*path = strdup(strncmp(url, "file://", 7) == 0 ? url + 7 : url);
	cJSON_Delete(d);
	return 0;
}

/* --- train ------------------------------------------------------------- */

static int
cmd_train(struct cli *c, struct cli_args *a)
{
	static char *const no_cmd[] = { NULL };
	char base[64] = "", name[128], **words = NULL;
	char *const *cmdv = NULL;
	const char *v;
	size_t ncmd = 0;
	cJSON *req, *resp = NULL, *desc = NULL;
	int rc;

	if (a->npos > 0)
		return cli_usage(c, "unexpected argument \"%s\" (a command goes "
		    "after --)", a->pos[0]);
	if ((v = opt_get(a, "command")) != NULL) {
		if (a->has_rest)
			return cli_usage(c, "give --command or -- CMD, not both");
		if (spec_split_words(v, &words, &ncmd) != 0)
			return cli_usage(c, "bad command \"%s\" (--command): "
			    "empty or an unterminated quote", v);
		cmdv = words;
	} else if (a->has_rest) {
		if (a->nrest == 0)
			return cli_usage(c, "no command after --");
		cmdv = (char *const *)a->rest;
		ncmd = a->nrest;
	} else {
		cmdv = NULL;
	}
	req = cJSON_CreateObject();
	/* An empty vector (not NULL) tells jobdef that train takes a command. */
	rc = cmd_jobdef_build(c, a, req, "HyperParameters",
	    cmdv != NULL ? cmdv : no_cmd, ncmd, base, sizeof(base));
	spec_words_free(words);
	if (rc != 0) {
		cJSON_Delete(req);
		return rc;
	}
	if ((v = opt_get(a, "name")) != NULL)
		snprintf(name, sizeof(name), "%s", v);
	else
		spec_name_from_base(base, td_now(), name, sizeof(name));
	cJSON_AddItemToObject(req, "TrainingJobName", cJSON_CreateString(name));
	rc = api_call(c, "SageMaker.CreateTrainingJob", req, &resp, NULL);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	if (rc != 0)
		return rc;
	if (opt_count(a, "wait") == 0) {
		printf("%s\n", name);
		return CLI_OK;
	}
	cli_note(c, "training job %s started", name);
	if ((rc = cmd_follow_logs(c, name, 1, !c->quiet)) != 0)
		return rc;
	if ((rc = cmd_wait_job(c, name, 0, &desc)) != 0)
		return rc;
	rc = cmd_job_final_line(c, desc);
	cJSON_Delete(desc);
	return rc;
}

/* --- describe ---------------------------------------------------------- */

static void
kv_time(struct out_table *t, const char *k, double v)
{
	size_t r;

	if (isnan(v))
		return;
	r = out_table_add_row(t);
	out_set_str(t, r, 0, k);
	out_set_num(t, r, 1, v, CELL_TIME);
}

static void
kv_map(struct out_table *t, const char *prefix, const cJSON *obj)
{
	const cJSON *m;
	char key[300];

	cJSON_ArrayForEach(m, obj) {
		if (!cJSON_IsString(m))
			continue;
		snprintf(key, sizeof(key), "%s%s", prefix, m->string);
		out_table_kv(t, key, m->valuestring);
	}
}

static void
describe_table(const cJSON *d, struct out_table *t)
{
	const cJSON *alg = cli_jpath(d, "AlgorithmSpecification"), *m;
	double secs = cli_jnum(d, "TrainingTimeInSeconds");
	char num[64], key[300];
	size_t r;

	out_table_kv(t, "TrainingJobName", cli_jstr(d, "TrainingJobName"));
	out_table_kv(t, "TrainingJobStatus", cli_jstr(d, "TrainingJobStatus"));
	out_table_kv(t, "SecondaryStatus", cli_jstr(d, "SecondaryStatus"));
	out_table_kv(t, "FailureReason", cli_jstr(d, "FailureReason"));
	out_table_kv(t, "TuningJobArn", cli_jstr(d, "TuningJobArn"));
	out_table_kv(t, "TrainingImage", cli_jstr(alg, "TrainingImage"));
	out_table_kv(t, "AlgorithmName", cli_jstr(alg, "AlgorithmName"));
	kv_time(t, "CreationTime", cli_jnum(d, "CreationTime"));
	kv_time(t, "TrainingStartTime", cli_jnum(d, "TrainingStartTime"));
	kv_time(t, "TrainingEndTime", cli_jnum(d, "TrainingEndTime"));
	if (!isnan(secs)) {
		r = out_table_add_row(t);
		out_set_str(t, r, 0, "TrainingTimeInSeconds");
		out_set_num(t, r, 1, secs, CELL_NUM);
	}
	kv_map(t, "HyperParameters.", cli_jpath(d, "HyperParameters"));
	cJSON_ArrayForEach(m, cli_jpath(d, "InputDataConfig")) {
		snprintf(key, sizeof(key), "Channel.%s",
		    cli_jstr(m, "ChannelName") ?: "?");
		out_table_kv(t, key, cli_jstr(cli_jpath(m, "DataSource.S3DataSource"),
		    "S3Uri"));
	}
	cJSON_ArrayForEach(m, cli_jpath(d, "FinalMetricDataList")) {
		snprintf(key, sizeof(key), "Metric.%s",
		    cli_jstr(m, "MetricName") ?: "?");
		out_num(cli_jnum(m, "Value"), num, sizeof(num));
		out_table_kv(t, key, num);
	}
	out_table_kv(t, "ModelArtifacts", cli_jstr(cli_jpath(d, "ModelArtifacts"),
	    "S3ModelArtifacts"));
}

static int
cmd_describe(struct cli *c, struct cli_args *a)
{
	static const char *const cols[] = { "FIELD", "VALUE" };
	struct out_table *t;
	cJSON *d = NULL;
	int rc;

	if (a->npos != 1)
		return cli_usage(c, "expected one job name");
	if (opt_count(a, "tuning") > 0)
		rc = cmd_describe_tuning_raw(c, a->pos[0], &d);
	else
		rc = describe_job(c, a->pos[0], &d, NULL);
	if (rc != 0)
		return rc;
	if (c->fmt == OUT_JSON) {
		out_json(d, stdout);
		cJSON_Delete(d);
		return CLI_OK;
	}
	t = out_table_new(cols, 2);
	if (opt_count(a, "tuning") > 0)
		cmd_tuning_describe_table(d, t);
	else
		describe_table(d, t);
	out_table_print(t, c->fmt, stdout);
	out_table_free(t);
	cJSON_Delete(d);
	return CLI_OK;
}

/* --- list -------------------------------------------------------------- */

/* "--sort name:asc" -> SortBy and SortOrder. */
static int
list_sort(struct cli *c, const char *v, cJSON *req)
{
	static const struct { const char *word, *key; } keys[] = {
		{ "name", "Name" }, { "creation", "CreationTime" },
		{ "created", "CreationTime" }, { "status", "Status" },
	};
	const char *colon = v != NULL ? strchr(v, ':') : NULL;
	size_t len, i;
	const char *order = "Descending";

	if (v == NULL) {
		cJSON_AddStringToObject(req, "SortBy", "CreationTime");
		cJSON_AddStringToObject(req, "SortOrder", order);
		return 0;
	}
	len = colon != NULL ? (size_t)(colon - v) : strlen(v);
	if (colon != NULL && strcmp(colon + 1, "asc") == 0)
		order = "Ascending";
	else if (colon != NULL && strcmp(colon + 1, "desc") != 0)
		return cli_usage(c, "bad sort order \"%s\" (--sort): asc or desc",
		    colon + 1);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].word) == len &&
		    strncmp(keys[i].word, v, len) == 0) {
			cJSON_AddStringToObject(req, "SortBy", keys[i].key);
			cJSON_AddStringToObject(req, "SortOrder", order);
			return 0;
		}
	return cli_usage(c, "bad sort key \"%.*s\" (--sort): name, creation or "
	    "status", (int)len, v);
}

int
cmd_list_all(struct cli *c, const char *target, cJSON *req,
    const char *member, long max, cJSON **all)
{
	cJSON *resp = NULL, *items, *it;
	const char *token;
	long want;
	int rc;

	*all = cJSON_CreateArray();
	for (;;) {
		want = max > 0 ? max - cJSON_GetArraySize(*all) : 100;
		cJSON_DeleteItemFromObjectCaseSensitive(req, "MaxResults");
		cJSON_AddNumberToObject(req, "MaxResults",
		    (double)(want > 100 ? 100 : want));
		if ((rc = api_call(c, target, req, &resp, NULL)) != 0) {
			cJSON_Delete(*all);
			*all = NULL;
			return rc;
		}
		items = cJSON_DetachItemFromObjectCaseSensitive(resp, member);
		while (items != NULL && (it = cJSON_DetachItemViaPointer(items,
		    items->child)) != NULL)
			cJSON_AddItemToArray(*all, it);
		cJSON_Delete(items);
		token = cli_jstr(resp, "NextToken");
		cJSON_DeleteItemFromObjectCaseSensitive(req, "NextToken");
		if (token == NULL || (max > 0 && cJSON_GetArraySize(*all) >= max)) {
			cJSON_Delete(resp);
			return 0;
		}
		cJSON_AddStringToObject(req, "NextToken", token);
		cJSON_Delete(resp);
	}
}

static int
cmd_list(struct cli *c, struct cli_args *a)
{
	static const char *const cols[] = {
		"TrainingJobName", "TrainingJobStatus", "CreationTime",
		"TrainingEndTime", "Duration",
	};
	const char *v;
	long max = 0;
	cJSON *req, *all = NULL, *it;
	struct out_table *t;
	double end;
	size_t r;
	int rc;

	if (a->npos > 0)
		return cli_usage(c, "unexpected argument \"%s\"", a->pos[0]);
	if ((v = opt_get(a, "max")) != NULL && td_parse_long(v, 1, 1000000,
	    &max) != 0)
		return cli_usage(c, "bad count \"%s\" (--max)", v);
	req = cJSON_CreateObject();
	if ((v = opt_get(a, "name-contains")) != NULL)
		cJSON_AddStringToObject(req, "NameContains", v);
	if ((v = opt_get(a, "status")) != NULL)
		cJSON_AddStringToObject(req, "StatusEquals", v);
	if ((rc = list_sort(c, opt_get(a, "sort"), req)) != 0 ||
	    (rc = cmd_list_all(c, "SageMaker.ListTrainingJobs", req,
	    "TrainingJobSummaries", max, &all)) != 0) {
		cJSON_Delete(req);
		return rc;
	}
	cJSON_Delete(req);
	if (c->fmt == OUT_JSON) {
		out_json(all, stdout);
		cJSON_Delete(all);
		return CLI_OK;
	}
	t = out_table_new(cols, 5);
	cJSON_ArrayForEach(it, all) {
		r = out_table_add_row(t);
		out_set_json(t, r, 0, cli_jpath(it, "TrainingJobName"), CELL_STR);
		out_set_json(t, r, 1, cli_jpath(it, "TrainingJobStatus"),
		    CELL_STR);
		out_set_json(t, r, 2, cli_jpath(it, "CreationTime"), CELL_TIME);
		out_set_json(t, r, 3, cli_jpath(it, "TrainingEndTime"),
		    CELL_TIME);
		end = cli_jnum(it, "TrainingEndTime");
		if (isnan(end) && !is_terminal(cli_jstr(it, "TrainingJobStatus")))
			end = td_now();
		out_set_num(t, r, 4, end - cli_jnum(it, "CreationTime"),
		    CELL_SECS);
	}
	out_table_print(t, c->fmt, stdout);
	out_table_free(t);
	cJSON_Delete(all);
	return CLI_OK;
}

/* --- logs, stop, wait -------------------------------------------------- */

static int
cmd_logs(struct cli *c, struct cli_args *a)
{
	if (a->npos != 1)
		return cli_usage(c, "expected one training job name");
	return cmd_follow_logs(c, a->pos[0], opt_count(a, "follow") > 0, 1);
}

static int
cmd_stop(struct cli *c, struct cli_args *a)
{
	int tuning = opt_count(a, "tuning") > 0;
	cJSON *req, *resp = NULL, *d = NULL;
	int rc;

	if (a->npos != 1)
		return cli_usage(c, "expected one job name");
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, tuning ? "HyperParameterTuningJobName" :
	    "TrainingJobName", a->pos[0]);
	rc = api_call(c, tuning ? "SageMaker.StopHyperParameterTuningJob" :
	    "SageMaker.StopTrainingJob", req, &resp, NULL);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	if (rc != 0 || opt_count(a, "wait") == 0 || tuning)
		return rc;
	if ((rc = cmd_wait_job(c, a->pos[0], 0, &d)) == 0) {
		const char *st = cli_jstr(d, "TrainingJobStatus");

		(void)cmd_job_final_line(c, d);
		/* A stop that ended in Stopped (or a race with Completed) worked. */
		rc = st != NULL && (strcmp(st, "Stopped") == 0 ||
		    strcmp(st, "Completed") == 0) ? CLI_OK : CLI_FAIL;
	}
	cJSON_Delete(d);
	return rc;
}

static int
cmd_wait(struct cli *c, struct cli_args *a)
{
	const char *v = opt_get(a, "timeout");
	double timeout = 0;
	cJSON *d = NULL;
	int rc;

	if (a->npos != 1)
		return cli_usage(c, "expected one training job name");
	if (v != NULL && (td_parse_double(v, &timeout) != 0 || timeout <= 0))
		return cli_usage(c, "bad timeout \"%s\" (--timeout)", v);
	if ((rc = cmd_wait_job(c, a->pos[0], timeout, &d)) == 0)
		rc = cmd_job_final_line(c, d);
	cJSON_Delete(d);
	return rc;
}

/* --- the table --------------------------------------------------------- */

static const struct cli_opt train_opts[] = {
	{ "name", 'n', "NAME", 0, "the training job's name (default: "
	    "BASE-YYYY-MM-DD-HH-MM-SS-mmm, as the SageMaker SDK names jobs)" },
	{ "command", 0, "\"ARGV...\"", 0, "run this command (split into words "
	    "as a shell would, without expansion) as ContainerEntrypoint; "
	    "the same as giving it after --" },
	{ "wait", 'w', NULL, 0, "stream the job's output until it ends, print "
	    "a status line, exit 1 unless it Completed" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt describe_opts[] = {
	{ "tuning", 't', NULL, 0, "NAME is a hyperparameter tuning job" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt list_opts[] = {
	{ "name-contains", 0, "TEXT", 0, "only jobs whose name contains TEXT" },
	{ "status", 0, "STATUS", 0, "only jobs in this status: InProgress, "
	    "Completed, Failed, Stopping or Stopped" },
	{ "sort", 0, "KEY[:asc|desc]", 0, "sort by name, creation or status "
	    "(default: creation:desc, newest first)" },
	{ "max", 0, "N", 0, "list at most N jobs (default: all; pages are "
	    "followed with NextToken)" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt logs_opts[] = {
	{ "follow", 'f', NULL, 0, "keep printing new output until the job "
	    "ends" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt stop_opts[] = {
	{ "tuning", 't', NULL, 0, "NAME is a hyperparameter tuning job (its "
	    "running training jobs are stopped too)" },
	{ "wait", 'w', NULL, 0, "wait until the training job has stopped" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt wait_opts[] = {
	{ "timeout", 0, "SECONDS", 0, "give up after this long (exit 1)" },
	{ NULL, 0, NULL, 0, NULL },
};

const struct cli_cmd cmd_job_table[] = {
	{ "train", "[options] [-- COMMAND [ARG...]]",
	    "Start a training job: a Script Mode program, a built-in "
	    "algorithm, or any command.", train_opts, cmd_jobdef_opts,
	    cmd_train,
	    "Prints the job's name, or with --wait streams its output "
	    "(stdout and stderr of the program, as tunerd logs it) and ends "
	    "with a line like\n"
	    "  tuner: job NAME Completed in 4.2s; val_loss=12.3 model=file:///...\n"
	    "\n"
	    "Examples:\n"
	    "  tuner train --entry-point train.py --channel train=data -H epochs=5 \\\n"
	    "      --metric 'val_loss= val_loss: ([0-9\\.]+)' --wait\n"
	    "  tuner train --builtin mlp --channel train=data/train "
	    "--channel test=data/test --wait\n"
	    "  tuner train --name smoke -- sh -c 'echo loss: 1'",
	    "Training job definition" },
	{ "describe", "[--tuning] NAME",
	    "Show a training job (DescribeTrainingJob) or, with --tuning, a "
	    "hyperparameter tuning job.", describe_opts, NULL, cmd_describe,
	    "The table lists the fields a person looks at first; -o json prints "
	    "the whole response.", NULL },
	{ "list", "[options]",
	    "List training jobs (ListTrainingJobs, every page).", list_opts,
	    NULL, cmd_list, NULL, NULL },
	{ "logs", "[-f] NAME",
	    "Print a training job's output; -f follows it until the job ends.",
	    logs_opts, NULL, cmd_logs, NULL, NULL },
	{ "stop", "[--tuning] [--wait] NAME",
	    "Stop a training job (SIGTERM to its program, SIGKILL after the "
	    "grace period) or a tuning job.", stop_opts, NULL, cmd_stop, NULL,
	    NULL },
	{ "wait", "[--timeout SECONDS] NAME",
	    "Wait for a training job to end; exit 0 if it Completed, else 1.",
	    wait_opts, NULL, cmd_wait, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};
