"""Migration 0013 on a database that holds ledger lines, on SQLite (batch mode: the movement table is copied)
and PostgreSQL: the lines stay, the transfer-order tables appear, the ledger takes the kinds ship and deliver
(and still refuses unknown kinds and negative balances), and it goes down again once no such line exists."""
import pytest
import sqlalchemy as sa
from alembic import command

from common.migrate import alembic_config, upgrade
from tests.integration.test_migrations import KEEPER_ROW, fresh_url  # noqa: F401  (the fixture)

ROWS = [
    "insert into depot (id, code, name, tier, kind, path, key_town) values (1, 'C1', '县级储备库', 'county', 'station', "
    "'/1/', false)",
    "insert into item (id, code, name_zh, name_en, category, unit, weight_kg, volume_m3, priority) values "
    "(1, 'TENT', '救灾帐篷', 'Relief tent', 'living', '顶', 45, 0.25, 1)",
    "insert into lot (id, code, item_id, depot_id, quantity, received_on, storage_mode, source, created_at, chain_head) "
    "values (1, 'TENT-C1', 1, 1, 10, '2026-06-01', 'physical', 'purchase', '2026-06-01 02:00:00+00:00', 'h1')",
]


def _line(n: int, kind: str, quantity: int, balance: int) -> sa.TextClause:
    return sa.text("insert into movement (id, kind, lot_id, depot_id, item_id, quantity, balance_after, user_id, "
                   f"created_at, prev_hash, hash) values ({n}, '{kind}', 1, 1, 1, {quantity}, {balance}, 1, "
                   f"'2026-07-01 02:00:00+00:00', 'p{n}', 'h{n}')")


def test_0013_adds_transfer_orders_and_the_ship_and_deliver_kinds_and_goes_down_again(fresh_url):  # noqa: F811
    upgrade(fresh_url, "0012")
    engine = sa.create_engine(fresh_url)
    try:
        with engine.begin() as c:
            c.execute(KEEPER_ROW)
            for row in ROWS:
                c.execute(sa.text(row))
            c.execute(_line(1, "receive", 10, 10))
        upgrade(fresh_url, "0013")
        with engine.connect() as c:
            names = set(sa.inspect(c).get_table_names())
            assert {"transfer_order", "transfer_line", "transfer_pick", "transfer_receipt", "transfer_event"} <= names
            assert c.execute(sa.text("select kind, quantity from movement")).all() == [("receive", 10)]
            indexes = {ix["name"] for ix in sa.inspect(c).get_indexes("movement")}
        assert {"ix_movement_lot_id_id", "ix_movement_depot_created", "ix_movement_reference"} <= indexes
        with engine.begin() as c:
            c.execute(_line(2, "ship", -4, 6))
        for bad in (_line(3, "teleport", -1, 5), _line(3, "ship", -7, -1)):
            with pytest.raises(sa.exc.IntegrityError):
                with engine.begin() as c:
                    c.execute(bad)
        with pytest.raises(RuntimeError, match="ledger lines of transfer orders"):
            command.downgrade(alembic_config(fresh_url), "0012")
        with engine.begin() as c:  # only on a database where no order ever moved stock
            c.execute(sa.text("delete from movement where kind = 'ship'"))
        command.downgrade(alembic_config(fresh_url), "0012")
        with engine.connect() as c:
            assert "transfer_order" not in set(sa.inspect(c).get_table_names())
        with pytest.raises(sa.exc.IntegrityError):
            with engine.begin() as c:
                c.execute(_line(2, "ship", -4, 6))
    finally:
        engine.dispose()
