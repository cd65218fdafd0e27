#!/usr/bin/env python3
"""Hostile strings: plant script-injection strings in every field that reaches a page, then
check every page two ways.

Planted (each payload carries its own number in `alert(N)`, so a finding names the field):
subject name, address and party name; inspection inspector, team member name and result note;
hazard action actor and reason; signature signer name; evidence note (through the SMS link
/e/{token}, read from the outbox in the SQLite file); close-down actor and reason; directed task
reason; enforcement team name and action note; user display names (pages are browsed as a town
admin whose display name is hostile); an imported ledger's file name and cells; and reflected
ones: sign-in `next=`, query parameters and paths of the key-hazard, performance, task and
area pages.

Checks on every page:
 (a) html5lib parses it; no <script> but the app's own (`src=/assets/...`, no inline code), no
     `on*` attribute, no `javascript:` (or `data:text/html`) URL, no <iframe>/<object>/<embed>/
     <base>, no <img src=x> or <svg> carrying a payload;
 (b) the response carries a Content-Security-Policy header;
 (c) headless Chromium (Debian's chromium + chromium-driver, Selenium) at 390×844 and
     1920×1080 shows no alert dialog, also after every element with an on* attribute is sent
     mouseover/focus/load/error events; screenshots under .build/screenshots/.
Prints: pages checked, fields planted (accepted/refused), findings. Exits 1 on any finding.
"""
import argparse
import base64
import collections
import datetime
import io
import json
import os
import re
import sqlite3
import struct
import sys
import time
import urllib.parse
import zlib

import html5lib
import requests

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
from common import log  # noqa: E402

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
SCREENSHOTS = os.path.join(common.BUILD, "screenshots")
PASSWORD = "Hostile-strings-42!"

# {n} is replaced by the plant's number, so an alert or an injected element names its field.
PAYLOADS = [
    ("script", '"><script>alert({n})</script>'),
    ("attr-single", "' onmouseover=alert({n}) x='"),
    ("attr-double", '" onmouseover=alert({n}) x="'),
    ("autofocus", '" autofocus onfocus=alert({n}) x="'),
    ("js-url", "javascript:alert({n})"),
    ("textarea", "</textarea><script>alert({n})</script>"),
    ("img", "<img src=x onerror=alert({n})>"),
    ("svg", "<svg onload=alert({n})>"),
    ("title", "</title><script>alert({n})</script>"),
    ("style", "</style><script>alert({n})</script>"),
    ("rtl", "\u202Egnp.{n}exe"),
    ("nul", "a\u0000b#{n}"),
    ("template", "{{{{7*7}}}}${{7*7}}#{n}"),
    ("long", None),  # the field's longest allowed value (or 2,000 characters)
]
LIMITS = {"personName": 50, "subjectName": 200, "address": 300, "note": 2000}


class Plants:
    """The registry of planted values: number → (field, payload kind, value, outcome)."""

    def __init__(self):
        self.rows = {}
        self.next = 1000
        self.fields = []

    def value(self, field, kind, limit=2000):
        n = self.next
        self.next += 1
        template = dict(PAYLOADS)[kind]
        if template is None:
            v = ("长" * limit)[:limit - len(str(n)) - 1] + "#" + str(n)
        else:
            v = template.format(n=n)
        self.rows[n] = {"field": field, "kind": kind, "value": v, "outcome": "pending"}
        if field not in self.fields:
            self.fields.append(field)
        return n, v

    def outcome(self, n, outcome):
        self.rows[n]["outcome"] = outcome

    def field_of(self, n):
        r = self.rows.get(n)
        return f"{r['field']} ({r['kind']})" if r else f"unknown plant {n}"


def now_text(seconds_ago=0):
    t = datetime.datetime.now(SHANGHAI) - datetime.timedelta(seconds=seconds_ago)
    return t.replace(microsecond=0).isoformat()


def tiny_png(w=8, h=8, rgb=(200, 30, 30)):
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class API:
    def __init__(self, base, token):
        self.base = base
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def call(self, method, path, body=None, **kw):
        r = self.s.request(method, self.base + path, json=body, timeout=60, **kw)
        try:
            data = r.json()
        except ValueError:
            data = None
        return r.status_code, data, r


def web_session(base, username, password):
    """A browser-like session signed in through the /login form (CSRF double submit)."""
    s = requests.Session()
    r = s.get(base + "/login", timeout=30)
    m = re.search(r'name="_csrf"[^>]*value="([^"]+)"', r.text) or re.search(r'value="([^"]+)"[^>]*name="_csrf"', r.text)
    if not m:
        raise RuntimeError("no _csrf field on /login")
    r = s.post(base + "/login", data={"_csrf": m.group(1), "username": username, "password": password, "next": "/"},
               allow_redirects=False, timeout=30)
    if r.status_code not in (302, 303) or "safegrid" not in ";".join(s.cookies.keys()).lower() and not s.cookies:
        raise RuntimeError(f"sign-in of {username} through /login: {r.status_code} {r.text[:200]}")
    return s


# ---------------------------------------------------------------- HTML checks

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcdoc", "ping"}
ALERT_RE = re.compile(r"alert\((\d+)\)")


def check_html(html, plants):
    """Findings in one page: [(what, plant number or None)]."""
    findings = []
    doc = html5lib.parse(html, namespaceHTMLElements=False)
    for el in doc.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.split("}")[-1].lower()
        attrs = {k.split("}")[-1].lower() if isinstance(k, str) else str(k): v for k, v in el.attrib.items()}
        blob = " ".join([tag] + [f"{k}={v}" for k, v in attrs.items()] + [el.text or ""])
        m = ALERT_RE.search(blob)
        n = int(m.group(1)) if m else None
        if tag == "script":
            src = attrs.get("src", "")
            if not src.startswith("/assets/") or (el.text or "").strip():
                findings.append((f"<script{' src=' + src if src else ''}>{(el.text or '')[:60]}</script>", n))
        if tag in ("iframe", "object", "embed", "base", "frame"):
            findings.append((f"<{tag}> element", n))
        if tag == "img" and attrs.get("src") == "x":
            findings.append(("<img src=x> element", n))
        if tag == "svg" and n is not None:
            findings.append(("<svg> element made of a payload", n))
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            findings.append(("<meta http-equiv=refresh>", n))
        for k, v in attrs.items():
            if k.startswith("on"):
                m2 = ALERT_RE.search(v or "")
                findings.append((f"<{tag} {k}=\"{(v or '')[:60]}\"> event-handler attribute", int(m2.group(1)) if m2 else n))
            if k in URL_ATTRS or k.endswith(":href"):
                val = re.sub(r"[\x00-\x20]", "", v or "").lower()
                if val.startswith("javascript:") or val.startswith("data:text/html") or val.startswith("vbscript:"):
                    m2 = ALERT_RE.search(v or "")
                    findings.append((f"<{tag} {k}=\"{(v or '')[:60]}\"> script URL", int(m2.group(1)) if m2 else n))
            if k == "autofocus" and n is not None:
                findings.append((f"<{tag} autofocus> injected", n))
    return findings


def self_test():
    """The checks must see what they look for: known-bad snippets give findings, escaped ones none."""
    bad = {
        "inline script": '<p>"><script>alert(1000)</script></p>',
        "attribute breakout": "<input value='' onmouseover=alert(1001) x=''>",
        "script URL": '<a href="javascript:alert(1002)">x</a>',
        "img onerror": "<p><img src=x onerror=alert(1003)></p>",
        "foreign script": '<script src="https://cdn.example/x.js"></script>',
        "textarea breakout": "<textarea></textarea><script>alert(1004)</script></textarea>",
    }
    good = ('<script src="/assets/sign.js"></script><p>&quot;&gt;&lt;script&gt;alert(1000)&lt;/script&gt;</p>'
            '<input value="&#39; onmouseover=alert(1001) x=&#39;"><a href="/subjects/x">javascript:alert(1002)</a>'
            '<textarea>&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>')
    broken = [name for name, html in bad.items() if not check_html(html, None)]
    if broken:
        sys.exit(f"self-test: the HTML check misses {broken}")
    if check_html(good, None):
        sys.exit(f"self-test: the HTML check flags escaped text: {check_html(good, None)}")


def markers_in(html):
    """Plant numbers visible in a page (as text or attribute values)."""
    return {int(x) for x in re.findall(r"(?:alert\(|#|gnp\.)(\d{4})(?!\d)", html)}


# ---------------------------------------------------------------- the suite

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--template", help="demo SQLite file to copy (default: build one)")
    ap.add_argument("--no-browser", action="store_true", help="HTML and header checks only")
    ap.add_argument("--chromedriver", default=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = ap.parse_args()
    common.require_binary()
    self_test()
    started = time.time()
    work = common.workdir("strings")
    db = common.demo_db(work, args.template)
    server = common.Server(db, extra_env={"SAFEGRID_SMS_SENDER": "off"})
    server.start()
    base = server.base
    plants = Plants()
    problems = []  # server errors while planting and other suite-level failures
    try:
        admin = API(base, server.token("guali.admin"))
        worker_token = server.token("wangge.worker")
        worker = API(base, worker_token)
        plant_everything(base, admin, worker, plants, problems, db)
        pages = page_list(base, admin, plants, problems)
        # Browse as a town admin whose display name is hostile (every page's header shows it),
        # and as the grid worker for the task list.
        viewer = plants.viewer
        sessions = {"admin": web_session(base, viewer, PASSWORD), "worker": web_session(base, "wangge.worker", common.PASSWORD),
                    "anonymous": requests.Session()}
        findings, checked, seen, csp_missing = check_pages(base, pages, sessions, plants)
        # Every other hostile display name on one page each.
        for username in plants.other_users:
            s = web_session(base, username, PASSWORD)
            f2, c2, s2, m2 = check_pages(base, [("admin", "/", f"dashboard-as-{username}")], {"admin": s}, plants)
            findings += f2
            checked += c2
            seen |= s2
            csp_missing += m2
        browser_findings, shots = [], 0
        if not args.no_browser:
            browser_findings, shots = browse(base, pages, plants, args, viewer)
        findings += browser_findings
    finally:
        server.stop()

    accepted = [n for n, r in plants.rows.items() if r["outcome"] == "accepted"]
    refused = [n for n, r in plants.rows.items() if r["outcome"].startswith("refused")]
    never = [n for n in accepted if n not in seen and plants.rows[n]["field"] not in ("sign-in next",)]
    # Findings, deduplicated by (what, field).
    unique = collections.OrderedDict()
    for page, what, n in findings:
        key = (re.sub(r"\d{4}", "N", what), plants.field_of(n) if n else "-")
        unique.setdefault(key, []).append(page)
    log(f"hostile strings: {checked} page loads checked (HTML), {len(pages)} pages, "
        f"{len(plants.rows)} values planted in {len(plants.fields)} fields ({len(accepted)} accepted, {len(refused)} refused), "
        f"{len(seen & set(accepted))} seen on pages, pages without Content-Security-Policy {len(set(csp_missing))}, "
        f"findings {len(unique)} distinct ({len(findings)} in all), screenshots {shots}, {time.time() - started:.0f} s")
    for (what, field), where in unique.items():
        log(f"  FINDING {what} — planted in {field} — on {len(where)} page(s), e.g. {where[0]}")
    if csp_missing:
        paths = sorted(set(csp_missing))
        log(f"  FINDING no Content-Security-Policy header on {len(paths)} page(s), e.g. {', '.join(paths[:5])}")
    for p in problems:
        log(f"  FAIL {p}")
    by_field = collections.defaultdict(lambda: [0, 0, 0])
    for n, r in plants.rows.items():
        by_field[r["field"]][0 if r["outcome"] == "accepted" else 1] += 1
        if n in seen:
            by_field[r["field"]][2] += 1
    log("  planted per field (accepted/refused/seen on a page): "
        + ", ".join(f"{f} {a}/{b}/{c}" for f, (a, b, c) in by_field.items()))
    if never:
        log(f"  note: {len(never)} accepted values were not seen on any page checked, e.g. "
            + ", ".join(sorted({plants.rows[n]['field'] for n in never})[:10]))
    common.finish(unique or csp_missing or problems, work)


def plant_everything(base, admin, worker, plants, problems, db):
    def plant(field, kind, limit=2000):
        return plants.value(field, kind, limit)

    def record(ns, status, data, what):
        """Marks plants accepted (2xx) or refused (4xx, with the field); a 5xx is a problem."""
        if 200 <= status < 300:
            for n in ns:
                plants.outcome(n, "accepted")
            return True
        if status >= 500:
            problems.append(f"{what}: server error {status} {json.dumps(data)[:200] if data else ''}")
        for n in ns:
            plants.outcome(n, f"refused {status} {(data or {}).get('field', '') if isinstance(data, dict) else ''}")
        return False

    # Where: the grid worker's grid, its first micro-grid, its village.
    _, me, _ = worker.call("GET", "/api/v1/auth/me")
    grid = me["areaCode"]
    _, area, _ = admin.call("GET", f"/api/v1/areas/{grid}")
    children = area.get("children") or []
    micro = children[0]["code"]
    village = (area.get("area") or {}).get("parentCode") or grid[:12]
    plants.areas = {"grid": grid, "micro": micro, "village": village}
    plants.subjects, plants.inspections, plants.unsigned, plants.hazards, plants.evidence_links = [], [], [], [], []
    plants.other_users = []
    _, checklist, _ = admin.call("GET", "/api/v1/checklists/current")
    codes = [i["code"] for i in checklist["items"] if "streetShop" in (i.get("subjectKinds") or [])]
    png = tiny_png()
    signature = "data:image/png;base64," + base64.b64encode(tiny_png(240, 80, (20, 20, 20))).decode()
    today = datetime.datetime.now(SHANGHAI).date()

    for kind, _ in PAYLOADS:
        # A subject: name, address, party name. A refused field is replaced by plain text and
        # the subject made again, so the later plants still have a subject.
        values = {"name": plant("subject name", kind, LIMITS["subjectName"]),
                  "address": plant("subject address", kind, LIMITS["address"]),
                  "party": plant("party name", kind, LIMITS["personName"])}
        safe = {"name": f"安全测试店{plants.next}", "address": "瓜沥镇航坞路1号", "party": "测试人"}
        subject = None
        for _ in range(4):
            body = {"kind": "streetShop", "name": values["name"][1], "address": values["address"][1], "microGridCode": micro,
                    "party": {"name": values["party"][1], "phone": "13900000000"},
                    "location": {"latitude": 30.18, "longitude": 120.46, "datum": "wgs84"}}
            status, data, _ = admin.call("POST", "/api/v1/subjects", body)
            if 200 <= status < 300:
                for key, (n, _) in values.items():
                    if n and plants.rows[n]["outcome"] == "pending":
                        plants.outcome(n, "accepted")
                subject = data
                break
            if status >= 500:
                problems.append(f"POST /api/v1/subjects ({kind}): {status}")
            field = (data or {}).get("field", "") if isinstance(data, dict) else ""
            key = "party" if field.startswith("party") else field if field in values else None
            if key is None:
                for n, _ in values.values():
                    if n and plants.rows[n]["outcome"] == "pending":
                        plants.outcome(n, f"refused {status}")
                values = {k: (None, safe[k]) for k in values}
                continue
            if values[key][0] is None:
                problems.append(f"POST /api/v1/subjects refused plain text in {field}: {status} {(data or {}).get('detail')}")
                break
            plants.outcome(values[key][0], f"refused {status} {field}")
            values[key] = (None, safe[key])
        if subject is None:
            problems.append(f"could not create a subject for the payload {kind}")
            continue
        sid = subject["id"].lower()
        plants.subjects.append(sid)

        # Two inspections: the first is signed (notice, SMS link), the second left to sign.
        for signed in (True, False):
            iv = {"inspector": plant("inspector", kind, LIMITS["personName"]),
                  "team": plant("team member name", kind, LIMITS["personName"]),
                  "note": plant("result note", kind, LIMITS["note"])}
            inspection = None
            for _ in range(4):
                body = {"clientId": f"hostile-{plants.next}-{signed}", "subjectId": sid, "inspectedAt": now_text(300 if signed else 120),
                        "inspector": iv["inspector"][1],
                        "team": [{"name": iv["team"][1], "department": "fireRescue"}, {"name": "张敏", "department": "emergencyManagement"}],
                        "results": [{"itemCode": codes[0] if signed else codes[2], "outcome": "hazard", "note": iv["note"][1]},
                                    {"itemCode": codes[1] if signed else codes[3], "outcome": "pass"}]}
                status, data, _ = admin.call("POST", "/api/v1/inspections", body)
                if 200 <= status < 300:
                    for n, _ in iv.values():
                        if n and plants.rows[n]["outcome"] == "pending":
                            plants.outcome(n, "accepted")
                    inspection = data
                    break
                if status >= 500:
                    problems.append(f"POST /api/v1/inspections ({kind}): {status}")
                field = (data or {}).get("field", "") if isinstance(data, dict) else ""
                key = ("team" if field.startswith("team") else "note" if "note" in field else "inspector" if field == "inspector"
                       else None)
                if key is None or iv[key][0] is None:
                    if "itemCode" in field or "results" in field:
                        # The checklist item does not apply: plain items of the streetShop checklist.
                        problems.append(f"inspection refused {status} {field}: {(data or {}).get('detail')}")
                        break
                    for n, _ in iv.values():
                        if n and plants.rows[n]["outcome"] == "pending":
                            plants.outcome(n, f"refused {status}")
                    iv = {k: (None, "李伟") for k in iv}
                    continue
                plants.outcome(iv[key][0], f"refused {status} {field}")
                iv[key] = (None, "李伟" if key != "note" else "普通备注")
            if inspection is None:
                continue
            if signed:
                plants.inspections.append(inspection["id"])
            else:
                plants.unsigned.append(inspection["id"])
            hazards = inspection.get("hazards") or []
            if not hazards:
                continue
            hazard = hazards[0]
            hid = hazard["id"]
            plants.hazards.append(hid)
            if signed:
                # A hazard action with a hostile actor and reason.
                a = plant("hazard action actor", kind, LIMITS["personName"])
                r = plant("hazard action reason", kind, LIMITS["note"])
                status, data, _ = admin.call("POST", f"/api/v1/hazards/{hid}/actions",
                                             {"action": "startRectification", "actor": a[1], "reason": r[1], "version": hazard.get("version", 1)})
                if not record([a[0], r[0]], status, data, "hazard action"):
                    status, data, _ = admin.call("POST", f"/api/v1/hazards/{hid}/actions",
                                                 {"action": "startRectification", "actor": "李伟", "reason": r[1],
                                                  "version": hazard.get("version", 1)})
                    if 200 <= status < 300:
                        plants.outcome(r[0], "accepted")
                        plants.outcome(a[0], "refused (actor)")
                # The party's signature: a hostile signer name; queues the SMS notice with the link.
                sname = plant("signer name", kind, LIMITS["personName"])
                status, data, _ = admin.call("POST", f"/api/v1/inspections/{inspection['id']}/signature",
                                             {"signerName": sname[1], "signerPhone": "13900000000", "image": signature})
                if not record([sname[0]], status, data, "signature"):
                    admin.call("POST", f"/api/v1/inspections/{inspection['id']}/signature",
                               {"signerName": "测试人", "signerPhone": "13900000000", "image": signature})
            else:
                # A directed task for the grid worker, with a hostile reason.
                r = plant("directed task reason", kind, LIMITS["note"])
                status, data, _ = admin.call("POST", "/api/v1/tasks/directed",
                                             {"subjectId": sid, "dueOn": str(today + datetime.timedelta(days=3)), "reason": r[1]})
                record([r[0]], status, data, "directed task")

    # Evidence through the SMS links (the outbox holds them; the API redacts them).
    links = evidence_links(db)
    for i, sid in enumerate(plants.subjects):
        link = links.get(sid)
        if not link:
            problems.append(f"no SMS link in the outbox for subject {sid} (signed inspection)")
            continue
        plants.evidence_links.append(link)
        kind = PAYLOADS[i % len(PAYLOADS)][0]
        status, data, _ = admin.call("GET", f"/api/v1/hazards?subjectId={sid}&per=50")
        items = (data or {}).get("items", []) if isinstance(data, dict) else []
        open_hazards = [h["id"] for h in items if h.get("state") not in ("rectified", "closedDown", "verified")]
        if not open_hazards:
            problems.append(f"no open hazard of subject {sid} to upload evidence for")
            continue
        n, note = plant("evidence note", kind, LIMITS["note"])
        r = requests.post(base + f"{link}/hazards/{open_hazards[0].lower()}/evidence", files={"photo": ("photo.png", png, "image/png")},
                          data={"note": note}, headers={"Accept": "application/json"}, timeout=60)
        try:
            data = r.json()
        except ValueError:
            data = None
        record([n], r.status_code, data, "evidence upload")

    # Close-down of every other subject: hostile actor and reason on its timeline.
    for i, sid in enumerate(plants.subjects):
        if i % 2:
            continue
        kind = PAYLOADS[i % len(PAYLOADS)][0]
        a = plant("close-down actor", kind, LIMITS["personName"])
        r = plant("close-down reason", kind, LIMITS["note"])
        status, data, _ = admin.call("POST", f"/api/v1/subjects/{sid}/close-down", {"actor": a[1], "reason": r[1]})
        record([a[0], r[0]], status, data, "close-down")

    # Joint enforcement: a team and an action.
    for kind, _ in PAYLOADS[:4]:
        t = plant("enforcement team name", kind, LIMITS["subjectName"])
        status, data, _ = admin.call("POST", "/api/v1/enforcement/teams",
                                     {"name": t[1], "members": [{"name": "李伟", "department": "fireRescue"},
                                                                {"name": "张敏", "department": "emergencyManagement"}]})
        if record([t[0]], status, data, "enforcement team") and plants.subjects:
            note = plant("enforcement action note", kind, LIMITS["note"])
            status, data2, _ = admin.call("POST", "/api/v1/enforcement/actions",
                                          {"teamId": data["id"], "kind": "inspection", "on": str(today),
                                           "subjectIds": [plants.subjects[1 % len(plants.subjects)]], "note": note[1]})
            record([note[0]], status, data2, "enforcement action")

    # Accounts with hostile display names (town admins of 瓜沥镇).
    users = []
    for i, (kind, _) in enumerate(PAYLOADS):
        n, name = plant("user display name", kind, LIMITS["personName"])
        username = f"hostile{i}"
        status, data, _ = admin.call("POST", "/api/v1/users", {"username": username, "displayName": name, "password": PASSWORD,
                                                               "role": "townAdmin", "areaCode": "330109113"})
        if record([n], status, data, "user"):
            users.append(username)
    if not users:
        status, data, _ = admin.call("POST", "/api/v1/users", {"username": "hostileplain", "displayName": "测试管理员",
                                                               "password": PASSWORD, "role": "townAdmin", "areaCode": "330109113"})
        users.append("hostileplain")
    plants.viewer = users[0]
    plants.other_users = users[1:]

    # A ledger dry run: a hostile file name and hostile cells (shown on /imports/{id}).
    _, varea, _ = admin.call("GET", f"/api/v1/areas/{plants.areas['village']}")
    village_name = ((varea or {}).get("area") or {}).get("name", "不存在村")
    rows = ["类型,企业名称,地址,所属村社,负责人,联系电话"]
    cell_plants = []
    for kind, _ in PAYLOADS:
        if kind in ("nul",):
            continue
        a = plant("import cell (name)", kind, LIMITS["subjectName"])
        b = plant("import cell (address)", kind, LIMITS["address"])
        cell_plants += [a[0], b[0]]
        q = lambda s: '"' + s.replace('"', '""') + '"'
        rows.append(",".join([q("沿街店铺"), q(a[1]), q(b[1]), q(village_name), q("测试"), "13900000000"]))
        # A rejected row whose reason quotes the cell (an unknown village, a kind that does not exist).
        v = plant("import cell (village, rejected)", kind, LIMITS["subjectName"])
        k = plant("import cell (kind, rejected)", kind, LIMITS["subjectName"])
        cell_plants += [v[0], k[0]]
        rows.append(",".join([q("沿街店铺"), q(f"拒绝测试{v[0]}"), q("瓜沥镇航坞路2号"), q(v[1]), q("测试"), "13900000000"]))
        rows.append(",".join([q(k[1]), q(f"拒绝测试{k[0]}"), q("瓜沥镇航坞路3号"), q(village_name), q("测试"), "13900000000"]))
    csv = ("\r\n".join(rows) + "\r\n").encode()
    fname = plant("import file name", "script")
    status, data, _ = admin.call("POST", "/api/v1/imports?kind=subjects&dryRun=true&fileName=" + urllib.parse.quote(fname[1]),
                                 data=csv, headers={"Content-Type": "text/csv"})
    if not record(cell_plants + [fname[0]], status, data, "import dry run"):
        problems.append(f"the ledger dry run was refused: {status} {json.dumps(data, ensure_ascii=False)[:300]}")
    plants.import_id = (data or {}).get("id") if isinstance(data, dict) else None


def evidence_links(db):
    """subject id → `/e/{token}` from the outbox (messages.body) in the SQLite file."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    out = {}
    try:
        for row in con.execute("SELECT subject_id, body FROM messages WHERE body LIKE '%/e/%' ORDER BY created_at"):
            sid = row["subject_id"]
            if isinstance(sid, bytes):
                import uuid
                sid = str(uuid.UUID(bytes=sid))
            m = re.search(r"/e/[A-Za-z0-9_\-.~]+", row["body"])
            if sid and m:
                out[str(sid).lower()] = m.group(0)
    finally:
        con.close()
    return out


def page_list(base, admin, plants, problems):
    """(session, path, name) of every page to check."""
    a = plants.areas
    pages = [("admin", "/", "dashboard"), ("admin", "/dashboard", "dashboard-2"),
             ("admin", f"/villages/{a['village']}", "village"), ("admin", f"/grids/{a['grid']}", "grid"),
             ("admin", f"/areas/{a['micro']}", "micro-grid"), ("admin", "/messages", "messages"),
             ("admin", "/key-hazards", "key-hazards"), ("admin", f"/key-hazards?areaCode={a['village']}", "key-hazards-village"),
             ("admin", "/performance", "performance"), ("admin", f"/performance?areaCode={a['village']}", "performance-village"),
             ("admin", "/imports", "imports"), ("worker", "/tasks", "tasks"),
             ("admin", f"/tasks?areaCode={a['grid']}", "tasks-as-admin")]
    if getattr(plants, "import_id", None):
        pages.append(("admin", f"/imports/{plants.import_id}", "import-report"))
    for i, sid in enumerate(plants.subjects):
        pages.append(("admin", f"/subjects/{sid}", f"subject-{i}"))
    for i, hid in enumerate(plants.hazards):
        pages.append(("admin", f"/hazards/{hid}", f"hazard-{i}"))
    for i, iid in enumerate(plants.inspections):
        pages.append(("admin", f"/inspections/{iid}/notice", f"notice-{i}"))
    for i, iid in enumerate(plants.unsigned):
        pages.append(("admin", f"/inspections/{iid}/sign", f"sign-{i}"))
    for i, link in enumerate(plants.evidence_links):
        pages.append(("anonymous", link, f"evidence-link-{i}"))
    # Reflected: sign-in next=, query parameters and paths.
    for kind, _ in PAYLOADS:
        n, v = plants.value("sign-in next", kind)
        plants.outcome(n, "accepted")
        pages.append(("anonymous", "/login?next=" + urllib.parse.quote(v, safe=""), f"login-next-{kind}"))
        n2, v2 = plants.value("sign-in next", kind)
        plants.outcome(n2, "accepted")
        pages.append(("anonymous", "/login?next=" + urllib.parse.quote("/" + v2, safe="/"), f"login-next-path-{kind}"))
    for kind in ("script", "attr-double", "attr-single", "img"):
        for path, name in (("/key-hazards?areaCode={}", "key-hazards-q"), ("/performance?from={}", "performance-q"),
                           ("/tasks?date={}", "tasks-q"), ("/villages/{}", "village-path"), ("/subjects/{}", "subject-path"),
                           ("/e/{}", "evidence-path")):
            n, v = plants.value("reflected " + name, kind)
            plants.outcome(n, "accepted")
            who = "worker" if name == "tasks-q" else "anonymous" if name == "evidence-path" else "admin"
            pages.append((who, path.format(urllib.parse.quote(v, safe="")), f"{name}-{kind}"))
    return pages


def check_pages(base, pages, sessions, plants):
    findings, seen, csp_missing = [], set(), []
    checked = 0
    for who, path, name in pages:
        s = sessions[who]
        try:
            r = s.get(base + path, timeout=60, allow_redirects=False)
        except requests.RequestException as e:
            findings.append((path, f"request failed: {e}", None))
            continue
        checked += 1
        if r.status_code >= 500:
            findings.append((path, f"server error {r.status_code}", None))
        if r.status_code in (301, 302, 303, 307, 308):
            loc = r.headers.get("Location", "")
            target = urllib.parse.urlsplit(loc)
            if target.netloc or loc.startswith("//") or loc.lower().startswith(("javascript:", "data:")):
                findings.append((path, f"redirect off the site to {loc[:80]}", None))
            continue
        if "Content-Security-Policy" not in r.headers:
            csp_missing.append(urllib.parse.urlsplit(path).path if not path.startswith("/login") else "/login")
        ctype = r.headers.get("Content-Type", "")
        if "html" not in ctype:
            continue
        seen |= markers_in(r.text)
        for what, n in check_html(r.text, plants):
            findings.append((path, what, n))
    return findings, checked, seen, csp_missing


def browse(base, pages, plants, args, viewer):
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException, TimeoutException, UnexpectedAlertPresentException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    os.makedirs(SCREENSHOTS, exist_ok=True)
    for old in os.listdir(SCREENSHOTS):
        if old.endswith(".png"):
            os.remove(os.path.join(SCREENSHOTS, old))
    findings, shots = [], 0
    opts = webdriver.ChromeOptions()
    opts.binary_location = args.chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
              "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-default-apps",
              "--disable-component-update", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        opts.add_argument(a)
    opts.set_capability("unhandledPromptBehavior", "ignore")
    opts.page_load_strategy = "normal"

    def drain_alerts(driver, page, size):
        for _ in range(10):
            try:
                alert = driver.switch_to.alert
                text = alert.text
            except NoAlertPresentException:
                return
            m = re.search(r"\d{4}", text or "")
            finding = (f"{page} @{size}", f"alert dialog '{text}' in Chromium", int(m.group(0)) if m else None)
            if finding not in findings:
                findings.append(finding)
            try:
                alert.accept()
            except WebDriverException:
                return

    fire = """
      const names = ['mouseover','focus','load','error','mouseenter','click'];
      let n = 0;
      for (const el of document.querySelectorAll('*')) {
        for (const a of Array.from(el.attributes)) {
          if (!a.name.startsWith('on')) continue;
          const type = a.name.slice(2);
          if (type === 'click' && el.closest('a,form,button')) continue;
          try { el.dispatchEvent(new Event(type, {bubbles: false})); n++; } catch (e) {}
        }
      }
      return n;"""
    sizes = [("phone", 390, 844), ("wall", 1920, 1080)]
    state = {"driver": None, "signed_in": None}

    def open_browser(w, h):
        if state["driver"] is not None:
            try:
                state["driver"].quit()
            except WebDriverException:
                pass
        driver = webdriver.Chrome(service=Service(args.chromedriver), options=opts)
        driver.set_page_load_timeout(30)
        driver.set_window_size(w, h)
        state["driver"], state["signed_in"] = driver, None
        return driver

    def sign_in(driver, username, password):
        driver.delete_all_cookies()
        driver.get(base + "/login")
        driver.find_element(By.NAME, "username").send_keys(username)
        driver.find_element(By.NAME, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
        time.sleep(0.3)

    def left(driver, path, size):
        """Back to about:blank; False when the page will not let go (alerts keep coming)."""
        for _ in range(5):
            try:
                driver.get("about:blank")
            except WebDriverException:
                pass
            drain_alerts(driver, path, size)
            try:
                if driver.current_url == "about:blank":
                    return True
            except WebDriverException:
                drain_alerts(driver, path, size)
        return False

    try:
        for size, w, h in sizes:
            driver = open_browser(w, h)
            # The harness must see an alert where there is one (a page made here, no network).
            before = len(findings)
            try:
                driver.get("data:text/html,<p>self-test</p><script>alert(4242)</script>")
            except UnexpectedAlertPresentException:
                pass
            drain_alerts(driver, "self-test", size)
            if len(findings) != before + 1:
                sys.exit("self-test: Chromium showed no alert for a page with one; the browser check cannot be trusted")
            findings.pop()
            left(driver, "self-test", size)
            for who, path, name in pages:
                want = {"admin": viewer, "worker": "wangge.worker", "anonymous": None}[who]
                if want != state["signed_in"]:
                    if want is None:
                        driver.get(base + "/healthz")
                        driver.delete_all_cookies()
                    else:
                        sign_in(driver, want, PASSWORD if want == viewer else common.PASSWORD)
                        drain_alerts(driver, "/login", size)
                    state["signed_in"] = want
                try:
                    driver.get(base + path)
                except UnexpectedAlertPresentException:
                    pass
                except TimeoutException:
                    findings.append((f"{path} @{size}", "page load timed out in Chromium", None))
                    continue
                drain_alerts(driver, path, size)
                # Wait briefly for late handlers (autofocus, onload of injected elements).
                time.sleep(0.15)
                drain_alerts(driver, path, size)
                try:
                    driver.execute_script(fire)
                except WebDriverException:
                    pass
                drain_alerts(driver, path, size)
                try:
                    driver.save_screenshot(os.path.join(SCREENSHOTS, f"{size}-{name}.png"))
                    shots += 1
                except WebDriverException:
                    drain_alerts(driver, path, size)
                # A handler that keeps firing (autofocus + onfocus) holds the page: its alerts
                # belong to it, and the next page gets a fresh browser.
                if not left(driver, path, size):
                    driver = open_browser(w, h)
    finally:
        if state["driver"] is not None:
            state["driver"].quit()
    return findings, shots


if __name__ == "__main__":
    main()
