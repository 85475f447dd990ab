"""Test data factories: sensible defaults, override what the test is about."""

from __future__ import annotations

import itertools

from app.accounts import users as accounts
from app.core import clock
from app.models import Category, Lead, Metro, Provider

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
