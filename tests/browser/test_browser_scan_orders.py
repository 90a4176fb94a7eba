"""Transfer orders on the scanning page: the source keeper opens an order by its printed label (through a fake
camera), picks its lots by scanning them (a substitute lot with a reason), ships; the destination keeper opens it on
arrival and receives it with a shortage, leaving the rest in transit. Offline, a pick, the shipping and the receipt
wait on the phone and reach the server once when the connection returns; a refusal shows in the page's language."""
import shutil
import subprocess

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from orders import services as orders
from orders.label import order_label_pdf
from orders.models import TransferOrder, TransferPick
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, NOW, PHONE
from tests.browser.scan_helpers import log_in, ready, scan, scan_server  # noqa: F401 (fixture)
from tests.integration.orders_helpers import lot_balance, make_stocked

pytestmark = pytest.mark.browser


@pytest.fixture
def approved(engine, county, stocked):
    """The orders of tests/integration/orders_helpers.py approved; W-OLD stands on shelf A-01 of C1."""
    from inventory.shelves import move_to_shelf

    s = make_stocked(engine, county)
    orders.approve_plan(engine, county.dispatcher, NOW, incident_id=s.incident, plan_id=s.plan)
    move_to_shelf(engine, county.admin, NOW, lot="W-OLD", shelf="A-01")
    return s


def state(engine, code):
    with Session(engine) as db:
        return db.exec(select(TransferOrder.state).where(TransferOrder.code == code)).one()


def phone(browser, base, user, locale="zh-CN", viewport=PHONE, **kw):
    context = browser.new_context(viewport=viewport, is_mobile=viewport == PHONE, has_touch=viewport == PHONE,
                                  locale=locale, **kw)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, user, f"{user}-pass")
    ready(page)
    return context, page, errors


def pick(page, lot, quantity=None, reason=None):
    scan(page, f"http://testserver/l/{lot}")
    form = page.locator("#order-pick-form")
    expect(form).to_be_visible()
    if quantity is not None:
        page.locator("#order-pick-quantity").fill(str(quantity))
    if reason:
        page.locator("#order-pick-reason").fill(reason)
    form.get_by_role("button", name="拣货").click()


@pytest.fixture
def order_camera(browser, app, engine, county, approved, tmp_path):
    """A Chromium whose camera shows the label of order DO-<i>-2 (C1 → T1-V1) as the app prints it."""
    for tool in ("pdftoppm", "ffmpeg"):
        assert shutil.which(tool), f"{tool} is missing: `make system-deps` installs it"
    pdf = order_label_pdf(engine, county.admin, approved.code(2), base=app.config["BASE_URL"])
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", "label.pdf", "label"], cwd=tmp_path, check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", "label.png", "-t", "2", "-r", "10",
                    "-vf", "scale=600:-2,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=white,format=yuvj420p",
                    "-f", "mjpeg", "label.mjpeg"], cwd=tmp_path, check=True)
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={tmp_path / 'label.mjpeg'}"])
    yield chromium
    chromium.close()


def test_a_keeper_picks_and_ships_an_order_by_scanning_and_the_destination_receives_it_with_a_shortage(
        order_camera, browser, scan_server, engine, approved):
    base, _requests = scan_server
    code = approved.code(2)
    context, page, errors = phone(order_camera, base, "keeper_c1", permissions=["camera"])
    expect(page.locator("#order-open-count")).to_have_text("3")  # C1's open orders, kept on the phone

    page.get_by_role("button", name="打开摄像头").click()
    expect(page.locator("#order-code")).to_have_text(code, timeout=20000)
    page.get_by_role("button", name="关闭摄像头").click()
    card = page.locator("#order")
    expect(page.locator("#order-state")).to_have_text("已批准")
    expect(page.locator("#order-route")).to_contain_text("县级储备库 C1 → ")
    expect(card.locator('[data-lot="W-OLD"]')).to_contain_text("货架 A-01")  # the pick list says where
    page.screenshot(path="/tmp/reliefdepot-scan-order-pick.png", full_page=True)

    # a lot of a depot this keeper does not keep: refused on the page, nothing queued
    scan(page, "http://testserver/l/TENT-T1")
    expect(page.locator("#message .message-title")).to_have_text("此批次不能为该调拨单拣货")
    expect(page.locator("#message .message-detail")).to_have_text("批次 TENT-T1 不在本调拨单的发货库 C1。")
    expect(page.locator("#outbox-count")).to_have_text("0")

    pick(page, "TENT-C1")  # the default: the line's planned quantity from this lot
    expect(page.locator("#confirmation")).to_contain_text("已从批次 TENT-C1 拣货 30")
    pick(page, "W-OLD", 40)
    expect(page.locator("#confirmation")).to_contain_text("已从批次 W-OLD 拣货 40")
    # W-MID is not on the pick list: the page asks why
    scan(page, "http://testserver/l/W-MID")
    expect(page.locator("#order-pick-warning")).to_contain_text("不在拣货单上")
    page.locator("#order-pick-form").get_by_role("button", name="拣货").click()
    expect(page.locator("#order-pick-error")).to_have_text("请说明为何拣取此批次（或此数量）。")
    page.locator("#order-pick-reason").fill("W-NEW 压在货架最里面")
    page.locator("#order-pick-form").get_by_role("button", name="拣货").click()
    expect(page.locator("#confirmation")).to_contain_text("已从批次 W-MID 拣货 10")
    expect(page.locator("#order-ship-note")).to_have_text("已全部拣货。")
    page.screenshot(path="/tmp/reliefdepot-scan-order-picked.png", full_page=True)

    page.get_by_role("button", name="发货", exact=True).click()
    expect(page.locator("#confirmation")).to_contain_text(f"调拨单 {code} 已发货")
    expect(page.locator("#order-state")).to_have_text("调出在途")
    assert state(engine, code) == "shipped"
    assert (lot_balance(engine, "TENT-C1"), lot_balance(engine, "W-OLD"), lot_balance(engine, "W-MID")) == (70, 0, 20)
    context.close()
    assert errors == []

    # at the destination: scanned on arrival, received with a shortage, the rest left in transit
    context, page, errors = phone(browser, base, "keeper")
    scan(page, f"http://testserver/o/{code}")
    expect(page.locator("#order-receive-form")).to_be_visible()
    tent = page.locator('.receipt-line[data-item="TENT"]')
    water = page.locator('.receipt-line[data-item="WATER"]')
    expect(water.locator('[name="received"]')).to_have_value("50")
    water.locator('[name="received"]').fill("45")
    water.locator('[name="short"]').fill("2")
    page.get_by_role("button", name="确认收货").click()
    expect(page.locator("#order-receive-error")).to_have_text("请说明短少原因。")
    water.locator('[name="short_reason"]').fill("途中破箱 2 箱")
    expect(tent.locator('[name="received"]')).to_have_value("30")
    page.screenshot(path="/tmp/reliefdepot-scan-order-receive.png", full_page=True)
    page.get_by_role("button", name="确认收货").click()
    expect(page.locator("#confirmation")).to_contain_text(f"调拨单 {code}：收货已登记。")
    expect(page.locator("#order-state")).to_have_text("部分签收")
    expect(page.locator('.receipt-line[data-item="WATER"] legend')).to_contain_text("在途 3")
    assert state(engine, code) == "partly_received"
    full = orders.get(engine, approved.county.admin, code)
    water_line = next(x for x in full["lines"] if x["item"] == "WATER")
    assert (water_line["received"], water_line["short"], water_line["in_transit"]) == (45, 2, 3)

    # receiving more than is still in transit: the server's refusal, in Chinese
    water = page.locator('.receipt-line[data-item="WATER"]')
    water.locator('[name="received"]').fill("3")
    context.set_offline(True)  # queued, then sent twice-over by another phone's receipt meanwhile
    page.get_by_role("button", name="确认收货").click()
    orders.receive(engine, approved.county.keeper, NOW, NOW.date(), code,
                   lines=[{"item": "WATER", "received": 3}])
    context.set_offline(False)
    page.get_by_role("button", name="立即发送").click()
    expect(page.locator("#message .message-title")).to_contain_text("服务器未接受")
    expect(page.locator("#message .message-detail")).to_contain_text(f"调拨单 {code} 已全部签收")
    context.close()
    assert errors == []


def test_an_order_scanned_offline_opens_from_the_phone_and_its_pick_ship_and_receipt_reach_the_server_once(
        browser, scan_server, engine, approved):
    base, requests = scan_server
    code = approved.code(4)  # T1 → T1-V1, TENT 5 of TENT-T1: the keeper keeps both ends
    context, page, errors = phone(browser, base, "keeper")
    expect(page.locator("#order-open-count")).to_have_text("2")
    context.set_offline(True)
    scan(page, f"http://testserver/o/{code}")
    expect(page.locator("#order-asof")).to_contain_text("离线")
    pick(page, "TENT-T1")
    expect(page.locator("#confirmation")).to_contain_text("已保存在本机，等待发送")
    page.get_by_role("button", name="发货", exact=True).click()
    expect(page.locator("#order-state")).to_have_text("调出在途")  # provisional
    expect(page.locator("#order-receive-form")).to_be_visible()
    page.get_by_role("button", name="确认收货").click()
    expect(page.locator("#outbox li")).to_have_count(3)
    expect(page.locator("#order-asof")).to_contain_text("3 项操作等待发送")
    page.screenshot(path="/tmp/reliefdepot-scan-order-offline.png", full_page=True)
    assert state(engine, code) == "approved"

    context.set_offline(False)
    page.get_by_role("button", name="立即发送").click()
    expect(page.locator("#outbox-count")).to_have_text("0")
    expect(page.locator("#order-state")).to_have_text("已签收")
    assert state(engine, code) == "received"
    path = f"/api/v1/orders/{code}"
    assert [requests.count("POST", f"{path}/{a}") for a in ("picks", "ship", "receive")] == [1, 1, 1]
    page.get_by_role("button", name="立即发送").click()  # nothing goes twice
    assert [requests.count("POST", f"{path}/{a}") for a in ("picks", "ship", "receive")] == [1, 1, 1]
    with Session(engine) as db:
        assert len(db.exec(select(TransferPick).join(TransferOrder).where(TransferOrder.code == code)).all()) == 1
    assert lot_balance(engine, "TENT-T1") == 15
    context.close()
    assert errors == []


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_the_orders_list_and_an_open_order_read_on_a_phone_and_a_desktop(browser, scan_server, approved, locale):
    base, _requests = scan_server
    lang = "" if locale == "zh" else "?lang=en"
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        context, page, errors = phone(browser, base, "keeper_c1", viewport=viewport)
        if lang:
            page.goto(base + "/scan" + lang)
            expect(page.locator("body")).to_have_attribute("data-scan-ready", "1", timeout=30000)
        scan(page, approved.code(2))
        expect(page.locator("#order-code")).to_have_text(approved.code(2))
        expect(page.locator("#order-what")).to_have_text(
            "逐个扫描拣货单上的批次进行拣货，然后发货。" if not lang else "Scan each lot of the pick list to pick it, then ship.")
        page.screenshot(path=f"/tmp/reliefdepot-scan-order-{name}-{locale}.png", full_page=True)
        page.goto(base + "/orders" + lang)
        rows = page.locator("tr.order-row")
        expect(rows).to_have_count(3)
        expect(rows.first).to_contain_text("待拣货发货" if not lang else "To pick and ship")
        page.screenshot(path=f"/tmp/reliefdepot-orders-{name}-{locale}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name}: the page is {width} px wide"
        context.close()
        assert errors == []
