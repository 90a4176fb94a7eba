"""The benchmarks' city generator (bench/cityscale.py) at a tiny size keeps the ledger's invariants: a proper
depot tree, every lot holding what its ledger lines add up to, hash chains that ``ledger verify`` accepts (also
once an app has started on the database with a key), lines in time order, and a planned, approved incident.
PostgreSQL only: the generator loads with COPY."""
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bench import cityscale
from tests.conftest import PG_URL


@pytest.fixture(scope="module", params=["postgresql"])
def tiny(request):
    name = f"rdtest_city_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(cityscale.server_url("postgres", PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = cityscale.server_url(name, PG_URL)
    built = cityscale.build(url, "tiny", progress=lambda message: None)
    engine = sa.create_engine(url)
    yield engine, built
    engine.dispose()
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def rows(engine, sql: str, **params):
    with engine.connect() as c:
        return c.execute(sa.text(sql), params).all()


def test_the_tiny_city_has_its_size_and_a_proper_depot_tree(tiny):
    engine, built = tiny
    size = cityscale.SIZES["tiny"]
    assert built["lots"] == size.lots and built["lines"] == size.lines
    assert built["depots"] == size.depots == 20
    tiers = dict(rows(engine, "SELECT tier, count(*) FROM depot GROUP BY tier"))
    assert tiers == {"county": 1, "town": 3, "village": 16}
    depots = {r.id: r for r in rows(engine, "SELECT id, code, tier, parent_id, path FROM depot")}
    wanted_parent = {"county": None, "town": "county", "village": "town"}
    for d in depots.values():
        parent = depots.get(d.parent_id)
        assert (parent.tier if parent else None) == wanted_parent[d.tier], d.code
        assert d.path == (parent.path if parent else "/") + f"{d.id}/", d.code
        if d.tier == "village":
            assert d.code.startswith(parent.code + "-V"), d.code
    assert rows(engine, "SELECT count(*) FROM lot")[0][0] == size.lots
    assert rows(engine, "SELECT count(*) FROM movement")[0][0] == size.lines
    # new rows get ids after the generated ones
    assert rows(engine, "SELECT nextval(pg_get_serial_sequence('movement', 'id'))")[0][0] == size.lines + 1


def test_every_lot_holds_what_its_ledger_adds_up_to_and_lines_run_in_time_order(tiny):
    engine, _ = tiny
    off = rows(engine, "SELECT l.code, l.quantity, coalesce(sum(m.quantity), 0) FROM lot l "
                       "LEFT JOIN movement m ON m.lot_id = l.id GROUP BY l.id HAVING l.quantity <> coalesce(sum(m.quantity), 0)")
    assert off == []
    assert rows(engine, "SELECT count(*) FROM movement WHERE balance_after < 0")[0][0] == 0
    first_kinds = {r[0] for r in rows(engine, "SELECT DISTINCT ON (lot_id) kind FROM movement ORDER BY lot_id, id")}
    assert first_kinds == {"receive"}
    out_of_order = rows(engine, "SELECT count(*) FROM (SELECT created_at, lag(created_at) OVER (ORDER BY id) AS prev "
                                "FROM movement) x WHERE created_at < prev")
    assert out_of_order[0][0] == 0
    after_expiry = rows(engine, "SELECT count(*) FROM movement m JOIN lot l ON l.id = m.lot_id "
                                "WHERE l.expires_on IS NOT NULL AND m.kind = 'issue' "
                                "AND (m.created_at AT TIME ZONE 'Asia/Shanghai')::date > l.expires_on")
    assert after_expiry[0][0] == 0
    assert len({r[0] for r in rows(engine, "SELECT DISTINCT kind FROM movement")}) >= 4


def test_the_ledger_verifies_before_and_after_an_app_records_its_key(tiny):
    from accounts.models import User
    from accounts.services import actor_for
    from common.db import make_engine
    from inventory import integrity, ledger_keys

    engine, _ = tiny
    app_engine = make_engine(engine.url.render_as_string(hide_password=False))
    with Session(app_engine) as s:
        auditor = actor_for(s, s.exec(select(User).where(User.username == "auditor")).one())
    result = integrity.verify(app_engine, auditor)
    assert result["ok"] and result["lines_checked"] == cityscale.SIZES["tiny"].lines, result["mismatches"][:3]
    ledger_keys.attach(app_engine, ledger_keys.Keyring.of_keys(b"k" * 32))  # as an app starting on it
    assert integrity.record_key(app_engine, "app start", cityscale.NOW)
    assert integrity.verify(app_engine, auditor)["ok"]
    with app_engine.begin() as c:  # a line changed behind the ledger is caught
        c.execute(sa.text("UPDATE movement SET quantity = quantity + 1 WHERE id = 7"))
    assert not integrity.verify(app_engine, auditor)["ok"]
    with app_engine.begin() as c:
        c.execute(sa.text("UPDATE movement SET quantity = quantity - 1 WHERE id = 7"))
    app_engine.dispose()


def test_the_incident_is_declared_planned_and_approved(tiny):
    engine, built = tiny
    size = cityscale.SIZES["tiny"]
    people, sites = rows(engine, "SELECT sum(people), count(*) FROM affected_site WHERE incident_id = :i",
                         i=built["incident"])[0]
    assert (people, sites) == (size.incident_people, size.incident_sites)
    assert rows(engine, "SELECT level FROM incident WHERE id = :i", i=built["incident"])[0][0] == "I"
    assert rows(engine, "SELECT count(*) FROM plan WHERE incident_id = :i", i=built["incident"])[0][0] == 1
    assert rows(engine, "SELECT count(*) FROM transfer_order WHERE incident_id = :i", i=built["incident"])[0][0] > 0
