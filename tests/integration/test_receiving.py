"""Receiving deliveries (入库单), on SQLite and PostgreSQL: each line a lot through the ledger naming the delivery,
expiry from production date and shelf life, every bad line named with nothing written, keepers only into their
depots, a double submit received once, auditors read only; the JSON API and the pages."""
from datetime import date

import pytest
from sqlmodel import Session, select

from inventory.models import Lot, Movement
from receiving import service
from receiving.models import Delivery, DeliveryLine
from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import NOW, TODAY, snapshot, table_counts, text


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)


def receive(engine, actor, lines, **kw):
    values = dict(depot="T1", kind="purchase", supplier="县粮油公司", document_no="CG-2026-118", lines=lines)
    return service.receive(engine, actor, NOW, TODAY, **{**values, **kw})


THREE = [
    {"item": "WATER", "quantity": 120, "production_date": "2026-06-01", "shelf_life_months": 12},
    {"item": "TENT", "quantity": 30, "unit_price": "1280.50", "shelf": "A-03"},
    {"item": "WATER", "quantity": 40, "expires_on": "2027-03-31"},
]


def test_a_delivery_of_three_lines_makes_three_lots_and_three_receipts_naming_it(engine, county):
    done = receive(engine, county.keeper, THREE)
    assert done["number"] == "RK-2026-0001" and done["replayed"] is False
    assert [(l["lot"], l["item"], l["quantity"], l["expires_on"]) for l in done["lines"]] == [
        ("RK-2026-0001-01", "WATER", 120, date(2027, 6, 1)),  # production date + 12 months
        ("RK-2026-0001-02", "TENT", 30, None),
        ("RK-2026-0001-03", "WATER", 40, date(2027, 3, 31))]
    with Session(engine) as s:
        lines = s.exec(select(Movement, Lot).join(Lot, Lot.id == Movement.lot_id).order_by(Movement.id)).all()
        assert [(m.kind, m.quantity, m.reference, lot.code, lot.quantity) for m, lot in lines] == [
            ("receive", 120, "RK-2026-0001", "RK-2026-0001-01", 120),
            ("receive", 30, "RK-2026-0001", "RK-2026-0001-02", 30),
            ("receive", 40, "RK-2026-0001", "RK-2026-0001-03", 40)]
        assert all(m.note == "县粮油公司" for m, _ in lines)
        tent = s.exec(select(Lot).where(Lot.code == "RK-2026-0001-02")).one()
        assert (tent.storage_mode, tent.partner, tent.unit_price_cents, tent.shelf, tent.source) == (
            "physical", None, 128050, "A-03", "purchase")
        assert [l.movement_id for l in s.exec(select(DeliveryLine).order_by(DeliveryLine.line_no)).all()] == \
            [m.id for m, _ in lines]
    second = receive(engine, county.admin, [{"item": "PUMP", "quantity": 2}], kind="agreement", supplier="水泵厂",
                     depot="T2")
    assert second["number"] == "RK-2026-0002" and second["lines"][0]["storage_mode"] == "agreement"
    with Session(engine) as s:
        assert s.exec(select(Lot.partner).where(Lot.code == "RK-2026-0002-01")).one() == "水泵厂"


@pytest.mark.parametrize("produced, months, expires", [
    ("2026-01-31", 1, date(2026, 2, 28)),  # the month's last day
    ("2024-02-29", 36, date(2027, 2, 28)),
    ("2026-06-15", 24, date(2028, 6, 15)),
])
def test_the_expiry_is_the_production_date_plus_the_shelf_life_in_months(engine, county, produced, months, expires):
    done = receive(engine, county.admin, [{"item": "TENT", "quantity": 1, "production_date": produced,
                                           "shelf_life_months": months}], received_on="2026-01-31"
                   if produced == "2026-01-31" else None)
    assert done["lines"][0]["expires_on"] == expires
    with Session(engine) as s:
        assert s.exec(select(Lot.expires_on)).one() == expires


def test_a_production_date_alone_takes_the_items_shelf_life_in_days(engine, county):
    done = receive(engine, county.admin, [{"item": "WATER", "quantity": 5, "production_date": date(2026, 6, 1)}])
    assert done["lines"][0]["expires_on"] == date(2027, 6, 1)  # WATER keeps 365 days


def test_several_bad_lines_are_all_named_and_nothing_is_written(engine, county):
    before = snapshot(engine)
    with pytest.raises(Exception) as e:
        receive(engine, county.keeper, [
            {"item": "WATER", "quantity": 10},
            {"item": "NOPE", "quantity": 5},
            {"item": "TENT", "quantity": 0},
            {"item": "WATER", "quantity": 3, "expires_on": "2026-05-01"},
            {"item": "WATER", "quantity": 3, "production_date": "2026-06-01", "shelf_life_months": 12,
             "expires_on": "2027-01-01"},
            {"item": "TENT", "quantity": 1, "shelf_life_months": 6},
            {"item": "TENT", "quantity": 1, "unit_price": "1.234", "shelf": "a b"},
        ])
    error = e.value
    assert error.message_code == "lines_invalid" and error.status == 422
    assert [(p["line"], p["field"], p["message_code"]) for p in error.details["problems"]] == [
        (2, "lines[1].item", "delivery_line_no_such_item"),
        (3, "lines[2].quantity", "delivery_line_quantity"),
        (4, "lines[3].expires_on", "delivery_line_expired"),
        (5, "lines[4].expires_on", "delivery_line_expiry_disagrees"),
        (6, "lines[5].production_date", "delivery_line_months_alone"),
        (7, "lines[6].unit_price", "delivery_line_price"),
        (7, "lines[6].shelf", "shelf_malformed")]
    assert snapshot(engine) == before


def test_a_keeper_cannot_receive_into_another_keepers_depot_nor_an_auditor_anywhere(app, engine, county):
    before = table_counts(engine)
    client = app.test_client()
    body = {"depot": "T2", "kind": "purchase", "supplier": "县粮油公司", "lines": [{"item": "WATER", "quantity": 5}]}
    r = client.post("/api/v1/deliveries", json=body, headers=bearer(county, "keeper"))
    assert r.status_code == 403 and r.json["error"]["code"] == "not_your_depot"
    r = client.post("/api/v1/deliveries", json={**body, "depot": "T1"}, headers=bearer(county, "auditor"))
    assert r.status_code == 403 and r.json["error"]["code"] == "read_only"
    r = client.post("/api/v1/deliveries", json={**body, "depot": "T1"}, headers=bearer(county, "dispatcher"))
    assert r.status_code == 403
    assert table_counts(engine) == before
    done = client.post("/api/v1/deliveries", json=body, headers=bearer(county, "keeper2"))
    assert done.status_code == 201 and done.json["number"] == "RK-2026-0001"
    # the other keeper neither sees it in the list nor opens it; the auditor reads it
    assert client.get("/api/v1/deliveries", headers=bearer(county, "keeper")).json == {"total": 0, "deliveries": []}
    assert client.get(f"/api/v1/deliveries/{done.json['id']}", headers=bearer(county, "keeper")).status_code == 403
    read = client.get(f"/api/v1/deliveries/{done.json['id']}", headers=bearer(county, "auditor"))
    assert read.status_code == 200 and read.json["lines"][0]["lot"] == "RK-2026-0001-01"
    listed = client.get("/api/v1/deliveries", headers=bearer(county, "auditor")).json
    assert listed["total"] == 1 and listed["deliveries"][0]["units"] == 5
    assert client.get("/api/v1/deliveries/999", headers=bearer(county, "admin")).status_code == 404


def test_a_double_submit_with_one_key_receives_once(app, engine, county):
    client = app.test_client()
    body = {"depot": "T1", "kind": "capacity", "supplier": "帐篷厂", "document_no": "DY-7",
            "lines": [{"item": "TENT", "quantity": 50, "unit_price": 900}]}
    headers = {**bearer(county, "keeper"), "Idempotency-Key": "dl-1"}
    first = client.post("/api/v1/deliveries", json=body, headers=headers)
    again = client.post("/api/v1/deliveries", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["replayed"] is True and again.json["number"] == first.json["number"]
    with Session(engine) as s:
        assert len(s.exec(select(Delivery)).all()) == 1
        assert [m.quantity for m in s.exec(select(Movement)).all()] == [50]


def test_the_form_receives_once_names_bad_lines_and_shows_the_lots_with_their_labels(app, engine, county, fixed_clock):
    keeper = app.test_client()
    login(keeper, "keeper", "keeper-pass")
    page = keeper.get("/deliveries/new")
    assert page.status_code == 200 and "玉龙镇储备站 (T1)" in text(page) and "青山镇储备站" not in text(page)
    html = page.get_data(as_text=True)
    assert html.count('name="item_') == 10 and "js/receiving.js" in html and "<script>" not in html.split("<main")[1]
    token = csrf_token(keeper, "/deliveries/new")
    form = {"csrf_token": token, "form_token": "once-123", "depot": "T1", "kind": "purchase", "supplier": "县粮油公司",
            "document_no": "CG-9", "received_on": "2026-07-01",
            "item_0": "WATER", "quantity_0": "100", "production_date_0": "2026-06-01", "shelf_life_months_0": "12",
            "item_3": "NOPE", "quantity_3": "x", "item_4": "TENT", "quantity_4": "2", "expires_on_4": "2026-01-01"}
    before = table_counts(engine)
    bad = keeper.post("/deliveries/new", data=form)
    assert bad.status_code == 422 and table_counts(engine) == before
    shown = text(bad)
    assert "第 4 行" in shown and "第 5 行" in shown and "NOPE" in shown and "过期物资不予入库" in shown
    assert 'value="once-123"' not in bad.get_data(as_text=True)  # a fresh token for the corrected form
    good = {k: v for k, v in form.items() if not k.endswith(("_3", "_4"))}
    good.update({"item_12": "TENT", "quantity_12": "4", "unit_price_12": "880"})  # a line added by the script
    first = keeper.post("/deliveries/new", data=good)
    again = keeper.post("/deliveries/new", data=good, follow_redirects=True)
    assert first.status_code == 302 and first.headers["Location"].endswith("/deliveries/1")
    assert again.status_code == 200 and "只入库了一次" in text(again)
    with Session(engine) as s:
        assert len(s.exec(select(Movement)).all()) == 2
    shown = text(keeper.get("/deliveries/1"))
    assert "RK-2026-0001-01" in shown and "RK-2026-0001-02" in shown and "2027年6月1日" in shown and "880.00" in shown
    pdf = keeper.post("/deliveries/1/labels", data={"csrf_token": token, "layout": "a4-3x8", "copies": "1",
                                                    "start": "1"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.headers["X-Label-Count"] == "2"
    listing = text(keeper.get("/deliveries"))
    assert "RK-2026-0001" in listing and "采购" in listing
    assert "RK-2026-0001" in text(keeper.get("/lots/RK-2026-0001-01"))  # the stock card names the delivery


def test_an_auditor_reads_the_pages_but_cannot_receive(app, engine, county, fixed_clock):
    receive(engine, county.keeper, THREE[:1])
    auditor = app.test_client()
    login(auditor, "auditor", "auditor-pass")
    assert auditor.get("/deliveries/1").status_code == 200
    listing = auditor.get("/deliveries")
    assert listing.status_code == 200 and "RK-2026-0001" in text(listing) and "/deliveries/new" not in \
        listing.get_data(as_text=True)
    assert auditor.get("/deliveries/new").status_code == 403
    r = auditor.post("/deliveries/new", data={"csrf_token": csrf_token(auditor, "/deliveries"), "depot": "T1",
                                              "kind": "purchase", "supplier": "x", "item_0": "WATER",
                                              "quantity_0": "1"})
    assert r.status_code == 403
    other = app.test_client()
    login(other, "keeper2", "keeper2-pass")
    assert other.get("/deliveries/1").status_code == 403
