#!/bin/sh
# The unlock agent end to end (ehr unlock, ehr lock): the passphrase given
# once serves many commands (none of them has a passphrase source or a
# terminal, so any that asked would fail with exit 3); lock, expiry and the
# idle limit end it; another wallet, EHR_AGENT=0 and another user are not
# served; an agent killed during a command leaves the command asking (or
# failing cleanly); nothing secret on disk or in /proc; the agent is not
# dumpable. Cross-checked with cast (signatures, derivation, nonces).
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
PW="agent test $(rand_hex 8) passphrase"
chain_setup "$PW"
new_wallets pat
unset EHR_PASSPHRASE_FILE
RUN=$T/run
mkdir -m 700 "$RUN"
export XDG_RUNTIME_DIR=$RUN
MN=$(cat "$T/pat-m")
PAT=$("$EHR" --wallet pat address)
DEV=$("$EHR" --wallet dev address)
: > "$T/start"

grep_err() {
	if grep -q -- "$2" "$E2E_ERR"; then ok "$1"; else fail "$1: stderr was: $(cat "$E2E_ERR")"; fi
}
grep_out() {
	if grep -q -- "$2" "$E2E_OUT"; then ok "$1"; else fail "$1: stdout was: $(cat "$E2E_OUT")"; fi
}
agent_pid() { sed -n 's/.*agent pid \([0-9]*\).*/\1/p' "$E2E_OUT"; }
# gone PID: "gone" once the process has ended (a zombie counts: it holds
# nothing), waiting up to 5 s; else "alive"
gone() {
	_i=0
	while [ $_i -lt 100 ]; do
		case $(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2> /dev/null) in
		'' | Z) echo gone; return ;;
		esac
		sleep 0.05
		_i=$((_i + 1))
	done
	echo alive
}

## no agent: a command asks, and without a terminal it cannot
check_exit "without an agent, sign asks for the passphrase (none: exit 3)" 3 \
	"$EHR" --wallet pat sign hello < /dev/null
grep_err "and says it has no terminal to ask on" "no terminal to ask"
check_exit "unlock --status with no agent: exit 1" 1 "$EHR" unlock --status
grep_out "and says locked" "^locked: no agent runs"
check_exit "lock with no agent: exit 0" 0 "$EHR" lock
grep_out "and says none was running" "no agent was running"

## usage
check_exit "--for 8d is refused (2)" 2 "$EHR" --wallet pat unlock --for 8d
grep_err "saying the limit" "at most 7d"
check_exit "--idle longer than --for is refused (2)" 2 "$EHR" --wallet pat unlock --for 1m --idle 2m
check_exit "--for without a unit is refused (2)" 2 "$EHR" --wallet pat unlock --for 10
check_exit "--status with --for is refused (2)" 2 "$EHR" unlock --status --for 1m
check_exit "EHR_AGENT=0 unlock is refused (2)" 2 env EHR_AGENT=0 "$EHR" --wallet pat unlock --passphrase-file "$T/pw"
grep_err "saying why" "EHR_AGENT=0"
mkdir -p "$T/open/ehr"
chmod 755 "$T/open/ehr"
check_exit "an agent directory others may enter is refused (2)" 2 \
	env XDG_RUNTIME_DIR="$T/open" "$EHR" --wallet pat unlock --passphrase-file "$T/pw"
grep_err "naming it" "$T/open/ehr is not a directory of this user closed to others"
check_eq "no socket made there" "$(ls -A "$T/open/ehr")" ""
check_exit "a wrong passphrase starts no agent (3)" 3 sh -c \
	'printf "wrong passphrase here\n" | "$1" --wallet pat unlock --passphrase-fd 0' sh "$EHR"
check_exit "and none runs" 1 "$EHR" unlock --status

## the passphrase once, many commands
check_exit "unlock --for 10m: the passphrase given once, on fd 3" 0 \
	"$EHR" --wallet pat unlock --for 10m --passphrase-fd 3 3< "$T/pw"
grep_out "it says which wallet and until when" "^unlocked: wallet 'pat' (.*pat.json), agent pid [0-9]*: until 20"
AGENT=$(agent_pid)
check_eq "the agent runs" "$(kill -0 "$AGENT" 2> /dev/null && echo yes)" yes
check_eq "its socket is in XDG_RUNTIME_DIR/ehr, 0700, the socket 0600" \
	"$(stat -c %a "$RUN/ehr") $(stat -c %a "$RUN/ehr/agent.sock")" "700 600"
check_exit "unlock --status: exit 0" 0 "$EHR" unlock --status --json
grep_out "names the wallet in JSON" '"wallet":[^"]*"pat"'
check_exit "unlock again reuses it (no passphrase asked)" 0 "$EHR" --wallet pat unlock < /dev/null
grep_out "and says so" "already unlocked: wallet 'pat'.*agent pid $AGENT"

check_exit "sign, no passphrase source" 0 "$EHR" --wallet pat sign "agent says hi" < /dev/null
SIG=$(cat "$E2E_OUT")
check_exit "cast verifies the signature as pat's" 0 "$CAST" wallet verify --address "$PAT" "agent says hi" "$SIG"
check_eq "the same signature as unlocking here (RFC 6979)" \
	"$(EHR_AGENT=0 "$EHR" --wallet pat --passphrase-file "$T/pw" sign "agent says hi")" "$SIG"
check_exit "address --path derives in the agent" 0 "$EHR" --wallet pat address --path "m/44'/60'/0'/0/7" < /dev/null
check_eq "the address cast derives" "$(cat "$E2E_OUT")" \
	"$("$CAST" wallet address --mnemonic "$T/pat-m" --mnemonic-index 7)"
n0=$("$CAST" nonce "$PAT")
check_exit "send, no passphrase source" 0 "$EHR" --wallet pat send "$DEV" 0.001 --yes < /dev/null
check_eq "one transaction from pat (cast nonce)" "$("$CAST" nonce "$PAT")" $((n0 + 1))
check_exit "register --sign-only: the agent signs the intent, no passphrase source" 0 \
	"$EHR" --wallet pat register --name "pat again" --sign-only "$T/intent.json" --yes < /dev/null
check_eq "an intent file written, nothing sent (cast nonce)" "$(test -s "$T/intent.json" && "$CAST" nonce "$PAT")" $((n0 + 1))
printf 'agent record %s\n' "$(rand_hex 16)" > "$T/rec.txt"
printf 'Agent title\n' > "$T/title"
check_exit "record add, no passphrase source" 0 "$EHR" --wallet pat record add "$T/rec.txt" \
	--title-file "$T/title" --yes --json < /dev/null
ID=$(sed -n 's/.*"id":[^0-9]*\([0-9]*\).*/\1/p' "$E2E_OUT" | head -n 1)
check_exit "record list opens the title through the agent" 0 "$EHR" --wallet pat record list < /dev/null
grep_out "the title shows" "Agent title"
check_exit "record get opens the data key through the agent" 0 \
	"$EHR" --wallet pat record get "$ID" -o "$T/got.txt" < /dev/null
check_eq "the plaintext is the file" "$(cat "$T/got.txt")" "$(cat "$T/rec.txt")"
check_exit "audit with titles" 0 "$EHR" --wallet pat audit < /dev/null
grep_out "shows the title" "Agent title"

## what it does not serve
check_exit "EHR_AGENT=0 bypasses it: asks (3)" 3 env EHR_AGENT=0 "$EHR" --wallet pat sign x < /dev/null
grep_err "no terminal, as without an agent" "no terminal to ask"
check_exit "another wallet asks as before (3)" 3 "$EHR" --wallet dev sign x < /dev/null
check_exit "and with its passphrase it signs as dev" 0 "$EHR" --wallet dev --passphrase-file "$T/pw" sign x
check_exit "export still asks (3): the agent never gives out the secret" 3 \
	"$EHR" --wallet pat export --keystore "$T/k.json" < /dev/null
check_eq "no keystore written" "$(ls "$T/k.json" 2> /dev/null)" ""

## nothing secret on disk or in /proc
files=$(find "$RUN" /tmp -xdev -type f -size -20M -newer "$T/start" ! -path "$T/*" 2> /dev/null |
	xargs -r grep -lF -e "$MN" -e "$PW" 2> /dev/null)
check_eq "no file written since unlock holds the mnemonic or the passphrase" "$files" ""
check_eq "the agent's directory holds only its socket" "$(ls -A "$RUN/ehr")" agent.sock
check_eq "not in the agent's environment" \
	"$(tr '\0' '\n' < "/proc/$AGENT/environ" | grep -cF -e "$PW" -e "$MN")" 0
check_eq "its command line is the one typed" "$(tr '\0' ' ' < "/proc/$AGENT/cmdline")" \
	"$EHR --wallet pat unlock --for 10m --passphrase-fd 3 "
check_eq "its core file limit is 0, soft and hard" \
	"$(sed -n 's/^Max core file size *\([0-9a-z]*\) *\([0-9a-z]*\).*/\1 \2/p' "/proc/$AGENT/limits")" "0 0"
# AddressSanitizer makes mlock a no-op: the plain build (make check) checks it
if ehr_is_asan; then
	echo "# VmLck not checked: AddressSanitizer's mlock locks nothing"
else
	check_eq "it holds locked memory (its secrets cannot be swapped out)" \
		"$(awk '/^VmLck:/ { print ($2 > 0) ? "locked" : "none" }' "/proc/$AGENT/status")" locked
fi
check_eq "it has no terminal and no open file but its socket (stdin /dev/null)" \
	"$(readlink "/proc/$AGENT/fd/0")" /dev/null

## lock
check_exit "lock" 0 "$EHR" lock
grep_out "says it ended" "the agent ended"
check_eq "the agent process is gone" "$(gone "$AGENT")" gone
check_eq "its socket is removed" "$(ls -A "$RUN/ehr")" ""
check_exit "after lock, sign asks again (3)" 3 "$EHR" --wallet pat sign x < /dev/null

## expiry and the idle limit (nothing timed but "after the limit it asks")
check_exit "unlock --for 2s" 0 "$EHR" --wallet pat unlock --for 2s --passphrase-file "$T/pw"
AGENT=$(agent_pid)
sleep 3
check_exit "after its time, sign asks again (3)" 3 "$EHR" --wallet pat sign x < /dev/null
check_eq "the agent ended by itself" "$(gone "$AGENT")" gone
check_exit "unlock --for 10m --idle 1s" 0 "$EHR" --wallet pat unlock --for 10m --idle 1s --passphrase-file "$T/pw"
sleep 2.5
check_exit "after 1s unused, sign asks again (3)" 3 "$EHR" --wallet pat sign x < /dev/null

## another wallet replaces the agent's
check_exit "unlock pat" 0 "$EHR" --wallet pat unlock --passphrase-file "$T/pw"
OLD=$(agent_pid)
check_exit "unlock dev: the agent for pat ends first" 0 "$EHR" --wallet dev unlock --passphrase-file "$T/pw"
grep_err "and it says so" "held wallet 'pat'"
check_exit "dev signs without a passphrase" 0 "$EHR" --wallet dev sign x < /dev/null
check_exit "pat asks again (3)" 3 "$EHR" --wallet pat sign x < /dev/null
check_eq "pat's agent is gone" "$(gone "$OLD")" gone
"$EHR" lock > /dev/null

## a changed wallet file is another wallet: passwd makes the agent's stale
check_exit "unlock pat" 0 "$EHR" --wallet pat unlock --passphrase-file "$T/pw"
printf '%s 2\n' "$PW" > "$T/pw2"
check_exit "passwd (asks the old passphrase as before)" 0 "$EHR" --wallet pat passwd \
	--passphrase-file "$T/pw" --new-passphrase-file "$T/pw2"
check_exit "the agent no longer serves the changed file (3)" 3 "$EHR" --wallet pat sign x < /dev/null
"$EHR" lock > /dev/null

## the agent killed during a command
PROXY=$E2E_TOOLS_DIR/slowproxy
if [ -x "$PROXY" ]; then
	port=${EHR_RPC_URL##*:}
	for how in asks fails; do
		"$EHR" --wallet pat unlock --passphrase-file "$T/pw2" > "$E2E_OUT"
		AGENT=$(agent_pid)
		rm -f "$T/proxy.port"   # the last proxy's port is not this one's
		"$PROXY" -d 700 -t 30 "$port" > "$T/proxy.port" 2> /dev/null & PROXY_PID=$!
		i=0
		while [ ! -s "$T/proxy.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		n0=$("$CAST" nonce "$PAT")
		if [ $how = asks ]; then src="$T/pw2"; else src=; fi
		env ${src:+EHR_PASSPHRASE_FILE=$src} "$EHR" --wallet pat --rpc "http://127.0.0.1:$(cat "$T/proxy.port")" \
			send "$DEV" 0.001 --yes < /dev/null > "$T/kill.out" 2> "$T/kill.err" & SEND=$!
		sleep 0.3
		kill -9 "$AGENT"
		wait $SEND
		rc=$?
		stop_bg PROXY_PID
		if [ $how = asks ]; then
			check_eq "agent killed during send, a passphrase file at hand: it is used (exit 0)" "$rc" 0
			check_eq "one transaction (cast nonce)" "$("$CAST" nonce "$PAT")" $((n0 + 1))
		else
			check_eq "agent killed during send, no passphrase: exit 3" "$rc" 3
			check_eq "with a clear message" "$(grep -c 'no terminal to ask' "$T/kill.err")" 1
			check_eq "nothing sent (cast nonce)" "$("$CAST" nonce "$PAT")" "$n0"
		fi
	done
	# killed after it gave the keys, before the record's key is opened:
	# record list asks for the keys first, then reads the chain (slowed by
	# the proxy), then opens each key
	"$EHR" --wallet pat unlock --passphrase-file "$T/pw2" > "$E2E_OUT"
	AGENT=$(agent_pid)
	rm -f "$T/proxy.port"
	"$PROXY" -d 1500 -t 30 "$port" > "$T/proxy.port" 2> /dev/null & PROXY_PID=$!
	i=0
	while [ ! -s "$T/proxy.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	fds=$(ls "/proc/$AGENT/fd" | wc -l)
	EHR_PASSPHRASE_FILE="$T/pw2" "$EHR" --wallet pat --registry "$REG" --rpc "http://127.0.0.1:$(cat "$T/proxy.port")" \
		record list < /dev/null > "$T/kill.out" 2> "$T/kill.err" & LIST=$!
	# until the command holds a connection to the agent (it has the keys)
	i=0
	while [ "$(ls "/proc/$AGENT/fd" 2> /dev/null | wc -l)" -le "$fds" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	# and its answer to KEYS is on its way (each node reply takes 1.5 s,
	# so no key is opened before then)
	sleep 0.5
	kill -9 "$AGENT"
	wait $LIST
	check_eq "agent killed after record list got the keys: exit 0" "$?" 0
	stop_bg PROXY_PID
	check_eq "it said so and asked for the passphrase" \
		"$(grep -c 'the unlock agent stopped answering; asking for the passphrase' "$T/kill.err")" 1
	check_eq "and the title opened with the keys unlocked here" "$(grep -c 'Agent title' "$T/kill.out")" 1
	check_exit "a killed agent leaves a stale socket; unlock --status says none answers" 1 "$EHR" unlock --status
	check_exit "and unlock replaces it" 0 "$EHR" --wallet pat unlock --passphrase-file "$T/pw2"
	"$EHR" lock > /dev/null
else
	fail "slowproxy not found at $PROXY (make $PROXY)"
fi

## another user: the agent refuses it (SO_PEERCRED); a command refuses
## another user's agent; the agent is not dumpable
as_user=
if [ "$(id -u)" = 0 ]; then
	command -v setpriv > /dev/null 2>&1 && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups --"
fi
py=$(command -v python3 || true)
if [ -z "$as_user" ] || [ -z "$py" ]; then
	echo "skip - the other-user checks need root, setpriv and python3"
else
	P=$(mktemp -d /tmp/ehr-agent.XXXXXX)
	chown 65534:65534 "$P"
	$as_user sh -c 'umask 077; mkdir "$1/home" "$1/run"; cat > "$1/pw"' sh "$P" < "$T/pw"
	$as_user env EHR_HOME="$P/home" "$EHR" init --kdf interactive --mnemonic-out "$P/m" \
		--passphrase-file "$P/pw" -q
	check_exit "nobody unlocks its wallet" 0 $as_user env EHR_HOME="$P/home" XDG_RUNTIME_DIR="$P/run" \
		"$EHR" unlock --passphrase-file "$P/pw"
	NA=$(agent_pid)
	$as_user sleep 60 & peer=$!
	i=0
	while [ "$(cat "/proc/$peer/comm" 2> /dev/null)" != sleep ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	check_eq "nobody reads its own dumpable sleep's environment (the check works)" \
		"$($as_user cat "/proc/$peer/environ" > /dev/null 2>&1 && echo read)" read
	check_eq "but not its agent's: the agent is not dumpable" \
		"$($as_user cat "/proc/$NA/environ" > /dev/null 2>&1 && echo read || echo refused)" refused
	check_eq "/proc/PID of the agent belongs to root, as for any process not dumpable" \
		"$(stat -c %u "/proc/$NA/status") $(stat -c %u "/proc/$peer/status")" "0 65534"
	check_exit "nobody signs through it" 0 $as_user env EHR_HOME="$P/home" XDG_RUNTIME_DIR="$P/run" \
		"$EHR" sign x < /dev/null
	# root connects to the socket itself (root may enter the directory):
	# the agent sends a refusal at once and closes, serving nothing
	reply=$("$py" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
print(data[5:].decode("ascii", "replace"))' "$P/run/ehr/agent.sock" 2>&1)
	check_eq "another user (root) is refused by the agent (SO_PEERCRED)" "$reply" \
		"refused: it serves user 65534 only"
	check_exit "root's ehr does not use a directory of another user: it asks (3)" 3 \
		env EHR_HOME="$P/home" XDG_RUNTIME_DIR="$P/run" "$EHR" sign x < /dev/null
	check_exit "nobody locks" 0 $as_user env XDG_RUNTIME_DIR="$P/run" "$EHR" lock
	kill $peer 2> /dev/null
	wait $peer 2> /dev/null
	rm -rf "$P"
fi

## without XDG_RUNTIME_DIR: a 0700 directory under /tmp named by the uid
U=$(id -u)
if [ -e "/tmp/ehr-$U" ] && [ ! -O "/tmp/ehr-$U" ]; then
	echo "skip - /tmp/ehr-$U is not this user's"
else
	check_exit "unlock without XDG_RUNTIME_DIR" 0 env -u XDG_RUNTIME_DIR "$EHR" --wallet pat unlock --for 1m \
		--passphrase-file "$T/pw2"
	check_eq "listens in /tmp/ehr-UID, 0700" "$(stat -c %a "/tmp/ehr-$U")" 700
	check_exit "and serves from there" 0 env -u XDG_RUNTIME_DIR "$EHR" --wallet pat sign x < /dev/null
	check_exit "lock" 0 env -u XDG_RUNTIME_DIR "$EHR" lock
fi

finish
