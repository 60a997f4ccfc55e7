"""Second factor pages: turn it on (scan, then prove a code works), turn it off, and the
code step after the password when it is on."""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user
from markupsafe import Markup

from webapp.auth import second_factor as tf
from webapp.extensions import db
from webapp.models import User
from webapp.platform.audit import record

bp = Blueprint("twofactor", __name__)
PENDING_SECONDS = 300


def _pending_id(user: User) -> str:
    """Who is between password and code, as the session cookie holds it: the user's id
    and a digest of their session token. Never the token itself: the cookie is signed,
    not encrypted, and the token is what a signed-in session is made of."""
    digest = hashlib.sha256(f"2fa-pending:{user.session_token}".encode()).hexdigest()
    return f"{user.id}:{digest}"


def _pending_user(pending: str) -> User | None:
    uid, _, digest = pending.partition(":")
    ok_id = uid.isascii() and uid.isdigit() and len(uid) <= 10 and int(uid) <= 2**31 - 1
    user = db.session.get(User, int(uid)) if ok_id else None
    if user is None or not user.active or not hmac.compare_digest(_pending_id(user), pending):
        return None
    return user


def start_code_step(user, next_url: str | None):
    """Called by sign-in when the password was right and the account has a second factor:
    nobody is signed in until the code is given."""
    session.clear()
    session["_2fa_user"] = _pending_id(user)
    session["_2fa_at"] = time.time()
    if next_url:
        session["_2fa_next"] = next_url
    return redirect(url_for("twofactor.code"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
def code():
    pending = session.get("_2fa_user")
    if not pending or time.time() - session.get("_2fa_at", 0) > PENDING_SECONDS:
        session.clear()
        return redirect(url_for("auth.sign_in"))
    user = _pending_user(pending)
    if user is None:
        session.clear()
        return redirect(url_for("auth.sign_in"))
    error = None
    if request.method == "POST":
        try:
            right = tf.check_code(db.session, user, request.form.get("code", ""))
        except tf.CodeLocked as e:
            session.clear()
            return render_template(
                "twofactor/code.html", title="Enter your code", form_errors=True,
                error=(f"Too many wrong codes. You can try again after {e.until:%H:%M} UTC, "
                       "or ask your LA admin"), locked=True), 429
        if right:
            next_url = session.get("_2fa_next")
            session.clear()
            session.permanent = True
            login_user(user)
            record(db.session, user, "user.signed_in", user, after={"second_factor": True})
            db.session.commit()
            return redirect(next_url or url_for("auth.index"))
        error = "The code is not right, or has been used. Enter the code your app shows now"
    return render_template("twofactor/code.html", title="Enter your code", error=error,
                           form_errors=bool(error)), 400 if error else 200


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def setup():
    if not current_user.is_la:
        abort(404)
    if current_user.totp_secret:
        return render_template("twofactor/on.html", title="Two-step sign-in")
    secret = session.get("_2fa_setup") or tf.new_secret()
    session["_2fa_setup"] = secret
    error = None
    if request.method == "POST":
        if tf.turn_on(db.session, current_user, secret, request.form.get("code", "")):
            session.pop("_2fa_setup", None)
            flash("Two-step sign-in is on: you will be asked for a code after your password.",
                  "success")
            return redirect(url_for("twofactor.setup"))
        error = "The code is not right. Enter the 6-digit code your app shows now"
    uri = tf.setup_uri(secret, current_user.email, current_app.config["B2B_LA_NAME"] + " B2B")
    return render_template("twofactor/setup.html", title="Turn on two-step sign-in",
                           qr=Markup(tf.qr_svg(uri)), secret=secret, error=error,
                           form_errors=bool(error)), 400 if error else 200


@bp.post("/account/two-factor/off")
@login_required
def off():
    if not current_user.is_la or not current_user.totp_secret:
        abort(404)
    try:
        right = tf.check_code(db.session, current_user, request.form.get("code", ""))
    except tf.CodeLocked as e:
        flash(f"Too many wrong codes: two-step sign-in is still on. You can try again after "
              f"{e.until:%H:%M} UTC.", "error")
        return redirect(url_for("twofactor.setup"))
    if not right:
        flash("The code is not right: two-step sign-in is still on.", "error")
        return redirect(url_for("twofactor.setup"))
    tf.turn_off(db.session, current_user, current_user)
    flash("Two-step sign-in is off.", "success")
    return redirect(url_for("twofactor.setup"))
