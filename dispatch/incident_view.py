"""An incident read as a dispatcher reads it, at any size: a summary per item (each in its own unit, never
a sum across items), the affected sites with their fill, the unmet lines, what leaves each depot, the
plan's lines; each list filtered and cut into pages. Plain Python over the dicts the services give
(``incidents.get``, ``incidents.needs_for``, ``planning.latest_plan`` and its report), so the incident
page and its downloads (``audit.incident_export``) read the same figures.
"""
import math
from dataclasses import dataclass, field

from common.errors import InvalidInput

PAGE_SIZE = 25  # rows of each list on one page
MAX_TEXT = 100  # characters of a text filter
PAGE_PARAMS = {"sites": "sites_page", "unmet": "unmet_page", "depots": "depots_page", "lines": "lines_page",
               "compare": "compare_page"}


class BadQuery(InvalidInput):
    """A query parameter of the incident page that cannot be read: 400, naming the parameter."""

    status = 400
    code = "bad_query"


def fill_band(rate: float) -> str:
    """A fill rate's band, as the incident page and the map colour it."""
    if rate >= 1:
        return "full"
    return "high" if rate >= 0.8 else ("mid" if rate >= 0.5 else "low")


# ---------------------------------------------------------------- filters and pages


@dataclass(frozen=True)
class Filters:
    site: str = ""  # part of a site's code or name
    depot: str = ""  # part of a depot's code or name
    item: str = ""  # an item code among the incident's needs
    unmet: bool = False  # only what is not met in full
    pages: dict = field(default_factory=dict)  # list → the page asked for (1 when not asked)

    @property
    def active(self) -> bool:
        return bool(self.site or self.depot or self.item or self.unmet)


def read_filters(args, item_codes) -> Filters:
    """The filters and pages of the query string; a value that cannot be read is a 400 naming it. An item
    code must be one the incident needs; a page past the last shows the last (``paginate``)."""
    texts = {}
    for name in ("site", "depot"):
        value = (args.get(name) or "").strip()
        if len(value) > MAX_TEXT:
            raise BadQuery(f"{name} is at most {MAX_TEXT} characters", field=name,
                           message_code="incident_filter_too_long", params={"field": name, "max": MAX_TEXT})
        texts[name] = value
    item = (args.get("item") or "").strip()
    if item and item not in item_codes:
        raise BadQuery(f"the incident needs no item {item!r}", field="item", message_code="incident_filter_unknown_item",
                       params={"code": item[:MAX_TEXT]})
    unmet = (args.get("unmet") or "").strip()
    if unmet not in ("", "0", "1"):
        raise BadQuery(f"unmet is 1 (only what is not met in full) or 0, got {unmet!r}", field="unmet",
                       message_code="incident_filter_bad_unmet", params={"value": unmet[:MAX_TEXT]})
    pages = {}
    for section, name in PAGE_PARAMS.items():
        raw = (args.get(name) or "").strip()
        if raw and (not raw.isdigit() or len(raw) > 9 or int(raw) < 1):
            raise BadQuery(f"{name} must be a whole number of 1 or more, got {raw!r}", field=name,
                           message_code="incident_filter_bad_page", params={"field": name, "value": raw[:MAX_TEXT]})
        pages[section] = int(raw) if raw else 1
    return Filters(site=texts["site"], depot=texts["depot"], item=item, unmet=unmet == "1", pages=pages)


@dataclass
class Page:
    rows: list
    number: int  # 1-based, after clamping
    pages: int
    total: int
    asked: int  # the page asked for (past the last: the last is shown)
    size: int = PAGE_SIZE

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.number * self.size, self.total)

    @property
    def clamped(self) -> bool:
        return self.asked != self.number


def paginate(rows: list, number: int, size: int = PAGE_SIZE) -> Page:
    pages = max(1, math.ceil(len(rows) / size))
    shown = min(max(1, number), pages)
    return Page(rows[(shown - 1) * size:shown * size], shown, pages, len(rows), number, size)


def _matches(text: str, *values) -> bool:
    text = text.casefold()
    return not text or any(text in (v or "").casefold() for v in values)


# ---------------------------------------------------------------- the figures


def item_order(need_lines: list[dict], fill: list[dict]) -> list[str]:
    """The items in the order the norms list them at the first site, then any the plan adds."""
    seen = {}
    for line in need_lines:
        seen.setdefault(line["item"], None)
    for f in fill:
        seen.setdefault(f["item"], None)
    return list(seen)


def item_summary(need_lines: list[dict], fill: list[dict] | None, items: dict) -> list[dict]:
    """Per item, in its own unit: what the norms ask for, what the sites' own points hold, what is to be
    sent; and from the plan what it delivers, what stays unmet, the fill rate and why it falls short."""
    rows: dict[str, dict] = {}
    for code in item_order(need_lines, fill or []):
        it = items.get(code, {})
        rows[code] = {"item": code, "name_zh": it.get("name_zh", code), "name_en": it.get("name_en"),
                      "unit": it.get("unit"), "gross": 0, "own_stock": 0, "net": 0, "sites": 0, "demand": 0,
                      "delivered": 0, "unmet": 0, "unmet_sites": 0, "fill_rate": None, "reasons": [],
                      "expired_elsewhere": 0}
    for line in need_lines:
        row = rows[line["item"]]
        row["unit"] = row["unit"] or line["unit"]
        row["gross"] += line["gross"]
        row["own_stock"] += line["own_stock"]
        row["net"] += line["net"]
        row["sites"] += 1
    if fill is not None:
        reasons: dict[str, dict[str, dict]] = {}
        for f in fill:
            row = rows[f["item"]]
            row["demand"] += f["demand"]
            row["delivered"] += f["delivered"]
            if f.get("unmet"):
                row["unmet"] += f["unmet"]
                row["unmet_sites"] += 1
                row["expired_elsewhere"] = max(row["expired_elsewhere"], f.get("expired_units_elsewhere", 0))
                why = reasons.setdefault(f["item"], {}).setdefault(f["reason"], {"reason": f["reason"], "sites": 0,
                                                                                 "units": 0})
                why["sites"] += 1
                why["units"] += f["unmet"]
        for code, row in rows.items():
            row["fill_rate"] = row["delivered"] / row["demand"] if row["demand"] else None
            row["reasons"] = sorted(reasons.get(code, {}).values(), key=lambda r: (-r["units"], r["reason"]))
    return list(rows.values())


def site_rows(sites: list[dict], need_lines: list[dict], fill: list[dict] | None, filters: Filters) -> list[dict]:
    """One row per affected site: its people, how many items it needs and how many are met in full, its
    lowest fill rate of one item (never a rate over all items together); with an item filter, that item's
    figures at the site."""
    needs: dict[str, dict[str, dict]] = {}
    for line in need_lines:
        needs.setdefault(line["site"], {})[line["item"]] = line
    filled: dict[str, dict[str, dict]] = {}
    for f in fill or []:
        filled.setdefault(f["site"], {})[f["item"]] = f
    rows = []
    for s in sites:
        lines, got = needs.get(s["site"], {}), filled.get(s["site"], {})
        if not _matches(filters.site, s["site"], s.get("name")):
            continue
        if filters.item and filters.item not in lines:
            continue
        rates = []
        for code, line in lines.items():
            if line["net"] == 0:
                rates.append((1.0, code))
            elif code in got:
                rates.append((got[code]["delivered"] / got[code]["demand"] if got[code]["demand"] else 1.0, code))
        unmet_items = [code for code, f in got.items() if f.get("unmet")]
        if filters.unmet and not (filters.item in unmet_items if filters.item else unmet_items):
            continue
        lowest = min(rates) if rates and fill is not None else None
        row = {"site": s["site"], "name": s.get("name") or s["site"], "people": s["people"], "items": len(lines),
               "to_send": sum(1 for line in lines.values() if line["net"] > 0),
               "met": sum(1 for rate, _ in rates if rate >= 1) if fill is not None else None,
               "unmet_items": len(unmet_items),
               "lowest": {"rate": lowest[0], "item": lowest[1]} if lowest else None}
        if filters.item:
            line, f = lines[filters.item], got.get(filters.item)
            row["line"] = {**line, "delivered": f["delivered"] if f else None, "unmet": f.get("unmet", 0) if f else None,
                           "fill_rate": (f["delivered"] / f["demand"] if f["demand"] else 1.0) if f else
                           (1.0 if line["net"] == 0 else None), "reason": f.get("reason") if f else None}
        rows.append(row)
    return rows


def site_detail(code: str, sites: list[dict], need_lines: list[dict], fill: list[dict] | None,
                transfers: list[dict] | None) -> dict | None:
    """One site's lines, item by item, and where its units come from; None when it is not affected."""
    match = [s for s in sites if s["site"].casefold() == code.casefold()]
    if not match:
        return None
    site = match[0]
    got = {f["item"]: f for f in fill or [] if f["site"] == site["site"]}
    lines = []
    for line in need_lines:
        if line["site"] != site["site"]:
            continue
        f = got.get(line["item"])
        lines.append({**line, "demand": f["demand"] if f else None, "delivered": f["delivered"] if f else None,
                      "unmet": f.get("unmet", 0) if f else None, "reason": f.get("reason") if f else None,
                      "fill_rate": (f["delivered"] / f["demand"] if f["demand"] else 1.0) if f else None})
    sources: dict[tuple, int] = {}
    for t in transfers or []:
        if t["to"] == site["site"]:
            sources[(t["from"], t["item"])] = sources.get((t["from"], t["item"]), 0) + t["quantity"]
    return {"site": site["site"], "name": site.get("name") or site["site"], "people": site["people"], "lines": lines,
            "sources": [{"depot": d, "item": i, "quantity": q} for (d, i), q in sorted(sources.items())]}


def unmet_lines(fill: list[dict] | None, names: dict, filters: Filters) -> list[dict]:
    return [{**f, "name": names.get(f["site"], f["site"])} for f in fill or []
            if f.get("unmet") and _matches(filters.site, f["site"], names.get(f["site"]))
            and (not filters.item or f["item"] == filters.item)]


def unmet_totals(lines: list[dict], items: dict) -> list[dict]:
    """The unmet lines' totals per item, each in its unit."""
    totals: dict[str, dict] = {}
    for line in lines:
        it = items.get(line["item"], {})
        row = totals.setdefault(line["item"], {"item": line["item"], "name_zh": it.get("name_zh", line["item"]),
                                               "name_en": it.get("name_en"), "unit": it.get("unit"), "lines": 0,
                                               "demand": 0, "delivered": 0, "unmet": 0})
        row["lines"] += 1
        for key in ("demand", "delivered", "unmet"):
            row[key] += line[key]
    return list(totals.values())


def depot_rows(outflows: list[dict] | None, names: dict, filters: Filters) -> list[dict]:
    """What leaves each depot; with an item filter only the depots sending it, and only its line."""
    rows = []
    for o in outflows or []:
        if not _matches(filters.depot, o["depot"], names.get(o["depot"])):
            continue
        lines = [line for line in o["items"] if not filters.item or line["item"] == filters.item]
        if not lines:
            continue
        rows.append({**o, "items": lines, "name": names.get(o["depot"], o["depot"])})
    return rows


def plan_lines(transfers: list[dict]) -> list[dict]:
    """A plan's lot rows summed per (depot, site, item), in the plan's order."""
    lines: dict[tuple, dict] = {}
    for t in transfers:
        line = lines.setdefault((t["from"], t["to"], t["item"]), {"from": t["from"], "to": t["to"], "item": t["item"],
                                                                 "quantity": 0, "minutes": t["minutes"], "lots": 0})
        line["quantity"] += t["quantity"]
        line["lots"] += 1
    return list(lines.values())


def filter_plan_lines(lines: list[dict], names: dict, filters: Filters) -> list[dict]:
    return [line for line in lines
            if _matches(filters.site, line["to"], names.get(line["to"]))
            and _matches(filters.depot, line["from"], names.get(line["from"]))
            and (not filters.item or line["item"] == filters.item)]


def item_comparison(lines: list[dict], items: dict) -> list[dict]:
    """An adjusted plan beside the optimum, per item in its unit: delivered in each and the difference."""
    rows: dict[str, dict] = {}
    for line in lines:
        it = items.get(line["item"], {})
        row = rows.setdefault(line["item"], {"item": line["item"], "name_zh": it.get("name_zh", line["item"]),
                                             "name_en": it.get("name_en"), "unit": it.get("unit"), "base": 0,
                                             "plan": 0, "demand": 0})
        row["base"] += line["base_delivered"]
        row["plan"] += line["delivered"]
        row["demand"] += line.get("demand", 0)
    return [{**r, "delta": r["plan"] - r["base"]} for r in rows.values()]
