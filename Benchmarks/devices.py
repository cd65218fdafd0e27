#!/usr/bin/env python3
"""Benchmark and simulator of smart fire devices (POST /api/v1/iot/{platform}/events).

It makes a copy of a demo database (`safegrid demo --no-serve`, which carries 瓜沥's IoT platform
`guali-iot` and its devices), starts `safegrid serve` on it on 127.0.0.1 (SAFEGRID_JOBS=off),
tops the devices up to --devices through POST /api/v1/devices, then, signing every request with
the platform's key read from the copy (HMAC-SHA256 of "<timestamp>.<body>"):

  1. mixed    for --duration s (default 30): every device heartbeats once per --period s (default
              60; 10,000 devices = 167 events/s, sent as one batch every 0.1 s) while --alarm-rate
              alarms/s (default 50) are sent one per request, each on a device without an open
              alarm (each opens one alarm and queues one SMS to the grid workers in the same
              transaction, so the 200 means the SMS is queued). Printed: events/s sent and
              accepted, the alarm requests' latency (p50, p95, max = SMS queued after), the
              heartbeat batches' p95; then the SMS count in the outbox against the alarms opened.
  2. max      for --max-seconds s (default 15): --threads threads (default 8) send 200-heartbeat
              batches as fast as the server answers: sustained events/s.
  3. offline  every device's last message set 2 days back in the copy, then `safegrid jobs`
              (the deadline jobs, which mark silent devices offline once): devices marked and the
              milliseconds the marking took, twice (the second run must mark 0).

It is not a test: targets are printed next to the figures (ingest ≥ 2,000 events/s, alarm SMS
queued p95 ≤ 1 s, offline marking ≤ 1 s), a missed one is not a failure. It aborts (exit 2) on
any non-2xx answer and stops by itself (--timeout s in all). Loopback only.

  python3 Benchmarks/devices.py --bin .build/debug/safegrid --db demo.sqlite [--devices 10000]
  python3 Benchmarks/devices.py --simulate --base http://127.0.0.1:8080 --db served.sqlite --duration 60
      (--simulate: only the mixed stream against a server already running on that database)
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

PASSWORD = "safegrid-demo"
PLATFORM = "guali-iot"
ALARM_OF = {"smokeDetector": "smoke", "lifeChannelMonitor": "laneBlocked", "chargingPile": "chargingOverTemperature",
            "firePointMonitor": "firePoint"}


class Abort(Exception):
    pass


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(t + 8 * 3600))


class Client:
    """One keep-alive connection to 127.0.0.1."""

    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        if u.hostname not in ("127.0.0.1", "localhost"):
            raise Abort(f"--base must be on 127.0.0.1, got {base}")
        self.host, self.port = u.hostname, u.port or 80
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                r = self.conn.getresponse()
                data = r.read()
                return r.status, data
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise Abort("unreachable")


def signed_post(client, secret, events):
    body = json.dumps({"events": events}, separators=(",", ":")).encode()
    ts = str(int(time.time()))
    sig = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    started = time.monotonic()
    status, data = client.request("POST", f"/api/v1/iot/{PLATFORM}/events", body,
                                  {"Content-Type": "application/json", "X-SafeGrid-Timestamp": ts, "X-SafeGrid-Signature": sig})
    took = time.monotonic() - started
    if status != 200:
        raise Abort(f"events answered {status}: {data[:300]!r}")
    return json.loads(data), took


def percentile(xs, p):
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def result(what, value, target="", met=""):
    print(f"RESULT|devices|{what}|{value}|{target}|{met}", flush=True)


class Run:
    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.timeout
        self.server = None
        self.work = None

    def check_time(self):
        if time.monotonic() > self.deadline:
            raise Abort(f"--timeout {self.args.timeout} s reached")

    # ------------------------------------------------------------------ setup

    def start(self):
        a = self.args
        if a.simulate:
            self.base, self.db = a.base, a.db
            return
        self.work = tempfile.mkdtemp(prefix="safegrid-devices-bench-")
        self.db = os.path.join(self.work, "demo.sqlite")
        shutil.copy(a.db, self.db)
        port = a.port
        self.base = f"http://127.0.0.1:{port}"
        env = dict(os.environ, SAFEGRID_SQLITE=self.db, SAFEGRID_HOST="127.0.0.1", SAFEGRID_PORT=str(port),
                   SAFEGRID_PUBLIC_URL=self.base, SAFEGRID_JOBS="off", SAFEGRID_SMS_SENDER="off", SAFEGRID_WEBHOOKS="off",
                   LOG_LEVEL="warning")
        env.pop("DATABASE_URL", None)
        self.log = open(os.path.join(self.work, "server.log"), "w")
        self.server = subprocess.Popen([a.bin, "serve"], env=env, cwd=self.work, stdout=self.log, stderr=subprocess.STDOUT)
        c = Client(self.base)
        for _ in range(600):
            try:
                if c.request("GET", "/readyz")[0] == 200:
                    print(f"== server on {self.base} (PID {self.server.pid})", flush=True)
                    return
            except OSError:
                pass
            if self.server.poll() is not None:
                raise Abort(f"the server exited while starting; see {self.work}/server.log")
            time.sleep(0.2)
        raise Abort("the server was not ready within 120 s")

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                rc = self.server.wait(20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                rc = self.server.wait()
            print(f"== server stopped (exit {rc})", flush=True)
            if rc != 0:
                raise Abort(f"the server exited with {rc} on SIGTERM; see {self.work}/server.log")

    def read_db(self):
        con = sqlite3.connect(self.db, timeout=30)
        try:
            row = con.execute("SELECT secret FROM iot_platforms WHERE id = ?", (PLATFORM,)).fetchone()
            if not row:
                raise Abort(f"no platform {PLATFORM} in {self.db}: build it with `safegrid demo --no-serve`")
            self.secret = row[0]
            self.devices = con.execute("SELECT serial, kind FROM devices WHERE platform_id = ? ORDER BY serial", (PLATFORM,)).fetchall()
            self.open_alarm_serials = {r[0] for r in con.execute(
                "SELECT d.serial FROM device_alarms a JOIN devices d ON d.id = a.device_id WHERE a.state IN ('raised','acknowledged','onSite')")}
            self.subjects = [r[0] for r in con.execute(
                "SELECT id FROM subjects WHERE town_code = '330109113' AND closed_down_at IS NULL LIMIT 20000")]
        finally:
            con.close()

    def top_up(self):
        want = self.args.devices
        if len(self.devices) >= want:
            return
        c = Client(self.base)
        status, data = c.request("POST", "/api/v1/auth/token", json.dumps({"username": "guali.admin", "password": PASSWORD}).encode(),
                                 {"Content-Type": "application/json"})
        if status not in (200, 201):
            raise Abort(f"sign-in answered {status}")
        token = json.loads(data)["token"]
        missing = want - len(self.devices)
        started = time.monotonic()
        lock = threading.Lock()
        todo = list(range(missing))
        errors = []

        def worker():
            cl = Client(self.base)
            while True:
                with lock:
                    if not todo or errors:
                        return
                    i = todo.pop()
                body = json.dumps({"platformId": PLATFORM, "serial": f"SIM-{i:06d}", "kind": "smokeDetector", "vendor": "模拟",
                                   "subjectId": str(uuid.UUID(self.subjects[i % len(self.subjects)]) if len(self.subjects[0]) == 36
                                                    else self.subjects[i % len(self.subjects)])}).encode()
                s, d = cl.request("POST", "/api/v1/devices", body, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
                if s not in (201,):
                    with lock:
                        errors.append(f"POST /api/v1/devices answered {s}: {d[:200]!r}")
                    return

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise Abort(errors[0])
        print(f"   registered {missing} more devices in {time.monotonic() - started:.1f} s", flush=True)

    # ------------------------------------------------------------------ parts

    def mixed(self):
        a = self.args
        devices = self.devices[: a.devices]
        n = len(devices)
        per_tick = n / a.period / 10  # heartbeats per 0.1 s
        alarms_per_tick = a.alarm_rate / 10
        candidates = [d for d in devices if d[0] not in self.open_alarm_serials]
        random.Random(7).shuffle(candidates)
        lock = threading.Lock()
        alarm_lat, beat_lat, errors = [], [], []
        sent = {"events": 0, "accepted": 0, "alarms": 0, "opened": 0}
        queue = []
        cond = threading.Condition()
        stop = threading.Event()

        def worker():
            cl = Client(self.base)
            while True:
                with cond:
                    while not queue and not stop.is_set():
                        cond.wait(0.2)
                    if not queue:
                        return
                    kind, events = queue.pop(0)
                try:
                    res, took = signed_post(cl, self.secret, events)
                except Exception as e:  # noqa: BLE001 — reported and aborts the run
                    with lock:
                        errors.append(str(e))
                    stop.set()
                    return
                with lock:
                    sent["accepted"] += res["accepted"]
                    if kind == "alarm":
                        alarm_lat.append(took)
                        sent["opened"] += sum(1 for x in res["alarms"] if not x["repeated"])
                    else:
                        beat_lat.append(took)

        threads = [threading.Thread(target=worker) for _ in range(a.threads)]
        for t in threads:
            t.start()
        started = time.monotonic()
        beat_cursor, beat_due, alarm_due, alarm_cursor, tick = 0, 0.0, 0.0, 0, 0
        while time.monotonic() - started < a.duration and not stop.is_set():
            self.check_time()
            tick += 1
            beat_due += per_tick
            alarm_due += alarms_per_tick
            now = time.time()
            batch = []
            while beat_due >= 1:
                serial = devices[beat_cursor % n][0]
                batch.append({"eventId": f"hb-{serial}-{int(now)}-{beat_cursor}", "serial": serial, "kind": "heartbeat",
                              "occurredAt": rfc3339(now)})
                beat_cursor += 1
                beat_due -= 1
            with cond:
                if batch:
                    queue.append(("beat", batch))
                while alarm_due >= 1 and alarm_cursor < len(candidates):
                    serial, kind = candidates[alarm_cursor]
                    alarm_cursor += 1
                    alarm_due -= 1
                    queue.append(("alarm", [{"eventId": f"al-{serial}-{uuid.uuid4().hex[:12]}", "serial": serial, "kind": ALARM_OF[kind],
                                             "occurredAt": rfc3339(now)}]))
                    sent["alarms"] += 1
                cond.notify_all()
            sent["events"] += len(batch)
            sleep = started + tick * 0.1 - time.monotonic()
            if sleep > 0:
                time.sleep(sleep)
        sending = time.monotonic() - started
        stop.set()
        with cond:
            cond.notify_all()
        for t in threads:
            t.join()
        if errors:
            raise Abort(errors[0])
        backlog = time.monotonic() - started - sending
        total = sent["events"] + sent["alarms"]
        print(f"   {sent['events']} heartbeats and {sent['alarms']} alarms in {sending:.1f} s (+{backlog:.1f} s to drain)", flush=True)
        result("mixed: events/s offered (heartbeats of all devices + alarms)", f"{total / sending:.0f}", "", "")
        result("mixed: events accepted", f"{sent['accepted']} of {total}", "all", "met" if sent["accepted"] == total else "missed")
        p95 = percentile(alarm_lat, 95)
        result("mixed: alarm → SMS queued (request answered), p50 / p95 / max",
               f"{percentile(alarm_lat, 50) * 1000:.0f} / {p95 * 1000:.0f} / {max(alarm_lat or [0]) * 1000:.0f} ms", "p95 ≤ 1,000 ms",
               "met" if p95 <= 1.0 else "missed")
        result("mixed: heartbeat batch answered, p95", f"{percentile(beat_lat, 95) * 1000:.0f} ms", "", "")
        con = sqlite3.connect(self.db, timeout=30)
        try:
            sms = con.execute("SELECT COUNT(*) FROM messages WHERE kind = 'deviceAlarm'").fetchone()[0]
            opened = con.execute("SELECT COUNT(*) FROM device_alarms WHERE state = 'raised'").fetchone()[0]
        finally:
            con.close()
        result("mixed: alarm SMS in the outbox / alarms opened in the run", f"{sms} / {sent['opened']}", "one each",
               "met" if sms >= sent["opened"] else "missed")
        self.opened_total = opened

    def max_ingest(self):
        a = self.args
        devices = self.devices[: a.devices]
        counter = {"events": 0, "requests": 0}
        lock = threading.Lock()
        errors = []
        end = time.monotonic() + a.max_seconds
        lat = []

        def worker(w):
            cl = Client(self.base)
            i = 0
            while time.monotonic() < end and not errors:
                now = time.time()
                batch = []
                for _ in range(200):
                    serial = devices[(w * 7919 + i) % len(devices)][0]
                    batch.append({"eventId": f"mx-{w}-{i}", "serial": serial, "kind": "heartbeat", "occurredAt": rfc3339(now)})
                    i += 1
                try:
                    res, took = signed_post(cl, self.secret, batch)
                except Exception as e:  # noqa: BLE001
                    errors.append(str(e))
                    return
                with lock:
                    counter["events"] += res["accepted"]
                    counter["requests"] += 1
                    lat.append(took)

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(w,)) for w in range(a.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - started
        if errors:
            raise Abort(errors[0])
        rate = counter["events"] / took
        result(f"max: heartbeats accepted/s, {a.threads} clients × 200-event batches",
               f"{rate:,.0f} ({counter['events']:,} in {took:.1f} s; batch p95 {percentile(lat, 95) * 1000:.0f} ms)",
               "≥ 2,000/s", "met" if rate >= 2000 else "missed")

    def offline(self):
        a = self.args
        con = sqlite3.connect(self.db, timeout=30)
        try:
            back = time.time() - 2 * 86400
            con.execute("UPDATE devices SET last_message_at = ?, offline_since = NULL", (back,))
            con.commit()
            n = con.execute("SELECT COUNT(*) FROM devices").fetchone()[0]
        finally:
            con.close()
        env = dict(os.environ, SAFEGRID_SQLITE=self.db, SAFEGRID_JOBS="off", LOG_LEVEL="warning")
        env.pop("DATABASE_URL", None)
        for run in (1, 2):
            out = subprocess.run([a.bin, "jobs"], env=env, cwd=self.work or ".", capture_output=True, text=True, timeout=600)
            line = next((x for x in out.stdout.splitlines() if "devices marked offline" in x), "")
            if out.returncode != 0 or not line:
                raise Abort(f"safegrid jobs failed ({out.returncode}): {out.stdout[-300:]} {out.stderr[-300:]}")
            tail = line.split("devices marked offline ")[1]
            marked, ms = int(tail.split(" ")[0]), int(tail.split(" in ")[1].split(" ")[0])
            if run == 1:
                result(f"offline: a job run over {n:,} silent devices: marked, time", f"{marked:,}, {ms} ms", "≤ 1,000 ms",
                       "met" if ms <= 1000 and marked == n else "missed")
            else:
                result("offline: the next run (marks once)", f"{marked} marked, {ms} ms", "0 marked", "met" if marked == 0 else "missed")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=".build/debug/safegrid")
    ap.add_argument("--db", required=True, help="a demo database (copied unless --simulate)")
    ap.add_argument("--port", type=int, default=8160)
    ap.add_argument("--base", default="http://127.0.0.1:8080", help="with --simulate: the running server")
    ap.add_argument("--simulate", action="store_true", help="only the mixed stream, against --base serving --db")
    ap.add_argument("--devices", type=int, default=10_000)
    ap.add_argument("--period", type=float, default=60, help="seconds between a device's heartbeats")
    ap.add_argument("--alarm-rate", type=float, default=50)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--max-seconds", type=float, default=15)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)  # the server runs in its own folder
    run = Run(args)
    code = 0
    try:
        run.start()
        run.read_db()
        if not args.simulate:
            run.top_up()
            run.read_db()
        print(f"== {len(run.devices):,} devices on {PLATFORM}; mixed load for {args.duration:.0f} s", flush=True)
        run.mixed()
        if not args.simulate:
            print(f"== max ingest for {args.max_seconds:.0f} s", flush=True)
            run.max_ingest()
            run.stop()
            print("== offline marking", flush=True)
            run.offline()
    except Abort as e:
        print(f"ABORT: {e}", file=sys.stderr, flush=True)
        code = 2
    finally:
        try:
            run.stop()
        except Abort as e:
            print(f"ABORT: {e}", file=sys.stderr, flush=True)
            code = 2
        if run.work and code == 0:
            shutil.rmtree(run.work, ignore_errors=True)
        elif run.work:
            print(f"kept {run.work} (server.log)", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
