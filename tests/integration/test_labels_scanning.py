"""Opening what a label's QR code carries (/l/, /d/, /o/), on SQLite and PostgreSQL: a known code leads
to its page, an unknown one to a clear 404 page, a malformed one to a clear 422 page, never a 500."""
from urllib.parse import parse_qs, urlsplit

import pytest

from labels import payloads
from tests.conftest import login
from tests.integration.helpers import legacy_lot, new_lot, text

BASE = "http://testserver"


@pytest.fixture
def lots(engine, county):
    return {"t1": new_lot(engine, county.admin, depot="T1", item="WATER", code="LOT-A1"),
            "t2": new_lot(engine, county.admin, depot="T2", item="TENT", code="LOT-B1", expires_on=None),
            "odd": legacy_lot(engine, county.admin, "批次 7", depot="T1", item="TENT", expires_on=None)}


def as_keeper(client):
    assert login(client, "keeper", "keeper-pass").status_code == 302


def test_a_lot_label_opens_the_scanning_page_for_a_keeper_and_the_stock_card_for_everyone_else(client, lots):
    as_keeper(client)
    r = client.get("/l/LOT-A1")
    assert r.status_code == 302 and r.headers["Location"] == "/scan?code=LOT-A1"
    assert client.get(r.headers["Location"]).status_code == 200
    client.post("/logout")
    assert login(client, "auditor", "auditor-pass").status_code == 302
    r = client.get("/l/LOT-A1")
    assert r.status_code == 302 and r.headers["Location"] == "/lots/LOT-A1"
    assert client.get(r.headers["Location"]).status_code == 200


def test_a_percent_encoded_code_opens_its_lot(client, lots):
    as_keeper(client)
    url = payloads.lot_url(BASE, lots["odd"])
    assert url.isascii()
    r = client.get(url[len(BASE):])
    location = urlsplit(r.headers["Location"])
    assert r.status_code == 302 and location.path == "/scan" and parse_qs(location.query) == {"code": ["批次 7"]}
    client.post("/logout")
    assert login(client, "admin", "admin-pass").status_code == 302
    r = client.get(url[len(BASE):])
    assert r.status_code == 302 and r.headers["Location"] == "/lots/%E6%89%B9%E6%AC%A1%207"
    assert "批次 7" in text(client.get(r.headers["Location"]))


def test_a_depot_label_opens_the_depot_and_a_shelf_label_carries_its_shelf(client, lots):
    as_keeper(client)
    r = client.get("/d/T1")
    assert r.status_code == 302 and r.headers["Location"] == "/depots/T1"
    r = client.get("/d/T1?shelf=a-03")
    assert r.status_code == 302 and r.headers["Location"] == "/depots/T1?shelf=A-03"
    assert client.get(r.headers["Location"]).status_code == 200


def test_scanning_needs_a_login_and_comes_back_to_the_label_after_it(client, lots):
    r = client.get("/l/LOT-A1")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=%2Fl%2FLOT-A1"


def test_an_unknown_lot_or_depot_code_gets_a_404_page_that_says_so_in_chinese(client, lots):
    as_keeper(client)
    r = client.get("/l/LOT-ZZ")
    assert r.status_code == 404
    assert "没有编码为 LOT-ZZ 的批次" in text(r) and "请核对编码" in text(r) and "返回储备库点" in text(r)
    r = client.get("/d/T9")
    assert r.status_code == 404 and "没有编码为 T9 的库点" in text(r)


def test_the_messages_are_in_english_on_request(client, lots):
    as_keeper(client)
    assert "No lot has the code LOT-ZZ" in text(client.get("/l/LOT-ZZ?lang=en"))
    assert "This is not a code of this system" in text(client.get("/l/" + "L" * 49))


@pytest.mark.parametrize("path, detail", [
    ("/l/" + "L" * 49, "at most 48 characters"),
    ("/d/" + "T" * 33, "at most 32 characters"),
    ("/l/LOT%01A1", "control or invisible"),
    ("/l/LOT%E2%80%8BA1", "control or invisible"),
    ("/l/%20LOT-A1", "begins or ends with a space"),
    ("/d/T1?shelf=A%2003", "not a shelf number"),
    ("/d/T1?shelf=", "shelf number is empty"),
    ("/o/" + "O" * 49, "at most 48 characters"),
])
def test_a_malformed_code_gets_a_422_page_saying_it_is_not_ours(client, lots, path, detail):
    as_keeper(client)
    r = client.get(path)
    assert r.status_code == 422
    page = text(r)
    assert "这不是本系统的编码" in page and "标签可能已损坏" in page and detail in page


def test_a_transfer_order_label_opens_the_order_page_which_says_when_there_is_no_such_order(client, lots):
    as_keeper(client)
    r = client.get("/o/DO-2026-0001")
    assert r.status_code == 302 and r.headers["Location"].endswith("/orders/DO-2026-0001")
    page = client.get(r.headers["Location"])
    assert page.status_code == 404 and "没有调拨单 DO-2026-0001" in text(page)


def test_a_lot_of_a_depot_the_keeper_does_not_keep_gets_the_403_page_with_the_reason(client, lots):
    as_keeper(client)
    r = client.get("/l/LOT-B1")
    assert r.status_code == 403 and "该库点不在您的管理范围内" in text(r)
    assert client.get("/d/T2").status_code == 403


def test_codes_read_back_from_label_urls_open_the_same_pages(client, lots):
    """What payloads builds, the routes open: lot, depot and shelf."""
    as_keeper(client)
    for url, location in ((payloads.lot_url(BASE, "LOT-A1"), "/scan?code=LOT-A1"),
                          (payloads.depot_url(BASE, "T1-V1"), "/depots/T1-V1"),
                          (payloads.shelf_url(BASE, "T1", "B-2"), "/depots/T1?shelf=B-2")):
        r = client.get(url[len(BASE):])
        assert (r.status_code, r.headers["Location"]) == (302, location)
