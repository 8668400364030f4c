/* Records as the commands see them: finding anchors on the chain, opening
 * the data key that is sealed to this account, fetching ciphertext from its
 * store and checking it against the anchor before anything is decrypted.
 * Nothing here prints. */
#ifndef EHR_RECORDS_H
#define EHR_RECORDS_H

#include <stdint.h>

#include "wallet/vault/envelope.h"
#include "wallet/chain/chain.h"
#include "wallet/registry/registry.h"

/* The anchor of record id (recordOf, then its RecordAnchored event in the
 * block recordOf names). No such record: EHR_EFAIL "there is no record N".
 * *erased tells whether it was tombstoned. Free with records_free. */
int records_get(chain *c, const uint8_t registry[20], uint64_t id, registry_record *out,
		int *erased, ehr_err *e);

/* Every record of patient, in id order, erased ones marked: one log scan
 * (RecordAnchored and RecordErased with topic 1 = patient). cb's nonzero
 * return stops the scan and is returned. The record passed to cb is valid
 * during the call only. */
typedef int (*records_cb)(void *ctx, const registry_record *r, int erased);
int records_of_patient(chain *c, const uint8_t registry[20], const uint8_t patient[20],
		       records_cb cb, void *ctx, ehr_err *e);

void records_free(registry_record *r);

/* What one account anchored: the content hash and id of each record, in
 * chain order (a journal's envelopes matched against the chain). */
typedef struct records_anchored {
	uint8_t (*hashes)[32];
	uint64_t *ids;
	size_t n;
} records_anchored;

/* Adds to *a every record author anchored into patient's chart (one log
 * scan, RecordAnchored with topic 1 = patient, topic 3 = author). Start
 * from a zeroed *a; free with records_anchored_free. */
int records_anchored_by(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			const uint8_t author[20], records_anchored *a, ehr_err *e);

/* The id of the record with content hash hash in a; 0 when none. */
uint64_t records_anchored_id(const records_anchored *a, const uint8_t hash[32]);

void records_anchored_free(records_anchored *a);

/* Opens the data key of r with this account's keys: the patient's copy
 * when me is the patient, the author's when me wrote it. Anyone else holds
 * no key for it: EHR_ECHAIN, saying whose record it is. key is the
 * caller's sodium_malloc memory. */
int records_data_key(const registry_record *r, const uint8_t me[20], const uint8_t enc_public[32],
		     const uint8_t enc_secret[32],
		     uint8_t key[32], ehr_err *e);

/* Fetches r's ciphertext from its store (r->locator) into a new unnamed
 * temporary file, checks its size and SHA-256 against the anchor, and
 * returns the file positioned at 0 in *fd. A mismatch is EHR_EINTEGRITY
 * and nothing is returned. */
int records_fetch_verified(chain *c, const uint8_t registry[20], const registry_record *r,
			   int *fd, ehr_err *e);

/* A file name for a record's plaintext from its metadata: the original
 * name without any directory, never hidden, else "record-ID"; each byte
 * text_clean refuses (a control, a direction override...) and each '?'
 * becomes '_'. */
void records_file_name(const envelope_meta *meta, uint64_t id, char *out, size_t cap);

/* The dir: store (DESIGN.md section 9): files named by content hash in a
 * directory (a clinic share, a USB stick), written atomically, 0600; the
 * one store that can truly erase. spec is "dir:PATH". put remembers the
 * directory (store_dir_remember) before it writes there and returns the
 * locator "dir:<content hash>"; delete finds the file of a path-less
 * locator as reading does (store_dir_resolve). */
int records_store_check(const char *spec, ehr_err *e);
int records_store_put(const char *spec, int fd, const uint8_t hash[32], uint64_t size,
		      char *locator, size_t cap, ehr_err *e);
int records_store_delete(const char *locator, ehr_err *e);
/* The file a dir: locator names, found as reading finds it
 * (store_dir_file_of). */
int records_store_file(const char *locator, char *path, size_t cap, ehr_err *e);

/* Whether r's locator is "dir:" and its file name is r's content hash:
 * the file it names is then r's ciphertext (or a damaged copy of it), as a
 * dir store names each file by the hash of what it holds. Reads nothing. */
int records_locator_names_content(const registry_record *r);

/* What erasing r may do to the file its "dir:" locator names. Anyone with
 * a write grant anchors records in the patient's chart with any locator and
 * any content hash, so a locator alone proves nothing:
 *   RECORDS_FILE_DELETE   the file's name is r's content hash and no other
 *                         record of r's patient that is not erased has that
 *                         content hash: deleting it loses nothing else;
 *   RECORDS_FILE_NOT_ITS  the name is not r's content hash (another
 *                         record's file, or none): keep it;
 *   RECORDS_FILE_SHARED   another live record of the patient's has the same
 *                         content hash (its id in *other): keep it.
 * One scan of the patient's records (records_of_patient) unless the name
 * already says NOT_ITS. Returns 0 or the scan's failure. */
enum records_file_verdict { RECORDS_FILE_DELETE, RECORDS_FILE_NOT_ITS, RECORDS_FILE_SHARED };
int records_erasable_file(chain *c, const uint8_t registry[20], const registry_record *r,
			  enum records_file_verdict *verdict, uint64_t *other, ehr_err *e);

/* SHA-256 of everything readable from fd (from its current offset). */
int records_sha256_fd(int fd, uint8_t out[32], uint64_t *size, ehr_err *e);

/* An unnamed file for ciphertext or plaintext in transit: O_TMPFILE, mode
 * 0600, under $EHR_HOME/state (or the XDG state directory), else $TMPDIR. */
int records_tmpfile(int *fd, ehr_err *e);

/* The same for at most a few MiB: in memory (memfd), which spares the file
 * system an inode per record when thousands are sealed in a row. Falls
 * back to records_tmpfile. */
int records_tmpfile_small(int *fd, ehr_err *e);

#endif
