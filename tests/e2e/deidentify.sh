#!/bin/sh
# `ehr record export --fhir --deidentify` against a real anvil: a rich
# Patient Bundle goes in, and the exported file holds none of its
# identifiers; non-FHIR records are left out with a warning; two exports
# do not share pseudonyms.
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
chain_setup 'deidentify test passphrase'
new_wallets pat

cat > "$T/rich.json" <<'EOF'
{"resourceType": "Bundle", "id": "bundle-4711", "type": "collection", "entry": [
 {"fullUrl": "urn:uuid:7d1b2c3a-0000-4000-8000-00000000a001", "resource": {
  "resourceType": "Patient", "id": "pt-3345",
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Bartholomew Zwicky</div>"},
  "identifier": [{"system": "urn:oid:2.16.840.1.113883.4.1", "value": "MRN-88213377"}],
  "name": [{"family": "Zwicky", "given": ["Bartholomew"]}],
  "telecom": [{"system": "phone", "value": "+1 503 555 0147"}, {"system": "email", "value": "bart.zwicky@example.net"}],
  "gender": "male", "birthDate": "1958-11-02",
  "address": [{"line": ["1219 Mulberry Crescent"], "city": "Hillsboro", "state": "OR", "postalCode": "97124-5521"}],
  "photo": [{"contentType": "image/png", "data": "U0VDUkVUUEhPVE8="}]}},
 {"fullUrl": "urn:uuid:7d1b2c3a-0000-4000-8000-00000000a002", "resource": {
  "resourceType": "Encounter", "id": "enc-9917", "status": "finished",
  "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
  "subject": {"reference": "urn:uuid:7d1b2c3a-0000-4000-8000-00000000a001", "display": "Bartholomew Zwicky"},
  "period": {"start": "2025-09-14T07:20:00Z", "end": "2025-09-17T11:00:00Z"}}},
 {"fullUrl": "urn:uuid:7d1b2c3a-0000-4000-8000-00000000a003", "resource": {
  "resourceType": "Observation", "id": "obs-5521", "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0", "display": "Glucose"}]},
  "subject": {"reference": "urn:uuid:7d1b2c3a-0000-4000-8000-00000000a001"},
  "encounter": {"reference": "urn:uuid:7d1b2c3a-0000-4000-8000-00000000a002"},
  "effectiveDateTime": "2025-09-15T06:00:00Z", "issued": "2025-09-15T09:30:00Z",
  "valueQuantity": {"value": 131, "unit": "mg/dL"},
  "note": [{"text": "Bartholomew fasting, call 503-555-0147"}]}}]}
EOF
printf 'not FHIR: Zwicky scan\n' > "$T/scan.bin"
check_exit "the patient adds the rich Bundle" 0 "$EHR" --wallet pat record add "$T/rich.json" --yes
check_exit "and a file that is not FHIR" 0 "$EHR" --wallet pat record add "$T/scan.bin" --yes

check_exit "export --deidentify" 0 "$EHR" --wallet pat record export --fhir "$T/deid.json" --deidentify
if grep -q "1 record is not FHIR, left out" "$E2E_ERR"; then ok "the non-FHIR record left out, said on stderr"
else fail "no warning about the non-FHIR record: $(cat "$E2E_ERR")"; fi
check_eq "the export is 0600" "$(stat -c %a "$T/deid.json")" 600
for id in Zwicky Bartholomew MRN-88213377 88213377 "555 0147" 555-0147 bart.zwicky@example.net \
	Mulberry Hillsboro 97124 1958-11 2025-09 pt-3345 enc-9917 obs-5521 bundle-4711 \
	7d1b2c3a U0VDUkVUUEhPVE8= "not FHIR" DocumentReference; do
	if grep -qF -- "$id" "$T/deid.json"; then fail "'$id' is in the de-identified export"
	else ok "'$id' is gone"; fi
done
check_eq "what stays: the clinical facts, years, state, 3-digit ZIP" "$(python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))
res = [e["resource"] for e in b["entry"]]
inner = [e["resource"] for r in res if r["resourceType"] == "Bundle" for e in r["entry"]]
by = {r["resourceType"]: r for r in inner}
p, o, enc = by["Patient"], by["Observation"], by["Encounter"]
ok_refs = o["subject"]["reference"] == [e["fullUrl"] for r in res for e in r["entry"] if e["resource"]["resourceType"] == "Patient"][0]
print(len(res), p["birthDate"], p["gender"], p["address"][0]["postalCode"], p["address"][0]["state"],
      o["valueQuantity"]["value"], o["effectiveDateTime"], enc["period"]["start"], ok_refs)' "$T/deid.json")" \
	"1 1958 male 971 OR 131 2025 2025 True"
check_exit "a second export" 0 "$EHR" --wallet pat record export --fhir "$T/deid2.json" --deidentify
pid() { python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))
print([e["resource"]["id"] for e in b["entry"][0]["resource"]["entry"] if e["resource"]["resourceType"] == "Patient"][0])' "$1"; }
p1=$(pid "$T/deid.json") p2=$(pid "$T/deid2.json")
if [ -n "$p1" ] && [ "$p1" != "$p2" ]; then ok "two exports give the patient different pseudonyms"
else fail "the pseudonyms agree across exports: '$p1' '$p2'"; fi
check_exit "the plain export still has the identifiers" 0 "$EHR" --wallet pat record export --fhir "$T/plain.json"
if grep -qF Zwicky "$T/plain.json" && grep -qF MRN-88213377 "$T/plain.json"; then ok "plain export unchanged"
else fail "the plain export lost data"; fi
check_exit "--deidentify without --fhir is a usage error" 2 "$EHR" --wallet pat record export --deidentify
finish
