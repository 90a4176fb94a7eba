"""The administrators' pages for the depot tree and the item catalog: add a depot, rename, move and close one;
add, edit and delete items; the latest changes. Thin edges over ``inventory.catalog_admin`` on the
administrators' blueprint (``accounts.admin_views.bp``): administrators only, a rejected form answers 422 with
each message next to its field in the page's language and nothing stored."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from accounts import admin
from accounts.admin_views import _admin, _place, bp
from accounts.auth import login_required_page
from common.errors import DomainError
from common.http import translated_message
from common.web import engine, request_now
from inventory import catalog_admin
from inventory.catalog import DepotFields, ItemFields
from inventory.models import CATEGORIES, DEPOT_KINDS, KITS, TIERS
from inventory.vocab import label


# ---------------------------------------------------------------- depots


class DepotForm(FlaskForm):
    code = StringField("code", validators=[DataRequired(), Length(max=32)])
    name = StringField("name", validators=[DataRequired(), Length(max=100)])
    tier = SelectField("tier", choices=lambda: [(t, label("tier", t)) for t in TIERS], default="village")
    kind = SelectField("kind", choices=lambda: [(k, label("depot_kind", k)) for k in DEPOT_KINDS])
    parent = StringField("parent", validators=[Optional(), Length(max=32)])
    key_town = BooleanField("key_town")
    lat = FloatField("lat", validators=[Optional()])
    lon = FloatField("lon", validators=[Optional()])


class RenameForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=100)])


class MoveForm(FlaskForm):
    parent = StringField("parent", validators=[Optional(), Length(max=32)])


class PlainForm(FlaskForm):
    """Close a depot, delete an item: only the CSRF token."""


@bp.route("/admin/depots", methods=["GET", "POST"])
@login_required_page
def depots():
    actor = _admin()
    eng = engine()
    wanted = (request.args.get("code") or "").strip()[:32]
    if wanted:
        return redirect(url_for(".depot", code=wanted))
    form, status = DepotForm(), 200
    if request.method == "POST":
        if form.validate():
            fields = DepotFields(code=form.code.data.strip(), name=form.name.data.strip(), tier=form.tier.data,
                                 kind=form.kind.data, parent=(form.parent.data or "").strip() or None,
                                 key_town=bool(form.key_town.data), lat=form.lat.data, lon=form.lon.data)
            try:
                catalog_admin.create_depot(eng, actor, fields, now=request_now())
            except DomainError as e:
                if not _place(e, form):
                    raise
                status = 422
            else:
                flash(_("Depot %(code)s is added.", code=fields.code), "success")
                return redirect(url_for(".depot", code=fields.code))
        else:
            status = 422
    elif request.method == "GET":
        form = DepotForm(formdata=None)
    return render_template("admin_depots.html", form=form,
                           changes=admin.recent_changes(eng, actor, "depot")), status


@bp.route("/admin/depots/<code>", methods=["GET"])
@login_required_page
def depot(code: str):
    return _depot_page(_admin(), code)


def _depot_page(actor, code, *, rename_form=None, move_form=None, close_error=None, status=200):
    eng = engine()
    shown = catalog_admin.depot_detail(eng, code)
    rename_form = rename_form or RenameForm(prefix="rename", formdata=None, name=shown["name"])
    move_form = move_form or MoveForm(prefix="move", formdata=None, parent=shown["parent"] or "")
    return render_template("admin_depot.html", shown=shown, rename_form=rename_form, move_form=move_form,
                           close_form=PlainForm(prefix="close", formdata=None), close_error=close_error,
                           changes=admin.recent_changes(eng, actor, "depot", code)), status


@bp.route("/admin/depots/<code>/rename", methods=["POST"])
@login_required_page
def rename_depot(code: str):
    actor = _admin()
    form = RenameForm(prefix="rename")
    if form.validate():
        try:
            changed = catalog_admin.rename_depot(engine(), actor, code, form.name.data, now=request_now())
        except DomainError as e:
            if not _place(e, form):
                raise
        else:
            flash(_("Depot %(code)s is renamed.", code=code) if changed else _("Nothing was changed."),
                  "success" if changed else "info")
            return redirect(url_for(".depot", code=code))
    return _depot_page(actor, code, rename_form=form, status=422)


@bp.route("/admin/depots/<code>/move", methods=["POST"])
@login_required_page
def move_depot(code: str):
    actor = _admin()
    form = MoveForm(prefix="move")
    if form.validate():
        try:
            changed = catalog_admin.move_depot(engine(), actor, code, form.parent.data, now=request_now())
        except DomainError as e:
            if e.status == 403 or e.field not in ("parent", "depot"):
                raise
            form.parent.errors = list(form.parent.errors) + [translated_message(e.message_code, e.params, e.message)]
        else:
            flash(_("Depot %(code)s is moved.", code=code) if changed else _("Nothing was changed."),
                  "success" if changed else "info")
            return redirect(url_for(".depot", code=code))
    return _depot_page(actor, code, move_form=form, status=422)


@bp.route("/admin/depots/<code>/close", methods=["POST"])
@login_required_page
def close_depot(code: str):
    actor = _admin()
    form = PlainForm(prefix="close")
    if not form.validate():
        flash(_("The form has expired; try again."), "error")
        return redirect(url_for(".depot", code=code))
    try:
        changed = catalog_admin.close_depot(engine(), actor, code, now=request_now())
    except DomainError as e:
        if e.status in (403, 404):
            raise
        return _depot_page(actor, code, close_error=translated_message(e.message_code, e.params, e.message),
                           status=e.status)
    if changed:
        flash(_("Depot %(code)s is closed.", code=code), "success")
    return redirect(url_for(".depot", code=code))


# ---------------------------------------------------------------- items


class ItemForm(FlaskForm):
    code = StringField("code", validators=[DataRequired(), Length(max=32)])
    name_zh = StringField("name_zh", validators=[DataRequired(), Length(max=100)])
    name_en = StringField("name_en", validators=[Optional(), Length(max=100)])
    category = SelectField("category", choices=lambda: [(c, label("category", c)) for c in CATEGORIES])
    unit = StringField("unit", validators=[DataRequired(), Length(max=16)])
    weight_kg = FloatField("weight_kg", validators=[InputRequired()], default=0)
    volume_m3 = FloatField("volume_m3", validators=[InputRequired()], default=0)
    shelf_life_days = IntegerField("shelf_life_days", validators=[Optional()])
    rotation_lead_days = IntegerField("rotation_lead_days", validators=[Optional()])
    priority = IntegerField("priority", validators=[InputRequired()], default=2)
    kit = SelectField("kit", choices=lambda: [("", "—")] + [(k, label("kit", k)) for k in KITS])
    durable = BooleanField("durable")


class ItemEditForm(ItemForm):
    code = None


def _item_values(form) -> dict:
    return {"name_zh": form.name_zh.data.strip(), "name_en": (form.name_en.data or "").strip(),
            "category": form.category.data, "unit": form.unit.data.strip(), "weight_kg": form.weight_kg.data,
            "volume_m3": form.volume_m3.data, "shelf_life_days": form.shelf_life_days.data,
            "rotation_lead_days": form.rotation_lead_days.data, "priority": form.priority.data,
            "kit": form.kit.data or None, "durable": bool(form.durable.data)}


@bp.route("/admin/items", methods=["GET", "POST"])
@login_required_page
def items():
    actor = _admin()
    eng = engine()
    wanted = (request.args.get("code") or "").strip()[:32]
    if wanted:
        return redirect(url_for(".item", code=wanted))
    form, status = ItemForm(), 200
    if request.method == "POST":
        if form.validate():
            code = form.code.data.strip()
            try:
                catalog_admin.create_item(eng, actor, ItemFields(code=code, **_item_values(form)), now=request_now())
            except DomainError as e:
                if not _place(e, form):
                    raise
                status = 422
            else:
                flash(_("Item %(code)s is added.", code=code), "success")
                return redirect(url_for(".item", code=code))
        else:
            status = 422
    return render_template("admin_items.html", form=form, changes=admin.recent_changes(eng, actor, "item")), status


@bp.route("/admin/items/<code>", methods=["GET", "POST"])
@login_required_page
def item(code: str):
    actor = _admin()
    eng = engine()
    shown = catalog_admin.item_detail(eng, code)
    status = 200
    if request.method == "POST":
        form = ItemEditForm()
        if form.validate():
            try:
                changed = catalog_admin.edit_item(eng, actor, code, _item_values(form), now=request_now())
            except DomainError as e:
                if not _place(e, form):
                    raise
                status = 422
            else:
                flash(_("Item %(code)s is saved.", code=code) if changed else _("Nothing was changed."),
                      "success" if changed else "info")
                return redirect(url_for(".item", code=code))
        else:
            status = 422
    else:
        form = ItemEditForm(formdata=None, **{**shown, "kit": shown["kit"] or ""})
    return _item_page(actor, shown, form, status=status)


def _item_page(actor, shown, form, *, delete_error=None, status=200):
    return render_template("admin_item.html", shown=shown, form=form, delete_form=PlainForm(prefix="delete", formdata=None),
                           delete_error=delete_error,
                           changes=admin.recent_changes(engine(), actor, "item", shown["code"])), status


@bp.route("/admin/items/<code>/delete", methods=["POST"])
@login_required_page
def delete_item(code: str):
    actor = _admin()
    form = PlainForm(prefix="delete")
    if not form.validate():
        flash(_("The form has expired; try again."), "error")
        return redirect(url_for(".item", code=code))
    try:
        catalog_admin.delete_item(engine(), actor, code, now=request_now())
    except DomainError as e:
        if e.status in (403, 404):
            raise
        shown = catalog_admin.item_detail(engine(), code)
        form = ItemEditForm(formdata=None, **{**shown, "kit": shown["kit"] or ""})
        return _item_page(actor, shown, form, delete_error=translated_message(e.message_code, e.params, e.message),
                          status=e.status)
    flash(_("Item %(code)s is deleted.", code=code), "success")
    return redirect(url_for(".items"))
