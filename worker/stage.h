/*
 * stage.h - the job directory's files: the /opt/ml layout, input channels
 * (file:// and plain paths as symlinks, http(s):// downloads, Gzip), the
 * Script Mode source directory, and model.tar.gz out.
 *
 * Long steps call ctx->pump between files and during downloads so the
 * worker keeps serving its socket and signals; a pump returning non-zero
 * aborts the step with TD_ESTATE (the job is being stopped). Every other
 * failure returns a negative code with ctx->err naming the channel, path
 * or URL and the cause, ready to follow "ClientError: ".
 */
#ifndef TD_STAGE_H
#define TD_STAGE_H

#include <stddef.h>

#include "training.h"

typedef int (*stage_pump_fn)(void *arg);

struct stage_ctx {
	const char	*dir;		/* the job directory, absolute */
	stage_pump_fn	 pump;		/* may be NULL */
	void		*arg;
	char		*err;
	size_t		 errlen;
};

/* Creates input/{config,data}, code, model, output/{data,intermediate}, logs. */
int stage_layout(const char *dir, char *err, size_t errlen);
/* Makes input/data/<channel> hold the channel's data. */
int stage_channel(struct stage_ctx *c, const struct td_channel *ch);
/*
 * Fills code/ from sagemaker_submit_directory: a directory (copied), a
 * .tar.gz/.tgz/.tar file (extracted safely), as a path, file:// or
 * http(s):// URI.
 */
int stage_source(struct stage_ctx *c, const char *submit_dir);
/*
 * Packs the contents of src_dir (paths relative to it, sorted) into a
 * gzip'd POSIX tar at dst (written as dst.tmp, fsync'd, renamed). An
 * empty src_dir needs no libarchive; any other fails with a reason if
 * libarchive cannot be loaded (dynlib.h).
 */
int stage_pack(const char *src_dir, const char *dst, char *err, size_t errlen);
/*
 * Copies file to <output_path>/<job>/output/<basename> when output_path is
 * file:///dir or /dir and sets *out (caller frees) to the copy; an s3:// or
 * other URI is not ours to write: 0 with *out = NULL.
 */
int stage_publish(const char *file, const char *output_path, const char *job,
    char **out, char *err, size_t errlen);
/*
 * Writes path whole (as path.tmp, renamed) without fsync: for files that
 * are rewritten on any retry or that only mirror events.jsonl, which is
 * the durable record (see docs/design.md).
 */
int stage_write_file(const char *path, const void *data, size_t len);
/* Whether a directory has no entries (a missing one counts as empty). */
int stage_dir_empty(const char *path);

#endif
