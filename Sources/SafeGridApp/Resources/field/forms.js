/* SafeGrid field app: the forms — photos, registering a subject on site, the joint inspection
   (一张表), the party's signature and what follows. Nothing is queued until a form passes its
   checks; then everything is stored on the phone first and sent from the outbox. */
(function (global) {
  "use strict";
  var SG = global.SG, h = SG.h, Store = SG.Store, Api = SG.Api, Data = SG.Data, Outbox = SG.Outbox;
  SG.screens = SG.screens || {};
  function UI() { return SG.UI; }
  /** Drafts are kept per account: another account on the same phone never sees them. */
  SG.draftKey = function (me, rest) { return "draft:" + ((me && me.username) || "-") + ":" + rest; };

  // ---------------------------------------------------------------- photos
  SG.Photos = {
    MAX: 20,
    /** A photo field: input (id), thumbnails, a message line (data-for=id). `list` is filled with
        {key, takenAt, latitude, longitude, bytes}; each photo is shrunk and stored before it shows. */
    picker: function (id, list, onChange) {
      var input = h("input", { id: id, class: "photo-input", type: "file", accept: "image/*", capture: "environment", multiple: true });
      var thumbs = h("div", { class: "thumbs" });
      var msg = h("p", { class: "msg", dataset: { for: id }, role: "alert" });
      var label = h("label", { for: id, class: "btn secondary photo-btn" }, "拍照 / 选照片 Photo");
      function say(text, ok) { msg.textContent = text; msg.className = "msg" + (text ? (ok ? " ok" : " bad") : ""); }
      function thumb(p) {
        var img = h("img", { alt: "照片 photo", class: "thumb-img" });
        Store.getBlob(p.key).then(function (b) { if (b) img.src = URL.createObjectURL(b); });
        var rm = h("button", { type: "button", class: "thumb-rm", "aria-label": "删除照片 remove photo" }, "×");
        var box = h("div", { class: "thumb" }, img, rm,
          h("span", { class: "thumb-meta" }, SG.formatBytes(p.bytes) + (p.latitude != null ? " · GPS" : "")));
        rm.addEventListener("click", function () {
          var i = list.indexOf(p);
          if (i >= 0) list.splice(i, 1);
          thumbs.removeChild(box);
          // A photo already queued (fixing a refused record) keeps its file until the fix is sent.
          if (!p.itemId) Store.delBlob(p.key);
          say("");
          if (onChange) onChange();
        });
        thumbs.appendChild(box);
      }
      list.forEach(thumb);
      input.addEventListener("change", async function () {
        var files = Array.prototype.slice.call(input.files || []);
        input.value = "";
        if (!files.length) return;
        say("正在处理照片… Processing…", true);
        var added = 0, errors = [], dropped = [];
        for (var i = 0; i < files.length; i++) {
          if (list.length >= SG.Photos.MAX) { errors.push("每项最多 " + SG.Photos.MAX + " 张 · at most " + SG.Photos.MAX + " photos per item"); break; }
          try {
            var p = await SG.preparePhoto(files[i]);
            var key = "photo-" + SG.uuid();
            await Store.putBlob(key, p.blob);
            var rec = { key: key, takenAt: p.takenAt, latitude: p.exif.latitude, longitude: p.exif.longitude, bytes: p.bytes,
              originalBytes: p.originalBytes, width: p.width, height: p.height, exifTime: !!p.exif.takenAt && !p.droppedTime };
            if (p.droppedTime) { rec.droppedTime = p.droppedTime; dropped.push(p.droppedTime); }
            list.push(rec);
            thumb(rec);
            added++;
          } catch (e) {
            errors.push(e && e.message ? e.message : String(e));
          }
        }
        var clock = dropped.length ? "照片时间 " + dropped.map(function (x) { return SG.showTime(x); }).join("、") +
          " 不可信（相机时钟有误？），上传时不带该时间 · the camera's time looks wrong and is not sent" : "";
        if (errors.length) say(errors.join("；") + (clock ? "；" + clock : ""));
        else say(added ? "已添加 " + added + " 张（已压缩）· added " + added + " (shrunk)" + (clock ? "。" + clock : "") : "", true);
        if (onChange) onChange();
      });
      return h("div", { class: "photos", dataset: { field: id } }, label, input, thumbs, msg);
    }
  };

  // ---------------------------------------------------------------- register a subject
  SG.screens.register = async function (view, args, query) {
    var t = UI().token(), me = UI().me, U = UI();
    U.title("登记", "Register");
    if (!Data.writes(me)) { view.appendChild(U.empty("查看账号不能登记 · a viewer cannot register subjects")); return; }
    var editing = query.edit ? await Outbox.item(Number(query.edit)) : null;
    if (editing && editing.kind !== "subject") editing = null;
    if (query.edit && !editing) { view.appendChild(U.empty("找不到这条记录（可能属于另一账号）· no such record for this account")); return; }
    var fromQueue = !!editing, draftKey = SG.draftKey(me, "register");
    var draft = editing ? editing.draft : ((await Store.get(draftKey)) || {});
    var p = editing ? editing.payload : null;
    var st = {
      id: p ? p.id : (draft.id || SG.uuid()),
      kind: draft.kind || (p ? (p.parentId ? "factoryInFactory" : p.kind) : "streetShop"),
      location: p ? (p.location ? { latitude: p.location.latitude, longitude: p.location.longitude, accuracy: draft.accuracy } : null) : (draft.location || null),
      parentId: p ? p.parentId : (draft.parentId || null)
    };
    function v(name, fallback) { return p ? (fallback !== undefined ? fallback : "") : (draft[name] || ""); }
    // Registering the subject of a resident's report: its address and position to start with,
    // and back to the report's verify form afterwards.
    var forReport = !editing && query.report ? await reportOf(me, query.report) : null;
    if (forReport && !draft.name && !draft.address) {
      draft = Object.assign({}, draft, { address: forReport.address || "" });
      if (!st.location && forReport.latitude != null && forReport.longitude != null) {
        st.location = { latitude: forReport.latitude, longitude: forReport.longitude, accuracy: null };
      }
    }

    var kind = U.select("reg-kind", SG.KINDS, st.kind);
    var name = h("input", { id: "reg-name", maxlength: 200, value: p ? p.name : v("name"), autocomplete: "off" });
    var address = h("input", { id: "reg-address", maxlength: 300, value: p ? p.address : v("address"), autocomplete: "off" });
    var credit = h("input", { id: "reg-credit", maxlength: 24, value: p ? (p.creditCode || "") : v("creditCode"), autocomplete: "off", autocapitalize: "characters", spellcheck: "false", class: "mono" });
    var above = h("input", { id: "reg-above", type: "checkbox", checked: p ? !!p.aboveScale : !!draft.aboveScale });
    var rooms = h("input", { id: "reg-rooms", type: "number", inputmode: "numeric", min: 1, max: 10000, value: p ? (p.rooms || "") : v("rooms") });
    var partyName = h("input", { id: "reg-party-name", maxlength: 50, value: p ? p.party.name : v("partyName"), autocomplete: "off" });
    var partyPhone = h("input", { id: "reg-party-phone", type: "tel", inputmode: "tel", maxlength: 20, value: p ? p.party.phone : v("partyPhone"), autocomplete: "off" });
    var locate = h("button", { id: "reg-locate", type: "button", class: "btn secondary" }, "定位 Locate");
    var clearLoc = h("button", { id: "reg-clear-location", type: "button", class: "btn secondary" }, "清除 Clear");
    var position = h("p", { id: "reg-position", class: "position" });
    var gridSel = h("select", { id: "reg-grid" });
    var mgSel = h("select", { id: "reg-microgrid" });
    var mgHint = h("p", { id: "reg-microgrid-hint", class: "hint" });
    var mgField = U.field("microGridCode", "微网格 Micro-grid", mgSel);
    mgField.insertBefore(mgHint, mgField.querySelector(".msg"));
    mgSel.addEventListener("change", function () { if (mgSel.value) U.msg(form, "microGridCode", ""); });
    var parentQ = h("input", { id: "reg-parent-q", type: "search", maxlength: 200, placeholder: "搜索所在厂 search the host plant", autocomplete: "off" });
    var parentSel = h("select", { id: "reg-parent" });
    var save = h("button", { id: "reg-save-inspect", type: "button", class: "btn wide" }, "保存并检查 Save & inspect");
    var saveOnly = h("button", { id: "reg-save", type: "button", class: "btn secondary wide" }, "仅保存 Save only");

    if (forReport) { save.textContent = "保存并回到上报 Save & back to the report"; saveOnly.className = "hidden"; }
    var form = h("form", { id: "register-form", novalidate: true, autocomplete: "off" },
      editing ? h("p", { class: "warn" }, "修改被拒的登记后重发 · fix the refused registration and send it again") : null,
      forReport ? h("p", { id: "reg-for-report", class: "warn" }, "为居民上报登记对象：" + (forReport.item || forReport.serviceCode) +
        "（" + (forReport.address || "") + "）。保存后回到该上报核实 · registering the subject of a resident's report; you go back to verify it") : null,
      U.field("kind", "类型 Kind", kind),
      U.field("name", "名称 Name", name),
      U.field("address", "地址 Address", address),
      h("div", { class: "only-enterprise" }, U.field("creditCode", "统一社会信用代码 Credit code", credit, "18位，末位为校验位 · 18 characters, the last is a check character"),
        h("label", { class: "check" }, above, " 规上企业 Above designated size")),
      h("div", { class: "only-rental" }, U.field("rooms", "出租间数 Rooms", rooms)),
      h("div", { class: "only-fif" }, U.field("parentId", "所在厂（主厂）Host plant", h("div", { class: "stack" }, parentQ, parentSel))),
      U.field("party.name", "当事人 Responsible party", partyName),
      U.field("party.phone", "当事人手机 Mobile", partyPhone, "短信通知发到此号码 · the SMS notice goes to this number"),
      h("div", { class: "field", dataset: { field: "location" } }, h("label", {}, "位置 Position (WGS-84)"), position,
        h("div", { class: "actions" }, locate, clearLoc), h("p", { class: "msg", id: "reg-position-msg", dataset: { for: "location" }, role: "alert" })),
      h("div", { id: "reg-grid-box" }, U.field("gridCode", "网格 Grid", gridSel)),
      mgField,
      h("p", { class: "msg", id: "reg-msg", dataset: { for: "form" }, role: "alert" }),
      save, fromQueue ? null : saveOnly);
    view.appendChild(form);
    form.addEventListener("submit", function (e) { e.preventDefault(); });

    function showKind() {
      var k = kind.value;
      form.querySelector(".only-enterprise").className = "only-enterprise" + (k === "enterprise" || k === "factoryInFactory" ? "" : " hidden");
      form.querySelector(".only-rental").className = "only-rental" + (k === "rentalHousing" ? "" : " hidden");
      form.querySelector(".only-fif").className = "only-fif" + (k === "factoryInFactory" ? "" : " hidden");
      if (k === "factoryInFactory") fillParents();
    }
    function checkCredit(final) {
      var k = kind.value, r = SG.checkCreditCode(credit.value);
      if (r.empty) {
        var need = k === "enterprise" || k === "factoryInFactory";
        U.msg(form, "creditCode", final && need ? "企业须填写统一社会信用代码 · an enterprise needs its credit code" : "");
        return !(final && need);
      }
      if (r.partial && !final) { U.msg(form, "creditCode", r.message, true); return false; }
      U.msg(form, "creditCode", r.message, r.ok);
      return r.ok;
    }
    function showPosition() {
      var l = st.location;
      position.textContent = l ? l.latitude.toFixed(6) + ", " + l.longitude.toFixed(6) + (l.accuracy != null ? " · 精度 ±" + Math.round(l.accuracy) + " m" : "") : "未定位 · no position (optional)";
      if (!l) { U.msg(form, "location", ""); return true; }
      var km = SG.kmOutsideXiaoshan(l.latitude, l.longitude);
      if (km > 3) {
        U.msg(form, "location", "位置在萧山区外约 " + km.toFixed(1) + " km，请到现场重新定位或清除位置 · the position is " + km.toFixed(1) + " km outside 萧山区; locate again on site or clear it");
        return false;
      }
      U.msg(form, "location", l.accuracy > 100 ? "精度较差（±" + Math.round(l.accuracy) + " m），可到室外再定位 · low accuracy" : "在萧山区内 ✓ inside 萧山区", l.accuracy <= 100);
      return true;
    }

    // Micro-grids: the account's own, its grid's children, or a grid then its children. Preset
    // only when there is one choice (or the subject's own, when fixing or from the draft): a
    // subject filed under the wrong micro-grid goes to the wrong worker.
    var lastMg = null;
    async function fillGrids() {
      var code = me.areaCode, wantMg = p ? p.microGridCode : (draft.microGridCode || "");
      lastMg = (await Store.get("lastMicroGrid:" + me.username)) || null;
      SG.clear(mgSel);
      if (code.length === 17) {
        SG.$("reg-grid-box").className = "hidden";
        var area = await Store.get("area");
        mgSel.appendChild(h("option", { value: code }, (area && area.area ? area.area.name : code)));
        return;
      }
      var grids = [];
      if (code.length === 14) {
        SG.$("reg-grid-box").className = "hidden";
        return fillMicro(code, wantMg);
      }
      try { grids = await gridsUnder(code); } catch (e) { grids = []; }
      SG.clear(gridSel);
      if (grids.length > 1) gridSel.appendChild(h("option", { value: "" }, "— 请选择网格 choose the grid —"));
      grids.forEach(function (g) { gridSel.appendChild(h("option", { value: g.code }, g.name)); });
      if (!grids.length) gridSel.appendChild(h("option", { value: "" }, "离线：无网格列表 · offline: no grid list"));
      if (wantMg && wantMg.length === 17 && grids.some(function (g) { return g.code === wantMg.slice(0, 14); })) gridSel.value = wantMg.slice(0, 14);
      else if (grids.length !== 1) gridSel.value = "";
      return fillMicro(gridSel.value, wantMg);
    }
    async function gridsUnder(code) {
      var kids = await Data.children(code);
      if (!kids.length || kids[0].level === "grid") return kids;
      var out = [];
      for (var i = 0; i < kids.length && i < 80; i++) out = out.concat((await Data.children(kids[i].code)).filter(function (k) { return k.level === "grid"; }));
      return out;
    }
    async function fillMicro(grid, want) {
      SG.clear(mgSel);
      mgHint.textContent = "";
      if (!grid) { mgSel.appendChild(h("option", { value: "" }, "— 先选择网格 choose the grid first —")); return; }
      var kids = [];
      try { kids = await Data.children(grid); } catch (e) { kids = []; }
      if (kids.length > 1) mgSel.appendChild(h("option", { value: "" }, "— 请选择微网格 choose the micro-grid —"));
      kids.forEach(function (k) { mgSel.appendChild(h("option", { value: k.code }, (k.shortName || k.name) + (k.code === lastMg ? "（上次 last used）" : ""))); });
      if (!kids.length) mgSel.appendChild(h("option", { value: "" }, "离线：无微网格列表 · offline: no list"));
      if (want && kids.some(function (k) { return k.code === want; })) mgSel.value = want;
      else mgSel.value = kids.length === 1 ? kids[0].code : "";
      if (kids.length > 1) mgHint.textContent = "本网格有 " + kids.length + " 个微网格，请选择对象所在的一个 · " + kids.length + " micro-grids here: choose the subject's";
    }
    gridSel.addEventListener("change", function () { fillMicro(gridSel.value, null).then(saveDraft); });

    async function fillParents() {
      var q = parentQ.value.trim(), list = (await Data.localSubjects()).filter(function (s) {
        return (s.kind === "enterprise" || s.kind === "smallMicroPark") && !SG.sameId(s.id, st.id);
      });
      if (q) list = Data.search(list, q);
      if (q && Api.online) {
        try {
          var r = await Api.get("/api/v1/subjects?per=30&q=" + encodeURIComponent(q));
          if (r.ok) r.json.items.forEach(function (s) {
            if ((s.kind === "enterprise" || s.kind === "smallMicroPark") && !list.some(function (x) { return SG.sameId(x.id, s.id); })) list.push(s);
          });
        } catch (e) { /* offline */ }
      }
      SG.clear(parentSel);
      parentSel.appendChild(h("option", { value: "" }, "— 选择主厂 choose the host plant —"));
      list.slice(0, 100).forEach(function (s) { parentSel.appendChild(h("option", { value: String(s.id).toLowerCase() }, s.name + " · " + s.address)); });
      if (st.parentId) {
        if (!list.some(function (s) { return SG.sameId(s.id, st.parentId); })) parentSel.appendChild(h("option", { value: String(st.parentId).toLowerCase() }, "已选 " + st.parentId));
        parentSel.value = String(st.parentId).toLowerCase();
      }
    }
    var pt = null;
    parentQ.addEventListener("input", function () { clearTimeout(pt); pt = setTimeout(fillParents, 300); });
    parentSel.addEventListener("change", function () { st.parentId = parentSel.value || null; saveDraft(); });

    kind.addEventListener("change", function () { st.kind = kind.value; showKind(); checkCredit(false); saveDraft(); });
    credit.addEventListener("input", function () { checkCredit(false); saveDraft(); });
    credit.addEventListener("blur", function () { checkCredit(true); });
    partyPhone.addEventListener("blur", function () { var r = SG.checkPhone(partyPhone.value); U.msg(form, "party.phone", r.ok ? "" : r.message); });
    [name, address, rooms, partyName, partyPhone, above, mgSel].forEach(function (el) { el.addEventListener("change", saveDraft); el.addEventListener("input", saveDraft); });
    locate.addEventListener("click", async function () {
      locate.disabled = true; position.textContent = "正在定位… Locating…";
      try { st.location = await U.locate(); } catch (e) { U.msg(form, "location", e.message); }
      locate.disabled = false;
      showPosition(); saveDraft();
    });
    clearLoc.addEventListener("click", function () { st.location = null; showPosition(); saveDraft(); });

    var dt = null;
    function saveDraft() {
      if (editing) return;
      clearTimeout(dt);
      dt = setTimeout(function () {
        Store.set(draftKey, { id: st.id, kind: kind.value, name: name.value, address: address.value, creditCode: credit.value, aboveScale: above.checked,
          rooms: rooms.value, partyName: partyName.value, partyPhone: partyPhone.value, location: st.location, parentId: st.parentId, microGridCode: mgSel.value });
      }, 400);
    }

    async function submit(thenInspect) {
      U.clearMsgs(form);
      var bad = [], k = kind.value;
      function fail(field, text) { U.msg(form, field, text); bad.push(field); }
      if (!name.value.trim()) fail("name", "请填写名称 · a name is required");
      if (!address.value.trim()) fail("address", "请填写地址 · an address is required");
      if (!checkCredit(true)) bad.push("creditCode");
      var cc = SG.checkCreditCode(credit.value);
      if (cc.ok) {
        var dup = (await Data.localSubjects()).filter(function (s) { return s.creditCode === cc.value && !SG.sameId(s.id, st.id); })[0];
        if (dup) fail("creditCode", "此信用代码已登记：" + dup.name + " · this credit code is already registered");
      }
      if (k === "rentalHousing") {
        var n = Number(rooms.value);
        if (!rooms.value || !(n >= 1 && n <= 10000) || Math.round(n) !== n) fail("rooms", "出租间数为 1–10000 的整数 · rooms: a whole number from 1 to 10000");
      }
      if (k === "factoryInFactory" && !parentSel.value) fail("parentId", "请选择所在的主厂 · choose the plant it sits in");
      if (!partyName.value.trim()) fail("party.name", "请填写当事人姓名 · the party's name is required");
      var ph = SG.checkPhone(partyPhone.value);
      if (!ph.ok) fail("party.phone", ph.message);
      if (!showPosition()) bad.push("location");
      if (!/^\d{17}$/.test(mgSel.value || "")) fail("microGridCode", "请选择微网格 · choose the micro-grid");
      if (bad.length) {
        U.msg(form, "form", "有 " + bad.length + " 处需要改正，见标红处 · " + bad.length + " field(s) to fix, marked in red");
        var first = form.querySelector("[data-field='" + bad[0] + "'] input, [data-field='" + bad[0] + "'] select, [data-field='" + bad[0] + "'] button");
        if (first && first.focus) first.focus();
        return;
      }
      save.disabled = true; saveOnly.disabled = true;
      var payload = { id: st.id, kind: k === "factoryInFactory" ? "enterprise" : k, name: name.value.trim(), address: address.value.trim(),
        microGridCode: mgSel.value, party: { name: partyName.value.trim(), phone: partyPhone.value.trim() } };
      if (cc.ok) payload.creditCode = cc.value;
      if (payload.kind === "enterprise" && above.checked) payload.aboveScale = true;
      if (k === "rentalHousing") payload.rooms = Number(rooms.value);
      if (k === "factoryInFactory") payload.parentId = parentSel.value;
      if (st.location) payload.location = { latitude: Math.round(st.location.latitude * 1e7) / 1e7, longitude: Math.round(st.location.longitude * 1e7) / 1e7, datum: "wgs84" };
      var itemDraft = { kind: k, accuracy: st.location ? st.location.accuracy : null };
      var deps = [];
      if (payload.parentId) { var pItem = await SG.subjectItem(payload.parentId); if (pItem) deps.push(pItem); }
      var item;
      if (editing) {
        item = await Outbox.retry(editing.id, { payload: payload, draft: itemDraft, deps: deps, label: "登记 Register · " + payload.name });
      } else {
        item = await Outbox.add("subject", payload, { deps: deps, label: "登记 Register · " + payload.name, subjectId: payload.id, draft: itemDraft });
        await Store.del(draftKey);
      }
      await Store.set("lastMicroGrid:" + me.username, payload.microGridCode);
      try { await Outbox.run(); } catch (e) { /* stays queued */ }
      var after = await Outbox.item(item.id);
      if (after && after.state === "refused") {
        // Refused at once (online): show it here, next to the field, and keep the form.
        save.disabled = false; saveOnly.disabled = false;
        if (!editing) { editing = after; }
        var f = after.error.field || "form";
        if (!U.msg(form, f, "服务器拒绝 · refused: " + after.error.detail)) U.msg(form, "form", "服务器拒绝 · refused: " + after.error.detail);
        else U.msg(form, "form", "服务器拒绝，请改正后再保存 · refused; fix and save again");
        return;
      }
      U.toast(after && after.state === "sent" ? "已登记 · registered" : "已保存在本机，联网后上传 · saved on the phone; sends when online");
      if (fromQueue) { U.go("#/queue"); return; }
      if (forReport) { U.go("#/today?report=" + encodeURIComponent(String(forReport.id).toLowerCase()) + "&subject=" + encodeURIComponent(payload.id)); return; }
      U.go(thenInspect ? "#/inspect/" + payload.id : "#/subject/" + payload.id);
    }
    save.addEventListener("click", function () { submit(true); });
    saveOnly.addEventListener("click", function () { submit(false); });

    showKind();
    showPosition();
    if (credit.value) checkCredit(false);
    await fillGrids();
    if (editing && editing.error) {
      var ef = editing.error.field || "form";
      if (!U.msg(form, ef, "服务器拒绝 · refused: " + editing.error.detail)) U.msg(form, "form", "服务器拒绝 · refused: " + editing.error.detail);
    }
    if (!UI().alive(t)) return;
  };

  /** A report of the phone's copy of Today's list (this account's), or null. */
  async function reportOf(me, id) {
    var kept = await Store.get("reports");
    if (!kept || kept.user !== me.username) return null;
    return (kept.items || []).filter(function (r) { return SG.sameId(r.id, id); })[0] || null;
  }

  // ---------------------------------------------------------------- the joint inspection (一张表)
  var OUTCOMES = [["pass", "合格 Pass"], ["hazard", "隐患 Hazard"], ["notApplicable", "不适用 N/A"]];

  SG.screens.inspect = async function (view, args, query) {
    var t = UI().token(), me = UI().me, U = UI(), subjectId = String(args[0] || "").toLowerCase();
    U.title("一张表检查", "Inspect");
    if (!Data.writes(me)) { view.appendChild(U.empty("查看账号不能检查 · a viewer cannot inspect")); return; }
    view.appendChild(h("p", { class: "hint" }, "载入中… Loading…"));
    var editing = query.edit ? await Outbox.item(Number(query.edit)) : null;
    if (editing && editing.kind !== "inspection") editing = null;
    if (query.edit && !editing) { SG.clear(view); view.appendChild(U.empty("找不到这条记录（可能属于另一账号）· no such record for this account")); return; }
    var detail = await Data.subjectDetail(subjectId);
    var checklist = await Store.get("checklist");
    if (!checklist && Api.online) { try { checklist = await Api.json("/api/v1/checklists/current"); await Store.set("checklist", checklist); } catch (e) { /* below */ } }
    if (!UI().alive(t)) return;
    SG.clear(view);
    if (!detail) { view.appendChild(U.empty("找不到该对象（不在本机缓存）· no such subject on this phone")); return; }
    if (!checklist) { view.appendChild(U.empty("尚未下载检查表，请联网一次 · the checklist is not on this phone yet; go online once")); return; }
    var s = detail.subject;
    if (s.closedDownAt) { view.appendChild(U.empty("该对象已关停，不能检查 · closed down; it cannot be inspected")); return; }
    var items = checklist.items.filter(function (it) { return it.subjectKinds.indexOf(s.kind) >= 0; });
    var openByItem = {};
    (detail.hazards || []).forEach(function (hz) { if (hz.state === "open" || hz.state === "rectifying" || hz.state === "rebound") openByItem[hz.itemCode] = hz; });

    var draftKey = SG.draftKey(me, "inspect:" + subjectId);
    var saved = editing ? editing.draft : await Store.get(draftKey);
    // The signed-in person's department: an inspector's own; an account without one (grid
    // workers) chooses the department it inspects with, remembered per account, never a
    // default (the notice lists each member under their department).
    var lastDept = me.department || (await Store.get("lastDept:" + me.username)) || "";
    var st = saved && saved.answers ? saved : {
      answers: {}, team: [{ name: me.displayName || me.username, department: lastDept }], startedAt: Date.now()
    };
    var today = SG.today();

    var teamBox = h("div", { id: "team" });
    function renderTeam() {
      SG.clear(teamBox);
      st.team.forEach(function (m, i) {
        var nameIn = h("input", { class: "member-name", value: m.name, maxlength: 50, "aria-label": "姓名 name", readonly: i === 0 && !editing ? true : null });
        var dept = U.select(null, [{ value: "", zh: "— 请选择部门 —" }].concat(SG.DEPARTMENTS.map(function (d) { return { value: d.value, zh: d.zh }; })), m.department || "", "member-dept");
        dept.setAttribute("aria-label", "部门 department");
        if (!m.department) dept.className += " unset";
        nameIn.addEventListener("input", function () { m.name = nameIn.value; saveDraft(); });
        dept.addEventListener("change", function () {
          m.department = dept.value;
          dept.className = "member-dept" + (m.department ? "" : " unset");
          if (m.department) U.msg(view, "team", "");
          saveDraft();
        });
        var row = h("div", { class: "member", dataset: { index: i } }, nameIn, dept);
        if (i > 0) {
          var rm = h("button", { type: "button", class: "btn secondary small", "aria-label": "移除 remove" }, "×");
          rm.addEventListener("click", function () { st.team.splice(i, 1); renderTeam(); saveDraft(); });
          row.appendChild(rm);
        }
        teamBox.appendChild(row);
      });
    }
    var addMember = h("button", { id: "add-member", type: "button", class: "btn secondary" }, "+ 添加成员 Add member");
    addMember.addEventListener("click", function () {
      var used = st.team.map(function (m) { return m.department; });
      var next = SG.DEPARTMENTS.filter(function (d) { return used.indexOf(d.value) < 0; })[0];
      st.team.push({ name: "", department: next ? next.value : "fireRescue" });
      renderTeam(); saveDraft();
      var inputs = teamBox.querySelectorAll(".member-name");
      inputs[inputs.length - 1].focus();
    });
    renderTeam();

    var summary = h("p", { id: "inspect-summary", class: "summary-line" });
    view.appendChild(h("section", { class: "card" },
      h("h2", { id: "inspect-subject" }, s.name),
      h("p", { class: "addr" }, s.address),
      h("p", { class: "meta" }, h("span", {}, U.kindLabel(s)), U.chip(s.colour, s.pendingItem ? "新登记 New" : null),
        h("span", {}, "检查表 v" + checklist.version + " · " + items.length + " 项 items")),
      editing ? h("p", { class: "warn" }, "修改被拒的检查后重发 · fix the refused inspection and send it again") : null));
    view.appendChild(h("section", { class: "card" }, h("h3", {}, "检查组 Team（联合检查 joint team）"),
      me.department ? null : h("p", { id: "team-dept-hint", class: "hint" }, "网格员请选择随同检查的部门 · choose the department you inspect with"),
      teamBox, addMember,
      h("p", { class: "msg", dataset: { for: "team" }, role: "alert" })));

    var markRest = h("button", { id: "mark-rest-pass", type: "button", class: "btn secondary" }, "其余合格 Rest pass");
    view.appendChild(h("div", { class: "row between sticky-sum" }, summary, markRest));

    var rows = {};
    SG.DEPARTMENTS.forEach(function (d) {
      var mine = items.filter(function (it) { return it.department === d.value; });
      if (!mine.length) return;
      var sec = h("section", { class: "dept", dataset: { department: d.value } }, h("h3", { class: "dept-h" }, d.zh + " " + d.en + "（" + mine.length + "）"));
      mine.forEach(function (it) { rows[it.code] = itemRow(it); sec.appendChild(rows[it.code].el); });
      view.appendChild(sec);
    });

    function itemRow(it) {
      var el = h("div", { class: "item", id: "item-" + it.code, dataset: { code: it.code } },
        h("p", { class: "item-text" }, it.zh),
        h("p", { class: "en item-en" }, it.en),
        h("p", { class: "meta" }, h("span", { class: "mono" }, it.code), h("span", {}, SG.zh(SG.SEVERITIES, it.defaultSeverity)),
          h("span", {}, it.defaultDays ? it.defaultDays + " 天整改 days" : "即查即改 same day"),
          openByItem[it.code] ? h("span", { class: "warn" }, "已有未改隐患，将合并 open hazard exists (linked)") : null));
      var seg = h("div", { class: "seg outcomes", role: "group" });
      OUTCOMES.forEach(function (o) {
        var b = h("button", { type: "button", class: "opt", dataset: { outcome: o[0] }, "aria-pressed": "false" }, o[1]);
        b.addEventListener("click", function () { setOutcome(it, st.answers[it.code] && st.answers[it.code].outcome === o[0] ? null : o[0]); });
        seg.appendChild(b);
      });
      el.appendChild(seg);
      var hz = h("div", { class: "hz hidden" });
      el.appendChild(hz);
      return { el: el, seg: seg, hz: hz, item: it, built: false };
    }
    function defaultAnswer(it, outcome) {
      return { outcome: outcome, severity: it.defaultSeverity, dueOn: SG.addDays(today, it.defaultDays), onSpot: it.defaultDays === 0, note: "", photos: [] };
    }
    function setOutcome(it, outcome) {
      var a = st.answers[it.code];
      if (!outcome) delete st.answers[it.code];
      else if (!a) st.answers[it.code] = defaultAnswer(it, outcome);
      else a.outcome = outcome;
      paint(it);
      saveDraft();
    }
    function paint(it) {
      var row = rows[it.code], a = st.answers[it.code];
      Array.prototype.forEach.call(row.seg.children, function (b) {
        b.setAttribute("aria-pressed", a && b.getAttribute("data-outcome") === a.outcome ? "true" : "false");
      });
      row.el.setAttribute("data-outcome", a ? a.outcome : "");
      var isHz = a && a.outcome === "hazard";
      row.hz.className = "hz" + (isHz ? "" : " hidden");
      if (isHz && !row.built) buildHazard(row, a);
      updateSummary();
    }
    function buildHazard(row, a) {
      row.built = true;
      var code = row.item.code;
      var sev = U.select(null, SG.SEVERITIES, a.severity, "sev");
      var due = h("input", { type: "date", class: "due", min: today, value: a.dueOn, id: "due-" + code });
      var onSpot = h("input", { type: "checkbox", class: "onspot", checked: !!a.onSpot });
      var note = h("textarea", { class: "note", rows: 2, maxlength: 2000, placeholder: "现场情况 · what was found" });
      note.value = a.note || "";
      sev.addEventListener("change", function () { a.severity = sev.value; saveDraft(); });
      due.addEventListener("change", function () { a.dueOn = due.value; checkDue(code); saveDraft(); });
      due.addEventListener("input", function () { a.dueOn = due.value; checkDue(code); saveDraft(); });
      onSpot.addEventListener("change", function () {
        a.onSpot = onSpot.checked;
        if (a.onSpot) { a.dueOn = today; due.value = today; }
        due.disabled = a.onSpot;
        checkDue(code); saveDraft();
      });
      note.addEventListener("input", function () { a.note = note.value; saveDraft(); });
      due.disabled = !!a.onSpot;
      row.hz.appendChild(h("div", { class: "grid2" },
        U.field("sev-" + code, "严重程度 Severity", sev),
        U.field("due-" + code, "整改期限 Deadline", due)));
      row.hz.appendChild(h("label", { class: "check" }, onSpot, " 即查即改（现场已整改）Fixed on the spot"));
      row.hz.appendChild(U.field("note-" + code, "说明 Note", note));
      row.hz.appendChild(SG.Photos.picker("photo-" + code, a.photos, saveDraft));
      if (a.dueOn) checkDue(code);
    }
    function checkDue(code) {
      var a = st.answers[code];
      if (!a || a.outcome !== "hazard") return true;
      var text = "";
      if (!SG.isDay(a.dueOn)) text = "请选择整改期限 · choose a deadline";
      else if (a.dueOn < today) text = "整改期限不能早于今天（" + today + "）· the deadline cannot be before today";
      else if (a.dueOn > SG.addDays(today, 730)) text = "整改期限不能超过两年 · at most two years ahead";
      else if (a.onSpot && a.dueOn !== today) text = "即查即改的期限为今天 · fixed on the spot is due today";
      U.msg(view, "due-" + code, text);
      return !text;
    }
    function updateSummary() {
      var n = 0, hz = 0;
      Object.keys(st.answers).forEach(function (c) { n++; if (st.answers[c].outcome === "hazard") hz++; });
      summary.textContent = "已查 " + n + "/" + items.length + " · 隐患 " + hz;
      summary.setAttribute("title", n + " of " + items.length + " items recorded, " + hz + " hazards");
    }
    markRest.addEventListener("click", function () {
      items.forEach(function (it) { if (!st.answers[it.code]) { st.answers[it.code] = defaultAnswer(it, "pass"); paint(it); } });
      saveDraft();
    });

    var dt = null;
    function saveDraft() {
      if (editing) return;
      clearTimeout(dt);
      dt = setTimeout(function () { Store.set(draftKey, st); }, 400);
    }

    var submit = h("button", { id: "inspect-submit", type: "button", class: "btn wide" }, editing ? "重新提交 Submit again" : "提交并请当事人签字 Submit & sign");
    var discard = h("button", { id: "inspect-discard", type: "button", class: "btn secondary wide" }, "放弃本次检查 Discard");
    view.appendChild(h("section", { class: "card" }, h("p", { class: "msg", id: "inspect-msg", dataset: { for: "inspection" }, role: "alert" }), submit, editing ? null : discard));
    discard.addEventListener("click", async function () {
      if (!confirm("放弃本次检查的全部记录？ Discard this inspection?")) return;
      for (var c in st.answers) (st.answers[c].photos || []).forEach(function (p) { Store.delBlob(p.key); });
      await Store.del(draftKey);
      U.go("#/today");
    });
    if (editing && editing.error) {
      var m = /^results\[(\d+)\]\.(\w+)/.exec(editing.error.field || "");
      var res = m && editing.payload.results[Number(m[1])];
      var shown = res && U.msg(view, (m[2] === "dueOn" ? "due-" : m[2] === "photos" ? "photo-" : "note-") + res.itemCode, "服务器拒绝 · refused: " + editing.error.detail);
      U.msg(view, "inspection", "服务器拒绝 · refused: " + editing.error.detail);
      if (!shown && editing.error.field && /^team/.test(editing.error.field)) U.msg(view, "team", editing.error.detail);
    }

    submit.addEventListener("click", async function () {
      U.clearMsgs(view);
      var bad = [];
      var noName = st.team.some(function (m) { return !m.name.trim(); }), noDept = st.team.some(function (m) { return !m.department; });
      if (noName || noDept) {
        bad.push("team");
        U.msg(view, "team", (noName ? "请填写每位成员的姓名 · every team member needs a name" : "") + (noName && noDept ? "；" : "") +
          (noDept ? "请为每位成员选择部门（网格员请选择随同检查的部门）· choose each member's department (the one you inspect with)" : ""));
      }
      var codes = items.map(function (it) { return it.code; }).filter(function (c) { return st.answers[c]; });
      if (!codes.length) { U.msg(view, "inspection", "请至少检查一项 · record at least one item"); return; }
      codes.forEach(function (c) { if (!checkDue(c)) bad.push("due-" + c); });
      if (bad.length) {
        U.msg(view, "inspection", "有 " + bad.length + " 处需要改正，见标红处 · " + bad.length + " field(s) to fix, marked in red");
        var first = bad[0] === "team" ? teamBox : SG.$(bad[0]);
        if (first && first.scrollIntoView) first.scrollIntoView({ block: "center" });
        return;
      }
      submit.disabled = true;
      var existing = {};
      if (editing) (await Outbox.items()).forEach(function (it) { if (it.kind === "photo" && editing.deps.indexOf(it.id) >= 0) existing[it.payload.blobKey] = it.id; });
      var deps = [], results = [];
      var pendingSubject = await SG.subjectItem(subjectId);
      if (pendingSubject) deps.push(pendingSubject);
      for (var i = 0; i < codes.length; i++) {
        var a = st.answers[codes[i]], r = { itemCode: codes[i], outcome: a.outcome };
        if (a.outcome === "hazard") {
          var photoIds = [];
          for (var k = 0; k < a.photos.length; k++) {
            var p = a.photos[k], pid = existing[p.key];
            if (!pid) {
              pid = (await Outbox.add("photo", { blobKey: p.key, takenAt: p.takenAt, latitude: p.latitude, longitude: p.longitude, bytes: p.bytes },
                { label: "照片 Photo · " + s.name + " · " + codes[i], subjectId: subjectId })).id;
            }
            deps.push(pid); photoIds.push(pid);
          }
          r.severity = a.severity;
          r.dueOn = a.onSpot ? today : a.dueOn;
          if (a.onSpot) r.rectifiedOnSite = true;
          if (a.note.trim()) r.note = a.note.trim();
          if (photoIds.length) r.photos = photoIds;
        }
        results.push(r);
      }
      var payload = { clientId: SG.uuid(), subjectId: subjectId, checklistVersion: checklist.version, inspectedAt: SG.rfc3339(),
        inspector: me.displayName || me.username,
        team: st.team.map(function (m) { return { name: m.name.trim(), department: m.department }; }), results: results };
      var item;
      if (editing) {
        var depsBefore = editing.deps.slice();
        item = await Outbox.retry(editing.id, { payload: payload, deps: deps, draft: st });
        await SG.dropUnusedPhotos(depsBefore, deps);
      } else {
        item = await Outbox.add("inspection", payload, { deps: deps, label: "检查 Inspection · " + s.name, subjectId: subjectId,
          draft: { answers: st.answers, team: st.team, subjectName: s.name, partyName: s.party ? s.party.name : "", partyPhone: s.party ? s.party.phone : "" } });
        await Store.del(draftKey);
      }
      if (!me.department) await Store.set("lastDept:" + me.username, st.team[0].department);
      try { await Outbox.run(); } catch (e) { /* queued */ }
      var after = await Outbox.item(item.id);
      if (after && after.state === "refused") {
        U.toast("服务器拒绝，请修改 · refused; fix it", "bad");
        U.go("#/inspect/" + subjectId + "?edit=" + item.id);
        return;
      }
      SG.refreshSoon();
      var signed = (await Outbox.items()).some(function (x) { return x.kind === "signature" && x.payload.inspectionItem === item.id; });
      U.go(signed ? "#/queue" : "#/sign/" + item.id);
    });

    updateSummary();
    Object.keys(st.answers).forEach(function (c) { if (rows[c]) paint(rows[c].item); });
  };

  // ---------------------------------------------------------------- the party's signature
  SG.screens.sign = async function (view, args, query) {
    var U = UI(), me = U.me, id = Number(args[0]);
    U.title("当事人签字", "Signature");
    var insp = await Outbox.item(id);
    if (!insp || insp.kind !== "inspection") { view.appendChild(U.empty("找不到这次检查 · no such inspection on this phone")); return; }
    var all = await Outbox.items();
    var existing = all.filter(function (it) { return it.kind === "signature" && it.payload.inspectionItem === id && it.state !== "refused"; })[0];
    if (existing && !query.edit) { U.go("#/done/" + existing.id); return; }
    var editing = query.edit ? await Outbox.item(Number(query.edit)) : null;
    var d = insp.draft || {}, answers = d.answers || {}, subjectId = insp.payload.subjectId;
    var subject = await Data.findSubject(subjectId);
    var checklist = (await Store.get("checklist")) || { items: [] }, byCode = {};
    checklist.items.forEach(function (it) { byCode[it.code] = it; });
    var hazards = insp.payload.results.filter(function (r) { return r.outcome === "hazard"; });
    var list = h("ol", { class: "sign-list" });
    hazards.forEach(function (r) {
      list.appendChild(h("li", {}, (byCode[r.itemCode] ? byCode[r.itemCode].zh : r.itemCode) + " · " + SG.zh(SG.SEVERITIES, r.severity) +
        " · " + (r.rectifiedOnSite ? "已现场整改 fixed on the spot" : "期限 due " + r.dueOn)));
    });
    var signer = h("input", { id: "signer-name", maxlength: 50, value: (editing && editing.payload.body.signerName) || d.partyName || (subject && subject.party ? subject.party.name : "") });
    var phone = h("input", { id: "signer-phone", type: "tel", maxlength: 20, placeholder: "默认为登记的当事人电话 · defaults to the party's number" });
    var canvas = h("canvas", { id: "sign-pad", class: "pad", "aria-label": "签名区 signature pad" });
    var clearBtn = h("button", { id: "sign-clear", type: "button", class: "btn secondary" }, "重签 Clear");
    var submit = h("button", { id: "sign-submit", type: "button", class: "btn wide" }, "确认签字 Sign");
    var later = h("a", { id: "sign-later", class: "btn secondary wide", href: "#/today" }, "稍后签字 Sign later");
    view.appendChild(h("section", { class: "card" },
      h("h2", {}, d.subjectName || (subject && subject.name) || ""),
      h("p", {}, "检查时间 " + SG.showTime(insp.payload.inspectedAt) + " · 检查组 " + insp.payload.team.map(function (m) { return m.name + "·" + SG.zh(SG.DEPARTMENTS, m.department); }).join("、")),
      h("p", { class: "big" }, hazards.length ? "发现隐患 " + hazards.length + " 项 hazards found" : "未发现隐患 no hazards found"),
      list,
      h("p", { class: "state-line", id: "sign-insp-state" }, insp.state === "sent" ? "检查已上传 ✓ inspection stored on the server" : "检查已保存在本机，联网后上传 · inspection saved on the phone")));
    var box = h("section", { class: "card" },
      h("p", {}, "请当事人核对上述内容后在下方签字。 The responsible party checks the record and signs below."),
      U.field("signerName", "签字人 Signer", signer),
      U.field("signerPhone", "手机（可不填）Mobile (optional)", phone),
      h("div", { class: "pad-wrap" }, canvas),
      h("p", { class: "msg", id: "sign-msg", dataset: { for: "image" }, role: "alert" }),
      h("div", { class: "actions" }, clearBtn), submit, later);
    view.appendChild(box);
    if (insp.state === "sent" && insp.result) {
      view.appendChild(h("p", { class: "hint" }, h("a", { id: "sign-web", href: "/inspections/" + String(insp.result.id).toLowerCase() + "/sign" }, "在网页签字页签名 Open the web signing page")));
    }
    if (editing && editing.error) U.msg(box, editing.error.field === "signerName" ? "signerName" : editing.error.field === "signerPhone" ? "signerPhone" : "image", "服务器拒绝 · refused: " + editing.error.detail);

    var ctx = canvas.getContext("2d"), strokes = 0, drawing = false, last = null;
    function setup() {
      var r = canvas.getBoundingClientRect(), dpr = Math.min(2, window.devicePixelRatio || 1);
      canvas.width = Math.max(1, Math.round(r.width * dpr)); canvas.height = Math.max(1, Math.round(r.height * dpr));
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, r.width, r.height);
      ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111"; ctx.fillStyle = "#111";
      strokes = 0;
    }
    function pos(e) { var r = canvas.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; last = pos(e); strokes++;
      if (canvas.setPointerCapture) { try { canvas.setPointerCapture(e.pointerId); } catch (x) { /* synthetic */ } }
      ctx.beginPath(); ctx.arc(last.x, last.y, 1.2, 0, 2 * Math.PI); ctx.fill();
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = pos(e);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; e.preventDefault();
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (tp) { canvas.addEventListener(tp, function () { drawing = false; }); });
    clearBtn.addEventListener("click", setup);
    setup();

    submit.addEventListener("click", async function () {
      U.clearMsgs(box);
      var bad = false;
      if (!signer.value.trim()) { U.msg(box, "signerName", "请填写签字人姓名 · the signer's name is required"); bad = true; }
      if (phone.value.trim()) { var pr = SG.checkPhone(phone.value); if (!pr.ok) { U.msg(box, "signerPhone", pr.message); bad = true; } }
      if (strokes === 0) { U.msg(box, "image", "请当事人先在框内签名 · please sign in the box first"); bad = true; }
      if (bad) return;
      submit.disabled = true;
      var body = { signerName: signer.value.trim(), signedAt: SG.rfc3339(), image: canvas.toDataURL("image/png") };
      if (phone.value.trim()) body.signerPhone = phone.value.trim();
      var loc = await quickPosition();
      if (loc) body.location = { latitude: loc.latitude, longitude: loc.longitude, datum: "wgs84" };
      var item;
      if (editing) item = await Outbox.retry(editing.id, { payload: { inspectionItem: id, inspectionId: insp.result ? insp.result.id : null, body: body } });
      else item = await Outbox.add("signature", { inspectionItem: id, inspectionId: insp.result ? insp.result.id : null, body: body },
        { deps: [id], label: "签名 Signature · " + (d.subjectName || ""), subjectId: subjectId });
      try { await Outbox.run(); } catch (e) { /* queued */ }
      U.go("#/done/" + item.id);
    });
  };

  /** A position within 4 s (for the signature record), or null. */
  function quickPosition() {
    if (!navigator.geolocation) return Promise.resolve(null);
    return new Promise(function (resolve) {
      var done = false, timer = setTimeout(function () { if (!done) { done = true; resolve(null); } }, 4000);
      navigator.geolocation.getCurrentPosition(function (p) {
        if (done) return; done = true; clearTimeout(timer);
        resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude });
      }, function () { if (!done) { done = true; clearTimeout(timer); resolve(null); } }, { timeout: 4000, maximumAge: 120000 });
    });
  }

  // ---------------------------------------------------------------- after signing
  SG.screens.done = async function (view, args) {
    var U = UI(), t = U.token(), id = Number(args[0]);
    U.title("检查完成", "Done");
    var renders = 0;
    async function render() {
      if (!UI().alive(t)) { SG.onQueueChange = null; return; }
      var mine = ++renders;
      var sig = await Outbox.item(id);
      var insp = sig && await Outbox.item(sig.payload.inspectionItem);
      var all = await Outbox.items();
      // Only the latest of overlapping renders (the queue changes quickly while sending) draws.
      if (mine !== renders || !UI().alive(t)) return;
      SG.clear(view);
      if (!sig) { view.appendChild(U.empty("找不到该签名 · no such signature on this phone")); return; }
      var rows = h("ul", { class: "chain list" });
      var chain = [];
      all.forEach(function (it) { if (insp && insp.deps.indexOf(it.id) >= 0) chain.push(it); });
      if (insp) chain.push(insp);
      chain.push(sig);
      chain.forEach(function (it) {
        rows.appendChild(h("li", { class: "chain-item state-" + it.state, dataset: { kind: it.kind, state: it.state } },
          h("span", { class: "pill " + it.state }, { waiting: "等待 Waiting", sending: "发送中 Sending", sent: "已传 Sent ✓", refused: "被拒 Refused" }[it.state]),
          " " + (it.label || it.kind), it.error && it.state === "refused" ? h("span", { class: "bad" }, "：" + it.error.detail) : null));
      });
      var box = h("section", { class: "card", id: "done" }, h("h2", {}, (insp && insp.draft && insp.draft.subjectName) || "检查 Inspection"), rows);
      if (sig.state === "sent" && sig.result) {
        box.appendChild(h("a", { id: "notice-link", class: "btn wide", href: sig.result.noticeUrl }, "查看整改通知书 Open the rectification notice"));
        var sms = sig.result.smsQueued;
        box.appendChild(h("p", { id: "sms-note", class: sms === false ? "warn" : "ok" },
          sms === true ? "短信通知已排队发送给当事人（含整改照片上传链接）· the SMS to the party is queued, with the link for rectification photos" :
          sms === false ? "当事人号码不能接收短信，未发送短信 · the party's number cannot receive SMS; no SMS sent" :
          "此前已签字，短信已在当时排队 · signed before; the SMS was queued then"));
        if (sig.result.noticeNumber) box.appendChild(h("p", { class: "hint" }, "通知书编号 Notice No. " + sig.result.noticeNumber));
      } else if (sig.state === "refused") {
        box.appendChild(h("a", { class: "btn wide", href: "#/sign/" + sig.payload.inspectionItem + "?edit=" + sig.id }, "重新签字 Sign again"));
      } else {
        box.appendChild(h("p", { id: "sms-note", class: "warn" }, "已保存在本机，联网后自动上传；上传后生成通知书并发送短信 · saved on the phone; the notice and SMS follow once it is sent"));
        var send = h("button", { id: "done-send", type: "button", class: "btn secondary wide" }, "立即发送 Send now");
        send.addEventListener("click", function () { send.disabled = true; Outbox.run().catch(function () {}); });
        box.appendChild(send);
      }
      box.appendChild(h("a", { id: "done-today", class: "btn secondary wide", href: "#/today" }, "返回今日任务 Back to today"));
      view.appendChild(box);
    }
    SG.onQueueChange = function () { if (!UI().alive(t)) { SG.onQueueChange = null; return; } render(); };
    await render();
  };
})(typeof window !== "undefined" ? window : this);
