"""login protection, password rules and the security audit trail

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-05 23:00:00

``user_account.password_changed_at`` (a password's age), ``password_history`` (no reuse of the last few),
``login_failure`` (locks after repeated failures), ``login_session`` (the limit of logins at once) and ``security_event`` (the hash-chained security audit trail).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0026'
down_revision: Union[str, None] = '0024'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_changed_at', common.db.UTCDateTime(), nullable=True))
    op.create_table('password_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('changed_at', common.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_password_history_user_id', 'password_history', ['user_id'], unique=False)
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', common.db.UTCDateTime(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('for_account', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('for_address', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_login_failure_username_at', 'login_failure', ['username', 'at'], unique=False)
    op.create_index('ix_login_failure_address_at', 'login_failure', ['address', 'at'], unique=False)
    op.create_table('security_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', common.db.UTCDateTime(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('login_at', common.db.UTCDateTime(), nullable=False),
    sa.Column('ended_at', common.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sid')
    )
    op.create_index('ix_login_session_user_id', 'login_session', ['user_id'], unique=False)
    op.create_index('ix_security_event_at', 'security_event', ['at'], unique=False)
    op.create_index('ix_security_event_kind', 'security_event', ['kind'], unique=False)
    op.create_index('ix_security_event_username', 'security_event', ['username'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_session_user_id', table_name='login_session')
    op.drop_table('login_session')
    op.drop_index('ix_security_event_username', table_name='security_event')
    op.drop_index('ix_security_event_kind', table_name='security_event')
    op.drop_index('ix_security_event_at', table_name='security_event')
    op.drop_table('security_event')
    op.drop_index('ix_login_failure_address_at', table_name='login_failure')
    op.drop_index('ix_login_failure_username_at', table_name='login_failure')
    op.drop_table('login_failure')
    op.drop_index('ix_password_history_user_id', table_name='password_history')
    op.drop_table('password_history')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
