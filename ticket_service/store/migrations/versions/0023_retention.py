"""retention: RGPD anonymisation marks

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: the tables arrive with their feature


def downgrade() -> None:
    pass
