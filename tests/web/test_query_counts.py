"""A constant number of SQL statements per page, whatever the number of rows it shows (issue 10).

Each main page is requested with 3 rows of everything it lists and again with 30: the count of
statements must not move. A query per row (an N+1: a lazy load in a template, a lookup in a
loop) makes the second count larger and fails here with both statement lists."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from app.core import clock
from app.models import User
from app.platform import audit

_accounts = itertools.count(1)


class World:
    """A metro, a provider signed in, an admin; `grow(n)` adds n more of every row kind."""

    def __init__(self, db, factory, as_provider, as_admin):
        self.db, self.factory = db, factory
        self.metro = factory.metro("Houston", slug="houston")
        self.category = factory.category()
        self.provider = factory.provider(metro=self.metro, categories=[self.category], name="Aaa Grease")
        self.provider_client = as_provider(self.provider)
        self.admin_client = as_admin

    def account(self, role: str = "provider") -> User:
        """A user row without the password hashing (none of them signs in)."""
        user = User(email=f"u{next(_accounts)}@example.com", password_hash="-", role=role)
        self.db.session.add(user)
        self.db.session.flush()
        return user

    def grow(self, n: int) -> None:
        f, metro, category, now = self.factory, self.metro, self.category, clock.now()
        for i in range(n):
            # the provider's inbox: a delivered direct lead
            delivered = f.lead(metro=metro, category=category, mode="direct", delivery_status="delivered")
            f.assignment(delivered, self.provider, kind="direct")
            f.notification(self.provider, lead=delivered)
            # an open broadcast offer to the provider
            offering = f.lead(
                metro=metro,
                category=category,
                delivery_status="offering",
                current_wave=1,
                wave_deadline=now + timedelta(minutes=5),
            )
            f.offer(offering, self.provider)
            # an offer it accepted (history)
            won = f.lead(
                metro=metro, category=category, delivery_status="accepted", assigned_provider_id=self.provider.id
            )
            f.offer(won, self.provider, state="accepted", responded_at=now)
            f.assignment(won, self.provider, kind="broadcast")
            # another listing in the metro, with a review and a quote it answered
            other = f.provider(
                metro=metro, categories=[self.category], status="unclaimed", tier="free", owner=self.account()
            )
            audit.log(self.db.session, self.account("admin"), "test.grow", other, f"Listed {other.name}")
            done = f.lead(
                metro=metro, category=category, mode="quotes", status="completed", assigned_provider_id=other.id
            )
            f.assignment(done, other, kind="quote", notified_at=now - timedelta(minutes=3))
            f.review(done, other, rating=4)
            # a direct request for it, waiting in escrow
            f.lead(
                metro=metro,
                category=category,
                mode="direct",
                delivery_status="pending",
                escrow_reason="unclaimed",
                requested_provider_id=other.id,
                customer_email=f"c{i}@example.com",
            )
            f.lead(metro=metro, category=category, status="pending")  # held for review
            f.outbox_email(status="sent" if i % 2 else "pending")
        self.db.session.commit()


@pytest.fixture
def world(db, factory, as_provider, as_admin):
    return World(db, factory, as_provider, as_admin)


PAGES = [
    ("provider", "/provider/inbox"),
    ("provider", "/provider/offers"),
    ("provider", "/provider/offers?show=history"),
    ("provider", "/provider/notifications"),
    ("anon", "/m/houston"),
    ("admin", "/admin/leads"),
    ("admin", "/admin/leads?q=maria"),
    ("admin", "/admin/escrow"),
    ("admin", "/admin/providers"),
    ("admin", "/admin/"),
    ("admin", "/admin/emails"),
    ("admin", "/admin/audit"),
]


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_page_runs_as_many_statements_for_30_rows_as_for_3(world, sql_statements, anon, who, url):
    client = {"provider": world.provider_client, "admin": world.admin_client, "anon": anon}[who]
    world.grow(3)
    client.get(url)  # warm: anything cached per process is not what this counts
    few = sql_statements.of_get(client, url)
    world.grow(27)
    many = sql_statements.of_get(client, url)
    assert len(many) == len(few), (
        f"GET {url}: {len(few)} statements with 3 rows, {len(many)} with 30 (a query per row).\nwith 30 rows:\n{many}"
    )


def test_the_counter_sees_a_query_per_row(world, sql_statements, db):
    """The helper itself: a loop of lookups is counted one statement each."""
    from sqlalchemy import select

    from app.models import Lead

    world.grow(2)
    with sql_statements() as log:
        for lead_id in [1, 2, 3]:
            db.session.scalar(select(Lead.customer_name).where(Lead.id == lead_id))
    assert len(log) == 3, f"expected 3 statements, saw:\n{log}"
