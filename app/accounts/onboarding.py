"""The provider dashboard's status card: what is missing before the listing receives leads.
A pure function of the account, its listing and its latest verification request."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models import Provider, Tier, User, VerificationRequest


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    detail: str = ""


@dataclass
class Status:
    headline: str
    tone: str  # "good" or "todo" or "closed"
    steps: list[Step] = field(default_factory=list)

    @property
    def missing(self) -> list[Step]:
        return [s for s in self.steps if not s.done]


def status(user: User, provider: Provider | None, latest: VerificationRequest | None) -> Status:
    email = Step(
        "email",
        "Email confirmed" if user.email_confirmed_at else "Confirm your email",
        user.email_confirmed_at is not None,
        "" if user.email_confirmed_at else f"We sent a link to {user.email}.",
    )
    if provider is None:
        steps = [
            email,
            Step(
                "claim",
                "Claim your listing",
                False,
                "Find your business in the directory and claim it, or add a new listing.",
            ),
        ]
        return Status("Claim your listing to start receiving leads", "todo", steps)
    if provider.status == "suspended":
        return Status(
            "Your listing is suspended",
            "closed",
            [Step("suspended", "Suspended", False, "You receive no leads. Contact us to sort it out.")],
        )

    claim = Step("claim", "Listing claimed", True)
    if provider.status == "verified":
        verify = Step("verify", "Verified", True)
    elif latest is not None and latest.status == "pending":
        verify = Step(
            "verify", "Verification under review", False, "We're checking your details, usually within a day."
        )
    elif latest is not None and latest.status == "rejected":
        verify = Step(
            "verify",
            "Verification not approved",
            False,
            (f"Our note: {latest.admin_note}. " if latest.admin_note else "") + "Send corrected details.",
        )
    else:
        verify = Step("verify", "Get verified", False, "Send your licence number and service phone.")

    if provider.in_trial:
        plan = Step("plan", "Growth trial", True, f"Counts as Growth until {provider.trial_ends_at:%b %-d, %Y}.")
    elif provider.is_paid:
        plan = Step("plan", f"{Tier(provider.tier).title} plan", True)
    else:
        plan = Step("plan", "Free plan", False, "Direct requests wait for you until you're on a paid plan or trial.")

    steps = [email, claim, verify, plan]
    if provider.paused:
        steps.append(Step("paused", "Paused", False, "You're on pause: no new leads until you resume in settings."))
    elif provider.paused_now:
        steps.append(
            Step("paused", "Paused", False, "You're paused until the date you set: leads resume by themselves.")
        )
    missing = [s for s in steps if not s.done]
    if provider.status == "verified" and not missing:
        return Status(f"Verified · {provider.effective_tier.title} · receiving leads", "good", steps)
    if provider.status == "verified":
        return Status(f"Verified · {len(missing)} thing{'s' if len(missing) != 1 else ''} to finish", "todo", steps)
    return Status(f"{len(missing)} step{'s' if len(missing) != 1 else ''} to receive leads", "todo", steps)
