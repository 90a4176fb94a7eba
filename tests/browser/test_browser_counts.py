"""A keeper counting a depot on a phone-sized page in a real headless Chromium: start the count, type what is
on each shelf, see what is still missing, read the variance sheet and sign it; the page never needs a
sideways scroll, in Chinese or in English."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_pages import fits_the_screen, log_in

pytestmark = pytest.mark.browser

SHOTS = "/tmp"


def count(page, lot: str, quantity: int) -> None:
    card = page.locator(f"li.count-line[data-lot='{lot}']")
    card.get_by_role("spinbutton").fill(str(quantity))
    card.get_by_role("button").first.click()
    expect(page.locator(".flash")).to_contain_text(f"批次 {lot}：已登记实盘 {quantity}")


def test_a_keeper_counts_a_depot_on_a_phone_and_signs_the_variance_sheet(live_server, phone, desktop):
    log_in(phone, live_server, "keeper", "keeper-pass")
    phone.get_by_text("菜单", exact=True).click()  # a phone keeps the menu behind a button
    phone.get_by_role("link", name="盘点").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("盘点")
    phone.locator("select[name=depot]").select_option("T1")
    phone.get_by_role("button", name="开始盘点").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("盘点单 PD-1")
    expect(phone.locator(".missing-count")).to_have_text("3")
    expect(phone.locator("li.count-line")).to_have_count(3)
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-count.png", full_page=True)

    count(phone, "LOT-WATER-T1", 48)
    expect(phone.locator("li.count-line[data-lot='LOT-WATER-T1'] dd.counted")).to_have_text("48 箱")
    expect(phone.locator(".missing-count")).to_have_text("2")
    phone.get_by_role("link", name="未盘", exact=True).click()
    expect(phone.locator("li.count-line")).to_have_count(2)
    count(phone, "LOT-PUMP-T1", 3)
    expect(phone.locator("li.count-line")).to_have_count(1)
    card = phone.locator("li.count-line[data-lot='LOT-WATER-OLD']")
    card.locator("summary").click()
    card.get_by_label("原因").fill("过期待报废")
    card.get_by_role("button", name="不盘").click()
    expect(phone.locator(".missing-count")).to_have_text("0")

    phone.get_by_role("link", name="差异表与签字").click()
    row = phone.locator("table.variance tbody tr", has_text="LOT-WATER-T1")
    expect(row).to_contain_text("50 箱")
    expect(row).to_contain_text("48 箱")
    expect(row.locator(".diff-minus")).to_have_text("−2")
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-variance.png", full_page=True)
    phone.get_by_role("button", name="仓管员签字").click()
    expect(phone.locator(".keeper-sign")).to_contain_text("keeper")

    phone.goto(live_server + "/counts/1?lang=en")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Count PD-1")
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-count-en.png", full_page=True)
    phone.goto(live_server + "/counts/1/variance")
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-variance-en.png", full_page=True)

    log_in(desktop, live_server, "admin", "admin-pass")
    for lang in ("zh_Hans_CN", "en"):
        desktop.goto(f"{live_server}/counts/1/variance?lang={lang}")
        desktop.screenshot(path=f"{SHOTS}/reliefdepot-desktop-variance-{lang}.png", full_page=True)
        desktop.goto(f"{live_server}/counts/1?lang={lang}")
        desktop.screenshot(path=f"{SHOTS}/reliefdepot-desktop-count-{lang}.png", full_page=True)
    desktop.goto(f"{live_server}/counts/1/variance?lang=zh_Hans_CN")
    desktop.get_by_role("button", name="签字并结束：差异记入台账").click()
    expect(desktop.locator(".supervisor-sign")).to_contain_text("admin")
    desktop.goto(f"{live_server}/counts?lang=zh_Hans_CN")
    desktop.screenshot(path=f"{SHOTS}/reliefdepot-desktop-counts.png", full_page=True)
