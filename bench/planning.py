"""County planning from database to stored plan, against the allocator alone on the same problem.

The demo county (1 + 20 + 305 depots, 45 items, ~1,300 lots) is loaded into SQLite and PostgreSQL;
a flood at level I is declared for 60 village points and 2 shelters. Each round plans it once through
``dispatch.planning.plan_incident`` (read stock, norms, floors and routes, build the problem, solve,
store problem and plan) and once solves the stored problem document alone (``dispatch.allocator``),
turn about. The target is under 1 s from database to stored plan.
"""
import json
import statistics
import time
from datetime import datetime, timezone

from bench import log, markdown_table
from bench.ledger import _postgres_database, _sqlite_database

ROUNDS = 7
TZ = "Asia/Shanghai"


def _county(url: str):
    from sqlmodel import Session, select

    from accounts.services import actor_for
    from accounts.models import User
    from common.db import make_engine
    from common.migrate import upgrade
    from dispatch import incidents
    from dispatch.demo import load_dispatch_demo
    from inventory.demo import load_demo

    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    load_demo(engine, now.date())
    load_dispatch_demo(engine)
    with Session(engine) as s:
        dispatcher = actor_for(s, s.exec(select(User).where(User.username == "dispatcher")).one())
    sites = [{"site": f"T{t:02d}-V{v:02d}", "people": 150 + 10 * v} for t in range(1, 13) for v in range(1, 6)]
    sites += [{"site": "S-T01-1", "people": 1200}, {"site": "S-T02-1", "people": 700}]
    incident_id = incidents.declare(engine, dispatcher, type="flood", title="bench", declared_at=now, sites=sites,
                                    level="I", level_reason="bench")
    return engine, dispatcher, incident_id


def _measure(name: str, url: str) -> list[str]:
    from dispatch import allocator, planning

    engine, dispatcher, incident_id = _county(url)
    end_to_end, solve_only = [], []
    answer = None
    for r in range(ROUNDS):
        start = time.perf_counter()
        answer = planning.plan_incident(engine, dispatcher, incident_id, datetime.now(timezone.utc), TZ)
        end_to_end.append(time.perf_counter() - start)
        problem = planning.planned_problem(engine, dispatcher, incident_id, datetime.now(timezone.utc), TZ)
        start = time.perf_counter()
        allocator.allocate(json.loads(json.dumps(problem)))
        solve_only.append(time.perf_counter() - start)
        log(f"{name} round {r + 1}/{ROUNDS}: {end_to_end[-1]:.3f} s end to end, {solve_only[-1]:.3f} s solve")
    engine.dispose()
    problem = planning.planned_problem(engine, dispatcher, incident_id, datetime.now(timezone.utc), TZ)
    e2e, solve = statistics.median(end_to_end), statistics.median(solve_only)
    return [name, f"{len(problem['sites'])}", f"{len(problem['stock']):,}", f"{len(problem['routes']):,}",
            f"{len(problem['demand']):,}", f"{e2e:.3f}", f"{solve:.3f}", f"{e2e / solve:.2f}",
            "yes" if e2e < 1.0 else "**no**", f"{answer['report']['totals']['delivered']:,}"]


def run() -> str:
    rows, notes = [], []
    sqlite_url, cleanup = _sqlite_database()
    try:
        rows.append(_measure("SQLite", sqlite_url))
    finally:
        cleanup()
    pg, problem = _postgres_database()
    if pg is None:
        notes.append(f"PostgreSQL not reachable ({problem}): only SQLite measured.")
    else:
        url, drop = pg
        try:
            rows.append(_measure("PostgreSQL", url))
        finally:
            drop()
    table = markdown_table(["database", "sites", "lots", "routes", "demand rows", "database → stored plan (s)",
                            "solve alone (s)", "ratio", "under 1 s", "units planned"], rows)
    return "\n".join([
        "## County planning: database to stored plan",
        "",
        f"The demo county, a level I flood at 62 sites; medians of {ROUNDS} rounds, each planning through the "
        "service (read stock, norms, floors and routes; build; solve; store) and then solving the same stored "
        "problem document alone. The ratio is what reading and storing add to the solve.",
        "",
        table,
        *(["", *notes] if notes else []),
    ]) + "\n"


if __name__ == "__main__":
    print(run())
