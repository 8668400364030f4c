/* The pump of the record envelope (envelope.c): a second thread that reads
 * the input and hashes the envelope while the calling thread runs the
 * cipher. Not for use outside wallet/vault/envelope*.c.
 *
 * Work is split so that both cores are busy: when sealing, the calling
 * thread reads the input and encrypts, the worker hashes and writes the
 * envelope; when opening, the worker reads and hashes the envelope, the
 * caller decrypts and writes. Each side costs about what the other does.
 *
 * Sealing:  caller reads plaintext -> [in ring, its own] -> caller encrypts
 *           -> [out ring] -> worker hashes and writes the envelope.
 * Opening:  worker reads and hashes the envelope -> [in ring] -> caller
 *           decrypts and writes the plaintext.
 *
 * Each ring is a fixed set of slots handed back and forth through two
 * counting semaphores, in order. The worker reads until a read returns
 * nothing and passes that empty slot on too, so the caller always learns
 * where the input ends. When no thread can be started the worker's steps
 * run inline, on demand. */
#ifndef EHR_ENVELOPE_PUMP_H
#define EHR_ENVELOPE_PUMP_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wallet/base/sha256.h"
#include "wallet/vault/envelope.h"

#define CT_CHUNK (ENVELOPE_CHUNK + ENVELOPE_ABYTES)	/* a data chunk sealed */

/* A place to read an envelope from: a file descriptor, or memory. */
struct src {
	int fd;
	const uint8_t *mem;
	size_t len, pos;
};

/* Reads until n bytes or EOF; returns the count, or -1 with errno. */
ssize_t src_read(struct src *s, uint8_t *buf, size_t n);

#define SLOTS 8
#define SLOT_STRIDE ((CT_CHUNK + 63) & ~(size_t)63)

struct ring {
	uint8_t *mem;
	size_t len[SLOTS];
	unsigned head, tail;       /* next slot to fill, next slot to take filled */
	sem_t filled, vacant;
	bool sems;
};

struct pump {
	struct src *src;
	size_t read_size;          /* bytes per input slot */
	struct ring in, out;
	bool has_out;              /* sealing: the out ring exists */
	sha256_ctx *md;
	bool hash_in;              /* opening: hash what is read */
	int out_fd;                /* sealing: where the envelope goes, or -1 */
	bool eof;                  /* worker's: the empty read was passed on */
	int read_errno;            /* worker's, read by the caller after the empty slot */
	atomic_int write_errno;
	atomic_bool abort;
	bool threaded;
	pthread_t thread;
};

/* Starts p on s: input slots of read_size bytes; md hashes what is read
 * (opening) or what goes out (sealing: the envelope, also written to
 * out_fd when it is >= 0). A thread only for inputs worth one. -1 when
 * out of memory. */
int pump_start(struct pump *p, struct src *s, size_t read_size, sha256_ctx *md,
	       bool sealing, int out_fd);

/* Caller: the next input slot (its length 0 at the end of the input), then
 * hand it back. */
uint8_t *pump_in(struct pump *p, size_t *len);
void pump_in_done(struct pump *p);

/* Caller, sealing: a slot for envelope bytes, then hand it over. */
uint8_t *pump_out(struct pump *p);
void pump_out_done(struct pump *p, size_t len);

/* Caller: waits for the worker to finish; with abort, stops it early
 * (whatever it has not done is left undone). Returns the errno of the first
 * failed write, or 0. The rings stay allocated until pump_free. */
int pump_finish(struct pump *p, bool abort);
void pump_free(struct pump *p);

#endif
