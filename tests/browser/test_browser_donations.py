"""Donations in a real headless Chromium: a keeper records a donation of goods, sees its lot, and downloads the
acknowledgement (捐赠回执) PDF."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_pages import fits_the_screen, log_in
from tests.integration.helpers import lot_quantity

pytestmark = pytest.mark.browser


def test_a_keeper_records_a_donation_and_downloads_its_acknowledgement(live_server, desktop, engine):
    log_in(desktop, live_server, "keeper", "keeper-pass")
    desktop.goto(live_server + "/donations")
    desktop.get_by_role("link", name="登记捐赠").click()
    expect(desktop.get_by_role("heading", level=1)).to_have_text("登记捐赠")
    desktop.get_by_label("库点").select_option("T1")
    desktop.get_by_label("捐赠方类型").select_option("person")
    desktop.get_by_label("捐赠方", exact=True).fill("李四")
    desktop.get_by_label("物资 1", exact=True).select_option("WATER")
    desktop.get_by_label("数量 1", exact=True).fill("48")
    desktop.get_by_label("有效期至 1", exact=True).fill("2027-06-30")
    desktop.get_by_role("button", name="登记捐赠", exact=True).click()
    expect(desktop.locator(".flash-success")).to_contain_text("JZ-2026-0001")
    expect(desktop.locator("table.donation-register tbody tr")).to_have_count(1)
    assert fits_the_screen(desktop)
    assert lot_quantity(engine, "RK-2026-0001-01") == 48
    with desktop.context.expect_event("response", lambda r: "/donations/1/acknowledgement.pdf" in r.url) as answered:
        desktop.get_by_role("link", name="捐赠回执（PDF）").click()
    response = answered.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
