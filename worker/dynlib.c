/*
 * dynlib.c - libcurl and libarchive on demand (see dynlib.h).
 *
 * Owns the two dlopen() handles and their function tables. Touches no
 * file but the libraries. Invariant: a table is published only when every
 * symbol in it resolved, so callers never meet a NULL function pointer.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"
#include "err.h"
#include "fmt.h"

struct sym {
	const char	*name;
	size_t		 off;	/* of the pointer in the table */
};

#define CURL_SYM(f)	{ "curl_" #f, offsetof(struct dyn_curl, f) }
#define AR_SYM(f)	{ "archive_" #f, offsetof(struct dyn_archive, f) }

static const struct sym curl_syms[] = {
	CURL_SYM(global_init), CURL_SYM(easy_init), CURL_SYM(easy_setopt),
	CURL_SYM(easy_perform), CURL_SYM(easy_getinfo), CURL_SYM(easy_cleanup),
	CURL_SYM(easy_strerror),
};

static const struct sym archive_syms[] = {
	AR_SYM(read_new), AR_SYM(read_free), AR_SYM(read_support_filter_all),
	AR_SYM(read_support_filter_gzip), AR_SYM(read_support_format_all),
	AR_SYM(read_support_format_raw), AR_SYM(read_open_filename),
	AR_SYM(read_next_header), AR_SYM(read_data), AR_SYM(read_data_block),
	AR_SYM(filter_code), AR_SYM(error_string), AR_SYM(write_new),
	AR_SYM(write_disk_new), AR_SYM(write_disk_set_options),
	AR_SYM(write_free), AR_SYM(write_add_filter_gzip),
	AR_SYM(write_set_format_pax_restricted), AR_SYM(write_open_filename),
	AR_SYM(write_header), AR_SYM(write_data), AR_SYM(write_data_block),
	AR_SYM(write_finish_entry), AR_SYM(write_close), AR_SYM(entry_new),
	AR_SYM(entry_free), AR_SYM(entry_copy_stat), AR_SYM(entry_pathname),
	AR_SYM(entry_set_pathname), AR_SYM(entry_set_symlink),
	AR_SYM(entry_set_uid), AR_SYM(entry_set_gid),
};

static struct dyn_curl curl_tab;
static struct dyn_archive archive_tab;
static int curl_loaded, archive_loaded;

const char *
dyn_soname(const char *what, const char *name)
{
	char var[64];
	const char *v;

	fmt_msg(var, sizeof(var), "TUNERD_DYNLIB_%s", what);
	v = getenv(var);
	return v != NULL && v[0] != '\0' ? v : name;
}

/* dlopen()s soname and fills tab from syms; all or nothing. */
static int
load(const char *soname, const struct sym *syms, size_t n, void *tab,
    size_t tabsize, const char *need, const char *pkg, char *err,
    size_t errlen)
{
	void *h, *tmp, *f;
	const char *e;
	size_t i;

	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		fmt_msg(err, errlen, "%s needs %s, which cannot be loaded (%s); "
		    "install Debian's %s", need, soname, e != NULL ? e : "?",
		    pkg);
		return TD_ENOTFOUND;
	}
	if ((tmp = calloc(1, tabsize)) == NULL) {
		dlclose(h);
		return TD_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if ((f = dlsym(h, syms[i].name)) == NULL) {
			fmt_msg(err, errlen, "%s needs %s, but it has no %s; "
			    "install Debian's %s", need, soname, syms[i].name,
			    pkg);
			free(tmp);
			dlclose(h);
			return TD_ENOTFOUND;
		}
		memcpy((char *)tmp + syms[i].off, &f, sizeof(f));
	}
	memcpy(tab, tmp, tabsize);
	free(tmp);
	return 0;
}

int
dyn_curl_load(const struct dyn_curl **out, char *err, size_t errlen)
{
	int rc;

	if (!curl_loaded) {
		if ((rc = load(dyn_soname("CURL", DYN_CURL_SONAME), curl_syms,
		    sizeof(curl_syms) / sizeof(curl_syms[0]), &curl_tab,
		    sizeof(curl_tab), "an http(s):// download", "libcurl4",
		    err, errlen)) != 0)
			return rc;
		if (curl_tab.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fmt_msg(err, errlen, "an http(s):// download: "
			    "curl_global_init failed");
			return TD_EIO;
		}
		curl_loaded = 1;
	}
	*out = &curl_tab;
	return 0;
}

int
dyn_archive_load(const struct dyn_archive **out, char *err, size_t errlen)
{
	int rc;

	if (!archive_loaded) {
		if ((rc = load(dyn_soname("ARCHIVE", DYN_ARCHIVE_SONAME),
		    archive_syms, sizeof(archive_syms) /
		    sizeof(archive_syms[0]), &archive_tab, sizeof(archive_tab),
		    "packing or unpacking an archive", "libarchive13", err,
		    errlen)) != 0)
			return rc;
		archive_loaded = 1;
	}
	*out = &archive_tab;
	return 0;
}

const struct dyn_archive *
dyn_archive(void)
{
	return archive_loaded ? &archive_tab : NULL;
}
