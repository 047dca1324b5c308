/* Working without signal (README "离线使用").
 *
 * - Registers the service worker (/sw.js), which keeps the street pages and the offline pack.
 * - Notes when and where each photo was taken, as the photo is picked: the file's time and the
 *   phone's position, sent beside it as "photo_capture" (the server prefers the photo's EXIF).
 * - Without a network, a form marked data-offline-kind (登记问题, 提交整改, 复查, 日报) is kept in
 *   IndexedDB with its photos and a fresh one-time submission key, and shown in the queue
 *   ("待上传 2 件"); when the network returns the queue is sent in order. A send the server
 *   refuses stays in the queue with the server's reason, to retry or discard.
 * - Logging out empties the queue, the pack and every cache on the device, after a warning
 *   if something is still unsent. So does another person signing in on the same phone.
 *
 * Pages work without this file; only the queue itself needs it.
 */
(function () {
  "use strict";

  var bar = document.getElementById("offline-bar");
  var DB_NAME = "ledger-offline";
  var QUEUE = "queue";
  var META = "meta";
  var PACK_FRESH_MS = 5 * 60 * 1000;
  var dbPromise = null;
  var sending = false;

  if (!window.indexedDB || !window.Promise || !window.FormData) return;

  // --- storage ---------------------------------------------------------------------------------
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = window.indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore(QUEUE, { keyPath: "id", autoIncrement: true });
          db.createObjectStore(META, { keyPath: "key" });
        };
        request.onsuccess = function () {
          // Another tab deleting the database (a logout) must not wait on this one.
          request.result.onversionchange = function () { request.result.close(); dbPromise = null; };
          resolve(request.result);
        };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function tx(store, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(store, mode);
        var result;
        transaction.oncomplete = function () { resolve(result); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
        var request = work(transaction.objectStore(store));
        if (request) request.onsuccess = function () { result = request.result; };
      });
    });
  }

  function queueAll() { return tx(QUEUE, "readonly", function (s) { return s.getAll(); }); }
  function queuePut(item) { return tx(QUEUE, "readwrite", function (s) { return s.put(item); }); }
  function queueDelete(id) { return tx(QUEUE, "readwrite", function (s) { return s.delete(id); }); }
  function metaGet(key) {
    return tx(META, "readonly", function (s) { return s.get(key); }).then(function (row) { return row && row.value; });
  }
  function metaSet(key, value) { return tx(META, "readwrite", function (s) { return s.put({ key: key, value: value }); }); }

  // Everything this site keeps on the device: the queue, the pack, the cached pages.
  function clearDevice() {
    var closing = dbPromise ? dbPromise.then(function (db) { db.close(); }).catch(function () {}) : Promise.resolve();
    dbPromise = null;
    return closing.then(function () {
      var gone = new Promise(function (resolve) {
        var request = window.indexedDB.deleteDatabase(DB_NAME);
        request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
      });
      var workers = navigator.serviceWorker && navigator.serviceWorker.getRegistrations ?
        navigator.serviceWorker.getRegistrations().then(function (registrations) {
          return Promise.all(registrations.map(function (registration) { return registration.unregister(); }));
        }) : Promise.resolve();
      var caches = window.caches ? window.caches.keys().then(function (names) {
        return Promise.all(names.map(function (name) { return window.caches.delete(name); }));
      }) : Promise.resolve();
      return Promise.all([gone, caches, workers]);
    }).catch(function () {});
  }

  function text(name, values) {
    var template = (bar && bar.getAttribute("data-t-" + name)) || "";
    return template.replace(/%\((\w+)\)s/g, function (all, key) { return values && key in values ? values[key] : all; });
  }

  // --- a photo's time and place, noted when it is picked -----------------------------------------
  function position() {
    if (!navigator.geolocation) return Promise.resolve(null);
    return new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(
        function (found) { resolve(found.coords); },
        function () { resolve(null); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 120000 }
      );
    });
  }

  // The notes are written into the form as the photo is picked (time at once, place when the
  // phone has it), so a form sent online or kept offline carries them without waiting.
  function writeNotes(input, files, pickedAt, coords) {
    var form = input.form;
    if (!form) return;
    form.querySelectorAll('input[name="photo_capture"]').forEach(function (old) { old.remove(); });
    files.forEach(function (file) {
      // A photo just taken with the camera is as old as its file; one from the album keeps
      // the file's own time. The server prefers the photo's EXIF to either.
      var note = { t: file.lastModified || pickedAt };
      if (coords) {
        note.lat = coords.latitude;
        note.lon = coords.longitude;
        note.acc = coords.accuracy;
      }
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "photo_capture";
      hidden.value = JSON.stringify(note);
      form.appendChild(hidden);
    });
  }

  function noteCaptures(input) {
    var files = Array.prototype.slice.call(input.files || []);
    var pickedAt = Date.now();
    var pick = {};
    input.ledgerPick = pick;
    writeNotes(input, files, pickedAt, null);
    if (!files.length) return;
    position().then(function (coords) {
      if (coords && input.ledgerPick === pick) writeNotes(input, files, pickedAt, coords);
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches('input[type="file"][data-shrink-photos]')) noteCaptures(input);
  });

  // Photos still being shrunk by ledger.js are waited for before a form is kept.
  function shrunk(form) {
    return Promise.all(Array.prototype.map.call(form.querySelectorAll('input[type="file"]'), function (input) {
      return input.ledgerShrinking;
    }));
  }

  // --- the queue ---------------------------------------------------------------------------------
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function enqueue(form) {
    var data = new FormData(form);
    var fields = [];
    data.forEach(function (value, name) {
      if (name === "submission") return;
      if (value instanceof File && !value.size && !value.name) return; // an empty file input
      fields.push([name, value]);
    });
    // Each queued form its own key: two problems logged from the one kept page are two tickets,
    // and a resend of either is answered with its first ticket.
    fields.push(["submission", newKey()]);
    var day = form.getAttribute("data-offline-day");
    if (day && !data.has("day")) fields.push(["day", day]);
    // What the person wrote, so they can tell one kept form from the next.
    var written = form.querySelector("textarea");
    var gist = written && written.value.trim() ? "：" + written.value.trim().slice(0, 24) : "";
    return queuePut({
      owner: bar.getAttribute("data-user"),
      kind: form.getAttribute("data-offline-kind"),
      label: (form.getAttribute("data-offline-label") || document.title) + gist,
      url: form.action || window.location.href,
      fields: fields,
      created: Date.now(),
      status: "waiting",
      reason: "",
    });
  }

  function afterQueued(form) {
    form.reset();
    form.querySelectorAll('input[name="photo_capture"]').forEach(function (old) { old.remove(); });
    form.querySelectorAll("[data-preview-for]").forEach(function (box) {
      box.querySelectorAll("figure:not(.kept)").forEach(function (figure) { figure.remove(); });
    });
    form.querySelectorAll('input[type="file"]').forEach(function (input) { input.ledgerPick = null; });
    var note = form.querySelector(".offline-saved");
    if (!note) {
      note = document.createElement("p");
      note.className = "alert offline-saved";
      note.setAttribute("role", "status");
      form.insertBefore(note, form.firstChild);
    }
    note.textContent = text("saved");
    note.scrollIntoView({ block: "center" });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-offline-logout")) return logout(event, form);
    if (!form.hasAttribute("data-offline-kind") || !bar) return;
    if (navigator.onLine) return; // sent as it would be without this file, the photos' notes with it
    // Offline: kept on the device (ledger.js's own handler is not told: nothing is sent now).
    event.preventDefault();
    event.stopImmediatePropagation();
    if (form.ledgerQueuing) return;
    form.ledgerQueuing = true;
    shrunk(form)
      .then(function () { return enqueue(form); })
      .then(function () { return drawQueue().then(function () { afterQueued(form); }); })
      .catch(function () { /* nothing kept: the form stays as typed */ })
      .then(function () { form.ledgerQueuing = false; });
  }, true);

  // The server's reason, from the page it sent back: the form's error summary and field errors.
  function reasonFrom(html, status) {
    try {
      var page = new DOMParser().parseFromString(html, "text/html");
      var nodes;
      var summary = page.querySelector(".error-summary");
      if (summary) {
        // The form's own errors, then each field's; not the summary's "please check" line.
        nodes = Array.prototype.slice.call(summary.querySelectorAll(":scope > p"));
        var fields = Array.prototype.slice.call(summary.querySelectorAll(".error-links li"));
        if (fields.length) nodes = nodes.slice(0, -1).concat(fields);
      } else {
        nodes = Array.prototype.slice.call(page.querySelectorAll(".errorlist li, p.error, .messages .message-error"));
      }
      var parts = [];
      nodes.forEach(function (node) {
        var line = node.textContent.replace(/\s+/g, " ").trim();
        if (line && parts.indexOf(line) < 0) parts.push(line);
      });
      if (parts.length) return parts.join("；");
      var heading = page.querySelector("main h1");
      if (heading && status >= 400) return heading.textContent.trim() + " — " + text("status", { status: status });
    } catch (e) { /* fall through */ }
    return text("status", { status: status });
  }

  function sendOne(item) {
    var body = new FormData();
    item.fields.forEach(function (pair) {
      if (pair[1] instanceof Blob) body.append(pair[0], pair[1], pair[1].name || "photo.jpg");
      else body.append(pair[0], pair[1]);
    });
    return fetch(item.url, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      if (response.redirected && new URL(response.url).pathname.indexOf("/accounts/login/") === 0) {
        item.status = "failed";
        item.reason = text("login");
        return queuePut(item).then(function () { return "stop"; });
      }
      if (response.ok) return queueDelete(item.id).then(function () { return "sent"; });
      return response.text().then(function (html) {
        item.status = "failed";
        item.reason = reasonFrom(html, response.status);
        return queuePut(item).then(function () { return "failed"; });
      });
    });
    // A network error rejects: the item stays as it was, waiting.
  }

  // In the order they were kept; one at a time, so the ledger numbers follow the same order.
  function sendQueue(alsoFailed) {
    if (sending || !navigator.onLine || !bar) return Promise.resolve();
    sending = true;
    var me = bar.getAttribute("data-user");
    var sent = 0;
    return queueAll()
      .then(function (items) {
        items = items.filter(function (item) {
          return item.owner === me && (item.status === "waiting" || alsoFailed);
        }).sort(function (a, b) { return a.created - b.created || a.id - b.id; });
        return items.reduce(function (chain, item) {
          return chain.then(function (stop) {
            if (stop) return stop;
            return sendOne(item).then(function (outcome) {
              if (outcome === "sent") sent += 1;
              return outcome === "stop" ? "stop" : null;
            });
          });
        }, Promise.resolve(null));
      })
      .catch(function () { /* the network went again: what is left waits */ })
      .then(function () {
        sending = false;
        if (sent) showState(text("sent", { n: sent }));
        return drawQueue();
      });
  }

  function drawQueue() {
    if (!bar) return Promise.resolve([]);
    return queueAll().then(function (items) {
      var box = bar.querySelector("[data-offline-queue]");
      var list = bar.querySelector("[data-offline-items]");
      list.textContent = "";
      items.sort(function (a, b) { return a.created - b.created; }).forEach(function (item) {
        var row = document.createElement("li");
        row.className = "offline-item offline-" + item.status;
        var label = document.createElement("span");
        label.className = "offline-item-label";
        label.textContent = item.label + " · " + new Date(item.created).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        row.appendChild(label);
        var state = document.createElement("span");
        state.className = "offline-item-state";
        state.textContent = item.status === "failed" ? text("failed") + "：" + item.reason : text("waiting");
        row.appendChild(state);
        if (item.status === "failed") {
          [["retry", "retry"], ["discard", "discard"]].forEach(function (pair) {
            var button = document.createElement("button");
            button.type = "button";
            button.className = "button small" + (pair[0] === "discard" ? " danger" : "");
            button.setAttribute("data-offline-" + pair[0], String(item.id));
            button.textContent = text(pair[1]);
            row.appendChild(button);
          });
        }
        list.appendChild(row);
      });
      var count = bar.querySelector("[data-offline-count]");
      count.textContent = text("queue", { n: items.length });
      box.hidden = !items.length;
      refreshBar();
      return items;
    }).catch(function () { return []; });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest || !bar || !bar.contains(target)) return;
    var retry = target.closest("[data-offline-retry]");
    var discard = target.closest("[data-offline-discard]");
    if (target.closest("[data-offline-send]")) {
      sendQueue(false);
    } else if (retry) {
      var id = Number(retry.getAttribute("data-offline-retry"));
      queueAll().then(function (items) {
        var item = items.filter(function (i) { return i.id === id; })[0];
        if (!item) return null;
        item.status = "waiting";
        item.reason = "";
        return queuePut(item);
      }).then(function () { return sendQueue(false); });
    } else if (discard && window.confirm(text("discard-confirm"))) {
      queueDelete(Number(discard.getAttribute("data-offline-discard"))).then(drawQueue);
    }
  });

  // --- the state line: no signal, and how old the kept data is ----------------------------------
  var stateNote = "";
  function showState(note) { stateNote = note; refreshBar(); }

  function ageText(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) return text("just-now");
    if (minutes < 60) return text("minutes", { n: minutes });
    if (minutes < 48 * 60) return text("hours", { n: Math.floor(minutes / 60) });
    return text("days", { n: Math.floor(minutes / 1440) });
  }

  var packAt = null;
  function refreshBar() {
    if (!bar) return;
    var line = bar.querySelector("[data-offline-state]");
    var parts = [];
    if (!navigator.onLine) {
      parts.push(text("offline"));
      if (packAt) parts.push(text("age", { age: ageText(Date.now() - packAt) }));
    }
    if (stateNote) parts.push(stateNote);
    line.textContent = parts.join(" ");
    if (packAt) bar.setAttribute("data-pack-at", String(packAt));
    line.hidden = !parts.length;
    var queueShown = !bar.querySelector("[data-offline-queue]").hidden;
    bar.querySelector("[data-offline-send]").hidden = !navigator.onLine;
    bar.hidden = !parts.length && !queueShown;
    document.documentElement.classList.toggle("is-offline", !navigator.onLine);
  }

  // The worker fetches the pack and keeps the street pages it names (the tickets waiting for
  // this person); the page hears back when, to show the copy's age.
  function refreshPack() {
    if (!("serviceWorker" in navigator)) return Promise.resolve();
    return navigator.serviceWorker.ready
      .then(function (registration) {
        return new Promise(function (resolve) {
          function answer(event) {
            if (!event.data || event.data.type !== "refreshed") return;
            navigator.serviceWorker.removeEventListener("message", answer);
            resolve(event.data.generatedAt);
          }
          navigator.serviceWorker.addEventListener("message", answer);
          navigator.serviceWorker.startMessages();
          registration.active.postMessage({ type: "refresh" });
          window.setTimeout(resolve, 120000, null);
        });
      })
      .then(function (generatedAt) {
        var at = generatedAt && Date.parse(generatedAt);
        if (!at) return null;
        packAt = at;
        return metaSet("packAt", packAt);
      })
      .catch(function () { return null; })
      .then(refreshBar);
  }

  // --- logging out -------------------------------------------------------------------------------
  function logout(event, form) {
    if (form.ledgerCleared) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    queueAll().catch(function () { return []; }).then(function (items) {
      if (items.length && !window.confirm(text("logout-confirm", { n: items.length }))) return;
      clearDevice().then(function () {
        form.ledgerCleared = true;
        form.submit();
      });
    });
  }

  // --- start ---------------------------------------------------------------------------------------
  if (!bar) {
    // Signed out (an idle logout, a login page): no page or pack of the last person stays
    // readable; an unsent queue waits for them to sign in again.
    if (window.caches) {
      window.caches.delete("ledger-pages").catch(function () {});
    }
    return;
  }

  var me = bar.getAttribute("data-user");
  metaGet("owner").catch(function () { return null; }).then(function (owner) {
    // Another person on this phone: nothing of the last one's is kept for them to read.
    if (owner && owner !== me) return clearDevice().then(function () { return metaSet("owner", me); });
    return owner ? null : metaSet("owner", me);
  }).then(function () {
    return metaGet("packAt");
  }).then(function (at) {
    packAt = at || null;
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register(bar.getAttribute("data-service-worker"), { scope: "/" }).catch(function () {});
    }
    window.addEventListener("online", function () { refreshBar(); sendQueue(false); });
    window.addEventListener("offline", refreshBar);
    return drawQueue();
  }).then(function () {
    if (!navigator.onLine) return null;
    return sendQueue(false).then(function () {
      if (!packAt || Date.now() - packAt > PACK_FRESH_MS) return refreshPack();
      return null;
    });
  }).catch(function () {});
})();
