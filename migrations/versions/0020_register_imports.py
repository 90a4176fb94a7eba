"""register imports

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 21:20:00

Registers imported from the command line (``registers.importing``): one row per committed file, keyed by its
SHA-256 (who, when, the file name, what it created); each lot it made is keyed by the file, sheet and row,
so a file imported again creates nothing new. A new table only; downgrading drops it (the depots, items, lots
and ledger lines it made stay).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0020'
down_revision: Union[str, None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('register_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=False),
    sa.Column('imported_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('depots', sa.Integer(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('lots', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['imported_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('register_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_import_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('register_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_import_sha256'))
    op.drop_table('register_import')
