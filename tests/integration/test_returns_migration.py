"""Migration 0015 on a database that holds items, on SQLite (batch mode) and PostgreSQL: every existing item
becomes not durable, the returns tables appear, and it goes down again."""
import sqlalchemy as sa
from alembic import command

from common.migrate import alembic_config, upgrade
from tests.integration.test_migrations import fresh_url  # noqa: F401  (the fixture)

ITEM = ("insert into item (id, code, name_zh, name_en, category, unit, weight_kg, volume_m3, priority) values "
        "(1, 'PUMP', '排水泵', 'Drainage pump', 'flood', '台', 40, 0.12, 1)")


def test_0015_makes_existing_items_not_durable_adds_the_returns_tables_and_goes_down_again(fresh_url):  # noqa: F811
    upgrade(fresh_url, "0014")
    engine = sa.create_engine(fresh_url)
    try:
        with engine.begin() as c:
            c.execute(sa.text(ITEM))
        upgrade(fresh_url, "0015")
        with engine.connect() as c:
            assert c.execute(sa.text("select code, durable from item")).all() == [("PUMP", False)]
            assert {"equipment_return", "equipment_release"} <= set(sa.inspect(c).get_table_names())
        command.downgrade(alembic_config(fresh_url), "0014")
        with engine.connect() as c:
            assert "equipment_return" not in set(sa.inspect(c).get_table_names())
            assert "durable" not in {col["name"] for col in sa.inspect(c).get_columns("item")}
            assert c.execute(sa.text("select code from item")).all() == [("PUMP",)]
    finally:
        engine.dispose()
