"""Downloads of the printable audit packs (PDF, .docx) and the return file for SIMS.

Every download goes through :func:`webapp.auth.access.load_report`: a school user gets only
their own school's reports (404 otherwise), LA users any of their LA's. File names carry
the document name and the LAESTAB, never a pupil.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from webapp.auth.access import la_required, load_report
from webapp.exports import packs
from webapp.exports.amendment_log import amendment_log, amendment_log_csv
from webapp.exports.docx import report_docx
from webapp.exports.pdf import amendment_log_pdf, report_pdf, sims_return_pdf
from webapp.exports.printed import printed_report
from webapp.exports.returns import sims_return, sims_return_ctf
from webapp.extensions import db
from webapp.tasks import packs as pack_tasks
from webapp.web.htmx import vary, wants_fragment
from webapp.web.params import WEEKS, YEARS, int_param

bp = Blueprint("exports", __name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XML = "application/xml"


def download(data: bytes, file_name: str, mimetype: str) -> Response:
    """An attachment that no cache keeps (it holds pupil data)."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/reports/<int:report_id>/report.pdf")
@login_required
def report_as_pdf(report_id: int) -> Response:
    printed = printed_report(db.session, load_report(report_id))
    return download(report_pdf(printed), f"{printed.file_stem}.pdf", PDF)


@bp.get("/reports/<int:report_id>/report.docx")
@login_required
def report_as_docx(report_id: int) -> Response:
    printed = printed_report(db.session, load_report(report_id))
    return download(report_docx(printed), f"{printed.file_stem}.docx", DOCX)


@bp.get("/reports/<int:report_id>/sims-return.xml")
@login_required
def sims_return_file(report_id: int) -> Response:
    ret = sims_return(db.session, load_report(report_id))
    return download(sims_return_ctf(ret), f"{ret.file_stem}.xml", XML)


@bp.get("/reports/<int:report_id>/sims-return.pdf")
@login_required
def sims_return_list(report_id: int) -> Response:
    ret = sims_return(db.session, load_report(report_id))
    return download(sims_return_pdf(ret), f"{ret.file_stem}.pdf", PDF)


# -- LA-wide packs: a background job with its progress in the page ----------------------

def _load_job(token: str) -> packs.PackJob:
    job = packs.load_job(token)
    if job is None or job.la_id != current_user.la_id:
        abort(404)
    return job


@bp.get("/packs")
@la_required
def new_pack():
    return render_template("exports/packs.html", title="Print a pack", errors={},
                           values=request.args)


@bp.post("/packs")
@la_required
def start_pack():
    try:
        request_ = packs.parse_pack_request(db.session, request.form, current_user.la_id)
    except packs.PackRequestError as e:
        return render_template("exports/packs.html", title="Print a pack", errors=e.errors,
                               values=request.form, form_errors=True), 422
    job = packs.new_pack_job(db.session, la_id=current_user.la_id,
                             requested_by=current_user.id, **request_)
    pack_tasks.start_pack(job)
    return redirect(url_for("exports.pack", token=job.token), code=303)


@bp.get("/packs/<token>")
@la_required
def pack(token: str):
    job = _load_job(token)
    template = "exports/_pack_progress.html" if wants_fragment() else "exports/pack.html"
    return vary(make_response(render_template(template, title=job.title, job=job)))


@bp.get("/packs/<token>/pack.pdf")
@la_required
def pack_pdf(token: str) -> Response:
    job = _load_job(token)
    path = packs.pack_path(job)
    if job.status != "done" or not path.exists():
        abort(404)
    response = send_file(path, mimetype=PDF, as_attachment=True, download_name=job.file_name,
                         max_age=0)
    return response


# -- the amendment log ------------------------------------------------------------------

def _log_rows() -> tuple[list, str, str]:
    year = int_param("year", YEARS, source=request.args)
    week = int_param("week", WEEKS, source=request.args)
    if year is None or week is None:
        abort(400)
    rows = amendment_log(db.session, la_id=current_user.la_id, academic_year=year, week=week)
    label = f"{year}/{(year + 1) % 100:02d}"
    return (rows, f"Amendments to ONE – week {week}, {label}",
            f"B2BamendmentsWeek{week:02d}-{year}")


@bp.get("/amendments/log.csv")
@la_required
def amendment_log_as_csv() -> Response:
    rows, _title, stem = _log_rows()
    return download(amendment_log_csv(rows), f"{stem}.csv", "text/csv")


@bp.get("/amendments/log.pdf")
@la_required
def amendment_log_as_pdf() -> Response:
    rows, title, stem = _log_rows()
    return download(amendment_log_pdf(rows, title=title), f"{stem}.pdf", PDF)
