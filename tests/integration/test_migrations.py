"""Migrations on databases that already hold data, on SQLite (batch mode) and PostgreSQL: 0006 names the
user of every level change, 0007 gives every token an empty last use, 0008 starts every user at session
epoch 0, 0010 adds write-off requests; the rows stay, and each goes down again."""
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command

from accounts import services
from common.migrate import alembic_config, upgrade
from tests.conftest import PG_URL

USERS = [(1, "admin", "admin"), (2, "dispatcher", "dispatcher")]
CHANGES = [(1, "IV", "III", "水位上涨", 2), (2, "III", "II", "堤防险情", 1)]
TOKENS = [(1, "phone", "a" * 64, None), (2, "device: 3f0c9a52", "b" * 64, None),
          (3, "old", "c" * 64, "2026-07-01 04:00:00+00:00")]


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


# user 1, as the columns stood before 0008 (the tables of 0007 and 0008 refer to it)
KEEPER_ROW = sa.text("insert into user_account (id, username, display_name, password_hash, role, active, created_at) "
                     "values (1, 'keeper', 'keeper', 'x', 'keeper', true, '2026-07-01 02:00:00+00:00')")


def _columns(engine, table: str) -> set[str]:
    with engine.connect() as c:
        return {col["name"] for col in sa.inspect(c).get_columns(table)}


def _indexes(engine, table: str) -> set[str]:
    with engine.connect() as c:
        return {ix["name"] for ix in sa.inspect(c).get_indexes(table)}


def _rows(engine) -> list[tuple]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(sa.text(
            "select id, user_id, name, token_hash, revoked_at is not null from api_token order by id")).all()]


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


def test_0007_adds_an_empty_last_used_to_every_token_and_goes_down_again(fresh_url):
    upgrade(fresh_url, "0006")
    engine = sa.create_engine(fresh_url)
    try:
        with engine.begin() as c:
            c.execute(KEEPER_ROW)
            for token_id, name, token_hash, revoked_at in TOKENS:
                c.execute(sa.text("insert into api_token (id, user_id, name, token_hash, created_at, revoked_at) "
                                  "values (:id, 1, :name, :hash, '2026-07-01 02:00:00+00:00', :revoked)"),
                          {"id": token_id, "name": name, "hash": token_hash, "revoked": revoked_at})
        before = _rows(engine)
        indexes = _indexes(engine, "api_token")

        upgrade(fresh_url, "0007")
        assert "last_used_at" in _columns(engine, "api_token")
        assert _rows(engine) == before and _indexes(engine, "api_token") == indexes
        with engine.connect() as c:
            assert c.execute(sa.text("select count(*) from api_token where last_used_at is null")).scalar() == 3
        # the application's own statement marks a token used (the column holds an aware UTC time)
        now = datetime(2026, 7, 1, 2, 30, tzinfo=timezone.utc)
        services._mark_used(engine, 1, now)
        with engine.connect() as c:
            marked = c.execute(sa.select(services._TOKENS.c.last_used_at).where(services._TOKENS.c.id == 1)).scalar()
        assert marked == now
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:  # the token hash stays unique
            c.execute(sa.text("insert into api_token (user_id, name, token_hash, created_at) "
                              "values (1, 'again', :hash, '2026-07-01 02:00:00+00:00')"), {"hash": "a" * 64})

        command.downgrade(alembic_config(fresh_url), "0006")
        assert "last_used_at" not in _columns(engine, "api_token")
        assert _rows(engine) == before and _indexes(engine, "api_token") == indexes
        upgrade(fresh_url)  # and up again, to the head
        assert "last_used_at" in _columns(engine, "api_token")
    finally:
        engine.dispose()


def test_0008_starts_every_user_at_session_epoch_0_so_their_logins_stay_valid_and_goes_down_again(fresh_url):
    upgrade(fresh_url, "0007")
    engine = sa.create_engine(fresh_url)
    try:
        with engine.begin() as c:
            c.execute(KEEPER_ROW)
        upgrade(fresh_url, "0008")
        with engine.connect() as c:
            assert c.execute(sa.text("select session_epoch from user_account")).scalar_one() == 0
        upgrade(fresh_url)  # today's models read columns added later (0018's must_change_password)
        # a login session issued before the column (its id the bare user id) still finds its user
        assert services.actor_for_session(engine, "1").username == "keeper"
        assert services.actor_for_session(engine, "1.0").username == "keeper"
        assert services.actor_for_session(engine, "1.1") is None
        command.downgrade(alembic_config(fresh_url), "0007")
        assert "session_epoch" not in _columns(engine, "user_account")
    finally:
        engine.dispose()


def test_0011_gives_every_existing_line_no_key_adds_the_key_and_seal_tables_and_goes_down_again(fresh_url):
    upgrade(fresh_url, "0010")
    engine = sa.create_engine(fresh_url)
    try:
        upgrade(fresh_url, "0011")
        assert "key_id" in _columns(engine, "movement")
        assert {"key_id", "fingerprint", "lines_before", "mac"} <= _columns(engine, "ledger_key")
        assert {"upto", "count", "digest", "key_id", "mac", "why", "who"} <= _columns(engine, "ledger_seal")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:  # a seal says why it was taken
            c.execute(sa.text("insert into ledger_seal (upto, count, digest, key_id, mac, why, who, created_at) "
                              "values (1, 1, 'd', 'k', 'm', 'whim', 'x', '2026-07-01 02:00:00+00:00')"))
        command.downgrade(alembic_config(fresh_url), "0010")
        assert "key_id" not in _columns(engine, "movement")
        with engine.connect() as c:
            assert "ledger_seal" not in sa.inspect(c).get_table_names()
        upgrade(fresh_url)
    finally:
        engine.dispose()


def test_0012_adds_write_off_requests_and_photos_beside_existing_write_offs_and_goes_down_again(fresh_url):
    upgrade(fresh_url, "0011")
    engine = sa.create_engine(fresh_url)
    try:
        with engine.begin() as c:
            c.execute(KEEPER_ROW)
        upgrade(fresh_url, "0012")
        with engine.connect() as c:
            names = set(sa.inspect(c).get_table_names())
            uniques = {u["name"] for u in sa.inspect(c).get_unique_constraints("write_off_request")}
        assert {"write_off_request", "write_off_photo"} <= names
        assert "uq_write_off_request_user_key" in uniques
        assert "ix_write_off_request_status_id" in _indexes(engine, "write_off_request")
        with engine.connect() as c:  # a keeper still there, no request yet
            assert c.execute(sa.text("select count(*) from write_off_request")).scalar_one() == 0
            assert c.execute(sa.text("select username from user_account")).scalar_one() == "keeper"
        command.downgrade(alembic_config(fresh_url), "0011")
        with engine.connect() as c:
            names = set(sa.inspect(c).get_table_names())
        assert "write_off_request" not in names and "write_off_photo" not in names
    finally:
        engine.dispose()


def test_0018_leaves_every_user_without_a_forced_change_every_depot_open_and_goes_down_again(fresh_url):
    upgrade(fresh_url, "0017")
    engine = sa.create_engine(fresh_url)
    try:
        with engine.begin() as c:
            c.execute(KEEPER_ROW)
            c.execute(sa.text("insert into depot (id, code, name, tier, kind, path, key_town) "
                              "values (1, 'C1', '县级储备库', 'county', 'station', '/1/', false)"))
        upgrade(fresh_url, "0018")
        with engine.connect() as c:
            assert c.execute(sa.text("select must_change_password from user_account")).scalar_one() in (False, 0)
            assert c.execute(sa.text("select closed_at from depot")).scalar_one() is None
        with engine.begin() as c:
            c.execute(sa.text("insert into admin_change (at, user_id, subject_kind, subject, action) "
                              "values ('2026-07-01 02:00:00+00:00', 1, 'depot', 'C1', 'renamed')"))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:
            c.execute(sa.text("insert into admin_change (at, user_id, subject_kind, subject, action) "
                              "values ('2026-07-01 02:00:00+00:00', 1, 'shelf', 'A-1', 'renamed')"))
        command.downgrade(alembic_config(fresh_url), "0017")
        assert "must_change_password" not in _columns(engine, "user_account")
        assert "closed_at" not in _columns(engine, "depot")
        with engine.connect() as c:
            assert "admin_change" not in sa.inspect(c).get_table_names()
            assert c.execute(sa.text("select username from user_account")).scalar_one() == "keeper"
    finally:
        engine.dispose()
