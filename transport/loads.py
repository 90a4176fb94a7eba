"""Truckloads of transfer orders (plain Python, no database).

An order's load is the sum over its lines of quantity × the item's weight (kg) and volume (m³), in the whole
units of the routing contract: kilograms and hundredths of a cubic metre, rounded up. An order heavier or
bulkier than every vehicle that can carry it from its source depot is split into truckloads, as few as the
best-suited vehicle allows, as even as whole units allow; each truckload is one stop of the routing problem.
"""
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    stop: str  # the order's code, or "<code>/<n>" for the n-th truckload of a split order
    order: str
    source: str  # depot code
    location: str  # destination site code
    kg: int
    m3x100: int


def order_load(lines: list[tuple[int, float | None, float | None]]) -> tuple[int, int]:
    """(kg, m³ × 100) of lines given as (quantity, weight_kg per unit, volume_m3 per unit); a missing weight or
    volume counts as 0. Rounded up once, on the sum."""
    kg = sum(q * (w or 0) for q, w, _v in lines)
    m3 = sum(q * (v or 0) for q, _w, v in lines)
    return math.ceil(round(kg, 6)), math.ceil(round(m3 * 100, 6))


def truckloads(order: str, source: str, location: str, kg: int, m3x100: int,
               capacities: list[tuple[int, int]]) -> list[Load]:
    """The order as one stop, or split into truckloads where no vehicle in ``capacities`` ((kg, m³ × 100) of the
    vehicles that can carry it) holds it whole. The split uses the vehicle that needs the fewest trips, and
    shares the load evenly: every part fits that vehicle. With no vehicle the order stays whole (it is then
    unserved for want of a vehicle, not split)."""
    usable = [(ck, cm) for ck, cm in capacities if ck > 0 and cm > 0]
    if not usable or any(kg <= ck and m3x100 <= cm for ck, cm in usable):
        return [Load(order, order, source, location, kg, m3x100)]
    parts = min(max(math.ceil(kg / ck), math.ceil(m3x100 / cm)) for ck, cm in usable)
    return [Load(f"{order}/{n + 1}", order, source, location, _share(kg, parts, n), _share(m3x100, parts, n))
            for n in range(parts)]


def _share(total: int, parts: int, n: int) -> int:
    return total // parts + (1 if n < total % parts else 0)


def capacity_units(capacity_kg: float, capacity_m3: float) -> tuple[int, int]:
    """A vehicle's capacity in the contract's whole units, rounded down (a load never exceeds the real truck)."""
    return math.floor(capacity_kg + 1e-9), math.floor(capacity_m3 * 100 + 1e-9)
