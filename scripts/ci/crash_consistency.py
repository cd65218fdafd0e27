#!/usr/bin/env python3
"""Crash consistency: SIGKILL the server 20 times while 16 clients submit inspections.

Each client thread submits inspections (POST /api/v1/inspections, each with its own clientId)
and retries the same body until it is acknowledged (2xx); the server is killed with SIGKILL at
random moments and restarted each time. Afterwards:
  - every acknowledged inspection is stored exactly once, under the id it was acknowledged with
    (the SQLite file, and GET /api/v1/inspections/{id});
  - nothing was stored that was never acknowledged;
  - a replay of every acknowledged clientId answers 2xx with the same inspection id;
  - `safegrid recount` finds 0 differing counters and `safegrid audit verify` passes.
Prints: kills, acknowledged, stored, duplicates, recount differences. Exits 1 on any failure.
"""
import argparse
import datetime
import json
import os
import random
import re
import sqlite3
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
from common import http, log  # noqa: E402

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def now_text(seconds_ago=0):
    t = datetime.datetime.now(SHANGHAI) - datetime.timedelta(seconds=seconds_ago)
    return t.replace(microsecond=0).isoformat()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--template", help="demo SQLite file to copy (default: build one)")
    ap.add_argument("--time-limit", type=float, default=420, help="seconds for the whole suite")
    args = ap.parse_args()
    common.require_binary()
    started = time.time()
    deadline = started + args.time_limit
    work = common.workdir("crash")
    db = common.demo_db(work, args.template)
    # No background jobs or SMS sender: the only writers are the clients under test.
    server = common.Server(db, extra_env={"SAFEGRID_JOBS": "off", "SAFEGRID_SMS_SENDER": "off"})
    server.start()
    failures = []
    token = server.token("guali.admin")
    auth = {"Authorization": f"Bearer {token}"}

    # One open (not closed-down) enterprise per thread, so threads do not contend on one subject,
    # and the checklist items that apply to enterprises.
    status, _, body = http("GET", server.base + "/api/v1/checklists/current", headers=auth)
    checklist = json.loads(body)
    items = [i for i in checklist.get("items", []) if "enterprise" in (i.get("subjectKinds") or ["enterprise"])]
    item_codes = [i["code"] for i in items] or ["ELEC-01", "EVAC-01", "FIRE-01"]
    subjects = []
    page = 1
    while len(subjects) < args.threads and page <= 20:
        status, _, body = http("GET", server.base + f"/api/v1/subjects?kind=enterprise&per=200&page={page}", headers=auth)
        if status != 200:
            sys.exit(f"GET /api/v1/subjects: {status} {body[:300]!r}")
        page_items = json.loads(body).get("items", [])
        if not page_items:
            break
        for s in page_items:
            if not s.get("closedDownAt") and not s.get("closedDown") and "closed" not in json.dumps(s.get("colour", "")):
                subjects.append(s["id"])
        page += 1
    subjects = subjects[:args.threads]
    if len(subjects) < args.threads:
        sys.exit(f"found only {len(subjects)} open enterprises")

    run = uuid.uuid4().hex[:8]
    prefix = f"crash-{run}-"
    lock = threading.Lock()
    acknowledged = {}   # clientId -> inspection id of the first 2xx
    bodies = {}         # clientId -> the body sent
    refused = []        # (clientId, status, body): a 4xx for a body that is valid
    replay_mismatch = []
    stop = threading.Event()
    server_lock = threading.Lock()  # held while the server is being restarted
    attempts = {"sent": 0, "errors": 0, "replayed": 0, "unmarked": 0}

    def body_for(thread, n, rnd):
        hazard = rnd.choice(item_codes)
        passes = [c for c in item_codes if c != hazard]
        rnd.shuffle(passes)
        return {
            "clientId": f"{prefix}{thread}-{n}",
            "subjectId": subjects[thread],
            "inspectedAt": now_text(seconds_ago=60),
            "inspector": "李伟",
            "team": [{"name": "李伟", "department": "fireRescue"}, {"name": "张敏", "department": "emergencyManagement"}],
            "results": [{"itemCode": hazard, "outcome": "hazard", "note": f"崩溃测试 {thread}-{n}"}]
                       + [{"itemCode": c, "outcome": "pass"} for c in passes[:2]],
        }

    def client(thread):
        rnd = random.Random(thread)
        n = 0
        while not stop.is_set() and time.time() < deadline - 60:
            n += 1
            body = body_for(thread, n, rnd)
            give_up = time.time() + 120
            while True:
                if time.time() > give_up:
                    with lock:
                        refused.append((body["clientId"], "no acknowledgement within 120 s", ""))
                    return
                try:
                    with lock:
                        attempts["sent"] += 1
                    status, headers, answer = http("POST", server.base + "/api/v1/inspections", body, auth, timeout=15)
                except OSError:
                    with lock:
                        attempts["errors"] += 1
                    time.sleep(0.05 + rnd.random() * 0.1)
                    continue
                if 200 <= status < 300:
                    with lock:
                        if headers.get("Idempotent-Replayed"):
                            attempts["replayed"] += 1
                        acknowledged[body["clientId"]] = json.loads(answer)["id"]
                        bodies[body["clientId"]] = body
                    break
                if status >= 500 or status == 503:
                    with lock:
                        attempts["errors"] += 1
                    time.sleep(0.1)
                    continue
                with lock:
                    refused.append((body["clientId"], status, answer[:300].decode("utf-8", "replace")))
                break

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.threads)]
    for t in threads:
        t.start()

    kills = 0
    rnd = random.Random(7)
    restart_seconds = []
    try:
        while kills < args.kills and time.time() < deadline - 90:
            time.sleep(0.3 + rnd.random() * 1.2)
            server.kill()
            kills += 1
            t0 = time.time()
            time.sleep(rnd.random() * 0.3)
            server.start(timeout=60)
            restart_seconds.append(time.time() - t0)
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=max(5, deadline - time.time() - 30))
    if kills < args.kills:
        failures.append(f"only {kills} of {args.kills} kills within the time limit")
    if any(t.is_alive() for t in threads):
        failures.append("client threads still running at the time limit")

    # A replay of every acknowledged submission (the very same body) answers 2xx with the same id.
    def replay(client_id):
        status, headers, answer = http("POST", server.base + "/api/v1/inspections", bodies[client_id], auth, timeout=30)
        if not 200 <= status < 300:
            return f"{client_id}: replay answered {status} {answer[:200]!r}"
        got = json.loads(answer).get("id")
        if not headers.get("Idempotent-Replayed"):
            with lock:
                attempts["unmarked"] += 1
        if got != acknowledged[client_id]:
            return f"{client_id}: replay answered inspection {got}, acknowledged as {acknowledged[client_id]}"
        return None

    with ThreadPoolExecutor(8) as pool:
        problems = [p for p in pool.map(replay, list(acknowledged)) if p]
    failures += problems[:20]
    if len(problems) > 20:
        failures.append(f"... and {len(problems) - 20} more replay problems")

    server.stop()

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute("SELECT client_id, COUNT(*) FROM inspections WHERE client_id LIKE ? GROUP BY client_id",
                       (prefix + "%",)).fetchall()
    con.close()
    stored = {cid: c for cid, c in rows}
    duplicates = sum(c - 1 for c in stored.values() if c > 1)
    missing = [cid for cid in acknowledged if cid not in stored]
    unacknowledged = [cid for cid in stored if cid not in acknowledged]
    if missing:
        failures.append(f"{len(missing)} acknowledged inspections not stored, e.g. {missing[:5]}")
    if duplicates:
        failures.append(f"{duplicates} duplicate inspections stored")
    if unacknowledged:
        # A request killed after its commit but before its answer is retried and replayed, so
        # every stored one ends acknowledged; one left over means a client gave up.
        failures.append(f"{len(unacknowledged)} inspections stored but never acknowledged, e.g. {unacknowledged[:5]}")
    for cid, status, text in refused[:20]:
        failures.append(f"{cid}: refused {status} {text}")

    rc, out = common.run_command(["recount"], db)
    m = re.search(r"(\d+) differed", out)
    differences = int(m.group(1)) if m else None
    if rc != 0 or differences is None:
        failures.append(f"safegrid recount exited {rc}: {out[-500:]}")
    elif differences:
        failures.append(f"safegrid recount: {differences} counters differed:\n{out[-1500:]}")
    rc, out = common.run_command(["audit", "verify"], db)
    audit_ok = rc == 0 and "BROKEN" not in out
    if not audit_ok:
        failures.append(f"safegrid audit verify exited {rc}: {out[-1500:]}")

    log(f"crash consistency: kills {kills}, acknowledged {len(acknowledged)}, stored {sum(stored.values())}, "
        f"duplicates {duplicates}, recount differences {differences}, audit {'intact' if audit_ok else 'BROKEN'}, "
        f"requests {attempts['sent']} (connection errors or 5xx {attempts['errors']}), "
        f"acknowledged on a retry as a replay {attempts['replayed']}, "
        f"replays answering the same id {len(acknowledged) - len(problems)}/{len(acknowledged)} "
        f"(without Idempotent-Replayed {attempts['unmarked']}), "
        f"restart {max(restart_seconds or [0]):.1f} s at most, {time.time() - started:.0f} s")
    for f in failures:
        log("  FAIL", f)
    common.finish(failures, work)


if __name__ == "__main__":
    main()
