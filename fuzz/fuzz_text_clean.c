/* The one sanitiser of outside text (wallet/base/text.h text_clean), which
 * every title, memo, name and ABI string from the chain goes through before
 * it is printed. The input is the text; byte 0, when there is one, picks
 * the flags (bit 0: TEXT_ASCII) and the output room (the rest of the byte
 * times 2, 0 meaning room for all). What comes out is NUL-terminated, no
 * longer than the input nor the room, a prefix of the full cleaning, made
 * only of characters text_safe_char accepts or '?', keeps every safe
 * character at its place, and cleaning it again changes nothing. */
#include "fuzz.h"

#include "wallet/base/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned flags = size ? (data[0] & 1 ? TEXT_ASCII : 0) : 0;
	size_t room = size ? (size_t)(data[0] >> 1) * 2 : 0, n, m, i, k;
	const uint8_t *in = size ? data + 1 : data;
	size_t in_len = size ? size - 1 : 0;
	char *full = malloc(in_len + 1), *cut, *again;

	if (!full)
		abort();
	n = text_clean(full, in_len + 1, in, in_len, flags);
	FUZZ_ASSERT(n == in_len && full[n] == '\0');
	for (i = 0; i < n; i += k) {
		if (full[i] == '?') {  /* the input's own '?', or a replacement */
			k = 1;
			continue;
		}
		/* anything else is a safe character, where it stood */
		k = text_safe_char((const uint8_t *)full + i, n - i, flags);
		FUZZ_ASSERT(k > 0 && !memcmp(full + i, in + i, k));
	}
	again = fuzz_cstr((const uint8_t *)full, n);
	text_clean_inplace(again, flags);
	FUZZ_ASSERT(!strcmp(again, full));
	free(again);
	if (room) {
		cut = malloc(room);
		if (!cut)
			abort();
		m = text_clean(cut, room, in, in_len, flags);
		FUZZ_ASSERT(m < room && cut[m] == '\0' && m <= n && !memcmp(cut, full, m));
		free(cut);
	}
	free(full);
	return 0;
}
