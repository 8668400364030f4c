#!/bin/sh
# Provider batch upload against a real anvil: a manifest over three
# patients (one without a write grant: reported and skipped), records
# readable by their patient and the provider only; a run killed with
# SIGKILL, and a node restarted from a saved state, then the same command
# again: every record on chain exactly once.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
T=$E2E_TMP
chain_setup --dump-state "$T/state.json" 'upload test passphrase'
for w in lab p1 p2 p3 p4; do
	"$EHR" --wallet $w init --kdf interactive --mnemonic-out "$T/$w-m" -q
	"$EHR" --wallet dev send "$("$EHR" --wallet $w address)" 10 --yes -q
	"$EHR" --wallet $w register --name "$w" --yes -q
done
LAB=$("$EHR" --wallet lab address)
P1=$("$EHR" --wallet p1 address); P2=$("$EHR" --wallet p2 address)
P3=$("$EHR" --wallet p3 address); P4=$("$EHR" --wallet p4 address)
for w in p1 p2 p4; do "$EHR" --wallet $w grant "$LAB" --write --for 7d --yes -q > /dev/null; done
by_lab() { # the number of records the lab anchored (for one patient, if given)
	"$CAST" logs --json --address "$REG" --from-block 0 \
		'RecordAnchored(address indexed,uint256 indexed,address indexed,uint256,bytes32,uint64,string,bytes,bytes,bytes)' |
	python3 -c '
import json, sys
logs = json.load(sys.stdin)
pad = lambda a: "0x" + "0" * 24 + a[2:].lower()
lab, patient = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
print(sum(1 for l in logs if l["topics"][3] == pad(lab) and (patient is None or l["topics"][1] == pad(patient))))' "$LAB" ${1:+"$1"}
}

## 200 records over three patients; the third gave no write grant
mkdir -p "$T/files"
: > "$T/manifest"
for i in $(seq 1 200); do
	head -c 2048 /dev/urandom > "$T/files/lab$i.bin"
	case $((i % 4)) in 0) p=$P3 ;; 1|2) p=$P1 ;; *) p=$P2 ;; esac
	printf '{"patient": "%s", "file": "files/lab%d.bin", "title": "result %d", "type": "lab"}\n' "$p" $i $i >> "$T/manifest"
done
check_exit "the upload reports the skipped patient (exit 1)" 1 "$EHR" --wallet lab upload --manifest "$T/manifest" --yes --json
check_eq "150 uploaded" "$(grep -c '"status":"uploaded"' "$E2E_OUT")" 150
check_eq "50 skipped" "$(grep -c '"status":"skipped"' "$E2E_OUT")" 50
if grep '"status":"skipped"' "$E2E_OUT" | head -n 1 | grep -q "no active write grant"; then ok "says why"; else fail "no reason"; fi
check_eq "150 records anchored by the lab" "$(by_lab)" 150
check_eq "none for the patient without a grant" "$(by_lab "$P3")" 0
check_exit "the same command again uploads nothing twice" 1 "$EHR" --wallet lab upload --manifest "$T/manifest" --yes --json
check_eq "150 already there" "$(grep -c '"status":"already uploaded"' "$E2E_OUT")" 150
check_eq "still 150 on chain" "$(by_lab)" 150

## each record is readable by its patient and the lab, nobody else
"$EHR" --wallet p1 record list --json > "$T/p1.json"
check_eq "the patient lists 100 records" "$(grep -c '"id"' "$T/p1.json")" 100
id=$(sed -n 's/.*"id":[^0-9]*\([0-9]*\).*/\1/p' "$T/p1.json" | head -n 1)
title=$(sed -n 's/.*"title":[^"]*"\(result [0-9]*\)".*/\1/p' "$T/p1.json" | head -n 1)
n=${title#result }
check_exit "the patient reads it" 0 "$EHR" --wallet p1 record get "$id" -o "$T/p1-$id"
check_eq "identical to the lab's file" "$(cmp -s "$T/files/lab$n.bin" "$T/p1-$id" && echo same)" same
check_exit "the lab reads what it wrote" 0 "$EHR" --wallet lab record get "$id" -o "$T/lab-$id"
check_exit "another patient cannot (5)" 5 "$EHR" --wallet p2 record get "$id" -o "$T/p2-$id"
check_eq "and gets no file" "$(test -e "$T/p2-$id" || echo none)" none

## killed with SIGKILL mid-run, then run again
: > "$T/m4"
for i in $(seq 1 120); do
	head -c 2048 /dev/urandom > "$T/files/k$i.bin"
	printf '{"patient": "%s", "file": "files/k%d.bin", "title": "k %d"}\n' "$P4" $i $i >> "$T/m4"
done
"$EHR" --wallet lab upload --manifest "$T/m4" --journal "$T/j4" --window 5 --yes > /dev/null 2>&1 &
upid=$!
i=0
while [ "$(cat "$T/j4" 2> /dev/null | grep -c '"record"')" -lt 20 ] && [ $i -lt 400 ]; do sleep 0.02; i=$((i + 1)); done
kill -9 $upid 2> /dev/null
wait $upid 2> /dev/null
before=$(by_lab "$P4")
if [ "$before" -gt 0 ] && [ "$before" -lt 120 ]; then ok "killed mid-run ($before of 120 on chain)"; else fail "not mid-run: $before"; fi
check_exit "the same command finishes the job" 0 "$EHR" --wallet lab upload --manifest "$T/m4" --journal "$T/j4" --window 5 --yes --json
check_eq "exactly 120 records for that patient" "$(by_lab "$P4")" 120
"$EHR" --wallet p4 record list --json > "$T/p4.json"
check_eq "every title once" "$(sed -n 's/.*"title":[^"]*"\(k [0-9]*\)".*/\1/p' "$T/p4.json" | sort -u | wc -l)" 120

## the node restarted from a saved state: what it lost is sent again
: > "$T/m5"
for i in $(seq 1 60); do
	head -c 2048 /dev/urandom > "$T/files/s$i.bin"
	printf '{"patient": "%s", "file": "files/s%d.bin", "title": "s %d"}\n' "$P4" $i $i >> "$T/m5"
done
port=${EHR_RPC_URL##*:}
kill "$ANVIL_PID"; wait "$ANVIL_PID" 2> /dev/null   # anvil saves its state on the way out
"$ANVIL" --host 127.0.0.1 --port "$port" --load-state "$T/state.json" > "$T/anvil2.log" 2>&1 &
ANVIL_PID=$!
i=0; until "$CAST" chain-id > /dev/null 2>&1 || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
check_exit "a first run on the restored node" 0 "$EHR" --wallet lab upload --manifest "$T/m5" --journal "$T/j5" --yes
kill "$ANVIL_PID"; wait "$ANVIL_PID" 2> /dev/null   # loses everything since the last save
"$ANVIL" --host 127.0.0.1 --port "$port" --load-state "$T/state.json" > "$T/anvil3.log" 2>&1 &
ANVIL_PID=$!
i=0; until "$CAST" chain-id > /dev/null 2>&1 || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
check_eq "the restored node lost the run" "$(by_lab "$P4")" 120
check_exit "the same command puts them back" 0 "$EHR" --wallet lab upload --manifest "$T/m5" --journal "$T/j5" --yes --json
check_eq "all 60 back, once each" "$(by_lab "$P4")" 180

## a node whose blocks hold two of these transactions: none is left pending
# (anvil mines what is pending when a transaction arrives; what does not fit
# in that block waits for the next transaction, which at the end never comes)
mkdir -p "$T/small-blocks"
for i in $(seq 1 400); do head -c 2048 /dev/urandom > "$T/small-blocks/f$i.bin"; done
"$CAST" rpc evm_setBlockGasLimit 0xa7d8c0 > /dev/null   # 11,000,000
"$CAST" rpc evm_mine > /dev/null                        # so the latest block says so
check_exit "an upload into blocks of 11M gas finishes" 0 "$EHR" --wallet lab upload --patient "$P1" "$T/small-blocks" --window 100 --timeout 20 --journal "$T/j-small" --yes --json
check_eq "400 uploaded" "$(grep -c '"status":"uploaded"' "$E2E_OUT")" 400
"$CAST" rpc evm_setBlockGasLimit 0x1c9c380 > /dev/null  # 30,000,000
"$CAST" rpc evm_mine > /dev/null

## a provider that cannot pay: refused before anything is sent, then finished
mkdir -p "$T/poor"
for i in 1 2 3; do head -c 3000 /dev/urandom > "$T/poor/f$i.bin"; done
funds=$("$CAST" balance "$LAB")
nonce=$("$CAST" nonce "$LAB")
"$CAST" rpc anvil_setBalance "$LAB" 0x0 > /dev/null
check_exit "an upload the provider cannot pay for is refused (5)" 5 "$EHR" --wallet lab upload --patient "$P1" "$T/poor" --journal "$T/j-poor" --yes --json
grep_err "says why" "insufficient funds"
check_eq "its items are reported failed" "$(grep -c '"status":"failed"' "$E2E_OUT")" 3
check_eq "no transaction was sent" "$("$CAST" nonce "$LAB")" "$nonce"
check_eq "the journal holds no transaction" "$(grep -c '"raw"' "$T/j-poor")" 0
"$CAST" rpc anvil_setBalance "$LAB" "$(printf '0x%x' "$funds" 2> /dev/null || python3 -c "print(hex($funds))")" > /dev/null
check_exit "with funds again, the same command uploads them" 0 "$EHR" --wallet lab upload --patient "$P1" "$T/poor" --journal "$T/j-poor" --yes --json
check_eq "3 uploaded" "$(grep -c '"status":"uploaded"' "$E2E_OUT")" 3

## refusals
check_exit "no patient and no manifest is a usage error" 2 "$EHR" --wallet lab upload "$T/files/lab1.bin" --yes
check_exit "a bad manifest line is refused before anything is sent (2)" 2 sh -c \
	"printf '{\"patient\": \"0x12\", \"file\": \"x\"}\n' > '$T/bad' && '$EHR' --wallet lab upload --manifest '$T/bad' --yes"
grep_err "names the line" "line 1"
check_exit "a missing file is refused (2)" 2 "$EHR" --wallet lab upload --patient "$P1" "$T/nope" --yes

## FHIR that is not R4: refused before it is sealed, nothing sent
mkdir -p "$T/fhir-bad"
printf '{"resourceType": "Patinet", "name": [{"family": "Doe"}]}\n' > "$T/fhir-bad/patient.json"
before=$(by_lab)
check_exit "a misspelt resourceType is refused (2)" 2 "$EHR" --wallet lab upload --patient "$P1" \
	"$T/fhir-bad/patient.json" --journal "$T/j-fhir" --yes
grep_err "names the file and the problem" "fhir-bad/patient.json: \"Patinet\" is not a FHIR R4 resource type (did you mean \"Patient\"?)"
check_eq "nothing anchored for it" "$(by_lab)" "$before"
printf '{"patient": "%s", "file": "fhir-bad/obs.json"}\n' "$P1" > "$T/m-fhir"
printf '{"resourceType": "Observation", "code": {"text": "HbA1c"}}\n' > "$T/fhir-bad/obs.json"
check_exit "an Observation without status in a manifest is refused (2)" 2 "$EHR" --wallet lab upload \
	--manifest "$T/m-fhir" --journal "$T/j-fhir2" --yes
grep_err "names the file and the field" "fhir-bad/obs.json: Observation has no \"status\""
check_eq "nothing anchored for that either" "$(by_lab)" "$before"

## --keep-going: the good files go in, each bad one is a failed line (exit 1)
mkdir -p "$T/mix"
: > "$T/m-mix"
for i in 1 2 3; do
	head -c 1500 /dev/urandom > "$T/mix/good$i.bin"
	printf '{"patient": "%s", "file": "mix/good%d.bin", "title": "mix %d"}\n' "$P1" $i $i >> "$T/m-mix"
done
printf '{"resourceType": "Patinet", "name": [{"family": "Doe"}]}\n' > "$T/mix/bad-fhir.json"
printf '{"patient": "%s", "file": "mix/bad-fhir.json"}\n' "$P1" >> "$T/m-mix"
printf '{"patient": "%s", "file": "mix/missing.bin"}\n' "$P1" >> "$T/m-mix"
printf '{"patient": "0x12", "file": "mix/good1.bin"}\n' >> "$T/m-mix"
before=$(by_lab "$P1")
nonce=$("$CAST" nonce "$LAB")
check_exit "without --keep-going a bad file stops the batch (2)" 2 "$EHR" --wallet lab upload --manifest "$T/m-mix" --journal "$T/j-mix0" --yes --json
check_eq "nothing sent" "$("$CAST" nonce "$LAB")" "$nonce"
check_eq "nothing journaled" "$(test -e "$T/j-mix0" || echo none)" none
check_exit "with --keep-going the good files go in (exit 1)" 1 "$EHR" --wallet lab upload --manifest "$T/m-mix" --journal "$T/j-mix" --keep-going --yes --json
check_eq "3 uploaded" "$(grep -c '"status":"uploaded"' "$E2E_OUT")" 3
check_eq "3 failed lines" "$(grep -c '"status":"failed"' "$E2E_OUT")" 3
if grep '"status":"failed"' "$E2E_OUT" | grep 'bad-fhir.json' | grep -q 'Patinet'; then ok "the invalid FHIR file and why"; else fail "no failed line for the invalid FHIR: $(cat "$E2E_OUT")"; fi
if grep '"status":"failed"' "$E2E_OUT" | grep 'missing.bin' | grep -q 'not a readable file'; then ok "the missing file and why"; else fail "no failed line for the missing file"; fi
if grep '"status":"failed"' "$E2E_OUT" | grep -q 'line 6'; then ok "the line with a bad patient"; else fail "no failed line for the bad patient"; fi
check_eq "the good ones on chain" "$(by_lab "$P1")" $((before + 3))
check_eq "the JSON summary counts them" "$(grep '"summary":"upload"' "$E2E_OUT" | grep -c '"uploaded":3,"already_there":0,"skipped":0,"failed":3,"total":6')" 1

## a re-run sends nothing and says so
check_exit "the same command again (exit 1: still the bad files)" 1 "$EHR" --wallet lab upload --manifest "$T/m-mix" --journal "$T/j-mix" --keep-going --yes
grep_err "the summary counts what was already there" "0 uploaded, 3 already there, 0 skipped, 3 failed, of 6"
grep_err "a bad file on stderr" "bad-fhir.json: failed: "
check_eq "still 3 on chain" "$(by_lab "$P1")" $((before + 3))
check_exit "and in JSON" 1 "$EHR" --wallet lab upload --manifest "$T/m-mix" --journal "$T/j-mix" --keep-going --yes --json
check_eq "the JSON summary too" "$(grep -c '"uploaded":0,"already_there":3' "$E2E_OUT")" 1

## --dry-run: checks, counts and estimates; sends and journals nothing
mkdir -p "$T/dry"
for i in 1 2 3 4; do head -c 3000 /dev/urandom > "$T/dry/f$i.bin"; done
nonce=$("$CAST" nonce "$LAB")
check_exit "a dry run (0)" 0 "$EHR" --wallet lab upload --patient "$P1" "$T/dry" --journal "$T/j-dry" --dry-run --json
check_eq "4 would be uploaded" "$(grep -c '"status":"would upload"' "$E2E_OUT")" 4
check_eq "nothing sent" "$("$CAST" nonce "$LAB")" "$nonce"
check_eq "no journal" "$(test -e "$T/j-dry" || echo none)" none
check_eq "counts and a fee" "$(tail -n 1 "$E2E_OUT" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["summary"], s["to_upload"], s["already_there"], s["uploaded"], float(s["fee_max"]) > 0, s["coin"] != "")')" "dry run 4 0 0 True True"
check_exit "a dry run of a job done in part (exit 1: the bad files)" 1 "$EHR" --wallet lab upload --manifest "$T/m-mix" --journal "$T/j-mix" --keep-going --dry-run
if grep -q "dry run: 0 to upload, 3 already there, 0 skipped, 3 failed, of 6; fees at most 0 " "$E2E_OUT"; then ok "says what is already there"; else fail "dry run said: $(cat "$E2E_OUT")"; fi
sum=$(cksum < "$T/j-mix")
check_exit "a dry run without --keep-going stops at a bad file (2)" 2 "$EHR" --wallet lab upload --manifest "$T/m-mix" --journal "$T/j-mix" --dry-run
check_eq "the journal unchanged" "$(cksum < "$T/j-mix")" "$sum"
check_eq "and nothing sent" "$("$CAST" nonce "$LAB")" "$nonce"

finish
