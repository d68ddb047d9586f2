#!/usr/bin/env bash
# README's first command, as a test: the demo patrol must read the vehicles and raise each kind
# of hit, with no false hit. (It broke once without any test noticing: 925fc17.)
#   test-demo.sh BUILD [headless|window]
# window: on a private Xvfb (xvfb-run), as with a display: the patrol window opens, nobody
# signs in, it closes when the drive ends (ALPR_DEMO_CLOSE_AT_END), and the summary must be
# the same.
set -uo pipefail
build=$1
mode=${2:-headless}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [ "$mode" = window ]; then
	run=(xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp"
		env ALPR_DEMO_CLOSE_AT_END=1 GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1
		"$root/scripts/demo.sh" "$build")
else
	run=(env -u DISPLAY -u WAYLAND_DISPLAY "$root/scripts/demo.sh" "$build")
fi
if ! timeout 900 "${run[@]}" >"$out" 2>&1; then
	echo "demo: scripts/demo.sh failed:" >&2
	tail -20 "$out" >&2
	exit 1
fi
fail=0
if [ "$mode" = window ] && ! grep -q "^== The patrol: alpr-unit's patrol window" "$out"; then
	echo "demo: no patrol window with a display:" >&2
	grep -E '^ +\(the window did not open' "$out" >&2
	fail=1
fi
line=$(grep -E '^Vehicles passed: ' "$out")
recall=$(echo "$line" | sed -n 's/.*(recall \([0-9.]*\)%).*/\1/p')
if [ -z "$recall" ] || ! awk -v r="$recall" 'BEGIN { exit !(r >= 95) }'; then
	echo "demo: recall below 95%: $line" >&2
	fail=1
fi
if ! grep -qE '^Hits: .*false hits: 0$' "$out"; then
	echo "demo: false hits: $(grep -E '^Hits: ' "$out")" >&2
	fail=1
fi
for kind in exact lookalike otherstate edit; do
	if ! grep -qE "^ +$kind .*-> HIT " "$out"; then
		echo "demo: no hit for the '$kind' vehicle" >&2
		fail=1
	fi
done
for kind in expired refused; do
	if ! grep -qE "^ +$kind .*-> read, no hit" "$out"; then
		echo "demo: the '$kind' vehicle must be read and raise no hit" >&2
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "demo: $line"
exit $fail
