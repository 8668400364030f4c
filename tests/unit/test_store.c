/* Storage back ends: the dir store's put/get/del, its atomic 0600 files,
 * locators that try to leave the directory, directories we cannot write
 * to (also when running as root), and the registry with a back end added
 * from outside, shaped like the chain store. */
#include "tap.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "wallet/base/hex.h"
#include "wallet/vault/store.h"

static char tmpdir[] = "/tmp/ehr-test-store-XXXXXX";

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return (size_t)-1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* A file holding len random bytes, opened for reading; its SHA-256 in hash. */
static int source(size_t len, uint8_t **data, uint8_t hash[32])
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/source", tmpdir);
	*data = malloc(len);
	randombytes_buf(*data, len);
	EVP_Digest(*data, len, hash, NULL, EVP_sha256(), NULL);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, *data, len) != (ssize_t)len)
		exit(1);
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	return fd;
}

/* Reads what store_get writes, through a temporary file. */
static int get_bytes(store *s, const char *locator, uint8_t **out, size_t *len, ehr_err *e)
{
	char path[256];
	struct stat sb;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/got", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unlink(path);
	rc = store_get(s, locator, fd, e);
	*out = NULL;
	*len = 0;
	if (!rc && fstat(fd, &sb) == 0) {
		*len = (size_t)sb.st_size;
		*out = malloc(*len + 1);
		if (pread(fd, *out, *len, 0) != (ssize_t)*len)
			rc = -1;
	}
	close(fd);
	return rc;
}

static void test_dir_store(void)
{
	char spec[400], dir[300], locator[STORE_LOCATOR_MAX], want[STORE_LOCATOR_MAX], hex[65],
	     desc[STORE_LOCATOR_MAX], bad[STORE_LOCATOR_MAX], file[400];
	uint8_t *data, *got, hash[32], got_hash[32];
	size_t got_len;
	struct stat sb;
	ehr_err e = { 0 };
	store *s = NULL, *s2 = NULL;
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s/share/ehr", tmpdir);
	snprintf(spec, sizeof(spec), "dir:%s/", dir);
	rc = store_open(spec, &s, &e);
	CHECK(rc == 0 && s, "open: %s", e.msg);
	if (!s)
		return;
	CHECK(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700,
	      "directory created 0700 (%o)", sb.st_mode & 0777);
	store_describe(s, desc, sizeof(desc));
	snprintf(want, sizeof(want), "dir:%s", dir);
	CHECK_STR(desc, want);
	CHECK(store_can_erase(s), "dir stores can erase");

	fd = source(200000, &data, hash);
	rc = store_put(s, fd, hash, 200000, locator, sizeof(locator), &e);
	CHECK(rc == 0, "put: %s", e.msg);
	hex_encode(hash, 32, hex);
	/* the locator names the content hash and nothing else */
	snprintf(want, sizeof(want), "dir:%s", hex);
	CHECK_STR(locator, want);
	CHECK(!strchr(locator, '/') && store_dir_locator_bare(locator), "no path in %s", locator);
	snprintf(file, sizeof(file), "%s/%s.ehr", dir, hex);
	CHECK(stat(file, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0777) == 0600 &&
	      sb.st_size == 200000, "stored file 0600 of the right size");
	CHECK(count_entries(dir) == 1, "only the record in the directory (%zu)", count_entries(dir));

	/* The same envelope again: harmless. A wrong size: refused, no litter. */
	lseek(fd, 0, SEEK_SET);
	CHECK(store_put(s, fd, hash, 200000, locator, sizeof(locator), &e) == 0, "put again: %s", e.msg);
	lseek(fd, 0, SEEK_SET);
	rc = store_put(s, fd, hash, 199999, locator, sizeof(locator), &e);
	CHECK(rc == EHR_EFAIL && strstr(e.msg, "200000"), "wrong size: %d %s", rc, e.msg);
	CHECK(count_entries(dir) == 1, "no temporary file left (%zu)", count_entries(dir));
	lseek(fd, 0, SEEK_SET);
	CHECK(store_put(s, fd, hash, 200000, locator, 10, &e) == EHR_EUSAGE, "locator must fit");
	close(fd);

	/* get: by locator, by bare name, with and without ".ehr". */
	CHECK(get_bytes(s, want, &got, &got_len, &e) == 0 && got_len == 200000 &&
	      !memcmp(got, data, 200000), "get by locator: %s", e.msg);
	free(got);
	CHECK(get_bytes(s, hex, &got, &got_len, &e) == 0 && got_len == 200000, "get by hash: %s", e.msg);
	free(got);
	snprintf(bad, sizeof(bad), "%s.ehr", hex);
	CHECK(get_bytes(s, bad, &got, &got_len, &e) == 0 && got_len == 200000, "get by name: %s", e.msg);
	free(got);

	/* A path-less locator is found in $EHR_STORE_DIR or a remembered
	 * directory, and nowhere else. */
	{
		char other[400], list[800], home[300];

		snprintf(home, sizeof(home), "%s/home", tmpdir);
		setenv("EHR_HOME", home, 1);
		unsetenv("EHR_STORE_DIR");
		rc = store_open_for_locator(want, NULL, &s2, &e);
		CHECK(rc == EHR_EFAIL && !s2 && strstr(e.msg, "none of the dir: stores known here") &&
		      strstr(e.msg, "EHR_STORE_DIR"), "nowhere known: %d %s", rc, e.msg);
		snprintf(other, sizeof(other), "%s/other", tmpdir);
		mkdir(other, 0700);
		snprintf(list, sizeof(list), "relative/dir:%s:%s", other, dir);
		setenv("EHR_STORE_DIR", list, 1);
		CHECK(store_open_for_locator(want, NULL, &s2, &e) == 0 && s2, "EHR_STORE_DIR: %s", e.msg);
		if (s2) {
			store_describe(s2, desc, sizeof(desc));
			snprintf(bad, sizeof(bad), "dir:%s", dir);
			CHECK_STR(desc, bad);
			store_close(s2);
			s2 = NULL;
		}
		unsetenv("EHR_STORE_DIR");
		CHECK(store_dir_remember(s, &e) == 0 && store_dir_remember(s, &e) == 0,
		      "remember: %s", e.msg);
		snprintf(file, sizeof(file), "%s/state/dir-stores", home);
		snprintf(list, sizeof(list), "%s\n", dir);
		{
			size_t len = 0;
			uint8_t *text = NULL;

			CHECK(stat(file, &sb) == 0 && (sb.st_mode & 0777) == 0600, "dir-stores 0600");
			fd = open(file, O_RDONLY);
			text = calloc(1, 1000);
			len = fd >= 0 ? (size_t)read(fd, text, 999) : 0;
			close(fd);
			CHECK(len == strlen(list) && !memcmp(text, list, len), "remembered once: '%s'", text);
			free(text);
		}
		CHECK(store_open_for_locator(want, NULL, &s2, &e) == 0 && s2, "remembered: %s", e.msg);
		store_close(s2);
		s2 = NULL;
		/* a locator of the old shape, with its path, still opens */
		snprintf(want, sizeof(want), "dir:%s/%s.ehr", dir, hex);
		CHECK(store_dir_locator_hash(want, got_hash, &e) == 0 && !memcmp(got_hash, hash, 32),
		      "old locator's hash: %s", e.msg);
		snprintf(bad, sizeof(bad), "dir:%s", hex);
		CHECK(store_dir_locator_hash(bad, got_hash, &e) == 0 && !memcmp(got_hash, hash, 32),
		      "new locator's hash: %s", e.msg);
	}

	/* The same store found from the locator alone. */
	CHECK(store_open_for_locator(want, NULL, &s2, &e) == 0, "open for locator: %s", e.msg);
	if (s2) {
		store_describe(s2, desc, sizeof(desc));
		snprintf(bad, sizeof(bad), "dir:%s", dir);
		CHECK_STR(desc, bad);
		CHECK(get_bytes(s2, want, &got, &got_len, &e) == 0 && got_len == 200000, "get: %s", e.msg);
		free(got);
		store_close(s2);
	}

	/* Locators that try to leave the directory, or are not ours. */
	{
		static char cases[12][STORE_LOCATOR_MAX];
		size_t i;

		snprintf(cases[0], STORE_LOCATOR_MAX, "dir:%s/../%s.ehr", dir, hex);
		snprintf(cases[1], STORE_LOCATOR_MAX, "dir:%s/./%s.ehr", dir, hex);
		snprintf(cases[2], STORE_LOCATOR_MAX, "dir:/tmp/x/../../etc/%s.ehr", hex);
		snprintf(cases[3], STORE_LOCATOR_MAX, "../%s.ehr", hex);
		snprintf(cases[4], STORE_LOCATOR_MAX, "%s/../../etc/passwd", hex);
		snprintf(cases[5], STORE_LOCATOR_MAX, "dir:%s/passwd", dir);
		snprintf(cases[6], STORE_LOCATOR_MAX, "passwd");
		snprintf(cases[7], STORE_LOCATOR_MAX, "dir:%s/%s.txt", dir, hex);
		snprintf(cases[8], STORE_LOCATOR_MAX, "dir:%s/%sx", dir, hex);
		snprintf(cases[9], STORE_LOCATOR_MAX, "%s", "");
		snprintf(cases[10], STORE_LOCATOR_MAX, "dir:");
		snprintf(cases[11], STORE_LOCATOR_MAX, "%s/%s", dir, hex);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			rc = get_bytes(s, cases[i], &got, &got_len, &e);
			CHECK(rc == EHR_EUSAGE, "locator '%s' accepted (%d %s)", cases[i], rc, e.msg);
			free(got);
			CHECK(store_del(s, cases[i], &e) == EHR_EUSAGE, "del '%s' accepted", cases[i]);
		}
		CHECK(strstr(e.msg, "escapes"), "says it escapes: %s", e.msg);
		CHECK(count_entries(dir) == 1, "the record is still there");
	}

	/* Not there; a symlink planted under a record's name. */
	snprintf(bad, sizeof(bad), "%064d", 0);
	rc = get_bytes(s, bad, &got, &got_len, &e);
	CHECK(rc == EHR_EFAIL && strstr(e.msg, "is not in dir:"), "missing: %d %s", rc, e.msg);
	snprintf(file, sizeof(file), "%s/%064d.ehr", dir, 1);
	CHECK(symlink("/etc/hostname", file) == 0, "symlink");
	snprintf(bad, sizeof(bad), "%064d", 1);
	rc = get_bytes(s, bad, &got, &got_len, &e);
	CHECK(rc == EHR_EFAIL, "symlink followed: %d %s", rc, e.msg);
	free(got);
	unlink(file);

	/* del: gone, and again is fine. */
	CHECK(store_del(s, want, &e) == 0, "del: %s", e.msg);
	CHECK(count_entries(dir) == 0, "erased");
	CHECK(store_del(s, want, &e) == 0, "del again: %s", e.msg);
	CHECK(get_bytes(s, want, &got, &got_len, &e) == EHR_EFAIL, "get after del");
	store_close(s);
	free(data);

	/* A relative path is made absolute. */
	{
		char cwd[4096], rel_want[4200];

		if (getcwd(cwd, sizeof(cwd)) && chdir(tmpdir) == 0) {
			CHECK(store_open("dir:rel/store", &s, &e) == 0, "relative: %s", e.msg);
			if (s) {
				store_describe(s, desc, sizeof(desc));
				snprintf(rel_want, sizeof(rel_want), "dir:%s/rel/store", tmpdir);
				CHECK_STR(desc, rel_want);
				store_close(s);
			}
			CHECK(chdir(cwd) == 0, "chdir back");
		}
	}
}

/* put into dir as the current user: 0 when refused with the message. */
static int put_refused(const char *dir, int fd, const uint8_t hash[32], size_t size, char *msg, size_t cap)
{
	char spec[400], locator[STORE_LOCATOR_MAX];
	ehr_err e = { 0 };
	store *s = NULL;
	int rc;

	snprintf(spec, sizeof(spec), "dir:%s", dir);
	if ((rc = store_open(spec, &s, &e))) {
		snprintf(msg, cap, "open: %s", e.msg);
		return 1;
	}
	rc = store_put(s, fd, hash, size, locator, sizeof(locator), &e);
	store_close(s);
	snprintf(msg, cap, "%s", rc ? e.msg : "(accepted)");
	return rc == EHR_EFAIL && strstr(e.msg, "cannot write to dir:") &&
	       strstr(e.msg, "permission denied") ? 0 : 1;
}

static void test_unwritable(void)
{
	char dir[300], msg[600], want[400];
	uint8_t *data, hash[32];
	ehr_err e = { 0 };
	store *s = NULL;
	struct stat sb;
	int fd, rc;

	/* Under a regular file: refused for every user, root included. */
	rc = store_open("dir:/dev/null/ehr", &s, &e);
	CHECK(rc == EHR_EFAIL && s == NULL && strstr(e.msg, "cannot create dir:/dev/null/ehr") &&
	      strstr(e.msg, "not a directory"), "under a file: %d %s", rc, e.msg);
	rc = store_open("dir:/dev/null", &s, &e);
	CHECK(rc == EHR_EFAIL && strstr(e.msg, "not a directory"), "a file: %d %s", rc, e.msg);

	/* A directory without write permission. Root ignores permissions, so
	 * as root the put runs in a child that has become nobody (65534);
	 * the fd is opened before, as a caller would. */
	snprintf(dir, sizeof(dir), "%s/readonly", tmpdir);
	CHECK(mkdir(dir, 0555) == 0 && chmod(dir, 0555) == 0 && chmod(tmpdir, 0755) == 0, "mkdir");
	fd = source(1000, &data, hash);
	if (geteuid() != 0) {
		CHECK(put_refused(dir, fd, hash, 1000, msg, sizeof(msg)) == 0, "read-only dir: %s", msg);
	} else {
		int p[2], status = 0;
		pid_t pid;

		if (pipe(p) < 0)
			exit(1);
		if ((pid = fork()) == 0) {
			close(p[0]);
			if (setgid(65534) < 0 || setuid(65534) < 0) {
				snprintf(msg, sizeof(msg), "cannot become nobody: %s", strerror(errno));
				rc = 2;
			} else {
				rc = put_refused(dir, fd, hash, 1000, msg, sizeof(msg));
			}
			if (write(p[1], msg, strlen(msg) + 1) < 0)
				_exit(3);
			_exit(rc);
		}
		close(p[1]);
		memset(msg, 0, sizeof(msg));
		if (read(p[0], msg, sizeof(msg) - 1) < 0)
			msg[0] = '\0';
		close(p[0]);
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
			printf("skip: read-only directory as nobody: %s\n", msg);
		else
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "read-only dir as nobody: %s", msg);
	}
	snprintf(want, sizeof(want), "cannot write to dir:%s: permission denied", dir);
	CHECK(strstr(msg, want) != NULL || strncmp(msg, "cannot become", 13) == 0,
	      "message '%s'", msg);
	CHECK(count_entries(dir) == 0, "nothing written");
	/* A file system that refuses new files to root too (sysfs). */
	if (stat("/sys/kernel", &sb) == 0 && S_ISDIR(sb.st_mode)) {
		lseek(fd, 0, SEEK_SET);
		CHECK(put_refused("/sys/kernel", fd, hash, 1000, msg, sizeof(msg)) == 0,
		      "sysfs: %s", msg);
	}
	close(fd);
	free(data);
	chmod(tmpdir, 0700);
	rmdir(dir);
}

/* A back end registered from outside, shaped like the chain store: put
 * names the content hash, the bytes travel later, erase is impossible. */
struct fake {
	struct store base;
	int puts;
};

static int fake_open(const char *arg, void *ctx, store **out, ehr_err *e)
{
	struct fake *f;

	if (strcmp(arg, "") && strcmp(arg, "anything"))
		return ehr_fail(e, EHR_EUSAGE, "fake: bad arg '%s'", arg);
	if (ctx != (void *)&tmpdir)
		return ehr_fail(e, EHR_EUSAGE, "fake: context not passed");
	f = calloc(1, sizeof(*f));
	*out = &f->base;
	return 0;
}

static int fake_put(store *s, int fd, const uint8_t hash[32], uint64_t size, char *locator,
		    size_t cap, ehr_err *e)
{
	char hex[65];

	(void)fd, (void)size, (void)e;
	((struct fake *)s)->puts++;
	hex_encode(hash, 32, hex);
	snprintf(locator, cap, "chain:%s", hex);
	return 0;
}

static int fake_get(store *s, const char *locator, int out_fd, ehr_err *e)
{
	(void)s, (void)locator, (void)out_fd;
	return ehr_fail(e, EHR_EFAIL, "fake: nothing stored");
}

static int fake_del(store *s, const char *locator, ehr_err *e)
{
	(void)s, (void)locator;
	return ehr_fail(e, EHR_EFAIL, "calldata on a chain cannot be deleted");
}

static void fake_describe(store *s, char *out, size_t cap)
{
	(void)s;
	snprintf(out, cap, "chain");
}

static void fake_close(store *s)
{
	free(s);
}

static const struct store_ops fake_ops = {
	.scheme = "chain", .can_erase = false, .open = fake_open, .put = fake_put,
	.get = fake_get, .del = fake_del, .describe = fake_describe, .close = fake_close,
};

static void test_registry(void)
{
	char locator[STORE_LOCATOR_MAX], desc[64], hex[65];
	uint8_t hash[32];
	ehr_err e = { 0 };
	store *s = NULL;
	int rc;

	rc = store_open("chain", &s, &e);
	CHECK(rc == EHR_EUSAGE && strstr(e.msg, "unknown store 'chain'") && strstr(e.msg, "dir"),
	      "chain before registration: %s", e.msg);
	CHECK(store_open("ipfs:QmX", &s, &e) == EHR_EUSAGE && strstr(e.msg, "'ipfs'"), "ipfs: %s", e.msg);
	CHECK(store_open("dir:", &s, &e) == EHR_EUSAGE, "dir without a path");
	CHECK(store_open("dir", &s, &e) == EHR_EUSAGE, "bare dir");
	CHECK(store_open("", &s, &e) == EHR_EUSAGE, "empty spec");
	CHECK(store_find("dir:/x") == &store_dir_ops, "find dir");
	CHECK(store_find("dirt:/x") == NULL, "no prefix matching");

	CHECK(store_register(&fake_ops, &e) == 0, "register: %s", e.msg);
	CHECK(store_register(&fake_ops, &e) == EHR_EUSAGE, "twice");
	CHECK(store_register(&store_dir_ops, &e) == EHR_EUSAGE, "dir again");
	CHECK(store_find("chain:ab") == &fake_ops, "find chain");
	CHECK(store_open("chain", &s, &e) == EHR_EUSAGE && strstr(e.msg, "context"), "context required");
	rc = store_open_ctx("chain", &tmpdir, &s, &e);
	CHECK(rc == 0 && s, "open chain: %s", e.msg);
	if (!s)
		return;
	randombytes_buf(hash, 32);
	hex_encode(hash, 32, hex);
	CHECK(store_put(s, -1, hash, 100, locator, sizeof(locator), &e) == 0, "put");
	CHECK(!strncmp(locator, "chain:", 6) && !strcmp(locator + 6, hex), "locator %s", locator);
	CHECK(!store_can_erase(s), "chain cannot erase");
	CHECK(store_del(s, locator, &e) == EHR_EFAIL && strstr(e.msg, "cannot be deleted"), "del");
	store_describe(s, desc, sizeof(desc));
	CHECK_STR(desc, "chain");
	store_close(s);
	s = NULL;
	CHECK(store_open_for_locator(locator, &tmpdir, &s, &e) == EHR_EUSAGE, "a chain locator is "
	      "handed to the back end whole (which refuses this arg here): %s", e.msg);
	rc = store_open_ctx("chain:anything", &tmpdir, &s, &e);
	CHECK(rc == 0, "arg passed: %s", e.msg);
	store_close(s);
	store_close(NULL);
}

/* The content hash a dir: locator's file name spells: what record erase
 * compares with the record's own before deleting anything. */
static void test_locator_hash(void)
{
	static const char *const refused[] = {
		"chain:0000000000000000000000000000000000000000000000000000000000000000",
		"dir:/a/b",
		"dir:/a/b/abcd.ehr",
		"dir:/a/../b/0000000000000000000000000000000000000000000000000000000000000000.ehr",
		"dir:/a/b/000000000000000000000000000000000000000000000000000000000000000g.ehr",
		"dir:/a/b/0000000000000000000000000000000000000000000000000000000000000000.txt",
		"dir:/a/b/0000000000000000000000000000000000000000000000000000000000000000.ehr/x",
	};
	uint8_t want[32], got[32];
	char loc[200], hex[65];
	ehr_err e = { 0 };
	size_t i;

	randombytes_buf(want, 32);
	hex_encode(want, 32, hex);
	snprintf(loc, sizeof(loc), "dir:/mnt/share/%s.ehr", hex);
	CHECK(!store_dir_locator_hash(loc, got, &e) && !memcmp(got, want, 32), "%s: %s", loc, e.msg);
	for (i = 0; i < 64; i++)
		hex[i] = (char)toupper((unsigned char)hex[i]);
	snprintf(loc, sizeof(loc), "dir:/mnt/share/%s", hex);
	CHECK(!store_dir_locator_hash(loc, got, &e) && !memcmp(got, want, 32),
	      "upper case, no .ehr (as get and del read it): %s", e.msg);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		CHECK(store_dir_locator_hash(refused[i], got, &e) == EHR_EUSAGE, "refused: %s", refused[i]);
}

int main(void)
{
	if (sodium_init() < 0 || !mkdtemp(tmpdir))
		return 1;
	test_dir_store();
	test_unwritable();
	test_registry();
	test_locator_hash();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		CHECK(system(cmd) == 0, "clean up");
	}
	return tap_done();
}
