"""Alembic environment. The URL comes from the caller (the app's `db upgrade`) or DATABASE_URL."""
import os

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

import accounts.models  # noqa: F401  (registers the tables)
import audit.models  # noqa: F401
import dispatch.models  # noqa: F401
import counts.models  # noqa: F401
import inventory.models  # noqa: F401
import labels.models  # noqa: F401
import orders.models  # noqa: F401
import receiving.models  # noqa: F401
import registers.models  # noqa: F401
import donations.models  # noqa: F401
import transport.models  # noqa: F401
from common.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.attributes.get("url") or os.environ.get("DATABASE_URL") or "sqlite:///instance/reliefdepot.db"


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = _url()
    # SQLite: batch migrations copy and drop tables, which foreign keys would forbid mid-way.
    engine = sa.create_engine(url) if url.startswith("sqlite") else make_engine(url)
    try:
        with engine.connect() as connection:
            if url.startswith("sqlite"):
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()  # end the autobegun transaction so Alembic's own one commits
            _run(connection)
    finally:  # also when a migration refuses: no pooled connection is left open
        engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
