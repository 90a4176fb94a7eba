"""plan adjustments

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 17:30:00.000000

A dispatcher may adjust a plan before approving it: the adjusted plan is a new plan row (same
problem, plan in the same format, status "adjusted") that names the plan it was adjusted from, the
dispatcher's reason and the adjustments as sent. Who and when are the row's created_by/created_at.
Existing plans were all solved by the allocator: they keep empty columns.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adjusted_from_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('adjustment_reason', sqlmodel.sql.sqltypes.AutoString(length=500),
                                      nullable=True))
        batch_op.add_column(sa.Column('adjustments', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_plan_adjusted_from_id'), ['adjusted_from_id'], unique=False)
        batch_op.create_foreign_key('fk_plan_adjusted_from_id_plan', 'plan', ['adjusted_from_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_constraint('fk_plan_adjusted_from_id_plan', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_plan_adjusted_from_id'))
        batch_op.drop_column('adjustments')
        batch_op.drop_column('adjustment_reason')
        batch_op.drop_column('adjusted_from_id')
