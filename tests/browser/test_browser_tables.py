"""Every page's tables in a real Chromium, at 1280 px and on a 390 px phone, in Chinese and in English: no code,
number, date or time in a table cell is broken over two lines, and no page scrolls sideways or cuts a table off
(a table wider than the space it has must sit in a box that scrolls). Pages: tests/browser/page_list.py
(every GET page route, one instance of each with parameters), on the demo county with an incident, its
orders and a count. Then the phone header, the menu button and the column chooser.

What a cell holds is found by its text (the patterns below), not by the classes the templates give, and
whether a token wraps is measured with a DOM Range over it: all its line boxes on one line."""
import shutil

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, NOW, PHONE, TODAY, watch_csp
from tests.browser.page_list import load_demo, page_paths
from tests.browser.serving import serving

pytestmark = pytest.mark.browser

# Tokens that must stay on one line (JavaScript regular expression): codes (T16-V08, L0-0007-54, DO-1-1,
# L000754), dates (2026-07-13, 2026年7月13日, 2026/7/13, Jul 13, 2026, 13 Jul 2026), times (15:03, 15:03:07),
# numbers of two characters or more (6,020, 13.5, −1, 72%).
TOKEN = "|".join([
    r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+",
    r"[A-Z]{1,3}\d{3,}",
    r"\d{4}-\d{1,2}-\d{1,2}",
    r"\d{4}年\d{1,2}月\d{1,2}日",
    r"\d{4}/\d{1,2}/\d{1,2}",
    r"[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}",
    r"\d{1,2} [A-Z][a-z]{2,8} \d{4}",
    r"\d{1,2}:\d{2}(?::\d{2})?",
    r"[+−-]?\d(?:[\d,.]*\d)?%?",
])

MEASURE = """(pattern) => {
  const re = new RegExp(pattern, 'gu');
  const broken = [];
  let tokens = 0;
  for (const cell of document.querySelectorAll('main table td, main table th')) {
    if (!cell.getClientRects().length) continue;  // a hidden column or section
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement.getClientRects().length) continue;
      for (const m of node.data.matchAll(re)) {
        if (m[0].length < 2) continue;
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
        if (!rects.length) continue;
        tokens++;
        const tops = rects.map(r => r.top), height = Math.min(...rects.map(r => r.height));
        if (Math.max(...tops) - Math.min(...tops) > height / 2) {
          broken.push(m[0] + ' in «' + cell.textContent.replace(/\\s+/g, ' ').trim().slice(0, 60) + '»');
        }
      }
    }
  }
  // a table wider than its box must have a box that scrolls sideways (nothing cut off)
  const cut = [];
  for (const table of document.querySelectorAll('main table')) {
    if (!table.getClientRects().length) continue;
    const width = table.getBoundingClientRect().width;
    for (let box = table.parentElement; box && box !== document.body; box = box.parentElement) {
      if (box.clientWidth + 1 >= width) continue;
      const overflow = getComputedStyle(box).overflowX;
      if (overflow !== 'auto' && overflow !== 'scroll') cut.push((table.className || 'table') + ' in ' + box.tagName + '.' + box.className);
      break;
    }
  }
  const page = document.scrollingElement.scrollWidth <= window.innerWidth + 1;
  return {broken, tokens, cut, page};
}"""

OPEN_ALL = """() => {
  document.querySelectorAll('main details:not(.col-chooser)').forEach(d => { d.open = true; });
}"""
SHOW_OPTIONAL = "() => document.querySelectorAll('.rtable .opt').forEach(c => c.classList.add('col-on'))"


@pytest.fixture(scope="module")
def demo_server(sqlite_template, tmp_path_factory, compiled_catalogs):
    """The demo county served from a thread for this module's tests (built once: it takes a few seconds)."""
    from app import create_app

    path = tmp_path_factory.mktemp("tables") / "demo.db"
    shutil.copy(sqlite_template, path)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "test-secret",
                      "BASE_URL": "http://testserver", "DEMO": True})
    engine = app.extensions["engine"]
    load_demo(engine, TODAY, NOW)
    paths = page_paths(app, engine)
    with serving(app, "tables-server") as port:
        yield f"http://127.0.0.1:{port}", paths
    engine.dispose()


def open_page(browser, viewport, base):
    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, device_scale_factor=2 if phone else 1, is_mobile=phone,
                                  has_touch=phone, locale="zh-CN")
    context.csp_violations = watch_csp(context)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "demo-admin-2026")
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/")
    return context, page


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_code_number_or_date_wraps_in_a_table_cell_on_any_page(browser, demo_server, size, lang):
    base, paths = demo_server
    context, page = open_page(browser, DESKTOP if size == "desktop" else PHONE, base)
    problems, measured, tables = [], 0, 0
    try:
        for path in paths:
            sep = "&" if "?" in path else "?"
            response = page.goto(f"{base}{path}{sep}lang={lang}")
            assert response.status == 200, f"{path}: {response.status}"
            page.evaluate(OPEN_ALL)
            for shown in ("default columns", "every column"):
                if shown == "every column":
                    page.evaluate(SHOW_OPTIONAL)
                found = page.evaluate(MEASURE, TOKEN)
                measured += found["tokens"]
                problems += [f"{path}: {b}" for b in found["broken"]]
                problems += [f"{path}: cut off: {c}" for c in found["cut"]]
                if not found["page"]:
                    problems.append(f"{path} ({shown}): the page scrolls sideways")
            tables += page.locator("main table").count()
    finally:
        context.close()
    assert not problems, f"{len(problems)} problems at {size} in {lang}:\n" + "\n".join(dict.fromkeys(problems))
    assert not context.csp_violations, "every page keeps to its Content-Security-Policy:\n" + "\n".join(
        dict.fromkeys(context.csp_violations))
    assert tables > 40 and measured > 2000, (tables, measured)  # the pages did have tables with figures in them


def test_phone_header_menu_and_column_chooser(browser, demo_server):
    base, _ = demo_server
    context, page = open_page(browser, PHONE, base)
    try:
        page.goto(base + "/audit/rotation?lang=zh_Hans_CN")
        header = page.locator("header.site-header").bounding_box()
        assert header["height"] <= 0.15 * PHONE["height"], header
        nav = page.get_by_role("navigation", name="主导航")
        expect(nav).to_be_hidden()
        page.locator(".nav-menu > summary").click()
        expect(nav.get_by_role("link", name="物资目录")).to_be_visible()
        page.locator(".nav-menu > summary").click()

        table = page.locator("table.report-rotation-1")
        storage = table.locator("thead th[data-col=storage]")
        expect(storage).to_be_hidden()  # optional: hidden by default
        expect(table.locator("thead th[data-col=lot]")).to_be_visible()
        chooser = page.locator(".col-chooser").first
        chooser.locator("summary").click()
        chooser.get_by_label("储备方式").check()
        expect(storage).to_be_visible()
        chooser.get_by_label("批次").uncheck()
        expect(table.locator("thead th[data-col=lot]")).to_be_hidden()
        expect(table.locator("tbody tr").first.locator("td").nth(5)).to_be_hidden()  # the lot column's cells too

        page.reload()  # remembered for this table
        expect(storage).to_be_visible()
        expect(table.locator("thead th[data-col=lot]")).to_be_hidden()
        chooser = page.locator(".col-chooser").first
        chooser.locator("summary").click()
        chooser.get_by_role("button", name="恢复默认列").click()
        expect(storage).to_be_hidden()
        expect(table.locator("thead th[data-col=lot]")).to_be_visible()

        # the headings stay in view while the rows scroll inside their box
        wrap = page.locator(".table-wrap", has=table)
        wrap.evaluate("w => { w.scrollTop = 600; }")
        head = table.locator("thead th[data-col=lot]").bounding_box()
        box = wrap.bounding_box()
        assert abs(head["y"] - box["y"]) < 3, (head, box)
    finally:
        context.close()


def test_desktop_menu_fits_one_row(browser, demo_server):
    base, _ = demo_server
    context, page = open_page(browser, DESKTOP, base)
    try:
        for lang, name in (("zh_Hans_CN", "主导航"), ("en", "Main")):
            page.goto(f"{base}/items?lang={lang}")
            links = page.get_by_role("navigation", name=name).get_by_role("link")
            assert links.count() == 12  # an administrator sees 系统管理 as well
            tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
            assert len(tops) == 1, (lang, tops)
    finally:
        context.close()
