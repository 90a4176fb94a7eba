"""count sessions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00.000000

Count sessions (盘点单) and their lines: one line per lot to count, with the count, the lot's ledger
balance and last line when it was counted, and the ledger line the close wrote. New tables only.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('count_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('shelves', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('started_by', sa.Integer(), nullable=False),
    sa.Column('started_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('keeper_signed_by', sa.Integer(), nullable=True),
    sa.Column('keeper_signed_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('supervisor_signed_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(scope = 'category') = (category is not null)", name='ck_count_session_category'),
    sa.CheckConstraint("(scope = 'shelves') = (shelves is not null)", name='ck_count_session_shelves'),
    sa.CheckConstraint("scope in ('depot','category','shelves')", name='ck_count_session_scope'),
    sa.CheckConstraint("status in ('open','closed','cancelled')", name='ck_count_session_status'),
    sa.ForeignKeyConstraint(['cancelled_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['depot_id'], ['depot.id'], ),
    sa.ForeignKeyConstraint(['keeper_signed_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['started_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['supervisor_signed_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('count_session', schema=None) as batch_op:
        batch_op.create_index('ix_count_session_depot_status', ['depot_id', 'status'], unique=False)

    op.create_table('count_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('book_at_start', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=True),
    sa.Column('balance_at_count', sa.Integer(), nullable=True),
    sa.Column('last_line_at_count', sa.Integer(), nullable=True),
    sa.Column('counted_by', sa.Integer(), nullable=True),
    sa.Column('counted_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recounts', sa.Integer(), nullable=False),
    sa.Column('left_out', sa.Boolean(), nullable=False),
    sa.Column('left_out_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('adjustment_line_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(counted is null) = (balance_at_count is null)', name='ck_count_line_balance_with_count'),
    sa.CheckConstraint('counted is null or counted >= 0', name='ck_count_line_counted_not_negative'),
    sa.CheckConstraint('not (left_out and counted is not null)', name='ck_count_line_counted_or_left_out'),
    sa.ForeignKeyConstraint(['adjustment_line_id'], ['movement.id'], ),
    sa.ForeignKeyConstraint(['counted_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['last_line_at_count'], ['movement.id'], ),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['count_session.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'lot_id', name='uq_count_line_session_lot')
    )
    with op.batch_alter_table('count_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_count_line_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_count_line_session_id'), ['session_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('count_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_count_line_session_id'))
        batch_op.drop_index(batch_op.f('ix_count_line_lot_id'))

    op.drop_table('count_line')
    with op.batch_alter_table('count_session', schema=None) as batch_op:
        batch_op.drop_index('ix_count_session_depot_status')

    op.drop_table('count_session')
