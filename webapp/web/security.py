"""Response headers every page gets: a Content-Security-Policy without inline script,
no sniffing, no framing, a strict referrer policy, and no caching of signed-in pages
(they carry children's personal data)."""

from __future__ import annotations

import base64
import hashlib
import time

from flask import Flask, current_app, request, session
from flask_login import current_user, logout_user

# The GOV.UK template's one inline script (it marks the body "js-enabled"): allowed by its
# hash, so no other inline script can run.
GOVUK_INLINE_SCRIPT = ("document.body.className += ' js-enabled' + ('noModule' in "
                       "HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy() -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {_sha256(GOVUK_INLINE_SCRIPT)}",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _session_timeouts(app: Flask) -> None:
    """Sign out after ``B2B_IDLE_MINUTES`` without a request, and ``B2B_SESSION_HOURS``
    after signing in whatever happens (a shared office PC left signed in)."""
    if not current_user or not current_user.is_authenticated:
        return
    now = time.time()
    started = session.setdefault("_started", now)
    seen = session.get("_seen", now)
    idle = app.config["B2B_IDLE_MINUTES"] * 60
    absolute = app.config["B2B_SESSION_HOURS"] * 3600
    if now - seen > idle or now - started > absolute:
        logout_user()
        session.clear()
        session["_timed_out"] = True
        return
    if request.endpoint != "static":
        session["_seen"] = now


def init_app(app: Flask) -> None:
    csp = content_security_policy()
    app.config.setdefault("B2B_IDLE_MINUTES", 30)
    app.config.setdefault("B2B_SESSION_HOURS", 10)
    app.config.setdefault("B2B_SIGN_IN_LIMIT_ADDRESS", "50 per 15 minutes")
    app.config.setdefault("B2B_SIGN_IN_LIMIT_ACCOUNT", "5 per 15 minutes")
    app.config.setdefault("B2B_RESET_LIMIT_ADDRESS", "10 per 15 minutes")
    app.before_request(lambda: _session_timeouts(app))

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", csp)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint != "static":
            # The one place for it: pages, fragments, errors and downloads name pupils, and
            # none is to be kept by the browser or a proxy (a shared office PC).
            h["Cache-Control"] = "no-store"
        return response


def failed_sign_in(response) -> bool:
    """Only failed sign-ins count towards the limits."""
    return request.method == "POST" and response.status_code != 302


def address_and_account() -> str:
    """The rate-limit key per address *and* account (never per account alone, so an
    attacker failing on someone's email from elsewhere cannot lock that person out)."""
    email = (request.form.get("email") or "").strip().casefold()
    return f"{request.remote_addr}|{hashlib.sha256(email.encode()).hexdigest()[:16]}"


def sign_in_limit_address() -> str:
    return current_app.config["B2B_SIGN_IN_LIMIT_ADDRESS"]


def sign_in_limit_account() -> str:
    return current_app.config["B2B_SIGN_IN_LIMIT_ACCOUNT"]


def reset_limit_address() -> str:
    """Forgotten-password requests per client address (each address of an account is
    limited as well, by webapp.auth.email)."""
    return current_app.config["B2B_RESET_LIMIT_ADDRESS"]
