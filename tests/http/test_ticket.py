# SPDX-License-Identifier: MIT
"""The support ticket over HTTP and on the command line, against the real server on port 0.

- the wizard is driven over HTTP with hostile text answers (HTML, CRLF header injection, NUL,
  invalid UTF-8, over-long text) and personal values planted in a path answer, a detected value,
  a repair log and a DLL check; then every format is exported:
  JSON (validated against docs/ticket-schema.json with ajv), .eml (Python's email package:
  CRLF, no defects, attachments decode to the original bytes), printable HTML (only the tags
  koffix writes), osTicket and Zammad bodies (their required fields, attachments decoded);
- hostile values come out escaped or refused in every format; redaction removes every planted
  value in every format, attachments included, with the same placeholder for the same value;
- bad requests: unknown format 400, unknown session 404, no token 401, bad e-mail 400, POST 405;
- the Contact support page (GET only), article views and votes in the ticket, the shipped flow's
  outcome linking to it, a real (dry) repair run in the ticket, `koffix ticket` and its exits.
"""
import base64
import email
import email.policy
import html.parser
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import KOFFIX, ROOT, Checks, Server  # noqa: E402

t = Checks("ticket-http")
FIX = os.path.join(ROOT, "tests", "fixtures", "printer")
SCHEMA = os.path.join(ROOT, "docs", "ticket-schema.json")
VALIDATE = os.path.join(ROOT, "tests", "tools", "validate.js")
FORMATS = ("json", "eml", "html", "osticket", "zammad")

# Personal values planted in the session, the journal and the DLL check.
PLANTED = ["jdoe", "PRINTSRV01", "corp.example.com", "WS-JDOE-01", "lisa.kraus",
           "example.org", "mmuster", "kkeller"]
PATH_ANSWER = ("LaserBee-5 on \\\\PRINTSRV01.corp.example.com, driver in "
               "C:\\Users\\jdoe\\AppData\\Local\\Temp, ask lisa.kraus@example.org")
HOSTILE_HTML = "<script>alert(1)</script><img src=x onerror=alert(2)>"
LOG1 = ("Collecting\r\nHost Name . . . . : WS-JDOE-01\r\nProfile C:\\Users\\jdoe\\AppData\r\n"
        "<script>alert(3)</script>\r\n").encode()
REQUESTER = {"name": "Jane \u201cQ\u201d R\u00f6e", "email": "jane.roe@requester.test"}


class Api:
    def __init__(self, srv):
        self.srv = srv
        srv.login()
        self.tok = srv.csrf()

    def post(self, path, body=None, raw=None, headers=None):
        h = {"Content-Type": "application/json", "X-CSRF-Token": self.tok}
        h.update(headers or {})
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.srv.request("POST", path, body=data, headers=h)

    def answer(self, sid, node, value, raw=None):
        if raw is not None:
            return self.post(f"/api/wizard/{sid}/answer", raw=raw)
        return self.post(f"/api/wizard/{sid}/answer", {"node": node, "answer": value})

    def ticket(self, sid, fmt, redact=False, name=None, email=None, extra=""):
        q = {"format": fmt, "redact": "1" if redact else "0"}
        if name is not None:
            q["name"] = name
        if email is not None:
            q["email"] = email
        return self.srv.get(f"/api/tickets/{sid}?" + urllib.parse.urlencode(q) + extra)


def schema_check(name, doc):
    """Validates doc with ajv (tests/tools); a missing tool is a failure, not a skip."""
    if not os.path.isdir(os.path.join(ROOT, "tests", "tools", "node_modules", "ajv")):
        t.check(f"{name}: ajv is installed (make deps)", False, "tests/tools/node_modules missing")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(doc, f)
    r = subprocess.run(["node", VALIDATE, SCHEMA, f.name], capture_output=True, text=True,
                       timeout=60)
    os.unlink(f.name)
    t.check(f"{name}: JSON validates against docs/ticket-schema.json", r.returncode == 0,
            r.stdout + r.stderr)


def decoded_texts(fmt, body):
    """Every text a format carries, decoded: the body, MIME parts, data URLs, base64 fields."""
    texts = [body.decode("utf-8", "replace")]
    if fmt == "eml":
        msg = email.message_from_bytes(body, policy=email.policy.default)
        for k, v in msg.items():
            texts.append(f"{k}: {v}")
        for part in msg.walk():
            payload = part.get_payload(decode=True)
            if payload:
                texts.append(payload.decode("utf-8", "replace"))
    elif fmt in ("osticket", "zammad"):
        doc = json.loads(body)
        texts.append(json.dumps(doc, ensure_ascii=False))

        def walk(v, key=None):
            if isinstance(v, dict):
                for k, x in v.items():
                    walk(x, k)
            elif isinstance(v, list):
                for x in v:
                    walk(x, key)
            elif isinstance(v, str):
                m = re.match(r"data:[^,;]+(;[^,]*)?,(.*)$", v, re.S)
                if m and m.group(1) == ";base64":
                    texts.append(base64.b64decode(m.group(2)).decode("utf-8", "replace"))
                elif m:
                    texts.append(m.group(2))
                elif key == "data":   # Zammad's attachments
                    texts.append(base64.b64decode(v).decode("utf-8", "replace"))
        walk(doc)
    elif fmt == "json":
        texts.append(json.dumps(json.loads(body), ensure_ascii=False))
    return texts


class Tags(html.parser.HTMLParser):
    """Collects the element names and attributes of an HTML document."""

    def __init__(self):
        super().__init__()
        self.tags, self.attrs = set(), set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, _ in attrs:
            self.attrs.add(k)


HTML_TAGS = {"html", "head", "meta", "title", "style", "body", "div", "section", "h1", "h2",
             "h3", "h4", "p", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "pre"}


def check_html(name, text, document=True):
    p = Tags()
    p.feed(text)
    allowed = HTML_TAGS if document else HTML_TAGS - {"html", "head", "meta", "title", "style",
                                                       "body"}
    t.check(f"{name}: only the elements koffix writes", p.tags <= allowed, p.tags - allowed)
    t.check(f"{name}: no event handler or style attribute",
            p.attrs <= {"class", "scope", "charset", "name", "content", "lang"}, p.attrs)
    t.check(f"{name}: hostile HTML escaped", "&lt;script&gt;alert(1)&lt;/script&gt;" in text
            and "<script" not in text.lower(), text[:200])


def plant(db, sid):
    """Journal rows (with the columns of repair-actions/journal.c), a DLL check and a vote."""
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE IF NOT EXISTS dll_checks(id TEXT PRIMARY KEY, session TEXT, created TEXT,"
        " file_name TEXT, windows_path TEXT, sha256 TEXT, verdict TEXT, result TEXT);")
    con.execute("INSERT INTO repair_runs(id, action, params, session, backend, dry_run, state,"
                " created, updated, result_code, error) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                ("planted01", "ping-printer", json.dumps({"printer_model": "x", "user": "CORP\\kkeller"}),
                 sid, "agent", 0, "failed", "2024-03-05T10:01:00Z", "2024-03-05T10:02:00Z", 1603,
                 "step 3 failed: C:\\Users\\jdoe\\x"))
    steps = [
        (1, "Collect <environment>", LOG1),
        (2, "Hostile\r\nX-Injected: 1", b"nul\x00byte and \xff\xfe invalid UTF-8 \x1b[31m"),
        (3, "Huge", b"0123456789abcdef\n" * 300000),
    ]
    for n, title, out in steps:
        con.execute("INSERT INTO repair_steps(run, n, title, kind, plan, state, started, finished,"
                    " output, verification, backup, result_code) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                    ("planted01", n, title, "collect", "{}", "failed", "2024-03-05T10:01:0%dZ" % n,
                     "2024-03-05T10:01:0%dZ" % n, out.decode("utf-8", "surrogateescape")
                     if n == 1 else out, "read back from HKCU", "C:\\Users\\jdoe\\backup", 1602 + n))
    con.execute("INSERT INTO dll_checks VALUES(?,?,?,?,?,?,?,?)",
                ("dll01", sid, "2024-03-05T10:00:30Z", "KofMsp32.dll",
                 "C:\\Users\\jdoe\\Downloads\\KofMsp32.dll", "ab" * 32, "suspicious",
                 json.dumps({"verdict": "suspicious", "reason": "in Downloads",
                             "indicators": [{"id": "location", "level": "suspicious",
                                             "reason": "C:\\Users\\jdoe\\Downloads"}]})))
    con.commit()
    con.close()


def check_eml(name, body, model, logs):
    t.check(f"{name}: CRLF line endings everywhere",
            not re.search(rb"(?<!\r)\n", body) and not re.search(rb"\r(?!\n)", body))
    t.check(f"{name}: no line over 998 characters",
            max(len(x) for x in body.split(b"\r\n")) <= 998)
    msg = email.message_from_bytes(body, policy=email.policy.default)
    defects = list(msg.defects) + [d for p in msg.walk() for d in p.defects]
    t.check(f"{name}: parses without defects", not defects, defects)
    t.check(f"{name}: X-Unsent: 1", msg["X-Unsent"] == "1", msg["X-Unsent"])
    t.check(f"{name}: Date and Message-ID", msg["Date"] is not None and msg["Date"].datetime
            and re.fullmatch(r"<[0-9a-f]+@koffix\.invalid>", msg["Message-ID"] or ""),
            (msg["Date"], msg["Message-ID"]))
    addr = msg["From"].addresses[0]
    t.check(f"{name}: From is the requester",
            addr.addr_spec == REQUESTER["email"]
            and " ".join(addr.display_name.split()) == REQUESTER["name"], str(msg["From"]))
    t.check(f"{name}: Subject decodes to the ticket's subject", msg["Subject"] == model["subject"],
            (msg["Subject"], model["subject"]))
    t.check(f"{name}: no header made from a value",
            set(k.lower() for k in msg.keys()) <= {"date", "from", "to", "subject", "message-id",
                                                   "mime-version", "x-unsent", "x-mailer",
                                                   "content-type"}, msg.keys())
    t.check(f"{name}: multipart/mixed with text and HTML alternatives",
            msg.get_content_type() == "multipart/mixed"
            and [p.get_content_type() for p in msg.walk()][:4]
            == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html"])
    html_part = msg.get_body(preferencelist=("html",)).get_content()
    check_html(f"{name} HTML part", html_part)
    atts = {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}
    js = [k for k in atts if k.endswith(".json")]
    t.check(f"{name}: the ticket JSON is attached", len(js) == 1, list(atts))
    if js:
        got = json.loads(atts[js[0]])
        got.pop("created", None)
        want = dict(model)
        want.pop("created", None)
        t.check(f"{name}: the JSON attachment decodes to the ticket", got == want)
    for fname, data in logs.items():
        t.check(f"{name}: {fname} decodes to the original bytes", atts.get(fname) == data,
                (len(atts.get(fname) or b""), len(data)))
    return msg


def check_api_bodies(api, sid, model, logs):
    r = api.ticket(sid, "osticket", **REQUESTER)
    t.check("osticket: 200 JSON attachment", r.status == 200 and r.header("Content-Type")
            .startswith("application/json") and "osticket.json" in r.header("Content-Disposition"),
            (r.status, r.header("Content-Disposition")))
    o = r.json()
    t.check("osticket: required fields",
            o["name"] == REQUESTER["name"] and o["email"] == REQUESTER["email"]
            and o["subject"] == model["subject"] and o["message"].startswith(
                "data:text/html;charset=utf-8,<div class=\"kt-ticket\">"), sorted(o))
    check_html("osticket message", o["message"].split(",", 1)[1], document=False)
    atts = {}
    for a in o["attachments"]:
        (k, v), = a.items()
        m = re.fullmatch(r"data:([a-z]+/[a-z]+);base64,([A-Za-z0-9+/=]*)", v)
        t.check(f"osticket attachment {k} is a base64 data URL", m is not None, v[:60])
        atts[k] = base64.b64decode(m.group(2)) if m else b""
    for fname, data in logs.items():
        t.check(f"osticket: {fname} decodes to the original bytes", atts.get(fname) == data)

    r = api.ticket(sid, "zammad", **REQUESTER)
    z = r.json()
    a = z["article"]
    t.check("zammad: required fields",
            z["title"] == model["subject"] and z["group"] == "Users"
            and z["customer"] == REQUESTER["email"] and a["subject"] == model["subject"]
            and a["type"] == "note" and a["internal"] is False
            and a["content_type"] == "text/html" and a["body"].startswith("<div class=\"kt-ticket\">"),
            {k: v for k, v in z.items() if k != "article"})
    check_html("zammad body", a["body"], document=False)
    atts = {x["filename"]: base64.b64decode(x["data"]) for x in a["attachments"]}
    t.check("zammad: attachments carry mime-type",
            all(x["mime-type"] in ("application/json", "text/plain") for x in a["attachments"]))
    for fname, data in logs.items():
        t.check(f"zammad: {fname} decodes to the original bytes", atts.get(fname) == data)


def test_printer_session():
    det = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({"computer_name": "WS-JDOE-01", "user_name": "CORP\\mmuster"}, det)
    det.close()
    srv = Server(kb_dir=os.path.join(FIX, "kb"),
                 pre=["--flows", os.path.join(FIX, "flows"), "--catalogue",
                      os.path.join(FIX, "catalogue.json")],
                 extra=("--detected", det.name))
    try:
        api = Api(srv)
        sid = api.post("/api/wizard").json()["session"]
        api.answer(sid, "problem", "nothing_prints")
        # Hostile answers: refused by the wizard, or stored and escaped by every export.
        r = api.answer(sid, "printer_model", "x\r\nBcc: evil@example.com")
        t.check("CRLF answer refused (400)", r.status == 400, r.status)
        r = api.answer(sid, "printer_model", "y" * 201)
        t.check("over-long answer refused (400)", r.status == 400, r.status)
        form = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": api.tok}
        r = srv.request("POST", f"/wizard/{sid}/answer", headers=form,
                        body="node=printer_model&answer=a%00b")
        t.check("NUL in a form answer refused (400)", r.status == 400, r.status)
        for value in (HOSTILE_HTML, None, "\u00e9" * 100):
            if value is None:   # raw invalid UTF-8 through the JSON API
                r = api.answer(sid, None, None, raw=b'{"node": "printer_model", '
                               b'"answer": "bad \xff\xfe bytes"}')
            else:
                r = api.answer(sid, "printer_model", value)
            t.check(f"hostile answer {value!r:.30} taken", r.status == 200, r.text[:200])
            api.post(f"/api/wizard/{sid}/back", {"node": "printer_model"})
        api.answer(sid, "printer_model", PATH_ANSWER)
        for node, value in (("connection", "network"), ("supplies", "none"),
                            ("printer_age", "1_to_5"), ("driver_version", "")):
            api.answer(sid, node, value)
        state = srv.get(f"/api/wizard/{sid}").json()
        t.check("printer session reached an outcome", state["outcome"] is not None, state["node"])

        db = os.path.join(srv.tmp, "data", "koffix.db")
        con = sqlite3.connect(db)
        has_dll = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'dll_checks'"
                              ).fetchone()[0]
        con.close()
        r = api.ticket(sid, "json")
        before = r.json()
        t.check("ticket before any repair: no runs; a missing DLL-check table is reported",
                before["actions_run"] == [] and (has_dll or "dll_checks" in before["unavailable"]),
                before["unavailable"])
        schema_check("ticket without requester", before)

        plant(db, sid)
        logs = {"run-planted01-step-1.log": LOG1}
        r = api.ticket(sid, "json", **REQUESTER)
        t.check("json: 200, attachment with a safe name",
                r.status == 200 and r.header("Content-Type") == "application/json; charset=utf-8"
                and re.fullmatch(r'attachment; filename="koffix-ticket-[0-9a-f]{8}\.json"',
                                 r.header("Content-Disposition") or ""),
                (r.status, r.header("Content-Disposition")))
        text = r.body.decode("utf-8")   # strict: the export is valid UTF-8
        model = json.loads(text)
        schema_check("full ticket", model)
        t.check("json: schema version and requester",
                model["schema_version"] == "1.0" and model["requester"] == REQUESTER)
        hist = [e["answer"] for e in model["history"] if e["node"] == "printer_model"]
        t.check("json: the history keeps every answer, also those changed later",
                HOSTILE_HTML in hist and PATH_ANSWER in hist and "\u00e9" * 100 in hist
                and "bad \ufffd\ufffd bytes" in hist, hist)
        env = {e["name"]: e for e in model["environment"]}
        t.check("json: environment marks detected values",
                env["computer_name"]["source"] == "detected"
                and env["printer_model"]["source"] == "answered", sorted(env))
        run = model["actions_run"][0] if model["actions_run"] else {}
        steps = run.get("steps", [])
        t.check("json: the planted run with its steps, codes and logs",
                run.get("result_code") == 1603 and len(steps) == 3
                and steps[0]["output"] == LOG1.decode() and steps[1]["result_code"] == 1604
                and steps[1]["title"] == "Hostile X-Injected: 1"
                and steps[1]["output"] == "nul\ufffdbyte and \ufffd\ufffd invalid UTF-8 \ufffd[31m",
                json.dumps(run)[:500])
        t.check("json: a huge log is cut with a marker",
                len(steps) == 3 and 200000 < len(steps[2]["output"]) < 300000
                and steps[2]["output"].endswith("bytes cut]"), len(steps[2]["output"]) if steps else 0)
        t.check("json: the DLL check", model["dll_checks"]
                and model["dll_checks"][0]["result"]["verdict"] == "suspicious")
        t.check("json: the reminder", "another computer" in model["reminder"], model["reminder"])

        r = api.ticket(sid, "eml", **REQUESTER)
        t.check("eml: 200 message/rfc822 attachment", r.status == 200
                and r.header("Content-Type") == "message/rfc822"
                and r.header("Content-Disposition").endswith('.eml"'), r.status)
        check_eml("eml", r.body, model, logs)
        r = api.ticket(sid, "html", **REQUESTER)
        t.check("html: 200 text/html attachment", r.status == 200
                and r.header("Content-Type") == "text/html; charset=utf-8"
                and "attachment" in r.header("Content-Disposition"), r.status)
        check_html("html", r.text)
        t.check("html: printable, with the logs whole", r.text.startswith("<!DOCTYPE html>")
                and "@media print" in r.text and r.text.count("0123456789abcdef") > 10000)
        check_api_bodies(api, sid, model, logs)

        # Redaction: every planted value gone from every format, attachments included.
        for fmt in FORMATS:
            r = api.ticket(sid, fmt, redact=True, **REQUESTER)
            texts = decoded_texts(fmt, r.body)
            left = [v for v in PLANTED if any(v.lower() in x.lower() for x in texts)]
            t.check(f"redacted {fmt}: no planted value left", r.status == 200 and not left, left)
            t.check(f"redacted {fmt}: the requester stays",
                    fmt in ("json", "html") or any(REQUESTER["email"] in x for x in texts))
        red = api.ticket(sid, "json", redact=True, **REQUESTER).json()
        schema_check("redacted ticket", red)
        answer = [p for p in red["path"] if p["node"] == "printer_model"][0]["answer"]["value"]
        user = re.search(r"C:\\Users\\(user-\d+)\\", answer)
        outs = red["actions_run"][0]["steps"][0]["output"]
        t.check("redacted: same value, same placeholder in answers and logs",
                user and f"C:\\Users\\{user.group(1)}\\AppData" in outs
                and red["redacted"] is True and red["requester"] == REQUESTER, (answer, outs[:200]))
        host = env_host = None
        for e in red["environment"]:
            if e["name"] == "computer_name":
                env_host = e["value"]
        host = re.search(r"Host Name[ .]*: (host-\d+)", outs)
        t.check("redacted: the detected computer name and the log's host name match",
                host and env_host == host.group(1), (env_host, outs[:120]))

        # Requests koffix refuses.
        cases = [
            ("unknown format", f"/api/tickets/{sid}?format=xml", 400),
            ("unknown session", "/api/tickets/" + "0" * 32 + "?format=json", 404),
            ("malformed session", "/api/tickets/..%2f?format=json", 404),
            ("bad e-mail", f"/api/tickets/{sid}?format=json&email=not-an-address", 400),
            ("e-mail with CRLF", f"/api/tickets/{sid}?format=eml&email=a%40b.example%0d%0aBcc%3a"
                                 "%20evil%40example.com", 400),
            ("e-mail with NUL", f"/api/tickets/{sid}?format=eml&email=a%40b.example%00x", 400),
            ("name with CRLF", f"/api/tickets/{sid}?format=eml&email=a%40b.example&name=x%0d%0a"
                               "Bcc%3a%20evil%40example.com", 400),
            ("name with invalid UTF-8", f"/api/tickets/{sid}?format=json&name=%ff%fe", 400),
            ("huge name", f"/api/tickets/{sid}?format=json&name=" + "n" * 5000, 400),
            ("osticket without e-mail", f"/api/tickets/{sid}?format=osticket", 400),
            ("zammad without e-mail", f"/api/tickets/{sid}?format=zammad", 400),
            ("redact not 0 or 1", f"/api/tickets/{sid}?format=json&redact=yes", 400),
        ]
        for name, path, want in cases:
            r = srv.get(path)
            ok = r.status == want and "error" in r.json() and "detail" in r.json()
            t.check(f"refused: {name} is {want} with a JSON error", ok, (r.status, r.text[:200]))
        r = srv.get(f"/api/tickets/{sid}?format=json", cookies={})
        t.check("no launch token is 401", r.status == 401, r.status)
        r = srv.request("POST", f"/api/tickets/{sid}?format=json",
                        headers={"X-CSRF-Token": api.tok}, body="")
        t.check("POST is 405", r.status == 405, r.status)
        r = api.ticket(sid, "json", name="<b>Jo</b>")
        t.check("an HTML name is kept as text", r.status == 200
                and r.json()["requester"]["name"] == "<b>Jo</b>")
        r = api.ticket(sid, "html", name="<b>Jo</b>")
        t.check("an HTML name is escaped in HTML", "&lt;b&gt;Jo&lt;/b&gt;" in r.text
                and "<b>Jo" not in r.text)

        test_page(srv, api, sid)
        test_views_and_votes(srv, api, sid)
        test_config(srv, api, sid)
        test_cli(srv, sid, logs)
    finally:
        err = srv.stderr()
        rc = srv.stop()
        os.unlink(det.name)
    t.check("printer server exits cleanly (no sanitizer report)",
            rc == 0 and "Sanitizer" not in err and "runtime error" not in err, err[-2000:])


def test_page(srv, api, sid):
    r = srv.get(f"/wizard/{sid}/ticket")
    t.check("contact page: 200 with a GET form", r.status == 200
            and re.search(r'<form class="ticket-form" method="get" action="/wizard/' + sid
                          + '/ticket">', r.text), r.status)
    t.check("contact page: the preview holds the ticket, hostile text escaped",
            'class="kt-ticket"' in r.text and "&lt;script&gt;alert(1)" in r.text
            and "<script>alert" not in r.text)
    t.check("contact page: one primary download, the e-mail, ready without an address; "
            "the help-desk API formats under For IT staff, waiting for one",
            r.text.count("button button-primary") == 1
            and re.search(r'class="button button-primary" href="/api/tickets/[0-9a-f]+\?format=eml', r.text)
            and r.text.index("For IT staff") < r.text.index('aria-disabled="true">osTicket')
            and f"/api/tickets/{sid}?format=json&amp;redact=0" in r.text, r.text[:200])
    r2 = srv.get(f"/api/tickets/{sid}?format=eml")
    m2 = email.message_from_bytes(r2.body, policy=email.policy.default)
    t.check("the e-mail without an address: a draft with no From for the mail program to fill",
            r2.status == 200 and m2["From"] is None and m2["X-Unsent"] == "1", r2.status)
    t.check("contact page: no inline style or script", " style=" not in r.text
            and "<script>" not in r.text)
    q = urllib.parse.urlencode({"name": REQUESTER["name"], "email": REQUESTER["email"],
                                "redact": "1"})
    r = srv.get(f"/wizard/{sid}/ticket?{q}")
    links = [h.replace("&amp;", "&") for h in re.findall(r'href="(/api/tickets/[^"]+)"', r.text)]
    t.check("contact page: one download per format, with the form's values",
            sorted(urllib.parse.parse_qs(urllib.parse.urlsplit(x).query)["format"][0]
                   for x in links) == sorted(FORMATS)
            and all("redact=1" in x and "email=jane.roe%40requester.test" in x for x in links),
            links)
    t.check("contact page: redacted preview", "jdoe" not in r.text.lower()
            and "checked" in r.text and "user-" in r.text)
    for link in links:
        d = srv.get(link)
        t.check(f"contact page link {link[:60]} downloads", d.status == 200, d.status)
    r = srv.get(f"/wizard/{sid}/ticket?email=nope")
    t.check("contact page: a bad address is 400 with an alert", r.status == 400
            and 'role="alert"' in r.text, r.status)
    r = srv.get("/wizard/" + "a" * 32 + "/ticket")
    t.check("contact page: unknown session is 404", r.status == 404, r.status)
    r = srv.get(f"/wizard/{sid}/ticket", cookies={})
    t.check("contact page: needs the launch token (401)", r.status == 401, r.status)
    r = srv.request("POST", f"/wizard/{sid}/ticket", headers={"X-CSRF-Token": api.tok}, body="")
    t.check("contact page: POST is 405 (GET changes nothing)", r.status == 405, r.status)


def db_rows(srv):
    db = sqlite3.connect(os.path.join(srv.tmp, "data", "koffix.db"))
    db.text_factory = bytes
    try:
        return [db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                for t in ("wizard_events", "wizard_sessions", "votes")]
    finally:
        db.close()


def test_views_and_votes(srv, api, sid):
    """Article views are kept in the browser's own cookie (a GET writes nothing on the
    server); the ticket reads them from the request."""
    jar = dict(srv.cookie)
    jar["koffix_wizard"] = sid
    before = db_rows(srv)
    for _ in range(2):
        r = srv.get("/kb/printer-offline", cookies=jar)
        jar.update(r.cookies())
    r = srv.get("/kb/printer-supplies", cookies={k: v for k, v in jar.items()
                                                  if k != "koffix_token"})
    t.check("a view without the launch token records nothing", "koffix_viewed" not in r.cookies())
    r = srv.get("/kb/printer-clear-queue", cookies=dict(jar, koffix_wizard="f" * 32))
    t.check("a view with another session's cookie starts that session's own list",
            r.cookies().get("koffix_viewed", "").startswith("f" * 32 + ".printer-clear-queue:1:"),
            r.cookies())
    t.check("article views change nothing in the database (no write on GET)",
            db_rows(srv) == before)
    forged = dict(jar, koffix_viewed=sid + ".Bad Slug:1:0.printer-supplies:99999:0.x:1:y")
    r = srv.get("/kb/printer-supplies", cookies=forged)
    t.check("a malformed views cookie is cleaned, never trusted",
            r.status == 200 and r.cookies().get("koffix_viewed", "").startswith(
                sid + ".printer-supplies:1:"), r.cookies())
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    srv.request("POST", "/kb/printer-offline/feedback", headers=form, cookies=jar,
                body=f"csrf_token={api.tok}&helpful=no&comment=mail+jdoe%40example.com")
    saved = dict(srv.cookie)
    srv.cookie = jar
    m = api.ticket(sid, "json").json()
    srv.cookie = saved
    viewed = {a["slug"]: a["views"] for a in m["articles_viewed"]}
    t.check("article views with the session cookie and the token are in the ticket",
            viewed == {"printer-offline": 2}, viewed)
    t.check("this browser's vote is in the ticket",
            [(v["slug"], v["helpful"]) for v in m["votes"]] == [("printer-offline", False)],
            m["votes"])
    other = srv.get(f"/api/tickets/{sid}?format=json",
                    headers={"Authorization": f"Bearer {srv.token}"}, cookies={}).json()
    t.check("another browser does not see that vote", other["votes"] == [], other["votes"])
    red = api.ticket(sid, "json", redact=True).json()
    t.check("a vote's comment is redacted too", "jdoe" not in json.dumps(red["votes"]),
            red["votes"])


def test_config(srv, api, sid):
    cfg = os.path.join(srv.tmp, "data", "ticket.json")
    with open(cfg, "w") as f:
        json.dump({"helpdesk_email": "helpdesk@support.test", "zammad_group": "2nd Level",
                   "subject_prefix": "Printer"}, f)
    msg = email.message_from_bytes(api.ticket(sid, "eml", **REQUESTER).body,
                                   policy=email.policy.default)
    z = api.ticket(sid, "zammad", **REQUESTER).json()
    t.check("configured helpdesk address, group and subject prefix",
            msg["To"] == "helpdesk@support.test" and z["group"] == "2nd Level"
            and z["title"].startswith("Printer: "), (msg["To"], z["group"], z["title"]))
    os.unlink(cfg)
    msg = email.message_from_bytes(api.ticket(sid, "eml", **REQUESTER).body,
                                   policy=email.policy.default)
    t.check("no helpdesk configured: no To header (filled in by the person)",
            msg["To"] is None, msg["To"])


def test_cli(srv, sid, logs):
    data = os.path.join(srv.tmp, "data")
    base = [KOFFIX, "--data", data, "--kb", os.path.join(FIX, "kb"), "--flows",
            os.path.join(FIX, "flows"), "--catalogue", os.path.join(FIX, "catalogue.json"),
            "ticket"]

    def run(*args):
        return subprocess.run(base + list(args), capture_output=True, timeout=60)

    r = run(sid, "--format", "json", "--name", REQUESTER["name"], "--email", REQUESTER["email"])
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    t.check("cli: json on stdout", r.returncode == 0 and doc.get("requester") == REQUESTER,
            r.stderr[-300:])
    if doc:
        schema_check("cli ticket", doc)
    out = os.path.join(srv.tmp, "out.eml")
    r = run(sid, "--format", "eml", "--email", REQUESTER["email"], "--name", REQUESTER["name"],
            "--redact", "-o", out)
    ok = r.returncode == 0 and os.path.exists(out)
    t.check("cli: -o writes the file", ok and r.stdout == b"", r.stderr[-300:])
    if ok:
        body = open(out, "rb").read()
        t.check("cli: the file is the person's own (0600)",
                (os.stat(out).st_mode & 0o777) == 0o600, oct(os.stat(out).st_mode))
        t.check("cli: no temporary file left", os.listdir(srv.tmp).count("out.eml") == 1
                and not [f for f in os.listdir(srv.tmp) if ".tmp." in f], os.listdir(srv.tmp))
        msg = email.message_from_bytes(body, policy=email.policy.default)
        texts = decoded_texts("eml", body)
        t.check("cli: redacted .eml parses, no planted value",
                not msg.defects and not [v for v in PLANTED
                                         if any(v.lower() in x.lower() for x in texts)])
    r = run(sid, "--format", "zammad", "--email", REQUESTER["email"], "--group", "Tier 2")
    t.check("cli: --group", r.returncode == 0 and json.loads(r.stdout)["group"] == "Tier 2")
    usage = [
        ("no format", [sid]),
        ("unknown format", [sid, "--format", "xml"]),
        ("no session", ["--format", "json"]),
        ("bad e-mail", [sid, "--format", "json", "--email", "x@y"]),
        ("name with a line break", [sid, "--format", "json", "--name", "a\nBcc: x"]),
        ("unknown option", [sid, "--format", "json", "--colour"]),
        ("bad --to", [sid, "--format", "eml", "--email", "a@b.example", "--to", "x\r\ny"]),
    ]
    for name, args in usage:
        r = run(*args)
        t.check(f"cli: {name} exits 64", r.returncode == 64, (r.returncode, r.stderr[-200:]))
    r = run("0" * 32, "--format", "json")
    t.check("cli: unknown session exits 1", r.returncode == 1 and b"no wizard session" in r.stderr,
            (r.returncode, r.stderr[-200:]))
    r = run(sid, "--format", "json", "-o", os.path.join(srv.tmp, "no", "such", "dir", "x.json"))
    t.check("cli: an unwritable file exits 1", r.returncode == 1, r.returncode)
    r = subprocess.run([KOFFIX, "ticket", "--help"], capture_output=True, text=True, timeout=30)
    t.check("cli: ticket --help", r.returncode == 0 and "--redact" in r.stdout, r.stdout[:200])


def test_shipped_flow():
    """The kofmsp flow: an outcome links to Contact support; a dry repair run is in the ticket."""
    srv = Server()
    try:
        api = Api(srv)
        sid = api.post("/api/wizard", {"answers": {}}).json()["session"]
        state = api.answer(sid, "symptom", "av_flagged").json()
        for _ in range(30):
            if state["outcome"]:
                break
            opts = [o["value"] for o in state["options"]]
            ans = "unknown" if "unknown" in opts else (opts[0] if opts else "")
            state = api.answer(sid, state["node"], ans).json()
        out = state["outcome"]
        t.check("shipped flow reaches an outcome", out is not None, state.get("node"))
        page = srv.get(f"/wizard/{sid}")
        t.check("the outcome page links to Contact support",
                f'href="/wizard/{sid}/ticket"' in page.text)
        r = srv.get(f"/wizard/{sid}/ticket")
        t.check("the Contact support page opens from the outcome", r.status == 200, r.status)
        action = out["actions"][0] if out and out["actions"] else None
        if action:
            # Parameters the answers could not fill (the person types them on the review page).
            params = dict({"profile": "Outlook", "installer": "C:\\Setup\\koff.msi",
                           "office_version": "2016"}, **action["params"])
            r = api.post(f"/api/actions/{action['id']}/run",
                         {"params": params, "confirm": True, "session": sid})
            run = r.json().get("run") if r.status == 202 else None
            t.check("a dry repair run starts from the outcome", run is not None, r.text[:200])
            for _ in range(100 if run else 0):
                if srv.get(f"/api/runs/{run}").json()["state"] not in ("queued", "running"):
                    break
        m = api.ticket(sid, "json").json()
        t.check("subject: Outlook/Kerio: <diagnosis title>",
                m["subject"] == f"Outlook/Kerio: {out['title']}", m["subject"])
        t.check("diagnosis with id, title, why", m["diagnosis"]["id"] == out["id"]
                and m["diagnosis"]["why"] == out["why"])
        t.check("the reminder names web mail", "web mail" in m["reminder"].lower(), m["reminder"])
        if action:
            runs = m["actions_run"]
            t.check("the real run is in the ticket with its planned steps",
                    len(runs) == 1 and runs[0]["action"] == action["id"] and runs[0]["dry_run"]
                    and runs[0]["steps"] and all(s["state"] == "planned" for s in runs[0]["steps"]),
                    json.dumps(runs)[:300])
            t.check("the run and the suggested repairs carry their titles",
                    runs and runs[0]["title"] != runs[0]["action"]
                    and m["repairs_suggested"][0]["title"] != m["repairs_suggested"][0]["id"])
        schema_check("shipped-flow ticket", m)
        # An unfinished session: the subject comes from the first answer.
        sid2 = api.post("/api/wizard").json()["session"]
        r = api.ticket(sid2, "json")
        t.check("a session with no answer has a subject too",
                r.json()["subject"] == "Outlook/Kerio: support request (wizard not started)",
                r.text[:200])
        api.answer(sid2, "symptom", "dll_missing")
        m2 = api.ticket(sid2, "json").json()
        t.check("unfinished: subject from the first answer, no diagnosis",
                m2["subject"].endswith("(diagnosis not finished)") and m2["diagnosis"] is None,
                m2["subject"])
        schema_check("unfinished ticket", m2)
    finally:
        err = srv.stderr()
        rc = srv.stop()
    t.check("kofmsp server exits cleanly (no sanitizer report)",
            rc == 0 and "Sanitizer" not in err and "runtime error" not in err, err[-2000:])


def main():
    test_printer_session()
    test_shipped_flow()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
