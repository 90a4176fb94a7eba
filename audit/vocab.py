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

EXPORT_STATUSES = {
    "queued": _l("Export waiting"),
    "running": _l("Export running"),
    "done": _l("Export ready"),
    "failed": _l("Export failed"),
}

ENCODINGS = {
    "utf-8": _l("UTF-8 (Excel, WPS)"),
    "gbk": _l("GBK (older Excel / WPS)"),
}

ERROR_MESSAGES = {
    "bad_encoding": _l("The encoding must be UTF-8 or GBK, not “%(encoding)s”."),
    "export_not_found": _l("No such export of yours: it is unknown, someone else's, or its file has expired."),
    "export_not_ready": _l("This export is not finished yet."),
    "export_failed": _l("This export failed: %(error)s"),
    "pdf_too_long": _l("A PDF holds at most %(limit)s lines and this report has %(rows)s: narrow the dates or the "
                       "depots, or export CSV or XLSX."),
    "pdf_no_font": _l("PDF export is not available: the server has no Chinese TrueType font (install "
                      "fonts-wqy-microhei and restart)."),
}
