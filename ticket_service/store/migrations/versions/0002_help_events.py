"""help events (help sessions and deflection metrics)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('help_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('article_id', sa.String(length=120), nullable=True),
    sa.Column('query', sa.String(length=200), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_help_events_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_help_events_event_id'))
    )
    with op.batch_alter_table('help_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_events_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_events_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_events_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_events_type'), ['type'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('help_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_events_type'))
        batch_op.drop_index(batch_op.f('ix_help_events_session_id'))
        batch_op.drop_index(batch_op.f('ix_help_events_person_id'))
        batch_op.drop_index(batch_op.f('ix_help_events_at'))
        batch_op.drop_index(batch_op.f('ix_help_events_article_id'))
    op.drop_table('help_events')
