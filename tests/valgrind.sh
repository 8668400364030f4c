#!/bin/sh
# make valgrind: valgrind memcheck over the unit test binaries given as
# arguments, then over build/ehr in a short end-to-end run against anvil
# (init, accounts, sign, verify, node, send, register, record add, record
# get, record list). Every run must end as it should, with no memcheck
# error and no definite leak (--errors-for-leak-kinds=definite); possible
# and still-reachable blocks (libcurl's and OpenSSL's caches) are not
# errors. Prints "N passed, N failed".
#
# EHR_VALGRIND_SKIP names unit tests left out; by default test_envelope,
# which asserts its own peak RSS while sealing 256 MiB and re-executes
# itself through /proc/self/exe, neither of which survives memcheck (its
# memory errors are ASan's to find: make check-asan). The slowest that run
# are test_grant_uri (about a minute: Argon2id) and test_v3 (scrypt).
set -u
cd "$(dirname "$0")/.." || exit 1
: "${EHR_TOOLS:=$PWD/tests/node_modules/.bin}"
: "${EHR_BIN:=$PWD/build/ehr}"
export EHR_TOOLS EHR_BIN
. tests/e2e/lib.sh
SKIP=${EHR_VALGRIND_SKIP-test_envelope}

if ! command -v valgrind > /dev/null 2>&1; then
	fail "valgrind is not installed (apt-get install valgrind)"
	finish
fi
VG_LOGS=$E2E_TMP/vg
mkdir -p "$VG_LOGS"
N=0

# memcheck WHAT STATUS COMMAND...: COMMAND under memcheck (stdout in
# $E2E_OUT, stderr in $E2E_ERR) must exit STATUS with a clean report.
memcheck() {
	_what=$1 _want=$2
	shift 2
	N=$((N + 1))
	valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
		--track-fds=no --log-file="$VG_LOGS/$N.log" "$@" > "$E2E_OUT" 2> "$E2E_ERR" < /dev/null
	_rc=$?
	_sum=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$VG_LOGS/$N.log" | tail -n 1)
	if [ "$_sum" != 0 ]; then
		fail "$_what: memcheck found ${_sum:-?} errors:"
		grep -v '^==[0-9]*== *$' "$VG_LOGS/$N.log" | grep -A 12 -e 'Invalid' -e 'uninitialised' \
			-e 'definitely lost in' -e 'Mismatched' -e 'overlap' | head -n 60 | sed 's/^/    /'
	elif [ "$_rc" != "$_want" ]; then
		fail "$_what: exit $_rc, want $_want: $(tail -n 5 "$E2E_OUT" "$E2E_ERR" | head -c 400)"
	else
		ok "$_what"
	fi
}

## the unit tests
for t in "$@"; do
	name=$(basename "$t")
	case " $SKIP " in
	*" $name "*) echo "skip: $name (EHR_VALGRIND_SKIP)"; continue ;;
	esac
	memcheck "$name" 0 "$t"
done

## the binary against anvil
start_anvil || { fail "anvil starts"; finish; }
T=$E2E_TMP
printf 'valgrind test passphrase\n' > "$T/pw"
export EHR_PASSPHRASE_FILE="$T/pw"
echo "test test test test test test test test test test test junk" > "$T/anvil-m"
"$EHR" --wallet dev restore --kdf interactive --mnemonic-file "$T/anvil-m" -q
"$EHR" --wallet dev deploy --save-as local --yes -q > /dev/null
memcheck "ehr --version" 0 "$EHR" --version
memcheck "ehr help" 0 "$EHR" help
memcheck "ehr init" 0 "$EHR" --wallet pat init --kdf interactive --mnemonic-out "$T/pat-m" -q
memcheck "ehr accounts" 0 "$EHR" --wallet pat accounts --json
PAT=$("$EHR" --wallet pat address)
memcheck "ehr sign" 0 "$EHR" --wallet pat sign "I consent"
SIG=$(cat "$E2E_OUT")
memcheck "ehr verify" 0 "$EHR" verify --address "$PAT" --signature "$SIG" "I consent"
memcheck "ehr verify, a wrong message (1)" 1 "$EHR" verify --address "$PAT" --signature "$SIG" "I refuse"
memcheck "ehr node" 0 "$EHR" node --json
memcheck "ehr send" 0 "$EHR" --wallet dev send "$PAT" 5 --yes
memcheck "ehr balance" 0 "$EHR" balance "$PAT"
memcheck "ehr register" 0 "$EHR" --wallet pat register --name "Pat" --yes -q
head -c 100000 /dev/urandom > "$T/scan.bin"
memcheck "ehr record add" 0 "$EHR" --wallet pat record add "$T/scan.bin" --yes --json
ID=$(sed -n 's/.*"id":[^0-9]*\([0-9]*\).*/\1/p' "$E2E_OUT")
memcheck "ehr record get" 0 "$EHR" --wallet pat record get "$ID" -o "$T/scan.out"
check_eq "the record comes back whole" "$(cmp -s "$T/scan.bin" "$T/scan.out" && echo same)" same
memcheck "ehr record list" 0 "$EHR" --wallet pat record list --json
memcheck "ehr record get, no such record (1)" 1 "$EHR" --wallet pat record get 999 -o "$T/none"
memcheck "ehr sign, wrong passphrase (3)" 3 "$EHR" --wallet pat --passphrase-file "$T/anvil-m" sign x
finish
