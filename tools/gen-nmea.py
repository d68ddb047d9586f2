#!/usr/bin/env python3
# SPDX-License-Identifier: LicenseRef-Proprietary
"""Generate an NMEA 0183 log ($GPRMC + $GPGGA, correct checksums) for a patrol drive.

The route is a seeded drive through a town laid out as a street grid: the car drives along
blocks at about 10-15 m/s, slows for corners, and turns left, right or goes straight at each
junction. The same seed always gives the same log, so tests and the demo are reproducible.

The log replays through gpsd's own `gpsfake` (Debian's gpsd-clients), the same path a
receiver on a serial port takes:

    tools/gen-nmea.py --seed 7 --duration 600 --out drive.nmea --truth drive.csv
    gpsfake -1 -q -P 2947 -c 0.05 drive.nmea

Fix quality can be scripted per segment (seconds from the start):
    --nofix 30:10   no fix from t=30 s for 10 s (GGA quality 0, RMC status V, no position)
    --2d 60:5       a 2D fix (GGA without altitude, as a receiver with too few satellites)
    --hostile       interleave hostile lines: garbage, bad checksums carrying a far-away
                    position, truncated sentences, binary junk. A correct consumer never
                    uses any of them; --truth lists only the good epochs.

--truth writes a CSV of what the log says at each epoch: unix_us,iso,fix,lat,lon,speed_mps,
heading_deg (fix: 0 none, 2 2D, 3 3D; lat/lon empty when there is no fix). Tests compare
what the GPS client reports against it.
"""

import argparse
import datetime as dt
import math
import random
import sys

EARTH_RADIUS_M = 6371008.8
KNOTS_PER_MPS = 1.0 / 0.514444
BLOCK_M = (80.0, 160.0)  # block lengths in the town grid, metres
SPEED_MPS = (10.0, 15.0)  # cruising speed range
CORNER_MPS = 6.0  # speed through a junction when turning


def checksum(body):
    c = 0
    for ch in body.encode("ascii"):
        c ^= ch
    return "%02X" % c


def sentence(body):
    return "$%s*%s\r\n" % (body, checksum(body))


def nmea_lat(lat):
    hemi = "N" if lat >= 0 else "S"
    lat = abs(lat)
    deg = int(lat)
    minutes = (lat - deg) * 60.0
    if round(minutes, 4) >= 60.0:
        deg, minutes = deg + 1, 0.0
    return "%02d%07.4f" % (deg, minutes), hemi


def nmea_lon(lon):
    hemi = "E" if lon >= 0 else "W"
    lon = abs(lon)
    deg = int(lon)
    minutes = (lon - deg) * 60.0
    if round(minutes, 4) >= 60.0:
        deg, minutes = deg + 1, 0.0
    return "%03d%07.4f" % (deg, minutes), hemi


def parse_segments(specs, name):
    out = []
    for s in specs or []:
        try:
            a, b = s.split(":")
            start, length = float(a), float(b)
        except ValueError:
            sys.exit("gen-nmea: --%s wants START:LENGTH in seconds, got %r" % (name, s))
        if start < 0 or length <= 0:
            sys.exit("gen-nmea: --%s %r: start must be >= 0 and length > 0" % (name, s))
        out.append((start, start + length))
    return out


def in_segments(t, segs):
    return any(a <= t < b for a, b in segs)


class Drive:
    """A car on a street grid: straight blocks, turns at junctions, speed 10-15 m/s."""

    def __init__(self, rng, lat, lon):
        self.rng = rng
        self.lat0, self.lon0 = lat, lon
        self.x = 0.0  # metres east of the start
        self.y = 0.0  # metres north of the start
        self.heading = rng.choice([0.0, 90.0, 180.0, 270.0])
        self.speed = rng.uniform(*SPEED_MPS)
        self.target = rng.uniform(*SPEED_MPS)
        self.to_junction = rng.uniform(*BLOCK_M)

    def step(self, dt_s):
        # Ease towards the target speed; slow down near a junction where we will turn.
        self.speed += (self.target - self.speed) * min(1.0, dt_s * 0.5)
        left = self.speed * dt_s
        while left > 0:
            run = min(left, self.to_junction)
            h = math.radians(self.heading)
            self.x += run * math.sin(h)
            self.y += run * math.cos(h)
            left -= run
            self.to_junction -= run
            if self.to_junction <= 1e-9:
                turn = self.rng.choice([0.0, 0.0, 90.0, -90.0])
                self.heading = (self.heading + turn) % 360.0
                self.to_junction = self.rng.uniform(*BLOCK_M)
                if turn != 0.0:
                    self.speed = min(self.speed, CORNER_MPS)
                self.target = self.rng.uniform(*SPEED_MPS)

    def position(self):
        lat = self.lat0 + math.degrees(self.y / EARTH_RADIUS_M)
        lon = self.lon0 + math.degrees(self.x / (EARTH_RADIUS_M * math.cos(math.radians(self.lat0))))
        return lat, lon


def hostile_lines(rng, when, good_rmc):
    """Lines a broken receiver or a noisy serial line could produce. None may be used."""
    hhmmss = when.strftime("%H%M%S") + ".50"
    ddmmyy = when.strftime("%d%m%y")
    # A well-formed RMC for a far-away place (the South Atlantic) with a wrong checksum.
    far = "GPRMC,%s,A,4500.0000,S,02000.0000,W,10.0,90.0,%s,,,A" % (hhmmss, ddmmyy)
    good_sum = checksum(far)
    bad_sum = "%02X" % (int(good_sum, 16) ^ 0x5A)
    junk = bytes(rng.randrange(256) for _ in range(rng.randrange(8, 64)))
    choice = rng.randrange(6)
    if choice == 0:
        return [("$" + far + "*" + bad_sum + "\r\n").encode("ascii")]
    if choice == 1:
        # A far-away GGA with a wrong checksum.
        gga = "GPGGA,%s,4500.0000,S,02000.0000,W,1,08,0.9,10.0,M,0.0,M,," % hhmmss
        wrong = "%02X" % (int(checksum(gga), 16) ^ 0x21)
        return [("$" + gga + "*" + wrong + "\r\n").encode("ascii")]
    if choice == 2:
        return [b"garbage line with no dollar sign at all\r\n"]
    if choice == 3:
        # A good sentence cut short: no checksum, no end of line until the next one.
        return [good_rmc[: len(good_rmc) // 2]]
    if choice == 4:
        return [junk.replace(b"$", b"#") + b"\r\n"]
    return [b"$GPXXX,,,,*" + b"\xff\xfe\r\n"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1, help="route seed (default 1)")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of drive (default 60)")
    ap.add_argument("--start", default="2025-01-15T08:00:00Z",
                    help="UTC start time, ISO 8601 or 'now' (default 2025-01-15T08:00:00Z; use a "
                         "recent date: gpsd maps two-digit RMC years forward)")
    ap.add_argument("--lat", type=float, default=39.7817, help="start latitude (default 39.7817)")
    ap.add_argument("--lon", type=float, default=-89.6501, help="start longitude (default -89.6501)")
    ap.add_argument("--rate", type=float, default=1.0, help="epochs per second (default 1)")
    ap.add_argument("--nofix", action="append", metavar="START:LEN", help="no-fix segment")
    ap.add_argument("--2d", dest="twod", action="append", metavar="START:LEN", help="2D segment")
    ap.add_argument("--hostile", action="store_true", help="interleave hostile lines")
    ap.add_argument("--out", default="-", help="NMEA log path (default stdout)")
    ap.add_argument("--truth", help="also write the epochs as CSV here")
    args = ap.parse_args()

    if not (-89.0 <= args.lat <= 89.0) or not (-180.0 <= args.lon <= 180.0):
        sys.exit("gen-nmea: --lat/--lon out of range")
    if args.duration <= 0 or args.duration > 7 * 86400:
        sys.exit("gen-nmea: --duration must be in (0, 604800] seconds")
    if not (0.1 <= args.rate <= 20.0):
        sys.exit("gen-nmea: --rate must be in [0.1, 20]")
    if args.start == "now":
        # For a live demo: fixes at the current time, so "the fix at capture time" works
        # with the system clock while the log replays at 1 Hz (gpsfake -c 0.5 for two
        # sentences a second).
        start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    else:
        try:
            start = dt.datetime.fromisoformat(args.start.replace("Z", "+00:00"))
        except ValueError:
            sys.exit("gen-nmea: --start %r is not ISO 8601 (or 'now')" % args.start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.timezone.utc)
    start = start.astimezone(dt.timezone.utc)
    nofix = parse_segments(args.nofix, "nofix")
    twod = parse_segments(args.twod, "2d")

    rng = random.Random(args.seed)
    junk_rng = random.Random(args.seed ^ 0x5EED)
    drive = Drive(rng, args.lat, args.lon)
    period = 1.0 / args.rate
    epochs = int(math.floor(args.duration * args.rate + 1e-9))

    out = bytearray()
    truth = ["unix_us,iso,fix,lat,lon,speed_mps,heading_deg"]
    for i in range(epochs):
        t = i * period
        if i > 0:
            drive.step(period)
        when = start + dt.timedelta(seconds=t)
        lat, lon = drive.position()
        hhmmss = when.strftime("%H%M%S") + ".%02d" % (when.microsecond // 10000)
        ddmmyy = when.strftime("%d%m%y")
        fix = 0 if in_segments(t, nofix) else (2 if in_segments(t, twod) else 3)
        if fix:
            la, lh = nmea_lat(lat)
            lo, loh = nmea_lon(lon)
            knots = drive.speed * KNOTS_PER_MPS
            rmc = "GPRMC,%s,A,%s,%s,%s,%s,%.2f,%.1f,%s,,,A" % (
                hhmmss, la, lh, lo, loh, knots, drive.heading, ddmmyy)
            alt = "%.1f,M" % (180.0 + 5.0 * math.sin(t / 30.0)) if fix == 3 else ","
            gga = "GPGGA,%s,%s,%s,%s,%s,1,%02d,0.9,%s,-33.9,M,," % (
                hhmmss, la, lh, lo, loh, 9 if fix == 3 else 3, alt)
        else:
            rmc = "GPRMC,%s,V,,,,,,,%s,,,N" % (hhmmss, ddmmyy)
            gga = "GPGGA,%s,,,,,0,00,99.9,,M,,M,," % hhmmss
        rmc_line = sentence(rmc).encode("ascii")
        out += rmc_line
        if args.hostile:
            for junk in hostile_lines(junk_rng, when, rmc_line):
                out += junk
        out += sentence(gga).encode("ascii")
        us = int(round(when.timestamp() * 1e6))
        iso = when.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (when.microsecond // 1000)
        if fix:
            # The exact position; the log rounds it to NMEA's 1e-4 minutes (0.2 m).
            truth.append("%d,%s,%d,%.7f,%.7f,%.3f,%.1f" % (
                us, iso, fix, lat, lon, drive.speed, drive.heading))
        else:
            truth.append("%d,%s,0,,,," % (us, iso))

    if args.out == "-":
        sys.stdout.buffer.write(out)
    else:
        with open(args.out, "wb") as f:
            f.write(out)
    if args.truth:
        with open(args.truth, "w") as f:
            f.write("\n".join(truth) + "\n")


if __name__ == "__main__":
    main()
