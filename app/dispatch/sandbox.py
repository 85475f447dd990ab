"""A throwaway database for one simulated day: a temporary SQLite file with today's tables
(created from the models' metadata), its own engine and session, deleted afterwards.

The real database is never touched: the session is bound to the sandbox engine only, and the
simulation never commits (one transaction, rolled back at the end). SQLAlchemy fires the commit
events for savepoints too, so the session is marked (`core.db.SANDBOX`) and the after-commit
hooks that would enqueue jobs or publish live-poll versions skip it: nothing reaches Redis,
the workers or SMTP."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from app.core.db import SANDBOX
from app.extensions import db


class SandboxCommit(RuntimeError):
    """Something tried to commit the simulation's session: the simulator must never commit."""


@contextmanager
def sandbox() -> Iterator[Session]:
    folder = Path(tempfile.mkdtemp(prefix="fogforge-sim-"))
    engine = create_engine(f"sqlite:///{folder / 'day.db'}", poolclass=StaticPool)
    try:
        db.metadata.create_all(engine)
        session = Session(bind=engine, autoflush=True, expire_on_commit=False, info={SANDBOX: True})

        def refuse_commit() -> None:
            raise SandboxCommit("the simulation never commits")

        session.commit = refuse_commit  # type: ignore[method-assign]
        try:
            yield session
        finally:
            session.rollback()
            session.close()
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
