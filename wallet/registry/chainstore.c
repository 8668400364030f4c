/* The `chain` storage back end (chainstore.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/base/array.h"
#include "wallet/chain/abi.h"
#include "wallet/registry/chainstore.h"
#include "wallet/base/hex.h"
#include "wallet/base/sha256.h"

/* ---- putting ------------------------------------------------------------- */

int chainstore_split(const uint8_t *envelope, size_t len, const uint8_t hash[32],
		     size_t chunk_bytes, registry_chunk **chunks, size_t *n, ehr_err *e)
{
	registry_chunk *out;
	size_t count, i;

	*chunks = NULL;
	*n = 0;
	if (!chunk_bytes)
		chunk_bytes = CHAINSTORE_CHUNK;
	if (chunk_bytes > CHAINSTORE_TX_BYTES - 1024)
		return ehr_fail(e, EHR_EUSAGE, "a chunk of %zu bytes does not fit in a transaction "
				"(at most %d)", chunk_bytes, CHAINSTORE_TX_BYTES - 1024);
	if ((uint64_t)len > CHAINSTORE_MAX_RECORD)
		return ehr_fail(e, EHR_EUSAGE, "an envelope of %zu bytes is too large for chain "
				"storage (at most %llu MiB)", len,
				(unsigned long long)(CHAINSTORE_MAX_RECORD >> 20));
	count = len ? (len - 1) / chunk_bytes + 1 : 1;
	if (count > CHAINSTORE_MAX_CHUNKS)
		return ehr_fail(e, EHR_EUSAGE, "an envelope of %zu bytes in chunks of %zu bytes makes "
				"more than %d chunks", len, chunk_bytes, CHAINSTORE_MAX_CHUNKS);
	if (!(out = calloc(count, sizeof(*out))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < count; i++) {
		size_t at = i * chunk_bytes;

		memcpy(out[i].content_hash, hash, 32);
		out[i].index = (uint32_t)i;
		out[i].count = (uint32_t)count;
		out[i].data = len ? envelope + at : NULL;
		out[i].len = len - at < chunk_bytes ? len - at : chunk_bytes;
	}
	*chunks = out;
	*n = count;
	return 0;
}

void chainstore_limits_default(chainstore_limits *l)
{
	l->chunk_bytes = CHAINSTORE_CHUNK;
	l->tx_bytes = CHAINSTORE_TX_BYTES;
	l->tx_gas = CHAINSTORE_TX_GAS;
}

/* The planner's gas model, an upper estimate: every calldata byte at the
 * EIP-7623 floor (40 gas for a non-zero byte; ciphertext is random), plus
 * the execution on top (which the floor would partly absorb): a ChunkStored
 * event per chunk, and per record a storage slot, the counter and a
 * RecordAnchored event carrying the anchor's bytes. */
#define GAS_TX			21000
#define GAS_PER_BYTE		40
#define GAS_PER_CHUNK		2000
#define GAS_PER_RECORD		35000
#define GAS_PER_EVENT_BYTE	8

/* storeAndAnchor's fixed part, the largest of the three calls: selector,
 * patient, grantId, two array offsets, two array lengths. */
#define CALL_OVERHEAD		(4 + 4 * 32 + 2 * 32)

struct cost {
	size_t data;	/* chunk data bytes */
	size_t abi;	/* call data bytes */
	uint64_t gas;
};

static size_t pad32(size_t n)
{
	return (n + 31) / 32 * 32;
}

static size_t bytes_abi(size_t n)
{
	return 32 + pad32(n);
}

/* A Chunk in a Chunk[]: its offset, four head words, then its data. */
static void chunk_cost(const registry_chunk *c, struct cost *k)
{
	size_t abi = 32 + 4 * 32 + bytes_abi(c->len);

	k->data += c->len;
	k->abi += abi;
	k->gas += (uint64_t)abi * GAS_PER_BYTE + GAS_PER_CHUNK;
}

/* A NewRecord in a NewRecord[]: its offset, six head words, four tails. */
static void record_cost(const registry_record_in *r, struct cost *k)
{
	size_t abi = 32 + 6 * 32 + bytes_abi(strlen(r->locator)) + bytes_abi(r->patient_key_len) +
		     bytes_abi(r->author_key ? r->author_key_len : 0) + bytes_abi(r->meta_len);

	k->abi += abi;
	k->gas += (uint64_t)abi * (GAS_PER_BYTE + GAS_PER_EVENT_BYTE) + GAS_PER_RECORD;
}

struct planner {
	const chainstore_limits *lim;
	const uint8_t *patient;
	uint64_t grant_id;
	const chainstore_record *records;
	chainstore_plan *plan;
	size_t plan_cap;
	/* the transaction being filled */
	registry_chunk *chunks;
	size_t nchunks, chunks_cap;
	size_t *recs;
	size_t nrecs, recs_cap;
	struct cost used;
};

static int fits(const struct planner *p, const struct cost *add, int empty)
{
	struct cost u = { 0, 0, 0 };

	if (!empty)
		u = p->used;
	return u.data + add->data <= p->lim->chunk_bytes &&
	       CALL_OVERHEAD + u.abi + add->abi <= p->lim->tx_bytes &&
	       GAS_TX + (uint64_t)CALL_OVERHEAD * GAS_PER_BYTE + u.gas + add->gas <= p->lim->tx_gas;
}

static int is_empty(const struct planner *p)
{
	return !p->nchunks && !p->nrecs;
}

static int add_chunk(struct planner *p, const registry_chunk *c, ehr_err *e)
{
	if (array_grow((void **)&p->chunks, &p->chunks_cap, p->nchunks + 1, sizeof(*p->chunks)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	p->chunks[p->nchunks++] = *c;
	chunk_cost(c, &p->used);
	return 0;
}

static int add_record(struct planner *p, size_t i, ehr_err *e)
{
	if (array_grow((void **)&p->recs, &p->recs_cap, p->nrecs + 1, sizeof(*p->recs)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	p->recs[p->nrecs++] = i;
	record_cost(&p->records[i].anchor, &p->used);
	return 0;
}

/* A hash of every length the registry's code sees (the patient, the grant
 * and the selector are the plan's own): what decides a transaction's gas
 * apart from the bytes of its call data. */
static void shape_of(const struct planner *p, size_t len, uint8_t out[16])
{
	crypto_generichash_state st;
	uint64_t w[5];
	size_t i;

	crypto_generichash_init(&st, NULL, 0, 16);
	w[0] = len, w[1] = p->nchunks, w[2] = p->nrecs;
	crypto_generichash_update(&st, (const uint8_t *)w, 3 * sizeof(w[0]));
	for (i = 0; i < p->nchunks; i++) {
		w[0] = p->chunks[i].len;
		crypto_generichash_update(&st, (const uint8_t *)w, sizeof(w[0]));
	}
	for (i = 0; i < p->nrecs; i++) {
		const registry_record_in *r = &p->records[p->recs[i]].anchor;

		w[0] = strlen(r->locator), w[1] = r->patient_key_len;
		w[2] = r->author_key ? r->author_key_len : 0, w[3] = r->meta_len;
		crypto_generichash_update(&st, (const uint8_t *)w, 4 * sizeof(w[0]));
	}
	crypto_generichash_final(&st, out, 16);
}

/* Encodes the transaction being filled into the plan and starts a new one. */
static int flush(struct planner *p, ehr_err *e)
{
	registry_record_in *rs = NULL;
	chainstore_tx *t;
	size_t i;
	int st;

	if (is_empty(p))
		return 0;
	if (array_grow((void **)&p->plan->txs, &p->plan_cap, p->plan->ntxs + 1, sizeof(*p->plan->txs)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	t = &p->plan->txs[p->plan->ntxs];
	memset(t, 0, sizeof(*t));
	if (p->nrecs) {
		if (!(rs = calloc(p->nrecs, sizeof(*rs))) ||
		    !(t->records = malloc(p->nrecs * sizeof(*t->records)))) {
			free(rs);
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		}
		for (i = 0; i < p->nrecs; i++)
			rs[i] = p->records[p->recs[i]].anchor;
		memcpy(t->records, p->recs, p->nrecs * sizeof(*t->records));
	}
	st = registry_call_anchor(p->patient, p->grant_id, p->chunks, p->nchunks, rs, p->nrecs,
				  &t->data, &t->len, e);
	free(rs);
	if (st) {
		free(t->records);
		t->records = NULL;
		return st;
	}
	t->nrecords = p->nrecs;
	t->nchunks = p->nchunks;
	t->chunk_bytes = p->used.data;
	t->gas_estimate = GAS_TX + (uint64_t)CALL_OVERHEAD * GAS_PER_BYTE + p->used.gas;
	shape_of(p, t->len, t->shape);
	p->plan->ntxs++;
	p->nchunks = 0;
	p->nrecs = 0;
	memset(&p->used, 0, sizeof(p->used));
	return 0;
}

/* Adds a chunk to the transaction being filled, or to a new one. */
static int place_chunk(struct planner *p, const registry_chunk *c, ehr_err *e)
{
	struct cost k = { 0, 0, 0 };
	int st;

	chunk_cost(c, &k);
	if (!fits(p, &k, 0) && (st = flush(p, e)))
		return st;
	if (!fits(p, &k, 1))
		return ehr_fail(e, EHR_EUSAGE, "a chunk of %zu bytes does not fit in a transaction",
				c->len);
	return add_chunk(p, c, e);
}

static int check_record(const chainstore_record *r, size_t i, const chainstore_limits *lim,
			ehr_err *e)
{
	uint64_t total = 0;
	size_t k;

	if (!r->nchunks || r->nchunks > CHAINSTORE_MAX_CHUNKS || !r->chunks || !r->anchor.locator)
		return ehr_fail(e, EHR_EUSAGE, "record %zu of the batch has no chunks or no locator", i);
	for (k = 0; k < r->nchunks; k++) {
		const registry_chunk *c = &r->chunks[k];

		if (c->index != k || c->count != r->nchunks ||
		    memcmp(c->content_hash, r->anchor.content_hash, 32))
			return ehr_fail(e, EHR_EUSAGE, "record %zu of the batch: chunk %zu is not "
					"chunk %zu of %zu of its content hash", i, k, k, r->nchunks);
		if (c->len > lim->chunk_bytes)
			return ehr_fail(e, EHR_EUSAGE, "record %zu of the batch: a chunk of %zu bytes "
					"is larger than %zu", i, c->len, lim->chunk_bytes);
		if (c->len && !c->data)
			return ehr_fail(e, EHR_EUSAGE, "record %zu of the batch: chunk %zu has no data",
					i, k);
		total += c->len;
	}
	if (total != r->anchor.size)
		return ehr_fail(e, EHR_EUSAGE, "record %zu of the batch: its chunks hold %" PRIu64
				" bytes, its anchor says %" PRIu64, i, total, r->anchor.size);
	return 0;
}

static int place_record(struct planner *p, size_t i, ehr_err *e)
{
	const chainstore_record *r = &p->records[i];
	struct cost whole = { 0, 0, 0 }, last = { 0, 0, 0 }, anchor = { 0, 0, 0 };
	size_t k;
	int st;

	for (k = 0; k < r->nchunks; k++)
		chunk_cost(&r->chunks[k], &whole);
	record_cost(&r->anchor, &whole);
	record_cost(&r->anchor, &anchor);
	if (!fits(p, &whole, 0) && fits(p, &whole, 1) && (st = flush(p, e)))
		return st;
	if (fits(p, &whole, 0)) {
		for (k = 0; k < r->nchunks; k++)
			if ((st = add_chunk(p, &r->chunks[k], e)))
				return st;
		return add_record(p, i, e);
	}
	/* Too big for one transaction: all but the last chunk first. */
	for (k = 0; k + 1 < r->nchunks; k++)
		if ((st = place_chunk(p, &r->chunks[k], e)))
			return st;
	chunk_cost(&r->chunks[k], &last);
	record_cost(&r->anchor, &last);
	if (!fits(p, &last, 0) && (st = flush(p, e)))
		return st;
	if (fits(p, &last, 0)) {
		if ((st = add_chunk(p, &r->chunks[k], e)))
			return st;
		return add_record(p, i, e);
	}
	/* An anchor too big to share a transaction with the last chunk. */
	if ((st = place_chunk(p, &r->chunks[k], e)))
		return st;
	if (!fits(p, &anchor, 0) && (st = flush(p, e)))
		return st;
	if (!fits(p, &anchor, 1))
		return ehr_fail(e, EHR_EUSAGE, "record %zu of the batch: its anchor does not fit in a "
				"transaction", i);
	return add_record(p, i, e);
}

int chainstore_plan_batch(const uint8_t patient[20], uint64_t grant_id,
			  const chainstore_record *records, size_t n,
			  const chainstore_limits *limits, chainstore_plan *plan, ehr_err *e)
{
	chainstore_limits defaults;
	struct planner p;
	size_t i;
	int st = 0;

	memset(plan, 0, sizeof(*plan));
	if (!limits) {
		chainstore_limits_default(&defaults);
		limits = &defaults;
	}
	if (!n)
		return ehr_fail(e, EHR_EUSAGE, "no records to store");
	for (i = 0; i < n; i++)
		if ((st = check_record(&records[i], i, limits, e)))
			return st;
	memset(&p, 0, sizeof(p));
	p.lim = limits;
	p.patient = patient;
	p.grant_id = grant_id;
	p.records = records;
	p.plan = plan;
	for (i = 0; i < n && !st; i++)
		st = place_record(&p, i, e);
	if (!st)
		st = flush(&p, e);
	free(p.chunks);
	free(p.recs);
	if (st)
		chainstore_plan_free(plan);
	return st;
}

size_t chainstore_plan_group(const chainstore_plan *plan, size_t first, size_t max_bytes)
{
	size_t end = first, bytes = 0;

	if (!max_bytes)
		max_bytes = CHAINSTORE_BATCH_BYTES;
	while (end < plan->ntxs && (end == first || bytes + plan->txs[end].len <= max_bytes))
		bytes += plan->txs[end++].len;
	return end;
}

void chainstore_plan_free(chainstore_plan *plan)
{
	size_t i;

	if (!plan)
		return;
	for (i = 0; i < plan->ntxs; i++) {
		free(plan->txs[i].data);
		free(plan->txs[i].records);
	}
	free(plan->txs);
	memset(plan, 0, sizeof(*plan));
}

static void hash_hex(const uint8_t hash[32], char out[67])
{
	hex_encode0x(hash, 32, out);
}

int chainstore_receipt_ids(const chainstore_plan *plan, size_t t, const chain_receipt *r,
			   const uint8_t registry[20], const chainstore_record *records,
			   uint64_t *ids, ehr_err *e)
{
	const chainstore_tx *tx;
	size_t i, k = 0;
	int st;

	if (t >= plan->ntxs)
		return ehr_fail(e, EHR_EUSAGE, "the plan has no transaction %zu", t);
	tx = &plan->txs[t];
	for (i = 0; i < r->n_logs; i++) {
		const registry_chunk *want;
		registry_record rec;

		if (registry_event_of(&r->logs[i], registry) != REG_EV_RECORD_ANCHORED)
			continue;
		if ((st = registry_decode_record(&r->logs[i], &rec, e)))
			return st;
		want = k < tx->nrecords ? records[tx->records[k]].chunks : NULL;
		if (!want || memcmp(rec.content_hash, want->content_hash, 32)) {
			char h[67];

			hash_hex(rec.content_hash, h);
			abi_free(rec.owner);
			return ehr_fail(e, EHR_EINTEGRITY, "the receipt anchors record %s where the "
					"plan has none or another", h);
		}
		ids[tx->records[k++]] = rec.id;
		abi_free(rec.owner);
	}
	if (k != tx->nrecords)
		return ehr_fail(e, EHR_EINTEGRITY, "the receipt anchors %zu records, the plan %zu",
				k, tx->nrecords);
	return 0;
}

/* ---- getting ------------------------------------------------------------- */

/* Transactions per eth_getTransactionByHash batch: at geth's 128 KiB a
 * transaction, at most 8 MiB of input (16 MiB of hex) held at a time, and
 * a reply under geth's 25 MB limit on batch responses. */
#define FETCH_BATCH 64

/* Blocks of the first backward log window; each next one is 4 times wider. */
#define FIRST_WINDOW 64

struct hit {
	uint8_t tx[32];
	uint64_t block;
	uint32_t index;
};

struct scan {
	const uint8_t *registry, *hash, *author;
	struct hit *hits;
	size_t n, cap;
	uint32_t count;		/* 0 until a log names it */
	char hash_hex[67];
	ehr_err *e;
};

/* A uint32 in a 32-byte ABI word, or -1 when the high bytes are not zero. */
static int word_u32(const uint8_t *w, uint32_t *out)
{
	size_t i;

	for (i = 0; i < 28; i++)
		if (w[i])
			return -1;
	*out = (uint32_t)w[28] << 24 | (uint32_t)w[29] << 16 | (uint32_t)w[30] << 8 | w[31];
	return 0;
}

static int check_count(struct scan *s, uint32_t index, uint32_t count)
{
	if (!count || count > CHAINSTORE_MAX_CHUNKS)
		return ehr_fail(s->e, EHR_EINTEGRITY, "record %s on chain claims %" PRIu32 " chunks "
				"(at most %d)", s->hash_hex, count, CHAINSTORE_MAX_CHUNKS);
	if (s->count && count != s->count)
		return ehr_fail(s->e, EHR_EINTEGRITY, "record %s on chain has conflicting chunk "
				"counts (%" PRIu32 " and %" PRIu32 ")", s->hash_hex, s->count, count);
	if (index >= count)
		return ehr_fail(s->e, EHR_EINTEGRITY, "record %s on chain has a chunk index %" PRIu32
				" of %" PRIu32, s->hash_hex, index, count);
	s->count = count;
	return 0;
}

static int on_chunk_log(void *ctx, const chain_log *l)
{
	struct scan *s = ctx;
	uint8_t author_topic[32] = { 0 };
	uint32_t index, count;
	int st;

	if (l->removed)
		return 0;
	memcpy(author_topic + 12, s->author, 20);
	if (memcmp(l->address, s->registry, 20) || l->n_topics != 3 ||
	    memcmp(l->topics[0], registry_event_topic(REG_EV_CHUNK_STORED), 32) ||
	    memcmp(l->topics[1], s->hash, 32) || memcmp(l->topics[2], author_topic, 32))
		return 0;	/* not what was asked for: the node's filter is not trusted */
	if (l->data_len != 64 || word_u32(l->data, &index) || word_u32(l->data + 32, &count))
		return ehr_fail(s->e, EHR_ENODE, "the node sent a malformed ChunkStored event");
	if ((st = check_count(s, index, count)))
		return st;
	if (s->n >= 2 * (size_t)CHAINSTORE_MAX_CHUNKS)
		return ehr_fail(s->e, EHR_EINTEGRITY, "record %s on chain has more than %d chunk "
				"events", s->hash_hex, 2 * CHAINSTORE_MAX_CHUNKS);
	if (array_grow((void **)&s->hits, &s->cap, s->n + 1, sizeof(*s->hits)))
		return ehr_fail(s->e, EHR_EFAIL, "out of memory");
	memcpy(s->hits[s->n].tx, l->tx_hash, 32);
	s->hits[s->n].block = l->block_number;
	s->hits[s->n].index = index;
	s->n++;
	return 0;
}

/* The first index no log names, or count when all are named. */
static uint32_t first_unlogged(const struct scan *s, uint8_t *mark)
{
	uint32_t i;
	size_t k;

	memset(mark, 0, s->count);
	for (k = 0; k < s->n; k++)
		mark[s->hits[k].index] = 1;
	for (i = 0; i < s->count && mark[i]; i++)
		;
	return i;
}

static int incomplete(ehr_err *e, const char *hash_hex, uint32_t missing, uint32_t count)
{
	return ehr_fail(e, EHR_EINTEGRITY, "record %s is incomplete on chain: chunk %" PRIu32
			" of %" PRIu32 " (index %" PRIu32 ") is missing", hash_hex, missing + 1,
			count, missing);
}

/* Scans backwards from anchored_block in growing windows until every
 * index is named or block 0 is reached. */
static int scan_logs(chain *c, struct scan *s, uint64_t anchored_block)
{
	const uint8_t (*ev)[32] = (const uint8_t (*)[32])registry_event_topic(REG_EV_CHUNK_STORED);
	uint8_t author_topic[32] = { 0 }, *mark = NULL;
	chain_topic topics[4];
	uint64_t to = anchored_block, from, span = FIRST_WINDOW;
	int st;

	memcpy(author_topic + 12, s->author, 20);
	memset(topics, 0, sizeof(topics));
	topics[0].any_of = ev;
	topics[0].n = 1;
	topics[1].any_of = (const uint8_t (*)[32])s->hash;
	topics[1].n = 1;
	topics[2].any_of = (const uint8_t (*)[32])author_topic;
	topics[2].n = 1;
	for (;;) {
		from = to >= span - 1 ? to - (span - 1) : 0;
		if ((st = chain_get_logs(c, s->registry, topics, from, to, on_chunk_log, s, s->e)))
			break;
		if (s->count) {
			if (!mark && !(mark = malloc(s->count))) {
				st = ehr_fail(s->e, EHR_EFAIL, "out of memory");
				break;
			}
			if (first_unlogged(s, mark) == s->count)
				break;
		}
		if (!from)
			break;
		to = from - 1;
		if (span < UINT64_MAX / 4)
			span *= 4;
	}
	free(mark);
	return st;
}

static int hit_by_tx(const void *a, const void *b)
{
	return memcmp(((const struct hit *)a)->tx, ((const struct hit *)b)->tx, 32);
}

/* Transactions in the order their chunks are wanted: lowest index first. */
static int hit_by_index(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	if (x->block != y->block)
		return x->block < y->block ? -1 : 1;
	return memcmp(x->tx, y->tx, 32);
}

/* Where the chunks found so far stand. */
struct assembly {
	int fd;
	uint32_t count, next;		/* next: the next index to write */
	uint64_t total, expected;	/* distinct chunks' bytes, and the anchor's size */
	uint8_t *seen;
	uint8_t (*digest)[32];
	uint8_t **pending;		/* chunks that came before their turn */
	size_t *pending_len;
	const char *hash_hex;
	ehr_err *e;
};

static int write_all(struct assembly *a, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(a->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ehr_fail(a->e, EHR_EFAIL, "cannot write record %s: %s", a->hash_hex,
					w < 0 ? strerror(errno) : "nothing written");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int take_chunk(struct assembly *a, uint32_t index, const uint8_t *data, size_t len)
{
	uint8_t d[32];
	int st;

	sha256(data, len, d);
	if (a->seen[index]) {
		if (sodium_memcmp(d, a->digest[index], 32))
			return ehr_fail(a->e, EHR_EINTEGRITY, "record %s on chain has conflicting "
					"chunks at index %" PRIu32, a->hash_hex, index);
		return 0;
	}
	a->seen[index] = 1;
	memcpy(a->digest[index], d, 32);
	a->total += len;
	if (a->total > a->expected)
		return ehr_fail(a->e, EHR_EINTEGRITY, "the chunks of record %s on chain hold more "
				"than the %" PRIu64 " bytes it was anchored with", a->hash_hex,
				a->expected);
	if (index != a->next) {
		if (!(a->pending[index] = malloc(len ? len : 1)))
			return ehr_fail(a->e, EHR_EFAIL, "out of memory");
		if (len)
			memcpy(a->pending[index], data, len);
		a->pending_len[index] = len;
		return 0;
	}
	if ((st = write_all(a, data, len)))
		return st;
	for (a->next++; a->next < a->count && a->pending[a->next]; a->next++) {
		st = write_all(a, a->pending[a->next], a->pending_len[a->next]);
		free(a->pending[a->next]);
		a->pending[a->next] = NULL;
		if (st)
			return st;
	}
	return 0;
}

/* A relayed transaction (execute, contracts/README.md "Relayed
 * actions") carries the signer's call inside: *in and *len become that
 * call (in *outer, to abi_free). Any other input stays as it is. */
static int unwrap_intent(struct assembly *a, const uint8_t **in, size_t *len, abi_value **outer,
			 const char *tx_hex)
{
	static const char execute[] = "execute(address,bytes,uint256,uint256,bytes)";
	uint8_t sel[4];

	*outer = NULL;
	if (*len < 4 || abi_selector(execute, sel, NULL) || memcmp(*in, sel, 4))
		return 0;
	if (abi_decode_call(execute, *in, *len, outer, a->e) || !(*in = abi_get_bytes(abi_item(*outer, 1), len)))
		return ehr_fail(a->e, EHR_EINTEGRITY, "transaction %s relays a call that does not decode",
				tx_hex);
	return 0;
}

/* The chunks of one transaction's input that belong to the record. */
static int take_input(struct assembly *a, const uint8_t hash[32], const uint8_t *in,
		      size_t len, const char *tx_hex)
{
	static const char *const sigs[3] = {
		"storeChunk(bytes32,uint32,uint32,bytes)",
		"storeChunks((bytes32,uint32,uint32,bytes)[])",
		"storeAndAnchor(address,uint256,(bytes32,uint32,uint32,bytes)[],"
		"(bytes32,uint64,string,bytes,bytes,bytes)[])",
	};
	const abi_value *list;
	abi_value *v = NULL, *outer;
	uint8_t sel[4];
	size_t i, n;
	int which, st = 0;

	if (unwrap_intent(a, &in, &len, &outer, tx_hex))
		return a->e->status;
	for (which = 0; which < 3; which++)
		if (!abi_selector(sigs[which], sel, NULL) && len >= 4 && !memcmp(in, sel, 4))
			break;
	if (which == 3 || abi_decode_call(sigs[which], in, len, &v, a->e)) {
		abi_free(outer);
		return ehr_fail(a->e, EHR_EINTEGRITY, "transaction %s logged a chunk of record %s "
				"but %s", tx_hex, a->hash_hex,
				which == 3 ? "calls no chunk function" : "its input does not decode");
	}
	list = which == 0 ? NULL : abi_item(v, which == 1 ? 0 : 2);
	n = which == 0 ? 1 : abi_count(list);
	for (i = 0; i < n && !st; i++) {
		const abi_value *c = which == 0 ? v : abi_item(list, i);
		const uint8_t *h, *data;
		uint64_t index, count;
		size_t h_len = 0, data_len = 0;

		h = abi_get_bytes(abi_item(c, 0), &h_len);
		data = abi_get_bytes(abi_item(c, 3), &data_len);
		if (!h || h_len != 32 || abi_get_u64(abi_item(c, 1), &index) ||
		    abi_get_u64(abi_item(c, 2), &count) || !data)
			st = ehr_fail(a->e, EHR_EINTEGRITY, "transaction %s: malformed chunk",
				      tx_hex);
		else if (memcmp(h, hash, 32))
			continue;
		else if (count != a->count)
			st = ehr_fail(a->e, EHR_EINTEGRITY, "record %s on chain has conflicting chunk "
				      "counts (%" PRIu32 " and %" PRIu64 ")", a->hash_hex, a->count,
				      count);
		else if (index >= count)
			st = ehr_fail(a->e, EHR_EINTEGRITY, "record %s on chain has a chunk index %"
				      PRIu64 " of %" PRIu64, a->hash_hex, index, count);
		else
			st = take_chunk(a, (uint32_t)index, data, data_len);
	}
	abi_free(v);
	abi_free(outer);
	return st;
}

/* One eth_getTransactionByHash answer. */
static int take_tx(struct assembly *a, const uint8_t registry[20], const uint8_t hash[32],
		   const cJSON *tx, const char *tx_hex, const char *node)
{
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(tx, "to");
	const cJSON *input = cJSON_GetObjectItemCaseSensitive(tx, "input");
	uint8_t to_addr[20], *in;
	size_t hex_len;
	long len;
	int st;

	if (cJSON_IsNull(tx))
		return ehr_fail(a->e, EHR_ENODE, "node at %s does not know transaction %s, which "
				"logged a chunk of record %s", node, tx_hex, a->hash_hex);
	if (!cJSON_IsObject(tx))
		return ehr_fail(a->e, EHR_ENODE, "node at %s sent a malformed reply: "
				"eth_getTransactionByHash %s", node, tx_hex);
	if (!cJSON_IsString(to) || hex_decode_exact(to->valuestring, to_addr, 20) ||
	    memcmp(to_addr, registry, 20))
		return 0;	/* not a call of the registry (a contract creation, or a
				 * call through another contract): its input is not ours to read */
	if (!cJSON_IsString(input))
		input = cJSON_GetObjectItemCaseSensitive(tx, "data");
	if (!cJSON_IsString(input))
		return ehr_fail(a->e, EHR_ENODE, "node at %s sent transaction %s without its input",
				node, tx_hex);
	hex_len = strlen(input->valuestring);
	if (!(in = malloc(hex_len / 2 + 1)))
		return ehr_fail(a->e, EHR_EFAIL, "out of memory");
	if ((len = hex_decode(input->valuestring, in, hex_len / 2 + 1)) < 0) {
		free(in);
		return ehr_fail(a->e, EHR_ENODE, "node at %s sent transaction %s with a malformed "
				"input", node, tx_hex);
	}
	st = take_input(a, hash, in, (size_t)len, tx_hex);
	free(in);
	return st;
}

/* Fetches txs[0..n) in one batch request and takes their chunks. */
static int fetch_group(chain *c, struct assembly *a, const uint8_t registry[20],
		       const uint8_t hash[32], const struct hit *txs, size_t n)
{
	rpc_client *rpc = chain_rpc(c);
	rpc_request *reqs = calloc(n, sizeof(*reqs));
	char tx_hex[67];
	size_t i;
	int st = 0;

	if (!reqs)
		return ehr_fail(a->e, EHR_EFAIL, "out of memory");
	if ((st = chain_check_id(c, a->e))) {
		free(reqs);
		return st;
	}
	for (i = 0; i < n; i++) {
		reqs[i].method = "eth_getTransactionByHash";
		reqs[i].params = cJSON_CreateArray();
		hex_encode0x(txs[i].tx, 32, tx_hex);
		if (!reqs[i].params ||
		    !cJSON_AddItemToArray(reqs[i].params, cJSON_CreateString(tx_hex)))
			st = ehr_fail(a->e, EHR_EFAIL, "out of memory");
	}
	if (st) {
		for (i = 0; i < n; i++)
			cJSON_Delete(reqs[i].params);
		free(reqs);
		return st;
	}
	st = rpc_batch(rpc, reqs, n, a->e);
	for (i = 0; i < n && !st; i++) {
		hex_encode0x(txs[i].tx, 32, tx_hex);
		if (reqs[i].status) {
			*a->e = reqs[i].err;
			st = ehr_wrap(a->e, "eth_getTransactionByHash %s", tx_hex);
			break;
		}
		st = take_tx(a, registry, hash, reqs[i].result, tx_hex, rpc_display_url(rpc));
		rpc_request_free(&reqs[i]);
	}
	for (i = 0; i < n; i++)
		rpc_request_free(&reqs[i]);
	free(reqs);
	return st;
}

int chainstore_fetch(chain *c, const uint8_t registry[20], const uint8_t content_hash[32],
		     const uint8_t author[20], uint64_t anchored_block, int out_fd,
		     uint64_t expected_size, ehr_err *e)
{
	struct scan s;
	struct assembly a;
	struct hit *txs = NULL;
	uint8_t *mark = NULL;
	size_t ntx = 0, i;
	uint32_t missing;
	ehr_err scratch;
	int st;

	if (!e)
		e = &scratch;
	memset(&s, 0, sizeof(s));
	memset(&a, 0, sizeof(a));
	hash_hex(content_hash, s.hash_hex);
	if (expected_size > CHAINSTORE_MAX_RECORD)
		return ehr_fail(e, EHR_EFAIL, "record %s is %" PRIu64 " bytes: chain storage reads "
				"at most %llu MiB", s.hash_hex, expected_size,
				(unsigned long long)(CHAINSTORE_MAX_RECORD >> 20));
	s.registry = registry;
	s.hash = content_hash;
	s.author = author;
	s.e = e;
	if ((st = scan_logs(c, &s, anchored_block)))
		goto out;
	if (!s.n) {
		char who[43];

		hex_encode0x(author, 20, who);
		st = ehr_fail(e, EHR_EINTEGRITY, "record %s is incomplete on chain: no chunks by %s "
			      "up to block %" PRIu64, s.hash_hex, who, anchored_block);
		goto out;
	}
	if (!(mark = malloc(s.count))) {
		st = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if ((missing = first_unlogged(&s, mark)) < s.count) {
		st = incomplete(e, s.hash_hex, missing, s.count);
		goto out;
	}

	/* One entry per transaction, with the lowest index it logged. */
	qsort(s.hits, s.n, sizeof(*s.hits), hit_by_tx);
	if (!(txs = malloc(s.n * sizeof(*txs)))) {
		st = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < s.n; i++) {
		if (ntx && !memcmp(txs[ntx - 1].tx, s.hits[i].tx, 32)) {
			if (s.hits[i].index < txs[ntx - 1].index)
				txs[ntx - 1].index = s.hits[i].index;
			continue;
		}
		txs[ntx++] = s.hits[i];
	}
	qsort(txs, ntx, sizeof(*txs), hit_by_index);

	a.fd = out_fd;
	a.count = s.count;
	a.expected = expected_size;
	a.hash_hex = s.hash_hex;
	a.e = e;
	a.seen = calloc(s.count, 1);
	a.digest = calloc(s.count, sizeof(*a.digest));
	a.pending = calloc(s.count, sizeof(*a.pending));
	a.pending_len = calloc(s.count, sizeof(*a.pending_len));
	if (!a.seen || !a.digest || !a.pending || !a.pending_len) {
		st = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < ntx && !st; i += FETCH_BATCH)
		st = fetch_group(c, &a, registry, content_hash, txs + i,
				 ntx - i < FETCH_BATCH ? ntx - i : FETCH_BATCH);
	if (st)
		goto out;
	if (a.next < a.count)	/* a logged chunk was not in its transaction's input */
		st = incomplete(e, s.hash_hex, a.next, s.count);
	else if (a.total != expected_size)
		st = ehr_fail(e, EHR_EINTEGRITY, "the chunks of record %s on chain hold %" PRIu64
			      " bytes, but it was anchored with %" PRIu64, s.hash_hex, a.total,
			      expected_size);
out:
	if (a.pending)
		for (i = 0; i < a.count; i++)
			free(a.pending[i]);
	free(a.pending);
	free(a.pending_len);
	free(a.digest);
	free(a.seen);
	free(txs);
	free(mark);
	free(s.hits);
	return st;
}

const char *chainstore_describe(void)
{
	return "chain storage: the ciphertext is in transaction calldata, which cannot be "
	       "deleted: erasing tombstones the record, but the ciphertext stays readable to "
	       "anyone who has the data key";
}
