"""import page: name aliases and import jobs

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 23:00:00

The administrators' import page (``registers.jobs``, ``registers.aliases``): ``name_alias`` remembers what an
administrator chose for a register's name that matches no depot or item exactly (a code, or create a new item),
read by every later dry run and commit; ``import_job`` holds an upload's files (kept under the instance folder,
their SHA-256 here), the state and progress of its background dry run or commit and its report. New tables only;
downgrading drops them (what imports made stays).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0022'
down_revision: Union[str, None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('name_alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('chosen_by', sa.Integer(), nullable=False),
    sa.Column('chosen_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind in ('depot','item')", name='ck_name_alias_kind'),
    sa.ForeignKeyConstraint(['chosen_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'key', name='uq_name_alias_kind_key')
    )
    op.create_table('import_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('files', sa.Text(), nullable=False),
    sa.Column('depot', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('report', sa.Text(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('heartbeat_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status in ('queued','running','checked','committing','committed','failed')",
                       name='ck_import_job_status'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_job_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_job_user_id'))
    op.drop_table('import_job')
    op.drop_table('name_alias')
