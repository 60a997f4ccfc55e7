"""A ticked Word report sent back (issue 16): upload it on the report's page, check what
was read, confirm to record the answers as if clicked.

The same three steps serve school staff (``/school/reports/<id>/return``) and LA officers
recording a school's emailed copy (``/la/reports/<id>/return``, in
:mod:`webapp.la.returns`): :class:`ReturnPages` holds them, given the blueprint's names.
Every step loads through :mod:`webapp.auth.access` and reads through the domain's
:mod:`webapp.b2b.review.ticked_return`; nothing is recorded before the person confirms.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict

from webapp.auth.access import load_report, load_return_file, school_required
from webapp.b2b.review.decisions import DECIDABLE_STATES
from webapp.b2b.review.ticked_docx import MAX_FILE_BYTES
from webapp.b2b.review.ticked_return import (
    Pick,
    ReturnReading,
    ReturnRefused,
    check_picks,
    read_return,
    record_return,
    store_return,
)
from webapp.b2b.review.wording import plural
from webapp.extensions import db
from webapp.models import Report, ReturnFile
from webapp.school.views import bp

LOCKED = "This report has been sent to the LA and can no longer be changed"


class ReturnUploadForm(FlaskForm):
    file = FileField("The ticked report (.docx)",
                     validators=[FileRequired(message="Choose the ticked .docx file")])


@dataclass(frozen=True)
class ReturnPages:
    """The upload, check and confirm steps for one blueprint (``school`` or ``la``)."""

    prefix: str  # the blueprint's name: its endpoints are <prefix>.upload_return, ...
    report_endpoint: str  # the report page the steps come back to

    def _urls(self, report: Report, rf: ReturnFile | None = None) -> dict[str, str]:
        urls = {"back_url": url_for(self.report_endpoint, report_id=report.id),
                "upload_url": url_for(f"{self.prefix}.upload_return", report_id=report.id)}
        if rf is not None:
            urls["action_url"] = url_for(f"{self.prefix}.confirm_return",
                                         report_id=report.id, return_id=rf.id)
        return urls

    def upload_page(self, report_id: int, error: str | None = None, status: int = 200):
        report = load_report(report_id)
        return render_template(
            "school/return_upload.html", report=report, upload_error=error,
            title="Upload the ticked Word report", form_errors=bool(error),
            editable=report.status in DECIDABLE_STATES, **self._urls(report)), status

    def upload(self, report_id: int):
        report = load_report(report_id)
        form = ReturnUploadForm()
        if report.status not in DECIDABLE_STATES:
            return self.upload_page(report_id, LOCKED, 409)
        if not form.validate_on_submit():
            message = next((m for e in form.errors.values() for m in e),
                           "Choose the ticked .docx file")
            return self.upload_page(report_id, str(message), 400)
        data = form.file.data.read(MAX_FILE_BYTES + 1)
        name = form.file.data.filename or ""
        try:
            read_return(db.session, report, data, name)
        except ReturnRefused as e:
            return self.upload_page(report_id, e.message, 422)
        rf = store_return(db.session, report, current_user, data, name)
        return redirect(url_for(f"{self.prefix}.check_return", report_id=report.id,
                                return_id=rf.id), 303)

    def _reading(self, report_id: int, return_id: int
                 ) -> tuple[Report, ReturnFile, ReturnReading | str]:
        report, rf = load_return_file(report_id, return_id)
        if rf.content is None:
            return report, rf, ("The uploaded file is no longer kept: files are kept for "
                                f"{current_app.config['B2B_COPY_DAYS']} days.")
        try:
            return report, rf, read_return(db.session, report, rf.content, rf.file_name)
        except ReturnRefused as e:  # the report has changed so that the file no longer fits
            return report, rf, e.message

    def check(self, report_id: int, return_id: int, *, errors: dict[int, str] | None = None,
              posted: MultiDict[str, str] | None = None, status: int = 200):
        report, rf, reading = self._reading(report_id, return_id)
        if isinstance(reading, str):
            return render_template("errors/error.html", title="This file cannot be used",
                                   message=reading), 410
        if rf.recorded_at is not None:
            flash("The answers in this file have already been recorded.", "success")
            return redirect(url_for(self.report_endpoint, report_id=report.id), 303)
        errors = errors or {}
        return render_template(
            "school/return_check.html", report=report, rf=rf, reading=reading,
            errors=errors, posted=posted or MultiDict(), form_errors=bool(errors),
            title="Check what was read from the file",
            error_list=[{"text": m, "href": f"#answer-{i}"} for i, m in errors.items()],
            **self._urls(report, rf)), status

    def confirm(self, report_id: int, return_id: int):
        report, rf, reading = self._reading(report_id, return_id)
        if isinstance(reading, str) or rf.recorded_at is not None:
            return self.check(report_id, return_id)
        if not FlaskForm().validate_on_submit():
            return self.check(report_id, return_id, status=400)
        if not reading.editable:
            flash(LOCKED, "error")
            return redirect(url_for(self.report_endpoint, report_id=report.id), 303)
        picks = {a.difference_id: Pick(request.form.get(f"choice-{a.difference_id}"),
                                       request.form.get(f"value-{a.difference_id}"))
                 for a in reading.unclear if a.difference_id is not None}
        errors = check_picks(db.session, reading, picks)
        if errors:
            return self.check(report_id, return_id, errors=errors, posted=request.form,
                              status=400)
        outcome = record_return(db.session, reading, current_user, picks, _versions(),
                                return_file=rf)
        flash(f"Recorded {plural(outcome.recorded, 'answer')} from {rf.file_name}."
              + (f" {plural(outcome.skipped, 'answer was', 'answers were')} left for you "
                 "to give on the report." if outcome.skipped else ""), "success")
        if outcome.failed:
            flash(f"{plural(len(outcome.failed), 'answer')} could not be recorded: "
                  + "; ".join(f"{h} ({m})" for h, m in outcome.failed[:5])
                  + ("; …" if len(outcome.failed) > 5 else ""), "error")
        return redirect(url_for(self.report_endpoint, report_id=report.id), 303)


def _versions() -> dict[int, int]:
    """The versions the check page showed, from its hidden ``version-<id>`` fields."""
    out = {}
    for key, raw in request.form.items():
        name, _, did = key.partition("-")
        if name == "version" and did.isascii() and did.isdigit() and len(did) <= 10 \
                and raw.isascii() and raw.isdigit() and len(raw) <= 9:
            out[int(did)] = int(raw)
    return out


SCHOOL = ReturnPages("school", "school.report")


@bp.get("/reports/<int:report_id>/return")
@school_required
def upload_return_page(report_id: int):
    return SCHOOL.upload_page(report_id)


@bp.post("/reports/<int:report_id>/return")
@school_required
def upload_return(report_id: int):
    return SCHOOL.upload(report_id)


@bp.get("/reports/<int:report_id>/returns/<int:return_id>")
@school_required
def check_return(report_id: int, return_id: int):
    return SCHOOL.check(report_id, return_id)


@bp.post("/reports/<int:report_id>/returns/<int:return_id>")
@school_required
def confirm_return(report_id: int, return_id: int):
    return SCHOOL.confirm(report_id, return_id)
