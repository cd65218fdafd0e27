/* SafeGrid wall screen (一屏归集, /screen): the figures of one area, pushed by the server.
 *
 * - Figures come from the stream GET /api/v1/stream?areaCode= (Server-Sent Events): `figures`
 *   (the DashboardFigures JSON, with an id) on connecting and after every write that touches the
 *   area, `change` for each new hazard event, `heartbeat` every 15 s. EventSource resumes with
 *   Last-Event-ID by itself; a stream silent for 45 s (three heartbeats missed: a proxy or a
 *   sleeping network kept it "open") is closed and made again; when it gives up (the server answered with an error while
 *   restarting) a new one is made with a growing delay, after checking the session is alive.
 * - Joint enforcement figures and the key hazard enterprises come from their own endpoints, read
 *   again after a pushed `figures` event (at most every 10 s / 30 s), never on a timer.
 * - The map: Leaflet with our own vector layers only (the district outline, bubbles per child
 *   area, subjects as points in clusters); base tiles only when the server names a tile server.
 *
 * Plain ES2017 without modules, for the content security policy: no inline script or style, no
 * eval; text goes in with textContent / setAttribute only. Chinese first, English second; times
 * in Asia/Shanghai. State for tests: body[data-stream] (connecting | live | reconnecting |
 * offline), body[data-figures] (figures events applied), body[data-last-event-id].
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------- helpers

  function $(id) { return document.getElementById(id); }

  /** h("li", {class: "x", dataset: {a: 1}, on: {click: fn}}, "text", child, [more]) */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "on") Object.keys(v).forEach(function (t) { el.addEventListener(t, v[t]); });
        else if (k === "dataset") Object.keys(v).forEach(function (d) { el.setAttribute("data-" + d, String(v[d])); });
        else el.setAttribute(k, v === true ? "" : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(el, x); }); return; }
    if (typeof c === "string" || typeof c === "number") { el.appendChild(document.createTextNode(String(c))); return; }
    el.appendChild(c);
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  var SVGNS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, text) {
    var el = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) el.textContent = String(text);
    return el;
  }

  var numberFormat = new Intl.NumberFormat("zh-CN");
  function fmt(n) { return n === null || n === undefined || isNaN(n) ? "—" : numberFormat.format(n); }
  function fmt1(n) { return n === null || n === undefined || isNaN(n) ? "—" : numberFormat.format(Math.round(n * 10) / 10); }

  /** Text colour (near black or white) that reads on a background colour. */
  function inkOn(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) return "#fff";
    var n = parseInt(m[1], 16), r = n >> 16 & 255, g = n >> 8 & 255, b = n & 255;
    return (0.299 * r + 0.587 * g + 0.114 * b) > 150 ? "#10151c" : "#fff";
  }

  // Asia/Shanghai is UTC+8 all year.
  var SH = 8 * 3600 * 1000;
  function shanghai(t) { return new Date((typeof t === "number" ? t : Date.parse(t)) + SH).toISOString(); }
  var WEEK = ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"];
  function clockText(now) {
    var iso = shanghai(now), d = new Date(now + SH);
    return iso.slice(0, 10) + " " + WEEK[d.getUTCDay()] + " " + iso.slice(11, 19);
  }
  function timeOf(v) {
    var t = Date.parse(v);
    if (isNaN(t)) return "—";
    var iso = shanghai(t), today = shanghai(now()).slice(0, 10);
    return iso.slice(0, 10) === today ? iso.slice(11, 19) : iso.slice(5, 10) + " " + iso.slice(11, 16);
  }
  function rem() { return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16; }

  /** Sets a figure's text; a changed value flashes. */
  function setText(id, text) {
    var el = typeof id === "string" ? $(id) : id;
    if (!el) return;
    text = String(text);
    if (el.textContent === text) return;
    var had = el.textContent !== "" && el.textContent !== "—";
    el.textContent = text;
    if (had) {
      el.classList.remove("bump");
      void el.offsetWidth; // restart the animation
      el.classList.add("bump");
    }
  }

  function throttle(fn, ms) {
    var last = 0, timer = null;
    return function () {
      var wait = last + ms - Date.now();
      if (wait <= 0) { last = Date.now(); fn(); return; }
      if (!timer) timer = setTimeout(function () { timer = null; last = Date.now(); fn(); }, wait);
    };
  }

  function openSubject(id) {
    if (id) window.open("/subjects/" + encodeURIComponent(String(id).toLowerCase()), "_blank", "noopener");
  }

  // ---------------------------------------------------------------- state

  var params = new URLSearchParams(location.search);
  var asked = params.get("areaCode") || "";
  var state = {
    areaCode: asked,           // "" = the viewer's home area (the server decides)
    figures: null,
    figuresCount: 0,
    lastEventId: "",
    feed: [],                  // newest first
    seen: {},                  // hazard event seq → true
  };
  function areaQuery(prefix) {
    var code = state.areaCode || (state.figures && state.figures.area.code) || "";
    return code ? prefix + "areaCode=" + encodeURIComponent(code) : "";
  }

  function banner(text) {
    var b = $("banner");
    if (!text) { b.hidden = true; b.textContent = ""; return; }
    b.textContent = text;
    b.hidden = false;
  }

  /** GET a JSON answer; a lost session goes to sign-in. Resolves {status, body}. */
  function getJSON(path) {
    return fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        learnClock(r);
        if (r.status === 401) { toLogin(); return { status: 401, body: null }; }
        return r.json().catch(function () { return null; }).then(function (b) { return { status: r.status, body: b }; });
      });
  }
  var leaving = false;
  function toLogin() {
    if (leaving) return;
    leaving = true;
    banner("登录已过期，正在转到登录页 · Session expired, signing in again");
    setTimeout(function () {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    }, 1500);
  }

  // ---------------------------------------------------------------- clock

  /** The server's clock minus ours (ms), from answers' Date headers; used when more than a
      minute apart (a wall PC without time sync). */
  var clockOffset = 0;
  function learnClock(r) {
    var t = Date.parse(r.headers.get("Date") || "");
    if (!isNaN(t)) clockOffset = Math.abs(t - Date.now()) > 60000 ? t - Date.now() : 0;
  }
  function now() { return Date.now() + clockOffset; }
  function tick() {
    $("clock").textContent = clockText(now());
    if (typeof renderAlarmNote === "function" && oldestAlarm) renderAlarmNote();
  }

  // ---------------------------------------------------------------- figures

  var LEVEL_CHILD = {
    district: ["镇街整改率", "Towns by rate"],
    town: ["村社整改率", "Villages by rate"],
    village: ["网格整改率", "Grids by rate"],
    grid: ["微网格整改率", "Micro-grids by rate"],
    microGrid: ["下级整改率", "Sub-areas by rate"],
  };
  var SEVERITIES = [["extremelySevere", "极严重", "extremely severe"], ["serious", "较严重", "serious"], ["general", "一般", "general"]];
  var CATEGORIES = [["extremelySevere", "极严重", "extreme"], ["serious", "较严重", "serious"], ["general", "一般", "general"]];
  var SITUATIONS = [["notRectified", "未整改", "open"], ["inProgress", "整改中", "in progress"], ["rebound", "隐患反弹", "rebound"]];

  function applyFigures(f) {
    if (!f || !f.area) return;
    var first = !state.figures;
    // A (re)connection's first figures repeat what is shown: the map, the enforcement and
    // key-hazard panels are asked again only when a figure moved.
    var same = !first && sameFigures(state.figures, f);
    state.figures = f;
    state.figuresCount += 1;
    document.body.setAttribute("data-figures", String(state.figuresCount));
    document.body.setAttribute("data-area", f.area.code);
    var name = f.area.name || f.area.shortName || "";
    $("title").textContent = name + " 除险保安 一屏归集";
    document.title = name + " 除险保安 一屏归集 · SafeGrid";
    $("subtitle").textContent = "Safety hazard campaign · " + (f.area.level || "") + " " + f.area.code + " · live wall screen";
    $("updated").textContent = "数据 " + timeOf(f.generatedAt) + " · updated";

    // Totals and per kind.
    setText("rate-total", f.rectificationRateText);
    setText("found-total", fmt(f.hazardsFound));
    setText("rectified-total", fmt(f.hazardsRectified));
    setText("open-total", fmt(f.hazardsFound - f.hazardsRectified));
    $("bar-total").style.width = Math.min(100, f.rectificationRate || 0) + "%";
    var kinds = f.byKind || {};
    var KINDS = ["enterprise", "streetShop", "rentalHousing", "smallMicroPark"];
    function empty(x) { return !x || (x.hazardsFound === 0 && x.subjectsInspected === 0); }
    // A kind without any record yet leaves the band (瓜沥 has no small parks), unless all are empty.
    var allEmpty = KINDS.every(function (k) { return empty(kinds[k]); });
    KINDS.forEach(function (k) {
      var x = kinds[k], card = $("kpi-" + k);
      if (!card) return;
      card.hidden = !allEmpty && empty(x);
      if (!x) return;
      setText("rate-" + k, x.rectificationRateText);
      setText("inspected-" + k, fmt(x.roomsInspected !== null && x.roomsInspected !== undefined ? x.roomsInspected : x.subjectsInspected));
      setText("found-" + k, fmt(x.hazardsFound));
      setText("rectified-" + k, fmt(x.hazardsRectified));
      $("bar-" + k).style.width = Math.min(100, x.rectificationRate || 0) + "%";
    });

    renderColours(f.colours || []);
    renderOverdue(f);
    renderRanking(f);
    setText("keyhazard-total", fmt(f.keyHazardEnterprises));
    renderTrend();

    if (first) {
      MapView.start();
      loadDevices();
      loadIncidents();
      loadEnforcement();
      loadKeyHazards();
      loadFeedBacklog();
    } else {
      // An alarm moves no campaign figure but is pushed as an update all the same.
      refreshDevices();
    }
    if (!first && !same) {
      refreshIncidents();
      refreshEnforcement();
      refreshKeyHazards();
      MapView.refresh();
    }
  }

  /** Two figures answers alike but for when they were made. */
  function sameFigures(a, b) {
    function body(x) { var c = {}; Object.keys(x).forEach(function (k) { if (k !== "generatedAt") c[k] = x[k]; }); return JSON.stringify(c); }
    return body(a) === body(b);
  }

  function renderColours(colours) {
    var byKey = {};
    colours.forEach(function (c) { byKey[c.colour.key] = c; });
    var box = $("colours");
    // Build the grid once; later only the numbers change (so they can flash).
    if (!box.firstChild) {
      box.appendChild(h("span", { class: "hd" }));
      SITUATIONS.forEach(function (x) { box.appendChild(h("span", { class: "hd", role: "columnheader" }, x[1] + " ", h("span", { class: "en" }, x[2]))); });
      CATEGORIES.forEach(function (cat) {
        box.appendChild(h("span", { class: "rh", role: "rowheader" }, cat[1], h("span", { class: "sfx" }, "隐患"), h("span", { class: "en" }, cat[2])));
        SITUATIONS.forEach(function (sit) {
          var key = cat[0] + "." + sit[0];
          box.appendChild(h("div", { class: "cell", role: "cell", dataset: { colour: key } }, h("span", { class: "num", id: "colour-" + key.replace(".", "-") }, "—")));
        });
      });
      box.appendChild(h("span", { class: "rh", role: "rowheader" }, "无隐患", h("span", { class: "en" }, "no open hazard")));
      box.appendChild(h("div", { class: "cell wide2", role: "cell", dataset: { colour: "rectified" } },
        h("span", { class: "num", id: "colour-rectified" }, "—"), h("span", { class: "lbl" }, "整改到位 rectified")));
      box.appendChild(h("div", { class: "cell", role: "cell", dataset: { colour: "closedDown" } },
        h("span", { class: "num", id: "colour-closedDown" }, "—"), h("span", { class: "lbl" }, "已关停 closed")));
    }
    Array.prototype.forEach.call(box.querySelectorAll(".cell"), function (cell) {
      var c = byKey[cell.getAttribute("data-colour")];
      var hex = c ? c.colour.hex : "#333";
      cell.style.background = hex;
      cell.style.color = inkOn(hex);
      cell.setAttribute("title", c ? c.colour.zh + " · " + c.colour.en : "");
      setText(cell.querySelector(".num"), c ? fmt(c.subjects) : "—");
    });
  }

  function renderOverdue(f) {
    setText("overdue-total", fmt(f.overdueCount));
    var by = f.overdueBySeverity || {};
    var max = Math.max(1, SEVERITIES.reduce(function (m, x) { return Math.max(m, by[x[0]] || 0); }, 0));
    var box = $("overdue-bars");
    if (!box.firstChild) {
      SEVERITIES.forEach(function (x) {
        box.appendChild(h("div", { class: "hbar" },
          h("span", { class: "l" }, x[1]),
          h("span", { class: "track" }, h("span", { class: "fill sev-" + x[0], id: "overdue-bar-" + x[0] })),
          h("span", { class: "v num", id: "overdue-" + x[0] }, "—")));
      });
    }
    SEVERITIES.forEach(function (x) {
      var n = by[x[0]] || 0;
      setText("overdue-" + x[0], fmt(n));
      $("overdue-bar-" + x[0]).style.width = (n / max * 100).toFixed(1) + "%";
    });
  }

  function renderRanking(f) {
    var label = LEVEL_CHILD[f.area.level] || LEVEL_CHILD.microGrid;
    $("rank-title").textContent = label[0];
    $("rank-title-en").textContent = label[1] + " (" + (f.ranking || []).length + ")";
    var rows = f.ranking || [];
    var best = rows.slice(0, Math.min(5, rows.length));
    var worst = rows.length > 5 ? rows.slice(Math.max(5, rows.length - 5)).reverse() : [];
    function fill(ol, list) {
      clear(ol);
      if (!list.length) { ol.appendChild(h("li", { class: "none" }, h("span", { class: "nm" }, "—"))); return; }
      list.forEach(function (r) {
        var bar = h("span", { class: "fillbar" });
        bar.style.width = Math.min(100, r.rectificationRate || 0) + "%";
        ol.appendChild(h("li", { dataset: { code: r.code }, title: r.name + " 隐患 " + r.hazardsFound + " · 已整改 " + r.hazardsRectified + " · 逾期 " + r.hazardsOverdue },
          bar, h("span", { class: "no" }, r.rank), h("span", { class: "nm" }, r.name), h("span", { class: "rt num" }, r.rectificationRateText)));
      });
    }
    fill($("rank-best"), best);
    fill($("rank-worst"), worst);
  }

  // ---------------------------------------------------------------- trend (SVG, drawn at the box's size)

  function renderTrend() {
    var f = state.figures, box = $("trend");
    if (!f || !box) return;
    var days = f.trend || [];
    var W = box.clientWidth, H = box.clientHeight;
    clear(box);
    if (W < 50 || H < 40 || !days.length) return;
    var r = rem(), fs = 0.95 * r;
    var left = 3.2 * r, right = 1.2 * r, top = 0.8 * r, bottom = 1.6 * r;
    var pw = W - left - right, ph = H - top - bottom;
    var max = 0;
    days.forEach(function (d) { max = Math.max(max, d.found, d.rectified); });
    var step = Math.pow(10, Math.floor(Math.log10(Math.max(4, max) / 4)));
    var tick = Math.ceil(Math.max(4, max) / 4 / step) * step;
    var top4 = tick * 4;
    function x(i) { return left + (days.length > 1 ? i / (days.length - 1) * pw : pw / 2); }
    function y(v) { return top + ph - v / top4 * ph; }
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "近30天 发现与整改 Last 30 days found and rectified" });
    var defs = s("defs");
    var grad = s("linearGradient", { id: "trend-found", x1: 0, y1: 0, x2: 0, y2: 1 });
    grad.appendChild(s("stop", { offset: "0%", "stop-color": "#ff6b57", "stop-opacity": 0.45 }));
    grad.appendChild(s("stop", { offset: "100%", "stop-color": "#ff6b57", "stop-opacity": 0 }));
    var grad2 = s("linearGradient", { id: "trend-fixed", x1: 0, y1: 0, x2: 0, y2: 1 });
    grad2.appendChild(s("stop", { offset: "0%", "stop-color": "#35d49a", "stop-opacity": 0.35 }));
    grad2.appendChild(s("stop", { offset: "100%", "stop-color": "#35d49a", "stop-opacity": 0 }));
    defs.appendChild(grad); defs.appendChild(grad2); svg.appendChild(defs);
    for (var k = 0; k <= 4; k++) {
      var yy = y(tick * k);
      svg.appendChild(s("line", { x1: left, x2: W - right, y1: yy, y2: yy, stroke: "rgba(120,170,230,0.18)", "stroke-width": 1 }));
      svg.appendChild(s("text", { x: left - 0.4 * r, y: yy + fs * 0.35, "text-anchor": "end", "font-size": fs }, fmt(tick * k)));
    }
    days.forEach(function (d, i) {
      if ((days.length - 1 - i) % 5 !== 0) return;
      svg.appendChild(s("text", { x: x(i), y: H - 0.35 * r, "text-anchor": i === days.length - 1 ? "end" : "middle", "font-size": fs }, d.date.slice(5)));
    });
    [["found", "#ff6b57", "trend-found"], ["rectified", "#35d49a", "trend-fixed"]].forEach(function (line) {
      var pts = days.map(function (d, i) { return x(i).toFixed(1) + "," + y(d[line[0]]).toFixed(1); });
      svg.appendChild(s("polygon", { points: x(0).toFixed(1) + "," + y(0) + " " + pts.join(" ") + " " + x(days.length - 1).toFixed(1) + "," + y(0), fill: "url(#" + line[2] + ")" }));
      // Today is not over: its segment is dashed.
      var sw = Math.max(2, 0.18 * r);
      svg.appendChild(s("polyline", { points: pts.slice(0, -1).join(" "), fill: "none", stroke: line[1], "stroke-width": sw, "stroke-linejoin": "round" }));
      if (pts.length > 1) svg.appendChild(s("polyline", { points: pts.slice(-2).join(" "), fill: "none", stroke: line[1], "stroke-width": sw, "stroke-dasharray": (0.4 * r) + " " + (0.3 * r) }));
      var last = days[days.length - 1];
      svg.appendChild(s("circle", { cx: x(days.length - 1), cy: y(last[line[0]]), r: 0.3 * r, fill: line[1] }));
    });
    var last = days[days.length - 1];
    $("trend-today").textContent = "今日 today：发现 " + fmt(last.found) + " · 整改 " + fmt(last.rectified);
    box.appendChild(svg);
  }

  // ---------------------------------------------------------------- enforcement and key hazard enterprises

  function loadEnforcement() {
    return getJSON("/api/v1/enforcement" + areaQuery("?")).then(function (r) {
      if (r.status !== 200 || !r.body) return;
      var e = r.body;
      setText("enf-actions", fmt(e.actions));
      setText("enf-share", e.shareText || "—");
      $("enf-district").textContent = "(" + fmt(e.districtActions) + ")";
      setText("enf-closed", fmt(e.enterprisesClosed));
      setText("enf-demolished", fmt(e.enterprisesWithDemolitions));
      setText("enf-m2", fmt(Math.round(e.squareMetresDemolished || 0)));
      setText("enf-mu", fmt1(e.muFreed));
    }).catch(function () {});
  }
  var refreshEnforcement = throttle(loadEnforcement, 10000);

  /** Smart fire devices: installed of planned, online, offline, open alarms and the oldest's age. */
  var oldestAlarm = null;
  function loadDevices() {
    return getJSON("/api/v1/devices/summary" + areaQuery("?")).then(function (r) {
      if (r.status !== 200 || !r.body) return;
      var d = r.body;
      setText("dev-installed", fmt(d.installed) + (d.planned ? "/" + fmt(d.planned) : ""));
      setText("dev-online", fmt(d.online));
      setText("dev-offline", fmt(d.offline));
      setText("dev-alarms", fmt(d.openAlarmCount));
      oldestAlarm = d.openAlarms && d.openAlarms.length ? d.openAlarms[0] : null;
      var times = [];
      if (d.medianAcknowledgeSeconds !== null && d.medianAcknowledgeSeconds !== undefined) times.push("接警中位 " + minutes(d.medianAcknowledgeSeconds));
      if (d.medianOnSiteSeconds !== null && d.medianOnSiteSeconds !== undefined) times.push("到场中位 " + minutes(d.medianOnSiteSeconds));
      $("dev-note").setAttribute("data-times", times.join(" · ") || "近30天无告警 · no alarms in 30 days");
      renderAlarmNote();
    }).catch(function () {});
  }
  var refreshDevices = throttle(loadDevices, 10000);
  function minutes(sec) {
    var m = Math.max(1, Math.round(sec / 60));
    if (m < 60) return m + " 分钟";
    if (m < 1440) return Math.floor(m / 60) + " 小时 " + (m % 60) + " 分";
    return Math.floor(m / 1440) + " 天 " + Math.floor(m % 1440 / 60) + " 小时";
  }
  /** The oldest open alarm and its age (counted by the clock), else the response times. */
  function renderAlarmNote() {
    var el = $("dev-note");
    if (oldestAlarm) {
      var age = Math.max(0, (now() - Date.parse(oldestAlarm.raisedAt)) / 1000);
      setText(el, "最久告警 " + minutes(age) + "：" + oldestAlarm.kindName + " · " + oldestAlarm.subjectName);
      el.className = "sub alarm";
    } else {
      setText(el, el.getAttribute("data-times") || "—");
      el.className = "sub";
    }
  }

  /** Incidents against the same period a year before (同比), per kind, from the records. */
  function loadIncidents() {
    return getJSON("/api/v1/incidents" + areaQuery("?")).then(function (r) {
      if (r.status !== 200 || !r.body || !Array.isArray(r.body.kinds)) return;
      var f = r.body;
      f.kinds.forEach(function (k) {
        var el = $("inc-" + k.kind);
        if (!el) return;
        var y = k.yearOnYear || {};
        setText(el, y.percentText || "—");
        el.className = "num " + (y.direction === "down" ? "down" : y.direction === "up" || y.direction === "new" ? "up" : "");
        el.setAttribute("title", k.zh + " " + fmt(k.count) + "（去年同期 " + fmt(y.base) + "）");
      });
      if (f.period) setText("inc-period", f.period.from.slice(5) + "–" + f.period.to.slice(5));
      var counts = f.kinds.map(function (k) { return fmt(k.count) + "/" + fmt((k.yearOnYear || {}).base); });
      setText("inc-note", "本期/去年同期 " + counts.join(" · ") + " 起");
    }).catch(function () {});
  }
  var refreshIncidents = throttle(loadIncidents, 60000);

  function loadKeyHazards() {
    return getJSON("/api/v1/key-hazards" + areaQuery("?")).then(function (r) {
      if (r.status !== 200 || !Array.isArray(r.body)) return;
      var list = r.body.slice().sort(function (a, b) {
        return (b.points - a.points) || (b.overdueHazards - a.overdueHazards) || (b.openHazards - a.openHazards);
      }).slice(0, 5);
      var ol = clear($("keyhazard-list"));
      if (!list.length) { ol.appendChild(h("li", {}, h("span", { class: "nm" }, "暂无 none listed"))); return; }
      list.forEach(function (e) {
        ol.appendChild(h("li", { dataset: { subject: String(e.subjectId).toLowerCase() }, title: e.name, on: { click: function () { openSubject(e.subjectId); } } },
          h("span", { class: "nm" }, e.name),
          h("span", { class: "o" }, "未改 ", h("span", { class: "num" }, fmt(e.openHazards))),
          h("span", { class: "o od" }, "逾期 ", h("span", { class: "num" }, fmt(e.overdueHazards)))));
      });
    }).catch(function () {});
  }
  var refreshKeyHazards = throttle(loadKeyHazards, 30000);

  // ---------------------------------------------------------------- the feed of hazard events

  var EVENT = {
    found: "发现隐患", startRectification: "开始整改", verifyRectified: "复查通过", notYetRectified: "复查未通过",
    reportRebound: "隐患反弹", closeDown: "关停", markedOverdue: "逾期",
  };
  var SEV = { extremelySevere: "极严重", serious: "较严重", general: "一般" };
  var FEED_MAX = 30;

  /** A change from the stream (or the change list): {seq, occurredAt, kind, toState, hazardId,
      subjectId, subjectName, itemCode, severity, areaName}. */
  function addChanges(list, fresh) {
    var added = 0;
    list.forEach(function (c) {
      if (!c || c.seq === undefined || state.seen[c.seq]) return;
      state.seen[c.seq] = true;
      c.fresh = !!fresh;
      state.feed.push(c);
      added++;
    });
    if (!added) return;
    state.feed.sort(function (a, b) { return Number(b.seq) - Number(a.seq); });
    state.feed.slice(FEED_MAX).forEach(function (c) { delete state.seen[c.seq]; });
    state.feed = state.feed.slice(0, FEED_MAX);
    renderFeedSoon();
  }
  var feedTimer = null;
  function renderFeedSoon() {
    if (!feedTimer) feedTimer = setTimeout(function () { feedTimer = null; renderFeed(); }, 150);
  }

  function feedItem(c, copy) {
    var what = h("span", { class: "what" }, c.subjectName || "—",
      h("span", { class: "sub" }, [c.itemCode, SEV[c.severity] || "", c.areaName].filter(Boolean).join(" · ")));
    var li = h("li", { class: c.fresh && !copy ? "fresh" : null, dataset: { seq: c.seq, kind: c.kind || "" }, "aria-hidden": copy ? "true" : null,
      on: { click: function () { openSubject(c.subjectId); } } },
      h("span", { class: "t" }, timeOf(c.occurredAt)),
      h("span", { class: "ev " + (c.kind || "") }, EVENT[c.kind] || c.kind || "事件"),
      what);
    return li;
  }

  function renderFeed() {
    var ul = clear($("feed")), box = $("feed-box");
    ul.classList.remove("scrolling");
    ul.style.animationDuration = "";
    if (!state.feed.length) {
      ul.appendChild(h("li", { class: "empty" }, "等待新的隐患动态… Waiting for new events"));
      return;
    }
    state.feed.forEach(function (c) { ul.appendChild(feedItem(c, false)); });
    state.feed.forEach(function (c) { c.fresh = false; });
    // Longer than its box: it moves (a copy follows, so the loop is seamless); hovering stops it.
    if (ul.scrollHeight > box.clientHeight + 2) {
      state.feed.forEach(function (c) { ul.appendChild(feedItem(c, true)); });
      ul.style.animationDuration = Math.max(20, state.feed.length * 3.5) + "s";
      ul.classList.add("scrolling");
    }
  }

  /** The newest events before the stream's first ones: the change list, used only when its
      answer is the tail of the feed (newest first, or no more pages). */
  function loadFeedBacklog() {
    var code = (state.figures && state.figures.area.code) || "";
    var town = code.length >= 9 ? "&townCode=" + code.slice(0, 9) : "";
    getJSON("/api/v1/changes?limit=20" + town).then(function (r) {
      if (r.status !== 200 || !r.body || !Array.isArray(r.body.changes)) { renderFeed(); return; }
      var ch = r.body.changes;
      var newestFirst = ch.length > 1 && Number(ch[0].cursor) > Number(ch[ch.length - 1].cursor);
      if (r.body.hasMore && !newestFirst) { renderFeed(); return; } // the oldest events: not a feed
      addChanges(ch.map(function (c) {
        var e = c.event || {};
        return { seq: e.seq, occurredAt: e.occurredAt, kind: e.kind, toState: e.toState, hazardId: c.hazardId, subjectId: c.subjectId,
          subjectName: c.subjectName || e.label || "", itemCode: c.itemCode || "", severity: c.severity || "", areaName: c.areaName || "" };
      }), false);
      renderFeed();
    }).catch(function () { renderFeed(); });
  }

  // ---------------------------------------------------------------- the stream

  var es = null, retries = 0, retryTimer = null, everLive = false, stuckTimer = null, quietTimer = null;
  var QUIET_MS = 45000;

  /** Every event proves the stream alive; none for QUIET_MS means it is dead without saying so. */
  function heard(src) {
    clearTimeout(quietTimer);
    quietTimer = setTimeout(function () {
      if (src !== es) return;
      src.close();
      es = null;
      setStream(everLive ? "reconnecting" : "connecting");
      reconnectLater();
    }, QUIET_MS);
  }

  function setStream(v) {
    document.body.setAttribute("data-stream", v);
    var t = { connecting: "连接中 Connecting", live: "实时 LIVE", reconnecting: "重连中 Reconnecting", offline: "已断开 Offline" }[v] || v;
    $("conn-text").textContent = t;
    if (v === "live") banner("");
    else if (everLive && state.figures) {
      banner("连接中断，正在重连… 显示的是 " + timeOf(state.figures.generatedAt) + " 的数据 · Connection lost, reconnecting");
    }
    clearTimeout(stuckTimer);
    // EventSource retries by itself; if it stays "reconnecting" for long, start over.
    if (v === "reconnecting") stuckTimer = setTimeout(function () { if (es) { es.close(); es = null; } reconnectLater(); }, 30000);
  }

  function connect() {
    clearTimeout(retryTimer);
    if (es) es.close();
    setStream(everLive ? "reconnecting" : "connecting");
    var src = new EventSource("/api/v1/stream" + areaQuery("?"));
    es = src;
    heard(src);
    src.onopen = function () { retries = 0; heard(src); };
    src.addEventListener("heartbeat", function () { if (src === es) heard(src); });
    src.addEventListener("figures", function (e) {
      if (src !== es) return;
      heard(src);
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      live = true;
      state.lastEventId = e.lastEventId || state.lastEventId;
      document.body.setAttribute("data-last-event-id", state.lastEventId);
      everLive = true;
      retries = 0;
      setStream("live");
      applyFigures(f);
    });
    var live = false; // the server sends the latest events before a connection's first figures: not news
    src.addEventListener("change", function (e) {
      if (src !== es) return;
      heard(src);
      try { addChanges([JSON.parse(e.data)], live); } catch (err) { /* a malformed event is skipped */ }
    });
    src.onerror = function () {
      if (src !== es) return;
      if (src.readyState === EventSource.CLOSED) {
        es = null;
        setStream(everLive ? "offline" : "connecting");
        reconnectLater();
      } else {
        setStream("reconnecting");
      }
    };
  }

  /** After EventSource gave up: check the session and the area, then a new stream, 2 s → 30 s. */
  function reconnectLater() {
    clearTimeout(retryTimer);
    var delay = Math.min(30000, 2000 * Math.pow(1.6, retries));
    retries++;
    retryTimer = setTimeout(function () {
      getJSON("/api/v1/dashboard" + areaQuery("?")).then(function (r) {
        if (r.status === 401) return;
        if (r.status === 404) { banner("无权查看该区域或区域不存在 · No such area in your jurisdiction"); return; }
        if (r.status === 200 && r.body && !state.figures) applyFigures(r.body);
        connect();
      }).catch(function () { reconnectLater(); });
    }, delay);
  }

  // ---------------------------------------------------------------- the map

  var MapView = (function () {
    var map = null, outline = null, dataLayer = null, tiles = null, fitted = false, seq = 0;
    var refresh = throttle(function () { load(); }, 10000);

    function start() {
      if (map || typeof L === "undefined") return;
      map = L.map("map", { zoomControl: false, attributionControl: true, minZoom: 8, maxZoom: 18, zoomSnap: 0.25,
        worldCopyJump: false, preferCanvas: false });
      L.control.zoom({ position: "bottomright" }).addTo(map);
      map.attributionControl.setPrefix("Leaflet");
      map.attributionControl.addAttribution("萧山区界 GCJ-02");
      map.setView([30.17, 120.46], 12);
      map.on("moveend", onMove);
      map.on("zoomend", function () { $("map").classList.toggle("show-names", map.getZoom() >= 13.5); });
      getJSON("/api/v1/map/outline").then(function (r) {
        if (r.status === 200 && r.body) drawOutline(r.body);
      }).catch(function () {});
      load(true);
    }

    function drawOutline(geo) {
      // The district outline, and the world outside it dimmed.
      var holes = [];
      (geo.features || [geo]).forEach(function (f) {
        var g = f.geometry || f;
        var polys = g.type === "MultiPolygon" ? g.coordinates : g.type === "Polygon" ? [g.coordinates] : [];
        polys.forEach(function (p) { holes.push(p[0].map(function (c) { return [c[1], c[0]]; })); });
      });
      if (holes.length) {
        L.polygon([[[-89, -179], [-89, 179], [89, 179], [89, -179]]].concat(holes),
          { stroke: false, fillColor: "#020710", fillOpacity: 0.55, interactive: false }).addTo(map);
      }
      outline = L.geoJSON(geo, { interactive: false, style: function () {
        return { color: "#3cc8ff", weight: 3, opacity: 0.95, fillColor: "#1d6fd1", fillOpacity: 0.10, dashArray: null };
      } }).addTo(map);
      if (dataLayer) dataLayer.bringToFront && dataLayer.bringToFront();
      if (state.figures && state.figures.area.level === "district" && !fitted) { map.fitBounds(outline.getBounds(), { padding: [10, 10], animate: false }); fitted = true; }
    }

    /** The legend of what is drawn: bubbles per area, or subjects as points. */
    var legendMode = null;
    function legend(mode) {
      if (mode === legendMode) return;
      legendMode = mode;
      var ul = clear($("map-legend"));
      function sw(cls, colour) { var e = h("span", { class: "sw " + cls }); if (colour) e.style.background = colour; return e; }
      if (mode === "areas") {
        var child = (state.figures && { district: "镇街", town: "村社", village: "网格", grid: "微网格" }[state.figures.area.level]) || "下级";
        ul.appendChild(h("li", { class: "lt" }, "气泡 = " + child + "检查对象数 · bubble = subjects"));
        ul.appendChild(h("li", {}, sw("", "rgba(230,40,60,0.85)"), "逾期占比高 most overdue"));
        ul.appendChild(h("li", {}, sw("", "rgba(240,140,20,0.85)"), "逾期占比中 middle"));
        ul.appendChild(h("li", {}, sw("", "rgba(20,150,200,0.8)"), "逾期占比低 least overdue"));
        ul.appendChild(h("li", { class: "lt" }, "点击放大到对象 click to zoom in"));
        return;
      }
      [["#C62828", "极严重 extreme"], ["#EF6C00", "较严重 serious"], ["#F9C80E", "一般 general"], ["#2E7D32", "整改到位 rectified"], ["#757575", "已关停 closed"]]
        .forEach(function (x) { ul.appendChild(h("li", {}, sw("", x[0]), x[1])); });
      ul.appendChild(h("li", {}, sw("key"), "重点隐患企业 key hazard"));
      ul.appendChild(h("li", {}, sw("od"), "有逾期隐患 overdue"));
    }

    // Bubbles do not depend on the view (the answer has every child area), so moving or
    // zooming among them asks nothing; points are asked for the view's box.
    var lastMode = null;
    /** The mode the server answers at `zoom` for the area shown (MapController). */
    function modeAt(zoom) {
      var level = state.figures && state.figures.area.level;
      return level === "grid" || level === "microGrid" || Math.floor(zoom) >= POINTS_FROM_ZOOM ? "points" : "areas";
    }
    function onMove() {
      if (lastMode === "areas" && modeAt(map.getZoom()) === "areas") return;
      loadSoon();
    }
    var moveTimer = null;
    function loadSoon() { clearTimeout(moveTimer); moveTimer = setTimeout(function () { load(false); }, 300); }

    function load(initial) {
      if (!map) return;
      var q = ["zoom=" + Math.floor(map.getZoom())];
      var code = state.areaCode || (state.figures && state.figures.area.code);
      if (code) q.unshift("areaCode=" + encodeURIComponent(code));
      if (!initial && fitted) {
        var b = map.getBounds();
        q.push("bbox=" + [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map(function (v) { return v.toFixed(5); }).join(","));
      }
      var mine = ++seq;
      // Known before the answer: a move while it is on its way asks again only for points.
      lastMode = modeAt(map.getZoom());
      getJSON("/api/v1/map?" + q.join("&")).then(function (r) {
        if (mine !== seq) return;
        if (r.status !== 200 || !r.body) {
          $("map-datum").textContent = "地图数据暂不可用 · map data unavailable (" + r.status + ")";
          return;
        }
        draw(r.body);
      }).catch(function () {});
    }

    function draw(m) {
      var datum = m.datum || "GCJ-02";
      if (m.tileURL && !tiles) {
        tiles = L.tileLayer(m.tileURL, { maxZoom: 18, attribution: m.tileAttribution || "" }).addTo(map);
        tiles.bringToBack();
      }
      $("map-datum").textContent = "坐标系 " + datum + " · " + (tiles ? "内网底图 intranet tiles" : "无底图 no base map") +
        (m.truncated ? " · 仅显示 3000 个 first 3,000 shown" : "");
      lastMode = m.mode;
      document.getElementById("map").setAttribute("data-mode", m.mode || "");
      legend(m.mode === "areas" ? "areas" : "points");
      if (dataLayer) { map.removeLayer(dataLayer); dataLayer = null; }
      var bounds = [];
      if (m.mode === "areas") {
        dataLayer = L.layerGroup();
        var areas = (m.areas || []).filter(function (a) { return typeof a.latitude === "number" && typeof a.longitude === "number"; });
        var max = 1;
        areas.forEach(function (a) { max = Math.max(max, a.subjects || 0); });
        var r = rem(), diameter = bubbleRoom(areas, r);
        // Colour by the share of open hazards that are overdue, in thirds of this map's areas.
        var shares = areas.map(function (a) { return a.hazardsOpen ? (a.overdue || 0) / a.hazardsOpen : 0; }).sort(function (x, y) { return x - y; });
        var hi = shares[Math.floor(shares.length * 2 / 3)] || 1, lo = shares[Math.floor(shares.length / 3)] || 0;
        areas.forEach(function (a) {
          var size = Math.round(diameter * (0.55 + 0.45 * Math.sqrt((a.subjects || 0) / max)));
          var share = a.hazardsOpen ? (a.overdue || 0) / a.hazardsOpen : 0;
          var tier = share >= hi && share > 0 ? "hi" : share > lo ? "mid" : "lo";
          var el = h("div", { class: "bubble " + tier }, fmt(a.subjects));
          el.style.width = size + "px"; el.style.height = size + "px";
          el.style.fontSize = Math.max(0.75 * r, size * 0.32) + "px";
          el.appendChild(h("span", { class: "bubble-name" }, a.name || ""));
          var mk = L.marker([a.latitude, a.longitude], {
            icon: L.divIcon({ html: el, className: "bubble-icon", iconSize: [size, size] }),
            keyboard: false, riseOnHover: true,
          });
          mk.bindTooltip(a.name + "：检查对象 " + fmt(a.subjects) + " · 未整改隐患 " + fmt(a.hazardsOpen) + " · 逾期 " + fmt(a.overdue) +
            " · 重点隐患企业 " + fmt(a.keyHazard || 0), { direction: "top" });
          mk.on("click", function () { map.setView([a.latitude, a.longitude], 14); });
          dataLayer.addLayer(mk);
          bounds.push([a.latitude, a.longitude]);
        });
      } else {
        dataLayer = L.markerClusterGroup({
          maxClusterRadius: 45, disableClusteringAtZoom: 17, showCoverageOnHover: false, spiderfyOnMaxZoom: false,
          chunkedLoading: true, zoomToBoundsOnClick: true,
          // A cluster takes the colour of its worst subject, and a red ring when one is overdue.
          iconCreateFunction: function (cluster) {
            var n = cluster.getChildCount(), od = false, worst = null;
            cluster.getAllChildMarkers().forEach(function (x) {
              if (x.options.overdue) od = true;
              if (!worst || WORST[category(x.options.colour)] > WORST[category(worst.options.colour)]) worst = x;
            });
            var size = Math.round((n < 10 ? 2.2 : n < 100 ? 2.7 : 3.3) * rem());
            var el = h("div", { class: "cluster" + (od ? " od" : "") }, fmt(n));
            var hex = worst && worst.options.hex || "#3cc8ff";
            el.style.background = hex;
            el.style.color = inkOn(hex);
            return L.divIcon({ html: el, className: "cluster-icon", iconSize: [size, size] });
          },
        });
        var pr = Math.max(5, Math.round(0.42 * rem()));
        (m.points || []).forEach(function (p) {
          if (typeof p.latitude !== "number" || typeof p.longitude !== "number") return;
          var layer;
          if (p.keyHazard) {
            var el = h("div", { class: "key-pt" + (p.overdue ? " od" : "") });
            el.style.background = p.hex || "#888";
            el.style.width = el.style.height = (pr * 2) + "px";
            layer = L.marker([p.latitude, p.longitude], {
              icon: L.divIcon({ html: el, className: "key-icon", iconSize: [pr * 2 + 4, pr * 2 + 4] }), overdue: !!p.overdue, keyboard: false,
              colour: p.colour, hex: p.hex,
            });
          } else {
            layer = L.circleMarker([p.latitude, p.longitude], {
              radius: pr, fillColor: p.hex || "#888", fillOpacity: 0.95,
              color: p.overdue ? "#ff2d55" : "rgba(255,255,255,0.75)", weight: p.overdue ? 3 : 1,
              className: p.overdue ? "pt-overdue" : "pt", overdue: !!p.overdue, colour: p.colour, hex: p.hex,
            });
          }
          layer.bindTooltip(p.name + (p.keyHazard ? " · 重点隐患企业" : "") + (p.overdue ? " · 有逾期隐患" : ""), { direction: "top" });
          layer.on("click", function () { openSubject(p.id); });
          dataLayer.addLayer(layer);
          bounds.push([p.latitude, p.longitude]);
        });
      }
      dataLayer.addTo(map);
      if (!fitted) {
        fitted = true;
        // Room for the legend (top left) and the datum (top right).
        var pad = Math.round(2.2 * rem()), lg = $("map-legend");
        var left = getComputedStyle(lg).position === "absolute" ? lg.offsetWidth + pad : pad;
        if (bounds.length) map.fitBounds(L.latLngBounds(bounds), { maxZoom: 16, paddingTopLeft: [left, pad], paddingBottomRight: [pad, pad], animate: false });
        else if (outline) map.fitBounds(outline.getBounds(), { animate: false });
      }
    }

    /** The zoom from which the server answers points instead of bubbles (MapController). */
    var POINTS_FROM_ZOOM = 14;
    var WORST = { extremelySevere: 5, serious: 4, general: 3, rectified: 2, closedDown: 1 };
    function category(key) { return String(key || "").split(".")[0]; }

    /** The bubbles' largest diameter: a little less than the median distance (px, at this zoom)
        from an area to its nearest neighbour, between 1.6 and 4.6 rem. */
    function bubbleRoom(areas, r) {
      if (areas.length < 2) return 4.6 * r;
      var pts = areas.map(function (a) { return map.latLngToContainerPoint([a.latitude, a.longitude]); });
      var nn = pts.map(function (p, i) {
        var best = Infinity;
        pts.forEach(function (q, j) { if (i !== j) best = Math.min(best, p.distanceTo(q)); });
        return best;
      }).sort(function (x, y) { return x - y; });
      return Math.max(1.6 * r, Math.min(4.6 * r, nn[Math.floor(nn.length / 2)] * 0.95));
    }

    return {
      start: start,
      refresh: function () { if (map) refresh(); },
      resize: function () { if (map) map.invalidateSize(); },
      get map() { return map; },
    };
  })();

  // ---------------------------------------------------------------- start

  function start() {
    tick();
    setInterval(tick, 1000);
    // A wall nobody touches: a request now and then keeps its web session renewed (the server
    // renews one in use for up to 7 days), so it does not fall to the sign-in page at night.
    setInterval(function () { getJSON("/api/v1/auth/me").catch(function () {}); }, 30 * 60 * 1000);
    renderFeed();
    window.addEventListener("resize", throttle(function () { renderTrend(); MapView.resize(); renderFeed(); }, 250));
    // Without ?areaCode= the screen shows the account's home area: for a district account the
    // district (the API's own default for it is 瓜沥, the desk dashboard's town).
    var home = state.areaCode ? Promise.resolve() : getJSON("/api/v1/auth/me").then(function (r) {
      if (r.status === 200 && r.body && /^[0-9]{6}$/.test(r.body.areaCode || "")) state.areaCode = r.body.areaCode;
    }).catch(function () {});
    // First paint from the JSON answer (quick, cached on the server); the stream then keeps it current.
    home.then(function () { return getJSON("/api/v1/dashboard" + areaQuery("?")); }).then(function (r) {
      if (r.status === 404) { banner("无权查看该区域或区域不存在 · No such area in your jurisdiction"); return; }
      if (r.status === 200 && r.body && !state.figures) applyFigures(r.body);
      connect();
    }).catch(function () { connect(); });
  }

  window.SGScreen = { state: state, map: function () { return MapView.map; } };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
