"""The map of emergency resources in a real headless Chromium: Leaflet served by the app draws depots, sites,
planned lines and orders in transit with no tile server (a plain background, a scale bar, no request leaves the
machine); with a tile server and a label layer set, it loads both from a test tile set made here with Pillow and
served by a tiny local HTTP server that counts the requests."""
import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NOW, TODAY
from tests.browser.serving import serving
from tests.browser.test_browser_dispatch import log_in
from tests.map_county import build_map_county

pytestmark = pytest.mark.browser

SHOTS = "/tmp"
TILE = re.compile(r"^(?:/labels)?/(\d+)/(\d+)/(\d+)\.png$")  # base tiles, and the label layer's under /labels


@pytest.fixture
def map_server(app, engine, county):
    mapped = build_map_county(engine, county, NOW, TODAY)
    with serving(app, "map-server") as port:
        yield f"http://127.0.0.1:{port}", mapped


def plan_a_route(engine, county, mapped, monkeypatch):
    """A truck at C1 called in for the incident and its route planned (by the plain planner of the storage tests)."""
    from tests.integration.transport_helpers import add_vehicle, greedy_plan
    from transport import fleet, incident_routes

    monkeypatch.setattr(incident_routes, "default_planner", lambda: greedy_plan)
    add_vehicle(engine, county, "鲁A11111")
    fleet.call_in(engine, county.dispatcher, mapped.incident, ["鲁A11111"], NOW)
    incident_routes.plan(engine, county.dispatcher, mapped.incident, NOW)


def outside_requests(page, base):
    """Every request the page makes to anywhere but the app."""
    seen = []
    page.on("request", lambda r: seen.append(r.url) if not r.url.startswith(base) and not r.url.startswith("data:")
            else None)
    return seen


def test_with_no_tile_server_the_map_draws_depots_sites_and_lines_on_a_plain_background(map_server, desktop, phone,
                                                                                      engine, county, monkeypatch):
    base, mapped = map_server
    page = desktop
    outside = outside_requests(page, base)
    log_in(page, base, "dispatcher", "dispatcher-pass")
    page.goto(f"{base}/map")
    expect(page.locator("#map[data-state=ready]")).to_be_visible()
    expect(page.locator("#map.map-plain")).to_be_visible()
    expect(page.locator("#map path.map-depot")).to_have_count(5)  # T2-V1 has no coordinates
    expect(page.locator("#map path.map-depot.tier-county")).to_have_count(1)
    expect(page.locator("#map path.map-shelter")).to_have_count(1)
    expect(page.locator("#map path.map-site")).to_have_count(2)
    expect(page.locator("#map path.map-line.planned")).to_have_count(3)
    expect(page.locator("#map path.map-line.transit")).to_have_count(2)
    expect(page.locator("#map img.leaflet-tile")).to_have_count(0)
    expect(page.locator(".leaflet-control-scale-line")).to_be_visible()
    expect(page.locator(".leaflet-tooltip.map-label.tier-county")).to_have_text("县级储备库")
    expect(page.locator("#map-unplaced")).to_contain_text("库点 1 个")
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-map.png", full_page=True)
    # a depot's popup leads to its page
    page.locator("#map path.map-depot.tier-county").click(force=True)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("县级储备库")
    expect(popup).to_contain_text("储备达标")
    popup.get_by_role("link", name="打开库点").click()
    expect(page).to_have_url(f"{base}/depots/C1")
    page.goto(f"{base}/incidents/{mapped.incident}/map")
    expect(page.locator("#map[data-state=ready]")).to_be_visible()
    # an order in transit leads to the order
    page.locator("#map path.map-line.transit").first.click(force=True)
    link = page.locator(".leaflet-popup-content a.map-popup-link")
    expect(link).to_have_attribute("href", re.compile(r"^/orders/DO-"))
    # a truck called in and its route planned: the incident's map draws it, its popup names the truck
    plan_a_route(engine, county, mapped, monkeypatch)
    page.goto(f"{base}/incidents/{mapped.incident}/map")
    expect(page.locator("#map[data-state=ready]")).to_be_visible()
    expect(page.locator("#map path.map-route")).to_have_count(1)
    page.locator("#map path.map-route").click(force=True)
    expect(page.locator(".leaflet-popup-content")).to_contain_text("鲁A11111")
    expect(page.locator(".leaflet-popup-content")).to_contain_text("计划")
    assert outside == []

    # a keeper on a phone: their depots and the order leaving their town, no incident
    log_in(phone, base, "keeper", "keeper-pass")
    phone.goto(f"{base}/map")
    expect(phone.locator("#map[data-state=ready]")).to_be_visible()
    expect(phone.locator("#map path.map-depot")).to_have_count(2)
    expect(phone.locator("#map path.map-line.transit")).to_have_count(1)
    expect(phone.locator("#map path.map-site")).to_have_count(0)
    assert phone.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
    phone.screenshot(path=f"{SHOTS}/reliefdepot-phone-map-keeper.png", full_page=True)


class TileServer:
    """A test tile set: a 256 px PNG for every z/x/y, made with Pillow, chequered by x + y; the paths asked."""

    def __init__(self):
        from PIL import Image, ImageDraw

        self.tiles, self.requests = {}, []
        for shade in range(2):
            image = Image.new("RGB", (256, 256), (225, 236, 222) if shade else (205, 222, 232))
            ImageDraw.Draw(image).rectangle((0, 0, 255, 255), outline=(150, 160, 170))
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            self.tiles[shade] = buffer.getvalue()
        tiles, requests = self.tiles, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                m = TILE.match(self.path)
                if not m:
                    self.send_error(404)
                    return
                body = tiles[(int(m.group(2)) + int(m.group(3))) % 2]
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="tile-server", daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/{{z}}/{{x}}/{{y}}.png"

    def close(self):
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


@pytest.fixture
def tile_server():
    server = TileServer()
    yield server
    server.close()


def test_with_a_tile_server_set_by_an_administrator_the_map_loads_its_tiles(map_server, tile_server, desktop, engine,
                                                                           county, monkeypatch):
    base, mapped = map_server
    page = desktop
    plan_a_route(engine, county, mapped, monkeypatch)
    log_in(page, base, "admin", "admin-pass")
    page.goto(f"{base}/admin/map-tiles")
    page.fill("#url", "tiles.example.cn/{z}/{x}/{y}.png")
    page.fill("#attribution", "县测绘院")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#url + .field-error, .field-error").first).to_contain_text("http://")
    page.fill("#url", tile_server.url)
    page.fill("#attribution", "县测绘院测试瓦片")
    page.fill("#labels_url", tile_server.url.replace("/{z}", "/labels/{z}"))
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash")).to_contain_text("地图瓦片服务已保存")
    page.goto(f"{base}/map")
    expect(page.locator("#map[data-state=ready]")).to_be_visible()
    expect(page.locator("#map.map-tiled")).to_be_visible()
    loaded = page.locator("#map img.leaflet-tile.leaflet-tile-loaded")
    expect(loaded.first).to_be_visible()
    # tiles arrive one by one (a late zoom replaces them): wait, retrying, for a screenful; a count taken at once races
    expect(loaded.nth(3)).to_be_attached()
    expect(page.locator("#map .map-labels img.leaflet-tile.leaflet-tile-loaded").first).to_be_attached()
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("县测绘院测试瓦片")
    expect(page.locator("#map path.map-depot")).to_have_count(5)  # drawn over the tiles
    expect(page.locator("#map path.map-route")).to_have_count(1)
    asked = [TILE.match(p) for p in tile_server.requests]
    assert asked and all(asked), tile_server.requests
    assert any(p.startswith("/labels/") for p in tile_server.requests)  # the label layer drawn over the tiles
    assert {int(m.group(1)) for m in asked} <= set(range(5, 14))  # the zoom fitted to the county
    page.screenshot(path=f"{SHOTS}/reliefdepot-desktop-map-tiles.png", full_page=True)
