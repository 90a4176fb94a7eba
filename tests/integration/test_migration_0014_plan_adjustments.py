"""Migration 0014 on a database that already holds a plan, on SQLite (batch mode) and PostgreSQL: the plan
keeps its row with no adjustment, an adjusted plan may name it, and it goes down again."""
import pytest
import sqlalchemy as sa
from alembic import command

from common.migrate import alembic_config, upgrade
from tests.integration.test_migrations import KEEPER_ROW, _columns, _indexes, fresh_url  # noqa: F401 (fixture)

INCIDENT = ("insert into incident (id, type, title, level, declared_at, days, created_by, created_at) values "
            "(1, 'flood', '7·15 洪涝', 'IV', '2026-07-01 02:00:00+00:00', 3, 1, '2026-07-01 02:00:00+00:00')")
PLAN = ("insert into plan (id, incident_id, problem, plan, objective, created_by, created_at) values "
        "(:id, 1, '{}', '{\"status\": \"optimal\"}', -5, 1, '2026-07-01 02:00:00+00:00')")


def test_0014_keeps_existing_plans_unadjusted_lets_a_plan_name_the_one_it_adjusts_and_goes_down_again(fresh_url):
    upgrade(fresh_url, "0013")
    engine = sa.create_engine(fresh_url)
    try:
        with engine.begin() as c:
            c.execute(KEEPER_ROW)
            c.execute(sa.text(INCIDENT))
            c.execute(sa.text(PLAN), {"id": 1})
        upgrade(fresh_url, "0014")
        assert {"adjusted_from_id", "adjustment_reason", "adjustments"} <= _columns(engine, "plan")
        assert "ix_plan_adjusted_from_id" in _indexes(engine, "plan")
        with engine.begin() as c:
            assert c.execute(sa.text("select objective, adjusted_from_id, adjustment_reason from plan")).one() == (
                -5, None, None)
            c.execute(sa.text("insert into plan (id, incident_id, problem, plan, objective, created_by, created_at, "
                              "adjusted_from_id, adjustment_reason, adjustments) values (2, 1, '{}', '{}', -4, 1, "
                              "'2026-07-01 03:00:00+00:00', 1, '道路中断', '[]')"))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:
            if engine.dialect.name == "sqlite":
                c.execute(sa.text("pragma foreign_keys=on"))
            c.execute(sa.text("update plan set adjusted_from_id = 99 where id = 2"))
        command.downgrade(alembic_config(fresh_url), "0013")
        assert "adjusted_from_id" not in _columns(engine, "plan")
        with engine.connect() as c:
            assert c.execute(sa.text("select count(*) from plan")).scalar_one() == 2
    finally:
        engine.dispose()
