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
# on exit: the node, and a waiting grant or access left behind by a failed step
GRANT_PID='' ACCESS_PID=''
trap 'kill $GRANT_PID $ACCESS_PID "$(cat "$EHR_HOME/state/devnet.pid")" 2> /dev/null' EXIT
run node

step "The patient's account gets some coin from the devnet's funded account"
PATIENT=$("$EHR" --wallet patient address)
CLINIC=$("$EHR" --wallet clinic address)
run --wallet devnet --passphrase-file "$EHR_HOME/state/devnet.pass" send "$PATIENT" 2 --yes
run balance "$PATIENT"

"$EHR" -q --wallet devnet --passphrase-file "$EHR_HOME/state/devnet.pass" send "$CLINIC" 2 --yes

step "Both publish their encryption keys in the registry's directory"
run --wallet patient --passphrase-file "$EHR_HOME/patient.pass" register --name "Alex Patient" --yes
run --wallet clinic --passphrase-file "$EHR_HOME/provider.pass" register --name "Dr. Rivera" --role provider --yes

step "The patient adds records: encrypted here, ciphertext on chain, anchored in the registry"
mkdir -p "$EHR_HOME/files"
printf 'Allergies: penicillin (anaphylaxis, 2019)\nMedication: metformin 500 mg twice daily\n' > "$EHR_HOME/files/summary.txt"
cat > "$EHR_HOME/files/glucose.json" <<'JSON'
{"resourceType": "Observation", "status": "final",
 "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0", "display": "Glucose"}]},
 "valueQuantity": {"value": 5.4, "unit": "mmol/L"}}
JSON
P="--wallet patient --passphrase-file $EHR_HOME/patient.pass"
# waiting_request: the id of the patient's newest access request waiting
# for an answer, once there is one (a minute at most)
waiting_request() {
	_n=0
	while [ $_n -lt 60 ]; do
		_n=$((_n + 1))
		sleep 1
		_r=$("$EHR" $P request list --json 2> /dev/null | tr -d '\n\t' | tr '{' '\n' |
			sed -n 's/.*"id":"\(a[0-9]*\)".*/\1/p' | tail -n 1)
		[ -n "$_r" ] && { echo "$_r"; return; }
	done
}
D="--wallet clinic --passphrase-file $EHR_HOME/provider.pass"
run $P record add "$EHR_HOME/files/summary.txt" "$EHR_HOME/files/glucose.json" --yes
run $P record list
run $P record get 2 -o -

step "At the consultation: 30 minutes for Dr. Rivera over both records, as a QR code; ehr waits for the request"
# grant --qr shows the QR, then waits for Dr. Rivera's request and releases:
# the consultation is one command on the patient's side (here in the background)
printf '$ ehr grant %s --records 1,2 --for 30m --qr --yes   (in the background)\n' "$CLINIC"
"$EHR" $P grant "$CLINIC" --records 1,2 --for 30m --qr --qr-png "$EHR_HOME/grant.png" --yes \
	> "$EHR_HOME/grant.txt" 2>&1 &
GRANT_PID=$!
_n=0
until grep -q '^waiting for' "$EHR_HOME/grant.txt" || [ $_n -ge 600 ]; do
	kill -0 $GRANT_PID 2> /dev/null || break
	sleep 0.1
	_n=$((_n + 1))
done
cat "$EHR_HOME/grant.txt"
SHOWN=$(wc -l < "$EHR_HOME/grant.txt")
URI=$(grep '^ehr://' "$EHR_HOME/grant.txt")

step "Dr. Rivera scans it: the grant carries no key; the access request is logged, the patient's ehr releases"
run $D access --qr-image "$EHR_HOME/grant.png" -o "$EHR_HOME/clinic-inbox" --yes
wait $GRANT_PID
GRANT_PID=''
echo "(meanwhile the patient's ehr grant --qr answered the request, and ended:)"
tail -n +$((SHOWN + 1)) "$EHR_HOME/grant.txt"
cat "$EHR_HOME/clinic-inbox/summary.txt"

step "A request the patient denies: logged, and the access ends with nothing"
printf '$ ehr access %s -o clinic-inbox-again --yes   (Dr. Rivera again, in the background)\n' "$URI"
"$EHR" $D access "$URI" -o "$EHR_HOME/clinic-inbox-again" --yes &
ACCESS_PID=$!
REQ=$(waiting_request)
run $P request list
run $P request deny "$REQ" --yes
wait $ACCESS_PID || echo "(ehr access ended with status $?)"
ACCESS_PID=''

step "The patient sees who read what, and ends the grant"
run $P audit
run $P revoke 1 --yes
printf '$ ehr access (again, after the revoke)\n'
"$EHR" $D access "$URI" -o "$EHR_HOME/clinic-inbox2" --yes || true

step "The clinic uploads lab results into the patient's chart (a write grant, one batch, resumable)"
run $P grant "$CLINIC" --write --for 1d --yes
mkdir -p "$EHR_HOME/labs"
for i in 1 2 3 4 5; do printf 'lab result %s: within range\n' "$i" > "$EHR_HOME/labs/result-$i.txt"; done
run $D upload --patient "$PATIENT" "$EHR_HOME/labs" --yes
run $P record list --type document

step "An invoice in tokens: the clinic bills, the patient reads the sealed memo and pays"
run --wallet devnet --passphrase-file "$EHR_HOME/state/devnet.pass" send "$PATIENT" 100 --token default --yes
run $D invoice issue --patient "$PATIENT" --amount 25.50 --memo "follow-up consultation, 22 Nov" --yes
run $P invoice list
run $P invoice pay 1 --yes
run balance "$CLINIC" --token default

step "A patient with no coin at all: each action signed as an intent; the clinic relays it and pays the gas"
run --wallet sam --passphrase-file "$EHR_HOME/patient.pass" init --kdf interactive \
	--mnemonic-out "$EHR_HOME/sam.words" -q
SAM=$("$EHR" --wallet sam address)
S="--wallet sam --passphrase-file $EHR_HOME/patient.pass"
run balance "$SAM"
run $S register --name "Sam Nocoin" --sign-only "$EHR_HOME/sam-register.json" --yes
run $D relay "$EHR_HOME/sam-register.json" --yes
run --wallet devnet --passphrase-file "$EHR_HOME/state/devnet.pass" send "$SAM" 20 --token default --yes
run $D invoice issue --patient "$SAM" --amount 5 --memo "telehealth consultation" --yes
run $S invoice pay 2 --sign-only "$EHR_HOME/sam-pay.json" --yes
echo "(the payment carries an EIP-2612 permit: the tokens move in the clinic's one transaction)"
run $D relay "$EHR_HOME/sam-pay.json" --yes
run balance "$SAM"
run balance "$SAM" --token default

echo
echo "The demo's node is stopped on exit; 'make devnet' starts one that keeps running."
