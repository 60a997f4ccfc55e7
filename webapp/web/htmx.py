"""htmx through htmx-flask (``request.htmx``, its ``make_response``); what is ours is the
rule for when a fragment is wanted, and the ``Vary`` header that rule makes necessary.

A fragment is wanted only when the request comes from htmx and is neither a boosted
navigation nor a history restore: those expect the whole page.
"""

from __future__ import annotations

from flask import Response
from htmx_flask import make_response, request

VARY = "HX-Request"


def wants_fragment() -> bool:
    """htmx asked for part of a page, not the whole of one."""
    hx = request.htmx
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def vary(response: Response) -> Response:
    """Mark a response that depends on ``HX-Request`` so caches keep both kinds apart."""
    response.vary.add(VARY)
    return response


def redirect_htmx(location: str) -> Response:
    """Send htmx to a whole new page (e.g. the sign-in page after the session ended)
    rather than letting a 302's target land inside a table row."""
    return vary(make_response("", 204, redirect=location))
