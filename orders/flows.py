"""Who sends what to whom, in plain Python: rows of (source depot, destination site, item, quantity) — a plan's
lot-level transfers before approval, or the orders' lines after — arranged two ways for reading: per destination
site, what arrives from which depots; per source depot, what leaves for which sites. No Flask, no database."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Flow:
    source: str
    destination: str
    item: str
    quantity: int
    order: str | None = None  # the order's code once approved
    state: str | None = None  # the order's state once approved


def _arrange(flows: list[Flow], key: str, other: str) -> list[dict]:
    groups: dict[str, dict[str, dict]] = {}
    for f in flows:
        if f.quantity <= 0:
            continue
        partners = groups.setdefault(getattr(f, key), {})
        partner = partners.setdefault(getattr(f, other), {"code": getattr(f, other), "order": f.order,
                                                          "state": f.state, "items": {}})
        partner["items"][f.item] = partner["items"].get(f.item, 0) + f.quantity
    arranged = []
    for code in sorted(groups):
        partners = [{**p, "items": sorted(p["items"].items())} for _, p in sorted(groups[code].items())]
        totals: dict[str, int] = {}
        for p in partners:
            for item, n in p["items"]:
                totals[item] = totals.get(item, 0) + n
        arranged.append({"code": code, "partners": partners, "totals": sorted(totals.items())})
    return arranged


def by_destination(flows: list[Flow]) -> list[dict]:
    """[{code: site, partners: [{code: source depot, order, state, items: [(item, quantity)]}], totals}]"""
    return _arrange(flows, "destination", "source")


def by_source(flows: list[Flow]) -> list[dict]:
    """[{code: depot, partners: [{code: destination site, order, state, items}], totals}]"""
    return _arrange(flows, "source", "destination")
