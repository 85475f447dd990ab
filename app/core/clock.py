"""The one clock. Everything that needs "now" asks here, so tests move time instead of sleeping.

Times are timezone-aware UTC everywhere in the code; the database stores naive UTC
(see ``app.models.base.UTCDateTime``) and metros show their local time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import overload
from zoneinfo import ZoneInfo

UTC = UTC

_lock = threading.Lock()
_frozen: datetime | None = None
_offset = timedelta(0)
# The policy simulator (app/dispatch) runs the real engine on simulated time in *its own thread*
# only: a web request simulating a day must not move the clock of the requests beside it.
_simulated = threading.local()


def now() -> datetime:
    """The current time, aware, in UTC (frozen or shifted when a test says so; the simulated
    time in a thread running a simulation)."""
    at = getattr(_simulated, "at", None)
    if at is not None:
        return at
    with _lock:
        if _frozen is not None:
            return _frozen
        return datetime.now(UTC) + _offset


def freeze(at: datetime) -> None:
    """Stop time at `at` (tests)."""
    global _frozen
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    with _lock:
        _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> None:
    """Move time forward by `delta`, frozen or not (tests)."""
    global _frozen, _offset
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset = _offset + delta


class SimulatedClock:
    """This thread's simulated time (see `simulated`): moved forward in steps, never back."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    @property
    def at(self) -> datetime:
        return _simulated.at

    def set(self, at: datetime) -> None:
        at = as_utc(at)
        current = getattr(_simulated, "at", None)
        if current is not None and at < current:
            raise ValueError("simulated time only moves forward")
        _simulated.at = at

    def advance(self, delta: timedelta) -> None:
        self.set(_simulated.at + delta)


@contextmanager
def simulated(at: datetime) -> Iterator[SimulatedClock]:
    """Run the block on simulated time starting at `at`, in this thread only."""
    previous = getattr(_simulated, "at", None)
    _simulated.at = None
    try:
        yield SimulatedClock(at)
    finally:
        _simulated.at = previous


def reset() -> None:
    """Back to the real clock."""
    global _frozen, _offset
    with _lock:
        _frozen = None
        _offset = timedelta(0)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """Treat a naive datetime as UTC; convert an aware one to UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@overload
def local(value: datetime, tz_name: str) -> datetime: ...
@overload
def local(value: None, tz_name: str) -> None: ...
def local(value: datetime | None, tz_name: str) -> datetime | None:
    """A stored UTC time in a metro's time zone, for display."""
    if value is None:
        return None
    return as_utc(value).astimezone(ZoneInfo(tz_name))


def iso_week_start(value: datetime | None = None) -> datetime:
    """Monday 00:00 UTC of the ISO week containing `value` (default: now)."""
    value = as_utc(value or now())
    monday = value - timedelta(days=value.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)
