"""First-expiry-first-out and shelves on the scanning page in headless Chromium: a later-expiring lot
scanned is warned about, naming the lot that should go first and its shelf (from the server online, from
the lots kept on the phone offline); the keeper may go on, and the ledger notes it; a shelf label lists
the lots on that shelf; a lot scanned after a shelf label is put on that shelf with one tap."""
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from inventory import services, shelves
from inventory.models import Lot, Movement
from tests.browser.conftest import NOW, PHONE, TODAY
from tests.browser.scan_helpers import log_in, ready, scan, scan_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

WARNING = "先到期先出：应先出 LOT-WATER-SOON（货架 A-03，2026年7月13日到期）"


@pytest.fixture
def shelved(engine, county, stocked):
    """Besides the stocked lots: water at T1 that expires sooner than LOT-WATER-T1, on shelf A-03."""
    services.receive(engine, services.Context(actor=county.admin, now=NOW, today=TODAY), quantity=12,
                     new_lot=services.NewLot(item="WATER", depot="T1", received_on=date(2026, 6, 20),
                                             expires_on=date(2026, 7, 13), code="LOT-WATER-SOON", shelf="A-03"))
    shelves.move_to_shelf(engine, county.admin, NOW, lot="LOT-WATER-T1", shelf="B-01")


@pytest.fixture
def keeper(browser, shelved, scan_server):
    base, _ = scan_server
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    page.clock.set_fixed_time("2026-07-01T10:00:00+08:00")  # the phone's date is the server's (frozen) date
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "keeper", "keeper-pass")
    ready(page)
    expect(page.locator("#lots-asof")).to_contain_text("5 个批次")  # kept on the phone for offline use
    yield page, context
    context.close()
    assert errors == []


def test_a_later_expiring_lot_is_warned_about_naming_the_first_lot_and_its_shelf_and_the_keeper_may_go_on(
        keeper, engine):
    page, _ = keeper
    scan(page, "http://testserver/l/LOT-WATER-T1")
    expect(page.locator("#lot-code")).to_have_text("LOT-WATER-T1")
    expect(page.locator("#lot-shelf")).to_have_text("B-01")
    warning = page.locator("#lot-fefo")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(WARNING)
    expect(warning).to_have_class("scan-warning fefo-warning")
    page.screenshot(path="/tmp/reliefdepot-scan-fefo-warning.png", full_page=True)

    page.locator("#lot").get_by_role("button", name="出库").click()  # a deliberate choice: still allowed
    page.locator("#quantity").fill("4")
    page.locator("#quantity").press("Enter")
    expect(page.locator("#confirmation")).to_contain_text("已登记出库 4 箱")
    with Session(engine) as s:
        line = s.exec(select(Movement).order_by(Movement.id.desc())).first()
    assert (line.kind, line.quantity, line.note) == ("issue", -4, "已提示先到期先出：应先出 LOT-WATER-SOON")

    # the first lot itself: no warning, it is the one to take
    scan(page, "http://testserver/l/LOT-WATER-SOON")
    expect(page.locator("#lot-code")).to_have_text("LOT-WATER-SOON")
    expect(page.locator("#lot-fefo")).to_have_text("先到期先出：应先出的就是本批次。")
    expect(page.locator("#lot-fefo")).not_to_have_class("scan-warning fefo-warning")


def test_offline_the_phone_names_the_first_lot_from_the_lots_it_keeps(keeper):
    page, context = keeper
    context.set_offline(True)
    scan(page, "LOT-WATER-T1")
    expect(page.locator("#lot-asof")).to_contain_text("离线")
    expect(page.locator("#lot-fefo")).to_contain_text(WARNING)
    # an issue of the whole first lot waiting in the outbox: the next one in line is now this lot itself
    scan(page, "LOT-WATER-SOON")
    page.locator("#lot").get_by_role("button", name="出库").click()
    page.locator("#quantity").fill("12")
    page.locator("#quantity").press("Enter")
    expect(page.locator("#confirmation")).to_contain_text("待发送")
    scan(page, "LOT-WATER-T1")
    expect(page.locator("#lot-fefo")).to_have_text("先到期先出：应先出的就是本批次。")


def test_a_shelf_label_lists_its_lots_and_a_lot_scanned_next_is_put_on_that_shelf(keeper, engine):
    page, _ = keeper
    scan(page, "http://testserver/d/T1?shelf=A-03")
    section = page.locator("#shelf-lots")
    expect(section).to_be_visible()
    expect(page.locator("#shelf-lots-title")).to_have_text("货架 A-03 上的批次")
    expect(section.locator(".shelf-lot")).to_have_count(1)
    expect(section.locator(".shelf-lot")).to_contain_text("LOT-WATER-SOON")
    expect(section.locator(".shelf-lot")).to_contain_text("12 箱 · 2026年7月13日到期")

    scan(page, "LOT-PUMP-T1")
    expect(page.locator("#lot-code")).to_have_text("LOT-PUMP-T1")
    expect(page.locator("#lot-shelf")).to_have_text("未上架")
    page.get_by_role("button", name="放到货架 A-03").click()
    expect(page.locator("#put-on-shelf-status")).to_have_text("批次 LOT-PUMP-T1 已移到货架 A-03。")
    expect(page.locator("#lot-shelf")).to_have_text("A-03")
    expect(section.locator(".shelf-lot")).to_have_count(2)  # the shelf's list holds it now
    with Session(engine) as s:
        assert s.exec(select(Lot.shelf).where(Lot.code == "LOT-PUMP-T1")).one() == "A-03"
    page.screenshot(path="/tmp/reliefdepot-scan-shelf.png", full_page=True)

    section.locator(".shelf-lot").first.click()  # a lot in the list opens like a scan
    expect(page.locator("#lot-code")).to_have_text("LOT-WATER-SOON")
