"""People with accounts: LA admins invite them (an emailed single-use link) and disable
them (which ends their sessions at once)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from webapp.auth.access import la_required
from webapp.auth.accounts import AccountError, invite_user, set_active
from webapp.auth.email import queue_invitation
from webapp.extensions import db
from webapp.models import School, User
from webapp.platform.mail import batch_ids
from webapp.tasks.email import enqueue_emails
from webapp.web.validators import SafeText

bp = Blueprint("users", __name__, url_prefix="/la/users")


class InviteForm(FlaskForm):
    email = EmailField("Email address", validators=[
        DataRequired("Enter their email address"), Email("Enter a real email address"),
        Length(max=320)])
    name = StringField("Full name", validators=[DataRequired("Enter their name"),
                                                SafeText(name="The name"), Length(max=200)])
    where = SelectField("Account for", validators=[DataRequired()])


def _form() -> InviteForm:
    form = InviteForm()
    schools = db.session.scalars(select(School).where(School.la_id == current_user.la_id)
                                 .order_by(School.estab))
    form.where.choices = [("la_officer", "LA officer"), ("la_admin", "LA admin")] + [
        (str(s.id), f"School staff: {s.estab} {s.name}") for s in schools]
    return form


def send_invitation(user: User, token: str) -> None:
    """Queue the invitation and hand it to the job worker (never sent in the request)."""
    batch = queue_invitation(db.session, user, token)
    db.session.commit()
    enqueue_emails(batch_ids(db.session, batch))


@bp.get("/")
@la_required(admin=True)
def index():
    users = db.session.scalars(select(User).where(User.la_id == current_user.la_id)
                               .order_by(User.role.desc(), User.email))
    return render_template("users/index.html", title="People", users=list(users),
                           form=_form())


@bp.post("/")
@la_required(admin=True)
def invite():
    form = _form()
    if form.validate_on_submit():
        school = None
        role = form.where.data
        if role not in ("la_officer", "la_admin"):
            school = db.session.get(School, int(role))
            if school is None or school.la_id != current_user.la_id:
                abort(404)
            role = "school"
        try:
            user, token = invite_user(db.session, email=form.email.data, name=form.name.data,
                                      role=role, la=current_user.la, school=school,
                                      actor=current_user)
        except AccountError as e:
            form.email.errors.append(str(e)[0].upper() + str(e)[1:])
        else:
            send_invitation(user, token)
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect(url_for("users.index"))
    users = db.session.scalars(select(User).where(User.la_id == current_user.la_id)
                               .order_by(User.role.desc(), User.email))
    return render_template("users/index.html", title="People", users=list(users), form=form,
                           form_errors=True), 422


@bp.post("/<int:user_id>/active")
@la_required(admin=True)
def toggle(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.la_id != current_user.la_id or user.id == current_user.id:
        abort(404)
    set_active(db.session, user, not user.active, current_user)
    flash(f"{user.name or user.email} "
          f"{'can sign in again' if user.active else 'can no longer sign in'}.", "success")
    return redirect(url_for("users.index"))
