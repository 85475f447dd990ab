"""Recurring FOG compliance (issue 12): sites and traps, service records (manifests), due dates,
reminders and rebooking, inspector share links. Importing the package registers its intake
hook (requests attach to sites) and its sweep step (reminders, auto-rebook)."""

from app.compliance import reminders, sites  # noqa: F401 - register the intake hook and the sweep step
