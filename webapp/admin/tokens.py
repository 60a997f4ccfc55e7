"""API tokens for machine senders: created, listed and revoked by LA admins.

A new token's secret is shown once, on the page that answers the form, and never again.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from webapp.auth.access import la_required
from webapp.auth.api_tokens import create_token, revoke_token
from webapp.b2b.intake.uploads import uploads_of_la
from webapp.extensions import db
from webapp.models import ApiToken, School, Upload, User
from webapp.web.validators import SafeText

bp = Blueprint("tokens", __name__, url_prefix="/la/tokens")


class TokenForm(FlaskForm):
    scope = SelectField("Who sends with it", validators=[DataRequired()])
    label = StringField("What it is for", description="For example: SIMS nightly B2B export",
                        validators=[SafeText(name="The label"), Length(max=200)])


def _form() -> TokenForm:
    form = TokenForm()
    schools = db.session.scalars(select(School).where(School.la_id == current_user.la_id)
                                 .order_by(School.estab))
    form.scope.choices = [("la", "The LA's own ONE extract")] + [
        (str(s.id), f"{s.estab} {s.name}") for s in schools]
    return form


@bp.get("/")
@la_required(admin=True)
def index():
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.la_id == current_user.la_id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc()))
    uploads = db.session.scalars(uploads_of_la(current_user.la_id).order_by(Upload.id.desc())
                                 .limit(20))
    tokens = list(tokens)
    return render_template("tokens/index.html", title="API tokens", tokens=tokens,
                           uploads=list(uploads), form=_form(), creators=_creators(tokens))


def _creators(tokens: list[ApiToken]) -> dict[str, str]:
    """Who created each token, by name: the token keeps the creator's email."""
    emails = {t.created_by for t in tokens}
    return dict(db.session.execute(select(User.email, User.name).where(
        User.email.in_(emails))).tuples().all()) if emails else {}


@bp.post("/")
@la_required(admin=True)
def create():
    form = _form()
    if not form.validate_on_submit():
        return render_template("tokens/index.html", title="API tokens", form=form,
                               tokens=[], uploads=[], creators={}, form_errors=True), 422
    school = None
    if form.scope.data != "la":
        school = db.session.get(School, int(form.scope.data))
        if school is None or school.la_id != current_user.la_id:
            abort(404)
    token, raw = create_token(db.session, la=current_user.la, school=school,
                              label=form.label.data or "", actor=current_user)
    return render_template("tokens/created.html", title="Token created", token=token,
                           secret=raw)


@bp.post("/<int:token_id>/revoke")
@la_required(admin=True)
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.la_id != current_user.la_id:
        abort(404)
    if revoke_token(db.session, token, current_user):
        flash(f"Token {token.prefix}… revoked: it can no longer send data.", "success")
    return redirect(url_for("tokens.index"))
