# Helpers for the benchmarks (POSIX sh), sourced by bench/run.sh before the
# bench/[0-9]*.sh files. A benchmark file measures with `alternate` and
# reports with `row`; `note` adds a line under the table.
#
#	alternate ID RUNS 'EHR COMMAND' 'PEER COMMAND'
#		runs each side once untimed (warm caches), then RUNS times each,
#		alternating ehr, peer, ehr, peer... Each run is timed by
#		build/bench/measure (wall time, peak RSS from wait4). Commands are
#		shell words, expanded with eval at run time, so quote variables
#		inside them: '"$EHR" --version'. A failing run stops the bench.
#	row LABEL ID [median|total]
#		adds a table row for ID: ehr and peer median (or sum) of the
#		wall times, peer/ehr, and the highest peak RSS of each side.
#	note TEXT
#		a line printed under the table.
#
# Environment for the files: $EHR, $CAST, $ANVIL, $BENCH_TMP (a scratch
# directory, also the working directory), and once start_anvil has run,
# $ANVIL_URL, $ANVIL_LOG, anvil_key N and dev_wallet NAME N. EHR_HOME is a
# fresh directory.
# shellcheck disable=SC2034 # the variables are for the benchmark files
set -u

BENCH_ROOT=$(cd "$(dirname "$0")/.." && pwd)
EHR_TOOLS=${EHR_TOOLS:-$BENCH_ROOT/tests/node_modules/.bin}
EHR=${EHR_BIN:-$BENCH_ROOT/build/ehr}
CAST=$EHR_TOOLS/cast
ANVIL=$EHR_TOOLS/anvil
MEASURE=${EHR_MEASURE:-$BENCH_ROOT/build/bench/measure}

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ehr-bench.XXXXXX") || exit 1
BENCH_TABLE=$BENCH_TMP/table
BENCH_NOTES=$BENCH_TMP/notes
: > "$BENCH_TABLE"
: > "$BENCH_NOTES"
EHR_HOME=$BENCH_TMP/home
mkdir -m 700 "$EHR_HOME"
export EHR_HOME
# Nothing from the user's environment may steer either side.
unset EHR_WALLET EHR_RPC_URL ETH_RPC_URL EHR_REGISTRY EHR_PASSPHRASE_FILE \
	ETH_FROM ETH_KEYSTORE FOUNDRY_PROFILE 2> /dev/null || true
ANVIL_PID=
BENCH_PIDS=
# the unlock agent's socket (agent_unlock) in the bench's own directory
XDG_RUNTIME_DIR=$BENCH_TMP/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
cd "$BENCH_TMP" || exit 1

# BENCH_PIDS: processes a benchmark left running (a watcher), stopped on exit
bench_cleanup() {
	agent_lock
	# shellcheck disable=SC2086 # a list of pids
	[ -z "$BENCH_PIDS" ] || kill $BENCH_PIDS 2> /dev/null
	stop_anvil
	rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' HUP INT TERM

die() {
	echo "bench: $*" >&2
	exit 1
}

# start_anvil: anvil on a free loopback port (--port 0), its URL in
# $ANVIL_URL. Automining: a transaction is in a block as soon as it is sent.
start_anvil() {
	ANVIL_LOG=$BENCH_TMP/anvil.log
	"$ANVIL" --host 127.0.0.1 --port 0 > "$ANVIL_LOG" 2>&1 &
	ANVIL_PID=$!
	_port='' _i=0
	while [ $_i -lt 200 ]; do
		_port=$(sed -n 's/^Listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$ANVIL_LOG")
		[ -n "$_port" ] && break
		kill -0 "$ANVIL_PID" 2> /dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -n "$_port" ] || { cat "$ANVIL_LOG" >&2; die "anvil did not start"; }
	ANVIL_URL=http://127.0.0.1:$_port
}

stop_anvil() {
	[ -n "$ANVIL_PID" ] || return 0
	kill "$ANVIL_PID" 2> /dev/null
	wait "$ANVIL_PID" 2> /dev/null
	ANVIL_PID=
}

# anvil_key N: the private key of dev account N, as anvil printed it.
anvil_key() {
	sed -n "/^Private Keys/,/^Wallet/s/^($1) \(0x[0-9a-f]\{64\}\)\$/\1/p" "$ANVIL_LOG"
}

# dev_wallet NAME N: the wallet NAME, anvil's dev mnemonic restored with N
# accounts (Argon2id "interactive"); its passphrase is in $BENCH_TMP/pass.
dev_wallet() {
	printf 'test test test test test test test test test test test junk\n' > "$BENCH_TMP/words"
	printf 'bench test passphrase\n' > "$BENCH_TMP/pass"
	chmod 600 "$BENCH_TMP/words" "$BENCH_TMP/pass"
	"$EHR" -q --wallet "$1" --passphrase-file "$BENCH_TMP/pass" restore --kdf interactive --accounts "$2" \
		--mnemonic-file "$BENCH_TMP/words" --force || die "ehr restore failed"
}

# agent_unlock NAME: `ehr unlock` of wallet NAME for the rows "with the
# agent" (its passphrase $BENCH_TMP/pass, given this once); agent_lock ends
# it (and the bench's exit does).
agent_unlock() {
	"$EHR" --wallet "$1" --passphrase-file "$BENCH_TMP/pass" unlock --for 1h --idle 1h > /dev/null ||
		die "ehr unlock failed"
}
agent_lock() {
	"$EHR" lock > /dev/null 2>&1 || true
}

# measure_once FILE 'COMMAND': one timed run appended to FILE.
measure_once() {
	eval "\"\$MEASURE\" \"\$1\" -e \"\$BENCH_TMP/stderr\" -- $2" || {
		sed 's/^/    /' "$BENCH_TMP/stderr" >&2
		die "this run failed: $2"
	}
}

alternate() {
	_id=$1 _runs=$2
	: > "$BENCH_TMP/$_id.ehr"
	: > "$BENCH_TMP/$_id.peer"
	measure_once "$BENCH_TMP/warm" "$3"
	measure_once "$BENCH_TMP/warm" "$4"
	_i=0
	while [ $_i -lt "$_runs" ]; do
		measure_once "$BENCH_TMP/$_id.ehr" "$3"
		measure_once "$BENCH_TMP/$_id.peer" "$4"
		_i=$((_i + 1))
	done
}

# stat FILE median|total|rss
stat_of() {
	case $2 in
	median) cut -d' ' -f1 "$1" | sort -n | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }' ;;
	total) awk '{ s += $1 } END { print s }' "$1" ;;
	rss) awk '$2 > m { m = $2 } END { print m + 0 }' "$1" ;;
	esac
}

# fmt_time SECONDS: milliseconds below 10 s, else seconds.
fmt_time() {
	awk -v s="$1" 'BEGIN { if (s < 10) printf "%.1f ms", s * 1000; else printf "%.2f s", s }'
}

row() {
	_how=${3:-median}
	_e=$(stat_of "$BENCH_TMP/$2.ehr" "$_how")
	_p=$(stat_of "$BENCH_TMP/$2.peer" "$_how")
	_n=$(wc -l < "$BENCH_TMP/$2.ehr")
	_ratio=$(awk -v e="$_e" -v p="$_p" 'BEGIN { if (e > 0) printf "%.2f", p / e; else print "-" }')
	_erss=$(awk -v k="$(stat_of "$BENCH_TMP/$2.ehr" rss)" 'BEGIN { printf "%.1f MiB", k / 1024 }')
	_prss=$(awk -v k="$(stat_of "$BENCH_TMP/$2.peer" rss)" 'BEGIN { printf "%.1f MiB", k / 1024 }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$(echo "$_n" | tr -d ' ')" \
		"$(fmt_time "$_e")" "$(fmt_time "$_p")" "$_ratio" "$_erss" "$_prss" >> "$BENCH_TABLE"
	printf 'bench: %s: ehr %s, peer %s\n' "$1" "$(fmt_time "$_e")" "$(fmt_time "$_p")" >&2
}

note() {
	printf '%s\n' "$*" >> "$BENCH_NOTES"
}

print_table() {
	_w=$(awk -F'\t' 'length($1) > m { m = length($1) } END { print m }' "$BENCH_TABLE")
	[ "${_w:-0}" -ge 9 ] || _w=9
	printf "%-${_w}s  %4s  %10s  %10s  %8s  %9s  %9s\n" operation runs "ehr" "peer" \
		"peer/ehr" "ehr RSS" "peer RSS"
	awk -F'\t' -v w="$_w" '{ printf "%-" w "s  %4s  %10s  %10s  %8s  %9s  %9s\n",
		$1, $2, $3, $4, $5, $6, $7 }' "$BENCH_TABLE"
	[ -s "$BENCH_NOTES" ] && { echo; cat "$BENCH_NOTES"; }
	return 0
}
