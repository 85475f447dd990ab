"""Broadcast requests: the pool, timed offer waves, accept/decline, admin actions, offer cards
and the metro's pool policy."""

from app.broadcast import offer_cards, waves  # noqa: F401 - register router, tracking view, sweep step
