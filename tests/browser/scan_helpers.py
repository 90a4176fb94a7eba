"""What the scanning page's browser tests share: a live server that notes every request it answers, and
logging in on a phone-sized page."""
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.serving import serving

# Resolves once a service worker controls the page. (page.wait_for_function evaluates its string with eval,
# which the Content-Security-Policy refuses; page.evaluate is not subject to it.)
SW_CONTROLS = """() => navigator.serviceWorker.controller ? true : new Promise((resolve) =>
  navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true)))"""


class RequestLog:
    """WSGI middleware: (method, path) of every request the server answered, to prove what it did not see."""

    def __init__(self, app):
        self.app, self.seen = app, []

    def __call__(self, environ, start_response):
        self.seen.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        return self.app(environ, start_response)

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.seen if (m, p) == (method, path))


@pytest.fixture
def scan_server(app, stocked):
    """Like conftest's live_server, on http://localhost (a secure context: service workers and the camera
    work there), with a request log."""
    log = RequestLog(app.wsgi_app)
    app.wsgi_app = log
    with serving(app, "scan-server") as port:
        yield f"http://localhost:{port}", log


def log_in(page: Page, base: str, username: str, password: str, then: str = "/scan") -> None:
    page.goto(base + then)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + then)


def ready(page: Page) -> None:
    """The page's script started, has its device token and (for a keeper) the lots for offline use."""
    expect(page.locator("body")).to_have_attribute("data-scan-ready", "1", timeout=30000)
    expect(page.locator("#token-state")).to_contain_text("设备令牌")
    expect(page.locator("#token-state")).not_to_contain_text("还没有")


def scan(page: Page, text: str) -> None:
    """Types a code and Enter, as a hardware scanner does."""
    page.locator("#code").fill(text)
    page.locator("#code").press("Enter")
