"""Many keepers at once, through the HTTP API with real threads: on PostgreSQL row locks, on SQLite
the database write lock. Stock never goes below zero and nothing is recorded twice."""
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from common.db import WRITES, UnitOfWork
from inventory import services
from tests.conftest import bearer
from tests.integration.helpers import ctx, ledger_lines, lot_quantity, new_lot

THREADS = 8


def all_at_once(app, requests):
    """Sends each (headers, body) from its own thread and client, released together by a barrier."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def send(i, headers, body):
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/v1/ledger", json=body, headers=headers)
        answers[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=send, args=(i, h, b)) for i, (h, b) in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_simultaneous_issues_never_take_a_lot_below_zero(app, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    keepers = ["keeper", "admin"] * (THREADS // 2)  # two people at the same lot
    answers = all_at_once(app, [(bearer(county, who), {"kind": "issue", "lot": code, "quantity": 3})
                                for who in keepers])
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 3 + [409] * (THREADS - 3), answers
    assert all(body["error"]["code"] == "insufficient_stock" for status, body in answers if status == 409)
    assert lot_quantity(engine, code) == 1
    lines = ledger_lines(engine, code)
    assert sorted(m.balance_after for m in lines if m.kind == "issue") == [1, 4, 7]
    assert sum(m.quantity for m in lines) == lot_quantity(engine, code)


def test_simultaneous_retries_of_one_request_record_it_once(app, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    headers = {**bearer(county, "keeper"), "Idempotency-Key": "phone-7f3a-0001"}
    answers = all_at_once(app, [(headers, {"kind": "issue", "lot": code, "quantity": 2})] * THREADS)
    assert {status for status, _ in answers} <= {200, 201}
    assert [status for status, _ in answers].count(201) == 1
    first_entries = {tuple(sorted(e.items())) for _, body in answers for e in body["entries"]}
    assert len(first_entries) == 1  # every answer describes the same single ledger line
    assert lot_quantity(engine, code) == 8
    assert [m.kind for m in ledger_lines(engine, code)] == ["receive", "issue"]


def test_transfers_in_opposite_directions_at_once_both_complete(app, engine, county):
    at_town = new_lot(engine, county.keeper, depot="T1", quantity=50, code="TOWN-LOT")
    at_village = new_lot(engine, county.keeper, depot="T1-V1", quantity=50, code="VILLAGE-LOT")
    headers = bearer(county, "keeper")
    requests = []
    for _ in range(THREADS // 2):
        requests.append((headers, {"kind": "transfer", "lot": at_town, "quantity": 1, "to_depot": "T1-V1",
                                   "to_lot": at_village}))
        requests.append((headers, {"kind": "transfer", "lot": at_village, "quantity": 1, "to_depot": "T1",
                                   "to_lot": at_town}))
    answers = all_at_once(app, requests)
    assert [status for status, _ in answers] == [201] * THREADS, answers
    assert lot_quantity(engine, at_town) == 50 and lot_quantity(engine, at_village) == 50
    assert len(ledger_lines(engine)) == 2 + 2 * THREADS


def test_simultaneous_first_transfers_to_a_depot_share_one_destination_lot(app, engine, county):
    code = new_lot(engine, county.keeper, depot="T1", quantity=50)
    answers = all_at_once(app, [(bearer(county, "keeper"), {"kind": "transfer", "lot": code, "quantity": 2,
                                                             "to_depot": "T1-V1"})] * THREADS)
    assert [status for status, _ in answers] == [201] * THREADS, answers
    destinations = {body["entries"][1]["lot"] for _, body in answers}
    assert len(destinations) == 1
    assert lot_quantity(engine, destinations.pop()) == 2 * THREADS
    assert lot_quantity(engine, code) == 50 - 2 * THREADS


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no row locks to look at
def test_a_lot_locked_for_a_stock_change_leaves_its_depot_and_item_rows_free(engine, county):
    """Only the lot's row is locked: another keeper's line at the same depot and of the same item (its
    foreign keys take KEY SHARE locks on those rows) never queues behind a stock change."""
    code = new_lot(engine, county.keeper, quantity=5)
    with UnitOfWork(engine) as uow:
        lot = services._locked_lot(uow, code)
        with engine.connect() as other:
            for table, row_id in (("depot", lot.depot_id), ("item", lot.item_id)):
                other.execute(sa.text(f"select id from {table} where id = :id for key share nowait"), {"id": row_id})
            with pytest.raises(OperationalError, match="could not obtain lock"):
                other.execute(sa.text("select id from lot where id = :id for update nowait"), {"id": lot.id})


def test_a_reader_in_the_middle_of_a_long_read_never_holds_up_a_stock_change(engine, county):
    """A report or export reads inside one open transaction for as long as it takes; on SQLite that must
    be a snapshot, not the database's write lock, or every keeper would wait for it (and give up after
    the 30 s busy timeout)."""
    code = new_lot(engine, county.keeper, quantity=5)
    with engine.connect() as reader:
        lines_before = reader.execute(sa.text("select count(*) from movement")).scalar_one()
        services.issue(engine, ctx(county.keeper), lot=code, quantity=2)  # while the read is still open
        if engine.dialect.name == "sqlite":  # the reader keeps its snapshot
            assert reader.execute(sa.text("select count(*) from movement")).scalar_one() == lines_before
    assert lot_quantity(engine, code) == 3


def _hold_the_lot(engine, code):
    """Opens a transaction that holds the lot as a slow first request would: its row lock on PostgreSQL,
    the database's write lock on SQLite. Returns the connection and its transaction (roll back to release)."""
    holder = engine.connect().execution_options(**{WRITES: True})  # on SQLite: BEGIN IMMEDIATE
    tx = holder.begin()
    holder.execute(sa.text("select id from lot where code = :code" + (
        " for update" if engine.dialect.name == "postgresql" else "")), {"code": code})
    return holder, tx


def _release(holder, tx):
    tx.rollback()
    holder.close()


def _waiting_backends(engine) -> int:
    with engine.connect() as c:
        return c.execute(sa.text(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()"
        )).scalar_one()


@pytest.mark.parametrize("kind", ["issue", "transfer"])
def test_a_retry_racing_its_original_gets_the_first_answer_not_a_refusal(app, engine, county, kind):
    """A phone times out and sends the same whole-lot action again while the first is still waiting for the
    lot: the retry must wait for the first and answer as it did (200, replayed), never 'insufficient stock'."""
    code = new_lot(engine, county.keeper, quantity=10)
    body = {"kind": kind, "lot": code, "quantity": 10}
    if kind == "transfer":
        body["to_depot"] = "T1-V1"
    headers = {**bearer(county, "keeper"), "Idempotency-Key": f"race-{kind}-0001"}
    holder, tx = _hold_the_lot(engine, code)
    answers = [None, None]

    def send(i):
        r = app.test_client().post("/api/v1/ledger", json=body, headers=headers)
        answers[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    try:
        for t in threads:
            t.start()
        if engine.dialect.name == "postgresql":  # both requests are inside the database, waiting
            for _ in range(500):
                if _waiting_backends(engine) >= 2:
                    break
                threading.Event().wait(0.01)
            assert _waiting_backends(engine) >= 2
        else:
            threading.Event().wait(0.3)  # both are queued on the write lock (busy timeout 30 s)
    finally:
        _release(holder, tx)
        for t in threads:
            t.join()
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 201], answers
    replayed = [b for s, b in answers if s == 200][0]
    first = [b for s, b in answers if s == 201][0]
    assert replayed["replayed"] is True and replayed["entries"] == first["entries"]
    assert lot_quantity(engine, code) == 0
    assert len([m for m in ledger_lines(engine, code) if m.kind != "receive"]) == 1


def test_a_refused_action_stays_refused_for_its_key_even_when_an_earlier_attempt_could_now_go_through(app, engine, county):
    """The phone is told 'refused' for a key: an attempt of the same key arriving later must not be recorded
    (the outbox has already shown the action as refused), and it answers the same refusal."""
    code = new_lot(engine, county.keeper, quantity=2)
    headers = {**bearer(county, "keeper"), "Idempotency-Key": "refused-0001"}
    client = app.test_client()
    first = client.post("/api/v1/ledger", json={"kind": "issue", "lot": code, "quantity": 5}, headers=headers)
    assert first.status_code == 409 and first.get_json()["error"]["code"] == "insufficient_stock"
    client.post("/api/v1/ledger", json={"kind": "receive", "lot": code, "quantity": 10}, headers=bearer(county, "keeper"))
    again = client.post("/api/v1/ledger", json={"kind": "issue", "lot": code, "quantity": 5}, headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "insufficient_stock"
    assert again.get_json()["error"]["replayed"] is True
    assert again.get_json()["error"]["message"] == first.get_json()["error"]["message"]
    assert lot_quantity(engine, code) == 12
    assert [m.kind for m in ledger_lines(engine, code)] == ["receive", "receive"]
