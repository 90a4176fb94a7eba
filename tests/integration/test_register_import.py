"""Importing registers (issue #12): the dry run, the commit through the ledger, a repeat that creates nothing and
the command ``flask --app app import``. Files are made here as offices make them: an XLSX workbook with a depots,
an items and a stock sheet under title rows, and a GBK CSV stock register of one depot."""
import io
import json
from datetime import date, datetime, timezone

import openpyxl
from sqlmodel import Session, func, select

from inventory.models import Depot, Item, Lot, Movement
from registers import importing
from registers.models import RegisterImport

TODAY = date(2026, 12, 5)
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)


def workbook_bytes() -> bytes:
    wb = openpyxl.Workbook()
    stock = wb.active
    stock.title = "库存台账"  # first in the workbook: its depots and items come from the sheets after it
    stock.append(["某某县应急物资储备台账"])
    stock.append(["物资名称", "规格型号", "计量单位", "数量", "存放地点", "有效期至", "批号"])
    stock.append(["折叠床", "90cm", "张", 20, "城关镇应急物资储备站", "2090-01-01", "B-01"])  # row 3
    stock.append(["棉被", None, "床", 50, "城关村储备点", None, None])  # row 4
    stock.append(["救灾帐篷", None, "顶", "10", "县级储备库", None, None])  # row 5
    stock.append(["帐篷", None, "顶", 5, "县级储备库", None, None])  # row 6: no such item
    stock.append(["棉被", None, "床", "很多", "城关村储备点", None, None])  # row 7: not a quantity
    stock.append(["棉被", None, "床", 3, "城关镇", None, None])  # row 8: no such depot
    stock.append(["合计", None, None, 88, None, None, None])  # skipped
    depots = wb.create_sheet("库点")
    depots.append(["储备库点一览表"])
    depots.append(["库点名称", "级别", "上级库点", "地址"])
    depots.append(["城关镇应急物资储备站", "乡镇", "县级储备库", "城关镇解放路1号"])  # row 3
    depots.append(["城关村储备点", "村级", "城关镇应急物资储备站", None])  # row 4
    depots.append(["错层村储备点", "村级", "县级储备库", None])  # row 5: a village under the county depot
    depots.append(["玉龙镇储备站", "乡镇", "县级储备库", None])  # row 6: already there, unchanged
    items = wb.create_sheet("物资目录")
    items.append(["物资名称", "规格型号", "计量单位", "物资类别"])
    items.append(["折叠床", "90cm", "张", "生活类"])  # row 2
    items.append(["棉被", None, "床", None])  # row 3
    items.append(["手电筒", None, "个", "奇怪类"])  # row 4: no such category
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def gbk_csv() -> bytes:
    lines = ["品名,计量单位,数量,有效期至", "瓶装饮用水,箱,100,2090/6/1", "排水泵,台,2,", "救灾帐篷,件,5,",
             "合计,,107,"]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def _counts(engine) -> dict:
    with Session(engine) as s:
        return {name: s.exec(select(func.count()).select_from(model)).one()
                for name, model in (("depots", Depot), ("items", Item), ("lots", Lot), ("movements", Movement),
                                    ("imports", RegisterImport))}


def _sheet(report: dict, kind: str) -> dict:
    return next(sh for sh in report["files"][0]["sheets"] if sh["kind"] == kind)


def test_dry_run_reports_each_sheet_and_every_rejected_row(engine, county):
    before = _counts(engine)
    report = importing.dry_run(engine, [("台账.xlsx", workbook_bytes())], today=TODAY)
    assert _counts(engine) == before  # nothing written
    depots, items, stock = _sheet(report, "depots"), _sheet(report, "items"), _sheet(report, "stock")
    assert [sh["sheet"] for sh in report["files"][0]["sheets"]] == ["库存台账", "库点", "物资目录"]
    assert (depots["accepted"], depots["unchanged"]) == (3, 1)
    assert [(d["code"], d["name"], d["tier"], d["parent"]) for d in depots["creates"]["depots"]] == [
        ("T3", "城关镇应急物资储备站", "town", "C1"), ("T3-V1", "城关村储备点", "village", "T3")]
    assert [(r["row"], r["column"], r["code"]) for r in depots["rejected"]] == [(5, "上级库点", "import_tier_rule")]
    assert [(i["code"], i["name"], i["unit"]) for i in items["creates"]["items"]] == [
        ("I0001", "折叠床（90cm）", "张"), ("I0002", "棉被", "床")]
    assert [(r["row"], r["column"], r["code"]) for r in items["rejected"]] == [(4, "物资类别", "import_category_unknown")]
    assert (stock["accepted"], stock["units"]) == (3, 80)
    assert [(lot["item"], lot["depot"], lot["quantity"]) for lot in stock["creates"]["lots"]] == [
        ("I0001", "T3", 20), ("I0002", "T3-V1", 50), ("TENT", "C1", 10)]
    rejected = {r["row"]: r for r in stock["rejected"]}
    assert sorted(rejected) == [6, 7, 8]
    assert (rejected[6]["column"], rejected[6]["code"]) == ("物资名称", "import_item_unknown")
    assert rejected[6]["params"]["closest"][0] == "救灾帐篷"
    assert (rejected[7]["column"], rejected[7]["code"]) == ("数量", "row_quantity_bad")
    assert (rejected[8]["column"], rejected[8]["code"]) == ("存放地点", "import_depot_unknown")
    assert rejected[8]["params"]["closest"][0] == "城关镇应急物资储备站"  # a depot the file itself adds


def test_commit_writes_the_accepted_rows_through_the_ledger_and_a_repeat_creates_nothing(engine, county):
    data = workbook_bytes()
    before = _counts(engine)
    report = importing.commit(engine, [("台账.xlsx", data)], county.admin, now=NOW, today=TODAY)
    reference = report["files"][0]["reference"]
    assert reference == importing.reference_of(data)[1] and reference.startswith("IMP-")
    after = _counts(engine)
    assert {k: after[k] - before[k] for k in after} == {"depots": 2, "items": 2, "lots": 3, "movements": 3,
                                                        "imports": 1}
    with Session(engine) as s:
        town = s.exec(select(Depot).where(Depot.code == "T3")).one()
        village = s.exec(select(Depot).where(Depot.code == "T3-V1")).one()
        assert (town.name, town.tier, town.address, village.parent_id) == (
            "城关镇应急物资储备站", "town", "城关镇解放路1号", town.id)
        lots = s.exec(select(Lot).where(Lot.code.startswith(reference))).all()
        assert sorted((lot.code, lot.quantity) for lot in lots) == [
            (f"{reference}-1-3", 20), (f"{reference}-1-4", 50), (f"{reference}-1-5", 10)]
        for lot in lots:
            moves = s.exec(select(Movement).where(Movement.lot_id == lot.id)).all()
            assert [(m.kind, m.reference) for m in moves] == [("receive", reference)]
            assert sum(m.quantity for m in moves) == lot.quantity  # lots = ledger sums
        bed = s.exec(select(Lot).where(Lot.code == f"{reference}-1-3")).one()
        assert bed.expires_on == date(2090, 1, 1)
        note = s.exec(select(Movement.note).where(Movement.lot_id == bed.id)).one()
        assert note == "台账.xlsx · 批号 B-01"
        record = s.exec(select(RegisterImport)).one()
        assert (record.sha256, record.filename, record.imported_by, record.lots, record.units, record.depots,
                record.items, record.rejected) == (importing.reference_of(data)[0], "台账.xlsx", county.admin.user_id,
                                                   3, 80, 2, 2, 5)

    again = importing.commit(engine, [("台账（副本）.xlsx", data)], county.admin, now=NOW, today=TODAY)
    assert {k: v - after[k] for k, v in _counts(engine).items()} == {"depots": 0, "items": 0, "lots": 0,
                                                                       "movements": 0, "imports": 1}
    stock = _sheet(again, "stock")
    assert (stock["accepted"], stock["units"]) == (0, 0)
    assert [(r["row"], r["code"]) for r in stock["rejected"] if r["code"] == "import_row_imported"] == [
        (3, "import_row_imported"), (4, "import_row_imported"), (5, "import_row_imported")]
    assert _sheet(again, "depots")["unchanged"] == 3 and _sheet(again, "items")["unchanged"] == 2


def test_a_keeper_cannot_commit(engine, county):
    import pytest

    from common.errors import DomainError

    before = _counts(engine)
    with pytest.raises(DomainError):
        importing.commit(engine, [("台账.xlsx", workbook_bytes())], county.keeper, now=NOW, today=TODAY)
    assert _counts(engine) == before


def test_command_dry_run_json_commit_and_refusals(app, engine, county, tmp_path):
    path = tmp_path / "玉龙镇库存.csv"
    path.write_bytes(gbk_csv())
    runner = app.test_cli_runner()
    before = _counts(engine)
    result = runner.invoke(args=["import", "--json", "--depot", "玉龙镇储备站", str(path)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert list(answer) == ["files"] and list(answer["files"][0]) == ["file", "sheets"]
    sheet = answer["files"][0]["sheets"][0]
    assert list(sheet) == ["sheet", "kind", "accepted", "units", "rejected"]
    assert (answer["files"][0]["file"], sheet["kind"], sheet["accepted"], sheet["units"]) == (
        "玉龙镇库存.csv", "stock", 2, 102)
    assert [(r["row"], r["column"]) for r in sheet["rejected"]] == [(4, "计量单位")]
    assert sheet["rejected"][0]["reason"] == "该行的单位是件，但救灾帐篷的计量单位是顶。"  # Chinese first
    assert list(sheet["rejected"][0]) == ["row", "column", "reason"]
    assert _counts(engine) == before  # a dry run

    result = runner.invoke(args=["import", "--commit", "--depot", "T1", str(path)])
    assert result.exit_code == 0, result.output
    with Session(engine) as s:
        t1 = s.exec(select(Depot).where(Depot.code == "T1")).one()
        reference = importing.reference_of(gbk_csv())[1]
        lots = s.exec(select(Lot).where(Lot.code.startswith(reference))).all()
        assert {lot.depot_id for lot in lots} == {t1.id} and sum(lot.quantity for lot in lots) == 102
        assert s.exec(select(func.count()).select_from(Movement).where(Movement.reference == reference)).one() == 2

    result = runner.invoke(args=["import", "--commit", "--json", "--depot", "T1", str(path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["files"][0]["sheets"][0]["accepted"] == 0
    assert _counts(engine)["lots"] == before["lots"] + 2

    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    result = runner.invoke(args=["import", "--json", str(picture)])
    assert result.exit_code == 2 and "error:" in result.stderr and result.stdout == ""
    result = runner.invoke(args=["import", "--depot", "没有这个库", str(path)])
    assert result.exit_code == 2 and "没有这个库" in result.stderr


def test_a_stock_register_without_depot_column_needs_a_depot(engine, county):
    report = importing.dry_run(engine, [("库存.csv", gbk_csv())], today=TODAY)
    sheet = report["files"][0]["sheets"][0]
    assert sheet["accepted"] == 0
    assert [(r["row"], r["code"]) for r in sheet["rejected"]] == [
        (2, "import_depot_missing"), (3, "import_depot_missing"), (4, "import_depot_missing")]


def test_every_catalog_category_has_its_register_words():
    from inventory.models import CATEGORIES, STORAGE_MODES, TIERS

    assert set(importing.CATEGORY_WORDS) == set(CATEGORIES)
    assert set(importing.STORAGE_WORDS) == set(STORAGE_MODES) and set(importing.TIER_WORDS) == set(TIERS)


def test_a_lot_already_there_with_other_values_is_rejected(engine, county):
    from inventory import services as stock

    data = gbk_csv()
    reference = importing.reference_of(data)[1]
    ctx = stock.Context(actor=county.admin, now=NOW, today=TODAY, reference="RK-2026-0001")
    stock.receive(engine, ctx, quantity=7, new_lot=stock.NewLot(item="TENT", depot="T1", received_on=TODAY,
                                                                code=f"{reference}-1-2"))
    report = importing.dry_run(engine, [("库存.csv", data)], depot="T1", today=TODAY)
    sheet = report["files"][0]["sheets"][0]
    assert (sheet["accepted"], sheet["units"]) == (1, 2)  # the pumps; the water's lot code is taken
    assert [(r["row"], r["code"]) for r in sheet["rejected"]] == [(2, "import_lot_differs"),
                                                                  (4, "import_unit_differs")]
