/* What `ehr record add` takes: files, SMART Health Cards (a
 * .smart-health-card file, "shc:/" QR text, chunked QR text given as
 * several arguments), SMART Health Links ("shlink:/...", also after a
 * viewer's address), and "-": any of those texts on standard input. The
 * cards are verified against the trusted-issuers file and --issuer-keys;
 * a link's passcode comes from --passcode-file or the terminal. */
#ifndef EHR_RECORD_IN_H
#define EHR_RECORD_IN_H

#include <stdbool.h>
#include <stddef.h>

#include "wallet/base/err.h"
#include "wallet/registry/ingest.h"

struct record_in {
	const char *title;          /* --title */
	bool split;                 /* --split-bundle */
	const char *issuer_keys;    /* --issuer-keys JWKS */
	bool unverified;            /* --unverified */
	const char *passcode_file;  /* --passcode-file */
	const char *qr_image;       /* --qr-image: a PNG holding a card's (or a chunk's, or a link's) QR code */
};

/* Reads and checks the QR code of o->qr_image (when given: its text is
 * taken as an argument would be, first), then every argument in order, appending its records to
 * *list (as ingest_collect does for files): nothing is sealed or sent.
 * Warns about cards taken unverified and notes a link's files that were
 * skipped. Fails with the first argument that does not read, verify or
 * decrypt (its status: EHR_EUSAGE, EHR_EAUTH, EHR_ENODE, EHR_ECHAIN an
 * expired link, EHR_EINTEGRITY), or chunks of a card left missing. A
 * link given as an argument is wiped from args once read (it holds its
 * key). */
int record_in_collect(const struct record_in *o, char **args, int nargs, struct incoming **list,
		      size_t *n, size_t *cap, ehr_err *e);

#endif
