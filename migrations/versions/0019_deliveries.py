"""deliveries received

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 20:50:00

Receiving new deliveries (``receiving``): a delivery document and its lines, each line naming the lot and the
ledger line it made. New tables only; downgrading drops them (the lots and their ledger lines stay).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('supplier', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('document_no', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('received_by', sa.Integer(), nullable=False),
    sa.Column('received_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.CheckConstraint("kind in ('purchase','agreement','capacity')", name='ck_delivery_kind'),
    sa.ForeignKeyConstraint(['depot_id'], ['depot.id'], ),
    sa.ForeignKeyConstraint(['received_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_depot_id_id', ['depot_id', 'id'], unique=False)

    op.create_table('delivery_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('production_date', sa.Date(), nullable=True),
    sa.Column('shelf_life_months', sa.Integer(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('unit_price_cents', sa.Integer(), nullable=True),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('movement_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name='ck_delivery_line_quantity_positive'),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['movement_id'], ['movement.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('delivery_id', 'line_no', name='uq_delivery_line_no')
    )
    with op.batch_alter_table('delivery_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_line_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_line_lot_id'), ['lot_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_line_lot_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_line_delivery_id'))
    op.drop_table('delivery_line')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_depot_id_id')
    op.drop_table('delivery')
