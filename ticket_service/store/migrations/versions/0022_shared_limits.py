"""shared_limits: rate limits, caches and index version shared across processes

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'limit_counters',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('blocked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_limit_counters')),
    )
    op.create_index(op.f('ix_limit_counters_window_start'), 'limit_counters', ['window_start'])
    op.create_table(
        'shared_versions',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_shared_versions')),
    )
    op.create_table(
        'worker_heartbeats',
        sa.Column('worker', sa.String(length=120), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('worker', name=op.f('pk_worker_heartbeats')),
    )
    op.create_index(op.f('ix_worker_heartbeats_seen_at'), 'worker_heartbeats', ['seen_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_worker_heartbeats_seen_at'), table_name='worker_heartbeats')
    op.drop_table('worker_heartbeats')
    op.drop_table('shared_versions')
    op.drop_index(op.f('ix_limit_counters_window_start'), table_name='limit_counters')
    op.drop_table('limit_counters')
