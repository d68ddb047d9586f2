#!/usr/bin/python3
"""Render synthetic US licence-plate text lines for Tesseract LSTM training.

Each sample is the character line as the recogniser sees it after the plate has been
found and the text band cropped: the characters with a little plate background, bits of
the frame at the sides, and cut-off fragments of the state name / slogan above and below.
A whole plate is rendered first (background art, frame, bolts, stickers, state name,
slogan, logo between character groups), then warped in perspective, then the character
band is cropped with jittered margins, then degraded (blur, motion blur, noise, JPEG,
glare, shadow, night IR contrast, low resolution).

Outputs, per sample N in --out: plate_NNNNNN.png (8-bit grey), .gt.txt (plate text,
A-Z0-9 only; gaps, dashes and logos are rendered but not in the ground truth), .box
(one whole-line box per character plus the tab line, as lstm.train expects).

Reproducible: sample i is rendered from random.Random(f"{seed}:{i}") only, so the output
is the same for any --jobs.

Needs Debian's python3-pil and python3-numpy, fonts from Debian packages (see FONTS).
"""
import argparse
import io
import math
import os
import random
import sys
from multiprocessing import Pool

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Fonts from Debian packages: (path, min horizontal squeeze, max squeeze). Plate lettering is
# tall and narrow, so wide fonts are squeezed more. Missing fonts are skipped with a warning.
FONTS = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf", 0.60, 0.95),  # fonts-dejavu-core
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 0.55, 0.85),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf", 0.65, 1.0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", 0.60, 0.95),
    ("/usr/share/fonts/truetype/freefont/FreeSansBold.ttf", 0.55, 0.9),  # fonts-freefont-ttf
    ("/usr/share/fonts/truetype/freefont/FreeSans.ttf", 0.6, 0.95),
    ("/usr/share/fonts/truetype/liberation2/LiberationMono-Bold.ttf", 0.6, 0.95),  # fonts-liberation2
    ("/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf", 0.75, 1.05),  # fonts-urw-base35
    ("/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Regular.otf", 0.8, 1.1),
    ("/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf", 0.55, 0.9),
    ("/usr/share/fonts/opentype/urw-base35/URWGothic-Demi.otf", 0.55, 0.85),
    ("/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Bold.otf", 0.6, 0.9),
    ("/usr/share/fonts/truetype/opendin/OSP-DIN.ttf", 0.75, 1.1),  # fonts-opendin
    ("/usr/share/fonts/opentype/bebas-neue/BebasNeue-Bold.otf", 0.9, 1.25),  # fonts-bebas-neue
    ("/usr/share/fonts/opentype/bebas-neue/BebasNeue-Regular.otf", 0.9, 1.25),
    ("/usr/share/fonts/opentype/bebas-neue/BebasNeue-Book.otf", 0.9, 1.25),
    ("/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf", 0.75, 1.05),  # fonts-roboto-unhinted
    ("/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Regular.ttf", 0.75, 1.05),
    ("/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Medium.ttf", 0.75, 1.05),
    ("/usr/share/fonts/truetype/open-sans/OpenSans-CondBold.ttf", 0.8, 1.1),  # fonts-open-sans
    ("/usr/share/fonts/opentype/league-spartan/LeagueSpartan-Bold.otf", 0.5, 0.8),  # fonts-league-spartan
    ("/usr/share/fonts/opentype/b612/B612-Bold.otf", 0.6, 0.9),  # fonts-b612
    ("/usr/share/fonts/opentype/cantarell/Cantarell-Bold.otf", 0.6, 0.9),  # fonts-cantarell
]

# Fonts for state names, slogans and stickers (anything legible; script-ish and serif too).
DECOR_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed-BoldItalic.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerifBoldItalic.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf",
    "/usr/share/fonts/opentype/urw-base35/C059-Bold.otf",
    "/usr/share/fonts/opentype/urw-base35/P052-BoldItalic.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusRoman-Bold.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf",
    "/usr/share/fonts/opentype/urw-base35/URWBookman-Demi.otf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "/usr/share/fonts/opentype/cantarell/Cantarell-Bold.otf",
]

STATES = ("Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida "
          "Georgia Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland "
          "Massachusetts Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada "
          "New_Hampshire New_Jersey New_Mexico New_York North_Carolina North_Dakota Ohio Oklahoma "
          "Oregon Pennsylvania Rhode_Island South_Carolina South_Dakota Tennessee Texas Utah "
          "Vermont Virginia Washington West_Virginia Wisconsin Wyoming").replace("_", " ").split()
STATES = [s.replace("_", " ") for s in STATES]
SLOGANS = [
    "Sunshine State", "Land of Lincoln", "Live Free or Die", "Famous Potatoes",
    "The Lone Star State", "visitPA.com", "Wild, Wonderful", "First in Flight", "Aloha State",
    "Land of Enchantment", "Sportsman's Paradise", "The Silver State", "Empire State",
    "Garden State", "Grand Canyon State", "Peach State", "Vacationland", "Show Me State",
    "Big Sky Country", "Evergreen State", "America's Dairyland", "The Natural State",
    "Land of Opportunity", "Spirit of America", "TRAVEL2SC.COM", "Life Elevated",
    "Great Lakes Splendor", "Greatest Snow on Earth", "Heart of Dixie", "The Beach State",
    "Pure Michigan", "Explore Minnesota", "Mount Rushmore", "Ocean State", "Centennial",
    "In God We Trust", "The Volunteer State", "Discover Ohio", "Native America",
    "Green Mountains", "Treasure State", "Constitution State", "Pacific Wonderland",
    "DAVIDSON", "HINDS", "COOK", "ORANGE", "TRAILER", "DEALER", "MY FLORIDA.COM",
    "WILDLIFE CONSERVATIONIST", "SUPPORT EDUCATION", "NEW MEXICO USA",
]
MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALNUM = LETTERS + DIGITS

# Plate syntaxes seen on US plates: L letter, D digit, A any, '_' group gap (space, dash or
# logo when rendered; never in the ground truth).
SYNTAXES = [
    ("DLLLDDD", 10), ("LLL_DDDD", 10), ("LLL_DDD", 8), ("DDD_LLL", 7), ("LLLDDDD", 6),
    ("DDD_DDD", 3), ("LL_DDDDD", 3), ("DLL_DDD", 2), ("DDL_DDDL", 3), ("LLD_LDDD", 3),
    ("DDDLLL", 3), ("LLLDDD", 3), ("D_DDDD", 2), ("DDDDDD", 2), ("LL_DDDD", 3),
    ("DLLDDD", 2), ("LDD_LLL", 2), ("DDD_DDDD", 2), ("DDDD_LL", 2), ("LLL_DDL", 2),
    ("DD_DDDDD", 1), ("LDDDDD", 1), ("DDDLLLD", 2), ("DDDDLL", 1), ("LLLLDDD", 1),
    ("DDDLLDD", 1), ("VANITY", 6),
]


def plate_text(rng):
    """Return (rendered groups, ground truth). Groups are separated by gaps."""
    syn = rng.choices([s for s, _ in SYNTAXES], [w for _, w in SYNTAXES])[0]
    if syn == "VANITY":
        n = rng.randint(5, 7)
        s = "".join(rng.choice(LETTERS if rng.random() < 0.75 else DIGITS) for _ in range(n))
        if rng.random() < 0.3:
            k = rng.randint(2, n - 2)
            return [s[:k], s[k:]], s
        return [s], s
    # Plates with a gap are sometimes printed without it and vice versa.
    if "_" not in syn and rng.random() < 0.25 and len(syn) >= 6:
        k = rng.randint(2, len(syn) - 2)
        syn = syn[:k] + "_" + syn[k:]
    elif "_" in syn and rng.random() < 0.2:
        syn = syn.replace("_", "")
    out = []
    for c in syn:
        out.append({"L": rng.choice(LETTERS), "D": rng.choice(DIGITS), "_": "_"}[c])
    s = "".join(out)
    return s.split("_"), s.replace("_", "")


_font_cache = {}


def font(path, size):
    key = (path, size)
    f = _font_cache.get(key)
    if f is None:
        f = ImageFont.truetype(path, size)
        _font_cache[key] = f
    return f


def rand_color(rng, lo, hi):
    return tuple(rng.randint(lo, hi) for _ in range(3))


def pick_colors(rng):
    """Background and character colours (RGB), with plate-like schemes."""
    r = rng.random()
    if r < 0.55:  # light plate, dark characters (most US plates)
        bg = rand_color(rng, 190, 255)
        fg = rng.choice([(20, 30, 90), (10, 10, 10), (30, 30, 30), (20, 70, 30), (120, 20, 30),
                         (40, 40, 120), (60, 60, 60), (0, 40, 110)])
    elif r < 0.70:  # pastel / tinted plate, dark characters
        base = rng.choice([(200, 220, 255), (255, 240, 190), (210, 240, 220), (255, 220, 200),
                           (230, 230, 240), (180, 210, 240), (250, 250, 210)])
        bg = tuple(max(0, min(255, c + rng.randint(-25, 15))) for c in base)
        fg = rng.choice([(20, 30, 90), (10, 10, 10), (130, 20, 30), (20, 60, 30)])
    elif r < 0.80:  # coloured text on white (red, green, blue) -- lower contrast in grey
        bg = rand_color(rng, 215, 255)
        fg = rng.choice([(200, 30, 40), (30, 120, 50), (40, 80, 190), (170, 60, 20), (90, 90, 160)])
    elif r < 0.92:  # dark plate, light characters (NM teal/yellow, black/white, blue/white)
        bg = rng.choice([(0, 150, 200), (20, 20, 20), (20, 40, 110), (120, 20, 30), (20, 90, 40),
                         (60, 60, 70)])
        bg = tuple(max(0, min(255, c + rng.randint(-20, 20))) for c in bg)
        fg = rng.choice([(250, 220, 40), (245, 245, 245), (230, 230, 200), (255, 200, 0)])
    else:  # yellow plate, dark characters
        bg = (rng.randint(220, 255), rng.randint(190, 230), rng.randint(0, 80))
        fg = rng.choice([(10, 10, 10), (20, 30, 90)])
    return bg, fg


def draw_background(rng, img, bg, fg):
    W, H = img.size
    d = ImageDraw.Draw(img)
    # vertical gradient
    if rng.random() < 0.6:
        top = tuple(max(0, min(255, c + rng.randint(-50, 40))) for c in bg)
        bot = tuple(max(0, min(255, c + rng.randint(-50, 40))) for c in bg)
        for y in range(H):
            t = y / (H - 1)
            d.line([(0, y), (W, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bot)))
    # soft blobs / scenery (mountains, sky bands, big faint graphic)
    layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    ld = ImageDraw.Draw(layer)
    for _ in range(rng.randint(0, 5)):
        c = rand_color(rng, 0, 255) + (rng.randint(30, 130),)
        x, y = rng.uniform(-0.2, 1.0) * W, rng.uniform(-0.2, 1.0) * H
        w, h = rng.uniform(0.1, 0.8) * W, rng.uniform(0.1, 0.6) * H
        ld.ellipse([x, y, x + w, y + h], fill=c)
    if rng.random() < 0.35:  # mountains / skyline along the bottom
        c = rand_color(rng, 40, 200) + (rng.randint(80, 220),)
        pts = [(0, H)]
        x = 0
        base = rng.uniform(0.65, 0.9) * H
        while x < W:
            pts.append((x, base - rng.uniform(0, 0.25) * H))
            x += rng.uniform(0.05, 0.2) * W
        pts += [(W, base), (W, H)]
        ld.polygon(pts, fill=c)
    if rng.random() < 0.3:  # coloured band (PA yellow strip, TX red/blue, NM)
        c = rand_color(rng, 0, 255) + (rng.randint(120, 255),)
        y0 = rng.choice([rng.uniform(0, 0.15), rng.uniform(0.78, 0.9)]) * H
        ld.rectangle([0, y0, W, y0 + rng.uniform(0.05, 0.2) * H], fill=c)
    if rng.random() < 0.3:  # rays/stripes
        c = rand_color(rng, 100, 255) + (rng.randint(20, 70),)
        cx, cy = rng.uniform(0, W), rng.uniform(0, H)
        for k in range(rng.randint(6, 20)):
            a = rng.uniform(0, 2 * math.pi)
            ld.line([(cx, cy), (cx + math.cos(a) * W, cy + math.sin(a) * W)], fill=c,
                    width=rng.randint(2, 12))
    layer = layer.filter(ImageFilter.GaussianBlur(rng.uniform(0, 6)))
    img.paste(layer, (0, 0), layer)


def draw_decor_text(rng, img, text, box, color, max_h):
    """Draw text centred in box (x0,y0,x1,y1) with height about max_h."""
    fpath = rng.choice(DECOR_FONTS)
    f = font(fpath, max(6, int(max_h * 1.25)))
    d = ImageDraw.Draw(img)
    l, t, r, b = d.textbbox((0, 0), text, font=f)
    tw, th = r - l, b - t
    x0, y0, x1, y1 = box
    if tw > (x1 - x0):  # squeeze by rendering smaller
        f = font(fpath, max(6, int(max_h * 1.25 * (x1 - x0) / tw)))
        l, t, r, b = d.textbbox((0, 0), text, font=f)
        tw, th = r - l, b - t
    x = x0 + (x1 - x0 - tw) / 2 - l + rng.uniform(-0.1, 0.1) * (x1 - x0 - tw)
    y = y0 + (y1 - y0 - th) / 2 - t
    d.text((x, y), text, font=f, fill=color)


def render_glyph(rng, ch, fpath, cap_h, squeeze, color, bold_px):
    """One character as an RGBA image, cap height ~cap_h px, squeezed horizontally."""
    size = int(cap_h * 1.45)
    f = font(fpath, size)
    mask = Image.new("L", (size * 2, size * 2), 0)
    d = ImageDraw.Draw(mask)
    d.text((size // 2, size // 4), ch, font=f, fill=255)
    bb = mask.getbbox()
    if bb is None:
        return None
    mask = mask.crop(bb)
    # scale so that the glyph's ink height equals cap_h (digits/letters roughly same height)
    w, h = mask.size
    scale = cap_h / h
    nw = max(1, int(round(w * scale * squeeze)))
    mask = mask.resize((nw, int(round(cap_h))), Image.LANCZOS)
    if bold_px > 0:
        mask = mask.filter(ImageFilter.MaxFilter(2 * bold_px + 1))
    elif bold_px < 0:
        mask = mask.filter(ImageFilter.MinFilter(3))
    g = Image.new("RGBA", mask.size, color + (255,))
    g.putalpha(mask)
    return g


def draw_logo(rng, img, cx, cy, size, color):
    d = ImageDraw.Draw(img)
    kind = rng.choice(["circle", "star", "tree", "diamond", "zia", "blob"])
    r = size / 2
    if kind == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=color)
        if rng.random() < 0.5:
            c2 = rand_color(rng, 0, 255)
            d.ellipse([cx - r / 2, cy - r / 2, cx + r / 2, cy + r / 2], fill=c2)
    elif kind == "star":
        pts = []
        for k in range(10):
            a = -math.pi / 2 + k * math.pi / 5
            rr = r if k % 2 == 0 else r * 0.45
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        d.polygon(pts, fill=color)
    elif kind == "tree":
        d.polygon([(cx, cy - r * 1.6), (cx - r * 0.8, cy + r * 1.2), (cx + r * 0.8, cy + r * 1.2)],
                  fill=color)
        d.rectangle([cx - r * 0.12, cy + r * 1.2, cx + r * 0.12, cy + r * 1.6], fill=color)
    elif kind == "diamond":
        d.polygon([(cx, cy - r), (cx + r * 0.7, cy), (cx, cy + r), (cx - r * 0.7, cy)], fill=color)
    elif kind == "zia":
        d.ellipse([cx - r * 0.35, cy - r * 0.35, cx + r * 0.35, cy + r * 0.35], fill=(200, 30, 30))
        for a in range(4):
            ang = a * math.pi / 2
            for k in (-1, 0, 1):
                ox, oy = -math.sin(ang) * k * r * 0.15, math.cos(ang) * k * r * 0.15
                d.line([(cx + math.cos(ang) * r * 0.4 + ox, cy + math.sin(ang) * r * 0.4 + oy),
                        (cx + math.cos(ang) * r + ox, cy + math.sin(ang) * r + oy)], fill=color,
                       width=max(1, int(r * 0.08)))
    else:
        for _ in range(4):
            x, y = cx + rng.uniform(-r, r) * 0.5, cy + rng.uniform(-r, r) * 0.5
            rr = rng.uniform(0.3, 0.6) * r
            d.ellipse([x - rr, y - rr, x + rr, y + rr], fill=color)


def render_plate(rng):
    """Render a whole plate. Returns (RGB image, char band box (x0,y0,x1,y1), ground truth)."""
    W, H = 480, 240
    groups, gt = plate_text(rng)
    bg, fg = pick_colors(rng)
    img = Image.new("RGB", (W, H), bg)
    draw_background(rng, img, bg, fg)

    fpath, sq_lo, sq_hi = rng.choice(FONTS)
    nchars = len(gt)
    cap_h = rng.uniform(0.40, 0.56) * H
    squeeze = rng.uniform(sq_lo, sq_hi)
    bold = rng.choices([0, 1, 2, -1], [6, 2, 1, 1])[0]
    track = rng.uniform(0.02, 0.18) * cap_h
    glyphs = []
    for grp in groups:
        glyphs.append([render_glyph(rng, c, fpath, cap_h, squeeze, fg, bold) for c in grp])
    gap_kind = rng.choices(["space", "dash", "logo", "narrow"], [4, 2, 3, 1])[0]
    gap_w = {"space": rng.uniform(0.3, 0.8), "dash": rng.uniform(0.4, 0.8),
             "logo": rng.uniform(0.5, 1.0), "narrow": rng.uniform(0.1, 0.25)}[gap_kind] * cap_h
    total = sum(g.size[0] for grp in glyphs for g in grp) + track * (nchars - 1) + gap_w * (len(groups) - 1)
    # fit into the plate width (real plates fill 75-95% of the width)
    max_w = rng.uniform(0.72, 0.95) * W
    if total > max_w:
        f = max_w / total
        cap_h *= f
        track *= f
        gap_w *= f
        glyphs = [[g.resize((max(1, int(g.size[0] * f)), max(1, int(g.size[1] * f))), Image.LANCZOS)
                   for g in grp] for grp in glyphs]
        total = max_w
    cy = rng.uniform(0.48, 0.6) * H
    y0 = cy - cap_h / 2
    x = (W - total) / 2 + rng.uniform(-0.05, 0.05) * W
    x_start = x

    # state name above, slogan below, stickers in the corners (drawn before characters)
    dec_col = rng.choice([fg, rand_color(rng, 0, 160), (200, 30, 40), (20, 40, 120)])
    if rng.random() < 0.9:
        name = rng.choice(STATES)
        if rng.random() < 0.5:
            name = name.upper()
        top_h = max(8, y0 - rng.uniform(0.02, 0.06) * H)
        draw_decor_text(rng, img, name, (0.2 * W, rng.uniform(0.0, 0.04) * H, 0.8 * W, top_h),
                        dec_col, min(0.2 * H, top_h * rng.uniform(0.6, 0.95)))
    if rng.random() < 0.85:
        slog = rng.choice(SLOGANS + STATES)
        if rng.random() < 0.4:
            slog = slog.upper()
        bot = y0 + cap_h + rng.uniform(0.01, 0.05) * H
        draw_decor_text(rng, img, slog, (0.15 * W, bot, 0.85 * W, H - rng.uniform(0.01, 0.05) * H),
                        rng.choice([dec_col, fg, rand_color(rng, 0, 200)]), min(0.15 * H, (H - bot) * 0.8))
    d = ImageDraw.Draw(img)
    for corner in range(4):
        if rng.random() < 0.35:
            sw, sh = rng.uniform(0.08, 0.16) * W, rng.uniform(0.1, 0.18) * H
            sx = rng.uniform(0.01, 0.05) * W if corner % 2 == 0 else W - sw - rng.uniform(0.01, 0.05) * W
            sy = rng.uniform(0.02, 0.06) * H if corner < 2 else H - sh - rng.uniform(0.02, 0.06) * H
            d.rectangle([sx, sy, sx + sw, sy + sh], fill=rand_color(rng, 0, 255))
            draw_decor_text(rng, img, rng.choice(MONTHS + [str(rng.randint(1, 12)), str(rng.randint(2000, 2024))]),
                            (sx, sy, sx + sw, sy + sh), rand_color(rng, 0, 255), sh * 0.7)
    if rng.random() < 0.6:  # bolt holes
        for bx in (0.27, 0.73):
            for by in ((0.1,) if rng.random() < 0.6 else (0.1, 0.9)):
                r = rng.uniform(0.012, 0.03) * W
                c = rand_color(rng, 60, 200)
                d.ellipse([bx * W - r, by * H - r, bx * W + r, by * H + r], fill=c)

    # characters, with optional emboss shadow / outline
    shadow = rng.random() < 0.35
    sh_dx, sh_dy = rng.uniform(-3, 3), rng.uniform(0.5, 4)
    sh_col = tuple(max(0, c - rng.randint(40, 120)) for c in bg) if rng.random() < 0.7 else (
        tuple(min(255, c + 60) for c in bg))
    for gi, grp in enumerate(glyphs):
        for g in grp:
            if g is None:
                continue
            gy = y0 + (cap_h - g.size[1]) / 2 + rng.uniform(-0.01, 0.01) * cap_h
            if shadow:
                s = Image.new("RGBA", g.size, sh_col + (255,))
                s.putalpha(g.getchannel("A"))
                img.paste(s, (int(x + sh_dx), int(gy + sh_dy)), s)
            img.paste(g, (int(x), int(gy)), g)
            x += g.size[0] + track
        x -= track
        if gi < len(glyphs) - 1:
            gx = x + gap_w / 2
            if gap_kind == "dash":
                dw, dh = gap_w * rng.uniform(0.4, 0.8), cap_h * rng.uniform(0.06, 0.12)
                d.rectangle([gx - dw / 2, cy - dh / 2, gx + dw / 2, cy + dh / 2],
                            fill=fg if rng.random() < 0.7 else rand_color(rng, 0, 255))
            elif gap_kind == "logo":
                draw_logo(rng, img, gx, cy + rng.uniform(-0.1, 0.1) * cap_h,
                          min(gap_w, cap_h) * rng.uniform(0.6, 1.1), rand_color(rng, 0, 255))
            x += gap_w + track
    x_end = x - track

    # frame: thin plate border, then maybe a dealer frame covering top/bottom edges
    if rng.random() < 0.7:
        fw = rng.randint(1, 8)
        d.rounded_rectangle([fw // 2, fw // 2, W - 1 - fw // 2, H - 1 - fw // 2], radius=rng.randint(4, 25),
                            outline=rand_color(rng, 0, 200), width=fw)
    canvas = Image.new("RGB", (int(W * 1.3), int(H * 1.6)), rand_color(rng, 0, 255))
    ox, oy = int(W * 0.15), int(H * 0.3)
    canvas.paste(img, (ox, oy))
    if rng.random() < 0.45:
        d = ImageDraw.Draw(canvas)
        fc = rng.choice([(20, 20, 20), (180, 180, 190), (230, 230, 235), rand_color(rng, 0, 255)])
        t = rng.uniform(0.03, 0.16) * H
        b = rng.uniform(0.03, 0.2) * H
        s = rng.uniform(0.01, 0.06) * W
        d.rectangle([0, 0, canvas.size[0], oy + t], fill=fc)
        d.rectangle([0, oy + H - b, canvas.size[0], canvas.size[1]], fill=fc)
        d.rectangle([0, 0, ox + s, canvas.size[1]], fill=fc)
        d.rectangle([ox + W - s, 0, canvas.size[0], canvas.size[1]], fill=fc)
        if rng.random() < 0.5:
            draw_decor_text(rng, canvas, rng.choice(["AUTO SALES", "TOYOTA", "HONDA OF DALLAS",
                                                     "I'D RATHER BE FISHING", "UNIVERSITY ALUMNI"]),
                            (ox + 0.2 * W, oy + H - b, ox + 0.8 * W, oy + H), rand_color(rng, 100, 255), b * 0.8)
    box = (x_start + ox, y0 + oy, x_end + ox, y0 + cap_h + oy)
    return canvas, box, gt


def perspective_coeffs(src, dst):
    """Coefficients for Image.transform(PERSPECTIVE) mapping output (dst) to input (src)."""
    A, B = [], []
    for (x, y), (u, v) in zip(dst, src):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        B += [u, v]
    return np.linalg.solve(np.array(A, float), np.array(B, float))


def warp(rng, img, box):
    """Random rotation/shear/perspective about the character box; returns img, new box."""
    W, H = img.size
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bw, bh = x1 - x0, y1 - y0
    ang = math.radians(rng.gauss(0, 3))
    shear = rng.gauss(0, 0.08)
    persp_x = rng.gauss(0, 0.06)  # one side taller than the other (yaw)
    persp_y = rng.gauss(0, 0.03)
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    out = []
    for (x, y) in corners:
        dx, dy = x - cx, y - cy
        dx += shear * dy
        sx = 1 + persp_x * (dx / (bw / 2))
        sy = 1 + persp_y * (dy / (bh / 2))
        dy *= sx
        dx *= sy
        rx = dx * math.cos(ang) - dy * math.sin(ang)
        ry = dx * math.sin(ang) + dy * math.cos(ang)
        out.append((cx + rx, cy + ry))
    co = perspective_coeffs(corners, out)
    img = img.transform((W, H), Image.PERSPECTIVE, tuple(co), Image.BICUBIC)
    xs, ys = [p[0] for p in out], [p[1] for p in out]
    return img, (min(xs), min(ys), max(xs), max(ys))


def degrade_mild(rng, img, box):
    """The band as find_text_band() cuts it from a daytime plate crop, with camera effects of
    the strength seen in ../shared/eval/plates-dev: mostly sharp, 20-70 px characters, little
    noise, some IR-like contrast, rare glare or shadow. The full degrade() mix is harder than
    the real crops (stock eng reads 0.17 of it against 0.42 of the real bands)."""
    x0, y0, x1, y1 = box
    ch = y1 - y0
    top = ch * rng.choice([rng.uniform(0.05, 0.2), rng.uniform(0.1, 0.3), rng.uniform(-0.02, 0.06)])
    bot = ch * rng.choice([rng.uniform(0.05, 0.2), rng.uniform(0.1, 0.3), rng.uniform(-0.02, 0.06)])
    left = ch * rng.choice([rng.uniform(0.1, 0.5), rng.uniform(0.5, 1.0), rng.uniform(0.8, 1.3)])
    right = ch * rng.choice([rng.uniform(0.1, 0.5), rng.uniform(0.5, 1.0), rng.uniform(0.8, 1.3)])
    img = img.crop((int(x0 - left), int(y0 - top), int(x1 + right), int(y1 + bot)))
    a = np.asarray(img, dtype=np.float32)
    if rng.random() < 0.8:
        wts = np.array([0.299, 0.587, 0.114]) + np.array([rng.gauss(0, 0.05) for _ in range(3)])
        wts = np.clip(wts, 0.02, None)
        g = (a * (wts / wts.sum())).sum(axis=2)
    else:
        g = a.max(axis=2) * 0.6 + a.mean(axis=2) * 0.4
        lo, hi = np.percentile(g, 3), np.percentile(g, 97)
        g = np.clip((g - lo) / max(1.0, hi - lo), 0, 1) ** rng.uniform(0.6, 1.4)
        g = g * rng.uniform(170, 255) + rng.uniform(0, 30)
    h, w = g.shape
    if rng.random() < 0.1:
        xx = np.linspace(-1, 1, w)[None, :] * math.cos(rng.uniform(0, math.pi))
        yy = np.linspace(-1, 1, h)[:, None] * math.sin(rng.uniform(0, math.pi))
        g = g * np.where(xx + yy > rng.uniform(-0.5, 0.5), rng.uniform(0.55, 0.85), 1.0)
    if rng.random() < 0.1:
        gx, gy = rng.uniform(0, w), rng.uniform(0, h)
        sx, sy = rng.uniform(0.1, 0.5) * w, rng.uniform(0.2, 1.0) * h
        yy, xx = np.mgrid[0:h, 0:w]
        g = g + rng.uniform(40, 120) * np.exp(-(((xx - gx) / sx) ** 2 + ((yy - gy) / sy) ** 2))
    g = np.clip((g - 128) * rng.uniform(0.7, 1.2) + 128 + rng.uniform(-25, 25), 0, 255)
    im = Image.fromarray(g.astype(np.uint8), "L")
    target_ch = rng.choice([rng.uniform(18, 30), rng.uniform(28, 50), rng.uniform(40, 70)])
    f = target_ch / ch
    im = im.resize((max(8, int(im.size[0] * f)), max(8, int(im.size[1] * f))),
                   Image.BILINEAR if rng.random() < 0.5 else Image.LANCZOS)
    if rng.random() < 0.5:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.0) * max(1.0, target_ch / 40)))
    if rng.random() < 0.1:
        k = rng.randint(2, max(3, int(target_ch / 12)))
        a = np.asarray(im, dtype=np.float32)
        c = np.cumsum(np.pad(a, ((0, 0), (k, 0)), mode="edge"), axis=1)
        im = Image.fromarray(np.clip((c[:, k:] - c[:, :-k]) / k, 0, 255).astype(np.uint8), "L")
    a = np.asarray(im, dtype=np.float32)
    sigma = rng.choice([rng.uniform(0, 3), rng.uniform(2, 6)])
    a = a + np.random.default_rng(rng.getrandbits(32)).normal(0, sigma, a.shape)
    im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    if rng.random() < 0.5:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=rng.randint(40, 95))
        buf.seek(0)
        im = Image.open(buf).convert("L")
    if im.size[1] < 32:
        f = 32 / im.size[1]
        im = im.resize((int(im.size[0] * f), 32), Image.BILINEAR)
    return im


def degrade(rng, img, box):
    """Crop the text band like a crude line finder would, then camera/night effects."""
    x0, y0, x1, y1 = box
    ch = y1 - y0
    # vertical margins mostly 5-20% of char height, sometimes generous (state name fragments)
    # and occasionally slightly clipping the characters; horizontal margins cut into the frame.
    top = ch * rng.choice([rng.uniform(0.03, 0.2), rng.uniform(0.15, 0.45), rng.uniform(-0.04, 0.05)])
    bot = ch * rng.choice([rng.uniform(0.03, 0.2), rng.uniform(0.15, 0.45), rng.uniform(-0.04, 0.05)])
    left = ch * rng.choice([rng.uniform(0.05, 0.4), rng.uniform(0.3, 1.0), rng.uniform(0.6, 1.2)])
    right = ch * rng.choice([rng.uniform(0.05, 0.4), rng.uniform(0.3, 1.0), rng.uniform(0.6, 1.2)])
    img = img.crop((int(x0 - left), int(y0 - top), int(x1 + right), int(y1 + bot)))

    mode = rng.choices(["day", "ir", "night"], [6, 2, 1])[0]
    a = np.asarray(img, dtype=np.float32)
    if mode == "day":
        wts = np.array([0.299, 0.587, 0.114]) + np.array([rng.gauss(0, 0.05) for _ in range(3)])
        wts = np.clip(wts, 0.02, None)
        g = (a * (wts / wts.sum())).sum(axis=2)
    else:
        # IR: retroreflective background bright, most inks dark, colour mostly irrelevant;
        # emulate with the max channel (colour art fades) and strong contrast / gamma.
        g = a.max(axis=2) * 0.6 + a.mean(axis=2) * 0.4
        lo, hi = np.percentile(g, 3), np.percentile(g, 97)
        g = (g - lo) / max(1.0, hi - lo)
        g = np.clip(g, 0, 1) ** rng.uniform(0.4, 1.6)
        if mode == "ir":
            g = g * rng.uniform(150, 255) + rng.uniform(0, 40)
        else:
            g = g * rng.uniform(40, 110) + rng.uniform(5, 30)
    # shadow across part of the plate
    h, w = g.shape
    if rng.random() < 0.2:
        xx = np.linspace(-1, 1, w)[None, :] * math.cos(rng.uniform(0, math.pi))
        yy = np.linspace(-1, 1, h)[:, None] * math.sin(rng.uniform(0, math.pi))
        g = g * np.where(xx + yy > rng.uniform(-0.5, 0.5), rng.uniform(0.4, 0.8), 1.0)
    # glare: bright soft ellipse
    if rng.random() < 0.25:
        gx, gy = rng.uniform(0, w), rng.uniform(0, h)
        sx, sy = rng.uniform(0.1, 0.5) * w, rng.uniform(0.2, 1.0) * h
        yy, xx = np.mgrid[0:h, 0:w]
        g = g + rng.uniform(60, 200) * np.exp(-(((xx - gx) / sx) ** 2 + ((yy - gy) / sy) ** 2))
    # global contrast / brightness
    g = (g - 128) * rng.uniform(0.6, 1.2) + 128 + rng.uniform(-30, 30)
    g = np.clip(g, 0, 255)
    im = Image.fromarray(g.astype(np.uint8), "L")

    # resolution: final text height between ~14 and 90 px of characters
    target_ch = rng.choice([rng.uniform(14, 30), rng.uniform(25, 60), rng.uniform(50, 90)])
    f = target_ch / ch
    nw, nh = max(8, int(im.size[0] * f)), max(8, int(im.size[1] * f))
    im = im.resize((nw, nh), Image.BILINEAR if rng.random() < 0.5 else Image.LANCZOS)
    # blur (focus) and horizontal motion blur
    if rng.random() < 0.6:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.4) * max(1.0, target_ch / 40)))
    if rng.random() < 0.2:
        k = rng.randint(2, max(3, int(target_ch / 10)))
        a = np.asarray(im, dtype=np.float32)
        c = np.cumsum(np.pad(a, ((0, 0), (k, 0)), mode="edge"), axis=1)
        a = (c[:, k:] - c[:, :-k]) / k
        im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    a = np.asarray(im, dtype=np.float32)
    sigma = rng.choice([rng.uniform(0, 4), rng.uniform(3, 12), rng.uniform(10, 22) if mode == "night" else 6])
    a = a + np.random.default_rng(rng.getrandbits(32)).normal(0, sigma, a.shape)
    im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    if rng.random() < 0.5:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=rng.randint(15, 90))
        buf.seek(0)
        im = Image.open(buf).convert("L")
    # bring small crops up to a height Tesseract handles comfortably
    if im.size[1] < 32:
        f = 32 / im.size[1]
        im = im.resize((int(im.size[0] * f), 32), Image.BILINEAR)
    return im


def easy_line(rng, img, box):
    """Curriculum stage 1: same plates, mild crop, plain grey conversion, no degradation."""
    x0, y0, x1, y1 = box
    ch = y1 - y0
    m = [ch * rng.uniform(0.05, 0.2) for _ in range(4)]
    im = img.crop((int(x0 - m[0]), int(y0 - m[1]), int(x1 + m[2]), int(y1 + m[3]))).convert("L")
    f = rng.uniform(30, 60) / ch
    return im.resize((max(8, int(im.size[0] * f)), max(8, int(im.size[1] * f))), Image.LANCZOS)


# Curriculum stage 0 (--plain): the glyphs alone. From scratch on decorated plates the net
# stayed in CTC's blank phase (~98% error, see data/ocr/TRAINING.md); on plain renders of a
# few bold fonts it leaves it after a few thousand iterations.
PLAIN_FONTS = "DejaVuSansCondensed-Bold,NimbusSansNarrow-Bold,RobotoCondensed-Bold"


def render_plain(rng):
    """Dark characters on a light, flat background, tight crop, no warp or degradation."""
    groups, gt = plate_text(rng)
    fpath, sq_lo, sq_hi = rng.choice(FONTS)
    cap_h = rng.uniform(30, 50)
    squeeze = rng.uniform(sq_lo, sq_hi)
    fg = rng.randint(0, 70)
    bg = rng.randint(175, 255)
    track = rng.uniform(0.04, 0.15) * cap_h
    gap = rng.uniform(0.25, 0.7) * cap_h
    glyphs = [[render_glyph(rng, c, fpath, cap_h, squeeze, (fg, fg, fg), 0) for c in grp] for grp in groups]
    w = sum(g.size[0] for grp in glyphs for g in grp) + track * (len(gt) - 1) + gap * (len(groups) - 1)
    m = [cap_h * rng.uniform(0.05, 0.15) for _ in range(4)]  # left, top, right, bottom
    img = Image.new("RGB", (int(w + m[0] + m[2]) + 1, int(cap_h + m[1] + m[3]) + 1), (bg, bg, bg))
    x = m[0]
    for gi, grp in enumerate(glyphs):
        for g in grp:
            img.paste(g, (int(x), int(m[1] + (cap_h - g.size[1]) / 2)), g)
            x += g.size[0] + track
        if gi < len(glyphs) - 1:
            x += gap
    return img.convert("L"), gt


def make_sample(args):
    seed, i, outdir, easy, plain, mild = args
    rng = random.Random(f"{seed}:{i}")
    if plain:
        im, gt = render_plain(rng)
    else:
        img, box, gt = render_plate(rng)
    if plain:
        pass
    elif easy:
        im = easy_line(rng, img, box)
    else:
        img, box = warp(rng, img, box)
        im = degrade_mild(rng, img, box) if mild else degrade(rng, img, box)
    base = os.path.join(outdir, f"plate_{i:06d}")
    im.save(base + ".png")
    with open(base + ".gt.txt", "w") as f:
        f.write(gt + "\n")
    w, h = im.size
    with open(base + ".box", "w") as f:
        for c in gt:
            f.write(f"{c} 0 0 {w} {h} 0\n")
        f.write(f"\t 0 0 {w} {h} 0\n")
    return gt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0, help="first sample index")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--easy", action="store_true", help="undegraded lines (curriculum stage 1)")
    ap.add_argument("--plain", action="store_true",
                    help="glyphs only: dark on light, no decorations, tight crop, no warp (stage 0); "
                         f"fonts default to {PLAIN_FONTS}")
    ap.add_argument("--mild", action="store_true",
                    help="warp and degradation of the strength seen in real plate crops (not night/heavy)")
    ap.add_argument("--fonts", help="comma-separated substrings of font file names to use, or 'all' "
                                    "(default: all; with --plain, PLAIN_FONTS)")
    a = ap.parse_args()
    if a.plain and not a.fonts:
        a.fonts = PLAIN_FONTS
    if a.fonts and a.fonts != "all":
        want = [w.strip().lower() for w in a.fonts.split(",") if w.strip()]
        FONTS[:] = [t for t in FONTS if any(w in os.path.basename(t[0]).lower() for w in want)]
    missing = [p for p, _, _ in FONTS if not os.path.exists(p)] + [p for p in DECOR_FONTS if not os.path.exists(p)]
    for p in missing:
        print(f"generate.py: warning: font missing, skipped: {p}", file=sys.stderr)
    FONTS[:] = [t for t in FONTS if os.path.exists(t[0])]
    DECOR_FONTS[:] = [p for p in DECOR_FONTS if os.path.exists(p)]
    if not FONTS:
        sys.exit("generate.py: no fonts found (run scripts/install-deps.sh)")
    os.makedirs(a.out, exist_ok=True)
    jobs = [(a.seed, i, a.out, a.easy, a.plain, a.mild) for i in range(a.start, a.start + a.count)]
    if a.jobs > 1:
        with Pool(a.jobs) as p:
            for _ in p.imap_unordered(make_sample, jobs, chunksize=16):
                pass
    else:
        for j in jobs:
            make_sample(j)
    print(f"generate.py: {a.count} samples in {a.out} (seed {a.seed})", file=sys.stderr)


if __name__ == "__main__":
    main()
