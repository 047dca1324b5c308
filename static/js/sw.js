/* The ledger's service worker: the street pages and the offline pack kept for working without
 * signal. Served at /sw.js by campaigns/views/offline.py, which puts self.LEDGER (the static
 * files to keep, the page patterns, the pack's address, the "no signal" text) in front of this.
 *
 * Hand-written rather than Workbox: four kinds of request, no build step, and every line of
 * what a shared phone keeps can be read here.
 *
 * - Static files: from the cache first (their names change with their content).
 * - The street pages (登记问题, 我的待办, a ticket's page, 日报) and the pack: from the network
 *   first, a copy kept; without a network, the copy.
 * - Anything else: the network only; a page that was never kept gets a short "no signal" page.
 * - POSTs never pass through here: static/js/offline.js queues them in IndexedDB itself.
 *
 * Logging out deletes every cache (Clear-Site-Data, and offline.js before it).
 */
var CONFIG = self.LEDGER;
var STATIC_CACHE = "ledger-static-" + CONFIG.version;
var PAGES_CACHE = "ledger-pages";
var PAGE_PATTERNS = CONFIG.pages.map(function (pattern) { return new RegExp(pattern); });

function isKeptPage(url) {
  return url.pathname === CONFIG.pack || PAGE_PATTERNS.some(function (re) { return re.test(url.pathname); });
}

// A page worth keeping: the page itself, not a login page or an error a redirect led to.
function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function keepPage(request, response) {
  if (!keepable(response)) return Promise.resolve();
  var copy = response.clone();
  return caches.open(PAGES_CACHE).then(function (cache) { return cache.put(request, copy); });
}

// The pack, then the street pages and the page of every ticket waiting for this person, kept
// one after another (a phone on a weak signal is not asked for eighty pages at once). A page
// that fails is simply not kept. Answers the pack's time, or null.
function refresh() {
  var pack = new Request(CONFIG.pack, { credentials: "same-origin" });
  return fetch(pack)
    .then(function (response) {
      if (!keepable(response)) return null;
      return keepPage(pack, response).then(function () { return response.json(); });
    })
    .then(function (data) {
      if (!data) return null;
      var pages = CONFIG.warm.slice();
      (data.tasks || []).forEach(function (list) {
        list.tickets.forEach(function (ticket) { if (pages.indexOf(ticket.url) < 0) pages.push(ticket.url); });
      });
      return pages.slice(0, 80).reduce(function (chain, path) {
        return chain.then(function () {
          var request = new Request(path, { credentials: "same-origin" });
          return fetch(request).then(function (response) { return keepPage(request, response); })
            .catch(function () { return null; });
        });
      }, Promise.resolve()).then(function () { return data.generated_at; });
    })
    .catch(function () { return null; });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then(function (cache) { return cache.addAll(CONFIG.static); })
      .then(function () { return self.skipWaiting(); })
  );
});

// offline.js asks for a refresh when its copy is old; the answer says how old it is now.
self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "refresh") return;
  event.waitUntil(refresh().then(function (generatedAt) {
    if (event.source) event.source.postMessage({ type: "refreshed", generatedAt: generatedAt });
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("ledger-static-") === 0 && name !== STATIC_CACHE;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function offlinePage() {
  var html = '<!DOCTYPE html><html lang="' + CONFIG.lang + '"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>' + CONFIG.offlineTitle + '</title></head><body style="font-family:sans-serif;padding:1em">' +
    '<h1>' + CONFIG.offlineTitle + '</h1><p>' + CONFIG.offlineText + '</p></body></html>';
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

function fromCache(request) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    // A page asked for with a query (?district=TX) answers from the page without one if needed.
    return cache.match(request).then(function (hit) { return hit || cache.match(request, { ignoreSearch: true }); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (url.pathname.indexOf(CONFIG.staticPrefix) === 0) {
    event.respondWith(
      caches.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (keepable(response)) {
            var copy = response.clone();
            caches.open(STATIC_CACHE).then(function (cache) { cache.put(request, copy); });
          }
          return response;
        });
      })
    );
    return;
  }

  if (isKeptPage(url)) {
    event.respondWith(
      fetch(request)
        .then(function (response) {
          event.waitUntil(keepPage(request, response));
          return response;
        })
        .catch(function () {
          return fromCache(request).then(function (hit) {
            return hit || (request.mode === "navigate" ? offlinePage() : Response.error());
          });
        })
    );
    return;
  }

  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(offlinePage));
  }
});
