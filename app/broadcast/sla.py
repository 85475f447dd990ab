"""SLA escalation (issue 13): offers that expire unanswered count against a provider.

An offer is *missed* when the window of the wave it was offered in closes with no answer (the
lead expands to its next wave, or falls back to admins after the last). Each missed offer is
marked once (`offers.missed_at`, a conditional UPDATE) and adds one to the provider's
`missed_in_row` (an atomic increment); an accept or a decline sets it back to 0, so a decline is
never a penalty. When the count reaches the metro's `sla_miss_limit` (default 3, 0 = never) the
provider is paused automatically: the ordinary `providers.paused` flag plus `sla_paused_at`
saying why, set by one conditional UPDATE (`WHERE paused = false`), so two sweeps counting at
the same moment pause it exactly once. The provider gets an in-app notice and an email with a
signed one-click resume link; admins see it in the audit log and on the provider's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.core.urls import app_path, external_url
from app.models import Lead, Offer, Provider, User
from app.platform import audit, changes, notify

RESUME_SALT = "fogforge.sla-resume"
RESUME_MAX_AGE = timedelta(days=30)
STATS_WINDOW = timedelta(days=30)


def mark_missed(session: Session, lead: Lead, wave: int) -> list[int]:
    """The window of `wave` closed: mark its still-open offers missed (each once) and count them
    against their providers; pause any provider that reaches the metro's limit. Returns the ids
    of the providers paused now. Called by the wave expansion after it won its conditional
    UPDATE, so one lead's wave is counted by one sweep only."""
    now = clock.now()
    missed = session.scalars(
        update(Offer)
        .where(
            Offer.lead_id == lead.id,
            Offer.wave == wave,
            Offer.state == "offered",
            Offer.missed_at.is_(None),
            Offer.restricted.is_(False),  # a restricted offer cannot be accepted: not its fault
        )
        .values(missed_at=now)
        .returning(Offer.provider_id)
        .execution_options(synchronize_session=False)
    ).all()
    limit = lead.metro.sla_miss_limit
    paused = []
    for provider_id in sorted(missed):  # a fixed order: two sweeps never wait on each other's rows
        count = session.scalar(
            update(Provider)
            .where(Provider.id == provider_id)
            .values(missed_in_row=Provider.missed_in_row + 1)
            .returning(Provider.missed_in_row)
            .execution_options(synchronize_session=False)
        )
        if limit and count is not None and count >= limit and pause(session, provider_id, count):
            paused.append(provider_id)
    return paused


def answered(session: Session, provider_id: int) -> None:
    """An accept or a decline: the streak of unanswered offers starts again."""
    session.execute(
        update(Provider)
        .where(Provider.id == provider_id, Provider.missed_in_row != 0)
        .values(missed_in_row=0)
        .execution_options(synchronize_session=False)
    )


def pause(session: Session, provider_id: int, missed: int) -> bool:
    """Pause automatically, once: only the transaction that flips `paused` tells anyone."""
    now = clock.now()
    result = session.execute(
        update(Provider)
        .where(Provider.id == provider_id, Provider.paused.is_(False))
        .values(paused=True, sla_paused_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return False
    provider = session.get_one(Provider, provider_id, populate_existing=True)
    token = resume_token(provider)
    notify.notify(
        session,
        provider,
        "sla_paused",
        "We paused new offers: the last offers went unanswered",
        body=f"{missed} offers in a row closed without an answer, so we paused new offers for you. "
        "Resume in one click when you're ready.",
        url=app_path("provider.dashboard"),
        email_template="sla_paused",
        email_context={
            "provider_name": provider.name,
            "missed": missed,
            "resume_url": external_url("public.sla_resume", token=token),
            "dashboard_url": external_url("provider.dashboard"),
        },
        dedupe_key=f"provider:{provider_id}:sla_paused:{int(now.timestamp())}",
    )
    audit.log(
        session,
        None,
        "provider.sla_pause",
        provider,
        f"Paused {provider.name} automatically: {missed} offers in a row unanswered",
        data={"missed_in_row": missed},
    )
    changes.touch(session, provider_id)
    return True


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=RESUME_SALT)


def resume_token(provider: Provider) -> str:
    """Signed, bound to this pause (its time): once resumed, the link does nothing again."""
    assert provider.sla_paused_at is not None
    return _serializer().dumps({"p": provider.id, "at": int(clock.as_utc(provider.sla_paused_at).timestamp())})


def provider_for_token(session: Session, token: str) -> Provider | None:
    """The provider a resume link is for, while that pause is still on and the link is young."""
    try:
        data = _serializer().loads(token or "")
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("at"), int):
        return None
    provider = session.get(Provider, data["p"])
    if provider is None or not provider.sla_paused or provider.sla_paused_at is None:
        return None
    if int(clock.as_utc(provider.sla_paused_at).timestamp()) != data["at"]:
        return None
    if clock.now() - clock.as_utc(provider.sla_paused_at) > RESUME_MAX_AGE:
        return None
    return provider


def resume(session: Session, provider: Provider, user: User | None = None) -> bool:
    """Lift the automatic pause (from the email link or the dashboard); False if it was not on."""
    result = session.execute(
        update(Provider)
        .where(Provider.id == provider.id, Provider.paused.is_(True), Provider.sla_paused_at.is_not(None))
        .values(paused=False, sla_paused_at=None, missed_in_row=0, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return False
    session.refresh(provider)
    audit.log(
        session, user, "provider.sla_resume", provider, f"{provider.name} resumed offers after an automatic pause"
    )
    changes.touch(session, provider.id)
    return True


@dataclass(frozen=True)
class Responsiveness:
    offers: int  # offers of the last 30 days that are settled (answered, missed, taken or closed)
    answered: int  # accepted or declined
    missed: int
    median_seconds: int | None  # offered -> answered, over the answered ones

    @property
    def rate(self) -> int | None:
        """Response rate in percent (answered / answered + missed); None without data."""
        counted = self.answered + self.missed
        return round(100 * self.answered / counted) if counted else None

    @property
    def median_label(self) -> str | None:
        if self.median_seconds is None:
            return None
        if self.median_seconds < 60:
            return f"{self.median_seconds} s"
        if self.median_seconds < 3600:
            return f"{self.median_seconds // 60} min"
        return f"{self.median_seconds // 3600} h {self.median_seconds % 3600 // 60} min"


def responsiveness(session: Session, provider_id: int, now: datetime | None = None) -> Responsiveness:
    """The provider's response rate and median time to respond over the last 30 days of offers:
    a decline is an answer (never a penalty); an offer that went to someone else before its own
    window closed counts neither way."""
    since = (now or clock.now()) - STATS_WINDOW
    rows = session.execute(
        select(Offer.state, Offer.offered_at, Offer.responded_at, Offer.missed_at).where(
            Offer.provider_id == provider_id,
            Offer.offered_at >= since,
            Offer.restricted.is_(False),
        )
    ).all()
    waits = sorted(
        int((clock.as_utc(r.responded_at) - clock.as_utc(r.offered_at)).total_seconds())
        for r in rows
        if r.state in ("accepted", "declined") and r.responded_at is not None
    )
    missed = sum(1 for r in rows if r.missed_at is not None and r.state not in ("accepted", "declined"))
    median = waits[(len(waits) - 1) // 2] if waits else None
    return Responsiveness(
        offers=sum(1 for r in rows if r.state != "offered"),
        answered=len(waits),
        missed=missed,
        median_seconds=median,
    )


def auto_paused(session: Session) -> list[Provider]:
    """Providers paused automatically for unanswered offers (admins' list), longest first."""
    return list(
        session.scalars(
            select(Provider)
            .where(and_(Provider.paused.is_(True), Provider.sla_paused_at.is_not(None)))
            .order_by(Provider.sla_paused_at)
        )
    )


def auto_paused_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count(Provider.id)).where(Provider.paused.is_(True), Provider.sla_paused_at.is_not(None))
        )
        or 0
    )
