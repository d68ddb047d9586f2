#!/usr/bin/python3
"""US plate lettering drawn by the project: a parametric stroke font of A-Z and 0-9.

    platefont.py --sheet OUT.png [--seed S] [--rows N]    # a sheet of styles, for a look

US plates are stamped in a condensed gothic of uniform stroke ("penitentiary gothic"): tall,
narrow (a W is barely wider than an H), flat terminals, rounds that are rectangles with
rounded corners, an M whose middle V comes down a half to three quarters of the height. No font that Debian ships is that narrow, so the classifier
also learns from this one. Each glyph is a set of centre lines (polylines in a box of the
glyph's width and height, in pixels, y down); corners marked round are replaced by circular
fillets of the style's corner radius; the lines are stroked with the style's pen. A style
(style()) draws the width, stroke weight, corner radius, pen shape and the variant of every
letter that has variants (flat or pointed A, 1 with or without foot, open or closed 4, ...), so
that the net sees many plate faces, not one shape. render() returns a tight ink crop (L, 0 =
ink, 255 = paper), as gen_chars.glyph() does for a font.
"""
import argparse
import math
import random

from PIL import Image, ImageDraw

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def style(rng):
    """One plate's lettering: every character of a plate is drawn with the same style."""
    return {
        "aspect": rng.uniform(0.36, 0.56),  # glyph width / height (an H), ink box
        "stroke": rng.uniform(0.10, 0.18),  # stroke weight / height
        "round": rng.uniform(0.25, 0.5),  # corner radius of rounds / glyph width
        "pen": rng.choice(("square", "square", "round")),
        "mid": rng.uniform(0.45, 0.55),  # height of the middle bars (B E F H P R 3 5 6 8 9)
        "mdepth": rng.uniform(0.45, 0.85),  # how far down the M's V reaches
        "mwide": rng.uniform(1.05, 1.35),  # M and W width against an H
        "a_flat": rng.random() < 0.6,  # A with a flat top, else pointed
        "one_foot": rng.random() < 0.35,  # 1 with a foot serif
        "one_flag": rng.uniform(0.15, 0.35),  # length of the 1's flag / height
        "i_serif": rng.random() < 0.5,  # I with short top and bottom bars, else a bare bar
        "four_open": rng.random() < 0.4,
        "seven_bent": rng.random() < 0.4,  # 7 whose stem starts with a vertical bit
        "g_spur": rng.random() < 0.5,
        "w_kind": rng.randrange(3),  # 0: verticals and a short middle, 1: four slants, 2: middle to the top
        "v_kind": rng.randrange(2),
        "k_join": rng.random() < 0.5,  # K's legs meet at the stem, else the lower leg on the upper
        "r_leg": rng.randrange(2),  # 0: diagonal leg, 1: vertical leg
        "slant": rng.choice((0.0, 0.0, 0.0, rng.uniform(-0.06, 0.08))),
        "jitter": rng.uniform(0.0, 0.03),  # per-glyph wobble of the parameters
    }


def style_v2(rng):
    """style() with the variants of run 10: the 1 as US plates stamp it (a flag, often a foot;
    the flag steep, diagonal or nearly flat; or a bare bar), the I mostly a plain bar, and M
    and W up to one and a half times an H's width. Drawn after style() so that style()'s output for a seed
    is what it was."""
    st = style(rng)
    st["one_foot"] = rng.random() < 0.55
    st["one_flag"] = rng.uniform(0.12, 0.38)  # some states' flag is a short tick
    st["one_angle"] = rng.choice((0.6, 1.0, 1.6))  # flag run / rise: steep, diagonal, flat
    st["i_serif"] = rng.random() < 0.3
    if rng.random() < 0.4:
        st["mwide"] = rng.uniform(1.3, 1.6)
    # Some states stamp the 1 as a bare bar, the same as their I (Massachusetts, New
    # Hampshire): such a bar must leave both readings open for the plate syntax to decide
    # (run 10a read them as I at 0.97-0.99).
    st["one_bare"] = rng.random() < 0.45
    return st


def style_v3(rng, mw=True):
    """style_v2() with the shapes of run 11, drawn after it so that style_v2()'s output for a
    seed is what it was. Q: plates-dev's Qs (Mississippi, Florida, California) have a short
    tail, a stub across the bottom of the bowl that notches the counter and barely shows
    below it, at the middle or at the right corner, not the long diagonal of style() (their
    Qs were read O or 0). M and W: dies draw them wide (to 1.5 an H), the M's V from half way
    down to the baseline, its legs upright or splayed; the W's middle peak anywhere from the
    top to half way down."""
    st = style_v2(rng)
    v2 = dict(st)
    st["q_kind"] = rng.choice((0, 1, 1, 2, 2))  # 0: style()'s long tail, 1: a stub, 2: at the corner
    st["q_x"] = rng.uniform(0.35, 0.75)  # where the stub crosses the bottom, / width
    st["q_in"] = rng.uniform(0.06, 0.2)  # how far it reaches into the counter past the stroke, / height
    st["q_out"] = rng.uniform(0.0, 0.09)  # how far it shows below the bowl, / height
    st["q_run"] = rng.uniform(0.4, 1.0)  # its run / rise (0.4: steep)
    st["mdepth"] = rng.uniform(0.45, 1.0)
    m = rng.random()
    if m < 0.4:  # as narrow as an H or barely wider (California, Maryland, New Jersey)
        st["mwide"] = rng.uniform(0.95, 1.15)
    elif m < 0.5:
        st["mwide"] = rng.uniform(1.35, 1.6)
    st["m_splay"] = rng.choice((0.0, 0.0, rng.uniform(0.03, 0.12)))  # legs' spread / width
    st["w_kind"] = rng.choice((0, 1, 1, 2, 3))  # 3: four slants, the middle peak high
    st["mw_open"] = rng.random() < 0.4  # M and W strokes at most a quarter of their width
    st["v_kind"] = rng.choice((0, 1, 2))  # 2: upright sides to half way or lower (California)
    st["v_side"] = rng.uniform(0.45, 0.65)
    if not mw:  # the Q only (run 11d): M, W and V as style_v2() draws them
        for k in ("mdepth", "mwide", "m_splay", "w_kind", "mw_open", "v_kind"):
            st[k] = v2.get(k, 0.0)
    return st


def style_v3q(rng):
    """style_v3() with style_v2()'s M, W and V: the short Q tails only (run 11d)."""
    return style_v3(rng, mw=False)


def add_style_options(ap):
    """The generators' --v2, --v3q and --v3 options: which drawn lettering to use."""
    ap.add_argument("--v2", action="store_true",
                    help="plate lettering in style_v2() (run 10: the 1 with a flag and often a "
                         "foot, the I mostly a bare bar, wider M and W), not style()")
    ap.add_argument("--v3q", action="store_true",
                    help="style_v3q(): style_v3()'s Q tails, style_v2()'s M, W and V (run 11d)")
    ap.add_argument("--v3", action="store_true",
                    help="plate lettering in style_v3() (run 11: style_v2() with short Q tails, "
                         "M and W narrow to wide, the M's V to the baseline)")


def chosen_style(a, default):
    """The style function add_style_options()'s parsed options @a choose, else @default."""
    st = default
    if a.v2:
        st = style_v2
    if a.v3:
        st = style_v3
    if a.v3q:
        st = style_v3q
    return st


def fillet(pts, rnd, r, closed):
    """The polyline with each vertex i for which rnd(i) is true replaced by a circular arc of
    radius r (at most half of either neighbouring segment)."""
    n = len(pts)
    out = []
    for i in range(n):
        p = pts[i]
        if not rnd(i) or (not closed and (i == 0 or i == n - 1)):
            out.append(p)
            continue
        a, b = pts[(i - 1) % n], pts[(i + 1) % n]
        v1 = (a[0] - p[0], a[1] - p[1])
        v2 = (b[0] - p[0], b[1] - p[1])
        l1, l2 = math.hypot(*v1), math.hypot(*v2)
        if l1 < 1e-6 or l2 < 1e-6:
            out.append(p)
            continue
        u1, u2 = (v1[0] / l1, v1[1] / l1), (v2[0] / l2, v2[1] / l2)
        cosang = max(-1.0, min(1.0, u1[0] * u2[0] + u1[1] * u2[1]))
        ang = math.acos(cosang)  # the angle between the two segments at p
        if ang > math.pi - 0.05:  # straight through
            out.append(p)
            continue
        t = r / math.tan(ang / 2)  # distance from p to the tangent points
        t = min(t, l1 / 2, l2 / 2)
        rr = t * math.tan(ang / 2)
        t1 = (p[0] + u1[0] * t, p[1] + u1[1] * t)
        t2 = (p[0] + u2[0] * t, p[1] + u2[1] * t)
        bis = (u1[0] + u2[0], u1[1] + u2[1])
        bl = math.hypot(*bis)
        dc = rr / math.sin(ang / 2)
        c = (p[0] + bis[0] / bl * dc, p[1] + bis[1] / bl * dc)
        a0 = math.atan2(t1[1] - c[1], t1[0] - c[0])
        a1 = math.atan2(t2[1] - c[1], t2[0] - c[0])
        da = (a1 - a0 + math.pi) % (2 * math.pi) - math.pi  # the short way round
        steps = max(3, int(abs(da) * rr / 2) + 2)
        for k in range(steps + 1):
            aa = a0 + da * k / steps
            out.append((c[0] + rr * math.cos(aa), c[1] + rr * math.sin(aa)))
    if closed:
        out.append(out[0])
    return out


def strokes(ch, w, h, st, r):
    """The glyph's centre lines: a list of (points, round-vertex set or 'all', closed)."""
    m = h * st["mid"]
    A = "all"
    if ch == "A":
        if st["a_flat"]:
            top = 0.18 * w
            return [([(0, h), (0.5 * w - top, 0), (0.5 * w + top, 0), (w, h)], set(), False),
                    ([(0.2 * w, 0.66 * h), (0.8 * w, 0.66 * h)], set(), False)]
        return [([(0, h), (0.5 * w, 0), (w, h)], set(), False),
                ([(0.18 * w, 0.66 * h), (0.82 * w, 0.66 * h)], set(), False)]
    if ch == "B":
        return [([(0, h), (0, 0), (0.88 * w, 0), (0.88 * w, m), (0, m)], {2, 3}, False),
                ([(0, m), (w, m), (w, h), (0, h)], {1, 2}, False)]
    if ch == "C":
        e = 0.27 * h
        return [([(w, e), (w, 0), (0, 0), (0, h), (w, h), (w, h - e)], A, False)]
    if ch == "D":
        return [([(0, 0), (w, 0), (w, h), (0, h)], {1, 2}, True)]
    if ch == "E":
        return [([(w, 0), (0, 0), (0, h), (w, h)], set(), False), ([(0, m), (0.85 * w, m)], set(), False)]
    if ch == "F":
        return [([(w, 0), (0, 0), (0, h)], set(), False), ([(0, m), (0.85 * w, m)], set(), False)]
    if ch == "G":
        e = 0.27 * h
        g = [([(w, e), (w, 0), (0, 0), (0, h), (w, h), (w, 0.55 * h), (0.5 * w, 0.55 * h)], {1, 2, 3, 4}, False)]
        if st["g_spur"]:
            g.append(([(w, 0.55 * h), (w, h + 0.02 * h)], set(), False))
        return g
    if ch == "H":
        return [([(0, 0), (0, h)], set(), False), ([(w, 0), (w, h)], set(), False),
                ([(0, m), (w, m)], set(), False)]
    if ch == "I":
        s = [([(0.5 * w, 0), (0.5 * w, h)], set(), False)]
        if st["i_serif"]:
            s += [([(0, 0), (w, 0)], set(), False), ([(0, h), (w, h)], set(), False)]
        return s
    if ch == "J":
        return [([(w, 0), (w, h), (0, h), (0, 0.68 * h)], {1, 2}, False)]
    if ch == "K":
        if st["k_join"]:
            return [([(0, 0), (0, h)], set(), False), ([(w, 0), (0, 0.62 * h)], set(), False),
                    ([(0.3 * w, 0.42 * h), (w, h)], set(), False)]
        return [([(0, 0), (0, h)], set(), False), ([(w, 0), (0, 0.55 * h)], set(), False),
                ([(0.38 * w, 0.33 * h), (w, h)], set(), False)]
    if ch == "L":
        return [([(0, 0), (0, h), (w, h)], set(), False)]
    if ch == "M":
        d = h * st["mdepth"]
        sp = st.get("m_splay", 0.0) * w  # splayed legs: the top corners come in
        return [([(0, h), (sp, 0), (0.5 * w, d), (w - sp, 0), (w, h)], set(), False)]
    if ch == "N":
        return [([(0, h), (0, 0), (w, h), (w, 0)], set(), False)]
    if ch == "O":
        return [([(0, 0), (w, 0), (w, h), (0, h)], A, True)]
    if ch == "P":
        return [([(0, h), (0, 0), (w, 0), (w, m * 1.03), (0, m * 1.03)], {2, 3}, False)]
    if ch == "Q":
        bowl = ([(0, 0), (w, 0), (w, h), (0, h)], A, True)
        k = st.get("q_kind", 0)
        if k == 0:
            return [bowl, ([(0.55 * w, 0.72 * h), (1.02 * w, 1.04 * h)], set(), False)]
        # the stub shows inside the counter whatever the stroke (render() sets "_sw")
        a, b = st["q_in"] * h + 0.5 * st.get("_sw", 0.0), st["q_out"] * h
        x = st["q_x"] * w if k == 1 else w - 0.12 * w
        run = st["q_run"]
        return [bowl, ([(x - a * run, h - a), (x + b * run, h + b)], set(), False)]
    if ch == "R":
        s = [([(0, h), (0, 0), (w, 0), (w, m), (0, m)], {2, 3}, False)]
        if st["r_leg"] == 0:
            s.append(([(0.45 * w, m), (w, h)], set(), False))
        else:
            s.append(([(0.7 * w, m), (w, m + 0.12 * h), (w, h)], {1}, False))
        return s
    if ch == "S":
        e = 0.25 * h
        return [([(w, e), (w, 0), (0, 0), (0, m), (w, m), (w, h), (0, h), (0, h - e)], A, False)]
    if ch == "T":
        return [([(0, 0), (w, 0)], set(), False), ([(0.5 * w, 0), (0.5 * w, h)], set(), False)]
    if ch == "U":
        return [([(0, 0), (0, h), (w, h), (w, 0)], A, False)]
    if ch == "V":
        if st["v_kind"] == 0:
            return [([(0, 0), (0.5 * w, h), (w, 0)], set(), False)]
        v = 0.35 if st["v_kind"] == 1 else st["v_side"]
        return [([(0, 0), (0, v * h), (0.5 * w, h), (w, v * h), (w, 0)], set(), False)]
    if ch == "W":
        d = h * st["mdepth"]
        if st["w_kind"] == 0:
            return [([(0, 0), (0, h), (0.5 * w, h - d), (w, h), (w, 0)], set(), False)]
        if st["w_kind"] == 1:
            return [([(0, 0), (0.22 * w, h), (0.5 * w, h - d), (0.78 * w, h), (w, 0)], set(), False)]
        if st["w_kind"] == 3:
            return [([(0, 0), (0.25 * w, h), (0.5 * w, h - d), (0.75 * w, h), (w, 0)], set(), False)]
        return [([(0, 0), (0.2 * w, h), (0.5 * w, 0.05 * h), (0.8 * w, h), (w, 0)], set(), False)]
    if ch == "X":
        return [([(0, 0), (w, h)], set(), False), ([(w, 0), (0, h)], set(), False)]
    if ch == "Y":
        return [([(0, 0), (0.5 * w, 0.5 * h), (w, 0)], set(), False),
                ([(0.5 * w, 0.5 * h), (0.5 * w, h)], set(), False)]
    if ch == "Z":
        return [([(0, 0), (w, 0), (0, h), (w, h)], set(), False)]
    if ch == "0":
        return [([(0, 0), (w, 0), (w, h), (0, h)], A, True)]
    if ch == "1":
        f, k = h * st["one_flag"], st.get("one_angle", 1.0)
        rise = f * 0.6 / max(1.0, k ** 0.5)
        s = [([(0.5 * w - rise * k, rise), (0.55 * w, 0), (0.55 * w, h)], set(), False)]
        if st.get("one_bare"):
            return [([(0.5 * w, 0), (0.5 * w, h)], set(), False)]
        if st["one_foot"]:
            s.append(([(0, h), (w, h)], set(), False))
        return s
    if ch == "2":
        return [([(0, 0.25 * h), (0, 0), (w, 0), (w, 0.42 * h), (0, h), (w, h)], {1, 2, 3}, False)]
    if ch == "3":
        return [([(0, 0.22 * h), (0, 0), (w, 0), (w, m), (0.35 * w, m)], {1, 2, 3}, False),
                ([(0.35 * w, m), (w, m), (w, h), (0, h), (0, h - 0.22 * h)], {1, 2, 3}, False)]
    if ch == "4":
        if st["four_open"]:
            return [([(0.1 * w, 0), (0, 0.68 * h), (w, 0.68 * h)], set(), False),
                    ([(0.75 * w, 0.3 * h), (0.75 * w, h)], set(), False)]
        return [([(0.75 * w, h), (0.75 * w, 0), (0, 0.68 * h), (w, 0.68 * h)], set(), False)]
    if ch == "5":
        return [([(w, 0), (0, 0), (0, 0.45 * h), (w, 0.45 * h), (w, h), (0, h), (0, 0.8 * h)], {3, 4, 5}, False)]
    if ch == "6":
        return [([(w, 0.22 * h), (w, 0), (0, 0), (0, h), (w, h), (w, m), (0, m)], {1, 2, 3, 4, 5}, False)]
    if ch == "7":
        if st["seven_bent"]:
            return [([(0, 0), (w, 0), (w, 0.18 * h), (0.3 * w, h)], {2}, False)]
        return [([(0, 0), (w, 0), (0.3 * w, h)], set(), False)]
    if ch == "8":
        return [([(0.06 * w, 0), (0.94 * w, 0), (0.94 * w, m), (0.06 * w, m)], A, True),
                ([(0, m), (w, m), (w, h), (0, h)], A, True)]
    if ch == "9":
        return [([(0, 0.78 * h), (0, h), (w, h), (w, 0), (0, 0), (0, m), (w, m)], {1, 2, 3, 4, 5}, False)]
    raise ValueError(f"platefont: no glyph for {ch!r}")


# Width against an H. An I with full-width bars was a T with a foot or a 1 with a foot to the
# net (run 7 read the T of the recogniser's test font as I): its bars are short.
WIDTH = {"I": 0.42, "1": 0.55, "J": 0.9, "M": None, "W": None, "L": 0.9, "E": 0.9, "F": 0.9, "T": 0.95}


def render(rng, ch, st, height):
    """The character as a tight ink crop (L, 0 = ink), its H height `height` pixels."""
    j = st["jitter"]

    def jit(v):
        return v * (1 + rng.uniform(-j, j))

    h_ink = float(height)
    # the stroke never fills a narrow face: at most a third of an H's width
    sw = max(2.0, jit(min(st["stroke"], 0.33 * st["aspect"])) * h_ink)
    wf = WIDTH.get(ch, 1.0)
    if wf is None:
        wf = st["mwide"]
    # O and 0: the same shapes for both. Plates differ (one state's 0 is a narrower O, the
    # next one's is the same glyph), and a cue invented here was learnt: a first version with
    # a 0 always narrower and squarer than the O read plates-dev's zeros as O 22 times.
    if ch in "O0Q":
        wf = rng.uniform(0.78, 1.0)
    w_ink = max(sw * 2.2, jit(st["aspect"]) * wf * h_ink)
    if ch in "MW" and st.get("mw_open"):  # style_v3: a die keeps the V's of an M or W open
        sw = max(2.0, min(sw, 0.25 * w_ink))
    if (ch == "I" and not st["i_serif"]) or (ch == "1" and st.get("one_bare")):  # a bare bar
        w_ink = sw * 1.5
    w, h = max(1.0, w_ink - sw), h_ink - sw  # the centre lines' box
    st["_sw"] = sw
    r = st["round"] * w
    if ch in "O0Q":
        r *= rng.uniform(0.45, 1.0)
    if ch in "D":
        r = min(w * 0.7, r * 1.6)
    pad = int(sw + 0.1 * h_ink) + 2
    W, H = int(w_ink * 1.4 + 2 * pad + abs(st["slant"]) * h_ink), int(h_ink * 1.2 + 2 * pad)
    img = Image.new("L", (W, H), 255)
    d = ImageDraw.Draw(img)
    ox, oy = pad + sw / 2, pad + sw / 2
    sl = st["slant"]
    square = st["pen"] == "square"
    for pts, rnd, closed in strokes(ch, w, h, st, r):
        isr = (lambda i: True) if rnd == "all" else (lambda i, s=rnd: i in s)
        path = fillet(pts, isr, r, closed)
        sharp = set()
        for i, p in enumerate(pts):
            if not isr(i) or (not closed and (i == 0 or i == len(pts) - 1)):
                sharp.add(p)
        # slant: x moves right with height (y up)
        xy = [(ox + x + sl * (h - y), oy + y) for x, y in path]
        d.line(xy, fill=0, width=int(round(sw)), joint="curve")
        for (x, y), (px, py) in zip(path, xy):
            hw = sw / 2
            if (x, y) in sharp and square:
                d.rectangle((px - hw, py - hw, px + hw, py + hw), fill=0)
            else:
                d.ellipse((px - hw, py - hw, px + hw, py + hw), fill=0)
    bbox = Image.eval(img, lambda v: 255 - v).getbbox()
    if bbox is None:
        return None
    return img.crop(bbox)  # Q's tail and G's spur may make it a little taller than an H


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sheet", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rows", type=int, default=8)
    ap.add_argument("--v2", action="store_true", help="style_v2() (run 10), not style()")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    mk = style_v2 if a.v2 else style
    hgt = 48
    cw, chh = int(hgt * 0.9), int(hgt * 1.3)
    sheet = Image.new("L", (cw * len(LETTERS), chh * a.rows), 255)
    for row in range(a.rows):
        st = mk(rng)
        for k, ch in enumerate(LETTERS):
            g = render(rng, ch, st, hgt)
            sheet.paste(g, (k * cw + (cw - g.width) // 2, row * chh + 4))
    sheet.save(a.sheet)


if __name__ == "__main__":
    main()
