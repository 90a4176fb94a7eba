"""Words of donations: donor kinds, donation kinds, register movements and refusal messages (lazy gettext, English
msgids; the Chinese is in translations/zh_Hans_CN/LC_MESSAGES/messages.po)."""
from flask_babel import lazy_gettext as _l

DONOR_KINDS = {"person": _l("Person"), "organisation": _l("Organisation")}
DONATION_KINDS = {"goods": _l("Goods"), "money": _l("Money pledge")}
WENT = {
    "issue": _l("Issued"), "ship": _l("Shipped"), "deliver": _l("Delivered"), "transfer_out": _l("Transferred"),
    "write_off": _l("Written off"), "count": _l("Count shortfall"), "return": _l("Returned"),
}

ERROR_MESSAGES = {
    "donation_donor_kind_unknown": _l("Choose whether the donor is a person or an organisation (got “%(value)s”)."),
    "donation_donor_required": _l("Name the donor."),
    "donation_kind_unknown": _l("Choose goods or a money pledge (got “%(value)s”)."),
    "donation_amount_bad": _l(
        "The amount must be more than 0 yuan with at most two decimals (got “%(value)s”)."),
    "donation_money_with_lines": _l("A money pledge has no goods lines: leave the lines empty or choose goods."),
    "no_such_donation": _l("There is no donation %(donation)s."),
}
