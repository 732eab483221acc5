/*
 * man.c - renders the command tables as --help text and as the tuner(1)
 * man page (roff), so both come from one source (STYLE.md rule 17).
 *
 * Owns the prose that is not per command (overview, exit status,
 * environment, examples); never talks to tunerd. The build runs
 * `tuner --help-man` to produce tuner.1, so a change to an option's text
 * changes both outputs at once.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char man_overview[] =
    "tuner is the command-line client of tunerd, a local service that "
    "speaks the SageMaker API: it starts training jobs (Script Mode "
    "programs, any command, or built-in algorithms), runs hyperparameter "
    "tuning jobs, and deploys models to endpoints on this machine. It talks "
    "to tunerd over a unix socket (or TCP with --endpoint-url) using the "
    "same AWS JSON 1.1 requests as boto3 and the AWS CLI, so anything tuner "
    "starts can be inspected with them and the other way round.";

static const struct { int code; const char *text; } man_exits[] = {
	{ CLI_OK, "success" },
	{ CLI_FAIL, "the job or operation ended unsuccessfully: --wait or "
	    "wait on a job that Failed or Stopped, a tuning job that did not "
	    "complete, an endpoint that failed, a local prediction that failed, "
	    "or metrics test with no match" },
	{ CLI_USAGE, "usage error: unknown option, bad value, or an input "
	    "file that cannot be read or parsed; nothing was sent to tunerd" },
	{ CLI_CONN, "cannot reach tunerd: the message names the socket or "
	    "URL tried" },
	{ CLI_API, "tunerd answered with an API error; its __type (e.g. "
	    "ValidationException, ResourceNotFound) and message are printed" },
};

static const struct { const char *name; const char *text; } man_env[] = {
	{ "TUNERD_SOCKET", "the socket to use when --socket is not given" },
	{ "TUNERD_STATE_DIR", "tunerd's state directory; the default socket "
	    "is tunerd.sock in it when neither TUNERD_SOCKET nor "
	    "XDG_RUNTIME_DIR is set" },
	{ "XDG_RUNTIME_DIR", "if set, the default socket is "
	    "$XDG_RUNTIME_DIR/tunerd/tunerd.sock" },
	{ "XDG_STATE_HOME", "the default state directory is "
	    "$XDG_STATE_HOME/tunerd, else ~/.local/state/tunerd" },
	{ "AWS_ACCESS_KEY_ID", "with AWS_SECRET_ACCESS_KEY, requests over "
	    "TCP (--endpoint-url) are signed with AWS SigV4 (service "
	    "sagemaker), as a tunerd started with --credentials requires; the "
	    "unix socket is never signed" },
	{ "AWS_SECRET_ACCESS_KEY", "the secret key of AWS_ACCESS_KEY_ID" },
	{ "AWS_REGION", "the region in the signature (else AWS_DEFAULT_REGION, "
	    "else us-east-1)" },
	{ "AWS_DEFAULT_REGION", "the region when AWS_REGION is not set" },
};

static const char *const man_examples[] = {
	"tunerd -d &",
	"tuner train --entry-point train.py --channel train=data/train \\",
	"    -H epochs=20 --metric 'val_loss= val_loss: ([0-9.]+)' --wait",
	"tuner list --status Completed -o csv",
	"tuner logs -f train-2024-05-01-12-00-00-000",
	"tuner tune --entry-point train.py --channel train=data/train \\",
	"    --metric 'val_loss= val_loss: ([0-9.]+)' --objective val_loss:min \\",
	"    --param learning_rate=0.001:0.2:log --param epochs=10:50:int \\",
	"    --max-jobs 15 --max-parallel 5 --name boston --wait",
	"tuner trials boston --top 5",
	"tuner deploy --best boston",
	"tuner predict --endpoint <name> --input x_test.npy",
	"tuner api ListTrainingJobs --input-json - <<< '{\"MaxResults\": 5}'",
	NULL,
};

/* --- plain text ----------------------------------------------------- */

/*
 * Writes text wrapped at column width; the cursor is at column col, and
 * continuation lines are indented by indent.
 */
static void
man_wrap(FILE *f, const char *text, size_t col, size_t indent, size_t width)
{
	size_t wl;
	const char *p = text, *e;
	int start = 1;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		wl = (size_t)(e - p);
		if (!start && col + 1 + wl > width) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
			start = 1;
		}
		if (!start) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, wl, f);
		col += wl;
		start = 0;
		p = e;
	}
	fputc('\n', f);
}

/* A description: paragraphs split by blank lines, literal lines start with two spaces. */
static void
man_text_desc(FILE *f, const char *desc)
{
	char para[4096];
	const char *p = desc, *nl;
	size_t n = 0;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (p[0] == ' ' && p[1] == ' ') {
			if (n > 0) {
				para[n] = '\0';
				man_wrap(f, para, 0, 0, 78);
				n = 0;
			}
			fprintf(f, "  %.*s\n", (int)(nl - p), p);
		} else if (nl == p) {
			if (n > 0) {
				para[n] = '\0';
				man_wrap(f, para, 0, 0, 78);
				n = 0;
			}
			fputc('\n', f);
		} else if (n + (size_t)(nl - p) + 2 < sizeof(para)) {
			if (n > 0)
				para[n++] = ' ';
			memcpy(para + n, p, (size_t)(nl - p));
			n += (size_t)(nl - p);
		}
		p = *nl != '\0' ? nl + 1 : nl;
	}
	if (n > 0) {
		para[n] = '\0';
		man_wrap(f, para, 0, 0, 78);
	}
}

static void
man_text_opts(FILE *f, const char *title, const struct cli_opt *o)
{
	char head[96];
	int n;

	if (o == NULL || o->lng == NULL)
		return;
	fprintf(f, "\n%s:\n", title);
	for (; o->lng != NULL; o++) {
		if (o->flags & OPT_HIDDEN)
			continue;
		if (o->sht != 0)
			n = snprintf(head, sizeof(head), "  -%c, --%s%s%s", o->sht,
			    o->lng, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			n = snprintf(head, sizeof(head), "      --%s%s%s", o->lng,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		fputs(head, f);
		if (n >= 30) {
			fprintf(f, "\n%32s", "");
			man_wrap(f, o->help, 32, 32, 79);
		} else {
			fprintf(f, "%*s", 32 - n, "");
			man_wrap(f, o->help, 32, 32, 79);
		}
	}
}

void
man_print_cmd_help(FILE *f, const struct cli_cmd *cmd)
{
	fprintf(f, "Usage: tuner %s %s\n\n", cmd->name, cmd->usage);
	man_wrap(f, cmd->summary, 0, 0, 78);
	if (cmd->desc != NULL) {
		fputc('\n', f);
		man_text_desc(f, cmd->desc);
	}
	man_text_opts(f, "Options", cmd->opts);
	man_text_opts(f, cmd->more_title ? cmd->more_title : "More options",
	    cmd->more);
	man_text_opts(f, "Global options", cli_global_opts);
	fprintf(f, "\nExit status: 0 ok, 1 job/operation unsuccessful, 2 usage, "
	    "3 cannot reach tunerd, 4 API error.\n");
}

void
man_print_overview(FILE *f)
{
	const struct cli_cmd *const *t;
	const struct cli_cmd *cmd;
	size_t i;

	fprintf(f, "Usage: tuner [global options] COMMAND [options] [ARGS]\n\n");
	man_wrap(f, man_overview, 0, 0, 78);
	fprintf(f, "\nCommands:\n");
	for (t = cli_tables; *t != NULL; t++)
		for (cmd = *t; cmd->name != NULL; cmd++) {
			fprintf(f, "  %-19s ", cmd->name);
			man_wrap(f, cmd->summary, 22, 22, 79);
		}
	man_text_opts(f, "Global options", cli_global_opts);
	fprintf(f, "      --version%17sprint the version and exit\n", "");
	fprintf(f, "\nExit status:\n");
	for (i = 0; i < sizeof(man_exits) / sizeof(man_exits[0]); i++) {
		fprintf(f, "  %d  ", man_exits[i].code);
		man_wrap(f, man_exits[i].text, 5, 5, 79);
	}
	fprintf(f, "\nEnvironment:\n");
	for (i = 0; i < sizeof(man_env) / sizeof(man_env[0]); i++) {
		fprintf(f, "  %-22s", man_env[i].name);
		man_wrap(f, man_env[i].text, 24, 24, 79);
	}
	fprintf(f, "\nRun 'tuner COMMAND --help' for a command's options, "
	    "'man tuner' for all.\n");
}

/* --- roff ----------------------------------------------------------- */

/* Text escaped for roff: backslashes, dashes, and control characters at line start. */
static void
man_roff_text(FILE *f, const char *s, size_t n, int bol)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++) {
		if (bol && (s[i] == '.' || s[i] == '\''))
			fputs("\\&", f);
		bol = 0;
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else
			fputc(s[i], f);
	}
}

static void
man_roff_line(FILE *f, const char *s)
{
	man_roff_text(f, s, strlen(s), 1);
	fputc('\n', f);
}

static void
man_roff_desc(FILE *f, const char *desc)
{
	const char *p = desc, *nl;
	int literal = 0;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (p[0] == ' ' && p[1] == ' ') {
			if (!literal)
				fputs(".PP\n.nf\n.RS 4\n", f);
			literal = 1;
			man_roff_text(f, p + 2, (size_t)(nl - p - 2), 1);
			fputc('\n', f);
		} else {
			if (literal)
				fputs(".RE\n.fi\n", f);
			literal = 0;
			if (nl == p)
				fputs(".PP\n", f);
			else {
				man_roff_text(f, p, (size_t)(nl - p), 1);
				fputc('\n', f);
			}
		}
		p = *nl != '\0' ? nl + 1 : nl;
	}
	if (literal)
		fputs(".RE\n.fi\n", f);
}

static void
man_roff_opts(FILE *f, const struct cli_opt *o)
{
	for (; o != NULL && o->lng != NULL; o++) {
		if (o->flags & OPT_HIDDEN)
			continue;
		fputs(".TP\n", f);
		if (o->sht != 0)
			fprintf(f, "\\fB\\-%c\\fR, ", o->sht);
		fputs("\\fB\\-\\-", f);
		man_roff_text(f, o->lng, strlen(o->lng), 0);
		fputs("\\fR", f);
		if (o->arg != NULL) {
			fputs(" \\fI", f);
			man_roff_text(f, o->arg, strlen(o->arg), 0);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		man_roff_line(f, o->help);
	}
}

static void
man_roff_cmd(FILE *f, const struct cli_cmd *cmd)
{
	fputs(".SS \"", f);
	fputs("tuner ", f);
	man_roff_text(f, cmd->name, strlen(cmd->name), 0);
	fputs("\"\n", f);
	fputs(".B tuner ", f);
	man_roff_text(f, cmd->name, strlen(cmd->name), 0);
	fputc('\n', f);
	man_roff_line(f, cmd->usage);
	fputs(".PP\n", f);
	man_roff_line(f, cmd->summary);
	if (cmd->desc != NULL) {
		fputs(".PP\n", f);
		man_roff_desc(f, cmd->desc);
	}
	if (cmd->opts != NULL && cmd->opts->lng != NULL) {
		fputs(".PP\nOptions:\n", f);
		man_roff_opts(f, cmd->opts);
	}
	if (cmd->more != NULL && cmd->more->lng != NULL) {
		fputs(".PP\n", f);
		man_roff_text(f, cmd->more_title ? cmd->more_title :
		    "More options", (size_t)-1, 1);
		fputs(":\n", f);
		man_roff_opts(f, cmd->more);
	}
}

void
man_print_roff(FILE *f)
{
	const struct cli_cmd *const *t;
	const struct cli_cmd *cmd;
	size_t i;

	fprintf(f, ".\\\" Generated by 'tuner --help-man' from the command "
	    "tables in client/; do not edit.\n");
	fprintf(f, ".TH TUNER 1 \"\" \"tunerd %s\" \"User Commands\"\n",
	    TUNERD_VERSION);
	fputs(".SH NAME\ntuner \\- train, tune and serve models with tunerd\n", f);
	fputs(".SH SYNOPSIS\n.B tuner\n[\\fIglobal options\\fR] \\fICOMMAND\\fR "
	    "[\\fIoptions\\fR] [\\fIARGS\\fR]\n", f);
	fputs(".SH DESCRIPTION\n", f);
	man_roff_line(f, man_overview);
	fputs(".PP\nResults go to standard output as a table, JSON or CSV "
	    "(\\fB\\-o\\fR); errors go to standard error as \\fBtuner: "
	    "\\fIwhat\\fB (\\fIwhere\\fB)\\fR; progress is shown only when "
	    "standard error is a terminal.\n", f);
	fputs(".SH COMMANDS\n", f);
	for (t = cli_tables; *t != NULL; t++)
		for (cmd = *t; cmd->name != NULL; cmd++)
			man_roff_cmd(f, cmd);
	fputs(".SH GLOBAL OPTIONS\nThese are accepted before or after the "
	    "command.\n", f);
	man_roff_opts(f, cli_global_opts);
	fputs(".TP\n\\fB\\-\\-version\\fR\nPrint the version and exit.\n", f);
	fputs(".SH EXIT STATUS\n", f);
	for (i = 0; i < sizeof(man_exits) / sizeof(man_exits[0]); i++) {
		fprintf(f, ".TP\n.B %d\n", man_exits[i].code);
		man_roff_line(f, man_exits[i].text);
	}
	fputs(".SH ENVIRONMENT\n", f);
	for (i = 0; i < sizeof(man_env) / sizeof(man_env[0]); i++) {
		fprintf(f, ".TP\n.B %s\n", man_env[i].name);
		man_roff_line(f, man_env[i].text);
	}
	fputs(".SH EXAMPLES\n.nf\n.RS 4\n", f);
	for (i = 0; man_examples[i] != NULL; i++)
		man_roff_line(f, man_examples[i]);
	fputs(".RE\n.fi\n.SH SEE ALSO\n.BR tunerd (8),\n.BR aws (1)\n", f);
}
