#include "wallet/base/amount.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

struct unit {
	const char *name;
	unsigned decimals;
};

static const struct unit coin_units[] = {
	{ "wei", 0 }, { "gwei", 9 }, { "ether", 18 }, { "eth", 18 },
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The input as it appears in messages: bounded, so a pasted screenful does
 * not drown the sentence. */
#define SHOWN "'%.40s%s'"
#define SHOW(s) (s), strlen(s) > 40 ? "..." : ""

int amount_parse(const char *s, unsigned decimals, unsigned flags, u256 *out, ehr_err *e)
{
	const char *p, *int_start, *frac_start = NULL, *unit_start;
	size_t int_len, frac_len = 0, unit_len, i;
	const char *end;
	u256 v = u256_from_u64(0);

	if (!s)
		return ehr_fail(e, EHR_EUSAGE, "missing amount");
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == s)
		return ehr_fail(e, EHR_EUSAGE, "empty amount");
	if (*s == '-')
		return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": negative amounts are not allowed", SHOW(s));
	if (*s == '+')
		return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": write the number without a sign", SHOW(s));

	p = int_start = s;
	while (p < end && is_digit(*p))
		p++;
	int_len = (size_t)(p - int_start);
	if (p < end && *p == '.') {
		frac_start = ++p;
		while (p < end && is_digit(*p))
			p++;
		frac_len = (size_t)(p - frac_start);
	}
	if (int_len + frac_len == 0)
		return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": not a number", SHOW(s));
	if (p < end && (*p == ',' || *p == '_' || *p == '\''))
		return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": digit separators are not accepted; write 1000, not 1,000", SHOW(s));
	if (p < end && *p == '.')
		return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": more than one decimal point", SHOW(s));
	if (p < end && (*p == 'e' || *p == 'E') && p + 1 < end &&
	    (is_digit(p[1]) || p[1] == '-' || p[1] == '+'))
		return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": exponents are not accepted; write the number out%s",
				SHOW(s), flags & AMOUNT_UNITS ? " or use a unit (wei, gwei, ether)" : "");

	unit_start = p;
	if (unit_start < end && *unit_start == ' ')
		unit_start++;
	unit_len = (size_t)(end - unit_start);
	if (unit_len) {
		const struct unit *u = NULL;

		for (i = 0; i < unit_len; i++) {
			if (!isalpha((unsigned char)unit_start[i]))
				return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": not a number", SHOW(s));
		}
		for (i = 0; i < sizeof(coin_units) / sizeof(coin_units[0]); i++) {
			if (strlen(coin_units[i].name) == unit_len &&
			    !strncasecmp(unit_start, coin_units[i].name, unit_len))
				u = &coin_units[i];
		}
		if (!u)
			return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": unknown unit '%.*s'%s", SHOW(s),
					(int)(unit_len > 16 ? 16 : unit_len), unit_start,
					flags & AMOUNT_UNITS ? " (use wei, gwei or ether)" : "");
		if (!(flags & AMOUNT_UNITS))
			return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": units apply to the native coin only; give the token amount as a plain number", SHOW(s));
		decimals = u->decimals;
	} else if (p != end) {
		return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": not a number", SHOW(s));
	}

	if (decimals > AMOUNT_DECIMALS_MAX)
		return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": a token with %u decimals is not supported", SHOW(s), decimals);
	/* Trailing zeros of the fraction carry no value: "1.50" is fine at 1 decimal. */
	while (frac_len && frac_start[frac_len - 1] == '0')
		frac_len--;
	if (frac_len > decimals) {
		if (decimals == 0)
			return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": must be a whole number%s", SHOW(s),
					unit_len ? " of wei" : "");
		return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": at most %u decimal place%s", SHOW(s),
				decimals, decimals == 1 ? "" : "s");
	}
	for (i = 0; i < int_len + decimals; i++) {
		unsigned d;

		if (i < int_len)
			d = (unsigned)(int_start[i] - '0');
		else if (i - int_len < frac_len)
			d = (unsigned)(frac_start[i - int_len] - '0');
		else
			d = 0;
		if (u256_mul_u64(&v, &v, 10) || u256_add_u64(&v, &v, d))
			return ehr_fail(e, EHR_EUSAGE, "amount " SHOWN ": too large", SHOW(s));
	}
	*out = v;
	return EHR_OK;
}

int amount_format(const u256 *v, unsigned decimals, char *out, size_t cap)
{
	char digits[U256_DEC_MAX];
	char buf[AMOUNT_FMT_MAX];
	size_t n, len = 0, i;

	if (cap)
		out[0] = '\0';
	if (decimals > AMOUNT_DECIMALS_MAX)
		return -1;
	u256_format_dec(v, digits);
	n = strlen(digits);
	if (n <= decimals) {
		buf[len++] = '0';
		buf[len++] = '.';
		for (i = n; i < decimals; i++)
			buf[len++] = '0';
		memcpy(buf + len, digits, n);
		len += n;
	} else {
		memcpy(buf, digits, n - decimals);
		len = n - decimals;
		buf[len++] = '.';
		memcpy(buf + len, digits + n - decimals, decimals);
		len += decimals;
	}
	while (buf[len - 1] == '0' && memchr(buf, '.', len))
		len--;
	if (buf[len - 1] == '.')
		len--;
	if (len + 1 > cap)
		return -1;
	memcpy(out, buf, len);
	out[len] = '\0';
	return (int)len;
}

struct dur_unit {
	const char *name;
	uint64_t seconds;
};

static const struct dur_unit dur_units[] = {
	{ "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 }, { "seconds", 1 },
	{ "m", 60 }, { "min", 60 }, { "mins", 60 }, { "minute", 60 }, { "minutes", 60 },
	{ "h", 3600 }, { "hr", 3600 }, { "hrs", 3600 }, { "hour", 3600 }, { "hours", 3600 },
	{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
	{ "w", 604800 }, { "week", 604800 }, { "weeks", 604800 },
};

int duration_parse(const char *s, uint64_t *seconds, ehr_err *e)
{
	const uint64_t limit = INT64_MAX;
	const char *p;
	uint64_t total = 0;

	if (!s)
		return ehr_fail(e, EHR_EUSAGE, "missing duration");
	p = s;
	while (*p == ' ')
		p++;
	if (!*p)
		return ehr_fail(e, EHR_EUSAGE, "empty duration");
	if (*p == '-')
		return ehr_fail(e, EHR_EUSAGE, "duration " SHOWN ": must be positive", SHOW(s));
	while (*p) {
		uint64_t n = 0, mult = 0;
		const char *u;
		size_t ulen, i;

		if (!is_digit(*p))
			return ehr_fail(e, EHR_EUSAGE, "duration " SHOWN ": expected a number and a unit, e.g. 30m, 2h, 7d", SHOW(s));
		for (; is_digit(*p); p++) {
			if (n > (limit - (uint64_t)(*p - '0')) / 10)
				return ehr_fail(e, EHR_EUSAGE, "duration " SHOWN ": too long", SHOW(s));
			n = n * 10 + (uint64_t)(*p - '0');
		}
		if (*p == '.' || *p == ',')
			return ehr_fail(e, EHR_EUSAGE, "duration " SHOWN ": use whole numbers (90m, not 1.5h)", SHOW(s));
		if (*p == ' ')
			p++;
		u = p;
		while (isalpha((unsigned char)*p))
			p++;
		ulen = (size_t)(p - u);
		if (!ulen) {
			if (!*p)
				return ehr_fail(e, EHR_EUSAGE, "duration " SHOWN ": give a unit: s, m, h, d or w (e.g. 30m)", SHOW(s));
			return ehr_fail(e, EHR_EUSAGE, "duration " SHOWN ": expected a number and a unit, e.g. 30m, 2h, 7d", SHOW(s));
		}
		for (i = 0; i < sizeof(dur_units) / sizeof(dur_units[0]); i++) {
			if (strlen(dur_units[i].name) == ulen && !strncasecmp(u, dur_units[i].name, ulen))
				mult = dur_units[i].seconds;
		}
		if (!mult)
			return ehr_fail(e, EHR_EUSAGE, "duration " SHOWN ": unknown unit '%.*s' (use s, m, h, d or w)",
					SHOW(s), (int)(ulen > 16 ? 16 : ulen), u);
		if (n > (limit - total) / mult)
			return ehr_fail(e, EHR_EUSAGE, "duration " SHOWN ": too long", SHOW(s));
		total += n * mult;
		while (*p == ' ')
			p++;
	}
	if (!total)
		return ehr_fail(e, EHR_EUSAGE, "duration " SHOWN ": must be longer than zero", SHOW(s));
	*seconds = total;
	return EHR_OK;
}
