/* The `chain` storage back end: a record's envelope travels as calldata to
 * the registry (storeChunks / storeAndAnchor, contracts/README.md) and is
 * found again through its ChunkStored events. Nothing is kept in contract
 * storage, so nothing can be deleted either.
 *
 * Putting is split in two pure steps and leaves the sending to the caller:
 * chainstore_split cuts an envelope into chunks, chainstore_plan_batch
 * packs the chunks and anchors of many records into transactions. Getting
 * is one call, chainstore_fetch, which reads the chunks back in order.
 *
 * Sizes. geth's transaction pool refuses transactions over 128 KiB
 * (131,072 bytes, the signed RLP envelope). A storeChunks call carrying one
 * chunk of D bytes is 4 (selector) + 32 (array offset) + 32 (array length)
 * + 32 (tuple offset) + 4 * 32 (contentHash, index, count, data offset)
 * + 32 (data length) + D rounded up to 32 = 260 + D bytes: 98,564 bytes for
 * a 96 KiB chunk. The planner keeps every transaction's call data within
 * CHAINSTORE_TX_BYTES (126 KiB = 129,024 bytes); the 2,048 bytes left under
 * geth's limit hold the rest of the signed transaction (type byte, list
 * header, chain id, nonce, two fees, gas, to, value, data header, access
 * list, y parity, r, s: under 250 bytes). A 96 KiB chunk thus leaves about
 * 30 KiB of a transaction for anchors and other records' chunks.
 *
 * Gas. Ciphertext is random, so nearly every calldata byte is non-zero:
 * 16 gas a byte before Prague, and under EIP-7623 (Prague on) a floor of
 * 40 gas a byte for data-heavy transactions; a 96 KiB chunk is about 4
 * million gas. Chains with EIP-7825 (Osaka) cap a transaction at 2^24 gas;
 * the planner's default budget, CHAINSTORE_TX_GAS, stays well below it and
 * below the block gas limit of small chains. The planner's figures are
 * upper estimates for packing, not gas limits: prepare the transactions
 * with eth_estimateGas (chain_prepare_many).
 *
 * Nothing here prints. */
#ifndef EHR_CHAINSTORE_H
#define EHR_CHAINSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/chain/chain.h"
#include "wallet/base/err.h"
#include "wallet/registry/registry.h"

#define CHAINSTORE_CHUNK	(96 * 1024)		/* default chunk size */
#define CHAINSTORE_TX_BYTES	(126 * 1024)		/* call data per transaction */
#define CHAINSTORE_TX_GAS	10000000ULL		/* planner's gas budget per transaction */
#define CHAINSTORE_MAX_RECORD	(64ULL * 1024 * 1024)	/* largest envelope stored or read */
#define CHAINSTORE_MAX_CHUNKS	65536			/* most chunks of one record */

/* Cuts the envelope (len bytes, len <= CHAINSTORE_MAX_RECORD) whose SHA-256
 * is hash into ceil(len / chunk_bytes) chunks (one empty chunk when len is
 * 0), index 0.. in order, each with count set and content_hash = hash.
 * chunk_bytes 0 means CHAINSTORE_CHUNK; at most CHAINSTORE_TX_BYTES - 1024.
 * The chunks' data point into envelope, which must outlive them; *chunks
 * is malloc'd (the caller frees it) with *n entries. The hash is not
 * checked here. EHR_EUSAGE for a chunk size out of range or an envelope
 * too large (or needing more than CHAINSTORE_MAX_CHUNKS chunks), EHR_EFAIL
 * when out of memory. */
int chainstore_split(const uint8_t *envelope, size_t len, const uint8_t hash[32],
		     size_t chunk_bytes, registry_chunk **chunks, size_t *n, ehr_err *e);

/* One record for the planner: its anchor (anchor.content_hash and
 * anchor.size must match the chunks: every chunk has that content hash,
 * indexes 0..nchunks-1 in order, count nchunks, lengths adding up to size)
 * and its chunks, as chainstore_split made them. Nothing is copied until
 * the call data is encoded. */
typedef struct chainstore_record {
	registry_record_in anchor;
	const registry_chunk *chunks;
	size_t nchunks;
} chainstore_record;

/* Packing limits; chainstore_limits_default fills chunk_bytes
 * CHAINSTORE_CHUNK, tx_bytes CHAINSTORE_TX_BYTES and tx_gas
 * CHAINSTORE_TX_GAS. */
typedef struct chainstore_limits {
	size_t chunk_bytes;	/* chunk data per transaction */
	size_t tx_bytes;	/* call data per transaction */
	uint64_t tx_gas;	/* estimated gas per transaction */
} chainstore_limits;

void chainstore_limits_default(chainstore_limits *l);

/* One planned transaction to the registry: storeChunks (nrecords 0),
 * storeAndAnchor, or anchorRecords (nchunks 0: only when an anchor did not
 * fit beside its record's last chunk). records lists the indexes (into the
 * planner's input) of the records it anchors, in the order the contract
 * gives them ids: firstId, firstId + 1, ... (the RecordAnchored events of
 * its receipt come in that order too). */
typedef struct chainstore_tx {
	uint8_t *data;		/* call data, malloc'd, owned by the plan */
	size_t len;
	size_t *records;	/* owned by the plan; NULL when nrecords is 0 */
	size_t nrecords;
	size_t nchunks;		/* chunks carried, of any record */
	size_t chunk_bytes;	/* their data bytes */
	uint64_t gas_estimate;	/* the planner's upper estimate (see above) */
	uint8_t shape[16];	/* equal for transactions of one call with chunks and
				 * records of the same lengths in the same order: they
				 * cost the same gas but for their call data's bytes
				 * (chain_fee_opts.shapes) */
} chainstore_tx;

typedef struct chainstore_plan {
	chainstore_tx *txs;
	size_t ntxs;
} chainstore_plan;

/* Plans the transactions that store and anchor n records (n >= 1) of one
 * patient (the contract anchors for one patient per call) under grant_id
 * (0 when the patient writes). Records keep their input order, so ids
 * follow it. A record whose chunks and anchor fit in the transaction being
 * filled (limits: chunk data, call data, estimated gas) joins it; one
 * that fits in a transaction of its own starts a new one; a bigger one has
 * all but its last chunk packed into storeChunks transactions, followed by
 * the transaction that carries its last chunk and its anchor. So a record
 * is anchored in the same transaction as its last bytes or after all of
 * them, when the transactions are mined in plan order (consecutive nonces
 * of one sender do that; a transaction that reverts breaks it, so check
 * every receipt). limits NULL means the defaults. On success the caller
 * sends plan->txs in order and frees the plan with chainstore_plan_free.
 * EHR_EUSAGE for inconsistent records, a chunk larger than
 * limits->chunk_bytes, or an anchor that cannot fit in any transaction;
 * EHR_EFAIL when out of memory. */
int chainstore_plan_batch(const uint8_t patient[20], uint64_t grant_id,
			  const chainstore_record *records, size_t n,
			  const chainstore_limits *limits, chainstore_plan *plan, ehr_err *e);

/* Call data per batch request when preparing and sending a plan. A batch
 * request carries each transaction's data as hex (estimates, then raw
 * transactions), and nodes refuse large bodies: anvil 1.7 answers
 * "Invalid request" to batch bodies over 2 MiB, geth refuses bodies over
 * 5 MiB. 768 KiB of call data is about 1.5 MiB of hex. */
#define CHAINSTORE_BATCH_BYTES	(768 * 1024)

/* The end of the group of plan->txs that starts at first and may share a
 * batch request: the largest end such that txs[first..end) hold at most
 * max_bytes of call data (0: CHAINSTORE_BATCH_BYTES), and at least
 * first + 1 (a transaction travels even alone). Returns first when first
 * is past the plan. Prepare (chain_prepare_many) and send
 * (chain_send_batch) group by group, then wait for all. */
size_t chainstore_plan_group(const chainstore_plan *plan, size_t first, size_t max_bytes);

/* Frees what the plan owns and zeroes it (a zeroed plan is fine). */
void chainstore_plan_free(chainstore_plan *plan);

/* The ids given by plan->txs[t], from its receipt: the receipt's
 * RecordAnchored events of registry, which must be as many as
 * txs[t].nrecords and carry the content hashes of those records in order
 * (records is the planner's input). ids[records index] receives each id
 * (other entries are left alone). EHR_EINTEGRITY when the receipt does not
 * match the plan. */
int chainstore_receipt_ids(const chainstore_plan *plan, size_t t, const chain_receipt *r,
			   const uint8_t registry[20], const chainstore_record *records,
			   uint64_t *ids, ehr_err *e);

/* Reads a chain-stored envelope back and writes its expected_size bytes
 * to out_fd, in order.
 *
 * It asks eth_getLogs for the registry's ChunkStored events with
 * contentHash = content_hash and sender = author (the record's author, from
 * RecordAnchored: anyone may call storeChunk, so chunks from anyone else
 * are never looked at) in blocks up to anchored_block, scanning backwards
 * in growing windows until every index is seen (chunks are normally a few
 * blocks before the anchor, or in its block). Then it fetches the
 * transactions' inputs with eth_getTransactionByHash, one batch request
 * for records up to about 8 MiB (64 transactions a batch, so larger ones
 * hold at most that many in memory at a time), ignores transactions not
 * sent to the registry, decodes each input by its selector (storeChunk,
 * storeChunks, storeAndAnchor) and takes the chunks with content_hash (a
 * transaction may carry other records' chunks).
 *
 * The hash of the bytes is NOT checked here: the caller hashes the whole
 * envelope before decrypting anything. What is checked: index < count
 * and every chunk naming the same count (at most CHAINSTORE_MAX_CHUNKS),
 * each index present (a duplicate with the same bytes is harmless;
 * different bytes are refused), and sizes adding up to expected_size,
 * which may be at most CHAINSTORE_MAX_RECORD.
 *
 * Returns 0; EHR_EINTEGRITY when chunks are missing ("record 0xHASH is
 * incomplete on chain: chunk 4 of 7 (index 3) is missing"; "... no chunks
 * by 0xAUTHOR up to block N"), conflicting ("... conflicting chunks at
 * index 3"), inconsistent or of the wrong total size; EHR_EFAIL for a
 * record over CHAINSTORE_MAX_RECORD, out of memory or a failed write
 * (errno's words); or the node's failure (EHR_ENODE, EHR_ECHAIN; a
 * transaction the node does not know is EHR_ENODE). On failure out_fd may
 * hold part of the record: the caller discards it. */
int chainstore_fetch(chain *c, const uint8_t registry[20], const uint8_t content_hash[32],
		     const uint8_t author[20], uint64_t anchored_block, int out_fd,
		     uint64_t expected_size, ehr_err *e);

/* What chain storage can and cannot do, for `ehr record erase` and
 * `ehr record get`: a static sentence. */
const char *chainstore_describe(void);

#endif
