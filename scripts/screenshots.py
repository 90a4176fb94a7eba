"""`make screenshots`: full-page PNGs of every page of the app at 1280 px and on a 390 × 844 phone, in Chinese
and in English, for a person to look at. Not a test: nothing is asserted.

The demo county (plus an incident with its plan and orders, and a count under way: tests/browser/page_list.py) is
loaded into a throwaway SQLite database, served on a free localhost port from a thread, and visited in the
Debian Chromium as the administrator (who may read every page). The PNGs go to screenshots/ (not committed),
named <size>-<lang>-<page>.png; the list is printed at the end.

    .venv/bin/python scripts/screenshots.py [--out DIR] [--only SUBSTRING ...]
"""
import argparse
import os
import re
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGS = ("zh_Hans_CN", "en")


def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="screenshots-server", daemon=True).start()
    return server


def file_name(size: str, lang: str, path: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "depot-tree"
    return f"{size}-{'zh' if lang.startswith('zh') else 'en'}-{slug}.png"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--only", nargs="*", default=[], help="only pages whose path contains one of these")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from app import create_app
    from common import clock
    from common.i18n_build import compile_catalogs
    from common.migrate import upgrade
    from tests.browser.page_list import load_demo, page_paths

    compile_catalogs()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reliefdepot-shots-") as tmp:
        url = f"sqlite:///{os.path.join(tmp, 'demo.db')}"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": os.urandom(16).hex(), "BASE_URL": "http://127.0.0.1",
                          "DEMO": True})
        engine = app.extensions["engine"]
        now = clock.now()
        load_demo(engine, clock.local_today(now, app.config["TIMEZONE"]), now)
        paths = [p for p in page_paths(app, engine) if not args.only or any(o in p for o in args.only)]
        server = serve(app)
        base = f"http://127.0.0.1:{server.server_port}"
        written = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for size, viewport in SIZES.items():
                    phone = size == "phone"
                    context = browser.new_context(viewport=viewport, device_scale_factor=2 if phone else 1,
                                                  is_mobile=phone, has_touch=phone, locale="zh-CN")
                    page = context.new_page()
                    page.goto(base + "/login")
                    page.fill("input[name=username]", "admin")
                    page.fill("input[name=password]", "demo-admin-2026")
                    page.click("button[type=submit]")
                    page.wait_for_url(base + "/")
                    for lang in LANGS:
                        for path in paths:
                            sep = "&" if "?" in path else "?"
                            page.goto(f"{base}{path}{sep}lang={lang}")
                            if page.locator("#map[data-url]").count():  # the map draws after its data arrives
                                page.wait_for_selector("#map[data-state]")
                            target = out / file_name(size, lang, path)
                            page.screenshot(path=str(target), full_page=True)
                            written.append(target)
                    context.close()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
            engine.dispose()
    for target in written:
        print(target)
    print(f"{len(written)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
