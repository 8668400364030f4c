#!/bin/sh
# SMART Health Cards and Links into `ehr record add`, against a real anvil:
# the published vectors (../shared/vectors/shc and shl, read from there) as
# a .smart-health-card file, shc:/ QR text (whole, chunked, on standard
# input), verified with --issuer-keys or the trusted-issuers file, or
# taken --unverified; links (U, manifest, passcode, viewer-prefixed, on
# standard input) served by a loopback server this test starts and stops
# (tests/tools/shl_server.py). Every refusal with its status and message,
# and nothing sent (cast nonce) or added (recordCount) after it.
. "$(dirname "$0")/lib.sh"

V=${EHR_VECTORS:-$E2E_ROOT/../shared/vectors}
if [ ! -f "$V/shc/issuer-jwks.json" ] || [ ! -f "$V/shl/IPS_IG-bundle-01-enc.txt" ]; then
	echo "skip: the shc and shl vectors are not in $V (set EHR_VECTORS)"
	finish
fi
T=$E2E_TMP
ISS=https://spec.smarthealth.cards/examples/issuer
KEY=rxTgYlOaKJPFtcEd0qcceN8wEU4p94SqAwIWQe6uX7Q   # the vectors' link key (spec-example-jwe.details.json)

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
count() { "$CAST" call "$REG" 'recordCount()(uint256)'; }
nonce() { "$CAST" nonce "$PATIENT"; }
# unchanged WHAT: nothing was sent and no record added since `mark`
mark() { MARK_NONCE=$(nonce); MARK_COUNT=$(count); }
unchanged() {
	check_eq "$1: no transaction sent" "$(nonce)" "$MARK_NONCE"
	check_eq "$1: no record added" "$(count)" "$MARK_COUNT"
}
# listed ID FIELD: a field of record ID in `record list --json`
listed() {
	"$EHR" record list --json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["id"] == int(sys.argv[1]):
        print(r[sys.argv[2]])' "$1" "$2"
}
qr() { tr -d '\n' < "$V/shc/$1"; }
# same_json A B: whether two files hold the same JSON value
same_json() {
	python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2" &&
		echo same || echo different
}

chain_setup 'health cards test passphrase'
export EHR_WALLET=dev
PATIENT=$("$EHR" address)
CARD=$V/shc/example-00-e-file.smart-health-card

## cards: refused until their issuer is trusted
mark
check_exit "a card of an issuer not trusted is refused (6)" 6 "$EHR" record add "$CARD" --yes
grep_err "the refusal names the issuer and the way out" "names issuer $ISS, whose key .*(--unverified)"
unchanged "an untrusted card"

check_exit "with --issuer-keys the card verifies and is added" 0 \
	"$EHR" record add "$CARD" --issuer-keys "$V/shc/issuer-jwks.json" --yes --json
check_eq "one record, on chain" "$(count)" "$((MARK_COUNT + 1))"
id=$(count)
check_eq "the listing names the issuer" "$(listed "$id" issuer)" "$ISS"
check_eq "and says verified" "$(listed "$id" issuer_status)" verified
"$EHR" record list > "$T/list" 2> /dev/null
check_eq "the table says it too" "$(grep -c "^$id .*(issuer $ISS: verified)" "$T/list")" 1
check_exit "the record reads back" 0 "$EHR" record get "$id" -o "$T/card-bundle.json"
check_eq "as the card's FHIR Bundle (example-00-a)" \
	"$(same_json "$T/card-bundle.json" "$V/shc/example-00-a-fhirBundle.json")" same

## the trusted-issuers file in EHR_HOME
python3 - "$V/shc/issuer-jwks.json" "$EHR_HOME/trusted-issuers.json" "$ISS" << 'EOF'
import json, sys
keys = json.load(open(sys.argv[1]))["keys"]
json.dump({"issuers": [{"iss": sys.argv[3], "keys": keys}]}, open(sys.argv[2], "w"), indent=2)
EOF
before=$(count)
check_exit "shc:/ QR text verifies with the trusted-issuers file" 0 \
	"$EHR" record add "$(qr example-00-f-qr-code-numeric-value-0.txt)" --split-bundle --yes
check_eq "split: one record per entry of the Bundle (4)" "$(count)" "$((before + 4))"
check_eq "each entry names the issuer, verified" \
	"$(listed "$((before + 1))" issuer_status) $(listed "$((before + 4))" issuer_status)" "verified verified"
check_eq "the first entry is the Patient" "$(listed "$((before + 1))" resource_type)" Patient

before=$(count)
check_exit "three chunks, given out of order, make one card" 0 \
	"$EHR" record add "$(qr example-02-f-qr-code-numeric-value-2.txt)" \
	"$(qr example-02-f-qr-code-numeric-value-0.txt)" "$(qr example-02-f-qr-code-numeric-value-1.txt)" --yes
check_eq "one record" "$(count)" "$((before + 1))"
"$EHR" record get "$(count)" -o "$T/chunked.json" 2> /dev/null
check_eq "holding example-02's Bundle" "$(same_json "$T/chunked.json" "$V/shc/example-02-a-fhirBundle.json")" same

for i in 0 1 2; do qr "example-02-f-qr-code-numeric-value-$i.txt"; echo; done > "$T/scanned"
before=$(count)
check_exit "the chunks on standard input, one a line (a scanner)" 0 sh -c '"$0" record add - --yes < "$1"' \
	"$EHR" "$T/scanned"
check_eq "one record" "$(count)" "$((before + 1))"

mark
check_exit "a chunk missing is refused (2)" 2 "$EHR" record add \
	"$(qr example-02-f-qr-code-numeric-value-0.txt)" "$(qr example-02-f-qr-code-numeric-value-2.txt)" --yes
grep_err "says how many are missing" "1 of the 3 shc:/ chunks of a card are missing"
check_exit "the same chunk twice is refused (2)" 2 "$EHR" record add \
	"$(qr example-02-f-qr-code-numeric-value-0.txt)" "$(qr example-02-f-qr-code-numeric-value-0.txt)" --yes
grep_err "says so" "the same chunk twice"
check_exit "digits that are no characters are refused (2)" 2 "$EHR" record add "shc:/7899" --yes
unchanged "missing, doubled and bad chunks"

## a card from a QR image: the vectors' shc:/ text rendered with libqrencode (tests/tools/qrpng)
QRPNG=$E2E_TOOLS_DIR/qrpng
if [ -x "$QRPNG" ]; then
	"$QRPNG" "$(qr example-00-f-qr-code-numeric-value-0.txt)" "$T/card.png"
	before=$(count)
	check_exit "--qr-image: the card's QR code in a PNG verifies" 0 "$EHR" record add --qr-image "$T/card.png" --yes
	check_eq "one record" "$(count)" "$((before + 1))"
	check_eq "  from the trusted issuer, verified" "$(listed "$(count)" issuer_status)" verified
	"$EHR" record get "$(count)" -o "$T/from-image.json" 2> /dev/null
	check_eq "  holding example-00's Bundle" "$(same_json "$T/from-image.json" "$V/shc/example-00-a-fhirBundle.json")" same
	"$QRPNG" "$(qr example-02-f-qr-code-numeric-value-1.txt)" "$T/chunk1.png"
	before=$(count)
	check_exit "--qr-image holding one chunk, the others as text" 0 "$EHR" record add --qr-image "$T/chunk1.png" \
		"$(qr example-02-f-qr-code-numeric-value-0.txt)" "$(qr example-02-f-qr-code-numeric-value-2.txt)" --yes
	check_eq "one record" "$(count)" "$((before + 1))"
	python3 - "$(qr example-00-f-qr-code-numeric-value-0.txt)" > "$T/tampered-qr.txt" << 'EOF'
import sys
s = sys.argv[1]
i = len(s) - 40 - (len(s) - 5) % 2      # a pair of digits in the signature
v = (int(s[i:i + 2]) + 1) % 78
print(s[:i] + "%02d" % v + s[i + 2:])
EOF
	"$QRPNG" "$(cat "$T/tampered-qr.txt")" "$T/tampered.png"
	"$QRPNG" "https://example.org/not-a-card" "$T/web.png"
	mark
	check_exit "--qr-image of a changed card is refused (6)" 6 "$EHR" record add --qr-image "$T/tampered.png" --yes
	check_exit "--qr-image of a web address is refused (2)" 2 "$EHR" record add --qr-image "$T/web.png" --yes
	grep_err "  saying it is no card" "is neither a SMART Health Card"
	check_exit "--qr-image of a file that is no PNG is refused (2)" 2 "$EHR" record add \
		--qr-image "$V/shc/issuer-jwks.json" --yes
	check_exit "record add with neither a file nor --qr-image is a usage error (2)" 2 "$EHR" record add --yes
	grep_err "  naming --qr-image" "or --qr-image FILE"
	unchanged "QR images refused"
else
	fail "tests/tools/qrpng is built (make test builds it)"
fi

## tampered cards
python3 - "$CARD" "$T/tampered.smart-health-card" << 'EOF'
import json, sys
card = json.load(open(sys.argv[1]))
head, payload, sig = card["verifiableCredential"][0].split(".")
i = len(payload) // 2
payload = payload[:i] + ("A" if payload[i] != "A" else "B") + payload[i + 1:]
card["verifiableCredential"][0] = ".".join([head, payload, sig])
json.dump(card, open(sys.argv[2], "w"))
EOF
mark
check_exit "a card changed after signing is refused (6)" 6 "$EHR" record add "$T/tampered.smart-health-card" --yes
grep_err "its signature does not verify" "signature does not verify .*changed after it was signed"
check_exit "even with --unverified (6)" 6 "$EHR" record add "$T/tampered.smart-health-card" --unverified --yes
# one digit pair of the QR text's payload: one character of the JWS
digits=$(qr example-00-f-qr-code-numeric-value-0.txt)
bad=$(printf '%s' "$digits" | python3 -c '
import sys
s = sys.stdin.read(); i = len(s) // 2 & ~1
pair = "10" if s[i:i + 2] != "10" else "11"
print(s[:i] + pair + s[i + 2:])')
check_exit "a QR text with one character changed is refused (6)" 6 "$EHR" record add "$bad" --yes
python3 - "$V/shc/issuer-jwks.json" "$T/other-iss.json" << 'EOF'
import json, sys
keys = json.load(open(sys.argv[1]))["keys"]
json.dump({"issuers": [{"iss": "https://other.example", "keys": keys}]}, open(sys.argv[2], "w"))
EOF
cp "$EHR_HOME/trusted-issuers.json" "$T/trusted.keep"
cp "$T/other-iss.json" "$EHR_HOME/trusted-issuers.json"
check_exit "a key trusted for another issuer does not vouch for this one (6)" 6 "$EHR" record add "$CARD" --yes
grep_err "names both" "names issuer $ISS but is signed with a key of https://other.example"
printf '{"issuers": {}}' > "$EHR_HOME/trusted-issuers.json"
check_exit "a damaged trusted-issuers file is refused (2)" 2 "$EHR" record add "$CARD" --yes
grep_err "naming the file" "trusted issuers .*trusted-issuers.json: not JSON with an \"issuers\" array"
unchanged "tampered cards, wrong issuers"

## --unverified
rm "$EHR_HOME/trusted-issuers.json"
mark
check_exit "a missing --issuer-keys file is refused (2), even for a plain file" 2 "$EHR" record add \
	"$V/shc/example-00-a-fhirBundle.json" --issuer-keys "$T/no-such-jwks.json" --yes
grep_err "naming it" "issuer keys: cannot open .*no-such-jwks.json"
check_exit "a missing card file is refused (2)" 2 "$EHR" record add "$T/none.smart-health-card" --yes
grep_err "naming it" "cannot open .*none.smart-health-card"
unchanged "missing files"
check_exit "--unverified takes a card whose issuer is not trusted" 0 "$EHR" record add "$CARD" --unverified --yes
grep_err "with a warning" "1 card taken unverified"
check_eq "listed as unverified issuer" "$(listed "$(count)" issuer_status)" "unverified issuer"
"$EHR" record list > "$T/list" 2> /dev/null
check_eq "in the table too" "$(grep -c "^$(count) .*(issuer $ISS: unverified issuer)" "$T/list")" 1
cp "$T/trusted.keep" "$EHR_HOME/trusted-issuers.json"

## links: a loopback server
mkdir -p "$T/shl"
python3 "$E2E_ROOT/tests/tools/shl_server.py" "$T/shl" "$T/shl.port" 2> "$T/shl.err" &
SHL_PID=$!
i=0
while [ ! -s "$T/shl.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(cat "$T/shl.port" 2> /dev/null)
[ -n "$PORT" ] || { fail "the link server starts: $(cat "$T/shl.err")"; finish; }
BASE=http://127.0.0.1:$PORT
stop_server() { [ -n "${SHL_PID:-}" ] && kill "$SHL_PID" 2> /dev/null && wait "$SHL_PID" 2> /dev/null; SHL_PID=; }
trap 'stop_server; e2e_cleanup' EXIT
# link URL FLAG [EXP [LABEL [KEY]]]: a shlink:/ for the payload of those fields
link() {
	python3 - "$@" << 'EOF'
import base64, json, sys
a = sys.argv[1:] + [""] * 4
p = {"url": a[0], "key": a[4] or "rxTgYlOaKJPFtcEd0qcceN8wEU4p94SqAwIWQe6uX7Q"}
if a[1]: p["flag"] = a[1]
if a[2]: p["exp"] = int(a[2])
if a[3]: p["label"] = a[3]
print("shlink:/" + base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("="))
EOF
}
requests() { wc -l < "$T/shl/requests.log" 2> /dev/null || echo 0; }

mkdir -p "$T/shl/ips"
cp "$V/shl/IPS_IG-bundle-01-enc.txt" "$T/shl/ips/file.jwe"
U=$(link "$BASE/ips/file.jwe" LU "" "IPS of the test")
before=$(count)
check_exit "a U link: the file fetched directly, decrypted, added" 0 "$EHR" record add "$U" --yes
check_eq "one record" "$(count)" "$((before + 1))"
check_eq "titled with the link's label" "$(listed "$(count)" title)" "IPS of the test"
check_eq "a FHIR Bundle" "$(listed "$(count)" resource_type)" Bundle
"$EHR" record get "$(count)" -o "$T/ips.json" 2> /dev/null
check_eq "holding the IPS Bundle byte for byte" "$(cmp -s "$T/ips.json" "$V/shl/IPS_IG-bundle-01.json" && echo same)" same
check_eq "fetched with GET ?recipient=ehr" "$(grep -c '^GET /ips/file.jwe?recipient=ehr$' "$T/shl/requests.log")" 1

before=$(count)
check_exit "the viewer-prefixed form, split into entries" 0 "$EHR" record add \
	"https://viewer.example/#$U" --split-bundle --yes
check_eq "one record per entry of the IPS Bundle (20)" "$(count)" "$((before + 20))"

before=$(count)
check_exit "a link on standard input" 0 sh -c 'printf "%s\n" "$1" | "$0" record add - --yes' "$EHR" "$U"
check_eq "one record" "$(count)" "$((before + 1))"

# a manifest behind a passcode: the card embedded, the IPS at a location
mkdir -p "$T/shl/m1"
printf 'open sesame\n' > "$T/shl/m1/passcode"
python3 - "$V/shl/spec-example-jwe.txt" "$BASE/ips/file.jwe" "$T/shl/m1/manifest.json" << 'EOF'
import json, sys
jwe = open(sys.argv[1]).read().strip()
json.dump({"files": [
    {"contentType": "application/smart-health-card", "embedded": jwe},
    {"contentType": "application/fhir+json", "location": sys.argv[2]},
    {"contentType": "application/smart-api-access", "embedded": jwe}]}, open(sys.argv[3], "w"))
EOF
P=$(link "$BASE/m1" LP "" "Back to school")
printf 'open sesame\n' > "$T/pc"
printf 'open says me\n' > "$T/wrong"
mark
check_exit "a wrong passcode is refused (3)" 3 "$EHR" record add "$P" --passcode-file "$T/wrong" --yes
grep_err "with the attempts left" "refused the passcode (2 attempts left)"
check_exit "a P link without a terminal or --passcode-file is refused (3)" 3 "$EHR" record add "$P" --yes
check_eq "the server was asked once (the wrong passcode), never without one" \
	"$(grep -c '^POST /m1 ' "$T/shl/requests.log")" 1
unchanged "wrong or missing passcodes"
before=$(count)
check_exit "the right passcode: the manifest's files added" 0 "$EHR" record add "$P" --passcode-file "$T/pc" --yes
grep_err "the smart-api-access file is skipped, said so" "1 file of the link skipped"
check_eq "two records: the card's Bundle and the IPS" "$(count)" "$((before + 2))"
check_eq "the card from the link is verified" "$(listed "$((before + 1))" issuer_status)" verified
check_eq "the link's FHIR file names no issuer" "$(listed "$((before + 2))" issuer)" None
check_eq "the manifest was asked for as ehr, with the passcode" \
	"$(grep -c '^POST /m1 {"passcode": "given", "recipient": "ehr"}$' "$T/shl/requests.log")" 2

## links refused
mkdir -p "$T/shl/bad"
python3 - "$V/shl/IPS_IG-bundle-01-enc.txt" "$T/shl/bad/file.jwe" << 'EOF'
import sys
h, k, iv, ct, tag = open(sys.argv[1]).read().strip().split(".")
i = len(ct) // 2
ct = ct[:i] + ("A" if ct[i] != "A" else "B") + ct[i + 1:]
open(sys.argv[2], "w").write(".".join([h, k, iv, ct, tag]))
EOF
mark
check_exit "tampered ciphertext is refused (6)" 6 "$EHR" record add "$(link "$BASE/bad/file.jwe" U)" --yes
grep_err "does not decrypt" "does not decrypt: it was changed"
check_exit "another key (the vectors' placeholder key) is refused (6)" 6 "$EHR" record add \
	"$(link "$BASE/ips/file.jwe" U "" "" raw_obs_unguessable_random_key0000000000000)" --yes
n=$(requests)
check_exit "an expired link is refused (5)" 5 "$EHR" record add "$(link "$BASE/ips/file.jwe" U "$(($(date +%s) - 60))")" --yes
grep_err "says when it expired" "the link expired at 20"
check_eq "and the server is not asked" "$(requests)" "$n"
check_exit "a link to plain http elsewhere is refused (2)" 2 "$EHR" record add "$(link http://example.org/x U)" --yes
grep_err "says https" "is not https"
check_exit "a link its server does not know is refused (5)" 5 "$EHR" record add "$(link "$BASE/gone" P)" \
	--passcode-file "$T/pc" --yes
grep_err "says it is gone" "no longer serves the link (http 404)"
check_exit "a link whose payload is not JSON is refused (2)" 2 "$EHR" record add "shlink:/bm90IGpzb24" --yes
grep_err "says so" "not a SMART Health Link: its payload is not a JSON object"
check_exit "flags P and U together are refused (2)" 2 "$EHR" record add "$(link "$BASE/ips/file.jwe" PU)" --yes
stop_server
check_exit "the server gone is exit 4" 4 "$EHR" record add "$U" --yes
grep_err "cannot reach" "cannot reach 127.0.0.1"
unchanged "tampered, foreign, expired, gone and unreachable links"

finish
