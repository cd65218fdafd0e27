/* SafeGrid field app: helpers without state (DOM, time, ids, credit codes, the district
   boundary, EXIF, photo shrinking). Plain ES2017, no modules; everything hangs off SG. */
(function (global) {
  "use strict";
  var SG = global.SG = global.SG || {};

  // ---- DOM: every value goes in through textContent / setAttribute, never innerHTML. ----
  /** h("button", {id: "x", class: "btn", on: {click: fn}, dataset: {a: 1}}, "text", child, [more]) */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "on") {
          Object.keys(v).forEach(function (t) { el.addEventListener(t, v[t]); });
        } else if (k === "dataset") {
          Object.keys(v).forEach(function (d) { el.setAttribute("data-" + d, String(v[d])); });
        } else if (k === "value") {
          el.value = v;
        } else if (k === "checked" || k === "disabled" || k === "selected" || k === "multiple") {
          el[k] = !!v;
          if (v) el.setAttribute(k, "");
        } else if (k === "style") {
          Object.keys(v).forEach(function (p) { el.style[p] = v[p]; });
        } else {
          el.setAttribute(k === "className" ? "class" : k, v === true ? "" : String(v));
        }
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
  function $(id) { return document.getElementById(id); }
  SG.h = h; SG.clear = clear; SG.$ = $;

  /** Text colour (black or white) that reads on a background hex colour. */
  SG.inkOn = function (hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) return "#000";
    var n = parseInt(m[1], 16), r = n >> 16 & 255, g = n >> 8 & 255, b = n & 255;
    return (0.299 * r + 0.587 * g + 0.114 * b) > 150 ? "#000" : "#fff";
  };

  // ---- Time: shown and sent in Asia/Shanghai (UTC+8, no daylight saving). ----
  var SH = 8 * 3600 * 1000;
  /** The server's clock minus the phone's (ms), learnt from responses' Date headers; used only
      when the phone is more than a minute off (the server refuses times in its future). */
  SG.clockOffset = 0;
  SG.now = function () { return Date.now() + (Math.abs(SG.clockOffset) > 60000 ? SG.clockOffset : 0); };
  /** RFC 3339 with +08:00 for a Date (or now). */
  SG.rfc3339 = function (d) {
    var t = new Date((d ? d.getTime() : SG.now()) + SH).toISOString();
    return t.slice(0, 19) + "+08:00";
  };
  /** YYYY-MM-DD on the Asia/Shanghai calendar. */
  SG.today = function (d) { return new Date((d ? d.getTime() : SG.now()) + SH).toISOString().slice(0, 10); };
  SG.addDays = function (day, n) {
    var t = Date.parse(day + "T00:00:00Z") + n * 86400000;
    return new Date(t).toISOString().slice(0, 10);
  };
  /** "12-06 09:30" style time of an RFC 3339 string or Date, in Asia/Shanghai. */
  SG.showTime = function (v, withDate) {
    if (!v) return "—";
    var t = typeof v === "number" ? v : (v instanceof Date ? v.getTime() : Date.parse(v));
    if (isNaN(t)) return String(v);
    var s = new Date(t + SH).toISOString();
    return (withDate === false ? "" : s.slice(0, 10) + " ") + s.slice(11, 16);
  };
  /** A time a camera may honestly have recorded: from 2000 on and not in the future (five
      minutes of leeway; the server's clock when known). A wrong camera clock gives neither. */
  SG.EARLIEST_PHOTO = Date.parse("2000-01-01T00:00:00+08:00");
  SG.plausibleTime = function (v) {
    var t = typeof v === "number" ? v : Date.parse(v || "");
    return !isNaN(t) && t >= SG.EARLIEST_PHOTO && t <= SG.now() + 5 * 60000;
  };
  SG.isDay = function (s) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s || "")) return false;
    var t = Date.parse(s + "T00:00:00Z");
    return !isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
  };

  // ---- Ids ----
  SG.uuid = function () {
    if (global.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    if (global.crypto && crypto.getRandomValues) crypto.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = b[6] & 0x0f | 0x40; b[8] = b[8] & 0x3f | 0x80;
    var x = Array.prototype.map.call(b, function (v) { return (v + 0x100).toString(16).slice(1); }).join("");
    return x.slice(0, 8) + "-" + x.slice(8, 12) + "-" + x.slice(12, 16) + "-" + x.slice(16, 20) + "-" + x.slice(20);
  };
  SG.sameId = function (a, b) { return String(a || "").toLowerCase() === String(b || "").toLowerCase(); };

  // ---- Full-width → half-width (what a Chinese input method types into codes and numbers) ----
  SG.halfWidth = function (s) {
    var out = "";
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0xFF01 && c <= 0xFF5E) out += String.fromCharCode(c - 0xFEE0);
      else if (c === 0x3000) out += " ";
      else out += s.charAt(i);
    }
    return out;
  };

  // ---- 统一社会信用代码, GB 32100-2015 (port of SafeGridCore/CreditCode.swift) ----
  var CC = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  SG.creditCheckCharacter = function (first17) {
    if (first17.length !== 17) return null;
    var sum = 0;
    for (var i = 0; i < 17; i++) {
      var v = CC.indexOf(first17.charAt(i));
      if (v < 0) return null;
      sum += v * W[i];
    }
    return CC.charAt((31 - sum % 31) % 31);
  };
  /** {ok, value, message, partial}: message in zh and en; partial while fewer than 18 typed. */
  SG.checkCreditCode = function (raw) {
    var s = SG.halfWidth(raw || "").trim().toUpperCase();
    if (!s) return { ok: false, empty: true, value: "", message: "" };
    var hints = { O: "字母O不用，是否为数字0 · O is never used; the digit 0?", I: "字母I不用，是否为数字1 · I is never used; the digit 1?",
      Z: "字母Z不用，是否为数字2 · Z is never used; the digit 2?", S: "字母S不用，是否为数字5 · S is never used; the digit 5?",
      V: "字母V不用，是否为字母U · V is never used; the letter U?" };
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i);
      if (CC.indexOf(c) < 0) {
        return { ok: false, value: s, message: "第" + (i + 1) + "位“" + c + "”不是信用代码字符 · character '" + c + "' at position " + (i + 1) +
          " is not allowed" + (hints[c] ? "（" + hints[c] + "）" : "（只用数字和 ABCDEFGHJKLMNPQRTUWXY）") };
      }
    }
    if (s.length < 18) return { ok: false, partial: true, value: s, message: "还差 " + (18 - s.length) + " 位 · " + (18 - s.length) + " more characters (18 in all)" };
    if (s.length > 18) return { ok: false, value: s, message: "信用代码为18位，现为 " + s.length + " 位 · a credit code has 18 characters, found " + s.length };
    var expected = SG.creditCheckCharacter(s.slice(0, 17));
    if (s.charAt(17) !== expected) {
      return { ok: false, value: s, message: "校验位（第18位）应为“" + expected + "”，实为“" + s.charAt(17) + "”，请核对营业执照 · check character should be '" +
        expected + "', found '" + s.charAt(17) + "'; the code is mistyped" };
    }
    return { ok: true, value: s, message: "校验通过 ✓ check character correct" };
  };

  // ---- Phone numbers (a light check; the server has the full rules) ----
  SG.checkPhone = function (raw) {
    var s = SG.halfWidth(raw || "").replace(/[\s\-()（）]/g, "");
    if (!s) return { ok: false, empty: true, message: "请填写当事人电话 · the party's phone is required" };
    s = s.replace(/^(\+86|0086)/, "");
    if (/^1[3-9]\d{9}$/.test(s) || /^0\d{9,11}$/.test(s)) return { ok: true, value: s, mobile: s.charAt(0) === "1" };
    return { ok: false, message: "手机号为11位（1开头），座机带区号 · a mobile has 11 digits starting with 1; a landline starts with its area code" };
  };

  // ---- 萧山区 (330109) boundary: the bundled GCJ-02 outline simplified to ~100 m, for a
  // warning before a subject is saved; the server's check (3 km tolerance) decides. ----
  // 273 vertices (longitude, latitude), GCJ-02, from Resources/xiaoshan-330109-gcj02.geojson
  var XS = [120.722,30.2863,120.694,30.262,120.669,30.2331,120.643,30.2173,120.613,30.1663,120.608,30.1518,120.591,30.1463,120.586,30.1473,120.584,30.1504,120.568,30.1513,120.561,30.1478,120.558,30.1515,120.551,30.1556,120.529,30.1575,120.521,30.1552,120.511,30.1575,120.506,30.1598,120.502,30.1659,120.498,30.1692,120.484,30.1722,120.484,30.1704,120.482,30.1706,120.479,30.1687,120.466,30.1696,120.464,30.1622,120.465,30.1546,120.461,30.154,120.458,30.1512,120.451,30.151,120.45,30.1457,120.448,30.1436,120.447,30.1355,120.446,30.1348,120.43,30.1324,120.424,30.1332,120.423,30.1359,120.426,30.1443,120.423,30.1454,120.424,30.1472,120.422,30.1469,120.424,30.1493,120.423,30.1511,120.421,30.1481,120.42,30.1508,120.421,30.1521,120.42,30.1529,120.418,30.1485,120.415,30.1479,120.414,30.1493,120.411,30.1494,120.411,30.1318,120.41,30.1295,120.405,30.1295,120.405,30.1369,120.398,30.1368,120.398,30.1432,120.393,30.1461,120.388,30.1562,120.386,30.1574,120.382,30.1554,120.372,30.1554,120.364,30.153,120.359,30.1478,120.354,30.1517,120.353,30.1514,120.352,30.1478,120.354,30.1428,120.34,30.1421,120.339,30.1385,120.334,30.1346,120.327,30.1248,120.322,30.1271,120.318,30.126,120.316,30.1347,120.313,30.1372,120.303,30.133,120.298,30.1282,120.298,30.1265,120.304,30.1261,120.301,30.1191,120.296,30.1155,120.293,30.1107,120.287,30.1076,120.287,30.1043,120.29,30.1002,120.299,30.0974,120.305,30.0997,120.309,30.106,120.313,30.1071,120.325,30.0978,120.334,30.0955,120.336,30.088,120.334,30.0748,120.339,30.0702,120.338,30.06,120.332,30.0535,120.326,30.0496,120.325,30.0467,120.332,30.0379,120.341,30.0376,120.343,30.0363,120.346,30.0236,120.345,30.0204,120.351,30.0179,120.357,30.0117,120.357,30.0047,120.363,29.9977,120.361,29.9886,120.364,29.9785,120.363,29.9752,120.359,29.9735,120.347,29.9738,120.343,29.9654,120.341,29.956,120.326,29.9462,120.325,29.9388,120.322,29.937,120.314,29.9276,120.291,29.9356,120.284,29.9222,120.274,29.9195,120.265,29.9245,120.265,29.931,120.261,29.9389,120.256,29.9435,120.253,29.9426,120.251,29.9367,120.248,29.9356,120.241,29.9393,120.228,29.9403,120.222,29.9425,120.215,29.9395,120.208,29.9344,120.201,29.9313,120.2,29.9295,120.205,29.9231,120.198,29.9174,120.188,29.9048,120.185,29.9045,120.176,29.9089,120.177,29.9128,120.175,29.9151,120.167,29.9175,120.16,29.9073,120.158,29.9071,120.16,29.9062,120.156,29.906,120.154,29.9079,120.153,29.9069,120.152,29.9081,120.148,29.893,120.15,29.8876,120.149,29.8834,120.145,29.8741,120.136,29.8656,120.132,29.8598,120.122,29.8529,120.118,29.8522,120.111,29.8461,120.105,29.8455,120.103,29.8466,120.104,29.8534,120.083,29.8754,120.077,29.8865,120.078,29.8897,120.083,29.8923,120.086,29.8974,120.085,29.9069,120.081,29.9138,120.085,29.9173,120.091,29.9167,120.097,29.9209,120.099,29.9246,120.097,29.9311,120.101,29.9369,120.091,29.9488,120.102,29.9591,120.105,29.9746,120.105,29.9814,120.11,29.9835,120.114,29.9877,120.118,29.9883,120.125,29.9933,120.134,30.0106,120.137,30.0293,120.135,30.044,120.127,30.0458,120.124,30.0483,120.129,30.0519,120.13,30.0555,120.136,30.0589,120.137,30.0615,120.134,30.065,120.138,30.0722,120.135,30.0807,120.162,30.098,120.17,30.1015,120.177,30.1026,120.183,30.1065,120.182,30.1115,120.178,30.1171,120.16,30.1264,120.146,30.1372,120.156,30.1443,120.155,30.146,120.159,30.1489,120.16,30.1461,120.164,30.15,120.168,30.1486,120.175,30.1539,120.184,30.1454,120.187,30.1466,120.186,30.1443,120.192,30.1472,120.2,30.1397,120.203,30.1402,120.205,30.143,120.21,30.1387,120.209,30.1371,120.211,30.1363,120.213,30.1379,120.215,30.1369,120.219,30.1399,120.217,30.1433,120.222,30.1538,120.225,30.1537,120.223,30.1573,120.226,30.1602,120.225,30.1627,120.217,30.1614,120.22,30.167,120.219,30.1689,120.224,30.1713,120.221,30.1755,120.222,30.1789,120.225,30.1792,120.225,30.1819,120.234,30.182,120.234,30.1836,120.237,30.1831,120.237,30.1846,120.234,30.1859,120.235,30.2291,120.227,30.2329,120.221,30.2377,120.242,30.2651,120.253,30.2761,120.271,30.2847,120.288,30.2882,120.299,30.2879,120.304,30.286,120.308,30.2828,120.333,30.2585,120.341,30.2526,120.351,30.2501,120.369,30.2548,120.376,30.2598,120.39,30.2728,120.402,30.29,120.439,30.3734,120.446,30.3786,120.456,30.3818,120.506,30.3893,120.568,30.3879,120.634,30.3895,120.659,30.3856,120.695,30.3772,120.7,30.3726,120.704,30.3658,120.704,30.3308,120.706,30.3095,120.711,30.2975];
  function outOfChina(lat, lon) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    return r;
  }
  function tLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    return r;
  }
  /** WGS-84 → GCJ-02 (the published approximation; ~1 m). */
  SG.toGCJ = function (lat, lon) {
    if (outOfChina(lat, lon)) return { lat: lat, lon: lon };
    var a = 6378245.0, ee = 0.00669342162296594323;
    var dLat = tLat(lon - 105, lat - 35), dLon = tLon(lon - 105, lat - 35);
    var rad = lat / 180 * Math.PI, m = 1 - ee * Math.sin(rad) * Math.sin(rad), sm = Math.sqrt(m);
    dLat = dLat * 180 / ((a * (1 - ee)) / (m * sm) * Math.PI);
    dLon = dLon * 180 / (a / sm * Math.cos(rad) * Math.PI);
    return { lat: lat + dLat, lon: lon + dLon };
  };
  /** Kilometres from a WGS-84 point to 萧山区: 0 inside. */
  SG.kmOutsideXiaoshan = function (lat, lon) {
    var g = SG.toGCJ(lat, lon), x = g.lon, y = g.lat, n = XS.length / 2, inside = false, i, j;
    for (i = 0, j = n - 1; i < n; j = i++) {
      var ax = XS[2 * i], ay = XS[2 * i + 1], bx = XS[2 * j], by = XS[2 * j + 1];
      if ((ay > y) !== (by > y) && x < (bx - ax) * (y - ay) / (by - ay) + ax) inside = !inside;
    }
    if (inside) return 0;
    var k = Math.PI / 180 * 6371.0088, cx = Math.cos(y * Math.PI / 180), best = Infinity;
    for (i = 0, j = n - 1; i < n; j = i++) {
      var px = (XS[2 * j] - x) * cx * k, py = (XS[2 * j + 1] - y) * k;
      var qx = (XS[2 * i] - x) * cx * k, qy = (XS[2 * i + 1] - y) * k;
      var dx = qx - px, dy = qy - py, l2 = dx * dx + dy * dy;
      var t = l2 === 0 ? 0 : Math.max(0, Math.min(1, -(px * dx + py * dy) / l2));
      var ex = px + t * dx, ey = py + t * dy;
      best = Math.min(best, Math.sqrt(ex * ex + ey * ey));
    }
    return best;
  };

  // ---- EXIF: DateTimeOriginal and GPS from a JPEG's APP1, every read bounds-checked. ----
  /** Returns {takenAt: "YYYY-MM-DDTHH:MM:SS+08:00"?, latitude?, longitude?} or {} */
  SG.readExif = function (buf) {
    var out = {};
    try {
      var v = new DataView(buf), len = v.byteLength;
      if (len < 4 || v.getUint16(0) !== 0xFFD8) return out;
      var p = 2;
      while (p + 4 <= len) {
        if (v.getUint8(p) !== 0xFF) return out;
        var marker = v.getUint8(p + 1);
        if (marker === 0xD9 || marker === 0xDA) return out;
        if (marker === 0xFF) { p++; continue; }
        var segLen = v.getUint16(p + 2);
        if (segLen < 2 || p + 2 + segLen > len) return out;
        if (marker === 0xE1 && segLen >= 16 && v.getUint32(p + 4) === 0x45786966 && v.getUint16(p + 8) === 0) {
          parseTiff(v, p + 10, p + 2 + segLen, out);
          return out;
        }
        p += 2 + segLen;
      }
    } catch (e) { /* a damaged header gives no EXIF, never an error */ }
    return out;
  };
  function parseTiff(v, start, end, out) {
    if (start + 8 > end) return;
    var bo = v.getUint16(start), le;
    if (bo === 0x4949) le = true; else if (bo === 0x4D4D) le = false; else return;
    if (v.getUint16(start + 2, le) !== 42) return;
    function u16(o) { if (o < start || o + 2 > end) throw 0; return v.getUint16(o, le); }
    function u32(o) { if (o < start || o + 4 > end) throw 0; return v.getUint32(o, le); }
    function ifd(off) {
      var tags = {}, at = start + off;
      if (off < 8 || at + 2 > end) return tags;
      var n = u16(at);
      if (n > 500) return tags;
      for (var i = 0; i < n; i++) {
        var e = at + 2 + i * 12;
        if (e + 12 > end) break;
        tags[u16(e)] = { type: u16(e + 2), count: u32(e + 4), at: e + 8 };
      }
      return tags;
    }
    function ascii(t) {
      if (!t || t.type !== 2 || t.count > 64) return null;
      var o = t.count <= 4 ? t.at : start + u32(t.at), s = "";
      for (var i = 0; i < t.count; i++) { if (o + i >= end) return null; var c = v.getUint8(o + i); if (!c) break; s += String.fromCharCode(c); }
      return s;
    }
    function rationals(t) {
      if (!t || t.type !== 5 || t.count !== 3) return null;
      var o = start + u32(t.at), r = [];
      for (var i = 0; i < 3; i++) { var num = u32(o + 8 * i), den = u32(o + 8 * i + 4); if (!den) return null; r.push(num / den); }
      return r;
    }
    var ifd0 = ifd(u32(start + 4));
    if (ifd0[0x8769]) {
      var ex = ifd(u32(ifd0[0x8769].at));
      var dt = ascii(ex[0x9003]) || ascii(ifd0[0x0132]);
      var off = ascii(ex[0x9011]);
      var m = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(dt || "");
      if (m && +m[2] >= 1 && +m[2] <= 12 && +m[3] >= 1 && +m[3] <= 31 && +m[4] < 24 && +m[5] < 60 && +m[6] < 61) {
        // A camera's local time; without OffsetTimeOriginal it is taken as Asia/Shanghai.
        var zone = /^[+-]\d{2}:\d{2}$/.test(off || "") ? off : "+08:00";
        out.takenAt = m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":" + m[6] + zone;
      }
    }
    if (ifd0[0x8825]) {
      var gps = ifd(u32(ifd0[0x8825].at));
      var la = rationals(gps[2]), lo = rationals(gps[4]), laRef = ascii(gps[1]), loRef = ascii(gps[3]);
      if (la && lo) {
        var lat = la[0] + la[1] / 60 + la[2] / 3600, lon = lo[0] + lo[1] / 60 + lo[2] / 3600;
        if (laRef === "S") lat = -lat;
        if (loRef === "W") lon = -lon;
        if (lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && !(lat === 0 && lon === 0)) {
          out.latitude = Math.round(lat * 1e7) / 1e7;
          out.longitude = Math.round(lon * 1e7) / 1e7;
        }
      }
    }
  }

  // ---- Photos: checked, EXIF kept aside, shrunk to ~1600 px JPEG q0.8 before anything is queued ----
  SG.MAX_PHOTO_BYTES = 30 * 1024 * 1024;
  function sniff(b) {
    if (b.length >= 3 && b[0] === 0xFF && b[1] === 0xD8 && b[2] === 0xFF) return "jpeg";
    if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4E && b[3] === 0x47) return "png";
    if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return "webp";
    if (b.length >= 12 && b[4] === 0x66 && b[5] === 0x74 && b[6] === 0x79 && b[7] === 0x70) return "heic";
    if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return "gif";
    return null;
  }
  function readSlice(file, n) {
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
      r.readAsArrayBuffer(file.slice(0, n));
    });
  }
  function decode(file) {
    if (global.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return createImageBitmap(file); }).catch(function () { return decodeImg(file); });
    }
    return decodeImg(file);
  }
  function decodeImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file), img = new Image();
      img.onload = function () { resolve({ img: img, width: img.naturalWidth, height: img.naturalHeight, url: url }); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }
  /** Resolves {blob (JPEG), width, height, bytes, originalBytes, exif} or rejects with {message} in zh · en. */
  SG.preparePhoto = function (file, maxSide, quality) {
    maxSide = maxSide || 1600; quality = quality || 0.8;
    if (!file) return Promise.reject({ message: "没有选择文件 · no file chosen" });
    if (file.size > SG.MAX_PHOTO_BYTES) {
      return Promise.reject({ message: "照片过大（" + (file.size / 1048576).toFixed(1) + " MB），不能超过 30 MB · the photo is larger than 30 MB" });
    }
    if (file.size === 0) return Promise.reject({ message: "文件是空的 · the file is empty" });
    return readSlice(file, 256 * 1024).then(function (head) {
      var kind = sniff(new Uint8Array(head, 0, Math.min(head.byteLength, 16)));
      if (!kind || (file.type && file.type.indexOf("image/") !== 0 && kind !== "heic")) {
        throw { message: "“" + file.name + "”不是图片，请拍照或选择 JPG/PNG 照片 · this file is not an image" };
      }
      var exif = kind === "jpeg" ? SG.readExif(head) : {};
      return decode(file).then(function (d) {
        var w = d.width, hgt = d.height, s = Math.min(1, maxSide / Math.max(w, hgt));
        var cw = Math.max(1, Math.round(w * s)), ch = Math.max(1, Math.round(hgt * s));
        var canvas = document.createElement("canvas");
        canvas.width = cw; canvas.height = ch;
        var ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, cw, ch);
        ctx.drawImage(d.img || d, 0, 0, cw, ch);
        if (d.close) d.close();
        if (d.url) URL.revokeObjectURL(d.url);
        return new Promise(function (resolve, reject) {
          canvas.toBlob(function (blob) {
            if (!blob) { reject({ message: "无法压缩照片 · could not shrink the photo" }); return; }
            // An EXIF time from a wrong camera clock is dropped (the file's time stands in when
            // it is plausible itself; else the photo goes without a time).
            var exifOk = exif.takenAt && SG.plausibleTime(exif.takenAt);
            var fileOk = file.lastModified && SG.plausibleTime(file.lastModified);
            resolve({ blob: blob, width: cw, height: ch, bytes: blob.size, originalBytes: file.size, exif: exif,
              droppedTime: exif.takenAt && !exifOk ? exif.takenAt : (!exif.takenAt && file.lastModified && !fileOk ? SG.rfc3339(new Date(file.lastModified)) : null),
              takenAt: exifOk ? exif.takenAt : (fileOk ? SG.rfc3339(new Date(file.lastModified)) : (file.lastModified ? null : SG.rfc3339())) });
          }, "image/jpeg", quality);
        });
      }, function () {
        throw { message: kind === "heic" ? "此手机浏览器无法读取 HEIC 照片，请在相机设置中选“兼容性最佳”(JPG) · this browser cannot read HEIC; switch the camera to JPG"
          : "照片已损坏，无法读取 · the photo is damaged and cannot be read" };
      });
    });
  };

  SG.formatBytes = function (n) {
    if (n == null || isNaN(n)) return "—";
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(0) + " KB";
    return (n / 1048576).toFixed(1) + " MB";
  };

  // ---- Labels (zh first, en second) ----
  SG.KINDS = [
    { value: "enterprise", zh: "企业", en: "Enterprise" },
    { value: "streetShop", zh: "沿街店铺", en: "Street shop" },
    { value: "rentalHousing", zh: "出租房", en: "Rental housing" },
    { value: "smallMicroPark", zh: "小微园区", en: "Small & micro park" },
    { value: "factoryInFactory", zh: "厂中厂", en: "Factory in factory" }
  ];
  SG.DEPARTMENTS = [
    { value: "fireRescue", zh: "消防救援", en: "Fire rescue" },
    { value: "emergencyManagement", zh: "应急管理", en: "Emergency management" },
    { value: "marketSupervision", zh: "市场监管", en: "Market supervision" },
    { value: "housingConstruction", zh: "住房和城乡建设", en: "Housing & construction" },
    { value: "publicSecurity", zh: "公安", en: "Public security" },
    { value: "naturalResources", zh: "自然资源和规划", en: "Natural resources" },
    { value: "ecologyEnvironment", zh: "生态环境", en: "Ecology & environment" },
    { value: "comprehensiveEnforcement", zh: "综合行政执法", en: "Law enforcement" }
  ];
  SG.SEVERITIES = [
    { value: "general", zh: "一般", en: "General" },
    { value: "serious", zh: "较严重", en: "Serious" },
    { value: "extremelySevere", zh: "极严重", en: "Extremely severe" }
  ];
  SG.ROLES = { districtAdmin: ["区管理员", "District admin"], townAdmin: ["镇街管理员", "Town admin"], departmentInspector: ["部门检查员", "Department inspector"],
    villageOfficer: ["村社干部", "Village officer"], gridWorker: ["网格员", "Grid worker"], microGridWorker: ["微网格员", "Micro-grid worker"], viewer: ["查看", "Viewer"] };
  /** "网格员 Grid worker": the server's Chinese name of a role, and its English. */
  SG.roleLabel = function (me) {
    var r = SG.ROLES[me.role] || [];
    return (me.roleZh || r[0] || "") + (r[1] ? " " + r[1] : "");
  };
  SG.STATES = { open: "未整改 Not rectified", rectifying: "整改中 In progress", rectified: "整改到位 Rectified", rebound: "隐患反弹 Rebound", closedDown: "已关停 Closed down" };
  SG.label = function (list, value) {
    for (var i = 0; i < list.length; i++) if (list[i].value === value) return list[i].zh + " " + list[i].en;
    return value || "—";
  };
  SG.zh = function (list, value) {
    for (var i = 0; i < list.length; i++) if (list[i].value === value) return list[i].zh;
    return value || "—";
  };
})(typeof window !== "undefined" ? window : this);
