/* Amounts and durations as people type them, and amounts as people read
 * them. All parsing is exact (decimal strings to integers, no floating
 * point) and refuses rather than rounds. */
#ifndef EHR_AMOUNT_H
#define EHR_AMOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/base/u256.h"

#define AMOUNT_DECIMALS_MAX 77	/* 10^77 is the largest power of ten in a u256 */
#define AMOUNT_FMT_MAX 82	/* room for any u256 at any decimals, with the NUL */

/* Flags for amount_parse. */
#define AMOUNT_UNITS 1		/* accept the native coin's units: wei, gwei, ether, eth */

/* Parses an amount into base units, for a token with `decimals` decimals
 * (18 for the native coin): "25.50" with 6 decimals gives 25500000.
 * Accepts digits with at most one '.' ("0.25", ".5" and "3." too), and
 * with AMOUNT_UNITS a unit after it, optionally after one space and in any
 * case: "100wei", "2 gwei", "1.5ether", "1.5 ETH". A unit replaces
 * `decimals` (wei 0, gwei 9, ether/eth 18). Leading and trailing spaces are
 * ignored. Refuses, with EHR_EUSAGE and a sentence naming the problem:
 * empty input, a sign, exponents ("1e18"), separators ("1,000"), more
 * fractional digits than the unit has, unknown units, a value above
 * 2^256 - 1, decimals above AMOUNT_DECIMALS_MAX. Zero is accepted (callers
 * that mind say so). *out is written only on success. */
int amount_parse(const char *s, unsigned decimals, unsigned flags, u256 *out, ehr_err *e);

/* Writes v as a decimal with `decimals` decimals, trailing fractional zeros
 * and a bare '.' trimmed: 25500000 at 6 gives "25.5", 10^18 at 18 gives "1",
 * 1 at 18 gives "0.000000000000000001". Returns the length, or -1 when
 * decimals > AMOUNT_DECIMALS_MAX or cap is too small (cap >= AMOUNT_FMT_MAX
 * always suffices); out is then the empty string when cap > 0. */
int amount_format(const u256 *v, unsigned decimals, char *out, size_t cap);

/* Parses a duration for grants: one or more number-unit pairs, e.g. "30m",
 * "2h", "7d", "90s", "1w", "1h30m", "2 hours". Units: s/sec/second(s),
 * m/min/minute(s), h/hr/hour(s), d/day(s), w/week(s), in any case. Refuses
 * with EHR_EUSAGE: a bare number (no unit), zero, fractions, signs, junk,
 * unknown units, totals above 2^63 - 1 seconds. */
int duration_parse(const char *s, uint64_t *seconds, ehr_err *e);

#endif
