"""The auditor's pages in a real headless Chromium: the expiry report with its chart on a phone, and exports
run on the server with their progress shown, downloaded when ready, also after the page was closed."""
import csv
import io
import re
import threading

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import watch_csp

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


@pytest.fixture
def export_folder(app, tmp_path):
    app.config["EXPORT_FOLDER"] = str(tmp_path / "exports")
    return tmp_path / "exports"


def test_the_export_progress_is_hidden_while_nothing_is_exporting(live_server, desktop, export_folder):
    log_in(desktop, live_server, "auditor", "auditor-pass")
    desktop.goto(live_server + "/audit/ledger?depot=T1")
    expect(desktop.locator("a[data-export]", has_text="CSV")).to_be_visible()
    expect(desktop.locator("#export-progress")).to_be_hidden()
    expect(desktop.locator(".export-jobs-wrap")).to_be_hidden()
    expect(desktop.locator("#export-encoding")).to_have_value("utf-8")


def test_an_xlsx_export_runs_on_the_server_shows_its_rows_and_downloads_when_ready(live_server, desktop,
                                                                                  export_folder):
    from audit import jobs

    log_in(desktop, live_server, "auditor", "auditor-pass")
    desktop.goto(live_server + "/audit/ledger?depot=T1")
    with desktop.expect_download() as caught:
        with desktop.expect_response(lambda r: r.url.endswith("/audit/exports") and r.status == 202) as started:
            desktop.locator("a[data-export]", has_text="XLSX").click()
        jobs.wait(started.value.json()["token"])
    download = caught.value
    assert re.fullmatch(r"ledger-\d{8}-\d{4}\.xlsx", download.suggested_filename)
    expect(desktop.locator("#export-progress .export-status")).to_contain_text("文件已生成")
    expect(desktop.locator("#export-progress progress")).to_have_attribute("value", "1")
    row = desktop.locator("#export-jobs .export-job").first
    expect(row.locator(".export-job-status")).to_have_text("已完成")
    expect(row.locator(".export-job-file")).to_have_text(download.suggested_filename)
    with open(download.path(), "rb") as f:
        sheet = openpyxl.load_workbook(io.BytesIO(f.read()))["台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("行号", "时间") and [r[8] for r in rows[1:]] == ["入库", "入库", "入库", "出库", "调出"]


def test_an_export_survives_the_page_being_closed_and_is_downloaded_from_the_page_later(live_server, browser, app,
                                                                                        export_folder, monkeypatch):
    from audit import jobs

    release, original = threading.Event(), jobs._Progress.__call__

    def held(self, done, total, stage):  # the job waits, its rows written, until the test lets it finish
        original(self, done, total, stage)
        if done == total:
            release.wait(60)

    monkeypatch.setattr(jobs._Progress, "__call__", held)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    csp_violations = watch_csp(context)
    page = context.new_page()
    log_in(page, live_server, "auditor", "auditor-pass")
    page.goto(live_server + "/audit/ledger?depot=T1")
    page.locator("#export-encoding").select_option("gbk")
    with page.expect_response(lambda r: r.url.endswith("/audit/exports") and r.status == 202) as started:
        page.locator("a[data-export]", has_text="CSV").click()
    token = started.value.json()["token"]
    expect(page.locator("#export-progress .export-status")).to_contain_text("已写 5 / 5 行")
    page.close()
    again = context.new_page()
    try:
        again.goto(live_server + "/audit/ledger?depot=T1")
        row = again.locator("#export-jobs .export-job").first
        expect(row.locator(".export-job-what")).to_have_text("CSV GBK")
        expect(row.locator(".export-job-status")).to_have_text("导出中")
        expect(again.locator("#export-progress")).to_be_visible()  # the page follows the running job again
        expect(again.locator("#export-progress progress")).to_have_attribute("max", "5")
    finally:
        release.set()
        jobs.wait(token)
    expect(row.locator(".export-job-status")).to_have_text("已完成")
    expect(row.locator(".export-job-expires")).to_contain_text("保留至")
    with again.expect_download() as caught:
        row.locator(".export-job-file").click()
    with open(caught.value.path(), "rb") as f:
        text = f.read().decode("gb18030")
    assert re.fullmatch(r"ledger-\d{8}-\d{4}\.csv", caught.value.suggested_filename)
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:2] == ["行号", "时间"] and [r[8] for r in lines[1:]] == ["入库", "入库", "入库", "出库", "调出"]
    context.close()
    assert csp_violations == []  # the export progress keeps to the Content-Security-Policy
