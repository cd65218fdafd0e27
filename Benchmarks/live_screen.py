"""Benchmark of the live big screen: GET /api/v1/stream (Server-Sent Events), GET /api/v1/map and
the page /screen. It prints figures next to their targets; it is not a test (a missed target does
not fail it), but it aborts (exit 2, message on stderr) on any non-2xx answer, on a stream that
ends or never shows its first figures, on a wait that times out, and after --timeout s in all.

  1. latency  — N open streams (default 500: half on the town 瓜沥 330109113, half spread over the
                villages of 瓜沥 whose subjects are written) read by one asyncio process (raw
                sockets, no HTTP library), while a second process writes inspections at --rate
                (default 50/s) for --duration s (default 20) through POST /api/v1/inspections as
                guali.admin. Each inspection finds one hazard on a subject without open hazards
                (colour 整改到位), on a checklist item of its kind, so each write makes exactly one
                new hazard and one `found` hazard event.
                How a figures event is tied to a write: the stream sends, for every update, the
                new `change` events (each with its hazardId) and then one `figures` event computed
                after them (StreamController.render). A write counts as shown on a stream at the
                arrival of the first `figures` event that follows the `change` event of its hazard
                (the hazard id is in the 201's results[].hazardId). Latency = that arrival − the
                instant just before the request was written to the socket (also given: − the
                instant the 201 was read). Both clocks are CLOCK_MONOTONIC of this machine (the
                writer is another process, so its sends are not delayed by the readers).
                A pair (write, stream of an area that contains it) that never shows within
                --drain s after the last answer counts as missed. The readers' own event-loop lag
                is measured and printed (it is part of the latencies).
                A second measure needs no change events: write w is surely in the first figures
                event whose hazardsFound − the stream's value before the writes ≥ the hazards of
                every write of its area sent before w's 201 arrived (a write sent after that
                committed after w). It bounds from above the moment the figures include w; it can
                be an update earlier than the first measure (a write committed between the
                update's feed query and its figures shows in those figures, its change event in
                the next update).
                The server sends at most 200 change events per update; a stream further behind
                gets the rest with its next figures, so those writes count against the later
                figures (the error is on the long side).
                Cross-check: on each stream the last figures' hazardsFound − the first's = the
                number of written hazards in its area.
                With --write-base different from --base (part 2: two instances on PostgreSQL) the
                writes go to one instance and the streams read the other (LISTEN/NOTIFY); then
                also GET /api/v1/dashboard's hazardsFound on both after the drain. --pid: the
                streams' server, for its CPU time during the writes.
  3. idle     — the server's VmRSS (/proc/<--pid>/status) and GET /api/v1/dashboard?areaCode=
                330109113 (--dash-requests, default 2,000, on --dash-concurrency, default 16,
                keep-alive connections, after 200 warm-up requests) without and then with --idle
                (default 2,000) open streams (half on the town, half over its villages) that
                receive nothing but their first update and heartbeats. No writes meanwhile.
                --rounds (default 3) alternating rounds of (without, with): the ratio is of the
                medians of the rounds' p95, so a change of the shared machine's load does not
                pass for the streams' cost.
  4. paint    — headless Chromium (selenium) at 1920×1080 signed in at /login: the time from the
                navigation start to body[data-figures] ≥ 1 (figures drawn), to the map's outline
                (#map path) and to its data (bubbles or points), read in the page from
                performance.now() in a requestAnimationFrame probe injected before any script.
                --paint-runs runs with the browser's cache cleared first (cold) and as many
                without (warm), each in a new tab that is closed after it; a run ends when the
                page's own fetches have ended (the map asks again after fitting its view), so the
                next one does not start on a server still busy with it. Any resource of the page
                with a non-2xx status (304 allowed in warm runs), or a "Failed to load resource"
                in the console, aborts. Also printed: when the first GET /api/v1/map starts and
                how long it takes (the page's resource timing).

Usage (Benchmarks/live_screen.sh makes the data and starts/stops the servers):
  python3 Benchmarks/live_screen.py latency --base http://127.0.0.1:8140
  python3 Benchmarks/live_screen.py latency --base http://127.0.0.1:8142 --write-base http://127.0.0.1:8141 --label postgres
  python3 Benchmarks/live_screen.py idle --base http://127.0.0.1:8143 --pid 12345
  python3 Benchmarks/live_screen.py paint --base http://127.0.0.1:8144 [--user qu.admin --path '/screen?areaCode=330109']
Every figure is also printed as a line `RESULT|<label>|<what>|<value>|<target>|<met|missed|->` for
the wrapper's table. Loopback only: --base must be 127.0.0.1.
"""
import argparse
import asyncio
import bisect
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid

PASSWORD = "safegrid-demo"
GUALI = "330109113"
TARGET_LATENCY_P95_S = 1.0
TARGET_RSS_MB = 300
TARGET_DASH_RATIO = 1.5
TARGET_PAINT_S = 1.5


class Abort(Exception):
    pass


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def result(label, what, value, target="", met=None):
    flag = "-" if met is None else ("met" if met else "missed")
    clean = [str(x).replace("|", "/").replace("\n", " ") for x in (label, what, value, target)]
    print("RESULT|" + "|".join(clean) + f"|{flag}", flush=True)


def pct(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def ms(x):
    return f"{x * 1000:.0f} ms"


def split_base(base):
    u = urllib.parse.urlparse(base)
    if u.scheme != "http" or u.hostname != "127.0.0.1" or not u.port:
        raise Abort(f"{base}: only http://127.0.0.1:<port> (loopback) is allowed")
    return u.hostname, u.port


# ---------------------------------------------------------------- a small HTTP/1.1 client

class Conn:
    """One keep-alive HTTP/1.1 connection (asyncio streams); bodies by Content-Length or chunked."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.r = self.w = None

    async def open(self):
        self.r, self.w = await asyncio.open_connection(self.host, self.port, limit=1 << 22)
        return self

    def close(self):
        if self.w:
            self.w.close()
            self.w = None

    async def request(self, method, path, token=None, body=None, headers=None):
        if self.w is None:
            await self.open()
        data = b""
        h = {"Host": f"{self.host}:{self.port}", "Accept": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None:
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            h["Content-Type"] = "application/json"
        h["Content-Length"] = str(len(data))
        h.update(headers or {})
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
        self.w.write(head.encode() + data)
        await self.w.drain()
        line = await self.r.readline()
        if not line:
            self.close()
            raise ConnectionResetError(f"{method} {path}: the server closed the connection")
        parts = line.decode("latin-1").split(" ", 2)
        status = int(parts[1])
        hdrs = {}
        while True:
            line = await self.r.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            payload = await self.r.readexactly(int(hdrs["content-length"]))
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.r.readline()).split(b";")[0], 16)
                chunks.append(await self.r.readexactly(size + 2))
                if size == 0:
                    break
            payload = b"".join(c[:-2] for c in chunks)
        else:
            payload = await self.r.read()
            self.close()
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        return status, hdrs, payload


async def call(base, method, path, token=None, body=None, ok=(200, 201)):
    host, port = split_base(base)
    c = Conn(host, port)
    try:
        st, _, payload = await c.request(method, path, token, body)
    finally:
        c.close()
    if st not in ok:
        raise Abort(f"{method} {path}: HTTP {st} {payload[:300]!r}")
    return json.loads(payload) if payload else None


async def sign_in(base, user):
    r = await call(base, "POST", "/api/v1/auth/token", body={"username": user, "password": PASSWORD})
    return r["token"]


# ---------------------------------------------------------------- an SSE reader on a raw socket

HAZARD_ID = re.compile(rb'"hazardId":"([0-9A-Fa-f-]{36})"')
# The area's own hazardsFound in a figures event (keys are sorted: it follows generatedAt).
FOUND = re.compile(rb'"generatedAt":"[^"]*","hazardsFound":(\d+)')


def hazards_found(data):
    m = FOUND.search(data)
    if m:
        return int(m.group(1))
    try:
        return int(json.loads(data)["hazardsFound"])
    except (ValueError, KeyError, TypeError):
        return None


class StreamReader(asyncio.Protocol):
    """GET /api/v1/stream?areaCode=… on its own connection; decodes chunked transfer and the
    events. For each `figures` event: the arrival time (of the bytes that completed it), and the
    hazard ids of the `change` events before it since the previous `figures` (`seen`)."""

    def __init__(self, idx, area, token, host, port, track=True):
        self.idx, self.area, self.token, self.host, self.port, self.track = idx, area, token, host, port, track
        self.buf = bytearray()
        self.sse = bytearray()
        self.state = "head"
        self.need = None            # bytes of the current chunk still wanted (+2 for its CRLF)
        self.status = None
        self.ready = asyncio.get_running_loop().create_future()
        self.ended = asyncio.get_running_loop().create_future()
        self.pending = []           # hazard ids of change events since the last figures
        self.seen = {}              # hazard id -> arrival of the figures event that followed it
        self.figures = []           # arrival times
        self.found = []             # (arrival, the area's hazardsFound) of each figures event
        self.base = None            # hazardsFound before the writes
        self.first_figures = None   # bytes of the first figures' data
        self.last_figures = None
        self.changes = 0
        self.heartbeats = 0
        self.bytes = 0
        self.transport = None
        self.closing = False

    def connection_made(self, transport):
        self.transport = transport
        q = urllib.parse.urlencode({"areaCode": self.area})
        transport.write((f"GET /api/v1/stream?{q} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                         f"Accept: text/event-stream\r\nAuthorization: Bearer {self.token}\r\n\r\n").encode())

    def fail(self, msg):
        for f in (self.ready, self.ended):
            if not f.done():
                f.set_exception(Abort(msg))
        if self.transport:
            self.transport.close()

    def connection_lost(self, exc):
        if not self.closing:
            self.fail(f"stream {self.idx} ({self.area}) ended: {exc or 'closed by the server'}")
        elif not self.ended.done():
            self.ended.set_result(None)

    def close(self):
        self.closing = True
        if self.transport:
            self.transport.close()

    def data_received(self, data):
        t = time.monotonic()
        self.bytes += len(data)
        self.buf += data
        if self.state == "head":
            i = self.buf.find(b"\r\n\r\n")
            if i < 0:
                return
            head = bytes(self.buf[:i]).decode("latin-1")
            del self.buf[:i + 4]
            self.status = int(head.split(" ", 2)[1])
            if self.status != 200:
                self.fail(f"GET /api/v1/stream?areaCode={self.area}: HTTP {self.status} {bytes(self.buf[:300])!r}")
                return
            if "transfer-encoding: chunked" not in head.lower():
                self.fail(f"stream {self.idx}: expected a chunked answer, got headers {head!r}")
                return
            self.state = "size"
        pos = 0
        buf = self.buf
        while True:
            if self.state == "size":
                j = buf.find(b"\r\n", pos)
                if j < 0:
                    break
                size = int(bytes(buf[pos:j]).split(b";")[0], 16)
                pos = j + 2
                if size == 0:
                    self.fail(f"stream {self.idx} ({self.area}): the server ended the stream")
                    return
                self.need = size
                self.state = "data"
            if self.state == "data":
                take = min(self.need, len(buf) - pos)
                if take <= 0:
                    break
                self.sse += buf[pos:pos + take]
                pos += take
                self.need -= take
                if self.need == 0:
                    self.state = "crlf"
            if self.state == "crlf":
                if len(buf) - pos < 2:
                    break
                pos += 2
                self.state = "size"
        del buf[:pos]
        self.events(t)

    def events(self, t):
        sse = self.sse
        start = 0
        while True:
            j = sse.find(b"\n\n", start)
            if j < 0:
                break
            block = bytes(sse[start:j])
            start = j + 2
            if block.startswith(b"event: figures"):
                k = block.find(b"\ndata: ")
                data = block[k + 7:] if k >= 0 else b""
                if self.first_figures is None:
                    self.first_figures = data
                self.last_figures = data
                self.figures.append(t)
                if self.track:
                    self.found.append((t, hazards_found(data)))
                if self.track:
                    for h in self.pending:
                        self.seen.setdefault(h, t)
                self.pending = []
                if not self.ready.done():
                    self.ready.set_result(t)
            elif block.startswith(b"event: change"):
                self.changes += 1
                if self.track:
                    m = HAZARD_ID.search(block)
                    if m:
                        self.pending.append(m.group(1).decode().upper())
            elif block.startswith(b"event: heartbeat"):
                self.heartbeats += 1
        if start:
            del sse[:start]


async def open_streams(base, token, areas, track=True, parallel=50, timeout=120):
    """Opens one stream per area (in this order) and waits for each one's first figures."""
    host, port = split_base(base)
    loop = asyncio.get_running_loop()
    sem = asyncio.Semaphore(parallel)
    readers = []

    async def one(i, area):
        async with sem:
            _, proto = await loop.create_connection(lambda: StreamReader(i, area, token, host, port, track), host, port)
            readers.append(proto)
            await asyncio.wait_for(asyncio.shield(proto.ready), timeout)

    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(one(i, a)) for i, a in enumerate(areas)]
    try:
        await asyncio.gather(*tasks)
    except asyncio.TimeoutError:
        raise Abort(f"a stream did not send its first figures within {timeout} s")
    except OSError as e:
        raise Abort(f"could not open stream {len(readers) + 1} of {len(areas)}: {e} (ulimit -n?)")
    finally:
        for t in tasks:
            t.cancel()
    readers.sort(key=lambda r: r.idx)
    return readers, time.monotonic() - t0


async def close_streams(readers):
    for r in readers:
        r.close()
    await asyncio.sleep(0.2)


class LoopLag:
    """How late this process's event loop runs a 20 ms timer (what the readers add to latencies)."""

    def __init__(self):
        self.lags = []
        self.task = asyncio.ensure_future(self.run())

    async def run(self):
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.02)
            self.lags.append(time.monotonic() - t - 0.02)

    def stop(self):
        self.task.cancel()


# ---------------------------------------------------------------- part 1/2: change to screen

async def plan_writes(base, token, count, villages_wanted=10):
    """Subjects of 瓜沥 without open hazards (enterprises and street shops), in the villages that
    have most of them; each write: one such subject and one checklist item of its kind not used
    on it before (so a new hazard every time)."""
    checklist = await call(base, "GET", "/api/v1/checklists/current", token)
    items = {}
    for it in checklist["items"]:
        for k in it.get("subjectKinds") or []:
            items.setdefault(k, []).append(it["code"])
    subjects = []
    for kind in ("enterprise", "streetShop"):
        page = 1
        while page <= 50:
            r = await call(base, "GET", f"/api/v1/subjects?kind={kind}&areaCode={GUALI}&colour=rectified&per=200&page={page}", token)
            got = r.get("items") or []
            subjects += [s for s in got if (s.get("colour") or {}).get("key") == "rectified" and s.get("villageCode")]
            if len(got) < 200:
                break
            page += 1
    by_village = {}
    for s in subjects:
        by_village.setdefault(s["villageCode"], []).append(s)
    villages = sorted(by_village, key=lambda v: -len(by_village[v]))[:villages_wanted]
    chosen = [s for v in villages for s in by_village[v]]
    if not chosen:
        raise Abort("no subject of 瓜沥 without open hazards to write on")
    capacity = sum(len(items.get(s["kind"], [])) for s in chosen)
    if capacity < count:
        raise Abort(f"only {capacity} (subject, item) pairs without an open hazard for {count} writes")
    # Round-robin over the subjects (interleaved by village) so one subject's writes are far apart.
    rr = []
    queues = [list(by_village[v]) for v in villages]
    while any(queues):
        for q in queues:
            if q:
                rr.append(q.pop(0))
    used = {s["id"]: 0 for s in rr}
    writes = []
    while len(writes) < count:
        for s in rr:
            codes = items.get(s["kind"], [])
            if used[s["id"]] < len(codes) and len(writes) < count:
                writes.append({"subjectId": s["id"], "itemCode": codes[used[s["id"]]], "village": s["villageCode"]})
                used[s["id"]] += 1
    return writes, villages, len(chosen)


def writer_child(spec_path, out_path):
    """The writing process: inspections at spec['rate'] per second, open loop (each at its
    scheduled instant, at most spec['inflight'] at once on keep-alive connections)."""
    with open(spec_path) as f:
        spec = json.load(f)
    host, port = spec["host"], spec["port"]
    out = {"writes": [], "error": None}

    async def main():
        idle = []
        inflight = asyncio.Semaphore(spec["inflight"])
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() - 60 + 8 * 3600))
        failed = asyncio.get_running_loop().create_future()

        async def one(i, w):
            async with inflight:
                c = idle.pop() if idle else Conn(host, port)
                body = {"clientId": f"live-bench-{spec['run']}-{i}", "subjectId": w["subjectId"], "inspectedAt": stamp,
                        "inspector": "李伟", "team": [{"name": "李伟", "department": "fireRescue"},
                                                     {"name": "张敏", "department": "emergencyManagement"}],
                        "results": [{"itemCode": w["itemCode"], "outcome": "hazard", "note": "大屏延迟基准"}]}
                if c.w is None:
                    await c.open()
                t_send = time.monotonic()
                try:
                    st, _, payload = await c.request("POST", "/api/v1/inspections", spec["token"], body)
                except (ConnectionError, asyncio.IncompleteReadError) as e:
                    c.close()
                    c = Conn(host, port)
                    await c.open()
                    t_send = time.monotonic()  # the same clientId again: idempotent
                    try:
                        st, _, payload = await c.request("POST", "/api/v1/inspections", spec["token"], body)
                    except (ConnectionError, asyncio.IncompleteReadError) as e2:
                        raise Abort(f"POST /api/v1/inspections #{i}: {e}; again: {e2}")
                t_answer = time.monotonic()
                idle.append(c)
                if st not in (200, 201):
                    raise Abort(f"POST /api/v1/inspections #{i} ({w['subjectId']} {w['itemCode']}): HTTP {st} {payload[:400]!r}")
                a = json.loads(payload)
                hazards = [r["hazardId"].upper() for r in a.get("results", []) if r.get("hazardId")]
                linked = any(r.get("linked") for r in a.get("results", []))
                out["writes"].append({"i": i, "village": w["village"], "send": t_send, "answer": t_answer, "status": st,
                                      "hazards": hazards, "linked": linked, "scheduled": spec["start"] + i / spec["rate"]})

        async def guarded(i, w):
            try:
                await one(i, w)
            except BaseException as e:  # noqa: BLE001 — the first failure stops the writer
                if not failed.done():
                    failed.set_exception(e if isinstance(e, Abort) else Abort(f"write #{i}: {type(e).__name__}: {e}"))

        tasks = []
        delay = spec["start"] - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        for i, w in enumerate(spec["writes"]):
            at = spec["start"] + i / spec["rate"]
            d = at - time.monotonic()
            if d > 0:
                await asyncio.wait([failed], timeout=d)
            if failed.done():
                break
            tasks.append(asyncio.ensure_future(guarded(i, w)))
        done = asyncio.ensure_future(asyncio.gather(*tasks))
        await asyncio.wait([done, failed], return_when=asyncio.FIRST_COMPLETED, timeout=spec["timeout"])
        if failed.done():
            failed.result()
        if not done.done():
            raise Abort(f"the writes did not all answer within {spec['timeout']} s")
        for c in idle:
            c.close()

    try:
        asyncio.run(main())
    except Abort as e:
        out["error"] = str(e)
    except Exception as e:  # noqa: BLE001
        out["error"] = f"{type(e).__name__}: {e}"
    with open(out_path, "w") as f:
        json.dump(out, f)
    sys.exit(3 if out["error"] else 0)


async def part_latency(args, label):
    base = args.base
    write_base = args.write_base or args.base
    split_base(write_base)
    count = int(args.rate * args.duration)
    reader_token = await sign_in(base, "screen.viewer")
    writer_token = await sign_in(write_base, "guali.admin")
    writes, villages, nsubjects = await plan_writes(write_base, writer_token, count)
    town_n = args.streams // 2
    village_n = args.streams - town_n
    areas = [GUALI] * town_n + [villages[i % len(villages)] for i in range(village_n)]
    log(f"   {count} writes planned on {nsubjects} subjects of {len(villages)} villages; "
        f"{args.streams} streams ({town_n} town, {village_n} over the {len(villages)} villages) on {base}"
        + (f", writes to {write_base}" if write_base != base else ""))
    readers, opened = await open_streams(base, reader_token, areas)
    log(f"   {len(readers)} streams open with their first figures in {opened:.1f} s")
    await asyncio.sleep(1.0)
    for r in readers:   # anything before the writes is not measured
        r.seen.clear()
        r.pending = []
        r.base = r.found[-1][1] if r.found else None
    figures_before = [len(r.figures) for r in readers]
    changes_before = sum(r.changes for r in readers)
    lag = LoopLag()
    # The writer: a separate process (its sends are not delayed by this loop).
    host, port = split_base(write_base)
    tmp = tempfile.mkdtemp(prefix="live-screen-")
    spec_path, out_path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "out.json")
    start = time.monotonic() + 1.0
    with open(spec_path, "w") as f:
        json.dump({"host": host, "port": port, "token": writer_token, "rate": args.rate, "writes": writes,
                   "start": start, "inflight": 64, "timeout": args.duration + 120, "run": uuid.uuid4().hex[:8]}, f)
    cpu0 = (time.monotonic(), cpu_s(args.pid)) if args.pid else None
    proc = await asyncio.create_subprocess_exec(sys.executable, os.path.abspath(__file__), "_writer", spec_path, out_path)
    ended = [asyncio.ensure_future(r.ended) for r in readers]
    waiter = asyncio.ensure_future(proc.wait())
    done, _ = await asyncio.wait([waiter] + ended, return_when=asyncio.FIRST_COMPLETED, timeout=args.duration + 180)
    if waiter not in done:
        for d in done:
            d.result()   # a stream that ended raises its Abort here
        proc.kill()
        raise Abort("the writer did not finish in time")
    with open(out_path) as f:
        out = json.load(f)
    if out["error"]:
        raise Abort(out["error"])
    ws = sorted(out["writes"], key=lambda w: w["i"])
    t_last = max(w["answer"] for w in ws)
    # Drain: until every stream has shown every write of its area, or --drain s.
    fresh = [w for w in ws if w["hazards"] and not w["linked"]]
    by_area = {a: {h for w in fresh if w["village"].startswith(a) for h in w["hazards"]} for a in set(areas)}
    want = {r.idx: by_area[r.area] for r in readers}
    deadline = time.monotonic() + args.drain
    while time.monotonic() < deadline:
        for d in ended:
            if d.done():
                d.result()
        # (Not on hazardsFound alone: a write's change event can come one update after the
        # figures that first count it.)
        if all(want[r.idx] <= r.seen.keys() for r in readers):
            break
        await asyncio.sleep(0.5)
    lag.stop()
    cpu1 = (time.monotonic(), cpu_s(args.pid)) if args.pid else None
    for d in ended:
        if d.done():
            d.result()
    await close_streams(readers)
    for d in ended:
        d.cancel()

    # ---- figures
    span = ws[-1]["send"] - ws[0]["send"]
    rate = (len(ws) - 1) / span if span > 0 else 0
    slip = [w["send"] - w["scheduled"] for w in ws]
    write_lat = [w["answer"] - w["send"] for w in ws]
    linked = sum(1 for w in ws if w["linked"] or not w["hazards"])
    lat_send, lat_answer = [], []
    by_kind = {"town": [], "village": []}
    missed = 0
    for r in readers:
        kind = "town" if r.area == GUALI else "village"
        for w in fresh:
            if not w["village"].startswith(r.area):
                continue
            t = [r.seen[h] for h in w["hazards"] if h in r.seen]
            if not t:
                missed += 1
                continue
            lat_send.append(min(t) - w["send"])
            lat_answer.append(min(t) - w["answer"])
            by_kind[kind].append(min(t) - w["send"])
    # A second measure from the figures alone (it does not need the change events): write w is
    # surely in a figures event whose hazardsFound − the stream's base ≥ the hazards of all
    # writes of the area sent before w's 201 arrived (a write sent later committed after w).
    # An upper bound of the latency.
    bound, bound_missed = [], 0
    for a in set(areas):
        aw = sorted((w for w in fresh if w["village"].startswith(a)), key=lambda w: w["send"])
        sends = [w["send"] for w in aw]
        cum = [0]
        for w in aw:
            cum.append(cum[-1] + len(w["hazards"]))
        needs = [(w, cum[bisect.bisect_left(sends, w["answer"])]) for w in aw]
        for r in readers:
            if r.area != a:
                continue
            if r.base is None:
                bound_missed += len(needs)
                continue
            ts, hs, top = [], [], -1
            for t, h in r.found:
                if h is not None and h > top:
                    top = h
                    ts.append(t)
                    hs.append(h - r.base)
            for w, need in needs:
                i = bisect.bisect_left(hs, need)
                while i < len(ts) and ts[i] < w["send"]:
                    i += 1
                if i < len(ts):
                    bound.append(ts[i] - w["send"])
                else:
                    bound_missed += 1
    # Cross-check with the figures themselves.
    mismatched = 0
    for r in readers:
        try:
            first = json.loads(r.first_figures)["hazardsFound"]
            last = json.loads(r.last_figures)["hazardsFound"]
        except (ValueError, KeyError, TypeError):
            mismatched += 1
            continue
        if last - first != len(want[r.idx]):
            mismatched += 1
    updates = [len(r.figures) - b for r, b in zip(readers, figures_before)]
    if write_base != base:
        # Does the reading instance know of the writes at all (its dashboard answer, cached or not)?
        path = f"/api/v1/dashboard?areaCode={GUALI}"
        on_w = (await call(write_base, "GET", path, writer_token))["hazardsFound"]
        on_r = (await call(base, "GET", path, reader_token))["hazardsFound"]
        written = sum(len(w["hazards"]) for w in fresh)
        result(label, "GET /api/v1/dashboard hazardsFound of 瓜沥 after the drain: writing / reading instance",
               f"{on_w:,} / {on_r:,} ({written} hazards written)", "equal", on_w == on_r)
    wall = t_last - ws[0]["send"]
    mb = sum(r.bytes for r in readers) / 1e6

    log(f"   writes: {len(ws)} answered 2xx, {rate:.1f}/s achieved (target rate {args.rate}/s; start slip p95 {ms(pct(slip, 95))}), "
        f"answer p50/p95/max {ms(pct(write_lat, 50))}/{ms(pct(write_lat, 95))}/{ms(max(write_lat))}; {linked} linked or without hazard")
    result(label, "writes answered 2xx / achieved rate", f"{len(ws)} / {rate:.1f} per s", f"{args.rate}/s for {args.duration:g} s")
    result(label, "POST /api/v1/inspections p50 / p95 / max", f"{ms(pct(write_lat, 50))} / {ms(pct(write_lat, 95))} / {ms(max(write_lat))}")
    pairs = len(lat_send) + missed
    if lat_send:
        p95 = pct(lat_send, 95)
        result(label, f"latency send→figures p50 / p95 / max ({len(lat_send)} of {pairs} write×stream pairs)",
               f"{ms(pct(lat_send, 50))} / {ms(p95)} / {ms(max(lat_send))}", "p95 ≤ 1 s", p95 <= TARGET_LATENCY_P95_S and missed == 0)
        result(label, "latency 201 received→figures p50 / p95 / max",
               f"{ms(pct(lat_answer, 50))} / {ms(pct(lat_answer, 95))} / {ms(max(lat_answer))}")
        for k, v in by_kind.items():
            if v:
                result(label, f"latency send→figures, {k} streams p50 / p95 / max",
                       f"{ms(pct(v, 50))} / {ms(pct(v, 95))} / {ms(max(v))}")
    else:
        result(label, f"latency send→figures ({pairs} write×stream pairs)", f"none shown within {args.drain:g} s of the last write",
               "p95 ≤ 1 s", False)
    result(label, "write×stream pairs never shown (within the drain)", f"{missed} of {pairs}", "0", missed == 0)
    if bound:
        result(label, "latency send→figures that surely include it (from hazardsFound alone) p50 / p95 / max",
               f"{ms(pct(bound, 50))} / {ms(pct(bound, 95))} / {ms(max(bound))}" + (f"; {bound_missed} never" if bound_missed else ""),
               "p95 ≤ 1 s", pct(bound, 95) <= TARGET_LATENCY_P95_S and bound_missed == 0)
    else:
        result(label, "latency send→figures from hazardsFound alone", f"no figures event showed the writes ({bound_missed} pairs)",
               "p95 ≤ 1 s", False)
    result(label, "streams whose last figures ≠ first + written hazards", f"{mismatched} of {len(readers)}", "0", mismatched == 0)
    result(label, "figures events per stream during the writes p50 / min / max",
           f"{pct(updates, 50)} / {min(updates)} / {max(updates)} in {wall:.1f} s")
    result(label, "bytes read by the readers", f"{mb:.0f} MB")
    if cpu0 and cpu1:
        events = sum(updates)
        result(label, f"server (PID {args.pid}) CPU from the first write to the end of the drain",
               f"{cpu1[1] - cpu0[1]:.1f} s in {cpu1[0] - cpu0[0]:.1f} s = {(cpu1[1] - cpu0[1]) / (cpu1[0] - cpu0[0]):.2f} cores "
               f"(machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f})")
        if events:
            result(label, "  server CPU per figures event sent (writes included)",
                   f"{(cpu1[1] - cpu0[1]) * 1000 / events:.1f} ms ({events} figures and "
                   f"{sum(r.changes for r in readers) - changes_before} change events)")
    result(label, "reader loop lag p50 / p95 / max (client side, included above)",
           f"{ms(pct(lag.lags, 50))} / {ms(pct(lag.lags, 95))} / {ms(max(lag.lags))}")


# ---------------------------------------------------------------- part 3: idle streams

def cpu_s(pid):
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        st = f.read()
    m = re.search(r"VmRSS:\s+(\d+) kB", st)
    h = re.search(r"VmHWM:\s+(\d+) kB", st)
    return int(m.group(1)) / 1024, int(h.group(1)) / 1024


async def dashboard_load(base, token, total, conc, path):
    host, port = split_base(base)
    lat = []
    counter = iter(range(total))

    async def worker():
        c = await Conn(host, port).open()
        try:
            for _ in counter:
                t = time.monotonic()
                st, _, payload = await c.request("GET", path, token)
                lat.append(time.monotonic() - t)
                if st != 200:
                    raise Abort(f"GET {path}: HTTP {st} {payload[:300]!r}")
        finally:
            c.close()

    t0 = time.monotonic()
    await asyncio.gather(*[worker() for _ in range(conc)])
    return lat, total / (time.monotonic() - t0)


async def part_idle(args, label):
    """Rounds without and with the idle streams, alternating (without, with, without, …), so a
    change of the machine's load during the part shows instead of passing for the streams' cost."""
    base = args.base
    if not args.pid:
        raise Abort("idle: --pid (the server's process id) is needed for its VmRSS")
    token = await sign_in(base, "screen.viewer")
    villages = [a["code"] for a in (await call(base, "GET", f"/api/v1/areas/{GUALI}", token))["children"]]
    path = f"/api/v1/dashboard?areaCode={GUALI}"
    areas = [GUALI if i % 2 == 0 else villages[(i // 2) % len(villages)] for i in range(args.idle)]
    await dashboard_load(base, token, 200, args.dash_concurrency, path)       # warm-up
    rss_before, _ = rss_mb(args.pid)
    without, with_, rss_with, rss_without, opened_s = [], [], [], [], []
    for rnd in range(args.rounds):
        lat, rps = await dashboard_load(base, token, args.dash_requests, args.dash_concurrency, path)
        without.append((lat, rps))
        rss0, _ = rss_mb(args.pid)
        rss_without.append(rss0)
        log(f"   round {rnd + 1} without streams: VmRSS {rss0:.0f} MB; dashboard p50/p95 {ms(pct(lat, 50))}/{ms(pct(lat, 95))}, "
            f"{rps:.0f} req/s; load average {os.getloadavg()[0]:.2f}")
        readers, opened = await open_streams(base, token, areas, track=False, parallel=32, timeout=180)
        opened_s.append(opened)
        await asyncio.sleep(3)
        ended = [asyncio.ensure_future(r.ended) for r in readers]
        rss1, _ = rss_mb(args.pid)
        lat, rps = await dashboard_load(base, token, args.dash_requests, args.dash_concurrency, path)
        for d in ended:
            if d.done():
                d.result()
        rss2, hwm = rss_mb(args.pid)
        with_.append((lat, rps))
        rss_with.append(max(rss1, rss2))
        log(f"   round {rnd + 1} with {len(readers)} streams (opened in {opened:.1f} s): VmRSS {rss1:.0f} MB, after the load "
            f"{rss2:.0f} MB (peak {hwm:.0f} MB); dashboard p50/p95 {ms(pct(lat, 50))}/{ms(pct(lat, 95))}, {rps:.0f} req/s; "
            f"load average {os.getloadavg()[0]:.2f}")
        await close_streams(readers)
        for d in ended:
            d.cancel()
        await asyncio.sleep(2)
    rss_after, hwm = rss_mb(args.pid)
    p95_without = [pct(x[0], 95) for x in without]
    p95_with = [pct(x[0], 95) for x in with_]
    ratio = statistics.median(p95_with) / statistics.median(p95_without)
    first = rss_with[0]
    result(label, "VmRSS without streams (after a dashboard load)", f"{rss_before:.0f} MB")
    result(label, f"VmRSS with {args.idle} idle streams (first round / highest of {args.rounds})",
           f"{first:.0f} MB / {max(rss_with):.0f} MB", f"≤ {TARGET_RSS_MB} MB", max(rss_with) <= TARGET_RSS_MB)
    result(label, "  VmRSS each round without → with streams",
           ", ".join(f"{a:.0f} → {b:.0f} MB" for a, b in zip(rss_without, rss_with)))
    result(label, "  growth per open stream in the last round (caches already warm)",
           f"{(rss_with[-1] - rss_without[-1]) * 1024 / args.idle:.0f} KB")
    result(label, "  VmRSS at the end, streams closed / peak (VmHWM)", f"{rss_after:.0f} MB / {hwm:.0f} MB")
    result(label, f"{args.idle} streams opened (first figures on each) in", " / ".join(f"{x:.1f} s" for x in opened_s))
    result(label, f"dashboard p95 without streams, each round ({args.dash_requests} req, {args.dash_concurrency} conc.)",
           " / ".join(ms(x) for x in p95_without) + f" (p50 {ms(statistics.median([pct(x[0], 50) for x in without]))}, "
           f"{statistics.median([x[1] for x in without]):.0f} req/s)")
    result(label, f"dashboard p95 with {args.idle} idle streams, each round",
           " / ".join(ms(x) for x in p95_with) + f" (p50 {ms(statistics.median([pct(x[0], 50) for x in with_]))}, "
           f"{statistics.median([x[1] for x in with_]):.0f} req/s)")
    result(label, "dashboard p95 with ÷ without (medians of the rounds)", f"{ratio:.2f}", f"≤ {TARGET_DASH_RATIO}",
           ratio <= TARGET_DASH_RATIO)


# ---------------------------------------------------------------- part 4: first paint

PROBE = r"""
(function () {
  if (location.pathname.indexOf('/screen') !== 0) return;
  var P = window.__paint = {figures: null, outline: null, mapData: null, done: false, inflight: 0, lastDone: 0};
  // Requests of the page still running (so the next run starts on an idle server).
  var of = window.fetch;
  window.fetch = function () {
    P.inflight++;
    return of.apply(this, arguments).finally(function () { P.inflight--; P.lastDone = performance.now(); });
  };
  function check() {
    if (P.done) return;
    var t = performance.now(), b = document.body;
    if (P.figures === null && b && +(b.getAttribute('data-figures') || 0) >= 1) P.figures = t;
    if (P.outline === null && document.querySelector('#map path')) P.outline = t;
    if (P.mapData === null && document.querySelector('#map .leaflet-marker-icon, #map path.leaflet-interactive')) P.mapData = t;
    if (P.figures !== null && P.outline !== null && P.mapData !== null) { P.done = true; return; }
    requestAnimationFrame(check);
  }
  requestAnimationFrame(check);
  setInterval(check, 16);
})();
"""


def part_paint(args, label):
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base = args.base.rstrip("/")
    split_base(base)
    o = webdriver.ChromeOptions()
    o.binary_location = args.chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
              "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-default-apps",
              "--disable-component-update", "--lang=zh-CN", "--hide-scrollbars", "--window-size=1920,1080",
              "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
              "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(args.chromedriver), options=o)

    def setup_tab():
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
        d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        d.execute_cdp_cmd("Network.enable", {})

    try:
        d.set_page_load_timeout(60)
        setup_tab()
        path = args.path
        d.get(base + "/login?next=" + urllib.parse.quote(path, safe="/?=&"))
        d.find_element(By.NAME, "username").send_keys(args.user)
        d.find_element(By.NAME, "password").send_keys(PASSWORD)
        d.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
        try:
            WebDriverWait(d, 30).until(lambda x: urllib.parse.urlparse(x.current_url).path.rstrip("/") == "/screen")
        except TimeoutException:
            raise Abort(f"sign-in as {args.user} did not reach /screen (at {d.current_url})")
        d.get("about:blank")      # the sign-in tab stays (blank), without a stream of its own
        home = d.current_window_handle
        d.get_log("browser")
        runs = {"cold": [], "warm": []}
        # Each run in a new tab, closed after it: a closed tab's stream and requests end, so they
        # do not hold the browser's 6 connections to the server (a page left for about:blank
        # does not always let go of its stream at once).
        for mode in ["cold"] * args.paint_runs + ["warm"] * args.paint_runs:
            d.switch_to.new_window("tab")
            setup_tab()
            if mode == "cold":
                d.execute_cdp_cmd("Network.clearBrowserCache", {})
            d.get(base + path)
            try:
                WebDriverWait(d, args.paint_timeout, poll_frequency=0.05).until(
                    lambda x: x.execute_script("return window.__paint && window.__paint.done"))
            except TimeoutException:
                p = d.execute_script("return window.__paint")
                stream = d.execute_script("return document.body.getAttribute('data-stream')")
                raise Abort(f"{path}: not drawn within {args.paint_timeout} s ({p}; data-stream={stream})")
            p = d.execute_script("return window.__paint")
            # Let the page's own requests end (the map asks again after fitting its view), so the
            # next run does not start on a server still busy with this one's.
            try:
                WebDriverWait(d, args.paint_timeout, poll_frequency=0.1).until(lambda x: x.execute_script(
                    "var P = window.__paint; return P.inflight === 0 && performance.now() - P.lastDone > 1000"))
            except TimeoutException:
                raise Abort(f"{path}: the page's requests did not end within {args.paint_timeout} s after drawing")
            ents = d.execute_script("""return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
                .map(function (e) { return [e.name, e.responseStatus || 0, e.transferSize || 0, e.encodedBodySize || 0, e.initiatorType,
                                            e.startTime, e.responseEnd]; })""")
            bad = [e for e in ents if e[1] and not (200 <= e[1] < 300 or (mode == "warm" and e[1] == 304))]
            if bad:
                raise Abort(f"{path}: non-2xx answers in the page: {bad[:5]}")
            severe = [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]
            if severe:
                raise Abort(f"{path}: browser errors: {severe[:3]}")
            api = {urllib.parse.urlparse(e[0]).path: e for e in ents if "/api/v1/" in e[0]}
            maps = [e for e in ents if urllib.parse.urlparse(e[0]).path == "/api/v1/map"]
            first_map = min(maps, key=lambda e: e[5]) if maps else None
            total = max(p["figures"], p["outline"], p["mapData"]) / 1000
            runs[mode].append({"figures": p["figures"] / 1000, "outline": p["outline"] / 1000, "map": p["mapData"] / 1000,
                               "total": total, "bytes": sum(e[2] for e in ents),
                               "map_api": (first_map[6] - first_map[5]) / 1000 if first_map else None,
                               "map_start": first_map[5] / 1000 if first_map else None})
            log(f"   {mode}: figures {p['figures'] / 1000:.2f} s, outline {p['outline'] / 1000:.2f} s, map data "
                f"{p['mapData'] / 1000:.2f} s (GET /api/v1/map from {runs[mode][-1]['map_start'] or 0:.2f} s, took "
                f"{runs[mode][-1]['map_api'] or 0:.2f} s; map requests from–to: "
                f"{', '.join(f'{e[5] / 1000:.2f}–{e[6] / 1000:.2f}' for e in sorted(maps, key=lambda e: e[5]))}), {sum(e[2] for e in ents) / 1000:.0f} KB; "
                f"api {sorted(api)}")
            if len(runs["cold"]) + len(runs["warm"]) < 2 * args.paint_runs:
                d.close()
                d.switch_to.window(home)
        figs = d.execute_script("return +document.body.getAttribute('data-figures')")
        mode_attr = d.execute_script("return document.getElementById('map').getAttribute('data-mode')")
        bubbles = d.execute_script("return document.querySelectorAll('#map .bubble').length")
        shot = os.path.join(tempfile.gettempdir(), f"live-screen-{label}.png")
        d.save_screenshot(shot)
        log(f"   last run: data-figures {figs}, map mode {mode_attr}, {bubbles} bubbles; screenshot {shot}")
    finally:
        d.quit()
    for mode, rs in runs.items():
        if not rs:
            continue
        tot = [r["total"] for r in rs]
        med = statistics.median(tot)
        result(label, f"{args.path} as {args.user}, {mode} ({len(rs)} runs): figures and map drawn, median (min–max)",
               f"{med:.2f} s ({min(tot):.2f}–{max(tot):.2f})", f"≤ {TARGET_PAINT_S} s", med <= TARGET_PAINT_S)
        result(label, f"  {mode}: figures / outline / map data, medians",
               " / ".join(f"{statistics.median([r[k] for r in rs]):.2f} s" for k in ("figures", "outline", "map"))
               + f"; {statistics.median([r['bytes'] for r in rs]) / 1000:.0f} KB transferred")
        api = [r["map_api"] for r in rs if r["map_api"] is not None]
        starts = [r["map_start"] for r in rs if r["map_start"] is not None]
        if api:
            result(label, f"  {mode}: the first GET /api/v1/map starts at / takes, medians",
                   f"{statistics.median(starts):.2f} s / {statistics.median(api):.2f} s")


# ---------------------------------------------------------------- main

def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "_writer":
        writer_child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["latency", "idle", "paint"])
    ap.add_argument("--base", required=True, help="the server the streams (or the browser) read, http://127.0.0.1:<port>")
    ap.add_argument("--write-base", help="latency: the server the inspections are written to (default --base)")
    ap.add_argument("--label", help="the label of the RESULT lines (default the part)")
    ap.add_argument("--streams", type=int, default=500)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--drain", type=float, default=15, help="latency: s after the last answer to wait for the last figures")
    ap.add_argument("--pid", type=int, help="idle: the server's process id (VmRSS); latency: the streams' server (its CPU time)")
    ap.add_argument("--idle", type=int, default=2000)
    ap.add_argument("--dash-requests", type=int, default=2000)
    ap.add_argument("--dash-concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3, help="idle: rounds of (without, with) streams")
    ap.add_argument("--user", default="screen.viewer", help="paint: the account (password safegrid-demo)")
    ap.add_argument("--path", default="/screen", help="paint: the page")
    ap.add_argument("--paint-runs", type=int, default=5)
    ap.add_argument("--paint-timeout", type=float, default=60)
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    ap.add_argument("--chromedriver", default=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    ap.add_argument("--timeout", type=float, default=900, help="overall limit, s")
    args = ap.parse_args()
    label = args.label or args.part

    def on_alarm(*_):
        raise Abort(f"overall limit of {args.timeout:g} s reached")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(args.timeout))
    t0 = time.time()
    try:
        if args.part == "paint":
            part_paint(args, label)
        else:
            fn = part_latency if args.part == "latency" else part_idle
            asyncio.run(asyncio.wait_for(fn(args, label), args.timeout))
    except (Abort, asyncio.TimeoutError) as e:
        msg = str(e) or f"overall limit of {args.timeout:g} s reached"
        log(f"ABORT ({label}): {msg}")
        result(label, "ABORTED", msg[:600], "", False)
        sys.exit(2)
    finally:
        signal.alarm(0)
    log(f"   {label} done in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
