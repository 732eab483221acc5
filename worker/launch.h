/*
 * launch.h - what tunerd-worker runs for a training spec: the executable,
 * its argv and working directory, decided once before anything starts.
 *
 *   ContainerEntrypoint [+ ContainerArguments]   that argv as given
 *   TrainingImage "builtin:<algo>"                tunerd-builtin builtin <algo> <hps>
 *   TrainingImage + sagemaker_program (Script Mode)
 *       <runtime> <entry> <hps>    <runtime> = TrainingImage found on PATH
 *       /bin/sh <entry> <hps>      an entry ending in .sh under a python image
 *       ./<entry> <hps>            any other non-.py entry under a python image
 *   TrainingImage alone                           <image> train
 *
 * <hps> are the user hyperparameters as "--key value" (smenv_args()). A
 * TrainingImage that is a container image reference (it has '/' or ':' and
 * is no local file) runs a .py entry with python3, with a note saying so.
 * The working directory is <job>/code. Reads the file system (PATH lookup,
 * the entry point in code/) but writes nothing. Ownership: launch_plan()
 * fills *out, released with launch_free().
 */
#ifndef TD_LAUNCH_H
#define TD_LAUNCH_H

#include <stddef.h>

#include "smenv.h"
#include "strv.h"
#include "training.h"

/* The built-in algorithms "builtin:<algo>" may name, comma-separated. */
#define LAUNCH_BUILTINS	"mlp"

/* The binary with the built-ins and the model server. */
#define LAUNCH_BUILTIN_BIN	"tunerd-builtin"

struct launch {
	char		*path;		/* what posix_spawn executes */
	int		 builtin;	/* path is tunerd-builtin */
	struct strv	 argv;
	char		*cwd;
	char		 note[512];	/* for the output log, or "" */
};

/*
 * env is the program's environment (its PATH is searched). On failure
 * returns a negative code with err saying what is wrong with the spec
 * (ready to follow "ClientError: ").
 */
int launch_plan(const struct td_training_spec *spec,
    const struct smenv_hps *hps, const char *job_dir, const struct strv *env,
    struct launch *out, char *err, size_t errlen);
void launch_free(struct launch *l);

/*
 * tunerd-builtin beside this executable (/proc/self/exe), else on $PATH:
 * 0 with *out the caller's, or TD_ENOTFOUND.
 */
int launch_builtin_path(char **out);
/* Finds an executable like execvp() does; *out is the caller's. */
int launch_which(const char *name, const char *path_env, char **out);
/* The argv as one line for a person: words with spaces or quotes quoted. */
void launch_display(char *const *argv, struct buf *out);

#endif
