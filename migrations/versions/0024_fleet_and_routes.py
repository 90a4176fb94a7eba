"""fleet and routes

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-05 22:46:32

Transport (``transport``): the fleet register (``vehicle``), the vehicles called in for an incident
(``incident_vehicle``), the incident's route plans (``route_plan``: routing problem and plan as JSON) and the
truckloads on them (``route_stop``). Downgrading drops the four tables.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0024'
down_revision: Union[str, None] = '0022'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('vehicle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plate', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('capacity_kg', sa.Float(), nullable=False),
    sa.Column('capacity_m3', sa.Float(), nullable=False),
    sa.Column('home_depot_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partner_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('contract_number', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('partner_vehicles', sa.Integer(), nullable=True),
    sa.Column('arrival_minutes', sa.Integer(), nullable=True),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('requisitioned_on', sa.Date(), nullable=True),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('compensation_fen', sa.BigInteger(), nullable=True),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('settlement_note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind in ('own','partner','requisitioned')", name='ck_vehicle_kind'),
    sa.CheckConstraint("status in ('available','on_duty','out_of_service')", name='ck_vehicle_status'),
    sa.CheckConstraint('capacity_kg > 0 and capacity_m3 > 0', name='ck_vehicle_capacity_positive'),
    sa.ForeignKeyConstraint(['home_depot_id'], ['depot.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plate')
    )
    with op.batch_alter_table('vehicle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vehicle_home_depot_id'), ['home_depot_id'], unique=False)

    op.create_table('incident_vehicle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('called_by', sa.Integer(), nullable=False),
    sa.Column('called_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['called_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['depot_id'], ['depot.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'vehicle_id', name='uq_incident_vehicle')
    )
    with op.batch_alter_table('incident_vehicle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_vehicle_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_vehicle_vehicle_id'), ['vehicle_id'], unique=False)

    op.create_table('route_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('zero_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('route_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_plan_incident_id'), ['incident_id'], unique=False)

    op.create_table('route_stop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('route_plan_id', sa.Integer(), nullable=False),
    sa.Column('stop', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('load_kg', sa.Integer(), nullable=False),
    sa.Column('load_m3x100', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('trip', sa.Integer(), nullable=True),
    sa.Column('arrive', sa.Integer(), nullable=True),
    sa.Column('leave', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.CheckConstraint('(vehicle_id is null) = (reason is not null)', name='ck_route_stop_served_or_reason'),
    sa.CheckConstraint('load_kg >= 0 and load_m3x100 >= 0', name='ck_route_stop_load'),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['transfer_order.id'], ),
    sa.ForeignKeyConstraint(['route_plan_id'], ['route_plan.id'], ),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'stop', name='uq_route_stop_incident_stop')
    )
    with op.batch_alter_table('route_stop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_stop_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_route_stop_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_route_stop_route_plan_id'), ['route_plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_route_stop_vehicle_id'), ['vehicle_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('route_stop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_stop_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_route_stop_route_plan_id'))
        batch_op.drop_index(batch_op.f('ix_route_stop_order_id'))
        batch_op.drop_index(batch_op.f('ix_route_stop_incident_id'))

    op.drop_table('route_stop')
    with op.batch_alter_table('route_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_plan_incident_id'))

    op.drop_table('route_plan')
    with op.batch_alter_table('incident_vehicle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_vehicle_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_incident_vehicle_incident_id'))

    op.drop_table('incident_vehicle')
    with op.batch_alter_table('vehicle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicle_home_depot_id'))

    op.drop_table('vehicle')
