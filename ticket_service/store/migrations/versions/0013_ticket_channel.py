"""tickets.channel: where a request came in (form, api, web, mail, alert, import, phone), for rules and reports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # in place on SQLite too (ADD COLUMN with a default): recreating tickets would break the foreign keys to it
    op.add_column('tickets', sa.Column('channel', sa.String(length=20), nullable=False, server_default='api'))
    # what is known of the past: imported tickets carry their source's id, the rest came through the service
    op.execute("UPDATE tickets SET channel = 'import' WHERE external_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('channel')
