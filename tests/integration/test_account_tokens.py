"""A lost phone: one's live tokens listed and revoked at /account/tokens and through GET /api/v1/tokens and
DELETE /api/v1/tokens/<id> (one's own; administrators anyone's), and when each token was last used
(written at most once an hour); on SQLite and PostgreSQL."""
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from common import clock
from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import table_counts, text

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in the county


@pytest.fixture
def frozen(monkeypatch):
    """The clock the requests read (common.clock.now), moved by setting ``frozen.now``."""

    class Frozen:
        now = NOW

    monkeypatch.setattr(clock, "now", lambda: Frozen.now)
    return Frozen


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def device_token(app, username: str, device: str = "3f0c9a52-phone") -> str:
    """What the scanning page does on a phone: log in, then ask for a device token with the page's CSRF token."""
    browser = app.test_client()
    assert login(browser, username, f"{username}-pass").status_code == 302
    r = browser.post("/api/v1/tokens/device", json={"device": device},
                     headers={"X-CSRFToken": csrf_token(browser, "/scan")})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["token"]


def logged_in(app, username: str):
    client = app.test_client()
    assert login(client, username, f"{username}-pass").status_code == 302
    return client


def listed(client, headers=None, **query) -> list[dict]:
    r = client.get("/api/v1/tokens", query_string=query, headers=headers or {})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def token_id(client, token: str, name: str) -> int:
    """The id of the caller's live token of this name (the caller is the token's owner)."""
    return next(t["id"] for t in listed(client, auth(token)) if t["name"] == name)


def works(app, token: str) -> bool:
    return app.test_client().get("/api/v1/me", headers=auth(token)).status_code == 200


def last_used(engine, token_name: str, username: str):
    with engine.connect() as c:
        value = c.execute(sa.text(
            "select t.last_used_at from api_token t join user_account u on u.id = t.user_id "
            "where t.name = :name and u.username = :username and t.revoked_at is null"),
            {"name": token_name, "username": username}).scalar_one()
    if isinstance(value, str):  # SQLite, read without the column's type
        value = datetime.fromisoformat(value)
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def revoke_form(client, token_id: int, **extra):
    data = {"csrf_token": csrf_token(client, "/account/tokens"), **extra}
    return client.post(f"/account/tokens/{token_id}/revoke", data=data)


# ------------------------------------------------------------------ the page


def test_a_keeper_revokes_their_lost_phones_device_token_on_the_page_and_it_stops_working(app, county, frozen):
    phone = device_token(app, "keeper", "lost-phone")
    other = device_token(app, "keeper", "desk-phone")
    assert works(app, phone) and works(app, other)
    client = logged_in(app, "keeper")
    page = client.get("/account/tokens")
    assert page.status_code == 200
    body = text(page)
    assert "我的设备与令牌" in body and "lost-phone" in body and "desk-phone" in body
    assert phone not in page.get_data(as_text=True)

    r = revoke_form(client, token_id(app.test_client(), other, "device: lost-phone"))
    assert r.status_code == 302 and r.headers["Location"] == "/account/tokens"
    assert not works(app, phone)
    assert works(app, other) and works(app, county.tokens["keeper"])  # the others keep working
    after = text(client.get("/account/tokens"))
    assert "已吊销" in after and "lost-phone" in after  # the flash names it once…
    assert "lost-phone" not in text(client.get("/account/tokens"))  # …and the list no longer has it


def test_the_page_lists_only_ones_own_tokens_for_anyone_but_an_administrator(app, county):
    device_token(app, "keeper2", "keeper2-phone")
    for who in ("keeper", "auditor", "dispatcher"):
        page = logged_in(app, who).get("/account/tokens")
        html_text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert html_text.count("data-token-id=") == 1 and f'data-username="{who}"' in html_text
        assert "keeper2-phone" not in html_text and 'id="everyone"' not in html_text
        # ?username= is an administrator's filter; anyone else still sees only their own
        assert "keeper2-phone" not in logged_in(app, who).get("/account/tokens?username=keeper2").get_data(
            as_text=True)


def test_a_keeper_cannot_revoke_another_keepers_token_on_the_page(app, engine, county):
    phone = device_token(app, "keeper2", "keeper2-phone")
    target = token_id(app.test_client(), phone, "device: keeper2-phone")
    before = table_counts(engine)
    client = logged_in(app, "keeper")
    r = revoke_form(client, target)
    assert r.status_code == 403
    assert works(app, phone) and table_counts(engine) == before
    assert revoke_form(client, 999_999).status_code == 404


def test_the_revoke_form_needs_its_csrf_token(app, county):
    phone = device_token(app, "keeper", "p1")
    client = logged_in(app, "keeper")
    r = client.post(f"/account/tokens/{token_id(app.test_client(), phone, 'device: p1')}/revoke", data={})
    assert r.status_code == 400 and "表单的安全令牌缺失或已过期" in text(r)
    assert works(app, phone)


def test_the_page_needs_a_login(client, county):
    r = client.get("/account/tokens")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_an_administrator_sees_every_users_tokens_filters_them_and_revokes_any(app, county):
    phone = device_token(app, "keeper2", "keeper2-phone")
    admin = logged_in(app, "admin")
    page = admin.get("/account/tokens").get_data(as_text=True)
    assert 'id="everyone"' in page and "keeper2-phone" in page
    own = page[page.index('id="own"'):page.index('id="everyone"')]
    assert set(re.findall(r'data-username="([^"]+)"', own)) == {"admin"}  # their own first, apart
    assert {"admin", "dispatcher", "keeper", "keeper2", "auditor"} <= set(re.findall(r'data-username="([^"]+)"', page))

    only = admin.get("/account/tokens?username=keeper2").get_data(as_text=True)
    everyone = only[only.index('id="everyone"'):]
    assert set(re.findall(r'data-username="([^"]+)"', everyone)) == {"keeper2"}
    assert "没有使用中的令牌" in text(admin.get("/account/tokens?username=nobody"))

    target = token_id(app.test_client(), phone, "device: keeper2-phone")
    r = revoke_form(admin, target, username="keeper2")
    assert r.status_code == 302 and r.headers["Location"] == "/account/tokens?username=keeper2"
    assert not works(app, phone) and works(app, county.tokens["keeper2"])
    assert "keeper2" in text(admin.get(r.headers["Location"]))  # the flash names whose token it was


def test_the_page_in_chinese_and_in_english(app, county, frozen):
    device_token(app, "keeper", "p1")
    assert app.test_client().get("/api/v1/me", headers=bearer(county, "keeper")).status_code == 200  # last used
    client = logged_in(app, "keeper")
    zh = text(client.get("/account/tokens"))
    for words in ("我的设备与令牌", "手机（扫码页）", "API 令牌", "签发时间", "最近使用", "吊销", "2026年7月1日 10:00"):
        assert words in zh, words
    en = text(client.get("/account/tokens?lang=en"))
    for words in ("My devices and tokens", "Phone (scanning page)", "API token", "Issued", "Last used",
                  "Revoke", "Not used yet", "1 Jul 2026, 10:00"):
        assert words in en, words
    assert "我的设备与令牌" not in en


def test_the_user_menu_links_to_the_page(app, county):
    client = logged_in(app, "auditor")
    page = client.get("/items").get_data(as_text=True)
    assert 'href="/account/tokens"' in page and "我的设备与令牌" in page


# ------------------------------------------------------------------ the API


def test_the_api_lists_own_tokens_without_secrets(app, engine, county):
    phone = device_token(app, "keeper", "p1")
    api = app.test_client()
    r = api.get("/api/v1/tokens", headers=auth(phone))
    assert r.status_code == 200
    tokens = r.get_json()
    assert sorted((t["kind"], t["name"], t["device"], t["username"]) for t in tokens) == [
        ("api", "test", None, "keeper"), ("device", "device: p1", "p1", "keeper")]
    assert all(set(t) == {"id", "name", "kind", "device", "username", "created_at", "last_used_at"} for t in tokens)
    with engine.connect() as c:
        hashes = c.execute(sa.text("select token_hash from api_token")).scalars().all()
    body = r.get_data(as_text=True)
    assert phone not in body and county.tokens["keeper"] not in body and not any(h in body for h in hashes)


def test_an_auditor_lists_only_their_own_and_may_not_ask_for_anothers(client, county):
    assert {t["username"] for t in listed(client, bearer(county, "auditor"))} == {"auditor"}
    assert {t["username"] for t in listed(client, bearer(county, "auditor"), username="auditor")} == {"auditor"}
    r = client.get("/api/v1/tokens?username=keeper", headers=bearer(county, "auditor"))
    assert r.status_code == 403 and r.get_json()["error"]["field"] == "username"
    # read-only as the role is, an auditor may still revoke their own (lost) phone's token
    own = next(t["id"] for t in listed(client, bearer(county, "auditor")))
    assert client.delete(f"/api/v1/tokens/{own}", headers=bearer(county, "auditor")).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(county, "auditor")).status_code == 401


def test_an_administrator_lists_everyones_or_one_users(client, county):
    admin = bearer(county, "admin")
    assert {t["username"] for t in listed(client, admin)} == {"admin", "dispatcher", "keeper", "keeper2", "auditor"}
    assert {t["username"] for t in listed(client, admin, username="keeper2")} == {"keeper2"}
    assert listed(client, admin, username="nobody") == []


def test_a_keeper_revokes_their_own_device_token_through_the_api(app, county):
    phone = device_token(app, "keeper", "p1")
    api = app.test_client()
    target = token_id(api, phone, "device: p1")
    assert api.delete(f"/api/v1/tokens/{target}", headers=bearer(county, "keeper")).status_code == 204
    assert not works(app, phone)
    r = api.get("/api/v1/me", headers=auth(phone))
    assert r.status_code == 401 and "revoked" in r.get_json()["error"]["message"]
    assert "device: p1" not in [t["name"] for t in listed(api, bearer(county, "keeper"))]
    # a retried DELETE (its answer lost) is answered the same and changes nothing
    assert api.delete(f"/api/v1/tokens/{target}", headers=bearer(county, "keeper")).status_code == 204


def test_a_keeper_cannot_revoke_another_keepers_token_through_the_api(app, engine, county):
    api = app.test_client()
    target = token_id(api, county.tokens["keeper2"], "test")
    before = table_counts(engine)
    r = api.delete(f"/api/v1/tokens/{target}", headers=bearer(county, "keeper"))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert works(app, county.tokens["keeper2"]) and table_counts(engine) == before
    r = api.delete(f"/api/v1/tokens/{target}", headers=bearer(county, "auditor"))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert works(app, county.tokens["keeper2"])
    assert api.delete("/api/v1/tokens/999999", headers=bearer(county, "keeper")).status_code == 404


def test_an_administrator_revokes_anyones_token_through_the_api(app, county):
    phone = device_token(app, "keeper2", "p2")
    api = app.test_client()
    target = token_id(api, phone, "device: p2")
    assert api.delete(f"/api/v1/tokens/{target}", headers=bearer(county, "admin")).status_code == 204
    assert not works(app, phone) and works(app, county.tokens["keeper2"])


def test_a_browser_session_revokes_through_the_api_only_with_its_csrf_token(app, county):
    phone = device_token(app, "keeper", "p1")
    target = token_id(app.test_client(), phone, "device: p1")
    client = logged_in(app, "keeper")
    r = client.delete(f"/api/v1/tokens/{target}")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "csrf" and works(app, phone)
    r = client.delete(f"/api/v1/tokens/{target}", headers={"X-CSRFToken": csrf_token(client, "/account/tokens")})
    assert r.status_code == 204 and not works(app, phone)


def test_the_new_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/tokens"])
    assert "delete" in paths["/api/v1/tokens/{token_id}"]


def test_listing_and_revoking_need_a_token_or_a_session(client, county):
    assert client.get("/api/v1/tokens").status_code == 401
    assert client.delete("/api/v1/tokens/1").status_code == 401


# ------------------------------------------------------------------ last used


def test_last_used_is_set_on_use_and_not_rewritten_within_the_hour(app, engine, county, frozen):
    api = app.test_client()
    assert last_used(engine, "test", "keeper") is None
    assert api.get("/api/v1/me", headers=bearer(county, "keeper")).status_code == 200
    assert last_used(engine, "test", "keeper") == NOW
    assert last_used(engine, "test", "keeper2") is None  # only the token sent

    frozen.now = NOW + timedelta(minutes=59)
    api.get("/api/v1/me", headers=bearer(county, "keeper"))
    assert last_used(engine, "test", "keeper") == NOW

    frozen.now = NOW + timedelta(minutes=61)
    api.get("/api/v1/me", headers=bearer(county, "keeper"))
    assert last_used(engine, "test", "keeper") == NOW + timedelta(minutes=61)
    listed_mark = next(t for t in listed(api, bearer(county, "keeper")) if t["name"] == "test")["last_used_at"]
    assert datetime.fromisoformat(listed_mark) == NOW + timedelta(minutes=61)


def test_a_fresh_mark_costs_no_write_on_most_requests(app, engine, county, frozen):
    """One SELECT per request; an UPDATE of api_token only when the mark is over an hour old."""
    api = app.test_client()
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        for _ in range(5):
            assert api.get("/api/v1/me", headers=bearer(county, "keeper")).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE API_TOKEN")]
    assert len(updates) == 1
    token_selects = [s for s in statements if "FROM api_token" in s]
    assert len(token_selects) == 5


def test_the_mark_is_written_once_when_two_requests_find_it_stale(engine, county):
    """The UPDATE is conditional: a request that read the old mark just after another wrote it writes nothing."""
    from accounts import services

    target = _id_of(engine, "keeper")
    services._mark_used(engine, target, NOW)
    services._mark_used(engine, target, NOW + timedelta(minutes=5))  # it too had found the mark empty
    assert last_used(engine, "test", "keeper") == NOW


def _id_of(engine, username: str) -> int:
    with engine.connect() as c:
        return c.execute(sa.text("select t.id from api_token t join user_account u on u.id = t.user_id "
                                 "where u.username = :u and t.name = 'test'"), {"u": username}).scalar_one()


def test_a_revoked_token_is_not_marked(app, engine, county, frozen):
    api = app.test_client()
    target = _id_of(engine, "keeper")
    assert api.delete(f"/api/v1/tokens/{target}", headers=bearer(county, "admin")).status_code == 204
    frozen.now = NOW + timedelta(hours=3)
    assert api.get("/api/v1/me", headers=bearer(county, "keeper")).status_code == 401
    with engine.connect() as c:
        assert c.execute(sa.text("select last_used_at from api_token where id = :id"), {"id": target}).scalar() is None


# ------------------------------------------------------------------ signing out on every device


def sign_out_form(client, **extra):
    data = {"csrf_token": csrf_token(client, "/account/tokens"), **extra}
    return client.post("/account/sign-out-everywhere", data=data)


def test_signing_out_everywhere_ends_every_login_of_the_user_and_revokes_their_tokens(app, county, frozen):
    lost_phone = logged_in(app, "keeper")  # still logged in in the lost phone's browser
    phone_token = device_token(app, "keeper", "lost-phone")
    desk = logged_in(app, "keeper")
    colleague = logged_in(app, "keeper2")
    assert lost_phone.get("/scan").status_code == 200
    live = len(listed(desk))
    assert live >= 1
    r = sign_out_form(desk)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert f"您已在所有设备上退出登录；吊销了 {live} 个令牌。" in text(desk.get("/login"))
    for client in (lost_phone, desk):
        r = client.get("/scan")
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), "still logged in"
    assert not works(app, phone_token)
    assert colleague.get("/scan").status_code == 200  # another user's login is untouched
    again = logged_in(app, "keeper")  # a fresh login works as before
    assert again.get("/scan").status_code == 200


def test_only_an_administrator_signs_out_someone_else(app, county, engine, frozen):
    victim = logged_in(app, "keeper2")
    keeper = logged_in(app, "keeper")
    before = table_counts(engine)
    assert sign_out_form(keeper, username="keeper2").status_code == 403
    assert table_counts(engine) == before and victim.get("/scan").status_code == 200
    admin = logged_in(app, "admin")
    r = sign_out_form(admin, username="keeper2")
    assert r.status_code == 302 and r.headers["Location"] == "/account/tokens?username=keeper2"
    assert "keeper2 已在所有设备上退出登录" in text(admin.get(r.headers["Location"]))
    assert victim.get("/scan").status_code == 302
    assert sign_out_form(admin, username="nobody").status_code == 404


def test_signing_out_everywhere_needs_the_forms_csrf_token(app, county):
    client = logged_in(app, "keeper")
    assert client.post("/account/sign-out-everywhere", data={}).status_code == 400
    assert client.get("/scan").status_code == 200
