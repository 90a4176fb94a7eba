"""The auditor's pages in a real headless Chromium: the expiry report with its chart on a phone, and an
export downloaded through the page with its progress shown."""
import csv
import io
import re

import openpyxl
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SHOTS = "/tmp"


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(base + "/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + "/")


def test_an_auditor_on_a_phone_reads_the_expiry_report_with_its_chart(live_server, phone):
    log_in(phone, live_server, "auditor", "auditor-pass")
    phone.get_by_text("菜单", exact=True).click()  # a phone keeps the menu behind a button
    phone.get_by_role("navigation", name="主导航").get_by_role("link", name="报表").click()
    phone.get_by_role("link", name="临期过期报表").first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("临期过期报表")
    expect(phone.locator("svg.chart")).to_be_visible()
    expect(phone.locator("table.report-expiry-1 tbody tr").first).to_contain_text("LOT-WATER-OLD")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-expiry.png", full_page=True)


def test_the_ledger_export_downloads_through_the_page_with_its_progress(live_server, desktop):
    log_in(desktop, live_server, "auditor", "auditor-pass")
    desktop.goto(live_server + "/audit/ledger?depot=T1")
    with desktop.expect_download() as caught:
        desktop.locator("a[data-export]", has_text="CSV").click()
    download = caught.value
    assert re.fullmatch(r"ledger-\d{8}-\d{4}\.csv", download.suggested_filename)
    expect(desktop.locator("#export-progress .export-status")).to_contain_text("已下载")
    expect(desktop.locator("#export-progress progress")).to_have_attribute("value", "1")
    with open(download.path(), "rb") as f:
        body = f.read()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:2] == ["行号", "时间"] and [r[8] for r in rows[1:]] == ["入库", "入库", "入库", "出库", "调出"]
    desktop.screenshot(path=f"{SHOTS}/reliefdepot-desktop-ledger.png", full_page=True)


def test_an_xlsx_export_downloads_through_the_page_while_it_asks_how_far_it_got(live_server, desktop):
    log_in(desktop, live_server, "auditor", "auditor-pass")
    desktop.goto(live_server + "/audit/ledger?depot=T1")
    asked = []
    desktop.on("request", lambda r: asked.append(r.url) if "/audit/exports/" in r.url else None)
    with desktop.expect_download() as caught:
        desktop.locator("a[data-export]", has_text="XLSX").click()
    download = caught.value
    assert re.fullmatch(r"ledger-\d{8}-\d{4}\.xlsx", download.suggested_filename)
    expect(desktop.locator("#export-progress .export-status")).to_contain_text("已下载")
    with open(download.path(), "rb") as f:
        sheet = openpyxl.load_workbook(io.BytesIO(f.read()))["台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("行号", "时间") and [r[8] for r in rows[1:]] == ["入库", "入库", "入库", "出库", "调出"]
    assert all(re.search(r"/audit/exports/[0-9a-z]+-[0-9a-z]+/progress$", url) for url in asked)
