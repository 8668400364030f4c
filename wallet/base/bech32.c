#include "wallet/base/bech32.h"

#include <string.h>

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

#define CHECKSUM_LEN 6
#define HRP_MAX 83

/* The BCH code of BIP173 over GF(32): the remainder of the values as a
 * polynomial, with the generator's coefficients packed five bits each. */
static uint32_t polymod_step(uint32_t chk, unsigned v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3 };
	uint32_t top = chk >> 25;
	int i;

	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

/* The checksum state after the expanded prefix (high bits, 0, low bits). */
static uint32_t polymod_hrp(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (unsigned char)hrp[i] >> 5);
	chk = polymod_step(chk, 0);
	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (unsigned char)hrp[i] & 31);
	return chk;
}

int bech32_convert_bits(const uint8_t *in, size_t inlen, unsigned frombits, unsigned tobits, int pad,
			uint8_t *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0, maxv = (1u << tobits) - 1;
	unsigned bits = 0;
	size_t i, n = 0;

	if (frombits < 1 || frombits > 8 || tobits < 1 || tobits > 8)
		return -1;
	for (i = 0; i < inlen; i++) {
		if (in[i] >> frombits)
			return -1;
		acc = (acc << frombits | in[i]) & 0xffff;
		bits += frombits;
		while (bits >= tobits) {
			bits -= tobits;
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)((acc >> bits) & maxv);
		}
	}
	if (pad) {
		if (bits) {
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)((acc << (tobits - bits)) & maxv);
		}
	} else if (bits >= frombits || ((acc << (tobits - bits)) & maxv)) {
		return -1;
	}
	*outlen = n;
	return 0;
}

int bech32_encode5(const char *hrp, const uint8_t *data5, size_t len, char *out, size_t cap, ehr_err *e)
{
	size_t hlen = strlen(hrp), total, i, n = 0;
	uint32_t chk;

	if (hlen < 1 || hlen > HRP_MAX)
		return ehr_fail(e, EHR_EUSAGE, "bech32 prefix must have 1 to 83 characters");
	for (i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)hrp[i];

		if (c < 33 || c > 126 || (c >= 'A' && c <= 'Z'))
			return ehr_fail(e, EHR_EUSAGE, "bech32 prefix '%.83s' must be lowercase printable ASCII", hrp);
	}
	total = hlen + 1 + len + CHECKSUM_LEN;
	if (total > BECH32_MAX)
		return ehr_fail(e, EHR_EUSAGE, "bech32 string would have %zu characters (at most 90)", total);
	if (total + 1 > cap)
		return ehr_fail(e, EHR_EUSAGE, "bech32 buffer too small");
	chk = polymod_hrp(hrp, hlen);
	memcpy(out, hrp, hlen);
	n = hlen;
	out[n++] = '1';
	for (i = 0; i < len; i++) {
		if (data5[i] > 31)
			return ehr_fail(e, EHR_EUSAGE, "bech32 data value %u is not 5 bits", data5[i]);
		chk = polymod_step(chk, data5[i]);
		out[n++] = charset[data5[i]];
	}
	for (i = 0; i < CHECKSUM_LEN; i++)
		chk = polymod_step(chk, 0);
	chk ^= 1;	/* bech32's constant (bech32m would use 0x2bc830a3) */
	for (i = 0; i < CHECKSUM_LEN; i++)
		out[n++] = charset[(chk >> (5 * (CHECKSUM_LEN - 1 - i))) & 31];
	out[n] = '\0';
	return EHR_OK;
}

int bech32_encode(const char *hrp, const uint8_t *data, size_t len, char *out, size_t cap, ehr_err *e)
{
	uint8_t data5[BECH32_MAX];
	size_t n5;

	if (len > BECH32_MAX * 5 / 8 ||
	    bech32_convert_bits(data, len, 8, 5, 1, data5, sizeof(data5), &n5) != 0)
		return ehr_fail(e, EHR_EUSAGE, "%zu bytes do not fit in a bech32 string", len);
	return bech32_encode5(hrp, data5, n5, out, cap, e);
}

int bech32_decode5(const char *s, char *hrp, size_t hrp_cap, uint8_t *data5, size_t cap, size_t *len, ehr_err *e)
{
	size_t slen = strlen(s), sep = 0, i, n = 0;
	int lower = 0, upper = 0, have_sep = 0;
	char hbuf[HRP_MAX + 1];
	uint32_t chk;

	if (slen > BECH32_MAX)
		return ehr_fail(e, EHR_EUSAGE, "bech32 string has %zu characters (at most 90)", slen);
	for (i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126)
			return ehr_fail(e, EHR_EUSAGE, "bech32 string has a character outside printable ASCII at %zu", i + 1);
		lower |= c >= 'a' && c <= 'z';
		upper |= c >= 'A' && c <= 'Z';
		if (c == '1') {
			sep = i;
			have_sep = 1;
		}
	}
	if (lower && upper)
		return ehr_fail(e, EHR_EUSAGE, "bech32 string mixes upper and lower case");
	if (!have_sep)
		return ehr_fail(e, EHR_EUSAGE, "bech32 string has no separator '1'");
	if (sep == 0)
		return ehr_fail(e, EHR_EUSAGE, "bech32 string has an empty prefix");
	if (sep > HRP_MAX)
		return ehr_fail(e, EHR_EUSAGE, "bech32 prefix is longer than 83 characters");
	if (slen - sep - 1 < CHECKSUM_LEN)
		return ehr_fail(e, EHR_EUSAGE, "bech32 string is too short for its checksum");
	for (i = 0; i < sep; i++) {
		char c = s[i];

		hbuf[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	hbuf[sep] = '\0';
	chk = polymod_hrp(hbuf, sep);
	for (i = sep + 1; i < slen; i++) {
		char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
		const char *p = strchr(charset, c);

		if (!p)
			return ehr_fail(e, EHR_EUSAGE, "bech32 string has '%c', not a bech32 character, at %zu", s[i], i + 1);
		chk = polymod_step(chk, (unsigned)(p - charset));
		if (i < slen - CHECKSUM_LEN) {
			if (n >= cap)
				return ehr_fail(e, EHR_EUSAGE, "bech32 data too long");
			data5[n++] = (uint8_t)(p - charset);
		}
	}
	if (chk != 1)
		return ehr_fail(e, EHR_EUSAGE, "bech32 checksum does not match (mistyped?)");
	if (sep + 1 > hrp_cap)
		return ehr_fail(e, EHR_EUSAGE, "bech32 prefix buffer too small");
	memcpy(hrp, hbuf, sep + 1);
	*len = n;
	return EHR_OK;
}

int bech32_decode(const char *s, char *hrp, size_t hrp_cap, uint8_t *out, size_t cap, size_t *len, ehr_err *e)
{
	uint8_t data5[BECH32_MAX];
	size_t n5;
	int ret;

	if ((ret = bech32_decode5(s, hrp, hrp_cap, data5, sizeof(data5), &n5, e)) != EHR_OK)
		return ret;
	if (bech32_convert_bits(data5, n5, 5, 8, 0, out, cap, len) != 0)
		return ehr_fail(e, EHR_EUSAGE, "bech32 data does not convert to whole bytes (bad padding or too long)");
	return EHR_OK;
}
