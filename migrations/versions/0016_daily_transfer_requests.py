"""daily transfer requests

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 17:22:03.504860

Daily transfer requests (日常调拨申请): a town station or village point asks a depot above it for items; an
approval makes a transfer order (``order_id``) with no incident and no plan. New tables only: nothing existing
changes, and downgrading drops them.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('transfer_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('source_depot_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('wanted_by', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'approved') = (order_id is not null)", name='ck_transfer_request_order'),
    sa.CheckConstraint("status in ('pending','approved','rejected','withdrawn')", name='ck_transfer_request_status'),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['depot_id'], ['depot.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['transfer_order.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['source_depot_id'], ['depot.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id')
    )
    with op.batch_alter_table('transfer_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_request_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_request_source_depot_id'), ['source_depot_id'], unique=False)
        batch_op.create_index('ix_transfer_request_status_id', ['status', 'id'], unique=False)

    op.create_table('transfer_request_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('granted', sa.Integer(), nullable=True),
    sa.CheckConstraint('granted is null or (granted >= 0 and granted <= quantity)', name='ck_transfer_request_line_granted'),
    sa.CheckConstraint('quantity > 0', name='ck_transfer_request_line_quantity'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['transfer_request.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'item_id', name='uq_transfer_request_line_item')
    )
    with op.batch_alter_table('transfer_request_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_request_line_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transfer_request_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_request_line_request_id'))

    op.drop_table('transfer_request_line')
    with op.batch_alter_table('transfer_request', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_request_status_id')
        batch_op.drop_index(batch_op.f('ix_transfer_request_source_depot_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_request_depot_id'))

    op.drop_table('transfer_request')
