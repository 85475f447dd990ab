"""Reviews and reputation: one review per completed lead, for the provider that did the job;
a provider's average rating, count, recent reviews and median time to respond."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import insert_once
from app.core.refusal import Refusal
from app.core.urls import app_path, external_url
from app.leads import masking, response_stats, timeline
from app.models import Lead, Review
from app.platform import notify
from app.quotes.result import Done


def review_of(session: Session, lead_id: int) -> Review | None:
    return session.scalar(select(Review).where(Review.lead_id == lead_id))


def leave(session: Session, lead: Lead, rating: str | int | None, text: str | None) -> Done:
    """The customer's one review of the chosen provider, once the job is done."""
    if lead.status != "completed" or lead.assigned_provider_id is None:
        raise Refusal("You can review once the job is marked done.")
    errors: dict[str, str] = {}
    try:
        stars = int(rating) if rating is not None else 0
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        errors["rating"] = "Choose 1 to 5 stars."
    text = (text or "").strip()
    if len(text) > 2000:
        errors["text"] = "Keep the review under 2,000 characters."
    if errors:
        raise Refusal("Please fix the review.", errors)
    if review_of(session, lead.id) is not None:
        raise Refusal("You already reviewed this job.")
    review = Review(
        lead_id=lead.id,
        provider_id=lead.assigned_provider_id,
        rating=stars,
        text=text,
        author_name=masking.mask_name(lead.customer_name),
        created_at=clock.now(),
    )
    if not insert_once(session, review):
        raise Refusal("You already reviewed this job.")
    provider = lead.assigned_provider
    assert provider is not None  # assigned_provider_id was checked above
    timeline.record(
        session,
        lead,
        "review",
        f"Customer reviewed {provider.name}: {stars}/5",
        public_text=f"You reviewed {provider.name}: {stars} of 5 stars.",
        data={"rating": stars},
    )
    notify.notify(
        session,
        provider,
        "review_received",
        f"New review: {stars} of 5 stars",
        body=text[:300] or None,
        url=app_path("public.provider", slug=provider.slug),
        lead_id=lead.id,
        email_template="review_received",
        email_context={
            "rating": stars,
            "text": text,
            "author": review.author_name,
            "page_url": external_url("public.provider", slug=provider.slug),
        },
        dedupe_key=f"review_received:{review.id}",
    )
    return Done("Thanks for your review!")


FAST_RESPONSE = timedelta(minutes=5)


@dataclass(frozen=True)
class Reputation:
    average: float | None
    count: int
    recent: list
    median_response: timedelta | None
    jobs_done: int = 0  # leads it was given that the customer marked done on FogForge

    @property
    def responds_fast(self) -> bool:
        """The "Responds within 5 min" badge: median time to unlock/accept of 5 minutes or less."""
        return self.median_response is not None and self.median_response <= FAST_RESPONSE

    @property
    def median_label(self) -> str | None:
        if self.median_response is None:
            return None
        minutes = self.median_response.total_seconds() / 60
        if minutes < 1:
            return "under a minute"
        if minutes < 90:
            return f"{round(minutes)} min"
        hours = minutes / 60
        return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def reputation(session: Session, provider_id: int, recent: int = 5) -> Reputation:
    return reputations(session, [provider_id], recent)[provider_id]


def reputations(session: Session, provider_ids, recent: int = 5) -> dict[int, Reputation]:
    """Every listed provider's reputation in four statements, whatever the number of providers
    or their history: average and count, the `recent` latest reviews each, the median time to
    respond (stored on the provider row as it answers: app/leads/response_stats.py) and the
    jobs done on FogForge."""
    ids = sorted(set(provider_ids))
    if not ids:
        return {}
    totals = {
        pid: (avg, count)
        for pid, avg, count in session.execute(
            select(Review.provider_id, func.avg(Review.rating), func.count(Review.id))
            .where(Review.provider_id.in_(ids))
            .group_by(Review.provider_id)
        )
    }
    latest: dict[int, list[Review]] = {pid: [] for pid in ids}
    if recent > 0:
        place = (
            func.row_number()
            .over(partition_by=Review.provider_id, order_by=(Review.created_at.desc(), Review.id.desc()))
            .label("place")
        )
        ranked = select(Review.id, place).where(Review.provider_id.in_(ids)).subquery()
        for review in session.scalars(
            select(Review)
            .join(ranked, ranked.c.id == Review.id)
            .where(ranked.c.place <= recent)
            .order_by(Review.created_at.desc(), Review.id.desc())
        ):
            latest[review.provider_id].append(review)
    answered = response_stats.figures(session, ids)  # kept up to date as offers are answered
    jobs: dict[int | None, int] = {
        pid: n
        for pid, n in session.execute(
            select(Lead.assigned_provider_id, func.count(Lead.id))
            .where(Lead.assigned_provider_id.in_(ids), Lead.status == "completed")
            .group_by(Lead.assigned_provider_id)
        )
    }
    result = {}
    for pid in ids:
        avg, count = totals.get(pid, (None, 0))
        result[pid] = Reputation(
            average=round(float(avg), 1) if avg is not None else None,
            count=count or 0,
            recent=latest[pid],
            median_response=_seconds(answered.get(pid, (0, None))[1]),
            jobs_done=jobs.get(pid, 0),
        )
    return result


def _seconds(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)
