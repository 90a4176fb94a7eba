"""second factor (TOTP)

Revision ID: 0025
Revises: 0026 (0021 as assigned; re-chained when branch sechttp merged main)
Create Date: 2026-12-05 23:00:00

The second factor of a login (``accounts.totp``): a user's TOTP secret (``user_totp``) and their one-time
recovery codes (``totp_recovery_code``, hashed). Which roles must use it is a row of the settings table
(``accounts.totp_roles``), no column. Downgrading drops both tables (every enrolment is lost).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0025'
down_revision: Union[str, None] = '0026'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('user_totp',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_step', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('totp_recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('used_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('totp_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_totp_recovery_code_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('totp_recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_totp_recovery_code_user_id'))
    op.drop_table('totp_recovery_code')
    op.drop_table('user_totp')
