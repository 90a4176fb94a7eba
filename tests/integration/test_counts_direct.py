"""A lot in an open count session is counted in that session, never directly as well (which would write the
same shortage twice), and a session's line is recorded once per Idempotency-Key, as the scanning page's
outbox sends it: on SQLite and PostgreSQL, through the services and the JSON API."""
import json
import re
import threading
from datetime import timedelta

import pytest

from common.errors import CountSessionOpen, DomainError, IdempotencyKeyReused
from counts import services as counts
from inventory import services
from tests.conftest import bearer, login
from tests.integration.helpers import NOW, TODAY, ctx, ledger_lines, lot_quantity, new_lot, snapshot

LATER = NOW + timedelta(hours=1)
THREADS = 6


@pytest.fixture
def lots(engine, county):
    return {"A": new_lot(engine, county.admin, "T1", "WATER", 20, code="W-A"),
            "B": new_lot(engine, county.admin, "T1", "TENT", 4, code="T-B", expires_on=None),
            "T2": new_lot(engine, county.admin, "T2", "WATER", 7, code="W-T2")}


def start(engine, actor, depot="T1"):
    return counts.start(engine, actor, NOW, depot=depot)


def count_lines(engine, code):
    return [(m.quantity, m.balance_after, m.reference) for m in ledger_lines(engine, code) if m.kind == "count"]


# ------------------------------------------------------------------ a direct count during an open session


def test_a_direct_count_of_a_lot_in_an_open_count_is_refused_and_changes_nothing(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    before = snapshot(engine)
    with pytest.raises(CountSessionOpen) as e:
        services.count(engine, ctx(county.keeper), lot="W-A", counted=18)
    assert e.value.status == 409 and e.value.code == "count_session_open"
    assert e.value.message_code == "count_session_open"
    assert e.value.params == {"lot": "W-A", "count": f"PD-{sid}", "depot": "T1"}
    assert snapshot(engine) == before


def test_the_shortage_found_during_a_count_is_written_once(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=18)
    with pytest.raises(CountSessionOpen):  # the same two missing cases, counted on the scanning page
        services.count(engine, ctx(county.keeper), lot="W-A", counted=18)
    counts.record_count(engine, county.keeper, LATER, sid, lot="T-B", counted=4)
    counts.sign_as_keeper(engine, county.keeper, LATER, sid)
    counts.close(engine, county.admin, LATER, TODAY, sid)
    assert lot_quantity(engine, "W-A") == 18
    assert count_lines(engine, "W-A") == [(-2, 18, f"PD-{sid}")]


def test_issues_receipts_and_transfers_go_on_during_a_count(engine, county, lots):
    start(engine, county.admin)
    services.issue(engine, ctx(county.keeper), lot="W-A", quantity=2)
    services.receive(engine, ctx(county.keeper), lot="W-A", quantity=1)
    services.transfer(engine, ctx(county.admin), lot="W-A", quantity=3, to_depot="T2")
    assert lot_quantity(engine, "W-A") == 16


def test_a_direct_count_is_allowed_at_other_depots_for_lots_outside_the_count_and_after_it_ends(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    services.count(engine, ctx(county.admin), lot="W-T2", counted=6)  # another depot
    late = new_lot(engine, county.admin, "T1", "WATER", 5, code="W-LATE")  # received after the count began
    services.count(engine, ctx(county.keeper), lot=late, counted=5)
    counts.cancel(engine, county.keeper, LATER, sid)
    services.count(engine, ctx(county.keeper), lot="W-A", counted=19)
    assert (lot_quantity(engine, "W-T2"), lot_quantity(engine, "W-A")) == (6, 19)


def test_the_api_refuses_a_direct_count_during_a_count_in_the_pages_words_and_keeps_the_refusal_for_its_key(
        client, engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    headers = {**bearer(county, "keeper"), "Idempotency-Key": "phone-count-0001"}
    before = lot_quantity(engine, "W-A")
    for _ in range(2):  # the phone's retry after a lost answer gets the same refusal
        r = client.post("/api/v1/ledger", json={"kind": "count", "lot": "W-A", "counted": 18}, headers=headers)
        assert r.status_code == 409, r.json
        error = r.json["error"]
        assert (error["code"], error["message_code"], error["field"]) == ("count_session_open", "count_session_open", "lot")
        assert error["params"] == {"lot": "W-A", "count": f"PD-{sid}", "depot": "T1"} and error["count_id"] == sid
    assert lot_quantity(engine, "W-A") == before and count_lines(engine, "W-A") == []
    counts.cancel(engine, county.keeper, LATER, sid)
    r = client.post("/api/v1/ledger", json={"kind": "count", "lot": "W-A", "counted": 18}, headers=headers)
    assert r.status_code == 409  # the key's answer stays the refusal; the page resends with a new key
    r = client.post("/api/v1/ledger", json={"kind": "count", "lot": "W-A", "counted": 18},
                    headers={**headers, "Idempotency-Key": "phone-count-0002"})
    assert r.status_code == 201 and lot_quantity(engine, "W-A") == 18


def scan_strings(client, url):
    page = client.get(url).get_data(as_text=True)
    return json.loads(re.search(r'id="scan-strings">(.*?)</script>', page, re.S).group(1))


def test_the_scanning_page_says_the_refusal_in_chinese_and_english(client, county):
    login(client, "keeper", "keeper-pass")
    zh, en = scan_strings(client, "/scan"), scan_strings(client, "/scan?lang=en")
    assert zh["messages"]["count_session_open"] == "库点 %(depot)s 的盘点单 %(count)s 正在进行，请在该盘点单中登记批次 %(lot)s。"
    assert en["messages"]["count_session_open"].startswith("Count %(count)s is under way at depot %(depot)s")


# ------------------------------------------------------------------ a session's line, once per key


def test_a_count_replayed_with_its_key_is_not_a_recount(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    first = counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=18, idempotency_key="k-1")
    again = counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=18, idempotency_key="k-1")
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert (again["counted"], again["recounts"]) == (18, 0)
    recount = counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=17, idempotency_key="k-2")
    assert (recount["counted"], recount["recounts"], recount["replayed"]) == (17, 1, False)
    replay_of_first = counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=18,
                                          idempotency_key="k-1")
    assert (replay_of_first["counted"], replay_of_first["recounts"]) == (17, 1)  # the later count stands


def test_a_key_used_for_another_count_or_a_ledger_action_is_refused(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=18, idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReused):
        counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=19, idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReused):
        services.issue(engine, ctx(county.keeper, key="k-1"), lot="W-A", quantity=1)
    assert counts.get(engine, county.keeper, sid)["lines"][1]["counted"] == 18


def test_a_refused_count_stays_refused_for_its_key(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    counts.cancel(engine, county.keeper, LATER, sid)
    codes = []
    for _ in range(2):
        with pytest.raises(DomainError) as e:
            counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=18, idempotency_key="k-9")
        codes.append((e.value.status, e.value.code, e.value.message_code))
    assert codes == [(409, "count_state", "count_not_open")] * 2


def test_the_api_records_a_sessions_line_once_per_idempotency_key(client, engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    headers = {**bearer(county, "keeper"), "Idempotency-Key": "phone-line-0001"}
    answers = [client.post(f"/api/v1/counts/{sid}/lines", json={"lot": "W-A", "counted": 18}, headers=headers)
               for _ in range(2)]
    assert [r.status_code for r in answers] == [200, 200]
    assert [(r.json["counted"], r.json["recounts"], r.json["replayed"]) for r in answers] == [
        (18, 0, False), (18, 0, True)]
    r = client.post(f"/api/v1/counts/{sid}/lines", json={"lot": "W-A", "counted": 19}, headers=headers)
    assert r.status_code == 409 and r.json["error"]["code"] == "idempotency_key_reused"
    r = client.post(f"/api/v1/counts/{sid}/left-out", json={"lot": "T-B", "reason": "借出"},
                    headers={**headers, "Idempotency-Key": "phone-line-0002"})
    assert r.status_code == 200 and r.json["state"] == "left_out"
    r = client.post(f"/api/v1/counts/{sid}/lines", json={"lot": "W-A", "counted": 18},
                    headers={**headers, "Idempotency-Key": "x" * 101})
    assert r.status_code == 422 and r.json["error"]["field"] == "idempotency_key"
    session = client.get(f"/api/v1/counts/{sid}", headers=bearer(county, "keeper")).json
    assert session["totals"] == {"lots": 2, "counted": 1, "left_out": 1, "missing": 0}
    assert lot_quantity(engine, "W-A") == 20  # nothing reaches the ledger before the close


def test_simultaneous_retries_of_one_count_record_it_once(app, engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    headers = {**bearer(county, "keeper"), "Idempotency-Key": "phone-race-0001"}
    barrier, answers = threading.Barrier(THREADS), []

    def send():
        client = app.test_client()
        barrier.wait()
        r = client.post(f"/api/v1/counts/{sid}/lines", json={"lot": "W-A", "counted": 18}, headers=headers)
        answers.append((r.status_code, r.get_json()["replayed"]))

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [(200, False)] + [(200, True)] * (THREADS - 1)
    assert counts.get(engine, county.keeper, sid)["lines"][1]["recounts"] == 0
