"""Shared set-up for the quote-lead tests (issue 6)."""

from __future__ import annotations

from tests.factories import Factory


def houston_market(factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping", slug="grease-trap-pumping")
    return metro, cat


def quoting_lead(factory, metro, cat, **kw):
    """A quote lead already routed (delivery_status "quoting")."""
    values = dict(mode="quotes", delivery_status="quoting", urgency="this_week", budget="300_600")
    values.update(kw)
    return factory.lead(metro=metro, category=cat, **values)


def fund(session, provider, amount, key=None):
    """Credits granted through the ledger (the same as factory.wallet)."""
    return Factory(session).wallet(provider, amount, key=key)
