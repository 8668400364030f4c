#!/bin/sh
# What a record leaves on a public chain (issue 14, item 5), against a real
# anvil: notes of 20, 29 and 33 bytes anchor envelopes of one size (the
# event's size, the stored file, and cast's view of each transaction: its
# input length, and its gas once the input's own cost is taken out); a
# padded envelope whose padding was changed is refused (exit 6) and nothing
# is written; an envelope of format version 1 (made by the ehr before the
# padding, under a path-named dir: locator) still opens; new dir: locators
# name the content hash and no path, and are found again in the directory
# ehr remembers or in EHR_STORE_DIR.
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
chain_setup 'padding test passphrase'
PAT="--wallet dev --account 1"
PAT_ADDR=$("$EHR" $PAT address)
"$EHR" $PAT register --name "Pat Patient" --yes -q
mkdir -p "$T/in"
# py EXPR FILE: EXPR with d = FILE's JSON
py() { python3 -c 'import json, sys; d = json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$1" "$2"; }
ANCHORED='RecordAnchored(address indexed,uint256 indexed,address indexed,uint256,bytes32,uint64,string,bytes,bytes,bytes)'
# tx_of ID: the transaction that anchored record ID (cast's reading of the logs)
tx_of() {
	"$CAST" logs --address "$REG" "$ANCHORED" --from-block 0 --json | python3 -c '
import json, sys
for l in json.load(sys.stdin):
	if int(l["topics"][2], 16) == int(sys.argv[1]):
		print(l["transactionHash"])' "$1"
}
# floor_gas TX: the least gas a transaction with TX's input pays (EIP-7623,
# anvil's default hardfork: 21000 + 10 a token, a zero byte one token and
# another byte four), which a transaction mostly of call data pays exactly
floor_gas() {
	"$CAST" tx "$1" input | python3 -c '
import sys
b = bytes.fromhex(sys.stdin.read().strip()[2:])
print(21000 + 10 * sum(1 if x == 0 else 4 for x in b))'
}

## notes of 20, 29 and 33 bytes in the chain store: one size
printf 'warm-up record, its own size\n' > "$T/in/warm.txt"
"$EHR" $PAT record add "$T/in/warm.txt" --yes -q   # recordCount 0 -> 1 costs more: out of the way
printf 'BP 120/80, pulse 64.' > "$T/in/note-20.txt"
printf 'HIV test: negative (2026-12).' > "$T/in/note-29.txt"
printf 'Allergy: penicillin (rash, 2019).' > "$T/in/note-33.txt"
sizes='' inputs='' gases='' raw=''
for n in 20 29 33; do
	check_eq "the $n-byte note is $n bytes" "$(wc -c < "$T/in/note-$n.txt")" "$n"
	check_exit "the $n-byte note is anchored in the chain store" 0 \
		"$EHR" $PAT record add "$T/in/note-$n.txt" --yes --json
	id=$(py 'd[0]["id"]' "$E2E_OUT")
	sizes="$sizes $(py 'd[0]["size"]' "$E2E_OUT")"
	tx=$(tx_of "$id")
	len=$("$CAST" tx "$tx" input | python3 -c 'import sys; print((len(sys.stdin.read().strip()) - 2) // 2)')
	inputs="$inputs $len"
	used=$("$CAST" receipt "$tx" gasUsed)
	raw="$raw $used"
	gases="$gases $((used - $(floor_gas "$tx")))"
	"$EHR" $PAT record get "$id" -o "$T/back-$n.txt" -q
	check_eq "the $n-byte note comes back as it was" "$(cmp -s "$T/in/note-$n.txt" "$T/back-$n.txt" && echo same)" same
done
check_eq "the three envelopes are 1614 bytes each (anchored size)" "${sizes# }" "1614 1614 1614"
set -- $inputs
check_eq "cast tx: the three transactions' inputs are one length ($1 bytes)" "$1 $1 $1" "${inputs# }"
# so their gas differs only by the ciphertext's random zero bytes: each
# paid exactly the floor of its input
check_eq "cast receipt: each paid the call-data floor of its input, nothing that depends on the note" \
	"${gases# }" "0 0 0"
echo "# gas used:$raw; input bytes:$inputs"
check_eq "cast logs: the anchored prefixes (metadata for listing) are 44 + 512 + 17 bytes each" \
	"$("$CAST" logs --address "$REG" "$ANCHORED" --from-block 0 --json | python3 -c '
import json, sys
out = []
for l in json.load(sys.stdin)[1:4]:
	d = bytes.fromhex(l["data"][2:])
	off = int.from_bytes(d[6 * 32:7 * 32], "big")
	out.append(str(int.from_bytes(d[off:off + 32], "big")))
print(" ".join(out))')" "573 573 573"

## a dir: store: the locator names the content hash, and no path
mkdir -p "$T/store"
check_exit "the 20-byte note is added to a dir: store" 0 \
	"$EHR" $PAT record add "$T/in/note-20.txt" --store "dir:$T/store" --yes --json
DID=$(py 'd[0]["id"]' "$E2E_OUT")
DLOC=$(py 'd[0]["locator"]' "$E2E_OUT")
DHASH=$(py 'd[0]["content_hash"][2:]' "$E2E_OUT")
check_eq "its locator is dir:<content hash>" "$DLOC" "dir:$DHASH"
check_eq "the stored file is 1614 bytes, the anchored size" "$(wc -c < "$T/store/$DHASH.ehr")" 1614
tx=$(tx_of "$DID")
pathhex=$(printf '%s' "$T/store" | od -An -tx1 | tr -d ' \n')
check_eq "cast tx: the transaction's input holds no path of the store" \
	"$("$CAST" tx "$tx" input | grep -c "$pathhex")" 0
check_eq "cast logs: the event names the locator dir:<hash>" \
	"$("$CAST" logs --address "$REG" "$ANCHORED" --from-block 0 --json | grep -c "$(printf 'dir:%s' "$DHASH" | od -An -tx1 | tr -d ' \n')")" 1
check_eq "the directory is remembered in the state directory, 0600" \
	"$(cat "$EHR_HOME/state/dir-stores") $(stat -c %a "$EHR_HOME/state/dir-stores")" "$T/store 600"
check_exit "the record opens from the remembered directory" 0 \
	"$EHR" $PAT record get "$DID" -o "$T/dir-back.txt"
check_eq "its bytes" "$(cmp -s "$T/in/note-20.txt" "$T/dir-back.txt" && echo same)" same
mv "$T/store" "$T/moved"
check_exit "the share mounted elsewhere: not found (exit 1)" 1 \
	"$EHR" $PAT record get "$DID" -o "$T/nowhere.txt"
check_eq "the error says where it looked and names EHR_STORE_DIR" \
	"$(grep -c 'none of the dir: stores known here.*EHR_STORE_DIR' "$E2E_ERR")" 1
check_eq "nothing written" "$(test -e "$T/nowhere.txt" && echo yes)" ""
check_exit "EHR_STORE_DIR finds it where it is now" 0 \
	env EHR_STORE_DIR="/nonexistent:$T/moved" "$EHR" $PAT record verify "$DID"
mv "$T/moved" "$T/store"

## the padding changed: refused
NONCE=$("$CAST" nonce "$PAT_ADDR")
cp "$T/store/$DHASH.ehr" "$T/good.ehr"
# the last chunk is the 20 bytes, the mark and 1003 zero bytes (+17): a byte
# 500 from its end is padding
python3 -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) - 17 - 500] ^= 0x01
open(p, "wb").write(b)' "$T/store/$DHASH.ehr"
check_exit "record get of an envelope whose padding was changed: exit 6" 6 \
	"$EHR" $PAT record get "$DID" -o "$T/tampered.txt"
check_eq "it says the record does not match its anchor" \
	"$(grep -c 'does not match its anchor' "$E2E_ERR")" 1
check_eq "no plaintext written" "$(test -e "$T/tampered.txt" && echo yes)" ""
check_exit "record verify: exit 6" 6 "$EHR" $PAT record verify "$DID"
check_exit "audit verify: exit 6" 6 "$EHR" $PAT audit verify
check_eq "nothing sent (cast nonce)" "$("$CAST" nonce "$PAT_ADDR")" "$NONCE"
cp "$T/good.ehr" "$T/store/$DHASH.ehr"
check_exit "put back, it opens" 0 "$EHR" $PAT record verify "$DID"

## an envelope of version 1, anchored under an old path-named locator
check_eq "the seal_key tool is built (make test)" "$(test -x "$E2E_TOOLS_DIR/seal_key" && echo yes)" yes
V1="$(dirname "$0")/envelope-v1.ehr"
mkdir -p "$T/old"
VHASH=$(sha256sum "$V1" | cut -c1-64)
cp "$V1" "$T/old/$VHASH.ehr"
check_eq "the fixture is a version 1 envelope (byte 8)" "$(od -An -tx1 -j8 -N1 "$V1" | tr -d ' ')" 01
KEY=e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
PK=$("$EHR" $PAT register --show --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["encryption_key"])')
SEALED=$("$E2E_TOOLS_DIR/seal_key" "$KEY" "$PK")
PREFIX=$(head -c 198 "$V1" | od -An -tx1 | tr -d ' \n')   # 44 + M (137) + 17
"$CAST" send --private-key "$(anvil_key 1)" "$REG" \
	'anchorRecord(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes))' "$PAT_ADDR" 0 \
	"(0x$VHASH,248,dir:$T/old/$VHASH.ehr,0x$SEALED,0x,0x$PREFIX)" > /dev/null
check_exit "the version 1 record is listed" 0 "$EHR" $PAT record list --json
OID=$(python3 -c '
import json, sys
print([r["id"] for r in json.load(open(sys.argv[1])) if r["title"] == "a note sealed by ehr before padding"][0])' "$E2E_OUT")
check_eq "with its old locator and size" \
	"$(python3 -c 'import json, sys; r = [r for r in json.load(open(sys.argv[1])) if r["id"] == int(sys.argv[2])][0]; print(r["locator"], r["size"])' "$E2E_OUT" "$OID")" \
	"dir:$T/old/$VHASH.ehr 248"
check_exit "record get opens it" 0 "$EHR" $PAT record get "$OID" -o "$T/old-back.txt"
check_eq "to the note it held" "$(cat "$T/old-back.txt")" "Blood pressure 120/80, pulse 64."
check_exit "record verify" 0 "$EHR" $PAT record verify "$OID"

## erase deletes a dir:<hash> record's file, found as reading finds it
check_exit "the patient erases the dir: record" 0 "$EHR" $PAT record erase "$DID" --yes
check_eq "its file is gone" "$(test -e "$T/store/$DHASH.ehr" && echo yes)" ""
finish
