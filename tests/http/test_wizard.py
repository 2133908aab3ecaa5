# SPDX-License-Identifier: MIT
"""The wizard over HTTP: the JSON API and the pages, against the real server on port 0.

- every golden transcript (shipped flow and the unrelated printer fixture) replayed through
  the JSON API, ending in the expected outcome, why, articles and actions;
- detection (a --detected file with four answers): shown as detected, not asked, correctable;
- back, breadcrumb jumps, resume after a server restart, deep links and pre-answers;
- every bad input of the wizard API with its status, and the session unchanged;
- the plain-form pages without JavaScript; an invalid flow stops the server from starting.
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import KOFFIX, ROOT, Checks, Server  # noqa: E402

t = Checks("wizard-http")
FIX = os.path.join(ROOT, "tests", "fixtures", "printer")
FENCE = "`" * 32


def goldens(path):
    text = open(path, encoding="utf-8").read()
    out = []
    for m in re.finditer(FENCE + r" example\n(.*?)\n" + FENCE, text, re.S):
        inp, _, want = m.group(1).partition("\n.\n")
        out.append((inp.splitlines(), want.strip().splitlines()))
    return out


class Api:
    def __init__(self, srv):
        self.srv = srv
        srv.login()
        self.tok = srv.csrf()

    def post(self, path, body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        r = self.srv.request("POST", path, body=data,
                             headers={"Content-Type": "application/json",
                                      "X-CSRF-Token": self.tok})
        return r

    def get(self, path):
        return self.srv.get(path)


def describe(state):
    o = state["outcome"]
    if not o:
        return [f"node: {state['node']}"]
    lines = [f"outcome: {o['id']}", f"why: {o['why']}",
             ("articles: " + " ".join(o["articles"])).rstrip()]
    for a in o["actions"]:
        params = " ".join(f"{k}={v}" for k, v in sorted(a["params"].items()))
        lines.append(f"action: {a['id']} {params}".rstrip())
    return lines


def replay(api, inputs):
    presets = {}
    for line in inputs:
        if line.startswith("preset:"):
            k, _, v = line[7:].partition("=")
            presets[k] = v
    r = api.post("/api/wizard", {"answers": presets} if presets else None)
    if r.status != 201:
        return None, f"create: {r.status} {r.text}"
    sid = r.json()["session"]
    for line in inputs:
        if line.startswith(("preset:", "detected:")):
            continue
        if line.startswith("back"):
            body = {"node": line[5:]} if line.startswith("back:") else None
            r = api.post(f"/api/wizard/{sid}/back", body)
        else:
            node, _, value = line.partition("=")
            r = api.post(f"/api/wizard/{sid}/answer", {"node": node, "answer": value})
        if r.status != 200:
            return None, f"{line}: {r.status} {r.text}"
    return api.get(f"/api/wizard/{sid}").json(), None


def run_goldens(srv, golden, label):
    api = Api(srv)
    examples = goldens(golden)
    t.check(f"{label}: golden examples found", len(examples) >= 8, len(examples))
    for n, (inputs, want) in enumerate(examples, 1):
        if any(x.startswith("detected:") for x in inputs):
            continue  # detection comes from the server's --detected file, tested below
        state, err = replay(api, inputs)
        got = describe(state) if state else [err]
        t.check(f"{label} example {n} over HTTP", got == [w.rstrip() for w in want],
                f"\nwant {want}\ngot  {got}")


def test_detection_and_bad_input():
    det = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({"office_version": "2016", "office_bitness": "x86", "windows_version": "10",
               "outlook_kind": "classic"}, det)
    det.close()
    srv = Server(extra=("--detected", det.name))
    try:
        api = Api(srv)
        r = api.post("/api/wizard")
        t.check("create is 201", r.status == 201, r.status)
        s = r.json()
        sid = s["session"]
        t.check("state has the contract's keys",
                {"session", "node", "question", "kind", "options", "detected", "path",
                 "outcome"} <= set(s), sorted(s))
        t.check("first question is the symptom, single choice",
                s["node"] == "symptom" and s["kind"] == "choice", s["node"])
        r = api.post(f"/api/wizard/{sid}/answer", {"node": "symptom", "answer": "mapi_load_error"})
        s = r.json()
        asked = []
        for _ in range(30):
            if s["outcome"]:
                break
            asked.append(s["node"])
            opts = [o["value"] for o in s["options"]]
            ans = "unknown" if "unknown" in opts else (opts[0] if opts else "")
            s = api.post(f"/api/wizard/{sid}/answer", {"node": s["node"], "answer": ans}).json()
        detected = {p["node"]: p["answer"] for p in s["path"] if p["source"] == "detected"}
        t.check("four detected answers are in the path as detected",
                detected == {"office_version": "2016", "office_bitness": "x86",
                             "windows_version": "10", "outlook_kind": "classic"}, detected)
        t.check("detected questions are not asked",
                not set(asked) & set(detected), asked)
        # Correct one: go back to it, it is asked with the detected value, answer differently.
        r = api.post(f"/api/wizard/{sid}/back", {"node": "office_bitness"})
        s = r.json()
        t.check("back to a detected question asks it",
                r.status == 200 and s["node"] == "office_bitness" and s["detected"] == "x86",
                s.get("node"))
        page = srv.get(f"/wizard/{sid}")
        t.check("page shows the detected value", "Detected" in page.text or "detected" in page.text)
        s = api.post(f"/api/wizard/{sid}/answer", {"node": "office_bitness", "answer": "x64"}).json()
        src = {p["node"]: (p["answer"], p["source"]) for p in s["path"]}
        t.check("correction recorded as answered", src["office_bitness"] == ("x64", "answered"),
                src.get("office_bitness"))
        t.check("later detected answers still detected",
                src.get("windows_version") == ("10", "detected"), src)

        before = api.get(f"/api/wizard/{sid}").json()
        cases = [
            ("unknown session", "POST", "/api/wizard/" + "0" * 32 + "/answer",
             {"node": "x", "answer": "y"}, 404),
            ("malformed session", "POST", "/api/wizard/not-a-session/answer",
             {"node": "x", "answer": "y"}, 404),
            ("malformed session GET", "GET", "/api/wizard/%27%3Bdrop", None, 404),
            ("answer not offered", "POST", f"/api/wizard/{sid}/answer",
             {"node": s["node"] or "x", "answer": "bogus-value"}, 400),
            ("node not current", "POST", f"/api/wizard/{sid}/answer",
             {"node": "symptom", "answer": "av_flagged"}, 409),
            ("malformed body", "POST", f"/api/wizard/{sid}/answer", "{not json", 400),
            ("body not an object", "POST", f"/api/wizard/{sid}/answer", "[1,2]", 400),
            ("missing answer", "POST", f"/api/wizard/{sid}/answer", {"node": "symptom"}, 400),
            ("answer not a string", "POST", f"/api/wizard/{sid}/answer",
             {"node": "symptom", "answer": 3}, 400),
            ("back to unanswered node", "POST", f"/api/wizard/{sid}/back", {"node": "nope"}, 409),
            ("back node not a string", "POST", f"/api/wizard/{sid}/back", {"node": 1}, 400),
            ("NUL inside an answer", "POST", f"/api/wizard/{sid}/answer",
             '{"node": "symptom", "answer": "mapi_load_error\\u0000x"}', 400),
            ("create with bad preset value", "POST", "/api/wizard",
             {"answers": {"office_version": "1999"}}, 400),
            ("create with unknown preset", "POST", "/api/wizard", {"answers": {"colour": "red"}}, 400),
            ("create with answers not an object", "POST", "/api/wizard", {"answers": [1]}, 400),
        ]
        if s["outcome"]:
            cases[3] = ("answer after the outcome", "POST", f"/api/wizard/{sid}/answer",
                        {"node": "symptom", "answer": "av_flagged"}, 409)
        db = os.path.join(srv.tmp, "data", "koffix.db")
        count = lambda: sqlite3.connect(db).execute("SELECT count(*) FROM wizard_sessions").fetchone()[0]
        n_before = count()
        for name, method, path, body, want in cases:
            if method == "GET":
                r = api.get(path)
            else:
                r = api.post(path, raw=body if isinstance(body, str) else None,
                             body=None if isinstance(body, str) else body)
            ok = r.status == want and "error" in r.json() and "detail" in r.json()
            t.check(f"bad input: {name} is {want} with a JSON error", ok, (r.status, r.text[:200]))
        t.check("bad inputs changed nothing", api.get(f"/api/wizard/{sid}").json() == before)
        t.check("refused creations made no session", count() == n_before)
        r = srv.request("POST", f"/api/wizard/{sid}/answer",
                        body=json.dumps({"node": "symptom", "answer": "x"}),
                        headers={"Content-Type": "application/json"})
        t.check("answer without CSRF refused", r.status == 403, r.status)
        r = srv.request("POST", "/api/wizard", body="",
                        headers={"X-CSRF-Token": api.tok},
                        cookies={k: v for k, v in srv.cookie.items() if k != "koffix_token"})
        t.check("create without launch token is 401", r.status == 401, r.status)
        r = srv.get(f"/api/wizard/{sid}/answer")
        t.check("GET on answer is 405", r.status == 405, r.status)

        # Resume after a restart: the same data folder, a new process.
        srv.proc.terminate()
        srv.proc.wait()
        srv2 = Server(data=os.path.join(srv.tmp, "data"), token="resume-token-123")
        try:
            r = srv2.get(f"/api/wizard/{sid}",
                         headers={"Authorization": "Bearer resume-token-123"})
            t.check("session resumes after a server restart",
                    r.status == 200 and r.json() == before, (r.status, r.text[:200]))
        finally:
            srv2.stop()
    finally:
        srv.stop()
        os.unlink(det.name)


def test_pages_without_js():
    srv = Server()
    try:
        srv.login()
        tok = srv.csrf()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        r = srv.get("/wizard?office_version=365&office_bitness=x64")
        t.check("deep link start page lists the pre-answers",
                r.status == 200 and 'name="preset_office_version"' in r.text and "365" in r.text,
                r.text[:300])
        r = srv.get("/wizard?colour=red")
        t.check("deep link with an unknown question is 400", r.status == 400, r.status)
        r = srv.request("POST", "/wizard", headers=form,
                        body=f"csrf_token={tok}&flow=kofmsp&preset_office_version=365"
                             "&preset_office_bitness=x64")
        t.check("start form redirects to the session's first step (its own address)",
                r.status == 303 and re.match(r"/wizard/[0-9a-f]{32}\?at=symptom$",
                                             r.header("Location") or ""), r.header("Location"))
        first = r.header("Location")
        loc = first.split("?")[0]
        sid = loc.rsplit("/", 1)[1]
        srv.cookie.update(r.cookies())
        page = srv.get(first)
        t.check("step page asks the symptom with radio buttons",
                page.status == 200 and 'type="radio"' in page.text and 'name="answer"' in page.text,
                page.text[:300])
        r = srv.request("POST", f"{loc}/answer", headers=form,
                        body=f"csrf_token={tok}&node=symptom&answer=mapi_load_error")
        t.check("answer form redirects to the next step's own address", r.status == 303 and
                r.header("Location") == f"{loc}?at=dll_present", r.header("Location"))
        state = srv.get(f"/api/wizard/{sid}").json()
        for _ in range(10):  # answer until the pre-answered questions are behind us
            if state["outcome"] or state["node"] == "windows_version":
                break
            opts = [o["value"] for o in state["options"]]
            state = srv.request("POST", f"/api/wizard/{sid}/answer",
                                body=json.dumps({"node": state["node"],
                                                 "answer": "unknown" if "unknown" in opts
                                                 else (opts[0] if opts else "")}),
                                headers={"X-CSRF-Token": tok}).json()
        presets = {p["node"]: p["answer"] for p in state["path"] if p["source"] == "preset"}
        t.check("deep-link answers used as pre-answers",
                presets == {"office_version": "365", "office_bitness": "x64"}, presets)
        t.check("pre-answered questions were not asked",
                state["node"] not in ("office_version", "office_bitness"), state["node"])
        r = srv.request("POST", f"{loc}/answer", headers=form,
                        body=f"csrf_token={tok}&node={state['node']}")
        t.check("no answer chosen: 400 page with an alert",
                r.status == 400 and 'role="alert"' in r.text, r.status)
        r = srv.request("POST", f"{loc}/answer", headers=form,
                        body=f"csrf_token={tok}&node=server_version&answer=10.0.6")
        t.check("stale form (a question not in this session): 409 page showing where it is",
                r.status == 409 and 'role="alert"' in r.text, r.status)
        before = srv.get(f"/api/wizard/{sid}").json()
        page = srv.get(f"{loc}?at=symptom")
        t.check("an earlier step's address shows that question with its answer chosen",
                page.status == 200 and re.search(r'value="mapi_load_error"[^>]*checked', page.text)
                and "You came back to an earlier question" in page.text, page.status)
        t.check("and changes nothing", srv.get(f"/api/wizard/{sid}").json() == before)
        r = srv.request("POST", f"{loc}/answer", headers=form,
                        body=f"csrf_token={tok}&node=symptom&answer=outlook_wont_start")
        after = srv.get(f"/api/wizard/{sid}").json()
        kept = {p["node"]: p["answer"] for p in after["path"]}
        t.check("answering an earlier step changes it and keeps the later answers that fit",
                r.status == 303 and kept.get("symptom") == "outlook_wont_start"
                and all(kept.get(p["node"]) == p["answer"] for p in before["path"]
                        if p["node"] != "symptom"), (r.status, kept, before["path"]))
        r = srv.request("POST", f"{loc}/back", headers=form, body=f"csrf_token={tok}&node=symptom")
        t.check("breadcrumb jump redirects", r.status == 303, r.status)
        state = srv.get(f"/api/wizard/{sid}").json()
        t.check("jump cut later answers", state["node"] == "symptom" and state["path"] == [],
                state["path"])
        page = srv.get("/wizard")
        t.check("start page offers to resume", f"/wizard/{sid}" in page.text)
        r = srv.get("/wizard/" + "f" * 32)
        t.check("unknown session page is 404", r.status == 404, r.status)
        # The malware outcome leads to the DLL check's own page, tied to the session.
        r = srv.request("POST", "/api/wizard", body=json.dumps({"answers": {
            "symptom": "av_flagged", "dll_location": "temp_or_downloads",
            "dll_signature": "unsigned", "dll_present": "yes"}}),
            headers={"X-CSRF-Token": tok, "Content-Type": "application/json"})
        msid = r.json()["session"]
        t.check("pre-answers alone reach possible_malware",
                (r.json()["outcome"] or {}).get("id") == "possible_malware", r.text[:200])
        page = srv.get(f"/wizard/{msid}")
        t.check("possible_malware offers the DLL check page for this session",
                f'href="/dll-check?session={msid}"' in page.text
                and "reinstall-koff" not in page.text, page.text[-2000:])
        r = srv.get(f"/dll-check?session={msid}")
        t.check("the DLL check page opens for the session", r.status == 200, r.status)
        # Regression: a vote right after wizard writes (two connections on one database).
        srv.get("/kb/reset-koff-cache")
        r = srv.request("POST", "/kb/reset-koff-cache/feedback", headers=form,
                        body=f"csrf_token={tok}&helpful=yes")
        t.check("vote after wizard writes", r.status == 303, r.status)
    finally:
        srv.stop()


def test_invalid_flow_refused():
    tmp = tempfile.mkdtemp(prefix="koffix-badflow-")
    os.makedirs(os.path.join(tmp, "flows"))
    os.makedirs(os.path.join(tmp, "data"))
    flow = json.load(open(os.path.join(FIX, "flows", "printer.json")))
    first = flow["start"]
    node = flow["nodes"][first]
    node["next"] = "nowhere"
    json.dump(flow, open(os.path.join(tmp, "flows", "bad.json"), "w"))
    for f in os.listdir(os.path.join(FIX, "data")):
        shutil.copy(os.path.join(FIX, "data", f), os.path.join(tmp, "data"))
    common = ["--kb", os.path.join(FIX, "kb"), "--catalogue", os.path.join(FIX, "catalogue.json"),
              "--flows", os.path.join(tmp, "flows"), "--data", os.path.join(tmp, "state")]
    serve = subprocess.run([KOFFIX, *common, "serve", "--port", "0"], capture_output=True,
                           text=True, timeout=30)
    check = subprocess.run([KOFFIX, *common, "flow", "check"], capture_output=True, text=True,
                           timeout=30)
    msg = re.compile(r"bad\.json: node '%s': .*goes to unknown node 'nowhere'" % first)
    t.check("server refuses an invalid flow", serve.returncode == 1 and msg.search(serve.stderr),
            serve.stderr)
    t.check("flow check names the node", check.returncode == 1 and msg.search(check.stderr),
            check.stderr)
    t.check("server and flow check say the same",
            msg.search(serve.stderr) and msg.search(check.stderr)
            and msg.search(serve.stderr).group(0) == msg.search(check.stderr).group(0))
    good = subprocess.run([KOFFIX, "flow", "check"], capture_output=True, text=True, timeout=30)
    t.check("shipped flow passes flow check", good.returncode == 0 and "ok:" in good.stdout,
            good.stderr)
    shutil.rmtree(tmp)


def main():
    srv = Server()
    try:
        run_goldens(srv, os.path.join(ROOT, "tests", "golden", "wizard-kofmsp.txt"), "kofmsp")
    finally:
        rc = srv.stop()
    t.check("server exits cleanly", rc == 0, rc)
    # The unrelated printer flow, its KB and catalogue, through the same API.
    srv = Server(kb_dir=os.path.join(FIX, "kb"), pre=["--flows", os.path.join(FIX, "flows"),
                                                       "--catalogue",
                                                       os.path.join(FIX, "catalogue.json")])
    try:
        run_goldens(srv, os.path.join(ROOT, "tests", "golden", "wizard-printer.txt"), "printer")
        r = srv.get("/")
        t.check("fixture KB served as the help page", r.status == 200)
    finally:
        srv.stop()
    test_detection_and_bad_input()
    test_pages_without_js()
    test_invalid_flow_refused()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
