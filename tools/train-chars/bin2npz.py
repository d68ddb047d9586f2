#!/usr/bin/python3
"""Converts dump-patches output (label byte + patch bytes per record) to an .npz for train.py.

    bin2npz.py IN.bin OUT.npz [--preview PNG]
"""
import argparse

import numpy as np
from PIL import Image

from gen_chars import LABELS, PATCH_H, PATCH_W


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--preview")
    a = ap.parse_args()
    raw = np.fromfile(a.inp, dtype=np.uint8)
    rec = 1 + PATCH_W * PATCH_H
    raw = raw[: len(raw) // rec * rec].reshape(-1, rec)
    y = np.array([(LABELS + "?").index(chr(c)) for c in raw[:, 0]], dtype=np.int64)
    x = raw[:, 1:].reshape(-1, PATCH_H, PATCH_W)
    np.savez_compressed(a.out, x=x, y=y)
    if a.preview:
        n, cols = min(400, len(x)), 20
        sheet = Image.new("L", (cols * (PATCH_W + 2), ((n + cols - 1) // cols) * (PATCH_H + 2)), 128)
        for j in range(n):
            sheet.paste(Image.fromarray(x[j]), ((j % cols) * (PATCH_W + 2), (j // cols) * (PATCH_H + 2)))
        sheet.resize((sheet.width * 2, sheet.height * 2), Image.NEAREST).save(a.preview)
        print("labels:", "".join((LABELS + "?")[v] for v in y[:n]))
    print(f"bin2npz: {len(x)} patches -> {a.out}")


if __name__ == "__main__":
    main()
