"""Words of receiving: the kinds of delivery and the messages of its refusals, lazy gettext strings with English
msgids (the Chinese is in translations/zh_Hans_CN/LC_MESSAGES/messages.po)."""
from flask_babel import lazy_gettext as _l

DELIVERY_KINDS = {
    "purchase": _l("Purchase"),
    "agreement": _l("Agreement stock from a partner"),
    "capacity": _l("Production capacity called in"),
    "donation": _l("Donation"),
}

ERROR_MESSAGES = {
    "delivery_supplier_required": _l("Name the supplier or partner enterprise."),
    "delivery_text_too_long": _l("%(field)s is too long: at most %(max)s characters."),
    "delivery_kind_unknown": _l("Choose the kind of delivery (got “%(value)s”)."),
    "delivery_received_on_bad": _l("The date received must be a date like 2026-07-01 (got “%(value)s”)."),
    "delivery_received_in_future": _l("The date received, %(date)s, is after today."),
    "delivery_no_lines": _l("A delivery has at least one line: choose an item and its quantity."),
    "delivery_too_many_lines": _l("At most %(max)s lines in one delivery."),
    "delivery_line_item_required": _l("Line %(line)s: choose an item."),
    "delivery_line_no_such_item": _l("Line %(line)s: no item has the code %(item)s."),
    "delivery_line_quantity": _l("Line %(line)s: the quantity must be a whole number of 1 or more (got “%(value)s”)."),
    "delivery_line_expiry_bad": _l("Line %(line)s: the expiry date must be a date like 2027-07-01 (got “%(value)s”)."),
    "delivery_line_production_bad": _l(
        "Line %(line)s: the production date must be a date like 2026-07-01 (got “%(value)s”)."),
    "delivery_line_months": _l(
        "Line %(line)s: the shelf life must be a whole number of months from 1 to 1,200 (got “%(value)s”)."),
    "delivery_line_price": _l(
        "Line %(line)s: the unit price must be 0 to 10,000,000 yuan with at most two decimals (got “%(value)s”)."),
    "delivery_line_months_alone": _l("Line %(line)s: a shelf life needs the production date it counts from."),
    "delivery_line_production_future": _l("Line %(line)s: produced on %(date)s, after the date received."),
    "delivery_line_expiry_disagrees": _l(
        "Line %(line)s: the expiry date %(given)s disagrees with the production date and shelf life (%(computed)s); "
        "give one of them or make them agree."),
    "delivery_line_expired": _l("Line %(line)s: expired on %(date)s, before the date received; expired goods are "
                                "not received."),
    "delivery_depot_required": _l("Choose the depot that receives the delivery."),
    "no_such_delivery": _l("There is no delivery %(delivery)s."),
}
