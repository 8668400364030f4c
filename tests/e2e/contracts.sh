#!/bin/sh
# The registry's rules on a real anvil, driven with cast: for each rule, that
# it works and that it refuses with the right custom error. Prints the gas of
# each function (the table in contracts/README.md comes from here).
. "$(dirname "$0")/lib.sh"

ART=$E2E_ROOT/contracts/artifacts
GAS_LOG=$E2E_TMP/gas

# artifact_field NAME FIELD: "bytecode" or "deployedBytecode" of an artifact.
artifact_field() {
	sed -n "s/^  \"$2\": \"\(0x[0-9a-f]*\)\",\{0,1\}\$/\1/p" "$ART/$1.json"
}

# json_field NAME: a hex field of the last cast --json output.
json_field() {
	sed -n "s/.*\"$1\":\"\(0x[0-9a-fA-F]*\)\".*/\1/p" "$E2E_OUT" | head -n 1
}

# send WHAT KEY CAST-SEND-ARGUMENTS...: a transaction that must be mined with
# status 1. Sets TX (its hash) and GAS (gas used).
send() {
	_what=$1 _key=$2
	shift 2
	TX='' GAS=''
	if "$CAST" send --json --private-key "$_key" "$@" > "$E2E_OUT" 2> "$E2E_ERR" &&
	   grep -q '"status":"0x1"' "$E2E_OUT"; then
		TX=$(json_field transactionHash)
		GAS=$(printf '%d' "$(json_field gasUsed)")
		ok "$_what"
		return 0
	fi
	fail "$_what"
	sed 's/^/    /' "$E2E_ERR" | head -n 5
	return 1
}

# event_word0: the first data word of the last transaction's only event.
event_word0() {
	"$CAST" to-dec "0x$("$CAST" receipt --json "$TX" | sed -n 's/.*"data":"0x\([0-9a-f]\{64\}\).*/\1/p')"
}

# gas NAME: notes the gas of the last send under NAME for the table.
gas() {
	[ -n "$GAS" ] && printf '%-44s %8s\n' "$1" "$GAS" >> "$GAS_LOG"
}

# reverts WHAT ERROR-SIGNATURE KEY CAST-SEND-ARGUMENTS...: the transaction
# must be refused with exactly that custom error (its 4-byte selector is
# compared with the revert data the node returns).
reverts() {
	_what=$1 _want=$("$CAST" sig "$2")
	_name=$2 _key=$3
	shift 3
	if "$CAST" send --private-key "$_key" "$@" > "$E2E_OUT" 2> "$E2E_ERR"; then
		fail "$_what: went through, want $_name"
		return
	fi
	_data=$(sed -n 's/.*data: "\(0x[0-9a-fA-F]*\)".*/\1/p' "$E2E_ERR" | head -n 1)
	_sel=$(printf '%s' "$_data" | cut -c1-10)
	if [ "$_sel" = "$_want" ]; then
		ok "$_what: $_name"
	else
		fail "$_what: reverted with '$_data', want $_name ($_want)"
		sed 's/^/    /' "$E2E_ERR" | head -n 3
	fi
}

# call CONTRACT SIG ARGS...: a view, its results on one line, without the
# " [1e9]" that cast appends to large numbers.
call() {
	"$CAST" call "$@" 2>&1 | tr '\n' ' ' | sed 's/ \[[0-9.e]*\]//g; s/ *$//'
}

now() {
	"$CAST" block latest --field timestamp
}

# travel SECONDS: moves the node's clock and mines a block.
travel() {
	"$CAST" rpc evm_increaseTime "$1" > /dev/null && "$CAST" rpc evm_mine > /dev/null
}

# record HASH: an anchorRecord tuple of realistic sizes (80-byte sealed
# keys, as crypto_box_seal of a 32-byte key; 160 bytes of sealed metadata).
record() {
	printf '(%s,%s,chain,0x%s,0x%s,0x%s)' "$1" 4242 "$(rand_hex 80)" "${2:-}" "$(rand_hex 160)"
}

# EHR_HARDFORK=paris (say) runs it all on an older EVM: the bytecode is
# compiled for paris, so it must deploy and behave the same there.
records() { # N [HASH]: an array of N record tuples, fresh hashes unless HASH
	_n=$1 _sep='' _all=''
	while [ "$_n" -gt 0 ]; do
		_all="$_all$_sep$(record "${2:-0x$(rand_hex 32)}")"
		_sep=,
		_n=$((_n - 1))
	done
	printf '[%s]' "$_all"
}

start_anvil ${EHR_HARDFORK:+--hardfork "$EHR_HARDFORK"} || { fail "anvil starts"; finish; }

K0=$(anvil_key 0)	# deployer
KP=$(anvil_key 1)	# patient
KB=$(anvil_key 2)	# provider (grantee, invoice issuer)
KC=$(anvil_key 3)	# a third party
KQ=$(anvil_key 4)	# another patient
KD=$(anvil_key 5)	# a second provider, redeeming bearer grants
for k in P B C Q D; do
	eval "$k=\$(\"\$CAST\" wallet address \"\$K$k\")"
done
EK=0x$(rand_hex 32)	# a bearer grant's ephemeral key (the QR's secret)
E=$("$CAST" wallet address "$EK")

# ---- deployment ------------------------------------------------------------

send "registry deploys" "$K0" --create "$(artifact_field Registry bytecode)" && gas "deploy Registry"
R=$("$CAST" to-check-sum-address "$(json_field contractAddress)")
check_eq "runtime code on chain is the artifact's deployedBytecode" \
	"$("$CAST" code "$R")" "$(artifact_field Registry deployedBytecode)"
send "test token deploys" "$K0" --create "$(artifact_field TestToken bytecode)" && gas "deploy TestToken"
T=$("$CAST" to-check-sum-address "$(json_field contractAddress)")
send "token without return value deploys" "$K0" --create "$(artifact_field OddToken bytecode)" \
	"constructor(bool)" false
TN=$(json_field contractAddress)
send "token returning false deploys" "$K0" --create "$(artifact_field OddToken bytecode)" \
	"constructor(bool)" true
TF=$(json_field contractAddress)

# ---- key directory ---------------------------------------------------------

PKEY=0x$(rand_hex 32)
send "patient registers" "$KP" "$R" "register(bytes32,string,uint8)" "$PKEY" "Ada Patient" 1 &&
	gas "register"
check_eq "accountOf returns key, name, role" "$(call "$R" "accountOf(address)(bytes32,string,uint8)" "$P")" \
	"$PKEY \"Ada Patient\" 1"
send "provider registers" "$KB" "$R" "register(bytes32,string,uint8)" "0x$(rand_hex 32)" "Dr Bea" 2
reverts "register with an empty key" "EmptyKey()" "$KC" "$R" "register(bytes32,string,uint8)" \
	0x0000000000000000000000000000000000000000000000000000000000000000 x 2
reverts "register with role 0" "BadRole()" "$KC" "$R" "register(bytes32,string,uint8)" "$PKEY" x 0
reverts "register with a 65-byte name" "NameTooLong()" "$KC" "$R" "register(bytes32,string,uint8)" \
	"$PKEY" "$(printf '%065d' 0)" 2
check_eq "unregistered account reads as empty" "$(call "$R" "accountOf(address)(bytes32,string,uint8)" "$C")" \
	"0x0000000000000000000000000000000000000000000000000000000000000000 \"\" 0"

# ---- records ---------------------------------------------------------------

H1=0x$(rand_hex 32)
send "patient anchors a record" "$KP" "$R" "anchorRecord(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes))" \
	"$P" 0 "$(record "$H1")" && gas "anchorRecord (patient)"
check_eq "record ids start at 1" "$(call "$R" "recordCount()(uint256)")" 1
check_eq "recordOf(1) names the patient" "$(call "$R" "recordOf(uint256)(address,uint64,bool)" 1 | cut -d' ' -f1,3)" \
	"$P false"
ANCHORED="RecordAnchored(address indexed,uint256 indexed,address indexed,uint256,bytes32,uint64,string,bytes,bytes,bytes)"
check_eq "RecordAnchored is found by patient, id and author" \
	"$("$CAST" logs --from-block 0 --address "$R" "$ANCHORED" "$P" 1 "$P" | grep -c transactionHash)" 1
send "patient anchors 10 records in one batch" "$KP" "$R" \
	"anchorRecords(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes)[])" "$P" 0 \
	"$(records 10)" &&
	GAS=$((GAS / 10)) && gas "anchorRecords (per record, batch of 10)"
check_eq "batch gets consecutive ids 2..11" "$(call "$R" "recordCount()(uint256)")" 11
check_eq "batch emitted 10 RecordAnchored" "$("$CAST" receipt --json "$TX" | grep -o "$("$CAST" sig-event \
	"RecordAnchored(address,uint256,address,uint256,bytes32,uint64,string,bytes,bytes,bytes)")" | grep -c .)" 10
reverts "empty batch" "EmptyBatch()" "$KP" "$R" \
	"anchorRecords(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes)[])" "$P" 0 "[]"
reverts "provider writes without a grant" "NoWriteGrant()" "$KB" "$R" \
	"anchorRecord(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes))" "$P" 0 "$(record "$H1")"
send "another patient anchors a record (id 12)" "$KQ" "$R" \
	"anchorRecord(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes))" "$Q" 0 "$(record "$H1")"

# Chain storage: the bytes only in calldata, found again through the event.
for kib in 1 16 48; do
	data=0x$(rand_hex $((kib * 1024)))
	CH=0x$(rand_hex 32)
	send "storeChunk of $kib KiB" "$KB" "$R" "storeChunk(bytes32,uint32,uint32,bytes)" "$CH" 0 1 "$data" &&
		gas "storeChunk $kib KiB"
	eval "chunk_gas_$kib=\$GAS"
done
check_eq "ChunkStored is found by content hash and sender" \
	"$("$CAST" logs --from-block 0 --address "$R" "ChunkStored(bytes32 indexed,address indexed,uint32,uint32)" \
		"$CH" "$B" | grep -c transactionHash)" 1
input=$("$CAST" tx "$TX" input)
check_eq "the chunk's bytes come back from the transaction input" \
	"$("$CAST" calldata-decode "storeChunk(bytes32,uint32,uint32,bytes)" "$input" | tail -n 1)" "$data"
send "storeChunks: 4 chunks of 2 KiB" "$KB" "$R" "storeChunks((bytes32,uint32,uint32,bytes)[])" \
	"[($CH,0,4,0x$(rand_hex 2048)),($CH,1,4,0x$(rand_hex 2048)),($CH,2,4,0x$(rand_hex 2048)),($CH,3,4,0x$(rand_hex 2048))]" &&
	gas "storeChunks 4 x 2 KiB"

# Bytes and anchors in one transaction (records 13 and 14), against the same
# in two transactions.
STORE_ANCHOR="storeAndAnchor(address,uint256,(bytes32,uint32,uint32,bytes)[],(bytes32,uint64,string,bytes,bytes,bytes)[])"
c1=0x$(rand_hex 32) c2=0x$(rand_hex 32)
send "storeAndAnchor: 2 records of 2 KiB with their bytes" "$KP" "$R" "$STORE_ANCHOR" "$P" 0 \
	"[($c1,0,1,0x$(rand_hex 2048)),($c2,0,1,0x$(rand_hex 2048))]" "[$(record "$c1"),$(record "$c2")]" &&
	gas "storeAndAnchor (2 records of 2 KiB)"
check_eq "storeAndAnchor anchored records 13 and 14" "$(call "$R" "recordCount()(uint256)")" 14
check_eq "storeAndAnchor stored the second record's chunk" \
	"$("$CAST" logs --from-block 0 --address "$R" "ChunkStored(bytes32 indexed,address indexed,uint32,uint32)" \
		"$c2" "$P" | grep -c transactionHash)" 1
c3=0x$(rand_hex 32)
reverts "storeAndAnchor by a provider without a grant" "NoWriteGrant()" "$KB" "$R" "$STORE_ANCHOR" "$P" 0 \
	"[($c3,0,1,0x$(rand_hex 64))]" "[$(record "$c3")]"
check_eq "a refused storeAndAnchor stored nothing" \
	"$("$CAST" logs --from-block 0 --address "$R" "ChunkStored(bytes32 indexed,address indexed,uint32,uint32)" \
		"$c3" | grep -c transactionHash)" 0
send "the same in two transactions (1/2): storeChunks" "$KP" "$R" "storeChunks((bytes32,uint32,uint32,bytes)[])" \
	"[($c1,0,1,0x$(rand_hex 2048)),($c2,0,1,0x$(rand_hex 2048))]" && two=$GAS
send "the same in two transactions (2/2): anchorRecords" "$KP" "$R" \
	"anchorRecords(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes)[])" "$P" 0 \
	"[$(record "$c1"),$(record "$c2")]" && GAS=$((two + GAS)) && gas "storeChunks + anchorRecords (same, 2 txs)"

# ---- grants ----------------------------------------------------------------

SK1=0x$(rand_hex 80) SK2=0x$(rand_hex 80)
GRANT="grant(address,uint64,uint8,uint256[],bytes[])"
exp=$(($(now) + 1800))
send "patient grants provider 30 min over records 1 and 2" "$KP" "$R" "$GRANT" "$B" "$exp" 0 "[1,2]" "[$SK1,$SK2]" &&
	gas "grant (2 records)"
G1=$(call "$R" "grantCount()(uint256)")
check_eq "grant ids start at 1" "$G1" 1
check_eq "isActive(grant)" "$(call "$R" "isActive(uint256)(bool)" "$G1")" true
check_eq "grant covers record 2" "$(call "$R" "covers(uint256,uint256)(bool)" "$G1" 2)" true
check_eq "grant does not cover record 3" "$(call "$R" "covers(uint256,uint256)(bool)" "$G1" 3)" false
check_eq "the sealed keys travel in GrantIssued" "$("$CAST" receipt --json "$TX" | grep -o "${SK2#0x}" | grep -c .)" 1
check_eq "canAccess for the grantee" "$(call "$R" "canAccess(uint256,address)(bool)" "$G1" "$B")" true
check_eq "canAccess for a third party" "$(call "$R" "canAccess(uint256,address)(bool)" "$G1" "$C")" false
reverts "grant over another patient's record" "NotPatientsRecord(uint256)" "$KP" "$R" "$GRANT" "$B" "$exp" 0 "[12]" "[$SK1]"
reverts "grant over a record that does not exist" "NoSuchRecord(uint256)" "$KP" "$R" "$GRANT" "$B" "$exp" 0 "[99]" "[$SK1]"
reverts "grant with fewer keys than records" "LengthMismatch()" "$KP" "$R" "$GRANT" "$B" "$exp" 0 "[1,2]" "[$SK1]"
reverts "grant expiring in the past" "BadExpiry()" "$KP" "$R" "$GRANT" "$B" "$(($(now) - 1))" 0 "[1]" "[$SK1]"
reverts "grant with unknown flags" "BadFlags()" "$KP" "$R" "$GRANT" "$B" "$exp" 16 "[1]" "[$SK1]"
reverts "multi-redeemer flag without bearer" "BadFlags()" "$KP" "$R" "$GRANT" "$B" "$exp" 8 "[1]" "[$SK1]"
reverts "a bearer grant that writes" "BadFlags()" "$KP" "$R" "$GRANT" "$B" "$exp" 5 "[1]" "[$SK1]"
reverts "a multi-redeemer bearer grant that writes" "BadFlags()" "$KP" "$R" "$GRANT" "$B" "$exp" 13 "[1]" "[$SK1]"
reverts "grant to the zero address" "ZeroAddress()" "$KP" "$R" "$GRANT" \
	0x0000000000000000000000000000000000000000 "$exp" 0 "[1]" "[$SK1]"

# Access log.
send "grantee logs an access" "$KB" "$R" "logAccess(uint256,uint256[])" "$G1" "[1,2]" && gas "logAccess (2 records)"
check_eq "AccessLogged names patient, grant, accessor" \
	"$("$CAST" logs --from-block 0 --address "$R" "AccessLogged(address indexed,uint256 indexed,address indexed,uint256[])" \
		"$P" "$G1" "$B" | grep -c transactionHash)" 1
reverts "a third party logs an access" "NotGrantee()" "$KC" "$R" "logAccess(uint256,uint256[])" "$G1" "[1]"
reverts "access to a record outside the grant" "NotCovered(uint256)" "$KB" "$R" "logAccess(uint256,uint256[])" "$G1" "[3]"
reverts "access under a grant that does not exist" "NoSuchGrant()" "$KB" "$R" "logAccess(uint256,uint256[])" 77 "[1]"

# Revoke.
reverts "non-owner revoke (the grantee)" "NotPatient()" "$KB" "$R" "revoke(uint256)" "$G1"
reverts "non-owner revoke (a third party)" "NotPatient()" "$KC" "$R" "revoke(uint256)" "$G1"
send "patient revokes" "$KP" "$R" "revoke(uint256)" "$G1" && gas "revoke"
check_eq "revoked grant is not active" "$(call "$R" "isActive(uint256)(bool)" "$G1")" false
reverts "access under a revoked grant" "GrantIsRevoked()" "$KB" "$R" "logAccess(uint256,uint256[])" "$G1" "[1]"
reverts "revoke twice" "GrantIsRevoked()" "$KP" "$R" "revoke(uint256)" "$G1"

# Expiry.
send "patient grants 60 s over record 3" "$KP" "$R" "$GRANT" "$B" "$(($(now) + 60))" 0 "[3]" "[$SK1]"
G2=$(call "$R" "grantCount()(uint256)")
send "access before expiry" "$KB" "$R" "logAccess(uint256,uint256[])" "$G2" "[3]"
travel 120
check_eq "expired grant is not active" "$(call "$R" "isActive(uint256)(bool)" "$G2")" false
reverts "access under an expired grant" "GrantExpired()" "$KB" "$R" "logAccess(uint256,uint256[])" "$G2" "[3]"

# Write grants.
ANCHOR="anchorRecord(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes))"
send "patient grants provider read-only access" "$KP" "$R" "$GRANT" "$B" "$(($(now) + 3600))" 0 "[]" "[]"
G3=$(call "$R" "grantCount()(uint256)")
reverts "write under a read-only grant" "NoWriteGrant()" "$KB" "$R" "$ANCHOR" "$P" "$G3" "$(record "$H1")"
send "patient grants provider write access for 1 h" "$KP" "$R" "$GRANT" "$B" "$(($(now) + 3600))" 1 "[]" "[]" &&
	gas "grant (write, no records)"
GW=$(call "$R" "grantCount()(uint256)")
send "provider anchors into the patient's chart" "$KB" "$R" "$ANCHOR" "$P" "$GW" "$(record "$H1" "$(rand_hex 80)")" &&
	gas "anchorRecord (provider, write grant)"
check_eq "RecordAnchored carries the write grant's id" "$(event_word0)" "$GW"
n=$(call "$R" "recordCount()(uint256)")
check_eq "the provider's record is the patient's" "$(call "$R" "recordOf(uint256)(address,uint64,bool)" "$n" | cut -d' ' -f1)" "$P"
check_eq "RecordAnchored names the provider as author" \
	"$("$CAST" logs --from-block 0 --address "$R" "$ANCHORED" "$P" "$n" "$B" | grep -c transactionHash)" 1
send "provider anchors 10 records in one batch under the grant" "$KB" "$R" \
	"anchorRecords(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes)[])" "$P" "$GW" \
	"$(records 10 "$H1")"
send "patient anchors, passing a grant id" "$KP" "$R" "$ANCHOR" "$P" "$GW" "$(record "$H1")"
check_eq "RecordAnchored says 0 (no grant) when the patient writes" "$(event_word0)" 0
reverts "write grant used by someone else" "NoWriteGrant()" "$KC" "$R" "$ANCHOR" "$P" "$GW" "$(record "$H1")"
reverts "write grant used for another patient" "NoWriteGrant()" "$KB" "$R" "$ANCHOR" "$Q" "$GW" "$(record "$H1")"
send "patient revokes the write grant" "$KP" "$R" "revoke(uint256)" "$GW"
reverts "write under a revoked grant" "GrantIsRevoked()" "$KB" "$R" "$ANCHOR" "$P" "$GW" "$(record "$H1")"
send "patient grants write access for 60 s" "$KP" "$R" "$GRANT" "$B" "$(($(now) + 60))" 1 "[]" "[]"
GW2=$(call "$R" "grantCount()(uint256)")
travel 61
reverts "write under an expired grant" "GrantExpired()" "$KB" "$R" "$ANCHOR" "$P" "$GW2" "$(record "$H1")"

# All-records grants and adding keys.
send "patient grants provider all records for 1 h" "$KP" "$R" "$GRANT" "$B" "$(($(now) + 3600))" 2 "[1]" "[$SK1]" &&
	gas "grant (all records, 1 key)"
GA=$(call "$R" "grantCount()(uint256)")
send "patient anchors a new record (id $(($(call "$R" "recordCount()(uint256)") + 1)))" "$KP" "$R" "$ANCHOR" "$P" 0 "$(record "$H1")"
NEW=$(call "$R" "recordCount()(uint256)")
send "patient adds the new record's key to the all-records grant" "$KP" "$R" \
	"addGrantKeys(uint256,uint256[],bytes[])" "$GA" "[$NEW]" "[$SK2]" && gas "addGrantKeys (1 record)"
send "access to the new record under the all-records grant" "$KB" "$R" "logAccess(uint256,uint256[])" "$GA" "[1,$NEW]"
reverts "all-records grant does not reach another patient's record" "NotCovered(uint256)" "$KB" "$R" \
	"logAccess(uint256,uint256[])" "$GA" "[12]"
reverts "addGrantKeys by the grantee" "NotPatient()" "$KB" "$R" "addGrantKeys(uint256,uint256[],bytes[])" "$GA" "[$NEW]" "[$SK2]"
send "patient grants a list of records (record 4)" "$KP" "$R" "$GRANT" "$B" "$(($(now) + 3600))" 0 "[4]" "[$SK1]"
GL=$(call "$R" "grantCount()(uint256)")
reverts "record 5 is not in the list yet" "NotCovered(uint256)" "$KB" "$R" "logAccess(uint256,uint256[])" "$GL" "[5]"
send "patient adds record 5 to the list grant" "$KP" "$R" "addGrantKeys(uint256,uint256[],bytes[])" "$GL" "[5]" "[$SK2]"
send "record 5 is now accessible" "$KB" "$R" "logAccess(uint256,uint256[])" "$GL" "[4,5]"
send "patient revokes the list grant" "$KP" "$R" "revoke(uint256)" "$GL"
reverts "addGrantKeys to a revoked grant" "GrantIsRevoked()" "$KP" "$R" "addGrantKeys(uint256,uint256[],bytes[])" "$GL" "[6]" "[$SK2]"

# Erase.
reverts "erase by someone else" "NotPatient()" "$KB" "$R" "eraseRecord(uint256)" 6
reverts "erase a record that does not exist" "NoSuchRecord(uint256)" "$KP" "$R" "eraseRecord(uint256)" 999
send "patient erases record 6" "$KP" "$R" "eraseRecord(uint256)" 6 && gas "eraseRecord"
check_eq "record 6 reads as erased" "$(call "$R" "recordOf(uint256)(address,uint64,bool)" 6 | cut -d' ' -f3)" true
reverts "erase twice" "RecordIsErased(uint256)" "$KP" "$R" "eraseRecord(uint256)" 6
reverts "grant over an erased record" "RecordIsErased(uint256)" "$KP" "$R" "$GRANT" "$B" "$(($(now) + 60))" 0 "[6]" "[$SK1]"
reverts "access to an erased record under the all-records grant" "RecordIsErased(uint256)" "$KB" "$R" \
	"logAccess(uint256,uint256[])" "$GA" "[6]"

# Bearer grants: the ephemeral key signs keccak256(abi.encode(tag, chain id,
# registry, grant id, redeemer)); the digest is computed here independently.
digest() { # grant redeemer
	"$CAST" keccak "$("$CAST" abi-encode "f(bytes32,uint256,address,uint256,address)" \
		"$("$CAST" keccak ehr.registry.redeemBearer.v1)" "$("$CAST" chain-id)" "$R" "$1" "$2")"
}
sign() { # key grant redeemer
	"$CAST" wallet sign --no-hash --private-key "$1" "$(digest "$2" "$3")"
}
send "patient issues a single-use bearer grant" "$KP" "$R" "$GRANT" "$E" "$(($(now) + 1800))" 4 "[1,2]" "[$SK1,$SK2]" &&
	gas "grant (bearer, 2 records)"
GB=$(call "$R" "grantCount()(uint256)")
check_eq "redeemDigest is the documented digest" "$(call "$R" "redeemDigest(uint256,address)(bytes32)" "$GB" "$B")" \
	"$(digest "$GB" "$B")"
reverts "bearer redeem signed by another key" "BadSignature()" "$KB" "$R" "redeemBearer(uint256,bytes)" "$GB" \
	"$(sign "$KC" "$GB" "$B")"
reverts "bearer redeem with a signature made for someone else" "BadSignature()" "$KB" "$R" \
	"redeemBearer(uint256,bytes)" "$GB" "$(sign "$EK" "$GB" "$C")"
reverts "bearer redeem with a truncated signature" "BadSignature()" "$KB" "$R" "redeemBearer(uint256,bytes)" "$GB" \
	"$(sign "$EK" "$GB" "$B" | cut -c1-130)"
# The malleable twin of a good signature (s -> n - s, v flipped) is a valid
# ECDSA signature, as the ecrecover precompile shows; the registry refuses it.
good=$(sign "$EK" "$GB" "$B")
twin=$(node -e '
	const g = process.argv[1], n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
	const s = n - BigInt("0x" + g.slice(66, 130));
	console.log("0x" + g.slice(2, 66) + s.toString(16).padStart(64, "0") + (g.slice(130) === "1b" ? "1c" : "1b"));
' "$good")
v=$(printf '%s' "$twin" | cut -c131-132)
check_eq "the high-s twin recovers to the ephemeral key" \
	"$("$CAST" call 0x0000000000000000000000000000000000000001 --data \
		"$(digest "$GB" "$B")00000000000000000000000000000000000000000000000000000000000000$v$(printf '%s' "$twin" | cut -c3-130)" |
		"$CAST" parse-bytes32-address)" "$E"
reverts "bearer redeem with the high-s twin" "BadSignature()" "$KB" "$R" "redeemBearer(uint256,bytes)" "$GB" "$twin"
reverts "bearer redeem of a non-bearer grant" "NotBearer()" "$KB" "$R" "redeemBearer(uint256,bytes)" "$GA" \
	"$(sign "$EK" "$GA" "$B")"
reverts "access before redeeming" "NotGrantee()" "$KB" "$R" "logAccess(uint256,uint256[])" "$GB" "[1]"
send "bearer redeem with a good signature" "$KB" "$R" "redeemBearer(uint256,bytes)" "$GB" "$(sign "$EK" "$GB" "$B")" &&
	gas "redeemBearer"
check_eq "the grant is bound to its redeemer" "$(call "$R" "grantOf(uint256)(address,address,uint64,uint8,uint64,address)" "$GB" | cut -d' ' -f6)" "$B"
send "redeemer logs an access under its own account" "$KB" "$R" "logAccess(uint256,uint256[])" "$GB" "[1,2]"
check_eq "the access is logged under the redeemer" \
	"$("$CAST" logs --from-block 0 --address "$R" "AccessLogged(address indexed,uint256 indexed,address indexed,uint256[])" \
		"$P" "$GB" "$B" | grep -c transactionHash)" 1
reverts "second redeemer of a single-use grant" "AlreadyRedeemed()" "$KD" "$R" "redeemBearer(uint256,bytes)" "$GB" \
	"$(sign "$EK" "$GB" "$D")"
reverts "the ephemeral key's holder who did not redeem" "NotGrantee()" "$KD" "$R" "logAccess(uint256,uint256[])" "$GB" "[1]"
send "patient issues a multi-use bearer grant (emergency card)" "$KP" "$R" "$GRANT" "$E" "$(($(now) + 86400 * 365))" 12 "[1]" "[$SK1]"
GM=$(call "$R" "grantCount()(uint256)")
send "first provider redeems the card" "$KB" "$R" "redeemBearer(uint256,bytes)" "$GM" "$(sign "$EK" "$GM" "$B")"
# With v as 0/1 rather than 27/28, as some signers write it.
sig01=$(sign "$EK" "$GM" "$D" | sed 's/1b$/00/; s/1c$/01/')
send "second provider redeems the card (v as 0/1)" "$KD" "$R" "redeemBearer(uint256,bytes)" "$GM" "$sig01"
send "second provider logs an access" "$KD" "$R" "logAccess(uint256,uint256[])" "$GM" "[1]"
check_eq "canAccess for a redeemer of the card" "$(call "$R" "canAccess(uint256,address)(bool)" "$GM" "$D")" true
send "patient revokes the card" "$KP" "$R" "revoke(uint256)" "$GM"
reverts "redeem a revoked card" "GrantIsRevoked()" "$KC" "$R" "redeemBearer(uint256,bytes)" "$GM" "$(sign "$EK" "$GM" "$C")"

# ---- consent: grants authorise, keys answer a logged request -----------------

GRANT_ACCESS="grantAccess(address,uint64,uint8,uint8,uint256[])"
REQUEST="requestAccess(address,uint256,uint256[])"
RELEASE="release(uint256,uint256[],bytes[])"
REQUESTED_EV="AccessRequested(address indexed,uint256 indexed,address indexed,uint256,uint256[])"
RELEASED_EV="KeysReleased(address indexed,uint256 indexed,address indexed,uint256,uint256[],bytes[])"
REQUEST_OF="requestOf(uint256)(address,uint256,address,uint64,uint8,bool)"
CONSENT_OF="consentOf(uint256)(address,address,uint64,uint8,uint8,uint64,address,bool)"
# logged SIGNATURE TOPICS...: how many registry logs match
logged() {
	_sig=$1
	shift
	"$CAST" logs --from-block 0 --address "$R" "$_sig" "$@" | grep -c transactionHash
}
SK3=0x$(rand_hex 80)

send "patient grants provider treatment access to records 1 and 2 (no keys)" "$KP" "$R" "$GRANT_ACCESS" \
	"$B" "$(($(now) + 3600))" 0 1 "[1,2]" && gas "grantAccess (2 records)"
GC=$(call "$R" "grantCount()(uint256)")
check_eq "no sealed key travels with the grant" \
	"$("$CAST" receipt --json "$TX" | sed -n 's/.*"data":"0x\([0-9a-f]*\)".*/\1/p' | wc -c)" $((64 * 9 + 1))
check_eq "consentOf: grantee, purpose treatment, active" \
	"$(call "$R" "$CONSENT_OF" "$GC" | cut -d' ' -f2,5,8)" "$B 1 true"
reverts "grantAccess without a purpose" "BadPurpose()" "$KP" "$R" "$GRANT_ACCESS" "$B" "$(($(now) + 60))" 0 0 "[1]"
reverts "grantAccess with an unknown purpose" "BadPurpose()" "$KP" "$R" "$GRANT_ACCESS" "$B" "$(($(now) + 60))" 0 5 "[1]"
reverts "grantAccess over another patient's record" "NotPatientsRecord(uint256)" "$KP" "$R" "$GRANT_ACCESS" \
	"$B" "$(($(now) + 60))" 0 1 "[12]"

# Requests: the access log entry.
send "grantee requests records 1 and 2" "$KB" "$R" "$REQUEST" "$P" "$GC" "[1,2]" && gas "requestAccess (2 records)"
RQ=$(call "$R" "requestCount()(uint256)")
check_eq "request ids start at 1" "$RQ" 1
check_eq "AccessRequested names patient, grant, requester" "$(logged "$REQUESTED_EV" "$P" "$GC" "$B")" 1
check_eq "requestOf: patient, grant, requester, open, grant active" \
	"$(call "$R" "$REQUEST_OF" "$RQ" | cut -d' ' -f1-3,5,6)" "$P $GC $B 1 true"
check_eq "record 2 awaits its release" "$(call "$R" "isRequested(uint256,uint256)(bool)" "$RQ" 2)" true
reverts "a stranger requests under the grant" "NotGrantee()" "$KC" "$R" "$REQUEST" "$P" "$GC" "[1]"
reverts "request naming another patient" "NotPatientsGrant()" "$KB" "$R" "$REQUEST" "$Q" "$GC" "[1]"
reverts "request of a record the grant does not cover" "NotCovered(uint256)" "$KB" "$R" "$REQUEST" "$P" "$GC" "[3]"
reverts "request of nothing" "EmptyBatch()" "$KB" "$R" "$REQUEST" "$P" "$GC" "[]"
reverts "request under a grant that does not exist" "NoSuchGrant()" "$KB" "$R" "$REQUEST" "$P" 999 "[1]"
send "patient grants an account without an encryption key" "$KP" "$R" "$GRANT_ACCESS" "$D" "$(($(now) + 3600))" 0 1 "[1]"
reverts "request by a grantee with no registered key" "NoEncryptionKey()" "$KD" "$R" "$REQUEST" "$P" \
	"$(call "$R" "grantCount()(uint256)")" "[1]"
check_eq "refused requests logged nothing" "$(call "$R" "requestCount()(uint256)")" "$RQ"

# Releases: only the patient, only what was requested, only once.
reverts "release by the grantee" "NotPatient()" "$KB" "$R" "$RELEASE" "$RQ" "[1]" "[$SK1]"
reverts "release by a stranger" "NotPatient()" "$KC" "$R" "$RELEASE" "$RQ" "[1]" "[$SK1]"
reverts "release of a record not requested" "NotRequested(uint256)" "$KP" "$R" "$RELEASE" "$RQ" "[1,3]" "[$SK1,$SK2]"
reverts "release with fewer keys than records" "LengthMismatch()" "$KP" "$R" "$RELEASE" "$RQ" "[1,2]" "[$SK1]"
reverts "release of nothing" "EmptyBatch()" "$KP" "$R" "$RELEASE" "$RQ" "[]" "[]"
reverts "release for a request that does not exist" "NoSuchRequest()" "$KP" "$R" "$RELEASE" 999 "[1]" "[$SK1]"
check_eq "nothing was released by the refusals" "$(logged "$RELEASED_EV" "$P")" 0
send "patient releases records 1 and 2" "$KP" "$R" "$RELEASE" "$RQ" "[1,2]" "[$SK1,$SK3]" && gas "release (2 records)"
check_eq "KeysReleased names patient, grant, requester" "$(logged "$RELEASED_EV" "$P" "$GC" "$B")" 1
check_eq "the sealed keys travel in KeysReleased" "$("$CAST" receipt --json "$TX" | grep -o "${SK3#0x}" | grep -c .)" 1
check_eq "a released record no longer awaits" "$(call "$R" "isRequested(uint256,uint256)(bool)" "$RQ" 2)" false
reverts "release replayed" "NotRequested(uint256)" "$KP" "$R" "$RELEASE" "$RQ" "[1]" "[$SK1]"

# Revoked and expired grants: no request, no release.
send "grantee requests record 1 again" "$KB" "$R" "$REQUEST" "$P" "$GC" "[1]"
RQ2=$(call "$R" "requestCount()(uint256)")
send "patient revokes the consent grant" "$KP" "$R" "revoke(uint256)" "$GC"
reverts "request under a revoked grant" "GrantIsRevoked()" "$KB" "$R" "$REQUEST" "$P" "$GC" "[1]"
reverts "release for a revoked grant" "GrantIsRevoked()" "$KP" "$R" "$RELEASE" "$RQ2" "[1]" "[$SK1]"
check_eq "requestOf says the grant is no longer active" "$(call "$R" "$REQUEST_OF" "$RQ2" | cut -d' ' -f6)" false
send "patient grants 60 s of access to record 3" "$KP" "$R" "$GRANT_ACCESS" "$B" "$(($(now) + 60))" 0 1 "[3]"
GX=$(call "$R" "grantCount()(uint256)")
send "grantee requests record 3 in time" "$KB" "$R" "$REQUEST" "$P" "$GX" "[3]"
RQ3=$(call "$R" "requestCount()(uint256)")
travel 61
reverts "request under an expired grant" "GrantExpired()" "$KB" "$R" "$REQUEST" "$P" "$GX" "[3]"
reverts "release for an expired grant" "GrantExpired()" "$KP" "$R" "$RELEASE" "$RQ3" "[3]" "[$SK1]"

# Denied requests.
send "patient grants access to record 4 for 1 h" "$KP" "$R" "$GRANT_ACCESS" "$B" "$(($(now) + 3600))" 0 3 "[4]"
GY=$(call "$R" "grantCount()(uint256)")
send "grantee requests record 4" "$KB" "$R" "$REQUEST" "$P" "$GY" "[4]"
RQ4=$(call "$R" "requestCount()(uint256)")
reverts "deny by the grantee" "NotPatient()" "$KB" "$R" "denyAccess(uint256)" "$RQ4"
reverts "deny by a stranger" "NotPatient()" "$KC" "$R" "denyAccess(uint256)" "$RQ4"
send "patient denies the request" "$KP" "$R" "denyAccess(uint256)" "$RQ4" && gas "denyAccess"
check_eq "AccessDenied is logged" \
	"$(logged "AccessDenied(address indexed,uint256 indexed,address indexed,uint256)" "$P" "$GY" "$B")" 1
check_eq "requestOf says denied" "$(call "$R" "$REQUEST_OF" "$RQ4" | cut -d' ' -f5)" 3
reverts "release after a deny" "RequestClosed()" "$KP" "$R" "$RELEASE" "$RQ4" "[4]" "[$SK1]"
reverts "deny twice" "RequestClosed()" "$KP" "$R" "denyAccess(uint256)" "$RQ4"
send "patient adds record 5 to the grant, no key" "$KP" "$R" "addGrantKeys(uint256,uint256[],bytes[])" "$GY" "[5]" "[]"
check_eq "the grant now covers record 5" "$(call "$R" "covers(uint256,uint256)(bool)" "$GY" 5)" true

# Provider first: a grant request, approved or denied by the patient.
REQ_GRANT="requestGrant(address,uint256[],uint8,uint64,uint8,bytes)"
APPROVE="approveGrant(uint256,uint256[],bytes[])"
GRANT_REQUEST_OF="grantRequestOf(uint256)(address,address,uint8,uint8,uint64,uint8,uint64,uint256,bytes32)"
send "provider asks for records 4 and 5 for 1 h, treatment" "$KB" "$R" "$REQ_GRANT" "$P" "[4,5]" 0 3600 1 \
	"0x$(rand_hex 120)" && gas "requestGrant (2 records)"
GQ=$(call "$R" "grantRequestCount()(uint256)")
check_eq "grant request ids start at 1" "$GQ" 1
check_eq "GrantRequested names patient, request, provider" \
	"$(logged "GrantRequested(address indexed,uint256 indexed,address indexed,uint8,uint64,uint8,uint256[],bytes)" \
		"$P" "$GQ" "$B")" 1
check_eq "grantRequestOf: patient, provider, flags, purpose, duration, open, no grant yet" \
	"$(call "$R" "$GRANT_REQUEST_OF" "$GQ" | cut -d' ' -f1-6,8)" "$P $B 0 1 3600 1 0"
reverts "grant request for a bearer grant" "BadFlags()" "$KB" "$R" "$REQ_GRANT" "$P" "[4]" 4 3600 1 0x
reverts "grant request of no duration" "BadExpiry()" "$KB" "$R" "$REQ_GRANT" "$P" "[4]" 0 0 1 0x
reverts "grant request over 100 years" "BadExpiry()" "$KB" "$R" "$REQ_GRANT" "$P" "[4]" 0 3155760001 1 0x
reverts "grant request without a purpose" "BadPurpose()" "$KB" "$R" "$REQ_GRANT" "$P" "[4]" 0 3600 0 0x
reverts "grant request with a 1025-byte note" "NoteTooLong()" "$KB" "$R" "$REQ_GRANT" "$P" "[4]" 0 3600 1 \
	"0x$(rand_hex 1025)"
reverts "grant request to the zero address" "ZeroAddress()" "$KB" "$R" "$REQ_GRANT" 0x0000000000000000000000000000000000000000 "[4]" 0 3600 1 0x
reverts "grant request by an account with no key" "NoEncryptionKey()" "$KC" "$R" "$REQ_GRANT" "$P" "[4]" 0 3600 1 0x
reverts "approve by the provider" "NotPatient()" "$KB" "$R" "$APPROVE" "$GQ" "[4,5]" "[]"
reverts "approve by a stranger" "NotPatient()" "$KC" "$R" "$APPROVE" "$GQ" "[4,5]" "[]"
reverts "approve over other records than asked" "RecordsMismatch()" "$KP" "$R" "$APPROVE" "$GQ" "[4]" "[$SK1]"
reverts "approve with fewer keys than records" "LengthMismatch()" "$KP" "$R" "$APPROVE" "$GQ" "[4,5]" "[$SK1]"
reverts "approve a request that does not exist" "NoSuchRequest()" "$KP" "$R" "$APPROVE" 999 "[]" "[]"
n_grants=$(call "$R" "grantCount()(uint256)")
send "patient approves and releases both keys" "$KP" "$R" "$APPROVE" "$GQ" "[4,5]" "[$SK1,$SK3]" &&
	gas "approveGrant (2 records, released)"
GP=$(call "$R" "grantCount()(uint256)")
check_eq "approval created one grant" "$GP" $((n_grants + 1))
check_eq "grantRequestOf: approved, with the grant's id" "$(call "$R" "$GRANT_REQUEST_OF" "$GQ" | cut -d' ' -f6,8)" "2 $GP"
check_eq "the grant: the provider's, treatment, active" "$(call "$R" "$CONSENT_OF" "$GP" | cut -d' ' -f2,5,8)" "$B 1 true"
approved_at=$("$CAST" block "$(printf '%d' "$(json_field blockNumber)")" --field timestamp)
check_eq "the grant runs the requested hour from approval" "$(call "$R" "$CONSENT_OF" "$GP" | cut -d' ' -f3)" \
	$((approved_at + 3600))
check_eq "GrantRequestApproved is logged" \
	"$(logged "GrantRequestApproved(address indexed,uint256 indexed,address indexed,uint256)" "$P" "$GQ" "$B")" 1
check_eq "the keys are released to the provider under the new grant" "$(logged "$RELEASED_EV" "$P" "$GP" "$B")" 1
check_eq "the release answers a logged request" "$(logged "$REQUESTED_EV" "$P" "$GP" "$B")" 1
reverts "approve twice" "RequestClosed()" "$KP" "$R" "$APPROVE" "$GQ" "[4,5]" "[]"

send "provider asks again, for record 7" "$KB" "$R" "$REQ_GRANT" "$P" "[7]" 0 3600 3 "0x$(rand_hex 120)"
GQ2=$(call "$R" "grantRequestCount()(uint256)")
reverts "deny by a stranger" "NotPatient()" "$KC" "$R" "denyGrant(uint256)" "$GQ2"
n_grants=$(call "$R" "grantCount()(uint256)")
send "patient denies the grant request" "$KP" "$R" "denyGrant(uint256)" "$GQ2" && gas "denyGrant"
check_eq "GrantRequestDenied is logged" \
	"$(logged "GrantRequestDenied(address indexed,uint256 indexed,address indexed)" "$P" "$GQ2" "$B")" 1
check_eq "grantRequestOf says denied" "$(call "$R" "$GRANT_REQUEST_OF" "$GQ2" | cut -d' ' -f6)" 3
check_eq "a deny creates no grant" "$(call "$R" "grantCount()(uint256)")" "$n_grants"
reverts "approve after a deny" "RequestClosed()" "$KP" "$R" "$APPROVE" "$GQ2" "[7]" "[]"
reverts "deny twice" "RequestClosed()" "$KP" "$R" "denyGrant(uint256)" "$GQ2"

send "provider asks for read and write on all records for 1 h" "$KB" "$R" "$REQ_GRANT" "$P" "[]" 3 3600 1 0x
GQ3=$(call "$R" "grantRequestCount()(uint256)")
send "patient approves without releasing" "$KP" "$R" "$APPROVE" "$GQ3" "[]" "[]" && gas "approveGrant (all, write, no release)"
GW3=$(call "$R" "grantCount()(uint256)")
send "the approved write grant lets the provider anchor" "$KB" "$R" "$ANCHOR" "$P" "$GW3" "$(record "$H1" "$(rand_hex 80)")"
send "the provider requests under the approved all-records grant" "$KB" "$R" "$REQUEST" "$P" "$GW3" "[1,7]"

# ---- invoices --------------------------------------------------------------

ISSUE="issueInvoice(address,address,uint256,uint64,bytes)"
ZERO=0x0000000000000000000000000000000000000000
due=$(($(now) + 86400 * 30))
AMOUNT=250000000000000000	# 0.25 of the native coin
send "provider issues a native-coin invoice" "$KB" "$R" "$ISSUE" "$P" "$ZERO" "$AMOUNT" "$due" "0x$(rand_hex 120)" &&
	gas "issueInvoice"
I1=$(call "$R" "invoiceCount()(uint256)")
check_eq "invoice ids start at 1" "$I1" 1
reverts "wrong native amount (too little)" "WrongAmount(uint256,uint256)" "$KP" --value 1 "$R" "pay(uint256)" "$I1"
reverts "wrong native amount (too much)" "WrongAmount(uint256,uint256)" "$KP" --value "${AMOUNT}1" "$R" "pay(uint256)" "$I1"
reverts "non-patient pays" "NotInvoicePatient()" "$KC" --value "$AMOUNT" "$R" "pay(uint256)" "$I1"
reverts "pay an invoice that does not exist" "NoSuchInvoice()" "$KP" --value "$AMOUNT" "$R" "pay(uint256)" 42
# Balances small enough for shell arithmetic, so the checks are exact.
"$CAST" rpc anvil_setBalance "$B" 0x0de0b6b3a7640000 > /dev/null	# 1 coin
"$CAST" rpc anvil_setBalance "$P" 0x4563918244f40000 > /dev/null	# 5 coins
send "patient pays in native coin" "$KP" --value "$AMOUNT" "$R" "pay(uint256)" "$I1" && gas "pay (native)"
fee=$(($(printf '%d' "$(json_field effectiveGasPrice)") * GAS))
check_eq "the provider received exactly the amount" "$("$CAST" balance "$B")" $((1000000000000000000 + AMOUNT))
check_eq "the patient paid the amount and the fee" "$("$CAST" balance "$P")" $((5000000000000000000 - AMOUNT - fee))
check_eq "the registry keeps nothing" "$("$CAST" balance "$R")" 0
check_eq "invoice reads as paid" "$(call "$R" "invoiceOf(uint256)(address,address,address,uint256,uint64,uint8,uint64)" "$I1" | cut -d' ' -f6)" 2
reverts "double payment" "AlreadyPaid()" "$KP" --value "$AMOUNT" "$R" "pay(uint256)" "$I1"
reverts "cancel a paid invoice" "AlreadyPaid()" "$KB" "$R" "cancelInvoice(uint256)" "$I1"

send "provider issues a second invoice" "$KB" "$R" "$ISSUE" "$P" "$ZERO" "$AMOUNT" "$due" 0x
I2=$(call "$R" "invoiceCount()(uint256)")
reverts "cancel by someone other than the issuer" "NotIssuer()" "$KP" "$R" "cancelInvoice(uint256)" "$I2"
send "issuer cancels" "$KB" "$R" "cancelInvoice(uint256)" "$I2" && gas "cancelInvoice"
reverts "pay a cancelled invoice" "InvoiceIsCancelled()" "$KP" --value "$AMOUNT" "$R" "pay(uint256)" "$I2"
reverts "cancel twice" "InvoiceIsCancelled()" "$KB" "$R" "cancelInvoice(uint256)" "$I2"
reverts "invoice of zero" "ZeroAmount()" "$KB" "$R" "$ISSUE" "$P" "$ZERO" 0 "$due" 0x
reverts "invoice above uint96" "AmountTooLarge()" "$KB" "$R" "$ISSUE" "$P" "$ZERO" 79228162514264337593543950336 "$due" 0x
reverts "invoice in a 'token' without code" "NotAToken()" "$KB" "$R" "$ISSUE" "$P" "$C" 1 "$due" 0x
reverts "invoice to the zero address" "ZeroAddress()" "$KB" "$R" "$ISSUE" "$ZERO" "$ZERO" 1 "$due" 0x
# The memo is capped: 1,024 bytes of text sealed (48 more) is what ehr sends at most.
check_eq "MAX_MEMO_BYTES is what ehr sends at most" "$(call "$R" "MAX_MEMO_BYTES()(uint256)")" 1072
n_inv=$(call "$R" "invoiceCount()(uint256)")
send "a memo of 1,072 bytes" "$KB" "$R" "$ISSUE" "$P" "$ZERO" 1 "$due" "0x$(rand_hex 1072)" && gas "issueInvoice (1,072-byte memo)"
reverts "a memo of 1,073 bytes" "MemoTooLong()" "$KB" "$R" "$ISSUE" "$P" "$ZERO" 1 "$due" "0x$(rand_hex 1073)"
reverts "a memo of 60,000 bytes" "MemoTooLong()" "$KB" "$R" "$ISSUE" "$P" "$ZERO" 1 "$due" "0x$(rand_hex 60000)"
check_eq "only the one within the cap was issued" "$(call "$R" "invoiceCount()(uint256)")" $((n_inv + 1))

# The test token.
check_eq "test token: 6 decimals" "$(call "$T" "decimals()(uint8)")" 6
check_eq "test token: symbol" "$(call "$T" "symbol()(string)")" '"TUSD"'
send "anyone mints test tokens (faucet)" "$KC" "$T" "mint(address,uint256)" "$P" 1000000000 && gas "TestToken mint"
check_eq "minted balance" "$(call "$T" "balanceOf(address)(uint256)" "$P")" 1000000000

send "provider issues a 25.50 TUSD invoice" "$KB" "$R" "$ISSUE" "$P" "$T" 25500000 "$due" "0x$(rand_hex 120)" &&
	gas "issueInvoice (token)"
I3=$(call "$R" "invoiceCount()(uint256)")
reverts "token payment without allowance" "TransferFailed()" "$KP" "$R" "pay(uint256)" "$I3"
check_eq "failed payment leaves the invoice open" \
	"$(call "$R" "invoiceOf(uint256)(address,address,address,uint256,uint64,uint8,uint64)" "$I3" | cut -d' ' -f6)" 1
send "patient approves the registry" "$KP" "$T" "approve(address,uint256)" "$R" 25500000 && gas "TestToken approve"
reverts "token payment with native coin attached" "WrongAmount(uint256,uint256)" "$KP" --value 1 "$R" "pay(uint256)" "$I3"
send "patient pays in tokens" "$KP" "$R" "pay(uint256)" "$I3" && gas "pay (ERC-20)"
check_eq "token payment moved the patient's balance" "$(call "$T" "balanceOf(address)(uint256)" "$P")" 974500000
check_eq "token payment moved the provider's balance" "$(call "$T" "balanceOf(address)(uint256)" "$B")" 25500000
check_eq "allowance used up" "$(call "$T" "allowance(address,address)(uint256)" "$P" "$R")" 0
reverts "double token payment" "AlreadyPaid()" "$KP" "$R" "pay(uint256)" "$I3"

# Tokens that return nothing, or false.
send "mint the no-return token" "$KC" "$TN" "mint(address,uint256)" "$P" 1000
send "approve the no-return token" "$KP" "$TN" "approve(address,uint256)" "$R" 1000
send "invoice in the no-return token" "$KB" "$R" "$ISSUE" "$P" "$TN" 700 "$due" 0x
IN=$(call "$R" "invoiceCount()(uint256)")
send "pay in a token that returns nothing" "$KP" "$R" "pay(uint256)" "$IN"
check_eq "no-return token moved the balance" "$(call "$TN" "balanceOf(address)(uint256)" "$B")" 700
send "invoice in the no-return token, over the allowance" "$KB" "$R" "$ISSUE" "$P" "$TN" 301 "$due" 0x
reverts "no-return token that reverts" "TransferFailed()" "$KP" "$R" "pay(uint256)" "$(call "$R" "invoiceCount()(uint256)")"
send "mint the false-returning token" "$KC" "$TF" "mint(address,uint256)" "$P" 1000
send "invoice in the false-returning token" "$KB" "$R" "$ISSUE" "$P" "$TF" 500 "$due" 0x
IF=$(call "$R" "invoiceCount()(uint256)")
reverts "token that returns false (no allowance)" "TransferFailed()" "$KP" "$R" "pay(uint256)" "$IF"
check_eq "false-returning token moved nothing" "$(call "$TF" "balanceOf(address)(uint256)" "$P")" 1000
send "approve the false-returning token" "$KP" "$TF" "approve(address,uint256)" "$R" 500
send "pay in a token that returns true" "$KP" "$R" "pay(uint256)" "$IF"
check_eq "the token moved" "$(call "$TF" "balanceOf(address)(uint256)" "$B")" 500

# ---- relayed intents (EIP-712) ------------------------------------------------

# Signatures made by cast (`cast wallet sign --data`): an EIP-712
# implementation independent of ehr's.
CHAIN_ID=$("$CAST" chain-id)
DOMAIN_TYPE='{"name":"name","type":"string"},{"name":"version","type":"string"},{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}'
# intent_sig KEY SIGNER DATA NONCE DEADLINE
intent_sig() {
	printf '{"types":{"EIP712Domain":[%s],"Intent":[{"name":"signer","type":"address"},{"name":"data","type":"bytes"},{"name":"nonce","type":"uint256"},{"name":"deadline","type":"uint256"}]},"primaryType":"Intent","domain":{"name":"ehr registry","version":"1","chainId":%s,"verifyingContract":"%s"},"message":{"signer":"%s","data":"%s","nonce":"%s","deadline":"%s"}}' \
		"$DOMAIN_TYPE" "$CHAIN_ID" "$R" "$2" "$3" "$4" "$5" > "$E2E_TMP/intent.json"
	"$CAST" wallet sign --private-key "$1" --data --from-file "$E2E_TMP/intent.json"
}
EXECUTE="execute(address,bytes,uint256,uint256,bytes)"
USED="intentUsed(address,uint256)(bool)"
NAME_DATA=$("$CAST" calldata "register(bytes32,string,uint8)" "0x$(rand_hex 32)" "relayed name" 1)
OTHER_DATA=$("$CAST" calldata "register(bytes32,string,uint8)" "0x$(rand_hex 32)" "another name" 1)
DL=$(($(now) + 3600))
SIG=$(intent_sig "$KP" "$P" "$NAME_DATA" 7 "$DL")
reverts "an intent signed by another key" "BadSignature()" "$KC" "$R" "$EXECUTE" "$P" "$NAME_DATA" 7 "$DL" \
	"$(intent_sig "$KQ" "$P" "$NAME_DATA" 7 "$DL")"
reverts "an intent with another call" "BadSignature()" "$KC" "$R" "$EXECUTE" "$P" "$OTHER_DATA" 7 "$DL" "$SIG"
reverts "an intent with a later deadline" "BadSignature()" "$KC" "$R" "$EXECUTE" "$P" "$NAME_DATA" 7 "$((DL + 1))" "$SIG"
reverts "an intent with another nonce" "BadSignature()" "$KC" "$R" "$EXECUTE" "$P" "$NAME_DATA" 8 "$DL" "$SIG"
send "anyone relays the patient's signed register" "$KC" "$R" "$EXECUTE" "$P" "$NAME_DATA" 7 "$DL" "$SIG" &&
	gas "execute(register) (relayed, name replaced)"
send "the patient registers again directly, for comparison" "$KP" "$R" "register(bytes32,string,uint8)" \
	"0x$(rand_hex 32)" "relayed nam2" 1 && gas "register (direct, name replaced)"
send "the patient's relayed name back" "$KP" "$R" "register(bytes32,string,uint8)" "0x$(rand_hex 32)" "relayed name" 1
check_eq "the registry acted for the signer" "$(call "$R" "accountOf(address)(bytes32,string,uint8)" "$P" |
	sed 's/^0x[0-9a-f]* //')" '"relayed name" 1'
check_eq "the event names the signer, not the relayer" \
	"$("$CAST" logs --address "$R" "KeyRegistered(address indexed,bytes32,uint8,string)" --from-block "$("$CAST" block-number)" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["topics"][1][-40:])')" \
	"$(echo "$P" | cut -c3- | tr 'A-F' 'a-f')"
check_eq "its nonce is used" "$(call "$R" "$USED" "$P" 7)" true
reverts "the same intent again" "IntentUsed()" "$KC" "$R" "$EXECUTE" "$P" "$NAME_DATA" 7 "$DL" "$SIG"
OLD=$(($(now) - 1))
reverts "an intent past its deadline" "IntentExpired()" "$KC" "$R" "$EXECUTE" "$P" "$NAME_DATA" 8 "$OLD" \
	"$(intent_sig "$KP" "$P" "$NAME_DATA" 8 "$OLD")"
NESTED=$("$CAST" calldata "$EXECUTE" "$P" "$NAME_DATA" 9 "$DL" "$SIG")
reverts "an intent inside an intent" "IntentNotAllowed()" "$KC" "$R" "$EXECUTE" "$P" "$NESTED" 9 "$DL" \
	"$(intent_sig "$KP" "$P" "$NESTED" 9 "$DL")"
REVOKE_NONE=$("$CAST" calldata "revoke(uint256)" 999999)
reverts "a relayed call the registry refuses: its own error" "NoSuchGrant()" "$KC" "$R" "$EXECUTE" "$P" "$REVOKE_NONE" 10 \
	"$DL" "$(intent_sig "$KP" "$P" "$REVOKE_NONE" 10 "$DL")"
check_eq "  and its nonce stays unused" "$(call "$R" "$USED" "$P" 10)" false
reverts "the registry as an invoice's token" "NotAToken()" "$KB" "$R" "$ISSUE" "$P" "$R" 1 "$due" 0x

# EIP-2612 on the test token, signed by cast; payWithPermit by the patient
send "mint for a permit payment" "$KC" "$T" "mint(address,uint256)" "$P" 3000
send "an invoice to pay with a permit" "$KB" "$R" "$ISSUE" "$P" "$T" 3000 "$due" 0x
IP=$(call "$R" "invoiceCount()(uint256)")
PN=$(call "$T" "nonces(address)(uint256)" "$P")
printf '{"types":{"EIP712Domain":[%s],"Permit":[{"name":"owner","type":"address"},{"name":"spender","type":"address"},{"name":"value","type":"uint256"},{"name":"nonce","type":"uint256"},{"name":"deadline","type":"uint256"}]},"primaryType":"Permit","domain":{"name":"ehr Test Dollar","version":"1","chainId":%s,"verifyingContract":"%s"},"message":{"owner":"%s","spender":"%s","value":"3000","nonce":"%s","deadline":"%s"}}' \
	"$DOMAIN_TYPE" "$CHAIN_ID" "$T" "$P" "$R" "$PN" "$DL" > "$E2E_TMP/permit.json"
PSIG=$("$CAST" wallet sign --private-key "$KP" --data --from-file "$E2E_TMP/permit.json")
PR=0x$(echo "$PSIG" | cut -c3-66) PS=0x$(echo "$PSIG" | cut -c67-130) PV=0x$(echo "$PSIG" | cut -c131-132)
B0=$(call "$T" "balanceOf(address)(uint256)" "$B")
send "payWithPermit: the permit and the payment in one transaction" "$KP" "$R" \
	"payWithPermit(uint256,uint256,uint8,bytes32,bytes32)" "$IP" "$DL" "$PV" "$PR" "$PS" && gas "payWithPermit (ERC-20 with EIP-2612)"
check_eq "  the tokens moved" "$(call "$T" "balanceOf(address)(uint256)" "$B")" "$((B0 + 3000))"
check_eq "  the permit's nonce moved" "$(call "$T" "nonces(address)(uint256)" "$P")" "$((PN + 1))"
reverts "a permit used twice" "BadPermit()" "$KC" "$T" "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)" \
	"$P" "$R" 3000 "$DL" "$PV" "$PR" "$PS"

# ---- gas -------------------------------------------------------------------

echo "gas used (anvil $("$CAST" rpc anvil_nodeInfo | sed -n 's/.*"hardFork":"\([^"]*\)".*/\1/p')):"
cat "$GAS_LOG"
if [ -n "${chunk_gas_1:-}" ] && [ -n "${chunk_gas_48:-}" ]; then
	echo "storeChunk marginal gas per KiB: $(((chunk_gas_48 - chunk_gas_1) / 47))"
fi
finish
