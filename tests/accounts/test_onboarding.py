"""The dashboard status card says what is missing before a listing receives leads."""

from datetime import timedelta

from app.accounts import onboarding
from app.core import clock
from app.models import Provider, User, VerificationRequest


def user(confirmed=True):
    return User(email="a@example.com", email_confirmed_at=clock.now() if confirmed else None)


def provider(**kw):
    values = dict(name="Trap Co", status="claimed", tier="free", paused=False)
    values.update(kw)
    return Provider(**values)


def keys_missing(status):
    return [s.key for s in status.missing]


def test_a_new_account_must_confirm_and_claim():
    status = onboarding.status(user(confirmed=False), None, None)
    assert keys_missing(status) == ["email", "claim"] and status.tone == "todo"


def test_a_claimed_free_listing_needs_verification_and_a_plan():
    status = onboarding.status(user(), provider(), None)
    assert keys_missing(status) == ["verify", "plan"]
    assert status.headline == "2 steps to receive leads"


def test_pending_and_rejected_requests_are_explained():
    pending = onboarding.status(user(), provider(), VerificationRequest(status="pending"))
    assert pending.steps[2].label == "Verification under review"
    rejected = onboarding.status(
        user(), provider(), VerificationRequest(status="rejected", admin_note="Expired licence")
    )
    assert rejected.steps[2].label == "Verification not approved" and "Expired licence" in rejected.steps[2].detail


def test_verified_in_trial_receives_leads_until_the_trial_ends_or_it_pauses():
    clock.freeze(clock.now())
    try:
        listing = provider(
            status="verified", trial_started_at=clock.now(), trial_ends_at=clock.now() + timedelta(days=14)
        )
        assert onboarding.status(user(), listing, None).headline == "Verified · Growth · receiving leads"
        listing.paused = True
        assert keys_missing(onboarding.status(user(), listing, None)) == ["paused"]
        listing.paused = False
        clock.advance(timedelta(days=14))
        assert keys_missing(onboarding.status(user(), listing, None)) == ["plan"]
    finally:
        clock.reset()


def test_suspended_listing_says_so():
    status = onboarding.status(user(), provider(status="suspended", tier="pro"), None)
    assert status.tone == "closed" and status.headline == "Your listing is suspended"
