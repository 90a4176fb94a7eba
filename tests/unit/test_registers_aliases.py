"""Names matched by hand (registers.aliases) as the import's catalog resolves them: a remembered name finds its
depot or item, an exact name still wins, "create" makes no match but says so, and the candidates offered carry the
codes a choice is made of. No database: the catalog is filled by hand."""
from types import SimpleNamespace

from registers.headers import normalise
from registers.importing import _candidates, _Catalog, fingerprint


def catalog(aliases: dict) -> _Catalog:
    c = _Catalog.__new__(_Catalog)
    c.depots = {"C1": SimpleNamespace(code="C1", name="县级储备库", tier="county", kind="station", parent=None,
                                      closed=False),
                "T3": SimpleNamespace(code="T3", name="城关镇应急物资储备站", tier="town", kind="station", parent="C1",
                                      closed=False)}
    c.items = {"TENT": SimpleNamespace(code="TENT", name="救灾帐篷（12㎡单帐篷）", unit="顶"),
               "TENT2": SimpleNamespace(code="TENT2", name="帐篷", unit="顶")}
    c.aliases = {(kind, normalise(name)): target for (kind, name), target in aliases.items()}
    c.lots = {}
    return c


def test_a_remembered_name_finds_its_depot_and_item():
    c = catalog({("depot", "城关镇"): "T3", ("item", "救灾帐篷"): "TENT"})
    assert c.depot("城关镇").code == "T3"
    assert c.depot(" 城关镇 ").code == "T3"  # compared normalised, as the register writes it
    assert c.item(None, "救灾帐篷", None).code == "TENT"
    assert c.depot("青山镇") is None and c.item(None, "棉被", None) is None


def test_an_exact_name_wins_over_a_remembered_one():
    c = catalog({("item", "帐篷"): "TENT"})
    assert c.item(None, "帐篷", None).code == "TENT2"


def test_a_remembered_name_with_a_spec_matches_the_full_name_or_the_name_alone():
    c = catalog({("item", "救灾帐篷（12㎡）"): "TENT"})
    assert c.item(None, "救灾帐篷", "12㎡").code == "TENT"
    c = catalog({("item", "救灾帐篷"): "TENT"})
    assert c.item(None, "救灾帐篷", "单帐篷").code == "TENT"


def test_a_code_written_in_the_register_is_never_replaced_by_a_name():
    c = catalog({("item", "救灾帐篷"): "TENT"})
    assert c.item("NOPE", "救灾帐篷", None) is None


def test_create_is_no_match_but_is_known():
    c = catalog({("item", "救生衣"): None})
    assert c.item(None, "救生衣", None) is None
    assert c.creates_item("救生衣", None) and not c.creates_item("救灾帐篷", None)


def test_an_alias_to_a_code_no_longer_there_finds_nothing():
    c = catalog({("depot", "城关镇"): "T9"})
    assert c.depot("城关镇") is None


def test_candidates_carry_their_codes():
    c = catalog({})
    found = _candidates("城关镇", c.depots.values())
    assert found["closest"][0] == "城关镇应急物资储备站" and found["closest_codes"][0] == "T3"
    assert "closest_codes" not in _candidates("城关镇", ["城关镇应急物资储备站"])


def test_the_fingerprint_follows_what_is_accepted_only():
    sheet = {"sheet": "库存", "kind": "stock", "accepted": 1, "units": 5, "unchanged": 0,
             "creates": {"depots": [], "items": [], "lots": [{"code": "IMP-1-1-2", "quantity": 5}]}, "rejected": []}
    report = {"files": [{"file": "a.csv", "sha256": "ab", "reference": "IMP-ab", "sheets": [sheet]}]}
    other = {"files": [{**report["files"][0], "sheets": [{**sheet, "rejected": [{"row": 3}]}]}]}
    assert fingerprint(report) == fingerprint(other)
    more = {"files": [{**report["files"][0], "sheets": [{**sheet, "accepted": 2}]}]}
    assert fingerprint(report) != fingerprint(more)
