/*
 * smenv.c - the SageMaker training contract: hyperparameter arguments,
 * SM_* environment and input/config contents (see smenv.h).
 *
 * Mirrors the SageMaker training toolkit (environment.py, mapping.py,
 * params.py) fact by fact: hyperparameters are json.loads'ed when they
 * parse; command-line values are str() of them; environment values are
 * the string itself or compact sorted JSON. Never does I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smenv.h"

/* Toolkit-reserved keys that never reach the program as hyperparameters. */
static const char *const smenv_reserved[] = {
	"sagemaker_program", "sagemaker_submit_directory",
	"sagemaker_enable_cloudwatch_metrics", "sagemaker_region",
	"sagemaker_container_log_level", "sagemaker_job_name",
	"default_user_module_name", "_tuning_objective_metric",
	"sagemaker_s3_output", NULL,
};

static int
is_reserved(const char *key)
{
	size_t i;

	for (i = 0; smenv_reserved[i] != NULL; i++)
		if (strcmp(key, smenv_reserved[i]) == 0)
			return 1;
	return 0;
}

static struct pyj *
decode_value(const char *s)
{
	struct pyj *v;

	if (pyj_parse(s, strlen(s), &v) == 0)
		return v;
	return pyj_new_str(s);
}

static char *
str_of(const struct pyj *v)
{
	struct buf b = { 0 };

	pyj_str(v, &b);
	buf_puts(&b, "");
	return buf_steal(&b);
}

void
smenv_hps_decode(const struct td_kv *kv, size_t n, struct smenv_hps *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->user = pyj_new_dict();
	out->framework = pyj_new_dict();
	for (i = 0; i < n; i++) {
		const char *key = kv[i].key;
		struct pyj *v = decode_value(kv[i].value);

		if (strcmp(key, "sagemaker_program") == 0) {
			free(out->program);
			out->program = str_of(v);
			pyj_free(v);
		} else if (strcmp(key, "sagemaker_submit_directory") == 0) {
			free(out->submit_dir);
			out->submit_dir = str_of(v);
			pyj_free(v);
		} else if (strcmp(key, "sagemaker_container_log_level") == 0) {
			pyj_free(out->log_level);
			out->log_level = v;
		} else if (is_reserved(key)) {
			pyj_free(v);
		} else if (strncmp(key, "sagemaker_", 10) == 0) {
			pyj_set(out->framework, key, v);
		} else {
			pyj_set(out->user, key, v);
		}
	}
	if (out->log_level == NULL)
		out->log_level = pyj_new_int(SMENV_LOG_LEVEL);
}

void
smenv_hps_free(struct smenv_hps *h)
{
	if (h == NULL)
		return;
	pyj_free(h->user);
	pyj_free(h->framework);
	pyj_free(h->log_level);
	free(h->program);
	free(h->submit_dir);
	memset(h, 0, sizeof(*h));
}

static int
cmp_str(const void *a, const void *b)
{
	const char *const *sa = a, *const *sb = b;

	return strcmp(*sa, *sb);
}

/* The dict's keys, sorted (a borrowed array the caller frees). */
static const char **
sorted_keys(const struct pyj *d)
{
	const char **keys = calloc(d->n + 1, sizeof(*keys));
	size_t i;

	if (keys == NULL)
		abort();
	for (i = 0; i < d->n; i++)
		keys[i] = d->keys[i];
	qsort(keys, d->n, sizeof(*keys), cmp_str);
	return keys;
}

void
smenv_args(const struct smenv_hps *h, struct strv *args)
{
	const char **keys = sorted_keys(h->user);
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < h->user->n; i++) {
		/* mapping.to_cmd_args: "--key", or "-k" for one letter. */
		if (keys[i][0] == '\0')
			strv_push(args, "");
		else
			strv_pushf(args, "%s%s", keys[i][1] != '\0' ? "--" : "-",
			    keys[i]);
		buf_reset(&b);
		pyj_arg(pyj_get(h->user, keys[i]), &b);
		strv_push(args, b.data != NULL ? b.data : "");
	}
	buf_free(&b);
	free(keys);
}

void
smenv_upper(const char *s, struct buf *b)
{
	for (; *s != '\0'; s++)
		buf_putc(b, *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s);
}

/* ---- config files --------------------------------------------------- */

struct pyj *
smenv_hyperparameters_json(const struct td_training_spec *spec)
{
	struct pyj *d = pyj_new_dict();
	size_t i;

	for (i = 0; i < spec->n_hyperparameters; i++)
		pyj_set(d, spec->hyperparameters[i].key,
		    pyj_new_str(spec->hyperparameters[i].value));
	return d;
}

struct pyj *
smenv_input_data_config(const struct td_training_spec *spec)
{
	struct pyj *d = pyj_new_dict(), *ch;
	size_t i;

	for (i = 0; i < spec->n_channels; i++) {
		const struct td_channel *c = &spec->channels[i];

		ch = pyj_new_dict();
		if (c->content_type != NULL)
			pyj_set(ch, "ContentType", pyj_new_str(c->content_type));
		pyj_set(ch, "TrainingInputMode", pyj_new_str(c->input_mode ?
		    c->input_mode : spec->input_mode ? spec->input_mode : "File"));
		pyj_set(ch, "S3DistributionType", pyj_new_str("FullyReplicated"));
		pyj_set(ch, "RecordWrapperType", pyj_new_str("None"));
		if (c->compression != NULL && strcmp(c->compression, "None") != 0)
			pyj_set(ch, "CompressionType", pyj_new_str(c->compression));
		pyj_set(d, c->name, ch);
	}
	return d;
}

static struct pyj *
host_list(void)
{
	struct pyj *l = pyj_new_list();

	pyj_append(l, pyj_new_str(SMENV_HOST));
	return l;
}

static const char *
instance_type(const struct td_training_spec *spec)
{
	return spec->instance_type != NULL ? spec->instance_type : "local";
}

static struct pyj *
instance_group(const struct td_training_spec *spec)
{
	struct pyj *g = pyj_new_dict();

	pyj_set(g, "instance_group_name", pyj_new_str(SMENV_GROUP));
	pyj_set(g, "instance_type", pyj_new_str(instance_type(spec)));
	pyj_set(g, "hosts", host_list());
	return g;
}

struct pyj *
smenv_resource_config(const struct td_training_spec *spec)
{
	struct pyj *d = pyj_new_dict(), *groups = pyj_new_list();

	pyj_set(d, "current_host", pyj_new_str(SMENV_HOST));
	pyj_set(d, "current_instance_type", pyj_new_str(instance_type(spec)));
	pyj_set(d, "current_group_name", pyj_new_str(SMENV_GROUP));
	pyj_set(d, "hosts", host_list());
	pyj_append(groups, instance_group(spec));
	pyj_set(d, "instance_groups", groups);
	pyj_set(d, "network_interface_name", pyj_new_str(SMENV_NET_IF));
	return d;
}

/* ---- the environment ------------------------------------------------ */

static int
inherited(const char *entry)
{
	static const char *const names[] = {
		"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE",
		"TZ", "TMPDIR", "TERM", "ASAN_OPTIONS", "UBSAN_OPTIONS",
		"LSAN_OPTIONS", NULL,
	};
	size_t i, len;

	if (strncmp(entry, "LC_", 3) == 0)
		return 1;
	for (i = 0; names[i] != NULL; i++) {
		len = strlen(names[i]);
		if (strncmp(entry, names[i], len) == 0 && entry[len] == '=')
			return 1;
	}
	return 0;
}

static int
valid_env_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int
reserved_env_name(const char *s)
{
	return strncmp(s, "SM_", 3) == 0 || strcmp(s, "TRAINING_JOB_NAME") == 0;
}

/* mapping.to_env_vars: a string as itself, None as "", else compact JSON. */
static void
set_sm(struct strv *env, const char *name, const struct pyj *v)
{
	struct buf b = { 0 }, key = { 0 };

	buf_puts(&key, "SM_");
	smenv_upper(name, &key);
	if (v->type == PYJ_STR)
		buf_append(&b, v->text, strlen(v->text));
	else if (v->type != PYJ_NULL)
		pyj_dumps(v, &b);
	buf_puts(&b, "");
	strv_setenv(env, key.data, b.data);
	buf_free(&b);
	buf_free(&key);
}

/* Sets SM_<name> from v and files v under name in training_env; takes v. */
static void
put(struct strv *env, struct pyj *training_env, const char *env_name,
    const char *te_name, struct pyj *v)
{
	if (env_name != NULL)
		set_sm(env, env_name, v);
	if (te_name != NULL)
		pyj_set(training_env, te_name, v);
	else
		pyj_free(v);
}

static struct pyj *
str_or_null(const char *s)
{
	return s != NULL ? pyj_new_str(s) : pyj_new_null();
}

static struct pyj *
path(const char *dir, const char *rel)
{
	struct buf b = { 0 };
	struct pyj *v;

	buf_printf(&b, "%s/%s", dir, rel);
	v = pyj_new_str(b.data);
	buf_free(&b);
	return v;
}

static struct pyj *
copy(const struct pyj *v)
{
	struct buf b = { 0 };
	struct pyj *out;

	pyj_dumps(v, &b);
	if (pyj_parse(b.data, b.len, &out) != 0)
		abort();	/* our own output always parses */
	buf_free(&b);
	return out;
}

/* SM_CHANNELS, SM_CHANNEL_<X>, channel_input_dirs. */
static void
put_channels(const struct smenv_ctx *c, struct strv *env, struct pyj *te)
{
	const struct td_training_spec *spec = c->spec;
	struct pyj *dirs = pyj_new_dict(), *names = pyj_new_list();
	const char **keys;
	struct buf rel = { 0 };
	size_t i;

	for (i = 0; i < spec->n_channels; i++) {
		buf_reset(&rel);
		buf_printf(&rel, "input/data/%s", spec->channels[i].name);
		pyj_set(dirs, spec->channels[i].name, path(c->job_dir, rel.data));
	}
	keys = sorted_keys(dirs);
	for (i = 0; i < dirs->n; i++) {
		buf_reset(&rel);
		buf_printf(&rel, "channel_%s", keys[i]);
		set_sm(env, rel.data, pyj_get(dirs, keys[i]));
		pyj_append(names, pyj_new_str(keys[i]));
	}
	free(keys);
	buf_free(&rel);
	put(env, te, "channels", NULL, names);
	put(env, te, NULL, "channel_input_dirs", dirs);
}

/* SM_HPS, SM_HP_<X>, SM_USER_ARGS, hyperparameters. */
static void
put_hyperparameters(const struct smenv_ctx *c, struct strv *env,
    struct pyj *te)
{
	const struct pyj *user = c->hps->user;
	struct pyj *args = pyj_new_list();
	struct strv argv = { 0 };
	struct buf name = { 0 };
	size_t i;

	for (i = 0; i < user->n; i++) {
		buf_reset(&name);
		buf_printf(&name, "hp_%s", user->keys[i]);
		set_sm(env, name.data, user->items[i]);
	}
	smenv_args(c->hps, &argv);
	for (i = 0; i < argv.n; i++)
		pyj_append(args, pyj_new_str(argv.v[i]));
	strv_free(&argv);
	buf_free(&name);
	put(env, te, "user_args", NULL, args);
	set_sm(env, "hps", user);
	pyj_set(te, "hyperparameters", copy(user));
	put(env, te, "framework_params", "additional_framework_parameters",
	    copy(c->hps->framework));
}

/* Paths of the /opt/ml layout under the job directory. */
static void
put_paths(const struct smenv_ctx *c, struct strv *env, struct pyj *te)
{
	static const struct { const char *name, *rel; } paths[] = {
		{ "model_dir", "model" },
		{ "input_dir", "input" },
		{ "input_config_dir", "input/config" },
		{ "output_dir", "output" },
		{ "output_data_dir", "output/data" },
		{ "output_intermediate_dir", "output/intermediate" },
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		put(env, te, paths[i].name, paths[i].name,
		    path(c->job_dir, paths[i].rel));
}

/* Hosts, instance groups and resources: one host, algo-1. */
static void
put_cluster(const struct smenv_ctx *c, struct strv *env, struct pyj *te)
{
	struct pyj *groups = pyj_new_list(), *gdict = pyj_new_dict();

	pyj_append(groups, pyj_new_str(SMENV_GROUP));
	pyj_set(gdict, SMENV_GROUP, instance_group(c->spec));
	put(env, te, "hosts", "hosts", host_list());
	put(env, te, "current_host", "current_host", pyj_new_str(SMENV_HOST));
	put(env, te, "current_instance_type", "current_instance_type",
	    pyj_new_str(instance_type(c->spec)));
	put(env, te, "current_instance_group", "current_instance_group",
	    pyj_new_str(SMENV_GROUP));
	put(env, te, "current_instance_group_hosts",
	    "current_instance_group_hosts", host_list());
	put(env, te, "instance_groups", "instance_groups", groups);
	put(env, te, "instance_groups_dict", "instance_groups_dict", gdict);
	put(env, te, "distribution_instance_groups",
	    "distribution_instance_groups", pyj_new_list());
	put(env, te, NULL, "distribution_hosts", pyj_new_list());
	put(env, te, "is_hetero", "is_hetero", pyj_new_bool(0));
	put(env, te, NULL, "is_master", pyj_new_bool(1));
	put(env, te, NULL, "master_hostname", pyj_new_str(SMENV_HOST));
	put(env, te, "network_interface_name", "network_interface_name",
	    pyj_new_str(SMENV_NET_IF));
	put(env, te, "num_cpus", "num_cpus", pyj_new_int(c->cpus));
	put(env, te, "num_gpus", "num_gpus", pyj_new_int(0));
	put(env, te, "resource_config", "resource_config",
	    smenv_resource_config(c->spec));
	put(env, te, "input_data_config", "input_data_config",
	    smenv_input_data_config(c->spec));
}

/* The user module: entry point, module name and directory, log level. */
static void
put_module(const struct smenv_ctx *c, struct strv *env, struct pyj *te)
{
	const char *prog = c->hps->program;
	struct pyj *dir;
	size_t len;

	if (prog != NULL) {
		/* _parse_module_name(): the program without ".py". */
		char *name;

		len = strlen(prog);
		if (len >= 3 && strcmp(prog + len - 3, ".py") == 0)
			len -= 3;
		if ((name = strndup(prog, len)) == NULL)
			abort();
		put(env, te, "module_name", "module_name", pyj_new_str(name));
		free(name);
	} else {
		put(env, te, "module_name", "module_name", pyj_new_null());
	}
	put(env, te, "user_entry_point", "user_entry_point", str_or_null(prog));
	dir = c->hps->submit_dir != NULL ? pyj_new_str(c->hps->submit_dir) :
	    path(c->job_dir, "code");
	put(env, te, "module_dir", "module_dir", dir);
	put(env, te, "log_level", "log_level", copy(c->hps->log_level));
	put(env, te, "framework_module", "framework_module", pyj_new_null());
	put(env, te, NULL, "job_name", pyj_new_str(c->spec->name));
	put(env, te, NULL, "is_modelparallel_enabled", pyj_new_null());
}

static void
put_inherited(const struct smenv_ctx *c, struct strv *env)
{
	char *const *e;
	char num[32];

	for (e = c->parent_env; e != NULL && *e != NULL; e++)
		if (inherited(*e))
			strv_push(env, *e);
	if (strv_getenv(env, "PATH") == NULL)
		strv_setenv(env, "PATH", "/usr/local/bin:/usr/bin:/bin");
	/* What SageMaker's framework images set: output streams as it comes. */
	strv_setenv(env, "PYTHONUNBUFFERED", "TRUE");
	strv_setenv(env, "PYTHONDONTWRITEBYTECODE", "TRUE");
	if (c->cpus_given) {
		snprintf(num, sizeof(num), "%ld", c->cpus);
		strv_setenv(env, "OMP_NUM_THREADS", num);
		strv_setenv(env, "OPENBLAS_NUM_THREADS", num);
	}
}

static void
put_request_env(const struct smenv_ctx *c, struct strv *env,
    struct buf *refused)
{
	const struct td_training_spec *spec = c->spec;
	size_t i;

	for (i = 0; i < spec->n_environment; i++) {
		const char *k = spec->environment[i].key;

		if (!valid_env_name(k) || reserved_env_name(k)) {
			if (refused->len > 0)
				buf_puts(refused, ", ");
			buf_puts(refused, k);
			continue;
		}
		strv_setenv(env, k, spec->environment[i].value);
	}
}

void
smenv_build(const struct smenv_ctx *c, struct strv *env, struct buf *refused)
{
	struct pyj *te = pyj_new_dict();

	put_inherited(c, env);
	put_request_env(c, env, refused);
	put_channels(c, env, te);
	put_hyperparameters(c, env, te);
	put_paths(c, env, te);
	put_cluster(c, env, te);
	put_module(c, env, te);
	set_sm(env, "training_env", te);
	pyj_free(te);
	strv_setenv(env, "TRAINING_JOB_NAME", c->spec->name);
}
