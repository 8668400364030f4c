#!/bin/sh
# ehr watch against a real anvil: each event of the account once, in chain
# order, compared with what cast reads from the logs; killed with -9 in the
# middle and restarted: no duplicate, no gap; the node stopped and started
# again (its state dumped and loaded): the watcher waits, says so, and goes
# on; --exec gets each event as JSON, with no shell in between; --release
# answers a request under an active grant and not one under a revoked
# grant; grant --qr waits for the clinician's request and releases. Every
# refusal leaves the state file as it was.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
grep_in() {
	if grep -q -- "$3" "$2"; then ok "$1"; else fail "$1: $2 was: $(cat "$2")"; fi
}
# wait_for FILE PATTERN: until a line of FILE matches (at most ~30 s; the
# checks that follow say whether it did).
wait_for() {
	_i=0
	until grep -q -- "$2" "$1" 2> /dev/null || [ $_i -ge 300 ]; do sleep 0.1; _i=$((_i + 1)); done
}
chain_setup --dump-state "$T/anvil-state.json" 'watch test passphrase'
# the patient and the doctor (run in the background, they are spelled
# out: $! must be ehr's pid, not a subshell's)
P() { "$EHR" --wallet dev --account 2 "$@"; }
D() { "$EHR" --wallet dev --account 1 "$@"; }
DOCKEY=$(anvil_key 1)
P register --name "Pat Patient" --yes -q
D register --name "Dr. Doc" --role provider --yes -q
PAT=$(P address)
DOC=$(D address)
printf 'allergy: penicillin\n' > "$T/a.txt"
printf 'hba1c 6.1%%\n' > "$T/b.txt"
P record add "$T/a.txt" "$T/b.txt" --yes -q
P grant "$DOC" --records 1,2 --for 30m --yes -q > /dev/null
D invoice issue --patient "$PAT" --amount 1 --native --yes -q > /dev/null 2>&1
# request GRANT IDS: the doctor's logged access request, sent with cast.
request() {
	"$CAST" send -q --private-key "$DOCKEY" "$REG" 'requestAccess(address,uint256,uint256[])' "$PAT" "$1" "$2" \
		> /dev/null
}
request 1 '[1]'

# The watched events of the patient on chain, as "block log" lines, from cast.
SIGS='RecordAnchored(address indexed,uint256 indexed,address indexed,uint256,bytes32,uint64,string,bytes,bytes,bytes)
GrantIssued(address indexed,uint256 indexed,address indexed,uint64,uint8,uint8,uint256[],bytes[])
GrantRevoked(address indexed,uint256 indexed,address indexed)
AccessRequested(address indexed,uint256 indexed,address indexed,uint256,uint256[])
KeysReleased(address indexed,uint256 indexed,address indexed,uint256,uint256[],bytes[])
InvoiceIssued(address indexed,uint256 indexed,address indexed,address,uint256,uint64,bytes)'
on_chain() {
	printf '%s\n' "$SIGS" | while read -r sig; do
		"$CAST" logs --from-block 0 --address "$REG" "$sig" "$PAT" 2> /dev/null
	done | awk '/^- *address|^address/ { } /blockNumber/ { b = $2 } /logIndex/ { print b, $2 }' | sort -n
}
# seen FILE...: the "block log" of each JSON event line in FILE..., in order.
seen() {
	cat "$@" | sed -n 's/.*"block":\([0-9]*\),"log":\([0-9]*\).*/\1 \2/p'
}

## every event once, in chain order
check_exit "watch --once --from 0 --json" 0 P watch --once --from 0 --json
cp "$E2E_OUT" "$T/run1.json"
check_eq "every event of the patient on chain, once, in order" "$(seen "$T/run1.json")" "$(on_chain)"
grep_in "a record added by the patient" "$T/run1.json" '"event":"record_added".*"record":2'
grep_in "the grant to the doctor, named" "$T/run1.json" '"event":"grant_issued".*"party_name":"Dr. Doc"'
grep_in "the doctor's request" "$T/run1.json" '"event":"access_requested".*"request":1'
grep_in "the invoice" "$T/run1.json" '"event":"invoice_issued".*"amount":"1000000000000000000"'
grep_in "the grant ends within a day: said once" "$T/run1.json" '"event":"grant_expiring","block":[0-9]*,"patient"'
STATE=$(ls "$EHR_HOME"/state/watch-31337-*-"$(echo "$PAT" | tr 'A-F' 'a-f' | cut -c3-)".json)
check_eq "the state file is 0600" "$(stat -c %a "$STATE")" 600
check_exit "the human lines" 0 P watch --once --from 0
grep_in "a line per event, names and 'you'" "$E2E_OUT" \
	'access requested, request 1, grant 1, records 1; patient you; by Dr. Doc (unverified, 0x'
check_eq "the expiry notice is not repeated" "$(grep -c 'grant expires soon' "$E2E_OUT")" 0
check_exit "the doctor's watch: the same grant and request, seen from the other side" 0 \
	D watch --once --from 0
grep_in "the doctor sees the grant to 'you'" "$E2E_OUT" 'grant issued, grant 1.*patient Pat Patient (unverified, 0x.*to you'
check_exit "a second --once with nothing new prints nothing" 0 P watch --once --json
check_eq "nothing" "$(cat "$E2E_OUT")" ""

## refusals: usage, the node, the state file (left as it was)
cp "$STATE" "$T/state.before"
check_exit "an argument: usage error" 2 P watch now
check_exit "--from abc: usage error" 2 P watch --once --from abc
check_exit "an empty --exec: usage error" 2 P watch --once --exec ' '
check_exit "no node at the start: exit 4" 4 P --rpc http://127.0.0.1:9 --registry "$REG" watch --once
check_eq "the state is unchanged" "$(cmp -s "$STATE" "$T/state.before" && echo same)" same
echo '{"chain":1}' > "$STATE"
check_exit "a state file of another chain: exit 6" 6 P watch --once
grep_in "says which file" "$E2E_ERR" "is not this account's watch state"
check_eq "and leaves it alone" "$(cat "$STATE")" '{"chain":1}'
cp "$T/state.before" "$STATE"

## kill -9 in the middle, then restarted: no duplicate, no gap
"$EHR" --wallet dev --account 2 watch --json > "$T/run2.json" 2> "$T/run2.err" &
W=$!
for i in 1 2 3 4 5 6; do
	request 1 '[1,2]'
	[ $i = 3 ] && wait_for "$T/run2.json" '"request":4' && kill -9 $W
done
wait $W 2> /dev/null
request 1 '[2]'
check_exit "restarted after kill -9" 0 P watch --once --json
cat "$E2E_OUT" >> "$T/run2.json"
check_eq "killed and restarted: every event once, none missing" "$(seen "$T/run1.json" "$T/run2.json")" "$(on_chain)"

## --exec: the event as JSON on standard input, the EHR_EVENT_* variables, no shell
cat > "$T/hook.sh" <<'EOF'
#!/bin/sh
cat >> "$HOOK_DIR/exec.json"
echo "$EHR_EVENT $EHR_EVENT_BLOCK $EHR_EVENT_REQUEST args:$*" >> "$HOOK_DIR/exec.env"
EOF
chmod +x "$T/hook.sh"
export HOOK_DIR="$T"
check_exit "--exec runs the hook per event" 0 P watch --once --from 0 --json --exec "$T/hook.sh ;touch $T/pwned"
check_eq "the hook got each event's JSON, as printed" "$(cat "$T/exec.json")" "$(cat "$E2E_OUT")"
grep_in "and the variables" "$T/exec.env" '^access_requested [0-9]* 1 '
grep_in "its words are arguments, not a shell command" "$T/exec.env" "args:;touch $T/pwned"
check_eq "nothing ran a shell" "$(test -e "$T/pwned" && echo pwned)" ""

## the node goes away and comes back
"$EHR" --wallet dev --account 2 watch --json > "$T/run3.json" 2> "$T/run3.err" &
W=$!
sleep 1
port=${EHR_RPC_URL##*:}
kill "$ANVIL_PID"; wait "$ANVIL_PID" 2> /dev/null   # anvil saves its state on the way out
ANVIL_PID=
wait_for "$T/run3.err" 'trying again'
grep_in "the watcher says the node is away" "$T/run3.err" "trying again in [0-9]* s"
"$ANVIL" --host 127.0.0.1 --port "$port" --load-state "$T/anvil-state.json" --dump-state "$T/anvil-state.json" \
	> "$T/anvil2.log" 2>&1 &
ANVIL_PID=$!
i=0; until "$CAST" chain-id > /dev/null 2>&1 || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
request 1 '[1]'
wait_for "$T/run3.json" '"event":"access_requested"'
kill -TERM $W
wait $W
check_eq "SIGTERM ends the watch: exit 0" $? 0
grep_in "it says the node answers again" "$T/run3.err" "the node answers again"
check_eq "the request after the restart, once" "$(grep -c '"event":"access_requested"' "$T/run3.json")" 1
check_exit "nothing missed" 0 P watch --once --json
cat "$E2E_OUT" >> "$T/run3.json"
check_eq "node restarted: every event once, none missing" \
	"$(seen "$T/run1.json" "$T/run2.json" "$T/run3.json")" "$(on_chain)"

## --release: keys for a request under an active grant, nothing under a revoked one
json_num() { sed -n "s/.*\"$1\":[^0-9]*\([0-9]*\).*/\1/p" "$E2E_OUT" | head -n 1; }
released() {  # the KeysReleased events under grant $1 on chain
	"$CAST" logs --from-block 0 --address "$REG" \
		'KeysReleased(address indexed,uint256 indexed,address indexed,uint256,uint256[],bytes[])' "$PAT" "$1" \
		2> /dev/null | grep -c blockNumber
}
check_exit "a grant to stay active" 0 P grant "$DOC" --records 1 --for 1h --yes --json
GA=$(json_num grant)
check_exit "a grant to be revoked" 0 P grant "$DOC" --records 2 --for 1h --yes --json
GR=$(json_num grant)
P watch --once -q > /dev/null
request "$GA" '[1]'
RA=$("$CAST" call "$REG" 'requestCount()(uint256)' 2> /dev/null || echo 0)
request "$GR" '[2]'
RR=$((RA + 1))
P revoke "$GR" --yes -q
check_exit "watch --once --release" 0 P watch --once --release
grep_in "it says what it released" "$E2E_ERR" "released 1 record to Dr. Doc (unverified, 0x.*(request $RA, grant $GA)"
grep_in "and what it did not, and why" "$E2E_ERR" "request $RR of Dr. Doc.*nothing released: its grant is revoked"
check_eq "one release on chain for the active grant" "$(released "$GA")" 1
check_eq "none for the revoked grant" "$(released "$GR")" 0
check_exit "again from the start: nothing released twice" 0 P watch --once --release --from 0
check_eq "still one release" "$(released "$GA")" 1
grep_in "the request answered before is said so" "$E2E_ERR" "request $RA of Dr. Doc.*answered before"

## watch --release running: the doctor's ehr access completes, within 3 blocks of the request
"$EHR" --wallet dev --account 2 watch --release > "$T/run4.out" 2> "$T/run4.err" &
W=$!
check_exit "the doctor's access is answered by the running watch" 0 D access "$GA" -o "$T/doc1" --yes
check_eq "the doctor reads record 1" "$(cmp -s "$T/a.txt" "$T/doc1/a.txt" && echo same)" same
kill -TERM $W; wait $W
blocks_to_release() {  # blocks from the last AccessRequested of grant $1 to its KeysReleased
	_q=$("$CAST" logs --from-block 0 --address "$REG" \
		'AccessRequested(address indexed,uint256 indexed,address indexed,uint256,uint256[])' "$PAT" "$1" \
		2> /dev/null | awk '/blockNumber/ { b = $2 } END { print b }')
	_r=$("$CAST" logs --from-block 0 --address "$REG" \
		'KeysReleased(address indexed,uint256 indexed,address indexed,uint256,uint256[],bytes[])' "$PAT" "$1" \
		2> /dev/null | awk '/blockNumber/ { b = $2 } END { print b }')
	echo $((_r - _q))
}
# within_3_blocks WHO N: the release came 1 to 3 blocks after the request (the issue's bound).
within_3_blocks() {
	if [ "$2" -ge 1 ] && [ "$2" -le 3 ]; then
		ok "$1 released $2 block(s) after the request"
	else
		fail "$1 released $2 blocks after the request, want 1 to 3"
	fi
}
n=$(blocks_to_release "$GA")
within_3_blocks "watch --release" "$n"

## grant --qr: the consultation in one command, ehr access run by the clinician meanwhile
"$EHR" --wallet dev --account 2 grant "$DOC" --records 1,2 --for 10m --qr --yes --json > "$T/qr.out" 2> "$T/qr.err" &
Q=$!
wait_for "$T/qr.out" '"grant"'
GQ=$(sed -n 's/.*"grant":[^0-9]*\([0-9]*\).*/\1/p' "$T/qr.out" | head -n 1)
grep_in "grant --qr says it waits" "$T/qr.err" "waiting for Dr. Doc (unverified, 0x[0-9a-fA-F]*)'s request"
"$EHR" --wallet dev --account 1 access "$GQ" -o "$T/doc2" --yes > "$T/acc.out" 2> "$T/acc.err" &
A=$!
wait $Q
check_eq "grant --qr exits 0 once it released" $? 0
wait $A
check_eq "the doctor's access completes" $? 0
grep_in "grant --qr says what it released" "$T/qr.out" '"released":[[:space:]]*2'
check_eq "the doctor reads both records" \
	"$(cmp -s "$T/a.txt" "$T/doc2/a.txt" && cmp -s "$T/b.txt" "$T/doc2/b.txt" && echo same)" same
n=$(blocks_to_release "$GQ")
within_3_blocks "grant --qr" "$n"
check_exit "grant --qr --wait 1s with nobody asking: exit 1, the grant stays" 1 \
	P grant "$DOC" --records 1 --for 10m --qr --wait 1s --yes
grep_in "says no request came" "$E2E_ERR" "no access request under grant [0-9]* came in time; the grant stays"
check_exit "--wait without --qr: usage error" 2 P grant "$DOC" --records 1 --for 10m --wait 1m --yes

finish
