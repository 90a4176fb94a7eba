"""Label printing use cases: which labels a person may print, the PDF, and the print history.

Each function takes plain values (engine, actor, base URL, time) like the inventory services, so the
pages, a CLI or a benchmark call them the same way.

Who may print: whoever may read the depot — keepers for the depots they keep, administrators,
dispatchers and auditors for any. Auditors included: a label only says what the records already say,
and printing one changes no stock. Every print is recorded all the same, auditors' too, as an
append-only history row (who, when, which layout, how many copies): the history exists to show where
duplicate labels may be in circulation, and a role left out of it would be a blind spot. That row is a
log of the auditor's own action, not a change to the reserve's records, so it does not break
"auditors change nothing".

A print is rendered first and recorded after, in one transaction: a PDF that failed to render leaves
no history row, and no PDF is handed out without its row.
"""
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from accounts.models import User
from common.actor import Actor
from common.db import UnitOfWork
from common.errors import InvalidInput, NotFound
from inventory.models import CATEGORIES, Depot, Item, Lot
from inventory.queries import depot_by_code
from labels import payloads, sheets
from labels.models import LabelPrint

MAX_SHEET_LABELS = 480  # 20 A4 sheets; about 15 s of rendering on a small server
MAX_COPIES = 240
HISTORY_SHOWN = 20


@dataclass(frozen=True)
class LotFilter:
    """Which lots of a depot get labels: all with stock, or one category, or those received on or after
    a date ("newly received"); with ``subtree`` the depots under it too (a keeper's: only those kept)."""

    category: str | None = None
    received_since: date | None = None
    subtree: bool = False

    def check(self) -> "LotFilter":
        if self.category is not None and self.category not in CATEGORIES:
            raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", field="category")
        return self


@dataclass(frozen=True)
class Printed:
    pdf: bytes
    labels: int  # labels on the sheet, copies included
    job: str
    filename: str


def check_layout(layout: str, copies: int = 1, start: int = 1) -> tuple[sheets.Layout, int]:
    """The layout and how many label positions to leave empty before the first label. ``start`` is the
    position (1 = top left, row by row) of the first label on a partly used A4 sheet; a single-label
    layout ignores it."""
    if layout not in sheets.LAYOUTS:
        raise InvalidInput(f"layout must be one of {', '.join(sheets.LAYOUTS)}", field="layout")
    if not 1 <= copies <= MAX_COPIES:
        raise InvalidInput(f"copies must be between 1 and {MAX_COPIES}", field="copies")
    chosen = sheets.LAYOUTS[layout]
    if chosen.per_page == 1:
        return chosen, 0
    if not 1 <= start <= chosen.per_page:
        raise InvalidInput(f"start must be a label position from 1 to {chosen.per_page} on this sheet", field="start")
    return chosen, start - 1


# ---------------------------------------------------------------- reading


def _lot_rows(s: Session, actor: Actor, depot: Depot, lots: LotFilter):
    query = (select(Lot, Item, Depot).join(Item, Item.id == Lot.item_id).join(Depot, Depot.id == Lot.depot_id)
             .where(Lot.quantity > 0))
    query = query.where(Depot.path.startswith(depot.path) if lots.subtree else Depot.id == depot.id)
    if not actor.reads_everything:
        query = query.where(Depot.id.in_(actor.depot_ids or {-1}))
    if lots.category is not None:
        query = query.where(Item.category == lots.category)
    if lots.received_since is not None:
        query = query.where(Lot.received_on >= lots.received_since)
    return query.order_by(Depot.code, Item.code, Lot.expires_on.is_(None), Lot.expires_on, Lot.code)


def matching_lots(engine, actor: Actor, depot_code: str, lots: LotFilter, limit: int = 50) -> dict:
    """The lots a depot sheet with these filters would label: how many, and the first ``limit``."""
    lots.check()
    with Session(engine) as s:
        depot = depot_by_code(s, actor, depot_code)
        query = _lot_rows(s, actor, depot, lots)
        total = s.exec(select(sa.func.count()).select_from(query.subquery())).one()
        rows = s.exec(query.limit(limit)).all()
        return {"total": total, "limit": MAX_SHEET_LABELS, "lots": [_lot_summary(*row) for row in rows]}


def _lot_summary(lot: Lot, item: Item, depot: Depot) -> dict:
    return {"code": lot.code, "item": item.code, "item_name": item.name_zh, "item_name_en": item.name_en,
            "quantity": lot.quantity, "unit": item.unit, "expires_on": lot.expires_on, "received_on": lot.received_on,
            "depot": depot.code, "depot_name": depot.name, "storage_mode": lot.storage_mode}


def lot_summary(engine, actor: Actor, code: str) -> dict:
    with Session(engine) as s:
        lot, item, depot = _one_lot(s, actor, code)
        return _lot_summary(lot, item, depot)


def _one_lot(s: Session, actor: Actor, code: str):
    row = s.exec(select(Lot, Item, Depot).join(Item, Item.id == Lot.item_id).join(Depot, Depot.id == Lot.depot_id)
                 .where(Lot.code == code)).first()
    if row is None:
        raise NotFound(f"no lot with code {code}", field="lot")
    actor.require_read_depot(row[2].id, row[2].code)
    return row


def _lot_label(base: str, today: date, lot: Lot, item: Item, depot: Depot) -> sheets.LotLabel:
    return sheets.LotLabel(url=payloads.lot_url(base, lot.code), item_name=item.name_zh, lot_code=lot.code,
                           quantity=lot.quantity, unit=item.unit, expires_on=lot.expires_on, depot_name=depot.name,
                           depot_code=depot.code, storage_mode=lot.storage_mode, printed_on=today)


# ---------------------------------------------------------------- printing


def print_lot(engine, actor: Actor, *, code: str, base: str, now: datetime, today: date, layout: str,
              copies: int = 1, start: int = 1) -> Printed:
    """One lot's label (``copies`` of it), recorded in the lot's history."""
    chosen, skip = check_layout(layout, copies, start)
    with Session(engine) as s:
        lot, item, depot = _one_lot(s, actor, code)
        label = _lot_label(base, today, lot, item, depot)
        entries = [LabelPrint(kind="lot", lot_id=lot.id, depot_id=depot.id, layout=layout, copies=copies,
                              job="", user_id=actor.user_id, printed_at=now)]
    pdf = sheets.sheet_pdf([label] * copies, chosen, skip=skip)
    return _recorded(engine, entries, pdf, copies, f"label-{code}-{layout}.pdf")


def print_depot_lots(engine, actor: Actor, *, depot: str, lots: LotFilter, base: str, now: datetime, today: date,
                     layout: str, copies: int = 1, start: int = 1) -> Printed:
    """A sheet with a label for every lot with stock in the depot that passes the filter."""
    chosen, skip = check_layout(layout, copies, start)
    lots.check()
    with Session(engine) as s:
        scope = depot_by_code(s, actor, depot)
        rows = s.exec(_lot_rows(s, actor, scope, lots).limit(MAX_SHEET_LABELS + 1)).all()
        if not rows:
            raise InvalidInput(f"no lots with stock at depot {depot} match these filters; there is nothing to print",
                               field="lots")
        total = len(rows) * copies
        if total > MAX_SHEET_LABELS:
            raise InvalidInput(
                f"{'more than ' if len(rows) > MAX_SHEET_LABELS else ''}{total} labels; one print holds at most "
                f"{MAX_SHEET_LABELS}: choose a category or a received date, or leave out the sub-depots",
                field="lots")
        labels = [_lot_label(base, today, *row) for row in rows for _ in range(copies)]
        entries = [LabelPrint(kind="lot", lot_id=lot.id, depot_id=d.id, layout=layout, copies=copies, job="",
                              user_id=actor.user_id, printed_at=now) for lot, _item, d in rows]
    pdf = sheets.sheet_pdf(labels, chosen, skip=skip)
    return _recorded(engine, entries, pdf, len(labels), f"labels-{depot}-{layout}.pdf")


def print_lots(engine, actor: Actor, *, codes: list[str], base: str, now: datetime, today: date, layout: str,
               copies: int = 1, start: int = 1, name: str = "lots") -> Printed:
    """A sheet with the labels of the named lots (a delivery's), in the order given, each recorded in its history."""
    chosen, skip = check_layout(layout, copies, start)
    if not codes:
        raise InvalidInput("no lots to print labels for", field="lots")
    if len(codes) * copies > MAX_SHEET_LABELS:
        raise InvalidInput(f"{len(codes) * copies} labels; one print holds at most {MAX_SHEET_LABELS}", field="copies")
    with Session(engine) as s:
        rows = [_one_lot(s, actor, code) for code in codes]
        labels = [_lot_label(base, today, *row) for row in rows for _ in range(copies)]
        entries = [LabelPrint(kind="lot", lot_id=lot.id, depot_id=d.id, layout=layout, copies=copies, job="",
                              user_id=actor.user_id, printed_at=now) for lot, _item, d in rows]
    pdf = sheets.sheet_pdf(labels, chosen, skip=skip)
    return _recorded(engine, entries, pdf, len(labels), f"labels-{name}-{layout}.pdf")


def print_depot(engine, actor: Actor, *, depot: str, base: str, now: datetime, layout: str,
                shelves: list[str] | None = None, copies: int = 1, start: int = 1) -> Printed:
    """A depot label (``/d/<code>``), or with ``shelves`` a label per shelf (``/d/<code>?shelf=A-03``)."""
    chosen, skip = check_layout(layout, copies, start)
    shelves = [payloads.check_shelf(x) for x in shelves] if shelves else []
    if len(shelves) * copies > MAX_SHEET_LABELS:
        raise InvalidInput(f"{len(shelves) * copies} labels; one print holds at most {MAX_SHEET_LABELS}",
                           field="shelves")
    with Session(engine) as s:
        scope = depot_by_code(s, actor, depot)
        labels, entries = [], []
        for shelf in shelves or [None]:
            url = payloads.shelf_url(base, scope.code, shelf) if shelf else payloads.depot_url(base, scope.code)
            labels += [sheets.DepotLabel(url=url, depot_name=scope.name, depot_code=scope.code, tier=scope.tier,
                                         shelf=shelf)] * copies
            entries.append(LabelPrint(kind="shelf" if shelf else "depot", depot_id=scope.id, shelf=shelf,
                                      layout=layout, copies=copies, job="", user_id=actor.user_id, printed_at=now))
    pdf = sheets.sheet_pdf(labels, chosen, skip=skip)
    name = f"shelves-{depot}-{layout}.pdf" if shelves else f"depot-{depot}-{layout}.pdf"
    return _recorded(engine, entries, pdf, len(labels), name)


def _recorded(engine, entries: list[LabelPrint], pdf: bytes, count: int, filename: str) -> Printed:
    job = uuid.uuid4().hex
    with UnitOfWork(engine) as uow:
        for entry in entries:
            entry.job = job
        uow.session.add_all(entries)
        uow.commit()
    return Printed(pdf=pdf, labels=count, job=job, filename=filename)


# ---------------------------------------------------------------- history


def lot_history(engine, actor: Actor, code: str, limit: int = HISTORY_SHOWN) -> dict:
    """标签打印记录 of a lot, newest first: who printed its label, when, on which layout, how many copies,
    alone or on a sheet with other lots; the first print is told apart from the reprints."""
    with Session(engine) as s:
        lot, _item, _depot = _one_lot(s, actor, code)
        where = LabelPrint.lot_id == lot.id
        total = s.exec(select(sa.func.count(LabelPrint.id)).where(where)).one()
        first = s.exec(select(sa.func.min(LabelPrint.id)).where(where)).one()
        rows = s.exec(select(LabelPrint, User).join(User, User.id == LabelPrint.user_id).where(where)
                      .order_by(LabelPrint.id.desc()).limit(limit)).all()
        jobs = {p.job for p, _u in rows}
        sizes = dict(s.exec(select(LabelPrint.job, sa.func.count(LabelPrint.id)).where(LabelPrint.job.in_(jobs))
                            .group_by(LabelPrint.job)).all()) if jobs else {}
        return {"total": total, "prints": [
            {"printed_at": p.printed_at, "user": u.username, "layout": p.layout, "copies": p.copies,
             "sheet_lots": sizes.get(p.job, 1), "reprint": p.id != first} for p, u in rows]}
