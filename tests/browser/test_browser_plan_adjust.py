"""Adjusting a plan in a real headless Chromium: a refused line is named next to its row, then leaving out a
depot stores the adjusted plan and the page sets it beside the optimum with the sites losing coverage
highlighted; on a desktop and a phone screen, in Chinese and in English."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_dispatch import dispatch_ready, fits_the_screen, log_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

SHOTS = "/tmp"


@pytest.fixture
def planned_incident(engine, county, dispatch_ready):  # noqa: F811
    from common.clock import now
    from dispatch import incidents, planning

    incident_id = incidents.declare(engine, county.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=now(),
                                    sites=[{"site": "T1-V1", "people": 300}, {"site": "T1-V2", "people": 100}])
    planning.plan_incident(engine, county.dispatcher, incident_id, now(), "Asia/Shanghai")
    return incident_id


def test_a_dispatcher_adjusts_the_plan_and_reads_it_beside_the_optimum(live_server, planned_incident, desktop, phone):
    page = desktop
    log_in(page, live_server, "dispatcher", "dispatcher-pass")
    page.goto(f"{live_server}/incidents/{planned_incident}")
    page.get_by_text("调整方案", exact=True).click()
    form = page.locator("details.adjust-form")
    tent_line = form.locator('tr[data-line="C1|T1-V1|TENT"]')
    tent_line.get_by_label("数量").fill("41")
    form.get_by_label("调整原因").fill("多送帐篷")
    form.get_by_role("button", name="保存调整后的方案").click()
    expect(form.get_by_role("alert")).to_contain_text("未保存任何内容")
    expect(form.locator('tr[data-line="C1|T1-V1|TENT"] .field-error')).to_have_text(
        re.compile(r"^县级储备库（C1）共需调出救灾帐篷 4\d，但可用库存仅 40（扣除储备底线后最多 40）。$"))
    expect(form.locator('tr[data-line="C1|T1-V1|TENT"]').get_by_label("数量")).to_have_value("41")
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-plan-adjust-error.png", full_page=True)

    # put the line back, leave out the county depot instead, with a reason
    planned_units = form.locator('tr[data-line="C1|T1-V1|TENT"] input[name="planned"]').get_attribute("value")
    form.locator('tr[data-line="C1|T1-V1|TENT"]').get_by_label("数量").fill(planned_units)
    form.get_by_label("县级储备库 C1").check()
    form.get_by_label("调整原因").fill("县道塌方，县级储备库车辆无法出库")
    form.get_by_role("button", name="保存调整后的方案").click()
    expect(page.get_by_text("方案已调整。批准前请对照下方与最优方案的比较。")).to_be_visible()
    comparison = page.locator(".adjusted-plan")
    expect(comparison.get_by_role("heading", name="调整后方案与最优方案对比")).to_be_visible()
    expect(comparison.locator(".losing")).to_have_text("2 个地点较最优方案覆盖下降：玉龙村储备点、桃园村储备点。")
    expect(comparison.locator("table.site-compare tr.loses")).to_have_count(2)
    expect(comparison).to_contain_text("原因：县道塌方，县级储备库车辆无法出库")
    expect(page.locator("table.outflows")).not_to_contain_text("县级储备库")
    assert fits_the_screen(page)
    comparison.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-plan-adjusted.png", full_page=True)

    page.get_by_role("link", name="English").click()
    expect(page.locator(".adjusted-plan .losing")).to_have_text(
        "2 sites lose coverage against the optimum: 玉龙村储备点, 桃园村储备点.")
    page.get_by_text("Adjust the plan", exact=True).click()
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-plan-adjusted-en.png", full_page=True)

    # on a phone: the comparison and the form as dense tables, nothing wider than the screen
    log_in(phone, live_server, "dispatcher", "dispatcher-pass")
    phone.goto(f"{live_server}/incidents/{planned_incident}")
    expect(phone.locator("table.site-compare thead")).to_be_visible()  # a dense table, scrolling in its box
    phone.get_by_text("调整方案", exact=True).click()
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-plan-adjusted.png", full_page=True)
    phone.get_by_role("link", name="English").click()
    phone.get_by_text("Adjust the plan", exact=True).click()
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-plan-adjusted-en.png", full_page=True)
