"""The audit log: every admin action is written here, in the same transaction as the action."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.core import clock
from app.models import AuditLog, User

_INSERT = insert(AuditLog)  # run on the connection: a plain INSERT; built once


def log(
    session: Session,
    actor: User | None,
    action: str,
    obj,
    summary: str,
    data: dict | None = None,
    ip: str | None = None,
) -> None:
    """Append an entry for `action` on `obj` (any model instance with an id). One INSERT, after
    flushing what is pending (so `obj` has its id): an entry is never changed once written."""
    session.flush()
    session.connection().execute(
        _INSERT,
        {
            "created_at": clock.now(),
            "actor_user_id": actor.id if actor is not None else None,
            "action": action,
            "object_type": type(obj).__name__.lower(),
            "object_id": getattr(obj, "id", None),
            "summary": summary,
            "data": data or {},
            "ip": ip,
        },
    )
