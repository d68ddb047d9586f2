#!/usr/bin/python3
"""Evaluate the plate OCR model against stock Tesseract `eng`.

Two inputs:
  * the held-out synthetic test set (tools/train-ocr/work/test, made by train.sh with seed
    SEED+1000): already text lines;
  * the real cropped plates in ../shared/eval/plates-dev (groundtruth.csv: file,state,plate).
    Each crop is a whole plate (frame, state name, slogans), so the character line is cut out
    first by find_text_band() below: connected components of a locally thresholded image
    (both polarities) whose height is 25-80% of the plate height and that are taller than
    wide; the largest group of components with similar height and vertical centre is the
    character row; band = 20th-percentile top .. 80th-percentile bottom, padded by 12% of the
    character height vertically and 80% horizontally (a character missed by the filter at
    either end is still inside). No component group -> fixed band
    (rows 22%..85%, full width).

Reads are normalised to A-Z0-9. Metrics: exact-plate rate and character error rate (CER =
edit distance / ground-truth characters). Real-photo crops are written to a temporary
folder outside the repository and deleted afterwards (the photos must not enter the repo).

  /usr/bin/python3 tools/train-ocr/evaluate.py [--model data/ocr/plate.traineddata]
"""
import argparse
import collections
import csv
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def norm(s):
    return "".join(c for c in s.upper() if c in ALNUM)


def edit_ops(a, b):
    """Levenshtein distance and list of (truth char, read char) substitutions."""
    n, m = len(a), len(b)
    d = np.zeros((n + 1, m + 1), int)
    d[:, 0] = range(n + 1)
    d[0, :] = range(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
    subs = []
    i, j = n, m
    while i > 0 and j > 0:
        if d[i, j] == d[i - 1, j - 1] + (a[i - 1] != b[j - 1]):
            if a[i - 1] != b[j - 1]:
                subs.append((a[i - 1], b[j - 1]))
            i, j = i - 1, j - 1
        elif d[i, j] == d[i - 1, j] + 1:
            subs.append((a[i - 1], "∅"))
            i -= 1
        else:
            subs.append(("∅", b[j - 1]))
            j -= 1
    subs += [(a[k], "∅") for k in range(i)] + [("∅", b[k]) for k in range(j)]
    return int(d[n, m]), subs


def find_text_band(gray):
    """Return (x0, y0, x1, y1) of the character row in a whole-plate crop (grey array)."""
    H, W = gray.shape
    g = ndimage.gaussian_filter(gray.astype(np.float32), 0.8)
    local = ndimage.uniform_filter(g, size=max(15, H // 3))
    best = None
    for dark in (True, False):
        mask = (g < local - 8) if dark else (g > local + 8)
        lab, n = ndimage.label(mask)
        comps = []
        for k, sl in enumerate(ndimage.find_objects(lab), 1):
            if sl is None:
                continue
            h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
            if not (0.25 * H <= h <= 0.8 * H and 2 <= w <= 0.3 * W and h >= 1.0 * w):
                continue
            fill = (lab[sl] == k).sum() / float(h * w)
            if not 0.12 <= fill <= 0.95:
                continue
            comps.append((sl[0].start, sl[0].stop, sl[1].start, sl[1].stop))
        best_grp = []
        for c in comps:
            hc, yc = c[1] - c[0], (c[0] + c[1]) / 2
            grp = [o for o in comps if abs((o[0] + o[1]) / 2 - yc) < 0.25 * hc
                   and 0.75 <= (o[1] - o[0]) / hc <= 1.33]
            if len(grp) > len(best_grp):
                best_grp = grp
        if best_grp and (best is None or len(best_grp) > len(best)):
            best = best_grp
    if not best or len(best) < 2:
        return 0, int(0.22 * H), W, int(0.85 * H), False
    tops = np.array([c[0] for c in best])
    bots = np.array([c[1] for c in best])
    top, bot = np.percentile(tops, 20), np.percentile(bots, 80)
    ch = bot - top
    x0 = min(c[2] for c in best) - 0.8 * ch
    x1 = max(c[3] for c in best) + 0.8 * ch
    return (max(0, int(x0)), max(0, int(top - 0.12 * ch)), min(W, int(x1)), min(H, int(bot + 0.12 * ch)), True)


def ocr_batch(images, lang, tessdata, psm, whitelist):
    """Run one tesseract process over a list of images; returns normalised reads."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(images) + "\n")
        lst = f.name
    cmd = ["tesseract", lst, "stdout", "-l", lang, "--psm", str(psm)]
    if tessdata:
        cmd[3:3] = ["--tessdata-dir", tessdata]
    if whitelist:
        cmd += ["-c", "tessedit_char_whitelist=" + ALNUM]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env).stdout
    os.unlink(lst)
    pages = out.split("\f")
    if len(pages) < len(images):
        sys.exit(f"evaluate.py: tesseract returned {len(pages)} pages for {len(images)} images: {' '.join(cmd)}")
    return [norm(p) for p in pages[:len(images)]]


def score(truths, reads):
    errs = chars = exact = 0
    conf = collections.Counter()
    for t, r in zip(truths, reads):
        e, subs = edit_ops(t, r)
        errs += e
        chars += len(t)
        exact += t == r
        conf.update(subs)
    return exact / len(truths), errs / chars, conf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "data/ocr/plate.traineddata"))
    ap.add_argument("--test", action="append",
                    help="synthetic test folder(s) of .png + .gt.txt (default: work/test and work/mildtest)")
    ap.add_argument("--no-whole", action="store_true", help="skip the whole-crop runs on plates-dev")
    ap.add_argument("--no-eng", action="store_true", help="skip stock eng (its figures do not change)")
    ap.add_argument("--psm", type=int, action="append", help="page segmentation mode(s) for our model (default 13 and 7)")
    ap.add_argument("--plates", default=os.path.join(ROOT, "..", "shared/eval/plates-dev"))
    ap.add_argument("--report", default=os.path.join(HERE, "work/eval"), help="per-image reads go here")
    a = ap.parse_args()
    model_dir = os.path.dirname(os.path.abspath(a.model))
    model = os.path.basename(a.model).replace(".traineddata", "")
    os.makedirs(a.report, exist_ok=True)
    rows = []

    have_model = os.path.exists(a.model)
    if not have_model:
        print(f"evaluate.py: {a.model} missing: scoring stock eng only", file=sys.stderr)

    def run(name, images, truths, lang, tessdata, psm, wl, ids):
        if lang == model and not have_model:
            return
        if lang == "eng" and a.no_eng:
            return
        if lang == model and a.psm and psm not in a.psm:
            return
        reads = ocr_batch(images, lang, tessdata, psm, wl)
        ex, cer, conf = score(truths, reads)
        rows.append((name, len(images), ex, cer, conf))
        with open(os.path.join(a.report, name.replace(" ", "_").replace("/", "-") + ".tsv"), "w") as f:
            f.write("id\ttruth\tread\n")
            for i, t, r in zip(ids, truths, reads):
                f.write(f"{i}\t{t}\t{r}\n")
        print(f"{name:45s} n={len(images):4d} exact={ex:.3f} CER={cer:.3f}", flush=True)

    # synthetic held-out test sets
    for test in a.test or [os.path.join(HERE, "work/test"), os.path.join(HERE, "work/mildtest")]:
        if not os.path.isdir(test):
            continue
        tag = "synthetic " + os.path.basename(os.path.normpath(test))
        pngs = sorted(p for p in os.listdir(test) if p.endswith(".png"))
        imgs = [os.path.join(test, p) for p in pngs]
        truths = [norm(open(p[:-4] + ".gt.txt").read()) for p in imgs]
        run(f"{tag}: plate psm13", imgs, truths, model, model_dir, 13, False, pngs)
        run(f"{tag}: plate psm7", imgs, truths, model, model_dir, 7, False, pngs)
        run(f"{tag}: eng psm7 whitelist", imgs, truths, "eng", None, 7, True, pngs)

    # real plates: whole crops and cut-out text lines
    gt_csv = os.path.join(a.plates, "groundtruth.csv")
    if os.path.exists(gt_csv):
        recs = list(csv.DictReader(open(gt_csv)))
        tmp = tempfile.mkdtemp(prefix="plate-eval-")
        try:
            whole, lines, truths, ids, found = [], [], [], [], 0
            for r in recs:
                src = os.path.join(a.plates, r["file"])
                im = Image.open(src).convert("L")
                x0, y0, x1, y1, ok = find_text_band(np.asarray(im))
                found += ok
                dst = os.path.join(tmp, r["file"])
                im.crop((x0, y0, x1, y1)).save(dst)
                whole.append(src)
                lines.append(dst)
                truths.append(norm(r["plate"]))
                ids.append(r["file"])
            print(f"plates-dev: text band found by components in {found}/{len(recs)} crops", flush=True)
            run("plates-dev lines: plate psm13", lines, truths, model, model_dir, 13, False, ids)
            run("plates-dev lines: plate psm7", lines, truths, model, model_dir, 7, False, ids)
            run("plates-dev lines: eng psm7 whitelist", lines, truths, "eng", None, 7, True, ids)
            run("plates-dev lines: eng psm13 whitelist", lines, truths, "eng", None, 13, True, ids)
            if not a.no_whole:
                run("plates-dev whole: plate psm7", whole, truths, model, model_dir, 7, False, ids)
                run("plates-dev whole: eng psm7 whitelist", whole, truths, "eng", None, 7, True, ids)
        finally:
            shutil.rmtree(tmp)

    print()
    print("| input | reader | n | exact | CER |")
    print("|---|---|---|---|---|")
    for name, n, ex, cer, _ in rows:
        inp, rd = name.split(": ")
        print(f"| {inp} | {rd} | {n} | {ex:.3f} | {cer:.3f} |")
    for name, n, ex, cer, conf in rows:
        if "plate psm" in name:
            top = ", ".join(f"{t}->{r} {c}" for (t, r), c in conf.most_common(12))
            print(f"\n{name}: most frequent errors (truth->read, ∅ = missing/extra): {top}")


if __name__ == "__main__":
    main()
