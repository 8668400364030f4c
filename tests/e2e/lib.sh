# Helpers for the end-to-end tests (POSIX sh). Each test file starts with
#	. "$(dirname "$0")/lib.sh"
# and ends with `finish`, which prints the "N passed, N failed" line that
# tests/run adds up and exits non-zero on any failure.
#
# Every test file gets a fresh EHR_HOME in a temporary directory that is
# removed at exit, together with the anvil it started (stopped by its pid).
# $EHR is the binary under test, $CAST and $ANVIL the pinned tools from
# $EHR_TOOLS (exported by the Makefile), else tests/node_modules/.bin.
set -u

E2E_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EHR_TOOLS=${EHR_TOOLS:-$E2E_ROOT/tests/node_modules/.bin}
CAST=$EHR_TOOLS/cast
ANVIL=$EHR_TOOLS/anvil
# shellcheck disable=SC2034 # for the test files
EHR=${EHR_BIN:-$E2E_ROOT/build/ehr}
# the test tools (slowproxy, badnode, silent_reader...) built beside $EHR
# shellcheck disable=SC2034
E2E_TOOLS_DIR=${EHR_TOOLS_DIR:-$(dirname "$EHR")/tests/tools}

E2E_PASS=0
E2E_FAIL=0
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ehr-e2e.XXXXXX") || exit 1
EHR_HOME=$E2E_TMP/home
mkdir -m 700 "$EHR_HOME"
export EHR_HOME
ANVIL_PID=

e2e_cleanup() {
	stop_anvil
	rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT
trap 'exit 130' HUP INT TERM

# stop_bg VAR: stops the background process whose pid $VAR holds (by pid),
# waits for it and empties VAR; nothing when VAR is empty.
stop_bg() {
	eval "_bg=\${$1-}"
	[ -n "$_bg" ] || return 0
	kill "$_bg" 2> /dev/null
	wait "$_bg" 2> /dev/null
	eval "$1="
}

ok() {
	E2E_PASS=$((E2E_PASS + 1))
	echo "ok - $*"
}

fail() {
	E2E_FAIL=$((E2E_FAIL + 1))
	echo "FAIL - $*"
}

# check_eq WHAT GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# check_exit WHAT STATUS COMMAND...: runs COMMAND, its stdout in $E2E_OUT and
# stderr in $E2E_ERR, and checks its exit status.
E2E_OUT=$E2E_TMP/stdout
E2E_ERR=$E2E_TMP/stderr
check_exit() {
	_what=$1 _want=$2
	shift 2
	"$@" > "$E2E_OUT" 2> "$E2E_ERR"
	_got=$?
	if [ "$_got" = "$_want" ]; then
		ok "$_what"
	else
		fail "$_what: exit $_got, want $_want"
		sed 's/^/    /' "$E2E_ERR" | head -n 20
	fi
}

finish() {
	echo "$E2E_PASS passed, $E2E_FAIL failed"
	[ "$E2E_FAIL" = 0 ] && exit 0
	exit 1
}

# start_anvil [ANVIL OPTIONS...]: starts anvil on a free loopback port (anvil
# picks it: --port 0), waits until it answers, and exports EHR_RPC_URL (and
# ETH_RPC_URL for cast) and ANVIL_PID. The dev accounts are the usual ones
# (mnemonic "test test ... junk"); anvil_key N gives the private key of
# account N.
start_anvil() {
	: > "$E2E_TMP/anvil.log"
	"$ANVIL" --host 127.0.0.1 --port 0 "$@" > "$E2E_TMP/anvil.log" 2>&1 &
	ANVIL_PID=$!
	_port='' _i=0
	while [ $_i -lt 200 ]; do
		_port=$(sed -n 's/^Listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$E2E_TMP/anvil.log")
		[ -n "$_port" ] && break
		kill -0 "$ANVIL_PID" 2> /dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
	if [ -z "$_port" ]; then
		echo "start_anvil: anvil did not start:" >&2
		cat "$E2E_TMP/anvil.log" >&2
		stop_anvil
		return 1
	fi
	EHR_RPC_URL=http://127.0.0.1:$_port
	ETH_RPC_URL=$EHR_RPC_URL
	export EHR_RPC_URL ETH_RPC_URL ANVIL_PID
	_i=0
	until "$CAST" chain-id > /dev/null 2>&1; do
		_i=$((_i + 1))
		if [ $_i -ge 100 ]; then
			echo "start_anvil: anvil does not answer at $EHR_RPC_URL" >&2
			stop_anvil
			return 1
		fi
		sleep 0.05
	done
}

stop_anvil() {
	[ -n "$ANVIL_PID" ] || return 0
	kill "$ANVIL_PID" 2> /dev/null
	wait "$ANVIL_PID" 2> /dev/null
	ANVIL_PID=
}

# anvil_key N: the private key of dev account N, as anvil printed it.
anvil_key() {
	sed -n "/^Private Keys/,/^Wallet/s/^($1) \(0x[0-9a-f]\{64\}\)\$/\1/p" "$E2E_TMP/anvil.log"
}

# chain_setup [--no-deploy] [--test-token] [--dump-state FILE] [PASSPHRASE]:
# the chain most test files start from. Starts anvil (its state dumped into
# FILE at exit with --dump-state; the test file ends when anvil does not
# start); with PASSPHRASE, writes it to $E2E_TMP/pw and exports that as
# EHR_PASSPHRASE_FILE; restores anvil's dev accounts as wallet "dev"; and,
# unless --no-deploy, deploys the registry (and with --test-token the test
# token) from it, saved as network "local", the addresses in REG (and
# TOKEN).
chain_setup() {
	_deploy=yes _token='' _anvil=''
	while [ $# -gt 0 ]; do
		case $1 in
		--no-deploy) _deploy='' ;;
		--test-token) _token=--test-token ;;
		--dump-state) _anvil=$2; shift ;;
		*) break ;;
		esac
		shift
	done
	start_anvil ${_anvil:+--dump-state "$_anvil"} || { fail "anvil starts"; finish; }
	if [ $# -gt 0 ]; then
		printf '%s\n' "$1" > "$E2E_TMP/pw"
		export EHR_PASSPHRASE_FILE="$E2E_TMP/pw"
	fi
	echo "test test test test test test test test test test test junk" > "$E2E_TMP/anvil-m"
	"$EHR" --wallet dev restore --kdf interactive --mnemonic-file "$E2E_TMP/anvil-m" -q
	[ -n "$_deploy" ] || return 0
	"$EHR" --wallet dev deploy $_token --save-as local --yes --json > "$E2E_TMP/deploy.json"
	REG=$(sed -n 's/.*"registry":[^"]*"\(0x[0-9a-fA-F]*\)".*/\1/p' "$E2E_TMP/deploy.json")
	TOKEN=$(sed -n 's/.*"token":[^"]*"\(0x[0-9a-fA-F]*\)".*/\1/p' "$E2E_TMP/deploy.json")
}

# new_wallets NAME...: a fresh wallet each ($EHR_PASSPHRASE_FILE's
# passphrase), funded with 100 from wallet "dev" and registered under its
# name in the current network's registry.
new_wallets() {
	for _w in "$@"; do
		"$EHR" --wallet "$_w" init --kdf interactive --mnemonic-out "$E2E_TMP/$_w-m" -q
		"$EHR" --wallet dev send "$("$EHR" --wallet "$_w" address)" 100 --yes -q
		"$EHR" --wallet "$_w" register --name "$_w" --yes -q
	done
}

# who_opts WHO: the options that select an account: WHO itself when it is
# options ("--wallet dev --account 1"), else --wallet WHO.
who_opts() {
	case $1 in -*) printf '%s\n' "$1" ;; *) printf -- '--wallet %s\n' "$1" ;; esac
}

# request_ids PATIENT [KIND]: the ids of the requests of KIND (access or
# grant; default access) waiting for the patient's answer, oldest first.
request_ids() {
	# shellcheck disable=SC2046 # options, split on purpose
	"$EHR" $(who_opts "$1") request list --json 2> /dev/null | tr -d '\n\t' | tr '{' '\n' |
		grep "\"kind\":\"${2:-access}\"" | sed -n 's/.*"id":"\([ag][0-9]*\)".*/\1/p'
}

# pending_request PATIENT [KIND [OLD_IDS]]: (PATIENT: a wallet name or
# who_opts' options) waits until the patient has a request of KIND waiting
# that is not among OLD_IDS and prints the newest such id (a12, g3);
# prints nothing when none came (after about a minute).
pending_request() {
	_n=0
	while [ $_n -lt 240 ]; do
		for _id in $(request_ids "$1" "${2:-access}" | tac); do
			case " ${3-} " in *" $_id "*) ;; *) echo "$_id"; return 0 ;; esac
		done
		_n=$((_n + 1))
		sleep 0.25
	done
}

# access_released WHO PATIENT ACCESS_ARGS...: `ehr access ACCESS_ARGS` as
# WHO (a wallet name or who_opts' options) in the background; the patient
# approves its request (a new one, not one that was waiting before)
# (`request approve`) once it is logged; the access's stdout goes to
# $E2E_OUT, its stderr to $E2E_ERR, and its exit status is returned. Its
# standard input is the file $ACCESS_STDIN when set (for `access -`).
access_released() {
	_w=$1 _p=$2
	shift 2
	_old=$(request_ids "$_p" | tr '\n' ' ')
	# shellcheck disable=SC2046 # options, split on purpose
	"$EHR" $(who_opts "$_w") access "$@" < "${ACCESS_STDIN:-/dev/null}" > "$E2E_OUT" 2> "$E2E_ERR" &
	_pid=$!
	_id=$(pending_request "$_p" access "$_old")
	# shellcheck disable=SC2046
	[ -n "$_id" ] && "$EHR" $(who_opts "$_p") request approve "$_id" --yes -q > /dev/null 2>&1
	wait $_pid
}

# on_tty COLUMNS OUT COMMAND...: runs COMMAND on a pseudo-terminal (script(1))
# with COLUMNS set, its output (stdout and stderr together, carriage returns
# dropped) in OUT; COMMAND's exit status. 127 when there is no script(1):
# callers skip (have_tty tells beforehand).
# 0 when the ehr under test is built with AddressSanitizer (make check-asan)
ehr_is_asan() { grep -qa __asan_init "$EHR"; }

have_tty() {
	command -v script > /dev/null 2>&1
}
on_tty() {
	_cols=$1 _out=$2
	shift 2
	have_tty || return 127
	_cmd="env COLUMNS=$_cols"
	for _a in "$@"; do
		_cmd="$_cmd '$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'"
	done
	script -qec "$_cmd" /dev/null < /dev/null > "$_out.raw" 2>&1
	_rc=$?
	tr -d '\r' < "$_out.raw" > "$_out"
	rm -f "$_out.raw"
	return $_rc
}

# widest_line FILE: the display width (characters) of FILE's longest line.
widest_line() {
	python3 -c 'import sys; print(max([len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")] + [0]))' "$1"
}

# wrapped_cell FILE TEXT KEY: the table cell of FILE that starts with TEXT,
# joined with its continuation lines (those whose first KEY columns are
# blank) and its spaces collapsed, then the number of lines it took. A cell
# ends where two spaces are (before the next column).
wrapped_cell() {
	python3 - "$@" << 'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
start, key = sys.argv[2], int(sys.argv[3])
hits = [n for n, l in enumerate(lines) if start in l]
if not hits:
	print("not found")
	sys.exit()
i = hits[0]
col = lines[i].index(start)
text, n = lines[i][col:].split("  ")[0], 1
for l in lines[i + 1:]:
	if l[:key].strip():
		break
	text += " " + l[col:].split("  ")[0]
	n += 1
print(" ".join(text.split()), n)
EOF
}

# rand_hex N: N random bytes as hex, without 0x.
rand_hex() {
	od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

# Run directly (tests/run runs every tests/e2e/*.sh), this file tests itself.
if [ "${0##*/}" = lib.sh ]; then
	check_exit "anvil starts on a free loopback port" 0 start_anvil
	check_eq "anvil answers with its chain id" "$("$CAST" chain-id 2>&1)" 31337
	check_eq "dev key 0 is the well-known one" "$("$CAST" wallet address "$(anvil_key 0)")" \
		0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
	pid=$ANVIL_PID
	stop_anvil
	kill -0 "$pid" 2> /dev/null
	check_eq "anvil stopped by its pid" $? 1
	check_exit "a failing command is seen as failing" 1 false
	finish
fi
