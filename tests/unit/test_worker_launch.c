/*
 * test_worker_launch.c - what tunerd-worker runs for a spec: Script Mode
 * under a local runtime, built-ins, ContainerEntrypoint, and the errors a
 * user sees when the spec names something that is not there.
 */
#include "t.h"

#include <sys/stat.h>

#include "err.h"
#include "launch.h"
#include "util.h"

static char dir[] = "/tmp/tdlaunch.XXXXXX";
static char bin[300], job[300], path_env[700];

/* A job dir with code/, and a bin/ holding fake runtimes on PATH. */
static void
setup(void)
{
	static const char *const progs[] = { "python3", "sh", "bash", "tool",
	    NULL };
	char p[400];
	size_t i;
	FILE *f;

	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(bin, sizeof(bin), "%s/bin", dir);
	snprintf(job, sizeof(job), "%s/job", dir);
	snprintf(p, sizeof(p), "%s/code/sub", job);
	T_ASSERT(td_mkdir_p(bin, 0755) == 0 && td_mkdir_p(p, 0755) == 0);
	for (i = 0; progs[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s", bin, progs[i]);
		T_ASSERT((f = fopen(p, "w")) != NULL);
		fclose(f);
		T_ASSERT(chmod(p, 0755) == 0);
	}
	/* Not executable: never picked. */
	snprintf(p, sizeof(p), "%s/notexec", bin);
	T_ASSERT((f = fopen(p, "w")) != NULL);
	fclose(f);
	for (i = 0; i < 3; i++) {
		static const char *const code[] = { "train.py", "run.sh",
		    "sub/go" };

		snprintf(p, sizeof(p), "%s/code/%s", job, code[i]);
		T_ASSERT((f = fopen(p, "w")) != NULL);
		fclose(f);
	}
	snprintf(path_env, sizeof(path_env), "%s/nowhere::%s", dir, bin);
}

static void
cleanup(void)
{
	td_rm_rf(dir);
}

struct plan {
	struct td_training_spec	 spec;
	struct td_kv		 hps[4];
	struct smenv_hps	 h;
	struct strv		 env;
	struct launch		 l;
	char			 err[512];
	int			 rc;
};

static void
plan_run(struct plan *p)
{
	p->spec.name = "j";
	p->spec.hyperparameters = p->hps;
	smenv_hps_decode(p->hps, p->spec.n_hyperparameters, &p->h);
	strv_setenv(&p->env, "PATH", path_env);
	p->err[0] = '\0';
	p->rc = launch_plan(&p->spec, &p->h, job, &p->env, &p->l, p->err,
	    sizeof(p->err));
}

static void
plan_done(struct plan *p)
{
	launch_free(&p->l);
	smenv_hps_free(&p->h);
	strv_free(&p->env);
}

/* The argv joined with single spaces. */
static char *
joined(const struct launch *l)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < l->argv.n; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		buf_puts(&b, l->argv.v[i]);
	}
	buf_puts(&b, "");
	return buf_steal(&b);
}

#define ARGV_IS(p, want) do { char *_j = joined(&(p)->l);                  \
	T_EQ_STR(_j, want); free(_j); } while (0)

static void
t_script_mode_python(void)
{
	struct plan p = { 0 };
	char want[600];

	setup();
	p.spec.training_image = "python3";
	p.hps[0] = (struct td_kv){ "sagemaker_program", "\"train.py\"" };
	p.hps[1] = (struct td_kv){ "sagemaker_submit_directory", "\"/src\"" };
	p.hps[2] = (struct td_kv){ "epochs", "\"5\"" };
	p.hps[3] = (struct td_kv){ "lr", "0.5" };
	p.spec.n_hyperparameters = 4;
	plan_run(&p);
	T_EQ_INT(p.rc, 0);
	snprintf(want, sizeof(want), "%s/python3", bin);
	T_EQ_STR(p.l.path, want);
	snprintf(want, sizeof(want), "%s/python3 train.py --epochs 5 --lr 0.5",
	    bin);
	ARGV_IS(&p, want);
	snprintf(want, sizeof(want), "%s/code", job);
	T_EQ_STR(p.l.cwd, want);
	T_EQ_STR(p.l.note, "");
	plan_done(&p);
	cleanup();
}

static void
t_script_mode_shell_entries(void)
{
	struct plan p = { 0 };
	char want[600];

	setup();
	/* A .sh entry under a python image runs with /bin/sh. */
	p.spec.training_image = "python3";
	p.hps[0] = (struct td_kv){ "sagemaker_program", "run.sh" };
	p.hps[1] = (struct td_kv){ "x", "1" };
	p.spec.n_hyperparameters = 2;
	plan_run(&p);
	T_EQ_INT(p.rc, 0);
	T_EQ_STR(p.l.path, "/bin/sh");
	ARGV_IS(&p, "/bin/sh run.sh -x 1");
	plan_done(&p);
	/* Any other non-.py entry under python: run as a command. */
	memset(&p, 0, sizeof(p));
	p.spec.training_image = "python3";
	p.hps[0] = (struct td_kv){ "sagemaker_program", "sub/go" };
	p.spec.n_hyperparameters = 1;
	plan_run(&p);
	T_EQ_INT(p.rc, 0);
	snprintf(want, sizeof(want), "%s/code/sub/go", job);
	T_EQ_STR(p.l.path, want);
	ARGV_IS(&p, want);
	plan_done(&p);
	/* A non-python image is the interpreter for whatever entry. */
	memset(&p, 0, sizeof(p));
	p.spec.training_image = "bash";
	p.hps[0] = (struct td_kv){ "sagemaker_program", "run.sh" };
	p.spec.n_hyperparameters = 1;
	plan_run(&p);
	T_EQ_INT(p.rc, 0);
	snprintf(want, sizeof(want), "%s/bash run.sh", bin);
	ARGV_IS(&p, want);
	plan_done(&p);
	cleanup();
}

static void
t_container_image_uri(void)
{
	struct plan p = { 0 };
	char want[600];

	setup();
	p.spec.training_image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/"
	    "pytorch-training:2.0-cpu-py310";
	p.hps[0] = (struct td_kv){ "sagemaker_program", "train.py" };
	p.spec.n_hyperparameters = 1;
	plan_run(&p);
	T_EQ_INT(p.rc, 0);
	snprintf(want, sizeof(want), "%s/python3 train.py", bin);
	ARGV_IS(&p, want);
	T_ASSERT(strstr(p.l.note, "is a container image") != NULL);
	plan_done(&p);
	/* Without a .py program there is nothing to map it to. */
	memset(&p, 0, sizeof(p));
	p.spec.training_image = "registry.example/img:1";
	plan_run(&p);
	T_ASSERT(p.rc != 0);
	T_ASSERT(strstr(p.err, "TrainingImage registry.example/img:1") != NULL);
	plan_done(&p);
	cleanup();
}

static void
t_image_alone_runs_train(void)
{
	struct plan p = { 0 };
	char want[600];

	setup();
	p.spec.training_image = "tool";
	p.hps[0] = (struct td_kv){ "epochs", "3" };
	p.spec.n_hyperparameters = 1;
	plan_run(&p);
	T_EQ_INT(p.rc, 0);
	snprintf(want, sizeof(want), "%s/tool train", bin);
	ARGV_IS(&p, want);
	plan_done(&p);
	cleanup();
}

static void
t_builtin(void)
{
	struct plan p = { 0 };

	setup();
	p.spec.training_image = "builtin:mlp";
	p.hps[0] = (struct td_kv){ "hidden", "\"64,32\"" };
	p.hps[1] = (struct td_kv){ "epochs", "20" };
	p.spec.n_hyperparameters = 2;
	plan_run(&p);
	T_EQ_INT(p.rc, 0);
	/* tunerd-builtin beside this test (both in the build's worker/). */
	T_ASSERT(p.l.path != NULL && strlen(p.l.path) > 15 &&
	    strcmp(p.l.path + strlen(p.l.path) - 15, "/tunerd-builtin") == 0);
	T_EQ_INT(p.l.builtin, 1);
	ARGV_IS(&p, "tunerd-builtin builtin mlp --epochs 20 --hidden 64,32");
	plan_done(&p);
	memset(&p, 0, sizeof(p));
	p.spec.training_image = "builtin:xgboost";
	plan_run(&p);
	T_ASSERT(p.rc != 0);
	T_ASSERT(strstr(p.err, "builtin:xgboost") != NULL);
	T_ASSERT(strstr(p.err, "the built-ins are: " LAUNCH_BUILTINS) != NULL);
	T_ASSERT(p.l.path == NULL && p.l.argv.n == 0);
	plan_done(&p);
	cleanup();
}

static void
t_container_entrypoint(void)
{
	static char *ep[] = { "sh", "-c" };
	static char *args[] = { "echo hi", "zero" };
	struct plan p = { 0 };
	char want[600];

	setup();
	p.spec.entrypoint = ep;
	p.spec.n_entrypoint = 2;
	p.spec.arguments = args;
	p.spec.n_arguments = 2;
	p.hps[0] = (struct td_kv){ "epochs", "3" };	/* not passed */
	p.spec.n_hyperparameters = 1;
	plan_run(&p);
	T_EQ_INT(p.rc, 0);
	snprintf(want, sizeof(want), "%s/sh", bin);
	T_EQ_STR(p.l.path, want);
	ARGV_IS(&p, "sh -c echo hi zero");
	plan_done(&p);
	/* An entry point that is not there. */
	memset(&p, 0, sizeof(p));
	ep[0] = "missing-tool";
	p.spec.entrypoint = ep;
	p.spec.n_entrypoint = 1;
	plan_run(&p);
	T_ASSERT(p.rc != 0);
	T_ASSERT(strstr(p.err, "ContainerEntrypoint[0] missing-tool") != NULL);
	ep[0] = "sh";
	plan_done(&p);
	cleanup();
}

static void
t_spec_errors(void)
{
	struct plan p = { 0 };

	setup();
	plan_run(&p);		/* nothing to run at all */
	T_ASSERT(p.rc != 0);
	T_ASSERT(strstr(p.err, "TrainingImage") != NULL);
	T_ASSERT(strstr(p.err, "ContainerEntrypoint") != NULL);
	plan_done(&p);

	memset(&p, 0, sizeof(p));
	p.spec.algorithm_name = "arn:aws:sagemaker:us-east-1:1:algorithm/x";
	plan_run(&p);
	T_ASSERT(p.rc != 0);
	T_ASSERT(strstr(p.err, "AlgorithmName") != NULL);
	plan_done(&p);

	memset(&p, 0, sizeof(p));
	p.spec.training_image = "notexec";	/* on PATH, not executable */
	p.hps[0] = (struct td_kv){ "sagemaker_program", "train.py" };
	p.spec.n_hyperparameters = 1;
	plan_run(&p);
	T_ASSERT(p.rc != 0);
	T_ASSERT(strstr(p.err, "TrainingImage notexec: no such program") !=
	    NULL);
	plan_done(&p);

	memset(&p, 0, sizeof(p));
	p.spec.training_image = "python3";
	p.hps[0] = (struct td_kv){ "sagemaker_program", "\"nope.py\"" };
	p.hps[1] = (struct td_kv){ "sagemaker_submit_directory", "/src/dir" };
	p.spec.n_hyperparameters = 2;
	plan_run(&p);
	T_ASSERT(p.rc != 0);
	T_ASSERT(strstr(p.err, "nope.py not found") != NULL);
	T_ASSERT(strstr(p.err, "/src/dir") != NULL);
	plan_done(&p);
	cleanup();
}

static void
t_which_and_display(void)
{
	struct buf b = { 0 };
	char *out = NULL, want[400];
	char *argv[] = { "python3", "a b", "it's", "", "plain", NULL };

	setup();
	T_ASSERT(launch_which("tool", path_env, &out) == 0);
	snprintf(want, sizeof(want), "%s/tool", bin);
	T_EQ_STR(out, want);
	free(out);
	T_ASSERT(launch_which("notexec", path_env, &out) == TD_ENOTFOUND);
	T_ASSERT(launch_which("", path_env, &out) == TD_ENOTFOUND);
	T_ASSERT(launch_which("/nonexistent/x", path_env, &out) == TD_ENOTFOUND);
	launch_display(argv, &b);
	T_EQ_STR(b.data, "python3 \"a b\" \"it's\" \"\" plain");
	buf_free(&b);
	cleanup();
}

T_MAIN(T_CASE(t_script_mode_python), T_CASE(t_script_mode_shell_entries),
    T_CASE(t_container_image_uri), T_CASE(t_image_alone_runs_train),
    T_CASE(t_builtin), T_CASE(t_container_entrypoint), T_CASE(t_spec_errors),
    T_CASE(t_which_and_display))
