# SPDX-License-Identifier: MIT
"""The DLL legitimacy check end to end: `koffix check-dll` and the web app.

- every fixture of tests/pe/build-fixtures.sh through the CLI: verdict, exit code, the JSON of
  README.md (check-dll --json), and the text output;
- bad usage (64), an unreadable FILE (3), location and process rules with several paths and
  program names (table-driven);
- POST /api/dll-check (multipart): verdicts, the where-found path, a wizard session stored in
  dll_checks, 400 for malformed uploads naming the problem, 401, 403, 404, 413;
- the page: GET /dll-check (a form that works without JavaScript: multipart, csrf_token field)
  and POST /dll-check with the token only in the form.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import KOFFIX, ROOT, Checks, Server  # noqa: E402

t = Checks("dllcheck-http")
FIX = os.environ.get("KOFFIX_PE_FIXTURES", os.path.join(ROOT, "build", "pe-fixtures"))
CA = os.path.join(FIX, "ca.pem")

# file: (verdict, exit code, signature status, machine)
EXPECTED = {
    "vendor-x86.dll": ("legitimate", 0, "valid", "x86"),
    "vendor-x64.dll": ("legitimate", 0, "valid", "x64"),
    "unsigned.dll": ("suspicious", 1, "unsigned", "x86"),
    "self-signed.dll": ("suspicious", 1, "self_signed", "x86"),
    "unknown-company.dll": ("suspicious", 1, "untrusted_signer", "x86"),
    "wrong-usage.dll": ("suspicious", 1, "wrong_usage", "x86"),
    "expired.dll": ("malicious", 2, "expired", "x86"),
    "expired-timestamped.dll": ("legitimate", 0, "valid", "x86"),
    "legacy-timestamped.dll": ("legitimate", 0, "valid", "x86"),
    "nested.dll": ("legitimate", 0, "valid", "x86"),
    "modified.dll": ("malicious", 2, "modified", "x86"),
    "malformed-signature.dll": ("malicious", 2, "malformed", "x86"),
    "appended.dll": ("malicious", 2, "malformed", "x86"),
    "truncated.dll": ("not_analysable", 3, None, None),
    "not-a-pe.dll": ("not_analysable", 3, None, None),
    "exe-renamed.dll": ("malicious", 2, "valid", "x86"),
    "small.dll": ("suspicious", 1, "valid", "x86"),
    "big-resources.dll": ("suspicious", 1, "valid", "x86"),
    "packed.dll": ("suspicious", 1, "valid", "x86"),
}
IDS = ["signature", "location", "size", "format", "process", "activity", "bitness"]


def cli(*args):
    p = subprocess.run([KOFFIX, "check-dll", *args], capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def levels(report):
    return {i["id"]: i["level"] for i in report["indicators"]}


def check_shape(name, rep):
    ok = t.check(f"{name}: keys", all(k in rep for k in
                 ("verdict", "reason", "indicators", "machine", "signature", "version_info",
                  "sha256")), sorted(rep))
    ok &= t.check(f"{name}: indicators", [i["id"] for i in rep["indicators"]] == IDS,
                  rep["indicators"])
    ok &= t.check(f"{name}: levels", all(i["level"] in ("ok", "suspicious", "malicious",
                                                        "not_assessed") and i["reason"]
                                         for i in rep["indicators"]), rep["indicators"])
    return ok


def test_cli_fixtures():
    if not t.check("fixtures built", os.path.isfile(CA), f"{FIX}: run tests/pe/build-fixtures.sh"):
        return
    for name, (verdict, code, status, machine) in EXPECTED.items():
        rc, out, err = cli("--ca-file", CA, "--json", os.path.join(FIX, name))
        t.check(f"{name}: exit {code}", rc == code, f"exit {rc}: {err}")
        try:
            rep = json.loads(out)
        except ValueError:
            t.check(f"{name}: JSON", False, out[:300])
            continue
        check_shape(name, rep)
        t.check(f"{name}: verdict", rep["verdict"] == verdict, rep["reason"])
        t.check(f"{name}: machine", rep["machine"] == machine, rep["machine"])
        sig = rep["signature"]
        t.check(f"{name}: signature", (sig or {}).get("status") == status, sig)
        if status:
            t.check(f"{name}: sha256", re.fullmatch(r"[0-9a-f]{64}", rep["sha256"] or ""),
                    rep["sha256"])
    # Specific indicators of the table in README.md.
    _, out, _ = cli("--ca-file", CA, "--json", os.path.join(FIX, "big-resources.dll"))
    lv = levels(json.loads(out))
    t.check("big resources: size, not packed", lv["size"] == "suspicious" and lv["format"] == "ok",
            lv)
    _, out, _ = cli("--ca-file", CA, "--json", os.path.join(FIX, "exe-renamed.dll"))
    t.check("exe renamed: format malicious", levels(json.loads(out))["format"] == "malicious")
    _, out, _ = cli("--ca-file", CA, "--json", os.path.join(FIX, "packed.dll"))
    rep = json.loads(out)
    t.check("packed: format suspicious", levels(rep)["format"] == "suspicious" and
            "UPX1" in rep["indicators"][3]["reason"], rep["indicators"][3])
    # No --ca-file: the vendor's chain does not build on Debian, and that is never malicious.
    rc, out, _ = cli("--json", os.path.join(FIX, "vendor-x86.dll"))
    rep = json.loads(out)
    t.check("no CA: suspicious, publisher cannot be verified", rc == 1 and
            rep["signature"]["status"] == "untrusted_root" and
            "cannot be verified here" in rep["reason"], rep["reason"])
    # The text output, for people.
    rc, out, _ = cli("--ca-file", CA, "--office-bitness", "x64", os.path.join(FIX, "vendor-x86.dll"))
    t.check("text: verdict line", rc == 1 and "vendor-x86.dll: SUSPICIOUS" in out, out[:400])
    t.check("text: bitness is a diagnosis", "not a sign of malware" in out, out)
    t.check("text: version info", "OriginalFilename" in out and "KofMsp32.dll" in out, out)
    t.check("text: signer", "signer     CN=Kerio Technologies s.r.o." in out, out)
    rc, out, _ = cli("--ca-file", CA, "--trusted-signer", "Unknown Co",
                     os.path.join(FIX, "unknown-company.dll"))
    t.check("--trusted-signer accepts a signer", rc == 0 and "LEGITIMATE" in out, out[:300])


def test_cli_usage():
    dll = os.path.join(FIX, "unsigned.dll")
    for args, why in (((), "needs the FILE"),
                      ((dll, "--office-bitness", "x32"), "x86 or x64"),
                      ((dll, "--activity", "loud"), "idle-cpu, outbound or none"),
                      ((dll, "--bogus"), "unexpected argument"),
                      ((dll, "--windows-path"), "needs a value"),
                      ((dll, "--ca-file", "/nonexistent.pem"), "cannot read CA certificates")):
        rc, out, err = cli(*args)
        t.check(f"usage {args[1:] if args else '()'}: 64", rc == 64 and why in err, f"{rc} {err}")
    rc, out, err = cli(dll, os.path.join(FIX, "unknown-company.dll"))
    t.check("two files in text: two reports, nothing else", rc == 1 and out.count(": SUSPICIOUS") == 2
            and "[" not in out.splitlines()[-1], out[-300:])
    rc, out, err = cli("--json", dll, "/nonexistent/kofmsp.dll")
    lst = json.loads(out) if rc in (1, 3) else []
    t.check("two files in JSON: a list, the worst verdict is the exit status", rc == 3 and
            [r["verdict"] for r in lst] == ["suspicious", "not_analysable"] and
            lst[1]["file"] == "/nonexistent/kofmsp.dll", out[-300:] + err)
    rc, out, err = cli("--json", "/nonexistent/kofmsp.dll")
    t.check("unreadable file: 3", rc == 3 and json.loads(out)["verdict"] == "not_analysable" and
            "cannot be read" in json.loads(out)["reason"], out + err)
    rc, out, err = cli("--json", ROOT)
    t.check("a folder: 3", rc == 3, out + err)
    p = subprocess.run([KOFFIX, "check-dll", "--help"], capture_output=True)
    t.check("--help", p.returncode == 0 and b"Exit status: 0 legitimate" in p.stdout, p.stdout)
    p = subprocess.run([KOFFIX, "--help"], capture_output=True)
    t.check("listed in koffix --help", b"check-dll FILE" in p.stdout, p.stdout)


LOCATIONS = [
    (r"C:\Program Files (x86)\Kerio\Outlook Connector (Offline Edition)\KofMsp32.dll", "ok"),
    (r"C:\Program Files\Kerio\Outlook Connector (Offline Edition)\kofmsp.dll", "ok"),
    (r"C:\PROGRA~2\Kerio\OUTLOO~1\KofMsp32.dll", "ok"),
    (r"C:\Users\bob\AppData\Local\Temp\KofMsp32.dll", "suspicious"),
    (r"C:\Users\bob\Downloads\kofmsp.dll", "suspicious"),
    (r"C:\Users\bob\AppData\Roaming\kofmsp.dll", "suspicious"),
    (r"C:\Windows\SysWOW64\KofMsp32.dll", "suspicious"),
    (r"C:\Users\Public\KofMsp32.dll", "malicious"),
    (r"C:\ProgramData\Kerio\KofMsp32.dll", "malicious"),
]
PROCESSES = [("OUTLOOK.EXE", "ok"), ("KoffBackend.exe", "ok"), ("searchprotocolhost", "ok"),
             ("powershell.exe", "malicious"), ("wscript.exe", "malicious"),
             ("mshta", "malicious"), ("chrome.exe", "suspicious")]


def test_cli_rules():
    dll = os.path.join(FIX, "vendor-x86.dll")
    for path, level in LOCATIONS:
        rc, out, _ = cli("--ca-file", CA, "--json", "--windows-path", path, dll)
        rep = json.loads(out)
        want_rc = {"ok": 0, "suspicious": 1, "malicious": 2}[level]
        t.check(f"location {path}", levels(rep)["location"] == level and rc == want_rc,
                f"{rc} {rep['indicators'][1]}")
    rc, out, _ = cli("--ca-file", CA, "--json", "--windows-path", r"D:\Apps\KOFF\KofMsp32.dll",
                     "--install-dir", r"D:\Apps\KOFF", dll)
    t.check("--install-dir", rc == 0 and levels(json.loads(out))["location"] == "ok", out[:300])
    for proc, level in PROCESSES:
        rc, out, _ = cli("--ca-file", CA, "--json", "--loaded-by", proc, dll)
        t.check(f"process {proc}", levels(json.loads(out))["process"] == level, out[:300])
    for act, level in (("idle-cpu", "suspicious"), ("outbound", "malicious"), ("none", "ok")):
        rc, out, _ = cli("--ca-file", CA, "--json", "--activity", act, dll)
        t.check(f"activity {act}", levels(json.loads(out))["activity"] == level, out[:300])


def multipart(fields, boundary=None):
    """fields: [(name, value bytes or str[, filename])] -> (content type, body)."""
    b = boundary or "----koffix" + uuid.uuid4().hex
    out = b""
    for field in fields:
        name, value, filename = (*field, None)[:3]
        if isinstance(value, str):
            value = value.encode()
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{b}\r\nContent-Disposition: {disp}\r\n".encode()
        if filename:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + value + b"\r\n"
    out += f"--{b}--\r\n".encode()
    return f"multipart/form-data; boundary={b}", out


def read(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def test_http():
    os.environ["KOFFIX_CA_FILE"] = CA
    srv = Server()
    try:
        srv.login()
        tok = srv.csrf()

        def upload(fields, path="/api/dll-check", csrf=True, headers=None, **kw):
            ctype, body = multipart(fields)
            h = {"Content-Type": ctype}
            if csrf:
                h["X-CSRF-Token"] = tok
            h.update(headers or {})
            return srv.request("POST", path, body=body, headers=h, **kw)

        r = upload([("file", read("vendor-x86.dll"), "KofMsp32.dll"),
                    ("windows_path", r"C:\Program Files (x86)\Kerio\Outlook Connector "
                                     r"(Offline Edition)\KofMsp32.dll")])
        rep = r.json() if r.status == 200 else {}
        t.check("api: vendor legitimate", r.status == 200 and rep.get("verdict") == "legitimate",
                f"{r.status} {r.text[:300]}")
        if rep:
            check_shape("api vendor", rep)
            t.check("api: location ok", levels(rep)["location"] == "ok", rep["indicators"])
            t.check("api: file name", rep.get("file_name") == "KofMsp32.dll", rep.get("file_name"))
            t.check("api: stored id", re.fullmatch(r"[0-9a-f]{32}", rep.get("id") or ""), rep)
            t.check("api: json content type", "application/json" in r.header("Content-Type"))
        r = upload([("file", read("unsigned.dll"), "kofmsp.dll"),
                    ("windows_path", r"%TEMP%\kofmsp.dll"), ("loaded_by", "powershell.exe")])
        rep = r.json()
        t.check("api: unsigned from temp, powershell", r.status == 200 and
                rep["verdict"] == "malicious" and levels(rep)["location"] == "suspicious" and
                levels(rep)["process"] == "malicious", rep)
        r = upload([("file", read("big-resources.dll"), "KofMsp32.dll")])
        t.check("api: 5 MB upload", r.status == 200 and r.json()["verdict"] == "suspicious",
                f"{r.status} {r.text[:200]}")
        r = upload([("file", read("not-a-pe.dll"), "kofmsp.dll")])
        t.check("api: not a PE", r.status == 200 and r.json()["verdict"] == "not_analysable",
                r.text[:300])
        r = upload([("file", b"", "empty.dll")])
        t.check("api: empty file", r.status == 200 and r.json()["verdict"] == "not_analysable",
                r.text[:300])

        # A wizard session: the result is stored with it for the support ticket.
        w = srv.request("POST", "/api/wizard", body="", headers={"Content-Type": "application/json",
                                                                 "X-CSRF-Token": tok})
        sid = w.json().get("session") if w.status == 201 else None
        t.check("wizard session made", sid, f"{w.status} {w.text[:200]}")
        if sid:
            r = upload([("file", read("modified.dll"), "KofMsp32.dll"), ("session", sid)])
            t.check("api: with session", r.status == 200 and r.json().get("session") == sid,
                    r.text[:300])
            db = sqlite3.connect(os.path.join(srv.tmp, "data", "koffix.db"))
            rows = db.execute("SELECT session, file_name, verdict, sha256, result FROM dll_checks"
                              " WHERE session = ?", (sid,)).fetchall()
            db.close()
            t.check("dll_checks row", len(rows) == 1 and rows[0][1] == "KofMsp32.dll" and
                    rows[0][2] == "malicious" and json.loads(rows[0][4])["verdict"] ==
                    "malicious", rows)
        r = upload([("file", read("unsigned.dll"), "a.dll"), ("session", "0" * 32)])
        t.check("api: unknown session 404", r.status == 404 and "no wizard session" in
                r.json()["detail"], r.text[:300])

        # Malformed uploads: 400 naming the problem.
        r = upload([("windows_path", "C:\\x")])
        t.check("api: no file part", r.status == 400 and "'file'" in r.json()["detail"], r.text)
        r = upload([("file", read("unsigned.dll"), "a.dll"), ("office_bitness", "x128")])
        t.check("api: bad bitness", r.status == 400 and "office_bitness" in r.json()["detail"],
                r.text)
        r = upload([("file", read("unsigned.dll"), "a.dll"), ("windows_path", "C:\\" + "a" * 2000)])
        t.check("api: long path", r.status == 400 and "too long" in r.json()["detail"], r.text)
        ctype, body = multipart([("file", read("unsigned.dll"), "a.dll")])
        r = srv.request("POST", "/api/dll-check", body=body[:-20],
                        headers={"Content-Type": ctype, "X-CSRF-Token": tok})
        t.check("api: cut short", r.status == 400 and "cut short" in r.json()["detail"], r.text)
        r = srv.request("POST", "/api/dll-check", body='{"file": "x"}',
                        headers={"Content-Type": "application/json", "X-CSRF-Token": tok})
        t.check("api: not multipart", r.status == 400 and "multipart/form-data" in
                r.json()["detail"], r.text)
        r = srv.request("POST", "/api/dll-check", body=b"",
                        headers={"Content-Type": "multipart/form-data; boundary=x",
                                 "Content-Length": str(32 * 1024 * 1024 + 1), "X-CSRF-Token": tok})
        t.check("api: over 32 MiB is 413", r.status == 413, r.status)
        # The security model.
        r = upload([("file", read("unsigned.dll"), "a.dll")], csrf=False)
        t.check("api: no CSRF 403", r.status == 403, r.status)
        r = upload([("file", read("unsigned.dll"), "a.dll"), ("csrf_token", tok)], csrf=False)
        t.check("api: CSRF as a multipart field", r.status == 200, f"{r.status} {r.text[:200]}")
        r = upload([("file", read("unsigned.dll"), "a.dll"), ("csrf_token", "0" * 64)], csrf=False)
        t.check("api: wrong CSRF field 403", r.status == 403, r.status)
        r = upload([("file", read("unsigned.dll"), "a.dll")], cookies={})
        t.check("api: no launch token 401", r.status == 401, r.status)
        r = upload([("file", read("unsigned.dll"), "a.dll")],
                   headers={"Origin": "http://evil.example"})
        t.check("api: foreign Origin 403", r.status == 403, r.status)
        r = srv.get("/api/dll-check")
        t.check("api: GET is 405", r.status == 405, r.status)

        # The page, without JavaScript.
        r = srv.get("/dll-check")
        html = r.text
        t.check("page: 200", r.status == 200, r.status)
        t.check("page: multipart form", 'enctype="multipart/form-data"' in html and
                'action="/dll-check"' in html and 'type="file" name="file"' in html, html[:500])
        t.check("page: csrf field", f'name="csrf_token" value="{tok}"' in html, tok)
        t.check("page: where-found field", 'name="windows_path"' in html)
        t.check("page: no inline script", not re.search(r"<script(?![^>]*\bsrc=)", html) and
                "style=" not in html)
        r = srv.get("/dll-check", cookies={})
        t.check("page: needs the launch token", r.status == 401, r.status)
        r = srv.get(f"/dll-check?session={sid}")
        t.check("page: carries the session", f'name="session" value="{sid}"' in r.text)
        r = srv.get("/dll-check?session=%22%3E%3Cscript%3E")
        t.check("page: ignores a bad session", "<script>" not in r.text and
                'name="session"' not in r.text)
        r = upload([("csrf_token", tok), ("file", read("exe-renamed.dll"), "KofMsp32.dll"),
                    ("windows_path", r"C:\Users\bob\Downloads\KofMsp32.dll"),
                    ("office_bitness", "x86"), ("activity", "")], path="/dll-check", csrf=False)
        html = r.text
        t.check("form post: result page", r.status == 200 and "Probably malicious" in html and
                "File structure" in html and "a program (EXE), not a DLL" in html, html[:600])
        t.check("form post: every indicator", all(label in html for label in (
            "Digital signature", "Where it was found", "Size", "Program that loads it",
            "What it was seen doing", "32-bit or 64-bit")))
        t.check("form post: details", "KofMsp32.dll" in html and "Kerio Technologies" in html)
        r = upload([("csrf_token", tok), ("file", read("vendor-x86.dll"), "KofMsp32.dll")],
                   path="/dll-check", csrf=False)
        t.check("form post: genuine", r.status == 200 and "Looks genuine" in r.text, r.text[:300])
        r = upload([("csrf_token", tok), ("windows_path", "x")], path="/dll-check", csrf=False)
        t.check("form post: malformed shows the form again", r.status == 400 and
                "no &#39;file&#39; part" in r.text and 'type="file"' in r.text, r.text[:500])
        r = upload([("file", read("vendor-x86.dll"), "a.dll")], path="/dll-check", csrf=False)
        t.check("form post: no CSRF 403", r.status == 403, r.status)
        t.check("server still up", srv.proc.poll() is None, srv.stderr()[-500:])
    finally:
        rc = srv.stop()
        del os.environ["KOFFIX_CA_FILE"]
    t.check("server exits cleanly (no sanitizer report)", rc == 0, rc)


def test_routes():
    p = subprocess.run([KOFFIX, "routes", "--json"], capture_output=True)
    routes = {(r["method"], r["pattern"]): r for r in json.loads(p.stdout)}
    api = routes.get(("POST", "/api/dll-check"), {})
    t.check("route /api/dll-check", api.get("token") and api.get("api") and
            api.get("body_max") == 32 * 1024 * 1024, api)
    t.check("route /dll-check", ("GET", "/dll-check") in routes and ("POST", "/dll-check") in routes)


test_cli_fixtures()
test_cli_usage()
test_cli_rules()
test_http()
test_routes()
sys.exit(t.done())
