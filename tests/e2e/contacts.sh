#!/bin/sh
# ehr contacts against a real anvil: the address book (a 0600 file, damage
# refused with exit 6); key fingerprints cross-checked with Python's
# BLAKE2b; pinning from the registry or from a fingerprint read out; a
# hostile node (tests/tools/slowproxy -k) answering accountOf with another
# key: a grant, an approval, a release and watch --release to a pinned
# contact are refused (exit 6, nothing sent, both fingerprints named),
# while to an unpinned account the fingerprint shows "unverified"; the
# offer to pin on a terminal; names from `register` shown as unverified,
# with the address, in grant list, request list, audit, watch and invoice
# list, and a contact's name instead.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
grep_out() {
	if grep -q -- "$2" "$E2E_OUT"; then ok "$1"; else fail "$1: stdout was: $(cat "$E2E_OUT")"; fi
}
no_out() {
	if grep -q -- "$2" "$E2E_OUT"; then fail "$1: stdout was: $(cat "$E2E_OUT")"; else ok "$1"; fi
}
# json EXPR [ARG...]: EXPR of stdout's JSON (j), sys.argv[2:] the ARGs
json() { _e=$1; shift; python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($_e)" "$E2E_OUT" "$@"; }
nonce() { "$CAST" nonce "$1"; }
T=$E2E_TMP
BOOK=$EHR_HOME/contacts.json
PROXY=$E2E_TOOLS_DIR/slowproxy
PROXY_PID=
stop_proxy() { stop_bg PROXY_PID; }
trap 'stop_proxy; e2e_cleanup' EXIT
[ -x "$PROXY" ] || { fail "slowproxy not found at $PROXY (make $PROXY)"; finish; }

# hostile ADDR KEY: a node that gives ADDR the encryption key KEY; its URL in
# HURL (no configured network has it: --registry goes with it).
hostile() {
	stop_proxy
	: > "$T/proxy.port"
	"$PROXY" -t 120 -k "$1=$2" "${EHR_RPC_URL##*:}" > "$T/proxy.port" 2>> "$T/proxy.log" &
	PROXY_PID=$!
	_i=0
	until [ -s "$T/proxy.port" ] || [ $_i -ge 100 ]; do sleep 0.02; _i=$((_i + 1)); done
	HURL=http://127.0.0.1:$(cat "$T/proxy.port")
}

# tty_answer OUT PATTERN ANSWER... -- COMMAND...: COMMAND on a pseudo-terminal;
# each time its output shows the next PATTERN (a Python regex) the next
# ANSWER is typed. The transcript goes to OUT; COMMAND's exit status.
tty_answer() {
	python3 - "$@" << 'EOF'
import os, pty, re, select, signal, sys
out, rest = sys.argv[1], sys.argv[2:]
cut = rest.index("--")
pairs, cmd = rest[:cut], rest[cut + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
seen = b""
def more():
    global seen
    if not select.select([fd], [], [], 60)[0]:
        os.kill(pid, signal.SIGKILL)
        return False
    try:
        data = os.read(fd, 4096)
    except OSError:
        data = b""
    seen += data
    return bool(data)
pos = 0
for k in range(0, len(pairs), 2):
    pattern = re.compile(pairs[k].encode())
    m = pattern.search(seen, pos)
    while not m and more():
        m = pattern.search(seen, pos)
    if not m:
        break
    pos = m.end()
    os.write(fd, pairs[k + 1].encode() + b"\n")
while more():
    pass
_, status = os.waitpid(pid, 0)
open(out, "wb").write(seen.replace(b"\r", b""))
sys.exit(os.waitstatus_to_exitcode(status))
EOF
}

chain_setup 'contacts test passphrase'
for w in pat doc lab mal; do
	"$EHR" --wallet $w init --kdf interactive --mnemonic-out "$T/$w-m" -q
	"$EHR" --wallet dev send "$("$EHR" --wallet $w address)" 10 --yes -q
done
"$EHR" --wallet pat register --name "Pat Patient" --yes -q
"$EHR" --wallet doc register --name "Dr. Doc" --role provider --yes -q
"$EHR" --wallet lab register --name "City Lab" --role provider --yes -q
# a patient's wallet that calls itself a hospital
"$EHR" --wallet mal register --name "St. Mary's Hospital ER" --yes -q
PAT=$("$EHR" --wallet pat address)
DOC=$("$EHR" --wallet doc address)
LAB=$("$EHR" --wallet lab address)
MAL=$("$EHR" --wallet mal address)
printf 'allergy: penicillin\n' > "$T/allergies.txt"
printf 'hba1c 6.1%%\n' > "$T/lab.txt"
"$EHR" --wallet pat record add "$T/allergies.txt" "$T/lab.txt" --yes -q
fp_of() { "$EHR" --wallet "$1" register --show --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["fingerprint"])'; }
key_of() { "$EHR" --wallet "$1" register --show --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["encryption_key"])'; }
DOC_FP=$(fp_of doc) MAL_FP=$(fp_of mal) LAB_FP=$(fp_of lab)
MAL_KEY=$(key_of mal)

## fingerprints
check_eq "a fingerprint is BLAKE2b-128 of the key, personal ehr-keyfp-v1 (Python agrees)" "$DOC_FP" \
	"$(python3 -c 'import hashlib, sys
h = hashlib.blake2b(bytes.fromhex(sys.argv[1]), digest_size=16, salt=bytes(16), person=b"ehr-keyfp-v1").hexdigest()
print(" ".join(h[i:i + 4] for i in range(0, 32, 4)))' "$(key_of doc)")"
check_exit "accounts --json gives the same fingerprint, with no node" 0 env EHR_RPC_URL=http://127.0.0.1:1 \
	"$EHR" --wallet doc accounts --json
check_eq "  the same" "$(json 'j[0]["fingerprint"]')" "$DOC_FP"
check_exit "register --show prints it" 0 "$EHR" --wallet doc register --show
grep_out "  on its own line" "^fingerprint *$DOC_FP$"

## the book
check_exit "no contacts yet" 0 "$EHR" contacts
grep_err "  says how to add one" "ehr contacts add NAME ADDR"
check_exit "a bad name is refused (2)" 2 "$EHR" contacts add "$(printf 'Dr\033[31m')" "$DOC"
check_exit "a name like an address is refused (2)" 2 "$EHR" contacts add 0xDoc "$DOC"
check_exit "a bidi override in a name is refused (2)" 2 "$EHR" contacts add "$(printf 'scan\342\200\256fdp')" "$DOC"
BADSUM=$(python3 -c 'import sys
a = sys.argv[1]
i = max(k for k, c in enumerate(a) if k > 1 and c.isalpha())
print(a[:i] + a[i].swapcase() + a[i + 1:])' "$DOC")
check_exit "a bad checksum is refused (2)" 2 "$EHR" contacts add Doc "$BADSUM"
check_eq "  and no file was written" "$(test -e "$BOOK" || echo none)" none
check_exit "add a contact without a pin (no node needed)" 0 env EHR_RPC_URL=http://127.0.0.1:1 \
	"$EHR" contacts add "City Lab" "$LAB"
check_eq "the book is 0600" "$(stat -c %a "$BOOK")" 600
check_exit "the same name again is refused (2)" 2 "$EHR" contacts add "city lab" "$DOC"
check_exit "the same address again is refused (2)" 2 "$EHR" contacts add Lab2 "$LAB"
grep_err "  naming the contact" "named 'City Lab'"
check_exit "list" 0 "$EHR" contacts list
grep_out "  shows it not pinned" "City Lab .*$LAB  (not pinned)"
check_exit "list --json" 0 "$EHR" contacts list --json
check_eq "  name, address, null fingerprint" "$(json '[(c["name"], c["address"], c["fingerprint"]) for c in j]')" \
	"[('City Lab', '$LAB', None)]"

## pinning: the key the registry shows, or the fingerprint read out
check_exit "add --fingerprint of another key is refused (6)" 6 "$EHR" contacts add Doc "$DOC" --fingerprint "$MAL_FP"
grep_err "  naming both fingerprints" "the key $DOC_FP.*not $MAL_FP"
check_exit "  and nothing was written" 0 "$EHR" contacts list --json
check_eq "  (one contact)" "$(json 'len(j)')" 1
check_exit "add --fingerprint as read out (dashes, capitals)" 0 "$EHR" contacts add Doc "$DOC" \
	--fingerprint "$(printf '%s' "$DOC_FP" | tr ' a-f' '-A-F')"
check_exit "list --json" 0 "$EHR" contacts list --json
check_eq "  Doc is pinned to the doctor's key" "$(json '[c["fingerprint"] for c in j if c["name"] == "Doc"][0]')" "$DOC_FP"
check_eq "  the file keeps 32 hex digits" "$(python3 -c 'import json, sys
print([c.get("fingerprint") for c in json.load(open(sys.argv[1]))["contacts"]])' "$BOOK")" \
	"[None, '$(printf '%s' "$DOC_FP" | tr -d ' ')']"
check_exit "pin without a terminal and without --yes is refused (2)" 2 "$EHR" contacts pin "City Lab" < /dev/null
grep_err "  after showing the fingerprint" "$LAB_FP"
check_exit "pin an unknown contact (1)" 1 "$EHR" contacts pin Nobody --yes
check_exit "rm" 0 "$EHR" contacts rm "City Lab"
check_exit "rm again (1)" 1 "$EHR" contacts rm "City Lab"
check_exit "add --pin --yes pins what the registry shows" 0 "$EHR" contacts add "City Lab" "$LAB" --pin --yes --json
check_eq "  its JSON" "$(json '(j["name"], j["fingerprint"])')" "('City Lab', '$LAB_FP')"

## a damaged book is refused, nothing sent
cp "$BOOK" "$T/book"
printf '{"version":1,"contacts":[{"name":"Doc","address":"%s","fingerprint":"zz"}]}\n' "$DOC" > "$BOOK"
check_exit "a damaged book: list (6)" 6 "$EHR" contacts list
grep_err "  naming the file" "contacts.json is damaged"
n0=$(nonce "$PAT")
check_exit "a damaged book: grant refused (6)" 6 "$EHR" --wallet pat grant "$DOC" --records 1 --for 1h --yes
check_eq "  nothing sent" "$(nonce "$PAT")" "$n0"
check_exit "a damaged book: grant list refused (6)" 6 "$EHR" --wallet pat grant list
cp "$T/book" "$BOOK"

## a hostile node gives the doctor the attacker's key
hostile "$DOC" "$MAL_KEY"
check_exit "through it, the registry shows the doctor with mal's fingerprint" 0 "$EHR" --wallet doc \
	--rpc "$HURL" --registry "$REG" register --show
grep_out "  (the proxy rewrites)" "^fingerprint *$MAL_FP$"
grep_err "  and the doctor's own ehr says the key is not the wallet's" "another encryption key than this wallet's"
n0=$(nonce "$PAT")
check_exit "a grant to the pinned doctor through it is refused (6)" 6 "$EHR" --wallet pat --rpc "$HURL" \
	--registry "$REG" grant "$DOC" --records 1 --for 1h --yes
grep_err "  naming both fingerprints" "the key $MAL_FP, but its pinned key is $DOC_FP"
check_eq "  nothing sent" "$(nonce "$PAT")" "$n0"
if grep -q rewrote "$T/proxy.log"; then ok "  the proxy did rewrite the answer"; else fail "no rewrite: $(cat "$T/proxy.log")"; fi

# a grant (made on the honest node), an open access request, answered through the hostile one
check_exit "grant the doctor record 1 (honest node)" 0 "$EHR" --wallet pat grant "$DOC" --records 1 --for 1h --yes --json
GID=$(json 'j["grant"]')
check_exit "the doctor asks and stops waiting (1)" 1 "$EHR" --wallet doc access "$GID" -o "$T/doc" --wait 1s --yes
AID=$(pending_request pat)
n0=$(nonce "$PAT")
check_exit "request approve through the hostile node is refused (6)" 6 "$EHR" --wallet pat --rpc "$HURL" \
	--registry "$REG" request approve "$AID" --yes
grep_err "  naming both fingerprints" "$MAL_FP.*$DOC_FP"
check_eq "  nothing sent" "$(nonce "$PAT")" "$n0"
check_exit "watch --release through it releases nothing" 0 "$EHR" --wallet pat --rpc "$HURL" --registry "$REG" \
	watch --release --once --from 0
grep_err "  and says why, naming both fingerprints" "warning: .*$MAL_FP.*$DOC_FP"
check_eq "  nothing sent" "$(nonce "$PAT")" "$n0"
check_exit "request approve on the honest node releases" 0 "$EHR" --wallet pat request approve "$AID" --yes
check_eq "  one transaction" "$(nonce "$PAT")" $((n0 + 1))
check_eq "  a KeysReleased event on chain" "$("$CAST" logs --address "$REG" \
	'KeysReleased(address indexed,uint256 indexed,address indexed,uint256,uint256[],bytes[])' --from-block 0 \
	2> /dev/null | grep -c transactionHash)" 1

# a provider asks first; approving through the hostile node is refused too
check_exit "the doctor asks for record 2" 0 "$EHR" --wallet doc request --patient "$PAT" --records 2 --for 1h --yes
GRID=$(pending_request pat grant)
n0=$(nonce "$PAT")
check_exit "approving the grant request through it is refused (6)" 6 "$EHR" --wallet pat --rpc "$HURL" \
	--registry "$REG" request approve "$GRID" --yes
check_eq "  nothing sent" "$(nonce "$PAT")" "$n0"

# the same node against an account nobody pinned: it goes through, shown as unverified
"$EHR" contacts rm Doc -q
n0=$(nonce "$PAT")
check_exit "unpinned, a grant through it goes through with --yes" 0 "$EHR" --wallet pat --rpc "$HURL" \
	--registry "$REG" grant "$DOC" --records 1 --for 1h --yes
grep_err "  saying the key is unverified, with the fingerprint the node gave" "$MAL_FP, unverified"
check_eq "  sent" "$(nonce "$PAT")" $((n0 + 1))
stop_proxy
"$EHR" contacts add Doc "$DOC" --fingerprint "$DOC_FP" -q

## the offer to pin, on a terminal
if command -v python3 > /dev/null; then
	n0=$(nonce "$PAT")
	tty_answer "$T/tty1" 'A name for it' Mallory 'y/N' n -- "$EHR" --wallet pat grant "$MAL" --records 1 --for 1h
	check_eq "unpinned on a terminal: pinned as asked, the grant declined (1)" "$?" 1
	if grep -q "$MAL_FP, unverified" "$T/tty1"; then ok "  the fingerprint shown unverified"; else fail "$(cat "$T/tty1")"; fi
	check_eq "  nothing sent" "$(nonce "$PAT")" "$n0"
	check_exit "  the book has Mallory" 0 "$EHR" contacts list --json
	check_eq "  pinned to mal's key" "$(json '[c["fingerprint"] for c in j if c["name"] == "Mallory"][0]')" "$MAL_FP"
	tty_answer "$T/tty2" 'y/N' y -- "$EHR" --wallet pat grant "$MAL" --records 2 --for 1h
	check_eq "pinned now: the question says so, and the grant is made" "$?" 0
	if grep -q "Mallory ($MAL) \[key $MAL_FP pinned\]" "$T/tty2"; then ok "  Mallory, pinned"; else fail "$(cat "$T/tty2")"; fi
	check_eq "  sent" "$(nonce "$PAT")" $((n0 + 1))
	"$EHR" contacts rm Mallory -q
fi

## names: the registry's are unverified and carry the address; a contact's are the user's
check_exit "grant the self-named hospital" 0 "$EHR" --wallet pat grant "$MAL" --records 2 --for 1h --yes --json
grep_err "  its key unverified" "$MAL_FP, unverified"
MGID=$(json 'j["grant"]')
check_exit "grant list" 0 "$EHR" --wallet pat grant list
grep_out "  the registered name, unverified" "$MAL St. Mary's Hospital ER (unverified)"
grep_out "  the contact's name" "$DOC Doc$"
check_exit "grant list --json" 0 "$EHR" --wallet pat grant list --json
check_eq "  name_verified" "$(json 'sorted(set((g["name"], g["name_verified"]) for g in j))')" \
	"[('Doc', True), (\"St. Mary's Hospital ER\", False)]"
check_exit "the patient's audit" 0 "$EHR" --wallet pat audit --no-titles
grep_out "  names the hospital unverified, with its address" "St. Mary's Hospital ER (unverified, $MAL)"
grep_out "  and the contact by its name" "Doc ($DOC)"
check_exit "the patient's audit --json" 0 "$EHR" --wallet pat audit --no-titles --json
check_eq "  party_name_verified" \
	"$(json 'sorted(set((r["party_name"], r["party_name_verified"]) for r in j if r["party"] in sys.argv[2:]))' "$MAL" "$DOC")" \
	"[('Doc', True), (\"St. Mary's Hospital ER\", False)]"
check_exit "the hospital asks for access" 1 "$EHR" --wallet mal access "$MGID" -o "$T/mal" --wait 1s --yes
check_exit "request list" 0 "$EHR" --wallet pat request list
grep_out "  names it unverified" "St. Mary's Hospital ER (unverified, $MAL)"
check_exit "watch --once" 0 "$EHR" --wallet pat watch --once --from 0
grep_out "  names it unverified" "St. Mary's Hospital ER (unverified, $MAL)"
grep_out "  and the contact by its name" "Doc ($DOC)"
check_exit "the hospital bills the patient" 0 "$EHR" --wallet mal invoice issue --patient "$PAT" --amount 1 --native --yes
check_exit "invoice list" 0 "$EHR" --wallet pat invoice list
grep_out "  from the hospital, unverified" "from St. Mary's Hospital ER (unverified, $MAL)"
check_exit "invoice list --json" 0 "$EHR" --wallet pat invoice list --json
check_eq "  issuer_name_verified" "$(json '(j[0]["issuer_name"], j[0]["issuer_name_verified"])')" \
	"(\"St. Mary's Hospital ER\", False)"

finish
