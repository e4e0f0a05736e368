"""learned pairs (learning from resolutions, reviewed by a technician)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('learned_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('articles', sa.Text(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['people.id'], name=op.f('fk_learned_pairs_decided_by_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learned_pairs')),
    sa.UniqueConstraint('source', name=op.f('uq_learned_pairs_source'))
    )
    with op.batch_alter_table('learned_pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learned_pairs_decision'), ['decision'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('learned_pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learned_pairs_decision'))
    op.drop_table('learned_pairs')
