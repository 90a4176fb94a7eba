"""Migration 0006 on a database that already holds level changes: each gets the username of the account
that made it, the rows stay, and it goes down again; on SQLite (batch mode) and PostgreSQL."""
import uuid

import pytest
import sqlalchemy as sa
from alembic import command

from common.migrate import alembic_config, upgrade
from tests.conftest import PG_URL

USERS = [(1, "admin", "admin"), (2, "dispatcher", "dispatcher")]
CHANGES = [(1, "IV", "III", "水位上涨", 2), (2, "III", "II", "堤防险情", 1)]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    """An empty database: a new SQLite file, or a PostgreSQL schema of its own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    schema = f"rdmig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as c:
        c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _columns(engine, table: str) -> set[str]:
    with engine.connect() as c:
        return {col["name"] for col in sa.inspect(c).get_columns(table)}


def _indexes(engine, table: str) -> set[str]:
    with engine.connect() as c:
        return {ix["name"] for ix in sa.inspect(c).get_indexes(table)}


def test_0006_names_the_user_of_every_level_change_and_goes_down_again(fresh_url):
    upgrade(fresh_url, "0005")
    engine = sa.create_engine(fresh_url)
    try:
        with engine.begin() as c:
            for user_id, username, role in USERS:
                c.execute(sa.text("insert into user_account (id, username, display_name, password_hash, role, active, "
                                  "created_at) values (:id, :u, :u, 'x', :r, true, '2026-07-01 02:00:00+00:00')"),
                          {"id": user_id, "u": username, "r": role})
            c.execute(sa.text("insert into incident (id, type, title, level, declared_at, days, created_by, "
                              "created_at) values (1, 'flood', '7·15', 'II', '2026-07-01 02:00:00+00:00', 3, 2, "
                              "'2026-07-01 02:00:00+00:00')"))
            for change_id, old, new, reason, user_id in CHANGES:
                c.execute(sa.text("insert into level_change (id, incident_id, from_level, to_level, reason, user_id, "
                                  "created_at) values (:id, 1, :old, :new, :reason, :user, "
                                  "'2026-07-01 03:00:00+00:00')"),
                          {"id": change_id, "old": old, "new": new, "reason": reason, "user": user_id})

        upgrade(fresh_url, "0006")
        with engine.connect() as c:
            rows = c.execute(sa.text("select id, from_level, to_level, reason, user_id, username from level_change "
                                     "order by id")).all()
        assert [tuple(r) for r in rows] == [(1, "IV", "III", "水位上涨", 2, "dispatcher"),
                                            (2, "III", "II", "堤防险情", 1, "admin")]
        assert "ix_level_change_user_id" in _indexes(engine, "level_change")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:  # a change always names its user
            c.execute(sa.text("insert into level_change (incident_id, from_level, to_level, reason, user_id, "
                              "created_at) values (1, 'II', 'I', 'x', 1, '2026-07-01 04:00:00+00:00')"))

        command.downgrade(alembic_config(fresh_url), "0005")
        assert "username" not in _columns(engine, "level_change")
        assert "ix_level_change_user_id" not in _indexes(engine, "level_change")
        with engine.connect() as c:
            assert c.execute(sa.text("select count(*) from level_change")).scalar() == 2
        upgrade(fresh_url)  # and up again, to the head
        assert "username" in _columns(engine, "level_change")
    finally:
        engine.dispose()
