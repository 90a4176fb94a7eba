"""Checking the ledger against its hash chains and against a seal kept outside the system."""
import sqlalchemy as sa
from sqlmodel import Session, select

from common.actor import Actor
from common.errors import InvalidInput
from inventory.chain import HASHED_FIELDS, Seal, parse_seal, verify_lines
from inventory.models import Lot, Movement

BATCH = 5000
SHOWN = 20


def _lines(session: Session, upto: int | None = None):
    columns = [Movement.id, Movement.prev_hash, Movement.hash, *[getattr(Movement, f) for f in HASHED_FIELDS]]
    query = sa.select(*columns).order_by(Movement.id)
    if upto is not None:
        query = query.where(Movement.id <= upto)
    result = session.connection().execution_options(stream_results=True, yield_per=BATCH).execute(query)
    for row in result.mappings():
        yield dict(row)


def verify(engine, actor: Actor, seal: str | None = None, progress=None) -> dict:
    """Every line's hash and its link to the lot's line before it, every lot's latest hash, and
    (given one) a seal: names the first line that does not match."""
    expected = None
    if seal:
        try:
            expected = parse_seal(seal)
        except ValueError as e:
            raise InvalidInput(str(e), field="seal")
    current = Seal()
    sealed_digest = None

    def folded(lines):
        nonlocal sealed_digest
        for line in lines:
            current.add(line["id"], line["hash"])
            if expected and line["id"] == expected[0]:
                sealed_digest = current.digest
            if progress is not None:
                progress(current.count)
            yield line

    with Session(engine) as s:
        heads = dict(s.exec(select(Lot.id, Lot.chain_head)).all())
        mismatches = verify_lines(folded(_lines(s)), heads)
    problems = [{"movement_id": m.movement_id or None, "problem": m.problem} for m in mismatches]
    result = {"ok": not problems, "lines_checked": current.count, "first_mismatch": problems[0] if problems else None,
              "mismatches": problems[:SHOWN], "mismatch_count": len(problems),
              "seal": {"upto": current.upto, "count": current.count, "digest": current.digest, "text": current.text()}}
    if expected:
        result["seal_matches"] = sealed_digest == expected[1]
        result["ok"] = result["ok"] and result["seal_matches"]
        if not result["seal_matches"]:
            result["seal_problem"] = (f"the ledger up to line {expected[0]} no longer gives the sealed digest: "
                                      "lines up to it were changed, removed or added")
    return result


def current_seal(engine, actor: Actor) -> dict:
    """The digest over every line so far; print it on a report or keep it outside the system."""
    seal = Seal()
    with Session(engine) as s:
        for row in s.connection().execution_options(stream_results=True, yield_per=BATCH).execute(
                sa.select(Movement.id, Movement.hash).order_by(Movement.id)):
            seal.add(row.id, row.hash)
    return {"upto": seal.upto, "count": seal.count, "digest": seal.digest, "text": seal.text()}
