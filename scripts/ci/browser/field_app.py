"""Browser tests of the field app (/field/) in a real headless Chromium at phone size (390×844).

  1. inspect   — sign in as wangge.worker at /login?next=/field/, open a task, inspect it with two
                 hazards and a photo, the party signs on the canvas, the notice shows, the SMS is in
                 the outbox (GET /api/v1/messages as the town admin).
  2. offline   — offline (DevTools network emulation): register a subject and inspect it with a
                 photo, reload while still offline (the shell comes from the service worker), back
                 online: the server holds both exactly once (also after a forced replay), with the
                 photo, and the dashboard counters moved.
  3. reinspect — re-inspect that hazard as rectified: the subject's colour changes (API and page).
  4. bad-input — a credit code with a wrong check character, a position outside 萧山区, a deadline
                 before today, a file that is not an image, a 30 MB photo: each a message next to
                 its field, nothing queued, nothing stored on the server.
  and refused-fix, in-app, actions (see each), then the fixes of the field review:
  signout (sign-out forgets the area data, a queue stays locked to its account), reinspect-conflict
  (a re-inspection overtaken on the server: never taken for our own, re-sent or explained and
  fixed), messages (refusals in Chinese first), viewer (a read-only account), photo-clock (a
  wrong camera clock, a photo the server cannot read), alarm (a device alarm taken, reached and
  confirmed), report-task (a resident's report on Today: verified, a second dismissed as its
  duplicate, a third's refusals; the steps are field_reports.py's, shared with resident.py).

Screenshots of every step go to .build/browser-screenshots/. Run through scripts/ci/browser.sh,
or alone against a running server: `python3 field_app.py --base http://127.0.0.1:8091`.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import struct
import sys
import tempfile
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import common  # noqa: E402  (scripts/ci/common.py: binary, demo database, server process, http)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.actions import interaction  # noqa: E402
from selenium.webdriver.common.actions.action_builder import ActionBuilder  # noqa: E402
from selenium.webdriver.common.actions.pointer_input import PointerInput  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from harness import SHOTS  # noqa: E402
PHONE = {"width": 390, "height": 844, "pixelRatio": 2}
UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/126.0 Mobile Safari/537.36")
GUALI = (30.1710, 120.4590)          # WGS-84, inside 瓜沥镇
SHANGHAI = (31.2304, 121.4737)       # far outside 萧山区


from harness import Failure, check  # noqa: E402
import harness  # noqa: E402


# ---------------------------------------------------------------- files the tests upload

def exif_app1(taken="2026:12:05 09:30:15", lat=30.171, lon=120.459):
    """An EXIF APP1 segment (little-endian TIFF) with DateTimeOriginal and GPS."""
    def rational3(v):
        d = int(v)
        m = int((v - d) * 60)
        s = round(((v - d) * 60 - m) * 60 * 1000)
        return struct.pack("<6I", d, 1, m, 1, s, 1000)
    ifd0_off = 8
    ifd0 = 2 + 2 * 12 + 4
    exif_off = ifd0_off + ifd0
    exif = 2 + 12 + 4
    gps_off = exif_off + exif
    gps = 2 + 4 * 12 + 4
    data_off = gps_off + gps
    dt = taken.encode() + b"\0"
    lat_off = data_off + len(dt)
    lon_off = lat_off + 24
    t = b"II*\0" + struct.pack("<I", ifd0_off)
    t += struct.pack("<H", 2) + struct.pack("<HHII", 0x8769, 4, 1, exif_off) + struct.pack("<HHII", 0x8825, 4, 1, gps_off) + b"\0\0\0\0"
    t += struct.pack("<H", 1) + struct.pack("<HHII", 0x9003, 2, len(dt), data_off) + b"\0\0\0\0"
    t += struct.pack("<H", 4)
    t += struct.pack("<HHI", 1, 2, 2) + b"N\0\0\0"
    t += struct.pack("<HHII", 2, 5, 3, lat_off)
    t += struct.pack("<HHI", 3, 2, 2) + b"E\0\0\0"
    t += struct.pack("<HHII", 4, 5, 3, lon_off)
    t += b"\0\0\0\0"
    t += dt + rational3(lat) + rational3(lon)
    body = b"Exif\0\0" + t
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def make_jpeg(driver, path, width=3000, height=2000, label="SafeGrid", taken="2026:12:05 09:30:15"):
    """A camera-sized JPEG drawn by the browser's canvas (no Pillow here), with EXIF spliced in."""
    data_url = driver.execute_async_script("""
      var w = arguments[0], h = arguments[1], label = arguments[2], done = arguments[arguments.length - 1];
      var c = document.createElement('canvas'); c.width = w; c.height = h;
      var x = c.getContext('2d'), g = x.createLinearGradient(0, 0, w, h);
      g.addColorStop(0, '#0b4f8a'); g.addColorStop(0.5, '#f9c80e'); g.addColorStop(1, '#c62828');
      x.fillStyle = g; x.fillRect(0, 0, w, h);
      for (var i = 0; i < 400; i++) { x.fillStyle = 'hsl(' + (i * 37 % 360) + ',70%,50%)'; x.fillRect((i * 7919) % w, (i * 104729) % h, 40, 40); }
      x.fillStyle = '#fff'; x.font = Math.round(h / 8) + 'px sans-serif'; x.fillText(label, w / 10, h / 2);
      done(c.toDataURL('image/jpeg', 0.92));""", width, height, label)
    raw = base64.b64decode(data_url.split(",", 1)[1])
    assert raw[:2] == b"\xff\xd8"
    with open(path, "wb") as f:
        f.write(raw[:2] + exif_app1(taken) + raw[2:])
    return path


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        m = data[i + 1]
        seg = struct.unpack(">H", data[i + 2:i + 4])[0]
        if m in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + seg
    return None


CC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(serial):
    """A valid unified social credit code (GB 32100-2015) for 萧山区 with a 9-character serial."""
    first = "91330109" + serial
    total = sum(CC.index(c) * w for c, w in zip(first, CC_W))
    return first + CC[(31 - total % 31) % 31]


# ---------------------------------------------------------------- the browser

WECHAT_UA = ("Mozilla/5.0 (Linux; Android 12; V2049A Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Version/4.0 Chrome/86.0.4240.99 XWEB/4317 MMWEBSDK/20220903 Mobile Safari/537.36 MMWEBID/6170 "
             "MicroMessenger/8.0.28.2240(0x28001C35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64")
# What some in-app browsers lack: IndexedDB (or a working one) and service workers.
NO_IDB_NO_SW = """
try { Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true }); } catch (e) {}
try { Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: function () { return undefined; }, configurable: true }); } catch (e) {}
"""


class Phone:
    def __init__(self, base, chromium, chromedriver, tag, ua=UA, init_script=None):
        self.base = base
        self.tag = tag
        self.shots = 0
        o = webdriver.ChromeOptions()
        o.binary_location = chromium
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                  "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-default-apps",
                  "--disable-component-update", "--lang=zh-CN", f"--window-size={PHONE['width']},{PHONE['height']}",
                  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
            o.add_argument(a)
        o.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE, "userAgent": ua})
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        o.set_capability("unhandledPromptBehavior", "accept")
        self.d = webdriver.Chrome(service=Service(chromedriver), options=o)
        self.d.set_page_load_timeout(30)
        self.d.set_script_timeout(60)
        self.d.execute_cdp_cmd("Network.enable", {})
        if init_script:
            self.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": init_script})
        self.d.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": ["geolocation"]})
        self.position(*GUALI)

    def quit(self):
        if getattr(self, "closed", False):
            return
        self.errors = self.console_errors()
        self.closed = True
        try:
            self.d.quit()
        except WebDriverException:
            pass

    def shot(self, name):
        self.shots += 1
        path = os.path.join(SHOTS, f"{self.tag}-{self.shots:02d}-{name}.png")
        self.d.save_screenshot(path)
        width = self.d.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1] + 1:
            raise Failure(f"{name}: the page is {width[0]} px wide in a {width[1]} px phone (something overflows)")
        return path

    def position(self, lat, lon, accuracy=12):
        self.d.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon, "accuracy": accuracy})

    def offline(self, off=True):
        self.d.execute_cdp_cmd("Network.emulateNetworkConditions",
                               {"offline": off, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

    def wait(self, cond, timeout=20, what="condition"):
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.2).until(lambda d: cond(d))
        except TimeoutException:
            self.shot("timeout")
            raise Failure(f"timed out waiting for {what}")

    def el(self, css, timeout=20):
        def shown(d):
            try:
                return next(iter([e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]), None)
            except StaleElementReferenceException:
                return None  # re-rendered meanwhile: look again
        return self.wait(shown, timeout, css)

    def click(self, css, timeout=20):
        e = self.el(css, timeout)
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", e)
        e.click()
        return e

    def text(self, css):
        return self.d.execute_script("var e = document.querySelector(arguments[0]); return e ? e.textContent : null", css)

    def js(self, script, *args):
        """Runs an async snippet that calls done(value)."""
        return self.d.execute_async_script("var done = arguments[arguments.length - 1];\n" + script, *args)

    def outbox(self):
        # Right after a page load the app may not have opened its store yet: wait for it.
        return self.js("""(function go(n) {
            if (window.SG && SG.Store && SG.Store.kind() !== '—') SG.Store.items().then(done, function (e) { done({error: String(e)}); });
            else if (n > 200) done({error: 'the store did not open'});
            else setTimeout(function () { go(n + 1); }, 50);
          })(0);""")

    def wait_sent(self, timeout=60):
        def drained(d):
            items = self.outbox()
            return items if items and all(i["state"] == "sent" for i in items) else None
        return self.wait(drained, timeout, "every outbox item sent")

    def screen(self):
        return self.d.find_element(By.ID, "view").get_attribute("data-screen")

    def console_errors(self):
        """Script errors and server errors (5xx). Answers 4xx are outcomes the tests check
        themselves (a 401 that leads to sign-in, a 409 refusal, a replay's 409)."""
        if getattr(self, "closed", False):
            return self.errors
        try:
            logs = self.d.get_log("browser")
        except WebDriverException:
            return []
        out = []
        for e in logs:
            m = e["message"]
            if e["level"] != "SEVERE" or "favicon" in m or "ERR_INTERNET_DISCONNECTED" in m:
                continue
            if re.search(r"Failed to load resource: the server responded with a status of 4\d\d", m):
                continue
            out.append(m)
        return out

    def sign_in(self, username):
        self.d.get(self.base + "/login?next=/field/")
        self.shot("login")
        self.d.find_element(By.NAME, "username").send_keys(username)
        self.d.find_element(By.NAME, "password").send_keys(common.PASSWORD)
        self.d.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
        self.wait(lambda d: urllib.parse.urlparse(d.current_url).path == "/field/", 20, "/field/ after sign-in")
        self.wait(lambda d: d.find_element(By.ID, "view").get_attribute("data-screen") == "today", 20, "the Today screen")

    def set_select(self, css_or_el, value):
        el = self.el(css_or_el) if isinstance(css_or_el, str) else css_or_el
        self.d.execute_script("var s = arguments[0]; s.value = arguments[1]; s.dispatchEvent(new Event('change'))", el, value)

    def choose_dept(self, value="marketSupervision"):
        """The first team member's department, which an account without one (a grid worker) must
        choose: the one it inspects with."""
        sel = self.el("#team .member[data-index='0'] .member-dept")
        if not sel.get_attribute("value"):
            self.set_select(sel, value)

    def choose_micro_grid(self):
        """The first micro-grid of the list (none is preset when there are several)."""
        self.el("#reg-microgrid")
        code = self.d.execute_script("""var o = Array.prototype.filter.call(document.querySelectorAll('#reg-microgrid option'),
            function (x) { return /^\\d{17}$/.test(x.value); })[0]; return o ? o.value : null;""")
        if code:
            self.set_select("#reg-microgrid", code)
        return code

    def logout(self):
        """退出登录 from Me; returns once the sign-in page shows."""
        self.d.get(self.base + "/field/#/me")
        self.click("#logout")

    def draw_signature(self, css="#sign-pad"):
        pad = self.el(css)
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", pad)
        r = pad.rect
        touch = PointerInput(interaction.POINTER_TOUCH, "finger")
        ab = ActionBuilder(self.d, mouse=touch)
        w, h = r["width"], r["height"]
        for stroke in ([(0.15, 0.6), (0.25, 0.3), (0.35, 0.7), (0.45, 0.35)], [(0.55, 0.5), (0.7, 0.4), (0.85, 0.65)]):
            x0, y0 = stroke[0]
            ab.pointer_action.move_to(pad, int((x0 - 0.5) * w), int((y0 - 0.5) * h)).pointer_down()
            for x, y in stroke[1:]:
                ab.pointer_action.move_to(pad, int((x - 0.5) * w), int((y - 0.5) * h))
            ab.pointer_action.pointer_up()
        ab.perform()


# ---------------------------------------------------------------- the server side of the checks

class Server(harness.Api):
    pass


# ---------------------------------------------------------------- the tests

def test_inspect(ctx):
    p, srv = ctx.phone("inspect"), ctx.server
    p.sign_in("wangge.worker")
    first_load = p.d.execute_script("""
      var n = performance.getEntriesByType('navigation')[0], r = performance.getEntriesByType('resource');
      var all = [n].concat(r).filter(function (e) { return e.name.indexOf('/field/') >= 0; });
      return all.map(function (e) { return [e.name, e.transferSize, e.encodedBodySize, e.decodedBodySize]; });""")
    ctx.first_load = first_load
    p.el("#task-list li.task")
    p.shot("today")
    tasks = srv.get("/api/v1/tasks", "wangge.worker")["tasks"]
    check(len(tasks) > 0, f"wangge.worker has {len(tasks)} tasks today")
    task = tasks[0]
    sid = task["subjectId"].lower()
    p.click(f"li.task[data-subject='{sid}'] .btn-inspect")
    p.el("#inspect-submit")
    p.shot("inspect-open")
    # Two items without an open hazard already (those would link rather than create).
    codes = p.d.execute_script("""return Array.prototype.filter.call(document.querySelectorAll('.item'), function (e) {
        return !e.querySelector('.warn'); }).map(function (e) { return e.getAttribute('data-code'); });""")
    check(len(codes) >= 2, f"{len(codes)} checklist items apply without an open hazard")
    c1, c2 = codes[0], codes[1]
    # Review 5: a grid worker has no department; the notice lists each member under one, so the
    # worker chooses the one it inspects with (no 综合行政执法 by default).
    first_dept = p.d.execute_script("return document.querySelector(\"#team .member[data-index='0'] .member-dept\").value")
    check(first_dept == "", f"no department is preset for the grid worker ({first_dept!r})")
    check(p.el("#team-dept-hint").is_displayed() and "网格员请选择随同检查的部门" in p.text("#team-dept-hint"), "the hint asks the grid worker to choose")
    p.click("#add-member")
    member = p.d.find_elements(By.CSS_SELECTOR, "#team .member-name")[-1]
    member.send_keys("李消防")
    p.click(f"#item-{c1} button[data-outcome=hazard]")
    p.click(f"#item-{c2} button[data-outcome=hazard]")
    photo = make_jpeg(p.d, os.path.join(ctx.tmp, "hazard-1.jpg"), label="隐患 1")
    p.d.find_element(By.ID, f"photo-{c1}").send_keys(photo)
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"#item-{c1} .thumb img"), 20, "the photo's thumbnail")
    p.d.find_element(By.CSS_SELECTOR, f"#item-{c2} textarea.note").send_keys("配电箱下堆放纸箱")
    p.shot("two-hazards-photo")
    p.click("#mark-rest-pass")
    p.click("#inspect-submit")
    p.wait(lambda d: "选择部门" in (d.execute_script("return document.querySelector(\".msg[data-for='team']\").textContent") or ""), 5,
           "the message: choose the department")
    check(p.screen() == "inspect" and not p.outbox(), "nothing was queued without the department")
    p.shot("team-no-department")
    p.choose_dept("marketSupervision")
    p.click("#inspect-submit")
    p.el("#sign-pad")
    p.shot("sign")
    p.draw_signature()
    p.shot("signed")
    p.click("#sign-submit")
    notice = p.el("#notice-link", 60)
    p.shot("done")
    check("短信" in (p.text("#sms-note") or ""), "the done screen says the SMS was queued: " + (p.text("#sms-note") or ""))
    items = p.outbox()
    photo_items = [i for i in items if i["kind"] == "photo"]
    insp = [i for i in items if i["kind"] == "inspection"][0]
    check(len(photo_items) == 1 and photo_items[0]["state"] == "sent", "the photo went up first")
    check(photo_items[0]["id"] < insp["id"] and insp["deps"].count(photo_items[0]["id"]) == 1, "the inspection depends on its photo")
    check(photo_items[0]["payload"].get("takenAt", "").startswith("2026-12-05T09:30:15"), "EXIF DateTimeOriginal kept: " + str(photo_items[0]["payload"].get("takenAt")))
    check(abs((photo_items[0]["payload"].get("latitude") or 0) - 30.171) < 1e-4, "EXIF GPS latitude kept")
    inspection_id = insp["result"]["id"].lower()
    check(len(insp["result"]["hazards"]) == 2, "the server made two hazards")
    detail = srv.get(f"/api/v1/inspections/{inspection_id}", "wangge.worker")
    hz_codes = sorted(h["itemCode"] for h in detail["hazards"])
    check(hz_codes == sorted([c1, c2]), f"the stored inspection has hazards {hz_codes}")
    check(len(detail["team"]) == 2 and len({m["department"] for m in detail["team"]}) == 2
          and any(m["name"] == "李消防" for m in detail["team"]), "a team of two departments was stored")
    check(detail["team"][0]["department"] == "marketSupervision", f"the grid worker is listed under the chosen department ({detail['team'][0]})")
    # The photo the phone sent: shrunk to ≤ 1600 px, as stored by the server.
    pid = photo_items[0]["result"]["id"]
    st, headers, body = srv.get(f"/photos/{pid}", "wangge.worker", raw=True)
    check(st == 200 and body[:2] == b"\xff\xd8", f"GET /photos/{pid[:12]}… is the JPEG ({st})")
    size = jpeg_size(body)
    check(size and max(size) <= 1600, f"the photo was shrunk to {size} ({len(body)} bytes, from {os.path.getsize(photo)})")
    notice.click()
    p.wait(lambda d: "/notice" in d.current_url, 20, "the notice page")
    body_text = p.d.find_element(By.TAG_NAME, "body").text
    p.shot("notice")
    check("整改通知书" in body_text, "the notice (整改通知书) shows")
    msgs = srv.get(f"/api/v1/messages?subjectId={sid}")
    ours = [m for m in msgs["items"] if (m.get("inspectionId") or "").lower() == inspection_id]
    check(len(ours) == 1, f"the SMS of this inspection is in the outbox ({len(ours)})")
    p.d.get(p.base + "/field/#/me")
    p.el("#me-info")
    p.wait(lambda d: (p.text("#last-sync") or "—") != "—", 10, "the last sync time")
    check(p.text("#me-username") == "wangge.worker", "Me shows who is signed in")
    check(p.text("#me-role") == "网格员 Grid worker", f"Me shows the role's name, not its code ({p.text('#me-role')!r})")
    check(re.search(r"\d", p.text("#cache-size") or "") is not None, "Me shows the cache size: " + (p.text("#cache-size") or ""))
    p.shot("me")
    # The department is remembered for this account: the next inspection starts with it.
    other = tasks[1]["subjectId"].lower() if len(tasks) > 1 else sid
    p.d.get(p.base + f"/field/#/inspect/{other}")
    p.el("#inspect-submit")
    remembered = p.d.execute_script("return document.querySelector(\"#team .member[data-index='0'] .member-dept\").value")
    check(remembered == "marketSupervision", f"the next inspection starts with the last department chosen ({remembered!r})")
    ctx.inspected = {"subjectId": sid, "inspectionId": inspection_id}


def test_offline(ctx):
    p, srv = ctx.phone("offline"), ctx.server
    p.sign_in("wangge.worker")
    # The app shell and the day's data on the phone before the signal goes.
    p.wait(lambda d: d.execute_script("return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"), 30, "the service worker in control")
    p.wait(lambda d: p.js("SG.Store.get('packAt').then(done)"), 60, "the day's offline data")
    dash0 = srv.get("/api/v1/dashboard")
    name = "离线登记测试商店" + time.strftime("%H%M%S")
    p.offline(True)
    p.wait(lambda d: "离线" in d.find_element(By.ID, "net").text, 10, "the offline badge")
    p.click("#tab-register")
    p.el("#register-form")
    sel = p.el("#reg-kind")
    p.d.execute_script("arguments[0].value = 'streetShop'; arguments[0].dispatchEvent(new Event('change'))", sel)
    p.el("#reg-name").send_keys(name)
    p.el("#reg-address").send_keys("杭州市萧山区瓜沥镇航民路1号")
    p.el("#reg-party-name").send_keys("王店主")
    p.el("#reg-party-phone").send_keys("13800001234")
    p.click("#reg-locate")
    p.wait(lambda d: "萧山区内" in (p.text("#reg-position-msg") or ""), 20, "a position inside 萧山区")
    # Review 6: with several micro-grids in the grid, none is preset (the first one was, silently).
    mg = p.d.execute_script("return document.getElementById('reg-microgrid').value")
    n_mg = p.d.execute_script("return document.querySelectorAll('#reg-microgrid option').length - 1")
    check(n_mg > 1 and mg == "", f"{n_mg} micro-grids offline, none preset ({mg!r})")
    check("请选择" in (p.text("#reg-microgrid-hint") or ""), "a hint says to choose one")
    p.click("#reg-save-inspect")
    p.wait(lambda d: "请选择微网格" in (p.text("#reg-microgrid-msg") or ""), 5, "the message: choose the micro-grid")
    check(p.screen() == "register" and not p.outbox(), "nothing was queued without a micro-grid")
    mg = p.choose_micro_grid()
    check(re.fullmatch(r"\d{17}", mg or "") is not None, f"a micro-grid chosen offline ({mg})")
    p.shot("register-offline")
    p.click("#reg-save-inspect")
    p.el("#inspect-submit")
    code = p.d.execute_script("return document.querySelector('.item').getAttribute('data-code')")
    p.click(f"#item-{code} button[data-outcome=hazard]")
    photo = make_jpeg(p.d, os.path.join(ctx.tmp, "offline.jpg"), 2400, 1800, "离线")
    p.d.find_element(By.ID, f"photo-{code}").send_keys(photo)
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"#item-{code} .thumb img"), 20, "the photo's thumbnail")
    p.click("#mark-rest-pass")
    p.choose_dept()
    p.shot("inspect-offline")
    p.click("#inspect-submit")
    p.el("#sign-pad")
    p.draw_signature()
    p.click("#sign-submit")
    p.el("#done-today", 30)
    p.shot("done-offline")
    items = p.outbox()
    check([i["kind"] for i in items] == ["subject", "photo", "inspection", "signature"] and all(i["state"] == "waiting" for i in items),
          "four items wait in order: subject, photo, inspection, signature")
    check(p.text("#queue-count") == "3", "the tab bar counts 3 waiting records (photos are part of their inspection)")
    # Reload while still offline: the shell must come from the service worker's cache.
    p.d.refresh()
    p.wait(lambda d: d.find_element(By.ID, "view").get_attribute("data-screen") == "done", 20, "the app after an offline reload")
    nav = p.d.execute_script("var n = performance.getEntriesByType('navigation')[0]; return [!!navigator.serviceWorker.controller, n.workerStart, n.transferSize]")
    check(nav[0] and nav[1] > 0, f"the reloaded page was answered by the service worker (workerStart {nav[1]:.0f} ms)")
    p.shot("reloaded-offline")
    p.click("#tab-queue")
    p.el("#queue-list li.q-item")
    p.shot("queue-offline")
    check(len(p.d.find_elements(By.CSS_SELECTOR, "#queue-list li.q-item[data-state=waiting]")) == 4, "the queue still holds the four records after the reload")
    # Review 6: the summary counts what the badge counts (records; the photo is part of one).
    summary = p.text("#queue-summary") or ""
    check(p.el("#queue-summary").get_attribute("data-records") == p.text("#queue-count") == "3" and summary.startswith("待传 3 项"),
          f"the summary and the badge both count 3 records: {summary!r}, badge {p.text('#queue-count')!r}")
    before = srv.get("/api/v1/subjects?q=" + urllib.parse.quote(name))
    check(before["total"] == 0, "the server has nothing yet")
    # Back online: the app sends by itself (online event).
    p.offline(False)
    items = p.wait_sent(90)
    p.shot("queue-online")
    sub_item = [i for i in items if i["kind"] == "subject"][0]
    sid = sub_item["payload"]["id"].lower()
    insp_item = [i for i in items if i["kind"] == "inspection"][0]
    # A replay, as after a lost answer: the same ids again.
    p.js("""SG.Store.items().then(function (items) {
        return Promise.all(items.map(function (it) { it.state = 'waiting'; it.attempts = 1; return SG.Store.putItem(it); }));
      }).then(function () { return SG.Outbox.run(); }).then(done, function (e) { done(String(e)); });""")
    items = p.wait_sent(60)
    found = srv.get("/api/v1/subjects?q=" + urllib.parse.quote(name))
    check(found["total"] == 1 and found["items"][0]["id"].lower() == sid, "the subject is stored exactly once, under the phone's id")
    insps = srv.get(f"/api/v1/inspections?subjectId={sid}")
    check(len(insps) == 1 and insps[0]["clientId"] == insp_item["payload"]["clientId"], "the inspection is stored exactly once")
    check(len(insps[0]["hazards"]) == 1, "with its hazard")
    pid = [i for i in items if i["kind"] == "photo"][0]["result"]["id"]
    st, _, body = srv.get(f"/photos/{pid}", raw=True)
    check(st == 200 and body[:2] == b"\xff\xd8", "the photo is on the server")
    check(insp_item["payload"]["results"][0]["photos"] == [[i for i in items if i["kind"] == "photo"][0]["id"]],
          "the inspection named the photo by its queue id, sent as the server's id")
    dash1 = srv.get("/api/v1/dashboard")
    k0, k1 = dash0["byKind"]["streetShop"], dash1["byKind"]["streetShop"]
    check(k1["subjectsInspected"] == k0["subjectsInspected"] + 1, f"street shops inspected {k0['subjectsInspected']} → {k1['subjectsInspected']}")
    check(k1["hazardsFound"] == k0["hazardsFound"] + 1, f"hazards found {k0['hazardsFound']} → {k1['hazardsFound']}")
    sig = [i for i in items if i["kind"] == "signature"][0]
    check(sig["result"]["noticeUrl"].endswith("/notice"), "the signature went up after its inspection")
    ctx.offline_subject = sid


def test_reinspect(ctx):
    p, srv = ctx.phone("reinspect"), ctx.server
    sid = getattr(ctx, "offline_subject", None) or ctx.inspected["subjectId"]
    before = srv.get(f"/api/v1/subjects/{sid}")
    open_h = [h for h in before["hazards"] if h["state"] in ("open", "rectifying", "rebound")]
    check(len(open_h) >= 1, f"the subject has {len(open_h)} open hazard(s), colour {before['subject']['colour']['key']}")
    p.sign_in("wangge.worker")
    p.d.get(p.base + f"/field/#/subject/{sid}")
    p.el("#hazard-list .hazard")
    p.shot("subject")
    for h in open_h:
        hid = h["id"].lower()
        p.click(f".hazard[data-hazard='{hid}'] button[data-outcome=rectified]")
    photo = make_jpeg(p.d, os.path.join(ctx.tmp, "fixed.jpg"), 2000, 1500, "整改后")
    p.d.find_element(By.ID, f"photo-{open_h[0]['id'].lower()}").send_keys(photo)
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".hazard .thumb img"), 20, "the photo's thumbnail")
    p.shot("rectified-chosen")
    p.click("#reinspect-submit")
    p.wait_sent(60)
    after = srv.get(f"/api/v1/subjects/{sid}")
    states = {h["id"].lower(): h["state"] for h in after["hazards"]}
    check(all(states[h["id"].lower()] == "rectified" for h in open_h), "the hazards are rectified on the server")
    c0, c1 = before["subject"]["colour"]["key"], after["subject"]["colour"]["key"]
    check(c0 != c1 and c1 == "rectified", f"the subject's colour changed {c0} → {c1}")
    p.el("#subject-colour")
    p.wait(lambda d: "整改到位" in (p.text("#subject-colour") or ""), 20, "the new colour in the app")
    p.shot("subject-after")
    p.d.get(p.base + f"/subjects/{sid}")
    page = p.d.find_element(By.TAG_NAME, "body").text
    p.shot("subject-page")
    check("整改到位" in page, "the subject's page shows 整改到位")


def test_bad_input(ctx):
    p, srv = ctx.phone("bad-input"), ctx.server
    p.sign_in("wangge.worker")
    queued0 = len(p.outbox())
    name = "错误输入测试" + time.strftime("%H%M%S")
    p.click("#tab-register")
    p.el("#register-form")
    p.d.execute_script("var s = document.getElementById('reg-kind'); s.value = 'enterprise'; s.dispatchEvent(new Event('change'))")
    p.el("#reg-name").send_keys(name)
    p.el("#reg-address").send_keys("杭州市萧山区瓜沥镇友谊路2号")
    # A valid code with its last character changed.
    good = "91330109MA2B3C4D5Q"
    p.el("#reg-credit").send_keys(good[:17] + "X")
    p.wait(lambda d: "校验位" in (p.text("#reg-credit-msg") or ""), 5, "the check-character message")
    check("应为“Q”" in p.text("#reg-credit-msg"), "the message names the right check character: " + p.text("#reg-credit-msg"))
    p.el("#reg-party-name").send_keys("赵厂长")
    p.el("#reg-party-phone").send_keys("13900002222")
    p.position(*SHANGHAI)
    p.click("#reg-locate")
    p.wait(lambda d: "萧山区外" in (p.text("#reg-position-msg") or ""), 20, "the outside-萧山区 message")
    p.click("#reg-save-inspect")
    p.shot("register-refused")
    p.d.execute_script("document.getElementById('reg-position-msg').scrollIntoView({block: 'center'})")
    p.shot("position-outside")
    check("需要改正" in (p.text("#reg-msg") or ""), "saving is refused with a summary: " + (p.text("#reg-msg") or ""))
    check(p.screen() == "register" and len(p.outbox()) == queued0, "nothing was queued")
    p.position(*GUALI)
    # Now the deadline and the photos, on an inspection of a task.
    tasks = srv.get("/api/v1/tasks", "wangge.worker")["tasks"]
    sid = tasks[-1]["subjectId"].lower()
    n_insp = len(srv.get(f"/api/v1/inspections?subjectId={sid}"))
    p.d.get(p.base + f"/field/#/inspect/{sid}")
    p.el("#inspect-submit")
    code = p.d.execute_script("return document.querySelector('.item').getAttribute('data-code')")
    p.click(f"#item-{code} button[data-outcome=hazard]")
    due = p.el(f"#due-{code}")
    p.d.execute_script("""var e = arguments[0], t = new Date(Date.now() + 8 * 3600e3 - 86400e3).toISOString().slice(0, 10);
        e.value = t; e.dispatchEvent(new Event('input')); e.dispatchEvent(new Event('change'));""", due)
    p.wait(lambda d: "不能早于今天" in (p.text(f"#due-{code}-msg") or ""), 5, "the deadline message")
    text_file = os.path.join(ctx.tmp, "notes.jpg")
    with open(text_file, "w") as f:
        f.write("这不是照片 this is not a photo\n" * 20)
    p.d.find_element(By.ID, f"photo-{code}").send_keys(text_file)
    p.wait(lambda d: "不是图片" in (d.execute_script(f"return document.querySelector(\".msg[data-for='photo-{code}']\").textContent") or ""), 10, "the not-an-image message")
    p.d.execute_script(f"document.querySelector(\".msg[data-for='photo-{code}']\").scrollIntoView({{block: 'center'}})")
    p.shot("not-an-image")
    big = os.path.join(ctx.tmp, "huge.jpg")
    with open(big, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0" + b"\0" * (30 * 1024 * 1024 + 10))
    p.d.find_element(By.ID, f"photo-{code}").send_keys(big)
    p.wait(lambda d: "30 MB" in (d.execute_script(f"return document.querySelector(\".msg[data-for='photo-{code}']\").textContent") or ""), 10, "the too-large message")
    check(not p.d.find_elements(By.CSS_SELECTOR, f"#item-{code} .thumb"), "no photo was added")
    p.d.execute_script(f"document.querySelector(\".msg[data-for='photo-{code}']\").scrollIntoView({{block: 'center'}})")
    p.shot("too-large")
    p.click("#inspect-submit")
    p.shot("inspect-refused")
    check("需要改正" in (p.text("#inspect-msg") or ""), "submitting is refused: " + (p.text("#inspect-msg") or ""))
    check(p.screen() == "inspect" and len(p.outbox()) == queued0, "nothing was queued")
    blobs = p.js("SG.Store.blobKeys().then(done)")
    check(not blobs, f"no photo was kept on the phone ({len(blobs)})")
    check(srv.get("/api/v1/subjects?q=" + urllib.parse.quote(name))["total"] == 0, "the server has no half subject")
    check(len(srv.get(f"/api/v1/inspections?subjectId={sid}")) == n_insp, "the server has no new inspection")


def test_refused_fix(ctx):
    """Registered offline with a credit code the server already has (outside this phone's
    area, so the phone cannot know); the session ends meanwhile. Online: 401 → sign-in with the
    queue kept; the server refuses the subject (409 creditCode), its inspection and signature wait;
    fix it from the queue, and all three go up."""
    p, srv = ctx.phone("refused-fix"), ctx.server
    me = srv.get("/api/v1/auth/me", "wangge.worker")
    taken = [x for x in srv.get("/api/v1/subjects?kind=enterprise&per=200")["items"]
             if x.get("creditCode") and not x["gridCode"].startswith(me["areaCode"][:14])][0]["creditCode"]
    p.sign_in("wangge.worker")
    p.wait(lambda d: d.execute_script("return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"), 30, "the service worker in control")
    p.wait(lambda d: p.js("SG.Store.get('packAt').then(done)"), 60, "the day's offline data")
    name = "重复信用代码测试厂" + time.strftime("%H%M%S")
    p.offline(True)
    p.click("#tab-register")
    p.el("#register-form")
    p.d.execute_script("var s = document.getElementById('reg-kind'); s.value = 'enterprise'; s.dispatchEvent(new Event('change'))")
    p.el("#reg-name").send_keys(name)
    p.el("#reg-address").send_keys("杭州市萧山区瓜沥镇工业园区8号")
    p.el("#reg-credit").send_keys(taken)
    p.wait(lambda d: "校验通过" in (p.text("#reg-credit-msg") or ""), 5, "a valid credit code")
    p.el("#reg-party-name").send_keys("钱厂长")
    p.el("#reg-party-phone").send_keys("13700003333")
    p.choose_micro_grid()
    p.click("#reg-save-inspect")
    p.el("#inspect-submit")
    code = p.d.execute_script("return document.querySelector('.item').getAttribute('data-code')")
    p.click(f"#item-{code} button[data-outcome=hazard]")
    p.click("#mark-rest-pass")
    p.choose_dept()
    p.click("#inspect-submit")
    p.el("#sign-pad")
    p.draw_signature()
    p.click("#sign-submit")
    p.el("#done-today", 30)
    check(len(p.outbox()) == 3, "subject, inspection and signature wait offline")
    # The session ends while the phone is offline (expired, or signed out elsewhere).
    p.d.delete_cookie("safegrid_session")
    p.offline(False)
    p.wait(lambda d: urllib.parse.urlparse(d.current_url).path == "/login", 30, "the sign-in page after a 401")
    check("next=/field/" in urllib.parse.unquote(p.d.current_url), "the sign-in page leads back to /field/")
    p.shot("signed-out")
    p.d.find_element(By.NAME, "username").send_keys("wangge.worker")
    p.d.find_element(By.NAME, "password").send_keys(common.PASSWORD)
    p.d.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    p.wait(lambda d: urllib.parse.urlparse(d.current_url).path == "/field/", 20, "/field/ after signing in again")
    p.wait(lambda d: any(i["state"] == "refused" for i in p.outbox()), 30, "the server's refusal")
    items = p.outbox()
    check(len(items) == 3, "the queue survived the sign-out")
    sub = [i for i in items if i["kind"] == "subject"][0]
    check(sub["state"] == "refused" and sub["error"]["status"] == 409 and sub["error"]["field"] == "creditCode",
          f"the subject was refused: {sub['error']['status']} {sub['error']['field']}: {sub['error']['detail']}")
    check(all(i["state"] == "waiting" for i in items if i["kind"] != "subject"), "its inspection and signature wait behind it")
    p.click("#tab-queue")
    row = p.el(f"#queue-list li.q-item[data-id='{sub['id']}']")
    check("creditCode" in row.text and "被拒" in row.text, "the queue shows the refusal with its field")
    check("统一社会信用代码已登记" in row.text, "the refusal is explained in Chinese first: " + row.find_element(By.CSS_SELECTOR, ".q-error").text)
    p.shot("queue-refused")
    p.click(f"#queue-list li.q-item[data-id='{sub['id']}'] .q-fix")
    p.el("#register-form")
    p.wait(lambda d: "服务器拒绝" in (p.text("#reg-credit-msg") or ""), 10, "the refusal next to the credit code")
    p.d.execute_script("document.getElementById('reg-credit').scrollIntoView({block: 'center'})")
    p.shot("fix-form")
    fixed = credit_code("MA" + time.strftime("%H%M%S") + "7")
    box = p.el("#reg-credit")
    box.clear()
    box.send_keys(fixed)
    p.click("#reg-save-inspect")
    items = p.wait_sent(60)
    p.shot("queue-fixed")
    found = srv.get("/api/v1/subjects?q=" + urllib.parse.quote(name))
    check(found["total"] == 1 and found["items"][0]["creditCode"] == fixed and found["items"][0]["id"].lower() == sub["payload"]["id"].lower(),
          "the fixed subject is stored once, under the same id, with the new code")
    check(len(srv.get(f"/api/v1/inspections?subjectId={sub['payload']['id']}")) == 1, "its inspection followed")


def test_in_app_browser(ctx):
    """As in WeChat's or DingTalk's browser without IndexedDB or service worker: the data live in
    localStorage (photos as data URLs); a half-done inspection survives a reload; records queued
    offline survive a reload while the server cannot be reached, and go up with 'send now'."""
    p, srv = ctx.phone("in-app", ua=WECHAT_UA, init_script=NO_IDB_NO_SW), ctx.server
    p.sign_in("wangge.worker")
    kind = p.js("done([SG.Store.kind(), !!navigator.serviceWorker, typeof indexedDB])")
    check(kind[0] == "localStorage" and not kind[1], f"storage falls back to localStorage without service worker ({kind})")
    p.wait(lambda d: p.js("SG.Store.get('packAt').then(done)"), 60, "the day's offline data")
    tasks = srv.get("/api/v1/tasks", "wangge.worker")["tasks"]
    sid = tasks[len(tasks) // 2]["subjectId"].lower()
    n_insp = len(srv.get(f"/api/v1/inspections?subjectId={sid}"))
    p.d.get(p.base + f"/field/#/inspect/{sid}")
    p.el("#inspect-submit")
    code = p.d.execute_script("""return Array.prototype.filter.call(document.querySelectorAll('.item'), function (e) {
        return !e.querySelector('.warn'); })[0].getAttribute('data-code')""")
    p.click(f"#item-{code} button[data-outcome=hazard]")
    p.d.find_element(By.ID, f"photo-{code}").send_keys(make_jpeg(p.d, os.path.join(ctx.tmp, "wechat.jpg"), 1800, 1200, "微信"))
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"#item-{code} .thumb img"), 20, "the photo's thumbnail")
    p.d.find_element(By.CSS_SELECTOR, f"#item-{code} textarea.note").send_keys("插线板串接")
    time.sleep(1)  # the draft is saved 0.4 s after the last change
    p.d.refresh()
    p.el(f"#item-{code} .thumb img")
    check(p.d.find_element(By.CSS_SELECTOR, f"#item-{code}").get_attribute("data-outcome") == "hazard"
          and p.d.find_element(By.CSS_SELECTOR, f"#item-{code} textarea.note").get_attribute("value") == "插线板串接",
          "the half-done inspection and its photo came back after a reload")
    p.shot("draft-after-reload")
    p.offline(True)
    p.click("#mark-rest-pass")
    p.choose_dept()
    p.click("#inspect-submit")
    p.el("#sign-pad")
    p.draw_signature()
    p.click("#sign-submit")
    p.el("#done-today", 30)
    check([i["kind"] for i in p.outbox()] == ["photo", "inspection", "signature"], "photo, inspection and signature queued")
    # Signal back, but the server cannot be reached; the page is reloaded meanwhile.
    p.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/*"]})
    p.offline(False)
    time.sleep(2)
    check(all(i["state"] == "waiting" for i in p.outbox()), "nothing went while the server could not be reached")
    p.d.refresh()
    p.click("#tab-queue")
    p.el("#queue-list li.q-item")
    check(len(p.d.find_elements(By.CSS_SELECTOR, "#queue-list li.q-item[data-state=waiting]")) == 3, "the queue survived the reload in localStorage")
    p.shot("queue-blocked")
    p.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    p.click("#send-now")
    items = p.wait_sent(60)
    p.shot("queue-sent")
    insps = srv.get(f"/api/v1/inspections?subjectId={sid}")
    check(len(insps) == n_insp + 1, "the inspection reached the server once")
    pid = [i for i in items if i["kind"] == "photo"][0]["result"]["id"]
    st, _, body = srv.get(f"/photos/{pid}", raw=True)
    check(st == 200 and jpeg_size(body) == (1600, 1067), f"the photo from localStorage arrived shrunk ({jpeg_size(body)})")


def test_actions(ctx):
    """What each role may do on a subject's hazards: a grid worker starts rectification (sent as
    an offline-sync event); a fire inspector acts only on fire hazards and cannot close down; the
    town admin closes the subject down (关停)."""
    srv = ctx.server
    chosen = None
    for t in srv.get("/api/v1/tasks", "wangge.worker")["tasks"]:
        if len(t["openHazards"]) < 2:
            continue
        d = srv.get(f"/api/v1/subjects/{t['subjectId']}")
        open_h = [h for h in d["hazards"] if h["state"] in ("open", "rebound")]
        depts = {h["department"] for h in d["hazards"] if h["state"] in ("open", "rectifying", "rebound")}
        if open_h and "fireRescue" in depts and len(depts) > 1 and not d["subject"].get("closedDownAt"):
            chosen = (t["subjectId"].lower(), open_h[0], d)
            break
    check(chosen is not None, "a subject with open hazards of the fire department and another")
    sid, hz, before = chosen
    hid = hz["id"].lower()
    p = ctx.phone("actions-worker")
    p.sign_in("wangge.worker")
    p.d.get(p.base + f"/field/#/subject/{sid}")
    p.el(f".hazard[data-hazard='{hid}'] .start-rect")
    check(not p.d.find_elements(By.ID, "closedown"), "a grid worker is not offered 关停")
    p.shot("worker")
    p.click(f".hazard[data-hazard='{hid}'] .start-rect")
    p.wait_sent(30)
    h1 = srv.get(f"/api/v1/hazards/{hid}")
    check(h1["state"] == "rectifying", f"the hazard is in rectification ({hz['state']} → {h1['state']})")
    ev = [e for e in h1["events"] if e["kind"] == "startRectification"][-1]
    check(ev.get("deviceId", "").startswith("field-") and ev.get("deviceSeq", 0) >= 1, f"sent as device {ev.get('deviceId')} seq {ev.get('deviceSeq')}")
    p.quit()
    p = ctx.phone("actions-inspector")
    p.sign_in("xiaofang.inspector")
    p.d.get(p.base + f"/field/#/subject/{sid}")
    p.el("#hazard-list .hazard")
    p.shot("inspector")
    rows = p.d.execute_script("""return Array.prototype.map.call(document.querySelectorAll('#hazard-list .hazard'), function (e) {
        return [e.getAttribute('data-hazard'), e.querySelectorAll('button[data-outcome]').length, e.textContent.indexOf('只能查看') >= 0]; })""")
    dept = {h["id"].lower(): h["department"] for h in before["hazards"] if h["state"] in ("open", "rectifying", "rebound")}
    other = [r for r in rows if dept.get(r[0]) != "fireRescue" and r[0] in dept]
    fire = [r for r in rows if dept.get(r[0]) == "fireRescue"]
    check(other and all(r[1] == 0 and r[2] for r in other), "other departments' hazards are read-only for the fire inspector")
    check(fire and any(r[1] > 0 for r in fire), "fire hazards can be re-inspected by the fire inspector")
    check(not p.d.find_elements(By.ID, "closedown"), "a fire inspector is not offered 关停")
    p.quit()
    p = ctx.phone("actions-admin")
    p.sign_in("guali.admin")
    p.d.get(p.base + f"/field/#/subject/{sid}")
    p.el("#closedown-reason").send_keys("无证经营且消防安全条件不达标，依法责令关停")
    p.shot("admin")
    p.click("#closedown-submit")
    p.wait(lambda d: _accept_confirm(d), 10, "the confirmation")
    p.wait_sent(30)
    after = srv.get(f"/api/v1/subjects/{sid}")
    check(after["subject"].get("closedDownAt") and after["subject"]["colour"]["category"] == "closedDown",
          f"the subject is closed down ({after['subject']['colour']['key']})")
    p.wait(lambda d: "已关停" in (d.find_element(By.ID, "view").text or ""), 20, "已关停 in the app")
    p.shot("closed")


# ---------------------------------------------------------------- the fixes of the field review

def _taken_credit_code(srv, user="wangge.worker"):
    """A credit code the server has, outside the account's area (the phone cannot know it)."""
    me = srv.get("/api/v1/auth/me", user)
    return [x for x in srv.get("/api/v1/subjects?kind=enterprise&per=200")["items"]
            if x.get("creditCode") and not x["gridCode"].startswith(me["areaCode"][:14])][0]["creditCode"]


def _register(p, name, credit, save="#reg-save"):
    p.click("#tab-register")
    p.el("#register-form")
    p.set_select("#reg-kind", "enterprise")
    p.el("#reg-name").send_keys(name)
    p.el("#reg-address").send_keys("杭州市萧山区瓜沥镇工业园区9号")
    p.el("#reg-credit").send_keys(credit)
    p.el("#reg-party-name").send_keys("孙厂长")
    p.el("#reg-party-phone").send_keys("13600004444")
    p.choose_micro_grid()
    p.click(save)


def test_signout(ctx):
    """Review 2: 退出登录 forgets the area's data (subjects with the parties' phone numbers,
    hazards, tasks; the checklist stays); unsent records of the account, after a warning, stay
    on the phone locked to it: an offline start shows nothing, the next account neither sees nor
    sends, fixes or deletes them, and they are back when their owner signs in again."""
    p, srv = ctx.phone("signout"), ctx.server
    taken = _taken_credit_code(srv)
    p.sign_in("wangge.worker")
    p.wait(lambda d: d.execute_script("return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"), 30, "the service worker in control")
    p.wait(lambda d: p.js("SG.Store.get('packAt').then(done)"), 60, "the day's offline data")
    subjects = p.js("SG.Store.get('subjects').then(done)")
    check(subjects and any(s.get("party") for s in subjects), f"the phone holds {len(subjects)} subjects with their parties")
    name = "退出登录测试厂" + time.strftime("%H%M%S")
    _register(p, name, taken)
    p.wait(lambda d: "服务器拒绝" in (p.text("#reg-credit-msg") or ""), 20, "the server's refusal next to the credit code")
    refusal = p.text("#reg-credit-msg")
    items = p.outbox()
    check(len(items) == 1 and items[0]["state"] == "refused" and items[0]["user"] == "wangge.worker", "one refused record of wangge.worker")
    item_id = items[0]["id"]
    # Sign out: a warning first, since a record was not sent.
    p.logout()
    warn = p.el("#logout-warn")
    check("1 项未上传" in warn.text and "锁定" in warn.text and "wangge.worker" in warn.text, "the warning says what stays and for whom: " + warn.text[:80])
    p.shot("logout-warning")
    p.click("#logout-cancel")
    p.wait(lambda d: not p.el("#logout").get_attribute("disabled") and not d.find_element(By.ID, "logout-warn").is_displayed(), 5, "the warning closed")
    check(urllib.parse.urlparse(p.d.current_url).path == "/field/", "cancel keeps the session")
    p.click("#logout")
    p.click("#logout-keep")
    p.wait(lambda d: urllib.parse.urlparse(d.current_url).path == "/login", 20, "the sign-in page after 退出登录")
    # An offline start without a session: nothing of the account shows; its data is gone.
    p.offline(True)
    p.d.get(p.base + "/field/#/today")
    p.el("#login-link")
    kept = p.js("""Promise.all([SG.Store.get('subjects'), SG.Store.get('hazards'), SG.Store.get('tasks'), SG.Store.get('me'),
        SG.Store.get('checklist'), SG.Store.items()]).then(done)""")
    check(kept[0] is None and kept[1] is None and kept[2] is None and kept[3] is None,
          "subjects, hazards, tasks and the account are gone from the phone")
    check(kept[4] is not None, "the checklist stays")
    check([i["id"] for i in kept[5]] == [item_id], "the unsent record stays on the phone")
    for route in ("#/queue", "#/today", f"#/register?edit={item_id}", "#/me"):
        p.d.get(p.base + "/field/" + route)
        p.el("#login-link")
        body = p.d.find_element(By.ID, "view").text
        check(name not in body and "13600004444" not in body, f"{route} offline without a session shows only the sign-in")
    p.shot("offline-signed-out")
    # Another account on the same phone.
    p.offline(False)
    p.sign_in("weiwangge.worker")
    p.wait(lambda d: p.js("Promise.all([SG.Store.get('packUser'), SG.Store.get('packAt')]).then(done)")[0] == "weiwangge.worker"
           and p.js("SG.Store.get('packAt').then(done)"), 60, "the new account's data")
    mine = p.js("SG.Store.get('me').then(function (m) { return SG.Store.get('subjects').then(function (s) { done([m.areaCode, s]); }); })")
    check(mine[1] is not None and all(s["microGridCode"].startswith(mine[0]) for s in mine[1]),
          f"the phone holds only the new account's subjects ({len(mine[1] or [])}, all in {mine[0]})")
    check(p.text("#queue-count") == "0", "the badge does not count the other account's record")
    p.click("#tab-queue")
    p.el("#queue-summary")
    check(not p.d.find_elements(By.CSS_SELECTOR, "#queue-list li.q-item"), "the queue does not show the other account's record")
    p.wait(lambda d: "1 项记录未上传，已锁定" in (p.text("#queue-locked") or ""), 5, "only a count of the locked records")
    check(name not in p.d.find_element(By.ID, "view").text, "nothing of what it holds")
    p.shot("other-account-queue")
    p.d.get(p.base + f"/field/#/register?edit={item_id}")
    p.wait(lambda d: "找不到这条记录" in (d.find_element(By.ID, "view").text or ""), 10, "no fix of another account's record")
    touched = p.js(f"""SG.Outbox.remove({item_id}).then(function (n) {{ return SG.Outbox.retry({item_id}).then(function (r) {{
        return SG.Outbox.run().then(function () {{ return SG.Store.item({item_id}).then(function (it) {{ done([n, r, it.state, it.attempts]); }}); }}); }}); }})""")
    check(touched[0] == 0 and touched[1] is None and touched[2] == "refused", f"it cannot be deleted, resent or sent by another account ({touched})")
    p.d.get(p.base + "/field/#/today")
    p.el("#search").send_keys(name[:6])
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results li, #search-results .empty"), 10, "the search's answer")
    time.sleep(0.5)
    check(name not in p.d.find_element(By.ID, "search-results").text, "search does not find the other account's unsent subject")
    # The other account signs out (nothing unsent of its own: no warning) and the owner is back.
    p.logout()
    p.wait(lambda d: urllib.parse.urlparse(d.current_url).path == "/login", 20, "signed out without a warning")
    p.sign_in("wangge.worker")
    p.click("#tab-queue")
    row = p.el(f"#queue-list li.q-item[data-id='{item_id}'][data-state=refused]")
    check(row.find_elements(By.CSS_SELECTOR, ".q-fix") and p.text("#queue-count") == "1", "the owner finds the record again, to fix or delete")
    p.shot("owner-back")
    check("统一社会信用代码已登记" in refusal, "review 4: the refusal was explained in Chinese first: " + refusal)
    p.click(f"#queue-list li.q-item[data-id='{item_id}'] .q-delete")
    p.wait(lambda d: _accept_confirm(d), 10, "the confirmation")
    p.wait(lambda d: not p.outbox(), 10, "the record deleted by its owner")


def _open_hazards(srv, user, count, skip=()):
    """(subjectId, hazard) pairs of open hazards (state open) in the account's tasks."""
    out = []
    for t in srv.get("/api/v1/tasks", user)["tasks"]:
        sid = t["subjectId"].lower()
        if sid in skip:
            continue
        d = srv.get(f"/api/v1/subjects/{sid}")
        if d["subject"].get("closedDownAt"):
            continue
        for h in d["hazards"]:
            if h["state"] == "open":
                out.append((sid, h))
                break
        if len(out) == count:
            return out
    return out


def _act(srv, hid, action, user="guali.admin", reason=None):
    body = {"action": action, "actor": "瓜沥镇平安办"}
    if reason:
        body["reason"] = reason
    st, _, b = common.http("POST", srv.base + f"/api/v1/hazards/{hid}/actions", body,
                           headers={"Authorization": "Bearer " + srv.token(user)})
    if st not in (200, 201):
        raise Failure(f"{action} on {hid}: {st} {b[:200]!r}")


def _events_by(srv, hid, user, kind):
    return [e for e in srv.get(f"/api/v1/hazards/{hid}")["events"] if e["kind"] == kind and e["actor"].endswith(f"（{user}）")]


def _reinspection_of(items, hid):
    return next((i for i in items if i["kind"] == "reinspection"
                 and any(r["hazardId"].lower() == hid for r in i["payload"]["results"])), None)


def test_reinspect_conflict(ctx):
    """Reviews 1 and 3: a re-inspection whose hazard moved on the server. (a) an offline 未整改
    whose first answer was 'lost' while the admin started the rectification afterwards: NOT
    taken for our own earlier success (it was shown as 'sent · 已在服务器 already applied'),
    refused with who and when in Chinese, fixed from the queue with its outcome, reason and
    photo kept; (b) still a valid step from the hazard's new state: re-sent by itself against
    the new version; (d) a replay of a re-inspection that went through is recognised by our own
    event, not applied twice; (c) re-inspected by someone else meanwhile: refused, with who, and
    no resend that would fail again."""
    p, srv = ctx.phone("reinspect-conflict"), ctx.server
    picks = _open_hazards(srv, "wangge.worker", 3)
    check(len(picks) == 3, f"three subjects with an open hazard ({len(picks)})")
    p.sign_in("wangge.worker")
    p.wait(lambda d: p.js("SG.Store.get('packAt').then(done)"), 60, "the day's offline data")

    # (a) Offline: 未整改 with a reason and a photo; the first attempt's answer is "lost"; the admin
    # starts the rectification afterwards (the party's SMS-link upload does the same).
    sid, hz = picks[2]
    hid = hz["id"].lower()
    p.d.get(p.base + f"/field/#/subject/{sid}")
    p.el(f".hazard[data-hazard='{hid}'] button[data-outcome=notYet]")
    p.offline(True)
    p.click(f".hazard[data-hazard='{hid}'] button[data-outcome=notYet]")
    p.el(f".hazard[data-hazard='{hid}'] textarea.reason").send_keys("现场仍有电动车在楼道充电")
    p.d.find_element(By.ID, f"photo-{hid}").send_keys(make_jpeg(p.d, os.path.join(ctx.tmp, "notyet.jpg"), 1600, 1200, "未整改"))
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f".hazard[data-hazard='{hid}'] .thumb img"), 20, "the photo's thumbnail")
    p.click("#reinspect-submit")
    p.wait(lambda d: any(i["kind"] == "reinspection" and i["state"] == "waiting" for i in p.outbox()), 10, "the re-inspection queued offline")
    a_item = [i for i in p.outbox() if i["kind"] == "reinspection" and i["state"] == "waiting"][0]
    p.js(f"""SG.Store.item({a_item['id']}).then(function (it) {{ it.attempts = 1; return SG.Store.putItem(it); }}).then(function () {{ done(); }});""")
    time.sleep(1.2)
    _act(srv, hid, "startRectification")
    p.offline(False)
    p.wait(lambda d: [i for i in p.outbox() if i["id"] == a_item["id"] and i["state"] != "waiting" and i["state"] != "sending"], 30, "the answer")
    a_now = [i for i in p.outbox() if i["id"] == a_item["id"]][0]
    check(a_now["state"] == "refused", f"NOT taken for our own earlier success (state {a_now['state']}, note {a_now.get('note')!r})")
    check(not _events_by(srv, hid, "wangge.worker", "notYetRectified"), "the server holds no re-inspection of the worker")
    check("在您复查之后已有新记录" in a_now["error"]["detail"] and "开始整改" in a_now["error"]["detail"],
          "the refusal says the hazard changed after the re-inspection: " + a_now["error"]["detail"][:100])
    photo_items = [i for i in p.outbox() if i["kind"] == "photo" and i["id"] in a_item["deps"]]
    check(len(photo_items) == 1 and photo_items[0]["state"] == "sent", "its photo went up")
    p.click("#tab-queue")
    p.el(f"#queue-list li.q-item[data-id='{a_item['id']}'] .q-error")
    p.shot("refused-changed-after")
    p.click(f"#queue-list li.q-item[data-id='{a_item['id']}'] .q-fix")
    p.el("#reinspect-edit")
    row = p.el(f".hazard[data-hazard='{hid}']")
    check(row.find_element(By.CSS_SELECTOR, "button[data-outcome=notYet]").get_attribute("aria-pressed") == "true"
          and row.find_element(By.CSS_SELECTOR, "textarea.reason").get_attribute("value") == "现场仍有电动车在楼道充电",
          "the fix keeps the outcome and the reason")
    check(len(row.find_elements(By.CSS_SELECTOR, ".thumb img")) == 1, "and the photo")
    p.shot("fix-reinspection")
    p.click("#reinspect-submit")
    items = p.wait_sent(30)
    ev = _events_by(srv, hid, "wangge.worker", "notYetRectified")
    h = srv.get(f"/api/v1/hazards/{hid}")
    check(len(ev) == 1 and ev[0]["reason"] == "现场仍有电动车在楼道充电" and h["state"] == "open",
          f"the fixed re-inspection is stored once ({len(ev)}), the hazard is open again ({h['state']})")
    check(len([i for i in items if i["kind"] == "photo" and i["id"] in a_item["deps"]]) == 1, "with the same photo, not a copy")

    # (b) The admin starts the rectification while the worker's page is open; the worker's
    # 整改到位 is still a valid step from 整改中: re-sent with the new version.
    sid, hz = picks[0]
    hid = hz["id"].lower()
    p.d.get(p.base + f"/field/#/subject/{sid}")
    p.el(f".hazard[data-hazard='{hid}'] button[data-outcome=rectified]")
    _act(srv, hid, "startRectification")
    time.sleep(1.2)  # the re-inspection is dated after the admin's event (whole seconds)
    p.click(f".hazard[data-hazard='{hid}'] button[data-outcome=rectified]")
    p.click("#reinspect-submit")
    p.wait(lambda d: (_reinspection_of(p.outbox(), hid) or {}).get("state") == "sent", 30, "the re-inspection sent")
    b_item = _reinspection_of(p.wait_sent(30), hid)
    check(b_item["payload"]["results"][0]["version"] == hz["version"] + 1, "the re-inspection was re-sent against the new version")
    check("自动重发" in (b_item.get("note") or ""), "its note says so: " + str(b_item.get("note")))
    h = srv.get(f"/api/v1/hazards/{hid}")
    check(h["state"] == "rectified" and len(_events_by(srv, hid, "wangge.worker", "verifyRectified")) == 1,
          "the hazard is rectified by the worker's re-inspection, once")
    # (d) A replay (its answer lost): recognised by our own event, not applied twice.
    p.js(f"""SG.Store.item({b_item['id']}).then(function (it) {{ it.state = 'waiting'; it.attempts = 1; return SG.Store.putItem(it); }})
        .then(function () {{ return SG.Outbox.run(); }}).then(function () {{ done(); }}, function (e) {{ done(String(e)); }});""")
    replay = [i for i in p.wait_sent(30) if i["id"] == b_item["id"]][0]
    check("已在服务器" in (replay.get("note") or ""), "a replay is recognised as already applied: " + str(replay.get("note")))
    check(len(_events_by(srv, hid, "wangge.worker", "verifyRectified")) == 1, "and not applied twice")

    # (c) Someone else re-inspects it as rectified meanwhile: refused, with who; no blind resend.
    sid, hz = picks[1]
    hid = hz["id"].lower()
    p.d.get(p.base + f"/field/#/subject/{sid}")
    p.el(f".hazard[data-hazard='{hid}'] button[data-outcome=rectified]")
    _act(srv, hid, "verifyRectified")
    p.click(f".hazard[data-hazard='{hid}'] button[data-outcome=rectified]")
    p.click("#reinspect-submit")
    p.wait(lambda d: (_reinspection_of(p.outbox(), hid) or {}).get("state") == "refused", 30, "the refusal")
    c_item = _reinspection_of(p.outbox(), hid)
    detail = c_item["error"]["detail"]
    check(detail.startswith("复查未上传") and "已由他人复查为整改到位" in detail and "瓜沥镇平安办" in detail,
          "refused, in Chinese first, with who re-inspected it: " + detail[:120])
    check(not _events_by(srv, hid, "wangge.worker", "verifyRectified"), "nothing of the worker's was stored on that hazard")
    p.click("#tab-queue")
    row = p.el(f"#queue-list li.q-item[data-id='{c_item['id']}']")
    check(row.find_elements(By.CSS_SELECTOR, ".q-fix") and not row.find_elements(By.CSS_SELECTOR, ".q-resend"),
          "the queue offers 修改 and 删除, not a resend that would fail again")
    p.shot("refused-already-rectified")
    p.click(f"#queue-list li.q-item[data-id='{c_item['id']}'] .q-delete")
    p.wait(lambda d: _accept_confirm(d), 10, "the confirmation")
    p.wait(lambda d: not [i for i in p.outbox() if i["id"] == c_item["id"]], 10, "the refused re-inspection deleted")


def test_messages(ctx):
    """Review 4: refusals in Chinese first, then the server's words: the mapping for the usual
    ones, and two real refusals (a photo not uploaded by this account, a time in the future)."""
    p, srv = ctx.phone("messages"), ctx.server
    p.sign_in("wangge.worker")
    p.wait(lambda d: p.js("SG.Store.get('checklist').then(done)"), 60, "the checklist")
    tasks = srv.get("/api/v1/tasks", "wangge.worker")["tasks"]
    sid = tasks[0]["subjectId"].lower()
    made = p.js("""var sid = arguments[0];
      SG.Store.get('checklist').then(function (c) {
        var kind = null;
        return SG.Api.json('/api/v1/subjects/' + sid).then(function (d) {
          var item = c.items.filter(function (it) { return it.subjectKinds.indexOf(d.subject.kind) >= 0; })[0];
          var base = function (at, results) { return { clientId: SG.uuid(), subjectId: sid, checklistVersion: c.version, inspectedAt: at,
            inspector: '网格员', team: [{ name: '网格员', department: 'marketSupervision' }], results: results }; };
          var future = SG.rfc3339(new Date(Date.now() + 86400000));
          return SG.Outbox.add('inspection', base(SG.rfc3339(), [{ itemCode: item.code, outcome: 'hazard', severity: 'general',
              dueOn: SG.addDays(SG.today(), 7), photos: ['ab'.repeat(32)] }]), { label: '检查 照片未上传', subjectId: sid })
            .then(function (a) { return SG.Outbox.add('inspection', base(future, [{ itemCode: item.code, outcome: 'pass' }]), { label: '检查 未来时间', subjectId: sid })
            .then(function (b) { return SG.Outbox.run().then(function () { done([a.id, b.id]); }); }); });
        });
      }).catch(function (e) { done(String(e)); });""", sid)
    check(isinstance(made, list), f"two inspections queued ({made})")
    items = {i["id"]: i for i in p.outbox()}
    photo, future = items[made[0]], items[made[1]]
    check(photo["state"] == "refused" and photo["error"]["detail"].startswith("所附照片不在服务器上") and "uploaded by you" in photo["error"]["detail"],
          "a photo not uploaded: " + photo["error"]["detail"][:90])
    check(future["state"] == "refused" and future["error"]["detail"].startswith("时间晚于服务器当前时间") and "in the future" in future["error"]["detail"],
          "a time in the future: " + future["error"]["detail"][:90])
    p.click("#tab-queue")
    row = p.el(f"#queue-list li.q-item[data-id='{made[1]}'] .q-error")
    check(row.text.startswith("服务器拒绝 Refused: 时间晚于服务器当前时间"), "the queue shows it: " + row.text[:60])
    p.shot("refusals")
    p.js(f"SG.Outbox.remove({made[0]}).then(function () {{ return SG.Outbox.remove({made[1]}); }}).then(function () {{ done(); }})")
    check(not p.outbox(), "both deleted")
    cases = [
        (409, {"field": "results[0].version", "detail": "hazard is at version 2, not 1; reload and retry", "currentState": "rectifying"}, "该隐患已被他人更新"),
        (422, {"field": "results[0].photos[0]", "detail": "no photo abc was uploaded by you; upload it first (POST /api/v1/photos)"}, "所附照片不在服务器上"),
        (422, {"field": "takenAt", "detail": "the time 2035-01-01T10:00:00+08:00 is in the future"}, "时间晚于服务器当前时间"),
        (409, {"field": "creditCode", "detail": "a subject with credit code X already exists"}, "该统一社会信用代码已登记"),
        (404, {"detail": "no subject with id x"}, "服务器上找不到该记录"),
        (403, {"detail": "not your department"}, "本账号无权进行此操作"),
        (401, {"detail": "sign in"}, "登录已过期"),
        (413, {"detail": "payload too large"}, "照片太大"),
        (422, {"field": "photo", "detail": "the file is not a JPEG, PNG or HEIC image"}, "服务器无法使用这张照片"),
    ]
    for status, problem, zh in cases:
        text = p.d.execute_script("return SG.problemDetail(arguments[0], arguments[1])", status, problem)
        check(text.startswith(zh) and problem["detail"] in text and text.index(zh) < text.index(problem["detail"]),
              f"{status} {problem.get('field', '')}: {text[:70]}…")


def test_viewer(ctx):
    """Review 6: a viewer (screen.viewer) reads but writes nothing: no 检查 buttons, no 登记 tab,
    no per-hazard 'another department' text but 只读账号 once; Me names the role in Chinese;
    the search box takes at most 200 characters."""
    p, srv = ctx.phone("viewer"), ctx.server
    p.sign_in("screen.viewer")
    subject = [x for x in srv.get("/api/v1/hazards?state=open&per=50")["items"]][0]
    d = srv.get(f"/api/v1/subjects/{subject['subjectId']}")
    search = p.el("#search")
    search.send_keys(d["subject"]["name"])
    p.el("#search-results li.subject")
    check(not p.d.find_elements(By.CSS_SELECTOR, "#search-results .btn-inspect"), "search results have no 检查 button")
    p.shot("viewer-search")
    p.d.get(p.base + f"/field/#/subject/{subject['subjectId'].lower()}")
    p.el("#hazard-list .hazard")
    check(not p.d.find_elements(By.CSS_SELECTOR, "#subject-inspect, #view button[data-outcome], .start-rect, #reinspect-submit, #closedown"),
          "no write action on the subject")
    view = p.d.find_element(By.ID, "view").text
    check("只读账号" in view and "非本部门" not in view, "the subject says 只读账号, not 'another department's hazard'")
    p.shot("viewer-subject")
    p.d.get(p.base + "/field/#/today")
    check(p.el("#read-only").is_displayed() and "只读账号" in p.text("#read-only"), "Today says 只读账号")
    check(not p.d.find_element(By.ID, "tab-register").is_displayed(), "no Register tab")
    check(p.el("#search").get_attribute("maxlength") == "200", "the search box takes at most 200 characters (the server's limit)")
    p.d.get(p.base + "/field/#/me")
    p.el("#me-role")
    check(p.text("#me-role") == "查看 Viewer", f"Me names the role, not its code: {p.text('#me-role')!r}")
    p.d.get(p.base + f"/field/#/inspect/{subject['subjectId'].lower()}")
    p.wait(lambda d: "查看账号不能检查" in d.find_element(By.ID, "view").text, 10, "no inspection by a viewer")


def test_photo_clock(ctx):
    """Review 7: photos whose camera clock is wrong (2035, 1999) go without that time and never
    hold the inspection back (also a photo queued by an older version with such a time); a photo
    the server cannot read is refused, explained, and its inspection goes up once the photo is
    deleted."""
    p, srv = ctx.phone("photo-clock"), ctx.server
    p.sign_in("wangge.worker")
    p.wait(lambda d: p.js("SG.Store.get('packAt').then(done)"), 60, "the day's offline data")
    tasks = srv.get("/api/v1/tasks", "wangge.worker")["tasks"]
    sid = tasks[2 % len(tasks)]["subjectId"].lower()
    n0 = len(srv.get(f"/api/v1/inspections?subjectId={sid}"))
    p.d.get(p.base + f"/field/#/inspect/{sid}")
    p.el("#inspect-submit")
    code = p.d.execute_script("""return Array.prototype.filter.call(document.querySelectorAll('.item'), function (e) {
        return !e.querySelector('.warn'); })[0].getAttribute('data-code')""")
    p.click(f"#item-{code} button[data-outcome=hazard]")
    future = make_jpeg(p.d, os.path.join(ctx.tmp, "future.jpg"), 1200, 900, "2035", taken="2035:01:01 10:00:00")
    past = make_jpeg(p.d, os.path.join(ctx.tmp, "past.jpg"), 1200, 900, "1999", taken="1999:12:31 23:00:00")
    p.d.find_element(By.ID, f"photo-{code}").send_keys(future + "\n" + past)
    p.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, f"#item-{code} .thumb img")) == 2, 20, "both thumbnails")
    msg = p.d.execute_script(f"return document.querySelector(\".msg[data-for='photo-{code}']\").textContent")
    p.d.execute_script(f"document.querySelector(\".msg[data-for='photo-{code}']\").scrollIntoView({{block: 'center'}})")
    p.shot("clock-wrong")
    p.click("#mark-rest-pass")
    p.choose_dept()
    p.offline(True)
    p.click("#inspect-submit")
    p.el("#sign-pad")
    # As an older version queued it: a photo with the camera's future time.
    p.js("""SG.Store.items().then(function (items) {
        var ph = items.filter(function (it) { return it.kind === 'photo'; });
        ph[0].payload.takenAt = '2035-01-01T10:00:00+08:00';
        return SG.Store.putItem(ph[0]).then(function () { done(ph.map(function (x) { return x.payload.takenAt; })); });
      });""")
    p.offline(False)
    p.click("#sign-later")
    items = p.wait_sent(60)
    photos = [i for i in items if i["kind"] == "photo"]
    check(len(photos) == 2 and not any((i["payload"].get("takenAt") or "").startswith(("2035", "1999")) for i in photos[1:]),
          "the new photo records carry no implausible time: " + str([i["payload"].get("takenAt") for i in photos]))
    check(len(srv.get(f"/api/v1/inspections?subjectId={sid}")) == n0 + 1, "the inspection was not held back")
    check("不可信" in (photos[0].get("note") or ""), "the queued one went up without its time: " + str(photos[0].get("note")))
    check("不可信" in msg, "the worker was told the camera's time is ignored: " + msg)

    # A photo the server cannot read (its file damaged on the phone): refused, explained; deleting
    # it lets the inspection go up without it.
    sid2 = tasks[3 % len(tasks)]["subjectId"].lower()
    n2 = len(srv.get(f"/api/v1/inspections?subjectId={sid2}"))
    p.d.get(p.base + f"/field/#/inspect/{sid2}")
    p.el("#inspect-submit")
    code = p.d.execute_script("""return Array.prototype.filter.call(document.querySelectorAll('.item'), function (e) {
        return !e.querySelector('.warn'); })[0].getAttribute('data-code')""")
    p.click(f"#item-{code} button[data-outcome=hazard]")
    p.d.find_element(By.ID, f"photo-{code}").send_keys(make_jpeg(p.d, os.path.join(ctx.tmp, "damaged.jpg"), 1200, 900, "坏"))
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"#item-{code} .thumb img"), 20, "the thumbnail")
    p.click("#mark-rest-pass")
    p.offline(True)
    p.click("#inspect-submit")
    p.el("#sign-pad")
    bad = p.js("""SG.Store.items().then(function (items) {
        var ph = items.filter(function (it) { return it.kind === 'photo' && it.state !== 'sent'; })[0];
        return SG.Store.putBlob(ph.payload.blobKey, new Blob(['not a photo at all, damaged on the phone'], { type: 'image/jpeg' })).then(function () { done(ph.id); });
      });""")
    p.offline(False)
    p.click("#sign-later")
    p.wait(lambda d: any(i["id"] == bad and i["state"] == "refused" for i in p.outbox()), 30, "the photo's refusal")
    p.click("#tab-queue")
    prow = p.el(f"#queue-list li.q-item[data-id='{bad}']")
    check("服务器无法使用这张照片" in prow.text and not prow.find_elements(By.CSS_SELECTOR, ".q-resend"),
          "the photo's refusal is explained, with no resend that would fail again")
    insp = [i for i in p.outbox() if i["kind"] == "inspection" and bad in i["deps"]][0]
    irow = p.el(f"#queue-list li.q-item[data-id='{insp['id']}'] .q-blocked")
    check("删除该照片后" in irow.text, "the inspection says deleting the photo lets it go: " + irow.text[:60])
    p.shot("photo-refused")
    p.click(f"#queue-list li.q-item[data-id='{bad}'] .q-delete")
    p.wait(lambda d: _accept_confirm(d), 10, "the confirmation")
    p.wait(lambda d: [i for i in p.outbox() if i["id"] == insp["id"] and i["state"] == "sent"], 30, "the inspection sent without the photo")
    stored = srv.get(f"/api/v1/inspections?subjectId={sid2}")
    check(len(stored) == n2 + 1, "the inspection reached the server")
    p.shot("photo-deleted-sent")


def _accept_confirm(d):
    try:
        d.switch_to.alert.accept()
        return True
    except WebDriverException:
        return False


def test_alarm(ctx):
    """A smart fire device's alarm at the top of a grid worker's Today: an IoT platform made
    through the API posts a signed lane-blocked event; the worker takes it (接警), arrives (到场)
    and confirms it (确认), which records the hazard LANE-01 on the subject; the SMS went to the
    grid's worker."""
    srv = ctx.server
    me = srv.get("/api/v1/auth/me", "wangge.worker")
    subjects = srv.get(f"/api/v1/subjects?kind=enterprise&areaCode={me['areaCode']}&per=50")["items"]
    subject = next((x for x in subjects if not x.get("closedDownAt")), None)
    check(subject is not None, f"an open enterprise in the worker's grid {me['areaCode']}")
    tag = uuid.uuid4().hex[:8]
    st, body = srv.post("/api/v1/iot-platforms", {"id": f"browser-{tag}", "name": "浏览器测试平台", "areaCode": "330109113"})
    check(st == 201, f"a platform is made ({st})")
    secret = json.loads(body)["secret"]
    st, body = srv.post("/api/v1/devices", {"platformId": f"browser-{tag}", "serial": f"LC-{tag}", "kind": "lifeChannelMonitor",
                                            "vendor": "海康威视", "subjectId": subject["id"]})
    check(st == 201, f"a life-channel monitor is registered on {subject['name']} ({st} {body[:200]!r})")
    raised = time.time() - 120
    events = json.dumps({"events": [{"eventId": f"ev-{tag}", "serial": f"LC-{tag}", "kind": "laneBlocked",
                                     "occurredAt": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(raised + 8 * 3600))}]}).encode()
    ts = str(int(time.time()))
    sig = hmac.new(secret.encode(), ts.encode() + b"." + events, hashlib.sha256).hexdigest()
    st, _, answer = common.http("POST", ctx.base + f"/api/v1/iot/browser-{tag}/events", events,
                                headers={"Content-Type": "application/json", "X-SafeGrid-Timestamp": ts, "X-SafeGrid-Signature": sig})
    check(st == 200, f"the platform's signed event is taken ({st} {answer[:200]!r})")
    alarm = json.loads(answer)["alarms"][0]["alarmId"].lower()
    sms = [m for m in srv.get("/api/v1/messages?kind=deviceAlarm&per=50")["items"] if subject["name"] in m["body"]]
    check(sms and "生命通道占用" in sms[0]["body"], f"the SMS is queued: «{sms[0]['body'] if sms else ''}»")
    p = ctx.phone("alarm")
    p.sign_in("wangge.worker")
    row = f"#alarms li[data-alarm='{alarm}']"
    p.el(row)
    # The list is drawn from the phone's copy, then again from the server: wait for the server's.
    p.wait(lambda d: d.execute_script("return !!window.SG && document.querySelectorAll('#alarms li').length > 0"), 20, "the alarms")
    time.sleep(1.0)
    first = p.d.execute_script("var s = document.querySelector('#alarms'), t = document.querySelector('#task-list'); "
                               "return !t || (s.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING) > 0;")
    check(first, "the alarm is above the day's tasks")
    text = p.d.execute_script("return document.querySelector(arguments[0]).textContent", row)
    check("生命通道占用" in text and subject["name"] in text, f"it names the kind and the subject: «{text[:80]}»")
    p.shot("alarm-raised")
    p.click(row + " button[data-step='acknowledge']")
    state = lambda d: d.execute_script("var e = document.querySelector(arguments[0]); return e && e.getAttribute('data-state')", row)  # noqa: E731
    p.wait(lambda d: state(d) == "acknowledged", 20, "接警 recorded")
    p.click(row + " button[data-step='arriveOnSite']")
    p.wait(lambda d: state(d) == "onSite", 20, "到场 recorded")
    p.click(row + " button[data-step='confirm']")
    p.shot("alarm-confirm")
    p.click(row + " .alarm-form .btn")
    p.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, row), 20, "the confirmed alarm leaves the open list")
    a = srv.get(f"/api/v1/alarms/{alarm}")
    check(a["state"] == "confirmed" and a["itemCode"] == "LANE-01" and a.get("hazardId"), f"confirmed with a hazard ({a['state']}, {a.get('itemCode')})")
    check(a["acknowledgedBy"].endswith("（wangge.worker）") and a["acknowledgeSeconds"] >= 120, f"taken by {a['acknowledgedBy']} after {a['acknowledgeSeconds']} s")
    hz = srv.get(f"/api/v1/hazards/{a['hazardId'].lower()}")
    check(hz["itemCode"] == "LANE-01" and hz["state"] == "open" and hz["subjectId"].lower() == subject["id"].lower(),
          f"the hazard is the subject's, open, LANE-01")
    p.shot("alarm-done")


# ---------------------------------------------------------------- residents' reports (沥家园)

def _gcj(lat, lon):
    """WGS-84 → GCJ-02 (the published approximation, as util.js SG.toGCJ)."""
    import math
    def t_lat(x, y):
        r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
        r += (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
        r += (20 * math.sin(y * math.pi) + 40 * math.sin(y / 3 * math.pi)) * 2 / 3
        return r + (160 * math.sin(y / 12 * math.pi) + 320 * math.sin(y * math.pi / 30)) * 2 / 3
    def t_lon(x, y):
        r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
        r += (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
        r += (20 * math.sin(x * math.pi) + 40 * math.sin(x / 3 * math.pi)) * 2 / 3
        return r + (150 * math.sin(x / 12 * math.pi) + 300 * math.sin(x / 30 * math.pi)) * 2 / 3
    a, ee = 6378245.0, 0.00669342162296594323
    d_lat, d_lon = t_lat(lon - 105, lat - 35), t_lon(lon - 105, lat - 35)
    rad = lat / 180 * math.pi
    m = 1 - ee * math.sin(rad) ** 2
    d_lat = d_lat * 180 / ((a * (1 - ee)) / (m * math.sqrt(m)) * math.pi)
    d_lon = d_lon * 180 / (a / math.sqrt(m) * math.cos(rad) * math.pi)
    return lat + d_lat, lon + d_lon


def _wgs(location):
    """A subject's stored position as WGS-84 (the demo stores GCJ-02: inverted by iteration)."""
    lat, lon = location["latitude"], location["longitude"]
    if (location.get("datum") or "wgs84").lower() != "gcj02":
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(6):
        g_lat, g_lon = _gcj(w_lat, w_lon)
        w_lat, w_lon = w_lat + lat - g_lat, w_lon + lon - g_lon
    return w_lat, w_lon


def _png(width=48, height=32, rgb=(239, 108, 0)):
    """A small solid PNG (no Pillow here)."""
    import zlib
    raw = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _resident_report(ctx, code, lat, lon, address, description, photos=()):
    """An anonymous report through the residents' public API; its id."""
    body = {"serviceCode": code, "description": description, "latitude": round(lat, 7), "longitude": round(lon, 7),
            "address": address, "anonymous": True, "photos": list(photos)}
    st, _, answer = common.http("POST", ctx.base + "/api/v1/resident/reports", body)
    check(st == 201, f"a resident's anonymous report {code} is taken ({st}{'' if st == 201 else ' ' + repr(answer[:300])})")
    return json.loads(answer)["id"].lower()


def test_report_task(ctx):
    """A resident's report (沥家园) at the top of a grid worker's Today, after the device alarms:
    an anonymous report with a photo, made through the public API a few metres from a subject of
    wangge.worker's grid, shows with its age, the resident's text as text and the photo; the
    worker verifies it (核实), which records a one-item inspection with the hazard on the
    subject; a second report of the same place is dismissed as a duplicate of the first; a third
    shows a dismissal without a note refused on the phone and, handled meanwhile by someone
    else, the server's 409 in Chinese in its card."""
    import field_reports
    srv = ctx.server
    me = srv.get("/api/v1/auth/me", "wangge.worker")
    checklist = srv.get("/api/v1/checklists/current", "wangge.worker")
    kinds = {it["code"]: it.get("subjectKinds") or [] for it in checklist["items"]}
    st, _, body = common.http("GET", ctx.base + "/api/v1/resident/context")
    check(st == 200, f"the residents' context answers ({st})")
    codes = [it["code"] for c in json.loads(body)["categories"] for it in c["items"] if it["code"] in kinds]
    codes.sort(key=lambda c: c != "LANE-01")
    subjects = srv.get(f"/api/v1/subjects?areaCode={me['areaCode']}&per=200", "wangge.worker")["items"]
    pick = next(((s, c) for s in subjects if s.get("location") and not s.get("closedDownAt")
                 for c in codes if s["kind"] in kinds[c]), None)
    check(pick is not None, f"a located open subject of the worker's grid {me['areaCode']} with an item residents can report")
    subject, code = pick
    lat, lon = _wgs(subject["location"])
    lat += 3 / 111320.0  # three metres north
    tag = uuid.uuid4().hex[:6]
    text = f"浏览器测试 {tag}：楼道堆满纸箱 <b>晚上</b> <script>window.__reportX = 1</script>"
    photo = "data:image/png;base64," + base64.b64encode(_png()).decode()
    first = _resident_report(ctx, code, lat, lon, f"{subject['address']}（测试 {tag}）", text, [photo])
    r = srv.get(f"/api/v1/reports/{first}", "wangge.worker")
    common.log(f"    report {first}: {r.get('microGridCode')}, matched {r.get('subjectName')}, nearby "
               f"{[x.get('name') for x in r.get('nearbySubjects') or []]}")
    check(r["state"] == "received" and str(r.get("gridCode") or r.get("microGridCode") or "").startswith(me["areaCode"]),
          f"routed to the worker's grid ({r.get('microGridCode')}), 待核实")
    # Subjects may share a position (rooms of one house): the nearest is matched, others nearby.
    near = [str(x["id"]).lower() for x in r.get("nearbySubjects") or []]
    check(r.get("subjectId") and (str(r["subjectId"]).lower() == subject["id"].lower() or subject["id"].lower() in near or len(near) == 5),
          f"matched to a subject within a few metres ({r.get('subjectName')}; {subject['name']} matched or nearby)")

    p = ctx.phone("report-task")
    p.sign_in("wangge.worker")
    card = f"#reports li.report[data-report='{first}']"
    p.el(card, 30)
    time.sleep(1.0)  # the phone's copy first, then the server's answer
    order = p.d.execute_script("""var a = document.getElementById('alarms'), r = document.getElementById('reports'), t = document.getElementById('task-list');
        function before(x, y) { return !x || !y || (x.compareDocumentPosition(y) & Node.DOCUMENT_POSITION_FOLLOWING) > 0; }
        return [before(a, r), before(r, t), !r.hidden];""")
    check(order == [True, True, True], f"the reports show after the alarms and above the day's tasks ({order})")
    seen = p.d.execute_script("""var c = document.querySelector(arguments[0]);
        return {desc: c.querySelector('.desc').textContent, age: c.querySelector('.age').textContent, tags: c.querySelectorAll('script, b').length,
                ran: window.__reportX === 1, state: c.getAttribute('data-state'), count: document.getElementById('report-count').textContent,
                cards: document.querySelectorAll('#report-list li.report').length, reporter: c.querySelector('.reporter').textContent,
                verify: !!c.querySelector('button.verify'), dismiss: !!c.querySelector('button.dismiss')};""", card)
    check(seen["desc"] == text and seen["tags"] == 0 and not seen["ran"], "the resident's text shows as text (no markup, no script)")
    check(re.search(r"(\d+ 分钟前|刚刚)", seen["age"]) is not None, f"with its age «{seen['age']}»")
    check(seen["state"] == "received" and (seen["count"] == str(seen["cards"]) or int(seen["count"]) > 20), f"待核实, counted ({seen['count']})")
    check("匿名" in seen["reporter"] and seen["verify"] and seen["dismiss"], "anonymous, with 核实 and 驳回")
    p.wait(lambda d: d.execute_script("var i = document.querySelector(arguments[0] + ' img.thumb-img'); return i && i.complete && i.naturalWidth > 0", card),
           20, "the photo's thumbnail")
    p.d.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", card)
    p.shot("report-card")

    ours = str(r["subjectId"]).lower() == subject["id"].lower() or subject["id"].lower() in near
    done = field_reports.verify(p.d, ctx.base, first, subject_id=subject["id"] if ours else None, note=f"现场确认 {tag}")
    check("已核实" in done, f"the phone confirms «{done[:60]}»")
    r = srv.get(f"/api/v1/reports/{first}", "wangge.worker")
    check(r["state"] == "verified" and r.get("inspectionId") and r.get("hazardIds"), f"verified with inspection {r.get('inspectionId')} and hazards {r.get('hazardIds')}")
    hz = srv.get(f"/api/v1/hazards/{str(r['hazardIds'][0]).lower()}")
    check(hz["itemCode"] == code and str(hz["subjectId"]).lower() == str(r.get("subjectId") or "").lower() and hz["state"] in ("open", "rectifying", "rebound")
          and (not ours or str(r["subjectId"]).lower() == subject["id"].lower()),
          f"the hazard {code} is open on the subject ({r.get('subjectName')})")
    check(first not in [str(x["id"]).lower() for x in srv.get("/api/v1/reports?state=open", "wangge.worker")],
          "the report is no longer open")
    p.shot("report-verified")

    second = _resident_report(ctx, code, lat, lon, f"{subject['address']}（测试 {tag} 第二次）", f"浏览器测试 {tag}：还是那堆纸箱")
    done = field_reports.dismiss(p.d, ctx.base, second, "duplicate", f"与 {tag} 第一次上报为同一处", duplicate_of=first)
    check("已驳回" in done and "重复上报" in done, f"the phone confirms «{done[:60]}»")
    r2 = srv.get(f"/api/v1/reports/{second}", "wangge.worker")
    check(r2["state"] == "dismissed" and r2.get("dismissReason") == "duplicate" and str(r2.get("duplicateOf") or "").lower() == first,
          f"dismissed as a duplicate of the first ({r2['state']}, {r2.get('dismissReason')}, {r2.get('duplicateOf')})")
    p.shot("report-dismissed")

    third = _resident_report(ctx, code, lat, lon, f"{subject['address']}（测试 {tag} 第三次）", f"浏览器测试 {tag}：第三次")
    p.d.execute_script("SG.route()")
    row = f"#reports li.report[data-report='{third}']"
    p.click(row + " button.dismiss", 30)
    p.set_select(row + " select[name=reason]", "notHazard")
    p.click(row + " button.go")
    p.wait(lambda d: "说明" in (d.execute_script("var m = document.querySelector(arguments[0] + \" .msg[data-for='note']\"); return m ? m.textContent : ''", row) or ""),
           10, "a dismissal without a note is refused next to the note")
    check(srv.get(f"/api/v1/reports/{third}", "wangge.worker")["state"] == "received", "nothing was sent")
    p.shot("report-note-required")
    # Handled meanwhile by someone else: the server's 409, in Chinese, in the card.
    st, answer = srv.post(f"/api/v1/reports/{third}/actions", {"action": "dismiss", "reason": "notHazard", "note": "另一台设备已处理"}, user="wangge.worker")
    check(st == 200, f"dismissed meanwhile through the API ({st}{'' if st == 200 else ' ' + repr(answer[:200])})")
    p.el(row + " textarea[name=note]").send_keys("测试")
    p.click(row + " button.go")
    p.wait(lambda d: "已被处理" in (d.execute_script("var c = document.querySelector(arguments[0]); return c ? c.textContent : ''", row) or ""),
           10, "the 409 in Chinese in the card")
    p.shot("report-conflict")
    p.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, row), 20, "the handled report leaves the list")


def test_report_register(ctx):
    """A report that no registered subject fits: from the card's verify form the worker registers
    the subject (the report's address and position filled in), comes back to the form with the
    new subject chosen and verifies: the hazard is the new subject's."""
    srv = ctx.server
    me = srv.get("/api/v1/auth/me", "wangge.worker")
    checklist = srv.get("/api/v1/checklists/current", "wangge.worker")
    kinds = {it["code"]: it.get("subjectKinds") or [] for it in checklist["items"]}
    code = "LANE-01" if kinds.get("LANE-01") else next(c for c in kinds if kinds[c])
    kind = next((k for k in ("streetShop", "rentalHousing", "smallMicroPark", "enterprise") if k in kinds[code]))
    subjects = srv.get(f"/api/v1/subjects?areaCode={me['areaCode']}&per=200", "wangge.worker")["items"]
    near = next(s for s in subjects if s.get("location") and not s.get("closedDownAt"))
    lat, lon = _wgs(near["location"])
    lon += 4 / 96000.0  # next door to a subject of the grid (grids interleave: farther may be another's)
    tag = uuid.uuid4().hex[:6]
    address = f"杭州市萧山区瓜沥镇测试路{int(tag, 16) % 900 + 100}号"
    rid = _resident_report(ctx, code, lat, lon, address, f"浏览器测试 {tag}：新开的店门口堆满货物")
    check(str(srv.get(f"/api/v1/reports/{rid}", "wangge.worker").get("gridCode")) == me["areaCode"], "routed to the worker's grid")
    p = ctx.phone("report-register")
    p.sign_in("wangge.worker")
    card = f"#reports li.report[data-report='{rid}']"
    p.click(card + " button.verify", 30)
    p.click(card + " a.register-subject")
    p.el("#reg-for-report")
    check(p.d.execute_script("return document.getElementById('reg-address').value") == address, "the report's address is filled in")
    check(f"{lat:.6f}" in (p.text("#reg-position") or ""), f"and its position ({p.text('#reg-position')})")
    p.set_select("#reg-kind", kind)
    name = f"测试新店{tag}"
    p.el("#reg-name").send_keys(name)
    if kind == "enterprise":
        p.el("#reg-credit").send_keys(credit_code("RR" + tag.upper()[:6] + "1"))
    if kind == "rentalHousing":
        p.el("#reg-rooms").send_keys("4")
    p.el("#reg-party-name").send_keys("周店主")
    p.el("#reg-party-phone").send_keys("13700005555")
    p.choose_micro_grid()
    p.shot("register-for-report")
    p.click("#reg-save-inspect")
    chosen = lambda d: d.execute_script(  # noqa: E731
        "var s = document.querySelector(arguments[0]); return s && s.value ? [s.value, s.options[s.selectedIndex].textContent] : null",
        card + " select[name=subjectId]")
    got = p.wait(chosen, 30, "back on Today with the report's verify form and the new subject chosen")
    check(p.screen() == "today" and name in got[1], f"the new subject is chosen ({got[1]})")
    check(p.d.execute_script("return document.querySelector(arguments[0]).value", card + " select[name=itemCode]") == code, f"the item is the report's {code}")
    p.shot("back-to-report")
    p.click(card + " .report-form button.go")
    p.wait(lambda d: d.execute_script("return !!document.querySelector(\"#report-done[data-report='\" + arguments[0] + \"']\")", rid), 20, "the confirmation")
    r = srv.get(f"/api/v1/reports/{rid}", "wangge.worker")
    check(r["state"] == "verified" and str(r.get("subjectId")).lower() == got[0] and r.get("hazardIds"),
          f"verified on the new subject {r.get('subjectName')}")
    subject = srv.get(f"/api/v1/subjects/{got[0]}", "wangge.worker")["subject"]
    check(subject["name"] == name and abs(_wgs(subject["location"])[0] - lat) < 0.0005, "registered with the report's position")
    p.shot("report-register-done")


TESTS = [("inspect", test_inspect), ("offline", test_offline), ("reinspect", test_reinspect), ("bad-input", test_bad_input),
         ("refused-fix", test_refused_fix), ("in-app", test_in_app_browser), ("actions", test_actions),
         ("signout", test_signout), ("reinspect-conflict", test_reinspect_conflict), ("messages", test_messages),
         ("viewer", test_viewer), ("photo-clock", test_photo_clock), ("alarm", test_alarm), ("report-task", test_report_task),
         ("report-register", test_report_register)]


class Context:
    def __init__(self, args, base):
        self.args = args
        self.base = base
        self.server = Server(base)
        self.tmp = tempfile.mkdtemp(prefix="safegrid-browser-")
        self.phones = []
        self.first_load = None

    def phone(self, tag, **kw):
        p = Phone(self.base, self.args.chromium, self.args.chromedriver, tag, **kw)
        self.phones.append(p)
        return p

    def close(self):
        for p in self.phones:
            p.quit()
        self.phones = []


def main():
    args = harness.arguments(__doc__, TESTS, "a running server (default: start one on a fresh demo database)")
    harness.clear_shots()
    server = None
    work = None
    if args.base:
        base = args.base.rstrip("/")
    else:
        common.require_binary()
        work = common.workdir("browser")
        db = common.demo_db(work, args.template)
        field_dir = os.environ.get("SAFEGRID_FIELD_DIR", os.path.join(common.ROOT, "Sources", "SafeGridApp", "Resources", "field"))
        server = common.Server(db, extra_env={"SAFEGRID_FIELD_DIR": field_dir, "SAFEGRID_JOBS": "off"}).start()
        base = server.base
        common.log(f"server on {base} (field files from {field_dir})")
    wanted = set(args.only.split(",")) if args.only else None
    ctx = Context(args, base)

    def no_console_errors(ctx):
        errors = [e for p in ctx.phones for e in p.console_errors()]
        if errors:
            raise Failure("console errors: " + " | ".join(errors[:5]))

    try:
        results = harness.run(TESTS, wanted, ctx, lambda c: c.phones, extra_check=no_console_errors)
    finally:
        ctx.close()
        if server:
            server.stop()
    if ctx.first_load:
        total = sum(x[1] for x in ctx.first_load)
        body = sum(x[2] for x in ctx.first_load)
        common.log(f"first load of /field/: {len(ctx.first_load)} files, {total} bytes transferred, {body} bytes of bodies as sent")
    harness.finish(results, work, "", SHOTS)


if __name__ == "__main__":
    main()
