"""upload attempts, and the two-step code lock-out per account

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:40:00

An upload keeps how often its import was tried and when the latest try began, so that
one a dead worker or a locked database left unfinished is tried again and, after
several tries, marked failed with its reason. An account keeps its wrong two-step codes
in a row and, once locked, until when.
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_failures', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('code_locked_until', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('code_locked_until')
        batch_op.drop_column('code_failures')
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.drop_column('started_at')
        batch_op.drop_column('attempts')
