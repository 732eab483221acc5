/*
 * test_client_opt.c - client/opt.c: option parsing from the command tables.
 */
#include "cli.h"
#include "t.h"

static const struct cli_opt cmd_opts[] = {
	{ "name", 'n', "NAME", 0, "name" },
	{ "wait", 'w', NULL, 0, "wait" },
	{ "hyperparameter", 'H', "K=V", OPT_MULTI, "hp" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt glob_opts[] = {
	{ "output", 'o', "FMT", 0, "fmt" },
	{ "quiet", 'q', NULL, 0, "quiet" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt *const sets[] = { cmd_opts, glob_opts, NULL };

/* Parses a NULL-ended word list; returns opt_parse's code. */
static int
parse(struct cli_args *a, char *err, size_t errlen, char **words)
{
	int n = 0;

	while (words[n] != NULL)
		n++;
	return opt_parse(sets, n, words, a, err, errlen);
}

static void
t_mixed(void)
{
	char *w[] = { "--name", "x", "pos1", "-w", "-H", "a=1", "-Hb=2",
	    "--hyperparameter=c=3", "pos2", "-o", "json", "--", "cmd", "-x",
	    NULL };
	struct cli_args a;
	char err[256];
	const char **v;
	size_t n;

	T_EQ_INT(parse(&a, err, sizeof(err), w), 0);
	T_EQ_STR(opt_get(&a, "name"), "x");
	T_EQ_INT(opt_count(&a, "wait"), 1);
	T_EQ_STR(opt_get(&a, "output"), "json");
	v = opt_all(&a, "hyperparameter", &n);
	T_EQ_INT(n, 3);
	T_EQ_STR(v[0], "a=1");
	T_EQ_STR(v[1], "b=2");
	T_EQ_STR(v[2], "c=3");
	T_EQ_INT(a.npos, 2);
	T_EQ_STR(a.pos[0], "pos1");
	T_EQ_STR(a.pos[1], "pos2");
	T_ASSERT(a.has_rest);
	T_EQ_INT(a.nrest, 2);
	T_EQ_STR(a.rest[0], "cmd");
	T_EQ_STR(a.rest[1], "-x");
	opt_args_free(&a);
}

static void
t_bundles_and_attached(void)
{
	char *w[] = { "-wq", "-nfoo", "-qw", NULL };
	struct cli_args a;
	char err[256];

	T_EQ_INT(parse(&a, err, sizeof(err), w), 0);
	T_EQ_INT(opt_count(&a, "wait"), 2);
	T_EQ_INT(opt_count(&a, "quiet"), 2);
	T_EQ_STR(opt_get(&a, "name"), "foo");
	T_ASSERT(!a.has_rest);
	opt_args_free(&a);
}

static void
t_last_wins(void)
{
	char *w[] = { "--name=a", "-n", "b", "--name", "c", NULL };
	struct cli_args a;
	char err[256];
	size_t n;

	T_EQ_INT(parse(&a, err, sizeof(err), w), 0);
	T_EQ_STR(opt_get(&a, "name"), "c");
	T_ASSERT(opt_all(&a, "name", &n) != NULL);
	T_EQ_INT(n, 1);
	opt_args_free(&a);
}

static void
t_numbers_are_positional(void)
{
	char *w[] = { "tuning", "trial", "-3.5", "-", "-.25", NULL };
	struct cli_args a;
	char err[256];

	T_EQ_INT(parse(&a, err, sizeof(err), w), 0);
	T_EQ_INT(a.npos, 5);
	T_EQ_STR(a.pos[2], "-3.5");
	T_EQ_STR(a.pos[3], "-");
	T_EQ_STR(a.pos[4], "-.25");
	opt_args_free(&a);
}

static void
t_unset(void)
{
	char *w[] = { NULL };
	struct cli_args a;
	char err[256];
	size_t n = 99;

	T_EQ_INT(parse(&a, err, sizeof(err), w), 0);
	T_ASSERT(opt_get(&a, "name") == NULL);
	T_ASSERT(opt_all(&a, "hyperparameter", &n) == NULL);
	T_EQ_INT(n, 0);
	T_EQ_INT(opt_count(&a, "wait"), 0);
	/* A name no table has is simply unset, not a crash. */
	T_ASSERT(opt_get(&a, "nonexistent") == NULL);
	opt_args_free(&a);
	opt_args_free(&a);
	opt_args_free(NULL);
}

static void
t_errors(void)
{
	static const struct { char *w[4]; const char *msg; } cases[] = {
		{ { "--bogus", NULL }, "--bogus" },
		{ { "--name", NULL }, "needs a value" },
		{ { "-n", NULL }, "needs a value" },
		{ { "--wait=1", NULL }, "takes no value" },
		{ { "-z", NULL }, "-z" },
		{ { "-wz", NULL }, "-z" },
		{ { "--na", "x", NULL }, "--na" },
	};
	struct cli_args a;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		T_EQ_INT(parse(&a, err, sizeof(err), (char **)cases[i].w),
		    CLI_USAGE);
		if (strstr(err, cases[i].msg) == NULL)
			T_FAIL("case %zu: \"%s\" lacks \"%s\"", i, err,
			    cases[i].msg);
		opt_args_free(&a);
	}
}

T_MAIN(T_CASE(t_mixed), T_CASE(t_bundles_and_attached), T_CASE(t_last_wins),
    T_CASE(t_numbers_are_positional), T_CASE(t_unset), T_CASE(t_errors))
