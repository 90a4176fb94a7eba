"""The map's layers from plain values (maps.figures): sizes, colours, filters and what cannot be placed."""
from maps import figures

DEPOTS = [{"code": "C1", "name": "县级储备库", "tier": "county", "lat": 29.15, "lon": 105.38},
          {"code": "T1", "name": "玉龙镇储备站", "tier": "town", "lat": 29.2, "lon": 105.4},
          {"code": "T1-V1", "name": "玉龙村储备点", "tier": "village", "lat": None, "lon": None}]
PLACES = {"C1": [29.15, 105.38], "T1": [29.2, 105.4], "T1-V1": None, "S-1": [29.3, 105.35]}
INCIDENT = {"id": 7, "title": "洪涝", "level": "III",
            "sites": [{"site": "S-1", "name": "小学", "lat": 29.3, "lon": 105.35, "people": 100, "fill_rate": 0.6},
                      {"site": "T1-V1", "name": "玉龙村", "lat": None, "lon": None, "people": 50, "fill_rate": None}],
            "lines": [{"from": "C1", "to": "S-1", "item": "TENT", "quantity": 10},
                      {"from": "C1", "to": "S-1", "item": "WATER", "quantity": 30},
                      {"from": "C1", "to": "S-1", "item": "TENT", "quantity": 5},
                      {"from": "T1", "to": "T1-V1", "item": "TENT", "quantity": 4}]}


def build(**kw):
    values = {"depots": DEPOTS, "units": {"C1": 5000, "T1": 40}, "coverage": {"C1": 0.3, "T1": 1.2},
              "shelters": [], "incidents": [INCIDENT], "orders": [], "routes": [], "places": PLACES, **kw}
    return figures.build(**values)


def test_a_depot_grows_with_the_log_of_its_units_within_its_tiers_cap():
    assert figures.radius(0) == figures.MIN_RADIUS
    sizes = [figures.radius(n) for n in (1, 10, 1_000, 100_000, 10**9)]
    assert sizes == sorted(sizes) and sizes[-1] == sizes[-2] == figures.MAX_RADIUS["county"]
    assert figures.radius(10**9, "village") == figures.MAX_RADIUS["village"] < figures.radius(10**9, "town")


def test_colours_are_bands_of_sufficiency_and_fill_and_none_where_nothing_is_measured():
    data = build()
    depots = {d["code"]: d for d in data["depots"]}
    assert depots["C1"]["band"] == "low" and depots["T1"]["band"] == "full"
    assert data["sites"] == [{"incident": 7, "code": "S-1", "name": "小学", "at": [29.3, 105.35], "people": 100,
                              "fill_rate": 0.6, "band": "mid"}]
    assert figures.band(None) == "none"


def test_plan_lines_are_joined_per_depot_and_site_and_filtered_by_item():
    data = build()
    assert data["lines"] == [{"incident": 7, "from": "C1", "to": "S-1", "items": {"TENT": 15, "WATER": 30},
                              "path": [[29.15, 105.38], [29.3, 105.35]]}]
    assert build(item="WATER")["lines"][0]["items"] == {"WATER": 30}


def test_what_has_no_coordinates_is_counted_not_drawn_and_the_tier_filter_keeps_one_tier():
    data = build(orders=[{"code": "DO-7-1", "state": "shipped", "incident": 7, "source": "T1", "source_name": "镇",
                          "destination": "T1-V1", "destination_name": "村", "in_transit": 4}])
    assert data["unplaced"] == {"depots": 1, "sites": 1, "lines": 1, "orders": 1}
    assert data["orders"] == [] and data["routes"] == []
    assert [d["code"] for d in build(tier="town")["depots"]] == ["T1"]


def test_a_tile_url_is_checked_naming_each_field_that_is_wrong():
    import pytest

    from common.errors import InvalidInput
    from maps import tiles

    assert tiles.check(" https://t0.tianditu.gov.cn/x?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=K ", " 天地图 ") == \
        tiles.TileSettings("https://t0.tianditu.gov.cn/x?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=K", "天地图")
    assert tiles.check("", "") == tiles.TileSettings("", "")
    for url, attribution, fields in (("javascript:alert(1)//{z}/{x}/{y}", "a", ["url"]),
                                     ("https:///{z}/{x}/{y}", "a", ["url"]),
                                     ("https://a b/{z}/{x}/{y}", "a", ["url"]),
                                     ("https://tiles.cn/{z}/{y}", "a", ["url"]),
                                     ("https://tiles.cn/{z}/{x}/{y}?{r}", "a", ["url"]),
                                     ("https://tiles.cn/" + "a" * 500 + "/{z}/{x}/{y}", "a", ["url"]),
                                     ("http://tiles.cn/{z}/{x}/{y}", "", ["attribution"]),
                                     ("ftp://tiles.cn/{z}/{x}/{y}", "<a href=x>", ["url", "attribution"])):
        with pytest.raises(InvalidInput) as caught:
            tiles.check(url, attribution)
        named = [p["field"] for p in caught.value.details["problems"]]
        assert named == fields, (url, attribution, named)


def test_a_label_layer_is_checked_like_the_tiles_and_needs_them():
    import pytest

    from common.errors import InvalidInput
    from maps import tiles

    base, labels = "https://t0.tianditu.gov.cn/vec/{z}/{x}/{y}", "https://t0.tianditu.gov.cn/cva/{z}/{x}/{y}"
    assert tiles.check(base, "天地图", f" {labels} ") == tiles.TileSettings(base, "天地图", labels)
    for url, labels_url, codes in ((base, "https://t0.tianditu.gov.cn/cva/{z}/{y}", ["map_tile_url_placeholders"]),
                                   (base, "javascript:{z}{x}{y}", ["map_tile_url_not_http"]),
                                   ("", labels, ["map_tile_labels_without_tiles"]),
                                   ("https:///{z}/{x}/{y}", "ftp://x/{z}/{x}/{y}",
                                    ["map_tile_url_not_http", "map_tile_url_not_http"])):
        with pytest.raises(InvalidInput) as caught:
            tiles.check(url, "天地图", labels_url)
        problems = caught.value.details["problems"]
        assert [p["message_code"] for p in problems] == codes
        assert [p["field"] for p in problems] == (["url", "labels_url"] if len(codes) == 2 else ["labels_url"])
