"""The scanning page's one date helper (static/js/scan-format.js) writes times and dates as the other pages do:
2026年12月5日 15:03 in Chinese, 5 Dec 2026, 15:03 in English, in the phone's time zone."""
import pytest


@pytest.fixture
def shanghai_phone(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    yield context.new_page()
    context.close()


def test_the_scan_date_helper_writes_dates_as_the_pages_do(live_server, shanghai_phone):
    page = shanghai_phone
    page.goto(f"{live_server}/login")  # any page of the app: the module is imported from its origin
    shown = page.evaluate("""async () => {
        const f = await import('/static/js/scan-format.js');
        const at = '2026-12-05T07:03:00+00:00';
        return [f.formatDateTime(at, 'zh-CN'), f.formatDateTime(at, 'en'), f.formatDate('2027-06-01', 'zh-CN'),
                f.formatDate('2027-06-01', 'en'), f.formatDateTime('', 'zh-CN'), f.formatDate(null, 'en'),
                f.formatDateTime('2026-12-31T16:30:00Z', 'zh-CN')];
    }""")
    assert shown == ["2026年12月5日 15:03", "5 Dec 2026, 15:03", "2027年6月1日", "1 Jun 2027", "", "",
                     "2027年1月1日 00:30"]
