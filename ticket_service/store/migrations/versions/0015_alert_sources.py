"""alert_sources: monitoring alert sources and fingerprints

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'alert_sources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=63), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_alert_sources_person_id_people')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_sources')),
        sa.UniqueConstraint('name', name=op.f('uq_alert_sources_name')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_alert_sources_token_hash')),
    )
    op.create_table(
        'alert_tickets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sa.String(length=200), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('open', sa.Integer(), nullable=True),
        sa.Column('repeats', sa.Integer(), nullable=False),
        sa.Column('first_seen', sa.DateTime(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['source_id'], ['alert_sources.id'], name=op.f('fk_alert_tickets_source_id_alert_sources')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_alert_tickets_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_tickets')),
        # one open row per (source, fingerprint): closed rows carry NULL, and NULLs never collide
        sa.UniqueConstraint('source_id', 'fingerprint', 'open', name=op.f('uq_alert_tickets_source_id')),
    )
    op.create_index(op.f('ix_alert_tickets_ticket_id'), 'alert_tickets', ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_alert_tickets_ticket_id'), table_name='alert_tickets')
    op.drop_table('alert_tickets')
    op.drop_table('alert_sources')
