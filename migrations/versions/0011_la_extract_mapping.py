"""local_authority.extract_mapping: which column of the LA's own extract is which item

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:50:00

A real ONE export does not use our column names: the LA saves, on its upload page, a
small TOML mapping of its columns (and the format of its date columns) that every import
of its extract uses.
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('local_authority', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extract_mapping', sa.Text(), nullable=True))


def downgrade():
    # In place (SQLite 3.35 and later drop a column themselves): a copy-and-move of
    # local_authority would fail on the schools that refer to it.
    with op.batch_alter_table('local_authority', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('extract_mapping')
