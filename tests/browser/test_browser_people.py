"""User administration in a real headless Chromium: an administrator reaches the users page from the main
navigation, creates a depot keeper bound to a depot and reads the temporary password once; the keeper logs in
on a phone with it, is sent to change it before anything else, and then sees the depot they keep."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_dispatch import fits_the_screen, log_in

pytestmark = pytest.mark.browser


def test_an_administrator_creates_a_keeper_who_must_change_the_password(live_server, desktop, phone):
    page = desktop
    log_in(page, live_server, "admin", "admin-pass")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="系统管理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("用户")

    form = page.locator("#new-user")
    form.get_by_label("用户名").fill("zhao")
    form.get_by_label("姓名").fill("赵库管")
    form.get_by_label("角色").select_option(label="仓管员")
    form.get_by_role("button", name="创建账号").click()  # a keeper without a depot: refused, named at the field
    expect(page.get_by_role("alert")).to_contain_text("未保存任何内容")
    expect(form.locator(".field-error")).to_have_text("仓管员至少负责一个储备库：请选择。")
    expect(form.get_by_label("用户名")).to_have_value("zhao")

    form.get_by_label("负责的储备库").fill("T2")
    form.get_by_role("button", name="创建账号").click()
    notice = page.locator("#temp-password")
    expect(notice).to_contain_text("只显示这一次")
    password = notice.locator(".temp-password").inner_text().strip()
    assert re.fullmatch(r"[a-z2-9]{12}", password)
    row = page.locator('tr[data-username="zhao"]')
    expect(row).to_contain_text("赵库管")
    expect(row).to_contain_text("须修改密码")
    expect(page.locator("#changes")).to_contain_text("创建账号")
    assert fits_the_screen(page)

    keeper = phone
    keeper.goto(live_server + "/login")
    keeper.get_by_label("用户名").fill("zhao")
    keeper.get_by_label("密码").fill(password)
    keeper.get_by_role("button", name="登录").click()
    expect(keeper).to_have_url(re.compile(r"/account/password"))
    expect(keeper.locator("#must-change")).to_contain_text("请先设置自己的密码")
    keeper.goto(live_server + "/depots/T2")  # every page sends them back until they change it
    expect(keeper).to_have_url(re.compile(r"/account/password"))
    keeper.get_by_label("当前密码").fill(password)
    keeper.get_by_label("新密码", exact=True).fill("Own-pass-2026")
    keeper.get_by_label("再次输入新密码").fill("Own-pass-2026")
    keeper.get_by_role("button", name="修改密码").click()
    expect(keeper.get_by_role("status").first).to_contain_text("密码已修改")
    keeper.goto(live_server + "/depots/T2")
    expect(keeper.get_by_role("heading", level=1)).to_contain_text("青山镇储备站")
    assert fits_the_screen(keeper)

    page.goto(live_server + "/admin/users/zhao")
    expect(page.locator("#changes")).to_contain_text("T2")


def test_failed_logins_lock_the_account_with_the_same_message_and_an_administrator_unlocks_it(live_server, desktop,
                                                                                              phone, app):
    # this test is about the rule: the defaults of app.py, not the suite's lenient settings (tests/conftest.py)
    app.config.update(LOGIN_MAX_FAILURES=5, LOGIN_ADDRESS_MAX_FAILURES=5, LOGIN_WINDOW_MINUTES=15, LOGIN_LOCK_MINUTES=15)
    log_in(desktop, live_server, "admin", "admin-pass")  # before the failures: they lock this address too
    phone.goto(live_server + "/login")
    for attempt in range(6):
        phone.get_by_label("用户名").fill("keeper2")
        phone.get_by_label("密码").fill(f"guess-{attempt}")
        phone.get_by_role("button", name="登录").click()
        expect(phone.get_by_role("alert")).to_contain_text("用户名或密码错误，或失败次数过多：请稍后再试。")
    phone.get_by_label("用户名").fill("keeper2")
    phone.get_by_label("密码").fill("keeper2-pass")  # the right password: refused in the same words while locked
    phone.get_by_role("button", name="登录").click()
    expect(phone).to_have_url(re.compile(r"/login"))
    expect(phone.get_by_role("alert")).to_contain_text("用户名或密码错误，或失败次数过多：请稍后再试。")

    desktop.goto(live_server + "/admin/users")
    locked = desktop.locator("#locked")
    expect(locked.locator('tr[data-username="keeper2"]')).to_be_visible()
    assert fits_the_screen(desktop)
    locked.locator('tr[data-username="keeper2"]').get_by_role("button", name="解锁").click()
    expect(desktop.get_by_role("status").first).to_contain_text("keeper2 已解锁")
    desktop.locator('#locked tr[data-address]').get_by_role("button", name="解锁").click()
    expect(desktop.locator("#locked")).to_have_count(0)

    phone.get_by_label("用户名").fill("keeper2")
    phone.get_by_label("密码").fill("keeper2-pass")
    phone.get_by_role("button", name="登录").click()
    expect(phone).not_to_have_url(re.compile(r"/login"))
