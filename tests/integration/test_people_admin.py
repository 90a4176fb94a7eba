"""Administrators keep the people from pages (/admin/users): create an account with a temporary password,
set its role and depots, deactivate and reactivate it, reset its password; the user must change a reset
password at the next login; every change is in the change log with who and when. Bad input names its field
in both languages and writes nothing; anyone but an administrator gets 403. On SQLite and PostgreSQL."""
import re
from datetime import datetime, timezone

import pytest
from sqlmodel import Session, select

from accounts import admin
from accounts.models import AdminChange, KeeperDepot, User
from common import clock
from common.errors import InvalidInput, NotFound, ReadOnlyRole, Forbidden
from tests.conftest import bearer, csrf_token, login

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def as_admin(client):
    assert login(client, "admin", "admin-pass").status_code == 302


def post(client, path, data, page="/admin/users", **kw):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data}, **kw)


def changes(engine):
    with Session(engine) as s:
        rows = s.exec(select(AdminChange, User.username).join(User, User.id == AdminChange.user_id)
                      .order_by(AdminChange.id)).all()
    return [(by, c.subject, c.action, c.detail, c.at) for c, by in rows]


def bound(engine, username):
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        from inventory.models import Depot
        return sorted(s.exec(select(Depot.code).join(KeeperDepot, KeeperDepot.depot_id == Depot.id)
                             .where(KeeperDepot.user_id == user.id)).all())


def temp_password(html: str) -> str:
    return re.search(r'<p class="temp-password">([^<]+)</p>', html).group(1)


# ------------------------------------------------------------------ who may


@pytest.mark.parametrize("who", ["keeper", "dispatcher", "auditor"])
def test_anyone_but_an_administrator_gets_403_and_changes_nothing(client, county, engine, who):
    assert login(client, who, f"{who}-pass").status_code == 302
    for path in ("/admin/users", "/admin/users/keeper"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/account/tokens")
    for path, data in (("/admin/users", {"username": "x1", "role": "admin"}),
                       ("/admin/users/keeper", {"role": "admin"}),
                       ("/admin/users/keeper/active", {"active": "0"}),
                       ("/admin/users/keeper/reset-password", {})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    html = client.get("/account/tokens").get_data(as_text=True)
    assert "/admin/users" not in html  # no nav entry
    assert changes(engine) == []
    with pytest.raises((Forbidden, ReadOnlyRole)):
        admin.create_user(engine, getattr(county, who), username="x2", display_name="", role="admin", depots=[])


def test_a_visitor_is_sent_to_log_in(client, county):
    r = client.get("/admin/users")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


# ------------------------------------------------------------------ creating, and the first login


def test_an_administrator_creates_a_keeper_who_must_change_the_password_at_first_login(client, county, engine, app):
    as_admin(client)
    assert "/admin/users" in client.get("/account/tokens").get_data(as_text=True)  # the nav entry
    r = post(client, "/admin/users", {"username": "wang", "display_name": "王师傅", "role": "keeper",
                                      "depots": "T2， T2-V1"})
    assert r.status_code == 201
    html = r.get_data(as_text=True)
    password = temp_password(html)
    assert len(password) == 12 and "只显示这一次" in html
    assert bound(engine, "wang") == ["T2", "T2-V1"]
    assert changes(engine) == [("admin", "wang", "created", "keeper: T2, T2-V1", NOW)]
    listing = client.get("/admin/users").get_data(as_text=True)
    assert password not in listing and "王师傅" in listing and "须修改密码" in listing

    keeper = app.test_client()
    r = login(keeper, "wang", password)
    assert r.status_code == 302 and r.headers["Location"].startswith("/account/password")
    r = keeper.get("/depots/T2")
    assert r.status_code == 302 and r.headers["Location"].startswith("/account/password")
    # the API with the login session is refused too (a token is not a login: no token is issued meanwhile)
    assert keeper.get("/api/v1/depots").status_code == 403
    page = keeper.get("/account/password").get_data(as_text=True)
    assert "请先设置自己的密码" in page
    token = csrf_token(keeper, "/account/password")
    r = keeper.post("/account/password", data={"csrf_token": token, "current": password, "password": "short",
                                               "confirm": "short"})
    assert r.status_code == 422 and "密码至少 10 个字符" in r.get_data(as_text=True)
    r = keeper.post("/account/password", data={"csrf_token": token, "current": password, "password": "wang",
                                               "confirm": "wangwang"})
    assert r.status_code == 422 and "两次输入的新密码不一致" in r.get_data(as_text=True)
    r = keeper.post("/account/password", data={"csrf_token": token, "current": "wrong-one", "password": "long-enough",
                                               "confirm": "long-enough"})
    assert r.status_code == 422 and "当前密码不正确" in r.get_data(as_text=True)
    r = keeper.post("/account/password", data={"csrf_token": token, "current": password,
                                               "password": "My-own-pass", "confirm": "My-own-pass"})
    assert r.status_code == 302
    assert keeper.get("/depots/T2").status_code == 200
    assert keeper.get("/depots/T1").status_code == 403  # keeps only T2 and T2-V1
    fresh = app.test_client()
    assert login(fresh, "wang", password).status_code == 401
    assert login(fresh, "wang", "My-own-pass").headers["Location"] == "/"


@pytest.mark.parametrize("data, field, zh, en", [
    ({"username": "keeper", "role": "auditor"}, "username", "用户名 keeper 已被占用", "The username keeper is taken"),
    ({"username": "new keeper", "role": "auditor"}, "username", "不含空格", "without spaces"),
    ({"username": "k9", "role": "keeper", "depots": ""}, "depots", "至少负责一个储备库", "keeps at least one depot"),
    ({"username": "k9", "role": "keeper", "depots": "T1, NOPE"}, "depots", "没有代码为 NOPE 的储备库",
     "no depot with the code NOPE"),
    ({"username": "k9", "role": "dispatcher", "depots": "T1"}, "depots", "只有仓管员", "Only depot keepers"),
    ({"username": "k9", "role": "boss"}, "role", "不是有效的选择", "Not a valid choice"),
])
def test_a_bad_new_account_names_its_field_in_both_languages_and_writes_nothing(client, county, engine, data, field,
                                                                               zh, en):
    as_admin(client)
    with Session(engine) as s:
        before = len(s.exec(select(User)).all())
    r = post(client, "/admin/users", data)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert zh in html and f'id="{field}"' in html and 'aria-invalid="true"' in html
    r = post(client, "/admin/users?lang=en", data, page="/admin/users?lang=en")
    assert r.status_code == 422 and en in r.get_data(as_text=True)
    with Session(engine) as s:
        assert len(s.exec(select(User)).all()) == before
        assert s.exec(select(KeeperDepot)).all().__len__() == 3
    assert changes(engine) == []


# ------------------------------------------------------------------ role and depots


def test_role_and_depots_are_changed_and_each_change_is_logged(client, county, engine):
    as_admin(client)
    r = post(client, "/admin/users/keeper", {"display_name": "李库管", "role": "keeper", "depots": "T1, T2"},
             page="/admin/users/keeper")
    assert r.status_code == 302
    assert bound(engine, "keeper") == ["T1", "T2"]
    assert [(c[2], c[3]) for c in changes(engine)] == [("renamed", "keeper → 李库管"), ("depots_bound", "T2"),
                                                        ("depots_unbound", "T1-V1")]
    r = post(client, "/admin/users/keeper", {"display_name": "李库管", "role": "dispatcher", "depots": ""},
             page="/admin/users/keeper")
    assert r.status_code == 302 and bound(engine, "keeper") == []
    assert [(c[0], c[2], c[3]) for c in changes(engine)[3:]] == [("admin", "role_changed", "keeper → dispatcher"),
                                                                 ("admin", "depots_unbound", "T1, T2")]
    page = client.get("/admin/users/keeper").get_data(as_text=True)
    assert "角色变更" in page and "仓管员 → 调度员" in page and "解除负责储备库" in page
    r = post(client, "/admin/users/keeper", {"display_name": "李库管", "role": "dispatcher", "depots": ""},
             page="/admin/users/keeper")
    assert r.status_code == 302 and len(changes(engine)) == 5  # nothing changed, nothing logged


def test_a_keeper_left_without_depots_or_an_administrator_demoting_themselves_is_refused(client, county, engine):
    as_admin(client)
    r = post(client, "/admin/users/keeper", {"display_name": "keeper", "role": "keeper", "depots": ""},
             page="/admin/users/keeper")
    assert r.status_code == 422 and "仓管员至少负责一个储备库" in r.get_data(as_text=True)
    assert bound(engine, "keeper") == ["T1", "T1-V1"]
    r = post(client, "/admin/users/admin", {"display_name": "admin", "role": "auditor", "depots": ""},
             page="/admin/users/admin")
    assert r.status_code == 422 and "不能取消自己的管理员角色" in r.get_data(as_text=True)
    assert changes(engine) == []
    assert client.get("/admin/users/nobody").status_code == 404
    with pytest.raises(NotFound):
        admin.update_user(engine, county.admin, "nobody", display_name="", role="auditor", depots=[])


# ------------------------------------------------------------------ deactivating, and resetting a password


def test_a_deactivated_user_cannot_log_in_nor_use_a_token_nor_a_session(client, county, engine, app):
    keeper = app.test_client()
    assert login(keeper, "keeper", "keeper-pass").status_code == 302
    assert keeper.get("/depots/T1").status_code == 200
    assert client.get("/api/v1/depots", headers=bearer(county, "keeper")).status_code == 200
    as_admin(client)
    r = post(client, "/admin/users/keeper/active", {"active": "0"}, page="/admin/users/keeper")
    assert r.status_code == 302
    assert "已停用" in client.get("/admin/users/keeper").get_data(as_text=True)
    other = app.test_client()
    assert other.get("/api/v1/depots", headers=bearer(county, "keeper")).status_code == 401
    assert keeper.get("/depots/T1").status_code == 302  # the session ended
    assert login(app.test_client(), "keeper", "keeper-pass").status_code == 401
    r = post(client, "/admin/users/keeper/active", {"active": "1"}, page="/admin/users/keeper")
    assert r.status_code == 302
    assert login(app.test_client(), "keeper", "keeper-pass").status_code == 302
    assert other.get("/api/v1/depots", headers=bearer(county, "keeper")).status_code == 401  # tokens stay revoked
    assert [(c[1], c[2]) for c in changes(engine)] == [("keeper", "deactivated"), ("keeper", "reactivated")]
    # an administrator cannot lock themselves out
    with pytest.raises(InvalidInput):
        admin.set_active(engine, county.admin, "admin", False)
    r = post(client, "/admin/users/admin/active", {"active": "0"}, page="/admin/users/admin")
    assert r.status_code == 302
    assert "不能停用自己的账号" in client.get("/admin/users/admin").get_data(as_text=True)
    assert len(changes(engine)) == 2


def test_a_reset_password_ends_the_logins_and_must_be_changed(client, county, engine, app):
    keeper = app.test_client()
    assert login(keeper, "keeper", "keeper-pass").status_code == 302
    as_admin(client)
    r = post(client, "/admin/users/keeper/reset-password", {}, page="/admin/users/keeper")
    assert r.status_code == 200
    password = temp_password(r.get_data(as_text=True))
    assert keeper.get("/depots/T1").status_code == 302
    assert login(app.test_client(), "keeper", "keeper-pass").status_code == 401
    fresh = app.test_client()
    assert login(fresh, "keeper", password).headers["Location"].startswith("/account/password")
    assert client.get("/admin/users/keeper").get_data(as_text=True).count(password) == 0  # shown once
    assert [(c[0], c[1], c[2]) for c in changes(engine)] == [("admin", "keeper", "password_reset")]
    listing = client.get("/admin/users?lang=en").get_data(as_text=True)
    assert "Password reset" in listing and "Must change password" in listing


def test_a_user_changes_their_own_password_without_a_reset(client, county):
    assert login(client, "auditor", "auditor-pass").status_code == 302
    assert client.get("/account/password").status_code == 200
    r = client.post("/account/password", data={"csrf_token": csrf_token(client, "/account/password"),
                                                 "current": "auditor-pass", "password": "auditor-pass",
                                                 "confirm": "auditor-pass"})
    assert r.status_code == 422 and "新密码不能与当前密码相同" in r.get_data(as_text=True)
