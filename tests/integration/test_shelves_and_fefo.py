"""Shelf locations and first-expiry-first-out through the API, on SQLite and PostgreSQL."""
from datetime import date

import pytest
from sqlmodel import Session, select

from common import clock
from inventory.models import Lot, ShelfMove
from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import NOW, new_lot, snapshot, table_rows, text


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """Requests read 2026-07-01 10:00 in the county (the lots' expiry dates are set around it)."""
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def waters(engine, county):
    """Water at T1 in four lots: expired, soonest (on A-03), later (on B-01), no expiry; and water at T2."""
    for code, expires, shelf, quantity in (("W-EXPIRED", date(2026, 6, 30), "A-01", 5),
                                           ("W-SOON", date(2026, 9, 1), "A-03", 10),
                                           ("W-LATE", date(2027, 3, 1), "B-01", 10),
                                           ("W-EMPTY", date(2026, 8, 1), "A-03", 1)):
        new_lot(engine, county.admin, code=code, expires_on=expires, shelf=shelf, quantity=quantity)
    new_lot(engine, county.admin, code="W-T2", depot="T2", expires_on=date(2026, 7, 15))
    from inventory import services
    from tests.integration.helpers import ctx
    services.issue(engine, ctx(county.admin), lot="W-EMPTY", quantity=1)


def test_a_lot_answers_which_lot_of_its_item_at_its_depot_goes_first_with_its_shelf(client, county, waters):
    r = client.get("/api/v1/lots/W-LATE", headers=bearer(county, "keeper"))
    assert r.status_code == 200
    assert r.json["shelf"] == "B-01"
    assert r.json["first_out"] == {"code": "W-SOON", "shelf": "A-03", "expires_on": "2026-09-01",
                                   "received_on": "2026-06-01", "quantity": 10}
    assert r.json["out_of_order"] is True
    soon = client.get("/api/v1/lots/W-SOON", headers=bearer(county, "keeper")).json
    assert soon["first_out"]["code"] == "W-SOON" and soon["out_of_order"] is False
    # the other depot's water is not a candidate, and its own first lot is itself
    assert client.get("/api/v1/lots/W-T2", headers=bearer(county, "auditor")).json["first_out"]["code"] == "W-T2"


def test_nothing_goes_first_when_no_lot_of_the_item_is_usable(client, engine, county):
    new_lot(engine, county.admin, code="P-OLD", item="PUMP", expires_on=date(2026, 6, 1), quantity=2)
    r = client.get("/api/v1/lots/P-OLD", headers=bearer(county, "keeper"))
    assert r.json["first_out"] is None and r.json["out_of_order"] is False


def test_the_lot_list_filters_by_shelf_and_a_bad_shelf_is_named(client, county, waters):
    r = client.get("/api/v1/lots?depot=T1&shelf=a-03", headers=bearer(county, "keeper"))
    assert r.status_code == 200 and [lot["code"] for lot in r.json["lots"]] == ["W-SOON"]
    assert r.json["lots"][0]["shelf"] == "A-03"
    r = client.get("/api/v1/lots?shelf=A-03&include_empty=true", headers=bearer(county, "admin"))
    assert [lot["code"] for lot in r.json["lots"]] == ["W-EMPTY", "W-SOON"]
    bad = client.get("/api/v1/lots?shelf=A%2F03", headers=bearer(county, "admin"))
    assert bad.status_code == 422 and bad.json["error"]["field"] == "shelf"


def test_a_new_lot_is_received_onto_a_shelf_and_a_bad_shelf_code_changes_nothing(client, engine, county):
    body = {"kind": "receive", "quantity": 4, "new_lot": {"item": "TENT", "depot": "T1", "code": "TENT-1",
                                                          "shelf": "c-2"}}
    r = client.post("/api/v1/ledger", json=body, headers=bearer(county, "keeper"))
    assert r.status_code == 201
    assert client.get("/api/v1/lots/TENT-1", headers=bearer(county, "keeper")).json["shelf"] == "C-2"
    before = snapshot(engine)
    for shelf in ("C 2", "货架", "A" * 17):
        body["new_lot"].update(code="TENT-2", shelf=shelf)
        r = client.post("/api/v1/ledger", json=body, headers=bearer(county, "keeper"))
        assert r.status_code == 422 and "new_lot.shelf" in (r.json["error"].get("field"), *r.json["error"].get("fields", {}))
    assert snapshot(engine) == before


def test_a_keeper_moves_a_lot_to_another_shelf_and_the_stock_card_keeps_who_and_when(client, engine, county, waters):
    r = client.put("/api/v1/lots/W-LATE/shelf", json={"shelf": "b-02", "note": "整理货架"},
                   headers=bearer(county, "keeper"))
    assert r.status_code == 200
    assert r.json["from_shelf"] == "B-01" and r.json["to_shelf"] == "B-02" and r.json["user"] == "keeper"
    assert client.put("/api/v1/lots/W-LATE/shelf", json={"shelf": None}, headers=bearer(county, "admin")).status_code == 200
    card = client.get("/api/v1/lots/W-LATE/card", headers=bearer(county, "auditor")).json
    assert card["lot"]["shelf"] is None
    assert [(m["from_shelf"], m["to_shelf"], m["user"], m["note"]) for m in card["shelf_moves"]] == [
        ("B-01", "B-02", "keeper", "整理货架"), ("B-02", None, "admin", None)]
    assert [e["kind"] for e in card["entries"]] == ["receive"]  # no ledger line for a move


@pytest.mark.parametrize("who, status, code", [("keeper2", 403, "not_your_depot"), ("auditor", 403, "read_only"),
                                               ("dispatcher", 403, "forbidden")])
def test_only_the_depots_keepers_and_administrators_move_a_lot_between_shelves(client, engine, county, waters,
                                                                               who, status, code):
    before = snapshot(engine)
    r = client.put("/api/v1/lots/W-LATE/shelf", json={"shelf": "B-02"}, headers=bearer(county, who))
    assert (r.status_code, r.json["error"]["code"]) == (status, code)
    assert snapshot(engine) == before


@pytest.mark.parametrize("body, field", [({"shelf": "B--2"}, "shelf"), ({"shelf": "B/2"}, "shelf"),
                                         ({"shelf": "B" * 17}, "shelf"), ({}, "shelf"), ({"shelf": "B-01"}, "shelf"),
                                         ({"shelf": "B-02", "note": "x" * 501}, "note")])
def test_a_bad_or_unchanged_shelf_is_refused_naming_the_field_and_nothing_is_kept(client, engine, county, waters,
                                                                                 body, field):
    before = snapshot(engine)
    r = client.put("/api/v1/lots/W-LATE/shelf", json=body, headers=bearer(county, "keeper"))
    assert r.status_code == 422
    assert r.json["error"].get("field") == field or field in r.json["error"].get("fields", {})
    assert snapshot(engine) == before


def test_moving_an_unknown_lot_is_404(client, county):
    r = client.put("/api/v1/lots/NOPE/shelf", json={"shelf": "A-1"}, headers=bearer(county, "admin"))
    assert r.status_code == 404 and r.json["error"]["field"] == "lot"


def test_a_moved_lot_arrives_off_any_shelf_at_the_other_depot(client, engine, county, waters):
    r = client.post("/api/v1/ledger", json={"kind": "transfer", "lot": "W-SOON", "quantity": 2, "to_depot": "T1-V1"},
                    headers=bearer(county, "keeper"))
    assert r.status_code == 201
    with Session(engine) as s:
        assert s.exec(select(Lot.shelf).where(Lot.code == "W-SOON-T1-V1")).one() is None
        assert s.exec(select(ShelfMove)).all() == []


# ---------------------------------------------------------------- the pages


def test_a_shelf_label_opens_the_depot_page_with_only_the_lots_on_that_shelf(client, county, waters):
    login(client, "keeper", "keeper-pass")
    r = client.get("/d/T1?shelf=a-03", follow_redirects=True)
    assert r.status_code == 200
    assert "货架 A-03 上的批次" in text(r)
    assert [row["批次"] for row in table_rows(r, "lots")] == ["W-SOON"]
    assert table_rows(r, "lots")[0]["货架"] == "A-03"
    everything = client.get("/depots/T1")
    assert {row["批次"] for row in table_rows(everything, "lots")} == {"W-EXPIRED", "W-SOON", "W-LATE"}
    assert client.get("/depots/T1?shelf=A%2F3").status_code == 422


def test_the_stock_card_shows_the_shelf_and_names_the_lot_that_should_leave_first(client, county, waters):
    login(client, "auditor", "auditor-pass")
    page = text(client.get("/lots/W-LATE"))
    assert "货架 B-01" in page
    assert "先到期先出：W-SOON（货架 A-03，2026年9月1日到期）应先于本批次出库。" in page
    assert "移到货架" not in page  # auditors read only
    assert "本批次是本库点该物资应最先出库的批次" in text(client.get("/lots/W-SOON"))


def test_a_keeper_moves_a_lot_to_a_shelf_on_its_stock_card_and_a_bad_code_comes_back_beside_the_field(
        client, engine, county, waters):
    login(client, "keeper", "keeper-pass")
    token = csrf_token(client, "/lots/W-LATE")
    before = snapshot(engine)
    bad = client.post("/lots/W-LATE/shelf", data={"shelf": "B 2", "csrf_token": token})
    assert bad.status_code == 422
    assert "B 2 不是货架编号" in text(bad) and 'aria-invalid="true"' in bad.get_data(as_text=True)
    assert snapshot(engine) == before
    r = client.post("/lots/W-LATE/shelf", data={"shelf": "c-07", "note": "腾库", "csrf_token": token},
                    follow_redirects=True)
    assert r.status_code == 200 and "批次 W-LATE 已移到货架 C-07。" in text(r)
    assert table_rows(r, "shelf-moves") == [{"时间": table_rows(r, "shelf-moves")[0]["时间"], "原货架": "B-01",
                                             "新货架": "C-07", "经办人": "keeper", "备注": "腾库"}]
    client.get("/?lang=en")
    again = client.post("/lots/W-LATE/shelf", data={"shelf": "C-07", "csrf_token": token})
    assert again.status_code == 422 and "Lot W-LATE is already on shelf C-07." in text(again)
