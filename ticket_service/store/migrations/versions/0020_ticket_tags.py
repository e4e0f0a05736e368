"""ticket_tags: tags set on tickets by rules and people

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: the tables arrive with their feature


def downgrade() -> None:
    pass
