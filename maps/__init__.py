"""One map of everything (应急资源一张图): depots by tier (size by stock, colour by reserve sufficiency),
shelters, incident sites (colour by the plan's fill rate), the plan's allocation lines, orders in transit
and — once vehicle routes exist — routes.

* ``figures``: the map's JSON built from plain values (no Flask, no database);
* ``service``: gathers those values through the other packages' read services, scoped to who asks;
* ``tiles``: the administrator's tile server setting (URL template and attribution), checked;
* ``vendor``: Leaflet's files from npm, served by the app itself (no CDN, works without the internet);
* ``views``: /map, /incidents/<id>/map, /map/data.json and /admin/map-tiles; the page script is
  static/js/map.js.
"""
