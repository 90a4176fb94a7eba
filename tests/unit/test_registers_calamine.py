"""Workbooks are read by calamine (fast) and, where it fails, by openpyxl: both give the same rows — the same cells
from A1, empty ones as None, numbers equal, dates as dates — so the reader sees one table whichever read it."""
from datetime import date, datetime

from registers import reader
from tests.unit.test_registers_reader import county_workbook, xlsx


def _same(a, b) -> bool:
    """Equal, or the same number (1200 / 1200.0), or the same day (openpyxl's midnight datetime / a date)."""
    if isinstance(b, datetime) and not isinstance(a, datetime) and isinstance(a, date):
        return b == datetime.combine(a, datetime.min.time())
    return a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float)) and float(a) == float(b))


def test_calamine_and_openpyxl_read_the_same_rows():
    def build(wb):
        county_workbook(wb)
        ws = wb.create_sheet("日期")
        ws["B3"] = "物资名称"
        ws["C3"] = "有效期至"
        ws["B4"], ws["C4"], ws["D4"] = "棉被", date(2027, 3, 1), datetime(2027, 3, 1, 8, 30)
        ws["B5"], ws["C5"], ws["D5"] = 12, 29.15, True

    data = xlsx(build)
    fast = reader._calamine_tables(data)
    slow = reader._openpyxl_tables(data)
    assert fast is not None and [name for name, _ in fast] == [name for name, _ in slow]
    for (name, a), (_, b) in zip(fast, slow):
        width = max([len(r) for r in a + b] or [0])
        pad = lambda rows: [tuple(r) + (None,) * (width - len(r)) for r in rows]  # noqa: E731
        a, b = pad(a), pad(b)
        while b and all(c is None for c in b[-1]):  # openpyxl may report trailing empty rows
            b.pop()
        while a and all(c is None for c in a[-1]):
            a.pop()
        assert len(a) == len(b), name
        for ra, rb in zip(a, b):
            assert all(_same(x, y) for x, y in zip(ra, rb)), (name, ra, rb)


def test_a_workbook_calamine_cannot_read_goes_to_openpyxl():
    assert reader._calamine_tables(b"PK\x03\x04 not really a zip") is None


def test_a_chart_sheet_is_left_out():
    def build(wb):
        wb.create_sheet("库存").append(["物资名称", "数量"])
        wb.create_chartsheet("图表")

    assert [name for name, _ in reader._calamine_tables(xlsx(build))] == ["库存"]
