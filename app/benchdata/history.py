"""The rows of `flask bench-data` (app/benchdata): metros, providers, a year of leads with their
timelines, offers, assignments, notifications and emails, and the fixed set the pages compare."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from random import Random
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.core import clock
from app.models import (
    Assignment,
    Category,
    Lead,
    LeadEvent,
    Metro,
    Notification,
    Offer,
    OutboxEmail,
    Provider,
    Review,
    User,
)
from app.models.provider import provider_categories

BENCH_PASSWORD = "bench password 1234"
ADMIN_EMAIL = "bench-admin@example.invalid"
PER_METRO = 30
CHUNK = 5000
TIERS = ("free", "starter", "growth", "pro")
CITIES = ("Springfield", "Riverside", "Fairview", "Franklin", "Greenville", "Madison", "Clinton", "Salem")
FIRST = ("Maria", "James", "Linh", "Ahmed", "Sofia", "Daniel", "Grace", "Omar", "Chen", "Ana")
LAST = ("Garcia", "Smith", "Nguyen", "Khan", "Rossi", "Brown", "Kim", "Lopez", "Wang", "Silva")


def _next_id(session: Session, model) -> int:
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def _bulk(session: Session, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start : start + CHUNK])


class Generator:
    def __init__(self, session: Session, seed: int, days: int):
        self.s, self.rng, self.days, self.now = session, Random(seed), days, clock.now()
        self.password_hash = generate_password_hash(BENCH_PASSWORD, method="scrypt")
        self.categories = list(session.scalars(select(Category.id)))
        if not self.categories:
            _bulk(
                session,
                Category,
                [
                    {"name": n, "slug": s, "position": i}
                    for i, (n, s) in enumerate(
                        [("Grease trap pumping", "pumping"), ("Line jetting", "jetting"), ("Trap repair", "repair")]
                    )
                ],
            )
            self.categories = list(session.scalars(select(Category.id)))

    def user(self, uid: int, email: str, role: str = "provider") -> dict:
        return {
            "id": uid,
            "email": email,
            "password_hash": self.password_hash,
            "role": role,
            "email_confirmed_at": self.now,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def metros_and_providers(self, providers: int, race: int = 32) -> tuple[dict[int, list[int]], int]:
        """Metros, providers (owners for claimed/verified ones), their categories; returns
        {metro id: verified provider ids} and the race metro's id."""
        s, rng = self.s, self.rng
        n_metros = max(3, providers // PER_METRO)
        metro0, provider0, user0 = _next_id(s, Metro), _next_id(s, Provider), _next_id(s, User)
        metros = [
            {
                "id": metro0 + i,
                "name": f"{CITIES[i % len(CITIES)]} {i}",
                "slug": f"bench-{metro0 + i}",
                "state": "TX",
                "timezone": "America/Chicago",
                "created_at": self.now,
                "updated_at": self.now,
            }
            for i in range(n_metros + 1)
        ]
        metros[-1].update(name="Race City", slug=f"bench-race-{metro0}")
        race_metro = metro0 + n_metros
        _bulk(s, Metro, metros)
        rows, users, cats = [], [self.user(user0, ADMIN_EMAIL, "admin")], []
        verified: dict[int, list[int]] = {metro0 + i: [] for i in range(n_metros + 1)}
        for i in range(providers + race):
            pid = provider0 + i
            racer = i >= providers
            metro = race_metro if racer else metro0 + i % n_metros
            roll = rng.random()
            status = "verified" if racer or roll < 0.6 else "claimed" if roll < 0.75 else "unclaimed"
            owner = None
            if status != "unclaimed":
                owner = user0 + len(users)
                users.append(self.user(owner, f"bench-provider-{pid}@example.invalid"))
            rows.append(
                {
                    "id": pid,
                    "name": f"{rng.choice(LAST)} Grease {pid}",
                    "slug": f"bench-{pid}",
                    "home_metro_id": metro,
                    "status": status,
                    "tier": "pro" if racer else rng.choice(TIERS),
                    "phone": f"+1713555{pid % 10000:04d}",
                    "email": f"bench-provider-{pid}@example.invalid",
                    "verified_at": self.now if status == "verified" else None,
                    "owner_id": owner,
                    "created_at": self.now - timedelta(days=self.days),
                    "updated_at": self.now,
                }
            )
            for cat in rng.sample(self.categories, k=min(len(self.categories), 1 + (i % 2))):
                cats.append({"provider_id": pid, "category_id": cat})
            if status == "verified":
                verified[metro].append(pid)
        _bulk(s, User, users)
        _bulk(s, Provider, rows)
        s.execute(insert(provider_categories), cats)
        return verified, race_metro

    def leads(self, n: int, verified: dict[int, list[int]], race_metro: int, log: Callable[[str], None]) -> None:
        s, rng, now = self.s, self.rng, self.now
        metros = [m for m, ps in verified.items() if ps and m != race_metro]
        lead0 = _next_id(s, Lead)
        span = timedelta(days=self.days)
        for start in range(0, n, CHUNK):
            leads, events, offers, assigns, notes, emails, reviews = [], [], [], [], [], [], []
            for i in range(start, min(n, start + CHUNK)):
                lid = lead0 + i
                created = now - span + span * (i / n) + timedelta(seconds=rng.randint(0, 60))
                created = min(created, now - timedelta(days=3))  # the fixed "waiting" set is the recent one
                metro = rng.choice(metros)
                pool = verified[metro]
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                email = f"{name.replace(' ', '.').lower()}.{lid}@example.com"
                roll, mode = rng.random(), rng.choices(("direct", "broadcast", "quotes"), (4, 4, 2))[0]
                status = (
                    "spam" if roll < 0.03 else "cancelled" if roll < 0.06 else "completed" if roll < 0.5 else "verified"
                )
                lead = {
                    "id": lid,
                    "mode": mode,
                    "source": "web",
                    "metro_id": metro,
                    "category_id": rng.choice(self.categories),
                    "description": f"Trap {i}: grease backing up",
                    "urgency": rng.choice(("emergency", "this_week", "flexible")),
                    "customer_name": name,
                    "customer_email": email,
                    "customer_phone": f"+1281{lid % 10_000_000:07d}",
                    "city": CITIES[metro % len(CITIES)],
                    "status": status,
                    "quality_score": 75,
                    "quality_notes": [],
                    "delivery_status": "new",
                    "created_at": created,
                    "updated_at": created,
                }
                leads.append(lead)
                events.append(
                    {
                        "lead_id": lid,
                        "kind": "created",
                        "text": "Request received",
                        "created_at": created,
                        "public_text": "We received your request.",
                        "data": {},
                    }
                )
                emails.append(
                    {
                        "kind": "lead_confirmation",
                        "to_email": email,
                        "template": "lead_confirmation",
                        "context": {},
                        "lead_id": lid,
                        "status": "sent",
                        "attempts": 1,
                        "sent_at": created + timedelta(seconds=5),
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                if status in ("spam", "cancelled"):
                    continue
                at = created + timedelta(minutes=rng.randint(1, 30))
                winners = rng.sample(pool, k=min(len(pool), 1 if mode != "quotes" else rng.randint(1, 3)))
                if mode == "broadcast":
                    wave = rng.sample(pool, k=min(len(pool), 5))
                    winners = wave[:1]
                    for p in wave:
                        won = p == winners[0]
                        offers.append(
                            {
                                "lead_id": lid,
                                "provider_id": p,
                                "wave": 1,
                                "offered_at": created,
                                "expires_at": created + timedelta(minutes=5),
                                "restricted": False,
                                "state": "accepted" if won else "taken",
                                "responded_at": at if won else None,
                                "created_at": created,
                                "updated_at": at,
                            }
                        )
                        notes.append(
                            {
                                "provider_id": p,
                                "kind": "new_offer",
                                "title": "New offer",
                                "lead_id": lid,
                                "created_at": created,
                                "read_at": at,
                            }
                        )
                    lead.update(delivery_status="accepted", current_wave=1)
                else:
                    lead["delivery_status"] = "delivered" if mode == "direct" else "chosen"
                    if mode == "direct":
                        lead["requested_provider_id"] = winners[0]
                kind = {"direct": "direct", "broadcast": "broadcast", "quotes": "quote"}[mode]
                for p in winners:
                    assigns.append(
                        {
                            "lead_id": lid,
                            "provider_id": p,
                            "kind": kind,
                            "status": "delivered" if kind != "quote" else "purchased",
                            "credits_spent": 0,
                            "notified_at": created,
                            "created_at": at,
                            "updated_at": at,
                        }
                    )
                    notes.append(
                        {
                            "provider_id": p,
                            "kind": "new_lead",
                            "title": "New lead",
                            "lead_id": lid,
                            "created_at": at,
                            "read_at": at + timedelta(hours=1),
                        }
                    )
                    emails.append(
                        {
                            "kind": "new_lead",
                            "to_email": f"bench-provider-{p}@example.invalid",
                            "template": "direct_lead",
                            "context": {},
                            "lead_id": lid,
                            "status": "sent",
                            "attempts": 1,
                            "sent_at": at,
                            "created_at": at,
                            "updated_at": at,
                        }
                    )
                lead.update(assigned_provider_id=winners[0], routed_at=created)
                events.append(
                    {
                        "lead_id": lid,
                        "kind": "delivered",
                        "text": f"Delivered to provider {winners[0]}",
                        "created_at": at,
                        "public_text": "A provider has your request.",
                        "data": {},
                    }
                )
                if status == "completed" and rng.random() < 0.33:
                    reviews.append(
                        {
                            "lead_id": lid,
                            "provider_id": winners[0],
                            "rating": rng.randint(3, 5),
                            "text": "Quick and clean.",
                            "author_name": name.split()[0] + " " + name.split()[1][0] + ".",
                            "created_at": at + timedelta(days=2),
                        }
                    )
            for model, rows in (
                (Lead, leads),
                (LeadEvent, events),
                (Offer, offers),
                (Assignment, assigns),
                (Notification, notes),
                (OutboxEmail, emails),
                (Review, reviews),
            ):
                _bulk(s, model, rows)
            s.commit()
            log(f"  leads {min(n, start + CHUNK):>7} of {n}")

    def fixed(self, verified: dict[int, list[int]], race_metro: int) -> None:
        """What every size holds the same of: leads waiting on staff, open offers, waiting emails."""
        s, now = self.s, self.now
        metro = min(m for m, ps in verified.items() if ps and m != race_metro)
        bench_provider = min(verified[metro])
        unclaimed = s.scalar(select(Provider.id).where(Provider.status == "unclaimed").order_by(Provider.id).limit(1))
        lead0 = _next_id(s, Lead)
        rows: list[dict[str, Any]] = []
        offers: list[dict[str, Any]] = []
        for i in range(17):
            kind = ("held", "escrow", "unaccepted", "open")[i % 4] if i < 12 else "open"
            created = now - timedelta(hours=2 + i)
            row: dict[str, Any] = {
                "id": lead0 + i,
                "mode": "direct" if kind == "escrow" else "broadcast",
                "source": "web",
                "metro_id": metro,
                "category_id": self.categories[0],
                "description": f"Waiting {i}",
                "customer_name": "Wait Ing",
                "customer_email": f"waiting{i}@example.com",
                "city": "Springfield",
                "status": "pending" if kind == "held" else "verified",
                "quality_score": 40,
                "quality_notes": [],
                "delivery_status": {"held": "new", "escrow": "pending", "unaccepted": "pending", "open": "offering"}[
                    kind
                ],
                "escrow_reason": {"escrow": "unclaimed", "unaccepted": "unaccepted_broadcast"}.get(kind),
                "requested_provider_id": unclaimed if kind == "escrow" else None,
                "current_wave": 1 if kind == "open" else 0,
                "wave_deadline": now + timedelta(days=3) if kind == "open" else None,
                "created_at": created,
                "updated_at": created,
            }
            rows.append(row)
            if kind == "open" and sum(o["provider_id"] == bench_provider for o in offers) < 5:
                offers.append(
                    {
                        "lead_id": row["id"],
                        "provider_id": bench_provider,
                        "wave": 1,
                        "offered_at": created,
                        "expires_at": now + timedelta(days=3),
                        "state": "offered",
                        "restricted": False,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
        _bulk(s, Lead, rows)
        _bulk(s, Offer, offers)
        _bulk(
            s,
            OutboxEmail,
            [
                {
                    "kind": "bench",
                    "to_email": f"w{i}@example.com",
                    "template": "lead_confirmation",
                    "context": {},
                    "status": "pending",
                    "created_at": now,
                    "updated_at": now,
                    "next_attempt_at": now + timedelta(hours=1),
                }
                for i in range(5)
            ],
        )
