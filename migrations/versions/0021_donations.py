"""donations

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 21:20:00

Donations (``donations``): the donation table, and ``donation`` as a fourth kind of delivery (the goods of a
donation are received as a delivery). Downgrading drops the table and puts the kinds back (refused by the database
while a donation's delivery is left).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import common.db


revision: str = '0021'
down_revision: Union[str, None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_constraint('ck_delivery_kind', type_='check')
        batch_op.create_check_constraint('ck_delivery_kind', "kind in ('purchase','agreement','capacity','donation')")
    op.create_table('donation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('donor_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('donor_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('donor_contact', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('received_by', sa.Integer(), nullable=False),
    sa.Column('received_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.CheckConstraint("donor_kind in ('person','organisation')", name='ck_donation_donor_kind'),
    sa.CheckConstraint("kind in ('goods','money')", name='ck_donation_kind'),
    sa.CheckConstraint("(kind = 'goods') = (delivery_id is not null)", name='ck_donation_goods_delivery'),
    sa.CheckConstraint("(kind = 'money') = (amount_fen is not null) and (amount_fen is null or amount_fen > 0)",
                       name='ck_donation_money_amount'),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], ),
    sa.ForeignKeyConstraint(['depot_id'], ['depot.id'], ),
    sa.ForeignKeyConstraint(['received_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('delivery_id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.create_index('ix_donation_depot_id_id', ['depot_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_index('ix_donation_depot_id_id')
    op.drop_table('donation')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_constraint('ck_delivery_kind', type_='check')
        batch_op.create_check_constraint('ck_delivery_kind', "kind in ('purchase','agreement','capacity')")
