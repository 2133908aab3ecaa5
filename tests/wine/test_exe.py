# SPDX-License-Identifier: MIT
"""koffix.exe, the Windows build (make windows), under Wine, tested from Linux.

The download itself is unpacked (dist/koffix-win64.zip) and checked for what it must hold.
Then, in a copy of the Wine testbed (a Windows 10 prefix with the connector installed):
- `koffix.exe serve` with its Windows defaults (the agent backend, run natively) passes the
  HTTP suite's core, the same checks tests/http/test_http.py makes of the Linux build: every
  article, search, escaping, a refused article, the security model on every route, the launch
  token, votes and ETags; the Chromium suites (help page, wizard, Contact support; with and
  without JavaScript) pass against it too;
- one wizard path with the answers the native agent detected, one repair through the native
  agent (check-dll, whose full check koffix.exe runs on the DLL the agent found), one repair
  that changes the machine and its undo (reset-koff-cache), one ticket export (JSON over HTTP,
  .eml from the command line, byte-exact on stdout);
- koffix.exe started with no arguments (a double-click): the data folder under
  %LOCALAPPDATA%\\koffix, the browser opened at the tokenized address, a second start opening
  the running one, a start after a crash starting afresh;
- the signed variant (KOFFIX_SIGN_CERT/KEY): valid Authenticode signatures on both programs.
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "http"))
from harness import Checks, Server  # noqa: E402
import testbed as tb  # noqa: E402
import test_http  # noqa: E402

t = Checks("wine-exe")
ROOT = tb.ROOT
ZIP = os.path.join(ROOT, "dist", "koffix-win64.zip")
SYSTEM_DLLS = {"advapi32.dll", "bcrypt.dll", "kernel32.dll", "msvcrt.dll", "user32.dll",
               "ole32.dll", "ws2_32.dll", "shell32.dll", "crypt32.dll", "msi.dll", "version.dll",
               "wtsapi32.dll"}


def winpath(path):
    return "Z:" + path.replace("/", "\\")


def test_zip(dest):
    with zipfile.ZipFile(ZIP) as z:
        names = set(z.namelist())
        z.extractall(dest)
    app = os.path.join(dest, "koffix-win64")
    top = {n.split("/")[1] for n in names if n.count("/") >= 1 and n.split("/")[1]}
    t.check("zip: koffix.exe, koffix-agent.exe, the DLL, README and the data folders",
            {"koffix.exe", "koffix-agent.exe", "libmicrohttpd-12.dll", "README.txt", "kb",
             "wizard", "templates", "static", "pe", "repair-actions", "licenses"} <= top, top)
    articles = [n for n in names if n.startswith("koffix-win64/kb/articles/") and n.endswith(".md")]
    t.check("zip: every article", len(articles) == len(os.listdir(os.path.join(ROOT, "kb", "articles"))),
            len(articles))
    t.check("zip: no source code", not [n for n in names if n.endswith((".c", ".h", ".o"))])
    lic = os.listdir(os.path.join(app, "licenses"))
    t.check("zip: a licence for koffix and every bundled library",
            {"koffix.txt", "sqlite3", "cjson", "cmark-gfm", "openssl", "libmicrohttpd",
             "mingw-w64"} <= set(lic), lic)
    t.check("zip: the LGPL library's source is named",
            os.path.exists(os.path.join(app, "licenses", "libmicrohttpd", "SOURCE.txt"))
            and os.path.exists(os.path.join(app, "licenses", "libmicrohttpd", "COPYING")))
    with open(os.path.join(app, "README.txt"), "rb") as f:
        readme = f.read()
    t.check("zip: README.txt for Windows users, CRLF",
            b"Double-click koffix.exe" in readme and b"\r\n" in readme
            and b"\n" not in readme.replace(b"\r\n", b""))
    for exe in ("koffix.exe", "koffix-agent.exe"):
        p = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", os.path.join(app, exe)],
                           capture_output=True, text=True)
        dlls = {line.split()[-1].lower() for line in p.stdout.splitlines() if "DLL Name:" in line}
        extra = dlls - SYSTEM_DLLS - {"libmicrohttpd-12.dll"}
        t.check(f"zip: {exe} needs only Windows' own DLLs and the bundled one", p.returncode == 0
                and not extra and ("x86-64" in p.stdout or "pei-x86-64" in p.stdout), extra)
    return app


def exe_server(pfx, app, data):
    """koffix.exe serve with its Windows defaults (no --backend: the agent, natively)."""
    return Server(command=["wine", os.path.join(app, "koffix.exe")], data=data,
                  env=pfx.native_env())


def test_http_core(pfx, app):
    kb = test_http.make_kb()
    test_http.t = t
    srv = Server(command=["wine", os.path.join(app, "koffix.exe")], kb_dir=kb,
                 pre=["--backend", "plan"], env=pfx.env)
    try:
        test_http.test_articles(srv)
        test_http.test_search(srv)
        test_http.test_escaping(srv)
        test_http.test_broken_article(srv, srv.stderr())
        test_http.test_security(srv)
        test_http.test_token(srv)
        test_http.test_feedback_and_etag(srv)
    finally:
        log = srv.stderr()
        srv.stop()
        shutil.rmtree(kb, ignore_errors=True)
    t.check("http core: structured access log without the token",
            "msg=request method=GET" in log and "test-token-0123456789" not in log, log[-500:])


def test_native_agent(pfx, app):
    data = os.path.join(pfx.tmp, "exe-data")
    srv = exe_server(pfx, app, data)
    try:
        wiz = tb.Wizard(srv)
        state, asked = wiz.walk({"symptom": "mapi_load_error", "recent_update": "none",
                                 "server_version": "10.0.2"})
        t.check("wizard: Windows, Office and the connector detected by the native agent, not asked",
                not {"windows_version", "office_version", "office_bitness", "koff_version"} & set(asked),
                asked)
        ids = [a["id"] for a in (state.get("outcome") or {}).get("actions", [])]
        t.check("wizard: a diagnosis with repairs", state.get("outcome") and ids,
                state.get("outcome"))
        session = state["session"]

        run = wiz.run("check-dll", {"office_bitness": "x64"}, session)
        out = run["steps"][-1]["output"] if run["steps"] else ""
        t.check("repair check-dll through the native agent: the installed DLL found",
                run["state"] == "succeeded" and "10.0.2.0" in out and "x64" in out, out[:500])
        t.check("repair check-dll: koffix.exe runs the full check on the path the agent gave",
                "Full check by koffix: suspicious." in out, out[:800])

        win = pfx.localappdata + r"\Kerio\Outlook Connector\Outlook"
        cache = pfx.unix(win)
        content = tb.tree(cache)
        run = wiz.run("reset-koff-cache", {"profile": "Outlook"}, session)
        renamed = [d for d in os.listdir(os.path.dirname(cache)) if d.startswith("Outlook.koffix-")]
        t.check("repair reset-koff-cache through the native agent: renamed aside, every file kept",
                run["state"] == "succeeded" and not os.path.exists(cache) and len(renamed) == 1
                and tb.tree(os.path.join(os.path.dirname(cache), renamed[0])) == content,
                (run["state"], run.get("error"), renamed))
        undone = wiz.undo(run["run"])
        t.check("repair reset-koff-cache: undo puts the cache back",
                undone["state"] == "undone" and tb.tree(cache) == content, undone["state"])
        backups = pfx.unix(pfx.localappdata + "\\koffix\\backups")
        t.check("repair: the agent's backups under %LOCALAPPDATA%\\koffix\\backups",
                os.path.isdir(backups) and run["run"] in os.listdir(backups))

        r = srv.get(f"/api/tickets/{session}?format=json")
        ticket = r.json() if r.status == 200 else {}
        text = json.dumps(ticket)
        t.check("ticket: JSON over HTTP with the answers and both runs",
                r.status == 200 and "mapi_load_error" in text and "reset-koff-cache" in text
                and "check-dll" in text, r.text[:300])
    finally:
        srv.stop()

    p = tb.run(["wine", os.path.join(app, "koffix.exe"), "--data", data, "--backend", "plan",
                "ticket", session, "--format", "eml", "--email", "pat@example.com"], pfx.env)
    eml = p.stdout
    t.check("ticket: koffix.exe ticket --format eml writes CRLF lines byte-exact on stdout",
            p.returncode == 0 and b"Subject: " in eml
            and b"\r\n" in eml and b"\r\r\n" not in eml and b"\n" not in eml.replace(b"\r\n", b""),
            (p.returncode, p.stderr[-300:], eml[:200]))


def test_detect_cli(pfx, app):
    env = pfx.native_env()
    p = tb.run(["wine", os.path.join(app, "koffix.exe"), "--data", os.path.join(pfx.tmp, "det"),
                "--json", "detect"], env, text=True)
    try:
        d = json.loads(p.stdout)
    except ValueError:
        d = {}
    a, f = d.get("answers", {}), d.get("facts", {})
    t.check("koffix.exe detect: the native agent reports Windows 10, Office x64, the connector",
            p.returncode == 0 and a.get("windows_version") == "10"
            and a.get("office_bitness") == "x64" and a.get("koff_version") == "10.0.2",
            (p.returncode, p.stderr[-300:], a))
    t.check("koffix.exe detect: whether koffix runs elevated (a yes or no)",
            isinstance(f.get("elevated"), bool), f.get("elevated"))


def test_check_dll_cli(pfx, app):
    dll = tb.KOFF_DIR + r"\KofMsp32.dll"
    p = tb.run(["wine", os.path.join(app, "koffix.exe"), "--json", "check-dll", dll,
                "--windows-path", dll, "--office-bitness", "x64"], pfx.env, text=True)
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        rep = {}
    t.check("check-dll: koffix.exe reads a Windows path; the unsigned fixture is suspicious (1)",
            p.returncode == 1 and rep.get("verdict") == "suspicious", (p.returncode, p.stdout[:300]))


def bare_start(pfx, app, env):
    """koffix.exe with no arguments; its first stdout line (the address) and the process."""
    proc = subprocess.Popen(["wine", os.path.join(app, "koffix.exe")], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    line = proc.stdout.readline().decode("utf-8", "replace").strip()
    return proc, line


def wait_lines(path, n, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            with open(path) as f:
                lines = f.read().splitlines()
            if len(lines) >= n:
                return lines
        time.sleep(0.1)
    return open(path).read().splitlines() if os.path.exists(path) else []


def test_double_click(pfx, app):
    browser = os.path.join(pfx.tmp, "browser.exe")
    subprocess.run(["x86_64-w64-mingw32-gcc", "-O2", "-Wall", "-Werror", "-o", browser,
                    os.path.join(HERE, "browser.c")], check=True)
    log = os.path.join(pfx.tmp, "browser.log")
    env = pfx.native_env(KOFFIX_BROWSER=winpath(browser), KOFFIX_TEST_BROWSER_LOG=winpath(log))
    data = pfx.unix(pfx.localappdata + "\\koffix")
    first, url = bare_start(pfx, app, env)
    second = third = None
    try:
        opened = wait_lines(log, 1)
        t.check("double-click: serves and opens the browser at the tokenized address",
                url.startswith("http://127.0.0.1:") and "/?token=" in url and opened == [url],
                (url, opened))
        args = wait_lines(log + ".args", 1)
        t.check("double-click: through a file, the token on no command line",
                args and "token" not in args[0] and args[0].lower().endswith("open.html"), args)
        t.check("double-click: data in %LOCALAPPDATA%\\koffix",
                os.path.exists(os.path.join(data, "koffix.db"))
                and os.path.exists(os.path.join(data, "server.json")), data)
        port = int(url.split(":")[2].split("/")[0])
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", url[url.index("/?"):])
        r = c.getresponse()
        t.check("double-click: the address works", r.status == 303, r.status)
        c.close()

        second, url2 = bare_start(pfx, app, env)
        rc = second.wait(timeout=60)
        opened = wait_lines(log, 2)
        t.check("double-click again: opens the running koffix, starts no second one",
                rc == 0 and url2 == url and opened == [url, url], (rc, url2, opened))

        first.kill()
        first.wait()
        third, url3 = bare_start(pfx, app, env)
        opened = wait_lines(log, 3)
        t.check("after a crash: a new koffix starts (the stale server.json is ignored)",
                url3.startswith("http://127.0.0.1:") and url3 != url and opened[-1:] == [url3],
                (url3, opened))
        # Ctrl+C (Wine turns SIGINT into the console's CTRL_C_EVENT): a clean stop.
        third.send_signal(signal.SIGINT)
        rc = third.wait(timeout=60)
        t.check("Ctrl+C: koffix.exe stops cleanly and forgets server.json",
                rc == 0 and not os.path.exists(os.path.join(data, "server.json"))
                and not os.path.exists(os.path.join(data, "koffix.db-wal")),
                (rc, os.listdir(data)))
    finally:
        for p in (first, second, third):
            if p and p.poll() is None:
                p.kill()
                p.wait()
            if p:
                p.stdout.close()


def test_browser(pfx, app):
    """The Chromium suites of the Linux build (tests/browser), against koffix.exe under Wine
    (plan backend: the wizard suite walks its questions without detected answers)."""
    if not shutil.which("chromium") or not os.path.isdir(
            os.path.join(ROOT, "tests", "browser", "node_modules", "playwright-core")):
        t.check("browser: chromium and playwright-core are installed (make deps)", False)
        return
    env = dict(pfx.env, KOFFIX=os.path.join(app, "koffix.exe"), KOFFIX_LAUNCHER="wine",
               KOFFIX_ARGS="--backend plan",
               KOFFIX_OUT=os.path.join(ROOT, "tests", "browser", "out", "win64"))
    for suite in ("help", "wizard", "ticket"):
        p = tb.run(["node", os.path.join(ROOT, "tests", "browser", f"{suite}.test.js")], env,
                   text=True, timeout=600)
        res = [line for line in p.stdout.splitlines() if line.startswith("RESULT ")]
        fields = dict(f.split("=") for f in res[-1].split()[2:]) if res else {}
        passed, failed = int(fields.get("passed", 0)), int(fields.get("failed", 0))
        t.passed += passed
        t.failed += failed
        if failed or not passed:
            print(p.stderr[-2000:], file=sys.stderr)
        t.check(f"browser {suite} against koffix.exe: the suite ran", passed > 0, p.stdout[-500:])


def test_signed(pfx, app):
    """make windows with KOFFIX_SIGN_CERT/KEY: both executables carry a valid Authenticode
    signature (checked with osslsigncode) and still run."""
    d = os.path.join(pfx.tmp, "signing")
    os.makedirs(d)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=koffix test signer",
                    "-addext", "extendedKeyUsage=codeSigning",
                    "-addext", "keyUsage=critical,digitalSignature"],
                   check=True, capture_output=True)
    prefix = subprocess.run([os.path.join(ROOT, "scripts", "windows-deps.sh")], check=True,
                            capture_output=True, text=True).stdout.strip().splitlines()[-1]
    env = dict(os.environ, KOFFIX_DIST_DIR=os.path.join(d, "dist"), KOFFIX_SIGN_CERT=cert,
               KOFFIX_SIGN_KEY=key)
    p = subprocess.run([os.path.join(ROOT, "scripts", "windows-dist.sh"), prefix], env=env,
                       capture_output=True, text=True)
    t.check("signed build: windows-dist.sh signs and zips", p.returncode == 0
            and "signed koffix.exe and koffix-agent.exe" in p.stderr
            and os.path.exists(os.path.join(d, "dist", "koffix-win64.zip")), p.stderr[-500:])
    signed = os.path.join(d, "dist", "koffix-win64")
    for exe in ("koffix.exe", "koffix-agent.exe"):
        v = subprocess.run(["osslsigncode", "verify", "-CAfile", cert, "-in",
                            os.path.join(signed, exe)], capture_output=True, text=True)
        t.check(f"signed build: {exe} has a valid SHA-256 Authenticode signature",
                v.returncode == 0 and "Signature verification: ok" in v.stdout
                and "koffix test signer" in v.stdout, (v.returncode, v.stdout[-400:]))
    p = tb.run(["wine", os.path.join(signed, "koffix.exe"), "--help"], pfx.env, text=True)
    t.check("signed build: koffix.exe still runs", p.returncode == 0 and "usage:" in p.stdout)


def main():
    if not os.path.exists(ZIP):
        print(f"{ZIP} is missing: run make windows", file=sys.stderr)
        t.check("dist/koffix-win64.zip exists", False)
        return t.done()
    start = time.time()
    testbed = tb.build()
    unpacked = tempfile.mkdtemp(prefix="koffix-win64-")
    pfx = tb.Prefix(testbed, "exe")
    try:
        app = test_zip(unpacked)
        p = tb.run(["wine", os.path.join(app, "koffix.exe"), "--help"], pfx.env, text=True)
        t.check("koffix.exe --help: Windows defaults in the usage", p.returncode == 0
                and "agent on Windows" in p.stdout and "%LOCALAPPDATA%\\koffix" in p.stdout,
                p.stdout[-600:])
        # Started from inside the zip (Explorer extracts the .exe alone): the reason, not a crash.
        lone = os.path.join(pfx.tmp, "lone")
        os.makedirs(lone)
        for name in ("koffix.exe", "libmicrohttpd-12.dll"):
            shutil.copy(os.path.join(app, name), lone)
        p = tb.run(["wine", os.path.join(lone, "koffix.exe")], pfx.env, text=True, input=b"\n",
                   cwd=lone)
        t.check("koffix.exe without its folders: says to unpack the whole download, waits for Enter",
                p.returncode == 1 and "unpack the whole download" in p.stderr
                and "Press Enter" in p.stderr, (p.returncode, p.stderr[-400:]))
        # UTF-8 inside (the manifest's activeCodePage): a folder name outside any ANSI code page.
        odd = os.path.join(pfx.tmp, "Łódź-данные")
        p = tb.run(["wine", os.path.join(app, "koffix.exe"), "--data", odd, "kb", "index"],
                   dict(pfx.env, LANG="C.UTF-8"), text=True)
        t.check("koffix.exe: a data folder named Łódź-данные works",
                p.returncode == 0 and os.path.exists(os.path.join(odd, "koffix.db")),
                (p.returncode, p.stderr[-300:], os.listdir(pfx.tmp)))
        for fn in (test_http_core, test_native_agent, test_detect_cli, test_check_dll_cli,
                   test_double_click,
                   test_browser, test_signed):
            s = time.time()
            try:
                fn(pfx, app)
            except Exception as e:  # one broken part is one failure; the others still run
                import traceback
                traceback.print_exc()
                t.check(f"{fn.__name__}: ran to the end", False, repr(e))
            print(f"   {fn.__name__}: {time.time() - s:.1f} s")
    finally:
        pfx.close()
        shutil.rmtree(unpacked, ignore_errors=True)
    print(f"   koffix.exe under Wine: {time.time() - start:.1f} s")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
