/*
 * cli.h - the tuner client's internal contract: the command table, option
 * parsing, the context every handler receives, the HTTP client and output.
 *
 * Owns nothing at file scope. Every command lives in a cmd_*.c file as one
 * entry of a {command, usage, options, handler} table (STYLE.md rule 14);
 * main.c dispatches, man.c renders --help and the man page from the same
 * entries (rule 17), so the two cannot drift.
 *
 * Exit codes are part of the interface (documented in --help and tuner(1)):
 *   0  success
 *   1  the job or operation ended unsuccessfully (e.g. --wait on a Failed job)
 *   2  usage error: bad option, argument or input file
 *   3  cannot reach tunerd (socket or URL named in the message)
 *   4  the API returned an error (its __type and message are printed)
 * Handlers return one of these; a message has been printed for every
 * non-zero code, as "tuner: <what> (<where>)" on stderr.
 */
#ifndef TD_CLIENT_CLI_H
#define TD_CLIENT_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "buf.h"

enum {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
	CLI_CONN = 3,
	CLI_API = 4,
};

/* --- options -------------------------------------------------------- */

#define OPT_MULTI	0x1	/* repeatable; every value is kept */
#define OPT_HIDDEN	0x2	/* parsed, but left out of help and man */

struct cli_opt {
	const char	*lng;	/* long name without "--"; NULL ends a table */
	int		 sht;	/* short letter or 0 */
	const char	*arg;	/* argument name ("NAME") or NULL for a flag */
	unsigned int	 flags;	/* OPT_* */
	const char	*help;	/* one sentence; may be long, it is wrapped */
};

struct cli_val {
	const char	**v;	/* values in order (borrowed from argv) */
	size_t		 n;	/* count: values, or times a flag was given */
};

struct cli_args {
	const struct cli_opt	*sets[4];	/* option tables, NULL-ended list */
	size_t			 nopts;		/* options over all sets */
	struct cli_val		*vals;		/* nopts entries, set order */
	const char		**pos;		/* positional arguments */
	size_t			 npos;
	const char		**rest;		/* words after "--" */
	size_t			 nrest;
	int			 has_rest;	/* "--" was seen */
};

/*
 * Parses argv[0..argc) against the option tables sets[] (a NULL-ended list
 * of at most 3 tables). Options and positionals may mix; "--" ends options.
 * Accepts --name=value, --name value, -xVALUE, -x VALUE and bundled flags.
 * Returns 0, or CLI_USAGE with a message in err. The caller frees a with
 * opt_args_free(); strings stay borrowed from argv.
 */
int opt_parse(const struct cli_opt *const *sets, int argc, char **argv,
    struct cli_args *a, char *err, size_t errlen);
void opt_args_free(struct cli_args *a);
/* Last value of option lng or NULL (borrowed). */
const char *opt_get(const struct cli_args *a, const char *lng);
/* Every value of option lng; *n gets the count (0 and NULL if unset). */
const char **opt_all(const struct cli_args *a, const char *lng, size_t *n);
/* How many times option lng was given. */
size_t opt_count(const struct cli_args *a, const char *lng);

/* --- the context ---------------------------------------------------- */

enum out_fmt { OUT_TABLE, OUT_JSON, OUT_CSV };

struct api;

struct cli {
	const char	*socket;	/* --socket, or NULL for the default */
	const char	*endpoint_url;	/* --endpoint-url or NULL */
	enum out_fmt	 fmt;
	int		 fmt_given;	/* -o was on the command line */
	int		 quiet;		/* -q */
	int		 tty_out;	/* stdout is a terminal */
	int		 tty_err;	/* stderr is a terminal */
	const char	*cmd_name;	/* for messages */
	struct api	*api;		/* created on first use, freed by main */
	char		*socket_buf;	/* the default socket path, owned */
};

/* Prints "tuner: <fmt>" and a newline on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress for a person: stderr, only when it is a terminal and not -q. */
void cli_note(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints a usage error with a pointer to --help; returns CLI_USAGE. */
int cli_usage(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The socket path tunerd is reached at (borrowed); NULL if unknown. */
const char *cli_socket(struct cli *c);
/* Sleeps ms milliseconds (for polling loops). */
void cli_sleep_ms(unsigned int ms);

/* --- commands ------------------------------------------------------- */

struct cli_cmd {
	const char	*name;		/* "train", "endpoints delete"; NULL ends */
	const char	*usage;		/* after "tuner <name> " */
	const char	*summary;	/* one line for the command list */
	const struct cli_opt *opts;	/* the command's own options or NULL */
	const struct cli_opt *more;	/* a shared option group or NULL */
	int		(*fn)(struct cli *, struct cli_args *);
	const char	*desc;		/* paragraphs; "\n\n" separates, lines
					   starting with two spaces are literal */
	const char	*more_title;	/* heading of the shared group */
};

extern const struct cli_cmd cmd_job_table[];
extern const struct cli_cmd cmd_tune_table[];
extern const struct cli_cmd cmd_serve_table[];
extern const struct cli_cmd cmd_misc_table[];
extern const struct cli_opt cli_global_opts[];

/* Every table, in the order help lists them; NULL-ended. */
extern const struct cli_cmd *const cli_tables[];

/* --help text of one command (stdout), and the overview. */
void man_print_cmd_help(FILE *f, const struct cli_cmd *cmd);
void man_print_overview(FILE *f);
/* The whole man page as roff. */
void man_print_roff(FILE *f);

/* --- the HTTP client (api.c) ---------------------------------------- */

struct api_error {
	long	 status;	/* HTTP status */
	char	 type[128];	/* __type without any "prefix#" */
	char	 message[1024];
};

/*
 * Calls an operation: target "SageMaker.X" or "Tunerd.X"; req is the body
 * (NULL sends {}). On success returns 0 and *resp (caller owns, cJSON_Delete).
 * Cannot reach tunerd: prints why and returns CLI_CONN. API error: if e is
 * NULL prints "tuner: <type>: <message> (<op>)", else fills e silently;
 * returns CLI_API either way.
 */
int api_call(struct cli *c, const char *target, const cJSON *req,
    cJSON **resp, struct api_error *e);
/*
 * A raw request: method, path ("/" or "/endpoints/x/invocations"), extra
 * header lines (NULL-ended, may be NULL), body. The response body goes to
 * out and the status to *status. Returns 0 or CLI_CONN (message printed).
 */
int api_request(struct cli *c, const char *path, const char *const *headers,
    const char *body, size_t len, struct buf *out, long *status);
/* Fills e from an error response body (JSON or not). */
void api_error_parse(const char *body, long status, struct api_error *e);
/* The URL a person would use for path, e.g. "http://localhost/x (unix socket /s)". */
void api_describe_url(struct cli *c, const char *path, struct buf *out);
void api_free(struct api *a);

/* --- output (out.c) ------------------------------------------------- */

enum out_kind { CELL_STR, CELL_NUM, CELL_TIME, CELL_NULL, CELL_SECS };

struct out_cell {
	enum out_kind	 kind;
	char		*s;	/* CELL_STR: owned */
	double		 num;	/* CELL_NUM, CELL_TIME (epoch s), CELL_SECS */
};

struct out_table {
	char		**cols;		/* owned names */
	size_t		 ncols;
	struct out_cell	*cells;		/* rows * ncols */
	size_t		 rows;
	size_t		 cap;
};

/* A table with the given column names (copied). Free with out_table_free. */
struct out_table *out_table_new(const char *const *cols, size_t ncols);
void out_table_free(struct out_table *t);
/* Appends an empty (all-null) row; returns its index. */
size_t out_table_add_row(struct out_table *t);
/* Appends a FIELD, VALUE row to a two-column table; a NULL v adds nothing. */
void out_table_kv(struct out_table *t, const char *k, const char *v);
/* Adds a column (null in existing rows); returns its index. */
size_t out_table_add_col(struct out_table *t, const char *name);
/* Index of a column or -1. */
long out_table_col(const struct out_table *t, const char *name);
void out_set_str(struct out_table *t, size_t row, size_t col, const char *s);
void out_set_num(struct out_table *t, size_t row, size_t col, double v,
    enum out_kind kind);
/* Sets from a JSON value: string, number (as kind), null/missing -> null. */
void out_set_json(struct out_table *t, size_t row, size_t col,
    const cJSON *v, enum out_kind kind);
struct out_cell *out_cell_at(struct out_table *t, size_t row, size_t col);
/*
 * Sorts rows by column col (numbers numerically, else as strings); nulls
 * go last in either direction. Stable.
 */
void out_table_sort(struct out_table *t, size_t col, int descending);
/* Writes t in fmt: aligned columns, RFC 4180 CSV, or a JSON array of objects. */
void out_table_print(const struct out_table *t, enum out_fmt fmt, FILE *f);
/* One cell as text for fmt (table: local time, csv: ISO-8601 UTC). */
void out_cell_text(const struct out_cell *cell, enum out_fmt fmt,
    struct buf *b);

/* Number as the shortest text that reads back equal ("12.3", "1e-05"). */
void out_num(double v, char *out, size_t len);
/* Durations: "4.2s", "3m12s", "2h05m". */
void out_duration(double secs, char *out, size_t len);
/* Local time "YYYY-MM-DD HH:MM:SS" of epoch seconds. */
void out_local_time(double t, char *out, size_t len);
/* Prints JSON pretty with two-space indent and a newline. */
void out_json(const cJSON *v, FILE *f);
/* A sparkline of values (NaN skipped) into out, at most width glyphs. */
void out_sparkline(const double *v, size_t n, size_t width, int lower_is_up,
    struct buf *out);

/* --- request building (spec.c), pure and unit-tested ------------------- */

/* "k=v" -> key and value, both malloc'd. Returns 0 or TD_EINVAL. */
int spec_split_kv(const char *s, char **key, char **value);
/* SageMaker's name_from_base: BASE-YYYY-MM-DD-HH-MM-SS-mmm (UTC), <= maxlen. */
void spec_name_from_base(const char *base, double now, char *out, size_t len);
/* The tuning-job form: BASE-yymmdd-HHMMSS, at most 32 characters. */
void spec_tuning_name_from_base(const char *base, double now, char *out,
    size_t len);
/* Makes s a valid name piece: [A-Za-z0-9-], no leading/trailing/double '-'. */
void spec_sanitize_base(const char *s, char *out, size_t len);
/*
 * A channel URI from the command line: scheme://... is kept; a plain path is
 * made absolute (against cwd) and prefixed with file://. out gets a malloc'd
 * string. Returns 0 or a negative code.
 */
int spec_channel_uri(const char *value, const char *cwd, char **out);
/*
 * Splits a command string into words: whitespace separates, single and
 * double quotes group, backslash escapes outside single quotes. Returns 0
 * and a NULL-ended malloc'd vector (free with spec_words_free), or TD_EINVAL
 * for an unterminated quote.
 */
int spec_split_words(const char *s, char ***out, size_t *n);
void spec_words_free(char **w);
/*
 * One --param: NAME=MIN:MAX[:int][:log|revlog|linear] or NAME=cat:V1,V2.
 * Appends the range to the matching array of ranges (a ParameterRanges
 * object). Returns 0, or TD_EINVAL with err filled.
 */
int spec_add_param(cJSON *ranges, const char *s, char *err, size_t errlen);
/* --objective NAME:min|max -> HyperParameterTuningJobObjective. */
int spec_objective(const char *s, cJSON **out, char *err, size_t errlen);

/* --- shared helpers between command files ------------------------------- */

/* Applies global options (socket, endpoint, -o, -q) from a. CLI_USAGE on bad -o. */
int cli_apply_globals(struct cli *c, const struct cli_args *a);
/* Non-empty string member of obj or NULL (borrowed). */
const char *cli_jstr(const cJSON *obj, const char *name);
/* Number member of obj, or NAN. */
double cli_jnum(const cJSON *obj, const char *name);
/* Follows a dotted path ("ModelArtifacts.S3ModelArtifacts") through objects. */
const cJSON *cli_jpath(const cJSON *obj, const char *path);
/* Reads a file ("-" = stdin) fully; CLI_USAGE with a message if it cannot. */
int cli_read_input(const char *path, const char *what, char **data,
    size_t *len);
/*
 * Follows a training job's log from *offset to stdout until it is finished
 * (follow) or until no data is available (!follow). Returns 0 or an exit code.
 */
int cmd_follow_logs(struct cli *c, const char *name, int follow, int print);
/*
 * Polls DescribeTrainingJob until the job is terminal (timeout_s <= 0: no
 * limit). *desc gets the last description (caller owns). Returns 0, CLI_FAIL
 * on timeout, or an API exit code.
 */
int cmd_wait_job(struct cli *c, const char *name, double timeout_s,
    cJSON **desc);
/* "tuner: job X Completed in 4.2s; val_loss=12.3 model=..." -> 0 or CLI_FAIL. */
int cmd_job_final_line(struct cli *c, const cJSON *desc);
/* Reads a model artifact path from a training job name (caller frees). */
int cmd_job_artifact(struct cli *c, const char *job, char **path);
/* Describes a tuning job: 0 and *out (caller owns) or an exit code. */
int cmd_describe_tuning_raw(struct cli *c, const char *name, cJSON **out);
/* Rows of FIELD/VALUE for a DescribeHyperParameterTuningJob response. */
void cmd_tuning_describe_table(const cJSON *d, struct out_table *t);
/*
 * Pages through a List* operation (following NextToken), appending every
 * element of member to *all (created here, caller owns). max 0 = no
 * limit. Returns 0 or an exit code.
 */
int cmd_list_all(struct cli *c, const char *target, cJSON *req,
    const char *member, long max, cJSON **all);
/* The training-job definition flags shared by train and tune. */
extern const struct cli_opt cmd_jobdef_opts[];
/*
 * Builds the parts of a training job from the definition flags into req:
 * AlgorithmSpecification, HyperParameters (under hp_key), InputDataConfig,
 * OutputDataConfig, StoppingCondition, Environment, RetryStrategy. cmdv
 * (ncmd words, from --command or "--") becomes ContainerEntrypoint; pass
 * NULL for a tuning definition, whose shape has no such field. Exactly one
 * of --entry-point, --builtin and a command must be given. base gets the
 * default base name for the job. Returns 0 or CLI_USAGE (message printed).
 */
int cmd_jobdef_build(struct cli *c, const struct cli_args *a, cJSON *req,
    const char *hp_key, char *const *cmdv, size_t ncmd, char *base,
    size_t baselen);
/* Metric definitions of the built-in algorithms' Keras-style lines. */
void cmd_builtin_metrics(cJSON *defs);

#endif
