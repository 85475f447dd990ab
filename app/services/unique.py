"""Insert-once: let a unique constraint decide between simultaneous writers."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


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
