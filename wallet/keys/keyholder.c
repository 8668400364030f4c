#include "wallet/keys/keyholder.h"

#include <string.h>

#include <sodium.h>

static struct key_holder holder;

void key_holder_set(const struct key_holder *h)
{
	if (h)
		holder = *h;
	else
		memset(&holder, 0, sizeof(holder));
}

int key_holder_sign(const uint8_t hash[32], uint8_t sig[65], ehr_err *e)
{
	if (!holder.sign)
		return ehr_fail(e, EHR_EAUTH, "no key to sign with (the wallet is locked)");
	return holder.sign(holder.arg, hash, sig, e);
}

int sealed_box_open(uint8_t *out, const uint8_t *sealed, size_t len, const uint8_t pk[32],
		    const uint8_t sk[32], ehr_err *e)
{
	size_t n = len > crypto_box_SEALBYTES ? len - crypto_box_SEALBYTES : 0;

	if (len < crypto_box_SEALBYTES)
		return ehr_fail(e, EHR_EAUTH, "a sealed box shorter than its overhead"), -1;
	if (!key_is_held(sk)) {
		if (!crypto_box_seal_open(out, sealed, len, pk, sk))
			return 0;
		ehr_fail(e, EHR_EAUTH, "not sealed to this key");
	} else if (!holder.open) {
		ehr_fail(e, EHR_EAUTH, "no key to open with (the wallet is locked)");
	} else if (!holder.open(holder.arg, sealed, len, pk, out, e)) {
		return 0;
	}
	sodium_memzero(out, n);
	return -1;
}

bool key_is_held(const uint8_t sk[32])
{
	return sodium_is_zero(sk, 32);
}

int sealed_boxes_open(const uint8_t *boxes, size_t box_len, size_t n, const uint8_t pk[32],
		      const uint8_t sk[32], uint8_t *out, bool *ok, ehr_err *e)
{
	size_t plen = box_len - crypto_box_SEALBYTES, i;

	if (box_len < crypto_box_SEALBYTES)
		return ehr_fail(e, EHR_EUSAGE, "sealed boxes shorter than their overhead");
	if (key_is_held(sk) && holder.open_many)
		return holder.open_many(holder.arg, boxes, box_len, n, pk, out, ok, e);
	for (i = 0; i < n; i++)
		ok[i] = !sealed_box_open(out + i * plen, boxes + i * box_len, box_len, pk, sk, NULL);
	return 0;
}
