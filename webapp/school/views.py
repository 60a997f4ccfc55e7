"""School staff: their documents, the report form, sending and recalling."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.auth.access import load_difference, load_report, load_submission, school_required
from webapp.b2b.review.decisions import DECIDABLE_STATES, DecisionError, record_decision
from webapp.b2b.review.lifecycle import (
    NotAllowed,
    last_comment,
    mark_opened,
    recall_report,
    send_report,
)
from webapp.b2b.review.queries import report_counts
from webapp.b2b.review.report_view import (
    SENT_FILTERS,
    ReportRow,
    answer_progress,
    build_report_view,
    difference_row,
    progress_text,
    school_documents,
    school_notifications,
    school_submissions,
    view_from_snapshot,
)
from webapp.extensions import db
from webapp.models import Report, ReportSubmission
from webapp.models.base import utcnow
from webapp.school.forms import DecisionPost, RecallForm, SendForm
from webapp.web.htmx import vary, wants_fragment

bp = Blueprint("school", __name__, url_prefix="/school")

@bp.after_request
def _vary(response):
    # Report pages answer htmx with fragments (no-store: webapp.web.security, for all).
    return vary(response)


@bp.get("/")
@school_required
def home():
    reports = school_documents(db.session, current_user.school_id)
    return render_template("school/home.html", title="Your documents", reports=reports,
                           counts=report_counts(db.session, [r.id for r in reports]),
                           notifications=school_notifications(db.session,
                                                              current_user.school_id))


@bp.get("/reports/<int:report_id>")
@school_required
def report(report_id: int):
    r = load_report(report_id)
    mark_opened(db.session, r, current_user)
    return render_template("school/report.html", view=build_report_view(db.session, r),
                           report=r, row_errors={}, downloads=_downloads(r))


def _downloads(r: Report) -> list[tuple[str, str]]:
    """The report as a file (the exports' PDF and Word), where those pages exist."""
    return [(text, url_for(endpoint, report_id=r.id)) for endpoint, text in
            (("exports.report_as_pdf", "Download as PDF"),
             ("exports.report_as_docx", "Download as Word (.docx)"))
            if endpoint in current_app.view_functions]


@bp.post("/differences/<int:difference_id>/decision")
@school_required
def decide(difference_id: int):
    d = load_difference(difference_id)
    post = DecisionPost.from_form(request.form)
    try:
        record_decision(db.session, d, current_user, post.choice, post.value, post.version)
        error, status = None, 200
    except DecisionError as e:
        db.session.rollback()
        db.session.refresh(d)
        error, status = e, e.status
    if not wants_fragment():
        if error is None:
            return redirect(url_for("school.report", report_id=d.report_id,
                                    _anchor=f"difference-{d.id}"))
        view = build_report_view(db.session, d.report)
        _keep_typed(view.rows_by_difference()[d.id][1], error, post)
        return render_template("school/report.html", report=d.report, view=view,
                               row_errors={d.id: error}, downloads=[]), status
    decided, total, next_item = answer_progress(db.session, d.report, d.id)
    row = _keep_typed(difference_row(d), error, post)
    return render_template("school/_decision_response.html", row=row,
                           report=d.report, row_errors={d.id: error} if error else {},
                           editable=d.report.status in DECIDABLE_STATES, decided=decided,
                           total=total, progress=progress_text(decided, total),
                           next_item=next_item), status


def _keep_typed(row: ReportRow, error: DecisionError | None, post: DecisionPost) -> ReportRow:
    """A value refused as missing or malformed is shown again as typed, to correct it."""
    if error is not None and error.field == "value":
        row.choice, row.correct_value = post.choice, post.value
    return row


@bp.get("/reports/<int:report_id>/sims-changes")
@school_required
def sims_tasks(report_id: int):
    r = load_report(report_id)
    return render_template("school/sims_tasks.html", view=build_report_view(db.session, r),
                           report=r, title="Changes to make in SIMS")


@bp.get("/reports/<int:report_id>/check")
@school_required
def check_answers(report_id: int):
    r = load_report(report_id)
    view = build_report_view(db.session, r)
    if not view.editable:
        return redirect(url_for("school.report", report_id=r.id))
    # A comment written before a recall is offered again, not lost.
    form = SendForm(comment=last_comment(db.session, r))
    return render_template("school/check_answers.html", view=view, report=r, form=form,
                           title="Check your answers before sending")


@bp.post("/reports/<int:report_id>/send")
@school_required
def send(report_id: int):
    r = load_report(report_id)
    form = SendForm()
    if form.validate_on_submit():
        try:
            send_report(db.session, r, current_user, form.comment.data)
        except NotAllowed as e:
            if r.status != "sent":
                flash(str(e), "error")
                return redirect(url_for("school.report", report_id=r.id))
            # Already sent (a double click): the same answer as the first click.
        flash(f"Your report has been sent to {r.school.la.name}", "success")
        return redirect(url_for("school.sent", show="waiting"))
    return render_template("school/check_answers.html", view=build_report_view(db.session, r),
                           report=r, form=form, title="Check your answers before sending",
                           form_errors=True), 400


@bp.get("/sent")
@school_required
def sent():
    show = request.args.get("show", "all")
    if show not in SENT_FILTERS:
        show = "all"
    return render_template("school/sent.html", title="Files previously sent", show=show,
                           filters=SENT_FILTERS,
                           submissions=school_submissions(db.session, current_user.school_id,
                                                          show),
                           copy_until=_copy_until, now=utcnow(), form=RecallForm())


def _copy_until(submission: ReportSubmission):
    """Until when the school can download the copy of what it sent."""
    return submission.sent_at + timedelta(days=current_app.config["B2B_COPY_DAYS"])


@bp.get("/submissions/<int:submission_id>/copy")
@school_required
def copy(submission_id: int):
    s = load_submission(submission_id)
    if s.snapshot is None or s.recalled_at is not None or _copy_until(s) < utcnow():
        return render_template("errors/error.html", title="This copy is no longer available",
                               message="A copy can be downloaded for "
                                       f"{current_app.config['B2B_COPY_DAYS']} days after "
                                       "sending."), 410
    return render_template("school/copy.html", view=view_from_snapshot(s.snapshot),
                           submission=s, title=f"{s.report.document_name}: copy as sent")


@bp.get("/submissions/<int:submission_id>/copy.pdf")
@school_required
def copy_pdf(submission_id: int):
    """The copy as sent, printed (the same PDF layout as the report's export)."""
    from webapp.exports.pdf import report_pdf
    from webapp.exports.printed import PrintedReport
    from webapp.exports.views import PDF, download

    s = load_submission(submission_id)
    if s.snapshot is None or s.recalled_at is not None or _copy_until(s) < utcnow():
        return copy(submission_id)  # the same "no longer available" page, 410
    printed = PrintedReport(view_from_snapshot(s.snapshot), "Sent", sent_at=s.sent_at,
                            sent_by=s.sent_by.name if s.sent_by else None,
                            received_at=s.received_at,
                            received_by=s.received_by.name if s.received_by else None)
    name = f"{s.report.document_name}-{s.report.school.laestab}-sent.pdf"
    return download(report_pdf(printed), name, PDF)


@bp.post("/submissions/<int:submission_id>/recall")
@school_required
def recall(submission_id: int):
    s = load_submission(submission_id)
    if RecallForm().validate_on_submit():
        try:
            recall_report(db.session, s, current_user)
            flash(f"You have recalled {s.report.document_name}. The LA cannot see it. Change "
                  "your answers and send it again.", "success")
            return redirect(url_for("school.report", report_id=s.report_id))
        except NotAllowed as e:
            flash(str(e), "error")
    return redirect(url_for("school.sent"))
