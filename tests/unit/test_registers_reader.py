"""Register files made the way offices make them — a title row over a merged two-row header, a sheet per depot,
mixed date styles, total and blank rows, Excel date numbers, GBK and UTF-8 CSV — read sheet by sheet, every
accepted and rejected row checked with its row number and column; files that are not readable registers
refused whole with a clear message."""
import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from registers.reader import MAX_FILE_BYTES, OLE_SIGNATURE, RegisterRefused, read_register
from registers.vocab import ERROR_MESSAGES


def xlsx(build) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    build(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def depot_sheet(wb, name, rows):
    ws = wb.create_sheet(name)
    ws.append([f"{name}应急物资储备台账"])  # row 1: a title merged across the table
    ws.merge_cells("A1:H1")
    ws.append(["填报单位：XX县应急管理局", None, None, None, None, None, "单位：顶/床"])  # row 2
    ws.append(["序号", "物资名称", "规格型号", "计量单位", "库存数量", "有效期", None, "备注"])  # row 3
    ws.append([None, None, None, None, None, "生产日期", "有效期至", None])  # row 4
    for col in "ABCDEH":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("F3:G3")
    for row in rows:
        ws.append(row)
    return ws


def county_workbook(wb):
    depot_sheet(wb, "城关镇", [
        [1, "救灾帐篷", "12㎡单帐篷", "顶", 120, "2025-03-01", "2033/3/1", None],  # row 5
        [2, "棉被", "1.5×2m", "床", "1,200", datetime(2024, 11, 5), 46692, None],  # row 6: date cell, Excel number
        [None, None, None, None, None, None, None, None],  # row 7: blank
        [3, "折叠床", None, "张", "1.5", "2025.3.1", "2025年13月1日", None],  # row 8: fraction, bad date
        [4, "应急灯", None, "个", "30 个", "20240601", None, "无有效期"],  # row 9: unit after the number
        [5, "编织袋", None, "条", "", None, None, None],  # row 10: quantity empty
        ["合计", None, None, None, 1350, None, None, None],  # row 11: total
    ])
    depot_sheet(wb, "城南镇", [
        [1, "救灾帐篷", "12㎡单帐篷", "顶", "80 床", None, None, None],  # row 5: unit disagrees
        [None, "小计", None, None, 80, None, None, None],  # row 6: subtotal in the second cell
        [2, "  矿泉水 ", "550ml", "瓶", -5, "2025/13/40", None, None],  # row 7: negative and a bad date
    ])
    wb.create_sheet("说明").append(["本表由各乡镇每月填报"])  # a sheet with no table


def test_a_workbook_with_a_title_a_merged_header_and_a_sheet_per_depot():
    register = read_register(xlsx(county_workbook), "台账.xlsx")
    assert register.format == "xlsx" and [s.name for s in register.sheets] == ["城关镇", "城南镇", "说明"]
    town = register.sheets[0]
    assert (town.kind, town.header_row, town.title) == ("stock", 3, "城关镇应急物资储备台账 填报单位：XX县应急管理局 单位：顶/床")
    assert [(c.header, c.field) for c in town.recognised] == [
        ("物资名称", "name"), ("规格型号", "spec"), ("计量单位", "unit"), ("库存数量", "quantity"),
        ("生产日期", "production_date"), ("有效期至", "expiry"), ("备注", "note")]
    assert [c.header for c in town.ignored] == ["序号"]
    assert [c.parent for c in town.recognised if c.field in ("production_date", "expiry")] == ["有效期", "有效期"]
    assert [(r.row_number, r.values) for r in town.rows] == [
        (5, {"name": "救灾帐篷", "spec": "12㎡单帐篷", "unit": "顶", "quantity": 120,
             "production_date": date(2025, 3, 1), "expiry": date(2033, 3, 1)}),
        (6, {"name": "棉被", "spec": "1.5×2m", "unit": "床", "quantity": 1200,
             "production_date": date(2024, 11, 5), "expiry": date(2027, 11, 1)}),
        (9, {"name": "应急灯", "unit": "个", "quantity": 30, "production_date": date(2024, 6, 1),
             "note": "无有效期"}),
    ]
    assert [(r.row, r.column, r.code, r.params) for r in town.rejected] == [
        (8, "库存数量", "row_quantity_bad", {"value": "1.5"}),
        (8, "有效期至", "row_date_bad", {"value": "2025年13月1日"}),
        (10, "库存数量", "row_value_missing", {"column": "库存数量"}),
    ]
    assert town.rejected[0].sheet == "城关镇" and town.rejected[0].message.startswith("“1.5” is not a quantity")
    assert town.skipped == 2  # the blank row 7 and the total row 11

    other = register.sheets[1]
    assert [(r.row_number, r.values["name"]) for r in other.rows] == []
    assert [(r.row, r.column, r.code) for r in other.rejected] == [
        (5, "库存数量", "row_quantity_unit_disagrees"),
        (7, "库存数量", "row_quantity_bad"), (7, "生产日期", "row_date_bad")]
    assert other.rejected[0].message == "The quantity is written in 床 but the unit column says 顶."
    assert other.skipped == 1
    notes = register.sheets[2]
    assert (notes.kind, notes.header_row, notes.rows, notes.rejected) == (None, None, [], [])


def test_a_shelf_life_in_months_becomes_an_expiry_date_month_end_aware():
    def build(wb):
        ws = wb.create_sheet("Stock")
        ws.append(["Item", "Unit", "Qty", "Production date", "保质期（月）", "Expiry", "Depot", "Lot"])
        ws.append(["Tent", "顶", 10, "2025-01-31", 1, None, "城关镇", "B-1"])  # 2
        ws.append(["Tent", "顶", 10, "2024-01-31", "1个月", "2024-02-29", "城关镇", None])  # 3: agrees
        ws.append(["Tent", "顶", 10, "2024-01-31", 12, "2025-03-01", "城关镇", None])  # 4: disagrees
        ws.append(["Tent", "顶", 10, None, 24, None, "城关镇", None])  # 5: no production date
        ws.append(["Tent", "顶", 10, "2024-01-31", "两年", None, "城关镇", None])  # 6: not months
    sheet = read_register(xlsx(build)).sheets[0]
    assert [(r.row_number, r.values.get("expiry"), r.values["shelf_life_months"]) for r in sheet.rows] == [
        (2, date(2025, 2, 28), 1), (3, date(2024, 2, 29), 1)]
    assert sheet.rows[0].values["depot"] == "城关镇" and sheet.rows[0].values["lot"] == "B-1"
    assert [(r.row, r.column, r.code, r.params) for r in sheet.rejected] == [
        (4, "Expiry", "row_expiry_disagrees", {"given": "2025-03-01", "computed": "2025-01-31"}),
        (5, "保质期（月）", "row_months_without_production", {}),
        (6, "保质期（月）", "row_months_bad", {"value": "两年"})]


def test_depot_item_and_shelter_sheets_are_told_apart_by_their_headers():
    def build(wb):
        wb.create_sheet("库点").append(["名称", "编码", "级别", "上级库点"])
        wb["库点"].append(["城关镇应急物资储备站", None, "乡镇", "县应急物资储备库"])
        wb["库点"].append([None, "T9", "乡镇", None])  # no name
        wb.create_sheet("目录").append(["品名", "物资编码", "规格", "单位", "类别"])
        wb["目录"].append(["救灾帐篷", "ZP-01", "12㎡", "顶", "生活类"])
        wb.create_sheet("避难场所").append(["安置点名称", "容纳人数", "地址", "纬度", "经度"])
        wb["避难场所"].append(["一中操场", "1,500", "城关镇", "30.1", "110.2"])
        wb["避难场所"].append(["二中", "很多", None, None, None])
    depots, items, shelters = read_register(xlsx(build)).sheets
    assert (depots.kind, items.kind, shelters.kind) == ("depots", "items", "shelters")
    assert [r.values for r in depots.rows] == [{"depot": "城关镇应急物资储备站", "tier": "乡镇", "parent": "县应急物资储备库"}]
    assert [(r.row, r.column, r.code) for r in depots.rejected] == [(3, "名称", "row_value_missing")]
    assert items.rows[0].values == {"name": "救灾帐篷", "item_code": "ZP-01", "spec": "12㎡", "unit": "顶",
                                    "category": "生活类"}
    assert shelters.rows[0].values == {"shelter": "一中操场", "capacity": 1500, "address": "城关镇", "lat": "30.1",
                                       "lon": "110.2"}
    assert [(r.row, r.column, r.code) for r in shelters.rejected] == [(3, "容纳人数", "row_number_bad")]


CSV_TEXT = ("XX县应急物资储备台账\r\n"
            "品名,规格,单位,数量,生产日期,失效日期,存放地点,批号\r\n"
            "救灾帐篷,12㎡,顶,120,2025年3月1日,2033.3.1,城关镇,P-01\r\n"
            ",,,,,,,\r\n"
            "棉被,,床,1200.0,45717,,城南镇,\r\n"
            "折叠床,,张,十,2025-3-1,,城关镇,\r\n"
            "合 计,,,1320,,,,\r\n"
            "制表人：张三,,,审核人：李四,,,,\r\n")


@pytest.mark.parametrize("encoding, data", [
    ("gb18030", CSV_TEXT.encode("gbk")),
    ("gb18030", CSV_TEXT.encode("gb18030")),
    ("utf-8", CSV_TEXT.encode("utf-8-sig")),
    ("utf-8", CSV_TEXT.encode("utf-8")),
])
def test_csv_in_gbk_and_utf8_with_or_without_bom_reads_alike(encoding, data):
    register = read_register(data, "城关镇台账.csv")
    assert (register.format, register.encoding) == ("csv", encoding)
    [sheet] = register.sheets
    assert (sheet.name, sheet.kind, sheet.header_row, sheet.title) == ("城关镇台账", "stock", 2, "XX县应急物资储备台账")
    assert [(r.row_number, r.values) for r in sheet.rows] == [
        (3, {"name": "救灾帐篷", "spec": "12㎡", "unit": "顶", "quantity": 120, "production_date": date(2025, 3, 1),
             "expiry": date(2033, 3, 1), "depot": "城关镇", "lot": "P-01"}),
        (5, {"name": "棉被", "unit": "床", "quantity": 1200, "production_date": date(2025, 3, 1), "depot": "城南镇"})]
    assert [(r.sheet, r.row, r.column, r.code, r.params) for r in sheet.rejected] == [
        ("城关镇台账", 6, "数量", "row_quantity_bad", {"value": "十"})]
    assert sheet.skipped == 3  # the blank row, the total row and the signature line


def test_a_tab_separated_export_is_read_too():
    sheet = read_register("物资名称\t数量\n帐篷\t3\n".encode("gb18030"), "a.txt").sheets[0]
    assert [r.values for r in sheet.rows] == [{"name": "帐篷", "quantity": 3}]


@pytest.mark.parametrize("data, code", [
    (b"", "register_empty"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "register_not_spreadsheet"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "register_not_spreadsheet"),
    (b"name,quantity\nabc\x00def,1\n", "register_not_spreadsheet"),
    (OLE_SIGNATURE + b"\x00" * 100 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100, "register_encrypted"),
    (OLE_SIGNATURE + b"\x00" * 100 + "Workbook".encode("utf-16-le"), "register_old_xls"),
    (b"\xff\xfe\xfd,\x80\n", "register_encoding_unknown"),
    ("序号,日期,备注\n1,2025-01-01,无\n".encode("utf-8"), "register_no_table"),
])
def test_a_file_that_is_not_a_readable_register_is_refused_whole(data, code):
    with pytest.raises(RegisterRefused) as e:
        read_register(data, "x.csv")
    assert (e.value.status, e.value.field, e.value.message_code) == (422, "file", code)
    assert e.value.message and code in ERROR_MESSAGES


def test_a_zip_that_is_not_a_workbook_and_a_too_large_file_are_refused():
    out = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(RegisterRefused) as e:
        read_register(out.getvalue(), "x.xlsx")
    assert e.value.message_code == "register_not_spreadsheet"
    with pytest.raises(RegisterRefused) as e:
        read_register(b"a" * (MAX_FILE_BYTES + 1))
    assert e.value.message_code == "register_too_large" and e.value.params["max_mb"] == MAX_FILE_BYTES // 2**20


def test_a_sheet_missing_a_required_column_is_reported_not_read():
    sheet = read_register("数量,单位,规格\n3,顶,12㎡\n".encode(), "q.csv").sheets[0]
    assert sheet.kind == "stock" and sheet.rows == []
    assert [(r.row, r.column, r.code, r.params) for r in sheet.rejected] == [
        (None, None, "sheet_column_missing", {"field": "Item name"})]


def test_row_numbers_count_blank_rows_above_a_table_that_starts_in_column_b():
    def build(wb):
        ws = wb.create_sheet("S")
        ws.cell(3, 2, "物资名称"), ws.cell(3, 3, "数量")
        ws.cell(4, 2, "帐篷"), ws.cell(4, 3, 5)
        ws.cell(6, 2, "棉被"), ws.cell(6, 3, "x")
    sheet = read_register(xlsx(build)).sheets[0]
    assert sheet.header_row == 3 and [(r.row_number, r.values) for r in sheet.rows] == [
        (4, {"name": "帐篷", "quantity": 5})]
    assert [(r.row, r.column, r.code) for r in sheet.rejected] == [(6, "数量", "row_quantity_bad")]
