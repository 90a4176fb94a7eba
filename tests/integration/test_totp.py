"""Two-step verification (accounts/totp.py): enrolment with a QR code and recovery codes, the code asked after
the password (pages and POST /api/v1/tokens), roles that must use it, and an administrator's reset. Codes come
from pyotp at the frozen clock (common.clock), never from waiting."""
import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from accounts import totp
from common import clock
from tests.conftest import csrf_token, login
from tests.integration.helpers import NOW

LATER = NOW + timedelta(minutes=2)  # four 30-second steps on: a new code


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    moment = {"now": NOW}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return moment


def enrol(client, at):
    """The keeper sets up two-step verification on the page; returns (secret, recovery codes)."""
    r = client.post("/account/totp", data={"action": "begin", "csrf_token": csrf_token(client, "/account/totp")})
    assert r.status_code == 302
    page = client.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'<code class="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    assert 'src="data:image/png;base64,' in page  # the QR code for the app
    r = client.post("/account/totp", data={"code": pyotp.TOTP(secret).at(at),
                                           "csrf_token": csrf_token(client, "/account/totp")})
    assert r.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", r.get_data(as_text=True))
    return secret, codes


def password_step(client, username="keeper"):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    return login(client, username, f"{username}-pass")


def test_enrolment_then_every_login_asks_for_a_fresh_code_or_a_recovery_code_once(client, engine, county, frozen):
    login(client, "keeper", "keeper-pass")
    secret, codes = enrol(client, NOW)
    assert len(codes) == 10 and len(set(codes)) == 10
    with engine.connect() as c:  # stored hashed
        stored = c.execute(sa.text("select code_hash from totp_recovery_code")).scalars().all()
    assert len(stored) == 10 and not set(c.replace("-", "") for c in codes) & set(stored)

    r = password_step(client)
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/code")
    assert client.get("/").status_code == 302  # not logged in yet
    token = csrf_token(client, "/login/code")
    r = client.post("/login/code", data={"code": "000000", "csrf_token": token})
    assert r.status_code == 401
    r = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(NOW), "csrf_token": token})
    assert r.status_code == 401  # the code of the enrolment was used already
    frozen["now"] = LATER
    r = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(LATER), "csrf_token": token})
    assert r.status_code == 302 and client.get("/").status_code == 200

    password_step(client)
    r = client.post("/login/code", data={"code": codes[0].upper(), "csrf_token": csrf_token(client, "/login/code")})
    assert r.status_code == 302 and client.get("/").status_code == 200
    assert totp.status(engine, county.keeper.user_id)["recovery_codes_left"] == 9
    password_step(client)
    r = client.post("/login/code", data={"code": codes[0], "csrf_token": csrf_token(client, "/login/code")})
    assert r.status_code == 401  # each recovery code works once
    with engine.connect() as c:  # each step is in the security log (accounts.security)
        events = c.execute(sa.text("select outcome, detail from security_event where kind = 'second_factor' "
                                   "and username = 'keeper' order by id")).all()
    assert [tuple(e) for e in events] == [("success", "enrolled"), ("failure", "page: code"), ("failure", "page: code"),
                                          ("success", "page: code"), ("success", "page: recovery code"),
                                          ("failure", "page: code")]


def test_five_wrong_codes_send_the_user_back_to_the_password(client, engine, county):
    secret = totp.begin(engine, county.keeper, NOW)
    totp.confirm(engine, county.keeper, pyotp.TOTP(secret).at(NOW), NOW)
    password_step(client)
    token = csrf_token(client, "/login/code")
    for _ in range(4):
        assert client.post("/login/code", data={"code": "123456", "csrf_token": token}).status_code == 401
    r = client.post("/login/code", data={"code": "123456", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    r = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(LATER), "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")  # the password again first


def test_a_role_that_must_use_it_is_sent_to_set_it_up_and_gets_no_api_token_until_then(client, engine, county,
                                                                                        frozen):
    login(client, "admin", "admin-pass")
    r = client.post("/admin/security", data={"roles": ["keeper"], "csrf_token": csrf_token(client, "/admin/security")})
    assert r.status_code == 302 and totp.required_roles(engine) == {"keeper"}
    r = client.post("/api/v1/tokens", json={"username": "keeper", "password": "keeper-pass"})
    assert r.status_code == 403 and r.json["error"]["message_code"] == "totp_enrolment_required"

    r = password_step(client, "keeper")
    assert r.status_code == 302 and "/account/totp" in r.headers["Location"]
    r = client.get("/depots/T1")
    assert r.status_code == 302 and "/account/totp" in r.headers["Location"]
    secret, _codes = enrol(client, NOW)
    assert client.get("/depots/T1").status_code == 200

    r = client.post("/api/v1/tokens", json={"username": "keeper", "password": "keeper-pass"})
    assert r.status_code == 401 and r.json["error"]["field"] == "totp"
    r = client.post("/api/v1/tokens", json={"username": "keeper", "password": "keeper-pass", "totp": "999999"})
    assert r.status_code == 401 and r.json["error"]["message_code"] == "totp_wrong"
    frozen["now"] = LATER
    r = client.post("/api/v1/tokens", json={"username": "keeper", "password": "keeper-pass",
                                            "totp": pyotp.TOTP(secret).at(LATER)})
    assert r.status_code == 201 and r.json["token"]


def test_an_administrator_resets_a_lost_phone_and_the_change_log_says_so(client, engine, county):
    secret = totp.begin(engine, county.keeper, NOW)
    totp.confirm(engine, county.keeper, pyotp.TOTP(secret).at(NOW), NOW)
    login(client, "admin", "admin-pass")
    page = client.get("/admin/users/keeper").get_data(as_text=True)
    assert "10" in re.search(r'<p id="totp-state">(.*?)</p>', page, re.S).group(1)
    r = client.post("/admin/users/keeper/reset-totp", data={"csrf_token": csrf_token(client, "/admin/users/keeper")})
    assert r.status_code == 302
    assert not totp.status(engine, county.keeper.user_id)["enrolled"]
    with engine.connect() as c:
        assert c.execute(sa.text("select action from admin_change where subject = 'keeper'")).scalars().all() == [
            "totp_reset"]
        assert c.execute(sa.text("select count(*) from totp_recovery_code")).scalar_one() == 0
        assert c.execute(sa.text("select username, detail from security_event where kind = 'second_factor' "
                                 "order by id desc limit 1")).one() == ("admin", "reset for keeper")
    other = client.application.test_client()
    r = login(other, "keeper", "keeper-pass")
    assert r.status_code == 302 and not r.headers["Location"].endswith("/login/code")
