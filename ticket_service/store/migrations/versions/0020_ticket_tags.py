"""ticket_tags: tags set on tickets by rules and people

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ticket_tags',
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=40), nullable=False),
        sa.Column('rule', sa.String(length=60), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_tags_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('ticket_id', 'tag', name=op.f('pk_ticket_tags')),
    )
    op.create_index(op.f('ix_ticket_tags_tag'), 'ticket_tags', ['tag'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_tags_tag'), table_name='ticket_tags')
    op.drop_table('ticket_tags')
