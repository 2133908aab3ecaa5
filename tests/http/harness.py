# SPDX-License-Identifier: MIT
"""A small harness for koffix's end-to-end tests: start the real server on port 0, talk HTTP.

Each check counts as one test; `done()` prints "RESULT <suite> passed=N failed=M" for
tests/run.sh and returns the exit status.
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KOFFIX = os.path.join(ROOT, os.environ.get("KOFFIX", "koffix"))


# Reports a sanitizer printed on a server's stderr (ASan, UBSan, LeakSanitizer, TSan): each
# is one more failure of the suite, whatever the checks said.
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer")
SANITIZER_REPORTS = []


class Checks:
    def __init__(self, suite):
        # KOFFIX_SUITE_PREFIX names a second run of a suite (tsan-http beside http).
        suite = os.environ.get("KOFFIX_SUITE_PREFIX", "") + suite
        self.suite, self.passed, self.failed = suite, 0, 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}"[:2000], file=sys.stderr)
        return cond

    def done(self):
        for report in SANITIZER_REPORTS:
            self.check("the server ran without a sanitizer report", False, report)
        SANITIZER_REPORTS.clear()
        print(f"RESULT {self.suite} passed={self.passed} failed={self.failed}")
        return 1 if self.failed else 0


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def cookies(self):
        out = {}
        for k, v in self.headers:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                out[name] = rest.split(";")[0]
        return out


class Server:
    """koffix serve on a free port, with a KB folder and a data folder of its own. command: how
    to start koffix (default [KOFFIX]; ["wine", "koffix.exe"] for the Windows build)."""

    def __init__(self, kb_dir=None, token="test-token-0123456789", extra=(), pre=(), data=None,
                 command=None, env=None):
        self.tmp = tempfile.mkdtemp(prefix="koffix-http-")
        self.token = token
        args = [*(command or [KOFFIX]), "--data", data or os.path.join(self.tmp, "data"), *pre]
        if kb_dir:
            args += ["--kb", kb_dir]
        args += ["serve", "--port", "0", *extra]
        self.stderr_path = os.path.join(self.tmp, "stderr.log")
        self.errf = open(self.stderr_path, "wb")
        # The token through the environment: a command line is readable by every user.
        env = dict(env if env is not None else os.environ, KOFFIX_TOKEN=token)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.errf,
                                     stdin=subprocess.DEVNULL, env=env)
        line = self.proc.stdout.readline().decode().strip()
        m = re.match(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)$", line)
        if not m:
            self.stop()
            raise RuntimeError(f"koffix serve printed {line!r}; stderr: {self.stderr()}")
        self.port = int(m.group(1))
        self.url = line
        self.cookie = {}

    def stderr(self):
        if not self.errf.closed:
            self.errf.flush()
        if not os.path.exists(self.stderr_path):
            return ""
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def request(self, method, path, body=None, headers=None, host=None, cookies=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Host": host or f"127.0.0.1:{self.port}"}
        jar = dict(self.cookie if cookies is None else cookies)
        if jar:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        h.update(headers or {})
        if isinstance(body, str):
            body = body.encode()
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in h.items():
            if v is not None:
                conn.putheader(k, v)
        if body is not None and "Content-Length" not in h and "Transfer-Encoding" not in h:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body is not None:
            try:
                conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
        try:
            r = conn.getresponse()
            resp = Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def login(self):
        """Visits the tokenized link like a browser and keeps the cookies it sets."""
        r = self.get("/?token=" + urllib.parse.quote(self.token), cookies={})
        self.cookie.update(r.cookies())
        return r

    def csrf(self):
        r = self.get("/api/csrf")
        self.cookie.update(r.cookies())
        return r.json()["token"]

    def stop(self, keep=False):
        """Stops the server; keep leaves its folder (data, stderr) for the caller to remove."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.errf.close()
        err = self.stderr()
        for mark in SANITIZER_MARKS:
            i = err.find(mark)
            if i >= 0:
                SANITIZER_REPORTS.append(err[max(0, i - 200):i + 3000])
                break
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return self.proc.returncode
