"""ticked .docx reports sent back by schools

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 20:00:00

A school (or an LA officer for it) uploads the report's .docx ticked in Word; the file is
kept while its answers are checked and then for the retention period of a sent copy
(30 days), with who uploaded it, who confirmed it and how many answers it gave.
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('return_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_return_file_report_id_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_return_file_uploaded_by_id_user_account')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_return_file_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_file'))
    )
    with op.batch_alter_table('return_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_file_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_file_uploaded_at'), ['uploaded_at'], unique=False)


def downgrade():
    with op.batch_alter_table('return_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_file_uploaded_at'))
        batch_op.drop_index(batch_op.f('ix_return_file_report_id'))
    op.drop_table('return_file')
