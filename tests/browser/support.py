"""What the browser tests share: Debian's Chromium and its flags, the built front-end
files, the seed report's app, and serving an app over loopback HTTP in a thread."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server

from tests.factories import import_csv, import_ctf, make_school, make_user
from webapp import create_app
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.review.lifecycle import publish_reports
from webapp.demo.synth import SEED_PUPILS_LA, SEED_PUPILS_SCHOOL
from webapp.extensions import db
from webapp.models import Report

ROOT = Path(__file__).resolve().parents[2]
# Debian's build, never a downloaded one; the background-networking flags keep it from
# trying hosts this machine cannot reach.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def assets_built() -> None:
    """Build webapp/static (htmx, GOV.UK Frontend, our CSS) if it is not there yet."""
    static = ROOT / "webapp" / "static"
    if not (static / "js" / "htmx.min.js").exists() or not (static / "css" / "app.css").exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "build-assets.sh")], check=True)


def seed_report_app(database_uri: str, tmp_path: Path) -> Flask:
    """An app with CSRF on and the guidance's week-17 report published for 1111 Green
    Abbey School, whose staff are office@1111.test and assistant@1111.test."""
    assets_built()
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SECRET_KEY": "browser-test-secret",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "HUEY_SQLITE_PATH": str(tmp_path / "huey.sqlite3"),
        "WTF_CSRF_ENABLED": True,
    })
    with app.app_context():
        school = make_school(db.session)
        import_ctf(db.session, "8861111", SEED_PUPILS_SCHOOL)
        import_csv(db.session, "8861111", SEED_PUPILS_LA)
        refresh_reports(db.session, 2025, 17)
        officer = make_user(db.session, role="la_officer", name="Sam Officer")
        publish_reports(db.session, db.session.query(Report).all(), officer)
        make_user(db.session, school=school, name="Office Manager")
        make_user(db.session, school=school, name="Office Assistant",
                  email="assistant@1111.test")
        db.session.remove()
    return app


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a real HTTP server in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
