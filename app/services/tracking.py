"""What the customer's tracking page says: the lead's state in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Lead


@dataclass(frozen=True)
class TrackingView:
    headline: str
    detail: str
    tone: str  # "waiting", "good", "closed": drives the badge colour
    final: bool  # nothing left to watch: polling stops


def view(lead: Lead) -> TrackingView:
    provider = lead.requested_provider
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
            "waiting", False,
        )
    if lead.mode == "broadcast":  # issue 5: offered / expanded / accepted by / still looking
        from app.services import waves

        broadcast = waves.tracking_view(lead)
        if broadcast is not None:
            return broadcast
    if lead.mode == "quotes":  # issue 6: quotes arriving, the customer's choice
        from app.services import quotes

        return quotes.tracking_view(lead, TrackingView)
    if lead.delivery_status == "delivered" and lead.assigned_provider is not None:
        return TrackingView(
            f"Sent to {lead.assigned_provider.name}",
            "They have your details and should contact you shortly.", "good", False,
        )
    if lead.mode == "direct" and provider is not None:
        from app.services import consent  # issue 4: after the wait, ask before offering others

        if consent.due(lead):
            return TrackingView(
                f"{provider.name} hasn't picked up your request yet",
                "Would you like us to offer it to other providers nearby? Nothing changes until you say so.",
                "waiting", False,
            )
        if lead.consent == "no":
            return TrackingView(
                f"Waiting for {provider.name}",
                f"As you asked, we're keeping your request for {provider.name} only.", "waiting", False,
            )
        return TrackingView(
            f"Waiting for {provider.name}",
            f"We're getting your request to {provider.name}. We will not send it to anyone "
            "else without asking you first.",
            "waiting", False,
        )
    if lead.mode == "quotes":
        return TrackingView(
            "Finding providers to quote",
            f"We're asking {lead.category.name.lower()} providers in {lead.metro.name} to quote. "
            "Up to 3 can respond; quotes will appear here.",
            "waiting", False,
        )
    return TrackingView(
        "Finding a provider",
        f"We're offering your request to {lead.category.name.lower()} providers in "
        f"{lead.metro.name}. The first to accept will contact you.",
        "waiting", False,
    )
