"""The scanning page with no connection: actions are kept on the phone (IndexedDB) before any network
call, the page reloads from its service worker while offline, and everything reaches the server exactly
once when the connection returns — also an action whose answer was lost on the way back. A rule broken
by the time an action arrives comes back as a message the keeper must resolve."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from inventory import services
from inventory.models import Movement
from tests.browser.conftest import NOW, PHONE, TODAY
from tests.browser.scan_helpers import SW_CONTROLS, log_in, ready, scan, scan_server  # noqa: F401 (fixture)
from tests.integration.helpers import lot_quantity

pytestmark = pytest.mark.browser


@pytest.fixture
def keeper(browser, scan_server):
    base, requests = scan_server
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "keeper", "keeper-pass")
    ready(page)
    # the service worker controls the page and the keeper's lots are on the phone
    page.evaluate(SW_CONTROLS)
    expect(page.locator("#lots-asof")).to_contain_text("4 个批次")
    yield page, context, requests
    context.close()
    assert errors == []


def record(page, code, action, quantity, to_depot=None):
    scan(page, code)
    expect(page.locator("#lot-code")).to_have_text(code)
    page.locator("#lot").get_by_role("button", name=action, exact=True).click()
    page.locator("#quantity").fill(str(quantity))
    if to_depot:
        page.locator("#to-depot").select_option(to_depot)
    page.get_by_role("button", name="确认登记").click()


def keeper_lines(engine, keeper_id):
    with Session(engine) as s:
        return s.exec(select(Movement).where(Movement.user_id == keeper_id,
                                             Movement.idempotency_key.is_not(None))).all()


def test_actions_recorded_offline_survive_a_reload_and_reach_the_server_once(keeper, engine, county):
    page, context, requests = keeper
    context.set_offline(True)
    record(page, "LOT-WATER-T1", "出库", 3)
    expect(page.locator("#confirmation")).to_contain_text("已保存在本机，待发送。预计余额：47 箱")
    expect(page.locator("#lot-asof")).to_contain_text("离线")
    record(page, "LOT-PUMP-T1", "盘点", 2)
    record(page, "LOT-WATER-T1", "调拨", 10, to_depot="T1-V1")
    expect(page.locator("#lot-quantity")).to_have_text("37 箱")  # provisional: 50 − 3 − 10
    expect(page.locator("#net")).to_have_text("离线")
    outbox = page.locator("#outbox li")
    expect(outbox).to_have_count(3)
    expect(outbox.locator(".outbox-state")).to_have_text(["待发送"] * 3)

    pages_served = requests.count("GET", "/scan")
    page.reload()  # offline: the service worker answers
    expect(page.locator("body")).to_have_attribute("data-scan-ready", "1", timeout=30000)
    assert requests.count("GET", "/scan") == pages_served, "the page came from the server, not the service worker"
    expect(page.locator("#outbox li")).to_have_count(3)
    scan(page, "LOT-WATER-T1")
    expect(page.locator("#lot-quantity")).to_have_text("37 箱")
    expect(page.locator("#lot-asof")).to_contain_text("2 条记录待发送")  # the issue and the move
    assert keeper_lines(engine, county.keeper.user_id) == []

    # the first answer is lost: the server records the issue, the phone hears nothing
    lost = []

    def lose_first_answer(route):
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch())  # reaches the server and is applied
            route.abort("connectionreset")
        else:
            route.continue_()

    context.route("**/api/v1/ledger", lose_first_answer)
    context.set_offline(False)  # the page hears `online` and sends
    for _ in range(100):
        if lost:
            break
        page.wait_for_timeout(100)
    assert len(lost) == 1 and lost[0].status == 201
    expect(page.locator("#outbox li")).to_have_count(3)  # the lost one is still waiting
    assert lot_quantity(engine, "LOT-WATER-T1") == 47  # ... though the server applied it
    page.get_by_role("button", name="立即发送").click()
    expect(page.locator("#outbox li")).to_have_count(0)
    expect(page.locator("#outbox-empty")).to_be_visible()
    expect(page.locator("#sent li")).to_have_count(3)

    lines = keeper_lines(engine, county.keeper.user_id)
    # issue, count, transfer out + transfer in: one action each, the lost one not twice
    assert sorted(m.kind for m in lines) == ["count", "issue", "transfer_in", "transfer_out"]
    assert len({m.idempotency_key for m in lines}) == 3
    assert lot_quantity(engine, "LOT-WATER-T1") == 37
    assert lot_quantity(engine, "LOT-PUMP-T1") == 2
    assert lot_quantity(engine, "LOT-WATER-T1-T1-V1") == 30
    page.screenshot(path="/tmp/reliefdepot-scan-synced.png", full_page=True)


def test_a_rule_broken_on_arrival_comes_back_as_a_message_to_resolve(keeper, engine, county):
    page, context, _ = keeper
    context.set_offline(True)
    record(page, "LOT-WATER-T1", "出库", 40)
    expect(page.locator("#outbox li")).to_have_count(1)
    # meanwhile someone else takes most of the lot
    services.issue(engine, services.Context(actor=county.admin, now=NOW + timedelta(hours=3), today=TODAY),
                   lot="LOT-WATER-T1", quantity=30)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    rejected = page.locator("#outbox li.state-rejected")
    expect(rejected).to_have_count(1)
    expect(rejected.locator(".outbox-state")).to_have_text("服务器未接受")
    expect(rejected.locator(".outbox-error")).to_contain_text("批次库存已不足")
    expect(rejected.locator(".outbox-detail")).to_have_text("批次 LOT-WATER-T1 仅有 20，不能从中取出 40。")
    expect(rejected).to_contain_text("出库 40 箱 · LOT-WATER-T1")
    expect(page.locator("#message")).to_contain_text("服务器未接受")
    expect(page.locator("#confirmation")).to_be_hidden()
    expect(page.locator("#lot-quantity")).to_have_text("20 箱")  # what the server holds now
    page.screenshot(path="/tmp/reliefdepot-scan-rejected.png", full_page=True)
    assert lot_quantity(engine, "LOT-WATER-T1") == 20

    # it stays after a reload until the keeper decides
    page.reload()
    expect(page.locator("#outbox li.state-rejected")).to_have_count(1)
    page.get_by_role("button", name="重新发送").click()
    expect(page.locator("#outbox li.state-rejected")).to_have_count(1)
    page.get_by_role("button", name="放弃此记录").click()
    expect(page.locator("#outbox li")).to_have_count(0)
    assert keeper_lines(engine, county.keeper.user_id) == []
    assert lot_quantity(engine, "LOT-WATER-T1") == 20


def test_a_write_off_recorded_offline_becomes_one_request_even_when_its_answer_is_lost(keeper, engine, county):
    from inventory.writeoffs import service as writeoffs

    page, context, _ = keeper
    context.set_offline(True)
    scan(page, "LOT-WATER-T1")
    page.locator("#lot").get_by_role("button", name="报损", exact=True).click()
    page.locator("#quantity").fill("4")
    page.locator("#reason").select_option("damaged")
    page.get_by_role("button", name="提交审批").click()
    expect(page.locator("#confirmation")).to_have_text(
        "报损申请已保存在本机，等待发送。管理员批准前，批次中的物资不会减少。")
    expect(page.locator("#lot-quantity")).to_have_text("50 箱")  # a request takes nothing off the balance
    expect(page.locator("#outbox li")).to_have_count(1)

    lost = []

    def lose_first_answer(route):
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch())  # reaches the server and is kept
            route.abort("connectionreset")
        else:
            route.continue_()

    context.route("**/api/v1/write-offs", lose_first_answer)
    context.set_offline(False)
    for _ in range(100):
        if lost:
            break
        page.wait_for_timeout(100)
    assert len(lost) == 1 and lost[0].status == 201
    expect(page.locator("#outbox li")).to_have_count(1)  # still waiting on the phone
    page.get_by_role("button", name="立即发送").click()
    expect(page.locator("#outbox li")).to_have_count(0)
    expect(page.locator("#sent li").first).to_contain_text("报损申请 BS-1（4 箱）已提交")
    [request] = writeoffs.list_requests(engine, county.admin)["requests"]
    assert (request["quantity"], request["reason"], request["status"]) == (4, "damaged", "pending")
    assert lot_quantity(engine, "LOT-WATER-T1") == 50
