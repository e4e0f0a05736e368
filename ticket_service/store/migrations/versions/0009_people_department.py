"""people.department: the service or team a person works in (shown and edited on /admin)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department', sa.String(length=100), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN in place (SQLite ≥ 3.35): recreating people would break the foreign keys to it.
    with op.batch_alter_table('people', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('department')
