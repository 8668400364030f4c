#include "cli/record_in.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/ehr.h"
#include "cli/session.h"
#include "keystore/keystore.h"
#include "wallet/base/fileio.h"
#include "wallet/base/paths.h"
#include "wallet/base/qr_image.h"
#include "wallet/base/secmem.h"
#include "wallet/registry/ingest_cards.h"

#define CARD_EXT ".smart-health-card"
#define RECIPIENT "ehr"             /* who asks, as a link's server logs it */

struct collector {
	const struct record_in *o;
	struct ingest_cards c;
	shc_keyring *keys;          /* loaded at the first card */
	shc_qr_set qr;              /* the chunks of a card given so far */
	bool stdin_taken;
};

/* The keys cards are checked with: the trusted-issuers file and
 * --issuer-keys. */
static int load_keys(struct collector *k, ehr_err *e)
{
	char path[4096];
	int rc;

	if (k->keys)
		return 0;
	if (!(k->keys = shc_keyring_new()))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	k->c.keys = k->keys;
	if ((rc = paths_get(PLACE_ISSUERS, path, sizeof(path), e)) ||
	    (rc = shc_keyring_load_trusted(k->keys, path, e)))
		return rc;
	return k->o->issuer_keys ? shc_keyring_load_jwks(k->keys, k->o->issuer_keys, e) : 0;
}

/* One QR text: a card, or a chunk of one (taken once all are there). */
static int take_qr(struct collector *k, const char *text, ehr_err *e)
{
	bool complete;
	char *jws;
	int rc;

	if ((rc = load_keys(k, e)) || (rc = shc_qr_add(&k->qr, text, &complete, e)) || !complete)
		return rc;
	if ((rc = shc_qr_join(&k->qr, &jws, e)))
		return rc;
	rc = ingest_card(&k->c, "smart-health-card.json", jws, strlen(jws), e);
	free(jws);
	return rc;
}

/* The passcode of a P link: --passcode-file, else asked. */
static int link_passcode(struct collector *k, char **code, size_t *len, ehr_err *e)
{
	if (k->o->passcode_file)
		return passphrase_from_file(k->o->passcode_file, code, len, e);
	return prompt_secret("passcode for the link", code, len, e);
}

/* One link: parsed (its key into secure memory), checked for expiry, and
 * followed. */
static int take_link(struct collector *k, const char *text, ehr_err *e)
{
	uint8_t *key = secmem_new(SHL_KEY_BYTES, e);
	char *code = NULL;
	size_t code_len = 0;
	shl_link link;
	int rc;

	if (!key)
		return EHR_EFAIL;
	if (!(rc = shl_parse(text, &link, key, e)) && !(rc = shl_check_expiry(&link, time(NULL), e)) &&
	    (!link.passcode || !(rc = link_passcode(k, &code, &code_len, e))) &&
	    !(rc = load_keys(k, e)))
		rc = ingest_link(&k->c, &link, key, code, e);
	if (code)
		sodium_free(code);
	secmem_free(key, SHL_KEY_BYTES);
	return rc;
}

/* A .smart-health-card file: its records are named NAME.json. */
static int take_card_file(struct collector *k, const char *path, ehr_err *e)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char name[256], *json = NULL;
	ehr_err why = { 0 };
	size_t len;
	int rc;

	snprintf(name, sizeof(name), "%.*s.json", (int)(strlen(base) - strlen(CARD_EXT)), base);
	if ((rc = load_keys(k, e)))
		return rc;
	if (file_read_all(path, SHC_TEXT_MAX, &json, &len, &why))  /* a file given: usage */
		return ehr_fail(e, EHR_EUSAGE, "%s", why.msg);
	rc = ingest_card_file(&k->c, name, json, len, e);
	free(json);
	return rc;
}

/* One card or link as text (an argument, or a word of standard input). */
static int take_text(struct collector *k, const char *text, ehr_err *e)
{
	if (shc_is_qr_text(text))
		return take_qr(k, text, e);
	if (shl_is_link(text))
		return take_link(k, text, e);
	return ehr_fail(e, EHR_EUSAGE, "standard input holds neither shc:/ QR text nor a "
			"shlink:/ link (nor a .smart-health-card file's JSON)");
}

/* --qr-image: the text of the QR code in a PNG image (a photo of a card,
 * a screenshot), in secure memory (a link's holds its key). An image
 * without a card's or a link's code is a usage error. */
static int take_qr_image(struct collector *k, const char *path, ehr_err *e)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = qr_image_read(path, SHC_TEXT_MAX, &text, &len, e)))
		return rc;
	if (shc_is_qr_text(text) || shl_is_link(text))
		rc = take_text(k, text, e);
	else
		rc = ehr_fail(e, EHR_EUSAGE, "the QR code in %s is neither a SMART Health Card (shc:/) nor a "
			      "SMART Health Link", path);
	sodium_memzero(text, len);
	sodium_free(text);
	return rc;
}

/* "-": a .smart-health-card file's JSON, or QR texts and links separated
 * by white space (a scanner's lines). Read into secure memory: a link
 * holds its key. */
static int take_stdin(struct collector *k, ehr_err *e)
{
	char *text = NULL, *word, *save = NULL;
	size_t len = 0;
	int rc;

	if (k->stdin_taken)
		return ehr_fail(e, EHR_EUSAGE, "'-' (standard input) can be given once");
	k->stdin_taken = true;
	if ((rc = fd_read_secret(STDIN_FILENO, SHC_TEXT_MAX, &text, &len, e)))
		return rc;
	word = text + strspn(text, " \t\r\n");
	if (*word == '{') {
		if (!(rc = load_keys(k, e)))
			rc = ingest_card_file(&k->c, "smart-health-card.json", word, strlen(word), e);
	} else if (!*word) {
		rc = ehr_fail(e, EHR_EUSAGE, "standard input is empty");
	} else {
		for (word = strtok_r(text, " \t\r\n", &save); word && !rc; word = strtok_r(NULL, " \t\r\n", &save))
			rc = take_text(k, word, e);
	}
	sodium_memzero(text, len);
	sodium_free(text);
	return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static int take_arg(struct collector *k, char *arg, ehr_err *e)
{
	struct stat st;
	int rc;

	if (!strcmp(arg, "-"))
		return take_stdin(k, e);
	if (shc_is_qr_text(arg))
		return take_qr(k, arg, e);
	if (shl_is_link(arg) && stat(arg, &st)) {
		/* a link holds its key: out of the process's arguments at once
		 * (other users could read them in /proc until now) */
		rc = take_link(k, arg, e);
		sodium_memzero(arg, strlen(arg));
		return rc;
	}
	if (ends_with(arg, CARD_EXT))
		return take_card_file(k, arg, e);
	return ingest_collect(arg, k->o->title, k->o->split, k->c.list, k->c.n, k->c.cap, e);
}

int record_in_collect(const struct record_in *o, char **args, int nargs, struct incoming **list,
		      size_t *n, size_t *cap, ehr_err *e)
{
	struct collector k;
	int i, rc = 0;

	memset(&k, 0, sizeof(k));
	k.o = o;
	k.c.allow_unverified = o->unverified;
	k.c.split = o->split;
	k.c.title = o->title;
	k.c.recipient = RECIPIENT;
	k.c.list = list;
	k.c.n = n;
	k.c.cap = cap;
	/* --issuer-keys given is checked even when no card comes */
	if (o->issuer_keys)
		rc = load_keys(&k, e);
	if (!rc && o->qr_image)
		rc = take_qr_image(&k, o->qr_image, e);
	for (i = 0; i < nargs && !rc; i++)
		rc = take_arg(&k, args[i], e);
	if (!rc && k.qr.total)
		rc = ehr_fail(e, EHR_EUSAGE, "%zu of the %zu shc:/ chunks of a card are missing: give "
			      "them all", k.qr.total - k.qr.have, k.qr.total);
	if (!rc && k.c.unverified)
		warn("%zu card%s taken unverified: %s issuer's key is not one you trust", k.c.unverified,
		     k.c.unverified == 1 ? "" : "s", k.c.unverified == 1 ? "its" : "their");
	if (!rc && k.c.skipped)
		note("%zu file%s of the link skipped: neither a card nor FHIR", k.c.skipped,
		     k.c.skipped == 1 ? "" : "s");
	shc_qr_set_free(&k.qr);
	shc_keyring_free(k.keys);
	return rc;
}
