/* The pump (envelope_pump.h): rings of slots handed between the caller and
 * a worker thread through counting semaphores. */
#include "wallet/vault/envelope_pump.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/base/fileio.h"

#define SLOT_STOP SIZE_MAX

/* Reads until n bytes or EOF; returns the count, or -1 with errno. */
ssize_t src_read(struct src *s, uint8_t *buf, size_t n)
{
	if (!s->mem)
		return read_full(s->fd, buf, n);
	if (n > s->len - s->pos)
		n = s->len - s->pos;
	memcpy(buf, s->mem + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static void sem_wait_nointr(sem_t *s)
{
	while (sem_wait(s) < 0 && errno == EINTR)
		;
}

static int ring_init(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	if (!(r->mem = malloc(SLOTS * SLOT_STRIDE)))
		return -1;
	if (sem_init(&r->filled, 0, 0) < 0 || sem_init(&r->vacant, 0, SLOTS) < 0)
		return -1;
	r->sems = true;
	return 0;
}

static void ring_free(struct ring *r)
{
	if (r->sems) {
		sem_destroy(&r->filled);
		sem_destroy(&r->vacant);
	}
	if (r->mem) {
		/* plaintext passes through the rings when sealing */
		sodium_memzero(r->mem, SLOTS * SLOT_STRIDE);
		free(r->mem);
	}
	memset(r, 0, sizeof(*r));
}

static uint8_t *ring_slot(struct ring *r, unsigned i)
{
	return r->mem + (size_t)i * SLOT_STRIDE;
}

/* Producer side: wait for the next slot, fill it, hand it over. */
static uint8_t *ring_take_vacant(struct ring *r)
{
	sem_wait_nointr(&r->vacant);
	return ring_slot(r, r->head);
}

static void ring_give_filled(struct ring *r, size_t len)
{
	r->len[r->head] = len;
	r->head = (r->head + 1) % SLOTS;
	sem_post(&r->filled);
}

/* Consumer side: wait for the next filled slot, use it, give it back. */
static uint8_t *ring_take_filled(struct ring *r, size_t *len)
{
	unsigned i = r->tail;

	sem_wait_nointr(&r->filled);
	r->tail = (i + 1) % SLOTS;
	*len = r->len[i];
	return ring_slot(r, i);
}

/* Slots are given back in the order they were taken (the caller may hold
 * two: a chunk and the one after it). */
static void ring_give_vacant(struct ring *r)
{
	sem_post(&r->vacant);
}

/* Worker step: read into the slot from ring_take_vacant (hashing it when
 * opening) and pass it on. */
static void pump_read_into(struct pump *p, uint8_t *slot)
{
	ssize_t n;

	if (atomic_load(&p->abort)) {
		ring_give_filled(&p->in, 0);
		p->eof = true;
		return;
	}
	n = src_read(p->src, slot, p->read_size);
	if (n < 0) {
		p->read_errno = errno ? errno : EIO;
		n = 0;
	}
	if (p->hash_in)
		sha256_update(p->md, slot, (size_t)n);
	ring_give_filled(&p->in, (size_t)n);
	if (n == 0)
		p->eof = true;
}

static void pump_read(struct pump *p)
{
	if (!p->eof)
		pump_read_into(p, ring_take_vacant(&p->in));
}

/* Worker step: hash and write the envelope slot from ring_take_filled;
 * false at the end. */
static bool pump_write_from(struct pump *p, const uint8_t *slot, size_t len)
{
	if (len == SLOT_STOP || atomic_load(&p->abort))
		return false;
	sha256_update(p->md, slot, len);
	if (p->out_fd >= 0 && !atomic_load(&p->write_errno) &&
	    write_full(p->out_fd, slot, len) < 0)
		atomic_store(&p->write_errno, errno ? errno : EIO);
	ring_give_vacant(&p->out);
	return true;
}

static bool pump_write(struct pump *p)
{
	size_t len;
	const uint8_t *slot = ring_take_filled(&p->out, &len);

	return pump_write_from(p, slot, len);
}

static void *pump_worker(void *arg)
{
	struct pump *p = arg;

	if (!p->has_out) {
		while (!p->eof && !atomic_load(&p->abort))
			pump_read(p);
		return NULL;
	}
	/* Sealing: hash and write each envelope slot as it comes (the caller
	 * reads the input itself: see pump_in) */
	while (pump_write(p))
		;
	return NULL;
}

void pump_free(struct pump *p)
{
	ring_free(&p->in);
	if (p->has_out)
		ring_free(&p->out);
}

/* Below this many bytes a second thread costs more than it saves: the
 * steps run inline (a provider's upload seals thousands of small files). */
#define PUMP_THREAD_MIN (1u << 20)

/* Whether the input is worth a thread: unknown sizes (pipes) and large
 * files are. */
static bool worth_a_thread(const struct src *s)
{
	struct stat sb;

	if (s->mem)
		return s->len - s->pos >= PUMP_THREAD_MIN;
	if (fstat(s->fd, &sb) || !S_ISREG(sb.st_mode))
		return true;
	return sb.st_size - lseek(s->fd, 0, SEEK_CUR) >= (off_t)PUMP_THREAD_MIN;
}

int pump_start(struct pump *p, struct src *s, size_t read_size, sha256_ctx *md,
		      bool sealing, int out_fd)
{
	memset(p, 0, sizeof(*p));
	p->src = s;
	p->read_size = read_size;
	p->md = md;
	p->has_out = sealing;
	p->hash_in = !sealing;
	p->out_fd = out_fd;
	atomic_init(&p->write_errno, 0);
	atomic_init(&p->abort, false);
	if (ring_init(&p->in) < 0 || (sealing && ring_init(&p->out) < 0)) {
		pump_free(p);
		return -1;
	}
	p->threaded = worth_a_thread(s) && pthread_create(&p->thread, NULL, pump_worker, p) == 0;
	return 0;
}

/* Caller: the next input slot; its length is 0 at the end of the input.
 * When sealing, the caller reads it itself: libcrypto's cipher (sstream.c)
 * takes about a third of the time of the worker's SHA-256, so reading on
 * the worker made it the bottleneck (sealing 1 GiB: 0.5 s of cipher, 0.9 s
 * of reading and hashing); this way the two threads are about even. */
uint8_t *pump_in(struct pump *p, size_t *len)
{
	if (!p->threaded || p->has_out)
		pump_read(p);
	return ring_take_filled(&p->in, len);
}

void pump_in_done(struct pump *p)
{
	ring_give_vacant(&p->in);
}

/* Caller, sealing: a slot for envelope bytes, then hand it over. */
uint8_t *pump_out(struct pump *p)
{
	return ring_take_vacant(&p->out);
}

void pump_out_done(struct pump *p, size_t len)
{
	ring_give_filled(&p->out, len);
	if (!p->threaded)
		pump_write(p);
}

/* Caller: waits for the worker to finish; with abort, stops it early
 * (whatever it has not done is left undone). Returns the errno of the first
 * failed write, or 0. The rings stay allocated until pump_free. */
int pump_finish(struct pump *p, bool abort)
{
	if (abort)
		atomic_store(&p->abort, true);
	if (p->threaded) {
		if (abort) {
			sem_post(&p->in.vacant);
			if (p->has_out)
				sem_post(&p->out.filled);
		} else if (p->has_out) {
			ring_take_vacant(&p->out);
			ring_give_filled(&p->out, SLOT_STOP);
		}
		pthread_join(p->thread, NULL);
		p->threaded = false;
	}
	return atomic_load(&p->write_errno);
}
