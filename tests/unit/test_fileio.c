/* Atomic writes and their leftovers: file_clean_temporaries removes the
 * temporaries of a target whose writer is gone and nothing else, and
 * file_write_atomic does so before it writes. */
#include "wallet/base/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/tap.h"

static char dir[PATH_MAX];

static const char *in_dir(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	if (snprintf(b, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
		fprintf(stderr, "path too long\n");
		exit(2);
	}
	return b;
}

static void put(const char *name, const char *text)
{
	int fd = open(in_dir(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write_full(fd, text, strlen(text)) < 0) {
		perror(name);
		exit(2);
	}
	close(fd);
}

static bool present(const char *name)
{
	struct stat st;

	return lstat(in_dir(name), &st) == 0;
}

static char *slurp(const char *name)
{
	static char buf[256];
	int fd = open(in_dir(name), O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read_full(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* A PID that is no process: a child that exited and was reaped, checked
 * again in case the PID came straight back. */
static pid_t dead_pid(void)
{
	for (;;) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			exit(2);
		}
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return pid;
	}
}

/* A child that waits to be killed; with lock_name it first takes an flock
 * on that file (as a writer in another PID namespace would hold its
 * temporary) and tells us through a pipe once it holds it. */
static pid_t live_child(const char *lock_name)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0 || (pid = fork()) < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		close(p[0]);
		if (lock_name) {
			int fd = open(in_dir(lock_name), O_RDONLY | O_CLOEXEC);

			if (fd < 0 || flock(fd, LOCK_EX) < 0)
				_exit(1);
		}
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		fprintf(stderr, "child did not start\n");
		exit(2);
	}
	close(p[0]);
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static const char *tmp_name(const char *base, long pid, const char *rand)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s.tmp-%ld-%s", base, pid, rand);
	return b;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Counts the entries of dir whose name starts with prefix. */
static int count_prefix(const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	int n = 0;

	if (!d)
		return -1;
	while ((ent = readdir(d)))
		if (strncmp(ent->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static void test_clean(void)
{
	pid_t dead = dead_pid(), live = live_child(NULL), locker;
	char name[64];
	ehr_err e;
	int n;

	put("w.json", "old");
	put("victim", "victim");
	put(tmp_name("w.json", live, "0123abcd"), "live writer");
	put(tmp_name("w.json", dead, "0123abcd"), "dead writer");
	put(tmp_name("w.json", dead, "89abcdef"), "locked");
	put(tmp_name("other.json", dead, "0123abcd"), "another file's");
	put(tmp_name("x.w.json", dead, "0123abcd"), "another file's");
	put(tmp_name("w.jso", dead, "0123abcd"), "another file's");
	put(tmp_name("w.json", dead, "0123ABCD"), "upper case");
	put(tmp_name("w.json", dead, "0123abc"), "seven digits");
	put(tmp_name("w.json", dead, "0123abcd0"), "nine digits");
	put(tmp_name("w.json", dead, "0123abcd.bak"), "suffix");
	put(tmp_name("w.json", 99999999999L, "0123abcd"), "no pid_t");
	snprintf(name, sizeof(name), "w.json.tmp-0%ld-0123abcd", (long)dead);
	put(name, "leading zero");
	snprintf(name, sizeof(name), "w.json.tmp--%ld-0123abcd", (long)dead);
	put(name, "negative");
	if (symlink("victim", in_dir(tmp_name("w.json", dead, "aaaaaaaa"))) < 0 ||
	    mkdir(in_dir(tmp_name("w.json", dead, "bbbbbbbb")), 0700) < 0 ||
	    mkfifo(in_dir(tmp_name("w.json", dead, "cccccccc")), 0600) < 0) {
		perror("setup");
		exit(2);
	}
	if (geteuid() == 0) {
		put(tmp_name("w.json", dead, "dddddddd"), "not ours");
		CHECK(chown(in_dir(tmp_name("w.json", dead, "dddddddd")), 65534, 65534) == 0,
		      "chown: %s", strerror(errno));
	}
	locker = live_child(tmp_name("w.json", dead, "89abcdef"));

	n = file_clean_temporaries(in_dir("w.json"));
	CHECK(n == 1, "removed %d, want 1", n);
	CHECK(!present(tmp_name("w.json", dead, "0123abcd")), "the dead writer's temporary is removed");
	CHECK(present(tmp_name("w.json", live, "0123abcd")), "a live writer's temporary is kept");
	CHECK(present(tmp_name("w.json", dead, "89abcdef")), "a locked temporary is kept");
	CHECK(present(tmp_name("other.json", dead, "0123abcd")), "another file's temporary is kept");
	CHECK(present(tmp_name("x.w.json", dead, "0123abcd")), "another file's temporary is kept");
	CHECK(present(tmp_name("w.jso", dead, "0123abcd")), "another file's temporary is kept");
	CHECK(present(tmp_name("w.json", dead, "0123ABCD")), "upper-case hex is not our pattern");
	CHECK(present(tmp_name("w.json", dead, "0123abc")), "seven digits are not our pattern");
	CHECK(present(tmp_name("w.json", dead, "0123abcd0")), "nine digits are not our pattern");
	CHECK(present(tmp_name("w.json", dead, "0123abcd.bak")), "a suffix is not our pattern");
	CHECK(present(tmp_name("w.json", 99999999999L, "0123abcd")), "an impossible pid is kept");
	snprintf(name, sizeof(name), "w.json.tmp-0%ld-0123abcd", (long)dead);
	CHECK(present(name), "a leading zero is not our pattern");
	snprintf(name, sizeof(name), "w.json.tmp--%ld-0123abcd", (long)dead);
	CHECK(present(name), "a negative pid is not our pattern");
	CHECK(present(tmp_name("w.json", dead, "aaaaaaaa")), "a symlink is kept");
	CHECK_STR(slurp("victim"), "victim");
	CHECK(present(tmp_name("w.json", dead, "bbbbbbbb")), "a directory is kept");
	CHECK(present(tmp_name("w.json", dead, "cccccccc")), "a fifo is kept");
	if (geteuid() == 0)
		CHECK(present(tmp_name("w.json", dead, "dddddddd")), "another user's file is kept");
	CHECK_STR(slurp("w.json"), "old");

	/* the writer gone and the lock released: now it goes */
	stop(locker);
	n = file_clean_temporaries(in_dir("w.json"));
	CHECK(n == 1, "removed %d once unlocked, want 1", n);
	CHECK(!present(tmp_name("w.json", dead, "89abcdef")), "an unlocked dead temporary is removed");

	/* a write cleans first, and leaves no temporary of its own */
	put(tmp_name("w.json", dead, "eeeeeeee"), "dead writer");
	CHECK(file_write_atomic(in_dir("w.json"), "new", 3, 0600, true, &e) == 0, "write: %s", e.msg);
	CHECK_STR(slurp("w.json"), "new");
	CHECK(!present(tmp_name("w.json", dead, "eeeeeeee")), "the write removed a dead temporary");
	CHECK(present(tmp_name("w.json", live, "0123abcd")), "the write kept a live one");
	CHECK(present(tmp_name("other.json", dead, "0123abcd")), "the write kept another file's");
	snprintf(name, sizeof(name), "w.json.tmp-%ld-", (long)getpid());
	CHECK(count_prefix(name) == 0, "no temporary of our own is left");

	/* refused (exists): nothing changes, leftovers included */
	put(tmp_name("w.json", dead, "ffffffff"), "dead writer");
	CHECK(file_write_atomic(in_dir("w.json"), "newer", 5, 0600, false, &e) == EHR_EUSAGE,
	      "refused");
	CHECK(strstr(e.msg, "exists") != NULL, "message: %s", e.msg);
	CHECK_STR(slurp("w.json"), "new");
	CHECK(present(tmp_name("w.json", dead, "ffffffff")), "a refused write removes nothing");

	/* a new file (link, not rename), and a path without a directory */
	put(tmp_name("n.json", dead, "01234567"), "dead writer");
	CHECK(file_write_atomic(in_dir("n.json"), "n", 1, 0600, false, &e) == 0, "write: %s", e.msg);
	CHECK_STR(slurp("n.json"), "n");
	CHECK(!present(tmp_name("n.json", dead, "01234567")), "a new file's write cleans too");
	snprintf(name, sizeof(name), "n.json.tmp-%ld-", (long)getpid());
	CHECK(count_prefix(name) == 0, "no temporary of our own is left by link");
	CHECK(chdir(dir) == 0, "chdir");
	n = file_clean_temporaries("w.json");
	CHECK(n == 1, "relative path: removed %d, want 1", n);
	CHECK(!present(tmp_name("w.json", dead, "ffffffff")), "relative path cleans");
	CHECK(present(tmp_name("w.json", live, "0123abcd")), "relative path keeps the live one");
	CHECK(chdir("/") == 0, "chdir");

	/* the live writer gone too, its PID no process: removed */
	stop(live);
	if (kill(live, 0) < 0 && errno == ESRCH) {
		CHECK(file_clean_temporaries(in_dir("w.json")) == 1, "the stopped writer's");
		CHECK(!present(tmp_name("w.json", live, "0123abcd")), "removed once its writer is gone");
	}
	CHECK(present(tmp_name("other.json", dead, "0123abcd")), "another file's temporary still there");
	CHECK(file_clean_temporaries(in_dir("missing/w.json")) == 0, "a missing directory is nothing");
	CHECK(file_clean_temporaries(in_dir("")) == 0, "a directory path is nothing");
}

int main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/ehr-fileio.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_clean();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
