"""Words of transfer orders: states, history actions, destination kinds, and the messages of their domain errors
by message code (registered for the pages and the scanning page; the JSON API shows the English message next
to the code and its parameters). The Chinese is in translations/zh_Hans_CN/LC_MESSAGES/messages.po."""
from flask_babel import lazy_gettext as _l

STATES = {
    "approved": _l("Approved"),
    "picking": _l("Picking"),
    "shipped": _l("Shipped, in transit"),
    "partly_received": _l("Partly received"),
    "received": _l("Received"),
    "cancelled": _l("Cancelled"),
    "not_sent": _l("Not sent"),
}

ACTIONS = {
    "approved": _l("Approved"),
    "picked": _l("Picked"),
    "unpicked": _l("Pick undone"),
    "shipped": _l("Shipped"),
    "received": _l("Received"),
    "delivered": _l("Delivered"),
    "cancelled": _l("Cancelled"),
}

DESTINATION_KINDS = {
    "depot": _l("Depot"),
    "shelter": _l("Shelter"),
}

WARNINGS = {
    "pick_not_fefo": _l("Lot %(first)s expires sooner (%(expires)s) and should leave first."),
}

ERROR_MESSAGES = {
    # the order's state (orders.rules.require_action)
    "order_cancelled": _l("Order %(order)s was cancelled: nothing more can be done with it."),
    "order_pick_after_ship": _l("Order %(order)s has already been shipped: nothing more can be picked."),
    "order_unpick_after_ship": _l("Order %(order)s has already been shipped: its picks cannot be undone."),
    "order_cancel_after_ship": _l("Order %(order)s has already been shipped: it can no longer be cancelled."),
    "order_nothing_picked": _l("Nothing of order %(order)s has been picked yet: pick its lots before shipping."),
    "order_already_shipped": _l("Order %(order)s has already been shipped."),
    "order_already_received": _l("Order %(order)s has been received in full already."),
    "order_not_shipped": _l("Order %(order)s has not been shipped yet."),
    "order_state": _l("Order %(order)s is %(state)s: this is not possible now."),
    "order_to_shelter": _l("Order %(order)s goes to shelter %(site)s, not to a depot: confirm its delivery with the "
                           "receiver's name."),
    "order_to_depot": _l("Order %(order)s goes to depot %(depot)s: its keeper receives it by scanning."),
    # quantities and text (orders.rules)
    "order_quantity_out_of_range": _l("%(field)s must be a whole number (got %(value)s)."),
    "order_text_required": _l("Fill in %(field)s."),
    "order_text_invalid": _l("%(field)s must be text of at most %(max)s characters."),
    "pick_more_than_planned": _l("Order %(order)s: %(item)s is planned at %(planned)s and %(picked)s are picked "
                                 "already; %(quantity)s more would be more than planned."),
    "pick_substitute_needs_reason": _l("Lot %(lot)s is not what the plan named for %(item)s (planned: %(planned)s): "
                                       "say why it is taken instead."),
    "ship_more_than_picked": _l("Order %(order)s: %(quantity)s of %(item)s cannot be shipped, only %(picked)s "
                                "were picked."),
    "ship_less_than_picked": _l("Order %(order)s: %(picked)s of %(item)s were picked but %(quantity)s are loaded: "
                                "undo the picks of what stays behind first."),
    "receipt_reason_without_quantity": _l("A reason is given but no units are recorded as %(field)s."),
    "line_already_received": _l("Order %(order)s: %(item)s has been received in full already."),
    "receipt_empty": _l("Order %(order)s: record at least one unit of %(item)s received, short or damaged."),
    "receive_more_than_shipped": _l("Order %(order)s: %(quantity)s of %(item)s recorded, but only %(in_transit)s "
                                    "are still in transit (%(shipped)s shipped)."),
    # approving a plan
    "order_incident_unknown": _l("There is no incident %(incident)s."),
    "order_plan_unknown": _l("Incident %(incident)s has no plan %(plan)s."),
    "plan_already_approved": _l("Plan %(plan)s has been approved already."),
    "incident_has_orders": _l("Incident %(incident)s already has orders of plan %(plan)s under way: cancel them "
                              "before approving another plan."),
    "plan_sends_nothing": _l("Plan %(plan)s sends nothing: there is nothing to approve."),
    "plan_names_unknown": _l("Plan %(plan)s names %(code)s, which does not exist (any more)."),
    # picking, receiving, delivering
    "pick_wrong_depot": _l("Lot %(lot)s is at depot %(depot)s, but order %(order)s leaves from %(source)s."),
    "pick_item_not_on_order": _l("Order %(order)s carries no %(item)s: lot %(lot)s is not for it."),
    "pick_lot_holds_less": _l("Lot %(lot)s has only %(available)s left to pick; %(quantity)s cannot be taken."),
    "no_such_pick": _l("Order %(order)s has no pick %(pick)s."),
    "order_has_no_item": _l("Order %(order)s carries no %(item)s."),
    "order_item_twice": _l("%(item)s is named twice."),
    "receipt_no_lines": _l("Name at least one line with what arrived."),
    "deliver_not_yours": _l("A delivery to a shelter is confirmed by the dispatcher or a keeper of %(depot)s."),
    "order_lot_required": _l("Scan or type a lot code."),
    # reading
    "order_state_unknown": _l("There is no order state %(value)s."),
    "order_not_yours": _l("Order %(order)s neither leaves from nor goes to a depot you keep."),
    "no_such_order": _l("There is no transfer order %(order)s."),
    "order_id_unknown": _l("There is no %(field)s %(value)s."),
}


def state_label(code: str | None) -> str:
    return STATES.get(code, code) if code else ""


def action_label(code: str | None) -> str:
    return ACTIONS.get(code, code) if code else ""

# ---------------------------------------------------------------- daily transfer requests (orders.requests)

REQUEST_STATUSES = {
    "pending": _l("Pending"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}

REQUEST_ERROR_MESSAGES = {
    "no_such_item": _l("No item has the code %(item)s."),
    "no_such_transfer_request": _l("There is no transfer request %(request)s."),
    "transfer_request_no_lines": _l("Name at least one item and its quantity."),
    "transfer_request_wanted_past": _l("The date wanted (%(date)s) has already passed."),
    "transfer_request_not_above": _l("Depot %(source)s is not above %(depot)s: a request goes to its town station or "
                                     "the county depot."),
    "transfer_request_not_pending": _l("Request %(request)s is no longer pending."),
    "transfer_request_not_yours": _l("Only the one who made request %(request)s can withdraw it."),
    "transfer_request_not_kept": _l("Request %(request)s neither comes from nor goes to a depot you keep."),
    "transfer_request_item_not_asked": _l("Request %(request)s does not ask for %(item)s."),
    "transfer_request_more_than_asked": _l("%(item)s: %(quantity)s granted, but only %(asked)s were asked for."),
    "transfer_request_short": _l("%(source)s has only %(available)s usable units of %(item)s not yet promised to open "
                                 "orders, %(quantity)s were to be sent: grant fewer (with a note) or reject the "
                                 "request."),
    "transfer_request_note_required": _l("Say why fewer units than asked are sent."),
    "transfer_request_nothing_granted": _l("Nothing would be sent: reject the request instead."),
    "transfer_request_status_unknown": _l("Unknown status %(value)s."),
}

ERROR_MESSAGES.update(REQUEST_ERROR_MESSAGES)  # one table of the orders package's messages (tests/unit/test_order_rules)
