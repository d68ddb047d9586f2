#!/usr/bin/env python3
# SPDX-License-Identifier: LicenseRef-Proprietary
"""Follow and summarise `alpr-unit --headless` events against the demo drive's truth.

  alpr-unit --headless ... | demo-summary.py follow EVENTS.jsonl
      prints one short line per event as it comes, and keeps the JSON lines in EVENTS.jsonl
  demo-summary.py summary EVENTS.jsonl TRUTH.csv [--json]
      reads, hits by kind, vehicles passed but not read, false hits, per-pass recall
      (tools/gen-demo-drive.py writes TRUTH.csv: one row per vehicle pass)

A pass counts as read when a read on its camera has its plate exactly (the demo's plates
are unique). A hit is false when its read is not of a pass the demo hotlist lists.
"""

import csv
import json
import sys

HOTLIST_ROLES = {"exact", "lookalike", "otherstate", "edit"}


def short(ev):
    t = ev.get("time", "")[11:23]
    if ev["event"] == "read":
        g = ev["gps"]
        where = "%.5f,%.5f" % (g["lat"], g["lon"]) if g.get("fix") else g.get("reason", "")
        return "%s %-5s read %-8s %.2f  %2d frames  %s  %s" % (
            t, ev["camera"], ev["plate"], ev["confidence"], ev["frames_voted"], where, ev["id"])
    if ev["event"] == "hit":
        e = ev["entry"]
        how = {"exact": "exact",
               "equivalent": "look-alike at position(s) %s" % ",".join(
                   str(p + 1) for p in ev["positions"]),
               "edit": "one character %s" % ("missing" if ev["edit_missing"] else "extra")}[
                   ev["match"]]
        state = "STATE MISMATCH" if ev["state_mismatch"] else (
            "state not confirmed (listed %s)" % e["state"] if ev["state_unconfirmed"]
            else "state matches")
        return "%s %-5s HIT  %-8s -> %s %s %s (list %s v%d): %s; %s; UNVERIFIED" % (
            t, ev["camera"], ev["plate"], e["plate"], e["state"], e["category"], e["list"],
            e["list_version"], how, state)
    cams = " ".join("%s %s %d/%d skipped %d" % (c["name"], c["state"], c["delivered"],
                                                 c["frames"], c["skipped"])
                    for c in ev["cameras"])
    gps = ev["gps"].get("state")
    hl = ev["hotlist"]
    hls = ("hotlist %s age %ds%s" % (
        ",".join("%s v%d" % (l["name"], l["version"]) for l in hl["lists"]), hl["age_s"],
        " STALE" if hl["stale"] else "")) if "lists" in hl else "hotlist off"
    st = ev["store"]
    sts = "store %d reads %d hits%s" % (st["reads"], st["hits"], " FULL" if st.get("full") else "") \
        if "reads" in st else "store off"
    return "%s status (%s): %s; gps %s; %s; %s" % (t, ev["reason"], cams, gps, hls, sts)


def follow(path):
    with open(path, "w") as out:
        for line in sys.stdin:
            out.write(line)
            out.flush()
            try:
                ev = json.loads(line)
                print("  " + short(ev), flush=True)
            except (ValueError, KeyError) as e:
                print("  (unreadable event: %s)" % e, flush=True)


def load(events_path, truth_path):
    events = [json.loads(l) for l in open(events_path) if l.strip()]
    truth = list(csv.DictReader(open(truth_path)))
    return events, truth


def percentile(values, q):
    """The nearest-rank percentile of @values (q in 0..100), or None when empty."""
    if not values:
        return None
    v = sorted(values)
    return v[max(0, min(len(v) - 1, -(-len(v) * q // 100) - 1))]


def summarise(events, truth):
    # A pass read early (its hit raised while in view) is updated by its final vote under the
    # same id: count it once, as its final read.
    reads = [e for e in events if e["event"] == "read" and not e.get("update")]
    hits = [e for e in events if e["event"] == "hit"]
    statuses = [e for e in events if e["event"] == "status"]
    read_keys = {(r["camera"], r["plate"]) for r in reads}
    passes_read = [p for p in truth if (p["camera"], p["plate"]) in read_keys]
    missed = [p for p in truth if (p["camera"], p["plate"]) not in read_keys]
    truth_keys = {(p["camera"], p["plate"]) for p in truth}
    other_reads = [r for r in reads if (r["camera"], r["plate"]) not in truth_keys]
    listed = {(p["camera"], p["plate"]) for p in truth if p["role"] in HOTLIST_ROLES}
    false_hits = [h for h in hits if (h["camera"], h["plate"]) not in listed]
    kinds = {}
    for h in hits:
        kinds[h["match"]] = kinds.get(h["match"], 0) + 1
    last = statuses[-1] if statuses else None
    with_fix = sum(1 for r in reads if r["gps"].get("fix"))
    roles = {}
    for p in truth:
        if p["role"] == "traffic":
            continue
        got = [h for h in hits if (h["camera"], h["plate"]) == (p["camera"], p["plate"])]
        was_read = (p["camera"], p["plate"]) in read_keys
        roles[p["role"]] = {"plate": p["plate"], "camera": p["camera"], "read": was_read,
                            "hit": got[0]["match"] if got else None,
                            "entry": "%s %s" % (got[0]["entry"]["plate"], got[0]["entry"]["state"])
                            if got else None}
    return {
        "passes": len(truth), "passes_read": len(passes_read),
        "recall": len(passes_read) / len(truth) if truth else 0.0,
        "missed": [{k: p[k] for k in ("camera", "plate", "lighting", "t_start")} for p in missed],
        "reads": len(reads), "other_reads": [r["plate"] for r in other_reads],
        "hits": len(hits), "hits_by_kind": kinds, "false_hits": [h["plate"] for h in false_hits],
        "reads_with_fix": with_fix, "roles": roles,
        "frames_recognized": last["pipeline"]["frames_recognized"] if last else 0,
        "frames_skipped": last["pipeline"]["frames_skipped"] if last else 0,
        # Capture to hit: the last frame the hit was voted on to the hit event.
        "hit_latency_ms": sorted(h["latency_ms"] for h in hits),
        "hit_latency_p50_ms": percentile([h["latency_ms"] for h in hits], 50),
        "hit_latency_p95_ms": percentile([h["latency_ms"] for h in hits], 95),
        "early_hits": sum(1 for e in events if e["event"] == "read" and e.get("early")),
    }


def print_summary(s):
    print("== Summary ==")
    print("Vehicles passed: %d; read: %d (recall %.1f%%); passed but not read: %d%s" % (
        s["passes"], s["passes_read"], 100 * s["recall"], len(s["missed"]),
        "".join("\n    not read: %s %s (%s, t=%ss)" % (m["camera"], m["plate"], m["lighting"],
                                                    m["t_start"]) for m in s["missed"])))
    print("Reads: %d (%d of no passing vehicle%s)" % (
        s["reads"], len(s["other_reads"]),
        ": " + " ".join(s["other_reads"]) if s["other_reads"] else ""))
    print("Hits: %d (%s); false hits: %d" % (
        s["hits"], ", ".join("%s %d" % (k, v) for k, v in sorted(s["hits_by_kind"].items()))
        or "none", len(s["false_hits"])))
    r = s["roles"]
    explain = {
        "exact": "exact hit",
        "lookalike": "needs a look-alike match",
        "otherstate": "listed for another state",
        "edit": "one character short of a listed plate",
        "expired": "listed, but the entry has expired: no hit",
        "refused": "listed in a category the policy refuses (never loaded): no hit",
    }
    for role in ("exact", "lookalike", "otherstate", "edit", "expired", "refused"):
        if role in r:
            x = r[role]
            out = ("HIT %s (%s)" % (x["entry"], x["hit"])) if x["hit"] else (
                "read, no hit" if x["read"] else "NOT READ")
            print("    %-10s %-8s %-5s %-48s -> %s" % (role, x["plate"], x["camera"],
                                                       explain[role], out))
    print("Frames recognized: %d, skipped: %d; reads with a GPS fix: %d of %d" % (
        s["frames_recognized"], s["frames_skipped"], s["reads_with_fix"], s["reads"]))
    if s["hit_latency_ms"]:
        print("Capture to hit (last frame voted -> hit event): p50 %d ms, p95 %d ms (%s); "
              "%d of %d hits raised while the vehicle was in view" % (
                  s["hit_latency_p50_ms"], s["hit_latency_p95_ms"],
                  " ".join(str(x) for x in s["hit_latency_ms"]), s["early_hits"], s["hits"]))
    print("Every hit is UNVERIFIED until the officer checks plate and state against the image.")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "follow":
        follow(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "summary":
        s = summarise(*load(sys.argv[2], sys.argv[3]))
        if "--json" in sys.argv[4:]:
            print(json.dumps(s))
        else:
            print_summary(s)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
