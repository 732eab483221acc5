/*
 * mlmod.c - built into tuner-ml.so only: hands tuner the ml.h functions
 * (see mlmod.h for why this is a module). Owns nothing.
 */
#include "mlmod.h"

const struct tuner_ml *
tuner_ml_get(void)
{
	static const struct tuner_ml t = {
		TUNER_ML_ABI,
		ml_matrix_read,
		ml_matrix_free,
		ml_model_load,
		ml_model_predict,
		ml_model_free,
	};

	return &t;
}
