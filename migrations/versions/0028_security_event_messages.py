"""security events keep their detail as a message with values

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 03:00:00

``security_event.detail_code`` and ``detail_params`` (JSON): the detail as a message of
``accounts.security_details`` and its values, shown in the reader's language on the security log; covered by
the event's hash when present (rows recorded before keep their hashes and show their English words).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0028'
down_revision: Union[str, None] = '0027'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('security_event') as batch:
        batch.add_column(sa.Column('detail_code', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=True))
        batch.add_column(sa.Column('detail_params', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('security_event') as batch:
        batch.drop_column('detail_params')
        batch.drop_column('detail_code')
