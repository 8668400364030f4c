#!/bin/sh
# make deps: installs what ehr builds and tests with, and nothing when it is
# all there already. Debian packages with apt (sudo when not root); the pinned
# npm tools (anvil, cast, solc-js) with npm ci from tests/package-lock.json.
set -eu
cd "$(dirname "$0")/.."

debs="build-essential pkg-config libsodium-dev libsecp256k1-dev libcurl4-openssl-dev
libcjson-dev libqrencode-dev libzbar-dev libssl-dev zlib1g-dev python3-mnemonic zbar-tools age valgrind time
man-db libpng-dev librsvg2-bin strace clang libclang-rt-14-dev"
missing=
for p in $debs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
	echo "deps: installing Debian packages:$missing"
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

stamp=tests/node_modules/.ehr-lock-sha256
want=$(sha256sum tests/package-lock.json | cut -d' ' -f1)
if [ ! -x tests/node_modules/.bin/anvil ] || [ ! -x tests/node_modules/.bin/cast ] ||
   [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "deps: npm ci in tests/ (anvil, cast, solc-js)"
	(cd tests && npm ci --no-audit --no-fund --loglevel=error)
	echo "$want" > "$stamp"
fi
