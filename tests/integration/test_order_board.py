"""The dispatcher's side of transfer orders on SQLite and PostgreSQL: 一键派发 (approving the latest plan with a
confirmation), cancelling with a reason until shipped, the board after a sequence of service calls (states, late
lines, delivered against needs, history, reconciliation) and the printable waybill's text."""
import re
import subprocess
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from common.db import UnitOfWork
from dispatch import settings
from dispatch.models import AffectedSite
from dispatch.norms import NormRule
from orders import board as boards
from orders import services
from orders.models import TransferOrder
from tests.conftest import csrf_token, login
from tests.integration.helpers import NOW, TODAY, snapshot, table_rows, text
from tests.integration.orders_helpers import make_stocked

DUE = NOW + timedelta(hours=12)  # level II: 12 hours from the declaration


@pytest.fixture
def stocked(engine, county, monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)
    st = make_stocked(engine, county)
    settings.replace_norms(engine, county.admin, [NormRule("TENT", "household", 1),
                                                  NormRule("WATER", "person", 0.1, per_day=True)], "board norms")
    with UnitOfWork(engine) as uow:
        uow.session.add_all([AffectedSite(incident_id=st.incident, site_code="T1-V1", people=300),
                             AffectedSite(incident_id=st.incident, site_code="S-1", people=70)])
        uow.commit()
    return st


@pytest.fixture
def under_way(engine, stocked):
    """approve → ship DO-2 (to T1-V1) and DO-1 (to S-1) → receive DO-2 partly → pick DO-3 → cancel DO-4."""
    c, k = stocked.county, stocked.keeper_c1
    services.approve_plan(engine, c.dispatcher, NOW, incident_id=stocked.incident, plan_id=stocked.plan)
    for lot, n in (("TENT-C1", 30), ("W-OLD", 40), ("W-NEW", 10)):
        services.pick(engine, k, NOW, TODAY, stocked.code(2), lot=lot, quantity=n)
    services.ship(engine, k, NOW, TODAY, stocked.code(2))
    services.pick(engine, k, NOW, TODAY, stocked.code(1), lot="TENT-C1", quantity=10)
    services.ship(engine, k, NOW, TODAY, stocked.code(1))
    services.receive(engine, c.keeper, NOW + timedelta(hours=3), TODAY, stocked.code(2), lines=[
        {"item": "TENT", "received": 18, "damaged": 2, "damage_reason": "雨淋受潮"}, {"item": "WATER", "received": 50}])
    services.pick(engine, k, NOW, TODAY, stocked.code(3), lot="W-NEW", quantity=20)
    services.cancel(engine, c.dispatcher, NOW, stocked.code(4), reason="镇储备站自行配送")
    return stocked


def orders_of(engine) -> dict[str, str]:
    with Session(engine) as s:
        return dict(s.exec(select(TransferOrder.code, TransferOrder.state)).all())


# ------------------------------------------------------------------ the board as a service


def test_the_board_gives_each_order_and_line_its_state_after_approve_ship_receive_and_cancel(engine, under_way):
    b = boards.board(engine, under_way.county.dispatcher, under_way.incident, NOW + timedelta(hours=4), TODAY)
    states = {o["code"]: (o["state"], {line["item"]: line["state"] for line in o["lines"]}) for o in b["orders"]}
    assert states == {
        under_way.code(1): ("shipped", {"TENT": "shipped"}),
        under_way.code(2): ("partly_received", {"TENT": "partly_received", "WATER": "received"}),
        under_way.code(3): ("picking", {"WATER": "picking"}),
        under_way.code(4): ("cancelled", {"TENT": "cancelled"}),
    }
    assert b["totals"]["order_states"] == {"shipped": 1, "partly_received": 1, "picking": 1,
                                             "cancelled": 1}
    history = [(e["action"], e["user"]) for e in b["orders"][1]["history"]]
    assert history[0] == ("approved", "dispatcher") and ("shipped", "keeper_c1") in history
    assert history[-1] == ("received", "keeper")
    assert b["orders"][3]["history"][-1]["details"]["reason"] == "镇储备站自行配送"
    assert [o["cancellable"] for o in b["orders"]] == [False, False, True, False]


def test_lines_not_fully_received_are_late_once_the_levels_time_target_has_passed(engine, under_way):
    dispatcher = under_way.county.dispatcher
    before = boards.board(engine, dispatcher, under_way.incident, DUE - timedelta(minutes=1), TODAY)
    assert before["due"] == DUE and before["target_minutes"] == 720 and before["totals"]["late_lines"] == 0
    after = boards.board(engine, dispatcher, under_way.incident, DUE + timedelta(minutes=1), TODAY)
    late = sorted((o["code"], line["item"]) for o in after["orders"] for line in o["lines"] if line["late"])
    assert late == [(under_way.code(1), "TENT"), (under_way.code(2), "TENT"), (under_way.code(3), "WATER")]
    assert after["totals"]["late_lines"] == 3 and after["overdue"]


def test_the_board_sets_what_each_site_received_against_its_needs(engine, under_way):
    b = boards.board(engine, under_way.county.dispatcher, under_way.incident, NOW, TODAY)
    sites = {s["code"]: s for s in b["sites"]}
    assert set(sites) == {"T1-V1", "S-1", "T2-V1"}
    village = {r["item"]: r for r in sites["T1-V1"]["items"]}
    # 300 people: 86 tents (3.5 a household), 90 cases of water (0.1 a day for 3 days); nothing held there
    assert (village["TENT"]["needed"], village["TENT"]["planned"], village["TENT"]["received"],
            village["TENT"]["in_transit"], village["TENT"]["lost"], village["TENT"]["missing"]) == (86, 30, 18, 10, 2, 68)
    assert (village["WATER"]["needed"], village["WATER"]["received"], village["WATER"]["missing"]) == (90, 50, 40)
    shelter = {r["item"]: r for r in sites["S-1"]["items"]}
    assert (shelter["TENT"]["needed"], shelter["TENT"]["received"], shelter["TENT"]["in_transit"]) == (20, 0, 10)
    assert [o["code"] for o in sites["T1-V1"]["orders"]] == [under_way.code(2), under_way.code(4)]
    assert b["totals"]["received"] == 18 + 50 and b["totals"]["in_transit"] == 20
    sources = {g["code"]: {p["code"]: p["items"] for p in g["partners"]} for g in b["by_source"]}
    assert sources == {"C1": {"S-1": [("TENT", 10)], "T1-V1": [("TENT", 30), ("WATER", 50)], "T2-V1": [("WATER", 20)]}}


def test_the_boards_reconciliation_holds_per_item(engine, under_way):
    b = boards.board(engine, under_way.county.dispatcher, under_way.incident, NOW, TODAY)
    rec = {r["item"]: r for r in b["reconciliation"]}
    assert (rec["TENT"]["left_sources"], rec["TENT"]["in_transit"], rec["TENT"]["received"], rec["TENT"]["damaged"]) \
        == (40, 20, 18, 2)
    assert (rec["WATER"]["left_sources"], rec["WATER"]["received"]) == (50, 50)
    assert b["totals"]["reconciled"]


def test_the_plan_reads_as_who_sends_what_to_whom_before_approval(engine, stocked):
    flows = boards.plan_flows(engine, stocked.county.dispatcher, stocked.incident)
    arrivals = {g["code"]: {p["code"]: p["items"] for p in g["partners"]} for g in flows["by_destination"]}
    assert arrivals == {"S-1": {"C1": [("TENT", 10)]}, "T1-V1": {"C1": [("TENT", 30), ("WATER", 50)],
                                                                  "T1": [("TENT", 5)]},
                        "T2-V1": {"C1": [("WATER", 20)]}}
    assert flows["pairs"] == 4 and flows["units"] == 115 and not flows["approved"]


# ------------------------------------------------------------------ pages: approving


def post(client, path, data, page):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def test_a_dispatcher_approves_the_latest_plan_after_confirming_and_lands_on_the_board(client, engine, stocked):
    assert login(client, "dispatcher", "dispatcher-pass").status_code == 302
    page = f"/incidents/{stocked.incident}/dispatch"
    r = client.get(page)
    assert r.status_code == 200
    words = text(r)
    for expected in ("批准并派发", "各地点到货来源", "玉龙村储备点", "县级储备库", "救灾帐篷", "玉龙镇小学避难场所"):
        assert expected in words, expected
    before = snapshot(engine)
    r = post(client, page, {"plan": str(stocked.plan)}, page)  # the box not ticked
    assert r.status_code == 422 and "请勾选确认后再派发这些调拨单。" in text(r)
    assert snapshot(engine) == before
    r = post(client, page, {"plan": str(stocked.plan), "confirm": "y"}, page)
    assert r.status_code == 302 and r.headers["Location"] == f"/incidents/{stocked.incident}/board"
    assert orders_of(engine) == {stocked.code(n): "approved" for n in (1, 2, 3, 4)}
    r = client.get(r.headers["Location"])
    assert "方案 %s 已批准，生成 4 张调拨单。" % stocked.plan in text(r)
    r = post(client, page, {"plan": str(stocked.plan), "confirm": "y"}, f"/incidents/{stocked.incident}/board")
    assert r.status_code == 422 and f"方案 {stocked.plan} 已批准过。" in text(r)


def test_approving_refuses_keepers_auditors_and_a_form_without_its_csrf_token(client, engine, stocked):
    page = f"/incidents/{stocked.incident}/dispatch"
    before = snapshot(engine)
    login(client, "keeper", "keeper-pass")
    assert client.get(page).status_code == 403
    assert post(client, page, {"plan": str(stocked.plan), "confirm": "y"}, "/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "auditor", "auditor-pass")
    r = client.get(page)
    assert r.status_code == 200 and 'class="approve-form"' not in r.get_data(as_text=True)
    assert post(client, page, {"plan": str(stocked.plan), "confirm": "y"}, page).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "dispatcher", "dispatcher-pass")
    assert client.post(page, data={"plan": str(stocked.plan), "confirm": "y"}).status_code == 400
    assert snapshot(engine) == before


def test_a_plan_newer_than_the_page_is_not_approved_unseen(client, engine, stocked):
    login(client, "dispatcher", "dispatcher-pass")
    page = f"/incidents/{stocked.incident}/dispatch"
    r = post(client, page, {"plan": str(stocked.plan - 1 if stocked.plan > 1 else 999), "confirm": "y"}, page)
    assert r.status_code == 422 and "本页打开后又制定了更新的方案" in text(r)
    assert orders_of(engine) == {}


def test_the_incident_page_leads_to_approval_and_then_to_the_board(client, engine, county, monkeypatch):
    from tests.integration.test_dispatch_pages import NORMS, SITES, TRAVEL
    from dispatch import importers, incidents, planning
    from tests.integration.helpers import new_lot

    monkeypatch.setattr("common.clock.now", lambda: NOW)
    settings.replace_norms(engine, county.admin, NORMS, "page norms")
    importers.import_travel_times(engine, county.admin, TRAVEL)
    new_lot(engine, county.admin, depot="C1", item="TENT", quantity=40, expires_on=None, code="TENT-C1")
    incident = incidents.declare(engine, county.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=NOW,
                                 sites=SITES)
    plan = planning.plan_incident(engine, county.dispatcher, incident, NOW, "Asia/Shanghai")["id"]
    login(client, "dispatcher", "dispatcher-pass")
    page = client.get(f"/incidents/{incident}").get_data(as_text=True)
    assert f'href="/incidents/{incident}/dispatch"' in page and f"批准并派发方案 {plan}…" in page
    r = post(client, f"/incidents/{incident}/dispatch", {"plan": str(plan), "confirm": "y"},
             f"/incidents/{incident}/dispatch")
    assert r.status_code == 302
    page = client.get(f"/incidents/{incident}").get_data(as_text=True)
    assert f'href="/incidents/{incident}/board"' in page and "批准并派发方案" not in page


# ------------------------------------------------------------------ pages: cancelling, the board


def test_a_dispatcher_cancels_an_order_with_a_reason_until_it_is_shipped(client, engine, under_way):
    login(client, "dispatcher", "dispatcher-pass")
    board = f"/incidents/{under_way.incident}/board"
    code = under_way.code(3)
    before = snapshot(engine)
    r = post(client, f"/orders/{code}/cancel", {"reason": "  "}, board)
    assert r.status_code == 422 and "请说明取消原因（不超过 500 字）。" in text(r)
    assert snapshot(engine) == before
    r = post(client, f"/orders/{under_way.code(1)}/cancel", {"reason": "改派"}, board)  # shipped already
    assert r.status_code == 422 and f"调拨单 {under_way.code(1)} 已发运，不能再取消。" in text(r)
    assert snapshot(engine) == before
    r = post(client, f"/orders/{code}/cancel", {"reason": "道路中断，改由镇储备站配送"}, board)
    assert r.status_code == 302 and r.headers["Location"] == f"{board}#order-{code}"
    assert orders_of(engine)[code] == "cancelled"
    assert client.post(f"/orders/{under_way.code(2)}/cancel", data={"reason": "x"}).status_code == 400


def test_keepers_and_auditors_cannot_cancel_and_auditors_read_the_board_without_forms(client, engine, under_way):
    before = snapshot(engine)
    login(client, "keeper_c1", "keeper_c1-pass")
    assert post(client, f"/orders/{under_way.code(3)}/cancel", {"reason": "x"}, "/").status_code == 403
    assert client.get(f"/incidents/{under_way.incident}/board").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "auditor", "auditor-pass")
    r = client.get(f"/incidents/{under_way.incident}/board")
    assert r.status_code == 200 and 'class="cancel-form"' not in r.get_data(as_text=True)
    assert post(client, f"/orders/{under_way.code(3)}/cancel", {"reason": "x"}, "/").status_code == 403
    assert snapshot(engine) == before


def test_the_board_page_shows_states_late_lines_and_dates_in_chinese(client, under_way, monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: DUE + timedelta(minutes=5))
    login(client, "dispatcher", "dispatcher-pass")
    r = client.get(f"/incidents/{under_way.incident}/board")
    assert r.status_code == 200
    words = text(r)
    for expected in ("调度看板", "调出在途", "部分签收", "拣货中", "已作废", "超时行", "对账平衡",
                     "2026年7月1日 22:05", "镇储备站自行配送"):
        assert expected in words, expected
    assert re.search(r'class="late-lines">3<', r.get_data(as_text=True))
    rows = table_rows(r, "reconciliation")
    assert [(row["物资"], row["调出合计"], row["在途"], row["已签收"]) for row in rows] == [
        ("救灾帐篷", "40", "20", "18"), ("瓶装饮用水", "50", "0", "50")]
    r = client.get(f"/incidents/{under_way.incident}/board?lang=en")
    assert "Dispatch board" in text(r) and "1 Jul 2026, 22:05" in text(r)


# ------------------------------------------------------------------ the waybill


def pdf_text(body: bytes, tmp_path) -> str:
    path = tmp_path / "waybill.pdf"
    path.write_bytes(body)
    return re.sub(r"\s+", "", subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                             check=True).stdout)


def test_the_waybill_pdf_carries_the_code_places_lots_quantities_and_weights_in_chinese(client, under_way, tmp_path):
    login(client, "keeper_c1", "keeper_c1-pass")  # the source's keeper prints it
    code = under_way.code(2)
    r = client.get(f"/orders/{code}/waybill.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    from sqlmodel import Session, select

    from accounts.models import SecurityEvent

    with Session(client.application.extensions["engine"]) as s:  # a document leaving the system is in the security log
        last = s.exec(select(SecurityEvent).order_by(SecurityEvent.id.desc())).first()
        assert (last.kind, last.username, last.detail) == ("export", "keeper_c1", f"waybill {code} pdf")
    words = pdf_text(r.data, tmp_path)
    for expected in (code, "应急物资调拨单", "县级储备库（C1）", "玉龙村储备点（T1-V1）", "救灾帐篷", "瓶装饮用水",
                     "TENT-C1×30", "W-OLD×40", "W-NEW×10", "1350.0",  # 30 tents × 45 kg
                     "675.0",  # 50 cases × 13.5 kg
                     "2025.0", "8.50", "车辆", "交接（发货方）签字", "接收（收货方）签字", f"http://testserver/o/{code}"):
        assert expected in words, expected


def test_the_waybill_of_an_order_not_yet_picked_lists_the_plans_lots_and_planned_weights(client, stocked, tmp_path):
    services.approve_plan(client.application.extensions["engine"], stocked.county.dispatcher, NOW,
                          incident_id=stocked.incident, plan_id=stocked.plan)
    login(client, "dispatcher", "dispatcher-pass")
    words = pdf_text(client.get(f"/orders/{stocked.code(3)}/waybill.pdf").data, tmp_path)
    assert "W-NEW×20" in words and "270.0" in words and "石桥村储备点（T2-V1）" in words
    login(client, "keeper2", "keeper2-pass")
    assert client.get(f"/orders/{stocked.code(3)}/waybill.pdf").status_code == 403
