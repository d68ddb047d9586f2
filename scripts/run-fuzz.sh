#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS from its seed corpus (copied, so the committed corpus
# only changes by hand) and prints one meson-style JSON result line per target, which
# count-tests.py counts with the test logs. Crash inputs are kept under BUILD/fuzz-crashes/.
set -uo pipefail
build=$1
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
# Every fuzz target the project has (tests/meson.build builds tests/fuzz-NAME with -Dfuzzing).
targets="csv image"
for target in $targets; do
	exe="$build/tests/fuzz-$target"
	# Built here, so a target added to the list can never be run unbuilt.
	if ! ninja -C "$build" "tests/fuzz-$target" >"$build/fuzz-build-$target.log" 2>&1; then
		status=1
		echo "run-fuzz: fuzz-$target does not build; see $build/fuzz-build-$target.log" >&2
		echo "{\"name\": \"fuzz/$target\", \"result\": \"FAIL\", \"runs\": \"0\"}"
		continue
	fi
	corpus="$build/fuzz-corpus-$target"
	crashes="$build/fuzz-crashes/$target"
	mkdir -p "$corpus" "$crashes"
	cp -n "$root/tests/fuzz/corpus-$target"/* "$corpus"/ 2>/dev/null
	log="$build/fuzz-$target.log"
	if ALPR_DATADIR="$root/data" ASAN_OPTIONS=detect_leaks=1 "$exe" "$corpus" \
		-max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$crashes/" >"$log" 2>&1; then
		result=OK
	else
		result=FAIL
		status=1
		echo "run-fuzz: fuzz-$target found a failure; see $log and $crashes" >&2
		tail -30 "$log" >&2
	fi
	runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || true)
	echo "{\"name\": \"fuzz/$target\", \"result\": \"$result\", \"runs\": \"${runs:-?}\"}"
	echo "run-fuzz: fuzz-$target: $result after ${seconds}s" >&2
done
exit $status
