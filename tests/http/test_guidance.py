# SPDX-License-Identifier: MIT
"""The next step is always clear (issue 17), checked on the pages as served:

- every outcome of the shipped flow (each reached from answers, or from a scan for the three
  only a scan can show) leads with "What to do first" and exactly one primary button, the
  recommended action, before "If that did not help" and a visible Contact support button;
- repair parameters are shown in words (the catalogue's labels, the person's answers), never
  as raw keys such as office_bitness;
- the antivirus outcomes lead to the DLL check;
- without the launch token (koffix restarted, a bookmark): a page that says to open koffix
  again, no "?token=" jargon, and a menu with no links that would lead to the same page;
- the favicon is served.
"""
import copy
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Checks, Server  # noqa: E402

t = Checks("guidance-http")
FIX = os.path.join(ROOT, "tests", "fixtures", "scans")
BASE = dict(symptom="mapi_load_error", dll_present="yes", outlook_kind="classic",
            office_version="365", office_bitness="x64", windows_version="10", recent_update="none",
            koff_version="10.0.6", koff_bitness="x64", server_version="10.0.6")
ANSWERS = {
    "possible_malware": dict(symptom="av_flagged", dll_location="temp_or_downloads",
                             dll_signature="unsigned"),
    "av_false_positive": dict(symptom="av_flagged", dll_location="program_files",
                              dll_signature="kerio_or_gfi"),
    "av_unverified": dict(symptom="av_flagged", dll_location="unknown", dll_signature="unknown"),
    "new_outlook_unsupported": dict(outlook_kind="new"),
    "dll_missing": dict(symptom="dll_missing"),
    "bitness_mismatch": dict(koff_bitness="x86"),
    "version_mismatch": dict(koff_version="10.0.2"),
    "unsupported_os": dict(symptom="init_error_after_upgrade", windows_version="8.1"),
    "registry_severed_by_update": dict(recent_update="windows"),
    "profile_corrupt": dict(symptom="stuck_loading_profile"),
}
RAW_KEYS = re.compile(r"\b(office_bitness|office_version|office_install|koff_bitness|dll_path|"
                      r"previous_installer|allow_downgrade)\b")


def scans():
    intact = json.load(open(os.path.join(FIX, "intact.json")))
    interrupted = copy.deepcopy(intact)
    # Two Uninstall entries of the connector: an upgrade that did not finish.
    entries = interrupted["facts"]["connector"]["entries"]
    entries.append(dict(entries[0], version="10.0.6", code="{6F1E3C2A-0064-4B7E-9A51-000000001006}"))
    low = copy.deepcopy(intact)
    low["facts"]["disk"]["free_bytes"] = 100 << 20
    return {"koff_removed": json.load(open(os.path.join(FIX, "connector-removed.json"))),
            "interrupted_upgrade": interrupted, "low_disk_space": low}


def outcome_page(srv, tok, body):
    r = srv.request("POST", "/api/wizard", body=json.dumps(body),
                    headers={"Content-Type": "application/json", "X-CSRF-Token": tok})
    st = r.json() if r.status == 201 else {}
    sid = st.get("id") or st.get("session")
    return (st.get("outcome") or {}).get("id"), srv.get(f"/wizard/{sid}").text


def check_outcome(want, got, html):
    t.check(f"{want}: reached", got == want, got)
    out = html[html.find('class="wizard-outcome"'):]
    first = out.find('id="wizard-first-h"')
    then = out.find('id="wizard-then-h"')
    primaries = re.findall(r'class="button button-primary"[^>]*href="([^"]+)"|'
                           r'href="([^"]+)"[^>]*class="button button-primary"', out)
    buttons = re.findall(r'<a class="button[^"]*"', out)
    t.check(f"{want}: What to do first, then If that did not help", 0 <= first < then, (first, then))
    t.check(f"{want}: one primary button, and it is the first button", len(primaries) == 1
            and buttons and "button-primary" in buttons[0], (primaries, buttons[:3]))
    t.check(f"{want}: Contact support is a visible button", re.search(
        r'<a class="button button-secondary" href="/wizard/[0-9a-f]+/ticket">Contact support</a>',
        out) is not None)
    t.check(f"{want}: no raw parameter keys", not RAW_KEYS.search(out), RAW_KEYS.findall(out)[:3])
    return primaries[0][0] or primaries[0][1] if primaries else ""


def test_fixed():
    """After a repair that ran (the scripted backend: it succeeds), "Did this fix it?": yes is
    thanked, no leads to "If that did not help"; both are in the ticket's history."""
    import time
    srv = Server(pre=["--backend", "script:ok"])
    try:
        srv.login()
        tok = srv.csrf()
        r = srv.request("POST", "/api/wizard", body=json.dumps({"scan": False, "answers": dict(
            BASE, symptom="stuck_loading_profile")}), headers={"Content-Type": "application/json",
                                                               "X-CSRF-Token": tok})
        sid = r.json().get("session")
        r = srv.request("POST", "/api/actions/reset-koff-cache/run", body=json.dumps(
            {"params": {"profile": "Outlook"}, "session": sid, "confirm": True}),
            headers={"Content-Type": "application/json", "X-CSRF-Token": tok})
        run = r.json().get("run", "")
        for _ in range(100):
            if srv.get(f"/api/runs/{run}").json().get("state") not in ("queued", "running"):
                break
            time.sleep(0.1)
        page = srv.get(f"/runs/{run}")
        t.check("after a repair: Did this fix it?", page.status == 200
                and "Did this fix it?" in page.text and 'value="yes"' in page.text, page.status)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        r = srv.request("POST", f"/runs/{run}/fixed", headers=form,
                        body=f"csrf_token={srv.csrf()}&answer=maybe")
        t.check("an answer other than yes or no: 400", r.status == 400, r.status)
        r = srv.request("POST", f"/runs/{run}/fixed", headers=form,
                        body=f"csrf_token={srv.csrf()}&answer=no")
        t.check("no: on to If that did not help", r.status == 303 and r.header("Location")
                == f"/wizard/{sid}?at=result#wizard-then-h", r.header("Location"))
        r = srv.request("POST", f"/runs/{run}/fixed", headers=form,
                        body=f"csrf_token={srv.csrf()}&answer=yes")
        t.check("yes: thanked on the run's page", r.status == 303
                and srv.get(r.header("Location")).text.count("Good to hear") == 1, r.status)
        ticket = srv.get(f"/api/tickets/{sid}?format=json").json()
        said = [(h.get("kind"), h.get("node"), h.get("answer")) for h in ticket.get("history", [])]
        t.check("the ticket's history has both answers", ("fixed", "reset-koff-cache", "no") in said
                and ("fixed", "reset-koff-cache", "yes") in said, said[-4:])
    finally:
        srv.stop()


def main():
    test_fixed()
    srv = Server()
    try:
        srv.login()
        tok = srv.csrf()
        for want, over in ANSWERS.items():
            answers = dict(BASE, **over)
            got, html = outcome_page(srv, tok, {"scan": False, "answers": answers})
            href = check_outcome(want, got, html)
            if want.startswith("av_") or want == "possible_malware":
                t.check(f"{want}: the first step is the DLL check", href.startswith("/dll-check"), href)
        for want, scan in scans().items():
            got, html = outcome_page(srv, tok, {"scan": scan})
            check_outcome(want, got, html)
        got, html = outcome_page(srv, tok, {"scan": False, "answers": dict(BASE, koff_bitness="x86")})
        t.check("parameters in words: Office bitness 64-bit (x64)",
                "<dt>Office bitness</dt><dd>64-bit (x64)</dd>" in html,
                re.findall(r"<dt>.*?</dd>", html)[:4])
        r = srv.get("/actions/reinstall-koff?office_version=365&office_bitness=x64")
        opts = re.findall(r"<option value=\"([^\"]*)\"[^>]*>([^<]*)</option>", r.text)
        t.check("the review form: each choice in words, the value kept for the form",
                ("365", "Microsoft 365") in opts and ("x64", "64-bit (x64)") in opts
                and all(v != text for v, text in opts if v), opts)

        r = srv.get("/wizard", cookies={})
        t.check("without the token: 401, 'Open koffix again', no token jargon", r.status == 401
                and "Open koffix again" in r.text and "?token=" not in r.text
                and "Error 401" not in r.text, r.text[:300])
        nav = r.text[r.text.find('<nav class="site-nav"'):r.text.find("</nav>", r.text.find('<nav class="site-nav"'))]
        t.check("without the token: the menu offers no page that needs it", all(
            p not in nav for p in ('href="/wizard"', 'href="/scan"', 'href="/actions"', 'href="/dll-check"')), nav)
        r = srv.get("/", cookies={})
        t.check("home without the token: no wizard deep links", "/wizard?symptom=" not in r.text)
        r = srv.get("/")
        t.check("home with the token: one Start here per symptom, the wizard at hand",
                r.text.count('class="card-start"') == 6 and r.text.count("/wizard?symptom=") == 6
                and 'href="/dll-check"' in r.text, r.text.count('class="card-start"'))
        jar = {k: v for k, v in srv.cookie.items() if k != "koffix_wizard"}
        r = srv.get("/support", cookies=jar)
        t.check("contact support without a session: the wizard first, or a ticket now",
                r.status == 200 and 'href="/wizard"' in r.text and 'action="/support"' in r.text,
                r.status)
        r = srv.request("POST", "/support", body=f"csrf_token={srv.csrf()}", cookies=jar,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        loc = r.header("Location") or ""
        t.check("a ticket now: a new session's ticket page", r.status == 303
                and re.match(r"/wizard/[0-9a-f]{32}/ticket$", loc), (r.status, loc))
        sid = loc.split("/")[2] if loc else ""
        page = srv.get(loc, cookies=jar)
        t.check("and that page offers the e-mail at once", page.status == 200
                and "button button-primary" in page.text and "format=eml" in page.text, page.status)
        r = srv.get("/support", cookies=dict(jar, koffix_wizard=sid))
        t.check("contact support with a session: its ticket page", r.status == 303
                and r.header("Location") == loc, r.header("Location"))
        r = srv.get("/favicon.ico")
        t.check("the favicon", r.status == 200 and r.header("Content-Type") == "image/svg+xml"
                and r.text.startswith("<svg"), r.status)
    finally:
        srv.stop()
    t.done()


main()
