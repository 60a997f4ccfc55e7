"""the weekly cycle: report.week_start (the Monday a report's week starts), superseded
reports, carried decisions, and both sides' changes checked by the next import

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:00:00

Weeks were compared by their numbers, so January's week 2 came before December's week
50. A report now keeps the date its week starts (weeks numbered as ISO weeks: 32 on in
the autumn the academic year starts, 1 to 31 in the calendar year after), and "earlier"
and "latest" compare that. Reports already held are dated here. A report superseded by
a newer week's names it; a decision carried from an earlier week names the difference
it was carried from. An officer's upload in the browser names its LA and the officer.
An amendment task keeps what the next extract of ONE showed (and a
note if it went back to the queue); a "SIMS to amend" item the import that confirmed it.
"""
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _week_start(academic_year, week):
    # As webapp.b2b.weeks.week_start on the day of this migration (kept here, so a later
    # change of the rule does not change what this migration did).
    iso_year = academic_year if week >= 32 else academic_year + 1
    try:
        return date.fromisocalendar(iso_year, week, 1)
    except ValueError:
        return date.fromisocalendar(iso_year, 52, 1) + timedelta(days=7)


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('week_start', sa.Date(), nullable=True))
    conn = op.get_bind()
    report = sa.table('report', sa.column('id', sa.Integer),
                      sa.column('academic_year', sa.Integer), sa.column('week', sa.Integer),
                      sa.column('week_start', sa.Date))
    for rid, year, week in conn.execute(sa.select(report.c.id, report.c.academic_year,
                                                  report.c.week)).all():
        conn.execute(report.update().where(report.c.id == rid)
                     .values(week_start=_week_start(year, week)))
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.alter_column('week_start', existing_type=sa.Date(), nullable=False)
        batch_op.create_index('ix_report_week_start', ['week_start'], unique=False)
        batch_op.create_index('ix_report_school_week_start', ['school_id', 'week_start'],
                              unique=False)
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_report_superseded_by_id_report', 'report',
                                    ['superseded_by_id'], ['id'])
    with op.batch_alter_table('difference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_difference_carried_from_id_difference', 'difference',
                                    ['carried_from_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('amendment_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('verified_batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reopened_note', sa.Text(), nullable=True))
        batch_op.create_foreign_key('fk_amendment_task_verified_batch_id_import_batch',
                                    'import_batch', ['verified_batch_id'], ['id'])
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.add_column(sa.Column('la_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('uploaded_by_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_upload_la_id', ['la_id'], unique=False)
        batch_op.create_foreign_key('fk_upload_la_id_local_authority', 'local_authority',
                                    ['la_id'], ['id'])
        batch_op.create_foreign_key('fk_upload_uploaded_by_id_user_account', 'user_account',
                                    ['uploaded_by_id'], ['id'])
    with op.batch_alter_table('sims_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_batch_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_sims_item_checked_batch_id_import_batch',
                                    'import_batch', ['checked_batch_id'], ['id'])


def downgrade():
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.drop_constraint('fk_upload_uploaded_by_id_user_account', type_='foreignkey')
        batch_op.drop_constraint('fk_upload_la_id_local_authority', type_='foreignkey')
        batch_op.drop_index('ix_upload_la_id')
        batch_op.drop_column('uploaded_by_id')
        batch_op.drop_column('la_id')
    with op.batch_alter_table('sims_item', schema=None) as batch_op:
        batch_op.drop_constraint('fk_sims_item_checked_batch_id_import_batch',
                                 type_='foreignkey')
        batch_op.drop_column('checked_batch_id')
    with op.batch_alter_table('amendment_task', schema=None) as batch_op:
        batch_op.drop_constraint('fk_amendment_task_verified_batch_id_import_batch',
                                 type_='foreignkey')
        batch_op.drop_column('reopened_note')
        batch_op.drop_column('verified_batch_id')
        batch_op.drop_column('verified_at')
    with op.batch_alter_table('difference', schema=None) as batch_op:
        batch_op.drop_constraint('fk_difference_carried_from_id_difference',
                                 type_='foreignkey')
        batch_op.drop_column('carried_from_id')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_constraint('fk_report_superseded_by_id_report', type_='foreignkey')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_index('ix_report_school_week_start')
        batch_op.drop_index('ix_report_week_start')
        batch_op.drop_column('week_start')
