"""Quote requests: matching, previews, credit-priced unlocks, the provider's pipeline, the
customer's choice, pricing, credits, disputes, reviews and teasers."""

from app.quotes import customer, matching  # noqa: F401 - register router, tracking view, sweep step
