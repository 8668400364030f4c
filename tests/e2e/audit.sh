#!/bin/sh
# ehr audit against a real anvil: a patient's history (records, grants, an
# access, a revoke, grants that ran out, invoices, an erase) seen by the
# patient and by the providers, as a table, JSON, CSV and a FHIR Bundle;
# filters; cross-checked event by event against `cast logs`; audit verify;
# every refusal with its status.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
grep_out() {
	if grep -q -- "$2" "$E2E_OUT"; then ok "$1"; else fail "$1: stdout was: $(head -c 3000 "$E2E_OUT")"; fi
}
# py FILE EXPR: EXPR evaluated with d = FILE's JSON (the last output when
# FILE is -), printed (lists and dicts as JSON).
py() {
	_f=$1
	[ "$_f" = - ] && _f=$E2E_OUT
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)
' "$_f" "$2" 2>&1
}
T=$E2E_TMP
chain_setup 'audit test passphrase'
# anvil's dev accounts 1 to 4, so cast signs for them with anvil_key N
PAT="--wallet dev --account 1"
DOC="--wallet dev --account 2"
NURSE="--wallet dev --account 3"
PAT_ADDR=$("$EHR" $PAT address)
DOC_ADDR=$("$EHR" $DOC address)
NURSE_ADDR=$("$EHR" $NURSE address)
REG=$("$EHR" config --json | sed -n 's/.*"registry":[^"]*"\(0x[0-9a-fA-F]*\)".*/\1/p')
"$EHR" $PAT register --name "Pat Patient" --yes -q
"$EHR" $DOC register --name "Dr. Doc" --role provider --yes -q
"$EHR" $NURSE register --name "Nurse, Joy \"RN\"" --role provider --yes -q

## a history
mkdir -p "$T/in" "$T/store"
printf 'allergy: penicillin\n' > "$T/in/allergies.txt"
printf 'hba1c 6.1%%\n' > "$T/in/lab.txt"
head -c 3000 /dev/urandom > "$T/in/xray.dcm"
"$EHR" $PAT record add "$T/in/allergies.txt" --title "Allergies" --yes -q
"$EHR" $PAT record add "$T/in/lab.txt" --title "Lab results" --yes -q
"$EHR" $PAT record add "$T/in/xray.dcm" --title "Chest X-ray" --store "dir:$T/store" --yes -q
check_exit "the patient grants the doctor 30 minutes over records 1 and 2" 0 \
	"$EHR" $PAT grant "$DOC_ADDR" --records 1,2 --for 30m --yes --json
G1=$(py - 'd["grant"]')
access_released "$DOC" "$PAT" "$G1" -o "$T/doc" --yes
check_eq "the doctor opens the grant (a request the patient answers)" "$?" 0
ACCESS_TX=$("$CAST" logs --address "$REG" \
	'AccessRequested(address indexed,uint256 indexed,address indexed,uint256,uint256[])' \
	--from-block 0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["transactionHash"])')
"$EHR" $PAT grant "$NURSE_ADDR" --records 3 --for 1h --yes --json > "$T/g2.json"
G2=$(py "$T/g2.json" 'd["grant"]')
check_exit "the patient revokes the nurse's grant" 0 "$EHR" $PAT revoke "$G2" --yes
"$EHR" $PAT grant "$DOC_ADDR" --records 3 --for 10m --yes --json > "$T/g3.json"
G3=$(py "$T/g3.json" 'd["grant"]')
EXPIRY1=$("$CAST" call "$REG" 'grantOf(uint256)(address,address,uint64,uint8,uint64,address)' "$G1" | sed -n 3p | cut -d' ' -f1)
EXPIRY3=$("$CAST" call "$REG" 'grantOf(uint256)(address,address,uint64,uint8,uint64,address)' "$G3" | sed -n 3p | cut -d' ' -f1)
"$CAST" rpc evm_increaseTime 172800 > /dev/null
"$CAST" rpc evm_mine > /dev/null
check_exit "two days later the doctor's grant is refused (5)" 5 "$EHR" $DOC access "$G1" -o "$T/doc2" --yes
# invoices: one paid, one cancelled (the registry's functions, through cast)
"$CAST" send "$REG" 'issueInvoice(address,address,uint256,uint64,bytes)' "$PAT_ADDR" \
	0x0000000000000000000000000000000000000000 1000000000000000 0 0x1234 --private-key "$(anvil_key 2)" > /dev/null
"$CAST" send "$REG" 'pay(uint256)' 1 --value 1000000000000000 --private-key "$(anvil_key 1)" > /dev/null
"$CAST" send "$REG" 'issueInvoice(address,address,uint256,uint64,bytes)' "$PAT_ADDR" \
	0x0000000000000000000000000000000000000000 5 0 0x --private-key "$(anvil_key 2)" > /dev/null
"$CAST" send "$REG" 'cancelInvoice(uint256)' 2 --private-key "$(anvil_key 2)" > /dev/null
check_eq "both invoices are settled on chain" "$("$CAST" call "$REG" 'invoiceCount()(uint256)')" 2
"$EHR" $PAT grant "$DOC_ADDR" --records 1 --for 7d --write --yes --json > "$T/g4.json"
G4=$(py "$T/g4.json" 'd["grant"]')
# the doctor writes into the patient's chart under the write grant (the
# registry's anchorRecord through cast: the X-ray's envelope again, with a
# data key sealed to nobody, so its title opens for no one)
f=$(ls "$T"/store/*.ehr)
h=$(basename "$f" .ehr)
"$CAST" send "$REG" 'anchorRecord(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes))' "$PAT_ADDR" "$G4" \
	"(0x$h,$(stat -c %s "$f"),dir:$T/store/$h.ehr,0x$(rand_hex 80),0x,0x$(rand_hex 100))" \
	--private-key "$(anvil_key 2)" > /dev/null
check_eq "record 4 is the doctor's, in the patient's chart" \
	"$("$CAST" call "$REG" 'recordOf(uint256)(address,uint64,bool)' 4 | head -n 1)" "$PAT_ADDR"
# a bearer grant (the QR at the desk), opened by the nurse
check_exit "a bearer grant" 0 "$EHR" $PAT grant --bearer --records 1 --for 1h --yes --json
G5=$(py - 'd["grant"]')
check_exit "the nurse opens it" 0 "$EHR" $NURSE access "$(py - 'd["uri"]')" -o "$T/nurse" --yes
"$EHR" $PAT record erase 2 --yes -q
HEAD=$("$CAST" block-number)
HEAD_TIME=$("$CAST" block latest --field timestamp)

## the patient's history as JSON
check_exit "audit --json" 0 "$EHR" $PAT audit --json
cp "$E2E_OUT" "$T/pat.json"
check_eq "the events in order" "$(py - '[r["event"] for r in d]')" \
	'["key registered", "record added", "record added", "record added", "grant issued", "access requested", "keys released", "grant issued", "grant revoked", "grant issued", "grant expired", "grant expired", "invoice issued", "invoice paid", "invoice issued", "invoice cancelled", "grant issued", "record added", "grant issued", "bearer redeemed", "access", "record erased"]'
check_eq "rows are in time order" "$(py - '[r["time"] for r in d] == sorted(r["time"] for r in d)')" true
check_eq "every key is there on every row" \
	"$(py - 'all(set(["time","block","event","patient","patient_name","party","party_name","grant","invoice","records","titles","tx"]) <= set(r) for r in d)')" true
check_eq "titles decrypted locally (not the doctor's record: no key opens it)" \
	"$(py - '[r["titles"][0] for r in d if r["event"] == "record added"]')" '["Allergies", "Lab results", "Chest X-ray", null]'
A='[r for r in d if r["event"] == "access requested"][0]'
check_eq "the access: who" "$(py - "$A[\"party\"]")" "$DOC_ADDR"
check_eq "the access: the doctor's name" "$(py - "$A[\"party_name\"]")" "Dr. Doc"
check_eq "the access: which grant" "$(py - "$A[\"grant\"]")" "$G1"
check_eq "the access: which records, with titles" "$(py - "[$A[\"records\"], $A[\"titles\"]]")" \
	'[[1, 2], ["Allergies", "Lab results"]]'
check_eq "the access: the transaction" "$(py - "$A[\"tx\"]")" "$ACCESS_TX"
check_eq "the access: its block's time" "$(py - "$A[\"time\"]")" \
	"$(date -u -d "@$("$CAST" block "$(py "$T/pat.json" "$A[\"block\"]")" --field timestamp)" +%Y-%m-%dT%H:%M:%SZ)"
check_eq "the patient's own record: party is the patient" "$(py - 'd[1]["party"] == d[1]["patient"]')" true
check_eq "expired: the grants that ran out (the shorter first), not the revoked one" \
	"$(py - '[r["grant"] for r in d if r["event"] == "grant expired"]')" "[$G3, $G1]"
check_eq "expired: at the expiry, no block, no transaction" \
	"$(py - '[[r["time"], r["block"], r["tx"]] for r in d if r["event"] == "grant expired"][0]')" \
	"[\"$(date -u -d "@$EXPIRY3" +%Y-%m-%dT%H:%M:%SZ)\", null, null]"
check_eq "expired: the second one too" \
	"$(py - '[r["time"] for r in d if r["event"] == "grant expired"][1]')" "$(date -u -d "@$EXPIRY1" +%Y-%m-%dT%H:%M:%SZ)"
check_eq "the revoke names the nurse and the grant's record" \
	"$(py - '[[r["party_name"], r["records"], r["titles"]] for r in d if r["event"] == "grant revoked"][0]')" \
	'["Nurse, Joy \"RN\"", [3], ["Chest X-ray"]]'
check_eq "the invoice: amount, native coin, issuer" \
	"$(py - '[[r["invoice"], r["amount"], r["amount_text"], r["token"], r["party_name"]] for r in d if r["event"] == "invoice paid"][0]')" \
	'[1, "1000000000000000", "0.001 ETH", null, "Dr. Doc"]'
check_eq "the erase has no other party" "$(py - '[[r["records"], r["party"]] for r in d][-1]')" '[[2], null]'
check_eq "the doctor's record: author, write grant, no title for the patient" \
	"$(py - '[[r["party_name"], r["grant"], r["records"], r["titles"]] for r in d if r["event"] == "record added"][-1]')" \
	"[\"Dr. Doc\", $G4, [4], [null]]"

## cross-check against cast logs over the same blocks
for sig in 'KeyRegistered(address,bytes32,uint8,string)' \
	'RecordAnchored(address,uint256,address,uint256,bytes32,uint64,string,bytes,bytes,bytes)' \
	'RecordErased(address,uint256)' 'GrantIssued(address,uint256,address,uint64,uint8,uint8,uint256[],bytes[])' \
	'GrantKeysAdded(address,uint256,address,uint256[],bytes[])' 'GrantRevoked(address,uint256,address)' \
	'BearerRedeemed(address,uint256,address)' 'AccessLogged(address,uint256,address,uint256[])' \
	'InvoiceIssued(address,uint256,address,address,uint256,uint64,bytes)' \
	'InvoicePaid(address,uint256,address,address,uint256)' 'InvoiceCancelled(address,uint256,address)' \
	'AccessRequested(address,uint256,address,uint256,uint256[])' \
	'KeysReleased(address,uint256,address,uint256,uint256[],bytes[])' 'AccessDenied(address,uint256,address,uint256)'; do
	echo "$("$CAST" keccak "$sig") ${sig%%(*}"
done > "$T/topics"
"$CAST" logs --address "$REG" --from-block 0 --to-block "$HEAD" --json > "$T/logs.json"
# crosscheck AUDIT_JSON ADDRESS: "same" when the audit's events are exactly
# the logs naming ADDRESS as topic 1 or 3 (ChunkStored aside), else the diff
crosscheck() {
	python3 - "$T/logs.json" "$1" "$2" "$T/topics" << 'EOF'
import json, sys, collections
logs = json.load(open(sys.argv[1]))
rows = json.load(open(sys.argv[2]))
me = "0x" + "0" * 24 + sys.argv[3].lower()[2:]
words = {"KeyRegistered": "key registered", "RecordAnchored": "record added", "RecordErased": "record erased",
	"GrantIssued": "grant issued", "GrantKeysAdded": "grant keys added", "GrantRevoked": "grant revoked",
	"BearerRedeemed": "bearer redeemed", "AccessLogged": "access", "InvoiceIssued": "invoice issued",
	"InvoicePaid": "invoice paid", "InvoiceCancelled": "invoice cancelled",
	"AccessRequested": "access requested", "KeysReleased": "keys released", "AccessDenied": "access denied"}
kinds = {}
for line in open(sys.argv[4]):
	t, name = line.split()
	kinds[t] = words[name]
want = set()
for l in logs:
	t = l["topics"]
	if t[0] not in kinds:
		continue
	if (len(t) > 1 and t[1] == me) or (len(t) > 3 and t[3] == me):
		want.add((kinds[t[0]], l["transactionHash"], int(l["blockNumber"], 16), int(l["logIndex"], 16)))
got = [(r["event"], r["tx"], r["block"]) for r in rows if r["event"] != "grant expired"]
gotc = collections.Counter(e for e, _, _ in got)
wantc = collections.Counter(e for e, _, _, _ in want)
if gotc != wantc:
	print("counts differ: audit", dict(gotc), "cast", dict(wantc))
elif sorted((e, t, b) for e, t, b in got) != sorted((e, t, b) for e, t, b, _ in want):
	print("transactions differ")
elif [(e, t) for e, t, _ in got] != [(e, t) for e, t, _, _ in sorted(want, key=lambda w: (w[2], w[3]))]:
	print("order differs")
else:
	print("same", len(got))
EOF
}
check_eq "the patient's audit is cast's logs, kind by kind, tx by tx" "$(crosscheck "$T/pat.json" "$PAT_ADDR")" "same 20"

## the providers' side: topic 3
check_exit "the doctor's audit" 0 "$EHR" $DOC audit --json
cp "$E2E_OUT" "$T/doc.json"
check_eq "the doctor's events" "$(py - '[r["event"] for r in d]')" \
	'["key registered", "grant issued", "access requested", "keys released", "grant issued", "grant expired", "grant expired", "invoice issued", "invoice paid", "invoice issued", "invoice cancelled", "grant issued", "record added"]'
check_eq "the doctor's audit is cast's logs too" "$(crosscheck "$T/doc.json" "$DOC_ADDR")" "same 11"
check_eq "the doctor sees the patient's name" \
	"$(py - '[r["patient_name"] for r in d if r["event"] == "access requested"][0]')" "Pat Patient"
check_eq "the doctor reads the titles the grant's keys open" \
	"$(py - '[r["titles"] for r in d if r["event"] == "access requested"][0]')" '["Allergies", "Lab results"]'
check_exit "the nurse's audit" 0 "$EHR" $NURSE audit --json
check_eq "the nurse: granted and revoked, then a bearer code redeemed and used" "$(py - '[r["event"] for r in d]')" \
	'["key registered", "grant issued", "grant revoked", "bearer redeemed", "access"]'
check_eq "the nurse's audit is cast's logs too" "$(crosscheck "$E2E_OUT" "$NURSE_ADDR")" "same 5"
check_eq "the nurse's access: the grant, the record" \
	"$(py - '[[r["grant"], r["records"], r["patient_name"]] for r in d][-1]')" "[$G5, [1], \"Pat Patient\"]"

## the table
check_exit "audit (table)" 0 "$EHR" $PAT audit
grep_out "a header" "^TIME *EVENT *WHO *WHAT *TX"
grep_out "the access with the doctor's name, unverified, and address" "access requested *Dr. Doc (unverified, $DOC_ADDR)"
grep_out "titles in the table" 'record 1 "Allergies", record 2 "Lab results"'
grep_out "the access's transaction" "$ACCESS_TX"
grep_out "expired grants" "grant expired"
grep_out "the invoice in ETH" "invoice 1: 0.001 ETH"
grep_out "the bearer grant's key is named as such" "grant issued *a bearer code (0x"
grep_out "the bearer redeemed by the nurse" "bearer redeemed *Nurse, Joy"
check_eq "one line per event and the header" "$(wc -l < "$E2E_OUT")" 23

## CSV
check_exit "audit --csv" 0 "$EHR" $PAT audit --csv
cp "$E2E_OUT" "$T/pat.csv"
check_eq "CSV lines end in CRLF" "$(head -n 1 "$T/pat.csv" | od -An -c | tr -d ' \n' | tail -c 4)" '\r\n'
check_eq "CSV parses: header and one row per event, the same as JSON" "$(python3 - "$T/pat.csv" "$T/pat.json" << 'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
js = json.load(open(sys.argv[2]))
ok = len(rows) == len(js) and all(
	r["event"] == j["event"] and r["time"] == j["time"] and r["tx"] == (j["tx"] or "") and
	r["party_name"] == (j["party_name"] or "") and
	r["patient_name_verified"] == str(j["patient_name_verified"]).lower() and
	r["party_name_verified"] == ("" if j["party"] is None else str(j["party_name_verified"]).lower()) and
	r["records"] == " ".join(str(i) for i in j["records"]) and
	r["titles"] == "; ".join(t or "" for t in j["titles"])
	for r, j in zip(rows, js))
print(list(rows[0].keys())[:4], len(rows), ok)
EOF
)" "['time', 'block', 'event', 'patient'] 22 True"
grep_out "a name with a comma and quotes is quoted" '"Nurse, Joy ""RN"""'

## filters
check_exit "--record 3" 0 "$EHR" $PAT audit --record 3 --json
check_eq "what concerns record 3" "$(py - '[[r["event"], r["grant"]] for r in d]')" \
	"[[\"record added\", null], [\"grant issued\", $G2], [\"grant revoked\", $G2], [\"grant issued\", $G3], [\"grant expired\", $G3]]"
check_exit "--grant $G2" 0 "$EHR" $PAT audit --grant "$G2" --json
check_eq "what concerns grant $G2" "$(py - '[r["event"] for r in d]')" '["grant issued", "grant revoked"]'
check_exit "--since 1d" 0 "$EHR" $PAT audit --since 1d --json
check_eq "--since 1d: the last day of the chain's time" "$(py - '[r["event"] for r in d]')" \
	'["invoice issued", "invoice paid", "invoice issued", "invoice cancelled", "grant issued", "record added", "grant issued", "bearer redeemed", "access", "record erased"]'
check_eq "--since 1d: each row within the day" "$(py - "all(r['time'] >= '$(date -u -d "@$((HEAD_TIME - 86400))" +%Y-%m-%dT%H:%M:%SZ)' for r in d)")" true
SINCE=$(py "$T/pat.json" '[r["time"] for r in d if r["event"] == "grant revoked"][0]')
check_exit "--since an RFC 3339 time" 0 "$EHR" $PAT audit --since "$SINCE" --json
check_eq "from that second on" "$(py - 'len(d)')" "$(py "$T/pat.json" "len([r for r in d if r['time'] >= '$SINCE'])")"
check_exit "--since a date far back" 0 "$EHR" $PAT audit --since 2000-01-01 --json
check_eq "everything" "$(py - 'len(d)')" 22
check_exit "--since a date to come" 0 "$EHR" $PAT audit --since 2999-01-01
check_eq "nothing" "$(wc -c < "$E2E_OUT")" 0
grep_err "says so" "no events match"
check_exit "--record 2 --grant $G1" 0 "$EHR" $PAT audit --record 2 --grant "$G1" --json
check_eq "both filters" "$(py - '[r["event"] for r in d]')" '["grant issued", "access requested", "keys released", "grant expired"]'
check_exit "--no-titles needs no passphrase" 0 env -u EHR_PASSPHRASE_FILE "$EHR" $PAT audit --no-titles --json
check_eq "ids, no titles" "$(py - '[[r["records"], r["titles"]] for r in d if r["event"] == "access requested"][0]')" '[[1, 2], [null, null]]'

## FHIR
check_exit "--fhir" 0 "$EHR" $PAT audit --fhir "$T/audit.fhir.json"
check_eq "written 0600" "$(stat -c %a "$T/audit.fhir.json")" 600
check_eq "a collection Bundle of 22 AuditEvents and 5 Consents" \
	"$(py "$T/audit.fhir.json" '[d["resourceType"], d["type"], sum(e["resource"]["resourceType"] == "AuditEvent" for e in d["entry"]), sum(e["resource"]["resourceType"] == "Consent" for e in d["entry"])]')" \
	'["Bundle", "collection", 22, 5]'
AE='[e["resource"] for e in d["entry"] if e["resource"].get("subtype", [{}])[0].get("code") == "access-requested"][0]'
check_eq "the access as an AuditEvent: action, recorded, agent, entities" \
	"$(py "$T/audit.fhir.json" "[$AE['action'], $AE['recorded'], $AE['agent'][0]['name'], $AE['agent'][0]['requestor'], [x['what'].get('reference') for x in $AE['entity']]]")" \
	"[\"R\", \"$(py "$T/pat.json" "$A[\"time\"]")\", \"Dr. Doc (unverified)\", true, [null, null, \"Consent/ehr-grant-$G1\", null]]"
# records are named by identifier: the registry (on its chain) is the
# namespace of record ids
RSYS="urn:ehr:record:eip155:$("$CAST" chain-id):$REG"
check_eq "the access's records: DocumentReferences by identifier, with their titles" \
	"$(py "$T/audit.fhir.json" "[[x['what']['type'], x['what']['identifier']['system'], x['what']['identifier']['value'], x['what']['display']] for x in $AE['entity'][:2]]")" \
	"[[\"DocumentReference\", \"$RSYS\", \"1\", \"Allergies\"], [\"DocumentReference\", \"$RSYS\", \"2\", \"Lab results\"]]"
check_eq "the AuditEvent names the transaction" \
	"$(py "$T/audit.fhir.json" "$AE['entity'][-1]['what']['identifier']['value']")" "$ACCESS_TX"
check_eq "every AuditEvent has type, action, recorded, agent and source" \
	"$(py "$T/audit.fhir.json" 'all(all(k in e["resource"] for k in ("type", "action", "recorded", "agent", "source")) for e in d["entry"] if e["resource"]["resourceType"] == "AuditEvent")')" true
C='{e["resource"]["id"]: e["resource"] for e in d["entry"] if e["resource"]["resourceType"] == "Consent"}'
check_eq "Consents: inactive when expired or revoked, active while running" \
	"$(py "$T/audit.fhir.json" "[c['status'] for c in sorted($C.values(), key=lambda c: c['id'])]")" \
	'["inactive", "inactive", "inactive", "active", "active"]'
check_eq "a Consent: period, actor, action, data" \
	"$(py "$T/audit.fhir.json" "[($C)['ehr-grant-$G1']['provision'][k] for k in ('period',)][0]['end'] == '$(date -u -d "@$EXPIRY1" +%Y-%m-%dT%H:%M:%SZ)' and [($C)['ehr-grant-$G1']['provision']['actor'][0]['reference']['display'], ($C)['ehr-grant-$G1']['provision']['action'][0]['coding'][0]['code'], [[x['reference']['identifier']['system'] == '$RSYS', x['reference']['identifier']['value']] for x in ($C)['ehr-grant-$G1']['provision']['data']]]")" \
	'["Dr. Doc (unverified)", "access", [[true, "1"], [true, "2"]]]'
check_eq "a write grant's Consent: access and correct" \
	"$(py "$T/audit.fhir.json" "[a['coding'][0]['code'] for a in ($C)['ehr-grant-$G4']['provision']['action']]")" \
	'["access", "correct"]'
check_eq "a revoked grant's Consent ends at the revoke" \
	"$(py "$T/audit.fhir.json" "($C)['ehr-grant-$G2']['provision']['period']['end']")" \
	"$(py "$T/pat.json" '[r["time"] for r in d if r["event"] == "grant revoked"][0]')"
# a FHIR consumer joins the audit to the records' export on identifier
check_exit "the patient exports the records" 0 "$EHR" $PAT record export --fhir "$T/records.fhir.json"
check_eq "every exported record is in the audit, under the same identifier and title" "$(python3 - \
	"$T/audit.fhir.json" "$T/records.fhir.json" << 'EOF'
import json, sys
audit, export = (json.load(open(f)) for f in sys.argv[1:3])
named = {}
for e in audit["entry"]:
	r = e["resource"]
	refs = [x["what"] for x in r.get("entity", [])] if r["resourceType"] == "AuditEvent" else \
		[x["reference"] for x in r.get("provision", {}).get("data", [])]
	for w in refs:
		if "identifier" in w and w.get("type") == "DocumentReference":
			named[(w["identifier"]["system"], w["identifier"]["value"])] = w.get("display")
docs = [e["resource"] for e in export["entry"] if e["resource"]["resourceType"] == "DocumentReference"]
joined = [[i["value"], named.get((i["system"], i["value"]), "missing"), d["description"]]
	for d in docs for i in d["identifier"]]
print(json.dumps(sorted(joined)), len(named))
EOF
)" '[["1", "Allergies", "Allergies"], ["3", "Chest X-ray", "Chest X-ray"]] 4'
check_exit "an existing FHIR file is not replaced (2)" 2 "$EHR" $PAT audit --fhir "$T/audit.fhir.json" --grant "$G2"
check_eq "it is left as it was" "$(py "$T/audit.fhir.json" 'len(d["entry"])')" 27
check_exit "--force replaces it" 0 "$EHR" $PAT audit --fhir "$T/audit.fhir.json" --grant "$G2" --force --json
check_eq "a grant's events and its Consent" "$(py - '[d["audit_events"], d["consents"]]')" '[2, 1]'

## audit verify
check_exit "audit verify: the records match their anchors" 0 "$EHR" $PAT audit verify
grep_out "record 3 checked" "record 3: ok"
f=$(ls "$T"/store/*.ehr | head -n 1)
chmod 600 "$f"
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2> /dev/null
check_exit "audit verify: a tampered ciphertext (6)" 6 "$EHR" $PAT audit verify
grep_out "names the damaged record" "record 3: damaged"

## on a terminal: the table fits its width; --wide and pipes print it whole
LONG="Discharge summary after the cardiology admission, with the echocardiogram and the medication plan"
"$EHR" $PAT record add "$T/in/lab.txt" --title "$LONG" --yes -q
check_exit "audit piped" 0 "$EHR" $PAT audit
cp "$E2E_OUT" "$T/piped.txt"
if grep -q "record 5 \"$LONG\"" "$T/piped.txt"; then ok "piped: the long title whole on its line"
else fail "piped: the long title whole: $(cat "$T/piped.txt")"; fi
check_eq "piped: lines as long as they need" "$(widest_line "$T/piped.txt")" \
	"$(awk '{ if (length > w) w = length } END { print w }' "$T/piped.txt")"
if have_tty; then
	on_tty 100 "$T/tty.txt" "$EHR" $PAT audit
	check_eq "on a 100-column terminal: exit 0" $? 0
	check_eq "every line within 100 columns" "$(test "$(widest_line "$T/tty.txt")" -le 100 && echo yes)" yes
	check_eq "piped, the widest line is wider than that" "$(test "$(widest_line "$T/piped.txt")" -gt 100 && echo yes)" yes
	cell=$(wrapped_cell "$T/tty.txt" 'record 5 "' 20)
	check_eq "the long title wrapped onto continuation lines, no word lost" \
		"$(test "${cell##* }" -gt 1 && echo "${cell% *}")" "record 5 \"$LONG\""
	check_eq "the access's transaction hash is shortened, head and tail kept" \
		"$(grep -c "access .* $(printf %.5s "$ACCESS_TX")\.\.\.${ACCESS_TX#"${ACCESS_TX%?????}"}\$" "$T/tty.txt")" 1
	check_eq "the header is the same" "$(head -n 1 "$T/tty.txt" | tr -s ' ')" "TIME EVENT WHO WHAT TX"
	on_tty 100 "$T/wide.txt" "$EHR" $PAT audit --wide
	check_eq "--wide on a terminal: the piped table, byte for byte" "$(cmp "$T/wide.txt" "$T/piped.txt" && echo same)" same
	on_tty 100 "$T/json.txt" "$EHR" $PAT audit --json
	"$EHR" $PAT audit --json > "$T/json-piped.txt"
	check_eq "--json is not fitted" "$(cmp "$T/json.txt" "$T/json-piped.txt" && echo same)" same
else
	echo "skip: no script(1) for a terminal"
fi

## refusals
check_exit "a bad --since (2)" 2 "$EHR" $PAT audit --since yesterday
grep_err "says what --since takes" "duration like 7d"
check_exit "record id 0 (2)" 2 "$EHR" $PAT audit --record 0
check_exit "a grant id that is not a number (2)" 2 "$EHR" $PAT audit --grant abc
check_exit "--csv with --json (2)" 2 "$EHR" $PAT audit --csv --json
check_exit "an unknown subcommand (2)" 2 "$EHR" $PAT audit everything
mkdir -p "$T/empty"
check_exit "no registry (2)" 2 env EHR_HOME="$T/empty" "$EHR" audit --rpc "$EHR_RPC_URL"
grep_err "says how to get one" "registry"
check_exit "the node is down (4)" 4 "$EHR" $PAT --rpc http://127.0.0.1:1 --registry "$REG" audit
printf 'not the passphrase\n' > "$T/wrong"
check_exit "a wrong passphrase (3)" 3 env EHR_PASSPHRASE_FILE="$T/wrong" "$EHR" $PAT audit
finish
