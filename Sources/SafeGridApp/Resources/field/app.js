/* SafeGrid field app: the shell — router, tab bar, Today (tasks and search), a subject's
   hazards (re-inspection, start rectification, close down), Queue, Me — and the start-up. */
(function (global) {
  "use strict";
  var SG = global.SG, h = SG.h, Store = SG.Store, Api = SG.Api, Data = SG.Data, Outbox = SG.Outbox;
  SG.screens = SG.screens || {};

  // ---------------------------------------------------------------- shared UI
  var renderToken = 0;
  var UI = SG.UI = {
    me: null,
    /** True while the screen that asked is still the one shown. */
    token: function () { return renderToken; },
    alive: function (t) { return t === renderToken; },
    title: function (zh, en) {
      SG.clear(SG.$("title"));
      SG.$("title").appendChild(document.createTextNode(zh + " "));
      SG.$("title").appendChild(h("span", { class: "en" }, en));
      document.title = zh + " · SafeGrid 智查";
    },
    toast: function (text, kind) {
      var t = SG.$("toast");
      t.textContent = text;
      t.className = "toast show" + (kind ? " " + kind : "");
      clearTimeout(UI.toastTimer);
      UI.toastTimer = setTimeout(function () { t.className = "toast"; }, 4000);
    },
    /** A labelled field with a message line under it: the message carries data-for=name. */
    field: function (name, label, input, hint) {
      return h("div", { class: "field", dataset: { field: name } },
        h("label", { for: input.id || null }, label),
        input,
        hint ? h("p", { class: "hint" }, hint) : null,
        h("p", { class: "msg", id: (input.id ? input.id + "-msg" : null), dataset: { for: name }, role: "alert" }));
    },
    msg: function (root, name, text, ok) {
      var els = root.querySelectorAll(".msg[data-for='" + name + "']");
      Array.prototype.forEach.call(els, function (m) {
        m.textContent = text || "";
        m.className = "msg" + (text ? (ok ? " ok" : " bad") : "");
      });
      return els.length > 0;
    },
    clearMsgs: function (root) {
      Array.prototype.forEach.call(root.querySelectorAll(".msg"), function (m) { m.textContent = ""; m.className = "msg"; });
    },
    chip: function (colour, fallback) {
      var c = h("span", { class: "chip" }, colour ? colour.zh : (fallback || "未分色 No colour"));
      if (colour && colour.hex) { c.style.background = colour.hex; c.style.color = SG.inkOn(colour.hex); }
      return c;
    },
    select: function (id, options, value, cls) {
      var s = h("select", { id: id, class: cls || null });
      options.forEach(function (o) { s.appendChild(h("option", { value: o.value, selected: o.value === value }, o.zh + (o.en ? " " + o.en : ""))); });
      if (value !== undefined) s.value = value;
      return s;
    },
    empty: function (text) { return h("p", { class: "empty" }, text); },
    kindLabel: function (s) {
      if (s.parentId && s.kind === "enterprise") return "厂中厂 Factory in factory";
      return SG.label(SG.KINDS, s.kind);
    },
    go: function (hash) { if (location.hash === hash) route(); else location.hash = hash; },
    /** The phone's position: {latitude, longitude, accuracy} (WGS-84), or rejects with a message. */
    locate: function (timeout) {
      return new Promise(function (resolve, reject) {
        if (!navigator.geolocation) { reject({ message: "此浏览器不能定位 · this browser cannot give a position" }); return; }
        navigator.geolocation.getCurrentPosition(function (p) {
          resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy: p.coords.accuracy });
        }, function (e) {
          reject({ message: e.code === 1 ? "未允许定位，请在浏览器设置中允许 · location permission denied"
            : "暂时无法定位，请到室外重试 · no position yet; try again outdoors" });
        }, { enableHighAccuracy: true, timeout: timeout || 15000, maximumAge: 30000 });
      });
    }
  };

  // ---------------------------------------------------------------- router
  function parseHash() {
    var raw = (location.hash || "#/today").slice(2), q = {}, qi = raw.indexOf("?");
    if (qi >= 0) {
      raw.slice(qi + 1).split("&").forEach(function (kv) { var p = kv.split("="); if (p[0]) q[decodeURIComponent(p[0])] = decodeURIComponent(p[1] || ""); });
      raw = raw.slice(0, qi);
    }
    var parts = raw.split("/").filter(Boolean).map(decodeURIComponent);
    return { name: parts[0] || "today", args: parts.slice(1), query: q };
  }
  var TAB_OF = { today: "today", subject: "today", inspect: "today", sign: "today", done: "today", register: "register", queue: "queue", me: "me" };
  function route() {
    var r = parseHash(), screen = SG.screens[r.name] || SG.screens.today;
    renderToken++;
    var view = SG.$("view");
    SG.clear(view);
    view.setAttribute("data-screen", SG.screens[r.name] ? r.name : "today");
    Array.prototype.forEach.call(document.querySelectorAll("#tabbar a"), function (a) {
      var on = a.getAttribute("data-tab") === (TAB_OF[r.name] || "today");
      a.className = on ? "on" : "";
      if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    showRole();
    window.scrollTo(0, 0);
    if (!UI.me && r.name !== "me") { SG.screens.signedOut(view); return; }
    Promise.resolve().then(function () { return screen(view, r.args, r.query); }).catch(function (e) {
      console.error(e);
      view.appendChild(h("p", { class: "msg bad" }, "出错了 · something went wrong: " + (e && (e.message || (e.problem && SG.problemDetail(e.status, e.problem))) || e)));
    });
  }
  SG.route = route;

  // ---------------------------------------------------------------- status bar and badge
  function showNet() {
    var el = SG.$("net"), on = navigator.onLine !== false && Api.online;
    el.textContent = on ? "在线 Online" : "离线 Offline";
    el.className = "net " + (on ? "on" : "off");
  }
  /** What the tab badge and the Queue's summary both count: records not yet on the server
      (waiting, sending or refused); a photo is part of its record and is counted apart. */
  SG.queueCounts = function (items) {
    var c = { records: 0, waiting: 0, refused: 0, sent: 0, photos: 0, photosRefused: 0 };
    items.forEach(function (it) {
      if (it.kind === "photo") {
        if (it.state !== "sent") c.photos++;
        if (it.state === "refused") c.photosRefused++;
        return;
      }
      if (it.state === "sent") { c.sent++; return; }
      c.records++;
      if (it.state === "refused") c.refused++; else c.waiting++;
    });
    return c;
  };
  async function updateBadge() {
    var pending = await Outbox.pending(), c = SG.queueCounts(pending), n = c.records;
    var badge = SG.$("queue-count");
    badge.textContent = String(n);
    badge.className = "badge" + (n ? " some" : "") + (c.refused || c.photosRefused ? " bad" : "");
    badge.setAttribute("data-count", String(pending.length));
    var view = SG.$("view");
    if (view.getAttribute("data-screen") === "queue" && !UI.queueBusy) SG.screens.queue.refresh();
    if (SG.onQueueChange) SG.onQueueChange();
  }

  // ---------------------------------------------------------------- Today
  SG.screens.today = async function (view, args, query) {
    var t = UI.token(), me = UI.me;
    UI.title("今日", "Today");
    var tasks = await Store.get("tasks");
    var head = h("section", { class: "card summary" });
    function renderHead(tl) {
      SG.clear(head);
      head.appendChild(h("div", { class: "big" }, SG.today()));
      var who = me.displayName || me.username;
      head.appendChild(h("div", { class: "sub" }, who + (me.roleZh && me.roleZh !== who ? " · " + me.roleZh : "") + " · " + me.username));
      if (!tl || !tl.quota) return;
      head.appendChild(h("div", { class: "stats" },
        h("div", {}, h("b", { id: "stat-due" }, String(tl.tasks.length)), h("span", {}, "待查 Due")),
        h("div", {}, h("b", { id: "stat-overdue" }, String(tl.tasks.filter(function (x) { return x.overdue; }).length)), h("span", {}, "逾期 Overdue")),
        h("div", {}, h("b", { id: "stat-quota" }, tl.quota.done + "/" + tl.quota.target), h("span", {}, "本月 Month"))));
    }
    var search = h("input", { id: "search", type: "search", maxlength: 200, placeholder: "名称、信用代码或地址 · name, credit code, address", autocomplete: "off", enterkeyhint: "search" });
    var results = h("ul", { id: "search-results", class: "list" });
    var list = h("ol", { id: "task-list", class: "list" });
    var meta = h("p", { id: "tasks-meta", class: "hint" });
    var nearest = h("button", { id: "nearest", type: "button", class: "btn secondary" }, "按距离排序 Nearest first");
    view.appendChild(head);
    if (!Data.writes(me)) view.appendChild(h("p", { id: "read-only", class: "warn" }, "只读账号：可以查看，不能检查、登记或复查 · read-only account: you can look, not inspect, register or re-inspect"));
    // Device alarms first: a smoke alarm outranks every planned visit.
    var alarmBox = h("section", { id: "alarms", class: "alarms", hidden: true });
    view.appendChild(alarmBox);
    loadAlarms(alarmBox, t, me);
    // Then residents' reports (沥家园) waiting to be verified, the same way.
    var reportBox = h("section", { id: "reports", class: "reports", hidden: true });
    view.appendChild(reportBox);
    if (query && query.report) {
      // Back from registering a subject for a report: its verify form opens with that subject.
      SG.Reports.openOnce(t, query.report, query.subject);
      if (history.replaceState) history.replaceState(null, "", "#/today");
    }
    SG.Reports.load(reportBox, t, me);
    // New alarms and reports while the page stays open: asked again every minute and on coming back online.
    var alarmTimer = setInterval(function () {
      if (!UI.alive(t)) { clearInterval(alarmTimer); return; }
      loadAlarms(alarmBox, t, me);
      SG.Reports.load(reportBox, t, me);
    }, 60000);
    Api.on("online", function (v) { if (v && UI.alive(t)) { loadAlarms(alarmBox, t, me); SG.Reports.load(reportBox, t, me); } });
    view.appendChild(h("section", { class: "card" }, h("label", { for: "search", class: "h" }, "查找检查对象 Find a subject"), search, results));
    if (Data.carriesTasks(me)) {
      view.appendChild(h("section", {}, h("div", { class: "row between" }, h("h2", {}, "今日任务 Today's tasks"), nearest), meta, list));
    } else {
      view.appendChild(h("p", { class: "hint" }, "任务清单属于网格员与微网格员；请搜索检查对象 · task lists belong to grid workers; search for a subject."));
    }

    function renderTasks(tl) {
      renderHead(tl);
      SG.clear(list);
      if (!tl) { list.appendChild(UI.empty("尚无任务清单，联网后自动下载 · no task list yet; it downloads when online")); return; }
      meta.textContent = "更新于 " + SG.showTime(tl.fetchedAt) + (tl.positioned ? " · 按距离 nearest first" : " · 按到期日 by due day") +
        (Api.online ? "" : " · 离线缓存 offline copy");
      if (!tl.tasks.length) list.appendChild(UI.empty("今天没有待查任务 · nothing due today"));
      tl.tasks.forEach(function (task) { list.appendChild(taskRow(task)); });
    }
    renderTasks(tasks);

    var timer = null, seq = 0;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(runSearch, 250);
    });
    async function runSearch() {
      var q = search.value.trim(), mine = ++seq;
      if (!q) { SG.clear(results); return; }
      var local = Data.search(await Data.localSubjects(), q);
      var found = local.slice(0, 30), ids = {};
      found.forEach(function (s) { ids[s.id.toLowerCase()] = true; });
      if (Api.online) {
        try {
          var r = await Api.get("/api/v1/subjects?per=20&q=" + encodeURIComponent(q));
          if (r.ok) r.json.items.forEach(function (s) { if (!ids[s.id.toLowerCase()]) { found.push(s); ids[s.id.toLowerCase()] = true; } });
        } catch (e) { /* offline: the pack's answer stands */ }
      }
      if (mine !== seq || !UI.alive(t)) return;
      SG.clear(results);
      if (!found.length) results.appendChild(UI.empty("没有找到 · nothing found" + (Api.online ? "" : "（离线，只查本机缓存 offline: this phone's copy）")));
      found.forEach(function (s) { results.appendChild(subjectRow(s)); });
    }

    nearest.addEventListener("click", async function () {
      nearest.disabled = true;
      meta.textContent = "正在定位… Locating…";
      try {
        var pos = await UI.locate();
        var tl = await Data.refreshTasks(pos);
        if (UI.alive(t)) renderTasks(tl);
      } catch (e) {
        meta.textContent = e.network ? "离线，无法按距离重排 · offline" : (e.message || SG.problemDetail(e.status, e.problem));
      }
      nearest.disabled = false;
    });
    UI.onData = function () { if (UI.alive(t)) Store.get("tasks").then(renderTasks); };
  };

  // ---------------------------------------------------------------- Device alarms (智慧消防)
  /* Open alarms of the account's area, oldest first, with the next steps: 接警, 到场, then 确认
     (a hazard on the subject) or 误报 (with a reason). Steps need a connection: an alarm is work
     for now, and its SMS came over the network too. The last list is kept for offline reading. */
  var NEXT_STEPS = { raised: ["acknowledge", "arriveOnSite"], acknowledged: ["arriveOnSite", "declareFalseAlarm"], onSite: ["confirm", "declareFalseAlarm"] };
  var STEP_TEXT = { acknowledge: "接警 Take", arriveOnSite: "到场 On site", confirm: "确认隐患 Confirm", declareFalseAlarm: "误报 False alarm" };
  var FALSE_REASONS = [["cookingOrSteam", "做饭或水汽 cooking or steam"], ["testOrMaintenance", "测试或维保 test or maintenance"],
    ["deviceFault", "设备故障 device fault"], ["noSignOfFire", "现场无火情 no sign of fire"], ["other", "其他（须说明）other (say what)"]];
  var DEFAULT_ITEM = { laneBlocked: true, chargingOverTemperature: true, chargingOverCurrent: true };

  async function loadAlarms(box, t, me) {
    var kept = await Store.get("alarms");
    if (kept && UI.alive(t)) renderAlarms(box, kept, me, t);
    if (!Api.online) return;
    try {
      var r = await Api.get("/api/v1/alarms");
      if (!r.ok || !Array.isArray(r.json)) return;
      kept = { fetchedAt: new Date(SG.now()).toISOString(), items: r.json };
      await Store.set("alarms", kept);
      // Not under a worker's fingers: a form being filled in stays.
      if (UI.alive(t) && !box.querySelector(".alarm-form:not(:empty)")) renderAlarms(box, kept, me, t);
    } catch (e) { /* offline: the kept list stands */ }
  }

  function minutesAgo(at) {
    var m = Math.max(0, Math.round((SG.now() - Date.parse(at)) / 60000));
    return m < 60 ? m + " 分钟前 min ago" : Math.floor(m / 60) + " 小时 " + (m % 60) + " 分钟前 ago";
  }

  function renderAlarms(box, kept, me, t) {
    SG.clear(box);
    var items = (kept.items || []).filter(function (a) { return NEXT_STEPS[a.state]; });
    box.hidden = !items.length;
    if (!items.length) return;
    box.appendChild(h("h2", {}, "设备告警 Device alarms ", h("span", { class: "badge some", id: "alarm-count" }, String(items.length))));
    var list = h("ol", { class: "list" });
    items.forEach(function (a) { list.appendChild(alarmRow(a, me, kept, box, t)); });
    box.appendChild(list);
    if (!Api.online) box.appendChild(h("p", { class: "hint" }, "离线：显示 " + SG.showTime(kept.fetchedAt) + " 的告警，处置需联网 · offline copy; steps need a connection"));
  }

  function alarmRow(a, me, kept, box, t) {
    var msg = h("p", { class: "msg bad", role: "alert" });
    var form = h("div", { class: "alarm-form" });
    var row = h("li", { class: "card alarm", dataset: { alarm: String(a.id).toLowerCase(), state: a.state } },
      h("div", { class: "row between top" },
        h("div", { class: "grow" }, h("div", { class: "name" }, a.kindName + " · " + a.subjectName + (a.room ? "（" + a.room + "）" : "")),
          h("div", { class: "addr" }, minutesAgo(a.raisedAt) + (a.repeats ? " · 重复 " + a.repeats + " 次 repeats" : "") +
            (a.townAlerted ? " · 已报镇 town alerted" : ""))),
        h("span", { class: "chip" }, a.stateName)));
    if (Data.writes(me)) {
      var buttons = h("div", { class: "actions" });
      NEXT_STEPS[a.state].forEach(function (step) {
        var b = h("button", { type: "button", class: "btn" + (step === "acknowledge" || step === "confirm" ? "" : " secondary"), dataset: { step: step } }, STEP_TEXT[step]);
        b.addEventListener("click", function () { openStep(step); });
        buttons.appendChild(b);
      });
      row.appendChild(buttons);
      row.appendChild(form);
    }
    row.appendChild(msg);

    async function openStep(step) {
      msg.textContent = "";
      SG.clear(form);
      if (step === "acknowledge" || step === "arriveOnSite") return send({ action: step });
      var send1 = h("button", { type: "button", class: "btn" }, step === "confirm" ? "提交确认 Confirm" : "提交误报 Send");
      var note = h("input", { type: "text", maxlength: 2000, placeholder: "说明 note" });
      if (step === "confirm") {
        var checklist = (await Store.get("checklist")) || { items: [] };
        var select = h("select", { "aria-label": "隐患项 checklist item" });
        if (DEFAULT_ITEM[a.kind]) select.appendChild(h("option", { value: "" }, "按告警类型 by alarm kind"));
        else select.appendChild(h("option", { value: "" }, "请选择发现的隐患 choose what you found"));
        // Only the items of the subject's kind: the server refuses the others.
        checklist.items.filter(function (it) { return !a.subjectKind || !it.subjectKinds || it.subjectKinds.indexOf(a.subjectKind) >= 0; })
          .forEach(function (it) { select.appendChild(h("option", { value: it.code }, it.code + " " + it.zh)); });
        form.appendChild(h("label", {}, "隐患项 Item", select));
        form.appendChild(note);
        form.appendChild(send1);
        send1.addEventListener("click", function () { send({ action: "confirm", itemCode: select.value || undefined, note: note.value.trim() || undefined }); });
      } else {
        var reason = h("select", { "aria-label": "误报原因 reason" });
        FALSE_REASONS.forEach(function (r) { reason.appendChild(h("option", { value: r[0] }, r[1])); });
        form.appendChild(h("label", {}, "原因 Reason", reason));
        form.appendChild(note);
        form.appendChild(send1);
        send1.addEventListener("click", function () { send({ action: "declareFalseAlarm", reason: reason.value, note: note.value.trim() || undefined }); });
      }
    }

    async function send(body) {
      if (!Api.online) { msg.textContent = "需联网才能处置告警 · handling an alarm needs a connection"; return; }
      row.setAttribute("aria-busy", "true");
      try {
        var r = await Api.call("POST", "/api/v1/alarms/" + encodeURIComponent(String(a.id).toLowerCase()) + "/actions", body);
        if (!r.ok) { msg.textContent = SG.problemDetail(r.status, r.problem); return; }
        kept.items = kept.items.map(function (x) { return x.id === a.id ? r.json : x; });
        await Store.set("alarms", kept);
        if (r.json.hazardId) UI.toast("已记录隐患 hazard recorded");
        if (UI.alive(t)) renderAlarms(box, kept, me, t);
      } catch (e) {
        msg.textContent = "未能送达，请重试 · not sent; try again";
      } finally {
        row.removeAttribute("aria-busy");
      }
    }
    return row;
  }

  function taskRow(task) {
    var id = String(task.subjectId).toLowerCase();
    var open = task.openHazards || [];
    return h("li", { class: "task card", dataset: { subject: id } },
      h("div", { class: "row between top" },
        h("div", { class: "grow" }, h("div", { class: "name" }, task.name), h("div", { class: "addr" }, task.address)),
        UI.chip(task.colour)),
      h("div", { class: "meta" },
        h("span", {}, SG.zh(SG.KINDS, task.kind)),
        h("span", { class: task.overdue ? "bad" : "" }, task.overdue ? "逾期 " + task.overdueDays + " 天 overdue" : "应查 due " + task.dueOn),
        task.distanceMetres != null ? h("span", {}, task.distanceMetres + " 米 m") : null,
        task.keyHazardEnterprise ? h("span", { class: "bad" }, "重点隐患企业 Key hazard") : null,
        open.length ? h("span", {}, "未改隐患 " + open.length + " open") : null),
      (task.directed || []).map(function (d) { return h("p", { class: "hint" }, "定向 Directed: " + d.reason + "（" + d.assignedBy + "，" + d.dueOn + "前）"); }),
      h("div", { class: "actions" },
        Data.writes(UI.me) ? h("a", { class: "btn btn-inspect", href: "#/inspect/" + id }, "检查 Inspect") : null,
        h("a", { class: "btn secondary btn-subject", href: "#/subject/" + id }, open.length && Data.writes(UI.me) ? "复查 Re-inspect" : "详情 Details")));
  }

  function subjectRow(s) {
    var id = String(s.id).toLowerCase();
    return h("li", { class: "subject card", dataset: { subject: id } },
      h("div", { class: "row between top" },
        h("div", { class: "grow" }, h("div", { class: "name" }, s.name), h("div", { class: "addr" }, s.address),
          h("div", { class: "meta" }, h("span", {}, UI.kindLabel(s)), s.creditCode ? h("span", { class: "mono" }, s.creditCode) : null,
            s.pendingItem ? h("span", { class: "warn" }, "待上传 not sent yet") : null)),
        UI.chip(s.colour, s.pendingItem ? "新登记 New" : null)),
      h("div", { class: "actions" },
        Data.writes(UI.me) ? h("a", { class: "btn btn-inspect", href: "#/inspect/" + id }, "检查 Inspect") : null,
        h("a", { class: "btn secondary btn-subject", href: "#/subject/" + id }, "详情 Details")));
  }
  UI.subjectRow = subjectRow;

  // ---------------------------------------------------------------- a subject: hazards and actions
  SG.screens.subject = async function (view, args, query) {
    var t = UI.token(), me = UI.me, id = args[0];
    UI.title("检查对象", "Subject");
    view.appendChild(h("p", { class: "hint" }, "载入中… Loading…"));
    var d = await Data.subjectDetail(id);
    if (!UI.alive(t)) return;
    var editing = query && query.edit ? await Outbox.item(Number(query.edit)) : null;
    if (editing && (editing.kind !== "reinspection" || editing.state === "sent" || !SG.sameId(editing.payload.subjectId, id))) editing = null;
    if (!UI.alive(t)) return;
    SG.clear(view);
    if (!d) { view.appendChild(UI.empty("找不到该对象 · no such subject (not in this phone's copy)")); return; }
    var s = d.subject, items = await Outbox.pending(), writes = Data.writes(me);
    var pendingFor = {}, previous = {};
    items.forEach(function (it) {
      if (editing && it.id === editing.id) return;
      if (it.kind === "reinspection") it.payload.results.forEach(function (r) { pendingFor[r.hazardId.toLowerCase()] = it; });
      if (it.kind === "sync") it.payload.events.forEach(function (e) { pendingFor[e.hazardId.toLowerCase()] = it; });
    });
    if (editing) {
      var all = await Outbox.items(), byId = {};
      all.forEach(function (it) { byId[it.id] = it; });
      editing.payload.results.forEach(function (r) {
        // The photos stay: those on the phone show again, those already on the server go along.
        var photos = [], keep = [];
        (r.photos || []).forEach(function (ref) {
          var ph = byId[ref];
          if (typeof ref === "string") keep.push(ref);
          else if (ph && ph.payload && ph.payload.blobKey) {
            photos.push({ key: ph.payload.blobKey, itemId: ph.id, takenAt: ph.payload.takenAt, latitude: ph.payload.latitude, longitude: ph.payload.longitude, bytes: ph.payload.bytes });
          }
        });
        previous[r.hazardId.toLowerCase()] = { outcome: r.outcome, reason: r.reason || "", dueOn: r.dueOn || "", photos: photos, keep: keep };
      });
    }
    var closed = !!s.closedDownAt;
    view.appendChild(h("section", { class: "card" },
      h("div", { class: "row between top" }, h("h2", { id: "subject-name", class: "grow" }, s.name), h("span", { id: "subject-colour" }, UI.chip(s.colour, s.pendingItem ? "新登记 New" : null))),
      h("p", { class: "addr" }, s.address),
      h("p", { class: "meta" }, h("span", {}, UI.kindLabel(s)), s.creditCode ? h("span", { class: "mono" }, s.creditCode) : null,
        s.rooms ? h("span", {}, s.rooms + " 间 rooms") : null),
      s.party ? h("p", {}, "当事人 Party: " + s.party.name + " · " + s.party.phone) : null,
      closed ? h("p", { class: "bad" }, "已关停 Closed down " + SG.showTime(s.closedDownAt)) : null,
      d.live ? null : h("p", { class: "hint" }, "离线副本 offline copy（只含未整改隐患 open hazards only）"),
      writes ? null : h("p", { id: "read-only", class: "warn" }, "只读账号，不能检查或复查 · read-only account: no inspection or re-inspection"),
      closed || !writes ? null : h("div", { class: "actions" }, h("a", { id: "subject-inspect", class: "btn", href: "#/inspect/" + String(s.id).toLowerCase() }, "检查 Inspect"))));
    if (editing) {
      view.appendChild(h("section", { id: "reinspect-edit", class: "card" },
        h("p", { class: "warn" }, "修改被拒的复查：按隐患现在的状态重新选择结果，照片保留；提交时间为现在 · fix the refused re-inspection: choose again from each hazard's state now; the photos stay; it is dated now"),
        editing.error ? h("p", { class: "bad" }, editing.error.explain || SG.splitDetail(editing.error.detail)[0]) : null));
    }

    var openH = d.hazards.filter(function (x) { return x.state === "open" || x.state === "rectifying" || x.state === "rebound"; });
    var doneH = d.hazards.filter(function (x) { return x.state === "rectified" || x.state === "closedDown"; });
    if (editing) {
      // A hazard of the refused re-inspection shows even when it is no longer among the latest.
      var shown = {};
      openH.concat(doneH.slice(0, 20)).forEach(function (x) { shown[x.id.toLowerCase()] = true; });
      doneH = doneH.slice(0, 20).concat(doneH.slice(20).filter(function (x) { return previous[x.id.toLowerCase()] && !shown[x.id.toLowerCase()]; }));
    } else doneH = doneH.slice(0, 20);
    // Residents' reports of this subject still to verify (the phone's copy of Today's list).
    var reps = await SG.Reports.ofSubject(s.id, me);
    if (!UI.alive(t)) return;
    if (reps.length) {
      view.appendChild(h("section", { id: "subject-reports", class: "card reports-line" },
        h("h3", {}, "居民上报 Resident reports（待核实 " + reps.length + " to verify）"),
        h("ul", { class: "list" }, reps.map(function (r) {
          return h("li", { dataset: { report: String(r.id).toLowerCase() } }, (r.item || r.serviceCode) + " · " + SG.ageText(r.receivedAt, r.ageMinutes) + " ",
            writes ? h("a", { href: "#/today?report=" + encodeURIComponent(String(r.id).toLowerCase()) }, "去核实 Verify") : null);
        }))));
    }
    var rows = [];
    var section = h("section", { id: "hazard-list" }, h("h2", {}, "隐患 Hazards（未改 " + openH.length + " open）"));
    view.appendChild(section);
    if (!openH.length) section.appendChild(UI.empty("没有未整改的隐患 · no open hazards"));
    openH.concat(doneH).forEach(function (hz) {
      var row = hazardRow(hz, me, pendingFor[hz.id.toLowerCase()], s, previous[hz.id.toLowerCase()]);
      rows.push(row);
      section.appendChild(row.el);
    });
    if (rows.some(function (r) { return r.actionable; })) {
      var inspector = h("input", { id: "reinspect-inspector", value: editing ? editing.payload.inspector : (me.displayName || me.username), maxlength: 50 });
      var submit = h("button", { id: "reinspect-submit", class: "btn wide", type: "button" }, editing ? "重新提交复查 Submit again" : "提交复查 Submit re-inspection");
      var box = h("section", { class: "card" }, UI.field("inspector", "复查人 Inspector", inspector),
        h("p", { class: "msg", id: "reinspect-msg", dataset: { for: "reinspect" }, role: "alert" }), submit);
      view.appendChild(box);
      submit.addEventListener("click", function () { submitReinspection(view, s, rows, inspector, submit, editing); });
    }
    if (!closed && Data.mayOrderClosure(me)) view.appendChild(closeDownBox(s));
  };

  function hazardRow(hz, me, pending, subject, prev) {
    var id = hz.id.toLowerCase(), may = Data.mayAct(me, hz.department) && !subject.closedDownAt;
    var st = { outcome: null, photos: prev ? prev.photos.slice() : [], keep: prev ? prev.keep.slice() : [], prev: prev || null };
    var title = (hz.item && (hz.item.zh || hz.item)) || hz.itemCode;
    var el = h("div", { class: "hazard card", dataset: { hazard: id, state: hz.state } },
      h("div", { class: "name" }, title),
      h("p", { class: "meta" }, h("span", { class: "mono" }, hz.itemCode), h("span", {}, SG.zh(SG.SEVERITIES, hz.severity)),
        h("span", { class: "state-" + hz.state }, SG.STATES[hz.state] || hz.state),
        h("span", { class: hz.overdue ? "bad" : "" }, "期限 due " + hz.dueOn), h("span", {}, SG.zh(SG.DEPARTMENTS, hz.department))));
    var row = { el: el, hazard: hz, st: st, actionable: false };
    if (pending) { el.appendChild(h("p", { class: "warn" }, "已在本机记录，待上传 · recorded on this phone, not sent yet (" + pending.label + ")")); return row; }
    if (!Data.writes(me)) return row;  // a read-only account: said once, above
    if (!may) {
      if (hz.state !== "rectified" && hz.state !== "closedDown") el.appendChild(h("p", { class: "hint" }, "非本部门隐患，只能查看 · another department's hazard: read only"));
      return row;
    }
    if (hz.state === "closedDown") {
      if (prev) el.appendChild(h("p", { class: "bad prev-outcome" }, "已关停，原复查结果“" + (SG.OUTCOME_ZH[prev.outcome] || prev.outcome) + "”不再适用 · closed down; your result no longer applies"));
      return row;
    }
    var choices = hz.state === "rectified" ? [["rebound", "隐患反弹 Rebound"]] : [["rectified", "整改到位 Rectified"], ["notYet", "未整改 Not yet"]];
    if (hz.state === "rebound") choices = [["rectified", "整改到位 Rectified"], ["notYet", "仍未整改 Not yet"]];
    row.actionable = true;
    var group = h("div", { class: "seg", role: "group" });
    var reason = h("textarea", { class: "reason", rows: 2, maxlength: 2000, placeholder: "原因（必填）· reason (required)" });
    var due = h("input", { class: "due", type: "date", min: SG.today() });
    var extra = h("div", { class: "more hidden" },
      UI.field("reason-" + id, "原因 Reason", reason),
      UI.field("due-" + id, "新期限 New deadline（可不填 optional）", due));
    var photos = SG.Photos.picker("photo-" + id, st.photos, function () {});
    var photoBox = h("div", { class: "more hidden" }, photos,
      st.keep.length ? h("p", { class: "hint" }, "另有 " + st.keep.length + " 张照片已在服务器，随复查一起提交 · " + st.keep.length + " photo(s) already on the server go along") : null);
    function choose(outcome) {
      st.outcome = outcome;
      Array.prototype.forEach.call(group.children, function (x) { x.setAttribute("aria-pressed", x.getAttribute("data-outcome") === st.outcome ? "true" : "false"); });
      extra.className = "more" + (st.outcome === "notYet" || st.outcome === "rebound" ? "" : " hidden");
      due.parentNode.className = "field" + (st.outcome === "notYet" ? "" : " hidden");
      photoBox.className = "more" + (st.outcome ? "" : " hidden");
    }
    choices.forEach(function (c) {
      var b = h("button", { type: "button", class: "opt", dataset: { outcome: c[0] }, "aria-pressed": "false" }, c[1]);
      b.addEventListener("click", function () { choose(st.outcome === c[0] ? null : c[0]); });
      group.appendChild(b);
    });
    el.appendChild(group);
    el.appendChild(extra);
    el.appendChild(photoBox);
    st.reason = reason; st.due = due;
    if (prev) {
      reason.value = prev.reason;
      if (prev.dueOn) due.value = prev.dueOn;
      if (choices.some(function (c) { return c[0] === prev.outcome; })) choose(prev.outcome);
      else {
        el.appendChild(h("p", { class: "bad prev-outcome" }, "原复查结果“" + (SG.OUTCOME_ZH[prev.outcome] || prev.outcome) + "”已不适用（现为“" + (SG.STATE_ZH[hz.state] || hz.state) +
          "”），请重新选择或不选 · your result no longer applies; choose again or leave it"));
        if (st.photos.length || st.keep.length) photoBox.className = "more";
      }
    }
    if (hz.state === "open" || hz.state === "rebound") {
      var start = h("button", { type: "button", class: "btn secondary start-rect" }, "开始整改 Start rectification");
      start.addEventListener("click", async function () {
        start.disabled = true;
        var seq = await Store.nextSeq(), deviceId = await Store.deviceId();
        var payload = { deviceId: deviceId, events: [{ seq: seq, hazardId: hz.id, action: "startRectification", clientTime: SG.rfc3339(),
          actor: me.displayName || me.username, reason: null, dueOn: null }] };
        await Outbox.add("sync", payload, { label: "开始整改 Start rectification · " + title, subjectId: subject.id });
        UI.toast("已记录开始整改 · start of rectification recorded");
        Outbox.run().then(function () { SG.route(); }, function () { SG.route(); });
      });
      el.appendChild(h("div", { class: "actions" }, start));
    }
    return row;
  }

  async function submitReinspection(view, s, rows, inspector, button, editing) {
    UI.clearMsgs(view);
    var me = UI.me, chosen = rows.filter(function (r) { return r.st.outcome; }), bad = false, today = SG.today();
    if (!chosen.length) { UI.msg(view, "reinspect", "请至少为一项隐患选择复查结果 · choose a result for at least one hazard"); return; }
    if (!inspector.value.trim()) { UI.msg(view, "inspector", "请填写复查人 · who re-inspected?"); bad = true; }
    chosen.forEach(function (r) {
      var id = r.hazard.id.toLowerCase();
      if ((r.st.outcome === "notYet" || r.st.outcome === "rebound") && !r.st.reason.value.trim()) {
        UI.msg(view, "reason-" + id, "请写明原因 · a reason is required"); bad = true;
      }
      if (r.st.outcome === "notYet" && r.st.due.value) {
        if (!SG.isDay(r.st.due.value)) { UI.msg(view, "due-" + id, "日期无效 · not a date"); bad = true; }
        else if (r.st.due.value < today) { UI.msg(view, "due-" + id, "新期限不能早于今天（" + today + "）· the deadline cannot be before today"); bad = true; }
      }
    });
    if (bad) { UI.msg(view, "reinspect", "请先改正上面标红的内容 · fix the fields marked above"); return; }
    button.disabled = true;
    var deps = [], results = [];
    for (var i = 0; i < chosen.length; i++) {
      var r = chosen[i], photoIds = [];
      for (var k = 0; k < r.st.photos.length; k++) {
        var ph = r.st.photos[k], pid = ph.itemId;
        if (!pid) {
          pid = (await Outbox.add("photo", { blobKey: ph.key, takenAt: ph.takenAt, latitude: ph.latitude, longitude: ph.longitude, bytes: ph.bytes },
            { label: "复查照片 Re-inspection photo", subjectId: s.id })).id;
        }
        deps.push(pid); photoIds.push(pid);
      }
      photoIds = photoIds.concat(r.st.keep || []);
      var res = { hazardId: r.hazard.id, outcome: r.st.outcome, version: r.hazard.version || null };
      if (r.st.outcome !== "rectified") res.reason = r.st.reason.value.trim();
      if (r.st.outcome === "notYet" && r.st.due.value) res.dueOn = r.st.due.value;
      if (photoIds.length) res.photos = photoIds;
      results.push(res);
    }
    var pendingSubject = await subjectItem(s.id);
    if (pendingSubject) deps.unshift(pendingSubject);
    var payload = { subjectId: s.id, inspector: inspector.value.trim(), reinspectedAt: SG.rfc3339(), results: results };
    if (editing) {
      var before = editing.deps.slice();
      await Outbox.retry(editing.id, { payload: payload, deps: deps, note: null, blockedBy: null });
      await dropUnusedPhotos(before, deps);
      UI.toast("复查已重新提交 · re-inspection sent again");
    } else {
      await Outbox.add("reinspection", payload, { deps: deps, label: "复查 Re-inspection · " + s.name, subjectId: s.id });
      UI.toast("复查已保存 · re-inspection saved" + (Api.online ? "" : "，联网后上传 · sends when online"));
    }
    try { await Outbox.run(); } catch (e) { /* stays queued */ }
    SG.refreshSoon();
    if (editing) UI.go("#/subject/" + String(s.id).toLowerCase());
    else SG.route();
  }

  /** Photo items a fixed record no longer names (removed in the fix) leave the queue. */
  async function dropUnusedPhotos(before, after) {
    for (var i = 0; i < before.length; i++) {
      if (after.indexOf(before[i]) >= 0) continue;
      var it = await Outbox.item(before[i]);
      if (it && it.kind === "photo" && it.state !== "sent" && !(await Outbox.dependents(it.id)).length) await Outbox.remove(it.id);
    }
  }
  SG.dropUnusedPhotos = dropUnusedPhotos;

  /** The outbox id of a subject registered on this phone and not yet sent, for dependencies. */
  async function subjectItem(subjectId) {
    var items = await Outbox.items();
    for (var i = 0; i < items.length; i++) {
      var it = items[i];
      if (it.kind === "subject" && it.state !== "sent" && SG.sameId(it.payload.id, subjectId)) return it.id;
    }
    return null;
  }
  SG.subjectItem = subjectItem;

  function closeDownBox(s) {
    var reason = h("textarea", { id: "closedown-reason", rows: 3, maxlength: 2000, placeholder: "关停决定的依据 · grounds of the order" });
    var btn = h("button", { id: "closedown-submit", type: "button", class: "btn danger wide" }, "关停 Close down");
    var box = h("section", { class: "card", id: "closedown" }, h("h2", {}, "关停 Close down"),
      h("p", { class: "hint" }, "关停后该对象的未整改隐患随之关闭 · closing down closes its open hazards."),
      UI.field("closedown-reason", "原因 Reason", reason), btn);
    btn.addEventListener("click", async function () {
      UI.clearMsgs(box);
      if (!reason.value.trim()) { UI.msg(box, "closedown-reason", "请写明关停原因 · a reason is required"); return; }
      if (!confirm("确认关停“" + s.name + "”？ Close this subject down?")) return;
      btn.disabled = true;
      var me = UI.me;
      var deps = [], pendingSubject = await subjectItem(s.id);
      if (pendingSubject) deps.push(pendingSubject);
      var it = await Outbox.add("closeDown", { actor: me.displayName || me.username, reason: reason.value.trim(), occurredAt: SG.rfc3339() },
        { deps: deps, label: "关停 Close down · " + s.name, subjectId: String(s.id).toLowerCase() });
      try { await Outbox.run(); } catch (e) { /* queued */ }
      var after = await Outbox.item(it.id);
      if (after && after.state === "refused") {
        UI.msg(box, "closedown-reason", "服务器拒绝 · refused: " + after.error.detail);
        btn.disabled = false;
        await Outbox.remove(it.id);
        return;
      }
      UI.toast(after && after.state === "sent" ? "已关停 · closed down" : "已保存，联网后上传 · saved; sends when online");
      SG.refreshSoon();
      SG.route();
    });
    return box;
  }

  // ---------------------------------------------------------------- Queue
  SG.screens.queue = async function (view) {
    UI.title("待传", "Queue");
    var send = h("button", { id: "send-now", type: "button", class: "btn wide" }, "立即发送 Send now");
    var summary = h("p", { id: "queue-summary", class: "summary-line" });
    var list = h("ul", { id: "queue-list", class: "list" });
    view.appendChild(h("section", { class: "card" }, summary, send, h("p", { id: "queue-last", class: "hint" }), h("p", { id: "queue-locked", class: "hint" })));
    view.appendChild(list);
    send.addEventListener("click", async function () {
      send.disabled = true;
      send.textContent = "发送中… Sending…";
      try {
        var s = await Outbox.run();
        UI.toast(s.stopped === "offline" ? "网络不通，稍后自动重发 · offline; will retry" : "已发送 " + s.sent + " 项 · sent " + s.sent);
      } catch (e) { UI.toast("发送失败 · failed: " + e.message, "bad"); }
      send.disabled = false;
      send.textContent = "立即发送 Send now";
      SG.refreshSoon();
    });
    SG.screens.queue.refresh = async function () {
      var items = await Outbox.items(), lastSync = await Store.get("lastSync"), c = SG.queueCounts(items);
      summary.textContent = "待传 " + c.records + " 项 to send（等待 " + c.waiting + " waiting · 被拒 " + c.refused + " refused）" +
        (c.photos ? " · 照片 " + c.photos + " 张 photos" + (c.photosRefused ? "（被拒 " + c.photosRefused + "）" : "") : "") + " · 已传 " + c.sent + " sent";
      summary.setAttribute("data-records", String(c.records));
      // Another account's unsent records on this phone: only how many, never what.
      var locked = SG.queueCounts(await Outbox.othersPending()).records;
      var lockedEl = SG.$("queue-locked");
      if (lockedEl) lockedEl.textContent = locked ? "本机另有其他账号的 " + locked + " 项记录未上传，已锁定，该账号登录后上传 · " + locked +
        " record(s) of another account are locked on this phone; they go up when it signs in" : "";
      SG.$("queue-last") && (SG.$("queue-last").textContent = "上次成功同步 Last sync: " + (lastSync ? SG.showTime(lastSync) : "—"));
      SG.clear(list);
      if (!items.length) list.appendChild(UI.empty("没有待传内容 · nothing waiting"));
      items.slice().reverse().forEach(function (it) { list.appendChild(queueRow(it)); });
    };
    await SG.screens.queue.refresh();
  };

  var STATE_LABEL = { waiting: "等待 Waiting", sending: "发送中 Sending", sent: "已传 Sent", refused: "被拒 Refused" };
  function queueRow(it) {
    var li = h("li", { class: "q-item card state-" + it.state, dataset: { id: it.id, kind: it.kind, state: it.state } },
      h("div", { class: "row between top" }, h("div", { class: "grow name" }, it.label || SG.KIND_LABELS[it.kind]),
        h("span", { class: "q-state pill " + it.state }, STATE_LABEL[it.state] || it.state)),
      h("p", { class: "meta" }, h("span", {}, SG.KIND_LABELS[it.kind]), h("span", {}, "记录于 " + SG.showTime(it.createdAt)),
        it.attempts ? h("span", {}, "尝试 " + it.attempts + " 次 tries") : null,
        it.kind === "photo" && it.payload.bytes ? h("span", {}, SG.formatBytes(it.payload.bytes)) : null,
        it.sentAt ? h("span", {}, "上传于 " + SG.showTime(it.sentAt)) : null));
    if (it.blockedBy && !it.blockedBy.user && it.state === "waiting") {
      var photoRefused = it.blockedBy.state === "refused" && it.blockedBy.kind === "photo";
      li.appendChild(h("p", { class: "hint q-blocked" }, it.blockedBy.missing ? "所依赖的记录已删除 · what it depends on was deleted" :
        photoRefused ? "所附照片被服务器拒绝：删除该照片后，本记录即不带它上传 · a photo of this record was refused: delete the photo and this record goes up without it" :
        "等待前一项：" + (it.blockedBy.label || it.blockedBy.id) + (it.blockedBy.state === "refused" ? "（被拒，请先处理 refused: fix it first）" : "")));
    }
    if (it.error && it.state !== "sent") {
      var parts = SG.splitDetail(it.error.detail);
      li.appendChild(h("p", { class: "q-error " + (it.state === "refused" ? "bad" : "hint") },
        (it.state === "refused" ? "服务器拒绝 Refused: " : "") + parts[0]));
      if (parts[1] || it.error.status || it.error.field) {
        li.appendChild(h("p", { class: "q-field hint" }, "服务器 server: " + [parts[1], it.error.status ? "HTTP " + it.error.status : "",
          it.error.field && parts[1].indexOf(it.error.field) < 0 ? "字段 field: " + it.error.field : ""].filter(Boolean).join(" · ")));
      }
    }
    if (it.note) li.appendChild(h("p", { class: "hint" }, it.note));
    var actions = h("div", { class: "actions" });
    if (it.state === "refused") {
      if (it.kind === "subject") actions.appendChild(h("a", { class: "btn q-fix", href: "#/register?edit=" + it.id }, "修改 Fix"));
      if (it.kind === "inspection") actions.appendChild(h("a", { class: "btn q-fix", href: "#/inspect/" + String(it.payload.subjectId).toLowerCase() + "?edit=" + it.id }, "修改 Fix"));
      if (it.kind === "signature") actions.appendChild(h("a", { class: "btn q-fix", href: "#/sign/" + it.payload.inspectionItem + "?edit=" + it.id }, "重签 Sign again"));
      if (it.kind === "reinspection") actions.appendChild(h("a", { class: "btn q-fix", href: "#/subject/" + String(it.payload.subjectId).toLowerCase() + "?edit=" + it.id }, "修改 Fix"));
      // Sent again unchanged, a re-inspection of hazards that moved on, or a photo the server
      // cannot read, would only be refused again.
      var hopeless = (it.error && it.error.stale) || (it.kind === "photo" && it.error && (it.error.field === "photo" || it.error.status === 413));
      if (!hopeless) {
        var resend = h("button", { type: "button", class: "btn secondary q-resend" }, "重发 Resend");
        resend.addEventListener("click", async function () { await Outbox.retry(it.id); Outbox.run().catch(function () {}); });
        actions.appendChild(resend);
      }
    }
    if (it.kind === "signature" && it.state === "sent" && it.result) {
      actions.appendChild(h("a", { class: "btn secondary", href: it.result.noticeUrl }, "通知书 Notice"));
    }
    if (it.state !== "sent" && it.state !== "sending") {
      var del = h("button", { type: "button", class: "btn danger q-delete" }, it.kind === "photo" ? "删除照片 Delete photo" : "删除 Delete");
      del.addEventListener("click", async function () {
        var deps = await Outbox.dependents(it.id);
        var q = it.kind === "photo" ? "删除这张照片？其所属记录将不带此照片上传。 Delete this photo? Its record goes up without it." :
          "删除“" + (it.label || it.kind) + "”" + (deps.length ? "及依赖它的 " + deps.length + " 项" : "") + "？此操作不能撤销。 Delete" + (deps.length ? " with " + deps.length + " dependent item(s)" : "") + "?";
        if (!confirm(q)) return;
        UI.queueBusy = true;
        await Outbox.remove(it.id);
        UI.queueBusy = false;
        SG.screens.queue.refresh();
        // What waited for a deleted photo can go now.
        if (it.kind === "photo" && Api.online) Outbox.run().catch(function () {});
      });
      actions.appendChild(del);
    }
    if (actions.firstChild) li.appendChild(actions);
    return li;
  }

  // ---------------------------------------------------------------- Me
  SG.screens.me = async function (view) {
    UI.title("我的", "Me");
    var me = UI.me;
    if (!me) { SG.screens.signedOut(view); return; }
    var packAt = await Store.get("packAt"), lastSync = await Store.get("lastSync"), est = await Store.estimate();
    var subjects = (await Store.get("subjects")) || [], hazards = (await Store.get("hazards")) || [], items = await Outbox.items();
    var area = await Store.get("area");
    var info = h("dl", { id: "me-info", class: "kv" },
      h("dt", {}, "姓名 Name"), h("dd", { id: "me-name" }, me.displayName || me.username),
      h("dt", {}, "账号 Account"), h("dd", { id: "me-username" }, me.username),
      h("dt", {}, "角色 Role"), h("dd", { id: "me-role" }, SG.roleLabel(me)),
      h("dt", {}, "辖区 Area"), h("dd", {}, (area && area.area ? area.area.name + " " : "") + me.areaCode),
      me.department ? h("dt", {}, "部门 Department") : null, me.department ? h("dd", {}, SG.label(SG.DEPARTMENTS, me.department)) : null);
    var refresh = h("button", { id: "refresh-data", type: "button", class: "btn secondary wide" }, "更新离线数据 Refresh offline data");
    var form = h("form", { id: "logout-form", method: "post", action: "/logout" },
      h("input", { type: "hidden", name: "_csrf", value: Api.csrf || "" }),
      h("button", { id: "logout", type: "submit", class: "btn danger wide" }, "退出登录 Sign out"));
    var pendingN = SG.queueCounts(items.filter(function (i) { return i.state !== "sent"; })).records;
    // Signing out forgets the area's data (the parties' phone numbers, tasks); this account's
    // unsent records stay on the phone, locked to it, when the person chooses so.
    var warn = h("section", { id: "logout-warn", class: "card warn-box hidden", role: "alertdialog" });
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      if (!Api.online || navigator.onLine === false) { UI.toast("离线时不能退出 · sign out when online", "bad"); return; }
      var unsent = await Outbox.pending();
      if (!unsent.length) { await signOut(form); return; }
      var c = SG.queueCounts(unsent), n = c.records || unsent.length;
      SG.clear(warn);
      var send = h("button", { id: "logout-send", type: "button", class: "btn wide" }, c.refused && !c.waiting ? "先去待传处理 Open the queue first" : "先发送 Send them first");
      var keep = h("button", { id: "logout-keep", type: "button", class: "btn danger wide" }, "保留在本机并退出 Keep them locked and sign out");
      var cancel = h("button", { id: "logout-cancel", type: "button", class: "btn secondary wide" }, "取消 Cancel");
      warn.appendChild(h("p", { class: "warn" }, "还有 " + n + " 项未上传" + (c.refused ? "（其中被拒 " + c.refused + " 项）" : "") + "。"));
      warn.appendChild(h("p", {}, "退出后它们锁定保存在本机：其他账号看不到，也不能发送、修改或删除；" + me.username + " 再次登录后继续上传。本机的辖区数据（检查对象、当事人电话、任务）将被清除。"));
      warn.appendChild(h("p", { class: "hint" }, n + " item(s) not sent. They stay on this phone locked to " + me.username +
        ": other accounts cannot see, send, change or delete them; they go up when " + me.username + " signs in again. The area's data on this phone is erased."));
      warn.appendChild(send); warn.appendChild(keep); warn.appendChild(cancel);
      warn.className = "card warn-box";
      warn.scrollIntoView({ block: "center" });
      send.addEventListener("click", function () { UI.go("#/queue"); Outbox.run().catch(function () {}); });
      keep.addEventListener("click", function () { keep.disabled = true; signOut(form); });
      cancel.addEventListener("click", function () { warn.className = "card warn-box hidden"; });
    });
    refresh.addEventListener("click", async function () {
      refresh.disabled = true; refresh.textContent = "更新中… Refreshing…";
      try { await Data.refresh(me); UI.toast("离线数据已更新 · offline data refreshed"); } catch (e) {
        UI.toast(e.network ? "离线，无法更新 · offline" : "更新失败 · failed: " + (e.problem ? SG.problemDetail(e.status, e.problem) : e.message), "bad");
      }
      SG.route();
    });
    view.appendChild(h("section", { class: "card" }, info));
    view.appendChild(h("section", { class: "card" },
      h("dl", { class: "kv" },
        h("dt", {}, "上次同步 Last sync"), h("dd", { id: "last-sync" }, lastSync ? SG.showTime(lastSync) : "—"),
        h("dt", {}, "离线数据 Offline data"), h("dd", { id: "pack-at" }, packAt ? SG.showTime(packAt) + " · " + subjects.length + " 家对象 subjects · " + hazards.length + " 项隐患 hazards" : "—"),
        h("dt", {}, "本机占用 Cache size"), h("dd", { id: "cache-size" }, SG.formatBytes(est.usage) + (est.quota ? " / " + SG.formatBytes(est.quota) : "")),
        h("dt", {}, "待传 Waiting"), h("dd", {}, String(pendingN)),
        h("dt", {}, "存储 Storage"), h("dd", { id: "storage-kind" }, Store.kind() + (navigator.serviceWorker && navigator.serviceWorker.controller ? " · 离线外壳 offline shell ✓" : " · 无离线外壳 no offline shell"))),
      refresh));
    view.appendChild(form);
    view.appendChild(warn);
  };

  /** Forgets what this account downloaded and who is signed in, then ends the session. */
  async function signOut(form) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    try {
      if (!Api.csrf) await Api.me();
      form.querySelector("input[name=_csrf]").value = Api.csrf || "";
      await Data.forgetArea();
      await Store.del("me");
    } catch (e) { console.warn("sign-out", e); }
    UI.me = null;
    // Nothing of the account stays on screen (nor in a page the back button restores).
    var view = SG.$("view");
    SG.clear(view);
    view.appendChild(h("p", { class: "hint" }, "正在退出… Signing out…"));
    form.className = "hidden";
    view.appendChild(form);  // a form submits only while in the page
    form.submit();
  }

  SG.screens.signedOut = function (view) {
    UI.title("智查", "SafeGrid");
    view.appendChild(h("section", { class: "card" },
      h("p", { class: "big" }, "请先登录 · Please sign in"),
      h("p", {}, navigator.onLine === false ? "当前离线：联网后登录，本机已保存的记录不会丢失 · offline: sign in when online; nothing saved on this phone is lost." : ""),
      h("a", { id: "login-link", class: "btn wide", href: "/login?next=/field/" }, "登录 Sign in")));
  };

  // ---------------------------------------------------------------- start-up
  var refreshTimer = null;
  SG.refreshSoon = function () {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      if (!UI.me || !Api.online) return;
      Data.refresh(UI.me).then(function () { if (UI.onData) UI.onData(); }, function () {});
    }, 1500);
  };

  /** A read-only account (viewer) gets no Register tab. */
  function showRole() {
    var tab = SG.$("tab-register");
    if (tab) tab.classList.toggle("hidden", !!(UI.me && !Data.writes(UI.me)));
  }

  function goLogin() {
    if (navigator.onLine === false || UI.redirecting) return;
    UI.redirecting = true;
    location.href = "/login?next=/field/";
  }

  async function boot() {
    await Store.open();
    // In-app browsers (WeChat, DingTalk) may have no service worker: the app then works online
    // and keeps its data all the same; only opening it without a network needs the worker.
    try {
      if (navigator.serviceWorker && navigator.serviceWorker.register && window.isSecureContext !== false) {
        navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).catch(function (e) { console.warn("service worker", e); });
      }
    } catch (e) { console.warn("service worker", e); }
    UI.me = (await Store.get("me")) || null;
    showNet();
    Outbox.onChange(function () { updateBadge(); });
    Api.on("online", function () { showNet(); });
    Api.on("unauthorized", function () { UI.me = null; Api.csrf = null; Store.del("me"); goLogin(); });
    window.addEventListener("online", function () { Api.setOnline(true); showNet(); Outbox.run().then(SG.refreshSoon, function () {}); });
    window.addEventListener("offline", function () { Api.setOnline(false); showNet(); });
    window.addEventListener("hashchange", route);
    // A page kept by the back/forward cache after a sign-out (or another account's sign-in) starts anew.
    window.addEventListener("pageshow", function (e) {
      if (!e.persisted) return;
      Store.get("me").then(function (m) { if ((m && m.username) !== (UI.me && UI.me.username)) location.reload(); });
    });
    // Items left "sending" by a reload are sent again.
    (await Store.items()).forEach(function (it) { if (it.state === "sending") { it.state = "waiting"; Store.putItem(it); } });
    SG.clockOffset = (await Store.get("clockOffset")) || 0;
    // Drafts of an older version were kept for the phone, not per account: they go to the
    // account that was signed in.
    if (UI.me) {
      var kvs = await Store.kvAll();
      for (var i = 0; i < kvs.length; i++) {
        var m = /^draft:(register|inspect:.+)$/.exec(String(kvs[i].key));
        if (m) { await Store.set(SG.draftKey(UI.me, m[1]), kvs[i].value); await Store.del(kvs[i].key); }
      }
    }
    try { await Outbox.sweepPhotos(); } catch (e) { console.warn("sweep", e); }
    var fresh = null, before = UI.me;
    if (navigator.onLine !== false) {
      try { fresh = await Api.me(); if (!fresh) { UI.me = null; goLogin(); } } catch (e) { /* offline or server down: the cached account */ }
    }
    if (fresh) {
      // Another account than the one whose data this phone holds: that data goes (its queue
      // stays, hidden and locked, for its owner).
      var owner = (await Store.get("packUser")) || (before && before.username) || null;
      if (owner && owner !== fresh.username) await Data.forgetArea();
      UI.me = fresh;
    }
    showRole();
    route();
    updateBadge();
    if (fresh) {
      var packAt = await Store.get("packAt"), stale = !packAt || SG.today(new Date(packAt)) !== SG.today() || Date.now() - packAt > 30 * 60000;
      if (stale || UI.me.username !== ((await Store.get("packUser")) || UI.me.username)) {
        Data.refresh(UI.me).then(function () { if (UI.onData) UI.onData(); }, function (e) { console.warn("refresh", e); });
      }
      Outbox.run().catch(function () {});
      Outbox.prune().catch(function () {});
    }
    setInterval(function () {
      if (navigator.onLine === false) return;
      Outbox.pending().then(function (p) {
        if (p.some(function (it) { return it.state === "waiting"; })) Outbox.run().then(function (s) { if (s.sent) SG.refreshSoon(); }, function () {});
      });
    }, 30000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden && navigator.onLine !== false) Outbox.run().catch(function () {}); });
  }
  SG.boot = boot;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})(typeof window !== "undefined" ? window : this);
