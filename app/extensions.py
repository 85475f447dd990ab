"""Flask extensions, created without an app (bound in create_app)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, cast

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Stable constraint names so Alembic (and SQLite batch migrations) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base every model shares (through `db.Model`), with stable constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _SQLAlchemy(SQLAlchemy):
    if TYPE_CHECKING:
        # `db.session` is a scoped session: a proxy to the app context's Session with every
        # Session method. Typed as the Session it proxies, so views pass it where the domain's
        # functions expect a Session (`remove_session` covers the one scoped-only method).
        session: Session  # type: ignore[assignment]


db = _SQLAlchemy(model_class=Base)


def remove_session() -> None:
    """End the app context's session (after each job): the scoped session's `remove`."""
    cast("scoped_session[Session]", db.session).remove()


migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
htmx = Htmx()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):  # pragma: no branch
    """SQLite: WAL, a busy timeout, foreign keys, and let SQLAlchemy issue BEGIN itself."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    from flask import current_app, has_app_context

    timeout = 15000
    if has_app_context():
        timeout = current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", timeout)
    dbapi_connection.isolation_level = None  # we emit BEGIN IMMEDIATE ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


# Statements that write (a SAVEPOINT counts: what follows it writes). Anything else reads.
_SQLITE_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _reads_only() -> bool:
    """Whether this transaction is expected to only read: it serves a GET/HEAD/OPTIONS request.
    Everything else (form posts, jobs, the sweep, the CLI, tests' own setup) may write."""
    from flask import has_request_context, request

    return has_request_context() and request.method in _READ_METHODS


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """SQLite: a transaction that may write takes the write lock at BEGIN (BEGIN IMMEDIATE), so
    concurrent writers queue on the busy timeout instead of failing when a read turns into a
    write, and the checks it reads first are serialised with its writes.

    A read request's transaction takes no lock at all: its SELECTs run outside a transaction
    (each one sees the latest commit, WAL readers never wait for the writer), and its first
    write statement, if any, opens BEGIN IMMEDIATE there (`_sqlite_lazy_write`). Read pages
    therefore no longer queue behind each other or behind a writer.
    """
    if conn.dialect.name != "sqlite":
        return
    lazy = _reads_only()
    conn.info["sqlite_lazy_begin"] = lazy
    if not lazy:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@event.listens_for(Engine, "connect")
def _postgres_on_connect(dbapi_connection, connection_record):  # pragma: no branch
    """PostgreSQL: no JIT. Its compile step (100-200 ms here) starts above a planner cost that
    the routing pick's index walks reach on paper (the planner cannot know they stop after a few
    rows), and a web app's short statements never repay it."""
    if not type(dbapi_connection).__module__.startswith("psycopg"):
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_lazy_write(conn, cursor, statement, parameters, context, executemany):
    """SQLite, read request: the first statement that writes opens BEGIN IMMEDIATE."""
    if conn.dialect.name != "sqlite" or not conn.info.get("sqlite_lazy_begin"):
        return
    raw = cursor.connection
    if raw.in_transaction:
        return
    if statement.lstrip()[:10].upper().startswith(_SQLITE_WRITES) or _writes(statement):
        raw.execute("BEGIN IMMEDIATE")


def _writes(statement: str) -> bool:
    """A CTE whose main statement writes (`WITH ... INSERT/UPDATE/DELETE`)."""
    upper = statement.lstrip().upper()
    return upper.startswith("WITH") and any(f" {verb} " in upper for verb in ("INSERT", "UPDATE", "DELETE"))
