"""Keyset paging for every list that can grow (issue 10): a page is "the rows after this key",
never an OFFSET, so page 500 costs what page 1 costs and a row added meanwhile neither repeats
nor skips one.

A list is ordered by key columns ending in a unique one (`(created_at, id)`, `(name, id)`,
`id`), all ascending or all descending. The cursor is the last row's key, carried in the
`after` query parameter as a short opaque token; a token that does not decode (edited, from an
older page) means the first page, never an error.

- `page(session, stmt, keys, after=..., size=..., descending=...)`: SQL lists.
- `page_of(rows, key, after=..., size=...)`: lists already filtered in Python (the escrow
  inbox's reasons come from live eligibility), same cursors.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, Select, tuple_
from sqlalchemy.orm import Session

from app.core import clock

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    next_after: str | None  # the cursor of the next page; None on the last page
    first: bool  # this is the first page (no cursor was given, or it did not decode)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime | date) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str | None, kinds: Sequence[type]) -> tuple | None:
    """The key values of a cursor, converted to `kinds` (int, str, datetime); None if it is not one."""
    if not token or len(token) > 512:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            return None
        out: list[Any] = []
        for value, kind in zip(values, kinds, strict=True):
            if kind is datetime:
                if not isinstance(value, str):
                    return None
                out.append(datetime.fromisoformat(value))
            elif kind is int:
                if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
                    return None
                out.append(value)
            elif not isinstance(value, kind):
                return None
            else:
                out.append(value)
        return tuple(out)
    except (ValueError, TypeError):
        return None


def _kind(column) -> type:
    if isinstance(column.type, DateTime) or isinstance(getattr(column.type, "impl", None), DateTime):
        return datetime
    try:
        return column.type.python_type
    except NotImplementedError:
        return str


def page(
    session: Session,
    stmt: Select,
    keys: Sequence,
    *,
    after: str | None = None,
    size: int = 100,
    descending: bool = False,
) -> Page:
    """One page of `stmt` (which must not be ordered or limited yet), ordered by `keys`."""
    kinds = [_kind(k) for k in keys]
    start = decode(after, kinds)
    if start is not None:
        row_key = tuple_(*keys) if len(keys) > 1 else keys[0]
        bound = tuple_(*start) if len(keys) > 1 else start[0]
        stmt = stmt.where(row_key < bound if descending else row_key > bound)
    order = [k.desc() for k in keys] if descending else list(keys)
    rows = list(session.scalars(stmt.order_by(*order).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    next_after = encode([getattr(rows[-1], k.key) for k in keys]) if more and rows else None
    return Page(rows, next_after, start is None)


def page_of(
    rows: Sequence[T], key: Callable[[T], tuple], kinds: Sequence[type], *, after: str | None = None, size: int = 100
) -> Page[T]:
    """One page of `rows`, already in ascending `key` order (a list filtered in Python)."""
    start = decode(after, kinds)
    if start is not None:
        start = tuple(_comparable(v) for v in start)
        rows = [r for r in rows if tuple(_comparable(v) for v in key(r)) > start]
    shown = list(rows[:size])
    next_after = encode(key(shown[-1])) if len(rows) > size and shown else None
    return Page(shown, next_after, start is None)


def _comparable(value):
    """Datetimes compared as aware UTC (a stored value may come back naive on SQLite)."""
    return clock.as_utc(value) if isinstance(value, datetime) else value
