/* Who the other party is: the one place names are resolved for display,
 * and where the key keys are sealed to is shown and offered for pinning.
 *
 * A name is a contact's (the user's own word, `ehr contacts`) or, for an
 * address the book does not hold, the name the account published with
 * `ehr register`: its owner's claim, anyone can publish "St. Mary's ER".
 * So a registered name is always shown with "unverified" and the address:
 *
 *   Dr Doc (0xAbC...)                     a contact
 *   St. Mary's ER (unverified, 0xAbC...)  a name from the registry
 *   0xAbC...                              no name */
#ifndef EHR_PARTIES_H
#define EHR_PARTIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/chain/chain.h"
#include "wallet/registry/contacts.h"

/* Room for any label, with its NUL. */
#define PARTY_LABEL_MAX (REG_NAME_MAX + 64)

struct parties;

/* A cache of names for one run, reading the user's book now (a damaged
 * book: EHR_EINTEGRITY) and asking registry through c for names the book
 * does not give (c and registry may be NULL: then only contacts). */
int parties_open(struct parties **p, chain *c, const uint8_t registry[20], ehr_err *e);
void parties_close(struct parties *p);

/* Asks the registry for the names of n addresses at once (one batch);
 * best effort: an address it cannot tell stays nameless. */
void parties_prefetch(struct parties *p, const uint8_t (*addrs)[20], size_t n);

/* addr's name: the contact's (*is_contact true), else the registered one,
 * else "". Sanitised: printable, no control characters. */
const char *parties_name(struct parties *p, const uint8_t addr[20], bool *is_contact);

/* addr as people should read it (the forms above). */
void parties_label(struct parties *p, const uint8_t addr[20], char *out, size_t cap);

/* addr's name for a column beside its address: "Dr Doc", "St. Mary's
 * ER (unverified)" or "". */
void parties_name_text(struct parties *p, const uint8_t addr[20], char *out, size_t cap);

/* Adds to the JSON object o the name of addr under key (as parties_name
 * gives it) and, under key "_verified", whether it is a contact's. */
struct cJSON;
void parties_json(struct parties *p, const uint8_t addr[20], struct cJSON *o, const char *key);

/* parties_label without a cache: opens the book for this one call (a
 * damaged book: the address alone; what seals keys or lists names with
 * parties_open refuses it). */
void party_label(chain *c, const uint8_t registry[20], const uint8_t addr[20], char *out, size_t cap);

/* The words the confirmation of a sealing to k says about its key: "key
 * 3f2a ... pinned" or "key 3f2a ..., unverified". */
void party_key_words(const sealing_key *k, char *out, size_t cap);

/* Before keys are sealed to k (account addr) under a confirmation: when k
 * is not pinned, says its fingerprint is unverified (stderr) and, on a
 * terminal without --yes, offers to pin it: for a contact under its name,
 * else as a new contact under a name asked for. Pinning writes the book
 * and sets k->pinned. With --yes or without a terminal nothing is asked
 * (the confirmation decides). Fails only when the book cannot be
 * written. */
int party_offer_pin(const uint8_t addr[20], sealing_key *k, ehr_err *e);

#endif
