"""Direct requests: delivery to the requested provider, escrow (inbox, actions, release),
the customer's consent, and the provider's inbox."""

from app.direct import consent, direct, release  # noqa: F401 - register router, tracking view, sweep steps
