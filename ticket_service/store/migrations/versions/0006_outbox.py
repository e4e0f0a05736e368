"""outbox_events: domain events written with the action that caused them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbox_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_events')),
    )
    op.create_index(op.f('ix_outbox_events_name'), 'outbox_events', ['name'], unique=False)
    op.create_index(op.f('ix_outbox_events_ticket_id'), 'outbox_events', ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outbox_events_ticket_id'), table_name='outbox_events')
    op.drop_index(op.f('ix_outbox_events_name'), table_name='outbox_events')
    op.drop_table('outbox_events')
