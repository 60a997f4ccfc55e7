"""Configuration: defaults here, overridden from the environment the Flask way.

Every ``FLASK_*`` variable becomes a config key (``FLASK_SECRET_KEY`` -> ``SECRET_KEY``,
``FLASK_SQLALCHEMY_DATABASE_URI`` -> ``SQLALCHEMY_DATABASE_URI``); values that parse as JSON
are converted. ``DATABASE_URL`` is accepted as the usual shorthand for the database.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

DEV_SECRET_KEY = "dev-only-not-secret"


def default_config(instance_path: str) -> dict:
    instance = Path(instance_path)
    return {
        "SECRET_KEY": DEV_SECRET_KEY,
        # FLASK_B2B_PRODUCTION=true: HTTPS-only cookies with the __Host- prefix, and no
        # start with the development secret key (see production_settings).
        "B2B_PRODUCTION": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'b2b.sqlite3'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
        "B2B_LA_NAME": "Kent County Council",
        "B2B_LA_NUMBER": "886",
        "B2B_COPY_DAYS": 30,
        "B2B_CHASE_DAYS": 5,
        "MAIL_DEFAULT_SENDER": "management.information@example.org",
        "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        "HUEY_SQLITE_PATH": str(instance / "huey.sqlite3"),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "B2B_API_RATE_LIMIT": "120 per minute",
        "B2B_UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
        "B2B_DROP_DIR": None,
        "B2B_DROP_MIN_AGE_SECONDS": 5,
        "B2B_CYCLE_CRON": "0 2 * * 0",  # Sunday 02:00
    }


def database_url_from_env() -> str | None:
    """``DATABASE_URL`` shorthand, with the ``postgres://`` spelling some hosts use fixed."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def production_settings(config: dict) -> dict:
    """What ``B2B_PRODUCTION`` turns on (behind the TLS proxy of docs/deploy.md): cookies
    only over HTTPS, the session cookie named with the ``__Host-`` prefix (browsers then
    refuse it unless Secure, Path=/ and without Domain, so no sibling site can set it),
    and https links. Raises ``RuntimeError`` on the development secret key."""
    key = config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise RuntimeError("B2B_PRODUCTION needs FLASK_SECRET_KEY set to 32 or more random "
                           "characters (e.g. python -c 'import secrets; "
                           "print(secrets.token_urlsafe(48))')")
    return {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_NAME": "__Host-b2b-session",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_SECURE": True,
        "PREFERRED_URL_SCHEME": "https",
    }
