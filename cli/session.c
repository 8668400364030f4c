#include "cli/session.h"
#include "cli/ehr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/agent_keys.h"
#include "wallet/base/fileio.h"
#include "wallet/base/paths.h"

#define SECRET_LINE_MAX 1024

int session_wallet_path(char *out, size_t cap, ehr_err *e)
{
	return paths_wallet_file(g.wallet, out, cap, e);
}

int session_open(keystore **ks, ehr_err *e)
{
	char path[4096];
	int rc;

	if ((rc = session_wallet_path(path, sizeof(path), e)))
		return rc;
	if ((rc = keystore_open(path, ks, e)) && e->status == EHR_EAUTH)
		ehr_fail(e, EHR_EAUTH, "no wallet named '%s' (create one with 'ehr init' or 'ehr restore')",
			 g.wallet);
	return rc;
}

int prompt_secret(const char *prompt, char **out, size_t *len, ehr_err *e)
{
	struct termios old, quiet;
	char *buf;
	size_t n = 0;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), rc = 0;

	if (fd < 0 || tcgetattr(fd, &old) < 0) {
		if (fd >= 0)
			close(fd);
		return ehr_fail(e, EHR_EAUTH,
				"no terminal to ask for the %s on: use --passphrase-file FILE or --passphrase-fd N",
				prompt);
	}
	if (!(buf = sodium_malloc(SECRET_LINE_MAX + 1))) {
		close(fd);
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* quiet before the prompt: what is typed once the prompt shows must
	 * not be flushed with what was typed ahead of it */
	tcsetattr(fd, TCSAFLUSH, &quiet);
	dprintf(fd, "%s: ", prompt);
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n == SECRET_LINE_MAX) {
			rc = ehr_fail(e, EHR_EUSAGE, "the %s is longer than %d bytes", prompt, SECRET_LINE_MAX);
			break;
		}
		buf[n++] = c;
	}
	tcsetattr(fd, TCSANOW, &old);
	dprintf(fd, "\n");
	close(fd);
	if (!rc && n == 0)
		rc = ehr_fail(e, EHR_EUSAGE, "empty %s", prompt);
	if (rc) {
		sodium_free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int session_passphrase(const char *prompt, bool confirm_it, char **pass, size_t *len, ehr_err *e)
{
	if (g.passphrase_fd >= 0)
		return passphrase_from_fd(g.passphrase_fd, pass, len, e);
	if (g.passphrase_file)
		return passphrase_from_file(g.passphrase_file, pass, len, e);
	if (confirm_it)
		return prompt_secret_twice(prompt, pass, len, e);
	return prompt_secret(prompt, pass, len, e);
}

int prompt_secret_twice(const char *prompt, char **pass, size_t *len, ehr_err *e)
{
	char *again;
	size_t again_len;
	int rc;

	if ((rc = prompt_secret(prompt, pass, len, e)))
		return rc;
	if ((rc = prompt_secret("the same again", &again, &again_len, e))) {
		sodium_free(*pass);
		return rc;
	}
	rc = again_len != *len || sodium_memcmp(again, *pass, *len);
	sodium_free(again);
	if (rc) {
		sodium_free(*pass);
		return ehr_fail(e, EHR_EUSAGE, "the two entries differ");
	}
	return 0;
}

int session_unlock_open(keystore *ks, ehr_err *e)
{
	char *pass, prompt[128];
	size_t len;
	int rc;

	snprintf(prompt, sizeof(prompt), "passphrase for wallet '%s'", g.wallet);
	if (!(rc = session_passphrase(prompt, false, &pass, &len, e))) {
		rc = keystore_unlock(ks, pass, len, e);
		sodium_free(pass);
	}
	return rc;
}

int session_unlock(keystore **ks, ehr_err *e)
{
	int rc;

	if ((rc = session_open(ks, e)))
		return rc;
	if ((rc = session_unlock_open(*ks, e))) {
		keystore_free(*ks);
		*ks = NULL;
	}
	return rc;
}

int session_keys(keystore *ks, const char *path, uint32_t index, keystore_keys **keys, ehr_err *e)
{
	ehr_err why = { 0 };
	int rc;

	if (!ks->secret) {
		if (!(rc = agent_keys(ks, path, index, keys, &why)))
			return 0;
		/* what the agent refused for this wallet (a path an imported key
		 * lacks) the passphrase would not change; anything else: ask */
		if (rc == EHR_EUSAGE)
			return ehr_fail(e, rc, "%s", why.msg);
		if ((rc = session_unlock_open(ks, e)))
			return rc;
	}
	if (!(*keys = keystore_keys_new()))
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	rc = path ? keystore_derive(ks->secret, path, *keys, e)
		  : keystore_derive_index(ks->secret, index, *keys, e);
	if (rc) {
		keystore_keys_free(*keys);
		*keys = NULL;
	}
	return rc;
}

uint32_t session_account(void)
{
	return g.account >= 0 ? (uint32_t)g.account : 0;
}

int confirm(const char *question, ehr_err *e)
{
	char answer[16];
	FILE *tty;

	if (g.yes)
		return 0;
	if (!isatty(STDIN_FILENO) || !(tty = fopen("/dev/tty", "r+")))
		return ehr_fail(e, EHR_EUSAGE, "%s: no terminal to confirm on (use --yes)", question);
	fprintf(tty, "%s [y/N] ", question);
	fflush(tty);
	if (!fgets(answer, sizeof(answer), tty))
		answer[0] = '\0';
	fclose(tty);
	if (answer[0] == 'y' || answer[0] == 'Y')
		return 0;
	return ehr_fail(e, EHR_EFAIL, "cancelled");
}

int prompt_line(const char *question, char *out, size_t cap, ehr_err *e)
{
	FILE *tty;
	size_t n;

	out[0] = '\0';
	if (!isatty(STDIN_FILENO) || !(tty = fopen("/dev/tty", "r+")))
		return ehr_fail(e, EHR_EUSAGE, "%s: no terminal to ask on", question);
	fprintf(tty, "%s ", question);
	fflush(tty);
	if (!fgets(out, (int)cap, tty))
		out[0] = '\0';
	fclose(tty);
	n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' ' || out[n - 1] == '\t'))
		out[--n] = '\0';
	return 0;
}

int secret_line_from_file(const char *path, char **out, size_t *len, ehr_err *e)
{
	char *buf;
	size_t n, start = 0, end;
	int rc;

	if ((rc = file_read_secret(path, SECRET_LINE_MAX, &buf, &n, e)))
		return rc;
	while (start < n && (buf[start] == ' ' || buf[start] == '\t' || buf[start] == '\n' || buf[start] == '\r'))
		start++;
	for (end = start; end < n && buf[end] != '\n'; end++)
		;
	while (end > start && (buf[end - 1] == ' ' || buf[end - 1] == '\t' || buf[end - 1] == '\r'))
		end--;
	memmove(buf, buf + start, end - start);
	sodium_memzero(buf + (end - start), n - (end - start));
	buf[end - start] = '\0';
	if (end == start) {
		sodium_free(buf);
		return ehr_fail(e, EHR_EUSAGE, "%s is empty", path);
	}
	*out = buf;
	*len = end - start;
	return 0;
}

int load_bip39_passphrase(const char *file, keystore_secret *s, ehr_err *e)
{
	char *pass;
	size_t len;
	int rc;

	if (!file)
		return 0;
	if ((rc = passphrase_from_file(file, &pass, &len, e)))
		return rc;
	if (len > KEYSTORE_BIP39_PASS_MAX) {
		sodium_free(pass);
		return ehr_fail(e, EHR_EUSAGE, "the BIP39 passphrase is longer than %d bytes",
				KEYSTORE_BIP39_PASS_MAX);
	}
	memcpy(s->bip39_pass, pass, len + 1);
	s->bip39_pass_len = (uint16_t)len;
	sodium_free(pass);
	return 0;
}

