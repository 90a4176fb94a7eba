"""Where a depot may sit in the three-tier tree."""
import pytest

from common.errors import InvalidInput, TierRuleBroken
from inventory.catalog import check_tier_rule
from inventory.models import Depot

COUNTY = Depot(code="C", name="c", tier="county")
TOWN = Depot(code="T", name="t", tier="town")
TRANSFER = Depot(code="X", name="x", tier="town", kind="transfer_station")
VILLAGE = Depot(code="V", name="v", tier="village")


@pytest.mark.parametrize("tier, kind, parent", [
    ("county", "station", None), ("town", "station", COUNTY), ("town", "transfer_station", COUNTY),
    ("village", "station", TOWN),
])
def test_allowed_places_in_the_tree(tier, kind, parent):
    check_tier_rule(tier, kind, parent)


@pytest.mark.parametrize("tier, kind, parent, message", [
    ("county", "station", COUNTY, "county depot has no parent"),
    ("town", "station", None, "town depot must sit under a county"),
    ("town", "station", TOWN, "town depot must sit under a county"),
    ("village", "station", COUNTY, "village depot must sit under a town"),
    ("village", "station", VILLAGE, "village depot must sit under a town"),
    ("village", "station", None, "village depot must sit under a town"),
    ("village", "station", TRANSFER, "not a transfer station"),
    ("village", "transfer_station", TOWN, "transfer station"),
])
def test_tier_rules_are_enforced(tier, kind, parent, message):
    with pytest.raises(TierRuleBroken, match=message):
        check_tier_rule(tier, kind, parent)


def test_unknown_tier_is_invalid_input():
    with pytest.raises(InvalidInput) as e:
        check_tier_rule("province", "station", None)
    assert e.value.field == "tier"
