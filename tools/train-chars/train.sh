#!/usr/bin/env bash
# Trains the plate character classifier from scratch and writes data/ocr/chars.cnn.
#
#   tools/train-chars/train.sh        # knobs (environment): SEED (1), N_GLYPHS (100000),
#                                     # N_SCENES (7000), EPOCHS (8), JOBS (2)
#
# 1. gen_chars.py: N_GLYPHS single-character patches rendered directly (fonts from Debian
#    packages, neighbours, frame edges, state-name fragments, degradation), 12% of them "not a
#    character"; a held-out set from another seed.
# 2. gen_scenes.py + dump-patches: N_SCENES whole synthetic plates (tools/train-ocr's
#    renderer) in camera-like scenes, segmented and cut by the recognizer's own C code; the
#    scenes whose row splits into exactly as many pieces as the plate has characters give
#    labelled patches. These look most like what the unit sees, so they count twice.
# 3. train.py: the net, on one thread; exported after every epoch.
# Work files go to tools/train-chars/work/ (git-ignored). Needs a built tree (build/) for
# dump-patches, and python3-torch (scripts/install-deps.sh --training).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$here/work
SEED=${SEED:-1}
N_GLYPHS=${N_GLYPHS:-100000}
N_SCENES=${N_SCENES:-7000}
EPOCHS=${EPOCHS:-8}
JOBS=${JOBS:-2}
PY=/usr/bin/python3
mkdir -p "$work"
cd "$here"
[ -f "$work/train.npz" ] || $PY gen_chars.py --out "$work/train.npz" --count "$N_GLYPHS" --seed "$SEED" --jobs "$JOBS"
[ -f "$work/test.npz" ] || $PY gen_chars.py --out "$work/test.npz" --count 5000 --seed "$((SEED + 1000))" --jobs "$JOBS"
if [ ! -f "$work/scenes.npz" ]; then
	$PY gen_scenes.py --out "$work/scenes" --count "$N_SCENES" --seed "$((SEED + 10))" --jobs "$JOBS"
	"$root/build/tools/dump-patches" "$work/scenes/list.tsv" "$work/scenes.bin"
	$PY bin2npz.py "$work/scenes.bin" "$work/scenes.npz"
fi
$PY train.py --train "$work/train.npz" "$work/scenes.npz" --repeat-last 2 --test "$work/test.npz" \
	--out "$work/chars.cnn" --epochs "$EPOCHS" --seed "$SEED"
cp "$work/chars.cnn" "$root/data/ocr/chars.cnn"
echo "train.sh: wrote data/ocr/chars.cnn ($(stat -c %s "$root/data/ocr/chars.cnn") bytes)"
