"""transfer orders

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 17:04:52.866741

Transfer orders (调拨单) with their lines, picks, receipts and history, and two ledger kinds for them:
``ship`` (the units leave the source lot and are in transit on the order) and ``deliver`` (they arrive in a
lot of the destination depot). The movement table's kind constraint is replaced (a copy of the table on
SQLite, batch mode); downgrading refuses while ship or deliver lines exist, as they would break it.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


OLD_KINDS = ('receive', 'issue', 'transfer_out', 'transfer_in', 'count', 'write_off', 'return')
NEW_KINDS = OLD_KINDS + ('ship', 'deliver')


def _kind_check(kinds) -> str:
    return "kind in (" + ",".join(f"'{k}'" for k in kinds) + ")"


def _replace_kind_check(kinds) -> None:
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.drop_constraint('ck_movement_kind', type_='check')
        batch_op.create_check_constraint('ck_movement_kind', _kind_check(kinds))


def upgrade() -> None:
    _replace_kind_check(NEW_KINDS)
    op.create_table('transfer_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('norm_version_id', sa.Integer(), nullable=True),
    sa.Column('source_depot_id', sa.Integer(), nullable=False),
    sa.Column('destination_kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('destination_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('destination_depot_id', sa.Integer(), nullable=True),
    sa.Column('destination_shelter_id', sa.Integer(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=False),
    sa.Column('approved_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('shipped_by', sa.Integer(), nullable=True),
    sa.Column('shipped_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.CheckConstraint("(destination_kind = 'depot') = (destination_depot_id is not null) and (destination_kind = 'shelter') = (destination_shelter_id is not null)", name='ck_transfer_order_one_destination'),
    sa.CheckConstraint("(state = 'cancelled') = (cancel_reason is not null)", name='ck_transfer_order_cancel_reason'),
    sa.CheckConstraint("destination_kind in ('depot','shelter')", name='ck_transfer_order_destination_kind'),
    sa.CheckConstraint("state in ('approved','picking','shipped','partly_received','received','cancelled')", name='ck_transfer_order_state'),
    sa.ForeignKeyConstraint(['approved_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['cancelled_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['destination_depot_id'], ['depot.id'], ),
    sa.ForeignKeyConstraint(['destination_shelter_id'], ['shelter.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['norm_version_id'], ['norm_version.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ),
    sa.ForeignKeyConstraint(['shipped_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['source_depot_id'], ['depot.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('transfer_order', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_order_destination_state', ['destination_depot_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_order_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_order_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index('ix_transfer_order_source_state', ['source_depot_id', 'state'], unique=False)

    op.create_table('transfer_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.CheckConstraint("action in ('approved','picked','unpicked','shipped','received','delivered','cancelled')", name='ck_transfer_event_action'),
    sa.ForeignKeyConstraint(['order_id'], ['transfer_order.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('transfer_event', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_event_order_id_id', ['order_id', 'id'], unique=False)

    op.create_table('transfer_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('planned', sa.Integer(), nullable=False),
    sa.Column('planned_lots', sa.Text(), nullable=False),
    sa.Column('picked', sa.Integer(), nullable=False),
    sa.Column('shipped', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('short', sa.Integer(), nullable=False),
    sa.Column('damaged', sa.Integer(), nullable=False),
    sa.CheckConstraint('picked <= planned', name='ck_transfer_line_picked_within_planned'),
    sa.CheckConstraint('planned >= 0 and picked >= 0 and shipped >= 0 and received >= 0 and short >= 0 and damaged >= 0', name='ck_transfer_line_not_negative'),
    sa.CheckConstraint('received + short + damaged <= shipped', name='ck_transfer_line_accounted_within_shipped'),
    sa.CheckConstraint('shipped <= picked', name='ck_transfer_line_shipped_within_picked'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['transfer_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'item_id', name='uq_transfer_line_order_item')
    )
    with op.batch_alter_table('transfer_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_line_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_line_order_id'), ['order_id'], unique=False)

    op.create_table('transfer_pick',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('substitute_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('not_fefo', sa.Boolean(), nullable=False),
    sa.Column('picked_by', sa.Integer(), nullable=False),
    sa.Column('picked_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ship_movement_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity > 0', name='ck_transfer_pick_quantity_positive'),
    sa.ForeignKeyConstraint(['line_id'], ['transfer_line.id'], ),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['transfer_order.id'], ),
    sa.ForeignKeyConstraint(['picked_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['ship_movement_id'], ['movement.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('transfer_pick', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_pick_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_pick_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_pick_order_id'), ['order_id'], unique=False)

    op.create_table('transfer_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('short', sa.Integer(), nullable=False),
    sa.Column('damaged', sa.Integer(), nullable=False),
    sa.Column('short_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('damage_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('receiver_name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('movement_id', sa.Integer(), nullable=True),
    sa.Column('received_by', sa.Integer(), nullable=False),
    sa.Column('received_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('received >= 0 and short >= 0 and damaged >= 0 and received + short + damaged > 0', name='ck_transfer_receipt_quantities'),
    sa.ForeignKeyConstraint(['line_id'], ['transfer_line.id'], ),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['movement_id'], ['movement.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['transfer_order.id'], ),
    sa.ForeignKeyConstraint(['received_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('transfer_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_receipt_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_receipt_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    used = op.get_bind().execute(sa.text("select count(*) from movement where kind in ('ship', 'deliver')")).scalar()
    if used:
        raise RuntimeError(f"{used} ledger lines of transfer orders (ship, deliver): the ledger is append-only, "
                           "so this migration cannot be undone on this database")
    with op.batch_alter_table('transfer_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_receipt_order_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_receipt_line_id'))

    op.drop_table('transfer_receipt')
    with op.batch_alter_table('transfer_pick', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_pick_order_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_pick_lot_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_pick_line_id'))

    op.drop_table('transfer_pick')
    with op.batch_alter_table('transfer_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_line_order_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_line_item_id'))

    op.drop_table('transfer_line')
    with op.batch_alter_table('transfer_event', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_event_order_id_id')

    op.drop_table('transfer_event')
    with op.batch_alter_table('transfer_order', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_order_source_state')
        batch_op.drop_index(batch_op.f('ix_transfer_order_plan_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_order_incident_id'))
        batch_op.drop_index('ix_transfer_order_destination_state')

    op.drop_table('transfer_order')
    _replace_kind_check(OLD_KINDS)
