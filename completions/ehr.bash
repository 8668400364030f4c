# bash completion for ehr(1)
#
# One table per command: _ehr_opts_<command> lists its long options as in
# its cmd_<command>_opts[] (commands/<command>.c), and _ehr_subs_<command>
# its subcommands, if any. Short options follow their long ones. An option that takes a value is written
# --name:KIND; KIND picks what completes its value:
#	FILE    file names
#	DIR     directory names
#	WALLET  the wallets in the wallet directory
#	NETWORK the configured networks (asks ehr itself)
#	LEVEL   argon2id cost levels
#	WORDS   mnemonic lengths
#	COMMAND command names
#	TOKEN   "default" (the network's token); any address can be typed
#	ROLE    register roles
#	STORE   record stores: chain, or dir: then a directory
#	anything else (N, HEX, URL, ...): nothing to offer
# Commands in a hyphenated form use '_' in the variable name.
#
# The tables are word lists, split on purpose; COMPREPLY=($(compgen ...)) is
# the usual idiom (completions hold no white space).
# shellcheck disable=SC2086,SC2046,SC2207

_ehr_commands="init restore import export accounts address passwd wallets sign verify config network
	node balance send deploy register record grant revoke access request emergency audit upload invoice help"

_ehr_opts_global="--wallet:WALLET --account:N --network:NETWORK --rpc:URL --registry:ADDR
	--passphrase-file:FILE --passphrase-fd:N --json --yes -y --quiet -q --help -h --version"

_ehr_opts_init="--words:WORDS --mnemonic-out:FILE --bip39-passphrase-file:FILE --kdf:LEVEL
	--accounts:N --force -f"
_ehr_opts_restore="--mnemonic-file:FILE --bip39-passphrase-file:FILE --kdf:LEVEL --accounts:N
	--force -f"
_ehr_opts_import="--private-key-file:FILE --keystore:FILE --keystore-passphrase-file:FILE
	--kdf:LEVEL --force -f"
_ehr_opts_export="--mnemonic --mnemonic-out:FILE --keystore:FILE
	--keystore-passphrase-file:FILE --index:N --force -f"
_ehr_opts_accounts="--add:N"
_ehr_opts_address="--index:N --path:PATH --bech32:PREFIX"
_ehr_opts_passwd="--new-passphrase-file:FILE --kdf:LEVEL"
_ehr_opts_wallets=""
_ehr_subs_wallets="list remove"
_ehr_opts_sign="--file:FILE --hex:HEX --index:N"
_ehr_opts_verify="--address:ADDR -a:ADDR --signature:SIG -s:SIG --file:FILE --hex:HEX"
_ehr_opts_config=""
_ehr_opts_network="--chain-id:N --token:ADDR --symbol:SYM --default --force -f"
_ehr_subs_network="list add use remove"
_ehr_opts_node=""
_ehr_opts_balance="--token:TOKEN"
_ehr_opts_send="--token:TOKEN --confirmations:N --async --timeout:SECONDS"
_ehr_opts_deploy="--test-token --save-as:NETWORK --confirmations:N --timeout:SECONDS"
_ehr_opts_register="--name:NAME --role:ROLE --show --confirmations:N --async --timeout:SECONDS"
_ehr_opts_record="--title:TITLE --type:TYPE --media-type:TYPE --store:STORE --split-bundle
	--output:FILE -o:FILE --force -f --all --fhir:FILE --confirmations:N --timeout:SECONDS"
_ehr_subs_record="add list get verify erase export"
_ehr_opts_grant="--records:IDS --all --type:TYPE --for:DURATION --until:TIME --write --bearer
	--passcode --passcode-file:FILE --qr --qr-png:FILE --qr-svg:FILE --purpose:PURPOSE --active
	--received --confirmations:N --timeout:SECONDS"
_ehr_subs_grant="list"
_ehr_opts_revoke="--confirmations:N --timeout:SECONDS --async"
_ehr_opts_access="--output:DIR -o:DIR --passcode-file:FILE --force -f --wait:DURATION
	--confirmations:N --timeout:SECONDS"
_ehr_opts_request="--patient:ADDR --records:IDS --all --for:DURATION --purpose:PURPOSE --write
	--note:TEXT --confirmations:N --timeout:SECONDS"
_ehr_subs_request="list approve deny"
_ehr_opts_emergency="--records:IDS --for:DURATION --qr --qr-png:FILE --qr-svg:FILE
	--confirmations:N --timeout:SECONDS"
_ehr_subs_emergency="set card show revoke"
_ehr_opts_audit="--record:ID --grant:ID --since:TIME --csv --fhir:FILE --force -f --no-titles"
_ehr_subs_audit="verify"
_ehr_opts_upload="--patient:ADDR --manifest:FILE --title:TITLE --type:TYPE --store:STORE
	--journal:FILE --window:N --confirmations:N --timeout:SECONDS"
_ehr_opts_invoice="--patient:ADDR --amount:AMOUNT --token:TOKEN --native --due:TIME --memo:TEXT
	--memo-file:FILE --open --confirmations:N --timeout:SECONDS --async"
_ehr_subs_invoice="issue list pay cancel"
_ehr_opts_help="--commands"

# The wallet directory as wallet/base/paths.c finds it: $EHR_HOME/wallets, else
# $XDG_DATA_HOME/ehr/wallets, else ~/.local/share/ehr/wallets.
_ehr_wallet_dir()
{
	if [[ -n ${EHR_HOME-} ]]; then
		printf '%s\n' "$EHR_HOME/wallets"
	else
		printf '%s\n' "${XDG_DATA_HOME:-$HOME/.local/share}/ehr/wallets"
	fi
}

_ehr_wallet_names()
{
	local f dir
	dir=$(_ehr_wallet_dir)
	for f in "$dir"/*.json; do
		[[ -e $f ]] || continue
		f=${f##*/}
		printf '%s\n' "${f%.json}"
	done
}

# The configured networks, from the ehr being completed (COMP_WORDS[0]).
_ehr_network_names()
{
	local ehr=${COMP_WORDS[0]}
	# shellcheck disable=SC2088 # a literal ~ the shell left unexpanded
	[[ $ehr == "~/"* ]] && ehr=$HOME/${ehr#"~/"}
	"$ehr" --json network list 2>/dev/null |
		sed -n 's/^[[:space:]]*"name":[[:space:]]*"\([^"]*\)",\{0,1\}$/\1/p'
}

# _ehr_table opts|subs COMMAND: prints that table of COMMAND (nothing for
# an unknown command).
_ehr_table()
{
	local var=_ehr_$1_${2//-/_}
	[[ $var =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && printf '%s\n' "${!var-}"
}

# _ehr_kind OPTION TABLE...: the KIND of OPTION's value in the tables, or
# "-" for a flag; fails when OPTION is in none of them.
_ehr_kind()
{
	local opt=$1 entry
	shift
	for entry in "$@"; do
		case $entry in
		"$opt":*) printf '%s\n' "${entry#*:}"; return 0 ;;
		"$opt") printf '%s\n' -; return 0 ;;
		esac
	done
	return 1
}

# _ehr_values KIND CUR: fills COMPREPLY with the values of a KIND.
_ehr_values()
{
	local kind=$1 cur=$2
	case $kind in
	FILE)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	DIR)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	WALLET) COMPREPLY=($(compgen -W "$(_ehr_wallet_names)" -- "$cur")) ;;
	NETWORK) COMPREPLY=($(compgen -W "$(_ehr_network_names)" -- "$cur")) ;;
	LEVEL) COMPREPLY=($(compgen -W "interactive moderate sensitive" -- "$cur")) ;;
	WORDS) COMPREPLY=($(compgen -W "12 15 18 21 24" -- "$cur")) ;;
	COMMAND) COMPREPLY=($(compgen -W "$_ehr_commands" -- "$cur")) ;;
	TOKEN) COMPREPLY=($(compgen -W "default" -- "$cur")) ;;
	ROLE) COMPREPLY=($(compgen -W "patient provider" -- "$cur")) ;;
	STORE)
		if [[ $cur == dir:* ]]; then
			compopt -o filenames -o nospace 2>/dev/null
			COMPREPLY=($(compgen -d -P dir: -- "${cur#dir:}"))
		else
			compopt -o nospace 2>/dev/null
			COMPREPLY=($(compgen -W "chain dir:" -- "$cur"))
			[[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == chain ]] && compopt +o nospace 2>/dev/null
		fi ;;
	*) COMPREPLY=() ;;
	esac
}

_ehr()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' opts subs kind word i
	local -a pos=()
	local IFS=$' \t\n'

	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# the command and its positional words so far, skipping option values
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case $word in
		--) break ;;
		=) ((i++)); continue ;;
		:) ((i++)); continue ;;  # "dir:PATH", split at ':' (below)
		--*=*) continue ;;
		-*)
			kind=$(_ehr_kind "$word" $_ehr_opts_global $(_ehr_table opts "$cmd")) || continue
			[[ $kind != - && ${COMP_WORDS[i + 1]-} != = ]] && ((i++))
			continue ;;
		esac
		if [[ -z $cmd ]]; then
			cmd=$word
		else
			pos+=("$word")
		fi
	done
	opts="$_ehr_opts_global $(_ehr_table opts "$cmd")"

	# --store dir:PATH where bash splits words at ':' too (COMP_WORDBREAKS):
	# the words are "--store" ["="] "dir" ":" PATH and readline replaces
	# only what follows the ':'
	if [[ $cur == : || $prev == : ]]; then
		local at=$((COMP_CWORD - 1)) path=$cur
		[[ $cur == : ]] && at=$COMP_CWORD path=
		if [[ ${COMP_WORDS[at - 1]-} == dir && (${COMP_WORDS[at - 2]-} == --store ||
			(${COMP_WORDS[at - 2]-} == = && ${COMP_WORDS[at - 3]-} == --store)) ]]; then
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -d -- "$path"))
			return 0
		fi
	fi

	# a value for an option: "--opt VALUE", "--opt=VALUE" split by bash at
	# '=' (COMP_WORDBREAKS), or "--opt=VALUE" in one word
	if [[ $cur == = ]]; then
		kind=$(_ehr_kind "$prev" $opts) && { _ehr_values "$kind" ""; return 0; }
	elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		kind=$(_ehr_kind "${COMP_WORDS[COMP_CWORD - 2]}" $opts) &&
			{ _ehr_values "$kind" "$cur"; return 0; }
	elif [[ $cur == --*=* ]]; then
		kind=$(_ehr_kind "${cur%%=*}" $opts) && {
			_ehr_values "$kind" "${cur#*=}"
			COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
			return 0
		}
	elif [[ $prev == -* ]]; then
		kind=$(_ehr_kind "$prev" $opts)
		if [[ $? = 0 && $kind != - ]]; then
			_ehr_values "$kind" "$cur"
			return 0
		fi
	fi

	if [[ $cur == -* ]]; then
		local names=() entry
		for entry in $opts; do
			# short options are understood above but offered only when asked
			[[ $entry == --* || $cur != --* ]] && names+=("${entry%%:*}")
		done
		COMPREPLY=($(compgen -W "${names[*]}" -- "$cur"))
		return 0
	fi
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$_ehr_commands" -- "$cur"))
		return 0
	fi

	subs=$(_ehr_table subs "$cmd")
	case $cmd in
	help)
		((${#pos[@]} == 0)) && COMPREPLY=($(compgen -W "$_ehr_commands" -- "$cur")) ;;
	wallets)
		if ((${#pos[@]} == 0)); then
			COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		elif [[ ${pos[0]} == remove && ${#pos[@]} == 1 ]]; then
			COMPREPLY=($(compgen -W "$(_ehr_wallet_names)" -- "$cur"))
		fi ;;
	network)
		if ((${#pos[@]} == 0)); then
			COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		elif [[ (${pos[0]} == use || ${pos[0]} == remove) && ${#pos[@]} == 1 ]]; then
			COMPREPLY=($(compgen -W "$(_ehr_network_names)" -- "$cur"))
		fi ;;
	record)
		if ((${#pos[@]} == 0)); then
			COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		elif [[ ${pos[0]} == add ]]; then
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
		fi ;;
	upload)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	*)
		if [[ -n $subs ]] && ((${#pos[@]} == 0)); then
			COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		fi ;;
	esac
	return 0
}

complete -F _ehr ehr
