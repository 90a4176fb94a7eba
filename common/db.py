"""Engine set-up and the unit of work: the only place that commits."""
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite keeps no offset of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware one")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


WRITES = "reliefdepot_writes"  # execution option of a unit of work's connection: SQLite takes the write lock


def make_engine(url: str, **kwargs) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _sqlite_writes_take_the_lock_up_front(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_writes_take_the_lock_up_front(engine: sa.Engine) -> None:
    """SQLite upgrades a read lock to a write lock lazily, which deadlocks two writers that both read
    first. A unit of work (the only writer) therefore begins with BEGIN IMMEDIATE and queues for the write
    lock (busy timeout 30 s), which is what SELECT ... FOR UPDATE gives us on PostgreSQL. Everything else
    only reads: a deferred BEGIN reads a snapshot (WAL) and never waits for, nor holds up, a writer."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's begin event emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITES) else "BEGIN")


_REQUEST_READS: ContextVar[dict | None] = ContextVar("reliefdepot_request_reads", default=None)


@contextmanager
def one_statement_reads(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection for reads of one statement each (a token check, a scanned lot).

    On PostgreSQL it runs in autocommit: each statement is its own snapshot, and the BEGIN and ROLLBACK round
    trips a transaction adds are left out; inside a request (``hold_request_reads``) the request's statements
    share one such connection, so the scanning page's lookup checks out and pings one connection, not two.
    SQLite keeps a connection of its own per use with the usual deferred BEGIN (its isolation reset on return
    would undo the set-up above, and a connection kept open would keep its first snapshot)."""
    held = _REQUEST_READS.get()
    if engine.dialect.name != "postgresql":
        with engine.connect() as conn:
            yield conn
    elif held is None:
        with engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")
    else:
        conn = held.get(engine)
        if conn is None or conn.closed or conn.invalidated:
            conn = held[engine] = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def hold_request_reads() -> Token:
    """From now until ``release_request_reads``, ``one_statement_reads`` shares a connection per engine."""
    return _REQUEST_READS.set({})


def release_request_reads(token: Token) -> None:
    held = _REQUEST_READS.get() or {}
    _REQUEST_READS.reset(token)
    for conn in held.values():
        conn.close()


class UnitOfWork:
    """One business transaction. Rolls back unless ``commit()`` was called.

    with UnitOfWork(engine) as uow:
        ...
        uow.commit()
    """

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = Session(self.engine.execution_options(**{WRITES: True}), expire_on_commit=False,
                               autoflush=True)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def lock_for_update(self, statement):
        """SELECT ... FOR UPDATE on PostgreSQL; SQLite already holds the database write lock."""
        if self.engine.dialect.name == "postgresql":
            return statement.with_for_update()
        return statement
