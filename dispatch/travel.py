"""Travel minutes between a depot and a site, estimated from coordinates (plain Python)."""
import math
from dataclasses import dataclass
from functools import cached_property

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class TravelSettings:
    detour_factor: float = 1.4  # road distance ÷ straight-line distance
    speed_kmh: tuple[tuple[str, float], ...] = (("county", 50.0), ("town", 35.0), ("village", 25.0))
    handling_minutes: int = 30  # loading at the depot and unloading at the site

    @cached_property
    def _speeds(self) -> dict[str, float]:
        return dict(self.speed_kmh)

    def speed(self, tier: str) -> float:
        return self._speeds[tier]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def estimate_minutes(settings: TravelSettings, tier: str, origin: tuple[float, float],
                     destination: tuple[float, float]) -> int:
    km = great_circle_km(*origin, *destination) * settings.detour_factor
    return math.ceil(km / settings.speed(tier) * 60) + settings.handling_minutes


def estimate_minutes_to(settings: TravelSettings, origins: list[tuple[str, float | None, float | None]],
                        destinations: list[tuple[float | None, float | None]]) -> list[list[int | None]]:
    """``estimate_minutes`` from every origin (tier, lat, lon) to every destination (lat, lon) — the same numbers,
    with each place's terms worked out once (planning a city asks for thousands of pairs); None where a place
    has no coordinates."""
    terms = [None if None in (lat, lon) else (math.radians(lat), math.cos(math.radians(lat)), lon, settings.speed(tier))
             for tier, lat, lon in origins]
    diameter, detour, handling = 2 * EARTH_RADIUS_KM, settings.detour_factor, settings.handling_minutes
    sin, asin, sqrt, radians, ceil = math.sin, math.asin, math.sqrt, math.radians, math.ceil
    grid = []
    for lat2, lon2 in destinations:
        if None in (lat2, lon2):
            grid.append([None] * len(origins))
            continue
        p2 = radians(lat2)
        cos_p2 = math.cos(p2)
        row = []
        for term in terms:
            if term is None:
                row.append(None)
                continue
            p1, cos_p1, lon1, speed = term
            a = sin((p2 - p1) / 2) ** 2 + cos_p1 * cos_p2 * sin(radians(lon2 - lon1) / 2) ** 2
            row.append(ceil(diameter * asin(sqrt(a)) * detour / speed * 60) + handling)
        grid.append(row)
    return grid
