# SPDX-License-Identifier: MIT
"""Readiness and the fleet from the command line and over HTTP.

- `koffix readiness`: exit 0 ready, 1 not ready, 3 cannot tell (no agent here, a file that is
  not a scan, a fact it needs unknown), 64 bad usage; text and --json;
- `koffix fleet import`: a generated fleet of 300 scans with an older and a repeated scan, a
  file that is not JSON, JSON that is not a scan and a scan naming no computer: the right
  counts, each skipped file named, nothing lost when a folder cannot be read;
- `koffix fleet report`: counts by connector equal to what the generator wrote, readiness,
  filters, --csv and --html, exit status, bad usage;
- the pages: /fleet and /fleet.csv need the launch token, are read-only (POST is refused),
  escape what scans contain, sort and filter by query; /readiness from a kept scan.
"""
import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import KOFFIX, ROOT, Checks, Server  # noqa: E402

t = Checks("fleet-http")
FIX = os.path.join(ROOT, "tests", "fixtures", "scans")
INTACT = os.path.join(FIX, "intact.json")
REMOVED = os.path.join(FIX, "connector-removed.json")
GEN = os.path.join(ROOT, "tests", "fleet", "gen_fleet.py")


def koffix(data, *args):
    return subprocess.run([KOFFIX, "--data", data, *args], capture_output=True, text=True,
                          timeout=300)


def test_readiness(tmp):
    data = os.path.join(tmp, "r")
    p = koffix(data, "readiness", "--from", INTACT, "--office", "365-x64", "--windows", "11",
               "--server", "10.0.2")
    t.check("readiness: intact PC, matching server: exit 0, READY", p.returncode == 0
            and "READY" in p.stdout, (p.returncode, p.stdout, p.stderr))
    p = koffix(data, "--json", "readiness", "--from", INTACT, "--office", "365-x86",
               "--server", "10.0.6")
    doc = json.loads(p.stdout) if p.returncode == 1 else {}
    states = {c["id"]: c["state"] for c in doc.get("checks", [])}
    t.check("readiness --json: other release and bitness: exit 1, both problems, first fix",
            p.returncode == 1 and states.get("connector") == "problem"
            and states.get("bitness") == "problem" and doc["readiness"] == "not_ready"
            and doc["fix"].startswith("Install connector 10.0.6"), (p.returncode, p.stdout[:600]))
    p = koffix(data, "readiness", "--from", INTACT, "--windows", "server", "--server", "10.0.2")
    t.check("readiness: Windows Server target: exit 3, says what is not known",
            p.returncode == 3 and "CANNOT TELL" in p.stdout and "not published" in p.stdout,
            (p.returncode, p.stdout))
    p = koffix(data, "readiness", "--from", INTACT, "--office", "new", "--server", "10.0.2")
    t.check("readiness: the new Outlook: exit 1", p.returncode == 1
            and "new Outlook" in p.stdout, (p.returncode, p.stdout))
    p = koffix(data, "readiness", "--from", REMOVED, "--server", "10.0.6")
    t.check("readiness: a PC whose connector was removed: exit 1, repair first",
            p.returncode == 1 and "Repair this PC first" in p.stdout, (p.returncode, p.stdout))
    p = koffix(data, "readiness", "--server", "10.0.6")
    t.check("readiness with no agent here: exit 3, says why", p.returncode == 3
            and p.stderr.strip(), (p.returncode, p.stderr))
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        f.write('{"version": 1}')
    p = koffix(data, "readiness", "--from", bad)
    t.check("readiness --from a file that is not a scan: exit 3", p.returncode == 3
            and "not a koffix scan" in p.stderr, (p.returncode, p.stderr))
    for args, why in ((("--office", "2010"), "2013, 2016"), (("--windows", "xp"), "7, 8.1"),
                      (("--server", "ten"), "10.0.6"), (("--bogus",), "unexpected")):
        p = koffix(data, "readiness", "--from", INTACT, *args)
        t.check(f"readiness {args[0]}: 64 with the reason", p.returncode == 64
                and why in p.stderr, (p.returncode, p.stderr[:300]))


def test_fleet(tmp):
    data = os.path.join(tmp, "f")
    share = os.path.join(tmp, "share")
    want = json.loads(subprocess.run([sys.executable, GEN, share, "300", "--extras"],
                                     capture_output=True, text=True, check=True).stdout)
    p = koffix(data, "--json", "fleet", "import", share)
    rep = json.loads(p.stdout) if p.returncode == 0 else {}
    t.check("import: the counts (new, older or repeated, skipped)", p.returncode == 0
            and (rep.get("imported"), rep.get("older"), rep.get("skipped"))
            == (want["imported"], want["older"], want["skipped"]), (p.returncode, p.stdout[:400]))
    log = "\n".join(rep.get("log", []))
    t.check("import: each skipped file is named with the reason",
            "broken.json: not JSON" in log and "other.json: not a koffix scan" in log
            and "nameless.json: the scan names no computer" in log, log[:800])
    mode = os.stat(os.path.join(data, "fleet.db")).st_mode & 0o777
    t.check("fleet.db is private (0600)", mode == 0o600, oct(mode))
    p = koffix(data, "fleet", "import", share)
    t.check("import again: nothing new, text summary", p.returncode == 0
            and "imported 0 scans" in p.stdout, p.stdout)
    p = koffix(data, "fleet", "import", os.path.join(tmp, "no-such-folder"))
    t.check("import from a folder that cannot be read: exit 1, named", p.returncode == 1
            and "no-such-folder" in p.stderr, (p.returncode, p.stderr))
    p = koffix(data, "fleet", "import")
    t.check("import without a folder: 64", p.returncode == 64, p.returncode)

    html = os.path.join(tmp, "report.html")
    csvf = os.path.join(tmp, "report.csv")
    p = koffix(data, "--json", "fleet", "report", "--target-office", "365-x64", "--server",
               "10.0.6", "--html", html, "--csv", csvf)
    doc = json.loads(p.stdout) if p.returncode in (0, 1, 3) else {}
    got = {x["value"]: x["count"] for x in doc.get("by_connector", [])}
    t.check("report: exit 1 (some not ready), 300 computers", p.returncode == 1
            and doc.get("computers") == 300, (p.returncode, p.stderr[:300]))
    t.check("report: counts by connector are the generator's", got == want["by_connector"],
            (got, want["by_connector"]))
    ready = doc.get("ready", {})
    t.check("report: readiness adds up", sum(ready.values()) == 300 and ready.get("ready", 0) > 0
            and ready.get("not_ready", 0) > 0, ready)
    t.check("report: the removed connectors are a finding",
            any(f["value"] == "koff_removed" and f["count"] == 30 for f in doc.get("by_finding", [])),
            doc.get("by_finding"))
    pc0 = next((x for x in doc.get("pcs", []) if x["computer"] == "PC-00000"), {})
    t.check("report: the newest scan of a computer won", pc0.get("connector") == "10.0.6", pc0)
    rows = list(csv.reader(io.StringIO(open(csvf, newline="").read()))) if os.path.exists(csvf) else []
    t.check("--csv: a header and one row per computer", len(rows) == 301
            and rows[0][:3] == ["computer", "user", "time"], len(rows))
    page = open(html).read() if os.path.exists(html) else ""
    t.check("--html: one file, styles inside, no script", "<style>" in page
            and "<script" not in page and page.count("<svg") == 5, len(page))
    p = koffix(data, "--json", "fleet", "report", "--server", "10.0.6", "--ready", "ready",
               "--sort", "-computer")
    doc = json.loads(p.stdout) if p.returncode in (0, 1, 3) else {}
    names = [x["computer"] for x in doc.get("pcs", [])]
    t.check("report --ready ready --sort -computer: filtered and sorted",
            names and all(x["readiness"] == "ready" for x in doc["pcs"])
            and names == sorted(names, reverse=True) and doc["computers"] == 300, names[:3])
    for args, why in ((("--ready", "maybe"), "ready, not_ready"), (("--sort", "rowid"), "--sort"),
                      (("--target-office", "2003"), "2013"), (("--html",), "needs a value")):
        p = koffix(data, "fleet", "report", *args)
        t.check(f"report {args[0]}: 64", p.returncode == 64 and why in p.stderr,
                (p.returncode, p.stderr[:200]))
    p = koffix(data, "fleet", "remove")
    t.check("fleet with an unknown subcommand: 64", p.returncode == 64, p.returncode)
    return data


def test_http(data):
    # A computer name that is markup: the page must show it as text.
    share = tempfile.mkdtemp(prefix="koffix-fleet-x-")
    scan = json.load(open(INTACT))
    scan["computer"] = '<img src=x onerror="alert(1)">'
    json.dump(scan, open(os.path.join(share, "x.json"), "w"))
    koffix(data, "fleet", "import", share)
    shutil.rmtree(share)
    srv = Server(data=data)
    try:
        r = srv.get("/fleet")
        t.check("/fleet without the launch token: 401", r.status == 401, r.status)
        srv.login()
        r = srv.get("/fleet?office=365-x64&server=10.0.6")
        t.check("/fleet: 301 computers, charts, the table", r.status == 200
                and "301 computers against Office 365 x64" in r.text and r.text.count("<svg") == 5
                and r.text.count('<tr class="fleet-row-') == 200, (r.status, r.text[:300]))
        t.check("/fleet: a name from a scan is escaped",
                '<img src=x' not in r.text and "&lt;img src=x onerror=" in r.text)
        t.check("/fleet: 301 computers make two pages", 'rel="next"' in r.text)
        r2 = srv.get("/fleet?office=365-x64&server=10.0.6&page=2")
        t.check("/fleet page 2: the rest", r2.text.count('<tr class="fleet-row-') == 101,
                r2.text.count('<tr class="fleet-row-'))
        r = srv.get("/fleet?server=10.0.6&ready=not_ready&sort=-connector")
        t.check("/fleet filtered and sorted by query", r.status == 200
                and 'class="fleet-row-ready"' not in r.text
                and 'aria-sort="descending"' in r.text, r.status)
        r = srv.get("/fleet?office=95")
        t.check("/fleet with a bad target: the page says why", r.status == 200
                and "notice-error" in r.text and "2013, 2016" in r.text, r.status)
        r = srv.get("/fleet.csv?server=10.0.6&finding=koff_removed")
        rows = list(csv.reader(io.StringIO(r.text)))
        t.check("/fleet.csv: a download of the filtered computers", r.status == 200
                and r.header("Content-Type").startswith("text/csv")
                and "attachment" in r.header("Content-Disposition") and len(rows) == 31,
                (r.status, len(rows)))
        r = srv.get("/fleet.csv?office=95")
        t.check("/fleet.csv with a bad target: 400", r.status == 400, r.status)
        tok = srv.csrf()
        r = srv.request("POST", "/fleet", body="csrf_token=" + tok,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        t.check("POST /fleet: refused (read-only)", r.status == 405, r.status)
        r = srv.get("/readiness")
        t.check("/readiness without a scan: where to start", r.status == 200
                and 'href="/scan"' in r.text, r.status)
        r = srv.get("/readiness?scan=0123456789abcdef0123456789abcdef")
        t.check("/readiness with an unknown scan: said", "no kept scan" in r.text, r.text[-400:])
        b = "koffixboundary7"
        body = (f"--{b}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{tok}\r\n"
                f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.json\"\r\n"
                "Content-Type: application/json\r\n\r\n").encode() + open(INTACT, "rb").read() \
            + f"\r\n--{b}--\r\n".encode()
        r = srv.request("POST", "/scan/open", body=body,
                        headers={"Content-Type": f"multipart/form-data; boundary={b}"})
        loc = r.header("Location") or ""
        sid = loc.rsplit("/", 1)[-1]
        page = srv.get(loc).text
        t.check("the scan's page links to its readiness", f"/readiness?scan={sid}" in page)
        r = srv.get(f"/readiness?scan={sid}&office=365-x64&windows=11&server=10.0.6")
        t.check("/readiness: not ready, the first thing to do", r.status == 200
                and "Not ready: do this first" in r.text
                and "Install connector 10.0.6" in r.text, (r.status, r.text[-600:]))
        db = sqlite3.connect(os.path.join(data, "fleet.db"))
        n = db.execute("SELECT count(*) FROM pcs").fetchone()[0]
        db.close()
        t.check("the pages changed nothing in fleet.db", n == 301, n)
    finally:
        srv.stop()


def test_deploy():
    """The deployment files agree with koffix: the ADMX sets the values koffix reads, its texts
    name the repairs that exist, the scripts call commands and options koffix has."""
    import re
    import xml.etree.ElementTree as ET
    dep = os.path.join(ROOT, "deploy")
    ns = {"p": "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"}
    admx = ET.parse(os.path.join(dep, "admx", "koffix.admx")).getroot()
    adml = ET.parse(os.path.join(dep, "admx", "en-US", "koffix.adml")).getroot()
    values = {e.get("valueName") for e in admx.iter("{%s}text" % ns["p"])}
    keys = {p.get("key") for p in admx.iter("{%s}policy" % ns["p"])}
    p = koffix(tempfile.mkdtemp(prefix="koffix-pol-"), "--json", "policy")
    names = {v["name"] for v in json.loads(p.stdout)["values"]}
    t.check("ADMX: every value koffix reads, under its key", values == names
            and keys == {"Software\\Policies\\koffix"}, (values, names, keys))
    strings = {s.get("id") for s in adml.iter("{%s}string" % ns["p"])}
    pres = {s.get("id") for s in adml.iter("{%s}presentation" % ns["p"])}
    text = open(os.path.join(dep, "admx", "koffix.admx")).read()
    t.check("ADML: every string and presentation the ADMX refers to",
            set(re.findall(r"\$\(string\.(\w+)\)", text)) <= strings
            and set(re.findall(r"\$\(presentation\.(\w+)\)", text)) <= pres)
    cat = json.load(open(os.path.join(ROOT, "repair-actions", "catalogue.json")))
    ids = {a["id"] for a in cat["actions"]}
    help_ids = set(re.findall(r"\b(?:reinstall|rebuild|reregister|reset|check|collect)-[a-z-]+[a-z]",
                              open(os.path.join(dep, "admx", "en-US", "koffix.adml")).read()))
    t.check("ADML: the repair ids it lists are the catalogue's", help_ids == ids, (help_ids, ids))
    detect = open(os.path.join(dep, "intune", "detect.ps1")).read()
    remed = open(os.path.join(dep, "intune", "remediate.ps1")).read()
    gpo = open(os.path.join(dep, "gpo", "koffix-startup.cmd"), newline="").read()
    t.check("the scripts call koffix's commands", "scan --json --out" in detect
            and "exit $code" in detect and "actions run $action.id @params --yes" in remed
            and "AllowedRepairs" in remed and "scan --json --out" in gpo
            and gpo.count("\r\n") == gpo.count("\n"), "")


def main():
    test_deploy()
    tmp = tempfile.mkdtemp(prefix="koffix-fleet-")
    try:
        test_readiness(tmp)
        data = test_fleet(tmp)
        test_http(data)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t.done()


main()
