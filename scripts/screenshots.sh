#!/usr/bin/env bash
# Regenerates the README screenshots (docs/screenshots/*.png): from the demo data, the patrol
# window and a hit card, day and night, at the unit's 1280x800. GTK renders them itself (no
# screen grab) on a private Xvfb with the cairo renderer, so they are the same on any machine.
#   scripts/screenshots.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
bin="$build/ui/alpr-ui-demo"
[ -x "$bin" ] || { echo "screenshots: $bin is not built (ninja -C $build)" >&2; exit 1; }
out="$root/docs/screenshots"
mkdir -p "$out"
export ALPR_DATADIR="$root/data" GDK_BACKEND=x11 GSK_RENDERER=cairo ALPR_UI_AUDIO_SINK=fakesink
export NO_AT_BRIDGE=1 ALPR_LOG=error
# xvfb-run picks a free display and cleans up after itself.
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$bin" --screenshots "$out" --size 1280x800

# The live window: the real runtime on the test drive (ui/live-window, which starts its own
# Xvfb): live-patrol-{day,night}.png and live-hitcard-{day,night}.png.
[ -x "$build/tests/test-ui" ] || { echo "screenshots: $build/tests/test-ui is not built" >&2; exit 1; }
ALPR_SCREENSHOTS_DIR="$out" meson test -C "$build" ui/live-window --print-errorlogs >/dev/null
ls "$out"/live-*.png
