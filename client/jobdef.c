/*
 * jobdef.c - the training-job definition flags shared by `tuner train` and
 * `tuner tune`: what to run (Script Mode entry point, built-in algorithm
 * or a command), hyperparameters, channels, metrics, limits.
 *
 * Owns cmd_jobdef_opts and the mapping from those flags to SageMaker's
 * CreateTrainingJob members (and, for tuning, the same members of
 * HyperParameterTrainingJobDefinition). Never talks to tunerd. Local
 * paths are checked and made absolute here, since tunerd resolves them in
 * its own working directory, not the user's.
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "util.h"

const struct cli_opt cmd_jobdef_opts[] = {
	{ "entry-point", 0, "FILE", 0, "a Script Mode program (train.py, "
	    "train.sh) run with the hyperparameters as --name value "
	    "arguments; sets sagemaker_program and sagemaker_submit_directory "
	    "as the SageMaker Python SDK does" },
	{ "source-dir", 0, "DIR", 0, "the directory copied as the program's "
	    "code (default: the entry point's directory); a relative "
	    "--entry-point is taken inside it" },
	{ "runtime", 0, "PROG", 0, "the interpreter of the entry point, sent "
	    "as AlgorithmSpecification.TrainingImage (default: python3 for "
	    ".py, /bin/sh for .sh)" },
	{ "builtin", 0, "ALGO", 0, "run a built-in algorithm instead "
	    "(TrainingImage builtin:ALGO); \"mlp\" is the multilayer "
	    "perceptron. Adds metric definitions for its loss and val_loss "
	    "lines unless --metric is given" },
	{ "hyperparameter", 'H', "NAME=VALUE", OPT_MULTI, "a hyperparameter "
	    "(repeatable)" },
	{ "channel", 0, "NAME=URI", OPT_MULTI, "an input channel "
	    "(repeatable): file://, http(s):// or s3:// URI, or a local path, "
	    "which is made absolute; the program finds it in "
	    "SM_CHANNEL_<NAME>" },
	{ "metric", 0, "NAME=REGEX", OPT_MULTI, "a metric definition "
	    "(repeatable): the first group of REGEX, matched against every "
	    "output line, is the value; e.g. 'val_loss= val_loss: "
	    "([0-9\\.]+)'. Try one with 'tuner metrics test'" },
	{ "max-runtime", 0, "SECONDS", 0, "StoppingCondition."
	    "MaxRuntimeInSeconds: stop the job after this long (default "
	    "86400)" },
	{ "env", 0, "NAME=VALUE", OPT_MULTI, "an environment variable for the "
	    "program (repeatable)" },
	{ "output-path", 0, "URI", 0, "OutputDataConfig.S3OutputPath: where "
	    "model.tar.gz is copied (a local path or file:// URI; default: the "
	    "job directory)" },
	{ "retries", 0, "N", 0, "RetryStrategy.MaximumRetryAttempts: run a "
	    "job whose worker was lost up to N more times" },
	{ "base-job-name", 0, "BASE", 0, "name the job BASE-<timestamp> "
	    "(default BASE: the entry point's name, builtin-ALGO, or the "
	    "command's name)" },
	{ NULL, 0, NULL, 0, NULL },
};

/* Keras-style lines ("- loss: 12.3 - val_loss: 13.4"). \b keeps loss out of val_loss. */
void
cmd_builtin_metrics(cJSON *defs)
{
	static const char *const m[][2] = {
		{ "loss", "\\bloss: ([-+0-9.eE]+|nan|inf)" },
		{ "val_loss", "\\bval_loss: ([-+0-9.eE]+|nan|inf)" },
	};
	size_t i;

	for (i = 0; i < 2; i++) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "Name", m[i][0]);
		cJSON_AddStringToObject(d, "Regex", m[i][1]);
		cJSON_AddItemToArray(defs, d);
	}
}

/* Adds NAME=VALUE pairs to obj (later pairs replace earlier ones). */
static int
jobdef_kv(struct cli *c, const struct cli_args *a, const char *opt,
    const char *flag, cJSON *obj)
{
	const char **v;
	char *k, *val;
	size_t n, i;

	v = opt_all(a, opt, &n);
	for (i = 0; i < n; i++) {
		if (spec_split_kv(v[i], &k, &val) != 0)
			return cli_usage(c, "bad %s \"%s\" (%s): expected "
			    "NAME=VALUE", opt, v[i], flag);
		cJSON_DeleteItemFromObjectCaseSensitive(obj, k);
		cJSON_AddStringToObject(obj, k, val);
		free(k);
		free(val);
	}
	return 0;
}

static int
jobdef_metrics(struct cli *c, const struct cli_args *a, cJSON *alg,
    int builtin)
{
	const char **v;
	char *k, *val;
	size_t n, i;
	cJSON *defs, *d;

	v = opt_all(a, "metric", &n);
	if (n == 0 && !builtin)
		return 0;
	defs = cJSON_AddArrayToObject(alg, "MetricDefinitions");
	if (n == 0) {
		cmd_builtin_metrics(defs);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (spec_split_kv(v[i], &k, &val) != 0 || val[0] == '\0') {
			if (k != NULL) {
				free(k);
				free(val);
			}
			return cli_usage(c, "bad metric \"%s\" (--metric): "
			    "expected NAME=REGEX", v[i]);
		}
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "Name", k);
		cJSON_AddStringToObject(d, "Regex", val);
		cJSON_AddItemToArray(defs, d);
		free(k);
		free(val);
	}
	return 0;
}

static int
jobdef_channels(struct cli *c, const struct cli_args *a, cJSON *req)
{
	char cwd[PATH_MAX], *k, *val, *uri;
	const char **v;
	struct stat st;
	size_t n, i;
	cJSON *arr, *ch, *ds, *s3;

	if ((v = opt_all(a, "channel", &n)) == NULL)
		return 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	arr = cJSON_AddArrayToObject(req, "InputDataConfig");
	for (i = 0; i < n; i++) {
		if (spec_split_kv(v[i], &k, &val) != 0 || val[0] == '\0') {
			if (k != NULL) {
				free(k);
				free(val);
			}
			return cli_usage(c, "bad channel \"%s\" (--channel): "
			    "expected NAME=URI or NAME=PATH", v[i]);
		}
		if (spec_channel_uri(val, cwd, &uri) != 0) {
			free(k);
			free(val);
			return cli_usage(c, "bad channel \"%s\" (--channel)",
			    v[i]);
		}
		/* A local path that does not exist is a typo; say so now. */
		if (strncmp(uri, "file://", 7) == 0 && stat(uri + 7, &st) == -1) {
			cli_err("channel \"%s\": %s (%s)", k, strerror(errno),
			    val);
			free(k);
			free(val);
			free(uri);
			return CLI_USAGE;
		}
		ch = cJSON_CreateObject();
		cJSON_AddStringToObject(ch, "ChannelName", k);
		ds = cJSON_AddObjectToObject(ch, "DataSource");
		s3 = cJSON_AddObjectToObject(ds, "S3DataSource");
		cJSON_AddStringToObject(s3, "S3DataType", "S3Prefix");
		cJSON_AddStringToObject(s3, "S3Uri", uri);
		cJSON_AddStringToObject(s3, "S3DataDistributionType",
		    "FullyReplicated");
		cJSON_AddItemToArray(arr, ch);
		free(k);
		free(val);
		free(uri);
	}
	return 0;
}

/* The program path relative to the source dir, and the dir, both absolute-checked. */
static int
jobdef_entry(struct cli *c, const char *entry, const char *srcdir,
    char *prog, size_t proglen, char *src, size_t srclen)
{
	char abs_entry[PATH_MAX], tmp[PATH_MAX], abs_src[PATH_MAX];
	struct stat st;
	size_t sl;

	if (srcdir != NULL) {
		if (realpath(srcdir, abs_src) == NULL ||
		    stat(abs_src, &st) == -1 || !S_ISDIR(st.st_mode)) {
			cli_err("source directory not found (--source-dir %s)",
			    srcdir);
			return CLI_USAGE;
		}
		if (entry[0] != '/' && (size_t)snprintf(tmp, sizeof(tmp),
		    "%s/%s", abs_src, entry) < sizeof(tmp) && stat(tmp, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			snprintf(prog, proglen, "%s", entry);
			snprintf(src, srclen, "%s", abs_src);
			return 0;
		}
	}
	if (realpath(entry, abs_entry) == NULL || stat(abs_entry, &st) == -1 ||
	    !S_ISREG(st.st_mode)) {
		cli_err("entry point not found (--entry-point %s)", entry);
		return CLI_USAGE;
	}
	if (srcdir == NULL) {
		snprintf(tmp, sizeof(tmp), "%s", abs_entry);
		snprintf(src, srclen, "%s", dirname(tmp));
		snprintf(tmp, sizeof(tmp), "%s", abs_entry);
		snprintf(prog, proglen, "%s", basename(tmp));
		return 0;
	}
	sl = strlen(abs_src);
	if (strncmp(abs_entry, abs_src, sl) != 0 || abs_entry[sl] != '/') {
		cli_err("entry point %s is not inside the source directory "
		    "(--source-dir %s)", entry, srcdir);
		return CLI_USAGE;
	}
	snprintf(prog, proglen, "%s", abs_entry + sl + 1);
	snprintf(src, srclen, "%s", abs_src);
	return 0;
}

/* Script Mode: TrainingImage = runtime, and the SDK's two hyperparameters. */
static int
jobdef_script(struct cli *c, const struct cli_args *a, cJSON *alg, cJSON *hps,
    char *base, size_t baselen)
{
	char prog[PATH_MAX], src[PATH_MAX], *q;
	const char *entry = opt_get(a, "entry-point");
	const char *runtime = opt_get(a, "runtime"), *ext;
	struct buf b = {0};
	cJSON *s;
	int rc;

	if ((rc = jobdef_entry(c, entry, opt_get(a, "source-dir"), prog,
	    sizeof(prog), src, sizeof(src))) != 0)
		return rc;
	ext = strrchr(prog, '.');
	if (runtime == NULL && ext != NULL && strcmp(ext, ".py") == 0)
		runtime = "python3";
	else if (runtime == NULL && ext != NULL && strcmp(ext, ".sh") == 0)
		runtime = "/bin/sh";
	if (runtime == NULL)
		return cli_usage(c, "cannot tell how to run %s (--entry-point): "
		    "pass --runtime PROG", entry);
	cJSON_AddStringToObject(alg, "TrainingImage", runtime);
	/* The SDK JSON-encodes these two: "\"train.py\"". */
	s = cJSON_CreateString(prog);
	q = cJSON_PrintUnformatted(s);
	cJSON_AddStringToObject(hps, "sagemaker_program", q);
	cJSON_free(q);
	cJSON_Delete(s);
	buf_printf(&b, "file://%s", src);
	s = cJSON_CreateString(b.data);
	q = cJSON_PrintUnformatted(s);
	cJSON_AddStringToObject(hps, "sagemaker_submit_directory", q);
	cJSON_free(q);
	cJSON_Delete(s);
	buf_free(&b);
	snprintf(src, sizeof(src), "%s", prog);
	if ((q = strrchr(src, '.')) != NULL)
		*q = '\0';
	q = strrchr(src, '/');
	spec_sanitize_base(q != NULL ? q + 1 : src, base, baselen);
	return 0;
}

static int
jobdef_what(struct cli *c, const struct cli_args *a, cJSON *alg, cJSON *hps,
    char *const *cmdv, size_t ncmd, char *base, size_t baselen)
{
	const char *builtin = opt_get(a, "builtin");
	int n = (opt_get(a, "entry-point") != NULL) + (builtin != NULL) +
	    (cmdv != NULL && ncmd > 0);
	char tmp[PATH_MAX];
	size_t i;
	cJSON *ep;

	if (n == 0)
		return cli_usage(c, "nothing to run: pass --entry-point FILE, "
		    "--builtin ALGO%s", cmdv != NULL ? ", --command or -- CMD" :
		    "");
	if (n > 1)
		return cli_usage(c, "give only one of --entry-point, --builtin "
		    "and a command");
	if (opt_get(a, "entry-point") != NULL)
		return jobdef_script(c, a, alg, hps, base, baselen);
	if (builtin != NULL) {
		if (builtin[0] == '\0')
			return cli_usage(c, "empty algorithm name (--builtin)");
		snprintf(tmp, sizeof(tmp), "builtin:%s", builtin);
		cJSON_AddStringToObject(alg, "TrainingImage", tmp);
		snprintf(tmp, sizeof(tmp), "builtin-%s", builtin);
		spec_sanitize_base(tmp, base, baselen);
		return 0;
	}
	/* A command: the program is the entrypoint; the image names it too. */
	cJSON_AddStringToObject(alg, "TrainingImage", cmdv[0]);
	ep = cJSON_AddArrayToObject(alg, "ContainerEntrypoint");
	for (i = 0; i < ncmd; i++)
		cJSON_AddItemToArray(ep, cJSON_CreateString(cmdv[i]));
	snprintf(tmp, sizeof(tmp), "%s", cmdv[0]);
	spec_sanitize_base(basename(tmp), base, baselen);
	return 0;
}

static int
jobdef_limits(struct cli *c, const struct cli_args *a, cJSON *req)
{
	const char *v;
	char cwd[PATH_MAX], *uri;
	long n;

	if ((v = opt_get(a, "max-runtime")) != NULL) {
		if (td_parse_long(v, 1, 432000L * 10, &n) != 0)
			return cli_usage(c, "bad number of seconds \"%s\" "
			    "(--max-runtime)", v);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(req,
		    "StoppingCondition"), "MaxRuntimeInSeconds", (double)n);
	}
	if ((v = opt_get(a, "retries")) != NULL) {
		if (td_parse_long(v, 0, 30, &n) != 0)
			return cli_usage(c, "bad retry count \"%s\" (--retries): "
			    "0 to 30", v);
		if (n > 0)
			cJSON_AddNumberToObject(cJSON_AddObjectToObject(req,
			    "RetryStrategy"), "MaximumRetryAttempts", (double)n);
	}
	if ((v = opt_get(a, "output-path")) != NULL) {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			cwd[0] = '\0';
		if (spec_channel_uri(v, cwd, &uri) != 0)
			return cli_usage(c, "bad output path \"%s\" "
			    "(--output-path)", v);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(req,
		    "OutputDataConfig"), "S3OutputPath", uri);
		free(uri);
	}
	return 0;
}

int
cmd_jobdef_build(struct cli *c, const struct cli_args *a, cJSON *req,
    const char *hp_key, char *const *cmdv, size_t ncmd, char *base,
    size_t baselen)
{
	cJSON *alg, *hps, *env;
	int rc;

	alg = cJSON_AddObjectToObject(req, "AlgorithmSpecification");
	hps = cJSON_CreateObject();
	if ((rc = jobdef_what(c, a, alg, hps, cmdv, ncmd, base, baselen)) != 0 ||
	    (rc = jobdef_kv(c, a, "hyperparameter", "-H", hps)) != 0) {
		cJSON_Delete(hps);
		return rc;
	}
	cJSON_AddStringToObject(alg, "TrainingInputMode", "File");
	if ((rc = jobdef_metrics(c, a, alg, opt_get(a, "builtin") != NULL)) != 0) {
		cJSON_Delete(hps);
		return rc;
	}
	if (hps->child != NULL)
		cJSON_AddItemToObject(req, hp_key, hps);
	else
		cJSON_Delete(hps);
	if ((rc = jobdef_channels(c, a, req)) != 0)
		return rc;
	env = cJSON_CreateObject();
	if ((rc = jobdef_kv(c, a, "env", "--env", env)) != 0) {
		cJSON_Delete(env);
		return rc;
	}
	if (env->child != NULL)
		cJSON_AddItemToObject(req, "Environment", env);
	else
		cJSON_Delete(env);
	if ((rc = jobdef_limits(c, a, req)) != 0)
		return rc;
	if (opt_get(a, "base-job-name") != NULL)
		spec_sanitize_base(opt_get(a, "base-job-name"), base, baselen);
	if (base[0] == '\0')
		snprintf(base, baselen, "job");
	return 0;
}
