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
start_anvil || { fail "anvil starts"; finish; }
T=$E2E_TMP
printf 'records test passphrase\n' > "$T/pw"
export EHR_PASSPHRASE_FILE="$T/pw"
echo "test test test test test test test test test test test junk" > "$T/anvil-m"
"$EHR" --wallet dev restore --kdf interactive --mnemonic-file "$T/anvil-m" -q
"$EHR" --wallet dev deploy --save-as local --yes -q > /dev/null
for w in alice bob carol; do
	"$EHR" --wallet $w init --kdf interactive --mnemonic-out "$T/$w-m" -q
	"$EHR" --wallet dev send "$("$EHR" --wallet $w address)" 10 --yes -q > /dev/null
done
ALICE=$("$EHR" --wallet alice address)
BOB=$("$EHR" --wallet bob address)
CAROL=$("$EHR" --wallet carol address)
REG=$("$EHR" config --json | sed -n 's/.*"registry":[^"]*"\(0x[0-9a-fA-F]*\)".*/\1/p')

## register
check_exit "alice registers as a patient" 0 "$EHR" --wallet alice register --name "Alice Example" --yes
check_exit "bob registers as a provider" 0 "$EHR" --wallet bob register --name "Dr. Bob" --role provider --yes
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

finish
