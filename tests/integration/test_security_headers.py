"""Security headers on every answer, secure cookies behind HTTPS, and 413 for a body over the size limit as a
page (the JSON API's 413 is in test_input_limits.py)."""
import re

import pytest

from tests.conftest import bearer, csrf_token, login


@pytest.fixture
def https_app(db_url):
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "t", "BASE_URL": "https://testserver",
                      "HTTPS": True, "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True})
    yield app
    app.extensions["engine"].dispose()


def test_every_kind_of_answer_carries_the_security_headers(client, county):
    login(client, "dispatcher", "dispatcher-pass")
    answers = {
        "page": client.get("/incidents/new"),
        "api": client.get("/api/v1/depots", headers=bearer(county, "auditor")),
        "static": client.get("/static/css/app.css"),
        "error": client.get("/no-such-page"),
        "docs": client.get("/api/v1/docs"),
    }
    answers["static"].close()
    for kind, r in answers.items():
        assert r.headers["X-Content-Type-Options"] == "nosniff", kind
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], kind
        assert r.headers["Referrer-Policy"] == "same-origin", kind
        assert "camera=(self)" in r.headers["Permissions-Policy"], kind
        assert "Strict-Transport-Security" not in r.headers, kind  # served over plain HTTP
    page = answers["page"]
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert scripts and all(f'nonce="{nonce}"' in attrs for attrs in scripts)  # every inline script carries it
    assert not re.search(r"\son[a-z]+=", html) and ' style="' not in html
    assert "'unsafe-inline'" in answers["docs"].headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]


def test_behind_https_cookies_are_secure_and_answers_ask_for_https(https_app, county):
    client = https_app.test_client()
    r = client.post("/login?lang=en", data={"username": "keeper", "password": "keeper-pass",
                                            "csrf_token": csrf_token(client)})
    assert r.status_code == 302
    cookies = r.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies), cookies
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_form_over_the_size_limit_is_a_413_page_in_chinese(county, db_url):
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "t", "MAX_CONTENT_LENGTH": 1000})
    try:
        client = app.test_client()
        r = client.post("/login", data={"username": "keeper", "password": "x" * 2000})
        assert r.status_code == 413 and r.mimetype == "text/html"
        assert "提交的内容过大。" in r.get_data(as_text=True)
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    finally:
        app.extensions["engine"].dispose()


def test_only_imports_and_photos_may_send_more_than_the_ordinary_limit(client, engine, county):
    from tests.integration.helpers import snapshot

    big = 1024 * 1024 + 10  # over MAX_CONTENT_LENGTH (1 MiB), under MAX_UPLOAD_LENGTH (8 MiB)
    before = snapshot(engine)
    r = client.post("/api/v1/ledger", data='{"kind": "issue", "lot": "X", "quantity": 1, "note": "%s"}' % ("x" * big),
                    content_type="application/json", headers=bearer(county, "keeper"))
    assert r.status_code == 413 and r.json["error"]["status"] == 413
    csv = "depot,site,minutes\n" + "NOPE,NOPE,5\n" * (big // 12 + 1)
    r = client.put("/api/v1/travel-times.csv", data=csv.encode(), content_type="text/csv",
                   headers=bearer(county, "admin"))
    assert r.status_code == 422  # read whole and every row checked (unknown codes), not refused for its size
    assert snapshot(engine) == before
