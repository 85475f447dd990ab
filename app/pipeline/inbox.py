"""The pipeline inbox: every lead a provider holds, filtered by stage, mode and metro, searched,
and paged by keyset (newest first, no cap). Each item carries the lead as this provider may see
it (app/leads/masking.py: full contact, since it holds the lead)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from app.leads import masking
from app.models import Assignment, Lead, Provider
from app.models.assignment import NEW_STATUSES
from app.pipeline.stages import stage, stage_title

PAGE_SIZE = 25
STAGES = ("new", "contacted", "visit", "quoted", "won", "lost", "done")
STAGE_TITLES = {s: stage_title(s) if s != "new" else "New" for s in STAGES}
MODES = {"direct": "Direct", "broadcast": "Broadcast", "quote": "Quotes", "teaser": "Teaser"}
MAX_SEARCH = 100


@dataclass(frozen=True)
class Filters:
    stage: str | None = None
    mode: str | None = None
    metro_id: int | None = None
    q: str = ""

    @classmethod
    def parse(cls, args) -> Filters:
        """From query arguments; anything unknown is ignored (a bad link shows everything)."""
        stage_arg = args.get("stage") or None
        mode = args.get("mode") or None
        metro = args.get("metro", "")
        q = " ".join(str(args.get("q", "")).replace("\x00", "").split())[:MAX_SEARCH]
        return cls(
            stage=stage_arg if stage_arg in STAGES else None,
            mode=mode if mode in MODES else None,
            metro_id=int(metro) if metro.isdigit() and len(metro) < 10 else None,
            q=q,
        )

    def args(self) -> dict:
        """The query arguments that give these filters (for links)."""
        out: dict = {}
        if self.stage:
            out["stage"] = self.stage
        if self.mode:
            out["mode"] = self.mode
        if self.metro_id:
            out["metro"] = self.metro_id
        if self.q:
            out["q"] = self.q
        return out


@dataclass
class PipelineItem:
    lead_id: int
    shown: dict
    assignment: Assignment
    mode: str

    locked = False

    @property
    def stage(self) -> str:
        return stage(self.assignment.status)

    @property
    def stage_title(self) -> str:
        return stage_title(self.assignment.status)


@dataclass
class Page:
    items: list[PipelineItem]
    next_before: int | None  # the keyset cursor of the next (older) page
    counts: dict[str, int] = field(default_factory=dict)  # per stage, under the other filters


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def query(provider_id: int, filters: Filters, *, with_stage: bool = True):
    """The provider's assignments under `filters` (a SELECT of Assignment joined to its lead)."""
    statement = (
        select(Assignment).join(Lead, Lead.id == Assignment.lead_id).where(Assignment.provider_id == provider_id)
    )
    if with_stage and filters.stage:
        if filters.stage == "new":
            statement = statement.where(Assignment.status.in_(NEW_STATUSES))
        else:
            statement = statement.where(Assignment.status == filters.stage)
    if filters.mode == "teaser":
        statement = statement.where(Assignment.teaser.is_(True))
    elif filters.mode:
        statement = statement.where(Assignment.kind == filters.mode, Assignment.teaser.is_(False))
    if filters.metro_id:
        statement = statement.where(Lead.metro_id == filters.metro_id)
    if filters.q:
        pattern = _like(filters.q)
        matches: list[ColumnElement[bool]] = [
            func.lower(column).like(pattern, escape="\\")
            for column in (Lead.customer_name, Lead.business_name, Lead.city, Lead.description, Lead.street)
        ]
        if filters.q.lstrip("#").isdigit() and len(filters.q) < 10:
            matches.append(Lead.id == int(filters.q.lstrip("#")))
        statement = statement.where(or_(*matches))
    return statement


def page(
    session: Session, provider: Provider, filters: Filters, before: int | None = None, size: int = PAGE_SIZE
) -> Page:
    """One page, newest first: assignments with id < `before` (keyset; ids only grow)."""
    statement = query(provider.id, filters)
    if before is not None:
        statement = statement.where(Assignment.id < before)
    rows = list(
        session.scalars(
            statement.options(contains_eager(Assignment.lead)).order_by(Assignment.id.desc()).limit(size + 1)
        )
    )
    more = len(rows) > size
    rows = rows[:size]
    items = [PipelineItem(a.lead_id, masking.for_viewer(a.lead, entitled=True), a, a.lead.mode) for a in rows]
    return Page(items, rows[-1].id if more and rows else None, stage_counts(session, provider.id, filters))


def stage_counts(session: Session, provider_id: int, filters: Filters) -> dict[str, int]:
    """How many leads sit in each stage under the mode/metro/search filters (one GROUP BY)."""
    sub = query(provider_id, filters, with_stage=False).with_only_columns(Assignment.status).subquery()
    counts = {s: 0 for s in STAGES}
    for status, n in session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)):
        counts[stage(status)] += n
    return counts


def metros_of(provider: Provider) -> list:
    return [provider.home_metro, *provider.extra_metros]


def held_item(session: Session, provider: Provider, lead_id: int) -> PipelineItem | None:
    assignment = session.scalar(
        select(Assignment).where(and_(Assignment.lead_id == lead_id, Assignment.provider_id == provider.id))
    )
    if assignment is None:
        return None
    return PipelineItem(lead_id, masking.for_viewer(assignment.lead, entitled=True), assignment, assignment.lead.mode)
