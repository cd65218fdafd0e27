/* SafeGrid field app: what the phone keeps. IndexedDB (database "safegrid-field"), with
   three stores: kv (account, checklist, area pack, counters, drafts), outbox (the queue, by
   numeric id = order of creation) and blobs (shrunk photos). Without IndexedDB (some in-app
   browsers, private modes) the same interface runs on localStorage, photos as data URLs. */
(function (global) {
  "use strict";
  var SG = global.SG;
  var DB_NAME = "safegrid-field", DB_VERSION = 1, STORES = ["kv", "outbox", "blobs"];

  function req(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function IDBBackend(db) { this.db = db; this.kind = "IndexedDB"; }
  IDBBackend.prototype.tx = function (store, mode, fn) {
    var db = this.db;
    return new Promise(function (resolve, reject) {
      var t = db.transaction(store, mode), result;
      t.oncomplete = function () { resolve(result); };
      t.onerror = function () { reject(t.error); };
      t.onabort = function () { reject(t.error || new Error("transaction aborted")); };
      result = fn(t.objectStore(store));
      if (result && typeof result.then === "function") {
        result.then(function (v) { result = v; }, function (e) { try { t.abort(); } catch (x) { /* already done */ } reject(e); });
      }
    });
  };
  IDBBackend.prototype.get = function (store, key) {
    var out;
    return this.tx(store, "readonly", function (s) { return req(s.get(key)).then(function (v) { out = v; return v; }); }).then(function () { return out; });
  };
  IDBBackend.prototype.put = function (store, key, value) {
    return this.tx(store, "readwrite", function (s) { s.put(value, key); });
  };
  IDBBackend.prototype.del = function (store, key) {
    return this.tx(store, "readwrite", function (s) { s.delete(key); });
  };
  IDBBackend.prototype.all = function (store) {
    var out = [];
    return this.tx(store, "readonly", function (s) {
      return new Promise(function (resolve, reject) {
        var c = s.openCursor();
        c.onsuccess = function () {
          var cur = c.result;
          if (!cur) { resolve(out); return; }
          out.push({ key: cur.key, value: cur.value });
          cur.continue();
        };
        c.onerror = function () { reject(c.error); };
      });
    }).then(function () { return out; });
  };
  IDBBackend.prototype.clear = function (store) {
    return this.tx(store, "readwrite", function (s) { s.clear(); });
  };

  // localStorage: keys "sg:<store>:<key>"; numbers are kept as "n:<number>" so outbox ids sort.
  function LSBackend() { this.kind = "localStorage"; }
  function lsKey(store, key) { return "sg:" + store + ":" + (typeof key === "number" ? "n:" + key : "s:" + key); }
  function blobToDataURL(b) {
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
      r.readAsDataURL(b);
    });
  }
  function dataURLToBlob(u) {
    var comma = u.indexOf(","), meta = u.slice(5, comma), bin = atob(u.slice(comma + 1)), a = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i);
    return new Blob([a], { type: meta.split(";")[0] });
  }
  LSBackend.prototype.get = function (store, key) {
    var raw = localStorage.getItem(lsKey(store, key));
    if (raw === null) return Promise.resolve(undefined);
    if (store === "blobs") return Promise.resolve(dataURLToBlob(raw));
    return Promise.resolve(JSON.parse(raw));
  };
  LSBackend.prototype.put = function (store, key, value) {
    var p = store === "blobs" ? blobToDataURL(value) : Promise.resolve(JSON.stringify(value));
    return p.then(function (s) {
      try { localStorage.setItem(lsKey(store, key), s); } catch (e) {
        throw new Error("手机存储空间不足，无法保存 · the phone's storage is full (" + e.name + ")");
      }
    });
  };
  LSBackend.prototype.del = function (store, key) { localStorage.removeItem(lsKey(store, key)); return Promise.resolve(); };
  LSBackend.prototype.all = function (store) {
    var out = [], prefix = "sg:" + store + ":";
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k.indexOf(prefix) !== 0) continue;
      var rest = k.slice(prefix.length), key = rest.slice(0, 2) === "n:" ? Number(rest.slice(2)) : rest.slice(2);
      out.push({ key: key, value: store === "blobs" ? null : JSON.parse(localStorage.getItem(k)) });
    }
    out.sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; });
    return Promise.resolve(out);
  };
  LSBackend.prototype.clear = function (store) {
    var prefix = "sg:" + store + ":", keys = [];
    for (var i = 0; i < localStorage.length; i++) if (localStorage.key(i).indexOf(prefix) === 0) keys.push(localStorage.key(i));
    keys.forEach(function (k) { localStorage.removeItem(k); });
    return Promise.resolve();
  };

  // In-memory, when neither works (the app still runs online; nothing survives a reload).
  function MemBackend() { this.kind = "memory"; this.m = { kv: {}, outbox: {}, blobs: {} }; }
  MemBackend.prototype.get = function (s, k) { return Promise.resolve(this.m[s][k]); };
  MemBackend.prototype.put = function (s, k, v) { this.m[s][k] = v; return Promise.resolve(); };
  MemBackend.prototype.del = function (s, k) { delete this.m[s][k]; return Promise.resolve(); };
  MemBackend.prototype.all = function (s) {
    var m = this.m[s];
    return Promise.resolve(Object.keys(m).map(function (k) { return { key: s === "outbox" ? Number(k) : k, value: m[k] }; })
      .sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; }));
  };
  MemBackend.prototype.clear = function (s) { this.m[s] = {}; return Promise.resolve(); };

  function openIDB() {
    return new Promise(function (resolve, reject) {
      if (!global.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var r;
      try { r = indexedDB.open(DB_NAME, DB_VERSION); } catch (e) { reject(e); return; }
      r.onupgradeneeded = function () {
        var db = r.result;
        STORES.forEach(function (s) { if (!db.objectStoreNames.contains(s)) db.createObjectStore(s); });
      };
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
      r.onblocked = function () { reject(new Error("IndexedDB blocked")); };
      setTimeout(function () { reject(new Error("IndexedDB did not open")); }, 5000);
    });
  }
  function lsWorks() {
    try { localStorage.setItem("sg:probe", "1"); localStorage.removeItem("sg:probe"); return true; } catch (e) { return false; }
  }

  var backend = null;
  var Store = SG.Store = {
    open: function (prefer) {
      if (backend) return Promise.resolve(backend);
      var p = prefer === "localStorage" ? Promise.reject(new Error("forced")) : openIDB().then(function (db) {
        var b = new IDBBackend(db);
        // A write must work too (some in-app browsers open IndexedDB and then fail every write).
        return b.put("kv", "probe", 1).then(function () { return b; });
      });
      return p.catch(function () { return lsWorks() ? new LSBackend() : new MemBackend(); }).then(function (b) {
        backend = b;
        if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
        return b;
      });
    },
    kind: function () { return backend ? backend.kind : "—"; },
    get: function (k) { return backend.get("kv", k); },
    set: function (k, v) { return backend.put("kv", k, v); },
    del: function (k) { return backend.del("kv", k); },
    putBlob: function (k, b) { return backend.put("blobs", k, b); },
    getBlob: function (k) { return backend.get("blobs", k); },
    delBlob: function (k) { return backend.del("blobs", k); },
    kvAll: function () { return backend.all("kv"); },
    blobKeys: function () { return backend.all("blobs").then(function (r) { return r.map(function (x) { return x.key; }); }); },
    items: function () { return backend.all("outbox").then(function (r) { return r.map(function (x) { return x.value; }); }); },
    item: function (id) { return backend.get("outbox", id); },
    putItem: function (item) { return backend.put("outbox", item.id, item); },
    delItem: function (id) { return backend.del("outbox", id); },
    /** A new outbox id, increasing even when the clock goes back. */
    nextId: function () {
      return backend.get("kv", "lastItemId").then(function (last) {
        var id = Math.max(Date.now(), (last || 0) + 1);
        return backend.put("kv", "lastItemId", id).then(function () { return id; });
      });
    },
    /** The next per-device sequence number for POST /api/v1/sync (stored before it is used). */
    nextSeq: function () {
      return backend.get("kv", "deviceSeq").then(function (last) {
        var n = (last || 0) + 1;
        return backend.put("kv", "deviceSeq", n).then(function () { return n; });
      });
    },
    deviceId: function () {
      return backend.get("kv", "deviceId").then(function (id) {
        if (id) return id;
        id = "field-" + SG.uuid();
        return backend.put("kv", "deviceId", id).then(function () { return id; });
      });
    },
    /** Bytes used by the app's data: the browser's estimate, else a count of localStorage. */
    estimate: function () {
      if (navigator.storage && navigator.storage.estimate) {
        return navigator.storage.estimate().then(function (e) { return { usage: e.usage, quota: e.quota }; });
      }
      var n = 0;
      try { for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); n += (k.length + (localStorage.getItem(k) || "").length) * 2; } } catch (e) { /* none */ }
      return Promise.resolve({ usage: n, quota: null });
    },
    clearAll: function () {
      return Promise.all(STORES.map(function (s) { return backend.clear(s); }));
    }
  };
})(typeof window !== "undefined" ? window : this);
