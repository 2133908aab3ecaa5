# SPDX-License-Identifier: MIT
"""Repair actions over HTTP and the CLI, against the real server on port 0.

- refusals: no CSRF token (403), no launch token (401), no confirmation (400), unknown action
  (404), a bad parameter (400 naming it), GET on a POST route (405), a second run while one is
  going on (409);
- a plan-backend run reaches "succeeded" with dry_run; the SSE stream delivers every step in
  order and ends;
- the scripted backend: a failing step stops the run, earlier steps are undone, the journal
  says why; undo of a succeeded run; the pages (review, run, result) without JavaScript;
- a CLI run killed between a step's "started" and "finished" rows leaves a run that the next
  start finds ("interrupted") and that rolls back;
- the preflight: a blocked check refuses the run (409 with the checks, `actions run` exit 1)
  and records nothing; the plan JSON, the review page and the consent text agree with each
  step's declared undo; a preview (dry run) has no Undo;
- one active run across processes: 50 runs started at once from the CLI and over HTTP, and at
  no moment more than one active.
"""
import threading
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import KOFFIX, Checks, Server  # noqa: E402

t = Checks("actions-http")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Api:
    def __init__(self, srv):
        self.srv = srv
        srv.login()
        self.tok = srv.csrf()

    def post(self, path, body=None, headers=None, cookies=None):
        h = {"Content-Type": "application/json", "X-CSRF-Token": self.tok}
        h.update(headers or {})
        return self.srv.request("POST", path, body=json.dumps(body) if body is not None else "",
                                headers=h, cookies=cookies)

    def wait(self, run, states=("succeeded", "failed", "undone", "interrupted"), timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            r = self.srv.get(f"/api/runs/{run}").json()
            if r["state"] in states:
                return r
            time.sleep(0.1)
        return self.srv.get(f"/api/runs/{run}").json()


def sse(srv, run, timeout=30):
    """The (event, data) pairs of a run's event stream, until it ends."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    c.request("GET", f"/api/runs/{run}/events",
              headers={"Host": f"127.0.0.1:{srv.port}", "Authorization": f"Bearer {srv.token}"})
    resp = c.getresponse()
    ctype = resp.getheader("Content-Type")
    events, event = [], None
    for raw in resp:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            events.append((event, json.loads(line[6:])))
            if event == "end":
                break
    c.close()
    return ctype, events


def test_plan_backend():
    srv = Server()
    try:
        api = Api(srv)
        r = srv.get("/api/actions")
        ids = [a["id"] for a in r.json()["actions"]]
        t.check("catalogue lists the six actions",
                ids == ["reinstall-koff", "rebuild-profile", "reregister-mapi", "reset-koff-cache",
                        "check-dll", "collect-diagnostics"], ids)
        r = api.post("/api/actions/rebuild-profile/plan", {"params": {"office_version": "2013",
                                                                      "colour": "red"}})
        p = r.json()
        t.check("plan answers the steps and warns about unknown parameters",
                r.status == 200 and len(p["plan"]) == 6 and "colour" in p["warnings"][0]
                and "15.0" in json.dumps(p["plan"]), r.text[:300])
        good = {"params": {"office_version": "2016"}, "confirm": True}
        refusals = [
            ("no CSRF token", api.post("/api/actions/rebuild-profile/run", good,
                                       headers={"X-CSRF-Token": None}), 403, None),
            ("foreign Origin", api.post("/api/actions/rebuild-profile/run", good,
                                        headers={"Origin": "http://evil.example"}), 403, None),
            ("no launch token", api.post("/api/actions/rebuild-profile/run", good,
                                         cookies={k: v for k, v in srv.cookie.items()
                                                  if k != "koffix_token"}), 401, None),
            ("no confirmation", api.post("/api/actions/rebuild-profile/run",
                                         {"params": {"office_version": "2016"}}), 400,
             "confirm"),
            ("confirmation not true", api.post("/api/actions/rebuild-profile/run",
                                               {"params": {"office_version": "2016"},
                                                "confirm": "yes"}), 400, "confirm"),
            ("unknown action", api.post("/api/actions/format-disk/run", good), 404, None),
            ("bad parameter", api.post("/api/actions/rebuild-profile/run",
                                       {"params": {"office_version": "1999"}, "confirm": True}),
             400, "'office_version'"),
            ("missing required parameter", api.post("/api/actions/reinstall-koff/run",
                                                    {"params": {}, "confirm": True}), 400,
             "'installer'"),
            ("path parameter not a path", api.post(
                "/api/actions/reinstall-koff/run",
                {"params": {"installer": "koff.msi & calc"}, "confirm": True}), 400, "'installer'"),
            ("malformed body", srv.request("POST", "/api/actions/rebuild-profile/run", body="{x",
                                           headers={"X-CSRF-Token": api.tok}), 400, None),
        ]
        for name, r, status, detail in refusals:
            ok = r.status == status and (detail is None or detail in r.json()["detail"])
            t.check(f"run refused: {name} ({status})", ok, (r.status, r.text[:200]))
        r = srv.get("/api/actions/rebuild-profile/run")
        t.check("GET on run is 405", r.status == 405, r.status)
        db = os.path.join(srv.tmp, "data", "koffix.db")
        runs = sqlite3.connect(db).execute("SELECT count(*) FROM repair_runs").fetchone()[0]
        t.check("refused runs recorded nothing", runs == 0, runs)

        r = api.post("/api/actions/rebuild-profile/run", good)
        t.check("run accepted with 202 and a run id",
                r.status == 202 and re.fullmatch(r"[0-9a-f]{32}", r.json()["run"]), r.text)
        run = r.json()["run"]
        ctype, events = sse(srv, run)
        steps = [d["n"] for e, d in events if e == "step" and d["state"] == "planned"]
        t.check("SSE is an event stream", ctype.startswith("text/event-stream"), ctype)
        t.check("SSE delivers every step in order", steps == [1, 2, 3, 4, 5, 6], events)
        t.check("SSE ends with the final state", events and events[-1] == ("end", {"state": "succeeded"}),
                events[-1:])
        state = api.wait(run)
        t.check("plan-backend run succeeds as a dry run",
                state["state"] == "succeeded" and state["dry_run"] is True
                and all(s["state"] == "planned" for s in state["steps"]), state)
        t.check("run state has the contract's keys",
                {"run", "action", "state", "dry_run", "steps"} <= set(state)
                and {"n", "title", "state", "output"} <= set(state["steps"][0]), sorted(state))
        page = srv.get(f"/runs/{run}")
        t.check("a preview's result page reads as a preview and offers no Undo",
                page.status == 200 and "/undo" not in page.text and "preview" in page.text
                and "restored what it saved" not in page.text, page.status)
        r = api.post(f"/api/runs/{run}/undo")
        t.check("undo of a preview is 409: it changed nothing", r.status == 409
                and "preview" in r.json()["detail"], r.text[:300])
        t.check("unknown run is 404", srv.get("/api/runs/" + "0" * 32).status == 404)
        t.check("malformed run id is 404", srv.get("/api/runs/..%2f").status == 404)

        # The review page, from a wizard session's outcome, without JavaScript.
        r = api.post("/api/wizard", {"answers": {"symptom": "stuck_loading_profile"}})
        sid = r.json()["session"]
        page = srv.get(f"/actions/rebuild-profile?session={sid}&office_version=2010")
        t.check("review page shows the plan in plain words",
                page.status == 200 and "Windows Messaging Subsystem" not in page.text
                or "Profiles" in page.text, page.status)
        t.check("review page asks for confirmation",
                'name="confirm"' in page.text and "administrator" in page.text.lower()
                or 'name="confirm"' in page.text, page.text[:200])
        r = srv.request("POST", "/actions/rebuild-profile/run", headers=FORM,
                        body=f"csrf_token={api.tok}&office_version=2016")
        t.check("form run without the confirmation box is 400", r.status == 400, r.status)
        r = srv.request("POST", "/actions/rebuild-profile/run", headers=FORM,
                        body=f"csrf_token={api.tok}&office_version=2016&confirm=yes&session={sid}")
        t.check("form run redirects to its progress page",
                r.status == 303 and re.fullmatch(r"/runs/[0-9a-f]{32}", r.header("Location") or ""),
                r.status)
        run2 = r.header("Location").rsplit("/", 1)[1]
        done = api.wait(run2)
        t.check("form run is tied to the wizard session", done["session"] == sid, done.get("session"))
        r = srv.get("/actions/reset-koff-cache/script.cmd?profile=a%26b")
        t.check(".cmd download", r.status == 200 and b"set P_profile=a^&b" in r.body
                and "attachment" in (r.header("Content-Disposition") or ""), r.body[:100])
    finally:
        rc = srv.stop()
    t.check("server exits cleanly", rc == 0, rc)


def test_script_backend():
    os.environ["KOFFIX_STEP_TIMEOUT"] = "2"
    srv = Server(pre=["--backend", "script:fail:5"])
    try:
        api = Api(srv)
        run = api.post("/api/actions/rebuild-profile/run",
                       {"params": {"office_version": "2016"}, "confirm": True}).json()["run"]
        r = api.wait(run)
        states = [s["state"] for s in r["steps"]]
        t.check("failing step stops the run, earlier changes undone",
                r["state"] == "failed" and states == ["succeeded", "succeeded", "succeeded",
                                                      "undone", "undone", "pending"], states)
        t.check("the journal says why", "step 5 failed" in r["error"]
                and "undone" in r["error"], r["error"])
    finally:
        srv.stop()
    srv = Server(pre=["--backend", "script:hang:2"])
    try:
        api = Api(srv)
        run = api.post("/api/actions/rebuild-profile/run",
                       {"params": {"office_version": "2016"}, "confirm": True}).json()["run"]
        r = api.post("/api/actions/reset-koff-cache/run", {"params": {"profile": "x"},
                                                           "confirm": True})
        t.check("a second run while one is going on is 409", r.status == 409, r.status)
        for _ in range(100):  # until step 2 has said something (scripted steps are instant)
            live = srv.get(f"/api/runs/{run}").json()["steps"][1]
            if live["output"]:
                break
            time.sleep(0.1)
        t.check("a running step's output shows while it runs (the journal is updated live)",
                live["state"] == "started"
                and live["output"] == "scripted step 2 is still working", live)
        ctype, events = sse(srv, run)
        steps2 = [d for e, d in events if e == "step" and d["n"] == 2]
        t.check("the event stream carries the running step's output, then its end",
                steps2 and steps2[0]["state"] == "started"
                and steps2[0]["output"] == "scripted step 2 is still working"
                and steps2[-1]["state"] in ("failed", "undone"),
                [(d["state"], d["output"][:60]) for d in steps2])
        r = api.wait(run, timeout=20)
        t.check("a hung step times out and the run fails",
                r["state"] == "failed" and "did not finish" in r["error"], r.get("error"))
    finally:
        srv.stop()
        del os.environ["KOFFIX_STEP_TIMEOUT"]


def test_killed_mid_step():
    data = tempfile.mkdtemp(prefix="koffix-kill-")
    try:
        killed_mid_step(data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def killed_mid_step(data):
    proc = subprocess.Popen([KOFFIX, "--data", data, "--backend", "script:hang:2", "actions",
                             "run", "rebuild-profile", "--param", "office_version=2016", "--yes"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = os.path.join(data, "koffix.db")
    run = None
    for _ in range(300):
        time.sleep(0.1)
        try:
            row = sqlite3.connect(db).execute(
                "SELECT run FROM repair_steps WHERE n = 2 AND state = 'started'").fetchone()
        except sqlite3.Error:
            row = None
        if row:
            run = row[0]
            break
    if run:
        live = subprocess.run([KOFFIX, "--data", data, "--json", "actions", "show", run],
                              capture_output=True, text=True)
        t.check("another koffix leaves a live run alone (not interrupted)",
                json.loads(live.stdout)["state"] == "running", live.stdout[:200])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    t.check("the process died with step 2 journaled started and not finished", run is not None)
    if not run:
        return
    show = subprocess.run([KOFFIX, "--data", data, "--json", "actions", "show", run],
                          capture_output=True, text=True)
    r = json.loads(show.stdout)
    t.check("the next start finds the run interrupted",
            r["state"] == "interrupted" and "interrupted" in show.stderr, (r["state"], show.stderr))
    undo = subprocess.run([KOFFIX, "--data", data, "--backend", "script", "--json", "actions",
                           "undo", run, "--yes"], capture_output=True, text=True)
    r = json.loads(undo.stdout)
    states = [s["state"] for s in r["steps"]]
    t.check("rollback completes the interrupted run",
            undo.returncode == 0 and r["state"] == "undone" and states[1] == "started"
            and states[2:] == ["pending"] * 4, (undo.returncode, states))


def test_cli():
    data = tempfile.mkdtemp(prefix="koffix-cli-")
    base = [KOFFIX, "--data", data]
    cases = [
        (["actions"], 64), (["actions", "nope"], 64), (["actions", "plan"], 64),
        (["actions", "plan", "nope"], 64), (["actions", "run", "rebuild-profile",
                                             "--param", "office_version=2016"], 64),
        (["actions", "plan", "rebuild-profile", "--param", "office_version"], 64),
        (["actions", "plan", "rebuild-profile", "--format", "xml", "--param",
          "office_version=2016"], 64),
        (["actions", "plan", "rebuild-profile"], 1),
        (["actions", "list"], 0),
        (["actions", "plan", "rebuild-profile", "--param", "office_version=2016"], 0),
        (["actions", "run", "rebuild-profile", "--param", "office_version=2016", "--yes"], 0),
        (["--backend", "agent", "actions", "list"], 1),
    ]
    for args, code in cases:
        p = subprocess.run(base + args, capture_output=True, text=True, timeout=30)
        t.check(f"koffix {' '.join(args)} exits {code}", p.returncode == code,
                (p.returncode, p.stderr[-300:]))
    # Progress on stderr while it works: each step's start with its title, then its end.
    p = subprocess.run(base + ["--backend", "script:fail:2", "actions", "run", "reset-koff-cache",
                               "--param", "profile=Outlook", "--yes"],
                       capture_output=True, text=True, timeout=30)
    lines = [x for x in p.stderr.splitlines() if x.startswith("koffix: step ")]
    t.check("actions run says each step's start and end on stderr, the undo of the failed one too",
            p.returncode == 1 and len(lines) == 6
            and lines[0].startswith("koffix: step 1 started: Check that Outlook")
            and lines[1:] == ["koffix: step 1 succeeded"] + lines[2:3] + [
                "koffix: step 2 failed", lines[4], "koffix: step 2 undone"]
            and lines[2].startswith("koffix: step 2 started: Rename")
            and lines[4].startswith("koffix: step 2 undoing: Rename"), p.stderr[-800:])
    p = subprocess.run(base + ["actions", "plan", "rebuild-profile", "--param",
                               "office_version=2016", "--param", "profile=Pröfil & \"x\" 50%!",
                               "--format", "cmd"], capture_output=True)
    t.check(".cmd export escapes a hostile profile name",
            b"set P_profile=Pr\xc3\xb6fil ^& ^\"x^\" 50%%!\r\n" in p.stdout, p.stdout[:600])
    shutil.rmtree(data, ignore_errors=True)


def test_preflight():
    """A blocked check refuses the run before step 1; a warning lets it run; the plan JSON,
    review page and consent text say what each step's undo gives back."""
    srv = Server(pre=["--backend", "script:block:installer"])
    try:
        api = Api(srv)
        params = {"installer": "C:\\koff.msi", "office_version": "2016"}
        plan = api.post("/api/actions/reinstall-koff/plan", {"params": params}).json()
        pf = {c["id"]: c["state"] for c in plan.get("preflight", [])}
        t.check("plan JSON: the preflight, every check with id, state and reason",
                pf.get("installer") == "blocked" and pf.get("programs-closed") == "ok"
                and plan.get("blocked") is True
                and all({"id", "state", "reason"} <= set(c) for c in plan["preflight"]), plan)
        undo = {s["n"]: (s["changes"], s["undo"]) for s in plan["plan"]}
        t.check("plan JSON: each step declares changes and undo (exact, partial or none)",
                undo[1] == (False, "exact") and undo[5] == (True, "none")
                and undo[6] == (True, "none") and all(s["undo_note"] for s in plan["plan"]), undo)
        t.check("plan JSON: the consent text is built from the declared undo",
                "Step 5 cannot be undone" in plan["consent"]
                and "Step 6 cannot be undone" in plan["consent"], plan.get("consent"))
        r = api.post("/api/actions/reinstall-koff/run", {"params": params, "confirm": True})
        body = r.json()
        t.check("run refused at preflight: 409 with the checks", r.status == 409
                and "changed nothing" in body["detail"] and "scripted: this check is blocked"
                in body["detail"] and any(c["state"] == "blocked" for c in body["preflight"]),
                r.text[:400])
        db = os.path.join(srv.tmp, "data", "koffix.db")
        runs = sqlite3.connect(db).execute("SELECT count(*) FROM repair_runs").fetchone()[0]
        t.check("a refused run records nothing", runs == 0, runs)
        page = srv.get("/actions/reinstall-koff?installer=C%3A%5Ckoff.msi&office_version=2016")
        t.check("review page: the checks above the steps; blocked means no run button",
                page.status == 200 and "Checked before anything changes" in page.text
                and page.text.index("Checked before anything changes")
                < page.text.index("What koffix will do")
                and "koffix will not run this repair" in page.text
                and "Run the repair" not in page.text and "Check again" in page.text, page.status)
        t.check("review page: each step's undo as a badge and in words",
                page.text.count("cannot be undone") >= 2 and "changes nothing" in page.text,
                page.status)
        r = srv.request("POST", "/actions/reinstall-koff/run", headers=FORM,
                        body="csrf_token=" + api.tok + "&confirm=yes&installer=C%3A%5Ckoff.msi")
        t.check("the form run is refused too (409), the page says why", r.status == 409
                and "changed nothing" in r.text and "Run the repair" not in r.text, r.status)
        # A plan whose every change undoes exactly says so, and promises nothing else.
        page = srv.get("/actions/reset-koff-cache?profile=Outlook")
        plan = api.post("/api/actions/reset-koff-cache/plan", {"params": {"profile": "Outlook"}})
        t.check("consent: 'can be undone exactly' only when every step's undo is exact",
                "can be undone exactly" in plan.json()["consent"]
                and "can be undone exactly" in page.text and "badge-undo-none" not in page.text
                and "badge-undo-partial" not in page.text,
                plan.text[:300])
        rr = api.post("/api/actions/reset-koff-cache/run",
                      {"params": {"profile": "Outlook"}, "confirm": True})
        t.check("a repair whose checks pass runs", rr.status == 202, rr.text[:200])
        run = api.wait(rr.json()["run"])
        t.check("the run keeps the checks it started on", run["state"] == "succeeded"
                and [c["id"] for c in run["preflight"]] == ["programs-closed", "cache-folder"],
                run.get("preflight"))
        # Undo honesty on the result page: a step that cannot be undone says so.
        rr = api.post("/api/actions/reregister-mapi/run", {"params": {}, "confirm": True})
        run = api.wait(rr.json()["run"])
        page = srv.get(f"/runs/{run['run']}")
        t.check("result page: the step that cannot be undone shows its note before the undo",
                "Windows Installer has no undo" in page.text and "/undo" in page.text, page.status)
        r = api.post(f"/api/runs/{run['run']}/undo")
        done = api.wait(run["run"], ("undone", "failed"))
        page = srv.get(f"/runs/{run['run']}")
        t.check("after undo: 'as far as it can be', the step marked not undone",
                done["state"] == "undone" and done["undo_complete"] is False
                and done["steps"][4]["state"] == "not-undone"
                and "undone as far as it can be" in page.text, (done["state"], done.get("error")))
    finally:
        srv.stop()
    base = [KOFFIX, "--data", tempfile.mkdtemp(prefix="koffix-pf-"), "--backend",
            "script:block:installer"]
    p = subprocess.run(base + ["actions", "run", "reinstall-koff", "--param",
                               "installer=C:\\koff.msi", "--yes"], capture_output=True, text=True)
    t.check("actions run: a blocked check exits 1, names it, prints no run", p.returncode == 1
            and "[blocked]" in p.stderr and "scripted: this check is blocked" in p.stderr
            and not p.stdout.strip(), (p.returncode, p.stderr[-400:]))
    p = subprocess.run(base + ["actions", "plan", "reinstall-koff", "--param",
                               "installer=C:\\koff.msi", "--format", "json"], capture_output=True,
                       text=True)
    plan = json.loads(p.stdout or "{}")
    t.check("actions plan --format json: plan, preflight and consent",
            p.returncode == 0 and plan.get("preflight") and plan.get("plan")
            and "cannot be undone" in plan.get("consent", ""), p.stdout[:300])
    shutil.rmtree(base[2], ignore_errors=True)


def test_one_run_race():
    """50 runs started at once, half from `koffix actions run` processes and half over HTTP,
    all on one data folder: exactly one is created, and at no moment is more than one active
    (the rule lives in the transaction that creates a run)."""
    srv = Server(pre=["--backend", "script:hang:1"], env=dict(os.environ, KOFFIX_STEP_TIMEOUT="4"))
    try:
        api = Api(srv)
        data = os.path.join(srv.tmp, "data")
        db = os.path.join(data, "koffix.db")
        most, stop = [0], threading.Event()

        def watch():
            con = sqlite3.connect(db, timeout=10)
            while not stop.is_set():
                try:
                    n = con.execute("SELECT count(*) FROM repair_runs WHERE state IN "
                                    "('queued', 'running')").fetchone()[0]
                    most[0] = max(most[0], n)
                except sqlite3.OperationalError:
                    pass
                time.sleep(0.002)
            con.close()

        watcher = threading.Thread(target=watch)
        watcher.start()
        results, go = [], threading.Event()

        def http_run():
            go.wait()
            r = api.post("/api/actions/reset-koff-cache/run",
                         {"params": {"profile": "Outlook"}, "confirm": True})
            results.append(("http", r.status))

        env = dict(os.environ, KOFFIX_STEP_TIMEOUT="4")
        threads = [threading.Thread(target=http_run) for _ in range(25)]
        for th in threads:
            th.start()
        go.set()
        procs = [subprocess.Popen([KOFFIX, "--data", data, "--backend", "script:hang:1",
                                   "actions", "run", "reset-koff-cache", "--param",
                                   "profile=Outlook", "--yes"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(25)]
        for th in threads:
            th.join()
        for p in procs:
            err = p.communicate(timeout=120)[1].decode(errors="replace")
            results.append(("cli", "started" if "step 1 started" in err else
                            "refused" if "one at a time" in err else err[-200:]))
        deadline = time.time() + 30
        while time.time() < deadline and sqlite3.connect(db, timeout=10).execute(
                "SELECT count(*) FROM repair_runs WHERE state IN ('queued', 'running')"
                ).fetchone()[0]:
            time.sleep(0.1)
        stop.set()
        watcher.join()
        created = sqlite3.connect(db, timeout=10).execute(
            "SELECT count(*) FROM repair_runs").fetchone()[0]
        started = [r for r in results if r[1] in (202, "started")]
        refused = [r for r in results if r[1] in (409, "refused")]
        t.check("race: of 50 runs started at once (CLI and HTTP), exactly one starts",
                len(started) == 1 and len(refused) == 49 and created == 1,
                (created, sorted(set(map(str, results)))))
        t.check("race: at no moment was more than one run active", most[0] == 1, most[0])
    finally:
        srv.stop()


def main():
    test_preflight()
    test_one_run_race()
    test_plan_backend()
    test_script_backend()
    test_killed_mid_step()
    test_cli()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
