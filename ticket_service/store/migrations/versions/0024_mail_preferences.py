"""mail_preferences: the optional mails each person switched off

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'mail_opt_outs',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('notification', sa.String(length=40), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_mail_opt_outs_person_id_people'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', 'notification', name=op.f('pk_mail_opt_outs')),
    )


def downgrade() -> None:
    op.drop_table('mail_opt_outs')
