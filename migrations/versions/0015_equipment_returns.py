"""durable equipment and its returns

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:00:00.000000

Items say whether they are durable equipment (``item.durable``, false for the existing ones: an administrator
marks them, the demo catalog does). Returns (回收) of durable units from an incident's sites into a depot, with
their inspection, and the units a dispatcher declares will not come back (``equipment_return``,
``equipment_release``). The ledger kinds are unchanged (``return`` and ``transfer_out`` exist).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('durable', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table('equipment_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('site_kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('site_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('origin_lot_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('out_movement_id', sa.Integer(), nullable=True),
    sa.Column('received_by', sa.Integer(), nullable=False),
    sa.Column('received_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('restocked', sa.Integer(), nullable=False),
    sa.Column('damaged', sa.Integer(), nullable=False),
    sa.Column('damage_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('return_movement_id', sa.Integer(), nullable=True),
    sa.Column('write_off_request_id', sa.Integer(), nullable=True),
    sa.Column('inspected_by', sa.Integer(), nullable=True),
    sa.Column('inspected_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status in ('awaiting_inspection','inspected')", name='ck_equipment_return_status'),
    sa.CheckConstraint("site_kind in ('depot','shelter')", name='ck_equipment_return_site_kind'),
    sa.CheckConstraint('quantity > 0 and restocked >= 0 and damaged >= 0', name='ck_equipment_return_quantities'),
    sa.CheckConstraint("(status = 'inspected' and restocked + damaged = quantity) or "
                       "(status = 'awaiting_inspection' and restocked = 0 and damaged = 0)",
                       name='ck_equipment_return_inspection'),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['origin_lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['depot_id'], ['depot.id'], ),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['out_movement_id'], ['movement.id'], ),
    sa.ForeignKeyConstraint(['received_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['return_movement_id'], ['movement.id'], ),
    sa.ForeignKeyConstraint(['write_off_request_id'], ['write_off_request.id'], ),
    sa.ForeignKeyConstraint(['inspected_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('equipment_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equipment_return_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index('ix_equipment_return_incident_site_item', ['incident_id', 'site_code', 'item_id'],
                              unique=False)

    op.create_table('equipment_release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('site_kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('site_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('declared_by', sa.Integer(), nullable=False),
    sa.Column('declared_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("site_kind in ('depot','shelter')", name='ck_equipment_release_site_kind'),
    sa.CheckConstraint('quantity > 0', name='ck_equipment_release_quantity'),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['declared_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('equipment_release', schema=None) as batch_op:
        batch_op.create_index('ix_equipment_release_incident_site_item', ['incident_id', 'site_code', 'item_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('equipment_release', schema=None) as batch_op:
        batch_op.drop_index('ix_equipment_release_incident_site_item')
    op.drop_table('equipment_release')
    with op.batch_alter_table('equipment_return', schema=None) as batch_op:
        batch_op.drop_index('ix_equipment_return_incident_site_item')
        batch_op.drop_index(batch_op.f('ix_equipment_return_depot_id'))
    op.drop_table('equipment_return')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_column('durable')
