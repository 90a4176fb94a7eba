"""Server time of every page, at county and at city scale, on PostgreSQL, as a ratio to a bare page.

Two databases, each a fresh copy (``bench.cityscale``):

* county: the demo county (``inventory.demo``, ``dispatch.demo``: 326 depots, ~1,300 lots) with a level I
  flood at 62 sites, planned and approved, and a count under way at the county depot;
* city: ``bench.cityscale`` "city" (1 county depot, 36 towns, 1,963 villages, 120,000 lots, 2,000,000 ledger
  lines) with a level I flood of 200,000 people at 45 sites, planned and approved, and a count under way at
  the county depot. Generated once and kept on the server as database ``bench_city`` (built again only when
  the generator's version changes), copied for every run.

Every GET page of the url map is measured (``PAGES``; a page route the list does not cover makes the run
fail, so a new page cannot be left out silently; downloads and redirects-only routes are listed in
``NOT_PAGES`` with the reason), each as the roles that read it differently: the administrator sees
everything, the keeper only their depots, the dispatcher the incidents, the auditor the reports.

Server time is the time of one request through the Flask test client, in process: the whole WSGI app
(session and login, Babel, the view, its queries, the template) until the last byte of the body is read;
no network, no gunicorn. Beside every request of a page, turn about, the same client asks a bare page of
the app: ``/bench/bare-page`` (registered by this benchmark only, never by the product), a logged-in page
that renders the base layout (header, menu, language switch) with an empty body: the floor every page
stands on. The integrity page is asked once before any seal is archived (it then folds every line of the
ledger), then a daily seal is archived as a day's first stock change or export does, and it is measured
as the others. Each page gets one untimed request first; then N timed requests (N by how slow the first was:
15 under 0.3 s, 5 under 3 s, 2 under 30 s, else the first alone). Reported: median and p95 of the page
(linear interpolation between samples; with N ≤ 5 the p95 is near the slowest), the ratio of its
median to the median of the bare requests taken between its own, SQL statements per request and the
size of the page.
"""
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np
import sqlalchemy as sa

from bench import log, machine, markdown_table, utc_stamp

SCALES = [s for s in os.environ.get("BENCH_PAGES_SCALES", "county,city").split(",") if s]
# Only the pages whose endpoint or path starts with one of these (comma-separated), e.g. "counts.,/": a quick
# measure of a few pages while working on them; empty measures every page.
ONLY = tuple(s for s in os.environ.get("BENCH_PAGES_ONLY", "").split(",") if s)
SLOW_CAP = 30.0  # a page slower than this once is not asked again
BARE = "/bench/bare-page"

# Routes of the url map that are not pages a person reads: files, redirects of labels, the service worker.
NOT_PAGES = {
    "audit.export": "a report's file (CSV/XLSX/PDF), made in the background",
    "audit.export_job": "an export job's state and progress (JSON, polled)",
    "audit.export_file": "an export's finished file",
    "audit.incident_export": "an incident's tables as XLSX or PDF",
    "audit.seal_file": "a text file",
    "people.register_template": "an XLSX workbook (the register template)",
    "people.register_export": "an XLSX workbook (every depot, item, shelter and lot in stock)",
    "counts.variance_pdf": "a PDF",
    "dispatch.plan_file": "a JSON file",
    "dispatch.problem_file": "a JSON file",
    "orders.label": "a PDF",
    "orders.waybill_pdf": "a PDF",
    "transport.routes_problem": "a JSON file",
    "scan.service_worker": "JavaScript",
    "writeoffs.photo": "an image",
    "labels.scan_lot": "a redirect to the stock card or the scanning page",
    "labels.scan_depot": "a redirect to the depot page",
    "labels.scan_order": "a redirect to the order page",
    "accounts.login": "measured as the login form, not logged in",
    "accounts.login_code": "the second factor's form, shown only between the password and the code",
    "receiving.delivery": "one delivery's lines (at most 200, one query): the bench counties are loaded without "
                          "deliveries; the list and the form are measured",
    "donations.acknowledgement": "a PDF",
    "people.import_job": "one upload's import report: the bench counties are loaded without imports; the upload "
                         "form and the remembered names are measured",
    "people.import_status": "an import's state and progress (JSON, polled)",
    "people.import_rejected": "an import's rejected rows as XLSX",
    "donations.donation": "one donation's lines and where they went: the bench counties are loaded without "
                          "donations; the list, the form and the register are measured",
}


@dataclass
class Context:
    county: str
    town: str
    village: str
    lot: str  # a lot with a long ledger, at the keeper's town
    item: str
    incident: int
    order: str | None
    count: int | None
    shelter: str
    extra: dict = field(default_factory=dict)
    vehicle: str | None = None


def pages(c: Context) -> list[tuple[str, str, str]]:
    """(endpoint, role, path) of every page measured."""
    rows = [
        ("inventory.depot_tree", "admin", "/"),
        ("inventory.depot_tree", "keeper", "/"),
        ("inventory.depot_tree", "admin", f"/?open={c.town}&q={c.town}-V"),  # a town opened, a search
        ("inventory.depot", "admin", f"/depots/{c.county}"),
        ("inventory.depot", "admin", f"/depots/{c.town}"),
        ("inventory.depot", "keeper", f"/depots/{c.town}"),
        ("inventory.depot", "admin", f"/depots/{c.village}"),
        ("inventory.items", "admin", "/items"),
        ("inventory.items", "keeper", "/items"),
        ("inventory.lot", "admin", f"/lots/{c.lot}"),
        ("inventory.lot", "keeper", f"/lots/{c.lot}"),
        ("audit.index", "auditor", "/audit/"),
        *[("audit.report", "auditor", f"/audit/{name}") for name in
          ("expiry", "rotation", "sufficiency", "ledger", "write-offs")],
        ("audit.report", "auditor", f"/audit/stock-card?lot={c.lot}"),
        ("audit.report", "auditor", f"/audit/stock-card?depot={c.town}&item={c.item}"),
        ("audit.ledger_integrity", "auditor", "/audit/integrity"),
        ("dispatch.incident_list", "dispatcher", "/incidents"),
        ("dispatch.incident", "dispatcher", f"/incidents/{c.incident}"),
        ("dispatch.new_incident", "dispatcher", "/incidents/new"),
        ("orders.board", "dispatcher", f"/incidents/{c.incident}/board"),
        ("orders.dispatch", "dispatcher", f"/incidents/{c.incident}/dispatch"),
        ("returns.index", "dispatcher", f"/incidents/{c.incident}/returns"),
        ("orders.index", "dispatcher", "/orders"),
        ("orders.index", "keeper", "/orders"),
        ("writeoffs.index", "admin", "/write-offs"),
        ("writeoffs.index", "keeper", "/write-offs"),
        ("writeoffs.new", "keeper", f"/write-offs/new?lot={c.lot}"),
        ("counts.index", "admin", "/counts"),
        ("transfer_requests.index", "admin", "/transfer-requests"),
        ("transfer_requests.new", "keeper", "/transfer-requests/new"),
        ("receiving.index", "admin", "/deliveries"),
        ("receiving.index", "keeper", "/deliveries"),
        ("receiving.new", "keeper", "/deliveries/new"),
        ("donations.index", "admin", "/donations"),
        ("donations.new", "keeper", "/donations/new"),
        ("donations.register", "auditor", "/donations/register"),
        ("labels.depot_labels", "admin", f"/labels/depots/{c.town}"),
        ("labels.lot_labels", "admin", f"/labels/lots/{c.lot}"),
        ("scan.page", "keeper", "/scan"),
        ("accounts.tokens", "admin", "/account/tokens"),
        ("accounts.change_password", "keeper", "/account/password"),
        ("accounts.totp_setup", "keeper", "/account/totp"),
        ("people.security_settings", "admin", "/admin/security"),
        ("people.users", "admin", "/admin/users"),
        ("security_log.events", "auditor", "/security-log"),
        ("people.user", "admin", "/admin/users/keeper"),
        ("people.depots", "admin", "/admin/depots"),
        ("people.depot", "admin", f"/admin/depots/{c.town}"),
        ("people.items", "admin", "/admin/items"),
        ("people.item", "admin", f"/admin/items/{c.item}"),
        ("people.imports", "admin", "/admin/imports"),
        ("people.import_aliases", "admin", "/admin/import-names"),
        ("accounts.login", "visitor", "/login"),
        ("dispatch.admin_index", "admin", "/admin/planning"),
        ("dispatch.admin_levels", "admin", "/admin/levels"),
        ("dispatch.admin_norms", "admin", "/admin/norms"),
        ("dispatch.admin_norm_edit", "admin", "/admin/norms/edit"),
        ("dispatch.admin_floors", "admin", "/admin/floors"),
        ("dispatch.admin_settings", "admin", "/admin/settings"),
        ("dispatch.admin_shelters", "admin", "/admin/shelters"),
        ("dispatch.admin_shelter_edit", "admin", f"/admin/shelters/{c.shelter}"),
        ("dispatch.admin_travel", "admin", "/admin/travel"),
        ("transport.vehicles", "admin", "/admin/vehicles"),
        ("transport.vehicles", "dispatcher", "/admin/vehicles"),
        ("transport.routes", "dispatcher", f"/incidents/{c.incident}/routes"),
        ("maps.page", "dispatcher", "/map"),
        ("maps.page", "keeper", "/map"),
        ("maps.incident_map", "dispatcher", f"/incidents/{c.incident}/map"),
        ("maps.data", "dispatcher", "/map/data.json"),  # the map's layers, as the page script fetches them
        ("maps.data", "keeper", "/map/data.json"),
        ("maps.data", "dispatcher", f"/map/data.json?incident={c.incident}&item={c.item}"),
        ("maps.tile_settings", "admin", "/admin/map-tiles"),
    ]
    if c.vehicle:
        rows.append(("transport.vehicle", "admin", f"/admin/vehicles/{c.vehicle}"))
    if c.order:
        rows.append(("orders.order", "dispatcher", f"/orders/{c.order}"))
    if c.count:
        rows += [("counts.session", "admin", f"/counts/{c.count}"),
                 ("counts.session", "admin", f"/counts/{c.count}?show=missing&page=100"),
                 ("counts.variance", "admin", f"/counts/{c.count}/variance"),
                 ("counts.variance", "admin", f"/counts/{c.count}/variance?show=difference&item={c.item}")]
    return rows


PASSWORDS = {"admin": "demo-admin-2026", "dispatcher": "demo-dispatch-2026", "keeper": "demo-keeper-2026",
             "auditor": "demo-audit-2026"}


# ---------------------------------------------------------------- the databases


def _county_database():
    """A fresh database with the demo county, a planned and approved level I flood and a count under way."""
    from bench import cityscale
    from accounts.models import User
    from accounts.services import actor_for
    from common.db import make_engine
    from common.migrate import upgrade
    from counts import services as counts
    from dispatch import incidents, planning
    from dispatch.demo import load_dispatch_demo
    from inventory.demo import load_demo
    from orders.services import approve_plan
    from sqlmodel import Session, select

    name = f"bench_pages_county_{os.getpid()}"
    admin = cityscale._admin()
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = cityscale.server_url(name)
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    load_demo(engine, now.date())
    load_dispatch_demo(engine)
    from common.db import UnitOfWork
    from transport.demo import load_vehicles_in

    with UnitOfWork(engine) as uow:
        load_vehicles_in(uow, now)
        uow.commit()
    with Session(engine) as s:
        dispatcher = actor_for(s, s.exec(select(User).where(User.username == "dispatcher")).one())
        admin_actor = actor_for(s, s.exec(select(User).where(User.username == "admin")).one())
    sites = [{"site": f"T{t:02d}-V{v:02d}", "people": 150 + 10 * v} for t in range(1, 13) for v in range(1, 6)]
    sites += [{"site": "S-T01-1", "people": 1200}, {"site": "S-T02-1", "people": 700}]
    incident_id = incidents.declare(engine, dispatcher, type="flood", title="bench", declared_at=now - timedelta(hours=2),
                                    sites=sites, level="I", level_reason="bench")
    plan = planning.plan_incident(engine, dispatcher, incident_id, now, "Asia/Shanghai")
    approve_plan(engine, dispatcher, now, incident_id=incident_id, plan_id=plan["id"])
    counts.start(engine, admin_actor, now, depot="C01", note="bench")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()

    def drop():
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def _context(engine, town: str, village: str) -> Context:
    with engine.connect() as c:
        one = lambda sql, **kw: c.execute(sa.text(sql), kw).scalar()  # noqa: E731
        lot = one("SELECT l.code FROM lot l JOIN depot d ON d.id = l.depot_id JOIN movement m ON m.lot_id = l.id "
                  "WHERE d.code = :town GROUP BY l.code ORDER BY count(*) DESC, l.code LIMIT 1", town=town)
        item = one("SELECT i.code FROM lot l JOIN item i ON i.id = l.item_id WHERE l.code = :lot", lot=lot)
        incident = one("SELECT a.incident_id FROM affected_site a GROUP BY a.incident_id "
                       "ORDER BY sum(a.people) DESC LIMIT 1")
        order = one("SELECT code FROM transfer_order WHERE incident_id = :i ORDER BY id LIMIT 1", i=incident)
        count = one("SELECT id FROM count_session ORDER BY id LIMIT 1")
        county = one("SELECT code FROM depot WHERE tier = 'county' ORDER BY id LIMIT 1")
        shelter = one("SELECT code FROM shelter ORDER BY id LIMIT 1")
        vehicle = one("SELECT plate FROM vehicle ORDER BY id LIMIT 1")
        sizes = {"depots": one("SELECT count(*) FROM depot"), "lots": one("SELECT count(*) FROM lot"),
                 "lines": one("SELECT count(*) FROM movement"),
                 "people": one("SELECT sum(people) FROM affected_site WHERE incident_id = :i", i=incident),
                 "sites": one("SELECT count(*) FROM affected_site WHERE incident_id = :i", i=incident),
                 "orders": one("SELECT count(*) FROM transfer_order WHERE incident_id = :i", i=incident),
                 "lot_lines": one("SELECT count(*) FROM movement m JOIN lot l ON l.id = m.lot_id WHERE l.code = :l",
                                  l=lot)}
    return Context(county, town, village, lot, item, incident, order, count, shelter, sizes, vehicle)


# ---------------------------------------------------------------- measuring


def _app(url: str):
    from flask import render_template_string

    from accounts.auth import login_required_page
    from app import create_app
    from accounts.auth import require_actor

    keys = tempfile.NamedTemporaryFile(prefix="rdbench-keys-", delete=False)
    keys.close()
    os.unlink(keys.name)  # made with a key on start
    application = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LEDGER_KEYS": keys.name,
                              "BASE_URL": "http://bench", "DEMO": True})

    @application.get(BARE)
    @login_required_page
    def bench_bare_page():
        require_actor()
        return render_template_string('{% extends "base.html" %}{% block content %}<h1>bench</h1>{% endblock %}')

    return application, keys.name


def _client(application, role: str):
    from tests.conftest import login

    client = application.test_client()
    client.get("/login?lang=zh_Hans_CN")
    if role != "visitor":
        username = {"admin": "admin", "dispatcher": "dispatcher", "keeper": "keeper", "auditor": "auditor"}[role]
        r = login(client, username, PASSWORDS[role])
        assert r.status_code == 302, f"{role} could not log in: {r.status_code}"
    return client


def _timed(client, path: str, statements: list[int]):
    statements[0] = 0
    start = time.perf_counter()
    r = client.get(path)
    body = r.get_data()
    took = time.perf_counter() - start
    return took, r.status_code, len(body), statements[0]


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if len(values) > 1 else values[0]


def _measure_scale(scale: str) -> dict:
    from bench import cityscale

    started = time.perf_counter()
    if scale == "county":
        url, drop = _county_database()
        town, village = "T01", "T01-V01"
    else:
        url, drop = cityscale.fresh_copy(scale)
        town, village = "T01", "T01-V001"
    log(f"{scale}: database ready in {time.perf_counter() - started:.0f} s")
    application, keyfile = _app(url)
    engine = application.extensions["engine"]
    statements = [0]

    def count(*_):
        statements[0] += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        ctx = _context(engine, town, village)
        log(f"{scale}: {ctx.extra}")
        _check_coverage(application, ctx)
        clients = {role: _client(application, role) for role in ("admin", "dispatcher", "keeper", "auditor", "visitor")}
        results = {}
        bare_all = []
        # The integrity page shows the seal of the whole ledger, carried on from the latest archived seal. A
        # generated database has none yet: asked once as it is, then a seal is archived as the day's first
        # stock change or export would, and the page is measured like every other.
        if not ONLY:
            first, status, size, sql = _timed(clients["auditor"], "/audit/integrity", statements)
            bare = _timed(clients["auditor"], BARE, statements)[0]
            results[("audit.ledger_integrity", "auditor", "/audit/integrity, before any seal is archived")] = {
                "endpoint": "audit.ledger_integrity", "role": "auditor", "path": "/audit/integrity",
                "status": status, "kb": size / 1024, "sql": sql, "n": 1, "median": first, "p95": first,
                "ratio": first / bare}
            log(f"{scale} integrity page before any archived seal: {first:.1f} s")
        from inventory import integrity
        integrity.take_seal(engine, "daily", "bench", datetime.now(timezone.utc), note="bench: the day's seal")
        for endpoint, role, path in pages(ctx):
            if ONLY and not any(endpoint.startswith(o) or path == o or (o != "/" and path.startswith(o))
                                for o in ONLY):
                continue
            client = clients[role]
            bare_client = clients["admin" if role == "visitor" else role]
            first, status, size, sql = _timed(client, path, statements)
            n = 15 if first < 0.3 else 5 if first < 3 else 2 if first < SLOW_CAP else 0
            times, bares = [], []
            for k in range(n):
                order = (bare_client, BARE), (client, path)
                for which, (c, p) in enumerate(order if k % 2 == 0 else order[::-1]):
                    took, st, sz, sq = _timed(c, p, statements)
                    if p == BARE:
                        assert st == 200, f"the bare page answered {st}"
                        bares.append(took)
                    else:
                        times.append(took)
                        status, size, sql = st, sz, sq
            if not times:  # too slow to ask again: the first request alone, a bare one beside it
                times = [first]
                bares = [_timed(bare_client, BARE, statements)[0]]
            bare_all += bares
            row = {"endpoint": endpoint, "role": role, "path": path, "status": status, "kb": size / 1024,
                   "sql": sql, "n": len(times), "median": statistics.median(times), "p95": _p95(times),
                   "ratio": statistics.median(times) / statistics.median(bares)}
            results[(endpoint, role, _label(path, ctx))] = row
            log(f"{scale} {role:10} {path:48} {row['median'] * 1000:9.1f} ms median, p95 {row['p95'] * 1000:9.1f}, "
                f"×{row['ratio']:8.1f} bare, {sql:5} SQL, {row['kb']:8.0f} KB, status {status}, n {len(times)}")
        return {"rows": results, "bare": statistics.median(bare_all), "context": ctx}
    finally:
        engine.dispose()
        drop()
        if os.path.exists(keyfile):
            os.unlink(keyfile)


def _label(path: str, c: Context) -> str:
    """The path with this scale's codes replaced by what they stand for, so both scales share a row."""
    text = path.replace(f"/incidents/{c.incident}", "/incidents/<big incident>")
    if c.order:
        text = text.replace(c.order, "<order>")
    if c.count:
        text = text.replace(f"/counts/{c.count}", "/counts/<count at the county depot>")
    for code, name in ((c.lot, "<lot>"), (c.village, "<village>"), (c.county, "<county>"), (c.shelter, "<shelter>")):
        text = text.replace(f"={code}", f"={name}").replace(f"/{code}", f"/{name}")
    text = text.replace(f"={c.item}", "=<item>")
    return text.replace(f"/{c.town}", "/<town>").replace(f"={c.town}", "=<town>")


def _check_coverage(application, ctx: Context) -> None:
    measured = {endpoint for endpoint, _, _ in pages(ctx)}
    missing = []
    for rule in application.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api", "/static", "/bench")):
            continue
        if rule.endpoint in ("static", "swagger_ui_files") or rule.endpoint in measured:
            continue
        if rule.endpoint not in NOT_PAGES:
            missing.append(f"{rule.rule} ({rule.endpoint})")
    if missing:
        raise SystemExit("bench/pages.py: GET pages of the url map that PAGES does not measure: " + ", ".join(missing))


# ---------------------------------------------------------------- the section


def run() -> str:
    measured = {}
    for scale in SCALES:
        log(f"=== pages at {scale} scale ===")
        measured[scale] = _measure_scale(scale)
    return _section(measured)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.0995 else f"{seconds * 1000:.1f}"


def _section(measured: dict) -> str:
    m = machine()
    scales = list(measured)
    failed = [f"{s} {k[2]} ({k[1]}): {r['status']}" for s in scales for k, r in measured[s]["rows"].items()
              if r["status"] >= 500]
    if failed:  # a page that fails is not measured; its time would be the error page's
        raise SystemExit("bench/pages.py: pages answered with a server error: " + "; ".join(failed))
    keys = list(dict.fromkeys(k for s in scales for k in measured[s]["rows"]))
    header = ["page", "role"]
    for s in scales:
        header += [f"{s}: median ms", "p95 ms", "× bare", "SQL", "KB"]
    rows = []
    for key in keys:
        endpoint, role, label = key
        path, _, note = label.partition(", ")
        row = [f"`{path}`" + (f" ({note})" if note else ""), role]
        for s in scales:
            r = measured[s]["rows"].get(key)
            if r is None:
                row += ["—"] * 5
                continue
            flag = "" if r["status"] == 200 else f" ({r['status']})"
            row += [f"{_ms(r['median'])}{flag}", _ms(r["p95"]), f"{r['ratio']:,.1f}", f"{r['sql']:,}", f"{r['kb']:,.0f}"]
        rows.append(row)
    sizes = []
    for s in scales:
        x = measured[s]["context"].extra
        sizes.append(f"- {s}: {x['depots']:,} depots, {x['lots']:,} lots, {x['lines']:,} ledger lines; the incident: "
                     f"{x['people']:,} people at {x['sites']} sites, {x['orders']:,} transfer orders; `<lot>` has "
                     f"{x['lot_lines']:,} ledger lines; the bare page: {_ms(measured[s]['bare'])} ms (median)")
    slow = [f"`{k[2].partition(', ')[0]}` ({k[1]})" for k in keys for s in scales[-1:]
            if k in measured[s]["rows"] and measured[s]["rows"][k]["median"] >= 2.0]
    return "\n".join([
        "## Page server time",
        "",
        f"- Date: {utc_stamp()}",
        f"- Machine: {m['platform']}; CPU {m['cpu']}, {m['cores']} cores; Python {m['python']}; PostgreSQL "
        f"(local, `{_pg_version()}`)",
        *sizes,
        "",
        "Server time of every GET page of the app (`bench/pages.py`): one request through the Flask test client in "
        "process — session and login, the view, its queries, the template, the whole body read — no network, no "
        "gunicorn. Each page is asked once untimed, then N times (15 when the first answer took under 0.3 s, 5 under "
        "3 s, 2 under 30 s, else the first answer alone), each time beside a request of a bare page of the app "
        "(a logged-in page rendering the base layout with an empty body, registered by the benchmark only), turn "
        "about. × bare: the page's median over the median of the bare requests taken between its own. SQL: "
        "statements one request runs; KB: the size of the page. Codes of each scale stand in angle brackets. The "
        "integrity page is asked once before any seal is archived (it then reads every line), then a daily seal is "
        "archived (as a day's first stock change or export does) and it is measured like the others.",
        "",
        markdown_table(header, rows, text_columns=2),
        "",
        ("Pages taking 2 s or more at the largest scale measured: " + ", ".join(slow) + ".") if slow
        else "No page takes 2 s or more at the largest scale measured.",
    ]) + "\n"


def _pg_version() -> str:
    from bench import cityscale

    engine = sa.create_engine(cityscale.PG_URL)
    try:
        with engine.connect() as c:
            return c.execute(sa.text("SHOW server_version")).scalar()
    finally:
        engine.dispose()


if __name__ == "__main__":
    print(run())
