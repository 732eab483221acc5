/*
 * mlmod.h - the built-in models' inference code (worker/builtin/ml.h), as
 * seen by tuner through a module loaded on demand.
 *
 * Why a module: ml.h pulls in OpenBLAS, whose constructor starts threads
 * and costs ~3 ms at every process start (measured). Only `tuner predict`
 * needs it, so it lives in tuner-ml.so, loaded with dlopen() by
 * mlmod_open(); every other command starts without it.
 *
 * The module exports one symbol, tuner_ml_get(), returning a table of the
 * ml.h functions; abi must equal TUNER_ML_ABI.
 */
#ifndef TD_CLIENT_MLMOD_H
#define TD_CLIENT_MLMOD_H

#include <stddef.h>

#include "ml.h"

#define TUNER_ML_ABI	1
#define TUNER_ML_SYMBOL	"tuner_ml_get"

struct tuner_ml {
	int	abi;
	int	(*matrix_read)(const char *path, struct ml_matrix *out,
		    char *err, size_t errlen);
	void	(*matrix_free)(struct ml_matrix *m);
	int	(*model_load)(const char *path, struct ml_model **out,
		    char *err, size_t errlen);
	int	(*predict)(const struct ml_model *m, const struct ml_matrix *x,
		    struct ml_matrix *y, char *err, size_t errlen);
	void	(*model_free)(struct ml_model *m);
};

/* In the module. */
const struct tuner_ml *tuner_ml_get(void);

/*
 * In tuner: loads tuner-ml.so from beside the executable, else from
 * TUNER_ML_DIR. Returns the table (static, never freed) or NULL with the
 * reason in err.
 */
const struct tuner_ml *mlmod_open(char *err, size_t errlen);

#endif
