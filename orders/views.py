"""The read-only page of a transfer order (/orders/<code>), where an order's label (/o/<code>) and the scanning
page lead; the dispatcher's board and the scanning page's picking come later, over the same services."""
from flask import Blueprint, render_template

from accounts.auth import login_required_page, require_actor
from common.web import engine
from orders import services
from orders.vocab import ACTIONS, DESTINATION_KINDS, ERROR_MESSAGES, STATES, WARNINGS

bp = Blueprint("orders", __name__, url_prefix="/orders")


@bp.route("/<code>")
@login_required_page
def order(code: str):
    return render_template("order.html", order=services.get(engine(), require_actor(), code))


@bp.record_once
def _register(state) -> None:
    state.app.extensions.setdefault("error_messages", {}).update({**ERROR_MESSAGES, **WARNINGS})
    state.app.jinja_env.globals.update(order_state=lambda s: STATES.get(s, s),
                                       order_action=lambda s: ACTIONS.get(s, s),
                                       order_destination_kind=lambda s: DESTINATION_KINDS.get(s, s))
