"""The map's JSON from plain values: no Flask, no database. ``service.map_data`` gathers the values (scoped to
who asks) and calls ``build``; the page script (static/js/map.js) draws what it answers.

Every layer is a list of plain dicts with coordinates as ``[lat, lon]``; what has no coordinates is not drawn
but counted in ``unplaced`` so the page can say so. Colours are bands, not colours: ``full`` / ``high`` /
``mid`` / ``low`` (as the incident page's fill rates, ``dispatch.incident_view.fill_band``) and ``none``
where there is nothing to measure."""
import math

from dispatch.incident_view import fill_band

MIN_RADIUS = 4  # pixels of a depot's circle with nothing on hand
MAX_RADIUS = {"county": 18, "town": 12, "village": 7}  # …with 10^5 units or more: hundreds of villages stay small


def radius(units: int, tier: str = "county") -> int:
    """A depot's circle grows with the log of its units, so a county depot does not hide its towns."""
    top = MAX_RADIUS.get(tier, MAX_RADIUS["village"])
    if units <= 0:
        return MIN_RADIUS
    return min(top, MIN_RADIUS + round(math.log10(units + 1) * (top - MIN_RADIUS) / 5))


def band(rate: float | None) -> str:
    return "none" if rate is None else fill_band(rate)


def _point(lat, lon) -> list[float] | None:
    return [lat, lon] if lat is not None and lon is not None else None


def build(*, depots: list[dict], units: dict[str, int], coverage: dict[str, float | None], shelters: list[dict],
          incidents: list[dict], orders: list[dict], routes: list[dict], places: dict[str, list[float] | None],
          tier: str | None = None, item: str | None = None, incident: int | None = None) -> dict:
    """The map's layers.

    ``depots``: code, name, tier, lat, lon (those the asker may read); ``units``: units on hand per depot code
    (of ``item`` when filtered); ``coverage``: reserve sufficiency per depot code (stock ÷ target, capped
    rollup as the sufficiency report gives it), absent where the depot has no target; ``shelters``: code,
    name, lat, lon, capacity; ``incidents``: id, title, level, ``sites`` (site, name, lat, lon, people,
    ``fill_rate`` — the plan's lowest fill of one item at the site, None before a plan) and ``lines``
    (from, to, item, quantity: the latest plan's lines); ``orders``: order summaries in transit (code, state,
    incident, source, destination, names, ``in_transit`` units); ``routes``: vehicle routes (plate, points,
    stops, state) — empty until the transport package gives them; ``places``: code → [lat, lon] of every depot
    and shelter an order or line may name (None: no coordinates)."""
    shown_depots, unplaced = [], {"depots": 0, "sites": 0, "lines": 0, "orders": 0}
    for d in depots:
        if tier is not None and d["tier"] != tier:
            continue
        at = _point(d.get("lat"), d.get("lon"))
        if at is None:
            unplaced["depots"] += 1
            continue
        rate = coverage.get(d["code"])
        shown_depots.append({"code": d["code"], "name": d["name"], "tier": d["tier"], "at": at,
                             "units": units.get(d["code"], 0), "radius": radius(units.get(d["code"], 0), d["tier"]),
                             "coverage": rate, "band": band(rate)})
    sites, lines = [], []
    for inc in incidents:
        for s in inc["sites"]:
            at = _point(s.get("lat"), s.get("lon"))
            if at is None:
                unplaced["sites"] += 1
                continue
            sites.append({"incident": inc["id"], "code": s["site"], "name": s.get("name") or s["site"], "at": at,
                          "people": s["people"], "fill_rate": s.get("fill_rate"), "band": band(s.get("fill_rate"))})
        joined: dict[tuple[str, str], dict] = {}
        for ln in inc.get("lines", []):
            if item is not None and ln["item"] != item:
                continue
            line = joined.setdefault((ln["from"], ln["to"]), {"incident": inc["id"], "from": ln["from"],
                                                               "to": ln["to"], "items": {}})
            line["items"][ln["item"]] = line["items"].get(ln["item"], 0) + ln["quantity"]
        for (source, target), line in joined.items():
            ends = places.get(source), places.get(target)
            if None in ends:
                unplaced["lines"] += 1
                continue
            lines.append({**line, "path": list(ends)})
    shown_orders = []
    for o in orders:
        ends = places.get(o["source"]), places.get(o["destination"])
        if None in ends:
            unplaced["orders"] += 1
            continue
        shown_orders.append({"code": o["code"], "state": o["state"], "incident": o["incident"],
                             "from": o["source"], "from_name": o["source_name"], "to": o["destination"],
                             "to_name": o["destination_name"], "in_transit": o["in_transit"], "path": list(ends)})
    incident_shelters = {s["code"] for s in sites}
    return {
        "filters": {"tier": tier, "item": item, "incident": incident},
        "depots": shown_depots,
        "shelters": [{"code": s["code"], "name": s["name"], "at": [s["lat"], s["lon"]], "capacity": s.get("capacity"),
                      "affected": s["code"] in incident_shelters} for s in shelters],
        "incidents": [{"id": i["id"], "title": i["title"], "level": i["level"]} for i in incidents],
        "sites": sites,
        "lines": lines,
        "orders": shown_orders,
        # Vehicle routes (transport.routes_view.routes_for_map): plate, state, points, labels, stops.
        "routes": routes,
        "unplaced": unplaced,
    }
