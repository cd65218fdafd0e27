"""Benchmark of the field app (/field/) on a throttled 4G-like link, in headless Chromium at phone
size (390×844). It prints figures against the targets; it is not a test (missed targets do not
fail it), but it aborts (exit 2) on any answer of the server it did not expect.

The link is Chromium's DevTools network emulation (Network.emulateNetworkConditions): 150 ms
latency, 1.6 Mbit/s down (200,000 bytes/s), 750 kbit/s up (93,750 bytes/s). It is applied to the
page and to the app's service worker (each DevTools target has its own emulated pipe, so while both
download at once they get 1.6 Mbit/s each: slightly kinder than one shared link).

  1. first load  — a fresh browser profile, signed in at /login (unthrottled), cache cleared, no
                   service worker yet; then /field/ on the throttled link. Bytes transferred
                   (encodedDataLength of every request of the page and of the service worker,
                   headers included) and the time until the Today screen lists tasks
                   (`#task-list li.task`, from the navigation start). Repeated --repeat times,
                   each in a new profile.
  2. second start — in the last profile, with the service worker installed and the day's data on
                   the phone: the service worker is stopped (as after the app was closed), then
                   /field/ is opened again; time until the task list shows. --repeat times.
  3. inspection  — 5 hazards (items without an open hazard) and 3 photos (4000×3000 JPEGs drawn
                   by the browser's canvas, ≈ 2.6 MB each; the app shrinks them to 1600 px) on a
                   task of the Today list, through the screens; time from the tap on
                   #inspect-submit to the server's answer to POST /api/v1/inspections (and to the
                   signature screen saying it is stored). Checked on the server.
  4. 500 offline — a new profile, signed in, the app loaded and its day's data stored; offline
                   (DevTools), 500 inspections (every item passed) queued through the app's own
                   outbox (SG.Outbox.add, what the inspection screen calls), then back online: time
                   until the server has answered all 500 (and until the outbox shows them sent).
                   Checked on the server: each clientId stored exactly once. --drain says on which
                   link: throttled, unthrottled or both (default: both, throttled first, each in
                   its own new profile).

Times of requests are the browser's own (DevTools timestamps); 'until usable' counts the requests
that had finished when the task list appeared.

Abort (exit 2, message on stderr) on: a non-2xx answer to any request of the app (/field/…,
/api/…, /photos/…) seen in the browser's network log (304 to a revalidation GET of the app's
files is the only exception; a 409 'already sent' is unexpected here, every item is fresh), a
non-2xx answer to the script's own API calls, a wait that times out, or the overall --timeout.

Run through Benchmarks/field_app.sh (demo database, server on a loopback port, this script), or
against a running server: `python3 Benchmarks/field_app.py --base http://127.0.0.1:8100`.
CDP_DEBUG=1 logs the DevTools targets and their non-network events.
"""
import argparse
import base64
import importlib.util
import itertools
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts", "ci"))
sys.path.insert(0, os.path.join(ROOT, "scripts", "ci", "browser"))  # field_app.py imports harness
import common  # noqa: E402  (scripts/ci/common.py: http, PASSWORD, log)

# The browser tests' phone (options, mobile emulation 390×844, geolocation) and EXIF/JPEG helpers.
_spec = importlib.util.spec_from_file_location("ci_field_app", os.path.join(ROOT, "scripts", "ci", "browser", "field_app.py"))
ci = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ci)

import websocket  # noqa: E402  (websocket-client, a dependency of selenium)
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

LATENCY_MS = 150
DOWN = 200_000      # bytes/s = 1.6 Mbit/s
UP = 93_750         # bytes/s = 750 kbit/s
THROTTLED = {"offline": False, "latency": LATENCY_MS, "downloadThroughput": DOWN, "uploadThroughput": UP, "connectionType": "cellular4g"}
OFFLINE = dict(THROTTLED, offline=True)
UNTHROTTLED = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}

TARGET_FIRST_BYTES = 200_000    # "≤ 200 KB" (1 KB = 1,000 bytes here, like the link's rates)
TARGET_FIRST_S = 3.0
TARGET_SECOND_S = 1.0
TARGET_INSPECTION_S = 10.0
TARGET_DRAIN_S = 60.0


class Abort(Exception):
    pass


def log(*a):
    common.log(*a)


def kb(n):
    return f"{n / 1000:,.1f} KB"


# ---------------------------------------------------------------- DevTools: every target's network

class Cdp:
    """A second DevTools client on the browser's websocket (flat sessions): auto-attaches to the
    page and the service worker, applies the network conditions to each (before a new one runs),
    and records every request with its status and bytes. Answers the benchmark does not expect
    are collected in `violations`; `check()` raises them."""

    NET_TYPES = {"page", "service_worker", "worker", "shared_worker", "iframe"}

    def __init__(self, driver, base):
        self.base = base
        addr = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        port = int(addr.rsplit(":", 1)[1])
        info = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=10))
        url = urllib.parse.urlparse(info["webSocketDebuggerUrl"])
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{url.path}", suppress_origin=True,
                                              enable_multithread=True)
        self.ids = itertools.count(1)
        self.pending = {}
        self.lock = threading.RLock()
        self.sessions = {}          # sessionId -> targetInfo
        self.offsets = {}           # sessionId -> wallTime - timestamp (DevTools' monotonic clock to epoch)
        self.requests = {}          # (sessionId, requestId) -> record
        self.order = []             # records in order of first sight
        self.violations = []
        self.notes = []
        self.conditions = None
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.call("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True})

    # -- plumbing
    def send(self, method, params=None, session=None, callback=None):
        i = next(self.ids)
        msg = {"id": i, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        ev = threading.Event()
        self.pending[i] = {"event": ev, "reply": None, "callback": callback}
        self.ws.send(json.dumps(msg))
        return i, ev

    def call(self, method, params=None, session=None, timeout=30):
        i, ev = self.send(method, params, session)
        if not ev.wait(timeout):
            raise Abort(f"DevTools {method} did not answer within {timeout} s")
        reply = self.pending.pop(i)["reply"]
        if "error" in reply:
            raise Abort(f"DevTools {method}: {reply['error']}")
        return reply.get("result", {})

    def close(self):
        self.closed = True
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001
            pass

    def _read(self):
        while True:
            try:
                raw = self.ws.recv()
            except Exception:  # noqa: BLE001  (closed with the browser)
                return
            if not raw:
                continue
            try:
                m = json.loads(raw)
            except ValueError:
                continue
            if "id" in m:
                p = self.pending.get(m["id"])
                if p:
                    p["reply"] = m
                    p["event"].set()
                    if p["callback"]:
                        self.pending.pop(m["id"], None)
                        try:
                            p["callback"](m)
                        except Exception:  # noqa: BLE001
                            pass
                continue
            try:
                self._event(m.get("method"), m.get("params", {}), m.get("sessionId"))
            except Exception:  # noqa: BLE001
                self.notes.append("event handler: " + traceback.format_exc(limit=2))

    def _event(self, method, p, sid):
        now, wall = time.monotonic(), time.time()
        if method == "Target.attachedToTarget":
            s, info = p["sessionId"], p["targetInfo"]
            with self.lock:
                self.sessions[s] = info
            if os.environ.get("CDP_DEBUG"):
                log(f"   [cdp] attached {info['type']} {info.get('url', '')[:60]} waiting={p.get('waitingForDebugger')}")
            if info["type"] in self.NET_TYPES:
                self.send("Network.enable", {}, s)
                if self.conditions:
                    self.send("Network.emulateNetworkConditions", self.conditions, s)
            if p.get("waitingForDebugger"):
                self.send("Runtime.runIfWaitingForDebugger", {}, s)
            return
        if method == "Target.detachedFromTarget":
            with self.lock:
                self.sessions.pop(p.get("sessionId"), None)
            return
        if os.environ.get("CDP_DEBUG") and method and not method.startswith("Network."):
            log(f"   [cdp] {method} {self.sessions.get(sid, {}).get('type')} {json.dumps(p)[:200]}")
        if method == "Inspector.targetReloadedAfterCrash":
            # A stopped service worker started again: the same session, paused until told to run.
            if self.sessions.get(sid, {}).get("type") in self.NET_TYPES:
                self.send("Network.enable", {}, sid)
                if self.conditions:
                    self.send("Network.emulateNetworkConditions", self.conditions, sid)
            self.send("Runtime.runIfWaitingForDebugger", {}, sid)
            return
        if not method or not method.startswith("Network.") or "requestId" not in p:
            return
        key = (sid, p["requestId"])
        ts = p.get("timestamp")
        if method == "Network.requestWillBeSent" and ts is not None and p.get("wallTime"):
            self.offsets[sid] = p["wallTime"] - ts
        off = self.offsets.get(sid, next(iter(self.offsets.values()), None))
        at = ts + off if ts is not None and off is not None else wall  # the browser's own clock, as epoch seconds
        with self.lock:
            rec = self.requests.get(key)
            if rec is None or (method == "Network.requestWillBeSent" and p.get("redirectResponse") is None and rec.get("done")):
                info = self.sessions.get(sid, {})
                rec = {"session": sid, "target": info.get("type", "?"), "url": None, "method": None, "status": None,
                       "bytes": 0, "sent": now, "sent_e": at, "resp": None, "resp_e": None, "done": None, "done_e": None,
                       "failed": None, "sw": False, "cache": False, "type": None}
                self.requests[key] = rec
                self.order.append(rec)
            if method == "Network.requestWillBeSent":
                red = p.get("redirectResponse")
                if red is not None:
                    self._check_status(red.get("status"), rec.get("method") or p["request"]["method"], red.get("url"), redirect=True)
                rec["url"] = p["request"]["url"]
                rec["method"] = p["request"]["method"]
                rec["type"] = p.get("type")
            elif method == "Network.responseReceived":
                r = p["response"]
                rec["url"] = rec["url"] or r.get("url")
                rec["status"] = r.get("status")
                rec["resp"], rec["resp_e"] = now, at
                rec["sw"] = bool(r.get("fromServiceWorker"))
                rec["cache"] = bool(r.get("fromDiskCache") or r.get("fromPrefetchCache"))
                rec["type"] = rec["type"] or p.get("type")
                bad = self._check_status(rec["status"], rec["method"], rec["url"])
                if bad is not None:
                    rec["violation"] = bad
            elif method == "Network.requestServedFromCache":
                rec["cache"] = True
            elif method == "Network.loadingFinished":
                rec["bytes"] = int(p.get("encodedDataLength") or 0)
                rec["done"], rec["done_e"] = now, at
                if rec.get("violation") is not None:
                    v = rec["violation"]
                    self.send("Network.getResponseBody", {"requestId": p["requestId"]}, sid,
                              callback=lambda m, v=v: v.__setitem__("body", (m.get("result") or {}).get("body", "")[:400]))
            elif method == "Network.loadingFailed":
                rec["failed"] = p.get("errorText")
                rec["done"], rec["done_e"] = now, at

    def _app_url(self, url):
        if not url or not url.startswith(self.base):
            return False
        path = urllib.parse.urlparse(url).path
        return path.startswith("/field") or path.startswith("/api/") or path.startswith("/photos/")

    def _check_status(self, status, method, url, redirect=False):
        if status is None or 200 <= status < 300:
            return None
        path = urllib.parse.urlparse(url or "").path
        if status == 304 and method == "GET" and path.startswith("/field/"):
            return None  # revalidation of the app's files (ETag), by the service worker
        if not self._app_url(url):
            if url and url.startswith(self.base):
                self.notes.append(f"{status} {method} {path} (not the app's request; ignored)")
            return None
        if redirect and not path.startswith("/api/"):
            return None
        v = {"status": status, "method": method, "url": url, "body": None, "at": time.monotonic()}
        self.violations.append(v)
        return v

    # -- what the benchmark uses
    def check(self):
        if not self.violations:
            return
        v = self.violations[0]
        deadline = time.monotonic() + 2
        while v["body"] is None and time.monotonic() < deadline:
            time.sleep(0.05)
        path = v["url"][len(self.base):] if v["url"].startswith(self.base) else v["url"]
        more = f" (and {len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        raise Abort(f"unexpected HTTP {v['status']} for {v['method']} {path}{more}: {(v['body'] or '').strip()[:300]}")

    def set_conditions(self, cond):
        """Applies to every attached page and worker, and to those that attach later."""
        self.conditions = cond
        with self.lock:
            targets = [s for s, i in self.sessions.items() if i["type"] in self.NET_TYPES]
        for s in targets:
            try:
                self.call("Network.emulateNetworkConditions", cond, s, timeout=10)
            except Abort:
                if s in self.sessions:  # a worker that went away meanwhile is fine
                    raise

    def since(self, t):
        with self.lock:
            return [r for r in self.order if r["sent"] >= t and r["url"] and r["url"].startswith(self.base)]

    def in_flight(self, t):
        return [r for r in self.since(t) if r["done"] is None]

    def wire(self, recs):
        """Records that crossed the (emulated) network: not answered by the service worker or a cache."""
        return [r for r in recs if not r["sw"] and not r["cache"]]


# ---------------------------------------------------------------- the phone

USABLE_JS = r"""
(function () {
  if (location.pathname.indexOf('/field/') !== 0) return;
  window.__sg = { usable: null, paint: null, controlled: !!(navigator.serviceWorker && navigator.serviceWorker.controller) };
  var obs = new MutationObserver(function () {
    if (window.__sg.usable === null && document.querySelector('#task-list li.task')) {
      window.__sg.usable = performance.now();
      obs.disconnect();
      requestAnimationFrame(function () { setTimeout(function () { window.__sg.paint = performance.now(); }, 0); });
    }
  });
  obs.observe(document, { childList: true, subtree: true });
})();
"""

# A camera-sized photo: flat scene, shapes and edges, and a sensor-like texture (noise at a third of
# the resolution, overlaid), so it compresses like a real one: 4000×3000 ≈ 2.6 MB at quality 0.92;
# the app's 1600×1200 copy at quality 0.8 ≈ 330 KB.
PHOTO_JS = r"""
var w = arguments[0], h = arguments[1], seed = arguments[2], done = arguments[arguments.length - 1];
var s = seed >>> 0 || 1;
function rnd() { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; }
var c = document.createElement('canvas'); c.width = w; c.height = h;
var x = c.getContext('2d');
x.fillStyle = '#b9c6d0'; x.fillRect(0, 0, w, h * 0.45); x.fillStyle = '#5f574f'; x.fillRect(0, h * 0.45, w, h);
for (var i = 0; i < 200; i++) {
  x.fillStyle = 'hsla(' + Math.floor(rnd() * 360) + ',' + Math.floor(rnd() * 50) + '%,' + Math.floor(20 + rnd() * 60) + '%,' + (0.3 + rnd() * 0.7).toFixed(2) + ')';
  var bw = 20 + rnd() * w / 6, bh = 20 + rnd() * h / 6;
  if (rnd() < 0.5) x.fillRect(rnd() * w, rnd() * h, bw, bh);
  else { x.beginPath(); x.ellipse(rnd() * w, rnd() * h, bw / 2, bh / 2, rnd() * 3, 0, 6.3); x.fill(); }
}
x.strokeStyle = 'rgba(20,20,20,0.6)';
for (var k = 0; k < 30; k++) { x.lineWidth = 1 + rnd() * 8; x.beginPath(); x.moveTo(rnd() * w, rnd() * h); x.lineTo(rnd() * w, rnd() * h); x.stroke(); }
var amp = 20, tw = Math.ceil(w / 3), th = Math.ceil(h / 3), t = document.createElement('canvas'); t.width = tw; t.height = th;
var tx = t.getContext('2d'), img = tx.createImageData(tw, th), d = img.data;
for (var p = 0; p < d.length; p += 4) { var v = 128 + (rnd() - 0.5) * 2 * amp; d[p] = v + (rnd() - 0.5) * amp; d[p + 1] = v; d[p + 2] = v + (rnd() - 0.5) * amp; d[p + 3] = 255; }
tx.putImageData(img, 0, 0);
x.globalCompositeOperation = 'overlay'; x.drawImage(t, 0, 0, w, h); x.globalCompositeOperation = 'source-over';
x.fillStyle = '#fff'; x.font = Math.round(h / 12) + 'px sans-serif'; x.fillText('SafeGrid ' + seed, w / 10, h / 2);
c.toBlob(function (b) {
  var r = new FileReader();
  r.onload = function () { done(r.result); };
  r.readAsDataURL(b);
}, 'image/jpeg', 0.92);
"""


class Bench:
    def __init__(self, args):
        self.args = args
        self.base = args.base.rstrip("/")
        self.phone = None
        self.cdp = None
        self.tokens = {}
        self.results = {}
        self.console = []
        self.notes = []
        self.tmp = tempfile.mkdtemp(prefix="safegrid-field-bench-")

    # -- server side
    def token(self, user):
        if user not in self.tokens:
            st, _, body = common.http("POST", self.base + "/api/v1/auth/token", {"username": user, "password": common.PASSWORD})
            if st not in (200, 201):
                raise Abort(f"POST /api/v1/auth/token as {user}: HTTP {st} {body[:200]!r}")
            self.tokens[user] = json.loads(body)["token"]
        return self.tokens[user]

    def api(self, path, user="guali.admin"):
        st, _, body = common.http("GET", self.base + path, headers={"Authorization": "Bearer " + self.token(user)}, timeout=60)
        if not 200 <= st < 300:
            raise Abort(f"unexpected HTTP {st} for GET {path} (the benchmark's own check): {body[:300]!r}")
        return json.loads(body)

    # -- browser
    def new_phone(self, tag):
        self.close_phone()
        p = ci.Phone(self.base, self.args.chromium, self.args.chromedriver, tag)
        p.d.set_page_load_timeout(90)
        p.d.set_script_timeout(600)
        self.phone = p
        self.cdp = Cdp(p.d, self.base)
        self.cdp.set_conditions(UNTHROTTLED)
        return p

    def close_phone(self):
        if self.cdp:
            self.notes += self.cdp.notes
            self.cdp.close()
            self.cdp = None
        if self.phone:
            try:
                self.console += self.phone.console_errors()
            except Exception:  # noqa: BLE001
                pass
            self.phone.quit()
            self.phone = None

    def wait(self, cond, timeout, what, poll=0.1):
        deadline = time.monotonic() + timeout
        while True:
            self.cdp.check()
            try:
                v = cond()
            except WebDriverException as e:
                if "unexpected alert" in str(e).lower():
                    raise
                v = None
            if v:
                return v
            if time.monotonic() > deadline:
                self.screenshot("timeout")
                raise Abort(f"timed out after {timeout} s waiting for {what}")
            time.sleep(poll)

    def el(self, css, timeout=30):
        d = self.phone.d
        return self.wait(lambda: next(iter([e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]), None), timeout, css)

    def click(self, css, timeout=30):
        e = self.el(css, timeout)
        self.phone.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", e)
        e.click()
        return e

    def js(self, script, *args):
        return self.phone.d.execute_async_script("var done = arguments[arguments.length - 1];\n" + script, *args)

    def screenshot(self, name):
        try:
            path = os.path.join(self.tmp, f"{name}.png")
            self.phone.d.save_screenshot(path)
            log(f"   screenshot: {path}")
        except Exception:  # noqa: BLE001
            pass

    def sign_in(self, user):
        d = self.phone.d
        d.get(self.base + "/login")
        d.find_element(By.NAME, "username").send_keys(user)
        d.find_element(By.NAME, "password").send_keys(common.PASSWORD)
        d.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
        self.wait(lambda: urllib.parse.urlparse(d.current_url).path != "/login", 30, "the page after signing in")
        if not any(c["name"] == "safegrid_session" for c in d.get_cookies()):
            raise Abort(f"signing in as {user} set no session cookie (at {d.current_url})")

    def settle(self, t0, quiet=1.5, timeout=120, what="the network to go quiet"):
        """Until no request of the page or service worker has been in flight for `quiet` s."""
        last_busy = time.monotonic()
        deadline = last_busy + timeout
        while True:
            self.cdp.check()
            if self.cdp.in_flight(t0):
                last_busy = time.monotonic()
            elif time.monotonic() - last_busy >= quiet:
                return
            if time.monotonic() > deadline:
                busy = ", ".join(r["url"][len(self.base):] for r in self.cdp.in_flight(t0))
                raise Abort(f"timed out after {timeout} s waiting for {what} (still in flight: {busy})")
            time.sleep(0.1)

    def open_field(self, t_mark):
        """Navigates to /field/ and waits for the task list; returns (usable ms, paint ms, epoch ms of usable, controlled)."""
        d = self.phone.d
        d.get(self.base + "/field/")
        self.wait(lambda: d.execute_script("return window.__sg && window.__sg.usable !== null"), 60, "#task-list li.task")
        self.wait(lambda: d.execute_script("return window.__sg.paint !== null"), 10, "the next frame")
        sg = d.execute_script("return [window.__sg.usable, window.__sg.paint, performance.timeOrigin, window.__sg.controlled]")
        return sg[0], sg[1], sg[2] + sg[0], sg[3]

    # ---------------------------------------------------------------- 1. first load
    def first_load(self, i, n):
        log(f"== 1. first load, run {i}/{n}: new profile, signed in, cache cleared, no service worker; throttled")
        p = self.new_phone(f"first-{i}")
        d = p.d
        self.sign_in("wangge.worker")
        d.get("about:blank")
        d.execute_cdp_cmd("Network.clearBrowserCache", {})
        d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": USABLE_JS})
        self.cdp.set_conditions(THROTTLED)
        t0, t0_e = time.monotonic(), time.time()
        usable, paint, usable_epoch, controlled = self.open_field(t0)
        if controlled:
            raise Abort("the first load was answered by a service worker (the cache was not cold)")
        self.wait(lambda: d.execute_script("return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"), 60, "the service worker in control")
        self.wait(lambda: self.js("SG.Store.get('packAt').then(done)"), 90, "the day's offline data (packAt)")
        self.settle(t0, what="the first load to finish")
        recs = self.cdp.since(t0)
        wire = self.cdp.wire(recs)
        before = [r for r in wire if r["done_e"] is not None and r["done_e"] * 1000 <= usable_epoch + 5]

        def split(rs):
            shell = sum(r["bytes"] for r in rs if r["target"] == "page" and "/field/" in r["url"])
            sw = sum(r["bytes"] for r in rs if r["target"] == "service_worker")
            api = sum(r["bytes"] for r in rs if r["target"] == "page" and "/api/" in r["url"])
            other = sum(r["bytes"] for r in rs) - shell - sw - api
            return shell, sw, api, other
        b_total = sum(r["bytes"] for r in before)
        a_total = sum(r["bytes"] for r in wire)
        rt = d.execute_script("""var u = arguments[0];
            var n = performance.getEntriesByType('navigation'), r = performance.getEntriesByType('resource');
            return n.concat(r).filter(function (e) { return e.responseEnd <= u; }).reduce(function (s, e) { return s + (e.transferSize || 0); }, 0);""", usable)
        s_shell, s_sw, s_api, s_other = split(before)
        log(f"   usable after {usable / 1000:.2f} s (painted {paint / 1000:.2f} s); "
            f"{kb(b_total)} transferred until then = app files {kb(s_shell)} + service worker install {kb(s_sw)} + API {kb(s_api)}"
            + (f" + other {kb(s_other)}" if s_other else ""))
        a_shell, a_sw, a_api, _ = split(wire)
        log(f"   once settled (worker installed, day's data stored): {kb(a_total)} in {len(wire)} requests "
            f"(app files {kb(a_shell)}, service worker {kb(a_sw)}, API {kb(a_api)}); "
            f"page's resource timing until usable: {kb(rt)} (page only)")
        if i == 1 or self.args.verbose:
            for r in sorted(wire, key=lambda r: r["sent"]):
                tag = "sw " if r["target"] == "service_worker" else "   "
                log(f"     {tag}{r['status'] or r['failed']} {r['method'] or '?':4} {r['url'][len(self.base):][:70]:70} {r['bytes']:>7} B"
                    f"  {((r['done_e'] or r['sent_e']) - t0_e) * 1000:6.0f} ms{'  (after usable)' if r not in before else ''}")
        return {"usable": usable / 1000, "paint": paint / 1000, "bytes_usable": b_total, "bytes_settled": a_total,
                "shell": s_shell, "sw": s_sw, "api": s_api, "settled_shell": a_shell, "settled_sw": a_sw, "settled_api": a_api}

    # ---------------------------------------------------------------- 2. second start
    def second_start(self, i, n):
        log(f"== 2. second start, run {i}/{n}: service worker installed, day's data on the phone, worker stopped first; throttled")
        d = self.phone.d
        d.execute_cdp_cmd("ServiceWorker.enable", {})
        d.execute_cdp_cmd("ServiceWorker.stopAllWorkers", {})
        d.get("about:blank")
        time.sleep(0.5)
        t0 = time.monotonic()
        usable, paint, usable_epoch, controlled = self.open_field(t0)
        nav = d.execute_script("var n = performance.getEntriesByType('navigation')[0]; return [n.workerStart, n.responseStart];")
        if not controlled or not nav[0]:
            raise Abort(f"the second start was not answered by the service worker (controlled={controlled}, workerStart={nav[0]})")
        self.settle(t0, what="the second start to finish")
        recs = self.cdp.since(t0)
        wire = self.cdp.wire(recs)
        before = [r for r in wire if r["done_e"] is not None and r["done_e"] * 1000 <= usable_epoch + 5]
        from_sw = [r for r in recs if r["sw"]]
        page_before = [r for r in before if r["target"] == "page"]
        sw_wire = [r for r in wire if r["target"] == "service_worker"]
        log(f"   usable after {usable / 1000:.2f} s (painted {paint / 1000:.2f} s); {len(from_sw)} answers from the service worker "
            f"(worker started {nav[0]:.0f} ms after navigation start); the page's own requests on the link before usable: "
            f"{', '.join(r['method'] + ' ' + r['url'][len(self.base):] for r in page_before) or 'none'}; "
            f"the worker's background revalidation of the app files: {len(sw_wire)} requests, {kb(sum(r['bytes'] for r in sw_wire))}; "
            f"all on the link until settled: {kb(sum(r['bytes'] for r in wire))}")
        return {"usable": usable / 1000, "paint": paint / 1000, "wire_usable": [r["url"][len(self.base):] for r in page_before],
                "bytes_settled": sum(r["bytes"] for r in wire)}

    # ---------------------------------------------------------------- 3. one inspection
    def inspection(self):
        log("== 3. inspection with 5 hazards and 3 photos, submitted on the throttled link")
        d = self.phone.d
        checklist = self.api("/api/v1/checklists/current", "wangge.worker")
        chosen = None
        for t in self.api("/api/v1/tasks", "wangge.worker")["tasks"]:
            sid = t["subjectId"].lower()
            det = self.api(f"/api/v1/subjects/{sid}", "wangge.worker")
            if det["subject"].get("closedDownAt"):
                continue
            taken = {h["itemCode"] for h in det["hazards"] if h["state"] in ("open", "rectifying", "rebound")}
            free = [it["code"] for it in checklist["items"] if det["subject"]["kind"] in it["subjectKinds"] and it["code"] not in taken]
            if len(free) >= 5:
                chosen = (sid, t["name"])
                break
        if not chosen:
            raise Abort("no task of wangge.worker has 5 checklist items without an open hazard")
        sid, name = chosen
        photos = []
        for k in range(3):
            data_url = d.execute_async_script(PHOTO_JS, 4000, 3000, 101 + k)
            raw = base64.b64decode(data_url.split(",", 1)[1])
            path = os.path.join(self.tmp, f"camera-{k + 1}.jpg")
            with open(path, "wb") as f:
                f.write(raw[:2] + ci.exif_app1() + raw[2:])
            photos.append(path)
        log(f"   photos: 3 × 4000×3000 JPEG ({', '.join(kb(os.path.getsize(p)) for p in photos)}); subject {name}")
        d.execute_script("location.hash = '#/today'")
        self.click(f"li.task[data-subject='{sid}'] .btn-inspect", 60)
        self.el("#inspect-submit", 60)
        codes = d.execute_script("""return Array.prototype.filter.call(document.querySelectorAll('.item'), function (e) {
            return !e.querySelector('.warn'); }).map(function (e) { return e.getAttribute('data-code'); });""")[:5]
        if len(codes) < 5:
            raise Abort(f"the inspection screen offers {len(codes)} items without an open hazard")
        for k, c in enumerate(codes):
            self.click(f"#item-{c} button[data-outcome=hazard]")
            if k < 3:
                d.find_element(By.ID, f"photo-{c}").send_keys(photos[k])
                self.wait(lambda c=c: d.find_elements(By.CSS_SELECTOR, f"#item-{c} .thumb img"), 60, f"the thumbnail of photo {k + 1}")
            d.find_element(By.CSS_SELECTOR, f"#item-{c} textarea.note").send_keys(f"现场发现隐患 {k + 1}")
        self.click("#mark-rest-pass")
        # A grid worker has no department of its own: it chooses the one it inspects with.
        d.execute_script("""var s = document.querySelector("#team .member[data-index='0'] .member-dept");
            if (s && !s.value) { s.value = 'marketSupervision'; s.dispatchEvent(new Event('change')); }""")
        time.sleep(0.6)  # the draft is saved 0.4 s after the last change
        before_ids = {it["id"] for it in self.phone.outbox()}
        submit = self.el("#inspect-submit")
        d.execute_script("arguments[0].scrollIntoView({block: 'center'})", submit)
        t0, t0_e = time.monotonic(), time.time()
        submit.click()

        def acked():
            for r in self.cdp.since(t0):
                if r["method"] == "POST" and r["url"].endswith("/api/v1/inspections") and r["status"] and r["done"]:
                    return r
            return None
        ack = self.wait(acked, 180, "the server's answer to POST /api/v1/inspections")
        t_ack = ack["resp_e"] - t0_e
        self.wait(lambda: d.find_element(By.ID, "view").get_attribute("data-screen") == "sign"
                  and "✓" in (self.phone.text("#sign-insp-state") or ""), 60, "the signature screen saying the inspection is stored")
        t_ui = time.monotonic() - t0
        items = [it for it in self.phone.outbox() if it["id"] not in before_ids]
        insp = [it for it in items if it["kind"] == "inspection"]
        ph = [it for it in items if it["kind"] == "photo"]
        if len(insp) != 1 or len(ph) != 3 or any(it["state"] != "sent" for it in items):
            raise Abort(f"the outbox after submitting: {[(it['kind'], it['state']) for it in items]}")
        iid = insp[0]["result"]["id"].lower()
        stored = self.api(f"/api/v1/inspections/{iid}", "wangge.worker")
        same = [x for x in self.api(f"/api/v1/inspections?subjectId={sid}", "wangge.worker") if x["clientId"] == insp[0]["payload"]["clientId"]]
        if len(stored["hazards"]) != 5 or len(same) != 1:
            raise Abort(f"on the server: {len(stored['hazards'])} hazards, {len(same)} inspection(s) with the clientId")
        uploads = [r for r in self.cdp.since(t0) if r["method"] == "POST" and "/api/v1/photos" in r["url"]]
        photo_bytes = [it["payload"]["bytes"] for it in ph]
        floor = sum(photo_bytes) / UP
        log(f"   server acknowledged the inspection {t_ack:.2f} s after the tap; the signature screen said so at {t_ui:.2f} s")
        log(f"   the 3 shrunk photos: {', '.join(kb(b) for b in photo_bytes)} = {kb(sum(photo_bytes))}; at 93,750 bytes/s "
            f"their upload alone takes {floor:.1f} s; uploads took "
            f"{', '.join('%.1f s' % (r['done_e'] - r['sent_e']) for r in uploads)} (one after another); "
            f"POST /api/v1/inspections {(ack['done_e'] - ack['sent_e']):.2f} s")
        log(f"   on the server: inspection {iid} with {len(stored['hazards'])} hazards, stored once")
        d.execute_script("location.hash = '#/today'")
        return {"ack": t_ack, "ui": t_ui, "photo_bytes": photo_bytes, "floor": floor,
                "uploads": [r["done_e"] - r["sent_e"] for r in uploads]}

    # ---------------------------------------------------------------- 4. 500 queued offline
    def drain(self, n, link):
        cond = THROTTLED if link == "throttled" else UNTHROTTLED
        log(f"== 4. {n} inspections queued offline through SG.Outbox, then back online ({link}); a new profile")
        self.new_phone(f"drain-{link}")
        d = self.phone.d
        self.sign_in("wangge.worker")
        d.get(self.base + "/field/")
        self.wait(lambda: d.execute_script("return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"), 60, "the service worker in control")
        self.wait(lambda: self.js("SG.Store.get('packAt').then(done)"), 90, "the day's offline data (packAt)")
        self.cdp.set_conditions(THROTTLED)
        self.wait(lambda: d.find_element(By.ID, "view").get_attribute("data-screen") == "today" and d.find_elements(By.ID, "task-list"),
                  60, "the Today screen")
        self.settle(time.monotonic() - 120, what="the page to be idle before going offline")
        self.cdp.set_conditions(OFFLINE)
        self.wait(lambda: "离线" in (d.find_element(By.ID, "net").text or ""), 20, "the offline badge")
        earlier = len(self.phone.outbox())
        out = self.js("""
          var n = arguments[0];
          (async function () {
            var subjects = ((await SG.Store.get('subjects')) || []).filter(function (s) { return !s.closedDownAt; });
            var checklist = await SG.Store.get('checklist'), me = await SG.Store.get('me');
            var dept = me.department || (await SG.Store.get('lastDept')) || 'comprehensiveEnforcement';
            if (!subjects.length || !checklist) throw new Error('no subjects or checklist on the phone');
            var t0 = performance.now(), out = [];
            for (var i = 0; i < n; i++) {
              var s = subjects[i % subjects.length], sid = String(s.id).toLowerCase();
              var items = checklist.items.filter(function (it) { return it.subjectKinds.indexOf(s.kind) >= 0; });
              var who = me.displayName || me.username;
              var payload = { clientId: SG.uuid(), subjectId: sid, checklistVersion: checklist.version, inspectedAt: SG.rfc3339(),
                inspector: who, team: [{ name: who, department: dept }],
                results: items.map(function (it) { return { itemCode: it.code, outcome: 'pass' }; }) };
              var item = await SG.Outbox.add('inspection', payload, { label: '检查 Inspection · ' + s.name, subjectId: sid,
                draft: { answers: {}, team: payload.team, subjectName: s.name, partyName: '', partyPhone: '' } });
              out.push([item.id, payload.clientId, sid, JSON.stringify(payload).length]);
            }
            return { ms: performance.now() - t0, items: out, subjects: subjects.length };
          })().then(done, function (e) { done({ error: String(e && e.stack || e) }); });""", n)
        if "error" in out:
            raise Abort("queueing through SG.Outbox failed: " + out["error"])
        queued = out["items"]
        ids = {q[0] for q in queued}
        waiting = [it for it in self.phone.outbox() if it["id"] in ids and it["state"] == "waiting"]
        if len(waiting) != n:
            raise Abort(f"{len(waiting)} of {n} items wait in the outbox")
        body_avg = statistics.mean(q[3] for q in queued)
        log(f"   queued {n} in {out['ms'] / 1000:.1f} s on {out['subjects']} subjects (each a separate outbox item, "
            f"≈ {body_avg / 1000:.1f} KB of JSON); {earlier} older items in the outbox")
        t0, t0_e = time.monotonic(), time.time()
        self.cdp.set_conditions(cond)
        clients = {q[1] for q in queued}
        last_log = [t0]

        def posts():
            return [r for r in self.cdp.since(t0) if r["method"] == "POST" and r["url"].endswith("/api/v1/inspections")]

        def all_acked():
            done_ = [r for r in posts() if r["status"] and r["resp"]]
            if time.monotonic() - last_log[0] >= 15:
                last_log[0] = time.monotonic()
                log(f"   … {len(done_)} acknowledged after {time.monotonic() - t0:.0f} s")
            return len(done_) >= n
        self.wait(all_acked, self.args.drain_timeout, f"the server's answers to {n} inspections", poll=0.25)
        answers = sorted(r["resp_e"] for r in posts() if r["status"])
        t_ack = answers[n - 1] - t0_e
        self.wait(lambda: sum(1 for it in self.phone.outbox() if it["id"] in ids and it["state"] == "sent") == n, 120,
                  "the outbox to show all sent", poll=0.5)
        t_store = time.monotonic() - t0
        first = answers[0] - t0_e
        n_posts = len(posts())
        # Exactly once on the server, by clientId.
        found = {}
        for sid in sorted({q[2] for q in queued}):
            for x in self.api(f"/api/v1/inspections?subjectId={sid}", "wangge.worker"):
                if x["clientId"] in clients:
                    found[x["clientId"]] = found.get(x["clientId"], 0) + 1
        once = sum(1 for c in clients if found.get(c) == 1)
        missing = sum(1 for c in clients if c not in found)
        dup = sum(1 for c in clients if found.get(c, 0) > 1)
        if once != n:
            raise Abort(f"on the server: {once} of {n} stored exactly once, {missing} missing, {dup} more than once")
        seq = sorted((r for r in posts() if r["done_e"]), key=lambda r: r["sent_e"])
        req_ms = statistics.median((r["done_e"] - r["sent_e"]) * 1000 for r in seq)
        gap_ms = statistics.median((b["sent_e"] - a["done_e"]) * 1000 for a, b in zip(seq, seq[1:])) if len(seq) > 1 else 0
        overlap = sum(1 for a, b in zip(seq, seq[1:]) if b["sent_e"] < a["done_e"])
        log(f"   per item (median): the request {req_ms:.0f} ms (link and server), then {gap_ms:.0f} ms in the app before the next; "
            f"{overlap} requests overlapped (the outbox sends one at a time)")
        log(f"   all {n} acknowledged {t_ack:.1f} s after going online (first after {first:.2f} s; "
            f"{n / (t_ack - first):.1f}/s once sending); the outbox showed all sent at {t_store:.1f} s; "
            f"{n_posts} POSTs for {n} items")
        log(f"   on the server: {once} of {n} clientIds stored exactly once (0 missing, 0 twice)")
        self.settle(t0, what="the refresh after sending")
        return {"ack": t_ack, "store": t_store, "first": first, "posts": n_posts, "queue_s": out["ms"] / 1000, "link": link, "n": n,
                "per_item": (t_ack - first) / max(1, n - 1), "req_ms": req_ms, "gap_ms": gap_ms}

    # ---------------------------------------------------------------- run
    def run(self):
        a = self.args
        st, _, _ = common.http("GET", self.base + "/readyz", timeout=10)
        if st != 200:
            raise Abort(f"{self.base}/readyz answered {st}")
        self.token("wangge.worker")
        self.token("guali.admin")
        first = [self.first_load(i, a.repeat) for i in range(1, a.repeat + 1)]
        second = [self.second_start(i, a.repeat) for i in range(1, a.repeat + 1)]
        insp = self.inspection()
        drains = []
        for link in (["throttled", "unthrottled"] if a.drain == "both" else [a.drain]):
            drains.append(self.drain(a.items, link))
        self.close_phone()
        self.summary(first, second, insp, drains, self.console)

    def summary(self, first, second, insp, drains, errors):
        med = lambda xs: statistics.median(xs)  # noqa: E731
        rng = lambda xs, f: " (" + ", ".join(f(x) for x in xs) + ")" if len(xs) > 1 else ""  # noqa: E731
        sec = lambda x: f"{x:.2f} s"  # noqa: E731
        rows = []

        def row(what, value, target, ok):
            rows.append((what, value, target, "met" if ok else "MISSED"))
        fb = [f["bytes_usable"] for f in first]
        row(f"1. first load: bytes until usable, median of {len(first)}", kb(med(fb)) + rng(fb, kb), "≤ 200 KB", med(fb) <= TARGET_FIRST_BYTES)
        fu = [f["usable"] for f in first]
        row(f"1. first load: time until usable, median of {len(first)}", sec(med(fu)) + rng(fu, sec), "≤ 3 s", med(fu) <= TARGET_FIRST_S)
        su = [s["usable"] for s in second]
        row(f"2. second start: time until usable, median of {len(second)}", sec(med(su)) + rng(su, sec), "≤ 1 s", med(su) <= TARGET_SECOND_S)
        row("3. inspection, 5 hazards + 3 photos: tap → server's answer", sec(insp["ack"]), "≤ 10 s", insp["ack"] <= TARGET_INSPECTION_S)
        for dr in drains:
            row(f"4. {dr['n']} queued offline → all acknowledged ({dr['link']})", f"{dr['ack']:.1f} s", "≤ 60 s", dr["ack"] <= TARGET_DRAIN_S)
        f0 = first[len(first) // 2]
        log("")
        log("== figures (link: 150 ms, 1.6 Mbit/s down, 750 kbit/s up; phone 390×844; 1 KB = 1,000 bytes)")
        w = max(len(r[0]) for r in rows)
        for r in rows:
            log(f"   {r[0]:{w}}  {r[1]:>28}  target {r[2]:9} {r[3]}")
        log(f"   first load split (run {len(first) // 2 + 1}): app files {kb(f0['shell'])}, service worker install {kb(f0['sw'])}, "
            f"API {kb(f0['api'])}; {kb(f0['bytes_settled'])} once settled")
        log(f"   inspection: photos {kb(sum(insp['photo_bytes']))} shrunk, {insp['floor']:.1f} s of upload at 750 kbit/s; "
            f"signature screen at {insp['ui']:.2f} s")
        for dr in drains:
            log(f"   {dr['n']} offline ({dr['link']}): queued in {dr['queue_s']:.1f} s; one after another, {dr['per_item'] * 1000:.0f} ms each "
                f"(request {dr['req_ms']:.0f} ms + app {dr['gap_ms']:.0f} ms); "
                f"outbox all sent at {dr['store']:.1f} s; {dr['posts']} POSTs")
        la = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"] * 3
        log(f"   machine: {os.cpu_count()} cores, load average at the end {' '.join(la)} (at the start {' '.join(self.load0)})")
        if self.notes:
            log("   notes: " + "; ".join(sorted(set(self.notes))[:5]))
        if errors:
            log("   browser console errors: " + " | ".join(errors[:5]))
        else:
            log("   browser console: no errors")
        self.results = rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="the running server, e.g. http://127.0.0.1:8100")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the first load and of the second start (default 3)")
    ap.add_argument("--items", type=int, default=500, help="records queued offline (default 500)")
    ap.add_argument("--drain", choices=["throttled", "unthrottled", "both"], default="both",
                    help="the link when coming back online (default both: throttled, then unthrottled)")
    ap.add_argument("--drain-timeout", type=float, default=600, help="s to wait for all queued records (default 600)")
    ap.add_argument("--timeout", type=float, default=1800, help="overall limit in s (default 1800)")
    ap.add_argument("--verbose", action="store_true", help="list every request of every first load")
    ap.add_argument("--chromedriver", default=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = ap.parse_args()
    if not args.base.startswith("http://127.0.0.1:"):
        sys.exit("field_app: --base must be http://127.0.0.1:<port>")

    def overall(signum, frame):
        raise Abort(f"the whole benchmark took longer than --timeout {args.timeout:.0f} s")
    signal.signal(signal.SIGALRM, overall)
    signal.alarm(int(args.timeout))
    bench = Bench(args)
    bench.load0 = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"] * 3
    try:
        ver = subprocess.run([args.chromium, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:  # noqa: BLE001
        ver = args.chromium
    log(f"field app benchmark: {args.base}; {ver}; Python {platform.python_version()}; "
        f"{os.cpu_count()} cores, load average {' '.join(bench.load0)}")
    code = 0
    try:
        bench.run()
    except Abort as e:
        sys.stderr.write(f"field_app: ABORT: {e}\n")
        code = 2
    except Exception as e:  # noqa: BLE001
        sys.stderr.write(f"field_app: ABORT: {type(e).__name__}: {e}\n{traceback.format_exc(limit=6)}")
        code = 2
    finally:
        signal.alarm(0)
        if code and bench.phone:
            bench.screenshot("abort")
        try:
            bench.close_phone()
        except Exception:  # noqa: BLE001
            pass
    if code:
        sys.stderr.write(f"field_app: files kept in {bench.tmp}\n")
    else:
        import shutil
        shutil.rmtree(bench.tmp, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
