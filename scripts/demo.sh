#!/usr/bin/env bash
# The demo patrol (README's first command runs it through ./run.sh demo).
#
# 1. Builds the demo drive once (tools/gen-demo-drive.py, fixed seed): front and rear camera
#    video, 720p at 15 fps, day to night, and the truth of every vehicle pass. Kept in
#    BUILD/demo-drive and rebuilt only when the generator changes.
# 2. Writes the route as NMEA (tools/gen-nmea.py, fixed seed, starting now) and replays it
#    through gpsd's own gpsfake on a free port, as a receiver would feed gpsd.
# 3. Imports the demo hotlist (data/demo/hotlist.csv: an exact hit, a look-alike, a plate
#    listed for another state, an expired entry, a refused category, a one-character edit).
# 4. Runs alpr-unit on both cameras in real time: the patrol window when a display exists
#    (DISPLAY or WAYLAND_DISPLAY; sign in as officer 4471, PIN 2580; close it to end),
#    otherwise --headless, printing each event as it comes.
# 5. Ends with a summary: reads, hits by kind, vehicles passed but not read.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=/usr/bin/python3 # Debian's, with python3-pil and python3-numpy
unit="$build/app/alpr-unit"
hl="$build/tools/alpr-hotlist" # defined in tools/meson.build (after sync/, which it links)
for b in "$unit" "$hl"; do
	[ -x "$b" ] || { echo "demo: $b is not built (run ./run.sh demo)" >&2; exit 1; }
done
export ALPR_DATADIR="$root/data"

drive="$build/demo-drive"
# The build folder may be given relative to the source tree (./run.sh) or absolute (the test).
case "$drive" in /*) drive_abs=$drive ;; *) drive_abs=$root/$drive ;; esac
stamp=$(sha256sum tools/gen-demo-drive.py | cut -c1-16)
if [ ! -f "$drive/stamp" ] || [ "$(cat "$drive/stamp")" != "$stamp" ]; then
	echo "== Building the demo drive (once; about two minutes) =="
	rm -rf "$drive"
	"$py" tools/gen-demo-drive.py --out "$drive.part"
	echo "$stamp" > "$drive.part/stamp"
	mv "$drive.part" "$drive"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/alpr-demo-XXXXXX")
fake=
cleanup() {
	if [ -n "$fake" ]; then
		kill -- -"$fake" 2>/dev/null || true
		wait "$fake" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# GPS: the route starts now, so GPS time and the cameras' clock agree as in the car.
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$(date -u -d '+1 second' +%Y-%m-%dT%H:%M:%SZ)
"$py" tools/gen-nmea.py --seed 7 --duration 90 --start "$start" --out "$work/drive.nmea"
# Two sentences per epoch at 0.45 s each: GPS time runs a little ahead of the cameras, so
# the fix around a read's capture time has always arrived when the read is tagged.
setsid gpsfake -1 -q -P "$port" -c 0.45 "$work/drive.nmea" > "$work/gpsfake.log" 2>&1 &
fake=$!
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

"$hl" --db "$work/hotlist" import data/demo/hotlist.csv --list state --source ncic \
	| sed 's/^/   /'

args=(--camera "front=file:$drive_abs/front.webm" --camera "rear=file:$drive_abs/rear.webm"
	--hotlist "$work/hotlist" --store "$work/store" --gps "127.0.0.1:$port" --realtime
	--status-interval 10)

# The window when a display exists (ALPR_DEMO_HEADLESS=1 forces the JSON printer): the
# officer signs in (demo officer 4471, PIN 2580) and handles the hits; the window stays
# after the drive ends, until it is closed (ALPR_DEMO_CLOSE_AT_END=1: it closes itself then,
# for tests). Its events go to the same follower, so the summary is the same either way.
mode=headless
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${ALPR_DEMO_HEADLESS:-}" ]; then
	mode=window
	wargs=(--officers data/demo/officers --events-out -)
	[ -z "${ALPR_DEMO_CLOSE_AT_END:-}" ] || wargs+=(--close-at-end)
	echo
	echo "== The patrol: alpr-unit's patrol window, front and rear cameras, GPS from gpsd =="
	echo "   Sign in as officer 4471, PIN 2580. Close the window to end the demo."
	set +e
	"$unit" "${args[@]}" "${wargs[@]}" 2> >(tee "$work/window.err" >&2) |
		"$py" tools/demo-summary.py follow "$work/events.jsonl"
	rc=${PIPESTATUS[0]}
	set -e
	if [ "$rc" -ne 0 ]; then
		# No window after all (a display that does not answer): say why, run headless.
		echo "   (the window did not open: $(grep -m1 '^alpr-unit: ' "$work/window.err" |
			sed 's/^alpr-unit: //'); running headless)"
		mode=headless
	fi
fi

if [ "$mode" = headless ]; then
	echo
	echo "== The patrol: alpr-unit --headless, front and rear cameras, GPS from gpsd =="
	"$unit" --headless "${args[@]}" | "$py" tools/demo-summary.py follow "$work/events.jsonl"
fi
[ -z "${ALPR_DEMO_KEEP:-}" ] || cp "$work/events.jsonl" "$ALPR_DEMO_KEEP"
echo
"$py" tools/demo-summary.py summary "$work/events.jsonl" "$drive/truth.csv"
