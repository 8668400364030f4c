#!/bin/sh
# make bench: every benchmark against its peer in the same run, alternating
# runs, then one table. Timings are reported, never asserted.
#
#	sh bench/run.sh [NAME...]	(NAME: startup, address, consult...; default all)
#
# Each benchmark is a file bench/NN-NAME.sh, sourced in order into this shell
# with the helpers of bench/lib.sh; to add one, add a file. They share one
# anvil on a free loopback port, started here and stopped by its pid.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$EHR" ] || die "$EHR is not built (make)"
[ -x "$MEASURE" ] || die "$MEASURE is not built (make bench builds it)"
{ [ -x "$CAST" ] && [ -x "$ANVIL" ]; } || die "cast and anvil are missing (make deps)"

start_anvil
echo "bench: anvil (pid $ANVIL_PID) at $ANVIL_URL; scratch in $BENCH_TMP" >&2

for f in "$BENCH_ROOT"/bench/[0-9]*.sh; do
	name=${f##*/}
	name=${name%.sh}
	name=${name#*-}
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	echo "bench: $name" >&2
	# shellcheck disable=SC1090
	. "$f"
done
stop_anvil

echo
echo "ehr $("$EHR" --version | sed 's/^ehr //') vs $("$CAST" --version | head -n 1 | sed 's/Version: //');" \
	"$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU" \
	"($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r)"
echo "times are medians of wall time unless the row says total; peer/ehr > 1: ehr is faster;"
echo "RSS: the highest peak resident set size of any run (wait4)."
echo
print_table
