"""The Chinese interface is Chinese throughout (issue 11): the main pages of the demo county, seen by each role,
show no English words in their visible text (and titles, labels, placeholders) except codes, units and names
that are written in Latin letters in Chinese too. The allow-list below is the whole of it; a new English word on
a page fails here."""
import re
from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest
from sqlmodel import Session, select

from dispatch import incidents, planning
from inventory.models import Lot
from tests.conftest import login

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)

# Words in Latin letters a Chinese page may show, and why.
ALLOWED = {
    "ReliefDepot", "English",  # the product's name; the language switch names the other language in it
    "API", "CSV", "XLSX", "PDF", "QR", "GBK", "UTF", "JSON",  # formats and interfaces, written so in Chinese too
    "Excel", "WPS",  # the spreadsheet programs an export is chosen for (GBK（旧版 Excel / WPS）)
    "admin", "dispatcher", "keeper", "keeper2", "auditor",  # the demo accounts' user names
    "kg", "ml", "m", "L", "h", "km",  # units of measure (物资名 瓶装饮用水（550ml×24）, 重量 kg)
    "I", "II", "III", "IV",  # response levels (I–IV级)
    "DEMO", "BS", "ROT", "DB", "SW",  # reference prefixes (DEMO-001, BS-1 write-off requests, ROT- tasks)
    "site", "people",  # the column names a sites CSV file must have (列为 site,people): typed as they are
}
# Codes: item codes (LV-0101), depots (C01, T01-V01), lots, shelves, orders — capitals and digits.
# Ledger seals and hashes: lowercase hexadecimal.
CODE = re.compile(r"^[A-Z]{1,4}$|^[A-Z0-9-]*\d[A-Z0-9-]*$|^[0-9a-f]*\d[0-9a-f]*$")

PAGES = {
    "admin": ["/", "/admin/imports", "/admin/import-names", "/depots/C01", "/depots/T01", "/items", "/write-offs", "/incidents", "/admin/norms",
              "/admin/levels", "/admin/settings", "/audit/", "/audit/expiry", "/audit/rotation", "/audit/sufficiency",
              "/audit/write-offs", "/orders", "/counts", "/transfer-requests", "/account/tokens",
              "/admin/vehicles", "/admin/vehicles/鲁H6A580"],
    "dispatcher": ["/", "/incidents", "/incidents/new", "/orders"],
    "keeper": ["/", "/depots/T01", "/scan", "/write-offs", "/write-offs/new", "/counts", "/orders", "/labels/depots/T01"],
    "auditor": ["/", "/audit/", "/audit/ledger", "/audit/expiry", "/audit/sufficiency", "/audit/integrity",
                "/security-log"],
}
PASSWORDS = {"admin": "demo-admin-2026", "dispatcher": "demo-dispatch-2026", "keeper": "demo-keeper-2026",
             "auditor": "demo-audit-2026"}


class VisibleText(HTMLParser):
    """The text a reader sees or hears: text outside script/style/code, and the titles, labels and placeholders."""

    HIDDEN = {"script", "style", "code", "pre", "template"}
    SHOWN = ("title", "placeholder", "aria-label", "alt", "data-label", "value")

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        attrs = dict(attrs)
        for name in self.SHOWN:
            if name == "value" and (tag != "input" or attrs.get("type") not in ("submit", "button")):
                continue
            if attrs.get(name):
                self.parts.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    shown = re.sub(r"https?://\S+", " ", " ".join(parser.parts))  # addresses (a label's URL) are codes
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9'’]*", shown))
    return {w for w in words if w not in ALLOWED and not CODE.match(w)}


@pytest.fixture
def demo(app, runner, engine):
    app.config["DEMO"] = True  # served as `make run` serves the demo: its accounts log in with their demo passwords
    assert runner.invoke(args=["demo"]).exit_code == 0
    from accounts.models import User
    from common.actor import Actor

    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "dispatcher")).one()
        lot = s.exec(select(Lot.code).where(Lot.quantity > 0).order_by(Lot.code)).first()
    dispatcher = Actor(user.id, user.username, user.role)
    incident = incidents.declare(engine, dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=NOW,
                                 sites=[{"site": "S-T01-1", "people": 2600}, {"site": "T02-V01", "people": 400}])
    planning.plan_incident(engine, dispatcher, incident, NOW, "Asia/Shanghai")
    return {"incident": incident, "lot": lot}


def test_the_chinese_pages_show_no_english_words_for_any_role(client, demo):
    found = {}
    for role, pages in PAGES.items():
        client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
        client._cookies.clear() if hasattr(client, "_cookies") else None
        assert login(client, role, PASSWORDS[role]).status_code == 302
        extra = [f"/lots/{demo['lot']}", f"/incidents/{demo['incident']}", f"/audit/stock-card?lot={demo['lot']}",
                 f"/labels/lots/{demo['lot']}", f"/incidents/{demo['incident']}/routes"] if role == "admin" else []
        for path in pages + extra:
            r = client.get(path + ("&" if "?" in path else "?") + "lang=zh_Hans_CN")
            assert r.status_code == 200, (role, path, r.status_code)
            for word in english_words(r.get_data(as_text=True)):
                found.setdefault(word, []).append(f"{role} {path}")
    assert found == {}


def test_the_check_finds_english_and_passes_codes():
    assert english_words("<p>已过期 145 天 · LV-0101 · T01-V01 · ReliefDepot · http://x.cn/l/L1</p>") == set()
    assert english_words('<p title="Relief tent">救灾帐篷</p><script>var x = "hidden";</script>') == {"Relief", "tent"}
    assert english_words("<td>expired 3 days ago</td>") == {"expired", "days", "ago"}


def test_errors_of_the_server_and_of_shelf_labels_are_said_in_chinese(client, county):
    from tests.conftest import csrf_token

    assert login(client, "admin", "admin-pass").status_code == 302
    missing = client.get("/no-such-page?lang=zh_Hans_CN")
    assert missing.status_code == 404 and "没有这个页面或记录" in missing.get_data(as_text=True)
    assert english_words(missing.get_data(as_text=True)) == set()
    token = csrf_token(client, "/labels/depots/T1")
    r = client.post("/labels/depots/T1/shelves", data={"shelves": "A-09~A-01", "csrf_token": token})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "范围 A-09~A-01 是递减的：请把较小的编号写在前面。" in page and english_words(page) == set()
    r = client.post("/labels/depots/T1/shelves", data={"shelves": "A-01", "csrf_token": "stale"})
    assert r.status_code == 400 and "表单的安全令牌缺失或已过期" in r.get_data(as_text=True)
    english = client.post("/labels/depots/T1/shelves?lang=en", data={"shelves": "a--1", "csrf_token": token})
    assert english.status_code == 422 and "is not a shelf number" in english.get_data(as_text=True)


def test_the_form_library_speaks_the_page_language(client, county):
    from tests.conftest import csrf_token

    r = client.post("/login?lang=zh_Hans_CN", data={"username": "", "password": "", "csrf_token": csrf_token(client)})
    assert r.status_code == 422 and "该字段是必填字段。" in r.get_data(as_text=True)
    assert "This field is required" not in r.get_data(as_text=True)
    r = client.post("/login?lang=en", data={"username": "", "password": "", "csrf_token": csrf_token(client)})
    assert "This field is required." in r.get_data(as_text=True)
