"""index for the dashboard at 120,000 tickets (catalogue L-03): history rows by instant, with their ticket (the
tickets a period can count are those changed within it: an index-only range scan instead of reading every row)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_at_ticket', ['at', 'ticket_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_at_ticket')
