"""pupil record problems, and an index of the records not keyed by their UPN

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:30:00

The comparison's screen asks the database which records could give rise to an item;
a record's own UPN and postcode checks are kept with it so that the database can tell,
and the few records not keyed by their UPN get a partial index. Records already held
are checked here, a thousand at a time.
"""
from alembic import op
import sqlalchemy as sa

from webapp.b2b.records.checks import record_problems

UNKEYED = sa.text('upn IS NULL OR record_key != upn')


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pupil_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('problems', sa.String(length=60), nullable=True))
        batch_op.create_index('ix_pupil_record_unkeyed', ['school_id'], unique=False,
                              sqlite_where=UNKEYED, postgresql_where=UNKEYED)
    conn = op.get_bind()
    records = sa.table('pupil_record', sa.column('id', sa.Integer),
                       sa.column('upn', sa.String), sa.column('postcode', sa.String),
                       sa.column('problems', sa.String))
    last = 0
    while True:
        rows = conn.execute(sa.select(records.c.id, records.c.upn, records.c.postcode)
                            .where(records.c.id > last).order_by(records.c.id)
                            .limit(1000)).all()
        if not rows:
            break
        last = rows[-1][0]
        found = [{"rid": rid, "problems": p} for rid, upn, postcode in rows
                 if (p := record_problems(upn, postcode))]
        if found:
            conn.execute(records.update().where(records.c.id == sa.bindparam("rid"))
                         .values(problems=sa.bindparam("problems")), found)


def downgrade():
    with op.batch_alter_table('pupil_record', schema=None) as batch_op:
        batch_op.drop_index('ix_pupil_record_unkeyed')
        batch_op.drop_column('problems')
