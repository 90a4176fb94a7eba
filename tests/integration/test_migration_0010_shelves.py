"""Migration 0010 on a database that already holds lots, on SQLite (batch mode) and PostgreSQL: every lot
keeps its row with no shelf, shelf moves are kept from then on, and it goes down again."""
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command

from common.actor import Actor
from common.errors import NotYourDepot
from common.migrate import alembic_config, upgrade
from inventory import shelves
from tests.integration.test_migrations import KEEPER_ROW, _columns, _indexes, fresh_url  # noqa: F401 (fixture)

ROWS = [
    "insert into depot (id, code, name, tier, kind, path, key_town) values (1, 'T1', '玉龙镇储备站', 'town', "
    "'station', '/1/', false)",
    "insert into item (id, code, name_zh, name_en, category, unit, weight_kg, volume_m3, priority) "
    "values (1, 'WATER', '瓶装饮用水', 'Bottled water', 'living', '箱', 13.5, 0.02, 1)",
    "insert into lot (id, code, item_id, depot_id, quantity, received_on, expires_on, storage_mode, source, "
    "created_at, chain_head) values (1, 'L1', 1, 1, 20, '2026-06-01', '2027-01-01', 'physical', 'purchase', "
    "'2026-06-01 02:00:00+00:00', :head)",
]


def _lots(engine) -> list[tuple]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(sa.text("select id, code, quantity, expires_on from lot order by id"))]


def test_0010_gives_every_lot_an_empty_shelf_keeps_shelf_moves_and_goes_down_again(fresh_url):
    upgrade(fresh_url, "0009")
    engine = sa.create_engine(fresh_url)
    try:
        with engine.begin() as c:
            c.execute(KEEPER_ROW)
            for statement in ROWS:
                c.execute(sa.text(statement), {"head": "0" * 64})
            c.execute(sa.text("insert into keeper_depot (user_id, depot_id) values (1, 1)"))
        before = _lots(engine)

        upgrade(fresh_url, "0010")
        assert {"shelf"} <= _columns(engine, "lot") and "ix_lot_depot_shelf" in _indexes(engine, "lot")
        assert _lots(engine) == before
        with engine.connect() as c:
            assert c.execute(sa.text("select shelf from lot")).scalar_one() is None
        # the application's own service moves the old lot onto a shelf and keeps the move (today's code reads
        # today's schema: up to the head first, then all the way down again below)
        upgrade(fresh_url)
        keeper = Actor(user_id=1, username="keeper", role="keeper", depot_ids=frozenset({1}))
        now = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)
        moved = shelves.move_to_shelf(engine, keeper, now, lot="L1", shelf="a-03")
        assert (moved["from_shelf"], moved["to_shelf"]) == (None, "A-03")
        with pytest.raises(NotYourDepot):
            shelves.move_to_shelf(engine, Actor(2, "other", "keeper", frozenset({99})), now, lot="L1", shelf="B-1")
        with engine.connect() as c:
            assert c.execute(sa.text("select shelf from lot")).scalar_one() == "A-03"
            assert tuple(c.execute(sa.text("select lot_id, from_shelf, to_shelf, user_id from shelf_move")).one()) \
                == (1, None, "A-03", 1)
            # a move names its lot, depot and user
            keys = {(fk["constrained_columns"][0], fk["referred_table"]) for fk in sa.inspect(c).get_foreign_keys("shelf_move")}
        assert keys == {("lot_id", "lot"), ("depot_id", "depot"), ("user_id", "user_account")}

        command.downgrade(alembic_config(fresh_url), "0009")
        assert "shelf" not in _columns(engine, "lot") and "ix_lot_depot_shelf" not in _indexes(engine, "lot")
        with engine.connect() as c:
            assert "shelf_move" not in sa.inspect(c).get_table_names()
        assert _lots(engine) == before
        upgrade(fresh_url)  # and up again, to the head
        assert "shelf" in _columns(engine, "lot")
    finally:
        engine.dispose()
