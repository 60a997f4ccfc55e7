"""wider subject_key: "school:" or "la:" plus a record key of up to 120 characters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 13:35:00

A difference (and a SIMS item) names its pupil as "school:<record key>"; record
keys may be 120 characters long, so 120 was too few for the prefix.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = ('difference', 'sims_item')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('subject_key', existing_type=sa.String(length=120),
                                  type_=sa.String(length=160), existing_nullable=False)


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('subject_key', existing_type=sa.String(length=160),
                                  type_=sa.String(length=120), existing_nullable=False)
