/*
 * launch.c - choosing the program, argv and working directory (see
 * launch.h).
 *
 * Owns no state; reads the file system only to resolve names. The rules
 * follow the SageMaker training toolkit's entry point types (a .py program
 * runs under the image's python, anything else as a command) with a local
 * runtime standing in for the container image.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fmt.h"
#include "launch.h"
#include "util.h"

static int
executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

int
launch_which(const char *name, const char *path_env, char **out)
{
	char cand[PATH_MAX];
	const char *p, *end;
	size_t len;

	if (name[0] == '\0')
		return TD_ENOTFOUND;
	if (strchr(name, '/') != NULL) {
		if (!executable(name))
			return TD_ENOTFOUND;
		return (*out = strdup(name)) != NULL ? 0 : TD_ENOMEM;
	}
	if (path_env == NULL)
		path_env = "/usr/local/bin:/usr/bin:/bin";
	for (p = path_env; ; p = end + 1) {
		end = strchr(p, ':');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		/* An empty PATH element means the current directory: skip it. */
		if (len > 0 && fmt_path(cand, sizeof(cand), "%.*s/%s",
		    (int)len, p, name) == 0 && executable(cand))
			return (*out = strdup(cand)) != NULL ? 0 : TD_ENOMEM;
		if (end == NULL)
			return TD_ENOTFOUND;
	}
}

int
launch_builtin_path(char **out)
{
	char *p = td_sibling_path(LAUNCH_BUILTIN_BIN);

	if (p != NULL && executable(p)) {
		*out = p;
		return 0;
	}
	free(p);
	return launch_which(LAUNCH_BUILTIN_BIN, getenv("PATH"), out);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
is_python(const char *runtime)
{
	const char *b = strrchr(runtime, '/');

	return strncmp(b != NULL ? b + 1 : runtime, "python", 6) == 0;
}

static int
builtin_known(const char *algo)
{
	const char *p = LAUNCH_BUILTINS;
	size_t n = strlen(algo);

	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, algo, n) == 0)
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int
plan_entrypoint(const struct td_training_spec *spec, const char *code,
    const char *path_env, struct launch *out, char *err, size_t errlen)
{
	char rel[PATH_MAX];
	const char *name = spec->entrypoint[0];
	size_t i;

	if (name[0] != '/' && strchr(name, '/') != NULL) {
		if (fmt_path(rel, sizeof(rel), "%s/%s", code, name) != 0) {
			fmt_msg(err, errlen, "AlgorithmSpecification."
			    "ContainerEntrypoint[0]: path too long");
			return TD_EINVAL;
		}
		name = rel;
	}
	if (launch_which(name, path_env, &out->path) != 0) {
		fmt_msg(err, errlen, "AlgorithmSpecification.ContainerEntrypoint"
		    "[0] %s: no such executable (PATH=%s)", spec->entrypoint[0],
		    path_env != NULL ? path_env : "");
		return TD_ENOTFOUND;
	}
	for (i = 0; i < spec->n_entrypoint; i++)
		strv_push(&out->argv, spec->entrypoint[i]);
	for (i = 0; i < spec->n_arguments; i++)
		strv_push(&out->argv, spec->arguments[i]);
	return 0;
}

static int
plan_builtin(const char *algo, const struct smenv_hps *hps,
    struct launch *out, char *err, size_t errlen)
{
	if (!builtin_known(algo)) {
		fmt_msg(err, errlen, "AlgorithmSpecification.TrainingImage "
		    "builtin:%s: unknown built-in algorithm; the built-ins are: %s",
		    algo, LAUNCH_BUILTINS);
		return TD_EINVAL;
	}
	if (launch_builtin_path(&out->path) != 0) {
		fmt_msg(err, errlen, "AlgorithmSpecification.TrainingImage "
		    "builtin:%s: %s is not installed beside tunerd-worker",
		    algo, LAUNCH_BUILTIN_BIN);
		return TD_ENOTFOUND;
	}
	out->builtin = 1;
	strv_push(&out->argv, LAUNCH_BUILTIN_BIN);
	strv_push(&out->argv, "builtin");
	strv_push(&out->argv, algo);
	smenv_args(hps, &out->argv);
	return 0;
}

/* The runtime TrainingImage names, or python3 for a container image. */
static int
find_runtime(const char *image, const char *prog, const char *path_env,
    char **runtime, struct launch *out, char *err, size_t errlen)
{
	int looks_like_image;

	if (launch_which(image, path_env, runtime) == 0)
		return 0;
	looks_like_image = image[0] != '/' && (strchr(image, '/') != NULL ||
	    strchr(image, ':') != NULL);
	if (looks_like_image && prog != NULL && ends_with(prog, ".py") &&
	    launch_which("python3", path_env, runtime) == 0) {
		fmt_msg(out->note, sizeof(out->note), "TrainingImage %.200s is "
		    "a container image; running %.100s with %.150s", image, prog,
		    *runtime);
		return 0;
	}
	fmt_msg(err, errlen, "AlgorithmSpecification.TrainingImage %s: no such "
	    "program on PATH (%s); name a local runtime such as python3, or "
	    "builtin:<algorithm>", image, path_env != NULL ? path_env : "");
	return TD_ENOTFOUND;
}

/* Does path have a ".." component? */
static int
has_dotdot(const char *path)
{
	const char *p = path;

	while ((p = strstr(p, "..")) != NULL) {
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return 1;
		p += 2;
	}
	return 0;
}

static int
plan_script(const struct td_training_spec *spec, const struct smenv_hps *hps,
    const char *code, const char *path_env, struct launch *out, char *err,
    size_t errlen)
{
	const char *prog = hps->program;
	char entry[PATH_MAX], *runtime = NULL;
	int rc;

	if ((rc = find_runtime(spec->training_image, prog, path_env, &runtime,
	    out, err, errlen)) != 0)
		return rc;
	if (prog == NULL) {
		/* A bring-your-own image is run as "<image> train". */
		out->path = runtime;
		strv_push(&out->argv, runtime);
		strv_push(&out->argv, "train");
		return 0;
	}
	if (has_dotdot(prog)) {
		fmt_msg(err, errlen, "entry point sagemaker_program %s must not "
		    "contain a \"..\" component: it names a file inside "
		    "sagemaker_submit_directory", prog);
		free(runtime);
		return TD_EINVAL;
	}
	if (prog[0] == '/' && hps->submit_dir == NULL)
		rc = fmt_path(entry, sizeof(entry), "%s", prog);
	else
		rc = fmt_path(entry, sizeof(entry), "%s/%s", code, prog);
	if (rc != 0 || access(entry, F_OK) != 0) {
		fmt_msg(err, errlen, "entry point sagemaker_program %s not found "
		    "in %s (sagemaker_submit_directory %s)", prog, prog[0] == '/' ?
		    "/" : code, hps->submit_dir != NULL ? hps->submit_dir :
		    "not set");
		free(runtime);
		return TD_ENOTFOUND;
	}
	if (is_python(runtime) && ends_with(prog, ".sh")) {
		free(runtime);
		runtime = strdup("/bin/sh");
	} else if (is_python(runtime) && !ends_with(prog, ".py")) {
		/* The toolkit's "command" entry point: run it directly. */
		free(runtime);
		out->path = strdup(entry);
		strv_push(&out->argv, entry);
		smenv_args(hps, &out->argv);
		return out->path != NULL ? 0 : TD_ENOMEM;
	}
	out->path = runtime;
	strv_push(&out->argv, runtime);
	strv_push(&out->argv, prog[0] == '/' ? entry : prog);
	smenv_args(hps, &out->argv);
	return out->path != NULL ? 0 : TD_ENOMEM;
}

int
launch_plan(const struct td_training_spec *spec, const struct smenv_hps *hps,
    const char *job_dir, const struct strv *env, struct launch *out, char *err,
    size_t errlen)
{
	const char *path_env = strv_getenv(env, "PATH");
	char code[PATH_MAX];
	int rc;

	memset(out, 0, sizeof(*out));
	if (fmt_path(code, sizeof(code), "%s/code", job_dir) != 0) {
		fmt_msg(err, errlen, "%s: path too long", job_dir);
		return TD_EINVAL;
	}
	if ((out->cwd = strdup(code)) == NULL)
		return TD_ENOMEM;
	if (spec->algorithm_name != NULL && spec->training_image == NULL &&
	    spec->n_entrypoint == 0) {
		fmt_msg(err, errlen, "AlgorithmSpecification.AlgorithmName %s: "
		    "marketplace algorithms are not available locally; use "
		    "TrainingImage", spec->algorithm_name);
		rc = TD_EINVAL;
	} else if (spec->n_entrypoint > 0) {
		rc = plan_entrypoint(spec, code, path_env, out, err, errlen);
	} else if (spec->training_image == NULL) {
		fmt_msg(err, errlen, "AlgorithmSpecification needs a "
		    "TrainingImage (a local runtime such as python3, or "
		    "builtin:<algorithm>) or a ContainerEntrypoint");
		rc = TD_EINVAL;
	} else if (strncmp(spec->training_image, "builtin:", 8) == 0) {
		rc = plan_builtin(spec->training_image + 8, hps, out, err,
		    errlen);
	} else {
		rc = plan_script(spec, hps, code, path_env, out, err, errlen);
	}
	if (rc != 0)
		launch_free(out);
	return rc;
}

void
launch_free(struct launch *l)
{
	if (l == NULL)
		return;
	free(l->path);
	free(l->cwd);
	strv_free(&l->argv);
	l->path = l->cwd = NULL;
}

void
launch_display(char *const *argv, struct buf *out)
{
	size_t i;

	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			buf_putc(out, ' ');
		if (argv[i][0] != '\0' && strpbrk(argv[i], " \t\n'\"\\$`") == NULL)
			buf_puts(out, argv[i]);
		else
			buf_json_str(out, argv[i], strlen(argv[i]));
	}
}
