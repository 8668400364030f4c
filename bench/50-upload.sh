# shellcheck shell=sh disable=SC2016 # commands are expanded by eval, at run time
# The provider batch upload: 1,000 records of 2 KiB into one patient's chart.
# A provider (dev account 0, in a wallet restored from the dev mnemonic)
# holds a write grant from a patient (a fresh wallet, funded by the
# provider); each measured `ehr upload` seals and anchors a fresh directory
# of 1,000 new random files, with a fresh journal, so nothing is known to it
# already. Its peers in the same run:
# - one `cast send` per record, as a script would do it: storeAndAnchor of
#   one chunk and one anchor, with random bytes of the sizes ehr's own
#   records have (cast cannot seal), the calldata made before timing. Two
#   ways: plain `cast send`, which waits for each receipt (polling every
#   250 ms when the first look misses, which it does for these), timed over
#   50 records and scaled to 1,000 (all of them would take about five
#   minutes); and `cast send --async --nonce N` for all 1,000, then `cast
#   receipt` of the last, the fastest a cast loop goes (without --nonce,
#   cast's own nonce lookup races the node and fails).
# - the node's raw intake of the very transactions ehr sent: anvil's state is
#   saved (evm_snapshot) before an ehr run and restored (evm_revert) after
#   it, then the signed transactions from ehr's journal are sent again in
#   JSON-RPC batches as large as anvil takes (2 MiB bodies), and their
#   receipts fetched in one batch until all are there: the floor, whatever
#   the client. The runs alternate: ehr, raw intake, ehr, raw intake...
# recordCount() is checked after every run, so a broken run cannot look fast.
up_runs=3
up_n=1000
up_sample=50
printf 'test test test test test test test test test test test junk\n' > "$BENCH_TMP/words"
printf 'bench test passphrase\n' > "$BENCH_TMP/pass"
chmod 600 "$BENCH_TMP/words" "$BENCH_TMP/pass"
up_py=$(python3 -c 'import sys; print(sys.executable)') || die "python3 is missing"

# up_ehr WALLET ARG...: ehr as one of the two wallets, on the upload network.
up_ehr() {
	_w=$1
	shift
	"$EHR" --wallet "$_w" --passphrase-file "$BENCH_TMP/pass" "$@"
}
up_count() {
	"$CAST" call --rpc-url "$ANVIL_URL" "$up_reg" 'recordCount()(uint256)' | cut -d' ' -f1
}
# up_expect N WHAT: recordCount() must be N after WHAT.
up_expect() {
	_c=$(up_count)
	[ "$_c" = "$1" ] || die "$2: the registry counts $_c records, want $1"
}

up_ehr up-provider -q --rpc "$ANVIL_URL" restore --kdf interactive \
	--mnemonic-file "$BENCH_TMP/words" --force || die "ehr restore failed"
up_ehr up-patient -q init --kdf interactive --mnemonic-out "$BENCH_TMP/up-patient-words" --force \
	|| die "ehr init failed"
up_reg=$(up_ehr up-provider --rpc "$ANVIL_URL" deploy --save-as upload --yes --json |
	sed -n 's/.*"registry":[^"]*"\(0x[0-9a-fA-F]*\)".*/\1/p')
[ -n "$up_reg" ] || die "ehr deploy failed"
up_provider=$(up_ehr up-provider address)
up_patient=$(up_ehr up-patient address)
up_key=$(anvil_key 0)
[ "$("$CAST" wallet address --private-key "$up_key")" = "$up_provider" ] ||
	die "the provider is not anvil's account 0"
up_ehr up-provider --network upload -q send "$up_patient" 10 --yes || die "ehr send failed"
up_ehr up-patient --network upload -q register --name "Bench Patient" --yes || die "register failed"
up_ehr up-provider --network upload -q register --name "Bench Clinic" --role provider --yes ||
	die "register failed"
up_grant=$(up_ehr up-patient --network upload grant "$up_provider" --write --for 7d --yes --json |
	sed -n 's/.*"grant":[^0-9]*\([0-9][0-9]*\).*/\1/p')
[ -n "$up_grant" ] || die "ehr grant failed"

# the files, all made before any timing: a warm-up directory and one per run
up_i=0
while [ $up_i -le $up_runs ]; do
	mkdir "$BENCH_TMP/up-in$up_i"
	head -c $((up_n * 2048)) /dev/urandom | split -b 2048 -a 4 -d - "$BENCH_TMP/up-in$up_i/lab-" ||
		die "cannot make the files"
	up_i=$((up_i + 1))
done

# The helper for the peers: the calldata for cast and the raw intake.
cat > "$BENCH_TMP/up-peer.py" << 'EOF'
import http.client, json, os, sys, time

def node(url):
	host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
	c = http.client.HTTPConnection(host, int(port), timeout=120)
	def call(body):
		c.request("POST", "/", body, {"Content-Type": "application/json"})
		r = c.getresponse()
		data = r.read()
		if r.status != 200:
			sys.exit("up-peer: HTTP %d: %s" % (r.status, data[:200]))
		return json.loads(data)
	return call

def word(d, o):
	return int.from_bytes(d[o:o + 32], "big")

def dyn(d, base, off):  # the bytes of a dynamic member at head offset off
	o = base + word(d, base + off)
	return d[o + 32:o + 32 + word(d, o)]

def u(n):
	return n.to_bytes(32, "big")

def enc(b):
	return u(len(b)) + b + bytes(-len(b) % 32)

def tup(fields):  # a tuple: 32-byte words as they are, bytes objects encoded as dynamic
	head, tail = b"", b""
	size = 32 * len(fields)
	for f in fields:
		if isinstance(f, tuple):
			head += u(size + len(tail))
			tail += f[0]
		else:
			head += f
	return head + tail

def one(t):  # an array of one dynamic tuple
	return u(1) + u(32) + t

mode = sys.argv[1]
if mode == "calldata":
	# calldata URL TX PATIENT GRANT N: N storeAndAnchor calls of one record
	# each, with random bytes the sizes of the first record of ehr's TX
	url, txh, patient, grant, n = sys.argv[2:7]
	call = node(url)
	tx = call(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionByHash",
		"params": [txh]}))["result"]
	d = bytes.fromhex(tx["input"][2:])
	sel, d = d[:4], d[4:]
	c0 = word(d, 64) + 32
	c0 += word(d, c0)
	r0 = word(d, 96) + 32
	r0 += word(d, r0)
	sizes = [len(dyn(d, c0, 96))] + [len(dyn(d, r0, k)) for k in (96, 128, 160)]
	loc = dyn(d, r0, 64)
	p = bytes(12) + bytes.fromhex(patient[2:])
	for i in range(int(n)):
		h = os.urandom(32)
		data, pk, ak, meta = (os.urandom(s) for s in sizes)
		chunk = tup([h, u(0), u(1), (enc(data),)])
		rec = tup([h, u(len(data)), (enc(loc),), (enc(pk),), (enc(ak),), (enc(meta),)])
		print("0x" + (sel + tup([p, u(int(grant)), (one(chunk),), (one(rec),)])).hex())
	print("sizes: chunk %d, sealed keys %d and %d, metadata %d, locator %s" %
		(sizes[0], sizes[1], sizes[2], sizes[3], loc.decode()), file=sys.stderr)
elif mode == "args":
	# args: the first calldata line on stdin as `cast calldata` arguments
	d = bytes.fromhex(sys.stdin.readline().strip()[10:])
	c0 = word(d, 64) + 32
	c0 += word(d, c0)
	r0 = word(d, 96) + 32
	r0 += word(d, r0)
	hx = lambda b: "0x" + b.hex()
	print(hx(d[12:32]))
	print(word(d, 32))
	print("[(%s,0,1,%s)]" % (hx(d[c0:c0 + 32]), hx(dyn(d, c0, 96))))
	print("[(%s,%d,%s,%s,%s,%s)]" % (hx(d[r0:r0 + 32]), word(d, r0 + 32), dyn(d, r0, 64).decode(),
		hx(dyn(d, r0, 96)), hx(dyn(d, r0, 128)), hx(dyn(d, r0, 160))))
elif mode == "prepare":
	# prepare JOURNAL DIR: the journal's signed transactions as JSON-RPC
	# batch bodies of at most 2,000,000 bytes (anvil refuses 2 MiB), in order
	journal, out = sys.argv[2:4]
	raws = [json.loads(l)["raw"] for l in open(journal) if '"raw"' in l]
	bodies, cur, size = [], [], 0
	for i, r in enumerate(raws):
		q = '{"jsonrpc":"2.0","id":%d,"method":"eth_sendRawTransaction","params":["0x%s"]}' % (i, r)
		if cur and size + len(q) + 2 > 2000000:
			bodies.append(cur)
			cur, size = [], 0
		cur.append(q)
		size += len(q) + 1
	bodies.append(cur)
	os.makedirs(out)
	for k, b in enumerate(bodies):
		with open("%s/%03d.json" % (out, k), "w") as f:
			f.write("[" + ",".join(b) + "]")
	print(len(raws), len(bodies))
elif mode == "send":
	# send URL DIR TIMES: the bodies, then receipts in one batch until all
	# are in and succeeded; appends the seconds this took to TIMES
	url, src, times = sys.argv[2:5]
	names = sorted(os.listdir(src))
	bodies = [open(os.path.join(src, n), "rb").read() for n in names]
	call = node(url)
	t0 = time.monotonic()
	hashes = []
	for b in bodies:
		for r in sorted(call(b), key=lambda r: r["id"]):
			if "error" in r:
				sys.exit("up-peer: refused: %s" % r["error"])
			hashes.append(r["result"])
	polls = json.dumps([{"jsonrpc": "2.0", "id": i, "method": "eth_getTransactionReceipt",
		"params": [h]} for i, h in enumerate(hashes)])
	while True:
		got = call(polls)
		if all(r.get("result") for r in got):
			break
	t = time.monotonic() - t0
	if any(r["result"]["status"] != "0x1" for r in got):
		sys.exit("up-peer: a transaction reverted")
	with open(times, "a") as f:
		f.write("%.6f %d\n" % (t, len(hashes)))
EOF

up_cmd='"$EHR" --wallet up-provider --network upload --passphrase-file "$BENCH_TMP/pass"'
up_cmd="$up_cmd"' upload --patient "$up_patient" "$BENCH_TMP/up-in$up_i" --yes --journal "$BENCH_TMP/up-j$up_i"'

# warm-up, untimed: also the record sizes for cast's calldata
up_i=0
up_base=$(up_count)
measure_once "$BENCH_TMP/warm" "$up_cmd"
up_base=$((up_base + up_n))
up_expect $up_base "the warm-up upload"
up_tx=0x$(sed -n '1s/^{"tx":"\([0-9a-f]*\)".*/\1/p' "$BENCH_TMP/up-j0")
"$up_py" "$BENCH_TMP/up-peer.py" calldata "$ANVIL_URL" "$up_tx" "$up_patient" "$up_grant" $up_n \
	> "$BENCH_TMP/up-calldata" 2> "$BENCH_TMP/up-sizes" || die "cannot make the calldata: $(cat "$BENCH_TMP/up-sizes")"
# the encoding checked against cast's own, on the first line
"$up_py" "$BENCH_TMP/up-peer.py" args < "$BENCH_TMP/up-calldata" > "$BENCH_TMP/up-args"
{
	read -r up_a1 && read -r up_a2 && read -r up_a3 && read -r up_a4
} < "$BENCH_TMP/up-args" || die "cannot read the calldata back"
[ "$("$CAST" calldata 'storeAndAnchor(address,uint256,(bytes32,uint32,uint32,bytes)[],(bytes32,uint64,string,bytes,bytes,bytes)[])' \
	"$up_a1" "$up_a2" "$up_a3" "$up_a4")" = "$(head -n 1 "$BENCH_TMP/up-calldata")" ] ||
	die "the calldata for cast is not what cast calldata makes"
cat > "$BENCH_TMP/up-cast.sh" << 'EOF'
# up-cast.sh confirmed|async URL KEY REGISTRY CALLDATA [FROM]: one cast send
# per line of CALLDATA; async gives nonces from FROM's, then waits for the
# receipt of the last, which must have succeeded
mode=$1 url=$2 key=$3 reg=$4 calldata=$5
if [ "$mode" = confirmed ]; then
	while read -r cd; do
		"$CAST" send --rpc-url "$url" --private-key "$key" "$reg" "$cd" > /dev/null || exit 1
	done < "$calldata"
	exit 0
fi
nonce=$("$CAST" nonce --rpc-url "$url" "$6") || exit 1
while read -r cd; do
	tx=$("$CAST" send --async --nonce "$nonce" --rpc-url "$url" --private-key "$key" "$reg" "$cd") || exit 1
	nonce=$((nonce + 1))
done < "$calldata"
case $("$CAST" receipt --rpc-url "$url" "$tx" status) in
true | 1*success*) exit 0 ;;
*) exit 1 ;;
esac
EOF
export CAST

# ehr and the raw intake of what it sent, alternating
: > "$BENCH_TMP/up_raw.ehr"
: > "$BENCH_TMP/up_raw.peer"
: > "$BENCH_TMP/up-intake-times"
up_i=1
while [ $up_i -le $up_runs ]; do
	up_snap=$("$CAST" rpc --rpc-url "$ANVIL_URL" evm_snapshot | tr -d '"')
	measure_once "$BENCH_TMP/up_raw.ehr" "$up_cmd"
	up_expect $((up_base + up_n)) "ehr upload run $up_i"
	[ "$("$CAST" rpc --rpc-url "$ANVIL_URL" evm_revert "$up_snap")" = true ] || die "evm_revert failed"
	up_expect $up_base "evm_revert after ehr upload run $up_i"
	up_txs=$("$up_py" "$BENCH_TMP/up-peer.py" prepare "$BENCH_TMP/up-j$up_i" "$BENCH_TMP/up-raw$up_i") ||
		die "cannot read the journal of run $up_i"
	measure_once "$BENCH_TMP/up_raw.peer" \
		'"$up_py" "$BENCH_TMP/up-peer.py" send "$ANVIL_URL" "$BENCH_TMP/up-raw$up_i" "$BENCH_TMP/up-intake-times"'
	up_base=$((up_base + up_n))
	up_expect $up_base "the raw intake of run $up_i"
	up_i=$((up_i + 1))
done
up_txs=${up_txs%% *}

# one cast send per record: a warm-up send, 50 confirmed, 1,000 async
head -n 1 "$BENCH_TMP/up-calldata" > "$BENCH_TMP/up-calldata1"
sed -n "2,$((up_sample + 1))p" "$BENCH_TMP/up-calldata" > "$BENCH_TMP/up-calldata-sample"
sh "$BENCH_TMP/up-cast.sh" confirmed "$ANVIL_URL" "$up_key" "$up_reg" "$BENCH_TMP/up-calldata1" ||
	die "cast send failed"
: > "$BENCH_TMP/up-sample"
measure_once "$BENCH_TMP/up-sample" \
	'sh "$BENCH_TMP/up-cast.sh" confirmed "$ANVIL_URL" "$up_key" "$up_reg" "$BENCH_TMP/up-calldata-sample"'
up_base=$((up_base + 1 + up_sample))
up_expect $up_base "$up_sample confirmed cast sends"
cp "$BENCH_TMP/up_raw.ehr" "$BENCH_TMP/up_cast.ehr"
awk -v k=$((up_n / up_sample)) '{ printf "%.6f %s\n", $1 * k, $2 }' "$BENCH_TMP/up-sample" > "$BENCH_TMP/up_cast.peer"
cp "$BENCH_TMP/up_raw.ehr" "$BENCH_TMP/up_async.ehr"
: > "$BENCH_TMP/up_async.peer"
measure_once "$BENCH_TMP/up_async.peer" \
	'sh "$BENCH_TMP/up-cast.sh" async "$ANVIL_URL" "$up_key" "$up_reg" "$BENCH_TMP/up-calldata" "$up_provider"'
up_base=$((up_base + up_n))
up_expect $up_base "the cast send --async loop"

row "upload 1,000 x 2 KiB: ehr upload | cast send per record ($up_sample timed, x$((up_n / up_sample)))" up_cast
row "upload 1,000 x 2 KiB: ehr upload | cast send --async --nonce per record, 1 run" up_async
row "upload 1,000 x 2 KiB: ehr upload | node's raw intake of ehr's signed txs" up_raw
up_rate() { # up_rate FILE: records per second of the median run
	awk -v s="$(stat_of "$1" median)" -v n=$up_n 'BEGIN { printf "%.0f", n / s }'
}
note "upload: records/s: ehr $(up_rate "$BENCH_TMP/up_raw.ehr"), cast send $(up_rate "$BENCH_TMP/up_cast.peer")," \
	"cast send --async $(up_rate "$BENCH_TMP/up_async.peer"), raw intake $(up_rate "$BENCH_TMP/up_raw.peer")" \
	"($(up_rate "$BENCH_TMP/up-intake-times") without python's start-up); ehr sent $up_txs" \
	"storeAndAnchor transactions per 1,000 records, cast 1,000."
note "upload: cast's records: $(sed 's/^sizes: //' "$BENCH_TMP/up-sizes") bytes, as ehr's;" \
	"recordCount() checked after every run."
