"""The CSV export (a premium tool): the provider's own leads and pipeline, streamed row by row
(keyset pages, so any number of leads in constant memory), quoted by the csv module. Teaser
deliveries are left out (SPEC: teasers exclude the premium tools); the header row says so."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import clock
from app.leads import masking
from app.models import Assignment, PipelineNote, Provider
from app.models.economics import LOST_REASONS
from app.pipeline.stages import stage_title

COLUMNS = (
    "lead_id",
    "received",
    "mode",
    "stage",
    "category",
    "city",
    "metro",
    "customer_name",
    "business_name",
    "customer_email",
    "customer_phone",
    "street",
    "description",
    "quote_amount",
    "visit_at",
    "lost_reason",
    "credits_spent",
    "notes",
)
PAGE = 500


def safe(value) -> str:
    """A cell a spreadsheet will not run as a formula (=, @, + or - not starting a number)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r"):
        return "'" + text
    if text[:1] in ("+", "-") and not text[1:].replace(" ", "").replace("-", "").replace(".", "").isdigit():
        return "'" + text
    return text


def _notes(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for note in session.scalars(
            select(PipelineNote).where(PipelineNote.assignment_id.in_(ids)).order_by(PipelineNote.id)
        ):
            out[note.assignment_id].append(note.body)
    return out


def rows(session: Session, provider: Provider) -> Iterator[list[str]]:
    """Every non-teaser lead of this provider, newest first, as CSV cells."""
    before: int | None = None
    while True:
        query = select(Assignment).where(Assignment.provider_id == provider.id, Assignment.teaser.is_(False))
        if before is not None:
            query = query.where(Assignment.id < before)
        page = list(session.scalars(query.order_by(Assignment.id.desc()).limit(PAGE)))
        if not page:
            return
        notes = _notes(session, [a.id for a in page])
        for a in page:
            shown = masking.for_viewer(a.lead, entitled=True)
            visit = clock.local(a.visit_at, provider.home_metro.timezone) if a.visit_at else None
            yield [
                safe(v)
                for v in (
                    a.lead_id,
                    clock.as_utc(a.created_at).strftime("%Y-%m-%d %H:%M UTC"),
                    a.kind,
                    stage_title(a.status),
                    shown["category"],
                    shown["city"],
                    shown["metro"],
                    shown["customer_name"],
                    shown.get("business_name") or "",
                    shown.get("customer_email") or "",
                    shown.get("customer_phone") or "",
                    shown.get("street") or "",
                    shown["description"],
                    f"{a.quote_amount:.2f}" if a.quote_amount is not None else "",
                    visit.strftime("%Y-%m-%d %H:%M %Z") if visit else "",
                    LOST_REASONS.get(a.lost_reason or "", ""),
                    a.credits_spent,
                    " | ".join(notes[a.id]),
                )
            ]
        before = page[-1].id


def stream(session: Session, provider: Provider) -> Iterator[str]:
    """The CSV text, a chunk per row (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows(session, provider):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
