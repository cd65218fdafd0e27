/* 沥家园 · 隐患随手拍: the residents' hazard report page (/report/), no account.
   One scrolling form (what, where, description, photos, contact), the "is it this one?" list of
   nearby reports of the same kind, the receipt, and a report's progress at #t=<token>.
   Plain ES2017, no modules, no library but Leaflet (served at /screen/leaflet.js). Everything that
   comes from a person or the server goes into the page as text (textContent / text nodes). */
(function () {
  "use strict";

  var API = "/api/v1/resident";
  var MINE_KEY = "safegrid.report.mine";
  var SH = 8 * 3600 * 1000; // Asia/Shanghai: UTC+8, no daylight saving

  var ctx = null;             // GET /api/v1/resident/context
  var items = {};             // serviceCode → {item, category}
  var form = {
    category: null, serviceCode: null,
    pos: null,                // {lat, lon, accuracy, source: "gps" | "map"}
    photos: [],               // {dataUrl, bytes, width, height}
    addTo: null,              // a nearby report the resident chose to add to
    nearby: [], nearbyKey: "", sending: false
  };
  var map = null, marker = null, townBox = null, mapFitted = false, codeTimer = null;

  // ---------------------------------------------------------------- DOM
  function $(id) { return document.getElementById(id); }
  /** el("p", {class: "x", on: {click: fn}}, "text", child, [more]): attributes and text only. */
  function el(tag, attrs) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "on") Object.keys(v).forEach(function (t) { e.addEventListener(t, v[t]); });
      else e.setAttribute(k, v === true ? "" : String(v));
    });
    for (var i = 2; i < arguments.length; i++) put(e, arguments[i]);
    return e;
  }
  function put(e, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { put(e, x); });
    else e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  function empty(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  /** Chinese first, English after it, smaller. */
  function bi(zh, en) { return [zh, " ", el("span", { class: "en" }, en)]; }
  function show(e, on) { e.classList.toggle("hidden", !on); }

  /** The message line(s) of a field (data-for=name): a refusal (red) or, with ok, a note
      (ok === "warn": a caution that does not stop sending). */
  function say(name, text, ok) {
    Array.prototype.forEach.call(document.querySelectorAll(".msg[data-for]"), function (m) {
      if (m.getAttribute("data-for") !== name) return;
      m.textContent = text || "";
      m.className = "msg" + (text ? (ok === "warn" ? " warn" : ok ? " ok" : " bad") : "");
    });
  }
  /** Before sending: the refusals go (notes such as "code sent to …" stay). */
  function clearMessages(all) {
    Array.prototype.forEach.call($("form").querySelectorAll(".msg"), function (m) {
      if (!all && (m.classList.contains("ok") || m.classList.contains("warn")) && m.getAttribute("data-for") !== "form") return;
      m.textContent = ""; m.className = "msg";
    });
    Array.prototype.forEach.call(document.querySelectorAll(".thumb.bad"), function (t) { t.classList.remove("bad"); });
  }
  /** Scrolls to the first refusal on the form and puts the cursor in its field. */
  function focusFirstError() {
    var m = $("form").querySelector(".msg.bad");
    if (!m) return;
    var box = m.closest(".field") || m.parentNode;
    box.scrollIntoView({ block: "center" });
    var input = box.querySelector("input:not([type=file]):not([type=checkbox]), select, textarea");
    if (input && !input.disabled) { try { input.focus({ preventScroll: true }); } catch (e) { input.focus(); } }
  }

  // ---------------------------------------------------------------- time (Asia/Shanghai)
  function shanghai(v) {
    var t = typeof v === "number" ? v : Date.parse(v || "");
    return isNaN(t) ? null : new Date(t + SH).toISOString();
  }
  function showTime(v) { var s = shanghai(v); return s ? s.slice(0, 10) + " " + s.slice(11, 16) : (v ? String(v) : "—"); }
  function showDay(v) { return /^\d{4}-\d{2}-\d{2}/.test(v || "") ? String(v).slice(0, 10) : showTime(v); }
  function age(v) {
    var t = Date.parse(v || "");
    if (isNaN(t)) return "";
    var m = Math.max(0, Math.round((Date.now() - t) / 60000));
    if (m < 1) return "刚刚 · just now";
    if (m < 60) return m + " 分钟前 · " + m + " min ago";
    var hrs = Math.round(m / 60);
    if (hrs < 48) return hrs + " 小时前 · " + hrs + " h ago";
    var d = Math.round(m / 1440);
    return d + " 天前 · " + d + " days ago";
  }

  // ---------------------------------------------------------------- server
  /** Resolves {status, ok, json, problem, retryAfter}; rejects {network: true} when unreachable. */
  function call(method, path, body) {
    var init = { method: method, headers: { "Accept": "application/json" }, credentials: "omit", cache: "no-store" }; // no account, no cookie
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (r) {
      var type = r.headers.get("Content-Type") || "";
      var read = type.indexOf("json") >= 0 ? r.json().catch(function () { return null; }) : r.text().then(function () { return null; });
      return read.then(function (j) {
        var res = { status: r.status, ok: r.ok, json: j, problem: null, retryAfter: Number(r.headers.get("Retry-After")) || null };
        if (!r.ok) res.problem = j && typeof j === "object" ? j : { status: r.status, detail: "HTTP " + r.status };
        return res;
      });
    }, function () { throw { network: true }; });
  }
  var NETWORK = "网络不通，请检查网络后再试，已填写的内容不会丢失 · no connection; try again, nothing you typed is lost";

  function minutes(seconds) { return Math.max(1, Math.ceil(seconds / 60)); }
  var CJK = /[\u3400-\u9fff\uff01-\uff5e]/;
  /** The server writes "english 中文": the page shows the Chinese first. */
  function zhFirst(d) {
    var i = d.search(CJK);
    if (i <= 0 || CJK.test(d.slice(0, i)) || !/^[\x20-\x7e]+$/.test(d.slice(0, i))) return d;
    return d.slice(i).trim() + " · " + d.slice(0, i).trim();
  }
  /** What a refusal of a field means, for a server text without Chinese. */
  var FIELD_ZH = { serviceCode: "请选择隐患类型", description: "描述不符合要求", latitude: "位置无效或不在萧山区内",
    address: "地址不符合要求", villageCode: "村社无效", name: "称呼不符合要求", phone: "手机号无效", code: "验证码不正确",
    photos: "照片无法使用（须为 JPG 或 PNG）", addTo: "无法补充到这条上报，请作为新上报提交" };
  /** The text of a refusal: the server's words (Chinese first), the wait of a 429 in minutes. */
  function problemText(r) {
    var p = r.problem || {}, d = zhFirst(String(p.detail || p.title || ("HTTP " + r.status)));
    var f = String(p.field || "").replace(/\[\d+\]$/, "");
    if (!CJK.test(d) && FIELD_ZH[f]) d = FIELD_ZH[f] + "（" + d + "）";
    if (r.status === 429 && !/分钟/.test(d)) {
      var wait = r.retryAfter ? minutes(r.retryAfter) : null;
      d += wait ? "（请 " + wait + " 分钟后再试 · try again in " + wait + " min）" : "（请稍后再试 · try again later）";
    }
    if (r.status === 413) d = "照片总量太大，请删掉一张再试 · the photos are too large; remove one (" + d + ")";
    if (r.status >= 500) d = "服务器暂时出错，请稍后再试，已填写的内容不会丢失 · server error; try again later (" + d + ")";
    return d;
  }
  /** Where a refusal of the form is shown: the message line of the field the server names. A
      429 on `address` is about this network address (not the street address): shown by `near`. */
  function fieldOf(r, near) {
    var f = String((r.problem && r.problem.field) || "");
    var photo = /^photos(\[(\d+)\])?$/.exec(f);
    if (photo) return { name: "photos", index: photo[2] !== undefined ? Number(photo[2]) : null };
    if (r.status === 413) return { name: "photos", index: null };
    if (r.status === 429 && f !== "phone") return { name: near };
    if (f === "longitude") return { name: "latitude" };
    var known = ["serviceCode", "description", "latitude", "address", "villageCode", "phone", "code", "name", "addTo"];
    return { name: known.indexOf(f) >= 0 ? f : near };
  }

  // ---------------------------------------------------------------- context
  function loadContext() {
    var town = /[?&]town=(\d{6,12})/.exec(location.search);
    return call("GET", API + "/context" + (town ? "?town=" + town[1] : "")).then(function (r) {
      if (!r.ok || !r.json) throw r;
      ctx = r.json;
      ctx.limits = ctx.limits || {};
      return ctx;
    });
  }
  function limit(name, fallback) { return ctx && ctx.limits && ctx.limits[name] ? ctx.limits[name] : fallback; }

  function buildForm() {
    // The context's `notice` is the receipt's words ("已受理…"): the receipt shows it, not the form.
    $("anon-notice").textContent = ctx.anonymousNotice || "匿名上报不会收到短信回复 · anonymous reports get no SMS updates";
    $("desc-max").textContent = limit("description", 1000);
    $("description").setAttribute("maxlength", limit("description", 1000));
    $("photo-max").textContent = limit("photos", 3);
    $("address").setAttribute("maxlength", limit("address", 200));
    if (ctx.town && ctx.town.name) document.title = "隐患随手拍 · " + ctx.town.name + " · 沥家园";

    var cats = $("categories");
    empty(cats);
    (ctx.categories || []).forEach(function (c) {
      (c.items || []).forEach(function (it) { items[it.code] = { item: it, category: c }; });
      cats.appendChild(el("button", { type: "button", class: "choice", "aria-pressed": "false", "data-code": c.code,
        on: { click: function () { chooseCategory(c.code); } } }, el("span", { class: "zh" }, c.zh || c.code), el("span", { class: "en" }, c.en || "")));
    });
    var vs = $("village");
    (ctx.villages || []).forEach(function (v) { vs.appendChild(el("option", { value: v.code }, v.name)); });
    startMap();
  }

  function chooseCategory(code) {
    form.category = code;
    Array.prototype.forEach.call($("categories").children, function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-code") === code)); });
    var cat = (ctx.categories || []).filter(function (c) { return c.code === code; })[0];
    var s = empty($("item"));
    s.disabled = false;
    s.appendChild(el("option", { value: "" }, "请选择具体情况 · choose what you saw"));
    ((cat && cat.items) || []).forEach(function (it) { s.appendChild(el("option", { value: it.code }, it.plain || it.zh || it.code)); });
    // One item only: it is the answer.
    if (cat && cat.items && cat.items.length === 1) s.value = cat.items[0].code;
    chooseItem(s.value || null);
  }
  function chooseItem(code) {
    form.serviceCode = code || null;
    var it = code && items[code] && items[code].item;
    $("item-detail").textContent = it ? "检查标准：" + (it.zh || "") + (it.en ? " · " + it.en : "") : "";
    if (code) say("serviceCode", "");
    lookNearby();
  }

  // ---------------------------------------------------------------- where
  function startMap() {
    var b = ctx.bounds;
    if (typeof L === "undefined") {
      $("map").classList.add("hidden");
      $("map-note").textContent = "地图无法载入，请使用定位或填写地址 · the map did not load; use your position or type an address";
      return;
    }
    map = L.map("map", { zoomControl: true, zoomSnap: 0.25, attributionControl: false, minZoom: 9, maxZoom: 19, tap: true });
    if (ctx.tiles) {
      L.tileLayer(ctx.tiles, { maxZoom: 19 }).addTo(map); // no attribution: Leaflet writes it as HTML
      $("map-note").textContent = "点地图选择位置 · tap the map to set the place";
    } else {
      $("map").classList.add("plain");
      $("map-note").textContent = "无底图：框内为" + ((ctx.town && ctx.town.name) || "本镇") + "范围，点地图选择大致位置 · no base map: the box is the town; tap to set the place";
    }
    if (b && isFinite(b.south) && isFinite(b.north) && isFinite(b.west) && isFinite(b.east)) {
      townBox = [[b.south, b.west], [b.north, b.east]];
      L.rectangle(townBox, { color: "#0b4f8a", weight: 2, fillColor: "#0b4f8a", fillOpacity: 0.06, interactive: false }).addTo(map);
    }
    fitTown();
    map.on("click", function (e) { setPosition(e.latlng.lat, e.latlng.lng, null, "map"); });
  }

  /** The whole town in view; only once the map has a size (a hidden form has none). */
  function fitTown() {
    if (!map || mapFitted) return;
    map.invalidateSize();
    if (!map.getSize().x) { map.setView([30.17, 120.46], 12); return; }
    var c = ctx.centre;
    if (townBox) map.fitBounds(townBox, { padding: [8, 8] });
    else map.setView(c ? [c.latitude, c.longitude] : [30.17, 120.46], 13);
    mapFitted = true;
  }

  function inTown(lat, lon) {
    var b = ctx && ctx.bounds, m = 0.02; // about 2 km of leeway around the subjects' extent
    return !b || (lat >= b.south - m && lat <= b.north + m && lon >= b.west - m && lon <= b.east + m);
  }

  function setPosition(lat, lon, accuracy, source) {
    form.pos = { lat: Math.round(lat * 1e7) / 1e7, lon: Math.round(lon * 1e7) / 1e7, accuracy: accuracy, source: source };
    var text = (source === "gps" ? "已定位 · your position: " : "地图点选 · on the map: ") + form.pos.lat.toFixed(6) + ", " + form.pos.lon.toFixed(6) +
      (accuracy ? "（精度约 " + Math.round(accuracy) + " 米 · ±" + Math.round(accuracy) + " m）" : "");
    $("position").textContent = text;
    $("position").classList.add("set");
    show($("clear-position"), true);
    say("latitude", inTown(lat, lon) ? "" : "该位置不在" + ((ctx.town && ctx.town.name) || "本镇") + "范围内，请核对 · this place looks outside the town", "warn");
    say("address", "");
    if (map) {
      if (marker) marker.setLatLng([lat, lon]);
      else marker = L.circleMarker([lat, lon], { radius: 11, color: "#fff", weight: 3, fillColor: "#c62828", fillOpacity: 1 }).addTo(map);
      // With base tiles, close in on the phone's position; without, keep the town in view.
      if (source === "gps") {
        if (ctx.tiles) map.setView([lat, lon], Math.max(map.getZoom(), 17));
        else if (!map.getBounds().contains([lat, lon])) map.panTo([lat, lon]);
      }
    }
    lookNearby();
  }
  function clearPosition() {
    form.pos = null;
    $("position").textContent = "未选择位置 · no position yet";
    $("position").classList.remove("set");
    show($("clear-position"), false);
    if (marker && map) { map.removeLayer(marker); marker = null; }
    say("latitude", "");
    lookNearby();
  }

  function locate() {
    var btn = $("locate");
    if (!navigator.geolocation) { say("latitude", "此浏览器不能定位，请在地图上点选或填写地址 · this browser cannot locate; tap the map or type an address"); return; }
    btn.disabled = true;
    say("latitude", "正在定位… Locating…", true);
    navigator.geolocation.getCurrentPosition(function (p) {
      btn.disabled = false;
      setPosition(p.coords.latitude, p.coords.longitude, p.coords.accuracy, "gps");
    }, function (e) {
      btn.disabled = false;
      say("latitude", (e && e.code === 1 ? "没有定位权限" : "暂时无法定位") +
        "，请在地图上点选或填写地址 · no position (" + (e && e.code === 1 ? "permission denied" : "unavailable") + "); tap the map or type an address");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }

  // ---------------------------------------------------------------- nearby reports of the same kind
  function lookNearby() {
    var key = form.serviceCode && form.pos ? [form.serviceCode, form.pos.lat.toFixed(5), form.pos.lon.toFixed(5)].join("|") : "";
    if (key === form.nearbyKey) return;
    form.nearbyKey = key;
    if (!key) { drawNearby([]); return; }
    var q = "?latitude=" + form.pos.lat + "&longitude=" + form.pos.lon + "&serviceCode=" + encodeURIComponent(form.serviceCode);
    call("GET", API + "/nearby" + q).then(function (r) {
      if (key !== form.nearbyKey) return; // the resident moved on meanwhile
      drawNearby(r.ok && r.json && Array.isArray(r.json.items) ? r.json.items : []);
    }, function () { /* no list without a connection; sending still works */ });
  }
  function drawNearby(list) {
    form.nearby = list;
    var ul = empty($("nearby-list"));
    list.forEach(function (n) {
      var chosen = form.addTo && form.addTo.id === n.id;
      ul.appendChild(el("li", { class: "near" + (chosen ? " chosen" : ""), "data-id": n.id },
        el("p", { class: "near-title" }, n.item || n.serviceCode || "", el("span", { class: "pill", "data-state": n.state || "" }, n.stateName || n.state || "")),
        el("p", { class: "meta" },
          el("span", null, "相距约 " + Math.round(n.distanceMetres || 0) + " 米 · " + Math.round(n.distanceMetres || 0) + " m away"),
          el("span", null, age(n.receivedAt)),
          n.additions ? el("span", null, "已有 " + n.additions + " 人补充 · " + n.additions + " added") : null),
        n.address ? el("p", { class: "near-addr" }, n.address) : null,
        n.description ? el("p", { class: "near-desc" }, n.description) : null,
        el("button", { type: "button", class: "btn " + (chosen ? "" : "secondary ") + "add-btn", "data-id": n.id, "aria-pressed": String(!!chosen),
          on: { click: function () { chooseAddTo(chosen ? null : n); } } },
          chosen ? bi("✓ 已选择，将补充到这一条", "Chosen") : bi("就是这个，补充信息", "Add to this one"))));
    });
    show($("nearby"), list.length > 0);
    var hint = $("nearby-hint");
    hint.textContent = list.length ? "附近已有 " + list.length + " 条相同类型的上报，请在提交前看一下（页面下方）· " + list.length + " similar report(s) nearby, see below" : "";
    show(hint, list.length > 0);
    // A choice that is no longer in the list (another item or place) is dropped.
    if (form.addTo && !list.some(function (n) { return n.id === form.addTo.id; })) chooseAddTo(null);
  }
  function chooseAddTo(n) {
    form.addTo = n ? { id: n.id, item: n.item, receivedAt: n.receivedAt } : null;
    say("addTo", "");
    var bar = $("addto-bar");
    if (n) {
      $("addto-text").textContent = "将补充到 " + showTime(n.receivedAt) + " 的上报“" + (n.item || "") + "”· your description and photos will be added to that report";
    }
    show(bar, !!n);
    put(empty($("submit")), n ? bi("提交补充", "Add to the report") : bi("提交上报", "Send report"));
    drawNearby(form.nearby);
  }

  // ---------------------------------------------------------------- photos
  var MAX_FILE = 40 * 1024 * 1024;
  function kindOf(b) {
    if (b[0] === 0xFF && b[1] === 0xD8 && b[2] === 0xFF) return "jpeg";
    if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4E && b[3] === 0x47) return "png";
    if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return "webp";
    if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return "gif";
    if (b[4] === 0x66 && b[5] === 0x74 && b[6] === 0x79 && b[7] === 0x70) return "heic";
    return null;
  }
  function head(file) {
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () { resolve(new Uint8Array(r.result)); };
      r.onerror = function () { reject(r.error); };
      r.readAsArrayBuffer(file.slice(0, 16));
    });
  }
  /** A decoded picture, turned upright by its EXIF orientation where the browser can. */
  function decodePicture(file) {
    function viaImg() {
      return new Promise(function (resolve, reject) {
        var url = URL.createObjectURL(file), img = new Image();
        img.onload = function () { resolve({ src: img, w: img.naturalWidth, h: img.naturalHeight, done: function () { URL.revokeObjectURL(url); } }); };
        img.onerror = function () { reject({ unreadable: true }); URL.revokeObjectURL(url); };
        img.src = url;
      });
    }
    if (!window.createImageBitmap) return viaImg();
    return createImageBitmap(file, { imageOrientation: "from-image" })
      .catch(function () { return createImageBitmap(file); })
      .then(function (b) { return { src: b, w: b.width, h: b.height, done: function () { if (b.close) b.close(); } }; }, viaImg);
  }
  function decodedBytes(dataUrl) {
    var b64 = dataUrl.slice(dataUrl.indexOf(",") + 1), pad = /==$/.test(b64) ? 2 : /=$/.test(b64) ? 1 : 0;
    return Math.floor(b64.length * 3 / 4) - pad;
  }
  /** At most 1600 px on the long side, JPEG 0.8 (a canvas drops EXIF, GPS included); smaller
      and lower quality until it fits the server's limit. Rejects {message}. */
  function shrink(file) {
    if (!file.size) return Promise.reject({ message: "文件是空的 · the file is empty" });
    if (file.size > MAX_FILE) return Promise.reject({ message: "照片过大（" + (file.size / 1048576).toFixed(0) + " MB）· the photo is too large" });
    return head(file).then(function (b) {
      var kind = kindOf(b);
      if (!kind) throw { message: "“" + file.name + "”不是图片，请拍照或选择照片 · this file is not a photo" };
      return decodePicture(file).catch(function () {
        throw { message: kind === "heic" ? "此浏览器无法读取 HEIC 照片，请把相机格式改为 JPG · this browser cannot read HEIC photos"
          : "照片已损坏，无法读取 · the photo cannot be read" };
      });
    }).then(function (pic) {
      var maxBytes = limit("photoBytes", 2000000), side = 1600, q = 0.8, url, cw, ch;
      for (var tries = 0; tries < 6; tries++) {
        var s = Math.min(1, side / Math.max(pic.w, pic.h));
        cw = Math.max(1, Math.round(pic.w * s)); ch = Math.max(1, Math.round(pic.h * s));
        var c = document.createElement("canvas");
        c.width = cw; c.height = ch;
        var g = c.getContext("2d");
        g.fillStyle = "#fff"; g.fillRect(0, 0, cw, ch);
        g.drawImage(pic.src, 0, 0, cw, ch);
        url = c.toDataURL("image/jpeg", q);
        if (decodedBytes(url) <= maxBytes) break;
        if (q > 0.6) q -= 0.1; else side = Math.round(side * 0.8);
      }
      pic.done();
      if (!/^data:image\/jpeg;base64,/.test(url) || decodedBytes(url) > maxBytes) throw { message: "无法压缩这张照片 · could not shrink this photo" };
      return { dataUrl: url, bytes: decodedBytes(url), width: cw, height: ch };
    });
  }
  function addPhotos(files) {
    var max = limit("photos", 3), errors = [], chain = Promise.resolve();
    say("photos", "正在处理照片… Processing…", true);
    files.forEach(function (f) {
      chain = chain.then(function () {
        if (form.photos.length >= max) { errors.push("最多 " + max + " 张照片 · at most " + max + " photos"); return; }
        return shrink(f).then(function (p) { form.photos.push(p); drawThumbs(); }, function (e) { errors.push(e && e.message ? e.message : String(e)); });
      });
    });
    return chain.then(function () {
      var uniq = errors.filter(function (x, i) { return errors.indexOf(x) === i; });
      say("photos", uniq.join("；"));
      drawThumbs();
    });
  }
  function drawThumbs() {
    var box = empty($("thumbs")), max = limit("photos", 3);
    form.photos.forEach(function (p, i) {
      box.appendChild(el("div", { class: "thumb", "data-index": i },
        el("img", { class: "thumb-img", src: p.dataUrl, alt: "照片 " + (i + 1) + " photo" }),
        el("button", { type: "button", class: "thumb-rm", "aria-label": "删除第 " + (i + 1) + " 张 remove photo " + (i + 1),
          on: { click: function () { form.photos.splice(i, 1); say("photos", ""); drawThumbs(); } } }, "×"),
        el("span", { class: "thumb-meta" }, Math.round(p.bytes / 1024) + " KB")));
    });
    $("photo-btn").classList.toggle("hidden", form.photos.length >= max);
  }

  // ---------------------------------------------------------------- contact
  function normalPhone(raw) {
    var s = String(raw || "").replace(/[\uFF10-\uFF19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); });
    s = s.replace(/[\s\-()（）]/g, "").replace(/^(\+86|0086)/, "");
    return s;
  }
  function anonymous() { return $("anonymous").checked; }
  function onAnonymous() {
    var a = anonymous();
    show($("contact"), !a);
    show($("anon-notice"), a);
    if (a) { say("phone", ""); say("code", ""); }
  }
  function countdown(seconds) {
    var btn = $("send-code"), left = Math.max(1, Math.round(seconds));
    clearInterval(codeTimer);
    btn.disabled = true;
    function tick() {
      if (left <= 0) {
        clearInterval(codeTimer);
        btn.disabled = false;
        empty(btn); put(btn, bi("重新获取", "Resend"));
        return;
      }
      empty(btn); put(btn, bi(left + " 秒后重发", left + " s"));
      left--;
    }
    tick();
    codeTimer = setInterval(tick, 1000);
  }
  function sendCode() {
    var phone = normalPhone($("phone").value), btn = $("send-code");
    if (!/^1[3-9]\d{9}$/.test(phone)) { say("phone", "请填写 11 位手机号 · a mainland mobile number has 11 digits"); $("phone").focus(); return; }
    btn.disabled = true;
    say("phone", "正在发送… Sending…", true);
    call("POST", API + "/codes", { phone: phone }).then(function (r) {
      if (r.ok && r.json) {
        var mins = minutes(r.json.expiresInSeconds || limit("codeSeconds", 600));
        say("phone", "验证码已发送至 " + (r.json.sentTo || phone) + "，" + mins + " 分钟内有效 · code sent to " + (r.json.sentTo || "") + ", valid " + mins + " min", true);
        countdown(r.json.resendAfterSeconds || limit("resendSeconds", 60));
        $("code").focus();
      } else {
        say("phone", problemText(r));
        if (r.status === 429 && r.retryAfter) countdown(r.retryAfter); else btn.disabled = false;
      }
    }, function () { btn.disabled = false; say("phone", NETWORK); });
  }

  // ---------------------------------------------------------------- sending
  function collect() {
    var b = { serviceCode: form.serviceCode || "", description: $("description").value.trim(), anonymous: anonymous(),
      photos: form.photos.map(function (p) { return p.dataUrl; }) };
    if (form.pos) { b.latitude = form.pos.lat; b.longitude = form.pos.lon; }
    var addr = $("address").value.trim();
    if (addr) b.address = addr;
    if ($("village").value) b.villageCode = $("village").value;
    if (!b.anonymous) {
      b.phone = normalPhone($("phone").value);
      b.code = normalPhone($("code").value);
      var name = $("name").value.trim();
      if (name) b.name = name;
    }
    if (form.addTo) b.addTo = form.addTo.id;
    return b;
  }
  /** The checks the page can make itself; the server makes them all again. */
  function check(b) {
    var bad = [];
    if (!b.serviceCode) bad.push(["serviceCode", "请选择隐患类别和具体情况 · choose what the hazard is"]);
    if (b.latitude === undefined && !b.address) bad.push(["latitude", "请定位、在地图上点选，或在下方填写地址 · use your position, tap the map, or type an address"]);
    if (b.description.length > limit("description", 1000)) bad.push(["description", "描述不能超过 " + limit("description", 1000) + " 字 · too long"]);
    if (!b.anonymous) {
      if (!/^1[3-9]\d{9}$/.test(b.phone)) bad.push(["phone", "请填写 11 位手机号并获取验证码，或选择匿名上报 · a mobile number and its code, or report anonymously"]);
      else if (!/^\d{6}$/.test(b.code)) bad.push(["code", "请填写短信中的 6 位验证码 · the 6-digit code from the SMS"]);
    }
    return bad;
  }
  function submit(ev) {
    ev.preventDefault();
    if (form.sending) return;
    clearMessages();
    var b = collect(), bad = check(b);
    if (bad.length) {
      bad.forEach(function (x) { say(x[0], x[1]); });
      say("form", "请先改正上面标红的内容 · please fix what is marked above");
      focusFirstError();
      return;
    }
    var btn = $("submit");
    form.sending = true;
    btn.disabled = true;
    btn.classList.add("sending");
    say("form", "正在提交… Sending…", true);
    call("POST", API + "/reports", b).then(function (r) {
      if (r.ok && r.json) { done(r.json, b); return; }
      var at = fieldOf(r, "form");
      say(at.name, problemText(r));
      if (at.name === "photos" && at.index !== null) {
        var t = $("thumbs").querySelector('.thumb[data-index="' + at.index + '"]');
        if (t) t.classList.add("bad");
        say("photos", "第 " + (at.index + 1) + " 张照片：" + problemText(r));
      }
      if (at.name === "addTo") { form.nearbyKey = ""; lookNearby(); }
      if (at.name !== "form") say("form", "未提交：请看上面标红的内容 · not sent: see the message above");
      focusFirstError();
    }, function () { say("form", NETWORK); }).then(function () {
      form.sending = false;
      btn.disabled = false;
      btn.classList.remove("sending");
    });
  }

  function done(res, sent) {
    remember({ token: res.token, id: res.id, item: (items[sent.serviceCode] || {}).item ? items[sent.serviceCode].item.plain : sent.serviceCode,
      at: new Date().toISOString(), addedTo: res.addedTo || null, anonymous: !!sent.anonymous });
    var link = trackURL(res.token);
    var box = empty($("receipt"));
    put(box, [
      el("h2", { class: "ok" }, bi(res.addedTo ? "已补充到已有上报" : "已收到您的上报", res.addedTo ? "Added to the earlier report" : "Report received")),
      res.notice ? el("p", { id: "receipt-notice" }, res.notice) : null,
      el("dl", { class: "kv" },
        el("dt", null, "状态 State"), el("dd", null, el("span", { class: "pill", id: "receipt-state", "data-state": res.state || "" }, res.stateName || res.state || "")),
        el("dt", null, "编号 No."), el("dd", { class: "mono" }, String(res.id || "").slice(0, 8)),
        sent.description ? [el("dt", null, "描述 Description"), el("dd", { id: "receipt-description", class: "pre" }, sent.description)] : null),
      el("p", null, bi("随时查看处理进展（请保存此链接）：", "Follow it (keep this link):")),
      el("p", { class: "track-link" }, el("a", { id: "track-link", href: link }, location.origin + link)),
      sent.anonymous ? el("p", { class: "hint" }, ctx.anonymousNotice || "") : el("p", { class: "hint" }, "核实和整改进展会短信告知您 · you will get SMS updates"),
      el("button", { type: "button", id: "again", class: "btn secondary wide", on: { click: newReport } }, bi("再报一条", "Report another"))
    ]);
    resetForm();
    view("receipt");
    drawMine();
  }
  /** After a report went: an empty form (a second tap on a stale form cannot send it twice). */
  function resetForm() {
    var phone = $("phone").value, name = $("name").value; // the same resident may report again
    $("form").reset();
    $("phone").value = phone; $("name").value = name;
    form.category = form.serviceCode = form.pos = form.addTo = null;
    form.photos = []; form.nearby = []; form.nearbyKey = "";
    Array.prototype.forEach.call($("categories").children, function (b) { b.setAttribute("aria-pressed", "false"); });
    var s = empty($("item"));
    s.disabled = true;
    s.appendChild(el("option", { value: "" }, "请先选择类别 · choose a category first"));
    $("item-detail").textContent = "";
    clearPosition(); drawThumbs(); drawNearby([]); chooseAddTo(null); onAnonymous(); clearMessages(true); countChars();
  }
  function newReport() {
    if (location.hash) history.pushState(null, "", location.pathname + location.search);
    view("form");
  }

  // ---------------------------------------------------------------- my reports (this phone)
  function trackURL(token) { return "/report/#t=" + encodeURIComponent(token); }
  function mine() {
    try { var x = JSON.parse(localStorage.getItem(MINE_KEY) || "[]"); return Array.isArray(x) ? x : []; } catch (e) { return []; }
  }
  function remember(r) {
    var list = mine().filter(function (x) { return x && x.token !== r.token; });
    list.unshift(r);
    try { localStorage.setItem(MINE_KEY, JSON.stringify(list.slice(0, 50))); } catch (e) { /* private mode: the link is on the receipt */ }
  }
  function drawMine() {
    var list = mine().filter(function (x) { return x && typeof x.token === "string"; }), ul = empty($("mine-list"));
    list.forEach(function (r) {
      ul.appendChild(el("li", { class: "mine-item" },
        el("a", { href: trackURL(r.token) }, String(r.item || "上报")),
        el("span", { class: "meta" }, showTime(r.at), r.stateName ? " · " + r.stateName : "")));
    });
    show($("mine"), list.length > 0 && $("view").getAttribute("data-view") !== "receipt");
  }

  // ---------------------------------------------------------------- a report's progress
  function notesOf(v) {
    if (!v) return [];
    if (typeof v === "string") return [v];
    if (!Array.isArray(v)) return [String(v)];
    return v.map(function (n) {
      if (typeof n === "string") return n;
      var at = n.at || n.occurredAt || n.time;
      return (at ? showTime(at) + " " : "") + (n.text || n.note || n.detail || "");
    });
  }
  function track(token) {
    view("track");
    var box = empty($("track"));
    box.appendChild(el("p", { class: "hint" }, "正在查询… Loading…"));
    call("GET", API + "/reports/" + encodeURIComponent(token)).then(function (r) {
      empty(box);
      if (!r.ok || !r.json) {
        box.appendChild(el("div", { class: "card" },
          el("p", { class: "msg bad" }, r.status === 404 ? "找不到这条上报，请核对链接 · no report at this link" : problemText(r)),
          el("a", { class: "btn secondary wide", href: "#" }, bi("返回", "Back"))));
        return;
      }
      var j = r.json;
      var list = mine();
      list.forEach(function (x) { if (x.token === token) x.stateName = j.stateName; });
      try { localStorage.setItem(MINE_KEY, JSON.stringify(list)); } catch (e) { /* nothing to keep */ }
      var notes = notesOf(j.statusNotes);
      box.appendChild(el("div", { class: "card state-card", "data-state": j.state || "" },
        el("h2", null, bi("上报进展", "Progress")),
        el("p", { class: "track-item" }, j.item || j.serviceCode || ""),
        el("p", { class: "track-state" }, el("span", { id: "track-state", class: "pill big-pill", "data-state": j.state || "" }, j.stateName || j.state || "")),
        el("dl", { class: "kv" },
          el("dt", null, "上报时间"), el("dd", { id: "track-received" }, showTime(j.receivedAt)),
          el("dt", null, "最近更新"), el("dd", { id: "track-updated" }, showTime(j.updatedAt)),
          j.dueOn ? [el("dt", null, "整改期限"), el("dd", { id: "track-due" }, showDay(j.dueOn),
            j.state === "verified" && showDay(j.dueOn) < shanghai(Date.now()).slice(0, 10) ? el("span", { class: "warn" }, " 已逾期，正在督办 · overdue, being pressed") : null)] : null,
          j.dismissReasonName || j.dismissReason ? [el("dt", null, "不予受理原因"), el("dd", { id: "track-reason" }, j.dismissReasonName || j.dismissReason)] : null,
          j.note ? [el("dt", null, "网格员说明"), el("dd", { id: "track-note", class: "pre" }, j.note)] : null),
        j.addedTo ? el("p", { class: "hint" }, "您的信息已补充到附近一条相同的上报，这里显示那条上报的进展 · added to an earlier report; its progress shows here") : null,
        notes.length ? el("div", { id: "track-notes", class: "notes" }, el("h3", null, bi("处理说明", "Notes")),
          notes.map(function (n) { return el("p", { class: "note" }, n); })) : null,
        j.anonymous ? el("p", { class: "hint" }, "匿名上报，进展只在此页显示 · anonymous: progress shows only here") : null,
        el("div", { class: "actions" },
          el("button", { type: "button", class: "btn secondary", id: "track-refresh", on: { click: function () { track(token); } } }, bi("刷新", "Refresh")),
          el("a", { class: "btn secondary", href: "#", id: "track-back" }, bi("新上报", "New report")))));
    }, function () {
      empty(box).appendChild(el("div", { class: "card" }, el("p", { class: "msg bad" }, NETWORK),
        el("button", { type: "button", class: "btn secondary wide", on: { click: function () { track(token); } } }, bi("重试", "Try again"))));
    });
  }

  // ---------------------------------------------------------------- views
  function view(name) {
    $("view").setAttribute("data-view", name);
    show($("loading"), name === "loading");
    show($("form"), name === "form");
    show($("receipt"), name === "receipt");
    show($("track"), name === "track");
    show($("mine"), (name === "form" || name === "track") && mine().length > 0);
    if (name === "form" && map) setTimeout(function () { map.invalidateSize(); fitTown(); }, 0);
    if (name !== "form") window.scrollTo(0, 0);
  }
  function route() {
    var m = /^#t=([A-Za-z0-9._~%-]{1,200})$/.exec(location.hash || "");
    if (m) { var t; try { t = decodeURIComponent(m[1]); } catch (e) { t = m[1]; } track(t); drawMine(); return; }
    if (!ctx) return;
    if ($("view").getAttribute("data-view") !== "form") view("form");
    drawMine();
  }

  function countChars() { $("desc-count").textContent = String($("description").value.length); }

  function start() {
    $("item").addEventListener("change", function () { chooseItem($("item").value || null); });
    $("locate").addEventListener("click", locate);
    $("clear-position").addEventListener("click", clearPosition);
    $("address").addEventListener("input", function () { if ($("address").value.trim()) { say("address", ""); if (!form.pos) say("latitude", ""); } });
    $("description").addEventListener("input", countChars);
    $("photos").addEventListener("change", function () {
      var files = Array.prototype.slice.call(this.files || []);
      this.value = "";
      if (files.length) addPhotos(files);
    });
    $("anonymous").addEventListener("change", onAnonymous);
    $("send-code").addEventListener("click", sendCode);
    $("code").addEventListener("input", function () { say("code", ""); });
    $("addto-undo").addEventListener("click", function () { chooseAddTo(null); });
    $("form").addEventListener("submit", submit);
    window.addEventListener("hashchange", function () { if (!location.hash || location.hash === "#") { if (ctx) view("form"); drawMine(); } else route(); });
    $("home").addEventListener("click", function (e) { e.preventDefault(); history.pushState(null, "", location.pathname + location.search); if (ctx) view("form"); drawMine(); });

    var trackOnly = /^#t=/.test(location.hash || "");
    if (trackOnly) route();
    loadContext().then(function () {
      buildForm();
      onAnonymous();
      countChars();
      if (!/^#t=/.test(location.hash || "")) view("form");
      drawMine();
      document.body.setAttribute("data-ready", "1");
    }, function (r) {
      show($("loading"), false);
      say("load", r && r.network ? NETWORK : "页面载入失败，请刷新重试 · the page could not load; reload (" + (r && r.status) + ")");
      document.body.setAttribute("data-ready", "error");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
