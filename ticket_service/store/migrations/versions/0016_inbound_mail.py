"""inbound_mail: mail in: imported messages, quarantine

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inbound_mails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mailbox', sa.String(length=100), nullable=False),
        sa.Column('uidvalidity', sa.BigInteger(), nullable=True),
        sa.Column('uid', sa.BigInteger(), nullable=True),
        sa.Column('raw_sha256', sa.String(length=64), nullable=False),
        sa.Column('body_sha256', sa.String(length=64), nullable=False),
        sa.Column('message_id', sa.String(length=250), nullable=True),
        sa.Column('sender', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=250), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=True),
        sa.Column('flags', sa.String(length=200), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('raw', sa.LargeBinary(), nullable=True),
        sa.Column('released_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_inbound_mails_ticket_id_tickets')),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_inbound_mails_comment_id_comments')),
        sa.ForeignKeyConstraint(['released_by'], ['people.id'], name=op.f('fk_inbound_mails_released_by_people')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mails')),
        sa.UniqueConstraint('raw_sha256', name=op.f('uq_inbound_mails_raw_sha256')),
        sa.UniqueConstraint('mailbox', 'uidvalidity', 'uid', name='uq_inbound_mails_mailbox_uid'),
    )
    op.create_index(op.f('ix_inbound_mails_message_id'), 'inbound_mails', ['message_id'])
    op.create_index(op.f('ix_inbound_mails_sender'), 'inbound_mails', ['sender'])
    op.create_index(op.f('ix_inbound_mails_received_at'), 'inbound_mails', ['received_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_inbound_mails_received_at'), table_name='inbound_mails')
    op.drop_index(op.f('ix_inbound_mails_sender'), table_name='inbound_mails')
    op.drop_index(op.f('ix_inbound_mails_message_id'), table_name='inbound_mails')
    op.drop_table('inbound_mails')
