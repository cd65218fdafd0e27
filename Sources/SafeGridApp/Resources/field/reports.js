/* SafeGrid field app: residents' reports (沥家园, 随手拍) on Today, right after the device alarms.
   Each open report of the account's area (oldest first) with its age, what the resident wrote and
   photographed, who reported it and the subject it was matched to; an account that writes
   verifies it (核实: a one-item inspection of a subject, which records the hazard) or dismisses it
   (驳回, with a reason and a note). Like alarms, these steps need a connection: the report came
   over the network and the resident is answered by SMS. The last list is kept for offline
   reading (and forgotten at sign-out: it holds residents' phone numbers). */
(function (global) {
  "use strict";
  var SG = global.SG, h = SG.h, Store = SG.Store, Api = SG.Api, Data = SG.Data;
  function UI() { return SG.UI; }

  var REASONS = [["notHazard", "不是隐患", "not a hazard"], ["duplicate", "重复上报", "duplicate"],
    ["outsideArea", "不在本辖区", "outside this area"], ["cannotFind", "现场未找到", "not found on site"]];
  // Only the server's own photo addresses go into an <img> (a report's text never becomes markup).
  var PHOTO_URL = /^\/api\/v1\/reports\/[0-9A-Za-z-]+\/photos\/\d+$/;
  var STATE_ZH = { received: "待核实", verified: "已核实", dismissed: "已驳回", rectified: "已整改", closedDown: "场所已关停", added: "已并入其他上报" };
  var SHOWN = 20;                 // cards drawn at first; the rest behind a button
  var done = null;                // the last confirmation of this Today screen: {token, id, action, text, subjectId}
  var pendingOpen = null;         // {token, id, subject}: open this report's verify form (back from registering)

  /** "3 小时前": the age of a time (RFC 3339), from the phone's clock corrected by the server's. */
  function ageText(at, minutes) {
    var m = at ? Math.round((SG.now() - Date.parse(at)) / 60000) : NaN;
    if (isNaN(m)) m = minutes;
    if (m == null || isNaN(m)) return "";
    m = Math.max(0, m);
    if (m < 1) return "刚刚 just now";
    if (m < 60) return m + " 分钟前 min ago";
    if (m < 48 * 60) return Math.floor(m / 60) + " 小时前 h ago";
    return Math.floor(m / 1440) + " 天前 days ago";
  }
  SG.ageText = ageText;

  function isOpen(r) { return r && r.state === "received"; }
  function overdue(r) {
    if (!isOpen(r)) return false;
    return !!r.overdue || (!!r.verifyBy && Date.parse(r.verifyBy) <= SG.now());
  }
  function lower(id) { return String(id || "").toLowerCase(); }
  function kindZh(kind) { return kind ? SG.zh(SG.KINDS, kind) : ""; }
  function metres(a, b) {
    if (a.latitude == null || b.latitude == null) return null;
    var k = Math.PI / 180, x = (b.longitude - a.longitude) * k * Math.cos((a.latitude + b.latitude) / 2 * k), y = (b.latitude - a.latitude) * k;
    return Math.round(Math.sqrt(x * x + y * y) * 6371008.8);
  }

  /** A refusal of the reports API in Chinese first (zh · en), or null for the general text. */
  function problemZh(status, p) {
    p = p || {};
    var f = String(p.field || ""), d = String(p.detail || p.title || "");
    if (status === 409) {
      var now = STATE_ZH[p.currentState] || "";
      return "该上报已被处理" + (now ? "（现为“" + now + "”）" : "（已核实或已驳回）") + "，列表已刷新 · this report was handled already; the list is refreshed";
    }
    if (status === 404) return "服务器上找不到该上报（可能不在本账号辖区）· not found on the server (outside this account's area?)";
    if (status === 422 || status === 400) {
      if (f === "subjectId") {
        if (/closed/i.test(d)) return "该对象已关停，不能核实为隐患 · the subject is closed down";
        if (/area|jurisdiction|outside|another/i.test(d)) return "所选对象不在本账号辖区 · the subject is outside this account's area";
        if (/not found|no such|unknown/i.test(d)) return "服务器上没有该对象（刚登记的对象可能尚未上传）· no such subject on the server (a new one may not be sent yet)";
        return "请选择核实的对象 · choose the subject";
      }
      // "LANE-01 is not an item of checklist 3 for a rentalHousing"
      if (f === "itemCode") return / for an? [A-Za-z]+$|kind|appl/i.test(d) ? "该隐患项不适用于所选对象，请另选 · the item does not apply to this subject; choose another"
        : "隐患项无效，请另选 · not a checklist item; choose another";
      if (f === "severity") return "严重程度无效 · not a severity";
      if (f === "reason") return "请选择驳回原因 · choose a reason";
      if (f === "duplicateOf") {
        if (/itself|same report/i.test(d)) return "不能选本条上报 · not this report itself";
        if (/no other report|not found|no such|unknown/i.test(d)) return "找不到所选的原上报（或不在本辖区、已合并）· the report it duplicates is not in this area";
        if (/only a duplicate/i.test(d)) return "只有“重复上报”才选原上报 · only a duplicate names another report";
        return "请选择重复的原上报 · choose the report it duplicates";
      }
      if (f === "note") {
        if (/at most|long/i.test(d)) return "说明过长（最多 500 字）· the note is too long (500 characters at most)";
        if (/control character/i.test(d)) return "说明含有不可见的控制字符，请删除后重试 · the note holds a control character";
        return "请写明驳回说明 · a note is required";
      }
      if (f === "action") return "不能这样处理该上报 · this step is not possible for the report";
    }
    return SG.problemZh(status, p);
  }

  async function load(box, t, me) {
    var kept = await Store.get("reports");
    // The phone's copy is shown while the server is asked; never another account's.
    if (kept && kept.user === me.username && UI().alive(t)) render(box, kept, me, t);
    if (!Api.online) return;
    try {
      var r = await Api.get("/api/v1/reports?state=open");
      var items = r.ok && r.json ? (Array.isArray(r.json) ? r.json : r.json.items) : null;
      if (!Array.isArray(items)) return;
      kept = { fetchedAt: new Date(SG.now()).toISOString(), user: me.username, items: items };
      await Store.set("reports", kept);
      // Not under a worker's fingers: a form being filled in stays.
      if (UI().alive(t) && !box.querySelector(".report-form:not(:empty)")) render(box, kept, me, t);
    } catch (e) { /* offline: the kept list stands */ }
  }

  function render(box, kept, me, t) {
    SG.clear(box);
    var items = (kept.items || []).filter(isOpen);
    var shownDone = done && done.token === t ? done : null;
    box.hidden = !items.length && !shownDone;
    if (box.hidden) return;
    var late = items.filter(overdue).length;
    box.appendChild(h("h2", {}, "居民上报 Resident reports ",
      h("span", { class: "badge" + (items.length ? " some" : ""), id: "report-count" }, String(items.length)),
      late ? h("span", { class: "late" }, " · 超时 " + late) : null));
    if (shownDone) {
      box.appendChild(h("div", { id: "report-done", class: "card report-done", role: "status", dataset: { report: shownDone.id, action: shownDone.action } },
        h("p", { class: "ok" }, shownDone.text),
        shownDone.subjectId ? h("a", { href: "#/subject/" + lower(shownDone.subjectId) }, "查看对象 Open the subject") : null));
    }
    var all = box.getAttribute("data-all") === "1", shown = all ? items : items.slice(0, SHOWN);
    var list = h("ol", { id: "report-list", class: "list" });
    shown.forEach(function (r) { list.appendChild(reportRow(r, me, kept, box, t)); });
    box.appendChild(list);
    if (shown.length < items.length) {
      var more = h("button", { type: "button", id: "reports-more", class: "btn secondary wide" }, "显示全部 " + items.length + " 条 Show all");
      more.addEventListener("click", function () { box.setAttribute("data-all", "1"); render(box, kept, me, t); });
      box.appendChild(more);
    }
    if (!Api.online) box.appendChild(h("p", { class: "hint" }, "离线：显示 " + SG.showTime(kept.fetchedAt) + " 的上报，核实与驳回需联网 · offline copy; verifying needs a connection"));
  }

  function reporterText(r) {
    if (r.anonymous) return [h("span", {}, "匿名 Anonymous")];
    var name = r.reporterName || "居民 Resident", phone = r.reporterPhone || "";
    // A full number can be called; a masked one ("138****5678") is only shown.
    var digits = phone.replace(/[\s-]/g, "");
    return [h("span", {}, name), phone ? (/^1\d{10}$/.test(digits) ? h("a", { href: "tel:" + digits, class: "phone" }, phone) : h("span", { class: "phone" }, phone)) : null];
  }

  /** A photo of the report (staff only: the session cookie goes along), opened full size on a tap. */
  function photoThumb(p, i) {
    var img = h("img", { class: "thumb-img", src: p.url, alt: "现场照片 " + (i + 1) + " photo " + (i + 1), loading: "lazy" });
    var a = h("a", { href: p.url, target: "_blank", rel: "noopener", class: "thumb" }, img);
    // Offline, or gone from the server: a plain box says so instead of a broken image.
    img.addEventListener("error", function () {
      SG.clear(a);
      a.appendChild(h("span", { class: "thumb-img thumb-missing" }, Api.online ? "照片无法显示 photo unavailable" : "离线 offline"));
    });
    return a;
  }

  function reportRow(r, me, kept, box, t) {
    var id = lower(r.id), late = overdue(r), writes = Data.writes(me);
    var photos = (r.photos || []).filter(function (p) { return p && typeof p.url === "string" && PHOTO_URL.test(p.url); });
    var msg = h("p", { class: "msg", role: "alert", dataset: { for: "report" } });
    var form = h("div", { class: "report-form" });
    var row = h("li", { class: "card report" + (late ? " overdue" : ""), dataset: { report: id, state: r.state } },
      h("div", { class: "row between top" },
        h("div", { class: "grow" },
          h("div", { class: "name" }, r.item || r.serviceCode),
          h("div", { class: "addr" }, [r.address, r.villageName].filter(Boolean).join(" · ") || "（无地址 no address）")),
        h("span", { class: "chip" }, r.categoryZh || r.stateName || "")),
      r.description ? h("p", { class: "desc" }, r.description) : null,
      h("p", { class: "meta" },
        h("span", { class: "age" + (late ? " bad" : "") }, ageText(r.receivedAt, r.ageMinutes)),
        late ? h("span", { class: "bad overdue-text" }, "超过24小时未核实 overdue") : null,
        h("span", { class: "reporter" }, "上报人 ", reporterText(r)),
        r.additions ? h("span", {}, "另有 " + r.additions + " 人补充 more") : null),
      photos.length ? h("div", { class: "thumbs" }, photos.map(photoThumb)) : null,
      // What other residents added ("is it this one?" on their phones): their words and photos.
      (r.addedByOthers || []).length ? h("ul", { class: "additions" }, r.addedByOthers.map(function (a) {
        var more = (a.photos || []).filter(function (p) { return p && typeof p.url === "string" && PHOTO_URL.test(p.url); });
        return h("li", { class: "addition" },
          h("p", { class: "desc" }, "补充 Added" + (a.receivedAt ? "（" + ageText(a.receivedAt) + "）" : "") + "：" + (a.description || "（仅照片 photos only）")),
          more.length ? h("div", { class: "thumbs" }, more.map(photoThumb)) : null);
      })) : null,
      r.subjectId ? h("p", { class: "subject-match" }, "匹配对象 Subject: " + (r.subjectName || r.subjectId) + (r.subjectKind ? " · " + kindZh(r.subjectKind) : ""))
        : h("p", { class: "hint subject-match" }, "未匹配对象，核实时选择 · no subject matched; choose one when verifying"));
    if (writes) {
      var verifyB = h("button", { type: "button", class: "btn verify" }, "核实 Verify");
      var dismissB = h("button", { type: "button", class: "btn secondary dismiss" }, "驳回 Dismiss");
      verifyB.addEventListener("click", function () { toggle("verify"); });
      dismissB.addEventListener("click", function () { toggle("dismiss"); });
      row.appendChild(h("div", { class: "actions" }, verifyB, dismissB));
      row.appendChild(form);
    }
    row.appendChild(msg);
    if (writes && pendingOpen && pendingOpen.token === t && pendingOpen.id === id) {
      var preset = pendingOpen.subject;
      pendingOpen = null;
      openVerify(preset).then(function () { if (row.isConnected) { row.scrollIntoView({ block: "start" }); window.scrollBy(0, -64); } });
    }

    function say(text, ok) { msg.textContent = text || ""; msg.className = "msg" + (text ? (ok ? " ok" : " bad") : ""); }
    function toggle(mode) {
      if (form.getAttribute("data-mode") === mode && form.firstChild) { SG.clear(form); form.removeAttribute("data-mode"); say(""); return; }
      if (mode === "verify") openVerify(null); else openDismiss();
    }
    function buttons(go) {
      var cancel = h("button", { type: "button", class: "btn secondary cancel" }, "取消 Cancel");
      cancel.addEventListener("click", function () { SG.clear(form); form.removeAttribute("data-mode"); say(""); });
      return h("div", { class: "actions" }, go, cancel);
    }

    // ---- 核实 Verify: the subject, the item (of the subject's kind), its severity, a note
    async function openVerify(presetId) {
      say("");
      SG.clear(form);
      form.setAttribute("data-mode", "verify");
      // At once, so that a list arriving meanwhile does not redraw the card under it.
      form.appendChild(h("p", { class: "hint" }, "载入中… Loading…"));
      var checklist = await Store.get("checklist");
      if (!checklist && Api.online) { try { checklist = await Api.json("/api/v1/checklists/current"); await Store.set("checklist", checklist); } catch (e) { /* below */ } }
      var items = (checklist && checklist.items) || [], byCode = {};
      items.forEach(function (it) { byCode[it.code] = it; });
      var kinds = {};                          // subject id → kind, for the item list
      var subj = h("select", { name: "subjectId", id: "rv-subject-" + id });
      var q = h("input", { type: "search", name: "subjectQ", id: "rv-q-" + id, maxlength: 200, autocomplete: "off", enterkeyhint: "search",
        placeholder: "名称、信用代码或地址 · name, credit code, address" });
      var found = h("p", { class: "hint found" });
      var item = h("select", { name: "itemCode", id: "rv-item-" + id });
      var sev = h("select", { name: "severity", id: "rv-sev-" + id });
      SG.SEVERITIES.forEach(function (s) { sev.appendChild(h("option", { value: s.value }, s.zh + " " + s.en)); });
      var note = h("textarea", { name: "note", id: "rv-note-" + id, rows: 2, maxlength: 500, placeholder: "核实情况（可不填）· what you found (optional)" });
      var go = h("button", { type: "button", class: "btn go" }, "确认核实 Confirm");
      var reg = h("a", { class: "register-subject", href: "#/register?report=" + encodeURIComponent(id) }, "没有合适的对象？登记新对象 · none fits: register a subject");

      var none = h("option", { value: "" }, "— 请选择对象 choose the subject —");
      if (!r.subjectId && !presetId) subj.appendChild(none);
      if (presetId) {
        var ps = await Data.findSubject(presetId);
        kinds[lower(presetId)] = ps ? ps.kind : null;
        subj.appendChild(h("option", { value: lower(presetId) }, (ps ? ps.name + " · " + kindZh(ps.kind) : presetId) + "（新登记 new）"));
      }
      if (r.subjectId) {
        kinds[lower(r.subjectId)] = r.subjectKind || null;
        subj.appendChild(h("option", { value: lower(r.subjectId) }, (r.subjectName || r.subjectId) + (r.subjectKind ? " · " + kindZh(r.subjectKind) : "") + "（匹配 matched）"));
      }
      var nearby = (r.nearbySubjects || []).filter(function (s) { return !kinds.hasOwnProperty(lower(s.id)); });
      if (nearby.length) {
        var g = h("optgroup", { label: "附近 100 米内 Nearby" });
        nearby.forEach(function (s) {
          kinds[lower(s.id)] = s.kind;
          g.appendChild(h("option", { value: lower(s.id) }, s.name + " · " + kindZh(s.kind) + (s.distanceMetres != null ? " · " + Math.round(s.distanceMetres) + " 米" : "")));
        });
        subj.appendChild(g);
      }
      var searched = h("optgroup", { label: "搜索结果 Search" });
      subj.appendChild(searched);
      subj.value = presetId ? lower(presetId) : (r.subjectId ? lower(r.subjectId) : "");

      function fillItems(want) {
        var kind = kinds[subj.value] || null;
        var fits = items.filter(function (it) { return !kind || !it.subjectKinds || it.subjectKinds.indexOf(kind) >= 0; });
        SG.clear(item);
        if (!fits.length && want) fits = [{ code: want, zh: r.item || want }];
        var has = fits.some(function (it) { return it.code === want; });
        if (!has) item.appendChild(h("option", { value: "" }, "— 请选择隐患项 choose the item —"));
        fits.forEach(function (it) { item.appendChild(h("option", { value: it.code }, it.code + " " + it.zh)); });
        item.value = has ? want : "";
        UI().msg(form, "itemCode", want && !has && kind ? "上报的“" + (r.item || want) + "”不适用于" + kindZh(kind) + "，请另选 · the reported item does not apply to this kind; choose another" : "");
        fillSeverity();
      }
      function fillSeverity() {
        var it = byCode[item.value];
        sev.value = it && it.defaultSeverity ? it.defaultSeverity : "general";
      }
      subj.addEventListener("change", function () { UI().msg(form, "subjectId", ""); fillItems(item.value || r.serviceCode); });
      item.addEventListener("change", function () { UI().msg(form, "itemCode", ""); fillSeverity(); });

      // Another subject: the phone's copy first, then the server's answer (as Today's search).
      var timer = null, seq = 0;
      q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 300); });
      async function search() {
        var text = q.value.trim(), mine = ++seq;
        if (!text) { SG.clear(searched); found.textContent = ""; return; }
        var list = Data.search(await Data.localSubjects(), text).slice(0, 20), ids = {};
        list.forEach(function (s) { ids[lower(s.id)] = true; });
        if (Api.online) {
          try {
            var res = await Api.get("/api/v1/subjects?per=20&q=" + encodeURIComponent(text));
            if (res.ok) res.json.items.forEach(function (s) { if (!ids[lower(s.id)]) { list.push(s); ids[lower(s.id)] = true; } });
          } catch (e) { /* offline: the phone's copy */ }
        }
        if (mine !== seq) return;
        var keep = subj.value;
        SG.clear(searched);
        list.forEach(function (s) {
          if (hasOption(subj, lower(s.id))) return;    // matched or nearby: listed already
          kinds[lower(s.id)] = s.kind;
          searched.appendChild(h("option", { value: lower(s.id) }, s.name + " · " + kindZh(s.kind) + (s.address ? " · " + s.address : "")));
        });
        subj.value = keep;
        found.textContent = list.length ? "找到 " + list.length + " 个，请在上方“对象”中选择 · " + list.length + " found: choose in the list above" : "没有找到 · nothing found";
      }

      SG.clear(form);
      form.appendChild(UI().field("subjectId", "核实对象 Subject", subj));
      form.appendChild(h("div", { class: "field search-subject" }, h("label", { for: q.id }, "查找其他对象 Find another"), q, found, reg));
      form.appendChild(UI().field("itemCode", "隐患项 Item", item));
      form.appendChild(UI().field("severity", "严重程度 Severity", sev));
      form.appendChild(UI().field("note", "说明 Note", note));
      form.appendChild(buttons(go));
      fillItems(r.serviceCode);
      go.addEventListener("click", async function () {
        UI().clearMsgs(form);
        var bad = false;
        if (!subj.value && !r.subjectId) { UI().msg(form, "subjectId", "请选择核实的对象，或登记新对象 · choose the subject, or register one"); bad = true; }
        if (!item.value) { UI().msg(form, "itemCode", "请选择隐患项 · choose the item"); bad = true; }
        if (bad) return;
        // A subject registered on this phone goes up first: the server must know it.
        var chosen = subj.value ? await Data.findSubject(subj.value) : null;
        if (chosen && chosen.pendingItem && Api.online) {
          try { await SG.Outbox.run(); } catch (e) { /* said below */ }
          chosen = await Data.findSubject(subj.value);
        }
        if (chosen && chosen.pendingItem) {
          UI().msg(form, "subjectId", "新登记的对象尚未上传，请先在“待传”中发送 · the new subject is not on the server yet; send it from the Queue first");
          return;
        }
        var body = { action: "verify", itemCode: item.value, severity: sev.value };
        if (subj.value) body.subjectId = subj.value;
        if (note.value.trim()) body.note = note.value.trim();
        send(body, go, byCode);
      });
    }

    // ---- 驳回 Dismiss: a reason, the original of a duplicate, a note (required)
    function openDismiss() {
      say("");
      SG.clear(form);
      form.setAttribute("data-mode", "dismiss");
      var reason = h("select", { name: "reason", id: "rd-reason-" + id });
      reason.appendChild(h("option", { value: "" }, "— 请选择原因 choose a reason —"));
      REASONS.forEach(function (x) { reason.appendChild(h("option", { value: x[0] }, x[1] + " " + x[2])); });
      var dup = h("select", { name: "duplicateOf", id: "rd-dup-" + id });
      var dupField = UI().field("duplicateOf", "重复于 Duplicate of", dup, "本辖区同类上报，近的在前 · reports of the same kind here, nearest first");
      dupField.hidden = true;
      var note = h("textarea", { name: "note", id: "rd-note-" + id, rows: 2, maxlength: 500, required: true, placeholder: "驳回说明（必填，会短信告知居民）· why (required; the resident is told)" });
      var go = h("button", { type: "button", class: "btn danger go" }, "确认驳回 Dismiss");
      form.appendChild(UI().field("reason", "驳回原因 Reason", reason));
      form.appendChild(dupField);
      form.appendChild(UI().field("note", "说明 Note", note));
      form.appendChild(buttons(go));
      var filled = false;
      reason.addEventListener("change", function () {
        UI().msg(form, "reason", "");
        dupField.hidden = reason.value !== "duplicate";
        if (reason.value === "duplicate" && !filled) { filled = true; fillDuplicates(dup); }
      });
      note.addEventListener("input", function () { if (note.value.trim()) UI().msg(form, "note", ""); });
      go.addEventListener("click", function () {
        UI().clearMsgs(form);
        var bad = false;
        if (!reason.value) { UI().msg(form, "reason", "请选择驳回原因 · choose a reason"); bad = true; }
        if (reason.value === "duplicate" && !dup.value) { UI().msg(form, "duplicateOf", "请选择重复的原上报 · choose the report it duplicates"); bad = true; }
        if (!note.value.trim()) { UI().msg(form, "note", "请写明驳回说明（会告知居民）· a note is required (the resident is told)"); bad = true; }
        if (bad) return;
        var body = { action: "dismiss", reason: reason.value, note: note.value.trim() };
        if (reason.value === "duplicate") body.duplicateOf = dup.value;
        send(body, go);
      });
    }

    /** The area's other reports of the same category (open ones from the kept list too), the
        same item first, then the nearest, then the newest; dismissed ones and this one left out. */
    async function fillDuplicates(dup) {
      SG.clear(dup);
      dup.appendChild(h("option", { value: "" }, "载入中… Loading…"));
      var all = (kept.items || []).slice();
      if (Api.online) {
        try {
          var res = await Api.get("/api/v1/reports?state=all");
          var got = res.ok && res.json ? (Array.isArray(res.json) ? res.json : res.json.items) : null;
          if (Array.isArray(got)) all = got.concat(all);
        } catch (e) { /* offline: the kept list */ }
      }
      var seen = {}, same = [];
      all.forEach(function (x) {
        var xid = lower(x.id);
        if (seen[xid] || xid === id || x.state === "dismissed" || x.state === "added") return;
        seen[xid] = true;
        if ((x.categoryZh || "") !== (r.categoryZh || "") && x.serviceCode !== r.serviceCode) return;
        x._m = metres(r, x);
        same.push(x);
      });
      same.sort(function (a, b) {
        var sa = a.serviceCode === r.serviceCode ? 0 : 1, sb = b.serviceCode === r.serviceCode ? 0 : 1;
        if (sa !== sb) return sa - sb;
        if (a._m != null && b._m != null && a._m !== b._m) return a._m - b._m;
        if ((a._m == null) !== (b._m == null)) return a._m == null ? 1 : -1;
        return Date.parse(b.receivedAt) - Date.parse(a.receivedAt);
      });
      SG.clear(dup);
      dup.appendChild(h("option", { value: "" }, same.length ? "— 请选择原上报 choose the original —" : "本辖区没有同类上报 · no other report of this kind"));
      same.slice(0, 40).forEach(function (x) {
        dup.appendChild(h("option", { value: lower(x.id) }, (x.item || x.serviceCode) + " · " + (x.address || x.villageName || "") +
          (x._m != null ? " · " + x._m + " 米" : "") + " · " + SG.showTime(x.receivedAt) + " · " + (x.stateName || x.state)));
      });
    }

    async function send(body, go, byCode) {
      if (!Api.online) { say("需联网才能核实或驳回 · verifying or dismissing needs a connection"); return; }
      row.setAttribute("aria-busy", "true");
      go.disabled = true;
      try {
        var res = await Api.call("POST", "/api/v1/reports/" + encodeURIComponent(id) + "/actions", body);
        if (!res.ok) {
          var zh = problemZh(res.status, res.problem), server = SG.problemText(res.problem) || ("HTTP " + res.status);
          var text = zh ? zh + "（服务器 server: " + server + "）" : server;
          var f = res.problem && typeof res.problem.field === "string" && /^[A-Za-z0-9_.]+$/.test(res.problem.field) ? res.problem.field : null;
          if (!(f && f !== "action" && UI().msg(form, f, text))) say(text);
          if (res.status === 409 || res.status === 404) {
            // The card may leave the list: the toast stays a moment longer.
            UI().toast(res.status === 409 ? "该上报已被他人处理 · already handled" : "找不到该上报 · not found", "bad");
            reloadSoon();
          }
          return;
        }
        var a = res.json || {};
        var what = (a.item || r.item || r.serviceCode || "");
        if (a.state === "verified" || body.action === "verify") {
          var it = byCode && byCode[body.itemCode];
          done = { token: t, id: id, action: a.state || "verified", subjectId: a.subjectId || body.subjectId || r.subjectId,
            text: "已核实：" + (it ? it.zh : what) + (a.subjectName ? " · " + a.subjectName : "") + "，已记录隐患" + (r.anonymous ? "" : "，短信告知居民") +
              " · verified: hazard recorded" + (r.anonymous ? "" : ", the resident is told by SMS") };
        } else {
          done = { token: t, id: id, action: a.state || "dismissed", subjectId: null,
            text: "已驳回：" + what + "（" + (a.dismissReasonName || reasonZh(body.reason)) + "）" + (r.anonymous ? "" : "，短信告知居民") +
              " · dismissed" + (r.anonymous ? "" : "; the resident is told by SMS") };
        }
        UI().toast(done.action === "verified" ? "已核实，已记录隐患 · verified" : "已驳回 · dismissed");
        kept.items = (kept.items || []).map(function (x) { return SG.sameId(x.id, r.id) ? a : x; });
        await Store.set("reports", kept);
        if (UI().alive(t)) {
          render(box, kept, me, t);
          load(box, t, me);
        }
      } catch (e) {
        say("未能送达，请重试 · not sent; try again");
      } finally {
        row.removeAttribute("aria-busy");
        go.disabled = false;
      }
    }
    function reloadSoon() {
      setTimeout(function () {
        if (!UI().alive(t)) return;
        SG.clear(form); form.removeAttribute("data-mode");
        var keep = msg.textContent;
        load(box, t, me).then(function () {
          var again = null;
          Array.prototype.forEach.call(box.querySelectorAll("li.report"), function (li) { if (li.getAttribute("data-report") === id) again = li.querySelector(".msg[data-for='report']"); });
          if (again && keep) { again.textContent = keep; again.className = "msg bad"; }
        });
      }, 1500);
    }
    return row;
  }
  function hasOption(sel, value) {
    for (var i = 0; i < sel.options.length; i++) if (sel.options[i].value === value) return true;
    return false;
  }
  function reasonZh(code) {
    for (var i = 0; i < REASONS.length; i++) if (REASONS[i][0] === code) return REASONS[i][1];
    return code;
  }

  /** The open reports of one subject (the phone's copy of the list), for its page. */
  async function ofSubject(subjectId, me) {
    var kept = await Store.get("reports");
    if (!kept || kept.user !== me.username) return [];
    return (kept.items || []).filter(function (r) { return isOpen(r) && SG.sameId(r.subjectId, subjectId); });
  }

  SG.Reports = {
    load: load,
    ofSubject: ofSubject,
    /** Today opens this report's verify form (with this subject chosen) when it draws it. */
    openOnce: function (t, reportId, subjectId) { pendingOpen = reportId ? { token: t, id: lower(reportId), subject: subjectId ? lower(subjectId) : null } : null; },
    problemZh: problemZh
  };
})(typeof window !== "undefined" ? window : this);
