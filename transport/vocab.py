"""Words of transport: vehicle kinds and states, why a stop is unserved, and the messages of its domain errors by
message code (registered for the pages; the JSON API shows the English message with the code). The Chinese is in
translations/zh_Hans_CN/LC_MESSAGES/messages.po."""
from flask_babel import lazy_gettext as _l

KINDS = {
    "own": _l("Own vehicle"),
    "partner": _l("Partner under agreement"),
    "requisitioned": _l("Requisitioned"),
}

STATES = {
    "available": _l("Available"),
    "on_duty": _l("On duty for an incident"),
    "out_of_service": _l("Out of service"),
}

REASONS = {
    "no_vehicle": _l("No vehicle can carry it from its depot"),
    "too_late": _l("Cannot arrive within the time target"),
    "no_capacity": _l("No capacity left"),
    "vehicle_out": _l("Its vehicle was taken out of service: plan again"),
    "no_route": _l("No coordinates or travel time for its depot or site"),
    "not_planned": _l("Left out by the planner"),
}

ERROR_MESSAGES = {
    "vehicle_plate_invalid": _l("A plate is 5 to 10 letters, digits and Chinese characters, e.g. 鲁A12345."),
    "vehicle_plate_taken": _l("Plate %(plate)s is already registered."),
    "vehicle_kind_unknown": _l("Choose the kind of vehicle."),
    "vehicle_not_a_number": _l("Enter a number."),
    "vehicle_capacity_not_positive": _l("The capacity must be greater than 0."),
    "vehicle_capacity_too_large": _l("The capacity is at most %(max)s."),
    "vehicle_depot_unknown": _l("No open depot has the code %(depot)s."),
    "vehicle_field_required": _l("Required for this kind of vehicle."),
    "vehicle_whole_number_range": _l("A whole number from %(low)s to %(high)s."),
    "vehicle_compensation_invalid": _l("An amount of yuan from 0 to %(max)s with at most two decimals."),
    "vehicle_settled_without_amount": _l("A settled compensation names its amount."),
    "vehicle_settled_before_requisition": _l("The compensation cannot be settled before the vehicle was "
                                             "requisitioned."),
    "vehicle_status_unknown": _l("Choose an availability."),
    "vehicle_unknown": _l("No vehicle has the plate %(plate)s."),
    "vehicle_out_of_service": _l("Vehicle %(plate)s is out of service."),
    "vehicle_already_called": _l("Vehicle %(plate)s is already called in for this incident."),
    "call_in_none": _l("Choose at least one vehicle."),
    "route_vehicle_not_called": _l("Vehicle %(plate)s is not called in for this incident."),
    "route_stop_unknown": _l("There is no stop %(stop)s in these routes."),
    "route_stop_started": _l("Stop %(stop)s is on its way: it stays with its vehicle."),
    "route_locked": _l("The route of %(plate)s is locked: unlock it first."),
    "route_stop_locked": _l("Stop %(stop)s is on a locked route: unlock it first."),
    "route_wrong_depot": _l("%(plate)s starts at %(depot)s; stop %(stop)s is loaded at %(source)s."),
    "route_too_big": _l("Stop %(stop)s does not fit in %(plate)s."),
}
