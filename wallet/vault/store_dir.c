/* The "dir:PATH" store: one file per envelope, named by its content hash
 * ("<hex>.ehr").
 * The contract is in store.h. */
#include "wallet/vault/store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"
#include "wallet/base/paths.h"

struct dir_store {
	struct store base;
	char path[PATH_MAX];       /* absolute, no trailing '/' (except "/") */
};

/* strerror, lowercased to fit "ehr: error: ..." sentences. */
static const char *why(int err, char buf[96])
{
	snprintf(buf, 96, "%s", strerror(err));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

/* Creates path and its missing parents with mode 0700. */
static int make_dirs(const char *path, ehr_err *e)
{
	char buf[PATH_MAX], w[96];
	char *s;

	snprintf(buf, sizeof(buf), "%s", path);
	for (s = buf + 1; ; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return ehr_fail(e, EHR_EFAIL, "cannot create dir:%s: %s", path, why(errno, w));
		*s = c;
		if (!c)
			break;
	}
	return 0;
}

static int dir_open(const char *arg, void *ctx, store **out, ehr_err *e)
{
	struct dir_store *d;
	struct stat sb;
	char cwd[PATH_MAX], w[96];
	size_t n;
	int rc;

	(void)ctx;
	*out = NULL;
	if (!*arg)
		return ehr_fail(e, EHR_EUSAGE, "the dir store needs a directory: dir:PATH");
	if (!(d = calloc(1, sizeof(*d))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	d->base.ops = &store_dir_ops;
	if (arg[0] == '/') {
		n = (size_t)snprintf(d->path, sizeof(d->path), "%s", arg);
	} else {
		if (!getcwd(cwd, sizeof(cwd))) {
			free(d);
			return ehr_fail(e, EHR_EFAIL, "cannot find the working directory: %s",
					why(errno, w));
		}
		n = (size_t)snprintf(d->path, sizeof(d->path), "%s/%s",
				     strcmp(cwd, "/") ? cwd : "", arg);
	}
	/* room for "/<64 hex>" and a temporary name after it */
	if (n + 1 + 80 >= sizeof(d->path)) {
		free(d);
		return ehr_fail(e, EHR_EUSAGE, "path too long: %s", arg);
	}
	while (n > 1 && d->path[n - 1] == '/')
		d->path[--n] = '\0';
	if (stat(d->path, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			rc = ehr_fail(e, EHR_EFAIL, "cannot use dir:%s: not a directory", d->path);
			free(d);
			return rc;
		}
	} else if ((rc = make_dirs(d->path, e))) {
		free(d);
		return rc;
	}
	*out = &d->base;
	return 0;
}

static void dir_close(store *s)
{
	free(s);
}

static void dir_describe(store *s, char *out, size_t cap)
{
	snprintf(out, cap, "dir:%s", ((struct dir_store *)s)->path);
}

int store_dir_check_locator(const char *locator, ehr_err *e)
{
	const char *p = locator + 4;

	while (*p) {
		size_t len = strcspn(p, "/");

		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return ehr_fail(e, EHR_EUSAGE, "record locator '%s' escapes its directory", locator);
		p += len;
		p += *p == '/';
	}
	return 0;
}

/* The file name ("<64 lowercase hex digits>.ehr") a locator names in the
 * store at dir (named in messages). */
static int name_in(const char *dir, const char *locator, char name[69], ehr_err *e)
{
	const char *base = locator;
	size_t i;
	int rc;

	if (store_dir_locator_bare(locator)) {
		base = locator + 4;
	} else if (!strncmp(locator, "dir:", 4)) {
		/* "." and ".." components would point elsewhere: refused even though
		 * only the name is used, as the locator is not what it claims. */
		if ((rc = store_dir_check_locator(locator, e)))
			return rc;
		base = strrchr(locator + 4, '/') + 1;
	} else if (strchr(locator, '/') || strstr(locator, "..")) {
		return ehr_fail(e, EHR_EUSAGE, "record locator '%s' escapes dir:%s", locator, dir);
	}
	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)base[i]))
			break;
	if (i != 64 || (base[64] && strcmp(base + 64, ".ehr")))
		return ehr_fail(e, EHR_EUSAGE, "'%s' is not a record in a dir store (its name "
				"must be a content hash)", locator);
	for (i = 0; i < 64; i++)
		name[i] = (char)tolower((unsigned char)base[i]);
	memcpy(name + 64, ".ehr", 5);
	return 0;
}

static int name_of(struct dir_store *d, const char *locator, char name[69], ehr_err *e)
{
	return name_in(d->path, locator, name, e);
}

int store_dir_locator_hash(const char *locator, uint8_t hash[32], ehr_err *e)
{
	char name[69];
	int rc;

	if (strncmp(locator, "dir:", 4))
		return ehr_fail(e, EHR_EUSAGE, "'%s' is not a dir: locator", locator);
	if ((rc = name_in("", locator, name, e)))
		return rc;
	name[64] = '\0';
	return hex_decode_exact(name, hash, 32) ? ehr_fail(e, EHR_EUSAGE, "malformed dir locator '%s'",
							   locator) : 0;
}

/* Copies in to EOF into out; copy_file_range where both ends allow it. */
static int copy_fd(int in, int out, uint64_t *copied)
{
	static const size_t step = 1 << 20;
	uint8_t *buf;
	ssize_t r;
	bool kernel = true;

	*copied = 0;
	for (;;) {
		r = kernel ? copy_file_range(in, NULL, out, NULL, step, 0) : -1;
		if (r < 0 && kernel && *copied == 0 &&
		    (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
		     errno == EOPNOTSUPP || errno == EBADF)) {
			kernel = false;
			break;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		*copied += (uint64_t)r;
	}
	if (!(buf = malloc(step)))
		return -1;
	for (;;) {
		size_t done = 0;

		r = read(in, buf, step);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		while (done < (size_t)r) {
			ssize_t w = write(out, buf + done, (size_t)r - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				free(buf);
				return -1;
			}
			done += (size_t)w;
		}
		*copied += (uint64_t)r;
	}
	free(buf);
	return r < 0 ? -1 : 0;
}

static int dir_put(store *s, int fd, const uint8_t hash[32], uint64_t size,
		   char *locator, size_t cap, ehr_err *e)
{
	struct dir_store *d = (struct dir_store *)s;
	char name[69], tmp[80], w[96];
	uint64_t copied = 0;
	int dfd, tfd = -1, rc, err;

	hex_encode(hash, 32, name);
	memcpy(name + 64, ".ehr", 5);
	/* the content hash and nothing else: where the store is mounted is
	 * nobody's business on chain */
	if ((size_t)snprintf(locator, cap, "dir:%.64s", name) >= cap)
		return ehr_fail(e, EHR_EUSAGE, "record locator does not fit");
	if ((dfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ehr_fail(e, EHR_EFAIL, "cannot write to dir:%s: %s", d->path, why(errno, w));
	snprintf(tmp, sizeof(tmp), ".%.16s-%08x.tmp", name, randombytes_random());
	if ((tfd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot write to dir:%s: %s", d->path, why(errno, w));
		close(dfd);
		return rc;
	}
	if (fchmod(tfd, 0600) < 0 || copy_fd(fd, tfd, &copied) < 0 || fsync(tfd) < 0)
		goto fail;
	if (copied != size) {
		rc = ehr_fail(e, EHR_EFAIL, "the envelope to store is %llu bytes, not %llu",
			      (unsigned long long)copied, (unsigned long long)size);
		goto out;
	}
	if (close(tfd) < 0) {
		tfd = -1;
		goto fail;
	}
	tfd = -1;
	/* Content-addressed: an existing file of that name is the same record
	 * (or a damaged copy of it), so replacing it is right. */
	if (renameat(dfd, tmp, dfd, name) < 0)
		goto fail;
	tmp[0] = '\0';
	if (fsync(dfd) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	err = errno;
	rc = ehr_fail(e, EHR_EFAIL, "cannot write to dir:%s: %s", d->path, why(err, w));
out:
	if (tfd >= 0)
		close(tfd);
	if (tmp[0])
		unlinkat(dfd, tmp, 0);
	close(dfd);
	return rc;
}

static int dir_get(store *s, const char *locator, int out_fd, ehr_err *e)
{
	struct dir_store *d = (struct dir_store *)s;
	char name[69], path[PATH_MAX + 80], w[96];
	struct stat sb;
	uint64_t copied;
	int fd, rc;

	if ((rc = name_of(d, locator, name, e)))
		return rc;
	snprintf(path, sizeof(path), "%s/%s", strcmp(d->path, "/") ? d->path : "", name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return ehr_fail(e, EHR_EFAIL, "record %s is not in dir:%s", name, d->path);
		return ehr_fail(e, EHR_EFAIL, "cannot read %s: %s", path, why(errno, w));
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ehr_fail(e, EHR_EFAIL, "%s is not a regular file", path);
	}
	if (copy_fd(fd, out_fd, &copied) < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot copy %s: %s", path, why(errno, w));
		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

static int dir_del(store *s, const char *locator, ehr_err *e)
{
	struct dir_store *d = (struct dir_store *)s;
	char name[69], w[96];
	int dfd, rc;

	if ((rc = name_of(d, locator, name, e)))
		return rc;
	if ((dfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ehr_fail(e, EHR_EFAIL, "cannot open dir:%s: %s", d->path, why(errno, w));
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot delete %s from dir:%s: %s", name, d->path,
			      why(errno, w));
		close(dfd);
		return rc;
	}
	rc = fsync(dfd) < 0 ? ehr_fail(e, EHR_EFAIL, "cannot sync dir:%s: %s", d->path,
				       why(errno, w)) : 0;
	close(dfd);
	return rc;
}

bool store_dir_locator_bare(const char *locator)
{
	return !strncmp(locator, "dir:", 4) && !strchr(locator + 4, '/');
}

/* The file that remembers the directories records were stored into. */
static int known_file(char *out, size_t cap, ehr_err *e)
{
	char state[PATH_MAX];
	int rc;

	if ((rc = paths_get(PLACE_STATE, state, sizeof(state), e)))
		return rc;
	if ((size_t)snprintf(out, cap, "%s/dir-stores", state) >= cap)
		return ehr_fail(e, EHR_EUSAGE, "path too long: %s/dir-stores", state);
	return 0;
}

/* The remembered directories: a malloc'd text, one absolute path a line
 * ("" when none). */
static int known_read(char **text, ehr_err *e)
{
	char path[PATH_MAX];
	size_t len;
	int rc;

	*text = NULL;
	if ((rc = known_file(path, sizeof(path), e)))
		return rc;
	if (!file_exists(path))
		return (*text = calloc(1, 1)) ? 0 : ehr_fail(e, EHR_EFAIL, "out of memory");
	return file_read_all(path, 1 << 20, text, &len, e);
}

static bool line_is(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (; text && *text; text = strchr(text, '\n') ? strchr(text, '\n') + 1 : NULL)
		if (!strncmp(text, line, n) && (text[n] == '\n' || !text[n]))
			return true;
	return false;
}

int store_dir_remember(store *s, ehr_err *e)
{
	const char *dir = ((struct dir_store *)s)->path;
	char path[PATH_MAX], state[PATH_MAX], *text = NULL, *grown;
	size_t len;
	int rc;

	if (s->ops != &store_dir_ops || strchr(dir, '\n'))
		return 0;
	if ((rc = known_read(&text, e)))
		return ehr_wrap(e, "cannot read the list of dir: stores");
	if (line_is(text, dir)) {
		free(text);
		return 0;
	}
	len = strlen(text);
	if (!(grown = realloc(text, len + strlen(dir) + 2))) {
		free(text);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	text = grown;
	snprintf(text + len, strlen(dir) + 2, "%s\n", dir);
	if (!(rc = known_file(path, sizeof(path), e)) &&
	    !(rc = paths_get(PLACE_STATE, state, sizeof(state), e)) &&
	    !(rc = dir_ensure(state, 0700, e)))
		rc = file_write_atomic(path, text, strlen(text), 0600, true, e);
	free(text);
	return rc;
}

/* Whether dir holds an entry called name. */
static bool holds(const char *dir, size_t dir_len, const char *name)
{
	char path[PATH_MAX + 80];
	struct stat sb;

	if (!dir_len || dir[0] != '/' || dir_len >= PATH_MAX)
		return false;
	snprintf(path, sizeof(path), "%.*s/%s", (int)dir_len, dir, name);
	return lstat(path, &sb) == 0;
}

/* The first directory of list (entries cut at sep) that holds name. */
static bool find_in(const char *list, char sep, const char *name, char *spec, size_t cap)
{
	while (list && *list) {
		size_t n = strcspn(list, sep == ':' ? ":" : "\n");

		if (holds(list, n, name)) {
			snprintf(spec, cap, "dir:%.*s", (int)n, list);
			return true;
		}
		list += n;
		list += *list != '\0';
	}
	return false;
}

int store_dir_resolve(const char *locator, char *spec, size_t cap, ehr_err *e)
{
	const char *env = getenv("EHR_STORE_DIR");
	char name[69], *known = NULL;
	bool found;
	int rc;

	if ((rc = name_in("", locator, name, e)))
		return rc;
	if (find_in(env, ':', name, spec, cap))
		return 0;
	if ((rc = known_read(&known, e)))
		return ehr_wrap(e, "cannot read the list of dir: stores");
	found = find_in(known, '\n', name, spec, cap);
	free(known);
	if (found)
		return 0;
	return ehr_fail(e, EHR_EFAIL, "record %.16s... is in none of the dir: stores known here "
			"(EHR_STORE_DIR, and the directories this ehr stored records into): set "
			"EHR_STORE_DIR to the directory that holds %s", name, name);
}

int store_dir_file_of(const char *locator, char *path, size_t cap, ehr_err *e)
{
	char spec[STORE_LOCATOR_MAX], name[69];
	int rc;

	if (!store_dir_locator_bare(locator)) {
		if (strncmp(locator, "dir:", 4) || (rc = store_dir_check_locator(locator, e)))
			return strncmp(locator, "dir:", 4) ? ehr_fail(e, EHR_EUSAGE, "'%s' is not a dir: "
								    "locator", locator) : rc;
		if ((size_t)snprintf(path, cap, "%s", locator + 4) >= cap)
			return ehr_fail(e, EHR_EUSAGE, "path too long: %s", locator + 4);
		return 0;
	}
	if ((rc = store_dir_resolve(locator, spec, sizeof(spec), e)) ||
	    (rc = name_in("", locator, name, e)))
		return rc;
	if ((size_t)snprintf(path, cap, "%s/%s", strcmp(spec + 4, "/") ? spec + 4 : "", name) >= cap)
		return ehr_fail(e, EHR_EUSAGE, "path too long: %s", spec + 4);
	return 0;
}

const struct store_ops store_dir_ops = {
	.scheme = "dir",
	.can_erase = true,
	.open = dir_open,
	.put = dir_put,
	.get = dir_get,
	.del = dir_del,
	.describe = dir_describe,
	.close = dir_close,
};
