"""The LA's upload page: officers import files in the browser (several at once, school or
LA side) through the same job queue, importer, summary and refusals as the upload API;
the list shows each file's progress and what the import found, and refreshes itself
while any is still waiting."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage

from webapp.auth.access import la_required
from webapp.b2b.formats.headings import COMMON_HEADINGS, load_mapping
from webapp.b2b.intake.uploads import receive_officer_upload, uploads_of_la
from webapp.b2b.review.wording import plural
from webapp.extensions import db
from webapp.la.views import bp
from webapp.models import Upload
from webapp.platform.audit import record
from webapp.tasks.intake import enqueue_upload
from webapp.web.htmx import vary, wants_fragment

SIDES = {"school": "Schools' data (SIMS or another MIS)", "la": "The LA's extract of ONE"}
MAX_FILES = 50


def _recent() -> list[Upload]:
    return list(db.session.scalars(uploads_of_la(current_user.la_id)
                                   .order_by(Upload.id.desc()).limit(30)))


@bp.get("/uploads")
@la_required
def uploads():
    recent = _recent()
    template = "la/_uploads_table.html" if wants_fragment() else "la/uploads.html"
    return vary(current_app.make_response(render_template(
        template, title="Import files", uploads=recent, sides=SIDES, form=FlaskForm(),
        waiting=any(u.status in ("queued", "importing") for u in recent))))


@bp.post("/uploads")
@la_required
def upload_files():
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    side = request.form.get("side")
    if side not in SIDES:
        abort(400)
    files: list[FileStorage] = [f for f in request.files.getlist("files") if f.filename]
    limit = current_app.config["B2B_UPLOAD_MAX_BYTES"]
    if not files or len(files) > MAX_FILES:
        flash(f"Choose between 1 and {MAX_FILES} files to import.", "error")
        return redirect(url_for("la.uploads"))
    for f in files:
        data = f.read(limit + 1)
        if len(data) > limit:
            flash(f"{f.filename} is larger than {limit // (1024 * 1024)} MB: not imported.",
                  "error")
            continue
        upload = receive_officer_upload(db.session, current_user, data, f.filename or "", side)
        enqueue_upload(upload.id)
    flash(f"{plural(len(files), 'file')} received: each is imported in turn below.",
          "success")
    return redirect(url_for("la.uploads"))


@bp.get("/uploads/mapping")
@la_required
def extract_mapping():
    la = current_user.la
    return render_template("la/extract_mapping.html", title="Columns of the LA's extract",
                           form=FlaskForm(), text=la.extract_mapping or EXAMPLE_MAPPING,
                           error=None, headings=sorted(COMMON_HEADINGS.items()))


@bp.post("/uploads/mapping")
@la_required(admin=True)
def save_extract_mapping():
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    text = (request.form.get("mapping") or "").replace("\r\n", "\n").strip()
    la = current_user.la
    error = None
    if len(text) > 20_000:
        error = "The mapping must be 20,000 characters or fewer"
    elif text:
        try:
            load_mapping(text)
        except ValueError as e:
            error = str(e)[0].upper() + str(e)[1:]
    if error:
        return render_template("la/extract_mapping.html", title="Columns of the LA's extract",
                               form=form, text=text, error=error, form_errors=True,
                               headings=sorted(COMMON_HEADINGS.items())), 422
    before = la.extract_mapping
    la.extract_mapping = text or None
    record(db.session, current_user, "la.extract_mapping", la,
           before={"mapping": before}, after={"mapping": la.extract_mapping})
    db.session.commit()
    flash("The mapping is saved: the next import of the LA's extract uses it.", "success")
    return redirect(url_for("la.extract_mapping"))


EXAMPLE_MAPPING = """# Which column of the LA's extract is which item. Headings such as
# "Legal Surname", "Date of Birth", "Gender", "Post Code" and "UPN" need no line here.
[columns]
# "DfE Number" = "laestab"

[dates]
# dob = "%d.%m.%Y"
"""
