"""ledger keys and archived seals

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 09:00:00.000000

Lines made from now on carry the id of the ledger key of their HMAC (``movement.key_id``); the lines
already there keep their plain SHA-256 (``key_id`` null) and still verify. ``ledger_key`` records each
key coming into use (fingerprint, who, when, the last line before it); ``ledger_seal`` archives seals.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.create_table(
        'ledger_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('lines_before', sa.Integer(), nullable=False),
        sa.Column('why', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('who', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
        sa.Column('mac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key_id'),
    )
    op.create_table(
        'ledger_seal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('upto', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('mac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('why', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('who', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("why in ('daily','export','manual')", name='ck_ledger_seal_why'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('ledger_seal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_seal_upto'), ['upto'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_seal_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('ledger_seal')
    op.drop_table('ledger_key')
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.drop_column('key_id')
