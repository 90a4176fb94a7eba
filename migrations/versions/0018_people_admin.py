"""people and depots admin: must-change flag, closed depots and the administrators' change log

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 20:55:00

Administrators keep users from pages (``accounts.admin``): a reset password must be changed at the next login
(``user_account.must_change_password``); a depot closed from the pages keeps its row and history, marked
``depot.closed_at`` (``inventory.catalog_admin``); every change an administrator makes to people, depots and
items is one row of ``admin_change`` (who, when, what). Downgrading drops the table and the columns.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('depot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', common.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table('admin_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.CheckConstraint("subject_kind in ('user','depot','item')", name='ck_admin_change_kind'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('admin_change', schema=None) as batch_op:
        batch_op.create_index('ix_admin_change_subject', ['subject_kind', 'subject'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('admin_change', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_change_subject')
    op.drop_table('admin_change')
    with op.batch_alter_table('depot', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
