"""Test data factories: sensible defaults, override what the test is about.

One method per aggregate: metro, category, provider, user/admin, lead, offer, assignment,
wallet (credits granted through the ledger), verification_request, review, dispute,
notification, partner_key (partner + API key), outbox_email. Each flushes and returns the row.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.accounts import users as accounts
from app.core import clock
from app.models import (
    Assignment,
    Category,
    Dispute,
    Lead,
    Metro,
    Notification,
    Offer,
    OutboxEmail,
    Provider,
    Review,
    VerificationRequest,
)
from app.partners import keys as partner_keys
from app.quotes import credits

_seq = itertools.count(1)


class Factory:
    def __init__(self, session):
        self.session = session

    def _add(self, obj):
        self.session.add(obj)
        self.session.flush()
        return obj

    def metro(self, name="Houston", slug=None, **kw) -> Metro:
        kw.setdefault("state", "TX")
        kw.setdefault("timezone", "America/Chicago")
        return self._add(Metro(name=name, slug=slug or f"{name.lower()}-{next(_seq)}", **kw))

    def category(self, name="Grease trap pumping", slug=None, **kw) -> Category:
        return self._add(Category(name=name, slug=slug or f"cat-{next(_seq)}", **kw))

    def provider(
        self, metro=None, categories=None, name=None, status="verified", tier="pro", owner=None, **kw
    ) -> Provider:
        metro = metro or self.metro()
        n = next(_seq)
        name = name or f"Provider {n}"
        provider = Provider(
            name=name,
            slug=f"provider-{n}",
            home_metro=metro,
            status=status,
            tier=tier,
            phone=kw.pop("phone", "+17135550100"),
            email=kw.pop("email", f"provider{n}@example.com"),
            verified_at=clock.now() if status == "verified" else None,
            owner_id=owner.id if owner else None,
            **kw,
        )
        provider.categories = list(categories) if categories is not None else [self.category()]
        return self._add(provider)

    def user(self, email=None, password="correct horse battery", role="provider", confirmed=True):
        email = email or f"user{next(_seq)}@example.com"
        return accounts.create_user(
            self.session, email, password, role=role, confirmed_at=clock.now() if confirmed else None
        )

    def admin(self, email=None, password="correct horse battery"):
        return self.user(email=email or f"admin{next(_seq)}@example.com", password=password, role="admin")

    def lead(self, metro=None, category=None, mode="broadcast", **kw) -> Lead:
        metro = metro or self.metro()
        category = category or self.category()
        values = dict(
            mode=mode,
            metro=metro,
            category=category,
            description="Grease trap overflowing, 1000 gal",
            customer_name="Maria Garcia",
            customer_email="maria.garcia@gmail.com",
            customer_phone="+17135551234",
            street="12 Main St",
            city="Houston",
            status="verified",
            delivery_status="new",
            quality_score=75,
        )
        values.update(kw)
        return self._add(Lead(**values))

    def offer(self, lead, provider, wave=1, state="offered", offered_at=None, minutes=5, **kw) -> Offer:
        """An offer of `lead` to `provider` (as a wave would make it); expires `minutes` after it was made."""
        offered_at = offered_at or clock.now()
        kw.setdefault("expires_at", offered_at + timedelta(minutes=minutes))
        return self._add(
            Offer(lead_id=lead.id, provider_id=provider.id, wave=wave, offered_at=offered_at, state=state, **kw)
        )

    def assignment(self, lead, provider, kind="direct", **kw) -> Assignment:
        """A delivery of `lead` to `provider` (a quote unlock is status "purchased")."""
        kw.setdefault("status", "purchased" if kind == "quote" else "delivered")
        return self._add(Assignment(lead_id=lead.id, provider_id=provider.id, kind=kind, **kw))

    def wallet(self, provider, amount, key=None, note="test credits"):
        """Fund `provider` with `amount` credits through the ledger (credits.grant); returns its result."""
        key = key or f"test-grant:{provider.id}:{amount}"  # the same grant twice posts once
        return credits.grant(self.session, provider.id, amount, key, note=note)

    def verification_request(self, provider, submitted_by=None, status="pending", **kw) -> VerificationRequest:
        kw.setdefault("licence_number", "TX-1")
        kw.setdefault("service_phone", "+17135550100")
        return self._add(
            VerificationRequest(
                provider_id=provider.id,
                submitted_by_id=submitted_by.id if submitted_by else None,
                status=status,
                **kw,
            )
        )

    def review(self, lead, provider, rating=5, text="", author_name="Maria G.", **kw) -> Review:
        return self._add(
            Review(lead_id=lead.id, provider_id=provider.id, rating=rating, text=text, author_name=author_name, **kw)
        )

    def dispute(self, assignment, reason="wrong_contact", status="open", **kw) -> Dispute:
        return self._add(
            Dispute(
                assignment_id=assignment.id,
                lead_id=assignment.lead_id,
                provider_id=assignment.provider_id,
                reason=reason,
                status=status,
                **kw,
            )
        )

    def notification(self, provider, kind="new_lead", title="New lead", lead=None, **kw) -> Notification:
        return self._add(
            Notification(provider_id=provider.id, kind=kind, title=title, lead_id=lead.id if lead else None, **kw)
        )

    def partner_key(self, name=None, label="test", actor=None):
        """A partner with one API key: returns (partner, plaintext key)."""
        partner = partner_keys.create_partner(self.session, name or f"Partner {next(_seq)}", actor)
        return partner, partner_keys.create_key(self.session, partner, actor, label).plaintext

    def outbox_email(self, kind="test", to="x@example.com", template="lead_confirmation", **kw) -> OutboxEmail:
        kw.setdefault("context", {})
        return self._add(OutboxEmail(kind=kind, to_email=to, template=template, **kw))
