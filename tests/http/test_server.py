# SPDX-License-Identifier: MIT
"""The server under load it must survive (run with the ASan and the TSan builds by make test).

- 200 slow clients, each holding a connection open with a header line now and then, do not
  shut out the person at the keyboard: a normal page and an API call are still answered, and
  the slow connections are cut at the header deadline;
- many threads at once on two wizard sessions: DLL-check uploads bound to them, step reads,
  answers and backs, ticket exports, repair runs (one at a time) and article views. No request
  fails with 500, the server lives, and every row afterwards is consistent: each session's
  state is its own (its flow, answers that its own history explains), DLL checks belong to
  real sessions only, and at most one run was active at any time.
"""
import json
import os
import random
import shutil
import socket
import sqlite3
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, Server  # noqa: E402

t = Checks("server-http")


def test_slow_clients():
    srv = Server()
    socks, lock, stop = [], threading.Lock(), threading.Event()
    try:
        srv.login()
        tok = srv.csrf()
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            socks.append(s)
        closed = set()

        def trickle():
            # A header line every 2 s: the idle timeout alone would never end these.
            while not stop.wait(2):
                for i, s in enumerate(socks):
                    if i in closed:
                        continue
                    try:
                        s.sendall(b"X-Slow: 1\r\n")
                    except OSError:
                        with lock:
                            closed.add(i)
        th = threading.Thread(target=trickle, daemon=True)
        th.start()
        time.sleep(1)
        r = srv.get("/")
        t.check("with 200 slow connections held, a page is still answered", r.status == 200,
                r.status)
        r = srv.request("POST", "/api/wizard", body="{}",
                        headers={"Content-Type": "application/json", "X-CSRF-Token": tok})
        t.check("with 200 slow connections held, the wizard API still answers", r.status == 201,
                r.status)
        # Past the header deadline (10 s) every slow connection is cut.
        deadline = time.time() + 25
        while time.time() < deadline and len(closed) < len(socks):
            for i, s in enumerate(socks):
                if i in closed:
                    continue
                s.settimeout(0.01)
                try:
                    if s.recv(1) == b"":
                        with lock:
                            closed.add(i)
                except socket.timeout:
                    pass
                except OSError:
                    with lock:
                        closed.add(i)
            time.sleep(0.5)
        t.check("every slow connection is cut at the header deadline", len(closed) == len(socks),
                f"{len(closed)} of {len(socks)}")
        r = srv.get("/")
        t.check("and the server still answers afterwards", r.status == 200, r.status)
    finally:
        stop.set()
        for s in socks:
            s.close()
        rc = srv.stop(keep=True)
    t.check("the server stops cleanly after the slow clients", rc == 0, (rc, srv.stderr()[-500:]))
    shutil.rmtree(srv.tmp, ignore_errors=True)


def multipart(tok, session, data):
    b = "stress" + uuid.uuid4().hex
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{tok}\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"session\"\r\n\r\n{session}\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"KofMsp32.dll\""
            "\r\nContent-Type: application/octet-stream\r\n\r\n").encode() + data + \
        f"\r\n--{b}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={b}"}


def test_stress():
    srv = Server()
    statuses, errors = {}, []
    lock = threading.Lock()
    try:
        srv.login()
        tok = srv.csrf()
        json_h = {"Content-Type": "application/json", "X-CSRF-Token": tok}

        def post(path, body):
            return srv.request("POST", path, body=json.dumps(body), headers=json_h)

        a = post("/api/wizard", {"scan": False}).json()["session"]
        b = post("/api/wizard", {"scan": False, "answers": {"symptom": "av_flagged"}}).json()["session"]
        ghost = "e" * 32
        end = time.time() + 8

        def note(kind, status):
            with lock:
                statuses.setdefault(kind, {}).setdefault(status, 0)
                statuses[kind][status] += 1

        def worker(kind):
            rnd = random.Random(kind)
            try:
                while time.time() < end:
                    sid = rnd.choice((a, b))
                    if kind.startswith("upload"):
                        target = ghost if rnd.random() < 0.2 else sid
                        body, h = multipart(tok, target, os.urandom(rnd.randint(10, 4000)))
                        r = srv.request("POST", "/api/dll-check", body=body,
                                        headers=dict(h, **{"X-CSRF-Token": tok}))
                    elif kind.startswith("read"):
                        r = srv.get(f"/api/wizard/{sid}")
                    elif kind.startswith("answer"):
                        st = srv.get(f"/api/wizard/{sid}").json()
                        if st.get("node") and rnd.random() < 0.8:
                            opts = [o["value"] for o in st["options"]] or [""]
                            r = post(f"/api/wizard/{sid}/answer",
                                     {"node": st["node"], "answer": rnd.choice(opts)})
                        else:
                            r = post(f"/api/wizard/{sid}/back", {})
                    elif kind.startswith("ticket"):
                        r = srv.get(f"/api/tickets/{sid}?format=json")
                    elif kind.startswith("run"):
                        r = post("/api/actions/collect-diagnostics/run",
                                 {"params": {}, "confirm": True, "session": sid})
                    else:
                        r = srv.get("/kb/what-is-kofmsp-dll",
                                    cookies=dict(srv.cookie, koffix_wizard=sid))
                    note(kind.rstrip("0123456789"), r.status)
            except Exception as e:  # a dead server or a broken connection
                with lock:
                    errors.append(f"{kind}: {e!r}")

        kinds = ["upload1", "upload2", "upload3", "read1", "read2", "answer1", "answer2",
                 "ticket1", "run1", "view1"]
        threads = [threading.Thread(target=worker, args=(k,)) for k in kinds]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        t.check("no request failed on the connection", not errors, errors[:5])
        server_errors = {k: v for k, v in statuses.items() if any(s >= 500 for s in v)}
        t.check("no request answered 500", not server_errors, statuses)
        t.check("every kind of request was made", set(statuses) == {
            "upload", "read", "answer", "ticket", "run", "view"}, statuses)
        t.check("the server is alive", srv.get("/").status == 200)
        # A repair still running at a stop is left to finish (koffix does not free what its
        # thread uses): wait for the last one, so that the stop below is a clean one.
        path = os.path.join(srv.tmp, "data", "koffix.db")
        for _ in range(300):
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            busy = db.execute("SELECT count(*) FROM repair_runs WHERE state IN"
                              " ('queued', 'running')").fetchone()[0]
            db.close()
            if not busy:
                break
            time.sleep(0.1)
    finally:
        rc = srv.stop(keep=True)
    t.check("the server stops cleanly after the stress", rc == 0, (rc, srv.stderr()[-800:]))
    # Every row afterwards.
    db = sqlite3.connect(os.path.join(srv.tmp, "data", "koffix.db"))
    try:
        rows = {sid: (flow, json.loads(state)) for sid, flow, state in
                db.execute("SELECT id, flow, state FROM wizard_sessions")}
        t.check("two sessions, each of the kofmsp flow", set(rows) == {a, b}
                and all(f == "kofmsp" for f, _ in rows.values()), sorted(rows))
        for sid in (a, b):
            events = db.execute("SELECT kind, node, answer FROM wizard_events WHERE session = ?"
                                " ORDER BY seq", (sid,)).fetchall()
            answered = {(n, v) for k, n, v in events if k == "answer"}
            steps = rows.get(sid, ("", {}))[1].get("steps", [])
            own = all(s["source"] != "answered" or (s["node"], s["answer"]) in answered
                      for s in steps)
            t.check(f"session {sid[:6]}: every answered step is in its own history", own,
                    (steps, sorted(answered)[:10]))
        t.check("session b kept its preset (nothing of a's written into b's row)",
                any(s["node"] == "symptom" and s["answer"] == "av_flagged"
                    for s in rows.get(b, ("", {}))[1].get("steps", []))
                or rows.get(b, ("", {}))[1].get("presets", {}).get("symptom") == "av_flagged",
                rows.get(b))
        bad = db.execute("SELECT count(*) FROM dll_checks WHERE session IS NOT NULL AND"
                         " session NOT IN (?, ?)", (a, b)).fetchone()[0]
        t.check("no DLL check is bound to a session that does not exist", bad == 0, bad)
        runs = db.execute("SELECT created, updated, state FROM repair_runs ORDER BY created"
                          ).fetchall()
        t.check("runs were made, all finished", runs and all(
            s in ("succeeded", "failed") for _, _, s in runs), runs[:5])
    finally:
        db.close()
        shutil.rmtree(srv.tmp, ignore_errors=True)


def main():
    test_slow_clients()
    test_stress()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
