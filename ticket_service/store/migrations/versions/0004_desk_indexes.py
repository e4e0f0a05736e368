"""indexes for the desk at 120,000 tickets (catalogue L-03): people by role, tickets by assignee + status and by
knowledge gap + status (the desk counts both queues on every page)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_role'), ['role'], unique=False)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_assignee_id')  # the composite index below starts with it
        batch_op.create_index('ix_tickets_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index('ix_tickets_kb_gap_status', ['kb_gap', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_kb_gap_status')
        batch_op.drop_index('ix_tickets_assignee_status')
        batch_op.create_index('ix_tickets_assignee_id', ['assignee_id'], unique=False)
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_role'))
