"""Error pages: a whole page, or a small fragment for htmx, never a traceback and never
pupil data (messages here are fixed text, not built from the request)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from htmx_flask import make_response, request
from werkzeug.exceptions import HTTPException

from webapp.extensions import login_manager
from webapp.web.htmx import redirect_htmx, vary, wants_fragment

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Sorry, there is a problem", "The request could not be understood."),
    403: ("You do not have access to this page",
          "Your account does not give you access to this page."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you "
          "pasted the web address, check you copied the entire address."),
    405: ("Sorry, there is a problem", "That action is not allowed here."),
    409: ("Sorry, there is a problem", "This was changed by someone else. Reload the page."),
    410: ("This is no longer available", "This copy is no longer available to download."),
    413: ("The file is too big", "The file you chose is too big."),
    422: ("Sorry, there is a problem", "Check your answer and try again."),
    429: ("Too many requests", "Wait a moment and try again."),
    500: ("Sorry, there is a problem with the service", "Try again later."),
}
CSRF_MESSAGE = ("Your session has expired or the form was out of date. Reload the page "
                "and try again. Your earlier answers have been saved.")


def render_error(status: int, message: str | None = None):
    title, default = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    fragment = wants_fragment()
    template = "errors/_error.html" if fragment else "errors/error.html"
    body = render_template(template, title=title, message=message or default, status=status)
    # A fragment goes into the page's message area, not into whatever the request targeted.
    response = make_response(body, status, retarget="#app-messages" if fragment else None,
                             reswap="innerHTML" if fragment else None)
    return vary(response)


def handle_http(e: HTTPException):
    return render_error(e.code or 500)


def handle_csrf(e: CSRFError):
    if not current_user.is_authenticated and request.blueprint != "auth":
        # The session ended (and its token with it): send them to sign in again.
        return unauthorized()
    # Never a redirect: under htmx that would swap a whole page into a table row.
    log.info("CSRF refused on %s: %s", request.endpoint, e.description)
    return render_error(400, CSRF_MESSAGE)


def unauthorized():
    """flask-login's answer to a signed-out user: htmx gets ``HX-Redirect``."""
    if request.htmx:
        # Back to the page they were on, not to the fragment URL htmx asked for.
        current = urlsplit(request.htmx.current_url or "")
        back = None
        if current.netloc in ("", request.host) and current.path.startswith("/"):
            back = current.path + (f"?{current.query}" if current.query else "")
        return redirect_htmx(url_for("auth.sign_in", next=back))
    target = url_for("auth.sign_in", next=request.full_path if request.method == "GET"
                     else None)
    return vary(redirect(target))


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    # Covers unexpected exceptions too: outside testing Flask logs them and hands this
    # handler an InternalServerError, so the person sees the 500 page, not a traceback.
    app.register_error_handler(HTTPException, handle_http)
    login_manager.unauthorized_handler(unauthorized)
