# fish completion for ehr(1): a shim. `ehr __complete --describe WORD...`
# answers from ehr's own command and option tables (cli/complete.c), one
# candidate a line, a tab and its description after it; a line ":file PATH"
# or ":dir PATH" asks for the file or directory names that complete PATH,
# the end of the current word.

function __ehr_complete
    set -l words (commandline -opc)
    set -l ehr $words[1]
    set -e words[1]
    set -l cur (commandline -ct)
    set -q cur[1]; or set cur ''
    for line in ($ehr __complete --describe $words $cur 2>/dev/null)
        switch $line
            case ':file *' ':dir *'
                set -l path (string replace -r '^:[a-z]+ ' '' -- $line)
                # what comes before PATH in the word stays as it is
                set -l pre (string sub -l (math (string length -- $cur) - (string length -- $path)) -- $cur)
                set -q pre[1]; or set pre ''
                if string match -q ':dir *' -- $line
                    printf '%s\n' $pre(__fish_complete_directories $path)
                else
                    printf '%s\n' $pre(__fish_complete_path $path)
                end
            case '*'
                printf '%s\n' $line
        end
    end
end

complete -c ehr -f -a '(__ehr_complete)'
