#!/bin/sh
# make devnet: anvil on 127.0.0.1 at a free port, the registry and the test
# token deployed, and a network "local" (the default) in ehr's config.
# The deployer is wallet "devnet": anvil's public dev mnemonic, for local
# chains only. anvil keeps running; the last line says how to stop it.
# Prints "export EHR_RPC_URL=..." lines on stdout for `eval`, the rest on stderr.
set -eu
cd "$(dirname "$0")/.."
EHR=$PWD/build/ehr
ANVIL=$PWD/tests/node_modules/.bin/anvil
if [ -n "${EHR_HOME:-}" ]; then state=$EHR_HOME/state; else state=${XDG_STATE_HOME:-$HOME/.local/state}/ehr; fi
mkdir -p -m 700 "$state"
log=$state/devnet.log

if [ -f "$state/devnet.pid" ] && kill -0 "$(cat "$state/devnet.pid")" 2> /dev/null; then
	echo "devnet: stopping the previous anvil (pid $(cat "$state/devnet.pid"))" >&2
	kill "$(cat "$state/devnet.pid")"
fi
# setsid: anvil outlives make; its output goes to the log
setsid "$ANVIL" --host 127.0.0.1 --port 0 > "$log" 2>&1 < /dev/null &
pid=$!
echo $pid > "$state/devnet.pid"
port=
for _ in $(seq 200); do
	port=$(sed -n 's/^Listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "devnet: anvil did not start; see $log" >&2; exit 1; }
url=http://127.0.0.1:$port

umask 077
printf 'devnet local passphrase\n' > "$state/devnet.pass"
printf 'test test test test test test test test test test test junk\n' > "$state/devnet.words"
export EHR_PASSPHRASE_FILE="$state/devnet.pass"
"$EHR" -q --wallet devnet restore --kdf interactive --mnemonic-file "$state/devnet.words" --force
"$EHR" -q --rpc "$url" network add local --default --force
"$EHR" -q --wallet devnet --network local deploy --test-token --yes >&2
# the test token's faucet: a million TUSD for the devnet account
token=$("$EHR" network list --json |
	sed -n 's/.*"token":[^"]*"\(0x[0-9a-fA-F]*\)".*/\1/p' | head -n 1)
key0=$(sed -n "/^Private Keys/,/^Wallet/s/^(0) \(0x[0-9a-f]\{64\}\)\$/\1/p" "$log")
"$PWD/tests/node_modules/.bin/cast" send -q --rpc-url "$url" --private-key "$key0" "$token" \
	"mint(address,uint256)" "$("$EHR" --wallet devnet address)" 1000000000000 > /dev/null
echo "devnet: anvil (pid $pid) at $url; network 'local' is the default" >&2
echo "devnet: wallet 'devnet' holds anvil's funded dev accounts (passphrase in $state/devnet.pass)" >&2
echo "devnet: stop it with: kill $pid" >&2
echo "export EHR_RPC_URL=$url"
