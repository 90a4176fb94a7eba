"""The hash chain, without a database."""
from datetime import datetime, timedelta, timezone

from inventory.chain import GENESIS, LotEnd, Seal, line_hash, parse_seal, verify_lines

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)


def line(id_, lot, quantity, prev, minutes=0, balance_after=10):
    fields = {"lot_id": lot, "depot_id": 1, "item_id": 1, "kind": "issue", "quantity": quantity,
              "balance_after": balance_after, "user_id": 1, "created_at": T0 + timedelta(minutes=minutes), "reason": None,
              "note": None, "reference": None, "idempotency_key": None, "counterpart_id": None}
    return {"id": id_, "prev_hash": prev, "hash": line_hash(prev, fields), **fields}


def chain(*specs):
    """Lines of (id, lot, quantity), their balances adding up; and each lot's end as its row says it."""
    heads, balances, lines = {}, {}, []
    for id_, lot, quantity in specs:
        balances[lot] = balances.get(lot, 0) + quantity
        lines.append(line(id_, lot, quantity, heads.get(lot, GENESIS), id_, balances[lot]))
        heads[lot] = lines[-1]["hash"]
    return lines, {lot: LotEnd(f"L{lot}", heads[lot], balances[lot]) for lot in heads}


def test_the_hash_depends_on_every_field_and_on_the_line_before():
    a = line(1, 1, -2, GENESIS)
    assert a["hash"] != line(1, 1, -3, GENESIS)["hash"]
    assert a["hash"] != line(1, 1, -2, "f" * 64)["hash"]
    assert a["hash"] == line(1, 1, -2, GENESIS)["hash"]  # deterministic


def test_the_same_moment_hashes_alike_in_any_time_zone():
    a = line(1, 1, -2, GENESIS)
    shifted = {**a, "created_at": a["created_at"].astimezone(timezone(timedelta(hours=8)))}
    assert line_hash(GENESIS, shifted) == a["hash"]


def test_an_intact_ledger_has_no_mismatch():
    lines, heads = chain((1, 1, 5), (2, 2, 5), (3, 1, -1))
    assert verify_lines(lines, heads) == []


def test_chains_are_per_lot_so_other_lots_lines_do_not_matter():
    lines, heads = chain((1, 1, 5), (2, 2, 5), (3, 1, -1))
    assert verify_lines([lines[0], lines[2]], {1: heads[1]}) == []


def test_mismatches_name_the_line():
    lines, heads = chain((1, 1, 5), (2, 1, -1), (3, 1, -1))
    lines[1]["quantity"] = -4
    assert [m.movement_id for m in verify_lines(lines, heads)] == [2]
    lines, heads = chain((1, 1, 5), (2, 1, -1), (3, 1, -1))
    assert [m.movement_id for m in verify_lines([lines[0], lines[2]], heads)] == [3]


def test_a_seal_folds_ids_and_hashes_in_order():
    a, b = Seal(), Seal()
    a.add(1, "x" * 64), a.add(2, "y" * 64)
    b.add(2, "y" * 64), b.add(1, "x" * 64)
    assert a.digest != b.digest and a.count == 2 and a.text().startswith("2:")
    assert parse_seal(a.text()) == (2, a.digest)
