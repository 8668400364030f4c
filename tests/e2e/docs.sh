#!/bin/sh
# The man pages and shell completions against the binary they describe:
# for every command `ehr help --commands` prints, its page exists, renders
# without warnings and names each option `ehr CMD -h` prints; the bash (and,
# where installed, fish) completion, a shim asking `ehr __complete`, really
# offers them, and wallet names from the right directory. ehr-formats(5) is
# checked against a real wallet.
# Word lists ($opts, $globals) are split on purpose; the single-quoted
# scripts are for other shells.
# shellcheck disable=SC2086,SC2046,SC2016
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

MAN=$E2E_ROOT/man
COMP=$E2E_ROOT/completions
T=$E2E_TMP
# the completion shims ask the ehr they complete: this one
mkdir "$T/bin" && ln -s "$EHR" "$T/bin/ehr" && PATH=$T/bin:$PATH

# opts_of HELP_TEXT: the long option names in a usage text, one a line.
opts_of() {
	printf '%s\n' "$1" | sed -n 's/^ *\(-[A-Za-z], \)\{0,1\}--\([a-z0-9][a-z0-9-]*\).*/\2/p'
}

# roff_text FILE: the page source with \- as - and font escapes removed.
roff_text() {
	sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\(aq/'"'"'/g' "$1"
}

# missing_opts TEXT OPTS: the options (one a line in OPTS) that TEXT does
# not name as --opt, space-separated.
missing_opts() {
	_miss=
	for _o in $2; do
		printf '%s\n' "$1" | grep -Eq -- "--$_o([^a-z0-9-]|\$)" || _miss="$_miss --$_o"
	done
	printf '%s' "${_miss# }"
}

# check_grep WHAT TEXT PATTERN: a line of TEXT matches the basic regular
# expression PATTERN.
check_grep() {
	if printf '%s\n' "$2" | grep -q -- "$3"; then
		ok "$1"
	else
		fail "$1: no line matches '$3'"
	fi
}

# man_warnings FILE: what man says on stderr when rendering FILE.
man_warnings() {
	# shellcheck disable=SC2069 # stderr is the result, stdout goes
	MANWIDTH=80 man --warnings -l "$1" 2>&1 > /dev/null
}

# bash_complete WORD...: what the bash completion offers for the command
# line WORD... (the last word is the one being completed), one a line.
bash_complete() {
	bash -c '. "$0" && COMP_WORDS=("$@") && COMP_CWORD=$(($# - 1)) && _ehr &&
		printf "%s\n" "${COMPREPLY[@]}"' "$COMP/ehr.bash" "$@"
}

# synopsis_opts CMD TEXT: the options of CMD that TEXT (a synopsis) names,
# long ones as they are and short ones by their long names, the global
# options left out; sorted, one a line.
synopsis_opts() {
	_shorts=$("$EHR" "$1" -h | sed -n 's/^ *-\([A-Za-z]\), --\([a-z0-9-]*\).*/s\/^-\1$\/--\2\//p')
	printf '%s\n' "$2" | grep -oE -- '(^|[^-A-Za-z0-9])--?[A-Za-z][a-z0-9-]*' |
		sed 's/^[^-]*//' | sed "${_shorts:-p;d}" | grep -- '^--' | sed 's/^--//' |
		grep -vxF "$(printf '%s\n' $globals)" | sort -u
}

# same_set WHAT GOT WANT: the two newline-separated lists hold the same words.
same_set() {
	_g=$(printf '%s\n' "$2" | sed '/^$/d' | sort -u | tr '\n' ' ')
	_w=$(printf '%s\n' "$3" | sed '/^$/d' | sort -u | tr '\n' ' ')
	check_eq "$1" "$_g" "$_w"
}

cmds=$("$EHR" help --commands)
check_eq "ehr help --commands lists commands" "$(printf '%s\n' "$cmds" | grep -c .)" \
	"$(printf '%s\n' "$cmds" | grep -c '^[a-z][a-z-]*$')"
globals=$(opts_of "$("$EHR" help | sed -n '/^global options/,/^$/p')")
check_eq "ehr help lists the global options" "$(printf '%s\n' $globals | grep -cx 'wallet\|json\|passphrase-fd')" 3

## ehr(1) and ehr-formats(5)
for page in "$MAN/ehr.1" "$MAN/ehr-formats.5"; do
	if [ -f "$page" ]; then ok "${page##*/} exists"; else fail "${page##*/} is missing"; fi
	check_eq "${page##*/} renders without warnings" "$(man_warnings "$page")" ""
done
top=$(roff_text "$MAN/ehr.1")
for s in NAME SYNOPSIS DESCRIPTION COMMANDS "GLOBAL OPTIONS" ENVIRONMENT FILES "EXIT STATUS" \
	SECURITY "SEE ALSO"; do
	printf '%s\n' "$top" | grep -qx ".SH $s" || fail "ehr.1 has no $s section"
done
ok "ehr.1 has its sections"
check_eq "ehr.1 describes every global option" "$(missing_opts "$top" "$globals")" ""
miss=
for v in EHR_HOME EHR_WALLET EHR_RPC_URL ETH_RPC_URL EHR_REGISTRY EHR_PASSPHRASE_FILE NO_COLOR EHR_STORE_DIR \
	XDG_DATA_HOME XDG_CONFIG_HOME XDG_STATE_HOME; do
	printf '%s\n' "$top" | grep -q "$v" || miss="$miss $v"
done
check_eq "ehr.1 describes the environment" "${miss# }" ""
miss=
for n in 0 1 2 3 4 5 6; do
	printf '%s\n' "$top" | sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' | grep -qx ".B $n" || miss="$miss $n"
done
check_eq "ehr.1 explains exit statuses 0 to 6" "${miss# }" ""
formats=$(roff_text "$MAN/ehr-formats.5")
miss=
for s in "WALLET FILE" "SEALED SECRET" "ENCRYPTION KEY" "GRANT URI" "RECORD ENVELOPE" "RECORD ANCHOR" \
	"CHAIN STORAGE"; do
	printf '%s\n' "$formats" | grep -qx ".SH $s" || miss="$miss '$s'"
done
check_eq "ehr-formats.5 has its sections" "${miss# }" ""
# the envelope is specified byte by byte: its magic and the size formula
check_grep "ehr-formats.5 gives the envelope's magic" "$formats" '45 48 52 2d 45 4e 56 00'
check_grep "ehr-formats.5 gives the envelope's size" "$formats" \
	'^44 + P + 17 + T + 17 \* ceil(T / 65536)$'
check_grep "ehr-formats.5 gives the data's bucket" "$formats" 'bucket(S + 1, 1024)'
check_grep "ehr-formats.5 gives the metadata's bucket" "$formats" 'bucket(J + 1, 512)'
check_grep "ehr-formats.5 gives a version 1 envelope's size" "$formats" \
	'^44 + M + 17 + S + 17 \* max(1, ceil(S / 65536))$'

## every command: its page, its place in ehr(1), and its completion
for c in $cmds; do
	page=$MAN/ehr-$c.1
	opts=$(opts_of "$("$EHR" "$c" -h)")
	if [ -f "$page" ]; then
		ok "man page of $c exists"
		check_eq "ehr-$c.1 renders without warnings" "$(man_warnings "$page")" ""
		src=$(roff_text "$page")
		miss=
		for s in NAME SYNOPSIS DESCRIPTION OPTIONS EXAMPLES "EXIT STATUS" "SEE ALSO"; do
			printf '%s\n' "$src" | grep -qx ".SH $s" || miss="$miss $s"
		done
		check_eq "ehr-$c.1 has its sections" "${miss# }" ""
		check_grep "ehr-$c.1 is named ehr-$c" "$src" "^ehr-$c - "
		check_eq "ehr-$c.1 names every option of $c" "$(missing_opts "$src" "$opts")" ""
		# the page's SYNOPSIS names the options that of `ehr help
		# --synopsis` does, which names each option of the table
		syn=$(synopsis_opts "$c" "$("$EHR" help --synopsis "$c")")
		same_set "the synopsis of $c names each of its options" "$syn" \
			"$(printf '%s\n' $opts | grep -vxF "$(printf '%s\n' $globals)")"
		same_set "ehr-$c.1's SYNOPSIS names the options of 'ehr help --synopsis $c'" \
			"$(synopsis_opts "$c" "$(printf '%s\n' "$src" | sed -n '/^\.SH SYNOPSIS/,/^\.SH /p')")" "$syn"
		# a command that sends a transaction: its page says how it is
		# confirmed and every way it can fail
		if printf '%s\n' "$opts" | grep -qx confirmations; then
			miss=
			for n in 1 2 3 4 5; do
				printf '%s\n' "$src" | sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' |
					grep -qx ".B $n" || miss="$miss $n"
			done
			check_eq "ehr-$c.1 explains exit statuses 1 to 5 of a send" "${miss# }" ""
			check_grep "ehr-$c.1 says --yes answers the confirmation" "$src" '--yes'
		fi
	else
		fail "man page of $c is missing ($page)"
	fi
	check_grep "ehr.1 lists $c" "$top" "^\.BR ehr-$c (1)"

	# bash: offers exactly the command's options and the global ones
	same_set "bash completes the options of $c" "$(bash_complete ehr "$c" --)" \
		"$(printf -- '--%s\n' $opts $globals)"
done

## the global options and command names in the completion
same_set "bash completes the command names" "$(bash_complete ehr '')" "$cmds"
for c in $cmds; do
	pre=$(printf '%s' "$c" | cut -c1-3)
	bash_complete ehr "$pre" | grep -qx "$c" || fail "bash does not complete '$pre' to $c"
done
ok "bash completes command prefixes"
same_set "bash completes the global options" "$(bash_complete ehr --)" "$(printf -- '--%s\n' $globals)"

## values: kdf levels, files, subcommands, wallet names from the right place
same_set "bash completes --kdf levels" "$(bash_complete ehr init --kdf '')" \
	"$(printf '%s\n' interactive moderate sensitive)"
same_set "bash completes --kdf=LEVEL in one word" "$(bash_complete ehr passwd --kdf=s)" \
	--kdf=sensitive
same_set "bash completes --token default" "$(bash_complete ehr send --token '')" default
same_set "bash completes --role values" "$(bash_complete ehr register --role '')" \
	"$(printf 'patient\nprovider\n')"
mkdir "$T/files" && : > "$T/files/words.txt"
same_set "bash completes files for FILE options" \
	"$(bash_complete ehr init --mnemonic-out "$T/files/wo")" "$T/files/words.txt"
same_set "bash completes the wallets subcommands" "$(bash_complete ehr wallets '')" "$(printf 'list\nremove\n')"
mkdir -p "$EHR_HOME/wallets" "$T/xdg/ehr/wallets" "$T/home/.local/share/ehr/wallets"
: > "$EHR_HOME/wallets/alice.json"
: > "$EHR_HOME/wallets/bob.json"
: > "$EHR_HOME/wallets/notes.txt"
: > "$T/xdg/ehr/wallets/carol.json"
: > "$T/home/.local/share/ehr/wallets/dave.json"
same_set "bash completes wallet names from \$EHR_HOME/wallets" "$(bash_complete ehr --wallet '')" \
	"$(printf 'alice\nbob\n')"
same_set "bash completes wallet names for wallets remove" \
	"$(bash_complete ehr -q wallets remove '')" "$(printf 'alice\nbob\n')"
same_set "bash completes wallet names from \$XDG_DATA_HOME/ehr/wallets" \
	"$(env -u EHR_HOME XDG_DATA_HOME="$T/xdg" bash -c '. "$0"; COMP_WORDS=(ehr --wallet ""); COMP_CWORD=2; _ehr; printf "%s\n" "${COMPREPLY[@]}"' "$COMP/ehr.bash")" \
	carol
same_set "bash completes wallet names from ~/.local/share/ehr/wallets" \
	"$(env -u EHR_HOME -u XDG_DATA_HOME HOME="$T/home" bash -c '. "$0"; COMP_WORDS=(ehr --wallet=d); COMP_CWORD=1; _ehr; printf "%s\n" "${COMPREPLY[@]}"' "$COMP/ehr.bash")" \
	--wallet=dave
same_set "bash completes command names after help" "$(bash_complete ehr help '')" "$cmds"
"$EHR" -q --rpc http://127.0.0.1:9 network add alpha --chain-id 7
"$EHR" -q --rpc http://127.0.0.1:9 network add beta --chain-id 8
same_set "bash completes network names (from the ehr completed)" \
	"$(bash_complete "$EHR" --network '')" "$(printf 'alpha\nbeta\n')"
same_set "bash completes network names for network use" \
	"$(bash_complete "$EHR" network use '')" "$(printf 'alpha\nbeta\n')"

## the other shells, where installed (make deps does not install them)
if command -v zsh > /dev/null 2>&1; then
	zsh -n "$COMP/_ehr"
	check_eq "zsh parses _ehr" $? 0
else
	echo "skip - zsh is not installed"
fi
if command -v fish > /dev/null 2>&1; then
	fish -n "$COMP/ehr.fish"
	check_eq "fish parses ehr.fish" $? 0
	fish_complete() {
		fish -c 'source $argv[1]; complete -C $argv[2]' "$COMP/ehr.fish" "$1" | cut -f1
	}
	same_set "fish completes the command names" "$(fish_complete 'ehr ')" "$cmds"
	for c in $cmds; do
		same_set "fish completes the options of $c" "$(fish_complete "ehr $c --")" \
			"$(printf -- '--%s\n' $("$EHR" "$c" -h | sed -n 's/^ *\(-[A-Za-z], \)\{0,1\}--\([a-z0-9][a-z0-9-]*\).*/\2/p') $globals)"
	done
	same_set "fish completes wallet names" "$(fish_complete 'ehr wallets remove ')" "$(printf 'alice\nbob\n')"
	same_set "fish completes network names" "$(fish_complete "$EHR network remove ")" "$(printf 'alpha\nbeta\n')"
else
	echo "skip - fish is not installed"
fi
rm -f "$EHR_HOME/wallets/"*

## ehr-formats(5): a real wallet file against the page
if command -v python3 > /dev/null 2>&1; then
	printf 'a docs test passphrase\n' > "$T/pw"
	"$EHR" init -q --kdf interactive --words 12 --mnemonic-out "$T/m" --passphrase-file "$T/pw"
	"$EHR" --wallet imp import -q --kdf interactive --private-key-file /dev/stdin \
		--passphrase-file "$T/pw" <<-EOF
	ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
	EOF
	check_exit "the wallet file matches ehr-formats(5)" 0 python3 - \
		"$EHR_HOME/wallets/default.json" "$EHR_HOME/wallets/imp.json" <<-'EOF'
	import hashlib, json, sys

	def x25519_base(k):
	    # RFC 7748 section 5, the Montgomery ladder on u = 9
	    p = 2**255 - 19
	    k = bytearray(k); k[0] &= 248; k[31] &= 127; k[31] |= 64
	    k = int.from_bytes(k, "little")
	    x1, x2, z2, x3, z3, swap = 9, 1, 0, 9, 1, 0
	    for t in reversed(range(255)):
	        kt = (k >> t) & 1
	        swap ^= kt
	        if swap: x2, x3, z2, z3 = x3, x2, z3, z2
	        swap = kt
	        a, b = (x2 + z2) % p, (x2 - z2) % p
	        aa, bb = a * a % p, b * b % p
	        e = (aa - bb) % p
	        c, d = (x3 + z3) % p, (x3 - z3) % p
	        da, cb = d * a % p, c * b % p
	        x3, z3 = (da + cb) ** 2 % p, x1 * (da - cb) ** 2 % p
	        x2, z2 = aa * bb % p, e * (aa + 121665 * e) % p
	    if swap: x2, z2 = x3, z3
	    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")

	def check(path, kind, plain_len):
	    text = open(path).read()
	    w = json.loads(text)
	    assert list(w) == ["ehr_wallet", "header", "ciphertext", "checksum"], list(w)
	    h = w["header"]
	    assert list(h) == ["version", "kind", "created", "kdf", "cipher", "accounts"], list(h)
	    assert list(h["kdf"]) == ["name", "opslimit", "memlimit", "salt", "check"]
	    assert len(bytes.fromhex(h["kdf"]["check"])) == 16
	    assert list(h["cipher"]) == ["name", "nonce"]
	    assert h["kind"] == kind and h["kdf"]["name"] == "argon2id13"
	    assert (h["kdf"]["opslimit"], h["kdf"]["memlimit"]) == (2, 67108864)
	    assert h["cipher"]["name"] == "xchacha20poly1305-ietf"
	    assert len(bytes.fromhex(h["kdf"]["salt"])) == 16
	    assert len(bytes.fromhex(h["cipher"]["nonce"])) == 24
	    ad = json.dumps(h, separators=(",", ":"), ensure_ascii=False).encode()
	    assert ad.decode() == "".join(text.split("\"header\":")[1].split("\"ciphertext\"")[0].split()).rstrip(",")
	    want = hashlib.blake2b(ad + b"\0" + w["ciphertext"].encode(), digest_size=32).hexdigest()
	    assert w["checksum"] == want, "checksum"
	    assert len(w["ciphertext"]) == 2 * (plain_len + 16), len(w["ciphertext"])
	    assert text.endswith("}\n") and "\t" in text
	    return h

	check(sys.argv[1], "mnemonic", 1 + 1 + 16 + 2)
	h = check(sys.argv[2], "private-key", 1 + 32)
	priv = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
	sk = hashlib.blake2b(b"ehr/v1/x25519-encryption-key", digest_size=32, key=priv,
	                     salt=bytes(16), person=b"ehr-enckey-v1" + bytes(3)).digest()
	assert h["accounts"][0]["encryption_key"] == x25519_base(sk).hex(), "encryption key"
	assert h["accounts"][0]["path"] == ""
	EOF
	# a header changed by one byte, with its checksum made to match again,
	# opens (the header is readable) but no longer unlocks: it is the AEAD's
	# associated data; the key check tells it from a wrong passphrase
	python3 - "$EHR_HOME/wallets/imp.json" <<-'EOF'
	import hashlib, json, sys
	path = sys.argv[1]
	text = open(path).read()
	w = json.loads(text)
	old = w["header"]["created"]
	new = old[:-2] + ("1" if old[-2] != "1" else "2") + "Z"
	w["header"]["created"] = new
	ad = json.dumps(w["header"], separators=(",", ":")).encode()
	want = hashlib.blake2b(ad + b"\0" + w["ciphertext"].encode(), digest_size=32).hexdigest()
	text = text.replace(old, new).replace(json.loads(text)["checksum"], want)
	open(path, "w").write(text)
	EOF
	check_exit "a header edited with a matching checksum still lists" 0 "$EHR" --wallet imp accounts
	check_exit "but does not unlock (the header is associated data): altered (6)" 6 \
		"$EHR" --wallet imp sign --passphrase-file "$T/pw" hello
	if grep -q "the wallet file .* was altered" "$E2E_ERR"; then ok "  saying so"; else
		fail "  saying so: $(cat "$E2E_ERR")"; fi
else
	echo "skip - python3 is not installed: ehr-formats(5) not checked against a wallet"
fi

finish
