"""announced_delays: announced delays and waiting reminders

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: the tables arrive with their feature


def downgrade() -> None:
    pass
