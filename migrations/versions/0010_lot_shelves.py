"""lot shelves and shelf moves

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 16:40:00.000000

Lots get a shelf location (``lot.shelf``, a code like A-03, the one the shelf labels carry), empty for
the lots already held: nobody has said yet where they stand. ``shelf_move`` keeps who put a lot on which
shelf and when (inventory.shelves); it starts empty.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import common.db


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shelf', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.create_index('ix_lot_depot_shelf', ['depot_id', 'shelf'], unique=False)
    op.create_table(
        'shelf_move',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('depot_id', sa.Integer(), nullable=False),
        sa.Column('from_shelf', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column('to_shelf', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('moved_at', common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(['depot_id'], ['depot.id'], ),
        sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('shelf_move', schema=None) as batch_op:
        batch_op.create_index('ix_shelf_move_lot_id_id', ['lot_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shelf_move_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('shelf_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shelf_move_user_id'))
        batch_op.drop_index('ix_shelf_move_lot_id_id')
    op.drop_table('shelf_move')
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.drop_index('ix_lot_depot_shelf')
        batch_op.drop_column('shelf')
