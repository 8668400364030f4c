#!/bin/sh
# Regenerates the seed corpora in fuzz/corpus/<target>/: binary seeds from
# fuzz/make-seeds.c (valid encodings made by libehr, laid out as each target
# reads its input) and text seeds written here. Run from anywhere; needs
# build/libehr.a (made here with make). The output is committed, so this
# runs only when a format or a target's input layout changes.
set -eu
cd "$(dirname "$0")/.."

corpus=fuzz/corpus
pkgs="libsodium libsecp256k1 libcurl libcjson libqrencode libcrypto libpng zlib zbar"
make -s build/libehr.a build/tests/tools/qrpng
mkdir -p build/fuzz-seeds "$corpus"
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -D_GNU_SOURCE -I. $(pkg-config --cflags $pkgs) -O1 -g \
	-o build/fuzz-seeds/make-seeds fuzz/make-seeds.c build/libehr.a \
	$(pkg-config --libs $pkgs) -lm
build/fuzz-seeds/make-seeds "$corpus"

# put TARGET NAME: the rest of stdin is the seed
put() {
	mkdir -p "$corpus/$1"
	cat > "$corpus/$1/$2"
}

printf '\310\203cat\203dog' | put rlp list
printf '\307\300\301\300\303\300\301\300' | put rlp nested
printf '\202\004\000' | put rlp int-1024
printf '\270\070%056d' 0 | put rlp long-string

printf '{"jsonrpc":"2.0","id":1,"result":"0x1a"}' | put rpc quantity
printf '{"jsonrpc":"2.0","id":2,"error":{"code":3,"message":"execution reverted: not allowed","data":"0x08c379a0"}}' | put rpc revert
printf '{"jsonrpc":"2.0","id":3,"error":{"code":-32015,"message":"VM Exception","data":{"data":"Reverted 0x4e487b71"}}}' | put rpc nested-data
printf '[{"jsonrpc":"2.0","id":1,"result":"0x7a69"},{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"nonce too low"}}]\n' | put rpc batch
printf '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}' | put rpc batch-refused
printf '{"jsonrpc":"2.0","id":4,"result":{"number":"0x10","baseFeePerGas":"0x0","gasLimit":"0x1c9c380"}}' | put rpc block

printf '[{"address":"0x5fbdb2315678afecb367f032d93f642f64180aa3","topics":["0x%064x"],"data":"0x","blockNumber":"0x2","blockHash":"0x%064x","transactionHash":"0x%064x","transactionIndex":"0x0","logIndex":"0x1","removed":false}]' 1 2 3 | put chain logs
printf '{"oldestBlock":"0x1","baseFeePerGas":["0x3b9aca00","0x3b9aca07"],"gasUsedRatio":[0.5],"reward":[["0x59682f00"],["0x0"]]}' | put chain fee-history
printf '"query returned more than 10000 results. Try with this block range [0x3e8, 0x7cf]."' | put chain range-hint
printf '"execution reverted: 0x4e487b710000000000000000000000000000000000000000000000000000000000000011"' | put chain revert-words

printf '{"title":"x-ray","size":3,"created":"2025-01-31T09:30:00Z","unknown":[1,2]}' | put envelope_meta unknown-key

printf '{"version":1,"contacts":[{"name":"Dr Doc","address":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","fingerprint":"581109b659c56297dec7ff65a0b786f3"},{"name":"Lab","address":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"}]}\n' | put contacts book
printf '{"version":1,"contacts":[]}' | put contacts empty
printf '{"version":1,"contacts":[{"name":"Dr. M\303\274ller","address":"0x90f79bf6eb2c4f870365e785982e1f101e93b906"}]}' | put contacts utf8-lowercase

printf '{"resourceType":"Patient","id":"p1","name":[{"family":"Doe"}]}' | put fhir patient
printf '\357\273\277{"resourceType":"Observation","status":"final","valueQuantity":{"value":1.50}}' | put fhir bom
printf '{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"a"}},{"fullUrl":"urn:x"},{"resource":{"resourceType":"Condition"}}]}' | put fhir bundle
printf '{"a":[1,2,{"b":null}]}' | put fhir not-fhir
printf '{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","id":"p1","identifier":[{"value":"MRN1"}],"name":[{"family":"Doe"}],"birthDate":"1930-01-02","address":[{"line":["1 Main"],"postalCode":"03601"}],"text":{"div":"<div>Doe</div>"}}},{"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"urn:uuid:1","display":"Doe"},"issued":"2024-03-01T10:00:00Z","valueAge":{"value":95,"code":"a"}}}]}' | put fhir_deid bundle
printf '{"resourceType":"Encounter","period":{"start":"2024-03-12T08:30:00-05:00"},"subject":{"reference":"http://x/fhir/Patient/9/_history/2"}}' | put fhir_deid encounter

printf '  Abandon abandon ABANDON abandon abandon abandon\tabandon abandon abandon abandon abandon about\n' | put bip39 spaced
printf 'abandon abandn abandon abandon abandon abandon abandon abandon abandon abandon abandon about' | put bip39 typo

printf '\022\000%s' '25.50' | put amount decimal
printf '\022\200%s' '1.5 ETH' | put amount units
printf '\006\200%s' ' 2gwei ' | put amount gwei
printf '\022\000%s' '0.000000000000000001' | put amount smallest

printf '1h30m' | put duration mixed
printf '2 hours' | put duration words
printf '2026-11-22T14:30:00Z' | put duration rfc3339
printf '2026-11-22 14:30' | put duration date-time
printf '1700000000' | put duration seconds

printf '0x5fbdb2315678afecb367f032d93f642f64180aa3' | put eip55 lower

# QR codes as ehr grant --qr-png writes them (tests/tools/qrpng), and a blank page
qr_seed() { # NAME TEXT
	mkdir -p "$corpus/qr_image"
	build/tests/tools/qrpng "$2" "$corpus/qr_image/$1"
}
qr_seed plain 'ehr://grant/31337/0x5FbDB2315678afecb367f032d93F642f64180aa3/4?patient=0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
qr_seed bearer 'ehr://grant/31337/0x5FbDB2315678afecb367f032d93F642f64180aa3/7#k=3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&p=1'
qr_seed other 'shc:/5676290952432060346029243740'
python3 -c '
import struct, sys, zlib
w = h = 40
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + b"\xff" * w for _ in range(h))
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
	+ chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))' | put qr_image blank

# text_clean: byte 0 is the flags and the room (fuzz_text_clean.c)
printf '\000scan\342\200\256fdp.exe \302\23331m\342\201\246' | put text_clean bidi
printf '\001Zo\303\253 <Dr. A & B>\033[2J' | put text_clean ascii-name
printf '\012\346\235\261\344\272\254 \360\237\230\200 \300\257\355\240\200' | put text_clean cut-utf8

# agent_wire: a selector byte (even: a request, odd: a reply), then the body
zeros() { head -c "$1" /dev/zero; }
{ printf '\000\001'; zeros 36; } | put agent_wire status
{ printf '\000\002'; zeros 36; printf "m/44'/60'/0'/0/3"; } | put agent_wire keys-path
{ printf '\000\003'; zeros 35; printf '\002'; zeros 32; } | put agent_wire sign
{ printf '\000\004'; zeros 36; zeros 112; } | put agent_wire open
{ printf '\000\005'; zeros 36; } | put agent_wire lock
{ printf '\000\006'; zeros 36; zeros 32; printf '\000\120'; zeros 240; } | put agent_wire open-many
{ printf '\001\000'; zeros 65; } | put agent_wire reply-signature
printf '\001\003it holds another wallet' | put agent_wire reply-refused
{ printf '\001\000'; zeros 32; printf '\000\000\000\000\146\000\000\000\000\000\000\000\146\000\000\000\000\000\001\054\000\000\060\071\007default/home/p/.local/share/ehr/wallets/default.json'; } | put agent_wire reply-status

echo "seeds in $corpus: $(find "$corpus" -type f | wc -l) files, $(du -sk "$corpus" | cut -f1) KiB"
