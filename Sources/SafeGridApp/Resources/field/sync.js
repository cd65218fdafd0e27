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
  var STATE_ZH = { open: "未整改", rectifying: "整改中", rectified: "整改到位", rebound: "隐患反弹", closedDown: "已关停" };
  SG.STATE_ZH = STATE_ZH;
  /** What a refusal means for the person in the field (zh · en), from its status and field;
      null when there is nothing better to say than the server's own text. */
  SG.problemZh = function (status, p) {
    p = p || {};
    var f = String(p.field || ""), d = String(p.detail || p.title || ""), base = f.replace(/^results\[\d+\]\./, "");
    var st = p.currentState && STATE_ZH[p.currentState];
    if (status === 401) return "登录已过期，请重新登录 · your session ended; sign in again";
    if (status === 403) {
      if (/CSRF/i.test(d)) return "页面已过期，请刷新后重试 · the page expired; reload and try again";
      return "本账号无权进行此操作（角色、部门或辖区不符）· this account may not do this (role, department or area)";
    }
    if (status === 404) return "服务器上找不到该记录（可能已删除，或不在本账号辖区）· not found on the server (deleted, or outside this account's area)";
    if (status === 413) return "照片太大，服务器不接受（最大 10 MB），请删除此照片 · the photo is too large for the server (10 MB); delete it";
    if (status === 409) {
      if (base === "version") return "该隐患已被他人更新" + (st ? "（现为“" + st + "”）" : "") + "，本机的是旧版本 · the hazard changed on the server after this phone's copy";
      if (base === "outcome" || base === "action") return "该隐患现为“" + (st || p.currentState || "?") + "”，不能再这样处理 · not possible in the hazard's current state";
      if (f === "creditCode") return "该统一社会信用代码已登记（可能在其他网格），请核对营业执照 · a subject with this credit code already exists";
      return "与服务器上的记录冲突 · conflicts with the server's record";
    }
    if (status === 422 || status === 400) {
      if (/photos\[\d+\]$/.test(f) || /uploaded by you/.test(d)) return "所附照片不在服务器上（未由本账号上传），请在“修改”中删除该照片后重发 · a photo of this record is not on the server under this account; remove it and send again";
      if (f === "photo") return "服务器无法使用这张照片（不是 JPG/PNG/HEIC、已损坏或超过 10 MB），请删除此照片，所属记录将不带它上传 · the server cannot use this photo; delete it and its record goes up without it";
      if (/in the future/.test(d)) return "时间晚于服务器当前时间，请检查手机的日期和时间设置 · the time is in the future; check the phone's date and time";
      if (/before the hazard's last event|before the hazard was found/.test(d)) return "复查时间早于该隐患在服务器上的最新记录（他人已在之后处理），请按现状重新复查 · the hazard was changed after this re-inspection; re-inspect it as it is now";
      if (base === "dueOn") return "整改期限不符合要求（不能早于今天，不超过两年）· the deadline is not allowed (from today, at most two years)";
      if (base === "reason") return "请写明原因 · a reason is required";
      if (/^(party\.)?phone$|signerPhone/.test(f)) return "电话号码有误 · the phone number is not valid";
    }
    return null;
  };
  /** A refusal's text in two: what it means, and the server's own words (or ""). */
  SG.splitDetail = function (detail) {
    var d = String(detail || ""), i = d.lastIndexOf("（服务器 server: ");
    return i > 0 && d.slice(-1) === "）" ? [d.slice(0, i), d.slice(i + 1, -1)] : [d, ""];
  };
  /** The text of a refusal: Chinese first (when known), then the server's own words. */
  SG.problemDetail = function (status, p) {
    var server = SG.problemText(p) || ("HTTP " + status), zh = SG.problemZh(status, p);
    return zh ? zh + "（服务器 server: " + server + "）" : server;
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

    /** The keys of the area data one account downloads (its subjects with the parties' phone
        numbers, hazards, tasks, device alarms, residents' reports with their phone numbers): forgotten at sign-out and when another account signs in. The
        checklist is the same for everyone and stays. */
    AREA_KEYS: ["subjects", "hazards", "tasks", "area", "packAt", "packMs", "packUser", "lastSync", "lastSyncTry", "alarms", "reports"],
    forgetArea: async function () {
      var kv = await Store.kvAll();
      for (var i = 0; i < kv.length; i++) {
        var k = String(kv[i].key);
        if (Data.AREA_KEYS.indexOf(k) >= 0 || k.indexOf("areaChildren:") === 0) await Store.del(k);
      }
    },
    /** Downloads the day's pack. Each part is stored as it arrives; a failure leaves the older copy. */
    refresh: async function (me, position) {
      var area = me.areaCode, t0 = Date.now();
      var owner = await Store.get("packUser");
      if (owner && owner !== me.username) await Data.forgetArea();
      await Store.set("packUser", me.username);
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
    /** Subjects of the pack and those registered on this phone (by this account) and not yet sent. */
    localSubjects: async function () {
      var subjects = (await Store.get("subjects")) || [];
      var items = await Outbox.items();
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
    return refused(r.status, SG.problemDetail(r.status, p), p.field, p);
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

  // ---- re-inspections against the server's hazards
  var ACTION_OF = { rectified: "verifyRectified", notYet: "notYetRectified", rebound: "reportRebound" };
  var ACTION_FROM = { verifyRectified: ["open", "rectifying", "rebound"], notYetRectified: ["open", "rectifying", "rebound"], reportRebound: ["rectified"] };
  var OUTCOME_ZH = { rectified: "整改到位", notYet: "未整改", rebound: "隐患反弹" };
  SG.OUTCOME_ZH = OUTCOME_ZH;
  /** Whether a re-inspection outcome is a step the server allows from a hazard state
      (SafeGridCore/HazardLifecycle.swift). */
  SG.outcomeAllowed = function (outcome, state) {
    var a = ACTION_OF[outcome];
    return !!a && ACTION_FROM[a].indexOf(state) >= 0;
  };
  /** The server's hazards of a re-inspection, with their events, in the order of its results
      (null for one the server does not show). Network errors propagate (the item waits). */
  async function hazardsOf(body) {
    var out = [];
    for (var i = 0; i < body.results.length; i++) {
      var g = await Api.get("/api/v1/hazards/" + encodeURIComponent(String(body.results[i].hazardId).toLowerCase()));
      out.push(g.ok && g.json && SG.sameId(g.json.subjectId, body.subjectId) ? g.json : null);
    }
    return out;
  }
  function ourEvent(h, res, body, user) {
    if (!h || !user) return null;
    var suffix = "（" + user + "）", at = Date.parse(body.reinspectedAt);
    return (h.events || []).filter(function (e) {
      var actor = String(e.actor || "");
      return e.kind === ACTION_OF[res.outcome] && actor.slice(-suffix.length) === suffix &&
        Date.parse(e.occurredAt) === at && (e.reason || "") === (res.reason || "");
    })[0] || null;
  }
  /** The server applies a re-inspection's results together: ours is there when one of them is. */
  function appliedBy(hz, body, user) {
    return body.results.some(function (res, i) { return !!ourEvent(hz[i], res, body, user); });
  }
  function alreadyApplied(hz) {
    var h = hz.filter(Boolean)[0];
    return { state: "sent", note: "已在服务器（此前的发送已成功）· already on the server (an earlier attempt went through)",
      result: { colour: null, hazardState: h ? h.state : null } };
  }
  /** The hazard's latest event (its time bounds a new one); `changing`: the latest that moved its state. */
  function lastEvent(h, changing) {
    var best = null;
    (h.events || []).forEach(function (e) {
      if (changing && (e.kind === "markedOverdue" || e.kind === "found")) return;
      if (!best || Date.parse(e.occurredAt) >= Date.parse(best.occurredAt)) best = e;
    });
    return best;
  }
  function hazardTitle(h) { return "“" + ((h.item && h.item.zh) || h.itemCode || "隐患") + "”"; }
  function staleRefusal(problems, r) {
    var parts = problems.map(function (x) {
      if (x.missing) return "隐患 " + x.res.hazardId + " 在服务器上不存在或不可见 · the hazard is not on the server";
      var h = x.h, e = lastEvent(h, true), who = e ? "（" + e.actor + "，" + SG.showTime(e.occurredAt) + "）" : "";
      if (x.later) {
        return hazardTitle(h) + "在您复查之后已有新记录：" + (x.later.label || x.later.kind) + "（" + x.later.actor + "，" + SG.showTime(x.later.occurredAt) +
          "），现为“" + (STATE_ZH[h.state] || h.state) + "” · changed on the server after your re-inspection";
      }
      if (h.state === "closedDown") return hazardTitle(h) + "已关停" + who + " · closed down";
      if (h.state === "rectified" && x.res.outcome !== "rebound") return hazardTitle(h) + "已由他人复查为整改到位" + who + " · already re-inspected as rectified by someone else";
      return hazardTitle(h) + "现为“" + (STATE_ZH[h.state] || h.state) + "”" + who + "，不能再记为“" + (OUTCOME_ZH[x.res.outcome] || x.res.outcome) +
        "” · now " + h.state + "; that outcome no longer applies";
    });
    var out = refused(r.status, "复查未上传：" + parts.join("；") + "。请点“修改”按现状重新复查，或删除 · not stored; choose 修改 Fix to re-inspect as it is now, or delete it" +
      "（服务器 server: " + SG.problemText(r.problem) + "）", (r.problem && r.problem.field) || "version", r.problem);
    out.error.stale = true;
    out.error.explain = parts.join("；");
    out.error.hazards = problems.filter(function (x) { return x.h; }).map(function (x) { return { id: x.h.id, state: x.h.state, version: x.h.version }; });
    return out;
  }

  var senders = {
    photo: async function (it) {
      var p = it.payload, blob = await Store.getBlob(p.blobKey);
      if (!blob) return refused(0, "照片文件已不在手机上 · the photo is no longer on the phone", "photo");
      // A camera with a wrong clock (a time in the future, or before 2000) gives no time at all:
      // the photo must never hold its record back.
      var takenAt = p.takenAt && SG.plausibleTime(p.takenAt) ? p.takenAt : null;
      for (var round = 0; round < 2; round++) {
        var q = [];
        if (takenAt) q.push("takenAt=" + encodeURIComponent(takenAt));
        if (p.latitude != null && p.longitude != null) {
          q.push("latitude=" + encodeURIComponent(p.latitude));
          q.push("longitude=" + encodeURIComponent(p.longitude));
        }
        var r = await Api.call("POST", "/api/v1/photos" + (q.length ? "?" + q.join("&") : ""), blob, { contentType: "image/jpeg", timeout: 120000 });
        if (r.status === 200 || r.status === 201) {
          var out = { state: "sent", result: { id: r.json.id, url: r.json.url, byteCount: r.json.byteCount } };
          if (p.takenAt && !takenAt) out.note = "照片时间不可信（" + p.takenAt + "），未随照片上传 · the camera's time was implausible and was not sent";
          return out;
        }
        // The server refused the time (its clock and the phone's disagree): send it without one.
        if (takenAt && r.status === 422 && r.problem && r.problem.field === "takenAt") { takenAt = null; continue; }
        return r;
      }
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
      var body = JSON.parse(JSON.stringify(it.payload)), user = it.user || Api.user;
      body.results.forEach(function (res) { if (res.photos) res.photos = resolvePhotos(res.photos, byId); });
      var hz;
      if (it.attempts > 1) {
        // Sent before and the answer may have been lost: is our re-inspection on the server?
        hz = await hazardsOf(body);
        if (appliedBy(hz, body, user)) return alreadyApplied(hz);
      }
      var resent = null, r;
      for (var round = 0; round < 3; round++) {
        r = await Api.call("POST", "/api/v1/reinspections", body);
        if (r.ok) {
          return { state: "sent", result: { colour: r.json.subject && r.json.subject.colour }, note: resent };
        }
        var p = r.problem || {};
        var later = r.status === 422 && p.field === "reinspectedAt" && /last event|was found/.test(p.detail || "");
        if (r.status !== 409 && !later) return r;
        // The hazards moved on the server since this phone's copy. Only an event of OUR account
        // with our time, kind and reason means it was our own earlier attempt.
        hz = await hazardsOf(body);
        if (appliedBy(hz, body, user)) return alreadyApplied(hz);
        var problems = [], moved = [];
        body.results.forEach(function (res, i) {
          var h = hz[i];
          if (!h) { problems.push({ res: res, missing: true }); return; }
          if (!SG.outcomeAllowed(res.outcome, h.state)) { problems.push({ res: res, h: h, state: true }); return; }
          var last = lastEvent(h);
          if (last && Date.parse(body.reinspectedAt) < Date.parse(last.occurredAt)) { problems.push({ res: res, h: h, later: last }); return; }
          if (res.version != null && res.version !== h.version) { res.version = h.version; moved.push(h); }
        });
        if (problems.length) return staleRefusal(problems, r);
        if (!moved.length) return r;
        // Still a valid step from where each hazard is now: send it again against the new
        // versions (the same photos, already on the server).
        it.payload.results.forEach(function (pr, i) { pr.version = body.results[i].version; });
        await Store.putItem(it);
        resent = "服务器上的隐患已更新（" + moved.map(function (h) {
          var e = lastEvent(h, true);
          return hazardTitle(h) + "：" + (STATE_ZH[h.state] || h.state) + (e ? "，" + e.actor : "");
        }).join("；") + "），已按最新版本自动重发 · the hazard changed on the server; re-sent against its new version";
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
    /** The account whose queue is shown and sent: the signed-in one. */
    user: function () { return (SG.UI && SG.UI.me && SG.UI.me.username) || null; },
    /** Whether an item is the current account's. Items of another account stay on the phone,
        locked: not shown, sent, changed or deleted until that account signs in again. */
    mine: function (it) { return !!it && (!it.user || it.user === Outbox.user()); },
    /** The current account's items (Store.items() holds every account's). */
    items: async function () { return (await Store.items()).filter(Outbox.mine); },
    item: async function (id) { var it = await Store.item(id); return Outbox.mine(it) ? it : null; },
    pending: async function () {
      return (await Outbox.items()).filter(function (it) { return it.state !== "sent"; });
    },
    /** Unsent items of other accounts (locked on this phone). */
    othersPending: async function () {
      return (await Store.items()).filter(function (it) { return !Outbox.mine(it) && it.state !== "sent"; });
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
      var items = (await Store.items()).filter(Outbox.mine), gone = {}, changed = true;
      var target = items.filter(function (it) { return it.id === id; })[0];
      if (!target) return 0;
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
      var items = await Outbox.items();
      return items.filter(function (it) { return it.deps.indexOf(id) >= 0 && it.state !== "sent"; });
    },
    /** Puts a refused item back in the queue (after a fix, or as it is). */
    retry: async function (id, changes) {
      var it = await Outbox.item(id);
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
    // Only the signed-in account's items go (another account's wait, locked, for its owner).
    items = items.filter(Outbox.mine);
    if (!Outbox.user()) return summary;
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
        // The session is another account's than the one shown (a sign-in elsewhere): wait.
        summary.stopped = "account";
        break;
      }
      for (var d = 0; !blockedBy && d < it.deps.length; d++) {
        var dep = byId[it.deps[d]];
        if (!dep) { blockedBy = { id: it.deps[d], missing: true }; break; }
        if (dep.state !== "sent") { blockedBy = { id: dep.id, state: dep.state, label: dep.label, kind: dep.kind }; break; }
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
