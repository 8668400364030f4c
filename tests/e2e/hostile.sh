#!/bin/sh
# Hostile data from the chain. Anyone can call the registry, so another
# account crafts transactions by hand (ABI-encoded here, sent from an
# account anvil holds): records of its own with oversized metadata, bogus
# wrapped keys, locators pointing anywhere ("dir:/etc", "dir:../../x",
# a FIFO, a symlink), chunks missing or wrong, sizes of 2^64 - 1; records
# in a patient's chart by a provider holding a write grant, with the same;
# chunks logged for the victim's content hash; grants with garbage sealed
# keys; a display name full of terminal escapes and a key that is not a
# usable X25519 point; invoices with garbage memos. Every command that
# reads them (record list, get, verify, export, audit, access, grant list,
# register --show, invoice list) must refuse or show them as invalid: an
# exit status below 128, no sanitizer report, no control byte on the
# terminal, no file written from a record that does not check out, no
# directory made because the chain named it, nothing logged for nothing.
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
chain_setup 'hostile test passphrase'
# Three accounts of anvil's mnemonic: a stranger, a provider, a patient.
MAL="--wallet dev --account 1"
DOC="--wallet dev --account 2"
VIC="--wallet dev --account 3"
MAL_A=$("$EHR" $MAL address)
DOC_A=$("$EHR" $DOC address)
VIC_A=$("$EHR" $VIC address)
"$EHR" $DOC register --name "Dr. Doc" --role provider --yes -q
"$EHR" $VIC register --name "Vic Victim" --yes -q
mkdir -p "$T/in" "$T/vstore"
printf 'allergy: penicillin\n' > "$T/in/allergies.txt"
head -c 150000 /dev/urandom > "$T/in/scan.bin"
ids() { sed -n 's/.*"id":[^0-9]*\([0-9]*\).*/\1/p' "$1"; }
"$EHR" $VIC record add "$T/in/allergies.txt" --yes --json > "$T/v1.json"
"$EHR" $VIC record add "$T/in/scan.bin" --store "dir:$T/vstore" --yes --json > "$T/v2.json"
V1=$(ids "$T/v1.json") V2=$(ids "$T/v2.json")
WGRANT=$("$EHR" $VIC grant "$DOC_A" --write --for 7d --yes --json | sed -n 's/.*"grant":[^0-9]*\([0-9]*\).*/\1/p')
count() { "$CAST" call "$REG" 'recordCount()(uint256)'; }
accesses() { "$CAST" logs --address "$REG" 'AccessLogged(address indexed,uint256 indexed,address indexed,uint256[])' \
	--from-block 0 2> /dev/null | grep -c transactionHash; }

# ABI encoding by hand: cast takes calls from argv (128 KiB an argument at
# most, UTF-8 only), and these carry up to 100 KB and any bytes.
cat > "$T/abi.py" <<'EOF'
# abi.py FROM TO SELECTOR TYPES ARGS_JSON: the eth_sendTransaction params of
# a call. In ARGS_JSON a bytes value is "0x..." hex or {"random": N}; a
# string value is text, {"hex": "..."} or {"random": N}.
import json, os, sys

def split(s):
	out, depth, cur = [], 0, ""
	for ch in s:
		if ch == "," and depth == 0:
			out.append(cur)
			cur = ""
			continue
		depth += (ch == "(") - (ch == ")")
		cur += ch
	return out + [cur] if cur else out

def dynamic(t):
	if t in ("bytes", "string") or t.endswith("[]"):
		return True
	return t.startswith("(") and any(dynamic(x) for x in split(t[1:-1]))

def word(n):
	return (n % (1 << 256)).to_bytes(32, "big")

def raw(t, v):
	if isinstance(v, dict):
		return os.urandom(v["random"]) if "random" in v else bytes.fromhex(v["hex"])
	return v.encode() if t == "string" else bytes.fromhex(v[2:])

def enc(t, v):
	if t.endswith("[]"):
		return word(len(v)) + tup([t[:-2]] * len(v), v)
	if t.startswith("("):
		return tup(split(t[1:-1]), v)
	if t in ("bytes", "string"):
		b = raw(t, v)
		return word(len(b)) + b + b"\0" * (-len(b) % 32)
	if t.startswith("bytes"):
		b = raw(t, v)
		return b + b"\0" * (32 - len(b))
	if t == "address":
		return word(int(v, 16))
	return word(int(v))

def tup(ts, vs):
	heads, tails = [], b""
	for t, v in zip(ts, vs):
		e = enc(t, v)
		if dynamic(t):
			heads.append(word(32 * len(ts) + len(tails)))
			tails += e
		else:
			heads.append(e)
	return b"".join(heads) + tails

frm, to, sel, types, args = sys.argv[1:6]
data = bytes.fromhex(sel[2:]) + tup(split(types), json.loads(args))
print(json.dumps([{"from": frm, "to": to, "data": "0x" + data.hex()}]))
EOF
SENT=0
# send FROM 'name(types)' ARGS_JSON: the call, from an account anvil holds
# unlocked (anvil mines it even when it reverts); fails when the registry
# refuses it.
send() {
	_types=${2#*(}
	_types=${_types%)}
	python3 "$T/abi.py" "$1" "$REG" "$("$CAST" sig "$2")" "$_types" "$3" > "$T/raw.json" || return 2
	SENT=$((SENT + 1))
	"$CAST" rpc --raw eth_sendTransaction < "$T/raw.json" > "$T/raw.out" 2>&1 || return 1
	[ "$("$CAST" receipt "$(tr -d '"' < "$T/raw.out")" status 2>&1)" = true ]
}
ANCHOR='anchorRecord(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes))'
# anchor FROM PATIENT GRANT HASH SIZE LOCATOR PATIENTKEY AUTHORKEY META (JSON values)
anchor() {
	send "$1" "$ANCHOR" "[\"$2\", $3, [\"0x$4\", $5, $6, $7, $8, $9]]"
}

RUNS=0
CTRL=$(printf '[\001-\010\013\014\016-\037\177]')
# survive WHAT STATUSES COMMAND...: runs COMMAND (stdout in $E2E_OUT, stderr
# in $E2E_ERR); its status must be one of STATUSES ("0 6", say), and no
# sanitizer report or control byte may come out.
survive() {
	_what=$1 _want=$2
	shift 2
	RUNS=$((RUNS + 1))
	"$@" > "$E2E_OUT" 2> "$E2E_ERR" < /dev/null
	_rc=$?
	if grep -q -e AddressSanitizer -e LeakSanitizer -e 'runtime error:' "$E2E_ERR"; then
		fail "$_what: sanitizer report: $(grep -m 3 -e ERROR -e 'runtime error' "$E2E_ERR")"
	elif [ $_rc -ge 128 ]; then
		fail "$_what: exit $_rc (a signal)"
	elif LC_ALL=C grep -q "$CTRL" "$E2E_OUT" "$E2E_ERR"; then
		fail "$_what: a control byte reached the terminal: $(cat -v "$E2E_OUT" "$E2E_ERR" | head -c 300)"
	else
		case " $_want " in
		*" $_rc "*) ok "$_what (exit $_rc)" ;;
		*) fail "$_what: exit $_rc, want one of $_want: $(head -c 300 "$E2E_ERR")" ;;
		esac
	fi
}
grep_out() {
	if grep -q -- "$2" "$E2E_OUT"; then ok "$1"; else fail "$1: stdout was: $(head -c 300 "$E2E_OUT")"; fi
}
grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(head -c 300 "$E2E_ERR")"; fi
}
none() { # WHAT PATH: nothing at PATH
	if [ -e "$2" ] || [ -L "$2" ]; then fail "$1: $2 exists"; else ok "$1"; fi
}

## the registry refuses a stranger writing into the victim's chart
n0=$(count)
anchor "$MAL_A" "$VIC_A" 0 "$(rand_hex 32)" 100 '"chain"' '{"random": 80}' '"0x"' '{"random": 100}'
check_eq "a stranger cannot anchor into the victim's chart" $? 1
anchor "$MAL_A" "$VIC_A" "$WGRANT" "$(rand_hex 32)" 100 '"chain"' '{"random": 80}' '"0x"' '{"random": 100}'
check_eq "nor under the write grant the victim gave someone else" $? 1
check_eq "nothing anchored" "$(count)" "$n0"

## the stranger's own records: every kind of bad anchor
H=$(rand_hex 32)
mkdir -p "$T/made" "$T/cwd/a/b" "$T/traps"
mkfifo "$T/traps/$H.ehr"
ln -s /etc/passwd "$T/traps/$(rand_hex 32).ehr"
LINK=$(basename "$(find "$T/traps" -type l)")
first=$(($(count) + 1))
while IFS='|' read -r what size loc pk meta; do
	anchor "$MAL_A" "$MAL_A" 0 "$H" "$size" "$loc" "$pk" '"0x"' "$meta" ||
		fail "anchor '$what': $(head -c 200 "$T/raw.out")"
done <<EOF
100 KB of metadata|1234|"chain"|{"random": 80}|{"random": 100000}
a 5-byte wrapped key|1234|"chain"|{"random": 5}|{"random": 200}
no wrapped key|1234|"chain"|"0x"|{"random": 200}
a 100 KB wrapped key|1234|"chain"|{"random": 100000}|{"random": 200}
a locator making directories|100|"dir:$T/made/x/y/$H.ehr"|{"random": 80}|{"random": 200}
a relative locator going up|100|"dir:../../up/$H.ehr"|{"random": 80}|{"random": 200}
dir:/etc|100|"dir:/etc"|{"random": 80}|{"random": 200}
dir:/etc/passwd|100|"dir:/etc/passwd"|{"random": 80}|{"random": 200}
a FIFO named like a record|100|"dir:$T/traps/$H.ehr"|{"random": 80}|{"random": 200}
a symlink named like a record|100|"dir:$T/traps/$LINK"|{"random": 80}|{"random": 200}
an unknown store|100|"ipfs:QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"|{"random": 80}|{"random": 200}
an empty locator|100|""|{"random": 80}|{"random": 200}
a 4000-byte locator|100|"dir:/$(printf '%04000d' 0)"|{"random": 80}|{"random": 200}
a locator with escapes|100|{"hex": "6469723a2f746d702f1b5d303b70776e65640707"}|{"random": 80}|{"random": 200}
a size of 2^64 - 1|18446744073709551615|"chain"|{"random": 80}|{"random": 200}
missing chunks|5000|"chain"|{"random": 80}|{"random": 200}
EOF
last=$(count)
check_eq "16 hostile anchors of the stranger's own" $((last - first + 1)) 16
# chunks that do not hash to the anchor, then a record over them
H2=$(rand_hex 32)
send "$MAL_A" 'storeChunks((bytes32,uint32,uint32,bytes)[])' \
	"[[[\"0x$H2\", 0, 2, {\"random\": 600}], [\"0x$H2\", 1, 2, {\"random\": 400}]]]"
anchor "$MAL_A" "$MAL_A" 0 "$H2" 1000 '"chain"' '{"random": 80}' '"0x"' '{"random": 200}'
last=$(count)

cd "$T/cwd/a/b" || exit 1
survive "the stranger lists them" "0" "$EHR" $MAL record list
# the events with escapes or a 4000-byte locator do not parse: left out
check_eq "all but the two that do not parse are listed" "$(grep -c 'not readable' "$E2E_OUT")" $((last - first - 1))
survive "as JSON, marked unreadable" "0" "$EHR" $MAL record list --json
check_eq "none readable" "$(grep -c '"readable":	true' "$E2E_OUT")" 0
for id in $(seq "$first" "$last"); do
	survive "record get $id" "1 2 4 5 6" "$EHR" $MAL record get "$id" -o "$T/got$id"
	none "record get $id wrote nothing" "$T/got$id"
	survive "record verify $id" "1 2 6" "$EHR" $MAL record verify "$id"
done
survive "record verify --all" "6" "$EHR" $MAL record verify --all
check_eq "each is named as failing" "$(grep -c '^record [0-9]*: \(damaged\|unavailable\)' "$E2E_OUT")" $((last - first - 1))
grep_out "the wrong chunks are caught by hash" "record $last: damaged: .*does not match\|record $last: damaged"
survive "audit" "0" "$EHR" $MAL audit
grep_err "audit says what it left out" "did not parse"
survive "audit --json" "0" "$EHR" $MAL audit --json
survive "audit --csv" "0" "$EHR" $MAL audit --csv
survive "audit verify" "6" "$EHR" $MAL audit verify
survive "record export" "0" "$EHR" $MAL record export --fhir "$T/mal.json"
check_eq "the Bundle holds none of them" "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1])).get("entry", [])))' "$T/mal.json")" 0
cd "$T" || exit 1
none "no directory made from a locator" "$T/made/x"
none "nor from a relative locator going up" "$T/cwd/up"
check_eq "the FIFO is still a FIFO" "$(stat -c %F "$T/traps/$H.ehr")" fifo

## records in the victim's chart by a provider under its write grant
first=$(($(count) + 1))
while IFS='|' read -r what size loc pk ak meta; do
	anchor "$DOC_A" "$VIC_A" "$WGRANT" "$(rand_hex 32)" "$size" "$loc" "$pk" "$ak" "$meta" ||
		fail "the provider's anchor '$what': $(head -c 200 "$T/raw.out")"
done <<EOF
garbage keys and 100 KB of metadata|1234|"chain"|{"random": 80}|{"random": 80}|{"random": 100000}
a 3-byte key|1234|"chain"|{"random": 3}|"0x"|{"random": 200}
dir:/etc|100|"dir:/etc"|{"random": 80}|{"random": 80}|{"random": 200}
a locator with escapes|100|{"hex": "6469723a2f746d702f1b5d303b70776e65640707"}|{"random": 80}|"0x"|{"random": 200}
a size of 2^64 - 1|18446744073709551615|"chain"|{"random": 80}|"0x"|"0x"
EOF
last=$(count)
survive "the victim lists the chart" "0" "$EHR" $VIC record list --json
check_eq "its own two records readable, with their titles" \
	"$(grep -c -e '"title":	"allergies.txt"' -e '"title":	"scan.bin"' "$E2E_OUT")" 2
check_eq "the provider's four parseable ones unreadable" "$(grep -c '"readable":	false' "$E2E_OUT")" 4
for id in $(seq "$first" "$last"); do
	survive "the victim's record get $id" "1 2 4 5 6" "$EHR" $VIC record get "$id" -o "$T/vget$id"
	none "wrote nothing ($id)" "$T/vget$id"
done
survive "the victim's own record still opens" "0" "$EHR" $VIC record get "$V1" -o "$T/v1.out"
check_eq "with its bytes" "$(cat "$T/v1.out")" "allergy: penicillin"
survive "verify --all" "6" "$EHR" $VIC record verify --all
grep_out "the victim's records check out" "record $V1: ok"
survive "the victim's audit" "0" "$EHR" $VIC audit
survive "the victim's audit --json" "0" "$EHR" $VIC audit --json
survive "the victim's export" "0" "$EHR" $VIC record export --fhir "$T/vic.json"
check_eq "with the two readable records (a DocumentReference and a Binary each)" "$(python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))
print(sum(1 for e in b["entry"] if e["resource"]["resourceType"] in ("DocumentReference", "Binary")))' "$T/vic.json")" 4

## chunks logged by a stranger for the victim's record
VH=$(sed -n 's/.*"content_hash":[^"]*"0x\([0-9a-f]*\)".*/\1/p' "$T/v1.json")
send "$MAL_A" 'storeChunk(bytes32,uint32,uint32,bytes)' "[\"0x$VH\", 0, 1, {\"random\": 500}]"
send "$MAL_A" 'storeChunks((bytes32,uint32,uint32,bytes)[])' \
	"[[[\"0x$VH\", 0, 3, {\"random\": 100}], [\"0x$VH\", 9, 2, \"0x\"], [\"0x$VH\", 0, 4294967295, {\"random\": 5}]]]"
survive "the victim's record still opens despite the stranger's chunks" "0" "$EHR" $VIC record get "$V1" -o -
check_eq "with its own bytes" "$(cat "$E2E_OUT")" "allergy: penicillin"
survive "and verifies" "0" "$EHR" $VIC record verify "$V1"

## grants with garbage sealed keys, from the stranger to the provider
printf 'mine\n' > "$T/in/mine.txt"
"$EHR" $MAL record add "$T/in/mine.txt" --yes --json > "$T/m.json"
M1=$(ids "$T/m.json")
a0=$(accesses)
EXP=$(($(date +%s) + 86400))
GRANT='grant(address,uint64,uint8,uint256[],bytes[])'
g0=$("$CAST" call "$REG" 'grantCount()(uint256)')
send "$MAL_A" "$GRANT" "[\"$DOC_A\", $EXP, 0, [$M1], [{\"random\": 80}]]"
send "$MAL_A" "$GRANT" "[\"$DOC_A\", $EXP, 0, [$M1], [\"0xabcdef\"]]"
send "$MAL_A" "$GRANT" "[\"$DOC_A\", $EXP, 0, [$M1], [\"0x\"]]"
send "$MAL_A" "$GRANT" "[\"$DOC_A\", $EXP, 0, [$M1], [{\"random\": 60000}]]"
send "$MAL_A" "$GRANT" "[\"$DOC_A\", $EXP, 0, [$(yes "$M1" | head -n 300 | paste -sd,)], [$(yes '{"random": 80}' | head -n 300 | paste -sd,)]]"
send "$MAL_A" "$GRANT" "[\"$DOC_A\", $EXP, 2, [], []]"   # every record of the stranger, no keys
g1=$("$CAST" call "$REG" 'grantCount()(uint256)')
check_eq "six garbage grants issued" $((g1 - g0)) 6
for gid in $(seq $((g0 + 1)) "$g1"); do
	# a grant without keys is asked for: nobody answers, so a short --wait
	survive "the provider opens garbage grant $gid" "1 5 6" "$EHR" $DOC access "$gid" -o "$T/dacc$gid" \
		--wait 2s --yes
	none "no directory or file ($gid)" "$T/dacc$gid"
done
check_eq "no access logged for keys that do not open" "$(accesses)" "$a0"
survive "the provider's audit" "0" "$EHR" $DOC audit
survive "the provider's audit --json" "0" "$EHR" $DOC audit --json

## a key added to a good grant later, garbage: never a wrong plaintext
GOOD=$("$EHR" $MAL grant "$DOC_A" --records "$M1" --for 1h --yes --json | sed -n 's/.*"grant":[^0-9]*\([0-9]*\).*/\1/p')
send "$MAL_A" 'addGrantKeys(uint256,uint256[],bytes[])' "[$GOOD, [$M1], [{\"random\": 80}]]"
survive "the provider opens the grant with a garbage key added (the stranger releases)" "0 6" \
	access_released "$DOC" "$MAL" "$GOOD" -o "$T/good" --yes
if [ "$(cat "$T/good/mine.txt" 2> /dev/null || echo none)" = mine ] || [ ! -e "$T/good" ]; then
	ok "either the right bytes or nothing"
else
	fail "wrong bytes: $(ls -la "$T/good")"
fi

## a tampered dir-stored record, granted: exit 6, no plaintext
"$EHR" $MAL record add "$T/in/scan.bin" --store "dir:$T/mstore" --yes --json > "$T/m2.json"
M2=$(ids "$T/m2.json")
G2=$("$EHR" $MAL grant "$DOC_A" --records "$M2" --for 1h --yes --json | sed -n 's/.*"grant":[^0-9]*\([0-9]*\).*/\1/p')
f=$(ls "$T"/mstore/*.ehr)
printf '\377' | dd of="$f" bs=1 seek=100000 conv=notrunc 2> /dev/null
survive "the provider opens a tampered record (released)" "6" access_released "$DOC" "$MAL" "$G2" -o "$T/tamp" --yes
grep_err "says it does not match its anchor" "does not match its anchor"
check_eq "no plaintext written" "$(ls "$T/tamp" 2> /dev/null | wc -l)" 0

## a display name of escapes, and a key that is no X25519 point
NAME=$(printf 'Dr\033]0;pwned\007\033[2J\r\nX\377\376' | od -An -tx1 | tr -d ' \n')
send "$MAL_A" 'register(bytes32,string,uint8)' "[\"0x01$(printf '%062d' 0)\", {\"hex\": \"$NAME\"}, 2]"
survive "register --show of the stranger" "0" "$EHR" $VIC register --show "$MAL_A"
survive "and as JSON" "0" "$EHR" $VIC register --show "$MAL_A" --json
n0=$("$CAST" nonce "$VIC_A")
survive "a grant to a low-order key is refused" "2 5" "$EHR" $VIC grant "$MAL_A" --records "$V1" --for 1h --yes
check_eq "before anything is sent" "$("$CAST" nonce "$VIC_A")" "$n0"
send "$MAL_A" 'register(bytes32,string,uint8)' "[\"0x$(rand_hex 32)\", {\"hex\": \"$NAME\"}, 2]"
survive "a grant to the stranger with a usable key" "0" "$EHR" $VIC grant "$MAL_A" --records "$V1" --for 1h --yes
survive "grant list shows the name, cleaned" "0" "$EHR" $VIC grant list
grep_out "the name is there" "pwned"
survive "audit too" "0" "$EHR" $VIC audit
survive "audit --csv too" "0" "$EHR" $VIC audit --csv

## junk records naming the victim's dir-stored file: erasing them keeps it
V2H=$(sed -n 's/.*"content_hash":[^"]*"0x\([0-9a-f]*\)".*/\1/p' "$T/v2.json")
V2F=$T/vstore/$V2H.ehr
check_eq "the victim's scan is in its dir store" "$(test -f "$V2F" && echo there)" there
anchor "$DOC_A" "$VIC_A" "$WGRANT" "$(rand_hex 32)" 100 "\"dir:$V2F\"" '{"random": 80}' '"0x"' '{"random": 200}'
J1=$(count)
anchor "$DOC_A" "$VIC_A" "$WGRANT" "$V2H" 150000 "\"dir:$V2F\"" '{"random": 80}' '"0x"' '{"random": 200}'
J2=$(count)
# the same hash again, naming a copy of the file in another directory
mkdir -p "$T/vstore2"
cp "$V2F" "$T/vstore2/$V2H.ehr"
anchor "$DOC_A" "$VIC_A" "$WGRANT" "$V2H" 150000 "\"dir:$T/vstore2/$V2H.ehr\"" \
	'{"random": 80}' '"0x"' '{"random": 200}'
J3=$(count)
survive "the victim erases junk whose locator names its scan's file" "0" "$EHR" $VIC record erase "$J1" --yes --json
check_eq "the scan's file is still there" "$(test -f "$V2F" && echo there)" there
grep_err "says the file is not this record's" "not named by its content hash"
grep_out "and JSON says nothing was deleted" '"ciphertext_deleted":	false'
survive "the victim erases junk with the scan's own hash" "0" "$EHR" $VIC record erase "$J2" --yes
check_eq "the scan's file is still there (same hash)" "$(test -f "$V2F" && echo there)" there
grep_err "names the live record that still uses it" "record $V2 .*still uses it"
survive "the scan still opens" "0" "$EHR" $VIC record get "$V2" -o "$T/v2.out"
check_eq "with its bytes" "$(cmp "$T/v2.out" "$T/in/scan.bin" && echo same)" same
survive "erasing the scan keeps its file while junk with its hash is live" "0" "$EHR" $VIC record erase "$V2" --yes
check_eq "kept" "$(test -f "$V2F" && echo there)" there
grep_err "naming that record" "record $J3 .*still uses it"
survive "erasing the last record with that hash deletes its file" "0" "$EHR" $VIC record erase "$J3" --yes
check_eq "the copy it names is gone" "$(ls "$T/vstore2" | wc -l)" 0
check_eq "the original stays (another directory)" "$(test -f "$V2F" && echo there)" there

## a bearer grant cannot write: anyone holding the QR could fill the chart
n0=$("$CAST" nonce "$VIC_A")
survive "grant --bearer --write is refused" "2" "$EHR" $VIC grant --bearer --write --all --for 1h --yes
grep_err "saying why" "a --bearer grant cannot write"
check_eq "nothing sent" "$("$CAST" nonce "$VIC_A")" "$n0"

## invoices with garbage memos
if "$EHR" help --commands | grep -qx invoice; then
	INV='issueInvoice(address,address,uint256,uint64,bytes)'
	ZERO=0x0000000000000000000000000000000000000000
	i0=$("$CAST" call "$REG" 'invoiceCount()(uint256)')
	send "$MAL_A" "$INV" "[\"$VIC_A\", \"$ZERO\", 1000, 0, {\"random\": 100000}]"
	check_eq "the registry refuses a memo of 100 KB" $? 1
	send "$MAL_A" "$INV" "[\"$VIC_A\", \"$ZERO\", 1000, 0, {\"random\": 1073}]"
	check_eq "and one of 1,073 bytes" $? 1
	check_eq "no invoice issued" "$("$CAST" call "$REG" 'invoiceCount()(uint256)')" "$i0"
	send "$MAL_A" "$INV" "[\"$VIC_A\", \"$ZERO\", 1000, 0, {\"random\": 1072}]"
	check_eq "the longest memo the registry takes (1,072 bytes, garbage)" $? 0
	send "$MAL_A" "$INV" "[\"$VIC_A\", \"$ZERO\", 1, $EXP, \"0x01\"]"
	send "$MAL_A" "$INV" "[\"$VIC_A\", \"0x0000000000000000000000000000000000000000\", 79228162514264337593543950335, 18446744073709551615, \"0x\"]"
	survive "the victim lists invoices with garbage memos" "0" "$EHR" $VIC invoice list
	survive "as JSON" "0" "$EHR" $VIC invoice list --json
	survive "and audits them" "0" "$EHR" $VIC audit

	## the flood that once broke audit and invoice list for good (36
	## invoices with 1 MB memos): at the cap now, from an account the
	## victim never dealt with
	FLOOD_A=$("$EHR" --wallet dev --account 4 address)
	n=0
	while [ $n -lt 36 ]; do
		send "$FLOOD_A" "$INV" "[\"$VIC_A\", \"$ZERO\", 1, 0, {\"random\": 1072}]" || break
		n=$((n + 1))
	done
	check_eq "36 invoices with memos of 1,072 bytes" $n 36
	survive "the victim's audit works through the flood" "0" "$EHR" $VIC audit --json
	check_eq "and lists every invoice" "$(python3 -c 'import json, sys
print(sum(1 for e in json.load(open(sys.argv[1])) if e.get("event") == "invoice issued"))' "$E2E_OUT")" 39
	survive "invoice list works through the flood" "0" "$EHR" $VIC invoice list --json
	check_eq "the 36 are from an issuer the victim never dealt with" "$(python3 -c 'import json, sys
print(sum(1 for i in json.load(open(sys.argv[1])) if i["issuer"] == sys.argv[2] and i["issuer_known"] is False))' \
		"$E2E_OUT" "$FLOOD_A")" 36
	survive "the table" "0" "$EHR" $VIC invoice list
	check_eq "lists them apart, after a heading" "$(sed -n '/never dealt with/,$p' "$E2E_OUT" | grep -c "from .*$FLOOD_A")" 36
fi

echo "# $SENT hostile transactions, $RUNS commands run over them"
finish
