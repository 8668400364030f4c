/* How strong a new wallet passphrase is. The wallet file is only as safe as
 * its passphrase once it is copied off the machine: Argon2id slows each
 * guess, it cannot save "a" or "password1234". So init, restore, import and
 * passwd refuse a passphrase shorter than STRENGTH_MIN_CHARS or estimated
 * below STRENGTH_MIN_BITS.
 *
 * The estimate is deliberately simple and errs low: each character is worth
 * log2 of the size of the character classes the passphrase uses, less when
 * it repeats or continues a run (aaaa, abcd, 4321) or was seen before, and a
 * common word or keyboard row (password, qwerty, 1234...) is worth a few bits
 * whole. It knows no dictionary of names: it is a floor, not a proof.
 * Nothing here prints, prompts or exits. */
#ifndef EHR_STRENGTH_H
#define EHR_STRENGTH_H

#include <stddef.h>

#include "wallet/base/err.h"

#define STRENGTH_MIN_CHARS 12
#define STRENGTH_MIN_BITS 50

/* The estimated entropy of pass (len bytes, no terminator needed), in bits. */
double strength_bits(const char *pass, size_t len);

/* 0 when pass is long and strong enough for a wallet; else EHR_EUSAGE with
 * e saying why (length, or the estimate) and what would do. Never copies
 * the passphrase into e. */
int strength_check(const char *pass, size_t len, ehr_err *e);

#endif
