#!/bin/sh
# Grants at the consultation against a real anvil: a grant shown as a QR
# code, opened by the clinician (a logged request the patient answers with
# its release: access_released in lib.sh); expiry, revocation, bearer
# grants with and without a passcode (their keys pre-released), --all
# grants that follow new records, the emergency card; every refusal leaves
# no file behind. tests/e2e/consent.sh tests the request and release.
. "$(dirname "$0")/lib.sh"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
json_num() { sed -n "s/.*\"$1\":[^0-9]*\([0-9]*\).*/\1/p" "$E2E_OUT" | head -n 1; }
json_str() { sed -n "s/.*\"$1\":[^\"]*\"\([^\"]*\)\".*/\1/p" "$E2E_OUT" | head -n 1; }
T=$E2E_TMP
chain_setup 'grants test passphrase'
for w in pat doc nurse stranger; do
	"$EHR" --wallet $w init --kdf interactive --mnemonic-out "$T/$w-m" -q
	"$EHR" --wallet dev send "$("$EHR" --wallet $w address)" 10 --yes -q
done
"$EHR" --wallet pat register --name "Pat Patient" --yes -q
"$EHR" --wallet doc register --name "Dr. Doc" --role provider --yes -q
"$EHR" --wallet nurse register --name "Nurse Joy" --role provider --yes -q
DOC=$("$EHR" --wallet doc address)
PAT=$("$EHR" --wallet pat address)
NURSE=$("$EHR" --wallet nurse address)
STRANGER=$("$EHR" --wallet stranger address)
mkdir -p "$T/in"
printf 'allergy: penicillin\n' > "$T/in/allergies.txt"
head -c 100000 /dev/urandom > "$T/in/scan.pdf"
printf 'hba1c 6.1%%\n' > "$T/in/lab.txt"
"$EHR" --wallet pat record add "$T/in/allergies.txt" "$T/in/scan.pdf" "$T/in/lab.txt" --yes -q
# accesses: the access log entries, logAccess (pre-released keys) and
# access requests together
accesses() { { "$CAST" logs --address "$REG" 'AccessLogged(address indexed,uint256 indexed,address indexed,uint256[])' \
	--from-block 0 2> /dev/null; "$CAST" logs --address "$REG" \
	'AccessRequested(address indexed,uint256 indexed,address indexed,uint256,uint256[])' --from-block 0 \
	2> /dev/null; } | grep -c transactionHash; }

## the consultation: 30 minutes over two records, shown as a QR code
check_exit "grant the doctor 30 minutes over records 1 and 2" 0 "$EHR" --wallet pat grant "$DOC" \
	--records 1,2 --for 30m --qr-png "$T/grant.png" --qr-svg "$T/grant.svg" --yes --json
GID=$(json_num grant)
URI=$(json_str uri)
check_eq "the URI names the chain, the registry, the grant and the patient" "$URI" \
	"ehr://grant/31337/$REG/$GID?patient=$PAT"
check_eq "the QR PNG is 0600" "$(stat -c %a "$T/grant.png")" 600
check_eq "zbarimg reads the PNG back to the URI" "$(zbarimg -q --raw "$T/grant.png" 2> /dev/null)" "$URI"
if command -v rsvg-convert > /dev/null; then
	rsvg-convert -w 600 "$T/grant.svg" > "$T/svg.png"
	check_eq "zbarimg reads the SVG back to the URI" "$(zbarimg -q --raw "$T/svg.png" 2> /dev/null)" "$URI"
fi
check_eq "the grant is active on chain" "$("$CAST" call "$REG" 'isActive(uint256)(bool)' "$GID")" true
a0=$(accesses)
zbarimg -q --raw "$T/grant.png" > "$T/scanned" 2> /dev/null
ACCESS_STDIN=$T/scanned access_released doc pat - -o "$T/doc" --yes --json
check_eq "the doctor opens the grant from the scanned URI, the patient releases" "$?" 0
check_eq "identical bytes (record 1)" "$(cmp -s "$T/in/allergies.txt" "$T/doc/allergies.txt" && echo same)" same
check_eq "identical bytes (record 2)" "$(cmp -s "$T/in/scan.pdf" "$T/doc/scan.pdf" && echo same)" same
check_eq "written 0600" "$(stat -c %a "$T/doc/scan.pdf")" 600
check_eq "record 3 was not shared" "$(test -e "$T/doc/lab.txt" || echo no)" no
check_eq "the access is logged on chain" "$(accesses)" $((a0 + 1))

## the URI off the command line: the QR image itself (--qr-image)
access_released doc pat --qr-image "$T/grant.png" -o "$T/doc-img" --yes --json
check_eq "the doctor opens the grant from its QR image (--qr-image), the patient releases" "$?" 0
check_eq "  identical bytes" "$(cmp -s "$T/in/scan.pdf" "$T/doc-img/scan.pdf" && echo same)" same
check_eq "  logged" "$(accesses)" $((a0 + 2))
# a white PNG without any code, and codes of something else
python3 -c '
import struct, sys, zlib
w = h = 120
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + b"\xff" * w for _ in range(h))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
	+ chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))' "$T/blank.png"
QRPNG=$E2E_TOOLS_DIR/qrpng
"$QRPNG" "https://example.org/not-a-grant" "$T/other.png"
"$QRPNG" "ehr://grant/31337/$REG/x$GID" "$T/bad-uri.png"
n0=$("$CAST" nonce "$DOC") a1=$(accesses)
check_exit "an image without a QR code is refused (2)" 2 "$EHR" --wallet doc access --qr-image "$T/blank.png" \
	-o "$T/doc-blank" --yes
grep_err "  saying so" "no QR code found in $T/blank.png"
check_exit "a QR code of a web address is refused (2)" 2 "$EHR" --wallet doc access --qr-image "$T/other.png" \
	-o "$T/doc-other-qr" --yes
grep_err "  saying it is no grant" "the QR code in $T/other.png is no grant: not an ehr grant URI"
check_exit "a QR code of a malformed grant URI is refused (2)" 2 "$EHR" --wallet doc access \
	--qr-image "$T/bad-uri.png" -o "$T/doc-bad-qr" --yes
check_exit "a file that is no image is refused (2)" 2 "$EHR" --wallet doc access --qr-image "$T/in/lab.txt" \
	-o "$T/doc-txt" --yes
grep_err "  saying so" "is not a PNG image"
check_exit "--qr-image and a URI together are refused (2)" 2 "$EHR" --wallet doc access --qr-image \
	"$T/grant.png" "$URI" -o "$T/doc-both" --yes
check_eq "  nothing sent by any of them" "$("$CAST" nonce "$DOC")" "$n0"
check_eq "  nothing logged" "$(accesses)" "$a1"
check_eq "  no folder" "$(ls -d "$T"/doc-blank "$T"/doc-other-qr "$T"/doc-bad-qr "$T"/doc-txt "$T"/doc-both 2> /dev/null)" ""
n0=$("$CAST" nonce "$DOC")
check_exit "a URI naming another patient is refused (6)" 6 "$EHR" --wallet doc access \
	"ehr://grant/31337/$REG/$GID?patient=$DOC" -o "$T/doc-other" --yes
grep_err "  saying so" "names another patient"
check_eq "  nothing sent" "$("$CAST" nonce "$DOC")" "$n0"
check_eq "  no folder" "$(test -e "$T/doc-other" || echo none)" none
access_released doc pat "ehr://grant/31337/$REG/$GID" -o "$T/doc-old" --yes
check_eq "a URI without the patient (written before) still opens" "$?" 0
check_eq "  identical bytes" "$(cmp -s "$T/in/allergies.txt" "$T/doc-old/allergies.txt" && echo same)" same
check_exit "grant list shows it active, with the doctor's name" 0 "$EHR" --wallet pat grant list --active
if grep -q "Dr. Doc" "$E2E_OUT"; then ok "named"; else fail "$(cat "$E2E_OUT")"; fi
if "$EHR" help --commands | grep -qx audit; then
	check_exit "the patient's audit shows the access" 0 "$EHR" --wallet pat audit --grant "$GID" --json
	if grep -q "Dr. Doc" "$E2E_OUT"; then ok "audit names the doctor"; else fail "$(cat "$E2E_OUT")"; fi
fi

## refusals: nothing written, nothing logged
check_exit "a third party cannot use the grant (5)" 5 "$EHR" --wallet nurse access "$URI" -o "$T/nurse" --yes
grep_err "says whose grant it is" "not for this account"
check_eq "nothing written" "$(test -e "$T/nurse" || echo none)" none
check_exit "an unregistered grantee is refused (2)" 2 "$EHR" --wallet pat grant "$STRANGER" --records 1 --for 1h --yes
grep_err "says to register" "ehr register"
check_exit "another patient's record cannot be granted (5)" 5 "$EHR" --wallet doc grant "$NURSE" \
	--records 1 --for 1h --yes
check_exit "a non-owner cannot revoke (5)" 5 "$EHR" --wallet doc revoke "$GID" --yes
check_exit "a grant with no duration is a usage error" 2 "$EHR" --wallet pat grant "$DOC" --records 1 --yes
check_exit "a past --until is refused" 2 "$EHR" --wallet pat grant "$DOC" --records 1 --until 2020-01-01 --yes
check_exit "bad record ids are a usage error" 2 "$EHR" --wallet pat grant "$DOC" --records 1,,2 --for 1h --yes
check_exit "a grant id that does not exist (1)" 1 "$EHR" --wallet doc access 999 --yes
check_exit "a malformed URI is a usage error" 2 "$EHR" --wallet doc access "ehr://grant/31337/nope/1" --yes

## revoke: at once
check_exit "the patient revokes" 0 "$EHR" --wallet pat revoke "$GID" --yes
a1=$(accesses)
check_exit "the revoked grant is refused (5)" 5 "$EHR" --wallet doc access "$URI" -o "$T/doc2" --yes
grep_err "says revoked" "revoked"
check_eq "no file written after revoke" "$(test -e "$T/doc2" || echo none)" none
check_eq "no access logged after revoke" "$(accesses)" "$a1"
check_exit "revoking twice is refused (5)" 5 "$EHR" --wallet pat revoke "$GID" --yes

## expiry: anvil's clock moves past it
check_exit "a 30-minute grant" 0 "$EHR" --wallet pat grant "$DOC" --records 3 --for 30m --yes --json
GID2=$(json_num grant)
"$CAST" rpc evm_increaseTime 1801 > /dev/null && "$CAST" rpc evm_mine > /dev/null
check_exit "after 30 minutes it is refused (5)" 5 "$EHR" --wallet doc access "$GID2" -o "$T/doc3" --yes
grep_err "says expired" "expired"
check_eq "no file written after expiry" "$(test -e "$T/doc3" || echo none)" none
check_exit "and the registry itself refuses logAccess" 1 "$CAST" send --private-key "$(anvil_key 0)" \
	"$REG" 'logAccess(uint256,uint256[])' "$GID2" '[3]'

## bearer grants: whoever holds the QR, with and without a passcode
check_exit "a bearer grant" 0 "$EHR" --wallet pat grant --bearer --records 1 --for 1h --qr-png "$T/bearer.png" \
	--yes --json
BURI=$(json_str uri)
case "$BURI" in *"#k="*) ok "the bearer URI carries its key in the fragment" ;; *) fail "no key: $BURI" ;; esac
check_exit "the nurse redeems it from its QR image, the key never on a command line" 0 "$EHR" --wallet nurse \
	access --qr-image "$T/bearer.png" -o "$T/nurse1" --yes
check_eq "and reads it" "$(cat "$T/nurse1/allergies.txt")" "allergy: penicillin"
check_exit "a single-use bearer grant binds its first redeemer (5)" 5 "$EHR" --wallet doc access "$BURI" \
	-o "$T/doc4" --yes
printf 'blue falcon\n' > "$T/chosen"
printf 'red falcon\n' > "$T/wrongcode"
n1=$("$CAST" nonce "$PAT")
check_exit "a chosen passcode is refused (2)" 2 "$EHR" --wallet pat grant --bearer --records 2 --for 1h \
	--passcode-file "$T/chosen" --yes --json
grep_err "  saying so: there is no such option" "unknown option '--passcode-file'"
check_eq "  nothing sent" "$("$CAST" nonce "$PAT")" "$n1"
check_exit "a bearer grant with a passcode" 0 "$EHR" --wallet pat grant --bearer --records 2 --for 1h \
	--passcode --yes --json
PURI=$(json_str uri)
json_str passcode > "$T/passcode"
case "$(cat "$T/passcode")" in [2-9a-z][2-9a-z][2-9a-z][2-9a-z][2-9a-z][2-9a-z][2-9a-z][2-9a-z])
	ok "ehr generated the passcode: 8 of 32 symbols (40 bits)" ;; *) fail "passcode: $(cat "$T/passcode")" ;; esac
check_exit "shown once, in the grant's output" 0 "$EHR" --wallet pat grant list --json
if grep -q "$(cat "$T/passcode")" "$E2E_OUT"; then fail "grant list shows no passcode"; else
	ok "grant list shows no passcode"; fi
case "$PURI" in *"p=1"*) ok "the URI says a passcode is needed" ;; *) fail "no p=1: $PURI" ;; esac
check_exit "a wrong passcode is refused (3)" 3 "$EHR" --wallet doc access "$PURI" -o "$T/doc5" \
	--passcode-file "$T/wrongcode" --yes
grep_err "says wrong passcode" "wrong passcode"
check_eq "nothing written with a wrong passcode" "$(test -e "$T/doc5" || echo none)" none
check_exit "the right passcode opens it" 0 "$EHR" --wallet doc access "$PURI" -o "$T/doc5" \
	--passcode-file "$T/passcode" --yes
check_eq "identical bytes through the passcode grant" "$(cmp -s "$T/in/scan.pdf" "$T/doc5/scan.pdf" && echo same)" same

## --all follows records added later
check_exit "grant the nurse all records for 7 days" 0 "$EHR" --wallet pat grant "$NURSE" --all --for 7d --yes --json
GALL=$(json_num grant)
printf 'new result\n' > "$T/in/later.txt"
check_exit "a record added later" 0 "$EHR" --wallet pat record add "$T/in/later.txt" --yes
if grep -q "shared with" "$E2E_ERR"; then fail "no key travels to an authorising --all grant"; else
	ok "no key travels to an authorising --all grant"; fi
access_released nurse pat "$GALL" -o "$T/nurse2" --yes --json
check_eq "the nurse reads every record, the new one too" "$?" 0
check_eq "four records" "$(grep -c '"id"' "$E2E_OUT")" 4
check_eq "with the new one" "$(cat "$T/nurse2/later.txt")" "new result"

## the emergency card
check_exit "choose the emergency records" 0 "$EHR" --wallet pat emergency set --records 1,3
check_exit "make the card" 0 "$EHR" --wallet pat emergency card --qr-png "$T/card.png" --qr-svg "$T/card.svg" --yes --json
CARD=$(json_num grant)
check_eq "the card scans" "$(zbarimg -q --raw "$T/card.png" 2> /dev/null)" "$(json_str uri)"
a2=$(accesses)
for w in doc nurse; do
	check_exit "$w opens the card" 0 sh -c "zbarimg -q --raw '$T/card.png' 2> /dev/null |
		'$EHR' --wallet $w access - -o '$T/card-$w' --yes"
	check_eq "$w reads the allergies" "$(cat "$T/card-$w/allergies.txt")" "allergy: penicillin"
done
check_eq "both uses are logged" "$(accesses)" $((a2 + 2))
check_exit "a new card revokes the old one" 0 "$EHR" --wallet pat emergency card --qr-png "$T/card2.png" --yes
check_eq "the old card is revoked" "$("$CAST" call "$REG" 'isActive(uint256)(bool)' "$CARD")" false
check_exit "the old card no longer opens (5)" 5 sh -c "zbarimg -q --raw '$T/card.png' 2> /dev/null |
	'$EHR' --wallet doc access - -o '$T/card-old' --yes"
check_exit "emergency show" 0 "$EHR" --wallet pat emergency show --json
if grep -q '"state":	"active"' "$E2E_OUT"; then ok "the new card is active"; else fail "$(cat "$E2E_OUT")"; fi
check_exit "emergency revoke" 0 "$EHR" --wallet pat emergency revoke --yes
check_exit "emergency set refuses another patient's record" 2 "$EHR" --wallet doc emergency set --records 1

## a title and a file name that reverse on screen ("scan<U+202E>fdp.exe"
## shows as "scanexe.pdf"), with a C1 control and an isolate: every byte of
## them is a '?' wherever ehr prints them, a '_' in the files it writes
RLO=$(printf '\342\200\256') CSI=$(printf '\302\233') LRI=$(printf '\342\201\246')
# raw_bytes FILE: lines of FILE holding any of those bytes
raw_bytes() { LC_ALL=C grep -c -e "$RLO" -e "$CSI" -e "$LRI" "$1"; }
printf 'x-ray report\n' > "$T/in/scan${RLO}fdp.exe"
printf 'scan%sfdp.exe %s31m%s\n' "$RLO" "$CSI" "$LRI" > "$T/title"
check_exit "a record with such a title (--title-file) and file name" 0 "$EHR" --wallet pat record add \
	"$T/in/scan${RLO}fdp.exe" --title-file "$T/title" --yes --json
RID=$(json_num id)
for how in "" --json; do
	check_exit "record list $how" 0 "$EHR" --wallet pat record list $how
	check_eq "  shows the title's bytes as ?" "$(grep -c 'scan???fdp.exe ??31m???' "$E2E_OUT")" 1
	check_eq "  and none of them as they are" "$(raw_bytes "$E2E_OUT")" 0
done
check_exit "audit" 0 "$EHR" --wallet pat audit --record "$RID"
check_eq "  shows the title's bytes as ?" "$(grep -c 'scan???fdp.exe ??31m???' "$E2E_OUT")" 1
check_eq "  and none of them as they are" "$(raw_bytes "$E2E_OUT")" 0
mkdir "$T/get" && (cd "$T/get" && "$EHR" --wallet pat record get "$RID" -q)
check_eq "record get names the file with _ for each such byte" "$(ls "$T/get")" "scan___fdp.exe"
check_exit "a grant over it" 0 "$EHR" --wallet pat grant "$DOC" --records "$RID" --for 1h --yes --json
access_released doc pat "$(json_num grant)" -o "$T/doc-title" --yes
check_eq "the doctor's access writes it as scan___fdp.exe" "$(ls "$T/doc-title")" "scan___fdp.exe"
check_eq "  with its bytes" "$(cat "$T/doc-title/scan___fdp.exe")" "x-ray report"
check_eq "  and prints none of the title's bytes as they are" "$(cat "$E2E_OUT" "$E2E_ERR" > "$T/both"; raw_bytes "$T/both")" 0
grep -q 'scan???fdp.exe' "$E2E_OUT" "$E2E_ERR" && ok "  but shows the title" || fail "  no title: $(cat "$E2E_OUT")"
check_exit "grant list" 0 "$EHR" --wallet pat grant list
check_eq "  prints none of them either" "$(raw_bytes "$E2E_OUT")" 0
# --title-file refusals: nothing anchored
rc0=$("$CAST" call "$REG" 'recordCount()(uint256)')
printf 'a\000b\n' > "$T/title-nul"
: > "$T/title-empty"
check_exit "a title file with a NUL byte is refused (2)" 2 "$EHR" --wallet pat record add "$T/in/lab.txt" \
	--title-file "$T/title-nul" --yes
grep_err "  saying so" "title-nul holds a NUL byte: the title is text"
check_exit "an empty title file is refused (2)" 2 "$EHR" --wallet pat record add "$T/in/lab.txt" \
	--title-file "$T/title-empty" --yes
grep_err "  saying so" "title-empty holds no title"
check_exit "--title-file with two files is refused (2)" 2 "$EHR" --wallet pat record add "$T/in/lab.txt" \
	"$T/in/allergies.txt" --title-file "$T/title" --yes
check_exit "--title-file and --title together are refused (2)" 2 "$EHR" --wallet pat record add "$T/in/lab.txt" \
	--title-file "$T/title" --title x --yes
check_eq "  nothing anchored by any of them" "$("$CAST" call "$REG" 'recordCount()(uint256)')" "$rc0"

finish
