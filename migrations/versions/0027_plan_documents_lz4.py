"""plan documents compressed with lz4 (PostgreSQL)

Revision ID: 0027
Revises: 0025
Create Date: 2026-12-06 02:30:00

A city's plan stores its problem document (1.6 MB of JSON for 16,000 lots) and the plan beside it. PostgreSQL
compresses such values with pglz by default, which took 19 ms of a 21 ms insert; lz4 (PostgreSQL 14 and later,
when built with it, as Debian's is) takes 5 ms for a third more bytes on disk (docs/benchmarks.md, "County
planning"). Only new values are written with lz4; a server without lz4 keeps pglz. SQLite: nothing to do.
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0027'
down_revision: Union[str, None] = '0025'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_SET = """
DO $$
BEGIN
    ALTER TABLE plan ALTER COLUMN problem SET COMPRESSION {method};
    ALTER TABLE plan ALTER COLUMN plan SET COMPRESSION {method};
EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
    RAISE NOTICE 'plan documents keep the default compression: %', SQLERRM;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET.format(method="lz4"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET.format(method="default"))
