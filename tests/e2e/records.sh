#!/bin/sh
# The key directory and records against a real anvil: register, record add,
# list, get, verify, erase, export, through both stores; cross-checked with
# cast; every refusal with its status and nothing written.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
json_field() { # FIELD: a string field of the last JSON output
	sed -n "s/.*\"$1\":[^\"]*\"\([^\"]*\)\".*/\1/p" "$E2E_OUT" | head -n 1
}
T=$E2E_TMP
chain_setup 'records test passphrase'
for w in alice bob carol; do
	"$EHR" --wallet $w init --kdf interactive --mnemonic-out "$T/$w-m" -q
	"$EHR" --wallet dev send "$("$EHR" --wallet $w address)" 10 --yes -q > /dev/null
done
ALICE=$("$EHR" --wallet alice address)
BOB=$("$EHR" --wallet bob address)
CAROL=$("$EHR" --wallet carol address)
# the identifier system of record ids in FHIR output
RSYS="urn:ehr:record:eip155:$("$CAST" chain-id):$REG"

## register
check_exit "alice registers as a patient" 0 "$EHR" --wallet alice register --name "Alice Example" --yes
check_exit "bob registers as a provider" 0 "$EHR" --wallet bob register --name "Dr. Bob" --role provider --yes
grep_err "says the name is public and permanent" "the name 'Dr. Bob' is public and permanent"
check_exit "register --show reads the entry back" 0 "$EHR" register --show "$BOB" --json
check_eq "name" "$(json_field name)" "Dr. Bob"
check_eq "role" "$(json_field role)" provider
key=$(json_field encryption_key)
check_eq "the published key is the wallet's encryption key" "$key" \
	"$("$EHR" --wallet bob address --json | sed -n 's/.*"encryption_key":[^"]*"\([0-9a-f]*\)".*/\1/p')"
check_eq "cast reads the same key from the registry" \
	"$("$CAST" call "$REG" 'accountOf(address)(bytes32,string,uint8)' "$BOB" | head -n 1)" "0x$key"
check_exit "an unregistered account is not found (1)" 1 "$EHR" register --show "$CAROL"
grep_err "says not registered" "not registered"
check_exit "a name over 64 bytes is refused (2)" 2 "$EHR" --wallet carol register \
	--name "$(printf '%070d' 0)" --yes
check_exit "an unknown role is refused (2)" 2 "$EHR" --wallet carol register --role doctor --yes
check_eq "carol is still unregistered" "$("$CAST" call "$REG" 'accountOf(address)(bytes32,string,uint8)' "$CAROL" | tail -n 1)" 0
check_exit "without a registry it says how to get one (2)" 2 "$EHR" --wallet carol --rpc "$EHR_RPC_URL" \
	--network local register --registry 0x0000000000000000000000000000000000000000 --show

## records: round trips through both stores, bytes identical
mkdir -p "$T/files" "$T/out" "$T/store"
for size in 0 1 65535 65536 65537 5242880; do
	head -c $size /dev/urandom > "$T/files/r$size.bin"
done
count() { "$CAST" call "$REG" 'recordCount()(uint256)'; }
for store in chain "dir:$T/store"; do
	n0=$(count)
	check_exit "add six sizes to $store" 0 "$EHR" --wallet alice record add "$T"/files/r*.bin \
		--store "$store" --yes --json
	check_eq "six records anchored ($store)" "$(count)" $((n0 + 6))
	for size in 0 1 65535 65536 65537 5242880; do
		id=$(grep -B3 "\"r$size.bin\"" "$E2E_OUT" | sed -n 's/.*"id":[^0-9]*\([0-9]*\).*/\1/p')
		rm -f "$T/out/r$size"
		"$EHR" --wallet alice record get "$id" -o "$T/out/r$size" -q 2> "$T/get.err"
		if cmp -s "$T/files/r$size.bin" "$T/out/r$size"; then ok "$size bytes round trip ($store)"
		else fail "$size bytes round trip ($store): $(cat "$T/get.err")"; fi
	done
	check_eq "plaintext is 0600" "$(stat -c %a "$T/out/r65537")" 600
done
ls "$T/store" | grep -c '\.ehr$' > "$T/nstore"
check_eq "the dir store holds six files named by hash" "$(cat "$T/nstore")" 6
check_eq "stored ciphertext is 0600" "$(stat -c %a "$(ls "$T"/store/*.ehr | head -n 1)")" 600
check_exit "verify --all" 0 "$EHR" --wallet alice record verify --all
check_exit "a record to stdout" 0 "$EHR" --wallet alice record get 2 -o -
check_eq "stdout holds the bytes" "$(od -An -tx1 < "$E2E_OUT")" "$(od -An -tx1 < "$T/files/r1.bin")"

## list shows titles and types decrypted locally
check_exit "record list --json" 0 "$EHR" --wallet alice record list --json
check_eq "twelve records listed" "$(grep -c '"id"' "$E2E_OUT")" 12
check_exit "bob cannot list alice's records as his" 0 "$EHR" --wallet bob record list --json
check_eq "bob has none" "$(grep -c '"id"' "$E2E_OUT")" 0

## FHIR in and out
V=${EHR_VECTORS:-$E2E_ROOT/../shared/vectors}
if [ -d "$V/fhir-r4" ]; then
	check_exit "add every FHIR R4 example" 0 "$EHR" --wallet carol record add "$V"/fhir-r4/[A-Z]*-*.json --yes --json
	nf=$(ls "$V"/fhir-r4/[A-Z]*-*.json | wc -l)
	check_eq "one record per example" "$(grep -c '"id"' "$E2E_OUT")" "$nf"
	check_exit "list them" 0 "$EHR" --wallet carol record list --json
	for f in "$V"/fhir-r4/[A-Z]*-*.json; do
		rt=$(basename "$f" | cut -d- -f1)
		if grep -q "\"type\":	\"$rt\"" "$E2E_OUT"; then ok "$rt listed with its type"; else fail "$rt not listed with its type"; fi
	done
	check_exit "split the IPS Bundle" 0 "$EHR" --wallet carol record add "$V/shl/IPS_IG-bundle-01.json" \
		--split-bundle --yes --json
	check_eq "one record per entry (20)" "$(grep -c '"id"' "$E2E_OUT")" 20
	check_exit "list the split entries" 0 "$EHR" --wallet carol record list --json
	cp "$E2E_OUT" "$T/carol.json"
	check_eq "each entry titled by what it names" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = {(r["resource_type"], r["title"]) for r in d if r["file"].startswith("IPS_IG-bundle-01.json#")}
want = [("Observation", "Blood typing"), ("Observation", "Hemoglobin A1c/Hemoglobin.total in Blood by HPLC"), ("AllergyIntolerance", "Substance with penicillin structure and antibacterial mechanism of action (substance)"),
	("Patient", "Martha DeLarosa"), ("Practitioner", "Beetje van Hulp"),
	("Organization", "Laboratoire de charme"), ("Composition", "Patient Summary as of December 11, 2017 14:30")]
print([w for w in want if w not in t], sorted(x for _, x in t if " entry " in x))' "$T/carol.json")" \
		"[] ['AllergyIntolerance (IPS_IG-bundle-01.json, entry 20)', 'MedicationStatement (IPS_IG-bundle-01.json, entry 6)', 'MedicationStatement (IPS_IG-bundle-01.json, entry 7)']"
	check_eq "every record: author is carol's address, author_name you" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print({(r["author"], r["author_name"]) for r in d} == {(sys.argv[2], "you")})' "$T/carol.json" "$CAROL")" True
	# a provider writes into carol's chart under a write grant (the
	# registry's anchorRecord through cast, as audit.sh does: an envelope
	# whose data key is sealed to nobody, so carol cannot read it)
	DR="--wallet dev --account 2"
	DR_ADDR=$("$EHR" $DR address)
	"$EHR" $DR register --name "Dr. Who" --role provider --yes -q
	first=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$T/carol.json")
	"$EHR" --wallet carol grant "$DR_ADDR" --records "$first" --for 1h --write --yes --json > "$T/wg.json"
	WG=$(sed -n 's/.*"grant":[^0-9]*\([0-9]*\).*/\1/p' "$T/wg.json")
	"$CAST" send "$REG" 'anchorRecord(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes))' "$CAROL" "$WG" \
		"(0x$(rand_hex 32),10,chain,0x$(rand_hex 80),0x,0x$(rand_hex 100))" --private-key "$(anvil_key 2)" > /dev/null
	check_exit "carol lists her chart" 0 "$EHR" --wallet carol record list --json
	check_eq "the provider's record: author and registered name" "$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))[-1]
print(r["author"], r["author_name"], r["readable"])' "$E2E_OUT")" "$DR_ADDR Dr. Who False"
	check_exit "record list (table)" 0 "$EHR" --wallet carol record list
	cp "$E2E_OUT" "$T/list.txt"
	if grep -q "^ID  *CREATED  *TYPE  *BYTES  *STORE  *AUTHOR  *TITLE$" "$T/list.txt"; then ok "the header names the author column"
	else fail "header: $(head -n 1 "$T/list.txt")"; fi
	if grep -q " you  *Hemoglobin A1c/Hemoglobin.total in Blood by HPLC$" "$T/list.txt"; then ok "the patient's own records: you"
	else fail "you: $(cat "$T/list.txt")"; fi
	if grep -q "Dr. Who (unverified, $DR_ADDR)  *(not readable)$" "$T/list.txt"; then ok "the provider's record: name, unverified, and address"
	else fail "provider: $(cat "$T/list.txt")"; fi
	if grep -q " MedicationStatement " "$T/list.txt"; then ok "the type is whole"; else fail "type cut: $(cat "$T/list.txt")"; fi
	check_eq "piped: one line per record and the header" "$(wc -l < "$T/list.txt")" \
		"$(($(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/carol.json") + 2))" # and the provider's
	if have_tty; then
		on_tty 100 "$T/tty.txt" "$EHR" --wallet carol record list
		check_eq "on a 100-column terminal: exit 0" $? 0
		check_eq "every line within 100 columns" "$(test "$(widest_line "$T/tty.txt")" -le 100 && echo yes)" yes
		check_eq "piped, the widest line is wider" "$(test "$(widest_line "$T/list.txt")" -gt 100 && echo yes)" yes
		if grep -q " MedicationStatement " "$T/tty.txt"; then ok "the type is not cut on a terminal"
		else fail "type cut on a terminal: $(cat "$T/tty.txt")"; fi
		cell=$(wrapped_cell "$T/tty.txt" "Patient Summary" 6)
		check_eq "the long title wrapped onto continuation lines, no word lost" \
			"$(test "${cell##* }" -gt 1 && echo "${cell% *}")" "Patient Summary as of December 11, 2017 14:30"
		on_tty 100 "$T/wide.txt" "$EHR" --wallet carol record list --wide
		check_eq "--wide on a terminal: the piped table, byte for byte" "$(cmp "$T/wide.txt" "$T/list.txt" && echo same)" same
	else
		echo "skip: no script(1) for a terminal"
	fi
	check_exit "export a FHIR Bundle" 0 "$EHR" --wallet carol record export --fhir "$T/export.json"
	check_eq "export is 0600" "$(stat -c %a "$T/export.json")" 600
	want=$((nf + 20))
	check_eq "the Bundle parses and holds every resource, each with its DocumentReference" "$(python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))
assert b["resourceType"] == "Bundle" and b["type"] == "collection"
ours = lambda r: r["resourceType"] == "DocumentReference" and r.get("identifier", [{}])[0].get("system") == sys.argv[2]
res = [e for e in b["entry"] if not ours(e["resource"])]
docs = [e["resource"] for e in b["entry"] if ours(e["resource"])]
urls = [d["content"][0]["attachment"]["url"] for d in docs]
assert sorted(urls) == sorted(e["fullUrl"] for e in res), "each DocumentReference points at a resource"
print(len(res), len(set(d["identifier"][0]["value"] for d in docs)))' "$T/export.json" "$RSYS")" "$want $want"
	check_exit "the Patient comes back as it went in" 0 python3 -c '
import json, sys
b = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
assert any(e["resource"] == p for e in b["entry"])' "$T/export.json" "$V/fhir-r4/Patient-example.json"
else
	echo "skip: FHIR vectors not found"
fi
check_exit "a non-FHIR file exports as DocumentReference + Binary" 0 "$EHR" --wallet bob record add \
	"$T/files/r1.bin" --yes
check_exit "bob exports" 0 "$EHR" --wallet bob record export --fhir "$T/bob.json"
check_exit "with its bytes and hash" 0 python3 -c '
import json, sys, base64, hashlib
b = json.load(open(sys.argv[1])); data = open(sys.argv[2], "rb").read()
bins = [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "Binary"]
docs = [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "DocumentReference"]
assert len(bins) == 1 and len(docs) == 1 and base64.b64decode(bins[0]["data"]) == data
att = docs[0]["content"][0]["attachment"]
assert att["size"] == len(data) and base64.b64decode(att["hash"]) == hashlib.sha1(data).digest()' \
	"$T/bob.json" "$T/files/r1.bin"
# A FHIR record goes in as it is, described by a DocumentReference that
# carries its record id; `audit --fhir` names records by the same
# identifier, so the two join.
printf '{"resourceType": "Observation", "status": "final", "code": {"text": "HbA1c"},\n "valueQuantity": {"value": 1.50, "unit": "%%"}}\n' \
	> "$T/obs.json"
check_exit "bob adds a FHIR record" 0 "$EHR" --wallet bob record add "$T/obs.json" --title "HbA1c" --yes --json
obs_id=$(sed -n 's/.*"id":[^0-9]*\([0-9]*\).*/\1/p' "$E2E_OUT")
check_exit "bob exports both" 0 "$EHR" --wallet bob record export --fhir "$T/bob2.json"
check_eq "the FHIR record as it went in, and its DocumentReference pointing at it" "$(python3 -c '
import json, sys
b = json.load(open(sys.argv[1])); obs = json.load(open(sys.argv[2]))
by_url = {e["fullUrl"]: e["resource"] for e in b["entry"]}
doc = [r for r in by_url.values() if r["resourceType"] == "DocumentReference" and
	r["identifier"] == [{"system": sys.argv[3], "value": sys.argv[4]}]][0]
att = doc["content"][0]["attachment"]
print(by_url[att["url"]] == obs, att["contentType"], doc["type"]["text"], doc["description"],
	"size" in att or "hash" in att)' "$T/bob2.json" "$T/obs.json" "$RSYS" "$obs_id")" \
	"True application/fhir+json Observation HbA1c False"
check_exit "bob's audit as FHIR" 0 "$EHR" --wallet bob audit --fhir "$T/bob-audit.json"
check_eq "the audit names bob's records by the identifiers of the export" "$(python3 -c '
import json, sys
audit, export = (json.load(open(f)) for f in sys.argv[1:3])
added = [x["what"] for e in audit["entry"] if e["resource"]["resourceType"] == "AuditEvent"
	and e["resource"]["subtype"][0]["code"] == "record-added" for x in e["resource"]["entity"]
	if x["what"].get("type") == "DocumentReference"]
docs = [e["resource"] for e in export["entry"] if e["resource"]["resourceType"] == "DocumentReference"]
a = sorted((w["identifier"]["system"], w["identifier"]["value"], w["display"]) for w in added)
x = sorted((i["system"], i["value"], d["description"]) for d in docs for i in d["identifier"])
print(len(a), a == x)' "$T/bob-audit.json" "$T/bob2.json")" "2 True"

## refusals: status, message, nothing written
printf '{"resourceType": "Patient",\n "name": [ }\n' > "$T/bad.json"
n0=$(count)
check_exit "invalid JSON in a .json file is refused (2)" 2 "$EHR" --wallet alice record add "$T/bad.json" --yes
grep_err "says where it breaks" "line 2, column"
check_eq "nothing anchored" "$(count)" "$n0"
printf '{"resourceType": "Patinet", "name": [{"family": "Doe"}]}\n' > "$T/patinet.json"
check_exit "a resourceType that is not R4 is refused (2)" 2 "$EHR" --wallet alice record add \
	"$T/files/r1.bin" "$T/patinet.json" --yes
grep_err "names the file, the type and a guess" "patinet.json: \"Patinet\" is not a FHIR R4 resource type (did you mean \"Patient\"?)"
check_eq "nothing anchored, the good file neither" "$(count)" "$n0"
printf '{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient"}},\n {"fullUrl": "urn:x"}]}\n' \
	> "$T/bundle-bad.json"
check_exit "a Bundle entry without a resource is refused (2)" 2 "$EHR" --wallet alice record add "$T/bundle-bad.json" --yes
grep_err "names the entry" "bundle-bad.json: entry\[1\]: an entry of a collection Bundle needs a \"resource\""
check_exit "and with --split-bundle too (2)" 2 "$EHR" --wallet alice record add "$T/bundle-bad.json" --split-bundle --yes
grep_err "the same message" "entry\[1\]: an entry of a collection Bundle"
printf '{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", "gender": "f"}}]}\n' \
	> "$T/bundle-gender.json"
check_exit "a Patient's bad gender inside a Bundle is refused (2)" 2 "$EHR" --wallet alice record add \
	"$T/bundle-gender.json" --split-bundle --yes
grep_err "names the path and the values allowed" "entry\[0\].resource: Patient.gender must be one of male, female, other, unknown"
check_eq "still nothing anchored" "$(count)" "$n0"
check_exit "a missing file is refused (2)" 2 "$EHR" --wallet alice record add "$T/nope.pdf" --yes
mkdir -p -m 700 "$T/noreg/wallets"
cp "$EHR_HOME/wallets/alice.json" "$T/noreg/wallets/"
check_exit "record add with no registry configured (2)" 2 env EHR_HOME="$T/noreg" "$EHR" --wallet alice \
	--rpc "$EHR_RPC_URL" record add "$T/files/r1.bin" --yes
grep_err "says a registry comes from the network's configuration" \
	"The registry comes with the network's configuration: the clinic or network operator gives its address"
grep_err "then mentions deploy" "operator gives its address.*Only to run a chain of your own, 'ehr deploy'"
check_eq "nothing anchored without a registry" "$(count)" "$n0"
check_eq "and no config written" "$(test -e "$T/noreg/config.json" || echo none)" none
check_exit "a record that does not exist (1)" 1 "$EHR" --wallet alice record get 9999 -o "$T/out/x"
grep_err "says so" "no record 9999"
check_exit "another patient's record without a grant (5)" 5 "$EHR" --wallet bob record get 1 -o "$T/out/x"
grep_err "says whose it is and what to do" "ehr grant"
check_eq "no file written" "$(test -e "$T/out/x" || echo none)" none
echo keep > "$T/out/exists"
check_exit "an existing output file is refused (2)" 2 "$EHR" --wallet alice record get 2 -o "$T/out/exists"
check_eq "and left alone" "$(cat "$T/out/exists")" keep
touch "$T/plainfile"
check_exit "a dir: store that cannot be written is refused" 1 "$EHR" --wallet alice record add \
	"$T/files/r1.bin" --store "dir:$T/plainfile/sub" --yes
check_eq "nothing anchored" "$(count)" "$n0"
check_exit "an unknown store is a usage error" 2 "$EHR" --wallet alice record add "$T/files/r1.bin" --store ipfs --yes

# An add that sends nothing leaves a dir: store as it was: the envelopes it
# sealed into it are taken out again, and what was there stays.
check_exit "a record in store3" 0 "$EHR" --wallet alice record add "$T/files/r1.bin" --store "dir:$T/store3" --yes
echo "not an envelope" > "$T/store3/notes.txt"
snapshot() { (cd "$T/store3" && ls -A | sort && sha256sum -- *); }
before=$(snapshot)
check_eq "store3 holds an envelope and a file of someone else's" "$(ls "$T/store3" | wc -l)" 2
n0=$(count)
check_exit "add without a terminal and without --yes is refused (2)" 2 "$EHR" --wallet alice record add \
	"$T/files/r1.bin" "$T/files/r65537.bin" --store "dir:$T/store3" < /dev/null
grep_err "says to use --yes" "no terminal to confirm on (use --yes)"
check_eq "nothing anchored (no terminal)" "$(count)" "$n0"
check_eq "the store is as it was (no terminal)" "$(snapshot)" "$before"
if command -v script > /dev/null 2>&1; then
	# a terminal where the answer is no
	printf 'n\n' | script -qec "'$EHR' --wallet alice record add '$T/files/r1.bin' '$T/files/r0.bin' \
		--store 'dir:$T/store3'" /dev/null > "$T/no.out" 2>&1
	check_eq "answering no is exit 1" "$?" 1
	if grep -q "Add 2 records (dir:$T/store3) from $ALICE" "$T/no.out" && grep -q "error: cancelled" "$T/no.out"
	then ok "asks, then says it is cancelled"; else fail "asks, then cancels: $(cat "$T/no.out")"; fi
	check_eq "nothing anchored (no)" "$(count)" "$n0"
	check_eq "the store is as it was (no)" "$(snapshot)" "$before"
else
	echo "skip: no script(1) to answer no on a terminal"
fi
printf 'not the passphrase\n' > "$T/wrong"
check_exit "a wrong passphrase after the question (3)" 3 env EHR_PASSPHRASE_FILE="$T/wrong" \
	"$EHR" --wallet alice record add "$T/files/r1.bin" --store "dir:$T/store3" --yes
check_eq "nothing anchored (wrong passphrase)" "$(count)" "$n0"
check_eq "the store is as it was (wrong passphrase)" "$(snapshot)" "$before"
check_exit "the node is down (4)" 4 "$EHR" --wallet alice --rpc http://127.0.0.1:1 --registry "$REG" \
	record add "$T/files/r1.bin" --store "dir:$T/store3" --yes
check_eq "the store is as it was (node down)" "$(snapshot)" "$before"
"$EHR" --wallet dave init --kdf interactive --mnemonic-out "$T/dave-m" -q
check_exit "an unfunded account's add is refused by the node (5)" 5 "$EHR" --wallet dave record add \
	"$T/files/r1.bin" "$T/files/r65536.bin" --store "dir:$T/store3" --yes
grep_err "says insufficient funds" "insufficient funds"
check_eq "nothing anchored (unfunded)" "$(count)" "$n0"
check_eq "the store is as it was (unfunded)" "$(snapshot)" "$before"
check_exit "a fresh store stays empty (unfunded)" 5 "$EHR" --wallet dave record add \
	"$T/files/r1.bin" --store "dir:$T/store4" --yes
check_eq "store4 is empty" "$(ls -A "$T/store4" | wc -l)" 0

# tamper with dir-stored ciphertext: flip, truncate, append
id=$("$EHR" --wallet alice record add "$T/files/r65537.bin" --store "dir:$T/store2" --yes --json |
	sed -n 's/.*"id":[^0-9]*\([0-9]*\).*/\1/p')
f=$(ls "$T"/store2/*.ehr)
cp "$f" "$T/pristine"
tamper() {
	cp "$T/pristine" "$f"
	case $1 in
	flip) printf '\377' | dd of="$f" bs=1 seek=70000 conv=notrunc 2> /dev/null ;;
	truncate) head -c 65600 "$T/pristine" > "$f" ;;
	append) printf 'x' >> "$f" ;;
	esac
}
for how in flip truncate append; do
	tamper $how
	rm -f "$T/out/t"
	check_exit "a $how ciphertext is exit 6" 6 "$EHR" --wallet alice record get "$id" -o "$T/out/t"
	grep_err "says it does not match ($how)" "does not match its anchor"
	check_eq "no plaintext written ($how)" "$(ls "$T/out" | grep -c '^t')" 0
	check_exit "record verify finds it ($how)" 6 "$EHR" --wallet alice record verify "$id"
done
cp "$T/pristine" "$f"

## erase
check_exit "bob cannot erase alice's record (5)" 5 "$EHR" --wallet bob record erase "$id" --yes
check_exit "erase without a terminal needs --yes" 2 "$EHR" --wallet alice record erase "$id" < /dev/null
check_exit "alice erases the dir record" 0 "$EHR" --wallet alice record erase "$id" --yes
check_eq "its ciphertext is deleted" "$(test -e "$f" || echo gone)" gone
check_eq "cast sees the tombstone" "$("$CAST" call "$REG" 'recordOf(uint256)(address,uint64,bool)' "$id" | tail -n 1)" true
check_exit "an erased record is not served (1)" 1 "$EHR" --wallet alice record get "$id" -o "$T/out/e"
check_exit "erasing a chain record warns that calldata stays" 0 "$EHR" --wallet alice record erase 1 --yes
grep_err "says calldata cannot be deleted" "cannot be deleted"
check_exit "list --all shows erased ones" 0 "$EHR" --wallet alice record list --all
if grep -q "(erased)" "$E2E_OUT"; then ok "marked erased"; else fail "$(cat "$E2E_OUT")"; fi

## main sets each command up once: one read of the wallet file a run
if strace -o /dev/null true 2> /dev/null; then
	for args in "address" "balance" "register --show" "record list" "record verify --all" "grant list" \
		"audit" "audit verify" "sign hello" "export --keystore $T/once.json --keystore-passphrase-file $T/pw -f"; do
		# shellcheck disable=SC2086 # the words of args, split on purpose
		strace -f -e trace=openat -o "$T/strace" "$EHR" --wallet alice $args > /dev/null 2>&1
		check_eq "'${args%% --*}' reads the wallet file once" "$(grep -c 'wallets/alice\.json' "$T/strace")" 1
	done
else
	echo "skip - strace is not installed: the wallet file's reads not counted"
fi

finish
