"""The whole life of one transfer order on the demo county, through the pages as the people who do it: the
dispatcher declares a flood at a village point, plans it, adjusts the plan (调整方案), approves it (一键派发); the
county depot's keeper opens the order on the scanning page by its printed label through a fake camera, picks every
lot of its pick list by scanning, ships; the village point's keeper scans the same label on arrival and receives it
in full. After each step the dispatcher's board shows the order's state and the reconciliation holding, and the
JSON API says the same."""
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.serving import serving
from tests.browser.scan_helpers import log_in as log_in_to_scan, ready, scan
from tests.browser.test_browser_dispatch import log_in

pytestmark = pytest.mark.browser

SHOTS = "/tmp"
SOURCE_KEEPER = ("keeper_c01", "keeper-c01-pass")  # the demo has no keeper of the county depot: added below
DESTINATION_KEEPER = ("keeper", "demo-keeper-2026")  # keeps T01, T01-V01 and T01-V02 (README, Demo accounts)
STATE = {"approved": "已批准", "picking": "拣货中", "shipped": "调出在途", "received": "已签收"}


@pytest.fixture
def demo_server(app, runner, engine):
    """`flask demo` on an empty database, a keeper for the county depot C01, and the app on http://localhost
    (a secure context: the camera and the service worker work there)."""
    from accounts.services import add_user
    from common.actor import KEEPER
    from common.db import UnitOfWork

    app.config["DEMO"] = True  # served as `make run` serves the demo: its accounts log in with their demo passwords
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with UnitOfWork(engine) as uow:
        add_user(uow, SOURCE_KEEPER[0], SOURCE_KEEPER[1], KEEPER, display_name="王建国", depots=["C01"])
        uow.commit()
    with serving(app, "demo-server") as port:
        yield f"http://localhost:{port}"


def camera_showing(browser, pdf: bytes, tmp_path):
    """A Chromium whose camera shows the first page of ``pdf`` (a printed label), as the scanning tests do."""
    for tool in ("pdftoppm", "ffmpeg"):
        assert shutil.which(tool), f"{tool} is missing: `make system-deps` installs it"
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", "label.pdf", "label"], cwd=tmp_path, check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", "label.png", "-t", "2", "-r", "10",
                    "-vf", "scale=600:-2,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=white,format=yuvj420p",
                    "-f", "mjpeg", "label.mjpeg"], cwd=tmp_path, check=True)
    return browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={tmp_path / 'label.mjpeg'}"])


def keeper_phone(chromium, base: str, user: tuple[str, str]):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                   permissions=["camera"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in_to_scan(page, base, *user)
    ready(page)
    return context, page, errors


def open_by_camera(page: Page, code: str) -> None:
    page.get_by_role("button", name="打开摄像头").click()
    expect(page.locator("#order-code")).to_have_text(code, timeout=20000)
    page.get_by_role("button", name="关闭摄像头").click()


def sent(page: Page, code: str, action: str):
    """Waits for the server's answer to the outbox's POST of ``action`` on the order (the page sends it on its own
    after writing it to the phone's outbox): after it the action is committed on the server."""
    return page.expect_response(lambda r: r.request.method == "POST"
                                and r.url.endswith(f"/api/v1/orders/{code}/{action}"))


def number(n: int) -> str:
    return f"{n:,}"


def the_board_shows(page: Page, base: str, incident: int, code: str, state: str, balances: dict) -> None:
    """The board: the order in ``state``, every reconciliation row holding, and per item of the order what left
    the sources, is in transit and was received."""
    page.goto(f"{base}/incidents/{incident}/board")
    order = page.locator(f"details#order-{code}")
    expect(order.locator(f"summary .badge.order-state-{state}")).to_have_text(STATE[state])
    expect(page.locator(".state-strip .badge.reconciled")).to_have_text("对账平衡")
    expect(page.locator("table.reconciliation .not-reconciled")).to_have_count(0)
    for item, (left, in_transit, received) in balances.items():
        cells = page.locator(f'table.reconciliation tr[data-item="{item}"] td')
        expect(cells).to_have_text([re.compile(r"\S"), number(left), number(in_transit), number(received), "0", "0",
                                    "✓ 是"])
        line = order.locator(f'table.board-lines tr[data-item="{item}"] td')
        expect(line.nth(4)).to_have_text(number(left))  # shipped
        expect(line.nth(5)).to_have_text(number(received))
        expect(line.nth(7)).to_have_text(number(in_transit))


def the_api_says(page: Page, base: str, incident: int, code: str, state: str, balances: dict) -> dict:
    order = page.request.get(f"{base}/api/v1/orders/{code}")
    assert order.ok, order.text()
    order = order.json()
    assert order["state"] == state
    reconciliation = page.request.get(f"{base}/api/v1/incidents/{incident}/reconciliation")
    assert reconciliation.ok, reconciliation.text()
    items = {x["item"]: x for x in reconciliation.json()["items"]}
    assert all(x["holds"] for x in items.values()), items
    for item, (left, in_transit, received) in balances.items():
        x = items[item]
        assert (x["left_sources"], x["ledger_shipped"], x["in_transit"], x["received"], x["short"], x["damaged"]) == (
            left, left, in_transit, received, 0, 0), x
    return order


def test_a_dispatcher_and_two_keepers_carry_one_order_from_declaration_to_receipt_on_the_demo_county(
        demo_server, browser, desktop, tmp_path):
    base = demo_server
    page = desktop

    # the dispatcher declares a flood at 城关镇's first village point for 300 people
    log_in(page, base, "dispatcher", "demo-dispatch-2026")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="灾情响应").click()
    page.get_by_role("link", name="启动应急响应").click()
    page.get_by_label("灾种").select_option("flood")
    page.get_by_label("标题").fill("7·15 城关镇洪涝")
    page.get_by_label("受灾地点及安置人数").fill("T01-V01, 300")
    page.get_by_role("button", name="启动响应").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+$"))
    incident = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("status").first).to_have_text("应急响应已启动。请核对物资需求，再生成调拨方案。")

    # plans it
    page.get_by_role("button", name="生成调拨方案").click()
    expect(page.get_by_role("status").first).to_have_text("调拨方案已生成。")
    expect(page.locator("table.outflows")).to_contain_text("县级应急物资储备库")

    # adjusts it: the county depot keeps back some folding beds
    page.get_by_text("调整方案", exact=True).click()
    form = page.locator("details.adjust-form")
    beds = form.locator('tr[data-line="C01|T01-V01|LV-0301"]')
    optimum_beds = int(beds.locator('input[name="planned"]').get_attribute("value"))
    assert optimum_beds > 20
    beds.get_by_label("数量").fill(str(optimum_beds - 20))
    form.get_by_label("调整原因").fill("县级储备库留 20 张折叠床备用")
    form.get_by_role("button", name="保存调整后的方案").click()
    expect(page.get_by_text("方案已调整。批准前请对照下方与最优方案的比较。")).to_be_visible()
    expect(page.locator(".adjusted-plan")).to_contain_text("原因：县级储备库留 20 张折叠床备用")

    # approves it (一键派发): the board opens on the orders
    page.locator("a.approve-plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("批准并派发")
    page.locator("#confirm").check()
    page.get_by_role("button", name="批准并派发").click()
    expect(page).to_have_url(f"{base}/incidents/{incident}/board")
    from_county = page.locator("details.order-board", has_text="县级应急物资储备库 →")
    expect(from_county).to_have_count(1)
    code = from_county.get_attribute("data-order")
    order = the_api_says(page, base, incident, code, "approved", {})
    planned = {line["item"]: line["planned"] for line in order["lines"]}
    assert planned["LV-0301"] == optimum_beds - 20  # the adjustment is what the order carries
    assert (order["source"], order["destination"]) == ("C01", "T01-V01")
    the_board_shows(page, base, incident, code, "approved", {item: (0, 0, 0) for item in planned})
    page.screenshot(path=f"{SHOTS}/reliefdepot-order-life-approved.png", full_page=True)

    # the label as the dispatcher prints it, in front of the keepers' phone cameras
    label = page.request.get(f"{base}/orders/{code}/label.pdf")
    assert label.ok and label.headers["content-type"] == "application/pdf"
    camera = camera_showing(browser, label.body(), tmp_path)
    try:
        # the county depot's keeper opens the order by its label and picks every lot of the pick list
        context, phone, errors = keeper_phone(camera, base, SOURCE_KEEPER)
        open_by_camera(phone, code)
        expect(phone.locator("#order-state")).to_have_text("已批准")
        expect(phone.locator("#order-route")).to_contain_text("县级应急物资储备库 C01 → ")
        lots = phone.locator("#order-lines .order-pick-list li[data-lot]")
        expect(lots).not_to_have_count(0)
        pick_list = [li.get_attribute("data-lot") for li in lots.all()]
        assert len(pick_list) == sum(len(line["planned_lots"]) for line in order["lines"])
        for n, lot in enumerate(pick_list):
            scan(phone, f"http://testserver/l/{lot}")
            expect(phone.locator("#order-pick-form")).to_be_visible()
            expect(phone.locator("#order-pick-warning")).to_be_hidden()  # the planned lot, its planned quantity
            with sent(phone, code, "picks") as answer:
                phone.locator("#order-pick-form").get_by_role("button", name="拣货").click()
            assert answer.value.ok, answer.value.text()
            assert answer.value.json()["warnings"] == []  # the plan's lots are first-expiry-first-out
            expect(phone.locator(f'#order-lines li[data-lot="{lot}"]')).to_have_class("done")
            if n == 0:  # the board sees the picking begin
                the_board_shows(page, base, incident, code, "picking", {item: (0, 0, 0) for item in planned})
                the_api_says(page, base, incident, code, "picking", {})
        expect(phone.locator("#order-ship-note")).to_have_text("已全部拣货。")
        phone.screenshot(path=f"{SHOTS}/reliefdepot-order-life-picked.png", full_page=True)

        # ships
        with sent(phone, code, "ship") as answer:
            phone.get_by_role("button", name="发货", exact=True).click()
        assert answer.value.ok, answer.value.text()
        expect(phone.locator("#order-state")).to_have_text("调出在途")
        context.close()
        assert errors == []
        shipped = {item: (q, q, 0) for item, q in planned.items()}
        the_board_shows(page, base, incident, code, "shipped", shipped)
        the_api_says(page, base, incident, code, "shipped", shipped)
        page.screenshot(path=f"{SHOTS}/reliefdepot-order-life-shipped.png", full_page=True)

        # the village point's keeper scans the label on arrival and receives every line in full
        context, phone, errors = keeper_phone(camera, base, DESTINATION_KEEPER)
        open_by_camera(phone, code)
        expect(phone.locator("#order-state")).to_have_text("调出在途")
        expect(phone.locator("#order-receive-form")).to_be_visible()
        boxes = phone.locator("#order-receive-lines .receipt-line")
        expect(boxes).to_have_count(len(planned))
        for item, quantity in planned.items():
            expect(phone.locator(f'.receipt-line[data-item="{item}"] [name="received"]')).to_have_value(str(quantity))
        with sent(phone, code, "receive") as answer:
            phone.get_by_role("button", name="确认收货").click()
        assert answer.value.ok, answer.value.text()
        expect(phone.locator("#order-state")).to_have_text("已签收")
        phone.screenshot(path=f"{SHOTS}/reliefdepot-order-life-received.png", full_page=True)
        context.close()
        assert errors == []
    finally:
        camera.close()

    received = {item: (q, 0, q) for item, q in planned.items()}
    the_board_shows(page, base, incident, code, "received", received)
    order = the_api_says(page, base, incident, code, "received", received)
    assert all(line["received"] == line["planned"] == line["shipped"] for line in order["lines"])
    page.screenshot(path=f"{SHOTS}/reliefdepot-order-life-received-board.png", full_page=True)
