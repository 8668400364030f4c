#!/bin/sh
# A research grant against a real anvil (issue 17): the researcher's
# `ehr access` receives de-identified copies only. The patient's release
# de-identifies each FHIR record (pseudonyms per grant), anchors the copies
# and releases their keys with releaseDerived; a file that is not FHIR is
# withheld and both sides are told; every identifier of a rich Patient is
# absent from what the researcher gets; the registry refuses the records'
# own keys for a research grant (release, approveGrant, addGrantKeys) and
# copies that are not fresh records of the patient's; the audit shows the
# derived release; watch --release answers the same way, and another grant
# gets other pseudonyms.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
json_num() { sed -n "s/.*\"$1\":[^0-9]*\([0-9]*\).*/\1/p" "$E2E_OUT" | head -n 1; }
# refused DESCRIPTION ERROR FROM SIG ARGS...: `cast call --from FROM` of
# the registry's SIG reverts with the custom error ERROR ("Name()"), which
# changes nothing (a call).
refused() {
	_d=$1 _err=$2 _from=$3
	shift 3
	check_exit "$_d" 1 "$CAST" call --from "$_from" "$REG" "$@"
	_sel=$("$CAST" sig "$_err")
	if grep -q "data: \"$_sel" "$E2E_ERR"; then ok "  with $_err"; else fail "  not $_err: $(cat "$E2E_ERR")"; fi
}
T=$E2E_TMP
chain_setup 'research test passphrase'
new_wallets pat res doc
PAT=$("$EHR" --wallet pat address)
RES=$("$EHR" --wallet res address)
DOC=$("$EHR" --wallet doc address)

cat > "$T/rich.json" <<'EOF'
{"resourceType": "Bundle", "id": "bundle-4711", "type": "collection", "entry": [
 {"fullUrl": "urn:uuid:7d1b2c3a-0000-4000-8000-00000000a001", "resource": {
  "resourceType": "Patient", "id": "pt-3345",
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Bartholomew Zwicky</div>"},
  "identifier": [{"system": "urn:oid:2.16.840.1.113883.4.1", "value": "123-45-6789"},
                 {"type": {"text": "MRN"}, "system": "http://hospital.example/mrn", "value": "MRN-88213377"}],
  "name": [{"family": "Zwicky", "given": ["Bartholomew", "Quincy"], "text": "Bartholomew Q. Zwicky"}],
  "telecom": [{"system": "phone", "value": "+1 503 555 0147"}, {"system": "email", "value": "bart.zwicky@example.net"}],
  "gender": "male", "birthDate": "1958-11-02",
  "address": [{"line": ["1219 Mulberry Crescent", "Apt 7B"], "city": "Hillsboro", "district": "Washington County",
               "state": "OR", "postalCode": "97124-5521", "text": "1219 Mulberry Crescent, Hillsboro"}],
  "contact": [{"name": {"family": "Zwicky", "given": ["Henrietta"]}, "telecom": [{"system": "phone", "value": "503-555-0199"}]}],
  "photo": [{"contentType": "image/png", "data": "U0VDUkVUUEhPVE8=", "url": "https://photos.example/bart.png"}]}},
 {"fullUrl": "urn:uuid:7d1b2c3a-0000-4000-8000-00000000a003", "resource": {
  "resourceType": "Observation", "id": "obs-5521", "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0", "display": "Glucose"}]},
  "subject": {"reference": "urn:uuid:7d1b2c3a-0000-4000-8000-00000000a001", "display": "Bartholomew Zwicky"},
  "effectiveDateTime": "2025-09-15T06:00:00Z", "issued": "2025-09-15T09:30:00Z",
  "valueQuantity": {"value": 131, "unit": "mg/dL"},
  "note": [{"text": "Bartholomew fasting, call 503-555-0147"}]}}]}
EOF
cat > "$T/zwicky-visit.json" <<'EOF'
{"resourceType": "Encounter", "id": "enc-9917", "status": "finished",
 "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
 "subject": {"reference": "Patient/pt-3345", "display": "Bartholomew Zwicky"},
 "period": {"start": "2025-09-14T07:20:00Z", "end": "2025-09-17T11:00:00Z"}}
EOF
printf 'not FHIR: Zwicky scan, SSN 123-45-6789\n' > "$T/zwicky-scan.txt"
mkdir -p "$T/store"
check_exit "the patient adds the rich Bundle (on chain)" 0 "$EHR" --wallet pat record add "$T/rich.json" \
	--title "Bartholomew Zwicky's chart" --yes
check_exit "an Encounter in a dir: store" 0 "$EHR" --wallet pat record add "$T/zwicky-visit.json" \
	--store "dir:$T/store" --yes
check_exit "and a file that is not FHIR" 0 "$EHR" --wallet pat record add "$T/zwicky-scan.txt" --yes
n_records=$("$CAST" call "$REG" 'recordCount()(uint256)')
check_eq "three records" "$n_records" 3

## the research grant
n0=$("$CAST" nonce "$PAT")
check_exit "a research grant without a terminal and without --yes is refused (2)" 2 "$EHR" --wallet pat grant "$RES" \
	--records 1,2,3 --for 1h --purpose research < /dev/null
grep_err "  the question says no record's own key is ever released" \
	"for research. An authorisation only: no record's own key is ever released for it; .*de-identified copies"
check_eq "  nothing sent" "$("$CAST" nonce "$PAT")" "$n0"
check_exit "grant the researcher records 1-3 for research" 0 "$EHR" --wallet pat grant "$RES" --records 1,2,3 \
	--for 1h --purpose research --yes --json
GID=$(json_num grant)
check_eq "its purpose on chain is research (3)" \
	"$("$CAST" call "$REG" 'consentOf(uint256)(address,address,uint64,uint8,uint8,uint64,address,bool)' "$GID" |
	sed -n 5p)" 3

## the researcher asks; the patient approves; only copies come back
old=$(request_ids pat | tr '\n' ' ')
"$EHR" --wallet res access "$GID" -o "$T/res" --yes --json > "$T/res.out" 2> "$T/res.err" &
apid=$!
RID=$(pending_request pat access "$old")
check_eq "the researcher's request is logged" "$([ -n "$RID" ] && echo yes)" yes
REQ=${RID#a}
refused "the registry refuses the records' own keys for a research grant" 'ResearchGetsDerivedOnly()' "$PAT" \
	'release(uint256,uint256[],bytes[])' "$REQ" '[1]' "[0x$(rand_hex 80)]"
refused "releaseDerived naming an old record as the copy is refused" 'NotDerived(uint256)' "$PAT" \
	'releaseDerived(uint256,uint256[],uint256[],bytes[])' "$REQ" '[1]' '[2]' "[0x$(rand_hex 80)]"
refused "releaseDerived by anyone but the patient is refused" 'NotPatient()' "$DOC" \
	'releaseDerived(uint256,uint256[],uint256[],bytes[])' "$REQ" '[1]' '[0]' '[0x]'
refused "releaseDerived of a record not requested is refused" 'NotRequested(uint256)' "$PAT" \
	'releaseDerived(uint256,uint256[],uint256[],bytes[])' "$REQ" '[4]' '[0]' '[0x]'
refused "releaseDerived with lists of different lengths is refused" 'LengthMismatch()' "$PAT" \
	'releaseDerived(uint256,uint256[],uint256[],bytes[])' "$REQ" '[1,2]' '[0]' '[0x,0x]'
nonce0=$("$CAST" nonce "$PAT")
check_exit "the patient approves" 0 "$EHR" --wallet pat request approve "$RID" --yes
grep_err "  the patient is told the non-FHIR record is not released" "1 record is not FHIR (or a de-identified copy already): not released"
grep_err "  and that copies were released" "released 2 de-identified copies"
check_eq "  two transactions: the copies anchored, then releaseDerived" "$("$CAST" nonce "$PAT")" $((nonce0 + 2))
wait $apid
check_eq "the researcher's access completes" "$?" 0
cp "$T/res.out" "$E2E_OUT"
cp "$T/res.err" "$E2E_ERR"
grep_err "  the researcher is told record 3 was withheld" "record 3 was not released: a research grant receives de-identified FHIR only"
check_eq "  the JSON says which copy stands for which record, and what was withheld" \
	"$(python3 -c '
import json, sys
out = json.load(open(sys.argv[1]))
print(sorted((o.get("deidentified_copy_of", 0), o["id"], o.get("withheld", False)) for o in out))' "$T/res.out")" \
	"[(0, 3, True), (1, 4, False), (2, 5, False)]"
check_eq "  two files delivered (and the folder's list)" "$(ls "$T/res" | sort | tr '\n' ' ')" \
	"deidentified-record-1.json deidentified-record-2.json "
check_eq "  each 0600" "$(stat -c %a "$T/res"/* | sort -u)" 600
for id in Zwicky Bartholomew Quincy Henrietta 123-45-6789 6789 MRN-88213377 88213377 "555 0147" 555-0147 \
	555-0199 bart.zwicky@example.net Mulberry "Apt 7B" Hillsboro Washington 97124 5521 1958-11 -11-02 \
	2025-09 U0VDUkVUUEhPVE8= photos.example fasting "not FHIR" pt-3345 enc-9917 obs-5521 bundle-4711 \
	7d1b2c3a "chart" "zwicky"; do
	if grep -rqiF -- "$id" "$T/res"; then fail "'$id' reached the researcher"
	else ok "'$id' is not in what the researcher got"; fi
done
check_eq "what stays: clinical facts, years, state, 3-digit ZIP, consistent references" "$(python3 -c '
import json, sys, glob
b = json.load(open(sys.argv[1] + "/deidentified-record-1.json"))
enc = json.load(open(sys.argv[1] + "/deidentified-record-2.json"))
by = {e["resource"]["resourceType"]: e for e in b["entry"]}
p, o = by["Patient"]["resource"], by["Observation"]["resource"]
print(p["birthDate"], p["gender"], p["address"][0]["postalCode"], p["address"][0]["state"],
      o["valueQuantity"]["value"], o["effectiveDateTime"], enc["period"]["start"][:4],
      o["subject"]["reference"] == by["Patient"]["fullUrl"], enc["subject"]["reference"] == "urn:uuid:" + p["id"])' "$T/res")" \
	"1958 male 971 OR 131 2025 2025 True True"

## on chain: the derived release, and no key of an original
derived() { "$CAST" logs --address "$REG" \
	'DerivedReleased(address indexed,uint256 indexed,address indexed,uint256,uint256[],uint256[],bytes[])' \
	--from-block 0 2> /dev/null | grep -c transactionHash; }
released_to_grant() { "$CAST" logs --address "$REG" \
	'KeysReleased(address indexed,uint256 indexed,address indexed,uint256,uint256[],bytes[])' \
	"$PAT" "$1" --from-block 0 2> /dev/null | grep -c transactionHash; }
check_eq "one DerivedReleased" "$(derived)" 1
SILENT=$E2E_TOOLS_DIR/silent_reader
if [ -x "$SILENT" ]; then
	check_exit "silent reader: what the researcher's key opens in all public chain data" 0 "$SILENT" \
		--rpc "$EHR_RPC_URL" --registry "$REG" --mnemonic-file "$T/res-m"
	check_eq "  the two copies' keys, no original's" "$(cat "$E2E_OUT")" 2
else
	fail "tests/tools/silent_reader is built (make test builds it)"
fi
check_eq "no KeysReleased under the research grant" "$(released_to_grant "$GID")" 0
check_eq "the copies are the patient's records, anchored after the request" \
	"$("$CAST" call "$REG" 'recordOf(uint256)(address,uint64,bool)' 4 | head -n 1)" "$PAT"
check_eq "  the request is answered: nothing more is requested" \
	"$("$CAST" call "$REG" 'isRequested(uint256,uint256)(bool)' "$REQ" 1)" false
refused "the researcher cannot ask for the copy as a record of the grant" 'NotCovered(uint256)' "$RES" \
	'requestAccess(address,uint256,uint256[])(uint256)' "$PAT" "$GID" '[4]'

## the audit shows it
check_exit "the patient's audit" 0 "$EHR" --wallet pat audit
if grep -q "de-identified released.*record 1 .*as de-identified record 4.*record 3 .*withheld (not FHIR)" "$E2E_OUT"
then ok "  the derived release, copy by copy"; else fail "$(grep -i de-identified "$E2E_OUT")"; fi
check_exit "the audit as JSON" 0 "$EHR" --wallet pat audit --json
if tr -d ' \n\t' < "$E2E_OUT" | grep -q '"event":"de-identifiedreleased".*"records":\[1,2,3\].*"deidentified_copies":\[4,5,0\]'
then ok "  with the copies"; else fail "$(cat "$E2E_OUT")"; fi
check_exit "the researcher's audit shows it too" 0 "$EHR" --wallet res audit
if grep -q "de-identified released" "$E2E_OUT"; then ok "  de-identified released"; else fail "$(cat "$E2E_OUT")"; fi

## a treatment grant's request cannot be answered with copies; research keys never up front
check_exit "a treatment grant to the doctor" 0 "$EHR" --wallet pat grant "$DOC" --records 1 --for 1h --yes --json
TGID=$(json_num grant)
check_exit "the doctor asks, not waiting" 1 "$EHR" --wallet doc access "$TGID" -o "$T/doc" --wait 1s --yes
TREQ=$(pending_request pat access)
TREQ=${TREQ#a}
refused "releaseDerived for a treatment grant is refused" 'NotResearch()' "$PAT" \
	'releaseDerived(uint256,uint256[],uint256[],bytes[])' "$TREQ" '[1]' '[4]' "[0x$(rand_hex 80)]"
refused "addGrantKeys with keys on a research grant is refused" 'ResearchGetsDerivedOnly()' "$PAT" \
	'addGrantKeys(uint256,uint256[],bytes[])' "$GID" '[1]' "[0x$(rand_hex 80)]"
check_exit "  without keys it is fine" 0 \
	"$CAST" call --from "$PAT" "$REG" 'addGrantKeys(uint256,uint256[],bytes[])' "$GID" '[1]' '[]'

## provider first: a research grant request is approved without keys
check_exit "the researcher asks for record 1 for research" 0 "$EHR" --wallet res request --patient "$PAT" \
	--records 1 --for 1d --purpose research --yes
GRQ=$(pending_request pat grant)
refused "approveGrant with keys for research is refused" 'ResearchGetsDerivedOnly()' "$PAT" \
	'approveGrant(uint256,uint256[],bytes[])(uint256)' "${GRQ#g}" '[1]' "[0x$(rand_hex 80)]"
check_exit "the patient approves: the grant only" 0 "$EHR" --wallet pat request approve "$GRQ" --yes
grep_err "  saying no key is released now" "research grant [0-9]* made for .*, no key released"
GID2=$("$EHR" --wallet res grant list --received --active --json | tr -d '\n\t' | tr '{' '\n' |
	grep '"purpose":"research"' | sed -n 's/.*"grant":\([0-9]*\).*/\1/p' | tail -n 1)
check_eq "  a second research grant" "$([ -n "$GID2" ] && [ "$GID2" != "$GID" ] && echo yes)" yes
check_eq "  no key released with it" "$(released_to_grant "$GID2")" 0

## watch --release answers a research request the same way; another grant, other pseudonyms
old=$(request_ids pat | tr '\n' ' ')
"$EHR" --wallet res access "$GID2" -o "$T/res2" --yes > "$T/res2.out" 2> "$T/res2.err" &
apid=$!
RID2=$(pending_request pat access "$old")
check_exit "watch --release --once answers it" 0 "$EHR" --wallet pat watch --release --once --from 0 --yes
grep_err "  saying de-identified copies were released" "1 de-identified copy released"
wait $apid
check_eq "the researcher's second access completes" "$?" 0
cp "$T/res2.err" "$E2E_ERR"
grep_err "  the researcher was told before asking that the grant is for research" "is for research: the patient's ehr answers with de-identified copies"
if grep -q "(de-identified copy of record 1)" "$T/res2.out"; then ok "  the copy is named as such"; else fail "$(cat "$T/res2.out")"; fi
pid() { python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))
print([e["resource"]["id"] for e in b["entry"] if e["resource"]["resourceType"] == "Patient"][0])' "$1"; }
p1=$(pid "$T/res/deidentified-record-1.json") p2=$(pid "$T/res2/deidentified-record-1.json")
if [ -n "$p1" ] && [ -n "$p2" ] && [ "$p1" != "$p2" ]; then ok "two grants give the patient different pseudonyms"
else fail "pseudonyms '$p1' '$p2'"; fi
if grep -rqF Zwicky "$T/res2"; then fail "a name reached the researcher through watch"; else ok "  and no name"; fi

## a research grant over all records: copies are never copied again
check_exit "a research grant over all records to the doctor" 0 "$EHR" --wallet pat grant "$DOC" --all --for 1h \
	--purpose research --yes --json
GID3=$(json_num grant)
before=$("$CAST" call "$REG" 'recordCount()(uint256)')
access_released doc pat "$GID3" -o "$T/doc-all" --yes --json
check_eq "the doctor's access completes" "$?" 0
check_eq "  two new copies only (of records 1 and 2)" "$("$CAST" call "$REG" 'recordCount()(uint256)')" $((before + 2))
check_eq "  the copies of 1 and 2 fetched; 3 and the earlier copies withheld" "$(python3 -c '
import json, sys
out = json.load(open(sys.argv[1]))
print(sorted(o.get("deidentified_copy_of", o["id"]) for o in out if not o.get("withheld")),
      sorted(o["id"] for o in out if o.get("withheld")))' "$E2E_OUT")" "[1, 2] [3, 4, 5, 6]"

## the same grant asked again: new copies, the same pseudonyms (references across answers still agree)
access_released res pat "$GID" -o "$T/res-again" --yes
check_eq "the researcher asks again under the first grant" "$?" 0
p3=$(pid "$T/res-again/deidentified-record-1.json")
if [ -n "$p3" ] && [ "$p3" = "$p1" ]; then ok "  the patient's pseudonym is the grant's, as before"
else fail "pseudonyms '$p1' '$p3'"; fi
finish
