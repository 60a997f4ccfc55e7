"""Small htmx helpers: when a fragment is wanted, and answering htmx properly.

A fragment is wanted only when the request comes from htmx (``HX-Request``) and is
neither a boosted navigation nor a history restore: those expect the whole page.
"""

from __future__ import annotations

from flask import Response, request

VARY = "HX-Request"


def is_htmx() -> bool:
    """The request was made by htmx at all (boosted or not)."""
    return request.headers.get("HX-Request") == "true"


def wants_fragment() -> bool:
    """htmx asked for part of a page, not the whole of one."""
    return (is_htmx()
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def vary(response: Response) -> Response:
    """Mark a response that depends on ``HX-Request`` so caches keep both kinds apart."""
    response.vary.add(VARY)
    return response


def redirect_htmx(location: str) -> Response:
    """Send htmx to a whole new page (e.g. the sign-in page after the session ended)
    rather than letting a 302's target land inside a table row."""
    response = Response(status=204)
    response.headers["HX-Redirect"] = location
    return vary(response)
