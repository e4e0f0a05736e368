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
    op.add_column('tickets', sa.Column('anonymised_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets', recreate='never') as batch:  # SQLite ≥ 3.35 drops a column in place
        batch.drop_column('anonymised_at')
