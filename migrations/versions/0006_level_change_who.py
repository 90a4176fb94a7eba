"""level change who

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:10:00.000000

Who changed an incident's level, readable from the history alone: the username as it was when the
account acted, filled in for the changes recorded so far from their user_id; and an index on user_id
(what did this person change). The rows stay; on SQLite the table is rebuilt in batch mode.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('level_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.execute(
        "UPDATE level_change SET username = "
        "(SELECT user_account.username FROM user_account WHERE user_account.id = level_change.user_id)"
    )
    with op.batch_alter_table('level_change', schema=None) as batch_op:
        batch_op.alter_column('username', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_level_change_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('level_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_level_change_user_id'))
        batch_op.drop_column('username')
