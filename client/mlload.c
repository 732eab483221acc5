/*
 * mlload.c - finds and loads tuner-ml.so (see mlmod.h). Owns the module
 * handle, which stays loaded until exit.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlmod.h"
#include "util.h"

#ifndef TUNER_ML_DIR
#define TUNER_ML_DIR "/usr/local/lib/tunerd"
#endif

#define MLMOD_FILE "tuner-ml.so"

const struct tuner_ml *
mlmod_open(char *err, size_t errlen)
{
	const struct tuner_ml *(*get)(void);
	const struct tuner_ml *t;
	char *path, alt[4096];
	void *h;

	/* One thread is plenty for a command-line prediction and starts faster. */
	setenv("OPENBLAS_NUM_THREADS", "1", 0);
	path = td_sibling_path(MLMOD_FILE);
	h = path != NULL ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
	free(path);
	if (h == NULL) {
		snprintf(alt, sizeof(alt), "%s/%s", TUNER_ML_DIR, MLMOD_FILE);
		if ((h = dlopen(alt, RTLD_NOW | RTLD_LOCAL)) == NULL) {
			snprintf(err, errlen, "cannot load %s: %s", alt,
			    dlerror());
			return NULL;
		}
	}
	*(void **)&get = dlsym(h, TUNER_ML_SYMBOL);
	if (get == NULL || (t = get()) == NULL || t->abi != TUNER_ML_ABI) {
		snprintf(err, errlen, "%s: wrong or missing %s", MLMOD_FILE,
		    TUNER_ML_SYMBOL);
		return NULL;
	}
	return t;
}
