"""Replay a metro day through the real engine (issue 13): the real intake, routing, waves, accept,
decline, quote unlock, consent and SLA code, and the sweep's wave step, on a throwaway database
(`sandbox`) under the one clock moved in steps (`clock.simulated`, this thread only).

The loop keeps a queue of what happens next: a lead arriving, a synthetic provider answering an
offer or unlocking a quote lead, a customer saying yes to "offer it to others" (an emergency
asked at once, or "offer it now" before the wait of a non-urgent one), a paused
provider coming back; and the next wave deadline, read from the database like the sweep does.
It moves the clock to the earliest, does it through the domain code, then looks at what the
engine did (new offers, quote notifications, consent questions, automatic pauses) and draws
the synthetic answers for it from the seeded random stream."""

from __future__ import annotations

import heapq
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.broadcast import offer_actions, sla, waves
from app.core import clock
from app.core.refusal import Refusal
from app.direct import consent, release
from app.dispatch.report import Report, build_report
from app.dispatch.sandbox import sandbox
from app.dispatch.scenario import Arrival, Scenario, offer_now_delay, response
from app.leads import intake, routing
from app.models import Category, Lead, LeadEvent, Metro, Offer, Provider
from app.models.metro import default_wave_plan
from app.quotes import credits, pricing, unlock

SETTLE_AFTER = timedelta(hours=12)  # after the last arrival, let waves and answers finish
START_CREDITS = 40


@dataclass
class Plan:
    """The metro settings a simulation runs with (the current ones or a candidate)."""

    wave_plan: list[dict] = field(default_factory=default_wave_plan)
    pool_policy: str = "balanced"
    sla_miss_limit: int = 3
    consent_wait_emergency_minutes: int = 0
    consent_wait_hours: int = 24

    @classmethod
    def of(cls, metro: Metro) -> Plan:
        return cls(
            wave_plan=list(metro.wave_plan or default_wave_plan()),
            pool_policy=metro.pool_policy,
            sla_miss_limit=metro.sla_miss_limit,
            consent_wait_emergency_minutes=metro.consent_wait_emergency_minutes,
            consent_wait_hours=metro.consent_wait_hours,
        )


def run(scenario: Scenario, plan: Plan) -> Report:
    """Simulate the scenario's day under `plan`; the report of what the real engine did."""
    started = time.perf_counter()
    with sandbox() as session, clock.simulated(scenario.day) as sim:
        day = _Day(session, scenario, plan, sim)
        day.play()
        report = build_report(session, scenario, plan.wave_plan, day.stats)
    report.wall_seconds = round(time.perf_counter() - started, 2)
    return report


class _Day:
    def __init__(self, session: Session, scenario: Scenario, plan: Plan, sim: clock.SimulatedClock) -> None:
        self.session, self.scenario, self.sim = session, scenario, sim
        self.rng = random.Random(scenario.seed)
        self.queue: list[tuple[datetime, int, str, tuple]] = []
        self.seq = 0
        self.last_offer = 0
        # Offers are only made when a wave opens (routing, the sweep, a decline that closes a
        # wave), and providers only paused for missed offers when a window closes (the sweep, a
        # decline): `look` reads the database only then. The next wave deadline is read again
        # only when one may have come earlier (a wave opened): an accept only removes one, and
        # the loop then wakes at the old time, finds nothing overdue and reads it again.
        self.new_offers = False
        self.windows_closed = False
        self.engine_moved = True
        self.resuming: set[int] = set()
        self.stats: dict[str, int] = {"accepts_too_late": 0, "consent_yes": 0, "offer_now": 0, "resumed": 0}
        self.metro = Metro(
            name="Simulated metro",
            slug="sim",
            state="TX",
            timezone="America/Chicago",
            pool_policy=plan.pool_policy,
            wave_plan=plan.wave_plan,
            sla_miss_limit=plan.sla_miss_limit,
            consent_wait_emergency_minutes=plan.consent_wait_emergency_minutes,
            consent_wait_hours=plan.consent_wait_hours,
        )
        self.category = Category(name="Grease trap pumping", slug="grease-trap-pumping")
        session.add_all([self.metro, self.category])
        session.flush()
        self.providers: list[int] = []
        # The loop holds ids, and the providers: the session's identity map keeps only what is
        # referenced, so the day's leads and offers leave it, and a provider is not read again
        # at every unlock.
        self.held: list[Provider] = []
        self.tier_of: dict[int, str] = {}
        for n, tier in enumerate(scenario.provider_tiers()):
            provider = Provider(
                name=f"Provider {n + 1}",
                slug=f"provider-{n + 1}",
                home_metro=self.metro,
                status="verified",
                tier=tier,
                verified_at=clock.now(),
                email=f"provider{n + 1}@sim.invalid",
                categories=[self.category],
            )
            session.add(provider)
            session.flush()
            self.providers.append(provider.id)
            self.held.append(provider)
            self.tier_of[provider.id] = tier
            if tier != "free":
                credits.grant(session, provider.id, START_CREDITS, f"sim:grant:{provider.id}", note="simulation")
        # the day's arrivals are drawn after the providers, from the same stream: same seed, same day
        self.last_arrival = clock.as_utc(scenario.day) + timedelta(days=1)
        for arrival in scenario.day_arrivals(self.rng):
            self.push(scenario.day + arrival.at, "arrive", (arrival,))
            self.last_arrival = max(self.last_arrival, clock.as_utc(scenario.day + arrival.at))

    # ------------------------------------------------------------------ the loop
    def push(self, at: datetime, kind: str, args: tuple) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (clock.as_utc(at), self.seq, kind, args))

    def play(self) -> None:
        end = self.last_arrival + SETTLE_AFTER
        steps = 0
        deadline = None
        while True:
            if self.engine_moved:
                deadline = waves.first_deadline(self.session)  # passed (overdue) or still to come
                self.engine_moved = False
            upcoming = self.queue[0][0] if self.queue else None
            if deadline is not None and deadline <= self.sim.at:
                self.sweep()
            elif upcoming is None and deadline is None:
                break
            elif upcoming is not None and (deadline is None or upcoming <= deadline):
                at, _seq, kind, args = heapq.heappop(self.queue)
                if at > end:
                    break
                self.sim.set(max(at, self.sim.at))
                getattr(self, f"on_{kind}")(*args)
            else:
                assert deadline is not None
                self.sim.set(max(deadline, self.sim.at))
                self.sweep()
            self.look()
            steps += 1

    def sweep(self) -> None:
        """The periodic sweep's wave step (expand every overdue wave), as `flask sweep` runs it."""
        waves.expand_overdue(self.session)
        self.new_offers = self.windows_closed = self.engine_moved = True

    # ------------------------------------------------------------------ events
    def on_arrive(self, arrival: Arrival) -> None:
        n = self.seq
        requested = self.providers[arrival.direct_to] if arrival.direct_to is not None else None
        data = intake.LeadInput(
            mode=arrival.mode,
            metro_id=self.metro.id,
            category_id=self.category.id,
            description=f"Simulated request {n}: grease trap service",
            customer_name=f"Customer {n}",
            city="Simulated City",
            customer_email=f"customer{n}@sim.invalid",
            urgency=arrival.urgency,
            budget="300_600",
            requested_provider_id=requested,
        )
        lead = intake.submit_lead(self.session, data, source="web", force_status="verified")
        self.route(lead.id)

    def route(self, lead_id: int) -> None:
        """What the `route_lead` job does, then what the customer or providers see of it."""
        routing.route(self.session, lead_id)
        self.new_offers = self.engine_moved = True
        lead = self.session.get_one(Lead, lead_id)
        if lead.mode == "quotes" and lead.delivery_status == "quoting":
            event = self.session.scalar(
                select(LeadEvent).where(LeadEvent.lead_id == lead_id, LeadEvent.kind == "quotes_requested")
            )
            for provider_id in (event.data or {}).get("provider_ids", []) if event else []:
                behaviour = self.scenario.behaviour[self.tier_of[provider_id]]
                if self.rng.random() < behaviour.unlocks:
                    answer = response(self.rng, behaviour)
                    if answer is not None:
                        self.push(self.sim.at + timedelta(seconds=answer[0]), "unlock", (lead_id, provider_id))
        elif lead.mode == "direct" and consent.due(lead) and self.rng.random() < self.scenario.consent_yes:
            seconds = self.rng.lognormvariate(4.5, 0.6)  # ~90 s to read the page and answer
            self.push(self.sim.at + timedelta(seconds=seconds), "consent", (lead_id, False))
        elif lead.mode == "direct" and consent.early(lead) and self.rng.random() < self.scenario.offer_now:
            # "Don't want to wait? Offer it to other providers now" (before the consent wait)
            seconds = offer_now_delay(self.rng, self.scenario.offer_now_minutes)
            self.push(self.sim.at + timedelta(seconds=seconds), "consent", (lead_id, True))

    def on_answer(self, offer_id: int, provider_id: int, declines: bool) -> None:
        offer = self.session.get_one(Offer, offer_id)
        if offer.state != "offered":  # the provider's live page already says "taken" or "closed"
            self.stats["accepts_too_late"] += not declines
            return
        try:
            if declines:
                # the last open offer of a wave declined: the next wave now
                self.new_offers = self.windows_closed = self.engine_moved = True
                offer_actions.decline(self.session, offer_id, provider_id, "too_busy")
            else:
                offer_actions.accept(self.session, offer_id, provider_id)
        except Refusal:
            self.stats["accepts_too_late"] += not declines  # taken by another, or closed

    def on_unlock(self, lead_id: int, provider_id: int) -> None:  # (a quote lead has no wave deadline)
        provider = self.session.get_one(Provider, provider_id)
        lead = self.session.get_one(Lead, lead_id)
        try:
            unlock.unlock(self.session, lead_id, provider, pricing.lead_price(lead, provider))
        except Refusal:
            pass

    def on_consent(self, lead_id: int, early: bool) -> None:
        """The customer says yes through the tracking page's answer (`consent.answer`): to the
        question (an emergency, asked at once) or, before the wait, "offer it now"."""
        lead = self.session.get_one(Lead, lead_id)
        try:
            consent.answer(self.session, lead, True)
        except Refusal:
            return  # delivered to its provider (or closed) in the meantime
        self.stats["offer_now" if early else "consent_yes"] += 1
        self.route(lead_id)

    def on_resume(self, provider_id: int) -> None:
        self.resuming.discard(provider_id)
        provider = self.session.get_one(Provider, provider_id)
        if sla.resume(self.session, provider):
            release.release_for_provider(self.session, provider)  # as the resume views do
            self.new_offers = self.engine_moved = True
            self.stats["resumed"] += 1

    # ------------------------------------------------------------------ what the engine did
    def look(self) -> None:
        """New offers get their synthetic answer; newly paused providers their comeback."""
        if self.new_offers:
            self.new_offers = False
            self.answer_new_offers()
        if self.windows_closed:
            self.windows_closed = False
            self.resume_paused()

    def answer_new_offers(self) -> None:
        for offer_id, provider_id in self.session.execute(
            select(Offer.id, Offer.provider_id).where(Offer.id > self.last_offer).order_by(Offer.id)
        ).all():
            self.last_offer = offer_id
            answer = response(self.rng, self.scenario.behaviour[self.tier_of[provider_id]])
            if answer is not None:
                seconds, declines = answer
                self.push(self.sim.at + timedelta(seconds=seconds), "answer", (offer_id, provider_id, declines))

    def resume_paused(self) -> None:
        for provider_id in self.session.scalars(
            select(Provider.id).where(Provider.paused.is_(True), Provider.sla_paused_at.is_not(None))
        ):
            if provider_id not in self.resuming:
                self.resuming.add(provider_id)
                minutes = self.rng.lognormvariate(0, 0.5) * self.scenario.resume_after_minutes
                self.push(self.sim.at + timedelta(minutes=minutes), "resume", (provider_id,))
