"""Small builders and page readers the integration tests share."""
import html
import re
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlmodel import Session, select

from inventory import services
from inventory.models import Lot, Movement

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in the county
TODAY = date(2026, 7, 1)


def ctx(actor, key=None, note=None, reference=None, now=NOW, today=TODAY):
    return services.Context(actor=actor, now=now, today=today, idempotency_key=key, note=note, reference=reference)


def new_lot(engine, actor, depot="T1", item="WATER", quantity=20, expires_on=date(2027, 1, 1), code=None, **kw):
    """Receives a new lot and returns its code."""
    result = services.receive(engine, ctx(actor), quantity=quantity, new_lot=services.NewLot(
        item=item, depot=depot, received_on=date(2026, 6, 1), expires_on=expires_on, code=code, **kw))
    return result["entries"][0]["lot"]


def legacy_lot(engine, actor, code: str, **kw) -> str:
    """A lot whose code was accepted before codes were limited to URL-safe characters (inventory.codes):
    received under a safe code, then renamed in the database as an older version would have stored it."""
    safe = new_lot(engine, actor, code="LEGACY-TMP", **kw)
    with engine.begin() as c:
        c.execute(sa.text("update lot set code = :code where code = :safe"), {"code": code, "safe": safe})
    return code


def lot_quantity(engine, code) -> int:
    with Session(engine) as s:
        return s.exec(select(Lot.quantity).where(Lot.code == code)).one()


def ledger_lines(engine, code=None) -> list[Movement]:
    with Session(engine) as s:
        query = select(Movement).order_by(Movement.id)
        if code is not None:
            query = query.join(Lot, Lot.id == Movement.lot_id).where(Lot.code == code)
        return s.exec(query).all()


def table_counts(engine) -> dict:
    """Rows per table: a rejected request must leave every count as it was. The security log and the failed
    logins are left out: they record attempts (logins, refusals) by design."""
    with engine.connect() as c:
        names = [t for t in sa.inspect(c).get_table_names()
                 if t not in ("alembic_version", "security_event", "login_failure")]
        return {t: c.execute(sa.text(f'select count(*) from "{t}"')).scalar() for t in names}


def snapshot(engine) -> tuple:
    """Everything a stock change could touch."""
    with Session(engine) as s:
        lots = s.exec(select(Lot.code, Lot.quantity).order_by(Lot.code)).all()
    return table_counts(engine), lots


def text(response) -> str:
    """The page's visible text on one line, entities decoded."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return cell_text(body)


def cell_text(fragment: str) -> str:
    """An HTML fragment's text on one line, entities decoded."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def table_rows(response, table_class: str) -> list[dict[str, str]]:
    """Every body row of the table with this class (all its tbody), as {column label: cell text}."""
    body = response.get_data(as_text=True)
    table = re.search(rf'<table class="[^"]*\b{table_class}\b[^"]*"[^>]*>(.*?)</table>', body, flags=re.S)
    assert table, f"no table .{table_class} on the page"
    rows = []
    for tbody in re.findall(r"<tbody\b[^>]*>(.*?)</tbody>", table.group(1), flags=re.S):
        for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", tbody, flags=re.S):
            cells = re.findall(r'<td\b[^>]*data-label="([^"]*)"[^>]*>(.*?)</td>', row, flags=re.S)
            if cells:
                rows.append({html.unescape(k): cell_text(v) for k, v in cells})
    return rows


def written_off(engine, requester, approver, lot, quantity, reason="damaged", note=None, now=NOW, today=TODAY,
                document_no="应急〔2026〕1号") -> dict:
    """A write-off as it now happens: requested, then approved by another administrator."""
    from inventory.writeoffs import service as writeoffs

    made = writeoffs.request(engine, requester, now, writeoffs.NewRequest(lot=lot, quantity=quantity, reason=reason,
                                                                          note=note))
    return writeoffs.approve(engine, approver, now, today, made["id"], document_no)
