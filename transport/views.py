"""HTML pages of transport, a thin edge over ``transport.fleet`` and ``transport.incident_routes``:

    /admin/vehicles                  GET/POST  the fleet register and the form to add a vehicle (administrators add;
                                               dispatchers and auditors read)
    /admin/vehicles/<plate>          GET/POST  one vehicle's form (administrators)
    /admin/vehicles/<plate>/status       POST  its availability (administrators, dispatchers)
    /incidents/<id>/routes                GET  vehicles called in, each route's ordered stops with arrival times,
                                               unserved stops with the reason
    /incidents/<id>/routes/problem.json   GET  the routing-problem/1 document (download)
    /incidents/<id>/routes/call-in       POST  call vehicles in;  …/plan POST plan (again);  …/move POST move a
                                               stop;  …/lock POST lock or unlock a route (dispatchers, administrators)

Every form carries the CSRF token; a refused form comes back with status 422 and the message beside its field,
nothing stored."""
import json
from decimal import Decimal

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, FloatField, HiddenField, IntegerField, SelectField,
                     SelectMultipleField, StringField)
from wtforms.validators import InputRequired, Length, Optional

from accounts.auth import login_required_page, require_actor
from common.actor import ADMIN, Actor
from common.errors import DomainError
from common.http import translated_message
from common.web import engine, request_now
from dispatch import incidents
from inventory import queries
from orders import waybill
from transport import fleet, incident_routes
from transport.models import VEHICLE_KINDS, VEHICLE_STATES
from transport.vocab import ERROR_MESSAGES, KINDS, REASONS, STATES

bp = Blueprint("transport", __name__)

FIELDS = ("plate", "kind", "capacity_kg", "capacity_m3", "home_depot", "note", "partner_name", "contract_number",
          "partner_vehicles", "arrival_minutes", "owner", "requisitioned_on", "approved_by", "compensation_yuan",
          "settled_on", "settlement_note")


def time_limit() -> int:
    """Seconds the route planner may take (ROUTE_TIME_LIMIT_SECONDS, default 5): it returns its best plan by then."""
    return int(current_app.config.get("ROUTE_TIME_LIMIT_SECONDS", 5))


def _actor(*roles) -> Actor:
    actor = require_actor()
    actor.require_role(*roles)
    return actor


def _message(e: DomainError) -> str:
    return translated_message(e.message_code, e.params, e.message)


def _depot_choices():
    return [(d["code"], f"{d['code']} · {d['name']}") for d in queries.list_depots(engine(), require_actor())
            if not d.get("closed_at")]


class VehicleForm(FlaskForm):
    plate = StringField("plate", validators=[InputRequired(), Length(max=32)])
    kind = SelectField("kind", choices=lambda: [(k, str(KINDS[k])) for k in VEHICLE_KINDS])
    capacity_kg = FloatField("capacity_kg", validators=[InputRequired()])
    capacity_m3 = FloatField("capacity_m3", validators=[InputRequired()])
    home_depot = SelectField("home_depot", choices=_depot_choices)
    note = StringField("note", validators=[Optional(), Length(max=200)])
    partner_name = StringField("partner_name", validators=[Optional(), Length(max=100)])
    contract_number = StringField("contract_number", validators=[Optional(), Length(max=50)])
    partner_vehicles = IntegerField("partner_vehicles", validators=[Optional()])
    arrival_minutes = IntegerField("arrival_minutes", validators=[Optional()])
    owner = StringField("owner", validators=[Optional(), Length(max=100)])
    requisitioned_on = DateField("requisitioned_on", validators=[Optional()])
    approved_by = StringField("approved_by", validators=[Optional(), Length(max=100)])
    compensation_yuan = DecimalField("compensation_yuan", places=2, validators=[Optional()])
    settled_on = DateField("settled_on", validators=[Optional()])
    settlement_note = StringField("settlement_note", validators=[Optional(), Length(max=200)])

    def values(self) -> fleet.VehicleFields:
        return fleet.VehicleFields(**{name: getattr(self, name).data for name in FIELDS})

    def place(self, e: DomainError) -> bool:
        """Puts a refusal (or each of its problems) beside its field; False when one names no field here."""
        problems = e.details.get("problems") or [{"field": e.field, "message_code": e.message_code,
                                                  "params": e.params, "message": e.message}]
        placed = True
        for p in problems:
            field = getattr(self, p.get("field") or "", None)
            if field is None or p.get("field") not in FIELDS:
                placed = False
                continue
            field.errors = [*field.errors, translated_message(p.get("message_code"), p.get("params"), p["message"])]
        return placed


class StatusForm(FlaskForm):
    status = SelectField("status", choices=lambda: [(k, str(STATES[k])) for k in VEHICLE_STATES])


def _register_page(actor: Actor, form: VehicleForm | None, status: int = 200):
    return render_template("vehicles.html", vehicles=fleet.list_vehicles(engine(), actor), form=form,
                           kinds=KINDS, states=STATES), status


@bp.route("/admin/vehicles", methods=["GET", "POST"])
@login_required_page
def vehicles():
    if request.method == "GET":
        actor = _actor(*fleet.READERS)
        form = VehicleForm(formdata=None) if actor.role == ADMIN else None
        return _register_page(actor, form)
    actor = _actor(ADMIN)
    form = VehicleForm()
    if form.validate():
        try:
            made = fleet.create_vehicle(engine(), actor, form.values(), request_now())
        except DomainError as e:
            if e.status == 403 or not form.place(e):
                raise
        else:
            flash(_("Vehicle %(plate)s is registered.", plate=made["plate"]), "success")
            return redirect(url_for(".vehicles"))
    return _register_page(actor, form, 422)


@bp.route("/admin/vehicles/<plate>", methods=["GET", "POST"])
@login_required_page
def vehicle(plate: str):
    actor = _actor(ADMIN)
    current = fleet.get_vehicle(engine(), actor, plate)
    status = 200
    if request.method == "GET":
        data = {**current, "compensation_yuan": None if current["compensation_fen"] is None
                else Decimal(current["compensation_fen"]) / 100}
        form = VehicleForm(formdata=None, **{k: data.get(k) for k in FIELDS})
    else:
        form = VehicleForm()
        if form.validate():
            try:
                saved = fleet.update_vehicle(engine(), actor, plate, form.values(), request_now())
            except DomainError as e:
                if e.status == 403 or not form.place(e):
                    raise
            else:
                flash(_("Vehicle %(plate)s is saved.", plate=saved["plate"]), "success")
                return redirect(url_for(".vehicles"))
        status = 422
    return render_template("vehicle.html", vehicle=current, form=form, status_form=StatusForm(status=current["status"]),
                           kinds=KINDS, states=STATES), status


@bp.route("/admin/vehicles/<plate>/status", methods=["POST"])
@login_required_page
def vehicle_status(plate: str):
    actor = _actor(*fleet.CALLERS)
    form = StatusForm()
    if not form.validate():
        flash(_("The form expired: send it again."), "error")
        return redirect(url_for(".vehicles"))
    done = fleet.set_status(engine(), actor, plate, form.status.data, request_now())
    message = _("Vehicle %(plate)s: %(state)s.", plate=done["plate"], state=STATES[done["status"]])
    if done["released_stops"]:
        message += " " + _("%(num)s unstarted stops go back to planning.", num=len(done["released_stops"]))
    flash(message, "success")
    back = request.form.get("next") or ""
    return redirect(back if back.startswith("/") and not back.startswith("//") else url_for(".vehicles"))


# ---------------------------------------------------------------- an incident's vehicles and routes


class CallInForm(FlaskForm):
    plates = SelectMultipleField("plates", choices=[], validate_choice=False)
    depot = SelectField("depot", choices=[], validate_choice=False)


class PlanForm(FlaskForm):
    pass


class MoveForm(FlaskForm):
    stop = HiddenField("stop")
    vehicle = SelectField("vehicle", choices=[], validate_choice=False)


class LockForm(FlaskForm):
    vehicle = HiddenField("vehicle")
    locked = BooleanField("locked")


def _routes_page(actor: Actor, incident_id: int, *, errors: dict | None = None, status: int = 200):
    eng = engine()
    incident = incidents.get(eng, actor, incident_id)
    data = incident_routes.routes(eng, actor, incident_id, request_now())
    called = {v["plate"] for v in data["vehicles"]}
    available = [v for v in fleet.list_vehicles(eng, actor) if v["plate"] not in called
                 and v["status"] != "out_of_service"]
    can_plan = actor.role in incident_routes.PLANNERS
    call_form = CallInForm(formdata=None)
    call_form.depot.choices = [("", _("Each vehicle's home depot"))] + _depot_choices()
    return render_template("incident_routes.html", incident=incident, routes=data, available=available,
                           can_plan=can_plan, call_form=call_form, form=PlanForm(formdata=None), kinds=KINDS,
                           states=STATES, reasons=REASONS, errors=errors or {}), status


@bp.route("/incidents/<int:incident_id>/routes")
@login_required_page
def routes(incident_id: int):
    return _routes_page(_actor(*incident_routes.READERS), incident_id)


@bp.route("/incidents/<int:incident_id>/routes/problem.json")
@login_required_page
def routes_problem(incident_id: int):
    doc = incident_routes.problem(engine(), _actor(*incident_routes.READERS), incident_id, request_now(),
                                  time_limit())
    return Response(json.dumps(doc, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="routing-problem-{incident_id}.json"'})


def _post(incident_id: int, form_class, work, done_message):
    actor = _actor(*incident_routes.PLANNERS)
    form = form_class()
    if not form.validate():
        return _routes_page(actor, incident_id, errors={"form": _("The form expired: send it again.")}, status=422)
    try:
        work(actor, form)
    except DomainError as e:
        if e.status == 403:
            raise
        messages = [translated_message(p.get("message_code"), p.get("params"), p["message"])
                    for p in e.details.get("problems") or []] or [_message(e)]
        return _routes_page(actor, incident_id, errors={"form": "；".join(messages)}, status=422)
    flash(done_message(form), "success")
    return redirect(url_for(".routes", incident_id=incident_id))


@bp.route("/incidents/<int:incident_id>/routes/call-in", methods=["POST"])
@login_required_page
def call_in(incident_id: int):
    return _post(incident_id, CallInForm,
                 lambda actor, f: fleet.call_in(engine(), actor, incident_id, f.plates.data or [], request_now(),
                                                depot=f.depot.data or None),
                 lambda f: _("%(num)s vehicles called in.", num=len(f.plates.data or [])))


@bp.route("/incidents/<int:incident_id>/routes/plan", methods=["POST"])
@login_required_page
def plan(incident_id: int):
    return _post(incident_id, PlanForm,
                 lambda actor, f: incident_routes.plan(engine(), actor, incident_id, request_now(),
                                                       time_limit_seconds=time_limit()),
                 lambda f: _("Routes planned. Locked routes and stops already on their way were kept."))


@bp.route("/incidents/<int:incident_id>/routes/move", methods=["POST"])
@login_required_page
def move(incident_id: int):
    return _post(incident_id, MoveForm,
                 lambda actor, f: incident_routes.move_stop(engine(), actor, incident_id, f.stop.data or "",
                                                            f.vehicle.data or "", request_now()),
                 lambda f: _("Stop %(stop)s moved to %(plate)s.", stop=f.stop.data, plate=f.vehicle.data))


@bp.route("/incidents/<int:incident_id>/routes/lock", methods=["POST"])
@login_required_page
def lock(incident_id: int):
    return _post(incident_id, LockForm,
                 lambda actor, f: incident_routes.set_locked(engine(), actor, incident_id, f.vehicle.data or "",
                                                             f.locked.data, request_now()),
                 lambda f: (_("Route of %(plate)s locked.", plate=f.vehicle.data) if f.locked.data
                            else _("Route of %(plate)s unlocked.", plate=f.vehicle.data)))


@bp.record_once
def _register(state) -> None:
    state.app.extensions.setdefault("error_messages", {}).update(ERROR_MESSAGES)
    state.app.jinja_env.globals.update(vehicle_kind=lambda k: KINDS.get(k, k), vehicle_state=lambda s: STATES.get(s, s),
                                       stop_reason=lambda r: REASONS.get(r, r))
    if incident_routes.plates_of_order not in waybill.vehicle_readers:
        waybill.vehicle_readers.append(incident_routes.plates_of_order)
