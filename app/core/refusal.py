"""The one way a domain operation says no.

Every operation that can be refused raises `Refusal`: a message a person can read, plus
optional field errors (field name -> why). Nothing is written when it is raised inside the
operation's transaction or savepoint. `app/web` turns it into a flash + 303 for a plain form
post and the re-rendered block with its errors (422) for htmx; the partner API into its JSON
error shape.
"""

from __future__ import annotations

from collections.abc import Mapping


class Refusal(Exception):
    """An operation that cannot happen, and why (for the person who asked)."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})
        self.code = code  # a machine-readable reason where a caller needs one (the partner API)

    def __str__(self) -> str:
        return self.message
