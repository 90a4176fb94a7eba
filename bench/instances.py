"""Seeded allocation problems (``allocation-problem/1`` documents) shaped like real counties.

``generate(scale, seed=...)`` returns one document (a dict ready for ``dispatch.problem.parse_problem``)
at one of three scales:

=========  ========  ===========================  =====  ==========  ========================
scale      counties  depots                       sites  lots        generated in (this box)
=========  ========  ===========================  =====  ==========  ========================
county     1         1 + 20 + 305 = 326           60     20,510      0.1 s
city       6         2,116                        200    124,440     0.3 s
province   140       48,699                       1,000  3,017,584   7 s, 1 GB resident
=========  ========  ===========================  =====  ==========  ========================

How a county is built (every county alike, sizes jittered in larger scales only):

* Geography: counties sit on a grid about 40 km apart near 29° N, 105° E; each has a county depot at
  its seat, 20 towns (a town station at each seat) and 305 villages (a village point each) scattered
  within about 5 km of their town's seat (with several counties: 18-24 towns and 280-370 villages).
* The disaster: one or more epicentres; the villages nearest them (with jitter) are the affected sites,
  plus a shelter (避难场所, a site that is no depot) at the seat of the hardest-hit towns.
* Routes follow the tier rules at response level I: a county depot reaches every site in its county
  (and, with more than one county, the sites of the counties next to it on the grid: mutual aid
  between counties); a town station reaches the sites of its own town and of its neighbouring towns
  (mutual aid between towns: each town's three nearest, taken both ways); a village point at an
  affected village reaches that village in 0 minutes. Minutes are great-circle km × a detour factor
  drawn per route (1.2-1.9, hill roads) ÷ the tier's speed (county 50 km/h, town 35 km/h) plus
  handling (30 min county, 20 min town), rounded up - the formula of ``dispatch.travel``.
* Items: the 45 of ``data/catalog.csv``. Demand comes from per-capita norms (``NORMS`` below, the
  defaults of ``data/norms-default.csv`` plus common practice): a 12 m² tent per household of 3.5, a
  quilt and a folding bed per person, 3 L of water per person per day for 3 days (0.23 case), and so
  on; per person, per household or per site; an affected site asks for the core items and for
  each other normed item with a probability. Displaced people are 30-90 % of a village's people.
* Stock: each county holds of every item ``r × (what the norms ask for 50,000 displaced people)``, r
  drawn per item between 0.45 and 4 (log-uniform, jittered per county), so some items are in
  shortage and some plentiful: 45 % at the county depot, 35 % over the town stations that hold the
  item, 20 % over the village points that hold it, each holding cut into lots. Items with a shelf
  life (water, food, first-aid kits, sandbags...) get expiries spread from expired (5 %) through the
  next few days (unusable with ``min_shelf_days`` 7) to the whole shelf life ahead, years for some;
  durable items have none. Floors: a fifth of county holdings keep 5-20 %, a quarter of town
  holdings 10-40 %, one village holding in twenty 20-120 % (more than it holds, at times).

The stock rows are generated as numpy columns and turned into dicts in one pass, so the province's
3 million rows take seconds, not minutes. Lot codes are handed out across depots in random order and
the rows listed by code, as the system's problem builder lists them (``ORDER BY code``), so a parser
cannot count on finding a depot's lots together. Only ``numpy.random.default_rng(seed)`` draws
are used, in a fixed order: the same scale, seed and numpy version give the same document.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

CATALOG = Path(__file__).resolve().parent.parent / "data" / "catalog.csv"
NOW = datetime.fromisoformat("2026-07-01T08:00:00+08:00")
MIN_SHELF_DAYS = 7
FAIR_SHARE_STEPS = 10
DAYS = 3  # per-day norms are asked for this many days
HOUSEHOLD = 3.5  # people per household
RESERVE_PEOPLE = 50_000  # a county's reserve is sized against this many displaced people...
RESERVE_SITES = 60  # ...at this many sites


@dataclass(frozen=True)
class Scale:
    name: str
    counties: int  # laid out on a grid of `columns` columns
    columns: int
    sites: int  # affected sites in all (villages and shelters)
    epicentres: int
    towns: int = 20  # per county (jittered when counties > 1)
    villages: int = 305  # per county (jittered when counties > 1)


SCALES = {
    "county": Scale("county", counties=1, columns=1, sites=60, epicentres=1),
    "city": Scale("city", counties=6, columns=3, sites=200, epicentres=2),
    "province": Scale("province", counties=140, columns=12, sites=1000, epicentres=5),
}

# Norms: item -> (basis, quantity, per_day, probability that an affected site asks for it).
NORMS = {
    "LV-0101": ("household", 1, False, 1.0),  # 12 m² tent per household (3.5 m² per person)
    "LV-0102": ("household", 0.3, False, 0.3),  # winter tents, in the hills
    "LV-0201": ("person", 1, False, 1.0),  # a quilt per person
    "LV-0202": ("person", 1, False, 0.5),  # a blanket per person
    "LV-0203": ("person", 0.2, False, 0.5),
    "LV-0301": ("person", 1, False, 1.0),  # a folding bed per person
    "LV-0401": ("person", 0.5, False, 0.4),
    "LV-0501": ("household", 1, False, 1.0),
    "LV-0601": ("person", 0.02, False, 0.5),
    "LV-0701": ("person", 0.05, False, 1.0),  # a toilet per 20 people
    "LV-0801": ("person", 0.01, False, 0.8),
    "LV-0901": ("household", 1, False, 0.8),
    "LV-1001": ("person", 0.23, True, 1.0),  # 3 L water per person per day, 13.2 L a case
    "LV-1101": ("person", 0.125, True, 1.0),  # 3 servings per person per day, 24 a case
    "LV-1102": ("person", 0.05, True, 0.6),
    "LV-1201": ("person", 0.02, False, 0.4),
    "LV-1301": ("person", 0.02, False, 1.0),  # a first-aid kit per 50 people
    "FL-0101": ("site", 2000, False, 0.5),  # sandbags
    "FL-0301": ("person", 0.1, False, 0.9),
    "FL-0401": ("person", 0.02, False, 0.6),
    "FL-0501": ("site", 1, False, 0.5),
    "FL-0801": ("site", 1, False, 0.9),  # a drainage pump per site
    "FL-0901": ("site", 1, False, 1.0),  # a generator per site
    "FL-1001": ("site", 1, False, 0.3),
    "EQ-0301": ("person", 0.005, False, 0.7),
    "CM-0101": ("site", 1, False, 1.0),  # a satellite phone per site
    "CM-0401": ("site", 4, False, 0.7),
    "PP-0101": ("person", 0.02, False, 0.6),
    "PP-0201": ("household", 1, False, 0.8),
    "PP-0301": ("person", 0.05, False, 0.7),
}
UNNORMED_PER_SITE = 2  # reserve of items no norm asks for: 2 per reserve site

ORIGIN = (29.15, 105.38)  # first county seat
SPACING_KM = 40.0
KM_PER_DEG_LAT = 111.2


def _read_catalog() -> list[dict]:
    with open(CATALOG, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _units_per_person(basis: str, quantity: float, per_day: bool) -> float:
    per_person = {"person": 1.0, "household": 1 / HOUSEHOLD, "site": 0.0}[basis]
    return per_person * quantity * (DAYS if per_day else 1)


def _need(basis: str, quantity: float, per_day: bool, people: np.ndarray) -> np.ndarray:
    """Units a site with ``people`` displaced asks for, rounded up (as ``dispatch.norms.gross_need``)."""
    if basis == "site":
        return np.full(len(people), math.ceil(quantity), dtype=np.int64)
    return np.ceil(np.round(people * _units_per_person(basis, quantity, per_day), 6)).astype(np.int64)


def _km(lat1, lon1, lat2, lon2):
    """Great-circle distance, vectorised (same formula as dispatch.travel.great_circle_km)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _minutes(km, detour, speed_kmh: float, handling: int) -> np.ndarray:
    return (np.ceil(np.round(km * detour / speed_kmh * 60, 6)) + handling).astype(np.int64)


def _split(total: int, parts: int, rng: np.random.Generator, spread: float = 1.0) -> np.ndarray:
    """``total`` cut into ``parts`` positive-ish whole pieces with random weights (sum may differ by rounding)."""
    weights = rng.gamma(spread, size=parts)
    weights /= weights.sum()
    return np.maximum(1, np.floor(weights * total)).astype(np.int64)


def generate(scale: str | Scale, seed: int = 20260701) -> dict:
    """One allocation problem document at ``scale`` ("county", "city", "province")."""
    sc = SCALES[scale] if isinstance(scale, str) else scale
    rng = np.random.default_rng(seed)
    catalog = _read_catalog()
    item_ids = [row["code"] for row in catalog]
    n_items = len(item_ids)
    shelf_life = np.array([int(row["shelf_life_days"] or 0) for row in catalog])
    living = np.array([row["category"] == "living" or row["code"].startswith("PP-") for row in catalog])

    # --- geography: counties, towns, villages -------------------------------------------------
    deg_lat = SPACING_KM / KM_PER_DEG_LAT
    deg_lon = SPACING_KM / (KM_PER_DEG_LAT * math.cos(math.radians(ORIGIN[0])))
    jitter = sc.counties > 1
    counties = []  # per county: dict of arrays
    for c in range(sc.counties):
        row, col = divmod(c, sc.columns)
        seat = (ORIGIN[0] + row * deg_lat + rng.uniform(-0.1, 0.1) * deg_lat,
                ORIGIN[1] + col * deg_lon + rng.uniform(-0.1, 0.1) * deg_lon)
        n_towns = int(rng.integers(18, 25)) if jitter else sc.towns
        n_villages = int(rng.integers(280, 371)) if jitter else sc.villages
        # town seats: a jittered grid over the county's square
        side = math.ceil(math.sqrt(n_towns))
        cells = rng.permutation(side * side)[:n_towns]
        t_lat = seat[0] + ((cells // side + rng.uniform(0.1, 0.9, n_towns)) / side - 0.5) * deg_lat
        t_lon = seat[1] + ((cells % side + rng.uniform(0.1, 0.9, n_towns)) / side - 0.5) * deg_lon
        # villages per town: at least 6 each, the rest at random
        per_town = 6 + np.bincount(rng.integers(0, n_towns, n_villages - 6 * n_towns), minlength=n_towns)
        v_town = np.repeat(np.arange(n_towns), per_town)
        radius = rng.uniform(0.3, 5.0, n_villages) / KM_PER_DEG_LAT
        angle = rng.uniform(0, 2 * math.pi, n_villages)
        v_lat = t_lat[v_town] + radius * np.sin(angle)
        v_lon = t_lon[v_town] + radius * np.cos(angle) / math.cos(math.radians(seat[0]))
        v_people = np.clip(rng.lognormal(math.log(900), 0.55, n_villages), 150, 6000).astype(np.int64)
        # neighbouring towns: each town's three nearest, both ways
        d = _km(t_lat[:, None], t_lon[:, None], t_lat[None, :], t_lon[None, :])
        np.fill_diagonal(d, np.inf)
        near = np.zeros((n_towns, n_towns), dtype=bool)
        nearest = np.argsort(d, axis=1)[:, :3]
        near[np.repeat(np.arange(n_towns), 3), nearest.ravel()] = True
        near |= near.T
        counties.append({"row": row, "col": col, "seat": seat, "t_lat": t_lat, "t_lon": t_lon, "near": near,
                         "v_town": v_town, "v_lat": v_lat, "v_lon": v_lon, "v_people": v_people,
                         "v_start": 0})
    start = 0
    for county in counties:
        county["v_start"] = start
        start += len(county["v_town"])
    all_lat = np.concatenate([c["v_lat"] for c in counties])
    all_lon = np.concatenate([c["v_lon"] for c in counties])
    v_county = np.concatenate([np.full(len(c["v_town"]), k) for k, c in enumerate(counties)])

    # --- the disaster: epicentres, affected villages, shelters --------------------------------
    middle = [k for k, c in enumerate(counties)
              if 0 < c["row"] < (sc.counties - 1) // sc.columns and 0 < c["col"] < sc.columns - 1] or list(
        range(sc.counties))
    epi_counties = rng.choice(middle, size=sc.epicentres, replace=len(middle) < sc.epicentres)
    epicentres = [int(counties[k]["v_start"] + rng.integers(len(counties[k]["v_town"]))) for k in epi_counties]
    dist = np.min(np.stack([_km(all_lat, all_lon, all_lat[e], all_lon[e]) for e in epicentres]), axis=0)
    n_shelters = round(0.08 * sc.sites)
    score = dist * rng.lognormal(0, 0.35, len(dist))
    affected = np.sort(np.argsort(score, kind="stable")[: sc.sites - n_shelters])
    # shelters at the seats of the towns with most affected villages
    hit = {}
    for v in affected.tolist():
        k = int(v_county[v])
        t = int(counties[k]["v_town"][v - counties[k]["v_start"]])
        hit[k, t] = hit.get((k, t), 0) + 1
    shelter_towns = sorted(hit, key=lambda kt: (-hit[kt], kt))[:n_shelters]

    # --- sites, with their county, town, position and displaced people ------------------------
    site_rows = []  # (id, county, town, lat, lon, displaced, village index or -1)
    displaced_v = (rng.uniform(0.3, 0.9, len(affected)) * np.concatenate([c["v_people"] for c in counties])[affected])
    for v, people in zip(affected.tolist(), displaced_v.tolist()):
        k = int(v_county[v])
        local = v - counties[k]["v_start"]
        t = int(counties[k]["v_town"][local])
        site_rows.append((f"V{k:03d}{t:02d}{local:03d}", k, t, float(all_lat[v]), float(all_lon[v]),
                          max(1, int(people)), v))
    shelter_people = rng.integers(800, 3001, len(shelter_towns))
    for (k, t), people in zip(shelter_towns, shelter_people.tolist()):
        lat = float(counties[k]["t_lat"][t]) + 0.003
        lon = float(counties[k]["t_lon"][t]) + 0.003
        site_rows.append((f"S{k:03d}{t:02d}", k, t, lat, lon, int(people), -1))
    site_rows.sort()
    s_ids = [r[0] for r in site_rows]
    s_county = np.array([r[1] for r in site_rows])
    s_town = np.array([r[2] for r in site_rows])
    s_lat = np.array([r[3] for r in site_rows])
    s_lon = np.array([r[4] for r in site_rows])
    s_people = np.array([r[5] for r in site_rows], dtype=np.float64)
    n_sites = len(site_rows)

    # --- demand from the norms ---------------------------------------------------------------
    demand = []
    for i, item in enumerate(item_ids):
        if item not in NORMS:
            continue
        basis, quantity, per_day, probability = NORMS[item]
        need = _need(basis, quantity, per_day, s_people)
        asks = rng.random(n_sites) < probability
        demand += [{"site": s_ids[s], "item": item, "quantity": int(need[s])}
                   for s in np.flatnonzero(asks & (need > 0)).tolist()]
    demand.sort(key=lambda r: (r["site"], r["item"]))

    # --- routes ------------------------------------------------------------------------------
    routes = []
    county_ids = [f"C{k:03d}" for k in range(sc.counties)]
    for k, county in enumerate(counties):
        reach = np.flatnonzero(
            (np.abs(np.array([counties[j]["row"] for j in s_county]) - county["row"])
             + np.abs(np.array([counties[j]["col"] for j in s_county]) - county["col"])) <= 1)
        if len(reach) == 0:
            continue
        km = _km(county["seat"][0], county["seat"][1], s_lat[reach], s_lon[reach])
        minutes = _minutes(km, rng.uniform(1.2, 1.9, len(reach)), 50.0, 30)
        routes += [{"from": county_ids[k], "to": s_ids[s], "minutes": int(m)}
                   for s, m in zip(reach.tolist(), minutes.tolist())]
        mine = np.flatnonzero(s_county == k)
        for t in range(len(county["t_lat"])):
            served = mine[county["near"][t, s_town[mine]] | (s_town[mine] == t)]
            if len(served) == 0:
                continue
            km = _km(county["t_lat"][t], county["t_lon"][t], s_lat[served], s_lon[served])
            minutes = _minutes(km, rng.uniform(1.2, 1.9, len(served)), 35.0, 20)
            routes += [{"from": f"T{k:03d}{t:02d}", "to": s_ids[s], "minutes": int(m)}
                       for s, m in zip(served.tolist(), minutes.tolist())]
    for s_id, *_, v in site_rows:
        if v >= 0:
            routes.append({"from": "P" + s_id[1:], "to": s_id, "minutes": 0})

    # --- stock: holdings per (depot, item), cut into lots --------------------------------------
    reserve_people = np.full(RESERVE_SITES, RESERVE_PEOPLE / RESERVE_SITES)
    reserve = np.zeros(n_items)
    for i, item in enumerate(item_ids):
        if item in NORMS:
            basis, quantity, per_day, probability = NORMS[item]
            reserve[i] = _need(basis, quantity, per_day, reserve_people).sum() * probability
        else:
            reserve[i] = UNNORMED_PER_SITE * RESERVE_SITES
    ratio = np.exp(rng.uniform(math.log(0.45), math.log(4.0), n_items))
    depot_rows = []
    columns = {"depot": [], "item": [], "lots": [], "quantity": []}  # one entry per (depot, item) holding
    floors = []
    expiry_cache = {}

    def hold(depot_ix: int, items: np.ndarray, totals: np.ndarray, mean_lots: float, floor_p: float,
             floor_lo: float, floor_hi: float):
        items = items[totals > 0]
        totals = totals[totals > 0]
        n = len(items)
        columns["depot"].append(np.full(n, depot_ix))
        columns["item"].append(items)
        columns["lots"].append(1 + rng.poisson(mean_lots - 1, n))
        columns["quantity"].append(totals)
        has_floor = rng.random(n) < floor_p
        share = rng.uniform(floor_lo, floor_hi, n)
        for i, total, s in zip(items[has_floor].tolist(), totals[has_floor].tolist(), share[has_floor].tolist()):
            floors.append((depot_ix, i, max(1, round(total * s))))

    for k, county in enumerate(counties):
        held = np.round(reserve * ratio * rng.lognormal(0, 0.25, n_items)).astype(np.int64)
        # county depot: 45 %
        depot_rows.append({"id": county_ids[k], "tier": "county", "parent": None, "name": f"县级储备库 {k:03d}",
                           "lat": round(county["seat"][0], 5), "lon": round(county["seat"][1], 5)})
        hold(len(depot_rows) - 1, np.arange(n_items), np.round(held * 0.45).astype(np.int64), 14.0, 0.2, 0.05, 0.2)
        # town stations: 35 % over the towns that hold the item (each holds an item with p 0.75)
        n_towns = len(county["t_lat"])
        t_holds = rng.random((n_towns, n_items)) < 0.75
        t_weight = rng.gamma(2.0, size=(n_towns, n_items)) * t_holds
        t_weight /= np.maximum(t_weight.sum(axis=0), 1e-9)
        t_total = np.floor(t_weight * np.round(held * 0.35)).astype(np.int64)
        for t in range(n_towns):
            depot_rows.append({"id": f"T{k:03d}{t:02d}", "tier": "town", "parent": county_ids[k],
                               "name": f"乡镇储备站 {k:03d}-{t:02d}", "lat": round(float(county["t_lat"][t]), 5),
                               "lon": round(float(county["t_lon"][t]), 5)})
            hold(len(depot_rows) - 1, np.arange(n_items), t_total[t], 10.0, 0.25, 0.1, 0.4)
        # village points: 20 % over the villages that hold it (living items p 0.6, others 0.15)
        n_vill = len(county["v_town"])
        v_holds = rng.random((n_vill, n_items)) < np.where(living, 0.6, 0.15)
        v_weight = rng.gamma(1.5, size=(n_vill, n_items)) * v_holds
        v_weight /= np.maximum(v_weight.sum(axis=0), 1e-9)
        v_total = np.floor(v_weight * np.round(held * 0.20)).astype(np.int64)
        for local in range(n_vill):
            t = int(county["v_town"][local])
            depot_rows.append({"id": f"P{k:03d}{t:02d}{local:03d}", "tier": "village",
                               "parent": f"T{k:03d}{t:02d}", "name": f"村储备点 {k:03d}-{local:03d}",
                               "lat": round(float(county["v_lat"][local]), 5),
                               "lon": round(float(county["v_lon"][local]), 5)})
            hold(len(depot_rows) - 1, np.arange(n_items), v_total[local], 7.0, 0.05, 0.2, 1.2)

    hold_depot = np.concatenate(columns["depot"])
    hold_item = np.concatenate(columns["item"])
    hold_lots = np.minimum(np.concatenate(columns["lots"]), np.concatenate(columns["quantity"]))
    hold_qty = np.concatenate(columns["quantity"])
    n_lots = int(hold_lots.sum())
    # cut each holding into its lots: random weights, whole units, every lot at least 1
    lot_holding = np.repeat(np.arange(len(hold_lots)), hold_lots)
    weight = rng.gamma(1.5, size=n_lots)
    group_sum = np.bincount(lot_holding, weights=weight, minlength=len(hold_lots))
    spare = hold_qty - hold_lots  # every lot gets 1, the rest by weight
    lot_qty = 1 + np.floor(weight / group_sum[lot_holding] * spare[lot_holding]).astype(np.int64)
    # expiries: by the item's shelf life; durables have none
    life = shelf_life[hold_item[lot_holding]]
    u = rng.random(n_lots)
    remaining = np.where(u < 0.05, -rng.integers(1, 181, n_lots),  # expired, not yet written off
                         np.floor(rng.random(n_lots) * np.maximum(life, 1)).astype(np.int64))
    today = NOW.date()

    def iso(days: int) -> str:
        text = expiry_cache.get(days)
        if text is None:
            text = expiry_cache[days] = (today + timedelta(days=days)).isoformat()
        return text

    # lot codes are handed out at receipt, across depots: number the lots in a random order and list
    # them by code, as the system's problem builder does (ORDER BY code)
    by_code = rng.permutation(n_lots)
    has_expiry = life[by_code] > 0
    expires = [iso(d) if has else None for d, has in zip(remaining[by_code].tolist(), has_expiry.tolist())]
    depot_of = [depot_rows[d]["id"] for d in hold_depot[lot_holding[by_code]].tolist()]
    item_of = [item_ids[i] for i in hold_item[lot_holding[by_code]].tolist()]
    stock = [{"depot": d, "item": i, "lot": f"L{n:08d}", "quantity": q, "expires": e}
             for n, (d, i, q, e) in enumerate(zip(depot_of, item_of, lot_qty[by_code].tolist(), expires))]
    del depot_of, item_of, expires

    items = [{"id": row["code"], "name": row["name_zh"], "unit": row["unit"], "priority": int(row["priority"]),
              "weight_kg": float(row["weight_kg"]), "volume_m3": float(row["volume_m3"])} for row in catalog]
    return {
        "format": "allocation-problem/1",
        "now": NOW.isoformat(),
        "min_shelf_days": MIN_SHELF_DAYS,
        "fair_share_steps": FAIR_SHARE_STEPS,
        "instance": {"scale": sc.name, "seed": seed, "generator": "bench/instances.py"},
        "depots": depot_rows,
        "items": items,
        "stock": stock,
        "floors": [{"depot": depot_rows[d]["id"], "item": item_ids[i], "quantity": q} for d, i, q in floors],
        "sites": [{"id": r[0], "name": ("避难场所 " if r[0][0] == "S" else "村 ") + r[0], "people": r[5],
                   "lat": round(r[3], 5), "lon": round(r[4], 5)} for r in site_rows],
        "demand": demand,
        "routes": routes,
    }


def sizes(doc: dict) -> dict[str, int]:
    """Row counts of a problem document, for reports."""
    return {key: len(doc[key]) for key in ("depots", "sites", "items", "stock", "floors", "routes", "demand")}


if __name__ == "__main__":
    import sys
    import time

    for name in sys.argv[1:] or ["county"]:
        started = time.perf_counter()
        document = generate(name)
        print(name, sizes(document), f"{time.perf_counter() - started:.1f} s")
