"""Checking the ledger: every line against its hash chain and balance, every lot's quantity against its
ledger, the ledger keys' records, every archived seal and (given one) a seal kept outside the system.
Also taking seals into the archive (daily, with every export, by hand) and recording a ledger key's
coming into use. The keys come from the keyring attached to the engine (``inventory.ledger_keys``)."""
import weakref
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from common.actor import Actor
from common.errors import InvalidInput
from inventory import ledger_keys
from inventory.chain import (HASHED_FIELDS, LotEnd, Seal, SealCheck, macs_match, parse_seal, record_mac,
                             verify_lines)
from inventory.models import LedgerKey, LedgerSeal, Lot, Movement

BATCH = 5000
SHOWN = 20
SHOWN_SEALS = 30
LOCK_TIMEOUT = "10s"


def _lines(session: Session, after: int = 0, upto: int | None = None, columns=None):
    columns = columns or [Movement.id, Movement.prev_hash, Movement.hash, Movement.key_id,
                          *[getattr(Movement, f) for f in HASHED_FIELDS]]
    query = sa.select(*columns).where(Movement.id > after).order_by(Movement.id)
    if upto is not None:
        query = query.where(Movement.id <= upto)
    result = session.connection().execute(query, execution_options={"stream_results": True, "yield_per": BATCH})
    for row in result.mappings():
        yield dict(row)


# ---------------------------------------------------------------- records signed with a key


def _key_mac(key: bytes, row) -> str:
    return record_mac(key, "ledger-key", row.key_id, row.fingerprint, row.lines_before, row.why, row.who,
                      row.created_at)


def _seal_mac(key: bytes, row) -> str:
    return record_mac(key, "ledger-seal", row.upto, row.count, row.digest, row.key_id, row.why, row.who,
                      row.note or "", row.created_at)


def _check_keys(records: list[LedgerKey], keyring) -> tuple[list[dict], int | None]:
    """Each key record with its check, and the last line that may be a plain SHA-256 (the first good
    record's ``lines_before``; None when no key was ever recorded)."""
    checked, plain_upto = [], None
    for row in records:
        key = keyring.keys.get(row.key_id)
        if key is None:
            problem = "this key is not in the key file: lines and seals made with it cannot be checked"
        elif keyring.fingerprint(row.key_id) != row.fingerprint:
            problem = "the key file's key of this id is another key (its fingerprint differs)"
        elif not macs_match(row.mac, _key_mac(key, row)):
            problem = "the record was altered (its HMAC does not match)"
        else:
            problem = None
            if plain_upto is None:
                plain_upto = row.lines_before
        checked.append({"key_id": row.key_id, "fingerprint": row.fingerprint, "why": row.why, "who": row.who,
                        "created_at": row.created_at, "lines_before": row.lines_before, "ok": problem is None,
                        "problem": problem})
    recorded = {r.key_id for r in records}
    for kid in keyring.keys:
        if kid not in recorded:
            checked.append({"key_id": kid, "fingerprint": keyring.fingerprint(kid), "why": None, "who": None,
                            "created_at": None, "lines_before": None, "ok": False,
                            "problem": "this key of the key file has no record in the database (removed?)"})
    return checked, plain_upto


def _seal_row_problem(row: LedgerSeal, keyring) -> str | None:
    key = keyring.keys.get(row.key_id)
    if key is None:
        return f"made with ledger key {row.key_id}, which is not in the key file"
    if not macs_match(row.mac, _seal_mac(key, row)):
        return "the archived seal itself was altered (its HMAC does not match)"
    return None


# ---------------------------------------------------------------- verify


def verify(engine, actor: Actor, seal: str | None = None, progress=None) -> dict:
    """Every line's hash, its link to the lot's line before it and its balance; every lot's latest hash and
    quantity; the key records; every archived seal; and (given one) a seal kept outside: names what does
    not match, lots by their code."""
    expected = None
    if seal:
        try:
            expected = parse_seal(seal)
        except ValueError as e:
            raise InvalidInput(str(e), field="seal")
    keyring = ledger_keys.of(engine)
    current = Seal()
    with Session(engine) as s:
        lots = {row.id: LotEnd(row.code, row.chain_head, row.quantity)
                for row in s.exec(select(Lot.id, Lot.code, Lot.chain_head, Lot.quantity))}
        keys, plain_upto = _check_keys(s.exec(select(LedgerKey).order_by(LedgerKey.id)).all(), keyring)
        archived = s.exec(select(LedgerSeal).order_by(LedgerSeal.id)).all()
        checks = SealCheck([(row.upto, row.count, row.digest, row.id) for row in archived]
                           + ([(expected[0], None, expected[1], "given")] if expected else []))

        def folded(lines):
            for line in lines:
                checks.before(line["id"], current)
                current.add(line["id"], line["hash"])
                if progress is not None:
                    progress(current.count)
                yield line

        mismatches = verify_lines(folded(_lines(s)), lots, keyring.keys, plain_upto)
        checks.finish(current)
    problems = [{"movement_id": m.movement_id or None, "lot": m.lot, "problem": m.problem} for m in mismatches]
    seals = []
    for row in archived:
        problem = _seal_row_problem(row, keyring)
        if problem is None and not checks.results[row.id]:
            problem = (f"the ledger up to line {row.upto} no longer gives this seal: lines up to it were "
                       "changed, removed or added")
        seals.append({**_seal_dict(row), "ok": problem is None, "problem": problem})
    bad_seals = [s for s in seals if not s["ok"]]
    key_problems = [k for k in keys if not k["ok"]]
    result = {"ok": not problems and not bad_seals and not key_problems, "lines_checked": current.count,
              "first_mismatch": problems[0] if problems else None, "mismatches": problems[:SHOWN],
              "mismatch_count": len(problems),
              "seal": {"upto": current.upto, "count": current.count, "digest": current.digest, "text": current.text()},
              "keys": keys, "key_problems": key_problems,
              "archived_seals_checked": len(seals), "archived_seal_problems": bad_seals[:SHOWN],
              "archived_seal_problem_count": len(bad_seals),
              "archived_seals": list(reversed(seals))[:SHOWN_SEALS]}
    if expected:
        result["seal_matches"] = checks.results["given"]
        result["ok"] = result["ok"] and result["seal_matches"]
        if not result["seal_matches"]:
            result["seal_problem"] = (f"the ledger up to line {expected[0]} no longer gives the sealed digest: "
                                      "lines up to it were changed, removed or added")
    return result


# ---------------------------------------------------------------- seals


def _settled_upto(engine) -> int:
    """The last line id below which no line can still appear. On PostgreSQL a transaction may hold a line
    with a lower id than one already committed; a SHARE lock on the table waits for every writer in flight
    (and holds new ones for the moment of one indexed max). SQLite writes one transaction at a time."""
    with engine.begin() as c:
        if c.dialect.name == "postgresql":
            c.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            c.execute(sa.text("LOCK TABLE movement IN SHARE MODE"))
        return c.execute(sa.select(sa.func.coalesce(sa.func.max(Movement.id), 0))).scalar_one()


def current_seal(engine, actor: Actor) -> dict:
    """The digest over every line so far; print it on a report or keep it outside the system. Like
    ``take_seal`` it carries on from the latest archived seal whose HMAC holds (every verify checks that
    seal against the lines again), so it reads only the lines since: a page showing it stays quick on a
    ledger of millions of lines once a seal is archived (each day's first stock change or export takes one)."""
    upto = _settled_upto(engine)
    with Session(engine) as s:
        seal = _fold(s, upto, ledger_keys.of(engine))
    return {"upto": seal.upto, "count": seal.count, "digest": seal.digest, "text": seal.text()}


def _fold(s: Session, upto: int, keyring) -> Seal:
    """The seal of every line up to ``upto``, carried on from the latest archived seal at or below it whose
    HMAC holds (none with an empty keyring: then from the first line)."""
    start = Seal()
    if keyring.current is not None:
        for row in s.exec(select(LedgerSeal).where(LedgerSeal.upto <= upto).order_by(LedgerSeal.upto.desc(),
                                                                                     LedgerSeal.id.desc())):
            if _seal_row_problem(row, keyring) is None:
                start = Seal(row.digest, row.count, row.upto)
                break
    seal = Seal(start.digest, start.count, start.upto)
    for line in _lines(s, after=start.upto, upto=upto, columns=[Movement.id, Movement.hash]):
        seal.add(line["id"], line["hash"])
    return seal


def _seal_dict(row: LedgerSeal) -> dict:
    return {"id": row.id, "upto": row.upto, "count": row.count, "digest": row.digest,
            "text": f"{row.upto}:{row.digest}", "key_id": row.key_id, "why": row.why, "who": row.who,
            "note": row.note, "created_at": row.created_at}


def take_seal(engine, why: str, who: str, now: datetime, note: str | None = None) -> dict:
    """Archives a seal of every line so far, signed with the current ledger key. It carries on from the
    latest archived seal whose HMAC holds, so it reads only the lines since."""
    keyring = ledger_keys.of(engine)
    if keyring.current is None:
        raise RuntimeError("no ledger key: the app loads one at start (LEDGER_KEYS)")
    upto = _settled_upto(engine)
    with Session(engine) as s:
        seal = _fold(s, upto, keyring)
        row = LedgerSeal(upto=seal.upto, count=seal.count, digest=seal.digest, key_id=keyring.current, mac="",
                         why=why, who=who[:100], note=note[:100] if note else None, created_at=now)
        row.mac = _seal_mac(keyring.current_key, row)
        s.add(row)
        s.commit()
        s.refresh(row)
        return _seal_dict(row)


def list_seals(engine, limit: int = SHOWN_SEALS) -> list[dict]:
    with Session(engine) as s:
        rows = s.exec(select(LedgerSeal).order_by(LedgerSeal.id.desc()).limit(limit)).all()
    return [_seal_dict(r) for r in rows]


_SEALED_DAY: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # engine → a day known to have a seal


def seal_daily_if_due(engine, who: str, now: datetime, today: date, day_start: datetime) -> dict | None:
    """The day's seal for a county without a timer: taken by the first stock change or export of a day that
    finds no seal archived since ``day_start`` (the county's midnight). Each process asks the database
    once a day; two processes at once may both take one, which is harmless."""
    if _SEALED_DAY.get(engine) == today or ledger_keys.of(engine).current is None:
        return None
    with Session(engine) as s:
        found = s.exec(select(LedgerSeal.id).where(LedgerSeal.created_at >= day_start).limit(1)).first()
    taken = None if found else take_seal(engine, "daily", who, now, note="first use of the day")
    _SEALED_DAY[engine] = today
    return taken


# ---------------------------------------------------------------- keys


def record_key(engine, who: str, now: datetime) -> bool:
    """Records the current ledger key's coming into use in this database, once (why: "first", or
    "rotation" when another key came before it); True when recorded now."""
    keyring = ledger_keys.of(engine)
    if keyring.current is None:
        return False
    with Session(engine) as s:
        recorded = set(s.exec(select(LedgerKey.key_id)).all())
        if keyring.current in recorded:
            return False
        why = "rotation" if recorded else "first"
        lines_before = s.exec(sa.select(sa.func.coalesce(sa.func.max(Movement.id), 0))).scalar_one()
        row = LedgerKey(key_id=keyring.current, fingerprint=keyring.fingerprint(keyring.current),
                        lines_before=lines_before, why=why, who=who[:100], created_at=now, mac="")
        row.mac = _key_mac(keyring.current_key, row)
        s.add(row)
        try:
            s.commit()
        except IntegrityError:  # another worker recorded it a moment before
            return False
    return True
