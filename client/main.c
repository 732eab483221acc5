/*
 * main.c - tuner's entry point: finds the command in the tables, parses
 * its options, runs its handler and returns its exit code.
 *
 * Owns the global option table and the list of command tables; never
 * talks to tunerd itself (handlers do, through api.c, which is created on
 * first use so --help, --version and local commands start no libcurl).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const struct cli_opt cli_global_opts[] = {
	{ "socket", 0, "PATH", 0, "tunerd's unix socket (default: "
	    "$TUNERD_SOCKET, else $XDG_RUNTIME_DIR/tunerd/tunerd.sock, else "
	    "tunerd.sock in the state directory)" },
	{ "endpoint-url", 0, "URL", 0, "reach tunerd over TCP instead, e.g. "
	    "http://127.0.0.1:8080; signed with AWS SigV4 when "
	    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set (region: "
	    "AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1)" },
	{ "output", 'o', "FMT", 0, "output format: table (the default), json "
	    "or csv" },
	{ "quiet", 'q', NULL, 0, "print no progress and no streamed logs; "
	    "results and errors only" },
	{ "help", 'h', NULL, 0, "show the help of the command and exit" },
	{ NULL, 0, NULL, 0, NULL },
};

const struct cli_cmd *const cli_tables[] = {
	cmd_job_table,
	cmd_tune_table,
	cmd_serve_table,
	cmd_misc_table,
	NULL,
};

/* The command named by words[0] (and words[1] for two-word names). */
static const struct cli_cmd *
main_find(char **words, int n, int *used)
{
	const struct cli_cmd *const *t;
	const struct cli_cmd *cmd;
	size_t l0;

	for (t = cli_tables; *t != NULL; t++) {
		for (cmd = *t; cmd->name != NULL; cmd++) {
			const char *sp = strchr(cmd->name, ' ');

			if (sp == NULL && strcmp(cmd->name, words[0]) == 0) {
				*used = 1;
				return cmd;
			}
			l0 = sp != NULL ? (size_t)(sp - cmd->name) : 0;
			if (sp != NULL && n >= 2 && strlen(words[0]) == l0 &&
			    strncmp(cmd->name, words[0], l0) == 0 &&
			    strcmp(sp + 1, words[1]) == 0) {
				*used = 2;
				return cmd;
			}
		}
	}
	return NULL;
}

/* Is word the first half of some two-word command ("endpoints")? */
static int
main_is_group(const char *word)
{
	const struct cli_cmd *const *t;
	const struct cli_cmd *cmd;
	size_t len = strlen(word);

	for (t = cli_tables; *t != NULL; t++)
		for (cmd = *t; cmd->name != NULL; cmd++)
			if (strncmp(cmd->name, word, len) == 0 &&
			    cmd->name[len] == ' ')
				return 1;
	return 0;
}

static void
main_group_help(FILE *f, const char *word)
{
	const struct cli_cmd *const *t;
	const struct cli_cmd *cmd;
	size_t len = strlen(word);

	fprintf(f, "Usage: tuner %s SUBCOMMAND ...\n\nSubcommands:\n", word);
	for (t = cli_tables; *t != NULL; t++)
		for (cmd = *t; cmd->name != NULL; cmd++)
			if (strncmp(cmd->name, word, len) == 0 &&
			    cmd->name[len] == ' ')
				fprintf(f, "  %-18s %s\n", cmd->name,
				    cmd->summary);
}

/* Index of the command word in argv, skipping global options before it. */
static int
main_command_index(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (s[0] != '-' || strcmp(s, "-") == 0)
			return i;
		if (strcmp(s, "--") == 0)
			return i + 1 < argc ? i + 1 : -1;
		/* Global options with a separate value word. */
		if (strcmp(s, "--socket") == 0 ||
		    strcmp(s, "--endpoint-url") == 0 || strcmp(s, "-o") == 0 ||
		    strcmp(s, "--output") == 0)
			i++;
	}
	return -1;
}

static int
main_run(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	const struct cli_opt *sets[4];
	struct cli_args a;
	char err[512];
	size_t n = 0;
	int rc;

	if (cmd->opts != NULL)
		sets[n++] = cmd->opts;
	if (cmd->more != NULL)
		sets[n++] = cmd->more;
	sets[n++] = cli_global_opts;
	sets[n] = NULL;
	c->cmd_name = cmd->name;
	if ((rc = opt_parse(sets, argc, argv, &a, err, sizeof(err))) != 0) {
		opt_args_free(&a);
		return cli_usage(c, "%s", err);
	}
	if (opt_count(&a, "help") > 0) {
		man_print_cmd_help(stdout, cmd);
		opt_args_free(&a);
		return CLI_OK;
	}
	if ((rc = cli_apply_globals(c, &a)) == 0)
		rc = cmd->fn(c, &a);
	opt_args_free(&a);
	return rc;
}

/* argv without argv[0] and the command words, global options kept. */
static char **
main_cmd_argv(int argc, char **argv, int at, int used, int *n)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	int i, k = 0;

	if (v == NULL) {
		fprintf(stderr, "tuner: out of memory\n");
		exit(CLI_FAIL);
	}
	for (i = 1; i < argc; i++)
		if (i < at || i >= at + used)
			v[k++] = argv[i];
	*n = k;
	return v;
}

static int
main_help_cmd(int argc, char **argv, int at)
{
	const struct cli_cmd *cmd;
	int used = 0;

	if (at + 1 >= argc) {
		man_print_overview(stdout);
		return CLI_OK;
	}
	if ((cmd = main_find(argv + at + 1, argc - at - 1, &used)) != NULL) {
		man_print_cmd_help(stdout, cmd);
		return CLI_OK;
	}
	if (main_is_group(argv[at + 1])) {
		main_group_help(stdout, argv[at + 1]);
		return CLI_OK;
	}
	fprintf(stderr, "tuner: unknown command \"%s\" (see 'tuner --help')\n",
	    argv[at + 1]);
	return CLI_USAGE;
}

int
main(int argc, char **argv)
{
	struct cli c;
	const struct cli_cmd *cmd;
	char **cargv;
	int at, used = 0, cargc, rc, i;

	memset(&c, 0, sizeof(c));
	c.tty_out = isatty(STDOUT_FILENO);
	c.tty_err = isatty(STDERR_FILENO);
	at = main_command_index(argc, argv);
	for (i = 1; i < (at < 0 ? argc : at); i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("tuner %s\n", TUNERD_VERSION);
			return CLI_OK;
		}
		if (strcmp(argv[i], "--help-man") == 0) {
			man_print_roff(stdout);
			return CLI_OK;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			man_print_overview(stdout);
			return CLI_OK;
		}
	}
	if (at < 0) {
		fprintf(stderr, "tuner: no command given (see 'tuner --help')\n");
		return CLI_USAGE;
	}
	if (strcmp(argv[at], "help") == 0)
		return main_help_cmd(argc, argv, at);
	if ((cmd = main_find(argv + at, argc - at, &used)) == NULL) {
		if (main_is_group(argv[at])) {
			if (at + 1 < argc)
				fprintf(stderr, "tuner: unknown subcommand "
				    "\"%s %s\"\n\n", argv[at], argv[at + 1]);
			main_group_help(at + 1 < argc ? stderr : stdout,
			    argv[at]);
			return at + 1 < argc ? CLI_USAGE : CLI_OK;
		}
		fprintf(stderr, "tuner: unknown command \"%s\" (see 'tuner "
		    "--help')\n", argv[at]);
		return CLI_USAGE;
	}
	cargv = main_cmd_argv(argc, argv, at, used, &cargc);
	rc = main_run(&c, cmd, cargc, cargv);
	free(cargv);
	api_free(c.api);
	free(c.socket_buf);
	if (fflush(stdout) != 0 && rc == CLI_OK) {
		fprintf(stderr, "tuner: cannot write the output (stdout)\n");
		rc = CLI_FAIL;
	}
	return rc;
}
