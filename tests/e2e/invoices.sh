#!/bin/sh
# Invoices against a real anvil: a provider bills in the test token and in
# the native coin, with a memo only the patient can read; the patient lists
# and pays (the token allowance set in the same confirmation); balances
# move by exactly the amounts. Every refusal (another payer, paid twice,
# cancelled, short funds in a token or the native coin, a non-issuer's
# cancel) says why and sends nothing: the account's nonce does not move.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
grep_out() {
	if grep -q -- "$2" "$E2E_OUT"; then ok "$1"; else fail "$1: stdout was: $(cat "$E2E_OUT")"; fi
}
# jget PY-EXPRESSION: evaluates it with j = the JSON document on stdout.
jget() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$E2E_OUT" "$1" 2>&1
}
nonce() { "$CAST" nonce "$1"; }
wei() { "$CAST" balance "$1"; }
tusd() { "$CAST" call "$TOKEN" 'balanceOf(address)(uint256)' "$1" | sed 's/ .*//'; }
status_of() { "$CAST" call "$REG" 'invoiceOf(uint256)(address,address,address,uint256,uint64,uint8,uint64)' "$1" | sed -n 6p; }
# refused WHAT STATUS ACCOUNT MESSAGE COMMAND...: refused with STATUS and
# MESSAGE on stderr, and ACCOUNT's nonce unchanged (nothing was sent).
refused() {
	_what=$1 _st=$2 _acct=$3 _msg=$4
	shift 4
	_n0=$(nonce "$_acct")
	check_exit "$_what ($_st)" "$_st" "$@"
	grep_err "$_what: says why" "$_msg"
	check_eq "$_what: no transaction sent" "$(nonce "$_acct")" "$_n0"
}

T=$E2E_TMP
chain_setup --test-token 'invoices test passphrase'
for w in pat doc poor stranger; do
	"$EHR" --wallet $w init --kdf interactive --mnemonic-out "$T/$w-m" -q
done
for w in pat doc stranger; do
	"$EHR" --wallet dev send "$("$EHR" --wallet $w address)" 10 --yes -q
done
"$EHR" --wallet dev send "$("$EHR" --wallet poor address)" 0.01 --yes -q
"$EHR" --wallet pat register --name "Pat Patient" --yes -q
"$EHR" --wallet doc register --name "Dr. Doc" --role provider --yes -q
"$EHR" --wallet poor register --name "Poor Patient" --yes -q
PAT=$("$EHR" --wallet pat address)
DOC=$("$EHR" --wallet doc address)
POOR=$("$EHR" --wallet poor address)
STRANGER=$("$EHR" --wallet stranger address)
check_eq "the test token is there" "$("$CAST" call "$TOKEN" 'symbol()(string)')" '"TUSD"'
"$CAST" send -q --private-key "$(anvil_key 0)" "$TOKEN" 'mint(address,uint256)' "$PAT" 100000000 > /dev/null
"$CAST" send -q --private-key "$(anvil_key 0)" "$TOKEN" 'mint(address,uint256)' "$POOR" 1000000 > /dev/null
check_eq "the patient holds 100 TUSD" "$(tusd "$PAT")" 100000000

## a token invoice with a memo, due in 30 days
MEMO="follow-up, HbA1c 6.1% (Müller lab)"
check_exit "the doctor bills 25.50 TUSD (the network's token)" 0 "$EHR" --wallet doc invoice issue \
	--patient "$PAT" --amount 25.50 --due 30d --memo "$MEMO" --yes --json
ID1=$(jget 'j["invoice"]')
check_eq "the invoice id comes from the receipt" "$ID1" 1
check_eq "the JSON names the amount and symbol" "$(jget 'j["amount"]+" "+j["symbol"]')" "25.5 TUSD"
check_eq "on chain: open" "$(status_of "$ID1")" 1
check_eq "on chain: 25500000 base units" "$("$CAST" call "$REG" \
	'invoiceOf(uint256)(address,address,address,uint256,uint64,uint8,uint64)' "$ID1" | sed -n '4s/ .*//p')" 25500000
MEMO_HEX=$("$CAST" logs --address "$REG" \
	'InvoiceIssued(address indexed,uint256 indexed,address indexed,address,uint256,uint64,bytes)' \
	--from-block 0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["data"])')
case "$MEMO_HEX" in
*"$(printf 'HbA1c' | od -An -tx1 | tr -d ' \n')"*) fail "the memo is in clear on the chain" ;;
*) ok "the memo is not in clear on the chain" ;;
esac

## the patient's list: the memo opened, the issuer's list: sealed
check_exit "the patient lists invoices" 0 "$EHR" --wallet pat invoice list
grep_out "the provider's name" "from Dr. Doc (unverified, $DOC)"
grep_out "the amount and symbol" "25.5 TUSD"
grep_out "the memo, decrypted" "memo: $MEMO"
grep_out "open" "open"
grep_out "listed apart: the patient never dealt with the doctor" "^From addresses this account never dealt with"
check_exit "the patient lists invoices as JSON" 0 "$EHR" --wallet pat invoice list --json
check_eq "JSON: one invoice, open, from the doctor" "$(jget 'len(j), j[0]["status"], j[0]["issuer_name"], j[0]["role"]')" \
	"(1, 'open', 'Dr. Doc', 'patient')"
check_eq "JSON: from an issuer the patient never dealt with" "$(jget 'j[0]["issuer_known"]')" False
check_eq "JSON: the memo round trip" "$(jget 'j[0]["memo"]')" "$MEMO"
# due is counted from the chain's time when asked; the issuing block may be a second later
check_eq "JSON: a due date 30 days after the issue" "$(jget '2591990 <= j[0]["due"] - j[0]["issued"] <= 2592000')" True
check_exit "the doctor lists what he issued" 0 "$EHR" --wallet doc invoice list --json
check_eq "the issuer sees the invoice but not the memo" \
	"$(jget 'len(j), j[0]["role"], j[0]["memo"], j[0]["memo_sealed"], j[0]["patient_name"]')" \
	"(1, 'issuer', None, True, 'Pat Patient')"
check_exit "the doctor's table" 0 "$EHR" --wallet doc invoice list
grep_out "says sealed" "(sealed to the patient)"
if grep -q "HbA1c" "$E2E_OUT"; then fail "the issuer's list shows the memo"; else ok "the issuer's list does not show the memo"; fi
check_exit "a stranger has no invoices" 0 "$EHR" --wallet stranger invoice list --json
check_eq "an empty JSON array" "$(jget 'j')" "[]"

## refusals before anything is sent
refused "a stranger cannot pay the patient's invoice" 5 "$STRANGER" "addressed to $PAT" \
	"$EHR" --wallet stranger invoice pay "$ID1" --yes
refused "a non-issuer cannot cancel" 5 "$PAT" "only its issuer can cancel" \
	"$EHR" --wallet pat invoice cancel "$ID1" --yes
check_exit "an invoice that does not exist (1)" 1 "$EHR" --wallet pat invoice pay 999 --yes
grep_err "says there is none" "no invoice 999"
check_exit "an unregistered patient is refused (2)" 2 "$EHR" --wallet doc invoice issue \
	--patient "$STRANGER" --amount 1 --yes
grep_err "says to register" "ehr register"
check_exit "a zero amount is refused (2)" 2 "$EHR" --wallet doc invoice issue --patient "$PAT" --amount 0 --yes
check_exit "more decimals than the token has (2)" 2 "$EHR" --wallet doc invoice issue --patient "$PAT" \
	--amount 1.0000001 --yes
check_exit "above 2^96 - 1 base units (2)" 2 "$EHR" --wallet doc invoice issue --patient "$PAT" \
	--amount 79228162514264337593543.950336 --yes
grep_err "says the registry's limit" "2^96"
check_exit "a past due date (2)" 2 "$EHR" --wallet doc invoice issue --patient "$PAT" --amount 1 \
	--due 2020-01-01 --yes
check_exit "--token and --native together (2)" 2 "$EHR" --wallet doc invoice issue --patient "$PAT" \
	--amount 1 --native --token default --yes
check_exit "--memo with pay is a usage error (2)" 2 "$EHR" --wallet pat invoice pay 1 --memo x --yes
refused "no confirmation without a terminal or --yes" 2 "$PAT" "an address this account never dealt with" \
	"$EHR" --wallet pat invoice pay "$ID1" < /dev/null
grep_err "the details say so too" "note    this account never dealt with the issuer"

## paying in the token: approve and pay under one confirmation
p0=$(tusd "$PAT") d0=$(tusd "$DOC") n0=$(nonce "$PAT")
check_eq "no allowance yet" "$("$CAST" call "$TOKEN" 'allowance(address,address)(uint256)' "$PAT" "$REG")" 0
check_exit "the patient pays invoice 1" 0 "$EHR" --wallet pat invoice pay "$ID1" --yes --json
check_eq "pay's JSON: to the doctor, 25.5 TUSD, after an approve, an issuer not dealt with before" \
	"$(jget 'j["to"], j["name"], j["amount"], j["symbol"], j["approve_tx"] is not None, j["status"], j["issuer_known"]')" \
	"('$DOC', 'Dr. Doc', '25.5', 'TUSD', True, 'confirmed', False)"
check_eq "two transactions: approve, then pay" "$(nonce "$PAT")" $((n0 + 2))
check_eq "the patient's tokens went down by 25.5" "$(tusd "$PAT")" $((p0 - 25500000))
check_eq "the doctor's went up by 25.5" "$(tusd "$DOC")" $((d0 + 25500000))
check_eq "the allowance is used up" "$("$CAST" call "$TOKEN" 'allowance(address,address)(uint256)' "$PAT" "$REG")" 0
check_eq "on chain: paid" "$(status_of "$ID1")" 2
PAYGAS=$(jget 'j["gas_used"]')
if [ "$PAYGAS" -lt 120000 ]; then ok "pay used $PAYGAS gas, under the fixed 120000"; else fail "pay used $PAYGAS gas"; fi
refused "paying twice" 5 "$PAT" "already paid" "$EHR" --wallet pat invoice pay "$ID1" --yes
refused "cancelling a paid invoice" 5 "$DOC" "already paid" "$EHR" --wallet doc invoice cancel "$ID1" --yes
check_eq "the tokens did not move again" "$(tusd "$PAT")" $((p0 - 25500000))

## with the allowance already set, one transaction
check_exit "a second token invoice, by address" 0 "$EHR" --wallet doc invoice issue --patient "$PAT" \
	--amount 3 --token "$TOKEN" --yes --json
ID2=$(jget 'j["invoice"]')
PAT_KEY=$("$CAST" wallet private-key --mnemonic "$(cat "$T/pat-m")" 2> /dev/null)
check_eq "cast derives the patient's key from its mnemonic" "$("$CAST" wallet address "$PAT_KEY")" "$PAT"
"$CAST" send -q --private-key "$PAT_KEY" "$TOKEN" 'approve(address,uint256)' "$REG" 3000000 > /dev/null
p0=$(tusd "$PAT") n0=$(nonce "$PAT")
check_exit "the patient pays invoice 2" 0 "$EHR" --wallet pat invoice pay "$ID2" --yes --json
check_eq "the allowance was enough: no approve, one transaction" "$(jget 'j["approve_tx"]'), $(nonce "$PAT")" \
	"None, $((n0 + 1))"
check_eq "the patient's tokens went down by 3" "$(tusd "$PAT")" $((p0 - 3000000))

## cancel
check_exit "a third invoice" 0 "$EHR" --wallet doc invoice issue --patient "$PAT" --amount 7 --yes --json
ID3=$(jget 'j["invoice"]')
check_exit "the doctor cancels it" 0 "$EHR" --wallet doc invoice cancel "$ID3" --yes --json
check_eq "cancel's JSON" "$(jget 'j["invoice"], j["status"]')" "($ID3, 'confirmed')"
check_eq "on chain: cancelled" "$(status_of "$ID3")" 3
refused "paying a cancelled invoice" 5 "$PAT" "cancelled" "$EHR" --wallet pat invoice pay "$ID3" --yes
refused "cancelling twice" 5 "$DOC" "already cancelled" "$EHR" --wallet doc invoice cancel "$ID3" --yes
check_exit "list --open leaves out paid and cancelled" 0 "$EHR" --wallet pat invoice list --open --json
check_eq "nothing open" "$(jget 'len(j)')" 0
check_exit "list shows all three with their status" 0 "$EHR" --wallet pat invoice list --json
check_eq "statuses" "$(jget '[x["status"] for x in j]')" "['paid', 'paid', 'cancelled']"
check_eq "a paid invoice made the doctor known" "$(jget '[x["issuer_known"] for x in j]')" "[True, True, True]"
check_exit "the table" 0 "$EHR" --wallet pat invoice list
if grep -q "never dealt with" "$E2E_OUT"; then fail "a section for strangers: $(cat "$E2E_OUT")"; else ok "no section for strangers"; fi

## a grant makes an issuer known
"$EHR" --wallet lab init --kdf interactive --mnemonic-out "$T/lab-m" -q
"$EHR" --wallet dev send "$("$EHR" --wallet lab address)" 1 --yes -q
"$EHR" --wallet lab register --name "City Lab" --role provider --yes -q
LAB=$("$EHR" --wallet lab address)
check_exit "a lab the patient never dealt with bills it" 0 "$EHR" --wallet lab invoice issue --patient "$PAT" \
	--amount 0.01 --native --yes --json
IDL=$(jget 'j["invoice"]')
check_exit "the patient's list" 0 "$EHR" --wallet pat invoice list --json
check_eq "the lab is not known" "$(jget '[x["issuer_known"] for x in j if x["invoice"] == '"$IDL"']')" "[False]"
check_exit "the table" 0 "$EHR" --wallet pat invoice list
check_eq "the lab's invoice alone comes after the heading" \
	"$(sed -n '/^From addresses this account never dealt with/,$p' "$E2E_OUT" | grep -c '^[0-9]')" 1
grep_out "the doctor's invoices come before it" "^$ID1 .*from Dr. Doc"
check_exit "the patient gives the lab a write grant" 0 "$EHR" --wallet pat grant "$LAB" --write --for 1h --yes
check_exit "the patient's list again" 0 "$EHR" --wallet pat invoice list --json
check_eq "the lab is known now" "$(jget '[x["issuer_known"] for x in j if x["invoice"] == '"$IDL"']')" "[True]"
check_exit "the patient pays the lab" 0 "$EHR" --wallet pat invoice pay "$IDL" --yes --json
check_eq "pay's JSON: a known issuer" "$(jget 'j["issuer_known"]')" True
if grep -q "never dealt with" "$E2E_ERR"; then fail "the note: $(cat "$E2E_ERR")"; else ok "and no note"; fi

## short balances: token and native, nothing sent
check_exit "bill the poor patient 5 TUSD (holds 1)" 0 "$EHR" --wallet doc invoice issue --patient "$POOR" \
	--amount 5 --yes --json
ID4=$(jget 'j["invoice"]')
refused "short of tokens" 5 "$POOR" "insufficient funds: this account has 1 TUSD" \
	"$EHR" --wallet poor invoice pay "$ID4" --yes
check_exit "bill the poor patient 1 ETH (holds 0.01)" 0 "$EHR" --wallet doc invoice issue --patient "$POOR" \
	--amount 1 --native --yes --json
ID5=$(jget 'j["invoice"]')
refused "short of the native coin" 5 "$POOR" "insufficient funds" "$EHR" --wallet poor invoice pay "$ID5" --yes
POOR_WEI=$(wei "$POOR")
check_exit "bill the poor patient all it has, to the wei" 0 "$EHR" --wallet doc invoice issue --patient "$POOR" \
	--amount "$POOR_WEI wei" --native --yes --json
ID6=$(jget 'j["invoice"]')
refused "the amount is there but not the fee" 5 "$POOR" "insufficient funds" \
	"$EHR" --wallet poor invoice pay "$ID6" --yes
check_eq "the poor patient's coins did not move" "$(wei "$POOR")" "$POOR_WEI"

## paying in the native coin; the memo from a file (--memo-file), with a
## right-to-left override, a C1 control and an isolate in it: every byte of
## them is a '?' on the patient's side
RLO=$(printf '\342\200\256') CSI=$(printf '\302\233') LRI=$(printf '\342\201\246')
raw_bytes() { LC_ALL=C grep -c -e "$RLO" -e "$CSI" -e "$LRI" "$1"; }
printf 'x-ray%sfdp.exe %s31m%s\n' "$RLO" "$CSI" "$LRI" > "$T/memo"
printf 'x-ray\000\n' > "$T/memo-nul"
n0=$(nonce "$DOC")
check_exit "a memo file with a NUL byte is refused (2)" 2 "$EHR" --wallet doc invoice issue \
	--patient "$PAT" --amount 0.25 --native --memo-file "$T/memo-nul" --yes
grep_err "  saying so" "memo-nul holds a NUL byte: the memo is text"
check_exit "--memo-file and --memo together are refused (2)" 2 "$EHR" --wallet doc invoice issue \
	--patient "$PAT" --amount 0.25 --native --memo-file "$T/memo" --memo x --yes
check_eq "  nothing sent" "$(nonce "$DOC")" "$n0"
check_exit "the doctor bills 0.25 ETH in the native coin" 0 "$EHR" --wallet doc invoice issue \
	--patient "$PAT" --amount 0.25 --native --memo-file "$T/memo" --yes --json
ID7=$(jget 'j["invoice"]')
check_eq "native: the JSON has no token" "$(jget 'j["token"], j["symbol"]')" "(None, 'ETH')"
check_exit "the patient's list" 0 "$EHR" --wallet pat invoice list
grep_out "shows the memo's bytes as ?" "memo: x-ray???fdp.exe ??31m???"
check_eq "  and none of them as they are" "$(raw_bytes "$E2E_OUT")" 0
p0=$(wei "$PAT") d0=$(wei "$DOC") n0=$(nonce "$PAT")
check_exit "the patient pays it" 0 "$EHR" --wallet pat invoice pay "$ID7" --yes --json
grep_err "shows the memo before paying" "memo    x-ray???fdp.exe ??31m???"
check_eq "  and none of its bytes as they are" "$(raw_bytes "$E2E_ERR")" 0
grep_err "shows to whom" "from Dr. Doc (unverified, $DOC)"
FEE=$(python3 -c 'import json,sys
r=json.loads(sys.argv[1]); print(int(r["gasUsed"],16)*int(r["effectiveGasPrice"],16))' \
	"$("$CAST" receipt "$(jget 'j["tx"]')" --json)")
check_eq "one transaction" "$(nonce "$PAT")" $((n0 + 1))
check_eq "the patient paid 0.25 ETH and the fee" "$(wei "$PAT")" \
	"$(python3 -c "print($p0 - 250000000000000000 - $FEE)")"
check_eq "the doctor received 0.25 ETH" "$(wei "$DOC")" "$(python3 -c "print($d0 + 250000000000000000)")"
refused "paying the native invoice twice" 5 "$PAT" "already paid" "$EHR" --wallet pat invoice pay "$ID7" --yes

## a network without a default token: --token or --native is needed
"$EHR" network add bare --rpc "$EHR_RPC_URL" --registry "$REG" -q
check_exit "no default token on a network without one" 2 "$EHR" --wallet doc --network bare \
	invoice issue --patient "$PAT" --amount 1 --yes
grep_err "asks for --token or --native" "\-\-token ADDR or \-\-native"

finish
