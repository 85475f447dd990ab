"""Shared column types and mixins."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.extensions import Base, db

if TYPE_CHECKING:
    Model = Base  # what `db.Model` is to the type checker: the declarative base
else:
    Model = db.Model


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        return clock.as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=clock.UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now, nullable=False)


# Badge tones a state may carry; each is a CSS class `badge-<tone>` in static/css/app.css.
TONES = ("good", "warn", "bad", "info", "strong", "muted")


class State(StrEnum):
    """A stored state: the member is the string the database holds, and it carries its human
    title and the tone of its badge (`LeadStatus.pending.title`, `.tone`, `.badge`).

    Members are declared `name = "value", "Title", "tone"`; being a `str`, a member compares
    equal to the stored string, so `lead.status == LeadStatus.pending` and `== "pending"` agree.
    `title` deliberately shadows `str.title()`: on a state, the title is its human name.
    """

    _title: str
    _tone: str
    _description: str

    # `title` has a default only so that a lookup, `LeadStatus("pending")`, type-checks: every
    # member gives one (a member without it is refused here).
    def __new__(cls, value: str, title: str = "", tone: str = "muted", description: str = ""):
        if not title:
            raise ValueError(f"{cls.__name__}.{value}: a state needs its title")
        if tone not in TONES:
            raise ValueError(f"{cls.__name__}.{value}: tone {tone!r} is not one of {TONES}")
        member = str.__new__(cls, value)
        member._value_ = value
        member._title = title
        member._tone = tone
        member._description = description or title
        return member

    @property
    def title(self) -> str:  # type: ignore[override]
        return self._title

    @property
    def tone(self) -> str:
        return self._tone

    @property
    def description(self) -> str:
        """A longer wording where one is needed (the title when none was given)."""
        return self._description

    @property
    def badge(self) -> str:
        """The CSS classes of this state's badge."""
        return f"badge badge-{self._tone}"

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)


def check_in(column: str, values) -> str:
    """SQL for a CHECK constraint limiting `column` to `values` (a `State` class or strings)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def check_state(
    column: str, states: type[State], *, nullable: bool = False, name: str | None = None
) -> CheckConstraint:
    """The CHECK constraint keeping `column` to the members of `states` (named after the column)."""
    sql = check_in(column, states)
    if nullable:
        sql = f"{column} IS NULL OR {sql}"
    return CheckConstraint(sql, name=name or column)
