/* Chain storage (wallet/registry/chainstore.c): what chainstore_fetch reads from
 * the chain about a record's chunks, which anyone can forge: ChunkStored
 * event data, and the input of the transactions that carried the chunks
 * (storeChunk, storeChunks, storeAndAnchor call data).
 *
 * The readers (on_chunk_log, take_input, take_chunk) are static and run
 * behind eth_getLogs and eth_getTransactionByHash, so this target compiles
 * chainstore.c into itself to reach them without a node (its public
 * symbols then come from here, not from libehr.a's chainstore.o). If
 * chainstore.c renames them, change this file with it.
 *
 * Input: byte 0 the record's chunk count (1 + byte mod 8), bytes 1-2 its
 * size (big-endian), then items, each a kind byte, a big-endian u16 length
 * and that many bytes: kind mod 4 = 0, 1, 2 is the call data of storeChunk,
 * storeChunks or storeAndAnchor without its selector (added here); 3 is the
 * data of a ChunkStored event for the record. The record's content hash is
 * 32 bytes of 0x11 and its author 20 bytes of 0x22. */
#include "fuzz.h"

#include <fcntl.h>

#include "wallet/registry/chainstore.c"

static int null_fd = -1;
static const uint8_t registry_addr[20] = { 0x33, 0x33 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || (null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sigs[3] = {
		"storeChunk(bytes32,uint32,uint32,bytes)",
		"storeChunks((bytes32,uint32,uint32,bytes)[])",
		("storeAndAnchor(address,uint256,(bytes32,uint32,uint32,bytes)[],"
		 "(bytes32,uint64,string,bytes,bytes,bytes)[])"),
	};
	uint8_t hash[32], author[20], *in;
	struct assembly a;
	struct scan s;
	chain_log log;
	ehr_err e;
	size_t len, i;
	uint8_t kind, mark[8];
	int st = 0;

	if (size < 3)
		return 0;
	memset(hash, 0x11, 32);
	memset(author, 0x22, 20);
	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	a.fd = null_fd;
	a.count = 1 + data[0] % 8;
	a.expected = (uint64_t)data[1] << 8 | data[2];
	a.hash_hex = "0x1111";
	a.e = &e;
	a.seen = calloc(a.count, 1);
	a.digest = calloc(a.count, sizeof(*a.digest));
	a.pending = calloc(a.count, sizeof(*a.pending));
	a.pending_len = calloc(a.count, sizeof(*a.pending_len));
	if (!a.seen || !a.digest || !a.pending || !a.pending_len)
		abort();
	s.registry = registry_addr;
	s.hash = hash;
	s.author = author;
	s.e = &e;
	memcpy(s.hash_hex, "0x1111", 7);
	data += 3;
	size -= 3;

	while (size >= 3 && !st) {
		kind = data[0] % 4;
		len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (kind < 3) {
			if (!(in = malloc(len + 4)))
				abort();
			if (abi_selector(sigs[kind], in, NULL))
				abort();
			memcpy(in + 4, data, len);
			st = take_input(&a, hash, in, len + 4, "0x2222");
			free(in);
		} else {
			memset(&log, 0, sizeof(log));
			memcpy(log.address, registry_addr, 20);
			log.n_topics = 3;
			memcpy(log.topics[0], registry_event_topic(REG_EV_CHUNK_STORED), 32);
			memcpy(log.topics[1], hash, 32);
			memcpy(log.topics[2] + 12, author, 20);
			in = fuzz_copy(data, len);
			log.data = len ? in : NULL;
			log.data_len = len;
			st = on_chunk_log(&s, &log);
			free(in);
			if (!st && s.count <= 8)
				FUZZ_ASSERT(first_unlogged(&s, mark) <= s.count);
		}
		if (st)
			fuzz_check_err(st, &e);
		data += len;
		size -= len;
	}
	FUZZ_ASSERT(a.next <= a.count);
	if (!st)
		FUZZ_ASSERT(a.total <= a.expected);
	for (i = 0; i < a.count; i++)
		free(a.pending[i]);
	free(a.pending);
	free(a.pending_len);
	free(a.digest);
	free(a.seen);
	free(s.hits);
	return 0;
}
