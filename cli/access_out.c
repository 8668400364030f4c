#include "cli/access_out.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wallet/base/fileio.h"

#define LIST_LINE_MAX 600

/* The folder dir is in: everything before its last '/', "." for none. */
static void parent_of(const char *dir, char *out, size_t cap)
{
	const char *slash;
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	for (slash = dir + len; slash > dir && slash[-1] != '/'; slash--)
		;
	if (slash == dir) {
		snprintf(out, cap, ".");
		return;
	}
	len = (size_t)(slash - dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	snprintf(out, cap, "%.*s", (int)len, dir);
}

/* True when dir holds nothing but "." and "..". */
static bool dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (ent = readdir(d)))
		empty = !strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..");
	closedir(d);
	return empty;
}

int access_out_check(const char *dir, bool force, ehr_err *e)
{
	char parent[4096], list[4200];
	struct stat st;

	if (stat(dir, &st)) {
		if (errno != ENOENT && errno != ENOTDIR)
			return ehr_fail(e, EHR_EUSAGE, "cannot write into %s: %s", dir, strerror(errno));
		/* missing parents are made too: the nearest that exists decides */
		parent_of(dir, parent, sizeof(parent));
		while (stat(parent, &st) && (errno == ENOENT || errno == ENOTDIR) && strcmp(parent, ".") && strcmp(parent, "/"))
			parent_of(strcpy(list, parent), parent, sizeof(parent));
		if (stat(parent, &st) || !S_ISDIR(st.st_mode))
			return ehr_fail(e, EHR_EUSAGE, "cannot write into %s: %s is not a folder", dir, parent);
		if (access(parent, W_OK | X_OK))
			return ehr_fail(e, EHR_EUSAGE, "cannot write into %s: %s is not writable", dir, parent);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return ehr_fail(e, EHR_EUSAGE, "cannot write into %s: it is not a folder", dir);
	if (access(dir, W_OK | X_OK))
		return ehr_fail(e, EHR_EUSAGE, "cannot write into %s: it is not writable", dir);
	snprintf(list, sizeof(list), "%s/%s", dir, ACCESS_OUT_LIST);
	if (force || file_exists(list) || dir_empty(dir))
		return 0;
	return ehr_fail(e, EHR_EUSAGE, "%s is not empty and no earlier 'ehr access' wrote into it: "
			"give a new or empty folder with -o, or --force to write into it anyway", dir);
}

bool access_out_fetched(const char *dir, uint64_t id, char *name, size_t cap)
{
	char list[4200], line[LIST_LINE_MAX];
	bool found = false;
	FILE *f;

	snprintf(list, sizeof(list), "%s/%s", dir, ACCESS_OUT_LIST);
	if (!(f = fopen(list, "r")))
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *end, *sp = strchr(line, ' ');
		uint64_t v;

		line[strcspn(line, "\n")] = '\0';
		if (!sp)
			continue;
		errno = 0;
		v = strtoull(line, &end, 10);
		if (errno || end != sp || v != id)
			continue;
		snprintf(name, cap, "%s", sp + 1);
		found = true;
	}
	fclose(f);
	return found;
}

int access_out_note(const char *dir, uint64_t id, const char *file, ehr_err *e)
{
	char list[4200];
	const char *base = strrchr(file, '/');
	FILE *f;
	int fd, bad;

	snprintf(list, sizeof(list), "%s/%s", dir, ACCESS_OUT_LIST);
	if ((fd = open(list, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return ehr_fail(e, EHR_EFAIL, "cannot write %s: %s", list, strerror(errno));
	if (!(f = fdopen(fd, "a"))) {
		close(fd);
		return ehr_fail(e, EHR_EFAIL, "cannot write %s: %s", list, strerror(errno));
	}
	bad = fprintf(f, "%" PRIu64 " %s\n", id, base ? base + 1 : file) < 0;
	bad |= fclose(f) != 0;
	return bad ? ehr_fail(e, EHR_EFAIL, "cannot write %s", list) : 0;
}
