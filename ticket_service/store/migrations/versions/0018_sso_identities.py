"""sso_identities: single sign-on identities (OpenID Connect issuer and subject linked to a person)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sso_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                                name=op.f('fk_sso_identities_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_identities')),
        sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_sso_identities_issuer')),
    )
    op.create_index(op.f('ix_sso_identities_person_id'), 'sso_identities', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sso_identities_person_id'), table_name='sso_identities')
    op.drop_table('sso_identities')
