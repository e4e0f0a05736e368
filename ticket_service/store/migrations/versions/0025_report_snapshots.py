"""report_snapshots: dashboard answers pre-computed by the reports.refresh job, shared by every process

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_snapshots',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('data_version', sa.String(length=300), nullable=False),
        sa.Column('as_of', sa.DateTime(), nullable=False),
        sa.Column('cost_ms', sa.Integer(), nullable=False),
        sa.Column('payload', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_report_snapshots')),
    )


def downgrade() -> None:
    op.drop_table('report_snapshots')
