import Vapor

/// Scripts served by the app itself (government intranets often have no internet).
enum Assets {
    /// Every script a page may load, by its path under `/assets/`; pages carry no inline script
    /// (the Content-Security-Policy allows none).
    static let scripts: [String: String] = ["sign.js": signJS, "tasks.js": tasksJS]

    static func script(_ req: Request) throws -> Response {
        guard let name = req.parameters.get("script"), let body = scripts[name] else {
            throw Abort(.notFound, reason: "no such script")
        }
        let r = Response(status: .ok, body: .init(string: body))
        r.headers.contentType = HTTPMediaType(type: "text", subType: "javascript", parameters: ["charset": "utf-8"])
        r.headers.cacheControl = .init(maxAge: 3600)
        return r
    }

    /// The task list's "nearest first" button: reloads the list with the phone's position.
    static let tasksJS = #"""
    (function () {
      "use strict";
      var button = document.getElementById("locate");
      if (!button) return;
      button.addEventListener("click", function () {
        if (!navigator.geolocation) return;
        navigator.geolocation.getCurrentPosition(function (p) {
          var u = new URL(location.href);
          u.searchParams.set("latitude", p.coords.latitude.toFixed(6));
          u.searchParams.set("longitude", p.coords.longitude.toFixed(6));
          location.href = u.toString();
        });
      });
    })();
    """#

    /// The signature pad: pointer events (touch, pen and mouse), sized for the device's pixel
    /// ratio; posts the PNG, the signer and the position (if the phone gives it within 5 s).
    static let signJS = #"""
    (function () {
      "use strict";
      var form = document.getElementById("sign-form");
      var canvas = document.getElementById("pad");
      if (!form || !canvas) return;
      var ctx = canvas.getContext("2d");
      var strokes = 0, drawing = false, last = null;
      function setup() {
        var r = canvas.getBoundingClientRect(), d = window.devicePixelRatio || 1;
        canvas.width = Math.round(r.width * d); canvas.height = Math.round(r.height * d);
        ctx.setTransform(d, 0, 0, d, 0, 0);
        ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, r.width, r.height);
        ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
        strokes = 0;
      }
      function pos(e) { var r = canvas.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; }
      canvas.addEventListener("pointerdown", function (e) {
        drawing = true; last = pos(e); strokes++;
        if (canvas.setPointerCapture) canvas.setPointerCapture(e.pointerId);
        ctx.beginPath(); ctx.arc(last.x, last.y, 1, 0, 2 * Math.PI); ctx.fill && ctx.stroke();
        e.preventDefault();
      });
      canvas.addEventListener("pointermove", function (e) {
        if (!drawing) return;
        var p = pos(e);
        ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
        last = p; e.preventDefault();
      });
      ["pointerup", "pointercancel", "pointerleave"].forEach(function (t) {
        canvas.addEventListener(t, function () { drawing = false; });
      });
      document.getElementById("clear").addEventListener("click", setup);
      var status = document.getElementById("status");
      function post(location) {
        var body = {
          signerName: form.signerName.value,
          signerPhone: form.signerPhone.value,
          image: canvas.toDataURL("image/png")
        };
        if (location) body.location = location;
        var id = form.getAttribute("data-inspection");
        fetch("/api/v1/inspections/" + id + "/signature", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": form.getAttribute("data-csrf") || "" },
          body: JSON.stringify(body)
        }).then(function (r) {
          return r.json().then(function (j) { return { ok: r.ok, j: j }; });
        }).then(function (x) {
          if (x.ok) { window.location = x.j.noticeUrl; return; }
          status.textContent = "未能提交：" + (x.j.detail || "请重试") + (x.j.field ? "（" + x.j.field + "）" : "");
          document.getElementById("submit").disabled = false;
        }).catch(function () {
          status.textContent = "网络异常，请稍后重试 Network error, try again";
          document.getElementById("submit").disabled = false;
        });
      }
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        if (strokes === 0) { status.textContent = "请先签名 Please sign first"; return; }
        document.getElementById("submit").disabled = true;
        status.textContent = "正在提交… Sending…";
        if (!navigator.geolocation) { post(null); return; }
        var done = false;
        var timer = setTimeout(function () { if (!done) { done = true; post(null); } }, 5000);
        navigator.geolocation.getCurrentPosition(function (p) {
          if (done) return; done = true; clearTimeout(timer);
          post({ latitude: p.coords.latitude, longitude: p.coords.longitude, datum: "wgs84" });
        }, function () { if (!done) { done = true; clearTimeout(timer); post(null); } }, { timeout: 5000, maximumAge: 60000 });
      });
      window.addEventListener("resize", function () { if (strokes === 0) setup(); });
      setup();
    })();
    """#
}
