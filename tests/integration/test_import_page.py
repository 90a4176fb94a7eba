"""The administrators' import page (issue #12): upload → dry run in the background → the report and its rejected
rows (paged, and as an XLSX read back here) → a name matched by hand → the dry run again accepts the row → commit →
the stock card names the import. Bad files, other roles, missing CSRF, a file changed after its dry run and a plan
changed meanwhile are refused with nothing written."""
import io
import os
import re

import openpyxl
from sqlmodel import Session, func, select

from accounts.models import AdminChange
from registers import aliases, jobs
from registers.models import ImportJob, NameAlias
from tests.conftest import csrf_token, login
from tests.integration.test_register_import import NOW, _counts, workbook_bytes


def _upload(client, files, depot=""):
    token = csrf_token(client, "/admin/imports")
    data = {"csrf_token": token, "depot": depot,
            "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/admin/imports", data=data, content_type="multipart/form-data")


def _started(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    token = re.search(r"/admin/imports/([0-9a-f]{32})$", response.headers["Location"]).group(1)
    jobs.wait(token)
    return token


def _post(client, token, action, extra=None):
    data = {"csrf_token": csrf_token(client, f"/admin/imports/{token}"), **(extra or {})}
    response = client.post(f"/admin/imports/{token}/{action}", data=data)
    assert response.status_code == 303
    jobs.wait(token)
    return response


def _job(engine, token) -> ImportJob:
    with Session(engine) as s:
        return s.exec(select(ImportJob).where(ImportJob.token == token)).one()


def test_upload_dry_run_rejected_sheet_name_choice_and_commit(client, engine, county):
    login(client, "admin", "admin-pass")
    before = _counts(engine)
    data = workbook_bytes()
    token = _started(_upload(client, [("台账.xlsx", data)]))
    assert _counts(engine) == before  # a dry run writes nothing
    assert client.get(f"/admin/imports/{token}/status").get_json() == {
        "status": "checked", "stage": "dry_run", "done": 13, "total": 13, "busy": False}
    page = client.get(f"/admin/imports/{token}").get_data(as_text=True)
    assert "库存台账" in page and "物资目录" in page and "提交已接受的行" in page
    assert "没有名为帐篷的物资" in page  # a rejected row, in Chinese
    assert 'name="name_1" value="帐篷"' in page and '<option value="TENT">救灾帐篷 (TENT)</option>' in page

    sheet = client.get(f"/admin/imports/{token}/rejected.xlsx")
    assert sheet.status_code == 200 and sheet.mimetype.endswith("spreadsheetml.sheet")
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("文件", "工作表", "行", "列", "原因", "文件中的该行")
    found = {(r[1], r[2]): r for r in rows[1:]}
    assert sorted(found) == [("库存台账", 6), ("库存台账", 7), ("库存台账", 8), ("库点", 5), ("物资目录", 4)]
    assert found[("库存台账", 6)][3] == "物资名称" and found[("库存台账", 6)][5].startswith("帐篷 |  | 顶 | 5 | 县级储备库")
    assert "很多" in found[("库存台账", 7)][4]

    names = re.findall(r'name="name_(\d+)" value="([^"]+)"', page)
    choices = {f"kind_{n}": ("item" if name == "帐篷" else "depot") for n, name in names}
    choices.update({f"name_{n}": name for n, name in names})
    choices.update({f"target_{n}": {"帐篷": "TENT", "城关镇": "T3"}[name] for n, name in names})
    _post(client, token, "names", choices)
    job = jobs.view(_job(engine, token))
    stock = next(sh for sh in job["report"]["files"][0]["sheets"] if sh["kind"] == "stock")
    assert (stock["accepted"], stock["units"]) == (5, 88)  # the tents (5) and the 城关镇 quilts (3) now accepted
    assert [r["row"] for r in stock["rejected"]] == [7]
    with Session(engine) as s:
        remembered = s.exec(select(NameAlias).order_by(NameAlias.kind)).all()
        assert [(a.kind, a.name, a.target, a.chosen_by) for a in remembered] == [
            ("depot", "城关镇", "T3", county.admin.user_id), ("item", "帐篷", "TENT", county.admin.user_id)]
    aliases_page = client.get("/admin/import-names").get_data(as_text=True)
    assert "帐篷" in aliases_page and "TENT" in aliases_page and "admin" in aliases_page
    with Session(engine) as s:  # in the administrators' change log too
        logged = s.exec(select(AdminChange).where(AdminChange.action.startswith("alias"))
                        .order_by(AdminChange.subject_kind)).all()
        assert [(c.subject_kind, c.subject, c.action, c.detail, c.user_id) for c in logged] == [
            ("depot", "T3", "alias_chosen", "城关镇", county.admin.user_id),
            ("item", "TENT", "alias_chosen", "帐篷", county.admin.user_id)]
    assert "台账名称已匹配" in client.get("/admin/items").get_data(as_text=True)

    _post(client, token, "commit")
    assert _job(engine, token).status == "committed"
    after = _counts(engine)
    assert {k: after[k] - before[k] for k in after} == {"depots": 2, "items": 2, "lots": 5, "movements": 5,
                                                        "imports": 1}
    reference = job["report"]["files"][0]["reference"]
    card = client.get(f"/lots/{reference}-1-6").get_data(as_text=True)
    assert reference in card and "救灾帐篷" in card
    page = client.get(f"/admin/imports/{token}").get_data(as_text=True)
    assert "已提交" in page and f'href="/lots/{reference}-1-6"' in page  # the stock cards of what it made

    _post(client, token, "commit")  # a second commit of the same job is refused
    assert _counts(engine) == after
    again = _started(_upload(client, [("台账（副本）.xlsx", data)]))  # the same file again creates nothing
    _post(client, again, "commit")
    assert {k: v - after[k] for k, v in _counts(engine).items()} == {
        "depots": 0, "items": 0, "lots": 0, "movements": 0, "imports": 1}


def test_create_new_item_choice_and_forgetting_it(client, engine, county):
    login(client, "admin", "admin-pass")
    data = "品名,计量单位,数量\n救生衣,件,12\n".encode()
    token = _started(_upload(client, [("库存.csv", data)], depot="T1"))
    page = client.get(f"/admin/imports/{token}").get_data(as_text=True)
    assert '<option value="+">' in page
    _post(client, token, "names", {"kind_1": "item", "name_1": "救生衣", "target_1": "+"})
    sheet = jobs.view(_job(engine, token))["report"]["files"][0]["sheets"][0]
    assert (sheet["accepted"], sheet["units"], [i["name"] for i in sheet["creates"]["items"]]) == (1, 12, ["救生衣"])
    with Session(engine) as s:
        alias = s.exec(select(NameAlias)).one()
    form = {"csrf_token": csrf_token(client, "/admin/import-names")}
    assert client.post(f"/admin/import-names/{alias.id}/delete", data=form).status_code == 303
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(NameAlias)).one() == 0
        assert [c.action for c in s.exec(select(AdminChange).order_by(AdminChange.id))] == [
            "alias_new", "alias_forgotten"]
    _post(client, token, "dry-run")
    sheet = jobs.view(_job(engine, token))["report"]["files"][0]["sheets"][0]
    assert sheet["accepted"] == 0 and sheet["rejected"][0]["code"] == "import_item_unknown"


def test_bad_files_fail_with_a_message_and_write_nothing(client, engine, county):
    login(client, "admin", "admin-pass")
    before = _counts(engine)
    for name, data, words in (("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "不是电子表格"),
                              ("empty.csv", b"", "文件是空的"),
                              ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
                               + "EncryptionInfo".encode("utf-16-le"), "密码")):
        token = _started(_upload(client, [(name, data)]))
        assert _job(engine, token).status == "failed"
        page = client.get(f"/admin/imports/{token}").get_data(as_text=True)
        assert words in page, name
        assert client.get("/admin/imports").status_code == 200
    assert _upload(client, []).status_code == 422  # no file at all
    client.application.config["MAX_UPLOAD_LENGTH"] = 64 * 1024  # the import page's limit (common/body_limits.py)
    response = _upload(client, [("big.csv", b"a,b\n" * 40_000)])
    assert response.status_code == 413 and "文件过大：一次上传最多 0.0625 MB" in response.get_data(as_text=True)
    visitor = client.application.test_client()  # not logged in: the app's own answer
    data = {"csrf_token": csrf_token(visitor), "files": [(io.BytesIO(b"a,b\n" * 40_000), "big.csv")]}
    answer = visitor.post("/admin/imports", data=data, content_type="multipart/form-data")
    assert answer.status_code == 413 and "文件过大" not in answer.get_data(as_text=True)
    assert _counts(engine) == before


def test_other_roles_are_refused_and_forms_need_csrf(client, engine, county):
    login(client, "admin", "admin-pass")
    token = _started(_upload(client, [("库存.csv", "品名,计量单位,数量\n救灾帐篷,顶,2\n".encode())], depot="T1"))
    for name in ("keeper", "dispatcher", "auditor"):
        other = client.application.test_client()
        login(other, name, f"{name}-pass")
        for path in ("/admin/imports", f"/admin/imports/{token}", f"/admin/imports/{token}/status",
                     f"/admin/imports/{token}/rejected.xlsx", "/admin/import-names"):
            assert other.get(path).status_code == 403, (name, path)
        form = {"csrf_token": csrf_token(other, "/account/tokens")}
        assert other.post(f"/admin/imports/{token}/commit", data=form).status_code == 403
        assert other.post("/admin/imports", data=form).status_code == 403
    admin = client.application.test_client()
    login(admin, "admin", "admin-pass")
    before = _counts(engine)
    response = admin.post("/admin/imports", data={"files": [(io.BytesIO(b"a,b\n"), "x.csv")]},
                          content_type="multipart/form-data")
    assert response.status_code == 400  # CSRF refused before the view
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(ImportJob)).one() == 1
    assert admin.post(f"/admin/imports/{token}/commit", data={}).status_code == 400  # no CSRF token
    jobs.wait(token)
    assert _job(engine, token).status == "checked" and _counts(engine) == before


def test_commit_refuses_a_changed_file_and_a_changed_plan(app, client, engine, county):
    login(client, "admin", "admin-pass")
    data = "品名,计量单位,数量\n救灾帐篷,顶,2\n帐篷,顶,3\n".encode()
    token = _started(_upload(client, [("库存.csv", data)], depot="T1"))
    before = _counts(engine)
    kept = os.path.join(app.instance_path, "imports", token, "1")
    with open(kept, "ab") as f:
        f.write("救灾帐篷,顶,9\n".encode())
    response = _post(client, token, "commit")
    assert "已改变或不存在" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _counts(engine) == before and _job(engine, token).status == "checked"
    with open(kept, "wb") as f:
        f.write(data)
    aliases.choose(engine, county.admin, "item", "帐篷", "TENT", NOW)  # made after the dry run: the plan now differs
    _post(client, token, "commit")
    job = _job(engine, token)
    assert job.status == "failed" and "import_plan_changed" in job.error
    assert _counts(engine) == before


def test_the_command_reads_the_remembered_names(app, engine, county, tmp_path):
    import json

    path = tmp_path / "库存.csv"
    path.write_bytes("品名,计量单位,数量,存放地点\n帐篷,顶,3,玉龙镇\n".encode())
    runner = app.test_cli_runner()
    before = json.loads(runner.invoke(args=["import", "--json", str(path)]).stdout)
    assert [r["column"] for r in before["files"][0]["sheets"][0]["rejected"]] == ["品名"]
    aliases.choose(engine, county.admin, "item", "帐篷", "TENT", NOW)
    aliases.choose(engine, county.admin, "depot", "玉龙镇", "T1", NOW)
    after = json.loads(runner.invoke(args=["import", "--json", str(path)]).stdout)
    assert after["files"][0]["sheets"][0] == {"sheet": "库存", "kind": "stock", "accepted": 1, "units": 3,
                                              "rejected": []}


def test_the_rejected_rows_are_paged(client, engine, county):
    login(client, "admin", "admin-pass")
    lines = ["品名,计量单位,数量"] + [f"救灾帐篷,顶,坏{n}" for n in range(2, 62)]  # rows 2–61, each rejected
    token = _started(_upload(client, [("库存.csv", "\n".join(lines).encode())], depot="T1"))
    first = client.get(f"/admin/imports/{token}").get_data(as_text=True)
    assert "“坏2”" in first and "“坏51”" in first and "“坏52”" not in first and "第 1 页，共 2 页" in first
    second = client.get(f"/admin/imports/{token}?page=2").get_data(as_text=True)
    assert "“坏52”" in second and "“坏61”" in second and "“坏51”" not in second
    assert client.get(f"/admin/imports/{token}?page=0").status_code == 400
    assert 'id="import-commit"' not in first  # nothing accepted: nothing to commit


def test_a_commit_shows_its_progress_while_it_runs_and_leaves_no_progress_file(client, engine, county, monkeypatch):
    """The commit's progress reaches the page's poll while the commit's transaction holds the database (on SQLite
    that transaction holds the one write lock, so the progress goes to a file beside the kept files)."""
    import threading

    from common.db import UnitOfWork
    from registers import importing

    login(client, "admin", "admin-pass")
    token = _started(_upload(client, [("台账.xlsx", workbook_bytes())]))
    halfway, go_on = threading.Event(), threading.Event()
    real_commit = importing.commit

    def commit(*args, progress=None, **kwargs):
        with UnitOfWork(engine) as uow:  # a writing transaction, as the commit's own
            uow.session.connection()
            progress(6, 13)
        halfway.set()
        go_on.wait(10)
        return real_commit(*args, progress=progress, **kwargs)

    monkeypatch.setattr(importing, "commit", commit)
    data = {"csrf_token": csrf_token(client, f"/admin/imports/{token}")}
    assert client.post(f"/admin/imports/{token}/commit", data=data).status_code == 303
    assert halfway.wait(10)
    during = client.get(f"/admin/imports/{token}/status").get_json()
    go_on.set()
    jobs.wait(token)
    assert during == {"status": "committing", "stage": "commit", "done": 6, "total": 13, "busy": True}
    after = client.get(f"/admin/imports/{token}/status").get_json()
    assert after == {"status": "committed", "stage": "commit", "done": 13, "total": 13, "busy": False}
    assert not os.path.exists(jobs._progress_file(_job(engine, token)))
