"""The administrator's planning-rule pages in a real headless Chromium: reaching them from the main
navigation, a mistake in the response levels named next to its field and nothing saved, then saved;
a norm changed into a new version that becomes current; the levels on a phone."""
import re

import pytest
from playwright.sync_api import expect

from dispatch import settings
from dispatch.norms import NormRule
from tests.browser.test_browser_dispatch import fits_the_screen, log_in

pytestmark = pytest.mark.browser

SHOTS = "/tmp"


@pytest.fixture
def norms(engine, county, stocked):
    settings.replace_norms(engine, county.admin, [NormRule("TENT", "household", 1), NormRule("WATER", "person", 0.1,
                                                                                             per_day=True)], "初始定额")


def test_an_administrator_corrects_and_saves_the_levels_then_changes_a_norm(live_server, norms, desktop, engine):
    page = desktop
    log_in(page, live_server, "admin", "admin-pass")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="调度规则").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("调度规则")
    page.get_by_role("navigation", name="调度规则").get_by_role("link", name="响应级别").click()
    expect(page).to_have_url(live_server + "/admin/levels")

    # level II may draw 120% of the floors: refused, the message next to the field, what was typed kept
    row = page.locator('tr[data-level="II"]')
    row.get_by_label("可动用储备底线（%）").fill("120")
    row.get_by_label("送达时限（小时）").fill("8")
    page.get_by_role("button", name="保存响应级别").click()
    expect(page.get_by_role("alert")).to_contain_text("未保存任何内容")
    expect(row.locator(".field-error")).to_have_text("数值大小必须介于 0 到 100 之间。")
    expect(row.get_by_label("送达时限（小时）")).to_have_value("8")
    assert {r["level"]: r["time_target_minutes"] for r in settings.read_levels(engine)}["II"] == 720
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-levels-error.png", full_page=True)

    row.get_by_label("可动用储备底线（%）").fill("30")
    page.get_by_role("button", name="保存响应级别").click()
    expect(page.get_by_role("status").first).to_have_text("响应级别已保存。此后生成的方案将按新标准执行。")
    expect(page.locator('tr[data-level="II"]').get_by_label("送达时限（小时）")).to_have_value("8")
    level_two = {r["level"]: r for r in settings.read_levels(engine)}["II"]
    assert (level_two["time_target_minutes"], level_two["floor_draw"]) == (480, 0.3)
    assert fits_the_screen(page)

    # a norm changed: a new version, current, and the first one kept
    page.get_by_role("navigation", name="调度规则").get_by_role("link", name="人均定额").click()
    page.locator('tr[data-item="TENT"]').get_by_role("link", name="修改").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("修改定额")
    page.get_by_label("数量").fill("1.5")
    page.get_by_label("新版本备注").first.fill("帐篷加量")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page).to_have_url(live_server + "/admin/norms")
    expect(page.get_by_role("status").first).to_have_text("定额版本 2 已保存，现为当前版本。")
    expect(page.locator('tr[data-item="TENT"] td').nth(2)).to_have_text("1.5 顶")
    versions = page.locator("table.norm-versions tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("当前版本")
    expect(versions.nth(0)).to_contain_text("帐篷加量")
    expect(versions.nth(1)).to_contain_text("初始定额")
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-norms.png", full_page=True)


def test_the_levels_form_fits_a_phone_screen(live_server, norms, phone):
    log_in(phone, live_server, "admin", "admin-pass")
    phone.goto(f"{live_server}/admin/levels")
    expect(phone.locator("table.levels-edit tbody tr")).to_have_count(4)
    expect(phone.locator("table.levels-edit thead")).to_be_visible()  # a dense table on a phone, not cards
    assert fits_the_screen(phone)
    assert re.search(r"IV级", phone.locator("table.levels-edit").inner_text())
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-levels.png", full_page=True)
