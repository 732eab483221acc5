/*
 * dynlib.h - libcurl and libarchive, loaded with dlopen() on first use.
 *
 * tunerd-worker supervises every training job, and most jobs never fetch
 * an http(s) channel or unpack a source archive: linking those libraries
 * made every job pay for loading them (libcurl's TLS/LDAP/GSSAPI stack,
 * libarchive's libxml2 and ICU; ~6.5 ms of CPU per job measured). This
 * module loads the versioned sonames Debian ships (libcurl.so.4,
 * libarchive.so.13) when a job first needs one and hands out a table of the
 * functions the worker calls.
 *
 * Ownership: the tables are process-wide, loaded once, never unloaded, and
 * borrowed by callers. Not thread-safe: the worker is single-threaded.
 */
#ifndef TD_WORKER_DYNLIB_H
#define TD_WORKER_DYNLIB_H

#include <stddef.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>

#define DYN_CURL_SONAME		"libcurl.so.4"
#define DYN_ARCHIVE_SONAME	"libarchive.so.13"

struct dyn_curl {
	CURLcode	 (*global_init)(long);
	CURL		*(*easy_init)(void);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	 (*easy_perform)(CURL *);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	void		 (*easy_cleanup)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
};

struct dyn_archive {
	struct archive	*(*read_new)(void);
	int		 (*read_free)(struct archive *);
	int		 (*read_support_filter_all)(struct archive *);
	int		 (*read_support_filter_gzip)(struct archive *);
	int		 (*read_support_format_all)(struct archive *);
	int		 (*read_support_format_raw)(struct archive *);
	int		 (*read_open_filename)(struct archive *, const char *,
			    size_t);
	int		 (*read_next_header)(struct archive *,
			    struct archive_entry **);
	la_ssize_t	 (*read_data)(struct archive *, void *, size_t);
	int		 (*read_data_block)(struct archive *, const void **,
			    size_t *, la_int64_t *);
	int		 (*filter_code)(struct archive *, int);
	const char	*(*error_string)(struct archive *);
	struct archive	*(*write_new)(void);
	struct archive	*(*write_disk_new)(void);
	int		 (*write_disk_set_options)(struct archive *, int);
	int		 (*write_free)(struct archive *);
	int		 (*write_add_filter_gzip)(struct archive *);
	int		 (*write_set_format_pax_restricted)(struct archive *);
	int		 (*write_open_filename)(struct archive *, const char *);
	int		 (*write_header)(struct archive *, struct archive_entry *);
	la_ssize_t	 (*write_data)(struct archive *, const void *, size_t);
	la_ssize_t	 (*write_data_block)(struct archive *, const void *,
			    size_t, la_int64_t);
	int		 (*write_finish_entry)(struct archive *);
	int		 (*write_close)(struct archive *);
	struct archive_entry *(*entry_new)(void);
	void		 (*entry_free)(struct archive_entry *);
	void		 (*entry_copy_stat)(struct archive_entry *,
			    const struct stat *);
	const char	*(*entry_pathname)(struct archive_entry *);
	void		 (*entry_set_pathname)(struct archive_entry *,
			    const char *);
	void		 (*entry_set_symlink)(struct archive_entry *,
			    const char *);
	void		 (*entry_set_uid)(struct archive_entry *, la_int64_t);
	void		 (*entry_set_gid)(struct archive_entry *, la_int64_t);
};

/*
 * Loads libcurl (and runs curl_global_init) on the first call. 0 with *out
 * set to the borrowed table, or TD_ENOTFOUND with err saying which library
 * is missing, why, and which Debian package provides it.
 */
int dyn_curl_load(const struct dyn_curl **out, char *err, size_t errlen);
/* The same for libarchive. */
int dyn_archive_load(const struct dyn_archive **out, char *err,
    size_t errlen);
/* The loaded libarchive table; NULL before a successful dyn_archive_load(). */
const struct dyn_archive *dyn_archive(void);
/*
 * The soname to load instead of name, from $TUNERD_DYNLIB_<WHAT> (tests use
 * it to simulate a missing library), or name itself. Borrowed.
 */
const char *dyn_soname(const char *what, const char *name);

#endif
