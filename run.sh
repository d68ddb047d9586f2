#!/usr/bin/env bash
# The project's two commands (README.md):
#   ./run.sh demo   install what is missing, build, and run the demo
#   ./run.sh test   install what is missing, build twice (plain, and ASan+UBSan), run every
#                   test in both builds, and end with one line "N passed, N failed"
# Both work first on a fresh Debian 12 machine (as root, or with sudo).
set -euo pipefail
cd "$(dirname "$0")"

cmd=${1:-}
shift || true

setup() {
	./scripts/install-deps.sh
	if [ ! -f build/build.ninja ]; then
		meson setup build --buildtype=debugoptimized >/dev/null
	fi
	ninja -C build >/dev/null
}

case "$cmd" in
demo)
	setup
	exec ./scripts/demo.sh build "$@"
	;;
test)
	setup
	if [ ! -f build-san/build.ninja ]; then
		# gcc's ASan+UBSan; b_lundef=false is meson's documented need for sanitizers.
		meson setup build-san --buildtype=debug -Db_sanitize=address,undefined \
			-Db_lundef=false >/dev/null
	fi
	ninja -C build-san >/dev/null
	status=0
	meson test -C build --print-errorlogs --no-rebuild "$@" || status=1
	# ui: GTK, pango and fontconfig keep font caches for the life of the process, which LSan
	# reports by the thousand with no frame of ours; the ui suite runs in the plain build.
	meson test -C build-san --print-errorlogs --no-rebuild --no-suite slow --no-suite style --no-suite ui "$@" || status=1
	# libFuzzer (clang) on the parsers, briefly: a crash fails the run. Its verdict is one
	# more counted result.
	fuzz_log=build-fuzz/fuzz-results.json
	if [ ! -f build-fuzz/build.ninja ]; then
		CC=clang meson setup build-fuzz --buildtype=debug -Dfuzzing=true \
			-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	fi
	./scripts/run-fuzz.sh build-fuzz "${ALPR_FUZZ_SECONDS:-60}" > "$fuzz_log" || status=1
	python3 scripts/count-tests.py build/meson-logs/testlog.json \
		build-san/meson-logs/testlog.json "$fuzz_log"
	exit $status
	;;
*)
	echo "usage: $0 demo | test [meson test options]" >&2
	exit 2
	;;
esac
