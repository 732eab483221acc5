/*
 * ml.h - the built-in algorithms' public face: matrices, trained models
 * and prediction. Used by tunerd-worker (training, serving) and by tuner
 * (`tuner predict --model`). Ownership: the _read, _parse and _load
 * functions return objects the caller frees with the matching _free
 * (NULL is a no-op).
 * Errors: negative code (err.h) plus a message for a person in err.
 */
#ifndef TD_ML_H
#define TD_ML_H

#include <stddef.h>

struct ml_matrix {
	double	*data;		/* rows * cols, row-major */
	size_t	 rows;
	size_t	 cols;
};

/* Reads .npy (v1-3, f4/f8/i1-8/u1-8, little-endian, C order), .csv or .json by extension. */
int ml_matrix_read(const char *path, struct ml_matrix *out, char *err, size_t errlen);
/* JSON: a nested list, or {"instances": [...]}, or {"inputs": [...]}; a flat list is one row. */
int ml_matrix_parse_json(const char *body, size_t len, struct ml_matrix *out,
    char *err, size_t errlen);
/* CSV rows of numbers (no header). */
int ml_matrix_parse_csv(const char *body, size_t len, struct ml_matrix *out,
    char *err, size_t errlen);
/* NumPy .npy bytes. */
int ml_matrix_parse_npy(const char *body, size_t len, struct ml_matrix *out,
    char *err, size_t errlen);
void ml_matrix_free(struct ml_matrix *m);

struct ml_model;

/* path: a model directory, the model file in it, or a model.tar.gz holding it. */
int ml_model_load(const char *path, struct ml_model **out, char *err, size_t errlen);
size_t ml_model_n_inputs(const struct ml_model *m);
size_t ml_model_n_outputs(const struct ml_model *m);
/* y gets x->rows x n_outputs; a column-count mismatch is an error naming both counts. */
int ml_model_predict(const struct ml_model *m, const struct ml_matrix *x,
    struct ml_matrix *y, char *err, size_t errlen);
void ml_model_free(struct ml_model *m);

/*
 * The entry point of a built-in algorithm run as a training program:
 * tunerd-worker execs itself as `tunerd-worker builtin <algo> --key value ...`
 * (hyperparameters as Script Mode passes them) and this function runs with
 * argv[0] = "<algo>". It reads SM_CHANNEL_*, SM_MODEL_DIR, SM_OUTPUT_DATA_DIR
 * and prints Keras-style progress on stdout. Returns the process exit code;
 * on a bad hyperparameter or data it writes the reason to
 * $SM_OUTPUT_DATA_DIR/../failure (SageMaker's output/failure) and returns 1.
 */
int builtin_main(int argc, char **argv);

#endif
