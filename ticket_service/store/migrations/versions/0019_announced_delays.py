"""announced_delays: announced delays and waiting reminders

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'announced_delays',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('superseded_at', sa.DateTime(), nullable=True),
        sa.Column('met', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_announced_delays_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['by_id'], ['people.id'], name=op.f('fk_announced_delays_by_id_people')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_announced_delays')),
    )
    op.create_index(op.f('ix_announced_delays_ticket_id'), 'announced_delays', ['ticket_id'], unique=False)
    op.create_table(
        'waiting_reminders',
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('waiting_since', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_waiting_reminders_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('ticket_id', 'waiting_since', name=op.f('pk_waiting_reminders')),
    )


def downgrade() -> None:
    op.drop_table('waiting_reminders')
    op.drop_index(op.f('ix_announced_delays_ticket_id'), table_name='announced_delays')
    op.drop_table('announced_delays')
