"""Counting a count session (盘点单) by scanning, in headless Chromium: the scanning page shows the open session
of the depot in view with its progress, and its continuous count records each scanned lot into the session
(nothing reaches the ledger before the close) — also offline, through the outbox, once back online."""
import pytest
from playwright.sync_api import expect

from counts import services as counts
from inventory import services
from tests.browser.conftest import DESKTOP, NOW, PHONE, TODAY
from tests.browser.scan_helpers import SW_CONTROLS, log_in, ready, scan, scan_server  # noqa: F401 (fixture)
from tests.browser.test_browser_pages import fits_the_screen
from tests.integration.helpers import ledger_lines, lot_quantity

pytestmark = pytest.mark.browser

SHOTS = "/tmp"


@pytest.fixture
def open_count(engine, county, stocked):
    """PD-1 at T1, started by the administrator: LOT-PUMP-T1 (3), LOT-WATER-OLD (7), LOT-WATER-T1 (50)."""
    session = counts.start(engine, county.admin, NOW, depot="T1")
    assert [line["lot"] for line in session["lines"]] == ["LOT-PUMP-T1", "LOT-WATER-OLD", "LOT-WATER-T1"]
    return session["id"]


def keeper_page(browser, base, viewport=PHONE, locale="zh-CN"):
    context = browser.new_context(viewport=viewport, device_scale_factor=2 if viewport == PHONE else 1,
                                  is_mobile=viewport == PHONE, has_touch=viewport == PHONE, locale=locale)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "keeper", "keeper-pass")
    ready(page)
    return context, page, errors


def line(engine, county, count_id, lot):
    return next(row for row in counts.get(engine, county.admin, count_id)["lines"] if row["lot"] == lot)


def count_by_scanning(page, code, counted):
    scan(page, code)
    expect(page.locator("#lot-code")).to_have_text(code)
    expect(page.locator("#quantity")).to_be_focused()
    page.keyboard.type(str(counted))
    page.keyboard.press("Enter")
    expect(page.locator("#code")).to_be_focused()


def test_a_keeper_counts_the_open_session_by_scanning_and_the_session_shows_the_lots_counted(
        browser, scan_server, engine, county, open_count):
    base, _ = scan_server
    context, page, errors = keeper_page(browser, base)
    banner = page.locator("#count-session")
    expect(banner).to_be_hidden()
    scan(page, "http://testserver/d/T1")  # the depot label: the working depot has an open count
    expect(banner).to_contain_text("盘点单 PD-1：")
    expect(banner).to_contain_text("已盘 0 / 3")
    expect(banner.get_by_role("link", name="打开盘点单")).to_have_attribute("href", f"/counts/{open_count}")

    page.get_by_label("连续盘点").check()
    scan(page, "LOT-WATER-T1")
    expect(page.locator("#action-title")).to_have_text("PD-1 · 盘点 · LOT-WATER-T1")
    expect(page.locator("#action-note")).to_have_text("登记到盘点单 PD-1：盘点单结束时才调整库存。")
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-scan-session-phone-zh.png", full_page=True)
    page.keyboard.type("48")
    page.keyboard.press("Enter")
    expect(page.locator("#confirmation")).to_have_text("盘点单 PD-1：批次 LOT-WATER-T1 已登记实盘 48 箱。")
    expect(banner).to_contain_text("已盘 1 / 3")
    count_by_scanning(page, "LOT-PUMP-T1", 3)
    expect(banner).to_contain_text("已盘 2 / 3")
    expect(page.locator("#sent li")).to_have_count(2)
    expect(page.locator("#sent li").first).to_contain_text("→ PD-1")
    expect(page.locator("#counts-list li")).to_have_count(2)

    assert (line(engine, county, open_count, "LOT-WATER-T1")["counted"],
            line(engine, county, open_count, "LOT-PUMP-T1")["counted"]) == (48, 3)
    assert line(engine, county, open_count, "LOT-WATER-T1")["recounts"] == 0
    assert lot_quantity(engine, "LOT-WATER-T1") == 50  # nothing reaches the ledger before the close
    assert [m for m in ledger_lines(engine) if m.kind == "count"] == []

    # the counting page of the session shows them counted
    page.get_by_role("link", name="打开盘点单").click()
    expect(page.locator(".missing-count")).to_have_text("1")
    expect(page.locator("li.count-line[data-lot='LOT-WATER-T1'] dd.counted")).to_have_text("48 箱")
    context.close()
    assert errors == []


def test_a_lot_outside_the_session_is_still_counted_directly(browser, scan_server, engine, county, open_count):
    base, _ = scan_server
    services.receive(engine, services.Context(actor=county.admin, now=NOW, today=TODAY), quantity=5,
                     new_lot=services.NewLot(item="WATER", depot="T1", received_on=TODAY, code="LOT-LATE"))
    context, page, errors = keeper_page(browser, base)
    page.get_by_label("连续盘点").check()
    count_by_scanning(page, "LOT-LATE", 4)  # received after the count began: not in PD-1
    expect(page.locator("#confirmation")).to_contain_text("盘点已登记：在库 4 箱")
    expect(page.locator("#count-session")).to_contain_text("已盘 0 / 3")
    assert lot_quantity(engine, "LOT-LATE") == 4
    context.close()
    assert errors == []


def test_a_count_queued_offline_reaches_the_session_when_back_online(browser, scan_server, engine, county,
                                                                      open_count):
    base, requests = scan_server
    context, page, errors = keeper_page(browser, base)
    page.evaluate(SW_CONTROLS)
    scan(page, "LOT-WATER-T1")  # online: the session of T1 is kept on the phone
    expect(page.locator("#count-session")).to_contain_text("已盘 0 / 3")
    page.get_by_label("连续盘点").check()

    context.set_offline(True)
    count_by_scanning(page, "LOT-PUMP-T1", 2)
    expect(page.locator("#confirmation")).to_have_text("已保存在本机，待发送到盘点单 PD-1。")
    expect(page.locator("#count-session")).to_contain_text("已盘 1 / 3")  # waiting on the phone counts too
    expect(page.locator("#outbox li")).to_have_count(1)
    expect(page.locator("#outbox li")).to_contain_text("盘点 = 2 台 · LOT-PUMP-T1 → PD-1")
    scan(page, "LOT-PUMP-T1")
    expect(page.locator("#lot-quantity")).to_have_text("3 台")  # the books change only at the close
    assert line(engine, county, open_count, "LOT-PUMP-T1")["state"] == "missing"
    page.reload()  # offline: from the service worker, the count still waiting
    expect(page.locator("body")).to_have_attribute("data-scan-ready", "1", timeout=30000)
    expect(page.locator("#outbox li")).to_have_count(1)

    context.set_offline(False)  # the page hears `online` and sends
    expect(page.locator("#outbox li")).to_have_count(0)
    expect(page.locator("#sent li")).to_have_count(1)
    assert requests.count("POST", f"/api/v1/counts/{open_count}/lines") == 1
    recorded = line(engine, county, open_count, "LOT-PUMP-T1")
    assert (recorded["counted"], recorded["recounts"], recorded["counted_by"]) == (2, 0, "keeper")
    assert lot_quantity(engine, "LOT-PUMP-T1") == 3
    context.close()
    assert errors == []


def test_a_direct_count_queued_before_a_session_started_is_refused_and_the_page_learns_the_session(
        browser, scan_server, engine, county, stocked):
    base, _ = scan_server
    context, page, errors = keeper_page(browser, base)
    page.get_by_label("连续盘点").check()
    scan(page, "LOT-PUMP-T1")
    expect(page.locator("#quantity")).to_be_focused()
    expect(page.locator("#count-session")).to_be_hidden()
    context.set_offline(True)
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("#outbox li")).to_have_count(1)
    count_id = counts.start(engine, county.admin, NOW, depot="T1")["id"]  # meanwhile, at the office
    context.set_offline(False)
    rejected = page.locator("#outbox li.state-rejected")
    expect(rejected).to_have_count(1)
    expect(rejected.locator(".outbox-error")).to_contain_text("该批次正在盘点单中盘点")
    expect(rejected.locator(".outbox-detail")).to_have_text(f"库点 T1 的盘点单 PD-{count_id} 正在进行，请在该盘点单中登记批次 LOT-PUMP-T1。")
    expect(page.locator("#count-session")).to_contain_text("已盘 0 / 3")
    assert lot_quantity(engine, "LOT-PUMP-T1") == 3
    page.get_by_role("button", name="放弃此记录").click()
    count_by_scanning(page, "LOT-PUMP-T1", 2)  # counted again: into the session this time
    expect(page.locator("#count-session")).to_contain_text("已盘 1 / 3")
    expect(page.locator("#sent li")).to_have_count(1)
    assert line(engine, county, count_id, "LOT-PUMP-T1")["counted"] == 2 and lot_quantity(engine, "LOT-PUMP-T1") == 3
    context.close()
    assert errors == []


def test_a_blind_session_shows_no_book_quantity_on_the_scanning_page(browser, scan_server, engine, county, stocked):
    base, _ = scan_server
    counts.set_blind_counts(engine, county.admin, True)
    counts.start(engine, county.admin, NOW, depot="T1")
    context, page, errors = keeper_page(browser, base)
    scan(page, "LOT-WATER-T1")
    expect(page.locator("#count-session")).to_contain_text("已盘 0 / 3")
    expect(page.locator("#lot-quantity")).to_have_text("盲盘中不显示")
    scan(page, "LOT-WATER-T1-T1-V1")  # a village point's lot: not in the count
    expect(page.locator("#lot-quantity")).to_have_text("20 箱")
    context.close()
    assert errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_scanning_page_with_an_open_count_fits_the_screen_in_both_languages(browser, scan_server, open_count,
                                                                                 viewport):
    base, _ = scan_server
    context, page, errors = keeper_page(browser, base, viewport)
    for lang, words in (("zh_Hans_CN", "已盘 1 / 3"), ("en", "1 / 3 lots counted")):
        page.goto(f"{base}/scan?lang={lang}")
        ready_in_any_language(page)
        scan(page, "http://testserver/d/T1")
        page.locator("#count-mode").check()
        if lang == "zh_Hans_CN":
            count_by_scanning(page, "LOT-WATER-OLD", 7)
        scan(page, "LOT-WATER-T1")
        expect(page.locator("#count-session")).to_contain_text(words)
        expect(page.locator("#action-note")).to_be_visible()
        assert fits_the_screen(page)
        name = "phone" if viewport == PHONE else "desktop"
        page.screenshot(path=f"{SHOTS}/reliefdepot-scan-session-{name}-{lang}.png", full_page=True)
    context.close()
    assert errors == []


def ready_in_any_language(page):
    expect(page.locator("body")).to_have_attribute("data-scan-ready", "1", timeout=30000)
