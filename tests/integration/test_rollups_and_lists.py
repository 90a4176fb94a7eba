"""Rollups over the depot tree, lot and ledger filters, the stock card; numbers written by hand."""
from datetime import date, datetime, timedelta, timezone

import pytest

from common.errors import InvalidInput
from inventory import queries, services
from tests.conftest import bearer
from tests.integration.helpers import NOW, TODAY, ctx, new_lot


@pytest.fixture
def stocked(engine, county):
    """C1: 100 water; T1: 30 water + 2 pumps; T1-V1: 5 water (expired); T1-V2: 7 tents; T2: 11 water."""
    admin = county.admin
    new_lot(engine, admin, depot="C1", quantity=100, code="W-C1", expires_on=date(2027, 6, 1))
    new_lot(engine, admin, depot="T1", quantity=30, code="W-T1", expires_on=date(2026, 8, 1))
    new_lot(engine, admin, depot="T1", item="PUMP", quantity=2, code="P-T1", expires_on=None)
    new_lot(engine, admin, depot="T1-V1", quantity=5, code="W-V1", expires_on=date(2026, 6, 20))
    new_lot(engine, admin, depot="T1-V2", item="TENT", quantity=7, code="T-V2", expires_on=None)
    new_lot(engine, admin, depot="T2", quantity=11, code="W-T2", expires_on=date(2026, 9, 29))  # day 90: near expiry
    return county


def _totals(nodes, out=None):
    out = {} if out is None else out
    for n in nodes:
        out[n["code"]] = (n["own"]["units"], n["total"]["units"], n["total"]["expired_units"], n["total"]["lots"])
        _totals(n["children"], out)
    return out


def test_the_tree_rolls_villages_into_towns_and_everything_into_the_county(engine, stocked):
    tree = queries.depot_tree(engine, stocked.auditor, TODAY)
    assert [n["code"] for n in tree] == ["C1"]
    assert _totals(tree) == {
        "C1": (100, 155, 5, 6), "T1": (32, 44, 5, 4), "T1-V1": (5, 5, 5, 1), "T1-V2": (7, 7, 0, 1),
        "T2": (11, 11, 0, 1), "T2-V1": (0, 0, 0, 0)}


def test_a_keepers_tree_holds_only_their_depots(engine, stocked):
    tree = queries.depot_tree(engine, stocked.keeper, TODAY)
    assert [(n["code"], [c["code"] for c in n["children"]]) for n in tree] == [("T1", ["T1-V1"])]


def test_stock_summary_per_item_and_category_over_a_subtree(engine, stocked):
    by_item = queries.stock_summary(engine, stocked.auditor, TODAY, depot="T1")
    assert [(line["code"], line["units"], line["usable_units"]) for line in by_item["lines"]] == [
        ("PUMP", 2, 2), ("TENT", 7, 7), ("WATER", 35, 30)]
    by_category = queries.stock_summary(engine, stocked.auditor, TODAY, by="category")
    assert [(line["category"], line["units"], line["items"]) for line in by_category["lines"]] == [
        ("living", 153, 2), ("flood", 2, 1)]


def test_lot_filters(engine, stocked):
    def codes(**kw):
        return [lot["code"] for lot in queries.list_lots(engine, stocked.auditor, TODAY, **kw)["lots"]]

    assert codes(depot="T1") == ["W-T1", "P-T1"]
    assert codes(depot="T1", subtree=True) == ["W-V1", "W-T1", "P-T1", "T-V2"]
    assert codes(item="WATER") == ["W-V1", "W-T1", "W-T2", "W-C1"]
    assert codes(category="flood") == ["P-T1"]
    assert codes(expires_within_days=31) == ["W-V1", "W-T1"]
    assert codes(expired=True) == ["W-V1"]
    assert codes(expired=False, item="WATER") == ["W-T1", "W-T2", "W-C1"]
    assert codes(limit=2, offset=1) == ["W-T1", "W-T2"]
    statuses = {lot["code"]: lot["status"] for lot in queries.list_lots(engine, stocked.auditor, TODAY)["lots"]}
    assert statuses == {"W-V1": "expired", "W-T1": "near_expiry", "W-T2": "near_expiry", "W-C1": "ok",
                        "P-T1": "durable", "T-V2": "durable"}


@pytest.mark.parametrize("kwargs, field", [
    ({"expires_within_days": 0}, "expires_within_days"), ({"category": "food"}, "category"),
    ({"limit": 0}, "limit"), ({"limit": 5000}, "limit"), ({"offset": -1}, "offset"),
])
def test_impossible_lot_filters_are_refused_by_name(engine, stocked, kwargs, field):
    with pytest.raises(InvalidInput) as e:
        queries.list_lots(engine, stocked.auditor, TODAY, **kwargs)
    assert e.value.field == field


def test_the_stock_card_lists_every_line_with_its_running_balance(engine, stocked):
    keeper = stocked.keeper
    services.issue(engine, ctx(keeper), lot="W-T1", quantity=4)
    services.count(engine, ctx(keeper), lot="W-T1", counted=25)
    services.transfer(engine, ctx(keeper), lot="W-T1", quantity=5, to_depot="T1-V1")
    services.return_stock(engine, ctx(keeper), lot="W-T1", quantity=1)
    card = queries.stock_card(engine, stocked.auditor, "W-T1", TODAY)
    assert [(e["kind"], e["quantity"], e["balance_after"], e["user"]) for e in card["entries"]] == [
        ("receive", 30, 30, "admin"), ("issue", -4, 26, "keeper"), ("count", -1, 25, "keeper"),
        ("transfer_out", -5, 20, "keeper"), ("return", 1, 21, "keeper")]
    assert card["lot"]["quantity"] == 21


def test_ledger_filters_by_kind_user_and_time(engine, stocked):
    later = datetime(2026, 7, 2, 3, 0, tzinfo=timezone.utc)
    services.issue(engine, ctx(stocked.keeper, now=later, reference="ORD-9"), lot="W-T1", quantity=1)
    page = queries.list_movements(engine, stocked.auditor, kind="issue")
    assert [(e["lot"], e["user"], e["reference"]) for e in page["entries"]] == [("W-T1", "keeper", "ORD-9")]
    assert queries.list_movements(engine, stocked.auditor, since=later)["total"] == 1
    assert queries.list_movements(engine, stocked.auditor, until=later)["total"] == 6
    assert queries.list_movements(engine, stocked.auditor, depot="T1", subtree=True)["total"] == 5
    assert queries.list_movements(engine, stocked.auditor, user="admin")["total"] == 6
    with pytest.raises(InvalidInput) as e:
        queries.list_movements(engine, stocked.auditor, since=later, until=later - timedelta(days=1))
    assert e.value.field == "until"


def test_the_api_serves_the_tree_the_stock_and_the_card(client, stocked, monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)
    headers = bearer(stocked, "dispatcher")
    tree = client.get("/api/v1/depots/tree", headers=headers).json
    assert tree[0]["total"] == {"units": 155, "lots": 6, "expired_units": 5}
    stock = client.get("/api/v1/stock?depot=T1&by=category", headers=headers).json
    assert stock["lines"][0]["units"] == 42
    assert client.get("/api/v1/stock?by=shelf", headers=headers).status_code == 422
    card = client.get("/api/v1/lots/W-T1/card", headers=headers).json
    assert card["lot"]["item_name"] == "瓶装饮用水" and len(card["entries"]) == 1
    lots = client.get("/api/v1/lots?depot=T1&subtree=true&expired=true", headers=headers).json
    assert [lot["code"] for lot in lots["lots"]] == ["W-V1"]
    assert client.get("/api/v1/lots?expires_within_days=0", headers=headers).status_code == 422
    assert client.get("/api/v1/ledger?since=2026-07-02", headers=headers).status_code == 422  # no offset
    assert client.get("/api/v1/depots/NOPE", headers=headers).status_code == 404
    assert client.get("/api/v1/depots/T1", headers=headers).json["parent"] == "C1"
