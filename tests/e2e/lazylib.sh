#!/bin/sh
# libcurl and libzbar are loaded on first use (wallet/base/lazylib.c): a
# command that needs neither never maps them, one that needs them does, and
# where one is missing the command that needs it says which library and
# which package, exit 1, and makes nothing; the rest still works. A missing
# library is made by bind-mounting /dev/null over it in a private mount
# namespace (root and unshare(1) needed; skipped otherwise). Needs no node.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr lacks '$2'"; sed 's/^/    /' "$E2E_ERR"; fi
}

# loaded COMMAND...: the shared libraries the dynamic loader opened for it
loaded() {
	LD_DEBUG=files "$@" 2>&1 > /dev/null | sed -n 's/.*file=\([^ ]*\).*generating link map.*/\1/p' | sort -u
}

libs=$(loaded "$EHR" --version)
check_eq "ehr --version maps no libcurl" "$(echo "$libs" | grep -c libcurl)" 0
check_eq "ehr --version maps no libzbar" "$(echo "$libs" | grep -c libzbar)" 0
check_eq "ehr --version maps at most 15 libraries" "$(test "$(echo "$libs" | wc -l)" -le 15 && echo yes)" yes
libs=$(loaded "$EHR" node --rpc http://127.0.0.1:1)
check_eq "a command that reaches a node loads libcurl" "$(echo "$libs" | grep -c 'libcurl\.so\.4')" 1
check_exit "  and works: exit 4, nothing listens there" 4 "$EHR" node --rpc http://127.0.0.1:1
grep_err "  saying so" "cannot reach node at http://127.0.0.1:1"

python3 -c '
import struct, sys, zlib
w = h = 120
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + b"\xff" * w for _ in range(h))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
	+ chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))' "$E2E_TMP/blank.png"
libs=$(loaded "$EHR" access --qr-image "$E2E_TMP/blank.png" -o "$E2E_TMP/out" --yes)
check_eq "reading a QR image loads libzbar" "$(echo "$libs" | grep -c 'libzbar\.so\.0')" 1

# real_lib SONAME: the file the loader finds for SONAME
real_lib() {
	ldconfig -p | sed -n "s/^[[:space:]]*$1 (libc6,x86-64) => //p" | head -n 1
}

# without LIB COMMAND...: COMMAND with LIB's file replaced by an empty one
without() {
	_lib=$(readlink -f "$(real_lib "$1")")
	shift
	unshare -m sh -c 'mount --bind /dev/null "$0" && exec "$@"' "$_lib" "$@"
}

if [ "$(id -u)" != 0 ] || ! command -v unshare > /dev/null || [ -z "$(real_lib libcurl.so.4)" ] ||
	! unshare -m true 2> /dev/null; then
	echo "skip: missing-library cases need root, unshare(1) and ldconfig"
	finish
fi

check_exit "without libcurl, a node command fails (1)" 1 without libcurl.so.4 "$EHR" node --rpc http://127.0.0.1:1
grep_err "  naming the library and the package" \
	"cannot load libcurl.so.4, which ehr needs to reach a node or a link: .* (Debian package libcurl4)"
check_exit "without libcurl, network add of a URL fails (1)" 1 without libcurl.so.4 \
	"$EHR" network add lan --rpc http://127.0.0.1:1 --chain-id 5
grep_err "  naming the library" "cannot load libcurl.so.4"
check_eq "  and writes no config" "$(ls "$EHR_HOME")" ""
check_exit "without libcurl, ehr --version works" 0 without libcurl.so.4 "$EHR" --version
check_exit "without libcurl, ehr help works" 0 without libcurl.so.4 "$EHR" help

check_exit "without libzbar, access --qr-image fails (1)" 1 without libzbar.so.0 \
	"$EHR" access --qr-image "$E2E_TMP/blank.png" -o "$E2E_TMP/out" --yes
grep_err "  naming the library and the package" \
	"cannot load libzbar.so.0, which ehr needs to read QR images: .* (Debian package libzbar0)"
check_eq "  and makes no output folder" "$(test -e "$E2E_TMP/out" && echo made)" ""
check_exit "without libzbar, a node command still reaches the network (exit 4)" 4 without libzbar.so.0 \
	"$EHR" node --rpc http://127.0.0.1:1
finish
