#!/bin/sh
# Constant memory: sealing and opening a 256 MiB record stays under 32 MiB
# of peak RSS, as /usr/bin/time -v measures it, and the bytes come back.
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
check_eq "the envelope is 17 bytes a 64 KiB chunk larger, plus its header" \
	"$(($(wc -c < "$T/big.env") - 268435456 - 4096 * 17 - 44 - 17 > 0 && $(wc -c < "$T/big.env") - 268435456 - 4096 * 17 - 44 - 17 < 1024))" 1
finish
