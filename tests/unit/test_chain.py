"""The hash chain, without a database."""
from datetime import datetime, timedelta, timezone

from inventory.chain import GENESIS, LotEnd, Seal, SealCheck, key_id, line_hash, parse_seal, verify_lines

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


def test_a_keyed_line_is_an_hmac_that_depends_on_the_key():
    a = line(1, 1, -2, GENESIS)
    fields = {k: v for k, v in a.items() if k not in ("id", "prev_hash", "hash")}
    keyed = line_hash(GENESIS, fields, b"k" * 32)
    assert keyed != a["hash"] and keyed != line_hash(GENESIS, fields, b"j" * 32)
    assert keyed == line_hash(GENESIS, fields, b"k" * 32)


def keyed_chain(key, *specs):
    lines, lots = chain(*specs)
    heads = {}
    for ln in lines:
        ln["prev_hash"] = heads.get(ln["lot_id"], GENESIS)
        ln["hash"], ln["key_id"] = line_hash(ln["prev_hash"], ln, key), key_id(key)
        heads[ln["lot_id"]] = ln["hash"]
    return lines, {lot: LotEnd(end.code, heads[lot], end.quantity) for lot, end in lots.items()}


def test_keyed_lines_verify_with_their_key_only():
    key = b"k" * 32
    lines, lots = keyed_chain(key, (1, 1, 5), (2, 1, -1))
    assert verify_lines(lines, lots, {key_id(key): key}, plain_upto=0) == []
    wrong = {key_id(key): b"j" * 32}
    assert [m.movement_id for m in verify_lines(lines, lots, wrong, plain_upto=0)] == [1, 2]
    assert "not in the key file" in verify_lines(lines, lots, {}, plain_upto=0)[0].problem


def test_plain_lines_pass_only_up_to_the_first_keys_boundary():
    lines, lots = chain((1, 1, 5), (2, 1, -1), (3, 1, -1))
    assert verify_lines(lines, lots, plain_upto=2)[0].movement_id == 3
    assert verify_lines(lines, lots, plain_upto=3) == [] and verify_lines(lines, lots) == []


def test_a_lot_is_named_by_its_code_when_its_quantity_or_latest_line_differs():
    lines, lots = chain((1, 7, 5), (2, 7, -1))
    changed = {7: LotEnd("L7", lots[7].head, 104)}
    assert [(m.lot, m.movement_id) for m in verify_lines(lines, changed)] == [("L7", 0)]
    assert "holds 104 but its ledger ends at 4" in verify_lines(lines, changed)[0].problem
    assert "lot L7: its latest line is missing" in verify_lines(lines[:1], lots)[0].problem


def test_seals_are_checked_at_their_line_even_when_it_was_removed():
    lines, _ = chain((1, 1, 5), (2, 1, -1), (3, 1, -1))
    folded = Seal()
    for ln in lines[:2]:
        folded.add(ln["id"], ln["hash"])
    check = SealCheck([(2, 2, folded.digest, "kept"), (2, 2, "0" * 64, "forged")])
    running = Seal()
    for ln in [lines[0], lines[2]]:  # line 2 removed
        check.before(ln["id"], running)
        running.add(ln["id"], ln["hash"])
    check.finish(running)
    assert check.results == {"kept": False, "forged": False}
    check, running = SealCheck([(2, 2, folded.digest, "kept")]), Seal()
    for ln in lines:
        check.before(ln["id"], running)
        running.add(ln["id"], ln["hash"])
    assert check.results == {"kept": True}
    carried = Seal(folded.digest, folded.count, folded.upto)
    carried.add(3, lines[2]["hash"])
    assert carried.digest == running.digest  # a seal carried on from an earlier one equals a full fold
