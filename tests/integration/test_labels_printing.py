"""Printing labels through the pages, on SQLite and PostgreSQL: every QR code of a sheet, rendered at
200 dpi by poppler (pdftoppm), decodes with zxing-cpp to its lot's URL in the slot the layout puts it;
the PDF's text holds the Chinese item names; each print is recorded in the lot's history; keepers
print only for the depots they keep."""
import re
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlmodel import Session, select

from accounts.models import User
from common import clock
from labels import sheets
from labels.models import LabelPrint
from tests.conftest import csrf_token, login
from inventory import services
from tests.integration.helpers import ctx, legacy_lot, new_lot, table_counts, text

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in the county
BASE = "http://testserver"
DPI = 200


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


# ------------------------------------------------------------------ reading a PDF as a person and a scanner would


def render(pdf: bytes, tmp_path: Path) -> list[Image.Image]:
    """Every page at 200 dpi, as pdftoppm (poppler: another program than the one that wrote the PDF) draws it."""
    source = tmp_path / "labels.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(source), str(tmp_path / "page")], check=True)
    return [Image.open(p) for p in sorted(tmp_path.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))]


def scanned(pdf: bytes, tmp_path: Path, layout: str) -> list[tuple[int, int, str]]:
    """(page, slot, text) of every QR code found, the slot worked out from where on the page it is."""
    chosen = sheets.LAYOUTS[layout]
    found = []
    for page_number, image in enumerate(render(pdf, tmp_path)):
        expected_px = (round(chosen.page_mm[0] / 25.4 * DPI), round(chosen.page_mm[1] / 25.4 * DPI))
        assert abs(image.size[0] - expected_px[0]) <= 1 and abs(image.size[1] - expected_px[1]) <= 1
        for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
            assert code.ec_level == "H"
            p = code.position
            x_mm = (p.top_left.x + p.bottom_right.x) / 2 / DPI * 25.4
            y_mm = (p.top_left.y + p.bottom_right.y) / 2 / DPI * 25.4
            column = int((x_mm - chosen.margin_mm[0]) // chosen.label_mm[0])
            row = int((y_mm - chosen.margin_mm[1]) // chosen.label_mm[1])
            # the code sits in the left part of its label
            assert chosen.padding_mm < x_mm - chosen.margin_mm[0] - column * chosen.label_mm[0] < chosen.padding_mm + chosen.qr_mm
            found.append((page_number, row * chosen.columns + column, code.text))
    return sorted(found)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(source), "-"], check=True, capture_output=True).stdout
    return re.sub(r"\s+", " ", out.decode("utf-8"))


def pdf_fonts(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "fonts.pdf"
    source.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(source)], check=True, capture_output=True, text=True).stdout


# ------------------------------------------------------------------ helpers


def as_user(client, name):
    assert login(client, name, f"{name}-pass").status_code == 302


def post(client, path, page, **form):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **form})


def print_lot(client, code, **form):
    return post(client, f"/labels/lots/{code}", f"/labels/lots/{code}", **form)


def print_depot_lots(client, depot, **form):
    return post(client, f"/labels/depots/{depot}/lots", f"/labels/depots/{depot}", **form)


def prints(engine) -> list[tuple]:
    with Session(engine) as s:
        rows = s.exec(select(LabelPrint, User).join(User, User.id == LabelPrint.user_id).order_by(LabelPrint.id)).all()
        return [(p.kind, p.lot_id is not None, p.shelf, p.layout, p.copies, u.username, p.printed_at) for p, u in rows]


ITEMS = {"WATER": "瓶装饮用水", "TENT": "救灾帐篷", "PUMP": "排水泵"}


@pytest.fixture
def many_lots(engine, county):
    """26 lots at T1 (more than one A4 sheet), a durable one and an agreement one among them."""
    codes = []
    for i in range(26):
        item = ("WATER", "TENT", "PUMP")[i % 3]
        kw = {"storage_mode": "agreement", "partner": "县农机公司"} if item == "PUMP" else {}
        codes.append(new_lot(engine, county.admin, depot="T1", item=item, quantity=10 + i, code=f"LOT-{i:03d}",
                             expires_on=date(2027, 1, 1) if item == "WATER" else None, **kw))
    return codes


# ------------------------------------------------------------------ every label decodes


def test_every_label_of_a_two_page_a4_sheet_decodes_to_its_lots_url_in_its_slot(client, engine, county, many_lots,
                                                                                tmp_path):
    as_user(client, "keeper")
    r = print_depot_lots(client, "T1", layout="a4-3x8")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["X-Label-Count"] == "26"
    found = scanned(r.data, tmp_path, "a4-3x8")
    assert [(p, s) for p, s, _t in found] == [(0, s) for s in range(24)] + [(1, 0), (1, 1)]
    # row by row in item-code order (PUMP, TENT, WATER), then expiry, then lot code
    item_of = {c: ("WATER", "TENT", "PUMP")[i % 3] for i, c in enumerate(many_lots)}
    expected = sorted(many_lots, key=lambda c: (item_of[c], c))
    assert [t for _p, _s, t in found] == [f"{BASE}/l/{c}" for c in expected]


def test_every_single_label_decodes_one_per_page(client, engine, county, many_lots, tmp_path):
    as_user(client, "admin")
    r = print_depot_lots(client, "T1", layout="single-60x40", category="flood")
    assert r.status_code == 200
    pumps = [c for i, c in enumerate(many_lots) if i % 3 == 2]
    found = scanned(r.data, tmp_path, "single-60x40")
    assert [(p, s) for p, s, _t in found] == [(p, 0) for p in range(len(pumps))]
    assert sorted(t for _p, _s, t in found) == sorted(f"{BASE}/l/{c}" for c in pumps)


def test_a_lots_label_prints_in_copies_from_the_chosen_position_of_a_used_sheet(client, engine, county, many_lots,
                                                                               tmp_path):
    as_user(client, "keeper")
    r = print_lot(client, "LOT-000", layout="a4-3x8", copies="3", start="23")
    assert r.status_code == 200 and r.headers["X-Label-Count"] == "3"
    assert scanned(r.data, tmp_path, "a4-3x8") == [(0, 22, f"{BASE}/l/LOT-000"), (0, 23, f"{BASE}/l/LOT-000"),
                                                   (1, 0, f"{BASE}/l/LOT-000")]


def test_a_lot_code_with_chinese_and_spaces_still_gets_an_ascii_label_that_opens_it(client, engine, county, tmp_path):
    # such codes are refused at entry now (inventory.codes); lots received earlier keep theirs
    code = legacy_lot(engine, county.admin, "帐篷 批次/1", depot="T1", item="TENT")
    as_user(client, "admin")
    from labels import printing  # the page's route cannot carry a slash in a code; the service can
    printed = printing.print_lot(engine, county.admin, code=code, base=BASE, now=NOW, today=date(2026, 7, 1),
                                 layout="single-60x40")
    [(_p, _s, url)] = scanned(printed.pdf, tmp_path, "single-60x40")
    assert url.isascii() and url == f"{BASE}/l/%E5%B8%90%E7%AF%B7%20%E6%89%B9%E6%AC%A1%2F1"
    opened = client.get(url[len(BASE):])
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/lots/%E5%B8%90%E7%AF%B7%20%E6%89%B9%E6%AC%A1/1"


def test_depot_and_shelf_labels_decode_to_d_urls(client, engine, county, tmp_path):
    as_user(client, "keeper")
    r = post(client, "/labels/depots/T1/depot", "/labels/depots/T1", layout="single-60x40")
    assert r.status_code == 200
    (tmp_path / "d").mkdir()
    assert [t for _p, _s, t in scanned(r.data, tmp_path / "d", "single-60x40")] == [f"{BASE}/d/T1"]
    assert "玉龙镇储备站" in pdf_text(r.data, tmp_path) and "乡镇储备站" in pdf_text(r.data, tmp_path)

    r = post(client, "/labels/depots/T1/shelves", "/labels/depots/T1", layout="a4-3x8", shelves="a-01~a-03, B-7")
    assert r.status_code == 200 and r.headers["X-Label-Count"] == "4"
    (tmp_path / "s").mkdir()
    assert [t for _p, _s, t in scanned(r.data, tmp_path / "s", "a4-3x8")] == [
        f"{BASE}/d/T1?shelf={s}" for s in ("A-01", "A-02", "A-03", "B-7")]
    words = pdf_text(r.data, tmp_path)
    assert "货架 A-01" in words and "货架 B-7" in words
    assert [(k, s) for k, _lot, s, *_ in prints(engine)] == [
        ("depot", None), ("shelf", "A-01"), ("shelf", "A-02"), ("shelf", "A-03"), ("shelf", "B-7")]


# ------------------------------------------------------------------ what the label says


def test_the_pdf_text_holds_the_chinese_names_dates_depot_and_storage_mode(client, engine, county, many_lots, tmp_path):
    as_user(client, "admin")
    r = print_depot_lots(client, "T1", layout="a4-3x8")
    words = pdf_text(r.data, tmp_path)
    for name in ITEMS.values():
        assert name in words, name
    for expected in ("LOT-000", "LOT-025", "数量 10 箱", "数量 11 顶", "有效期至 2027年1月1日", "有效期 耐用",
                     "玉龙镇储备站", "实物储备", "协议（代储）储备", "2026年7月1日 打印"):
        assert expected in words, expected
    fonts = pdf_fonts(r.data, tmp_path)
    assert re.search(r"CJK|WenQuanYi|Han Sans", fonts), fonts  # a Chinese font, embedded
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # every font embedded


def test_the_labels_of_a_lot_page_shows_its_qr_code_and_url_in_chinese_and_english(client, engine, county, many_lots):
    as_user(client, "keeper")
    r = client.get("/labels/lots/LOT-000")
    assert r.status_code == 200
    page = text(r)
    for words in ("打印标签", "LOT-000", "瓶装饮用水", f"{BASE}/l/LOT-000", "标签纸", "A4 标签纸", "每个标签打印份数", "标签打印记录"):
        assert words in page, words
    assert "<svg" in r.get_data(as_text=True)
    english = text(client.get("/labels/lots/LOT-000?lang=en"))
    assert "Print labels" in english and "Label print history" in english


def test_the_stock_card_and_the_depot_page_link_to_label_printing(client, engine, county, many_lots):
    as_user(client, "keeper")
    body = client.get("/lots/LOT-000").get_data(as_text=True)
    assert 'href="/labels/lots/LOT-000"' in body and "打印标签" in body
    body = client.get("/depots/T1?category=flood").get_data(as_text=True)
    assert 'href="/labels/depots/T1?category=flood"' in body


# ------------------------------------------------------------------ choosing the lots of a sheet


def test_a_depot_sheet_is_filtered_by_category_or_newly_received_and_the_page_shows_what_matches(
        client, engine, county, many_lots, tmp_path):
    services.receive(engine, ctx(county.admin), quantity=5, new_lot=services.NewLot(
        item="TENT", depot="T1", received_on=date(2026, 6, 25), code="LOT-NEW"))
    as_user(client, "keeper")
    page = client.get("/labels/depots/T1?received_since=2026-06-20")
    assert page.status_code == 200
    assert "1 个批次有库存且符合条件" in text(page) and "LOT-NEW" in text(page)
    r = print_depot_lots(client, "T1", layout="a4-3x8", received_since="2026-06-20")
    assert [t for _p, _s, t in scanned(r.data, tmp_path, "a4-3x8")] == [f"{BASE}/l/LOT-NEW"]
    r = print_depot_lots(client, "T1", layout="a4-3x8", category="living", received_since="2026-06-01")
    assert r.headers["X-Label-Count"] == "19"  # 9 water + 9 tents + the new tent
    assert "8 个批次有库存且符合条件" in text(client.get("/labels/depots/T1?category=flood"))


def test_a_keepers_sheet_with_sub_depots_has_only_the_depots_they_keep(client, engine, county, tmp_path):
    for depot in ("T1", "T1-V1", "T1-V2"):
        new_lot(engine, county.admin, depot=depot, item="TENT", code=f"LOT-{depot}", expires_on=None)
    as_user(client, "keeper")  # keeps T1 and T1-V1, not T1-V2
    r = print_depot_lots(client, "T1", layout="a4-3x8", subtree="1")
    assert sorted(t for _p, _s, t in scanned(r.data, tmp_path, "a4-3x8")) == [f"{BASE}/l/LOT-T1", f"{BASE}/l/LOT-T1-V1"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    as_user(client, "admin")
    assert print_depot_lots(client, "T1", layout="a4-3x8", subtree="1").headers["X-Label-Count"] == "3"
    assert print_depot_lots(client, "T1", layout="a4-3x8").headers["X-Label-Count"] == "1"


def test_an_empty_lot_is_left_off_a_depot_sheet_but_its_own_label_can_be_printed(client, engine, county):
    code = new_lot(engine, county.admin, depot="T2", item="TENT", code="LOT-EMPTY", quantity=2, expires_on=None)
    services.issue(engine, ctx(county.admin), lot=code, quantity=2)
    as_user(client, "keeper2")
    r = print_depot_lots(client, "T2", layout="a4-3x8")
    assert r.status_code == 422 and "nothing to print" in text(r)
    assert "没有符合条件的批次" in text(client.get("/labels/depots/T2"))
    assert print_lot(client, code, layout="a4-3x8").status_code == 200


@pytest.mark.parametrize("form, field", [
    ({"layout": "a5-2x4"}, "layout"), ({"copies": "0"}, "copies"), ({"copies": "many"}, "copies"),
    ({"copies": "241"}, "copies"), ({"start": "25"}, "start"), ({"start": "0"}, "start"),
    ({"category": "snacks"}, "category"), ({"received_since": "last week"}, "received_since"),
])
def test_a_bad_print_choice_gets_a_422_page_naming_the_field_and_records_nothing(client, engine, county, many_lots,
                                                                                form, field):
    as_user(client, "keeper")
    before = table_counts(engine)
    r = print_depot_lots(client, "T1", **{"layout": "a4-3x8", **form})
    assert r.status_code == 422, r.data[:200]
    assert "部分数值不正确" in text(r) and field in text(r)
    assert table_counts(engine) == before


def test_a_sheet_larger_than_one_print_holds_is_refused_with_what_to_do(client, engine, county, many_lots, monkeypatch):
    from labels import printing
    monkeypatch.setattr(printing, "MAX_SHEET_LABELS", 25)
    as_user(client, "admin")
    r = print_depot_lots(client, "T1", layout="a4-3x8")
    assert r.status_code == 422 and "at most 25" in text(r) and "category" in text(r)
    assert print_depot_lots(client, "T1", layout="a4-3x8", category="flood", copies="2").status_code == 200
    assert print_depot_lots(client, "T1", layout="a4-3x8", category="flood", copies="4").status_code == 422
    assert "最多" in text(client.get("/labels/depots/T1"))


def test_the_single_layout_ignores_the_start_position(client, engine, county, many_lots):
    as_user(client, "admin")
    assert print_lot(client, "LOT-001", layout="single-60x40", start="9").status_code == 200


# ------------------------------------------------------------------ the print history


def test_each_print_and_reprint_is_recorded_with_who_when_and_layout_and_shown_on_the_stock_card(
        client, engine, county, many_lots, monkeypatch):
    as_user(client, "keeper")
    assert print_lot(client, "LOT-000", layout="a4-3x8", copies="2").status_code == 200
    later = NOW + timedelta(hours=3)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert print_lot(client, "LOT-000", layout="single-60x40").status_code == 200
    assert print_depot_lots(client, "T1", layout="a4-3x8", category="living").status_code == 200

    rows = [r for r in prints(engine)]
    assert rows[:2] == [("lot", True, None, "a4-3x8", 2, "keeper", NOW),
                        ("lot", True, None, "single-60x40", 1, "keeper", later)]
    assert len(rows) == 2 + 18  # the living lots of T1, each with a row of its own

    card = client.get("/lots/LOT-000")
    page = text(card)
    assert "标签打印记录 3" in page
    body = card.get_data(as_text=True)
    table = re.search(r'<table class="rtable label-prints">.*?</table>', body, flags=re.S).group(0)
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
             for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], flags=re.S)]
    assert cells == [
        "2026年7月1日 13:00 keeper A4 3 × 8 1 补打 · 共 18 个批次的整页",
        "2026年7月1日 13:00 keeper 单张 60 × 40 1 补打",
        "2026年7月1日 10:00 keeper A4 3 × 8 2 首次打印",
    ]
    other = text(client.get("/lots/LOT-003"))
    assert "标签打印记录 1" in other and "首次打印" in other


def test_a_lot_never_printed_says_so_on_its_stock_card(client, engine, county, many_lots):
    as_user(client, "keeper")
    assert "尚未为此批次打印标签。" in text(client.get("/lots/LOT-000"))


# ------------------------------------------------------------------ who may print


def test_a_keeper_may_not_print_for_a_depot_they_do_not_keep_and_nothing_is_recorded(client, engine, county):
    lot = new_lot(engine, county.admin, depot="T2", item="WATER", code="LOT-T2")
    as_user(client, "keeper")
    before = table_counts(engine)
    for r in (client.get(f"/labels/lots/{lot}"), client.get("/labels/depots/T2"),
              post(client, f"/labels/lots/{lot}", "/", layout="a4-3x8"),
              post(client, "/labels/depots/T2/lots", "/", layout="a4-3x8"),
              post(client, "/labels/depots/T2/depot", "/", layout="a4-3x8"),
              post(client, "/labels/depots/T2/shelves", "/", layout="a4-3x8", shelves="A-1")):
        assert r.status_code == 403
        assert "该库点不在您的管理范围内" in text(r)
    assert table_counts(engine) == before


@pytest.mark.parametrize("role", ["admin", "dispatcher", "auditor"])
def test_administrators_dispatchers_and_auditors_print_for_any_depot_and_are_recorded(client, engine, county, role):
    lot = new_lot(engine, county.admin, depot="T2", item="WATER", code="LOT-T2")
    as_user(client, role)
    assert print_lot(client, lot, layout="a4-3x8").status_code == 200
    assert post(client, "/labels/depots/T2/depot", "/labels/depots/T2", layout="a4-3x8").status_code == 200
    assert [(kind, user) for kind, _l, _s, _lay, _c, user, _t in prints(engine)] == [("lot", role), ("depot", role)]


@pytest.mark.parametrize("path", ["/labels/lots/LOT-000", "/labels/depots/T1"])
def test_printing_needs_a_login(client, county, many_lots, path):
    r = client.get(path)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    r = client.post("/labels/lots/LOT-000", data={"csrf_token": csrf_token(client), "layout": "a4-3x8"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_a_print_without_the_forms_security_token_is_refused(client, engine, county, many_lots):
    as_user(client, "admin")
    assert client.post("/labels/lots/LOT-000", data={"layout": "a4-3x8"}).status_code == 400
    assert prints(engine) == []


def test_unknown_lots_and_depots_get_404_pages(client, county):
    as_user(client, "admin")
    for path in ("/labels/lots/NO-SUCH", "/labels/depots/NOPE"):
        r = client.get(path)
        assert r.status_code == 404 and "未找到" in text(r)
    assert post(client, "/labels/lots/NO-SUCH", "/", layout="a4-3x8").status_code == 404


def test_without_a_chinese_font_printing_answers_503_saying_what_to_install(client, engine, county, many_lots,
                                                                          monkeypatch):
    monkeypatch.setattr(sheets, "_installed_chinese_fonts", lambda: ())
    as_user(client, "admin")
    r = print_lot(client, "LOT-000", layout="a4-3x8")
    assert r.status_code == 503 and "fonts-noto-cjk" in text(r)
    assert prints(engine) == []


def test_a_base_url_that_cannot_go_into_a_label_answers_503(app, client, county, many_lots):
    app.config["BASE_URL"] = "depot.example.gov.cn"
    as_user(client, "admin")
    r = print_lot(client, "LOT-000", layout="a4-3x8")
    assert r.status_code == 503 and "BASE_URL" in text(r)
