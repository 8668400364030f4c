# bash completion for ehr(1): a shim. `ehr __complete WORD...` answers from
# ehr's own command and option tables (cli/complete.c), one candidate a
# line; a line ":file PATH" or ":dir PATH" asks for the file or directory
# names that complete PATH, the end of the current word.
# shellcheck disable=SC2207

_ehr()
{
	local ehr=${COMP_WORDS[0]} raw=${COMP_WORDS[COMP_CWORD]-} cur kept line path f i
	local -a words=()
	local IFS=$'\n'

	# shellcheck disable=SC2088 # a literal ~ the shell left unexpanded
	[[ $ehr == "~/"* ]] && ehr=$HOME/${ehr#"~/"}
	# bash splits "--opt=VALUE" and "dir:PATH" at '=' and ':' too
	# (COMP_WORDBREAKS): join the pieces into the words ehr sees
	for ((i = 1; i <= COMP_CWORD; i++)); do
		if ((i > 1)) && [[ ${COMP_WORDS[i]} == [=:] || ${COMP_WORDS[i - 1]} == [=:] ]]; then
			words[${#words[@]} - 1]+=${COMP_WORDS[i]-}
		else
			words+=("${COMP_WORDS[i]-}")
		fi
	done
	cur=${words[${#words[@]} - 1]-}
	# readline replaces only the piece after the last break: what comes
	# before it in cur is kept, and taken off each candidate
	kept=${cur%"$raw"}
	COMPREPLY=()
	while IFS= read -r line; do
		case $line in
		":file "* | ":dir "*)
			path=${line#* }
			compopt -o filenames 2>/dev/null
			[[ $line == :dir* ]] && f=-d || f=-f
			for f in $(compgen "$f" -- "$path"); do
				f=${cur%"$path"}$f
				COMPREPLY+=("${f#"$kept"}")
			done ;;
		"$kept"*) COMPREPLY+=("${line#"$kept"}") ;;
		esac
	done < <("$ehr" __complete "${words[@]}" 2> /dev/null)
	# "dir:" goes on with a path, not a space
	for f in "${COMPREPLY[@]}"; do
		[[ $f == *: ]] && compopt -o nospace 2>/dev/null
	done
	return 0
}

complete -F _ehr ehr
