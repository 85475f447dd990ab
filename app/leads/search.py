"""Admin lead search (issue 10): each kind of query reads an index, never the whole table.

- an e-mail address (`name@domain.tld`) is looked up exactly, case-insensitively
  (ix_leads_customer_email_lower);
- a phone number (digits with phone punctuation, 7 to 15 digits, a possible number once
  parsed for the US) is looked up exactly by its E.164 form, as stored (ix_leads_customer_phone);
- `#123` (or a bare number that is not a phone) is a lead id;
- anything else of at least MIN_TEXT characters is a substring of the customer's name, the
  business name, the city or the e-mail address: trigram (GIN) indexes on PostgreSQL
  (pg_trgm, migration 0013); SQLite has none and scans, newest first, until the page is full.

Digits only match phone numbers when the query looks like a phone number: "12" finds lead #12,
not every phone with a 1 and a 2 in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import lazyload

from app.leads import validation
from app.models import Lead

MIN_TEXT = 3
PHONE_CHARS = re.compile(r"^\+?[\d\s().\-]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Query:
    kind: str  # "all", "email", "phone", "id", "text", "short"
    value: str
    note: str | None = None  # what the page says about how it searched


def parse(q: str) -> Query:
    """What the admin typed, as one kind of lookup."""
    q = " ".join((q or "").split())
    if not q:
        return Query("all", "")
    if EMAIL.match(q):
        return Query("email", q.lower(), f"Leads with the e-mail address {q.lower()}")
    bare = q.lstrip("#")
    if q.startswith("#") and bare.isdigit():
        return Query("id", bare)
    digits = re.sub(r"\D", "", q)
    if PHONE_CHARS.match(q) and 7 <= len(digits) <= 15:
        phone = validation.check_phone(q)
        if phone.e164:
            return Query("phone", phone.e164, f"Leads with the phone number {validation.format_phone(phone.e164)}")
    if bare.isdigit():
        return Query("id", bare)
    if len(q) < MIN_TEXT:
        return Query("short", q, f"Type at least {MIN_TEXT} characters to search names, or #id for a lead.")
    return Query("text", q)


def like_pattern(q: str) -> str:
    """`%q%` for LIKE/ILIKE with `\\` as the escape: a % or _ typed is looked for as itself."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def condition(query: Query) -> ColumnElement[bool] | None:
    """The WHERE for a parsed query (None: every lead; false for a query that finds nothing)."""
    if query.kind == "email":
        return func.lower(Lead.customer_email) == query.value
    if query.kind == "phone":
        return Lead.customer_phone == query.value
    if query.kind == "id":
        return Lead.id == int(query.value) if len(query.value) < 16 else Lead.id.is_(None)
    if query.kind == "text":
        like = like_pattern(query.value)
        columns = (Lead.customer_name, Lead.business_name, Lead.city, Lead.customer_email)
        return or_(*(column.ilike(like, escape="\\") for column in columns))
    if query.kind == "short":
        return Lead.id.is_(None)
    return None


def leads(query: Query, status: str | None = None) -> Select[Lead]:
    """The SELECT of matching leads (newest first is the caller's order), without their offers
    and assignments: a list row shows neither, and a broadcast lead may have dozens of offers."""
    stmt = select(Lead).options(lazyload(Lead.offers), lazyload(Lead.assignments))
    where = condition(query)
    if where is not None:
        stmt = stmt.where(where)
    if status:
        stmt = stmt.where(Lead.status == status)
    return stmt
