"""Count sessions (盘点单) as use cases: each takes plain values, checks who is asking, and is one transaction.

Who: administrators or a keeper of the session's depot start, count, leave out, sign as keeper and
cancel; only an administrator (the supervisor) closes, and not the person who signed as keeper.
Keepers read the sessions of their depots; administrators, dispatchers and auditors read every one.

Nothing reaches the ledger before the close, which writes one ``count`` line per counted lot, all in its
transaction, through ``inventory.services.count_since_in`` with ``reference = "PD-<id>"``: a refused line
(a lot the movements since its count would take below zero) leaves the session open and the ledger as it was.
"""
import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, func, select

from accounts.models import User
from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from common.errors import BadQuery, DomainError, InvalidInput, NotFound
from counts import rules
from counts.models import SCOPES, CountLine, CountSession
from inventory import services as stock
from inventory.models import CATEGORIES, Depot, Item, Lot, Movement

MAX_ID = 2**31 - 1
LOT = Lot.__table__
# The county's settings table (key → JSON value), shared with the planning and report settings; referred to
# by name so that this package does not import dispatch.
SETTING = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.String))
BLIND_KEY = "counts.blind"


class CountStateConflict(DomainError):
    code = "count_state"


# ---------------------------------------------------------------- settings


def blind_counts(engine) -> bool:
    """Whether new sessions hide the expected quantities (the administrator's setting; off by default)."""
    with engine.connect() as c:
        value = c.execute(sa.select(SETTING.c.value).where(SETTING.c.key == BLIND_KEY)).scalar()
    return bool(json.loads(value)) if value else False


def set_blind_counts(engine, actor: Actor, blind: bool) -> bool:
    actor.require_role(ADMIN)
    if not isinstance(blind, bool):
        raise InvalidInput("blind must be true or false", field="blind")
    with UnitOfWork(engine) as uow:
        c = uow.session.connection()
        c.execute(sa.delete(SETTING).where(SETTING.c.key == BLIND_KEY))
        c.execute(sa.insert(SETTING).values(key=BLIND_KEY, value=json.dumps(blind)))
        uow.commit()
    return blind


# ---------------------------------------------------------------- changing a session


def start(engine, actor: Actor, now: datetime, *, depot: str, scope: str = "depot", category: str | None = None,
          shelves=None, note: str | None = None) -> dict:
    """Opens a count of every lot with stock at the depot (or of a category, or of shelves). One session may
    be open at a depot at a time, so no lot is counted by two sessions and adjusted twice."""
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}", field="scope")
    note = rules.check_text(note, "note", 500)
    with UnitOfWork(engine) as uow:
        s = uow.session
        found = s.exec(uow.lock_for_update(select(Depot).where(Depot.code == depot))).first() if _is_code(
            depot) else None
        if found is None:
            raise NotFound(f"no depot with code {depot}", field="depot", message_code="no_such_depot",
                           params={"depot": str(depot)})
        actor.require_stock_change(found.id, found.code)
        open_one = s.exec(select(CountSession.id).where(CountSession.depot_id == found.id,
                                                        CountSession.status == "open")).first()
        if open_one is not None:
            raise CountStateConflict(
                f"count {rules.reference(open_one)} is still open at depot {found.code}; close or cancel it first",
                field="depot", message_code="count_already_open",
                params={"count": rules.reference(open_one), "depot": found.code})
        lots = select(Lot.id, Lot.quantity).where(Lot.depot_id == found.id, Lot.quantity > 0).order_by(Lot.code)
        shelf_text = None
        if scope == "category":
            if category not in CATEGORIES:
                raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", field="category")
            lots = lots.join(Item, Item.id == Lot.item_id).where(Item.category == category)
        else:
            if category is not None:
                raise InvalidInput("only a count of a category names a category", field="category")
            if scope == "shelves":
                codes = rules.parse_shelves(shelves)
                shelf_text = ",".join(codes)
                lots = lots.where(LOT.c.shelf.in_(codes))
        rows = s.exec(lots).all()
        if not rows:
            raise InvalidInput(f"depot {found.code} holds no stock in this scope: there is nothing to count",
                               field="scope", message_code="nothing_to_count", params={"depot": found.code})
        session = CountSession(depot_id=found.id, scope=scope, category=category if scope == "category" else None,
                               shelves=shelf_text, blind=blind_counts_in(s), note=note, started_by=actor.user_id,
                               started_at=now)
        s.add(session)
        s.flush()
        s.add_all([CountLine(session_id=session.id, lot_id=lot_id, book_at_start=quantity)
                   for lot_id, quantity in rows])
        uow.commit()
        session_id = session.id
    return get(engine, actor, session_id)


def blind_counts_in(s) -> bool:
    value = s.connection().execute(sa.select(SETTING.c.value).where(SETTING.c.key == BLIND_KEY)).scalar()
    return bool(json.loads(value)) if value else False


def record_count(engine, actor: Actor, now: datetime, session_id: int, *, lot: str, counted: int,
                 idempotency_key: str | None = None) -> dict:
    """Records what was found on the shelf, with the lot's ledger balance and last line at this moment.
    A recount replaces the count (the last one wins) and undoes the keeper's signature, if any.
    With an idempotency key (a phone's queued count), a repeat changes nothing, not even the recount
    counter, and answers with the line as it stands (``replayed``)."""
    counted = rules.check_counted(counted)
    with UnitOfWork(engine) as uow:

        def work():
            session = _open_session(uow, actor, session_id)
            line, lot_row = _line(uow, session, lot, lock_lot=True)
            last_line = uow.session.exec(select(func.max(Movement.id)).where(Movement.lot_id == lot_row.id)).one()
            if line.counted is not None or line.left_out:
                line.recounts += 1
            line.counted, line.balance_at_count, line.last_line_at_count = counted, lot_row.quantity, last_line
            line.counted_by, line.counted_at, line.left_out, line.left_out_reason = actor.user_id, now, False, None
            _unsign(session)
            uow.session.add_all([line, session])
            uow.session.flush()
            return {"count": session_id, "lot": lot, "counted": counted}

        _answer, replayed = stock.once_in(uow, _keyed(actor, now, idempotency_key), "count_line",
                                          {"count": session_id, "lot": lot, "counted": counted}, work)
        uow.commit()
    return {**_line_of(engine, actor, session_id, lot), "replayed": replayed}


def leave_out(engine, actor: Actor, now: datetime, session_id: int, *, lot: str, reason: str,
              idempotency_key: str | None = None) -> dict:
    """Leaves a lot out of this count, with the reason recorded (it is not adjusted at close)."""
    reason = rules.check_text(reason, "reason", 200, required=True)
    with UnitOfWork(engine) as uow:

        def work():
            session = _open_session(uow, actor, session_id)
            line, _lot = _line(uow, session, lot)
            if line.counted is not None:
                line.recounts += 1
            line.counted = line.balance_at_count = line.last_line_at_count = None
            line.left_out, line.left_out_reason, line.counted_by, line.counted_at = True, reason, actor.user_id, now
            _unsign(session)
            uow.session.add_all([line, session])
            uow.session.flush()
            return {"count": session_id, "lot": lot, "left_out": reason}

        _answer, replayed = stock.once_in(uow, _keyed(actor, now, idempotency_key), "count_left_out",
                                          {"count": session_id, "lot": lot, "reason": reason}, work)
        uow.commit()
    return {**_line_of(engine, actor, session_id, lot), "replayed": replayed}


def _keyed(actor: Actor, now: datetime, key: str | None) -> stock.Context:
    return stock.Context(actor=actor, now=now, today=now.date(), idempotency_key=key)


def sign_as_keeper(engine, actor: Actor, now: datetime, session_id: int) -> dict:
    """The keeper signs the variance sheet: every lot is counted or left out."""
    with UnitOfWork(engine) as uow:
        session = _open_session(uow, actor, session_id)
        _require_nothing_missing(uow, session)
        session.keeper_signed_by, session.keeper_signed_at = actor.user_id, now
        uow.session.add(session)
        uow.commit()
    return get(engine, actor, session_id)


def close(engine, actor: Actor, now: datetime, today: date, session_id: int) -> dict:
    """The supervisor (an administrator other than the keeper who signed) signs and closes the session:
    every counted lot gets its ``count`` line, all in this one transaction, or none does."""
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        session = _open_session(uow, actor, session_id)
        if session.keeper_signed_by is None:
            raise CountStateConflict(f"the keeper has not signed {rules.reference(session.id)} yet",
                                     message_code="count_not_signed", params={"count": rules.reference(session.id)})
        if session.keeper_signed_by == actor.user_id:
            raise CountStateConflict("the supervisor who closes a count must be someone other than the keeper who "
                                     "signed it", message_code="count_same_signer")
        _require_nothing_missing(uow, session)
        ctx = stock.Context(actor=actor, now=now, today=today, reference=rules.reference(session.id),
                            note=f"count {rules.reference(session.id)}")
        counted = uow.session.exec(
            select(CountLine, Lot.code).join(Lot, Lot.id == CountLine.lot_id)
            .where(CountLine.session_id == session.id, CountLine.counted.is_not(None)).order_by(Lot.id)).all()
        for line, code in counted:  # in lot id order, as transfers lock lots
            entries = stock.count_since_in(uow, ctx, lot=code, counted=line.counted,
                                           balance_at_count=line.balance_at_count)
            line.adjustment_line_id = entries[0]["id"]
            uow.session.add(line)
        session.status, session.supervisor_signed_by, session.closed_at = "closed", actor.user_id, now
        uow.session.add(session)
        uow.commit()
    return get(engine, actor, session_id)


def cancel(engine, actor: Actor, now: datetime, session_id: int) -> dict:
    """Ends an open session without writing anything to the ledger."""
    with UnitOfWork(engine) as uow:
        session = _open_session(uow, actor, session_id)
        session.status, session.cancelled_by, session.cancelled_at = "cancelled", actor.user_id, now
        uow.session.add(session)
        uow.commit()
    return get(engine, actor, session_id)


def _session_row(s, session_id, lock_with=None) -> CountSession:
    if isinstance(session_id, bool) or not isinstance(session_id, int) or not 1 <= session_id <= MAX_ID:
        raise NotFound(f"no count session {session_id}", field="count")
    query = select(CountSession).where(CountSession.id == session_id)
    session = s.exec(lock_with(query) if lock_with else query).first()
    if session is None:
        raise NotFound(f"no count session {session_id}", field="count", message_code="no_such_count",
                       params={"count": rules.reference(session_id)})
    return session


def _open_session(uow, actor: Actor, session_id: int) -> CountSession:
    """The session, locked (a count and the close queue behind each other), if the actor may change it."""
    session = _session_row(uow.session, session_id, uow.lock_for_update)
    depot = uow.session.get(Depot, session.depot_id)
    actor.require_stock_change(depot.id, depot.code)
    if session.status != "open":
        raise CountStateConflict(f"count {rules.reference(session.id)} is {session.status}; it cannot change",
                                 message_code="count_not_open", params={"count": rules.reference(session.id)})
    return session


def _line(uow, session: CountSession, lot: str, lock_lot: bool = False) -> tuple[CountLine, Lot]:
    if not isinstance(lot, str) or not lot:
        raise InvalidInput("a lot code is required", field="lot")
    if not _is_code(lot):
        raise InvalidInput("a lot code is letters, digits and punctuation", field="lot")
    query = select(Lot).where(Lot.code == lot)
    lot_row = uow.session.exec(uow.lock_for_update(query) if lock_lot else query).first()
    line = lot_row and uow.session.exec(select(CountLine).where(CountLine.session_id == session.id,
                                                                CountLine.lot_id == lot_row.id)).first()
    if line is None:
        raise NotFound(f"lot {lot} is not in count {rules.reference(session.id)}", field="lot",
                       message_code="lot_not_in_count", params={"lot": lot, "count": rules.reference(session.id)})
    return line, lot_row


def _is_code(value) -> bool:
    """Text a code column can be compared with (PostgreSQL refuses NUL characters, encoders lone surrogates)."""
    return isinstance(value, str) and "\x00" not in value and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)


def _unsign(session: CountSession) -> None:
    session.keeper_signed_by = session.keeper_signed_at = None


def _require_nothing_missing(uow, session: CountSession) -> None:
    missing = uow.session.exec(select(func.count()).select_from(CountLine).where(
        CountLine.session_id == session.id, CountLine.counted.is_(None), CountLine.left_out.is_(False))).one()
    if missing:
        raise CountStateConflict(
            f"{missing} lot(s) of {rules.reference(session.id)} are neither counted nor left out",
            message_code="count_lots_missing", params={"missing": missing, "count": rules.reference(session.id)},
            missing=missing)


# ---------------------------------------------------------------- reading


def list_sessions(engine, actor: Actor, status: str | None = None, depot: str | None = None,
                  limit: int = 100) -> list[dict]:
    with Session(engine) as s:
        query = select(CountSession).order_by(CountSession.id.desc()).limit(limit)
        if status is not None:
            query = query.where(CountSession.status == status)
        if depot is not None:
            found = s.exec(select(Depot).where(Depot.code == depot)).first() if _is_code(depot) else None
            if found is None:
                raise NotFound(f"no depot with code {depot}", field="depot")
            query = query.where(CountSession.depot_id == found.id)
        if not actor.reads_everything:
            query = query.where(CountSession.depot_id.in_(actor.depot_ids or {-1}))
        sessions = s.exec(query).all()
        return [_session_dict(s, session, _totals(s, session.id)) for session in sessions]


def get(engine, actor: Actor, session_id: int) -> dict:
    """The session with every lot it counts; the expected quantity is left out (None) while it is hidden."""
    with Session(engine) as s:
        session = _readable(s, actor, session_id)
        lines = _lines(s, session)
        totals = _tally(lines)
        shown = _expected_shown(session, totals)
        answer = _session_dict(s, session, totals)
        answer["lines"] = [_line_dict(line, shown) for line in lines]
        return answer


def variance(engine, actor: Actor, session_id: int) -> dict:
    """The variance sheet: per counted lot the ledger's balance when counted, the count, the difference the
    close writes (or wrote), the movements since, with units; and the totals per item. A blind session shows
    it once nothing is missing. Every line (the PDF, the API); the page reads ``lines_page``."""
    with Session(engine) as s:
        session = _readable(s, actor, session_id)
        lines = _lines(s, session)
        totals = _tally(lines)
        answer = _session_dict(s, session, totals)
        if not _expected_shown(session, totals):
            return {**answer, "lines": [], "items": []}
        rows, by_item = [], {}
        for line in lines:
            row = _variance_row(line)
            if line["counted"] is not None:
                item = by_item.setdefault(line["item"], {
                    "item": line["item"], "item_name": line["item_name"], "item_name_en": line["item_name_en"],
                    "unit": line["unit"], "lots": 0, "expected": 0, "counted": 0, "difference": 0})
                item["lots"] += 1
                item["expected"] += row["expected"]
                item["counted"] += row["counted"]
                item["difference"] += row["difference"]
            rows.append(row)
        return {**answer, "lines": rows, "items": sorted(by_item.values(), key=lambda i: i["item"])}


def _variance_row(line: dict) -> dict:
    row = _line_dict(line, True)
    if line["counted"] is not None:
        now = line["balance_now"] if line["adjustment_after"] is None else (
            line["adjustment_after"] - line["adjustment"])  # after close: the balance the close found
        v = rules.variance(line["counted"], line["balance_at_count"], now)
        row.update(expected=v.expected, difference=v.difference, moved_since=v.moved_since,
                   after_close=v.after_close)
    return row


# ---------------------------------------------------------------- one page of a session's lines


def lines_page(engine, actor: Actor, session_id: int, *, show: str = "all", shelf: str | None = None,
               item: str | None = None, lot: str | None = None, page: int = 1, size: int = 50,
               variance: bool = False) -> dict:
    """The session with one page of its lines, those that pass the filters (``show``: all, missing, counted —
    counted or left out —, difference — counted and not what the ledger held —; a shelf; an item code; the
    start of a lot code), in lot code order. The totals (``totals``, ``with_difference``, and for the variance
    sheet ``items``, the totals per item) are of the whole count, worked out in SQL; ``page`` says which page
    is shown (one past the last shows the last), of how many, and how many lines pass the filters.
    ``shelves`` and ``item_choices`` are what the filters may name. ``variance`` gives each line its variance
    figures; a blind session that still hides the expected quantities has no variance lines."""
    if show not in rules.SHOWS:
        raise InvalidInput(f"show must be one of {', '.join(rules.SHOWS)}, got {show!r}", field="show")
    with Session(engine) as s:
        session = _readable(s, actor, session_id)
        totals = _totals(s, session.id)
        shown = _expected_shown(session, totals)
        if show == rules.DIFFERENCE and not shown:
            raise BadQuery("a blind count shows no differences before every lot is counted or left out",
                               field="show", message_code="count_differences_hidden")
        answer = _session_dict(s, session, totals)
        answer["with_difference"] = _with_difference(s, session.id) if shown else None
        answer["shelves"] = list(s.exec(
            select(Lot.shelf).join(CountLine, CountLine.lot_id == Lot.id)
            .where(CountLine.session_id == session.id, Lot.shelf.is_not(None)).distinct().order_by(Lot.shelf)).all())
        answer["item_choices"] = [
            {"item": code, "item_name": zh, "item_name_en": en, "unit": unit}
            for code, zh, en, unit in s.exec(
                select(Item.code, Item.name_zh, Item.name_en, Item.unit).join(Lot, Lot.item_id == Item.id)
                .join(CountLine, CountLine.lot_id == Lot.id).where(CountLine.session_id == session.id)
                .distinct().order_by(Item.code)).all()]
        conditions = _line_filters(show, shelf, item, lot)
        if variance and not shown:
            matching, conditions = 0, None
        else:
            matching = s.exec(select(func.count()).select_from(CountLine).join(Lot, Lot.id == CountLine.lot_id)
                              .join(Item, Item.id == Lot.item_id)
                              .where(CountLine.session_id == session.id, *conditions)).one()
        pages = max(1, -(-matching // size))
        number = min(max(1, page), pages)
        answer["page"] = {"number": number, "pages": pages, "total": matching, "asked": page, "size": size,
                          "first": (number - 1) * size + 1 if matching else 0, "last": min(number * size, matching)}
        if conditions is None:
            answer["lines"], answer["items"] = [], []
            return answer
        lines = _lines(s, session, conditions, limit=size, offset=(number - 1) * size)
        answer["lines"] = [_variance_row(line) if variance else _line_dict(line, shown) for line in lines]
        if variance:
            answer["items"] = _item_totals(s, session.id)
        return answer


def _line_filters(show: str, shelf: str | None, item: str | None, lot: str | None) -> list:
    conditions = []
    if show == rules.MISSING:
        conditions += [CountLine.counted.is_(None), CountLine.left_out.is_(False)]
    elif show == rules.COUNTED:
        conditions.append(sa.or_(CountLine.counted.is_not(None), CountLine.left_out.is_(True)))
    elif show == rules.DIFFERENCE:
        conditions += [CountLine.counted.is_not(None), CountLine.counted != CountLine.balance_at_count]
    if shelf:
        conditions.append(LOT.c.shelf == shelf)
    if item:
        conditions.append(Item.code == item)
    if lot:
        conditions.append(func.upper(Lot.code).startswith(lot.upper(), autoescape=True))  # any case, both databases
    return conditions


def _with_difference(s, session_id: int) -> int:
    return s.exec(select(func.count()).select_from(CountLine).where(
        CountLine.session_id == session_id, CountLine.counted.is_not(None),
        CountLine.counted != CountLine.balance_at_count)).one()


def _item_totals(s, session_id: int) -> list[dict]:
    """Per item, over the counted lines of the whole session: lots, expected (the ledger when counted),
    counted, difference — what ``variance`` adds up line by line, in SQL."""
    rows = s.exec(
        select(Item.code, Item.name_zh, Item.name_en, Item.unit, func.count(), func.sum(CountLine.balance_at_count),
               func.sum(CountLine.counted))
        .join(Lot, Lot.item_id == Item.id).join(CountLine, CountLine.lot_id == Lot.id)
        .where(CountLine.session_id == session_id, CountLine.counted.is_not(None))
        .group_by(Item.code, Item.name_zh, Item.name_en, Item.unit).order_by(Item.code)).all()
    return [{"item": code, "item_name": zh, "item_name_en": en, "unit": unit, "lots": int(n),
             "expected": int(expected), "counted": int(counted), "difference": int(counted) - int(expected)}
            for code, zh, en, unit, n, expected, counted in rows]


def _readable(s, actor: Actor, session_id: int) -> CountSession:
    session = _session_row(s, session_id)
    depot = s.get(Depot, session.depot_id)
    actor.require_read_depot(depot.id, depot.code)
    return session


def _lines(s, session: CountSession, conditions=(), limit: int | None = None, offset: int = 0) -> list[dict]:
    adjustment = aliased(Movement)
    query = (
        select(CountLine, Lot.code, Lot.quantity, Lot.expires_on, LOT.c.shelf, Item.code, Item.name_zh, Item.name_en,
               Item.unit, User.username, adjustment.quantity, adjustment.balance_after)
        .join(Lot, Lot.id == CountLine.lot_id).join(Item, Item.id == Lot.item_id)
        .join(User, User.id == CountLine.counted_by, isouter=True)
        .join(adjustment, adjustment.id == CountLine.adjustment_line_id, isouter=True)
        .where(CountLine.session_id == session.id, *conditions).order_by(Lot.code))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = s.exec(query).all()
    return [{"lot": code, "item": item, "item_name": name_zh, "item_name_en": name_en, "unit": unit,
             "expires_on": expires_on, "shelf": shelf, "book_at_start": line.book_at_start, "balance_now": quantity,
             "counted": line.counted, "balance_at_count": line.balance_at_count,
             "last_line_at_count": line.last_line_at_count, "counted_by": username, "counted_at": line.counted_at,
             "recounts": line.recounts, "left_out": line.left_out, "left_out_reason": line.left_out_reason,
             "state": rules.line_state(line.counted, line.left_out), "adjustment_line_id": line.adjustment_line_id,
             "adjustment": adj_quantity, "adjustment_after": adj_after}
            for (line, code, quantity, expires_on, shelf, item, name_zh, name_en, unit, username, adj_quantity,
                 adj_after) in rows]


def _line_dict(line: dict, expected_shown: bool) -> dict:
    keep = ("lot", "item", "item_name", "item_name_en", "unit", "expires_on", "shelf", "counted", "counted_by", "counted_at",
            "recounts", "left_out", "left_out_reason", "state", "adjustment_line_id", "adjustment")
    row = {k: line[k] for k in keep}
    if expected_shown:
        row.update(expected=line["balance_at_count"] if line["counted"] is not None else line["balance_now"],
                   balance_at_count=line["balance_at_count"], last_line_at_count=line["last_line_at_count"])
    else:
        row.update(expected=None, balance_at_count=None, last_line_at_count=None)
    return row


def _line_of(engine, actor: Actor, session_id: int, lot: str) -> dict:
    """One line as ``get`` shows it, read alone (a count of thousands of lots is not read for one)."""
    with Session(engine) as s:
        session = _readable(s, actor, session_id)
        line = _lines(s, session, [Lot.code == lot])[0]
        return _line_dict(line, _expected_shown(session, _totals(s, session.id)))


def _tally(lines: list[dict]) -> dict:
    states = [line["state"] for line in lines]
    return {"lots": len(states), "counted": states.count(rules.COUNTED), "left_out": states.count(rules.LEFT_OUT),
            "missing": states.count(rules.MISSING)}


def _totals(s, session_id: int) -> dict:
    counts = s.exec(select(CountLine.counted.is_not(None), CountLine.left_out, func.count())
                    .where(CountLine.session_id == session_id)
                    .group_by(CountLine.counted.is_not(None), CountLine.left_out)).all()
    totals = {"lots": 0, "counted": 0, "left_out": 0, "missing": 0}
    for is_counted, left_out, n in counts:
        totals["lots"] += n
        totals[rules.line_state(1 if is_counted else None, left_out)] += n
    return totals


def _expected_shown(session: CountSession, totals: dict) -> bool:
    return not session.blind or totals["missing"] == 0 or session.status != "open"


def _session_dict(s, session: CountSession, totals: dict) -> dict:
    depot = s.get(Depot, session.depot_id)
    names = {u.id: u for u in s.exec(select(User).where(User.id.in_({
        session.started_by, session.keeper_signed_by, session.supervisor_signed_by, session.cancelled_by} - {None})))}

    def who(user_id):
        return names[user_id].username if user_id in names else None

    def display(user_id):
        return names[user_id].display_name if user_id in names else None

    return {
        "id": session.id, "reference": rules.reference(session.id), "depot_id": depot.id, "depot": depot.code, "depot_name": depot.name,
        "scope": session.scope, "category": session.category,
        "shelves": session.shelves.split(",") if session.shelves else [], "blind": session.blind,
        "status": session.status, "note": session.note, "started_by": who(session.started_by),
        "started_at": session.started_at, "keeper_signed_by": who(session.keeper_signed_by),
        "keeper_signed_name": display(session.keeper_signed_by), "keeper_signed_at": session.keeper_signed_at,
        "supervisor_signed_by": who(session.supervisor_signed_by),
        "supervisor_signed_name": display(session.supervisor_signed_by), "closed_at": session.closed_at,
        "cancelled_by": who(session.cancelled_by), "cancelled_at": session.cancelled_at,
        "totals": totals, "expected_shown": _expected_shown(session, totals),
    }
