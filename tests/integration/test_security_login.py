"""Login protection, password rules, session limits and the security log (issue 15), on SQLite and PostgreSQL.

The clock is the app's seam (common.clock.now), moved forward by the tests: nothing sleeps."""
import csv
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from accounts import login_protection, security
from accounts.models import AdminChange, LoginFailure, SecurityEvent, User
from common import clock
from tests.conftest import csrf_token, login, small_county
from tests.integration.helpers import text

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)
REFUSED = "用户名或密码错误，或失败次数过多：请稍后再试。"


class Clock:
    def __init__(self, monkeypatch):
        self.now = T0
        monkeypatch.setattr(clock, "now", lambda: self.now)

    def advance(self, **kw):
        self.now += timedelta(**kw)


@pytest.fixture
def moment(monkeypatch):
    return Clock(monkeypatch)


def make_app(db_url, tmp_path, **config):
    from app import create_app

    return create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test-secret",
                       "BASE_URL": "http://testserver", "LEDGER_KEYS": str(tmp_path / "keys"), **config})


@pytest.fixture
def sec_app(db_url, tmp_path, moment):
    app = make_app(db_url, tmp_path)
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def county(sec_app):
    return small_county(sec_app.extensions["engine"])


def client_from(app, address):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def events(engine, **where):
    with Session(engine) as s:
        query = select(SecurityEvent).order_by(SecurityEvent.id)
        for k, v in where.items():
            query = query.where(getattr(SecurityEvent, k) == v)
        return s.exec(query).all()


def test_fifty_wrong_logins_lock_the_account_and_the_address_with_one_message(sec_app, county, moment):
    engine = sec_app.extensions["engine"]
    attacker = client_from(sec_app, "10.0.0.66")
    for i in range(50):
        moment.advance(seconds=10)
        r = login(attacker, "keeper", f"guess-{i}")
        assert r.status_code == 401 and REFUSED in r.get_data(as_text=True)
    # the right password is refused the same way while the lock lasts, from that address and from another
    assert login(attacker, "keeper", "keeper-pass").status_code == 401
    elsewhere = client_from(sec_app, "10.0.0.7")
    r = login(elsewhere, "keeper", "keeper-pass")
    assert r.status_code == 401 and REFUSED in r.get_data(as_text=True)
    # another account from the locked address is refused too; an unknown user answers the same words
    assert login(attacker, "auditor", "auditor-pass").status_code == 401
    r = login(elsewhere, "nobody", "whatever-pass")
    assert r.status_code == 401 and REFUSED in r.get_data(as_text=True)
    assert login_protection.locked(engine, login_protection.LoginRules(), moment.now) == {
        "accounts": [{"username": "keeper", "until": T0 + timedelta(seconds=50) + timedelta(minutes=15)}],
        "addresses": [{"address": "10.0.0.66", "until": T0 + timedelta(seconds=50) + timedelta(minutes=15)}]}
    # the trail: 5 failures, the locks, then every refusal while locked, each with the address
    logins = events(engine, kind="login", username="keeper")
    assert [e.outcome for e in logins[:5]] == ["failure"] * 5
    assert all(e.outcome == "locked" and e.address == "10.0.0.66" for e in logins[5:50])
    assert [e.detail for e in events(engine, kind="lock")] == [
        f"account locked until {security._canonical(T0 + timedelta(seconds=50, minutes=15))}",
        f"address locked until {security._canonical(T0 + timedelta(seconds=50, minutes=15))}"]
    assert logins[-1].outcome == "locked" and logins[-1].address == "10.0.0.7"
    # the lock ends by itself; then the right password works and forgets the account's failures
    moment.advance(minutes=15)
    assert login(elsewhere, "keeper", "keeper-pass").status_code == 302
    assert events(engine, kind="login", username="keeper")[-1].outcome == "success"
    with Session(engine) as s:
        assert {f.for_account for f in s.exec(select(LoginFailure).where(LoginFailure.username == "keeper"))} == {False}
    assert security.verify(engine)["ok"]


def test_failures_spread_beyond_the_window_do_not_lock(sec_app, county, moment):
    c = client_from(sec_app, "10.0.0.5")
    for i in range(8):
        login(c, "keeper", f"guess-{i}")
        moment.advance(minutes=4)  # 4 failures in any 15 minutes at most
    assert login(c, "keeper", "keeper-pass").status_code == 302


def test_the_token_endpoint_counts_and_locks_the_same_way(sec_app, county, moment):
    c = client_from(sec_app, "10.0.0.9")
    answers = [c.post("/api/v1/tokens", json={"username": "dispatcher", "password": f"guess-{i}"}) for i in range(6)]
    assert {a.status_code for a in answers} == {401}
    unknown = c.post("/api/v1/tokens", json={"username": "nobody", "password": "x"})
    right = client_from(sec_app, "10.0.0.10").post("/api/v1/tokens",
                                                  json={"username": "dispatcher", "password": "dispatcher-pass"})
    assert right.status_code == unknown.status_code == 401
    assert right.get_json() == unknown.get_json() == answers[0].get_json()
    engine = sec_app.extensions["engine"]
    assert [e.detail for e in events(engine, kind="login", username="dispatcher")][:2] == [
        "token: wrong password", "token: wrong password"]
    # and the login page counts the token endpoint's failures: the account is locked there too
    assert login(client_from(sec_app, "10.0.0.11"), "dispatcher", "dispatcher-pass").status_code == 401


def test_an_administrator_sees_a_locked_account_and_unlocks_it(sec_app, county, moment):
    engine = sec_app.extensions["engine"]
    for i in range(5):
        login(client_from(sec_app, "10.0.0.66"), "keeper", f"guess-{i}")
    admin = client_from(sec_app, "10.0.0.1")
    assert login(admin, "admin", "admin-pass").status_code == 302
    page = admin.get("/admin/users").get_data(as_text=True)
    assert 'id="locked"' in page and 'data-username="keeper"' in page and 'data-address="10.0.0.66"' in page
    # nobody else may unlock
    auditor = client_from(sec_app, "10.0.0.2")
    assert login(auditor, "auditor", "auditor-pass").status_code == 302
    assert auditor.post("/admin/login-locks/unlock", data={"csrf_token": csrf_token(auditor, "/account/password"),
                                                            "username": "keeper"}).status_code == 403
    r = admin.post("/admin/login-locks/unlock", data={"csrf_token": csrf_token(admin, "/admin/users"),
                                                       "username": "keeper"})
    assert r.status_code == 302
    assert login(client_from(sec_app, "10.0.0.3"), "keeper", "keeper-pass").status_code == 302
    with Session(engine) as s:
        assert s.exec(select(AdminChange.action).where(AdminChange.subject == "keeper")).all() == ["unlocked"]
    assert [(e.username, e.detail) for e in events(engine, kind="unlock")] == [("admin", "account keeper")]
    # the address stays locked until unlocked on its own
    assert login(client_from(sec_app, "10.0.0.66"), "auditor", "auditor-pass").status_code == 401
    admin.post("/admin/login-locks/unlock", data={"csrf_token": csrf_token(admin, "/admin/users"),
                                                   "address": "10.0.0.66"})
    assert login(client_from(sec_app, "10.0.0.66"), "auditor", "auditor-pass").status_code == 302


def change(client, current, new):
    return client.post("/account/password", data={"csrf_token": csrf_token(client, "/account/password"),
                                                  "current": current, "password": new, "confirm": new})


def test_a_new_password_follows_the_rules_and_is_not_one_of_the_last_five(sec_app, county, moment):
    c = client_from(sec_app, "10.0.0.4")
    assert login(c, "auditor", "auditor-pass").status_code == 302
    for bad, words in (("Short-1", "密码至少 10 个字符"), ("onlylowercase", "至少 3 类"),
                       ("My-auditor-99", "密码不能包含用户名")):
        r = change(c, "auditor-pass", bad)
        assert r.status_code == 422 and words in r.get_data(as_text=True), bad
    passwords = ["auditor-pass"] + [f"Good-pass-{i}" for i in range(1, 6)]
    for before, after in zip(passwords, passwords[1:]):
        assert change(c, before, after).status_code == 302
    # the current one and the four before it are refused; the one six back is allowed again
    for old in passwords[2:5]:
        r = change(c, "Good-pass-5", old)
        assert r.status_code == 422 and "最近 5 次" in r.get_data(as_text=True)
    assert change(c, "Good-pass-5", "Good-pass-1").status_code == 422
    assert change(c, "Good-pass-5", "Good-pass-1!").status_code == 302
    engine = sec_app.extensions["engine"]
    assert [e.outcome for e in events(engine, kind="password_change")] == ["success"] * 6


def test_a_password_older_than_the_maximum_age_must_be_changed_on_every_page(sec_app, county, moment):
    moment.advance(days=91)
    c = client_from(sec_app, "10.0.0.4")
    r = login(c, "keeper", "keeper-pass")
    assert r.status_code == 302 and r.headers["Location"].startswith("/account/password")
    for page in ("/", "/depots/T1", "/account/tokens"):
        assert c.get(page).headers["Location"].startswith("/account/password")
    assert c.get("/api/v1/depots").status_code == 403
    # no token for a password that must change first
    r = client_from(sec_app, "10.0.0.5").post("/api/v1/tokens", json={"username": "keeper", "password": "keeper-pass"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "password_change_required"
    assert change(c, "keeper-pass", "Store-new-1!").status_code == 302
    assert c.get("/depots/T1").status_code == 200
    moment.advance(days=89)  # the new password's age counts from its change
    again = client_from(sec_app, "10.0.0.4")
    assert login(again, "keeper", "Store-new-1!").headers["Location"] == "/"
    moment.advance(days=2)
    assert login(again, "keeper", "Store-new-1!").headers["Location"].startswith("/account/password")


def test_an_idle_login_ends_after_thirty_minutes_with_a_message(sec_app, county, moment):
    c = client_from(sec_app, "10.0.0.4")
    assert login(c, "dispatcher", "dispatcher-pass").status_code == 302
    for _ in range(3):
        moment.advance(minutes=29)
        assert c.get("/incidents").status_code == 200
    moment.advance(minutes=31)
    r = c.get("/incidents")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert "您长时间未操作，已自动退出" in c.get(r.headers["Location"]).get_data(as_text=True)
    assert [e.detail for e in events(sec_app.extensions["engine"], kind="timeout")] == ["session ended: idle"]
    assert c.get("/incidents").status_code == 302  # and it stays ended


def test_a_login_ends_twelve_hours_after_it_began_however_busy(sec_app, county, moment):
    c = client_from(sec_app, "10.0.0.4")
    assert login(c, "dispatcher", "dispatcher-pass").status_code == 302
    for _ in range(36):
        moment.advance(minutes=20)
        assert c.get("/incidents").status_code == 200
    moment.advance(minutes=1)
    r = c.get("/incidents")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert "本次登录已达到最长时限" in c.get(r.headers["Location"]).get_data(as_text=True)
    assert [e.detail for e in events(sec_app.extensions["engine"], kind="timeout")] == ["session ended: lifetime"]


def test_the_login_sets_no_remember_me_cookie(sec_app, county):
    c = client_from(sec_app, "10.0.0.4")
    r = login(c, "keeper", "keeper-pass")
    assert not any(h.startswith("remember_token") for h in r.headers.getlist("Set-Cookie"))


def test_demo_passwords_are_refused_outside_the_demo_and_said_at_start(db_url, tmp_path, moment, caplog):
    from accounts.services import add_user
    from common.db import UnitOfWork

    real = make_app(db_url, tmp_path)
    engine = real.extensions["engine"]
    with UnitOfWork(engine) as uow:
        add_user(uow, "auditor", "demo-audit-2026", "auditor")
        uow.commit()
    with caplog.at_level("WARNING"):
        make_app(db_url, tmp_path).extensions["engine"].dispose()
    assert any("demo passwords" in r.getMessage() and "auditor" in r.getMessage() for r in caplog.records)
    r = login(client_from(real, "10.0.0.4"), "auditor", "demo-audit-2026")
    assert r.status_code == 401 and REFUSED in r.get_data(as_text=True)
    assert events(engine, kind="login")[-1].detail == "page: demo password outside the demo"
    demo = make_app(db_url, tmp_path, DEMO=True)
    assert login(client_from(demo, "10.0.0.4"), "auditor", "demo-audit-2026").status_code == 302
    demo.extensions["engine"].dispose()
    engine.dispose()


def test_the_security_log_chain_finds_an_edit_and_a_removal_and_survives_a_prune(sec_app, moment):
    engine = sec_app.extensions["engine"]
    runner = sec_app.test_cli_runner()
    for days in (400, 300, 181, 179):
        security.record_security_event(engine, "export", username="auditor", address="10.0.0.8",
                                       detail=f"ledger, {days} days ago", at=T0 - timedelta(days=days))
    small_county(engine)
    login(client_from(sec_app, "10.0.0.4"), "keeper", "keeper-pass")
    assert runner.invoke(args=["security-log", "verify"]).exit_code == 0
    assert runner.invoke(args=["security-log", "prune", "--keep-days", "30"]).exit_code != 0  # never under 180
    r = runner.invoke(args=["security-log", "prune"])
    assert r.exit_code == 0 and "removed 3 entries" in r.output
    assert [e.detail for e in events(engine, kind="export")] == ["ledger, 179 days ago"]
    assert runner.invoke(args=["security-log", "verify"]).exit_code == 0
    kept = events(engine)
    with engine.begin() as c:  # an edit
        c.execute(sa.text("update security_event set detail = 'nothing' where id = :id"), {"id": kept[1].id})
    r = runner.invoke(args=["security-log", "verify"])
    assert r.exit_code == 1 and f"entry {kept[1].id}: its content does not match its hash" in r.output
    with engine.begin() as c:  # put it back, then remove the first kept entry
        c.execute(sa.text("update security_event set detail = :d where id = :id"), {"d": kept[1].detail, "id": kept[1].id})
        c.execute(sa.text("delete from security_event where id = :id"), {"id": kept[0].id})
    result = security.verify(engine)
    assert not result["ok"] and result["problems"][0]["id"] == kept[1].id


def test_an_events_message_is_in_its_hash_and_rows_recorded_before_messages_still_verify(sec_app, moment):
    engine = sec_app.extensions["engine"]
    security.record_security_event(engine, "export", username="auditor", detail="ledger csv (direct)")  # as before
    security.record_security_event(engine, "export", username="auditor",
                                   message=("waybill_pdf", {"order": "DO-1-2"}))
    old, new = events(engine)[-2:]
    assert (old.detail_code, old.detail_params) == (None, None)
    assert (new.detail, new.detail_code, new.detail_params) == ("waybill DO-1-2 pdf", "waybill_pdf",
                                                                 '{"order":"DO-1-2"}')
    assert security.verify(engine)["ok"]
    with engine.begin() as c:  # the values changed, the English words left alone: the page would say otherwise
        c.execute(sa.text("update security_event set detail_params = :p where id = :id"),
                  {"p": '{"order":"DO-9-9"}', "id": new.id})
    result = security.verify(engine)
    assert not result["ok"] and result["problems"][0]["id"] == new.id
    with engine.begin() as c:  # nor can a message be taken away
        c.execute(sa.text("update security_event set detail_params = :p, detail_code = null where id = :id"),
                  {"p": new.detail_params, "id": new.id})
    assert not security.verify(engine)["ok"]


def test_the_security_log_page_is_for_auditors_and_administrators_with_filters_and_csv(sec_app, county, moment):
    engine = sec_app.extensions["engine"]
    login(client_from(sec_app, "10.0.0.66"), "keeper", "wrong-guess")
    for who in ("keeper", "dispatcher"):
        c = client_from(sec_app, "10.0.0.4")
        assert login(c, who, f"{who}-pass").status_code == 302
        assert c.get("/security-log").status_code == 403
    auditor = client_from(sec_app, "10.0.0.5")
    assert login(auditor, "auditor", "auditor-pass").status_code == 302
    page = text(auditor.get("/security-log?username=keeper&outcome=failure"))
    assert "10.0.0.66" in page and "登录页面：密码错误" in page and "10.0.0.4" not in page  # the detail in Chinese
    assert auditor.get("/security-log?kind=nonsense").status_code == 400
    r = auditor.get("/security-log?kind=login&format=csv")
    lines = r.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert r.status_code == 200 and len(lines) == 1 + 4
    assert lines[0] == "id,at,kind,outcome,username,address,detail,detail_shown,detail_code,detail_params,hash"
    wrong = next(row for row in csv.reader(lines[1:]) if row[4] == "keeper" and row[3] == "failure")
    assert wrong[6:10] == ["page: wrong password", "登录页面：密码错误", "login_failed",
                           '{"via":"page","why":"wrong password"}']
    assert events(engine, kind="export")[-1].detail == "security log CSV, 4 rows; filters: kind=login"
    english = text(auditor.get("/security-log?username=keeper&outcome=failure&lang=en"))
    assert "login page: wrong password" in english  # the same row in the reader's other language
    admin = client_from(sec_app, "10.0.0.6")
    assert login(admin, "admin", "admin-pass").status_code == 302
    assert admin.get("/security-log").status_code == 200


def test_role_depot_and_token_changes_are_in_the_security_log(sec_app, county, moment):
    from accounts import admin as people
    from accounts import services

    engine = sec_app.extensions["engine"]
    people.update_user(engine, county.admin, "keeper2", display_name="", role="keeper", depots=["T2", "T2-V1"])
    people.update_user(engine, county.admin, "dispatcher", display_name="", role="auditor", depots=[])
    token = services.issue_token(engine, county.keeper.user_id, "phone")
    services.revoke_token(engine, county.keeper, token)
    people.reset_password(engine, county.admin, "keeper")
    assert [(e.kind, e.username, e.detail) for e in events(engine)[-5:]] == [
        ("depot_binding", "admin", "keeper2: + T2-V1; − -"),
        ("role_change", "admin", "dispatcher: dispatcher → auditor"),
        ("token_create", "keeper", "token phone"),
        ("token_revoke", "keeper", "token phone"),
        ("password_reset", "admin", "reset keeper"),
    ]
    assert security.verify(engine)["ok"]


def test_rule_changes_approvals_and_exports_are_in_the_security_log(sec_app, county, moment):
    from dispatch import settings
    from dispatch.norms import NormRule
    from inventory.writeoffs import service as writeoffs
    from tests.conftest import bearer
    from tests.integration.helpers import NOW, TODAY, new_lot

    engine = sec_app.extensions["engine"]
    settings.change_norm(engine, county.admin, "TENT", NormRule("TENT", "household", 2), "v2")
    settings.set_floor(engine, county.admin, "T1", "WATER", 5)
    code = new_lot(engine, county.keeper, quantity=20)
    made = writeoffs.request(engine, county.keeper, NOW, writeoffs.NewRequest(lot=code, quantity=2, reason="damaged"))
    writeoffs.approve(engine, county.admin, NOW, TODAY, made["id"], "应急〔2026〕12号")
    r = sec_app.test_client().get("/api/v1/reports/expiry?format=csv&depot=T1", headers=bearer(county, "auditor"))
    assert r.status_code == 200
    assert [(e.kind, e.username) for e in events(engine)[-4:]] == [
        ("rule_change", "admin"), ("rule_change", "admin"), ("approval", "admin"), ("export", "auditor")]
    norm, floor, approval, export = [e.detail for e in events(engine)[-4:]]
    assert norm.startswith("norm of TENT set: version") and floor == "reserve floor T1 WATER = 5"
    assert approval == f"write-off BS-{made['id']} approved: {code} × 2, 应急〔2026〕12号"
    assert export == "expiry csv (direct); filters: depot=T1"


def test_a_limit_of_logins_at_once_ends_the_oldest_login(db_url, tmp_path, moment):
    app = make_app(db_url, tmp_path, SESSION_MAX_PER_ACCOUNT=1)
    engine = app.extensions["engine"]
    small_county(engine)
    office, phone = client_from(app, "10.0.0.4"), client_from(app, "10.0.0.5")
    assert login(office, "keeper", "keeper-pass").status_code == 302
    assert office.get("/depots/T1").status_code == 200
    moment.advance(minutes=1)
    assert login(phone, "keeper", "keeper-pass").status_code == 302
    r = office.get("/depots/T1")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert "您的账户已在其他设备登录" in office.get(r.headers["Location"]).get_data(as_text=True)
    assert phone.get("/depots/T1").status_code == 200
    assert events(engine, kind="timeout")[-1].detail == "session ended: more than 1 logins at once"
    # other accounts are not counted together
    assert login(office, "auditor", "auditor-pass").status_code == 302 and phone.get("/depots/T1").status_code == 200
    engine.dispose()


def test_the_phone_keeps_sending_with_its_device_token_after_its_browser_login_ended(sec_app, county, moment):
    phone = client_from(sec_app, "10.0.0.4")
    assert login(phone, "keeper", "keeper-pass").status_code == 302
    r = phone.post("/api/v1/tokens/device", json={"device": "phone-1"},
                   headers={"X-CSRFToken": csrf_token(phone, "/scan")})
    assert r.status_code == 201
    token = r.get_json()["token"]
    moment.advance(hours=13)  # idle and past the login's lifetime
    assert phone.get("/scan").headers["Location"].startswith("/login")
    assert phone.get("/api/v1/me").status_code == 401  # the login has ended ...
    me = phone.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["username"] == "keeper"  # ... the device token has not


def test_wrong_logins_arriving_at_once_count_no_more_than_the_lock_allows(sec_app, county, moment):
    """Twelve wrong passwords for one account at the same moment, from twelve addresses: the check and the record
    are one serialised transaction, so exactly five count and the other seven are refused as locked."""
    import threading

    engine = sec_app.extensions["engine"]
    rules = login_protection.login_rules(sec_app.config)
    start = threading.Barrier(12)
    outcomes = []

    def attempt(i):
        start.wait()
        try:
            login_protection.login(engine, "keeper", f"guess-{i}", f"10.1.0.{i}", rules, moment.now)
        except login_protection.LoginRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["refused"] * 12
    with Session(engine) as s:
        assert len(s.exec(select(LoginFailure).where(LoginFailure.username == "keeper")).all()) == 5
    logins = events(engine, kind="login", username="keeper")
    assert sorted(e.outcome for e in logins) == ["failure"] * 5 + ["locked"] * 7
    assert len(events(engine, kind="lock")) == 1
    with pytest.raises(login_protection.LoginRefused):  # and the right password after them
        login_protection.login(engine, "keeper", "keeper-pass", "10.2.0.1", rules, moment.now)
    assert security.verify(engine)["ok"]


def test_a_remember_me_cookie_of_an_earlier_version_logs_nobody_in(sec_app, county):
    from flask_login.utils import encode_cookie

    c = client_from(sec_app, "10.0.0.4")
    with sec_app.test_request_context():
        cookie = encode_cookie(f"{county.admin.user_id}.0")
    c.set_cookie("remember_token", cookie)
    r = c.get("/items")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert any(h.startswith("remember_token=;") for h in r.headers.getlist("Set-Cookie"))
