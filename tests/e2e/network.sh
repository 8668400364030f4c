#!/bin/sh
# network, config and node against a real anvil: where the URL comes from,
# chain id pinning and its refusal, an unreachable node, bad input.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
start_anvil || { fail "anvil starts"; finish; }
CFG=$EHR_HOME/config.json

check_exit "node answers" 0 "$EHR" node --json
check_eq "node's chain id agrees with cast" "$(sed -n 's/.*"chain_id":[^0-9]*\([0-9]*\).*/\1/p' "$E2E_OUT")" \
	"$("$CAST" chain-id)"
check_eq "head block agrees with cast" "$(sed -n 's/.*"block":[^0-9]*\([0-9]*\).*/\1/p' "$E2E_OUT")" \
	"$("$CAST" block-number)"
check_exit "config shows the URL's source" 0 "$EHR" config
if grep -q "from EHR_RPC_URL" "$E2E_OUT"; then ok "EHR_RPC_URL used"; else fail "source: $(cat "$E2E_OUT")"; fi

check_exit "network add asks the node for the chain id" 0 "$EHR" network add local --rpc "$EHR_RPC_URL"
check_eq "config file is 0600" "$(stat -c %a "$CFG")" 600
check_exit "network list" 0 "$EHR" network list --json
if grep -q '"chain_id":	31337' "$E2E_OUT" && grep -q '"default":	true' "$E2E_OUT"; then
	ok "local pinned to 31337 and the default"; else fail "list: $(cat "$E2E_OUT")"; fi
check_exit "without EHR_RPC_URL the default network is used" 0 \
	env -u EHR_RPC_URL -u ETH_RPC_URL "$EHR" config --json
if grep -q '"network":	"local"' "$E2E_OUT"; then ok "default network chosen"; else fail "$(cat "$E2E_OUT")"; fi

cp "$CFG" "$E2E_TMP/cfg.before"
check_exit "adding an existing name is refused" 2 "$EHR" network add local --rpc http://127.0.0.1:1
grep_err "says to use --force" "force"
cmp -s "$CFG" "$E2E_TMP/cfg.before"
check_eq "config unchanged" $? 0
check_exit "a bad network name is refused" 2 "$EHR" network add "no/slash" --rpc "$EHR_RPC_URL"
check_exit "a bad registry checksum is refused" 2 "$EHR" network add x --rpc "$EHR_RPC_URL" \
	--registry 0xf39fd6e51aad88F6F4ce6aB8827279cffFb92266
grep_err "says checksum" "checksum"
check_exit "add without --rpc is a usage error" 2 env -u EHR_RPC_URL "$EHR" network add y

## chain id pinning: a network configured for another chain is refused
check_exit "a network pinned to another chain id" 0 "$EHR" network add wrong --rpc "$EHR_RPC_URL" --chain-id 5
check_exit "node refuses the mismatch (5)" 5 "$EHR" --network wrong node
grep_err "names both chain ids" "reports chain id 31337.*configured for 5"
check_exit "network use" 0 "$EHR" network use wrong
check_exit "network remove" 0 "$EHR" network remove wrong
check_exit "removing it again fails (1)" 1 "$EHR" network remove wrong
check_exit "using an unknown network fails" 2 "$EHR" --network nosuch node
grep_err "names it" "nosuch"

## the node is not there
check_exit "unreachable node is exit 4" 4 "$EHR" --rpc http://127.0.0.1:1 node
grep_err "names the URL" "http://127.0.0.1:1"
check_exit "network add to an unreachable node is exit 4" 4 "$EHR" network add gone --rpc http://127.0.0.1:1
grep_err "suggests --chain-id" "chain-id"
check_exit "not an http URL is a usage error" 2 "$EHR" --rpc ftp://127.0.0.1 node
pid=$ANVIL_PID
url=$EHR_RPC_URL
stop_anvil
check_exit "a node stopped is exit 4" 4 "$EHR" --rpc "$url" node

finish
