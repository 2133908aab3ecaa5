# SPDX-License-Identifier: MIT
"""Repairs proven on a Windows registry, Windows Installer and file system: Wine.

Each scenario copies the template prefix, breaks it the way the field does, drives the wizard
over HTTP with detection on (`koffix serve --backend wine`), runs the recommended action through
koffix-agent.exe, and checks with `wine reg query` / `wine reg export` and the file system that
the machine is repaired, that nothing was lost, and that undo restores the previous state (the
touched keys exported before and after compared).

Scenarios: MAPISVC.INF rewritten without the Kerio service (reregister-mapi, entries from the
installed package, then from a backup only, then from nothing: refused); a corrupt profile
(rebuild-profile: Outlook asks which profile to open, the default stays); a deleted
KofMsp32.dll (reinstall-koff in place); a 32-bit connector under 64-bit Office (the wrong
installers refused before anything changes; uninstall-first only with the previous installer);
a connector older than the server (an upgrade in place, undone only with the previous
installer); an upgrade whose install fails (the old connector stays); seven bad installers, each
refused by the preflight with the machine byte-identical; a cache folder in use
(reset-koff-cache); check-dll and collect-diagnostics; Outlook running (refused by the
preflight); a step sabotaged behind its back (verification fails, the step is undone); koffix
killed mid-install (rollback); the .cmd export under Wine's cmd.exe; `koffix detect --backend
wine --json`.

With KOFFIX_EXE (e.g. dist/koffix-win64/koffix.exe) every scenario runs through the Windows
build instead: koffix.exe under Wine with its own defaults (the agent beside it, run natively).
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "http"))
from harness import Checks  # noqa: E402
import testbed as tb  # noqa: E402

t = Checks("wine-scenarios-exe" if tb.EXE else "wine-scenarios")
ONLY = set(filter(None, os.environ.get("KOFFIX_WINE_ONLY", "").split(",")))


def scenario(fn):
    name = fn.__name__.replace("test_", "")
    if ONLY and name not in ONLY:
        return
    start = time.time()
    pfx = tb.Prefix(TESTBED, name[:20])
    try:
        fn(pfx)
    except Exception as e:  # a broken scenario is one failure, the others still run
        import traceback
        traceback.print_exc()
        t.check(f"{name}: ran to the end", False, repr(e))
    finally:
        pfx.close()
    print(f"   {name}: {time.time() - start:.1f} s")


OPTIONS = r"HKCU\Software\Microsoft\Exchange\Client\Options"


def steps_of(run):
    return [s["state"] for s in run["steps"]]


def mapisvc_unix(pfx):
    return pfx.unix(tb.MAPISVC)


def backups(pfx, run):
    return pfx.unix(f"{pfx.localappdata}\\koffix\\backups\\{run}")


# ---- scenarios ----

def test_detect(pfx):
    p = pfx.koffix("--json", "detect")
    t.check("detect: exit 0", p.returncode == 0, p.stderr[-500:])
    d = json.loads(p.stdout or "{}")
    a, f = d.get("answers", {}), d.get("facts", {})
    t.check("detect: Windows 10", a.get("windows_version") == "10", a)
    t.check("detect: Office 365, 64-bit, Click-to-Run, classic Outlook",
            a.get("office_version") == "365" and a.get("office_bitness") == "x64"
            and f.get("office", {}).get("install") == "c2r"
            and f["office"].get("version_to_report") == "16.0.17928.20114"
            and a.get("outlook_kind") == "classic", (a, f.get("office")))
    prof = f.get("profiles", {})
    names = {x["name"]: x for x in prof.get("list", [])}
    t.check("detect: every profile, the default marked",
            set(names) == {"Outlook", "Büro"} and names["Outlook"]["default"]
            and not names["Büro"]["default"] and prof.get("default") == "Outlook", prof)
    t.check("detect: the Kerio service's profile", prof.get("kerio") == ["Outlook"]
            and len(names["Outlook"]["kerio_sections"]) == 2, prof)
    c = f.get("connector", {})
    t.check("detect: the connector's version, product code and folder",
            a.get("koff_version") == "10.0.2" and c.get("version") == "10.0.2"
            and c.get("product_code", "").startswith("{6F1E3C2A-0064")
            and c.get("install_dir") == tb.KOFF_DIR and c.get("windows_installer") is True, c)
    t.check("detect: the DLL, present and x64", a.get("dll_present") == "yes"
            and a.get("koff_bitness") == "x64" and f.get("dll", {}).get("machine") == "x64", f.get("dll"))
    t.check("detect: MAPISVC.INF found beside Outlook's MAPI and listing the connector",
            f.get("mapisvc", {}).get("path") == tb.MAPISVC and f["mapisvc"]["lists_connector"],
            f.get("mapisvc"))
    release = pfx.start_holder("C:\\users\\outlook-lock.txt", as_name="OUTLOOK.EXE")
    p = pfx.koffix("--json", "detect")
    running = json.loads(p.stdout or "{}").get("facts", {}).get("processes", {}).get("running", [])
    open(release, "w").close()
    t.check("detect: a running OUTLOOK.EXE is named", [r["name"] for r in running] == ["OUTLOOK.EXE"],
            running)


def test_mapisvc_without_kerio(pfx):
    ini = mapisvc_unix(pfx)
    good = tb.read(ini)
    text = good.decode("latin-1")
    broken = text[:text.index("[KOFF]")].replace(
        "KOFF=Kerio Outlook Connector (Offline Edition)\r\n", "").encode("latin-1")
    with open(ini, "wb") as f:
        f.write(broken)
    before = {k: pfx.reg_export(k) for k in (tb.PROFILES, tb.UNINSTALL)}
    srv = pfx.server()
    try:
        wiz = tb.Wizard(srv)
        state, asked = wiz.walk({"symptom": "mapi_load_error", "recent_update": "office",
                                 "server_version": "10.0.2"})
        out = state["outcome"]
        t.check("mapisvc: the wizard (detection on) diagnoses a registration cut by an update",
                out["id"] == "registry_severed_by_update"
                and "office_version" not in asked and "office_bitness" not in asked, (out["id"], asked))
        act = out["actions"][0]
        t.check("mapisvc: it recommends reregister-mapi with the detected Office",
                act["id"] == "reregister-mapi" and act["params"].get("office_version") == "365"
                and act["params"].get("office_bitness") == "x64", act)
        run = wiz.run(act["id"], act["params"], state["session"])
        t.check("mapisvc: the run succeeds, every step verified",
                run["state"] == "succeeded" and set(steps_of(run)) == {"succeeded"}, run)
        t.check("mapisvc: MAPISVC.INF lists the connector again with the full DLL path",
                tb.read(ini) == good, tb.read(ini).decode("latin-1")[-600:])
        t.check("mapisvc: the previous MAPISVC.INF is kept in the backups",
                tb.read(os.path.join(backups(pfx, run["run"]), "MAPISVC.INF")) == broken
                and os.path.exists(os.path.join(backups(pfx, run["run"]), "step5-msi.log")),
                os.listdir(backups(pfx, run["run"])))
        t.check("mapisvc: the journal names where the entries came from",
                "mapisvc.inf" in run["steps"][3]["output"].lower(), run["steps"][3]["output"])
        undone = wiz.undo(run["run"])
        t.check("mapisvc: undo restores the previous MAPISVC.INF byte for byte",
                undone["state"] == "undone" and tb.read(ini) == broken, undone["state"])
        after = {k: pfx.reg_export(k) for k in (tb.PROFILES, tb.UNINSTALL)}
        t.check("mapisvc: profiles and the connector's registry untouched", before == after)
    finally:
        srv.stop()


def test_mapisvc_evidence(pfx):
    """No invented entries: with neither the installed package nor a backup holding the
    connector's MAPISVC.INF entries, reregister-mapi is refused before anything changes; with
    an earlier backup it restores them, each provider with its own DLL file name."""
    ini = mapisvc_unix(pfx)
    good = tb.read(ini)
    text = good.decode("latin-1")
    broken = text[:text.index("[KOFF]")].replace(
        "KOFF=Kerio Outlook Connector (Offline Edition)\r\n", "").encode("latin-1")
    with open(ini, "wb") as f:
        f.write(broken)
    os.unlink(pfx.unix(tb.KOFF_DIR + r"\mapisvc.inf"))
    before = tb.snapshot(pfx)
    p = pfx.koffix("--json", "actions", "run", "reregister-mapi", "--param", "office_version=365",
                   "--yes")
    t.check("mapisvc-evidence: no entries in the package and no backup: refused, saying why",
            p.returncode == 1 and "never writes entries it made up" in p.stderr
            and "reinstall" in p.stderr, (p.returncode, p.stderr[-800:]))
    t.check("mapisvc-evidence: nothing changed", tb.snapshot(pfx) == before)
    # An earlier koffix run kept MAPISVC.INF as it was when it worked: that is evidence.
    old = pfx.unix(pfx.localappdata + "\\koffix\\backups\\" + "a" * 32)
    os.makedirs(old)
    with open(os.path.join(old, "MAPISVC.INF"), "wb") as f:
        f.write(good)
    p = pfx.koffix("--json", "actions", "run", "reregister-mapi", "--param", "office_version=365",
                   "--yes")
    run = json.loads(p.stdout or "{}")
    merge = run["steps"][3] if run.get("steps") else {}
    t.check("mapisvc-evidence: with a backup the run succeeds, naming the backup as the source",
            p.returncode == 0 and run.get("state") == "succeeded"
            and "a" * 32 in merge.get("output", ""), (p.returncode, p.stderr[-600:], merge))
    t.check("mapisvc-evidence: every provider keeps its own DLL file name (koftrans.dll too)",
            tb.read(ini) == good and b"koftrans.dll" in tb.read(ini)
            and "3 DLL names" in merge.get("verification", ""),
            (tb.read(ini).decode("latin-1")[-500:], merge.get("verification")))


def test_corrupt_profile(pfx):
    sec = tb.PROFILES + r"\Profiles\Outlook\9375CFF0413111d3B88A00104B2A6676"
    pfx.wine(["reg", "add", sec, "/v", "001f3d0b", "/t", "REG_BINARY", "/d", "ffff00", "/f"], check=True)
    before = pfx.reg_export(tb.PROFILES)
    exchange_before = pfx.reg_export(r"HKCU\Software\Microsoft\Exchange")
    cache = pfx.unix(pfx.localappdata + r"\Kerio\Outlook Connector\Outlook")
    cache_before = tb.tree(cache)
    srv = pfx.server()
    try:
        wiz = tb.Wizard(srv)
        state, _ = wiz.walk({"symptom": "stuck_loading_profile", "recent_update": "none",
                             "server_version": "10.0.2"})
        out = state["outcome"]
        ids = [a["id"] for a in out["actions"]]
        t.check("profile: the wizard diagnoses a damaged cache or profile",
                out["id"] == "profile_corrupt" and "rebuild-profile" in ids, (out["id"], ids))
        params = dict(next(a for a in out["actions"] if a["id"] == "rebuild-profile")["params"])
        params["profile"] = "Outlook (koffix)"
        run = wiz.run("rebuild-profile", params, state["session"])
        t.check("profile: the run succeeds (Mail control panel opened)",
                run["state"] == "succeeded" and set(steps_of(run)) == {"succeeded"},
                [(s["state"], s["output"][:200]) for s in run["steps"]])
        new = tb.PROFILES + r"\Profiles\Outlook (koffix)"
        t.check("profile: a new empty profile beside the old one; the default stays the old one",
                pfx.reg_exists(new) and pfx.reg_value(tb.PROFILES, "DefaultProfile") == "Outlook")
        t.check("profile: Outlook asks which profile to open (both one click away)",
                pfx.reg_value(OPTIONS, "PickLogonProfile") == "1")
        after = pfx.reg_export(tb.PROFILES + r"\Profiles\Outlook")
        t.check("profile: the old profile is untouched",
                after is not None and after.split("\n", 2)[2] in before, after and after[:300])
        t.check("profile: the cache is untouched", tb.tree(cache) == cache_before)
        b = backups(pfx, run["run"])
        exported = tb.read(os.path.join(b, "outlook-profiles.reg")).decode("utf-16")
        t.check("profile: the profiles are saved as an importable .reg",
                exported.startswith("Windows Registry Editor Version 5.00")
                and "[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Büro]"
                in exported, exported[:200])
        undone = wiz.undo(run["run"])
        t.check("profile: undo restores the profiles and Outlook's settings exactly",
                undone["state"] == "undone" and undone["undo_complete"]
                and pfx.reg_export(tb.PROFILES) == before
                and pfx.reg_export(r"HKCU\Software\Microsoft\Exchange") == exchange_before,
                (undone["state"], [(s["n"], s["state"], s["output"][-200:]) for s in undone["steps"]]))
    finally:
        srv.stop()


def reinstall(pfx, answers, installer, expect, label, check_dll_version=None, previous=None,
              uninstall_first=False):
    """The wizard's diagnosis, then reinstall-koff with installer (and previous_installer when
    given) through the HTTP API; checks the run, the DLL and the backups; then undoes it.
    Returns the run, the undo, and the three Uninstall lists before and after."""
    srv = pfx.server()
    try:
        wiz = tb.Wizard(srv)
        state, _ = wiz.walk(answers)
        out = state["outcome"]
        act = next((a for a in out["actions"] if a["id"] == "reinstall-koff"), None)
        t.check(f"{label}: the wizard diagnoses {expect} and recommends reinstall-koff",
                out["id"] == expect and act is not None, (out["id"], out["actions"]))
        params = dict(act["params"] if act else {})
        params["installer"] = pfx.msi(installer)
        if previous:
            params["previous_installer"] = pfx.msi(previous)
        before = uninstall_all(pfx)
        run = wiz.run("reinstall-koff", params, state["session"])
        states = steps_of(run)
        t.check(f"{label}: the reinstall succeeds, every step verified",
                run["state"] == "succeeded" and set(states) <= {"succeeded", "skipped"},
                [(s["n"], s["state"], s["output"][-300:]) for s in run["steps"]])
        t.check(f"{label}: " + ("the old connector is uninstalled first (no in-place way)"
                                if uninstall_first else "no uninstall first: an upgrade in place"),
                states[4] == ("succeeded" if uninstall_first else "skipped"), states)
        dll = pfx.unix(tb.KOFF_DIR + r"\KofMsp32.dll")
        t.check(f"{label}: KofMsp32.dll is back, 64-bit", os.path.exists(dll)
                and tb.read(dll)[:2] == b"MZ" and b"PE\0\0d\x86" in tb.read(dll)[:512])
        if check_dll_version:
            t.check(f"{label}: the new connector version is installed",
                    check_dll_version.encode("utf-16-le") in tb.read(dll)
                    and f"DisplayVersion    REG_SZ    {check_dll_version}" in
                    pfx.wine(["reg", "query", tb.UNINSTALL, "/s"]).stdout.decode(errors="replace"))
        b = backups(pfx, run["run"])
        names = set(os.listdir(b))
        want = {"connector-uninstall-entry.reg", "installer.msi", "install.log"}
        if uninstall_first:
            want.add("uninstall.log")
        t.check(f"{label}: backups: the Uninstall entry, the installer given, verbose logs; never "
                "Windows' cached package", want <= names and "previous-connector.msi" not in names,
                names)
        t.check(f"{label}: the kept installer is the one given, whole",
                tb.read(os.path.join(b, "installer.msi")) == tb.read(pfx.unix_msi(installer)))
        log = tb.read(os.path.join(b, "install.log")).decode("utf-16", "replace") \
            if tb.read(os.path.join(b, "install.log"))[:2] == b"\xff\xfe" else \
            tb.read(os.path.join(b, "install.log")).decode("latin-1")
        t.check(f"{label}: the install log is verbose", len(log) > 1000, len(log))
        msi_steps = [s for s in run["steps"] if "Windows Installer: " in s["output"]]
        t.check(f"{label}: the Windows Installer steps report its actions as they go (at most "
                "one a second)", len(msi_steps) == (2 if uninstall_first else 1),
                [s["output"][:400] for s in run["steps"]])
        undone = wiz.undo(run["run"])
        after = uninstall_all(pfx)
        return run, undone, before, after
    finally:
        srv.stop()


def uninstall_all(pfx):
    """The connector's entries in the three Uninstall lists."""
    return {k: uninstall_facts(pfx.reg_export(k)) for k in tb.UNINSTALL_VIEWS}


def uninstall_facts(export):
    """The product entries of an Uninstall export, without what Windows Installer rewrites
    on every installation (InstallSource, InstallDate, LocalPackage-derived paths)."""
    keep = ("DisplayName", "DisplayVersion", "Publisher", "UninstallString", "ModifyPath",
            "WindowsInstaller", "Language", "Version")
    out, key = {}, None
    for line in (export or "").splitlines():
        if line.startswith("["):
            key = line
        elif key and "Kerio" in (export or "") and line.split("=")[0].strip('"') in keep:
            out.setdefault(key, []).append(line)
    return {k: v for k, v in out.items() if any("Kerio" in x for x in v)}


def test_dll_deleted(pfx):
    dll = pfx.unix(tb.KOFF_DIR + r"\KofMsp32.dll")
    os.unlink(dll)
    from_scan(pfx, "dll-deleted", "dll_missing", "dll_missing")
    run, undone, before, after = reinstall(
        pfx, {"symptom": "dll_missing", "recent_update": "none", "server_version": "10.0.2"},
        "koff-10.0.2-x64.msi", "dll_missing", "dll-deleted")
    # The same product reinstalled in place: nothing of the person's to give back, and the
    # undo says so instead of removing the repaired connector.
    t.check("dll-deleted: undo is honest: the reinstall is 'not undone', the connector stays",
            undone["state"] == "undone" and not undone["undo_complete"]
            and undone["steps"][5]["state"] == "not-undone" and os.path.exists(dll)
            and before == after and after[tb.UNINSTALL], (undone["state"], after))


# ---- the scan: a planted condition, `koffix scan --json`, and the wizard started from it ----

def scan_json(pfx, *args):
    """`koffix --json scan ARGS` against the prefix: exit code, the scan (or None), the process."""
    p = pfx.koffix("--json", "scan", *args)
    try:
        scan = json.loads(p.stdout)
    except ValueError:
        scan = None
    return p.returncode, scan, p


def from_scan(pfx, label, finding, outcome, *args, fresh=False):
    """Scans the prefix: exit 1 and finding (a problem, with evidence); the scan changed
    nothing; then the wizard started from that scan (POST /api/wizard {"scan"}) reaches outcome
    with no question asked, and shows the evidence. fresh: a session started without a scan
    (the server's agent reads the PC itself) reaches it too. Returns the scan and the state."""
    before = tb.snapshot(pfx)
    rc, scan, p = scan_json(pfx, *args)
    found = [f for f in (scan or {}).get("findings", []) if f["id"] == finding]
    t.check(f"{label}: `koffix scan --json` exits 1 and reports {finding} with its evidence",
            rc == 1 and found and found[0]["severity"] == "problem" and found[0]["evidence"]
            and all(e["source"] and e["detail"] for e in found[0]["evidence"]),
            (rc, p.stderr[-500:], scan and scan["findings"]))
    t.check(f"{label}: the scan changed nothing", tb.snapshot(pfx) == before)
    srv = pfx.server()
    state = {}
    try:
        wiz = tb.Wizard(srv)
        r = wiz.post("/api/wizard", {"scan": scan})
        state = r.json() if r.status == 201 else {}
        got = (state.get("outcome") or {}).get("id")
        t.check(f"{label}: the wizard started from the scan reaches {outcome} with no question",
                r.status == 201 and got == outcome and state["path"] == []
                and state["node"] is None, (r.status, got, state.get("node"), r.text[:300]))
        t.check(f"{label}: the wizard shows the evidence it acted on",
                any(e["key"] == finding and e["detail"] for e in state.get("evidence", [])),
                state.get("evidence"))
        if fresh:
            r = wiz.post("/api/wizard", {})
            st = r.json() if r.status == 201 else {}
            t.check(f"{label}: a new session scans the PC itself (agent present) and reaches "
                    f"{outcome} with no question", r.status == 201
                    and (st.get("outcome") or {}).get("id") == outcome and st["path"] == [],
                    (r.status, r.text[:300]))
            page = srv.get("/wizard/" + st.get("session", "x"))
            t.check(f"{label}: the step page says what koffix found and offers the questions "
                    "instead", page.status == 200 and "What koffix found on this PC" in page.text
                    and "Answer the questions instead" in page.text, page.status)
            home = srv.get("/").text
            home = home[home.find("<main"):]
            t.check(f"{label}: with an agent, 'Check this PC' is the home page's first action",
                    'action="/scan"' in home and 'href="/wizard"' in home
                    and home.index('action="/scan"') < home.index('href="/wizard"'))
            r = srv.request("POST", "/scan", body="csrf_token=" + wiz.tok,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
            page = srv.get(r.header("Location") or "/scans/x")
            t.check(f"{label}: 'Check this PC' scans through the agent and shows the finding",
                    r.status == 303 and page.status == 200
                    and f'id="finding-{finding}"' in page.text, (r.status, page.status))
    finally:
        srv.stop()
    return scan, state


def test_scan_sources(pfx):
    """An intact PC: exit 0 and no problem; every source says whether it was read, and the
    event logs, which Wine does not have, say "not available" with the reason."""
    rc, scan, p = scan_json(pfx)
    t.check("scan: an intact PC exits 0 with no problem", rc == 0 and scan is not None and not [
        f for f in scan["findings"] if f["severity"] == "problem"], (rc, p.stderr[-400:]))
    srcs = {x["name"]: x for x in (scan or {}).get("sources", [])}
    want = {"windows", "office", "mapisvc", "profiles", "connector", "dll",
            "eventlog.application", "eventlog.defender", "new_outlook", "disk", "session"}
    t.check("scan: every source is listed", want <= set(srcs), sorted(srcs))
    t.check("scan: the event logs are 'not available' under Wine, with the reason",
            all(not srcs[k]["available"] and "Wine has no event log" in srcs[k]["detail"]
                for k in ("eventlog.application", "eventlog.defender") if k in srcs)
            and "eventlog.application" in srcs, [srcs.get(k) for k in ("eventlog.application",)])
    t.check("scan: JSON has version, computer, user, time, sources, facts, findings",
            scan is not None and {"version", "computer", "user", "time", "sources", "facts",
                                  "findings"} <= set(scan), scan and sorted(scan))
    t.check("scan: the installed DLL was checked by koffix",
            scan is not None and scan["facts"]["dll"].get("check", {}).get("verdict")
            in ("legitimate", "suspicious"), scan and scan["facts"]["dll"])
    text = pfx.koffix("scan")
    t.check("scan: the text report names what could not be read",
            text.returncode == 0 and "NOT AVAILABLE" in text.stdout
            and "Wine has no event log" in text.stdout, text.stdout[-800:])
    out = os.path.join(pfx.tmp, "saved-scan.json")
    w = pfx.koffix("scan", "--out", "Z:" + out.replace("/", "\\") if tb.EXE else out)
    t.check("scan: --out writes the JSON a fleet tool collects", w.returncode == 0
            and os.path.exists(out) and json.load(open(out))["computer"] == scan["computer"],
            (w.returncode, w.stderr[-300:]))
    # Low free space, through the free-space source's threshold.
    from_scan(pfx, "low space", "low_disk_space", "low_disk_space", "--min-free-mb", "100000000")


WINE_USER_SID = "S-1-5-21-0-0-0-1000"   # Wine's one user: HKEY_CURRENT_USER is its hive


def scan_as(pfx, sid):
    """`koffix --json scan` as if run as SYSTEM with sid the signed-in user: the process, the
    scan ({} when not JSON) and its sources by name."""
    env = dict(pfx.koffix_env(), KOFFIX_TEST_SCAN_USER_SID=sid)
    p = tb.run([*pfx.koffix_cmd(), "--json", "scan"], env, text=True)
    try:
        scan = json.loads(p.stdout)
    except ValueError:
        scan = {}
    return p, scan, {x["name"]: x for x in scan.get("sources", [])}


def test_scan_as_system(pfx):
    """A scan run as SYSTEM (Intune's default) reads the signed-in user's hive under
    HKEY_USERS and their local application data, not SYSTEM's own; with no readable user it
    says so and reads none of the person's sources. Wine has no LocalSystem to run as, so
    KOFFIX_TEST_SCAN_USER_SID names the user the agent would have found in the session."""
    rc, mine, _ = scan_json(pfx)
    before = tb.snapshot(pfx)
    p, scan, srcs = scan_as(pfx, WINE_USER_SID)
    user = srcs.get("user", {})
    t.check("as SYSTEM: the user source names the signed-in user's hive", user.get("available")
            and "HKEY_USERS\\" + WINE_USER_SID in user.get("detail", ""), (p.returncode, user))
    facts, own = scan.get("facts", {}), (mine or {}).get("facts", {})
    theirs, ours = dict(facts.get("profiles") or {}), dict(own.get("profiles") or {})
    key = theirs.pop("key", ""), ours.pop("key", "")
    t.check("as SYSTEM: the same profiles, default profile and Kerio services as the user's "
            "own scan, read from HKEY_USERS", theirs == ours and theirs.get("kerio_count", 0) > 0
            and key[0] == key[1].replace("HKCU", "HKEY_USERS\\" + WINE_USER_SID, 1),
            (key, theirs))
    t.check("as SYSTEM: the Outlook kind is read from the person's settings", (facts.get(
        "answers") or {}).get("outlook_kind") == (own.get("answers") or {}).get("outlook_kind")
        == "classic", facts.get("answers"))
    t.check("as SYSTEM: the connector's cache in the user's local application data",
            (facts.get("disk") or {}).get("path") == (own.get("disk") or {}).get("path")
            and (facts.get("disk") or {}).get("cache_bytes", 0) > 0, facts.get("disk"))
    t.check("as SYSTEM: the scan names the person, not SYSTEM", scan.get("user") ==
            (mine or {}).get("user") and scan.get("user") not in ("", "SYSTEM"), scan.get("user"))
    p, scan, srcs = scan_as(pfx, "S-1-5-21-1-2-3-4444")
    t.check("as SYSTEM, no readable user: the user source says why, not available",
            srcs.get("user", {}).get("available") is False
            and "cannot be read" in srcs.get("user", {}).get("detail", ""), srcs.get("user"))
    t.check("as SYSTEM, no readable user: profiles, new Outlook, disk and session are 'not "
            "available', and nothing of theirs is reported",
            all(srcs.get(k, {}).get("available") is False
                for k in ("profiles", "new_outlook", "disk", "session"))
            and (scan.get("facts", {}).get("profiles") or {}).get("available") is False
            and not (scan.get("facts", {}).get("profiles") or {}).get("list")
            and "free_bytes" not in (scan.get("facts", {}).get("disk") or {})
            and "remote" not in (scan.get("facts", {}).get("session") or {})
            and "outlook_kind" not in (scan.get("facts", {}).get("answers") or {})
            and "outlook_kind" not in (scan.get("facts", {}).get("office") or {}),
            [(k, srcs.get(k)) for k in ("profiles", "disk")])
    t.check("as SYSTEM, no readable user: the scan is SYSTEM's, so readiness cannot tell",
            scan.get("user") == "SYSTEM", scan.get("user"))
    saved = os.path.join(pfx.tmp, "system-scan.json")
    with open(saved, "w") as f:
        json.dump(scan, f)
    r = pfx.koffix("readiness", "--office", "365-x64", "--windows", "10", "--server", "10.0.2",
                   "--from", "Z:" + saved.replace("/", "\\") if tb.EXE else saved)
    t.check("as SYSTEM, no readable user: readiness exits 3 (cannot tell)", r.returncode == 3,
            (r.returncode, r.stdout[-400:], r.stderr[-300:]))
    t.check("as SYSTEM: the scans changed nothing", tb.snapshot(pfx) == before)


def test_scan_koff_removed(pfx):
    """The company moved away from Kerio: the connector is uninstalled, the profile still
    holds its service. koffix must not advise a reinstall."""
    p = pfx.wine(["msiexec", "/x", "{6F1E3C2A-0064-4B7E-9A51-000000001002}", "/qn"])
    t.check("removed: the connector is uninstalled (set-up)", p.returncode == 0
            and not uninstall_all(pfx)[tb.UNINSTALL], p.returncode)
    scan, state = from_scan(pfx, "removed", "koff_removed", "koff_removed", fresh=True)
    ids = [a["id"] for a in (state.get("outcome") or {}).get("actions", [])]
    t.check("removed: a new profile is offered, no reinstall", ids == ["rebuild-profile"], ids)
    t.check("removed: the Office version read on the PC fills the repair's parameter",
            (state.get("outcome") or {}).get("actions", [{}])[0].get("params", {})
            .get("office_version") == "365", state.get("outcome"))


def test_scan_interrupted(pfx):
    """Two connector entries (an upgrade that stopped half-way), then a pending restart that
    replaces the connector's DLL: each is an interrupted upgrade."""
    key = tb.UNINSTALL + r"\{6F1E3C2A-0064-4B7E-9A51-000000001004}"
    pfx.wine(["reg", "add", key, "/v", "DisplayName", "/d",
              "Kerio Outlook Connector (Offline Edition)", "/f"], check=True)
    pfx.wine(["reg", "add", key, "/v", "DisplayVersion", "/d", "10.0.4", "/f"], check=True)
    scan, _ = from_scan(pfx, "two entries", "interrupted_upgrade", "interrupted_upgrade")
    f = next((x for x in (scan or {}).get("findings", []) if x["id"] == "interrupted_upgrade"), {})
    t.check("two entries: the evidence counts the entries", any(
        "2 connector entries" in e["detail"] for e in f.get("evidence", [])), f)
    pfx.wine(["reg", "delete", key, "/f"], check=True)
    dll = tb.KOFF_DIR + r"\KofMsp32.dll"
    pfx.wine(["reg", "add", r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager", "/v",
              "PendingFileRenameOperations", "/t", "REG_MULTI_SZ", "/d",
              "\\??\\" + dll + ".new\\0!\\??\\" + dll, "/f"], check=True)
    scan, _ = from_scan(pfx, "pending renames", "interrupted_upgrade", "interrupted_upgrade")
    f = next((x for x in (scan or {}).get("findings", []) if x["id"] == "interrupted_upgrade"), {})
    t.check("pending renames: the evidence names the connector's file", any(
        "KofMsp32.dll" in e["detail"] and "restart" in e["detail"] for e in f.get("evidence", [])),
        f)


def test_scan_new_outlook(pfx):
    """The new Outlook installed as its own app: a note while classic Outlook is in use; with
    its switch on, the diagnosis without a question."""
    pkg = (r"HKCU\Software\Classes\Local Settings\Software\Microsoft\Windows\CurrentVersion"
           r"\AppModel\Repository\Packages\Microsoft.OutlookForWindows_1.2025.101.0_x64__8wekyb3d8bbwe")
    pfx.wine(["reg", "add", pkg, "/v", "DisplayName", "/d", "Outlook (new)", "/f"], check=True)
    rc, scan, p = scan_json(pfx)
    ids = {f["id"]: f["severity"] for f in (scan or {}).get("findings", [])}
    t.check("new Outlook app installed, switch off: an info finding, exit 0",
            rc == 0 and ids.get("new_outlook_installed") == "info", (rc, ids, p.stderr[-300:]))
    pfx.wine(["reg", "add", r"HKCU\Software\Microsoft\Office\16.0\Outlook\Preferences", "/v",
              "UseNewOutlook", "/t", "REG_DWORD", "/d", "1", "/f"], check=True)
    from_scan(pfx, "new Outlook", "new_outlook_in_use", "new_outlook_unsupported")


def install_x86(pfx):
    p = pfx.wine(["msiexec", "/x", "{6F1E3C2A-0064-4B7E-9A51-000000001002}", "/qn"])
    q = pfx.wine(["msiexec", "/i", pfx.msi("koff-10.0.2-x86.msi"), "/qn"])
    return p.returncode == 0 and q.returncode == 0


def refused(pfx, params, label, why):
    """A reinstall-koff run over HTTP that the preflight must refuse (409) with why in the
    reasons, leaving the machine byte-identical; and the same through `actions run`."""
    before = tb.snapshot(pfx)
    srv = pfx.server()
    try:
        wiz = tb.Wizard(srv)
        r = wiz.post("/api/actions/reinstall-koff/run", {"params": params, "confirm": True})
        body = r.json() if r.status == 409 else {}
        blocked = [c for c in body.get("preflight", []) if c["state"] == "blocked"]
        t.check(f"{label}: refused before step 1 (409) naming why", r.status == 409
                and blocked and any(why in c["reason"] for c in blocked), (r.status, r.text[:800]))
        runs = srv.get("/api/runs/" + "0" * 32)
        t.check(f"{label}: no run was recorded", runs.status == 404)
    finally:
        srv.stop()
    args = ["actions", "run", "reinstall-koff", "--yes"]
    for k, v in params.items():
        args += ["--param", f"{k}={v}"]
    p = pfx.koffix(*args)
    t.check(f"{label}: `actions run` exits 1 and names the reason", p.returncode == 1
            and why in p.stderr and "changed nothing" in p.stderr, (p.returncode, p.stderr[-600:]))
    after = tb.snapshot(pfx)
    t.check(f"{label}: Uninstall lists, profiles, MAPISVC.INF and the connector's folders are "
            "byte-identical", before == after,
            [k for k in before if before[k] != after.get(k)])


def test_bitness_mismatch(pfx):
    t.check("bitness: the 32-bit connector replaces the 64-bit one", install_x86(pfx))
    x86 = pfx.unix(r"C:\Program Files (x86)\Kerio\Outlook Connector (Offline Edition)\KofMsp32.dll")
    t.check("bitness: the 32-bit KofMsp32.dll is in Program Files (x86)", os.path.exists(x86))
    p = pfx.koffix("--json", "detect")
    a = json.loads(p.stdout or "{}").get("answers", {})
    t.check("bitness: detect names a 32-bit connector under 64-bit Office",
            a.get("koff_bitness") == "x86" and a.get("office_bitness") == "x64", a)
    # The wrong installer (32-bit again) is refused before anything changes.
    refused(pfx, {"installer": pfx.msi("koff-10.0.2-x86.msi")}, "bitness (32-bit installer)",
            "but Office here is 64-bit")
    # The right one cannot upgrade the 32-bit build in place (same version, another product
    # code): uninstall-first is refused without a way back...
    refused(pfx, {"installer": pfx.msi("koff-10.0.2-x64.msi")}, "bitness (no way back)",
            "koffix has no installer of the installed 10.0.2")
    # ...and done with the previous installer named, which the undo then uses.
    run, undone, before, after = reinstall(
        pfx, {"symptom": "mapi_load_error", "recent_update": "none", "server_version": "10.0.2"},
        "koff-10.0.2-x64.msi", "bitness_mismatch", "bitness", previous="koff-10.0.2-x86.msi",
        uninstall_first=True)
    t.check("bitness: undo brings the 32-bit connector back (partly: its entry, files, version)",
            undone["state"] == "undone" and os.path.exists(x86) and before == after,
            (undone["state"], [(s["n"], s["state"], s["output"][-200:]) for s in undone["steps"]]))


def test_older_than_server(pfx):
    dll = pfx.unix(tb.KOFF_DIR + r"\KofMsp32.dll")
    # With the previous installer named, the upgrade can be taken back (partly, as declared).
    run, undone, before, after = reinstall(
        pfx, {"symptom": "outlook_wont_start", "recent_update": "none", "server_version": "10.0.4"},
        "koff-10.0.4-x64.msi", "version_mismatch", "older", check_dll_version="10.0.4",
        previous="koff-10.0.2-x64.msi")
    t.check("older: undo with the previous installer puts 10.0.2 back", undone["state"] == "undone"
            and "10.0.2".encode("utf-16-le") in tb.read(dll) and before == after,
            (undone["state"], [(s["n"], s["state"], s["output"][-200:]) for s in undone["steps"]]))
    # Without it the upgrade stays, and the undo says so instead of removing it.
    run, undone, before, after = reinstall(
        pfx, {"symptom": "outlook_wont_start", "recent_update": "none", "server_version": "10.0.4"},
        "koff-10.0.4-x64.msi", "version_mismatch", "older (no previous)", check_dll_version="10.0.4")
    t.check("older: without the previous installer the undo leaves 10.0.4 and says why",
            undone["state"] == "undone" and not undone["undo_complete"]
            and undone["steps"][5]["state"] == "not-undone"
            and "10.0.4".encode("utf-16-le") in tb.read(dll), undone.get("error"))


def test_upgrade_fails(pfx):
    """An upgrade in place whose install fails inside its transaction leaves the old connector:
    its DLL, its version and its entry unchanged."""
    dll = pfx.unix(tb.KOFF_DIR + r"\KofMsp32.dll")
    before = tb.snapshot(pfx)
    p = pfx.koffix("--json", "actions", "run", "reinstall-koff", "--param",
                   "installer=" + pfx.msi("koff-10.0.9-x64-fails.msi"), "--yes")
    run = json.loads(p.stdout or "{}")
    steps = steps_of(run) if run else []
    t.check("upgrade-fails: the preflight passes, the install fails (1603) and the run fails",
            p.returncode == 1 and run.get("state") == "failed" and "1603" in run.get("error", "")
            and steps[4] == "skipped", (p.returncode, run.get("error"), steps))
    after = tb.snapshot(pfx)
    t.check("upgrade-fails: the old connector is installed, its DLL, version and entry unchanged",
            before == after and "10.0.2".encode("utf-16-le") in tb.read(dll),
            [k for k in before if before[k] != after.get(k)])


BAD_INSTALLERS = [
    # label, installer (a fixture name or a path), expected words of the reason
    ("an EXE that is not the connector", "holder.exe", "is a program (EXE)"),
    ("an unrelated MSI", "unrelated-1.0.0-x64.msi", "not the Kerio Outlook Connector"),
    ("a connector MSI of the other bitness", "koff-10.0.2-x86.msi", "but Office here is 64-bit"),
    ("an older connector MSI", "koff-10.0.1-x64.msi", "older than the installed 10.0.2"),
    ("a truncated MSI", "truncated", "is not usable"),
    ("a missing file", r"C:\Downloads\kerio-connect-koff-10.0.4-win64.msi", "cannot be opened"),
    ("an unreachable UNC path", r"\\fileserver.invalid\share\koff.msi", "cannot be opened"),
]


def test_bad_installers(pfx):
    """Each installer that is not the right connector package is refused at preflight, and the
    Uninstall keys, the profiles, MAPISVC.INF and the connector's folder are byte-identical."""
    for label, name, why in BAD_INSTALLERS:
        if name == "holder.exe":
            path = "Z:" + os.path.join(pfx.testbed, "bin", "holder.exe").replace("/", "\\")
        elif name == "truncated":
            data = tb.read(pfx.unix_msi("koff-10.0.4-x64.msi"))
            cut = os.path.join(pfx.tmp, "koff-10.0.4-x64-cut.msi")
            with open(cut, "wb") as f:
                f.write(data[:len(data) * 3 // 5])
            path = "Z:" + cut.replace("/", "\\")
        elif name.endswith(".msi") and ":" not in name and not name.startswith("\\"):
            path = pfx.msi(name)
        else:
            path = name
        refused(pfx, {"installer": path}, f"bad installer ({label})", why)
    # An installer program is for the manual path: koffix checks its signature itself and says
    # what it found; the person runs it.
    exe = "Z:" + os.path.join(pfx.testbed, "bin", "holder.exe").replace("/", "\\")
    p = pfx.koffix("actions", "plan", "reinstall-koff", "--param", "installer=" + exe,
                   "--param", "method=manual", "--format", "json")
    checks = {c["id"]: c for c in json.loads(p.stdout or "{}").get("preflight", [])}
    inst = checks.get("installer", {})
    t.check("manual path with an EXE: koffix checks its signature and warns (unsigned)",
            inst.get("state") == "warning" and "is a program (EXE)" in inst.get("reason", "")
            and "not digitally signed" in inst.get("reason", ""), inst)


def test_cache_in_use(pfx):
    win = pfx.localappdata + r"\Kerio\Outlook Connector\Outlook"
    cache = pfx.unix(win)
    content = tb.tree(cache)
    srv = pfx.server()
    try:
        wiz = tb.Wizard(srv)
        state, _ = wiz.walk({"symptom": "stuck_loading_profile", "recent_update": "none",
                             "server_version": "10.0.2"})
        ids = [a["id"] for a in state["outcome"]["actions"]]
        t.check("cache: the wizard recommends reset-koff-cache first", ids[:1] == ["reset-koff-cache"], ids)
        release = pfx.start_holder(win)
        run = wiz.run("reset-koff-cache", {"profile": "Outlook"}, state["session"])
        t.check("cache: while the folder is in use the rename fails cleanly",
                run["state"] == "failed" and "could not be renamed" in run["error"]
                and "(32: " in run["error"], (run["state"], run.get("error")))
        t.check("cache: nothing changed", tb.tree(cache) == content
                and not [d for d in os.listdir(os.path.dirname(cache)) if "koffix" in d])
        open(release, "w").close()
        t.check("cache: the program holding the folder ends", pfx.wait_ended("holder.exe"))
        run = wiz.run("reset-koff-cache", {"profile": "Outlook"}, state["session"])
        t.check("cache: once it is closed the reset succeeds", run["state"] == "succeeded",
                [(s["state"], s["output"][:200]) for s in run["steps"]])
        renamed = [d for d in os.listdir(os.path.dirname(cache)) if d.startswith("Outlook.koffix-")]
        t.check("cache: the old cache is kept beside, renamed, with every file",
                not os.path.exists(cache) and len(renamed) == 1
                and tb.tree(os.path.join(os.path.dirname(cache), renamed[0])) == content, renamed)
        # The connector makes a new cache before undo: undo keeps it aside, never deletes it.
        os.makedirs(cache)
        with open(os.path.join(cache, "new.fdb"), "wb") as f:
            f.write(b"new")
        undone = wiz.undo(run["run"])
        aside = [d for d in os.listdir(os.path.dirname(cache)) if "koffix-undo" in d]
        t.check("cache: undo renames the old cache back; the newer one is set aside",
                undone["state"] == "undone" and tb.tree(cache) == content and len(aside) == 1,
                (undone["state"], os.listdir(os.path.dirname(cache))))
    finally:
        srv.stop()


def test_check_and_collect(pfx):
    srv = pfx.server()
    try:
        wiz = tb.Wizard(srv)
        state, _ = wiz.walk({"symptom": "mapi_load_error", "recent_update": "none",
                             "server_version": "10.0.2"})
        run = wiz.run("check-dll", {"office_bitness": "x64"}, state["session"])
        dll = pfx.unix(tb.KOFF_DIR + r"\KofMsp32.dll")
        sha = hashlib.sha256(tb.read(dll)).hexdigest()
        out = run["steps"][-1]["output"] if run["steps"] else ""
        t.check("check-dll: path, PE machine, version and SHA-256 of the installed DLL",
                run["state"] == "succeeded" and sha in out and "x64" in out
                and "10.0.2.0" in out and "matches Office" in out, out)
        # The fixture DLL is unsigned: koffix's own check of the file the agent found says so.
        t.check("check-dll: koffix runs the full legitimacy check on the file the agent found",
                "Full check by koffix: suspicious." in out, out)
        run = wiz.run("collect-diagnostics", {"office_version": "365"}, state["session"])
        folder = pfx.unix(pfx.localappdata + "\\koffix\\diagnostics\\" + run["run"])
        names = set(os.listdir(folder)) if os.path.isdir(folder) else set()
        t.check("collect: detect.json, profiles.reg, MAPISVC.INF and the event log collected",
                run["state"] == "succeeded" and {"detect.json", "profiles.reg", "MAPISVC.INF",
                                                 "eventlog.txt"} <= names, names)
        det = json.loads(tb.read(os.path.join(folder, "detect.json"))) if names else {}
        t.check("collect: detect.json holds the profiles and the connector",
                det.get("facts", {}).get("profiles", {}).get("kerio") == ["Outlook"])
        undone = wiz.undo(run["run"])
        t.check("collect: undo deletes the collected folder",
                undone["state"] == "undone" and not os.path.exists(folder))
    finally:
        srv.stop()


def test_outlook_running(pfx):
    release = pfx.start_holder("C:\\users\\outlook-lock.txt", as_name="OUTLOOK.EXE")
    before = pfx.reg_export(tb.PROFILES)
    p = pfx.koffix("--json", "actions", "run", "rebuild-profile", "--param",
                   "office_version=365", "--yes")
    open(release, "w").close()
    t.check("outlook-running: the preflight refuses the run and names OUTLOOK.EXE",
            p.returncode == 1 and not p.stdout.strip() and "OUTLOOK.EXE" in p.stderr
            and "changed nothing" in p.stderr, (p.returncode, p.stderr[-600:]))
    t.check("outlook-running: nothing changed", pfx.reg_export(tb.PROFILES) == before)


def test_sabotage(pfx):
    """The state is changed behind a step's back between its run and its verification: the
    verification reads the state back, fails, and the undo restores the previous state."""
    before = pfx.reg_export(tb.PROFILES)
    run = "5" * 32
    step = {"n": 4, "kind": "registry-set", "args": {"key": tb.PROFILES, "value": "DefaultProfile",
                                                     "data": "Neu", "type": "REG_SZ"}}
    ev, rc = pfx.agent({"command": "run-step", "run": run, "step": step})
    t.check("sabotage: the step runs", rc == 0 and ev[-1] == {"event": "result", "code": 0,
                                                             "message": "step 4: run-step finished"}, ev)
    pfx.wine(["reg", "add", tb.PROFILES, "/v", "DefaultProfile", "/d", "Someone else", "/f"],
             check=True)
    ev, rc = pfx.agent({"command": "verify-step", "run": run, "step": step})
    failed = [e for e in ev if e["event"] == "failed"]
    t.check("sabotage: verification reads the sabotaged value back and fails (result 3)",
            rc == 3 and failed and "Someone else" in failed[0]["error"], ev)
    ev, rc = pfx.agent({"command": "undo-step", "run": run, "step": step})
    t.check("sabotage: the undo restores the previous state exactly",
            rc == 0 and pfx.reg_export(tb.PROFILES) == before, ev)
    # The protocol refuses what it does not know.
    ev, rc = pfx.agent({"command": "format-disk"})
    t.check("agent: an unknown command is a bad request (1)", rc == 1 and ev[-1]["code"] == 1, ev)
    ev, rc = pfx.agent({"command": "run-step", "run": "../../x", "step": step})
    t.check("agent: a run id that is not 32 hex digits is refused", rc == 1, ev)
    ev, rc = pfx.agent({"command": "run-step", "run": run, "step": dict(step, kind="format-c")})
    t.check("agent: an unknown step kind is refused", rc == 1, ev)


WAIT = r"C:\windows\temp\koffix-wait"  # the slow package's wait: .ready, then until .release


def kill_during_install(pfx):
    """Starts the reinstall and kills koffix while Windows Installer installs in step 6: once
    koffix has said that step 6 started and the package (koff-10.0.5-x64-slow.msi) has copied
    its files and is waiting. The package waits until this test lets it go (it writes
    koffix-wait.ready and waits for koffix-wait.release, build_testbed.sh), so the moment does
    not depend on the machine's speed; koffix's progress lines are read from a file, not a
    pipe (Wine's services would inherit a pipe). Once koffix is dead the install is let go, so
    that the orphaned agent finishes it. Returns the run id (None unless koffix died inside
    step 6) and what koffix said."""
    mark, done = "\nkoffix: step 6 started:", re.compile(r"^koffix: step 6 (?!started)", re.M)
    first = re.compile(r"^koffix: run ([0-9a-f]{32})\r?$", re.M)
    ready, release = pfx.unix(WAIT + ".ready"), pfx.unix(WAIT + ".release")
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([*pfx.koffix_cmd(), "actions", "run", "reinstall-koff", "--param",
                                 "installer=" + pfx.msi("koff-10.0.5-x64-slow.msi"), "--param",
                                 "previous_installer=" + pfx.msi("koff-10.0.2-x64.msi"), "--yes"],
                                env=pfx.koffix_env(), stdout=out, stderr=subprocess.STDOUT)
        said, deadline = "", time.time() + 100  # the package gives up waiting after 120 s
        while time.time() < deadline and proc.poll() is None:
            out.seek(0)
            said = out.read().decode("utf-8", "replace")
            if mark in said and os.path.exists(ready):
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        open(release, "w").close()
        out.seek(0)
        said = out.read().decode("utf-8", "replace")
    m = first.search(said)
    inside = m and mark in said and not done.search(said)
    return (m.group(1) if inside else None), said


def test_killed_mid_run(pfx):
    run, said = kill_during_install(pfx)
    t.check("killed: koffix died while step 6 upgraded in place", run is not None,
            said[-1500:])
    if not run:
        return
    # The agent outlives koffix and finishes its install; the rollback comes after it, as
    # Windows Installer runs one installation at a time.
    t.check("killed: the orphaned agent finishes its step", pfx.wait_ended("koffix-agent.exe"),
            pfx.running("koffix-agent.exe"))
    show = pfx.koffix("--json", "actions", "show", run)
    r = json.loads(show.stdout or "{}")
    steps = {s["n"]: s["state"] for s in r.get("steps", [])}
    t.check("killed: the next start finds the run interrupted, step 6 journaled started",
            r.get("state") == "interrupted" and steps.get(5) == "skipped"
            and steps.get(6) == "started", (r.get("state"), steps))
    undo = pfx.koffix("--json", "actions", "undo", run, "--yes")
    r = json.loads(undo.stdout or "{}")
    dll = pfx.unix(tb.KOFF_DIR + r"\KofMsp32.dll")
    t.check("killed: rollback completes and the previous connector 10.0.2 is back (from the "
            "previous installer named)",
            undo.returncode == 0 and r.get("state") == "undone" and os.path.exists(dll)
            and "10.0.2".encode("utf-16-le") in tb.read(dll),
            (undo.returncode, [(s["n"], s["state"], s["output"][-200:]) for s in r.get("steps", [])]))


CMD_CASES = [
    # action, params, expected end state check, known Wine limit (or None)
    ("reset-koff-cache", {"profile": "Outlook"}, "cache", None),
    ("rebuild-profile", {"office_version": "365", "profile": "Outlook (koffix)"}, "profile", None),
    ("check-dll", {"dll_path": tb.KOFF_DIR + r"\KofMsp32.dll"}, "none", None),
    ("collect-diagnostics", {"office_version": "365"}, "none", None),
]


def test_cmd_export(pfx):
    """Each action's .cmd script under Wine's cmd.exe reaches the agent's end state."""
    for action, params, kind, _ in CMD_CASES:
        args = ["actions", "plan", action, "--format", "cmd"]
        for k, v in params.items():
            args += ["--param", f"{k}={v}"]
        p = pfx.koffix(*args)
        script = os.path.join(pfx.tmp, f"{action}.cmd")
        text = p.stdout.encode()
        t.check(f".cmd {action}: checks that Outlook is closed", b"tasklist " in text
                or action in ("check-dll", "collect-diagnostics"))
        with open(script, "wb") as f:
            f.write(text)
        before_reg = pfx.reg_export(tb.PROFILES)
        before_exchange = pfx.reg_export(r"HKCU\Software\Microsoft\Exchange")
        cache = pfx.unix(pfx.localappdata + r"\Kerio\Outlook Connector\Outlook")
        content = tb.tree(cache)
        r = pfx.wine(["cmd", "/c", "Z:" + script.replace("/", "\\")])
        out = r.stdout.decode("utf-8", "replace")
        ok = r.returncode == 0 and "Done." in out
        if kind == "cache":
            renamed = [d for d in os.listdir(os.path.dirname(cache)) if d.startswith("Outlook.koffix-")]
            ok = ok and not os.path.exists(cache) and len(renamed) == 1 and \
                tb.tree(os.path.join(os.path.dirname(cache), renamed[0])) == content
        elif kind == "profile":
            ok = ok and pfx.reg_exists(tb.PROFILES + r"\Profiles\Outlook (koffix)") and \
                pfx.reg_value(tb.PROFILES, "DefaultProfile") == "Outlook" and \
                pfx.reg_value(OPTIONS, "PickLogonProfile") == "1"
        t.check(f".cmd {action}: runs under wine cmd and reaches the agent's end state", ok,
                (r.returncode, out[-800:]))
        u = pfx.wine(["cmd", "/c", "Z:" + script.replace("/", "\\"), "undo"])
        if kind == "cache":
            t.check(f".cmd {action} undo: the cache is back", u.returncode == 0
                    and tb.tree(cache) == content, u.stdout.decode(errors="replace")[-400:])
        elif kind == "profile":
            t.check(f".cmd {action} undo: the profiles and Outlook's settings are back exactly",
                    u.returncode == 0 and pfx.reg_export(tb.PROFILES) == before_reg
                    and pfx.reg_export(r"HKCU\Software\Microsoft\Exchange") == before_exchange,
                    u.stdout.decode(errors="replace")[-400:])


def test_cmd_reinstall(pfx):
    """The .cmd of reinstall-koff finds the connector by name in the Uninstall lists (one
    `reg query` per entry: Wine's reg.exe has no /f search) and installs the given package over
    it (never uninstalling first); given a program instead of an .msi it stops before anything.
    The .cmd of reregister-mapi stops at its MSI repair, because Wine's msiexec does not
    implement /f (the agent's run of it is proven above): nothing changed."""
    before = tb.snapshot(pfx)
    exe = "Z:" + os.path.join(pfx.testbed, "bin", "holder.exe").replace("/", "\\")
    script = os.path.join(pfx.tmp, "reinstall-exe.cmd")
    with open(script, "wb") as f:
        f.write(pfx.koffix("actions", "plan", "reinstall-koff", "--format", "cmd", "--param",
                           "installer=" + exe).stdout.encode())
    r = pfx.wine(["cmd", "/c", "Z:" + script.replace("/", "\\")])
    t.check(".cmd reinstall-koff with an EXE: stops at its preflight, nothing changed",
            r.returncode == 1 and b"not a Windows Installer package" in r.stdout
            and tb.snapshot(pfx) == before, (r.returncode, r.stdout[-600:]))
    before = pfx.reg_export(tb.UNINSTALL)
    args = ["actions", "plan", "reinstall-koff", "--format", "cmd",
            "--param", "installer=" + pfx.msi("koff-10.0.4-x64.msi")]
    script = os.path.join(pfx.tmp, "reinstall-koff.cmd")
    with open(script, "wb") as f:
        f.write(pfx.koffix(*args).stdout.encode())
    r = pfx.wine(["cmd", "/c", "Z:" + script.replace("/", "\\")])
    after = pfx.reg_export(tb.UNINSTALL)
    t.check(".cmd reinstall-koff under Wine: finds the connector and upgrades it in place",
            r.returncode == 0 and b"found the connector" in r.stdout and "10.0.4" in after
            and "10.0.2" not in after, (r.returncode, r.stdout[-600:]))
    t.check(".cmd reinstall-koff: the old entry was saved first", "10.0.2" in before)
    args = ["actions", "plan", "reregister-mapi", "--format", "cmd", "--param",
            "office_version=365"]
    script = os.path.join(pfx.tmp, "reregister-mapi.cmd")
    with open(script, "wb") as f:
        f.write(pfx.koffix(*args).stdout.encode())
    before = pfx.reg_export(tb.UNINSTALL)
    ini = tb.read(mapisvc_unix(pfx))
    r = pfx.wine(["cmd", "/c", "Z:" + script.replace("/", "\\")])
    t.check(".cmd reregister-mapi under Wine: finds the connector, stops at the MSI repair "
            "(no msiexec /f in Wine), nothing changed",
            r.returncode == 1 and b"found the connector" in r.stdout
            and b"FAILED at step 5" in r.stdout and pfx.reg_export(tb.UNINSTALL) == before
            and tb.read(mapisvc_unix(pfx)) == ini, r.stdout[-600:])


def main():
    global TESTBED
    start = time.time()
    TESTBED = tb.build()
    print(f"   testbed {TESTBED} ready in {time.time() - start:.1f} s")
    for fn in (test_scan_sources, test_scan_as_system, test_scan_koff_removed,
               test_scan_interrupted, test_scan_new_outlook, test_detect,
               test_mapisvc_without_kerio, test_mapisvc_evidence, test_corrupt_profile,
               test_dll_deleted, test_bitness_mismatch, test_older_than_server, test_upgrade_fails,
               test_bad_installers, test_cache_in_use, test_check_and_collect, test_outlook_running,
               test_sabotage, test_killed_mid_run, test_cmd_export, test_cmd_reinstall):
        scenario(fn)
    print(f"   all scenarios: {time.time() - start:.1f} s")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
