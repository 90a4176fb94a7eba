"""token last used

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:30:00.000000

When each bearer token was last sent (to the hour), so a user or an administrator can tell a lost
phone's token from one in use before revoking it at /account/tokens. Empty for the tokens issued so
far (never seen since this column came); the rows stay; on SQLite the table is rebuilt in batch mode.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import common.db


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', common.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
