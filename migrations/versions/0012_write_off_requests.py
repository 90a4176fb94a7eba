"""write-off requests

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 16:24:37.336857

Write-off requests (报损申请) and their photos: a keeper asks, an administrator approves with the
approving document number (审批文号) or rejects; only an approval writes the ledger's write_off line
(reference BS-<id>). Existing write-off lines stay as they were, without a request.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('write_off_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('document_no', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('decision_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('movement_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("reason in ('expired','damaged','lost')", name='ck_write_off_request_reason'),
    sa.CheckConstraint("status in ('pending','approved','rejected','withdrawn')", name='ck_write_off_request_status'),
    sa.CheckConstraint('quantity > 0', name='ck_write_off_request_quantity_positive'),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['depot_id'], ['depot.id'], ),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['movement_id'], ['movement.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('requested_by', 'idempotency_key', name='uq_write_off_request_user_key')
    )
    with op.batch_alter_table('write_off_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_write_off_request_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_write_off_request_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index('ix_write_off_request_status_id', ['status', 'id'], unique=False)

    op.create_table('write_off_photo',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['write_off_request.id'], ),
    sa.PrimaryKeyConstraint('request_id')
    )


def downgrade() -> None:
    op.drop_table('write_off_photo')
    with op.batch_alter_table('write_off_request', schema=None) as batch_op:
        batch_op.drop_index('ix_write_off_request_status_id')
        batch_op.drop_index(batch_op.f('ix_write_off_request_lot_id'))
        batch_op.drop_index(batch_op.f('ix_write_off_request_depot_id'))

    op.drop_table('write_off_request')
