"""Walk a query in id order, one page at a time (the sweep's lists never get stuck on a page
of rows it skips)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Select
from sqlalchemy.orm import Session


def keyset(session: Session, query: Select, key, page: int = 200, max_rows: int = 20000) -> Iterator:
    """Yield every row of `query` ordered by `key` (a unique, increasing column), a page at a time."""
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
