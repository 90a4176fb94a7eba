"""Write-offs with approval in a real headless Chromium: a keeper on a phone requests one from a lot's stock
card with a photo, an administrator at a desk approves it with the approving document number, and the
stock card then shows the write-off line that names the request."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_pages import fits_the_screen, log_in
from tests.integration.helpers import lot_quantity

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_keeper_requests_a_write_off_on_a_phone_and_an_administrator_approves_it(live_server, phone, desktop,
                                                                                    engine):
    log_in(phone, live_server, "keeper", "keeper-pass")
    phone.goto(live_server + "/lots/LOT-WATER-T1")
    phone.get_by_role("link", name="申请报损").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("申请报损")
    expect(phone.get_by_label("批次号")).to_have_value("LOT-WATER-T1")
    phone.get_by_label("数量").fill("4")
    phone.get_by_label("原因").select_option("damaged")
    phone.get_by_label("照片（可选）").set_input_files(files=[{"name": "p.png", "mimeType": "image/png", "buffer": PNG}])
    phone.get_by_label("备注").fill("搬运时跌落，瓶身破裂")
    assert fits_the_screen(phone)
    phone.get_by_role("button", name="提交审批").click()
    expect(phone.locator(".flash-success")).to_contain_text("等待管理员审批")
    row = phone.locator("table.write-offs tbody tr").first
    expect(row).to_contain_text("待审批")
    expect(row.get_by_role("link", name="照片")).to_be_visible()
    assert fits_the_screen(phone)
    assert lot_quantity(engine, "LOT-WATER-T1") == 50  # nothing leaves the lot before the approval

    log_in(desktop, live_server, "admin", "admin-pass")
    desktop.get_by_role("link", name="报损核销").click()
    pending = desktop.locator("tr.wo-pending").first
    expect(pending).to_contain_text("搬运时跌落")
    pending.get_by_label("审批文号").fill("应急〔2026〕15号")
    pending.get_by_role("button", name="批准").click()
    expect(desktop.locator(".flash-success")).to_contain_text("应急〔2026〕15号")
    approved = desktop.locator("table.write-offs tbody tr").first
    expect(approved).to_contain_text("已批准")
    expect(approved).to_contain_text("审批文号：应急〔2026〕15号")
    assert lot_quantity(engine, "LOT-WATER-T1") == 46

    reference = re.search(r"BS-\d+", approved.inner_text()).group(0)
    desktop.goto(live_server + "/lots/LOT-WATER-T1")
    expect(desktop.locator("table.card-entries tbody tr").last).to_contain_text(reference)
    desktop.screenshot(path="/tmp/reliefdepot-write-off-approved.png", full_page=True)
