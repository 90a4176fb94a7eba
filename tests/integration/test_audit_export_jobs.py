"""Report exports in the background (audit/jobs.py): a job started from the report page or the API runs
outside the request, tells its real progress, keeps its file for its owner only, is marked failed when its
process is gone, and is cleaned up after its time; CSV exports carry every table, in UTF-8 or GBK."""
import csv
import io
import os
import re
import subprocess
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from audit import exports, jobs
from audit.models import ExportJob
from common import clock
from tests.conftest import bearer, csrf_token, login
from tests.integration.test_audit_reports import NOW, audit_county  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("audit_county")


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def export_folder(app, tmp_path):
    app.config["EXPORT_FOLDER"] = str(tmp_path / "exports")
    return tmp_path / "exports"


def as_user(client, name):
    assert login(client, name, f"{name}-pass").status_code == 302


def start(client, report, fmt, query="", encoding="utf-8", page=None):
    token = csrf_token(client, page or f"/audit/{report}")
    return client.post("/audit/exports", data={"report": report, "format": fmt, "encoding": encoding, "query": query},
                       headers={"X-CSRFToken": token})


def finished(client, started) -> dict:
    assert started.status_code == 202, started.get_data(as_text=True)
    job = started.get_json()
    jobs.wait(job["token"])
    r = client.get(job["url"])
    assert r.status_code == 200
    return r.get_json()


def sections(body: str) -> list[list[list[str]]]:
    """A multi-table CSV cut at its blank lines into sections of rows."""
    out, current = [], []
    for row in csv.reader(io.StringIO(body)):
        if not row:
            out.append(current)
            current = []
        else:
            current.append(row)
    out.append(current)
    return out


def test_an_export_job_runs_in_the_background_and_offers_its_file_to_its_owner(client, engine, export_folder):
    as_user(client, "auditor")
    started = start(client, "expiry", "xlsx", query="depot=T1&subtree=1")
    first = started.get_json()
    assert first["status"] in ("queued", "running", "done") and first["file_url"] is None
    job = finished(client, started)
    assert job["status"] == "done" and job["error"] is None
    assert job["file_url"] == f"/audit/exports/{job['token']}/file"
    # The progress counted the rows really written, every table's.
    r = client.get(job["file_url"])
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(r.get_data()))
    data_rows = sum(workbook[name].max_row - 1 for name in workbook.sheetnames[:-1])
    footers = 2  # the expiry table and the timeline have a totals row
    assert job["done"] == job["total"] == data_rows - footers
    assert os.path.exists(export_folder / f"{job['token']}.xlsx")
    # The page lists it, with its link and the time the file is kept until.
    page = client.get("/audit/expiry?depot=T1&subtree=1").get_data(as_text=True)
    assert job["file_url"] in page and "保留至" in page


def test_someone_else_sees_no_such_job_and_cannot_download_it(client, app):
    as_user(client, "auditor")
    job = finished(client, start(client, "rotation", "csv"))
    other = app.test_client()
    as_user(other, "admin")
    for path in (job["url"], job["file_url"]):
        r = other.get(path)
        assert r.status_code == 404, path
    assert job["token"] not in other.get("/audit/rotation").get_data(as_text=True)
    assert other.get("/audit/exports/not-a-token").status_code == 404


def test_the_api_starts_a_job_and_reads_it_back_for_its_owner_only(client, audit_county):
    r = client.post("/api/v1/exports", json={"report": "write-offs", "format": "csv", "encoding": "gbk"},
                    headers=bearer(audit_county, "auditor"))
    assert r.status_code == 202, r.get_data(as_text=True)
    job = r.get_json()
    jobs.wait(job["token"])
    status = client.get(f"/api/v1/exports/{job['token']}", headers=bearer(audit_county, "auditor")).get_json()
    assert status["status"] == "done" and status["done"] == status["total"] > 0
    listed = client.get("/api/v1/exports", headers=bearer(audit_county, "auditor")).get_json()
    assert [j["token"] for j in listed] == [job["token"]]
    body = client.get(f"/api/v1/exports/{job['token']}/file", headers=bearer(audit_county, "auditor"))
    assert body.status_code == 200 and body.headers["Content-Type"] == "text/csv; charset=gb18030"
    assert "报损核销" in body.get_data().decode("gb18030")
    assert client.get(f"/api/v1/exports/{job['token']}", headers=bearer(audit_county, "admin")).status_code == 404
    assert client.get("/api/v1/exports", headers=bearer(audit_county, "admin")).get_json() == []


def test_a_csv_export_holds_every_table_of_the_report_as_sections(client, audit_county):
    r = client.get("/audit/expiry.csv", headers=bearer(audit_county, "auditor"))
    body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    parts = sections(body.decode("utf-8-sig"))
    assert [p[0] for p in parts] == [["已过期和临期批次"], ["按期限"], ["未来 12 个月每月到期数量"]]
    assert parts[0][1][:3] == ["库点编码", "库点", "物资编码"] and parts[0][2][6] == "L-W-OLD"
    assert parts[1][1][0] == "期限" and parts[1][2][0] == "过期"
    assert parts[2][1][:2] == ["类别", "2026年07月"]
    data = sum(len(p) - 2 for p in parts)
    assert r.headers["X-Total-Rows"] == str(data)


def test_a_gbk_csv_decodes_as_gb18030_and_holds_chinese(client, audit_county):
    r = client.get("/audit/rotation.csv?encoding=gbk", headers=bearer(audit_county, "auditor"))
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=gb18030"
    body = r.get_data()
    assert not body.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gb18030")
    assert "建议处置" in text and "瓶装饮用水" in text and "玉龙镇储备站" in text
    api = client.get("/api/v1/reports/rotation?format=csv&encoding=gbk", headers=bearer(audit_county, "auditor"))
    assert api.get_data() == body


@pytest.mark.parametrize("path", ["/audit/expiry.csv?encoding=latin-1", "/api/v1/reports/expiry?format=csv&encoding=x"])
def test_an_unknown_encoding_is_a_400_naming_it(client, audit_county, path):
    r = client.get(path, headers=bearer(audit_county, "auditor"))
    assert r.status_code == 400
    if path.startswith("/api/"):
        error = r.get_json()["error"]
        assert error["field"] == "encoding" and "gbk" in error["message"].lower()
    else:  # the page's error, in its language
        assert "编码只能是 UTF-8 或 GBK，不能是“latin-1”" in r.get_data(as_text=True)


def test_a_job_with_a_bad_encoding_or_filter_is_refused_before_it_starts(client, engine):
    as_user(client, "auditor")
    bad = start(client, "expiry", "csv", encoding="utf-16")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "encoding"
    assert bad.get_json()["error"]["message"] == "编码只能是 UTF-8 或 GBK，不能是“utf-16”。"  # the page's language
    worse = start(client, "ledger", "csv", query="start=yesterday")
    assert worse.status_code == 422 and worse.get_json()["error"]["field"] == "start"
    with Session(engine) as s:
        assert s.exec(select(ExportJob)).all() == []


def test_starting_a_job_needs_the_csrf_token(client):
    as_user(client, "auditor")
    r = client.post("/audit/exports", data={"report": "expiry", "format": "csv"})
    assert r.status_code == 400


def test_a_pdf_job_reports_rows_laid_out_then_pages_written(client, engine, monkeypatch, tmp_path):
    seen = []
    real = jobs._Progress.__call__

    def record(self, done, total, stage):
        seen.append((stage, done, total))
        real(self, done, total, stage)

    monkeypatch.setattr(jobs._Progress, "__call__", record)
    as_user(client, "auditor")
    job = finished(client, start(client, "ledger", "pdf"))
    assert job["status"] == "done", job["error"]
    layout = [(d, t) for stage, d, t in seen if stage == "layout"]
    pages = [(d, t) for stage, d, t in seen if stage == "pages"]
    assert layout[0] == (0, 16) and layout[-1] == (16, 16)  # rows laid out as the pages fill
    assert [d for d, _ in layout] == sorted(d for d, _ in layout)
    assert pages[0][0] == 0 and pages[-1][0] == pages[-1][1] >= 1
    assert (job["stage"], job["done"], job["total"]) == ("pages", pages[-1][1], pages[-1][1])
    body = client.get(job["file_url"]).get_data()
    assert body.startswith(b"%PDF")
    path = tmp_path / "ledger.pdf"
    path.write_bytes(body)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = [re.sub(r"\s+", "", p) for p in text.split("\f") if p.strip()]
    n = len(pages)
    assert n == job["total"]  # the page numbers are of the whole document, each page's once
    assert [sum(f"第{i}页/共{n}页" in p for p in pages) for i in range(1, n + 1)] == [1] * n
    assert "出入库台账" in pages[0] and "台账记录" in pages[0]


def test_a_running_job_whose_process_is_gone_is_marked_failed(client, engine):
    as_user(client, "auditor")
    job = finished(client, start(client, "rotation", "csv"))
    with engine.begin() as c:
        c.execute(sa.update(ExportJob).where(ExportJob.token == job["token"])
                  .values(status="running", host=jobs.HOST, pid=2 ** 22 + 12345))  # no such process
    again = client.get(job["url"]).get_json()
    assert again["status"] == "failed" and "请重新导出" in again["error"]
    with engine.begin() as c:  # another host: its heartbeat is what tells
        c.execute(sa.update(ExportJob).where(ExportJob.token == job["token"])
                  .values(status="running", host="elsewhere", heartbeat_at=NOW - timedelta(minutes=5)))
    assert client.get(job["url"]).get_json()["status"] == "failed"
    with engine.begin() as c:
        c.execute(sa.update(ExportJob).where(ExportJob.token == job["token"])
                  .values(status="running", host="elsewhere", heartbeat_at=NOW - timedelta(seconds=10)))
    assert client.get(job["url"]).get_json()["status"] == "running"


def test_files_are_removed_with_their_jobs_after_the_time_they_are_kept(client, app, engine, export_folder,
                                                                        monkeypatch):
    as_user(client, "auditor")
    job = finished(client, start(client, "rotation", "xlsx"))
    assert os.listdir(export_folder) == [f"{job['token']}.xlsx"]
    later = NOW + timedelta(hours=app.config["EXPORT_KEEP_HOURS"], minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get(job["url"]).status_code == 404
    assert client.get("/audit/rotation").status_code == 200  # listing cleans up
    assert os.listdir(export_folder) == []
    with Session(engine) as s:
        assert s.exec(select(ExportJob)).all() == []
