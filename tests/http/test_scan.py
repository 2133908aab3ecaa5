# SPDX-License-Identifier: MIT
"""The scan where no agent can look (Linux, the plan backend): `koffix scan` and the web app
working from scans saved on a PC (tests/fixtures/scans, written by `koffix scan --out` under
the Wine testbed).

- the CLI's exit codes: 0 no problem, 1 problems, 3 could not scan (no agent here, an
  unreadable, non-JSON or malformed file), 64 bad usage; --json keeps the scan's own version;
- the rules file: `koffix flow check` reports it; a broken one is refused at start-up with
  each problem naming the file and the rule;
- POST /api/wizard with {"scan"}: the outcome with no question when the evidence settles it,
  the evidence and settled answers in the step state; {"scan": false} asks; a malformed scan
  is 400 and stores nothing;
- the pages: /scan without an agent offers the file, POST /scan/open shows the findings by
  severity with evidence, articles and repairs, "Continue in the wizard" starts from it; a
  bad file is a 400 page; POST /api/scan without an agent is 409;
- the support ticket carries the scan, redacted with the rest.
"""
import copy
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import KOFFIX, ROOT, Checks, Server  # noqa: E402

t = Checks("scan-http")
FIX = os.path.join(ROOT, "tests", "fixtures", "scans")
INTACT = os.path.join(FIX, "intact.json")
REMOVED = os.path.join(FIX, "connector-removed.json")


def koffix(*args, data=None):
    data = data or tempfile.mkdtemp(prefix="koffix-scan-")
    return subprocess.run([KOFFIX, "--data", data, *args], capture_output=True, text=True,
                          timeout=120)


def load(path):
    with open(path) as f:
        return json.load(f)


def test_cli():
    p = koffix("scan")
    t.check("scan with no agent here: exit 3, says what to do",
            p.returncode == 3 and "open a scan" in p.stderr, (p.returncode, p.stderr))
    p = koffix("scan", "--from", INTACT)
    t.check("--from an intact PC's scan: exit 0", p.returncode == 0
            and "What was read" in p.stdout and "NOT AVAILABLE" in p.stdout,
            (p.returncode, p.stdout[-500:], p.stderr))
    p = koffix("--json", "scan", "--from", REMOVED)
    doc = json.loads(p.stdout) if p.returncode == 1 else {}
    t.check("--from the removed connector's scan: exit 1, koff_removed with its evidence",
            p.returncode == 1 and [f["id"] for f in doc.get("findings", [])] == ["koff_removed"]
            and all(e["detail"] for e in doc["findings"][0]["evidence"]),
            (p.returncode, p.stderr))
    t.check("--json: the scan's keys, the version of the koffix that read the PC",
            {"version", "computer", "user", "time", "sources", "facts", "findings"} <= set(doc)
            and doc.get("version") == load(REMOVED)["version"], sorted(doc))
    tmp = tempfile.mkdtemp(prefix="koffix-scanf-")
    out = os.path.join(tmp, "copy.json")
    p = koffix("scan", "--from", REMOVED, "--out", out)
    t.check("--out writes the scan", p.returncode == 1 and load(out)["findings"][0]["id"]
            == "koff_removed", (p.returncode, p.stderr))
    # The findings are worked out again: a saved file cannot smuggle one in, nor hide one.
    forged = load(INTACT)
    forged["findings"] = [{"id": "possible_malware", "severity": "problem", "title": "x",
                           "evidence": [], "articles": [], "actions": []}]
    hidden = load(REMOVED)
    hidden["findings"] = []
    for name, doc, want in (("forged", forged, 0), ("hidden", hidden, 1)):
        path = os.path.join(tmp, name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f)
        p = koffix("scan", "--from", path)
        t.check(f"--from a scan with {name} findings: they come from this koffix's rules "
                f"(exit {want})", p.returncode == want, (p.returncode, p.stdout[-300:]))
    bad = {
        "missing.json": None,
        "not-json.json": "this is { not json",
        "array.json": "[1, 2, 3]",
        "no-sources.json": json.dumps({k: v for k, v in load(INTACT).items() if k != "sources"}),
        "bad-source.json": json.dumps(dict(load(INTACT), sources=[{"name": 1}])),
        "facts-list.json": json.dumps(dict(load(INTACT), facts=[])),
    }
    for name, text in bad.items():
        path = os.path.join(tmp, name)
        if text is not None:
            with open(path, "w") as f:
                f.write(text)
        p = koffix("scan", "--from", path)
        t.check(f"--from {name}: exit 3 with a clear error", p.returncode == 3
                and name in p.stderr and ("not a koffix scan" in p.stderr
                                          or "cannot read" in p.stderr),
                (p.returncode, p.stderr))
    big = os.path.join(tmp, "big.json")
    with open(big, "w") as f:
        f.write(" " * (5 << 20))
    p = koffix("scan", "--from", big)
    t.check("--from a file over 4 MiB: exit 3", p.returncode == 3, (p.returncode, p.stderr))
    for args in (["--days", "0"], ["--days", "x"], ["--min-free-mb", "-1"], ["--nope"],
                 ["--out"], ["extra"]):
        p = koffix("scan", *args)
        t.check(f"scan {' '.join(args)}: usage error 64", p.returncode == 64, p.returncode)
    shutil.rmtree(tmp)


def content_copy():
    """A copy of the flows and their data, for a broken rules file."""
    tmp = tempfile.mkdtemp(prefix="koffix-rules-")
    shutil.copytree(os.path.join(ROOT, "wizard", "flows"), os.path.join(tmp, "flows"))
    shutil.copytree(os.path.join(ROOT, "wizard", "data"), os.path.join(tmp, "data"))
    return tmp


def test_rules():
    p = koffix("flow", "check")
    t.check("flow check reports the scan rules", p.returncode == 0
            and "scan-rules.json (" in p.stdout, (p.stdout, p.stderr))
    tmp = content_copy()
    rules_path = os.path.join(tmp, "data", "scan-rules.json")
    good = load(rules_path)
    cases = [
        ("an unknown severity", lambda r: r["rules"][0].update(severity="fatal"),
         "severity"),
        ("an article missing from the KB", lambda r: r["rules"][1]["articles"].append("no-such"),
         "no-such"),
        ("an action missing from the catalogue",
         lambda r: r["rules"][1]["actions"].append({"id": "format-c"}), "format-c"),
        ("an unknown condition", lambda r: r["rules"][2].update(when={"xor": []}), "xor"),
        ("a duplicate id", lambda r: r["rules"].append(copy.deepcopy(r["rules"][0])),
         "twice"),
    ]
    for label, change, word in cases:
        doc = copy.deepcopy(good)
        change(doc)
        with open(rules_path, "w") as f:
            json.dump(doc, f)
        p = koffix("--flows", os.path.join(tmp, "flows"), "flow", "check")
        t.check(f"rules with {label}: flow check exits 1 naming the file, the rule and the "
                "problem", p.returncode == 1 and "scan-rules.json: rule '" in p.stderr
                and word in p.stderr, (p.returncode, p.stderr[-600:]))
        p = koffix("--flows", os.path.join(tmp, "flows"), "scan", "--from", INTACT)
        t.check(f"rules with {label}: koffix refuses to work with them", p.returncode != 0
                and "invalid scan rules" in p.stderr, (p.returncode, p.stderr[-300:]))
    with open(rules_path, "w") as f:
        f.write("{ not json")
    p = koffix("--flows", os.path.join(tmp, "flows"), "flow", "check")
    t.check("a rules file that is not JSON: named", p.returncode == 1
            and "scan-rules.json" in p.stderr, p.stderr[-300:])
    shutil.rmtree(tmp)


def post(srv, tok, path, body):
    return srv.request("POST", path, body=json.dumps(body),
                       headers={"Content-Type": "application/json", "X-CSRF-Token": tok})


def sessions(srv):
    db = sqlite3.connect(os.path.join(srv.tmp, "data", "koffix.db"))
    try:
        return (db.execute("SELECT count(*) FROM wizard_sessions").fetchone()[0],
                db.execute("SELECT count(*) FROM scans").fetchone()[0])
    finally:
        db.close()


def upload(srv, tok, name, data):
    b = "koffixboundary7"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{tok}\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/json\r\n\r\n").encode() + data + f"\r\n--{b}--\r\n".encode()
    return srv.request("POST", "/scan/open", body=body,
                       headers={"Content-Type": f"multipart/form-data; boundary={b}"})


def test_http():
    srv = Server()
    try:
        srv.login()
        tok = srv.csrf()
        home = srv.get("/")
        t.check("home without an agent: 'Open a scan file' comes first",
                home.status == 200 and home.text.index("Open a scan file")
                < home.text.index("Start the troubleshooting wizard"), home.status)
        r = post(srv, tok, "/api/wizard", {"scan": load(REMOVED)})
        st = r.json() if r.status == 201 else {}
        t.check("POST /api/wizard {scan}: 201, koff_removed with no question", r.status == 201
                and (st.get("outcome") or {}).get("id") == "koff_removed" and st["path"] == []
                and st["node"] is None, (r.status, r.text[:400]))
        t.check("the step state shows the evidence and the answers the scan settled",
                any(e["key"] == "koff_removed" and "Kerio service" in e["detail"]
                    for e in st.get("evidence", []))
                and any(x["node"] == "office_version" and x["source"] == "detected"
                        and x.get("evidence") for x in st.get("settled", [])),
                (st.get("evidence"), st.get("settled")))
        acts = (st.get("outcome") or {}).get("actions", [])
        t.check("koff_removed: a profile without the service, no reinstall, parameters from "
                "the scan", [a["id"] for a in acts] == ["rebuild-profile"]
                and acts[0]["params"].get("office_version") == "365", acts)
        session = st.get("session", "")
        page = srv.get("/wizard/" + session)
        t.check("the step page says what koffix found and offers the questions instead",
                page.status == 200 and "What koffix found on this PC" in page.text
                and "Answer the questions instead" in page.text, page.status)
        ticket = srv.get(f"/api/tickets/{session}?format=json")
        tk = ticket.json() if ticket.status == 200 else {}
        t.check("the ticket carries the scan: sources and findings with evidence",
                (tk.get("scan") or {}).get("findings", [{}])[0].get("id") == "koff_removed"
                and any(s["name"] == "eventlog.application" and not s["available"]
                        for s in tk["scan"]["sources"]), (ticket.status, tk.get("scan")))
        red = srv.get(f"/api/tickets/{session}?format=json&redact=1").json()
        comp = load(REMOVED)["computer"]
        t.check("a redacted ticket hides the scan's computer name",
                red["scan"]["computer"] != comp and comp not in json.dumps(red["scan"]),
                red["scan"]["computer"])
        html = srv.get(f"/api/tickets/{session}?format=html")
        t.check("the printable ticket shows the scan", html.status == 200
                and "Scan of the PC" in html.text, html.status)

        r = post(srv, tok, "/api/wizard", {"scan": load(INTACT)})
        st = r.json() if r.status == 201 else {}
        t.check("an intact PC's scan settles nothing: the symptom is asked, with evidence kept",
                r.status == 201 and st.get("node") == "symptom", (r.status, r.text[:300]))
        r = post(srv, tok, "/api/wizard", {"scan": False})
        t.check("{scan: false}: the questions, from the symptom", r.status == 201
                and r.json()["node"] == "symptom", r.text[:200])
        before = sessions(srv)
        for bad in ({"scan": "x"}, {"scan": 1}, {"scan": {"version": "1"}},
                    {"scan": dict(load(INTACT), findings={})}):
            r = post(srv, tok, "/api/wizard", bad)
            t.check(f"POST /api/wizard with a malformed scan ({str(bad)[:40]}): 400 JSON",
                    r.status == 400 and r.json()["detail"], (r.status, r.text[:200]))
        t.check("malformed scans stored nothing", sessions(srv) == before, sessions(srv))

        r = post(srv, tok, "/api/scan", {})
        t.check("POST /api/scan without an agent: 409 JSON saying why", r.status == 409
                and "cannot look at a PC" in r.json()["detail"], (r.status, r.text[:200]))
        r = srv.request("POST", "/scan", body="csrf_token=" + tok,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        t.check("POST /scan without an agent: 409 page saying what to do", r.status == 409
                and "open a scan file" in r.text, r.status)
        page = srv.get("/scan")
        t.check("/scan without an agent: the upload form, no 'Check this PC' button",
                page.status == 200 and 'action="/scan/open"' in page.text
                and 'enctype="multipart/form-data"' in page.text
                and 'class="scan-run-form"' not in page.text, page.status)
        with open(REMOVED, "rb") as f:
            r = upload(srv, tok, "removed.json", f.read())
        loc = r.header("Location") or ""
        t.check("POST /scan/open: 303 to the kept scan", r.status == 303
                and loc.startswith("/scans/"), (r.status, r.text[:300]))
        page = srv.get(loc)
        t.check("the scan page: problems first, evidence, the article and the repair's review "
                "link with its parameters", page.status == 200 and "Problems" in page.text
                and "No Kerio Outlook Connector is in the" in page.text
                and "/kb/connector-removed-profile-remains" in page.text
                and "/actions/rebuild-profile?office_version=365" in page.text, page.status)
        t.check("the scan page lists every source, the unreadable ones as not available",
                "Wine has no event log" in page.text and "not available" in page.text)
        sid = loc.rsplit("/", 1)[-1]
        api = srv.get("/api/scans/" + sid)
        t.check("GET /api/scans/{id}: the kept scan", api.status == 200
                and api.json()["findings"][0]["id"] == "koff_removed", api.status)
        r = srv.request("POST", "/wizard", body=f"csrf_token={tok}&flow=kofmsp&scan={sid}",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        step = srv.get(r.header("Location") or "/x")
        t.check("'Continue in the wizard' from the scan page: the diagnosis at once",
                r.status == 303 and step.status == 200
                and "The connector was removed" in step.text, (r.status, step.status))
        r = srv.request("POST", "/wizard", body=f"csrf_token={tok}&flow=kofmsp&scan=" + "0" * 32,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        t.check("the wizard from a scan that is not kept here: 404", r.status == 404, r.status)
        for name, data in (("not-json.json", b"{ nope"), ("empty.json", b""),
                           ("list.json", b"[]")):
            r = upload(srv, tok, name, data)
            t.check(f"POST /scan/open {name}: a 400 page saying why", r.status == 400
                    and "scan" in r.text and "<html" in r.text, r.status)
        t.check("GET /scans/{unknown}: 404", srv.get("/scans/nope").status == 404)
        t.check("GET /api/scans/{unknown}: 404 JSON", srv.get("/api/scans/nope").status == 404)
    finally:
        srv.stop()


def test_answers_only():
    """Where no agent can look, the answers alone reach the antivirus outcomes."""
    srv = Server()
    try:
        srv.login()
        tok = srv.csrf()
        cases = [
            ({"symptom": "av_flagged", "dll_location": "program_files",
              "dll_signature": "kerio_or_gfi", "dll_present": "yes"}, "av_false_positive"),
            ({"symptom": "av_flagged", "dll_location": "unknown", "dll_signature": "unknown",
              "dll_present": "unknown"}, "av_unverified"),
        ]
        for answers, want in cases:
            r = post(srv, tok, "/api/wizard", {"answers": answers})
            st = r.json() if r.status == 201 else {}
            out = st.get("outcome") or {}
            t.check(f"answers only: {want}, the DLL check offered first",
                    out.get("id") == want and out["actions"][0]["id"] == "check-dll",
                    (r.status, out.get("id"), out.get("actions")))
    finally:
        srv.stop()


def main():
    test_cli()
    test_rules()
    test_http()
    test_answers_only()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
