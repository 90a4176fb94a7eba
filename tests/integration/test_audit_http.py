"""The audit pages and API: who may read what, bad filters named, rotation tasks through the ledger, an
auditor who can read and export everything and change nothing, and the ledger-integrity page."""
import re

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from audit import exports
from audit.models import RotationTask
from common import clock
from inventory.models import Movement
from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import ledger_lines, lot_quantity, snapshot, table_rows, text
from tests.integration.test_audit_reports import NOW, audit_county  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("audit_county")


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def as_user(client, name):
    assert login(client, name, f"{name}-pass").status_code == 302


# ------------------------------------------------------------------ pages


@pytest.mark.parametrize("path, words", [
    ("/audit/", ["报表", "临期过期报表", "轮换计划", "储备达标", "库存卡", "出入库台账", "报损核销登记", "台账完整性"]),
    ("/audit/expiry", ["临期过期报表", "L-W-OLD", "30 天内", "未来 12 个月每月到期数量", "导出"]),
    ("/audit/rotation", ["轮换计划", "L-W-60", "调往使用更多的库点", "青山镇储备站", "轮换任务"]),
    ("/audit/sufficiency", ["储备达标", "县级目标", "三大件", "缺口", "覆盖率", "已达标", "达到 10%", "配齐装备的乡镇",
                            "产能储备和更早到期的批次不计入", "III 级响应时乡镇之间不相互支援"]),
    ("/audit/stock-card?lot=L-W-45", ["库存卡", "FF-1", "期末结存"]),
    ("/audit/ledger", ["出入库台账", "16 条记录", "本库点该物资结存"]),
    ("/audit/write-offs", ["报损核销登记", "过期", "核销", "申请人", "审批人", "审批文号", "应急〔2026〕7号"]),
])
def test_the_report_pages_show_the_reports_in_chinese(client, audit_county, path, words):
    as_user(client, "auditor")
    r = client.get(path)
    assert r.status_code == 200
    page = text(r)
    for w in words:
        assert w in page, w


def test_the_expiry_page_draws_the_timeline_as_inline_svg_and_links_the_exports(client, audit_county):
    as_user(client, "auditor")
    body = client.get("/audit/expiry?depot=T1&subtree=1").get_data(as_text=True)
    svg = re.search(r"<svg .*?</svg>", body, flags=re.S).group(0)
    assert svg.count('class="bar"') == 3  # July and August (living), September (flood)
    assert "生活类" in svg and "2026年07月" in svg
    for fmt in ("csv", "xlsx", "pdf"):
        assert f'href="/audit/expiry.{fmt}?depot=T1&amp;subtree=1"' in body
    rows = table_rows(client.get("/audit/expiry?depot=T1&subtree=1"), "report-expiry-1")
    assert [row["批次"] for row in rows] == ["L-W-OLD", "L-W-20", "L-W-60", "L-J-80"]


def test_the_report_pages_are_in_english_on_request(client, audit_county):
    as_user(client, "auditor")
    page = text(client.get("/audit/rotation?lang=en"))
    assert "Rotation plan" in page and "Suggested action" in page and "Donate" in page
    # the item's English name and unit, dates and days to expiry worded in English
    assert "Bottled water" in page and "瓶装饮用水" not in page and "cases" in page
    assert "21 Jul 2026" in page and "20 days left" in page


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(client, audit_county):
    for path in ("/audit/", "/audit/expiry", "/audit/expiry.csv", "/audit/integrity"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), path
    assert client.get("/api/v1/reports/expiry").status_code == 401


def test_a_keeper_reads_the_reports_of_their_own_depots_only(client, audit_county):
    as_user(client, "keeper")
    rows = table_rows(client.get("/audit/expiry"), "report-expiry-1")
    assert [row["批次"] for row in rows] == ["L-W-OLD", "L-W-20", "L-W-60", "L-J-80"]
    for path in ("/audit/expiry?depot=T2", "/audit/ledger.csv?depot=T2", "/audit/stock-card?lot=L-W-45",
                 "/audit/integrity"):
        assert client.get(path).status_code == 403, path
    r = client.get("/api/v1/reports/write-offs", headers=bearer(audit_county, "keeper"))
    assert [row["lot"] for row in r.get_json()["rows"]] == ["L-W-OLD"]


@pytest.mark.parametrize("query, field", [
    ("expiry?start=2026-07-05&end=2026-07-01", "end"),
    ("expiry?depot=NOPE", "depot"),
    ("expiry?windows=0,30", "windows"),
    ("expiry?windows=soon", "windows"),
    ("ledger?start=yesterday", "start"),
    ("write-offs?tier=city", "tier"),
    ("sufficiency?share=0", "share"),
    ("sufficiency?people=-3", "people"),
    ("stock-card?depot=C1", "item"),
    ("expiry?subtree=maybe", "subtree"),
])
def test_a_bad_filter_gets_a_422_naming_the_field(client, audit_county, query, field):
    api = client.get(f"/api/v1/reports/{query}", headers=bearer(audit_county, "auditor"))
    assert api.status_code == 422 and api.get_json()["error"]["field"] == field
    export = client.get(f"/api/v1/reports/{query}&format=csv", headers=bearer(audit_county, "auditor"))
    assert export.status_code == 422 and export.get_json()["error"]["field"] == field
    as_user(client, "auditor")
    name, _, rest = query.partition("?")
    page = client.get(f"/audit/{name}?{rest}")
    assert page.status_code == 422 and field in text(page) and "部分数值不正确" in text(page)


def test_an_unknown_format_or_report_is_refused(client, audit_county):
    headers = bearer(audit_county, "auditor")
    r = client.get("/api/v1/reports/expiry?format=doc", headers=headers)
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "format"
    assert client.get("/api/v1/reports/gossip", headers=headers).status_code == 404


def test_a_format_is_named_exactly_as_documented_or_refused(client, audit_county):
    headers = bearer(audit_county, "auditor")
    for query in ("format=", "format=CSV", "format=%20csv"):
        r = client.get(f"/api/v1/reports/expiry?{query}", headers=headers)
        assert r.status_code == 422 and r.get_json()["error"]["field"] == "format", query
    assert client.get("/api/v1/reports/expiry?format=json", headers=headers).status_code == 200


def test_a_pdf_is_refused_clearly_when_no_chinese_font_is_installed(client, audit_county, monkeypatch):
    from audit import pdf

    monkeypatch.setattr(pdf, "_font", [None])
    r = client.get("/api/v1/reports/expiry?format=pdf", headers=bearer(audit_county, "auditor"))
    assert r.status_code == 503 and "fonts-wqy-microhei" in r.get_json()["error"]["message"]


def test_a_pdf_of_too_many_lines_is_refused_pointing_to_csv(client, audit_county, monkeypatch):
    monkeypatch.setitem(client.application.config, "PDF_MAX_ROWS", 5)
    r = client.get("/api/v1/reports/ledger?format=pdf", headers=bearer(audit_county, "auditor"))
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "format" and "CSV" in r.get_json()["error"]["message"]
    assert client.get("/api/v1/reports/ledger?format=csv", headers=bearer(audit_county, "auditor")).status_code == 200


# ------------------------------------------------------------------ rotation tasks


def test_a_keeper_proposes_accepts_and_completes_a_donation_that_leaves_through_the_ledger(client, engine,
                                                                                              audit_county):
    headers = bearer(audit_county, "keeper")
    proposed = client.post("/api/v1/rotation/tasks", json={"lot": "L-W-20"}, headers=headers)
    assert proposed.status_code == 201
    task = proposed.get_json()
    assert (task["action"], task["quantity"], task["status"], task["proposed_by"]) == ("donate", 12, "proposed", "keeper")
    ref = task["reference"]
    assert client.post(f"/api/v1/rotation/tasks/{task['id']}/done", headers=headers).status_code == 409
    accepted = client.post(f"/api/v1/rotation/tasks/{task['id']}/accept", headers=headers).get_json()
    assert (accepted["status"], accepted["accepted_by"]) == ("accepted", "keeper")
    done = client.post(f"/api/v1/rotation/tasks/{task['id']}/done", headers=headers)
    assert done.status_code == 200
    assert (done.get_json()["status"], done.get_json()["done_quantity"]) == ("done", 12)
    lines = [m for m in ledger_lines(engine, "L-W-20") if m.reference == ref]
    assert [(m.kind, m.quantity, m.balance_after) for m in lines] == [("issue", -12, 0)]
    assert lot_quantity(engine, "L-W-20") == 0
    assert client.post(f"/api/v1/rotation/tasks/{task['id']}/done", headers=headers).status_code == 409
    rotation = client.get("/api/v1/reports/rotation", headers=headers).get_json()
    assert "L-W-20" not in [r["lot"] for r in rotation["rows"]]
    ledger = client.get(f"/api/v1/ledger?reference={ref}", headers=headers).get_json()
    assert ledger["total"] == 1


def test_a_move_task_transfers_the_units_with_the_task_as_reference(client, engine, audit_county):
    headers = bearer(audit_county, "admin")
    task = client.post("/api/v1/rotation/tasks", json={"lot": "L-W-60"}, headers=headers).get_json()
    assert (task["action"], task["to_depot"]) == ("move", "T2")
    client.post(f"/api/v1/rotation/tasks/{task['id']}/accept", headers=headers)
    done = client.post(f"/api/v1/rotation/tasks/{task['id']}/done", headers=headers).get_json()
    assert [(e["kind"], e["depot"], e["quantity"], e["reference"]) for e in done["entries"]] == [
        ("transfer_out", "T1-V1", -8, task["reference"]), ("transfer_in", "T2", 8, task["reference"])]


def test_a_refused_stock_change_leaves_the_task_accepted_and_the_ledger_unchanged(client, engine, audit_county):
    # the keeper keeps T1-V1 but not T2, where the suggested move would take the units
    headers = bearer(audit_county, "keeper")
    task = client.post("/api/v1/rotation/tasks", json={"lot": "L-W-60"}, headers=headers).get_json()
    client.post(f"/api/v1/rotation/tasks/{task['id']}/accept", headers=headers)
    before = snapshot(engine)
    r = client.post(f"/api/v1/rotation/tasks/{task['id']}/done", headers=headers)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_your_depot"
    assert snapshot(engine) == before
    with Session(engine) as s:
        assert s.get(RotationTask, task["id"]).status == "accepted"


def test_marking_a_task_done_is_one_transaction_with_its_ledger_lines(engine, audit_county, monkeypatch):
    """Should anything fail after the stock change was written, neither the lines nor the task's new
    status are kept: the task stays accepted and can be marked done again."""
    from audit import rotation
    from inventory import services

    keeper = audit_county.keeper
    task = rotation.propose(engine, keeper, NOW, NOW.date(), lot="L-W-20")
    rotation.accept(engine, keeper, NOW, task["id"])
    before = snapshot(engine)
    real_issue_in = services.issue_in

    def issue_then_fail(*args, **kwargs):
        real_issue_in(*args, **kwargs)
        raise RuntimeError("the machine stops here")

    monkeypatch.setattr(services, "issue_in", issue_then_fail)
    with pytest.raises(RuntimeError):
        rotation.complete(engine, keeper, NOW, NOW.date(), task["id"])
    assert snapshot(engine) == before
    with Session(engine) as s:
        assert s.get(RotationTask, task["id"]).status == "accepted"
    monkeypatch.setattr(services, "issue_in", real_issue_in)
    done = rotation.complete(engine, keeper, NOW, NOW.date(), task["id"])
    assert done["status"] == "done" and [e["quantity"] for e in done["entries"]] == [-12]


def test_tasks_are_proposed_only_for_lots_and_depots_one_may_change(client, audit_county):
    assert client.post("/api/v1/rotation/tasks", json={"lot": "L-W-45"},
                       headers=bearer(audit_county, "keeper")).status_code == 403
    assert client.post("/api/v1/rotation/tasks", json={"lot": "L-W-45"},
                       headers=bearer(audit_county, "dispatcher")).status_code == 403
    r = client.post("/api/v1/rotation/tasks", json={"lot": "L-W-45", "action": "move"},
                    headers=bearer(audit_county, "admin"))
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "to_depot"
    r = client.post("/api/v1/rotation/tasks", json={"lot": "L-W-OLD"}, headers=bearer(audit_county, "admin"))
    assert r.status_code == 409  # expired: only a write-off
    client.post("/api/v1/rotation/tasks", json={"lot": "L-W-45", "action": "drill", "quantity": 5},
                headers=bearer(audit_county, "admin"))
    again = client.post("/api/v1/rotation/tasks", json={"lot": "L-W-45"}, headers=bearer(audit_county, "admin"))
    assert again.status_code == 409


def test_the_rotation_page_proposes_accepts_and_completes_tasks_with_forms(client, engine, audit_county):
    as_user(client, "admin")
    page = client.get("/audit/rotation")
    token = csrf_token(client, "/audit/rotation")
    assert 'action="/audit/rotation/tasks"' in page.get_data(as_text=True)
    r = client.post("/audit/rotation/tasks", data={"lot": "L-J-80", "csrf_token": token, "next": "/audit/rotation"})
    assert r.status_code == 302 and r.headers["Location"] == "/audit/rotation"
    with Session(engine) as s:
        task = s.exec(select(RotationTask)).one()
    client.post(f"/audit/rotation/tasks/{task.id}/accept", data={"csrf_token": token})
    r = client.post(f"/audit/rotation/tasks/{task.id}/done", data={"csrf_token": token}, follow_redirects=True)
    assert "已完成" in text(r) and f"ROT-{task.id}" in text(r)
    assert [(m.kind, m.quantity) for m in ledger_lines(engine, "L-J-80") if m.reference == f"ROT-{task.id}"] == [
        ("issue", -10)]


def test_an_auditor_reads_and_exports_everything_and_changes_nothing(client, engine, audit_county):
    admin = bearer(audit_county, "admin")
    open_task = client.post("/api/v1/rotation/tasks", json={"lot": "L-W-45", "action": "drill"}, headers=admin).get_json()
    accepted = client.post("/api/v1/rotation/tasks", json={"lot": "L-J-80"}, headers=admin).get_json()
    client.post(f"/api/v1/rotation/tasks/{accepted['id']}/accept", headers=admin)
    auditor = bearer(audit_county, "auditor")
    for name in ("expiry", "rotation", "sufficiency", "ledger", "write-offs", "stock-card?lot=L-W-45&",
                 "stock-card?depot=C1&item=TENT&"):
        path, _, query = name.partition("?")
        for fmt in ("json", "csv", "xlsx"):
            r = client.get(f"/api/v1/reports/{path}?{query}format={fmt}", headers=auditor)
            assert r.status_code == 200, (name, fmt)
    assert client.get("/api/v1/reports/ledger?format=pdf", headers=auditor).status_code == 200
    before = snapshot(engine)
    writes = [("/api/v1/rotation/tasks", {"lot": "L-W-20"}), (f"/api/v1/rotation/tasks/{open_task['id']}/accept", None),
              (f"/api/v1/rotation/tasks/{accepted['id']}/done", None),
              ("/api/v1/ledger", {"kind": "issue", "lot": "L-W-20", "quantity": 1}),
              ("/api/v1/ledger", {"kind": "write_off", "lot": "L-W-OLD", "quantity": 1, "reason": "expired"})]
    for path, body in writes:
        r = client.post(path, json=body, headers=auditor)
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "read_only", path
    r = client.patch("/api/v1/reports/settings", json={"expiry_windows": [10]}, headers=auditor)
    assert r.status_code == 403
    as_user(client, "auditor")
    token = csrf_token(client, "/audit/rotation")
    for path in ("/audit/rotation/tasks", f"/audit/rotation/tasks/{open_task['id']}/accept",
                 f"/audit/rotation/tasks/{accepted['id']}/done"):
        r = client.post(path, data={"lot": "L-W-20", "csrf_token": token})
        assert r.status_code == 403 and "审计角色只能查看和导出" in text(r), path
    assert "Propose task" not in client.get("/audit/rotation?lang=en").get_data(as_text=True)
    assert snapshot(engine) == before
    with Session(engine) as s:
        assert [t.status for t in s.exec(select(RotationTask).order_by(RotationTask.id)).all()] == ["proposed",
                                                                                                   "accepted"]


def test_an_administrator_changes_the_report_settings(client, engine, audit_county):
    admin = bearer(audit_county, "admin")
    r = client.patch("/api/v1/reports/settings", json={"expiry_windows": [10, 20], "kit_quantities": {"small4": 5}},
                     headers=admin)
    assert r.status_code == 200 and r.get_json()["kit_quantities"] == {"big3": 1, "small4": 5}
    expiry = client.get("/api/v1/reports/expiry", headers=admin).get_json()
    assert expiry["windows"] == [10, 20] and [row["lot"] for row in expiry["rows"]] == ["L-W-OLD", "L-W-20"]
    towns = client.get("/api/v1/reports/sufficiency?tier=town", headers=admin).get_json()["towns"]
    assert [(t["depot"], t["target"]) for t in towns] == [("T1", 3), ("T2", 20)]
    bad = client.patch("/api/v1/reports/settings", json={"expiry_windows": [0]}, headers=admin)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "windows"


# ------------------------------------------------------------------ ledger integrity


def test_the_integrity_page_says_ok_and_shows_the_seal_to_keep(client, audit_county):
    as_user(client, "auditor")
    page = client.get("/audit/integrity?run=1")
    assert page.status_code == 200
    assert "正常：全部 16 条台账记录与哈希链一致。" in text(page)
    seal = re.search(r'id="seal">([^<]+)<', page.get_data(as_text=True)).group(1)
    assert re.fullmatch(r"16:[0-9a-f]{64}", seal)
    download = client.get("/audit/seal.txt")
    assert download.status_code == 200 and seal in download.get_data(as_text=True)
    assert "attachment" in download.headers["Content-Disposition"]
    again = client.get(f"/audit/integrity?run=1&seal={seal}")
    assert "封印一致" in text(again)


def test_the_integrity_page_names_the_first_line_edited_in_the_database(client, engine, audit_county):
    as_user(client, "auditor")
    with engine.begin() as c:
        c.execute(sa.update(Movement.__table__).where(Movement.__table__.c.id == 13).values(quantity=-1))
    page = text(client.get("/audit/integrity?run=1"))
    assert "不一致：台账已被改动。" in page and "#13" in page
