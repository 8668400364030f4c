#!/bin/sh
# Faults. ehr killed with SIGKILL at every file system call it makes while
# it writes the wallet file (init, passwd, accounts --add), the config
# (network add, deploy --save-as) and an upload journal, and each of those
# calls failing once (strace fault injection); then killed at growing
# delays without strace. Afterwards every file is its old or its new
# version, never partial; the wallet opens and unlocks with the old or the
# new passphrase; the config parses; a re-run of the upload finishes with
# every record on chain exactly once. The temporaries that kills leave are
# set aside between the runs, put back after the sweep, and one more
# successful run of its command removes them all.
# The node's faults are in node-faults.sh.
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
T_START=$(date +%s)

# The calls that can change a file, and the opens and closes between them.
SET=openat,mkdir,write,fchmod,fsync,fdatasync,close,rename,renameat,renameat2,link,linkat,unlink,unlinkat
HAVE_STRACE=
if command -v strace > /dev/null 2>&1 &&
   strace -f -qq -o /dev/null -e trace=getpid -e inject=getpid:retval=1 true 2> /dev/null; then
	HAVE_STRACE=1
else
	echo "skip: strace is missing or cannot trace here: the per-call sweeps are skipped"
fi

# points < TRACE: "syscall n inject" for every call from the first that
# changes the file system (a create, mkdir, write to a file, fchmod, sync,
# rename, link, unlink) to the end: the n-th call of that name, and whether
# failing it is worth a run (not for reads, closes of what was only read,
# or writes to the terminal).
points() {
	awk '{
		s = $2; sub(/\(.*/, "", s)
		if (s !~ /^[a-z0-9_]+$/) next
		n[s]++
		fd = $2; sub(/^[a-z0-9_]+\(/, "", fd); sub(/,.*/, "", fd); sub(/\).*/, "", fd)
		m = 0
		if (s ~ /^(mkdir|fchmod|fsync|fdatasync|rename|renameat2?|linkat|link|unlinkat|unlink)$/ ||
		    (s == "openat" && $0 ~ /O_CREAT|O_WRONLY|O_RDWR|O_TMPFILE|O_DIRECTORY/) ||
		    (s == "write" && fd > 2))
			m = 1
		if (s == "openat" && m && $NF ~ /^[0-9]+$/) w[$NF] = 1
		if (s == "close" && (fd in w)) { m = 1; delete w[fd] }
		if (m && s != "openat" && s != "close" && s != "write") on = 1
		if (s == "openat" && $0 ~ /O_CREAT|O_TMPFILE/) on = 1
		if (s == "write" && fd > 2) on = 1
		if (on) print s, n[s], m
	}'
}

# The errno each kind of call fails with when a failure is injected.
errno_of() {
	case $1 in
	write) echo ENOSPC ;;
	openat|mkdir) echo EACCES ;;
	fchmod) echo EPERM ;;
	*) echo EIO ;;
	esac
}

SWEEP_P=
# LeakSanitizer cannot run under ptrace: off for the runs under strace.
NOLEAK=ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
SWEEP_OLD=0 SWEEP_NEW=0 SWEEP_KILLS=0 SWEEP_FAILS=0 SWEEP_LATE=0 LEFTOVER=0 REMAIN=0
# sweep WHAT RESTORE CHECK COMMAND...: lists COMMAND's file system calls
# (one run under strace; SWEEP_P="-P PATH" keeps to the calls on PATH), then for each: RESTORE, run COMMAND killed by
# SIGKILL on entering that call, CHECK; RESTORE, run COMMAND with that call
# failing (errno_of), CHECK, and the status and message are checked too.
# CHECK prints "old" or "new" and succeeds, or prints what is wrong.
# Last RESTORE and COMMAND once more, unhindered: no temporary is left.
sweep() {
	_what=$1 _restore=$2 _check=$3
	shift 3
	[ -n "$HAVE_STRACE" ] || return 0
	_t0=$(date +%s)
	$_restore
	# shellcheck disable=SC2086 # SWEEP_P: -P PATH, or nothing
	env "$NOLEAK" strace -f -qq -o "$T/trace" $SWEEP_P -e trace=$SET -e signal=none "$@" > /dev/null 2>&1 < /dev/null
	points < "$T/trace" > "$T/points"
	_n=$(wc -l < "$T/points")
	_bad=0 _old=0 _new=0 _late=0
	_nf=0
	while read -r _sc _k _inj; do
		$_restore
		# shellcheck disable=SC2086
		env "$NOLEAK" strace -f -qq -o /dev/null $SWEEP_P -e trace="$_sc" -e inject="$_sc:signal=KILL:when=$_k" \
			"$@" > /dev/null 2>&1 < /dev/null
		if _state=$($_check); then
			case $_state in old) _old=$((_old + 1)) ;; *) _new=$((_new + 1)) ;; esac
		else
			fail "$_what: killed entering $_sc #$_k: $_state"
			_bad=$((_bad + 1))
		fi
		[ "$_inj" = 1 ] || continue
		_nf=$((_nf + 1))
		$_restore
		_errno=$(errno_of "$_sc")
		# shellcheck disable=SC2086
		env "$NOLEAK" strace -f -qq -o /dev/null $SWEEP_P -e trace="$_sc" -e inject="$_sc:error=$_errno:when=$_k" \
			"$@" > "$T/sweep.out" 2> "$T/sweep.err" < /dev/null
		_rc=$?
		if ! _state=$($_check); then
			fail "$_what: $_sc #$_k failing with $_errno: $_state"
			_bad=$((_bad + 1))
		elif [ $_rc -ge 128 ]; then
			fail "$_what: $_sc #$_k failing with $_errno: exit $_rc: $(head -c 300 "$T/sweep.err")"
			_bad=$((_bad + 1))
		elif [ $_rc = 0 ] && [ "$_state" = old ]; then
			fail "$_what: $_sc #$_k failing with $_errno: exit 0 but nothing changed"
			_bad=$((_bad + 1))
		elif [ $_rc != 0 ] && ! grep -q '^ehr: error: ' "$T/sweep.err"; then
			fail "$_what: $_sc #$_k failing with $_errno: exit $_rc without a message"
			_bad=$((_bad + 1))
		elif [ $_rc != 0 ] && [ "$_state" = new ]; then
			_late=$((_late + 1))   # done, but reported: a sync after the rename failed
		fi
	done < "$T/points"
	SWEEP_KILLS=$((SWEEP_KILLS + _n)) SWEEP_FAILS=$((SWEEP_FAILS + _nf))
	SWEEP_OLD=$((SWEEP_OLD + _old)) SWEEP_NEW=$((SWEEP_NEW + _new)) SWEEP_LATE=$((SWEEP_LATE + _late))
	if [ "$_n" -ge 5 ] && [ $_old -gt 0 ] && [ $_new -gt 0 ]; then
		ok "$_what: killed at each of $_n calls: old $_old times, new $_new times, never partial"
	else
		fail "$_what: $_n kill points, old $_old, new $_new (want some of each)"
	fi
	[ $_bad = 0 ] && ok "$_what: each of $_nf writing calls failing once: a clear error, old or new"
	after_one_more_run "$_what" "$_restore" "$@"
	echo "# $_what: $(($(date +%s) - _t0)) s"
}

# The temporary files a killed run leaves beside FILE must be 0600 like
# the file: prints those that are not. leftovers_aside moves them out of
# the way of the next run (which would remove them), leftovers_back puts
# them all back where they were; LEFTOVER counts them.
leftovers() {
	for _f in "$1".tmp-*; do
		[ -e "$_f" ] || continue
		[ "$(stat -c %a "$_f")" = 600 ] || echo "leftover $_f is mode $(stat -c %a "$_f")"
	done
}
mkdir "$T/aside"
: > "$T/aside.list"
leftovers_aside() {
	for _f in "$1".tmp-*; do
		[ -e "$_f" ] || continue
		LEFTOVER=$((LEFTOVER + 1))
		mv "$_f" "$T/aside/$LEFTOVER" && echo "$LEFTOVER $_f" >> "$T/aside.list"
	done
}
leftovers_back() {
	while read -r _n _f; do
		mv "$T/aside/$_n" "$_f"
	done < "$T/aside.list"
	: > "$T/aside.list"
}
# All the temporaries (NAME.tmp-PID-RAND) in the directories of the files
# written here.
temporaries() {
	find "$EHR_HOME" "$W" "$T" -maxdepth 1 -name '*.tmp-[1-9]*-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' \
		2> /dev/null | sort
}

# after_one_more_run WHAT RESTORE COMMAND...: after a sweep, one more run
# that is neither killed nor failed removes every leftover temporary.
after_one_more_run() {
	_w=$1 _r=$2
	shift 2
	$_r
	leftovers_back
	_before=$(temporaries | wc -l)
	"$@" > /dev/null 2> "$T/more.err" < /dev/null || fail "$_w: one more run: $(head -c 300 "$T/more.err")"
	# A killed writer's PID may belong to a new process by now (pid_max is
	# often 32768): its temporary is rightly kept, and not counted.
	_after=0
	for _f in $(temporaries); do
		_p=${_f##*.tmp-} && _p=${_p%-*}
		if kill -0 "$_p" 2> /dev/null; then
			echo "# $_f kept: pid $_p is a process again"
		else
			_after=$((_after + 1))
		fi
	done
	REMAIN=$((REMAIN + _after))
	check_eq "$_w: one more run removes the $_before temporaries killed runs left" "$_after" 0
	[ "$_after" = 0 ] || temporaries | sed 's/^/    /'
}

printf 'first faults test passphrase\n' > "$T/pw1"
printf 'second faults test passphrase\n' > "$T/pw2"
export EHR_PASSPHRASE_FILE="$T/pw1"
W=$EHR_HOME/wallets
C=$EHR_HOME/config.json

## the wallet file: init
init_restore() { rm -f "$W/w.json" "$T/w-m"; leftovers_aside "$W/w.json"; leftovers_aside "$T/w-m"; }
init_check() {
	_l=$(leftovers "$W/w.json")
	[ -z "$_l" ] || { echo "$_l"; return 1; }
	if [ ! -e "$W/w.json" ]; then
		echo old
		return 0
	fi
	[ "$(stat -c %a "$W/w.json")" = 600 ] || { echo "wallet mode $(stat -c %a "$W/w.json")"; return 1; }
	"$EHR" --wallet w accounts > /dev/null 2>&1 < /dev/null || { echo "the new wallet does not open"; return 1; }
	"$EHR" --wallet w sign x > /dev/null 2>&1 < /dev/null || { echo "the new wallet does not unlock"; return 1; }
	[ "$(wc -w < "$T/w-m" 2> /dev/null)" = 24 ] || { echo "a wallet without its mnemonic file"; return 1; }
	[ -e "$W/r.json" ] && { echo new; return 0; }   # the words were checked once
	"$EHR" --wallet r restore --kdf interactive --mnemonic-file "$T/w-m" -q > /dev/null 2>&1 < /dev/null
	[ "$("$EHR" --wallet r address 2>&1)" = "$("$EHR" --wallet w address 2>&1)" ] ||
		{ echo "the mnemonic file does not restore the wallet"; return 1; }
	echo new
}
sweep "init" init_restore init_check "$EHR" --wallet w init --kdf interactive --mnemonic-out "$T/w-m" -q

## passwd: the old or the new passphrase unlocks, never neither
init_restore
"$EHR" --wallet w init --kdf interactive --mnemonic-out "$T/w-m" -q
cp "$W/w.json" "$T/w.old"
ADDR=$("$EHR" --wallet w address)
passwd_restore() { cp "$T/w.old" "$W/w.json"; leftovers_aside "$W/w.json"; }
passwd_check() {
	_l=$(leftovers "$W/w.json")
	[ -z "$_l" ] || { echo "$_l"; return 1; }
	if cmp -s "$W/w.json" "$T/w.old"; then
		echo old
		return 0
	fi
	[ "$("$EHR" --wallet w address 2>&1 < /dev/null)" = "$ADDR" ] || { echo "the changed wallet does not open"; return 1; }
	"$EHR" --wallet w --passphrase-file "$T/pw2" sign x > /dev/null 2>&1 < /dev/null ||
		{ echo "changed, and the new passphrase does not unlock it"; return 1; }
	echo new
}
sweep "passwd" passwd_restore passwd_check "$EHR" --wallet w passwd --new-passphrase-file "$T/pw2" --kdf interactive

## accounts --add: five accounts or seven
accounts_check() {
	_l=$(leftovers "$W/w.json")
	[ -z "$_l" ] || { echo "$_l"; return 1; }
	if cmp -s "$W/w.json" "$T/w.old"; then
		echo old
		return 0
	fi
	_k=$("$EHR" --wallet w accounts --json 2> /dev/null < /dev/null | grep -c '"address"')
	[ "$_k" = 7 ] || { echo "changed, with $_k accounts"; return 1; }
	"$EHR" --wallet w sign x > /dev/null 2>&1 < /dev/null || { echo "changed, and does not unlock"; return 1; }
	echo new
}
sweep "accounts --add" passwd_restore accounts_check "$EHR" --wallet w accounts --add 2

## the config: network add, first into no config and then into one
net_restore() { if [ -e "$T/c.old" ]; then cp "$T/c.old" "$C"; else rm -f "$C"; fi; leftovers_aside "$C"; }
net_check() {
	_l=$(leftovers "$C")
	[ -z "$_l" ] || { echo "$_l"; return 1; }
	if [ -e "$T/c.old" ] && cmp -s "$C" "$T/c.old"; then echo old; return 0; fi
	if [ ! -e "$T/c.old" ] && [ ! -e "$C" ]; then echo old; return 0; fi
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$C" 2> /dev/null ||
		{ echo "the config does not parse: $(head -c 200 "$C")"; return 1; }
	"$EHR" network list --json 2> /dev/null < /dev/null | grep -q '"name":[^"]*"net2"' ||
		{ echo "the changed config lacks the new network"; return 1; }
	echo new
}
rm -f "$T/c.old"
sweep "network add (new config)" net_restore net_check "$EHR" network add net2 --rpc http://127.0.0.1:9 --chain-id 7
rm -f "$C"
"$EHR" network add net1 --rpc http://127.0.0.1:8 --chain-id 5 --default -q
cp "$C" "$T/c.old"
sweep "network add" net_restore net_check "$EHR" network add net2 --rpc http://127.0.0.1:9 --chain-id 7

## killed at growing delays, no strace: passwd back and forth
start_ms=$(date +%s%N)
"$EHR" --wallet w passwd --new-passphrase-file "$T/pw2" --kdf interactive -q < /dev/null
dur=$((($(date +%s%N) - start_ms) / 1000000))
"$EHR" --wallet w --passphrase-file "$T/pw2" passwd --new-passphrase-file "$T/pw1" --kdf interactive -q < /dev/null
cp "$W/w.json" "$T/w.old"
late_old=0 late_new=0 late_bad=0
for i in $(seq 0 14); do
	passwd_restore
	"$EHR" --wallet w passwd --new-passphrase-file "$T/pw2" --kdf interactive -q < /dev/null > /dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v i="$i" -v d="$dur" 'BEGIN { printf "%.4f", i * d * 1.2 / 14 / 1000 }')"
	kill -9 $pid 2> /dev/null
	wait $pid 2> /dev/null
	if state=$(passwd_check); then
		case $state in old) late_old=$((late_old + 1)) ;; *) late_new=$((late_new + 1)) ;; esac
	else
		fail "passwd killed after $i/14 of its run: $state"
		late_bad=$((late_bad + 1))
	fi
done
[ $late_bad = 0 ] && ok "passwd killed at 15 delays over ${dur} ms: old $late_old, new $late_new, never partial"
SWEEP_KILLS=$((SWEEP_KILLS + 15))
after_one_more_run "passwd killed at delays" passwd_restore \
	"$EHR" --wallet w passwd --new-passphrase-file "$T/pw2" --kdf interactive -q

## whose leftovers a write removes: those of its own file whose writer is
## gone; not a live writer's (a sleep's PID stands for one), not another
## file's, not a symlink or another name
sleep 300 &
LIVE=$!
DEAD=$(sh -c 'echo $$')
if kill -0 "$DEAD" 2> /dev/null; then
	echo "skip: pid $DEAD came back at once"
else
	for _f in "$C.tmp-$LIVE-0badc0de" "$C.tmp-$DEAD-0badc0de" "$C.tmp-$DEAD-0BADC0DE" "$C.tmp-$DEAD-0badc0d" \
		"$W/w.json.tmp-$DEAD-0badc0de" "$C.bak.tmp-$DEAD-0badc0de"; do
		printf 'leftover\n' > "$_f"
		chmod 600 "$_f"
	done
	printf 'outside\n' > "$T/outside"
	ln -s "$T/outside" "$C.tmp-$DEAD-5ca1ab1e"
	check_exit "network add with leftovers beside the config" 0 \
		"$EHR" network add net3 --rpc http://127.0.0.1:10 --chain-id 9 -q
	check_eq "the temporary of a gone writer ($DEAD) is removed" "$(ls "$C.tmp-$DEAD-0badc0de" 2> /dev/null)" ""
	check_eq "the temporary of a live writer ($LIVE) is kept" "$(cat "$C.tmp-$LIVE-0badc0de" 2> /dev/null)" leftover
	_kept=0
	for _f in "$C.tmp-$DEAD-0BADC0DE" "$C.tmp-$DEAD-0badc0d" "$W/w.json.tmp-$DEAD-0badc0de" \
		"$C.bak.tmp-$DEAD-0badc0de" "$C.tmp-$DEAD-5ca1ab1e" "$T/outside"; do
		[ -e "$_f" ] || [ -L "$_f" ] && _kept=$((_kept + 1))
	done
	check_eq "other names, other files' temporaries and a symlink are kept" "$_kept" 6
	check_eq "the symlink's target is untouched" "$(cat "$T/outside")" outside
	kill "$LIVE"
	wait "$LIVE" 2> /dev/null
	check_exit "network remove, once the live writer is gone" 0 "$EHR" network remove net3 -q
	check_eq "its temporary goes with the next write" "$(ls "$C.tmp-$LIVE-0badc0de" 2> /dev/null)" ""
	rm -f "$C.tmp-$DEAD-0BADC0DE" "$C.tmp-$DEAD-0badc0d" "$W/w.json.tmp-$DEAD-0badc0de" \
		"$C.bak.tmp-$DEAD-0badc0de" "$C.tmp-$DEAD-5ca1ab1e"
fi
kill "$LIVE" 2> /dev/null

## against a node: deploy --save-as and an upload journal
T_ANVIL=$(date +%s)
chain_setup --dump-state "$T/state.json"
export EHR_REGISTRY="$REG"
cp "$C" "$T/c2.old"
deploy_restore() { cp "$T/c2.old" "$C"; leftovers_aside "$C"; }
deploy_check() {
	_l=$(leftovers "$C")
	[ -z "$_l" ] || { echo "$_l"; return 1; }
	if cmp -s "$C" "$T/c2.old"; then echo old; return 0; fi
	_r=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["networks"]["faultnet"]["registry"])' \
		"$C" 2> /dev/null) || { echo "the config does not parse or lacks faultnet: $(head -c 300 "$C")"; return 1; }
	[ "$("$CAST" code "$_r" 2> /dev/null | wc -c)" -gt 100 ] || { echo "faultnet's registry $_r has no code"; return 1; }
	echo new
}
sweep "deploy --save-as" deploy_restore deploy_check "$EHR" --wallet dev deploy --save-as faultnet --yes -q
deploy_restore

new_wallets lab pat
LAB=$("$EHR" --wallet lab address)
PAT=$("$EHR" --wallet pat address)
"$EHR" --wallet pat grant "$LAB" --write --for 7d --yes -q > /dev/null
count() { "$CAST" call "$REG" 'recordCount()(uint256)'; }
nonce() { "$CAST" nonce "$1"; }

# The journal: a fresh pair of files each time (new items), killed or
# failing at each call, then the same command again: both records once.
up_restore() {
	rm -rf "$T/up" "$T/up.journal"
	mkdir -p "$T/up"
	head -c 3000 /dev/urandom > "$T/up/a.bin"
	head -c 70000 /dev/urandom > "$T/up/b.bin"
}
up_restore_n() { up_restore; UP_N0=$(count); }
up_check() {
	if [ -e "$T/up.journal" ] && ! python3 -c '
import json, sys
data = open(sys.argv[1], "rb").read()
for line in data.split(b"\n")[:-1]:   # the last piece: empty, or a torn line
	json.loads(line)' "$T/up.journal" 2> /dev/null; then
		echo "a journal line does not parse: $(head -c 300 "$T/up.journal")"
		return 1
	fi
	_n1=$(count)
	"$EHR" --wallet lab upload --patient "$PAT" "$T/up" --journal "$T/up.journal" --window 1 --yes -q \
		> /dev/null 2> "$T/up.err" < /dev/null || { echo "the re-run failed: $(cat "$T/up.err")"; return 1; }
	_n2=$(count)
	[ $((_n2 - UP_N0)) = 2 ] || { echo "$((_n2 - UP_N0)) records on chain after the re-run, want 2"; return 1; }
	[ "$_n1" = "$UP_N0" ] && echo old || echo new
}
SWEEP_P="-P $T/up.journal"
sweep "upload journal" up_restore_n up_check "$EHR" --wallet lab upload --patient "$PAT" "$T/up" \
	--journal "$T/up.journal" --window 1 --yes -q
SWEEP_P=

echo "# file sweeps: $SWEEP_KILLS kills, $SWEEP_FAILS injected failures; old $SWEEP_OLD, new $SWEEP_NEW," \
	"$SWEEP_LATE failures reported after the new version was in place;" \
	"$LEFTOVER temporary files left by kills, $REMAIN after one more run"
echo "# times: files $((T_ANVIL - T_START)) s, against anvil $(($(date +%s) - T_ANVIL)) s"
finish
