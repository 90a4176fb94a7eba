"""session epoch

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 13:40:00.000000

A number kept in every login session's id: raising it ("sign out on every device", /account/tokens)
ends every login of that user in every browser — a lost phone still logged in. Existing users start at
0, which is also what the sessions issued before this column came carry.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
