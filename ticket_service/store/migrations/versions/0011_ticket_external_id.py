"""tickets.external_id: the id a ticket had in the helpdesk it was imported from (guichet import tickets), unique, so
importing the same file twice changes nothing

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint('uq_tickets_external_id', ['external_id'])


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint('uq_tickets_external_id', type_='unique')
        batch_op.drop_column('external_id')
