#include "wallet/base/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static void release(char *b, bool secret)
{
	if (secret)
		sodium_free(b);
	else
		free(b);
}

/* Reads fd to EOF. A secret buffer is sized once (max + 1) and never
 * reallocated, since realloc would leave an unwiped copy behind. */
static int read_fd(int fd, const char *what, size_t max, bool secret,
		   char **buf, size_t *len, ehr_err *e)
{
	size_t cap = secret ? max + 2 : 4096, n = 0;
	char *b = secret ? sodium_malloc(cap) : malloc(cap);
	ssize_t r;

	if (!b)
		return ehr_fail(e, EHR_EFAIL, "out of memory reading %s", what);
	for (;;) {
		if (n + 1 == cap) {
			char *nb = secret ? NULL : realloc(b, cap * 2);

			if (!nb) {
				release(b, secret);
				return ehr_fail(e, EHR_EFAIL, "out of memory reading %s", what);
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;

			release(b, secret);
			return ehr_fail(e, EHR_EFAIL, "cannot read %s: %s", what, strerror(err));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			release(b, secret);
			return ehr_fail(e, EHR_EUSAGE, "%s is larger than %zu bytes", what, max);
		}
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int open_read(const char *path, ehr_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -ehr_fail(e, EHR_EFAIL, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return -ehr_fail(e, EHR_EUSAGE, "%s is a directory", path);
	}
	return fd;
}

static int read_path(const char *path, size_t max, bool secret, char **buf, size_t *len, ehr_err *e)
{
	int fd = open_read(path, e), rc;

	if (fd < 0)
		return -fd;
	rc = read_fd(fd, path, max, secret, buf, len, e);
	close(fd);
	return rc;
}

int file_read_all(const char *path, size_t max, char **buf, size_t *len, ehr_err *e)
{
	return read_path(path, max, false, buf, len, e);
}

int file_read_text(const char *path, size_t max, const char *what, char **buf, size_t *len, ehr_err *e)
{
	size_t n;
	int rc;

	if ((rc = read_path(path, max, false, buf, &n, e)))
		return rc;
	while (n && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
		(*buf)[--n] = '\0';
	if (strlen(*buf) != n) {
		rc = ehr_fail(e, EHR_EUSAGE, "%s holds a NUL byte: the %s is text", path, what);
		free(*buf);
		*buf = NULL;
		return rc;
	}
	*len = n;
	return 0;
}

int file_read_secret(const char *path, size_t max, char **buf, size_t *len, ehr_err *e)
{
	return read_path(path, max, true, buf, len, e);
}

int fd_read_all(int fd, size_t max, char **buf, size_t *len, ehr_err *e)
{
	return read_fd(fd, fd == 0 ? "standard input" : "input", max, false, buf, len, e);
}

int fd_read_secret(int fd, size_t max, char **buf, size_t *len, ehr_err *e)
{
	char what[32];

	snprintf(what, sizeof(what), "file descriptor %d", fd);
	if (fcntl(fd, F_GETFD) < 0)
		return ehr_fail(e, EHR_EUSAGE, "%s is not open", what);
	return read_fd(fd, what, max, true, buf, len, e);
}

bool file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Splits path into its directory (into dir) and its last component. */
static const char *split_path(const char *path, char dir[PATH_MAX])
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, PATH_MAX, ".");
	else if (slash == path)
		snprintf(dir, PATH_MAX, "/");
	else
		snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
	return slash ? slash + 1 : path;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	int fd, rc;

	split_path(path, dir);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

#define TEMP_INFIX ".tmp-"
#define TEMP_RAND_DIGITS 8

/* True if name is base's temporary exactly as file_write_atomic names it:
 * base ".tmp-" PID "-" eight lowercase hex digits, the PID in decimal
 * without leading zeros (as %ld prints a positive pid_t); *pid gets it. */
static bool is_temp_name(const char *name, const char *base, pid_t *pid)
{
	size_t n = strlen(base);
	long long v = 0;
	const char *s;
	int i;

	if (strncmp(name, base, n) != 0 || strncmp(name + n, TEMP_INFIX, strlen(TEMP_INFIX)) != 0)
		return false;
	s = name + n + strlen(TEMP_INFIX);
	if (*s < '1' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return false;
	}
	if (*s++ != '-')
		return false;
	for (i = 0; i < TEMP_RAND_DIGITS; i++, s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	if (*s)
		return false;
	*pid = (pid_t)v;
	return true;
}

/* Only a definite "no such process" counts as gone: EPERM is a live
 * process of another user, and a zombie still answers until it is reaped
 * (its leftover then waits for a later write). */
static bool process_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Removes the entry name of dirfd if it is a regular file of ours that no
 * one holds locked, holding that lock while it unlinks. */
static bool remove_unlocked(int dirfd, const char *name)
{
	struct stat st, fst, again;
	bool removed = false;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid())
		return false;
	/* O_NOFOLLOW: a symlink swapped in since the fstatat is not opened;
	 * O_NONBLOCK: nor does a FIFO swapped in block us */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &fst) == 0 && same_file(&st, &fst) && S_ISREG(fst.st_mode) &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    fstatat(dirfd, name, &again, AT_SYMLINK_NOFOLLOW) == 0 && same_file(&fst, &again))
		removed = unlinkat(dirfd, name, 0) == 0;
	close(fd);
	return removed;
}

/*
 * A temporary of path is removed only when both hold:
 *
 * - The PID in its name is not a process (kill(pid, 0) fails with ESRCH).
 *   A live writer on this machine and in our PID namespace always answers,
 *   so its temporary is never taken. PID reuse errs the safe way only: a
 *   dead writer whose PID now belongs to someone else looks alive, and its
 *   leftover waits for a later write. No age bound is used, since age
 *   would be the unsafe direction: a write stalled on a slow disk can be
 *   old and still in progress.
 *
 * - No one holds an flock on it. A writer whose PID we cannot see (another
 *   PID namespace sharing this directory, or another host on a network
 *   file system, where its PID means nothing here) holds an exclusive
 *   flock on its temporary from creation until after the rename, and
 *   after taking the lock checks that the name is still there, starting
 *   over if a cleaner took it in the moment between create and lock
 *   (create_temp). A file system without locks fails the flock and its
 *   leftovers are kept.
 *
 * Only names matching path's temporary pattern in path's directory,
 * regular files owned by our effective user, never through a symlink.
 */
int file_clean_temporaries(const char *path)
{
	char dir[PATH_MAX];
	const char *base = split_path(path, dir);
	struct dirent *ent;
	int dirfd, removed = 0;
	DIR *d;

	if (!*base)
		return 0;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if (!(d = fdopendir(dirfd))) {
		close(dirfd);
		return 0;
	}
	while ((ent = readdir(d))) {
		pid_t pid;

		if (ent->d_type != DT_REG && ent->d_type != DT_UNKNOWN)
			continue;
		if (!is_temp_name(ent->d_name, base, &pid) || !process_gone(pid))
			continue;
		if (remove_unlocked(dirfd, ent->d_name))
			removed++;
	}
	closedir(d);
	return removed;
}

/* Creates path's temporary (name into tmp), locked for the cleaners'
 * sake: -1 with errno set, or the open descriptor. */
static int create_temp(const char *path, mode_t mode, char tmp[PATH_MAX], ehr_err *e)
{
	int attempt, fd;
	struct stat st;

	for (attempt = 0; attempt < 8; attempt++) {
		if (snprintf(tmp, PATH_MAX, "%s" TEMP_INFIX "%ld-%08x", path, (long)getpid(),
			     randombytes_random()) >= PATH_MAX)
			return -ehr_fail(e, EHR_EUSAGE, "path too long: %s", path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return -ehr_fail(e, EHR_EFAIL, "cannot create %s: %s", tmp, strerror(errno));
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
		/* without lock support (errors other than EINTR) no cleaner
		 * can lock it either, so it is safe from them all the same */
		if (fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd);   /* a cleaner unlinked it before our lock: anew */
	}
	return -ehr_fail(e, EHR_EFAIL, "cannot create a temporary file for %s", path);
}

static int write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool replace,
			void (*before_rename)(void *), void *ctx, ehr_err *e)
{
	char tmp[PATH_MAX];
	const unsigned char *p = data;
	size_t done = 0;
	int fd, err;

	if (!replace && file_exists(path))
		return ehr_fail(e, EHR_EUSAGE, "%s exists", path);
	file_clean_temporaries(path);
	if ((fd = create_temp(path, mode, tmp, e)) < 0)
		return -fd;
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		done += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	/* fd stays open, and so locked, until the temporary's name is gone */
	if (before_rename)
		before_rename(ctx);
	if (replace) {
		if (rename(tmp, path) < 0)
			goto fail;
	} else {
		/* link() refuses an existing name, so a file that appeared since
		 * the check above is still never overwritten */
		if (link(tmp, path) < 0)
			goto fail;
		unlink(tmp);
	}
	/* fsync has reported any write error already */
	close(fd);
	if (fsync_dir_of(path) < 0)
		return ehr_fail(e, EHR_EFAIL, "cannot sync the directory of %s: %s",
				path, strerror(errno));
	return 0;
fail:
	err = errno;
	unlink(tmp);
	close(fd);
	if (err == EEXIST)
		return ehr_fail(e, EHR_EUSAGE, "%s exists", path);
	return ehr_fail(e, EHR_EFAIL, "cannot write %s: %s", path, strerror(err));
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      bool replace, ehr_err *e)
{
	return write_atomic(path, data, len, mode, replace, NULL, NULL, e);
}

int file_replace_atomic_hook(const char *path, const void *data, size_t len, mode_t mode,
			     void (*before_rename)(void *), void *ctx, ehr_err *e)
{
	return write_atomic(path, data, len, mode, true, before_rename, ctx, e);
}

int dir_ensure(const char *dir, mode_t mode, ehr_err *e)
{
	char buf[PATH_MAX];
	char *s;
	struct stat st;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return ehr_fail(e, EHR_EUSAGE, "path too long: %s", dir);
	for (s = buf + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return ehr_fail(e, EHR_EFAIL, "cannot create directory %s: %s",
					buf, strerror(errno));
		*s = c;
		if (!c)
			break;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return ehr_fail(e, EHR_EFAIL, "%s is not a directory", dir);
	return 0;
}

ssize_t read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
