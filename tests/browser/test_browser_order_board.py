"""一键派发 and the dispatcher's board in a real headless Chromium: approving the plan after a confirmation, the
board after shipping, a partial receipt and a cancel, on a desktop and a phone screen, in Chinese and English."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NOW, TODAY
from tests.browser.test_browser_dispatch import dispatch_ready, fits_the_screen, log_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

SHOTS = "/tmp"


@pytest.fixture
def planned_incident(engine, county, dispatch_ready):  # noqa: F811
    from dispatch import incidents, planning

    incident_id = incidents.declare(engine, county.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=NOW,
                                    sites=[{"site": "T1-V1", "people": 300}, {"site": "T1-V2", "people": 100}])
    planning.plan_incident(engine, county.dispatcher, incident_id, NOW, "Asia/Shanghai")
    return incident_id


def pick_and_ship(engine, actor, code, now):
    from orders import services

    for line in services.get(engine, actor, code)["lines"]:
        for lot in line["planned_lots"]:
            services.pick(engine, actor, now, TODAY, code, lot=lot["lot"], quantity=lot["quantity"])
    return services.ship(engine, actor, now, TODAY, code)


def test_a_dispatcher_approves_the_plan_and_follows_the_orders_on_the_board(live_server, engine, county,
                                                                          planned_incident, desktop, phone,
                                                                          monkeypatch):
    from orders import services

    page = desktop
    log_in(page, live_server, "dispatcher", "dispatcher-pass")
    page.goto(f"{live_server}/incidents/{planned_incident}")
    page.locator("a.approve-plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("批准并派发")
    expect(page.locator("#by-destination details[data-code='T1-V1']")).to_contain_text("县级储备库")
    page.get_by_role("button", name="批准并派发").click()
    expect(page.locator(".approve-form .field-error")).to_have_text("请勾选确认后再派发这些调拨单。")
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-dispatch-confirm.png", full_page=True)
    page.locator("#confirm").check()
    page.get_by_role("button", name="批准并派发").click()
    expect(page).to_have_url(f"{live_server}/incidents/{planned_incident}/board")
    expect(page.get_by_text("张调拨单。")).to_be_visible()
    codes = [o["code"] for o in services.list_orders(engine, county.dispatcher, incident=planned_incident)][::-1]
    assert len(codes) == 4  # C1 → T1-V1, C1 → T1-V2, T1 → T1-V1, T1 → T1-V2

    # the keeper ships T1's water to T1-V1 and receives part of it there; the county depot's tents leave too
    shipped = pick_and_ship(engine, county.keeper, codes[2], NOW + timedelta(hours=1))
    water = next(line for line in shipped["lines"] if line["item"] == "WATER")
    services.receive(engine, county.keeper, NOW + timedelta(hours=2), TODAY, codes[2],
                     lines=[{"item": "WATER", "received": water["shipped"] // 2}])
    pick_and_ship(engine, county.admin, codes[0], NOW + timedelta(hours=1))

    # cancelling T1 → T1-V2: first without a reason, then with one
    page.reload()
    order = page.locator(f"details#order-{codes[3]}")
    order.locator("summary").first.click()
    order.get_by_text("取消此调拨单").click()
    order.get_by_role("button", name=f"取消调拨单 {codes[3]}").click()
    order = page.locator(f"details#order-{codes[3]}")
    expect(order.locator(".field-error")).to_have_text("请说明取消原因（不超过 500 字）。")
    order.get_by_label("取消原因").fill("镇储备站车辆另有任务")
    order.get_by_role("button", name=f"取消调拨单 {codes[3]}").click()
    expect(page.get_by_text(f"调拨单 {codes[3]} 已取消。")).to_be_visible()

    # a day later (level IV: 24 hours) what is not received is late
    monkeypatch.setattr("common.clock.now", lambda: NOW + timedelta(hours=25))
    page.reload()
    strip = page.locator(".state-strip")
    for state in ("已批准 1", "调出在途 1", "部分签收 1", "已作废 1", "对账平衡"):
        expect(strip).to_contain_text(state)
    expect(page.locator(".late-lines")).not_to_have_text("0")
    expect(page.locator(f"details#order-{codes[2]} .order-history")).to_contain_text("keeper")
    expect(page.locator("details#site-T1-V1")).to_contain_text("到货来源")
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-board-zh.png", full_page=True)
    page.goto(f"{live_server}/incidents/{planned_incident}/board?lang=en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dispatch board")
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-board-en.png", full_page=True)

    page = phone
    log_in(page, live_server, "dispatcher", "dispatcher-pass")
    page.goto(f"{live_server}/incidents/{planned_incident}/board?lang=zh_Hans_CN")
    expect(page.get_by_role("heading", level=1)).to_contain_text("调度看板")
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-phone-board-zh.png", full_page=True)
    page.goto(f"{live_server}/incidents/{planned_incident}/board?lang=en")
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-phone-board-en.png", full_page=True)
    page.goto(f"{live_server}/incidents/{planned_incident}/dispatch?lang=zh_Hans_CN")
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-phone-dispatch-zh.png", full_page=True)
