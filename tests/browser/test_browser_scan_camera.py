"""Scanning a real label through a fake camera: the label the app prints (PDF) is rendered at 200 dpi,
turned into an MJPEG stream with ffmpeg and fed to Chromium as its camera. The page must decode it with
the barcode-detector ponyfill (ZXing as WebAssembly, served by the app) and record an action that the
stock card then shows."""
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from labels import printing
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, NOW, PHONE, TODAY, watch_csp
from tests.browser.scan_helpers import log_in, ready, scan_server  # noqa: F401 (fixture)
from tests.integration.helpers import lot_quantity

pytestmark = pytest.mark.browser


@pytest.fixture
def camera_stream(app, engine, county, stocked, tmp_path):
    """The lot label of LOT-WATER-T1 as the app prints it for a small label printer, as a camera stream."""
    for tool in ("pdftoppm", "ffmpeg"):
        assert shutil.which(tool), f"{tool} is missing: `make system-deps` installs it"
    printed = printing.print_lot(engine, county.keeper, code="LOT-WATER-T1", base=app.config["BASE_URL"], now=NOW,
                                 today=TODAY, layout="single-60x40")
    (tmp_path / "label.pdf").write_bytes(printed.pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", "label.pdf", "label"], cwd=tmp_path, check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", "label.png", "-t", "2", "-r", "10",
                    "-vf", "scale=600:-2,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=white,format=yuvj420p",
                    "-f", "mjpeg", "label.mjpeg"], cwd=tmp_path, check=True)
    return tmp_path / "label.mjpeg"


@pytest.fixture
def camera_browser(browser, camera_stream):
    """A second Chromium from the session's Playwright, whose camera shows the label."""
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera_stream}"])
    yield chromium
    chromium.close()


def test_a_keeper_scans_a_printed_label_with_the_camera_and_records_a_count(camera_browser, scan_server, engine):
    base, requests = scan_server
    context = camera_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                         permissions=["camera"])
    csp_violations = watch_csp(context)  # the decoder's WebAssembly, the camera and the service worker keep to it
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "keeper", "keeper-pass")
    ready(page)

    page.get_by_role("button", name="打开摄像头").click()
    expect(page.locator("#camera-message")).to_have_attribute("data-engine", "zxing-wasm")
    expect(page.locator("#lot-code")).to_have_text("LOT-WATER-T1", timeout=20000)
    expect(page.locator("#code")).to_have_value("http://testserver/l/LOT-WATER-T1")
    expect(page.locator("#lot-quantity")).to_have_text("50 箱")
    page.screenshot(path="/tmp/reliefdepot-scan-camera.png")

    page.locator("#lot").get_by_role("button", name="盘点").click()
    page.locator("#quantity").fill("48")
    page.get_by_role("button", name="确认登记").click()
    expect(page.locator("#confirmation")).to_have_text("盘点已登记：在库 48 箱（差异 -2）。")
    assert lot_quantity(engine, "LOT-WATER-T1") == 48
    # the decoder and its .wasm came from this app, not from a CDN
    assert requests.count("GET", "/static/vendor/zxing_reader.wasm") >= 1

    page.get_by_role("button", name="关闭摄像头").click()
    page.get_by_role("link", name="库存卡").click()
    rows = page.locator("table.card-entries tbody tr")
    expect(rows.last).to_contain_text("盘点")
    expect(rows.last.locator("td.balance")).to_have_text("48")
    context.close()
    assert errors == []
    assert csp_violations == []
