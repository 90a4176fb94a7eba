"""Register cells read as offices write them: dates in every style, shelf lives, quantities with units; header
names in their variants; the closest names offered for a name that does not match."""
from datetime import date, datetime

import pytest

from registers import values as v
from registers.headers import field_of, kind_of
from registers.names import closest


@pytest.mark.parametrize("written", ["2025-03-01", "2025/3/1", "2025.3.1", "2025年3月1日", "20250301",
                                     "2025-03-01 00:00:00", "２０２５年３月１日", 45717, 45717.0, "45717",
                                     datetime(2025, 3, 1, 0, 0), date(2025, 3, 1)])
def test_every_date_style_reads_as_the_same_day(written):
    assert v.parse_date(written) == date(2025, 3, 1)


@pytest.mark.parametrize("written, code", [("2025-02-30", "row_date_bad"), ("3/1/2025", "row_date_bad"),
                                           ("明年", "row_date_bad"), ("2025年3月", "row_date_bad"),
                                           ("1800-01-01", "row_date_out_of_range"), (0, "row_date_bad"),
                                           ("99991231", "row_date_out_of_range")])
def test_a_bad_date_is_refused_with_its_code_and_the_value_written(written, code):
    with pytest.raises(v.BadValue) as e:
        v.parse_date(written)
    assert e.value.code == code and e.value.params["value"]


@pytest.mark.parametrize("start, months, end", [(date(2025, 1, 31), 1, date(2025, 2, 28)),
                                                (date(2024, 1, 31), 1, date(2024, 2, 29)),
                                                (date(2024, 2, 29), 12, date(2025, 2, 28)),
                                                (date(2025, 3, 1), 24, date(2027, 3, 1)),
                                                (date(2025, 11, 30), 3, date(2026, 2, 28))])
def test_months_are_added_month_end_aware(start, months, end):
    assert v.add_months(start, months) == end


@pytest.mark.parametrize("written, months", [(24, 24), ("24", 24), ("24个月", 24), ("2年", 24), ("36.0", 36)])
def test_a_shelf_life_reads_as_whole_months(written, months):
    assert v.parse_months(written) == months


@pytest.mark.parametrize("written", ["0", "1.5", "十二", "-3", "1201"])
def test_a_bad_shelf_life_is_refused(written):
    with pytest.raises(v.BadValue) as e:
        v.parse_months(written)
    assert e.value.code == "row_months_bad"


@pytest.mark.parametrize("written, unit, expected", [(1200, "", (1200, "")), (1200.0, "顶", (1200, "")),
                                                     ("1,200", "", (1200, "")), ("1200.0", "", (1200, "")),
                                                     ("120 顶", "顶", (120, "顶")), ("120顶", "", (120, "顶")),
                                                     ("０", "", (0, ""))])
def test_quantities_are_whole_numbers_with_an_optional_unit(written, unit, expected):
    assert v.parse_quantity(written, unit) == expected


@pytest.mark.parametrize("written, code", [("1.5", "row_quantity_bad"), (1.5, "row_quantity_bad"),
                                           ("-3", "row_quantity_bad"), (-3, "row_quantity_bad"),
                                           ("很多", "row_quantity_bad"), ("12,00", "row_quantity_bad"),
                                           ("120 床", "row_quantity_unit_disagrees"),
                                           (2**31, "row_quantity_too_large")])
def test_a_bad_quantity_is_refused_with_its_code(written, code):
    with pytest.raises(v.BadValue) as e:
        v.parse_quantity(written, "顶")
    assert e.value.code == code


@pytest.mark.parametrize("header, field", [("物资名称", "name"), ("品名", "name"), ("Item", "name"),
                                           ("规格 型号", "spec"), ("计量单位", "unit"), ("库存数量", "quantity"),
                                           ("QUANTITY", "quantity"), ("数量（顶）", "quantity"),
                                           ("生产日期", "production_date"), ("失效日期", "expiry"),
                                           ("保质期（月）", "shelf_life_months"), ("保质期(月)", "shelf_life_months"),
                                           ("储备库", "depot"), ("库点", "depot"), ("批次号", "lot"),
                                           ("储备方式", "storage_mode"), ("代储单位", "partner"),
                                           ("物资编码", "item_code"), ("库点编码", "depot_code"),
                                           ("保质期（天）", None), ("序号", None), ("", None)])
def test_header_variants_map_to_canonical_fields(header, field):
    assert field_of(header) == field


def test_the_kind_of_a_sheet_follows_from_its_fields():
    assert kind_of({"name", "quantity", "unit"}) == "stock"
    assert kind_of({"name", "spec", "unit"}) == "items"
    assert kind_of({"depot", "tier", "parent"}) == "depots"
    assert kind_of({"shelter", "capacity"}) == "shelters"
    assert kind_of({"note", "spec"}) is None


def test_the_closest_names_rank_containment_before_likeness():
    catalog = ["救灾帐篷（12㎡单帐篷）", "棉帐篷", "折叠床", "救灾棉被"]
    found = closest("救灾帐篷", catalog)
    assert found[0].name == "救灾帐篷（12㎡单帐篷）" and found[0].score > 0.9
    assert "折叠床" not in [c.name for c in found]
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    depots = ["城关镇应急物资储备站", "城南镇应急物资储备站", "县应急物资储备库"]
    found = closest("城关镇", depots)
    assert found[0].name == "城关镇应急物资储备站" and found[0].score > found[1].score
    assert closest("城关镇应急物资储备站", depots)[0].score == 1.0
    assert closest("发电机", depots) == []


def test_every_register_message_code_is_raised_and_every_raised_code_has_a_message():
    import ast
    import re
    from pathlib import Path

    from registers.vocab import ERROR_MESSAGES, PAGE_MESSAGES, english

    package = Path(__file__).resolve().parents[2] / "registers"
    literals = {node.value for path in package.glob("*.py") if path.name not in ("vocab.py", "models.py")
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
                and re.fullmatch(r"(register|sheet|row|import)_[a-z_]+", node.value)}
    assert literals == set(ERROR_MESSAGES) | {code for code in PAGE_MESSAGES if code.startswith("import_")}
    for code, message in ERROR_MESSAGES.items():
        names = set(re.findall(r"%\((\w+)\)s", str(message)))
        assert "%(" not in english(code, {n: "X" for n in names})
