/* A real anvil for the unit tests that need a node: started on a free
 * loopback port (anvil picks it: --port 0), stopped by its pid (and killed
 * with the test if the test dies first). */
#ifndef EHR_TEST_ANVIL_H
#define EHR_TEST_ANVIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct anvil {
	pid_t pid;
	char url[64];
};

/* Starts anvil (with --hardfork when not NULL); its URL in a->url.
 * Returns 0, or -1 when it did not come up. */
static inline int start_anvil(const char *anvil, struct anvil *a, const char *hardfork)
{
	char log_path[] = "/tmp/ehr-test-chain-XXXXXX", buf[8192], *at;
	int fd, waited;
	unsigned port = 0;

	memset(a, 0, sizeof(*a));
	if ((fd = mkstemp(log_path)) < 0)
		return -1;
	unlink(log_path);
	a->pid = fork();
	if (a->pid < 0) {
		close(fd);
		return -1;
	}
	if (a->pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (hardfork)
			execl(anvil, "anvil", "--host", "127.0.0.1", "--port", "0",
			      "--hardfork", hardfork, (char *)NULL);
		else
			execl(anvil, "anvil", "--host", "127.0.0.1", "--port", "0", (char *)NULL);
		_exit(127);
	}
	for (waited = 0; waited < 300 && !port; waited++) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		if ((at = strstr(buf, "Listening on 127.0.0.1:")))
			port = (unsigned)strtoul(at + 23, NULL, 10);
		else if (waitpid(a->pid, NULL, WNOHANG) == a->pid)
			break;
		else
			usleep(50000);
	}
	close(fd);
	if (!port) {
		if (a->pid > 0 && waitpid(a->pid, NULL, WNOHANG) == 0) {
			kill(a->pid, SIGKILL);
			waitpid(a->pid, NULL, 0);
		}
		a->pid = 0;
		return -1;
	}
	snprintf(a->url, sizeof(a->url), "http://127.0.0.1:%u", port);
	return 0;
}

static inline void stop_anvil(struct anvil *a)
{
	if (a->pid > 0) {
		kill(a->pid, SIGTERM);
		waitpid(a->pid, NULL, 0);
		a->pid = 0;
	}
}

#endif
