"""Configuration: defaults here, overridden from the environment the Flask way.

Every ``FLASK_*`` variable becomes a config key (``FLASK_SECRET_KEY`` -> ``SECRET_KEY``,
``FLASK_SQLALCHEMY_DATABASE_URI`` -> ``SQLALCHEMY_DATABASE_URI``); values that parse as JSON
are converted. ``DATABASE_URL`` is accepted as the usual shorthand for the database.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

# Keys published with the code (earlier defaults, the docs' examples): never accepted.
KNOWN_SECRET_KEYS = ("dev-only-not-secret", "change-me", "secret")


def default_config(instance_path: str) -> dict:
    instance = Path(instance_path)
    return {
        # None: outside production a random key is made once and kept in instance/
        # (instance_secret_key); production needs FLASK_SECRET_KEY (production_settings).
        "SECRET_KEY": None,
        # FLASK_B2B_PRODUCTION=true: HTTPS-only cookies with the __Host- prefix, and no
        # start without a real secret key and base URL (see production_settings).
        "B2B_PRODUCTION": False,
        # Every link in an email is built on this, never on a request's Host header.
        "B2B_BASE_URL": "http://127.0.0.1:5000",
        # Proxies in front that set X-Forwarded-For/-Proto (ProxyFix, with x_host off).
        "B2B_PROXIES": 0,
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


def instance_secret_key(instance_path: str) -> str:
    """Outside production: a random key made on first start and kept in
    ``instance/secret_key`` (readable by this user only), so sessions survive a restart
    and every process of one install (web workers, the job worker) signs alike, and no
    key is shared between installs or published with the code."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        # Written whole under another name, then linked into place: a process starting
        # at the same moment either wins the link or reads the winner's key.
        tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="ascii").strip()


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
    and https links. Raises ``RuntimeError`` without a real secret key (32 or more
    characters, none of the published ones) or without an https ``B2B_BASE_URL``."""
    key = config.get("SECRET_KEY") or ""
    if key in KNOWN_SECRET_KEYS or len(key) < 32:
        raise RuntimeError("B2B_PRODUCTION needs FLASK_SECRET_KEY set to 32 or more random "
                           "characters (e.g. python -c 'import secrets; "
                           "print(secrets.token_urlsafe(48))')")
    base = str(config.get("B2B_BASE_URL") or "")
    if not base.startswith("https://") or "127.0.0.1" in base or "localhost" in base:
        raise RuntimeError("B2B_PRODUCTION needs FLASK_B2B_BASE_URL, the https address "
                           "people use (links in emails are built on it, never on the "
                           "request's Host header)")
    return {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_NAME": "__Host-b2b-session",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_SECURE": True,
        "PREFERRED_URL_SCHEME": "https",
    }
