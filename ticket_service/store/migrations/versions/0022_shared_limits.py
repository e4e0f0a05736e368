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
    pass  # reserved: the tables arrive with their feature


def downgrade() -> None:
    pass
