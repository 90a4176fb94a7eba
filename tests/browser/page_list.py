"""The demo county with a little of everything (an incident with its plan and orders, a count), and the list of
every HTML page of the app: the GET routes without parameters plus one instance of each parametrized one.

Shared by the table layout browser test (tests/browser/test_browser_tables.py) and `make screenshots`
(scripts/screenshots.py), so both look at the same pages."""
from datetime import date, datetime

import sqlalchemy as sa

# Routes that are not pages a person reads: files, redirects of printed codes, JSON, the service worker.
NOT_PAGES = ("/api", "/static", "/login", "/sw.js", "/l/", "/o/", "/audit/seal.txt", "/audit/exports/")
NOT_PAGE_ENDINGS = (".pdf", ".json", ".txt", ".<fmt>", "/photo", ".xlsx")


def load_demo(engine, today: date, now: datetime) -> None:
    """The demo county (`flask demo`), then an incident planned and approved, and a count under way at T01."""
    from accounts.models import User
    from accounts.services import actor_for
    from common.db import UnitOfWork
    from counts import services as counts
    from dispatch import incidents, planning
    from dispatch.demo import load_dispatch_demo_in
    from inventory.demo import load_demo_in
    from orders import services as orders
    from sqlmodel import Session, select

    with UnitOfWork(engine) as uow:
        load_demo_in(uow, today)
        load_dispatch_demo_in(uow)
        from transport.demo import load_vehicles_in

        load_vehicles_in(uow, now)
        uow.commit()
    with Session(engine) as s:
        actors = {u.username: actor_for(s, u) for u in s.exec(select(User)).all()}
    with engine.connect() as c:
        villages = c.execute(sa.text("select code from depot where parent_id = (select id from depot where code = 'T01') "
                                     "order by code")).scalars().all()
    sites = [{"site": code, "people": 300 + 40 * i} for i, code in enumerate(villages[:6])] or [
        {"site": "T01", "people": 500}]
    incident_id = incidents.declare(engine, actors["dispatcher"], type="flood", title="7·15 洪涝灾害", declared_at=now,
                                    sites=sites)
    plan = planning.plan_incident(engine, actors["dispatcher"], incident_id, now, "Asia/Shanghai")
    plan_id = plan.get("id") or plan.get("plan_id")
    if plan_id:
        orders.approve_plan(engine, actors["dispatcher"], now, incident_id=incident_id, plan_id=plan_id)
    from transport import fleet, incident_routes

    fleet.call_in(engine, actors["dispatcher"], incident_id, ["鲁H10001", "鲁H10002", "鲁H20001"], now)
    incident_routes.plan(engine, actors["dispatcher"], incident_id, now, time_limit_seconds=1)
    counts.start(engine, actors["keeper"], now, depot="T01")
    from receiving import service as receiving

    with engine.connect() as c:
        items = c.execute(sa.text("select code from item order by code limit 2")).scalars().all()
    receiving.receive(engine, actors["keeper"], now, today, depot="T01", kind="purchase", supplier="县粮油公司",
                      document_no="CG-2026-118", lines=[{"item": code, "quantity": 10 + i} for i, code in enumerate(items)])
    from donations import service as donations

    donations.record(engine, actors["keeper"], now, today, depot="T01", donor_kind="organisation",
                     donor_name="县红十字会", kind="goods", lines=[{"item": items[0], "quantity": 5}])
    _import_report(engine, actors["admin"], today, now)


def _import_report(engine, admin, today: date, now: datetime) -> None:
    """An upload's dry run on the import page (its report, a rejected row and a name to match), as the
    administrator's job; the file itself is not kept (the page reads the report)."""
    import json
    from datetime import timedelta

    from common.db import UnitOfWork
    from registers import importing
    from registers.models import ImportJob

    data = "物资名称,计量单位,数量,有效期至\n救灾帐篷,顶,20,\n棉被,床,很多,\n".encode()
    report = importing.dry_run(engine, [("城关镇库存.csv", data)], depot="T01", today=today)
    files = [{"name": "城关镇库存.csv", "sha256": importing.reference_of(data)[0], "size": len(data), "path": ""}]
    with UnitOfWork(engine) as uow:
        uow.session.add(ImportJob(token="0" * 32, user_id=admin.user_id, files=json.dumps(files, ensure_ascii=False),
                                  depot="T01", status="checked", stage="dry_run", done=2, total=2,
                                  report=json.dumps(report, ensure_ascii=False), created_at=now, finished_at=now,
                                  expires_at=now + timedelta(days=3650)))
        uow.commit()


def page_paths(app, engine) -> list[str]:
    """Every page: GET routes without parameters, and one instance of each route with parameters."""
    first = {}
    with engine.connect() as c:
        def one(sql):
            return c.execute(sa.text(sql)).scalar()

        first["depot"] = one("select code from depot where code = 'T01'") or one("select min(code) from depot")
        first["lot"] = one("select l.code from lot l join movement m on m.lot_id = l.id order by m.id desc limit 1")
        first["incident"] = one("select min(id) from incident")
        first["order"] = one("select min(code) from transfer_order")
        first["count"] = one("select min(id) from count_session")
        first["shelter"] = one("select min(code) from shelter")
        first["item"] = one("select min(code) from item")
        first["delivery"] = one("select min(id) from delivery")
        first["donation"] = one("select min(id) from donation")
        first["vehicle"] = one("select min(plate) from vehicle")
        first["import"] = one("select min(token) from import_job")
    instances = {
        "/depots/<code>": first["depot"] and f"/depots/{first['depot']}",
        "/labels/depots/<code>": first["depot"] and f"/labels/depots/{first['depot']}",
        "/d/<path:code>": first["depot"] and f"/d/{first['depot']}",
        "/lots/<code>": first["lot"] and f"/lots/{first['lot']}",
        "/labels/lots/<code>": first["lot"] and f"/labels/lots/{first['lot']}",
        "/incidents/<int:incident_id>": first["incident"] and f"/incidents/{first['incident']}",
        "/incidents/<int:incident_id>/board": first["incident"] and f"/incidents/{first['incident']}/board",
        "/incidents/<int:incident_id>/dispatch": first["incident"] and f"/incidents/{first['incident']}/dispatch",
        "/incidents/<int:incident_id>/returns": first["incident"] and f"/incidents/{first['incident']}/returns",
        "/incidents/<int:incident_id>/map": first["incident"] and f"/incidents/{first['incident']}/map",
        "/orders/<code>": first["order"] and f"/orders/{first['order']}",
        "/counts/<int:count_id>": first["count"] and f"/counts/{first['count']}",
        "/counts/<int:count_id>/variance": first["count"] and f"/counts/{first['count']}/variance",
        "/admin/shelters/<code>": first["shelter"] and f"/admin/shelters/{first['shelter']}",
        "/admin/users/<username>": "/admin/users/keeper",
        "/admin/depots/<code>": first["depot"] and f"/admin/depots/{first['depot']}",
        "/admin/items/<code>": first["item"] and f"/admin/items/{first['item']}",
        "/deliveries/<int:delivery_id>": first["delivery"] and f"/deliveries/{first['delivery']}",
        "/donations/<int:donation_id>": first["donation"] and f"/donations/{first['donation']}",
        "/admin/vehicles/<plate>": first["vehicle"] and f"/admin/vehicles/{first['vehicle']}",
        "/incidents/<int:incident_id>/routes": first["incident"] and f"/incidents/{first['incident']}/routes",
        "/admin/imports/<token>": first["import"] and f"/admin/imports/{first['import']}",
        "/admin/imports/<token>/status": None,  # JSON, polled by the import page
    }
    paths = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith(NOT_PAGES) or rule.rule.endswith(NOT_PAGE_ENDINGS):
            continue
        if not rule.arguments:
            paths.append(rule.rule)
        elif rule.endpoint == "audit.report":
            paths += [f"/audit/{name}" for name in sorted(rule._converters["name"].items)]
        elif instances.get(rule.rule):
            paths.append(instances[rule.rule])
        elif rule.rule not in instances:
            raise AssertionError(f"a page route with parameters and no example to visit: {rule.rule}")
    if first["lot"]:
        paths.append(f"/audit/stock-card?lot={first['lot']}")
    if first["depot"]:  # the depot tree with a town opened and a search's table
        paths.append(f"/?open={first['depot']}&q={first['depot']}-V")
    return paths
