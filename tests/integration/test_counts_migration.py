"""Migration 0009 adds the count session tables on SQLite and PostgreSQL, and goes down again."""
import sqlalchemy as sa
from alembic import command

from common.migrate import alembic_config, upgrade
from tests.integration.test_migrations import fresh_url  # noqa: F401  (the fixture: an empty database)


def _tables(engine) -> set[str]:
    with engine.connect() as c:
        return set(sa.inspect(c).get_table_names())


def test_0009_adds_the_count_session_tables_and_goes_down_again(fresh_url):  # noqa: F811
    upgrade(fresh_url, "0008")
    engine = sa.create_engine(fresh_url)
    try:
        assert not {"count_session", "count_line"} & _tables(engine)
        upgrade(fresh_url, "0009")
        assert {"count_session", "count_line"} <= _tables(engine)
        with engine.connect() as c:
            uniques = {u["name"] for u in sa.inspect(c).get_unique_constraints("count_line")}
        assert "uq_count_line_session_lot" in uniques
        command.downgrade(alembic_config(fresh_url), "0008")
        assert not {"count_session", "count_line"} & _tables(engine)
    finally:
        engine.dispose()
