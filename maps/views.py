"""The map pages: /map (everything the asker may see, filtered by tier, item and incident), /incidents/<id>/map
(the same map on one incident), their data /map/data.json (the page script static/js/map.js fetches it; the
same permissions as the pages), Leaflet's files under /static/vendor/leaflet/ and the administrator's tile
server setting /admin/map-tiles. No inline script: the page passes what the script needs in data- attributes."""
import re
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from accounts.auth import login_required_page, require_actor
from common.actor import ADMIN
from common.errors import DomainError
from common.http import error_body, translated_message
from common.security_headers import allow_images_from
from common.web import engine, request_today
from dispatch.vocab import dispatch_label
from inventory import queries, vocab as inventory_vocab
from inventory.models import TIERS
from maps import service, tiles, vendor
from scan import vendor as scan_vendor

bp = Blueprint("maps", __name__)

ERROR_MESSAGES = {
    "map_bad_tier": _l("The tier “%(value)s” is not one of county, town and village."),
    "map_bad_item": _l("There is no item with the code “%(value)s”."),
    "map_bad_incident": _l("The incident is given by its number, not “%(value)s”."),
    "map_tile_url_too_long": _l("The tile URL is at most %(max)s characters."),
    "map_tile_url_not_http": _l("The tile URL is an address beginning with http:// or https:// and a server name."),
    "map_tile_url_placeholders": _l("The tile URL must hold {z}, {x} and {y}; it lacks %(missing)s."),
    "map_tile_url_other_placeholder": _l("The tile URL may hold only {z}, {x} and {y}, not %(placeholder)s: write "
                                         "one server's name in its place."),
    "map_tile_attribution_missing": _l("Give the attribution the tile server asks for: it is shown on the map."),
    "map_tile_attribution_too_long": _l("The attribution is at most %(max)s characters."),
    "map_tile_attribution_markup": _l("The attribution is plain text, without < or >."),
    "map_tile_labels_without_tiles": _l("A label layer is drawn over the tiles: give the tile URL too."),
}


@bp.record_once
def _register_messages(state) -> None:
    state.app.extensions.setdefault("error_messages", {}).update(ERROR_MESSAGES)


# ---------------------------------------------------------------- pages and data


@bp.route("/map")
@login_required_page
def page():
    actor = require_actor()
    filters = service.read_filters(request.args)
    if filters["incident"] is not None:
        actor.require_role(*service.INCIDENT_READERS)
    return _page(actor, filters, incident=None)


@bp.route("/incidents/<int:incident_id>/map")
@login_required_page
def incident_map(incident_id: int):
    actor = require_actor()
    actor.require_role(*service.INCIDENT_READERS)
    filters = {**service.read_filters(request.args), "incident": incident_id}
    from dispatch import incidents

    return _page(actor, filters, incident=incidents.get(engine(), actor, incident_id))


def _page(actor, filters: dict, incident: dict | None):
    eng = engine()
    setting = tiles.read(eng)
    for tile_url in filter(None, (setting.url, setting.labels_url)):  # the page's policy lets its tiles in
        parts = urlsplit(tile_url)                                    # (common/security_headers.py)
        if re.fullmatch(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?", parts.netloc):  # nothing that could end the directive
            allow_images_from(f"{parts.scheme}://{parts.netloc}")
    query = {k: v for k, v in filters.items() if v is not None}
    items = queries.list_items(eng)
    sees_incidents = actor.role in service.INCIDENT_READERS
    incident_choices = []
    if sees_incidents and incident is None:
        from dispatch import incidents

        incident_choices = [(i["id"], i["title"]) for i in incidents.list_incidents(eng, actor)]
    return render_template(
        "map.html", filters=filters, incident=incident, items=items, tiers=[(t, inventory_vocab.label("tier", t))
                                                                            for t in TIERS],
        incident_choices=incident_choices, sees_incidents=sees_incidents, missing=vendor.missing(),
        data_url=url_for("maps.data") + ("?" + urlencode(query) if query else ""),
        messages=_script_messages(), links=_links(actor),
        is_admin=actor.role == ADMIN)


@bp.route("/map/data.json")
@login_required_page
def data():
    """The page script's data; a refusal answers JSON (the error's status, code, field and message)."""
    actor = require_actor()
    try:
        filters = service.read_filters(request.args)
        answer = service.map_data(engine(), actor, request_today(), **filters)
    except DomainError as e:
        return jsonify(error_body(e.status, e.code, e.message, e.field, message_code=e.message_code,
                                  params=e.params or None)), e.status
    setting = tiles.read(engine())
    answer["tiles"] = {"url": setting.url, "attribution": setting.attribution,
                       "labels": setting.labels_url or None} if setting.url else None
    return jsonify(answer)


def _links(actor) -> dict:
    """URL prefixes the script appends a code or number to (the popups' links)."""
    return {"depot": url_for("inventory.depot", code="X")[:-1],
            "order": url_for("orders.order", code="X")[:-1],
            "incident": url_for("dispatch.incident", incident_id=1)[:-1] if actor.role in service.INCIDENT_READERS
            else None,
            "shelter": url_for("dispatch.admin_shelter_edit", code="X")[:-1] if actor.role == ADMIN else None}


def _script_messages() -> dict:
    return {
        "tier": {t: inventory_vocab.label("tier", t) for t in TIERS},
        "level": {lv: dispatch_label("level", lv) for lv in ("I", "II", "III", "IV")},
        "units": _("Units on hand"), "sufficiency": _("Reserve sufficiency"), "noTarget": _("No reserve target"),
        "shelter": _("Shelter"), "capacity": _("Capacity (people)"), "affected": _("An affected site"),
        "site": _("Incident site"), "people": _("Displaced people"), "fill": _("Lowest fill rate"),
        "noPlan": _("No plan yet"), "line": _("Planned allocation"), "order": _("Order in transit"),
        "inTransit": _("Units in transit"), "state": {"shipped": _("Shipped"), "partly_received": _("Partly received")},
        "openDepot": _("Open the depot"), "openSite": _("Open the site on the incident page"),
        "openOrder": _("Open the order"), "openShelter": _("Open the shelter"), "route": _("Vehicle route"),
        "routeState": {"planned": _("Planned"), "locked": _("Locked"), "active": _("On its way"),
                       "done": _("Everything received")},
        "routeStops": _("Stops"),
        "failed": _("The map's data could not be loaded. Reload the page to try again."),
        "empty": _("Nothing to show with these filters."),
        "incident": _("Incident"), "planned": _("Units planned"), "fromTo": _("From → to"), "orderState": _("State"),
        "tierLabel": _("Tier"),
        "unplaced": _("Not on the map for want of coordinates: %(depots)s depots, %(sites)s sites, %(lines)s planned "
                      "lines, %(orders)s orders.", depots="{depots}", sites="{sites}", lines="{lines}",
                      orders="{orders}"),
        "incidentsMore": _("Only the %(num)s newest incidents are drawn: choose an older one in the filter.",
                           num=service.NEWEST_INCIDENTS),
    }


@bp.route("/static/vendor/leaflet/<path:name>")
def vendor_file(name: str):
    """Leaflet from npm. Public like the rest of /static/."""
    return scan_vendor.send(vendor.path(name), name, vendor.MIMETYPES)


# ---------------------------------------------------------------- the tile server (administrators)


class TilesForm(FlaskForm):
    url = StringField("url")
    attribution = StringField("attribution")
    labels_url = StringField("labels_url")


@bp.route("/admin/map-tiles", methods=["GET", "POST"])
@login_required_page
def tile_settings():
    actor = require_actor()
    actor.require_role(*service.INCIDENT_READERS)
    current = tiles.read(engine())
    status = 200
    if request.method == "POST":
        actor.require_role(ADMIN)
        form = TilesForm()
        if form.validate():
            try:
                tiles.save(engine(), actor, form.url.data or "", form.attribution.data or "",
                           form.labels_url.data or "")
            except DomainError as e:
                if e.status == 403:
                    raise
                for problem in e.details.get("problems") or [{"field": e.field, "message_code": e.message_code,
                                                              "params": e.params, "message": e.message}]:
                    field = getattr(form, problem.get("field") or "url", form.url)
                    field.errors = list(field.errors) + [translated_message(
                        problem.get("message_code"), problem.get("params") or {}, problem.get("message"))]
            else:
                flash(_("The map's tile server is saved.") if form.url.data.strip() else
                      _("No tile server: the map draws on a plain background."), "success")
                return redirect(url_for(".tile_settings"))
        status = 422
    else:
        form = TilesForm(formdata=None, url=current.url, attribution=current.attribution,
                         labels_url=current.labels_url)
    return render_template("map_tiles.html", form=form, current=current, can_edit=actor.role == ADMIN), status
