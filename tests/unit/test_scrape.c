/*
 * test_scrape.c - the metric scraper: SageMaker MetricDefinitions regexes
 * on Keras-style output, progress bars, split feeds and bad patterns.
 */
#include "t.h"

#include "scrape.h"

#define MAXHITS 64

struct hits {
	size_t	 n;
	char	 name[MAXHITS][32];
	double	 value[MAXHITS];
};

static void
collect(const char *name, double value, void *arg)
{
	struct hits *h = arg;

	if (h->n < MAXHITS) {
		snprintf(h->name[h->n], sizeof(h->name[0]), "%s", name);
		h->value[h->n++] = value;
	}
}

/* The seed's definitions: loss and val_loss from Keras lines. */
static struct td_metric_def seed_defs[] = {
	{ "loss", " loss: ([0-9\\.]+)" },
	{ "val_loss", " val_loss: ([0-9\\.]+)" },
};

static struct scrape *
seed(void)
{
	struct scrape *s = NULL;
	char err[256];

	T_ASSERT(scrape_new(seed_defs, 2, &s, err, sizeof(err)) == 0);
	return s;
}

static void
feed_str(struct scrape *s, const char *text, struct hits *h)
{
	scrape_feed(s, text, strlen(text), collect, h);
}

static void
t_keras_epoch_lines(void)
{
	struct scrape *s = seed();
	struct hits h = { 0 };

	feed_str(s, "Epoch 1/2\n"
	    "10/10 [==============================] - 0s 2ms/step - loss: 0.6931 "
	    "- val_loss: 0.6500\n"
	    "Epoch 2/2\n"
	    "10/10 [==============================] - 0s 2ms/step - loss: 0.5000 "
	    "- val_loss: 0.4500\n", &h);
	T_EQ_INT(h.n, 4);
	/* Definition order within a line: loss, then val_loss. */
	T_EQ_STR(h.name[0], "loss");
	T_NEAR(h.value[0], 0.6931, 1e-12);
	T_EQ_STR(h.name[1], "val_loss");
	T_NEAR(h.value[1], 0.65, 1e-12);
	T_EQ_STR(h.name[2], "loss");
	T_NEAR(h.value[2], 0.5, 1e-12);
	T_EQ_STR(h.name[3], "val_loss");
	T_NEAR(h.value[3], 0.45, 1e-12);
	scrape_free(s);
}

static void
t_progress_bar_carriage_returns(void)
{
	struct scrape *s = seed();
	struct hits h = { 0 };

	/* Each '\r' ends a line: every bar state is scraped. */
	feed_str(s, " 1/3 [=>....] - ETA: 1s - loss: 0.9000\r"
	    " 2/3 [===>..] - ETA: 0s - loss: 0.8000\r"
	    " 3/3 [======] - 1s - loss: 0.7000 - val_loss: 0.7500\n", &h);
	T_EQ_INT(h.n, 4);
	T_NEAR(h.value[0], 0.9, 1e-12);
	T_NEAR(h.value[1], 0.8, 1e-12);
	T_NEAR(h.value[2], 0.7, 1e-12);
	T_EQ_STR(h.name[3], "val_loss");
	T_NEAR(h.value[3], 0.75, 1e-12);
	scrape_free(s);
}

static void
t_backspaces_erase(void)
{
	struct scrape *s = seed();
	struct hits h = { 0 };
	char line[256];
	size_t n;

	/* Keras erases the previous bar with backspaces before '\r'. */
	n = (size_t)snprintf(line, sizeof(line), " 1/2 [==>...] - loss: 0.9000");
	memset(line + n, '\b', n);
	line[2 * n] = '\0';
	feed_str(s, line, &h);
	feed_str(s, "\r 2/2 [======] - loss: 0.4000\n", &h);
	T_EQ_INT(h.n, 1);
	T_NEAR(h.value[0], 0.4, 1e-12);
	/* A backspace corrects the character before it. */
	h.n = 0;
	feed_str(s, "x loss: 0.9\b5\n", &h);
	T_EQ_INT(h.n, 1);
	T_NEAR(h.value[0], 0.5, 1e-12);
	/* Backspaces at the start of a line are harmless. */
	h.n = 0;
	feed_str(s, "\b\b\b loss: 2\n", &h);
	T_EQ_INT(h.n, 1);
	T_NEAR(h.value[0], 2, 0);
	scrape_free(s);
}

static void
t_multiple_matches_per_line(void)
{
	struct td_metric_def d[] = { { "acc", "acc=([0-9.]+)" } };
	struct scrape *s = NULL;
	struct hits h = { 0 };
	char err[128];

	T_ASSERT(scrape_new(d, 1, &s, err, sizeof(err)) == 0);
	feed_str(s, "acc=0.1 acc=0.2 acc=0.3\n", &h);
	T_EQ_INT(h.n, 3);
	T_NEAR(h.value[0], 0.1, 1e-12);
	T_NEAR(h.value[1], 0.2, 1e-12);
	T_NEAR(h.value[2], 0.3, 1e-12);
	scrape_free(s);
}

static void
t_val_loss_is_not_loss(void)
{
	struct scrape *s = seed();
	struct hits h = { 0 };

	/* " loss: " needs a space before "loss": val_loss is only val_loss. */
	feed_str(s, "- val_loss: 0.3300\n", &h);
	T_EQ_INT(h.n, 1);
	T_EQ_STR(h.name[0], "val_loss");
	scrape_free(s);
}

static void
t_split_feeds_and_flush(void)
{
	struct scrape *s = seed();
	struct hits h = { 0 };

	feed_str(s, "step - lo", &h);
	feed_str(s, "ss: 0.", &h);
	T_EQ_INT(h.n, 0);
	feed_str(s, "25\r\n", &h);
	T_EQ_INT(h.n, 1);
	T_NEAR(h.value[0], 0.25, 1e-12);
	/* An unterminated last line counts only at flush. */
	feed_str(s, "end - loss: 0.125", &h);
	T_EQ_INT(h.n, 1);
	scrape_flush(s, collect, &h);
	T_EQ_INT(h.n, 2);
	T_NEAR(h.value[1], 0.125, 1e-12);
	/* A flush consumed the line: flushing again finds nothing. */
	scrape_flush(s, collect, &h);
	T_EQ_INT(h.n, 2);
	scrape_free(s);
}

static void
t_values_parse_or_skip(void)
{
	struct td_metric_def d[] = {
		{ "m", "m=(\\S+)" },
		{ "whole", "[0-9]+\\.[0-9]+x" },	/* no group: the match */
		{ "opt", "opt(?:=([0-9]+))?;" },
	};
	struct scrape *s = NULL;
	struct hits h = { 0 };
	char err[128];

	T_ASSERT(scrape_new(d, 3, &s, err, sizeof(err)) == 0);
	feed_str(s, "m=abc m=1e-3 m=nan m=inf m=-2.5 m=0.5.\n", &h);
	T_EQ_INT(h.n, 2);
	T_NEAR(h.value[0], 0.001, 1e-15);
	T_NEAR(h.value[1], -2.5, 0);
	h.n = 0;
	feed_str(s, "3.5x\n", &h);	/* "3.5x" is not a number */
	T_EQ_INT(h.n, 0);
	/* A group that did not take part gives no value. */
	feed_str(s, "opt; opt=7;\n", &h);
	T_EQ_INT(h.n, 1);
	T_EQ_STR(h.name[0], "opt");
	T_NEAR(h.value[0], 7, 0);
	scrape_free(s);
}

static void
t_overlong_line_is_cut(void)
{
	struct scrape *s = seed();
	struct hits h = { 0 };
	size_t n = SCRAPE_MAX_LINE + 100;
	char *big = malloc(n + 32);

	T_ASSERT(big != NULL);
	memset(big, 'x', n);
	/* The match lies past the cut: not seen. */
	memcpy(big + n, " loss: 1.0\n", 12);
	feed_str(s, big, &h);
	T_EQ_INT(h.n, 0);
	/* The next line is whole again. */
	feed_str(s, " loss: 3.0\n", &h);
	T_EQ_INT(h.n, 1);
	T_NEAR(h.value[0], 3.0, 0);
	free(big);
	scrape_free(s);
}

static void
t_empty_matches_terminate(void)
{
	struct td_metric_def d[] = { { "e", "x*" } };
	struct scrape *s = NULL;
	struct hits h = { 0 };
	char err[128];

	T_ASSERT(scrape_new(d, 1, &s, err, sizeof(err)) == 0);
	feed_str(s, "ab\xc3\xa9\n", &h);	/* non-ASCII, no number */
	T_EQ_INT(h.n, 0);
	scrape_free(s);
}

static void
t_bad_regex(void)
{
	struct td_metric_def d[] = {
		{ "ok", "fine: ([0-9]+)" },
		{ "broken", "loss: ([0-9" },
	};
	struct scrape *s = NULL;
	char err[256];

	T_ASSERT(scrape_new(d, 2, &s, err, sizeof(err)) != 0);
	T_ASSERT(s == NULL);
	T_ASSERT(strstr(err, "\"broken\"") != NULL);
	T_ASSERT(strstr(err, "offset") != NULL);
	scrape_free(NULL);
}

static void
t_invalid_utf8_output(void)
{
	struct scrape *s = seed();
	struct hits h = { 0 };

	feed_str(s, "\xff\xfe garbage - loss: 0.75 \xc3\n", &h);
	T_EQ_INT(h.n, 1);
	T_NEAR(h.value[0], 0.75, 1e-12);
	scrape_free(s);
}

T_MAIN(T_CASE(t_keras_epoch_lines), T_CASE(t_progress_bar_carriage_returns),
    T_CASE(t_backspaces_erase), T_CASE(t_multiple_matches_per_line),
    T_CASE(t_val_loss_is_not_loss), T_CASE(t_split_feeds_and_flush),
    T_CASE(t_values_parse_or_skip), T_CASE(t_overlong_line_is_cut),
    T_CASE(t_empty_matches_terminate), T_CASE(t_bad_regex),
    T_CASE(t_invalid_utf8_output))
