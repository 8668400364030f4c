#!/bin/sh
# The committed contract artifacts are what the pinned compiler makes of the
# committed sources, byte for byte, and the C the binary embeds carries
# exactly their creation bytecode.
. "$(dirname "$0")/lib.sh"

ART=$E2E_ROOT/contracts/artifacts
out=$E2E_TMP/artifacts

check_exit "contracts compile with the pinned solc-js" 0 node "$E2E_ROOT/contracts/compile.js" "$out"
for name in Registry TestToken OddToken; do
	if cmp "$ART/$name.json" "$out/$name.json" > /dev/null 2>&1; then
		ok "$name.json is reproduced byte for byte"
	else
		fail "$name.json differs from a fresh compile (run make contracts and commit)"
	fi
done

# The generated C, with its syntax stripped, against the artifacts.
sh "$E2E_ROOT/contracts/gen-c.sh" "$ART" > "$E2E_TMP/contracts.c"
for pair in registry_bytecode_hex:Registry test_token_bytecode_hex:TestToken; do
	var=${pair%%:*} name=${pair#*:}
	want=$(sed -n 's/^  "bytecode": "0x\([0-9a-f]*\)",\{0,1\}$/\1/p' "$ART/$name.json")
	got=$(sed -n "/^const char $var\\[\\] =\$/,/^;\$/p" "$E2E_TMP/contracts.c" |
		sed '1d;$d' | tr -d '\t"\n')
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		ok "$var is $name's creation bytecode"
	else
		fail "$var is not $name's creation bytecode (${#got} vs ${#want} hex digits)"
	fi
done
finish
