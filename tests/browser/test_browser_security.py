"""The API's Swagger UI page under its own Content-Security-Policy (common/security_headers.py): it renders
every operation and reports no violation (the `desktop` fixture fails on any)."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_swagger_ui_page_renders_under_its_own_policy(live_server, desktop):
    response = desktop.goto(live_server + "/api/v1/docs")
    assert "'unsafe-inline'" in response.headers["content-security-policy"]
    expect(desktop.locator(".opblock").first).to_be_visible(timeout=30000)
    assert desktop.locator(".opblock").count() > 50
    page = desktop.goto(live_server + "/login")
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
