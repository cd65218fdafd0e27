"""Browser tests of the residents' report page (/report/, 沥家园 · 隐患随手拍) in headless Chromium
at phone size (390×844), without an account.

  1. report    — choose an item, use the position (DevTools geolocation at the town's centre), a
                 description with markup in it, a photo with EXIF GPS, a code by SMS (read from the
                 outbox table `messages` of the server's SQLite file), send: the receipt shows, the
                 markup stays text (no alert, no injected element), the tracking link shows 待核实.
                 Through the API (guali.admin): the report with its description intact, the phone
                 masked, the photo without EXIF GPS and at most 1600 px.
  2. duplicate — a second report of the same item at the same place: "is it this one?" lists the
                 first; choosing it (undoable) sends an addition (addedTo is the first).
  3. verify    — the grid worker (wangge.worker) verifies a report in the field app
                 (field_reports.verify): the tracking view shows 已核实 and a deadline, the outbox
                 holds the residentAnswer SMS to the resident, Open311 shows it.
  4. dismiss   — the grid worker dismisses one (field_reports.dismiss): the tracking view shows why.
  5. phone     — every step at 390×844 without horizontal scroll, big touch targets, the map
                 tapped; screenshots .build/browser-screenshots/resident-*.png.
  6. bad-input — no item, no place, a wrong code, a file that is not a photo: a message next to
                 each field, what was typed kept, nothing stored (also the API's own refusals).

verify and dismiss drive the field app through scripts/ci/browser/field_reports.py (its reports
screen); without that file they are skipped.

Run through scripts/ci/browser.sh (ONLY=resident or resident:report,…), or alone:
`python3 resident.py` starts `safegrid serve` ($SAFEGRID_BIN) on a copy of --template (or a new
demo database) with SAFEGRID_REPORT_DIR at this tree's Resources/report and SAFEGRID_FIELD_DIR at
its Resources/field (REPORT_DIR / FIELD_DIR name other folders; FIELD_DIR=bundle serves the
binary's own copies of both); or `python3 resident.py --base http://127.0.0.1:8080 --db
path/to/the/server.sqlite` against a running server (the codes are read from that file).
"""
import argparse
import base64
import json
import os
import random
import re
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import common  # noqa: E402  (scripts/ci/common.py: binary, demo database, server process, http)

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

import harness  # noqa: E402
from harness import SHOTS, Failure, Skip, check  # noqa: E402
from field_app import Phone, jpeg_size, make_jpeg  # noqa: E402  (the phone browser and the camera-sized JPEG with EXIF)

RESOURCES = os.path.join(common.ROOT, "Sources", "SafeGridApp", "Resources")
# Markup a resident may type; it must stay text everywhere it shows.
XSS = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'
# Before any script of the page: CSP violations and alert() calls are recorded, not shown.
INIT = """
window.__csp = []; window.__alerts = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + (e.lineNumber || ''));
});
window.alert = function (m) { window.__alerts.push(String(m)); };
// bad-input: with window.__spoilPhoto set, the report's second photo is replaced on its way out
// by bytes that are no picture (the page itself only ever sends JPEGs it made).
(function () {
  var send = window.fetch;
  window.fetch = function (url, init) {
    if (window.__spoilPhoto && /\/api\/v1\/resident\/reports$/.test(String(url)) && init && init.body) {
      var b = JSON.parse(init.body);
      if (b.photos && b.photos.length > 1) b.photos[1] = 'data:image/jpeg;base64,' + btoa('no picture here');
      init = Object.assign({}, init, {body: JSON.stringify(b)});
    }
    return send.apply(this, [url, init]);
  };
})();
"""


# ---------------------------------------------------------------- the server side

def sql(db, query, args=()):
    """Rows of a read-only query on the server's SQLite file (the server keeps writing to it)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


def outbox(db, phone, kind=None, contains=None):
    """Bodies of the outbox messages to `phone`, newest first."""
    q = ("SELECT m.body, m.kind FROM messages m JOIN message_recipients r ON r.message_id = m.id "
         "WHERE r.phone = ?" + (" AND m.kind = ?" if kind else "") + " ORDER BY m.created_at DESC, m.rowid DESC")
    rows = sql(db, q, (phone, kind) if kind else (phone,))
    return [(b, k) for b, k in rows if not contains or contains in b]


def sms_code(ctx, phone, timeout=10):
    """The code of the newest 验证码 SMS to `phone`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for body, _ in outbox(ctx.db, phone, contains="验证码"):
            m = re.search(r"验证码\D{0,12}(\d{6})", body) or re.search(r"(?<!\d)(\d{6})(?!\d)", body)
            if m:
                return m.group(1)
        time.sleep(0.2)
    raise Failure(f"no 验证码 SMS to {phone} in the outbox ({ctx.db})")


def exif_gps(data):
    """Whether a JPEG carries an EXIF segment with a GPS IFD (tag 0x8825, either byte order)."""
    i = data.find(b"Exif\0\0")
    return i >= 0 and (b"\x25\x88\x04\x00" in data[i:i + 65536] or b"\x88\x25\x00\x04" in data[i:i + 65536])


def turned_exif(orientation=6, lat=30.1712, lon=120.4593):
    """An APP1 Exif segment (big-endian TIFF) with Orientation and a GPS position: what a phone
    held upright writes into a landscape-stored picture."""
    def dms(v):
        d, m = int(v), int((v - int(v)) * 60)
        return struct.pack(">6I", d, 1, m, 1, round(((v - d) * 60 - m) * 60 * 100), 100)
    gps_at = 8 + 2 + 2 * 12 + 4
    data_at = gps_at + 2 + 4 * 12 + 4
    ifd0 = struct.pack(">H", 2) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">HHII", 0x8825, 4, 1, gps_at) + b"\0" * 4
    gps = (struct.pack(">H", 4) + struct.pack(">HHI2s2x", 1, 2, 2, b"N") + struct.pack(">HHII", 2, 5, 3, data_at)
           + struct.pack(">HHI2s2x", 3, 2, 2, b"E") + struct.pack(">HHII", 4, 5, 3, data_at + 24) + b"\0" * 4)
    tiff = b"MM\0*" + struct.pack(">I", 8) + ifd0 + gps + dms(lat) + dms(lon)
    return b"\xff\xe1" + struct.pack(">H", len(tiff) + 8) + b"Exif\0\0" + tiff


def with_exif(path, app1):
    """Replaces the first APP1 segment of the JPEG at `path` (or puts one after SOI)."""
    with open(path, "rb") as f:
        data = f.read()
    rest = data[2:]
    if rest[:2] == b"\xff\xe1":
        rest = rest[2 + struct.unpack(">H", rest[2:4])[0]:]
    with open(path, "wb") as f:
        f.write(data[:2] + app1 + rest)
    return path


def new_phone():
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def masked(phone):
    return phone[:3] + "****" + phone[-4:]


class Resident:
    """The resident API without a browser (for reports the tests start from)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def post(self, path, body):
        st, headers, raw = common.http("POST", self.ctx.base + "/api/v1/resident" + path, body)
        try:
            return st, headers, json.loads(raw or b"null")
        except ValueError:
            return st, headers, None

    def report(self, item, lat, lon, description, phone=None, **extra):
        """Sends a report with a code from the outbox (or anonymously without a phone); its answer."""
        body = {"serviceCode": item, "latitude": lat, "longitude": lon, "description": description, "anonymous": phone is None}
        if phone:
            st, _, j = self.post("/codes", {"phone": phone})
            if st != 202:
                raise Failure(f"POST /api/v1/resident/codes: {st} {j}")
            body.update(phone=phone, code=sms_code(self.ctx, phone))
        body.update(extra)
        st, _, j = self.post("/reports", body)
        if st != 201:
            raise Failure(f"POST /api/v1/resident/reports: {st} {j}")
        return j


# ---------------------------------------------------------------- the browser

class Page:
    """The report page on one phone (field_app.Phone: 390×844, geolocation granted)."""

    def __init__(self, ctx, tag):
        self.ctx = ctx
        self.p = ctx.phone(tag)
        self.d = self.p.d

    def open(self, path="/report/"):
        self.d.get(self.ctx.base + path)
        self.p.wait(lambda d: d.execute_script("return document.body.getAttribute('data-ready')") in ("1", "error"), 20, "the page to load")
        check(self.d.execute_script("return document.body.getAttribute('data-ready')") == "1", "the page loaded its context without an account")
        check(urllib.parse.urlparse(self.d.current_url).path == "/report/", f"no sign-in asked ({self.d.current_url})")

    def msg(self, field):
        return self.d.execute_script("""var name = arguments[0];
            var m = Array.prototype.filter.call(document.querySelectorAll('.msg[data-for]'), function (e) { return e.getAttribute('data-for') === name; })[0];
            return m ? m.textContent : null""", field)

    def msg_next_to(self, field, element_id):
        """The message of `field` is shown and sits in the same .field box as the element."""
        return self.d.execute_script("""var name = arguments[0], el = document.getElementById(arguments[1]); if (!el) return false;
            var box = el.closest('.field'); if (!box) return false;
            var m = Array.prototype.filter.call(box.querySelectorAll('.msg'), function (e) { return e.getAttribute('data-for') === name; })[0];
            return !!m && m.textContent.length > 0 && m.classList.contains('bad') && m.getBoundingClientRect().height > 0""", field, element_id)

    def choose(self, code):
        """The category of item `code`, then the item."""
        cat = self.ctx.category_of(code)
        self.p.click(f"#categories .choice[data-code='{cat}']")
        self.p.set_select("#item", code)

    def locate(self, lat, lon):
        self.p.position(lat, lon)
        self.p.click("#locate")

        def there(d):
            m = re.search(r"已定位.*?(\d+\.\d+), (\d+\.\d+)", self.p.text("#position") or "")
            return m and abs(float(m.group(1)) - lat) < 2e-6 and abs(float(m.group(2)) - lon) < 2e-6
        self.p.wait(there, 15, f"the position from the phone ({lat:.6f}, {lon:.6f})")

    def type(self, element_id, text, clear=False):
        e = self.d.find_element(By.ID, element_id)
        if clear:
            e.clear()
        e.send_keys(text)

    def code(self, phone):
        """Asks for a code for `phone` and types it."""
        self.type("phone", phone, clear=True)
        self.p.click("#send-code")
        self.p.wait(lambda d: masked(phone) in (self.msg("phone") or ""), 15, "the page to say the code was sent to " + masked(phone))
        code = sms_code(self.ctx, phone)
        self.type("code", code, clear=True)
        return code

    def submit(self):
        self.p.click("#submit")

    def receipt(self, timeout=30):
        self.p.wait(lambda d: d.find_elements(By.ID, "track-link") or (self.msg("form") or "").startswith("未提交"), timeout, "the receipt")
        link = self.d.find_elements(By.ID, "track-link")
        if not link:
            raise Failure("refused: " + " | ".join(f"{f}: {self.msg(f)}" for f in ("form", "serviceCode", "latitude", "address", "photos", "phone", "code", "addTo") if self.msg(f)))
        return link[0]

    def mine(self):
        return self.d.execute_script("return JSON.parse(localStorage.getItem('safegrid.report.mine') || '[]')")

    def track(self, token, state_text, timeout=20):
        self.d.get(self.ctx.base + "/report/#t=" + urllib.parse.quote(token))
        self.p.wait(lambda d: state_text in (self.p.text("#track-state") or ""), timeout, f"the tracking view to show {state_text}")

    def injected(self):
        """Alerts run, CSP violations, and elements the markup would have made."""
        return self.d.execute_script("""return {alerts: window.__alerts || [], csp: window.__csp || [],
            imgs: document.querySelectorAll("img[src='x'], [onerror]").length,
            scripts: Array.prototype.filter.call(document.scripts, function (s) { return !s.src; }).length}""")

    def check_clean(self):
        got = self.injected()
        check(not got["alerts"], f"no alert ran ({got['alerts']})")
        check(got["imgs"] == 0 and got["scripts"] == 0, f"no element was injected ({got['imgs']} img/onerror, {got['scripts']} inline scripts)")
        check(not got["csp"], f"no CSP violation ({got['csp'][:3]})")


def shot(page, name):
    return page.p.shot(name)


# ---------------------------------------------------------------- the tests

def test_report(ctx):
    # The page and its files are public and carry the CSP the page is written for.
    for path in ("/report/", "/report/report.js", "/report/report.css", "/report/icon.svg", "/screen/leaflet.js", "/screen/leaflet.css"):
        st, headers, body = common.http("GET", ctx.base + path)
        check(st == 200 and body, f"GET {path} without an account: {st}")
    st, headers, body = common.http("GET", ctx.base + "/report/")
    csp = headers.get("Content-Security-Policy") or ""
    check("script-src 'self'" in csp and "style-src 'self'" in csp, f"/report/ carries script-src 'self' and style-src 'self' ({csp})")
    check(not re.search(rb"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", body), "index.html has no inline script, style or handler")
    page = Page(ctx, "report")
    lat, lon = ctx.centre
    page.p.position(lat, lon)
    page.open()
    shot(page, "open")
    item = ctx.item
    page.choose(item)
    check(ctx.plain(item) in page.d.execute_script("var s = document.getElementById('item'); return s.options[s.selectedIndex].textContent"),
          f"the item shows its plain words ({ctx.plain(item)})")
    page.locate(lat, lon)
    shot(page, "where")
    description = "楼道里堆满纸箱，挡住了消防通道。" + XSS + " 完"
    page.type("description", description)
    check(page.p.text("#desc-count") == str(len(description)), f"the counter shows {len(description)} characters")
    # A landscape-stored 3000×2000 picture taken upright (EXIF Orientation 6), with GPS.
    photo = with_exif(make_jpeg(page.d, os.path.join(ctx.tmp, "resident-1.jpg"), width=3000, height=2000, label="随手拍"), turned_exif(6))
    with open(photo, "rb") as f:
        check(exif_gps(f.read()), "the test photo carries EXIF GPS and Orientation 6")
    page.d.find_element(By.ID, "photos").send_keys(photo)
    page.p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#thumbs .thumb img"), 20, "the photo's thumbnail")
    shot(page, "photo")
    phone = new_phone()
    page.code(phone)
    shot(page, "code")
    # Slow network: the button is disabled while sending (no second report from a second tap).
    page.d.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 1500, "downloadThroughput": -1, "uploadThroughput": -1})
    page.submit()
    check(page.d.execute_script("return document.getElementById('submit').disabled") is True, "the send button is disabled while sending")
    page.receipt()
    page.d.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    shot(page, "receipt")
    check("待核实" in (page.p.text("#receipt-state") or ""), f"the receipt shows 待核实 ({page.p.text('#receipt-state')!r})")
    check(page.p.text("#receipt-description") == description, "the receipt shows the description as typed (text)")
    page.check_clean()
    mine = page.mine()
    check(len(mine) == 1 and mine[0].get("token"), "the report is kept in this phone's list (localStorage)")
    token, rid = mine[0]["token"], mine[0]["id"]
    href = page.d.find_element(By.ID, "track-link").get_attribute("href")
    check(href.endswith("/report/#t=" + urllib.parse.quote(token)), f"the tracking link is /report/#t=<token> ({href})")
    page.p.click("#track-link")
    page.p.wait(lambda d: "待核实" in (page.p.text("#track-state") or ""), 20, "the tracking view to show 待核实")
    shot(page, "track")
    page.check_clean()
    # Back at the page later: the list of my reports leads to it.
    page.open()
    check(page.d.find_elements(By.CSS_SELECTOR, f"#mine-list a[href$='{token}']"), "my reports list the report after a reload")

    reports = ctx.api.get(f"/api/v1/reports?areaCode={ctx.town}&state=all")
    mine_ = [r for r in reports if r["id"].lower() == rid.lower()]
    check(len(mine_) == 1, f"GET /api/v1/reports?areaCode={ctx.town}&state=all holds the report ({len(reports)} reports)")
    r = mine_[0]
    check(r["description"] == description, f"the description is stored intact ({r['description']!r})")
    check(r["serviceCode"] == item and r["state"] == "received" and r["channel"] == "page", f"{r['serviceCode']}, {r['state']}, {r['channel']}")
    check(r.get("reporterPhone") and "****" in r["reporterPhone"] and phone not in r["reporterPhone"],
          f"the reporter's phone is masked for the town admin ({r.get('reporterPhone')})")
    check(abs(r["latitude"] - lat) < 1e-5 and abs(r["longitude"] - lon) < 1e-5, "the position is the phone's (WGS-84)")
    check(len(r["photos"]) == 1, f"one photo ({len(r['photos'])})")
    st, headers, body = ctx.api.get(f"/api/v1/reports/{rid}/photos/0", raw=True)
    check(st == 200 and body[:2] == b"\xff\xd8", f"GET /api/v1/reports/{rid[:8]}…/photos/0 is a JPEG ({st})")
    check(not exif_gps(body) and b"Exif\0\0" not in body and b"GPS" not in body, "the stored photo has no EXIF, no GPS")
    size = jpeg_size(body)
    check(size == (1067, 1600), f"the photo was turned upright by its EXIF orientation and shrunk on the phone to {size} (1067×1600)")
    st, _, _ = common.http("GET", f"{ctx.base}/api/v1/reports/{rid}/photos/0")
    check(st in (401, 403), f"the photo is not public ({st})")
    ctx.first = {"id": rid, "token": token, "phone": phone, "item": item, "lat": lat, "lon": lon}


def test_duplicate(ctx):
    item = ctx.item
    lat, lon = ctx.centre[0] + 0.0031, ctx.centre[1] + 0.0027
    first_desc = "门口通道被电动车堵住 " + XSS
    first = Resident(ctx).report(item, lat, lon, first_desc, new_phone())
    page = Page(ctx, "duplicate")
    page.open()
    page.choose(item)
    page.locate(lat, lon)
    row = f"#nearby-list li[data-id='{first['id']}']"
    page.p.el(row, 20)
    check(page.p.el("#nearby").is_displayed(), "the 'is it this one?' list shows")
    check("是不是这一个" in page.p.text("#nearby h2"), "it asks 附近已有相同类型的上报，是不是这一个？")
    check(page.p.text(row + " .near-desc") == first_desc, "the first report's description shows as text")
    check(page.d.execute_script(f"return document.querySelectorAll(\"{row} *\").length") < 20, "its markup made no elements")
    page.d.execute_script("document.getElementById('nearby').scrollIntoView({block: 'start'}); window.scrollBy(0, -70)")
    shot(page, "nearby")
    page.p.click(row + " .add-btn")
    check(page.p.el("#addto-bar").is_displayed(), "the choice shows (将补充到 …)")
    page.p.click("#addto-undo")
    page.p.wait(lambda d: not d.find_element(By.ID, "addto-bar").is_displayed(), 5, "the choice to be undone")
    page.p.click(row + " .add-btn")
    check("提交补充" in page.p.text("#submit"), "the send button says it adds (提交补充)")
    page.type("description", "补充：今天早上还在。")
    page.p.click("#anonymous")
    check(page.p.el("#anon-notice").is_displayed() and not page.d.find_element(By.ID, "phone").is_displayed(),
          "anonymous: the notice shows, the phone and code hide")
    check(page.p.text("#anon-notice") == ctx.context.get("anonymousNotice"), "the notice is the context's anonymousNotice")
    shot(page, "add-to")
    page.submit()
    page.receipt()
    shot(page, "added")
    page.check_clean()
    mine = page.mine()
    check(mine and (mine[0].get("addedTo") or "").lower() == first["id"].lower(), f"the answer's addedTo is the first report ({mine[0].get('addedTo') if mine else None})")
    r = ctx.api.get(f"/api/v1/reports/{first['id']}")
    check(r.get("additions") == 1, f"the first report has one addition ({r.get('additions')})")


def field_reports():
    try:
        import field_reports as fr  # noqa: WPS433  (scripts/ci/browser/field_reports.py: the field app's reports screen)
    except ImportError as e:
        raise Skip(f"scripts/ci/browser/field_reports.py is not there yet (the field app's reports screen): {e}")
    return fr


def wgs84_to_gcj02(lat, lon):
    """The published WGS-84 → GCJ-02 approximation (about 1 m)."""
    import math
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
             + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
             + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    m = 1 - ee * math.sin(rad) ** 2
    d_lat = d_lat * 180.0 / ((a * (1 - ee)) / (m * math.sqrt(m)) * math.pi)
    d_lon = d_lon * 180.0 / (a / math.sqrt(m) * math.cos(rad) * math.pi)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat, lon):
    """The inverse, by iteration (well under a metre)."""
    w_lat, w_lon = lat, lon
    for _ in range(10):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        w_lat, w_lon = w_lat - (g_lat - lat), w_lon - (g_lon - lon)
    return w_lat, w_lon


def worker_subject(ctx):
    """A subject of wangge.worker's own grid with a position, as WGS-84 (what a phone gives): a
    report there is routed to the worker (the nearest subject's micro-grid)."""
    me = ctx.api.get("/api/v1/auth/me", "wangge.worker")
    area = me.get("areaCode") or ""
    page = ctx.api.get("/api/v1/subjects?per=200&areaCode=" + urllib.parse.quote(area), "wangge.worker")
    for s in page.get("items", []):
        loc = s.get("location") or {}
        if not (loc.get("latitude") and loc.get("longitude")) or s.get("closedDownAt") or s["id"] in ctx.used_subjects:
            continue
        ctx.used_subjects.add(s["id"])
        # Not one with this item open already: its verification then makes a new hazard (with a
        # deadline ahead) rather than joining one that may be overdue.
        detail = ctx.api.get(f"/api/v1/subjects/{s['id']}", "wangge.worker")
        if any(h.get("itemCode") == ctx.item and h.get("state") not in ("rectified", "closedDown") for h in detail.get("hazards", [])):
            continue
        lat, lon = loc["latitude"], loc["longitude"]
        if (loc.get("datum") or "").lower().startswith("gcj"):
            lat, lon = gcj02_to_wgs84(lat, lon)
        return s, lat, lon
    raise Failure(f"wangge.worker has no subject with a position in {area}")


def worker_report(ctx, what):
    s, lat, lon = worker_subject(ctx)
    phone = new_phone()
    description = f"{s['name']}门口{what} " + XSS
    r = Resident(ctx).report(ctx.item, lat, lon, description, phone)
    common.log(f"    report {r['id']} at {s['name']} ({lat:.5f}, {lon:.5f}) for {what}")
    return r, phone


def test_verify(ctx):
    fr = field_reports()
    r, phone = worker_report(ctx, "消防通道被堵")
    worker = ctx.phone("verify-worker")
    worker.sign_in("wangge.worker")
    fr.verify(worker.d, ctx.base, r["id"])
    worker.shot("verified")
    dto = ctx.api.get(f"/api/v1/reports/{r['id']}")
    check(dto["state"] == "verified" and dto.get("hazardIds"), f"verified with a hazard ({dto['state']}, {dto.get('hazardIds')})")
    page = Page(ctx, "verify")
    page.track(r["token"], "已核实")
    due = (page.p.text("#track-due") or "")[:10]
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
    check(re.match(r"\d{4}-\d{2}-\d{2}$", due) and "逾期" not in page.p.text("#track-due"),
          f"the tracking view shows the deadline ({page.p.text('#track-due')}; today {today} by this machine's clock)")
    shot(page, "track-verified")
    page.check_clean()
    answers = outbox(ctx.db, phone, kind="residentAnswer")
    check(answers and "核实" in answers[0][0], f"the outbox holds a residentAnswer SMS to the resident saying so ({answers[:1]})")
    st, _, body = common.http("GET", f"{ctx.base}/open311/v2/requests/{r['id']}.json")
    check(st == 200, f"GET /open311/v2/requests/{r['id'][:8]}….json: {st}")
    req = json.loads(body)
    req = req[0] if isinstance(req, list) else req
    check(req.get("status") == "open" and "核实" in (req.get("status_notes") or "") and req.get("updated_datetime"),
          f"Open311 shows status {req.get('status')!r}, notes {req.get('status_notes')!r}, updated {req.get('updated_datetime')!r}")
    check(req.get("updated_datetime") >= req.get("requested_datetime", ""), "Open311's updated_datetime is after the request")


def test_dismiss(ctx):
    fr = field_reports()
    r, phone = worker_report(ctx, "堆放杂物")
    worker = ctx.phone("dismiss-worker")
    worker.sign_in("wangge.worker")
    fr.dismiss(worker.d, ctx.base, r["id"], "notHazard", "现场查看为正常经营摆放，不是隐患")
    worker.shot("dismissed")
    dto = ctx.api.get(f"/api/v1/reports/{r['id']}")
    check(dto["state"] == "dismissed" and dto.get("dismissReason") == "notHazard", f"dismissed as notHazard ({dto['state']}, {dto.get('dismissReason')})")
    page = Page(ctx, "dismiss")
    page.track(r["token"], dto.get("stateName") or "驳回")
    check("不是隐患" in (page.p.text("#track-reason") or ""), f"the tracking view shows the reason ({page.p.text('#track-reason')!r})")
    shot(page, "track-dismissed")
    page.check_clean()
    answers = outbox(ctx.db, phone, kind="residentAnswer")
    check(answers, "the outbox holds a residentAnswer SMS to the resident")


def test_phone(ctx):
    page = Page(ctx, "phone")
    d = page.d
    page.open()
    size = d.execute_script("return [window.innerWidth, window.innerHeight]")
    check(size == [390, 844], f"the page is 390×844 on the phone ({size})")
    shot(page, "open")   # every shot fails on a horizontal scroll (field_app.Phone.shot)
    small = d.execute_script("""return Array.prototype.filter.call(document.querySelectorAll('button, select, input:not([type=file]):not([type=checkbox]), textarea, label.check, label.btn'),
        function (e) { var r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && (r.height < 44 || r.width < 44); })
        .map(function (e) { var r = e.getBoundingClientRect(); return (e.id || e.className) + ' ' + Math.round(r.width) + '×' + Math.round(r.height); })""")
    check(not small, f"every control is at least 44×44 px ({small})")
    tiny = d.execute_script("""var out = []; document.querySelectorAll('#form *').forEach(function (e) {
        if (!e.childNodes.length || e.getBoundingClientRect().height === 0) return;
        var own = Array.prototype.some.call(e.childNodes, function (n) { return n.nodeType === 3 && /[\\u4e00-\\u9fff]/.test(n.textContent); });
        if (own && parseFloat(getComputedStyle(e).fontSize) < 14) out.push(e.tagName + '.' + e.className); }); return out""")
    check(not tiny, f"no Chinese text under 14 px ({tiny[:5]})")
    cat = ctx.category_of(ctx.item)
    page.p.click(f"#categories .choice[data-code='{cat}']")
    shot(page, "category")
    page.p.set_select("#item", ctx.item)
    shot(page, "item")
    # Tap the middle of the map: the marker and the position.
    m = page.p.el("#map")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", m)
    ActionChains(d).move_to_element_with_offset(m, 30, 20).click().perform()
    page.p.wait(lambda d: "地图点选" in (page.p.text("#position") or ""), 10, "the tapped position")
    check(d.execute_script("return document.querySelectorAll('#map path.leaflet-interactive').length") >= 1, "a marker at the tapped point")
    shot(page, "map-tapped")
    page.type("address", "航坞路与东灵路口东北角")
    page.type("description", "电线从二楼窗口拉下来给电动车充电。")
    photos = [make_jpeg(d, os.path.join(ctx.tmp, f"phone-{i}.jpg"), width=1200 + i * 300, height=900, label=f"照片{i + 1}") for i in range(3)]
    d.find_element(By.ID, "photos").send_keys("\n".join(photos))
    page.p.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#thumbs .thumb")) == 3, 30, "three thumbnails")
    check(not page.p.el("#sec-photos").find_elements(By.CSS_SELECTOR, "#photo-btn:not(.hidden)"), "no fourth photo can be added")
    shot(page, "three-photos")
    page.p.click("#thumbs .thumb[data-index='1'] .thumb-rm")
    check(len(d.find_elements(By.CSS_SELECTOR, "#thumbs .thumb")) == 2, "a photo is removed with its ×")
    page.p.click("#anonymous")
    shot(page, "anonymous")
    page.p.click("#anonymous")
    page.type("phone", "1381234")
    page.submit()
    page.p.wait(lambda d: page.msg("phone"), 5, "the phone's message")
    shot(page, "phone-error")
    page.p.click("#anonymous")
    page.submit()
    page.receipt()
    shot(page, "receipt")
    page.p.click("#track-link")
    page.p.wait(lambda d: page.p.text("#track-state"), 20, "the tracking view")
    shot(page, "track")
    page.p.click("#track-back")
    page.p.el("#categories")
    shot(page, "form-again")
    check(d.execute_script("return document.getElementById('description').value") == "", "after sending, a new report starts empty")
    page.check_clean()


def test_bad_input(ctx):
    api = Resident(ctx)
    before = len(ctx.api.get(f"/api/v1/reports?areaCode={ctx.town}&state=all"))
    page = Page(ctx, "bad-input")
    page.open()
    # 1. Nothing chosen: the item and the place are asked for, next to their fields.
    page.submit()
    page.p.wait(lambda d: page.msg("serviceCode"), 5, "the item's message")
    check(page.msg_next_to("serviceCode", "item"), f"no item: a message next to it ({page.msg('serviceCode')!r})")
    check(page.msg_next_to("latitude", "locate"), f"no place: a message next to it ({page.msg('latitude')!r})")
    shot(page, "nothing")
    # 2. An item but no position or address.
    page.choose(ctx.item)
    description = "不应被保存的描述 " + XSS
    page.type("description", description)
    page.submit()
    page.p.wait(lambda d: not page.msg("serviceCode"), 5, "the item's message to go")
    check(page.msg_next_to("latitude", "locate"), f"no position or address: a message next to the place ({page.msg('latitude')!r})")
    shot(page, "no-place")
    # 3. An address, a phone, a wrong code: the server says so next to the code.
    page.type("address", "瓜沥镇航坞路 1 号")
    phone = new_phone()
    real = page.code(phone)
    wrong = "000000" if real != "000000" else "111111"
    page.type("code", wrong, clear=True)
    page.submit()
    page.p.wait(lambda d: page.msg("code"), 15, "the code's message")
    check(page.msg_next_to("code", "code") and "验证码" in page.msg("code"), f"a wrong code: the server's message next to it ({page.msg('code')!r})")
    check(d_value(page, "description") == description and d_value(page, "address") == "瓜沥镇航坞路 1 号" and d_value(page, "code") == wrong,
          "what was typed is kept")
    shot(page, "wrong-code")
    # 4. A file that is not a photo.
    junk = os.path.join(ctx.tmp, "not-a-photo.jpg")
    with open(junk, "wb") as f:
        f.write(b"%PDF-1.4 this is not an image\n" * 20)
    page.d.find_element(By.ID, "photos").send_keys(junk)
    page.p.wait(lambda d: "不是图片" in (page.msg("photos") or ""), 10, "the photo's message")
    check(page.msg_next_to("photos", "photos") and not page.d.find_elements(By.CSS_SELECTOR, "#thumbs .thumb"), "not a photo: a message, no thumbnail")
    shot(page, "not-a-photo")
    # 5. The server refuses the second photo (spoilt on its way out): the message is at the photos,
    #    the second thumbnail marked.
    photos = [make_jpeg(page.d, os.path.join(ctx.tmp, f"bad-{i}.jpg"), width=800, height=600, label=f"{i}") for i in range(2)]
    page.d.find_element(By.ID, "photos").send_keys("\n".join(photos))
    page.p.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#thumbs .thumb")) == 2, 20, "two thumbnails")
    page.p.click("#anonymous")
    page.d.execute_script("window.__spoilPhoto = true")
    page.submit()
    page.p.wait(lambda d: "第 2 张" in (page.msg("photos") or ""), 15, "the second photo's message")
    check(page.msg_next_to("photos", "photos") and page.d.find_elements(By.CSS_SELECTOR, "#thumbs .thumb.bad[data-index='1']"),
          f"photos[1] refused: the message at the photos, the second one marked ({page.msg('photos')!r})")
    shot(page, "photo-refused")
    page.check_clean()
    # 6. Too many codes for one number (another phone, whose button is not counting down):
    #    429 with the wait in minutes next to the phone.
    busy = new_phone()
    st, _, _ = api.post("/codes", {"phone": busy})
    check(st == 202, f"a first code for {busy} ({st})")
    page = Page(ctx, "bad-input-429")
    page.open()
    page.type("phone", busy)
    page.p.click("#send-code")
    page.p.wait(lambda d: "分钟" in (page.msg("phone") or ""), 15, "the phone's 429 message")
    check(page.msg_next_to("phone", "phone") and re.search(r"\d+ 分钟", page.msg("phone")), f"429: the wait in minutes next to the phone ({page.msg('phone')!r})")
    check(page.d.find_element(By.ID, "send-code").get_attribute("disabled"), "the send-code button waits out Retry-After")
    shot(page, "code-429")
    page.check_clean()
    # The server's own refusals, each naming its field.
    lat, lon = ctx.centre
    for body, field in [({"description": "x", "latitude": lat, "longitude": lon, "anonymous": True}, "serviceCode"),
                        ({"serviceCode": ctx.item, "description": "x", "anonymous": True}, ("address", "latitude")),
                        ({"serviceCode": ctx.item, "description": "x", "latitude": lat, "longitude": lon, "anonymous": False, "phone": phone, "code": wrong}, "code"),
                        ({"serviceCode": ctx.item, "description": "x", "latitude": lat, "longitude": lon, "anonymous": True,
                          "photos": ["data:image/jpeg;base64," + base64.b64encode(b"not a jpeg at all").decode()]}, "photos[0]")]:
        st, _, j = api.post("/reports", body)
        fields = field if isinstance(field, tuple) else (field,)
        check(st == 422 and (j or {}).get("field") in fields, f"POST without a good {fields[0]}: {st} field {(j or {}).get('field')!r} ({(j or {}).get('detail')})")
    after = len(ctx.api.get(f"/api/v1/reports?areaCode={ctx.town}&state=all"))
    check(after == before, f"nothing was stored ({before} reports before, {after} after)")


def d_value(page, element_id):
    return page.d.execute_script("return document.getElementById(arguments[0]).value", element_id)


TESTS = [("report", test_report), ("duplicate", test_duplicate), ("verify", test_verify), ("dismiss", test_dismiss),
         ("phone", test_phone), ("bad-input", test_bad_input)]


class Context:
    def __init__(self, args, base, db):
        self.args = args
        self.base = base
        self.db = db
        self.api = harness.Api(base)
        self.tmp = tempfile.mkdtemp(prefix="safegrid-resident-")
        self.phones = []
        self.first = None
        self.used_subjects = set()
        st, _, body = common.http("GET", base + "/api/v1/resident/context")
        if st != 200:
            raise SystemExit(f"resident: GET /api/v1/resident/context answered {st}: {body[:300]!r}")
        self.context = json.loads(body)
        self.town = self.context["town"]["code"]
        self.centre = (self.context["centre"]["latitude"], self.context["centre"]["longitude"])
        codes = [i["code"] for c in self.context["categories"] for i in c["items"]]
        self.item = "LANE-01" if "LANE-01" in codes else codes[0]

    def category_of(self, code):
        return next(c["code"] for c in self.context["categories"] if any(i["code"] == code for i in c["items"]))

    def plain(self, code):
        return next(i.get("plain") or i["zh"] for c in self.context["categories"] for i in c["items"] if i["code"] == code)

    def phone(self, tag):
        p = Phone(self.base, self.args.chromium, self.args.chromedriver, "resident-" + tag, init_script=INIT)
        self.phones.append(p)
        return p

    def close(self):
        for p in self.phones:
            p.quit()
        self.phones = []


def main():
    # --db (the server's SQLite file, for the codes) besides the shared options.
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--db")
    known, rest = pre.parse_known_args()
    sys.argv = sys.argv[:1] + rest
    args = harness.arguments(__doc__, TESTS, "a running server (with --db: its SQLite file); default: start one")
    harness.clear_shots("resident-")
    wanted = set(args.only.split(",")) if args.only else None
    server = None
    work = None
    if args.base:
        if not known.db:
            sys.exit("resident: --base needs --db (the server's SQLite file: the tests read the codes from its outbox)")
        base, db = args.base.rstrip("/"), known.db
    else:
        common.require_binary()
        work = common.workdir("resident")
        db = common.demo_db(work, args.template)
        env = {"SAFEGRID_JOBS": "off"}
        bundle = os.environ.get("FIELD_DIR") == "bundle"
        if not bundle and os.environ.get("REPORT_DIR") != "bundle":
            env["SAFEGRID_REPORT_DIR"] = os.environ.get("REPORT_DIR") or os.path.join(RESOURCES, "report")
        if not bundle:
            env["SAFEGRID_FIELD_DIR"] = os.environ.get("FIELD_DIR") or os.path.join(RESOURCES, "field")
        server = common.Server(db, extra_env=env).start()
        base = server.base
        common.log(f"server on {base} (PID {server.pid}; report files from {env.get('SAFEGRID_REPORT_DIR', 'the binary')}, "
                   f"field files from {env.get('SAFEGRID_FIELD_DIR', 'the binary')})")
    try:
        ctx = Context(args, base, db)

        def no_console_errors(ctx):
            errors = [e for p in ctx.phones for e in p.console_errors()]
            if errors:
                raise Failure("console errors: " + " | ".join(errors[:5]))

        results = harness.run(TESTS, wanted, ctx, lambda c: c.phones, label="resident: ", extra_check=no_console_errors)
        shutil.rmtree(ctx.tmp, ignore_errors=True)  # the test photos
    finally:
        if server:
            server.stop()
    harness.finish(results, work, "resident: ", SHOTS + "/resident-*.png")


if __name__ == "__main__":
    main()
