"""Editing, deleting, inserting or reordering ledger rows behind the application's back is caught."""
import pytest
import sqlalchemy as sa

from inventory import services
from inventory.integrity import current_seal, verify
from tests.conftest import bearer
from tests.integration.helpers import ctx, new_lot


@pytest.fixture
def history(engine, county):
    """Two lots with five lines each, interleaved: ids 1..10, odd ones lot A, even ones lot B."""
    a = new_lot(engine, county.keeper, quantity=50, code="A")
    b = new_lot(engine, county.keeper, quantity=50, code="B")
    for n in range(4):
        services.issue(engine, ctx(county.keeper, note=f"a{n}"), lot=a, quantity=1)
        services.issue(engine, ctx(county.keeper, note=f"b{n}"), lot=b, quantity=2)
    return county


def sql(engine, statement, **params):
    with engine.begin() as c:
        c.execute(sa.text(statement), params)


def check(engine, county, seal=None):
    return verify(engine, county.auditor, seal)


def test_an_untouched_ledger_verifies(engine, history):
    result = check(engine, history)
    assert result["ok"] and result["lines_checked"] == 10 and result["first_mismatch"] is None


@pytest.mark.parametrize("statement", [
    "update movement set quantity = -3 where id = 5",
    "update movement set note = 'nothing happened' where id = 5",
    "update movement set user_id = 1 where id = 5",
    "update movement set balance_after = balance_after + 1 where id = 5",
])
def test_an_edited_line_is_named(engine, history, statement):
    sql(engine, statement)
    result = check(engine, history)
    assert not result["ok"] and result["first_mismatch"]["movement_id"] == 5
    assert "edited" in result["first_mismatch"]["problem"]


def test_a_deleted_line_is_caught_at_the_next_line_of_its_lot(engine, history):
    sql(engine, "delete from movement where id = 5")
    result = check(engine, history)
    assert result["first_mismatch"]["movement_id"] == 7 and "missing" in result["first_mismatch"]["problem"]


def test_deleting_a_lots_latest_line_is_caught(engine, history):
    sql(engine, "delete from movement where id = 9")
    result = check(engine, history)
    assert not result["ok"] and "latest line" in result["first_mismatch"]["problem"]


def test_an_inserted_line_is_caught(engine, history):
    sql(engine, """insert into movement (kind, lot_id, depot_id, item_id, quantity, balance_after, user_id,
                   created_at, prev_hash, hash)
                   select kind, lot_id, depot_id, item_id, -1, balance_after, user_id, created_at, hash, hash
                   from movement where id = 5""")
    result = check(engine, history)
    # the forged line 11 claims to follow line 5, but lot A's latest line is 9
    assert not result["ok"] and result["first_mismatch"]["movement_id"] == 11


def test_reordered_lines_are_caught(engine, history):
    # swap the contents of lines 3 and 5 (both lot A): the same rows, in another order
    cols = "kind, quantity, balance_after, note, created_at, prev_hash, hash"
    with engine.begin() as c:
        r3 = c.execute(sa.text(f"select {cols} from movement where id = 3")).mappings().one()
        r5 = c.execute(sa.text(f"select {cols} from movement where id = 5")).mappings().one()
        for target, row in ((3, r5), (5, r3)):
            c.execute(sa.text("update movement set kind=:kind, quantity=:quantity, balance_after=:balance_after, "
                              "note=:note, created_at=:created_at, prev_hash=:prev_hash, hash=:hash where id=:id"),
                      {**row, "id": target})
    result = check(engine, history)
    assert not result["ok"] and result["first_mismatch"]["movement_id"] == 3


def rewrite_lot(engine, code, line_id, quantity, key=None, key_id=None):
    """What a person with database access does to change a line and hide it: sets the line's quantity,
    recomputes the lot's balances, quantity and hashes (an HMAC with ``key`` if they hold it, else a plain
    SHA-256), so that its chain is consistent again."""
    from sqlmodel import Session, select

    from inventory.chain import GENESIS, line_hash
    from inventory.models import Lot, Movement

    with Session(engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == code)).one()
        prev, balance = GENESIS, 0
        for line in session.exec(select(Movement).where(Movement.lot_id == lot.id).order_by(Movement.id)).all():
            if line.id == line_id:
                line.quantity = quantity
            balance += line.quantity
            line.balance_after = balance
            line.key_id = key_id
            line.prev_hash, line.hash = prev, line_hash(prev, line.model_dump(), key)
            prev = line.hash
            session.add(line)
        lot.chain_head, lot.quantity = prev, balance
        session.add(lot)
        session.commit()


def test_a_consistent_rewrite_of_a_whole_chain_by_someone_holding_the_key_is_caught_by_a_seal_kept_outside(
        engine, history):
    from inventory import ledger_keys

    keyring = ledger_keys.of(engine)
    seal = current_seal(engine, history.auditor)["text"]
    rewrite_lot(engine, "B", 4, -5, keyring.current_key, keyring.current)  # forge lot B's first issue
    assert check(engine, history)["ok"]  # the chains alone are fooled by the key's holder...
    result = check(engine, history, seal)
    assert not result["ok"] and result["seal_matches"] is False  # ...the seal is not


def test_a_consistent_rewrite_of_a_whole_chain_without_the_key_is_caught_by_the_chains(engine, history):
    rewrite_lot(engine, "B", 4, -5)
    result = check(engine, history)
    assert not result["ok"] and result["first_mismatch"]["movement_id"] == 2
    assert result["first_mismatch"]["lot"] == "B" and "no ledger key" in result["first_mismatch"]["problem"]


def test_a_malformed_seal_is_a_clear_error(client, history):
    r = client.get("/api/v1/ledger/verify?seal=12:xyz", headers=bearer(history, "auditor"))
    assert r.status_code == 422 and r.json["error"]["field"] == "seal"


def test_auditors_verify_and_export_the_seal_through_the_api_keepers_do_not(client, engine, history):
    seal = client.get("/api/v1/ledger/seal", headers=bearer(history, "auditor")).json
    assert seal["count"] == 10 and seal["text"].startswith("10:")
    r = client.get(f"/api/v1/ledger/verify?seal={seal['text']}", headers=bearer(history, "auditor"))
    assert r.json["ok"] and r.json["seal_matches"]
    assert client.get("/api/v1/ledger/verify", headers=bearer(history, "keeper")).status_code == 403


def test_ledger_verify_command_names_the_first_bad_line(runner, engine, history):
    ok = runner.invoke(args=["ledger", "verify"])
    assert ok.exit_code == 0 and "OK: 10 lines" in ok.output
    sql(engine, "update movement set quantity = 7 where id = 6")
    bad = runner.invoke(args=["ledger", "verify"])
    assert bad.exit_code == 1 and "first mismatch at line 6" in bad.output
