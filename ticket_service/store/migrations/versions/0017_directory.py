"""directory: directory sync: people's directory fields, sync runs

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'directory_entries',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('dn', sa.String(length=500), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('synced_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_directory_entries_person_id_people'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['manager_id'], ['people.id'], name=op.f('fk_directory_entries_manager_id_people'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_directory_entries')),
        sa.UniqueConstraint('dn', name=op.f('uq_directory_entries_dn')),
    )
    op.create_index(op.f('ix_directory_entries_manager_id'), 'directory_entries', ['manager_id'], unique=False)
    op.create_table(
        'directory_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('disabled', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_runs')),
    )


def downgrade() -> None:
    op.drop_table('directory_runs')
    op.drop_index(op.f('ix_directory_entries_manager_id'), table_name='directory_entries')
    op.drop_table('directory_entries')
