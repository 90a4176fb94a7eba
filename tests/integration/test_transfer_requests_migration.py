"""Migration 0016 on SQLite and PostgreSQL: it adds the daily transfer request tables beside the transfer orders
already there (nothing else changes), and goes down again."""
import sqlalchemy as sa
from alembic import command

from common.migrate import alembic_config, upgrade
from tests.integration.test_migrations import KEEPER_ROW, fresh_url  # noqa: F401 (a fixture)


def test_0016_adds_the_transfer_request_tables_beside_the_orders_and_goes_down_again(fresh_url):  # noqa: F811
    upgrade(fresh_url, "0015")
    engine = sa.create_engine(fresh_url)
    try:
        with engine.begin() as c:
            c.execute(KEEPER_ROW)
        upgrade(fresh_url, "0016")
        with engine.connect() as c:
            inspector = sa.inspect(c)
            names = set(inspector.get_table_names())
            checks = {x["name"] for x in inspector.get_check_constraints("transfer_request")}
            indexes = {x["name"] for x in inspector.get_indexes("transfer_request")}
        assert {"transfer_request", "transfer_request_line", "transfer_order"} <= names
        assert {"ck_transfer_request_status", "ck_transfer_request_order"} <= checks
        assert "ix_transfer_request_status_id" in indexes
        with engine.connect() as c:
            assert c.execute(sa.text("select username from user_account")).scalar_one() == "keeper"
        command.downgrade(alembic_config(fresh_url), "0015")
        with engine.connect() as c:
            names = set(sa.inspect(c).get_table_names())
        assert "transfer_request" not in names and "transfer_request_line" not in names and "transfer_order" in names
    finally:
        engine.dispose()
