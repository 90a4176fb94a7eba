"""The scanning page in headless Chromium: typed codes and hardware scanners, every action a keeper
takes on a lot, what others see, and the messages for codes that lead nowhere."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.scan_helpers import log_in, ready, scan, scan_server  # noqa: F401 (fixture)
from inventory.writeoffs import service as writeoffs
from tests.integration.helpers import lot_quantity

pytestmark = pytest.mark.browser


@pytest.fixture
def keeper_phone(browser, scan_server):
    base, _ = scan_server
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "keeper", "keeper-pass")
    ready(page)
    yield page
    context.close()
    assert errors == []


def test_a_keeper_issues_from_a_typed_label_url_and_sees_the_new_balance(keeper_phone, engine):
    page = keeper_phone
    scan(page, "http://testserver/l/LOT-WATER-T1")
    lot = page.locator("#lot")
    expect(lot).to_be_visible()
    expect(lot).to_contain_text("瓶装饮用水")
    expect(page.locator("#lot-code")).to_have_text("LOT-WATER-T1")
    expect(page.locator("#lot-quantity")).to_have_text("50 箱")
    expect(page.locator("#lot-expiry")).to_have_text("2027年6月1日")
    lot.get_by_role("button", name="出库").click()
    page.locator("#quantity").fill("5")
    page.locator("#quantity").press("Enter")
    expect(page.locator("#confirmation")).to_have_text("已登记出库 5 箱。新余额：45 箱。")
    expect(page.locator("#lot-quantity")).to_have_text("45 箱")
    assert lot_quantity(engine, "LOT-WATER-T1") == 45
    page.screenshot(path="/tmp/reliefdepot-scan-issue.png", full_page=True)


def test_codes_that_lead_nowhere_get_a_clear_message_on_the_page(keeper_phone):
    page = keeper_phone
    message = page.locator("#message")
    for text, says in (
        ("NO-SUCH-LOT", "没有编码为 NO-SUCH-LOT 的批次或库点。"),
        ("http://testserver/l/NO-SUCH-LOT", "没有编码为 NO-SUCH-LOT 的批次。"),
        ("http://testserver/x/LOT-WATER-T1", "这不是本系统的编码"),
        ("http://testserver/l/%E6", "这不是本系统的编码"),
        ("https://weixin.qq.com/r/abc", "这是其他系统或其他单位的标签。"),
        ("http://testserver/o/ORD-2026-001", "没有调拨单 ORD-2026-001。"),
        ("http://testserver/d/T2", "您不保管库点 T2，不能设为当前库点。"),
    ):
        scan(page, text)
        expect(message.locator(".message-title")).to_contain_text(says)
        expect(page.locator("#lot")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text("扫码登记")  # never an error page

    # another keeper's lot: read only, with the reason
    scan(page, "http://testserver/l/LOT-WATER-T2")
    expect(message.locator(".message-title")).to_have_text("只读：此批次属于您不保管的库点。")
    expect(message.locator(".message-detail")).to_contain_text("T2")


def test_a_depot_label_sets_the_working_depot_and_counting_goes_scan_type_next(keeper_phone, engine, county):
    page = keeper_phone
    scan(page, "http://testserver/d/T1?shelf=A-03")
    expect(page.locator("#working-depot")).to_have_text("玉龙镇储备站 T1 · 货架 A-03")
    page.get_by_label("连续盘点").check()
    for code, counted in (("LOT-PUMP-T1", "3"), ("LOT-WATER-OLD", "6")):
        scan(page, f"http://testserver/l/{code}")
        expect(page.locator("#lot-code")).to_have_text(code)
        expect(page.locator("#quantity")).to_be_focused()  # no tap between the scan and the number
        page.keyboard.type(counted)
        page.keyboard.press("Enter")
        expect(page.locator("#code")).to_be_focused()  # ready for the next label
    expect(page.locator("#counts-list li")).to_have_count(2)
    expect(page.locator("#sent li")).to_have_count(2)
    assert lot_quantity(engine, "LOT-PUMP-T1") == 3
    assert lot_quantity(engine, "LOT-WATER-OLD") == 6

    # a lot of a village point the keeper keeps, scanned at the town: flagged, still recordable
    page.get_by_label("连续盘点").uncheck()
    scan(page, "LOT-WATER-T1-T1-V1")
    expect(page.locator("#lot-warning")).to_contain_text("不在当前库点")
    # an expired lot can only be written off, all of it offered at once; the write-off is a request that
    # waits for an administrator's approval, sent through the outbox, and the lot keeps its units until then
    scan(page, "LOT-WATER-OLD")
    expect(page.locator("#lot").get_by_role("button", name="出库")).to_be_disabled()
    expect(page.locator("#lot-warning")).to_contain_text("此批次已过期，只能报损。")
    page.locator("#lot").get_by_role("button", name="报损").click()
    expect(page.locator("#quantity")).to_have_value("6")
    expect(page.locator("#reason")).to_have_value("expired")
    expect(page.locator("#reason option")).to_have_count(3)  # expired, damaged, lost: approval is not a reason
    page.get_by_role("button", name="提交审批").click()
    expect(page.locator("#confirmation")).to_have_text(
        "报损申请 BS-1（6 箱）已提交，等待管理员审批；批准前批次仍有 6 箱。")
    expect(page.locator("#lot-quantity")).to_have_text("6 箱")
    assert lot_quantity(engine, "LOT-WATER-OLD") == 6
    [request] = writeoffs.list_requests(engine, county.admin)["requests"]
    assert (request["lot"], request["quantity"], request["reason"], request["status"], request["requested_by"]) == (
        "LOT-WATER-OLD", 6, "expired", "pending", "keeper")
    page.screenshot(path="/tmp/reliefdepot-scan-count.png", full_page=True)


def test_an_auditor_sees_any_lot_read_only(browser, scan_server):
    base, _ = scan_server
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, "auditor", "auditor-pass")
    ready(page)
    scan(page, "LOT-WATER-T2")
    expect(page.locator("#lot-code")).to_have_text("LOT-WATER-T2")
    expect(page.locator("#lot-readonly")).to_have_text("只读：您的角色不能登记出入库。")
    expect(page.locator("#actions")).to_be_hidden()
    context.close()


def test_a_label_opened_by_the_phones_own_camera_app_shows_the_lot_ready_to_record(browser, scan_server):
    """The phone's camera app opens the label's URL in the browser: a keeper lands on the scanning page
    with that lot and its actions, no second scan needed."""
    base, _ = scan_server
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, "keeper", "keeper-pass")
    page.goto(base + "/l/LOT-WATER-T1")
    expect(page).to_have_url(base + "/scan?code=LOT-WATER-T1")
    expect(page.locator("#lot-code")).to_have_text("LOT-WATER-T1")
    expect(page.locator("#lot").get_by_role("button", name="出库")).to_be_visible()
    context.close()
