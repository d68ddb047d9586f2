#!/usr/bin/python3
"""Synthetic plate scenes for dump-patches (tools/train-chars/).

    gen_scenes.py --out DIR --count N --seed S [--jobs J]

Each scene is a whole synthetic plate (tools/train-ocr/generate.py: fonts, frames, state
names, slogans, logos, stickers), warped a little, its characters 12 to 64 pixels tall, on a
random surround, blurred, noisy and JPEG-compressed like a camera frame, written as a binary
PGM. DIR/list.tsv gets one line per scene: path, plate text, character box (x0 y0 x1 y1),
which is what dump-patches reads. Sample i depends only on random.Random(f"{seed}:{i}").
"""
import argparse
import io
import multiprocessing
import os
import random
import sys

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train-ocr"))
import generate  # noqa: E402  (tools/train-ocr/generate.py: the plate renderer)

# Real plate lettering is more condensed than the renderer's squeeze ranges reach (see
# gen_chars.py): widen them downwards, the same way.
generate.FONTS[:] = [(p, lo * 0.55, hi) for p, lo, hi in generate.FONTS]

import platefont  # noqa: E402  (US plate lettering drawn here)

STYLE = platefont.style  # --v2: platefont.style_v2 (run 10's 1, I, M and W)
PLATE = 0.0  # --plate: the share of scenes lettered with platefont.py (set by main)
_style = None  # the current scene's platefont style, or None for the renderer's fonts
_font_glyph = generate.render_glyph


def render_glyph(rng, ch, fpath, cap_h, squeeze, color, bold_px):
    """generate.render_glyph(), but in platefont.py's lettering when the scene has a style."""
    if _style is None:
        return _font_glyph(rng, ch, fpath, cap_h, squeeze, color, bold_px)
    g = platefont.render(rng, ch, _style, 4 * cap_h)  # drawn large, then scaled down
    if g is None:
        return None
    f = cap_h / (4 * cap_h)
    mask = Image.eval(g, lambda v: 255 - v).resize(
        (max(1, int(round(g.width * f))), max(1, int(round(g.height * f)))), Image.LANCZOS)
    out = Image.new("RGBA", mask.size, color + (255,))
    out.putalpha(mask)
    return out


generate.render_glyph = render_glyph


def make(args):
    seed, i, out = args
    rng = random.Random(f"{seed}:{i}")
    global _style
    _style = None
    if PLATE > 0 and rng.random() < PLATE:
        _style = STYLE(rng)
    img, box, gt = generate.render_plate(rng)
    img, box = generate.warp(rng, img, box)
    x0, y0, x1, y1 = box
    ch = y1 - y0
    target = rng.choice((rng.uniform(12, 22), rng.uniform(18, 40), rng.uniform(30, 64)))
    f = target / ch
    im = img.convert("L")
    im = im.resize((max(8, int(im.width * f)), max(8, int(im.height * f))), Image.BOX)
    box = [v * f for v in box]
    # a surround so the plate is not at the edge of the frame
    pad_x, pad_y = rng.randint(10, 120), rng.randint(10, 80)
    scene = Image.new("L", (im.width + 2 * pad_x, im.height + 2 * pad_y), rng.randint(0, 255))
    scene.paste(im, (pad_x, pad_y))
    box = [box[0] + pad_x, box[1] + pad_y, box[2] + pad_x, box[3] + pad_y]
    if rng.random() < 0.15:  # night IR: plate bright, the rest dark
        scene = Image.eval(scene, lambda v: int(255 * (v / 255) ** 0.6))
    blur = rng.choice((0, rng.uniform(0.3, 0.9), rng.uniform(0.8, 1.6)))
    if blur:
        scene = scene.filter(ImageFilter.GaussianBlur(blur))
    a = np.asarray(scene, dtype=np.float32)
    a = a + rng.uniform(0, 10) * np.random.default_rng(rng.randrange(1 << 30)).standard_normal(a.shape)
    scene = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if rng.random() < 0.7:
        buf = io.BytesIO()
        scene.save(buf, "JPEG", quality=rng.randint(30, 92))
        buf.seek(0)
        scene = Image.open(buf).convert("L")
    path = os.path.join(out, f"scene_{i:06d}.pgm")
    scene.save(path)
    return f"{path}\t{gt}\t{box[0]:.1f}\t{box[1]:.1f}\t{box[2]:.1f}\t{box[3]:.1f}\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--plate", type=float, default=0.0,
                    help="share of scenes (0-1) lettered with the project's drawn plate "
                         "lettering (platefont.py) rather than a packaged font")
    platefont.add_style_options(ap)
    a = ap.parse_args()
    global PLATE, STYLE
    PLATE = a.plate
    STYLE = platefont.chosen_style(a, STYLE)
    os.makedirs(a.out, exist_ok=True)
    work = [(a.seed, i, a.out) for i in range(a.count)]
    if a.jobs > 1:
        with multiprocessing.Pool(a.jobs) as pool:
            lines = pool.map(make, work, chunksize=64)
    else:
        lines = [make(w) for w in work]
    with open(os.path.join(a.out, "list.tsv"), "w") as f:
        f.writelines(lines)
    print(f"gen_scenes: {len(lines)} scenes in {a.out}")


if __name__ == "__main__":
    main()
