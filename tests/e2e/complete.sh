#!/bin/sh
# `ehr __complete WORD...` (the hidden command the completion shims ask):
# commands, subcommands, options, option values (files, directories, kdf
# levels, stores, wallet and network names from this EHR_HOME) and
# operands, all from the command and option tables; then the three shims
# in completions/ answer the same (zsh and fish where installed).
# shellcheck disable=SC2016 # the single-quoted scripts are for other shells
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

COMP=$E2E_ROOT/completions
T=$E2E_TMP
mkdir "$T/bin" && ln -s "$EHR" "$T/bin/ehr" && PATH=$T/bin:$PATH

# comp WORD...: what ehr offers for WORD..., sorted, space-separated
comp() {
	"$EHR" __complete "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}

## commands and subcommands
check_eq "record a completes to add" "$(comp record a)" add
check_eq "grant --re offers --received, --records and the global --registry" "$(comp grant --re)" "--received --records --registry"
check_eq "commands by prefix" "$(comp re)" "record register relay request restore revoke"
check_eq "no hidden command among the commands" "$("$EHR" __complete '' | grep -c __)" 0
check_eq "every command is offered" "$("$EHR" __complete '' | sort | tr '\n' ' ')" \
	"$("$EHR" help --commands | sort | tr '\n' ' ')"
check_eq "subcommands of record" "$(comp record '')" "add erase export get list verify"
check_eq "subcommands of network" "$(comp network '')" "add list remove use"
check_eq "only the first operand is a subcommand" "$(comp invoice pay '')" ""
check_eq "global options before the command are skipped" "$(comp -q --wallet x audit v)" verify
check_eq "after -- no options" "$(comp record add -- --f)" ":file --f"

## options
check_eq "long options only after --" "$(comp export --)" \
	"--account --force --help --index --json --keystore --keystore-passphrase-file --mnemonic --mnemonic-out --network --passphrase-fd --passphrase-file --quiet --registry --rpc --version --wallet --yes"
check_eq "short options after a single -" \
	"$("$EHR" __complete access - | grep -- '^-[a-z]$' | sort | tr '\n' ' ')" "-f -h -o -q -y "
check_eq "a value that looks like an option" "$(comp access -o -f)" ":dir -f"
check_eq "descriptions with --describe" "$("$EHR" __complete --describe grant --reco)" \
	"$(printf -- '--records\tthe records to share, e.g. 3,7,12')"
check_eq "descriptions of commands" "$("$EHR" __complete --describe node)" \
	"$(printf 'node\tshow the node'"'"'s chain id, head block, client and the registry')"

## values
check_eq "a FILE value asks for files" "$(comp init --mnemonic-out /tmp/x)" ":file /tmp/x"
check_eq "a FILE value in one word" "$(comp init --mnemonic-out=/tmp/x)" ":file /tmp/x"
check_eq "a DIR value asks for directories" "$(comp access -o sub)" ":dir sub"
check_eq "kdf levels" "$(comp init --kdf '')" "interactive moderate sensitive"
check_eq "kdf level in one word" "$(comp passwd --kdf=s)" "--kdf=sensitive"
check_eq "mnemonic lengths" "$(comp init --words 1)" "12 15 18"
check_eq "stores" "$(comp record add --store '')" "chain dir:"
check_eq "a dir: store asks for directories" "$(comp upload --store dir:/v)" ":dir /v"
check_eq "roles" "$(comp register --role p)" "patient provider"
check_eq "token" "$(comp send --token '')" default
check_eq "a DURATION offers nothing" "$(comp grant --for '')" ""
check_eq "command names after help" "$(comp help no)" node
check_eq "files for record add" "$(comp record add a.json b)" ":file b"
check_eq "files for upload" "$(comp upload --patient 0xab x)" ":file x"
check_eq "files for relay" "$(comp relay x)" ":file x"
check_eq "relay has no --sign-only, grant has" "$(comp relay --sign; comp grant --sign)" "--sign-only"
check_eq "nothing for record get" "$(comp record get '')" ""

## wallet and network names, from this EHR_HOME
mkdir -p "$EHR_HOME/wallets"
: > "$EHR_HOME/wallets/alice.json"
: > "$EHR_HOME/wallets/bob.json"
: > "$EHR_HOME/wallets/.hidden.json"
: > "$EHR_HOME/wallets/notes.txt"
check_eq "wallet names" "$(comp --wallet '')" "alice bob"
check_eq "wallet names in one word" "$(comp --wallet=a)" "--wallet=alice"
check_eq "wallet names for wallets remove" "$(comp wallets remove '')" "alice bob"
check_eq "wallet names for wallets rm (its other name)" "$(comp wallets rm '')" "alice bob"
check_eq "the subcommands without the other name" "$(comp wallets r)" "remove"
check_eq "no networks yet" "$(comp --network '')" ""
"$EHR" -q --rpc http://127.0.0.1:9 network add alpha --chain-id 7
"$EHR" -q --rpc http://127.0.0.1:9 network add beta --chain-id 8
check_eq "network names" "$(comp --network '')" "alpha beta"
check_eq "network names for network use" "$(comp network use b)" beta
check_eq "deploy --save-as offers the networks" "$(comp deploy --save-as '')" "alpha beta"
check_eq "nothing for a new network's name" "$(comp network add '')" ""

## contact names, from this EHR_HOME's address book
check_eq "subcommands of contacts" "$(comp contacts '')" "add list pin rm"
check_eq "no contacts yet" "$(comp contacts rm '')" ""
printf '{"version":1,"contacts":[{"name":"Doc","address":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},{"name":"Lab","address":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"}]}\n' \
	> "$EHR_HOME/contacts.json"
check_eq "contact names for contacts rm" "$(comp contacts rm '')" "Doc Lab"
check_eq "contact names for contacts remove (its other name)" "$(comp contacts remove L)" "Lab"
check_eq "contact names for contacts pin" "$(comp contacts pin D)" "Doc"
check_eq "contacts add --pin and --fingerprint" "$(comp contacts add --pi)" "--pin"
printf 'damaged' > "$EHR_HOME/contacts.json"
check_eq "a damaged book offers nothing" "$(comp contacts rm '')" ""

## the shims: each under 80 lines, each answering through the binary
for f in ehr.bash _ehr ehr.fish; do
	n=$(wc -l < "$COMP/$f")
	if [ "$n" -lt 80 ]; then ok "$f has $n lines"; else fail "$f has $n lines (80 or more)"; fi
done
bash_complete() {
	bash -c '. "$0" && COMP_WORDS=("$@") && COMP_CWORD=$(($# - 1)) && _ehr &&
		printf "%s\n" "${COMPREPLY[@]}"' "$COMP/ehr.bash" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
check_eq "bash: record a" "$(bash_complete ehr record a)" add
check_eq "bash: --store = dir : PATH split at the breaks" \
	"$(mkdir "$T/vault" && bash_complete ehr record --store = dir : "$T/va")" "$T/vault"
check_eq "bash: --network=a in one word" "$(bash_complete "$EHR" --network=a)" --network=alpha
if command -v zsh > /dev/null 2>&1; then
	check_exit "zsh parses _ehr" 0 zsh -n "$COMP/_ehr"
fi
if command -v fish > /dev/null 2>&1; then
	fish_complete() {
		fish -c 'source $argv[1]; complete -C $argv[2]' "$COMP/ehr.fish" "$1" | cut -f1 |
			sort | tr '\n' ' ' | sed 's/ $//'
	}
	check_eq "fish: record a" "$(fish_complete 'ehr record a')" add
	check_eq "fish: wallet names" "$(fish_complete 'ehr wallets remove ')" "alice bob"
	: > "$T/vault/r.json"
	check_eq "fish: files" "$(fish_complete "ehr record add $T/vault/")" "$T/vault/r.json"
fi

finish
