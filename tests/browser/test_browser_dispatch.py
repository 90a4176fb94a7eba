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

    # the sites first, each site's needs on demand: T1-V1 holds 20 cases of water of its own
    sites = page.locator("table.affected-sites")
    expect(sites.locator("tbody tr")).to_have_count(2)
    sites.get_by_role("link", name="玉龙村储备点").click()
    expect(page).to_have_url(re.compile(r"\?site=T1-V1#site-detail$"))
    needs = page.locator("table.needs")
    water_v1 = needs.locator('tr[data-site="T1-V1"]', has_text="瓶装饮用水")
    expect(water_v1.locator("td")).to_have_text(["瓶装饮用水", "90 箱", "20 箱", "70 箱", "—", "—", "—"])
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
    expect(plan.get_by_role("button", name="重新生成方案")).to_be_visible()
    summary = page.locator("table.item-summary")
    expect(summary.locator("tbody tr")).to_have_count(3)  # pumps, tents, water: each in its unit
    expect(summary.locator('tr[data-item="TENT"]')).to_contain_text("顶")
    expect(page.locator("ul.shortages li strong")).to_have_text(["救灾帐篷", "瓶装饮用水"])  # T1's 3 pumps suffice
    sites = page.locator("table.affected-sites")
    expect(sites.locator("thead")).to_be_visible()
    expect(sites.locator("tbody tr")).to_have_count(2)
    expect(sites.locator(".fill-bar").first).to_be_visible()
    expect(page.locator("table.unmet")).to_contain_text("库存不足，已公平分配")
    outflows = page.locator("table.outflows tbody tr")
    expect(outflows).to_have_count(2)
    expect(outflows.nth(0)).to_contain_text("县级储备库")
    expect(outflows.nth(0)).to_contain_text("救灾帐篷")
    expect(outflows.nth(1)).to_contain_text("玉龙镇储备站")
    expect(outflows.nth(1).locator("td.trucks")).to_have_text("2")
    expect(page.get_by_role("link", name="规划输入（JSON）")).to_have_attribute(
        "href", re.compile(r"/incidents/\d+/problem\.json$"))
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-incident-plan.png", full_page=True)

    # the same page in English
    page.get_by_role("link", name="English").click()
    expect(plan.get_by_role("heading", name="Allocation plan")).to_be_visible()
    expect(page.locator("table.unmet")).to_contain_text("Short of stock, shared fairly")


def test_the_plan_fits_a_phone_screen(live_server, dispatch_ready, phone, engine, county):
    from common.clock import now
    from dispatch import incidents, planning

    incident_id = incidents.declare(engine, county.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=now(),
                                    sites=[{"site": "T1-V1", "people": 300}, {"site": "T1-V2", "people": 100}])
    planning.plan_incident(engine, county.dispatcher, incident_id, now(), "Asia/Shanghai")
    log_in(phone, live_server, "dispatcher", "dispatcher-pass")
    phone.goto(f"{live_server}/incidents/{incident_id}")
    sites = phone.locator("table.affected-sites")
    expect(sites.locator("tbody tr")).to_have_count(2)
    expect(sites.locator("thead")).to_be_visible()  # compact rows, not cards, on a phone
    expect(phone.locator("table.item-summary th.wide-only").first).to_be_hidden()  # needed / own stock from 40rem
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-incident-plan.png", full_page=True)


def test_on_a_phone_the_section_nav_reaches_every_section(live_server, dispatch_ready, phone, engine, county):
    from common.clock import now
    from dispatch import incidents, planning

    incident_id = incidents.declare(engine, county.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=now(),
                                    sites=[{"site": "T1-V1", "people": 300}, {"site": "T1-V2", "people": 100}])
    planning.plan_incident(engine, county.dispatcher, incident_id, now(), "Asia/Shanghai")
    log_in(phone, live_server, "dispatcher", "dispatcher-pass")
    phone.goto(f"{live_server}/incidents/{incident_id}")
    nav = phone.get_by_role("navigation", name="本页各部分")
    links = nav.get_by_role("link")
    hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    targets = [href.lstrip("#") for href in hrefs if href.startswith("#")]
    assert targets == ["summary", "sites", "unmet", "depots", "plan-lines", "level", "orders", "downloads"]
    assert f"/incidents/{incident_id}/map" in hrefs  # and the incident's map, a page of its own
    for target in reversed(targets):  # from the bottom up, so that each jump moves the page
        nav.locator(f'a[href="#{target}"]').click()
        expect(phone).to_have_url(re.compile(rf"#{target}$"))
        expect(phone.locator(f"#{target}")).to_be_in_viewport()
        expect(nav).to_be_in_viewport()  # the nav stays at the top of the screen
        top = phone.locator(f"#{target}").evaluate("e => e.getBoundingClientRect().top")
        nav_bottom = nav.evaluate("e => e.getBoundingClientRect().bottom")
        assert top >= nav_bottom - 1, target  # the section's top is not hidden under the nav
    assert fits_the_screen(phone)
