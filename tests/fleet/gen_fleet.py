#!/usr/bin/env python3
"""Writes a fleet of koffix scans into a folder, deterministically, for the fleet tests and
make bench: N computers made from the two scan fixtures with their versions varied, plus on
request the files a real share also holds (an older scan of a known computer, the same scan
twice, a file that is not JSON, JSON that is not a scan).

usage: gen_fleet.py DIR N [--extras]
Prints the expected counts as JSON: {"computers", "imported", "older", "skipped", "by_connector"}.
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures", "scans")

CONNECTORS = ["10.0.6", "10.0.2", "9.4.1"]
OFFICES = [("365", "x64"), ("365", "x86"), ("2016", "x86"), ("2019", "x64")]
WINDOWS = ["10", "11"]


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    extras = "--extras" in sys.argv
    os.makedirs(out, exist_ok=True)
    intact = json.load(open(os.path.join(FIX, "intact.json")))
    removed = json.load(open(os.path.join(FIX, "connector-removed.json")))
    rnd = random.Random(42)
    by_connector = {}
    for i in range(n):
        broken = i % 10 == 9
        s = json.loads(json.dumps(removed if broken else intact))
        s["computer"] = "PC-%05d" % i
        s["user"] = "user%d" % i
        s["time"] = "2026-11-%02dT%02d:00:00Z" % (1 + i % 28, i % 24)
        a = s["facts"]["answers"]
        office, obits = OFFICES[rnd.randrange(len(OFFICES))]
        a["office_version"], a["office_bitness"] = office, obits
        a["windows_version"] = WINDOWS[i % 2]
        if not broken:
            conn = CONNECTORS[i % 3]
            # most PCs have the connector of Office's bitness; every 7th does not
            cbits = obits if i % 7 else ("x86" if obits == "x64" else "x64")
            a["koff_version"], a["koff_bitness"] = conn, cbits
            s["facts"]["connector"]["version"] = conn
            key = conn + " " + cbits
        else:
            key = "not installed"
        by_connector[key] = by_connector.get(key, 0) + 1
        with open(os.path.join(out, s["computer"] + ".json"), "w") as f:
            json.dump(s, f)
    older = skipped = 0
    if extras:
        # an older scan of PC-00000, in a file of its own: the newer one must win
        s = json.load(open(os.path.join(out, "PC-00000.json")))
        s["time"] = "2025-01-01T00:00:00Z"
        s["facts"]["answers"]["koff_version"] = "8.5.0"
        json.dump(s, open(os.path.join(out, "PC-00000-old.json"), "w"))
        # the same scan again under another name
        json.dump(json.load(open(os.path.join(out, "PC-00001.json"))),
                  open(os.path.join(out, "PC-00001-copy.json"), "w"))
        older = 2
        open(os.path.join(out, "broken.json"), "w").write('{"computer": "PC-X", ')
        json.dump({"name": "not a scan", "items": [1, 2]}, open(os.path.join(out, "other.json"), "w"))
        s = json.load(open(os.path.join(out, "PC-00002.json")))
        s["computer"] = ""
        json.dump(s, open(os.path.join(out, "nameless.json"), "w"))
        skipped = 3
        open(os.path.join(out, "notes.txt"), "w").write("not read: not .json")
    print(json.dumps({"computers": n, "imported": n, "older": older, "skipped": skipped,
                      "by_connector": by_connector}))


if __name__ == "__main__":
    main()
