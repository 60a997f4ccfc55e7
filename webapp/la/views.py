"""LA officers: publishing, progress, receiving, the amendment queue."""

from __future__ import annotations

from datetime import date, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from webapp.auth.access import la_required, load_report
from webapp.b2b import la_desk
from webapp.b2b.amendments import tasks as amendments
from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.review import wording
from webapp.b2b.review.history import report_history
from webapp.b2b.review.lifecycle import NotAllowed
from webapp.b2b.review.wording import plural
from webapp.extensions import db
from webapp.la.forms import RejectForm, TaskFiltersForm
from webapp.models import AmendmentTask
from webapp.platform.mail import batch_ids, due_ids, progress, retry_failed
from webapp.tasks.email import enqueue_emails
from webapp.web.htmx import vary, wants_fragment
from webapp.web.params import PAGES, WEEKS, YEARS, id_list, int_param

bp = Blueprint("la", __name__, url_prefix="/la")



# What LA pages say about tasks and SIMS items, in the report's words (one module,
# webapp.b2b.review.wording, for the pages, the exports and the notices).
_WORDING = {"item_label": wording.item_label, "task_label": wording.task_label,
            "task_values": wording.task_values, "sims_item_values": wording.sims_item_values}


@bp.app_context_processor
def _nav():
    """The LA team's navigation, on every LA page (this blueprint's and the others':
    packs, cycle, tokens, people, two-step sign-in). School pages set their own."""
    if not (current_user and current_user.is_authenticated and current_user.is_la):
        return {**_WORDING, "has_endpoint": lambda e: e in current_app.view_functions}
    here = request.endpoint or ""
    sections = [("la.dashboard", "Schools", ("la.dashboard", "la.report", "la.history")),
                ("la.tasks", "Amendment queue", ("la.task", "la.complete_tasks",
                                                 "la.assign_tasks", "la.reject_task")),
                ("la.uploads", "Import files", ("la.uploads", "la.upload_files")),
                ("exports.new_pack", "Packs", ("exports.new_pack", "exports.pack")),
                ("cycle.index", "Weekly cycle", ("cycle.",)),
                ("tokens.index", "API tokens", ("tokens.",)),
                ("users.index", "People", ("users.",)),
                ("twofactor.setup", "Two-step sign-in", ("twofactor.",))]
    items = []
    for endpoint, text, prefixes in sections:
        if endpoint not in current_app.view_functions:
            continue
        if endpoint in ("tokens.index", "users.index") and current_user.role != "la_admin":
            continue
        active = any(here.startswith(p) for p in prefixes)
        items.append({"href": url_for(endpoint), "text": text, "active": active,
                      "current": active})
    return {"nav_items": items, **_WORDING,
            "has_endpoint": lambda e: e in current_app.view_functions}


def _year_week() -> tuple[int, int]:
    """The week asked for, else the current one (la_desk.current_week)."""
    year, week = int_param("year", YEARS), int_param("week", WEEKS)
    if year is None or week is None:
        this_year, this_week = la_desk.current_week(db.session, current_user.la_id,
                                                    date.today())
        if year is None:
            year = this_year
        if week is None:
            week = this_week if year == this_year else (
                la_desk.report_weeks(db.session, current_user.la_id, year) or [this_week])[-1]
    return year, week


def _load_task(task_id: int) -> AmendmentTask:
    task = db.session.get(AmendmentTask, task_id)
    if task is None:
        abort(404)
    load_report(task.report_id)  # the one access check
    return task


def _load_tasks(ids: list[int]) -> list[int]:
    """Many tasks for one action: each report they belong to passes the access check."""
    wanted = set(ids)
    rows = db.session.execute(select(AmendmentTask.id, AmendmentTask.report_id).where(
        AmendmentTask.id.in_(wanted))).all() if wanted else []
    if len(rows) != len(wanted):
        abort(404)
    for report_id in {r.report_id for r in rows}:
        load_report(report_id)  # the one access check, once per report
    return sorted(wanted)


def _hand_over(batch: str) -> None:
    enqueue_emails(batch_ids(db.session, batch))


# -- the week's dashboard ------------------------------------------------------------------

@bp.get("/")
@la_required
def dashboard():
    year, week = _year_week()
    board = la_desk.dashboard(db.session, current_user.la_id, year, week,
                                  state=request.args.get("state") or None,
                                  chase_days=current_app.config["B2B_CHASE_DAYS"])
    weeks = la_desk.report_weeks(db.session, current_user.la_id, year)
    return render_template("la/dashboard.html", title=f"Schools – week {week}", board=board,
                           weeks=weeks, state=request.args.get("state") or "",
                           states=la_desk.STATES, mail=_mail(),
                           chase_days=current_app.config["B2B_CHASE_DAYS"])


@bp.post("/publish")
@la_required
def publish():
    year, week = _year_week()
    ids = id_list("school_id")
    if not ids and request.form.get("all") != "1":
        flash("Choose the schools to publish to, or publish to all.", "error")
        return redirect(url_for("la.dashboard", year=year, week=week))
    reports = la_desk.reports_for_week(db.session, current_user.la_id, year, week,
                                           school_ids=ids or None)
    result = la_desk.publish(db.session, reports, current_user)
    _hand_over(result.batch)
    flash(f"Published {plural(len(result.reports), 'report')}; "
          f"{plural(result.emails, 'email is', 'emails are')} being sent.", "success")
    return redirect(url_for("la.dashboard", year=year, week=week))


@bp.post("/remind")
@la_required
def remind():
    year, week = _year_week()
    ids = id_list("report_id")
    if ids:
        reports = [load_report(i) for i in ids]
    else:  # every overdue school of the week
        now = la_desk.utcnow()
        reports = [r for r in la_desk.reports_for_week(
            db.session, current_user.la_id, year, week)
            if la_desk.is_overdue(r, now, current_app.config["B2B_CHASE_DAYS"])]
    result = la_desk.send_reminders(db.session, reports, current_user)
    _hand_over(result.batch)
    flash(f"Reminder sent to {plural(len(result.reports), 'school')} "
          f"({plural(result.emails, 'email')}).", "success")
    return redirect(url_for("la.dashboard", year=year, week=week))


@bp.get("/mail")
@la_required
def mail_progress():
    return vary(make_response(render_template("la/_mail_progress.html", mail=_mail())))


def _mail() -> dict[str, int]:
    # The last day's emails, and any still waiting however old.
    return progress(db.session, since=la_desk.utcnow() - timedelta(days=1))


@bp.post("/mail/retry")
@la_required
def mail_retry():
    n = retry_failed(db.session)
    enqueue_emails(due_ids(db.session))
    flash(f"Trying {plural(n, 'email')} again.", "success")
    return redirect(url_for("la.dashboard"))


# -- one report ----------------------------------------------------------------------------

@bp.get("/reports/<int:report_id>")
@la_required
def report(report_id: int):
    r = load_report(report_id)
    return render_template(
        "la/report.html", title=f"{r.school.title}: {r.document_name}", report=r,
        submission=la_desk.latest_submission(db.session, r.id),
        tasks=amendments.tasks_for_report(db.session, r.id),
        sims_items=la_desk.sims_items_for_report(db.session, r.id))


@bp.post("/reports/<int:report_id>/receive")
@la_required
def receive(report_id: int):
    r = load_report(report_id)
    try:
        result = receive_report(db.session, r, current_user)
    except NotAllowed as e:
        flash(str(e), "error")
        return redirect(url_for("la.report", report_id=r.id), 303)
    if result.email_batch:
        _hand_over(result.email_batch)
    flash(f"Marked as received: {plural(result.tasks, 'amendment task')}"
          + (", nothing to amend so the report is closed." if result.closed else "."),
          "success")
    return redirect(url_for("la.report", report_id=r.id), 303)


@bp.get("/reports/<int:report_id>/history")
@la_required
def history(report_id: int):
    r = load_report(report_id)
    return render_template("la/history.html", title=f"History of {r.document_name}",
                           report=r, lines=report_history(db.session, r.id))


# -- the amendment queue -------------------------------------------------------------------

def _filters() -> tuple[TaskFiltersForm, la_desk.TaskFilters]:
    form = TaskFiltersForm(request.values, meta={"csrf": False})
    choices = la_desk.task_filter_choices(db.session, current_user.la_id)
    form.set_choices(choices)
    return form, form.filters()


def _queue_page():
    form, f = _filters()
    page = la_desk.task_page(db.session, f, current_user.la_id, current_user.id,
                                 page=int_param("page", PAGES, 1))
    return form, page


@bp.get("/tasks")
@la_required
def tasks():
    form, page = _queue_page()
    return render_template("la/tasks.html", title="Amendment queue", form=form, page=page,
                           open_count=_open_count())


def _open_count() -> int:
    return la_desk.task_count(db.session, la_desk.TaskFilters(), current_user.la_id,
                                  current_user.id)


def _rows_response(done: int, skipped: int):
    """The queue's rows again (the page as filtered), plus the counter out of band."""
    form, page = _queue_page()
    response = make_response(render_template(
        "la/_task_rows.html", form=form, page=page, open_count=_open_count(), oob=True,
        done=done, skipped=skipped))
    return vary(response)


@bp.post("/tasks/complete")
@la_required
def complete_tasks():
    ids = _load_tasks(id_list("task_id"))
    result = amendments.complete_tasks(db.session, ids, current_user)
    for batch in result.email_batches:
        _hand_over(batch)
    if wants_fragment():
        return _rows_response(len(result.done), len(result.skipped))
    flash(_done_message(len(result.done), len(result.skipped)), "success")
    return redirect(url_for("la.tasks", **_filter_args()), 303)


@bp.post("/tasks/assign")
@la_required
def assign_tasks():
    ids = _load_tasks(id_list("task_id"))
    amendments.assign_tasks(db.session, ids, current_user)
    if wants_fragment():
        return _rows_response(0, 0)
    return redirect(url_for("la.tasks", **_filter_args()), 303)


def _filter_args() -> dict:
    keys = ("school", "field", "week", "year", "status", "assignee", "page")
    return {k: request.values[k] for k in keys if request.values.get(k)}


def _done_message(done: int, skipped: int) -> str:
    msg = f"{plural(done, 'amendment')} made in ONE."
    if skipped:
        msg += f" {skipped} had already been dealt with by someone else."
    return msg


def _row(task: AmendmentTask, status: int = 200, form: RejectForm | None = None):
    db.session.refresh(task)
    response = make_response(render_template(
        "la/_task_row.html", task=task, reject_form=form, open_count=_open_count(),
        oob=True), status)
    return vary(response)


@bp.post("/tasks/<int:task_id>/assign")
@la_required
def assign_task(task_id: int):
    task = _load_task(task_id)
    amendments.assign_tasks(db.session, [task.id], current_user)
    if wants_fragment():
        return _row(task)
    return redirect(url_for("la.tasks", **_filter_args()), 303)


@bp.post("/tasks/<int:task_id>/complete")
@la_required
def complete_task(task_id: int):
    task = _load_task(task_id)
    result = amendments.complete_task(db.session, task.id, current_user)
    for batch in result.email_batches:
        _hand_over(batch)
    if wants_fragment():
        return _row(task)
    flash(_done_message(len(result.done), len(result.skipped)), "success")
    return redirect(url_for("la.tasks", **_filter_args()), 303)


@bp.route("/tasks/<int:task_id>/reject", methods=["GET", "POST"])
@la_required
def reject_task(task_id: int):
    task = _load_task(task_id)
    form = RejectForm()
    if request.method == "POST" and form.validate():
        result = amendments.reject_task(db.session, task.id, current_user, form.reason.data)
        for batch in result.email_batches:
            _hand_over(batch)
        if wants_fragment():
            return _row(task)
        flash("The task was rejected; the school can see your reason.", "success")
        return redirect(url_for("la.tasks", **_filter_args()), 303)
    status = 422 if request.method == "POST" else 200
    if wants_fragment():
        return _row(task, status, form)
    return render_template("la/reject.html", title="Reject the amendment", task=task,
                           form=form, form_errors=bool(form.errors)), status
