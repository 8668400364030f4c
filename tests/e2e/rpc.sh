#!/bin/sh
# ehr against nodes that misbehave (tests/tools/badnode, on a loopback port):
# every kind of bad answer is exit 4 with the node's URL in one clear line,
# never a crash or a hang; a revert is exit 5 and its text reaches the
# terminal without escape sequences.
. "$(dirname "$0")/lib.sh"

BADNODE=$E2E_TOOLS_DIR/badnode
BADNODE_PID=
trap 'stop_badnode; e2e_cleanup' EXIT

# start_badnode MODE [N]: sets URL.
start_badnode() {
	: > "$E2E_TMP/badnode.port"
	"$BADNODE" -t 60 "$@" > "$E2E_TMP/badnode.port" &
	BADNODE_PID=$!
	_i=0
	until [ -s "$E2E_TMP/badnode.port" ] || [ $_i -ge 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	URL=http://127.0.0.1:$(cat "$E2E_TMP/badnode.port")
}

stop_badnode() {
	[ -n "$BADNODE_PID" ] || return 0
	kill "$BADNODE_PID" 2> /dev/null
	wait "$BADNODE_PID" 2> /dev/null
	BADNODE_PID=
}

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}

no_crash() {
	if grep -q -e AddressSanitizer -e 'runtime error' -e LeakSanitizer "$E2E_ERR"; then
		fail "$1: sanitizer report: $(head -n 5 "$E2E_ERR")"
	else
		ok "$1: no sanitizer report"
	fi
}

if [ ! -x "$BADNODE" ]; then
	fail "badnode not found at $BADNODE (make $BADNODE)"
	finish
fi

# Small timeouts: a silent node must not hold a test for long.
EHR_RPC_TIMEOUT=0.5
export EHR_RPC_TIMEOUT

start_badnode good
check_exit "a good node answers" 0 "$EHR" --rpc "$URL" node --json
if grep -q '"chain_id":[^0-9]*31337' "$E2E_OUT"; then ok "chain id read"; else fail "$(cat "$E2E_OUT")"; fi
stop_badnode

while read -r mode arg want; do
	[ "$arg" = - ] && arg=
	# shellcheck disable=SC2086 # arg is one word or nothing
	start_badnode "$mode" $arg
	start=$(date +%s)
	# the endless body must reach the 64 MiB cap before the timeout, also on a busy machine
	to=$EHR_RPC_TIMEOUT
	[ "$mode" = huge ] && to=10
	check_exit "$mode: exit 4" 4 env EHR_RPC_TIMEOUT=$to "$EHR" --rpc "$URL" node
	grep_err "$mode: says what went wrong" "$want"
	grep_err "$mode: names the node" "^ehr: error: .*$URL"
	no_crash "$mode"
	check_eq "$mode: one line on stderr" "$(wc -l < "$E2E_ERR" | tr -d ' ')" 1
	if [ $(($(date +%s) - start)) -lt 20 ]; then ok "$mode: bounded time"; else fail "$mode: took too long"; fi
	stop_badnode
done <<EOF
garbage - sent a malformed reply: not json
truncated - reply cut short
cut - sent a malformed reply
wrong-id - matches no request
bad-version - "jsonrpc" is not "2.0"
not-object - sent a malformed reply
batch-dup - two replies with id
batch-missing - no reply to request id
silent - no reply within 500 ms
close - cannot reach node at
flaky 100 cannot reach node at
huge - reply larger than
huge-length - reply larger than
http500 - answered http 500: upstream exploded
http429 - answered http 429: rate limit exceeded
bad-quantity - malformed quantity
EOF

start_badnode flaky 2
check_exit "a node that drops two connections is retried" 0 "$EHR" --rpc "$URL" node
stop_badnode

start_badnode escape
check_exit "a JSON-RPC error is exit 5" 5 "$EHR" --rpc "$URL" node
if LC_ALL=C grep -q '[^[:print:]]' "$E2E_ERR"; then
	fail "control or non-ASCII bytes reached the terminal: $(od -c "$E2E_ERR" | head -n 3)"
else
	ok "the node's message is cleaned"
fi
no_crash escape
stop_badnode

start_badnode good
check_exit "a bad EHR_RPC_TIMEOUT is a usage error" 2 env EHR_RPC_TIMEOUT=soon "$EHR" --rpc "$URL" node
grep_err "the bad value is named" EHR_RPC_TIMEOUT
check_exit "a URL that is not http is a usage error" 2 "$EHR" --rpc "ws://127.0.0.1:1" node
stop_badnode

finish
