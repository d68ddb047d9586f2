#!/usr/bin/python3
"""Synthetic character patches for the plate character classifier (tools/train-chars/).

    gen_chars.py --out FILE.npz --count N --seed S [--jobs J]

Each sample is one PATCH_W x PATCH_H grey patch, made the way the recogniser cuts a
character out of a frame (app/recognize/recognize.c, cut_patch()): the character's height
maps to CHAR_PX patch pixels, the patch is centred on the blob's horizontal middle and on the
row's centre line, columns further than MASK_MARGIN character heights from the blob are
blanked, and the contrast is stretched between the 3rd and 97th percentiles, dark on light.
Labels are 0..35 for A-Z0-9 and 36 for "not a character" (dash, bolt, logo, frame edge,
sticker text, texture).

The characters are drawn from fonts that Debian packages ship, condensed, thickened or
thinned, rotated and sheared a little, with neighbours, frame edges and state-name fragments
around them, then degraded: blur, a source resolution of 9 to 70 pixels per character height,
noise, JPEG, uneven light. Sample i depends only on random.Random(f"{seed}:{i}"), so the
output is the same for any --jobs.
"""
import argparse
import io
import math
import multiprocessing
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

import platefont  # US plate lettering drawn here (platefont.py)

# Must match app/recognize/classify.h.
PATCH_W, PATCH_H, CHAR_PX = 24, 32, 26
MASK_MARGIN = 0.10
LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
JUNK = len(LABELS)

# (font file, horizontal squeeze range): plate lettering is condensed sans, mostly bold.
FONTS = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf", 0.60, 0.95),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 0.55, 0.85),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf", 0.65, 1.0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", 0.60, 0.95),
    ("/usr/share/fonts/truetype/freefont/FreeSansBold.ttf", 0.55, 0.9),
    ("/usr/share/fonts/truetype/freefont/FreeSans.ttf", 0.6, 0.95),
    ("/usr/share/fonts/truetype/liberation2/LiberationMono-Bold.ttf", 0.6, 0.95),
    ("/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf", 0.75, 1.05),
    ("/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Regular.otf", 0.8, 1.1),
    ("/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf", 0.55, 0.9),
    ("/usr/share/fonts/opentype/urw-base35/URWGothic-Demi.otf", 0.55, 0.85),
    ("/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Bold.otf", 0.6, 0.9),
    ("/usr/share/fonts/truetype/opendin/OSP-DIN.ttf", 0.75, 1.1),
    ("/usr/share/fonts/opentype/bebas-neue/BebasNeue-Bold.otf", 0.9, 1.25),
    ("/usr/share/fonts/opentype/bebas-neue/BebasNeue-Regular.otf", 0.9, 1.25),
    ("/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf", 0.75, 1.05),
    ("/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Regular.ttf", 0.75, 1.05),
    ("/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Medium.ttf", 0.75, 1.05),
    ("/usr/share/fonts/truetype/open-sans/OpenSans-CondBold.ttf", 0.8, 1.1),
    ("/usr/share/fonts/opentype/league-spartan/LeagueSpartan-Bold.otf", 0.5, 0.8),
    ("/usr/share/fonts/opentype/b612/B612-Bold.otf", 0.6, 0.9),
    ("/usr/share/fonts/opentype/cantarell/Cantarell-Bold.otf", 0.6, 0.9),
]
# --serif: roman faces instead. Few plates use them, but a net trained on plate lettering alone
# reads a serif T (wide top, a foot) as I; the recogniser's own synthetic test draws serif text.
SERIF_FONTS = [
    ("/usr/share/fonts/opentype/urw-base35/NimbusRoman-Bold.otf", 0.6, 1.0),
    ("/usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf", 0.6, 1.0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed-Bold.ttf", 0.6, 1.0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 0.6, 1.0),
    ("/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf", 0.6, 1.0),
    ("/usr/share/fonts/truetype/freefont/FreeSerifBold.ttf", 0.6, 1.0),
    ("/usr/share/fonts/opentype/urw-base35/C059-Bold.otf", 0.6, 1.0),
    ("/usr/share/fonts/opentype/urw-base35/P052-Roman.otf", 0.6, 1.0),
]
DECOR_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerifBoldItalic.ttf",
    "/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf",
]

BIG = 96  # render size (font pixels) before scaling down
_fonts = {}


def font(path, size):
    key = (path, size)
    if key not in _fonts:
        _fonts[key] = ImageFont.truetype(path, size)
    return _fonts[key]


WIDE = False  # --wide: the fonts at their natural width and wider (set by main)
PLATE = 0.0  # --plate: the share of samples in the project's plate lettering (set by main)
PLATE_H = 70  # its H height in render pixels (about a BIG font's cap height)


def plate_glyph(rng, ch, st):
    """A character of platefont.py's lettering in style st, sometimes with the shadow of an
    embossed plate (a grey copy offset down and sideways)."""
    g = platefont.render(rng, ch, st, PLATE_H)
    if g is None or st.get("shadow") is None:
        return g
    dx, dy, grey = st["shadow"]
    out = Image.new("L", (g.width + abs(dx), g.height + abs(dy)), 255)
    sx, sy = max(0, dx), max(0, dy)
    out.paste(Image.eval(g, lambda v: 255 - (255 - v) * (255 - grey) // 255), (sx, sy))
    paste_ink(out, g, sx - dx, sy - dy)
    return out


def glyph(rng, ch, spec):
    """The character as a tight ink crop (L, 0 = ink, 255 = paper), squeezed and weighted."""
    if spec[0] == "plate":
        return plate_glyph(rng, ch, spec[1])
    path, lo, hi = spec
    if WIDE:  # some states' lettering is as wide as the font's own, or wider
        lo, hi = hi / 0.55, hi * 1.3
    f = font(path, BIG)
    img = Image.new("L", (BIG * 2, BIG * 2), 255)
    ImageDraw.Draw(img).text((BIG // 3, BIG // 4), ch, font=f, fill=0)
    bbox = Image.eval(img, lambda v: 255 - v).getbbox()
    if bbox is None:
        return None
    g = img.crop(bbox)
    # US plate lettering is far more condensed than any packaged font: down to about 0.45 of
    # the font's own width (a plate's W is barely wider than its H)
    w = max(2, int(round(g.width * rng.uniform(lo * 0.55, hi))))
    g = g.resize((w, g.height), Image.BILINEAR)
    r = rng.random()
    if r < 0.25:
        g = g.filter(ImageFilter.MinFilter(3 if rng.random() < 0.6 else 5))  # bolder
    elif r < 0.4:
        g = g.filter(ImageFilter.MaxFilter(3))  # thinner
    return g


def paste_ink(canvas, g, x, y):
    """Darkest-of paste: ink over whatever is there."""
    region = canvas.crop((x, y, x + g.width, y + g.height))
    canvas.paste(Image.fromarray(np.minimum(np.asarray(region), np.asarray(g))), (x, y))


def decor_fragment(rng, canvas, ch_px, y_top, above):
    """State-name or slogan letters cut by the patch's top or bottom edge."""
    size = max(8, int(ch_px * rng.uniform(0.2, 0.45)))
    f = font(rng.choice(DECOR_FONTS), size)
    text = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWabcdeinorstuy ") for _ in range(12))
    d = ImageDraw.Draw(canvas)
    y = y_top - size - rng.uniform(0.05, 0.2) * ch_px if above else y_top + rng.uniform(0.05, 0.2) * ch_px
    d.text((rng.uniform(-canvas.width, 0), y), text, font=f, fill=rng.randint(0, 120))


def junk_scene(rng, canvas, ch_px, cx, cy):
    """Draws something that is not a plate character around (cx, cy)."""
    d = ImageDraw.Draw(canvas)
    kind = rng.randrange(8)
    ink = rng.randint(0, 90)
    if kind == 0:  # dash
        w, h = ch_px * rng.uniform(0.25, 0.6), ch_px * rng.uniform(0.06, 0.18)
        d.rectangle((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), fill=ink)
    elif kind == 1:  # bolt or hole
        r = ch_px * rng.uniform(0.08, 0.25)
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ink if rng.random() < 0.6 else None,
                  outline=ink, width=max(1, int(r / 3)))
    elif kind == 2:  # logo: star, circle, heart-ish blob
        r = ch_px * rng.uniform(0.3, 0.5)
        pts = []
        n = rng.choice((5, 6, 8))
        for k in range(2 * n):
            rr = r if k % 2 == 0 else r * rng.uniform(0.35, 0.6)
            a = math.pi * k / n + rng.uniform(0, 0.3)
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        d.polygon(pts, fill=ink)
    elif kind == 3:  # frame edge: a long bar across the whole patch height
        w = ch_px * rng.uniform(0.05, 0.2)
        x = cx + rng.uniform(-0.2, 0.2) * ch_px
        d.rectangle((x - w / 2, 0, x + w / 2, canvas.height), fill=ink)
        if rng.random() < 0.5:  # the corner of the frame
            y = cy + rng.choice((-1, 1)) * rng.uniform(0.4, 0.7) * ch_px
            d.rectangle((x, y - w / 2, canvas.width if rng.random() < 0.5 else 0, y + w / 2), fill=ink)
    elif kind == 4:  # sticker text: two small rows
        size = max(6, int(ch_px * rng.uniform(0.2, 0.35)))
        f = font(rng.choice(DECOR_FONTS), size)
        for row in range(2):
            t = "".join(rng.choice("JANFEBMRPYULGSOCTV0123456789") for _ in range(3))
            d.text((cx - size, cy - size * 1.2 + row * size * 1.2), t, font=f, fill=ink)
    elif kind == 5:  # texture
        for _ in range(rng.randint(3, 12)):
            x, y = cx + rng.uniform(-0.5, 0.5) * ch_px, cy + rng.uniform(-0.6, 0.6) * ch_px
            r = ch_px * rng.uniform(0.03, 0.15)
            d.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(0, 200))
    elif kind == 6:  # nothing but paper (a blob of glare or dirt)
        pass
    else:  # a small lowercase or serif letter of a slogan, at character position
        size = max(8, int(ch_px * rng.uniform(0.35, 0.55)))
        f = font(rng.choice(DECOR_FONTS), size)
        d.text((cx - size / 3, cy - size / 2), rng.choice("aeinorstuy"), font=f, fill=ink)


def graphic(rng, canvas, ch_px, cx, cy):
    """Draws a plate graphic that sits in the row between character groups (a state outline,
    an emblem, a sticker, a small stacked word, a flag or keystone) centred on (cx, cy); returns
    its half width. Such pieces are cut as patches like characters and must read as "not a
    character" (a Louisiana outline between TAF and 389 was read as a sure 4)."""
    d = ImageDraw.Draw(canvas)
    ink = rng.randint(0, 110)
    kind = rng.randrange(9)
    hh = ch_px * rng.uniform(0.3, 0.55)  # half height
    hw = hh * rng.uniform(0.6, 1.4)  # half width
    if kind == 0:  # a state outline: an irregular polygon, filled or outlined
        n = rng.randint(7, 16)
        pts = []
        for k in range(n):
            a = 2 * math.pi * k / n + rng.uniform(-0.2, 0.2)
            rr = rng.uniform(0.55, 1.0)
            pts.append((cx + hw * rr * math.cos(a), cy + hh * rr * math.sin(a)))
        if rng.random() < 0.2:  # a boxy state with a panhandle or a notch
            pts = [(cx - hw, cy - hh), (cx - hw * 0.2, cy - hh), (cx - hw * 0.2, cy - hh * 0.3),
                   (cx + hw, cy - hh * 0.3), (cx + hw * rng.uniform(0.5, 1), cy + hh),
                   (cx - hw * rng.uniform(0.3, 1), cy + hh * rng.uniform(0.4, 1))]
        if rng.random() < 0.7:
            d.polygon(pts, fill=ink)
            if rng.random() < 0.4:  # a star or dot for the capital, in paper colour
                r = hh * 0.15
                px, py = cx + rng.uniform(-0.4, 0.4) * hw, cy + rng.uniform(-0.4, 0.4) * hh
                d.ellipse((px - r, py - r, px + r, py + r), fill=255)
        else:
            d.line(pts + [pts[0]], fill=ink, width=max(1, int(ch_px * rng.uniform(0.03, 0.08))))
    elif kind == 1:  # an emblem: a disc or ring with a figure or letters inside
        hw = hh
        filled = rng.random() < 0.4
        d.ellipse((cx - hw, cy - hh, cx + hw, cy + hh), outline=ink,
                  width=max(1, int(hh * rng.uniform(0.08, 0.2))), fill=ink if filled else None)
        inner = 255 if filled else ink  # never a bare ring: that is an O
        size = max(6, int(hh * rng.uniform(0.5, 0.9)))
        if rng.random() < 0.5:
            f = font(rng.choice(DECOR_FONTS), size)
            t = "".join(rng.choice("ABCDEFGHKLMNPRSTUVW") for _ in range(rng.randint(2, 3)))
            d.text((cx - size * 0.8, cy - size * 0.6), t, font=f, fill=inner)
        else:  # a star, a bird's curve or a peach
            n = 5
            pts = [(cx + hh * (0.6 if k % 2 == 0 else 0.25) * math.cos(math.pi * k / n - math.pi / 2),
                    cy + hh * (0.6 if k % 2 == 0 else 0.25) * math.sin(math.pi * k / n - math.pi / 2))
                   for k in range(2 * n)]
            d.polygon(pts, fill=inner)
    elif kind == 2:  # a sticker: a box with small month/year text or a number
        dark = rng.random() < 0.5
        d.rectangle((cx - hw, cy - hh, cx + hw, cy + hh), fill=ink if dark else 255,
                    outline=ink, width=max(1, int(ch_px * 0.04)))
        size = max(6, int(hh * rng.uniform(0.5, 0.8)))
        f = font(rng.choice(DECOR_FONTS), size)
        col = 255 if dark else ink
        for row in range(rng.randint(1, 2)):
            t = "".join(rng.choice("JANFEBMRPYULGSOCTV0123456789") for _ in range(rng.randint(2, 4)))
            d.text((cx - hw * 0.9, cy - hh * 0.9 + row * size * 1.1), t, font=f, fill=col)
    elif kind == 3:  # a small word stacked in the gap (a county, "TRUCK", "DISABLED")
        size = max(6, int(ch_px * rng.uniform(0.18, 0.3)))
        f = font(rng.choice(DECOR_FONTS), size)
        rows = rng.randint(2, 4)
        for row in range(rows):
            t = "".join(rng.choice("ABCDEFGHIKLMNOPRSTUVWY") for _ in range(rng.randint(2, 4)))
            d.text((cx - size, cy - rows * size * 0.55 + row * size * 1.1), t, font=f, fill=ink)
        hw = size * 1.2
    elif kind == 4:  # a flag or stripes
        n = rng.choice((7, 9, 11, 13))  # few stripes and a canton would be an E or a C
        for k in range(n):
            if k % 2 == 0:
                y = cy - hh + 2 * hh * k / n
                d.rectangle((cx - hw, y, cx + hw, y + 2 * hh / n), fill=ink)
        if rng.random() < 0.6:  # the canton
            d.rectangle((cx - hw, cy - hh, cx - hw * 0.1, cy), fill=ink)
    elif kind == 5:  # a keystone, shield or heart outline with something inside
        pts = [(cx - hw, cy - hh), (cx + hw, cy - hh), (cx + hw * 0.7, cy + hh * 0.3),
               (cx, cy + hh), (cx - hw * 0.7, cy + hh * 0.3)]
        d.polygon(pts, outline=ink, width=max(1, int(ch_px * rng.uniform(0.04, 0.09))),
                  fill=ink if rng.random() < 0.3 else None)
        r = hh * 0.25
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ink)
    elif kind == 6:  # the wheelchair of a disabled-parking plate, often white on a dark box
        col = ink
        if rng.random() < 0.6:
            d.rectangle((cx - hh * 0.8, cy - hh, cx + hh * 0.8, cy + hh), fill=ink)
            col = 255
        hw = hh * 0.8
        t = max(1, int(hh * rng.uniform(0.1, 0.18)))
        r = hh * 0.14
        d.ellipse((cx - hh * 0.2 - r, cy - hh * 0.85 - r, cx - hh * 0.2 + r, cy - hh * 0.85 + r), fill=col)
        d.line((cx - hh * 0.25, cy - hh * 0.55, cx - hh * 0.2, cy + hh * 0.1, cx + hh * 0.35, cy + hh * 0.1,
                cx + hh * 0.55, cy + hh * 0.7), fill=col, width=t)
        wr = hh * rng.uniform(0.4, 0.55)
        d.arc((cx - hh * 0.15 - wr, cy + hh * 0.25 - wr, cx - hh * 0.15 + wr, cy + hh * 0.25 + wr),
              rng.uniform(-60, 0), rng.uniform(180, 250), fill=col, width=t)
    elif kind == 7:  # a bird (a pelican, a cardinal): body, head, beak, wing, legs
        s = rng.choice((-1, 1))  # facing
        d.ellipse((cx - hw * 0.7, cy - hh * 0.2, cx + hw * 0.5, cy + hh * 0.6), fill=ink)
        r = hh * rng.uniform(0.2, 0.3)
        hx, hy = cx + s * hw * 0.45, cy - hh * 0.45
        d.ellipse((hx - r, hy - r, hx + r, hy + r), fill=ink)
        d.polygon([(hx + s * r * 0.5, hy - r * 0.3), (hx + s * (r + hw * rng.uniform(0.3, 0.8)), hy + r * 0.3),
                   (hx + s * r * 0.5, hy + r * 0.5)], fill=ink)
        d.line((hx, hy, cx, cy + hh * 0.1), fill=ink, width=max(1, int(r * 0.8)))
        d.polygon([(cx - s * hw * 0.2, cy), (cx - s * hw * 1.0, cy - hh * rng.uniform(0.1, 0.8)),
                   (cx - s * hw * 0.6, cy + hh * 0.3)], fill=255 if rng.random() < 0.3 else ink)
        for k in (-1, 1):
            d.line((cx + k * hw * 0.15, cy + hh * 0.5, cx + k * hw * 0.2, cy + hh), fill=ink,
                   width=max(1, int(hh * 0.06)))
    else:  # a figure: a few random blobs and strokes (a lighthouse, a mountain, a seal)
        for _ in range(rng.randint(3, 7)):
            x, y = cx + rng.uniform(-0.8, 0.8) * hw, cy + rng.uniform(-0.8, 0.8) * hh
            if rng.random() < 0.5:
                r = hh * rng.uniform(0.1, 0.4)
                d.ellipse((x - r * 1.3, y - r, x + r * 1.3, y + r), fill=ink)
            else:
                x2, y2 = cx + rng.uniform(-0.9, 0.9) * hw, cy + rng.uniform(-0.9, 0.9) * hh
                d.line((x, y, x2, y2), fill=ink, width=max(1, int(ch_px * rng.uniform(0.04, 0.12))))
    return hw


def degrade_and_cut(rng, scene, ch_px, cx, cy, blob_x0, blob_x1):
    """Takes the scene (glyph pixels, L) to a degraded frame and cuts the patch from it,
    the way cut_patch() does."""
    # geometry: small rotation and shear about the character's centre
    ang = rng.gauss(0, 2.0)
    shear = rng.gauss(0, 0.06)
    a = math.radians(ang)
    ca, sa = math.cos(a), math.sin(a)
    # inverse affine for PIL: output (x, y) -> input
    m = (ca, -sa + shear, cx - ca * cx - (-sa + shear) * cy,
         sa, ca, cy - sa * cx - ca * cy)
    scene = scene.transform(scene.size, Image.AFFINE, m, resample=Image.BILINEAR, fillcolor=255)

    # intensity: ink and paper levels, uneven light
    arr = np.asarray(scene, dtype=np.float32) / 255.0
    paper = rng.uniform(0.45, 1.0)
    ink = rng.uniform(0.0, max(0.0, paper - 0.25))
    arr = ink + (paper - ink) * arr
    hgt, wid = arr.shape
    gy, gx = np.mgrid[0:hgt, 0:wid].astype(np.float32)
    grad = rng.uniform(-0.25, 0.25) * (gx / wid - 0.5) + rng.uniform(-0.25, 0.25) * (gy / hgt - 0.5)
    arr = arr + grad
    if rng.random() < 0.15:  # glare spot
        gx0, gy0 = rng.uniform(0, wid), rng.uniform(0, hgt)
        rad = rng.uniform(0.2, 0.8) * ch_px
        arr = arr + rng.uniform(0.2, 0.6) * np.exp(-((gx - gx0) ** 2 + (gy - gy0) ** 2) / (2 * rad * rad))
    img = Image.fromarray(np.clip(arr * 255, 0, 255).astype(np.uint8))

    # source resolution: the character is src_h pixels tall in the camera frame
    src_h = rng.choice((rng.uniform(9, 20), rng.uniform(14, 40), rng.uniform(25, 70)))
    k = src_h / ch_px
    sw, sh = max(4, int(round(wid * k))), max(4, int(round(hgt * k)))
    blur = rng.choice((0, 0, rng.uniform(0.3, 1.0), rng.uniform(0.8, 1.8)))
    small = img.resize((sw, sh), Image.BOX)
    if blur > 0:
        small = small.filter(ImageFilter.GaussianBlur(blur))
    if rng.random() < 0.3:  # motion blur, horizontal
        n = rng.randint(2, 4)
        s = np.asarray(small, dtype=np.float32)
        s = sum(np.roll(s, j, axis=1) for j in range(n)) / n
        small = Image.fromarray(s.astype(np.uint8))
    s = np.asarray(small, dtype=np.float32)
    s = s + rng.uniform(0, 12) * np.random.default_rng(rng.randrange(1 << 30)).standard_normal(s.shape)
    small = Image.fromarray(np.clip(s, 0, 255).astype(np.uint8))
    if rng.random() < 0.6:
        buf = io.BytesIO()
        small.save(buf, "JPEG", quality=rng.randint(25, 90))
        buf.seek(0)
        small = Image.open(buf).convert("L")

    # cut the patch: char height (as the locator measured it, a little off) -> CHAR_PX
    meas_h = ch_px * rng.uniform(0.9, 1.1)
    scale = meas_h / CHAR_PX  # scene pixels per patch pixel
    pcx = (blob_x0 + blob_x1) / 2 + rng.gauss(0, 0.03) * ch_px
    pcy = cy + rng.gauss(0, 0.05) * ch_px
    x0 = pcx - PATCH_W / 2 * scale
    y0 = pcy - PATCH_H / 2 * scale
    # affine from patch pixel centres to small-image coordinates (bilinear, as in C)
    sm = np.asarray(small, dtype=np.float32)
    px = (x0 + (np.arange(PATCH_W) + 0.5) * scale) * k - 0.5
    py = (y0 + (np.arange(PATCH_H) + 0.5) * scale) * k - 0.5
    X, Y = np.meshgrid(px, py)
    X = np.clip(X, 0, sw - 1.001)
    Y = np.clip(Y, 0, sh - 1.001)
    xi, yi = X.astype(int), Y.astype(int)
    fx, fy = X - xi, Y - yi
    top = sm[yi, xi] + fx * (sm[yi, xi + 1] - sm[yi, xi])
    bot = sm[yi + 1, xi] + fx * (sm[yi + 1, xi + 1] - sm[yi + 1, xi])
    patch = top + fy * (bot - top)
    # blank the columns beyond the blob (the blob's edges, as measured, jitter a little)
    margin = MASK_MARGIN * meas_h
    bx0 = blob_x0 + rng.gauss(0, 0.03) * ch_px - margin
    bx1 = blob_x1 + rng.gauss(0, 0.03) * ch_px + margin
    colx = x0 + (np.arange(PATCH_W) + 0.5) * scale
    keep = (colx >= bx0) & (colx <= bx1)
    return stretch(patch, keep)


def stretch(patch, keep):
    """Contrast stretch between the 3rd and 97th percentiles of the kept columns; blanked
    columns are white. Matches cut_patch() in C."""
    vals = patch[:, keep]
    if vals.size == 0:
        return np.full(patch.shape, 255, np.uint8)
    hist = np.bincount(np.clip(vals + 0.5, 0, 255).astype(int).ravel(), minlength=256)
    total = vals.size
    cum = np.cumsum(hist)
    lo = int(np.searchsorted(cum, total * 3 // 100))
    rcum = np.cumsum(hist[::-1])
    hi = 255 - int(np.searchsorted(rcum, total * 3 // 100))
    if hi <= lo:
        hi = lo + 1
    out = (np.clip(patch + 0.5, 0, 255).astype(int) - lo) * 255 // (hi - lo)
    out = np.clip(out, 0, 255)
    out[:, ~keep] = 255
    return out.astype(np.uint8)


def plate_spec(rng):
    """A font spec for platefont.py's lettering in a fresh STYLE, a third embossed."""
    st = STYLE(rng)
    st["shadow"] = None
    if rng.random() < 0.3:  # embossed: a shadow a few per cent of the height away
        st["shadow"] = (rng.randint(-3, 3), rng.randint(1, 5), rng.randint(60, 200))
    return ("plate", st)


def neighbours(rng, scene, spec, bx0, bx1, gap, cy):
    """The row's characters left and right of the piece (often blanked again by the mask)."""
    for side in (-1, 1):
        n = glyph(rng, rng.choice(LABELS), spec)
        nx = int(bx0 - gap - n.width) if side < 0 else int(bx1 + gap)
        if 0 <= nx and nx + n.width < scene.width:
            paste_ink(scene, n, nx, int(cy - n.height / 2))


def surround(rng, scene, ch_px, cy):
    """Frame edges and state/slogan lettering above and below the row."""
    d = ImageDraw.Draw(scene)
    if rng.random() < 0.25:
        yy = cy + rng.choice((-1, 1)) * ch_px * rng.uniform(0.58, 0.8)
        t = ch_px * rng.uniform(0.03, 0.1)
        d.rectangle((0, yy - t, scene.width, yy + t), fill=rng.randint(0, 100))
    if rng.random() < 0.3:
        decor_fragment(rng, scene, ch_px, cy - ch_px / 2, True)
    if rng.random() < 0.3:
        decor_fragment(rng, scene, ch_px, cy + ch_px / 2, False)


GRAPHICS = 0.0  # --graphics: the share of samples that are a plate graphic in the row (main)
FOCUS = 0.0  # --focus: the share of characters drawn from the confused ones (set by main)
# What plates-dev's misses confuse (run 9): 1/I (the most), M/W/H, O/0/D, 5/S, I/T, 4 (what a
# state outline read as), 8/B, 2/Z.
FOCUS_CHARS = "1I1IMWHOD05SIT48BZ2N"
STYLE = platefont.style  # --v2: platefont.style_v2


def make_sample(args):
    seed, i = args
    rng = random.Random(f"{seed}:{i}")
    if GRAPHICS > 0 or FOCUS > 0:
        return make_sample_v2(rng)
    junk = rng.random() < 0.12
    label = JUNK if junk else rng.randrange(len(LABELS))
    spec = rng.choice(FONTS)
    if PLATE > 0 and rng.random() < PLATE:
        spec = plate_spec(rng)
    ref = glyph(rng, "H", spec)  # the font's character height
    ch_px = ref.height
    W, H = int(ch_px * 3.2), int(ch_px * 2.2)
    scene = Image.new("L", (W, H), 255)
    cx, cy = W / 2, H / 2
    gap = ch_px * rng.uniform(0.06, 0.3)
    if junk:
        junk_scene(rng, scene, ch_px, cx, cy)
        hw = ch_px * rng.uniform(0.1, 0.4)
        bx0, bx1 = cx - hw, cx + hw
    else:
        g = glyph(rng, LABELS[label], spec)
        x = int(cx - g.width / 2)
        y = int(cy - ch_px / 2 + (ch_px - g.height) / 2)
        paste_ink(scene, g, x, y)
        bx0, bx1 = x, x + g.width
        if rng.random() < 0.7:
            neighbours(rng, scene, spec, bx0, bx1, gap, cy)
    surround(rng, scene, ch_px, cy)
    patch = degrade_and_cut(rng, scene, ch_px, cx, cy, bx0, bx1)
    return patch, label


def make_sample_v2(rng):
    """A sample of run 10's data (--graphics, --focus): a plate graphic between two character
    groups (labelled "not a character"), or a character, as often one of FOCUS_CHARS, always
    with its row neighbours."""
    r = rng.random()
    kind = "graphic" if r < GRAPHICS else ("junk" if r < GRAPHICS + 0.06 else "char")
    spec = rng.choice(FONTS)
    if PLATE > 0 and rng.random() < PLATE:
        spec = plate_spec(rng)
    ch_px = glyph(rng, "H", spec).height
    W, H = int(ch_px * 3.6), int(ch_px * 2.2)
    scene = Image.new("L", (W, H), 255)
    cx, cy = W / 2, H / 2
    if kind == "graphic":
        label = JUNK
        hw = graphic(rng, scene, ch_px, cx, cy)
        bx0, bx1 = cx - hw, cx + hw
        gap = ch_px * rng.uniform(0.15, 0.6)  # the wider gap between groups
    elif kind == "junk":
        label = JUNK
        junk_scene(rng, scene, ch_px, cx, cy)
        hw = ch_px * rng.uniform(0.1, 0.4)
        bx0, bx1 = cx - hw, cx + hw
        gap = ch_px * rng.uniform(0.1, 0.5)
    else:
        c = rng.choice(FOCUS_CHARS) if rng.random() < FOCUS else rng.choice(LABELS)
        label = LABELS.index(c)
        g = glyph(rng, c, spec)
        x = int(cx - g.width / 2)
        paste_ink(scene, g, x, int(cy - ch_px / 2 + (ch_px - g.height) / 2))
        bx0, bx1 = x, x + g.width
        gap = ch_px * rng.uniform(0.06, 0.3)
    if rng.random() < 0.85:
        neighbours(rng, scene, spec, bx0, bx1, gap, cy)
    surround(rng, scene, ch_px, cy)
    return degrade_and_cut(rng, scene, ch_px, cx, cy, bx0, bx1), label


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--preview", help="also write the first 400 patches as one PNG here")
    ap.add_argument("--wide", action="store_true",
                    help="lettering at the font's natural width and wider, not condensed")
    ap.add_argument("--plate", type=float, default=0.0,
                    help="share of samples (0-1) in the project's drawn plate lettering "
                         "(platefont.py) rather than a packaged font")
    ap.add_argument("--serif", action="store_true", help="roman faces (SERIF_FONTS), not FONTS")
    platefont.add_style_options(ap)
    ap.add_argument("--focus-chars", default=None,
                    help="the characters --focus draws from (default FOCUS_CHARS)")
    ap.add_argument("--graphics", type=float, default=0.0,
                    help="share of samples (0-1) that are a plate graphic between character "
                         "groups (state outline, emblem, sticker, stacked word), 'not a character'")
    ap.add_argument("--focus", type=float, default=0.0,
                    help="share of the characters drawn from FOCUS_CHARS (the confused ones)")
    a = ap.parse_args()
    global GRAPHICS, FOCUS, STYLE, FOCUS_CHARS
    GRAPHICS, FOCUS = a.graphics, a.focus
    if a.focus_chars:
        FOCUS_CHARS = a.focus_chars
    STYLE = platefont.chosen_style(a, STYLE)
    if a.serif:
        FONTS[:] = SERIF_FONTS
    global WIDE, PLATE
    WIDE = a.wide
    PLATE = a.plate
    work = [(a.seed, i) for i in range(a.count)]
    if a.jobs > 1:
        with multiprocessing.Pool(a.jobs) as pool:
            res = pool.map(make_sample, work, chunksize=256)
    else:
        res = [make_sample(w) for w in work]
    x = np.stack([r[0] for r in res])
    y = np.array([r[1] for r in res], dtype=np.int64)
    np.savez_compressed(a.out, x=x, y=y)
    if a.preview:
        n = min(400, len(x))
        cols = 20
        rows = (n + cols - 1) // cols
        sheet = Image.new("L", (cols * (PATCH_W + 2), rows * (PATCH_H + 2)), 128)
        for j in range(n):
            sheet.paste(Image.fromarray(x[j]), ((j % cols) * (PATCH_W + 2), (j // cols) * (PATCH_H + 2)))
        sheet = sheet.resize((sheet.width * 2, sheet.height * 2), Image.NEAREST)
        sheet.save(a.preview)
    print(f"gen_chars: {len(x)} patches, {np.sum(y == JUNK)} not characters -> {a.out}")


if __name__ == "__main__":
    main()
