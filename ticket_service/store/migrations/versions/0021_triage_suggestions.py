"""triage_suggestions: triage suggestions kept per ticket

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'triage_suggestions',
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=20), nullable=False),
        sa.Column('value', sa.String(length=50), nullable=False),
        sa.Column('confidence', sa.Double(), nullable=False),
        sa.Column('model_version', sa.String(length=40), nullable=False),
        sa.Column('applied', sa.Boolean(), nullable=False),
        sa.Column('auto', sa.Boolean(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_triage_suggestions_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('ticket_id', 'field', name=op.f('pk_triage_suggestions')),
    )


def downgrade() -> None:
    op.drop_table('triage_suggestions')
