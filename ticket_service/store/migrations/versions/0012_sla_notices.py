"""sla_notices: the SLA watch's once-only markers (a ticket's target reported at risk or breached)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sla_notices',
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('target', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sla_notices_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('ticket_id', 'target', 'kind', name=op.f('pk_sla_notices')),
    )


def downgrade() -> None:
    op.drop_table('sla_notices')
