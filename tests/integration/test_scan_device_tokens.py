"""Device tokens for the scanning page (POST /api/v1/tokens/device), on SQLite and PostgreSQL: issued
only to a logged-in browser session with its CSRF token, acting with the user's own rights, lasting
beyond the session, and replaced when the same device asks again."""
import re
import uuid

import pytest

from tests.conftest import bearer, login
from tests.integration.helpers import ledger_lines, lot_quantity, new_lot

URL = "/api/v1/tokens/device"


def page_csrf(client) -> str:
    html = client.get("/scan").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def device_token(client, username, device="scan phone-1") -> str:
    assert login(client, username, f"{username}-pass").status_code == 302
    r = client.post(URL, json={"device": device}, headers={"X-CSRFToken": page_csrf(client)})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["username"] == username and body["name"] == f"device: {device}"
    return body["token"]


def auth(token: str, key: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


@pytest.fixture
def lots(engine, county):
    return {"t1": new_lot(engine, county.admin, depot="T1", code="LOT-T1", quantity=20),
            "t2": new_lot(engine, county.admin, depot="T2", code="LOT-T2", quantity=20)}


def test_a_logged_in_keeper_gets_a_device_token_that_acts_as_them(app, county):
    token = device_token(app.test_client(), "keeper")
    me = app.test_client().get("/api/v1/me", headers=auth(token))
    assert me.status_code == 200
    assert me.get_json() == {"username": "keeper", "role": "keeper", "depots": ["T1", "T1-V1"]}


def test_a_device_token_needs_the_pages_csrf_token(client, county):
    login(client, "keeper", "keeper-pass")
    r = client.post(URL, json={"device": "scan x"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "csrf"


def test_no_device_token_without_a_login(client, county):
    r = client.post(URL, json={"device": "scan x"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "not_authenticated"


def test_a_token_cannot_mint_device_tokens(client, county):
    r = client.post(URL, json={"device": "scan x"}, headers=bearer(county, "keeper"))
    assert r.status_code == 403


def test_the_device_must_be_named(client, county):
    login(client, "keeper", "keeper-pass")
    r = client.post(URL, json={}, headers={"X-CSRFToken": page_csrf(client)})
    assert r.status_code == 422 and "device" in r.get_json()["error"]["fields"]


def test_asking_again_from_the_same_device_retires_its_earlier_token(app, county):
    client = app.test_client()
    first = device_token(client, "keeper", "scan phone-1")
    other_device = device_token(client, "keeper", "scan phone-2")
    second = device_token(client, "keeper", "scan phone-1")
    api = app.test_client()
    assert api.get("/api/v1/me", headers=auth(first)).status_code == 401
    assert api.get("/api/v1/me", headers=auth(second)).status_code == 200
    assert api.get("/api/v1/me", headers=auth(other_device)).status_code == 200


def test_a_keepers_device_token_records_only_at_their_own_depots(app, engine, county, lots):
    token = device_token(app.test_client(), "keeper")
    api = app.test_client()
    r = api.post("/api/v1/ledger", json={"kind": "issue", "lot": "LOT-T1", "quantity": 3},
                 headers=auth(token, str(uuid.uuid4())))
    assert r.status_code == 201 and r.get_json()["entries"][0]["balance_after"] == 17
    r = api.post("/api/v1/ledger", json={"kind": "issue", "lot": "LOT-T2", "quantity": 3},
                 headers=auth(token, str(uuid.uuid4())))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_your_depot"
    assert api.get("/api/v1/lots/LOT-T2", headers=auth(token)).status_code == 403
    assert lot_quantity(engine, "LOT-T2") == 20


def test_an_auditors_device_token_reads_but_changes_nothing(app, engine, county, lots):
    token = device_token(app.test_client(), "auditor")
    api = app.test_client()
    assert api.get("/api/v1/lots/LOT-T2", headers=auth(token)).get_json()["quantity"] == 20
    r = api.post("/api/v1/ledger", json={"kind": "count", "lot": "LOT-T2", "counted": 0},
                 headers=auth(token, str(uuid.uuid4())))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "read_only"
    assert lot_quantity(engine, "LOT-T2") == 20


def test_a_queued_action_still_goes_through_after_logout_and_only_once(app, engine, county, lots):
    browser = app.test_client()
    token = device_token(browser, "keeper")
    browser.post("/logout", data={"csrf_token": page_csrf(browser)})
    assert browser.get("/scan").status_code == 302  # the session is over
    api, key = app.test_client(), str(uuid.uuid4())
    op = {"kind": "issue", "lot": "LOT-T1", "quantity": 2}
    first = api.post("/api/v1/ledger", json=op, headers=auth(token, key))
    again = api.post("/api/v1/ledger", json=op, headers=auth(token, key))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["replayed"] is True
    assert again.get_json()["entries"] == first.get_json()["entries"]
    assert [m.idempotency_key for m in ledger_lines(engine, "LOT-T1")].count(key) == 1
    assert lot_quantity(engine, "LOT-T1") == 18


def test_a_revoked_device_token_is_refused(app, county):
    token = device_token(app.test_client(), "keeper")
    api = app.test_client()
    assert api.delete("/api/v1/tokens/current", headers=auth(token)).status_code == 204
    r = api.get("/api/v1/me", headers=auth(token))
    assert r.status_code == 401
