"""Words shown for the codes stored in the database (tiers, categories, ledger kinds...).

Every label is a lazy gettext string with an English msgid, translated per request; the Chinese is in
translations/zh_Hans_CN/LC_MESSAGES/messages.po. Templates reach them through ``label(kind, code)``.
"""
from common import formats
from flask_babel import lazy_gettext as _l

TIERS = {
    "county": _l("County depot"),
    "town": _l("Town station"),
    "village": _l("Village point"),
}

DEPOT_KINDS = {
    "station": _l("Reserve station"),
    "transfer_station": _l("Transfer station"),
}

CATEGORIES = {
    "living": _l("Living supplies"),
    "flood": _l("Flood control and drought relief"),
    "forest_fire": _l("Forest fire fighting"),
    "fire_rescue": _l("Fire and rescue"),
    "earthquake_rescue": _l("Earthquake rescue"),
    "geological_hazard": _l("Geological hazards"),
    "work_safety_rescue": _l("Work-safety rescue"),
    "communications": _l("Communications"),
}

MOVEMENT_KINDS = {
    "receive": _l("Receive"),
    "issue": _l("Issue"),
    "transfer_out": _l("Transfer out"),
    "transfer_in": _l("Transfer in"),
    "count": _l("Count"),
    "write_off": _l("Write-off"),
    "return": _l("Return"),
    "ship": _l("Shipped, in transit"),
    "deliver": _l("Received from a transfer order"),
}

EXPIRY_STATUSES = {
    "expired": _l("Expired"),
    "near_expiry": _l("Near expiry"),
    "ok": _l("OK"),
    "durable": _l("Durable"),
}

STORAGE_MODES = {
    "physical": _l("Physical stock"),
    "agreement": _l("Agreement stock"),
    "capacity": _l("Production capacity"),
}

LOT_SOURCES = {
    "purchase": _l("Purchase"),
    "donation": _l("Donation"),
    "transfer": _l("Transfer"),
}

KITS = {
    "big3": _l("Key-town kit (three big items)"),
    "small4": _l("Town kit (four small items)"),
}

WRITE_OFF_REASONS = {
    "expired": _l("Expired"),
    "damaged": _l("Damaged"),
    "lost": _l("Lost"),
    "approved": _l("Approved write-off"),
}

WRITE_OFF_STATUSES = {
    "pending": _l("Pending approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}

ROLES = {
    "admin": _l("Administrator"),
    "dispatcher": _l("Dispatcher"),
    "keeper": _l("Depot keeper"),
    "auditor": _l("Auditor"),
}

VOCABULARIES = {
    "tier": TIERS,
    "depot_kind": DEPOT_KINDS,
    "category": CATEGORIES,
    "movement": MOVEMENT_KINDS,
    "expiry": EXPIRY_STATUSES,
    "storage_mode": STORAGE_MODES,
    "source": LOT_SOURCES,
    "kit": KITS,
    "reason": WRITE_OFF_REASONS,
    "write_off_status": WRITE_OFF_STATUSES,
    "role": ROLES,
}

# Measure words (量词) of the catalog, for English pages; Chinese pages show the stored word itself.
UNITS_EN = formats.UNITS_EN  # the units in English: one list, in common.formats


def label(vocabulary: str, code: str | None) -> str:
    """The translated word for a stored code; an unknown code is shown as it is."""
    if code is None:
        return ""
    return VOCABULARIES[vocabulary].get(code, code)

ERROR_TITLES = {
    400: _l("The request was not accepted"),
    401: _l("Please log in"),
    403: _l("You may not open this"),
    404: _l("Not found"),
    405: _l("This action is not allowed here"),
    409: _l("This cannot be done now"),
    422: _l("Some values are not valid"),
    500: _l("Something went wrong"),
}

# The messages of the stock rules' (and common/actor.py's) domain errors by their stable message code (see common/errors.py), in
# the words of a page: error pages and the scanning page fill them in with the error's parameters.
ERROR_MESSAGES = {
    # keeping the depot tree and the catalog (inventory.catalog, inventory.catalog_admin)
    "transfer_station_not_town": _l("A transfer station sits at town level."),
    "county_has_no_parent": _l("The county depot sits at the top: it has no parent."),
    "parent_tier_wrong": _l("A village point sits under a town station, and a town station under the county depot."),
    "village_under_transfer_station": _l("A village point sits under a town station, not under a transfer station."),
    "depot_code_taken": _l("The depot code %(code)s is already in use."),
    "parent_unknown": _l("There is no depot %(code)s to put it under."),
    "key_town_not_town": _l("Only a town station can be a key town."),
    "item_code_taken": _l("The item code %(code)s is already in use."),
    "item_value_negative": _l("This cannot be negative."),
    "item_days_range": _l("Give 1 to %(max)s days, or leave it empty for durable equipment."),
    "item_priority_range": _l("The priority is 1 (most urgent) to 9."),
    "item_name_unit_required": _l("The Chinese name and the unit are required."),
    "lat_range": _l("The latitude is between -90 and 90."),
    "lon_range": _l("The longitude is between -180 and 180."),
    "depot_code_unknown": _l("There is no depot %(code)s."),
    "parent_closed": _l("Depot %(code)s is closed: nothing is put under it."),
    "depot_name_length": _l("A depot name is 1 to %(max)s characters."),
    "depot_closed": _l("Depot %(code)s is closed."),
    "parent_is_below": _l("Depot %(code)s cannot sit under itself or under a depot below it (%(parent)s)."),
    "depot_has_stock": _l("Depot %(code)s still holds %(units)s units: issue or transfer them before closing it."),
    "depot_has_open_children": _l("Depot %(code)s has open depots under it (%(children)s): close or move them first."),
    "item_code_unknown": _l("There is no item %(code)s."),
    "item_has_lots": _l("Item %(code)s is in %(lots)s lots: an item in use cannot be deleted."),
    "item_referenced": _l("Item %(code)s is named by norms, reserve floors or orders: an item in use cannot be deleted."),
    # the depot tree's query (inventory.views.depot_tree)
    "tree_filter_too_long": _l("The search %(field)s is at most %(max)s characters."),
    "tree_bad_page": _l("The page number must be a whole number of 1 or more, not “%(value)s”."),
    "tree_open_unknown": _l("There is no depot %(code)s to open in the tree."),
    # shelf numbers and shelf labels (labels.payloads)
    "shelf_empty": _l("The shelf number is empty."),
    "shelf_invalid": _l("%(shelf)s is not a shelf number: use letters A–Z and digits, parts joined by single "
                        "hyphens (for example A-03), at most %(max)s characters."),
    "shelf_range_invalid": _l("%(token)s is not a shelf range: write it as A-01~A-12."),
    "shelf_labels_too_many": _l("At most %(max)s shelf labels in one print."),
    "shelves_none": _l("Name at least one shelf, e.g. A-01, A-02 or A-01~A-12."),
    "shelf_range_mismatch": _l("The range %(first)s~%(last)s must differ only in its last number, like A-01~A-12."),
    "shelf_range_down": _l("The range %(first)s~%(last)s counts down; write the smaller number first."),
    # answers of the web server itself (common.http), on the pages
    "csrf_stale": _l("The form's security token is missing or has expired: reload the page and send the form again."),
    "http_500": _l("An unexpected error; nothing was saved."),
    "lines_invalid": _l("%(count)s problems; nothing was saved. Correct them all and send again."),
    "quantity_not_positive": _l("The quantity must be a whole number greater than 0 (got %(value)s)."),
    "counted_negative": _l("The counted quantity must be a whole number of 0 or more (got %(value)s)."),
    "reason_unknown": _l("Choose a write-off reason from the list (got %(value)s)."),
    "lot_expired": _l("Lot %(lot)s expired on %(expired)s: it can only be written off, not issued or moved."),
    "lot_holds_less": _l("Lot %(lot)s holds only %(available)s; %(quantity)s cannot be taken from it."),
    "no_such_lot": _l("No lot has the code %(lot)s."),
    "no_such_depot": _l("No depot has the code %(depot)s."),
    "lot_already_there": _l("Lot %(lot)s is already at depot %(depot)s."),
    "quantity_too_large": _l("The quantity must be at most %(max)s (got %(value)s)."),
    "lot_would_hold_too_much": _l("Lot %(lot)s holds %(held)s; %(quantity)s more would pass the most a lot may hold "
                                  "(%(max)s)."),
    "code_characters": _l("%(field)s: a code may hold only ASCII letters, digits, '-', '_' and '.', starts with a "
                          "letter or digit and has at most %(max)s characters."),
    # every request's text (common/inputs.py)
    "text_not_allowed": _l("%(field)s holds a character that cannot be stored (NUL or invalid Unicode)."),
    # write-off requests (inventory/writeoffs)
    "write_off_needs_request": _l("Write-offs are not recorded directly: request one, and it enters the ledger "
                                  "when an administrator approves it."),
    "write_off_reason_unknown": _l("Choose expired, damaged or lost as the reason (got %(value)s)."),
    "write_off_own_request": _l("You made %(reference)s yourself: another administrator must decide on it."),
    "write_off_not_yours": _l("Only the one who made %(reference)s may withdraw it."),
    "write_off_decided": _l("%(reference)s has already been decided."),
    "document_no_required": _l("Enter the approving document number (审批文号) to approve a write-off."),
    "rejection_reason_required": _l("Say why the write-off is rejected."),
    "photo_empty": _l("The photo is empty."),
    "photo_too_large": _l("The photo is too large: at most %(limit_mb)s MB."),
    "photo_not_image": _l("The photo must be a JPEG or PNG image."),
    "count_below_zero": _l("Lot %(lot)s was counted at %(counted)s when the books said %(balance)s, and holds "
                           "%(now)s now: the difference would take it below zero. Count it again."),
    # shelves (inventory/shelves.py)
    "shelf_empty": _l("Type a shelf code, for example A-03."),
    "shelf_malformed": _l("%(value)s is not a shelf code: use letters A–Z and digits, parts joined by single hyphens "
                          "(for example A-03), at most %(max)s characters."),
    "shelf_unchanged": _l("Lot %(lot)s is already on shelf %(shelf)s."),
    "shelf_unchanged_none": _l("Lot %(lot)s is on no shelf already."),
    "count_session_open": _l("Count %(count)s is under way at depot %(depot)s: record lot %(lot)s in that count."),
    # who may touch what (common/actor.py)
    "depot_not_kept": _l("Depot %(depot)s is not one you keep."),
    "depot_not_kept_for_stock": _l("You do not keep depot %(depot)s: a keeper records stock only at their own depots."),
    "auditor_reads_only": _l("Auditors read and export; they cannot change anything."),
}

ERROR_HINTS = {
    "csrf": _l("The form's security token is missing or has expired. Reload the page and try again."),
    "not_your_depot": _l("This depot is not one you keep. A depot keeper sees only the depots they keep."),
    "read_only": _l("Auditors can read and export, but cannot change anything."),
    "forbidden": _l("Your role does not allow this."),
    "not_found": _l("Check the code: it may have been typed or scanned wrongly."),
    "not_authenticated": _l("Log in to continue."),
    "invalid": _l("Correct the value and try again."),
    "internal": _l("Nothing was saved. Try again; if it happens again, tell the administrator."),
}


def error_title(status: int) -> str:
    return ERROR_TITLES.get(status) or ERROR_TITLES[500 if status >= 500 else 400]


def error_hint(code: str) -> str:
    return ERROR_HINTS.get(code, "")
