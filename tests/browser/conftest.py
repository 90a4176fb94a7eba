"""Browser tier: the app served on a free localhost port from a background thread, on SQLite only,
driven by the Debian Chromium through Playwright (never `playwright install`)."""
from datetime import date, datetime, timedelta, timezone

import pytest

from common import clock
from common.i18n_build import compile_catalogs
from tests.browser.serving import serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in the county
TODAY = date(2026, 7, 1)


@pytest.fixture
def db_url(sqlite_template, tmp_path):
    """Overrides the root conftest's db_url (SQLite and PostgreSQL): one browser run on SQLite is enough,
    and `app`, `engine` and `county` from the root conftest are built on it."""
    import shutil

    path = tmp_path / "browser.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    compile_catalogs()


@pytest.fixture
def stocked(engine, county):
    """A few lots in the small county, one of them with a short history."""
    from inventory import services

    def ctx(actor, hours=0, **kw):
        return services.Context(actor=actor, now=NOW + timedelta(hours=hours), today=TODAY, **kw)

    def receive(depot, item, quantity, code, expires_on=None):
        services.receive(engine, ctx(county.admin), quantity=quantity, new_lot=services.NewLot(
            item=item, depot=depot, received_on=date(2026, 6, 1), expires_on=expires_on, code=code))

    receive("C1", "TENT", 40, "LOT-TENT-C1")
    receive("T1", "WATER", 100, "LOT-WATER-T1", expires_on=date(2027, 6, 1))
    receive("T1", "WATER", 7, "LOT-WATER-OLD", expires_on=TODAY - timedelta(days=3))
    receive("T1", "PUMP", 3, "LOT-PUMP-T1")
    receive("T1-V2", "TENT", 5, "LOT-TENT-V2")
    receive("T2", "WATER", 30, "LOT-WATER-T2", expires_on=date(2027, 3, 1))
    services.issue(engine, ctx(county.keeper, hours=1, reference="FF-7"), lot="LOT-WATER-T1", quantity=30)
    services.transfer(engine, ctx(county.keeper, hours=2), lot="LOT-WATER-T1", quantity=20, to_depot="T1-V1")


@pytest.fixture
def live_server(app, stocked):
    with serving(app) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Every page of a watched context reports what the Content-Security-Policy refused (common/security_headers.py)
# to the console; Chromium also logs its own "Refused to …" line there.
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) => console.error(
  "CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));"""


def watch_csp(context) -> list[str]:
    """The list that fills with every CSP violation any page of ``context`` (and its workers) reports."""
    violations: list[str] = []
    context.add_init_script(CSP_LISTENER)

    def seen(message):
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", seen)
    return violations


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    violations = watch_csp(context)
    yield context.new_page()
    context.close()
    assert not violations, "the Content-Security-Policy was broken:\n" + "\n".join(violations)


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    violations = watch_csp(context)
    yield context.new_page()
    context.close()
    assert not violations, "the Content-Security-Policy was broken:\n" + "\n".join(violations)
