"""Flask extensions, created unbound and attached in :func:`webapp.create_app`."""

from typing import TYPE_CHECKING, ClassVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # SQLAlchemy types it as any FromClause (a model may map a join or a select);
        # every model here maps a table of its own.
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# What the models subclass. At run time it is ``db.Model``, which Flask-SQLAlchemy builds
# from Base's body (so the same metadata and naming convention) and its own mixins; a type
# checker cannot see a class built at run time, so to it a model is a ``Base``. (What
# ``db.Model`` adds beyond Base, the legacy ``Model.query``, is not used.)
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
# Limits are set per route; storage is memory:// or Redis (RATELIMIT_STORAGE_URI).
limiter = Limiter(key_func=get_remote_address)
