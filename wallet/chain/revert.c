#include "wallet/chain/revert.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wallet/chain/abi.h"

static const uint8_t error_string_sel[4] = { 0x08, 0xc3, 0x79, 0xa0 };	/* Error(string) */
static const uint8_t panic_sel[4] = { 0x4e, 0x48, 0x7b, 0x71 };		/* Panic(uint256) */

static const struct {
	unsigned code;
	const char *what;
} panics[] = {
	{ 0x00, "generic compiler panic" },
	{ 0x01, "assertion failed" },
	{ 0x11, "arithmetic overflow or underflow" },
	{ 0x12, "division or modulo by zero" },
	{ 0x21, "invalid enum value" },
	{ 0x22, "corrupt storage byte array" },
	{ 0x31, "pop from an empty array" },
	{ 0x32, "array index out of bounds" },
	{ 0x41, "out of memory (allocation too large)" },
	{ 0x51, "call to an uninitialized function" },
};

/* snprintf that marks a cut with "...". */
static void say(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= cap && cap > 4)
		memcpy(out + cap - 4, "...", 4);
}

static void describe_reason(const uint8_t *args, size_t len, char *out, size_t cap, int *kind)
{
	abi_value *v = NULL;
	size_t n;

	if (abi_decode("(string)", args, len, &v, NULL)) {
		say(out, cap, "reverted with malformed Error(string) data");
		*kind = REVERT_MALFORMED;
		return;
	}
	abi_get_bytes(abi_item(v, 0), &n);
	if (!n)
		say(out, cap, "reverted with an empty reason");
	else
		abi_format(abi_item(v, 0), out, cap);
	abi_free(v);
	*kind = REVERT_REASON;
}

static void describe_panic(const uint8_t *args, size_t len, char *out, size_t cap, int *kind)
{
	abi_value *v = NULL;
	uint64_t code;
	size_t i;

	if (abi_decode("(uint256)", args, len, &v, NULL)) {
		say(out, cap, "reverted with malformed Panic(uint256) data");
		*kind = REVERT_MALFORMED;
		return;
	}
	*kind = REVERT_PANIC;
	if (abi_get_u64(abi_item(v, 0), &code) == 0) {
		for (i = 0; i < sizeof(panics) / sizeof(panics[0]); i++) {
			if (panics[i].code == code) {
				say(out, cap, "%s", panics[i].what);
				abi_free(v);
				return;
			}
		}
		say(out, cap, "panic with unknown code 0x%llx", (unsigned long long)code);
	} else {
		say(out, cap, "panic with an unknown code");
	}
	abi_free(v);
}

/* Text built piece by piece into out[0..cap), cut with "..." (never
 * inside a UTF-8 sequence) when it does not fit. */
struct text {
	char *out;
	size_t cap, len;
	int cut;
};

static void append(struct text *t, const char *s, size_t n)
{
	size_t end;

	if (t->cut)
		return;
	if (t->len + n < t->cap) {
		memcpy(t->out + t->len, s, n);
		t->len += n;
		t->out[t->len] = '\0';
		return;
	}
	t->cut = 1;
	if (t->cap <= 4) {
		t->out[0] = '\0';
		return;
	}
	memcpy(t->out + t->len, s, t->cap - 1 - t->len);
	end = t->cap - 4;
	while (end > 0 && ((unsigned char)t->out[end] & 0xc0) == 0x80)
		end--;
	memcpy(t->out + end, "...", 4);
}

/* Fills the sentence template with the decoded arguments. */
static void fill_sentence(const char *tmpl, const abi_value *args, char *out, size_t cap)
{
	struct text t = { out, cap, 0, 0 };
	char arg[256];
	const char *p;

	out[0] = '\0';
	for (p = tmpl; *p; p++) {
		if (*p == '%' && p[1] == '%') {
			append(&t, "%", 1);
			p++;
		} else if (*p == '%' && p[1] >= '1' && p[1] <= '9') {
			const abi_value *a = abi_item(args, (size_t)(p[1] - '1'));

			if (a)
				abi_format(a, arg, sizeof(arg));
			else
				strcpy(arg, "?");
			append(&t, arg, strlen(arg));
			p++;
		} else {
			append(&t, p, 1);
		}
	}
}

/* "Name(arg, arg)" for an error without a sentence. */
static void name_and_args(const char *sig, const abi_value *args, char *out, size_t cap)
{
	struct text t = { out, cap, 0, 0 };
	char arg[256];
	size_t i;
	const char *paren = strchr(sig, '(');

	out[0] = '\0';
	append(&t, sig, (size_t)(paren - sig));
	append(&t, "(", 1);
	for (i = 0; i < abi_count(args); i++) {
		if (i)
			append(&t, ", ", 2);
		abi_format(abi_item(args, i), arg, sizeof(arg));
		append(&t, arg, strlen(arg));
	}
	append(&t, ")", 1);
}

int revert_match(const uint8_t *data, size_t len, const revert_error *custom, size_t n_custom)
{
	uint8_t sel[4];
	size_t i;

	if (len < 4 || !custom)
		return -1;
	for (i = 0; i < n_custom; i++) {
		if (custom[i].signature && abi_selector(custom[i].signature, sel, NULL) == 0 && !memcmp(sel, data, 4))
			return (int)i;
	}
	return -1;
}

int revert_describe(const uint8_t *data, size_t len, const revert_error *custom, size_t n_custom,
		    char *out, size_t cap)
{
	char scratch[1];
	int kind, i;

	if (!cap) {
		out = scratch;
		cap = sizeof(scratch);
	}
	out[0] = '\0';
	if (!len) {
		say(out, cap, "reverted without a reason");
		return REVERT_EMPTY;
	}
	if (len < 4) {
		say(out, cap, "reverted with malformed error data");
		return REVERT_MALFORMED;
	}
	if (!memcmp(data, error_string_sel, 4)) {
		describe_reason(data + 4, len - 4, out, cap, &kind);
		return kind;
	}
	if (!memcmp(data, panic_sel, 4)) {
		describe_panic(data + 4, len - 4, out, cap, &kind);
		return kind;
	}
	if ((i = revert_match(data, len, custom, n_custom)) >= 0) {
		abi_value *args = NULL;
		const char *sig = custom[i].signature;

		if (abi_decode_call(sig, data, len, &args, NULL)) {
			/* The selector matched but the arguments do not parse:
			 * still say which error it was. */
			if (custom[i].sentence && !strchr(custom[i].sentence, '%'))
				say(out, cap, "%s", custom[i].sentence);
			else
				say(out, cap, "reverted with %s (arguments unreadable)", sig);
		} else if (custom[i].sentence) {
			fill_sentence(custom[i].sentence, args, out, cap);
		} else {
			name_and_args(sig, args, out, cap);
		}
		abi_free(args);
		return REVERT_CUSTOM;
	}
	say(out, cap, "reverted with unknown error 0x%02x%02x%02x%02x", data[0], data[1], data[2], data[3]);
	return REVERT_UNKNOWN;
}
