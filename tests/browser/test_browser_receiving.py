"""Receiving in a real headless Chromium: a keeper fills a delivery of two lines (the second added by the page's
script), receives it, sees its two lots and opens the label sheet of both."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_pages import fits_the_screen, log_in
from tests.integration.helpers import lot_quantity

pytestmark = pytest.mark.browser


def test_a_keeper_receives_a_two_line_delivery_and_opens_its_labels(live_server, desktop, engine):
    log_in(desktop, live_server, "keeper", "keeper-pass")
    desktop.goto(live_server + "/depots/T1")
    desktop.get_by_role("link", name="登记入库").click()
    expect(desktop.get_by_role("heading", level=1)).to_have_text("登记入库")
    expect(desktop.get_by_label("库点")).to_have_value("T1")  # the depot it came from
    desktop.get_by_label("类型").select_option("agreement")
    desktop.get_by_label("供货单位 / 代储企业").fill("县粮油公司")
    desktop.get_by_label("单据号").fill("XY-2026-07")
    lines = desktop.locator("tr.delivery-line")
    expect(lines).to_have_count(10)
    desktop.get_by_role("button", name="增加一行").click()
    expect(lines).to_have_count(11)
    desktop.get_by_label("物资 1", exact=True).select_option("WATER")
    desktop.get_by_label("数量 1", exact=True).fill("120")
    desktop.get_by_label("生产日期 1", exact=True).fill("2026-06-01")
    desktop.get_by_label("保质期（月） 1", exact=True).fill("12")
    desktop.get_by_label("物资 11", exact=True).select_option("TENT")  # the line the script added
    desktop.get_by_label("数量 11", exact=True).fill("8")
    desktop.get_by_role("button", name="入库", exact=True).click()
    expect(desktop.locator(".flash-success")).to_contain_text("RK-2026-0001")
    lots = desktop.locator("table.delivery-lots tbody tr")
    expect(lots).to_have_count(2)
    expect(lots.first).to_contain_text("2027年6月1日")
    assert fits_the_screen(desktop)
    assert lot_quantity(engine, "RK-2026-0001-01") == 120 and lot_quantity(engine, "RK-2026-0001-02") == 8
    with desktop.context.expect_event("response", lambda r: "/deliveries/1/labels" in r.url) as answered:
        desktop.get_by_role("button", name="打印标签（PDF）").click()
    response = answered.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["x-label-count"] == "2"
