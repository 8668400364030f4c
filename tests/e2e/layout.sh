#!/bin/sh
# The layer rule of wallet/ (README "Layout"): each layer folder includes
# only itself and the layers above it (base, keys, chain, vault, registry),
# no .c file sits directly in wallet/, and wallet/ and keystore/ never print,
# prompt or exit. Reads the sources; needs no node.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$E2E_ROOT" || exit 1

LAYERS="base keys chain vault registry"

# above LAYER: the layers LAYER may include (itself and those before it).
above() {
	_acc=
	for _l in $LAYERS; do
		_acc="$_acc $_l"
		[ "$_l" = "$1" ] && break
	done
	printf '%s' "$_acc"
}

for layer in $LAYERS; do
	allowed=$(above "$layer")
	bad=
	for f in wallet/"$layer"/*.[ch]; do
		for inc in $(sed -n 's|^#include "wallet/\([a-z]*\)/.*|\1|p' "$f" | sort -u); do
			case " $allowed " in *" $inc "*) ;; *) bad="$bad $f->$inc" ;; esac
		done
		# keystore/ is a client of the layers, never the other way round
		grep -q '^#include "\(keystore\|cli\|commands\)/' "$f" && bad="$bad $f->up"
	done
	check_eq "wallet/$layer includes only$allowed" "${bad# }" ""
done

stray=$(ls wallet/*.c wallet/*.h 2>/dev/null)
check_eq "no source directly in wallet/" "$stray" ""

# Library code reports through its error buffer: no stdio output, prompts
# or exits (snprintf into a buffer is fine; abort() stays for what cannot
# happen, such as secp256k1 refusing fresh randomness).
talk=$(grep -nE '\b(printf|fprintf|puts|fputs|putchar|perror|exit|_exit|getchar|getpass)\(' \
	wallet/*/*.c keystore/*.c | grep -v 'snprintf\|vsnprintf' || true)
check_eq "wallet/ and keystore/ never print, prompt or exit" "$talk" ""

finish
