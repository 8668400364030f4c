#!/bin/sh
# No coin needed (issue 15): a patient wallet with balance 0 signs its
# actions with --sign-only (register, record add, grant, token invoice pay
# with an EIP-2612 permit) and a clinic submits them with `ehr relay`,
# paying the gas; the patient's balance stays 0. An intent lands once (a
# second relay is refused, exit 5, nothing sent); an expired one and one
# with a changed field are refused with nothing sent; the words shown are
# decoded from the signed call, whatever the file says.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
# jfile FILE PY-EXPRESSION: evaluates it with j = the JSON document in FILE.
jfile() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}
# edit FILE OUT PY-STATEMENT: OUT is FILE's document after the statement
# (on i, its first intent).
edit() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); i=j["intents"][0]; exec(sys.argv[3]); json.dump(j, open(sys.argv[2], "w"))' "$1" "$2" "$3"
}
nonce() { "$CAST" nonce "$1"; }
tusd() { "$CAST" call "$TOKEN" 'balanceOf(address)(uint256)' "$1" | sed 's/ .*//'; }
# refused WHAT STATUS MESSAGE COMMAND...: refused with STATUS and MESSAGE,
# and the relaying clinic's nonce unchanged (nothing was sent).
refused() {
	_what=$1 _st=$2 _msg=$3
	shift 3
	_n0=$(nonce "$CLINIC")
	check_exit "$_what ($_st)" "$_st" "$@"
	grep_err "$_what: says why" "$_msg"
	check_eq "$_what: nothing sent (the relayer's nonce)" "$(nonce "$CLINIC")" "$_n0"
}

T=$E2E_TMP
chain_setup --test-token 'relay test passphrase'
"$EHR" --wallet pat init --kdf interactive --mnemonic-out "$T/pat-m" -q
"$EHR" --wallet clinic init --kdf interactive --mnemonic-out "$T/clinic-m" -q
PAT=$("$EHR" --wallet pat address)
CLINIC=$("$EHR" --wallet clinic address)
"$EHR" --wallet dev send "$CLINIC" 10 --yes -q
"$EHR" --wallet clinic register --name "City Clinic" --role provider --yes -q
check_eq "the patient has no coin" "$("$CAST" balance "$PAT")" 0

## register, signed only, relayed by the clinic
check_exit "the patient signs register with no coin" 0 "$EHR" --wallet pat register --name "Pat" \
	--sign-only "$T/reg.json" --yes
check_eq "the file is self-describing" \
	"$(jfile "$T/reg.json" 'j["format"], i["what"] if (i:=j["intents"][0]) else 0, i["chain_id"], i["registry"], i["signer"], i["max_fee"]')" \
	"('ehr-intents/1', \"register this account's encryption key, name 'Pat' and role 1\", 31337, '$REG', '$PAT', '0')"
check_eq "nothing was sent: the patient is not registered" \
	"$("$CAST" call "$REG" 'accountOf(address)(bytes32,string,uint8)' "$PAT" | sed -n 2p)" '""'
check_exit "the clinic relays it" 0 "$EHR" --wallet clinic relay "$T/reg.json" --yes
grep_err "it shows what the intent does" "register this account's encryption key, name 'Pat'"
grep_err "and who signed it" "signed by .*$PAT"
check_eq "the registry acted for the patient" \
	"$("$CAST" call "$REG" 'accountOf(address)(bytes32,string,uint8)' "$PAT" | sed -n 2,3p | tr '\n' ' ')" '"Pat" 1 '
refused "relayed twice" 5 "relayed already" "$EHR" --wallet clinic relay "$T/reg.json" --yes
check_eq "the chain itself refuses a replay" \
	"$("$CAST" call "$REG" 'intentUsed(address,uint256)(bool)' "$PAT" "$(jfile "$T/reg.json" 'j["intents"][0]["nonce"]')")" true

## a record, stored on chain through the relay, read back by the patient
printf 'BP 120/80, relayed\n' > "$T/note.txt"
check_exit "the patient signs a record add" 0 "$EHR" --wallet pat record add "$T/note.txt" \
	--sign-only "$T/rec.json" --yes
check_exit "the clinic relays it from standard input" 0 "$EHR" --wallet clinic relay - --yes < "$T/rec.json"
check_exit "the patient gets the record back (chunks read through the relay)" 0 \
	"$EHR" --wallet pat record get 1 --output "$T/note.out"
check_eq "byte for byte" "$(cat "$T/note.out")" "BP 120/80, relayed"
check_eq "anchored in the patient's chart" \
	"$("$CAST" call "$REG" 'recordOf(uint256)(address,uint64,bool)' 1 | sed -n 1p)" "$PAT"

## a grant to the clinic
check_exit "the patient signs a grant" 0 "$EHR" --wallet pat grant "$CLINIC" --records 1 --for 2h \
	--sign-only "$T/grant.json" --yes
check_exit "the clinic relays the grant" 0 "$EHR" --wallet clinic --json relay "$T/grant.json" --yes
check_eq "  --json: what, who signed, the transaction" \
	"$(jfile "$E2E_OUT" 'j["what"].split(" access")[0], j["signer"], j["status"]')" \
	"('grant $CLINIC', '$PAT', 'confirmed')"
check_eq "the grant is the patient's, to the clinic" \
	"$("$CAST" call "$REG" 'consentOf(uint256)(address,address,uint64,uint8,uint8,uint64,address,bool)' 1 |
		sed -n '1p;2p;8p' | tr '\n' ' ')" "$PAT $CLINIC true "

## the grant as a QR code the clinic scans and relays
if command -v zbarimg > /dev/null 2>&1; then
	check_exit "the patient signs a grant into a QR code" 0 "$EHR" --wallet pat grant "$CLINIC" --records 1 --for 1h \
		--sign-only "$T/qgrant.json" --qr-png "$T/qgrant.png" --yes
	grep_err "  it says how the clinic relays it" "zbarimg --raw IMAGE | ehr relay -"
	G1=$("$CAST" call "$REG" 'grantCount()(uint256)')
	check_exit "the clinic scans it into ehr relay -" 0 sh -c "zbarimg -q --raw '$T/qgrant.png' 2> /dev/null |
		'$EHR' --wallet clinic relay - --yes"
	check_eq "  the grant is on chain" "$("$CAST" call "$REG" 'grantCount()(uint256)')" "$((G1 + 1))"
else
	echo "skip: no zbarimg for the signed grant's QR code"
fi
check_exit "a bearer grant cannot be signed only (2)" 2 "$EHR" --wallet pat grant --bearer --records 1 --for 1h \
	--sign-only "$T/b.json" --yes
grep_err "  saying why" "needs the grant on chain"
if [ -e "$T/b.json" ]; then fail "  no file written"; else ok "  no file written"; fi

## the consultation: the clinic asks (and pays), the patient's release is signed only and relayed
"$EHR" --wallet clinic access 1 -o "$T/clinic-in" --yes > "$T/acc.out" 2> "$T/acc.err" &
APID=$!
RID=$(pending_request pat access)
check_exit "the patient signs the release of the clinic's request" 0 "$EHR" --wallet pat request approve "$RID" \
	--sign-only "$T/release.json" --yes
check_exit "the clinic relays the release" 0 "$EHR" --wallet clinic relay "$T/release.json" --yes
grep_err "  shown as a release" "release the keys of records \[1\] for access request"
wait $APID
check_eq "the clinic's waiting access ends well" "$?" 0
check_eq "and reads the record" "$(cat "$T/clinic-in/"*)" "BP 120/80, relayed"

## a token invoice, paid with a permit in the relayed transaction
"$CAST" send -q --private-key "$(anvil_key 0)" "$TOKEN" 'mint(address,uint256)' "$PAT" 10000000 > /dev/null
check_exit "the clinic bills 4 TUSD" 0 "$EHR" --wallet clinic invoice issue --patient "$PAT" --amount 4 --yes
check_exit "the patient signs the payment (a permit, no approve)" 0 "$EHR" --wallet pat invoice pay 1 \
	--sign-only "$T/pay.json" --yes
check_eq "no allowance was sent" "$("$CAST" call "$TOKEN" 'allowance(address,address)(uint256)' "$PAT" "$REG")" 0
N0=$(nonce "$CLINIC")
if have_tty; then
	on_tty 100 "$T/tty.out" "$EHR" --wallet clinic relay "$T/pay.json"
	check_eq "on a terminal it asks (no answer: no)" "$?" 1
	if grep -q "Relay intent 1 of 1 (pay invoice 1 (with a token permit), signed by Pat (unverified, $PAT)), paying its gas, from $CLINIC (chain 31337.*fee at most 0\.0" "$T/tty.out"; then
		ok "the question shows what, who signed and the fee"
	else
		fail "the question shows what, who signed and the fee: $(cat "$T/tty.out")"
	fi
	check_eq "unanswered: nothing sent" "$(nonce "$CLINIC")" "$N0"
else
	echo "skip: no script(1) for the terminal test"
fi
check_exit "the clinic relays the payment" 0 "$EHR" --wallet clinic relay "$T/pay.json" --yes
grep_err "  it shows what the payment moves" "moves 4 TUSD of the signer's to City Clinic"
check_eq "one transaction" "$(nonce "$CLINIC")" "$((N0 + 1))"
check_eq "the tokens moved" "$(tusd "$PAT") $(tusd "$CLINIC")" "6000000 4000000"
check_eq "the invoice is paid" \
	"$("$CAST" call "$REG" 'invoiceOf(uint256)(address,address,address,uint256,uint64,uint8,uint64)' 1 | sed -n 6p)" 2
check_eq "the patient's balance stayed 0 throughout" "$("$CAST" balance "$PAT")" 0
check_eq "and the patient never sent a transaction" "$(nonce "$PAT")" 0

## refusals: changed fields, another registry, a made-up "what"
check_exit "the patient signs a revoke" 0 "$EHR" --wallet pat revoke 1 --sign-only "$T/rev.json" --yes
edit "$T/rev.json" "$T/t1.json" 'i["data"] = i["data"][:-1] + ("2" if i["data"][-1] != "2" else "3")'
refused "changed call data" 6 "signature is not its signer's" "$EHR" --wallet clinic relay "$T/t1.json" --yes
edit "$T/rev.json" "$T/t2.json" 'i["deadline"] += 3600'
refused "a later deadline" 6 "signature is not its signer's" "$EHR" --wallet clinic relay "$T/t2.json" --yes
edit "$T/rev.json" "$T/t3.json" 'i["signer"] = "'"$CLINIC"'"'
refused "another signer" 6 "signature is not its signer's" "$EHR" --wallet clinic relay "$T/t3.json" --yes
edit "$T/rev.json" "$T/t4.json" 'i["registry"] = "'"$TOKEN"'"'
refused "another registry" 5 "signed for registry" "$EHR" --wallet clinic relay "$T/t4.json" --yes
refused "a good intent after a bad one: nothing of the batch is sent" 6 "intent 2 of 2 refused" \
	"$EHR" --wallet clinic relay "$T/rev.json" "$T/t1.json" --yes
printf 'not json' > "$T/junk.json"
refused "a file that is not JSON" 2 "is not JSON" "$EHR" --wallet clinic relay "$T/junk.json" --yes
printf '{"format": "ehr-intents/1", "intents": [{"chain_id": 31337}]}' > "$T/short.json"
refused "an intent without its fields" 2 "no valid registry" "$EHR" --wallet clinic relay "$T/short.json" --yes
check_exit "standard input twice is a usage error" 2 "$EHR" --wallet clinic relay - - --yes
check_exit "a bare send cannot be signed only" 2 "$EHR" --wallet pat send "$CLINIC" 1 --sign-only "$T/x.json" --yes
grep_err "it says so" "cannot be relayed"
check_exit "a provider's upload has no --sign-only" 2 "$EHR" --wallet clinic upload --patient "$PAT" "$T/note.txt" \
	--sign-only "$T/x.json" --yes
edit "$T/rev.json" "$T/t5.json" 'i["what"] = "pay invoice 99"'
check_exit "the file's words are not what is shown" 0 "$EHR" --wallet clinic relay "$T/t5.json" --yes
grep_err "the words come from the signed call" "intent 1 of 1: revoke grant 1"
check_eq "and the call did what was signed" \
	"$("$CAST" call "$REG" 'isActive(uint256)(bool)' 1)" false

## the emergency card opened by staff with no coin: read now, logged when relayed
accessed_by() {
	"$CAST" logs --address "$REG" 'AccessLogged(address indexed,uint256 indexed,address indexed,uint256[])' \
		--from-block 0 --json | python3 -c 'import json,sys
print(sum(1 for l in json.load(sys.stdin) if l["topics"][3][-40:] == sys.argv[1][2:].lower()))' "$1"
}
"$EHR" --wallet kim init --kdf interactive --mnemonic-out "$T/kim-m" -q
"$EHR" --wallet nurse init --kdf interactive --mnemonic-out "$T/nurse-m" -q
"$EHR" --wallet dev send "$("$EHR" --wallet kim address)" 1 --yes -q
"$EHR" --wallet kim register --name Kim --yes -q
printf 'allergy: penicillin\n' > "$T/allergies.txt"
"$EHR" --wallet kim record add "$T/allergies.txt" --store chain --yes -q
KREC=$("$CAST" call "$REG" 'recordCount()(uint256)')
"$EHR" --wallet kim emergency set --records "$KREC" > /dev/null 2>&1
check_exit "an emergency card cannot be signed only (2)" 2 "$EHR" --wallet kim emergency card --sign-only "$T/card.json" --yes
grep_err "  saying why" "needs the grant on chain"
check_exit "a patient makes an emergency card" 0 "$EHR" --wallet kim emergency card --qr-png "$T/card.png" --yes --json
URI=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["uri"])' "$E2E_OUT")
NURSE=$("$EHR" --wallet nurse address)
check_exit "staff with no coin open the card, the access log signed only" 0 "$EHR" --wallet nurse access "$URI" \
	-o "$T/card-nurse" --sign-only "$T/log.json" --yes
check_eq "they read the record at once" "$(cat "$T/card-nurse/allergies.txt")" "allergy: penicillin"
grep_err "and are told the log waits for a relay" "logged on chain once"
check_eq "not logged yet" "$(accessed_by "$NURSE")" 0
check_exit "the clinic relays the redeem and the access log" 0 "$EHR" --wallet clinic relay "$T/log.json" --yes
grep_err "two intents: the redeem" "intent 1 of 2: redeem bearer grant"
grep_err "and the access log" "intent 2 of 2: log an access to records \[$KREC\]"
check_eq "the access is logged under the staff's account" "$(accessed_by "$NURSE")" 1
check_eq "the staff's balance stayed 0" "$("$CAST" balance "$NURSE")" 0
check_exit "the patient's audit shows it" 0 "$EHR" --wallet kim audit --json
if grep -q "$NURSE" "$E2E_OUT"; then ok "  the accessor is named"; else fail "  the accessor is named: $(cat "$E2E_OUT")"; fi

## expired: the chain's clock past the deadline
check_exit "the patient signs another grant" 0 "$EHR" --wallet pat grant "$CLINIC" --records 1 --for 2h \
	--sign-only "$T/late.json" --yes
G0=$("$CAST" call "$REG" 'grantCount()(uint256)')
"$CAST" rpc evm_increaseTime 90000 > /dev/null
"$CAST" rpc evm_mine > /dev/null
refused "past its deadline" 5 "deadline has passed" "$EHR" --wallet clinic relay "$T/late.json" --yes
check_eq "no grant was made" "$("$CAST" call "$REG" 'grantCount()(uint256)')" "$G0"

finish
