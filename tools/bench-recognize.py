#!/usr/bin/python3
"""Recognition benchmark: alpr-read on the evaluation photos, side by side with OpenALPR.

    tools/bench-recognize.py [--build build] [--eval ../shared/eval] [--sets us-dev,plates-dev]
                             [--every K] [--topn 10] [--eng] [--reader R] [--misses]

Runs `alpr-read --json --regions` over each set (read in place from the shared evaluation
folder, never copied) and prints, per set, top-1 exact, top-10 (the truth among any plate's
candidates), the detection rate (a reported plate box with IoU > 0.4 against the truth box;
us-dev only, whose truth has boxes), localisation recall (any of the hypotheses passed to
OCR overlaps, a diagnostic), and mean and p95 milliseconds per image (alpr-read's own
processing_ms: decode, localisation, OCR) beside OpenALPR 2.3.0's figures from the
openalpr-2.3.0-results.tsv files in the same folders.

Scoring: top-1 is correct when the image's first plate (alpr-read's best, results[0]) equals
the truth exactly; "by surest plate" scores the highest-confidence plate instead, the rule
../shared/eval/README.md states for the peer (the two agree on both sets since 4410d31);
top-N when the truth is in any candidate list.
--every K measures every K-th image only (quick iterations on a subset).
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


STATES = {}  # plates-dev: file -> the truth's state


def load_truth(set_dir, name):
    """Returns {file: (plate, box or None)}."""
    truth = {}
    if name == "plates-dev":
        with open(os.path.join(set_dir, "groundtruth.csv")) as f:
            for row in csv.DictReader(f):
                truth[row["file"]] = (row["plate"].upper(), None)
                STATES[row["file"]] = row["state"].upper()
    else:
        for fn in sorted(os.listdir(set_dir)):
            if not fn.endswith(".txt"):
                continue
            with open(os.path.join(set_dir, fn)) as f:
                parts = f.read().strip().split("\t")
            truth[parts[0]] = (parts[5].upper(), tuple(int(v) for v in parts[1:5]))
    return truth


def load_peer(set_dir):
    rows = {}
    path = os.path.join(set_dir, "openalpr-2.3.0-results.tsv")
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = row.get("image") or row.get("file")
            rows[key] = row
    return rows


def run(args, set_dir, files):
    cmd = [os.path.join(args.build, "app/recognize/alpr-read"), "--json", "--regions",
           "--topn", str(args.topn)]
    if args.eng:
        cmd.append("--eng")
    if args.reader:
        cmd += ["--reader", args.reader]
    out = {}
    # one process for the whole set: the recognizer is created once, as on the unit
    p = subprocess.run(cmd + [os.path.join(set_dir, f) for f in files], capture_output=True,
                       text=True, env=dict(os.environ, OMP_THREAD_LIMIT="1"))
    for line in p.stdout.splitlines():
        rec = json.loads(line)
        out[os.path.basename(rec["file"])] = rec
    if p.stderr.strip():
        sys.stderr.write(p.stderr)
    return out


def pct(v):
    return f"{v:.3f}"


def score(args, name):
    set_dir = os.path.join(args.eval, name)
    truth = load_truth(set_dir, name)
    files = sorted(truth)[:: args.every]
    res = run(args, set_dir, files)
    peer = load_peer(set_dir)
    n = len(files)
    top1 = topn = det = loc = surest = 0
    ms = []
    peer_top1 = peer_topn = 0
    peer_ms = []
    misses = []
    st_read = st_right = 0
    for f in files:
        plate, box = truth[f]
        r = res.get(f)
        if r is None:
            misses.append((f, plate, "ERROR"))
            continue
        ms.append(r["processing_ms"])
        results = r["results"]
        best = results[0]["plate"] if results else ""
        if best == plate:
            top1 += 1
        # eval/README.md's rule for the peer: the highest-confidence plate of the image
        if results and max(results, key=lambda x: x["confidence"])["plate"] == plate:
            surest += 1
        if any(c["plate"] == plate for x in results for c in x["candidates"]):
            topn += 1
        if box:
            if any(iou(box, tuple(x["box"])) > 0.4 for x in results):
                det += 1
            if any(iou(box, tuple(g[:4])) > 0.4 for g in r.get("regions", [])[:6]):
                loc += 1
        if best != plate:
            misses.append((f, plate, best or "-"))
        st = results[0].get("state") if results else None
        if st and f in STATES:
            st_read += 1
            st_right += st == STATES[f]
        pr = peer.get(f)
        if pr:
            peer_top1 += int(pr["top1_correct"])
            peer_topn += int(pr["topn_correct"])
            peer_ms.append(float(pr["pipeline_ms"]))
    ms_sorted = sorted(ms)
    p95 = ms_sorted[min(len(ms_sorted) - 1, int(0.95 * len(ms_sorted)))] if ms else 0
    peer_sorted = sorted(peer_ms)
    peer_p95 = peer_sorted[min(len(peer_sorted) - 1, int(0.95 * len(peer_sorted)))] if peer_ms else 0
    has_box = name != "plates-dev"
    print(f"\n{name}: {n} images" + (f" (every {args.every}th)" if args.every > 1 else ""))
    print(f"{'':22}{'alpr (ours)':>14}{'OpenALPR 2.3.0':>16}")
    print(f"{'top-1 exact':22}{pct(top1 / n):>14}{pct(peer_top1 / n):>16}")
    print(f"{'  by surest plate':22}{pct(surest / n):>14}{'':>16}")
    print(f"{'top-' + str(args.topn) + ' contains truth':22}{pct(topn / n):>14}{pct(peer_topn / n):>16}")
    if has_box:
        print(f"{'plate found (IoU>0.4)':22}{pct(det / n):>14}{'0.910*':>16}")
        print(f"{'  hypotheses (top 6)':22}{pct(loc / n):>14}{'':>16}")
    print(f"{'mean ms per image':22}{statistics.mean(ms) if ms else 0:>14.1f}"
          f"{statistics.mean(peer_ms) if peer_ms else 0:>16.1f}")
    print(f"{'p95 ms per image':22}{p95:>14.1f}{peer_p95:>16.1f}")
    if STATES and not has_box:
        print(f"{'state read from plate':22}{pct(st_read / n):>14}{'-':>16}")
        print(f"{'  of which right':22}{pct(st_right / st_read if st_read else 0):>14}{'-':>16}")
    if has_box:
        print("  * OpenALPR's detection rate is the figure in eval/README.md (whole set)")
    if args.misses:
        for f, t, got in misses:
            print(f"  miss {f}: truth {t} read {got}")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--eval", default=os.path.join(root, "..", "shared", "eval"))
    ap.add_argument("--sets", default="us-dev,plates-dev")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--topn", type=int, default=10)
    ap.add_argument("--eng", action="store_true", help="Tesseract's eng model, not the project's")
    ap.add_argument("--reader", choices=("chars", "tesseract"),
                    help="alpr-read's reader (default: the character classifier when present)")
    ap.add_argument("--misses", action="store_true", help="list the images read wrong")
    args = ap.parse_args()
    for name in args.sets.split(","):
        score(args, name)


if __name__ == "__main__":
    main()
