#!/bin/sh
# The fuzzing smoke pass for CI: builds the libFuzzer targets (make
# fuzz-build: clang, ASan, UBSan) and runs each for $FUZZ_SMOKE_SECONDS
# (default 4) from its seeds, under two minutes in all. Prints
# "N passed, N failed"; exits non-zero when a target failed or nothing
# could be built.
set -u
cd "$(dirname "$0")/.."

secs=${FUZZ_SMOKE_SECONDS:-4}
if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
	echo "fuzz: ${FUZZ_CC:-clang} is not installed (Debian: clang libclang-rt-dev)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
mkdir -p build-fuzz
if ! make -s --no-print-directory fuzz-build >build-fuzz/build.log 2>&1; then
	tail -n 20 build-fuzz/build.log >&2
	echo "fuzz: building the targets failed (libFuzzer runtime: Debian libclang-rt-dev)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
exec sh fuzz/run.sh build-fuzz/fuzz "$secs"
