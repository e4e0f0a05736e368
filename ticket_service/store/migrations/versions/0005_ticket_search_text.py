"""tickets.search_text: title and description folded (lower case, no accents) for the desk search

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa

from search.analysis import fold


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=True))
    bind = op.get_bind()
    tickets = sa.table('tickets', sa.column('id', sa.Integer), sa.column('title', sa.String),
                       sa.column('description', sa.Text), sa.column('search_text', sa.Text))
    last = 0
    while True:  # in batches: a big history must not be read into memory at once
        rows = bind.execute(sa.select(tickets.c.id, tickets.c.title, tickets.c.description)
                            .where(tickets.c.id > last).order_by(tickets.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(tickets.update().where(tickets.c.id == sa.bindparam('ticket_id'))
                     .values(search_text=sa.bindparam('folded')),
                     [{'ticket_id': r.id, 'folded': fold(f"{r.title or ''}\n{r.description or ''}")} for r in rows])
        last = rows[-1].id


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN in place (SQLite ≥ 3.35): a batch "move and copy" would drop and recreate the
    # tickets table, which the foreign keys of comments, events… forbid.
    with op.batch_alter_table('tickets', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('search_text')
