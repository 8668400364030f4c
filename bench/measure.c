/*
 * measure: run one command once and append how long it took and how much
 * memory it used to a file, for bench/run.sh.
 *
 *	measure OUT [-e ERRFILE] -- COMMAND [ARG...]
 *
 * Appends one line "SECONDS MAXRSS_KIB" to OUT, where SECONDS is the wall
 * time from fork to reaping the child (CLOCK_MONOTONIC) and MAXRSS_KIB the
 * child's peak resident set size from wait4(2). The command's stdin is
 * /dev/null, its stdout is discarded, its stderr goes to ERRFILE (else
 * discarded) so a failing run can be shown. Exits 0 when the command
 * succeeded; otherwise writes nothing to OUT and exits 1 (or 127 when the
 * command could not be started), so a benchmark never counts a failed run.
 *
 * Timing happens here and not in the shell so that the shell's own forks
 * and the file I/O between runs are not counted against either side.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fputs("usage: measure OUT [-e ERRFILE] -- COMMAND [ARG...]\n", stderr);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int redirect(int fd, const char *path, int flags)
{
	int f = open(path, flags, 0600);

	if (f < 0)
		return -1;
	if (f != fd) {
		if (dup2(f, fd) < 0)
			return -1;
		close(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *out, *errfile = "/dev/null";
	struct rusage ru;
	double start, elapsed;
	int argi = 2, status;
	pid_t pid;
	FILE *f;

	if (argc < 4)
		usage();
	out = argv[1];
	if (strcmp(argv[argi], "-e") == 0) {
		if (argi + 1 >= argc)
			usage();
		errfile = argv[argi + 1];
		argi += 2;
	}
	if (argi >= argc || strcmp(argv[argi], "--") != 0 || argi + 1 >= argc)
		usage();
	argi++;

	start = now();
	pid = fork();
	if (pid < 0) {
		perror("measure: fork");
		return 1;
	}
	if (pid == 0) {
		if (redirect(0, "/dev/null", O_RDONLY) < 0 ||
		    redirect(1, "/dev/null", O_WRONLY) < 0 ||
		    redirect(2, errfile, O_WRONLY | O_CREAT | O_TRUNC) < 0)
			_exit(127);
		execvp(argv[argi], argv + argi);
		fprintf(stderr, "measure: %s: %s\n", argv[argi], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("measure: wait4");
			return 1;
		}
	}
	elapsed = now() - start;

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status))
			fprintf(stderr, "measure: %s exited %d\n", argv[argi], WEXITSTATUS(status));
		else
			fprintf(stderr, "measure: %s killed by signal %d\n", argv[argi], WTERMSIG(status));
		return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? 127 : 1;
	}
	f = fopen(out, "a");
	if (!f) {
		perror(out);
		return 1;
	}
	fprintf(f, "%.6f %ld\n", elapsed, ru.ru_maxrss);
	if (fclose(f) != 0) {
		perror(out);
		return 1;
	}
	return 0;
}
