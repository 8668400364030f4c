# shellcheck shell=sh disable=SC2016 # commands are expanded by eval, at run time
# The consultation: from the clinician's `ehr access` (the access request
# sent) to the plaintext on disk, while the patient's `ehr watch --release`
# runs in the background and answers. One wallet restored from the dev
# mnemonic: account 1 is the patient (one record, on chain), account 2 the
# clinician (registered, holding a read grant to that record). Each measured
# run is a fresh `ehr access` into a fresh folder: request, wait for the
# release, fetch, verify, decrypt. Its peer in the same run is the protocol
# without the clinician's ehr: `cast send` of the same requestAccess, then
# `cast logs` every 0.25 s until the release of that request is on chain
# (nothing fetched or decrypted: cast cannot unseal). Both are answered by
# the same watch, so the difference is the clinician's side: ehr access
# looks for the release once a second.
# Two ways of mining: anvil's automining (a block per transaction: the wait
# is the pollers' intervals), then blocks every second (evm_setIntervalMining
# 1, automining again afterwards), as a chain makes blocks. After each, the
# blocks from every request to its release are counted from the logs.
dev_wallet consult 3

# co_ehr ACCOUNT ARG...: ehr as one of the wallet's accounts
co_ehr() {
	_a=$1
	shift
	"$EHR" --wallet consult --account "$_a" --passphrase-file "$BENCH_TMP/pass" "$@"
}
co_reg=$(co_ehr 0 --rpc "$ANVIL_URL" deploy --save-as consult --yes --json |
	sed -n 's/.*"registry":[^"]*"\(0x[0-9a-fA-F]*\)".*/\1/p')
[ -n "$co_reg" ] || die "ehr deploy failed"
co_patient=$(co_ehr 1 address)
co_doc=$(co_ehr 2 address)
co_key=$(anvil_key 2)
[ "$("$CAST" wallet address --private-key "$co_key")" = "$co_doc" ] || die "the clinician is not anvil's account 2"
co_ehr 1 --network consult -q register --name "Bench Patient" --yes || die "register failed"
co_ehr 2 --network consult -q register --name "Dr. Bench" --role provider --yes || die "register failed"
printf 'Allergies: penicillin\nMedication: metformin 500 mg twice daily\n' > "$BENCH_TMP/consult-summary.txt"
co_ehr 1 --network consult -q record add "$BENCH_TMP/consult-summary.txt" --yes > /dev/null || die "record add failed"
co_json=$(co_ehr 1 --network consult grant "$co_doc" --records 1 --for 1d --yes --json) || die "ehr grant failed"
co_grant=$(echo "$co_json" | sed -n 's/.*"grant":[^0-9]*\([0-9][0-9]*\).*/\1/p')
co_uri=$(echo "$co_json" | sed -n 's/.*"uri":[^"]*"\([^"]*\)".*/\1/p')
{ [ -n "$co_grant" ] && [ -n "$co_uri" ]; } || die "ehr grant printed no grant"

# the patient's side, for the whole benchmark
co_ehr 1 --network consult watch --release > "$BENCH_TMP/consult-watch.log" 2>&1 &
co_watch=$!
BENCH_PIDS="$BENCH_PIDS $co_watch"

# The peer: request by cast, then the release looked for by cast logs.
cat > "$BENCH_TMP/consult-peer.sh" << 'EOF'
# consult-peer.sh CAST URL KEY REGISTRY PATIENT GRANT REQUESTER
set -eu
cast=$1 url=$2 key=$3 reg=$4 patient=$5 grant=$6 who=$7
r=$("$cast" send --rpc-url "$url" --private-key "$key" --json "$reg" \
	'requestAccess(address,uint256,uint256[])' "$patient" "$grant" '[1]')
block=$(printf '%s' "$r" | sed -n 's/.*"blockNumber":"\(0x[0-9a-f]*\)".*/\1/p')
req=$(printf '%s' "$r" | sed -n 's/.*"data":"0x\([0-9a-f]\{64\}\).*/\1/p')
[ -n "$block" ] && [ -n "$req" ] || { echo "consult-peer: no request in $r" >&2; exit 1; }
until "$cast" logs --rpc-url "$url" --address "$reg" --from-block "$block" \
	'KeysReleased(address indexed,uint256 indexed,address indexed,uint256,uint256[],bytes[])' \
	"$patient" "$grant" "$who" | grep -q "data: 0x$req"; do
	sleep 0.25
done
EOF
co_ehr_cmd='"$EHR" --wallet consult --account 2 --passphrase-file "$BENCH_TMP/pass" --network consult access "$co_uri" -o "$BENCH_TMP/consult-out/$(date +%s%N)" --yes -q'
co_peer_cmd='sh "$BENCH_TMP/consult-peer.sh" "$CAST" "$ANVIL_URL" "$co_key" "$co_reg" "$co_patient" "$co_grant" "$co_doc"'

# co_blocks FROM: the blocks from each request (from block FROM on) to its
# release: "min median max (n requests)"; every request must be released.
co_blocks() {
	"$CAST" logs --rpc-url "$ANVIL_URL" --address "$co_reg" --from-block "$1" --json \
		'AccessRequested(address indexed,uint256 indexed,address indexed,uint256,uint256[])' \
		"$co_patient" "$co_grant" "$co_doc" > "$BENCH_TMP/consult-req.json"
	"$CAST" logs --rpc-url "$ANVIL_URL" --address "$co_reg" --from-block "$1" --json \
		'KeysReleased(address indexed,uint256 indexed,address indexed,uint256,uint256[],bytes[])' \
		"$co_patient" "$co_grant" "$co_doc" > "$BENCH_TMP/consult-rel.json"
	python3 - "$BENCH_TMP/consult-req.json" "$BENCH_TMP/consult-rel.json" << 'EOF'
import json, sys
def by_request(path):
	return {l["data"][2:66]: int(l["blockNumber"], 16) for l in json.load(open(path))}
req, rel = by_request(sys.argv[1]), by_request(sys.argv[2])
if not req or set(req) - set(rel):
	sys.exit("consult: %d requests, %d of them released" % (len(req), len(set(req) & set(rel))))
d = sorted(rel[k] - req[k] for k in req)
print("%d %d %d (%d requests)" % (d[0], d[len(d) // 2], d[-1], len(d)))
EOF
}

co_runs=5
co_runs_1s=3
co_from=$("$CAST" block-number --rpc-url "$ANVIL_URL")
alternate consult "$co_runs" "$co_ehr_cmd" "$co_peer_cmd"
row "consultation: access, request to plaintext | cast send + cast logs poll" consult
co_auto=$(co_blocks "$co_from") || die "a request was not released"

"$CAST" rpc --rpc-url "$ANVIL_URL" evm_setIntervalMining 1 > /dev/null || die "anvil: no interval mining"
co_from=$("$CAST" block-number --rpc-url "$ANVIL_URL")
co_from=$((co_from + 1))
alternate consult_1s "$co_runs_1s" "$co_ehr_cmd" "$co_peer_cmd"
"$CAST" rpc --rpc-url "$ANVIL_URL" evm_setIntervalMining 0 > /dev/null
"$CAST" rpc --rpc-url "$ANVIL_URL" evm_setAutomine true > /dev/null || die "anvil: automining not back"
row "consultation, a block a second: the same" consult_1s
co_1s=$(co_blocks "$co_from") || die "a request was not released"

kill "$co_watch" 2> /dev/null
wait "$co_watch" 2> /dev/null
co_files=$(find "$BENCH_TMP/consult-out" -name consult-summary.txt | wc -l)
co_same=$(find "$BENCH_TMP/consult-out" -name consult-summary.txt -exec cmp -s {} "$BENCH_TMP/consult-summary.txt" \; -print | wc -l)
# every run and both warm-ups
if [ "$co_files" -ne $((co_runs + co_runs_1s + 2)) ] || [ "$co_same" -ne "$co_files" ]; then
	die "the accesses wrote $co_files plaintexts, $co_same of them right"
fi
note "consultation: blocks from each request to its release (min median max), both sides' requests:" \
	"automining $co_auto, a block a second $co_1s; ehr access and watch --release look for a new block every 0.25 s."
