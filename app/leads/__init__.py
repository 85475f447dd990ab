"""Leads: intake from every source, quality and validation, held-for-review, routing, tracking,
the timeline, masking and who may receive a lead (eligibility)."""

from app.leads import routing, tracking  # noqa: F401 - the registries the modes plug into
