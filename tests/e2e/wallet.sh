#!/bin/sh
# The wallet commands end to end: init, restore, import, export, accounts,
# address, passwd, wallets, sign, verify; cross-checked with cast, and every
# refusal with its message, exit status and an unchanged wallet file.
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
printf 'correct horse battery staple\n' > "$T/pw"
printf 'another passphrase entirely\n' > "$T/pw2"
printf 'correct horse\n' > "$T/bip39pw"
export EHR_PASSPHRASE_FILE="$T/pw"
W=$EHR_HOME/wallets

# grep_err WHAT PATTERN: the last command's stderr matches PATTERN.
grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
grep_out() {
	if grep -q -- "$2" "$E2E_OUT"; then ok "$1"; else fail "$1: stdout was: $(cat "$E2E_OUT")"; fi
}
perm() { stat -c %a "$1"; }

## init, accounts, and the addresses cast derives from the same words
check_exit "init writes a wallet and a mnemonic file" 0 \
	"$EHR" init --kdf interactive --mnemonic-out "$T/m1"
check_eq "wallet file is 0600" "$(perm "$W/default.json")" 600
check_eq "wallet directory is 0700" "$(perm "$W")" 700
check_eq "mnemonic file is 0600" "$(perm "$T/m1")" 600
check_eq "mnemonic has 24 words" "$(wc -w < "$T/m1")" 24
check_exit "accounts lists without a passphrase" 0 env -u EHR_PASSPHRASE_FILE "$EHR" accounts --json
check_eq "five accounts derived" "$(grep -c '"address"' "$E2E_OUT")" 5

# cross_check NAME MNEMONIC_FILE [BIP39_PASS]: ehr's accounts 0-4 equal cast's.
cross_check() {
	_n=$1 _m=$2 _bp=${3:-}
	for _i in 0 1 2 3 4; do
		if [ -n "$_bp" ]; then
			_want=$("$CAST" wallet address --mnemonic "$_m" --mnemonic-index $_i --mnemonic-passphrase "$_bp")
		else
			_want=$("$CAST" wallet address --mnemonic "$_m" --mnemonic-index $_i)
		fi
		_got=$("$EHR" --wallet "$_n" address --index $_i)
		check_eq "wallet $_n index $_i agrees with cast" "$_got" "$_want"
	done
}
cross_check default "$T/m1"

# four more fresh wallets, one with a BIP39 passphrase, and restores of
# mnemonics that cast generated
for n in 2 3 4; do
	"$EHR" --wallet w$n init --kdf interactive --words $((12 + 3 * (n - 2))) --mnemonic-out "$T/m$n" -q
	cross_check w$n "$T/m$n"
done
"$EHR" --wallet w5 init --kdf interactive --mnemonic-out "$T/m5" --bip39-passphrase-file "$T/bip39pw" -q
cross_check w5 "$T/m5" "correct horse"
"$CAST" wallet new-mnemonic -w 24 | sed -n '/^Phrase:/{n;p}' > "$T/cm"
check_exit "restore a mnemonic cast generated" 0 \
	"$EHR" --wallet c1 restore --kdf interactive --mnemonic-file "$T/cm"
cross_check c1 "$T/cm"

## vectors: the anvil dev mnemonic restores to the well-known account 0
echo "test test test test test test test test test test test junk" > "$T/anvil-m"
"$EHR" --wallet dev restore --kdf interactive --mnemonic-file "$T/anvil-m" -q
check_eq "anvil mnemonic gives the anvil account" "$("$EHR" --wallet dev address)" \
	0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
check_exit "address --path derives any path" 0 "$EHR" --wallet dev address --path "m/44'/60'/0'/0/1"
check_eq "the path's address" "$(cat "$E2E_OUT")" 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
check_exit "address --index beyond the listed accounts derives" 0 "$EHR" --wallet dev address --index 9
check_eq "account 9 agrees with cast" "$(cat "$E2E_OUT")" \
	"$("$CAST" wallet address --mnemonic "$T/anvil-m" --mnemonic-index 9)"
check_exit "address --bech32 shows the Cosmos form" 0 "$EHR" --wallet dev address --bech32 evmos --json
grep_out "bech32 form has the prefix" "evmos1"

## sign and verify, both ways with cast
sig=$("$EHR" --wallet dev sign "hello world")
check_eq "ehr signs like cast (RFC 6979)" "$sig" \
	"$("$CAST" wallet sign --mnemonic "$T/anvil-m" "hello world")"
check_exit "cast verifies ehr's signature" 0 "$CAST" wallet verify \
	--address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 "hello world" "$sig"
csig=$("$CAST" wallet sign --mnemonic "$T/m1" --mnemonic-index 2 "consent to share")
a2=$("$EHR" address --index 2)
check_exit "ehr verifies cast's signature" 0 "$EHR" verify --address "$a2" --signature "$csig" "consent to share"
check_exit "a signature over another message fails" 1 \
	"$EHR" verify --address "$a2" --signature "$csig" "consent to sell"
grep_err "says who signed instead" "signature does not match"
sig_hex=$("$EHR" --wallet dev sign --hex 0xdeadbeef)
check_eq "hex messages sign as bytes, like cast" "$sig_hex" \
	"$("$CAST" wallet sign --mnemonic "$T/anvil-m" 0xdeadbeef)"

## keystore v3 both ways with cast
"$CAST" wallet import imported --keystore-dir "$T/ks" --mnemonic "$T/cm" --mnemonic-index 3 \
	--unsafe-password "cast-test-pw" > /dev/null 2>&1
printf 'cast-test-pw\n' > "$T/kspw"
check_exit "import a keystore cast wrote" 0 "$EHR" --wallet imp import --kdf interactive \
	--keystore "$T/ks/imported" --keystore-passphrase-file "$T/kspw"
check_eq "imported account is cast's index 3" "$("$EHR" --wallet imp address)" \
	"$("$CAST" wallet address --mnemonic "$T/cm" --mnemonic-index 3)"
check_exit "export a keystore" 0 "$EHR" --wallet dev export --index 1 \
	--keystore "$T/ks/exported" --keystore-passphrase-file "$T/kspw"
check_eq "exported keystore is 0600" "$(perm "$T/ks/exported")" 600
pk=$("$CAST" wallet decrypt-keystore --keystore-dir "$T/ks" exported --unsafe-password cast-test-pw 2>&1 |
	sed -n 's/.*\(0x[0-9a-f]\{64\}\).*/\1/p')
check_eq "cast decrypts ehr's keystore to the right key" "$("$CAST" wallet address "$pk")" \
	0x70997970C51812dc3A010C7d01b50e0d17dc79C8
rand_hex 32 > "$T/rawkey"
check_exit "import a raw private key file" 0 "$EHR" --wallet raw import --kdf interactive \
	--private-key-file "$T/rawkey"
check_eq "raw key's address agrees with cast" "$("$EHR" --wallet raw address)" \
	"$("$CAST" wallet address "0x$(cat "$T/rawkey")")"

## export --mnemonic, passwd, accounts --add, wallets
check_exit "export --mnemonic to a file" 0 "$EHR" export --mnemonic --mnemonic-out "$T/m1-again" --yes
check_eq "the exported mnemonic is the original" "$(cat "$T/m1-again")" "$(cat "$T/m1")"
check_exit "passwd changes the passphrase" 0 "$EHR" passwd --new-passphrase-file "$T/pw2"
check_exit "the old passphrase no longer unlocks" 3 "$EHR" sign x
check_exit "the new one does" 0 "$EHR" --passphrase-file "$T/pw2" sign x
check_exit "accounts --add derives more" 0 "$EHR" --passphrase-file "$T/pw2" accounts --add 2 --json
check_eq "seven accounts now" "$(grep -c '"address"' "$E2E_OUT")" 7
check_exit "passphrase from a file descriptor" 0 "$EHR" --passphrase-fd 3 sign y 3< "$T/pw2"
# an account the header does not list is derived after unlocking the wallet
# the command opened: the file is read once
if command -v strace > /dev/null 2>&1; then
	# LeakSanitizer cannot run under ptrace: no leak check for this one run
	check_exit "address of an account not in the header" 0 env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -e trace=openat -o "$T/trace" "$EHR" --passphrase-file "$T/pw2" address --index 40
	check_eq "reads the wallet file once" "$(grep -c "$W/default.json\"" "$T/trace")" 1
else
	echo "skip - strace is not installed: the wallet read once not checked"
fi
check_exit "wallets lists them" 0 "$EHR" wallets --json
check_eq "all wallets listed" "$(grep -c "\"name\"" "$E2E_OUT")" 9
check_exit "wallets remove without a terminal needs --yes" 2 "$EHR" wallets remove w4 < /dev/null
check_eq "so w4 is still there" "$(test -f "$W/w4.json" && echo yes)" yes
check_exit "wallets remove --yes" 0 "$EHR" wallets remove w4 --yes
check_eq "w4 is gone" "$(test -f "$W/w4.json" || echo gone)" gone
check_exit "wallets rm without a terminal needs --yes too" 2 "$EHR" wallets rm raw < /dev/null
check_eq "so raw is still there" "$(test -f "$W/raw.json" && echo yes)" yes
check_exit "wallets rm with no name (2)" 2 "$EHR" wallets rm
grep_err "names the alias" "'wallets rm' takes one wallet name"
check_exit "wallets rm --yes, as remove" 0 "$EHR" wallets rm raw --yes
grep_err "says it removed it" "removed wallet 'raw'"
check_eq "raw is gone" "$(test -f "$W/raw.json" || echo gone)" gone

## refusals: message, exit status, nothing changed
cp "$W/dev.json" "$T/dev.before"
printf 'wrong\n' > "$T/wrongpw"
check_exit "wrong passphrase is exit 3" 3 "$EHR" --wallet dev --passphrase-file "$T/wrongpw" sign x
grep_err "says so" "wrong passphrase"
cmp -s "$W/dev.json" "$T/dev.before"; check_eq "file unchanged after a wrong passphrase" $? 0

flip() { # file offset: xor the byte at offset with 0x01
	_b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((_b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2> /dev/null
}
size=$(wc -c < "$W/dev.json")
for off in 5 40 $((size / 2)) $((size - 80)) $((size - 3)); do
	cp "$T/dev.before" "$W/dev.json"
	flip "$W/dev.json" $off
	check_exit "one flipped byte at $off is exit 6" 6 "$EHR" --wallet dev sign x
	grep_err "names the damage" "is damaged"
	check_exit "and accounts refuses too (6)" 6 "$EHR" --wallet dev accounts
done
cp "$T/dev.before" "$W/dev.json"
head -c $((size / 2)) "$T/dev.before" > "$W/dev.json"
check_exit "a truncated wallet file is exit 6" 6 "$EHR" --wallet dev sign x
cp "$T/dev.before" "$W/dev.json"

## the key check: a wallet altered on purpose (its checksum recomputed) is
## told from a wrong passphrase
# swap_addresses FILE: swaps the addresses of accounts 0 and 1 in FILE's
# header, in place, and writes the checksum ehr-formats(5) gives for the
# result; with "same" it only recomputes the checksum (to show the
# recomputation is right).
swap_addresses() {
	python3 - "$1" "${2:-swap}" << 'PY'
import hashlib, json, re, sys
path, how = sys.argv[1], sys.argv[2]
text = open(path).read()
doc = json.loads(text)
accts = doc["header"]["accounts"]
if how == "swap":
	a, b = accts[0]["address"], accts[1]["address"]
	text = text.replace(a, "@A@").replace(b, a).replace("@A@", b)
	doc = json.loads(text)
ad = json.dumps(doc["header"], separators=(",", ":"), ensure_ascii=False)
h = hashlib.blake2b(ad.encode() + b"\0" + doc["ciphertext"].encode(), digest_size=32).hexdigest()
text = re.sub(r'"checksum":\t"[0-9a-f]{64}"', '"checksum":\t"%s"' % h, text)
open(path, "w").write(text)
PY
}
cp "$T/dev.before" "$W/dev.json"
check_eq "a new wallet file has a key check" "$(grep -c '"check":' "$W/dev.json")" 1
swap_addresses "$W/dev.json" same
cmp -s "$W/dev.json" "$T/dev.before"; check_eq "the test recomputes ehr's checksum exactly" $? 0
a0=$("$EHR" --wallet dev address --index 0)
a1=$("$EHR" --wallet dev address --index 1)
swap_addresses "$W/dev.json"
cp "$W/dev.json" "$T/dev.swapped"
check_exit "the swapped file still opens without the passphrase" 0 "$EHR" --wallet dev address --index 0
check_eq "and shows account 1's address as account 0's (as trustworthy as the file)" "$(cat "$E2E_OUT")" "$a1"
check_exit "unlocking the altered file is exit 6" 6 "$EHR" --wallet dev sign x
grep_err "  saying it was altered" "the wallet file .*dev.json was altered"
grep_err "  and that the passphrase is right" "the passphrase is right"
check_exit "  so is deriving from it (6)" 6 "$EHR" --wallet dev address --path "m/44'/60'/0'/0/0"
check_exit "a wrong passphrase on the altered file is still exit 3" 3 "$EHR" --wallet dev \
	--passphrase-file "$T/wrongpw" sign x
grep_err "  saying wrong passphrase" "wrong passphrase"
cmp -s "$W/dev.json" "$T/dev.swapped"; check_eq "  the altered file is left as it was" $? 0
cp "$T/dev.before" "$W/dev.json"
check_exit "the file as ehr wrote it unlocks" 0 "$EHR" --wallet dev address --path "m/44'/60'/0'/0/0"
check_eq "  to the real account 0" "$(cat "$E2E_OUT")" "$a0"

# a wallet written before the key check (passphrase "fuzz"): read as before,
# upgraded by its next passwd
cp "$E2E_ROOT/tests/e2e/wallet-before-key-check.json" "$W/old.json"
chmod 600 "$W/old.json"
printf 'fuzz\n' > "$T/oldpw"
check_eq "the old file has no key check" "$(grep -c '"check":' "$W/old.json")" 0
check_exit "an old file unlocks with its passphrase" 0 "$EHR" --wallet old --passphrase-file "$T/oldpw" \
	address --path "m/44'/60'/0'/0/0"
old0=$(cat "$E2E_OUT")
check_eq "  to the address its header lists" "$("$EHR" --wallet old address)" "$old0"
check_exit "an old file with a wrong passphrase is exit 3" 3 "$EHR" --wallet old sign x
cp "$W/old.json" "$T/old.before"
swap_addresses "$W/old.json"
check_exit "an old file altered is exit 3 too: it has no key check to tell" 3 "$EHR" --wallet old \
	--passphrase-file "$T/oldpw" sign x
cp "$T/old.before" "$W/old.json"
printf 'an old wallet upgraded in place\n' > "$T/oldpw2"
check_exit "passwd rewrites an old file" 0 "$EHR" --wallet old --passphrase-file "$T/oldpw" passwd \
	--new-passphrase-file "$T/oldpw2"
check_eq "  with a key check" "$(grep -c '"check":' "$W/old.json")" 1
swap_addresses "$W/old.json"
check_exit "  so an alteration is exit 6 from then on" 6 "$EHR" --wallet old --passphrase-file "$T/oldpw2" sign x
"$EHR" wallets remove old --yes -q 2> /dev/null || rm -f "$W/old.json"

echo "abandon abandon abandn abandon abandon abandon abandon abandon abandon abandon abandon about" > "$T/bad1"
check_exit "unknown mnemonic word is exit 2" 2 "$EHR" --wallet bad restore --mnemonic-file "$T/bad1"
grep_err "the word is named" "abandn"
echo "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon" > "$T/bad2"
check_exit "bad mnemonic checksum is exit 2" 2 "$EHR" --wallet bad restore --mnemonic-file "$T/bad2"
grep_err "says checksum" "checksum"
check_eq "no wallet written for bad words" "$(test -e "$W/bad.json" || echo none)" none

cp "$W/default.json" "$T/default.before"
check_exit "init over an existing wallet is refused" 2 "$EHR" init --kdf interactive --mnemonic-out "$T/m-new"
grep_err "says to use --force" "force"
cmp -s "$W/default.json" "$T/default.before"; check_eq "existing wallet unchanged" $? 0
check_eq "and no mnemonic file left" "$(test -e "$T/m-new" || echo none)" none
check_exit "restore over an existing wallet is refused" 2 "$EHR" --wallet dev restore --mnemonic-file "$T/cm"
cmp -s "$W/dev.json" "$T/dev.before"; check_eq "dev wallet unchanged" $? 0

check_exit "no terminal and no passphrase source is exit 3" 3 \
	env -u EHR_PASSPHRASE_FILE setsid "$EHR" --wallet dev sign x < /dev/null
grep_err "says how to give one" "passphrase-file"
check_exit "init without a terminal and no --mnemonic-out refuses" 2 "$EHR" --wallet nt init
grep_err "points to --mnemonic-out" "mnemonic-out"
check_exit "a wrong EIP-55 checksum is refused (2)" 2 "$EHR" verify \
	--address 0xf39fd6e51aad88F6F4ce6aB8827279cffFb92266 --signature "$sig" "hello world"
grep_err "says checksum" "checksum"
check_exit "unknown option is exit 2" 2 "$EHR" accounts --frobnicate
grep_err "names the option" "frobnicate"
check_exit "near-miss option gets a suggestion" 2 "$EHR" init --mnemonic-ot x
grep_err "did you mean" "did you mean '--mnemonic-out'"
check_exit "missing option value is exit 2" 2 "$EHR" restore --mnemonic-file
grep_err "says what is missing" "needs a value"
check_exit "unknown command is exit 2" 2 "$EHR" inti
grep_err "suggests the command" "did you mean 'init'"
check_exit "no such wallet is exit 3" 3 "$EHR" --wallet nosuch accounts
grep_err "names the wallet" "nosuch"
check_exit "bad wallet name is exit 2" 2 "$EHR" --wallet ../evil accounts

## ehr alone: what to do first, then next, then the usual usage
FRESH="env -u EHR_RPC_URL -u ETH_RPC_URL -u EHR_WALLET EHR_HOME=$T/fresh"
mkdir -m 700 "$T/fresh"
check_exit "ehr alone on a fresh machine (2)" 2 $FRESH "$EHR"
grep_err "says to init" "there is no wallet 'default' yet"
grep_err "or restore" "ehr restore    a wallet from the words you already have"
check_exit "ehr alone with another wallet name (2)" 2 $FRESH "$EHR" --wallet clinic
grep_err "with that name" "ehr --wallet clinic init"
check_eq "it wrote nothing" "$(ls -A "$T/fresh")" ""
$FRESH "$EHR" init --kdf interactive --mnemonic-out "$T/fresh-m" -q
check_exit "ehr alone with a wallet but no network (2)" 2 $FRESH "$EHR"
grep_err "says network add comes next" "ehr network add NAME --rpc URL"
grep_err "says who gives the URL" "clinic or network operator"
check_exit "with --rpc it is the usual usage (2)" 2 $FRESH "$EHR" --rpc http://127.0.0.1:1
grep_err "the usage line" "^usage: ehr"
$FRESH "$EHR" network add here --rpc http://127.0.0.1:1 --chain-id 31337 2> /dev/null
check_exit "with a network it is the usual usage (2)" 2 $FRESH "$EHR"
grep_err "the usage line" "^usage: ehr \[global options\] COMMAND"

## init on a terminal: the words shown, then three of them asked for
TTY="python3 $E2E_ROOT/tests/e2e/init-tty.py"
check_exit "init on a terminal, the words typed back" 0 $FRESH $TTY right "$T/q1-words" \
	"$EHR" --wallet q1 init --kdf interactive
grep_out "the words were shown" " 24\. [a-z]"
check_eq "three were asked for" "$(grep -c "^word #[0-9]*: " "$E2E_OUT")" 3
grep_out "and the next steps" "ehr network add NAME --rpc URL"
$FRESH "$EHR" --wallet q1r restore --kdf interactive --mnemonic-file "$T/q1-words" -q
check_eq "the words shown are the wallet's" "$($FRESH "$EHR" --wallet q1r address)" "$($FRESH "$EHR" --wallet q1 address)"
check_exit "one wrong answer, then right" 0 $FRESH $TTY once "$T/q2-words" "$EHR" --wallet q2 init --kdf interactive
grep_out "says it was wrong" "That is not word #[0-9]*; try again (2 more tries)"
check_eq "q2 written" "$(test -f "$T/fresh/wallets/q2.json" && echo yes)" yes
check_exit "three wrong answers abort (1)" 1 $FRESH $TTY wrong "$T/q3-words" "$EHR" --wallet q3 init --kdf interactive
grep_out "says nothing was written" "was not confirmed: no wallet written"
check_eq "no q3 wallet" "$(test -e "$T/fresh/wallets/q3.json" || echo none)" none
cp "$T/fresh/wallets/q1.json" "$T/q1.before"
check_exit "a wrong check leaves a --force'd wallet alone (1)" 1 $FRESH $TTY wrong "$T/q1b-words" \
	"$EHR" --wallet q1 init --kdf interactive --force
cmp -s "$T/fresh/wallets/q1.json" "$T/q1.before"; check_eq "q1 unchanged" $? 0
check_exit "--yes on a terminal skips the check" 0 $FRESH $TTY none "$T/q4-words" \
	"$EHR" --wallet q4 init --kdf interactive --yes
grep -q "word #" "$E2E_OUT" && fail "asked for words with --yes" || ok "no words asked for with --yes"
check_eq "the words still shown" "$(wc -w < "$T/q4-words")" 24
check_exit "--mnemonic-out on a terminal skips it too" 0 $FRESH $TTY none "$T/q5-words" \
	"$EHR" --wallet q5 init --kdf interactive --mnemonic-out "$T/q5-m"
grep -q "word #" "$E2E_OUT" && fail "asked for words with --mnemonic-out" || ok "no words asked for with --mnemonic-out"
check_exit "without a terminal: no check, the next steps on stderr" 0 $FRESH "$EHR" --wallet q6 init \
	--kdf interactive --mnemonic-out "$T/q6-m"
grep_err "next steps" "ehr register --name"
check_exit "-q leaves them out" 0 $FRESH "$EHR" --wallet q7 init --kdf interactive --mnemonic-out "$T/q7-m" -q
check_eq "nothing on stderr with -q" "$(cat "$E2E_ERR")" ""

## weak passphrases: refused, exit 2, nothing written
printf 'a\n' > "$T/weak1"
printf 'password1234\n' > "$T/weak2"
ls "$W" > "$T/wallets.before"
check_exit "init refuses a one-letter passphrase (2)" 2 "$EHR" --wallet weak \
	--passphrase-file "$T/weak1" init --kdf interactive --mnemonic-out "$T/m-weak"
grep_err "says it is too short" "too short: 1 characters, at least 12"
grep_err "says what would do" "would do"
check_eq "no wallet for a weak passphrase" "$(test -e "$W/weak.json" || echo none)" none
check_eq "and no mnemonic file" "$(test -e "$T/m-weak" || echo none)" none
check_exit "init refuses 'password1234' (2)" 2 "$EHR" --wallet weak \
	--passphrase-file "$T/weak2" init --kdf interactive --mnemonic-out "$T/m-weak"
grep_err "says it is easy to guess" "too easy to guess"
grep_err "names the bits needed" "at least 50 are needed"
grep -q password1234 "$E2E_ERR" && fail "the message repeats the passphrase" || ok "the passphrase is not echoed"
check_exit "restore refuses a weak passphrase (2)" 2 "$EHR" --wallet weak \
	--passphrase-file "$T/weak2" restore --mnemonic-file "$T/cm" --kdf interactive
grep_err "restore says why" "too easy to guess"
check_exit "import refuses a weak passphrase (2)" 2 "$EHR" --wallet weak \
	--passphrase-file "$T/weak1" import --kdf interactive --private-key-file "$T/rawkey"
grep_err "import says why" "too short"
check_eq "none of them wrote a wallet" "$(ls "$W")" "$(cat "$T/wallets.before")"
check_exit "passwd refuses a weak new passphrase (2)" 2 "$EHR" --wallet dev passwd \
	--new-passphrase-file "$T/weak2" --kdf interactive
grep_err "passwd says why" "too easy to guess"
cmp -s "$W/dev.json" "$T/dev.before"; check_eq "dev wallet unchanged by the refused passwd" $? 0
check_exit "and the old passphrase still unlocks it" 0 "$EHR" --wallet dev sign x

## every command has -h, a man page and completes (the completion files
## ask `ehr __complete`: tests/e2e/complete.sh)
for c in $("$EHR" help --commands); do
	check_exit "ehr $c -h" 0 "$EHR" "$c" -h
	grep_out "$c -h shows usage" "usage: ehr $c"
	check_eq "man page for $c" "$(test -s "$E2E_ROOT/man/ehr-$c.1" && echo yes)" yes
	check_eq "$c completes" "$("$EHR" __complete "$c" | grep -cx -- "$c")" 1
done
check_exit "global options go after the command too" 0 "$EHR" accounts --json --wallet dev
check_exit "--version" 0 "$EHR" --version

## no secret in argv or the environment while unlocking
mkfifo "$T/fifo"
"$EHR" --wallet dev --passphrase-fd 3 sign "secret-free" 3< "$T/fifo" > /dev/null &
pid=$!
exec 4> "$T/fifo"
leak=no
for i in 1 2 3 4 5 6 7 8 9 10; do
	args=$(ps -o args= -p $pid 2> /dev/null) || break
	env_=$( { tr "\0" "\n" < /proc/$pid/environ; } 2> /dev/null)
	case "$args$env_" in *horse*|*abandon*|*junk*) leak=yes ;; esac
	[ $i = 3 ] && { cat "$T/pw" >&4; exec 4>&-; }
	sleep 0.02
done
exec 4>&- 2> /dev/null
wait $pid
check_eq "ps shows no passphrase or words during an unlock" "$leak" no

## no core file and no peeking by the same user while secrets are in memory:
## a command that may unlock is not dumpable from its start (issue 14)
# Root may read any process, so as root both sides run as nobody (setpriv);
# as any other user they run as that user.
as_user=
if [ "$(id -u)" = 0 ]; then
	command -v setpriv > /dev/null 2>&1 && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups --"
fi
if [ "$(id -u)" = 0 ] && [ -z "$as_user" ]; then
	echo "skip - running as root without setpriv: the same-user checks need another user"
else
	P=$(mktemp -d /tmp/ehr-peek.XXXXXX)
	[ -n "$as_user" ] && chown 65534:65534 "$P"
	$as_user sh -c 'umask 077; mkdir "$1/home"; cat > "$1/pw"; mkfifo "$1/fifo"' sh "$P" < "$T/pw"
	$as_user env EHR_HOME="$P/home" "$EHR" init --kdf interactive --mnemonic-out "$P/m" \
		--passphrase-file "$P/pw" -q
	# stat_of PID: "COMMAND STATE" from /proc/PID/stat, readable by anyone
	stat_of() { sed -n 's/^[0-9]* (\(.*\)) \([A-Z]\).*/\1 \2/p' "/proc/$1/stat" 2> /dev/null; }
	$as_user sleep 60 & peer=$!
	$as_user env EHR_HOME="$P/home" "$EHR" --passphrase-fd 3 sign "peek" 3< "$P/fifo" > "$P/sig" 2>&1 &
	pid=$!
	exec 4> "$P/fifo"
	# until ehr sleeps in its read of the (empty) passphrase pipe
	i=0
	while [ "$(stat_of $pid)" != "ehr S" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	check_eq "ehr waits for its passphrase" "$(stat_of $pid)" "ehr S"
	check_eq "the same user reads a dumpable process's environment (the check works)" \
		"$($as_user cat "/proc/$peer/environ" > /dev/null 2>&1 && echo read)" read
	check_eq "but not ehr's" "$($as_user cat "/proc/$pid/environ" > /dev/null 2>&1 && echo read || echo refused)" refused
	check_eq "nor its memory map (the peer's: $($as_user cat "/proc/$peer/maps" 2> /dev/null | wc -l) lines)" \
		"$($as_user cat "/proc/$pid/maps" 2> /dev/null | wc -l)" 0
	# try_attach PID: PTRACE_SEIZE as the user (it does not stop the
	# process; the tracer's exit detaches it): attached or refused
	try_attach() {
		$as_user "$py" -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
print("attached" if libc.ptrace(0x4206, int(sys.argv[1]), None, None) == 0 else "refused")' "$1" 2> /dev/null
	}
	py=/usr/bin/python3
	[ -x "$py" ] || py=$(command -v python3)
	if [ "$(try_attach $peer)" = attached ]; then
		check_eq "and cannot attach to it with ptrace, as it can to the dumpable one" "$(try_attach $pid)" refused
	else
		echo "skip - the user cannot attach to its own dumpable process either (Yama, or no python3)"
	fi
	check_eq "its core file limit is 0, soft and hard" \
		"$(sed -n 's/^Max core file size *\([0-9a-z]*\) *\([0-9a-z]*\).*/\1 \2/p' /proc/$pid/limits)" "0 0"
	cat "$P/pw" >&4
	exec 4>&-
	wait $pid
	check_eq "then it signs as usual" "$?" 0
	kill $peer 2> /dev/null; wait $peer 2> /dev/null
	rm -rf "$P"
fi

## opening a wallet removes the copies a killed writer left of it, no other
sh -c 'exit 0' & dead=$!; wait $dead
sleep 60 & live=$!
cp "$W/dev.json" "$W/dev.json.tmp-$dead-0badc0de"
cp "$W/dev.json" "$W/dev.json.tmp-$live-0badc0de"
cp "$W/dev.json" "$W/w3.json.tmp-$dead-0badc0de"
chmod 600 "$W"/*.tmp-*
check_exit "a wallet with a dead writer's temporary opens" 0 "$EHR" --wallet dev address
check_eq "the dead writer's copy is gone" "$(test -e "$W/dev.json.tmp-$dead-0badc0de" || echo gone)" gone
check_eq "a live writer's copy stays" "$(test -e "$W/dev.json.tmp-$live-0badc0de" && echo kept)" kept
check_eq "another wallet's temporary stays" "$(test -e "$W/w3.json.tmp-$dead-0badc0de" && echo kept)" kept
kill $live; wait $live 2> /dev/null
rm -f "$W"/*.tmp-*

finish
