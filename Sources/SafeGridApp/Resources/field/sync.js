/* SafeGrid field app: the server (API calls with the session cookie and its CSRF token), the
   offline data of the day (account, checklist, task list, the area's subjects and open hazards)
   and the outbox — everything recorded on the phone, sent in order and idempotently. */
(function (global) {
  "use strict";
  var SG = global.SG, Store = SG.Store;

  // ---------------------------------------------------------------- API
  function NetError(msg) { this.network = true; this.message = msg || "network"; }

  var Api = SG.Api = {
    csrf: null,
    online: navigator.onLine !== false,
    /** Resolves {status, ok, json, problem}; rejects with {network: true} when the server was not reached. */
    call: function (method, path, body, opts) {
      opts = opts || {};
      var headers = { "Accept": "application/json" };
      var init = { method: method, credentials: "same-origin", headers: headers, cache: "no-store" };
      if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = Api.csrf || "";
      if (body instanceof Blob) {
        headers["Content-Type"] = opts.contentType || body.type || "application/octet-stream";
        init.body = body;
      } else if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      var controller = global.AbortController ? new AbortController() : null;
      if (controller) init.signal = controller.signal;
      var timer = setTimeout(function () { if (controller) controller.abort(); }, opts.timeout || 45000);
      var sentAt = Date.now();
      return fetch(path, init).then(function (r) {
        clearTimeout(timer);
        Api.setOnline(true);
        var date = Date.parse(r.headers.get("Date") || "");
        if (!isNaN(date) && Date.now() - sentAt < 5000) {
          var offset = date + 500 - Date.now();
          if (Math.abs(offset - SG.clockOffset) > 30000) { SG.clockOffset = offset; Store.set("clockOffset", offset); }
        }
        var type = r.headers.get("Content-Type") || "";
        var parse = type.indexOf("json") >= 0 ? r.json().catch(function () { return null; }) : r.text().then(function () { return null; });
        return parse.then(function (j) {
          var res = { status: r.status, ok: r.ok, json: j, problem: null, redirected: r.redirected };
          if (!r.ok) res.problem = j && typeof j === "object" ? j : { status: r.status, detail: "HTTP " + r.status };
          if (r.status === 401) Api.emit("unauthorized", res);
          return res;
        });
      }, function (e) {
        clearTimeout(timer);
        Api.setOnline(false);
        throw new NetError(e && e.message);
      });
    },
    get: function (path) { return Api.call("GET", path); },
    /** GET that must succeed (rejects with the result otherwise). */
    json: function (path) {
      return Api.get(path).then(function (r) { if (!r.ok) throw r; return r.json; });
    },
    listeners: {},
    on: function (t, fn) { (Api.listeners[t] = Api.listeners[t] || []).push(fn); },
    emit: function (t, x) { (Api.listeners[t] || []).forEach(function (fn) { try { fn(x); } catch (e) { console.error(e); } }); },
    setOnline: function (v) {
      if (Api.online === v) return;
      Api.online = v;
      Api.emit("online", v);
    },
    /** The signed-in account (with its CSRF token); null on 401. */
    me: function () {
      return Api.get("/api/v1/auth/me").then(function (r) {
        if (r.status === 401) return null;
        if (!r.ok) throw r;
        var me = r.json;
        if (me.csrfToken) Api.csrf = me.csrfToken;
        Api.user = me.username;
        return Store.set("me", me).then(function () { return me; });
      });
    }
  };
  SG.problemText = function (p) {
    if (!p) return "";
    var t = p.detail || p.title || ("HTTP " + p.status);
    if (p.field) t += "（" + p.field + "）";
    if (p["invalid-params"] && p["invalid-params"].length) {
      t += " " + p["invalid-params"].map(function (x) { return (x.name || "") + ": " + (x.reason || ""); }).join("; ");
    }
    return t;
  };

  // ---------------------------------------------------------------- the day's offline data
  async function pages(path, max) {
    var out = [], total = Infinity;
    for (var page = 1; page <= max && out.length < total; page++) {
      var j = await Api.json(path + (path.indexOf("?") >= 0 ? "&" : "?") + "per=200&page=" + page);
      out = out.concat(j.items || []);
      total = j.total || 0;
      if (!j.items || !j.items.length) break;
    }
    return out;
  }

  var Data = SG.Data = {
    /** Account role helpers. */
    carriesTasks: function (me) { return me && (me.role === "gridWorker" || me.role === "microGridWorker"); },
    mayOrderClosure: function (me) {
      return me && (me.role === "townAdmin" || me.role === "districtAdmin" || (me.role === "departmentInspector" && me.department === "comprehensiveEnforcement"));
    },
    mayAct: function (me, department) {
      if (!me || me.role === "viewer") return false;
      return me.role !== "departmentInspector" || me.department === department;
    },
    writes: function (me) { return me && me.role !== "viewer"; },

    /** Downloads the day's pack. Each part is stored as it arrives; a failure leaves the older copy. */
    refresh: async function (me, position) {
      var area = me.areaCode, t0 = Date.now();
      var checklist = await Api.json("/api/v1/checklists/current");
      await Store.set("checklist", checklist);
      var areaInfo = await Api.json("/api/v1/areas/" + encodeURIComponent(area));
      await Store.set("area", areaInfo);
      await Store.set("areaChildren:" + area, areaInfo.children || []);
      if (Data.carriesTasks(me)) await Data.refreshTasks(position);
      // A grid's or micro-grid's whole pack; above that (village, town) the first 1,000 of each,
      // and search asks the server.
      var max = area.length >= 14 ? 10 : 5;
      var subjects = await pages("/api/v1/subjects?areaCode=" + encodeURIComponent(area), max);
      await Store.set("subjects", subjects);
      var hazards = await pages("/api/v1/hazards?areaCode=" + encodeURIComponent(area) + "&state=open,rectifying,rebound", max);
      await Store.set("hazards", hazards);
      var at = Date.now();
      await Store.set("packAt", at);
      await Store.set("packMs", at - t0);
      return at;
    },
    refreshTasks: async function (position) {
      var q = position ? "?latitude=" + position.latitude.toFixed(6) + "&longitude=" + position.longitude.toFixed(6) : "";
      var tasks = await Api.json("/api/v1/tasks" + q);
      tasks.fetchedAt = Date.now();
      tasks.positioned = !!position;
      await Store.set("tasks", tasks);
      return tasks;
    },
    /** Children of an area (micro-grids of a grid), cached. */
    children: async function (code) {
      var key = "areaChildren:" + code, cached = await Store.get(key);
      if (cached) return cached;
      var j = await Api.json("/api/v1/areas/" + encodeURIComponent(code));
      await Store.set(key, j.children || []);
      return j.children || [];
    },
    /** Subjects of the pack and those registered on this phone and not yet sent. */
    localSubjects: async function () {
      var subjects = (await Store.get("subjects")) || [];
      var items = await Store.items();
      var known = {};
      subjects.forEach(function (s) { known[s.id.toLowerCase()] = true; });
      var pending = [];
      items.forEach(function (it) {
        if (it.kind !== "subject") return;
        var s = it.result || it.payload;
        if (known[String(s.id).toLowerCase()]) return;
        pending.push(Data.subjectFromPayload(it));
      });
      return pending.concat(subjects);
    },
    subjectFromPayload: function (it) {
      var p = it.payload;
      return {
        id: p.id, kind: p.kind, name: p.name, address: p.address, creditCode: p.creditCode || null, rooms: p.rooms || null,
        parentId: p.parentId || null, microGridCode: p.microGridCode, party: { name: p.party.name, phone: p.party.phone },
        location: p.location || null, colour: null, pendingItem: it.state === "sent" ? null : it.id, factoryInFactory: !!p.parentId
      };
    },
    findSubject: async function (id) {
      var all = await Data.localSubjects();
      for (var i = 0; i < all.length; i++) if (SG.sameId(all[i].id, id)) return all[i];
      var tasks = await Store.get("tasks");
      if (tasks) for (var k = 0; k < tasks.tasks.length; k++) {
        var t = tasks.tasks[k];
        if (SG.sameId(t.subjectId, id)) return { id: t.subjectId, kind: t.kind, name: t.name, address: t.address, colour: t.colour, party: null };
      }
      return null;
    },
    /** Online: the server's subject with all its hazards; offline: the pack's copy. */
    subjectDetail: async function (id) {
      var local = await Data.findSubject(id);
      if (local && local.pendingItem) {
        // Registered on this phone and not sent yet: the server does not know it.
        return { subject: local, hazards: [], live: false };
      }
      try {
        var r = await Api.get("/api/v1/subjects/" + encodeURIComponent(id));
        if (r.ok) return { subject: r.json.subject, hazards: r.json.hazards, live: true };
        if (r.status !== 404) throw r;
      } catch (e) {
        if (!e.network) throw e;
      }
      if (!local) return null;
      var hazards = ((await Store.get("hazards")) || []).filter(function (h) { return SG.sameId(h.subjectId, id); });
      return { subject: local, hazards: hazards, live: false };
    },
    search: function (list, q) {
      q = SG.halfWidth(q || "").trim().toLowerCase();
      if (!q) return [];
      return list.filter(function (s) {
        return (s.name || "").toLowerCase().indexOf(q) >= 0 || (s.address || "").toLowerCase().indexOf(q) >= 0 ||
          (s.creditCode || "").toLowerCase().indexOf(q) >= 0;
      });
    }
  };

  // ---------------------------------------------------------------- the outbox
  // An item: {id, kind, state: waiting|sending|sent|refused, deps: [ids], label, subjectId,
  //           payload, result, error: {status, detail, field}, attempts, createdAt, sentAt, draft}
  var KINDS = {
    photo: "照片 Photo", subject: "登记 Subject", inspection: "检查 Inspection", signature: "签名 Signature",
    reinspection: "复查 Re-inspection", sync: "开始整改 Start rectification", closeDown: "关停 Close down"
  };
  SG.KIND_LABELS = KINDS;

  function refused(status, detail, field, problem) {
    return { state: "refused", error: { status: status, detail: detail, field: field || null, problem: problem || null } };
  }
  function fromProblem(r) {
    var p = r.problem || {};
    return refused(r.status, SG.problemText(p) || ("HTTP " + r.status), p.field, p);
  }
  function transient(r) { return r.status >= 500 || r.status === 429 || r.status === 408 || r.status === 0; }

  /** Photo ids of photo items this item names, in place of the local ids (numbers). */
  function resolvePhotos(list, byId) {
    return (list || []).map(function (ref) {
      if (typeof ref === "string") return ref;
      var it = byId[ref];
      if (!it || it.state !== "sent" || !it.result || !it.result.id) throw { blocked: true };
      return it.result.id;
    });
  }

  var senders = {
    photo: async function (it) {
      var p = it.payload, blob = await Store.getBlob(p.blobKey);
      if (!blob) return refused(0, "照片文件已不在手机上 · the photo is no longer on the phone", "photo");
      var q = [];
      if (p.takenAt) q.push("takenAt=" + encodeURIComponent(p.takenAt));
      if (p.latitude != null && p.longitude != null) {
        q.push("latitude=" + encodeURIComponent(p.latitude));
        q.push("longitude=" + encodeURIComponent(p.longitude));
      }
      var r = await Api.call("POST", "/api/v1/photos" + (q.length ? "?" + q.join("&") : ""), blob, { contentType: "image/jpeg", timeout: 120000 });
      if (r.status === 200 || r.status === 201) return { state: "sent", result: { id: r.json.id, url: r.json.url, byteCount: r.json.byteCount } };
      return r;
    },
    subject: async function (it) {
      var r = await Api.call("POST", "/api/v1/subjects", it.payload);
      if (r.status === 200 || r.status === 201) return { state: "sent", result: r.json };
      if (r.status === 409 && it.attempts > 1) {
        // A replay whose first answer was lost: the subject is there under our id.
        var g = await Api.get("/api/v1/subjects/" + it.payload.id);
        if (g.ok) return { state: "sent", result: g.json.subject, note: "已在服务器 already stored" };
      }
      return r;
    },
    inspection: async function (it, byId) {
      var body = JSON.parse(JSON.stringify(it.payload));
      body.results.forEach(function (res) { if (res.photos) res.photos = resolvePhotos(res.photos, byId); });
      var r = await Api.call("POST", "/api/v1/inspections", body);
      if (r.status === 200 || r.status === 201) {
        var j = r.json;
        return { state: "sent", result: { id: j.id, clientId: j.clientId, subjectId: j.subjectId, subjectColour: j.subjectColour,
          hazards: (j.hazards || []).map(function (h) { return { id: h.id, itemCode: h.itemCode, dueOn: h.dueOn, severity: h.severity, state: h.state }; }) } };
      }
      return r;
    },
    signature: async function (it, byId) {
      var insp = byId[it.payload.inspectionItem];
      var inspectionId = it.payload.inspectionId || (insp && insp.result && insp.result.id);
      if (!inspectionId) throw { blocked: true };
      var r = await Api.call("POST", "/api/v1/inspections/" + inspectionId + "/signature", it.payload.body);
      if (r.status === 200 || r.status === 201) {
        return { state: "sent", result: { inspectionId: inspectionId, noticeUrl: r.json.noticeUrl, smsQueued: r.json.smsQueued, noticeNumber: r.json.noticeNumber } };
      }
      if (r.status === 409) {
        // Signed already (our own earlier attempt whose answer was lost, or the web page).
        return { state: "sent", note: "此前已签 signed before", result: { inspectionId: inspectionId, noticeUrl: "/inspections/" + String(inspectionId).toLowerCase() + "/notice", smsQueued: null } };
      }
      return r;
    },
    reinspection: async function (it, byId) {
      var body = JSON.parse(JSON.stringify(it.payload));
      body.results.forEach(function (res) { if (res.photos) res.photos = resolvePhotos(res.photos, byId); });
      var r = await Api.call("POST", "/api/v1/reinspections", body);
      if (r.ok) return { state: "sent", result: { colour: r.json.subject && r.json.subject.colour } };
      if (r.status === 409 && it.attempts > 1) {
        // Versions moved: was it our own earlier attempt? Then every hazard is where we sent it.
        var g = await Api.get("/api/v1/subjects/" + body.subjectId);
        if (g.ok) {
          var want = { rectified: "rectified", rebound: "rebound" }, byHazard = {};
          g.json.hazards.forEach(function (h) { byHazard[h.id.toLowerCase()] = h; });
          var done = body.results.every(function (res) {
            var h = byHazard[res.hazardId.toLowerCase()];
            if (!h) return false;
            if (want[res.outcome]) return h.state === want[res.outcome];
            return res.version != null && h.version > res.version;
          });
          if (done) return { state: "sent", note: "已在服务器 already applied", result: { colour: g.json.subject.colour } };
        }
      }
      return r;
    },
    sync: async function (it) {
      var r = await Api.call("POST", "/api/v1/sync", it.payload);
      if (!r.ok) return r;
      var bad = (r.json || []).filter(function (x) { return x.status === "rejected"; });
      if (bad.length) return refused(r.status, bad.map(function (x) { return x.reason; }).join("; "), "events");
      return { state: "sent", result: r.json };
    },
    closeDown: async function (it) {
      var r = await Api.call("POST", "/api/v1/subjects/" + it.subjectId + "/close-down", it.payload);
      if (r.ok) return { state: "sent", result: { colour: r.json.subject.colour, closedDownAt: r.json.subject.closedDownAt } };
      if (r.status === 409 && it.attempts > 1) {
        var g = await Api.get("/api/v1/subjects/" + it.subjectId);
        if (g.ok && g.json.subject.closedDownAt) return { state: "sent", note: "已关停 already closed", result: { closedDownAt: g.json.subject.closedDownAt } };
      }
      return r;
    }
  };

  var Outbox = SG.Outbox = {
    running: null,
    listeners: [],
    onChange: function (fn) { Outbox.listeners.push(fn); },
    changed: function () { Outbox.listeners.forEach(function (fn) { try { fn(); } catch (e) { console.error(e); } }); },
    /** Adds an item (stored before this resolves). */
    add: async function (kind, payload, opts) {
      opts = opts || {};
      var id = await Store.nextId();
      var me = (await Store.get("me")) || {};
      var item = { id: id, kind: kind, state: "waiting", deps: opts.deps || [], user: me.username || null, label: opts.label || KINDS[kind], subjectId: opts.subjectId || null,
        payload: payload, result: null, error: null, attempts: 0, createdAt: Date.now(), sentAt: null, draft: opts.draft || null };
      await Store.putItem(item);
      Outbox.changed();
      return item;
    },
    pending: async function () {
      return (await Store.items()).filter(function (it) { return it.state !== "sent"; });
    },
    /** Sends what can be sent, oldest first. One run at a time; resolves a summary. */
    run: function () {
      if (Outbox.running) return Outbox.running;
      Outbox.running = runOnce().then(function (s) { Outbox.running = null; Outbox.changed(); return s; },
        function (e) { Outbox.running = null; Outbox.changed(); throw e; });
      return Outbox.running;
    },
    /** Removes an item and every item that depends on it; a photo is only taken out of the
        records that name it (they go up without it). */
    remove: async function (id) {
      var items = await Store.items(), gone = {}, changed = true;
      var target = items.filter(function (it) { return it.id === id; })[0];
      if (target && target.kind === "photo") {
        for (var u = 0; u < items.length; u++) {
          var user = items[u];
          if (user.deps.indexOf(id) < 0 || user.state === "sent") continue;
          user.deps = user.deps.filter(function (d) { return d !== id; });
          ((user.payload && user.payload.results) || []).forEach(function (r) {
            if (r.photos) { r.photos = r.photos.filter(function (p) { return p !== id; }); if (!r.photos.length) delete r.photos; }
          });
          if (user.draft && user.draft.answers) {
            Object.keys(user.draft.answers).forEach(function (c) {
              var a = user.draft.answers[c];
              if (a.photos) a.photos = a.photos.filter(function (p) { return p.key !== target.payload.blobKey; });
            });
          }
          user.blockedBy = null;
          await Store.putItem(user);
        }
        if (target.payload.blobKey) await Store.delBlob(target.payload.blobKey);
        await Store.delItem(id);
        Outbox.changed();
        return 1;
      }
      gone[id] = true;
      while (changed) {
        changed = false;
        items.forEach(function (it) {
          if (!gone[it.id] && it.state !== "sent" && it.deps.some(function (d) { return gone[d]; })) { gone[it.id] = true; changed = true; }
        });
      }
      // Photos used only by removed items go too.
      items.forEach(function (it) {
        if (it.kind !== "photo" || gone[it.id] || it.state === "sent") return;
        var users = items.filter(function (o) { return o.deps.indexOf(it.id) >= 0; });
        if (users.length && users.every(function (o) { return gone[o.id]; })) gone[it.id] = true;
      });
      for (var i = 0; i < items.length; i++) {
        var it = items[i];
        if (!gone[it.id]) continue;
        if (it.kind === "photo" && it.payload.blobKey) await Store.delBlob(it.payload.blobKey);
        await Store.delItem(it.id);
      }
      Outbox.changed();
      return Object.keys(gone).length;
    },
    dependents: async function (id) {
      var items = await Store.items();
      return items.filter(function (it) { return it.deps.indexOf(id) >= 0 && it.state !== "sent"; });
    },
    /** Puts a refused item back in the queue (after a fix, or as it is). */
    retry: async function (id, changes) {
      var it = await Store.item(id);
      if (!it) return null;
      if (changes) Object.keys(changes).forEach(function (k) { it[k] = changes[k]; });
      it.state = "waiting"; it.error = null; it.attempts = 0;
      await Store.putItem(it);
      Outbox.changed();
      return it;
    },
    /** Photos on the phone that no queued record and no draft names (a form left unsent). */
    sweepPhotos: async function () {
      var used = {}, items = await Store.items(), kv = await Store.kvAll();
      items.forEach(function (it) { if (it.kind === "photo" && it.payload.blobKey) used[it.payload.blobKey] = true; });
      kv.forEach(function (e) {
        var v = e.value;
        if (String(e.key).indexOf("draft:") !== 0 || !v || !v.answers) return;
        Object.keys(v.answers).forEach(function (c) { (v.answers[c].photos || []).forEach(function (p) { used[p.key] = true; }); });
      });
      var keys = await Store.blobKeys(), n = 0;
      for (var i = 0; i < keys.length; i++) if (!used[keys[i]]) { await Store.delBlob(keys[i]); n++; }
      return n;
    },
    /** Sent items older than a week are forgotten, with their photos. */
    prune: async function () {
      var items = await Store.items(), cutoff = Date.now() - 7 * 86400000;
      for (var i = 0; i < items.length; i++) {
        var it = items[i];
        if (it.state === "sent" && it.sentAt && it.sentAt < cutoff) {
          if (it.kind === "photo" && it.payload.blobKey) await Store.delBlob(it.payload.blobKey);
          await Store.delItem(it.id);
        }
      }
    }
  };

  async function runOnce() {
    var items = await Store.items();
    var byId = {}, summary = { sent: 0, refused: 0, waiting: 0, stopped: null };
    items.forEach(function (it) { byId[it.id] = it; });
    // An item left "sending" by a reload or a dead battery is sent again (same ids).
    if (!Api.csrf && items.some(function (it) { return it.state !== "sent" && it.state !== "refused"; })) {
      try { var me = await Api.me(); if (!me) { summary.stopped = "unauthorized"; return summary; } } catch (e) {
        summary.stopped = e.network ? "offline" : "error"; return summary;
      }
    }
    var csrfRetried = false;
    for (var i = 0; i < items.length; i++) {
      var it = items[i];
      if (it.state === "sent" || it.state === "refused") continue;
      var blockedBy = null;
      if (it.user && Api.user && it.user !== Api.user) {
        // Recorded under another account on this phone: it goes up when that account signs in.
        blockedBy = { user: it.user };
      }
      for (var d = 0; !blockedBy && d < it.deps.length; d++) {
        var dep = byId[it.deps[d]];
        if (!dep) { blockedBy = { id: it.deps[d], missing: true }; break; }
        if (dep.state !== "sent") { blockedBy = { id: dep.id, state: dep.state, label: dep.label }; break; }
      }
      if (blockedBy) {
        if (JSON.stringify(it.blockedBy || null) !== JSON.stringify(blockedBy)) { it.blockedBy = blockedBy; await Store.putItem(it); }
        summary.waiting++;
        continue;
      }
      it.blockedBy = null;
      it.state = "sending"; it.attempts = (it.attempts || 0) + 1; it.lastTriedAt = Date.now();
      await Store.putItem(it);
      Outbox.changed();
      var out;
      try {
        out = await senders[it.kind](it, byId);
      } catch (e) {
        it.state = "waiting";
        if (e && e.blocked) { await Store.putItem(it); summary.waiting++; continue; }
        it.error = { status: 0, detail: "网络不通，稍后自动重发 · offline; will resend", transient: true };
        await Store.putItem(it);
        summary.stopped = "offline";
        break;
      }
      if (out && out.status !== undefined && out.state === undefined) {
        var r = out;
        if (r.status === 401) {
          it.state = "waiting"; it.error = { status: 401, detail: "登录已过期，请重新登录 · signed out; sign in again", transient: true };
          await Store.putItem(it);
          summary.stopped = "unauthorized";
          break;
        }
        if (r.status === 403 && !csrfRetried && /CSRF/i.test(SG.problemText(r.problem))) {
          csrfRetried = true;
          it.state = "waiting"; it.attempts--;
          await Store.putItem(it);
          try { await Api.me(); } catch (e) { summary.stopped = "offline"; break; }
          i--; // the same item again with the fresh token
          continue;
        }
        if (transient(r)) {
          it.state = "waiting"; it.error = { status: r.status, detail: "服务器暂时无法处理，稍后重发 · server busy; will resend (" + SG.problemText(r.problem) + ")", transient: true };
          await Store.putItem(it);
          summary.stopped = "server";
          break;
        }
        out = fromProblem(r);
      }
      it.state = out.state;
      it.error = out.error || null;
      if (out.state === "sent") { it.result = out.result; it.sentAt = Date.now(); it.note = out.note || null; summary.sent++; }
      else summary.refused++;
      await Store.putItem(it);
      Outbox.changed();
    }
    if (summary.sent) await Store.set("lastSync", Date.now());
    await Store.set("lastSyncTry", Date.now());
    if (summary.stopped === "unauthorized") Api.emit("unauthorized", { status: 401 });
    return summary;
  }
})(typeof window !== "undefined" ? window : this);
