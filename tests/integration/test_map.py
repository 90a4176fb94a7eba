"""The map of emergency resources: its data (/map/data.json) as each role may see it, its filters, its pages,
Leaflet served by the app, and the administrator's tile server setting."""
import re

import pytest

from tests.conftest import csrf_token, login
from tests.integration.helpers import NOW, TODAY, text
from tests.integration.test_scan_page import fetch
from tests.map_county import build_map_county


@pytest.fixture
def mapped(engine, county, monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)
    return build_map_county(engine, county, NOW, TODAY)


def data(client, query=""):
    r = client.get("/map/data.json" + query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.json


def by_code(rows, key="code"):
    return {row[key]: row for row in rows}


def test_the_map_shows_depots_by_tier_shelters_sites_by_fill_planned_lines_and_orders_in_transit(client, mapped):
    login(client, "dispatcher", "dispatcher-pass")
    d = data(client)
    depots = by_code(d["depots"])
    assert set(depots) == {"C1", "T1", "T2", "T1-V1", "T1-V2"}  # T2-V1 has no coordinates
    assert d["unplaced"] == {"depots": 1, "sites": 0, "lines": 0, "orders": 0}
    # units on hand: C1 lost the 49 units of the order on the road; T1 its 10 tents
    assert {c: (x["tier"], x["units"], x["at"]) for c, x in depots.items()} == {
        "C1": ("county", 260 - 49, [29.15, 105.38]), "T1": ("town", 0, [29.2, 105.4]), "T2": ("town", 2, [29.0, 105.3]),
        "T1-V1": ("village", 0, [29.25, 105.45]), "T1-V2": ("village", 0, [29.22, 105.5])}
    assert depots["C1"]["radius"] > depots["T2"]["radius"] > depots["T1"]["radius"]
    # colour by reserve sufficiency: the county's target is far from met; villages have none
    assert depots["C1"]["band"] == "low" and 0 < depots["C1"]["coverage"] < 0.5
    assert depots["T1-V1"]["coverage"] is None and depots["T1-V1"]["band"] == "none"
    assert d["shelters"] == [{"code": "S-1", "name": "玉龙镇小学避难场所", "at": [29.3, 105.35], "capacity": 600,
                              "affected": True}]
    # sites coloured by the lowest fill rate of one item, as the incident page reads it
    sites = by_code(d["sites"])
    assert set(sites) == {"T1-V1", "S-1"} and all(s["incident"] == mapped.incident for s in sites.values())
    page = text(client.get(f"/incidents/{mapped.incident}"))
    for s in sites.values():
        assert 0 < s["fill_rate"] < 1 and s["band"] in ("mid", "high", "low")
        assert f"{int(s['fill_rate'] * 100)}%" in page
    lines = {(ln["from"], ln["to"]): ln for ln in d["lines"]}
    assert set(lines) == {("C1", "S-1"), ("C1", "T1-V1"), ("T1", "T1-V1")}
    assert lines[("C1", "S-1")]["path"] == [[29.15, 105.38], [29.3, 105.35]]
    assert lines[("T1", "T1-V1")]["items"] == {"TENT": 10}
    orders = by_code(d["orders"])
    assert set(orders) == {mapped.shipped, mapped.keepers}
    assert orders[mapped.shipped]["state"] == "shipped" and orders[mapped.shipped]["in_transit"] == 49
    assert orders[mapped.keepers]["path"] == [[29.2, 105.4], [29.25, 105.45]]
    assert d["routes"] == [] and d["tiles"] is None


def test_filters_by_tier_item_and_incident(client, mapped):
    login(client, "auditor", "auditor-pass")
    assert {x["code"] for x in data(client, "?tier=town")["depots"]} == {"T1", "T2"}
    water = data(client, "?item=WATER")
    assert by_code(water["depots"])["C1"]["units"] == 200 - 30 and by_code(water["depots"])["T1"]["units"] == 0
    assert all(set(ln["items"]) == {"WATER"} for ln in water["lines"]) and len(water["lines"]) == 2
    assert {o["code"] for o in water["orders"]} == {mapped.shipped}  # the town's order carries tents only
    assert by_code(water["orders"])[mapped.shipped]["in_transit"] == 30
    one = data(client, f"?incident={mapped.incident}")
    assert [i["id"] for i in one["incidents"]] == [mapped.incident] and len(one["sites"]) == 2
    for query, status, field in (("?tier=province", 400, "tier"), ("?item=NOPE", 400, "item"),
                                 ("?incident=abc", 400, "incident"), ("?incident=999", 404, "incident")):
        r = client.get("/map/data.json" + query)
        assert r.status_code == status and r.json["error"]["field"] == field, query


def test_keepers_see_their_own_depots_and_the_orders_to_and_from_them(app, mapped):
    keeper = app.test_client()
    login(keeper, "keeper", "keeper-pass")
    d = data(keeper)
    assert {x["code"] for x in d["depots"]} == {"T1", "T1-V1"}
    assert [o["code"] for o in d["orders"]] == [mapped.keepers]
    assert d["sites"] == [] and d["lines"] == [] and d["incidents"] == []
    assert [x["code"] for x in d["shelters"]] == ["S-1"]  # in T1's area
    assert keeper.get(f"/map/data.json?incident={mapped.incident}").status_code == 403
    assert keeper.get(f"/incidents/{mapped.incident}/map").status_code == 403
    assert keeper.get("/map").status_code == 200
    other = app.test_client()
    login(other, "keeper2", "keeper2-pass")
    d = data(other)
    assert [x["code"] for x in d["depots"]] == ["T2"] and d["orders"] == [] and d["shelters"] == []
    assert app.test_client().get("/map/data.json").status_code in (302, 401)


def test_the_map_pages_pass_their_data_url_and_words_to_the_script_without_inline_script(client, mapped):
    login(client, "dispatcher", "dispatcher-pass")
    page = client.get(f"/incidents/{mapped.incident}/map?item=TENT").get_data(as_text=True)
    assert f'data-url="/map/data.json?item=TENT&amp;incident={mapped.incident}"' in page
    assert "/static/vendor/leaflet/leaflet.js" in page and "/static/js/map.js" in page and "data-messages=" in page
    content = page.split('<main', 1)[-1]
    assert "<script>" not in content
    assert f'href="/incidents/{mapped.incident}/map"' in client.get(f"/incidents/{mapped.incident}").get_data(as_text=True)
    assert 'href="/map"' in client.get("/").get_data(as_text=True)
    assert client.get("/map?tier=nope").status_code == 400


def test_leaflet_is_served_by_the_app(client):
    for path, kind in (("leaflet.js", "text/javascript"), ("leaflet.css", "text/css"),
                       ("images/marker-icon.png", "image/png"), ("images/layers.png", "image/png")):
        r = fetch(client, f"/static/vendor/leaflet/{path}")
        assert r.status_code == 200 and r.mimetype == kind and len(r.data) > 100, path
    assert fetch(client, "/static/vendor/leaflet/package.json").status_code == 404
    assert fetch(client, "/static/vendor/leaflet/..%2F..%2Fpackage.json").status_code == 404


def save_tiles(client, url, attribution, labels=""):
    return client.post("/admin/map-tiles", data={"url": url, "attribution": attribution, "labels_url": labels,
                                                 "csrf_token": csrf_token(client, "/admin/map-tiles")})


@pytest.mark.parametrize("url, attribution, labels, field, message", [
    ("ftp://tiles.example.cn/{z}/{x}/{y}.png", "县测绘院", "", "url", "瓦片地址须以 http:// 或 https:// 开头"),
    ("https://tiles.example.cn/{z}/{x}.png", "县测绘院", "", "url", "缺少 {y}"),
    ("https://t{s}.example.cn/{z}/{x}/{y}.png", "县测绘院", "", "url", "不能含 {s}"),
    ("https://tiles.example.cn/{z}/{x}/{y}.png", "", "", "attribution", "请填写瓦片服务要求的署名"),
    ("https://tiles.example.cn/{z}/{x}/{y}.png", "<b>县</b>", "", "attribution", "署名为纯文本"),
    ("https://tiles.example.cn/{z}/{x}/{y}.png", "县测绘院", "https://labels.example.cn/{z}/{y}.png", "labels_url",
     "缺少 {x}"),
    ("", "", "https://labels.example.cn/{z}/{x}/{y}.png", "labels_url", "注记图层叠加在底图瓦片之上"),
])
def test_a_bad_tile_setting_is_refused_naming_the_field_and_nothing_is_saved(client, county, url, attribution, labels,
                                                                             field, message):
    login(client, "admin", "admin-pass")
    r = save_tiles(client, url, attribution, labels)
    assert r.status_code == 422 and message in text(r)
    marked = re.findall(r'<input [^>]*aria-invalid="true"[^>]* name="(\w+)"', r.get_data(as_text=True))
    assert marked == [field]
    assert data(client)["tiles"] is None


def test_an_administrator_sets_the_tile_server_and_the_map_data_carries_it(app, client, county):
    login(client, "admin", "admin-pass")
    tianditu = ("https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
                "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY")
    labels = tianditu.replace("t0.", "t1.").replace("vec_w", "cva_w").replace("LAYER=vec", "LAYER=cva")
    r = save_tiles(client, f"  {tianditu} ", "天地图 · 国家地理信息公共服务平台", f" {labels}")
    assert r.status_code == 302
    assert data(client)["tiles"] == {"url": tianditu, "attribution": "天地图 · 国家地理信息公共服务平台",
                                     "labels": labels}
    policy = client.get("/map").headers["Content-Security-Policy"]
    # the page may load its tiles and their labels
    assert "img-src 'self' data: blob: https://t0.tianditu.gov.cn https://t1.tianditu.gov.cn;" in policy
    assert "tianditu" not in client.get("/depots").headers["Content-Security-Policy"]  # only the map's pages
    dispatcher = app.test_client()
    login(dispatcher, "dispatcher", "dispatcher-pass")
    shown = text(dispatcher.get("/admin/map-tiles"))  # read, not changed
    assert tianditu in shown and labels in shown
    assert save_tiles(dispatcher, "", "").status_code == 403
    assert save_tiles(client, "", "").status_code == 302  # back to a plain background
    assert data(client)["tiles"] is None
    assert "img-src 'self' data: blob:;" in client.get("/map").headers["Content-Security-Policy"]


def test_the_map_draws_an_incidents_vehicle_routes_for_dispatchers_and_not_for_keepers(client, engine, county, mapped,
                                                                                       monkeypatch):
    from sqlmodel import Session

    from tests.integration.transport_helpers import add_vehicle, greedy_plan
    from transport import fleet, incident_routes
    from transport.routes_view import routes_for_map

    monkeypatch.setattr(incident_routes, "default_planner", lambda: greedy_plan)
    add_vehicle(engine, county, "鲁A11111")
    fleet.call_in(engine, county.dispatcher, mapped.incident, ["鲁A11111"], NOW)
    planned = incident_routes.plan(engine, county.dispatcher, mapped.incident, NOW)
    stops = [s["stop"] for v in planned["vehicles"] for s in v["stops"]]
    assert stops  # the county depot's orders go on the truck
    with Session(engine) as s:
        expected = routes_for_map(s, [mapped.incident])
    login(client, "dispatcher", "dispatcher-pass")
    for query in (f"?incident={mapped.incident}", ""):
        routes = data(client, query)["routes"]
        assert [r["plate"] for r in routes] == ["鲁A11111"]
        assert routes[0]["stops"] == stops and routes[0]["points"] == expected[0]["points"]
        assert len(routes[0]["points"]) >= 3  # out from C1, the stops, back
    client.get("/logout")
    login(client, "keeper", "keeper-pass")
    assert data(client)["routes"] == []
