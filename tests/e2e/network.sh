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

## the native coin's symbol: stored per network, ETH when none is given
names_symbols() {
	python3 -c 'import json, sys; print(" ".join(n["name"] + "=" + n["symbol"] for n in json.load(sys.stdin)))' \
		< "$E2E_OUT"
}
check_exit "network add --symbol" 0 "$EHR" network add testnet --rpc "$EHR_RPC_URL" --symbol TEST
grep_err "says the symbol" "native coin TEST"
check_exit "network add --symbol with 11 characters" 0 "$EHR" network add long --rpc "$EHR_RPC_URL" \
	--chain-id 31337 --symbol SepoliaETH1
check_exit "network list --json" 0 "$EHR" network list --json
check_eq "list --json gives each network's symbol" "$(names_symbols)" "local=ETH testnet=TEST long=SepoliaETH1"
check_exit "network list" 0 "$EHR" network list
check_eq "list shows the symbol" "$(awk '$1 == "testnet" { print $3 }' "$E2E_OUT")" TEST
check_eq "the file has TEST, and no symbol where it is ETH" "$(python3 -c 'import json, sys
n = json.load(open(sys.argv[1]))["networks"]
print(n["testnet"].get("symbol"), n["local"].get("symbol"))' "$CFG")" "TEST None"

cp "$CFG" "$E2E_TMP/cfg.before"
TAB=$(printf '\t')
for sym in "" TWELVECHARSS "E-TH" "ET H" "E${TAB}TH" "ÉTH" "ETH;"; do
	check_exit "a bad symbol '$sym' is refused (2)" 2 "$EHR" network add bad --rpc "$EHR_RPC_URL" \
		--chain-id 31337 --symbol "$sym"
	grep_err "says what a symbol is ('$sym')" "bad symbol.*1 to 11 letters or digits"
	cmp -s "$CFG" "$E2E_TMP/cfg.before"
	check_eq "and the config is unchanged ('$sym')" $? 0
done
check_exit "a bad symbol does not replace a network either" 2 "$EHR" network add testnet \
	--rpc "$EHR_RPC_URL" --chain-id 31337 --symbol "T.EST" --force
cmp -s "$CFG" "$E2E_TMP/cfg.before"
check_eq "and the config is unchanged (--force)" $? 0

# a file from before symbols reads as ETH; a bad symbol in it is damage
printf '{ "networks": { "old": { "rpc": "%s", "chain_id": 31337 } } }\n' "$EHR_RPC_URL" > "$CFG"
check_exit "an old config without symbols is read" 0 "$EHR" network list --json
check_eq "its network is ETH" "$(names_symbols)" "old=ETH"
printf '{ "networks": { "old": { "rpc": "%s", "symbol": "E TH" } } }\n' "$EHR_RPC_URL" > "$CFG"
check_exit "a bad symbol in the file is damage (6)" 6 "$EHR" network list
grep_err "names the file and the symbol" "config.json: network 'old' has a bad symbol"
cp "$E2E_TMP/cfg.before" "$CFG"

# balance, the send confirmation and the funds check use it
printf 'network test passphrase\n' > "$E2E_TMP/pw"
export EHR_PASSPHRASE_FILE="$E2E_TMP/pw"
echo "test test test test test test test test test test test junk" > "$E2E_TMP/anvil-m"
"$EHR" --wallet dev restore --kdf interactive --mnemonic-file "$E2E_TMP/anvil-m" -q
"$EHR" --wallet poor init --kdf interactive --mnemonic-out "$E2E_TMP/poor-m" -q
POOR=$("$EHR" --wallet poor address)
wei=$("$CAST" balance 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266)
check_exit "balance on testnet" 0 "$EHR" --wallet dev --network testnet balance
check_eq "is in TEST" "$(cat "$E2E_OUT")" \
	"$(python3 -c "from decimal import Decimal; print(format((Decimal($wei) / 10**18).normalize(), 'f'), 'TEST')")"
check_exit "balance --json on testnet" 0 "$EHR" --wallet dev --network testnet balance --json
check_eq "its symbol is TEST" "$(python3 -c 'import json, sys; print(json.load(sys.stdin)["symbol"])' < "$E2E_OUT")" TEST
check_exit "a URL no network has is ETH" 0 "$EHR" --wallet dev --rpc "http://localhost:${EHR_RPC_URL##*:}" balance
check_eq "the balance in ETH" "$(sed 's/.* //' "$E2E_OUT")" ETH
check_exit "the send asks in TEST (2 without a terminal)" 2 \
	"$EHR" --wallet dev --network testnet send "$POOR" 0.5 < /dev/null
grep_err "amount and fee in TEST" "Send 0.5 TEST to $POOR from .*fee at most [0-9.]* TEST)?"
check_eq "and nothing was sent" "$("$CAST" balance "$POOR")" 0
check_exit "send on testnet" 0 "$EHR" --wallet dev --network testnet send "$POOR" 0.5 --yes --json
check_eq "its JSON says TEST" "$(python3 -c 'import json, sys; j = json.load(sys.stdin); print(j["amount"], j["symbol"], j["status"])' < "$E2E_OUT")" \
	"0.5 TEST confirmed"
check_eq "cast sees 0.5 arrive" "$("$CAST" balance "$POOR")" 500000000000000000
check_exit "short of TEST is exit 5" 5 "$EHR" --wallet poor --network testnet send 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 1 --yes
grep_err "the funds check says TEST" "has 0.5 TEST"

## plain http: loopback only, unless the network was added with --allow-http
cp "$CFG" "$E2E_TMP/cfg.before"
check_exit "network add of a remote plain http URL is refused (2)" 2 "$EHR" network add lan \
	--rpc http://192.0.2.7:8545 --chain-id 31337
grep_err "  saying to use https or --allow-http" "plain http:// to 192.0.2.7.*https://.*--allow-http"
cmp -s "$CFG" "$E2E_TMP/cfg.before"
check_eq "  and the config is unchanged" $? 0
start=$(date +%s)
check_exit "--rpc with a remote plain http URL is refused (2)" 2 "$EHR" --rpc http://192.0.2.7:8545 node
grep_err "  saying to use https or --allow-http" "plain http:// to 192.0.2.7.*https://.*--allow-http"
[ $(($(date +%s) - start)) -lt 5 ] && ok "  before any connection is tried" || fail "  it tried to connect"
check_exit "so is EHR_RPC_URL naming one (2)" 2 env EHR_RPC_URL=http://node.example:8545 "$EHR" node
check_exit "and a send through one (2)" 2 "$EHR" --wallet dev --rpc http://node.example:8545 send "$POOR" 0.1 --yes
check_exit "https is never refused as plain http (4: nothing there)" 4 env EHR_RPC_TIMEOUT=2 \
	"$EHR" --rpc https://127.0.0.1:1 node
check_exit "loopback by name is fine" 0 "$EHR" --rpc "http://localhost:${EHR_RPC_URL##*:}" node
check_exit "::1 is loopback too (4: anvil listens on 127.0.0.1 only)" 4 "$EHR" --rpc "http://[::1]:1" node
no_plain() { if grep -q "plain http" "$E2E_ERR"; then fail "$1: $(cat "$E2E_ERR")"; else ok "$1"; fi; }
no_plain "  and not refused as plain http"
check_exit "127.0.0.0/8 is loopback (4: nothing at 127.8.9.10)" 4 "$EHR" --rpc "http://127.8.9.10:1" node
no_plain "  and not refused as plain http"
# 0.0.0.0 is no loopback address, yet Linux connects it to this machine:
# the network added with --allow-http reaches anvil through it
LAN=http://0.0.0.0:${EHR_RPC_URL##*:}
check_exit "0.0.0.0 without --allow-http is refused (2)" 2 "$EHR" --rpc "$LAN" node
check_exit "network add --allow-http accepts it" 0 "$EHR" network add lan --rpc "$LAN" --allow-http
check_eq "  the file says allow_http" "$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["networks"]["lan"]["allow_http"])' "$CFG")" True
check_exit "  network list --json says so" 0 "$EHR" network list --json
check_eq "  allow_http true for lan only" "$(python3 -c 'import json, sys
print(sorted(n["name"] for n in json.load(sys.stdin) if n["allow_http"]))' < "$E2E_OUT")" "['lan']"
check_exit "--network lan is used" 0 "$EHR" --network lan node
check_exit "so is its URL given with --rpc" 0 "$EHR" --rpc "$LAN" node
check_exit "but not another plain http URL under --network lan (2)" 2 "$EHR" --network lan \
	--rpc http://0.0.0.0:1 node
printf '{ "networks": { "lan": { "rpc": "%s", "allow_http": "yes" } } }\n' "$LAN" > "$CFG"
check_exit "a bad allow_http in the file is damage (6)" 6 "$EHR" network list
cp "$E2E_TMP/cfg.before" "$CFG"

## --rpc naming no configured network: the chain id is the node's word, and the question says so
n0=$("$CAST" nonce 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266)
LOCALHOST=http://localhost:${EHR_RPC_URL##*:}
check_exit "a send through --rpc of no network, without a terminal, is refused (2)" 2 \
	"$EHR" --wallet dev --rpc "$LOCALHOST" send "$POOR" 0.1 < /dev/null
grep_err "  naming the chain id, which only the node vouches for" \
	"chain 31337, as the node at $LOCALHOST says (no configured network pins it)"
check_eq "  nothing sent" "$("$CAST" nonce 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266)" "$n0"
if have_tty; then
	on_tty 100 "$E2E_TMP/tty.txt" "$EHR" --wallet dev --rpc "$LOCALHOST" send "$POOR" 0.1
	check_eq "on a terminal it asks (no answer: cancelled, 1)" "$?" 1
	if grep -q "chain 31337, as the node at $LOCALHOST says (no configured network pins it).*\[y/N\]" \
		"$E2E_TMP/tty.txt"; then ok "  showing the chain id"; else fail "  $(cat "$E2E_TMP/tty.txt")"; fi
	check_eq "  nothing sent" "$("$CAST" nonce 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266)" "$n0"
fi
check_exit "with --yes it signs for that chain" 0 "$EHR" --wallet dev --rpc "$LOCALHOST" send "$POOR" 0.1 --yes
check_eq "  sent" "$("$CAST" nonce 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266)" $((n0 + 1))
check_exit "a configured network's question names it" 2 "$EHR" --wallet dev --network testnet send "$POOR" 0.1 < /dev/null
grep_err "  chain and network" "(chain 31337, network 'testnet'; fee at most"

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

## presets: a well-known chain by its name; its node must be that chain
start_anvil --chain-id 11155111 || { fail "anvil starts as sepolia"; finish; }
check_exit "network add sepolia fills in the rest" 0 "$EHR" network add sepolia --rpc "$EHR_RPC_URL"
grep_err "says what it filled" "Ethereum Sepolia.*chain id 11155111, native coin ETH, explorer https://sepolia.etherscan.io"
check_exit "network list --json" 0 "$EHR" network list --json
check_eq "sepolia's id, symbol and explorer" "$(python3 -c 'import json, sys
n = [n for n in json.load(sys.stdin) if n["name"] == "sepolia"][0]
print(n["chain_id"], n["symbol"], n["explorer"])' < "$E2E_OUT")" "11155111 ETH https://sepolia.etherscan.io"
check_eq "the file keeps the explorer" "$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["networks"]["sepolia"]["explorer"])' "$CFG")" https://sepolia.etherscan.io
check_exit "and the node is used as sepolia" 0 "$EHR" --network sepolia node
check_exit "a preset with --symbol keeps that symbol" 0 "$EHR" network add Sepolia --rpc "$EHR_RPC_URL" \
	--symbol SepoliaETH
grep_err "the given symbol" "native coin SepoliaETH"
"$EHR" network remove Sepolia > /dev/null 2>&1

cp "$CFG" "$E2E_TMP/cfg.before"
check_exit "a polygon preset on a sepolia node is refused (5)" 5 "$EHR" network add polygon --rpc "$EHR_RPC_URL"
grep_err "names both chain ids" "reports chain id 11155111, but Polygon PoS is chain id 137"
cmp -s "$CFG" "$E2E_TMP/cfg.before"
check_eq "and the config is unchanged" $? 0
check_exit "mainnet (ethereum's other name) is refused too (5)" 5 "$EHR" network add mainnet --rpc "$EHR_RPC_URL"
grep_err "names chain 1" "but Ethereum Mainnet is chain id 1:"
check_exit "a --chain-id that contradicts the preset is refused (2)" 2 "$EHR" network add base \
	--rpc "$EHR_RPC_URL" --chain-id 11155111
grep_err "names the preset's id" "'base' is Base, chain id 8453, not 11155111"
cmp -s "$CFG" "$E2E_TMP/cfg.before"
check_eq "and the config is still unchanged" $? 0
check_exit "--chain-id equal to the preset's is taken without asking" 0 "$EHR" network add base \
	--rpc http://127.0.0.1:1 --chain-id 8453
grep_err "base filled in" "Base, chain id 8453, native coin ETH, explorer https://basescan.org"
check_exit "any other name is not a preset" 0 "$EHR" network add mysepolia --rpc "$EHR_RPC_URL"
grep_err "just the node's id" "network 'mysepolia' (chain id 11155111, native coin ETH) saved"

finish
