"""Two people acting on one transfer order at once, through the API with real threads (PostgreSQL: the order's
row lock; SQLite: the database write lock): an order is shipped once and received once, never twice."""
import threading

import pytest

from inventory import integrity
from orders import services
from tests.conftest import bearer
from tests.integration.helpers import NOW, TODAY, ledger_lines
from tests.integration.orders_helpers import lot_balance, make_stocked

THREADS = 6


@pytest.fixture
def stocked(engine, county, monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)
    st = make_stocked(engine, county)
    services.approve_plan(engine, county.dispatcher, NOW, incident_id=st.incident, plan_id=st.plan)
    return st


def all_at_once(app, requests):
    """Posts each (headers, path, body) from its own thread and client, released together by a barrier."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def send(i, headers, path, body):
        client = app.test_client()
        barrier.wait()
        r = client.post(path, json=body, headers=headers)
        answers[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_two_keepers_shipping_one_order_at_once_ship_it_once(app, engine, stocked):
    code = stocked.code(2)
    services.pick(engine, stocked.keeper_c1, NOW, TODAY, code, lot="TENT-C1", quantity=30)
    services.pick(engine, stocked.keeper_c1, NOW, TODAY, code, lot="W-OLD", quantity=40)
    who = ["keeper_c1", "admin"] * (THREADS // 2)
    answers = all_at_once(app, [(bearer(stocked.county, w), f"/api/v1/orders/{code}/ship", {}) for w in who])
    assert sorted(status for status, _ in answers) == [200] + [409] * (THREADS - 1), answers
    assert {body["error"]["message_code"] for status, body in answers if status == 409} == {"order_already_shipped"}
    assert (lot_balance(engine, "TENT-C1"), lot_balance(engine, "W-OLD")) == (70, 0)
    assert sorted(m.quantity for m in ledger_lines(engine) if m.kind == "ship") == [-40, -30]


def test_two_keepers_receiving_one_order_at_once_receive_it_once(app, engine, stocked):
    code = stocked.code(4)  # T1 → T1-V1: keeper keeps both, the administrator may act too
    services.pick(engine, stocked.county.keeper, NOW, TODAY, code, lot="TENT-T1", quantity=5)
    services.ship(engine, stocked.county.keeper, NOW, TODAY, code)
    who = ["keeper", "admin"] * (THREADS // 2)
    answers = all_at_once(app, [(bearer(stocked.county, w), f"/api/v1/orders/{code}/receive",
                                 {"lines": [{"item": "TENT", "received": 3}]}) for w in who])
    # 5 shipped: the first receipt of 3 goes through, every later one finds only 2 in transit
    assert sorted(status for status, _ in answers) == [200] + [409] * (THREADS - 1), answers
    assert {body["error"]["message_code"] for status, body in answers if status == 409} == {"receive_more_than_shipped"}
    assert lot_balance(engine, "TENT-T1-T1-V1") == 3
    order = services.get(engine, stocked.county.admin, code)
    assert (order["lines"][0]["received"], order["lines"][0]["in_transit"], order["state"]) == (3, 2, "partly_received")
    assert integrity.verify(engine, stocked.county.auditor)["ok"]


def test_simultaneous_retries_of_one_receipt_with_its_key_record_it_once(app, engine, stocked):
    code = stocked.code(4)
    services.pick(engine, stocked.county.keeper, NOW, TODAY, code, lot="TENT-T1", quantity=5)
    services.ship(engine, stocked.county.keeper, NOW, TODAY, code)
    headers = {**bearer(stocked.county, "keeper"), "Idempotency-Key": "phone-1-receipt-7"}
    answers = all_at_once(app, [(headers, f"/api/v1/orders/{code}/receive",
                                 {"lines": [{"item": "TENT", "received": 5}]})] * THREADS)
    assert [status for status, _ in answers] == [200] * THREADS, answers
    assert sorted(body["replayed"] for _, body in answers) == [False] + [True] * (THREADS - 1)
    assert lot_balance(engine, "TENT-T1-T1-V1") == 5
    assert len([m for m in ledger_lines(engine) if m.kind == "deliver"]) == 1


def test_orders_shipping_from_the_same_lots_at_once_all_complete(app, engine, stocked):
    """Order 2 and order 1 both take TENT-C1 (and their lots in the same id order): they queue, never deadlock."""
    services.pick(engine, stocked.keeper_c1, NOW, TODAY, stocked.code(2), lot="TENT-C1", quantity=30)
    services.pick(engine, stocked.keeper_c1, NOW, TODAY, stocked.code(2), lot="W-OLD", quantity=40)
    services.pick(engine, stocked.keeper_c1, NOW, TODAY, stocked.code(1), lot="TENT-C1", quantity=10)
    answers = all_at_once(app, [(bearer(stocked.county, "keeper_c1"), f"/api/v1/orders/{stocked.code(n)}/ship", {})
                                for n in (1, 2)])
    assert [status for status, _ in answers] == [200, 200], answers
    assert lot_balance(engine, "TENT-C1") == 60
