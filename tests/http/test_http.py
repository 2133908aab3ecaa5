# SPDX-License-Identifier: MIT
"""End-to-end tests of the help page: the real koffix server on port 0, over HTTP.

The server gets a copy of the shipped KB plus two planted articles: one with hostile text
(which must come out escaped) and one with a broken front matter (which must be refused with
its file and line while every other article is served).
"""
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import KOFFIX, ROOT, Checks, Server  # noqa: E402

t = Checks("http")

HOSTILE = """---
title: "Hostile <script>alert('title')</script> article"
slug: hostile-text
tags: [test]
updated: 2026-11-24
---
This article talks about `<script>alert(1)</script>` and KofMsp32 in a code span.

<script>alert('raw')</script>

[click](javascript:alert(1)) and <img src=x onerror=alert(1)>
"""

BROKEN = """---
title: "Broken"
slug: broken-article
updated: 2026-11-24
colour: red
---
Body.
"""


def make_kb():
    kb = tempfile.mkdtemp(prefix="koffix-kb-")
    shutil.copytree(os.path.join(ROOT, "kb", "articles"), os.path.join(kb, "articles"))
    if os.path.exists(os.path.join(ROOT, "kb", "symptoms.json")):
        shutil.copy(os.path.join(ROOT, "kb", "symptoms.json"), kb)
    with open(os.path.join(kb, "articles", "hostile-text.md"), "w") as f:
        f.write(HOSTILE)
    with open(os.path.join(kb, "articles", "broken-article.md"), "w") as f:
        f.write(BROKEN)
    return kb


def shipped_slugs():
    return sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "kb/articles/*.md")))


def db_state(srv):
    """A digest of every row koffix keeps, to prove that a request changed nothing."""
    db = sqlite3.connect(os.path.join(srv.tmp, "data", "koffix.db"))
    h = hashlib.sha256()
    for table in ("articles", "votes", "wizard_sessions", "wizard_events", "repair_runs",
                  "repair_steps"):
        for row in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
            h.update(repr(row).encode())
    db.close()
    return h.hexdigest()


def routes():
    out = subprocess.run([KOFFIX, "routes", "--json"], capture_output=True, check=True)
    return json.loads(out.stdout)


def fill(pattern, slug):
    return (pattern.replace("{slug}", slug).replace("{name}", "style.css").replace("{id}", "x")
            .replace("{run}", "0" * 32))


def test_articles(srv):
    slugs = shipped_slugs()
    t.check("at least 12 articles", len(slugs) >= 12, len(slugs))
    for slug in slugs:
        r = srv.get(f"/kb/{slug}")
        ok = r.status == 200 and "<h1" in r.text and "Sources" in r.text
        t.check(f"article {slug} renders", ok, f"{r.status} {r.text[:200]}")
        j = srv.get(f"/api/kb/{slug}")
        t.check(f"api article {slug}", j.status == 200 and j.json()["slug"] == slug, j.status)
    r = srv.get("/kb")
    t.check("article list links every article",
            r.status == 200 and all(f'/kb/{s}"' in r.text for s in slugs), r.status)
    r = srv.get("/")
    t.check("home has search, symptoms and the wizard entry",
            r.status == 200 and 'action="/search"' in r.text and "/wizard" in r.text
            and "symptom" in r.text.lower(), r.text[:300])


def test_search(srv):
    for q in ("KofMsp32", "appwiz", "MAPISVC"):
        r = srv.get(f"/api/search?q={q}")
        res = r.json()["results"]
        t.check(f"api search {q} finds articles", r.status == 200 and len(res) > 0, r.text[:200])
        t.check(f"api search {q} highlights", any("<mark>" in x["snippet"] for x in res),
                res[:1])
        t.check(f"api search {q} has slug/title/score",
                all(set(x) == {"slug", "title", "snippet", "score"} for x in res), res[:1])
        page = srv.get(f"/search?q={q}")
        t.check(f"search page {q} highlights", page.status == 200 and "<mark>" in page.text,
                page.status)
    r = srv.get("/api/search?q=KofMsp32&limit=2")
    t.check("limit is honoured", len(r.json()["results"]) <= 2, r.text[:200])
    for bad in ("0", "101", "x", ""):
        r = srv.get(f"/api/search?q=a&limit={bad}")
        t.check(f"bad limit {bad!r} is 400 JSON", r.status == 400 and "error" in r.json(), r.status)
    r = srv.get("/search?q=zzzqqqxx")
    t.check("no results help", r.status == 200 and "No articles match" in r.text, r.text[-500:])
    r = srv.get("/search?q=" + "a" * 300)
    t.check("overlong query is 400", r.status == 400, r.status)


def test_escaping(srv):
    q = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    page = srv.get(f"/search?q={q}")
    t.check("script in query escaped in page",
            "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text,
            page.text[:500])
    api = srv.get(f"/api/search?q={q}")
    t.check("script in query escaped in JSON",
            b"<script>" not in api.body and api.json()["query"] == "<script>alert(1)</script>",
            api.body[:200])
    art = srv.get("/kb/hostile-text")
    t.check("hostile article served", art.status == 200, art.status)
    body = art.text
    t.check("article text script escaped", "&lt;script&gt;alert(1)&lt;/script&gt;" in body, body)
    t.check("no live script from article", "<script>alert" not in body, body)
    t.check("no raw handler or javascript: link",
            "onerror=alert" not in body.replace("&lt;img", "") and 'href="javascript:' not in body,
            body)
    t.check("title escaped", "Hostile &lt;script&gt;" in body, body[:800])
    api = srv.get("/api/kb/hostile-text")
    t.check("article JSON escapes markup", b"<script>" not in api.body
            and "<script>" in api.json()["title"], api.body[:200])
    r = srv.get("/api/search?q=alert")
    snips = [x["snippet"] for x in r.json()["results"] if x["slug"] == "hostile-text"]
    t.check("snippet escapes article script",
            snips and "<script>" not in snips[0] and "&lt;" in snips[0], snips)


def test_broken_article(srv, stderr):
    t.check("broken article named with file and line",
            re.search(r"broken-article\.md: line 5: unknown key 'colour'", stderr), stderr[-800:])
    t.check("broken article not served", srv.get("/kb/broken-article").status == 404)
    t.check("others still served", srv.get("/kb/what-is-kofmsp-dll").status == 200)


def test_security(srv):
    table = routes()
    slug = "what-is-kofmsp-dll"
    both = {(x["pattern"]) for x in table if x["method"] == "GET"} & \
        {(x["pattern"]) for x in table if x["method"] == "POST"}
    t.check("route table lists routes", len(table) >= 8, len(table))
    srv.login()
    srv.csrf()
    anon = {k: v for k, v in srv.cookie.items() if k != "koffix_token"}
    before = db_state(srv)
    for rt in table:
        path = fill(rt["pattern"], slug)
        if rt["method"] == "GET":
            r = srv.get(path)
            t.check(f"GET {rt['pattern']} answers",
                    r.status == 200 or (("{id}" in rt["pattern"] or "{run}" in rt["pattern"])
                                        and r.status == 404), r.status)
            if rt["token"]:
                r = srv.get(path, cookies=anon)
                t.check(f"GET {rt['pattern']} needs the token", r.status == 401, r.status)
            if rt["pattern"] not in both:
                r = srv.request("POST", path, body="", headers={"X-CSRF-Token": srv.csrf()})
                t.check(f"POST to GET route {rt['pattern']} is 405",
                        r.status == 405 and "GET" in (r.header("Allow") or ""), r.status)
            r = srv.get(path, host="evil.example")
            t.check(f"GET {rt['pattern']} with foreign Host refused", r.status == 403, r.status)
        else:
            body = "helpful=yes"
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            r = srv.request("POST", path, body=body, headers=form)
            t.check(f"POST {rt['pattern']} without CSRF refused", r.status == 403, r.status)
            r = srv.request("POST", path, body=body,
                            headers={**form, "X-CSRF-Token": "0" * 64})
            t.check(f"POST {rt['pattern']} with wrong CSRF refused", r.status == 403, r.status)
            r = srv.request("POST", path, body=body + "&csrf_token=" + srv.csrf(),
                            headers={**form, "Origin": "http://evil.example"})
            t.check(f"POST {rt['pattern']} from a foreign Origin refused", r.status == 403,
                    r.status)
            r = srv.request("POST", path, body=body + "&csrf_token=" + srv.csrf(),
                            headers=form, cookies={})
            t.check(f"POST {rt['pattern']} without the CSRF cookie refused",
                    r.status in (401, 403), r.status)
            if rt["token"]:
                r = srv.request("POST", path, body=body + "&csrf_token=" + srv.csrf(),
                                headers=form, cookies=anon)
                t.check(f"POST {rt['pattern']} without launch token is 401", r.status == 401,
                        r.status)
            if rt["pattern"] not in both:
                r = srv.request("GET", path)
                t.check(f"GET {rt['pattern']} is 405", r.status == 405, r.status)
    t.check("no GET and no refused POST changed anything", db_state(srv) == before)

    for path in ("/static/../data/koffix.db", "/static/%2e%2e/Makefile", "/kb/..%2f..%2fetc",
                 "/static/..%2fMakefile", "/kb/%2e%2e", "/../etc/passwd", "/static/",
                 "/kb/what-is-kofmsp-dll/../../etc", "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd"):
        r = srv.get(path)
        t.check(f"traversal {path} is 404", r.status == 404, r.status)
    r = srv.get("/nope")
    t.check("unknown page is an HTML 404", r.status == 404 and "<html" in r.text, r.status)
    r = srv.get("/api/nope")
    t.check("unknown API is a JSON 404", r.status == 404 and r.json()["error"], r.text)
    r = srv.get("/api/kb/no-such-article")
    t.check("unknown article JSON 404", r.status == 404 and "detail" in r.json(), r.text)
    r = srv.request("DELETE", "/")
    t.check("DELETE / is 405", r.status == 405, r.status)
    r = srv.get("/", host=None, headers={"Host": None})
    t.check("missing Host refused", r.status in (400, 403), r.status)
    r = srv.get("/", host="localhost:%d" % srv.port)
    t.check("localhost Host accepted", r.status == 200, r.status)

    big = b'{"x":"' + b"a" * (3 * 1024 * 1024) + b'"}'
    r = srv.request("POST", f"/kb/{slug}/feedback", body=big,
                    headers={"Content-Type": "application/json", "X-CSRF-Token": srv.csrf()})
    t.check("3 MB JSON body is 413", r.status == 413, r.status)
    chunks = b"".join(b"%x\r\n%s\r\n" % (65536, b"a" * 65536) for _ in range(8)) + b"0\r\n\r\n"
    r = srv.request("POST", f"/kb/{slug}/feedback", body=chunks,
                    headers={"Transfer-Encoding": "chunked", "X-CSRF-Token": srv.csrf(),
                             "Content-Type": "application/x-www-form-urlencoded"})
    t.check("oversized chunked body is 413", r.status == 413, r.status)
    r = srv.request("POST", f"/kb/{slug}/feedback", body="x" * 10,
                    headers={"Content-Length": "99999999999999999999999"})
    t.check("absurd Content-Length is 413", r.status == 413, r.status)

    r = srv.get("/")
    csp = r.header("Content-Security-Policy") or ""
    t.check("CSP without inline script", "default-src 'self'" in csp and "unsafe-inline" not in csp,
            csp)
    t.check("nosniff", r.header("X-Content-Type-Options") == "nosniff")
    t.check("no framing", r.header("X-Frame-Options") == "DENY")
    t.check("no inline script in pages", not re.search(r"<script(?![^>]*\bsrc=)", r.text))
    t.check("no inline styles in pages", "style=" not in r.text and "<style" not in r.text)


def test_token(srv):
    r = srv.get("/wizard", cookies={})
    t.check("wizard without token is 401 page", r.status == 401 and "<html" in r.text, r.status)
    r = srv.get("/?token=wrong-token-value", cookies={})
    t.check("wrong token is 401", r.status == 401, r.status)
    r = srv.get("/?token=" + srv.token, cookies={})
    c = [v for k, v in r.headers if k.lower() == "set-cookie" and v.startswith("koffix_token=")]
    t.check("token link sets cookie and drops token from URL",
            r.status == 303 and r.header("Location") == "/" and c
            and "HttpOnly" in c[0] and "SameSite=Strict" in c[0], (r.status, r.headers))
    r = srv.get("/wizard", cookies={"koffix_token": srv.token})
    t.check("wizard with token cookie passes", r.status != 401, r.status)
    r = srv.get("/wizard", cookies={}, headers={"Authorization": "Bearer " + srv.token})
    t.check("wizard with bearer passes", r.status != 401, r.status)
    r = srv.get("/wizard", cookies={}, headers={"Authorization": "Bearer nope"})
    t.check("wizard with wrong bearer is 401", r.status == 401, r.status)


def test_feedback_and_etag(srv):
    slug = "reset-koff-cache"
    srv.cookie = {}
    tok = srv.csrf()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    before = srv.get(f"/api/kb/{slug}").json()
    r = srv.request("POST", f"/kb/{slug}/feedback", body=f"helpful=yes&csrf_token={tok}",
                    headers=form)
    t.check("vote without JavaScript redirects back",
            r.status == 303 and r.header("Location").startswith(f"/kb/{slug}?voted=yes"),
            (r.status, r.text[:200]))
    after = srv.get(f"/api/kb/{slug}").json()
    t.check("vote stored", after["yes"] == before["yes"] + 1, (before, after))
    r = srv.request("POST", f"/kb/{slug}/feedback", body="helpful=no&comment=more+detail",
                    headers={**form, "X-CSRF-Token": tok, "Accept": "application/json"})
    j = r.json()
    t.check("vote with JavaScript answers JSON and replaces the vote",
            r.status == 200 and j["ok"] and j["no"] == before["no"] + 1
            and j["yes"] == before["yes"], j)
    r = srv.request("POST", f"/kb/{slug}/feedback", body="helpful=maybe",
                    headers={**form, "X-CSRF-Token": tok})
    t.check("bad vote value is 400", r.status == 400, r.status)
    r = srv.request("POST", "/kb/no-such/feedback", body="helpful=yes",
                    headers={**form, "X-CSRF-Token": tok})
    t.check("vote on unknown article is 404", r.status == 404, r.status)
    r = srv.get(f"/kb/{slug}?voted=yes")
    t.check("thank-you after vote", "role=\"status\"" in r.text, r.text[-1500:])

    r1 = srv.get(f"/kb/{slug}")
    etag = r1.header("ETag")
    t.check("article has ETag", bool(etag))
    r2 = srv.get(f"/kb/{slug}", headers={"If-None-Match": etag})
    t.check("If-None-Match gives 304", r2.status == 304 and r2.body == b"", r2.status)
    srv.request("POST", f"/kb/{slug}/feedback", body="helpful=yes",
                headers={**form, "X-CSRF-Token": tok})
    r3 = srv.get(f"/kb/{slug}", headers={"If-None-Match": etag})
    t.check("a new vote changes the ETag", r3.status == 200, r3.status)
    s1 = srv.get("/static/style.css")
    t.check("static CSS served", s1.status == 200 and "text/css" in s1.header("Content-Type"))
    s2 = srv.get("/static/style.css", headers={"If-None-Match": s1.header("ETag")})
    t.check("static 304", s2.status == 304, s2.status)


def test_export_site():
    out = tempfile.mkdtemp(prefix="koffix-site-")
    data = tempfile.mkdtemp(prefix="koffix-data-")
    p = subprocess.run([KOFFIX, "--data", data, "kb", "export-site", out], capture_output=True)
    t.check("export-site exits 0", p.returncode == 0, p.stderr)
    pages = glob.glob(os.path.join(out, "kb", "*.html"))
    t.check("one page per article", len(pages) == len(shipped_slugs()), len(pages))
    for f in ["index.html", "articles.html", "static/style.css"]:
        t.check(f"site has {f}", os.path.exists(os.path.join(out, f)))
    bad = []
    for page in pages + [os.path.join(out, "index.html"), os.path.join(out, "articles.html")]:
        html = open(page, encoding="utf-8").read()
        if "<script" in html:
            bad.append((page, "script"))
        for href in re.findall(r'(?:href|src)="([^"#?]+)', html):
            if href.startswith(("http://", "https://", "mailto:")):
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(page), href))
            if not os.path.exists(target):
                bad.append((page, href))
    t.check("static site: no JavaScript, every local link resolves", not bad, bad[:5])
    shutil.rmtree(out)
    shutil.rmtree(data)


def test_cli():
    for args, code in ((["--help"], 0), (["serve", "--help"], 0), (["kb", "--help"], 0),
                       (["routes", "--help"], 0), ([], 64), (["nope"], 64), (["kb"], 64),
                       (["kb", "nope"], 64), (["serve", "--port", "x"], 64),
                       (["serve", "--bind", "0.0.0.0"], 64), (["serve", "--token", "a b"], 64),
                       (["--backend", "magic", "kb", "index"], 64), (["kb", "search"], 64),
                       (["--data"], 64), (["kb", "export-site"], 64)):
        p = subprocess.run([KOFFIX, *args], capture_output=True, timeout=30)
        t.check(f"koffix {' '.join(args)} exits {code}", p.returncode == code,
                (p.returncode, p.stderr[-300:]))
        if code == 0:
            t.check(f"koffix {' '.join(args)} prints usage", b"usage:" in p.stdout)


def opened_urls(log):
    """What the fake browser was given: each argument, and the address the file it was given
    sends it on to (koffix opens a private redirect file, never the tokenized address)."""
    out = []
    for arg in (open(log).read().splitlines() if os.path.exists(log) else []):
        m = re.search(r'content="0;url=([^"]+)"', open(arg).read()) if os.path.isfile(arg) else None
        out.append((arg, m.group(1) if m else None))
    return out


def test_open():
    """serve --open: the browser opens a private file that sends it to the tokenized address
    (the token is on no command line); a second start with the same data folder opens the
    running server instead of starting another; a clean stop forgets it."""
    tmp = tempfile.mkdtemp(prefix="koffix-open-")
    log = os.path.join(tmp, "browser.log")
    browser = os.path.join(tmp, "browser")
    with open(browser, "w") as f:
        f.write(f'#!/bin/sh\nprintf "%s\\n" "$1" >>"{log}"\n')
    os.chmod(browser, 0o755)
    env = dict(os.environ, KOFFIX_BROWSER=browser)
    data = os.path.join(tmp, "data")
    srv = Server(extra=["--open"], data=data, env=env)
    try:
        for _ in range(100):
            if os.path.exists(log):
                break
            time.sleep(0.05)
        opened = opened_urls(log)
        t.check("serve --open opens a redirect file to the tokenized address",
                [u for _, u in opened] == [srv.url], (opened, srv.url))
        t.check("the browser's command line holds no token",
                opened and srv.token not in opened[0][0], opened)
        t.check("the redirect file is private (0600) in the data folder",
                opened and os.path.dirname(opened[0][0]) == os.path.realpath(data)
                and os.stat(opened[0][0]).st_mode & 0o777 == 0o600, opened)
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        t.check("no process's command line shows the token (ps)", srv.token not in ps,
                [line for line in ps.splitlines() if srv.token in line])
        with open(os.path.join(data, "server.json")) as f:
            running = json.load(f)
        t.check("serve --open records the running server", running.get("url") == srv.url
                and running.get("pid") == srv.proc.pid, running)
        modes = {n: os.stat(os.path.join(data, n)).st_mode & 0o777 for n in ("server.json", "secret")}
        t.check("server.json (it holds the token) and the secret are the owner's only (0600)",
                modes == {"server.json": 0o600, "secret": 0o600}, modes)
        p = subprocess.run([KOFFIX, "--data", data, "serve", "--open"], capture_output=True,
                           timeout=30, env=env)
        opened = [u for _, u in opened_urls(log)]
        t.check("a second serve --open opens the running one and ends",
                p.returncode == 0 and p.stdout.decode().strip() == srv.url
                and opened == [srv.url, srv.url] and b"already running" in p.stderr,
                (p.returncode, p.stderr[-300:], opened))
    finally:
        rc = srv.stop()
    t.check("a clean stop removes server.json", rc == 0
            and not os.path.exists(os.path.join(data, "server.json")), rc)
    # A stale record (a crashed koffix) is not followed: a new server starts.
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, "server.json"), "w") as f:
        json.dump({"pid": 999999999, "url": "http://127.0.0.1:1/?token=stale-token"}, f)
    srv = Server(extra=["--open"], data=data, env=env)
    srv.stop()
    t.check("a stale server.json is ignored", srv.url != "http://127.0.0.1:1/?token=stale-token")
    # A process id reused by another program: alive, but nothing answers on the port.
    with open(os.path.join(data, "server.json"), "w") as f:
        json.dump({"pid": os.getpid(), "url": "http://127.0.0.1:1/?token=reused-pid"}, f)
    srv = Server(extra=["--open"], data=data, env=env)
    srv.stop()
    t.check("a record whose port does not answer is ignored",
            srv.url != "http://127.0.0.1:1/?token=reused-pid")
    shutil.rmtree(tmp, ignore_errors=True)


def test_pages_at_scale():
    """Pages stay bounded: a KB of 130 articles is listed 50 at a time (keyset pages forward
    and back, by tag), the home page shows a few per symptom and a link to the rest, search
    results come 20 at a time, and an article page is served from the page cache until a
    vote or an index run changes what it shows."""
    kb = tempfile.mkdtemp(prefix="koffix-scale-")
    shutil.copytree(os.path.join(ROOT, "kb", "articles"), os.path.join(kb, "articles"))
    shipped = len(shipped_slugs())
    for i in range(130):
        with open(os.path.join(kb, "articles", f"p{i:03d}.md"), "w") as f:
            f.write(f'---\ntitle: "Paged article {i:03d}"\nslug: p{i:03d}\n'
                    f'tags: [{"mapi-load-error" if i % 2 else "paging"}, bulk]\n'
                    f'updated: 2026-01-{i % 28 + 1:02d}\n---\nOutlook profile text {i}.\n')
    with open(os.path.join(kb, "symptoms.json"), "w") as f:
        json.dump([{"tag": "mapi-load-error", "title": "MAPI error", "summary": "s"}], f)
    srv = Server(kb_dir=kb)
    try:
        seen, url, pages = [], "/kb", 0
        while url and pages < 10:
            r = srv.get(url)
            links = re.findall(r'class="article-link" href="/kb/(p\d+)"', r.text)
            seen += links
            m = re.search(r'rel="next" href="([^"]+)"', r.text)
            url = m.group(1).replace("&amp;", "&") if m else None
            pages += 1
            t.check(f"list page {pages}: at most 50 articles", r.status == 200 and len(links) <= 50,
                    len(links))
        t.check("the list pages hold every article once, in order",
                seen == [f"p{i:03d}" for i in range(130)], (len(seen), seen[:3], seen[-3:]))
        r = srv.get("/kb?before=p050")
        back = re.findall(r'class="article-link" href="/kb/([a-z0-9-]+)"', r.text)
        t.check("the page before p050: the 50 articles before it, ending with p049",
                len(back) == 50 and back[-1] == "p049", back[-3:])
        r = srv.get("/kb?tag=paging")
        tagged = re.findall(r'class="article-link" href="/kb/(p\d+)"', r.text)
        t.check("a tag's list holds only that tag's articles",
                tagged and all(int(x[1:]) % 2 == 0 for x in tagged) and "Next page" in r.text,
                tagged[:3])
        for bad in ("/kb?after=../x", "/kb?after=p001&before=p009", "/kb?tag="):
            t.check(f"{bad}: 400", srv.get(bad).status == 400)
        home = srv.get("/").text
        card = home[home.find('id="symptom-mapi-load-error"'):]
        card = card[:card.find('class="card-more"') + 200]
        t.check("home: a symptom shows a few articles and a link to the rest",
                card.count('href="/kb/') <= 6 and "/kb?tag=mapi-load-error" in card,
                card[:600])
        t.check("home: no list of every article, a link to them", home.count('href="/kb/p') < 30
                and f"All {130 + shipped} articles" in home, home.count('href="/kb/p'))
        first = srv.get("/api/search?q=outlook+profile&limit=100").json()
        rest = srv.get("/api/search?q=outlook+profile&limit=100&offset=100").json()
        total = len(first["results"]) + len(rest["results"])
        t.check("api search: offset and more", first["more"] is True and rest["more"] is False
                and rest["offset"] == 100 and first["match"] == "all" and total > 130,
                (total, first["more"], rest["more"]))
        r = srv.get("/search?q=outlook+profile")
        t.check("search: 20 results a page and a link to more",
                r.text.count('class="result"') == 20 and "page=2" in r.text, r.status)
        last = (total + 19) // 20
        r = srv.get(f"/search?q=outlook+profile&page={last}")
        t.check("search: the last page", r.status == 200
                and r.text.count('class="result"') == total - 20 * (last - 1)
                and f"page={last - 1}" in r.text and f"page={last + 1}" not in r.text,
                r.text.count('class="result"'))
        for bad in ("0", "51", "x"):
            t.check(f"search page={bad}: 400", srv.get(f"/search?q=a&page={bad}").status == 400)
        r = srv.get("/api/search?q=outlok").json()
        t.check("api search: no exact word, the starts of words, said", r["match"] in
                ("prefix", "none"), r["match"])
        t.check("api search bad offset: 400", srv.get("/api/search?q=a&offset=-1").status == 400)
        # The page cache: the same bytes twice but for the token; a vote shows at once.
        tok = srv.csrf()
        a1 = srv.get("/kb/p007").text
        a2 = srv.get("/kb/p007").text
        t.check("a cached article page is the same page", a1 == a2 and tok in a1)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        srv.request("POST", "/kb/p007/feedback", headers=form, body=f"csrf_token={tok}&helpful=yes")
        a3 = srv.get("/kb/p007").text
        t.check("a vote changes the cached page at once",
                re.search(r'vote-yes">1<', a3) and not re.search(r'vote-yes">1<', a1))
    finally:
        srv.stop()
        shutil.rmtree(kb, ignore_errors=True)


def main():
    test_pages_at_scale()
    kb = make_kb()
    srv = Server(kb_dir=kb)
    try:
        test_articles(srv)
        test_search(srv)
        test_escaping(srv)
        test_broken_article(srv, srv.stderr())
        test_security(srv)
        test_token(srv)
        test_feedback_and_etag(srv)
    finally:
        log = srv.stderr()
        rc = srv.stop()
        shutil.rmtree(kb, ignore_errors=True)
    t.check("server stops cleanly (no sanitizer or leak report)",
            rc == 0 and "ERROR: AddressSanitizer" not in log and "runtime error" not in log,
            (rc, log[-2000:]))
    t.check("access log is structured", re.search(r"level=info msg=request method=GET path=/kb/\S+ "
                                                 r"status=200", log), log[-500:])
    t.check("access log never holds the token", "test-token-0123456789" not in log)
    test_export_site()
    test_cli()
    test_open()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
