#!/bin/sh
# make demo: a patient and a provider walk through ehr on a local node.
# Everything lives under build/demo (EHR_HOME), made anew on every run.
set -eu
cd "$(dirname "$0")/.."
EHR=$PWD/build/ehr
EHR_HOME=$PWD/build/demo
export EHR_HOME
rm -rf "$EHR_HOME"
mkdir -p -m 700 "$EHR_HOME"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ ehr %s\n' "$*"; "$EHR" "$@"; }

# Demo passphrases in files, as a script would give them; at a terminal ehr
# asks instead (echo off), and never takes one as an argument.
printf 'patient demo passphrase\n' > "$EHR_HOME/patient.pass"
printf 'provider demo passphrase\n' > "$EHR_HOME/provider.pass"
chmod 600 "$EHR_HOME"/*.pass

step "The patient creates a wallet: 24 words, keys derived on this machine"
run --wallet patient --passphrase-file "$EHR_HOME/patient.pass" init --kdf interactive \
	--mnemonic-out "$EHR_HOME/patient.words"
echo "(the 24 words went to $EHR_HOME/patient.words, mode 0600: the only backup)"

step "Accounts are listed without the passphrase"
run --wallet patient accounts

step "The provider creates a wallet too"
run --wallet clinic --passphrase-file "$EHR_HOME/provider.pass" init --kdf interactive \
	--mnemonic-out "$EHR_HOME/clinic.words" -q
run --wallet clinic address

step "The patient signs a consent statement; anyone can check it"
sig=$("$EHR" --wallet patient --passphrase-file "$EHR_HOME/patient.pass" sign "I consent to share my lab results")
echo "$sig"
run verify --address "$("$EHR" --wallet patient address)" --signature "$sig" "I consent to share my lab results"

step "Named wallets on this machine"
run wallets

step "A local chain: anvil on 127.0.0.1, the registry and a test token deployed (make devnet)"
sh tests/devnet.sh > "$EHR_HOME/devnet.env"
trap 'kill "$(cat "$EHR_HOME/state/devnet.pid")" 2> /dev/null' EXIT
run node

step "The patient's account gets some coin from the devnet's funded account"
PATIENT=$("$EHR" --wallet patient address)
CLINIC=$("$EHR" --wallet clinic address)
run --wallet devnet --passphrase-file "$EHR_HOME/state/devnet.pass" send "$PATIENT" 2 --yes
run balance "$PATIENT"

step "The patient pays the clinic 0.1 (asks first; --yes in a script)"
run --wallet patient --passphrase-file "$EHR_HOME/patient.pass" send "$CLINIC" 0.1 --yes
run balance "$CLINIC"

echo
echo "The demo's node is stopped on exit; 'make devnet' starts one that keeps running."
