/*
 * paths.c - default locations (see paths.h for the rules).
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

static char *
join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

static const char *
nonempty_env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

char *
td_default_state_dir(void)
{
	const char *v, *home;
	struct passwd *pw;

	if ((v = nonempty_env("TUNERD_STATE_DIR")) != NULL)
		return strdup(v);
	if ((v = nonempty_env("XDG_STATE_HOME")) != NULL)
		return join(v, "tunerd");
	if ((home = nonempty_env("HOME")) == NULL) {
		if ((pw = getpwuid(getuid())) == NULL)
			return NULL;
		home = pw->pw_dir;
	}
	return join(home, ".local/state/tunerd");
}

char *
td_default_socket(const char *state_dir)
{
	const char *v;

	if ((v = nonempty_env("TUNERD_SOCKET")) != NULL)
		return strdup(v);
	if ((v = nonempty_env("XDG_RUNTIME_DIR")) != NULL)
		return join(v, "tunerd/tunerd.sock");
	return state_dir != NULL ? join(state_dir, "tunerd.sock") : NULL;
}
