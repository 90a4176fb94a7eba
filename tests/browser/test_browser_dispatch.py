"""The dispatcher's pages in a real headless Chromium: declaring an incident with two sites through the
form (after a mistake), reading its needs, requesting a plan and reading fill rates and outflows."""
import re

import pytest
from playwright.sync_api import Page, expect

from dispatch import importers, settings
from dispatch.norms import NormRule

pytestmark = pytest.mark.browser

SHOTS = "/tmp"
NORMS = [
    NormRule("TENT", "household", 1),
    NormRule("WATER", "person", 0.1, per_day=True),
    NormRule("PUMP", "site", 1, incident_types=("flood",)),
]
TRAVEL = b"depot,site,minutes\nC1,T1-V1,60\nC1,T1-V2,70\nT1,T1-V1,20\nT1,T1-V2,25\n"


@pytest.fixture
def dispatch_ready(engine, county, stocked):
    """On top of the browser tier's stock: norms for tents, water and pumps, and road times to T1's villages."""
    settings.replace_norms(engine, county.admin, NORMS, "browser norms")
    importers.import_travel_times(engine, county.admin, TRAVEL)


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + "/")


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_dispatcher_declares_an_incident_and_reads_its_plan(live_server, dispatch_ready, desktop):
    page = desktop
    log_in(page, live_server, "dispatcher", "dispatcher-pass")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="灾情响应").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("灾情响应")
    expect(page.get_by_text("暂无灾情响应。")).to_be_visible()
    page.get_by_role("link", name="启动应急响应").click()
    expect(page).to_have_url(live_server + "/incidents/new")

    # a typo first: the form comes back with the message under the sites, and what was typed
    page.get_by_label("标题").fill("7·15 洪涝灾害")
    sites = page.get_by_label("受灾地点及安置人数")
    sites.fill("T1-V1, 300\nT1-V9, 100")
    expect(page.locator("#people-preview")).to_have_text("已填写 2 个地点，共安置 400 人，按人数建议IV级。")
    page.get_by_role("button", name="启动响应").click()
    expect(page.locator(".sites-field .field-error")).to_have_text("第 2 行：没有编码为 T1-V9 的村储备点或避难场所。")
    expect(page.get_by_role("alert")).to_contain_text("未保存任何内容")
    expect(page.get_by_label("标题")).to_have_value("7·15 洪涝灾害")
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-declare-error.png", full_page=True)

    # the codes are listed on the form; correct the line and declare
    page.get_by_text("村储备点和避难场所编码").click()
    expect(page.locator(".site-codes").get_by_text("桃园村储备点")).to_be_visible()
    sites.fill("T1-V1, 300\nT1-V2, 100")
    page.get_by_role("button", name="启动响应").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+$"))
    expect(page.get_by_role("status").first).to_have_text("应急响应已启动。请核对物资需求，再生成调拨方案。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("7·15 洪涝灾害")
    expect(page.locator(".badges .level")).to_have_text("IV级")

    # the needs, grouped by site: T1-V1 holds 20 cases of water of its own
    needs = page.locator("table.needs")
    expect(needs.locator("tr.group-row")).to_have_count(2)
    water_v1 = needs.locator('tr[data-site="T1-V1"]', has_text="瓶装饮用水")
    expect(water_v1.locator("td")).to_have_text(["瓶装饮用水 Bottled water", "90 箱", "20 箱", "70 箱"])
    expect(page.get_by_text("尚未生成调拨方案。")).to_be_visible()

    # request the plan: the button says it is working once pressed. The first press is held back in the
    # page (a listener after the page's own cancels it) so that the working state can be seen.
    page.evaluate("document.querySelector('.plan-form').addEventListener('submit', e => e.preventDefault())")
    page.get_by_role("button", name="生成调拨方案").click()
    working = page.locator(".plan-form button")
    expect(working).to_have_text("正在生成方案…")
    expect(working).to_have_attribute("aria-busy", "true")
    expect(working).to_be_disabled()
    page.evaluate("document.querySelector('.plan-form').submit()")  # now send it (no submit event this time)
    expect(page).to_have_url(re.compile(r"/incidents/\d+#plan$"))
    expect(page.get_by_role("status").first).to_have_text("调拨方案已生成。")

    plan = page.locator("#plan")
    expect(plan.locator(".plan-totals")).to_contain_text("总体满足率")
    expect(plan.get_by_role("button", name="重新生成方案")).to_be_visible()
    matrix = plan.locator("table.fill-matrix")
    expect(matrix.locator("thead")).to_be_visible()
    expect(matrix.locator("tbody tr")).to_have_count(2)
    expect(matrix.locator("tfoot")).to_contain_text("全部地点")
    expect(matrix.locator(".fill-bar").first).to_be_visible()
    expect(plan.locator("table.unmet")).to_contain_text("库存不足，已公平分配")
    outflows = plan.locator("table.outflows tbody tr")
    expect(outflows).to_have_count(2)
    expect(outflows.nth(0)).to_contain_text("县级储备库")
    expect(outflows.nth(0)).to_contain_text("救灾帐篷")
    expect(outflows.nth(1)).to_contain_text("玉龙镇储备站")
    expect(outflows.nth(1).locator("td.trucks")).to_have_text("2")
    expect(plan.get_by_role("link", name="规划输入（JSON）")).to_have_attribute(
        "href", re.compile(r"/incidents/\d+/problem\.json$"))
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-incident-plan.png", full_page=True)

    # the same page in English
    page.get_by_role("link", name="English").click()
    expect(plan.get_by_role("heading", name="Allocation plan")).to_be_visible()
    expect(plan.locator("table.unmet")).to_contain_text("Short of stock, shared fairly")


def test_the_plan_fits_a_phone_screen(live_server, dispatch_ready, phone, engine, county):
    from common.clock import now
    from dispatch import incidents, planning

    incident_id = incidents.declare(engine, county.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=now(),
                                    sites=[{"site": "T1-V1", "people": 300}, {"site": "T1-V2", "people": 100}])
    planning.plan_incident(engine, county.dispatcher, incident_id, now(), "Asia/Shanghai")
    log_in(phone, live_server, "dispatcher", "dispatcher-pass")
    phone.goto(f"{live_server}/incidents/{incident_id}")
    expect(phone.locator("table.fill-matrix tbody tr")).to_have_count(2)
    expect(phone.locator("table.fill-matrix thead")).to_be_visible()  # a dense table on a phone, not cards
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-incident-plan.png", full_page=True)
