"""QR payloads: ASCII URLs a phone camera opens, built from the configured base URL, read back exactly."""
import pytest
from hypothesis import given, strategies as st

from labels import payloads
from labels.payloads import InvalidCode, Scanned

BASE = "https://depot.example.gov.cn"


def test_a_lot_label_carries_the_base_url_then_l_then_the_code():
    assert payloads.lot_url(BASE, "L000123") == "https://depot.example.gov.cn/l/L000123"


def test_depot_shelf_and_order_labels_use_d_and_o():
    assert payloads.depot_url(BASE, "T05-V12") == "https://depot.example.gov.cn/d/T05-V12"
    assert payloads.shelf_url(BASE, "T05", "a-03") == "https://depot.example.gov.cn/d/T05?shelf=A-03"
    assert payloads.order_url(BASE, "DO-2026-0001") == "https://depot.example.gov.cn/o/DO-2026-0001"


def test_the_base_url_comes_as_configured_less_a_trailing_slash_and_may_have_a_path():
    assert payloads.lot_url("http://127.0.0.1:8000/", "L1") == "http://127.0.0.1:8000/l/L1"
    assert payloads.lot_url("https://gov.example.cn/reliefdepot/", "L1") == "https://gov.example.cn/reliefdepot/l/L1"
    assert payloads.lot_url("HTTPS://Depot.Example.GOV.cn", "L1") == "https://depot.example.gov.cn/l/L1"


def test_a_chinese_host_name_in_the_base_url_is_written_in_punycode():
    url = payloads.lot_url("https://应急.中国/库", "L1")
    assert url.isascii()
    assert url == "https://xn--extu8a.xn--fiqs8s/%E5%BA%93/l/L1"


@pytest.mark.parametrize("base", ["", "depot.example.gov.cn", "ftp://depot.example.gov.cn", "https://",
                                  "https://depot.example.gov.cn/?a=1", "https://depot.example.gov.cn/#x"])
def test_a_base_url_a_phone_could_not_open_is_refused_with_the_reason(base):
    with pytest.raises(ValueError, match="BASE_URL"):
        payloads.normalise_base(base)


def test_codes_made_by_the_app_go_into_the_url_as_they_are():
    for code in ("L000001", "L3F9A0C21B7", "LOT-WATER-T1", "T01-V01", "A.b_c~d"):
        assert payloads.is_plain_code(code)
        assert payloads.lot_url(BASE, code).endswith("/l/" + code)


def test_any_other_code_is_percent_encoded_so_the_payload_stays_ascii():
    assert payloads.lot_url(BASE, "批次 1/2") == f"{BASE}/l/%E6%89%B9%E6%AC%A1%201%2F2"
    assert not payloads.is_plain_code("批次 1/2")


printable_codes = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")),
                          min_size=1, max_size=48)


@given(code=printable_codes)
def test_every_lot_url_is_ascii_and_url_safe_and_reads_back_to_its_code(code):
    url = payloads.lot_url(BASE, code)
    assert url.isascii()
    path = url[len(BASE):]
    assert all(ch.isalnum() or ch in "/-._~%" for ch in path), url
    assert payloads.parse_url(url, BASE) == Scanned("lot", code)


@given(depot=printable_codes.filter(lambda c: len(c) <= 32), shelf=st.from_regex(r"[A-Z0-9]{1,4}(-[A-Z0-9]{1,3}){0,2}",
                                                                                 fullmatch=True))
def test_every_shelf_url_reads_back_to_its_depot_and_shelf(depot, shelf):
    url = payloads.shelf_url(BASE, depot, shelf)
    assert url.isascii()
    assert payloads.parse_url(url, BASE) == Scanned("depot", depot, shelf)


@pytest.mark.parametrize("code, kind, reason", [
    ("", "lot", "empty"),
    ("L" * 49, "lot", "at most 48"),
    ("T" * 33, "depot", "at most 32"),
    (" L1", "lot", "space"),
    ("L1\n", "lot", "space"),
    ("L\x001", "lot", "control or invisible"),
    ("L\u200b1", "lot", "control or invisible"),
])
def test_a_code_that_cannot_be_ours_is_refused_with_the_reason(code, kind, reason):
    with pytest.raises(InvalidCode, match=reason) as caught:
        payloads.check_code(code, kind)
    assert caught.value.status == 422


def test_a_shelf_number_is_letters_and_digits_joined_by_hyphens_upper_cased():
    assert payloads.check_shelf(" a-03 ") == "A-03"
    assert payloads.check_shelf("B2-01-4") == "B2-01-4"
    for bad in ("", "A 03", "A--03", "-A", "A-", "货架1", "A" * 17, "A/03"):
        with pytest.raises(InvalidCode):
            payloads.check_shelf(bad)


def test_shelves_are_typed_as_a_list_with_ranges_keeping_the_number_width():
    assert payloads.parse_shelves("A-01~A-03, b-7，C-1、A-02") == ["A-01", "A-02", "A-03", "B-7", "C-1"]
    assert payloads.parse_shelves("A-08..A-10\nB") == ["A-08", "A-09", "A-10", "B"]
    assert payloads.parse_shelves("R9~R11") == ["R9", "R10", "R11"]


@pytest.mark.parametrize("text, reason", [
    ("", "at least one"), ("A-03~A-01", "counts down"), ("A-01~B-03", "last number"),
    ("A~B", "last number"), ("A-1~A-2~A-3", "not a shelf range"), ("A-1~A-999", "at most 480"),
])
def test_a_bad_shelf_list_says_what_is_wrong(text, reason):
    with pytest.raises(InvalidCode, match=reason):
        payloads.parse_shelves(text)


def test_a_url_of_another_installation_or_not_a_label_is_refused():
    with pytest.raises(InvalidCode, match="not a label of this installation"):
        payloads.parse_url("https://other.example.cn/l/L1", BASE)
    for text in ("https://depot.example.gov.cn/lots/L1", "https://depot.example.gov.cn/x/L1", "L1",
                 "https://depot.example.gov.cn/l/L1?shelf=A", "救灾帐篷", ""):
        with pytest.raises(InvalidCode):
            payloads.parse_url(text, BASE)


def test_a_bare_path_reads_without_a_base():
    assert payloads.parse_url("/o/DO-1") == Scanned("order", "DO-1")
    assert payloads.parse_url("/d/T01?shelf=a-1") == Scanned("depot", "T01", "A-1")
