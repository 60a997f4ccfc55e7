"""Downloads of the printable audit packs (PDF, .docx) and the return file for SIMS.

Every download goes through :func:`webapp.access.load_report`: a school user gets only
their own school's reports (404 otherwise), LA users any of their LA's. File names carry
the document name and the LAESTAB, never a pupil.
"""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import login_required

from webapp.access import load_report
from webapp.exports.docx import report_docx
from webapp.exports.pdf import report_pdf, sims_return_pdf
from webapp.exports.returns import sims_return, sims_return_ctf
from webapp.exports.view import printed_report
from webapp.extensions import db

bp = Blueprint("exports", __name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XML = "application/xml"


def download(data: bytes, file_name: str, mimetype: str) -> Response:
    """An attachment that no cache keeps (it holds pupil data)."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response.headers["Cache-Control"] = "no-store"
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
