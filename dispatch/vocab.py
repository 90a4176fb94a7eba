"""Words shown for the codes of the dispatch work (incident types, response levels, unmet reasons).

Lazy gettext strings with English msgids, as in ``inventory.vocab``; templates reach them through
``dispatch_label(kind, code)``.
"""
from flask_babel import lazy_gettext as _l

INCIDENT_TYPES = {
    "flood": _l("Flood"),
    "earthquake": _l("Earthquake"),
    "forest_fire": _l("Forest fire"),
    "geological_hazard": _l("Geological hazard"),
    "other": _l("Other"),
}

LEVELS = {
    "I": _l("Level I"),
    "II": _l("Level II"),
    "III": _l("Level III"),
    "IV": _l("Level IV"),
}

UNMET_REASONS = {
    "no_usable_stock": _l("No usable stock"),
    "no_route_in_time": _l("No route in time"),
    "held_by_floors": _l("Held by reserve floors"),
    "shared_shortage": _l("Short of stock, shared fairly"),
}

UNMET_HINTS = {
    "no_usable_stock": _l("No depot holds usable units of this item."),
    "no_route_in_time": _l("Depots hold the item, but none of them may reach this site within the time target."),
    "held_by_floors": _l("The depots that can reach this site hold only their reserve floors."),
    "shared_shortage": _l("All reachable stock is allocated; the shortage is shared fairly among the sites."),
}

VOCABULARIES = {
    "incident_type": INCIDENT_TYPES,
    "level": LEVELS,
    "unmet_reason": UNMET_REASONS,
    "unmet_hint": UNMET_HINTS,
}


def dispatch_label(vocabulary: str, code: str | None) -> str:
    """The translated word for a stored code; an unknown code is shown as it is."""
    if code is None:
        return ""
    return VOCABULARIES[vocabulary].get(code, code)
