#!/bin/sh
# The node misbehaving under every command that sends (send, record add,
# grant, access, upload): stopped, restarted from its saved state, slow,
# slower than the reply timeout, and behind tests/tools/slowproxy, which
# in turn drops the reply to, loses, stalls or answers with an error each
# request that matters to a command (the first, the nonce and fee batch,
# the send, the receipt polls, the last). Every run succeeds, or fails with
# exit 4 (5 when the node answered an error) and a clear message; nothing
# is sent twice (nonces read with cast before and after); a failure after
# a transaction went out names it; an upload run again after any of these
# ends with every record on chain exactly once.
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
T_START=$(date +%s)
PROXY=$E2E_TOOLS_DIR/slowproxy
PROXY_PID=
stop_proxy() { stop_bg PROXY_PID; }
# the patient's side: `ehr watch --release` answers the lab's access
# requests (access waits for the release), once the node is back
WATCH_PID=
stop_watch() { stop_bg WATCH_PID; }
trap 'stop_proxy; stop_watch; e2e_cleanup' EXIT
if [ ! -x "$PROXY" ]; then
	fail "slowproxy not found at $PROXY (make $PROXY)"
	finish
fi

chain_setup --dump-state "$T/state.json" 'node faults passphrase'
export EHR_REGISTRY="$REG"   # for --rpc URL, which names no network
new_wallets lab pat
LAB=$("$EHR" --wallet lab address)
PAT=$("$EHR" --wallet pat address)
"$EHR" --wallet pat grant "$LAB" --write --for 7d --yes -q > /dev/null
count() { "$CAST" call "$REG" 'recordCount()(uint256)'; }
nonce() { "$CAST" nonce "$1"; }
# A fresh pair of files for the upload (new items each time).
up_restore() {
	rm -rf "$T/up" "$T/up.journal"
	mkdir -p "$T/up"
	head -c 3000 /dev/urandom > "$T/up/a.bin"
	head -c 70000 /dev/urandom > "$T/up/b.bin"
}
up_restore_n() { up_restore; UP_N0=$(count); }

## the node stopped, then restarted from its saved state
printf 'a small record\n' > "$T/small.txt"
RID=$("$EHR" --wallet pat record add "$T/small.txt" --yes --json | sed -n 's/.*"id":[^0-9]*\([0-9]*\).*/\1/p')
GID=$("$EHR" --wallet pat grant "$LAB" --records "$RID" --for 7d --yes --json | sed -n 's/.*"grant":[^0-9]*\([0-9]*\).*/\1/p')
N=0
# cmd_send, cmd_record, ... RPC: each command sends one transaction (upload:
# one per file, two files), from the account of $FROM.
cmd_send() { FROM=$PAT; "$EHR" --rpc "$1" --wallet pat send "$LAB" 0.001 --yes --timeout 5; }
cmd_record() { FROM=$PAT; "$EHR" --rpc "$1" --wallet pat record add "$T/small.txt" --yes --timeout 5; }
cmd_grant() { FROM=$PAT; "$EHR" --rpc "$1" --wallet pat grant "$LAB" --records "$RID" --for 1h --yes --timeout 5; }
cmd_access() { FROM=$LAB; N=$((N + 1)); "$EHR" --rpc "$1" --wallet lab access "$GID" -o "$T/acc$N" --yes --timeout 5; }
cmd_upload() {
	FROM=$LAB
	"$EHR" --rpc "$1" --wallet lab upload --patient "$PAT" "$T/up" --journal "$T/up.journal" --window 1 \
		--yes --timeout 5
}
CMDS="send record grant access upload"
n0=$(nonce "$PAT") l0=$(nonce "$LAB") c0=$(count)
port=${EHR_RPC_URL##*:}
kill "$ANVIL_PID"; wait "$ANVIL_PID" 2> /dev/null   # anvil saves its state on the way out
ANVIL_PID=
for c in $CMDS; do
	[ $c = upload ] && up_restore
	start=$(date +%s)
	check_exit "node stopped: $c fails with exit 4" 4 cmd_$c "$EHR_RPC_URL"
	if grep -q "^ehr: error: cannot reach node at $EHR_RPC_URL" "$E2E_ERR"; then ok "node stopped: $c says so"
	else fail "node stopped: $c: $(cat "$E2E_ERR")"; fi
	[ $(($(date +%s) - start)) -lt 15 ] && ok "node stopped: $c gives up in bounded time" || fail "$c took too long"
done
check_eq "node stopped: access wrote nothing" "$(ls -d "$T"/acc* 2> /dev/null | wc -l)" 0
"$ANVIL" --host 127.0.0.1 --port "$port" --load-state "$T/state.json" > "$T/anvil2.log" 2>&1 &
ANVIL_PID=$!
i=0; until "$CAST" chain-id > /dev/null 2>&1 || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
check_eq "restarted: nothing was sent while it was down" "$(nonce "$PAT") $(nonce "$LAB") $(count)" "$n0 $l0 $c0"
"$EHR" --wallet pat watch --release > "$T/watch.out" 2> "$T/watch.err" &
WATCH_PID=$!
for c in $CMDS; do
	[ $c = upload ] && up_restore
	check_exit "restarted: $c works again" 0 cmd_$c "$EHR_RPC_URL"
done
# the patient's three, and the release that answered the access
check_eq "restarted: one transaction each" "$(nonce "$PAT") $(nonce "$LAB") $(count)" \
	"$((n0 + 4)) $((l0 + 3)) $((c0 + 3))"

## a slow node: slower than the reply timeout, and slow but in time
# proxy OPTIONS...: slowproxy in front of anvil; PURL is its URL.
proxy() {
	stop_proxy
	: > "$T/proxy.port"
	: > "$T/proxy.log"
	"$PROXY" -t 60 "$@" "$port" > "$T/proxy.port" 2>> "$T/proxy.log" &
	PROXY_PID=$!
	_i=0
	until [ -s "$T/proxy.port" ] || [ $_i -ge 100 ]; do sleep 0.02; _i=$((_i + 1)); done
	PURL=http://127.0.0.1:$(cat "$T/proxy.port")
}
export EHR_RPC_TIMEOUT=0.5
proxy -d 150
n0=$(nonce "$PAT")
check_exit "a node 150 ms slow: send works" 0 cmd_send "$PURL"
check_eq "sent once" "$(nonce "$PAT")" $((n0 + 1))
proxy -d 700
start=$(date +%s)
check_exit "a node slower than the 500 ms timeout: exit 4" 4 cmd_send "$PURL"
if grep -q "no reply within 500 ms" "$E2E_ERR"; then ok "says no reply within 500 ms"; else fail "$(cat "$E2E_ERR")"; fi
[ $(($(date +%s) - start)) -lt 15 ] && ok "gives up in bounded time" || fail "took too long"
check_eq "nothing sent" "$(nonce "$PAT")" $((n0 + 1))

## each request of each command dropped (answered by the node, the answer
## lost), lost (never reaching the node), answered with an error, stalled
RUNS=0 OKS=0 FAILS4=0 FAILS5=0 LANDED=0
# fault_run CMD MODE K: the command with request K treated by MODE; checks
# the status, the message, and that at most one transaction per record went out.
fault_run() {
	_c=$1 _m=$2 _k=$3
	[ "$_c" = upload ] && up_restore_n
	proxy "-$_m" "$_k"
	cmd_$_c "$PURL" > /dev/null 2> "$T/f.err" < /dev/null
	_rc=$?
	RUNS=$((RUNS + 1))
	_want=1
	[ "$_c" = upload ] && _want=2
	_got=$(($(nonce "$FROM") - _n0))
	_what="$_c with request $_k $(sed -n "s/^$_k \([a-z]*\) \(.*\)/\1 (\2)/p" "$T/proxy.log")"
	case $_rc in
	0)
		OKS=$((OKS + 1))
		[ "$_got" = "$_want" ] || fail "$_what: exit 0 with $_got transactions, want $_want"
		;;
	4|5)
		[ $_rc = 4 ] && FAILS4=$((FAILS4 + 1)) || FAILS5=$((FAILS5 + 1))
		if ! grep -q '^ehr: error: ' "$T/f.err"; then
			fail "$_what: exit $_rc without a clear message: $(head -c 300 "$T/f.err")"
		elif [ $_rc = 5 ] && [ "$_m" != e ]; then
			fail "$_what: exit 5 for a node that did not answer: $(cat "$T/f.err")"
		elif [ "$_got" -gt "$_want" ]; then
			fail "$_what: $_got transactions went out, want at most $_want"
		elif [ "$_got" -gt 0 ] && [ "$_c" != upload ] && [ "$_c" != access ] &&
		     ! grep -q -e '0x[0-9a-f]\{64\}' -e 'records are added' "$T/f.err"; then
			fail "$_what: exit $_rc, the transaction went out and the message does not say so: $(cat "$T/f.err")"
		fi
		[ "$_got" -gt 0 ] && LANDED=$((LANDED + 1))
		;;
	*)
		fail "$_what: exit $_rc: $(head -c 300 "$T/f.err")"
		;;
	esac
	if [ "$_c" = upload ]; then   # the same command again, nothing in the way
		_n1=$(count)
		cmd_upload "$EHR_RPC_URL" > /dev/null 2>&1 < /dev/null || fail "$_what: the re-run failed"
		[ $(($(count) - UP_N0)) = 2 ] || fail "$_what: $(($(count) - UP_N0)) records after the re-run, want 2"
	fi
}
for c in $CMDS; do
	fails0=$E2E_FAIL runs0=$RUNS
	[ $c = upload ] && up_restore
	proxy
	cmd_$c "$PURL" > /dev/null 2>&1 < /dev/null
	cp "$T/proxy.log" "$T/clean.log"
	K=$(wc -l < "$T/clean.log")
	# the requests that matter: the first, the nonce and fee batches, the
	# sends, the receipt polls, the last
	ks=$( (echo 1; echo "$K"
		sed -n 's/^\([0-9]*\) passed .*\(eth_getTransactionCount\|eth_sendRawTransaction\|eth_getTransactionReceipt\).*/\1/p' \
			"$T/clean.log") | sort -n -u)
	for k in $ks; do
		for m in x e; do
			_n0=$(nonce "$FROM")
			fault_run $c $m $k
		done
	done
	# lost and stalled: the first send and the first receipt poll
	for k in $(sed -n 's/^\([0-9]*\) passed .*\(eth_sendRawTransaction\|eth_getTransactionReceipt\).*/\1/p' \
			"$T/clean.log" | head -n 2); do
		for m in l s; do
			_n0=$(nonce "$FROM")
			fault_run $c $m $k
		done
	done
	[ $E2E_FAIL = "$fails0" ] && ok "$c: $((RUNS - runs0)) runs with one of its $K requests dropped, lost, stalled or failed: exit 0, 4 or 5 with a clear message, never sent twice"
done
stop_proxy

## a file that changes between its reading and its sealing is not uploaded:
## behind a slow node its window is sealed seconds after the files were read
rm -rf "$T/chg"; mkdir -p "$T/chg"
for i in 1 2 3; do head -c 2048 /dev/urandom > "$T/chg/f$i.bin"; done
l0=$(nonce "$LAB") c0=$(count)
proxy -d 400
( sleep 1; printf 'x' >> "$T/chg/f2.bin" ) &
changer=$!
check_exit "a file changed after it was read stops its window (1)" 1 "$EHR" --rpc "$PURL" --wallet lab \
	upload --patient "$PAT" "$T/chg" --journal "$T/chg.journal" --yes --timeout 5
wait "$changer"
stop_proxy
if grep -q "f2.bin changed after it was read" "$E2E_ERR"; then ok "names the file"; else fail "names the file: $(cat "$E2E_ERR")"; fi
check_eq "nothing was sent" "$(nonce "$LAB")" "$l0"
check_exit "the same command again uploads what the files hold now" 0 "$EHR" --wallet lab \
	upload --patient "$PAT" "$T/chg" --journal "$T/chg.journal" --yes
check_eq "three records" "$(count | cut -d' ' -f1)" "$(( $(echo "$c0" | cut -d' ' -f1) + 3 ))"

echo "# node faults: $RUNS runs: $OKS succeeded, $FAILS4 exit 4, $FAILS5 exit 5; $LANDED failed after a transaction went out"
echo "# time: $(($(date +%s) - T_START)) s"
finish
