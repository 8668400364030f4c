#!/bin/sh
# Runs libFuzzer targets, each for SECONDS, from its committed seeds
# (fuzz/corpus/NAME/, read only) and a working corpus that grows from run
# to run ($FUZZ_WORK/corpus/NAME/, default build-fuzz/work). Prints one line
# per target (executions, new corpus size) and "N passed, N failed"; a
# target that crashed, leaked, timed out on an input (10 s) or broke a
# FUZZ_ASSERT fails, and its input is kept in $FUZZ_WORK/artifacts/.
#
#   fuzz/run.sh BIN_DIR SECONDS [NAME...]     (make fuzz FUZZ_SECONDS=N)
#
# Reproduce a failure with: BIN_DIR/fuzz_NAME ARTIFACT
set -u
cd "$(dirname "$0")/.."

bin=${1:?usage: fuzz/run.sh BIN_DIR SECONDS [NAME...]}
secs=${2:?usage: fuzz/run.sh BIN_DIR SECONDS [NAME...]}
shift 2
work=${FUZZ_WORK:-build-fuzz/work}
if [ $# -gt 0 ]; then
	names=$*
else
	names=$(cd "$bin" && ls fuzz_* | grep -v '\.d$' | sed 's/^fuzz_//')
fi
[ -n "$names" ] || { echo "fuzz: no targets in $bin" >&2; exit 1; }

pass=0 fail=0 total=0 started=$(date +%s)
mkdir -p "$work/artifacts"
for n in $names; do
	mkdir -p "$work/corpus/$n"
	log=$work/$n.log
	seeds=fuzz/corpus/$n
	[ -d "$seeds" ] || seeds=
	# shellcheck disable=SC2086
	"$bin/fuzz_$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/$n-" \
		"$work/corpus/$n" $seeds > "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	runs=${runs:-0}
	total=$((total + runs))
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		printf 'ok    %-16s %10s runs  corpus %s\n' "$n" "$runs" \
			"$(ls "$work/corpus/$n" | wc -l)"
	else
		fail=$((fail + 1))
		printf 'FAIL  %-16s %10s runs  (exit %s, log %s)\n' "$n" "$runs" "$rc" "$log"
		grep -E 'ERROR|fuzz property|SUMMARY|Test unit written|^(0x|MS:)' "$log" | head -n 8 |
			sed 's/^/      /'
	fi
done
echo "fuzzed $((pass + fail)) targets, $total runs in $(( $(date +%s) - started )) s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
