"""The register workbook served to administrators (issue #12): ``/admin/imports/template.xlsx``, the empty template,
and ``/admin/imports/export.xlsx``, every depot, item, shelter and lot in stock in the same layout
(``registers.workbook``); headers in Chinese, or in English on the English interface. On the administrators'
blueprint (``accounts.admin_views.bp``)."""
import io

from flask import send_file
from flask_babel import get_locale
from sqlmodel import Session, select

from accounts.admin_views import _admin, bp
from accounts.auth import login_required_page
from common.web import engine
from registers import workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _file(data: bytes, name: str):
    response = send_file(io.BytesIO(data), mimetype=XLSX, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/imports/template.xlsx")
@login_required_page
def register_template():
    _admin()
    from inventory.models import Item

    with Session(engine()) as s:
        units = sorted(set(s.exec(select(Item.unit)).all()))
    lang = _lang()
    return _file(workbook.template(lang, units), "储备台账模板.xlsx" if lang == "zh" else "register-template.xlsx")


@bp.route("/admin/imports/export.xlsx")
@login_required_page
def register_export():
    _admin()
    lang = _lang()
    return _file(workbook.export(engine(), lang), "储备台账导出.xlsx" if lang == "zh" else "register-export.xlsx")
