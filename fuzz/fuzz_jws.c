/* SMART Health Cards (wallet/vault/shc.h) and the JWS under them
 * (wallet/vault/jose.h). The first byte picks what the rest is:
 *   0: a JWKS's JSON, a newline, then a compact JWS: parsed, its signature
 *      checked with each key, then read as a card with those keys (and,
 *      taken unverified, with none);
 *   1: QR texts, one a line: added to a chunk set, joined when complete;
 *   2: a .smart-health-card file's JSON, each card read unverified.
 * A card read is a Bundle from an https issuer; a card read unverified is
 * never marked verified; a refusal is a documented status. */
#include "fuzz.h"

#include "wallet/vault/shc.h"

static void read_card(const char *jws, size_t len, const shc_keyring *kr, bool unverified)
{
	shc_card card;
	ehr_err e;
	int st = shc_card_read(jws, len, kr, unverified, &card, &e);

	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EINTEGRITY || st == EHR_EFAIL);
		FUZZ_ASSERT(!card.bundle);
		return;
	}
	FUZZ_ASSERT(card.bundle && strlen(card.bundle) == card.bundle_len);
	FUZZ_ASSERT(!strncmp(card.iss, "https://", 8));
	FUZZ_ASSERT(card.verified || unverified);
	shc_card_free(&card);
}

static void keys_and_jws(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	shc_keyring *kr = shc_keyring_new(), *none = shc_keyring_new();
	jws_parsed j;
	ehr_err e;
	int st;

	if (!kr || !none)
		abort();
	if (nl && (st = shc_keyring_add_jwks(kr, s, (size_t)(nl - s), &e)))
		fuzz_check_err(st, &e);
	if (nl) {
		n -= (size_t)(nl + 1 - s);
		s = nl + 1;
	}
	if (!(st = jws_parse(s, n, &j, &e))) {
		FUZZ_ASSERT(j.sig_len <= sizeof(j.sig) && j.signing_input >= s);
		jws_free(&j);
	} else {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(!j.payload);
	}
	read_card(s, n, kr, false);
	read_card(s, n, none, true);
	shc_keyring_free(kr);
	shc_keyring_free(none);
}

static void qr_lines(char *s)
{
	shc_qr_set set = { 0 };
	char *line, *save = NULL, *jws;
	bool complete = false;
	ehr_err e;
	int st;

	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if ((st = shc_qr_add(&set, line, &complete, &e))) {
			fuzz_check_err(st, &e);
			FUZZ_ASSERT(st == EHR_EUSAGE || st == EHR_EFAIL);
			continue;
		}
		FUZZ_ASSERT(set.have <= set.total && complete == (set.have == set.total));
		if (complete) {
			FUZZ_ASSERT(shc_qr_join(&set, &jws, &e) == 0 && set.total == 0);
			free(jws);
		}
	}
	if (!complete && set.total)
		FUZZ_ASSERT(shc_qr_join(&set, &jws, &e) == EHR_EUSAGE);
	shc_qr_set_free(&set);
}

static int file_card(void *arg, const char *jws, size_t len, ehr_err *e)
{
	(void)e;
	read_card(jws, len, arg, true);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	ehr_err e;
	int st;

	if (!size)
		return 0;
	s = fuzz_cstr(data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		keys_and_jws(s, strlen(s));
		break;
	case 1:
		qr_lines(s);
		break;
	default: {
		shc_keyring *none = shc_keyring_new();

		if ((st = shc_file_cards(s, strlen(s), file_card, none, &e)))
			fuzz_check_err(st, &e);
		shc_keyring_free(none);
	}
	}
	free(s);
	return 0;
}

FUZZ_INIT_SODIUM()
