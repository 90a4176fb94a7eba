"""Fixtures shared by every tier.

Integration tests take ``db_url`` (or ``app`` / ``engine`` built on it) and run twice: on SQLite and
on PostgreSQL. PostgreSQL comes from TEST_POSTGRES_URL (default: the local server, database ``test``),
each run in a schema of its own that is dropped at the end. When the server cannot be reached the
PostgreSQL half is left out and the summary says so in capitals; with REQUIRE_POSTGRES=1 (CI) the run
fails instead.
"""
import os
import re
import shutil
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from common.migrate import upgrade

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("REQUIRE_POSTGRES") == "1"
_pg_problem: list[str] = []


def _pg_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as c:
            c.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as e:  # any failure to connect means "not reachable", said plainly below
        return str(e).splitlines()[0]


def pytest_collection_modifyitems(config, items):
    problem = _pg_reachable()
    if problem is None:
        return
    if REQUIRE_PG:
        raise pytest.UsageError(f"REQUIRE_POSTGRES=1 but PostgreSQL at {PG_URL} cannot be reached: {problem}")
    _pg_problem.append(problem)
    kept = [i for i in items if "[postgresql" not in i.nodeid]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept


def pytest_terminal_summary(terminalreporter):
    if _pg_problem:
        terminalreporter.write_line(
            f"POSTGRESQL NOT REACHABLE at {PG_URL} ({_pg_problem[0]}): the PostgreSQL half of the suite did NOT run",
            red=True, bold=True)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """scrypt costs ~0.2 s a password by design; the suite creates hundreds of accounts."""
    import accounts.services

    accounts.services.PASSWORD_METHOD = "pbkdf2:sha256:1000"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_schema_url():
    schema = f"rdtest_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.begin() as c:
        c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        tables = c.execute(sa.text(
            "select tablename from pg_tables where schemaname = current_schema() and tablename <> 'alembic_version'"
        )).scalars().all()
        c.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_schema_url")
    _truncate_all(url)
    return url


# The security rules that tests not about them would trip over by moving the clock hours or months ahead, or by
# many wrong logins from one address: relaxed here. The tests of these rules (tests/integration/
# test_security_login.py, the lock in tests/browser/test_browser_people.py) run with the real defaults.
LENIENT_SECURITY = {"LOGIN_MAX_FAILURES": 10_000, "LOGIN_ADDRESS_MAX_FAILURES": 10_000,
                    "SESSION_IDLE_MINUTES": 10 * 365 * 24 * 60, "SESSION_LIFETIME_HOURS": 10 * 365 * 24,
                    "PASSWORD_MAX_AGE_DAYS": 0}


@pytest.fixture
def app(db_url, tmp_path):
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test-secret",
                      "BASE_URL": "http://testserver", **LENIENT_SECURITY})
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def engine(app):
    return app.extensions["engine"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def login(client, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


# ------------------------------------------------------------------ a small county written by hand


@dataclass
class SmallCounty:
    """C1 ─┬─ T1 (key town) ─┬─ T1-V1
           │                 └─ T1-V2
           └─ T2 ─── T2-V1
    keeper keeps T1 and T1-V1; keeper2 keeps T2; passwords are "<username>-pass"."""

    admin: object
    dispatcher: object
    keeper: object
    keeper2: object
    auditor: object
    tokens: dict


@pytest.fixture
def county(engine):
    return small_county(engine)


def small_county(engine) -> SmallCounty:
    """The SmallCounty's depots, items and accounts written into ``engine``'s database, with a token each."""
    from accounts.services import actor_for, add_user, issue_token
    from accounts.models import User
    from common.db import UnitOfWork
    from inventory.catalog import DepotFields, ItemFields, add_depot, add_item
    from sqlmodel import select

    with UnitOfWork(engine) as uow:
        add_depot(uow, DepotFields(code="C1", name="县级储备库", tier="county", lat=29.15, lon=105.38))
        add_depot(uow, DepotFields(code="T1", name="玉龙镇储备站", tier="town", parent="C1", key_town=True,
                                   lat=29.2, lon=105.4))
        add_depot(uow, DepotFields(code="T2", name="青山镇储备站", tier="town", parent="C1", lat=29.0, lon=105.3))
        add_depot(uow, DepotFields(code="T1-V1", name="玉龙村储备点", tier="village", parent="T1"))
        add_depot(uow, DepotFields(code="T1-V2", name="桃园村储备点", tier="village", parent="T1"))
        add_depot(uow, DepotFields(code="T2-V1", name="石桥村储备点", tier="village", parent="T2"))
        add_item(uow, ItemFields(code="TENT", name_zh="救灾帐篷", name_en="Relief tent", category="living", unit="顶",
                                 weight_kg=45, volume_m3=0.25, priority=1))
        add_item(uow, ItemFields(code="WATER", name_zh="瓶装饮用水", name_en="Bottled water", category="living",
                                 unit="箱", weight_kg=13.5, volume_m3=0.02, shelf_life_days=365,
                                 rotation_lead_days=90, priority=1))
        add_item(uow, ItemFields(code="PUMP", name_zh="排水泵", name_en="Drainage pump", category="flood",
                                 unit="台", weight_kg=40, volume_m3=0.12, priority=1, kit="big3"))
        users = {}
        for name, role, depots in (("admin", "admin", []), ("dispatcher", "dispatcher", []),
                                   ("keeper", "keeper", ["T1", "T1-V1"]), ("keeper2", "keeper", ["T2"]),
                                   ("auditor", "auditor", [])):
            users[name] = add_user(uow, name, f"{name}-pass", role, depots=depots)
        uow.commit()
        actors = {name: actor_for(uow.session, uow.session.exec(select(User).where(User.id == u.id)).one())
                  for name, u in users.items()}
    tokens = {name: issue_token(engine, a.user_id, "test") for name, a in actors.items()}
    return SmallCounty(tokens=tokens, **actors)


def bearer(county: SmallCounty, name: str) -> dict:
    return {"Authorization": f"Bearer {county.tokens[name]}"}
