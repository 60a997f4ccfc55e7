"""Sign in and out, forgotten passwords, and the front door ("/")."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.routing import BuildError

from webapp.auth.forms import ForgottenPasswordForm, ResetPasswordForm, SignInForm
from webapp.auth.passwords import (
    RESET_MINUTES,
    authenticate,
    finish_reset,
    valid_reset,
)
from webapp.auth.second_factor_views import start_code_step
from webapp.extensions import db, limiter
from webapp.models.base import utcnow
from webapp.models.users import new_session_token
from webapp.platform.audit import record
from webapp.tasks.email import ask_for_password_reset
from webapp.web import security

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

SIGN_IN_ERROR = "Enter a correct email address and password"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host (an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.before_app_request
def _fresh_user() -> None:
    # flask-login caches the user on ``g`` (and Flask-WTF its CSRF token), which lives as
    # long as the app context; when one context spans several requests (the test
    # fixtures), each request must still use its own session's user and token.
    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


@bp.get("/")
def index():
    """Each person's home: school staff their documents, LA officers the dashboard."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    if not current_user.is_la:
        return redirect(url_for("school.home"))
    try:
        return redirect(url_for("la.dashboard"))
    except BuildError:  # the LA pages are not there yet
        return render_template("auth/la_placeholder.html", title="LA pages")


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(security.sign_in_limit_address, methods=["POST"],
               deduct_when=security.failed_sign_in)
@limiter.limit(security.sign_in_limit_account, methods=["POST"],
               key_func=security.address_and_account, deduct_when=security.failed_sign_in)
def sign_in():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("auth.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None and user.totp_secret:
            # Password right; the code step signs in (webapp/auth/second_factor_views.py).
            return start_code_step(user, _safe_next(request.args.get("next")))
        if user is not None:
            user.last_sign_in_at = utcnow()
            record(db.session, user, "user.signed_in", user, school_id=user.school_id)
            db.session.commit()
            session.clear()  # nothing from before signing in carries over
            session.permanent = True  # ends after PERMANENT_SESSION_LIFETIME (8 hours)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.index"))
        form.email.errors.append(SIGN_IN_ERROR)
    # Set by the session time-outs (webapp/web/security.py) when they signed someone out.
    timed_out = session.pop("_timed_out", False)
    return render_template("auth/sign_in.html", form=form, title="Sign in",
                           timed_out=timed_out), 400 if form.errors else 200


@bp.post("/sign-out")
@login_required
def sign_out():
    record(db.session, current_user, "user.signed_out", current_user._get_current_object(),
           school_id=current_user.school_id)
    db.session.commit()
    # A new session token: any copy of this session's cookie stops working too.
    current_user.session_token = new_session_token()
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/forgotten-password", methods=["GET", "POST"])
@limiter.limit(security.reset_limit_address, methods=["POST"],
               deduct_when=lambda response: response.status_code == 200)
def forgotten_password():
    form = ForgottenPasswordForm()
    if form.validate_on_submit():
        # Only an enqueue here, whatever the address: the worker looks it up and sends
        # (webapp.auth.email limits each address), so neither the time nor the answer
        # tells whether the address has an account.
        ask_for_password_reset(form.email.data)
        # The same answer whether or not the address has an account.
        return render_template("auth/reset_sent.html", title="Check your email",
                               minutes=RESET_MINUTES)
    return render_template("auth/forgotten_password.html", form=form,
                           title="Reset your password"), 400 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    reset = valid_reset(db.session, token)
    if reset is None:
        return render_template("auth/reset_invalid.html", title="This link has expired"), 404
    form = ResetPasswordForm(account_email=reset.user.email,
                             service_words=("b2b", current_app.config["B2B_LA_NAME"]))
    if form.validate_on_submit():
        finish_reset(db.session, reset, form.password.data)
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form,
                           title="Choose a new password"), 400 if form.errors else 200
