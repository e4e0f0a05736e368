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
    # in place on SQLite too (ADD COLUMN, CREATE UNIQUE INDEX): recreating tickets would break the foreign keys to it
    op.add_column('tickets', sa.Column('external_id', sa.String(length=120), nullable=True))
    op.create_index('ix_tickets_external_id', 'tickets', ['external_id'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_tickets_external_id', table_name='tickets')
    with op.batch_alter_table('tickets', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('external_id')
