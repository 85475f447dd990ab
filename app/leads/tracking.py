"""What the customer's tracking page says: the lead's state in plain words.

Each mode's capability registers its own wording with `@tracking.mode_view(mode)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.models import Lead


@dataclass(frozen=True)
class TrackingView:
    headline: str
    detail: str
    tone: str  # "waiting", "good", "closed": drives the badge colour
    final: bool  # nothing left to watch: polling stops


ModeView = Callable[[Lead], "TrackingView | None"]
_MODE_VIEWS: dict[str, ModeView] = {}


def mode_view(mode: str) -> Callable[[ModeView], ModeView]:
    """Register what the page says for leads of `mode` once the common states (closed, done,
    held for review) are ruled out; the registered function returns None to let the generic
    wording speak ("Sent to …", "Finding a provider")."""

    def register(fn: ModeView) -> ModeView:
        _MODE_VIEWS[mode] = fn
        return fn

    return register


def view(lead: Lead) -> TrackingView:
    if lead.status == "spam":
        return TrackingView("Request closed", "This request was closed by our team.", "closed", True)
    if lead.status == "cancelled":
        return TrackingView("Request cancelled", "This request was cancelled.", "closed", True)
    if lead.status == "completed":
        return TrackingView("Job done", "Thanks for using FogForge.", "good", True)
    if lead.status == "pending":
        return TrackingView(
            "We're checking your request",
            "A member of our team reviews some requests before sending them out. "
            "You'll get an email as soon as it's on its way.",
            "waiting",
            False,
        )
    mode_view = _MODE_VIEWS.get(lead.mode)
    shown = mode_view(lead) if mode_view is not None else None
    if shown is not None:
        return shown
    if lead.delivery_status == "delivered" and lead.assigned_provider is not None:
        return TrackingView(
            f"Sent to {lead.assigned_provider.name}",
            "They have your details and should contact you shortly.",
            "good",
            False,
        )
    return TrackingView(
        "Finding a provider",
        f"We're offering your request to {lead.category.name.lower()} providers in "
        f"{lead.metro.name}. The first to accept will contact you.",
        "waiting",
        False,
    )
