"""The dispatch services' and the stock rules' domain errors carry a stable message code and parameters,
and every code has a message pages can say in their language, with exactly the parameters the error
carries."""
import ast
import re
from dataclasses import replace
from pathlib import Path

import pytest

from common.errors import DomainError, InvalidInput
from dispatch.norms import DEFAULT_LEVELS, check_levels
from dispatch.settings import PlanningSettings, check_settings
from dispatch.vocab import ERROR_MESSAGES
from inventory.vocab import ERROR_MESSAGES as STOCK_MESSAGES

ROOT = Path(__file__).resolve().parents[2]
DISPATCH = ROOT / "dispatch"


def raised_codes(package: Path = DISPATCH) -> list[tuple[str, str, set[str] | None]]:
    """(file:line, message code, parameter names or None when not a literal dict) of every error the
    dispatch package raises with a message code; an f-string code is expanded over its known values."""
    found = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            kw = {k.arg: k.value for k in node.keywords if k.arg}
            if "message_code" not in kw:
                continue
            where = f"{path.name}:{node.lineno}"
            params = kw.get("params")
            names = {k.value for k in params.keys if isinstance(k, ast.Constant)} if isinstance(params, ast.Dict) \
                else (set() if params is None else None)
            code = kw["message_code"]
            if isinstance(code, ast.Constant):
                found.append((where, code.value, names))
            elif isinstance(code, ast.JoinedStr):  # f"shelter_{name_}_out_of_range" over lat and lon
                template = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in code.values)
                found += [(where, template.format(value), names) for value in ("lat", "lon")]
    return found


def test_the_dispatch_services_raise_many_coded_errors():
    codes = {code for _, code, _ in raised_codes()}
    assert len(codes) >= 50
    assert {"level_unchanged", "norm_unchanged", "file_not_whole_number", "nothing_to_plan_no_stock"} <= codes


@pytest.mark.parametrize("where, code, names", raised_codes())
def test_every_raised_code_has_a_message_with_the_parameters_the_error_carries(where, code, names):
    assert code in ERROR_MESSAGES, f"{where}: {code} has no message in dispatch.vocab.ERROR_MESSAGES"
    placeholders = set(re.findall(r"%\((\w+)\)s", str(ERROR_MESSAGES[code])))
    if names is not None:
        assert placeholders <= names, f"{where}: {code} names {placeholders - names} that the error does not carry"


def test_every_message_is_raised_somewhere():
    raised = {code for _, code, _ in raised_codes()}
    assert set(ERROR_MESSAGES) - raised == set()


def test_a_domain_error_keeps_its_kind_and_adds_the_message_code():
    e = InvalidInput("the incident is already at level IV", field="level", message_code="level_unchanged",
                     params={"level": "IV"})
    assert (e.status, e.code, e.field, e.message_code, e.params) == (422, "invalid", "level", "level_unchanged",
                                                                     {"level": "IV"})
    plain = DomainError("something")
    assert (plain.message_code, plain.params, plain.details) == (None, {}, {})


def test_levels_out_of_order_name_the_more_severe_levels_threshold():
    rules = [replace(r, min_people=20_000) if r.level == "II" else r for r in DEFAULT_LEVELS]
    with pytest.raises(InvalidInput) as e:
        check_levels(rules)
    assert (e.value.field, e.value.message_code, e.value.params) == (
        "levels[0].min_people", "level_thresholds_out_of_order", {"level": "I", "milder": "II"})
    with pytest.raises(InvalidInput) as e:
        check_levels(list(DEFAULT_LEVELS[:3]))
    assert e.value.message_code == "levels_incomplete"


@pytest.mark.parametrize("changes, field, code", [
    ({"detour_factor": 0.9}, "detour_factor", "setting_detour_below_one"),
    ({"speed_town_kmh": 0}, "speed_town_kmh", "setting_not_positive"),
    ({"fair_share_steps": 101}, "fair_share_steps", "setting_fair_share_steps_range"),
    ({"days": 2.5}, "days", "setting_not_a_number"),
    ({"vehicle_capacity_kg": float("nan")}, "vehicle_capacity_kg", "setting_not_a_number"),
    ({"handling_minutes": -1}, "handling_minutes", "setting_negative"),
])
def test_bad_settings_name_their_field_and_code(changes, field, code):
    with pytest.raises(InvalidInput) as e:
        check_settings(replace(PlanningSettings(), **changes))
    assert (e.value.field, e.value.message_code) == (field, code)


def stock_codes():
    return (raised_codes(ROOT / "inventory") + raised_codes(ROOT / "inventory" / "writeoffs") + raised_codes(ROOT / "common")
            + raised_codes(ROOT / "labels"))


@pytest.mark.parametrize("where, code, names", stock_codes())
def test_every_stock_rule_code_has_a_message_with_the_parameters_the_error_carries(where, code, names):
    assert code in STOCK_MESSAGES, f"{where}: {code} has no message in inventory.vocab.ERROR_MESSAGES"
    placeholders = set(re.findall(r"%\((\w+)\)s", str(STOCK_MESSAGES[code])))
    assert names is not None and placeholders <= names, f"{where}: {code} names {placeholders} it does not carry"


def test_every_stock_message_is_raised_somewhere_and_the_rules_raise_them():
    raised = {code for _, code, _ in stock_codes()}
    assert set(STOCK_MESSAGES) == raised
    assert {"lot_holds_less", "lot_expired", "quantity_not_positive", "depot_not_kept_for_stock"} <= raised


def test_several_bad_levels_are_named_together_each_by_its_field():
    rules = [replace(r, min_people=-1) if r.level == "I" else replace(r, floor_draw=2) if r.level == "III" else r
             for r in DEFAULT_LEVELS]
    with pytest.raises(InvalidInput) as e:
        check_levels(rules)
    assert (e.value.field, e.value.message_code, e.value.params) == ("levels", "lines_invalid", {"count": 3})
    assert [(p["field"], p["message_code"]) for p in e.value.details["problems"]] == [
        ("levels[0].min_people", "level_min_people_negative"), ("levels[0].min_people", "level_thresholds_out_of_order"),
        ("levels[2].floor_draw", "level_floor_draw_out_of_range")]


def test_every_account_code_has_a_message_and_every_message_is_raised():
    from accounts.vocab import ERROR_MESSAGES as ACCOUNT_MESSAGES

    found = [(where, code, names) for where, code, names in raised_codes(ROOT / "accounts")]
    for where, code, names in found:
        assert code in ACCOUNT_MESSAGES, f"{where}: {code} has no message in accounts.vocab.ERROR_MESSAGES"
        placeholders = set(re.findall(r"%\((\w+)\)s", str(ACCOUNT_MESSAGES[code])))
        assert names is not None and placeholders <= names, f"{where}: {code} names {placeholders} it does not carry"
    assert set(ACCOUNT_MESSAGES) == {code for _, code, _ in found}
    assert {"username_taken", "keeper_needs_depot", "password_too_short"} <= set(ACCOUNT_MESSAGES)
def receiving_codes():
    return raised_codes(ROOT / "receiving")


@pytest.mark.parametrize("where, code, names", receiving_codes())
def test_every_receiving_code_has_a_message_with_the_parameters_the_error_carries(where, code, names):
    from receiving.vocab import ERROR_MESSAGES as RECEIVING_MESSAGES

    messages = {**STOCK_MESSAGES, **RECEIVING_MESSAGES}
    assert code in messages, f"{where}: {code} has no message in receiving.vocab.ERROR_MESSAGES"
    placeholders = set(re.findall(r"%\((\w+)\)s", str(messages[code])))
    assert names is not None and placeholders <= names, f"{where}: {code} names {placeholders} it does not carry"


def test_every_receiving_message_is_raised_somewhere():
    from receiving.vocab import ERROR_MESSAGES as RECEIVING_MESSAGES

    source = (ROOT / "receiving" / "service.py").read_text(encoding="utf-8")
    passed = {code for code in RECEIVING_MESSAGES if f'"{code}"' in source}  # a code handed to a checking helper
    assert set(RECEIVING_MESSAGES) <= {code for _, code, _ in receiving_codes()} | passed
