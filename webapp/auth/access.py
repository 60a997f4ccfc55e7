"""The one access check every route goes through.

A school user sees only their own school's reports and differences; LA users see every
school of their LA. Anything else is answered 404, so that a guessed id tells nothing.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from webapp.extensions import db, login_manager
from webapp.models import Difference, Report, ReportSubmission, ReturnFile, School, User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    uid, _, token = user_id.partition(":")
    if not uid.isdigit():
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def may_see_school(user: User, school: School) -> bool:
    if not user.is_authenticated or not user.active:
        return False
    if user.is_la:
        return school.la_id == user.la_id
    return user.school_id == school.id




def load_report(report_id: int) -> Report:
    """The report, if the signed-in user may see it; 404 otherwise. School users never see
    a report that has not been published to them."""
    report = db.session.get(Report, report_id)
    if report is None or not may_see_school(current_user, report.school):
        abort(404)
    if not current_user.is_la and report.status == "draft":
        abort(404)
    return report


def load_difference(difference_id: int) -> Difference:
    # With its report, school and LA in the same query: every choice post needs them.
    d = db.session.get(Difference, difference_id, options=[
        joinedload(Difference.report).joinedload(Report.school).joinedload(School.la)])
    if d is None:
        abort(404)
    load_report(d.report_id)
    return d


def load_submission(submission_id: int) -> ReportSubmission:
    s = db.session.get(ReportSubmission, submission_id)
    if s is None:
        abort(404)
    load_report(s.report_id)
    return s


def load_return_file(report_id: int, return_id: int) -> tuple[Report, ReturnFile]:
    """A ticked .docx uploaded for a report (and the report), if the user may see the
    report and the file is that report's; 404 otherwise."""
    report = load_report(report_id)
    rf = db.session.get(ReturnFile, return_id)
    if rf is None or rf.report_id != report.id:
        abort(404)
    return report, rf


def school_required(view):
    """For school staff pages: signed in, and a school user."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.is_la or current_user.school_id is None:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def la_required(view=None, *, admin: bool = False):
    """For LA pages: signed in as an LA officer (or admin, where ``admin=True``)."""
    def decorate(v):
        @wraps(v)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.is_la or (admin and current_user.role != "la_admin"):
                abort(403)
            return v(*args, **kwargs)
        return wrapped
    return decorate(view) if view is not None else decorate
