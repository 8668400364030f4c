#include "wallet/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int file_read_all(const char *path, size_t max, char **buf, size_t *len, ehr_err *e)
{
	int fd = open_read(path, e), rc;

	if (fd < 0)
		return -fd;
	rc = read_fd(fd, path, max, false, buf, len, e);
	close(fd);
	return rc;
}

int file_read_secret(const char *path, size_t max, char **buf, size_t *len, ehr_err *e)
{
	int fd = open_read(path, e), rc;

	if (fd < 0)
		return -fd;
	rc = read_fd(fd, path, max, true, buf, len, e);
	close(fd);
	return rc;
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

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      bool replace, ehr_err *e)
{
	char tmp[PATH_MAX];
	const unsigned char *p = data;
	size_t done = 0;
	int fd, err;

	if (!replace && file_exists(path))
		return ehr_fail(e, EHR_EUSAGE, "%s exists", path);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%08x", path, (long)getpid(),
		     randombytes_random()) >= (int)sizeof(tmp))
		return ehr_fail(e, EHR_EUSAGE, "path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return ehr_fail(e, EHR_EFAIL, "cannot create %s: %s", tmp, strerror(errno));
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
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
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
	if (fsync_dir_of(path) < 0)
		return ehr_fail(e, EHR_EFAIL, "cannot sync the directory of %s: %s",
				path, strerror(errno));
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	if (err == EEXIST)
		return ehr_fail(e, EHR_EUSAGE, "%s exists", path);
	return ehr_fail(e, EHR_EFAIL, "cannot write %s: %s", path, strerror(err));
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
