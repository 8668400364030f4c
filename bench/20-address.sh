# shellcheck shell=sh disable=SC2016 # commands are expanded by eval, at run time
# mnemonic to address, account 3. cast derives from the mnemonic it is given;
# ehr keeps the mnemonic sealed in its wallet file, so deriving means
# unlocking it first (Argon2id, here at the "interactive" cost, the cheapest
# ehr offers), then BIP32. The header read is what `ehr address` does by
# default: the addresses are in the authenticated plaintext header, no unlock.
# With the agent (`ehr unlock` once, before the runs): ehr asks the agent,
# which holds the unlocked wallet, to derive; no Argon2id in the runs.
printf 'test test test test test test test test test test test junk\n' > "$BENCH_TMP/words"
printf 'bench test passphrase\n' > "$BENCH_TMP/pass"
chmod 600 "$BENCH_TMP/words" "$BENCH_TMP/pass"
"$EHR" -q --wallet bench --passphrase-file "$BENCH_TMP/pass" restore --kdf interactive \
	--mnemonic-file "$BENCH_TMP/words" --force || die "ehr restore failed"
want=$("$CAST" wallet address --mnemonic "$BENCH_TMP/words" --mnemonic-index 3)
got=$("$EHR" --wallet bench --passphrase-file "$BENCH_TMP/pass" address --path "m/44'/60'/0'/0/3")
[ "$got" = "$want" ] || die "ehr and cast disagree on account 3: $got vs $want"

alternate derive 20 \
	'"$EHR" --wallet bench --passphrase-file "$BENCH_TMP/pass" address --path "m/44'"'"'/60'"'"'/0'"'"'/0/3"' \
	'"$CAST" wallet address --mnemonic "$BENCH_TMP/words" --mnemonic-index 3'
row "address #3: ehr unlock (Argon2id interactive) + derive | cast --mnemonic" derive
alternate header 20 \
	'"$EHR" --wallet bench address --index 3' \
	'"$CAST" wallet address --mnemonic "$BENCH_TMP/words" --mnemonic-index 3'
row "address #3: ehr header read, no unlock | cast --mnemonic" header
agent_unlock bench
got=$("$EHR" --wallet bench address --path "m/44'/60'/0'/0/3" < /dev/null)
[ "$got" = "$want" ] || die "ehr with the agent and cast disagree on account 3: $got vs $want"
alternate derive_agent 20 \
	'"$EHR" --wallet bench address --path "m/44'"'"'/60'"'"'/0'"'"'/0/3"' \
	'"$CAST" wallet address --mnemonic "$BENCH_TMP/words" --mnemonic-index 3'
row "address #3: ehr with the agent (unlocked once) + derive | cast --mnemonic" derive_agent
agent_lock
