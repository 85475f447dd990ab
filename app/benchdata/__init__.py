"""`flask bench-data --leads N --providers M`: a year of marketplace history for the scale
benchmarks (bench/scale.py), written with bulk inserts (100k leads in a few minutes).

Shapes: metros of about 30 listings each (a metro page lists one metro's providers); providers
60 % verified, 15 % claimed, 25 % unclaimed, on every plan; leads spread over `days` days, 40 %
direct (delivered to a verified provider), 40 % broadcast (a wave of up to 5 offers, one
accepted, the others taken), 20 % quotes (1 to 3 unlocks, one chosen); a few spam and
cancelled; a timeline per lead, a notification and an email per delivery and offer, the
customer's confirmation email, reviews of a third of the finished jobs.

What the pages compare is kept the same whatever N and M: a fixed set of leads waiting on staff
(held for review, escrowed direct requests, unaccepted broadcasts), five open offers for the
first verified provider (the one bench/scale.py signs in as), five emails waiting, and a
"Race City" of 32 verified providers (bench/scale.py's 32-way accept race).
Every account's password is BENCH_PASSWORD; the admin is bench-admin@example.invalid.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.benchdata.history import ADMIN_EMAIL, BENCH_PASSWORD, Generator

__all__ = ["ADMIN_EMAIL", "BENCH_PASSWORD", "generate"]


def _fix_sequences(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("metros", "categories", "providers", "users", "leads"):
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))")
        )


def generate(
    session: Session, leads: int, providers: int, seed: int = 1, days: int = 365, log: Callable[[str], None] = print
) -> dict:
    """Write the bench data; returns what it wrote and how long it took."""
    started = time.monotonic()
    gen = Generator(session, seed, days)
    verified, race_metro = gen.metros_and_providers(providers)
    session.commit()
    log(f"  {providers} providers in {len(verified) - 1} metros (+ Race City)")
    gen.leads(leads, verified, race_metro, log)
    gen.fixed(verified, race_metro)
    _fix_sequences(session)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))  # what autovacuum would do soon; SQLite keeps no statistics by default
        session.commit()
    return {"leads": leads, "providers": providers, "seconds": round(time.monotonic() - started, 1)}
