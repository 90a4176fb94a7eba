"""The list of transfer orders (/orders) and an order's label, on SQLite and PostgreSQL: keepers see their depots'
orders with what is theirs to do, everyone else every order with filters; bad filters are clear 400s; the label
is a PDF whose QR carries <BASE_URL>/o/<code>."""
import subprocess

import pytest

from orders import services
from tests.conftest import login
from tests.integration.helpers import NOW, text
from tests.integration.orders_helpers import make_stocked


@pytest.fixture
def stocked(engine, county, monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)
    st = make_stocked(engine, county)
    services.approve_plan(engine, county.dispatcher, NOW, incident_id=st.incident, plan_id=st.plan)
    return st


def codes(page: str, st) -> list[str]:
    return [st.code(n) for n in (1, 2, 3, 4) if st.code(n) in page]


def test_a_keeper_sees_the_open_orders_of_the_depots_kept_with_what_is_to_do(client, stocked):
    assert login(client, "keeper", "keeper-pass").status_code == 302
    page = text(client.get("/orders"))
    assert codes(page, stocked) == [stocked.code(2), stocked.code(4)]  # T1-V1 receives 2; T1 sends 4
    assert "待拣货发货" in page and "调拨单" in page
    assert codes(text(client.get("/orders?state=received")), stocked) == []


def test_the_destination_keeper_is_told_to_receive_once_the_order_is_shipped(client, engine, stocked):
    c1 = stocked.keeper_c1
    services.pick(engine, c1, NOW, NOW.date(), stocked.code(2), lot="TENT-C1", quantity=30)
    services.ship(engine, c1, NOW, NOW.date(), stocked.code(2))
    assert login(client, "keeper", "keeper-pass").status_code == 302
    page = text(client.get("/orders?lang=en"))
    assert "To receive" in page and "Shipped, in transit" in page


def test_dispatchers_see_every_order_and_filter_by_state_incident_and_depot(client, engine, stocked):
    assert login(client, "dispatcher", "dispatcher-pass").status_code == 302
    assert codes(text(client.get("/orders")), stocked) == [stocked.code(n) for n in (1, 2, 3, 4)]
    assert codes(text(client.get("/orders?depot=T1")), stocked) == [stocked.code(4)]
    assert codes(text(client.get(f"/orders?incident={stocked.incident}&state=approved")), stocked) == [
        stocked.code(n) for n in (1, 2, 3, 4)]
    services.cancel(engine, stocked.county.dispatcher, NOW, stocked.code(3), reason="道路中断")
    assert codes(text(client.get("/orders?state=open")), stocked) == [stocked.code(n) for n in (1, 2, 4)]
    assert codes(text(client.get("/orders?state=cancelled")), stocked) == [stocked.code(3)]


@pytest.mark.parametrize("query, field, status", [("state=lost", "state", 422), ("incident=x1", "incident", 422),
                                                  ("depot=NOPE", "depot", 404)])
def test_a_bad_filter_is_refused_naming_it(client, stocked, query, field, status):
    assert login(client, "auditor", "auditor-pass").status_code == 302
    r = client.get(f"/orders?{query}&lang=en")
    assert r.status_code == status and field in text(r)


def test_an_order_label_is_a_pdf_with_its_code_and_route_beside_the_qr(client, stocked, tmp_path):
    assert login(client, "keeper", "keeper-pass").status_code == 302
    r = client.get(f"/orders/{stocked.code(2)}/label.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    # the code and source → destination printed beside the QR (the browser test scans the QR itself)
    (tmp_path / "l.pdf").write_bytes(r.data)
    printed = subprocess.run(["pdftotext", "l.pdf", "-"], cwd=tmp_path, check=True, capture_output=True,
                             text=True).stdout
    assert stocked.code(2) in printed and "县级储备库" in printed and "T1-V1" in printed and "调拨单" in printed
    assert client.get(f"/orders/{stocked.code(2)}/label.pdf?layout=huge").status_code == 422
    assert login(client, "keeper2", "keeper2-pass").status_code == 302
    assert client.get(f"/orders/{stocked.code(4)}/label.pdf").status_code == 403
