"""Words for the audit side's stored codes (rotation actions, task statuses, target levels)."""
from flask_babel import lazy_gettext as _l

ACTIONS = {
    "move": _l("Move to a depot that issues it more"),
    "drill": _l("Use in a drill"),
    "donate": _l("Donate"),
    "return_to_supplier": _l("Return under the supplier agreement"),
}

TASK_STATUSES = {
    "proposed": _l("Proposed"),
    "accepted": _l("Accepted"),
    "done": _l("Done"),
}

REPLACED_BY = {
    "purchase": _l("Purchase"),
    "partner": _l("The partner"),
}

LEVELS = {
    "county": _l("County target"),
    "big3": _l("Key-town kit"),
    "small4": _l("Other-town kit"),
}
