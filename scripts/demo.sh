#!/usr/bin/env bash
# The demo (README's first command runs it through ./run.sh demo).
#
# Until the unit runtime lands (cameras, recognition, GPS, the patrol window), the demo shows
# the hotlist engine the way the unit will use it: import a state list (with a refused
# category and an expired entry in it), add an officer's entry, then match a stream of reads
# as the recognizer hands them over, and print what the officer would be alerted to.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$build/hotlist/alpr-hotlist"
[ -x "$bin" ] || { echo "demo: $bin is not built (run ./run.sh demo)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/alpr-demo-XXXXXX")
trap 'rm -rf "$work"' EXIT
export ALPR_DATADIR="$root/data"
db="$work/hotlist"

echo "== ALPR demo: the hotlist engine, as the unit uses it =="
echo
echo "1. Import the state list $root/data/demo/hotlist.csv (policy profile: default)"
"$bin" --db "$db" --json import "$root/data/demo/hotlist.csv" --list state --source ncic \
	> "$work/import.json"
python3 - "$work/import.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"   added {r['added']}, refused {r['refused']} (a category the policy forbids, never stored), "
      f"rejected {r['rejected']}, version {r['version']}")
PY
"$bin" --db "$db" list-set state --priority 10 --alert-level 2 >/dev/null

echo
echo "2. An officer enters a wanted vehicle (kept until the end of the shift)"
expires=$(date -u -d '+8 hours' +%Y-%m-%dT%H:%M:%SZ)
"$bin" --db "$db" add --list officer --plate "2GHT 771" --state CA --category wanted_person \
	--reason "Suspect vehicle, burglary in progress" --case 2026-004211 \
	--entered-by "officer 4471" --expires "$expires" --source officer >/dev/null
echo "   2GHT771 CA wanted_person, case 2026-004211, expires $expires"

echo
echo "3. Reads from the cameras, matched against every list"
reads=0
: > "$work/matches.jsonl"
while IFS=$'\t' read -r camera state cands; do
	case "$camera" in '#'* | '') continue ;; esac
	reads=$((reads + 1))
	plates=()
	for c in $cands; do plates+=("${c%%:*}"); done
	stateopt=()
	[ "$state" != "??" ] && stateopt=(--state "$state")
	set +e
	"$bin" --db "$db" --json match "${stateopt[@]}" "${plates[@]}" > "$work/m.json"
	rc=$?
	set -e
	[ $rc -le 1 ] || { echo "demo: match failed" >&2; exit 1; }
	python3 - "$work/m.json" "$camera" "$state" "${plates[0]}" >> "$work/matches.jsonl" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(json.dumps({"camera": sys.argv[2], "state": sys.argv[3], "read": sys.argv[4],
                  "matches": m["matches"]}))
PY
done < "$root/data/demo/reads.tsv"

python3 - "$work/matches.jsonl" <<'PY'
import json, sys
kinds = {}
hits = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    head = f"   {r['camera']:5} read {r['read']:8} state {r['state']}"
    if not r["matches"]:
        print(f"{head}   no hit")
        continue
    for m in r["matches"][:1]:
        hits += 1
        kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
        how = {"exact": "exact",
               "equivalent": "look-alike at position(s) " + ",".join(str(p + 1) for p in m.get("positions", [])),
               "edit": "one character " + ("missing" if m.get("edit_missing") else "extra")}[m["kind"]]
        state = "STATE MISMATCH" if m.get("state_mismatch") else (
            "STATE NOT CONFIRMED" if m.get("state_unconfirmed") else "state matches")
        print(f"{head}   HIT {m['plate']} {m['state']} {m['category']} (list {m['list']}): {how}; {state}; UNVERIFIED")
print()
print(f"Summary: {sum(1 for _ in open(sys.argv[1]))} reads, {hits} hits "
      f"({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}). Every hit is UNVERIFIED until the")
print("officer checks plate and state against the image. 5SOW350 did not hit 5SOW750 (3 and 7 are not")
print("look-alikes); EXP1234 did not hit (its entry expired); IMM0042 did not hit (its category is refused).")
PY
echo
"$bin" --db "$db" lists
