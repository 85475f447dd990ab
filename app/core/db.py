"""Database helpers every capability uses: insert-once (one row or many in one statement),
keyset walks, the conditional UPDATE that decides a race."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Row, Select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.core.refusal import Refusal


def insert_once(session: Session, obj) -> bool:
    """Add and flush `obj` inside a savepoint; False (and nothing written) when a unique
    constraint says it already exists. The outer transaction stays usable either way."""
    try:
        with session.begin_nested():
            session.add(obj)
            session.flush()
    except IntegrityError:
        return False
    return True


def dialect_insert(session: Session, model):
    """An INSERT for the session's database (PostgreSQL or SQLite), with its ON CONFLICT clauses."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def insert_rows(session: Session, model, rows: list[dict]) -> list[Any]:
    """INSERT every row in one statement (on both databases); the new primary keys (in no
    promised order: SQLite batches only then). The rows must all name the same columns."""
    (key,) = model.__table__.primary_key.columns
    return [row[0] for row in insert_returning(session, model, rows, key)]


def insert_returning(session: Session, model, rows: list[dict], *columns) -> list[Row[Any]]:
    """`insert_rows` returning `columns` of each new row (in no promised order: return a column
    that tells the rows apart)."""
    if not rows:
        return []
    names = tuple(c.key for c in columns)
    return _insert(session, _insert_statement(_dialect(session), model.__table__, None, names), rows)


def insert_new(session: Session, model, rows: list[dict], *, unique: list[str] | None = None) -> list[Any]:
    """INSERT every row in one statement, skipping a row whose `unique` key (default: any unique
    constraint) is already taken, by an earlier transaction or a concurrent one once it commits.
    Returns the primary keys of the rows inserted. The rows must all name the same columns."""
    if not rows:
        return []
    table = model.__table__
    key = table.primary_key.columns[0].key  # the first key column is returned
    statement = _insert_statement(_dialect(session), table, tuple(unique) if unique else (), (key,))
    return [row[0] for row in _insert(session, statement, rows)]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


@lru_cache(maxsize=256)
def _insert_statement(dialect: str, table, unique: tuple[str, ...] | None, returned: tuple[str, ...]):
    """The INSERT … [ON CONFLICT DO NOTHING] RETURNING for a table, built once per shape: a
    statement object is immutable, and reusing it spares building it and its cache key at every
    call (a tenth of a millisecond each, several times per lead). `unique` None: no ON CONFLICT;
    () : on any unique constraint."""
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    if unique is not None:
        statement = statement.on_conflict_do_nothing(index_elements=list(unique) or None)
    return statement.returning(*(table.c[name] for name in returned))


def _insert(session: Session, statement, rows: list[dict]) -> list[Row[Any]]:
    """Run a table-level INSERT … RETURNING for `rows`, batched into one statement
    (insertmanyvalues), after flushing what the session holds (the rows may refer to it). A
    table-level statement skips the ORM's bulk-insert bookkeeping, which costs more than the
    INSERT itself for the few rows a notification or an email batch has."""
    session.flush()
    return list(session.connection().execute(statement, rows))


def keyset(session: Session, query: Select, key, page: int = 200, max_rows: int = 20000) -> Iterator:
    """Walk `query` ordered by `key` (a unique, increasing column), one page at a time, so the
    sweep's lists never get stuck on a page of rows it skips."""
    last = None
    seen = 0
    while seen < max_rows:
        paged = query.order_by(key).limit(page)
        if last is not None:
            paged = paged.where(key > last)
        rows = session.scalars(paged).all()
        if not rows:
            return
        yield from rows
        seen += len(rows)
        last = getattr(rows[-1], key.key)


def affected(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (its result is a CursorResult at run time)."""
    return cast("CursorResult[Any]", result).rowcount


def transition(session: Session, model, where, values: dict, *, obj=None, refuse: str | None = None) -> bool:
    """One conditional UPDATE that decides a race: `UPDATE model SET values WHERE where`.

    True when exactly one row moved (and `obj`, if given, then holds the row as written: the
    UPDATE returns it, no second SELECT); False when none did, or, with `refuse`, raises
    Refusal(refuse) instead. `where` is a list of SQL conditions naming the state the row must
    still be in."""
    return _update(session, model, where, values, obj, model.__table__.columns if obj is not None else (), refuse)


def claim(session: Session, obj, where, values: dict) -> bool:
    """One conditional UPDATE of one loaded row: `UPDATE <obj's table> SET values WHERE <obj's
    key> AND where RETURNING what it set`; True, with `obj` holding what was written (the columns
    set, and those the UPDATE stamps itself, like `updated_at`), when it moved."""
    model = type(obj)
    table = model.__table__
    (key,) = table.primary_key.columns
    written = [table.c[name] for name in values]
    written += [c for c in table.columns if c.onupdate is not None and c.key not in values]
    return _update(session, model, [key == getattr(obj, key.key), *where], values, obj, written, None)


def _update(session: Session, model, where, values: dict, obj, returned, refuse: str | None) -> bool:
    """The UPDATE as a table-level statement on the session's connection, after flushing what
    the session holds: what an ORM-enabled UPDATE would do here, without its bookkeeping (it
    synchronises nothing anyway), which costs more than the statement."""
    session.flush()
    connection = session.connection()
    statement = update(model.__table__).where(*where).values(**values)
    if obj is None:
        moved = affected(connection.execute(statement)) == 1
    else:
        row = connection.execute(statement.returning(*returned)).first()
        moved = row is not None
        if row is not None:
            loaded(obj, row._mapping)
    if not moved and refuse is not None:
        raise Refusal(refuse)
    return moved


def loaded(obj, values: Mapping[Any, Any]) -> None:
    """Put what an UPDATE just wrote (a row it returned, or the values it set) into `obj`, as if
    just loaded: what a refresh would read, without its SELECT. Keys are column names (mapped
    under the same attribute names here)."""
    for name, value in values.items():
        set_committed_value(obj, name, value)


# A session the policy simulator (app/dispatch) runs the engine in, on its throwaway database: its
# after-commit side effects (enqueued jobs, live-poll versions published to Redis) must never
# leave it: the hooks themselves check this flag.
SANDBOX = "fogforge_sandbox"


def savepoint_event(session: Session) -> bool:
    """True inside a commit/rollback event fired for a savepoint (SQLAlchemy fires
    before_commit, after_commit and after_rollback for `begin_nested()` too): after-commit side
    effects wait for the outermost transaction, and a savepoint rolled back drops none of them."""
    return session.in_nested_transaction()


def is_sandbox(session: Session) -> bool:
    return bool(session.info.get(SANDBOX))
