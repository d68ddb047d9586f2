#!/usr/bin/python3
# SPDX-License-Identifier: LicenseRef-Proprietary
"""Generate the demo patrol drive: front and rear camera video and the truth of every pass.

From a fixed seed, the same drive every time: 1280x720 at 15 fps from a front and a rear
camera, vehicles passing at varied distance (plate characters 24 to 50 px high), angle
(up to +-7 degrees of roll and some shear) and lighting (day, dusk and night with a lit
plate), with plates the recognizer reads: large, clean, high-contrast lettering in a bold
sans font, and the state's name printed above the number as US plates do.

Outputs, in --out:
  front.webm, rear.webm   VP8 in WebM, encoded by GStreamer (gst-launch-1.0 fdsrc !
                          rawvideoparse ! vp8enc ! webmmux) from frames piped raw
  truth.csv               one row per vehicle pass: camera,plate,state,t_start,t_end,
                          lighting,char_px_min,char_px_max,angle_deg,role
                          (role: the demo hotlist case the pass exercises, or "traffic")
  (--png: front/ and rear/ folders of PNG frames instead of video)

The hotlist cases (data/demo/hotlist.csv lists them):
  exact       5SOW750 CA, listed as read
  lookalike   a plate one look-alike away from a listed one
  otherstate  7XYZ890 printed ARIZONA, listed for NV
  expired     EXP1234 CA, listed with an expiry in the past
  refused     IMM0042 TX, listed in a category the policy refuses
  edit        6TRK53 CA, one character short of a listed plate

Needs python3-pil and python3-numpy (Debian) and GStreamer with vp8enc (plugins-good).
"""

import argparse
import csv
import os
import random
import subprocess
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

W, H, FPS = 1280, 720, 15
FONT = "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf"
FONT_STATE = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

STATES = {"CA": "CALIFORNIA", "TX": "TEXAS", "AZ": "ARIZONA", "NV": "NEVADA",
          "OR": "OREGON", "WA": "WASHINGTON", "IL": "ILLINOIS"}

# The passes that exercise the demo hotlist, at fixed times (seconds) and cameras.
CASES = [
    ("front", "5SOW750", "CA", "exact"),
    ("rear", "BBKR412", "TX", "lookalike"),
    ("front", "7XYZ890", "AZ", "otherstate"),
    ("rear", "EXP1234", "CA", "expired"),
    ("front", "IMM0042", "TX", "refused"),
    ("rear", "6TRK53", "CA", "edit"),
]

LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def traffic_plate(rng):
    # California style: digit, three letters, three digits.
    return "%d%s%03d" % (rng.randint(1, 9), "".join(rng.choice(LETTERS) for _ in range(3)),
                         rng.randint(0, 999))


def lighting_at(t, duration):
    f = t / duration
    return "day" if f < 0.4 else ("dusk" if f < 0.6 else "night")


def make_passes(rng, duration):
    passes = []
    slot = 2.6  # seconds between passes on one camera
    cases = list(CASES)
    for cam_i, cam in enumerate(("front", "rear")):
        t = 0.6 + cam_i * 1.3
        while t + 2.2 < duration:
            passes.append({"camera": cam, "t0": t})
            t += slot + rng.uniform(-0.3, 0.5)
    # Spread the hotlist cases over the drive, the rest is traffic.
    for role_i, (cam, plate, state, role) in enumerate(cases):
        cands = [p for p in passes if p["camera"] == cam and "plate" not in p]
        p = cands[min(len(cands) - 1, (role_i * len(cands)) // len(cases) + 1)]
        p.update(plate=plate, state=state, role=role)
    used = {c[1] for c in cases}
    for p in passes:
        if "plate" not in p:
            while True:
                pl = traffic_plate(rng)
                if pl not in used:
                    break
            used.add(pl)
            p.update(plate=pl, state=rng.choice(["CA"] * 4 + ["NV", "AZ", "OR"]),
                     role="traffic")
        p["dur"] = rng.uniform(1.6, 2.2)
        p["t1"] = p["t0"] + p["dur"]
        p["lighting"] = lighting_at(p["t0"], duration)
        near = rng.uniform(38, 50)
        far = rng.uniform(24, 30)
        # Front: a car ahead we close in on (small to large); rear: a car dropping back.
        p["h0"], p["h1"] = (far, near) if p["camera"] == "front" else (near, far)
        p["angle"] = rng.uniform(-7, 7)
        p["shear"] = rng.uniform(-0.12, 0.12)
        p["x0"] = rng.uniform(380, 900)
        p["x1"] = p["x0"] + rng.uniform(-220, 220)
        p["y0"], p["y1"] = (430, 560) if p["camera"] == "front" else (560, 430)
        p["shade"] = rng.randint(40, 200)
    return passes


def render_plate(text, state, char_h, lighting):
    font = ImageFont.truetype(FONT, int(char_h * 1.32))
    sfont = ImageFont.truetype(FONT_STATE, max(9, int(char_h * 0.5)))
    tw = int(font.getlength(text))
    pw = int(tw + char_h * 1.1)
    ph = int(char_h * 2.0)
    bg = 235 if lighting == "day" else (205 if lighting == "dusk" else 175)
    img = Image.new("L", (pw, ph), bg)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, pw - 1, ph - 1), outline=40, width=max(2, int(char_h / 14)))
    name = STATES.get(state, state)
    sw = sfont.getlength(name)
    d.text(((pw - sw) / 2, char_h * 0.12), name, font=sfont, fill=70)
    top = font.getbbox(text)[1]
    d.text(((pw - tw) / 2, ph * 0.34 - top), text, font=font, fill=18)
    return img


def scene_base(lighting, cam):
    sky = {"day": 150, "dusk": 90, "night": 22}[lighting]
    road = {"day": 95, "dusk": 60, "night": 14}[lighting]
    img = Image.new("L", (W, H), sky)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 300, W, H), fill=road)
    # Lane markings and roadside posts: clutter for the localiser.
    mark = {"day": 200, "dusk": 140, "night": 60}[lighting]
    for i in range(6):
        y = 330 + i * 70
        d.polygon([(W / 2 - 8 - i * 6, y), (W / 2 + 8 + i * 6, y),
                   (W / 2 + 10 + i * 7, y + 35), (W / 2 - 10 - i * 7, y + 35)], fill=mark)
    for x in range(40, W, 210):
        d.rectangle((x, 220, x + 10, 320), fill=max(0, sky - 40))
    return img


def render_frame(base, active, t, noise, lighting):
    img = base.copy()
    d = ImageDraw.Draw(img)
    for p in active:
        f = (t - p["t0"]) / p["dur"]
        ch = p["h0"] + (p["h1"] - p["h0"]) * f
        cx = p["x0"] + (p["x1"] - p["x0"]) * f
        cy = p["y0"] + (p["y1"] - p["y0"]) * f
        # The vehicle: a body around the plate, windows, lights at night.
        bw, bh = ch * 9.5, ch * 5.5
        shade = p["shade"] if lighting == "day" else int(p["shade"] * 0.35)
        d.rounded_rectangle((cx - bw / 2, cy - bh * 0.75, cx + bw / 2, cy + bh * 0.3),
                            radius=int(ch), fill=shade)
        d.rectangle((cx - bw * 0.38, cy - bh * 0.7, cx + bw * 0.38, cy - bh * 0.35),
                    fill=max(0, shade - 50))
        lamp = 255 if lighting != "day" else min(255, shade + 60)
        for sx in (-1, 1):
            lx = cx + sx * bw * 0.4
            d.ellipse((lx - ch * 0.6, cy - ch * 1.2, lx + ch * 0.6, cy - ch * 0.4), fill=lamp)
        plate = render_plate(p["plate"], p["state"], ch, lighting)
        plate = plate.transform(plate.size, Image.AFFINE, (1, p["shear"], -p["shear"] * plate.size[1] / 2, 0, 1, 0),
                                resample=Image.BICUBIC, fillcolor=shade)
        plate = plate.rotate(p["angle"], resample=Image.BICUBIC, expand=True, fillcolor=shade)
        img.paste(plate, (int(cx - plate.size[0] / 2), int(cy - plate.size[1] / 2)))
    a = np.asarray(img, dtype=np.int16)
    # Sensor noise: a few seeded fields, cycled (drawing one per frame is the slow part).
    sigma = {"day": 1.0, "dusk": 1.5, "night": 2.0}[lighting]
    a = a + (noise[int(t * FPS) % len(noise)] * sigma).astype(np.int16)
    return np.clip(a, 0, 255).astype(np.uint8)


def encoder(path):
    cmd = ["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!",
           "rawvideoparse", "width=%d" % W, "height=%d" % H, "format=gray8",
           "framerate=%d/1" % FPS, "!", "videoconvert", "!", "video/x-raw,format=I420", "!",
           "vp8enc", "deadline=1", "cpu-used=4", "target-bitrate=6000000",
           "keyframe-max-dist=30", "threads=2", "!", "webmmux", "!", "filesink",
           "location=" + path]
    return subprocess.Popen(cmd, stdin=subprocess.PIPE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--duration", type=float, default=48.0, help="seconds (default 48)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--png", action="store_true", help="PNG folders instead of WebM")
    ap.add_argument("--stamp", help="write this file last (a build system's output)")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    rng_np = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    passes = make_passes(rng, args.duration)
    noise = [rng_np.normal(0, 3.0, (H, W)).astype(np.float32) for _ in range(5)]

    nframes = int(args.duration * FPS)
    bases = {}
    for cam in ("front", "rear"):
        if args.png:
            os.makedirs(os.path.join(args.out, cam), exist_ok=True)
            enc = None
        else:
            enc = encoder(os.path.join(args.out, cam + ".webm.part"))
        for i in range(nframes):
            t = i / FPS
            lighting = lighting_at(t, args.duration)
            key = (lighting, cam)
            if key not in bases:
                bases[key] = scene_base(lighting, cam)
            active = [p for p in passes if p["camera"] == cam and p["t0"] <= t < p["t1"]]
            # Nearer vehicles drawn last (they hide farther ones).
            active.sort(key=lambda p: p["h0"] + (p["h1"] - p["h0"]) * (t - p["t0"]) / p["dur"])
            frame = render_frame(bases[key], active, t, noise, lighting)
            if enc:
                enc.stdin.write(frame.tobytes())
            else:
                Image.fromarray(frame).save(os.path.join(args.out, cam, "%05d.png" % i),
                                            compress_level=1)
        if enc:
            enc.stdin.close()
            if enc.wait() != 0:
                sys.exit("gen-demo-drive: the GStreamer encoder failed")
            os.replace(os.path.join(args.out, cam + ".webm.part"),
                       os.path.join(args.out, cam + ".webm"))

    with open(os.path.join(args.out, "truth.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["camera", "plate", "state", "t_start", "t_end", "lighting", "char_px_min",
                    "char_px_max", "angle_deg", "role"])
        for p in sorted(passes, key=lambda p: p["t0"]):
            w.writerow([p["camera"], p["plate"], p["state"], "%.3f" % p["t0"], "%.3f" % p["t1"],
                        p["lighting"], int(min(p["h0"], p["h1"])), int(max(p["h0"], p["h1"])),
                        "%.1f" % p["angle"], p["role"]])
    if args.stamp:
        with open(args.stamp, "w") as f:
            f.write("seed %d duration %g\n" % (args.seed, args.duration))


if __name__ == "__main__":
    main()
