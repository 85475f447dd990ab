"""Leads: intake from every source, quality and validation, held-for-review, routing, tracking,
the timeline, masking and who may receive a lead (eligibility)."""

from app.leads import response_stats, routing, tracking  # noqa: F401 - registries and listeners
