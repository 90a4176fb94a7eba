"""The administrators' import page in a real headless Chromium: from the 系统管理 tabs, a small register uploaded,
the dry run's progress shown while it runs and the report once it ends (the page's script polls), a name that
matched nothing chosen from its candidates, the dry run again accepting its row, and the commit."""
import threading

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from inventory.models import Lot
from registers import importing, jobs
from tests.browser.test_browser_dispatch import log_in

pytestmark = pytest.mark.browser

REGISTER = "物资名称,计量单位,数量\n救灾帐篷,顶,4\n帐篷,顶,6\n".encode()


def test_an_administrator_uploads_a_register_matches_a_name_and_commits(live_server, desktop, engine, monkeypatch):
    release = threading.Event()
    real = importing.dry_run

    def held(*args, **kwargs):  # the first dry run waits for the test, so its progress is on the page
        release.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs.importing, "dry_run", held)
    page = desktop
    log_in(page, live_server, "admin", "admin-pass")
    page.goto(live_server + "/admin/users")
    page.get_by_role("navigation", name="系统管理").get_by_role("link", name="导入台账").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("导入台账")
    page.set_input_files("#files", files=[{"name": "玉龙镇库存.csv", "mimeType": "text/csv", "buffer": REGISTER}])
    page.get_by_label("无库点列的台账所属库点").fill("T1")
    page.get_by_role("button", name="上传并试导入").click()

    progress = page.locator("#import-job")
    expect(progress).to_be_visible()
    expect(progress.get_by_role("status")).to_have_text("正在读取文件…")
    release.set()
    expect(page.locator("#import-report")).to_be_visible()  # the script saw the job end and reloaded
    expect(progress).to_be_hidden()
    expect(page.locator("#import-rejected")).to_contain_text("没有名为帐篷的物资")

    names = page.locator("#import-names")
    names.get_by_label("帐篷 对应什么").select_option("TENT")
    names.get_by_role("button", name="记住选择并重新试导入").click()
    expect(page.locator("#import-report")).to_be_visible()
    expect(page.locator("#import-rejected")).to_contain_text("没有被拒绝的行")
    expect(page.locator(".import-sheets td[data-label='库存数量']")).to_have_text("10")

    page.get_by_role("button", name="提交已接受的行").click()
    expect(page.locator("#import-committed")).to_be_visible()
    reference = importing.reference_of(REGISTER)[1]
    with Session(engine) as s:
        lots = s.exec(select(Lot).where(Lot.code.startswith(reference))).all()
        assert sorted(lot.quantity for lot in lots) == [4, 6]
