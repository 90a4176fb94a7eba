/* The map of emergency resources (/map, /incidents/<id>/map): Leaflet, served by the app itself, draws what
   /map/data.json answers (maps/figures.py). No tile server configured: a plain background with a scale bar;
   otherwise the administrator's tile URL and attribution, and a label layer over it when set (/admin/map-tiles).
   Popups are built as DOM nodes (textContent), never from HTML strings. */
(function () {
  "use strict";

  var BAND_COLOURS = { full: "#1e7b34", high: "#6a9a1f", mid: "#c77700", low: "#a4161a", none: "#7a8794" };
  var TIER_STROKE = { county: "#1d2733", town: "#3b4a5a", village: "#8996a4" };
  var el = document.getElementById("map");
  var statusLine = document.getElementById("map-status");
  if (!el) return;
  var messages = JSON.parse(el.getAttribute("data-messages"));
  var links = JSON.parse(el.getAttribute("data-links"));
  var lang = el.getAttribute("data-lang") || "zh-CN";
  var numbers = new Intl.NumberFormat(lang);
  var percents = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });

  function fail() {
    el.setAttribute("data-state", "failed");
    statusLine.textContent = messages.failed;
    statusLine.hidden = false;
  }

  if (!window.L) { fail(); return; }

  function percent(rate) {  // rounded down: only a complete delivery reads 100%
    return percents.format(rate >= 1 ? rate : Math.floor(rate * 100) / 100);
  }

  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }

  function popup(title, code, rows, link) {
    var box = node("div", "map-popup");
    var head = box.appendChild(node("p", "map-popup-title", title));
    if (code) { head.appendChild(document.createTextNode(" ")); head.appendChild(node("span", "code", code)); }
    var list = box.appendChild(node("dl", "map-popup-rows"));
    rows.forEach(function (row) {
      var div = list.appendChild(node("div"));
      div.appendChild(node("dt", "", row[0]));
      div.appendChild(node("dd", row[2] || "", row[1]));
    });
    if (link && link[0]) {
      var a = box.appendChild(node("a", "map-popup-link", link[1]));
      a.href = link[0];
    }
    return box;
  }

  function label(text, className) {
    return [node("span", "", text), { permanent: true, direction: "right", offset: [8, 0], className: "map-label " + className }];
  }

  function escapeHtml(text) {  // Leaflet puts the attribution in as HTML
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function itemsText(items) {
    return Object.keys(items).map(function (code) { return code + " " + numbers.format(items[code]); }).join(" · ");
  }

  function draw(data) {
    var map = L.map(el, { zoomSnap: 0.5, attributionControl: Boolean(data.tiles) });
    if (data.tiles) {
      el.classList.add("map-tiled");
      map.attributionControl.setPrefix(false);
      L.tileLayer(data.tiles.url, { attribution: escapeHtml(data.tiles.attribution), maxZoom: 18 }).addTo(map);
      if (data.tiles.labels) {  // place names served apart (天地图 cva_w), drawn over the tiles
        L.tileLayer(data.tiles.labels, { maxZoom: 18, className: "map-labels" }).addTo(map);
      }
    } else {
      el.classList.add("map-plain");
    }
    L.control.scale({ imperial: false }).addTo(map);
    var points = [], focus = [];  // focus: what an incident's map is fitted to (its sites, lines and orders)

    data.lines.forEach(function (ln) {
      L.polyline(ln.path, { className: "map-line planned", color: "#0b5cad", weight: 7, opacity: 0.3 })
        .addTo(map).bindPopup(popup(messages.line, ln.from + " → " + ln.to, [
          [messages.incident, "#" + ln.incident],
          [messages.planned, itemsText(ln.items)],
        ]));
      points = points.concat(ln.path);
      focus = focus.concat(ln.path);
    });
    data.orders.forEach(function (o) {
      L.polyline(o.path, { className: "map-line transit", color: "#b3261e", weight: 3, opacity: 0.9 }).addTo(map)
        .bindPopup(popup(messages.order, o.code, [
          [messages.fromTo, o.from_name + " → " + o.to_name],
          [messages.orderState, messages.state[o.state] || o.state],
          [messages.inTransit, numbers.format(o.in_transit), "num"],
        ], [links.order && links.order + encodeURIComponent(o.code), messages.openOrder]));
      points = points.concat(o.path);
      if (data.filters.incident) focus = focus.concat(o.path);
    });
    (data.routes || []).forEach(function (r) {  // vehicle routes (transport.routes_view), drawn over the lines so that a click finds them
      if (!r.points || r.points.length < 2) return;
      L.polyline(r.points, { className: "map-route", color: "#5b2a86", weight: 3 }).addTo(map)
        .bindPopup(popup(messages.route, r.plate, [
          [messages.orderState, messages.routeState[r.state] || r.state],
          [messages.routeStops, r.stops.join("、")],
        ]));
      points = points.concat(r.points);
      if (data.filters.incident) focus = focus.concat(r.points);
    });
    data.shelters.forEach(function (s) {
      L.circleMarker(s.at, { className: "map-shelter", radius: 5, color: "#0b5cad", weight: 2, fillColor: "#ffffff", fillOpacity: 1 })
        .addTo(map).bindPopup(popup(messages.shelter, s.code, [
          [messages.shelter, s.name],
          [messages.capacity, s.capacity === null ? "—" : numbers.format(s.capacity), "num"],
        ].concat(s.affected ? [[messages.affected, "✓"]] : []),
        [links.shelter && links.shelter + encodeURIComponent(s.code), messages.openShelter]));
      points.push(s.at);
    });
    data.depots.forEach(function (d) {
      var marker = L.circleMarker(d.at, {
        className: "map-depot tier-" + d.tier, radius: d.radius, color: TIER_STROKE[d.tier] || "#3b4a5a",
        weight: d.tier === "county" ? 3 : (d.tier === "town" ? 1.5 : 1), fillColor: BAND_COLOURS[d.band],
        fillOpacity: d.tier === "village" ? 0.55 : 0.85,
      }).addTo(map).bindPopup(popup(d.name, d.code, [
        [messages.tierLabel, messages.tier[d.tier] || d.tier],
        [messages.units, numbers.format(d.units), "num"],
        [messages.sufficiency, d.coverage === null ? messages.noTarget : percent(d.coverage), "num"],
      ], [links.depot + encodeURIComponent(d.code), messages.openDepot]));
      if (d.tier !== "village") marker.bindTooltip.apply(marker, label(d.name, "tier-" + d.tier));
      points.push(d.at);
    });
    data.sites.forEach(function (s) {
      var marker = L.circleMarker(s.at, {
        className: "map-site", radius: 8, color: "#ffffff", weight: 3, fillColor: BAND_COLOURS[s.band], fillOpacity: 1,
      }).addTo(map).bindPopup(popup(s.name, s.code, [
        [messages.site, "#" + s.incident],
        [messages.people, numbers.format(s.people), "num"],
        [messages.fill, s.fill_rate === null ? messages.noPlan : percent(s.fill_rate), "num"],
      ], [links.incident && links.incident + s.incident + "?site=" + encodeURIComponent(s.code) + "#sites", messages.openSite]));
      marker.bindTooltip.apply(marker, label(s.name, "site"));
      points.push(s.at);
      focus.push(s.at);
    });

    if (points.length) {
      map.fitBounds(L.latLngBounds(data.filters.incident && focus.length ? focus : points), { padding: [24, 24], maxZoom: 13 });
      statusLine.hidden = true;
    } else {
      map.setView([30, 105], 5);
      statusLine.textContent = messages.empty;
    }
    function zoomClass() { el.classList.toggle("zoomed-out", map.getZoom() < 10); }
    map.on("zoomend", zoomClass);
    zoomClass();

    var u = data.unplaced, notes = [];
    if (u.depots || u.sites || u.lines || u.orders) {
      notes.push(messages.unplaced.replace("{depots}", numbers.format(u.depots)).replace("{sites}", numbers.format(u.sites))
        .replace("{lines}", numbers.format(u.lines)).replace("{orders}", numbers.format(u.orders)));
    }
    if (data.incidents_more) notes.push(messages.incidentsMore);
    var unplaced = document.getElementById("map-unplaced");
    if (unplaced && notes.length) { unplaced.textContent = notes.join(" "); unplaced.hidden = false; }
    el.setAttribute("data-state", "ready");
  }

  fetch(el.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then(draw)
    .catch(fail);
})();
