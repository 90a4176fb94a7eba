"""QR images and label-sheet layouts, without a database or a PDF: the QR codes decode with an
independent decoder (zxing-cpp) at error-correction level H, the layouts fit their label stock, the
words printed are the Chinese pages' words, and a machine without a Chinese font is told so."""
import re
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
import zxingcpp
from babel.messages.pofile import read_po
from PIL import Image

from inventory import vocab
from labels import payloads, sheets
from labels.sheets import LAYOUTS, DepotLabel, LotLabel

BASE = "https://depot.example.gov.cn"
CATALOG = Path(__file__).resolve().parents[2] / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def svg_to_image(svg: str, scale: int = 4) -> Image.Image:
    """Rasterises the SVG qr_svg writes (a white square and one path of M x y h n v1 h-n z runs)."""
    side = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    image = Image.new("L", (side * scale, side * scale), 255)
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x, y, n = int(x), int(y), int(n)
        image.paste(0, (x * scale, y * scale, (x + n) * scale, (y + 1) * scale))
    return image


def lot_label(code="L000001", **changes) -> LotLabel:
    fields = dict(url=payloads.lot_url(BASE, code), item_name="瓶装饮用水", lot_code=code, quantity=20, unit="箱",
                  expires_on=date(2026, 11, 23), depot_name="玉龙镇储备站", depot_code="T1", storage_mode="physical",
                  printed_on=date(2026, 7, 1))
    return LotLabel(**{**fields, **changes})


# ------------------------------------------------------------------ QR codes


@pytest.mark.parametrize("code", ["L000001", "LOT-WATER-T1-T01-V01", "批次 1/2", "X" * 48])
def test_the_qr_png_decodes_to_the_exact_url_at_error_correction_level_h(code):
    url = payloads.lot_url(BASE, code)
    found = decode(Image.open(BytesIO(sheets.qr_png(url, box_size=4))))
    assert [(b.text, b.ec_level) for b in found] == [(url, "H")]


def test_the_qr_png_has_a_quiet_zone_of_four_modules_and_one_pixel_per_module():
    url = payloads.lot_url(BASE, "L000001")
    image = Image.open(BytesIO(sheets.qr_png(url)))
    side = len(sheets.qr_modules(url)) + 8
    assert image.size == (side, side) and image.mode == "1"
    pixels = image.load()
    assert all(pixels[x, y] for x in range(side) for y in range(4))  # the top four rows are white
    assert not pixels[4, 4]  # the top-left finder pattern starts right after


def test_the_svg_shown_on_the_pages_is_the_same_symbol():
    url = payloads.depot_url(BASE, "T01")
    svg = sheets.qr_svg(url, "8rem")
    assert svg.startswith("<svg") and 'width="8rem"' in svg
    assert [b.text for b in decode(svg_to_image(svg))] == [url]


def test_a_payload_that_is_not_ascii_is_never_put_in_a_qr_code():
    with pytest.raises(ValueError, match="ASCII"):
        sheets.qr_png("https://depot.example.gov.cn/l/批次")


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_modules_print_at_half_a_millimetre_or_more_even_for_the_longest_codes(layout):
    longest = payloads.lot_url("https://yingji.some-county-name.gov.cn", "L" * 48)
    assert sheets.module_mm(longest, LAYOUTS[layout]) >= 0.5
    assert sheets.module_mm(payloads.lot_url(BASE, "L000001"), LAYOUTS[layout]) >= 0.6


# ------------------------------------------------------------------ layouts


def test_the_a4_layout_is_3_by_8_labels_of_70_by_37_mm_filling_the_sheet():
    a4 = LAYOUTS["a4-3x8"]
    assert (a4.page_mm, a4.label_mm, a4.columns, a4.rows, a4.per_page) == ((210, 297), (70, 37), 3, 8, 24)
    positions = [a4.position(slot) for slot in range(24)]
    assert positions[:4] == [(0, 0.5), (70, 0.5), (140, 0.5), (0, 37.5)]
    assert positions[-1] == (140, 259.5)
    assert all(0 <= x and x + 70 <= 210 and 0 <= y and y + 37 <= 297 for x, y in positions)
    assert len(set(positions)) == 24


def test_the_single_layout_is_one_60_by_40_mm_label_per_page():
    single = LAYOUTS["single-60x40"]
    assert (single.page_mm, single.label_mm, single.per_page, single.position(0)) == ((60, 40), (60, 40), 1, (0, 0))


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_qr_code_and_its_padding_fit_inside_the_label(layout):
    chosen = LAYOUTS[layout]
    assert chosen.qr_mm + 2 * chosen.padding_mm <= chosen.label_mm[1]
    assert chosen.label_mm[0] - chosen.qr_mm - 2 * chosen.padding_mm >= 20  # room for the Chinese text beside


def test_a_sheet_places_labels_page_by_page_after_the_positions_left_empty():
    html = sheets.sheet_html([lot_label(f"L{i:06d}") for i in range(30)], LAYOUTS["a4-3x8"], skip=5, font="X")
    pages = html.split('<div class="page">')[1:]
    assert [page.count('class="label"') for page in pages] == [19, 11]
    assert 'style="left: 140mm; top: 37.5mm"' in pages[0]  # slot 6 (the 6th position), the first label
    assert 'style="left: 0mm; top: 0.5mm"' not in pages[0] and 'style="left: 0mm; top: 0.5mm"' in pages[1]
    with pytest.raises(ValueError):
        sheets.sheet_html([lot_label()], LAYOUTS["a4-3x8"], skip=24)


def test_a_lot_label_says_item_code_quantity_expiry_depot_and_storage_mode_in_chinese():
    html = sheets.sheet_html([lot_label(), lot_label("L2", expires_on=None, storage_mode="agreement")],
                             LAYOUTS["a4-3x8"], font="Noto Sans CJK SC")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<body>")[1]))
    assert "瓶装饮用水 L000001 数量 20 箱 有效期至 2026年11月23日 玉龙镇储备站 实物储备 · 2026年7月1日 打印" in text
    assert "L2 数量 20 箱 有效期 耐用 玉龙镇储备站 协议（代储）储备" in text
    assert 'font-family: "Noto Sans CJK SC"' in html


def test_depot_and_shelf_labels_say_the_depot_and_the_shelf():
    html = sheets.sheet_html([DepotLabel(payloads.depot_url(BASE, "T1"), "玉龙镇储备站", "T1", "town"),
                              DepotLabel(payloads.shelf_url(BASE, "T1", "A-03"), "玉龙镇储备站", "T1", "town", "A-03")],
                             LAYOUTS["single-60x40"], font="X")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<body>")[1]))
    assert "玉龙镇储备站 T1 乡镇储备站" in text
    assert "货架 A-03 玉龙镇储备站 T1 · A-03" in text


def test_dates_are_written_the_chinese_way_and_no_expiry_is_durable():
    assert sheets.expiry_text(date(2026, 11, 23)) == "2026年11月23日"
    assert sheets.expiry_text(date(2027, 1, 5)) == "2027年1月5日"
    assert sheets.expiry_text(None) == "耐用"


def test_labels_use_the_words_of_the_chinese_pages():
    with open(CATALOG, "rb") as f:
        catalog = read_po(f, locale="zh_Hans_CN")
    zh = {m.id: m.string for m in catalog if m.id}
    assert sheets.STORAGE_MODES_ZH == {code: zh[str(word)] for code, word in vocab.STORAGE_MODES.items()}
    assert sheets.TIERS_ZH == {code: zh[str(word)] for code, word in vocab.TIERS.items()}
    assert zh["Durable"] == sheets.expiry_text(None)


# ------------------------------------------------------------------ the Chinese font


def test_without_a_chinese_font_printing_stops_saying_which_package_to_install(monkeypatch):
    monkeypatch.setattr(sheets, "_installed_chinese_fonts", lambda: ())
    with pytest.raises(sheets.NoChineseFont, match="apt-get install fonts-noto-cjk") as caught:
        sheets.chinese_font()
    assert caught.value.status == 503
    with pytest.raises(sheets.NoChineseFont):
        sheets.sheet_pdf([lot_label()])


def test_the_preferred_chinese_font_is_chosen_else_any_that_covers_chinese(monkeypatch):
    monkeypatch.setattr(sheets, "_installed_chinese_fonts", lambda: ("AR PL UKai CN", "WenQuanYi Micro Hei"))
    assert sheets.chinese_font() == "WenQuanYi Micro Hei"
    monkeypatch.setattr(sheets, "_installed_chinese_fonts", lambda: ("AR PL UKai CN",))
    assert sheets.chinese_font() == "AR PL UKai CN"


def test_this_machine_has_a_chinese_font_for_the_labels():
    assert sheets.chinese_font() in sheets._installed_chinese_fonts()
