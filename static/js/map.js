// The district map: points from the page's GeoJSON endpoint, clustered; or, in the heat view,
// a circle per point sized by its problems. Text comes from the page's <template id="map-text">
// so it is translated with the rest of the page.
(function () {
  "use strict";

  var el = document.getElementById("district-map");
  if (!el || !window.L) return;
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var summary = document.getElementById("map-summary");

  function text(key) {
    // A <template>'s children live in its content fragment, out of the document's reach.
    var node = document.getElementById("map-text").content.querySelector('[data-key="' + key + '"]');
    return node ? node.textContent : key;
  }

  function escapeHtml(value) {
    var div = document.createElement("div");
    div.textContent = value;
    return div.innerHTML;
  }

  // Clustering needs the map's deepest zoom; without tiles, street level is deep enough.
  var maxZoom = config.layers.reduce(function (most, layer) { return Math.max(most, layer.max_zoom); }, 0) || 18;
  var map = L.map(el, { zoomControl: true, maxZoom: maxZoom, zoomSnap: 0.5 });
  // Our own words only: the default prefix links to a site a district network cannot reach.
  map.attributionControl.setPrefix("Leaflet");
  var tileFailed = false;
  config.layers.forEach(function (layer) {
    L.tileLayer(layer.url, {
      subdomains: layer.subdomains || "abc",
      maxZoom: layer.max_zoom,
      attribution: escapeHtml(layer.attribution || ""),
    })
      .on("tileerror", function () {
        if (tileFailed) return;
        tileFailed = true;
        var note = document.createElement("p");
        note.className = "card notice map-tile-error";
        note.setAttribute("role", "alert");
        note.textContent = text("tile_error");
        el.parentNode.insertBefore(note, el);
      })
      .addTo(map);
  });

  function popup(props) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var title = document.createElement("strong");
    title.textContent = props.name;
    box.appendChild(title);
    var street = document.createElement("div");
    street.className = "muted";
    street.textContent = props.street;
    box.appendChild(street);
    var counts = document.createElement("div");
    counts.textContent = props.tickets + " " + text("tickets") + (props.overdue ? "，" + props.overdue + " " + text("overdue") : "");
    box.appendChild(counts);
    if (props.tickets) {
      var list = document.createElement("a");
      list.href = config.tickets + "?point=" + props.id + (config.view === "heat" ? "" : "&state=open");
      list.textContent = text("list");
      box.appendChild(list);
    }
    if (props.can_locate) {
      var locate = document.createElement("a");
      locate.href = config.locate.replace("/0/", "/" + props.id + "/");
      locate.textContent = text("locate");
      locate.className = "map-locate";
      box.appendChild(locate);
    }
    return box;
  }

  function worst(markers) {
    var order = ["overdue", "reported", "assigned", "rectifying", "submitted", "on_hold", "closed", "voided"];
    var best = order.length;
    markers.forEach(function (marker) {
      var i = order.indexOf(marker.options.mark);
      if (i >= 0 && i < best) best = i;
    });
    return best < order.length ? order[best] : "none";
  }

  function pin(feature, latlng) {
    var props = feature.properties;
    var marker = L.marker(latlng, {
      icon: L.divIcon({
        className: "map-pin mark-" + props.mark,
        html: props.tickets ? "<span>" + props.tickets + "</span>" : "",
        iconSize: props.tickets ? [28, 28] : [14, 14],
      }),
      title: props.name + " · " + props.tickets + " " + text("tickets"),
      keyboard: true,
      mark: props.mark,
      tickets: props.tickets,
    });
    return marker.bindPopup(popup(props));
  }

  function clusters(features) {
    var group = L.markerClusterGroup({
      maxClusterRadius: 50,
      showCoverageOnHover: false,
      iconCreateFunction: function (cluster) {
        var markers = cluster.getAllChildMarkers();
        var tickets = markers.reduce(function (sum, marker) { return sum + marker.options.tickets; }, 0);
        var label = tickets ? tickets : markers.length;
        return L.divIcon({
          className: "map-cluster mark-" + (tickets ? worst(markers) : "none"),
          html: "<span>" + label + "</span>",
          iconSize: [40, 40],
        });
      },
    });
    features.forEach(function (feature) {
      var c = feature.geometry.coordinates;
      group.addLayer(pin(feature, L.latLng(c[1], c[0])));
    });
    return group;
  }

  function heat(features) {
    var most = features.reduce(function (m, f) { return Math.max(m, f.properties.tickets); }, 0) || 1;
    var group = L.featureGroup();
    features.forEach(function (feature) {
      var props = feature.properties;
      var c = feature.geometry.coordinates;
      // Area, not radius, follows the count: a point with four times the problems looks four times as big.
      var radius = props.tickets ? 5 + 25 * Math.sqrt(props.tickets / most) : 3;
      L.circleMarker(L.latLng(c[1], c[0]), {
        radius: radius,
        className: props.tickets ? "map-heat" : "map-heat-none",
        weight: 1,
      })
        .bindTooltip(escapeHtml(props.name) + "：" + props.tickets + " " + escapeHtml(text("tickets")))
        .bindPopup(popup(props))
        .addTo(group);
    });
    return group;
  }

  // Without tiles the canvas is blank: each street's name stands above its northernmost
  // point, in a pane over the markers so no cluster hides it.
  function streetNames(features) {
    var pane = map.createPane("streets");
    pane.style.zIndex = 650;
    pane.style.pointerEvents = "none";
    var streets = {};
    features.forEach(function (feature) {
      var name = feature.properties.street;
      if (!name) return;
      var c = feature.geometry.coordinates;
      var s = streets[name] || (streets[name] = { north: -90, lng: 0, n: 0 });
      s.north = Math.max(s.north, c[1]);
      s.lng += c[0];
      s.n += 1;
    });
    Object.keys(streets).forEach(function (name) {
      var s = streets[name];
      L.marker([s.north, s.lng / s.n], {
        icon: L.divIcon({ className: "map-street-label", html: "<span>" + escapeHtml(name) + "</span>", iconSize: null }),
        pane: "streets",
        interactive: false,
        keyboard: false,
      }).addTo(map);
    });
  }

  function draw(data) {
    var features = data.features;
    var s = data.summary;
    var words = text("summary")
      .replace("{tickets}", s.tickets)
      .replace("{placed}", s.placed)
      .replace("{unplaced}", s.unplaced);
    summary.textContent = words + (s.capped ? " " + text("capped") : "");
    if (!features.length) {
      map.setView([35, 105], 4);
      summary.textContent = text("empty") + " " + words;
      return;
    }
    // The view first: Leaflet places nothing on a map that has none.
    var bounds = L.latLngBounds(features.map(function (f) { return [f.geometry.coordinates[1], f.geometry.coordinates[0]]; }));
    // More room above: each street name stands over its northernmost point.
    map.fitBounds(bounds, { paddingTopLeft: [30, 60], paddingBottomRight: [30, 30], maxZoom: 17 });
    (config.view === "heat" ? heat(features) : clusters(features)).addTo(map);
    if (!config.layers.length) streetNames(features);
    el.setAttribute("data-loaded", String(features.length));
  }

  fetch(config.data, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(draw)
    .catch(function (error) {
      if (window.console) console.error(error);
      summary.textContent = text("failed");
      el.setAttribute("data-loaded", "error");
    });
})();
