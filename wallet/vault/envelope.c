/* The record envelope; the format is documented in envelope.h.
 *
 * Sealing and opening are streams in constant memory. The SHA-256 of the
 * envelope runs on a second thread (the pump, envelope_pump.c), beside the
 * cipher: hashing inline after each chunk made sealing 1 GiB almost twice
 * as slow as a bare secretstream loop. The cipher is sstream.c, libsodium's
 * secretstream byte for byte on libcrypto's vectorised ChaCha20 and
 * Poly1305 (about three times libsodium's speed here), so the pump's
 * SHA-256 is now the slower side. When no thread can be started the same
 * steps run inline. */
#include "wallet/vault/envelope.h"
#include "wallet/base/fileio.h"
#include "wallet/base/sha256.h"
#include "wallet/vault/envelope_pump.h"
#include "wallet/keys/keyholder.h"
#include "wallet/vault/sstream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <sodium.h>

#define TAG_MESSAGE SSTREAM_TAG_MESSAGE
#define TAG_PUSH SSTREAM_TAG_PUSH
#define TAG_FINAL SSTREAM_TAG_FINAL


/* ---- header ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the fixed header; stores the version and the metadata message's
 * plaintext length. */
static int parse_header(const uint8_t *h, size_t len, unsigned *version, uint32_t *meta_len,
			ehr_err *e)
{
	static const uint8_t zero[3];

	if (len < ENVELOPE_HEADER_BYTES) {
		if (len == 0)
			return ehr_fail(e, EHR_EINTEGRITY, "record is empty: not an ehr envelope");
		return ehr_fail(e, EHR_EINTEGRITY, "record is truncated: the header is incomplete");
	}
	if (memcmp(h, ENVELOPE_MAGIC, 8) != 0)
		return ehr_fail(e, EHR_EINTEGRITY, "record is not an ehr envelope (bad magic)");
	if (h[8] != ENVELOPE_VERSION && h[8] != ENVELOPE_VERSION_UNPADDED)
		return ehr_fail(e, EHR_EINTEGRITY, "record is an envelope of version %u, which "
				"this ehr cannot read (it reads versions %d and %d)", h[8],
				ENVELOPE_VERSION_UNPADDED, ENVELOPE_VERSION);
	if (memcmp(h + 9, zero, 3) != 0)
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged: reserved header bytes are set");
	if (get_be32(h + 12) != ENVELOPE_CHUNK)
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged: chunk size %u is not %d",
				get_be32(h + 12), ENVELOPE_CHUNK);
	*version = h[8];
	*meta_len = get_be32(h + 16);
	if (*version == ENVELOPE_VERSION_UNPADDED ? *meta_len < 2 || *meta_len > ENVELOPE_META_MAX
	    : *meta_len > envelope_bucket(ENVELOPE_META_MAX + 1, ENVELOPE_META_FLOOR) ||
	      envelope_bucket(*meta_len, ENVELOPE_META_FLOOR) != *meta_len)
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged: metadata length %u is out "
				"of range", *meta_len);
	return 0;
}

uint64_t envelope_bucket(uint64_t n, uint64_t floor)
{
	unsigned exp, bits;
	uint64_t mask;

	if (n <= floor)
		return floor;
	exp = 63 - (unsigned)__builtin_clzll(n);
	bits = 32 - (unsigned)__builtin_clz(exp);
	mask = (UINT64_C(1) << (exp - bits)) - 1;
	return (n + mask) & ~mask;
}

int envelope_prefix_len(const uint8_t *head, size_t len, size_t *span, ehr_err *e)
{
	uint32_t meta_len;
	unsigned version;
	int rc;

	if ((rc = parse_header(head, len, &version, &meta_len, e)))
		return rc;
	*span = ENVELOPE_HEADER_BYTES + (size_t)meta_len + ENVELOPE_ABYTES;
	return 0;
}

/* ---- sealing ---- */

static void now_rfc3339(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The envelope's first 44 bytes into hdr (st initialised under key) and
 * the metadata message's plaintext: the JSON of m (its "created" filled in
 * when empty), the mark and zeros up to its bucket, in *meta (malloc'd,
 * *meta_len bytes; free_meta wipes and frees it). */
static int seal_begin(envelope_meta *m, sstream *st, const uint8_t key[32],
		      uint8_t hdr[ENVELOPE_HEADER_BYTES], uint8_t **meta, size_t *meta_len, ehr_err *e)
{
	char *json = NULL;
	size_t json_len = 0;
	int rc;

	*meta = NULL;
	if (!m->created[0])
		now_rfc3339(m->created);
	if ((rc = envelope_meta_encode(m, &json, &json_len, e)))
		return rc;
	*meta_len = (size_t)envelope_bucket(json_len + 1, ENVELOPE_META_FLOOR);
	if (!(*meta = calloc(1, *meta_len))) {
		sodium_memzero(json, json_len);
		cJSON_free(json);
		return ehr_fail(e, EHR_EFAIL, "out of memory sealing the record");
	}
	memcpy(*meta, json, json_len);
	(*meta)[json_len] = ENVELOPE_PAD_MARK;
	sodium_memzero(json, json_len);
	cJSON_free(json);
	memcpy(hdr, ENVELOPE_MAGIC, 8);
	hdr[8] = ENVELOPE_VERSION;
	hdr[9] = hdr[10] = hdr[11] = 0;
	put_be32(hdr + 12, ENVELOPE_CHUNK);
	put_be32(hdr + 16, (uint32_t)*meta_len);
	sstream_init_push(st, hdr + 20, key);
	return 0;
}

/* libcrypto failed under the cipher: out of memory, in practice. */
static int cipher_failed(ehr_err *e)
{
	return ehr_fail(e, EHR_EFAIL, "the cipher failed (out of memory?)");
}

static void free_wiped(uint8_t *meta, size_t len)
{
	if (meta) {
		sodium_memzero(meta, len);
		free(meta);
	}
}

/* The end of a data stream (version 2): the file's last piece (n bytes,
 * 0..C, starting on a chunk boundary), the mark and zeros, handed out one
 * chunk at a time so that 1 GiB needs no more than one chunk of memory. */
struct pad_tail {
	const uint8_t *piece;
	size_t n, used;            /* piece bytes, and how many are out */
	uint64_t left;             /* stream bytes still to come: piece, mark, zeros */
	bool marked;
	uint8_t *buf;              /* ENVELOPE_CHUNK bytes */
};

/* Starts t for a file of size bytes whose last n bytes are at piece. */
static void tail_start(struct pad_tail *t, const uint8_t *piece, size_t n, uint64_t size,
		       uint8_t *buf)
{
	t->piece = piece;
	t->n = n;
	t->used = 0;
	t->left = n + envelope_bucket(size + 1, ENVELOPE_DATA_FLOOR) - size;
	t->marked = false;
	t->buf = buf;
}

/* The next chunk's plaintext into t->buf: its length (0 when the stream is
 * done) and its tag. */
static size_t tail_next(struct pad_tail *t, uint8_t *tag)
{
	size_t len = t->left < ENVELOPE_CHUNK ? (size_t)t->left : ENVELOPE_CHUNK;
	size_t data = t->n - t->used < len ? t->n - t->used : len;
	bool mark_here = false;

	if (!len)
		return 0;
	if (data)
		memcpy(t->buf, t->piece + t->used, data);
	memset(t->buf + data, 0, len - data);
	t->used += data;
	if (!t->marked && data < len) {
		t->buf[data] = ENVELOPE_PAD_MARK;
		t->marked = mark_here = true;
	}
	t->left -= len;
	*tag = !t->left ? TAG_FINAL : mark_here ? TAG_PUSH : TAG_MESSAGE;
	return len;
}

/* Seals the tail of t through the pump's out ring; adds its bytes to
 * *out_bytes. */
static int seal_tail_pump(struct pump *pump, sstream *st, struct pad_tail *t,
			  uint64_t *out_bytes, ehr_err *e)
{
	uint8_t tag = 0, *slot;
	size_t len;

	while ((len = tail_next(t, &tag))) {
		slot = pump_out(pump);
		if (sstream_push(st, slot, t->buf, len, NULL, 0, tag))
			return cipher_failed(e);
		pump_out_done(pump, len + ENVELOPE_ABYTES);
		*out_bytes += len + ENVELOPE_ABYTES;
	}
	return 0;
}

/* Seals the input's chunks through the pump: every chunk but the last
 * piece as it comes, then (seal_tail_pump) the last piece, the mark and
 * the padding, whose length is known once the input ends. */
static int seal_stream(struct pump *pump, sstream *st, uint8_t *tail_buf, uint64_t *total,
		       uint64_t *out_bytes, ehr_err *e)
{
	struct pad_tail t;
	uint8_t *slot, *pt, *next_pt = NULL;
	size_t n, next_n = 0;
	int werr, rc;

	/* A chunk is the last piece when the input ends inside it or right
	 * after it, so a full chunk waits for a look at the next. */
	pt = pump_in(pump, &n);
	for (;;) {
		bool last = true;

		if (n == ENVELOPE_CHUNK) {
			next_pt = pump_in(pump, &next_n);
			last = next_n == 0;
		}
		if (last && pump->read_errno)
			return ehr_fail(e, EHR_EFAIL, "cannot read the file to seal: %s",
					strerror(pump->read_errno));
		if (last) {
			tail_start(&t, pt, n, *total + n, tail_buf);
			if ((rc = seal_tail_pump(pump, st, &t, out_bytes, e)))
				return rc;
			pump_in_done(pump);
			*total += n;
			return 0;
		}
		slot = pump_out(pump);
		if (sstream_push(st, slot, pt, n, NULL, 0, TAG_MESSAGE))
			return cipher_failed(e);
		pump_out_done(pump, n + ENVELOPE_ABYTES);
		pump_in_done(pump);
		*total += n;
		*out_bytes += n + ENVELOPE_ABYTES;
		if ((werr = atomic_load(&pump->write_errno)))
			return ehr_fail(e, EHR_EFAIL, "cannot write the sealed record: %s",
					strerror(werr));
		pt = next_pt;
		n = next_n;
	}
}

int envelope_seal(int in_fd, int out_fd, const envelope_meta *meta, const uint8_t key[32],
		  uint8_t content_hash[32], uint64_t *envelope_size, ehr_err *e)
{
	envelope_meta m = *meta;
	struct src s = { .fd = in_fd };
	sstream *st = NULL;
	sha256_ctx *md = NULL;
	struct pump pump;
	bool started = false, pumping = false;
	uint8_t *slot, *meta_pt = NULL, *tail_buf = NULL, hdr[ENVELOPE_HEADER_BYTES];
	size_t meta_len = 0;
	uint64_t total = 0, out_bytes;
	struct stat sb;
	int rc, werr;

	if (fstat(in_fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		off_t pos = lseek(in_fd, 0, SEEK_CUR);

		if (pos >= 0 && pos <= sb.st_size)
			m.size = (uint64_t)(sb.st_size - pos);
	}
	if (!(st = sstream_new()) || !(tail_buf = malloc(ENVELOPE_CHUNK))) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory sealing the record");
		goto out;
	}
	if ((rc = seal_begin(&m, st, key, hdr, &meta_pt, &meta_len, e)))
		goto out;
	if (!(md = sha256_new()) ||
	    pump_start(&pump, &s, ENVELOPE_CHUNK, md, true, out_fd) < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory sealing the record");
		goto out;
	}
	started = pumping = true;

	slot = pump_out(&pump);
	memcpy(slot, hdr, sizeof(hdr));
	pump_out_done(&pump, sizeof(hdr));
	slot = pump_out(&pump);
	if (sstream_push(st, slot, meta_pt, meta_len, hdr, sizeof(hdr), TAG_MESSAGE)) {
		rc = cipher_failed(e);
		goto out;
	}
	pump_out_done(&pump, meta_len + ENVELOPE_ABYTES);
	out_bytes = sizeof(hdr) + meta_len + ENVELOPE_ABYTES;
	if ((rc = seal_stream(&pump, st, tail_buf, &total, &out_bytes, e)))
		goto out;
	pumping = false;
	if ((werr = pump_finish(&pump, false))) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot write the sealed record: %s", strerror(werr));
		goto out;
	}
	if (m.size != ENVELOPE_SIZE_UNKNOWN && total != m.size) {
		rc = ehr_fail(e, EHR_EFAIL, "the file changed while it was sealed (%llu bytes "
			      "read, %llu expected)", (unsigned long long)total,
			      (unsigned long long)m.size);
		goto out;
	}
	if (content_hash)
		sha256_final(md, content_hash);
	if (envelope_size)
		*envelope_size = out_bytes;
	rc = 0;
out:
	if (pumping)
		pump_finish(&pump, true);
	if (started)
		pump_free(&pump);
	free_wiped(meta_pt, meta_len);
	free_wiped(tail_buf, tail_buf ? ENVELOPE_CHUNK : 0);
	sha256_free(md);
	sstream_free(st);
	return rc;
}

struct envelope_sealer {
	sstream *st;               /* its state is in sodium_malloc memory */
};

envelope_sealer *envelope_sealer_new(void)
{
	envelope_sealer *s = calloc(1, sizeof(*s));

	if (s && !(s->st = sstream_new())) {
		free(s);
		s = NULL;
	}
	return s;
}

void envelope_sealer_free(envelope_sealer *s)
{
	if (s) {
		sstream_free(s->st);
		free(s);
	}
}

/* The sealed data stream of a file of size bytes: padded, chunked. */
static uint64_t stream_sealed_size(uint64_t size)
{
	uint64_t stream = envelope_bucket(size + 1, ENVELOPE_DATA_FLOOR);

	return stream + (stream + ENVELOPE_CHUNK - 1) / ENVELOPE_CHUNK * ENVELOPE_ABYTES;
}

uint64_t envelope_sealed_size(size_t meta_len, uint64_t size)
{
	return ENVELOPE_HEADER_BYTES + envelope_bucket(meta_len + 1, ENVELOPE_META_FLOOR) +
	       ENVELOPE_ABYTES + stream_sealed_size(size);
}

int envelope_seal_mem(envelope_sealer *s, const uint8_t *data, size_t len,
		      const envelope_meta *meta, const uint8_t key[32], uint8_t **out,
		      size_t *out_len, uint8_t content_hash[32], ehr_err *e)
{
	envelope_meta m = *meta;
	struct pad_tail t;
	uint8_t *meta_pt = NULL, *tail_buf = NULL, tag = 0;
	size_t meta_len = 0, off = 0, at, total, n;
	uint8_t hdr[ENVELOPE_HEADER_BYTES], *env = NULL;
	int rc;

	*out = NULL;
	*out_len = 0;
	m.size = len;
	if (len > ENVELOPE_SIZE_LIMIT)
		return ehr_fail(e, EHR_EUSAGE, "the record is too large to seal in memory");
	if ((rc = seal_begin(&m, s->st, key, hdr, &meta_pt, &meta_len, e)))
		goto out;
	total = ENVELOPE_HEADER_BYTES + meta_len + ENVELOPE_ABYTES + (size_t)stream_sealed_size(len);
	if (!(env = malloc(total)) || !(tail_buf = malloc(ENVELOPE_CHUNK))) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory sealing the record");
		goto out;
	}
	memcpy(env, hdr, sizeof(hdr));
	if (sstream_push(s->st, env + ENVELOPE_HEADER_BYTES, meta_pt, meta_len, env,
			 ENVELOPE_HEADER_BYTES, TAG_MESSAGE)) {
		rc = cipher_failed(e);
		goto out;
	}
	at = ENVELOPE_HEADER_BYTES + meta_len + ENVELOPE_ABYTES;
	for (; len - off > ENVELOPE_CHUNK; off += ENVELOPE_CHUNK) {
		if (sstream_push(s->st, env + at, data + off, ENVELOPE_CHUNK, NULL, 0, TAG_MESSAGE)) {
			rc = cipher_failed(e);
			goto out;
		}
		at += ENVELOPE_CHUNK + ENVELOPE_ABYTES;
	}
	tail_start(&t, data + off, len - off, len, tail_buf);
	while ((n = tail_next(&t, &tag))) {
		if (sstream_push(s->st, env + at, t.buf, n, NULL, 0, tag)) {
			rc = cipher_failed(e);
			goto out;
		}
		at += n + ENVELOPE_ABYTES;
	}
	if (content_hash)
		sha256(env, at, content_hash);
	*out = env;
	*out_len = at;
	env = NULL;
out:
	free(env);
	free_wiped(meta_pt, meta_len);
	free_wiped(tail_buf, tail_buf ? ENVELOPE_CHUNK : 0);
	return rc;
}

/* ---- opening ---- */

/* The length of the contents of len bytes padded as version 2 pads
 * (contents, the mark, zeros): the mark's offset, or -1 when there is no
 * mark. */
static ssize_t unpadded_len(const uint8_t *p, size_t len)
{
	while (len > 0 && p[len - 1] == 0)
		len--;
	return len > 0 && p[len - 1] == ENVELOPE_PAD_MARK ? (ssize_t)len - 1 : -1;
}

/* The metadata JSON's length inside a version 2 metadata message of len
 * bytes. */
static int meta_unpad(const uint8_t *pt, size_t len, size_t *json_len, ehr_err *e)
{
	ssize_t n = unpadded_len(pt, len);

	if (n < 0 || envelope_bucket((uint64_t)n + 1, ENVELOPE_META_FLOOR) != len)
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged: its metadata padding is "
				"malformed");
	*json_len = (size_t)n;
	return 0;
}

/* Reads and checks the header and the metadata message, hashing them into
 * md when it is not NULL, and leaves st ready for the first data chunk;
 * stores the envelope's version in *version. */
static int open_prefix(struct src *s, const uint8_t key[32], sstream *st, sha256_ctx *md,
		       envelope_meta *meta, unsigned *version, ehr_err *e)
{
	uint8_t hdr[ENVELOPE_HEADER_BYTES], *ct = NULL, *pt = NULL, tag = 0;
	size_t pt_len = 0;
	size_t json_len;
	uint32_t meta_len;
	ssize_t n;
	int rc;

	if ((n = src_read(s, hdr, sizeof(hdr))) < 0)
		return ehr_fail(e, EHR_EFAIL, "cannot read the record: %s", strerror(errno));
	if ((rc = parse_header(hdr, (size_t)n, version, &meta_len, e)))
		return rc;
	if (!(ct = malloc((size_t)meta_len + ENVELOPE_ABYTES)) || !(pt = malloc(meta_len))) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if ((n = src_read(s, ct, (size_t)meta_len + ENVELOPE_ABYTES)) < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot read the record: %s", strerror(errno));
		goto out;
	}
	if ((size_t)n < (size_t)meta_len + ENVELOPE_ABYTES) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "record is truncated: the metadata is incomplete");
		goto out;
	}
	if (md) {
		sha256_update(md, hdr, sizeof(hdr));
		sha256_update(md, ct, (size_t)n);
	}
	if (sstream_init_pull(st, hdr + 20, key) != 0 ||
	    (rc = sstream_pull(st, pt, &pt_len, &tag, ct, (size_t)n, hdr, sizeof(hdr))) ==
	    SSTREAM_ELIB) {
		rc = cipher_failed(e);
		goto out;
	}
	if (rc) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "record is damaged or tampered with, or the key "
			      "is wrong: its metadata fails authentication");
		goto out;
	}
	if (tag != TAG_MESSAGE) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "record is damaged: the metadata message has "
			      "tag %u", tag);
		goto out;
	}
	json_len = pt_len;
	if (*version == ENVELOPE_VERSION && (rc = meta_unpad(pt, json_len, &json_len, e)))
		goto out;
	rc = envelope_meta_parse((const char *)pt, json_len, meta, e);
out:
	if (pt) {
		sodium_memzero(pt, meta_len);
		free(pt);
	}
	free(ct);
	return rc;
}

/* One envelope being opened, chunk by chunk. */
struct opening {
	struct pump pump;
	sstream *st;
	uint8_t *plain;
	envelope_meta meta;
	unsigned version;
	uint64_t total;		/* file bytes so far */
	uint64_t stream;	/* stream bytes so far: the file's, and version 2's mark and padding */
	bool padding;		/* version 2: the mark was read, zeros follow */
};

/* The length the data stream must have for the size the metadata gives. */
static uint64_t stream_expected(const struct opening *o)
{
	return o->version == ENVELOPE_VERSION ? envelope_bucket(o->meta.size + 1, ENVELOPE_DATA_FLOOR)
					      : o->meta.size;
}

/* Why chunk (n bytes at slot) failed authentication. The last chunk is
 * short, so bytes appended after it land in its read. Where the metadata
 * gives the size, the chunk's own length is known: if that much opens as
 * the final chunk, the rest is trailing. (A failed pull leaves the state
 * as it was.) */
static int open_chunk_refused(struct opening *o, const uint8_t *slot, size_t n, unsigned chunk,
			      ehr_err *e)
{
	uint64_t left = stream_expected(o) - o->stream;
	size_t plen = 0;
	uint8_t tag = 0;

	if (o->meta.size != ENVELOPE_SIZE_UNKNOWN && left < ENVELOPE_CHUNK &&
	    n > left + ENVELOPE_ABYTES &&
	    sstream_pull(o->st, o->plain, &plen, &tag, slot, left + ENVELOPE_ABYTES, NULL, 0) == 0 &&
	    tag == TAG_FINAL)
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged or tampered "
				"with: trailing bytes after the final chunk");
	if (n < CT_CHUNK)
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged, tampered with "
				"or truncated: chunk %u fails authentication", chunk);
	return ehr_fail(e, EHR_EINTEGRITY, "record is damaged or tampered "
			"with: chunk %u fails authentication", chunk);
}

/* How many of the plen bytes of a chunk opened with tag are the file's:
 * all of them in version 1 and before version 2's mark; up to the mark in
 * the chunk that holds it (tagged PUSH, or FINAL when it is the last);
 * none after it, where every byte must be zero. */
static int chunk_contents(struct opening *o, size_t plen, uint8_t tag, unsigned chunk,
			  size_t *data, ehr_err *e)
{
	ssize_t mark;

	*data = plen;
	if (o->version == ENVELOPE_VERSION_UNPADDED)
		return tag == TAG_MESSAGE || tag == TAG_FINAL ? 0
			: ehr_fail(e, EHR_EINTEGRITY, "record is damaged: chunk %u has tag %u",
				   chunk, tag);
	if (tag != TAG_MESSAGE && (tag != TAG_PUSH || o->padding) && tag != TAG_FINAL)
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged: chunk %u has tag %u",
				chunk, tag);
	if (o->padding) {
		*data = 0;
		return sodium_is_zero(o->plain, plen) ? 0
			: ehr_fail(e, EHR_EINTEGRITY, "record is damaged: its padding is not zero "
				   "(chunk %u)", chunk);
	}
	if (tag == TAG_MESSAGE)
		return 0;
	if ((mark = unpadded_len(o->plain, plen)) < 0)
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged: chunk %u lacks the mark "
				"that ends the file", chunk);
	*data = (size_t)mark;
	o->padding = true;
	return 0;
}

/* Opens the data chunks, writing the file's bytes to out_fd (when >= 0),
 * up to the final one; then nothing may follow. */
static int open_chunks(struct opening *o, int out_fd, ehr_err *e)
{
	unsigned chunk;
	size_t n, data;
	int rc;

	for (chunk = 1; ; chunk++) {
		const uint8_t *slot = pump_in(&o->pump, &n);
		size_t plen = 0;
		uint8_t tag = 0;

		if (n == 0 && o->pump.read_errno)
			return ehr_fail(e, EHR_EFAIL, "cannot read the record: %s",
					strerror(o->pump.read_errno));
		if (n == 0)
			return ehr_fail(e, EHR_EINTEGRITY, "record is truncated: no final chunk");
		if ((rc = sstream_pull(o->st, o->plain, &plen, &tag, slot, n, NULL, 0)) == SSTREAM_ELIB)
			return cipher_failed(e);
		if (rc)
			return open_chunk_refused(o, slot, n, chunk, e);
		pump_in_done(&o->pump);
		if ((rc = chunk_contents(o, plen, tag, chunk, &data, e)))
			return rc;
		o->total += data;
		o->stream += plen;
		if (o->meta.size != ENVELOPE_SIZE_UNKNOWN &&
		    (o->total > o->meta.size || o->stream > stream_expected(o)))
			return ehr_fail(e, EHR_EINTEGRITY, "record is damaged: it holds more than "
					"the %llu bytes its metadata says",
					(unsigned long long)o->meta.size);
		if (out_fd >= 0 && write_full(out_fd, o->plain, data) < 0)
			return ehr_fail(e, EHR_EFAIL, "cannot write the opened record: %s",
					strerror(errno));
		if (tag == TAG_FINAL)
			break;
		if (n < CT_CHUNK)
			return ehr_fail(e, EHR_EINTEGRITY, "record is damaged: chunk %u is short "
					"but not the final chunk", chunk);
	}
	pump_in(&o->pump, &n);
	if (n > 0)
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged or tampered with: "
				"trailing bytes after the final chunk");
	if (o->pump.read_errno)
		return ehr_fail(e, EHR_EFAIL, "cannot read the record: %s",
				strerror(o->pump.read_errno));
	return 0;
}

/* The envelope's hash and size against what was expected of it. */
static int open_verify(const struct opening *o, const uint8_t digest[32],
		       const uint8_t expected_hash[32], ehr_err *e)
{
	if (expected_hash && sodium_memcmp(digest, expected_hash, 32) != 0)
		return ehr_fail(e, EHR_EINTEGRITY, "record does not match its content hash "
				"(damaged, tampered with or replaced)");
	if (o->meta.size != ENVELOPE_SIZE_UNKNOWN && o->total != o->meta.size)
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged: %llu bytes where its "
				"metadata says %llu", (unsigned long long)o->total,
				(unsigned long long)o->meta.size);
	if (o->version == ENVELOPE_VERSION &&
	    o->stream != envelope_bucket(o->total + 1, ENVELOPE_DATA_FLOOR))
		return ehr_fail(e, EHR_EINTEGRITY, "record is damaged: %llu bytes of padded data "
				"where the format gives %llu", (unsigned long long)o->stream,
				(unsigned long long)envelope_bucket(o->total + 1, ENVELOPE_DATA_FLOOR));
	return 0;
}

static int open_stream(struct src *s, int out_fd, const uint8_t key[32],
		       const uint8_t expected_hash[32], uint8_t content_hash[32],
		       envelope_meta *meta_out, ehr_err *e)
{
	struct opening o;
	sha256_ctx *md = NULL;
	bool started = false, pumping = false;
	uint8_t digest[32];
	int rc;

	memset(&o, 0, sizeof(o));
	if (!(o.st = sstream_new()) || !(md = sha256_new())) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory opening the record");
		goto out;
	}
	if ((rc = open_prefix(s, key, o.st, md, &o.meta, &o.version, e)))
		goto out;
	if (!(o.plain = malloc(ENVELOPE_CHUNK)) ||
	    pump_start(&o.pump, s, CT_CHUNK, md, false, -1) < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory opening the record");
		goto out;
	}
	started = pumping = true;
	if ((rc = open_chunks(&o, out_fd, e)))
		goto out;
	pumping = false;
	pump_finish(&o.pump, false);
	sha256_final(md, digest);
	if ((rc = open_verify(&o, digest, expected_hash, e)))
		goto out;
	if (content_hash)
		memcpy(content_hash, digest, 32);
	if (meta_out)
		*meta_out = o.meta;
out:
	if (pumping)
		pump_finish(&o.pump, true);
	if (started)
		pump_free(&o.pump);
	if (o.plain) {
		sodium_memzero(o.plain, ENVELOPE_CHUNK);
		free(o.plain);
	}
	sha256_free(md);
	sstream_free(o.st);
	return rc;
}

int envelope_open(int in_fd, int out_fd, const uint8_t key[32], const uint8_t expected_hash[32],
		  uint8_t content_hash[32], envelope_meta *meta_out, ehr_err *e)
{
	struct src s = { .fd = in_fd };

	return open_stream(&s, out_fd, key, expected_hash, content_hash, meta_out, e);
}

int envelope_open_mem(const uint8_t *buf, size_t len, int out_fd, const uint8_t key[32],
		      const uint8_t expected_hash[32], uint8_t content_hash[32],
		      envelope_meta *meta_out, ehr_err *e)
{
	static const uint8_t empty[1];
	struct src s = { .fd = -1, .mem = buf ? buf : empty, .len = buf ? len : 0 };

	return open_stream(&s, out_fd, key, expected_hash, content_hash, meta_out, e);
}

static int read_meta(struct src *s, const uint8_t key[32], envelope_meta *meta_out, ehr_err *e)
{
	sstream *st = sstream_new();
	envelope_meta meta;
	unsigned version;
	int rc;

	if (!st)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = open_prefix(s, key, st, NULL, &meta, &version, e);
	sstream_free(st);
	if (!rc && meta_out)
		*meta_out = meta;
	return rc;
}

struct envelope_reader {
	sstream *st;
};

envelope_reader *envelope_reader_new(void)
{
	envelope_reader *r = calloc(1, sizeof(*r));

	if (r && !(r->st = sstream_new())) {
		free(r);
		r = NULL;
	}
	return r;
}

void envelope_reader_free(envelope_reader *r)
{
	if (r) {
		sstream_free(r->st);
		free(r);
	}
}

int envelope_reader_meta(envelope_reader *r, const uint8_t *buf, size_t len,
			 const uint8_t key[32], envelope_meta *meta_out, ehr_err *e)
{
	static const uint8_t empty[1];
	struct src s = { .fd = -1, .mem = buf ? buf : empty, .len = buf ? len : 0 };
	envelope_meta meta;
	unsigned version;
	int rc = open_prefix(&s, key, r->st, NULL, &meta, &version, e);

	if (!rc && meta_out)
		*meta_out = meta;
	return rc;
}

int envelope_read_meta(int in_fd, const uint8_t key[32], envelope_meta *meta_out, ehr_err *e)
{
	struct src s = { .fd = in_fd };

	return read_meta(&s, key, meta_out, e);
}

int envelope_read_meta_mem(const uint8_t *buf, size_t len, const uint8_t key[32],
			   envelope_meta *meta_out, ehr_err *e)
{
	static const uint8_t empty[1];
	struct src s = { .fd = -1, .mem = buf ? buf : empty, .len = buf ? len : 0 };

	return read_meta(&s, key, meta_out, e);
}

/* ---- opening into a file ---- */

static int split_path(const char *path, char *dir, size_t dir_cap, const char **base, ehr_err *e)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (!slash)
		n = snprintf(dir, dir_cap, ".");
	else if (slash == path)
		n = snprintf(dir, dir_cap, "/");
	else
		n = snprintf(dir, dir_cap, "%.*s", (int)(slash - path), path);
	*base = slash ? slash + 1 : path;
	if (n < 0 || (size_t)n >= dir_cap || strlen(*base) > NAME_MAX)
		return ehr_fail(e, EHR_EUSAGE, "path too long: %s", path);
	if (!**base || !strcmp(*base, ".") || !strcmp(*base, ".."))
		return ehr_fail(e, EHR_EUSAGE, "%s does not name a file", path);
	return 0;
}

int envelope_open_to_path(int in_fd, const char *out_path, bool replace, const uint8_t key[32],
			  const uint8_t expected_hash[32], envelope_meta *meta_out, ehr_err *e)
{
	char dir[PATH_MAX], tmp[NAME_MAX + 1], proc[64];
	const char *base;
	bool unnamed = false, named = false;
	struct stat sb;
	int dfd, fd = -1, rc, err;

	if ((rc = split_path(out_path, dir, sizeof(dir), &base, e)))
		return rc;
	if (!replace && lstat(out_path, &sb) == 0)
		return ehr_fail(e, EHR_EUSAGE, "%s exists", out_path);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ehr_fail(e, EHR_EFAIL, "cannot open directory %s: %s", dir, strerror(errno));
	snprintf(tmp, sizeof(tmp), ".ehr-%08x%08x.tmp", randombytes_random(), randombytes_random());

	/* An unnamed file leaves nothing behind even if we are killed; naming
	 * it later goes through /proc (linkat with AT_EMPTY_PATH would need
	 * CAP_DAC_READ_SEARCH). */
	if (access("/proc/self/fd", X_OK) == 0 &&
	    (fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		unnamed = true;
	else if ((fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0)
		named = true;
	if (fd < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot create a file in %s: %s", dir, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot set the mode of a file in %s: %s", dir,
			      strerror(errno));
		goto out;
	}
	if ((rc = envelope_open(in_fd, fd, key, expected_hash, NULL, meta_out, e)))
		goto out;
	if (fsync(fd) < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot write %s: %s", out_path, strerror(errno));
		goto out;
	}
	if (unnamed) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, dfd, replace ? tmp : base, AT_SYMLINK_FOLLOW) < 0)
			goto link_error;
		named = replace;
	} else if (!replace) {
		if (linkat(dfd, tmp, dfd, base, 0) < 0)
			goto link_error;
	}
	if (replace) {
		if (renameat(dfd, tmp, dfd, base) < 0)
			goto link_error;
		named = false;
	}
	if (fsync(dfd) < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot sync directory %s: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
link_error:
	err = errno;
	if (err == EEXIST)
		rc = ehr_fail(e, EHR_EUSAGE, "%s exists", out_path);
	else
		rc = ehr_fail(e, EHR_EFAIL, "cannot write %s: %s", out_path, strerror(err));
out:
	if (named)
		unlinkat(dfd, tmp, 0);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

/* ---- data keys ---- */

uint8_t *envelope_key_new(void)
{
	uint8_t *k = sodium_malloc(ENVELOPE_KEY_BYTES);

	if (k)
		randombytes_buf(k, ENVELOPE_KEY_BYTES);
	return k;
}

void envelope_key_free(uint8_t *key)
{
	sodium_free(key);
}

int envelope_key_seal(const uint8_t key[32], const uint8_t recipient_pk[32],
		      uint8_t out[ENVELOPE_SEALED_KEY_BYTES], ehr_err *e)
{
	if (crypto_box_seal(out, key, ENVELOPE_KEY_BYTES, recipient_pk) != 0)
		return ehr_fail(e, EHR_EUSAGE, "cannot seal the data key to this encryption key "
				"(not a usable X25519 public key)");
	return 0;
}

int envelope_key_open(const uint8_t sealed[ENVELOPE_SEALED_KEY_BYTES], const uint8_t pk[32],
		      const uint8_t sk[32], uint8_t key_out[32], ehr_err *e)
{
	ehr_err why = { 0 };

	/* an all-zero sk: the unlock agent opens it (wallet/keys/keyholder.h) */
	if (sealed_box_open(key_out, sealed, ENVELOPE_SEALED_KEY_BYTES, pk, sk, &why) != 0) {
		if (why.status != EHR_EAUTH)
			return ehr_fail(e, why.status, "%s", why.msg);
		return ehr_fail(e, EHR_EAUTH, "the data key is not sealed to this account's "
				"encryption key");
	}
	return 0;
}
