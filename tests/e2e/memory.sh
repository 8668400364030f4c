#!/bin/sh
# Constant memory: sealing and opening a 256 MiB record stays under 32 MiB
# of peak RSS, as /usr/bin/time -v measures it, and the bytes come back;
# the envelope is the padded size ehr-formats(5) gives.
# (An RSS bound, never a time. Under ASan the bound means nothing: skipped
# there, and checked in the plain build of the same run.)
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
TOOL=$E2E_TOOLS_DIR/seal_bench
LIMIT_KIB=32768
if ldd "$TOOL" 2> /dev/null | grep -q libasan; then
	echo "skip: RSS bounds under AddressSanitizer (checked by the plain build)"
	finish
fi
check_eq "the seal tool is built" "$(test -x "$TOOL" && echo yes)" yes
check_eq "/usr/bin/time is there (make deps)" "$(test -x /usr/bin/time && echo yes)" yes
head -c 268435456 /dev/urandom > "$T/big"
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
check_exit "seal 256 MiB" 0 /usr/bin/time -v -o "$T/seal.time" "$TOOL" seal "$T/big" "$T/big.env"
key=$(sed -n 's/^key //p' "$E2E_OUT")
r=$(rss "$T/seal.time")
if [ -n "$r" ] && [ "$r" -lt $LIMIT_KIB ]; then ok "sealing peaks at $r KiB (< $LIMIT_KIB)"
else fail "sealing peaked at '$r' KiB"; fi
check_exit "open it again" 0 env EHR_BENCH_KEY="$key" /usr/bin/time -v -o "$T/open.time" \
	"$TOOL" open "$T/big.env" "$T/big.out"
r=$(rss "$T/open.time")
if [ -n "$r" ] && [ "$r" -lt $LIMIT_KIB ]; then ok "opening peaks at $r KiB (< $LIMIT_KIB)"
else fail "opening peaked at '$r' KiB"; fi
check_eq "the bytes come back" "$(cmp -s "$T/big" "$T/big.out" && echo same)" same
# ehr-formats(5): 256 MiB and its 0x80 mark pad to the next multiple of
# 8 MiB (Padme: 2^28 + 1 has 29 bits, and 28 has 5, so steps of 2^23):
# 264 MiB in 4,224 chunks, after a header of 44 bytes and metadata padded
# to 512 (+ 17). The padding is written as the stream ends, and the RSS
# bounds above hold with it.
check_eq "the envelope is 256 MiB padded to 264 MiB, 17 bytes a chunk, header and metadata" \
	"$(wc -c < "$T/big.env")" $((44 + 512 + 17 + 276824064 + 4224 * 17))
finish
