"""``/api/v1``: machine senders post files with a bearer token; the job queue imports them.

Answers are JSON. A missing, wrong or revoked token gets 401 with no detail; a school's
token may only send its own school's data (403, nothing kept).
"""

from __future__ import annotations

import hashlib
import io
import json
from importlib import resources

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.formparser import parse_form_data

from webapp.auth.api_tokens import token_for
from webapp.b2b.intake.uploads import may_see_upload, receive_upload
from webapp.extensions import csrf, db, limiter
from webapp.models import Upload

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies: nothing for a forged request to ride on


def _token_key() -> str:
    """Rate limits count per token presented (a digest of it), else per address."""
    header = request.headers.get("Authorization", "")
    if header:
        return "auth:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    return f"ip:{request.remote_addr}"


def _bearer():
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    token = token_for(db.session, raw.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        abort(401)
    g.api_token = token
    return token


def _upload_json(u: Upload) -> dict:
    out = {
        "id": u.id,
        "status": u.status,
        "side": u.side,
        "file_name": u.file_name,
        "size": u.size,
        "sha256": u.sha256,
        "received_at": u.received_at.isoformat(),
        "processed_at": u.processed_at.isoformat() if u.processed_at else None,
        "counts": None,
        "not_read": [],
        "warnings": [],
        "reason": u.error,
        "links": {"self": url_for("api.upload_state", upload_id=u.id, _external=False)},
    }
    if u.summary:
        out["counts"] = {k: u.summary.get(k, 0) for k in
                         ("read", "new", "changed", "unchanged", "refused")}
        # What the file held and was not read (uploads imported before: nothing listed).
        out["not_read"] = u.summary.get("not_read") or []
        out["warnings"] = u.summary.get("warnings") or []
    return out


@bp.post("/uploads")
@limiter.limit(lambda: current_app.config["B2B_API_RATE_LIMIT"], key_func=_token_key)
def create_upload():
    token = _bearer()
    limit = current_app.config["B2B_UPLOAD_MAX_BYTES"]
    if request.mimetype == "multipart/form-data":
        body = _whole_body(limit + MULTIPART_OVERHEAD)
        _stream, _form, files = parse_form_data({
            "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": request.content_type, "REQUEST_METHOD": "POST"})
        f = files.get("file")
        if f is None:
            abort(400)
        data, name = f.read(), f.filename or "upload"
    else:
        data = _whole_body(limit)
        name = request.headers.get("X-File-Name") or request.args.get("name") or "upload"
    if len(data) > limit:
        abort(413)
    upload = receive_upload(db.session, token, data, name)
    _enqueue(upload.id)
    body = _upload_json(upload)
    return jsonify(body), 202, {"Location": body["links"]["self"]}


# A multipart body carries the file and its part headers and boundaries.
MULTIPART_OVERHEAD = 64 * 1024


def _whole_body(limit: int) -> bytes:
    """The whole request body, or 413 once it passes ``limit`` bytes, however it is sent:
    with a Content-Length or chunked (with none), never a body cut at the limit and
    kept as if whole (a CSV cut at a line end would import part of a school)."""
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    # One byte past the limit may be read, so that a longer body shows itself.
    request.max_content_length = limit + 1
    stream, parts, size = request.stream, [], 0
    while chunk := stream.read(min(64 * 1024, limit + 1 - size)):
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            abort(413)
    return b"".join(parts)


def _enqueue(upload_id: int) -> None:
    from webapp.tasks import intake as intake_jobs

    intake_jobs.enqueue_upload(upload_id)


@bp.get("/uploads/<int:upload_id>")
@limiter.limit(lambda: current_app.config["B2B_API_RATE_LIMIT"], key_func=_token_key)
def upload_state(upload_id: int):
    token = _bearer()
    upload = db.session.get(Upload, upload_id)
    if upload is None or not may_see_upload(token, upload):
        abort(404)
    return jsonify(_upload_json(upload))


@bp.get("/openapi.json")
def openapi():
    text = resources.files("webapp.api").joinpath("openapi.json").read_text("utf-8")
    return current_app.response_class(json.dumps(json.loads(text)), mimetype="application/json")


@bp.errorhandler(HTTPException)
def _json_error(e: HTTPException):
    names = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             413: "too_large", 429: "too_many_requests"}
    body = {"error": names.get(e.code or 500, "error")}
    if e.code == 413:
        body["message"] = (f"the file is larger than "
                           f"{current_app.config['B2B_UPLOAD_MAX_BYTES']} bytes")
    headers = {"WWW-Authenticate": "Bearer"} if e.code == 401 else {}
    return jsonify(body), e.code or 500, headers
