"""Words of returns (回收): statuses and the messages of their domain errors by message code (registered for the
pages; the JSON API shows the English message next to the code and its parameters). The Chinese is in
translations/zh_Hans_CN/LC_MESSAGES/messages.po."""
from flask_babel import lazy_gettext as _l

STATUSES = {
    "awaiting_inspection": _l("Awaiting inspection"),
    "inspected": _l("Inspected"),
}

ERROR_MESSAGES = {
    "return_more_than_out": _l("%(quantity)s of %(item)s cannot be taken back from %(site)s: only %(still_out)s are "
                               "still out there."),
    "inspection_must_cover_return": _l("%(reference)s: %(quantity)s units came back; restocked (%(restocked)s) and "
                                       "damaged (%(damaged)s) must add up to them."),
    "return_item_not_durable": _l("%(item)s (%(name)s) is not durable equipment: it is not taken back."),
    "return_lot_not_sent": _l("Lot %(lot)s was not sent to %(site)s by this incident's orders."),
    "return_to_its_site": _l("The units are at %(site)s already: receive them at the depot they go back to."),
    "return_site_unknown": _l("Incident %(incident)s sent nothing to %(site)s."),
    "return_already_inspected": _l("%(reference)s has been inspected already."),
    "no_such_return": _l("There is no return %(reference)s."),
    "return_needs_keeper": _l("Returns are received and inspected by the keepers of the depot they come back to."),
    "return_code_required": _l("Scan or type the %(field)s code."),
    "no_such_item": _l("There is no item %(item)s."),
}


def status_label(code: str | None) -> str:
    return STATUSES.get(code, code) if code else ""
