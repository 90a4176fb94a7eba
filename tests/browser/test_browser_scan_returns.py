"""Returns (回收) on the scanning page: with 回收 on, a keeper chooses the incident and the site, scans the labels of
the lots that come back (the quantity defaults to what is still out there), and inspects the returns awaiting at
their depot (restocked, damaged with a reason); still out shrinks to zero. Refusals show in the page's language.
Offline, a return and its inspection wait on the phone and reach the server once when the connection returns."""
import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from orders.models import EquipmentReturn
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.scan_helpers import log_in, ready, scan, scan_server  # noqa: F401 (fixture)
from tests.conftest import bearer
from tests.integration.orders_helpers import lot_balance, make_stocked
from tests.integration.test_returns_service import deliver_orders

pytestmark = pytest.mark.browser


@pytest.fixture
def delivered(engine, county, stocked):
    """TENT is durable; the incident's orders delivered 10 tents of TENT-C1 to shelter S-1 and 35 to the village
    point T1-V1 (30 of TENT-C1, 5 of TENT-T1), and water (not durable) there too."""
    s = make_stocked(engine, county)
    deliver_orders(engine, s)
    return s


def phone(browser, base, user, locale="zh-CN", viewport=PHONE):
    context = browser.new_context(viewport=viewport, is_mobile=viewport == PHONE, has_touch=viewport == PHONE,
                                  locale=locale)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, user, f"{user}-pass")
    ready(page)
    return context, page, errors


def still_out(app, st) -> dict:
    """What is still out, per (site, item), as the API says."""
    answer = app.test_client().get(f"/api/v1/incidents/{st.incident}/still-out", headers=bearer(st.county, "auditor"))
    assert answer.status_code == 200
    return {(r["site"], r["item"]): r["still_out"] for r in answer.json["rows"]}


def returns_mode(page, site):
    page.get_by_role("checkbox", name="回收").check()
    expect(page.locator("#returns-incident option")).to_have_count(1)  # the incident, fetched and kept
    expect(page.locator("#returns-incident")).to_contain_text("7·15 洪涝灾害 · 尚未回收 45")
    page.locator("#returns-site").select_option(site)


def receive(page, lot, quantity=None):
    # The form may still show the last scan: blank its title so that waiting for it waits for this scan's form.
    page.locator("#returns-form-title").evaluate("title => { title.textContent = ''; }")
    scan(page, f"http://testserver/l/{lot}")
    expect(page.locator("#returns-form")).to_be_visible()
    expect(page.locator("#returns-form-title")).to_contain_text(lot)
    if quantity is not None:
        page.locator("#returns-quantity").fill(str(quantity))
    page.get_by_role("button", name="登记回收").click()


def test_a_keeper_receives_returns_by_scanning_and_inspects_them_and_still_out_shrinks(
        browser, app, scan_server, engine, delivered):
    base, _requests = scan_server
    context, page, errors = phone(browser, base, "keeper_c1")
    returns_mode(page, "S-1")
    expect(page.locator('#returns-out [data-item="TENT"]')).to_contain_text("尚未回收 10 顶")

    scan(page, "http://testserver/l/TENT-C1")
    expect(page.locator("#returns-form-title")).to_have_text("TENT-C1 · 救灾帐篷")
    expect(page.locator("#returns-lot")).to_have_value("TENT-C1")
    expect(page.locator("#returns-quantity")).to_have_value("10")  # what is still out there
    expect(page.locator("#returns-depot")).to_have_value("C1")  # the keeper's only depot
    page.locator("#returns-quantity").fill("11")  # more than is out: refused on the page, nothing queued
    page.get_by_role("button", name="登记回收").click()
    expect(page.locator("#returns-error")).to_have_text("不能从 S-1 回收TENT 11 件：该处仅有 10 件尚未收回。")
    expect(page.locator("#outbox-count")).to_have_text("0")
    page.locator("#returns-quantity").fill("6")
    page.screenshot(path="/tmp/reliefdepot-scan-returns-receive.png", full_page=True)
    page.get_by_role("button", name="登记回收").click()
    expect(page.locator("#confirmation")).to_contain_text("救灾帐篷 6 顶 已回收入 县级储备库 C1，待检验")
    assert still_out(app, delivered)[("S-1", "TENT")] == 4

    receive(page, "TENT-C1")  # the default is now what is left: 4
    expect(page.locator("#confirmation")).to_contain_text("救灾帐篷 4 顶 已回收入")
    assert still_out(app, delivered)[("S-1", "TENT")] == 0

    # water is not durable equipment: the page does not know the lot, the server refuses it in Chinese
    page.locator("#returns-site").select_option("T1-V1")
    receive(page, "W-OLD-T1-V1", 1)
    expect(page.locator("#returns-warning")).to_contain_text("批次 W-OLD-T1-V1 不在 T1-V1 的待回收清单上")
    expect(page.locator("#message .message-title")).to_contain_text("服务器未接受")
    expect(page.locator("#message .message-detail")).to_contain_text("WATER（瓶装饮用水）不是耐用装备，不做回收。")
    page.locator("#outbox .outbox-item").get_by_role("button", name="放弃此记录").click()

    rows = page.locator(".returns-awaiting-row")
    expect(rows).to_have_count(2)
    before = lot_balance(engine, "TENT-C1")
    first, second = rows.nth(0), rows.nth(1)
    expect(first).to_contain_text("救灾帐篷 6 顶 · 来自 玉龙镇小学避难场所")
    expect(first.locator('[name="restocked"]')).to_have_value("6")
    first.get_by_role("button", name="登记检验").click()
    expect(page.locator("#confirmation")).to_contain_text("已检验：入库可用 6，损坏 0。")
    expect(rows).to_have_count(1)
    second = rows.first
    second.locator('[name="restocked"]').fill("3")
    second.get_by_role("button", name="登记检验").click()
    expect(second.locator(".field-error")).to_contain_text("入库（3）与损坏（0）之和须等于该数")
    second.locator('[name="damaged"]').fill("1")
    second.get_by_role("button", name="登记检验").click()
    expect(second.locator(".field-error")).to_have_text("请说明损坏原因。")
    second.locator('[name="damage_reason"]').fill("篷布撕裂")
    page.screenshot(path="/tmp/reliefdepot-scan-returns-inspect.png", full_page=True)
    second.get_by_role("button", name="登记检验").click()
    expect(page.locator("#confirmation")).to_contain_text("已检验：入库可用 3，损坏 1。")
    expect(page.locator("#returns-awaiting-empty")).to_be_visible()
    assert lot_balance(engine, "TENT-C1") == before + 10  # the damaged one waits in the lot for its write-off
    with Session(engine) as db:
        done = db.exec(select(EquipmentReturn).order_by(EquipmentReturn.id)).all()
    assert [(r.status, r.restocked, r.damaged, r.damage_reason) for r in done] == [
        ("inspected", 6, 0, None), ("inspected", 3, 1, "篷布撕裂")]
    assert done[1].write_off_request_id is not None
    assert still_out(app, delivered) == {("S-1", "TENT"): 0, ("T1-V1", "TENT"): 35}
    context.close()
    assert errors == []


def test_a_return_and_its_inspection_saved_offline_reach_the_server_once(browser, app, scan_server, engine,
                                                                           delivered):
    base, requests = scan_server
    context, page, errors = phone(browser, base, "keeper_c1")
    returns_mode(page, "T1-V1")
    context.set_offline(True)
    scan(page, "http://testserver/l/TENT-C1-T1-V1")  # the village point's own lot of the tents
    expect(page.locator("#returns-quantity")).to_have_value("35")  # what is out there, both lots together
    page.locator("#returns-quantity").fill("30")
    page.get_by_role("button", name="登记回收").click()
    expect(page.locator("#confirmation")).to_contain_text("已保存在本机，等待发送")
    expect(page.locator("#outbox li")).to_have_count(1)
    expect(page.locator('#returns-out [data-item="TENT"]')).to_contain_text("尚未回收 5 顶")  # provisional
    expect(page.locator(".returns-awaiting-row")).to_contain_text("待发送 救灾帐篷 30 顶 · 来自 玉龙村储备点 · 收入 县级储备库")
    page.screenshot(path="/tmp/reliefdepot-scan-returns-offline.png", full_page=True)
    assert still_out(app, delivered)[("T1-V1", "TENT")] == 35

    context.set_offline(False)
    page.get_by_role("button", name="立即发送").click()
    expect(page.locator("#outbox-count")).to_have_text("0")
    path = f"/api/v1/incidents/{delivered.incident}/returns"
    assert requests.count("POST", path) == 1
    assert still_out(app, delivered)[("T1-V1", "TENT")] == 5
    assert lot_balance(engine, "TENT-C1-T1-V1") == 0

    context.set_offline(True)
    row = page.locator(".returns-awaiting-row")
    expect(row.locator('[name="restocked"]')).to_have_value("30")
    row.get_by_role("button", name="登记检验").click()
    expect(page.locator("#confirmation")).to_contain_text("的检验已保存在本机，等待发送")
    expect(row).to_contain_text("检验待发送")
    context.set_offline(False)
    page.get_by_role("button", name="立即发送").click()
    expect(page.locator("#outbox-count")).to_have_text("0")
    page.get_by_role("button", name="立即发送").click()  # nothing goes twice
    expect(page.locator("#returns-awaiting-empty")).to_be_visible()
    with Session(engine) as db:
        rows = db.exec(select(EquipmentReturn)).all()
    assert [(r.quantity, r.status, r.restocked) for r in rows] == [(30, "inspected", 30)]
    assert requests.count("POST", path) == 1
    assert requests.count("POST", f"/api/v1/returns/{rows[0].id}/inspect") == 1
    context.close()
    assert errors == []


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_the_returns_mode_reads_on_a_phone_and_a_desktop(browser, scan_server, delivered, locale):
    base, _requests = scan_server
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        context, page, errors = phone(browser, base, "keeper_c1", viewport=viewport)
        if locale == "en":
            page.goto(base + "/scan?lang=en")
            expect(page.locator("body")).to_have_attribute("data-scan-ready", "1", timeout=30000)
        page.locator("#returns-mode").check()
        expect(page.locator("#returns-incident option")).to_have_count(1)
        page.locator("#returns-site").select_option("S-1")
        scan(page, "TENT-C1")
        expect(page.locator("#returns-quantity")).to_have_value("10")
        expect(page.locator("#returns-what")).to_have_text(
            "逐个扫描收回批次的标签：数量默认为该地点尚未回收的数量。" if locale == "zh"
            else "Scan the label of each lot that comes back: the quantity defaults to what is still out.")
        page.screenshot(path=f"/tmp/reliefdepot-scan-returns-{name}-{locale}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name}: the page is {width} px wide"
        context.close()
        assert errors == []
