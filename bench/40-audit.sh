# shellcheck shell=sh disable=SC2016 # commands are expanded by eval, at run time
# ehr audit over 10,000 events against `cast logs` over the same blocks.
# The history: a patient (anvil dev account 7, in a wallet restored from the
# dev mnemonic) adds 10,000 small files in one `ehr record add` run with the
# dir: store, which anchors them in 100 anchorRecords transactions of 100
# records (one RecordAnchored event each, with its sealed key and encrypted
# metadata). ehr audit then does everything it does for a user: two log
# scans (the patient as topic 1, then as topic 3), the times of every block
# in one batch, the names in another, one unlock (Argon2id "interactive")
# and 10,000 titles decrypted; --json so the output is whole. cast logs
# fetches and prints the same logs (every registry event in the range, one
# scan) and nothing else. The --no-titles row leaves out the unlock and the
# decryption.
dev_wallet audit 8
audit_ehr() {
	"$EHR" --wallet audit --account 7 --passphrase-file "$BENCH_TMP/pass" --rpc "$ANVIL_URL" "$@"
}
audit_reg=$(audit_ehr deploy --yes --json | sed -n 's/.*"registry":[^"]*"\(0x[0-9a-fA-F]*\)".*/\1/p')
[ -n "$audit_reg" ] || die "ehr deploy failed"
audit_ehr --registry "$audit_reg" register --name "Bench Patient" --yes -q || die "ehr register failed"

mkdir -p "$BENCH_TMP/audit-in" "$BENCH_TMP/audit-store"
awk -v dir="$BENCH_TMP/audit-in" 'BEGIN { for (i = 1; i <= 10000; i++) {
	f = sprintf("%s/lab-%05d.txt", dir, i); printf "result %d\n", i > f; close(f) } }'
audit_t0=$(date +%s.%N)
audit_ehr --registry "$audit_reg" record add "$BENCH_TMP"/audit-in/lab-*.txt \
	--store "dir:$BENCH_TMP/audit-store" --yes -q > /dev/null || die "ehr record add of 10,000 files failed"
audit_t1=$(date +%s.%N)
audit_head=$("$CAST" block-number --rpc-url "$ANVIL_URL")
audit_logs=$("$CAST" logs --rpc-url "$ANVIL_URL" --address "$audit_reg" --from-block 0 --to-block "$audit_head" \
	| grep -c transactionHash)
audit_rows=$(audit_ehr --registry "$audit_reg" audit --json | grep -c '"event":')
# the patient's whole history: the key registered and 10,000 records
[ "$audit_rows" = 10001 ] || die "ehr audit shows $audit_rows events, want 10,001"
[ "$audit_logs" = 10001 ] || die "cast logs shows $audit_logs logs, want 10,001"

# measure runs programs, not shell functions: the command spelled out
audit_cmd='"$EHR" --wallet audit --account 7 --passphrase-file "$BENCH_TMP/pass" --rpc "$ANVIL_URL" --registry "$audit_reg" audit'
alternate audit 5 \
	"$audit_cmd"' --json' \
	'"$CAST" logs --rpc-url "$ANVIL_URL" --address "$audit_reg" --from-block 0 --to-block "$audit_head"'
row "audit, 10,001 events, titles decrypted (--json) | cast logs, same blocks" audit
alternate audit_nt 5 \
	"$audit_cmd"' --no-titles --json' \
	'"$CAST" logs --rpc-url "$ANVIL_URL" --address "$audit_reg" --from-block 0 --to-block "$audit_head"'
row "audit --no-titles, 10,001 events | cast logs, same blocks" audit_nt
# with the agent: unlocked once by `ehr unlock`, audit asks it to open
# each title's sealed key (the keys stay in the agent)
"$EHR" --wallet audit --account 7 --passphrase-file "$BENCH_TMP/pass" unlock --for 1h --idle 1h > /dev/null ||
	die "ehr unlock failed"
audit_agent='"$EHR" --wallet audit --account 7 --rpc "$ANVIL_URL" --registry "$audit_reg" audit'
[ "$(eval "$audit_agent --json" < /dev/null | grep -o '"lab-[0-9]*\.txt"' | wc -l)" = 10000 ] ||
	die "ehr audit with the agent does not show the 10,000 titles"
alternate audit_agent 5 \
	"$audit_agent"' --json' \
	'"$CAST" logs --rpc-url "$ANVIL_URL" --address "$audit_reg" --from-block 0 --to-block "$audit_head"'
agent_lock
row "audit, 10,001 events, titles, with the agent | cast logs, same blocks" audit_agent
note "audit history: 10,000 records added by one 'ehr record add' (dir: store, $(awk -v a="$audit_t0" -v b="$audit_t1" \
	'BEGIN { printf "%.1f s", b - a }') for sealing and 100 anchorRecords transactions), blocks 0-$audit_head."
