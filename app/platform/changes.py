"""Per-provider change versions: what makes a live poll nearly free (issue 11).

Whatever a provider's live pages show (its offers, their states and deadlines, its
notifications and unread count) calls `touch(session, provider_id, ...)` in the transaction
that changes it. Just before that transaction commits, each touched provider's row in
`provider_changes` is incremented (in provider id order, as the transaction's last
statements, so two transactions never wait on each other in a cycle); right after it
commits, Redis is raised to the committed value. A poll reads the version from Redis
(microseconds) and answers 204 when the page already has it.

Never a missed change: the database row is the truth, and Redis only ever moves up
(`_RAISE` sets a key only to a higher value, so a late writer never lowers it). When
Redis has lost a key (flushed, restarted) the poll reads the row and seeds Redis with it;
when Redis is down, the poll reads the row. At worst a page renders once more than needed.
A page reads the version *before* the data it renders, so a change committed in between
makes the next poll render again instead of being lost.
"""

from __future__ import annotations

import logging

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.core.db import dialect_insert, is_sandbox, savepoint_event
from app.models import ProviderChange
from app.platform.queue import redis_connection

log = logging.getLogger(__name__)

_TOUCHED = "fogforge_touched_providers"
_BUMPED = "fogforge_bumped_versions"
KEY = "fogforge:changes:{}"

# SET key ARGV[1] only if that is higher than what the key holds (or it holds nothing).
_RAISE = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
local new = tonumber(ARGV[1])
if new > cur then redis.call('SET', KEYS[1], ARGV[1]) return new end
return cur
"""


def touch(session: Session, *provider_ids: int | None) -> None:
    """Record that something these providers watch changes in this transaction."""
    touched = session.info.setdefault(_TOUCHED, set())
    touched.update(pid for pid in provider_ids if pid is not None)


def _key(provider_id: int) -> str:
    return KEY.format(provider_id)


def _raise(provider_id: int, version: int) -> int:
    return int(redis_connection().eval(_RAISE, 1, _key(provider_id), version))


def stored_version(session: Session, provider_id: int) -> int:
    """The committed version in the database (0 before the first change)."""
    return session.scalar(select(ProviderChange.version).where(ProviderChange.provider_id == provider_id)) or 0


def cached_version(provider_id: int) -> int | None:
    """The version Redis holds, or None when it holds none or cannot be reached (no database
    read: the caller then takes the path that reads `version`)."""
    try:
        cached = redis_connection().get(_key(provider_id))
    except Exception:  # noqa: BLE001 - the caller falls back to the full path
        return None
    return None if cached is None else int(cached)


def version(session: Session, provider_id: int) -> int:
    """The provider's current version: Redis, else the database (re-seeding Redis)."""
    try:
        cached = redis_connection().get(_key(provider_id))
        if cached is not None:
            return int(cached)
    except Exception:  # noqa: BLE001 - Redis only makes this cheaper; the database answers
        log.warning("change versions: Redis unreachable, reading the database", exc_info=True)
        return stored_version(session, provider_id)
    value = stored_version(session, provider_id)
    try:
        return max(value, _raise(provider_id, value))
    except Exception:  # noqa: BLE001
        return value


def _bump(session: Session, provider_ids: list[int]) -> dict[int, int]:
    """Increment each provider's row (created at 1 if missing) in one statement; the new values.
    The rows are written in the order given (sorted by the caller), so two transactions take
    their row locks in the same order and never wait on each other in a cycle."""
    statement = (
        dialect_insert(session, ProviderChange)
        .on_conflict_do_update(index_elements=["provider_id"], set_={"version": ProviderChange.version + 1})
        .returning(ProviderChange.provider_id, ProviderChange.version)
    )
    rows = session.execute(statement, [{"provider_id": pid, "version": 1} for pid in provider_ids])
    return {pid: int(v) for pid, v in rows}


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    if savepoint_event(session):  # bumped once, when the outermost transaction commits
        return
    if is_sandbox(session):  # the simulator's throwaway database: no live polls watch it
        session.info.pop(_TOUCHED, None)
        return
    session.flush()  # touches recorded during the last flush count too
    touched = session.info.pop(_TOUCHED, None)
    if touched:
        session.info[_BUMPED] = _bump(session, sorted(touched))


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    if savepoint_event(session):  # published before the real commit, a poll would miss the change
        return
    bumped = session.info.pop(_BUMPED, None)
    if not bumped or not has_app_context():
        return
    try:  # one round trip for every provider the transaction touched
        with redis_connection().pipeline(transaction=False) as pipe:
            for pid, value in bumped.items():
                pipe.eval(_RAISE, 1, _key(pid), value)
            pipe.execute()
    except Exception:  # noqa: BLE001 - a stale key would hide these changes: drop them instead
        log.warning("change versions: could not publish providers %s", sorted(bumped), exc_info=True)
        try:
            redis_connection().delete(*(_key(pid) for pid in bumped))
        except Exception:  # noqa: BLE001 - Redis is down: polls read the database meanwhile
            pass


@event.listens_for(Session, "after_transaction_end")
def _forget_after_outer_end(session: Session, transaction) -> None:
    # Only the outermost transaction: a savepoint rolled back (insert_once) keeps the touches
    # of the transaction around it (an extra bump at worst, never a missing one).
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)
        session.info.pop(_BUMPED, None)
