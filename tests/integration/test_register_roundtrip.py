"""The register round trip (issue #12): the demo county exported (registers.workbook) and imported into an empty
database holds the same depots, items, shelters, lots and balances; imported again into the county it came from
it changes nothing; edited in a spreadsheet, it applies the edits. Shelter sheets as offices write them."""
import io
import json
import shutil

import openpyxl
from sqlmodel import Session, select

from common.db import UnitOfWork
from dispatch.models import Shelter
from inventory import integrity
from inventory.models import Depot, Item, Lot, Movement
from registers import importing, workbook
from tests.conftest import _truncate_all, small_county


def state(engine) -> dict:
    with Session(engine) as s:
        code_of = dict(s.exec(select(Depot.id, Depot.code)).all())
        item_of = dict(s.exec(select(Item.id, Item.code)).all())
        return {
            "depots": {d.code: (d.name, d.tier, code_of.get(d.parent_id), d.address, d.lat, d.lon)
                       for d in s.exec(select(Depot))},
            "items": {i.code: (i.name_zh, i.name_en, i.category, i.unit) for i in s.exec(select(Item))},
            "shelters": {x.code: (x.name, code_of[x.town_id], x.lat, x.lon, x.capacity, x.address)
                         for x in s.exec(select(Shelter))},
            "lots": {lot.code: (item_of[lot.item_id], code_of[lot.depot_id], lot.expires_on, lot.received_on,
                                lot.storage_mode, lot.partner, lot.unit_price_cents, lot.quantity)
                     for lot in s.exec(select(Lot).where(Lot.quantity > 0))},
        }


def _empty_database(db_url, tmp_path, request) -> str:
    if db_url.startswith("sqlite"):
        path = tmp_path / "empty.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    _truncate_all(db_url)
    return db_url


def test_the_demo_county_exported_and_imported_into_an_empty_database_is_the_same(runner, engine, db_url, tmp_path,
                                                                                 request):
    import sqlalchemy as sa

    assert runner.invoke(args=["demo"]).exit_code == 0
    data = workbook.export(engine)
    before = state(engine)
    assert len(before["lots"]) > 1000 and len(before["shelters"]) == 4

    # imported again into the county it came from: nothing changes, every row unchanged, none rejected
    with Session(engine) as s:
        movements = len(s.exec(select(Movement.id)).all())
    admin = _admin(engine)
    again = importing.commit(engine, [("导出.xlsx", data)], admin)
    sheets = {sh["kind"]: sh for sh in again["files"][0]["sheets"]}
    assert {k: (sh["accepted"], len(sh["rejected"]), len(sh["changes"])) for k, sh in sheets.items()} == {
        "depots": (len(before["depots"]), 0, 0), "items": (len(before["items"]), 0, 0),
        "shelters": (4, 0, 0), "stock": (len(before["lots"]), 0, 0)}
    assert sheets["stock"]["unchanged"] == len(before["lots"]) and sheets["stock"]["units"] == 0
    assert state(engine) == before
    with Session(engine) as s:
        assert len(s.exec(select(Movement.id)).all()) == movements

    # into an empty database: the same depots, items, shelters, lots and balances
    engine.dispose()
    empty = sa.create_engine(_empty_database(db_url, tmp_path, request))
    try:
        target = small_county_admin_only(empty)
        report = importing.commit(empty, [("导出.xlsx", data)], target)
        assert all(not sh["rejected"] for sh in report["files"][0]["sheets"])
        after = state(empty)
        assert after == before
        with Session(empty) as s:  # each lot came in through the ledger as one receipt of its balance
            receipts = s.exec(select(Movement.kind, Movement.quantity)).all()
        assert {k for k, _ in receipts} == {"receive"} and len(receipts) == len(before["lots"])
        assert integrity.verify(empty, target)["ok"]  # lots received in bulk: the same hash chain
        _edits_apply(empty, target, data)
    finally:
        empty.dispose()


def small_county_admin_only(engine):
    from accounts.models import User
    from accounts.services import actor_for, add_user

    with UnitOfWork(engine) as uow:
        user = add_user(uow, "admin", "admin-pass", "admin")
        uow.commit()
        return actor_for(uow.session, uow.session.exec(select(User).where(User.id == user.id)).one())


def _admin(engine):
    from accounts.models import User
    from accounts.services import actor_for

    with Session(engine) as s:
        return actor_for(s, s.exec(select(User).where(User.username == "admin")).one())


def _edits_apply(engine, admin, data: bytes) -> None:
    """Edited in Excel: a depot and an item renamed by code, a new shelter without a code, a new stock row, a
    lot's balance changed (refused: a count changes balances)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    depots, items, shelters, stock = wb["储备库"], wb["物资"], wb["避难场所"], wb["库存"]
    assert depots["A1"].value == "库点编码" and depots["A2"].value == "C01"
    depots["B2"] = "县应急物资储备中心"
    assert items["A2"].value
    item_code = items["A2"].value
    items["B2"], items["D2"] = "改名物资", "防汛抗旱"
    shelters.append([None, "新场镇小学避难场所", "新场镇", 29.1, 105.2, 300, None])
    stock.append([None, item_code, None, None, 7, "T05", None, None, None, "实物储备", None, None, "B-7"])
    first = stock.max_row - 1
    held = stock.cell(row=2, column=5).value
    stock.cell(row=2, column=5, value=held + 1)
    out = io.BytesIO()
    wb.save(out)
    report = importing.commit(engine, [("改.xlsx", out.getvalue())], admin)
    sheets = {sh["kind"]: sh for sh in report["files"][0]["sheets"]}
    assert sheets["depots"]["changes"] == [{"kind": "depot", "code": "C01", "changes": {"name": "县应急物资储备中心"}}]
    assert sheets["items"]["changes"] == [{"kind": "item", "code": item_code,
                                           "changes": {"name_zh": "改名物资", "category": "flood"}}]
    assert sheets["shelters"]["creates"]["shelters"] == [{"code": "S-T08-1", "name": "新场镇小学避难场所",
                                                          "town": "T08"}]
    assert [(r["row"], r["column"], r["code"]) for r in sheets["stock"]["rejected"]] == [
        (2, "数量", "import_lot_balance_differs")]
    assert [(lot["item"], lot["depot"], lot["quantity"]) for lot in sheets["stock"]["creates"]["lots"]] == [
        (item_code, "T05", 7)]
    assert first + 1 == stock.max_row
    with Session(engine) as s:
        assert s.exec(select(Depot.name).where(Depot.code == "C01")).one() == "县应急物资储备中心"
        assert s.exec(select(Item.name_zh, Item.category).where(Item.code == item_code)).one() == ("改名物资", "flood")


def shelter_sheet() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "避难场所"
    ws.append(["玉龙镇避难场所一览表"])
    ws.append(["安置点名称", "所属乡镇", "经度", "纬度", "容纳人数", "地址"])
    ws.append(["玉龙镇中学操场", "玉龙镇", 105.41, 29.21, "1,200", "玉龙镇学府路2号"])  # row 3: town by its name
    ws.append(["青山镇体育馆", "T2", 105.31, 29.01, 500, None])  # row 4: town by code
    ws.append(["桃园村广场", "桃园村储备点", 105.4, 29.2, 100, None])  # row 5: a village is no town
    ws.append(["无坐标广场", "T1", None, None, 100, None])  # row 6: no coordinates
    ws.append(["白沙镇广场", "白沙镇", 105.4, 29.2, 100, None])  # row 7: no such town
    ws2 = wb.create_sheet("Shelters")
    ws2.append(["Shelter code", "Shelter", "Town", "Latitude", "Longitude", "Capacity (people)"])
    ws2.append(["S-OWN", "River park", "T1", 29.3, 105.5, 80])  # row 2: its own code
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_shelter_sheets_in_chinese_and_english_and_a_repeat_is_a_no_op(engine, county):
    data = shelter_sheet()
    dry = importing.dry_run(engine, [("避难场所.xlsx", data)])
    zh, en = dry["files"][0]["sheets"]
    assert (zh["kind"], en["kind"]) == ("shelters", "shelters")
    assert zh["creates"]["shelters"] == [{"code": "S-T1-1", "name": "玉龙镇中学操场", "town": "T1"},
                                         {"code": "S-T2-1", "name": "青山镇体育馆", "town": "T2"}]
    assert [(r["row"], r["column"], r["code"]) for r in zh["rejected"]] == [
        (5, "所属乡镇", "import_town_unknown"), (6, "纬度", "import_shelter_place_missing"),
        (7, "所属乡镇", "import_town_unknown")]
    assert en["creates"]["shelters"] == [{"code": "S-OWN", "name": "River park", "town": "T1"}]
    with Session(engine) as s:
        assert s.exec(select(Shelter)).all() == []
    importing.commit(engine, [("避难场所.xlsx", data)], county.admin)
    with Session(engine) as s:
        first = {x.code: (x.name, x.town_id, x.lat, x.lon, x.capacity, x.address) for x in s.exec(select(Shelter))}
    assert first["S-T1-1"][2:] == (29.21, 105.41, 1200, "玉龙镇学府路2号")
    again = importing.commit(engine, [("避难场所.xlsx", data)], county.admin)
    zh, en = again["files"][0]["sheets"]
    assert (zh["unchanged"], zh["creates"]["shelters"], zh["changes"], en["unchanged"]) == (2, [], [], 1)

    # a later file finds a shelter by name, and changes what it says otherwise
    wb = openpyxl.Workbook()
    wb.active.append(["避难场所名称", "容纳人数"])
    wb.active.append(["青山镇体育馆", 650])
    out = io.BytesIO()
    wb.save(out)
    later = importing.commit(engine, [("更新.xlsx", out.getvalue())], county.admin)
    assert later["files"][0]["sheets"][0]["changes"] == [{"kind": "shelter", "code": "S-T2-1",
                                                          "changes": {"capacity": 650}}]
    with Session(engine) as s:
        assert s.exec(select(Shelter.capacity).where(Shelter.code == "S-T2-1")).one() == 650


def _workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_administrators_download_the_template_and_the_export_in_the_page_language(client, engine, county):
    from registers.reader import read_register
    from tests.conftest import login

    assert login(client, "keeper", "keeper-pass").status_code == 302
    assert client.get("/admin/imports/template.xlsx").status_code == 403
    assert client.get("/admin/imports/export.xlsx").status_code == 403
    client.post("/logout", data={})
    client.delete_cookie("session")
    assert login(client, "admin", "admin-pass").status_code == 302
    answer = client.get("/admin/imports/template.xlsx")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    wb = _workbook(answer.data)
    assert wb.sheetnames == ["储备库", "物资", "避难场所", "库存"]
    depots = wb["储备库"]
    assert [c.value for c in depots[1]] == ["库点编码", "库点名称", "级别", "上级库点", "地址", "纬度", "经度"]
    assert "代码" in depots["A1"].comment.text or "编码" in depots["A1"].comment.text  # a note in Chinese
    lists = {str(dv.sqref)[0] + ws.title: dv.formula1 for ws in wb for dv in ws.data_validations.dataValidation}
    assert lists["C储备库"] == '"县级,乡镇,村级"'
    assert "生活类" in lists["D物资"] and "顶" in lists["E物资"] and "箱" in lists["E物资"]
    assert lists["J库存"] == '"实物储备,协议储备,产能储备"'
    english = _workbook(client.get("/admin/imports/template.xlsx?lang=en").data)
    assert english.sheetnames == ["Depots", "Items", "Shelters", "Stock"]
    assert [c.value for c in english["Shelters"][1]][:3] == ["Shelter code", "Shelter", "Town"]
    assert "code" in english["Depots"]["A1"].comment.text
    for data in (answer.data, client.get("/admin/imports/template.xlsx?lang=en").data):
        # every header is a column the import reads: the template reads back as four empty sheets of their kind
        sheets = read_register(data, "t.xlsx").sheets
        assert [sh.kind for sh in sheets] == ["depots", "items", "shelters", "stock"]
        assert all(not sh.ignored and not sh.rejected for sh in sheets)
    exported = client.get("/admin/imports/export.xlsx?lang=en")
    sheets = read_register(exported.data, "e.xlsx").sheets
    assert [len(sh.rows) for sh in sheets] == [6, 3, 0, 0]
    assert sheets[0].rows[1].values["tier"] == "town"


def test_the_command_writes_the_export_and_the_template(runner, engine, county, tmp_path):
    from registers.reader import read_register

    path = tmp_path / "台账.xlsx"
    result = runner.invoke(args=["export-registers", str(path)])
    assert result.exit_code == 0, result.output
    assert [len(sh.rows) for sh in read_register(path.read_bytes(), path.name).sheets] == [6, 3, 0, 0]
    result = runner.invoke(args=["export-registers", "--template", "--lang", "en", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    assert _workbook((tmp_path / "t.xlsx").read_bytes()).sheetnames == ["Depots", "Items", "Shelters", "Stock"]
    shelters = tmp_path / "避难场所.xlsx"
    shelters.write_bytes(shelter_sheet())
    result = runner.invoke(args=["import", "--json", str(shelters)])
    assert result.exit_code == 0, result.output
    sheets = json.loads(result.stdout)["files"][0]["sheets"]
    assert [(sh["kind"], sh["accepted"], len(sh["rejected"])) for sh in sheets] == [("shelters", 2, 3),
                                                                                    ("shelters", 1, 0)]
    result = runner.invoke(args=["import", "--commit", str(shelters)])
    assert result.exit_code == 0, result.output
    assert "+ shelter S-T1-1 玉龙镇中学操场 (T1)" in result.output


def test_lots_received_in_bulk_carry_the_ledger_keys_hash_chain(engine, county):
    data = "物资名称,数量,存放地点,批次编码\r\n救灾帐篷,3,T1,OPEN-1\r\n瓶装饮用水,5,T2,OPEN-2\r\n".encode("utf-8")
    report = importing.commit(engine, [("期初.csv", data)], county.admin)
    assert [lot["code"] for lot in report["files"][0]["sheets"][0]["creates"]["lots"]] == ["OPEN-1", "OPEN-2"]
    result = integrity.verify(engine, county.admin)
    assert result["ok"] and result["lines_checked"] == 2
    with Session(engine) as s:
        lines = s.exec(select(Movement).order_by(Movement.id)).all()
        assert [(m.kind, m.quantity, m.balance_after, m.reference) for m in lines] == [
            ("receive", 3, 3, importing.reference_of(data)[1]), ("receive", 5, 5, importing.reference_of(data)[1])]
        assert all(m.key_id for m in lines)  # signed with the app's ledger key
