/* The record envelope (DESIGN.md section 9): a file sealed under a fresh
 * 32-byte data key with libsodium's secretstream (XChaCha20-Poly1305), its
 * metadata encrypted as the first message, in constant memory whatever the
 * size. The SHA-256 of the whole envelope is the content hash anchored on
 * chain; opening checks it in the same pass as the decryption.
 *
 * ENVELOPE FORMAT, VERSIONS 2 AND 1
 *
 * All integers are unsigned big-endian. "secretstream" is libsodium's
 * crypto_secretstream_xchacha20poly1305 (XChaCha20 + Poly1305, re-keyed
 * per message; 24-byte header, 17 bytes of overhead per message: one
 * encrypted tag byte and a 16-byte MAC). The data key K is 32 random bytes,
 * fresh for every record, and is never stored in the envelope. Tags:
 * MESSAGE 0x00, PUSH 0x01, FINAL 0x03.
 *
 * Version 2 (written since the padding; every ehr writes it):
 *
 *   offset  size  field
 *   0       8     magic: the bytes 45 48 52 2d 45 4e 56 00 ("EHR-ENV" NUL)
 *   8       1     version: 02
 *   9       3     reserved: 00 00 00
 *   12      4     chunk size C: 00 01 00 00 (65536, the only value)
 *   16      4     padded metadata length P: bucket(J + 1, 512), where J is
 *                 the length of the metadata JSON (P is 512..67584)
 *   20      24    secretstream header (init_push with K)
 *   44      P+17  the metadata message: secretstream push, tag MESSAGE, with
 *                 the 44 bytes at offsets 0..43 as additional data, of P
 *                 bytes: the metadata JSON (J bytes), one byte 0x80, then
 *                 zero bytes up to P
 *   44+P+17 ...   the data stream: the file's S bytes, one byte 0x80, then
 *                 zero bytes, T = bucket(S + 1, 1024) bytes in all, cut into
 *                 chunks of C bytes (the last one 1..C bytes), each a
 *                 secretstream push without additional data. Tags: the last
 *                 chunk FINAL; the chunk that holds the 0x80 mark, when it
 *                 is not the last, PUSH; every other chunk MESSAGE. So the
 *                 chunks before the mark's are pure file bytes, the mark is
 *                 the last non-zero byte of its chunk, and every chunk after
 *                 it is all zero.
 *   end           nothing: the file ends with the FINAL chunk.
 *
 * bucket(n, floor) is floor when n <= floor, and otherwise n rounded up
 * to a multiple of 2^(E - B), where E = floor(log2 n) and B is the number
 * of bits of E (floor(log2 E) + 1): the Padme rule (Nikitin et al., PETS
 * 2019). Above the floor that adds less than 6.25% (1,025 bytes become
 * 1,088), less than 3.125% from 64 KiB, less than 1.5625% from 4 GiB
 * (1 GiB and 1 byte become 1 GiB and 32 MiB). An envelope of a file of
 * S bytes with J bytes of metadata JSON is
 * 44 + P + 17 + T + 17 * ceil(T / 65536) bytes long: files of 0 to 1,023
 * bytes with metadata JSON under 512 bytes all make envelopes of 1,614
 * bytes. The padding hides a size within its bucket; it does not hide the
 * bucket, how many records there are, or when they are added.
 *
 * Version 1 (written before the padding; still read):
 *
 *   0..19 as version 2, with version 01 and at 16 the metadata length M
 *   (2..65536, the JSON unpadded); 20: secretstream header; 44: the
 *   metadata message of the M bytes of JSON (tag MESSAGE, additional data
 *   the 44 header bytes); then the file's bytes in chunks of C bytes, the
 *   last one 1..C bytes tagged FINAL, every other MESSAGE (an empty file
 *   is one empty FINAL chunk, 17 bytes); no mark and no padding. An
 *   envelope of version 1 is 44 + M + 17 + S + 17 * max(1, ceil(S / 65536))
 *   bytes long.
 *
 * The metadata is one JSON object (UTF-8, no byte order mark), keys:
 *   "title"        string, up to 511 bytes     what the user calls the record
 *   "type"         string, up to 63 bytes      record type ("lab", "Observation")
 *   "mediaType"    string, up to 127 bytes     e.g. "application/pdf", "application/fhir+json"
 *   "fileName"     string, up to 255 bytes     original file name, no directory
 *   "created"      string, RFC 3339 UTC        "2025-01-31T09:30:00Z"
 *   "size"         number, integer 0..2^53     plaintext size in bytes
 *   "resourceType" string                      FHIR resourceType when the file is FHIR JSON
 *   "issuer"       string, up to 255 bytes     who signed it: a SMART Health Card's "iss"
 *   "issuerVerified" boolean                   true: the card's signature was checked
 *                                              with a key the user trusts for that issuer;
 *                                              false: taken unverified (--unverified)
 * Every key is optional (an absent or empty string means unknown; an
 * absent "issuerVerified" is false); a reader ignores keys it does not
 * know. Strings hold no control characters.
 *
 * A reader refuses (EHR_EINTEGRITY) an envelope with another magic, version,
 * chunk size or non-zero reserved bytes, a metadata message that fails
 * authentication (which is also what a wrong key looks like) or is not
 * tagged MESSAGE, a data chunk that fails authentication (tampered,
 * reordered, duplicated or dropped chunks do: secretstream chains each
 * message to the previous ones), a stream that ends without a FINAL chunk,
 * any byte after the FINAL chunk, a chunk tagged REKEY, a short chunk not
 * tagged FINAL, and a plaintext whose length differs from the metadata's
 * "size". Version 1: a chunk tagged PUSH. Version 2: metadata or data
 * without its 0x80 mark or with a non-zero byte after it, a chunk after the
 * mark's that is tagged PUSH, a metadata length P or a stream length T that
 * is not the bucket the format gives for its contents. The padding is
 * inside the authenticated messages, so changing a byte of it is a failed
 * authentication like any other.
 *
 * The content hash of a record is SHA-256 over every byte of the envelope,
 * offset 0 to the end. The header and the metadata message (the first
 * 44 + M + 17 bytes) are self-contained: with K they give the metadata
 * without the rest, so they can travel on their own (as the record's
 * encrypted metadata in the registry, say) for listing.
 *
 * The data key travels sealed to each reader's X25519 key with libsodium's
 * crypto_box_seal (80 bytes: ephemeral public key, then the 32-byte key
 * encrypted and authenticated).
 *
 * END OF FORMAT
 *
 * Nothing here prints, prompts or exits. Data keys are the caller's
 * sodium_malloc memory; internal key state lives in sodium_malloc memory
 * and is wiped. */
#ifndef EHR_ENVELOPE_H
#define EHR_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define ENVELOPE_VERSION 2                    /* written; version 1 is still read */
#define ENVELOPE_VERSION_UNPADDED 1
#define ENVELOPE_MAGIC "EHR-ENV"              /* followed by a NUL: 8 bytes */
#define ENVELOPE_HEADER_BYTES 44
#define ENVELOPE_CHUNK 65536
#define ENVELOPE_ABYTES 17                    /* secretstream overhead per message */
#define ENVELOPE_META_MAX 65536               /* metadata JSON bytes */
#define ENVELOPE_META_FLOOR 512               /* smallest padded metadata */
#define ENVELOPE_DATA_FLOOR 1024              /* smallest padded data stream */
#define ENVELOPE_PAD_MARK 0x80                /* ends the contents, zeros follow */
#define ENVELOPE_KEY_BYTES 32
#define ENVELOPE_SEALED_KEY_BYTES 80          /* crypto_box_SEALBYTES + 32 */
#define ENVELOPE_SIZE_UNKNOWN UINT64_MAX
#define ENVELOPE_SIZE_LIMIT (UINT64_C(1) << 53)  /* largest size: exact in a JSON number (a double) */

typedef struct envelope_meta {
	char title[512];
	char type[64];
	char media_type[128];
	char file_name[256];
	char created[32];          /* RFC 3339 UTC, "YYYY-MM-DDTHH:MM:SSZ" */
	uint64_t size;             /* plaintext bytes, or ENVELOPE_SIZE_UNKNOWN */
	char resource_type[64];    /* FHIR resourceType, "" when not FHIR */
	char issuer[256];          /* a SMART Health Card's issuer, "" when none */
	bool issuer_verified;      /* its signature checked with a trusted key */
} envelope_meta;

/* Empties meta: every string "", size ENVELOPE_SIZE_UNKNOWN. */
void envelope_meta_init(envelope_meta *meta);

/* Seals everything readable from in_fd (from its current offset to EOF) into
 * an envelope written to out_fd, under key (32 bytes, the caller's
 * sodium_malloc memory; envelope_key_new makes one). meta is copied into the
 * envelope with two changes: an empty "created" becomes the current time,
 * and when in_fd is a regular file its remaining size replaces meta->size
 * (for a pipe, meta->size is kept: the caller's claim, or unknown).
 * Memory stays constant (well under 2 MiB) whatever the size; a second
 * thread reads the input and hashes and writes the envelope while this one
 * encrypts.
 * On success returns 0 and stores the SHA-256 of the envelope bytes in
 * content_hash and their count in envelope_size (both may be NULL).
 * Fails with EHR_EUSAGE for metadata that does not fit the format (a field
 * too long, a control character, a malformed "created"), EHR_EFAIL when
 * reading or writing fails or when the input's length differs from the size
 * it had (it changed while sealed). On failure out_fd holds garbage: the
 * caller discards it. */
int envelope_seal(int in_fd, int out_fd, const envelope_meta *meta, const uint8_t key[32],
		  uint8_t content_hash[32], uint64_t *envelope_size, ehr_err *e);

/* The length of the envelope (version 2) of size plaintext bytes with
 * meta_len bytes of metadata JSON (the formula above). */
uint64_t envelope_sealed_size(size_t meta_len, uint64_t size);

/* bucket(n, floor) of the format above: the padded length of n bytes (n up
 * to 2^62). */
uint64_t envelope_bucket(uint64_t n, uint64_t floor);

/* A context for sealing records held in memory, many in a row without an
 * allocation of secure memory each: its secretstream state lives in
 * sodium_malloc memory, made once. One per thread. NULL when out of memory. */
typedef struct envelope_sealer envelope_sealer;
envelope_sealer *envelope_sealer_new(void);
void envelope_sealer_free(envelope_sealer *s);

/* envelope_seal for the len bytes at data (meta->size becomes len): the
 * same envelope, into *out (malloc'd, *out_len bytes, the caller frees),
 * on the calling thread alone. For small records, where a pump thread and
 * file descriptors would cost more than the cipher. Leaves no secret behind
 * but s's state (overwritten by the next seal, wiped by
 * envelope_sealer_free). Same failures as envelope_seal, without I/O. */
int envelope_seal_mem(envelope_sealer *s, const uint8_t *data, size_t len,
		      const envelope_meta *meta, const uint8_t key[32], uint8_t **out,
		      size_t *out_len, uint8_t content_hash[32], ehr_err *e);

/* A context for reading the metadata of many envelopes held in memory,
 * one after another, without an allocation of secure memory each (which
 * cost more than the decryption for small records): its secretstream state
 * lives in sodium_malloc memory, made once. One per thread. NULL when out
 * of memory. */
typedef struct envelope_reader envelope_reader;
envelope_reader *envelope_reader_new(void);
void envelope_reader_free(envelope_reader *r);

/* envelope_read_meta_mem on r's state: the same checks and failures. */
int envelope_reader_meta(envelope_reader *r, const uint8_t *buf, size_t len,
			 const uint8_t key[32], envelope_meta *meta_out, ehr_err *e);

/* Opens the envelope read from in_fd (to EOF) and writes the plaintext to
 * out_fd, or nowhere when out_fd is -1. The plaintext is written as it is
 * authenticated, chunk by chunk, BEFORE the content hash and the FINAL tag
 * are known: a failure may leave partial plaintext in out_fd, so a caller
 * writing to a file uses envelope_open_to_path instead. expected_hash (may
 * be NULL) is compared with the SHA-256 of the envelope at the end;
 * content_hash (may be NULL) receives it. meta_out (may be NULL) receives
 * the metadata. Returns 0, EHR_EINTEGRITY for every refusal listed in the
 * format above and for a hash mismatch (a wrong key looks the same as
 * tampering), EHR_EFAIL when reading or writing fails. */
int envelope_open(int in_fd, int out_fd, const uint8_t key[32], const uint8_t expected_hash[32],
		  uint8_t content_hash[32], envelope_meta *meta_out, ehr_err *e);

/* The same from a memory buffer (for fuzz targets and for envelopes already
 * in memory); out_fd may be -1. */
int envelope_open_mem(const uint8_t *buf, size_t len, int out_fd, const uint8_t key[32],
		      const uint8_t expected_hash[32], uint8_t content_hash[32],
		      envelope_meta *meta_out, ehr_err *e);

/* Opens the envelope read from in_fd into the file out_path so that the
 * plaintext reaches that name only once the whole record verified: it is
 * decrypted into an unnamed temporary file (O_TMPFILE) in out_path's
 * directory, or a named 0600 one where the file system has no O_TMPFILE;
 * then the FINAL tag, the absence of trailing bytes and expected_hash (NULL:
 * not checked) are confirmed, the file is synced and given its name, and the
 * directory is synced. Without replace an existing out_path is refused
 * (EHR_EUSAGE "... exists"), before any work and again at the end, when the
 * name is made with link(), which never overwrites; with replace it is
 * renamed over. The file is 0600. On any failure nothing is left: no
 * temporary file, no out_path. Returns as envelope_open; creating or
 * writing the file failing is EHR_EFAIL. */
int envelope_open_to_path(int in_fd, const char *out_path, bool replace, const uint8_t key[32],
			  const uint8_t expected_hash[32], envelope_meta *meta_out, ehr_err *e);

/* Reads only the header and the metadata message from in_fd (for listing
 * titles); the rest of the envelope is neither read nor checked, so this
 * says nothing about its integrity. Returns 0 or EHR_EINTEGRITY/EHR_EFAIL. */
int envelope_read_meta(int in_fd, const uint8_t key[32], envelope_meta *meta_out, ehr_err *e);

/* The same from the first bytes of an envelope in memory (at least the
 * header and the metadata message; more is ignored). */
int envelope_read_meta_mem(const uint8_t *buf, size_t len, const uint8_t key[32],
			   envelope_meta *meta_out, ehr_err *e);

/* Given at least the first ENVELOPE_HEADER_BYTES of an envelope, stores in
 * *span the length of its self-contained prefix (header and metadata
 * message). Returns 0, or EHR_EINTEGRITY when the header is not one of a
 * version 1 envelope. */
int envelope_prefix_len(const uint8_t *head, size_t len, size_t *span, ehr_err *e);

/* The metadata JSON (the format above) from meta: a malloc'd, NUL-terminated
 * string the caller frees, at most ENVELOPE_META_MAX bytes. Checks what
 * envelope_seal checks (EHR_EUSAGE). */
int envelope_meta_encode(const envelope_meta *meta, char **json, size_t *len, ehr_err *e);

/* Parses len bytes of metadata JSON into meta. Accepts what
 * envelope_meta_encode writes and ignores unknown keys; refuses
 * (EHR_EINTEGRITY "record metadata is malformed: ...") anything that is not
 * a JSON object within ENVELOPE_META_MAX bytes, strings too long for their
 * field, a "size" that is not an integer in 0..2^53, a "resourceType" that
 * is not a FHIR type name. Every string goes through text_clean (base/text.h):
 * each byte of a control character, a direction mark, embedding, override
 * or isolate, or of invalid UTF-8 becomes '?', so the fields are safe to
 * print. Safe on any input. */
int envelope_meta_parse(const char *json, size_t len, envelope_meta *meta, ehr_err *e);

/* A fresh random data key in sodium_malloc memory; NULL when out of
 * memory. Free it with envelope_key_free (wipes). */
uint8_t *envelope_key_new(void);
void envelope_key_free(uint8_t *key);

/* Seals the data key to a recipient's X25519 public key (crypto_box_seal).
 * Returns 0, or EHR_EUSAGE when the public key is unusable (a low-order
 * point). */
int envelope_key_seal(const uint8_t key[32], const uint8_t recipient_pk[32],
		      uint8_t out[ENVELOPE_SEALED_KEY_BYTES], ehr_err *e);

/* Opens a sealed data key with the recipient's X25519 key pair (pk, and sk
 * in sodium_malloc memory), writing the key into key_out (the caller's
 * sodium_malloc memory). Returns 0, or EHR_EAUTH "the data key is not
 * sealed to this account's encryption key" when it was sealed to another
 * key or was altered. */
int envelope_key_open(const uint8_t sealed[ENVELOPE_SEALED_KEY_BYTES], const uint8_t pk[32],
		      const uint8_t sk[32], uint8_t key_out[32], ehr_err *e);

#endif
