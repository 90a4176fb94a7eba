"""HTML pages of the inventory (stub; pages are being written)."""
from flask import Blueprint, render_template

from accounts.auth import login_required_page, require_actor
from common.web import engine, request_today
from inventory import queries

bp = Blueprint("inventory", __name__)


@bp.route("/")
@login_required_page
def depot_tree():
    return render_template("depot_tree.html", tree=queries.depot_tree(engine(), require_actor(), request_today()))
