# shellcheck shell=sh disable=SC2016 # commands are expanded by eval, at run time
# 20 confirmed sends of 0.001 ETH on anvil (automining: each is mined as it
# arrives), from dev account 0. ehr signs with the key in its wallet (restored
# from anvil's dev mnemonic, Argon2id "interactive"), so each send unlocks;
# cast is handed the raw private key. Both wait for the receipt.
# Then one send of each through bench/rpc-count.py, a loopback proxy that
# counts HTTP requests and JSON-RPC calls (anvil logs methods, not requests,
# so it cannot tell a batch of 4 calls from 4 round trips).
printf 'test test test test test test test test test test test junk\n' > "$BENCH_TMP/words"
printf 'bench test passphrase\n' > "$BENCH_TMP/pass"
chmod 600 "$BENCH_TMP/words" "$BENCH_TMP/pass"
"$EHR" -q --wallet dev --passphrase-file "$BENCH_TMP/pass" restore --kdf interactive \
	--mnemonic-file "$BENCH_TMP/words" --force || die "ehr restore failed"
to=0x000000000000000000000000000000000000dEaD
key0=$(anvil_key 0)
[ -n "$key0" ] || die "no dev key in the anvil log"

alternate send 20 \
	'"$EHR" --wallet dev --passphrase-file "$BENCH_TMP/pass" --rpc "$ANVIL_URL" send "$to" 0.001 --yes' \
	'"$CAST" send --rpc-url "$ANVIL_URL" --private-key "$key0" "$to" --value 0.001ether'
row "send 0.001 ETH, confirmed: ehr (unlocks) | cast --private-key" send
row "20 confirmed sends, total" send total
# the same with the agent: unlocked once by `ehr unlock`, each send asks it
# to sign (no Argon2id in the runs)
agent_unlock dev
alternate send_agent 20 \
	'"$EHR" --wallet dev --rpc "$ANVIL_URL" send "$to" 0.001 --yes' \
	'"$CAST" send --rpc-url "$ANVIL_URL" --private-key "$key0" "$to" --value 0.001ether'
agent_lock
row "send 0.001 ETH, confirmed: ehr with the agent | cast --private-key" send_agent
row "20 confirmed sends with the agent, total" send_agent total
bal=$("$CAST" balance --rpc-url "$ANVIL_URL" "$to")
[ "$bal" = 84000000000000000 ] || die "0x...dEaD holds $bal wei, want 84 sends of 0.001 ETH"

# rpc_count 'COMMAND' (with $url as the node): prints "N requests, M calls (methods)".
rpc_count() {
	: > "$BENCH_TMP/rpc.log"
	python3 "$BENCH_ROOT/bench/rpc-count.py" "$ANVIL_URL" "$BENCH_TMP/rpc.log" \
		> "$BENCH_TMP/proxy.out" 2> "$BENCH_TMP/proxy.err" &
	_proxy=$!
	_port='' _i=0
	while [ $_i -lt 200 ] && [ -z "$_port" ]; do
		sleep 0.05
		_port=$(sed -n 's/^Listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$BENCH_TMP/proxy.out")
		_i=$((_i + 1))
	done
	[ -n "$_port" ] || { kill "$_proxy"; cat "$BENCH_TMP/proxy.err" >&2; die "the counting proxy did not start"; }
	# shellcheck disable=SC2034 # used by the eval below
	url=http://127.0.0.1:$_port
	eval "$1" > /dev/null 2> "$BENCH_TMP/stderr" || { kill "$_proxy"; cat "$BENCH_TMP/stderr" >&2; die "failed: $1"; }
	kill "$_proxy"
	wait "$_proxy" 2> /dev/null
	awk '{ n++; c += $2; m = m (n > 1 ? "; " : "") ($2 > 1 ? "[" $3 "]" : $3) }
		END { printf "%d HTTP requests, %d JSON-RPC calls: %s", n, c, m }' "$BENCH_TMP/rpc.log"
}
rpc_count '"$EHR" --wallet dev --passphrase-file "$BENCH_TMP/pass" --rpc "$url" send "$to" 0.001 --yes' > "$BENCH_TMP/rt.ehr"
rpc_count '"$CAST" send --rpc-url "$url" --private-key "$key0" "$to" --value 0.001ether' > "$BENCH_TMP/rt.cast"
note "round trips of one send ([...] is one batch request):"
note "  ehr send:  $(cat "$BENCH_TMP/rt.ehr")"
note "  cast send: $(cat "$BENCH_TMP/rt.cast")"
