"""The pages of daily transfer requests, on SQLite and PostgreSQL: a village keeper's form and list, the
dispatcher's pending list with its approve and reject forms (CSRF required), in Chinese first."""
import pytest

from tests.conftest import csrf_token, login
from tests.integration.helpers import NOW, text
from tests.integration.orders_helpers import stock_county


@pytest.fixture
def county_stocked(engine, county, monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)
    stock_county(engine, county)
    return county


def request_water(app, quantity="80"):
    keeper = app.test_client()
    login(keeper, "keeper", "keeper-pass")
    form = keeper.get("/transfer-requests/new")
    assert form.status_code == 200
    page = text(form)
    assert "申请调拨物资" in page and "玉龙村储备点 (T1-V1)" in page and "县级储备库 (C1)" in page
    r = keeper.post("/transfer-requests/new", data={
        "csrf_token": csrf_token(keeper, "/transfer-requests/new"), "depot": "T1-V1", "source": "C1",
        "wanted_by": "2026-07-05", "item_0": "WATER", "quantity_0": quantity, "item_1": "", "quantity_1": "",
        "reason": "汛期前补充村级储备"}, follow_redirects=True)
    assert r.status_code == 200
    return keeper, text(r)


def test_a_keeper_requests_on_the_form_and_the_dispatcher_approves_on_the_pending_list(app, county_stocked):
    keeper, page = request_water(app)
    assert "RQ-1" in page and "待审批" in page and "汛期前补充村级储备" in page
    dispatcher = app.test_client()
    login(dispatcher, "dispatcher", "dispatcher-pass")
    pending = dispatcher.get("/transfer-requests?status=pending")
    assert 'name="granted_WATER"' in pending.get_data(as_text=True) and "源库可用" in text(pending)
    no_csrf = dispatcher.post("/transfer-requests/1/approve", data={"granted_WATER": "80"})
    assert no_csrf.status_code == 400
    r = dispatcher.post("/transfer-requests/1/approve", data={
        "csrf_token": csrf_token(dispatcher, "/transfer-requests"), "granted_WATER": "80"}, follow_redirects=True)
    assert r.status_code == 200 and "DO-20260701-1" in text(r)
    mine = text(keeper.get("/transfer-requests?mine=1"))
    assert "已批准" in mine and "DO-20260701-1" in mine
    order = keeper.get("/orders/DO-20260701-1")  # the order's page, with no incident
    assert order.status_code == 200 and "W-OLD" in text(order)


def test_granting_fewer_without_a_note_answers_in_chinese_and_rejecting_needs_a_reason(app, county_stocked):
    request_water(app, quantity="200")
    dispatcher = app.test_client()
    login(dispatcher, "dispatcher", "dispatcher-pass")
    token = csrf_token(dispatcher, "/transfer-requests")
    r = dispatcher.post("/transfer-requests/1/approve", data={"csrf_token": token, "granted_WATER": "200"})
    assert r.status_code == 409 and "不足" in text(r)
    r = dispatcher.post("/transfer-requests/1/approve", data={"csrf_token": token, "granted_WATER": "130"})
    assert r.status_code == 422 and "说明" in text(r)
    r = dispatcher.post("/transfer-requests/1/reject", data={"csrf_token": token, "reason": ""})
    assert r.status_code == 422
    r = dispatcher.post("/transfer-requests/1/reject", data={"csrf_token": token, "reason": "库存不足，下周再调"},
                        follow_redirects=True)
    assert r.status_code == 200 and "已驳回" in text(r)


def test_a_keeper_withdraws_a_pending_request_and_a_bad_quantity_names_its_field(app, county_stocked):
    keeper, _ = request_water(app)
    r = keeper.post("/transfer-requests/1/withdraw", data={"csrf_token": csrf_token(keeper, "/transfer-requests")},
                    follow_redirects=True)
    assert r.status_code == 200 and "已撤回" in text(r)
    r = keeper.post("/transfer-requests/new", data={
        "csrf_token": csrf_token(keeper, "/transfer-requests/new"), "depot": "T1-V1", "source": "C1",
        "wanted_by": "2026-07-05", "item_0": "WATER", "quantity_0": "-3", "reason": "x"})
    assert r.status_code == 422
