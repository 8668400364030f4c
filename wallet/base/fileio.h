/* Files the way a wallet needs them: whole reads with a size bound, secret
 * reads into locked memory, and atomic writes (temporary file in the same
 * directory, fsync, rename or link, fsync of the directory), so a crash
 * leaves either the old file or the new one, never a mix. */
#ifndef EHR_FILEIO_H
#define EHR_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "wallet/base/err.h"

/* Reads path whole into a malloc'd, NUL-terminated buffer; refuses files
 * over max bytes (EHR_EUSAGE). A missing file is EHR_EFAIL with errno's
 * words. The caller frees *buf. */
int file_read_all(const char *path, size_t max, char **buf, size_t *len, ehr_err *e);

/* A short text from a file (a memo, a title: what --memo-file and
 * --title-file read, so the text stays off the command line): the whole
 * file as file_read_all reads it, its trailing line ends dropped.
 * It may be empty. EHR_EUSAGE when it holds a NUL byte ("... holds a NUL
 * byte: the WHAT is text") or is over max bytes. */
int file_read_text(const char *path, size_t max, const char *what, char **buf, size_t *len, ehr_err *e);

/* As file_read_all, but into sodium_malloc memory (freed with sodium_free)
 * and without stdio, so no copy of the secret is left in a buffer. */
int file_read_secret(const char *path, size_t max, char **buf, size_t *len, ehr_err *e);

/* Reads fd to EOF into a malloc'd, NUL-terminated buffer (at most max). */
int fd_read_all(int fd, size_t max, char **buf, size_t *len, ehr_err *e);

/* Reads up to max bytes from fd (until EOF) into sodium_malloc memory. */
int fd_read_secret(int fd, size_t max, char **buf, size_t *len, ehr_err *e);

/* Writes data to path atomically with the given mode. Without replace an
 * existing path is left alone and EHR_EUSAGE "... exists" is returned.
 * The temporary is path ".tmp-" PID "-" 8 hex digits, 0600 for our files;
 * leftovers of killed writers are removed first (file_clean_temporaries). */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      bool replace, ehr_err *e);

/* file_write_atomic replacing path, calling before_rename(ctx) once the
 * new content is on disk in its temporary and just before the rename that
 * makes it path's: what the hook does and the new content become visible
 * together, to within one rename (no fsync between them). If the write
 * fails before that point the hook is not called. */
int file_replace_atomic_hook(const char *path, const void *data, size_t len, mode_t mode,
			     void (*before_rename)(void *), void *ctx, ehr_err *e);

/* Removes leftover temporaries of path (named as file_write_atomic names
 * them, in path's directory): regular files of our effective user whose
 * writer is gone, that is whose PID is no process and that no one holds
 * locked. Never follows a symlink, never touches other files' temporaries.
 * Best effort, cheap (one directory read): returns the number removed; a
 * leftover that cannot be removed now is tried again next time. */
int file_clean_temporaries(const char *path);

/* Creates dir and missing parents with mode (0700 for ours). */
int dir_ensure(const char *dir, mode_t mode, ehr_err *e);

/* Reads until n bytes or end of file (retrying on EINTR): the count read,
 * or -1 with errno set. */
ssize_t read_full(int fd, void *buf, size_t n);

/* Writes all n bytes (retrying on EINTR and short writes): 0, or -1 with
 * errno set. */
int write_full(int fd, const void *buf, size_t n);

/* True if path names an existing file. */
bool file_exists(const char *path);

#endif
