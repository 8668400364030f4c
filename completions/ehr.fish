# fish completion for ehr(1)
#
# One block per command: its options as in its cmd_<command>_opts[]
# (commands/<command>.c), each under the condition `__ehr_using <command>`.
# The global options apply everywhere. Options that take a value and are
# global must also be listed in __ehr_words, which skips their values.

# The words after "ehr" that are not options nor option values: the command,
# then its subcommand and arguments.
function __ehr_words
    set -l skip 0
    for w in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case --wallet --account --network --rpc --registry --passphrase-file --passphrase-fd
                set skip 1
            case '-*'
            case '*'
                echo $w
        end
    end
end

function __ehr_needs_command
    test (count (__ehr_words)) -eq 0
end

# __ehr_using COMMAND [N]: the command is COMMAND (and it has N words after it).
function __ehr_using
    set -l w (__ehr_words)
    test "$w[1]" = "$argv[1]"; or return 1
    test (count $argv) -lt 2; or test (count $w) -eq (math $argv[2] + 1)
end

# The configured networks, from the ehr being completed.
function __ehr_network_names
    set -l ehr (commandline -opc)[1]
    $ehr --json network list 2>/dev/null | string replace -rf '^\s*"name":\s*"([^"]*)",?$' '$1'
end

# The wallet directory as wallet/base/paths.c finds it: $EHR_HOME/wallets, else
# $XDG_DATA_HOME/ehr/wallets, else ~/.local/share/ehr/wallets.
function __ehr_wallet_names
    set -l dir
    if test -n "$EHR_HOME"
        set dir $EHR_HOME/wallets
    else if test -n "$XDG_DATA_HOME"
        set dir $XDG_DATA_HOME/ehr/wallets
    else
        set dir $HOME/.local/share/ehr/wallets
    end
    for f in $dir/*.json
        string replace -r '\.json$' '' -- (basename -- $f)
    end
end

# --store values: chain, or dir: then a directory.
function __ehr_stores
    set -l tok (string replace -r '^--store=' '' -- (commandline -ct))
    if string match -q 'dir:*' -- $tok
        __fish_complete_directories (string sub -s 5 -- $tok) | string replace -r '^' 'dir:'
    else
        printf '%s\n' chain dir:
    end
end

complete -c ehr -f

# commands
complete -c ehr -n __ehr_needs_command -a init -d 'create a new wallet from fresh 24 words'
complete -c ehr -n __ehr_needs_command -a restore -d 'restore a wallet from its mnemonic'
complete -c ehr -n __ehr_needs_command -a import -d 'create a wallet from a private key or a v3 keystore'
complete -c ehr -n __ehr_needs_command -a export -d 'show the mnemonic or write a v3 keystore'
complete -c ehr -n __ehr_needs_command -a accounts -d 'list the wallet\'s accounts'
complete -c ehr -n __ehr_needs_command -a address -d 'show one account\'s address'
complete -c ehr -n __ehr_needs_command -a passwd -d 'change the wallet\'s passphrase'
complete -c ehr -n __ehr_needs_command -a wallets -d 'list or remove named wallets'
complete -c ehr -n __ehr_needs_command -a sign -d 'sign a message (EIP-191)'
complete -c ehr -n __ehr_needs_command -a verify -d 'check an EIP-191 signature'
complete -c ehr -n __ehr_needs_command -a config -d 'show where ehr keeps things and what it would use'
complete -c ehr -n __ehr_needs_command -a network -d 'list, add, choose or remove networks'
complete -c ehr -n __ehr_needs_command -a node -d 'show the node\'s chain id, head block, client, registry'
complete -c ehr -n __ehr_needs_command -a balance -d 'show the balance of the native coin or a token'
complete -c ehr -n __ehr_needs_command -a send -d 'send the native coin or a token'
complete -c ehr -n __ehr_needs_command -a deploy -d 'deploy the registry (and a test token)'
complete -c ehr -n __ehr_needs_command -a register -d 'publish this account\'s encryption key, name, role'
complete -c ehr -n __ehr_needs_command -a record -d 'add, list, get, verify, erase, export health records'
complete -c ehr -n __ehr_needs_command -a grant -d 'share records until a time; list grants'
complete -c ehr -n __ehr_needs_command -a revoke -d 'end a grant at once'
complete -c ehr -n __ehr_needs_command -a access -d 'open a grant: log, fetch, verify, decrypt'
complete -c ehr -n __ehr_needs_command -a request -d 'ask for access; list, approve, deny requests'
complete -c ehr -n __ehr_needs_command -a emergency -d 'the emergency card'
complete -c ehr -n __ehr_needs_command -a audit -d 'who did what with the records, and when'
complete -c ehr -n __ehr_needs_command -a upload -d 'a provider\'s batch upload into patients\' charts'
complete -c ehr -n __ehr_needs_command -a invoice -d 'bill a patient; list and pay invoices'
complete -c ehr -n __ehr_needs_command -a help -d 'show the commands, or one command\'s usage'

# global options, before or after the command
complete -c ehr -l wallet -x -a '(__ehr_wallet_names)' -d 'the wallet to use'
complete -c ehr -l account -x -d 'the account index to act as'
complete -c ehr -l network -x -a '(__ehr_network_names)' -d 'a configured network'
complete -c ehr -l rpc -x -d 'the node\'s JSON-RPC URL'
complete -c ehr -l registry -x -d 'the registry contract'
complete -c ehr -l passphrase-file -r -F -d 'read the passphrase from FILE\'s first line'
complete -c ehr -l passphrase-fd -x -d 'read the passphrase from file descriptor N'
complete -c ehr -l json -d 'print JSON instead of tables'
complete -c ehr -s y -l yes -d 'answer yes to confirmations'
complete -c ehr -s q -l quiet -d 'print less'
complete -c ehr -s h -l help -d 'show usage'
complete -c ehr -l version -d 'show the version'

# init
complete -c ehr -n '__ehr_using init' -l words -x -a '12 15 18 21 24' -d 'mnemonic length'
complete -c ehr -n '__ehr_using init' -l mnemonic-out -r -F -d 'write the mnemonic to FILE (0600)'
complete -c ehr -n '__ehr_using init' -l bip39-passphrase-file -r -F -d 'an optional BIP39 passphrase'
complete -c ehr -n '__ehr_using init' -l kdf -x -a 'interactive moderate sensitive' -d 'argon2id cost'
complete -c ehr -n '__ehr_using init' -l accounts -x -d 'accounts to derive and list'
complete -c ehr -n '__ehr_using init' -s f -l force -d 'replace an existing wallet of that name'

# restore
complete -c ehr -n '__ehr_using restore' -l mnemonic-file -r -F -d 'read the mnemonic from FILE'
complete -c ehr -n '__ehr_using restore' -l bip39-passphrase-file -r -F -d 'the BIP39 passphrase, if any'
complete -c ehr -n '__ehr_using restore' -l kdf -x -a 'interactive moderate sensitive' -d 'argon2id cost'
complete -c ehr -n '__ehr_using restore' -l accounts -x -d 'accounts to derive and list'
complete -c ehr -n '__ehr_using restore' -s f -l force -d 'replace an existing wallet of that name'

# import
complete -c ehr -n '__ehr_using import' -l private-key-file -r -F -d 'a file holding the private key (hex)'
complete -c ehr -n '__ehr_using import' -l keystore -r -F -d 'a Web3 Secret Storage v3 file'
complete -c ehr -n '__ehr_using import' -l keystore-passphrase-file -r -F -d 'the v3 file\'s password'
complete -c ehr -n '__ehr_using import' -l kdf -x -a 'interactive moderate sensitive' -d 'argon2id cost'
complete -c ehr -n '__ehr_using import' -s f -l force -d 'replace an existing wallet of that name'

# export
complete -c ehr -n '__ehr_using export' -l mnemonic -d 'show the mnemonic (asks first)'
complete -c ehr -n '__ehr_using export' -l mnemonic-out -r -F -d 'with --mnemonic: write it to FILE'
complete -c ehr -n '__ehr_using export' -l keystore -r -F -d 'write a v3 keystore file'
complete -c ehr -n '__ehr_using export' -l keystore-passphrase-file -r -F -d 'password for the v3 file'
complete -c ehr -n '__ehr_using export' -l index -x -d 'the account to export'
complete -c ehr -n '__ehr_using export' -s f -l force -d 'replace an existing output file'

# accounts
complete -c ehr -n '__ehr_using accounts' -l add -x -d 'derive N more accounts'

# address
complete -c ehr -n '__ehr_using address' -l index -x -d 'account index at m/44\'/60\'/0\'/0/N'
complete -c ehr -n '__ehr_using address' -l path -x -d 'any BIP32 path'
complete -c ehr -n '__ehr_using address' -l bech32 -x -a 'evmos crc kava' -d 'also show the bech32 form'

# passwd
complete -c ehr -n '__ehr_using passwd' -l new-passphrase-file -r -F -d 'read the new passphrase from FILE'
complete -c ehr -n '__ehr_using passwd' -l kdf -x -a 'interactive moderate sensitive' -d 'new argon2id cost'

# wallets
complete -c ehr -n '__ehr_using wallets 0' -a list -d 'list the wallets'
complete -c ehr -n '__ehr_using wallets 0' -a remove -d 'remove a wallet'
complete -c ehr -n '__ehr_using wallets 1; and test (__ehr_words)[2] = remove' -a '(__ehr_wallet_names)'

# sign
complete -c ehr -n '__ehr_using sign' -l file -r -F -d 'sign the bytes of FILE (- for stdin)'
complete -c ehr -n '__ehr_using sign' -l hex -x -d 'sign the bytes given in hex'
complete -c ehr -n '__ehr_using sign' -l index -x -d 'the account to sign with'

# verify
complete -c ehr -n '__ehr_using verify' -s a -l address -x -d 'the address that should have signed'
complete -c ehr -n '__ehr_using verify' -s s -l signature -x -d 'the 65-byte signature in hex'
complete -c ehr -n '__ehr_using verify' -l file -r -F -d 'the message is the bytes of FILE'
complete -c ehr -n '__ehr_using verify' -l hex -x -d 'the message is the bytes given in hex'

# config: no options of its own

# network
complete -c ehr -n '__ehr_using network 0' -a list -d 'list the networks'
complete -c ehr -n '__ehr_using network 0' -a add -d 'add a network'
complete -c ehr -n '__ehr_using network 0' -a use -d 'make a network the default'
complete -c ehr -n '__ehr_using network 0' -a remove -d 'remove a network'
complete -c ehr -n '__ehr_using network 1; and contains -- (__ehr_words)[2] use remove' -a '(__ehr_network_names)'
complete -c ehr -n '__ehr_using network' -l chain-id -x -d 'add: pin the chain id'
complete -c ehr -n '__ehr_using network' -l token -x -d 'add: the ERC-20 token for payments'
complete -c ehr -n '__ehr_using network' -l symbol -x -d 'add: the native coin\'s symbol (default ETH)'
complete -c ehr -n '__ehr_using network' -l default -d 'add: make it the default network'
complete -c ehr -n '__ehr_using network' -s f -l force -d 'add: replace a network of the same name'

# node: no options of its own

# balance
complete -c ehr -n '__ehr_using balance' -l token -x -a default -d 'an ERC-20 token instead of the native coin'

# send
complete -c ehr -n '__ehr_using send' -l token -x -a default -d 'send an ERC-20 token instead of the native coin'
complete -c ehr -n '__ehr_using send' -l confirmations -x -d 'wait for N confirmations'
complete -c ehr -n '__ehr_using send' -l async -d 'print the transaction hash and do not wait'
complete -c ehr -n '__ehr_using send' -l timeout -x -d 'give up waiting after SECONDS'

# deploy
complete -c ehr -n '__ehr_using deploy' -l test-token -d 'also deploy the test token (local chains only)'
complete -c ehr -n '__ehr_using deploy' -l save-as -x -a '(__ehr_network_names)' -d 'save the addresses to network NAME'
complete -c ehr -n '__ehr_using deploy' -l confirmations -x -d 'wait for N confirmations'
complete -c ehr -n '__ehr_using deploy' -l timeout -x -d 'give up waiting after SECONDS'

# register
complete -c ehr -n '__ehr_using register' -l name -x -d 'display name shown to patients'
complete -c ehr -n '__ehr_using register' -l role -x -a 'patient provider' -d 'the account\'s role'
complete -c ehr -n '__ehr_using register' -l show -d 'show the directory entry of ADDR'
complete -c ehr -n '__ehr_using register' -l confirmations -x -d 'wait for N confirmations'
complete -c ehr -n '__ehr_using register' -l async -d 'print the transaction hash and do not wait'
complete -c ehr -n '__ehr_using register' -l timeout -x -d 'give up waiting after SECONDS'

# record
complete -c ehr -n '__ehr_using record 0' -a add -d 'seal and anchor files'
complete -c ehr -n '__ehr_using record 0' -a list -d 'list the records'
complete -c ehr -n '__ehr_using record 0' -a get -d 'fetch, check and decrypt a record'
complete -c ehr -n '__ehr_using record 0' -a verify -d 'check stored ciphertext against its anchor'
complete -c ehr -n '__ehr_using record 0' -a erase -d 'tombstone a record'
complete -c ehr -n '__ehr_using record 0' -a export -d 'write a FHIR R4 Bundle'
complete -c ehr -n '__ehr_using record; and test (count (__ehr_words)) -ge 2; and test (__ehr_words)[2] = add' -F
complete -c ehr -n '__ehr_using record' -l title -x -d 'add: the record\'s title'
complete -c ehr -n '__ehr_using record' -l type -x -d 'add: the record\'s type; list: only this type'
complete -c ehr -n '__ehr_using record' -l media-type -x -d 'add: the media type'
complete -c ehr -n '__ehr_using record' -l store -x -a '(__ehr_stores)' -d 'add: chain or dir:PATH'
complete -c ehr -n '__ehr_using record' -l split-bundle -d 'add: a FHIR Bundle becomes one record per entry'
complete -c ehr -n '__ehr_using record' -s o -l output -r -F -d 'get: write to FILE (- for stdout)'
complete -c ehr -n '__ehr_using record' -s f -l force -d 'get, export: replace an existing file'
complete -c ehr -n '__ehr_using record' -l all -d 'list: erased records too; verify: every record'
complete -c ehr -n '__ehr_using record' -l fhir -r -F -d 'export: write a FHIR R4 collection Bundle'
complete -c ehr -n '__ehr_using record' -l confirmations -x -d 'add, erase: wait for N confirmations'
complete -c ehr -n '__ehr_using record' -l timeout -x -d 'add, erase: give up waiting after SECONDS'

# grant
complete -c ehr -n '__ehr_using grant 0' -a list -d 'list the grants'
complete -c ehr -n '__ehr_using grant' -l records -x -d 'the records to share, e.g. 3,7,12'
complete -c ehr -n '__ehr_using grant' -l all -d 'every record, also later ones'
complete -c ehr -n '__ehr_using grant' -l type -x -d 'every record of this type'
complete -c ehr -n '__ehr_using grant' -l for -x -d 'how long: 30m, 2h, 7d'
complete -c ehr -n '__ehr_using grant' -l until -x -d 'until when (UTC)'
complete -c ehr -n '__ehr_using grant' -l write -d 'the grantee may also add records'
complete -c ehr -n '__ehr_using grant' -l bearer -d 'a grant for whoever holds the QR code'
complete -c ehr -n '__ehr_using grant' -l passcode -d 'bearer: also ask for a passcode'
complete -c ehr -n '__ehr_using grant' -l passcode-file -r -F -d 'bearer: the passcode from FILE'
complete -c ehr -n '__ehr_using grant' -l qr -d 'show the QR code in the terminal'
complete -c ehr -n '__ehr_using grant' -l qr-png -r -F -d 'write the QR code as PNG (0600)'
complete -c ehr -n '__ehr_using grant' -l qr-svg -r -F -d 'write the QR code as SVG (0600)'
complete -c ehr -n '__ehr_using grant' -l purpose -x -a 'treatment emergency research payment' -d 'the purpose of use'
complete -c ehr -n '__ehr_using grant' -l active -d 'list: only active grants'
complete -c ehr -n '__ehr_using grant' -l received -d 'list: the grants to this account'
complete -c ehr -n '__ehr_using grant' -l confirmations -x -d 'wait for N confirmations'
complete -c ehr -n '__ehr_using grant' -l timeout -x -d 'give up waiting after SECONDS'

# revoke
complete -c ehr -n '__ehr_using revoke' -l confirmations -x -d 'wait for N confirmations'
complete -c ehr -n '__ehr_using revoke' -l async -d 'print the transaction hash and do not wait'
complete -c ehr -n '__ehr_using revoke' -l timeout -x -d 'give up waiting after SECONDS'

# access
complete -c ehr -n '__ehr_using access' -s o -l output -x -a '(__fish_complete_directories)' -d 'write the records into DIR'
complete -c ehr -n '__ehr_using access' -l passcode-file -r -F -d 'the passcode, from FILE'
complete -c ehr -n '__ehr_using access' -s f -l force -d 'replace existing files'
complete -c ehr -n '__ehr_using access' -l wait -x -d 'how long to wait for the release (default 5m)'
complete -c ehr -n '__ehr_using access' -l confirmations -x -d 'wait for N confirmations'
complete -c ehr -n '__ehr_using access' -l timeout -x -d 'give up waiting after SECONDS'

# request
complete -c ehr -n '__ehr_using request 0' -a 'list approve deny' -d 'answer what is asked of you'
complete -c ehr -n '__ehr_using request' -l patient -x -d 'ask this patient'
complete -c ehr -n '__ehr_using request' -l records -x -d 'the records to ask for, e.g. 3,7,12'
complete -c ehr -n '__ehr_using request' -l all -d 'ask for every record'
complete -c ehr -n '__ehr_using request' -l for -x -d 'for how long from approval'
complete -c ehr -n '__ehr_using request' -l purpose -x -a 'treatment emergency research payment' -d 'the purpose of use'
complete -c ehr -n '__ehr_using request' -l write -d 'ask to add records too'
complete -c ehr -n '__ehr_using request' -l note -x -d 'words for the patient, sealed'
complete -c ehr -n '__ehr_using request' -l confirmations -x -d 'wait for N confirmations'
complete -c ehr -n '__ehr_using request' -l timeout -x -d 'give up waiting after SECONDS'

# emergency
complete -c ehr -n '__ehr_using emergency 0' -a set -d 'choose the emergency records'
complete -c ehr -n '__ehr_using emergency 0' -a card -d 'make the card (revokes the old one)'
complete -c ehr -n '__ehr_using emergency 0' -a show -d 'show the records and the card'
complete -c ehr -n '__ehr_using emergency 0' -a revoke -d 'revoke the card'
complete -c ehr -n '__ehr_using emergency' -l records -x -d 'set: the emergency records, e.g. 3,7'
complete -c ehr -n '__ehr_using emergency' -l for -x -d 'card: how long it is valid (365d)'
complete -c ehr -n '__ehr_using emergency' -l qr -d 'card: show the QR code in the terminal'
complete -c ehr -n '__ehr_using emergency' -l qr-png -r -F -d 'card: write the QR code as PNG (0600)'
complete -c ehr -n '__ehr_using emergency' -l qr-svg -r -F -d 'card: write a printable SVG card (0600)'
complete -c ehr -n '__ehr_using emergency' -l confirmations -x -d 'wait for N confirmations'
complete -c ehr -n '__ehr_using emergency' -l timeout -x -d 'give up waiting after SECONDS'

# audit
complete -c ehr -n '__ehr_using audit 0' -a verify -d 'check stored ciphertext against its anchors'
complete -c ehr -n '__ehr_using audit' -l record -x -d 'only what concerns record ID'
complete -c ehr -n '__ehr_using audit' -l grant -x -d 'only what concerns grant ID'
complete -c ehr -n '__ehr_using audit' -l since -x -d 'from TIME on, or 7d'
complete -c ehr -n '__ehr_using audit' -l csv -d 'RFC 4180 CSV with a header row'
complete -c ehr -n '__ehr_using audit' -l fhir -r -F -d 'write FHIR AuditEvent and Consent to FILE'
complete -c ehr -n '__ehr_using audit' -s f -l force -d '--fhir: replace an existing FILE'
complete -c ehr -n '__ehr_using audit' -l no-titles -d 'do not unlock the wallet for titles'

# upload
complete -c ehr -n '__ehr_using upload' -F
complete -c ehr -n '__ehr_using upload' -l patient -x -d 'the patient whose chart the FILEs go into'
complete -c ehr -n '__ehr_using upload' -l manifest -r -F -d 'JSON lines: patient, file, title, type'
complete -c ehr -n '__ehr_using upload' -l title -x -d 'title of each record'
complete -c ehr -n '__ehr_using upload' -l type -x -d 'type of each record'
complete -c ehr -n '__ehr_using upload' -l store -x -a '(__ehr_stores)' -d 'chain or dir:PATH'
complete -c ehr -n '__ehr_using upload' -l journal -r -F -d 'the journal file'
complete -c ehr -n '__ehr_using upload' -l window -x -d 'records sealed and sent together'
complete -c ehr -n '__ehr_using upload' -l confirmations -x -d 'wait for N confirmations'
complete -c ehr -n '__ehr_using upload' -l timeout -x -d 'give up waiting after SECONDS'

# invoice
complete -c ehr -n '__ehr_using invoice 0' -a issue -d 'bill a patient'
complete -c ehr -n '__ehr_using invoice 0' -a list -d 'list invoices to and by this account'
complete -c ehr -n '__ehr_using invoice 0' -a pay -d 'pay an invoice'
complete -c ehr -n '__ehr_using invoice 0' -a cancel -d 'cancel an invoice this account issued'
complete -c ehr -n '__ehr_using invoice' -l patient -x -d 'issue: the patient to bill'
complete -c ehr -n '__ehr_using invoice' -l amount -x -d 'issue: how much (25.50)'
complete -c ehr -n '__ehr_using invoice' -l token -x -a default -d 'issue: in this ERC-20 token'
complete -c ehr -n '__ehr_using invoice' -l native -d 'issue: in the native coin'
complete -c ehr -n '__ehr_using invoice' -l due -x -d 'issue: due by a date or after a while'
complete -c ehr -n '__ehr_using invoice' -l memo -x -d 'issue: a note sealed to the patient'
complete -c ehr -n '__ehr_using invoice' -l memo-file -r -F -d 'issue: the memo from a file'
complete -c ehr -n '__ehr_using invoice' -l open -d 'list: only invoices still open'
complete -c ehr -n '__ehr_using invoice' -l confirmations -x -d 'wait for N confirmations'
complete -c ehr -n '__ehr_using invoice' -l async -d 'print the transaction hash and do not wait'
complete -c ehr -n '__ehr_using invoice' -l timeout -x -d 'give up waiting after SECONDS'

# help
complete -c ehr -n '__ehr_using help' -l commands -d 'list the command names only'
complete -c ehr -n '__ehr_using help 0' -a 'init restore import export accounts address passwd wallets sign verify config network node balance send deploy register record grant revoke access emergency audit upload invoice help'
