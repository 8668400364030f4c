#!/bin/sh
# deploy, balance and send against a real anvil, cross-checked with cast;
# the refusals (funds, chain id, no confirmation, bad input) send nothing;
# a node that stops, or answers garbage, is exit 4 and never a crash.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
# no_crash WHAT: the last check_exit ended by exit, not by a signal
T=$E2E_TMP
chain_setup --no-deploy 'chain test passphrase'
"$EHR" --wallet pat init --kdf interactive --mnemonic-out "$T/pat-m" -q
DEV=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
PAT=$("$EHR" --wallet pat address)

## deploy
check_exit "deploy the registry and the test token" 0 \
	"$EHR" --wallet dev deploy --test-token --save-as local --yes --json
REG=$(sed -n 's/.*"registry":[^"]*"\(0x[0-9a-fA-F]*\)".*/\1/p' "$E2E_OUT")
TOK=$(sed -n 's/.*"token":[^"]*"\(0x[0-9a-fA-F]*\)".*/\1/p' "$E2E_OUT")
code=$("$CAST" code "$REG")
check_eq "cast sees the registry's code" "$([ ${#code} -gt 1000 ] && echo yes)" yes
check_eq "cast sees the token's symbol" "$("$CAST" call "$TOK" 'symbol()(string)')" '"TUSD"'
check_exit "the addresses went into the network" 0 "$EHR" network list --json
if grep -q "$REG" "$E2E_OUT" && grep -q "$TOK" "$E2E_OUT"; then ok "registry and token saved"; else fail "$(cat "$E2E_OUT")"; fi
check_exit "node reports the registry deployed" 0 "$EHR" --network local node --json
if grep -q '"registry_deployed":	true' "$E2E_OUT"; then ok "registry deployed"; else fail "$(cat "$E2E_OUT")"; fi

"$EHR" network add other --rpc http://127.0.0.1:1 --chain-id 5 2> /dev/null
check_exit "deploy refuses to save into a network of another chain" 2 "$EHR" --wallet dev deploy \
	--save-as other --yes
grep_err "names both chains" "chain 5.*chain 31337"
check_eq "and deployed nothing" "$("$CAST" nonce $DEV)" 2
check_exit "--async does not apply to deploy" 2 "$EHR" --wallet dev deploy --async --yes

## balance and send, against cast
check_exit "balance of the dev account" 0 "$EHR" --wallet dev balance --json
check_eq "raw balance agrees with cast" "$(sed -n 's/.*"raw":[^"]*"\([0-9]*\)".*/\1/p' "$E2E_OUT")" \
	"$("$CAST" balance $DEV)"
check_exit "send 1.5 to the patient" 0 "$EHR" --wallet dev send "$PAT" 1.5 --yes --json
check_eq "cast sees 1.5 ether arrive" "$("$CAST" balance "$PAT")" 1500000000000000000
TX=$(sed -n 's/.*"tx":[^"]*"\(0x[0-9a-f]*\)".*/\1/p' "$E2E_OUT")
check_eq "it is an EIP-1559 transaction" "$("$CAST" tx "$TX" --json | grep -o '"type":"0x2"')" '"type":"0x2"'
check_eq "to the patient" "$("$CAST" tx "$TX" to)" "$PAT"
check_eq "patient's balance in ehr" "$("$EHR" balance "$PAT")" "1.5 ETH"
check_exit "send with a unit" 0 "$EHR" --wallet dev send "$PAT" "250 gwei" --yes
check_eq "250 gwei more" "$("$CAST" balance "$PAT")" 1500000250000000000
check_exit "send --async returns the hash" 0 "$EHR" --wallet dev send "$PAT" 1wei --yes --async --json
grep -q '"status":	"sent"' "$E2E_OUT"; check_eq "async status is sent" $? 0

## the token
"$CAST" send --private-key "$(anvil_key 0)" "$TOK" "mint(address,uint256)" $DEV 1000000000 > /dev/null
check_eq "token balance in ehr (6 decimals)" "$("$EHR" --wallet dev balance --token "$TOK")" "1000 TUSD"
check_exit "send 25.5 tokens" 0 "$EHR" --wallet dev send "$PAT" 25.5 --token default --yes
check_eq "cast sees 25.5 tokens" "$("$CAST" call "$TOK" 'balanceOf(address)(uint256)' "$PAT" | cut -d' ' -f1)" 25500000
check_exit "more decimals than the token has is refused" 2 "$EHR" --wallet dev send "$PAT" 0.0000001 --token "$TOK" --yes
check_exit "a balance of a non-token is refused" 2 "$EHR" balance $DEV --token "$REG"

## refusals: nothing is sent
nonce() { "$CAST" nonce "$1"; }
n0=$(nonce "$PAT")
check_exit "insufficient funds is exit 5" 5 "$EHR" --wallet pat send $DEV 100 --yes
grep_err "names the amounts" "insufficient funds.*1.5"
check_exit "insufficient tokens is exit 5" 5 "$EHR" --wallet pat send $DEV 26 --token "$TOK" --yes
grep_err "names the token amounts" "25.5 TUSD"
check_exit "without a terminal and without --yes it refuses" 2 "$EHR" --wallet pat send $DEV 0.1 < /dev/null
grep_err "says to use --yes" "yes"
check_exit "a bad amount is exit 2" 2 "$EHR" --wallet pat send $DEV 1.2.3 --yes
check_exit "a negative amount is exit 2" 2 "$EHR" --wallet pat send $DEV -1 --yes
check_exit "a wrong recipient checksum is exit 2" 2 "$EHR" --wallet pat send \
	0xf39fd6e51aad88F6F4ce6aB8827279cffFb92266 0.1 --yes
"$EHR" network add wrong --rpc "$EHR_RPC_URL" --chain-id 5 2> /dev/null
check_exit "a chain id mismatch refuses to sign (5)" 5 "$EHR" --wallet pat --network wrong send $DEV 0.1 --yes
grep_err "names both ids" "31337.*5"
# the id is asked with each command's first request: whichever comes first checks it
check_exit "a token send refuses the mismatch too (5)" 5 "$EHR" --wallet pat --network wrong send $DEV 1 \
	--token "$TOK" --yes
grep_err "names both ids (token send)" "reports chain id 31337, but network 'wrong' is configured for 5"
dn0=$(nonce $DEV)
check_exit "deploy refuses the mismatch (5)" 5 "$EHR" --wallet dev --network wrong deploy --yes
grep_err "names both ids (deploy)" "reports chain id 31337, but network 'wrong' is configured for 5"
check_eq "and deployed nothing" "$(nonce $DEV)" "$dn0"
check_exit "balance shows nothing from a node on another chain (5)" 5 "$EHR" --network wrong balance $DEV
grep_err "names both ids (balance)" "reports chain id 31337, but network 'wrong' is configured for 5"
check_eq "balance printed nothing" "$(cat "$E2E_OUT")" ""
check_exit "nor a token balance (5)" 5 "$EHR" --network wrong balance $DEV --token "$TOK"
check_eq "token balance printed nothing" "$(cat "$E2E_OUT")" ""
printf 'not the passphrase\n' > "$T/wrong"
check_exit "a wrong passphrase sends nothing (3)" 3 "$EHR" --wallet pat --passphrase-file "$T/wrong" \
	send $DEV 0.1 --yes
check_eq "the patient's nonce did not move" "$(nonce "$PAT")" "$n0"
check_exit "the patient can send for real" 0 "$EHR" --wallet pat send $DEV 0.1 --yes
check_eq "and then it did" "$(nonce "$PAT")" $((n0 + 1))

## round trips of one send: the chain id rides in the prepare batch, so
## prepare + send + receipt (cast send takes 6)
PROXY=$E2E_TOOLS_DIR/slowproxy
"$PROXY" -t 30 "${EHR_RPC_URL##*:}" > "$T/proxy.port" 2> "$T/proxy.log" &
ppid=$!
i=0; while [ ! -s "$T/proxy.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
check_exit "a send through a counting proxy" 0 "$EHR" --wallet dev --rpc "http://127.0.0.1:$(cat "$T/proxy.port")" \
	send "$PAT" 0.001 --yes
kill $ppid 2> /dev/null; wait $ppid 2> /dev/null
sent=$(grep -n 'eth_sendRawTransaction' "$T/proxy.log" | cut -d: -f1)
check_eq "one HTTP request before the send" "$sent" 2
if sed -n 1p "$T/proxy.log" | grep -q '^1 passed \[eth_chainId,eth_getTransactionCount,.*eth_estimateGas\]$'; then
	ok "and it is the prepare batch, with the chain id at its head"
else
	fail "the first request: $(sed -n 1p "$T/proxy.log")"
fi
polls=$(grep -c 'eth_getTransactionReceipt' "$T/proxy.log")
check_eq "then only receipt polls" "$(wc -l < "$T/proxy.log")" $((2 + polls))
echo "# one ehr send: $(wc -l < "$T/proxy.log") HTTP requests ($polls receipt poll(s))"

## misbehaving nodes: exit 4, a message naming the URL, no crash
BAD=$E2E_TOOLS_DIR/badnode
for mode in garbage truncated cut wrong-id bad-version not-object silent close huge-length http500; do
	port_file=$T/port.$mode
	"$BAD" -t 30 $mode > "$port_file" &
	bpid=$!
	i=0; while [ ! -s "$port_file" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	url=http://127.0.0.1:$(cat "$port_file")
	EHR_RPC_TIMEOUT=1 check_exit "a node answering '$mode' is exit 4" 4 "$EHR" --rpc "$url" node
	grep_err "names the URL ($mode)" "127.0.0.1:"
	EHR_RPC_TIMEOUT=1 check_exit "and a send to it is exit 4 ($mode)" 4 "$EHR" --wallet pat --rpc "$url" send $DEV 0.1 --yes
	kill $bpid 2> /dev/null; wait $bpid 2> /dev/null
done

## the node stops while ehr waits for the receipt
"$CAST" rpc evm_setAutomine false > /dev/null
"$EHR" --wallet dev send "$PAT" 0.5 --yes --timeout 60 > "$T/mid.out" 2> "$T/mid.err" &
spid=$!
i=0
while [ "$("$CAST" rpc txpool_status 2> /dev/null | sed -n 's/.*"pending":"\{0,1\}\(0x[0-9a-f]*\|[0-9]*\).*/\1/p')" = "0x0" ] && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
stop_anvil
wait $spid
check_eq "the node stopping mid-send is exit 4" $? 4
if grep -q "cannot reach node\|127.0.0.1" "$T/mid.err"; then ok "and says so"; else fail "said: $(cat "$T/mid.err")"; fi

finish
