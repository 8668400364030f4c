#!/bin/sh
# Consent that holds, against a real anvil: a grant authorises and carries
# no key; the clinician's access is a logged request answered by the
# patient's release (request approve), or denied (exit 5, logged); after
# revoke or expiry a request is refused and nothing is fetched; a provider
# asks first (request --patient) and the approval makes the grant and
# releases its keys; a stranger cannot answer. The silent reader
# (tests/tools/silent_reader) tries every 80-byte window of every registry
# transaction input and log against the grantee's X25519 secret: nothing
# opens before a logged request, and nothing more after revoke.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
json_num() { sed -n "s/.*\"$1\":[^0-9]*\([0-9]*\).*/\1/p" "$E2E_OUT" | head -n 1; }
T=$E2E_TMP
chain_setup 'consent test passphrase'
for w in pat doc stranger; do
	"$EHR" --wallet $w init --kdf interactive --mnemonic-out "$T/$w-m" -q
	"$EHR" --wallet dev send "$("$EHR" --wallet $w address)" 10 --yes -q
done
"$EHR" --wallet pat register --name "Pat Patient" --yes -q
"$EHR" --wallet doc register --name "Dr. Doc" --role provider --yes -q
"$EHR" --wallet stranger register --name "Stranger" --yes -q
PAT=$("$EHR" --wallet pat address)
DOC=$("$EHR" --wallet doc address)
mkdir -p "$T/in"
printf 'allergy: penicillin\n' > "$T/in/allergies.txt"
head -c 5000 /dev/urandom > "$T/in/scan.pdf"
printf 'hba1c 6.1%%\n' > "$T/in/lab.txt"
"$EHR" --wallet pat record add "$T/in/allergies.txt" "$T/in/scan.pdf" "$T/in/lab.txt" --yes -q
requests() { "$CAST" logs --address "$REG" \
	'AccessRequested(address indexed,uint256 indexed,address indexed,uint256,uint256[])' \
	--from-block 0 2> /dev/null | grep -c transactionHash; }
logged() { "$CAST" logs --address "$REG" 'AccessLogged(address indexed,uint256 indexed,address indexed,uint256[])' \
	--from-block 0 2> /dev/null | grep -c transactionHash; }
denials() { "$CAST" logs --address "$REG" 'AccessDenied(address indexed,uint256 indexed,address indexed,uint256)' \
	--from-block 0 2> /dev/null | grep -c transactionHash; }
SILENT=$E2E_TOOLS_DIR/silent_reader
[ -x "$SILENT" ] || fail "tests/tools/silent_reader is built (make test builds it)"
silent() { "$SILENT" --rpc "$EHR_RPC_URL" --registry "$REG" --mnemonic-file "$T/doc-m"; }

## a grant carries no key
check_exit "grant the doctor records 1 and 2 for treatment" 0 "$EHR" --wallet pat grant "$DOC" \
	--records 1,2 --for 30m --yes --json
GID=$(json_num grant)
check_eq "the grant's purpose is on chain (1: treatment)" \
	"$("$CAST" call "$REG" 'consentOf(uint256)(address,address,uint64,uint8,uint8,uint64,address,bool)' "$GID" |
	sed -n 5p)" 1
if [ -x "$SILENT" ]; then
	check_exit "silent reader: nothing opens after the grant, before a request" 0 silent
	check_eq "  no key found" "$(cat "$E2E_OUT")" "0"
fi
check_exit "grant list --received shows it to the doctor" 0 "$EHR" --wallet doc grant list --received --json
if grep -q "\"patient\":.*\"$PAT\"" "$E2E_OUT"; then ok "  naming the patient"; else fail "$(cat "$E2E_OUT")"; fi

## access asks first, naming the registry and the network it logs on
n0=$("$CAST" nonce "$DOC")
check_exit "access without a terminal and without --yes is refused (2)" 2 "$EHR" --wallet doc access "$GID" \
	-o "$T/doc-q" < /dev/null
grep_err "  the question names the registry, the chain and the network" \
	"Ask for 2 records of grant $GID .*, at registry $REG from $DOC (chain 31337, network 'local';"
check_eq "  nothing sent" "$("$CAST" nonce "$DOC")" "$n0"
check_eq "  no folder" "$(test -e "$T/doc-q" || echo none)" none

## access: the request is logged, the patient releases, the doctor reads
r0=$(requests)
access_released doc pat "$GID" -o "$T/doc" --yes --json
check_eq "access completes after the patient's release" "$?" 0
check_eq "identical bytes (record 1)" "$(cmp -s "$T/in/allergies.txt" "$T/doc/allergies.txt" && echo same)" same
check_eq "identical bytes (record 2)" "$(cmp -s "$T/in/scan.pdf" "$T/doc/scan.pdf" && echo same)" same
check_eq "record 3 was not shared" "$(test -e "$T/doc/lab.txt" || echo no)" no
check_eq "one request logged" "$(requests)" $((r0 + 1))
if [ -x "$SILENT" ]; then
	check_exit "silent reader: after the logged request keys open" 0 silent
	check_eq "  two keys found" "$(cat "$E2E_OUT")" "2"
fi

## a denied request: exit 5, logged
d0=$(denials)
"$EHR" --wallet doc access "$GID" -o "$T/doc-d" --yes > "$T/deny.out" 2> "$T/deny.err" &
pid=$!
ID=$(pending_request pat)
check_exit "request list shows the waiting request" 0 "$EHR" --wallet pat request list
if grep -q "Dr. Doc" "$E2E_OUT"; then ok "  naming the doctor"; else fail "$(cat "$E2E_OUT")"; fi
check_exit "a stranger cannot approve it (5)" 5 "$EHR" --wallet stranger request approve "$ID" --yes
check_exit "nor deny it (5)" 5 "$EHR" --wallet stranger request deny "$ID" --yes
check_exit "the patient denies it" 0 "$EHR" --wallet pat request deny "$ID" --yes
wait $pid
check_eq "the waiting access ends with exit 5" "$?" 5
if grep -q "the patient denied the request" "$T/deny.err"; then ok "  saying so"; else fail "$(cat "$T/deny.err")"; fi
check_eq "  nothing fetched" "$(ls "$T/doc-d" 2> /dev/null | wc -l)" 0
check_eq "the denial is logged on chain" "$(denials)" $((d0 + 1))
check_exit "a denied request cannot be approved after (5)" 5 "$EHR" --wallet pat request approve "$ID" --yes
if "$EHR" --wallet pat audit --json > "$T/audit.json" 2>&1 && grep -qi 'denied' "$T/audit.json"; then
	ok "ehr audit shows the denial"
else
	fail "ehr audit shows the denial"
fi

## timeout: no answer, exit 1; running again logs no second request
r1=$(requests)
check_exit "no answer within --wait: exit 1" 1 "$EHR" --wallet doc access "$GID" -o "$T/doc-t" --wait 2s --yes
grep_err "  saying the patient has not released yet" "has not released"
check_exit "again: still waiting, the same request" 1 "$EHR" --wallet doc access "$GID" -o "$T/doc-t" --wait 1s --yes
check_eq "  no second request logged" "$(requests)" $((r1 + 1))
ID=$(pending_request pat)
check_exit "the patient approves the waiting request" 0 "$EHR" --wallet pat request approve "$ID" --yes
check_exit "approving it again: nothing left (1)" 1 "$EHR" --wallet pat request approve "$ID" --yes

## revoke: a request is refused, nothing fetched; the silent reader finds nothing new
check_exit "the patient revokes" 0 "$EHR" --wallet pat revoke "$GID" --yes
r2=$(requests)
check_exit "access after revoke is refused (5)" 5 "$EHR" --wallet doc access "$GID" -o "$T/doc-r" --yes
check_eq "  nothing fetched" "$(ls "$T/doc-r" 2> /dev/null | wc -l)" 0
check_eq "  no request logged" "$(requests)" "$r2"
if [ -x "$SILENT" ]; then
	check_exit "silent reader: nothing more opens after revoke" 0 silent
	check_eq "  still the keys of the logged requests only" "$(cat "$E2E_OUT")" "2"
fi

## expiry: refused the same way
check_exit "a grant for 30 minutes" 0 "$EHR" --wallet pat grant "$DOC" --records 3 --for 30m --yes --json
GID2=$(json_num grant)
"$CAST" rpc evm_increaseTime 1801 > /dev/null
"$CAST" rpc evm_mine > /dev/null
check_exit "after 30 minutes a request is refused (5)" 5 "$EHR" --wallet doc access "$GID2" -o "$T/doc-x" --yes
grep_err "  saying it expired" "expired"
check_eq "  nothing fetched" "$(ls "$T/doc-x" 2> /dev/null | wc -l)" 0

## a request while the grant is active, then revoke: the patient's release is refused
check_exit "a grant over record 3" 0 "$EHR" --wallet pat grant "$DOC" --records 3 --for 1h --yes --json
GID3=$(json_num grant)
check_exit "the doctor asks, without waiting for long" 1 "$EHR" --wallet doc access "$GID3" -o "$T/doc-3" --wait 1s --yes
ID=$(pending_request pat)
check_exit "the patient revokes before answering" 0 "$EHR" --wallet pat revoke "$GID3" --yes
check_exit "a release after revoke is refused (5)" 5 "$EHR" --wallet pat request approve "$ID" --yes
grep_err "  saying the grant was revoked" "revoked"

## provider first: ask, the patient approves, the grant exists with its keys
check_exit "the doctor asks for record 3" 0 "$EHR" --wallet doc request --patient "$PAT" --records 3 \
	--for 2h --purpose payment --note "billing of $(printf 'x\033[2J')" --yes --json
ID=$(pending_request pat grant)
check_exit "the patient sees the grant request with its note" 0 "$EHR" --wallet pat request list
if grep -q "billing of x?\[2J" "$E2E_OUT"; then ok "  the note sanitised"; else fail "$(cat "$E2E_OUT")"; fi
check_exit "a stranger cannot approve it (5)" 5 "$EHR" --wallet stranger request approve "$ID" --yes
check_exit "the patient approves" 0 "$EHR" --wallet pat request approve "$ID" --yes --json
GID4=$("$EHR" --wallet doc grant list --received --active --json | tr -d '\n\t' | tr '{' '\n' |
	grep '"purpose":"payment"' | sed -n 's/.*"grant":\([0-9]*\).*/\1/p' | tail -n 1)
check_eq "the grant exists, for payment (a research grant gets no key: research.sh)" "$([ -n "$GID4" ] && echo yes)" yes
r3=$(requests)
l3=$(logged)
check_exit "the doctor reads record 3 with the keys the approval released" 0 "$EHR" --wallet doc access "$GID4" \
	-o "$T/doc-4" --yes
check_eq "  identical bytes" "$(cmp -s "$T/in/lab.txt" "$T/doc-4/lab.txt" && echo same)" same
check_eq "  no request for the patient to answer again" "$(requests)" "$r3"
check_eq "  the access is logged" "$(logged)" $((l3 + 1))
check_exit "a second read is logged too" 0 "$EHR" --wallet doc access "$GID4" -o "$T/doc-5" --yes
check_eq "  logged" "$(logged)" $((l3 + 2))
check_exit "the patient revokes that grant" 0 "$EHR" --wallet pat revoke "$GID4" --yes
check_exit "  then the doctor's read is refused (5)" 5 "$EHR" --wallet doc access "$GID4" -o "$T/doc-6" --yes
check_eq "  nothing fetched" "$(ls "$T/doc-6" 2> /dev/null | wc -l)" 0
check_exit "the doctor asks again" 0 "$EHR" --wallet doc request --patient "$PAT" --all --for 1d --yes
ID=$(pending_request pat grant)
check_exit "the patient denies it" 0 "$EHR" --wallet pat request deny "$ID" --yes
check_exit "denying again: answered already (5)" 5 "$EHR" --wallet pat request deny "$ID" --yes

## the output is checked before anything is sent; --new asks only for what was not fetched
check_exit "a grant over records 1 to 3" 0 "$EHR" --wallet pat grant "$DOC" --records 1,2,3 --for 1h --yes --json
GID5=$(json_num grant)
n0=$("$CAST" nonce "$DOC")
r5=$(requests)
: > "$T/afile"
check_exit "a folder under a file: refused (2)" 2 "$EHR" --wallet doc access "$GID5" -o "$T/afile/sub/out" --yes
grep_err "  saying so" "afile is not a folder"
check_eq "  nothing made" "$(test -e "$T/afile/sub" || echo none)" none
mkdir "$T/ro" && chmod 500 "$T/ro"
if [ "$(id -u)" != 0 ]; then
	check_exit "a parent that is not writable: refused (2)" 2 "$EHR" --wallet doc access "$GID5" -o "$T/ro/out" --yes
	grep_err "  saying so" "is not writable"
	check_eq "  no folder made" "$(test -e "$T/ro/out" || echo none)" none
fi
check_exit "a folder that is not empty and not ehr access's: refused (2)" 2 "$EHR" --wallet doc access "$GID5" \
	-o "$T/in" --yes
grep_err "  saying so" "is not empty"
check_exit "a folder with records fetched before, without --new or --force: refused (2)" 2 "$EHR" --wallet doc \
	access "$GID5" -o "$T/doc" --yes
grep_err "  naming --new" "fetched into .* before: --new"
check_eq "  nothing sent (the doctor's nonce is unchanged)" "$("$CAST" nonce "$DOC")" "$n0"
check_eq "  no request logged" "$(requests)" "$r5"
access_released doc pat "$GID5" -o "$T/doc" --new --yes --json
check_eq "access --new completes after the release" "$?" 0
check_eq "  only record 3 was asked for and fetched" "$(grep -o '"id":[[:space:]]*[0-9]*' "$E2E_OUT" | tr -d ' \t\n')" '"id":3'
check_eq "  identical bytes" "$(cmp -s "$T/in/lab.txt" "$T/doc/lab.txt" && echo same)" same
check_eq "  one request logged" "$(requests)" $((r5 + 1))
n1=$("$CAST" nonce "$DOC")
check_exit "access --new again: nothing new, nothing sent (0)" 0 "$EHR" --wallet doc access "$GID5" -o "$T/doc" \
	--new --yes
grep_err "  saying so" "nothing new"
check_eq "  the nonce is unchanged" "$("$CAST" nonce "$DOC")" "$n1"
check_eq "  no request logged" "$(requests)" $((r5 + 1))

## a provider's upload into the chart reaches another grantee by request and release
"$EHR" --wallet lab init --kdf interactive --mnemonic-out "$T/lab-m" -q
"$EHR" --wallet dev send "$("$EHR" --wallet lab address)" 10 --yes -q
"$EHR" --wallet lab register --name "City Lab" --role provider --yes -q
"$EHR" --wallet pat grant "$("$EHR" --wallet lab address)" --all --write --for 1h --yes -q > /dev/null
mkdir -p "$T/labup"
printf 'potassium 4.1 mmol/L\n' > "$T/labup/potassium.txt"
check_exit "the lab uploads into the patient's chart" 0 "$EHR" --wallet lab upload --patient "$PAT" "$T/labup" \
	--journal "$T/labup.journal" --yes
check_exit "the patient grants the doctor every record" 0 "$EHR" --wallet pat grant "$DOC" --all --for 1h \
	--yes --json
GALL=$(json_num grant)
r6=$(requests)
check_exit "the doctor's access is released by the patient" 0 access_released doc pat "$GALL" -o "$T/all" --yes
check_eq "  the doctor reads the lab's upload" "$(cat "$T/all/potassium.txt" 2> /dev/null)" "potassium 4.1 mmol/L"
check_eq "  and the patient's own records" "$(cat "$T/all/allergies.txt" 2> /dev/null)" "allergy: penicillin"
check_eq "  one request logged" "$(requests)" $((r6 + 1))

## usage
check_exit "approve without a kind is a usage error (2)" 2 "$EHR" --wallet pat request approve 3
check_exit "request without --for (2)" 2 "$EHR" --wallet doc request --patient "$PAT" --all
check_exit "a bad purpose (2)" 2 "$EHR" --wallet pat grant "$DOC" --records 1 --for 1h --purpose fun --yes
check_exit "--purpose with --bearer (2)" 2 "$EHR" --wallet pat grant --bearer --records 1 --for 1h \
	--purpose treatment --yes
finish
