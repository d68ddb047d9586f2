#!/usr/bin/python3
# SPDX-License-Identifier: LicenseRef-Proprietary
"""RSS of alpr-unit across an accelerated shift (docs/benchmarks.md, Unit runtime).

Runs the built alpr-unit headless on a looping drive (the replay path the product already has:
image folders or videos through GStreamer, --loop, frames as fast as recognition takes them),
with the demo hotlist and an encrypted store, and samples /proc/PID/status every few seconds.
The shift is "accelerated" twice over: frames are read back to back (no real-time pacing), and
the test drive holds a vehicle pass every 1.7 s of video, far denser than a street. The run
ends when the replay's capture time has covered --shift-minutes or after --max-wall-minutes,
whichever comes first; the report says which.

It prints RSS at the end of the warm-up and at the end, the growth between them (target: at
most 5 %), and the anonymous part separately: the store's LMDB pages are file-backed and count
in VmRSS as the store fills (bounded by retention and the map size), while a leak shows in
RssAnon.

    tools/bench-rss.py --build build --drive build/tests/unit-drive --shift-minutes 30

Not a test (STYLE.md): it prints figures and exits 0 unless alpr-unit fails.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def status_kib(pid):
    """VmRSS, RssAnon and RssFile of @pid in KiB, or None when it has gone."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, val = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    out[key] = int(val.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return out


def cameras(drive):
    """--camera arguments for the drive's front and rear (PNG folders or videos)."""
    args = []
    for name in ("front", "rear"):
        for cand in (name, name + ".webm"):
            path = os.path.join(drive, cand)
            if os.path.exists(path):
                args += ["--camera", f"{name}=file:{os.path.abspath(path)}"]
                break
        else:
            sys.exit(f"bench-rss: {drive} has no {name} folder or {name}.webm")
    return args


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="the meson build folder")
    ap.add_argument("--drive", default=None,
                    help="a drive folder (front/ rear/ PNG folders or front.webm rear.webm); "
                    "default BUILD/tests/unit-drive")
    ap.add_argument("--shift-minutes", type=float, default=30,
                    help="capture time the shift covers (default 30)")
    ap.add_argument("--max-wall-minutes", type=float, default=60,
                    help="stop here even if the shift is not covered (default 60)")
    ap.add_argument("--warmup-minutes", type=float, default=3,
                    help="wall time before the baseline sample (default 3)")
    ap.add_argument("--sample-seconds", type=float, default=5)
    ap.add_argument("--image-fps", type=int, default=15)
    args = ap.parse_args()

    unit = os.path.join(args.build, "app", "alpr-unit")
    hl = os.path.join(args.build, "tools", "alpr-hotlist")
    drive = args.drive or os.path.join(args.build, "tests", "unit-drive")
    for b in (unit, hl):
        if not os.access(b, os.X_OK):
            sys.exit(f"bench-rss: {b} is not built")
    env = dict(os.environ, ALPR_DATADIR=os.path.join(ROOT, "data"))

    with tempfile.TemporaryDirectory(prefix="alpr-bench-rss-") as work:
        subprocess.run([hl, "--db", f"{work}/hotlist", "import",
                        os.path.join(ROOT, "data/demo/hotlist.csv"), "--list", "state",
                        "--source", "ncic"], check=True, env=env, stdout=subprocess.DEVNULL)
        events = open(f"{work}/events.jsonl", "w+")
        cmd = [unit, "--headless", "--loop", "--image-fps", str(args.image_fps),
               "--hotlist", f"{work}/hotlist", "--store", f"{work}/store",
               "--status-interval", "5"] + cameras(drive)
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=events, stderr=subprocess.DEVNULL)
        reader = open(f"{work}/events.jsonl")
        samples = []  # (wall s, kib dict)
        first_t = last_t = None
        end_reason = "wall-clock limit"
        try:
            while proc.poll() is None:
                time.sleep(args.sample_seconds)
                s = status_kib(proc.pid)
                if s is None:
                    break
                wall = time.monotonic() - t0
                samples.append((wall, s))
                # Capture time covered: the newest read's time_us since the first one.
                while True:
                    pos = reader.tell()
                    line = reader.readline()
                    if not line.endswith("\n"):
                        reader.seek(pos)  # a line still being written
                        break
                    o = json.loads(line)
                    if o["event"] == "read":
                        t = o["time_us"]
                        first_t = t if first_t is None else min(first_t, t)
                        last_t = t if last_t is None else max(last_t, t)
                covered = (last_t - first_t) / 60e6 if first_t is not None else 0.0
                print(f"  {wall / 60:5.1f} min wall, {covered:5.1f} min of shift, "
                      f"VmRSS {s['VmRSS'] / 1024:6.1f} MiB, RssAnon "
                      f"{s['RssAnon'] / 1024:6.1f} MiB", flush=True)
                if covered >= args.shift_minutes:
                    end_reason = "shift covered"
                    break
                if wall >= args.max_wall_minutes * 60:
                    break
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        rc = proc.returncode

        pipeline = {}
        reads = hits = 0
        with open(f"{work}/events.jsonl") as f:
            for line in f:
                o = json.loads(line)
                if o["event"] == "status":
                    pipeline = o.get("pipeline", pipeline)
                reads += o["event"] == "read"
                hits += o["event"] == "hit"

    if rc not in (0, -signal.SIGINT):
        sys.exit(f"bench-rss: alpr-unit exited with {rc}")
    warm = [s for s in samples if s[0] >= args.warmup_minutes * 60]
    if len(warm) < 2:
        sys.exit("bench-rss: the run ended before the warm-up did")
    base, last = warm[0][1], warm[-1][1]
    peak = max(s[1]["VmRSS"] for s in warm)
    wall = samples[-1][0]
    covered = (last_t - first_t) / 60e6 if first_t is not None else 0.0

    def growth(key):
        return 100.0 * (last[key] - base[key]) / base[key]

    print(f"alpr-unit RSS over {covered:.1f} min of shift ({end_reason}) in {wall / 60:.1f} min "
          f"wall; load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"frames recognised {pipeline.get('frames_recognized', 0)}, skipped "
          f"{pipeline.get('frames_skipped', 0)}, reads {reads}, hits {hits}")
    print(f"after warm-up ({warm[0][0] / 60:.1f} min): VmRSS {base['VmRSS'] / 1024:.1f} MiB -> "
          f"{last['VmRSS'] / 1024:.1f} MiB ({growth('VmRSS'):+.1f} %), peak "
          f"{peak / 1024:.1f} MiB")
    print(f"  RssAnon {base['RssAnon'] / 1024:.1f} -> {last['RssAnon'] / 1024:.1f} MiB "
          f"({growth('RssAnon'):+.1f} %); RssFile {base['RssFile'] / 1024:.1f} -> "
          f"{last['RssFile'] / 1024:.1f} MiB (the store's and hotlist's mapped pages)")
    print(f"target: VmRSS growth after warm-up <= 5 %: "
          f"{'met' if growth('VmRSS') <= 5.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
