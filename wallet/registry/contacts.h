/* The address book (`ehr contacts`, DESIGN.md section 10): names the user
 * gave to addresses, and for each the fingerprint of the encryption key
 * the user checked (pinned). The registry's key directory is whatever the
 * node answers and a name in it is whatever its owner typed; a contact is
 * the user's own word.
 *
 * The file is contacts.json beside the wallets' directory ($EHR_HOME/
 * contacts.json, else $XDG_DATA_HOME/ehr/contacts.json), 0600, written
 * atomically; its format is in ehr-formats(5):
 *
 *   { "version": 1,
 *     "contacts": [ { "name": "Dr Doc", "address": "0x…",
 *                     "fingerprint": "3f2a9c017b44e2105d6f0a1b2c3d4e5f" },
 *                   { "name": "Lab", "address": "0x…" } ] }
 *
 * A file that breaks any rule is damaged (EHR_EINTEGRITY), never half read.
 *
 * The one place keys are chosen for sealing (contacts_sealing_key) reads
 * the book each time: a key that differs from the one pinned for its
 * account is refused, whoever answered. Nothing here prints. */
#ifndef EHR_CONTACTS_H
#define EHR_CONTACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/chain/chain.h"
#include "wallet/keys/enckey.h"
#include "wallet/registry/registry.h"

#define CONTACT_NAME_MAX 64
#define CONTACTS_MAX 10000
#define CONTACTS_FILE_MAX (1u << 20)

typedef struct contact {
	char name[CONTACT_NAME_MAX + 1];
	uint8_t address[20];
	bool pinned;
	uint8_t fp[ENCKEY_FP_BYTES];  /* when pinned */
} contact;

typedef struct contacts {
	char *path;                   /* the file; NULL for a book parsed from memory */
	contact *v;
	size_t n, cap;
} contacts;

/* A contact's name: 1 to 64 bytes of UTF-8 text, no control characters
 * (C0, DEL, C1), no invisible format or direction marks (U+061C, U+200B to
 * U+200F, U+202A to U+202E, U+2060 to U+206F, U+FEFF), no space at either
 * end, not starting with "0x" (which would read as an address). EHR_EUSAGE
 * saying which rule it breaks. */
int contact_name_check(const char *name, ehr_err *e);

/* Parses the file's text (len bytes) into *out (an empty book first; free
 * with contacts_clear). Every rule of ehr-formats(5)
 * holds or the answer is EHR_EINTEGRITY naming what is wrong, with *out
 * left empty: the root is an object of exactly "version" (1) and
 * "contacts", an array of at most CONTACTS_MAX objects of exactly "name",
 * "address" and optionally "fingerprint"; names pass contact_name_check
 * and differ (ignoring ASCII case), addresses are EIP-55 (or all lower or
 * upper case) and differ, fingerprints are 32 lower-case hex digits. */
int contacts_parse(const char *text, size_t len, contacts *out, ehr_err *e);

/* The file's text for b (malloc'd, NUL-terminated, ends with a newline);
 * what contacts_parse reads back to the same book. */
int contacts_format(const contacts *b, char **text, size_t *len, ehr_err *e);

/* Loads the user's book (a missing file is an empty book); a damaged one is
 * EHR_EINTEGRITY naming the file. Free with contacts_free. */
int contacts_load(contacts **out, ehr_err *e);

/* Writes b back to its file, atomically, 0600, in a 0700 directory. */
int contacts_save(const contacts *b, ehr_err *e);

/* The contact of that name (ASCII case ignored), or of that address; NULL
 * when none. */
contact *contacts_by_name(const contacts *b, const char *name);
contact *contacts_by_address(const contacts *b, const uint8_t addr[20]);

/* Adds c: EHR_EUSAGE when its name is bad, or its name or address is
 * already in b (saying under which name), or b is full. */
int contacts_add(contacts *b, const contact *c, ehr_err *e);

/* Removes the contact of that name; EHR_EFAIL when there is none. */
int contacts_remove(contacts *b, const char *name, ehr_err *e);

void contacts_clear(contacts *b);
void contacts_free(contacts *b);

/* ---- the key keys are sealed to ---------------------------------------------- */

/* What the registry says of an account now, and how the book sees it. */
typedef struct sealing_key {
	registry_account acct;        /* accountOf now; acct.registered 0: no key */
	uint8_t fp[ENCKEY_FP_BYTES];  /* of acct.enc_key, when registered */
	bool is_contact;
	char contact_name[CONTACT_NAME_MAX + 1];  /* when is_contact */
	bool pinned;                  /* the key is the one pinned for the contact */
} sealing_key;

/* The encryption key to seal to for account, as registry says now through
 * the node, checked against the user's book (read afresh from its file).
 * When the account is a contact with a pinned fingerprint and the
 * registered key's fingerprint differs (or none is registered), the key
 * is refused: EHR_EINTEGRITY, the message naming the contact, both
 * fingerprints and that nothing was sealed. A damaged book is
 * EHR_EINTEGRITY too. An account the book does not pin comes back with
 * pinned false: the caller shows its fingerprint as unverified. An
 * account without a registered key comes back with acct.registered 0
 * (the caller refuses in its own words). */
int contacts_sealing_key(chain *c, const uint8_t registry[20], const uint8_t account[20],
			 sealing_key *out, ehr_err *e);

#endif
