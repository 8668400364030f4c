#include "wallet/base/base58.h"

#include <string.h>

#include <sodium.h>

#include "wallet/base/sha256.h"

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* The digit of a character, or -1 outside the alphabet. */
static int digit_of(int c)
{
	const char *p;

	if (c <= 0)
		return -1;
	p = strchr(alphabet, c);
	return p ? (int)(p - alphabet) : -1;
}

/*
 * Both directions are schoolbook base conversion over a big-endian digit
 * array: quadratic, which is fine for the short strings (keys, addresses)
 * this is for. The arrays never hold secrets longer than the call and are
 * wiped, since an xprv passes through here.
 */
long base58_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	uint8_t digits[256];	/* base-58 digits, most significant first */
	size_t zeros = 0, ndig, i, j, n = 0;
	long ret = -1;

	if (len > 180)
		return -1;
	while (zeros < len && in[zeros] == 0)
		zeros++;
	ndig = (len - zeros) * 138 / 100 + 1;	/* log(256)/log(58) < 1.38 */
	memset(digits, 0, ndig);
	for (i = zeros; i < len; i++) {
		unsigned carry = in[i];

		for (j = ndig; j-- > 0;) {
			carry += 256u * digits[j];
			digits[j] = (uint8_t)(carry % 58);
			carry /= 58;
		}
	}
	for (i = 0; i < ndig && digits[i] == 0; i++)
		;
	if (zeros + (ndig - i) + 1 > cap)
		goto out;
	while (n < zeros)
		out[n++] = '1';
	for (; i < ndig; i++)
		out[n++] = alphabet[digits[i]];
	out[n] = '\0';
	ret = (long)n;
out:
	sodium_memzero(digits, sizeof(digits));
	return ret;
}

long base58_decode(const char *in, uint8_t *out, size_t cap)
{
	uint8_t bytes[256];	/* base-256 result, most significant first */
	size_t slen = strlen(in), zeros = 0, nbytes, i, j;
	long ret = -1;

	if (slen == 0 || slen > 250)
		return -1;
	while (zeros < slen && in[zeros] == '1')
		zeros++;
	nbytes = (slen - zeros) * 733 / 1000 + 1;	/* log(58)/log(256) < 0.733 */
	memset(bytes, 0, nbytes);
	for (i = zeros; i < slen; i++) {
		int d = digit_of((unsigned char)in[i]);
		unsigned carry;

		if (d < 0)
			goto out;
		carry = (unsigned)d;
		for (j = nbytes; j-- > 0;) {
			carry += 58u * bytes[j];
			bytes[j] = (uint8_t)(carry & 0xff);
			carry >>= 8;
		}
	}
	for (i = 0; i < nbytes && bytes[i] == 0; i++)
		;
	if (zeros + (nbytes - i) > cap)
		goto out;
	memset(out, 0, zeros);
	memcpy(out + zeros, bytes + i, nbytes - i);
	ret = (long)(zeros + nbytes - i);
out:
	sodium_memzero(bytes, sizeof(bytes));
	return ret;
}

static void checksum(const uint8_t *in, size_t len, uint8_t sum[4])
{
	uint8_t h[32];

	sha256(in, len, h);
	sha256(h, sizeof(h), h);
	memcpy(sum, h, 4);
}

long base58check_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	uint8_t buf[132];
	long ret;

	if (len > sizeof(buf) - 4)
		return -1;
	memcpy(buf, in, len);
	checksum(in, len, buf + len);
	ret = base58_encode(buf, len + 4, out, cap);
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

long base58check_decode(const char *in, uint8_t *out, size_t cap)
{
	uint8_t buf[192], sum[4];
	long n, ret;

	n = base58_decode(in, buf, sizeof(buf));
	if (n < 0 || n < 4) {
		ret = -1;
	} else {
		checksum(buf, (size_t)n - 4, sum);
		if (sodium_memcmp(sum, buf + n - 4, 4) != 0)
			ret = -2;
		else if ((size_t)n - 4 > cap)
			ret = -1;
		else {
			memcpy(out, buf, (size_t)n - 4);
			ret = n - 4;
		}
	}
	sodium_memzero(buf, sizeof(buf));
	return ret;
}
