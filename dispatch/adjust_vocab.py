"""Messages of plan adjustments by message code, for the pages (the JSON API shows the English message)."""
from flask_babel import lazy_gettext as _l

ADJUST_MESSAGES = {
    "adjust_nothing": _l("Change a line’s quantity, leave out a depot or add a line."),
    "adjust_bad_action": _l("Choose to change a line, leave out a depot or add a line."),
    "adjust_unknown_depot": _l("No depot %(code)s is in the problem this plan was solved from."),
    "adjust_unknown_site": _l("No site %(code)s is in the problem this plan was solved from."),
    "adjust_unknown_item": _l("No item %(code)s is in the problem this plan was solved from."),
    "adjust_bad_quantity": _l("The quantity is a whole number of %(low)s or more."),
    "adjust_depot_twice": _l("Depot %(depot)s is left out twice."),
    "adjust_line_twice": _l("%(depot)s → %(site)s, %(item)s is changed twice."),
    "adjust_depot_left_out": _l("Depot %(depot)s is left out of the plan: it cannot send this line."),
    "adjust_no_line": _l("The plan sends no %(item)s from %(depot)s to %(site)s: add it as a new line."),
    "adjust_line_exists": _l("The plan already sends %(planned)s of %(item)s from %(depot)s to %(site)s: change that "
                             "line’s quantity instead."),
    "adjust_no_route": _l("At this response level %(depot)s may not supply %(site)s: there is no allowed route within "
                          "the time target."),
    "adjust_expired": _l("%(depot)s holds no usable %(item)s: its %(unusable)s units expire before %(usable_from)s."),
    "adjust_no_stock": _l("%(depot)s holds no %(item)s."),
    "adjust_floor": _l("%(depot)s would send %(total)s of %(item)s in all, but must keep its reserve floor of "
                       "%(floor)s of its %(usable)s usable units: at most %(available)s."),
    "adjust_over_stock": _l("%(depot)s would send %(total)s of %(item)s in all, but holds only %(usable)s usable units "
                            "(at most %(available)s after its reserve floor)."),
    "adjust_over_demand": _l("%(site)s would receive %(total)s of %(item)s in all, more than its need of %(demand)s."),
    "adjust_not_needed": _l("%(site)s needs no %(item)s."),
    "adjust_reason_needed": _l("Say why the plan is adjusted."),
    "adjust_reason_too_long": _l("The reason is at most %(max)s characters."),
    "plan_unknown": _l("Incident %(incident)s has no plan %(plan)s."),
    "plan_approved": _l("Plan %(plan)s was approved into %(orders)s transfer orders: cancel them before adjusting it."),
}
