"""An LA officer records a school's ticked Word report (emailed back, say): the same
upload, check and confirm steps as the school's own (:mod:`webapp.school.returns`), on
the LA's view of the school's report; each answer is recorded as the officer's, the
audit log naming the file."""

from __future__ import annotations

from webapp.auth.access import la_required
from webapp.la.views import bp
from webapp.school.returns import ReturnPages

LA = ReturnPages("la", "la.report")


@bp.get("/reports/<int:report_id>/return")
@la_required
def upload_return_page(report_id: int):
    return LA.upload_page(report_id)


@bp.post("/reports/<int:report_id>/return")
@la_required
def upload_return(report_id: int):
    return LA.upload(report_id)


@bp.get("/reports/<int:report_id>/returns/<int:return_id>")
@la_required
def check_return(report_id: int, return_id: int):
    return LA.check(report_id, return_id)


@bp.post("/reports/<int:report_id>/returns/<int:return_id>")
@la_required
def confirm_return(report_id: int, return_id: int):
    return LA.confirm(report_id, return_id)
