/* Chain storage (wallet/registry/chainstore.h): splitting and planning checked by
 * decoding the planned call data; then against a real anvil, records of
 * 0 B to 5 MiB stored in one batch and read back byte for byte, chunks out
 * of order across many transactions and blocks, and the refusals: chunks
 * by another account ignored, a missing chunk, conflicting duplicates and
 * counts, a wrong size. Reports the gas per KiB measured from receipts.
 * Skips the chain part with a reason when anvil is absent. The keys are
 * anvil's public dev keys 0 and 1, used only here. */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "tap.h"
#include "anvil.h"
#include "contracts/contracts.h"
#include "wallet/chain/abi.h"
#include "wallet/chain/chain.h"
#include "wallet/registry/chainstore.h"
#include "wallet/registry/event_scan.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/registry/registry.h"
#include "wallet/chain/tx.h"

#define DEV0_KEY "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define DEV1_KEY "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"

#define CHUNK_SIG "(bytes32,uint32,uint32,bytes)"
#define RECORD_SIG "(bytes32,uint64,string,bytes,bytes,bytes)"

/* HTTP requests seen, and those that asked for transactions. */
static struct trace {
	unsigned requests, tx_batches, log_queries;
} tr;
static unsigned est_calls;  /* eth_estimateGas calls seen */

static void trace_fn(void *ctx, enum rpc_trace_event ev, const char *text, size_t len)
{
	struct trace *t = ctx;

	(void)len;
	if (ev != RPC_TRACE_REQUEST)
		return;
	t->requests++;
	if (strstr(text, "eth_getTransactionByHash"))
		t->tx_batches++;
	if (strstr(text, "eth_getLogs"))
		t->log_queries++;
	for (; (text = strstr(text, "eth_estimateGas")); text++)
		est_calls++;
}

static void sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	unsigned len = 32;

	if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL))
		memset(out, 0, 32);
}

/* A random "envelope": the format does not matter to this layer. */
struct env {
	uint8_t *bytes;
	size_t len;
	uint8_t hash[32];
	registry_chunk *chunks;
	size_t nchunks;
	uint8_t patient_key[80];
	uint8_t meta[120];
};

static int env_make(struct env *v, size_t len, size_t chunk_bytes)
{
	ehr_err e;

	memset(v, 0, sizeof(*v));
	v->len = len;
	if (!(v->bytes = malloc(len ? len : 1)))
		return -1;
	randombytes_buf(v->bytes, len);
	sha256(v->bytes, len, v->hash);
	randombytes_buf(v->patient_key, sizeof(v->patient_key));
	randombytes_buf(v->meta, sizeof(v->meta));
	if (chainstore_split(v->bytes, len, v->hash, chunk_bytes, &v->chunks, &v->nchunks, &e)) {
		CHECK(0, "split %zu: %s", len, e.msg);
		return -1;
	}
	return 0;
}

static void env_free(struct env *v)
{
	free(v->bytes);
	free(v->chunks);
	memset(v, 0, sizeof(*v));
}

static void env_record(const struct env *v, chainstore_record *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->anchor.content_hash, v->hash, 32);
	r->anchor.size = v->len;
	r->anchor.locator = "chain";
	r->anchor.patient_key = v->patient_key;
	r->anchor.patient_key_len = sizeof(v->patient_key);
	r->anchor.meta = v->meta;
	r->anchor.meta_len = sizeof(v->meta);
	r->chunks = v->chunks;
	r->nchunks = v->nchunks;
}

/* ---- splitting and planning, no node ------------------------------------ */

static void test_split(void)
{
	static const size_t sizes[] = { 0, 1, 65535, 98304, 98305, 5 << 20 };
	uint8_t hash[32] = { 1 }, small[4];
	registry_chunk *ch = NULL;
	size_t i, k, n;
	ehr_err e;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct env v;
		size_t want = sizes[i] ? (sizes[i] + CHAINSTORE_CHUNK - 1) / CHAINSTORE_CHUNK : 1;
		size_t total = 0;
		int ok = 1;

		if (env_make(&v, sizes[i], 0))
			continue;
		CHECK(v.nchunks == want, "%zu bytes: %zu chunks, want %zu", sizes[i], v.nchunks, want);
		for (k = 0; k < v.nchunks; k++) {
			ok &= v.chunks[k].index == k && v.chunks[k].count == v.nchunks &&
			      !memcmp(v.chunks[k].content_hash, v.hash, 32) &&
			      (!v.chunks[k].len || v.chunks[k].data == v.bytes + k * CHAINSTORE_CHUNK) &&
			      (k + 1 == v.nchunks || v.chunks[k].len == CHAINSTORE_CHUNK);
			total += v.chunks[k].len;
		}
		CHECK(ok && total == sizes[i], "%zu bytes: chunks in order, in place, adding up",
		      sizes[i]);
		env_free(&v);
	}
	CHECK(chainstore_split(small, 4, hash, 3, &ch, &n, &e) == 0 && n == 2 && ch[1].len == 1,
	      "a chunk size of 3 cuts 4 bytes into 3 + 1");
	free(ch);
	CHECK(chainstore_split(small, 4, hash, CHAINSTORE_TX_BYTES, &ch, &n, &e) == EHR_EUSAGE &&
	      !ch && !n, "a chunk bigger than a transaction is refused: %s", e.msg);
	CHECK(chainstore_split(small, CHAINSTORE_MAX_RECORD + 1, hash, 0, &ch, &n, &e) == EHR_EUSAGE,
	      "over 64 MiB refused: %s", e.msg);
	CHECK(chainstore_split(small, 70000, hash, 1, &ch, &n, &e) == EHR_EUSAGE,
	      "too many chunks refused: %s", e.msg);
}

/* What the planned call data really carries, decoded. */
struct seen_chunk {
	uint8_t hash[32];
	uint32_t index, count;
	size_t len;
	const uint8_t *data;	/* into the decoded tree */
};

struct decoded_tx {
	abi_value *tree;
	struct seen_chunk *chunks;
	size_t nchunks;
	uint8_t (*records)[32];
	size_t nrecords;
	size_t chunk_bytes;
};

static int decode_tx(const chainstore_tx *t, struct decoded_tx *d)
{
	static const char *const sigs[3] = {
		"storeChunks(" CHUNK_SIG "[])",
		"storeAndAnchor(address,uint256," CHUNK_SIG "[]," RECORD_SIG "[])",
		"anchorRecords(address,uint256," RECORD_SIG "[])",
	};
	const abi_value *chunks = NULL, *recs = NULL;
	size_t i;
	int which;

	memset(d, 0, sizeof(*d));
	for (which = 0; which < 3; which++)
		if (!abi_decode_call(sigs[which], t->data, t->len, &d->tree, NULL))
			break;
	if (which == 3)
		return -1;
	if (which == 0)
		chunks = abi_item(d->tree, 0);
	if (which == 1)
		chunks = abi_item(d->tree, 2);
	if (which >= 1)
		recs = abi_item(d->tree, which == 1 ? 3 : 2);
	d->nchunks = abi_count(chunks);
	d->nrecords = abi_count(recs);
	d->chunks = calloc(d->nchunks + 1, sizeof(*d->chunks));
	d->records = calloc(d->nrecords + 1, 32);
	if (!d->chunks || !d->records)
		return -1;
	for (i = 0; i < d->nchunks; i++) {
		const abi_value *c = abi_item(chunks, i);
		uint64_t index = 0, count = 0;

		memcpy(d->chunks[i].hash, abi_get_bytes(abi_item(c, 0), NULL), 32);
		abi_get_u64(abi_item(c, 1), &index);
		abi_get_u64(abi_item(c, 2), &count);
		d->chunks[i].index = (uint32_t)index;
		d->chunks[i].count = (uint32_t)count;
		d->chunks[i].data = abi_get_bytes(abi_item(c, 3), &d->chunks[i].len);
		d->chunk_bytes += d->chunks[i].len;
	}
	for (i = 0; i < d->nrecords; i++)
		memcpy(d->records[i], abi_get_bytes(abi_item(abi_item(recs, i), 0), NULL), 32);
	return 0;
}

static void decoded_free(struct decoded_tx *d)
{
	abi_free(d->tree);
	free(d->chunks);
	free(d->records);
}

/* Checks a plan against its input by decoding every transaction: limits
 * kept, each chunk carried once with its bytes, each record anchored once,
 * in input order, in the transaction of its last chunk or after it. */
static void check_plan(const chainstore_plan *p, const chainstore_record *rs, size_t n,
		       const chainstore_limits *lim, const char *what)
{
	size_t *anchored_in = malloc(n * sizeof(size_t)), *last_chunk_in = calloc(n, sizeof(size_t));
	size_t *chunks_seen = calloc(n, sizeof(size_t));
	size_t t, i, k, next_record = 0;
	int ok_limits = 1, ok_chunks = 1, ok_records = 1, ok_order = 1, ok_decode = 1;

	if (!anchored_in || !last_chunk_in || !chunks_seen)
		goto out;
	for (i = 0; i < n; i++)
		anchored_in[i] = SIZE_MAX;
	for (t = 0; t < p->ntxs; t++) {
		const chainstore_tx *tx = &p->txs[t];
		struct decoded_tx d;

		if (decode_tx(tx, &d)) {
			ok_decode = 0;
			decoded_free(&d);
			continue;
		}
		ok_limits &= tx->len <= lim->tx_bytes && d.chunk_bytes <= lim->chunk_bytes &&
			     tx->gas_estimate <= lim->tx_gas && tx->chunk_bytes == d.chunk_bytes &&
			     tx->nchunks == d.nchunks && tx->nrecords == d.nrecords &&
			     (d.nchunks || d.nrecords);
		for (k = 0; k < d.nchunks; k++) {
			const struct seen_chunk *c = &d.chunks[k];

			for (i = 0; i < n && memcmp(rs[i].anchor.content_hash, c->hash, 32); i++)
				;
			if (i == n || c->index >= rs[i].nchunks || c->count != rs[i].nchunks ||
			    c->len != rs[i].chunks[c->index].len ||
			    (c->len && memcmp(c->data, rs[i].chunks[c->index].data, c->len))) {
				ok_chunks = 0;
				continue;
			}
			chunks_seen[i]++;
			last_chunk_in[i] = t;
		}
		for (k = 0; k < d.nrecords; k++) {
			i = tx->records[k];
			ok_records &= i == next_record && anchored_in[i] == SIZE_MAX &&
				      !memcmp(d.records[k], rs[i].anchor.content_hash, 32);
			anchored_in[i] = t;
			next_record = i + 1;
		}
		decoded_free(&d);
	}
	for (i = 0; i < n; i++) {
		ok_chunks &= chunks_seen[i] == rs[i].nchunks;
		ok_order &= anchored_in[i] != SIZE_MAX && anchored_in[i] >= last_chunk_in[i];
	}
	CHECK(ok_decode, "%s: every transaction decodes", what);
	CHECK(ok_limits, "%s: every transaction within its limits", what);
	CHECK(ok_chunks, "%s: every chunk carried once, with its bytes", what);
	CHECK(ok_records && next_record == n, "%s: every record anchored once, in order", what);
	CHECK(ok_order, "%s: no record anchored before its last chunk", what);
out:
	free(anchored_in);
	free(last_chunk_in);
	free(chunks_seen);
}

static void test_plan(void)
{
	static const size_t sizes[] = { 1, 65535, 65536, 300000, 2000, 98305, 98304, 10 };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]), NTINY = 400 };
	struct env v[NS], *tiny = calloc(NTINY, sizeof(*tiny)), big;
	chainstore_record rs[NS], *trs = calloc(NTINY, sizeof(*trs)), one;
	chainstore_limits lim;
	chainstore_plan p;
	uint8_t patient[20], huge_meta[60000];
	size_t i, max_records = 0;
	ehr_err e;
	int ok = 1;

	randombytes_buf(patient, 20);
	chainstore_limits_default(&lim);
	for (i = 0; i < NS; i++) {
		ok &= !env_make(&v[i], sizes[i], 0);
		env_record(&v[i], &rs[i]);
	}
	if (ok && chainstore_plan_batch(patient, 0, rs, NS, NULL, &p, &e) == 0) {
		check_plan(&p, rs, NS, &lim, "mixed sizes");
		/* 1 + 65535 bytes fit in 96 KiB; 65536 more do not. */
		CHECK(p.txs[0].nrecords == 2 && p.txs[0].nchunks == 2,
		      "small records share a transaction (%zu records, %zu chunks)",
		      p.txs[0].nrecords, p.txs[0].nchunks);
		CHECK(p.ntxs == 10, "%zu transactions", p.ntxs);
		{
			size_t first = 0, end, groups = 0, k, bytes;

			for (ok = 1; first < p.ntxs; first = end, groups++) {
				end = chainstore_plan_group(&p, first, 200000);
				for (k = first, bytes = 0; k < end; k++)
					bytes += p.txs[k].len;
				ok &= end > first && (end == first + 1 || bytes <= 200000) &&
				      (end == p.ntxs || bytes + p.txs[end].len > 200000);
			}
			CHECK(ok && groups >= 4, "%zu batch groups of 200 KB, each as full as allowed",
			      groups);
			CHECK(chainstore_plan_group(&p, 0, 0) == p.ntxs, "600 KB in one default group");
			CHECK(chainstore_plan_group(&p, 0, 1) == 1, "a group holds at least one");
			CHECK(chainstore_plan_group(&p, p.ntxs, 0) == p.ntxs, "nothing past the end");
		}
		chainstore_plan_free(&p);
	} else {
		CHECK(0, "plan: %s", e.msg);
	}

	/* Many tiny records: the gas budget splits them. */
	for (i = 0, ok = tiny && trs; ok && i < NTINY; i++) {
		ok &= !env_make(&tiny[i], 100, 0);
		env_record(&tiny[i], &trs[i]);
	}
	if (ok && chainstore_plan_batch(patient, 7, trs, NTINY, NULL, &p, &e) == 0) {
		check_plan(&p, trs, NTINY, &lim, "400 tiny records");
		for (i = 0; i < p.ntxs; i++)
			if (p.txs[i].nrecords > max_records)
				max_records = p.txs[i].nrecords;
		CHECK(p.ntxs >= 2 && max_records >= 50, "400 tiny records in %zu transactions of up "
		      "to %zu records", p.ntxs, max_records);
		chainstore_plan_free(&p);
	} else {
		CHECK(0, "plan tiny: %s", e.msg);
	}
	for (i = 0; tiny && trs && i < NTINY; i++)
		env_free(&tiny[i]);

	/* An anchor too big to travel with the last chunk goes alone. */
	if (!env_make(&big, 98304 + 90000, 0)) {
		env_record(&big, &one);
		randombytes_buf(huge_meta, sizeof(huge_meta));
		one.anchor.meta = huge_meta;
		one.anchor.meta_len = sizeof(huge_meta);
		if (chainstore_plan_batch(patient, 0, &one, 1, NULL, &p, &e) == 0) {
			check_plan(&p, &one, 1, &lim, "huge metadata");
			CHECK(p.ntxs == 3 && p.txs[2].nchunks == 0 && p.txs[2].nrecords == 1,
			      "chunk, chunk, anchorRecords: %zu txs", p.ntxs);
			chainstore_plan_free(&p);
		} else {
			CHECK(0, "plan huge meta: %s", e.msg);
		}
		/* Smaller limits: more, smaller transactions, still in order. */
		lim.chunk_bytes = 50000;
		lim.tx_bytes = 70000;
		one.anchor.meta_len = 100;
		CHECK(chainstore_plan_batch(patient, 0, &one, 1, &lim, &p, &e) == EHR_EUSAGE,
		      "chunks larger than the limit refused: %s", e.msg);
		env_free(&big);
	}
	if (!env_make(&big, 200000, 20000)) {
		env_record(&big, &one);
		if (chainstore_plan_batch(patient, 0, &one, 1, &lim, &p, &e) == 0) {
			check_plan(&p, &one, 1, &lim, "20 KB chunks under 50 KB");
			CHECK(p.ntxs == 5 && p.txs[4].nchunks == 2 && p.txs[4].nrecords == 1,
			      "200 KB in 20 KB chunks, 2 a tx, the last 2 with the anchor: %zu txs",
			      p.ntxs);
			chainstore_plan_free(&p);
		} else {
			CHECK(0, "plan small limits: %s", e.msg);
		}
		one.anchor.size++;
		CHECK(chainstore_plan_batch(patient, 0, &one, 1, NULL, &p, &e) == EHR_EUSAGE,
		      "a size that the chunks do not add up to: %s", e.msg);
		one.anchor.size--;
		one.anchor.content_hash[0] ^= 1;
		CHECK(chainstore_plan_batch(patient, 0, &one, 1, NULL, &p, &e) == EHR_EUSAGE,
		      "chunks of another hash: %s", e.msg);
		CHECK(chainstore_plan_batch(patient, 0, &one, 0, NULL, &p, &e) == EHR_EUSAGE,
		      "no records: %s", e.msg);
		env_free(&big);
	}
	for (i = 0; i < NS; i++)
		env_free(&v[i]);
	free(tiny);
	free(trs);
}

/* ---- against anvil ------------------------------------------------------- */

struct who {
	uint8_t *priv;		/* sodium_malloc */
	uint8_t addr[20];
};

/* Sends calls to `to` from w in order and waits for them; rs gets the
 * receipts (the caller frees them). Transactions are prepared and sent in
 * groups as chainstore_plan_group makes them (nodes refuse big batch
 * request bodies). */
static int send_calls(chain *c, const struct who *w, const uint8_t to[20], uint8_t *const *data,
		      const size_t *lens, size_t n, chain_receipt *rs)
{
	eth_tx *txs = calloc(n, sizeof(*txs));
	chain_raw_tx *raws = calloc(n, sizeof(*raws));
	uint8_t (*hashes)[32] = calloc(n, 32);
	ehr_err e;
	size_t i, first, end, bytes;
	int st = -1;

	if (!txs || !raws || !hashes)
		goto out;
	for (i = 0; i < n; i++) {
		txs[i].has_to = 1;
		memcpy(txs[i].to, to, 20);
		txs[i].data = data[i];
		txs[i].data_len = lens[i];
	}
	for (first = 0; first < n; first = end) {
		for (end = first, bytes = 0; end < n && (end == first || bytes + lens[end] <= CHAINSTORE_BATCH_BYTES);
		     end++)
			bytes += lens[end];
		if (chain_prepare_many(c, w->addr, txs + first, end - first, NULL, NULL, &e)) {
			CHECK(0, "prepare %zu: %s", end - first, e.msg);
			goto out;
		}
		for (i = first; i < end; i++) {
			uint8_t *raw = NULL;
			size_t raw_len = 0;

			if (tx_sign(&txs[i], w->priv, &raw, &raw_len, hashes[i], &e)) {
				CHECK(0, "sign: %s", e.msg);
				goto out;
			}
			raws[i].raw = raw;
			raws[i].raw_len = raw_len;
		}
		if (chain_send_batch(c, raws + first, end - first, &e)) {
			CHECK(0, "send %zu: %s", end - first, e.msg);
			goto out;
		}
	}
	if (chain_wait_many(c, (const uint8_t (*)[32])hashes, n, 1, 120000, rs, &e)) {
		CHECK(0, "wait %zu: %s", n, e.msg);
		goto out;
	}
	st = 0;
out:
	for (i = 0; raws && i < n; i++)
		free((void *)raws[i].raw);
	free(txs);
	free(raws);
	free(hashes);
	return st;
}

static int send_one(chain *c, const struct who *w, const uint8_t to[20], uint8_t *data,
		    size_t len, uint64_t *block)
{
	chain_receipt r = { 0 };
	int st = send_calls(c, w, to, &data, &len, 1, &r);

	if (block)
		*block = r.block_number;
	chain_receipt_free(&r);
	return st;
}

static int deploy(chain *c, const struct who *w, const char *hex, uint8_t addr[20])
{
	size_t len = strlen(hex) / 2;
	uint8_t *code = malloc(len), hash[32];
	eth_tx tx = { 0 };
	chain_receipt r = { 0 };
	ehr_err e;
	int st = -1;

	if (!code || hex_decode(hex, code, len) != (long)len)
		goto out;
	tx.data = code;
	tx.data_len = len;
	if (chain_prepare(c, w->addr, &tx, NULL, NULL, &e) || chain_send(c, &tx, w->priv, hash, &e) ||
	    chain_wait(c, hash, 1, 30000, &r, &e) || !r.has_contract_address) {
		CHECK(0, "deploy: %s", e.msg);
		goto out;
	}
	memcpy(addr, r.contract_address, 20);
	st = 0;
out:
	chain_receipt_free(&r);
	free(code);
	return st;
}

/* Fetches into a memory file; *out (malloc'd) holds what was written. */
static int fetch(chain *c, const uint8_t reg[20], const uint8_t hash[32], const uint8_t author[20],
		 uint64_t block, uint64_t size, uint8_t **out, size_t *out_len, ehr_err *e)
{
	int fd = memfd_create("chainstore", 0), st;
	off_t end;

	*out = NULL;
	*out_len = 0;
	if (fd < 0)
		return ehr_fail(e, EHR_EFAIL, "memfd");
	st = chainstore_fetch(c, reg, hash, author, block, fd, size, e);
	end = lseek(fd, 0, SEEK_END);
	if (end >= 0 && (*out = malloc((size_t)end + 1)) &&
	    pread(fd, *out, (size_t)end, 0) == end)
		*out_len = (size_t)end;
	close(fd);
	return st;
}

static int fetch_equals(chain *c, const uint8_t reg[20], const struct env *v, const uint8_t author[20],
			uint64_t block, ehr_err *e)
{
	uint8_t *got;
	size_t len;
	int st = fetch(c, reg, v->hash, author, block, v->len, &got, &len, e);

	if (!st && (len != v->len || (len && memcmp(got, v->bytes, len))))
		st = ehr_fail(e, EHR_EFAIL, "%zu bytes back, %zu stored, or different", len, v->len);
	free(got);
	return st;
}

/* The batch of the issue: several records in one batch, some spanning
 * many transactions; fetched back byte for byte. Returns the gas figures. */
static void test_roundtrip(chain *c, const struct who *w, const uint8_t reg[20],
			   double *per_kib_chunk, double *per_kib_batch)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 98304, 98305, 5 << 20 };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	struct env v[NS];
	chainstore_record rs[NS];
	chainstore_limits lim;
	chainstore_plan p = { 0 };
	chain_receipt *rcpts = NULL;
	uint8_t **datas = NULL;
	size_t *lens = NULL, i, t, total = 0;
	uint64_t ids[NS] = { 0 }, blocks[NS] = { 0 }, gas_all = 0, gas_full = 0, n_full = 0;
	ehr_err e;
	int ok = 1;

	chainstore_limits_default(&lim);
	for (i = 0; i < NS; i++) {
		ok &= !env_make(&v[i], sizes[i], 0);
		env_record(&v[i], &rs[i]);
		total += sizes[i];
	}
	if (!ok || chainstore_plan_batch(w->addr, 0, rs, NS, NULL, &p, &e)) {
		CHECK(0, "plan: %s", e.msg);
		goto out;
	}
	check_plan(&p, rs, NS, &lim, "the batch");
	rcpts = calloc(p.ntxs, sizeof(*rcpts));
	datas = calloc(p.ntxs, sizeof(*datas));
	lens = calloc(p.ntxs, sizeof(*lens));
	if (!rcpts || !datas || !lens)
		goto out;
	for (t = 0; t < p.ntxs; t++) {
		datas[t] = p.txs[t].data;
		lens[t] = p.txs[t].len;
	}
	if (send_calls(c, w, reg, datas, lens, p.ntxs, rcpts))
		goto out;
	for (t = 0, ok = 1; t < p.ntxs; t++) {
		ok &= chainstore_receipt_ids(&p, t, &rcpts[t], reg, rs, ids, &e) == 0;
		for (i = 0; i < p.txs[t].nrecords; i++)
			blocks[p.txs[t].records[i]] = rcpts[t].block_number;
		gas_all += rcpts[t].gas_used;
		if (!p.txs[t].nrecords && p.txs[t].chunk_bytes == CHAINSTORE_CHUNK) {
			gas_full += rcpts[t].gas_used;
			n_full++;
		}
	}
	CHECK(ok, "ids from the receipts: %s", e.msg);
	for (i = 0, ok = 1; i < NS; i++)
		ok &= ids[i] == ids[0] + i && blocks[i];
	CHECK(ok && ids[0], "records got consecutive ids from %" PRIu64, ids[0]);
	CHECK(n_full >= 50, "%" PRIu64 " storeChunks transactions of 96 KiB", n_full);
	if (n_full)
		*per_kib_chunk = (double)gas_full / (double)n_full / 96.0;
	*per_kib_batch = (double)gas_all / ((double)total / 1024.0);
	printf("# %zu records, %zu bytes, %zu transactions, %" PRIu64 " gas\n", (size_t)NS, total,
	       p.ntxs, gas_all);

	for (i = 0; i < NS; i++) {
		unsigned before = tr.tx_batches;
		int st = fetch_equals(c, reg, &v[i], w->addr, blocks[i], &e);

		CHECK(st == 0, "fetch %zu bytes: %s", sizes[i], e.msg);
		CHECK(tr.tx_batches - before == 1, "%zu bytes: transactions in %u batch request(s)",
		      sizes[i], tr.tx_batches - before);
	}

	/* The size the anchor gives must match. */
	{
		uint8_t *got;
		size_t len;
		int st;

		st = fetch(c, reg, v[4].hash, w->addr, blocks[4], v[4].len + 1, &got, &len, &e);
		CHECK(st == EHR_EINTEGRITY && strstr(e.msg, "anchored with 65538"),
		      "a size larger than the chunks: %s", e.msg);
		free(got);
		st = fetch(c, reg, v[4].hash, w->addr, blocks[4], v[4].len - 1, &got, &len, &e);
		CHECK(st == EHR_EINTEGRITY && strstr(e.msg, "more than the 65536 bytes"),
		      "a size smaller than the chunks: %s", e.msg);
		free(got);
		st = fetch(c, reg, v[4].hash, w->addr, blocks[4], CHAINSTORE_MAX_RECORD + 1, &got,
			   &len, &e);
		CHECK(st == EHR_EFAIL && strstr(e.msg, "at most 64 MiB") && !len,
		      "a record over 64 MiB: %s", e.msg);
		free(got);
		/* Before the block of its chunks, nothing is there. */
		st = fetch(c, reg, v[0].hash, w->addr, rcpts[0].block_number - 1, 0, &got, &len, &e);
		CHECK(st == EHR_EINTEGRITY && strstr(e.msg, "no chunks by 0x"),
		      "before its chunks: %s", e.msg);
		free(got);
		/* Not the author: nothing. */
		st = fetch(c, reg, v[1].hash, reg, blocks[1], 1, &got, &len, &e);
		CHECK(st == EHR_EINTEGRITY && strstr(e.msg, "is incomplete on chain"),
		      "another author: %s", e.msg);
		free(got);
		/* A write that fails. */
		{
			int ro = open("/dev/null", O_RDONLY);

			st = chainstore_fetch(c, reg, v[2].hash, w->addr, blocks[2], ro, v[2].len, &e);
			CHECK(st == EHR_EFAIL && strstr(e.msg, "cannot write record"),
			      "write failure: %s", e.msg);
			close(ro);
		}
	}
out:
	for (t = 0; rcpts && t < p.ntxs; t++)
		chain_receipt_free(&rcpts[t]);
	free(rcpts);
	free(datas);
	free(lens);
	chainstore_plan_free(&p);
	for (i = 0; i < NS; i++)
		env_free(&v[i]);
}

static int call_store_chunk(const registry_chunk *ch, uint8_t **data, size_t *len)
{
	abi_value *args = abi_tuple(4, abi_fixed_bytes(ch->content_hash, 32), abi_uint64(ch->index),
				    abi_uint64(ch->count), abi_bytes(ch->data, ch->len));
	ehr_err e;
	int st = abi_encode_call("storeChunk(bytes32,uint32,uint32,bytes)", args, data, len, &e);

	abi_free(args);
	return st;
}

static int mine(chain *c, unsigned blocks)
{
	cJSON *params = cJSON_CreateArray();
	char q[19];
	ehr_err e;

	rpc_u64_quantity(blocks, q);
	cJSON_AddItemToArray(params, cJSON_CreateString(q));
	return rpc_call(chain_rpc(c), "anvil_mine", params, NULL, &e);
}

/* 150 chunks, one storeChunk transaction each, sent in shuffled order,
 * then 400 empty blocks, then the anchor: the log scan reaches back over
 * several windows, the transactions come in three batches, and chunks
 * that arrive before their turn wait. */
static void test_scattered(chain *c, const struct who *w, const uint8_t reg[20])
{
	enum { N = 150 };
	struct env v;
	chainstore_record r;
	uint8_t *datas[N] = { 0 }, *anchor = NULL;
	size_t lens[N], order[N], i, anchor_len = 0;
	chain_receipt *rcpts = calloc(N, sizeof(*rcpts));
	uint64_t block = 0;
	unsigned batches, queries;
	ehr_err e;
	int ok = 1;

	if (!rcpts || env_make(&v, N * 700 - 123, 700))
		goto out;
	CHECK(v.nchunks == N, "%zu chunks", v.nchunks);
	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {
		size_t j = randombytes_uniform((uint32_t)i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < N; i++)
		ok &= !call_store_chunk(&v.chunks[order[i]], &datas[i], &lens[i]);
	env_record(&v, &r);
	ok &= !registry_call_anchor(w->addr, 0, NULL, 0, &r.anchor, 1, &anchor, &anchor_len, &e);
	if (!ok || send_calls(c, w, reg, datas, lens, N, rcpts) || mine(c, 400) ||
	    send_one(c, w, reg, anchor, anchor_len, &block)) {
		CHECK(0, "store scattered chunks");
		goto out;
	}
	batches = tr.tx_batches;
	queries = tr.log_queries;
	CHECK(fetch_equals(c, reg, &v, w->addr, block, &e) == 0, "scattered: %s", e.msg);
	CHECK(tr.tx_batches - batches == 3, "150 transactions in %u batches of at most 64",
	      tr.tx_batches - batches);
	CHECK(tr.log_queries - queries >= 3, "the log scan went back %u windows from block %"
	      PRIu64, tr.log_queries - queries, block);
out:
	for (i = 0; rcpts && i < N; i++)
		chain_receipt_free(&rcpts[i]);
	for (i = 0; i < N; i++)
		free(datas[i]);
	free(rcpts);
	free(anchor);
	env_free(&v);
}

/* Calls storeChunks with the given chunks (copies, so a test can alter them). */
static int store_chunks(chain *c, const struct who *w, const uint8_t reg[20],
			const registry_chunk *chunks, size_t n, uint64_t *block)
{
	uint8_t *data = NULL;
	size_t len;
	ehr_err e;
	int st;

	if (registry_call_anchor(w->addr, 0, chunks, n, NULL, 0, &data, &len, &e)) {
		CHECK(0, "storeChunks call: %s", e.msg);
		return -1;
	}
	st = send_one(c, w, reg, data, len, block);
	free(data);
	return st;
}

/* Shapes: transactions whose chunks and records have the same lengths
 * share one shape, and chain_prepare_many estimates one of each; the gas it
 * gives the others covers what they use, whatever zero bytes their data
 * holds, and what the node estimates for each on its own. */
static void test_shapes(chain *c, const struct who *w, const uint8_t reg[20])
{
	enum { N = 40 };
	struct env v[N];
	chainstore_record rs[N];
	chainstore_limits lim;
	chainstore_plan p = { 0 };
	chain_fee_opts fo;
	eth_tx *txs = NULL, *alone = NULL;
	uint8_t (*shapes)[16] = NULL;
	chain_receipt *rcpts = NULL;
	chain_raw_tx *raws = NULL;
	uint8_t (*hashes)[32] = NULL;
	size_t i, t, same = 0;
	unsigned before;
	ehr_err e;
	int ok = 1;

	chainstore_limits_default(&lim);
	lim.tx_bytes = 12 * 1024;   /* a few records a transaction, so there are several */
	for (i = 0; i < N; i++) {
		ok &= !env_make(&v[i], 2300, 0);
		if (i % 7 == 3)     /* some records full of zero bytes: the cheapest call data */
			memset(v[i].bytes, 0, v[i].len);
		env_record(&v[i], &rs[i]);
	}
	if (!ok || chainstore_plan_batch(w->addr, 0, rs, N, &lim, &p, &e) || p.ntxs < 4) {
		CHECK(0, "plan: %s (%zu transactions)", e.msg, p.ntxs);
		goto out;
	}
	for (t = 1; t < p.ntxs; t++)
		same += !memcmp(p.txs[t].shape, p.txs[0].shape, 16) &&
			p.txs[t].nrecords == p.txs[0].nrecords;
	CHECK(same >= 2, "full transactions share a shape (%zu of %zu)", same, p.ntxs);
	CHECK(memcmp(p.txs[p.ntxs - 1].shape, p.txs[0].shape, 16) ||
	      p.txs[p.ntxs - 1].nrecords == p.txs[0].nrecords, "the short last one has its own");
	{
		chainstore_plan q = { 0 };

		v[5].meta[0] ^= 1;     /* the same lengths: the same shapes */
		rs[5].anchor.meta_len--;  /* one byte less: another shape */
		CHECK(!chainstore_plan_batch(w->addr, 0, rs, N, &lim, &q, &e) && q.ntxs == p.ntxs &&
		      memcmp(q.txs[q.txs[0].records[0] <= 5 && 5 <= q.txs[0].records[q.txs[0].nrecords - 1] ? 0 : 1].shape,
			     p.txs[0].shape, 16),
		      "a metadata length that differs changes the shape");
		rs[5].anchor.meta_len++;
		chainstore_plan_free(&q);
	}

	txs = calloc(p.ntxs, sizeof(*txs));
	alone = calloc(p.ntxs, sizeof(*alone));
	shapes = calloc(p.ntxs, sizeof(*shapes));
	rcpts = calloc(p.ntxs, sizeof(*rcpts));
	raws = calloc(p.ntxs, sizeof(*raws));
	hashes = calloc(p.ntxs, sizeof(*hashes));
	if (!txs || !alone || !shapes || !rcpts || !raws || !hashes)
		goto out;
	for (t = 0; t < p.ntxs; t++) {
		txs[t].has_to = 1;
		memcpy(txs[t].to, reg, 20);
		txs[t].data = p.txs[t].data;
		txs[t].data_len = p.txs[t].len;
		alone[t] = txs[t];
		memcpy(shapes[t], p.txs[t].shape, 16);
	}
	/* each on its own, margin 0: what the node says each needs */
	chain_fee_opts_default(&fo);
	fo.gas_margin_pct = 0;
	fo.flags |= CHAIN_KEEP_NONCE;
	CHECK(!chain_prepare_many(c, w->addr, alone, p.ntxs, &fo, NULL, &e), "alone: %s", e.msg);
	/* with shapes, margin 0: one estimate a shape */
	fo.shapes = (const uint8_t (*)[16])shapes;
	fo.flags &= ~(unsigned)CHAIN_KEEP_NONCE;
	before = tr.requests;
	est_calls = 0;
	CHECK(!chain_prepare_many(c, w->addr, txs, p.ntxs, &fo, NULL, &e), "shaped: %s", e.msg);
	CHECK(tr.requests - before == 1, "one request (%u)", tr.requests - before);
	CHECK(est_calls > 0 && est_calls <= p.ntxs - same, "%u estimates for %zu transactions of "
	      "%zu shapes or fewer", est_calls, p.ntxs, p.ntxs - same);
	for (t = 0, ok = 1; t < p.ntxs; t++)
		ok &= txs[t].gas >= alone[t].gas;
	CHECK(ok, "a shared estimate is never below the transaction's own");
	/* the chain remembers the shapes: the same plan again asks nothing */
	{
		eth_tx *again = calloc(p.ntxs, sizeof(*again));

		for (t = 0; again && t < p.ntxs; t++) {
			again[t] = alone[t];
			again[t].gas = 0;
		}
		fo.flags |= CHAIN_KEEP_NONCE;
		est_calls = 0;
		CHECK(again && !chain_prepare_many(c, w->addr, again, p.ntxs, &fo, NULL, &e),
		      "again: %s", e.msg);
		CHECK(est_calls == 0, "no estimate the second time (%u)", est_calls);
		for (t = 0, ok = 1; again && t < p.ntxs; t++)
			ok &= again[t].gas == txs[t].gas;
		CHECK(ok, "the same gas as the first time");
		fo.flags &= ~(unsigned)CHAIN_KEEP_NONCE;
		free(again);
	}
	for (t = 0; t < p.ntxs; t++) {
		uint8_t *raw = NULL;
		size_t raw_len = 0;

		CHECK(!tx_sign(&txs[t], w->priv, &raw, &raw_len, hashes[t], &e), "sign: %s", e.msg);
		raws[t].raw = raw;
		raws[t].raw_len = raw_len;
	}
	CHECK(!chain_send_batch(c, raws, p.ntxs, &e), "send: %s", e.msg);
	CHECK(!chain_wait_many(c, (const uint8_t (*)[32])hashes, p.ntxs, 1, 120000, rcpts, &e),
	      "every transaction succeeded: %s", e.msg);
	for (t = 0, ok = 1; t < p.ntxs; t++)
		ok &= rcpts[t].gas_used <= txs[t].gas;
	CHECK(ok, "each used no more gas than it was given");
out:
	for (t = 0; rcpts && t < p.ntxs; t++)
		chain_receipt_free(&rcpts[t]);
	for (t = 0; raws && t < p.ntxs; t++)
		free((void *)raws[t].raw);
	free(rcpts);
	free(raws);
	free(hashes);
	free(txs);
	free(alone);
	free(shapes);
	chainstore_plan_free(&p);
	for (i = 0; i < N; i++)
		env_free(&v[i]);
}

static void test_refusals(chain *c, const struct who *w, const struct who *other,
			  const uint8_t reg[20])
{
	struct env f, m, d, x, y;
	registry_chunk alt[2];
	uint8_t junk[1000], *got = NULL, *data = NULL;
	size_t len = 0;
	uint64_t block = 0;
	ehr_err e;
	int st;

	memset(&f, 0, sizeof(f));
	memset(&m, 0, sizeof(m));
	memset(&d, 0, sizeof(d));
	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));

	/* Another account stores a chunk under the record's content hash
	 * first: a reader following the author never sees it. */
	if (!env_make(&f, 1000, 0)) {
		chainstore_record r;
		chainstore_plan p;

		alt[0] = f.chunks[0];
		randombytes_buf(junk, sizeof(junk));
		alt[0].data = junk;
		env_record(&f, &r);
		if (!store_chunks(c, other, reg, alt, 1, NULL) &&
		    !chainstore_plan_batch(w->addr, 0, &r, 1, NULL, &p, &e) &&
		    !send_one(c, w, reg, p.txs[0].data, p.txs[0].len, &block)) {
			CHECK(p.ntxs == 1 && p.txs[0].nchunks == 1 && p.txs[0].nrecords == 1,
			      "one storeAndAnchor");
			st = fetch_equals(c, reg, &f, w->addr, block, &e);
			CHECK(st == 0, "another account's chunk ignored: %s", e.msg);
			st = fetch(c, reg, f.hash, other->addr, block, 1000, &got, &len, &e);
			CHECK(st == 0 && len == 1000 && !memcmp(got, junk, 1000),
			      "that chunk is what a reader following the wrong author gets");
			free(got);
			got = NULL;
			chainstore_plan_free(&p);
		} else {
			CHECK(0, "store the foreign chunk test: %s", e.msg);
		}
	}

	/* A missing chunk: chunks 0 and 2 of 3, anchored. */
	if (!env_make(&m, 2500, 1000)) {
		chainstore_record r;
		registry_chunk two[2] = { m.chunks[0], m.chunks[2] };

		env_record(&m, &r);
		if (!registry_call_anchor(w->addr, 0, two, 2, &r.anchor, 1, &data, &len, &e) &&
		    !send_one(c, w, reg, data, len, &block)) {
			st = fetch(c, reg, m.hash, w->addr, block, m.len, &got, &len, &e);
			CHECK(st == EHR_EINTEGRITY &&
			      strstr(e.msg, "is incomplete on chain: chunk 2 of 3 (index 1) is missing"),
			      "missing chunk: %s", e.msg);
			CHECK(strstr(e.msg, "record 0x") != NULL, "names the record: %s", e.msg);
			free(got);
			got = NULL;
		} else {
			CHECK(0, "store the missing chunk test");
		}
		free(data);
		data = NULL;
	}

	/* A duplicate with the same bytes (a retried upload) is harmless. */
	if (!env_make(&d, 2500, 1000) && !store_chunks(c, w, reg, d.chunks, 3, NULL) &&
	    !store_chunks(c, w, reg, d.chunks + 1, 1, NULL) &&
	    !store_chunks(c, w, reg, d.chunks, 3, &block)) {
		st = fetch_equals(c, reg, &d, w->addr, block, &e);
		CHECK(st == 0, "identical duplicates: %s", e.msg);
	}

	/* A duplicate with other bytes is refused. */
	if (!env_make(&x, 2000, 1000) && !store_chunks(c, w, reg, x.chunks, 2, NULL)) {
		alt[0] = x.chunks[1];
		randombytes_buf(junk, sizeof(junk));
		alt[0].data = junk;
		if (!store_chunks(c, w, reg, alt, 1, &block)) {
			st = fetch(c, reg, x.hash, w->addr, block, x.len, &got, &len, &e);
			CHECK(st == EHR_EINTEGRITY && strstr(e.msg, "conflicting chunks at index 1"),
			      "conflicting duplicate: %s", e.msg);
			free(got);
			got = NULL;
		}
		/* A shorter duplicate: as conflicting. */
		alt[0].len = 999;
		if (!store_chunks(c, w, reg, alt, 1, &block)) {
			st = fetch(c, reg, x.hash, w->addr, block, x.len, &got, &len, &e);
			CHECK(st == EHR_EINTEGRITY && strstr(e.msg, "conflicting chunks"),
			      "conflicting shorter duplicate: %s", e.msg);
			free(got);
			got = NULL;
		}
	}

	/* Chunks that disagree on their count. */
	if (!env_make(&y, 2000, 1000)) {
		alt[0] = y.chunks[0];
		alt[1] = y.chunks[1];
		alt[1].count = 3;
		if (!store_chunks(c, w, reg, alt, 2, &block)) {
			st = fetch(c, reg, y.hash, w->addr, block, y.len, &got, &len, &e);
			CHECK(st == EHR_EINTEGRITY && strstr(e.msg, "conflicting chunk counts"),
			      "conflicting counts: %s", e.msg);
			free(got);
			got = NULL;
		}
		/* An index past the count. */
		alt[0] = y.chunks[0];
		alt[0].content_hash[0] ^= 1;
		alt[0].index = 5;
		alt[0].count = 2;
		if (!store_chunks(c, w, reg, alt, 1, &block)) {
			st = fetch(c, reg, alt[0].content_hash, w->addr, block, 1000, &got, &len, &e);
			CHECK(st == EHR_EINTEGRITY && strstr(e.msg, "chunk index 5 of 2"),
			      "index past the count: %s", e.msg);
			free(got);
			got = NULL;
		}
	}
	env_free(&f);
	env_free(&m);
	env_free(&d);
	env_free(&x);
	env_free(&y);
}

/* ---- the registry's log scanner (wallet/registry/event_scan.h) ---------- */

struct seen {
	size_t n;
	int kind;
	uint8_t patient[20];
};

static int count_event(void *ctx, const registry_event_data *ev)
{
	struct seen *s = ctx;

	s->n++;
	s->kind = (int)ev->kind;
	memcpy(s->patient, ev->patient, 20);
	return 0;
}

/* w registers its key; a scan for KeyRegistered whose topic 1 holds 40
 * addresses (more than a node takes at once: asked in two slices) finds
 * that one event when w is among them, at any place, and none when not. */
static void test_event_scan(chain *c, const struct who *w, const uint8_t reg[20])
{
	uint8_t key[32] = { 7 }, *data = NULL, t0[1][32], t1[40][32];
	chain_topic topics[4] = { { t0, 1 }, { t1, 40 }, { NULL, 0 }, { NULL, 0 } };
	struct seen seen = { 0 };
	size_t len = 0, skipped = 0, i;
	ehr_err e = { 0 };

	if (registry_call_register(key, "scan test", 1, &data, &len, &e) || send_one(c, w, reg, data, len, NULL)) {
		CHECK(0, "register: %s", e.msg);
		free(data);
		return;
	}
	free(data);
	memcpy(t0[0], registry_event_topic(REG_EV_KEY_REGISTERED), 32);
	for (i = 0; i < 40; i++) {
		uint8_t other[20];

		memset(other, (int)i + 1, 20);
		event_topic_address(other, t1[i]);
	}
	CHECK(event_scan(c, reg, topics, 0, CHAIN_LATEST, count_event, &seen, &skipped, &e) == 0, "%s", e.msg);
	CHECK(seen.n == 0 && skipped == 0, "w not named: %zu events, %zu skipped", seen.n, skipped);
	event_topic_address(w->addr, t1[35]);
	CHECK(event_scan(c, reg, topics, 0, CHAIN_LATEST, count_event, &seen, NULL, &e) == 0, "%s", e.msg);
	CHECK(seen.n == 1 && seen.kind == REG_EV_KEY_REGISTERED && !memcmp(seen.patient, w->addr, 20),
	      "w named 36th of 40: %zu events", seen.n);
	CHECK(t1[35][11] == 0 && !memcmp(t1[35] + 12, w->addr, 20), "an address topic is right-aligned");
	event_topic_u64(0x0102, t1[0]);
	CHECK(t1[0][31] == 2 && t1[0][30] == 1 && t1[0][29] == 0 && t1[0][0] == 0, "a number topic is big-endian");
}

static int open_chain(const char *url, chain **c)
{
	rpc_options opt;
	ehr_err e;
	int st;

	rpc_options_default(&opt);
	opt.trace = trace_fn;
	opt.trace_ctx = &tr;
	st = chain_open(url, "local", 31337, &opt, c, &e);
	CHECK(st == 0, "chain_open: %s", e.msg);
	if (!st)
		chain_set_errors(*c, registry_errors, registry_n_errors);
	return st;
}

/* Gas per KiB of a 96 KiB chunk under another hardfork's calldata rules. */
static double per_kib_on(const char *anvil_path, const char *hardfork, const struct who *w)
{
	struct anvil a;
	chain *c = NULL;
	uint8_t reg[20], *data = NULL;
	struct env v;
	size_t len;
	chain_receipt r = { 0 };
	double per = 0;
	ehr_err e;

	memset(&v, 0, sizeof(v));
	if (start_anvil(anvil_path, &a, hardfork)) {
		CHECK(0, "anvil --hardfork %s did not start", hardfork);
		return 0;
	}
	if (!open_chain(a.url, &c) && !deploy(c, w, registry_bytecode_hex, reg) &&
	    !env_make(&v, 2 * CHAINSTORE_CHUNK, 0) &&
	    !registry_call_anchor(w->addr, 0, v.chunks, 1, NULL, 0, &data, &len, &e) &&
	    !send_calls(c, w, reg, &data, &len, 1, &r))
		per = (double)r.gas_used / 96.0;
	chain_receipt_free(&r);
	free(data);
	env_free(&v);
	chain_close(c);
	stop_anvil(&a);
	return per;
}

static int load_key(const char *hex, struct who *w)
{
	ehr_err e;

	return !(w->priv = sodium_malloc(32)) || hex_decode_exact(hex, w->priv, 32) ||
	       eth_address_from_priv(w->priv, w->addr, &e);
}

int main(void)
{
	const char *tools = getenv("EHR_TOOLS");
	char anvil_path[4096];
	struct anvil a;
	struct who dev0 = { 0 }, dev1 = { 0 };
	chain *c = NULL;
	uint8_t reg[20];
	double chunk = 0, batch = 0, cancun;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (sodium_init() < 0)
		return 1;
	CHECK(strstr(chainstore_describe(), "cannot be deleted") != NULL, "describe says it");
	test_split();
	test_plan();

	snprintf(anvil_path, sizeof(anvil_path), "%s/anvil",
		 tools && *tools ? tools : "tests/node_modules/.bin");
	if (access(anvil_path, X_OK)) {
		printf("skip: chain storage tests: %s not found (make deps)\n", anvil_path);
		return tap_done();
	}
	if (load_key(DEV0_KEY, &dev0) || load_key(DEV1_KEY, &dev1)) {
		CHECK(0, "dev keys");
		goto done;
	}
	{
		char shown[43];

		eip55_format(dev1.addr, shown);
		CHECK_STR(shown, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
	}
	if (start_anvil(anvil_path, &a, NULL)) {
		CHECK(0, "anvil did not start");
		goto done;
	}
	if (!open_chain(a.url, &c) && !deploy(c, &dev0, registry_bytecode_hex, reg)) {
		test_roundtrip(c, &dev0, reg, &chunk, &batch);
		test_scattered(c, &dev0, reg);
		test_shapes(c, &dev0, reg);
		test_refusals(c, &dev0, &dev1, reg);
		test_event_scan(c, &dev1, reg);
	}
	chain_close(c);
	stop_anvil(&a);
	cancun = per_kib_on(anvil_path, "cancun", &dev0);
	CHECK(chunk > 30000 && cancun > 10000 && cancun < chunk,
	      "gas per KiB: %.0f (default), %.0f (cancun)", chunk, cancun);
	printf("# chain storage: %.0f gas/KiB in 96 KiB storeChunks transactions (default hardfork), "
	       "%.0f gas/KiB under cancun rules; the whole batch %.0f gas/KiB\n", chunk, cancun, batch);
done:
	sodium_free(dev0.priv);
	sodium_free(dev1.priv);
	return tap_done();
}
