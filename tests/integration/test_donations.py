"""Donations (社会捐赠), on SQLite and PostgreSQL: goods become lots through the ledger naming the donation's delivery,
a money pledge stocks nothing, the acknowledgement PDF names donor, number and items in Chinese, the register follows
a donated lot through a transfer and an issue for an incident's order, keepers only at their depots, every bad line
named at once with nothing written."""
import subprocess

import pytest
from sqlmodel import Session, select

from accounts.models import SecurityEvent
from dispatch.models import Incident
from donations import service
from donations.models import Donation
from inventory import services as stock
from inventory.models import Lot, Movement
from orders.models import TransferOrder
from receiving.models import Delivery
from tests.conftest import csrf_token, login
from tests.integration.helpers import NOW, TODAY, ctx, table_counts, text
from common.errors import DomainError


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)


GOODS = [{"item": "WATER", "quantity": 200, "expires_on": "2027-06-30"}, {"item": "TENT", "quantity": 10}]


def give(engine, actor, **kw):
    values = dict(depot="T1", donor_kind="organisation", donor_name="县红十字会", donor_contact="0830-1234567",
                  kind="goods", lines=GOODS)
    return service.record(engine, actor, NOW, TODAY, **{**values, **kw})


def test_goods_become_lots_through_the_ledger_naming_the_donation(engine, county):
    done = give(engine, county.keeper)
    assert done["number"] == "JZ-2026-0001" and done["delivery"] == "RK-2026-0001" and not done["replayed"]
    assert [(l["lot"], l["item"], l["quantity"]) for l in done["lines"]] == [
        ("RK-2026-0001-01", "WATER", 200), ("RK-2026-0001-02", "TENT", 10)]
    with Session(engine) as s:
        delivery = s.exec(select(Delivery)).one()
        assert (delivery.kind, delivery.supplier, delivery.document_no) == ("donation", "县红十字会", "JZ-2026-0001")
        rows = s.exec(select(Movement, Lot).join(Lot, Lot.id == Movement.lot_id).order_by(Movement.id)).all()
        assert [(m.kind, m.quantity, m.reference, m.note, lot.source) for m, lot in rows] == [
            ("receive", 200, "RK-2026-0001", "县红十字会", "donation"),
            ("receive", 10, "RK-2026-0001", "县红十字会", "donation")]


def test_a_money_pledge_stocks_nothing(engine, county):
    before = table_counts(engine)
    done = give(engine, county.admin, kind="money", lines=None, amount="50000.50", purpose="灾后重建", depot="T2")
    after = table_counts(engine)
    assert done["amount_fen"] == 5000050 and done["lines"] == [] and done["delivery"] is None
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"donation": 1}


def test_bad_values_are_all_named_at_once_and_nothing_is_written(engine, county):
    before = table_counts(engine)
    with pytest.raises(DomainError) as e:
        give(engine, county.keeper, donor_name=" ", donor_kind="alien",
             lines=[{"item": "NOPE", "quantity": 1}, {"item": "WATER", "quantity": "x"}, {"item": "TENT", "quantity": 2}])
    codes = {(p.get("line"), p["message_code"]) for p in e.value.details["problems"]}
    assert {(None, "donation_donor_required"), (None, "donation_donor_kind_unknown"),
            (1, "delivery_line_no_such_item"), (2, "delivery_line_quantity")} <= codes
    with pytest.raises(DomainError) as e:
        give(engine, county.keeper, kind="money", lines=None, amount="-3")
    assert e.value.message_code == "donation_amount_bad" or \
        e.value.details["problems"][0]["message_code"] == "donation_amount_bad"
    assert table_counts(engine) == before


def test_keepers_record_only_at_their_depots_and_readers_only_read(engine, county):
    with pytest.raises(DomainError) as e:
        give(engine, county.keeper2)  # keeps T2, not T1
    assert e.value.status == 403
    for reader in (county.dispatcher, county.auditor):
        with pytest.raises(DomainError) as e:
            give(engine, reader)
        assert e.value.status == 403
    done = give(engine, county.keeper)
    assert service.get(engine, county.auditor, done["id"])["number"] == "JZ-2026-0001"
    with pytest.raises(DomainError) as e:
        service.get(engine, county.keeper2, done["id"])
    assert e.value.status == 403
    assert service.list_donations(engine, county.keeper2)["total"] == 0


def test_the_register_follows_a_donated_lot_transferred_and_issued_for_an_incident(engine, county):
    give(engine, county.keeper)
    with Session(engine) as s:
        incident = Incident(type="flood", title="七月洪涝", level="IV", declared_at=NOW, created_by=county.admin.user_id)
        s.add(incident)
        s.flush()
        t1 = s.exec(select(Lot.depot_id).where(Lot.code == "RK-2026-0001-01")).one()
        s.add(TransferOrder(code=f"DO-{incident.id}-1", incident_id=incident.id, source_depot_id=t1,
                            destination_kind="depot", destination_code="T1-V2", destination_depot_id=t1,
                            approved_by=county.admin.user_id, approved_at=NOW))
        s.commit()
        incident_id = incident.id
    stock.transfer(engine, ctx(county.keeper), lot="RK-2026-0001-01", quantity=50, to_depot="T1-V1")
    moved = [l for l in service.register(engine, county.admin)[0]["in_stock"] if l["depot"] == "T1-V1"][0]["lot"]
    stock.issue(engine, ctx(county.keeper, reference=f"DO-{incident_id}-1"), lot=moved, quantity=30)
    stock.issue(engine, ctx(county.keeper, reference=f"DO-{incident_id}-1"), lot="RK-2026-0001-01", quantity=20)
    water = service.register(engine, county.auditor)[0]
    assert (water["donation"], water["lot"], water["donated"]) == ("JZ-2026-0001", "RK-2026-0001-01", 200)
    went = [(w["kind"], w["quantity"], w["depot"], w["destination"], w["incident_title"]) for w in water["went"]]
    assert went == [("transfer_out", 50, "T1", "T1-V1", None), ("issue", 30, "T1-V1", "T1-V2", "七月洪涝"),
                    ("issue", 20, "T1", "T1-V2", "七月洪涝")]
    assert sorted((x["depot"], x["quantity"]) for x in water["in_stock"]) == [("T1", 130), ("T1-V1", 20)]
    assert water["in_stock_total"] == 150


def test_the_pages_record_once_and_the_acknowledgement_names_donor_number_and_items(app, engine, county, fixed_clock,
                                                                                     tmp_path):
    keeper = app.test_client()
    login(keeper, "keeper", "keeper-pass")
    assert keeper.get("/donations/new").status_code == 200
    form = {"csrf_token": csrf_token(keeper, "/donations/new"), "form_token": "once-1", "depot": "T1",
            "donor_kind": "person", "donor_name": "张三", "kind": "goods", "received_on": "2026-07-01",
            "item_0": "WATER", "quantity_0": "24", "expires_on_0": "2027-01-01", "item_2": "NOPE", "quantity_2": "1"}
    bad = keeper.post("/donations/new", data=form)
    assert bad.status_code in (404, 422) and "第 3 行" in text(bad) and "NOPE" in text(bad)
    good = {k: v for k, v in form.items() if not k.endswith("_2")}
    first = keeper.post("/donations/new", data=good)
    again = keeper.post("/donations/new", data=good, follow_redirects=True)
    assert first.status_code == 302 and first.headers["Location"].endswith("/donations/1")
    assert again.status_code == 200 and "JZ-2026-0001" in text(again)
    with Session(engine) as s:
        assert len(s.exec(select(Donation)).all()) == 1
    pdf = keeper.get("/donations/1/acknowledgement.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    with Session(engine) as s:  # a document leaving the system is in the security log
        last = s.exec(select(SecurityEvent).order_by(SecurityEvent.id.desc())).first()
        assert (last.kind, last.username, last.detail) == ("export", "keeper", "donation acknowledgement JZ-2026-0001 pdf")
    path = tmp_path / "ack.pdf"
    path.write_bytes(pdf.data)
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "JZ-2026-0001" in words and "张三" in words and "瓶装饮用水" in words and "捐赠回执" in words
    assert "24" in words and "玉龙镇储备站" in words
    register = text(keeper.get("/donations/register"))
    assert "RK-2026-0001-01" in register and "JZ-2026-0001" in register
    auditor = app.test_client()
    login(auditor, "auditor", "auditor-pass")
    assert auditor.get("/donations/1").status_code == 200 and auditor.get("/donations/new").status_code == 403
    assert "/donations/new" not in auditor.get("/donations").get_data(as_text=True)
    other = app.test_client()
    login(other, "keeper2", "keeper2-pass")
    assert other.get("/donations/1/acknowledgement.pdf").status_code == 403
