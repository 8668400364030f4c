#include "keystore/agent.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/keys/eth.h"

/* ---- where ---------------------------------------------------------------- */

/* dir exists (made 0700 when create), is a directory of this user, and
 * nobody else may enter it. */
static int dir_private(const char *dir, bool create, ehr_err *e)
{
	struct stat st;

	if (create && mkdir(dir, 0700) && errno != EEXIST)
		return ehr_fail(e, EHR_EFAIL, "cannot make %s: %s", dir, strerror(errno));
	if (lstat(dir, &st))
		return ehr_fail(e, EHR_EFAIL, errno == ENOENT ? "no agent runs (no %s)" : "no agent runs (%s: %s)",
				dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return ehr_fail(e, EHR_EUSAGE, "%s is not a directory of this user closed to others "
				"(mode 0700): the agent will not use it", dir);
	return 0;
}

int agent_socket_path(char *out, size_t cap, bool create, ehr_err *e)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	char dir[256];
	int rc;

	if (run && *run) {
		if (snprintf(dir, sizeof(dir), "%s/ehr", run) >= (int)sizeof(dir))
			return ehr_fail(e, EHR_EUSAGE, "XDG_RUNTIME_DIR is too long for a socket path");
	} else {
		snprintf(dir, sizeof(dir), "/tmp/ehr-%lu", (unsigned long)geteuid());
	}
	if ((rc = dir_private(dir, create, e)))
		return rc;
	if (snprintf(out, cap, "%s/%s", dir, AGENT_SOCKET_NAME) >= (int)cap ||
	    strlen(out) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return ehr_fail(e, EHR_EUSAGE, "the agent's socket path %s is too long", dir);
	return 0;
}

void agent_wallet_id(const keystore *ks, uint8_t id[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, (const uint8_t *)"ehr-agent-wallet", 16, 32);
	crypto_generichash_update(&st, (const uint8_t *)ks->path, strlen(ks->path) + 1);
	crypto_generichash_update(&st, ks->salt, sizeof(ks->salt));
	crypto_generichash_update(&st, ks->nonce, sizeof(ks->nonce));
	crypto_generichash_update(&st, ks->ciphertext, ks->ciphertext_len);
	crypto_generichash_final(&st, id, 32);
}

/* ---- frames on a socket ----------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int frame_send(int fd, const uint8_t *body, size_t len)
{
	uint8_t head[4];

	agent_frame_head(len, head);
	return write_all(fd, head, 4) || write_all(fd, body, len) ? -1 : 0;
}

/* A frame's body into buf (cap >= AGENT_FRAME_MAX); its length, 0 on failure. */
static size_t frame_read(int fd, uint8_t *buf)
{
	uint8_t head[4];
	size_t n;

	if (read_all(fd, head, 4) || !(n = agent_frame_length(head)) || read_all(fd, buf, n))
		return 0;
	return n;
}

static uid_t peer_uid(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) || len != sizeof(cr))
		return (uid_t)-1;
	return cr.uid;
}

/* A socket and the address of path (agent_socket_path checked its length). */
static int socket_to(const char *path, struct sockaddr_un *sa)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa->sun_path, path, n);
	return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

/* ---- a command's side -------------------------------------------------------- */

int agent_connect(ehr_err *e)
{
	char path[300];
	struct sockaddr_un sa;
	struct timeval tv = { 30, 0 };
	int fd;

	if (agent_socket_path(path, sizeof(path), false, e))
		return -1;
	if ((fd = socket_to(path, &sa)) < 0)
		return ehr_fail(e, EHR_EFAIL, "no socket: %s", strerror(errno)), -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ehr_fail(e, EHR_EFAIL, "no agent answers at %s", path);
		close(fd);
		return -1;
	}
	if (peer_uid(fd) != geteuid()) {
		ehr_fail(e, EHR_EUSAGE, "the agent at %s is another user's", path);
		close(fd);
		return -1;
	}
	/* an agent that stops answering mid-request is one that is gone */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

int agent_call(int fd, const agent_request *r, uint8_t *reply, size_t cap, size_t want,
	       const uint8_t **payload, size_t *n, bool *lost, ehr_err *e)
{
	uint8_t body[AGENT_FRAME_MAX];
	size_t len = agent_request_encode(r, body, sizeof(body));

	*lost = false;
	if (!len)
		return ehr_fail(e, EHR_EUSAGE, "a request too large for the agent");
	if (cap < AGENT_FRAME_MAX || frame_send(fd, body, len) || !(len = frame_read(fd, reply))) {
		*lost = true;
		return ehr_fail(e, EHR_EFAIL, "the unlock agent stopped answering");
	}
	return agent_reply_parse(reply, len, want, payload, n, e);
}

int agent_lock(int fd, ehr_err *e)
{
	agent_request r = { .op = AGENT_LOCK };
	uint8_t reply[AGENT_FRAME_MAX];
	const uint8_t *p;
	size_t n;
	bool lost;
	int rc = agent_call(fd, &r, reply, sizeof(reply), 0, &p, &n, &lost, e);

	/* the agent closes its listening socket, then this connection: at
	 * the end of the file it no longer answers */
	while (!rc && read(fd, reply, sizeof(reply)) > 0)
		;
	close(fd);
	return rc;
}

/* ---- the agent's side --------------------------------------------------------- */

int agent_listen(const char *path, int *fd, ehr_err *e)
{
	struct sockaddr_un sa;
	ehr_err ignored = { 0 };
	int probe;

	if ((probe = agent_connect(&ignored)) >= 0) {
		close(probe);
		return ehr_fail(e, EHR_EUSAGE, "an agent already answers at %s", path);
	}
	unlink(path);  /* a stale socket: nobody answers on it */
	if ((*fd = socket_to(path, &sa)) < 0)
		return ehr_fail(e, EHR_EFAIL, "no socket: %s", strerror(errno));
	if (bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) || listen(*fd, 16)) {
		ehr_fail(e, EHR_EFAIL, "cannot listen at %s: %s", path, strerror(errno));
		close(*fd);
		unlink(path);
		return EHR_EFAIL;
	}
	return 0;
}

#define AGENT_CONNS 32
#define AGENT_CACHE 8

struct agent {
	keystore *ks;
	const char *name;
	uint8_t id[32];
	struct agent_limits lim;
	uint64_t idle_until;
	bool locked;
	uint32_t cached[AGENT_CACHE];
	keystore_keys *keys[AGENT_CACHE];   /* derived accounts, in secure memory */
	uint8_t *reply;                     /* secure memory: it may hold a data key */
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static uint64_t now_s(void)
{
	return (uint64_t)time(NULL);
}

/* The keys of account index, derived once and kept. */
static keystore_keys *account_keys(struct agent *a, uint32_t index, ehr_err *e)
{
	size_t i, slot = AGENT_CACHE;

	for (i = 0; i < AGENT_CACHE; i++) {
		if (a->keys[i] && a->cached[i] == index)
			return a->keys[i];
		if (!a->keys[i] && slot == AGENT_CACHE)
			slot = i;
	}
	if (slot == AGENT_CACHE) {          /* full: the oldest goes */
		keystore_keys_free(a->keys[0]);
		memmove(a->keys, a->keys + 1, (AGENT_CACHE - 1) * sizeof(a->keys[0]));
		memmove(a->cached, a->cached + 1, (AGENT_CACHE - 1) * sizeof(a->cached[0]));
		a->keys[slot = AGENT_CACHE - 1] = NULL;
	}
	if (!(a->keys[slot] = keystore_keys_new())) {
		ehr_fail(e, EHR_EFAIL, "out of secure memory");
		return NULL;
	}
	if (keystore_derive_index(a->ks->secret, index, a->keys[slot], e)) {
		keystore_keys_free(a->keys[slot]);
		a->keys[slot] = NULL;
		return NULL;
	}
	a->cached[slot] = index;
	return a->keys[slot];
}

static size_t status_reply(const struct agent *a, uint8_t *out)
{
	agent_status s = { .expires = a->lim.expires, .idle_until = a->idle_until,
			   .idle_s = a->lim.idle_s, .pid = (uint32_t)getpid() };
	uint8_t payload[AGENT_FRAME_MAX];
	size_t n;

	memcpy(s.wallet_id, a->id, 32);
	snprintf(s.name, sizeof(s.name), "%s", a->name);
	snprintf(s.path, sizeof(s.path), "%s", a->ks->path);
	n = agent_status_encode(&s, payload, sizeof(payload));
	return n ? agent_reply_ok(payload, n, out, AGENT_FRAME_MAX)
		 : agent_reply_error(EHR_EFAIL, "status too long", out, AGENT_FRAME_MAX);
}

/* KEYS: the public parts of an account, or of a path's key. */
static size_t keys_reply(struct agent *a, const agent_request *r, uint8_t *out, ehr_err *e)
{
	keystore_keys *k = NULL, *own = NULL;
	uint8_t pub[52];

	if (r->path[0]) {
		if ((own = keystore_keys_new()) && !keystore_derive(a->ks->secret, r->path, own, e))
			k = own;
		else if (!own)
			ehr_fail(e, EHR_EFAIL, "out of secure memory");
	} else {
		k = account_keys(a, r->index, e);
	}
	if (k) {
		memcpy(pub, k->address, 20);
		memcpy(pub + 20, k->enc_public, 32);
	}
	keystore_keys_free(own);
	return k ? agent_reply_ok(pub, sizeof(pub), out, AGENT_FRAME_MAX) : 0;
}

/* OPEN_MANY: the boxes are independent; a batch is shared among threads
 * (an X25519 each, most of the time audit's titles take). */
#define OPEN_THREADS_MAX 8

struct open_work {
	const agent_request *r;
	const keystore_keys *k;
	uint8_t *out;            /* per box: opened || plaintext */
	size_t first, stride;
};

static void *open_some(void *arg)
{
	const struct open_work *w = arg;
	size_t plen = w->r->box_len - crypto_box_SEALBYTES, i;

	for (i = w->first; i < w->r->count; i += w->stride) {
		uint8_t *o = w->out + i * (1 + plen);

		o[0] = !crypto_box_seal_open(o + 1, w->r->sealed + i * w->r->box_len, w->r->box_len,
					     w->k->enc_public, w->k->enc_secret);
		if (!o[0])
			sodium_memzero(o + 1, plen);
	}
	return NULL;
}

static size_t open_many_reply(const agent_request *r, const keystore_keys *k, uint8_t *out)
{
	struct open_work w[OPEN_THREADS_MAX];
	pthread_t th[OPEN_THREADS_MAX];
	bool started[OPEN_THREADS_MAX] = { false };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t use = r->count < 64 || cpus < 2 ? 1 : cpus > OPEN_THREADS_MAX ? OPEN_THREADS_MAX : (size_t)cpus;
	size_t t;

	for (t = 0; t < use; t++)
		w[t] = (struct open_work){ r, k, out + 1, t, use };
	for (t = 1; t < use; t++)
		started[t] = pthread_create(&th[t], NULL, open_some, &w[t]) == 0;
	for (t = 0; t < use; t++)
		if (!started[t])
			open_some(&w[t]);
	for (t = 1; t < use; t++)
		if (started[t])
			pthread_join(th[t], NULL);
	out[0] = 0;
	return 1 + r->count * (1 + r->box_len - crypto_box_SEALBYTES);
}

/* SIGN, OPEN and OPEN_MANY, with the account's keys. */
static size_t use_reply(struct agent *a, const agent_request *r, uint8_t *out, ehr_err *e)
{
	keystore_keys *k = account_keys(a, r->index, e);
	uint8_t sig[65];
	size_t n;

	if (!k)
		return 0;
	if (r->op == AGENT_SIGN)
		return eth_sign_hash(k->private_key, r->hash, sig, e) ? 0
			: agent_reply_ok(sig, sizeof(sig), out, AGENT_FRAME_MAX);
	if (sodium_memcmp(r->pk, k->enc_public, 32)) {
		ehr_fail(e, EHR_EAUTH, "that is not account %u's encryption key", r->index);
		return 0;
	}
	if (r->op == AGENT_OPEN_MANY)
		return open_many_reply(r, k, out);
	n = r->sealed_len - crypto_box_SEALBYTES;
	out[0] = 0;
	if (crypto_box_seal_open(out + 1, r->sealed, r->sealed_len, k->enc_public, k->enc_secret)) {
		ehr_fail(e, EHR_EAUTH, "not sealed to this account's encryption key");
		return 0;
	}
	return 1 + n;
}

/* The reply to one request body into a->reply; its length. */
static size_t answer(struct agent *a, const uint8_t *body, size_t len)
{
	agent_request r;
	ehr_err e = { 0 };
	size_t n = 0;

	if (agent_request_parse(body, len, &r, &e))
		return agent_reply_error(e.status, e.msg, a->reply, AGENT_FRAME_MAX);
	if (r.op == AGENT_STATUS)
		return status_reply(a, a->reply);
	if (r.op == AGENT_LOCK) {     /* whichever wallet: its user ends it */
		a->locked = true;
		return agent_reply_ok(NULL, 0, a->reply, AGENT_FRAME_MAX);
	}
	if (sodium_memcmp(r.wallet_id, a->id, 32))
		return agent_reply_error(EHR_EAUTH, "it holds another wallet", a->reply, AGENT_FRAME_MAX);
	a->idle_until = now_s() + a->lim.idle_s;
	if (a->idle_until > a->lim.expires)
		a->idle_until = a->lim.expires;
	n = r.op == AGENT_KEYS ? keys_reply(a, &r, a->reply, &e) : use_reply(a, &r, a->reply, &e);
	return n ? n : agent_reply_error(e.status ? e.status : EHR_EFAIL, e.msg[0] ? e.msg : "failed",
					 a->reply, AGENT_FRAME_MAX);
}

/* One readable connection: a request read whole (a command writes each at
 * once; a peer that stalls longer than the timeout is dropped), answered.
 * -1 when the connection is done. */
static int serve_one(struct agent *a, int fd)
{
	uint8_t body[AGENT_FRAME_MAX];
	size_t len, n;
	int rc;

	if (!(len = frame_read(fd, body)))
		return -1;
	n = answer(a, body, len);
	sodium_memzero(body, len);
	rc = n ? frame_send(fd, a->reply, n) : -1;
	sodium_memzero(a->reply, AGENT_FRAME_MAX);
	return rc;
}

/* A new connection: kept when its peer is this user, else told why and
 * closed. */
static void take_connection(int lfd, struct pollfd *pf, size_t *np)
{
	struct timeval tv = { 2, 0 };
	uint8_t out[AGENT_MESSAGE_MAX + 1];
	char why[AGENT_MESSAGE_MAX];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	size_t n;

	if (fd < 0)
		return;
	if (peer_uid(fd) != geteuid() || *np >= AGENT_CONNS) {
		snprintf(why, sizeof(why), *np >= AGENT_CONNS ? "too many connections"
			 : "refused: it serves user %lu only", (unsigned long)geteuid());
		if ((n = agent_reply_error(EHR_EAUTH, why, out, sizeof(out))))
			frame_send(fd, out, n);
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pf[*np].fd = fd;
	pf[*np].events = POLLIN;
	(*np)++;
}

/* Milliseconds until the nearer limit; 0 when one is reached. */
static int wait_ms(const struct agent *a)
{
	uint64_t now = now_s(), until = a->idle_until < a->lim.expires ? a->idle_until : a->lim.expires;

	if (now >= until)
		return 0;
	return until - now > 86400 ? 86400000 : (int)(until - now) * 1000;
}

static void serve_loop(struct agent *a, int lfd)
{
	struct pollfd pf[AGENT_CONNS + 1];
	sigset_t stops, none;
	size_t np = 1, i;
	int ms;

	/* the stop signals arrive only inside ppoll, so none is missed */
	sigemptyset(&none);
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_BLOCK, &stops, NULL);

	pf[0].fd = lfd;
	pf[0].events = POLLIN;
	while (!a->locked && !stop_signal && (ms = wait_ms(a)) > 0) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		if (ppoll(pf, np, &ts, &none) < 0)
			continue;   /* EINTR: a signal, seen above */
		for (i = np; i-- > 1;)
			if (pf[i].revents && serve_one(a, pf[i].fd)) {
				close(pf[i].fd);
				pf[i] = pf[--np];
			}
		if (pf[0].revents & POLLIN)
			take_connection(lfd, pf, &np);
	}
	close(lfd);    /* first: once a connection ends, nothing answers */
	for (i = 1; i < np; i++)
		close(pf[i].fd);
}

/* Memory locks do not pass to a child of fork(): the secret moves into
 * memory locked by this process (keystore_secret_new), the inherited copy
 * wiped, so it cannot be swapped out. */
static int relock_secret(keystore *ks, ehr_err *e)
{
	keystore_secret *s = keystore_secret_new();

	if (!s)
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	memcpy(s, ks->secret, sizeof(*s));
	keystore_secret_free(ks->secret);
	ks->secret = s;
	return 0;
}

int agent_serve(int listen_fd, const char *path, keystore *ks, const char *name,
		const struct agent_limits *l, int ready_fd, ehr_err *e)
{
	struct agent a = { .ks = ks, .name = name, .lim = *l };
	struct sigaction sa = { .sa_handler = on_stop };
	struct stat st, own = { 0 };
	size_t i;

	if (relock_secret(ks, e) || !(a.reply = sodium_malloc(AGENT_FRAME_MAX))) {
		keystore_free(ks);
		close(listen_fd);
		unlink(path);
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	}
	lstat(path, &own);
	agent_wallet_id(ks, a.id);
	a.idle_until = now_s() + l->idle_s < l->expires ? now_s() + l->idle_s : l->expires;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "r", 1);
		close(ready_fd);
	}
	serve_loop(&a, listen_fd);
	/* the socket is removed only while it is still this agent's: a new
	 * agent may have replaced it after a LOCK */
	if (!lstat(path, &st) && st.st_ino == own.st_ino && st.st_dev == own.st_dev)
		unlink(path);
	for (i = 0; i < AGENT_CACHE; i++)
		keystore_keys_free(a.keys[i]);
	sodium_free(a.reply);
	keystore_free(ks);
	return 0;
}
