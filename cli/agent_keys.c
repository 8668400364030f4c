#include "cli/agent_keys.h"
#include "cli/ehr.h"
#include "cli/session.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keystore/agent.h"
#include "wallet/keys/eth.h"
#include "wallet/keys/keyholder.h"

/* The agent this process asks, for one account of one wallet. */
static struct held {
	pthread_mutex_t lock;      /* one request at a time on fd (audit opens from threads) */
	int fd;
	keystore *ks;
	uint32_t index;
	uint8_t id[32];
	uint8_t *reply;            /* secure memory: a reply may hold a data key */
	keystore_keys *local;      /* after the agent stopped answering: unlocked here */
	int local_rc;              /* that fallback's outcome once tried */
	ehr_err local_err;
} held = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

bool agent_wanted(void)
{
	const char *v = getenv("EHR_AGENT");

	return !(v && !strcmp(v, "0"));
}

/* The agent is gone: unlock here (asking for the passphrase), once. */
static int fall_back(ehr_err *e)
{
	if (!held.local && !held.local_rc) {
		fprintf(stderr, "ehr: the unlock agent stopped answering; asking for the passphrase\n");
		if (!(held.local_rc = session_unlock_open(held.ks, &held.local_err))) {
			if (!(held.local = keystore_keys_new()))
				held.local_rc = ehr_fail(&held.local_err, EHR_EFAIL, "out of secure memory");
			else if ((held.local_rc = keystore_derive_index(held.ks->secret, held.index,
									 held.local, &held.local_err))) {
				keystore_keys_free(held.local);
				held.local = NULL;
			}
		}
		if (held.local_rc)
			ehr_wrap(&held.local_err, "the unlock agent stopped answering");
	}
	if (held.local_rc)
		return ehr_fail(e, held.local_rc, "%s", held.local_err.msg);
	return 0;
}

/* One request with the account's keys: 0 and its payload in *payload, *n;
 * HELD_HERE when the agent is gone and the keys are now held here
 * (held.local); else the failure's status (e says why). */
#define HELD_HERE (-1)

static int ask(agent_request *r, size_t want, const uint8_t **payload, size_t *n, ehr_err *e)
{
	bool lost = false;
	int rc;

	if (held.local)
		return HELD_HERE;
	memcpy(r->wallet_id, held.id, 32);
	r->index = held.index;
	if (held.fd >= 0 &&
	    !(rc = agent_call(held.fd, r, held.reply, AGENT_FRAME_MAX, want, payload, n, &lost, e)))
		return 0;
	if (held.fd >= 0 && !lost)
		return rc;
	if (held.fd >= 0)
		close(held.fd);
	held.fd = -1;
	return (rc = fall_back(e)) ? rc : HELD_HERE;
}

static int held_sign(void *arg, const uint8_t hash[32], uint8_t sig[65], ehr_err *e)
{
	agent_request r = { .op = AGENT_SIGN };
	const uint8_t *p;
	size_t n;
	int rc;

	(void)arg;
	memcpy(r.hash, hash, 32);
	pthread_mutex_lock(&held.lock);
	if (!(rc = ask(&r, 65, &p, &n, e)))
		memcpy(sig, p, 65);
	else if (rc == HELD_HERE)
		rc = eth_sign_hash(held.local->private_key, hash, sig, e);
	pthread_mutex_unlock(&held.lock);
	return rc;
}

static int held_open(void *arg, const uint8_t *sealed, size_t len, const uint8_t pk[32],
		     uint8_t *out, ehr_err *e)
{
	agent_request r = { .op = AGENT_OPEN, .sealed = sealed, .sealed_len = len };
	const uint8_t *p;
	size_t n;
	int rc;

	(void)arg;
	memcpy(r.pk, pk, 32);
	pthread_mutex_lock(&held.lock);
	if (!(rc = ask(&r, len - crypto_box_SEALBYTES, &p, &n, e)))
		memcpy(out, p, n);
	else if (rc == HELD_HERE)
		rc = sealed_box_open(out, sealed, len, pk, held.local->enc_secret, e);
	if (held.reply)
		sodium_memzero(held.reply, AGENT_FRAME_MAX);
	pthread_mutex_unlock(&held.lock);
	return rc ? -1 : 0;
}

/* Up to agent_open_many_max boxes in one request; held.lock held. */
static int open_chunk(const uint8_t *boxes, size_t box_len, size_t n, const uint8_t pk[32],
		      uint8_t *out, bool *ok, ehr_err *e)
{
	agent_request r = { .op = AGENT_OPEN_MANY, .sealed = boxes, .sealed_len = n * box_len,
			    .box_len = box_len, .count = n };
	size_t plen = box_len - crypto_box_SEALBYTES, got, i;
	const uint8_t *p;
	int rc;

	memcpy(r.pk, pk, 32);
	if (!(rc = ask(&r, n * (1 + plen), &p, &got, e))) {
		for (i = 0; i < n; i++, p += 1 + plen) {
			ok[i] = p[0] == 1;
			memcpy(out + i * plen, p + 1, plen);
		}
	} else if (rc == HELD_HERE) {
		for (i = 0; i < n; i++)
			ok[i] = !sealed_box_open(out + i * plen, boxes + i * box_len, box_len, pk,
						 held.local->enc_secret, NULL);
		rc = 0;
	}
	sodium_memzero(held.reply, AGENT_FRAME_MAX);
	return rc;
}

static int held_open_many(void *arg, const uint8_t *boxes, size_t box_len, size_t n,
			  const uint8_t pk[32], uint8_t *out, bool *ok, ehr_err *e)
{
	size_t per = agent_open_many_max(box_len), plen = box_len - crypto_box_SEALBYTES, i, m;
	int rc = 0;

	(void)arg;
	if (!per)
		return ehr_fail(e, EHR_EUSAGE, "boxes of %zu bytes are not for the agent", box_len);
	pthread_mutex_lock(&held.lock);
	for (i = 0; i < n && !rc; i += m) {
		m = n - i < per ? n - i : per;
		rc = open_chunk(boxes + i * box_len, box_len, m, pk, out + i * plen, ok + i, e);
	}
	pthread_mutex_unlock(&held.lock);
	return rc;
}

static const struct key_holder agent_holder = { held_sign, held_open, held_open_many, NULL };

/* The public parts of a KEYS reply into fresh keys. */
static int keys_from_reply(const uint8_t *p, keystore_keys **keys, ehr_err *e)
{
	if (!(*keys = keystore_keys_new()))
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	memcpy((*keys)->address, p, 20);
	memcpy((*keys)->enc_public, p + 20, 32);
	return 0;
}

int agent_keys(keystore *ks, const char *path, uint32_t index, keystore_keys **keys, ehr_err *e)
{
	agent_request r = { .op = AGENT_KEYS, .index = index };
	const uint8_t *p;
	size_t n;
	bool lost, reuse = held.fd >= 0 && held.ks == ks;
	int fd, rc;

	*keys = NULL;
	if (!agent_wanted())
		return ehr_fail(e, EHR_EFAIL, "EHR_AGENT=0: the agent is not asked");
	if (path && snprintf(r.path, sizeof(r.path), "%s", path) >= (int)sizeof(r.path))
		return ehr_fail(e, EHR_EUSAGE, "a path too long for the agent");
	if (!held.reply && !(held.reply = sodium_malloc(AGENT_FRAME_MAX)))
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	if ((fd = reuse ? held.fd : agent_connect(e)) < 0)
		return EHR_EFAIL;
	agent_wallet_id(ks, r.wallet_id);
	if (!(rc = agent_call(fd, &r, held.reply, AGENT_FRAME_MAX, 52, &p, &n, &lost, e)))
		rc = keys_from_reply(p, keys, e);
	if (rc || path) {
		if (!reuse)
			close(fd);
		return rc;
	}
	/* an account's keys: the agent now holds them for this process */
	held.fd = fd;
	held.ks = ks;
	held.index = index;
	memcpy(held.id, r.wallet_id, 32);
	key_holder_set(&agent_holder);
	return 0;
}

void agent_keys_done(void)
{
	key_holder_set(NULL);
	if (held.fd >= 0)
		close(held.fd);
	keystore_keys_free(held.local);
	sodium_free(held.reply);
	held.fd = -1;
	held.ks = NULL;
	held.local = NULL;
	held.reply = NULL;
	held.local_rc = 0;
}
