# SPDX-License-Identifier: MIT
"""The Wine testbed for scenario tests: one template prefix (build_testbed.sh, cached), copied
per scenario; wine reg export/query, files, the agent, koffix and the wizard over HTTP.

A scenario's prefix is a copy of the template: the system folders (system32, syswow64) are hard
links (nothing in a test writes there), everything else is copied, so the template never
changes. Each prefix gets its own persistent wineserver (started and stopped here), which keeps
an agent call at a fraction of a second.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "http"))
from harness import Server  # noqa: E402

KOFFIX = os.path.join(ROOT, os.environ.get("KOFFIX", "koffix"))
AGENT = os.path.join(ROOT, "koffix-agent.exe")
# KOFFIX_EXE: run the scenarios through the Windows build instead (koffix.exe under Wine with
# its own defaults: the agent beside it, run natively), e.g. dist/koffix-win64/koffix.exe.
EXE = os.environ.get("KOFFIX_EXE")
if EXE:
    EXE = os.path.join(ROOT, EXE)
LINKED = ("drive_c/windows/system32", "drive_c/windows/syswow64")

PROFILES = r"HKCU\Software\Microsoft\Office\16.0\Outlook"
UNINSTALL = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
KOFF_DIR = r"C:\Program Files\Kerio\Outlook Connector (Offline Edition)"
MAPISVC = r"C:\Program Files\Microsoft Office\root\Office16\MAPISVC.INF"


def run(args, env, input=None, timeout=300, text=False, cwd=None):
    """subprocess.run with stdout and stderr in files, not pipes: Wine's services, started by
    the first program that needs them, inherit the standard handles and would hold a pipe open
    after the program itself has ended."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.run(args, env=env, input=input, stdout=out, stderr=err, timeout=timeout,
                           cwd=cwd)
        out.seek(0)
        err.seek(0)
        o, e = out.read(), err.read()
    if text:
        o, e = o.decode("utf-8", "replace"), e.decode("utf-8", "replace")
    return subprocess.CompletedProcess(args, p.returncode, o, e)


def build():
    """The cache folder of the built testbed (built on first use)."""
    p = run([os.path.join(HERE, "build_testbed.sh")], dict(os.environ), timeout=900, text=True)
    if p.returncode:
        raise RuntimeError("the testbed could not be built:\n" + p.stderr[-3000:])
    return p.stdout.strip().splitlines()[-1]


def copy_prefix(src, dst):
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        out = os.path.join(dst, rel) if rel != "." else dst
        os.makedirs(out, exist_ok=True)
        linked = any(rel == d or rel.startswith(d + "/") for d in LINKED)
        for name in dirnames + filenames:
            s = os.path.join(dirpath, name)
            d = os.path.join(out, name)
            if os.path.islink(s):
                os.symlink(os.readlink(s), d)
                if name in dirnames:
                    dirnames.remove(name)
            elif name in filenames:
                if linked:
                    os.link(s, d)
                else:
                    shutil.copy2(s, d)
        shutil.copystat(dirpath, out)


class Prefix:
    """A scenario's own copy of the template prefix."""

    def __init__(self, testbed, name):
        self.testbed = testbed
        self.tmp = tempfile.mkdtemp(prefix=f"koffix-wine-{name}-")
        self.path = os.path.join(self.tmp, "prefix")
        copy_prefix(os.path.join(testbed, "prefix"), self.path)
        self.env = dict(os.environ, WINEPREFIX=self.path, WINEDEBUG="-all", WINEARCH="win64",
                        KOFFIX_AGENT=AGENT)
        self.data = os.path.join(self.tmp, "data")
        with open(os.path.join(testbed, "localappdata.txt")) as f:
            self.localappdata = f.read().strip()
        # Not inheriting our stdout: a persistent wineserver would hold the pipe open.
        subprocess.run(["wineserver", "-p"], env=self.env, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wine(["cmd", "/c", "ver"])

    def close(self):
        run(["wineserver", "-k"], self.env)
        run(["wineserver", "-w"], self.env)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def wine(self, args, check=False):
        """Runs a Windows program in the prefix. check: a scenario's own set-up, which must
        work; a failure is retried twice (once seen: `wine reg add` exiting 1 with no message
        on a busy machine) and said on stderr, then raised."""
        for attempt in range(3 if check else 1):
            p = run(["wine", *args], self.env, timeout=120)
            if not (check and p.returncode):
                return p
            print(f"   wine {args[:2]}: exit {p.returncode} (attempt {attempt + 1}); "
                  f"stdout {p.stdout[-300:]!r} stderr {p.stderr[-300:]!r}", file=sys.stderr)
            time.sleep(1)
        raise RuntimeError(f"wine {args}: exit {p.returncode}: {p.stderr[-500:]!r}")

    def unix(self, winpath):
        """The Linux path of a C:\\ path inside the prefix."""
        assert winpath[1:3] == ":\\", winpath
        return os.path.join(self.path, "drive_c", *winpath[3:].split("\\"))

    def msi(self, name):
        """The Windows (Z:) path of a fixture package."""
        return "Z:" + os.path.join(self.testbed, "msi", name).replace("/", "\\")

    def unix_msi(self, name):
        """The Linux path of a fixture package."""
        return os.path.join(self.testbed, "msi", name)

    # ---- the registry, through Wine's own reg.exe ----

    def reg_export(self, key):
        """The key tree as `wine reg export` writes it, or None when the key is absent."""
        out = os.path.join(self.tmp, "export.reg")
        if os.path.exists(out):
            os.unlink(out)
        p = self.wine(["reg", "export", key, "Z:" + out.replace("/", "\\"), "/y"])
        if p.returncode or not os.path.exists(out):
            # An absent key is an answer; anything else is said (a flaky reg.exe once hid here).
            if b"Unable to find" not in p.stdout:
                print(f"   reg export {key}: exit {p.returncode}, stdout {p.stdout[-300:]!r}, "
                      f"stderr {p.stderr[-300:]!r}", file=sys.stderr)
            return None
        with open(out, "rb") as f:
            raw = f.read()
        return raw.decode("utf-16") if raw[:2] == b"\xff\xfe" else raw.decode("latin-1")

    def reg_value(self, key, value):
        p = self.wine(["reg", "query", key, "/v", value])
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            parts = line.strip().split(None, 2)
            if len(parts) >= 2 and parts[0] == value and parts[1].startswith("REG_"):
                return parts[2] if len(parts) == 3 else ""
        return None

    def reg_exists(self, key):
        return self.wine(["reg", "query", key]).returncode == 0

    # ---- koffix and the agent ----

    def koffix_cmd(self):
        """The command that starts koffix against this prefix, up to its own arguments."""
        if EXE:
            return ["wine", EXE, "--data", self.data]
        return [KOFFIX, "--data", self.data, "--backend", "wine"]

    def native_env(self, **extra):
        """The environment for koffix.exe run with its Windows defaults: no KOFFIX_AGENT, so
        that it takes the agent beside it, as the zip has it."""
        env = dict(self.env, **extra)
        env.pop("KOFFIX_AGENT", None)
        return env

    def koffix_env(self):
        return self.native_env() if EXE else self.env

    def koffix(self, *args, timeout=300):
        return run([*self.koffix_cmd(), *args], self.koffix_env(), timeout=timeout, text=True)

    def agent(self, request):
        """The agent's events for one request (list of dicts) and its exit code."""
        p = run(["wine", AGENT], self.env, input=json.dumps(request).encode(), timeout=120)
        events = [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]
        return events, p.returncode

    def server(self):
        if EXE:
            return Server(command=["wine", EXE], data=self.data, env=self.koffix_env())
        old = os.environ.copy()
        os.environ.update(self.env)
        try:
            return Server(pre=["--backend", "wine"], data=self.data)
        finally:
            os.environ.clear()
            os.environ.update(old)

    def running(self, name):
        """Linux pids of this prefix's programs whose command line names name (any case)."""
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                env = read(f"/proc/{pid}/environ").split(b"\0")
                cmd = read(f"/proc/{pid}/cmdline")
            except OSError:  # gone meanwhile, or not ours to read
                continue
            if (b"WINEPREFIX=" + self.path.encode() in env
                    and name.lower().encode() in cmd.lower()):
                pids.append(int(pid))
        return pids

    def wait_ended(self, name, timeout=120, quiet=0.5):
        """Waits until no program of this prefix named name has run for quiet seconds (an
        orphan finishing its work, or one its killed parent was still starting); True when
        none does."""
        deadline = time.time() + timeout
        last_seen = time.time()
        while time.time() < deadline:
            if self.running(name):
                last_seen = time.time()
            elif time.time() - last_seen >= quiet:
                return True
            time.sleep(0.05)
        return False

    def start_holder(self, path, seconds=120, as_name="holder.exe"):
        """Starts holder.exe (or a copy named as_name) keeping path open; returns the release
        file's Linux path (create it to end the holder)."""
        exe = os.path.join(self.testbed, "bin", "holder.exe")
        if as_name != "holder.exe":
            exe_dir = os.path.join(self.tmp, "progs")
            os.makedirs(exe_dir, exist_ok=True)
            shutil.copy(exe, os.path.join(exe_dir, as_name))
            exe = os.path.join(exe_dir, as_name)
        ready = os.path.join(self.tmp, "ready-" + as_name)
        release = os.path.join(self.tmp, "release-" + as_name)
        subprocess.Popen(["wine", exe, path, "Z:" + ready.replace("/", "\\"),
                          "Z:" + release.replace("/", "\\"), str(seconds)], env=self.env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(ready):
                return release
            time.sleep(0.05)
        raise RuntimeError("holder.exe did not start")


UNINSTALL_VIEWS = (UNINSTALL, r"HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
                   r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall")


def snapshot(pfx):
    """What a refused repair must leave byte for byte: the three Uninstall lists, Outlook's
    profiles and settings, MAPISVC.INF and the connector's folders (64- and 32-bit)."""
    out = {key: pfx.reg_export(key) for key in UNINSTALL_VIEWS}
    out[PROFILES] = pfx.reg_export(PROFILES)
    out["Exchange"] = pfx.reg_export(r"HKCU\Software\Microsoft\Exchange")
    out["MAPISVC.INF"] = read(pfx.unix(MAPISVC))
    out["folder"] = tree(pfx.unix(KOFF_DIR))
    out["folder (x86)"] = tree(pfx.unix(KOFF_DIR.replace("Program Files", "Program Files (x86)")))
    return out


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def tree(path):
    """{relative file name: bytes} of a folder."""
    out = {}
    for dirpath, _, files in os.walk(path):
        for name in files:
            p = os.path.join(dirpath, name)
            out[os.path.relpath(p, path)] = read(p)
    return out


class Wizard:
    """Walks the wizard over HTTP: detected answers are taken by the server, the rest from
    answers (a value not given: 'unknown', or '' for text)."""

    def __init__(self, srv):
        self.srv = srv
        srv.login()
        self.tok = srv.csrf()

    def post(self, path, body):
        return self.srv.request("POST", path, body=json.dumps(body),
                                headers={"Content-Type": "application/json",
                                         "X-CSRF-Token": self.tok})

    def walk(self, answers):
        r = self.post("/api/wizard", {})
        state = r.json()
        asked = []
        for _ in range(30):
            if state.get("outcome"):
                return state, asked
            node = state["node"]
            asked.append(node)
            value = answers.get(node, "" if state["kind"] == "text" else "unknown")
            r = self.post(f"/api/wizard/{state['session']}/answer", {"node": node, "answer": value})
            if r.status != 200:
                raise RuntimeError(f"answer {node}={value}: {r.status} {r.text[:300]}")
            state = r.json()
        raise RuntimeError("the wizard did not finish")

    def run(self, action, params, session):
        r = self.post(f"/api/actions/{action}/run", {"params": params, "confirm": True,
                                                     "session": session})
        if r.status != 202:
            raise RuntimeError(f"run {action}: {r.status} {r.text[:300]}")
        return self.wait(r.json()["run"])

    def undo(self, run):
        r = self.post(f"/api/runs/{run}/undo", {})
        if r.status != 202:
            raise RuntimeError(f"undo {run}: {r.status} {r.text[:300]}")
        return self.wait(run, ("undone", "failed"))

    def wait(self, run, states=("succeeded", "failed", "undone", "interrupted"), timeout=300):
        end = time.time() + timeout
        while time.time() < end:
            r = self.srv.get(f"/api/runs/{run}").json()
            if r["state"] in states:
                return r
            time.sleep(0.2)
        return self.srv.get(f"/api/runs/{run}").json()
