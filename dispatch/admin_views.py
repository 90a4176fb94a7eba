"""The administrator's pages for the planning rules: response levels, per-capita norms (versioned),
reserve floors, shelters, imported travel times and planning settings.

Thin edges over ``dispatch.settings``, the services the JSON API uses. Administrators, dispatchers and
auditors read; only administrators change: a POST from anyone else is a 403 before its form is read,
and the services check the role again. A rejected form comes back with status 422, each message next
to its field in the page's language (by the service's message code), and nothing stored (each service
is one transaction).

Travel times: the import is the importer of the API's ``PUT /api/v1/travel-times.csv``
(``dispatch.importers``); listing the imported times and removing them all are small queries here, as no
service offers them yet.
"""
import math
import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, FieldList, FloatField, FormField, IntegerField, SelectField, SelectMultipleField, StringField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation

from accounts.auth import login_required_page, require_actor
from common.actor import ADMIN, Actor
from common.errors import DomainError, NotFound
from common.limits import MAX_INT
from common.web import engine, request_now
from dispatch import importers, settings, travel_times
from dispatch.models import LEVELS, NORM_BASES
from dispatch.norms import LevelRule, NormRule
from dispatch.views import READERS, _add_errors, _type_choices, bp, error_text, error_text_of, error_texts
from dispatch.vocab import SETTINGS, dispatch_label
from inventory import queries
from inventory.views import item_name


def _reader() -> Actor:
    actor = require_actor()
    actor.require_role(*READERS)
    return actor


def _admin() -> Actor:
    actor = require_actor()
    actor.require_role(ADMIN)
    return actor


class Number:
    """After InputRequired: stops at a value that is not a number (its message is already there) and at
    "nan" or "inf", which FloatField reads as numbers, so that a range check adds no second message."""

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()
        if field.data is not None and not math.isfinite(field.data):
            raise StopValidation(_("Enter a number."))


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _place(e: DomainError, fields: dict[str, object]) -> bool:
    """Puts a service's complaints next to the fields they name (``fields``: service field → form field), every
    one of them when it names several; False when one names none of them."""
    problems = e.details.get("problems") if e.message_code == "lines_invalid" else None
    if not problems:
        target = fields.get(e.field or "")
        if target is None:
            return False
        _add_errors(target, [error_text(e)])
        return True
    targets = [fields.get(p.get("field") or "") for p in problems]
    if any(t is None for t in targets):
        return False
    for target, problem in zip(targets, problems):
        _add_errors(target, [error_text_of(problem)])
    return True


def _item_choices():
    return [(i["code"], f"{i['code']} · {item_name(i)}") for i in queries.list_items(engine())]


def _number(value: float) -> str:
    """A number as typed into a form: 10 rather than 10.0, 12500000 rather than 1.25e+07, at most six
    decimals."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- overview


@bp.route("/admin/planning")
@login_required_page
def admin_index():
    actor = _reader()
    eng = engine()
    versions = settings.list_norm_versions(eng)
    return render_template("admin_index.html", levels=settings.read_levels(eng), versions=versions[:1],
                           version_count=len(versions), floors=len(settings.list_floors(eng)),
                           shelters=len(settings.list_shelters(eng)), values=settings.read_settings(eng),
                           travel_overrides=travel_times.count(eng), can_edit=actor.role == ADMIN)


# ---------------------------------------------------------------- response levels


class LevelRow(FlaskForm):
    """One level's row of the levels form (a FlaskForm for its translated messages; the CSRF token is the
    outer form's)."""

    class Meta:
        csrf = False

    min_people = IntegerField("min_people", validators=[InputRequired(), Number(),
                                                        NumberRange(min=0, max=1_000_000_000)])
    time_target_hours = FloatField("time_target_hours", validators=[InputRequired(), Number(),
                                                                     NumberRange(min=0, max=720)])
    floor_draw_percent = FloatField("floor_draw_percent", validators=[InputRequired(), Number(),
                                                                       NumberRange(min=0, max=100)])
    mutual_aid = BooleanField("mutual_aid")


class LevelsForm(FlaskForm):
    levels = FieldList(FormField(LevelRow), min_entries=len(LEVELS), max_entries=len(LEVELS))


def _level_rows(rules: list[dict]) -> list[dict]:
    return [{"min_people": r["min_people"], "time_target_hours": _number(r["time_target_minutes"] / 60),
             "floor_draw_percent": _number(r["floor_draw"] * 100), "mutual_aid": r["mutual_aid"]} for r in rules]


@bp.route("/admin/levels", methods=["GET", "POST"])
@login_required_page
def admin_levels():
    actor = _reader() if request.method == "GET" else _admin()
    eng = engine()
    rules = settings.read_levels(eng)
    form, status = None, 200
    if actor.role == ADMIN and request.method == "GET":
        form = LevelsForm(formdata=None, levels=_level_rows(rules))
    elif request.method == "POST":
        form = LevelsForm()
        if form.validate():
            new = [LevelRule(level, row.min_people.data, round(row.time_target_hours.data * 60),
                             round(row.floor_draw_percent.data / 100, 6), bool(row.mutual_aid.data))
                   for level, row in zip(LEVELS, form.levels)]
            try:
                settings.replace_levels(eng, actor, new)
            except DomainError as e:
                if e.status == 403 or not _level_message(form, e):
                    raise
            else:
                flash(_("The response levels are saved. Plans made from now on follow them."), "success")
                return redirect(url_for(".admin_levels"))
        status = 422
    return render_template("admin_levels.html", rules=rules, form=form, rejected=status == 422), status


def _level_message(form: LevelsForm, e: DomainError) -> bool:
    """Each of the service's complaints next to the level's field it names (all of them at once)."""
    problems = e.details.get("problems") if e.message_code == "lines_invalid" else None
    for problem in problems or [{"field": e.field, "message": e.message, "message_code": e.message_code,
                                 "params": e.params}]:
        match = re.fullmatch(r"levels\[(\d)\]\.(\w+)", problem.get("field") or "")
        row = form.levels[int(match.group(1))] if match else None
        field = {"min_people": row.min_people, "time_target_minutes": row.time_target_hours,
                 "floor_draw": row.floor_draw_percent}.get(match.group(2)) if row else None
        if field is not None:
            _add_errors(field, [error_text_of(problem)])
        elif problem.get("field") == "levels":
            form.form_errors.append(error_text_of(problem))
        else:
            return False
    return True


# ---------------------------------------------------------------- norms, versioned


class NormForm(FlaskForm):
    item = SelectField("item", choices=_item_choices)
    basis = SelectField("basis", choices=lambda: [(b, dispatch_label("norm_basis", b)) for b in NORM_BASES])
    quantity = FloatField("quantity", validators=[InputRequired(), Number()])
    per_day = BooleanField("per_day")
    incident_types = MultiCheckboxField("incident_types", choices=lambda: [("all", _("All types"))] + _type_choices())
    levels = MultiCheckboxField("levels", choices=lambda: [(lv, dispatch_label("level", lv)) for lv in LEVELS])
    source = StringField("source", validators=[Optional(), Length(max=300)])
    note = StringField("note", validators=[Optional(), Length(max=200)])


class NormChangeForm(FlaskForm):
    """Taking a norm out, or restoring an earlier version: only a note."""

    note = StringField("note", validators=[Optional(), Length(max=200)])


@bp.route("/admin/norms")
@login_required_page
def admin_norms():
    return _norms_page(_reader(), request.args.get("version", type=int))


def _norms_page(actor: Actor, version: int | None, restore_form: NormChangeForm | None = None, status: int = 200):
    eng = engine()
    shown = settings.read_norms(eng, version)
    versions = settings.list_norm_versions(eng)
    if actor.role == ADMIN and restore_form is None:
        restore_form = NormChangeForm(prefix="restore", formdata=None)
    return render_template("admin_norms.html", shown=shown, versions=versions,
                           shown_version=next((v for v in versions if v["version"] == shown["version"]), None),
                           items={i["code"]: i for i in queries.list_items(eng)}, can_edit=actor.role == ADMIN,
                           restore_form=restore_form), status


@bp.route("/admin/norms/edit", methods=["GET", "POST"])
@login_required_page
def admin_norm_edit():
    actor = _admin()
    eng = engine()
    if request.method == "GET":
        item = request.args.get("item", "")
        norm = {n["item"]: n for n in settings.read_norms(eng)["norms"]}.get(item)
        if norm:
            form = NormForm(formdata=None, **{**norm, "quantity": _number(norm["quantity"]),
                                              "source": norm["source"] or ""})
        else:
            form = NormForm(formdata=None, item=item or None, basis="person", incident_types=["all"],
                            levels=list(LEVELS))
        return _norm_edit_page(form)
    form = NormForm()
    if form.validate():
        rule = NormRule(form.item.data, form.basis.data, form.quantity.data, bool(form.per_day.data),
                        tuple(form.incident_types.data or ()), tuple(form.levels.data or ()),
                        (form.source.data or "").strip() or None)
        try:
            version = settings.change_norm(eng, actor, form.item.data, rule, form.note.data, request_now())
        except DomainError as e:
            fields = {"item": form.item, "note": form.note,
                      **{f"norms[0].{name}": getattr(form, name)
                         for name in ("basis", "quantity", "incident_types", "levels", "source")}}
            if e.status == 403 or not _place(e, fields):
                raise
        else:
            flash(_("Norms version %(version)s is saved and is now the current one.", version=version), "success")
            return redirect(url_for(".admin_norms"))
    return _norm_edit_page(form, status=422)


def _norm_edit_page(form: NormForm, remove_form: NormChangeForm | None = None, status: int = 200):
    item = form.item.data
    current = {n["item"]: n for n in settings.read_norms(engine())["norms"]}
    return render_template("admin_norm_edit.html", form=form, existing=current.get(item) if item else None,
                           remove_form=remove_form or NormChangeForm(prefix="remove", formdata=None)), status


@bp.route("/admin/norms/remove", methods=["POST"])
@login_required_page
def admin_norm_remove():
    actor = _admin()
    form = NormChangeForm(prefix="remove")
    item = request.form.get("item", "")
    if form.validate():
        version = settings.change_norm(engine(), actor, item, None, form.note.data, request_now())
        flash(_("The norm for %(item)s is taken out in norms version %(version)s, now the current one.", item=item,
                version=version), "success")
        return redirect(url_for(".admin_norms"))
    norm = {n["item"]: n for n in settings.read_norms(engine())["norms"]}.get(item) or {"item": item}
    edit = NormForm(formdata=None, **{**norm, "quantity": _number(norm.get("quantity") or 0)})
    return _norm_edit_page(edit, remove_form=form, status=422)


@bp.route("/admin/norms/versions/<int:version_id>/restore", methods=["POST"])
@login_required_page
def admin_norm_restore(version_id: int):
    actor = _admin()
    form = NormChangeForm(prefix="restore")
    if not form.validate():
        return _norms_page(actor, version_id, restore_form=form, status=422)
    note = form.note.data or _("Restored from version %(version)s", version=version_id)
    version = settings.restore_norm_version(engine(), actor, version_id, note, request_now())
    flash(_("The norms of version %(old)s are current again, as version %(version)s.", old=version_id,
            version=version), "success")
    return redirect(url_for(".admin_norms"))


# ---------------------------------------------------------------- reserve floors


class FloorForm(FlaskForm):
    depot = StringField("depot", validators=[InputRequired(), Length(max=32)])
    item = SelectField("item", choices=_item_choices)
    quantity = IntegerField("quantity", validators=[InputRequired(), Number(), NumberRange(max=MAX_INT)])


class FloorImportForm(FlaskForm):
    file = FileField("file", validators=[FileRequired()])


@bp.route("/admin/floors", methods=["GET", "POST"])
@login_required_page
def admin_floors():
    actor = _reader() if request.method == "GET" else _admin()
    floor_form, status = None, 200
    if request.method == "POST":
        floor_form = FloorForm(prefix="floor")
        if floor_form.validate():
            depot = floor_form.depot.data.strip()
            try:
                settings.set_floor(engine(), actor, depot, floor_form.item.data, floor_form.quantity.data)
            except DomainError as e:
                fields = {"depot": floor_form.depot, "item": floor_form.item, "quantity": floor_form.quantity}
                if e.status == 403 or not _place(e, fields):
                    raise
            else:
                flash(_("The floor of %(item)s at %(depot)s is now %(quantity)s.", item=floor_form.item.data,
                        depot=depot, quantity=floor_form.quantity.data), "success")
                return redirect(url_for(".admin_floors", depot=depot))
        status = 422
    return _floors_page(actor, floor_form=floor_form, status=status)


@bp.route("/admin/floors/import", methods=["POST"])
@login_required_page
def admin_floors_import():
    actor = _admin()
    form = FloorImportForm(prefix="import")
    if form.validate():
        try:
            count = settings.import_floors(engine(), actor, form.file.data.read())
        except DomainError as e:
            if e.status == 403 or not (e.field == "file" or (e.field or "").startswith("row ")):
                raise
            _add_errors(form.file, error_texts(e))
        else:
            flash(_("%(num)s floors imported from the file.", num=count), "success")
            return redirect(url_for(".admin_floors"))
    return _floors_page(actor, import_form=form, status=422)


def _floors_page(actor: Actor, *, floor_form: FloorForm | None = None, import_form: FloorImportForm | None = None,
                 status: int = 200):
    eng = engine()
    depot_filter = request.args.get("depot") or None
    floors = settings.list_floors(eng)
    depots = {d["code"]: d for d in queries.list_depots(eng, actor)}
    items = {i["code"]: i for i in queries.list_items(eng)}
    with_floors = sorted({f["depot"] for f in floors})
    shown = [f for f in floors if depot_filter in (None, f["depot"])]
    if actor.role == ADMIN:
        floor_form = floor_form or FloorForm(prefix="floor", formdata=None, depot=depot_filter)
        import_form = import_form or FloorImportForm(prefix="import", formdata=None)
    return render_template("admin_floors.html", floors=shown, total=len(floors), depots=depots, items=items,
                           with_floors=with_floors, depot_filter=depot_filter, floor_form=floor_form,
                           import_form=import_form), status


# ---------------------------------------------------------------- shelters


def _town_choices():
    towns = queries.list_depots(engine(), require_actor(), tier="town")
    return [(d["code"], f"{d['code']} · {d['name']}") for d in towns]


class ShelterFields(FlaskForm):
    name = StringField("name", validators=[InputRequired(), Length(max=100)])
    town = SelectField("town", choices=_town_choices)
    lat = FloatField("lat", validators=[InputRequired(), Number(), NumberRange(min=-90, max=90)])
    lon = FloatField("lon", validators=[InputRequired(), Number(), NumberRange(min=-180, max=180)])
    capacity = IntegerField("capacity", validators=[Optional(), Number(), NumberRange(min=0), NumberRange(max=MAX_INT)])
    address = StringField("address", validators=[Optional(), Length(max=200)])

    def values(self) -> dict:
        return {"name": self.name.data.strip(), "town": self.town.data, "lat": self.lat.data, "lon": self.lon.data,
                "capacity": self.capacity.data, "address": (self.address.data or "").strip() or None}

    def place(self, e: DomainError) -> bool:
        return _place(e, {name: getattr(self, name) for name in
                                ("code", "name", "town", "lat", "lon", "capacity", "address") if hasattr(self, name)})


class ShelterForm(ShelterFields):
    code = StringField("code", validators=[InputRequired(), Length(max=32)])


@bp.route("/admin/shelters", methods=["GET", "POST"])
@login_required_page
def admin_shelters():
    actor = _reader() if request.method == "GET" else _admin()
    form, status = None, 200
    if request.method == "POST":
        form = ShelterForm(prefix="shelter")
        if form.validate():
            try:
                settings.create_shelter(engine(), actor, code=form.code.data.strip(), **form.values())
            except DomainError as e:
                if e.status == 403 or not form.place(e):
                    raise
            else:
                flash(_("Shelter %(code)s is added; incidents may name it as an affected site.",
                        code=form.code.data.strip()), "success")
                return redirect(url_for(".admin_shelters"))
        status = 422
    elif actor.role == ADMIN:
        form = ShelterForm(prefix="shelter", formdata=None)
    return render_template("admin_shelters.html", shelters=settings.list_shelters(engine()), form=form,
                           towns={d["code"]: d for d in queries.list_depots(engine(), actor, tier="town")}), status


@bp.route("/admin/shelters/<code>", methods=["GET", "POST"])
@login_required_page
def admin_shelter_edit(code: str):
    actor = _admin()
    shelter = next((s for s in settings.list_shelters(engine()) if s["code"] == code), None)
    if shelter is None:
        raise NotFound(f"no shelter with code {code}", field="code", message_code="shelter_unknown",
                       params={"code": code})
    status = 200
    if request.method == "GET":
        form = ShelterFields(prefix="shelter", formdata=None, **{k: v for k, v in shelter.items() if k != "code"})
    else:
        form = ShelterFields(prefix="shelter")
        if form.validate():
            try:
                settings.update_shelter(engine(), actor, code, **form.values())
            except DomainError as e:
                if e.status == 403 or not form.place(e):
                    raise
            else:
                flash(_("Shelter %(code)s is saved.", code=code), "success")
                return redirect(url_for(".admin_shelters"))
        status = 422
    return render_template("admin_shelter_edit.html", shelter=shelter, form=form), status


# ---------------------------------------------------------------- planning settings

WHOLE_SETTINGS = ("days", "min_shelf_days", "fair_share_steps", "handling_minutes")
SETTING_GROUPS = (
    ("plans", ("days", "household_size", "min_shelf_days", "fair_share_steps")),
    ("travel", ("detour_factor", "speed_county_kmh", "speed_town_kmh", "speed_village_kmh", "handling_minutes")),
    ("vehicles", ("vehicle_capacity_kg", "vehicle_capacity_m3")),
)


class SettingsForm(FlaskForm):
    pass


for _setting in SETTINGS:
    _kind = IntegerField if _setting in WHOLE_SETTINGS else FloatField
    setattr(SettingsForm, _setting, _kind(_setting, validators=[InputRequired(), Number()]))


@bp.route("/admin/settings", methods=["GET", "POST"])
@login_required_page
def admin_settings():
    actor = _reader() if request.method == "GET" else _admin()
    eng = engine()
    values = settings.read_settings(eng)
    form, status = None, 200
    if request.method == "POST":
        form = SettingsForm()
        if form.validate():
            changes = {name: getattr(form, name).data for name in SETTINGS if getattr(form, name).data != values[name]}
            if not changes:
                flash(_("Nothing was changed."), "info")
                return redirect(url_for(".admin_settings"))
            try:
                settings.update_settings(eng, actor, changes)
            except DomainError as e:
                if e.status == 403 or not _place(e, {name: getattr(form, name) for name in SETTINGS}):
                    raise
            else:
                flash(_("The planning settings are saved. Plans made from now on use them."), "success")
                return redirect(url_for(".admin_settings"))
        status = 422
    elif actor.role == ADMIN:
        form = SettingsForm(formdata=None,
                            **{k: (_number(v) if isinstance(v, float) else v) for k, v in values.items()})
    return render_template("admin_settings.html", values=values, form=form, groups=SETTING_GROUPS), status


# ---------------------------------------------------------------- travel times

TRAVEL_SETTINGS = ("detour_factor", "speed_county_kmh", "speed_town_kmh", "speed_village_kmh", "handling_minutes")


class TravelImportForm(FlaskForm):
    file = FileField("file", validators=[FileRequired()])


class TravelClearForm(FlaskForm):
    confirm = BooleanField("confirm", validators=[
        DataRequired(_l("Tick the box to confirm that every imported travel time is removed."))])


@bp.route("/admin/travel")
@login_required_page
def admin_travel():
    return _travel_page(_reader())


@bp.route("/admin/travel/import", methods=["POST"])
@login_required_page
def admin_travel_import():
    """The file goes to the importer the API's PUT /api/v1/travel-times.csv uses: it replaces every imported
    time, all rows or none."""
    actor = _admin()
    form = TravelImportForm(prefix="import")
    if form.validate():
        try:
            count = importers.import_travel_times(engine(), actor, form.file.data.read())
        except DomainError as e:
            if e.status == 403 or not (e.field == "file" or (e.field or "").startswith("row ")):
                raise
            _add_errors(form.file, error_texts(e))
        else:
            flash(_("%(num)s travel times imported from the file; they replace the ones imported before.", num=count),
                  "success")
            return redirect(url_for(".admin_travel"))
    return _travel_page(actor, import_form=form, status=422)


@bp.route("/admin/travel/clear", methods=["POST"])
@login_required_page
def admin_travel_clear():
    actor = _admin()
    form = TravelClearForm(prefix="clear")
    if not form.validate():
        return _travel_page(actor, clear_form=form, status=422)
    count = travel_times.clear(engine(), actor)
    if count:
        flash(_("All %(num)s imported travel times are removed: plans made from now on estimate every route from "
                "coordinates.", num=count), "success")
    else:
        flash(_("There were no imported travel times to remove."), "info")
    return redirect(url_for(".admin_travel"))


def _travel_page(actor: Actor, *, import_form: TravelImportForm | None = None,
                 clear_form: TravelClearForm | None = None, status: int = 200):
    eng = engine()
    depot_filter = (request.args.get("depot") or "").strip() or None
    site_filter = (request.args.get("site") or "").strip() or None
    values = settings.read_settings(eng)
    total, matching, page, pages, rows = travel_times.page(eng, settings.PlanningSettings(**values), depot_filter,
                                                            site_filter, request.args.get("page", type=int) or 1)
    if actor.role == ADMIN:
        import_form = import_form or TravelImportForm(prefix="import", formdata=None)
        clear_form = clear_form or TravelClearForm(prefix="clear", formdata=None)
    return render_template("admin_travel.html", values=values, setting_names=TRAVEL_SETTINGS, total=total,
                           matching=matching, rows=rows, page=page, pages=pages, depot_filter=depot_filter,
                           site_filter=site_filter, import_form=import_form, clear_form=clear_form), status
