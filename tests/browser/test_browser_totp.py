"""Two-step verification in a real headless Chromium, on a phone: a keeper sets it up from the account page (the
QR code drawn, the key readable), turns it on with the code the app shows and sees the recovery codes once; the
next login asks for the code after the password, refuses a wrong one in words, and lets the right one in. Codes
come from pyotp at a frozen clock (common.clock), never from waiting."""
import re
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from common import clock
from tests.browser.test_browser_dispatch import fits_the_screen, log_in
from tests.integration.helpers import NOW

pytestmark = pytest.mark.browser
SHOTS = "/tmp"


def test_a_keeper_turns_on_two_step_verification_and_the_next_login_asks_for_the_code(live_server, phone,
                                                                                      monkeypatch):
    moment = {"now": NOW}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    page = phone
    log_in(page, live_server, "keeper", "keeper-pass")
    page.goto(live_server + "/account/totp")
    expect(page.get_by_role("heading", level=1)).to_have_text("两步验证")
    page.get_by_role("button", name="设置两步验证").click()
    qr = page.get_by_role("img", name="验证器应用的二维码")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the QR code is drawn, not a broken image
    secret = page.locator("code.totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    assert fits_the_screen(page)
    page.screenshot(path=f"{SHOTS}/reliefdepot-phone-totp-setup.png", full_page=True)

    page.get_by_label("验证码").fill("123456" if pyotp.TOTP(secret).at(NOW) != "123456" else "654321")
    page.get_by_role("button", name="开启两步验证").click()
    expect(page.locator(".field-error")).to_contain_text("验证码")  # a wrong code turns nothing on
    page.get_by_label("验证码").fill(pyotp.TOTP(secret).at(NOW))
    page.get_by_role("button", name="开启两步验证").click()
    codes = page.locator("#recovery-codes li code")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes.all_inner_texts())
    expect(page.locator("#recovery-codes")).to_contain_text("仅显示这一次")
    assert fits_the_screen(page)

    moment["now"] = NOW + timedelta(minutes=2)  # four 30-second steps on: the app shows a new code
    page.context.clear_cookies()  # a new login, as on another day
    page.goto(live_server + "/login")
    page.get_by_label("用户名").fill("keeper")
    page.get_by_label("密码").fill("keeper-pass")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/login/code"))
    expect(page.get_by_role("heading", level=1)).to_have_text("两步验证")
    assert fits_the_screen(page)
    page.get_by_label("验证码").fill(pyotp.TOTP(secret).at(NOW))  # the code of two minutes ago
    page.get_by_role("button", name="验证").click()
    expect(page.locator(".field-error")).to_have_text("验证码错误或已使用过：请输入应用当前显示的验证码。")
    page.get_by_label("验证码").fill(pyotp.TOTP(secret).at(moment["now"]))
    page.get_by_role("button", name="验证").click()
    expect(page).to_have_url(live_server + "/")
    page.goto(live_server + "/account/totp")
    expect(page.locator("#totp-state")).to_contain_text("10")  # all ten recovery codes left
