/*
 * scrape.h - metric scraping: SageMaker MetricDefinitions regexes applied
 * to a program's output, line by line, with PCRE2.
 *
 * Lines split on '\n' and '\r'; a backspace deletes the character before
 * it; every regex is applied to every line and every match is reported in
 * order; the value is capture group 1 (or the whole match without groups),
 * parsed as a double; unparsable captures are skipped. Lines longer than
 * SCRAPE_MAX_LINE bytes are cut there. Used by tunerd-worker and by
 * `tuner metrics test`. Ownership: scrape_new() returns a scraper the
 * caller frees with scrape_free() (NULL is a no-op).
 */
#ifndef TD_SCRAPE_H
#define TD_SCRAPE_H

#include <stddef.h>

#include "training.h"

#define SCRAPE_MAX_LINE	(64 * 1024)

struct scrape;

typedef void (*scrape_fn)(const char *name, double value, void *arg);

/* Compiles the definitions; a bad regex fails with err naming the metric and offset. */
int scrape_new(const struct td_metric_def *defs, size_t n, struct scrape **out,
    char *err, size_t errlen);
/* Feeds raw output bytes; complete lines are matched now. */
void scrape_feed(struct scrape *s, const char *data, size_t len,
    scrape_fn fn, void *arg);
/* Matches the last, unterminated line. */
void scrape_flush(struct scrape *s, scrape_fn fn, void *arg);
void scrape_free(struct scrape *s);

#endif
