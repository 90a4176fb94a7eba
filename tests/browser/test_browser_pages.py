"""The pages in a real headless Chromium: logging in through the form, the depot tree, a depot, a lot's
stock card, switching language, and a layout that fits a phone."""
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SHOTS = "/tmp"


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + "/")


def fits_the_screen(page: Page) -> bool:
    """Nothing sticks out sideways: the page never needs a horizontal scroll."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_dispatcher_on_a_phone_goes_from_the_depot_tree_to_a_stock_card(live_server, phone):
    log_in(phone, live_server, "dispatcher", "dispatcher-pass")
    expect(phone.get_by_role("heading", level=1)).to_have_text("储备体系")
    tree = phone.locator(".tree-root")
    for words in ("县级储备库", "乡镇储备站", "重点镇", "本级库存", "含下级合计"):
        expect(tree.get_by_text(words).first).to_be_visible()
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-tree.png", full_page=True)

    # a town's villages come with the page once the town is opened (a link, no script)
    village = phone.get_by_role("link", name="桃园村储备点")
    expect(village).to_have_count(0)
    phone.locator("#depot-T1").get_by_role("link", name="展开下辖 2 个库点").click()
    expect(phone).to_have_url(live_server + "/?open=T1#depot-T1")
    expect(village).to_be_visible()
    phone.locator("#depot-T1").get_by_role("link", name="收起下辖 2 个库点").click()
    expect(village).to_have_count(0)
    phone.locator("#depot-T1").get_by_role("link", name="展开下辖 2 个库点").click()
    expect(phone.locator("li.tier-village", has=village).locator(".badge.tier")).to_have_text("村储备点")

    phone.get_by_role("link", name="玉龙镇储备站").click()
    expect(phone).to_have_url(live_server + "/depots/T1")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("玉龙镇储备站")
    for words in ("库点信息", "分类库存", "生活类", "最近出入库记录"):
        expect(phone.get_by_text(words, exact=True).first).to_be_visible()
    lots = phone.locator("table.lots tbody tr")
    expect(lots).to_have_count(3)
    expect(lots.first).to_contain_text("LOT-WATER-OLD")
    expect(lots.first.locator(".expiry-expired")).to_have_text("过期")
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-depot.png", full_page=True)

    # filter the lots to the expired ones with the form
    phone.locator("select[name=expired]").select_option("1")
    phone.get_by_role("button", name="筛选").click()
    expect(lots).to_have_count(1)
    expect(phone).to_have_url(re.compile(r"expired=1"))

    phone.locator("#lots").get_by_role("link", name="LOT-WATER-OLD").click()
    expect(phone).to_have_url(live_server + "/lots/LOT-WATER-OLD")
    expect(phone.get_by_role("heading", level=1)).to_have_text("库存卡 LOT-WATER-OLD")

    phone.goto(live_server + "/lots/LOT-WATER-T1")
    entries = phone.locator("table.card-entries tbody tr")
    expect(entries).to_have_count(3)
    expect(entries.nth(0)).to_contain_text("入库")
    expect(entries.nth(1)).to_contain_text("出库")
    expect(entries.nth(2)).to_contain_text("调出")
    expect(entries.locator("td.balance")).to_have_text(["100", "70", "50"])
    assert fits_the_screen(phone)
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-stock-card.png", full_page=True)

    # English, and it stays English from page to page
    phone.get_by_role("link", name="English").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Stock card LOT-WATER-T1")
    expect(entries.nth(0)).to_contain_text("Receive")
    expect(entries.nth(2)).to_contain_text("Transfer out")
    phone.get_by_text("Menu", exact=True).click()  # a phone keeps the menu behind a button
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Depots").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Depot tree")
    expect(phone.locator(".tree-root").get_by_text("County depot").first).to_be_visible()
    expect(phone.locator(".tree-root").get_by_text("Key town").first).to_be_visible()
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-tree-en.png", full_page=False)

    phone.get_by_role("link", name="中文").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("储备体系")


def test_the_pages_fit_a_desktop_screen_and_the_catalog_filters_by_category(live_server, desktop):
    log_in(desktop, live_server, "admin", "admin-pass")
    desktop.screenshot(path=f"{SHOTS}/reliefdepot-desktop-tree.png")
    desktop.get_by_role("link", name="物资目录").click()
    expect(desktop.get_by_role("heading", level=1)).to_have_text("物资目录")
    expect(desktop.locator("table.items tbody tr")).to_have_count(3)
    desktop.get_by_role("link", name="防汛抗旱").click()
    expect(desktop.locator("table.items tbody tr")).to_have_count(1)
    expect(desktop.locator("table.items tbody tr")).to_contain_text("三大件")
    for path in ("/", "/depots/T1?subtree=1", "/lots/LOT-WATER-T1", "/items"):
        desktop.goto(live_server + path)
        assert fits_the_screen(desktop), path
    desktop.goto(live_server + "/depots/T1?subtree=1")
    # on a wide screen the lots are a real table with a header row
    expect(desktop.locator("table.lots thead")).to_be_visible()
    desktop.screenshot(path=f"{SHOTS}/reliefdepot-desktop-depot.png", full_page=True)


def test_a_keeper_sees_a_403_page_for_another_depot_and_logs_out(live_server, phone):
    log_in(phone, live_server, "keeper", "keeper-pass")
    expect(phone.locator(".tree-root").get_by_text("青山镇储备站")).to_have_count(0)
    response = phone.goto(live_server + "/depots/T2")
    assert response.status == 403
    expect(phone.get_by_role("heading", level=1)).to_have_text("无权访问")
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-403.png")
    phone.locator(".user-menu > summary").click()  # logging out is in the user's menu
    phone.get_by_role("button", name="退出登录").click()
    expect(phone).to_have_url(live_server + "/login")
    phone.goto(live_server + "/items")
    expect(phone).to_have_url(re.compile(r"/login\?next="))
