#!/usr/bin/env bash
# Train the project's Tesseract LSTM model for US plate characters (A-Z, 0-9) from scratch
# on synthetic plate text lines (generate.py), with Debian's tesseract-ocr training tools.
#
#   tools/train-ocr/train.sh            # whole pipeline, writes data/ocr/plate.traineddata
#
# Knobs (environment): SEED (1), N_TRAIN (8000), N_TEST (400), N_EASY (2000), ITER_EASY (8000),
# ITERATIONS (20000, total over both stages),
# JOBS (2, for generation and .lstmf only; training is always one process).
# Work files go to tools/train-ocr/work/ (git-ignored). Reproducible from SEED: the data are
# a pure function of SEED; lstmtraining itself is deterministic for the same inputs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$here/work
SEED=${SEED:-1}
N_TRAIN=${N_TRAIN:-8000}
N_TEST=${N_TEST:-400}
N_EASY=${N_EASY:-2000}
ITER_EASY=${ITER_EASY:-8000}
ITERATIONS=${ITERATIONS:-20000}
JOBS=${JOBS:-2}
PY=/usr/bin/python3
NET_BODY='Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx96'
export OMP_THREAD_LIMIT=1

log() { echo "train.sh: $*" >&2; }

mkdir -p "$work"
t0=$(date +%s)

# 1. synthetic data: training and held-out test sets from different seeds (disjoint samples)
if [ ! -f "$work/train/.done" ]; then
	rm -rf "$work/train"
	nice -n 10 $PY "$here/generate.py" --out "$work/train" --count "$N_TRAIN" --seed "$SEED" --jobs "$JOBS"
	touch "$work/train/.done"
fi
if [ ! -f "$work/test/.done" ]; then
	rm -rf "$work/test"
	nice -n 10 $PY "$here/generate.py" --out "$work/test" --count "$N_TEST" --seed "$((SEED + 1000))" --jobs "$JOBS"
	touch "$work/test/.done"
fi

# curriculum stage-1 set: the same plates without warp/degradation (see step 4)
if [ ! -f "$work/easy/.done" ]; then
	rm -rf "$work/easy"
	nice -n 10 $PY "$here/generate.py" --out "$work/easy" --count "$N_EASY" --seed "$((SEED + 500))" --jobs "$JOBS" --easy
	touch "$work/easy/.done"
fi

# 2. .lstmf files (line images + truth) with tesseract's lstm.train config, --psm 13 = raw line
for set in easy train test; do
	if [ ! -f "$work/$set/.lstmf-done" ]; then
		ls "$work/$set"/*.png | sed 's/\.png$//' |
			nice -n 10 xargs -P "$JOBS" -I{} sh -c 'tesseract {}.png {} --psm 13 lstm.train >/dev/null 2>&1'
		touch "$work/$set/.lstmf-done"
	fi
	ls "$work/$set"/*.lstmf >"$work/$set.list"
	log "$set: $(wc -l <"$work/$set.list") .lstmf files"
done

# 3. starter traineddata with a 36-character unicharset (no langdata on Debian: a
#    radical-stroke.txt holding only a comment is enough for combine_lang_model)
mkdir -p "$work/langdata" "$work/lang/plate"
echo "# no radicals: Latin-only plate alphabet" >"$work/langdata/radical-stroke.txt"
echo "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" >"$work/alphabet.txt"
unicharset_extractor --output_unicharset "$work/plate.unicharset" --norm_mode 1 "$work/alphabet.txt" >/dev/null 2>&1
combine_lang_model --input_unicharset "$work/plate.unicharset" --script_dir "$work/langdata" \
	--output_dir "$work/lang" --lang plate >/dev/null 2>&1
# Output layer size = recoder code range: the unicharset's 39 entries (36 + space, Joined,
# Broken) minus one, as Broken doubles as the CTC null ("Null char=2" from combine_lang_model).
# A mismatched size (O1c39) only warns but training then stalls at ~98% error.
nclass=$(($(head -1 "$work/lang/plate/plate.unicharset") - 1))
net="[1,36,0,1 $NET_BODY O1c$nclass]"
log "unicharset size $nclass, net $net"

# 4. train from scratch, one process, niced (shared 2-core machine), in two stages.
#    From scratch on the degraded set alone the net sat in CTC's all-blank phase (~98% error
#    after 15k iterations, twice), so stage 1 learns the glyphs on undegraded lines and
#    stage 2 continues on the realistic set (plus the easy lines, so they are not forgotten).
rm -rf "$work/ckpt1" "$work/ckpt"
mkdir -p "$work/ckpt1" "$work/ckpt"
cat "$work/train.list" "$work/easy.list" >"$work/stage2.list"
t1=$(date +%s)
nice -n 10 lstmtraining --debug_interval 0 \
	--traineddata "$work/lang/plate/plate.traineddata" \
	--net_spec "$net" \
	--model_output "$work/ckpt1/plate" \
	--learning_rate 0.001 \
	--train_listfile "$work/easy.list" \
	--eval_listfile "$work/test.list" \
	--max_iterations "$ITER_EASY" 2>&1 | tee "$work/lstmtraining-stage1.log"
nice -n 10 lstmtraining --debug_interval 0 \
	--traineddata "$work/lang/plate/plate.traineddata" \
	--continue_from "$work/ckpt1/plate_checkpoint" \
	--model_output "$work/ckpt/plate" \
	--train_listfile "$work/stage2.list" \
	--eval_listfile "$work/test.list" \
	--max_iterations "$ITERATIONS" 2>&1 | tee "$work/lstmtraining-stage2.log"
t2=$(date +%s)

# 5. final model: best checkpoint -> traineddata (float, so it can be fine-tuned later)
mkdir -p "$root/data/ocr"
lstmtraining --stop_training --continue_from "$work/ckpt/plate_checkpoint" \
	--traineddata "$work/lang/plate/plate.traineddata" \
	--model_output "$root/data/ocr/plate.traineddata"
log "data+lstmf $((t1 - t0)) s, training $((t2 - t1)) s, model $(stat -c %s "$root/data/ocr/plate.traineddata") bytes"
