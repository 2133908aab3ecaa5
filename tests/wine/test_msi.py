# SPDX-License-Identifier: MIT
"""dist/koffix-win64.msi under Wine, in a copy of the testbed (a Windows 10 prefix with the
connector installed), as an administrator would deploy it:

- the package: per-machine, the stable UpgradeCode, a Start-menu shortcut, every file of the
  zip's folder;
- `msiexec /i koffix-win64.msi /qn` installs silently into C:\\Program Files\\koffix with the
  Start-menu shortcut and one Programs and Features entry;
- the policy (HKLM\\Software\\Policies\\koffix, set with reg.exe as Group Policy would) is read
  by the installed koffix.exe: `policy --json`, ServerVersion as readiness's default, a repair
  AllowedRepairs does not list refused before it starts, with nothing changed;
- `koffix.exe scan --json --out C:\\share\\%COMPUTERNAME%.json` from the install folder writes a
  scan that `koffix fleet import` takes;
- a newer build (the same package built as a higher version) upgrades the installed one: one
  entry, the new version;
- `msiexec /x` removes it: no program folder, no shortcut, no entry, no HKLM\\Software\\koffix
  (the per-user data folder stays: it holds the repair journal that undo needs).
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "http"))
from harness import Checks  # noqa: E402
import testbed as tb  # noqa: E402

t = Checks("wine-msi")
ROOT = tb.ROOT
MSI = os.path.join(ROOT, "dist", "koffix-win64.msi")
UPGRADE_CODE = "{7DFBFEAF-2B8C-4A10-9282-CF16D1B6AFA8}"
INSTALL = r"C:\Program Files\koffix"
SHORTCUT = r"C:\ProgramData\Microsoft\Windows\Start Menu\Programs\koffix.lnk"
# Wine's Windows Installer resolves ProgramMenuFolder to the user's Start menu even in a
# per-machine install (Windows uses the all-users one): either place counts, nothing else.
USER_SHORTCUT = "users/*/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/koffix.lnk"
POLICY = r"HKLM\Software\Policies\koffix"
UNINSTALL = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"


def winpath(path):
    return "Z:" + path.replace("/", "\\")


def msiinfo(path, table):
    p = subprocess.run(["msiinfo", "export", path, table], capture_output=True, text=True)
    return p.stdout


def test_package():
    t.check("make windows built the package", os.path.exists(MSI), MSI)
    prop = msiinfo(MSI, "Property")
    t.check("package: per-machine, the stable UpgradeCode", "ALLUSERS\t1" in prop
            and f"UpgradeCode\t{UPGRADE_CODE}" in prop, prop[:600])
    t.check("package: a major upgrade of older builds", UPGRADE_CODE in msiinfo(MSI, "Upgrade")
            and "RemoveExistingProducts" in msiinfo(MSI, "InstallExecuteSequence"))
    t.check("package: the Start-menu shortcut to koffix.exe",
            "[INSTALLDIR]koffix.exe" in msiinfo(MSI, "Shortcut"))
    files = msiinfo(MSI, "File")
    folder = os.path.join(ROOT, "dist", "koffix-win64")
    n = sum(len(f) for _, _, f in os.walk(folder))
    t.check("package: every file of the folder", files.count("\n") - 3 == n, (files.count("\n"), n))


def koffix_entries(pfx):
    """(product key, DisplayVersion) of the Uninstall entries named koffix."""
    out = []
    p = pfx.wine(["reg", "query", UNINSTALL])
    for key in p.stdout.decode("utf-8", "replace").splitlines():
        key = key.strip()
        if not key.startswith("HKEY_LOCAL_MACHINE") or key.count("\\") < 6:
            continue
        if (pfx.reg_value(key, "DisplayName") or "") == "koffix":
            out.append((key, pfx.reg_value(key, "DisplayVersion")))
    return out


def run_installed(pfx, *args):
    return tb.run(["wine", pfx.unix(INSTALL + r"\koffix.exe"), "--data", pfx.data, *args],
                  pfx.native_env(), timeout=300, text=True)


def shortcuts(pfx):
    return ([SHORTCUT] if os.path.exists(pfx.unix(SHORTCUT)) else []) + \
        glob.glob(os.path.join(pfx.path, "drive_c", USER_SHORTCUT))


def test_install(pfx, newer, same):
    p = pfx.wine(["msiexec", "/i", winpath(MSI), "/qn"])
    t.check("msiexec /i /qn: exit 0", p.returncode == 0, (p.returncode, p.stderr[-300:]))
    exe = pfx.unix(INSTALL + r"\koffix.exe")
    t.check("installed into Program Files", os.path.exists(exe)
            and os.path.exists(pfx.unix(INSTALL + r"\kb\symptoms.json"))
            and os.path.exists(pfx.unix(INSTALL + r"\koffix-agent.exe")), exe)
    t.check("the Start-menu shortcut", len(shortcuts(pfx)) == 1, shortcuts(pfx))
    entries = koffix_entries(pfx)
    t.check("one Programs and Features entry, this version", len(entries) == 1
            and entries[0][1] == "0.1.0", entries)

    # The policy, as Group Policy writes it.
    for name, value in (("ServerVersion", "10.0.6"), ("AllowedRepairs", "check-dll,collect-diagnostics"),
                        ("ConnectorInstaller", r"\\files\kerio\koff-10.0.6-x64.msi"),
                        ("TicketDestination", "helpdesk@example.com")):
        pfx.wine(["reg", "add", POLICY, "/v", name, "/t", "REG_SZ", "/d", value, "/f"], check=True)
    p = run_installed(pfx, "--json", "policy")
    doc = json.loads(p.stdout) if p.returncode == 0 else {}
    vals = {v["name"]: v["value"] for v in doc.get("values", [])}
    t.check("koffix.exe policy: read from the registry", doc.get("available") is True
            and vals.get("ServerVersion") == "10.0.6"
            and vals.get("ConnectorInstaller") == r"\\files\kerio\koff-10.0.6-x64.msi"
            and vals.get("TicketDestination") == "helpdesk@example.com",
            (p.returncode, p.stdout[:500], p.stderr[-300:]))
    p = run_installed(pfx, "--json", "readiness", "--office", "365-x64")
    doc = json.loads(p.stdout) if p.returncode in (0, 1, 3) else {}
    t.check("readiness from the install folder: the policy's server version",
            doc.get("targets", {}).get("server") == "10.0.6", (p.returncode, p.stdout[:300], p.stderr[-300:]))
    before = tb.snapshot(pfx)
    p = run_installed(pfx, "actions", "run", "reset-koff-cache", "--param", "profile=Outlook", "--yes")
    t.check("a repair the policy does not allow: refused before it starts (exit 1)",
            p.returncode == 1 and "policy does not allow" in p.stderr, (p.returncode, p.stderr[-400:]))
    t.check("and nothing changed", tb.snapshot(pfx) == before)

    # A scan to a share, as a start-up script writes it.
    share = os.path.join(pfx.tmp, "share")
    os.makedirs(share)
    p = tb.run(["wine", "cmd", "/c", INSTALL + r"\koffix.exe",
                "--data", winpath(pfx.data), "scan", "--json", "--out",
                winpath(share) + r"\%COMPUTERNAME%.json"], pfx.native_env(), timeout=300, text=True)
    written = [f for f in os.listdir(share) if f.endswith(".json")]
    t.check("koffix.exe scan --out share\\%COMPUTERNAME%.json from the install folder",
            p.returncode in (0, 1) and len(written) == 1 and written[0] != "%COMPUTERNAME%.json",
            (p.returncode, written, p.stderr[-400:]))
    fleet = os.path.join(pfx.tmp, "fleet")
    p = tb.run([tb.KOFFIX, "--data", fleet, "--json", "fleet", "import", share], dict(os.environ),
               text=True)
    rep = json.loads(p.stdout) if p.returncode == 0 else {}
    t.check("the share's scan is imported into the fleet", rep.get("imported") == 1,
            (p.returncode, p.stdout[:300], p.stderr[-300:]))

    # The Group Policy start-up script (deploy/gpo), as the computer account would run it.
    script = winpath(os.path.join(ROOT, "deploy", "gpo", "koffix-startup.cmd"))
    gpo_share = os.path.join(pfx.tmp, "gpo-share")
    os.makedirs(gpo_share)
    p = tb.run(["wine", "cmd", "/c", script, winpath(gpo_share)], pfx.native_env(), timeout=300,
               text=True)
    written = os.listdir(gpo_share)
    t.check("the start-up script writes this PC's scan to the share", p.returncode in (0, 1)
            and len(written) == 1 and written[0].endswith(".json"), (p.returncode, written, p.stderr[-300:]))
    p = tb.run(["wine", "cmd", "/c", script], pfx.native_env(), timeout=120, text=True)
    t.check("the start-up script without a share: exit 64, says how", p.returncode == 64
            and "usage" in p.stderr, (p.returncode, p.stderr[-200:]))

    # A rebuild of the same version replaces it (no second entry).
    p = pfx.wine(["msiexec", "/i", winpath(same), "/qn"])
    entries = koffix_entries(pfx)
    t.check("a rebuild of the same version replaces it: one entry", p.returncode == 0
            and len(entries) == 1 and entries[0][1] == "0.1.0", (p.returncode, entries))

    # A newer build upgrades this one.
    p = pfx.wine(["msiexec", "/i", winpath(newer), "/qn"])
    entries = koffix_entries(pfx)
    t.check("a newer build upgrades: exit 0, one entry, the new version", p.returncode == 0
            and len(entries) == 1 and entries[0][1] == "0.1.1" and os.path.exists(exe),
            (p.returncode, entries))
    p = pfx.wine(["msiexec", "/i", winpath(MSI), "/qn"])
    entries = koffix_entries(pfx)
    t.check("an older build does not replace the newer one", p.returncode != 0
            and len(entries) == 1 and entries[0][1] == "0.1.1", (p.returncode, entries))

    # Uninstall.
    p = pfx.wine(["msiexec", "/x", winpath(newer), "/qn"])
    t.check("msiexec /x /qn: exit 0", p.returncode == 0, (p.returncode, p.stderr[-300:]))
    t.check("uninstall: no program folder, no shortcut, no entry, no HKLM\\Software\\koffix",
            not os.path.exists(pfx.unix(INSTALL)) and not shortcuts(pfx)
            and not koffix_entries(pfx) and not pfx.reg_exists(r"HKLM\Software\koffix"),
            (os.path.exists(pfx.unix(INSTALL)) and os.listdir(pfx.unix(INSTALL)),
             shortcuts(pfx), koffix_entries(pfx)))
    t.check("uninstall leaves the administrator's policy alone", pfx.reg_exists(POLICY))


def main():
    test_package()
    if not os.path.exists(MSI):
        t.done()
        return
    work = tempfile.mkdtemp(prefix="koffix-msi-")
    newer = os.path.join(work, "koffix-win64-newer.msi")
    p = subprocess.run([os.path.join(ROOT, "scripts", "windows-msi.sh")], capture_output=True,
                       text=True, env=dict(os.environ, KOFFIX_MSI_VERSION="0.1.1",
                                           KOFFIX_MSI_OUT=newer))
    t.check("a newer build of the package", p.returncode == 0 and os.path.exists(newer), p.stderr)
    same = os.path.join(work, "koffix-win64-rebuilt.msi")
    p = subprocess.run([os.path.join(ROOT, "scripts", "windows-msi.sh")], capture_output=True,
                       text=True, env=dict(os.environ, KOFFIX_MSI_OUT=same))
    t.check("a rebuild of the package, same version", p.returncode == 0 and os.path.exists(same),
            p.stderr)
    testbed = tb.build()
    pfx = tb.Prefix(testbed, "msi")
    try:
        test_install(pfx, newer, same)
    finally:
        pfx.close()
        shutil.rmtree(work, ignore_errors=True)
    t.done()


main()
